//! Decision rules (ILAC-G8:2019) on both judging commands: U in the output, conditional
//! verdicts, budgets from the default spec, a --budget file or per-row columns.
//!
//! `fixtures/dispenser/near-limit.csv` at the `in-service` stage (one draw per nozzle,
//! ±0.30 %): E = +0.10, +0.29, −0.28, +0.32, −0.33, +0.40 %. The default budget of a 20 L
//! petrol draw without temperatures gives U ≈ 0.062 % (k = 2): the can certificate 0.02 %,
//! two 0.01 L resolutions 0.0144 % each, thermometers 0.0098 %, drainage 0.0058 %.

mod common;

use common::*;
use serde_json::Value;

fn near(flags: &[&str]) -> (i32, Value) {
    let mut f = vec!["--stage", "in-service"];
    f.extend_from_slice(flags);
    report("dispenser", &f, &fixture("dispenser", "near-limit.csv"))
}

fn verdicts(doc: &Value) -> Vec<String> {
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["verdict"].as_str().unwrap_or("error").to_string())
        .collect()
}

#[test]
fn simple_default_is_the_plain_comparison() {
    let (status, doc) = near(&[]);
    assert_eq!(status, 1);
    assert_counts_add_up(&doc, "nozzles");
    assert!(doc.get("decision_rule").is_none());
    assert!(row(&doc, 3).get("expanded_uncertainty_pct").is_none());
    assert_eq!(
        verdicts(&doc),
        ["pass", "pass", "pass", "fail", "fail", "fail"]
    );
    assert_eq!(doc["summary"]["rows_conditional_pass"], 0);
    let o = cmd(
        "dispenser",
        &["--stage", "in-service"],
        &fixture("dispenser", "near-limit.csv"),
    );
    let t = stdout(&o);
    assert!(!t.contains("U %") && !t.contains("decision rule"), "{t}");
    assert!(t.contains("rows: 6 (3 pass, 3 fail, 0 error)"), "{t}");
}

#[test]
fn non_binary_gives_conditional_verdicts_with_u() {
    let (status, doc) = near(&["--decision-rule", "non-binary"]);
    assert_eq!(status, 1, "conditional-fail exits 1");
    assert_counts_add_up(&doc, "nozzles");
    assert_eq!(
        verdicts(&doc),
        [
            "pass",
            "conditional-pass",
            "conditional-pass",
            "conditional-fail",
            "conditional-fail",
            "fail"
        ]
    );
    let d = &doc["decision_rule"];
    assert_eq!(d["rule"], "non-binary");
    assert_eq!(num(&d["guard_factor"]), 1.0);
    assert!(
        d["budget"].as_str().unwrap().contains("default budget"),
        "{d}"
    );
    let r = row(&doc, 3);
    let u = num(&r["expanded_uncertainty_pct"]);
    assert!((u - 0.062).abs() < 0.001, "U = {u}");
    assert!((num(&r["coverage_factor"]) - 2.0).abs() < 0.01);
    assert_eq!(r["decision_rule"], "non-binary");
    assert_eq!(num(&r["guard_band_pct"]), u);
    assert!(r["budget"].as_str().unwrap().contains("20 L"), "{r}");
    let s = &doc["summary"];
    assert_eq!(s["rows_conditional_pass"], 2);
    assert_eq!(s["rows_conditional_fail"], 2);
    assert_eq!(s["nozzles_conditional_pass"], 2);
    assert_eq!(s["nozzles_conditional_fail"], 2);
    let c1 = group(&doc, "nozzles", "nozzle", "C1");
    assert_eq!(c1["verdict"], "conditional-pass");
    assert!(c1["reasons"][0]
        .as_str()
        .unwrap()
        .contains("is conditional-pass under the non-binary rule"));

    let o = cmd(
        "dispenser",
        &["--stage", "in-service", "--decision-rule", "non-binary"],
        &fixture("dispenser", "near-limit.csv"),
    );
    let t = stdout(&o);
    for needle in [
        "decision rule non-binary (guard factor 1) — U from the default budget",
        "U %",
        "±0.062",
        "conditional-fail",
        "rows: 6 (1 pass, 2 conditional-pass, 2 conditional-fail, 1 fail, 0 error)",
    ] {
        assert!(t.contains(needle), "{needle:?} missing from:\n{t}");
    }
}

#[test]
fn conditional_pass_exits_0_conditional_fail_exits_1() {
    let input =
        b"nozzle,test_point,indicated_l,standard_l\nP1,max,20.020,20.000\nC1,max,20.058,20.000\n";
    let args = |rule: &'static str| {
        vec![
            "dispenser",
            "--stage",
            "in-service",
            "--decision-rule",
            rule,
            "-",
        ]
    };
    assert_eq!(code(&run_stdin(&args("non-binary"), input)), 0);
    assert_eq!(code(&run_stdin(&args("simple"), input)), 0);
    assert_eq!(code(&run_stdin(&args("guarded"), input)), 1);
    let input = b"nozzle,test_point,indicated_l,standard_l\nD1,max,20.064,20.000\n";
    assert_eq!(code(&run_stdin(&args("non-binary"), input)), 1);
    assert_eq!(code(&run_stdin(&args("guarded-rejection"), input)), 0);
}

