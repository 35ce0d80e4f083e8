//! Regulations as data: profiles with an id, a version and a citation per number.
//!
//! A profile is a serde value. The built-in ones are JSON files compiled into the crate
//! (`src/profiles/*.json`) and parsed when asked for — the same format a custom profile is
//! written in, so anything the built-ins do, a bureau's own profile can do too.
//!
//! ```
//! use verimeter::profile::DispenserProfile;
//! let p = DispenserProfile::builtin("jjg443-2015").unwrap();
//! assert_eq!(p.id, "jjg443-2015");
//! let stage = p.stage(Some("first")).unwrap();
//! assert_eq!(stage.name, "first");
//! assert!(DispenserProfile::builtin("nope").unwrap_err().to_string().contains("oiml-r117-1"));
//! ```

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::dispenser::TestPoint;
use crate::error::{Error, Result};
use crate::money::Rounding;
use crate::tolerance::{ResultRounding, Tolerance};

/// A number with the clause it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cited<T, S = String> {
    /// The number.
    pub value: T,
    /// The clause, e.g. `"JJG 443-2015"`.
    #[serde(default)]
    pub source: S,
}

/// Which profile (id, version) and stage a result was judged against (DEVELOPERS.md rule 4:
/// every verdict names the profile it was judged against).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRef {
    /// The profile id.
    pub id: String,
    /// The profile's data version.
    pub version: String,
    /// The stage.
    pub stage: String,
}

impl ProfileRef {
    /// A reference from its three parts.
    pub fn of(id: &str, version: &str, stage: &str) -> Self {
        Self {
            id: id.to_string(),
            version: version.to_string(),
            stage: stage.to_string(),
        }
    }
}

/// A thermal expansion coefficient of a fuel or a can material, with its names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expansion {
    /// The canonical name, e.g. `"petrol"`.
    pub name: String,
    /// Other accepted names, e.g. `["gasoline"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The cubic expansion coefficient, per °C.
    pub beta_per_c: f64,
    /// The clause.
    #[serde(default)]
    pub source: String,
}

impl Expansion {
    fn matches(&self, name: &str) -> bool {
        let n = name.trim();
        self.name.eq_ignore_ascii_case(n) || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(n))
    }
}

/// The thermal rules of a dispenser profile: coefficients and applicability limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalRules {
    /// The reference temperature of the standard can, °C (20 °C).
    pub reference_temperature_c: Cited<f64>,
    /// Fuels and their cubic expansion coefficients β_Y.
    pub fuels: Vec<Expansion>,
    /// Can materials and their cubic expansion coefficients β_B.
    pub can_materials: Vec<Expansion>,
    /// The can material assumed when a reading with temperatures names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_can_material: Option<Cited<String>>,
    /// Applicability limit on |t_J − t_B| in °C: beyond it the draw may not be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_temperature_difference_c: Option<Cited<f64>>,
    /// Applicability limit on |t_B − reference temperature| in °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_can_temperature_offset_c: Option<Cited<f64>>,
}

impl ThermalRules {
    /// Finds a fuel by name or alias.
    pub fn fuel(&self, name: &str) -> Result<&Expansion> {
        find(&self.fuels, "fuel", name)
    }

    /// Finds a can material by name or alias.
    pub fn can_material(&self, name: &str) -> Result<&Expansion> {
        find(&self.can_materials, "can_material", name)
    }
}

fn find<'a>(list: &'a [Expansion], field: &'static str, name: &str) -> Result<&'a Expansion> {
    list.iter()
        .find(|e| e.matches(name))
        .ok_or_else(|| Error::UnknownName {
            field,
            value: name.to_string(),
            expected: list
                .iter()
                .flat_map(|e| std::iter::once(&e.name).chain(&e.aliases))
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
                + " (or a numeric coefficient per °C)",
        })
}

