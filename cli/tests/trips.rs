//! Runs the real `verimeter trips` binary on `fixtures/trips/`, on small logs given on
//! standard input, and on the NYC TLC March 2019 sample when `../shared/data/` has it.
//!
//! Expected fares are the hand computations in the fixtures' comments (and
//! `fixtures/trips/README.md`).

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{code, row, run_stdin, stderr, stdout};
use serde_json::Value;

/// `fixtures/trips/<name>`.
fn fixture(name: &str) -> String {
    common::fixture("trips", name)
}

/// Runs `verimeter trips ARGS…`, with `stdin` on standard input.
fn trips(args: &[&str], stdin: &str) -> Output {
    run_stdin(&[&["trips"], args].concat(), stdin.as_bytes())
}

/// The JSON report and exit status of `verimeter trips --tariff T --format json FLAGS… FILE`.
fn report(tariff: &str, flags: &[&str], file: &str, stdin: &str) -> (i32, Value) {
    let mut args = vec!["--tariff", tariff, "--format", "json"];
    args.extend_from_slice(flags);
    args.push(file);
    let o = trips(&args, stdin);
    let doc = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&o), stderr(&o)));
    (code(&o), doc)
}

/// The report of a log given on standard input.
fn report_of(tariff: &str, flags: &[&str], log: &str) -> (i32, Value) {
    report(tariff, flags, "-", log)
}

fn rows(doc: &Value) -> &Vec<Value> {
    doc["rows"].as_array().expect("rows")
}