#[test]
fn guarded_rules_and_guard_factor() {
    let (_, doc) = near(&["--decision-rule", "guarded"]);
    assert_eq!(
        verdicts(&doc),
        ["pass", "fail", "fail", "fail", "fail", "fail"]
    );
    let (_, doc) = near(&["--decision-rule", "guarded-rejection"]);
    assert_eq!(
        verdicts(&doc),
        ["pass", "pass", "pass", "pass", "pass", "fail"]
    );
    // R = 0: no guard band, the non-binary rule is the simple comparison.
    let (_, doc) = near(&["--decision-rule", "non-binary", "--guard-factor", "0"]);
    assert_eq!(
        verdicts(&doc),
        ["pass", "pass", "pass", "fail", "fail", "fail"]
    );
    assert_eq!(num(&row(&doc, 3)["guard_band_pct"]), 0.0);
    // R = 0.5: half the band; +0.29 is still within 0.031 of +0.30.
    let (_, doc) = near(&["--decision-rule", "non-binary", "--guard-factor", "0.5"]);
    let r = row(&doc, 3);
    assert!((num(&r["guard_band_pct"]) - num(&r["expanded_uncertainty_pct"]) / 2.0).abs() < 1e-12);
    assert_eq!(r["verdict"], "conditional-pass");
}

#[test]
fn uncertainty_flag_shows_u_under_the_simple_rule() {
    let (_, doc) = near(&["--uncertainty"]);
    assert_eq!(
        verdicts(&doc),
        ["pass", "pass", "pass", "fail", "fail", "fail"]
    );
    assert_eq!(doc["decision_rule"]["rule"], "simple");
    assert_eq!(num(&doc["decision_rule"]["guard_factor"]), 0.0);
    assert!(num(&row(&doc, 2)["expanded_uncertainty_pct"]) > 0.0);
}

