//! `verimeter dispenser`: load the profile, read the draws, judge each with the library,
//! summarise each nozzle with the library, hand the report to an output format.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use verimeter::dispenser::{evaluate_draw, summarize_nozzle, DrawResult, NozzleSummary};
use verimeter::profile::{DispenserProfile, DispenserStage};
use verimeter::{Error, Verdict};

use crate::args::{DispenserArgs, Format};
use crate::csv_in::{input_name, read_path};
use crate::input::{describe, read_draws, InputRow, LEAST_COLUMNS};
use crate::output;

/// One judged (or unusable) row of the input.
#[derive(Debug)]
pub struct Row {
    /// The input row, as read.
    pub input: InputRow,
    /// The library's judgement, or why the row is not usable.
    pub outcome: Result<DrawResult, Error>,
}

impl Row {
    /// The row's error message (`line N: column: …`), if it is an error row.
    pub fn error(&self) -> Option<String> {
        self.outcome
            .as_ref()
            .err()
            .map(|e| format!("line {}: {e}", self.input.line))
    }
}

/// Counts for the summary line and the JSON `summary` object.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Counts {
    /// Data rows.
    pub rows: usize,
    /// Rows judged pass.
    pub rows_pass: usize,
    /// Rows judged fail.
    pub rows_fail: usize,
    /// Rows that could not be judged.
    pub rows_error: usize,
    /// Nozzles.
    pub nozzles: usize,
    /// Nozzles that pass.
    pub nozzles_pass: usize,
    /// Nozzles that fail.
    pub nozzles_fail: usize,
    /// Nozzles that are incomplete.
    pub nozzles_incomplete: usize,
}

/// Everything an output format needs.
#[derive(Debug)]
pub struct Report<'a> {
    /// The profile judged against.
    pub profile: &'a DispenserProfile,
    /// The stage judged against.
    pub stage: &'a DispenserStage,
    /// The input header, as written.
    pub header: Vec<String>,
    /// Extra (echoed) columns: index and name.
    pub extra: Vec<(usize, String)>,
    /// One entry per data row, in input order.
    pub rows: Vec<Row>,
    /// One entry per nozzle, in first-appearance order.
    pub nozzles: Vec<(String, NozzleSummary)>,
    /// The counts.
    pub counts: Counts,
}

impl Report<'_> {
    /// 0 when every nozzle passes and no row is an error, else 1.
    pub fn exit_code(&self) -> i32 {
        let c = &self.counts;
        if c.rows_error == 0 && c.nozzles_pass == c.nozzles {
            0
        } else {
            1
        }
    }
}

/// A fatal problem: the message for stderr; the exit status is 2.
pub type Fatal = String;

/// Runs the command; returns the exit status (0 or 1) or a fatal message.
pub fn run(args: &DispenserArgs) -> Result<i32, Fatal> {
    let profile = load_profile(args)?;
    let stage = profile
        .stage(args.stage.as_deref())
        .map_err(|e| e.to_string())?;
    let raw = read_path(&args.file, false, LEAST_COLUMNS)?;
    let file = read_draws(raw).map_err(|e| format!("{}: {e}", input_name(&args.file)))?;
    if file.rows.is_empty() {
        eprintln!("verimeter: warning: the input has a header but no data rows");
    }
    let rows: Vec<Row> = file
        .rows
        .into_iter()
        .map(|input| {
            let outcome = match &input.draw {
                Ok(d) => evaluate_draw(&profile, stage, d).map_err(|e| Error::Unreadable {
                    reason: describe(&e, &file.columns, &input.fields),
                }),
                Err(e) => Err(e.clone()),
            };
            Row { input, outcome }
        })
        .collect();
    let nozzles = summarize(&profile, stage, &rows);
    let counts = count(&rows, &nozzles);
    let report = Report {
        profile: &profile,
        stage,
        header: file.header,
        extra: file.columns.extra,
        rows,
        nozzles,
        counts,
    };
    let text = match args.format {
        Format::Table => output::table(&report).into_bytes(),
        Format::Json => output::json(&report).into_bytes(),
        Format::Csv => output::csv(&report).map_err(|e| format!("cannot write CSV: {e}"))?,
    };
    crate::write_stdout(&text)?;
    Ok(report.exit_code())
}

/// The built-in profile named by `--profile`, or the file given by `--profile-file`.
fn load_profile(args: &DispenserArgs) -> Result<DispenserProfile, Fatal> {
    match &args.profile_file {
        Some(path) => {
            let text = read_text(path)?;
            DispenserProfile::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => DispenserProfile::builtin(&args.profile).map_err(|e| e.to_string()),
    }
}

fn read_text(path: &Path) -> Result<String, Fatal> {
    let mut text = String::new();
    File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| format!("cannot read profile file {}: {e}", path.display()))?;
    Ok(text)
}

/// Groups rows by nozzle (first-appearance order) and lets the library judge each nozzle.
/// Unusable rows go in as `Err`, so that they make their nozzle incomplete; rows with no
/// nozzle id belong to no nozzle.
fn summarize(
    profile: &DispenserProfile,
    stage: &DispenserStage,
    rows: &[Row],
) -> Vec<(String, NozzleSummary)> {
    let mut order: Vec<(&str, Vec<&Row>)> = Vec::new();
    for row in rows.iter().filter(|r| !r.input.nozzle.is_empty()) {
        match order.iter_mut().find(|(n, _)| *n == row.input.nozzle) {
            Some((_, v)) => v.push(row),
            None => order.push((&row.input.nozzle, vec![row])),
        }
    }
    order
        .into_iter()
        .map(|(nozzle, rows)| {
            let draws = rows
                .iter()
                .map(|r| (format!("line {}", r.input.line), &r.outcome));
            (nozzle.to_string(), summarize_nozzle(profile, stage, draws))
        })
        .collect()
}

fn count(rows: &[Row], nozzles: &[(String, NozzleSummary)]) -> Counts {
    let mut c = Counts {
        rows: rows.len(),
        nozzles: nozzles.len(),
        ..Counts::default()
    };
    for r in rows {
        match &r.outcome {
            Ok(d) if d.verdict == Verdict::Pass => c.rows_pass += 1,
            Ok(_) => c.rows_fail += 1,
            Err(_) => c.rows_error += 1,
        }
    }
    for (_, s) in nozzles {
        match s.verdict {
            Verdict::Pass => c.nozzles_pass += 1,
            Verdict::Fail => c.nozzles_fail += 1,
            _ => c.nozzles_incomplete += 1,
        }
    }
    c
}
