//! Fare engine throughput: 10 000 trips per iteration, as summaries and as time series, for
//! two tariffs, with a naive f64 distance × price loop as the in-group baseline.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rust_decimal::Decimal;
use verimeter::tariff::{
    fare_bounds, fare_for_series, fare_for_summary, LocalDateTime, Sample, Tariff, TripSeries,
    TripSummary,
};

const N: usize = 10_000;

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

fn summaries() -> Vec<TripSummary> {
    let mut rng = Lcg(7);
    (0..N)
        .map(|_| {
            let km = 0.5 + rng.unit() * 19.5;
            let kmh = 5.0 + rng.unit() * 45.0;
            TripSummary::new("1", km * 1000.0, km / kmh * 3600.0, start(&mut rng))
        })
        .collect()
}

/// Stop-and-go trips of 20 samples, 30 s apart.
fn series() -> Vec<TripSeries> {
    let mut rng = Lcg(11);
    (0..N)
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
    let trips = summaries();
    let mut g = c.benchmark_group("fare/summary");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("baseline-naive-f64", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for t in black_box(&trips) {
                sum += 13.0 + (t.distance_m / 1000.0 - 3.0).max(0.0) * 2.3;
            }
            sum
        })
    });
    for t in &tariffs {
        g.bench_function(format!("fare/{}", t.id), |b| {
            b.iter(|| {
                let mut sum = Decimal::ZERO;
                for trip in black_box(&trips) {
                    sum += fare_for_summary(t, trip).unwrap().fare;
                }
                sum
            })
        });
        g.bench_function(format!("bounds/{}", t.id), |b| {
            b.iter(|| {
                let mut sum = Decimal::ZERO;
                for trip in black_box(&trips) {
                    sum += fare_bounds(t, trip).unwrap().maximum.fare;
                }
                sum
            })
        });
    }
    g.finish();

    let trips = series();
    let mut g = c.benchmark_group("fare/series");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("baseline-naive-f64", |b| {
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
        g.bench_function(format!("fare/{}", t.id), |b| {
            b.iter(|| {
                let mut sum = Decimal::ZERO;
                for trip in black_box(&trips) {
                    sum += fare_for_series(t, trip).unwrap().fare;
                }
                sum
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
