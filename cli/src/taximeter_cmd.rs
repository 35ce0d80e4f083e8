//! `verimeter taximeter`: load the profile, read the tests, judge each with the library,
//! summarise each vehicle (worst verdict, reasons, k calibration suggestion), hand the report
//! to an output format.

use serde::Serialize;
use verimeter::taximeter::{
    apply_decision, calibrate_for_stage, evaluate_bench_distance, evaluate_test, Measured,
    MeterTestResult, TaximeterProfile, TaximeterStage, TestKind,
};
use verimeter::uncertainty::{Expanded, TaximeterBudgetSpec};
use verimeter::{Error, Verdict};

use crate::args::{Format, TaximeterArgs};
use crate::decide::{self, Decision};
use crate::output::pct;
use crate::tally::{exit_code, Tally};
use crate::taximeter_input::{describe, read_tests, InputRow, TestInput};
use crate::taximeter_out;

/// One judged (or unusable) row of the input.
#[derive(Debug)]
pub struct Row {
    /// The input row, as read.
    pub input: InputRow,
    /// The library's judgement, or why the row is not usable.
    pub outcome: Result<MeterTestResult, Error>,
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

/// A suggestion for re-calibrating k from a vehicle's distance tests.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationSuggestion {
    /// The mean distance error δ of the vehicle's usable distance tests, %.
    pub measured_error_pct: f64,
    /// How many distance tests the mean is over.
    pub distance_tests: usize,
    /// The error aimed at, % (the stage's calibration target).
    pub target_error_pct: f64,
    /// Where the target comes from.
    pub target_source: String,
    /// k now, signals per km (from the k column), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k_old_per_km: Option<f64>,
    /// k after adjustment, signals per km, when k was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k_new_per_km: Option<f64>,
    /// k_new / k_old = (1 + δ)/(1 + δ_target): multiply the meter's k by this.
    pub k_factor: f64,
}

/// One vehicle: the worst verdict of its tests, the reasons, a calibration suggestion.
#[derive(Debug, Clone)]
pub struct VehicleSummary {
    /// The vehicle id.
    pub vehicle: String,
    /// pass, conditional-pass, incomplete, conditional-fail or fail.
    pub verdict: Verdict,
    /// Usable distance and time tests.
    pub tests: (usize, usize),
    /// Why the verdict is not pass (one line per row concerned).
    pub reasons: Vec<String>,
    /// Where the stage has a calibration target and the vehicle distance tests.
    pub calibration: Option<CalibrationSuggestion>,
}

/// Counts for the summary line and the JSON `summary` object: rows = rows_pass +
/// rows_conditional_pass + rows_conditional_fail + rows_fail + rows_error; vehicles =
/// vehicles_pass + vehicles_conditional_pass + vehicles_conditional_fail + vehicles_fail +
/// vehicles_incomplete.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Counts {
    /// Data rows.
    pub rows: usize,
    /// Rows judged pass.
    pub rows_pass: usize,
    /// Rows judged conditional-pass.
    pub rows_conditional_pass: usize,
    /// Rows judged conditional-fail.
    pub rows_conditional_fail: usize,
    /// Rows judged fail.
    pub rows_fail: usize,
    /// Rows that could not be judged.
    pub rows_error: usize,
    /// Vehicles.
    pub vehicles: usize,
    /// Vehicles that pass.
    pub vehicles_pass: usize,
    /// Vehicles that pass conditionally.
    pub vehicles_conditional_pass: usize,
    /// Vehicles that fail conditionally.
    pub vehicles_conditional_fail: usize,
    /// Vehicles that fail.
    pub vehicles_fail: usize,
    /// Vehicles that are incomplete.
    pub vehicles_incomplete: usize,
}

/// Everything an output format needs.
#[derive(Debug)]
pub struct Report<'a> {
    /// The profile judged against.
    pub profile: &'a TaximeterProfile,
    /// The stage judged against.
    pub stage: &'a TaximeterStage,
    /// The input header, as written.
    pub header: Vec<String>,
    /// Extra (echoed) columns: index and name.
    pub extra: Vec<(usize, String)>,
    /// One entry per data row, in input order.
    pub rows: Vec<Row>,
    /// One entry per vehicle, in first-appearance order.
    pub vehicles: Vec<VehicleSummary>,
    /// The row verdict counts.
    pub row_tally: Tally,
    /// The vehicle verdict counts.
    pub vehicle_tally: Tally,
    /// The decision rule, when U is weighed or shown.
    pub decision: Option<Decision<TaximeterBudgetSpec>>,
}

