//! Fare engine: worked case T5, hand-computed trips of the three built-in tariffs, fixture
//! trips, the NYC 2019 trip sample (when present), and property tests.
//!
//! Sources: `../shared/reference/taximeters.md` (T5, tariffs), the tariffs' own `source`s.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use verimeter::tariff::{
    check_bounds, check_fare, fare_bounds, fare_for_series, fare_for_summary, BoundsFinding,
    Component, LocalDateTime, Sample, Tariff, TripSeries, TripSummary, BUILTIN_TARIFFS,
};
use verimeter::tolerance::Tolerance;
use verimeter::units::METRES_PER_MILE;
use verimeter::{Error, Verdict};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn at(s: &str) -> LocalDateTime {
    s.parse().unwrap()
}

const WED_10: &str = "2019-03-06 10:00:00";

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

/// T5's tariff: 2.00 per km (0.50 per 250 m), 30.00 per h (0.50 per 60 s), v_c = 15 km/h,
/// initial hire 3.00 covering nothing; `mode` S or D.
///
/// Both steps cost the same, as in NYC. With unequal step prices (e.g. 0.20 per 100 m and
/// 0.50 per 60 s) an S meter's fare is not monotone in time near v_c: just below it the time
/// tariff takes over in coarser steps and the fare can fall by less than one step (found by
/// the property `s_mode_summary_is_monotone_without_waiting`: 12 201 m in 2 928.6 s gives
/// ⌊48.8⌋ × 0.50 = 24.00 < ⌊122.0⌋ × 0.20 = 24.40 at 1 406 s).
fn t5_tariff(mode: &str) -> Tariff {
    let json = r#"{
      "id": "t5", "version": "1", "title": "Worked case T5", "currency": "EUR",
      "sources": ["taximeters.md worked case T5"],
      "rates": [{
        "code": "1", "title": "T5",
        "initial": {"price": {"value": "3.00", "source": "test"}},
        "distance_step": {"length_m": {"value": 250.0, "source": "T5"}, "price": {"value": "0.50", "source": "T5: 2.00 per km"}},
        "time_step": {"duration_s": {"value": 60.0, "source": "T5"}, "price": {"value": "0.50", "source": "T5: 30.00 per h"}},
        "mode": {"value": "MODE", "source": "T5"},
        "assessment": {"value": "post", "source": "test"},
        "rounding": {"value": {"mode": "half-up", "step": "0.01"}, "source": "test"}
      }]
    }"#;
    Tariff::from_json(&json.replace("MODE", mode)).unwrap()
}

fn t5_series() -> TripSeries {
    // 2 km at 30 km/h (4 min), then 6 min stopped.
    TripSeries::new(
        "1",
        at(WED_10),
        vec![Sample::new(240.0, 2000.0), Sample::new(600.0, 2000.0)],
    )
}

#[test]
fn t5_single_application() {
    let t = t5_tariff("S");
    let v_c = t.rate("1").unwrap().crossover_speed_m_s().unwrap();
    assert!((v_c * 3.6 - 15.0).abs() < 1e-9, "v_c = {} km/h", v_c * 3.6);
    let f = fare_for_series(&t, &t5_series()).unwrap();
    assert_eq!(f.distance, d("4.00"));
    assert_eq!(f.time, d("3.00"));
    assert_eq!(f.fare, d("10.00")); // 7.00 + initial hire 3.00
                                    // The summary with the waiting time known gives the same.
    let s = TripSummary::new("1", 2000.0, 600.0, at(WED_10)).with_waiting(360.0);
    assert_eq!(fare_for_summary(&t, &s).unwrap().fare, d("10.00"));
}

#[test]
fn t5_double_application() {
    let t = t5_tariff("D");
    let f = fare_for_series(&t, &t5_series()).unwrap();
    assert_eq!(f.distance, d("4.00"));
    assert_eq!(f.time, d("5.00"));
    assert_eq!(f.fare, d("12.00")); // 9.00 + initial hire 3.00
    let s = TripSummary::new("1", 2000.0, 600.0, at(WED_10)).with_waiting(360.0);
    assert_eq!(fare_for_summary(&t, &s).unwrap().fare, d("12.00"));
}

