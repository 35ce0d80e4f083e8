//! `AmountKernel` (the amount check on integers) against `check_amount` itself, and
//! `decimal_parts_of_f64` against `decimal_from_f64`.

use proptest::prelude::*;
use rust_decimal::Decimal;
use verimeter::dispenser::{check_amount, AmountKernel, PriceReading};
use verimeter::money::{decimal_from_f64, decimal_parts_of_f64, Rounding, RoundingMode};
use verimeter::profile::{
    AmountAllowance, AmountRule, DispenserProfile, DispenserStage, BUILTIN_DISPENSER_PROFILES,
};
use verimeter::Verdict;

const MODES: [RoundingMode; 4] = [
    RoundingMode::HalfUp,
    RoundingMode::HalfEven,
    RoundingMode::Down,
    RoundingMode::Up,
];

/// A stage of the JJG profile with the amount rule: `mode`, step 10^−`step_scale` (written
/// with `pad` trailing zeros: 0.010 is 0.01), a money allowance.
fn stage(mode: RoundingMode, step_scale: u32, pad: u32, allowance: Decimal) -> DispenserStage {
    let profile = DispenserProfile::builtin("jjg443-2015").expect("built in");
    let mut stage = profile.stage(None).expect("a stage").clone();
    stage.amount = Some(AmountRule {
        rounding: Rounding::new(mode, Decimal::new(10i64.pow(pad), step_scale + pad)),
        allowance: AmountAllowance::Money { amount: allowance },
        source: "test".into(),
    });
    stage
}

