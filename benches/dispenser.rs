//! Dispenser benchmarks: draws through the scalar API (`evaluate_draw`: validation, thermal
//! correction, tolerance from the profile, rounding, verdict and a result showing every step)
//! at one draw (the latency) and at 1 000 / 100 000 draws (not 10 M: `common::SCALAR_MAX`),
//! with an
//! in-bench baseline (the bare correction + error + comparison formula over the same columns)
//! so the figure reads as a ratio measured in the same run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use verimeter::dispenser::{
    corrected_standard_volume, evaluate_draw, indication_error_pct, Draw, TestPoint,
};
use verimeter::profile::DispenserProfile;

mod common;
use common::{configure, rng, scalar_sizes};

/// Deterministic pseudo-random draws (xorshift), realistic ranges: 20 L cans, ±0.3 % errors,
/// 5–35 °C, |t_J − t_B| < 2 °C.
fn draws(n: usize) -> Vec<Draw> {
    let mut next = rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let vb = 19.9 + 0.2 * next();
            let vj = vb * (1.0 + (next() - 0.5) * 0.006);
            let tb = 5.0 + 30.0 * next();
            let tj = tb + (next() - 0.5) * 4.0;
            let fuel = if i % 3 == 0 { "diesel" } else { "petrol" };
            Draw::new(TestPoint::Max, vj, vb)
                .with_temperatures(tj, tb)
                .with_fuel(fuel)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let profile = DispenserProfile::builtin("jjg443-2015").unwrap();
    let stage = profile.stage(Some("subsequent")).unwrap();
    let mut g = c.benchmark_group("dispenser/evaluate_draw");
    for n in std::iter::once(1).chain(scalar_sizes()) {
        let ds = draws(n);
        configure(&mut g, n);
        g.bench_with_input(BenchmarkId::new("scalar_api", n), &ds, |b, ds| {
            b.iter(|| {
                let mut pass = 0usize;
                for d in ds {
                    if let Ok(r) = evaluate_draw(&profile, stage, black_box(d)) {
                        pass += r.verdict.is_pass() as usize;
                    }
                }
                pass
            })
        });
        // Baseline: the bare formula over the same numbers, no validation, no profile.
        let cols: Vec<(f64, f64, f64, f64, f64)> = ds
            .iter()
            .map(|d| {
                let beta =
                    if d.fuel == Some(verimeter::dispenser::Substance::Named("diesel".into())) {
                        9e-4
                    } else {
                        12e-4
                    };
                (
                    d.indicated_l,
                    d.standard_l,
                    d.dispenser_temp_c.unwrap(),
                    d.can_temp_c.unwrap(),
                    beta,
                )
            })
            .collect();
        g.bench_with_input(BenchmarkId::new("baseline_formula", n), &cols, |b, cols| {
            b.iter(|| {
                let mut pass = 0usize;
                for &(vj, vb, tj, tb, beta) in black_box(cols) {
                    let vbt = corrected_standard_volume(vb, tj, tb, beta, 50e-6, 20.0);
                    pass += (indication_error_pct(vj, vbt).abs() <= 0.30) as usize;
                }
                pass
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = bench
}
criterion_main!(benches);
