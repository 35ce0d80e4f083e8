//! Taximeter meter tests: distance and time readings → errors → verdicts, and the
//! calibration of the meter constant k.
//!
//! A taximeter is tested on its distance measurement (on the road or a roller against a
//! measured reference distance; on a bench against a simulated signal count) and on its time
//! measurement (against a reference clock). Both give a relative error
//!
//! ```text
//! δ = (indicated − reference) / reference × 100 %
//! ```
//!
//! positive when the meter **over-registers** (runs fast, against the passenger). On a bench
//! the device feeds N signals while the meter, with constant k signals/km, shows the test
//! distance Q: the reference distance is N/k, so δ = (k·Q − N)/N × 100 %.
//!
//! Tolerances are data in a [`TaximeterProfile`] (built in: `jjg517-2016`, `oiml-r21`,
//! `nist-hb44-5.54`, `mid-mi007`); asymmetric bands (JJG 517 installed: −4.0 % … +1.0 %) are
//! ordinary [`Tolerance::Asymmetric`](crate::tolerance::Tolerance::Asymmetric) values, floors
//! (MID: ±0.2 % but at least 4 m) are `Max` expressions.
//!
//! ```
//! use verimeter::taximeter::{evaluate_test, MeterTest, TaximeterProfile};
//! use verimeter::units::Unit;
//! use verimeter::Verdict;
//!
//! let profile = TaximeterProfile::builtin("jjg517-2016")?;
//! let stage = profile.stage(Some("installed"))?;
//! // Worked case T1: reference 2.000 km, the meter shows 1.930 km.
//! let r = evaluate_test(&profile, stage, &MeterTest::distance(2.000, 1.930, Unit::Kilometre))?;
//! assert!((r.error_pct - (-3.5)).abs() < 1e-9);
//! assert_eq!((r.limits_pct.lower, r.limits_pct.upper), (-4.0, 1.0));
//! assert_eq!(r.mpe_pct, 4.0); // the under-registration side
//! assert_eq!(r.verdict, Verdict::Pass);
//! # Ok::<(), verimeter::Error>(())
//! ```
//!
//! Calibration of k (from a measured error or from the vehicle's coefficient w) is in
//! [`calibration`]; the pure formulas ([`meter_error_pct`], [`bench_distance_error_pct`],
//! [`installed_error_pct`], [`k_for_target`]) are shared with batch paths.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decision::{DecisionRule, DecisionStatement};
use crate::error::{finite, positive, Error, Result};
use crate::profile::ProfileRef;
use crate::tolerance::{judge, PctLimits, ToleranceContext};
use crate::uncertainty::Expanded;
use crate::units::{Dimension, Unit};
use crate::verdict::Verdict;

pub mod calibration;
pub mod profile;

pub use calibration::{
    calibrate, calibrate_for_stage, installed_error_pct, k_for_target, Calibration, Measured,
};
pub use profile::{TaximeterProfile, TaximeterStage, BUILTIN_TAXIMETER_PROFILES};

/// What a meter test measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TestKind {
    /// The distance test (road, roller or bench); base unit the metre.
    Distance,
    /// The time test; base unit the second.
    Time,
}

impl TestKind {
    /// The name used in CSV and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Distance => "distance",
            TestKind::Time => "time",
        }
    }

    /// The dimension of the quantity measured.
    pub fn dimension(self) -> Dimension {
        match self {
            TestKind::Distance => Dimension::Length,
            TestKind::Time => Dimension::Time,
        }
    }

    /// The base unit results are reported in: metres or seconds.
    pub fn base_unit(self) -> Unit {
        match self {
            TestKind::Distance => Unit::Metre,
            TestKind::Time => Unit::Second,
        }
    }

    fn expected_units(self) -> &'static str {
        match self {
            TestKind::Distance => "length (m, km, mi)",
            TestKind::Time => "time (s, min, h)",
        }
    }

    /// Parses `distance`/`d` or `time`/`t` (case-insensitive).
    pub fn parse(name: &str) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "distance" | "d" | "dist" => Ok(TestKind::Distance),
            "time" | "t" | "duration" => Ok(TestKind::Time),
            other => Err(Error::UnknownName {
                field: "test kind",
                value: other.to_string(),
                expected: "distance, time".into(),
            }),
        }
    }
}

