//! `verimeter dispenser`: load the profile, read the draws, judge each with the library,
//! summarise each nozzle with the library, hand the report to an output format.

use verimeter::dispenser::{
    apply_decision, evaluate_draw, summarize_nozzle, Draw, DrawResult, NozzleSummary, Substance,
};
use verimeter::profile::{DispenserProfile, DispenserStage};
use verimeter::uncertainty::{DispenserBudgetSpec, Expanded};
use verimeter::Error;

use crate::args::{DispenserArgs, Format};
use crate::decide::{self, Decision};
use crate::input::{describe, InputRow, UncertaintyCells};
use crate::output;
use crate::tally::{exit_code, Tally};

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

/// Counts for the summary line and the JSON `summary` object:
/// rows = rows_pass + rows_conditional_pass + rows_conditional_fail + rows_fail + rows_error,
/// nozzles = nozzles_pass + nozzles_conditional_pass + nozzles_conditional_fail +
/// nozzles_fail + nozzles_incomplete.
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
    /// Rows judged conditional-pass (non-binary decision rule; always present, 0 otherwise).
    pub rows_conditional_pass: usize,
    /// Rows judged conditional-fail.
    pub rows_conditional_fail: usize,
    /// Nozzles judged conditional-pass.
    pub nozzles_conditional_pass: usize,
    /// Nozzles judged conditional-fail.
    pub nozzles_conditional_fail: usize,
}

impl Counts {
    fn new(rows: &Tally, nozzles: &Tally) -> Self {
        Self {
            rows: rows.total,
            rows_pass: rows.pass,
            rows_fail: rows.fail,
            rows_error: rows.other,
            nozzles: nozzles.total,
            nozzles_pass: nozzles.pass,
            nozzles_fail: nozzles.fail,
            nozzles_incomplete: nozzles.other,
            rows_conditional_pass: rows.conditional_pass,
            rows_conditional_fail: rows.conditional_fail,
            nozzles_conditional_pass: nozzles.conditional_pass,
            nozzles_conditional_fail: nozzles.conditional_fail,
        }
    }
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
    /// The row verdict counts.
    pub row_tally: Tally,
    /// The nozzle verdict counts.
    pub nozzle_tally: Tally,
    /// The counts.
    pub counts: Counts,
    /// The decision rule, when U is weighed or shown.
    pub decision: Option<Decision<DispenserBudgetSpec>>,
}

impl Report<'_> {
    /// 0 when every nozzle passes (conditionally or not) and no row is an error, else 1.
    pub fn exit_code(&self) -> i32 {
        exit_code(&self.row_tally, &self.nozzle_tally)
    }
}

/// Where the default dispenser budget comes from, in words.
const DEFAULT_BUDGET: &str = "the default budget (DispenserBudgetSpec::default(): third-class \
can U_rel 4e-4 at k = 2, 0.01 L can and dispenser resolution, ±0.1 °C thermometers, p = 95.45 %)";

/// A fatal problem: the message for stderr; the exit status is 2.
pub type Fatal = String;

/// Runs the command; returns the exit status (0 or 1) or a fatal message.
pub fn run(args: &DispenserArgs) -> Result<i32, Fatal> {
    evaluate(args, |report| {
        if let Some(line) = args.explain {
            let format = crate::explain_cmd::ExplainFormat::from(args.format);
            return crate::explain_cmd::dispenser(report, &args.file, line, format);
        }
        let text = match args.format {
            Format::Table => output::table(report).into_bytes(),
            Format::Json => output::json(report).into_bytes(),
            Format::Csv => {
                crate::jsonl_out::to_stdout(|w| {
                    output::csv_to(report, w)
                        .map(drop)
                        .map_err(std::io::Error::from)
                })?;
                return Ok(report.exit_code());
            }
            Format::Jsonl => {
                crate::jsonl_out::write_stdout(report)?;
                return Ok(report.exit_code());
            }
        };
        crate::write_stdout(&text)?;
        Ok(report.exit_code())
    })
}

