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
//! Written through a `BufWriter` line by line as the rows are judged (see
//! `dispenser_cmd`): nothing is built whole in memory.

use std::io::{self, Write};

use serde::Serialize;

use crate::decide::DecisionJson;
use crate::dispenser_cmd::Counts;
use crate::json_out::ProfileInfo;

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

/// The last line's body.
#[derive(Serialize)]
pub(crate) struct Summary<'a> {
    pub(crate) profile: ProfileInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decision_rule: Option<DecisionJson<'a>>,
    #[serde(flatten)]
    pub(crate) counts: Counts,
}

/// One line: `{"type": kind, …body}`.
pub(crate) fn line(w: &mut dyn Write, kind: &'static str, body: impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &Tagged { kind, body })?;
    w.write_all(b"\n")
}