impl fmt::Display for TestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One distance or time test: the reference quantity and the meter's indication.
///
/// The two may be in different units of the right dimension (e.g. a reference measured in
/// metres against an indication in kilometres).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeterTest {
    /// Distance or time.
    pub kind: TestKind,
    /// The reference (true) quantity, in `reference_unit`, > 0.
    pub reference: f64,
    /// The unit of `reference`.
    pub reference_unit: Unit,
    /// The meter's indication, in `indicated_unit`, ≥ 0.
    pub indicated: f64,
    /// The unit of `indicated`.
    pub indicated_unit: Unit,
}

impl MeterTest {
    /// A distance test, both readings in `unit` (m, km or mi).
    pub fn distance(reference: f64, indicated: f64, unit: Unit) -> Self {
        Self::new(TestKind::Distance, reference, indicated, unit)
    }

    /// A time test, both readings in `unit` (s, min or h).
    pub fn time(reference: f64, indicated: f64, unit: Unit) -> Self {
        Self::new(TestKind::Time, reference, indicated, unit)
    }

    /// A test of `kind`, both readings in `unit`.
    pub fn new(kind: TestKind, reference: f64, indicated: f64, unit: Unit) -> Self {
        Self {
            kind,
            reference,
            reference_unit: unit,
            indicated,
            indicated_unit: unit,
        }
    }

    /// The same test with the indication in another unit.
    pub fn with_indicated_unit(mut self, unit: Unit) -> Self {
        self.indicated_unit = unit;
        self
    }

    /// The reference and indication in the base unit (m or s), checked: units of the right
    /// dimension, reference finite and > 0, indication finite and ≥ 0.
    pub fn to_base(&self) -> Result<(f64, f64)> {
        let kind = self.kind;
        for (field, unit) in [
            ("reference_unit", self.reference_unit),
            ("indicated_unit", self.indicated_unit),
        ] {
            if unit.dimension() != kind.dimension() {
                return Err(Error::WrongUnit {
                    field,
                    unit: unit.symbol(),
                    expected: kind.expected_units(),
                });
            }
        }
        positive("reference", self.reference)?;
        finite("indicated", self.indicated)?;
        if self.indicated < 0.0 {
            return Err(Error::Negative {
                field: "indicated",
                value: self.indicated,
            });
        }
        let reference = finite("reference", self.reference_unit.to_base(self.reference))?;
        let indicated = finite("indicated", self.indicated_unit.to_base(self.indicated))?;
        // A positive reference in km or h can underflow to 0 only below 1e-300; keep it typed.
        Ok((positive("reference", reference)?, indicated))
    }
}

/// A bench distance test of the meter alone: a simulator feeds signals to a meter whose
/// constant is k signals/km until the meter shows the test distance Q; the device counts N.
///
/// The reference distance is N/k: δ = (k·Q − N)/N × 100 % (JJG 517-2016 §7.1 bench
/// verification; formula derived from the variables ⚠).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BenchDistanceTest {
    /// k, the meter constant, signals (revolutions or pulses) per km, > 0.
    pub k_per_km: f64,
    /// Q, the test distance the meter shows, in `unit`, > 0.
    pub distance: f64,
    /// The unit of `distance` (m, km or mi).
    pub unit: Unit,
    /// N, the signals the bench device counted while the meter advanced by Q, > 0.
    pub count: f64,
}

impl BenchDistanceTest {
    /// A bench test with constant `k_per_km`, test distance `distance` in `unit`, count `count`.
    pub fn new(k_per_km: f64, distance: f64, unit: Unit, count: f64) -> Self {
        Self {
            k_per_km,
            distance,
            unit,
            count,
        }
    }

