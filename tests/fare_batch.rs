//! The fare batch against the scalar fare engine, row by row: random batches over every
//! built-in tariff and rate (step edges, window edges, the 15 km long-distance edge, invalid
//! numbers, unknown rates), serial against parallel, and hand-checked fares.
//!
//! Sources of the worked fares: the tariffs' own `source`s (`fixtures/tariffs/*.json`):
//! Beijing 2013 — 13 元 for the first 3 km (14 元 at night 23:00–05:00 ⚠), 2.30 元/km charged
//! per 500 m (1.15 元), +50 % beyond 15 km, +20 % per km at night, 5 min below 12 km/h = 1 km
//! (2 km in the peaks 07–09, 17–19), fuel surcharge 1 元 on the meter, whole yuan half-up;
//! Shanghai 2015 — 14 元 for 3 km, 2.50 元/km (1.25 per 500 m), 3.60 元/km beyond 15 km;
//! NYC yellow 2019 — $2.50 + $0.50 per 1/5 mile or per 60 s below 12 mph.

use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use verimeter::batch::fare::{
    FareBatch, FareColumns, FareOutput, FareRowError, Rates, FARE_INVALID,
};
use verimeter::batch::{PARALLEL_MIN_ROWS, VERDICT_FAIL, VERDICT_INVALID, VERDICT_PASS};
use verimeter::tariff::{
    check_fare, fare_for_summary, LocalDateTime, Tariff, BUILTIN_TARIFFS, MAX_HIRE_S,
};
use verimeter::tolerance::Tolerance;
use verimeter::units::METRES_PER_MILE;
use verimeter::Verdict;

/// MID MI-007 fare calculation: ±0.1 %, at least the least significant digit of the display.
fn mid_fare_tolerance() -> Tolerance {
    serde_json::from_str(
        r#"{"kind": "max", "of": [
            {"kind": "relative", "pct": 0.1},
            {"kind": "display_resolution", "digits": 1}],
            "source": "MID 2014/32/EU Annex IX (MI-007) fare calculation"}"#,
    )
    .unwrap()
}

fn secs(s: &str) -> i64 {
    s.parse::<LocalDateTime>().unwrap().to_seconds()
}

/// Deterministic uniform numbers in [0, 1) (xorshift64).
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n - 1)
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// The input columns of one random batch.
struct Data {
    distance: Vec<f64>,
    duration: Vec<f64>,
    waiting: Option<Vec<f64>>,
    start: Vec<i64>,
    rate: Vec<u16>,
    indicated: Vec<i64>,
}

impl Data {
    /// No rows yet, room for `n`; a waiting column only `with_waiting`.
    fn with_capacity(n: usize, with_waiting: bool) -> Self {
        Data {
            distance: Vec::with_capacity(n),
            duration: Vec::with_capacity(n),
            waiting: with_waiting.then(|| Vec::with_capacity(n)),
            start: Vec::with_capacity(n),
            rate: Vec::with_capacity(n),
            indicated: Vec::with_capacity(n),
        }
    }
}

