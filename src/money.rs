//! Exact money and named rounding rules.
//!
//! Money is [`rust_decimal::Decimal`], never `f64` (DEVELOPERS.md rule 2). A rounding rule is a
//! value: a [`RoundingMode`] and a step (0.01, 0.1, 0.5, 1 …), so that a profile or a tariff
//! can say exactly how a displayed amount is formed.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use rust_decimal::Decimal as Money;

/// How a value exactly half-way between two steps (and any other value) is rounded.
///
/// The names follow common usage in the texts; the doc of each variant names the
/// `rust_decimal` strategy it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RoundingMode {
    /// Half away from zero ("四舍五入", round half up for positive amounts):
    /// `MidpointAwayFromZero`. The default for displayed amounts.
    #[default]
    HalfUp,
    /// Half to even (banker's rounding; GB/T 8170-2008 "四舍六入五成双"):
    /// `MidpointNearestEven`.
    HalfEven,
    /// Toward zero (truncation): `ToZero`.
    Down,
    /// Away from zero (any remainder rounds up): `AwayFromZero`.
    Up,
}

impl RoundingMode {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::Down => RoundingStrategy::ToZero,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
        }
    }

    /// Rounds `x` to `decimals` decimal places in binary floating point, following this mode.
    ///
    /// Floating-point noise is removed first: `x · 10^decimals` is snapped to the nearest
    /// millionth, so that a value computed as 0.29999999999999893 rounds like 0.30 and
    /// 0.125000000000001 is treated as the exact half 0.125. This is what makes a reading
    /// exactly on a limit stay inside it.
    ///
    /// ```
    /// use verimeter::money::RoundingMode;
    /// assert_eq!(RoundingMode::HalfEven.round_f64(0.125, 2), 0.12);
    /// assert_eq!(RoundingMode::HalfUp.round_f64(0.125, 2), 0.13);
    /// assert_eq!(RoundingMode::HalfUp.round_f64(-0.125, 2), -0.13);
    /// assert_eq!(RoundingMode::HalfEven.round_f64(0.29999999999999893, 2), 0.3);
    /// ```
    #[inline]
    pub fn round_f64(self, x: f64, decimals: u32) -> f64 {
        // Same steps as `f64::round`/`floor`/`%` on every non-NaN input (the helpers below are
        // exact replacements), but branch-free, so batch loops over this function vectorise
        // on the default target (SSE2 has no rounding instruction; libm calls do not
        // vectorise). Checked against the libm version in the tests.
        self.round_scaled(x, Self::scale(decimals))
    }

    /// 10^`decimals`, the scale of [`RoundingMode::round_f64`] (computed once per batch by
    /// callers that round many values).
    #[inline]
    pub(crate) fn scale(decimals: u32) -> f64 {
        10f64.powi(decimals as i32)
    }

    /// [`RoundingMode::round_f64`] with the scale already computed: the one kernel both the
    /// scalar and the batch paths run.
    #[inline(always)]
    pub(crate) fn round_scaled(self, x: f64, scale: f64) -> f64 {
        let r = round_half_away(x * scale * 1e6) / 1e6;
        let a = r.abs();
        let f = floor_nonneg(a);
        let frac = a - f;
        let up = match self {
            RoundingMode::HalfUp => frac >= 0.5,
            // `|`/`&` rather than `||`/`&&`: the same value, without a branch.
            RoundingMode::HalfEven => (frac > 0.5) | ((frac == 0.5) & is_odd_integer(f)),
            RoundingMode::Down => false,
            RoundingMode::Up => frac > 0.0,
        };
        let m = if up { f + 1.0 } else { f };
        (m.copysign(r)) / scale
    }
}

/// 2⁵²: from here on every f64 is an integer, and below it `(a + 2⁵²) − 2⁵²` is `a` rounded
/// to an integer (ties to even) exactly (IEEE 754 binary64, 52 fraction bits).
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// `a.round()` for `a ≥ 0` without a libm call: nearest integer, ties away from zero.
/// Values ≥ 2⁵², ∞ and NaN are returned as they are (they are already integral / not numbers).
#[inline(always)]
fn round_nonneg(a: f64) -> f64 {
    let t = (a + TWO_52) - TWO_52; // ties to even
    let t = if t - a == -0.5 { t + 1.0 } else { t }; // a tie rounded down: away instead
    if a < TWO_52 {
        t
    } else {
        a
    }
}