fn summary(doc: &Value) -> [u64; 5] {
    let s = &doc["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("summary.{k}"));
    [
        n("rows"),
        n("rows_pass"),
        n("rows_fail"),
        n("rows_skipped"),
        n("rows_error"),
    ]
}

fn assert_counts_add_up(doc: &Value) {
    let [rows, pass, fail, skipped, error] = summary(doc);
    assert_eq!(rows, pass + fail + skipped + error, "{}", doc["summary"]);
    assert_eq!(rows as usize, self::rows(doc).len());
}

// ---------------------------------------------------------------- fixture trips

#[test]
fn fixture_trips_give_their_hand_computed_fares() {
    let expected: [(&str, &[(&str, &str)]); 3] = [
        (
            "beijing-2013",
            &[
                ("b1", "30"),
                ("b2", "14"),
                ("b3", "59"),
                ("b4", "32"),
                ("b5", "34"),
                ("b6", "46"),
            ],
        ),
        (
            "shanghai-2015",
            &[
                ("s1", "14"),
                ("s2", "32"),
                ("s3", "62"),
                ("s4", "32"),
                ("s5", "24"),
            ],
        ),
        (
            "nyc-yellow-2019",
            &[
                ("n1", "7.50"),
                ("n2", "7.50"),
                ("n3", "52.00"),
                ("n4", "62.50"),
                ("n5", "4.00"),
            ],
        ),
    ];
    for (id, trips) in expected {
        let (code, doc) = report(id, &[], &fixture(&format!("{id}.csv")), "");
        assert_eq!(code, 0, "{id}: {doc:#}");
        assert_eq!(doc["tariff"]["id"], id);
        assert!(doc["tariff"]["currency"].is_string());
        assert_eq!(rows(&doc).len(), trips.len(), "{id}");
        for (r, (trip, fare)) in rows(&doc).iter().zip(trips) {
            assert_eq!(r["trip"], *trip, "{id}");
            assert_eq!(r["expected_fare"], *fare, "{id} {trip}");
            assert_eq!(r["fare"], *fare, "{id} {trip}");
            assert_eq!(r["error_pct"], 0.0, "{id} {trip}");
            assert_eq!(r["verdict"], "pass", "{id} {trip}: {}", r["reason"]);
            let (lo, hi) = (&r["minimum_fare"], &r["maximum_fare"]);
            assert!(lo.is_string() && hi.is_string(), "{r}");
        }
        assert_eq!(
            summary(&doc),
            [trips.len() as u64, trips.len() as u64, 0, 0, 0]
        );
    }
}

#[test]
fn json_rows_carry_the_contract_fields() {
    let (_, doc) = report("nyc-yellow-2019", &[], &fixture("nyc-yellow-2019.csv"), "");
    let r = row(&doc, 11); // n1: 2.0 mi in 8 min
    for key in [
        "line",
        "trip",
        "rate_code",
        "distance_km",
        "duration_s",
        "fare",
        "expected_fare",
        "minimum_fare",
        "maximum_fare",
        "error_pct",
        "verdict",
        "reason",
        "extra",
    ] {
        assert!(r.get(key).is_some(), "{key} missing in {r:#}");
    }
    assert_eq!(r["rate_code"], "1");
    assert!((r["distance_km"].as_f64().unwrap() - 3.218688).abs() < 1e-9);
    assert_eq!(r["duration_s"], 480.0);
    assert_eq!(r["minimum_fare"], "7.50");
    assert_eq!(r["maximum_fare"], "11.50");
    assert_eq!(r["reason"], "within the bounds 7.50 … 11.50");
    for key in ["id", "version", "title", "currency"] {
        assert!(doc["tariff"][key].is_string(), "tariff.{key}");
    }
    assert_eq!(doc["tariff"]["currency"], "USD");
}

#[test]
fn tariff_by_file_path() {
    let path = common::fixture("tariffs", "shanghai-2015.json");
    let (code, doc) = report(&path, &[], &fixture("shanghai-2015.csv"), "");
    assert_eq!(code, 0);
    assert_eq!(doc["tariff"]["id"], "shanghai-2015");
    assert_eq!(row(&doc, 13)["expected_fare"], "62");
}

// ---------------------------------------------------------------- formats

#[test]
fn table_format_lists_rows_and_a_summary() {
    let o = trips(
        &["--tariff", "beijing-2013", &fixture("beijing-2013.csv")],
        "",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("tariff  beijing-2013 v"), "{out}");
    assert!(out.contains("verdict"), "{out}");
    assert!(
        out.contains("rows: 6 (6 pass, 0 fail, 0 skipped, 0 error)"),
        "{out}"
    );
    let b3 = out.lines().find(|l| l.contains(" b3 ")).expect("b3 row");
    assert!(b3.contains("59") && b3.contains("pass"), "{b3}");
}

#[test]
fn csv_format_echoes_the_input_and_adds_the_results() {
    let o = trips(
        &[
            "--tariff",
            "nyc-yellow-2019",
            "--format",
            "csv",
            &fixture("malformed.csv"),
        ],
        "",
    );
    assert_eq!(code(&o), 1);
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let input = [
        "trip",
        "distance_mi",
        "pickup",
        "dropoff",
        "fare",
        "rate_code",
        "waiting_s",
    ];
    assert_eq!(&header[..input.len()], input);
    for col in [
        "line",
        "expected_fare",
        "minimum_fare",
        "maximum_fare",
        "error_pct",
        "verdict",
        "reason",
        "error",
        "surcharge_findings",
    ] {
        assert!(header.iter().any(|h| h == col), "{col} in {header:?}");
    }
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 14, "one row per input row");
    let by_line = |l: &str| records.iter().find(|r| &r[col("line")] == l).unwrap();
    assert_eq!(&by_line("4")[col("verdict")], "pass");
    assert_eq!(&by_line("4")[col("expected_fare")], "7.50");
    assert_eq!(&by_line("19")[col("verdict")], "fail");
    assert_eq!(&by_line("16")[col("verdict")], "skipped");
    assert_eq!(&by_line("6")[col("verdict")], "");
    assert_eq!(
        &by_line("6")[col("error")],
        "line 6: distance_mi: not a number: \"abc\""
    );
    assert_eq!(&by_line("17")[col("trip")], "ok\n2", "quoted field echoed");
}

// ---------------------------------------------------------------- bad input