/// Random trips of `tariff` with many rows on the edges where the engine splits or steps.
fn data(tariff: &Tariff, seed: u64, n: usize, with_waiting: bool) -> Data {
    let mut r = Rng(seed | 1);
    let day0 = secs("2019-03-04 00:00:00"); // a Monday
    let edges = day_bounds(tariff);
    let mut d = Data::with_capacity(n, with_waiting);
    fn nudge(r: &mut Rng, x: f64) -> f64 {
        match r.below(6) {
            0 => x,
            1 => x + 1e-9,
            2 => x - 1e-9,
            3 => f64::from_bits(x.to_bits() + 1),
            4 => f64::from_bits(x.to_bits().saturating_sub(1)),
            _ => x + 1e-6,
        }
    }
    for _ in 0..n {
        let ri = if r.unit() < 0.02 {
            tariff.rates.len() as u16 // unknown rate index
        } else {
            r.below(tariff.rates.len()) as u16
        };
        let rate = tariff
            .rates
            .get(usize::from(ri))
            .unwrap_or(&tariff.rates[0]);
        let len = rate
            .distance_step
            .as_ref()
            .map_or(500.0, |s| s.length_m.value);
        let cover = rate
            .initial
            .as_ref()
            .and_then(|i| i.covers_distance_m.as_ref())
            .map_or(0.0, |c| c.value);
        let dist = match r.below(10) {
            0 => {
                let x = cover + len * r.below(60) as f64;
                nudge(&mut r, x)
            }
            1 => nudge(&mut r, 15_000.0),
            2 => {
                let x = len * r.below(100) as f64;
                nudge(&mut r, x)
            }
            3 => r.pick(&[
                0.0,
                -0.0,
                -1.0,
                f64::NAN,
                f64::INFINITY,
                1e300,
                5e13,
                f64::MIN_POSITIVE,
            ]),
            _ => r.unit() * 40_000.0,
        };
        let kmh = r.pick(&[3.0, 8.0, 11.9, 12.0, 20.0, 19.3121, 40.0, 80.0]) * (0.5 + r.unit());
        let dur = match r.below(10) {
            0 => {
                let x = 60.0 * r.below(90) as f64;
                nudge(&mut r, x)
            }
            1 => {
                let x = 300.0 * r.below(20) as f64;
                nudge(&mut r, x)
            }
            2 => r.pick(&[
                0.0,
                -5.0,
                f64::NAN,
                f64::NEG_INFINITY,
                MAX_HIRE_S,
                MAX_HIRE_S + 1.0,
                86_400.0 * 3.0,
            ]),
            3 => {
                // At the crossover speed (12 mph in NYC, 12 km/h waiting).
                let v = r.pick(&[12.0 * METRES_PER_MILE / 3600.0, 12.0 / 3.6]);
                if dist.is_finite() && dist > 0.0 {
                    let x = dist / v;
                    nudge(&mut r, x)
                } else {
                    600.0
                }
            }
            _ => {
                if dist.is_finite() && (0.0..1e6).contains(&dist) {
                    dist / (kmh / 3.6)
                } else {
                    r.unit() * 7200.0
                }
            }
        };
        if let Some(w) = d.waiting.as_mut() {
            let wv = match r.below(8) {
                0 => 0.0,
                1 => dur,
                2 => r.pick(&[f64::NAN, -1.0, dur + 1.0, f64::INFINITY]),
                3 => {
                    let x = r.pick(&[240.0, 300.0, 60.0]) * r.below(10) as f64;
                    nudge(&mut r, x)
                }
                _ => {
                    if dur.is_finite() && dur > 0.0 {
                        dur * r.unit()
                    } else {
                        0.0
                    }
                }
            };
            w.push(wv);
        }
        let day = day0 + 86_400 * r.below(7) as i64;
        let start = match r.below(10) {
            // A start just before (or on) a window edge, so that the trip crosses it.
            0..=3 => day + r.pick(&edges) - r.below(1800) as i64,
            4 => day + r.pick(&edges),
            5 => r.pick(&[i64::MAX, i64::MIN, -62_135_596_801, 253_402_300_800, 0]),
            _ => day + r.below(86_400) as i64,
        };
        d.distance.push(dist);
        d.duration.push(dur);
        d.start.push(start);
        d.rate.push(ri);
        d.indicated.push(r.below(20_000) as i64 - 50);
    }
    d
}

struct Out {
    fare: Vec<i64>,
    code: Vec<u8>,
    verdict: Vec<u8>,
    diff: Vec<i64>,
}

impl Out {
    fn new(n: usize) -> Self {
        Self {
            fare: vec![7; n],
            code: vec![7; n],
            verdict: vec![7; n],
            diff: vec![7; n],
        }
    }
    fn view(&mut self) -> FareOutput<'_> {
        FareOutput::new(&mut self.fare, &mut self.code)
            .with_check(&mut self.verdict, &mut self.diff)
    }
}

fn columns<'a>(d: &'a Data, indicated: &'a [i64]) -> FareColumns<'a> {
    let mut c = FareColumns::new(&d.distance, &d.duration, &d.start, Rates::PerRow(&d.rate))
        .with_indicated(indicated);
    if let Some(w) = &d.waiting {
        c = c.with_waiting(w);
    }
    c
}

