//! GUM (JCGM 100), JCGM 106 and ILAC-G8 reference values, from
//! `../shared/reference/uncertainty-decisions.md`.

use approx::assert_relative_eq;
use proptest::prelude::*;
use verimeter::decision::{capability_index, probability_of_conformance, DecisionRule};
use verimeter::tolerance::PctLimits;
use verimeter::uncertainty::{
    coverage_factor, propagate, type_a, DegreesOfFreedom, DispenserBudgetSpec, Input, LineFit,
};
use verimeter::Verdict;

/// JCGM 100 Annex H.1, end-gauge calibration, lengths in nm:
/// l = l_s + d − l_s (δα·θ + α_s·δθ), d = d̄ + d₁ + d₂, θ = θ̄ + Δ.
fn end_gauge_inputs() -> Vec<Input> {
    vec![
        Input::new("l_s", 50_000_623.0, 25.0).with_dof(18.0),
        Input::new("d_bar", 215.0, 5.8).with_dof(24.0),
        Input::new("d1", 0.0, 3.9).with_dof(5.0),
        Input::new("d2", 0.0, 6.7).with_dof(8.0),
        Input::new("alpha_s", 11.5e-6, 2e-6 / 3f64.sqrt()),
        Input::new("theta_bar", -0.1, 0.2),
        Input::new("Delta", 0.0, 0.5 / 2f64.sqrt()),
        Input::new("delta_alpha", 0.0, 1e-6 / 3f64.sqrt()).with_dof(50.0),
        Input::new("delta_theta", 0.0, 0.05 / 3f64.sqrt()).with_dof(2.0),
    ]
}

fn end_gauge(x: &[f64]) -> f64 {
    let (ls, d, theta) = (x[0], x[1] + x[2] + x[3], x[5] + x[6]);
    ls + d - ls * (x[7] * theta + x[4] * x[8])
}

#[test]
fn gum_h1_end_gauge() {
    let r = propagate(&end_gauge_inputs(), None, end_gauge).unwrap();
    // l = 50.000838 mm.
    assert_relative_eq!(r.value, 50_000_838.0, epsilon = 1e-6);
    // u_c = 32 nm (31.66 unrounded, first order).
    assert_eq!(r.standard_uncertainty.round(), 32.0);
    assert_relative_eq!(r.standard_uncertainty, 31.66, epsilon = 0.005);
    // ν_eff = 16.7 published. From the unrounded inputs Welch–Satterthwaite gives 16.75
    // (hand check: 1002.57² / 59 997 ≈ 16.75); GUM prints it cut to one decimal, and only its
    // integer part (16) enters k.
    let DegreesOfFreedom::Finite(nu) = r.dof else {
        panic!("{:?}", r.dof)
    };
    assert_eq!((nu * 10.0).floor() / 10.0, 16.7, "ν_eff = {nu}");
    assert_relative_eq!(nu, 16.752, epsilon = 0.001);
    // k₉₉ = t₉₉(16) = 2.92; U₉₉ = 93 nm (2.92 × 32 nm as published from rounded u_c).
    let u99 = r.expanded(0.99).unwrap();
    assert_eq!((u99.k * 100.0).round() / 100.0, 2.92);
    assert_eq!((2.92 * r.standard_uncertainty.round()).round(), 93.0);
    assert_relative_eq!(u99.u, u99.k * r.standard_uncertainty, epsilon = 1e-12);
}

/// The combined d = d̄ + d₁ + d₂: u(d) = 9.7 nm, ν(d) = 25.6.
///
/// GUM computes ν(d) from the rounded u(d) = 9.7 nm: 9.7⁴ / Σ u_i⁴/ν_i = 25.6; from the
/// unrounded u(d) = 9.682 nm the same formula gives 25.45.
#[test]
fn gum_h1_d_component() {
    let inputs = &end_gauge_inputs()[1..4];
    let r = propagate(inputs, None, |x| x[0] + x[1] + x[2]).unwrap();
    assert_eq!((r.standard_uncertainty * 10.0).round() / 10.0, 9.7);
    let DegreesOfFreedom::Finite(nu) = r.dof else {
        panic!()
    };
    assert_relative_eq!(nu, 25.45, epsilon = 0.01);
    let published =
        verimeter::uncertainty::welch_satterthwaite(9.7, &r.contributions, inputs, false);
    let DegreesOfFreedom::Finite(nu) = published else {
        panic!()
    };
    assert_eq!((nu * 10.0).round() / 10.0, 25.6);
}

