//! The outputs of `verimeter trips`: `table` for people (built whole), `csv` (input columns
//! echoed, then the results) and `json` (`{tariff, rows, summary}`), written row by row. The JSON field names are a public
//! contract. Money is written exactly (JSON strings), as the library computed it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use verimeter::money::Money;
use verimeter::tariff::FareCheck;

use crate::output::{aligned, pct};
use verimeter::tariff::Tariff;

use crate::trips_cmd::{Outcome, ProfileUse, Report, Row, RowVerdict};

#[derive(Serialize)]
pub(crate) struct TariffInfo<'a> {
    id: &'a str,
    version: &'a str,
    title: &'a str,
    currency: &'a str,
}

#[derive(Serialize)]
pub(crate) struct ProfileInfo<'a> {
    id: &'a str,
    stage: &'a str,
    fare_tolerance: bool,
}

#[derive(Serialize)]
pub(crate) struct JsonRow<'a> {
    line: u64,
    trip: &'a str,
    #[serde(flatten)]
    body: Body<'a>,
    extra: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Body<'a> {
    Judged(Box<JudgedRow<'a>>),
    Skipped {
        rate_code: Option<&'a str>,
        verdict: RowVerdict,
        reason: &'a str,
    },
    Error {
        error: String,
    },
}

#[derive(Serialize)]
struct JudgedRow<'a> {
    rate_code: &'a str,
    distance_km: f64,
    duration_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting_s: Option<f64>,
    start: String,
    start_assumed: bool,
    fare: Money,
    expected_fare: Money,
    minimum_fare: Money,
    maximum_fare: Money,
    error_pct: Option<f64>,
    verdict: RowVerdict,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fare_check: Option<&'a FareCheck>,
    surcharge_findings: &'a [String],
}

/// One row of `--format json`.
pub(crate) fn json_row<'a>(extra: &'a [(usize, String)], r: &'a Row) -> JsonRow<'a> {
    let body = match &r.outcome {
        Outcome::Judged(j) => Body::Judged(Box::new(JudgedRow {
            rate_code: &j.rate_code,
            distance_km: j.trip.distance_m / 1000.0,
            duration_s: j.trip.duration_s,
            waiting_s: j.trip.waiting_s,
            start: j.trip.start.to_string(),
            start_assumed: j.trip.start_assumed,
            fare: j.trip.fare,
            expected_fare: j.bounds.nominal.fare,
            minimum_fare: j.check.minimum,
            maximum_fare: j.check.maximum,
            error_pct: j.error_pct,
            verdict: j.verdict,
            reason: &j.reason,
            fare_check: j.fare_check.as_ref(),
            surcharge_findings: &j.surcharge_findings,
        })),
        Outcome::Skipped { rate_code, reason } => Body::Skipped {
            rate_code: rate_code.as_deref(),
            verdict: RowVerdict::Skipped,
            reason,
        },
        Outcome::Error(_) => Body::Error {
            error: r.error().unwrap_or_default(),
        },
    };
    JsonRow {
        line: r.input.line,
        trip: &r.input.trip,
        body,
        extra: extra
            .iter()
            .map(|(i, name)| (name.as_str(), r.input.fields[*i].as_str()))
            .collect(),
    }
}

/// The `tariff` object of `--format json`.
pub(crate) fn tariff_info(t: &Tariff) -> TariffInfo<'_> {
    TariffInfo {
        id: &t.id,
        version: &t.version,
        title: &t.title,
        currency: &t.currency,
    }
}

/// The `profile` object of `--format json` (with `--profile`).
pub(crate) fn profile_info(p: &ProfileUse) -> ProfileInfo<'_> {
    ProfileInfo {
        id: &p.id,
        stage: &p.stage,
        fare_tolerance: p.fare_tolerance.is_some(),
    }
}

/// The result columns appended to the echoed input columns in `--format csv`.
pub const CSV_RESULT_COLUMNS: [&str; 11] = [
    "line",
    "rate_code_used",
    "distance_km_used",
    "duration_s_used",
    "expected_fare",
    "minimum_fare",
    "maximum_fare",
    "error_pct",
    "verdict",
    "reason",
    "error",
];