impl Report<'_> {
    /// 0 when every vehicle passes (conditionally or not) and no row is an error, else 1.
    pub fn exit_code(&self) -> i32 {
        exit_code(&self.row_tally, &self.vehicle_tally)
    }

    /// The JSON `summary` object.
    pub fn counts(&self) -> Counts {
        let (r, v) = (&self.row_tally, &self.vehicle_tally);
        Counts {
            rows: r.total,
            rows_pass: r.pass,
            rows_conditional_pass: r.conditional_pass,
            rows_conditional_fail: r.conditional_fail,
            rows_fail: r.fail,
            rows_error: r.other,
            vehicles: v.total,
            vehicles_pass: v.pass,
            vehicles_conditional_pass: v.conditional_pass,
            vehicles_conditional_fail: v.conditional_fail,
            vehicles_fail: v.fail,
            vehicles_incomplete: v.other,
        }
    }
}

/// Where the default taximeter budget comes from, in words.
const DEFAULT_BUDGET: &str = "the default budget (TaximeterBudgetSpec::default(): reference \
distance ±0.3 %, distance display step 100 m, stopwatch ±0.1 s/h, reaction ±0.2 s, time \
display step 1 s, p = 95.45 %)";

/// Runs the command; returns the exit status (0 or 1) or a fatal message.
pub fn run(args: &TaximeterArgs) -> Result<i32, String> {
    evaluate(args, |report| {
        if let Some(line) = args.explain {
            let format = crate::explain_cmd::ExplainFormat::from(args.format);
            return crate::explain_cmd::taximeter(report, &args.file, line, format);
        }
        let text = match args.format {
            Format::Table => taximeter_out::table(report).into_bytes(),
            Format::Json => taximeter_out::json(report).into_bytes(),
            Format::Csv => {
                taximeter_out::csv(report).map_err(|e| format!("cannot write CSV: {e}"))?
            }
            Format::Jsonl => return Err(crate::jsonl_out::DISPENSER_ONLY.into()),
        };
        crate::write_stdout(&text)?;
        Ok(report.exit_code())
    })
}

/// Reads and judges the file of `args` (profile, stage, decision rule, rows, vehicles) and
/// hands the report to `then` (an output format, `explain`, `report`).
pub fn evaluate<T>(
    args: &TaximeterArgs,
    then: impl FnOnce(&Report) -> Result<T, String>,
) -> Result<T, String> {
    let profile = load_profile(args)?;
    let stage = profile
        .stage(args.stage.as_deref())
        .map_err(|e| e.to_string())?;
    let file = crate::csvread::with_input(&args.file, read_tests)?;
    let decision = decide::setup(
        &args.decision,
        file.columns.has_uncertainty(),
        DEFAULT_BUDGET,
        |s: &TaximeterBudgetSpec| {
            s.distance_budget(1000.0)?;
            s.time_budget(60.0).map(|_| ())
        },
    )?;
    if file.rows.is_empty() {
        eprintln!("verimeter: warning: the input has a header but no data rows");
    }
    let rows: Vec<Row> = file
        .rows
        .into_iter()
        .map(|input| {
            let outcome = match &input.test_input {
                Ok(t) => judge(&profile, stage, t, &input, decision.as_ref()).map_err(|e| {
                    Error::Unreadable {
                        reason: describe(&e, &input),
                    }
                }),
                Err(e) => Err(e.clone()),
            };
            Row { input, outcome }
        })
        .collect();
    let vehicles = summarize(stage, &rows);
    let row_tally = Tally::of(
        rows.iter()
            .map(|r| r.outcome.as_ref().ok().map(|t| t.verdict)),
    );
    let vehicle_tally = Tally::of(vehicles.iter().map(|v| Some(v.verdict)));
    let report = Report {
        profile: &profile,
        stage,
        header: file.header,
        extra: file.columns.extra,
        rows,
        vehicles,
        row_tally,
        vehicle_tally,
        decision,
    };
    then(&report)
}

/// Judges one test, and re-judges it under the decision rule when one applies.
fn judge(
    profile: &TaximeterProfile,
    stage: &TaximeterStage,
    test: &TestInput,
    input: &InputRow,
    decision: Option<&Decision<TaximeterBudgetSpec>>,
) -> Result<MeterTestResult, Error> {
    let mut r = match test {
        TestInput::Direct(t) => evaluate_test(profile, stage, t)?,
        TestInput::Bench(b) => evaluate_bench_distance(profile, stage, b)?,
    };
    if let Some(d) = decision {
        let (u, name) = test_u(&d.spec, input, &r)?;
        apply_decision(&mut r, u, d.rule, &name)?;
    }
    Ok(r)
}