#[test]
fn beijing_10_km_by_day() {
    // Beijing 2013 ✔: 13 + 7 × 2.3 = 29.1; whole yuan ⚠ → 29; fuel surcharge 1 → 30.
    let t = Tariff::builtin("beijing-2013").unwrap();
    let trip = TripSummary::new("1", 10_000.0, 900.0, at(WED_10)).with_waiting(0.0);
    let f = fare_for_summary(&t, &trip).unwrap();
    assert_eq!(f.flag_fall, d("13"));
    assert_eq!(f.distance, d("16.10"));
    assert_eq!(f.metered_raw, d("29.10"));
    assert_eq!(f.rounding, d("-0.10"));
    assert_eq!(f.metered, d("29"));
    assert_eq!(f.extras_on_meter, d("1"));
    assert_eq!(f.fare, d("30"));
    // Every line says where its numbers come from, ⚠ included.
    let rounding = f
        .lines
        .iter()
        .find(|l| l.component == Component::Rounding)
        .unwrap();
    assert!(rounding.source.contains('⚠'), "{}", rounding.source);
    assert!(f.lines.iter().all(|l| !l.source.is_empty()));
}

#[test]
fn beijing_long_distance_night_and_peak_waiting() {
    let t = Tariff::builtin("beijing-2013").unwrap();
    // 20 km by day: 13 + 24 × 1.15 + 10 × (1.15 + 0.575) = 57.85 → 58 + 1.
    let f = fare_for_summary(&t, &TripSummary::new("1", 20_000.0, 1800.0, at(WED_10))).unwrap();
    assert_eq!(f.surcharges, d("5.75"));
    assert_eq!(f.fare, d("59"));
    // 10 km at night: 14 ⚠ + 14 × (1.15 + 0.23) = 33.32 → 33 + 1.
    let night = TripSummary::new("1", 10_000.0, 900.0, at("2019-03-06 23:30:00"));
    assert_eq!(fare_for_summary(&t, &night).unwrap().fare, d("34"));
    // 5 km with 10 min of low speed in the evening peak: 13 + 4 × 1.15 + 2 × 4.60 = 26.80 → 27 + 1.
    let peak =
        TripSummary::new("1", 5_000.0, 1500.0, at("2019-03-06 17:10:00")).with_waiting(600.0);
    let f = fare_for_summary(&t, &peak).unwrap();
    assert_eq!(f.waiting, d("9.20"));
    assert_eq!(f.fare, d("28"));
}

#[test]
fn shanghai_beyond_15_km() {
    // Shanghai 2015 ✔: 14 + 12 km × 2.5 + 5 km × 3.6 = 14 + 30 + 18 = 62.
    let t = Tariff::builtin("shanghai-2015").unwrap();
    let trip = TripSummary::new("1", 20_000.0, 1800.0, at(WED_10)).with_waiting(0.0);
    let f = fare_for_summary(&t, &trip).unwrap();
    assert_eq!(f.distance, d("42.50")); // 34 steps × 1.25 (3–20 km)
    assert_eq!(f.surcharges, d("5.50")); // 10 steps × (1.80 − 1.25)
    assert_eq!(f.fare, d("62"));
    // 8 min of low speed = 2 × 1 km of fare.
    let slow = TripSummary::new("1", 3_000.0, 900.0, at(WED_10)).with_waiting(480.0);
    assert_eq!(fare_for_summary(&t, &slow).unwrap().fare, d("19"));
}

#[test]
fn nyc_rate_1_extras_and_flat_rate_2() {
    let t = Tariff::builtin("nyc-yellow-2019").unwrap();
    // 2.0 mi at >= 12 mph, no waiting, Wed 17:00 (weekday peak), south of 96th St:
    // meter 2.50 + 10 × 0.50 = 7.50; extras: peak 1.00 + tax 0.50 + improvement 0.30 +
    // congestion 2.50 = 4.30; total 11.80.
    let trip = TripSummary::new("1", 2.0 * METRES_PER_MILE, 600.0, at("2019-03-06 17:00:00"))
        .with_waiting(0.0)
        .with_condition("manhattan-south-of-96th");
    let f = fare_for_summary(&t, &trip).unwrap();
    assert_eq!(f.fare, d("7.50"));
    assert_eq!(f.extras, d("4.30"));
    assert_eq!(f.total, d("11.80"));
    // Rate 2: $52 flat; + $4.50 on weekdays 16–20 as an extra.
    let jfk = TripSummary::new(
        "2",
        18.0 * METRES_PER_MILE,
        2700.0,
        at("2019-03-06 17:00:00"),
    );
    let f = fare_for_summary(&t, &jfk).unwrap();
    assert_eq!((f.fare, f.extras), (d("52"), d("5.30")));
    let sunday = TripSummary::new(
        "2",
        18.0 * METRES_PER_MILE,
        2700.0,
        at("2019-03-10 17:00:00"),
    );
    assert_eq!(fare_for_summary(&t, &sunday).unwrap().extras, d("0.80"));
}

