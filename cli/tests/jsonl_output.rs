//! `verimeter dispenser --format jsonl`: rows, then nozzles, then a summary, each one line
//! of JSON with the fields of `--format json` and a "type".

mod common;

use common::{cmd, code, fixture, report, stderr, stdout};
use serde_json::Value;

/// The lines of a jsonl output, parsed.
fn lines(o: &std::process::Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `v` without its "type".
fn untyped(v: &Value, want: &str) -> Value {
    let mut v = v.clone();
    let m = v.as_object_mut().expect("an object");
    assert_eq!(m.remove("type"), Some(Value::from(want)));
    v
}

#[test]
fn jsonl_is_the_json_report_line_by_line() {
    for (file, flags) in [
        ("jjg443-station.csv", &[][..]),
        ("near-limit.csv", &["--decision-rule", "non-binary"][..]),
        ("malformed.csv", &[][..]),
    ] {
        let path = fixture("dispenser", file);
        let (want_code, doc) = report("dispenser", flags, &path);
        let mut f = vec!["--format", "jsonl"];
        f.extend_from_slice(flags);
        let o = cmd("dispenser", &f, &path);
        assert_eq!(code(&o), want_code, "{file}: {}", stderr(&o));
        let got = lines(&o);
        let rows = doc["rows"].as_array().unwrap();
        let nozzles = doc["nozzles"].as_array().unwrap();
        assert_eq!(got.len(), rows.len() + nozzles.len() + 1, "{file}");
        for (g, w) in got.iter().zip(rows) {
            assert_eq!(&untyped(g, "row"), w, "{file}");
        }
        for (g, w) in got[rows.len()..].iter().zip(nozzles) {
            assert_eq!(&untyped(g, "nozzle"), w, "{file}");
        }
        let mut summary = untyped(got.last().unwrap(), "summary");
        let m = summary.as_object_mut().unwrap();
        assert_eq!(m.remove("profile").as_ref(), Some(&doc["profile"]));
        assert_eq!(m.remove("decision_rule").as_ref(), doc.get("decision_rule"));
        assert_eq!(summary, doc["summary"], "{file}");
    }
}

#[test]
fn jsonl_is_for_the_dispenser_only() {
    let o = cmd(
        "trips",
        &["--format", "jsonl", "--tariff", "beijing-2013"],
        &fixture("trips", "beijing-2013.csv"),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("only available for `verimeter dispenser`"));
    let o = cmd(
        "taximeter",
        &["--format", "jsonl"],
        &fixture("taximeter", "jjg517-installed.csv"),
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn quiet_silences_the_header_only_warning() {
    let path = fixture("dispenser", "header-only.csv");
    let loud = cmd("dispenser", &[], &path);
    assert!(stderr(&loud).contains("warning"), "{}", stderr(&loud));
    let quiet = cmd("dispenser", &["--quiet"], &path);
    assert_eq!(code(&quiet), code(&loud));
    assert_eq!(stderr(&quiet), "");
    assert_eq!(quiet.stdout, loud.stdout);
}