/// Every row of the batch equals the scalar API's answer for the same trip.
fn compare_with_scalar(tariff: &Tariff, seed: u64, n: usize, with_waiting: bool) {
    compare_data(tariff, seed, data(tariff, seed, n, with_waiting));
}

/// Compares every row of `d` with the scalar API; returns how many rows took the closed form.
fn compare_data(tariff: &Tariff, seed: u64, mut d: Data) -> usize {
    let n = d.distance.len();
    let tol = mid_fare_tolerance();
    let batch = FareBatch::new(tariff).unwrap().with_tolerance(&tol);
    let mut cols0 = columns(&d, &d.indicated);
    cols0.indicated = None;
    // First pass without a check, to aim half the indicated fares at the expected fare.
    let mut out = Out::new(n);
    batch
        .evaluate_serial(&cols0, &mut FareOutput::new(&mut out.fare, &mut out.code))
        .unwrap();
    let mut r = Rng(seed ^ 0x5555);
    let indicated: Vec<i64> = (0..n)
        .map(|i| {
            if out.fare[i] != FARE_INVALID && r.unit() < 0.7 {
                out.fare[i] + r.below(7) as i64 - 3 + 100 * (r.below(3) as i64 - 1)
            } else {
                d.indicated[i]
            }
        })
        .collect();
    d.indicated = indicated;
    let cols = columns(&d, &d.indicated);
    let mut out = Out::new(n);
    batch.evaluate_serial(&cols, &mut out.view()).unwrap();
    let closed = (0..n)
        .filter(|&i| batch.takes_closed_form(&cols, i))
        .count();
    let scale = batch.minor_scale();
    for i in 0..n {
        let ctx = format!(
            "{} row {i}: d={:?} t={:?} w={:?} start={} rate={} ind={}",
            tariff.id,
            d.distance[i],
            d.duration[i],
            d.waiting.as_ref().map(|w| w[i]),
            d.start[i],
            d.rate[i],
            d.indicated[i]
        );
        let err = batch.row_error(&cols, i);
        let Some(trip) = batch.trip(&cols, i) else {
            let e = err.unwrap_or_else(|| panic!("{ctx}: no trip and no error"));
            // An unknown rate or start, or an input error found before the rate is looked up.
            let code = FareRowError::of_fare_error(&e);
            assert_eq!(out.code[i], code.code(), "{ctx}: {e}");
            assert_eq!(out.fare[i], FARE_INVALID, "{ctx}");
            assert_eq!(
                (out.verdict[i], out.diff[i]),
                (VERDICT_INVALID, FARE_INVALID),
                "{ctx}"
            );
            continue;
        };
        match fare_for_summary(tariff, &trip) {
            Err(e) => {
                assert_eq!(
                    out.code[i],
                    FareRowError::of_fare_error(&e).code(),
                    "{ctx}: {e}"
                );
                assert_eq!(err.map(|x| x.to_string()), Some(e.to_string()), "{ctx}");
                assert_eq!(out.fare[i], FARE_INVALID, "{ctx}");
                assert_eq!(
                    (out.verdict[i], out.diff[i]),
                    (VERDICT_INVALID, FARE_INVALID),
                    "{ctx}"
                );
            }
            Ok(f) => {
                let Some(expected) = f
                    .fare
                    .checked_mul(Decimal::from(10i64.pow(scale)))
                    .and_then(|x| x.to_i64())
                else {
                    // A fare beyond an i64 of minor units (a distance of 1e300 m).
                    assert_eq!(out.code[i], FareRowError::FareOutOfRange.code(), "{ctx}");
                    assert_eq!(out.fare[i], FARE_INVALID, "{ctx}");
                    continue;
                };
                assert_eq!(batch.to_decimal(out.fare[i]), f.fare, "{ctx}");
                assert_eq!(out.fare[i], expected, "{ctx}");
                let ind = Decimal::new(d.indicated[i], scale);
                match check_fare(&f, ind, &tol) {
                    Ok(c) => {
                        assert_eq!(out.code[i], 0, "{ctx}");
                        assert!(err.is_none(), "{ctx}");
                        let v = match c.verdict {
                            Verdict::Pass => VERDICT_PASS,
                            _ => VERDICT_FAIL,
                        };
                        assert_eq!(out.verdict[i], v, "{ctx}: {c:?}");
                        assert_eq!(batch.to_decimal(out.diff[i]), c.difference, "{ctx}");
                    }
                    Err(e) => {
                        assert_eq!(out.verdict[i], VERDICT_INVALID, "{ctx}: {e}");
                        assert!(
                            out.code[i] == FareRowError::IndicatedNegative.code()
                                || out.code[i] == FareRowError::Tolerance.code(),
                            "{ctx}: {e}"
                        );
                        assert_eq!(err.map(|x| x.to_string()), Some(e.to_string()), "{ctx}");
                    }
                }
            }
        }
    }
    closed
}