#[test]
fn nyc_pre_assessment_and_combined_fractions() {
    let t = Tariff::builtin("nyc-yellow-2019").unwrap();
    let mile = METRES_PER_MILE;
    // 0.1 mi fast (half a unit), then 30 s stopped (half a unit): fractions combine to one
    // unit; pre-assessed, the first unit is charged as soon as the cab moves.
    let s = TripSeries::new(
        "1",
        at(WED_10),
        vec![Sample::new(10.0, 0.1 * mile), Sample::new(40.0, 0.1 * mile)],
    );
    let f = fare_for_series(&t, &s).unwrap();
    assert_eq!(f.fare, d("3.00"));
    assert_eq!(f.distance, d("0.50"));
    assert_eq!(f.time, d("0"));
    // One more second stopped begins the second unit.
    let s = TripSeries::new(
        "1",
        at(WED_10),
        vec![Sample::new(10.0, 0.1 * mile), Sample::new(41.0, 0.1 * mile)],
    );
    let f = fare_for_series(&t, &s).unwrap();
    assert_eq!((f.fare, f.time), (d("3.50"), d("0.50")));
}

#[test]
fn fare_check_under_mid_tolerance() {
    let t = Tariff::builtin("nyc-yellow-2019").unwrap();
    let tol = mid_fare_tolerance();
    let trip = TripSummary::new("1", 10.0 * METRES_PER_MILE, 1800.0, at(WED_10)).with_waiting(0.0);
    let f = fare_for_summary(&t, &trip).unwrap(); // 2.50 + 50 × 0.50 = 27.50
    assert_eq!(f.fare, d("27.50"));
    // 0.1 % of 27.50 = 0.0275 > one digit 0.01.
    let ok = check_fare(&f, d("27.52"), &tol).unwrap();
    assert_eq!(ok.verdict, Verdict::Pass);
    assert_eq!(ok.allowance, d("0.0275"));
    let bad = check_fare(&f, d("27.53"), &tol).unwrap();
    assert_eq!(bad.verdict, Verdict::Fail);
    assert!(bad.clause.contains("MI-007"));
}

#[test]
fn bounds_flag_with_reason_and_amount() {
    let t = Tariff::builtin("nyc-yellow-2019").unwrap();
    let tol = mid_fare_tolerance();
    // 1.6 mi in 375 s: min 2.50 + 8 × 0.50 = 6.50, max 2.50 + ⌈8 + 6.25⌉ × 0.50 = 10.00.
    let trip = TripSummary::new("1", 1.6 * METRES_PER_MILE, 375.0, at("2019-03-23 20:21:09"));
    let b = fare_bounds(&t, &trip).unwrap();
    assert_eq!((b.minimum.fare, b.maximum.fare), (d("6.50"), d("10.00")));
    assert!(b.minimum.fare <= b.nominal.fare && b.nominal.fare <= b.maximum.fare);
    let low = check_bounds(&b, d("5.00"), &tol).unwrap();
    assert_eq!(low.verdict, Verdict::Fail);
    assert_eq!(
        low.finding,
        Some(BoundsFinding::BelowMinimum { by: d("1.49") })
    );
    let high = check_bounds(&b, d("12.00"), &tol).unwrap();
    assert_eq!(
        high.finding,
        Some(BoundsFinding::AboveMaximum { by: d("1.99") })
    );
    assert_eq!(
        high.finding.unwrap().to_string(),
        "above the maximum fare by 1.99"
    );
    assert!(check_bounds(&b, d("7.00"), &tol).unwrap().finding.is_none());
}