/// `x.round()` (ties away from zero) for every non-NaN `x`, sign of zero included.
#[inline(always)]
fn round_half_away(x: f64) -> f64 {
    round_nonneg(x.abs()).copysign(x)
}

/// `a.floor()` for `a ≥ 0` (or +∞) without a libm call.
#[inline(always)]
fn floor_nonneg(a: f64) -> f64 {
    let t = (a + TWO_52) - TWO_52;
    let t = if t > a { t - 1.0 } else { t };
    if a < TWO_52 {
        t
    } else {
        a
    }
}

/// `x.floor()` for every `x` (NaN, ±∞ and the sign of zero included) without a libm call:
/// below 2⁵² in magnitude `x as i64` truncates exactly, one step down for negative
/// fractions; the sign of `floor(x)` is always the sign of `x`.
#[inline(always)]
pub(crate) fn floor_any(x: f64) -> f64 {
    if x.abs() < TWO_52 {
        let t = x as i64 as f64;
        let f = if t > x { t - 1.0 } else { t };
        f.copysign(x)
    } else {
        x
    }
}

/// `x.ceil()` for every `x`, without a libm call (−floor(−x), exact).
#[inline(always)]
pub(crate) fn ceil_any(x: f64) -> f64 {
    -floor_any(-x)
}

/// `x.round()` (half away from zero) for every `x`, without a libm call.
#[inline(always)]
pub(crate) fn round_any(x: f64) -> f64 {
    if x.is_nan() {
        x
    } else {
        round_half_away(x)
    }
}

/// `f % 2.0 != 0.0` for an integral `f ≥ 0` (every f ≥ 2⁵³ is even; f/2 is exact).
#[inline(always)]
fn is_odd_integer(f: f64) -> bool {
    let h = f * 0.5;
    h != floor_nonneg(h)
}

/// A rounding rule: a mode and a step, e.g. half-up to 0.01 (one fen), down to 0.5, up to 1.
///
/// ```
/// use rust_decimal::Decimal;
/// use verimeter::money::{Rounding, RoundingMode};
/// let r = Rounding::new(RoundingMode::HalfUp, Decimal::new(5, 1)); // 0.5
/// assert_eq!(r.apply(Decimal::new(1225, 2)).unwrap(), Decimal::new(125, 1)); // 12.25 → 12.5
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rounding {
    /// How to round.
    pub mode: RoundingMode,
    /// The step to round to (> 0), e.g. 0.01.
    #[serde(with = "rust_decimal::serde::str")]
    pub step: Decimal,
}

impl Rounding {
    /// A rule rounding with `mode` to multiples of `step`.
    pub fn new(mode: RoundingMode, step: Decimal) -> Self {
        Self { mode, step }
    }

    /// Half-up to 0.01, the usual rule for an amount in yuan, dollars or euros.
    pub fn cents() -> Self {
        Self::new(RoundingMode::HalfUp, Decimal::new(1, 2))
    }

    /// Checks that the step is positive.
    pub fn validate(&self) -> Result<()> {
        if self.step > Decimal::ZERO {
            Ok(())
        } else {
            Err(Error::Money {
                field: "rounding.step",
                value: self.step.to_string(),
                reason: "the rounding step must be > 0".into(),
            })
        }
    }

    /// Rounds `x` to a multiple of the step.
    pub fn apply(&self, x: Decimal) -> Result<Decimal> {
        self.validate()?;
        let q = x
            .checked_div(self.step)
            .ok_or_else(|| overflow("rounding", x))?;
        let n = q.round_dp_with_strategy(0, self.mode.strategy());
        // n × step keeps the step's scale: 157.00 at a step of 0.01, not 157.
        n.checked_mul(self.step)
            .ok_or_else(|| overflow("rounding", x))
    }
}

fn overflow(field: &'static str, x: Decimal) -> Error {
    Error::Money {
        field,
        value: x.to_string(),
        reason: "arithmetic overflow".into(),
    }
}

