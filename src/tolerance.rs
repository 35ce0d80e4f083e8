//! Tolerances as data: every shape the regulations use, and how a result is judged against one.
//!
//! A [`Tolerance`] is a small expression tree, written in a profile's JSON, that evaluates to
//! [`Limits`] — how far below and how far above the reference quantity an indication may lie —
//! for one reading. The shapes of `../shared/reference/tolerance-shapes.md` map onto it:
//!
//! | shape | expression |
//! |---|---|
//! | symmetric relative (±0.30 %) | `Relative { pct: 0.30 }` |
//! | asymmetric relative (−4 % … +1 %) | `Asymmetric { under_pct: 4.0, over_pct: 1.0 }` |
//! | relative with an absolute floor (±0.2 %, at least 4 m) | `Max [Relative 0.2, Absolute 4 m]` |
//! | floor from a derived quantity (E_min = 2·MMQ·A/100) | `Max [table, Scaled 2 (OfMinimumMeasuredQuantity table)]` |
//! | piecewise by quantity (MID Table 3) | `Piecewise { bands }` with `AppliedTo` and `Scaled` inside |
//! | absolute in other units (±6 in³) | `Absolute { amount: 6, unit: in3 }` |
//! | display-resolution floor (one digit of the fare) | `Max [Relative 0.1, DisplayResolution 1]` |
//! | in-service asymmetric of MMQ (+2 % −1 % of MMQ) | `Sides { under, over }` of `OfMinimumMeasuredQuantity` |
//!
//! Class tables and stage dependence live one level up, in the profile (a stage chooses its
//! expression); dispersion limits (repeatability), validity conditions and result rounding are
//! profile rules too. Judging is [`judge`]: it optionally rounds the error to the limit's last
//! digit first, and never lets floating-point noise flip a verdict at the limit.
//!
//! ```
//! use verimeter::tolerance::{Tolerance, ToleranceContext};
//! let t = Tolerance::relative(0.30, "JJG 443-2015");
//! let limits = t.evaluate(&ToleranceContext::new(20.0)).unwrap();
//! assert!((limits.over - 0.06).abs() < 1e-12); // ±0.30 % of 20 L = ±0.06 L
//! assert_eq!(limits.as_pct(20.0).unwrap().upper, 0.30);
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::RoundingMode;
use crate::units::Unit;
use crate::verdict::Verdict;