/// A tolerance that applies to some test points (all of them when `test_points` is empty).
///
/// (Unknown fields are not rejected here: serde cannot deny them through `flatten`.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRule<T> {
    /// The test points the rule is for; empty = every test point not matched by an earlier rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_points: Vec<TestPoint>,
    /// The rule.
    #[serde(flatten)]
    pub rule: T,
}

/// The indication-error rule of a group of test points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicationRule {
    /// The maximum permissible error.
    pub tolerance: Tolerance,
}

/// How the repeatability of the draws at one test point is computed and limited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RepeatabilityRule {
    /// JJG 443: E_r = (E_max − E_min) / C_n ≤ `limit_pct`, with C_n the range coefficient
    /// (d₂) for n draws.
    RangeOverCoefficient {
        /// The limit on E_r, in %.
        limit_pct: f64,
        /// C_n for each number of draws n.
        coefficients: Vec<RangeCoefficient>,
        /// The clause.
        #[serde(default)]
        source: String,
    },
    /// OIML R117 / HB44: E_max − E_min ≤ `fraction` × the tolerance (its wider side, in % of
    /// the mean corrected standard volume of the draws).
    RangeFractionOfTolerance {
        /// The fraction, e.g. 0.4 (2/5).
        fraction: f64,
        /// The tolerance the fraction is taken of.
        tolerance: Tolerance,
        /// The clause.
        #[serde(default)]
        source: String,
    },
}

impl RepeatabilityRule {
    /// The clause cited by the rule.
    pub fn source(&self) -> &str {
        match self {
            RepeatabilityRule::RangeOverCoefficient { source, .. }
            | RepeatabilityRule::RangeFractionOfTolerance { source, .. } => source,
        }
    }
}

/// The range coefficient C_n (d₂) for n draws.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeCoefficient {
    /// The number of draws.
    pub n: u32,
    /// C_n.
    pub c: f64,
}

/// How much the indicated amount may differ from unit price × indicated volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum AmountAllowance {
    /// A fixed money amount (e.g. the smallest monetary unit, 0.01 元).
    Money {
        /// The allowed difference, ≥ 0.
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
    },
    /// The price of a volume given by a tolerance evaluated at the indicated volume (MID /
    /// R117: the price of E_min).
    PriceOfTolerance {
        /// The tolerance whose upper side is the volume.
        tolerance: Tolerance,
    },
}

/// The amount (price computation) check of a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountRule {
    /// How unit price × volume is rounded to the displayed amount.
    pub rounding: Rounding,
    /// How far the indicated amount may lie from the rounded product.
    pub allowance: AmountAllowance,
    /// The clause.
    #[serde(default)]
    pub source: String,
}

/// One verification stage of a dispenser profile (first verification, in-service, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispenserStage {
    /// The stage's name, as given to `--stage`.
    pub name: String,
    /// A human title.
    #[serde(default)]
    pub title: String,
    /// Indication-error rules, first match by test point wins.
    pub indication: Vec<PointRule<IndicationRule>>,
    /// Repeatability rules, first match by test point wins; none = not judged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repeatability: Vec<PointRule<RepeatabilityRule>>,
    /// Rounding of the error (and repeatability) before comparing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_rounding: Option<ResultRounding>,
    /// Test points a nozzle must have for a verdict other than incomplete.
    #[serde(default)]
    pub required_test_points: Cited<Vec<TestPoint>>,
    /// The number of usable draws each required test point needs (repeatability needs ≥ 2).
    #[serde(default = "one")]
    pub draws_per_test_point: Cited<u32>,
    /// The amount check; none = amounts are not judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<AmountRule>,
}

fn one() -> Cited<u32> {
    Cited {
        value: 1,
        source: String::new(),
    }
}

impl<T: Default> Default for Cited<T> {
    fn default() -> Self {
        Cited {
            value: T::default(),
            source: String::new(),
        }
    }
}

impl DispenserStage {
    /// The indication rule for `tp`.
    pub fn indication_for(&self, tp: TestPoint) -> Option<&IndicationRule> {
        pick(&self.indication, tp)
    }