/// GUM Table G.2: k(95.45 %, ∞) = 2.00; k(95 %, 1) = 12.71; t(0.975, 9) = 2.2622.
#[test]
fn coverage_factor_table() {
    let k = coverage_factor(0.9545, DegreesOfFreedom::Infinite).unwrap();
    assert_eq!((k * 100.0).round() / 100.0, 2.00);
    let k = coverage_factor(0.95, DegreesOfFreedom::Finite(1.0)).unwrap();
    assert_eq!((k * 100.0).round() / 100.0, 12.71);
    let k = coverage_factor(0.95, DegreesOfFreedom::Finite(9.0)).unwrap();
    assert_eq!((k * 10000.0).round() / 10000.0, 2.2622);
    // ν_eff is truncated: 9.9 → 9.
    assert_eq!(
        coverage_factor(0.95, DegreesOfFreedom::Finite(9.9)).unwrap(),
        coverage_factor(0.95, DegreesOfFreedom::Finite(9.0)).unwrap()
    );
}

/// JCGM 106: y = 9.6, u = 0.2, T_U = 10 → p_c = Φ(2) = 0.977250.
#[test]
fn probability_of_conformance_reference() {
    let p = probability_of_conformance(9.6, 0.2, None, Some(10.0)).unwrap();
    assert_eq!((p * 1e6).round() / 1e6, 0.977250);
    // Two-sided, centred: Φ(2) − Φ(−2) = 0.954500.
    let p = probability_of_conformance(0.0, 0.5, Some(-1.0), Some(1.0)).unwrap();
    assert_eq!((p * 1e6).round() / 1e6, 0.954500);
    assert_relative_eq!(capability_index(-1.0, 1.0, 0.5).unwrap(), 1.0);
}

/// ILAC-G8 non-binary classification with T = ±0.30 %, U = 0.05 %, r = 1 (w = 0.05 %).
#[test]
fn ilac_g8_classification() {
    let lim = PctLimits::symmetric(0.30);
    let nb = DecisionRule::NonBinary { guard_factor: 1.0 };
    let cases = [
        (0.00, Verdict::Pass),
        (0.25, Verdict::Pass), // exactly T − w: the better side
        (0.26, Verdict::ConditionalPass),
        (0.30, Verdict::ConditionalPass),
        (0.31, Verdict::ConditionalFail),
        (0.35, Verdict::ConditionalFail),
        (0.36, Verdict::Fail),
        (-0.28, Verdict::ConditionalPass),
        (-0.40, Verdict::Fail),
    ];
    for (y, v) in cases {
        assert_eq!(nb.decide(y, lim, 0.05).unwrap(), v, "y = {y}");
    }
    let g = DecisionRule::Guarded { guard_factor: 1.0 };
    assert_eq!(g.decide(0.26, lim, 0.05).unwrap(), Verdict::Fail);
    let gr = DecisionRule::GuardedRejection { guard_factor: 1.0 };
    assert_eq!(gr.decide(0.34, lim, 0.05).unwrap(), Verdict::Pass);
    assert_eq!(
        DecisionRule::Simple.decide(0.30, lim, 0.05).unwrap(),
        Verdict::Pass
    );
}

/// The dispenser budget for a 20 L petrol draw with the documented defaults is of the order of
/// U ≈ 0.05 % (k = 2), an order of magnitude below the ±0.30 % MPE.
#[test]
fn dispenser_budget_defaults() {
    let b = DispenserBudgetSpec::default()
        .budget(20.0, 12e-4, 1.0)
        .unwrap();
    assert!((b.expanded.k - 2.0).abs() < 0.01);
    assert!(
        b.expanded.u > 0.04 && b.expanded.u < 0.08,
        "U = {}",
        b.expanded.u
    );
    // Can certificate: 4e-4 / 2 = 0.02 %.
    assert_relative_eq!(b.lines[0].u, 0.02, epsilon = 1e-12);
    // Reading resolution: 0.005 / √3 / 20 L = 0.01443 %.
    assert_relative_eq!(
        b.lines[1].u,
        0.005 / 3f64.sqrt() / 20.0 * 100.0,
        epsilon = 1e-12
    );
    assert!(b.name.contains("third-class can"));
}