/// Converts a finite `f64` (e.g. an indicated volume) to the exact decimal it displays as.
///
/// Uses the shortest representation that round-trips (`19.77_f64` becomes `19.77`, not
/// `19.769999999999999573674358543939888477325439453125`), which is what a meter's display and
/// a CSV cell show.
pub fn decimal_from_f64(field: &'static str, x: f64) -> Result<Decimal> {
    if !x.is_finite() {
        return Err(Error::NotFinite { field, value: x });
    }
    let text = format!("{x}");
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&format!("{x:e}")))
        .map_err(|e| Error::Money {
            field,
            value: text,
            reason: e.to_string(),
        })
}

/// `x` as an integer mantissa and a scale, `(m, k)` with m × 10^−k equal in value to
/// [`decimal_from_f64`]`(x)` (the shortest decimal that reads back as `x`), found without
/// formatting: `None` when `x` is not finite, or not m × 10^−k for some |m| < 10^15 and k in
/// 2, 3, 6, 9, 12 or 15 (tried in that order, up to the first that makes m too large) or 1
/// or 0 (then ask [`decimal_from_f64`]).
///
/// Exact: m < 10^15 < 2^53 and 10^k are exact doubles and IEEE division is correctly
/// rounded, so `m / 10^k == |x|` says that the decimal D = m × 10^−k reads back as |x|. D
/// has at most 15 significant digits, and two different decimals of at most 15 significant
/// digits never read back as the same double (10^15 < 2^52: 15-digit decimals survive the
/// round trip through binary64, so the map from them to doubles is one to one). The shortest
/// decimal that reads back as |x| has no more digits than D (D is a candidate), so it is D's
/// value. (The sign is `x`'s; −0.0 gives `(0, k)`, and `decimal_from_f64` a negative zero:
/// equal in value.) The mantissa is not minimal: 1.5 gives `(150, 2)`.
#[inline]
pub fn decimal_parts_of_f64(x: f64) -> Option<(i64, u32)> {
    const POW10: [f64; 16] = [
        1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let a = x.abs();
    let at = |k: u32| {
        let p = POW10[k as usize];
        let t = a * p;
        // (Also NaN and ±∞.)
        if t.partial_cmp(&1e15) != Some(std::cmp::Ordering::Less) {
            return Err(());
        }
        // t is within a few ulps of m when |x| reads back from m × 10^−k: t rounded to an
        // integer (by adding 2^52: t < 2^52, so the sum's last bit is the units) is m; any
        // other integer fails the check. The integer is both r (a double, exact) and the
        // sum's mantissa bits.
        let big = t + TWO_52;
        let r = big - TWO_52;
        Ok((r / p == a).then_some((big.to_bits() - TWO_52.to_bits()) as i64))
    };
    let sign = |m: i64| if x < 0.0 { -m } else { m };
    for k in [2u32, 3, 6, 9, 12, 15] {
        match at(k) {
            Ok(Some(m)) => return Some((sign(m), k)),
            Ok(None) => {}
            Err(()) => break,
        }
    }
    // Large values: fewer decimals (a value that has them would have been found above, but
    // for the bound on m).
    for k in [1u32, 0] {
        if let Ok(Some(m)) = at(k) {
            return Some((sign(m), k));
        }
    }
    None
}

/// Parses a money amount written as decimal text (`"7.85"`, `"12"`).
pub fn parse_money(field: &'static str, text: &str) -> Result<Decimal> {
    Decimal::from_str(text.trim()).map_err(|e| Error::Money {
        field,
        value: text.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn libm_free_floor_ceil_round_are_exact() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            1e-300,
            -1e-300,
            4503599627370495.5,
            -4503599627370495.5,
            4503599627370496.0,
            9007199254740993.0,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            86_399.999_999_999_99,
            -86_400.5,
        ];
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..100_000 {
            crate::test_rng::step(&mut s);
            xs.push(f64::from_bits(s));
            xs.push((s >> 11) as f64 / (1u64 << 30) as f64 - 4_000_000.0);
        }
        for x in xs {
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            assert!(same(floor_any(x), x.floor()), "floor {x:e}");
            assert!(same(ceil_any(x), x.ceil()), "ceil {x:e}");
            assert!(same(round_any(x), x.round()), "round {x:e}");
        }
    }

    use super::*;

    /// The libm formulation `round_f64` had before it was made branch-free: the oracle.
    fn round_f64_libm(mode: RoundingMode, x: f64, decimals: u32) -> f64 {
        let scale = 10f64.powi(decimals as i32);
        let r = ((x * scale) * 1e6).round() / 1e6;
        let a = r.abs();
        let f = a.floor();
        let frac = a - f;
        let up = match mode {
            RoundingMode::HalfUp => frac >= 0.5,
            RoundingMode::HalfEven => frac > 0.5 || (frac == 0.5 && f % 2.0 != 0.0),
            RoundingMode::Down => false,
            RoundingMode::Up => frac > 0.0,
        };
        let m = if up { f + 1.0 } else { f };
        (m.copysign(r)) / scale
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    use proptest::prelude::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        #[test]
        fn branch_free_round_f64_equals_libm(
            x in proptest::prop_oneof![
                proptest::prelude::any::<f64>(),
                -1e3..1e3f64,
                (-100_000i64..100_000).prop_map(|k| k as f64 / 2000.0),
                (-1_000_000i64..1_000_000).prop_map(|k| k as f64 * 0.005),
                proptest::prelude::Just(4_503_599_627_370_495.5),
                proptest::prelude::Just(-0.0),
                proptest::prelude::Just(f64::INFINITY),
            ],
            decimals in 0u32..6,
        ) {
            for mode in [RoundingMode::HalfUp, RoundingMode::HalfEven, RoundingMode::Down, RoundingMode::Up] {
                let (a, b) = (mode.round_f64(x, decimals), round_f64_libm(mode, x, decimals));
                prop_assert!(same(a, b), "{mode:?} {x:e} {decimals}: {a:e} vs {b:e}");
            }
            for y in [x, x * 1e6, x * 1e-6] {
                prop_assert!(same(round_half_away(y), y.round()), "round {y:e}");
                prop_assert!(same(floor_nonneg(y.abs()), y.abs().floor()), "floor {y:e}");
            }
        }
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounding_modes_to_cents() {
        let c = |m| Rounding::new(m, d("0.01"));
        assert_eq!(
            c(RoundingMode::HalfUp).apply(d("2.345")).unwrap(),
            d("2.35")
        );
        assert_eq!(
            c(RoundingMode::HalfEven).apply(d("2.345")).unwrap(),
            d("2.34")
        );
        assert_eq!(c(RoundingMode::Down).apply(d("2.349")).unwrap(), d("2.34"));
        assert_eq!(c(RoundingMode::Up).apply(d("2.341")).unwrap(), d("2.35"));
    }

    #[test]
    fn rounding_to_whole_and_half() {
        let r = Rounding::new(RoundingMode::HalfUp, d("1"));
        assert_eq!(r.apply(d("36.5")).unwrap(), d("37"));
        let r = Rounding::new(RoundingMode::Up, d("0.5"));
        assert_eq!(r.apply(d("12.01")).unwrap(), d("12.5"));
    }

    #[test]
    fn zero_step_is_an_error() {
        let r = Rounding::new(RoundingMode::HalfUp, Decimal::ZERO);
        assert!(r.apply(d("1")).is_err());
    }

    #[test]
    fn shortest_decimal() {
        assert_eq!(decimal_from_f64("v", 19.77).unwrap(), d("19.77"));
        assert_eq!(decimal_from_f64("v", 1e-7).unwrap(), d("0.0000001"));
        assert!(decimal_from_f64("v", f64::NAN).is_err());
        assert!(decimal_from_f64("v", 1e300).is_err());
    }

    #[test]
    fn float_rounding_modes() {
        assert_eq!(RoundingMode::HalfEven.round_f64(0.135, 2), 0.14);
        assert_eq!(RoundingMode::HalfEven.round_f64(0.145, 2), 0.14);
        assert_eq!(RoundingMode::HalfUp.round_f64(0.145, 2), 0.15);
        assert_eq!(RoundingMode::Down.round_f64(-0.149, 2), -0.14);
        assert_eq!(RoundingMode::Up.round_f64(0.141, 2), 0.15);
        assert_eq!(
            RoundingMode::HalfEven.round_f64(-4.000000000000004, 2),
            -4.0
        );
    }
}