#[test]
fn budget_file_replaces_the_default() {
    let budget = fixture("dispenser", "budget-coarse.json");
    let (_, doc) = near(&["--decision-rule", "non-binary", "--budget", &budget]);
    let u = num(&row(&doc, 2)["expanded_uncertainty_pct"]);
    assert!((u - 0.209).abs() < 0.001, "U = {u}");
    assert_eq!(
        row(&doc, 2)["verdict"],
        "conditional-pass",
        "+0.10 within 0.209 of 0.30"
    );
    assert!(doc["decision_rule"]["budget"]
        .as_str()
        .unwrap()
        .starts_with("--budget "));

    let o = cmd(
        "dispenser",
        &["--budget", &fixture("dispenser", "budget-typo.json")],
        &fixture("dispenser", "near-limit.csv"),
    );
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(
        e.contains("unknown field(s) can_resolution; known fields:"),
        "{e}"
    );
    assert!(e.contains("can_resolution_l"), "{e}");

    let bad = temp_file("bad-budget.json", r#"{"can_k": -1}"#);
    let o = cmd(
        "dispenser",
        &["--budget", &bad],
        &fixture("dispenser", "near-limit.csv"),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("must be > 0, got -1"), "{}", stderr(&o));

    let o = cmd(
        "dispenser",
        &["--budget", &fixture("dispenser", "no-such.json")],
        &fixture("dispenser", "near-limit.csv"),
    );
    assert_eq!(code(&o), 2);
}

#[test]
fn per_row_uncertainty_columns() {
    let file = fixture("dispenser", "near-limit-u.csv");
    // Uncertainty columns alone switch U on, under the simple rule.
    let (status, doc) = report("dispenser", &["--stage", "in-service"], &file);
    assert_eq!(status, 1, "two bad rows");
    assert_counts_add_up(&doc, "nozzles");
    assert_eq!(doc["decision_rule"]["rule"], "simple");
    for line in 2..=6 {
        assert_eq!(row(&doc, line)["verdict"], "pass", "line {line}");
    }
    let (_, doc) = report(
        "dispenser",
        &["--stage", "in-service", "--decision-rule", "non-binary"],
        &file,
    );
    let u = |line| num(&row(&doc, line)["expanded_uncertainty_pct"]);
    assert!(
        u(3) < u(2) && u(2) < u(4),
        "finer can and display < default < coarser can"
    );
    assert!(
        (u(4) - 0.205).abs() < 0.001,
        "U_rel 0.2 % at k = 2 dominates: {}",
        u(4)
    );
    assert!(row(&doc, 3)["budget"]
        .as_str()
        .unwrap()
        .contains("per row: can_u_rel = 0.0002, can_k = 2, can_resolution_l = 0.005"));
    assert_eq!(u(5), 0.005);
    assert_eq!(row(&doc, 5)["budget"], "expanded_uncertainty_pct column");
    assert_eq!(row(&doc, 5)["verdict"], "pass");
    assert_eq!(num(&row(&doc, 6)["coverage_factor"]), 2.5);
    assert_eq!(row(&doc, 6)["verdict"], "conditional-pass");
    assert!(row(&doc, 7)["error"]
        .as_str()
        .unwrap()
        .starts_with("line 7: can_u_rel: not a number: \"abc\""));
    assert!(row(&doc, 8)["error"]
        .as_str()
        .unwrap()
        .starts_with("line 8: can_k: must be > 0, got -2"));
    // The uncertainty columns are interpreted, not echoed as extra columns.
    assert!(row(&doc, 2)["extra"].as_object().unwrap().is_empty());
}

#[test]
fn csv_carries_the_decision_columns() {
    let o = cmd(
        "dispenser",
        &[
            "--stage",
            "in-service",
            "--decision-rule",
            "non-binary",
            "--format",
            "csv",
        ],
        &fixture("dispenser", "near-limit.csv"),
    );
    assert_eq!(code(&o), 1);
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let n = head.len();
    assert_eq!(
        &head[n - 5..],
        [
            "expanded_uncertainty_pct",
            "coverage_factor",
            "decision_rule",
            "guard_band_pct",
            "budget"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let verdict = head.iter().position(|h| h == "verdict").unwrap();
    assert_eq!(&rows[1][verdict], "conditional-pass");
    assert_eq!(&rows[1][n - 3], "non-binary");

    let o = cmd(
        "dispenser",
        &["--stage", "in-service", "--format", "csv"],
        &fixture("dispenser", "near-limit.csv"),
    );
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    assert!(!r.headers().unwrap().iter().any(|h| h == "decision_rule"));
}

#[test]
fn bad_rule_or_guard_factor_is_a_usage_error() {
    let file = fixture("dispenser", "near-limit.csv");
    let o = cmd("dispenser", &["--decision-rule", "lenient"], &file);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("simple, guarded, guarded-rejection, non-binary"));
    let o = cmd(
        "dispenser",
        &["--decision-rule", "guarded", "--guard-factor=-1"],
        &file,
    );
    assert_eq!(code(&o), 2);
    let o = cmd(
        "taximeter",
        &["--guard-factor", "NaN"],
        &fixture("taximeter", "bench-k.csv"),
    );
    assert_eq!(code(&o), 2);
}

#[test]
fn taximeter_non_binary_with_a_budget_file() {
    let budget = fixture("taximeter", "budget-fine.json");
    let (status, doc) = report(
        "taximeter",
        &["--decision-rule", "non-binary", "--budget", &budget],
        &fixture("taximeter", "jjg517-installed.csv"),
    );
    assert_eq!(status, 1);
    assert_counts_add_up(&doc, "vehicles");
    // 2 km with a 1 m display step: u = √((0.3/√3)² + (0.05/√3)²) % → U ≈ 0.348 %.
    let u = num(&row(&doc, 2)["expanded_uncertainty_pct"]);
    assert!((u - 0.348).abs() < 0.001, "U = {u}");
    for (line, verdict) in [
        (2, "pass"),
        (3, "conditional-fail"),
        (4, "conditional-pass"),
        (5, "conditional-fail"),
    ] {
        assert_eq!(row(&doc, line)["verdict"], verdict, "line {line}");
    }
    assert_eq!(
        group(&doc, "vehicles", "vehicle", "AB-1003")["verdict"],
        "conditional-pass"
    );
    assert_eq!(doc["summary"]["rows_conditional_fail"], 2);
    assert!(row(&doc, 2)["budget"]
        .as_str()
        .unwrap()
        .contains("taximeter distance test over 2000 m"));
    // The default budget: 0.3 % reference and a 10 m resolution at 2 km: U ≈ 0.45 %.
    let (_, doc) = report(
        "taximeter",
        &["--decision-rule", "non-binary"],
        &fixture("taximeter", "jjg517-installed.csv"),
    );
    let u = num(&row(&doc, 2)["expanded_uncertainty_pct"]);
    assert!((u - 0.451).abs() < 0.002, "{u}");
    assert!(doc["decision_rule"]["budget"]
        .as_str()
        .unwrap()
        .contains("TaximeterBudgetSpec::default()"));
    // U per row, and the table's U column.
    let o = run_stdin(
        &["taximeter", "--decision-rule", "non-binary", "-"],
        b"vehicle,test,reference_km,indicated_km,expanded_uncertainty_pct\nA,distance,2,1.93,0.1\nB,distance,2,1.9206,0.1\n",
    );
    assert_eq!(code(&o), 0, "pass and conditional-pass: {}", stdout(&o));
    let t = stdout(&o);
    assert!(
        t.contains("U %") && t.contains("±0.100") && t.contains("conditional-pass"),
        "{t}"
    );
}

#[test]
fn dispenser_help_teaches_the_decision_flags() {
    let o = run(&["dispenser", "--help"]);
    assert_eq!(code(&o), 0);
    let h = stdout(&o);
    for needle in [
        "--decision-rule",
        "--guard-factor",
        "--budget",
        "--uncertainty",
        "DECISION RULES",
        "conditional-pass",
        "can_u_rel",
        "expanded_uncertainty_pct",
        "near-limit.csv",
    ] {
        assert!(h.contains(needle), "{needle} missing from:\n{h}");
    }
    let o = run(&["profiles", "--help"]);
    assert!(stdout(&o).contains("--kind"));
}
