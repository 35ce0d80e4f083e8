//! Worked examples for fuel dispensers, with the source of every number.
//!
//! F1, F2: `../shared/reference/fuel-dispensers.md` ("Worked example"), from a JJG 443 exam
//! worked example and the published JJG 443 uncertainty evaluation (李阳华 2016).
//! MID / R117 figures: MID 2014/32/EU Annex VII Table 2, Table 3, 2.3–2.4, computed by hand.
//! HB44 figures: 1 gal = 231 in³; ±6 in³ / ±3 in³ on 5 gal (Texas TDA enforcement of §3.30).

use approx::assert_relative_eq;
use rust_decimal::Decimal;
use std::str::FromStr;
use verimeter::dispenser::{
    can_reading_from_neck, evaluate_draw, evaluate_nozzle, summarize_nozzle, Draw, DrawResult,
    TestPoint,
};
use verimeter::profile::DispenserProfile;
use verimeter::units::Unit;
use verimeter::{Error, Verdict};

fn profile(id: &str) -> DispenserProfile {
    DispenserProfile::builtin(id).unwrap()
}

fn judge(id: &str, stage: &str, draw: &Draw) -> verimeter::Result<DrawResult> {
    let p = profile(id);
    evaluate_draw(&p, p.stage(Some(stage)).unwrap(), draw)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

// ---------------------------------------------------------------- F1 (JJG 443, no correction)

/// F1: can 19.75 L at 68.3 mm, neck 2.1 mL/mm; readings 37.4 / 67.6 / 132.2 mm.
#[test]
fn f1_can_readings_from_the_neck_scale() {
    let v: Vec<f64> = [37.4, 67.6, 132.2]
        .iter()
        .map(|h| can_reading_from_neck(19.75, 68.3, 2.1, *h).unwrap())
        .collect();
    // Published to three decimals: 19.685 / 19.749 / 19.884 L.
    let rounded: Vec<f64> = v.iter().map(|x| (x * 1000.0).round() / 1000.0).collect();
    assert_eq!(rounded, vec![19.685, 19.749, 19.884]);
}

fn f1_draws() -> Vec<Draw> {
    [(19.77, 19.685), (19.82, 19.749), (20.00, 19.884)]
        .iter()
        .map(|&(vj, vb)| Draw::new(TestPoint::Max, vj, vb))
        .collect()
}

/// F1: E = 0.43 / 0.36 / 0.58 %; mean 0.46 %; repeatability (0.58 − 0.36)/1.69 = 0.13 % → fail.
#[test]
fn f1_errors_repeatability_and_verdict() {
    let p = profile("jjg443-2015");
    let stage = p.stage(Some("first")).unwrap();
    let (results, summary) = evaluate_nozzle(&p, stage, &f1_draws());
    let judged: Vec<f64> = results
        .iter()
        .map(|r| r.as_ref().unwrap().judged_error_pct)
        .collect();
    assert_eq!(judged, vec![0.43, 0.36, 0.58]);
    let verdicts: Vec<Verdict> = results
        .iter()
        .map(|r| r.as_ref().unwrap().verdict)
        .collect();
    assert_eq!(verdicts, vec![Verdict::Fail, Verdict::Fail, Verdict::Fail]);
    assert_relative_eq!(
        results[0].as_ref().unwrap().error_pct,
        0.431_800_863_6,
        epsilon = 1e-9
    );

    let tp = &summary.test_points[0];
    assert_eq!(tp.test_point, TestPoint::Max);
    assert_eq!((tp.mean_error_pct * 100.0).round() / 100.0, 0.46);
    let rep = tp.repeatability.as_ref().unwrap();
    assert_eq!(rep.draws, 3);
    assert_eq!(rep.judged_value_pct, 0.13);
    assert_eq!(rep.limit_pct, 0.15);
    assert_eq!(rep.verdict, Verdict::Pass);
    assert_eq!(summary.verdict, Verdict::Fail);
    assert!(summary
        .reasons
        .iter()
        .any(|r| r.contains("draw 3") && r.contains("+0.58")));
    // Min flow is missing too, but a failure is definitive.
    assert!(summary
        .reasons
        .iter()
        .any(|r| r.contains("min: required test point missing")));
}

// ---------------------------------------------------------------- F2 (JJG 443 with temperatures)

/// F2: V_J = 20.00 L, V_B = 20.05 L, t_J = t_B = 20 °C → E = −0.249 %, pass at ±0.30 %.
#[test]
fn f2_pass_at_twenty_degrees() {
    let draw = Draw::new(TestPoint::Max, 20.00, 20.05)
        .with_temperatures(20.0, 20.0)
        .with_fuel("petrol");
    let r = judge("jjg443-2015", "subsequent", &draw).unwrap();
    assert_relative_eq!(r.error_pct, -0.249_376_558_6, epsilon = 1e-9);
    assert_eq!((r.error_pct * 1000.0).round() / 1000.0, -0.249);
    assert_eq!(r.judged_error_pct, -0.25);
    assert_eq!(r.mpe_pct, 0.30);
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(r.corrected_standard_l, 20.05);
    assert_eq!(r.profile.id, "jjg443-2015");
    assert_eq!(r.profile.stage, "subsequent");
    assert!(r.clause.contains("JJG 443-2015"), "{}", r.clause);
}

/// Thermal correction by hand: petrol, stainless can, t_J = 25 °C, t_B = 22 °C:
/// factor = 1 + 0.0012·3 + 0.00005·2 = 1.0037; V_Bt = 20.074 L; V_J = 20.10 → E = +0.1295 %.
#[test]
fn thermal_correction_petrol_stainless() {
    let draw = Draw::new(TestPoint::Max, 20.10, 20.00)
        .with_temperatures(25.0, 22.0)
        .with_fuel("gasoline")
        .with_can_material("stainless");
    let r = judge("jjg443-2015", "first", &draw).unwrap();
    let c = r.correction.as_ref().unwrap();
    assert_relative_eq!(c.factor, 1.0037, epsilon = 1e-12);
    assert_relative_eq!(r.corrected_standard_l, 20.074, epsilon = 1e-12);
    assert_relative_eq!(r.error_pct, 0.129_520_773_1, epsilon = 1e-9);
    assert_eq!(r.judged_error_pct, 0.13);
}

/// Diesel in a carbon-steel can: factor = 1 + 0.0009·(−2) + 0.000033·(−5) = 0.998035.
#[test]
fn thermal_correction_diesel_carbon_steel() {
    let draw = Draw::new(TestPoint::Min, 20.00, 20.00)
        .with_temperatures(13.0, 15.0)
        .with_fuel("diesel")
        .with_can_material("carbon_steel");
    let r = judge("jjg443-2015", "first", &draw).unwrap();
    assert_relative_eq!(r.correction.unwrap().factor, 0.998_035, epsilon = 1e-12);
    assert_relative_eq!(
        r.error_pct,
        (20.0 - 19.9607) / 19.9607 * 100.0,
        epsilon = 1e-9
    );
}

/// An explicit coefficient instead of a named fuel.
#[test]
fn explicit_coefficients() {
    let draw = Draw::new(TestPoint::Max, 20.0, 20.0)
        .with_temperatures(21.0, 20.0)
        .with_fuel("0.001")
        .with_can_material("0");
    let r = judge("jjg443-2015", "first", &draw).unwrap();
    assert_relative_eq!(r.corrected_standard_l, 20.02, epsilon = 1e-12);
}

// ---------------------------------------------------------------- boundaries

/// 20.06 L against 20.00 L is exactly +0.30 %: inside, in every profile with ±0.30 %.
#[test]
fn exactly_on_the_limit_is_inside() {
    for (id, stage) in [
        ("jjg443-2015", "first"),
        ("mid-mi005", "meter"),
        ("oiml-r117-1", "meter"),
    ] {
        for (vj, vb) in [
            (20.06, 20.00),
            (19.94, 20.00),
            (10.03, 10.00),
            (100.3, 100.0),
        ] {
            let r = judge(id, stage, &Draw::new(TestPoint::Max, vj, vb)).unwrap();
            assert_eq!(
                r.verdict,
                Verdict::Pass,
                "{id} {vj} vs {vb}: {}",
                r.error_pct
            );
        }
        // +0.31 % fails everywhere (JJG rounds 0.3005 % to 0.30 % first, so go past the half).
        let r = judge(id, stage, &Draw::new(TestPoint::Max, 20.062, 20.00)).unwrap();
        assert_eq!(r.verdict, Verdict::Fail, "{id}");
    }
}

/// JJG rounds to two decimals (half to even) before judging: 0.304 % passes, 0.306 % fails,
/// while the unrounded MID line-B limit judges 0.304 % as a failure.
#[test]
fn jjg_rounds_before_judging() {
    let vb = 20.0;
    let at = |pct: f64| Draw::new(TestPoint::Max, vb * (1.0 + pct / 100.0), vb);
    assert_eq!(
        judge("jjg443-2015", "first", &at(0.304)).unwrap().verdict,
        Verdict::Pass
    );
    assert_eq!(
        judge("jjg443-2015", "first", &at(0.306)).unwrap().verdict,
        Verdict::Fail
    );
    assert_eq!(
        judge("mid-mi005", "meter", &at(0.304)).unwrap().verdict,
        Verdict::Fail
    );
}

/// JJG 443: |t_J − t_B| ≤ 4 °C; 4.0 is allowed, 4.1 makes the draw unusable.
#[test]
fn temperature_difference_limit() {
    let draw = |tj| {
        Draw::new(TestPoint::Max, 20.0, 20.0)
            .with_temperatures(tj, 20.0)
            .with_fuel("diesel")
    };
    assert!(judge("jjg443-2015", "first", &draw(24.0)).is_ok());
    assert!(judge("jjg443-2015", "first", &draw(16.0)).is_ok());
    let e = judge("jjg443-2015", "first", &draw(24.1)).unwrap_err();
    assert!(
        matches!(e, Error::OutOfScope { limit, .. } if limit == 4.0),
        "{e}"
    );
    assert!(e.to_string().contains("4 °C"), "{e}");
}

/// JJG MMQ draws have their own tolerance: ±0.50 % (JJG 443-2006 ✔, 2015 ⚠).
#[test]
fn jjg_mmq_tolerance() {
    let r = judge(
        "jjg443-2015",
        "first",
        &Draw::new(TestPoint::Mmq, 5.02, 5.0),
    )
    .unwrap();
    assert_eq!(r.judged_error_pct, 0.40);
    assert_eq!(r.mpe_pct, 0.50);
    assert_eq!(r.verdict, Verdict::Pass);
}

// ---------------------------------------------------------------- MID MI-005 / OIML R117

/// MID class 0.5 with MMQ = 2 L (2.4.1: E_min = 2·MMQ·A/100 = 2·2·0.5/100 = 0.02 L):
/// 20 L system → max(0.1, 0.02) L = 0.5 %; 20 L meter → max(0.06, 0.02) = 0.3 %;
/// 5 L meter → max(0.015, 0.02) = 0.02 L = 0.4 %; 2 L system → 0.02 L = 1.0 %;
/// 1.5 L system (Table 3: 0.5 % applied to 2 L = 0.01 L) → E_min 0.02 L = 1.333… %.
#[test]
fn mid_mpe_is_the_larger_of_table_and_emin() {
    let cases = [
        ("system", 20.0, 0.5),
        ("meter", 20.0, 0.3),
        ("meter", 5.0, 0.4),
        ("system", 2.0, 1.0),
        ("system", 1.5, 0.02 / 1.5 * 100.0),
    ];
    for id in ["mid-mi005", "oiml-r117-1"] {
        for (stage, v, mpe) in cases {
            let r = judge(id, stage, &Draw::new(TestPoint::Max, v, v).with_mmq(2.0)).unwrap();
            assert_relative_eq!(r.limits_pct.upper, mpe, epsilon = 1e-9);
            assert_relative_eq!(r.limits_pct.lower, -mpe, epsilon = 1e-9);
        }
    }
}

/// MMQ < 2 L (2.4.2): E_min = twice the Table 3 value (line A) at the MMQ.
/// MMQ = 0.5 L: Table 3 at 0.5 L is 2 × 0.5 % = 1 % → 0.005 L; E_min = 0.01 L.
/// A 0.5 L meter draw: Table 3 line B: 2 × 0.3 % × 0.5 = 0.003 L < 0.01 → MPE 2.0 %.
/// A 0.3 L system draw: 2 × 0.5 % applied to 0.4 L = 0.004 L < 0.01 → 3.333… %.
#[test]
fn mid_small_mmq() {
    let r = judge(
        "mid-mi005",
        "meter",
        &Draw::new(TestPoint::Mmq, 0.5, 0.5).with_mmq(0.5),
    )
    .unwrap();
    assert_relative_eq!(r.limits_pct.upper, 2.0, epsilon = 1e-9);
    let r = judge(
        "mid-mi005",
        "system",
        &Draw::new(TestPoint::Max, 0.3, 0.3).with_mmq(0.5),
    )
    .unwrap();
    assert_relative_eq!(r.limits_pct.upper, 0.01 / 0.3 * 100.0, epsilon = 1e-9);
    // MMQ 0.1 L: E_min = 2 × (4 × 0.5 % × 0.1 L) = 0.004 L; a 0.15 L draw's Table 3 value is
    // 4 × 0.5 % × 0.15 = 0.003 L, so E_min decides: 0.004 / 0.15 = 2.667 %.
    let r = judge(
        "mid-mi005",
        "system",
        &Draw::new(TestPoint::Max, 0.15, 0.15).with_mmq(0.1),
    )
    .unwrap();
    assert_relative_eq!(r.limits_pct.upper, 0.004 / 0.15 * 100.0, epsilon = 1e-9);
    // MMQ 0.05 L: E_min = 2 × (4 × 0.5 % applied to 0.1 L) = 0.004 L again; for a 0.25 L draw
    // (2 × 0.5 % applied to 0.4 L = 0.004 L) the two tie: 0.004 / 0.25 = 1.6 %.
    let draw = Draw::new(TestPoint::Max, 0.25, 0.25).with_mmq(0.05);
    let r = judge("mid-mi005", "system", &draw).unwrap();
    assert_relative_eq!(r.limits_pct.upper, 1.6, epsilon = 1e-9);
}

/// The MMQ defaults to 2 L (MI-005 ⚠) when a nozzle's own is not given.
#[test]
fn mid_default_mmq() {
    let r = judge("mid-mi005", "system", &Draw::new(TestPoint::Max, 2.0, 2.0)).unwrap();
    assert_eq!(r.mmq_l, Some(2.0));
    assert_relative_eq!(r.limits_pct.upper, 1.0, epsilon = 1e-9);
}

// ---------------------------------------------------------------- NIST HB44 §3.30

/// 5 gal draft = 18.92705892 L. Maintenance ±6 in³ = 6/1155 = 0.5195 %; acceptance ±3 in³.
/// A draft 5 in³ over passes maintenance and fails acceptance.
#[test]
fn hb44_cubic_inches_on_five_gallons() {
    let five = Unit::UsGallon.to_base(5.0);
    let over5 = five + Unit::CubicInch.to_base(5.0);
    let m = judge(
        "nist-hb44-3.30",
        "maintenance",
        &Draw::new(TestPoint::Max, over5, five),
    )
    .unwrap();
    assert_relative_eq!(m.limits_pct.upper, 6.0 / 1155.0 * 100.0, epsilon = 1e-9);
    assert_relative_eq!(m.error_pct, 5.0 / 1155.0 * 100.0, epsilon = 1e-9);
    assert_eq!(m.verdict, Verdict::Pass);
    let a = judge(
        "nist-hb44-3.30",
        "acceptance",
        &Draw::new(TestPoint::Max, over5, five),
    )
    .unwrap();
    assert_relative_eq!(a.limits_pct.upper, 3.0 / 1155.0 * 100.0, epsilon = 1e-9);
    assert_eq!(a.verdict, Verdict::Fail);
    // Exactly 6 in³ over is inside the maintenance tolerance.
    let on = five + Unit::CubicInch.to_base(6.0);
    let r = judge(
        "nist-hb44-3.30",
        "maintenance",
        &Draw::new(TestPoint::Max, on, five),
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::Pass);
}

/// HB44 repeatability: range ≤ 40 % of the maintenance tolerance (6 in³ on 5 gal → 2.4 in³).
#[test]
fn hb44_repeatability() {
    let five = Unit::UsGallon.to_base(5.0);
    let in3 = |x: f64| five + Unit::CubicInch.to_base(x);
    let p = profile("nist-hb44-3.30");
    let stage = p.stage(Some("maintenance")).unwrap();
    let ok = [in3(1.0), in3(3.0), in3(3.4)].map(|v| Draw::new(TestPoint::Max, v, five));
    let (_, s) = evaluate_nozzle(&p, stage, &ok);
    let rep = s.test_points[0].repeatability.as_ref().unwrap();
    assert_relative_eq!(rep.limit_pct, 0.4 * 6.0 / 1155.0 * 100.0, epsilon = 1e-9);
    assert_eq!(rep.verdict, Verdict::Pass);
    let bad = [in3(0.0), in3(2.5)].map(|v| Draw::new(TestPoint::Max, v, five));
    let (_, s) = evaluate_nozzle(&p, stage, &bad);
    assert_eq!(
        s.test_points[0].repeatability.as_ref().unwrap().verdict,
        Verdict::Fail
    );
    assert_eq!(s.verdict, Verdict::Fail);
}

// ---------------------------------------------------------------- amount check

/// JJG: 7.85 元/L × 20.06 L = 157.471 → 157.47 (half up to 0.01 元); one fen of difference allowed.
#[test]
fn amount_check_jjg() {
    let draw =
        |amount: &str| Draw::new(TestPoint::Max, 20.06, 20.0).with_price(d("7.85"), d(amount));
    let r = judge("jjg443-2015", "first", &draw("157.47")).unwrap();
    let a = r.amount.as_ref().unwrap();
    assert_eq!(a.computed_amount, d("157.47"));
    assert_eq!(a.verdict, Verdict::Pass);
    assert_eq!(
        judge("jjg443-2015", "first", &draw("157.48"))
            .unwrap()
            .verdict,
        Verdict::Pass
    );
    let r = judge("jjg443-2015", "first", &draw("157.49")).unwrap();
    assert_eq!(r.amount.as_ref().unwrap().verdict, Verdict::Fail);
    assert_eq!(r.indication_verdict, Verdict::Pass);
    assert_eq!(r.verdict, Verdict::Fail);
    // Half up: 6.5 × 1.01 = 6.565 → 6.57.
    let r = judge(
        "jjg443-2015",
        "first",
        &Draw::new(TestPoint::Max, 1.01, 1.01).with_price(d("6.5"), d("6.57")),
    )
    .unwrap();
    assert_eq!(r.amount.unwrap().computed_amount, d("6.57"));
}

#[test]
fn amount_check_bad_prices() {
    let r = judge(
        "jjg443-2015",
        "first",
        &Draw::new(TestPoint::Max, 20.0, 20.0).with_price(d("0"), d("1")),
    );
    assert!(matches!(
        r,
        Err(Error::Money {
            field: "unit_price",
            ..
        })
    ));
    let r = judge(
        "jjg443-2015",
        "first",
        &Draw::new(TestPoint::Max, 20.0, 20.0).with_price(d("7"), d("-1")),
    );
    assert!(matches!(
        r,
        Err(Error::Money {
            field: "amount",
            ..
        })
    ));
}

/// MID: the price of E_min (0.02 L at MMQ 2 L) is the allowance: 1.80 €/L → 0.036 €.
#[test]
fn amount_check_mid_price_of_emin() {
    let draw =
        |amount: &str| Draw::new(TestPoint::Max, 20.0, 20.0).with_price(d("1.80"), d(amount));
    let r = judge("mid-mi005", "system", &draw("36.03")).unwrap();
    assert_eq!(r.amount.as_ref().unwrap().allowance, d("0.036"));
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(
        judge("mid-mi005", "system", &draw("36.04"))
            .unwrap()
            .verdict,
        Verdict::Fail
    );
}

/// A US log prices per gallon: "indicated amount vs unit price × indicated volume" in
/// gallons. 5.000 gal at 2.999 $/gal: 14.995 → 15.00 $ (nearest cent); a reading of the
/// price per litre would compute 2.999 × 18.927 L = 56.76 $ and fail every draw.
#[test]
fn amount_check_per_gallon() {
    let gal = Unit::UsGallon.to_base(5.0);
    let draw = |amount: &str| {
        Draw::new(TestPoint::Max, gal, gal)
            .with_price(d("2.999"), d(amount))
            .with_price_per(Unit::UsGallon, 5.0)
    };
    let r = judge("nist-hb44-3.30", "maintenance", &draw("15.00")).unwrap();
    let a = r.amount.as_ref().unwrap();
    assert_eq!(a.computed_amount, d("15.00"));
    assert_eq!(a.price_volume.unwrap().indicated, 5.0);
    assert_eq!(r.verdict, Verdict::Pass);
    let r = judge("nist-hb44-3.30", "maintenance", &draw("14.98")).unwrap();
    assert_eq!(r.amount.unwrap().difference, d("-0.02"));
    assert_eq!(r.verdict, Verdict::Fail);
    // A price per metre is refused.
    let per_metre = draw("15.00").with_price_per(Unit::Metre, 5.0);
    assert!(matches!(
        judge("nist-hb44-3.30", "maintenance", &per_metre),
        Err(Error::WrongUnit {
            field: "price volume unit",
            ..
        })
    ));
    // A price volume of zero or NaN is refused, naming it.
    for bad in [0.0, f64::NAN] {
        let e = judge(
            "nist-hb44-3.30",
            "maintenance",
            &draw("15.00").with_price_per(Unit::UsGallon, bad),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("price volume must be"), "{e}");
    }
    // Without the price's unit the same price is read per litre.
    let per_litre = Draw::new(TestPoint::Max, gal, gal).with_price(d("2.999"), d("15.00"));
    let r = judge("nist-hb44-3.30", "maintenance", &per_litre).unwrap();
    assert_eq!(r.amount.unwrap().computed_amount, d("56.76"));
}

/// MID's allowance, the price of E_min, in the price's unit: E_min = 0.02 L at MMQ 2 L is
/// 0.02 / 3.785411784 gal; at 1.80 €/L = 6.8137412112 €/gal it is the same 0.036 €.
#[test]
fn amount_check_mid_price_of_emin_per_gallon() {
    let gal = Unit::UsGallon.from_base(20.0);
    let draw = Draw::new(TestPoint::Max, 20.0, 20.0)
        .with_price(d("6.8137412112"), d("36.00"))
        .with_price_per(Unit::UsGallon, gal);
    let r = judge("mid-mi005", "system", &draw).unwrap();
    let a = r.amount.as_ref().unwrap();
    assert_eq!(a.allowance, d("0.036"));
    assert_eq!(a.computed_amount, d("36.00"));
    assert_eq!(r.verdict, Verdict::Pass);
}

// ---------------------------------------------------------------- nozzle verdicts

fn jjg_full_nozzle(max_err: [f64; 3]) -> Vec<Draw> {
    let mut v: Vec<Draw> = max_err
        .iter()
        .map(|e| Draw::new(TestPoint::Max, 20.0 * (1.0 + e / 100.0), 20.0))
        .collect();
    v.extend([0.05, 0.08, 0.10].map(|e| Draw::new(TestPoint::Min, 20.0 * (1.0 + e / 100.0), 20.0)));
    v
}

#[test]
fn nozzle_pass_fail_incomplete() {
    let p = profile("jjg443-2015");
    let stage = p.stage(Some("subsequent")).unwrap();
    let (_, s) = evaluate_nozzle(&p, stage, &jjg_full_nozzle([0.1, 0.12, 0.15]));
    assert_eq!(s.verdict, Verdict::Pass, "{:?}", s.reasons);
    assert!(s.reasons.is_empty());
    // Repeatability (0.29 − 0.0)/1.69 = 0.17 % > 0.15 % fails although every draw passes.
    let (_, s) = evaluate_nozzle(&p, stage, &jjg_full_nozzle([0.0, 0.1, 0.29]));
    assert_eq!(s.verdict, Verdict::Fail);
    assert!(s.reasons[0].contains("repeatability"), "{:?}", s.reasons);
    // Only two draws at max: incomplete, never pass.
    let mut draws = jjg_full_nozzle([0.1, 0.12, 0.15]);
    draws.remove(0);
    let (_, s) = evaluate_nozzle(&p, stage, &draws);
    assert_eq!(s.verdict, Verdict::Incomplete);
    assert!(
        s.reasons[0].contains("2 usable draw(s), 3 required"),
        "{:?}",
        s.reasons
    );
}

#[test]
fn unusable_draw_makes_nozzle_incomplete() {
    let p = profile("jjg443-2015");
    let stage = p.stage(Some("subsequent")).unwrap();
    let mut draws = jjg_full_nozzle([0.1, 0.12, 0.15]);
    draws.push(Draw::new(TestPoint::Max, f64::NAN, 20.0));
    let (results, s) = evaluate_nozzle(&p, stage, &draws);
    assert!(results[6].is_err());
    assert_eq!(s.verdict, Verdict::Incomplete);
    assert!(s
        .reasons
        .iter()
        .any(|r| r.starts_with("draw 7: draw not usable: indicated_l")));
}

#[test]
fn summarize_uses_caller_labels() {
    let p = profile("jjg443-2015");
    let stage = p.stage(Some("in-service")).unwrap();
    let r = evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, 20.1, 20.0));
    let s = summarize_nozzle(&p, stage, [("line 12", &r)]);
    assert_eq!(s.verdict, Verdict::Fail);
    assert!(
        s.reasons[0].starts_with("line 12: max error +0.500 %"),
        "{:?}",
        s.reasons
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_inputs_are_typed_errors() {
    let j = |d: Draw| judge("jjg443-2015", "first", &d).unwrap_err();
    let base = || Draw::new(TestPoint::Max, 20.0, 20.0);
    assert!(
        matches!(j(Draw::new(TestPoint::Max, f64::NAN, 20.0)), Error::NotFinite { field: "indicated_l", value } if value.is_nan())
    );
    assert!(matches!(
        j(Draw::new(TestPoint::Max, -1.0, 20.0)),
        Error::NotPositive {
            field: "indicated_l",
            ..
        }
    ));
    assert!(matches!(
        j(Draw::new(TestPoint::Max, 20.0, 0.0)),
        Error::NotPositive {
            field: "standard_l",
            ..
        }
    ));
    assert!(matches!(
        j(Draw::new(TestPoint::Max, 20.0, f64::INFINITY)),
        Error::NotFinite {
            field: "standard_l",
            ..
        }
    ));
    assert!(matches!(
        j(base().with_temperatures(20.0, 20.0)),
        Error::MissingCompanion {
            missing: "fuel",
            ..
        }
    ));
    let mut one_temp = base().with_fuel("petrol");
    one_temp.dispenser_temp_c = Some(20.0);
    assert!(matches!(
        j(one_temp),
        Error::MissingCompanion {
            missing: "can_temp_c",
            ..
        }
    ));
    let e = j(base().with_temperatures(20.0, 20.0).with_fuel("hydrogen"));
    assert!(
        e.to_string().contains("hydrogen") && e.to_string().contains("gasoline"),
        "{e}"
    );
    let e = j(base()
        .with_temperatures(20.0, 20.0)
        .with_fuel("petrol")
        .with_can_material("wood"));
    assert!(
        matches!(
            e,
            Error::UnknownName {
                field: "can_material",
                ..
            }
        ),
        "{e}"
    );
    let e = j(base().with_temperatures(20.0, 20.0).with_fuel("-0.5"));
    assert!(matches!(e, Error::OutOfScope { field: "fuel", .. }), "{e}");
    let e = j(base().with_temperatures(f64::NAN, 20.0).with_fuel("petrol"));
    assert!(
        matches!(
            e,
            Error::NotFinite {
                field: "dispenser_temp_c",
                ..
            }
        ),
        "{e}"
    );
    assert!(matches!(
        j(base().with_flow(-3.0)),
        Error::NotPositive {
            field: "flow_l_min",
            ..
        }
    ));
    assert!(matches!(
        j(base().with_mmq(0.0)),
        Error::NotPositive { field: "mmq_l", .. }
    ));
}

#[test]
fn nan_error_message() {
    let e = judge(
        "jjg443-2015",
        "first",
        &Draw::new(TestPoint::Max, f64::NAN, 20.0),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "indicated_l must be a finite number, got NaN"
    );
}

// ---------------------------------------------------------------- custom profiles

#[test]
fn custom_profile_from_json() {
    let mut v = serde_json::to_value(profile("jjg443-2015")).unwrap();
    v["id"] = "bureau-in-service".into();
    v["stages"][2]["indication"][1]["tolerance"] = serde_json::json!({"kind": "asymmetric", "under_pct": 1.0, "over_pct": 0.5, "source": "bureau rule"});
    let p = DispenserProfile::from_json(&v.to_string()).unwrap();
    let stage = p.stage(Some("in-service")).unwrap();
    let r = evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, 19.85, 20.0)).unwrap();
    assert_eq!(r.judged_error_pct, -0.75);
    assert_eq!(r.mpe_pct, 1.0);
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(r.clause, "bureau rule");
    let r = evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, 20.11, 20.0)).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
}