/// The verdict `check_amount` gives (`None`: an error, or no amount rule).
fn reference(
    stage: &DispenserStage,
    p: &PriceReading,
    vj: f64,
    mmq: Option<f64>,
) -> Option<Verdict> {
    check_amount(stage, p, vj, mmq)
        .ok()
        .flatten()
        .map(|a| a.verdict)
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// A random decimal: mantissa below 10^digits (often small), scale 0..=max_scale.
fn decimal(s: &mut u64, digits: u32, max_scale: u32) -> Decimal {
    let m = (xorshift(s) % 10u64.pow(digits)) as i64;
    let k = (xorshift(s) % u64::from(max_scale + 1)) as u32;
    Decimal::new(m, k)
}

/// The kernel's verdict equals `check_amount`'s wherever the kernel gives one, and it gives
/// one for the common rows (prices and amounts of a few decimals, volumes to 0.01 L or
/// 0.001 L): many random rows per stage, amounts near the exact product (on and around the
/// rounding's midpoints and the allowance's edges) and far from it.
#[test]
fn kernel_is_check_amount() {
    let mut s = 0x1234_5678_9abc_def1u64;
    let allowances = [
        Decimal::ZERO,
        Decimal::new(1, 2),
        Decimal::new(10, 3),
        Decimal::new(5, 3),
        Decimal::new(1, 0),
        Decimal::new(3, 1),
    ];
    let mut decided = 0u64;
    let mut common = 0u64;
    for mode in MODES {
        for step_scale in 0..=3 {
            for pad in [0, 1] {
                for allowance in allowances {
                    let st = stage(mode, step_scale, pad, allowance);
                    let k = AmountKernel::new(&st).expect("a power-of-ten step, money allowance");
                    for _ in 0..4_000 {
                        let price = match xorshift(&mut s) % 8 {
                            0 => decimal(&mut s, 18, 10),
                            1 => -decimal(&mut s, 4, 2),
                            2 => Decimal::ZERO,
                            _ => decimal(&mut s, 4, 3),
                        };
                        let vj = match xorshift(&mut s) % 10 {
                            0 => f64::from_bits(xorshift(&mut s)),
                            1 => -((xorshift(&mut s) % 100_000) as f64) / 100.0,
                            2 => (xorshift(&mut s) % 1_000_000_000) as f64 / 1e6,
                            3 => (xorshift(&mut s) % 100_000_000) as f64 / 1e3,
                            4 => [0.0, -0.0, 1e-7, 123_456_789.5, 1e15, 0.1 + 0.2]
                                [xorshift(&mut s) as usize % 6],
                            _ => (xorshift(&mut s) % 100_000) as f64 / 100.0,
                        };
                        // The amount: the exact product with a small change (on and around
                        // the midpoints and the allowance), or anything.
                        let exact = decimal_from_f64("vj", vj)
                            .ok()
                            .and_then(|v| price.checked_mul(v));
                        let amount = match (exact, xorshift(&mut s) % 4) {
                            (Some(x), 0..=2) => {
                                let delta = Decimal::new(
                                    (xorshift(&mut s) % 41) as i64 - 20,
                                    3 + (xorshift(&mut s) % 2) as u32,
                                );
                                (x + delta).round_dp(4 + (xorshift(&mut s) % 3) as u32)
                            }
                            _ => match xorshift(&mut s) % 4 {
                                0 => -decimal(&mut s, 6, 2),
                                _ => decimal(&mut s, 8, 3),
                            },
                        };
                        let p = PriceReading {
                            unit_price: price,
                            amount,
                        };
                        let mmq = [None, Some(0.5), Some(f64::NAN)][xorshift(&mut s) as usize % 3];
                        let want = reference(&st, &p, vj, mmq);
                        let got = k.verdict(&p, vj);
                        if let Some(v) = got {
                            decided += 1;
                            assert_eq!(Some(v), want, "{mode:?} step 10^-{step_scale} allowance {allowance}: price {price} amount {amount} V_J {vj}");
                        }
                        let plain = price > Decimal::ZERO
                            && price.scale() <= 3
                            && amount >= Decimal::ZERO
                            && amount < Decimal::from(1_000_000_000u64)
                            && amount.scale() <= 6
                            && (0.0..1e6).contains(&vj)
                            && decimal_from_f64("vj", vj).is_ok_and(|d| d.scale() <= 3);
                        if plain {
                            common += 1;
                            assert!(
                                got.is_some(),
                                "undecided: price {price} amount {amount} V_J {vj}"
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(
        decided > 100_000 && common > 100_000,
        "{decided} decided, {common} common"
    );
}

/// The built-in stages: a kernel exactly for the ones with a fixed allowance and a
/// power-of-ten step, and its verdicts are `check_amount`'s on random rows.
#[test]
fn builtin_stages() {
    let mut s = 99u64;
    for id in BUILTIN_DISPENSER_PROFILES {
        let profile = DispenserProfile::builtin(id).expect("built in");
        for st in &profile.stages {
            let k = AmountKernel::new(st);
            let fixed = matches!(
                st.amount.as_ref().map(|a| &a.allowance),
                Some(AmountAllowance::Money { .. })
            );
            assert_eq!(k.is_some(), fixed, "{id} {}", st.name);
            let Some(k) = k else { continue };
            for _ in 0..20_000 {
                let price = decimal(&mut s, 4, 3);
                let vj = (xorshift(&mut s) % 10_000) as f64 / 100.0;
                let x = price * decimal_from_f64("vj", vj).expect("finite");
                let amount = (x + Decimal::new((xorshift(&mut s) % 5) as i64 - 2, 2)).round_dp(2);
                let p = PriceReading {
                    unit_price: price,
                    amount,
                };
                assert_eq!(
                    k.verdict(&p, vj),
                    reference(st, &p, vj, None),
                    "{id}: {price} {amount} {vj}"
                );
            }
        }
    }
}

/// Any scale, any mantissa: no panic (`None` beyond the kernel's range).
#[test]
fn any_decimal_input() {
    let st = stage(RoundingMode::HalfUp, 2, 0, Decimal::new(1, 2));
    let k = AmountKernel::new(&st).expect("a kernel");
    let p = PriceReading {
        unit_price: Decimal::new(735, 2),
        amount: Decimal::new(14751, 2),
    };
    for m in [0, 1, -1, 2007, i64::MAX, i64::MIN] {
        for scale in [0, 1, 2, 19, 20, 28, 29, 100, u32::MAX - 1, u32::MAX] {
            let got = k.verdict_decimal(&p, m, scale);
            if scale > 40 {
                assert_eq!(got, None);
            }
        }
    }
    assert_eq!(k.verdict_decimal(&p, 2007, 2), Some(Verdict::Pass));
}

/// Rules the kernel does not take.
#[test]
fn other_rules_have_no_kernel() {
    let mut st = stage(RoundingMode::HalfUp, 2, 0, Decimal::new(1, 2));
    st.amount.as_mut().expect("a rule").rounding.step = Decimal::new(5, 2);
    assert_eq!(AmountKernel::new(&st), None);
    st.amount.as_mut().expect("a rule").rounding.step = Decimal::new(10, 0);
    assert_eq!(AmountKernel::new(&st), None);
    st.amount = None;
    assert_eq!(AmountKernel::new(&st), None);
}

/// The decimal parts of a double are `decimal_from_f64`'s value, and are found for doubles
/// read from decimals of up to 15 significant digits and at most 15 decimals.
#[test]
fn decimal_parts_are_decimal_from_f64() {
    let mut s = 7u64;
    let mut found = 0;
    for i in 0..400_000 {
        let x = match i % 4 {
            0 => f64::from_bits(xorshift(&mut s)),
            1 => {
                let k = (xorshift(&mut s) % 16) as i32;
                let digits = 1 + (xorshift(&mut s) % 12) as u32;
                let m = (xorshift(&mut s) % 10u64.pow(digits)) as f64;
                let x = m / 10f64.powi(k);
                if xorshift(&mut s) % 2 == 0 {
                    -x
                } else {
                    x
                }
            }
            2 => (xorshift(&mut s) % 100_000_000) as f64 / 100.0,
            _ => f64::from_bits(0x3ff0_0000_0000_0000 + xorshift(&mut s) % (1 << 30)),
        };
        let parts = decimal_parts_of_f64(x);
        if i % 4 == 1 || i % 4 == 2 {
            // m / 10^k with m < 10^12, k ≤ 15 (m × 10^3 < 10^15 at the next scale tried),
            // or k = 2: found.
            assert!(parts.is_some(), "{x:e}");
        }
        if let Some((m, k)) = parts {
            found += 1;
            let d = decimal_from_f64("x", x).expect("finite");
            assert_eq!(Decimal::new(m, k), d, "{x:e}");
            assert!(m.unsigned_abs() <= 1_000_000_000_000_000);
        }
    }
    assert!(found > 200_000);
    for x in [
        0.0,
        -0.0,
        1.5,
        -1.5,
        20.07,
        0.1 + 0.2,
        1e15,
        1e-15,
        123456789012345.0,
    ] {
        if let Some((m, k)) = decimal_parts_of_f64(x) {
            assert_eq!(
                Decimal::new(m, k),
                decimal_from_f64("x", x).expect("finite"),
                "{x}"
            );
        }
    }
    assert_eq!(decimal_parts_of_f64(f64::NAN), None);
    assert_eq!(decimal_parts_of_f64(f64::INFINITY), None);
    assert_eq!(decimal_parts_of_f64(1.5), Some((150, 2)));
    assert_eq!(decimal_parts_of_f64(0.1 + 0.2), None);
}

proptest! {
    /// Any stage rule of the kernel's kind, any price, amount and V_J.
    #[test]
    fn kernel_is_check_amount_prop(
        mode in prop::sample::select(MODES.to_vec()),
        step_scale in 0u32..5,
        pad in 0u32..3,
        allow in (0i64..1000, 0u32..5),
        price in (-10i64..10_000_000_000, 0u32..12),
        amount in (-10i64..1_000_000_000_000, 0u32..12),
        vj in (0i64..10_000_000_000_000_000, 0u32..16),
        neg in any::<bool>(),
    ) {
        let st = stage(mode, step_scale, pad, Decimal::new(allow.0, allow.1));
        let k = AmountKernel::new(&st).expect("a kernel");
        let v = vj.0 as f64 / 10f64.powi(vj.1 as i32);
        let v = if neg { -v } else { v };
        let p = PriceReading { unit_price: Decimal::new(price.0, price.1), amount: Decimal::new(amount.0, amount.1) };
        if let Some(got) = k.verdict(&p, v) {
            prop_assert_eq!(Some(got), reference(&st, &p, v, None));
        }
        // Near the product: the amount that the rule computes, and its neighbours.
        if let Ok(x) = decimal_from_f64("vj", v) {
            if let Some(x) = p.unit_price.checked_mul(x) {
                for d in -2i64..=2 {
                    let a = (x.round_dp(step_scale) + Decimal::new(d, step_scale + 1)).max(Decimal::ZERO);
                    let q = PriceReading { amount: a, ..p };
                    if let Some(got) = k.verdict(&q, v) {
                        prop_assert_eq!(Some(got), reference(&st, &q, v, None));
                    }
                }
            }
        }
    }
}
