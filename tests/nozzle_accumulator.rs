//! `NozzleAccumulator` (draw by draw, as the streaming CLI uses it) gives the very summary
//! the summary over all of a nozzle's kept draws gave: the pre-streaming `summarize_nozzle`
//! is kept below, verbatim, as the oracle.

use proptest::prelude::*;
use verimeter::decision::DecisionRule;
use verimeter::dispenser::{
    apply_decision, evaluate_draw, repeatability, Draw, DrawFigures, DrawResult, NozzleAccumulator,
    NozzleRangeVerdictAccumulator, NozzleVerdictAccumulator, PriceReading, TestPoint,
    TestPointSummary,
};
use verimeter::money::parse_money;
use verimeter::profile::{DispenserProfile, DispenserStage, BUILTIN_DISPENSER_PROFILES};
use verimeter::uncertainty::Expanded;
use verimeter::{Error, Result, Verdict};

fn old_summarize_nozzle<'a, L: AsRef<str> + 'a>(
    profile: &DispenserProfile,
    stage: &DispenserStage,
    draws: impl IntoIterator<Item = (L, &'a Result<DrawResult>)>,
) -> (Verdict, Vec<TestPointSummary>, Vec<String>) {
    let mut fails = Vec::new();
    let mut gaps = Vec::new();
    // Conditional verdicts (non-binary decision rule) of single draws, and their reasons.
    let mut conditional = Vec::new();
    let mut worst = Verdict::Pass;
    let mut by_point: Vec<(TestPoint, Vec<&DrawResult>)> = Vec::new();
    for (label, outcome) in draws {
        let label = label.as_ref();
        match outcome {
            Ok(r) => {
                worst = worst.worst(r.indication_verdict);
                let judged = if r.judged_error_pct == r.error_pct {
                    String::new()
                } else {
                    format!(" (judged {})", pct(r.judged_error_pct))
                };
                if let (Some(d), false) = (&r.decision, r.indication_verdict.is_pass()) {
                    let text = format!(
                        "{label}: {} error {:+.3} %{judged} is {} under the {} rule: limits {} % … {} %, U = {:.3} %, guard band {:.3} % ({})",
                        r.test_point,
                        r.error_pct,
                        r.indication_verdict,
                        d.rule,
                        pct(r.limits_pct.lower),
                        pct(r.limits_pct.upper),
                        d.expanded_uncertainty_pct,
                        d.guard_band_pct,
                        r.clause
                    );
                    if r.indication_verdict == Verdict::Fail {
                        fails.push(text);
                    } else {
                        conditional.push(text);
                    }
                } else if r.indication_verdict != Verdict::Pass {
                    fails.push(format!(
                        "{label}: {} error {:+.3} %{judged} outside {} % … {} % ({})",
                        r.test_point,
                        r.error_pct,
                        pct(r.limits_pct.lower),
                        pct(r.limits_pct.upper),
                        r.clause
                    ));
                }
                if let Some(a) = r.amount.as_ref().filter(|a| a.verdict != Verdict::Pass) {
                    fails.push(format!(
                        "{label}: amount {} differs from {} by {} (allowed {}; {})",
                        a.indicated_amount, a.computed_amount, a.difference, a.allowance, a.clause
                    ));
                }
                match by_point.iter_mut().find(|(tp, _)| *tp == r.test_point) {
                    Some((_, v)) => v.push(r),
                    None => by_point.push((r.test_point, vec![r])),
                }
            }
            Err(e) => gaps.push(format!("{label}: draw not usable: {e}")),
        }
    }
    by_point.sort_by_key(|(tp, _)| *tp);
    let required = &stage.required_test_points.value;
    let need = stage.draws_per_test_point.value as usize;
    let mut test_points = Vec::new();
    for (tp, rs) in &by_point {
        let errs = rs.iter().map(|r| r.error_pct);
        let n = rs.len();
        let mean = errs.clone().sum::<f64>() / n as f64;
        let mut verdict = rs.iter().fold(Verdict::Pass, |v, r| v.worst(r.verdict));
        let rep = match repeatability(profile, stage, *tp, rs) {
            Ok(r) => r,
            Err(e) => {
                gaps.push(format!("{tp}: repeatability not evaluated: {e}"));
                verdict = verdict.worst(Verdict::Incomplete);
                None
            }
        };
        if let Some(r) = rep.as_ref().filter(|r| r.verdict != Verdict::Pass) {
            fails.push(format!(
                "{tp}: repeatability {:.3} % (judged {}) exceeds {} % ({})",
                r.value_pct,
                pct(r.judged_value_pct),
                pct(r.limit_pct),
                r.clause
            ));
            verdict = verdict.worst(Verdict::Fail);
            worst = worst.worst(Verdict::Fail);
        }
        if required.contains(tp) && n < need {
            gaps.push(format!(
                "{tp}: {n} usable draw(s), {need} required ({})",
                stage.draws_per_test_point.source
            ));
            verdict = verdict.worst(Verdict::Incomplete);
        }
        test_points.push(TestPointSummary {
            test_point: *tp,
            draws: n,
            mean_error_pct: mean,
            min_error_pct: errs.clone().fold(f64::INFINITY, f64::min),
            max_error_pct: errs.fold(f64::NEG_INFINITY, f64::max),
            repeatability: rep,
            verdict,
        });
    }
    for tp in required {
        if !by_point.iter().any(|(p, _)| p == tp) {
            gaps.push(format!(
                "{tp}: required test point missing ({})",
                stage.required_test_points.source
            ));
        }
    }
    // fail > conditional-fail > incomplete > conditional-pass > pass (Verdict::worst).
    let mut verdict = worst;
    if !fails.is_empty() {
        verdict = verdict.worst(Verdict::Fail);
    }
    if !gaps.is_empty() {
        verdict = verdict.worst(Verdict::Incomplete);
    }
    fails.extend(conditional);
    fails.extend(gaps);
    (verdict, test_points, fails)
}

/// A percentage for messages: signed, at most four decimals, no trailing zeros (+0.3, −0.2609).
fn pct(x: f64) -> String {
    let s = format!("{:+.4}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// test point index, V_B, error %, temperatures (t_B, Δt), MMQ, unit price in cents,
/// decision (rule index, U), unusable.
type Spec = (
    usize,
    f64,
    f64,
    Option<(f64, f64)>,
    Option<f64>,
    Option<u32>,
    Option<(usize, f64)>,
    bool,
);

/// One draw: a test point, V_B, an error in %, optional temperatures, MMQ and price, and
/// optionally a decision (rule index, U); or an unusable row.
fn draw_spec() -> impl Strategy<Value = Spec> {
    (
        0usize..4,
        prop_oneof![Just(20.0), 0.5..200.0f64],
        prop_oneof![-1.2..1.2f64, Just(0.0), Just(0.3), Just(-0.3)],
        prop::option::of((-10.0..40.0f64, -4.0..4.0f64)),
        prop::option::of(0.1..10.0f64),
        prop::option::of(500u32..900),
        prop::option::of((0usize..4, 0.0..0.5f64)),
        prop::bool::weighted(0.08),
    )
}

fn outcome(
    p: &DispenserProfile,
    stage: &DispenserStage,
    (tp, vb, err, temps, mmq, price, decision, unusable): Spec,
) -> Result<DrawResult> {
    if unusable {
        return Err(Error::Unreadable {
            reason: "indicated_l: not a number: \"x\"".into(),
        });
    }
    let vj = vb * (1.0 + err / 100.0);
    let mut d = Draw::new(TestPoint::ALL[tp], vj, vb);
    if let Some((tb, dt)) = temps {
        d = d.with_temperatures(tb + dt, tb).with_fuel("petrol");
    }
    d.mmq_l = mmq;
    if let Some(cents) = price {
        let unit_price = parse_money("unit_price", &format!("{}.{:02}", cents / 100, cents % 100))?;
        // An amount that is sometimes off by a cent or more: amount fails.
        let amount = parse_money(
            "amount",
            &format!("{:.2}", vj * f64::from(cents) / 100.0 + err / 50.0),
        )?;
        d.price = Some(PriceReading { unit_price, amount });
    }
    let mut r = evaluate_draw(p, stage, &d)?;
    if let Some((rule, u)) = decision {
        let rule = [
            DecisionRule::Simple,
            DecisionRule::Guarded { guard_factor: 1.0 },
            DecisionRule::GuardedRejection { guard_factor: 1.0 },
            DecisionRule::NonBinary { guard_factor: 1.0 },
        ][rule];
        let e = Expanded {
            k: 2.0,
            p: 0.9545,
            u,
        };
        apply_decision(&mut r, e, rule, "test budget")?;
    }
    Ok(r)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Draw by draw equals all at once: verdict, test points (bit for bit) and reasons.
    #[test]
    fn accumulator_equals_summary_over_kept_draws(
        pi in 0usize..4,
        si in 0usize..3,
        specs in prop::collection::vec(draw_spec(), 0..14),
    ) {
        let p = DispenserProfile::builtin(BUILTIN_DISPENSER_PROFILES[pi]).unwrap();
        let stage = &p.stages[si % p.stages.len()];
        let outcomes: Vec<(String, Result<DrawResult>)> = specs
            .into_iter()
            .enumerate()
            .map(|(i, s)| (format!("line {}", i + 2), outcome(&p, stage, s)))
            .collect();
        let (verdict, points, reasons) =
            old_summarize_nozzle(&p, stage, outcomes.iter().map(|(l, o)| (l.as_str(), o)));
        let mut acc = NozzleAccumulator::new();
        for (i, (_, o)) in outcomes.iter().enumerate() {
            acc.push(format_args!("line {}", i + 2), o);
        }
        // `verdict` (no summary built) is `finish`'s verdict.
        prop_assert_eq!(acc.verdict(&p, stage), verdict);
        let s = acc.finish(&p, stage);
        prop_assert_eq!(s.verdict, verdict);
        prop_assert_eq!(&s.reasons, &reasons);
        prop_assert_eq!(s.test_points.len(), points.len());
        for (a, b) in s.test_points.iter().zip(&points) {
            prop_assert_eq!(a.test_point, b.test_point);
            prop_assert_eq!(a.draws, b.draws);
            prop_assert_eq!(a.mean_error_pct.to_bits(), b.mean_error_pct.to_bits());
            prop_assert_eq!(a.min_error_pct.to_bits(), b.min_error_pct.to_bits());
            prop_assert_eq!(a.max_error_pct.to_bits(), b.max_error_pct.to_bits());
            prop_assert_eq!(&a.repeatability, &b.repeatability);
            prop_assert_eq!(a.verdict, b.verdict);
        }
        // And summarize_nozzle (now built on the accumulator) says the same.
        let via = verimeter::dispenser::summarize_nozzle(
            &p, stage, outcomes.iter().map(|(l, o)| (l.as_str(), o)));
        prop_assert_eq!(&via, &s);
        // The verdict-only accumulator: the same summary, the same number of reasons, each
        // of them empty.
        let mut quiet = NozzleAccumulator::verdict_only();
        for (i, (_, o)) in outcomes.iter().enumerate() {
            quiet.push(format_args!("line {}", i + 2), o);
        }
        prop_assert_eq!(quiet.verdict(&p, stage), s.verdict);
        let q = quiet.finish(&p, stage);
        prop_assert_eq!(q.verdict, s.verdict);
        prop_assert_eq!(&q.test_points, &s.test_points);
        prop_assert_eq!(q.reasons.len(), s.reasons.len());
        prop_assert!(q.reasons.iter().all(String::is_empty), "{:?}", q.reasons);
    }

    /// Pushing a usable draw's figures (`push_figures`) is pushing its `DrawResult`: the same
    /// state, `finish` summary and `verdict`, in a wording accumulator (which declines the
    /// figures of a draw that gives a reason: then the result is pushed) and a verdict-only
    /// one (which takes every usable draw's figures).
    #[test]
    fn pushing_figures_equals_pushing_results(
        pi in 0usize..4,
        si in 0usize..3,
        specs in prop::collection::vec(draw_spec(), 0..14),
    ) {
        let p = DispenserProfile::builtin(BUILTIN_DISPENSER_PROFILES[pi]).unwrap();
        let stage = &p.stages[si % p.stages.len()];
        let outcomes: Vec<Result<DrawResult>> =
            specs.into_iter().map(|s| outcome(&p, stage, s)).collect();
        for verdict_only in [false, true] {
            let new = || if verdict_only {
                NozzleAccumulator::verdict_only()
            } else {
                NozzleAccumulator::new()
            };
            let (mut by_results, mut by_figures) = (new(), new());
            for (i, o) in outcomes.iter().enumerate() {
                let label = format_args!("line {}", i + 2);
                by_results.push(label, o);
                let taken = match o {
                    Ok(r) => {
                        let f = DrawFigures::of(r);
                        let taken = by_figures.push_figures(&f);
                        // Declined only by a wording accumulator, only for a draw that
                        // gives a reason.
                        prop_assert_eq!(taken, verdict_only || !f.gives_reason());
                        taken
                    }
                    Err(_) => false,
                };
                if !taken {
                    by_figures.push(label, o);
                }
                prop_assert_eq!(&by_figures, &by_results);
            }
            prop_assert_eq!(by_figures.verdict(&p, stage), by_results.verdict(&p, stage));
            let (a, b) = (by_figures.finish(&p, stage), by_results.finish(&p, stage));
            prop_assert_eq!(&a, &b);
            for (x, y) in a.test_points.iter().zip(&b.test_points) {
                prop_assert_eq!(x.mean_error_pct.to_bits(), y.mean_error_pct.to_bits());
                prop_assert_eq!(x.min_error_pct.to_bits(), y.min_error_pct.to_bits());
                prop_assert_eq!(x.max_error_pct.to_bits(), y.max_error_pct.to_bits());
            }
        }
    }

    /// `NozzleVerdicts` (one table for a whole log's nozzles) gives each nozzle
    /// `NozzleAccumulator::verdict`'s verdict, remembered repeatabilities included.
    #[test]
    fn nozzle_verdicts_equal_each_verdict(
        pi in 0usize..4,
        si in 0usize..3,
        nozzles in prop::collection::vec(prop::collection::vec(draw_spec(), 0..8), 1..40),
    ) {
        let p = DispenserProfile::builtin(BUILTIN_DISPENSER_PROFILES[pi]).unwrap();
        let stage = &p.stages[si % p.stages.len()];
        let mut verdicts = verimeter::dispenser::NozzleVerdicts::new(&p, stage);
        // Each nozzle twice: the second time its repeatabilities come from the table.
        for specs in nozzles.iter().chain(&nozzles) {
            let mut acc = NozzleAccumulator::verdict_only();
            let mut worded = NozzleAccumulator::new();
            // The verdicts alone: by results and by figures (every other usable draw).
            let mut small = NozzleVerdictAccumulator::new();
            // The same in the range-only accumulator (by figures on the other draws).
            let mut range = NozzleRangeVerdictAccumulator::new();
            for (i, s) in specs.iter().enumerate() {
                let o = outcome(&p, stage, *s);
                acc.push(format_args!("line {}", i + 2), &o);
                worded.push(format_args!("line {}", i + 2), &o);
                match &o {
                    Ok(r) if i % 2 == 1 => small.push_figures(&DrawFigures::of(r)),
                    _ => small.push(&o),
                }
                match &o {
                    Ok(r) if i % 2 == 0 => range.push_figures(&DrawFigures::of(r)),
                    _ => range.push(&o),
                }
            }
            let verdict = acc.verdict(&p, stage);
            prop_assert_eq!(verdicts.verdict(&acc), verdict);
            prop_assert_eq!(worded.verdict(&p, stage), verdict);
            prop_assert_eq!(worded.finish(&p, stage).verdict, verdict);
            prop_assert_eq!(small.verdict(&p, stage), verdict);
            prop_assert_eq!(verdicts.verdict_of(&small), verdict);
            // Against any stage: no panic, and the same verdict for a stage it judges.
            let (by_range, in_table) = (range.verdict(&p, stage), verdicts.verdict_of_range(&range));
            prop_assert_eq!(by_range, in_table);
            if NozzleRangeVerdictAccumulator::judges(stage) {
                prop_assert_eq!(by_range, verdict);
            }
        }
    }
}

/// A log holds one accumulator per nozzle until its end (2.3 M for the generated 1 GB log):
/// its size is the memory, and the page faults, per nozzle.
#[test]
fn accumulator_size() {
    assert!(
        std::mem::size_of::<verimeter::dispenser::NozzleAccumulator>() <= 144,
        "{}",
        std::mem::size_of::<verimeter::dispenser::NozzleAccumulator>()
    );
}

/// The same for a nozzle's verdict alone (the CLI's csv output holds one per nozzle).
#[test]
fn verdict_accumulator_size() {
    assert!(
        std::mem::size_of::<verimeter::dispenser::NozzleVerdictAccumulator>() <= 96,
        "{}",
        std::mem::size_of::<verimeter::dispenser::NozzleVerdictAccumulator>()
    );
}

/// The same for a nozzle's verdict under range-over-coefficient rules alone (the CLI's csv
/// output under a JJG 443 stage).
#[test]
fn range_verdict_accumulator_size() {
    assert!(
        std::mem::size_of::<verimeter::dispenser::NozzleRangeVerdictAccumulator>() <= 64,
        "{}",
        std::mem::size_of::<verimeter::dispenser::NozzleRangeVerdictAccumulator>()
    );
}

/// Which builtin stages the range-only accumulator judges: every JJG 443 one, and not a
/// stage with a fraction-of-tolerance repeatability.
#[test]
fn range_verdict_accumulator_judges() {
    use verimeter::profile::RepeatabilityRule;
    for name in BUILTIN_DISPENSER_PROFILES {
        let p = DispenserProfile::builtin(name).unwrap();
        for stage in &p.stages {
            let fraction = TestPoint::ALL.iter().any(|&tp| {
                matches!(
                    stage.repeatability_for(tp),
                    Some(RepeatabilityRule::RangeFractionOfTolerance { .. })
                )
            });
            assert_eq!(
                NozzleRangeVerdictAccumulator::judges(stage),
                !fraction,
                "{name}"
            );
            if name.starts_with("jjg443") {
                assert!(NozzleRangeVerdictAccumulator::judges(stage), "{name}");
            }
        }
    }
}