#[test]
fn bad_inputs_are_typed_errors() {
    let t = Tariff::builtin("nyc-yellow-2019").unwrap();
    let e = fare_for_summary(&t, &TripSummary::new("1", f64::NAN, 60.0, at(WED_10))).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotFinite {
                field: "distance_m",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("distance_m"), "{e}");
    let e = fare_for_summary(&t, &TripSummary::new("1", 1.0, -5.0, at(WED_10))).unwrap_err();
    assert!(e.to_string().contains("duration_s must be >= 0"), "{e}");
    let e = fare_for_summary(
        &t,
        &TripSummary::new("1", 1.0, 5.0, at(WED_10)).with_waiting(6.0),
    )
    .unwrap_err();
    assert!(e.to_string().contains("waiting_s"), "{e}");
    let e = fare_for_summary(&t, &TripSummary::new("7", 1.0, 5.0, at(WED_10))).unwrap_err();
    assert!(e.to_string().contains("rate code"), "{e}");
    let s = TripSeries::new(
        "1",
        at(WED_10),
        vec![Sample::new(10.0, 100.0), Sample::new(5.0, 200.0)],
    );
    let e = fare_for_series(&t, &s).unwrap_err();
    assert!(
        e.to_string().contains("time since the previous sample"),
        "{e}"
    );
    let e = fare_for_summary(&t, &TripSummary::new("1", 1.0, 1e9, at(WED_10))).unwrap_err();
    assert!(matches!(e, Error::OutOfScope { .. }), "{e}");
}

#[test]
fn congestion_folded_into_extra_is_not_a_fare_error() {
    // NYC 2019 records: vendor 1 folds the $2.50 congestion surcharge into `extra`
    // (extra 3.00 = night 0.50 + congestion 2.50), vendor 2 lists it apart (extra 0.50,
    // congestion_surcharge 2.50). The check is on fare_amount, the metered fare, so both
    // rows of the same trip pass; the extras are reported apart.
    let t = Tariff::builtin("nyc-yellow-2019").unwrap();
    let tol = mid_fare_tolerance();
    let trip = TripSummary::new("1", 1.6 * METRES_PER_MILE, 375.0, at("2019-03-23 20:21:09"));
    let b = fare_bounds(&t, &trip).unwrap();
    for (_vendor, fare_amount, _extra) in [(1, "7.0", "3.0"), (2, "7.0", "0.5")] {
        let c = check_bounds(&b, d(fare_amount), &tol).unwrap();
        assert_eq!(c.verdict, Verdict::Pass);
    }
    // The nominal breakdown lists the night surcharge beside the fare, and the congestion
    // surcharge only in the maximum (its condition is not stated).
    assert_eq!(b.nominal.extras, d("1.30")); // night 0.50 + tax 0.50 + improvement 0.30
    assert_eq!(b.maximum.extras, d("3.80"));
}

#[test]
fn unconfirmed_numbers_are_marked_in_every_tariff() {
    for id in ["beijing-2013", "shanghai-2015", "nyc-yellow-2019"] {
        let t = Tariff::builtin(id).unwrap();
        assert!(!t.unconfirmed().is_empty(), "{id}");
    }
}

// ---------------------------------------------------------------- fixture trips

struct FixtureTrip {
    name: String,
    summary: TripSummary,
    fare: Decimal,
}

/// Reads `fixtures/trips/<file>`: `trip`, `distance_km` or `distance_mi`, `duration_s` or
/// `pickup`,`dropoff`, `fare`, optional `rate_code`; `#` lines are comments. Trips with only
/// a duration start on Wednesday 2019-03-06 10:00:00.
fn fixture_trips(file: &str) -> Vec<FixtureTrip> {
    let path = format!("{}/fixtures/trips/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let get = |name: &str| col(name).map(|i| f[i]);
            let distance_m = match (get("distance_km"), get("distance_mi")) {
                (Some(km), _) => km.parse::<f64>().unwrap() * 1000.0,
                (None, Some(mi)) => mi.parse::<f64>().unwrap() * METRES_PER_MILE,
                _ => panic!("{file}: no distance column"),
            };
            let (start, duration_s) = match (get("pickup"), get("dropoff"), get("duration_s")) {
                (Some(p), Some(q), _) => (at(p), at(q).seconds_since(&at(p)) as f64),
                (_, _, Some(s)) => (at(WED_10), s.parse().unwrap()),
                _ => panic!("{file}: no duration"),
            };
            FixtureTrip {
                name: f[col("trip").unwrap()].to_string(),
                summary: TripSummary::new(
                    get("rate_code").unwrap_or("1"),
                    distance_m,
                    duration_s,
                    start,
                ),
                fare: d(get("fare").unwrap()),
            }
        })
        .collect()
}