#[test]
fn type_a_and_line_fit() {
    let a = type_a("E", &[0.43, 0.36, 0.58]).unwrap();
    assert_relative_eq!(a.value, 0.456_666_666_7, epsilon = 1e-9);
    assert_eq!(a.dof, Some(2.0));
    let fit = LineFit::fit(&[10.0, 20.0, 30.0, 40.0], &[0.1, 0.15, 0.22, 0.24], 25.0).unwrap();
    assert_eq!(fit.dof, 2.0);
    let (y, u) = fit.predict(25.0);
    assert_relative_eq!(y, 0.1775, epsilon = 1e-12);
    // At t₀ the prediction's variance is V₁₁ alone.
    assert_relative_eq!(u, fit.covariance[(0, 0)].sqrt(), epsilon = 1e-12);
}

proptest! {
    /// u_c ≥ the largest single contribution when inputs are uncorrelated.
    #[test]
    fn uc_at_least_largest_contribution(us in prop::collection::vec(0.0..10.0f64, 1..8), cs in prop::collection::vec(-5.0..5.0f64, 8)) {
        let inputs: Vec<Input> = us.iter().enumerate().map(|(i, u)| Input::new(&format!("x{i}"), 1.0, *u)).collect();
        let n = inputs.len();
        let r = propagate(&inputs, None, |x| (0..n).map(|i| cs[i] * x[i]).sum()).unwrap();
        let largest = r.contributions.iter().cloned().fold(0.0, f64::max);
        prop_assert!(r.standard_uncertainty >= largest * (1.0 - 1e-9));
    }

    /// p_c lies in [0, 1] and grows with the distance from the upper limit.
    #[test]
    fn pc_in_unit_interval_and_monotone(y in -5.0..5.0f64, d in 0.0..2.0f64, u in 0.01..3.0f64) {
        let p1 = probability_of_conformance(y, u, None, Some(1.0)).unwrap();
        let p2 = probability_of_conformance(y - d, u, None, Some(1.0)).unwrap();
        prop_assert!((0.0..=1.0).contains(&p1));
        prop_assert!(p2 >= p1);
    }

    /// Guarded acceptance never accepts what simple acceptance rejects; the non-binary rule's
    /// pass is guarded acceptance's pass.
    #[test]
    fn guarded_never_accepts_more(y in -1.0..1.0f64, t in 0.0..0.6f64, big_u in 0.0..0.3f64, r in 0.0..2.0f64) {
        let lim = PctLimits::symmetric(t);
        let simple = DecisionRule::Simple.decide(y, lim, big_u).unwrap();
        let guarded = DecisionRule::Guarded { guard_factor: r }.decide(y, lim, big_u).unwrap();
        let nb = DecisionRule::NonBinary { guard_factor: r }.decide(y, lim, big_u).unwrap();
        if simple == Verdict::Fail {
            prop_assert_eq!(guarded, Verdict::Fail);
        }
        prop_assert_eq!(guarded == Verdict::Pass, nb == Verdict::Pass);
    }
}

/// Taximeter distance budget over 2 km with the defaults: reference 0.3 %/√3 = 0.1732 %,
/// resolution 5 m/√3 / 2000 m = 0.1443 %; U (k = 2) = 2·√(0.1732² + 0.1443²) = 0.451 %.
#[test]
fn taximeter_budgets() {
    let spec = verimeter::uncertainty::TaximeterBudgetSpec::default();
    let b = spec.distance_budget(2000.0).unwrap();
    assert_relative_eq!(b.lines[0].u, 0.3 / 3f64.sqrt(), epsilon = 1e-12);
    assert_relative_eq!(
        b.lines[1].u,
        5.0 / 3f64.sqrt() / 2000.0 * 100.0,
        epsilon = 1e-12
    );
    assert!((b.expanded.u - 0.451).abs() < 0.002, "{}", b.expanded.u);
    let t = spec.time_budget(3600.0).unwrap();
    assert!(t.standard_uncertainty > 0.0 && t.standard_uncertainty < 0.05);
    assert!(spec.distance_budget(0.0).is_err());
}