#[test]
fn malformed_rows_name_line_column_and_value() {
    let (code, doc) = report("nyc-yellow-2019", &[], &fixture("malformed.csv"), "");
    assert_eq!(code, 1);
    assert_counts_add_up(&doc);
    assert_eq!(summary(&doc), [14, 2, 1, 1, 10]);
    for (line, error) in [
        (5, "line 5: column count 3 differs from header's 7"),
        (6, "line 6: distance_mi: not a number: \"abc\""),
        (7, "line 7: distance_mi: must be >= 0, got -1.0"),
        (
            8,
            "line 8: distance_mi: must be a finite number, got \"inf\"",
        ),
        (
            9,
            "line 9: pickup: not a date-time: \"2019-03-06 25:00:00\"",
        ),
        (
            10,
            "line 10: dropoff: \"2019-03-06 10:00:00\" is before pickup \"2019-03-06 10:08:00\"",
        ),
        (11, "line 11: fare: not an exact amount: \"7.5.0\""),
        (12, "line 12: fare: must be >= 0"),
        (13, "line 13: fare: required, but the cell is empty"),
        (15, "line 15: waiting_s: waiting_s = 900"),
    ] {
        let r = row(&doc, line);
        let e = r["error"].as_str().unwrap_or_else(|| panic!("{r}"));
        assert!(e.starts_with(error), "line {line}: {e}");
        assert!(r.get("verdict").is_none(), "{r}");
    }
    assert_eq!(row(&doc, 4)["verdict"], "pass");
    assert_eq!(row(&doc, 17)["trip"], "ok\n2");
    assert_eq!(row(&doc, 17)["verdict"], "pass");
    let over = row(&doc, 19);
    assert_eq!(over["verdict"], "fail");
    assert_eq!(
        over["reason"],
        "above the maximum fare by 8.5 (bounds 7.50 … 11.50)"
    );
}

#[test]
fn missing_columns_name_what_is_missing_and_what_was_found() {
    let o = trips(
        &["--tariff", "beijing-2013", "-"],
        "trip,km,fare\nt1,3,14\n",
    );
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(
        e.contains("missing required column(s): distance_km or distance_mi"),
        "{e}"
    );
    assert!(e.contains("duration_s or pickup,dropoff"), "{e}");
    assert!(e.contains("columns found: trip, km, fare"), "{e}");
    assert!(o.stdout.is_empty());

    let o = trips(
        &["--tariff", "beijing-2013", "-"],
        "distance_km,pickup,fare\n3,2019-03-06 10:00:00,14\n",
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("dropoff (or duration_s)"),
        "{}",
        stderr(&o)
    );

    let o = trips(
        &["--tariff", "beijing-2013", "-"],
        "distance_km,distance_mi,duration_s,fare\n3,2,600,14\n",
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not both"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    // Unknown tariff: lists the built-in ids.
    let o = trips(
        &["--tariff", "paris-2020", &fixture("nyc-yellow-2019.csv")],
        "",
    );
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(e.contains("unknown tariff \"paris-2020\""), "{e}");
    assert!(
        e.contains("beijing-2013, shanghai-2015, nyc-yellow-2019"),
        "{e}"
    );
    // Invalid tariff JSON: names the path.
    let bad = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bad-tariff.json");
    std::fs::write(&bad, "{\"id\": \"x\", \"rates\": [").unwrap();
    let o = trips(
        &[
            "--tariff",
            bad.to_str().unwrap(),
            &fixture("nyc-yellow-2019.csv"),
        ],
        "",
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains(bad.to_str().unwrap()), "{}", stderr(&o));
    // Missing log, empty log, unknown profile.
    let o = trips(&["--tariff", "beijing-2013", "no-such-log.csv"], "");
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot open no-such-log.csv"),
        "{}",
        stderr(&o)
    );
    let o = trips(&["--tariff", "beijing-2013", "-"], "");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("the input is empty"), "{}", stderr(&o));
    let o = trips(
        &[
            "--tariff",
            "beijing-2013",
            "--profile",
            "nope",
            &fixture("beijing-2013.csv"),
        ],
        "",
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("mid-mi007"), "{}", stderr(&o));
    // No --tariff at all: clap's usage error.
    let o = trips(&[&fixture("beijing-2013.csv")], "");
    assert_eq!(code(&o), 2);
}