#[test]
fn every_tariff_validates_its_fixture_trips() {
    let tol = mid_fare_tolerance();
    for id in BUILTIN_TARIFFS {
        let t = Tariff::builtin(id).unwrap();
        let trips = fixture_trips(&format!("{id}.csv"));
        assert!(trips.len() >= 5, "{id}");
        for trip in trips {
            let f = fare_for_summary(&t, &trip.summary).unwrap();
            assert_eq!(f.fare, trip.fare, "{id} {}: {:#?}", trip.name, f.lines);
            let c = check_fare(&f, trip.fare, &tol).unwrap();
            assert_eq!(c.verdict, Verdict::Pass, "{id} {}", trip.name);
            let b = fare_bounds(&t, &trip.summary).unwrap();
            assert!(
                check_bounds(&b, trip.fare, &tol).unwrap().finding.is_none(),
                "{id} {}",
                trip.name
            );
        }
    }
}

// ---------------------------------------------------------------- NYC 2019 sample

const NYC_SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/nyc-tlc-trips-2019-03-sample.csv"
);

#[test]
fn nyc_sample_rate_1_yellow_trips_lie_within_bounds() {
    let Ok(text) = std::fs::read_to_string(NYC_SAMPLE) else {
        println!("skipped: {NYC_SAMPLE} is absent (public NYC TLC sample, not in the repository)");
        return;
    };
    let t = Tariff::builtin("nyc-yellow-2019").unwrap();
    let tol = mid_fare_tolerance();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (c_pu, c_do, c_dist, c_rate, c_fare, c_extra, c_color) = (
        col("tpep_pickup_datetime"),
        col("tpep_dropoff_datetime"),
        col("trip_distance"),
        col("RatecodeID"),
        col("fare_amount"),
        col("extra"),
        col("color"),
    );
    let (mut checked, mut skipped, mut below, mut above) = (0, 0, 0, 0);
    let mut folded_extra_rows = 0;
    let mut examples = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < header.len() || f[c_color] != "yellow" || f[c_rate] != "1" {
            continue;
        }
        let parsed = (|| {
            let pu: LocalDateTime = f[c_pu].parse().ok()?;
            let dr: LocalDateTime = f[c_do].parse().ok()?;
            let dist: f64 = f[c_dist].parse().ok()?;
            let fare = Decimal::from_str(f[c_fare]).ok()?;
            Some((pu, dr.seconds_since(&pu) as f64, dist, fare))
        })();
        let Some((pu, dur, dist, fare)) = parsed else {
            skipped += 1;
            continue;
        };
        if fare <= Decimal::ZERO {
            skipped += 1; // refunds and voids: not a metered fare
            continue;
        }
        let trip = TripSummary::new("1", dist * METRES_PER_MILE, dur, pu);
        let Ok(b) = fare_bounds(&t, &trip) else {
            skipped += 1; // negative or absurd durations: record errors, typed, not panics
            continue;
        };
        checked += 1;
        if f[c_extra].parse::<f64>().unwrap_or(0.0) >= 2.5 {
            folded_extra_rows += 1;
        }
        let c = check_bounds(&b, fare, &tol).unwrap();
        match c.finding {
            Some(BoundsFinding::BelowMinimum { .. }) => below += 1,
            Some(BoundsFinding::AboveMaximum { .. }) => above += 1,
            _ => {}
        }
        if let Some(finding) = c.finding {
            if examples.len() < 8 {
                examples.push(format!(
                    "{} {:.2} mi {:.0} s fare {} [{} … {}]: {finding}",
                    pu, dist, dur, fare, c.minimum, c.maximum
                ));
            }
        }
    }
    let flagged = below + above;
    println!(
        "NYC 2019-03 yellow rate 1: {checked} checked, {skipped} skipped, {flagged} outside the \
         bounds ({below} below, {above} above); {folded_extra_rows} rows with congestion folded \
         into extra"
    );
    for e in &examples {
        println!("  {e}");
    }
    assert!(checked > 5000, "{checked}");
    assert!(folded_extra_rows > 100, "{folded_extra_rows}");
    assert!(
        (flagged as f64) < 0.02 * checked as f64,
        "{flagged} of {checked} flagged"
    );
    assert!(flagged > 0, "real data has a handful of anomalies");
}

