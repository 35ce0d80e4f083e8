//! Taximeter profiles: one regulation's tolerances for the distance, time and fare tests,
//! as data.
//!
//! The same conventions as [`DispenserProfile`](crate::profile::DispenserProfile): an id, a
//! version, a title, the sources, notes marking unconfirmed numbers with ⚠, a `source` on
//! every number, stages, a default stage. Built-in profiles are JSON files compiled into the
//! crate (`src/profiles/taximeter/*.json`); a custom profile is the same JSON, validated by
//! [`TaximeterProfile::from_json`].
//!
//! ```
//! use verimeter::taximeter::{TaximeterProfile, TestKind};
//! let p = TaximeterProfile::builtin("jjg517-2016")?;
//! let installed = p.stage(None)?;                         // the default stage
//! assert_eq!(installed.name, "installed");
//! assert_eq!(installed.calibration_target_pct.as_ref().unwrap().value, -1.5);
//! assert!(installed.tolerance(TestKind::Distance).is_ok());
//! assert!(installed.tolerance(TestKind::Time).is_err());   // ⚠ not set: configurable
//! # Ok::<(), verimeter::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::profile::Cited;
use crate::tolerance::{ResultRounding, Tolerance};

use super::TestKind;

/// One verification stage of a taximeter profile: the meter alone on a bench, or installed in
/// the vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaximeterStage {
    /// The stage's name (`"meter"`, `"installed"`, …).
    pub name: String,
    /// A human title.
    #[serde(default)]
    pub title: String,
    /// The tolerance of the distance test, evaluated at the reference distance in metres.
    /// `None`: the stage does not set one (configure it with [`TaximeterStage::with_tolerance`]
    /// or a custom profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<Tolerance>,
    /// The tolerance of the time test, evaluated at the reference duration in seconds.
    /// `None`: the stage does not set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Tolerance>,
    /// The tolerance of the fare calculation, in money units (the currency unit of the
    /// tariff), evaluated at the correct fare; `DisplayResolution` nodes need the fare
    /// display's least significant step in the context. Used by the fare engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fare: Option<Tolerance>,
    /// Rounding of the error before it is judged (JJG practice); none = unrounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_rounding: Option<ResultRounding>,
    /// The error (in %) a calibration of k aims at when the caller names none: usually the
    /// middle of the distance band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_target_pct: Option<Cited<f64>>,
}

impl TaximeterStage {
    /// The tolerance of a test kind, or an error naming the stage when it sets none.
    pub fn tolerance(&self, kind: TestKind) -> Result<&Tolerance> {
        let t = match kind {
            TestKind::Distance => self.distance.as_ref(),
            TestKind::Time => self.time.as_ref(),
        };
        t.ok_or_else(|| Error::MissingContext {
            what: match kind {
                TestKind::Distance => "a distance tolerance",
                TestKind::Time => "a time tolerance",
            },
            clause: format!(
                "stage {:?} sets none; supply one in a custom profile or with TaximeterStage::with_tolerance",
                self.name
            ),
        })
    }

    /// The same stage with the tolerance of `kind` replaced: how a caller configures a
    /// tolerance the profile leaves open (e.g. the HB44 time test).
    ///
    /// ```
    /// use verimeter::taximeter::{TaximeterProfile, TestKind};
    /// use verimeter::tolerance::Tolerance;
    /// let p = TaximeterProfile::builtin("nist-hb44-5.54")?;
    /// let stage = p.stage(None)?.clone()
    ///     .with_tolerance(TestKind::Time, Tolerance::relative(1.0, "local ordinance (illustrative)"));
    /// assert!(stage.tolerance(TestKind::Time).is_ok());
    /// # Ok::<(), verimeter::Error>(())
    /// ```
    pub fn with_tolerance(mut self, kind: TestKind, tolerance: Tolerance) -> Self {
        match kind {
            TestKind::Distance => self.distance = Some(tolerance),
            TestKind::Time => self.time = Some(tolerance),
        }
        self
    }

    /// The fare tolerance, for the fare engine (money units).
    pub fn fare_tolerance(&self) -> Option<&Tolerance> {
        self.fare.as_ref()
    }
}

/// A taximeter profile: one regulation's rules for judging distance, time and fare tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaximeterProfile {
    /// Stable id, e.g. `"jjg517-2016"`.
    pub id: String,
    /// Version of this profile's data (changes whenever a number changes).
    pub version: String,
    /// The regulation's title.
    pub title: String,
    /// The texts the numbers come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Caveats: unconfirmed (⚠) numbers and the choices made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The stage used when none is named.
    pub default_stage: String,
    /// The stages.
    pub stages: Vec<TaximeterStage>,
}

