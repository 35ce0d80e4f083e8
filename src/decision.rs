//! Decision rules: turning a result, its tolerance and its uncertainty into a verdict
//! (ILAC-G8:09/2019; JCGM 106:2012), and the probabilities and risks behind them.
//!
//! A guard band w = r·U moves the acceptance limits inside (guarded acceptance) or outside
//! (guarded rejection) the tolerance limits. The non-binary rule of ILAC-G8:2019 gives four
//! statements:
//!
//! ```text
//!   fail | conditional fail | conditional pass |     pass      | conditional pass | conditional fail | fail
//!  ──────┼──────────────────┼──────────────────┼───────────────┼──────────────────┼──────────────────┼──────
//!     T_L − w            T_L              T_L + w         T_U − w            T_U              T_U + w
//! ```
//!
//! A result exactly on a limit belongs to the better side (inclusive limits, like the
//! tolerance judging of [`crate::tolerance::judge`]).
//!
//! ```
//! use verimeter::decision::{DecisionRule, probability_of_conformance};
//! use verimeter::tolerance::PctLimits;
//! use verimeter::Verdict;
//! let lim = PctLimits::symmetric(0.30);
//! let rule = DecisionRule::NonBinary { guard_factor: 1.0 };
//! assert_eq!(rule.decide(0.20, lim, 0.05).unwrap(), Verdict::Pass);
//! assert_eq!(rule.decide(0.28, lim, 0.05).unwrap(), Verdict::ConditionalPass);
//! assert_eq!(rule.decide(0.32, lim, 0.05).unwrap(), Verdict::ConditionalFail);
//! assert_eq!(rule.decide(0.40, lim, 0.05).unwrap(), Verdict::Fail);
//! // JCGM 106 example: y = 9.6, u = 0.2, T_U = 10 → p_c = Φ(2) = 0.977250.
//! let p = probability_of_conformance(9.6, 0.2, None, Some(10.0)).unwrap();
//! assert!((p - 0.977250).abs() < 5e-7);
//! ```

use serde::{Deserialize, Serialize};
use statrs::distribution::{Continuous, ContinuousCDF};

use crate::error::{finite, positive, Error, Result};
use crate::tolerance::{PctLimits, LIMIT_SLACK_PCT};
use crate::uncertainty::standard_normal;
use crate::verdict::Verdict;

/// A decision rule agreed before measuring (ISO/IEC 17025 §7.1.3; ILAC-G8:2019).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DecisionRule {
    /// Simple acceptance (ILAC-G8:2019, w = 0): pass within the tolerance limits.
    Simple,
    /// Binary guarded acceptance (ILAC-G8:2019; JCGM 106): pass only within
    /// T ∓ w, w = r·U.
    Guarded {
        /// r in w = r·U.
        guard_factor: f64,
    },
    /// Binary guarded rejection (JCGM 106): fail only beyond T ± w.
    GuardedRejection {
        /// r in w = r·U.
        guard_factor: f64,
    },
    /// Non-binary statement with guard band (ILAC-G8:2019): pass / conditional pass /
    /// conditional fail / fail.
    NonBinary {
        /// r in w = r·U.
        guard_factor: f64,
    },
}

