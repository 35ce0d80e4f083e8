//! `verimeter explain` (and `--explain N` on `dispenser` / `taximeter`): every step of one
//! row's computation with the numbers put in and the clause of each rule — what an inspector
//! reads out to a station owner.
//!
//! The rows are read and judged by the commands' own code ([`dispenser_cmd::evaluate`],
//! [`taximeter_cmd::evaluate`]); the steps of a row are the library's
//! ([`explain_draw`], [`explain_meter_test`]); this module adds the group steps (the
//! nozzle's repeatability at the row's test point, the nozzle's or vehicle's verdict) and
//! renders them.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use verimeter::dispenser::{DrawResult, TestPoint};
use verimeter::explain::{explain_draw, explain_meter_test, Step};
use verimeter::profile::RepeatabilityRule;
use verimeter::Verdict;

use crate::args::{DecisionArgs, DispenserArgs, Format, TaximeterArgs};
use crate::{dispenser_cmd, taximeter_cmd};

/// `verimeter explain --help`.
pub const LONG_ABOUT: &str = "\
Explain one row of a CSV file step by step: every formula, the same formula with the row's
numbers put in, the value, and the clause the rule or the number comes from — then the
verdict of the row and of its group.

The file is read and judged exactly as `verimeter dispenser` or `verimeter taximeter` read
and judge it (same columns, same profile, stage and decision-rule flags), so the explanation
always agrees with the table.

  dispenser  readings, the standard volume at the meter's temperature (V_Bt), the error E,
             rounding, the limits, the amount check, the decision rule, the row verdict;
             then the repeatability of the nozzle at the row's test point with the draws'
             errors put in ((E_max − E_min) / C_n = … ≤ limit) and the nozzle's verdict with
             its reasons.
  taximeter  readings, the error δ, rounding, the limits, the decision rule, the row verdict;
             then the vehicle's verdict with its reasons and the k calibration suggestion.

--line is the physical line the row starts on (the header is line 1), as in the error
messages and the `line` column of the other commands.

Output (--format): `text` for people; `json` an array of step objects {title, formula,
substituted, value, clause}, the first step naming the file, line, group and profile.

Exit status: 0 the row and its group pass (or pass conditionally); 1 the row or its group
does not pass, the row is an error (the explanation names the column and the value), or the
line is not the start of a data row (header, blank line, inside a quoted field); 2 the line
is out of range (the message gives the range), usage error or unreadable input.";

/// `verimeter explain --help`, after the options.
pub const AFTER: &str = "\
Examples:
  verimeter explain dispenser --line 5 fixtures/dispenser/worked-examples.csv
  verimeter explain dispenser --line 16 --format json fixtures/dispenser/jjg443-station.csv
  verimeter explain taximeter --stage installed --line 2 fixtures/taximeter/jjg517-installed.csv
  verimeter explain dispenser --stage in-service --decision-rule non-binary --line 3 \
    fixtures/dispenser/near-limit.csv
  verimeter dispenser --explain 5 fixtures/dispenser/worked-examples.csv   (the same, as a flag)";

/// What kind of file to explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// A file of dispenser draws (as `verimeter dispenser` reads).
    Dispenser,
    /// A file of taximeter tests (as `verimeter taximeter` reads).
    Taximeter,
}

/// Output formats of `verimeter explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Numbered steps for people.
    Text,
    /// A JSON array of step objects {title, formula, substituted, value, clause}.
    Json,
}

impl From<Format> for ExplainFormat {
    /// `--explain N` on the judging commands: `--format json` gives JSON, anything else text.
    fn from(f: Format) -> Self {
        match f {
            Format::Json | Format::Jsonl => ExplainFormat::Json,
            Format::Table | Format::Csv => ExplainFormat::Text,
        }
    }
}

/// Arguments of `verimeter explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// What the file holds: `dispenser` draws or `taximeter` tests.
    #[arg(value_enum, value_name = "KIND")]
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

    /// The physical line the row starts on (the header is line 1).
    #[arg(long, value_name = "N")]
    pub line: u64,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,

    /// The decision rule and the uncertainty it weighs (as on the judging commands).
    #[command(flatten)]
    pub decision: DecisionArgs,

    /// No warnings on stderr (e.g. the header-only warning) and no progress bar; errors are
    /// still reported. (The bar is drawn only on a terminal, after a second.)
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// The CSV file, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// The default built-in profile of each kind.
pub fn default_profile(kind: Kind) -> &'static str {
    match kind {
        Kind::Dispenser => "jjg443-2015",
        Kind::Taximeter => "jjg517-2016",
    }
}