/// How far an indication may lie from the reference, as an expression over the reading.
///
/// Amounts are in the base unit of the quantity judged (litres for dispensers, metres for
/// distance, seconds for time, the currency unit for fares) unless a `unit` converts them.
/// Every node may carry `source`, the clause the number comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Tolerance {
    /// ± `pct` % of the quantity.
    Relative {
        /// The percentage, ≥ 0.
        pct: f64,
        /// The clause the number comes from.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// −`under_pct` % … +`over_pct` % of the quantity (both given as magnitudes ≥ 0).
    Asymmetric {
        /// How far below the reference, in % (magnitude).
        under_pct: f64,
        /// How far above the reference, in % (magnitude).
        over_pct: f64,
        /// The clause the number comes from.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// ± a fixed amount, in `unit` (default: the base unit).
    Absolute {
        /// The amount, ≥ 0.
        amount: f64,
        /// The unit of `amount`; omitted means the base unit of the quantity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<Unit>,
        /// The clause the number comes from.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// ± `digits` least significant digits of the display (the context's display step), e.g.
    /// MID MI-007's "at least the least significant digit of the fare display".
    DisplayResolution {
        /// How many display steps, > 0.
        digits: f64,
        /// The clause the number comes from.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// The inner tolerance evaluated as if the quantity were `quantity` (in the base unit):
    /// MID MI-005 Table 3, "the value of Table 2 applied to 2 L".
    AppliedTo {
        /// The fixed quantity, > 0, in `unit` (default: the base unit).
        quantity: f64,
        /// The unit of `quantity`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<Unit>,
        /// The tolerance to evaluate there.
        tolerance: Box<Tolerance>,
        /// The clause.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// The inner tolerance evaluated at the minimum measured quantity (MMQ) of the instrument,
    /// which the context must provide: the "minimum specified volume deviation" of MID MI-005.
    OfMinimumMeasuredQuantity {
        /// The tolerance to evaluate at the MMQ.
        tolerance: Box<Tolerance>,
        /// The clause.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// `factor` × the inner tolerance (MID Table 3 "twice the value of Table 2"; HB44
    /// acceptance = ½ maintenance).
    Scaled {
        /// The factor, > 0.
        factor: f64,
        /// The tolerance scaled.
        tolerance: Box<Tolerance>,
        /// The clause.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// The larger of several tolerances, side by side: "±0.2 %, but at least 4 m".
    Max {
        /// The candidates (at least one).
        of: Vec<Tolerance>,
        /// The clause.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// The lower side of `under` and the upper side of `over`: asymmetric limits built from
    /// any two shapes ("+2 % −1 % of the MMQ").
    Sides {
        /// Gives the limit below the reference.
        under: Box<Tolerance>,
        /// Gives the limit above the reference.
        over: Box<Tolerance>,
        /// The clause.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
    /// Piecewise by the measured quantity: the band with the largest `from` not above the
    /// quantity applies. A quantity below the first band is outside the table (an error).
    Piecewise {
        /// Bands in strictly increasing `from` order.
        bands: Vec<Band>,
        /// The unit of every band's `from` (default: the base unit).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<Unit>,
        /// The clause.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        source: String,
    },
}

/// One band of a [`Tolerance::Piecewise`] table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The smallest quantity (inclusive) the band applies to.
    pub from: f64,
    /// The tolerance in this band.
    pub tolerance: Tolerance,
}

/// What a tolerance is evaluated against: the reference quantity of one reading, and the
/// instrument quantities some rules need.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ToleranceContext {
    /// The reference (true) quantity of the reading, in the base unit, > 0.
    pub quantity: f64,
    /// The instrument's minimum measured quantity, in the base unit, where known.
    pub minimum_measured_quantity: Option<f64>,
    /// The display's least significant step, in the base unit, where known.
    pub display_step: Option<f64>,
}

impl ToleranceContext {
    /// A context with only the reference quantity.
    pub fn new(quantity: f64) -> Self {
        Self {
            quantity,
            ..Self::default()
        }
    }

    /// The same context with the minimum measured quantity set.
    pub fn with_mmq(mut self, mmq: Option<f64>) -> Self {
        self.minimum_measured_quantity = mmq;
        self
    }

    /// The same context with the display step set.
    pub fn with_display_step(mut self, step: Option<f64>) -> Self {
        self.display_step = step;
        self
    }
}

/// Absolute limits of one reading: the indication may lie from `reference − under` to
/// `reference + over`. Both are magnitudes (≥ 0) in the base unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Allowed shortfall below the reference.
    pub under: f64,
    /// Allowed excess above the reference.
    pub over: f64,
}

/// Limits in percent of the reference: `lower ≤ 0 ≤ upper`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PctLimits {
    /// The lower limit in % (≤ 0), e.g. −0.30.
    pub lower: f64,
    /// The upper limit in % (≥ 0), e.g. +0.30.
    pub upper: f64,
}

impl PctLimits {
    /// Symmetric limits ±`pct`.
    pub fn symmetric(pct: f64) -> Self {
        Self {
            lower: -pct,
            upper: pct,
        }
    }

    /// The limit on the side of `error_pct` (the upper limit for a positive or zero error,
    /// the lower limit's magnitude for a negative one): the MPE the error was judged against.
    pub fn applicable(&self, error_pct: f64) -> f64 {
        if error_pct < 0.0 {
            -self.lower
        } else {
            self.upper
        }
    }

    /// The larger magnitude of the two sides.
    pub fn widest(&self) -> f64 {
        self.upper.max(-self.lower)
    }
}

impl Limits {
    /// Symmetric limits ±`amount`.
    pub fn symmetric(amount: f64) -> Self {
        Self {
            under: amount,
            over: amount,
        }
    }

    fn scale(self, f: f64) -> Self {
        Self {
            under: self.under * f,
            over: self.over * f,
        }
    }

    /// The same limits in percent of `reference` (> 0).
    pub fn as_pct(&self, reference: f64) -> Result<PctLimits> {
        crate::error::positive("reference", reference)?;
        // Relative limits were computed as pct/100 × reference; dividing back gives the pct
        // up to rounding noise, which is snapped so that ±0.30 % prints and compares as 0.30.
        let to_pct = |x: f64| snap(x / reference * 100.0);
        Ok(PctLimits {
            lower: -to_pct(self.under),
            upper: to_pct(self.over),
        })
    }
}

/// Removes floating-point noise below 1e-12 relative (ten significant digits are kept well
/// beyond any regulation's digits).
pub(crate) fn snap(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let mag = 10f64.powi(12 - x.abs().log10().ceil() as i32);
    let y = (x * mag).round() / mag;
    if y.is_finite() {
        y
    } else {
        x
    }
}

impl Tolerance {
    /// ± `pct` % with its clause.
    pub fn relative(pct: f64, source: &str) -> Self {
        Tolerance::Relative {
            pct,
            source: source.to_string(),
        }
    }

    /// −`under_pct` % … +`over_pct` % with its clause.
    pub fn asymmetric(under_pct: f64, over_pct: f64, source: &str) -> Self {
        Tolerance::Asymmetric {
            under_pct,
            over_pct,
            source: source.to_string(),
        }
    }

    /// ± `amount` in the base unit with its clause.
    pub fn absolute(amount: f64, source: &str) -> Self {
        Tolerance::Absolute {
            amount,
            unit: None,
            source: source.to_string(),
        }
    }

    /// The clause cited on this node (empty if none).
    pub fn source(&self) -> &str {
        match self {
            Tolerance::Relative { source, .. }
            | Tolerance::Asymmetric { source, .. }
            | Tolerance::Absolute { source, .. }
            | Tolerance::DisplayResolution { source, .. }
            | Tolerance::AppliedTo { source, .. }
            | Tolerance::OfMinimumMeasuredQuantity { source, .. }
            | Tolerance::Scaled { source, .. }
            | Tolerance::Max { source, .. }
            | Tolerance::Sides { source, .. }
            | Tolerance::Piecewise { source, .. } => source,
        }
    }

    /// The clause of the rule that applies at `ctx`: the node's own source, or, where it has
    /// none, the clauses of the nodes that decided the value (e.g. the band of a table).
    pub fn clause_at(&self, ctx: &ToleranceContext) -> String {
        if !self.source().is_empty() {
            return self.source().to_string();
        }
        let inner: Vec<String> = match self {
            Tolerance::AppliedTo { tolerance, .. }
            | Tolerance::OfMinimumMeasuredQuantity { tolerance, .. }
            | Tolerance::Scaled { tolerance, .. } => vec![tolerance.clause_at(ctx)],
            Tolerance::Max { of, .. } => of.iter().map(|t| t.clause_at(ctx)).collect(),
            Tolerance::Sides { under, over, .. } => vec![under.clause_at(ctx), over.clause_at(ctx)],
            Tolerance::Piecewise { bands, unit, .. } => {
                let q = ctx.quantity;
                let f = unit.map_or(1.0, Unit::factor);
                bands
                    .iter()
                    .rev()
                    .find(|b| b.from * f <= q)
                    .map(|b| vec![b.tolerance.clause_at(ctx)])
                    .unwrap_or_default()
            }
            _ => vec![],
        };
        let mut parts: Vec<String> = inner.into_iter().filter(|s| !s.is_empty()).collect();
        parts.dedup();
        parts.join("; ")
    }

    /// Evaluates the tolerance for one reading.
    ///
    /// Errors: the quantity is not finite and > 0; a rule needs the MMQ or the display step
    /// and the context lacks it; the quantity lies below a piecewise table; the tolerance
    /// itself is invalid (see [`Tolerance::validate`]).
    pub fn evaluate(&self, ctx: &ToleranceContext) -> Result<Limits> {
        crate::error::positive("reference quantity", ctx.quantity)?;
        self.eval(ctx, ctx.quantity, 0)
    }

    fn eval(&self, ctx: &ToleranceContext, q: f64, depth: u32) -> Result<Limits> {
        if depth > MAX_DEPTH {
            return Err(invalid_shape("tolerance nested too deeply"));
        }
        let d = depth + 1;
        Ok(match self {
            Tolerance::Relative { pct, .. } => Limits::symmetric(pct / 100.0 * q),
            Tolerance::Asymmetric {
                under_pct,
                over_pct,
                ..
            } => Limits {
                under: under_pct / 100.0 * q,
                over: over_pct / 100.0 * q,
            },
            Tolerance::Absolute { amount, unit, .. } => {
                Limits::symmetric(unit.map_or(*amount, |u| u.to_base(*amount)))
            }
            Tolerance::DisplayResolution { digits, source } => {
                let step = ctx.display_step.ok_or_else(|| Error::MissingContext {
                    what: "the display step (least significant digit)",
                    clause: source.clone(),
                })?;
                crate::error::positive("display step", step)?;
                Limits::symmetric(digits * step)
            }
            Tolerance::AppliedTo {
                quantity,
                unit,
                tolerance,
                ..
            } => tolerance.eval(ctx, unit.map_or(*quantity, |u| u.to_base(*quantity)), d)?,
            Tolerance::OfMinimumMeasuredQuantity { tolerance, source } => {
                let mmq = ctx
                    .minimum_measured_quantity
                    .ok_or_else(|| Error::MissingContext {
                        what: "the minimum measured quantity (MMQ)",
                        clause: source.clone(),
                    })?;
                crate::error::positive("minimum measured quantity", mmq)?;
                tolerance.eval(ctx, mmq, d)?
            }
            Tolerance::Scaled {
                factor, tolerance, ..
            } => tolerance.eval(ctx, q, d)?.scale(*factor),
            Tolerance::Max { of, .. } => {
                let mut it = of.iter();
                let first = it
                    .next()
                    .ok_or_else(|| invalid_shape("max of no tolerances"))?
                    .eval(ctx, q, d)?;
                it.try_fold(first, |acc, t| {
                    let l = t.eval(ctx, q, d)?;
                    Ok::<_, Error>(Limits {
                        under: acc.under.max(l.under),
                        over: acc.over.max(l.over),
                    })
                })?
            }
            Tolerance::Sides { under, over, .. } => Limits {
                under: under.eval(ctx, q, d)?.under,
                over: over.eval(ctx, q, d)?.over,
            },
            Tolerance::Piecewise {
                bands,
                unit,
                source,
            } => {
                let f = unit.map_or(1.0, Unit::factor);
                let band = bands
                    .iter()
                    .rev()
                    .find(|b| b.from * f <= q)
                    .ok_or_else(|| Error::OutOfScope {
                        field: "quantity",
                        value: q,
                        limit: bands.first().map_or(f64::NAN, |b| b.from * f),
                        clause: format!("below the first band of the table; {source}"),
                    })?;
                band.tolerance.eval(ctx, q, d)?
            }
        })
    }

    /// Checks that every number is finite and in range, every list non-empty and every
    /// table ordered. `path` names where the tolerance sits in its profile, for messages.
    pub fn validate(&self, path: &str) -> std::result::Result<(), (String, String)> {
        self.check(path, 0)
    }

    fn check(&self, path: &str, depth: u32) -> std::result::Result<(), (String, String)> {
        let bad = |what: &str, v: f64, rule: &str| {
            Err((path.to_string(), format!("{what} must be {rule}, got {v}")))
        };
        if depth > MAX_DEPTH {
            return Err((path.into(), "tolerance nested too deeply".into()));
        }
        let d = depth + 1;
        let nonneg = |what: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                bad(what, v, "finite and >= 0")
            }
        };
        let pos = |what: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                bad(what, v, "finite and > 0")
            }
        };
        match self {
            Tolerance::Relative { pct, .. } => nonneg("pct", *pct),
            Tolerance::Asymmetric {
                under_pct,
                over_pct,
                ..
            } => {
                nonneg("under_pct", *under_pct)?;
                nonneg("over_pct", *over_pct)
            }
            Tolerance::Absolute { amount, .. } => nonneg("amount", *amount),
            Tolerance::DisplayResolution { digits, .. } => pos("digits", *digits),
            Tolerance::AppliedTo {
                quantity,
                tolerance,
                ..
            } => {
                pos("quantity", *quantity)?;
                tolerance.check(&format!("{path}.tolerance"), d)
            }
            Tolerance::OfMinimumMeasuredQuantity { tolerance, .. } => {
                tolerance.check(&format!("{path}.tolerance"), d)
            }
            Tolerance::Scaled {
                factor, tolerance, ..
            } => {
                pos("factor", *factor)?;
                tolerance.check(&format!("{path}.tolerance"), d)
            }
            Tolerance::Max { of, .. } => {
                if of.is_empty() {
                    return Err((path.into(), "max needs at least one tolerance".into()));
                }
                of.iter()
                    .enumerate()
                    .try_for_each(|(i, t)| t.check(&format!("{path}.of[{i}]"), d))
            }
            Tolerance::Sides { under, over, .. } => {
                under.check(&format!("{path}.under"), d)?;
                over.check(&format!("{path}.over"), d)
            }
            Tolerance::Piecewise { bands, .. } => {
                if bands.is_empty() {
                    return Err((path.into(), "piecewise needs at least one band".into()));
                }
                let mut prev = f64::NEG_INFINITY;
                for (i, b) in bands.iter().enumerate() {
                    let p = format!("{path}.bands[{i}]");
                    if !(b.from.is_finite() && b.from >= 0.0) {
                        return Err((p, format!("from must be finite and >= 0, got {}", b.from)));
                    }
                    if b.from <= prev {
                        return Err((
                            p,
                            format!("bands must be in strictly increasing order of from ({} after {prev})", b.from),
                        ));
                    }
                    prev = b.from;
                    b.tolerance.check(&format!("{p}.tolerance"), d)?;
                }
                Ok(())
            }
        }
    }
}