impl DecisionRule {
    /// The rule's name as used by the CLI (`simple`, `guarded`, `guarded-rejection`,
    /// `non-binary`).
    pub fn name(&self) -> &'static str {
        match self {
            DecisionRule::Simple => "simple",
            DecisionRule::Guarded { .. } => "guarded",
            DecisionRule::GuardedRejection { .. } => "guarded-rejection",
            DecisionRule::NonBinary { .. } => "non-binary",
        }
    }

    /// Parses a rule name with a guard factor (ignored by `simple`).
    pub fn parse(name: &str, guard_factor: f64) -> Result<Self> {
        let r = match name.trim().to_ascii_lowercase().as_str() {
            "simple" => return Ok(DecisionRule::Simple),
            "guarded" | "guarded-acceptance" => DecisionRule::Guarded { guard_factor },
            "guarded-rejection" => DecisionRule::GuardedRejection { guard_factor },
            "non-binary" | "nonbinary" => DecisionRule::NonBinary { guard_factor },
            other => {
                return Err(Error::UnknownName {
                    field: "decision rule",
                    value: other.to_string(),
                    expected: "simple, guarded, guarded-rejection, non-binary".into(),
                })
            }
        };
        r.validate()?;
        Ok(r)
    }

    fn guard_factor(&self) -> f64 {
        match self {
            DecisionRule::Simple => 0.0,
            DecisionRule::Guarded { guard_factor }
            | DecisionRule::GuardedRejection { guard_factor }
            | DecisionRule::NonBinary { guard_factor } => *guard_factor,
        }
    }

    /// Checks that the guard factor is finite and ≥ 0.
    pub fn validate(&self) -> Result<()> {
        let r = finite("guard factor", self.guard_factor())?;
        if r < 0.0 {
            return Err(Error::Negative {
                field: "guard factor",
                value: r,
            });
        }
        Ok(())
    }

    /// The guard band w = r·U for an expanded uncertainty `expanded_u`.
    pub fn guard_band(&self, expanded_u: f64) -> f64 {
        self.guard_factor() * expanded_u
    }

    /// Decides on a result `y` (same unit as the limits) with expanded uncertainty `expanded_u`.
    ///
    /// Errors: non-finite y, negative or non-finite U, invalid guard factor.
    pub fn decide(&self, y: f64, limits: PctLimits, expanded_u: f64) -> Result<Verdict> {
        self.validate()?;
        finite("result", y)?;
        let u = finite("expanded uncertainty", expanded_u)?;
        if u < 0.0 {
            return Err(Error::Negative {
                field: "expanded uncertainty",
                value: u,
            });
        }
        let w = self.guard_band(u);
        let within = |lo: f64, hi: f64| {
            let s = |x: f64| LIMIT_SLACK_PCT * x.abs().max(1.0);
            y >= lo - s(lo) && y <= hi + s(hi)
        };
        let (tl, tu) = (limits.lower, limits.upper);
        Ok(match self {
            DecisionRule::Simple => pass_fail(within(tl, tu)),
            DecisionRule::Guarded { .. } => pass_fail(tl + w <= tu - w && within(tl + w, tu - w)),
            DecisionRule::GuardedRejection { .. } => pass_fail(within(tl - w, tu + w)),
            DecisionRule::NonBinary { .. } => {
                if tl + w <= tu - w && within(tl + w, tu - w) {
                    Verdict::Pass
                } else if within(tl, tu) {
                    Verdict::ConditionalPass
                } else if within(tl - w, tu + w) {
                    Verdict::ConditionalFail
                } else {
                    Verdict::Fail
                }
            }
        })
    }
}

/// The uncertainty of a result's error and the decision rule its verdict was reached by
/// (a dispenser draw, a taximeter test).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionStatement {
    /// The expanded uncertainty of the error, percentage points.
    pub expanded_uncertainty_pct: f64,
    /// Its coverage factor.
    pub k: f64,
    /// The rule (`simple`, `guarded`, `guarded-rejection`, `non-binary`).
    pub rule: String,
    /// The guard band w = r·U, percentage points.
    pub guard_band_pct: f64,
    /// Where U comes from (the budget's description).
    pub budget: String,
}

fn pass_fail(ok: bool) -> Verdict {
    if ok {
        Verdict::Pass
    } else {
        Verdict::Fail
    }
}

/// The probability that the measurand conforms, for a normal PDF N(y, u²) (JCGM 106):
/// two-sided p_c = Φ((T_U − y)/u) − Φ((T_L − y)/u); one-sided with only one limit given.
pub fn probability_of_conformance(
    y: f64,
    u: f64,
    lower: Option<f64>,
    upper: Option<f64>,
) -> Result<f64> {
    finite("result", y)?;
    positive("standard uncertainty", u)?;
    if lower.is_none() && upper.is_none() {
        return Err(Error::Empty {
            field: "tolerance limits",
        });
    }
    let n = standard_normal();
    let hi = match upper {
        Some(t) => n.cdf((finite("upper limit", t)? - y) / u),
        None => 1.0,
    };
    let lo = match lower {
        Some(t) => n.cdf((finite("lower limit", t)? - y) / u),
        None => 0.0,
    };
    Ok((hi - lo).clamp(0.0, 1.0))
}

/// The measurement capability index C_m = (T_U − T_L) / (4u) (JCGM 106).
pub fn capability_index(lower: f64, upper: f64, u: f64) -> Result<f64> {
    positive("standard uncertainty", u)?;
    Ok((finite("upper limit", upper)? - finite("lower limit", lower)?) / (4.0 * u))
}

/// Specific risks of one decision (JCGM 106): an accepted item's consumer's risk is
/// 1 − p_c, a rejected item's producer's risk is p_c.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpecificRisk {
    /// p_c.
    pub probability_of_conformance: f64,
    /// Consumer's risk if accepted.
    pub consumer_risk_if_accepted: f64,
    /// Producer's risk if rejected.
    pub producer_risk_if_rejected: f64,
}

/// The specific risks for a result y with standard uncertainty u against two-sided limits.
pub fn specific_risk(y: f64, u: f64, lower: f64, upper: f64) -> Result<SpecificRisk> {
    let p = probability_of_conformance(y, u, Some(lower), Some(upper))?;
    Ok(SpecificRisk {
        probability_of_conformance: p,
        consumer_risk_if_accepted: 1.0 - p,
        producer_risk_if_rejected: p,
    })
}

