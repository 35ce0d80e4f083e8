//! `--format table` (for people) and `--format csv` (one row per input row, for tools).
//!
//! The table is built whole (its columns are aligned over all rows); csv is written row by
//! row.

use std::fmt::Write as _;

use verimeter::decision::DecisionStatement;
use verimeter::dispenser::NozzleSummary;

use crate::dispenser_cmd::{Report, Row};
use crate::tally;

/// The result columns appended to the echoed input columns in `--format csv`.
pub const CSV_RESULT_COLUMNS: [&str; 10] = [
    "line",
    "error_pct",
    "judged_error_pct",
    "mpe_pct",
    "lower_limit_pct",
    "upper_limit_pct",
    "corrected_standard_l",
    "verdict",
    "error",
    "clause",
];

/// The result columns added after [`CSV_RESULT_COLUMNS`] when a decision rule applies.
pub const CSV_DECISION_COLUMNS: [&str; 5] = [
    "expanded_uncertainty_pct",
    "coverage_factor",
    "decision_rule",
    "guard_band_pct",
    "budget",
];

/// The [`CSV_DECISION_COLUMNS`] cells of a row (empty for an error row).
pub fn decision_cells(d: Option<&DecisionStatement>) -> [String; 5] {
    match d {
        Some(d) => [
            d.expanded_uncertainty_pct.to_string(),
            d.k.to_string(),
            d.rule.clone(),
            d.guard_band_pct.to_string(),
            d.budget.clone(),
        ],
        None => Default::default(),
    }
}

/// The header of `--format csv`: the input columns as written, then
/// [`CSV_RESULT_COLUMNS`] (and [`CSV_DECISION_COLUMNS`] under a decision rule, `with_u`).
pub fn csv_head<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    header: &[String],
    with_u: bool,
) -> csv::Result<()> {
    let decision_head: &[&str] = if with_u { &CSV_DECISION_COLUMNS } else { &[] };
    w.write_record(
        header
            .iter()
            .map(String::as_str)
            .chain(CSV_RESULT_COLUMNS)
            .chain(decision_head.iter().copied()),
    )
}

/// One row of `--format csv` (one per input row; the dispenser command streams them to a
/// buffered stdout as they are judged). Each cell is formatted into `scratch` (reused from
/// row to row) and written from there: no string per cell. The text is that of `Display`,
/// as `to_string` gives it.
pub fn csv_row<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    r: &Row,
    with_u: bool,
    scratch: &mut String,
) -> csv::Result<()> {
    let mut cell = |w: &mut csv::Writer<W>, v: &dyn std::fmt::Display| {
        scratch.clear();
        let _ = write!(scratch, "{v}");
        w.write_field(scratch.as_bytes())
    };
    for f in &r.input.fields {
        w.write_field(f)?;
    }
    cell(w, &r.input.line)?;
    match &r.outcome {
        Ok(d) => {
            cell(w, &d.error_pct)?;
            cell(w, &d.judged_error_pct)?;
            cell(w, &d.mpe_pct)?;
            cell(w, &d.limits_pct.lower)?;
            cell(w, &d.limits_pct.upper)?;
            cell(w, &d.corrected_standard_l)?;
            cell(w, &d.verdict)?;
            w.write_field("")?;
            w.write_field(&d.clause)?;
        }
        Err(_) => {
            for _ in 0..7 {
                w.write_field("")?;
            }
            w.write_field(r.error().unwrap_or_default())?;
            w.write_field("")?;
        }
    }
    if with_u {
        match r.outcome.as_ref().ok().and_then(|d| d.decision.as_ref()) {
            Some(d) => {
                cell(w, &d.expanded_uncertainty_pct)?;
                cell(w, &d.k)?;
                w.write_field(&d.rule)?;
                cell(w, &d.guard_band_pct)?;
                w.write_field(&d.budget)?;
            }
            None => {
                for _ in 0..5 {
                    w.write_field("")?;
                }
            }
        }
    }
    w.write_record(None::<&[u8]>)
}