const MAX_DEPTH: u32 = 32;

fn invalid_shape(reason: &str) -> Error {
    Error::InvalidProfile {
        profile: "<tolerance>".into(),
        path: "tolerance".into(),
        reason: reason.into(),
    }
}

/// How a computed error is rounded before it is compared with its limit.
///
/// Chinese verification practice rounds the error to the last digit of the MPE (±0.30 % → two
/// decimals of a percent) before comparing (数据修约, JJF 1094 ⚠ unconfirmed; the mode follows
/// GB/T 8170-2008, round half to even ⚠). OIML, MID and HB44 profiles compare unrounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultRounding {
    /// Decimal places of the percentage kept, e.g. 2 for ±0.30 %.
    pub decimals: u32,
    /// How halves are rounded.
    #[serde(default)]
    pub mode: RoundingMode,
    /// The clause.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl ResultRounding {
    /// Rounds `pct` with this rule.
    pub fn apply(&self, pct: f64) -> f64 {
        self.mode.round_f64(pct, self.decimals)
    }
}

/// The slack, in percentage points, by which a result may exceed a limit and still be
/// inside it: far below any regulation's digits, far above f64 noise. A reading exactly on
/// the limit is inside it (every text says "not exceeding").
pub const LIMIT_SLACK_PCT: f64 = 1e-9;