/// The bounds of the day segments of a tariff: 0, every window edge, 86 400 (seconds of the
/// day).
fn day_bounds(tariff: &Tariff) -> Vec<i64> {
    let mut b: Vec<i64> = tariff
        .windows
        .iter()
        .flat_map(|w| {
            w.spans
                .iter()
                .flat_map(|s| [s.from.seconds(), s.to.seconds()])
        })
        .map(i64::from)
        .chain([0, 86_400])
        .collect();
    b.sort_unstable();
    b.dedup();
    b
}

fn up(x: f64) -> f64 {
    f64::from_bits(x.to_bits() + 1)
}

fn down(x: f64) -> f64 {
    if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        x
    }
}

/// Trips on the edges of the closed form, every rate of `tariff`: starts on, 1 s before and
/// 1 s after every window edge and midnight of every weekday (and 30 min, 1 min before);
/// durations ending exactly 1 s before the next edge (the last closed-form end), an ulp
/// either side of that, half a second before the edge, on the edge, an ulp and 1 s past it,
/// and zero; distances 0, −0, the 15 km threshold and an ulp or 10⁻⁹ m either side, the
/// 3 km cover plus whole steps, long trips, and the waiting and crossover speeds exactly;
/// the first closed-form start (1970-01-03) and the last valid start.
fn edge_data(tariff: &Tariff, with_waiting: bool) -> Data {
    let bounds = day_bounds(tariff);
    let day0 = secs("2019-03-04 00:00:00"); // a Monday
    let mut starts: Vec<i64> = Vec::new();
    for day in 0..7 {
        for b in &bounds {
            let e = day0 + 86_400 * day + b;
            starts.extend([e - 1800, e - 60, e - 1, e, e + 1]);
        }
    }
    starts.extend([
        2 * 86_400 - 1,
        2 * 86_400,
        2 * 86_400 + 1,
        secs("9999-12-31 23:59:59"),
        secs("9999-12-31 23:00:00"),
    ]);
    let v_wait = 12.0 / 3.6;
    let v_nyc = 12.0 * METRES_PER_MILE / 3600.0;
    let mut d = Data::with_capacity(0, with_waiting);
    let mut k = 0usize;
    for &s in &starts {
        let sod = s.rem_euclid(86_400);
        let next = bounds.iter().copied().find(|&b| b > sod).unwrap_or(86_400);
        let left = (next - sod) as f64; // seconds to the next edge
        let last = left - 1.0;
        for t in [
            last,
            up(last),
            down(last),
            left - 0.5,
            left,
            up(left),
            down(left),
            left + 1.0,
            0.0,
            900.0,
        ] {
            for dist in [
                0.0,
                -0.0,
                15_000.0,
                up(15_000.0),
                down(15_000.0),
                15_000.0 + 1e-9,
                15_000.0 - 1e-9,
                3_000.0 + 500.0 * (k % 30) as f64,
                25_000.0,
                v_wait * t,
                up(v_wait * t),
                down(v_wait * t),
                v_nyc * t,
                down(v_nyc * t),
            ] {
                k += 1;
                d.distance.push(dist);
                d.duration.push(t);
                d.start.push(s);
                d.rate.push((k % tariff.rates.len()) as u16);
                d.indicated.push(0);
                if let Some(w) = d.waiting.as_mut() {
                    w.push(match k % 5 {
                        0 => 0.0,
                        1 => t,
                        2 => t * 0.5,
                        3 => t.min(300.0),
                        _ => t.min(240.0),
                    });
                }
            }
        }
    }
    d
}

