//! `--format jsonl` of `verimeter dispenser`: JSON Lines for streaming consumers.
//!
//! One compact JSON object per line, in this order:
//! 1. one per input row, in input order: `{"type": "row", …}` with exactly the fields of a
//!    row of `--format json`;
//! 2. one per nozzle, in first-appearance order: `{"type": "nozzle", …}` with the fields of a
//!    nozzle of `--format json`;
//! 3. one `{"type": "summary", "profile": {id, version, title, stage}, ["decision_rule":
//!    {…},] rows, rows_pass, …}` with the counts of the json `summary`.
//!
//! Written through a `BufWriter` as it is serialised: nothing is built whole in memory.

use std::io::{self, BufWriter, Write};

use serde::Serialize;

use crate::decide::DecisionJson;
use crate::dispenser_cmd::{Counts, Report};
use crate::json_out::{nozzle, row, ProfileInfo};

/// The message for `--format jsonl` on the other commands.
pub const DISPENSER_ONLY: &str =
    "--format jsonl is only available for `verimeter dispenser` (use --format json)";

#[derive(Serialize)]
struct Tagged<T> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: T,
}

#[derive(Serialize)]
struct Summary<'a> {
    profile: ProfileInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_rule: Option<DecisionJson<'a>>,
    #[serde(flatten)]
    counts: Counts,
}

/// One line: `{"type": kind, …body}`.
fn line(w: &mut dyn Write, kind: &'static str, body: impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &Tagged { kind, body })?;
    w.write_all(b"\n")
}

/// Writes the report as JSON Lines to `w`.
pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    for r in &report.rows {
        line(w, "row", row(report, r))?;
    }
    for (n, s) in &report.nozzles {
        line(w, "nozzle", nozzle(n, s))?;
    }
    let summary = Summary {
        profile: ProfileInfo::of(report),
        decision_rule: report.decision.as_ref().map(|d| d.json()),
        counts: report.counts,
    };
    line(w, "summary", summary)
}

/// Writes the report to standard output; a closed pipe ends the output quietly.
pub fn write_stdout(report: &Report) -> Result<(), String> {
    to_stdout(|w| write(report, w))
}

/// Runs `f` on a buffered standard output and flushes it; a closed pipe ends the output
/// quietly, any other write error is fatal.
pub fn to_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), String> {
    let mut w = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match f(&mut w).and_then(|()| w.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the output: {e}"))
        }
        _ => Ok(()),
    }
}
