//! `verimeter explain` and `--explain N`: the steps of one row with the numbers put in, the
//! clauses, the group's steps; bad rows, non-data lines and out-of-range lines.
//!
//! F2 (fixtures/dispenser/worked-examples.csv, line 5; shared/reference/fuel-dispensers.md):
//! E = (20.00 − 20.05)/20.05 = −0.2494 %, judged −0.25 %, inside ±0.30 % (JJG 443-2015).
//! F1 (lines 2–4): E as judged 0.43, 0.36, 0.58 %; E_r = (0.58 − 0.36)/1.69 = 0.1302 %.

mod common;

use common::{code, fixture, json, run, stderr, stdout};
use serde_json::Value;

fn explain(kind: &str, flags: &[&str], line: &str, file: &str) -> std::process::Output {
    let mut args = vec!["explain", kind, "--line", line];
    args.extend_from_slice(flags);
    args.push(file);
    run(&args)
}

#[test]
fn f2_shows_the_substituted_error_the_rounding_the_clause_and_pass() {
    let file = fixture("dispenser", "worked-examples.csv");
    let o = explain("dispenser", &[], "5", &file);
    let out = stdout(&o);
    assert!(out.contains("worked-examples.csv, line 5"), "{out}");
    assert!(out.contains("nozzle F2, test point max"), "{out}");
    assert!(out.contains("profile jjg443-2015 v"), "{out}");
    assert!(out.contains("stage subsequent"), "{out}");
    assert!(out.contains("(20 − 20.05) / 20.05 × 100"), "{out}");
    assert!(out.contains("−0.25 %"), "{out}");
    assert!(out.contains("−0.3 % ≤ −0.25 % ≤ +0.3 %"), "{out}");
    assert!(out.contains("JJG 443-2015"), "{out}");
    assert!(out.contains("→ pass"), "{out}");
    // The nozzle has one draw at max and no min draws: its verdict is incomplete, so the
    // explanation's exit status is 1 although the row passes.
    assert!(out.contains("repeatability of nozzle F2 at max"), "{out}");
    assert!(out.contains("verdict of nozzle F2"), "{out}");
    assert!(out.contains("→ incomplete"), "{out}");
    assert!(out.contains("required test point missing"), "{out}");
    assert_eq!(code(&o), 1, "{out}");
}

#[test]
fn f1_repeatability_substitutes_the_draws_errors() {
    let file = fixture("dispenser", "worked-examples.csv");
    let o = explain("dispenser", &[], "3", &file);
    let out = stdout(&o);
    assert!(
        out.contains("line 2: 0.43 %, line 3: 0.36 %, line 4: 0.58 %"),
        "{out}"
    );
    assert!(out.contains("(0.58 − 0.36) / 1.69 = 0.1302 %"), "{out}");
    assert!(out.contains("≤ 0.15 %"), "{out}");
    assert!(out.contains("C₃ = 1.69"), "{out}");
    assert_eq!(code(&o), 1);
}

#[test]
fn repeatability_with_a_negative_error_is_parenthesised_and_fails() {
    // N3 at max: E as judged −0.1, +0.05, +0.2 → (0.2 − (−0.1))/1.69 = 0.1775 % > 0.15 %.
    let file = fixture("dispenser", "jjg443-station.csv");
    let out = stdout(&explain("dispenser", &[], "15", &file));
    assert!(out.contains("(0.2 − (−0.1)) / 1.69 = 0.1775 %"), "{out}");
    assert!(out.contains("repeatability 0.178 %"), "{out}");
}

#[test]
fn json_is_an_array_of_steps() {
    let file = fixture("dispenser", "worked-examples.csv");
    let o = explain("dispenser", &["--format", "json"], "5", &file);
    let doc: Value = json(&o);
    let steps = doc.as_array().expect("an array");
    assert!(steps.len() >= 6, "{doc}");
    for s in steps {
        for k in ["title", "formula", "substituted", "value", "clause"] {
            assert!(s[k].is_string(), "{k} in {s}");
        }
    }
    assert_eq!(steps[0]["title"], "row");
    assert!(steps[0]["substituted"]
        .as_str()
        .unwrap()
        .ends_with("line 5"));
    let error = steps
        .iter()
        .find(|s| s["title"] == "indication error")
        .expect("indication error step");
    assert_eq!(error["substituted"], "(20 − 20.05) / 20.05 × 100");
    let verdict = steps.iter().find(|s| s["title"] == "verdict").unwrap();
    assert_eq!(verdict["value"], "pass");
}

#[test]
fn the_explain_flag_on_dispenser_prints_the_same_explanation() {
    let file = fixture("dispenser", "worked-examples.csv");
    let a = explain("dispenser", &[], "5", &file);
    let b = run(&["dispenser", "--explain", "5", &file]);
    assert_eq!(stdout(&a), stdout(&b));
    assert_eq!(code(&a), code(&b));
    let j = run(&["dispenser", "--explain", "5", "--format", "json", &file]);
    assert!(json(&j).is_array());
}