/// Global consumer's and producer's risks (JCGM 106) for a normal process distribution
/// g₀ = N(process_mean, process_sd²), measurement standard uncertainty u, tolerance
/// [T_L, T_U] and acceptance interval [A_L, A_U]:
///
/// R_C = ∫_{η ∉ T} g₀(η) P(accept | η) dη,  R_P = ∫_{η ∈ T} g₀(η) P(reject | η) dη,
/// with P(accept | η) = Φ((A_U − η)/u) − Φ((A_L − η)/u). Integrated by composite Simpson over
/// ±10 process standard deviations (and the limits as breakpoints).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GlobalRisk {
    /// The global consumer's risk R_C.
    pub consumer: f64,
    /// The global producer's risk R_P.
    pub producer: f64,
}

/// Computes [`GlobalRisk`].
pub fn global_risk(
    process_mean: f64,
    process_sd: f64,
    u: f64,
    tolerance: (f64, f64),
    acceptance: (f64, f64),
) -> Result<GlobalRisk> {
    finite("process mean", process_mean)?;
    positive("process standard deviation", process_sd)?;
    positive("standard uncertainty", u)?;
    let (tl, tu) = (
        finite("lower limit", tolerance.0)?,
        finite("upper limit", tolerance.1)?,
    );
    let (al, au) = (
        finite("lower acceptance limit", acceptance.0)?,
        finite("upper acceptance limit", acceptance.1)?,
    );
    if tl >= tu {
        return Err(Error::OutOfScope {
            field: "lower limit",
            value: tl,
            limit: tu,
            clause: "the lower tolerance limit must be below the upper".into(),
        });
    }
    let n = standard_normal();
    let g0 = |eta: f64| n.pdf((eta - process_mean) / process_sd) / process_sd;
    let p_accept = |eta: f64| (n.cdf((au - eta) / u) - n.cdf((al - eta) / u)).max(0.0);
    let lo = process_mean - 10.0 * process_sd;
    let hi = process_mean + 10.0 * process_sd;
    let consumer = simpson(|e| g0(e) * p_accept(e), lo, tl.clamp(lo, hi))
        + simpson(|e| g0(e) * p_accept(e), tu.clamp(lo, hi), hi);
    let producer = simpson(
        |e| g0(e) * (1.0 - p_accept(e)),
        tl.clamp(lo, hi),
        tu.clamp(lo, hi),
    );
    Ok(GlobalRisk { consumer, producer })
}

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    const N: usize = 4000; // even
    let h = (b - a) / N as f64;
    let mut s = f(a) + f(b);
    for i in 1..N {
        let x = a + i as f64 * h;
        s += if i % 2 == 1 { 4.0 } else { 2.0 } * f(x);
    }
    s * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_acceptance_at_the_acceptance_limit() {
        // w = U = 2u; a result exactly at A_U has p_c = Φ(2): consumer's risk 2.28 %.
        let u = 0.1;
        let rule = DecisionRule::Guarded { guard_factor: 1.0 };
        let lim = PctLimits::symmetric(1.0);
        let a_u = 1.0 - rule.guard_band(2.0 * u);
        assert_eq!(rule.decide(a_u, lim, 2.0 * u).unwrap(), Verdict::Pass);
        assert_eq!(
            rule.decide(a_u + 1e-6, lim, 2.0 * u).unwrap(),
            Verdict::Fail
        );
        let p = probability_of_conformance(a_u, u, None, Some(1.0)).unwrap();
        assert!((1.0 - p - 0.02275).abs() < 1e-5);
    }

    #[test]
    fn global_risks_are_small_for_a_capable_process() {
        // Process ±3σ inside the tolerance: 0.27 % of items are non-conforming, so the
        // consumer's risk is below that; both risks are of the order of 10⁻³.
        let r = global_risk(0.0, 0.1, 0.02, (-0.3, 0.3), (-0.3, 0.3)).unwrap();
        assert!(r.consumer > 0.0 && r.consumer < 0.0027, "{r:?}");
        assert!(r.producer > 0.0 && r.producer < 0.005, "{r:?}");
        // Guarding lowers the consumer's risk and raises the producer's.
        let g = global_risk(0.0, 0.1, 0.02, (-0.3, 0.3), (-0.26, 0.26)).unwrap();
        assert!(g.consumer < r.consumer && g.producer > r.producer);
    }

    #[test]
    fn rule_names() {
        assert_eq!(
            DecisionRule::parse("non-binary", 1.0).unwrap().name(),
            "non-binary"
        );
        assert!(DecisionRule::parse("maybe", 1.0).is_err());
        assert!(DecisionRule::parse("guarded", -1.0).is_err());
        assert!(DecisionRule::parse("guarded", f64::NAN).is_err());
    }
}
