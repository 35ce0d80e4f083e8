//! `verimeter report`: a self-contained HTML report of one station (dispenser draws) or fleet
//! (taximeter tests) — summary, groups failing first, a table and an SVG chart per nozzle or
//! vehicle, the bad rows.
//!
//! The file is read and judged by the judging commands' own code
//! ([`dispenser_cmd::evaluate`], [`taximeter_cmd::evaluate`]); this module turns their report
//! into a [`html::Page`] and writes it.

mod chart;
mod html;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::ValueEnum;
use verimeter::tariff::LocalDateTime;
use verimeter::Verdict;

use crate::args::DecisionArgs;
use crate::explain_cmd::{dispenser_args, taximeter_args};
use crate::tally::{self, Tally};
use crate::{dispenser_cmd, taximeter_cmd};

use self::chart::{Chart, Point};
use self::html::{Cell, Counts, Group, Page, ProfileInfo, TableRow};

/// `verimeter report --help`.
pub const LONG_ABOUT: &str = "\
Write a self-contained HTML report of a station (dispenser draws) or a fleet (taximeter
tests) to DIR/index.html: one file with inline CSS and inline SVG charts, no scripts and no
external resources, so it can be mailed, archived or printed as it is.

The file is read and judged exactly as `verimeter dispenser` / `verimeter taximeter` judge it
(same columns, profile, stage and decision-rule flags). The page shows:
  - the title, the date of generation, the input file;
  - the profile: id, version, title, stage, the sources its numbers come from, the decision
    rule when one weighs U;
  - the summary counts (they add up to the rows read and the groups found);
  - every nozzle (vehicle), failing first: fail, conditional-fail, incomplete,
    conditional-pass, pass — each with its verdict badge, its reasons, a table of its rows
    (line, test point, flow, V_J, V_Bt, E %, limits, verdict) and a chart of error % against
    flow rate (L/min) with the tolerance band shaded and the points coloured by verdict.
    Without a flow_l_min for every draw the chart puts the draws in test-point order and
    says so; taximeter charts put the tests in file order with the (asymmetric) band;
  - the rows that could not be judged, with their line and reason.

DIR is created when missing; an existing index.html in it is replaced.

Exit status: as the judging command — 0 every group passes (or passes conditionally) and no
row is an error; 1 otherwise (the report is written all the same); 2 usage error,
unreadable input or DIR not writable.";

/// `verimeter report --help`, after the options.
pub const AFTER: &str = "\
Examples:
  verimeter report fixtures/dispenser/jjg443-station.csv --out report/
  verimeter report --kind taximeter --stage installed fixtures/taximeter/jjg517-installed.csv --out fleet/
  verimeter report --title 'Station 17, May inspection' --date 2026-05-12 station17.csv --out r17/
  scripts/render-report.sh   (renders the station report with headless Chromium to a PNG)";

/// What kind of file to report on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Dispenser draws: a station report, one section per nozzle.
    Dispenser,
    /// Taximeter tests: a fleet report, one section per vehicle.
    Taximeter,
}