#[test]
fn header_only_log_passes_with_a_warning() {
    let (code, doc) = report_of("beijing-2013", &[], "distance_km,duration_s,fare\n");
    assert_eq!(code, 0);
    assert_eq!(summary(&doc), [0, 0, 0, 0, 0]);
}

// ---------------------------------------------------------------- scope

#[test]
fn rate_code_not_in_tariff_is_skipped_with_the_reason() {
    let log = "trip,distance_mi,duration_s,fare,rate_code\n\
               a,2.0,480,7.50,1\n\
               b,2.0,480,7.50,5\n\
               c,2.0,480,7.50,99\n\
               d,2.0,480,7.50,1.0\n\
               e,2.0,480,7.50,\n\
               f,2.0,480,-3.50,5\n";
    let (code, doc) = report_of("nyc-yellow-2019", &[], log);
    assert_eq!(code, 0, "skipped rows do not fail the log: {doc:#}");
    assert_eq!(summary(&doc), [6, 3, 0, 3, 0]);
    // Out of scope whatever its other cells (a negotiated refund).
    assert_eq!(row(&doc, 7)["verdict"], "skipped");
    let b = row(&doc, 3);
    assert_eq!(b["verdict"], "skipped");
    assert_eq!(b["rate_code"], "5");
    let reason = b["reason"].as_str().unwrap();
    assert!(
        reason.contains("rate code 5 is not a rate of tariff nyc-yellow-2019 (its rates: 1, 2, 3)"),
        "{reason}"
    );
    assert_eq!(row(&doc, 4)["verdict"], "skipped");
    // `1.0` is rate 1; an empty cell is the tariff's first rate.
    assert_eq!(row(&doc, 5)["rate_code"], "1");
    assert_eq!(row(&doc, 6)["rate_code"], "1");
}

#[test]
fn other_cab_colours_are_skipped() {
    let log = "trip,distance_mi,duration_s,fare,color\n\
               y,2.0,480,7.50,yellow\n\
               g,2.0,480,7.50,green\n";
    let (code, doc) = report_of("nyc-yellow-2019", &[], log);
    assert_eq!(code, 0);
    assert_eq!(summary(&doc), [2, 1, 0, 1, 0]);
    let g = row(&doc, 3);
    assert_eq!(g["verdict"], "skipped");
    assert!(g["reason"].as_str().unwrap().contains("color green"), "{g}");
    assert_eq!(row(&doc, 2)["extra"]["color"], "yellow");
}

// ---------------------------------------------------------------- columns

#[test]
fn pickup_dropoff_and_duration_give_the_same_fare() {
    // Beijing b5 (night, 23:30): 34 by pickup/dropoff, by pickup + duration_s, and by RFC
    // 3339 stamps with an offset (the local clock time written is used).
    let logs = [
        "distance_km,pickup,dropoff,fare\n10,2019-03-06 23:30:00,2019-03-06 23:45:00,34\n",
        "distance_km,pickup,duration_s,fare\n10,2019-03-06 23:30:00,900,34\n",
        "distance_km,pickup,dropoff,fare\n10,2019-03-06T23:30:00+08:00,2019-03-06T23:45:00.5+08:00,34\n",
        "distance_km,pickup,dropoff,fare\n10,2019-03-06T23:30:00+08:00,2019-03-06T15:45:00Z,34\n",
    ];
    for log in logs {
        let (code, doc) = report_of("beijing-2013", &[], log);
        let r = row(&doc, 2);
        assert_eq!(code, 0, "{log}: {r}");
        assert_eq!(r["expected_fare"], "34", "{log}");
        assert_eq!(r["duration_s"], 900.0, "{log}");
        assert_eq!(r["start"], "2019-03-06 23:30:00", "{log}");
    }
    // Without a pickup the hire starts in the day: the night surcharges do not apply.
    let (_, doc) = report_of(
        "beijing-2013",
        &[],
        "distance_km,duration_s,fare\n10,900,30\n",
    );
    assert_eq!(row(&doc, 2)["expected_fare"], "30");
    assert_eq!(row(&doc, 2)["start_assumed"], true);
}