/// U of one test's error: the `expanded_uncertainty_pct` cell, or the budget of its kind at
/// its reference (metres or seconds).
fn test_u(
    spec: &TaximeterBudgetSpec,
    input: &InputRow,
    r: &MeterTestResult,
) -> Result<(Expanded, String), Error> {
    if let Some((u, k)) = input.expanded_uncertainty_pct {
        let e = decide::direct_u(u, k, spec.coverage_probability)?;
        return Ok((e, "expanded_uncertainty_pct column".into()));
    }
    let budget = match r.kind {
        TestKind::Time => spec.time_budget(r.reference)?,
        _ => spec.distance_budget(r.reference)?,
    };
    Ok((budget.expanded, budget.name))
}

/// The built-in profile named by `--profile`, or the file given by `--profile-file`.
fn load_profile(args: &TaximeterArgs) -> Result<TaximeterProfile, String> {
    match &args.profile_file {
        Some(path) => {
            let text = crate::profiles_cmd::read_profile_file(path, "taximeter")?;
            TaximeterProfile::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => TaximeterProfile::builtin(&args.profile).map_err(|e| e.to_string()),
    }
}

/// Groups rows by vehicle (first-appearance order; rows with no vehicle id belong to none)
/// and summarises each.
fn summarize(stage: &TaximeterStage, rows: &[Row]) -> Vec<VehicleSummary> {
    let mut order: Vec<(&str, Vec<&Row>)> = Vec::new();
    for row in rows.iter().filter(|r| !r.input.vehicle.is_empty()) {
        match order.iter_mut().find(|(v, _)| *v == row.input.vehicle) {
            Some((_, v)) => v.push(row),
            None => order.push((&row.input.vehicle, vec![row])),
        }
    }
    order
        .into_iter()
        .map(|(vehicle, rows)| vehicle_summary(stage, vehicle, &rows))
        .collect()
}

/// A vehicle's verdict is the worst of its rows' (an unusable row: incomplete).
fn vehicle_summary(stage: &TaximeterStage, vehicle: &str, rows: &[&Row]) -> VehicleSummary {
    let mut verdict = Verdict::Pass;
    let mut reasons = Vec::new();
    let mut distance = Vec::new();
    let mut k = None;
    let mut times = 0;
    for row in rows {
        let line = row.input.line;
        match &row.outcome {
            Ok(r) => {
                verdict = verdict.worst(r.verdict);
                if r.verdict != Verdict::Pass {
                    reasons.push(reason(line, r));
                }
                if r.kind == TestKind::Distance {
                    distance.push(r.error_pct);
                    k = k.or(row.input.k);
                } else {
                    times += 1;
                }
            }
            Err(e) => {
                verdict = verdict.worst(Verdict::Incomplete);
                reasons.push(format!("line {line}: test not usable: {e}"));
            }
        }
    }
    let calibration = match calibration(stage, &distance, k) {
        Ok(c) => c,
        Err(e) => {
            reasons.push(format!("calibration of k not computed: {e}"));
            None
        }
    };
    VehicleSummary {
        vehicle: vehicle.to_string(),
        verdict,
        tests: (distance.len(), times),
        reasons,
        calibration,
    }
}

/// Why one judged test is not a plain pass.
fn reason(line: u64, r: &MeterTestResult) -> String {
    let head = format!(
        "line {line}: {} error {:+.3} % (judged {})",
        r.kind,
        r.error_pct,
        pct(r.judged_error_pct)
    );
    let limits = format!(
        "{} % … {} %",
        pct(r.limits_pct.lower),
        pct(r.limits_pct.upper)
    );
    match &r.decision {
        Some(d) => format!(
            "{head} is {} under the {} rule: limits {limits}, U = {:.3} %, guard band {:.3} % ({})",
            r.verdict, d.rule, d.expanded_uncertainty_pct, d.guard_band_pct, r.clause
        ),
        None => format!("{head} outside {limits} ({})", r.clause),
    }
}

/// The k suggestion from the mean distance error, when the stage has a calibration target
/// and the vehicle distance tests: k_new for a given k, else the factor to apply to k.
fn calibration(
    stage: &TaximeterStage,
    distance_errors: &[f64],
    k: Option<f64>,
) -> Result<Option<CalibrationSuggestion>, Error> {
    if stage.calibration_target_pct.is_none() || distance_errors.is_empty() {
        return Ok(None);
    }
    let n = distance_errors.len();
    let mean = distance_errors.iter().sum::<f64>() / n as f64;
    let c = calibrate_for_stage(stage, k.unwrap_or(1.0), Measured::ErrorPct(mean), None)?;
    Ok(Some(CalibrationSuggestion {
        measured_error_pct: mean,
        distance_tests: n,
        target_error_pct: c.target_error_pct,
        target_source: c.target_source,
        k_old_per_km: k,
        k_new_per_km: k.map(|_| c.k_new_per_km),
        k_factor: c.k_new_per_km / c.k_old_per_km,
    }))
}