/// Arguments of `verimeter report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The CSV file, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The directory to write index.html into (created when missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// What the file holds: `dispenser` draws or `taximeter` tests.
    #[arg(long, value_enum, default_value_t = Kind::Dispenser)]
    pub kind: Kind,

    /// Built-in profile id (see `verimeter profiles`); default jjg443-2015 for dispensers,
    /// jjg517-2016 for taximeters.
    #[arg(long, value_name = "ID", conflicts_with = "profile_file")]
    pub profile: Option<String>,

    /// A custom profile in JSON of the same kind; validated before use.
    #[arg(long, value_name = "PATH")]
    pub profile_file: Option<PathBuf>,

    /// The verification stage; the profile's default stage when absent.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,

    /// The page's title; default "Station report — FILE" or "Fleet report — FILE".
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,

    /// The date of generation printed on the page; default today's date (UTC) from the
    /// system clock. Give one for a reproducible page.
    #[arg(long, value_name = "TEXT")]
    pub date: Option<String>,

    /// The decision rule and the uncertainty it weighs (as on the judging commands).
    #[command(flatten)]
    pub decision: DecisionArgs,

    /// No warnings on stderr (e.g. the header-only warning) and no progress bar; errors are
    /// still reported. (The bar is drawn only on a terminal, after a second.)
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Runs `verimeter report`.
pub fn run(args: &ReportArgs) -> Result<i32, String> {
    let date = args.date.clone().unwrap_or_else(today_utc);
    let (p, pf, s, d, f) = (
        &args.profile,
        &args.profile_file,
        &args.stage,
        &args.decision,
        args.file.as_path(),
    );
    let file_name = if f.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        f.display().to_string()
    };
    let (page, exit) = match args.kind {
        Kind::Dispenser => {
            dispenser_cmd::evaluate(&dispenser_args(p, pf, s, d, f, args.quiet), |r| {
                let title = args
                    .title
                    .clone()
                    .unwrap_or_else(|| format!("Station report — {file_name}"));
                Ok((dispenser_page(r, title, &date, &file_name)?, r.exit_code()))
            })?
        }
        Kind::Taximeter => {
            taximeter_cmd::evaluate(&taximeter_args(p, pf, s, d, f, args.quiet), |r| {
                let title = args
                    .title
                    .clone()
                    .unwrap_or_else(|| format!("Fleet report — {file_name}"));
                Ok((taximeter_page(r, title, &date, &file_name)?, r.exit_code()))
            })?
        }
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let path = args.out.join("index.html");
    std::fs::write(&path, html::render(&page))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let line = format!(
        "wrote {} — {}: {}; rows: {}\n",
        path.display(),
        page.group_noun_plural,
        page.group_counts.line,
        page.row_counts.line
    );
    crate::write_stdout(line.as_bytes())?;
    Ok(exit)
}

/// Today's date, UTC, as YYYY-MM-DD (the library's civil calendar,
/// [`LocalDateTime::from_seconds`], on the system clock's seconds since 1970 UTC). A clock
/// before 1970 counts as 1970-01-01, as before.
fn today_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match i64::try_from(secs).map(LocalDateTime::from_seconds) {
        Ok(Ok(t)) => {
            let (year, month, day) = t.date();
            format!("{year:04}-{month:02}-{day:02} (UTC)")
        }
        // Past the year 9999: no date to print.
        _ => "date unknown (UTC)".to_string(),
    }
}

/// Failing first: fail, conditional-fail, incomplete, conditional-pass, pass.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Fail => 0,
        Verdict::ConditionalFail => 1,
        Verdict::Incomplete => 2,
        Verdict::ConditionalPass => 3,
        _ => 4,
    }
}

/// A percentage for tables: signed, three decimals.
fn pct3(x: f64) -> String {
    format!("{x:+.3}").replace('-', "−")
}

/// A percentage as judged (at most four decimals, signed).
fn signed(x: f64) -> String {
    crate::output::pct(x).replace('-', "−")
}

/// A limit pair: "±0.3" when symmetric, else "−4 … +1".
fn limits(lower: f64, upper: f64) -> String {
    if lower == -upper {
        format!("±{}", crate::output::pct(upper).trim_start_matches('+'))
    } else {
        format!("{} … {}", signed(lower), signed(upper))
    }
}

/// A volume or reading as written by people (no float noise).
fn num(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('-', "−")
}

/// The page's profile box of a dispenser or taximeter report (the same fields by name).
macro_rules! profile_info {
    ($r:expr) => {
        ProfileInfo {
            id: $r.profile.id.clone(),
            version: $r.profile.version.clone(),
            title: $r.profile.title.clone(),
            stage: $r.stage.name.clone(),
            stage_title: $r.stage.title.clone(),
            sources: $r.profile.sources.clone(),
            decision: $r.decision.as_ref().map(|d| d.headline()),
        }
    };
}

/// The page's counts of a tally whose entries without a verdict are called `other`.
fn counts(t: &Tally, other: &'static str) -> Counts {
    Counts {
        by_verdict: vec![
            ("fail", t.fail),
            ("conditional-fail", t.conditional_fail),
            ("conditional-pass", t.conditional_pass),
            ("pass", t.pass),
        ],
        other: (other, t.other),
        total: t.total,
        line: tally::line(t, other),
    }
}

