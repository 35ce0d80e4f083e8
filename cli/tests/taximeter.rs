//! Runs the real `verimeter taximeter` on the files in `fixtures/taximeter/`.
//!
//! Worked cases from `shared/reference/taximeters.md`: T1 2.000 km → 1.930 km: δ = −3.50 %
//! (pass, JJG 517 installed −4.0 % … +1.0 %); T2 2.024 km: +1.20 % (fail); T3 1.920 km:
//! −4.00 % (pass, limit inclusive) and 1.918 km: −4.10 % (fail); T4 bench k = 1000, Q = 1 km,
//! N = 1001.5: δ = (1000 − 1001.5)/1001.5 = −0.150 %.

mod common;

use common::*;
use serde_json::Value;

fn taxi(flags: &[&str], file: &str) -> (i32, Value) {
    report("taximeter", flags, &fixture("taximeter", file))
}

fn vehicle<'a>(doc: &'a Value, id: &str) -> &'a Value {
    group(doc, "vehicles", "vehicle", id)
}

#[test]
fn installed_worked_cases_t1_to_t3_json() {
    let (status, doc) = taxi(&[], "jjg517-installed.csv");
    assert_eq!(status, 1);
    assert_counts_add_up(&doc, "vehicles");
    assert_eq!(doc["profile"]["id"], "jjg517-2016");
    assert_eq!(doc["profile"]["stage"], "installed");
    assert!(doc.get("decision_rule").is_none(), "simple rule: no U");
    for (line, err, verdict) in [
        (2, "-3.50", "pass"),
        (3, "1.20", "fail"),
        (4, "-4.00", "pass"),
        (5, "-4.10", "fail"),
    ] {
        let r = row(&doc, line);
        assert_eq!(digits(num(&r["error_pct"]), 2), err, "line {line}");
        assert_eq!(r["verdict"], verdict, "line {line}");
        assert_eq!(r["test"], "distance");
        assert_eq!(num(&r["lower_limit_pct"]), -4.0);
        assert_eq!(num(&r["upper_limit_pct"]), 1.0);
        assert_eq!(num(&r["reference"]), 2000.0);
        assert_eq!(r["unit"], "m");
        assert!(r["clause"].as_str().unwrap().contains("§5.2"), "{r}");
        assert!(r.get("expanded_uncertainty_pct").is_none());
    }
    assert_eq!(num(&row(&doc, 3)["mpe_pct"]), 1.0, "over-registration side");
    assert_eq!(
        num(&row(&doc, 5)["mpe_pct"]),
        4.0,
        "under-registration side"
    );
    assert_eq!(row(&doc, 2)["extra"]["note"], "T1: -3.50 % pass");
    // The installed stage sets no time tolerance: the library's message, on that row only.
    let e = row(&doc, 8)["error"].as_str().unwrap();
    assert!(
        e.starts_with("line 8: the tolerance rule needs a time tolerance"),
        "{e}"
    );
    assert_eq!(vehicle(&doc, "AB-1001")["verdict"], "pass");
    assert_eq!(vehicle(&doc, "AB-1002")["verdict"], "fail");
    assert_eq!(vehicle(&doc, "AB-1003")["verdict"], "pass");
    assert_eq!(vehicle(&doc, "AB-1004")["verdict"], "fail");
    assert_eq!(vehicle(&doc, "AB-1005")["verdict"], "incomplete");
    assert!(vehicle(&doc, "AB-1002")["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("line 3: distance error +1.200 % (judged +1.2) outside -4 % … +1 %"));
    let s = &doc["summary"];
    assert_eq!(
        (s["rows"].as_u64(), s["rows_pass"].as_u64()),
        (Some(7), Some(4))
    );
    assert_eq!(
        (s["rows_fail"].as_u64(), s["rows_error"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(s["rows_conditional_pass"], 0);
}

#[test]
fn calibration_suggestion_with_and_without_k() {
    let (_, doc) = taxi(&[], "jjg517-installed.csv");
    // T2 with k = 1000: k_new = 1000 · 1.012 / 0.985 (aim at −1.5 %, the band's middle).
    let c = &vehicle(&doc, "AB-1002")["calibration"];
    assert_eq!(num(&c["target_error_pct"]), -1.5);
    assert_eq!(num(&c["k_old_per_km"]), 1000.0);
    assert!(
        (num(&c["k_new_per_km"]) - 1000.0 * 1.012 / 0.985).abs() < 1e-9,
        "{c}"
    );
    assert!((num(&c["k_factor"]) - 1.012 / 0.985).abs() < 1e-12);
    // Two distance tests (−3.5 %, −3.0 %): the mean.
    let c = &vehicle(&doc, "AB-1001")["calibration"];
    assert_eq!(c["distance_tests"], 2);
    assert!((num(&c["measured_error_pct"]) + 3.25).abs() < 1e-9);
    // No k column value: the factor only.
    let c = &vehicle(&doc, "AB-1003")["calibration"];
    assert!(c.get("k_new_per_km").is_none() && c.get("k_old_per_km").is_none());
    assert!((num(&c["k_factor"]) - 0.96 / 0.985).abs() < 1e-12, "{c}");
    // A vehicle with time tests only gets none.
    let (_, doc) = taxi(&["--profile", "mid-mi007"], "mid-meter.csv");
    assert!(vehicle(&doc, "T-01").get("calibration").is_none());
}

#[test]
fn installed_table_and_csv() {
    let o = cmd(
        "taximeter",
        &[],
        &fixture("taximeter", "jjg517-installed.csv"),
    );
    assert_eq!(code(&o), 1);
    let t = stdout(&o);
    for needle in [
        "profile jjg517-2016",
        "stage   installed",
        "δ %",
        "-3.500",
        "+1.200",
        "k 1000 → 1027.411 (δ +1.200 % → -1.5 %)",
        "rows: 7 (4 pass, 2 fail, 1 error); vehicles: 5 (2 pass, 2 fail, 1 incomplete)",
    ] {
        assert!(t.contains(needle), "{needle:?} missing from:\n{t}");
    }
    assert!(!t.contains("U %"), "no U column under the simple rule");

    let o = cmd(
        "taximeter",
        &["--format", "csv"],
        &fixture("taximeter", "jjg517-installed.csv"),
    );
    assert_eq!(code(&o), 1);
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        head,
        [
            "vehicle",
            "test",
            "reference_km",
            "indicated_km",
            "reference_s",
            "indicated_s",
            "k",
            "note",
            "line",
            "error_pct",
            "judged_error_pct",
            "mpe_pct",
            "lower_limit_pct",
            "upper_limit_pct",
            "verdict",
            "error",
            "clause"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(&rows[0][8], "2");
    assert_eq!(&rows[0][14], "pass");
    assert_eq!(&rows[6][14], "");
    assert!(rows[6][15].starts_with("line 8: the tolerance rule needs"));
}

#[test]
fn bench_t4_k_count() {
    let (status, doc) = taxi(&["--stage", "meter"], "bench-k.csv");
    assert_eq!(status, 1, "M-03 fails");
    assert_counts_add_up(&doc, "vehicles");
    let r = row(&doc, 2);
    assert_eq!(digits(num(&r["error_pct"]), 3), "-0.150");
    assert_eq!(num(&r["reference"]), 1001.5);
    assert_eq!(num(&r["indicated"]), 1000.0);
    assert_eq!(num(&r["k_per_km"]), 1000.0);
    assert_eq!(num(&r["count"]), 1001.5);
    assert_eq!(r["verdict"], "pass");
    // 1 km: ±0.2 % is 2 m, under the 4 m floor → ±4 m of 1001.5 m.
    assert!((num(&r["upper_limit_pct"]) - 400.0 / 1001.5).abs() < 1e-9);
    // An empty test cell in a bench row is a distance test.
    assert_eq!(row(&doc, 3)["test"], "distance");
    assert_eq!(row(&doc, 3)["verdict"], "pass");
    assert_eq!(row(&doc, 4)["verdict"], "fail");
}

#[test]
fn mid_meter_floors_in_metres_and_seconds() {
    let (status, doc) = taxi(&["--profile", "mid-mi007"], "mid-meter.csv");
    assert_eq!(status, 1);
    assert_counts_add_up(&doc, "vehicles");
    let lim = |line| {
        let r = row(&doc, line);
        (num(&r["lower_limit_pct"]), num(&r["upper_limit_pct"]))
    };
    let close = |(a, b): (f64, f64), x: f64| (a + x).abs() < 1e-9 && (b - x).abs() < 1e-9;
    assert!(close(lim(2), 0.4), "1 km → ±4 m = ±0.4 %");
    assert!(close(lim(5), 0.2), "10 km → ±0.2 %");
    assert!(close(lim(7), 0.2), "100 s → ±0.2 s = ±0.2 %");
    assert!(close(lim(8), 0.1), "3600 s → ±0.1 %");
    for (line, verdict) in [
        (2, "pass"),
        (3, "pass"),
        (4, "fail"),
        (5, "pass"),
        (6, "fail"),
        (7, "pass"),
        (8, "pass"),
        (9, "fail"),
    ] {
        assert_eq!(row(&doc, line)["verdict"], verdict, "line {line}");
    }
    assert_eq!(row(&doc, 7)["unit"], "s");
    assert_eq!(row(&doc, 7)["test"], "time");
    assert_eq!(vehicle(&doc, "T-01")["time_tests"], 2);
}

#[test]
fn unit_column_equals_unit_suffix() {
    let (_, a) = taxi(&[], "jjg517-installed.csv");
    let (status, b) = taxi(&[], "units-column.csv");
    assert_eq!(status, 1);
    assert_counts_add_up(&b, "vehicles");
    for line in 2..=7 {
        let (x, y) = (row(&a, line), row(&b, line));
        assert!(
            (num(&x["error_pct"]) - num(&y["error_pct"])).abs() < 1e-9,
            "line {line}: {x} vs {y}"
        );
        assert_eq!(x["verdict"], y["verdict"], "line {line}");
    }
    // The row in minutes is a time test: an error on the installed stage, judged on the
    // meter stage (600 s → 600.6 s: +0.1 %, on the limit).
    assert!(row(&b, 8)["error"]
        .as_str()
        .unwrap()
        .contains("time tolerance"));
    let (_, m) = taxi(&["--stage", "meter"], "units-column.csv");
    let r = row(&m, 8);
    assert_eq!(num(&r["reference"]), 600.0);
    assert_eq!(r["unit"], "s");
    assert_eq!(digits(num(&r["error_pct"]), 2), "0.10");
    assert_eq!(r["verdict"], "pass");
}

#[test]
fn malformed_rows_each_name_line_column_value() {
    let (status, doc) = taxi(&[], "malformed.csv");
    assert_eq!(status, 1);
    assert_counts_add_up(&doc, "vehicles");
    let expected = [
        (3, "line 3: column count 4 differs from header's 7"),
        (4, "line 4: reference_km: not a number: \"abc\""),
        (5, "line 5: indicated_km: must be >= 0, got -1.93"),
        (6, "line 6: reference_km: must be > 0, got 0"),
        (7, "line 7: reference_km: must be a finite number, got NaN"),
        (
            8,
            "line 8: test: unknown test \"speed\"; expected one of: distance, time",
        ),
        (9, "line 9: vehicle: empty vehicle id"),
        (10, "line 10: test: required, but the cell is empty"),
        (
            11,
            "line 11: indicated_km, indicated_m: give the indication in one unit only",
        ),
        (
            12,
            "line 12: indicated_km: a time test needs a unit of s, min or h, got km",
        ),
        (
            13,
            "line 13: reference_km, count: give either the reference or the bench count",
        ),
        (14, "line 14: k: required for a bench row"),
        (
            15,
            "line 15: indicated_km: must be a finite number, got inf",
        ),
        (
            16,
            "line 16: indicated_km / indicated_m: required, but the cell is empty",
        ),
    ];
    for (line, text) in expected {
        let e = row(&doc, line)["error"].as_str().unwrap_or_default();
        assert!(
            e.starts_with(text),
            "line {line}: {e:?} does not start with {text:?}"
        );
    }
    for line in [2, 17] {
        assert_eq!(row(&doc, line)["verdict"], "pass", "line {line}");
    }
    assert_eq!(doc["summary"]["rows_error"], 14);
    // The row with no vehicle id belongs to no vehicle; bad rows make their vehicle incomplete.
    assert_eq!(doc["summary"]["vehicles"], 5);
    assert_eq!(vehicle(&doc, "V1")["verdict"], "incomplete");
    assert_eq!(vehicle(&doc, "V5")["verdict"], "pass");
    assert!(!stdout(&cmd(
        "taximeter",
        &["--format", "json"],
        &fixture("taximeter", "malformed.csv")
    ))
    .contains("NaN,"));
}

#[test]
fn missing_and_mixed_columns_are_usage_errors() {
    let o = cmd(
        "taximeter",
        &[],
        &fixture("taximeter", "missing-columns.csv"),
    );
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(
        e.contains("missing required column(s): test, indicated_<unit>"),
        "{e}"
    );
    assert!(
        e.contains("columns found: vehicle, reference_km, odometer"),
        "{e}"
    );

    let o = run_stdin(
        &["taximeter", "-"],
        b"vehicle,test,reference_km,indicated,unit\nA,distance,2,1.93,km\n",
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not both"), "{}", stderr(&o));

    let o = run_stdin(&["taximeter", "-"], b"vehicle,test,reference,indicated\n");
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("missing required column(s): unit"),
        "{}",
        stderr(&o)
    );

    let o = run_stdin(&["taximeter", "-"], b"");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("the input is empty"), "{}", stderr(&o));
}

#[test]
fn all_pass_exits_0_from_stdin() {
    let o = run_stdin(
        &["taximeter", "--format", "json", "-"],
        b"Vehicle , TEST,reference_km,indicated_km\nA,distance,2.000,1.970\nB,d,2,1.99\n",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let doc = json(&o);
    assert_eq!(doc["summary"]["vehicles_pass"], 2);
}

#[test]
fn unknown_profile_and_stage_list_the_known_ones() {
    let file = fixture("taximeter", "jjg517-installed.csv");
    let o = cmd("taximeter", &["--profile", "jjg443-2015"], &file);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("jjg517-2016, oiml-r21"),
        "{}",
        stderr(&o)
    );
    let o = cmd("taximeter", &["--stage", "parked"], &file);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("its stages are: meter, installed"),
        "{}",
        stderr(&o)
    );
    let o = cmd("taximeter", &[], &fixture("taximeter", "no-such-file.csv"));
    assert_eq!(code(&o), 2);
}

#[test]
fn profile_file_from_the_profiles_listing() {
    // Take the JJG 517 object as `verimeter profiles` prints it ("kind" included) and give the
    // installed stage a time tolerance: the time row is then judged.
    let o = run(&["profiles", "--kind", "taximeter", "--format", "json"]);
    let mut p = json(&o)[0].clone();
    assert_eq!(p["kind"], "taximeter");
    p["id"] = "my-city".into();
    p["stages"][1]["time"] =
        serde_json::json!({"kind": "relative", "pct": 0.5, "source": "city rule (test)"});
    let path = temp_file("taxi-profile.json", &p.to_string());
    let (status, doc) = taxi(&["--profile-file", &path], "jjg517-installed.csv");
    assert_eq!(status, 1);
    assert_eq!(doc["profile"]["id"], "my-city");
    let r = row(&doc, 8);
    assert_eq!(r["verdict"], "pass", "{r}");
    assert!((num(&r["error_pct"]) - 0.5 / 6.0).abs() < 1e-9);

    // A dispenser profile is refused by name.
    let o = run(&["profiles", "--kind", "dispenser", "--format", "json"]);
    let path = temp_file("disp-profile.json", &json(&o)[0].to_string());
    let o = cmd(
        "taximeter",
        &["--profile-file", &path],
        &fixture("taximeter", "jjg517-installed.csv"),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("needs a taximeter profile"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn profiles_list_both_kinds() {
    let o = run(&["profiles"]);
    assert_eq!(code(&o), 0);
    let t = stdout(&o);
    assert!(t.contains("jjg443-2015  v1.0.0  [dispenser]"), "{t}");
    assert!(t.contains("jjg517-2016  v1.0.0  [taximeter]"), "{t}");
    assert!(t.contains("* installed"), "{t}");
    let o = run(&["profiles", "--kind", "taximeter"]);
    assert!(!stdout(&o).contains("[dispenser]"));
}

#[test]
fn help_teaches_with_examples() {
    let o = run(&["taximeter", "--help"]);
    assert_eq!(code(&o), 0);
    let h = stdout(&o);
    for needle in [
        "--profile-file",
        "--stage",
        "--decision-rule",
        "--guard-factor",
        "--budget",
        "reference_<unit>",
        "count / k",
        "Exit status",
        "Examples:",
    ] {
        assert!(h.contains(needle), "{needle} missing from:\n{h}");
    }
    assert_eq!(
        code(&run(&["taximeter"])),
        2,
        "a missing FILE is a usage error"
    );
}