/// Judges an error (in %) against limits (in %): inside, limits included, is [`Verdict::Pass`].
///
/// With `rounding`, the error is rounded first and the rounded value is judged.
/// Returns the value judged and the verdict. A NaN error is judged [`Verdict::Fail`] (it is
/// never produced from validated inputs; this keeps the function total).
///
/// ```
/// use verimeter::tolerance::{judge, PctLimits};
/// use verimeter::Verdict;
/// let lim = PctLimits::symmetric(0.30);
/// // 20.06 L against 20.00 L: exactly +0.30 %, inside whatever noise the division adds.
/// let e = (20.06 - 20.00) / 20.00 * 100.0;
/// assert_eq!(judge(e, lim, None).1, Verdict::Pass);
/// assert_eq!(judge(0.3000001, lim, None).1, Verdict::Fail);
/// ```
#[inline]
pub fn judge(
    error_pct: f64,
    limits: PctLimits,
    rounding: Option<&ResultRounding>,
) -> (f64, Verdict) {
    match rounding {
        Some(r) => judge_by(error_pct, limits, |x| r.apply(x)),
        None => judge_by(error_pct, limits, |x| x),
    }
}

/// [`judge`] with the rounding given as a function: the one judging kernel, shared with the
/// batch path (which passes the stage's rounding with its mode and scale fixed per batch).
#[inline(always)]
pub(crate) fn judge_by(
    error_pct: f64,
    limits: PctLimits,
    round: impl Fn(f64) -> f64,
) -> (f64, Verdict) {
    let e = round(error_pct);
    let slack = |lim: f64| LIMIT_SLACK_PCT * lim.abs().max(1.0);
    // `&` rather than `&&`: the same value, without a branch (so batch loops vectorise).
    let inside =
        (e >= limits.lower - slack(limits.lower)) & (e <= limits.upper + slack(limits.upper));
    (e, if inside { Verdict::Pass } else { Verdict::Fail })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(q: f64) -> ToleranceContext {
        ToleranceContext::new(q)
    }

    #[test]
    fn relative_and_asymmetric() {
        let l = Tolerance::asymmetric(4.0, 1.0, "")
            .evaluate(&ctx(2000.0))
            .unwrap();
        assert!((l.under - 80.0).abs() < 1e-9 && (l.over - 20.0).abs() < 1e-9);
        let p = l.as_pct(2000.0).unwrap();
        assert_eq!((p.lower, p.upper), (-4.0, 1.0));
    }

    #[test]
    fn floor_applies_below_crossover() {
        // MID MI-007 distance: ±0.2 %, at least 4 m. 1 km → 4 m (floor), 5 km → 10 m.
        let t = Tolerance::Max {
            of: vec![Tolerance::relative(0.2, ""), Tolerance::absolute(4.0, "")],
            source: String::new(),
        };
        assert_eq!(t.evaluate(&ctx(1000.0)).unwrap().over, 4.0);
        assert!((t.evaluate(&ctx(5000.0)).unwrap().over - 10.0).abs() < 1e-9);
    }

    #[test]
    fn missing_mmq_is_an_error() {
        let t = Tolerance::OfMinimumMeasuredQuantity {
            tolerance: Box::new(Tolerance::relative(1.0, "")),
            source: "MID".into(),
        };
        assert!(matches!(
            t.evaluate(&ctx(2.0)),
            Err(Error::MissingContext { .. })
        ));
        let l = t.evaluate(&ctx(20.0).with_mmq(Some(2.0))).unwrap();
        assert!((l.over - 0.02).abs() < 1e-12);
    }

    #[test]
    fn piecewise_below_table_is_out_of_scope() {
        let t = Tolerance::Piecewise {
            bands: vec![Band {
                from: 1.0,
                tolerance: Tolerance::relative(1.0, ""),
            }],
            unit: None,
            source: String::new(),
        };
        assert!(matches!(
            t.evaluate(&ctx(0.5)),
            Err(Error::OutOfScope { .. })
        ));
        assert!(t.evaluate(&ctx(1.0)).is_ok());
    }

    #[test]
    fn validation_rejects_bad_numbers() {
        assert!(Tolerance::relative(-0.3, "").validate("t").is_err());
        assert!(Tolerance::relative(f64::NAN, "").validate("t").is_err());
        assert!(Tolerance::relative(f64::INFINITY, "")
            .validate("t")
            .is_err());
        assert!(Tolerance::Max {
            of: vec![],
            source: String::new()
        }
        .validate("t")
        .is_err());
    }

    #[test]
    fn judge_rounds_then_compares() {
        let r = ResultRounding {
            decimals: 2,
            mode: RoundingMode::HalfEven,
            source: String::new(),
        };
        let lim = PctLimits::symmetric(0.30);
        assert_eq!(judge(0.304, lim, Some(&r)), (0.30, Verdict::Pass));
        assert_eq!(judge(0.306, lim, Some(&r)), (0.31, Verdict::Fail));
        assert_eq!(judge(0.305, lim, Some(&r)).1, Verdict::Pass); // half to even → 0.30
        assert_eq!(judge(f64::NAN, lim, None).1, Verdict::Fail);
    }
}
