//! The judging commands stream: a 100 000-row log is read, judged and written in memory
//! that does not grow with the rows. Each test runs the real binary on a generated log,
//! measures the child's peak resident set (`wait4`'s `ru_maxrss`) and asserts it stays
//! under [`BOUND_KIB`], and that the summary counts add up to the rows read.
//!
//! `ru_maxrss` of a child also counts the memory of the process it was spawned from up to
//! its `exec` (std spawns with `posix_spawn`, which shares the parent's memory until then),
//! so these tests keep their own memory small: the logs are written and the outputs read
//! as streams, never whole. The figure is thus an upper bound of the command's own peak.
//!
//! For scale: before streaming, `dispenser --format csv` held ~2.4 KB per row (244 MB for
//! these 100 000 rows); now ~14 MB for the whole run (release) — the per-nozzle accumulators
//! (16 667 nozzles here) and the buffers.
#![cfg(target_os = "linux")]

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::process::{Command, Stdio};

use common::Dir;
use serde_json::Value;

/// The peak RSS allowed for one run on a 100 000-row log: 40 MiB.
const BOUND_KIB: i64 = 40 * 1024;

const ROWS: usize = 100_000;

/// Runs `verimeter ARGS` with its standard output in the file `out`; returns the exit
/// status and the peak RSS in KiB.
#[allow(clippy::zombie_processes)] // waited for with wait4 below
fn run_measured(args: &[&str], out: &str) -> (i32, i64) {
    let child = Command::new(env!("CARGO_BIN_EXE_verimeter"))
        .args(args)
        .stdout(File::create(out).expect("output file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: `rusage` is plain old data that wait4 fills in; the pid is our own child,
    // waited for once (std's `Child` is not waited for afterwards).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    assert!(libc::WIFEXITED(status), "the binary did not exit normally");
    // Linux reports ru_maxrss in KiB.
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

fn assert_bounded(what: &str, rss_kib: i64) {
    eprintln!("{what}: peak RSS {rss_kib} KiB");
    assert!(
        rss_kib < BOUND_KIB,
        "{what}: peak RSS {rss_kib} KiB, bound {BOUND_KIB} KiB"
    );
}

/// The last 64 KiB of a file (the summary is at the end).
fn tail(path: &str) -> String {
    let mut f = File::open(path).expect("output");
    let len = f.metadata().expect("metadata").len();
    f.seek(SeekFrom::Start(len.saturating_sub(1 << 16)))
        .expect("seek");
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).expect("read");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `summary` object at the end of a `--format json` output (without reading the rows).
fn json_summary(path: &str) -> Value {
    let text = tail(path);
    let at = text.rfind("\n  \"summary\": ").expect("a summary field");
    let tail = text[at..].trim().trim_start_matches("\"summary\":");
    let tail = tail
        .trim()
        .strip_suffix('}')
        .expect("the document's closing brace");
    serde_json::from_str(tail).expect("summary is JSON")
}

/// The last line (`{"type": "summary", …}`) of a `--format jsonl` output.
fn jsonl_summary(path: &str) -> Value {
    let text = tail(path);
    let last = text.lines().last().expect("a line");
    let v: Value = serde_json::from_str(last).expect("JSON");
    assert_eq!(v["type"], "summary");
    v
}

fn n(s: &Value, k: &str) -> u64 {
    s[k].as_u64()
        .unwrap_or_else(|| panic!("summary.{k} missing: {s}"))
}

/// rows = pass + conditional pass + conditional fail + fail + error = the rows read, and the
/// same for the groups (nozzles, vehicles).
fn assert_counts(s: &Value, groups: &str) {
    assert_eq!(n(s, "rows"), ROWS as u64, "{s}");
    let sum = |prefix: &str, last: &str| {
        ["pass", "conditional_pass", "conditional_fail", "fail", last]
            .iter()
            .map(|k| n(s, &format!("{prefix}_{k}")))
            .sum::<u64>()
    };
    assert_eq!(n(s, "rows"), sum("rows", "error"), "{s}");
    assert_eq!(n(s, groups), sum(groups, "incomplete"), "{s}");
}

/// Records of a CSV output (read as a stream).
fn csv_records(path: &str) -> usize {
    csv::Reader::from_path(path)
        .expect("csv")
        .into_byte_records()
        .inspect(|r| assert!(r.is_ok(), "{r:?}"))
        .count()
}

fn generate(kind: &str, path: &str) {
    let o = common::run(&["generate", kind, "--rows", &ROWS.to_string(), "--out", path]);
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
}

#[test]
fn dispenser_streams_csv_jsonl_and_json_output_in_bounded_memory() {
    let dir = Dir::new("streaming-dispenser");
    let log = dir.path("log.csv");
    generate("dispenser", &log);
    for format in ["csv", "jsonl", "json"] {
        let out = dir.path(&format!("out.{format}"));
        let (status, rss) = run_measured(&["dispenser", "--format", format, &log], &out);
        assert!(status == 0 || status == 1, "{format}: exit {status}");
        assert_bounded(&format!("dispenser --format {format}"), rss);
        match format {
            "csv" => assert_eq!(csv_records(&out), ROWS),
            "jsonl" => {
                let s = jsonl_summary(&out);
                assert_counts(&s, "nozzles");
                // 100 000 rows = 16 666 nozzles of 6 draws and one of 4.
                assert_eq!(n(&s, "nozzles"), 16_667);
            }
            _ => assert_counts(&json_summary(&out), "nozzles"),
        }
    }
}

#[test]
fn dispenser_streams_json_lines_input_in_bounded_memory() {
    let dir = Dir::new("streaming-dispenser-jsonl");
    let log = dir.path("log.csv");
    generate("dispenser", &log);
    // The same rows as JSON Lines objects (all values as strings), written as a stream.
    let input = dir.path("log.jsonl");
    let mut lines = BufReader::new(File::open(&log).expect("log")).lines();
    let header = lines.next().expect("header").expect("read");
    let header: Vec<&str> = header.split(',').collect();
    let mut w = BufWriter::new(File::create(&input).expect("jsonl"));
    for line in lines {
        let line = line.expect("read");
        let object: serde_json::Map<String, Value> = header
            .iter()
            .zip(line.split(','))
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect();
        writeln!(w, "{}", Value::Object(object)).expect("write");
    }
    w.flush().expect("flush");
    let out = dir.path("out.csv");
    let (status, rss) = run_measured(&["dispenser", "--format", "csv", &input], &out);
    assert!(status == 0 || status == 1, "exit {status}");
    assert_bounded("dispenser (JSON Lines input) --format csv", rss);
    assert_eq!(csv_records(&out), ROWS);
}

#[test]
fn taximeter_streams_csv_and_json_output_in_bounded_memory() {
    let dir = Dir::new("streaming-taximeter");
    // 10 000 vehicles × 10 road tests of 2 km, indications 1.900–2.050 km (a few fail
    // JJG 517-2016's −4 % … +1 %), and every 997th row unreadable.
    let input = dir.path("log.csv");
    let mut log = BufWriter::new(File::create(&input).expect("log"));
    writeln!(log, "vehicle,test,reference_km,indicated_km,k").expect("write");
    for i in 0..ROWS {
        let indicated = if i % 997 == 0 {
            "x".to_string()
        } else {
            format!("{:.3}", 1.900 + (i * 37 % 151) as f64 / 1000.0)
        };
        writeln!(log, "V{:05},distance,2.000,{indicated},1000", i % 10_000).expect("write");
    }
    log.flush().expect("flush");
    drop(log);
    for format in ["csv", "json"] {
        let out = dir.path(&format!("out.{format}"));
        let (status, rss) = run_measured(&["taximeter", "--format", format, &input], &out);
        assert_eq!(status, 1, "{format}: fails and unreadable rows");
        assert_bounded(&format!("taximeter --format {format}"), rss);
        if format == "csv" {
            assert_eq!(csv_records(&out), ROWS);
        } else {
            let s = json_summary(&out);
            assert_counts(&s, "vehicles");
            assert_eq!(n(&s, "vehicles"), 10_000);
            assert_eq!(n(&s, "rows_error"), (ROWS as u64).div_ceil(997));
        }
    }
}

#[test]
fn trips_stream_csv_and_json_output_in_bounded_memory() {
    let dir = Dir::new("streaming-trips");
    let log = dir.path("trips.csv");
    generate("trips", &log);
    for format in ["csv", "json"] {
        let out = dir.path(&format!("out.{format}"));
        let args = [
            "trips",
            "--tariff",
            "nyc-yellow-2019",
            "--format",
            format,
            &log,
        ];
        let (status, rss) = run_measured(&args, &out);
        assert!(status == 0 || status == 1, "{format}: exit {status}");
        assert_bounded(&format!("trips --format {format}"), rss);
        if format == "csv" {
            assert_eq!(csv_records(&out), ROWS);
        } else {
            let s = json_summary(&out);
            assert_eq!(n(&s, "rows"), ROWS as u64, "{s}");
            assert_eq!(
                n(&s, "rows"),
                n(&s, "rows_pass")
                    + n(&s, "rows_fail")
                    + n(&s, "rows_skipped")
                    + n(&s, "rows_error"),
                "{s}"
            );
        }
    }
}