#[test]
fn invalid_custom_profiles_are_errors() {
    let base = serde_json::to_value(profile("mid-mi005")).unwrap();
    let broken = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        DispenserProfile::from_json(&v.to_string())
            .unwrap_err()
            .to_string()
    };
    let e = broken(&|v| v["thermal"]["fuels"][0]["beta_per_c"] = serde_json::json!(-1.0));
    assert!(e.contains("beta_per_c"), "{e}");
    let e = broken(&|v| v["stages"][0]["indication"] = serde_json::json!([]));
    assert!(
        e.contains("indication") && e.contains("must not be empty"),
        "{e}"
    );
    let e = broken(&|v| v["default_stage"] = "nope".into());
    assert!(e.contains("default_stage"), "{e}");
    let e = broken(
        &|v| v["stages"][0]["indication"][0]["tolerance"] = serde_json::json!({"kind": "piecewise", "bands": [{"from": 2.0, "tolerance": {"kind": "relative", "pct": 1.0}}, {"from": 1.0, "tolerance": {"kind": "relative", "pct": 1.0}}]}),
    );
    assert!(e.contains("increasing"), "{e}");
    let e = broken(&|v| v["stages"][0]["indication"][0]["tolerance"]["kind"] = "bogus".into());
    assert!(e.contains("bogus"), "{e}");
    // JSON cannot hold NaN; a huge number is finite but an absurd coefficient.
    let e = broken(&|v| v["thermal"]["fuels"][0]["beta_per_c"] = serde_json::json!(1e300));
    assert!(e.contains("beta_per_c"), "{e}");
}

