//! Explanations show every step with the numbers substituted (F2 and T1 worked cases).

use verimeter::dispenser::{evaluate_draw, Draw, TestPoint};
use verimeter::explain::{explain_draw, explain_meter_test};
use verimeter::profile::DispenserProfile;
use verimeter::taximeter::{evaluate_test, MeterTest, TaximeterProfile};
use verimeter::units::Unit;

#[test]
fn explains_f2_step_by_step() {
    let p = DispenserProfile::builtin("jjg443-2015").unwrap();
    let d = Draw::new(TestPoint::Max, 20.00, 20.05)
        .with_temperatures(20.0, 20.0)
        .with_fuel("petrol");
    let r = evaluate_draw(&p, p.stage(None).unwrap(), &d).unwrap();
    let text: String = explain_draw(&r).iter().map(|s| s.to_string()).collect();
    for needle in [
        "V_J = 20 L, V_B = 20.05 L",
        "20.05 × [1 + 0.0012 × (20 − 20) + 0.00005 × (20 − 20)]",
        "(20 − 20.05) / 20.05 × 100",
        "→ −0.249377 %",
        "→ −0.25 %",
        "−0.3 % ≤ −0.25 % ≤ +0.3 %",
        "JJG 443-2015: indication error ±0.30 %",
        "→ pass",
        "jjg443-2015 v1.0.0, stage subsequent",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn explains_t1() {
    let p = TaximeterProfile::builtin("jjg517-2016").unwrap();
    let r = evaluate_test(
        &p,
        p.stage(Some("installed")).unwrap(),
        &MeterTest::distance(2.000, 1.930, Unit::Kilometre),
    )
    .unwrap();
    let text: String = explain_meter_test(&r)
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(text.contains("(1930 − 2000) / 2000 × 100"), "{text}");
    assert!(text.contains("→ −3.5 %"), "{text}");
    assert!(text.contains("−4 % … +1 %"), "{text}");
}