    /// The repeatability rule for `tp`, if the stage judges it.
    pub fn repeatability_for(&self, tp: TestPoint) -> Option<&RepeatabilityRule> {
        pick(&self.repeatability, tp)
    }
}

fn pick<T>(rules: &[PointRule<T>], tp: TestPoint) -> Option<&T> {
    rules
        .iter()
        .find(|r| r.test_points.is_empty() || r.test_points.contains(&tp))
        .map(|r| &r.rule)
}

/// A fuel-dispenser profile: one regulation's rules for judging nozzle draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispenserProfile {
    /// Stable id, e.g. `"jjg443-2015"`.
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
    /// Thermal coefficients and applicability limits.
    pub thermal: ThermalRules,
    /// The minimum measured quantity assumed when a nozzle's own is not given, litres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mmq_l: Option<Cited<f64>>,
    /// The stage used when none is named.
    pub default_stage: String,
    /// The stages.
    pub stages: Vec<DispenserStage>,
}

/// Parses a profile (of any kind) from JSON text; a syntax or shape error names its position.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::InvalidProfile {
        profile: "<json>".into(),
        path: format!("line {} column {}", e.line(), e.column()),
        reason: e.to_string(),
    })
}

/// The built-in profile `id` (trimmed) from `text` (the table of embedded JSON texts), parsed
/// by `from_json`; an unknown id lists the `known` ones.
pub(crate) fn builtin_profile<T>(
    id: &str,
    known: &[&str],
    text: fn(&str) -> Option<&'static str>,
    from_json: fn(&str) -> Result<T>,
) -> Result<T> {
    let text = text(id.trim()).ok_or_else(|| Error::UnknownProfile {
        id: id.to_string(),
        known: known.join(", "),
    })?;
    from_json(text)
}

/// The start of every profile's `validate`: the maker of its errors (naming the profile, or
/// `<unnamed>`), after checking that `id` and `version` are not blank.
pub(crate) fn validation_start<'a>(
    id: &'a str,
    version: &str,
) -> Result<impl Fn(String, String) -> Error + 'a> {
    let fail = move |path: String, reason: String| Error::InvalidProfile {
        profile: if id.is_empty() {
            "<unnamed>".into()
        } else {
            id.to_string()
        },
        path,
        reason,
    };
    if id.trim().is_empty() {
        return Err(fail("id".into(), "must not be empty".into()));
    }
    if version.trim().is_empty() {
        return Err(fail("version".into(), "must not be empty".into()));
    }
    Ok(fail)
}

