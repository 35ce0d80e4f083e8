//! `verimeter dispenser` on JSON Lines and JSON array input: the same rows, cells and
//! messages as the CSV path; line numbers are the JSONL line / the array index + 1.

mod common;

use common::{assert_counts_add_up, code, json, run, run_stdin, stderr, temp_file};
use serde_json::{Map, Value};

/// A generated CSV log and the same rows as JSON objects (all values strings).
fn log(rows: &str) -> (String, Vec<Value>) {
    let o = run(&["generate", "dispenser", "--rows", rows, "--seed", "3"]);
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let objects = lines
        .map(|l| {
            let m: Map<String, Value> = header
                .iter()
                .zip(l.split(','))
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect();
            Value::Object(m)
        })
        .collect();
    (text, objects)
}

/// Every row's (nozzle, verdict, error_pct, amount verdict) and the summary.
fn digest(doc: &Value) -> (Vec<String>, Value) {
    let rows = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["nozzle"], r["verdict"], r["error_pct"], r["amount_check"]["verdict"]
            )
        })
        .collect();
    (rows, doc["summary"].clone())
}

#[test]
fn csv_jsonl_and_json_give_the_same_verdicts() {
    let (csv, objects) = log("300");
    let csv_path = temp_file("same.csv", &csv);
    let jsonl: String = objects.iter().map(|o| format!("{o}\n")).collect();
    let jsonl_path = temp_file("same.jsonl", &jsonl);
    let ndjson_path = temp_file("same.ndjson", &jsonl);
    let json_path = temp_file("same.json", &Value::Array(objects).to_string());
    let want = json(&run(&["dispenser", "--format", "json", &csv_path]));
    assert_counts_add_up(&want, "nozzles");
    for path in [&jsonl_path, &ndjson_path, &json_path] {
        let got = json(&run(&["dispenser", "--format", "json", path]));
        assert_eq!(digest(&got), digest(&want), "{path}");
        // CSV lines count the header; JSON lines and indexes start at 1.
        assert_eq!(got["rows"][0]["line"], 1, "{path}");
        assert_eq!(want["rows"][0]["line"], 2);
    }
    // The flag overrides the extension; standard input works.
    let o = run_stdin(
        &[
            "dispenser",
            "--input-format",
            "jsonl",
            "--format",
            "json",
            "-",
        ],
        jsonl.as_bytes(),
    );
    assert_eq!(digest(&json(&o)), digest(&want));
}

#[test]
fn malformed_jsonl_lines_are_row_errors_with_their_line() {
    let text = "\
{\"nozzle\": \"N1\", \"test_point\": \"max\", \"indicated_l\": 20.0, \"standard_l\": 19.973, \"inspector\": \"Wang\"}

{\"nozzle\": \"N1\", \"test_point\": \"max\", \"indicated_l\": \"abc\", \"standard_l\": 19.98}
{\"nozzle\": \"N1\", \"test_point\": \"max\", \"indicated_l\": 20.0,
[1, 2]
{\"nozzle\": \"N1\", \"test_point\": \"max\", \"indicated_l\": 20.0, \"standard_l\": {\"v\": 1}}
{\"nozzle\": \"N1\", \"test_point\": \"min\", \"indicated_l\": 20.0, \"standard_l\": null}
";
    let path = temp_file("bad.jsonl", text);
    let o = run(&["dispenser", "--format", "json", &path]);
    assert_eq!(code(&o), 1);
    let doc = json(&o);
    assert_counts_add_up(&doc, "nozzles");
    let errors: Vec<(u64, String)> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| Some((r["line"].as_u64()?, r.get("error")?.as_str()?.to_string())))
        .collect();
    assert_eq!(
        errors,
        [
            (3, "line 3: indicated_l: not a number: \"abc\"".to_string()),
            (
                4,
                "line 4: not a JSON object: EOF while parsing a value at line 1 column 58"
                    .to_string()
            ),
            (5, "line 5: not a JSON object: an array".to_string()),
            (
                6,
                "line 6: standard_l: expected a string, a number or null, got an object"
                    .to_string()
            ),
            (
                7,
                "line 7: standard_l: required, but the cell is empty".to_string()
            ),
        ]
    );
    // The first row is judged; its unknown key is echoed like an extra CSV column.
    assert_eq!(doc["rows"][0]["line"], 1);
    assert_eq!(doc["rows"][0]["verdict"], "pass");
    assert_eq!(doc["rows"][0]["extra"]["inspector"], "Wang");
}

#[test]
fn json_array_rows_are_numbered_by_index() {
    let text = r#"[
      {"Nozzle": "N1", "test_point": "max", "indicated_l": 20.0, "standard_l": 19.973},
      5,
      {"nozzle": "N1", "test_point": "max", "indicated_l": -1, "standard_l": 19.973}
    ]"#;
    let path = temp_file("arr.json", text);
    let doc = json(&run(&["dispenser", "--format", "json", &path]));
    assert_eq!(doc["rows"][0]["line"], 1);
    assert_eq!(doc["rows"][0]["nozzle"], "N1");
    assert_eq!(
        doc["rows"][1]["error"],
        "line 2: not a JSON object: a number"
    );
    // The library's own wording, as for CSV.
    let csv = temp_file(
        "neg.csv",
        "nozzle,test_point,indicated_l,standard_l\nN1,max,-1,19.973\n",
    );
    let want = json(&run(&["dispenser", "--format", "json", &csv]));
    let msg = |d: &Value, line: &str| {
        d["rows"].as_array().unwrap().last().unwrap()["error"]
            .as_str()
            .unwrap()
            .replace(line, "")
    };
    assert_eq!(msg(&doc, "line 3"), msg(&want, "line 2"));
}

#[test]
fn json_that_is_not_an_array_or_has_no_objects_is_fatal() {
    for (name, text, want) in [
        (
            "obj.json",
            "{\"a\": 1}",
            "expected a JSON array of objects, got an object",
        ),
        (
            "trunc.json",
            "[{\"a\": 1},",
            "not a JSON document: EOF while parsing",
        ),
        (
            "empty.json",
            "[]",
            "the input has no JSON object with fields",
        ),
        (
            "empty.jsonl",
            "\n\n",
            "the input has no JSON object with fields",
        ),
        (
            "cols.jsonl",
            "{\"nozzle\": \"N1\"}\n",
            "missing required column(s): test_point, indicated_l, standard_l",
        ),
    ] {
        let path = temp_file(name, text);
        let o = run(&["dispenser", &path]);
        assert_eq!(code(&o), 2, "{name}");
        assert!(stderr(&o).contains(want), "{name}: {}", stderr(&o));
    }
}
