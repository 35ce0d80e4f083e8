//! Fare checks: an indicated fare against the tariff's fare, or against the bounds a trip
//! summary allows, under a fare tolerance.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::meter::{to_f64, FareBounds, FareBreakdown};
use crate::error::{Error, Result};
use crate::money::decimal_from_f64;
use crate::tolerance::{Limits, Tolerance, ToleranceContext};
use crate::verdict::Verdict;

/// An indicated fare judged against the fare the tariff gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FareCheck {
    /// The fare the meter (or the record) showed.
    pub indicated: Decimal,
    /// The fare the tariff gives ([`FareBreakdown::fare`]).
    pub expected: Decimal,
    /// indicated − expected.
    pub difference: Decimal,
    /// The allowed difference on the side of `difference`.
    pub allowance: Decimal,
    /// Pass when |difference| ≤ allowance.
    pub verdict: Verdict,
    /// The clause(s) of the tolerance.
    pub clause: String,
}

/// Evaluates `tolerance` at `fare` with the display step, as money (rounded to 1e-9 so that
/// binary noise never flips a verdict at the limit).
pub(crate) fn allowance(
    tolerance: &Tolerance,
    fare: Decimal,
    step: Decimal,
) -> Result<(Limits, String)> {
    let ctx = ToleranceContext::new(to_f64(fare)).with_display_step(Some(to_f64(step)));
    let limits = tolerance.evaluate(&ctx)?;
    Ok((limits, tolerance.clause_at(&ctx)))
}

fn overflow(x: Decimal) -> Error {
    Error::Money {
        field: "fare",
        value: x.to_string(),
        reason: "arithmetic overflow".into(),
    }
}

/// a − b without panicking on overflow.
fn sub(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_sub(b).ok_or_else(|| overflow(a))
}

/// An allowance as money: the limit's shortest decimal, rounded to 1e-9.
pub(crate) fn money(field: &'static str, x: f64) -> Result<Decimal> {
    Ok(decimal_from_f64(field, x)?.round_dp(9))
}

/// Judges `indicated` against the fare of `expected` under a fare tolerance, evaluated with
/// `ToleranceContext::new(fare).with_display_step(display step)` — e.g. MID MI-007's ±0.1 %,
/// at least one least significant display digit: `Max [Relative 0.1, DisplayResolution 1]`.
///
/// ```
/// use rust_decimal::Decimal;
/// use verimeter::tariff::{check_fare, fare_for_summary, Tariff, TripSummary};
/// use verimeter::tolerance::Tolerance;
/// use verimeter::Verdict;
/// let tol: Tolerance = serde_json::from_str(r#"{"kind": "max", "of": [
///     {"kind": "relative", "pct": 0.1}, {"kind": "display_resolution", "digits": 1}],
///     "source": "MID MI-007 fare calculation"}"#).unwrap();
/// let nyc = Tariff::builtin("nyc-yellow-2019")?;
/// let f = fare_for_summary(&nyc, &TripSummary::new("1", 2.0 * 1609.344, 600.0, "2019-03-06 10:00:00".parse()?))?;
/// assert_eq!(check_fare(&f, Decimal::new(751, 2), &tol)?.verdict, Verdict::Pass); // one digit
/// assert_eq!(check_fare(&f, Decimal::new(752, 2), &tol)?.verdict, Verdict::Fail);
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn check_fare(
    expected: &FareBreakdown,
    indicated: Decimal,
    tolerance: &Tolerance,
) -> Result<FareCheck> {
    if indicated < Decimal::ZERO {
        return Err(Error::Money {
            field: "indicated fare",
            value: indicated.to_string(),
            reason: "must be >= 0".into(),
        });
    }
    let (limits, clause) = allowance(tolerance, expected.fare, expected.display_step)?;
    let difference = sub(indicated, expected.fare)?;
    let allowed = if difference < Decimal::ZERO {
        money("fare tolerance", limits.under)?
    } else {
        money("fare tolerance", limits.over)?
    };
    Ok(FareCheck {
        indicated,
        expected: expected.fare,
        difference,
        allowance: allowed,
        verdict: if difference.abs() <= allowed {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        clause,
    })
}

/// Why a fare lies outside the bounds a trip allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BoundsFinding {
    /// Below the minimum fare (less its tolerance) by `by`.
    BelowMinimum {
        /// How far below.
        by: Decimal,
    },
    /// Above the maximum fare (plus its tolerance) by `by`.
    AboveMaximum {
        /// How far above.
        by: Decimal,
    },
}