/// The header of `--format csv`: the input columns as written, then
/// [`CSV_RESULT_COLUMNS`] and `surcharge_findings`.
pub fn csv_head<W: std::io::Write>(w: &mut csv::Writer<W>, header: &[String]) -> csv::Result<()> {
    w.write_record(
        header
            .iter()
            .map(String::as_str)
            .chain(CSV_RESULT_COLUMNS)
            .chain(["surcharge_findings"]),
    )
}

/// One row of `--format csv` per input row, written as it is judged.
pub fn csv_row<W: std::io::Write>(w: &mut csv::Writer<W>, r: &Row) -> csv::Result<()> {
    let mut v: [String; 12] = Default::default();
    v[0] = r.input.line.to_string();
    match &r.outcome {
        Outcome::Judged(j) => {
            v[1] = j.rate_code.clone();
            v[2] = (j.trip.distance_m / 1000.0).to_string();
            v[3] = j.trip.duration_s.to_string();
            v[4] = j.bounds.nominal.fare.to_string();
            v[5] = j.check.minimum.to_string();
            v[6] = j.check.maximum.to_string();
            v[7] = j.error_pct.map(|x| x.to_string()).unwrap_or_default();
            v[8] = j.verdict.as_str().into();
            v[9] = j.reason.clone();
            v[11] = j.surcharge_findings.join("; ");
        }
        Outcome::Skipped { reason, .. } => {
            v[8] = RowVerdict::Skipped.as_str().into();
            v[9] = reason.clone();
        }
        Outcome::Error(_) => v[10] = r.error().unwrap_or_default(),
    }
    w.write_record(r.input.fields.iter().chain(v.iter()))
}

/// A header, one line per row, a summary line.
pub fn table(report: &Report) -> String {
    let t = report.tariff;
    let mut out = format!(
        "tariff  {} v{} — {} ({})\n",
        t.id, t.version, t.title, t.currency
    );
    match &report.profile {
        Some(p) if p.fare_tolerance.is_some() => {
            let _ = writeln!(
                out,
                "profile {} / {}: fare tolerance applied",
                p.id, p.stage
            );
        }
        Some(p) => {
            let _ = writeln!(out, "profile {} / {}: no fare tolerance", p.id, p.stage);
        }
        None => {}
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|r| {
            let mut v = vec![String::new(); 11];
            v[0] = r.input.line.to_string();
            v[1] = r.input.trip.replace(['\r', '\n'], " ");
            match &r.outcome {
                Outcome::Judged(j) => {
                    v[2] = j.rate_code.clone();
                    v[3] = format!("{:.3}", j.trip.distance_m / 1000.0);
                    v[4] = format!("{:.0}", j.trip.duration_s);
                    v[5] = j.trip.fare.to_string();
                    v[6] = j.bounds.nominal.fare.to_string();
                    v[7] = format!("{} … {}", j.check.minimum, j.check.maximum);
                    v[8] = j.error_pct.map(pct).unwrap_or_default();
                    v[9] = j.verdict.as_str().into();
                    v[10] = if j.surcharge_findings.is_empty() {
                        j.reason.clone()
                    } else {
                        format!(
                            "{}; surcharges: {}",
                            j.reason,
                            j.surcharge_findings.join("; ")
                        )
                    };
                }
                Outcome::Skipped { rate_code, reason } => {
                    v[2] = rate_code.clone().unwrap_or_default();
                    v[9] = RowVerdict::Skipped.as_str().into();
                    v[10] = reason.clone();
                }
                Outcome::Error(e) => {
                    v[9] = "error".into();
                    v[10] = e.to_string();
                }
            }
            v
        })
        .collect();
    let head = [
        "line", "trip", "rate", "km", "s", "fare", "expected", "bounds", "E %", "verdict", "reason",
    ];
    out += &aligned(&head, &rows);
    let c = &report.counts;
    let _ = writeln!(
        out,
        "\nrows: {} ({} pass, {} fail, {} skipped, {} error); surcharge findings on {} rows",
        c.rows,
        c.rows_pass,
        c.rows_fail,
        c.rows_skipped,
        c.rows_error,
        c.rows_with_surcharge_findings
    );
    out
}