#[test]
fn distance_in_miles_or_km_gives_the_same_fare() {
    let mi = "trip,distance_mi,duration_s,fare\nn1,2.0,480,7.50\n";
    let km = "trip,distance_km,duration_s,fare\nn1,3.218688,480,7.50\n";
    let tlc = "trip_distance,tpep_pickup_datetime,tpep_dropoff_datetime,fare_amount,RatecodeID\n\
               2.0,2019-03-06 10:00:00,2019-03-06 10:08:00,7.50,1\n";
    for log in [mi, km, tlc] {
        let (code, doc) = report_of("nyc-yellow-2019", &[], log);
        let r = row(&doc, 2);
        assert_eq!(code, 0, "{log}: {r}");
        assert_eq!(r["expected_fare"], "7.50", "{log}");
        assert!((r["distance_km"].as_f64().unwrap() - 3.218688).abs() < 1e-9);
    }
}

#[test]
fn waiting_time_is_used_when_given() {
    // Shanghai: 3 km in 16 min of which 8 min slow = 2 × 1 km of fare: 14 + 5 = 19.
    let (code, doc) = report_of(
        "shanghai-2015",
        &[],
        "distance_km,duration_s,waiting_s,fare\n3,960,480,19\n",
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(row(&doc, 2)["expected_fare"], "19");
    assert_eq!(row(&doc, 2)["waiting_s"], 480.0);
}

// ---------------------------------------------------------------- surcharges, profile

#[test]
fn surcharges_are_checked_apart_from_the_verdict() {
    // Sat 20:21 (night): extra 3.0 = night 0.50 + congestion 2.50 folded in (vendor 1) and
    // extra 0.5 (vendor 2) both pass; mta_tax 0.80 and extra 1.5 are findings, not fails.
    let log = "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,trip_distance,RatecodeID,fare_amount,extra,mta_tax,improvement_surcharge,congestion_surcharge\n\
               1,2019-03-23 20:21:09,2019-03-23 20:27:24,1.6,1,7.0,3.0,0.5,0.3,2.5\n\
               2,2019-03-23 20:21:09,2019-03-23 20:27:24,1.6,1,7.0,0.5,0.5,0.3,2.5\n\
               2,2019-03-23 20:21:09,2019-03-23 20:27:24,1.6,1,7.0,1.5,0.8,0.3,0.0\n";
    let (code, doc) = report_of("nyc-yellow-2019", &[], log);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(summary(&doc), [3, 3, 0, 0, 0]);
    assert_eq!(row(&doc, 2)["surcharge_findings"], serde_json::json!([]));
    assert_eq!(row(&doc, 3)["surcharge_findings"], serde_json::json!([]));
    let f = row(&doc, 4)["surcharge_findings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(
        f[0].as_str().unwrap().starts_with("extra 1.5: not a sum"),
        "{f:?}"
    );
    assert_eq!(
        f[1],
        "mta_tax 0.8: neither 0 nor the tariff's state tax 0.50"
    );
    assert_eq!(doc["summary"]["rows_with_surcharge_findings"], 1);
    assert_eq!(row(&doc, 2)["extra"]["VendorID"], "1");
}

#[test]
fn profile_fare_tolerance_judges_against_the_nominal_fare() {
    // n1 nominal 7.50; MID MI-007: ±0.1 % of 7.50 < one display digit 0.01.
    let log = "trip,distance_mi,duration_s,fare\n\
               exact,2.0,480,7.50\n\
               one_digit,2.0,480,7.51\n\
               two_digits,2.0,480,7.52\n";
    let (code, doc) = report_of("nyc-yellow-2019", &["--profile", "mid-mi007"], log);
    assert_eq!(code, 1);
    assert_eq!(doc["profile"]["id"], "mid-mi007");
    assert_eq!(row(&doc, 2)["verdict"], "pass");
    assert_eq!(row(&doc, 3)["verdict"], "pass");
    let two = row(&doc, 4);
    assert_eq!(two["verdict"], "fail");
    assert_eq!(two["fare_check"]["verdict"], "fail");
    assert!(
        two["reason"]
            .as_str()
            .unwrap()
            .contains("fare check vs 7.50"),
        "{two}"
    );
    // Without the profile, 7.52 lies within the bounds [7.50, 11.50].
    let (code, doc) = report_of("nyc-yellow-2019", &[], log);
    assert_eq!(code, 0);
    assert!(row(&doc, 4).get("fare_check").is_none());
}

// ---------------------------------------------------------------- NYC 2019 sample

const NYC_SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/nyc-tlc-trips-2019-03-sample.csv"
);

