//! Uncertainty benchmarks: a dispenser budget and a decision per reading, 10 000 readings,
//! against an in-bench baseline (the simple-acceptance comparison alone).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use verimeter::decision::DecisionRule;
use verimeter::tolerance::PctLimits;
use verimeter::uncertainty::DispenserBudgetSpec;

fn readings(n: usize) -> Vec<(f64, f64, f64)> {
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
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
    for n in [1usize, 10_000] {
        let rs = readings(n);
        g.throughput(Throughput::Elements(n as u64));
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

criterion_group!(benches, bench);
criterion_main!(benches);