    /// The equivalent [`MeterTest`]: reference N/k km, indication Q.
    pub fn to_meter_test(&self) -> Result<MeterTest> {
        let k = positive("k_per_km", self.k_per_km)?;
        let n = positive("count", self.count)?;
        positive("distance", self.distance)?;
        if self.unit.dimension() != Dimension::Length {
            return Err(Error::WrongUnit {
                field: "unit",
                unit: self.unit.symbol(),
                expected: TestKind::Distance.expected_units(),
            });
        }
        let reference_km = positive("count / k_per_km", n / k)?;
        Ok(
            MeterTest::distance(reference_km, self.distance, Unit::Kilometre)
                .with_indicated_unit(self.unit),
        )
    }
}

/// δ = (indicated − reference) / reference × 100 %: the one formula of every meter test
/// (positive = over-registration, against the passenger). Both in the same unit.
#[inline]
pub fn meter_error_pct(indicated: f64, reference: f64) -> f64 {
    (indicated - reference) / reference * 100.0
}

/// δ = (k·Q − N) / N × 100 %: the bench distance error of a meter with constant `k_per_km`
/// that shows `q_km` after `count` signals (worked case T4: k = 1000, Q = 1, N = 1001.5 →
/// −0.150 %). Equal to [`meter_error_pct`]`(Q, N/k)` up to rounding.
#[inline]
pub fn bench_distance_error_pct(k_per_km: f64, q_km: f64, count: f64) -> f64 {
    (k_per_km * q_km - count) / count * 100.0
}

/// Everything computed for one distance or time test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeterTestResult {
    /// The profile and stage judged against.
    pub profile: ProfileRef,
    /// Distance or time.
    pub kind: TestKind,
    /// The base unit of `reference` and `indicated`: metres or seconds.
    pub unit: Unit,
    /// The reference quantity, base unit.
    pub reference: f64,
    /// The meter's indication, base unit.
    pub indicated: f64,
    /// δ, %, unrounded.
    pub error_pct: f64,
    /// δ as judged: rounded by the stage's rule where it has one, else equal to `error_pct`.
    pub judged_error_pct: f64,
    /// The limits, % of the reference (lower ≤ 0 ≤ upper).
    pub limits_pct: PctLimits,
    /// The limit on the side of the error, % (the MPE the error was judged against).
    pub mpe_pct: f64,
    /// The clause(s) the limits come from.
    pub clause: String,
    /// Pass when the judged error lies within the limits (limits included); under a decision
    /// rule (see [`apply_decision`]) the rule's verdict.
    pub verdict: Verdict,
    /// The uncertainty and decision rule applied, where one was (see [`apply_decision`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionStatement>,
}

/// Re-judges a meter test's error under a decision rule with the expanded uncertainty
/// `expanded` of δ (percentage points), and records both on the result (ILAC-G8:2019).
///
/// The error judged is the one the profile judges (rounded where it rounds).
///
/// ```
/// use verimeter::decision::DecisionRule;
/// use verimeter::taximeter::{apply_decision, evaluate_test, MeterTest, TaximeterProfile};
/// use verimeter::uncertainty::TaximeterBudgetSpec;
/// use verimeter::units::Unit;
/// use verimeter::Verdict;
/// let p = TaximeterProfile::builtin("jjg517-2016")?;
/// let stage = p.stage(Some("installed"))?;
/// // −3.9 % is inside −4.0 … +1.0 %, but within U of the lower limit.
/// let mut r = evaluate_test(&p, stage, &MeterTest::distance(1.0, 0.961, Unit::Kilometre))?;
/// let budget = TaximeterBudgetSpec::default().distance_budget(r.reference)?;
/// apply_decision(&mut r, budget.expanded, DecisionRule::NonBinary { guard_factor: 1.0 }, &budget.name)?;
/// assert_eq!(r.verdict, Verdict::ConditionalPass);
/// assert!(r.decision.is_some());
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn apply_decision(
    result: &mut MeterTestResult,
    expanded: Expanded,
    rule: DecisionRule,
    budget: &str,
) -> Result<()> {
    result.verdict = rule.decide(result.judged_error_pct, result.limits_pct, expanded.u)?;
    result.decision = Some(DecisionStatement {
        expanded_uncertainty_pct: expanded.u,
        k: expanded.k,
        rule: rule.name().to_string(),
        guard_band_pct: rule.guard_band(expanded.u),
        budget: budget.to_string(),
    });
    Ok(())
}

