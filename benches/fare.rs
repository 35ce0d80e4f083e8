//! Fare engine throughput: the scalar engine over 1 000 and 100 000 trips, as summaries and as
//! time series, for two tariffs, with a naive f64 distance × price loop as the in-group
//! baseline (not at 10 M: see `common::SCALAR_MAX`); and
//! `fare/summary_batch`: [`FareBatch`] over 1 000 / 100 000 / 10 000 000 trip summaries, with
//! the scalar engine (`fare_for_summary` per row) as the baseline in the same group.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rust_decimal::Decimal;
use verimeter::batch::fare::{FareBatch, FareColumns, FareOutput, Rates};
use verimeter::tariff::{
    fare_bounds, fare_for_series, fare_for_summary, LocalDateTime, Sample, Tariff, TripSeries,
    TripSummary,
};

mod common;
use common::{configure, scalar_sizes, SCALAR_MAX, SIZES};

/// `fare_bounds` (every admissible reading of a trip, ~10–15 µs each) runs at 1 000 trips
/// only: at 100 000 it alone took half a minute of the bench budget.
const BOUNDS_MAX: usize = 1_000;

/// A small deterministic generator (no dev-dependency needed).
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn start(rng: &mut Lcg) -> LocalDateTime {
    let day = 4 + (rng.unit() * 7.0) as u8; // 2019-03-04 (Mon) … 2019-03-10 (Sun)
    let hour = (rng.unit() * 24.0) as u8;
    let minute = (rng.unit() * 60.0) as u8;
    LocalDateTime::new(2019, 3, day, hour, minute, 0).unwrap()
}

fn summaries(n: usize) -> Vec<TripSummary> {
    let mut rng = Lcg(7);
    (0..n)
        .map(|_| {
            let km = 0.5 + rng.unit() * 19.5;
            let kmh = 5.0 + rng.unit() * 45.0;
            TripSummary::new("1", km * 1000.0, km / kmh * 3600.0, start(&mut rng))
        })
        .collect()
}

