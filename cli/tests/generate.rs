//! `verimeter generate`: the generated logs are deterministic and judged as intended by the
//! commands that read them.

mod common;

use common::{assert_counts_add_up, code, json, run, stdout, temp_file};

fn generate(kind: &str, rows: &str, seed: &str) -> Vec<u8> {
    let o = run(&["generate", kind, "--rows", rows, "--seed", seed]);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    o.stdout
}

#[test]
fn dispenser_log_is_judged_row_for_row() {
    let log = generate("dispenser", "2000", "7");
    let text = String::from_utf8(log).expect("utf-8");
    assert!(text.starts_with(
        "nozzle,test_point,fuel,indicated_l,standard_l,dispenser_temp_c,can_temp_c,\
         can_material,flow_l_min,unit_price,amount\n"
    ));
    assert_eq!(text.lines().count(), 2001);
    let path = temp_file("gen-disp.csv", &text);
    let o = run(&["dispenser", "--format", "json", &path]);
    let doc = json(&o);
    assert_counts_add_up(&doc, "nozzles");
    let s = &doc["summary"];
    assert_eq!(s["rows"], 2000);
    assert_eq!(s["rows_error"], 0, "{s}");
    // 2000 rows = 333 whole nozzles of 6 draws and one of 2.
    assert_eq!(s["nozzles"], 334);
    assert_eq!(s["nozzles_incomplete"], 1, "{s}");
    let fail = s["rows_fail"].as_u64().unwrap();
    assert!((10..=200).contains(&fail), "a few % fail: {s}");
    // The amounts are computed exactly: no amount check fails.
    let rows = doc["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["amount_check"]["verdict"] == "pass"));
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for kind in ["dispenser", "trips"] {
        let a = generate(kind, "500", "11");
        assert_eq!(a, generate(kind, "500", "11"), "{kind}");
        assert_ne!(a, generate(kind, "500", "12"), "{kind}");
    }
}

#[test]
fn out_file_equals_stdout() {
    let path = temp_file("gen-out.csv", "");
    let o = run(&["generate", "trips", "--rows", "50", "--out", &path]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), generate("trips", "50", "1"));
}

#[test]
fn trip_log_mostly_passes_the_tariff() {
    let text = String::from_utf8(generate("trips", "1000", "5")).unwrap();
    assert!(text.starts_with("trip,distance_km,duration_s,pickup,fare,rate_code\n"));
    let path = temp_file("gen-trips.csv", &text);
    let o = run(&[
        "trips",
        "--tariff",
        "beijing-2013",
        "--format",
        "json",
        &path,
    ]);
    let s = &json(&o)["summary"];
    assert_eq!(s["rows"], 1000);
    assert_eq!(s["rows_error"], 0, "{s}");
    let pass = s["rows_pass"].as_u64().unwrap();
    assert!(pass >= 950, "{s}");
    assert!(pass < 1000, "some fares are made wrong on purpose: {s}");
}

#[test]
fn zero_rows_is_a_header() {
    let log = generate("dispenser", "0", "1");
    assert_eq!(log.iter().filter(|b| **b == b'\n').count(), 1);
}