impl fmt::Display for BoundsFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundsFinding::BelowMinimum { by } => write!(f, "below the minimum fare by {by}"),
            BoundsFinding::AboveMaximum { by } => write!(f, "above the maximum fare by {by}"),
        }
    }
}

/// An indicated fare judged against the bounds of a trip summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BoundsCheck {
    /// The fare shown.
    pub indicated: Decimal,
    /// The minimum fare.
    pub minimum: Decimal,
    /// The maximum fare.
    pub maximum: Decimal,
    /// The tolerance below the minimum.
    pub allowance_below: Decimal,
    /// The tolerance above the maximum.
    pub allowance_above: Decimal,
    /// Outside the bounds: why and by how much (beyond the tolerance).
    pub finding: Option<BoundsFinding>,
    /// Pass when within `[minimum − allowance_below, maximum + allowance_above]`.
    pub verdict: Verdict,
    /// The clause(s) of the tolerance.
    pub clause: String,
}

/// Judges `indicated` against [`FareBounds`]: flagged below the minimum fare less its
/// tolerance, or above the maximum fare plus its tolerance, with the amount.
///
/// ```
/// use rust_decimal::Decimal;
/// use verimeter::tariff::{check_bounds, fare_bounds, BoundsFinding, Tariff, TripSummary};
/// use verimeter::tolerance::Tolerance;
/// let nyc = Tariff::builtin("nyc-yellow-2019")?;
/// let trip = TripSummary::new("1", 1.6 * 1609.344, 375.0, "2019-03-23 20:21:09".parse()?);
/// let b = fare_bounds(&nyc, &trip)?;
/// let tol = Tolerance::absolute(0.0, "exact");
/// assert!(check_bounds(&b, Decimal::new(70, 1), &tol)?.finding.is_none());
/// assert_eq!(check_bounds(&b, Decimal::new(50, 1), &tol)?.finding,
///     Some(BoundsFinding::BelowMinimum { by: Decimal::new(150, 2) }));
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn check_bounds(
    bounds: &FareBounds,
    indicated: Decimal,
    tolerance: &Tolerance,
) -> Result<BoundsCheck> {
    if indicated < Decimal::ZERO {
        return Err(Error::Money {
            field: "indicated fare",
            value: indicated.to_string(),
            reason: "must be >= 0".into(),
        });
    }
    let (lo, hi) = (&bounds.minimum, &bounds.maximum);
    let (l_lo, clause) = allowance(tolerance, lo.fare, lo.display_step)?;
    let (l_hi, _) = allowance(tolerance, hi.fare, hi.display_step)?;
    let below = money("fare tolerance", l_lo.under)?;
    let above = money("fare tolerance", l_hi.over)?;
    let floor = sub(lo.fare, below)?;
    let ceiling = hi
        .fare
        .checked_add(above)
        .ok_or_else(|| overflow(hi.fare))?;
    let finding = if indicated < floor {
        Some(BoundsFinding::BelowMinimum {
            by: sub(floor, indicated)?.normalize(),
        })
    } else if indicated > ceiling {
        Some(BoundsFinding::AboveMaximum {
            by: sub(indicated, ceiling)?.normalize(),
        })
    } else {
        None
    };
    Ok(BoundsCheck {
        indicated,
        minimum: lo.fare,
        maximum: hi.fare,
        allowance_below: below,
        allowance_above: above,
        verdict: if finding.is_some() {
            Verdict::Fail
        } else {
            Verdict::Pass
        },
        finding,
        clause,
    })
}
