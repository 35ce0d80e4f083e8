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

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

use crate::args::{Format, TaximeterArgs};
use crate::decide::{self, Decision};
use crate::input::Flow;
use crate::json_out::JsonWriter;
use crate::output::pct;
use crate::tally::{exit_code, Tally};
use crate::taximeter_input::{describe, stream_tests, Columns, InputRow, TestInput, TestSink};
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
}

/// Where the default taximeter budget comes from, in words.
const DEFAULT_BUDGET: &str = "the default budget (TaximeterBudgetSpec::default(): reference \
distance ±0.3 %, distance display step 100 m, stopwatch ±0.1 s/h, reaction ±0.2 s, time \
display step 1 s, p = 95.45 %)";

/// Runs the command; returns the exit status (0 or 1) or a fatal message.
///
/// `--format csv` and `json` stream: each row is read, judged and written before the next
/// is read, and only a small accumulator per vehicle is kept (the vehicles are written after
/// the rows). `--format table` and `--explain` keep every row ([`evaluate`]).
pub fn run(args: &TaximeterArgs) -> Result<i32, String> {
    if args.explain.is_some() || matches!(args.format, Format::Table | Format::Jsonl) {
        return evaluate(args, |report| {
            if let Some(line) = args.explain {
                let format = crate::explain_cmd::ExplainFormat::from(args.format);
                return crate::explain_cmd::taximeter(report, &args.file, line, format);
            }
            if args.format == Format::Jsonl {
                return Err(crate::jsonl_out::DISPENSER_ONLY.into());
            }
            crate::write_stdout(taximeter_out::table(report).as_bytes())?;
            Ok(report.exit_code())
        });
    }
    let profile = load_profile(args)?;
    let stage = profile
        .stage(args.stage.as_deref())
        .map_err(|e| e.to_string())?;
    let stdout = io::stdout();
    let w = BufWriter::with_capacity(1 << 16, stdout.lock());
    let out: Box<dyn Out + '_> = match args.format {
        Format::Csv => Box::new(CsvOut(csv::Writer::from_writer(w))),
        _ => Box::new(JsonOut(w, JsonWriter::default(), false)),
    };
    let judged = judge_file(args, &profile, stage, Writing { out, closed: false })?;
    Ok(exit_code(&judged.row_tally, &judged.vehicle_tally))
}

/// Reads and judges the file of `args` (profile, stage, decision rule, rows, vehicles) and
/// hands the report to `then` (the table, `explain`, `report`): every row is kept.
pub fn evaluate<T>(
    args: &TaximeterArgs,
    then: impl FnOnce(&Report) -> Result<T, String>,
) -> Result<T, String> {
    let profile = load_profile(args)?;
    let stage = profile
        .stage(args.stage.as_deref())
        .map_err(|e| e.to_string())?;
    let judged = judge_file(args, &profile, stage, Collect::default())?;
    let Judged {
        head,
        row_tally,
        vehicle_tally,
        out: Collect { rows, vehicles },
    } = judged;
    let report = Report {
        profile: &profile,
        stage,
        header: head.header,
        rows,
        vehicles,
        row_tally,
        vehicle_tally,
        decision: head.decision,
    };
    then(&report)
}

/// What is known once the header is read.
pub struct Head {
    /// The input header, as written.
    pub header: Vec<String>,
    /// The column map (with the extra, echoed columns).
    pub columns: Columns,
    /// The decision rule, when U is weighed or shown.
    pub decision: Option<Decision<TaximeterBudgetSpec>>,
}

/// What the outputs see.
pub struct Ctx<'a> {
    /// The profile judged against.
    pub profile: &'a TaximeterProfile,
    /// The stage judged against.
    pub stage: &'a TaximeterStage,
    /// The header, columns and decision rule.
    pub head: &'a Head,
}

/// Where the judged rows, then the vehicles, then the counts go.
trait Out {
    fn start(&mut self, ctx: &Ctx) -> io::Result<()>;
    fn row(&mut self, ctx: &Ctx, row: Row) -> io::Result<()>;
    fn vehicle(&mut self, ctx: &Ctx, v: VehicleSummary) -> io::Result<()>;
    fn finish(&mut self, ctx: &Ctx, counts: Counts) -> io::Result<()>;
}

/// Keeps everything, for the table, `explain` and `report`.
#[derive(Default)]
struct Collect {
    rows: Vec<Row>,
    vehicles: Vec<VehicleSummary>,
}

impl Out for Collect {
    fn start(&mut self, _: &Ctx) -> io::Result<()> {
        Ok(())
    }
    fn row(&mut self, _: &Ctx, row: Row) -> io::Result<()> {
        self.rows.push(row);
        Ok(())
    }
    fn vehicle(&mut self, _: &Ctx, v: VehicleSummary) -> io::Result<()> {
        self.vehicles.push(v);
        Ok(())
    }
    fn finish(&mut self, _: &Ctx, _: Counts) -> io::Result<()> {
        Ok(())
    }
}

type Stdout<'a> = BufWriter<io::StdoutLock<'a>>;

/// `--format csv`: the header, then a row per input row (no vehicles).
struct CsvOut<'a>(csv::Writer<Stdout<'a>>);