#[test]
fn closed_form_edges_equal_scalar() {
    for id in BUILTIN_TARIFFS {
        let t = Tariff::builtin(id).unwrap();
        for with_waiting in [false, true] {
            let d = edge_data(&t, with_waiting);
            let n = d.distance.len();
            let closed = compare_data(&t, 99, d);
            // Both ways are exercised on the edges.
            assert!(
                closed > n / 10 && closed < n,
                "{id}: {closed} of {n} rows closed-form"
            );
        }
    }
}

#[test]
fn closed_form_ends_one_second_before_an_edge() {
    let t = Tariff::builtin("beijing-2013").unwrap();
    let b = FareBatch::new(&t).unwrap();
    let s = [secs("2019-03-06 10:00:00")];
    // 10:00 … 16:59:59 is inside the day segment 09:00–17:00; a hair more is not.
    for (dur, closed) in [
        (7.0 * 3600.0 - 1.0, true),
        (up(7.0 * 3600.0 - 1.0), false),
        (7.0 * 3600.0, false),
        (0.0, true),
    ] {
        let dur = [dur];
        let cols = FareColumns::new(&[10_000.0], &dur, &s, Rates::Same(0));
        assert_eq!(b.takes_closed_form(&cols, 0), closed, "{dur:?}");
    }
    // Before 1970-01-03 the stepwise way; invalid rows never take the closed form.
    let early = [2 * 86_400 - 1];
    let cols = FareColumns::new(&[1_000.0], &[60.0], &early, Rates::Same(0));
    assert!(!b.takes_closed_form(&cols, 0));
    let cols = FareColumns::new(&[f64::NAN], &[60.0], &s, Rates::Same(0));
    assert!(!b.takes_closed_form(&cols, 0));
    // NYC's prices do not depend on the time of day during a hire: any valid duration.
    let nyc = Tariff::builtin("nyc-yellow-2019").unwrap();
    let b = FareBatch::new(&nyc).unwrap();
    let cols = FareColumns::new(&[10_000.0], &[86_400.0], &s, Rates::Same(0));
    assert!(b.takes_closed_form(&cols, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn batch_equals_scalar_without_waiting(seed in any::<u64>(), which in 0usize..3) {
        compare_with_scalar(&Tariff::builtin(BUILTIN_TARIFFS[which]).unwrap(), seed, 400, false);
    }

    #[test]
    fn batch_equals_scalar_with_waiting(seed in any::<u64>(), which in 0usize..3) {
        compare_with_scalar(&Tariff::builtin(BUILTIN_TARIFFS[which]).unwrap(), seed, 400, true);
    }
}

#[test]
fn every_builtin_rate_is_priced_on_integers() {
    for id in BUILTIN_TARIFFS {
        let t = Tariff::builtin(id).unwrap();
        let b = FareBatch::new(&t).unwrap();
        assert_eq!(b.minor_scale(), 2, "{id}");
        for (k, r) in t.rates.iter().enumerate() {
            assert!(b.is_fast(k), "{id} rate {}", r.code);
            assert_eq!(b.rate_index(&r.code).unwrap(), k);
        }
        // Many seeds of every tariff, both scenarios.
        for seed in 1..=6u64 {
            compare_with_scalar(&t, seed * 7919, 500, seed % 2 == 0);
        }
    }
}

#[test]
fn serial_and_parallel_are_identical() {
    let t = Tariff::builtin("beijing-2013").unwrap();
    let tol = mid_fare_tolerance();
    let b = FareBatch::new(&t).unwrap().with_tolerance(&tol);
    let n = PARALLEL_MIN_ROWS * 2 + 12_345;
    let d = data(&t, 42, n, true);
    let cols = columns(&d, &d.indicated);
    let (mut a, mut s) = (Out::new(n), Out::new(n));
    b.evaluate(&cols, &mut a.view()).unwrap();
    b.evaluate_serial(&cols, &mut s.view()).unwrap();
    assert_eq!(a.fare, s.fare);
    assert_eq!(a.code, s.code);
    assert_eq!(a.verdict, s.verdict);
    assert_eq!(a.diff, s.diff);
}

/// One trip through the batch: (fare in minor units, error code).
fn one(t: &Tariff, rate: &str, d: f64, dur: f64, wait: Option<f64>, start: &str) -> (i64, u8) {
    let b = FareBatch::new(t).unwrap();
    let k = b.rate_index(rate).unwrap();
    let (dd, tt, ww, ss) = ([d], [dur], [wait.unwrap_or(0.0)], [secs(start)]);
    let mut cols = FareColumns::new(&dd, &tt, &ss, Rates::Same(k));
    if wait.is_some() {
        cols = cols.with_waiting(&ww);
    }
    let (mut f, mut c) = ([0i64], [0u8]);
    b.evaluate(&cols, &mut FareOutput::new(&mut f, &mut c))
        .unwrap();
    (f[0], c[0])
}

#[test]
fn worked_beijing_fares() {
    let t = Tariff::builtin("beijing-2013").unwrap();
    // 10 km by day at 40 km/h: 13 + (10 − 3) km / 500 m = 14 steps × 1.15 = 29.10 → 29,
    // + fuel 1 = 30 元.
    assert_eq!(
        one(&t, "1", 10_000.0, 900.0, None, "2019-03-06 10:00:00"),
        (3000, 0)
    );
    // The same at 23:30: night flag fall 14 ⚠ + 16.10 + night +20 % (14 × 0.23 = 3.22)
    // = 33.32 → 33, + 1 = 34 元.
    assert_eq!(
        one(&t, "1", 10_000.0, 900.0, None, "2019-03-06 23:30:00"),
        (3400, 0)
    );
    // 20 km by day at 40 km/h: 34 steps × 1.15 = 39.10, the 10 steps beyond 15 km +50 %
    // (10 × 0.575 = 5.75): 13 + 39.10 + 5.75 = 57.85 → 58, + 1 = 59 元.
    assert_eq!(
        one(&t, "1", 20_000.0, 1800.0, None, "2019-03-06 10:00:00"),
        (5900, 0)
    );
    // 10 km in 25 min of which 10 min waiting (known): 2 waiting steps × 1 km × 2.30 = 4.60:
    // 13 + 16.10 + 4.60 = 33.70 → 34, + 1 = 35 元.
    assert_eq!(
        one(
            &t,
            "1",
            10_000.0,
            1500.0,
            Some(600.0),
            "2019-03-06 10:00:00"
        ),
        (3500, 0)
    );
    // The same in the evening peak: 2 steps × 2 km × 2.30 = 9.20: 38.30 → 38, + 1 = 39 元.
    assert_eq!(
        one(
            &t,
            "1",
            10_000.0,
            1500.0,
            Some(600.0),
            "2019-03-06 17:30:00"
        ),
        (3900, 0)
    );
}

#[test]
fn worked_shanghai_and_nyc_fares() {
    let sh = Tariff::builtin("shanghai-2015").unwrap();
    // 15 km by day: 14 + 24 steps × 1.25 = 44 元 (nothing beyond 15 km).
    assert_eq!(
        one(&sh, "1", 15_000.0, 1350.0, None, "2019-03-06 10:00:00"),
        (4400, 0)
    );
    // 20 km: + 10 steps at 1.80 = 18 → 14 + 30 + 18 = 62 元.
    assert_eq!(
        one(&sh, "1", 20_000.0, 1800.0, None, "2019-03-06 10:00:00"),
        (6200, 0)
    );
    let nyc = Tariff::builtin("nyc-yellow-2019").unwrap();
    // 2.0 mi at ≥ 12 mph, no waiting: 2.50 + 10 × 0.50 = $7.50 on the meter.
    let mile = METRES_PER_MILE;
    assert_eq!(
        one(
            &nyc,
            "1",
            2.0 * mile,
            600.0,
            Some(0.0),
            "2019-03-06 10:00:00"
        ),
        (750, 0)
    );
    // Rate 2 (JFK flat): $52.00 whatever the meter.
    assert_eq!(
        one(&nyc, "2", 30_000.0, 3000.0, None, "2019-03-09 17:00:00"),
        (5200, 0)
    );
    // Rate 3 (Newark): the $17.50 surcharge is on the meter: 2.50 + 5.00 + 17.50 = $25.00.
    assert_eq!(
        one(
            &nyc,
            "3",
            2.0 * mile,
            600.0,
            Some(0.0),
            "2019-03-06 10:00:00"
        ),
        (2500, 0)
    );
}

#[test]
fn checks_and_errors() {
    let t = Tariff::builtin("beijing-2013").unwrap();
    let tol = mid_fare_tolerance();
    let b = FareBatch::new(&t).unwrap().with_tolerance(&tol);
    let s = secs("2019-03-06 10:00:00");
    let dist = [10_000.0, 10_000.0, 10_000.0, f64::NAN, 10_000.0];
    let dur = [900.0; 5];
    let start = [s; 5];
    // 30 元 expected; MID: max(0.1 % × 30, one display digit = 1 元) = 1 元.
    let ind = [3100, 3101, -1, 3000, 3000];
    let rates = [0u16, 0, 0, 0, 9];
    let cols = FareColumns::new(&dist, &dur, &start, Rates::PerRow(&rates)).with_indicated(&ind);
    let mut o = Out::new(5);
    b.evaluate(&cols, &mut o.view()).unwrap();
    assert_eq!(o.fare, [3000, 3000, 3000, FARE_INVALID, FARE_INVALID]);
    assert_eq!(
        o.verdict,
        [
            VERDICT_PASS,
            VERDICT_FAIL,
            VERDICT_INVALID,
            VERDICT_INVALID,
            VERDICT_INVALID
        ]
    );
    assert_eq!(o.diff, [100, 101, FARE_INVALID, FARE_INVALID, FARE_INVALID]);
    assert_eq!(
        o.code
            .iter()
            .map(|c| FareRowError::from_code(*c))
            .collect::<Vec<_>>(),
        vec![
            None,
            None,
            Some(FareRowError::IndicatedNegative),
            Some(FareRowError::DistanceNotFinite),
            Some(FareRowError::UnknownRate)
        ]
    );
    assert!(b
        .row_error(&cols, 4)
        .unwrap()
        .to_string()
        .contains("rate index 9"));
    // Indicated fares without check columns, or without a tolerance: refused up front.
    let (mut f, mut c) = ([0i64; 5], [0u8; 5]);
    assert!(b
        .evaluate(&cols, &mut FareOutput::new(&mut f, &mut c))
        .is_err());
    let plain = FareBatch::new(&t).unwrap();
    assert!(plain.evaluate(&cols, &mut o.view()).is_err());
    let short = FareColumns::new(&dist[..4], &dur, &start, Rates::Same(0));
    assert!(b
        .evaluate(&short, &mut FareOutput::new(&mut f, &mut c))
        .is_err());
}

/// Distances where the long-distance cut lands short of the threshold (`d · (15 000 / d)`
/// rounds below 15 000 m), so that `advance` cuts a second, sliver piece.
fn sliver_distances(count: usize) -> Vec<f64> {
    let mut out = Vec::new();
    let mut d = 15_000.0f64;
    while out.len() < count && d < 1e6 {
        d = d * 1.000_37 + 0.013;
        if d * (15_000.0 / d) < 15_000.0 {
            out.push(d);
        }
    }
    out
}

/// Hires of the distance-only rates (Beijing, Shanghai) across window edges and midnights:
/// starts on, just before and just after every edge of every weekday; durations crossing one
/// edge by an ulp, 0.25 s, 1 s, 10 min, several edges (3 h, 7 h, 13 h) and more edges than
/// the kernel follows (26 h, 50 h); distances on the cover, the threshold and its slivers,
/// many steps; with and without waiting times. Every row equals the scalar API; the
/// kernel's edge search and the general stepwise way are both taken.
#[test]
fn distance_kernel_crossings_equal_scalar() {
    let slivers = sliver_distances(6);
    assert!(slivers.len() >= 3, "{slivers:?}");
    let v_wait = 12.0 / 3.6;
    for id in ["beijing-2013", "shanghai-2015"] {
        let t = Tariff::builtin(id).unwrap();
        let bounds = day_bounds(&t);
        let day0 = secs("2019-03-04 00:00:00");
        for with_waiting in [false, true] {
            let mut d = Data::with_capacity(0, with_waiting);
            let mut k = 0usize;
            for day in 0..7 {
                for b in &bounds {
                    let e = day0 + 86_400 * day + b;
                    for s in [e - 1801, e - 60, e - 1, e, e + 1] {
                        let sod = s.rem_euclid(86_400);
                        let next = bounds.iter().copied().find(|&x| x > sod).unwrap_or(86_400);
                        let left = (next - sod) as f64;
                        for dur in [
                            up(left),
                            left + 0.25,
                            left + 1.0,
                            left + 600.0,
                            left + 3.0 * 3600.0,
                            left + 7.0 * 3600.0 + 0.5,
                            left + 13.0 * 3600.0,
                            26.0 * 3600.0,
                            50.0 * 3600.0,
                        ] {
                            let mut dists = vec![
                                0.0,
                                2_999.0,
                                3_000.0,
                                7_250.0,
                                15_000.0,
                                up(15_000.0),
                                16_000.0,
                                40_000.0,
                                1e6,
                                v_wait * dur,
                                down(v_wait * dur),
                            ];
                            dists.push(slivers[k % slivers.len()]);
                            for dist in dists {
                                k += 1;
                                d.distance.push(dist);
                                d.duration.push(dur);
                                d.start.push(s);
                                d.rate.push(0);
                                d.indicated.push(0);
                                if let Some(w) = d.waiting.as_mut() {
                                    w.push(match k % 4 {
                                        0 => 0.0,
                                        1 => dur,
                                        2 => dur * 0.5,
                                        _ => dur.min(300.0),
                                    });
                                }
                            }
                        }
                    }
                }
            }
            let n = d.distance.len();
            let b = FareBatch::new(&t).unwrap();
            let cols = columns(&d, &d.indicated);
            let kernel = (0..n)
                .filter(|&i| b.takes_distance_kernel(&cols, i))
                .count();
            let searched = (0..n)
                .filter(|&i| b.takes_distance_kernel(&cols, i) && !b.takes_closed_form(&cols, i))
                .count();
            let closed = compare_data(&t, 7, d);
            if id == "beijing-2013" {
                // Every hire crosses an edge: none closed-form; the longest ones are left
                // to the general way.
                assert!(
                    closed == 0 && searched > n / 2 && kernel < n,
                    "{id}: {closed} closed-form, {searched} searched, {kernel} kernel rows of {n}"
                );
            } else {
                // No windows: every valid row is closed-form.
                assert_eq!(closed, kernel, "{id}");
            }
        }
    }
}

/// The sliver after the long-distance cut, in both kernel ways, against the scalar API.
#[test]
fn distance_kernel_threshold_slivers_equal_scalar() {
    let slivers = sliver_distances(40);
    assert!(slivers.len() >= 20, "{slivers:?}");
    let t = Tariff::builtin("beijing-2013").unwrap();
    for with_waiting in [false, true] {
        let mut d = Data::with_capacity(0, with_waiting);
        for (k, &dist) in slivers.iter().enumerate() {
            // Inside the 09:00–17:00 segment, across 17:00, across midnight; fast and slow.
            for (start, dur) in [
                ("2019-03-06 10:00:00", 1_800.0),
                ("2019-03-06 10:00:00", dist / 2.0),
                ("2019-03-06 16:50:00", 1_800.0),
                ("2019-03-06 23:50:00", dist / 2.0),
            ] {
                d.distance.push(dist);
                d.duration.push(dur);
                d.start.push(secs(start));
                d.rate.push(0);
                d.indicated.push(0);
                if let Some(w) = d.waiting.as_mut() {
                    w.push(if k % 2 == 0 { 0.0 } else { dur.min(600.0) });
                }
            }
        }
        compare_data(&t, 11, d);
    }
}
