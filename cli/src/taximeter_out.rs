//! The three output formats of `verimeter taximeter`: `table` (people, built whole), `json`
//! (programs: `{profile, decision_rule?, rows, vehicles, summary}`, written as it goes by
//! `json_out::JsonWriter`), `csv` (the input echoed, one row per input row, row by row). Field names are a public contract; every number is the library's.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use verimeter::taximeter::{MeterTestResult, TaximeterProfile, TaximeterStage};
use verimeter::Verdict;

use crate::json_out::RowDecision;
use crate::output::{
    aligned, aligned_without, decision_cells, first_of, pct, u_cell, CSV_DECISION_COLUMNS,
};
use crate::tally;
use crate::taximeter_cmd::{CalibrationSuggestion, Report, Row, VehicleSummary};
use crate::taximeter_input::TestInput;

/// The result columns appended to the echoed input columns in `--format csv`.
pub const CSV_RESULT_COLUMNS: [&str; 9] = [
    "line",
    "error_pct",
    "judged_error_pct",
    "mpe_pct",
    "lower_limit_pct",
    "upper_limit_pct",
    "verdict",
    "error",
    "clause",
];

/// The header of `--format csv`: the input columns as written, then
/// [`CSV_RESULT_COLUMNS`] (and the decision columns under a decision rule, `with_u`).
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

/// One row of `--format csv` per input row, written as it is judged.
pub fn csv_row<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    r: &Row,
    with_u: bool,
) -> csv::Result<()> {
    let line = r.input.line.to_string();
    let results: [String; 9] = match &r.outcome {
        Ok(t) => [
            line,
            t.error_pct.to_string(),
            t.judged_error_pct.to_string(),
            t.mpe_pct.to_string(),
            t.limits_pct.lower.to_string(),
            t.limits_pct.upper.to_string(),
            t.verdict.to_string(),
            String::new(),
            t.clause.clone(),
        ],
        Err(_) => {
            let mut v: [String; 9] = Default::default();
            v[0] = line;
            v[7] = r.error().unwrap_or_default();
            v
        }
    };
    let u = decision_cells(r.outcome.as_ref().ok().and_then(|t| t.decision.as_ref()));
    let u: &[String] = if with_u { &u } else { &[] };
    w.write_record(r.input.fields.iter().chain(results.iter()).chain(u))
}

/// A quantity in its base unit for people: `2000 m`, `100 s`.
fn quantity(x: f64, t: &MeterTestResult) -> String {
    format!("{} {}", trim(format!("{x:.3}")), t.unit.symbol())
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Rows, then vehicles (verdict, tests, calibration, first reason), then a summary line.
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
            Ok(t) => vec![
                r.input.line.to_string(),
                r.input.vehicle.clone(),
                t.kind.to_string(),
                quantity(t.reference, t),
                quantity(t.indicated, t),
                format!("{:+.3}", t.error_pct),
                pct(t.judged_error_pct),
                format!("{} … {}", pct(t.limits_pct.lower), pct(t.limits_pct.upper)),
                u_cell(t.decision.as_ref()),
                t.verdict.to_string(),
                String::new(),
            ],
            Err(e) => {
                let mut v = vec![String::new(); 11];
                v[0] = r.input.line.to_string();
                v[1] = r.input.vehicle.clone();
                v[2] = r.input.test.clone();
                v[9] = "error".into();
                v[10] = e.to_string();
                v
            }
        })
        .collect();
    let head = [
        "line",
        "vehicle",
        "test",
        "reference",
        "indicated",
        "δ %",
        "judged",
        "limits %",
        "U %",
        "verdict",
        "note",
    ];
    out += &aligned_without(&head, &rows, (!with_u).then_some(8));
    out.push('\n');
    let vehicles: Vec<Vec<String>> = report
        .vehicles
        .iter()
        .map(|v| {
            vec![
                v.vehicle.clone(),
                v.verdict.to_string(),
                format!("{} distance, {} time", v.tests.0, v.tests.1),
                v.calibration
                    .as_ref()
                    .map(calibration_cell)
                    .unwrap_or_default(),
                first_of(&v.reasons),
            ]
        })
        .collect();
    out += &aligned(
        &["vehicle", "verdict", "tests", "calibration", "reason"],
        &vehicles,
    );
    let _ = writeln!(
        out,
        "\nrows: {}; vehicles: {}",
        tally::line(&report.row_tally, "error"),
        tally::line(&report.vehicle_tally, "incomplete"),
    );
    out
}