/// Reads and judges the file of `args` (profile, stage, decision rule, rows, nozzles) and
/// hands the report to `then` (an output format, `explain`, `report`).
pub fn evaluate<T>(
    args: &DispenserArgs,
    then: impl FnOnce(&Report) -> Result<T, Fatal>,
) -> Result<T, Fatal> {
    let profile = load_profile(args)?;
    let stage = profile
        .stage(args.stage.as_deref())
        .map_err(|e| e.to_string())?;
    let input_format = crate::json_in::InputFormat::detect(args.input_format, &args.file);
    let file = crate::csvread::with_input(&args.file, |r| crate::json_in::read(r, input_format))?;
    let decision = decide::setup(
        &args.decision,
        file.columns.has_uncertainty(),
        DEFAULT_BUDGET,
        |s: &DispenserBudgetSpec| s.budget(20.0, 12e-4, 0.0).map(|_| ()),
    )?;
    if file.rows.is_empty() && !args.quiet {
        eprintln!("verimeter: warning: the input has a header but no data rows");
    }
    let rows: Vec<Row> = file
        .rows
        .into_iter()
        .map(|input| {
            let outcome = match &input.draw {
                Ok(d) => evaluate_draw(&profile, stage, d)
                    .and_then(|mut r| {
                        if let Some(dec) = &decision {
                            let (u, name) = draw_u(&dec.spec, &input.uncertainty, &r, d, &profile)?;
                            apply_decision(&mut r, u, dec.rule, &name)?;
                        }
                        Ok(r)
                    })
                    .map_err(|e| Error::Unreadable {
                        reason: describe(&e, &file.columns, &input.fields),
                    }),
                Err(e) => Err(e.clone()),
            };
            Row { input, outcome }
        })
        .collect();
    let nozzles = summarize(&profile, stage, &rows);
    let row_tally = Tally::of(
        rows.iter()
            .map(|r| r.outcome.as_ref().ok().map(|d| d.verdict)),
    );
    let nozzle_tally = Tally::of(nozzles.iter().map(|(_, s)| Some(s.verdict)));
    let report = Report {
        profile: &profile,
        stage,
        header: file.header,
        extra: file.columns.extra,
        rows,
        nozzles,
        counts: Counts::new(&row_tally, &nozzle_tally),
        row_tally,
        nozzle_tally,
        decision,
    };
    then(&report)
}

/// The built-in profile named by `--profile`, or the file given by `--profile-file`.
fn load_profile(args: &DispenserArgs) -> Result<DispenserProfile, Fatal> {
    match &args.profile_file {
        Some(path) => {
            let text = crate::profiles_cmd::read_profile_file(path, "dispenser")?;
            DispenserProfile::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => DispenserProfile::builtin(&args.profile).map_err(|e| e.to_string()),
    }
}

/// Groups rows by nozzle (first-appearance order) and lets the library judge each nozzle.
/// Unusable rows go in as `Err`, so that they make their nozzle incomplete; rows with no
/// nozzle id belong to no nozzle.
fn summarize(
    profile: &DispenserProfile,
    stage: &DispenserStage,
    rows: &[Row],
) -> Vec<(String, NozzleSummary)> {
    // An index by id keeps this linear: a linear search per row is quadratic in the number of
    // nozzles (a 10 M-row log has ~830 000).
    let mut order: Vec<(&str, Vec<&Row>)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for row in rows.iter().filter(|r| !r.input.nozzle.is_empty()) {
        let id = row.input.nozzle.as_str();
        match index.get(id) {
            Some(&k) => order[k].1.push(row),
            None => {
                index.insert(id, order.len());
                order.push((id, vec![row]));
            }
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

/// U of one draw's error: the `expanded_uncertainty_pct` cell, or the budget (the spec with
/// the row's overrides) at the draw's V_Bt, the fuel's β and t_J − t_B. Without temperatures
/// dt = 0, and β is the named fuel's (0 when no fuel is named: no thermal lines).
fn draw_u(
    spec: &DispenserBudgetSpec,
    cells: &UncertaintyCells,
    r: &DrawResult,
    draw: &Draw,
    profile: &DispenserProfile,
) -> Result<(Expanded, String), Error> {
    if let Some(u) = cells.expanded_uncertainty_pct {
        let e = decide::direct_u(u, cells.coverage_factor, spec.coverage_probability)?;
        return Ok((e, "expanded_uncertainty_pct column".into()));
    }
    let mut spec = spec.clone();
    let mut overridden = Vec::new();
    for (name, cell, field) in [
        ("can_u_rel", cells.can_u_rel, &mut spec.can_relative_u),
        ("can_k", cells.can_k, &mut spec.can_k),
        (
            "can_resolution_l",
            cells.can_resolution_l,
            &mut spec.can_resolution_l,
        ),
        (
            "dispenser_resolution_l",
            cells.dispenser_resolution_l,
            &mut spec.dispenser_resolution_l,
        ),
        (
            "thermometer_error_c",
            cells.thermometer_error_c,
            &mut spec.thermometer_error_c,
        ),
    ] {
        if let Some(v) = cell {
            *field = if name == "can_k" {
                decide::positive(name, v)?
            } else {
                decide::non_negative(name, v)?
            };
            overridden.push(format!("{name} = {v}"));
        }
    }
    let (beta, dt) = match &r.correction {
        Some(c) => (c.beta_fuel_per_c, c.dispenser_temp_c - c.can_temp_c),
        None => {
            let beta = match &draw.fuel {
                Some(Substance::Coefficient(b)) => *b,
                Some(Substance::Named(n)) => profile.thermal.fuel(n).map_or(0.0, |e| e.beta_per_c),
                None => 0.0,
            };
            (beta, 0.0)
        }
    };
    let budget = spec.budget(r.corrected_standard_l, beta, dt)?;
    let mut name = budget.name;
    if !overridden.is_empty() {
        name = format!("{name}; per row: {}", overridden.join(", "));
    }
    Ok((budget.expanded, name))
}
