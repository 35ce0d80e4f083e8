//! Taximeter meter-test throughput: `taximeter/evaluate`.
//!
//! One test (the latency), and 1 000 / 100 000 tests (not 10 M: `common::SCALAR_MAX`), through
//! [`evaluate_test`]
//! (unit checks, tolerance evaluation, rounding, clause and result struct), against an
//! in-group baseline: the bare formula loop `δ = (ind − ref)/ref`, compared with fixed limits,
//! over the same readings. The ratio of the two figures is the cost of the full result.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

mod common;
use common::{configure, scalar_sizes};
use verimeter::taximeter::{evaluate_test, meter_error_pct, MeterTest, TaximeterProfile};
use verimeter::units::Unit;
use verimeter::Verdict;

/// Deterministic readings: references 0.5–10 km, errors −5 % … +2 % (a cheap LCG, no rand).
fn readings(n: usize) -> Vec<MeterTest> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let reference = 0.5 + 9.5 * next();
            let err = -0.05 + 0.07 * next();
            MeterTest::distance(reference, reference * (1.0 + err), Unit::Kilometre)
        })
        .collect()
}

fn evaluate(c: &mut Criterion) {
    let profile = TaximeterProfile::builtin("jjg517-2016").unwrap();
    let stage = profile.stage(Some("installed")).unwrap();
    let mut group = c.benchmark_group("taximeter/evaluate");

    let one = MeterTest::distance(2.000, 1.930, Unit::Kilometre);
    configure(&mut group, 1);
    group.bench_function(BenchmarkId::new("evaluate_test", 1), |b| {
        b.iter(|| evaluate_test(&profile, stage, black_box(&one)).unwrap())
    });

    for n in scalar_sizes() {
        let tests = readings(n);
        configure(&mut group, n);
        group.bench_with_input(BenchmarkId::new("evaluate_test", n), &tests, |b, tests| {
            b.iter(|| {
                tests
                    .iter()
                    .filter(|t| {
                        evaluate_test(&profile, stage, t)
                            .map(|r| r.verdict == Verdict::Pass)
                            .unwrap_or(false)
                    })
                    .count()
            })
        });
        // Baseline: the bare formula on the same readings, limits −4 % … +1 % fixed.
        let pairs: Vec<(f64, f64)> = tests
            .iter()
            .map(|t| (t.reference * 1000.0, t.indicated * 1000.0))
            .collect();
        group.bench_with_input(
            BenchmarkId::new("baseline_formula", n),
            &pairs,
            |b, pairs| {
                b.iter(|| {
                    pairs
                        .iter()
                        .filter(|(r, i)| {
                            let e = meter_error_pct(*i, *r);
                            (-4.0..=1.0).contains(&e)
                        })
                        .count()
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = evaluate
}
criterion_main!(benches);