fn dispenser_page(
    r: &dispenser_cmd::Report,
    title: String,
    date: &str,
    file: &str,
) -> Result<Page, String> {
    let mut groups = Vec::new();
    for (id, s) in &r.nozzles {
        let rows: Vec<&dispenser_cmd::Row> = r
            .rows
            .iter()
            .filter(|row| row.input.nozzle == *id)
            .collect();
        let mut table = Vec::new();
        for row in &rows {
            let line = row.input.line.to_string();
            table.push(match &row.outcome {
                Ok(d) => TableRow {
                    cells: vec![
                        Cell::num(line),
                        Cell::text(d.test_point.as_str()),
                        Cell::num(d.flow_l_min.map(num).unwrap_or_default()),
                        Cell::num(num(d.indicated_l)),
                        Cell::num(num(d.corrected_standard_l)),
                        Cell::num(pct3(d.error_pct)),
                        Cell::num(signed(d.judged_error_pct)),
                        Cell::num(limits(d.limits_pct.lower, d.limits_pct.upper)),
                    ],
                    verdict: Some(d.verdict),
                    error: None,
                },
                Err(e) => TableRow {
                    cells: vec![Cell::num(line), Cell::text(row.input.test_point.clone())],
                    verdict: None,
                    error: Some(e.to_string()),
                },
            });
        }
        let judged: Vec<(&dispenser_cmd::Row, &verimeter::dispenser::DrawResult)> = rows
            .iter()
            .filter_map(|row| row.outcome.as_ref().ok().map(|d| (*row, d)))
            .collect();
        let with_flow = !judged.is_empty() && judged.iter().all(|(_, d)| d.flow_l_min.is_some());
        let chart = if judged.is_empty() {
            None
        } else if with_flow {
            Some(Chart {
                x_desc: "flow rate Q (L/min)".into(),
                y_desc: "error E (%)",
                order_labels: None,
                points: judged
                    .iter()
                    .map(|(_, d)| Point {
                        x: d.flow_l_min.unwrap_or_default(),
                        y: d.judged_error_pct,
                        lower: d.limits_pct.lower,
                        upper: d.limits_pct.upper,
                        verdict: d.verdict,
                    })
                    .collect(),
            })
        } else {
            let mut ordered = judged.clone();
            ordered.sort_by_key(|(row, d)| (d.test_point, row.input.line));
            Some(Chart {
                x_desc: "no flow_l_min: draws in test-point order".into(),
                y_desc: "error E (%)",
                order_labels: Some(
                    ordered
                        .iter()
                        .map(|(_, d)| d.test_point.as_str().to_string())
                        .collect(),
                ),
                points: ordered
                    .iter()
                    .enumerate()
                    .map(|(i, (_, d))| Point {
                        x: (i + 1) as f64,
                        y: d.judged_error_pct,
                        lower: d.limits_pct.lower,
                        upper: d.limits_pct.upper,
                        verdict: d.verdict,
                    })
                    .collect(),
            })
        };
        let svg = chart.as_ref().map(chart::svg).transpose()?;
        let mut facts = Vec::new();
        for tp in &s.test_points {
            let mut f = format!(
                "{}: {} draw(s), E {} … {} %",
                tp.test_point,
                tp.draws,
                pct3(tp.min_error_pct),
                pct3(tp.max_error_pct)
            );
            if let Some(rep) = &tp.repeatability {
                f.push_str(&format!(
                    ", repeatability {} % (limit {} %, {})",
                    num(rep.judged_value_pct),
                    num(rep.limit_pct),
                    rep.verdict
                ));
            }
            facts.push(f);
        }
        groups.push(Group {
            id: id.clone(),
            verdict: s.verdict,
            reasons: s.reasons.clone(),
            facts,
            table,
            svg,
            chart_caption: if with_flow {
                "Error of each draw (as judged) against flow rate; shaded: the tolerance band."
                    .into()
            } else {
                "Error of each draw (as judged) in test-point order — the file gives no flow \
                 rate for every draw; shaded: the tolerance band."
                    .into()
            },
        });
    }
    groups.sort_by_key(|g| rank(g.verdict));
    Ok(Page {
        title,
        date: date.into(),
        file: file.into(),
        profile: profile_info!(r),
        group_noun: "nozzle",
        group_noun_plural: "nozzles",
        group_counts: counts(&r.nozzle_tally, "incomplete"),
        row_counts: counts(&r.row_tally, "error"),
        columns: vec![
            "line",
            "test point",
            "Q (L/min)",
            "V_J (L)",
            "V_Bt (L)",
            "E (%)",
            "judged",
            "limits (%)",
            "verdict",
        ],
        groups,
        bad_rows: r
            .rows
            .iter()
            .filter_map(|row| {
                row.outcome
                    .as_ref()
                    .err()
                    .map(|e| (row.input.line, e.to_string()))
            })
            .collect(),
    })
}

