//! Property tests for the dispenser domain: invariants that must hold for every input.

use proptest::prelude::*;
use verimeter::dispenser::{evaluate_draw, evaluate_nozzle, Draw, TestPoint};
use verimeter::profile::{DispenserProfile, BUILTIN_DISPENSER_PROFILES};
use verimeter::tolerance::{judge, PctLimits, ResultRounding};
use verimeter::Verdict;

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -100.0..100.0f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(f64::MAX),
        1 => any::<f64>(),
    ]
}

fn test_point() -> impl Strategy<Value = TestPoint> {
    prop::sample::select(TestPoint::ALL.to_vec())
}

fn fuel() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(vec![
        "petrol".to_string(),
        "gasoline".into(),
        "diesel".into(),
        "kerosene".into(),
        "0.001".into(),
        "NaN".into(),
        "-1".into(),
        "unobtainium".into(),
    ]))
}

fn arbitrary_draw() -> impl Strategy<Value = Draw> {
    (
        test_point(),
        any_f64(),
        any_f64(),
        prop::option::of(any_f64()),
        prop::option::of(any_f64()),
        fuel(),
        prop::option::of(any_f64()),
        prop::option::of(any_f64()),
    )
        .prop_map(|(tp, vj, vb, tj, tb, fuel, flow, mmq)| {
            let mut d = Draw::new(tp, vj, vb);
            d.dispenser_temp_c = tj;
            d.can_temp_c = tb;
            if let Some(f) = fuel {
                d = d.with_fuel(&f);
            }
            d.flow_l_min = flow;
            d.mmq_l = mmq;
            d
        })
}

fn realistic_draw() -> impl Strategy<Value = (f64, f64, f64, f64, &'static str)> {
    (
        0.5..200.0f64,
        -1.0..1.0f64,
        -10.0..40.0f64,
        -4.0..4.0f64,
        prop::sample::select(vec!["petrol", "diesel", "kerosene"]),
    )
        .prop_map(|(vb, err_pct, tb, dt, fuel)| {
            (vb * (1.0 + err_pct / 100.0), vb, tb + dt, tb, fuel)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No panic, and no NaN anywhere in a result, for any input under any built-in profile.
    #[test]
    fn no_panic_no_nan(draw in arbitrary_draw(), pi in 0usize..4, si in 0usize..3) {
        let p = DispenserProfile::builtin(BUILTIN_DISPENSER_PROFILES[pi]).unwrap();
        let stage = &p.stages[si % p.stages.len()];
        if let Ok(r) = evaluate_draw(&p, stage, &draw) {
            prop_assert!(r.error_pct.is_finite());
            prop_assert!(r.judged_error_pct.is_finite());
            prop_assert!(r.limits_pct.lower.is_finite() && r.limits_pct.upper.is_finite());
            prop_assert!(r.mpe_pct.is_finite());
            prop_assert!(matches!(r.verdict, Verdict::Pass | Verdict::Fail));
        }
        // A nozzle of arbitrary draws never panics either.
        let (_, s) = evaluate_nozzle(&p, stage, &[draw.clone(), draw]);
        for tp in &s.test_points {
            prop_assert!(!tp.mean_error_pct.is_nan());
        }
    }

    /// E is scale invariant: the same relative readings in a bigger can give the same error.
    #[test]
    fn error_is_scale_invariant((vj, vb, tj, tb, fuel) in realistic_draw(), k in 0.01..100.0f64) {
        let p = DispenserProfile::builtin("mid-mi005").unwrap();
        let stage = p.stage(Some("meter")).unwrap();
        let d1 = Draw::new(TestPoint::Max, vj, vb).with_temperatures(tj, tb).with_fuel(fuel).with_mmq(0.1);
        let d2 = Draw::new(TestPoint::Max, vj * k, vb * k).with_temperatures(tj, tb).with_fuel(fuel).with_mmq(0.1);
        let e1 = evaluate_draw(&p, stage, &d1).unwrap().error_pct;
        let e2 = evaluate_draw(&p, stage, &d2).unwrap().error_pct;
        prop_assert!((e1 - e2).abs() <= 1e-9 * e1.abs().max(1.0), "{e1} vs {e2}");
    }

    /// The sign of E follows V_J − V_Bt.
    #[test]
    fn sign_follows_difference((vj, vb, tj, tb, fuel) in realistic_draw()) {
        let p = DispenserProfile::builtin("jjg443-2015").unwrap();
        let stage = p.stage(None).unwrap();
        let d = Draw::new(TestPoint::Max, vj, vb).with_temperatures(tj, tb).with_fuel(fuel);
        let r = evaluate_draw(&p, stage, &d).unwrap();
        let diff = r.indicated_l - r.corrected_standard_l;
        prop_assert_eq!(r.error_pct > 0.0, diff > 0.0);
        prop_assert_eq!(r.error_pct < 0.0, diff < 0.0);
    }

    /// A result that passes a tighter tolerance passes a looser one, with or without rounding.
    #[test]
    fn tighter_pass_implies_looser_pass(e in -2.0..2.0f64, t1 in 0.0..1.0f64, extra in 0.0..1.0f64,
                                        lo in 0.0..1.0f64, round in any::<bool>()) {
        let r = ResultRounding { decimals: 2, mode: Default::default(), source: String::new() };
        let rounding = round.then_some(&r);
        let tight = PctLimits { lower: -(t1 * lo), upper: t1 };
        let loose = PctLimits { lower: tight.lower - extra, upper: tight.upper + extra };
        if judge(e, tight, rounding).1 == Verdict::Pass {
            prop_assert_eq!(judge(e, loose, rounding).1, Verdict::Pass);
        }
    }

    /// The same, end to end: a draw passing JJG's ±0.30 % passes MID's ±0.5 % (system).
    #[test]
    fn tighter_profile_pass_implies_looser((vj, vb, _, _, _) in realistic_draw()) {
        let jjg = DispenserProfile::builtin("jjg443-2015").unwrap();
        let mid = DispenserProfile::builtin("mid-mi005").unwrap();
        // Keep V ≥ 2 L so MID's Table 2 applies.
        let k = if vb < 2.0 { 2.0 / vb } else { 1.0 };
        let d = Draw::new(TestPoint::Max, vj * k, vb * k).with_mmq(2.0);
        let a = evaluate_draw(&jjg, jjg.stage(None).unwrap(), &d).unwrap();
        let b = evaluate_draw(&mid, mid.stage(Some("system")).unwrap(), &d).unwrap();
        // JJG rounds to 0.01 % first; a JJG pass is |E| < 0.305 %, inside ±0.5 %.
        if a.verdict == Verdict::Pass {
            prop_assert_eq!(b.verdict, Verdict::Pass);
        }
    }
}