#[test]
fn taximeter_t1_row() {
    // T1: (1.930 − 2.000)/2.000 = −3.50 %, inside −4 % … +1 % (JJG 517-2016 §5.2).
    let file = fixture("taximeter", "jjg517-installed.csv");
    let o = explain("taximeter", &["--stage", "installed"], "2", &file);
    let out = stdout(&o);
    assert!(out.contains("vehicle AB-1001, test distance"), "{out}");
    assert!(out.contains("profile jjg517-2016 v"), "{out}");
    assert!(out.contains("(1930 − 2000) / 2000 × 100"), "{out}");
    assert!(out.contains("−4 % ≤ −3.5 % ≤ +1 %"), "{out}");
    assert!(out.contains("JJG 517-2016 §5.2"), "{out}");
    assert!(out.contains("→ pass"), "{out}");
    assert!(out.contains("verdict of vehicle AB-1001"), "{out}");
    assert!(
        out.contains("calibration suggestion for vehicle AB-1001"),
        "{out}"
    );
    assert_eq!(code(&o), 0, "{out}");
    let flag = run(&["taximeter", "--explain", "2", &file]);
    assert_eq!(stdout(&flag), out);
}

#[test]
fn taximeter_failing_row_exits_1() {
    let file = fixture("taximeter", "jjg517-installed.csv");
    let o = explain("taximeter", &[], "3", &file);
    assert!(stdout(&o).contains("→ fail"));
    assert_eq!(code(&o), 1);
}

#[test]
fn a_bad_row_names_the_column_and_the_value_and_exits_1() {
    let file = fixture("dispenser", "jjg443-station.csv");
    let o = explain("dispenser", &[], "11", &file);
    let out = stdout(&o);
    assert!(out.contains("row error"), "{out}");
    assert!(
        out.contains("line 11: indicated_l: must be > 0, got -20"),
        "{out}"
    );
    assert!(out.contains("indicated_l = \"-20\""), "{out}");
    assert!(out.contains("verdict of nozzle N2"), "{out}");
    assert_eq!(code(&o), 1);

    let file = fixture("dispenser", "malformed.csv");
    let o = explain("dispenser", &["--format", "json"], "4", &file);
    let doc = json(&o);
    let text = doc.to_string();
    assert!(
        text.contains("indicated_l: not a number: \\\"abc\\\""),
        "{text}"
    );
    assert_eq!(code(&o), 1);

    let file = fixture("taximeter", "jjg517-installed.csv");
    let o = explain("taximeter", &[], "8", &file);
    assert!(stdout(&o).contains("time tolerance"), "{}", stdout(&o));
    assert_eq!(code(&o), 1);
}

#[test]
fn a_line_that_starts_no_row_is_explained_and_exits_1() {
    // Line 19 of malformed.csv is the second line of a quoted field of the row on line 18.
    let file = fixture("dispenser", "malformed.csv");
    let o = explain("dispenser", &[], "19", &file);
    let out = stdout(&o);
    assert!(out.contains("line 19 does not start a data row"), "{out}");
    assert!(out.contains("lines 18 and 20"), "{out}");
    assert_eq!(code(&o), 1);

    let o = explain("dispenser", &[], "1", &file);
    assert!(stdout(&o).contains("line 1 is the header row"));
    assert_eq!(code(&o), 1);
}

#[test]
fn a_line_out_of_range_exits_2_with_the_range() {
    let file = fixture("dispenser", "jjg443-station.csv");
    for line in ["0", "27", "1000"] {
        let o = explain("dispenser", &[], line, &file);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{err}");
        assert!(
            err.contains(&format!("line {line} is out of range")),
            "{err}"
        );
        assert!(err.contains("lines 2 … 26"), "{err}");
        assert!(stdout(&o).is_empty());
    }
    let o = run(&[
        "taximeter",
        "--explain",
        "99",
        &fixture("taximeter", "jjg517-installed.csv"),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("lines 2 … 8"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    let file = fixture("dispenser", "worked-examples.csv");
    let o = explain("dispenser", &["--profile", "no-such"], "5", &file);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("jjg443-2015"), "{}", stderr(&o));
    let o = run(&["explain", "dispenser", &file]);
    assert_eq!(code(&o), 2, "--line is required");
}

#[test]
fn decision_rule_step_appears_under_non_binary() {
    // near-limit.csv line 3: C1 at +0.29 %, conditional-pass under non-binary.
    let file = fixture("dispenser", "near-limit.csv");
    let o = explain(
        "dispenser",
        &["--stage", "in-service", "--decision-rule", "non-binary"],
        "3",
        &file,
    );
    let out = stdout(&o);
    assert!(out.contains("decision rule"), "{out}");
    assert!(out.contains("ILAC-G8:2019"), "{out}");
    assert!(out.contains("conditional-pass"), "{out}");
    // A conditional pass counts as a pass, as in the judging commands.
    assert_eq!(code(&o), 0, "{out}");
}

#[test]
fn the_explain_flag_out_of_range_exits_2() {
    let file = fixture("dispenser", "worked-examples.csv");
    let o = run(&["dispenser", "--explain", "6", &file]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("lines 2 … 5"), "{}", stderr(&o));
}