impl Out for CsvOut<'_> {
    fn start(&mut self, ctx: &Ctx) -> io::Result<()> {
        taximeter_out::csv_head(&mut self.0, &ctx.head.header, ctx.head.decision.is_some())
            .map_err(crate::csv_io)
    }
    fn row(&mut self, ctx: &Ctx, row: Row) -> io::Result<()> {
        taximeter_out::csv_row(&mut self.0, &row, ctx.head.decision.is_some())
            .map_err(crate::csv_io)
    }
    fn vehicle(&mut self, _: &Ctx, _: VehicleSummary) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: &Ctx, _: Counts) -> io::Result<()> {
        self.0.flush()
    }
}

/// `--format json`, written as it goes; the flag: the `vehicles` list is open.
struct JsonOut<'a>(Stdout<'a>, JsonWriter, bool);

impl JsonOut<'_> {
    fn open_vehicles(&mut self) -> io::Result<()> {
        if !self.2 {
            self.2 = true;
            self.1.list(&mut self.0, "vehicles")?;
        }
        Ok(())
    }
}

impl Out for JsonOut<'_> {
    fn start(&mut self, ctx: &Ctx) -> io::Result<()> {
        let profile = taximeter_out::profile_info(ctx.profile, ctx.stage);
        self.1.field(&mut self.0, "profile", &profile)?;
        if let Some(d) = &ctx.head.decision {
            self.1.field(&mut self.0, "decision_rule", &d.json())?;
        }
        self.1.list(&mut self.0, "rows")
    }
    fn row(&mut self, ctx: &Ctx, row: Row) -> io::Result<()> {
        self.1.item(
            &mut self.0,
            &taximeter_out::row(&ctx.head.columns.extra, &row),
        )
    }
    fn vehicle(&mut self, _: &Ctx, v: VehicleSummary) -> io::Result<()> {
        self.open_vehicles()?;
        self.1.item(&mut self.0, &taximeter_out::vehicle(&v))
    }
    fn finish(&mut self, _: &Ctx, counts: Counts) -> io::Result<()> {
        self.open_vehicles()?;
        self.1.finish(&mut self.0, "summary", &counts)?;
        self.0.flush()
    }
}

/// An output to standard output: a closed pipe ends the writing quietly (the rows are still
/// judged, so that the exit status is that of the whole file).
struct Writing<'a> {
    out: Box<dyn Out + 'a>,
    closed: bool,
}

impl Writing<'_> {
    fn on(&mut self, f: impl FnOnce(&mut dyn Out) -> io::Result<()>) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match f(&mut *self.out) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

impl Out for Writing<'_> {
    fn start(&mut self, ctx: &Ctx) -> io::Result<()> {
        self.on(|o| o.start(ctx))
    }
    fn row(&mut self, ctx: &Ctx, row: Row) -> io::Result<()> {
        self.on(|o| o.row(ctx, row))
    }
    fn vehicle(&mut self, ctx: &Ctx, v: VehicleSummary) -> io::Result<()> {
        self.on(|o| o.vehicle(ctx, v))
    }
    fn finish(&mut self, ctx: &Ctx, counts: Counts) -> io::Result<()> {
        self.on(|o| o.finish(ctx, counts))
    }
}

/// The outcome of [`judge_file`].
struct Judged<O> {
    head: Head,
    row_tally: Tally,
    vehicle_tally: Tally,
    out: O,
}

/// Reads the input row by row: judges each row, adds it to its vehicle's accumulator and
/// hands it to `out`; then the vehicles (first-appearance order), then the counts.
fn judge_file<O: Out>(
    args: &TaximeterArgs,
    profile: &TaximeterProfile,
    stage: &TaximeterStage,
    out: O,
) -> Result<Judged<O>, String> {
    let mut sink = Judge {
        args,
        profile,
        stage,
        head: None,
        vehicles: Vec::new(),
        index: HashMap::new(),
        row_tally: Tally::default(),
        out,
    };
    // The rows stream to stdout unless the table or --explain keeps them (see `run`).
    let streams = args.explain.is_none() && matches!(args.format, Format::Csv | Format::Json);
    let progress = crate::progress::wanted(args.quiet, streams);
    crate::csvread::with_input(&args.file, progress, |r| stream_tests(r, &mut sink))??;
    let Judge {
        head,
        vehicles,
        index,
        row_tally,
        mut out,
        ..
    } = sink;
    let head = head.ok_or("the input has no header")?;
    drop(index);
    if row_tally.total == 0 && !args.quiet {
        eprintln!("verimeter: warning: the input has a header but no data rows");
    }
    let ctx = Ctx {
        profile,
        stage,
        head: &head,
    };
    let write_error = |e: io::Error| format!("cannot write the output: {e}");
    let mut vehicle_tally = Tally::default();
    for (name, acc) in vehicles {
        let v = acc.finish(stage, name);
        vehicle_tally.add(Some(v.verdict));
        out.vehicle(&ctx, v).map_err(write_error)?;
    }
    let counts = counts(&row_tally, &vehicle_tally);
    out.finish(&ctx, counts).map_err(write_error)?;
    Ok(Judged {
        head,
        row_tally,
        vehicle_tally,
        out,
    })
}