/// The stage called `name` (case-insensitive, trimmed) among `stages`; an unknown name lists
/// the known ones.
pub(crate) fn find_stage<'a, S>(
    profile: &str,
    stages: &'a [S],
    name: &str,
    stage_name: impl Fn(&S) -> &str,
) -> Result<&'a S> {
    stages
        .iter()
        .find(|s| stage_name(s).eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| Error::UnknownStage {
            profile: profile.to_string(),
            stage: name.to_string(),
            known: stages
                .iter()
                .map(&stage_name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The ids of the built-in dispenser profiles.
pub const BUILTIN_DISPENSER_PROFILES: [&str; 4] =
    ["jjg443-2015", "oiml-r117-1", "nist-hb44-3.30", "mid-mi005"];

fn builtin_text(id: &str) -> Option<&'static str> {
    Some(match id {
        "jjg443-2015" => include_str!("profiles/jjg443-2015.json"),
        "oiml-r117-1" => include_str!("profiles/oiml-r117-1.json"),
        "nist-hb44-3.30" => include_str!("profiles/nist-hb44-3.30.json"),
        "mid-mi005" => include_str!("profiles/mid-mi005.json"),
        _ => return None,
    })
}

impl DispenserProfile {
    /// A built-in profile by id (see [`BUILTIN_DISPENSER_PROFILES`]).
    pub fn builtin(id: &str) -> Result<Self> {
        builtin_profile(
            id,
            &BUILTIN_DISPENSER_PROFILES,
            builtin_text,
            Self::from_json,
        )
    }

    /// Every built-in profile.
    pub fn builtins() -> Result<Vec<Self>> {
        BUILTIN_DISPENSER_PROFILES
            .iter()
            .map(|id| Self::builtin(id))
            .collect()
    }

    /// Parses and validates a profile written in JSON.
    ///
    /// ```
    /// use verimeter::profile::DispenserProfile;
    /// let mut json: serde_json::Value =
    ///     serde_json::to_value(DispenserProfile::builtin("jjg443-2015").unwrap()).unwrap();
    /// json["stages"][0]["indication"][0]["tolerance"]["pct"] = serde_json::json!(-0.3);
    /// let err = DispenserProfile::from_json(&json.to_string()).unwrap_err();
    /// assert!(err.to_string().contains("pct must be finite and >= 0, got -0.3"), "{err}");
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let p: DispenserProfile = crate::profile::parse_json(text)?;
        p.validate()?;
        Ok(p)
    }

    /// The stage named `name`, or the default stage.
    pub fn stage(&self, name: Option<&str>) -> Result<&DispenserStage> {
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

    /// Checks the whole profile: every number finite and in range, every table ordered,
    /// every name unique, the default stage defined.
    pub fn validate(&self) -> Result<()> {
        let fail = validation_start(&self.id, &self.version)?;
        let t = &self.thermal;
        let finite = |path: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(fail(path.into(), format!("must be finite, got {v}")))
            }
        };
        let positive = |path: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(fail(
                    path.into(),
                    format!("must be finite and > 0, got {v}"),
                ))
            }
        };
        finite(
            "thermal.reference_temperature_c",
            t.reference_temperature_c.value,
        )?;
        for (list, name) in [(&t.fuels, "fuels"), (&t.can_materials, "can_materials")] {
            if list.is_empty() {
                return Err(fail(format!("thermal.{name}"), "must not be empty".into()));
            }
            for (i, e) in list.iter().enumerate() {
                let p = format!("thermal.{name}[{i}]");
                if e.name.trim().is_empty() {
                    return Err(fail(format!("{p}.name"), "must not be empty".into()));
                }
                if e.name.parse::<f64>().is_ok() {
                    return Err(fail(format!("{p}.name"), "must not be a number".into()));
                }
                finite(&format!("{p}.beta_per_c"), e.beta_per_c)?;
                if e.beta_per_c < 0.0 || e.beta_per_c > 0.01 {
                    return Err(fail(
                        format!("{p}.beta_per_c"),
                        format!("must lie in [0, 0.01] per °C, got {}", e.beta_per_c),
                    ));
                }
            }
        }
        if let Some(m) = &t.default_can_material {
            t.can_material(&m.value)
                .map_err(|e| fail("thermal.default_can_material".into(), e.to_string()))?;
        }
        if let Some(c) = &t.max_temperature_difference_c {
            positive("thermal.max_temperature_difference_c", c.value)?;
        }
        if let Some(c) = &t.max_can_temperature_offset_c {
            positive("thermal.max_can_temperature_offset_c", c.value)?;
        }
        if let Some(m) = &self.default_mmq_l {
            positive("default_mmq_l", m.value)?;
        }
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
            if s.indication.is_empty() {
                return Err(fail(format!("{p}.indication"), "must not be empty".into()));
            }
            for tp in TestPoint::ALL {
                if s.indication_for(tp).is_none() {
                    return Err(fail(
                        format!("{p}.indication"),
                        format!("no rule covers test point {tp}; add a rule with no test_points as the default"),
                    ));
                }
            }
            for (j, r) in s.indication.iter().enumerate() {
                r.rule
                    .tolerance
                    .validate(&format!("{p}.indication[{j}].tolerance"))
                    .map_err(|(path, reason)| fail(path, reason))?;
            }
            for (j, r) in s.repeatability.iter().enumerate() {
                let rp = format!("{p}.repeatability[{j}]");
                match &r.rule {
                    RepeatabilityRule::RangeOverCoefficient {
                        limit_pct,
                        coefficients,
                        ..
                    } => {
                        if !(limit_pct.is_finite() && *limit_pct >= 0.0) {
                            return Err(fail(
                                format!("{rp}.limit_pct"),
                                format!("must be finite and >= 0, got {limit_pct}"),
                            ));
                        }
                        if coefficients.is_empty() {
                            return Err(fail(
                                format!("{rp}.coefficients"),
                                "must not be empty".into(),
                            ));
                        }
                        for (k, c) in coefficients.iter().enumerate() {
                            if c.n < 2 {
                                return Err(fail(
                                    format!("{rp}.coefficients[{k}].n"),
                                    format!("must be >= 2, got {}", c.n),
                                ));
                            }
                            positive(&format!("{rp}.coefficients[{k}].c"), c.c)?;
                        }
                    }
                    RepeatabilityRule::RangeFractionOfTolerance {
                        fraction,
                        tolerance,
                        ..
                    } => {
                        positive(&format!("{rp}.fraction"), *fraction)?;
                        tolerance
                            .validate(&format!("{rp}.tolerance"))
                            .map_err(|(path, reason)| fail(path, reason))?;
                    }
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
            if let Some(a) = &s.amount {
                a.rounding
                    .validate()
                    .map_err(|e| fail(format!("{p}.amount.rounding.step"), e.to_string()))?;
                match &a.allowance {
                    AmountAllowance::Money { amount } if *amount < Decimal::ZERO => {
                        return Err(fail(
                            format!("{p}.amount.allowance.amount"),
                            format!("must be >= 0, got {amount}"),
                        ))
                    }
                    AmountAllowance::PriceOfTolerance { tolerance } => tolerance
                        .validate(&format!("{p}.amount.allowance.tolerance"))
                        .map_err(|(path, reason)| fail(path, reason))?,
                    _ => {}
                }
            }
        }
        self.stage(None)
            .map_err(|e| fail("default_stage".into(), e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_validates() {
        for id in BUILTIN_DISPENSER_PROFILES {
            let p = DispenserProfile::builtin(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(p.id, id);
            // Round trip: what we serialise is what we read.
            let again = DispenserProfile::from_json(&serde_json::to_string(&p).unwrap()).unwrap();
            assert_eq!(again, p);
        }
    }

    #[test]
    fn every_builtin_number_is_cited() {
        for p in DispenserProfile::builtins().unwrap() {
            let v = serde_json::to_value(&p).unwrap();
            check_cited(&v, &p.id, "$");
        }
    }

    /// Every object holding a number (other than structural counts) has a non-empty source,
    /// itself or in an enclosing object.
    fn check_cited(v: &serde_json::Value, id: &str, path: &str) {
        if let serde_json::Value::Object(m) = v {
            let cited = m
                .get("source")
                .and_then(|s| s.as_str())
                .is_some_and(|s| !s.is_empty());
            if cited {
                return;
            }
            for (k, x) in m {
                if x.is_number() && !matches!(k.as_str(), "n" | "c" | "from" | "decimals") {
                    panic!("{id}: {path}.{k} = {x} has no source");
                }
                check_cited(x, id, &format!("{path}.{k}"));
            }
        } else if let serde_json::Value::Array(a) = v {
            for (i, x) in a.iter().enumerate() {
                check_cited(x, id, &format!("{path}[{i}]"));
            }
        }
    }

    #[test]
    fn unknown_stage_lists_known() {
        let p = DispenserProfile::builtin("nist-hb44-3.30").unwrap();
        let e = p.stage(Some("bogus")).unwrap_err().to_string();
        assert!(e.contains("acceptance") && e.contains("maintenance"), "{e}");
    }

    #[test]
    fn malformed_json_is_an_error_with_position() {
        let e = DispenserProfile::from_json("{\"id\": 3")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
    }
}