// ---------------------------------------------------------------- properties

fn any_tariff() -> impl Strategy<Value = Tariff> {
    prop_oneof![
        Just(Tariff::builtin("beijing-2013").unwrap()),
        Just(Tariff::builtin("shanghai-2015").unwrap()),
        Just(Tariff::builtin("nyc-yellow-2019").unwrap()),
        Just(t5_tariff("S")),
        Just(t5_tariff("D")),
    ]
}

fn samples() -> impl Strategy<Value = Vec<Sample>> {
    prop::collection::vec((0.0..600.0f64, 0.0..5_000.0f64), 0..12).prop_map(|steps| {
        let (mut t, mut d) = (0.0, 0.0);
        steps
            .into_iter()
            .map(|(dt, dd)| {
                t += dt;
                d += dd;
                Sample::new(t, d)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// With the waiting time known, the fare never falls when the distance, the duration or
    /// the waiting time grows (daytime trips of up to 3 h, so no window changes the prices).
    #[test]
    fn summary_fare_is_monotone(tariff in any_tariff(), dist in 0.0..60_000.0f64, extra_d in 0.0..10_000.0f64,
                                wait in 0.0..3_600.0f64, drive in 0.0..3_600.0f64, extra_t in 0.0..1_800.0f64) {
        let f = |d: f64, t: f64, w: f64| {
            fare_for_summary(&tariff, &TripSummary::new("1", d, t, at(WED_10)).with_waiting(w)).unwrap().fare
        };
        let base = f(dist, drive + wait, wait);
        prop_assert!(base <= f(dist + extra_d, drive + wait, wait));
        prop_assert!(base <= f(dist, drive + wait + extra_t, wait));
        prop_assert!(base <= f(dist, drive + wait + extra_t, wait + extra_t));
    }

    /// Without the waiting time, an S-mode time-and-distance fare is max(D·p_d, T·p_t):
    /// monotone in both.
    #[test]
    fn s_mode_summary_is_monotone_without_waiting(dist in 0.0..60_000.0f64, extra_d in 0.0..10_000.0f64,
                                                  dur in 0.0..7_200.0f64, extra_t in 0.0..1_800.0f64) {
        for t in [Tariff::builtin("nyc-yellow-2019").unwrap(), t5_tariff("S")] {
            let f = |d: f64, s: f64| fare_for_summary(&t, &TripSummary::new("1", d, s, at(WED_10))).unwrap().fare;
            prop_assert!(f(dist, dur) <= f(dist + extra_d, dur));
            prop_assert!(f(dist, dur) <= f(dist, dur + extra_t));
        }
    }

    /// A meter never runs backwards: the fare of a prefix of a trip is at most the fare of the
    /// whole trip, at any time of day.
    #[test]
    fn series_fare_never_falls_along_the_trip(tariff in any_tariff(), s in samples(), k in 0usize..12,
                                              hour in 0u8..24) {
        let start = LocalDateTime::new(2019, 3, 6, hour, 30, 0).unwrap();
        let whole = fare_for_series(&tariff, &TripSeries::new("1", start, s.clone())).unwrap();
        let prefix = fare_for_series(&tariff, &TripSeries::new("1", start, s[..k.min(s.len())].to_vec())).unwrap();
        prop_assert!(prefix.metered <= whole.metered, "{} > {}", prefix.metered, whole.metered);
    }

    /// S fare ≤ D fare for the same trip.
    #[test]
    fn single_never_exceeds_double(s in samples()) {
        let series = TripSeries::new("1", at(WED_10), s);
        let single = fare_for_series(&t5_tariff("S"), &series).unwrap();
        let double = fare_for_series(&t5_tariff("D"), &series).unwrap();
        prop_assert!(single.fare <= double.fare);
    }

    /// Display rounding moves the fare by at most one display step.
    #[test]
    fn rounding_moves_at_most_one_step(tariff in any_tariff(), s in samples(), hour in 0u8..24) {
        let start = LocalDateTime::new(2019, 3, 8, hour, 0, 0).unwrap();
        let f = fare_for_series(&tariff, &TripSeries::new("1", start, s)).unwrap();
        prop_assert!(f.rounding.abs() <= f.display_step);
        prop_assert_eq!(f.metered, f.metered_raw + f.rounding);
        prop_assert_eq!(f.total, f.fare + f.extras);
    }

    /// Bounds contain the nominal fare and every fare a series with that summary gives
    /// (daytime, no window changes).
    #[test]
    fn bounds_contain_the_series_fare(tariff in any_tariff(), s in samples()) {
        let series = TripSeries::new("1", at(WED_10), s.clone());
        let f = fare_for_series(&tariff, &series).unwrap();
        let (t, d) = s.last().map_or((0.0, 0.0), |x| (x.t_s, x.distance_m));
        let b = fare_bounds(&tariff, &TripSummary::new("1", d, t, at(WED_10))).unwrap();
        prop_assert!(b.minimum.fare <= b.nominal.fare && b.nominal.fare <= b.maximum.fare);
        // Post-assessed separate counters (T5) may each leave a step incomplete that the
        // distance-only floor completes: one step of each of slack.
        let slack = if tariff.id == "t5" { Decimal::ONE } else { Decimal::ZERO };
        prop_assert!(b.minimum.fare <= f.fare + slack, "min {} > series {}", b.minimum.fare, f.fare);
        prop_assert!(f.fare <= b.maximum.fare, "series {} > max {}", f.fare, b.maximum.fare);
    }

    /// No input panics: any numbers give a fare or a typed error.
    #[test]
    fn no_panic_on_any_input(tariff in any_tariff(), d in prop::num::f64::ANY, t in prop::num::f64::ANY,
                             w in prop::option::of(prop::num::f64::ANY), code in "[0-9]{1,2}",
                             raw in prop::collection::vec((prop::num::f64::ANY, prop::num::f64::ANY), 0..6),
                             fare in any::<i64>()) {
        let mut trip = TripSummary::new(&code, d, t, at(WED_10));
        if let Some(w) = w { trip = trip.with_waiting(w); }
        let _ = fare_for_summary(&tariff, &trip);
        if let Ok(b) = fare_bounds(&tariff, &trip) {
            let _ = check_bounds(&b, Decimal::new(fare, 2), &mid_fare_tolerance());
        }
        let series = TripSeries::new(&code, at(WED_10), raw.into_iter().map(|(a, b)| Sample::new(a, b)).collect());
        if let Ok(f) = fare_for_series(&tariff, &series) {
            let _ = check_fare(&f, Decimal::new(fare, 2), &mid_fare_tolerance());
        }
    }

    /// Any tariff that validates meters any trip without panicking (tiny steps, huge prices).
    #[test]
    fn no_panic_on_any_valid_tariff(len in prop::num::f64::ANY, dur in prop::num::f64::ANY,
                                    cents in any::<i64>(), s in samples(), beyond in prop::num::f64::ANY) {
        let mut t = Tariff::builtin("nyc-yellow-2019").unwrap();
        let r = &mut t.rates[0];
        let price = Decimal::new(cents, 2);
        if let Some(ds) = r.distance_step.as_mut() { ds.length_m.value = len; ds.price.value = price; }
        if let Some(ts) = r.time_step.as_mut() { ts.duration_s.value = dur; ts.price.value = price; }
        let mut b = Tariff::builtin("beijing-2013").unwrap();
        b.rates[0].long_distance[0].beyond_m = beyond;
        if let Some(w) = b.rates[0].waiting.as_mut() { w.step_s.value = dur; }
        for tariff in [t, b] {
            if tariff.validate().is_ok() {
                let _ = fare_for_series(&tariff, &TripSeries::new("1", at(WED_10), s.clone()));
                let (tt, dd) = s.last().map_or((0.0, 0.0), |x| (x.t_s, x.distance_m));
                let _ = fare_bounds(&tariff, &TripSummary::new("1", dd, tt, at(WED_10)));
            }
        }
    }

    /// Any JSON text gives a tariff or a typed error.
    #[test]
    fn no_panic_on_any_tariff_json(text in ".{0,200}") {
        let _ = Tariff::from_json(&text);
    }
}