fn taximeter_page(
    r: &taximeter_cmd::Report,
    title: String,
    date: &str,
    file: &str,
) -> Result<Page, String> {
    let mut groups = Vec::new();
    for v in &r.vehicles {
        let rows: Vec<&taximeter_cmd::Row> = r
            .rows
            .iter()
            .filter(|row| row.input.vehicle == v.vehicle)
            .collect();
        let mut table = Vec::new();
        let mut points = Vec::new();
        let mut labels = Vec::new();
        for row in &rows {
            let line = row.input.line.to_string();
            match &row.outcome {
                Ok(t) => {
                    let unit = t.unit.symbol();
                    labels.push(format!("l.{}", row.input.line));
                    points.push(Point {
                        x: labels.len() as f64,
                        y: t.judged_error_pct,
                        lower: t.limits_pct.lower,
                        upper: t.limits_pct.upper,
                        verdict: t.verdict,
                    });
                    table.push(TableRow {
                        cells: vec![
                            Cell::num(line),
                            Cell::text(t.kind.as_str()),
                            Cell::num(format!("{} {unit}", num(t.reference))),
                            Cell::num(format!("{} {unit}", num(t.indicated))),
                            Cell::num(pct3(t.error_pct)),
                            Cell::num(signed(t.judged_error_pct)),
                            Cell::num(limits(t.limits_pct.lower, t.limits_pct.upper)),
                        ],
                        verdict: Some(t.verdict),
                        error: None,
                    });
                }
                Err(e) => table.push(TableRow {
                    cells: vec![Cell::num(line), Cell::text(row.input.test.clone())],
                    verdict: None,
                    error: Some(e.to_string()),
                }),
            }
        }
        let svg = if points.is_empty() {
            None
        } else {
            Some(chart::svg(&Chart {
                x_desc: "tests in file order (line)".into(),
                y_desc: "error δ (%)",
                order_labels: Some(labels),
                points,
            })?)
        };
        let mut facts = vec![format!(
            "{} distance test(s), {} time test(s) usable",
            v.tests.0, v.tests.1
        )];
        if let Some(c) = &v.calibration {
            let k = match (c.k_old_per_km, c.k_new_per_km) {
                (Some(old), Some(new)) => format!("k {} → {} /km", num(old), num(new)),
                _ => format!("multiply k by {}", num(c.k_factor)),
            };
            facts.push(format!(
                "calibration: mean distance error {} % over {} test(s), target {} % — {k} ({})",
                pct3(c.measured_error_pct),
                c.distance_tests,
                pct3(c.target_error_pct),
                c.target_source
            ));
        }
        groups.push(Group {
            id: v.vehicle.clone(),
            verdict: v.verdict,
            reasons: v.reasons.clone(),
            facts,
            table,
            svg,
            chart_caption: "Error δ of each test (as judged) in file order; shaded: the \
                            tolerance band of each test (distance and time may differ)."
                .into(),
        });
    }
    groups.sort_by_key(|g| rank(g.verdict));
    Ok(Page {
        title,
        date: date.into(),
        file: file.into(),
        profile: profile_info!(r),
        group_noun: "vehicle",
        group_noun_plural: "vehicles",
        group_counts: counts(&r.vehicle_tally, "incomplete"),
        row_counts: counts(&r.row_tally, "error"),
        columns: vec![
            "line",
            "test",
            "reference",
            "indicated",
            "δ (%)",
            "judged",
            "limits (%)",
            "verdict",
        ],
        groups,
        bad_rows: r
            .rows
            .iter()
            .filter_map(|row| {
                row.outcome
                    .as_ref()
                    .err()
                    .map(|e| (row.input.line, e.to_string()))
            })
            .collect(),
    })
}