/// `k 1000 → 1027.411 (δ +1.200 % → -1.5 %)`, or `k × 1.027411 (…)` without k.
fn calibration_cell(c: &CalibrationSuggestion) -> String {
    let aim = format!(
        "(δ {:+.3} % → {:+} %)",
        c.measured_error_pct, c.target_error_pct
    );
    match (c.k_old_per_km, c.k_new_per_km) {
        (Some(old), Some(new)) => format!("k {old} → {new:.3} {aim}"),
        _ => format!("k × {:.6} {aim}", c.k_factor),
    }
}

#[derive(Serialize)]
pub(crate) struct ProfileInfo<'a> {
    id: &'a str,
    version: &'a str,
    title: &'a str,
    stage: &'a str,
}

#[derive(Serialize)]
pub(crate) struct JsonRow<'a> {
    line: u64,
    vehicle: &'a str,
    test: &'a str,
    #[serde(flatten)]
    body: RowBody<'a>,
    extra: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RowBody<'a> {
    Judged(Box<Judged<'a>>),
    Error { error: String },
}

#[derive(Serialize)]
struct Judged<'a> {
    error_pct: f64,
    judged_error_pct: f64,
    mpe_pct: f64,
    lower_limit_pct: f64,
    upper_limit_pct: f64,
    verdict: Verdict,
    /// The reference and indication in the base unit.
    reference: f64,
    indicated: f64,
    unit: &'static str,
    clause: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    k_per_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<f64>,
    #[serde(flatten)]
    decision: Option<RowDecision<'a>>,
}

#[derive(Serialize)]
pub(crate) struct JsonVehicle<'a> {
    vehicle: &'a str,
    verdict: Verdict,
    distance_tests: usize,
    time_tests: usize,
    reasons: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    calibration: Option<&'a CalibrationSuggestion>,
}

/// One row of `--format json`.
pub(crate) fn row<'a>(extra: &'a [(usize, String)], r: &'a Row) -> JsonRow<'a> {
    let extra = extra
        .iter()
        .map(|(i, name)| (name.as_str(), r.input.fields[*i].as_str()))
        .collect();
    let (test, body) = match &r.outcome {
        Ok(t) => {
            let bench = match &r.input.test_input {
                Ok(TestInput::Bench(b)) => Some(b),
                _ => None,
            };
            (
                t.kind.as_str(),
                RowBody::Judged(Box::new(Judged {
                    error_pct: t.error_pct,
                    judged_error_pct: t.judged_error_pct,
                    mpe_pct: t.mpe_pct,
                    lower_limit_pct: t.limits_pct.lower,
                    upper_limit_pct: t.limits_pct.upper,
                    verdict: t.verdict,
                    reference: t.reference,
                    indicated: t.indicated,
                    unit: t.unit.symbol(),
                    clause: &t.clause,
                    k_per_km: bench.map(|b| b.k_per_km).or(r.input.k),
                    count: bench.map(|b| b.count),
                    decision: t.decision.as_ref().map(RowDecision::new),
                })),
            )
        }
        Err(_) => (
            r.input.test.as_str(),
            RowBody::Error {
                error: r.error().unwrap_or_default(),
            },
        ),
    };
    JsonRow {
        line: r.input.line,
        vehicle: &r.input.vehicle,
        test,
        body,
        extra,
    }
}

/// One vehicle of `--format json`.
pub(crate) fn vehicle(v: &VehicleSummary) -> JsonVehicle<'_> {
    JsonVehicle {
        vehicle: &v.vehicle,
        verdict: v.verdict,
        distance_tests: v.tests.0,
        time_tests: v.tests.1,
        reasons: &v.reasons,
        calibration: v.calibration.as_ref(),
    }
}

/// The `profile` object of `--format json`.
pub(crate) fn profile_info<'a>(
    p: &'a TaximeterProfile,
    stage: &'a TaximeterStage,
) -> ProfileInfo<'a> {
    ProfileInfo {
        id: &p.id,
        version: &p.version,
        title: &p.title,
        stage: &stage.name,
    }
}