/// The judging command's arguments for the same file and flags.
pub fn dispenser_args(
    profile: &Option<String>,
    profile_file: &Option<PathBuf>,
    stage: &Option<String>,
    decision: &DecisionArgs,
    file: &Path,
    quiet: bool,
) -> DispenserArgs {
    DispenserArgs {
        profile: profile
            .clone()
            .unwrap_or_else(|| default_profile(Kind::Dispenser).into()),
        profile_file: profile_file.clone(),
        stage: stage.clone(),
        format: Format::Table,
        decision: decision.clone(),
        explain: None,
        input_format: None,
        quiet,
        no_fast_path: false,
        file: file.to_path_buf(),
    }
}

/// The judging command's arguments for the same file and flags.
pub fn taximeter_args(
    profile: &Option<String>,
    profile_file: &Option<PathBuf>,
    stage: &Option<String>,
    decision: &DecisionArgs,
    file: &Path,
    quiet: bool,
) -> TaximeterArgs {
    TaximeterArgs {
        profile: profile
            .clone()
            .unwrap_or_else(|| default_profile(Kind::Taximeter).into()),
        profile_file: profile_file.clone(),
        stage: stage.clone(),
        format: Format::Table,
        decision: decision.clone(),
        explain: None,
        quiet,
        file: file.to_path_buf(),
    }
}

/// Runs `verimeter explain`.
pub fn run(args: &ExplainArgs) -> Result<i32, String> {
    let (p, pf, s, d, f) = (
        &args.profile,
        &args.profile_file,
        &args.stage,
        &args.decision,
        args.file.as_path(),
    );
    match args.kind {
        Kind::Dispenser => {
            dispenser_cmd::evaluate(&dispenser_args(p, pf, s, d, f, args.quiet), |r| {
                dispenser(r, f, args.line, args.format)
            })
        }
        Kind::Taximeter => {
            taximeter_cmd::evaluate(&taximeter_args(p, pf, s, d, f, args.quiet), |r| {
                taximeter(r, f, args.line, args.format)
            })
        }
    }
}

/// An explanation ready to print: header lines for people, then the steps.
struct Explanation {
    header: Vec<String>,
    steps: Vec<Step>,
    exit: i32,
}

impl Explanation {
    fn print(&self, format: ExplainFormat) -> Result<i32, String> {
        let text = match format {
            ExplainFormat::Text => {
                let mut out = self.header.join("\n");
                out.push_str("\n\n");
                for (i, s) in self.steps.iter().enumerate().skip(1) {
                    // Multi-line values (a group's reasons) stay indented under their step.
                    let text = s.to_string().replace("\n• ", "\n      • ");
                    out.push_str(&format!("{i}. {text}"));
                }
                out
            }
            ExplainFormat::Json => {
                let mut t = serde_json::to_string_pretty(&self.steps)
                    .map_err(|e| format!("cannot write JSON: {e}"))?;
                t.push('\n');
                t
            }
        };
        crate::write_stdout(text.as_bytes())?;
        Ok(self.exit)
    }
}

fn step(title: &str, formula: &str, substituted: String, value: String, clause: &str) -> Step {
    Step {
        title: title.into(),
        formula: formula.into(),
        substituted,
        value,
        clause: clause.into(),
    }
}

/// Whether a verdict lets the exit status be 0 (a conditional pass counts as a pass, as in
/// the judging commands).
fn passes(v: Verdict) -> bool {
    matches!(v, Verdict::Pass | Verdict::ConditionalPass)
}

/// A number as a person writes it: shortest round-trip form, minus signs as "−".
fn n(x: f64) -> String {
    format!("{x}").replace('-', "−")
}

/// A percentage for reading: at most four decimals, no trailing zeros, minus as "−".
fn p(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    let s = if s == "-0" { "0" } else { s };
    s.replace('-', "−")
}

/// A percentage inside a formula: negative numbers in parentheses, "(−0.1)".
fn pp(x: f64) -> String {
    let s = p(x);
    if s.starts_with('−') {
        format!("({s})")
    } else {
        s
    }
}