/// Rows, then nozzles (verdict and first reason), then a summary line.
pub fn table(report: &Report) -> String {
    let p = report.profile;
    let mut out = format!(
        "profile {} v{} — {}\nstage   {} — {}\n",
        p.id, p.version, p.title, report.stage.name, report.stage.title
    );
    if let Some(d) = &report.decision {
        let _ = writeln!(out, "{}", d.headline());
    }
    out.push('\n');
    let with_u = report.decision.is_some();
    let rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|r| match &r.outcome {
            Ok(d) => vec![
                r.input.line.to_string(),
                r.input.nozzle.clone(),
                d.test_point.to_string(),
                format!("{:.3}", d.indicated_l),
                format!("{:.3}", d.corrected_standard_l),
                format!("{:+.3}", d.error_pct),
                pct(d.judged_error_pct),
                format!("{} … {}", pct(d.limits_pct.lower), pct(d.limits_pct.upper)),
                u_cell(d.decision.as_ref()),
                d.verdict.to_string(),
                draw_note(d),
            ],
            Err(_) => {
                let mut v = vec![String::new(); 11];
                v[0] = r.input.line.to_string();
                v[1] = r.input.nozzle.clone();
                v[2] = r.input.test_point.clone();
                v[9] = "error".into();
                v[10] = r
                    .outcome
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                v
            }
        })
        .collect();
    let head = [
        "line", "nozzle", "point", "V_J L", "V_Bt L", "E %", "judged", "limits %", "U %",
        "verdict", "note",
    ];
    out += &aligned_without(&head, &rows, (!with_u).then_some(8));
    out.push('\n');
    let nozzles: Vec<Vec<String>> = report
        .nozzles
        .iter()
        .map(|(n, s)| vec![n.clone(), s.verdict.to_string(), points(s), first_reason(s)])
        .collect();
    out += &aligned(&["nozzle", "verdict", "draws", "reason"], &nozzles);
    let _ = writeln!(
        out,
        "\nrows: {}; nozzles: {}",
        tally::line(&report.row_tally, "error"),
        tally::line(&report.nozzle_tally, "incomplete"),
    );
    out
}

/// The U column of a judged row: `±U` (k), empty without a decision.
pub fn u_cell(d: Option<&DecisionStatement>) -> String {
    d.map(|d| format!("±{:.3}", d.expanded_uncertainty_pct))
        .unwrap_or_default()
}

/// [`aligned`] without the column `skip`, if any.
pub fn aligned_without(head: &[&str], rows: &[Vec<String>], skip: Option<usize>) -> String {
    match skip {
        None => aligned(head, rows),
        Some(k) => {
            let keep = |i: &usize| *i != k;
            let head: Vec<&str> = (0..head.len()).filter(keep).map(|i| head[i]).collect();
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| (0..r.len()).filter(keep).map(|i| r[i].clone()).collect())
                .collect();
            aligned(&head, &rows)
        }
    }
}

/// A percentage for people: signed, at most four decimals, no trailing zeros.
pub fn pct(x: f64) -> String {
    let s = format!("{x:+.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "+" || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// What else a judged draw's reader should know: a failed amount check.
fn draw_note(d: &verimeter::dispenser::DrawResult) -> String {
    match &d.amount {
        Some(a) if !a.verdict.is_pass() => format!(
            "amount {} ≠ {} (diff {}, allowed {})",
            a.indicated_amount, a.computed_amount, a.difference, a.allowance
        ),
        _ => String::new(),
    }
}

/// Usable draws per test point, e.g. `max 3, min 2`.
fn points(s: &NozzleSummary) -> String {
    s.test_points
        .iter()
        .map(|t| format!("{} {}", t.test_point, t.draws))
        .collect::<Vec<_>>()
        .join(", ")
}

fn first_reason(s: &NozzleSummary) -> String {
    first_of(&s.reasons)
}

/// The first reason, and how many more there are.
pub fn first_of(reasons: &[String]) -> String {
    match reasons.len() {
        0 => String::new(),
        1 => reasons[0].clone(),
        n => format!("{} (+{} more)", reasons[0], n - 1),
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn aligned(head: &[&str], rows: &[Vec<String>]) -> String {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([head[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..head.len()).map(width).collect();
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
        let mut s = String::new();
        for (i, c) in cells.enumerate() {
            if i + 1 < widths.len() {
                let pad = widths[i].saturating_sub(c.chars().count());
                let _ = write!(s, "{c}{}  ", " ".repeat(pad));
            } else {
                s.push_str(c);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut head.iter().copied(), &mut out);
    for r in rows {
        line(&mut r.iter().map(String::as_str), &mut out);
    }
    out
}