/// A nozzle's verdict is the worst of its draws', conditional verdicts included (fail >
/// conditional-fail > incomplete > conditional-pass > pass), and a conditional verdict is a
/// reason of its own, not an "outside the limits" failure.
#[test]
fn nozzle_verdict_is_the_worst_including_conditional_verdicts() {
    use verimeter::decision::DecisionRule;
    use verimeter::dispenser::apply_decision;
    use verimeter::uncertainty::DispenserBudgetSpec;
    let p = profile("jjg443-2015");
    let stage = p.stage(Some("in-service")).unwrap();
    let budget = DispenserBudgetSpec::default()
        .budget(20.0, 12e-4, 0.0)
        .unwrap();
    let rule = DecisionRule::NonBinary { guard_factor: 1.0 };
    let judged = |indicated: f64| {
        let mut r = evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, indicated, 20.0));
        if let Ok(r) = r.as_mut() {
            apply_decision(r, budget.expanded, rule, &budget.name).unwrap();
        }
        r
    };
    let verdict = |draws: &[verimeter::Result<DrawResult>]| {
        summarize_nozzle(&p, stage, draws.iter().map(|d| ("draw", d)))
    };
    let (pass, cpass, cfail) = (judged(20.02), judged(20.058), judged(20.064));
    assert_eq!(cpass.as_ref().unwrap().verdict, Verdict::ConditionalPass);
    let s = verdict(&[pass.clone(), cpass.clone()]);
    assert_eq!(s.verdict, Verdict::ConditionalPass);
    assert!(
        s.reasons[0].contains("is conditional-pass under the non-binary rule"),
        "{s:?}"
    );
    assert_eq!(
        verdict(&[cpass.clone(), cfail.clone()]).verdict,
        Verdict::ConditionalFail
    );
    let bad = Err(Error::Empty { field: "draw" });
    assert_eq!(
        verdict(&[cpass.clone(), bad.clone()]).verdict,
        Verdict::Incomplete
    );
    assert_eq!(
        verdict(&[cfail.clone(), bad]).verdict,
        Verdict::ConditionalFail
    );
    assert_eq!(verdict(&[cfail, judged(20.08)]).verdict, Verdict::Fail);
    assert_eq!(verdict(&[pass]).verdict, Verdict::Pass);
}