/// Where line `line` is, when it does not start a data row: `Err` (exit 2) out of range,
/// `Ok` (exit 1) an explanation why it is not a data row.
fn not_a_row(
    lines: &[u64],
    header: &[String],
    file: &Path,
    line: u64,
    first_step: Step,
) -> Result<Explanation, String> {
    let (Some(&first), Some(&last)) = (lines.first(), lines.last()) else {
        return Err(format!(
            "line {line}: {} has no data rows (only a header), so there is nothing to explain",
            file.display()
        ));
    };
    if line == 0 || line > last {
        return Err(format!(
            "line {line} is out of range: the data rows of {} start on lines {first} … {last} \
             (the header is line 1)",
            file.display()
        ));
    }
    let why = if line == 1 {
        format!(
            "line 1 is the header row ({}), not a data row",
            header.join(", ")
        )
    } else {
        let before = lines.iter().rev().find(|&&l| l < line);
        let after = lines.iter().find(|&&l| l > line);
        let near = match (before, after) {
            (Some(b), Some(a)) => format!("the nearest data rows start on lines {b} and {a}"),
            (None, Some(a)) => format!("the first data row starts on line {a}"),
            (Some(b), None) => format!("the last data row starts on line {b}"),
            (None, None) => String::new(),
        };
        format!(
            "line {line} does not start a data row (a blank line, or the continuation of a \
             quoted field); {near}"
        )
    };
    Ok(Explanation {
        header: vec![
            format!("verimeter explain — {}, line {line}", file.display()),
            why.clone(),
        ],
        steps: vec![
            first_step,
            step("not a data row", "", String::new(), why, ""),
        ],
        exit: 1,
    })
}

/// The first step: which file, line, group and profile.
fn where_step(file: &Path, line: u64, group: String, profile: String) -> Step {
    step(
        "row",
        "",
        format!("{}, line {line}", file.display()),
        group,
        &profile,
    )
}

/// The row of a dispenser or taximeter `report` starting on `line`, with the profile line
/// of the explanation; when no data row starts there, returns (from the calling function)
/// the explanation of what is on that line instead.
macro_rules! row_at {
    ($report:expr, $file:expr, $line:expr, $format:expr) => {{
        let report = $report;
        let profile = format!(
            "profile {} v{} ({}), stage {}{}",
            report.profile.id,
            report.profile.version,
            report.profile.title,
            report.stage.name,
            if report.stage.title.is_empty() {
                String::new()
            } else {
                format!(" ({})", report.stage.title)
            }
        );
        let Some(row) = report.rows.iter().find(|r| r.input.line == $line) else {
            let lines: Vec<u64> = report.rows.iter().map(|r| r.input.line).collect();
            let first = where_step($file, $line, "no data row".into(), profile);
            return not_a_row(&lines, &report.header, $file, $line, first)?.print($format);
        };
        (row, profile)
    }};
}

/// Explains the dispenser row starting on `line` of `report`.
pub fn dispenser(
    report: &dispenser_cmd::Report,
    file: &Path,
    line: u64,
    format: ExplainFormat,
) -> Result<i32, String> {
    let (row, profile) = row_at!(report, file, line, format);
    let input = &row.input;
    let nozzle = if input.nozzle.is_empty() {
        "(no nozzle id)".to_string()
    } else {
        input.nozzle.clone()
    };
    let group = format!("nozzle {nozzle}, test point {}", input.test_point);
    let mut header = vec![
        format!("verimeter explain — {}, line {line}", file.display()),
        group.clone(),
        profile.clone(),
    ];
    if let Some(d) = &report.decision {
        header.push(d.headline());
    }
    let mut steps = vec![where_step(file, line, group, profile)];
    let summary = report
        .nozzles
        .iter()
        .find(|(id, _)| *id == input.nozzle)
        .map(|(_, s)| s);
    let r = match &row.outcome {
        Ok(r) => r,
        Err(e) => {
            steps.push(step(
                "row error: the row cannot be judged",
                "",
                format!("cells: {}", cells(&report.header, &input.fields)),
                format!("line {line}: {e}"),
                "",
            ));
            if let Some(s) = summary {
                steps.push(nozzle_step(&nozzle, s.verdict.as_str(), &s.reasons, report));
            }
            return Explanation {
                header,
                steps,
                exit: 1,
            }
            .print(format);
        }
    };
    steps.extend(explain_draw(r));
    let mut exit = i32::from(!passes(r.verdict));
    if let Some(s) = summary {
        steps.push(repeatability_step(report, &input.nozzle, r.test_point));
        steps.push(nozzle_step(&nozzle, s.verdict.as_str(), &s.reasons, report));
        exit = exit.max(i32::from(!passes(s.verdict)));
    }
    Explanation {
        header,
        steps,
        exit,
    }
    .print(format)
}