#[test]
fn nyc_sample_through_the_tlc_aliases() {
    if !std::path::Path::new(NYC_SAMPLE).is_file() {
        println!("skipped: {NYC_SAMPLE} is absent (public NYC TLC sample, not in the repository)");
        return;
    }
    let (code, doc) = report("nyc-yellow-2019", &[], NYC_SAMPLE, "");
    assert_eq!(code, 1, "real data has a handful of anomalies");
    assert_counts_add_up(&doc);
    let [rows_n, pass, fail, skipped, error] = summary(&doc);
    println!(
        "NYC 2019-03 sample: {rows_n} rows, {pass} pass, {fail} fail, {skipped} skipped, \
         {error} error, {} with surcharge findings",
        doc["summary"]["rows_with_surcharge_findings"]
    );
    let yellow_1: Vec<&Value> = rows(&doc)
        .iter()
        .filter(|r| r["extra"]["color"] == "yellow" && r["rate_code"] == "1")
        .collect();
    let judged: Vec<&Value> = yellow_1
        .iter()
        .copied()
        .filter(|r| r.get("verdict").is_some())
        .collect();
    let failed = judged.iter().filter(|r| r["verdict"] == "fail").count();
    println!(
        "  yellow rate 1: {} rows, {} judged, {failed} fail",
        yellow_1.len(),
        judged.len()
    );
    assert!(judged.len() > 5000, "{}", judged.len());
    assert!(
        failed > 0 && failed <= 20,
        "{failed} of {} fail",
        judged.len()
    );
    // Green cabs and rate codes the tariff lacks are skipped, not errors.
    assert!(skipped >= 1000, "{skipped}");
    assert!(error <= 20, "{error}: only refund/void records");
    // Vendor 1 folds the congestion surcharge into `extra`: such rows are not flagged.
    let folded: Vec<&Value> = judged
        .iter()
        .copied()
        .filter(|r| {
            r["extra"]["VendorID"] == "1"
                && r["extra"]["extra"]
                    .as_str()
                    .and_then(|x| x.parse::<f64>().ok())
                    .is_some_and(|x| x >= 2.5)
        })
        .collect();
    assert!(folded.len() > 1000, "{}", folded.len());
    let plain_fold = folded.iter().filter(|r| r["extra"]["extra"] == "2.5");
    for r in plain_fold {
        assert_eq!(r["surcharge_findings"], serde_json::json!([]), "{r}");
    }
    let flagged = folded
        .iter()
        .filter(|r| r["verdict"] != "pass" || r["surcharge_findings"] != serde_json::json!([]))
        .count();
    assert!(
        (flagged as f64) < 0.02 * folded.len() as f64,
        "{flagged} of {} folded rows flagged",
        folded.len()
    );
}