/// The reference to `profile` at `stage`, as carried by every result.
pub fn profile_ref(profile: &TaximeterProfile, stage: &TaximeterStage) -> ProfileRef {
    ProfileRef {
        id: profile.id.clone(),
        version: profile.version.clone(),
        stage: stage.name.clone(),
    }
}

/// Judges one distance or time test against a profile stage.
///
/// Errors (never panics): a unit of the wrong dimension; a reference that is not finite or
/// not positive; an indication that is not finite or is negative; a stage that sets no tolerance for
/// the test's kind; a tolerance that needs context the test does not give; an error too large
/// to represent.
pub fn evaluate_test(
    profile: &TaximeterProfile,
    stage: &TaximeterStage,
    test: &MeterTest,
) -> Result<MeterTestResult> {
    let (reference, indicated) = test.to_base()?;
    judge_in_base(profile, stage, test.kind, reference, indicated)
}

/// Judges a distance test; `reference` and `indicated` in `unit` (m, km or mi).
pub fn evaluate_distance(
    profile: &TaximeterProfile,
    stage: &TaximeterStage,
    reference: f64,
    indicated: f64,
    unit: Unit,
) -> Result<MeterTestResult> {
    evaluate_test(
        profile,
        stage,
        &MeterTest::distance(reference, indicated, unit),
    )
}

/// Judges a time test; `reference` and `indicated` in `unit` (s, min or h).
pub fn evaluate_time(
    profile: &TaximeterProfile,
    stage: &TaximeterStage,
    reference: f64,
    indicated: f64,
    unit: Unit,
) -> Result<MeterTestResult> {
    evaluate_test(profile, stage, &MeterTest::time(reference, indicated, unit))
}

/// Judges a bench distance test (see [`BenchDistanceTest`]).
///
/// ```
/// use verimeter::taximeter::{evaluate_bench_distance, BenchDistanceTest, TaximeterProfile};
/// use verimeter::units::Unit;
/// let p = TaximeterProfile::builtin("jjg517-2016")?;
/// // Worked case T4: k = 1000 r/km, Q = 1 km, N = 1001.5 → δ = −0.150 %.
/// let r = evaluate_bench_distance(&p, p.stage(Some("meter"))?,
///     &BenchDistanceTest::new(1000.0, 1.0, Unit::Kilometre, 1001.5))?;
/// assert_eq!(format!("{:.3}", r.error_pct), "-0.150");
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn evaluate_bench_distance(
    profile: &TaximeterProfile,
    stage: &TaximeterStage,
    test: &BenchDistanceTest,
) -> Result<MeterTestResult> {
    evaluate_test(profile, stage, &test.to_meter_test()?)
}

fn judge_in_base(
    profile: &TaximeterProfile,
    stage: &TaximeterStage,
    kind: TestKind,
    reference: f64,
    indicated: f64,
) -> Result<MeterTestResult> {
    let error_pct = finite("error_pct", meter_error_pct(indicated, reference))?;
    let tolerance = stage.tolerance(kind)?;
    let ctx = ToleranceContext::new(reference);
    let limits_pct = tolerance.evaluate(&ctx)?.as_pct(reference)?;
    let (judged_error_pct, verdict) = judge(error_pct, limits_pct, stage.result_rounding.as_ref());
    Ok(MeterTestResult {
        profile: profile_ref(profile, stage),
        kind,
        unit: kind.base_unit(),
        reference,
        indicated,
        error_pct,
        judged_error_pct,
        limits_pct,
        mpe_pct: limits_pct.applicable(judged_error_pct),
        clause: tolerance.clause_at(&ctx),
        verdict,
        decision: None,
    })
}