/// Stop-and-go trips of 20 samples, 30 s apart.
fn series(n: usize) -> Vec<TripSeries> {
    let mut rng = Lcg(11);
    (0..n)
        .map(|_| {
            let mut d = 0.0;
            let samples = (1..=20)
                .map(|i| {
                    let kmh = if rng.unit() < 0.3 {
                        0.0
                    } else {
                        rng.unit() * 60.0
                    };
                    d += kmh / 3.6 * 30.0;
                    Sample::new(30.0 * f64::from(i), d)
                })
                .collect();
            TripSeries::new("1", start(&mut rng), samples)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tariffs = [
        Tariff::builtin("nyc-yellow-2019").unwrap(),
        Tariff::builtin("beijing-2013").unwrap(),
    ];
    let mut g = c.benchmark_group("fare/summary");
    for n in scalar_sizes() {
        let trips = summaries(n);
        configure(&mut g, n);
        g.bench_with_input(BenchmarkId::new("baseline-naive-f64", n), &n, |b, _| {
            b.iter(|| {
                let mut sum = 0.0;
                for t in black_box(&trips) {
                    sum += 13.0 + (t.distance_m / 1000.0 - 3.0).max(0.0) * 2.3;
                }
                sum
            })
        });
        for t in &tariffs {
            g.bench_with_input(BenchmarkId::new(format!("fare/{}", t.id), n), &n, |b, _| {
                b.iter(|| {
                    let mut sum = Decimal::ZERO;
                    for trip in black_box(&trips) {
                        sum += fare_for_summary(t, trip).unwrap().fare;
                    }
                    sum
                })
            });
            if n <= BOUNDS_MAX {
                g.bench_with_input(
                    BenchmarkId::new(format!("bounds/{}", t.id), n),
                    &n,
                    |b, _| {
                        b.iter(|| {
                            let mut sum = Decimal::ZERO;
                            for trip in black_box(&trips) {
                                sum += fare_bounds(t, trip).unwrap().maximum.fare;
                            }
                            sum
                        })
                    },
                );
            }
        }
    }
    g.finish();

    let mut g = c.benchmark_group("fare/series");
    for n in scalar_sizes() {
        let trips = series(n);
        configure(&mut g, n);
        g.bench_with_input(BenchmarkId::new("baseline-naive-f64", n), &n, |b, _| {
            b.iter(|| {
                let mut sum = 0.0;
                for t in black_box(&trips) {
                    let mut prev = 0.0;
                    let mut fare = 2.5;
                    for s in &t.samples {
                        fare += (s.distance_m - prev) / 321.8688 * 0.5;
                        prev = s.distance_m;
                    }
                    sum += fare;
                }
                sum
            })
        });
        for t in &tariffs {
            g.bench_with_input(BenchmarkId::new(format!("fare/{}", t.id), n), &n, |b, _| {
                b.iter(|| {
                    let mut sum = Decimal::ZERO;
                    for trip in black_box(&trips) {
                        sum += fare_for_series(t, trip).unwrap().fare;
                    }
                    sum
                })
            });
        }
    }
    g.finish();
}

/// The trips of `fare/summary`, as columns: 0.5–20 km at 5–50 km/h, starting at any
/// second of the week 2019-03-04 … 03-10 (so trips cross night and peak edges).
struct Columns {
    distance: Vec<f64>,
    duration: Vec<f64>,
    start: Vec<i64>,
}

fn columns(n: usize) -> Columns {
    let mut rng = Lcg(13);
    let day0 = LocalDateTime::new(2019, 3, 4, 0, 0, 0)
        .unwrap()
        .to_seconds();
    let mut c = Columns {
        distance: Vec::with_capacity(n),
        duration: Vec::with_capacity(n),
        start: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let km = 0.5 + rng.unit() * 19.5;
        let kmh = 5.0 + rng.unit() * 45.0;
        c.distance.push(km * 1000.0);
        c.duration.push(km / kmh * 3600.0);
        c.start.push(day0 + (rng.unit() * 7.0 * 86_400.0) as i64);
    }
    c
}

fn bench_batch(c: &mut Criterion) {
    let tariffs = [
        Tariff::builtin("beijing-2013").unwrap(),
        Tariff::builtin("nyc-yellow-2019").unwrap(),
    ];
    let mut g = c.benchmark_group("fare/summary_batch");
    for n in SIZES {
        configure(&mut g, n);
        let data = columns(n);
        let mut fare = vec![0i64; n];
        let mut code = vec![0u8; n];
        for t in &tariffs {
            let batch = FareBatch::new(t).unwrap();
            let cols =
                FareColumns::new(&data.distance, &data.duration, &data.start, Rates::Same(0));
            g.bench_with_input(
                BenchmarkId::new(format!("batch/{}", t.id), n),
                &n,
                |b, _| {
                    b.iter(|| {
                        batch
                            .evaluate_serial(
                                black_box(&cols),
                                &mut FareOutput::new(&mut fare, &mut code),
                            )
                            .unwrap()
                    })
                },
            );
            #[cfg(feature = "parallel")]
            g.bench_with_input(
                BenchmarkId::new(format!("batch_parallel/{}", t.id), n),
                &n,
                |b, _| {
                    b.iter(|| {
                        batch
                            .evaluate(black_box(&cols), &mut FareOutput::new(&mut fare, &mut code))
                            .unwrap()
                    })
                },
            );
            if n <= SCALAR_MAX {
                let code = &t.rates[0].code;
                let trips: Vec<TripSummary> = (0..n)
                    .map(|i| {
                        TripSummary::new(
                            code,
                            data.distance[i],
                            data.duration[i],
                            LocalDateTime::from_seconds(data.start[i]).unwrap(),
                        )
                    })
                    .collect();
                g.bench_with_input(
                    BenchmarkId::new(format!("scalar/{}", t.id), n),
                    &n,
                    |b, _| {
                        b.iter(|| {
                            let mut sum = Decimal::ZERO;
                            for trip in black_box(&trips) {
                                sum += fare_for_summary(t, trip).unwrap().fare;
                            }
                            sum
                        })
                    },
                );
            }
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = bench, bench_batch
}
criterion_main!(benches);