/// The ids of the built-in taximeter profiles.
pub const BUILTIN_TAXIMETER_PROFILES: [&str; 4] =
    ["jjg517-2016", "oiml-r21", "nist-hb44-5.54", "mid-mi007"];

fn builtin_text(id: &str) -> Option<&'static str> {
    Some(match id {
        "jjg517-2016" => include_str!("../profiles/taximeter/jjg517-2016.json"),
        "oiml-r21" => include_str!("../profiles/taximeter/oiml-r21.json"),
        "nist-hb44-5.54" => include_str!("../profiles/taximeter/nist-hb44-5.54.json"),
        "mid-mi007" => include_str!("../profiles/taximeter/mid-mi007.json"),
        _ => return None,
    })
}

impl TaximeterProfile {
    /// A built-in profile by id (see [`BUILTIN_TAXIMETER_PROFILES`]).
    pub fn builtin(id: &str) -> Result<Self> {
        crate::profile::builtin_profile(
            id,
            &BUILTIN_TAXIMETER_PROFILES,
            builtin_text,
            Self::from_json,
        )
    }

    /// Every built-in profile.
    pub fn builtins() -> Result<Vec<Self>> {
        BUILTIN_TAXIMETER_PROFILES
            .iter()
            .map(|id| Self::builtin(id))
            .collect()
    }

    /// Parses and validates a profile written in JSON.
    ///
    /// ```
    /// use verimeter::taximeter::TaximeterProfile;
    /// let mut json = serde_json::to_value(TaximeterProfile::builtin("mid-mi007")?).unwrap();
    /// json["stages"][0]["distance"]["of"][0]["pct"] = serde_json::json!(-0.2);
    /// let err = TaximeterProfile::from_json(&json.to_string()).unwrap_err();
    /// assert!(err.to_string().contains("pct must be finite and >= 0, got -0.2"), "{err}");
    /// # Ok::<(), verimeter::Error>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let p: TaximeterProfile = crate::profile::parse_json(text)?;
        p.validate()?;
        Ok(p)
    }

    /// The stage named `name` (case-insensitive), or the default stage.
    pub fn stage(&self, name: Option<&str>) -> Result<&TaximeterStage> {
        crate::profile::find_stage(
            &self.id,
            &self.stages,
            name.unwrap_or(&self.default_stage),
            |s| &s.name,
        )
    }

    /// The names of the stages.
    pub fn stage_names(&self) -> Vec<&str> {
        self.stages.iter().map(|s| s.name.as_str()).collect()
    }

    /// Checks the whole profile: every tolerance valid (numbers finite and in range), every
    /// stage named once and judging at least one test, calibration targets above −100 %, the
    /// default stage defined.
    pub fn validate(&self) -> Result<()> {
        let fail = crate::profile::validation_start(&self.id, &self.version)?;
        if self.stages.is_empty() {
            return Err(fail("stages".into(), "must not be empty".into()));
        }
        for (i, s) in self.stages.iter().enumerate() {
            let p = format!("stages[{i}]");
            if s.name.trim().is_empty() {
                return Err(fail(format!("{p}.name"), "must not be empty".into()));
            }
            if self.stages[..i]
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&s.name))
            {
                return Err(fail(
                    format!("{p}.name"),
                    format!("duplicate stage {:?}", s.name),
                ));
            }
            let p = format!("stages.{}", s.name);
            if s.distance.is_none() && s.time.is_none() && s.fare.is_none() {
                return Err(fail(
                    p,
                    "sets no tolerance: give at least one of distance, time, fare".into(),
                ));
            }
            for (field, t) in [
                ("distance", &s.distance),
                ("time", &s.time),
                ("fare", &s.fare),
            ] {
                if let Some(t) = t {
                    t.validate(&format!("{p}.{field}"))
                        .map_err(|(path, reason)| fail(path, reason))?;
                }
            }
            if let Some(r) = &s.result_rounding {
                if r.decimals > 9 {
                    return Err(fail(
                        format!("{p}.result_rounding.decimals"),
                        format!("must be <= 9, got {}", r.decimals),
                    ));
                }
            }
            if let Some(c) = &s.calibration_target_pct {
                if !(c.value.is_finite() && c.value > -100.0) {
                    return Err(fail(
                        format!("{p}.calibration_target_pct"),
                        format!("must be finite and > -100, got {}", c.value),
                    ));
                }
            }
        }
        self.stage(None)
            .map_err(|e| fail("default_stage".into(), e.to_string()))?;
        Ok(())
    }
}
