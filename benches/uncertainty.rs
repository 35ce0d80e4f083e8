//! Uncertainty benchmarks: a dispenser budget and a decision per reading, at one reading and
//! at 1 000 / 100 000 readings, against an in-bench baseline (the simple-acceptance
//! comparison alone).
//!
//! Not at 10 000 000: a budget is built per reading with its named components (so that every
//! figure can be explained), about 1.5 µs each on the 2-core machine, so one iteration over
//! 10 M readings takes ~15 s and criterion's minimum of 10 samples would spend ~3 of the
//! 10 minutes `cargo bench` is allowed. The per-reading cost is flat from 1 000 readings on.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use verimeter::decision::DecisionRule;
use verimeter::tolerance::PctLimits;
use verimeter::uncertainty::DispenserBudgetSpec;

mod common;
use common::{configure, rng, scalar_sizes};

fn readings(n: usize) -> Vec<(f64, f64, f64)> {
    let mut next = rng(0x2545_F491_4F6C_DD1D);
    (0..n)
        .map(|_| {
            (
                5.0 + 95.0 * next(),
                (next() - 0.5) * 0.8,
                (next() - 0.5) * 6.0,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let spec = DispenserBudgetSpec::default();
    let rule = DecisionRule::NonBinary { guard_factor: 1.0 };
    let lim = PctLimits::symmetric(0.30);
    let mut g = c.benchmark_group("uncertainty/dispenser_budget_and_decision");
    for n in std::iter::once(1).chain(scalar_sizes()) {
        let rs = readings(n);
        configure(&mut g, n);
        g.bench_with_input(BenchmarkId::new("budget_and_decision", n), &rs, |b, rs| {
            b.iter(|| {
                let mut pass = 0usize;
                for &(v, e, dt) in black_box(rs) {
                    let budget = spec.budget(v, 12e-4, dt).unwrap();
                    pass += rule.decide(e, lim, budget.expanded.u).unwrap().is_pass() as usize;
                }
                pass
            })
        });
        g.bench_with_input(
            BenchmarkId::new("baseline_simple_compare", n),
            &rs,
            |b, rs| {
                b.iter(|| {
                    black_box(rs)
                        .iter()
                        .filter(|(_, e, _)| e.abs() <= 0.30)
                        .count()
                })
            },
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = bench
}
criterion_main!(benches);