/// The reasons of a group's verdict, one per line.
fn reasons_list(reasons: &[String]) -> String {
    let mut s = String::from("reasons:");
    for r in reasons {
        s.push_str("\n• ");
        s.push_str(r);
    }
    s
}

/// `name = value` for each cell of a row, for the explanation of a row error.
fn cells(header: &[String], fields: &[String]) -> String {
    header
        .iter()
        .zip(fields)
        .map(|(h, v)| format!("{h} = {v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The repeatability of `nozzle` at `tp`, with the usable draws' errors put in.
fn repeatability_step(report: &dispenser_cmd::Report, nozzle: &str, tp: TestPoint) -> Step {
    let title = format!("repeatability of nozzle {nozzle} at {tp}");
    let draws: Vec<(u64, &DrawResult)> = report
        .rows
        .iter()
        .filter(|r| r.input.nozzle == nozzle)
        .filter_map(|r| r.outcome.as_ref().ok().map(|d| (r.input.line, d)))
        .filter(|(_, d)| d.test_point == tp)
        .collect();
    let rule = report.stage.repeatability_for(tp);
    let rep = report
        .nozzles
        .iter()
        .find(|(id, _)| id == nozzle)
        .and_then(|(_, s)| s.test_points.iter().find(|t| t.test_point == tp))
        .and_then(|t| t.repeatability.as_ref());
    let errors = draws
        .iter()
        .map(|(l, d)| format!("line {l}: {} %", p(d.judged_error_pct)))
        .collect::<Vec<_>>()
        .join(", ");
    let (Some(rule), Some(rep)) = (rule, rep) else {
        let why = match rule {
            None => format!(
                "not judged: stage {} sets no repeatability rule at {tp}",
                report.stage.name
            ),
            Some(_) if draws.len() < 2 => format!(
                "not judged: {} usable draw(s) at {tp}, at least 2 needed",
                draws.len()
            ),
            Some(_) => "not evaluated (see the nozzle's reasons)".into(),
        };
        return step(
            &title,
            &format!("E as judged at {tp}: {errors}"),
            String::new(),
            why,
            rule.map_or("", RepeatabilityRule::source),
        );
    };
    let (lo, hi) = draws
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, d)| {
            (lo.min(d.judged_error_pct), hi.max(d.judged_error_pct))
        });
    let judged = if rep.judged_value_pct == rep.value_pct {
        String::new()
    } else {
        format!(" (judged {} %)", p(rep.judged_value_pct))
    };
    let (formula, substituted) = match rule {
        RepeatabilityRule::RangeOverCoefficient { coefficients, .. } => {
            let c = coefficients
                .iter()
                .find(|c| c.n as usize == rep.draws)
                .map_or_else(|| n(rep.range_pct / rep.value_pct), |c| n(c.c));
            (
                format!(
                    "E_r = (E_max − E_min) / C_n ≤ limit, n = {} draws (E as judged: {errors})",
                    rep.draws
                ),
                format!(
                    "({} − {}) / {c} = {} %{judged} ≤ {} %",
                    p(hi),
                    pp(lo),
                    p(rep.value_pct),
                    p(rep.limit_pct)
                ),
            )
        }
        RepeatabilityRule::RangeFractionOfTolerance { fraction, .. } => (
            format!(
                "E_max − E_min ≤ {} × MPE, n = {} draws (E as judged: {errors})",
                n(*fraction),
                rep.draws
            ),
            format!(
                "{} − {} = {} %{judged} ≤ {} × {} = {} %",
                p(hi),
                pp(lo),
                p(rep.value_pct),
                n(*fraction),
                p(rep.limit_pct / fraction),
                p(rep.limit_pct)
            ),
        ),
        _ => (
            format!("n = {} draws (E as judged: {errors})", rep.draws),
            format!("{} %{judged} ≤ {} %", p(rep.value_pct), p(rep.limit_pct)),
        ),
    };
    step(
        &title,
        &formula,
        substituted,
        rep.verdict.as_str().into(),
        &rep.clause,
    )
}

/// The nozzle's verdict and its reasons.
fn nozzle_step(
    nozzle: &str,
    verdict: &str,
    reasons: &[String],
    report: &dispenser_cmd::Report,
) -> Step {
    let required: Vec<&str> = report
        .stage
        .required_test_points
        .value
        .iter()
        .map(|t| t.as_str())
        .collect();
    step(
        &format!("verdict of nozzle {nozzle}"),
        "the worst of its draws, amounts, repeatabilities and required tests: fail > \
         conditional-fail > incomplete > conditional-pass > pass",
        if reasons.is_empty() {
            "every draw, amount and repeatability passes; every required test point is there".into()
        } else {
            reasons_list(reasons)
        },
        verdict.into(),
        &format!(
            "required: {} × {} usable draws ({}; {})",
            required.join(", "),
            report.stage.draws_per_test_point.value,
            report.stage.required_test_points.source,
            report.stage.draws_per_test_point.source
        ),
    )
}

/// Explains the taximeter row starting on `line` of `report`.
pub fn taximeter(
    report: &taximeter_cmd::Report,
    file: &Path,
    line: u64,
    format: ExplainFormat,
) -> Result<i32, String> {
    let (row, profile) = row_at!(report, file, line, format);
    let input = &row.input;
    let vehicle = if input.vehicle.is_empty() {
        "(no vehicle id)".to_string()
    } else {
        input.vehicle.clone()
    };
    let group = format!(
        "vehicle {vehicle}, test {}",
        if input.test.is_empty() {
            "(not given)"
        } else {
            &input.test
        }
    );
    let mut header = vec![
        format!("verimeter explain — {}, line {line}", file.display()),
        group.clone(),
        profile.clone(),
    ];
    if let Some(d) = &report.decision {
        header.push(d.headline());
    }
    let mut steps = vec![where_step(file, line, group, profile)];
    let summary = report.vehicles.iter().find(|v| v.vehicle == input.vehicle);
    let mut exit = 1;
    match &row.outcome {
        Ok(r) => {
            steps.extend(explain_meter_test(r));
            exit = i32::from(!passes(r.verdict));
        }
        Err(e) => steps.push(step(
            "row error: the row cannot be judged",
            "",
            format!("cells: {}", cells(&report.header, &input.fields)),
            format!("line {line}: {e}"),
            "",
        )),
    }
    if let Some(v) = summary {
        steps.push(step(
            &format!("verdict of vehicle {vehicle}"),
            "the worst of its tests: fail > conditional-fail > incomplete > conditional-pass \
             > pass (an unusable row: incomplete)",
            if v.reasons.is_empty() {
                format!(
                    "every test passes ({} distance, {} time)",
                    v.tests.0, v.tests.1
                )
            } else {
                reasons_list(&v.reasons)
            },
            v.verdict.as_str().into(),
            &format!(
                "{} v{}, stage {}",
                report.profile.id, report.profile.version, report.stage.name
            ),
        ));
        if let Some(c) = &v.calibration {
            let k = match (c.k_old_per_km, c.k_new_per_km) {
                (Some(old), Some(new)) => {
                    format!("k = {} × {} = {} /km", n(old), p(c.k_factor), p(new))
                }
                _ => format!("multiply k by {}", p(c.k_factor)),
            };
            steps.push(step(
                &format!("calibration suggestion for vehicle {vehicle}"),
                "k_new = k · (1 + δ) / (1 + δ_target), δ = mean distance error",
                format!(
                    "(1 + {} %) / (1 + {} %) = {}, over {} distance test(s)",
                    pp(c.measured_error_pct),
                    pp(c.target_error_pct),
                    p(c.k_factor),
                    c.distance_tests
                ),
                k,
                &c.target_source,
            ));
        }
        exit = exit.max(i32::from(!passes(v.verdict)));
    }
    Explanation {
        header,
        steps,
        exit,
    }
    .print(format)
}