/// The [`TestSink`] of [`judge_file`].
struct Judge<'a, O> {
    args: &'a TaximeterArgs,
    profile: &'a TaximeterProfile,
    stage: &'a TaximeterStage,
    head: Option<Head>,
    /// One accumulator per vehicle, in first-appearance order, and an index by id.
    vehicles: Vec<(String, VehicleAccumulator)>,
    index: HashMap<String, usize>,
    row_tally: Tally,
    out: O,
}

impl<O: Out> TestSink for Judge<'_, O> {
    fn start(&mut self, header: Vec<String>, columns: Columns) -> Flow {
        let decision = decide::setup(
            &self.args.decision,
            columns.has_uncertainty(),
            DEFAULT_BUDGET,
            |s: &TaximeterBudgetSpec| {
                s.distance_budget(1000.0)?;
                s.time_budget(60.0).map(|_| ())
            },
        )?;
        let head = self.head.insert(Head {
            header,
            columns,
            decision,
        });
        let ctx = Ctx {
            profile: self.profile,
            stage: self.stage,
            head,
        };
        self.out
            .start(&ctx)
            .map_err(|e| format!("cannot write the output: {e}"))
    }

    fn row(&mut self, input: InputRow) -> Flow {
        let Some(head) = &self.head else {
            return Err("a row before the header".into());
        };
        let (profile, stage) = (self.profile, self.stage);
        let outcome = match &input.test_input {
            Ok(t) => judge(profile, stage, t, &input, head.decision.as_ref()).map_err(|e| {
                Error::Unreadable {
                    reason: describe(&e, &input),
                }
            }),
            Err(e) => Err(e.clone()),
        };
        let row = Row { input, outcome };
        self.row_tally
            .add(row.outcome.as_ref().ok().map(|t| t.verdict));
        // Rows with no vehicle id belong to no vehicle.
        let id = row.input.vehicle.as_str();
        if !id.is_empty() {
            let k = match self.index.get(id) {
                Some(&k) => k,
                None => {
                    self.index.insert(id.to_string(), self.vehicles.len());
                    self.vehicles
                        .push((id.to_string(), VehicleAccumulator::new()));
                    self.vehicles.len() - 1
                }
            };
            self.vehicles[k].1.push(&row);
        }
        let ctx = Ctx {
            profile,
            stage,
            head,
        };
        self.out
            .row(&ctx, row)
            .map_err(|e| format!("cannot write the output: {e}"))
    }
}

/// The JSON `summary` object from the row and vehicle counts.
fn counts(r: &Tally, v: &Tally) -> Counts {
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

/// A vehicle's summary built row by row: its verdict is the worst of its rows' (an unusable
/// row: incomplete); the calibration needs only the count and sum of the distance errors.
struct VehicleAccumulator {
    verdict: Verdict,
    reasons: Vec<String>,
    /// Usable distance tests and the sum of their errors (in row order, from where
    /// `Iterator::sum` starts, so the mean is that of a sum over kept errors).
    distance: (usize, f64),
    k: Option<f64>,
    times: usize,
}

impl VehicleAccumulator {
    fn new() -> Self {
        Self {
            verdict: Verdict::Pass,
            reasons: Vec::new(),
            distance: (0, std::iter::empty::<f64>().sum()),
            k: None,
            times: 0,
        }
    }

    fn push(&mut self, row: &Row) {
        let line = row.input.line;
        match &row.outcome {
            Ok(r) => {
                self.verdict = self.verdict.worst(r.verdict);
                if r.verdict != Verdict::Pass {
                    self.reasons.push(reason(line, r));
                }
                if r.kind == TestKind::Distance {
                    self.distance.0 += 1;
                    self.distance.1 += r.error_pct;
                    self.k = self.k.or(row.input.k);
                } else {
                    self.times += 1;
                }
            }
            Err(e) => {
                self.verdict = self.verdict.worst(Verdict::Incomplete);
                self.reasons
                    .push(format!("line {line}: test not usable: {e}"));
            }
        }
    }

    fn finish(mut self, stage: &TaximeterStage, vehicle: String) -> VehicleSummary {
        let calibration = match calibration(stage, self.distance, self.k) {
            Ok(c) => c,
            Err(e) => {
                self.reasons
                    .push(format!("calibration of k not computed: {e}"));
                None
            }
        };
        VehicleSummary {
            vehicle,
            verdict: self.verdict,
            tests: (self.distance.0, self.times),
            reasons: self.reasons,
            calibration,
        }
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

/// The k suggestion from the mean distance error (`n` errors summing to `sum`), when the stage has a calibration target
/// and the vehicle distance tests: k_new for a given k, else the factor to apply to k.
fn calibration(
    stage: &TaximeterStage,
    (n, sum): (usize, f64),
    k: Option<f64>,
) -> Result<Option<CalibrationSuggestion>, Error> {
    if stage.calibration_target_pct.is_none() || n == 0 {
        return Ok(None);
    }
    let mean = sum / n as f64;
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
