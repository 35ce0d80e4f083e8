//! `verimeter trips`: load the tariff, read the trip log, let the library compute each trip's
//! nominal fare and fare bounds and judge the logged fare, hand the report to an output
//! format ([`crate::trips_out`]).

use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use verimeter::money::Money;
use verimeter::tariff::{
    check_bounds, check_fare, fare_bounds, BoundsCheck, FareBounds, FareCheck, Rate, Tariff,
    TripSummary, Window, BUILTIN_TARIFFS,
};
use verimeter::taximeter::TaximeterProfile;
use verimeter::tolerance::Tolerance;
use verimeter::{Error, Verdict};

use crate::args::{Format, TripsArgs};
use crate::csvread::with_input;
use crate::input::Flow;
use crate::json_out::JsonWriter;
use crate::trips_in::{money_cell, stream_trips, Columns, SurchargeKind, Trip, TripRow, TripSink};
use crate::trips_out;

/// A fatal problem: the message for stderr; the exit status is 2.
pub type Fatal = String;

/// A row's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowVerdict {
    /// The fare lies within the bounds (and the fare check passes, with `--profile`).
    Pass,
    /// The fare lies outside the bounds (or the fare check fails, with `--profile`).
    Fail,
    /// The row is out of the tariff's scope (rate code it lacks, another cab colour).
    Skipped,
}

impl RowVerdict {
    /// The lower-case name used in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            RowVerdict::Pass => "pass",
            RowVerdict::Fail => "fail",
            RowVerdict::Skipped => "skipped",
        }
    }
}

/// A judged trip.
#[derive(Debug)]
pub struct Judged {
    /// The trip as read.
    pub trip: Trip,
    /// The rate code used (the tariff's, e.g. `1` for a logged `1.0`).
    pub rate_code: String,
    /// Nominal, minimum and maximum fares.
    pub bounds: FareBounds,
    /// The logged fare against the bounds.
    pub check: BoundsCheck,
    /// The logged fare against the nominal fare under the profile's fare tolerance.
    pub fare_check: Option<FareCheck>,
    /// (fare − nominal) / nominal × 100, where the nominal fare is not zero.
    pub error_pct: Option<f64>,
    /// Pass or fail.
    pub verdict: RowVerdict,
    /// Why, with the numbers.
    pub reason: String,
    /// Surcharge columns inconsistent with the tariff's extras; they do not change the
    /// verdict, which is on the metered fare.
    pub surcharge_findings: Vec<String>,
}

/// What became of a row.
#[derive(Debug)]
pub enum Outcome {
    /// Judged pass or fail.
    Judged(Box<Judged>),
    /// Out of the tariff's scope.
    Skipped {
        /// The rate code as written, if any.
        rate_code: Option<String>,
        /// Why.
        reason: String,
    },
    /// Unreadable or unusable.
    Error(Error),
}

/// One row of the log and its outcome.
#[derive(Debug)]
pub struct Row {
    /// The row as read.
    pub input: TripRow,
    /// The outcome.
    pub outcome: Outcome,
}

impl Row {
    /// `line N: column: …` for an error row.
    pub fn error(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Error(e) => Some(format!("line {}: {e}", self.input.line)),
            _ => None,
        }
    }
}

/// The summary counts: `rows = rows_pass + rows_fail + rows_skipped + rows_error`.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Counts {
    /// Data rows read.
    pub rows: usize,
    /// Fares within the bounds.
    pub rows_pass: usize,
    /// Fares outside the bounds (or failing the fare check).
    pub rows_fail: usize,
    /// Rows that could not be judged.
    pub rows_error: usize,
    /// Rows out of the tariff's scope.
    pub rows_skipped: usize,
    /// Judged rows with at least one surcharge finding (not part of the sum).
    pub rows_with_surcharge_findings: usize,
}

/// The taximeter profile given with `--profile`.
#[derive(Debug)]
pub struct ProfileUse {
    /// Its id.
    pub id: String,
    /// The stage used.
    pub stage: String,
    /// The stage's fare tolerance, if it sets one.
    pub fare_tolerance: Option<Tolerance>,
}

/// Everything an output format needs.
#[derive(Debug)]
pub struct Report<'a> {
    /// The tariff.
    pub tariff: &'a Tariff,
    /// The profile, with `--profile`.
    pub profile: Option<ProfileUse>,
    /// One per data row, in input order.
    pub rows: Vec<Row>,
    /// The counts.
    pub counts: Counts,
}

/// Runs the command; returns the exit status (0 or 1) or a fatal message.
///
/// `--format csv` and `json` stream: each row is read, judged and written before the next
/// is read (only the counts are kept). `--format table` keeps every row.
pub fn run(args: &TripsArgs) -> Result<i32, Fatal> {
    let tariff = load_tariff(&args.tariff)?;
    let profile = load_profile(args)?;
    let stdout = io::stdout();
    let w = BufWriter::with_capacity(1 << 16, stdout.lock());
    let out = match args.format {
        Format::Csv => Out::Csv(Box::new(csv::Writer::from_writer(w))),
        Format::Json => Out::Json(w, JsonWriter::default()),
        Format::Table | Format::Jsonl => Out::Collect(Vec::new()),
    };
    let mut sink = Judge {
        tariff: &tariff,
        profile: profile.as_ref(),
        columns: None,
        counts: Counts::default(),
        out,
        closed: false,
    };
    // Csv and json rows stream to stdout; the table is written after the input is read.
    let streams = matches!(args.format, Format::Csv | Format::Json);
    let progress = crate::progress::wanted(args.quiet, streams);
    with_input(&args.file, progress, |r| stream_trips(r, &mut sink))??;
    if sink.counts.rows == 0 && !args.quiet {
        eprintln!("verimeter: warning: the input has a header but no data rows");
    }
    let Judge {
        counts,
        out,
        closed,
        ..
    } = sink;
    // 0 when no row fails and none is an error (skipped rows do not count), else 1.
    let exit = i32::from(counts.rows_fail + counts.rows_error > 0);
    let write_error = |e: io::Error| format!("cannot write the output: {e}");
    match out {
        Out::Collect(rows) => {
            if args.format == Format::Jsonl {
                return Err(crate::jsonl_out::DISPENSER_ONLY.into());
            }
            let report = Report {
                tariff: &tariff,
                profile,
                rows,
                counts,
            };
            crate::write_stdout(trips_out::table(&report).as_bytes())?;
        }
        _ if closed => {}
        Out::Csv(mut w) => ignore_closed(w.flush()).map_err(write_error)?,
        Out::Json(mut w, mut json) => {
            ignore_closed(
                json.finish(&mut w, "summary", &counts)
                    .and_then(|()| w.flush()),
            )
            .map_err(write_error)?;
        }
    }
    Ok(exit)
}

/// A closed pipe ends the output quietly.
fn ignore_closed(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

type Stdout<'a> = BufWriter<io::StdoutLock<'a>>;

/// Where the judged rows go: written as csv or json, or kept for the table.
enum Out<'a> {
    Csv(Box<csv::Writer<Stdout<'a>>>),
    Json(Stdout<'a>, JsonWriter),
    Collect(Vec<Row>),
}

/// The [`TripSink`] of [`run`].
struct Judge<'a, 'w> {
    tariff: &'a Tariff,
    profile: Option<&'a ProfileUse>,
    /// The column map, once read.
    columns: Option<Columns>,
    counts: Counts,
    out: Out<'w>,
    /// The output pipe was closed: the rows are still judged (for the exit status).
    closed: bool,
}

/// Runs `f` on the output unless the pipe was closed; a closed pipe ends the writing
/// quietly, any other write error is fatal.
fn write(out: &mut Out, closed: &mut bool, f: impl FnOnce(&mut Out) -> io::Result<()>) -> Flow {
    if *closed {
        return Ok(());
    }
    match f(out) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            *closed = true;
            Ok(())
        }
        Err(e) => Err(format!("cannot write the output: {e}")),
        Ok(()) => Ok(()),
    }
}

impl TripSink for Judge<'_, '_> {
    fn start(&mut self, header: Vec<String>, columns: Columns) -> Flow {
        let (tariff, profile) = (self.tariff, self.profile);
        write(&mut self.out, &mut self.closed, |out| match out {
            Out::Csv(w) => trips_out::csv_head(w, &header).map_err(crate::csv_io),
            Out::Json(w, json) => {
                json.field(w, "tariff", &trips_out::tariff_info(tariff))?;
                if let Some(p) = profile {
                    json.field(w, "profile", &trips_out::profile_info(p))?;
                }
                json.list(w, "rows")
            }
            Out::Collect(_) => Ok(()),
        })?;
        self.columns = Some(columns);
        Ok(())
    }

    fn row(&mut self, input: TripRow) -> Flow {
        let Some(columns) = &self.columns else {
            return Err("a row before the header".into());
        };
        let exact = Tolerance::absolute(0.0, "exact bounds (no fare tolerance given)");
        let tolerance = self
            .profile
            .and_then(|p| p.fare_tolerance.as_ref())
            .unwrap_or(&exact);
        let with_fare_check = self.profile.is_some_and(|p| p.fare_tolerance.is_some());
        let outcome = judge(self.tariff, columns, &input, tolerance, with_fare_check);
        let row = Row { input, outcome };
        self.counts.add(&row.outcome);
        write(&mut self.out, &mut self.closed, |out| match out {
            Out::Csv(w) => trips_out::csv_row(w, &row).map_err(crate::csv_io),
            Out::Json(w, json) => json.item(w, &trips_out::json_row(&columns.extra, &row)),
            Out::Collect(rows) => {
                rows.push(row);
                Ok(())
            }
        })
    }
}

/// `--tariff`: a JSON file when one exists at that path, else a built-in tariff id.
fn load_tariff(arg: &str) -> Result<Tariff, Fatal> {
    let path = Path::new(arg);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read tariff file {}: {e}", path.display()))?;
        return Tariff::from_json(&text).map_err(|e| format!("{}: {e}", path.display()));
    }
    if BUILTIN_TARIFFS.contains(&arg.trim()) {
        return Tariff::builtin(arg).map_err(|e| e.to_string());
    }
    Err(format!(
        "unknown tariff {arg:?}: no such file, and not a built-in tariff id (built-in: {})",
        BUILTIN_TARIFFS.join(", ")
    ))
}

fn load_profile(args: &TripsArgs) -> Result<Option<ProfileUse>, Fatal> {
    let Some(id) = &args.profile else {
        return Ok(None);
    };
    let p = TaximeterProfile::builtin(id).map_err(|e| e.to_string())?;
    let stage = p.stage(args.stage.as_deref()).map_err(|e| e.to_string())?;
    let fare_tolerance = stage.fare_tolerance().cloned();
    if fare_tolerance.is_none() && !args.quiet {
        eprintln!(
            "verimeter: warning: profile {} stage {} sets no fare tolerance: fares are judged \
             by the exact bounds alone",
            p.id, stage.name
        );
    }
    Ok(Some(ProfileUse {
        id: p.id.clone(),
        stage: stage.name.clone(),
        fare_tolerance,
    }))
}

/// The rate a row names (the tariff's first when none), or why the row is out of scope.
fn rate_for<'t>(tariff: &'t Tariff, code: Option<&str>) -> Result<&'t Rate, String> {
    let first = || {
        tariff
            .rates
            .first()
            .ok_or_else(|| format!("tariff {} has no rate", tariff.id))
    };
    let Some(code) = code else {
        return first();
    };
    if let Ok(r) = tariff.rate(code) {
        return Ok(r);
    }
    // A rate code logged as a number, e.g. `1.0` for `1`.
    if let Ok(v) = code.parse::<f64>() {
        if v.fract() == 0.0 && v.abs() < 1e9 {
            if let Ok(r) = tariff.rate(&format!("{}", v as i64)) {
                return Ok(r);
            }
        }
    }
    Err(format!(
        "rate code {code} is not a rate of tariff {} (its rates: {}): out of scope (e.g. a \
         negotiated or out-of-city fare)",
        tariff.id,
        tariff.rate_codes()
    ))
}

/// A row whose `color` is not a word of the tariff's id or title is out of its scope.
fn colour_out_of_scope(tariff: &Tariff, colour: &str) -> Option<String> {
    let words = format!("{} {}", tariff.id, tariff.title).to_ascii_lowercase();
    let known = words
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == colour);
    (!known).then(|| {
        format!(
            "color {colour}: out of scope of tariff {} ({})",
            tariff.id, tariff.title
        )
    })
}

fn judge(
    tariff: &Tariff,
    cols: &Columns,
    input: &TripRow,
    tolerance: &Tolerance,
    with_fare_check: bool,
) -> Outcome {
    // Scope first: a row the tariff does not cover is skipped whatever its other cells.
    let rate_code = cols.rate_code(&input.fields);
    let skip = |reason: String| Outcome::Skipped {
        rate_code: rate_code.map(str::to_string),
        reason,
    };
    if let Some(reason) = cols
        .color(&input.fields)
        .and_then(|c| colour_out_of_scope(tariff, &c))
    {
        return skip(reason);
    }
    let rate = match rate_for(tariff, rate_code) {
        Ok(r) => r,
        Err(reason) => return skip(reason),
    };
    let trip = match &input.parsed {
        Ok(t) => t,
        Err(e) => return Outcome::Error(e.clone()),
    };
    match judge_trip(tariff, rate, cols, input, trip, tolerance, with_fare_check) {
        Ok(j) => Outcome::Judged(Box::new(j)),
        Err(e) => Outcome::Error(describe(&e, cols)),
    }
}

fn judge_trip(
    tariff: &Tariff,
    rate: &Rate,
    cols: &Columns,
    input: &TripRow,
    trip: &Trip,
    tolerance: &Tolerance,
    with_fare_check: bool,
) -> Result<Judged, Error> {
    let mut summary = TripSummary::new(&rate.code, trip.distance_m, trip.duration_s, trip.start);
    if let Some(w) = trip.waiting_s {
        summary = summary.with_waiting(w);
    }
    let bounds = fare_bounds(tariff, &summary)?;
    let check = check_bounds(&bounds, trip.fare, tolerance)?;
    let fare_check = if with_fare_check {
        Some(check_fare(&bounds.nominal, trip.fare, tolerance)?)
    } else {
        None
    };
    let nominal = bounds.nominal.fare;
    let error_pct = (!nominal.is_zero())
        .then(|| {
            let d = trip.fare.checked_sub(nominal)?.checked_div(nominal)?;
            f64::try_from(d).ok().map(|x| x * 100.0)
        })
        .flatten();
    let mut reasons = vec![match check.finding {
        Some(f) => format!("{f} (bounds {} … {})", check.minimum, check.maximum),
        None => format!("within the bounds {} … {}", check.minimum, check.maximum),
    }];
    if let Some(c) = &fare_check {
        reasons.push(format!(
            "fare check vs {}: difference {}, allowed {} ({})",
            c.expected, c.difference, c.allowance, c.clause
        ));
    }
    let failed = check.verdict != Verdict::Pass
        || fare_check
            .as_ref()
            .is_some_and(|c| c.verdict != Verdict::Pass);
    Ok(Judged {
        trip: trip.clone(),
        rate_code: rate.code.clone(),
        surcharge_findings: surcharge_findings(tariff, rate, trip, cols, &input.fields),
        bounds,
        check,
        fare_check,
        error_pct,
        verdict: if failed {
            RowVerdict::Fail
        } else {
            RowVerdict::Pass
        },
        reason: reasons.join("; "),
    })
}

/// A library error on one trip, with the column it comes from.
fn describe(e: &Error, cols: &Columns) -> Error {
    let field = match e {
        Error::NotFinite { field, .. }
        | Error::Negative { field, .. }
        | Error::OutOfScope { field, .. } => *field,
        _ => "",
    };
    let column = cols.column_of(field);
    Error::Unreadable {
        reason: match column {
            Some(c) => format!("{c}: {e}"),
            None => e.to_string(),
        },
    }
}

/// Logged clocks differ by a few minutes: a time-of-day extra whose window opens up to this
/// long before the pickup is accepted in `extra`.
const EXTRA_WINDOW_SLACK_S: f64 = 300.0;

/// True when `w` is open at some instant of `[from, to]` (wall-clock seconds since 1970).
fn window_open_between(w: &Window, from: f64, to: f64) -> bool {
    let mut t = from;
    // Edges come at least daily: a 31-day hire has fewer than 200 of them.
    for _ in 0..1000 {
        if w.contains(t) {
            return true;
        }
        t = w.next_edge(t);
        if t > to {
            return false;
        }
    }
    true
}

/// Surcharge columns against the rate's extras listed beside the fare. Only clearly
/// inconsistent values are reported: a named column must be 0 or the extra's amount; `extra`
/// must be a sum of the time-of-day extras whose window is open at some time of the hire (from
/// 5 min before pickup to drop-off) and of the conditional extras (one NYC vendor folds the
/// congestion surcharge into `extra`). Columns the rate defines nothing for are not checked.
fn surcharge_findings(
    tariff: &Tariff,
    rate: &Rate,
    trip: &Trip,
    cols: &Columns,
    fields: &[String],
) -> Vec<String> {
    let start_abs = trip.start.to_seconds() as f64;
    let mut out = Vec::new();
    for s in &cols.surcharges {
        let text = fields[s.col.index].trim();
        if text.is_empty() {
            continue;
        }
        let name = &s.col.name;
        let value = match money_cell(name, text) {
            Ok(v) => v,
            Err(e) => {
                out.push(e.to_string());
                continue;
            }
        };
        match &s.kind {
            SurchargeKind::Named(extra) => {
                let Some(e) = rate
                    .extras
                    .iter()
                    .find(|e| !e.on_meter && e.name.eq_ignore_ascii_case(extra))
                else {
                    continue;
                };
                if !value.is_zero() && value != e.amount {
                    out.push(format!(
                        "{name} {text}: neither 0 nor the tariff's {} {}",
                        e.name, e.amount
                    ));
                }
            }
            SurchargeKind::TimeOfDay => {
                let from = start_abs - EXTRA_WINDOW_SLACK_S;
                let to = start_abs + trip.duration_s;
                let in_force = rate.extras.iter().filter(|e| {
                    !e.on_meter
                        && e.window.as_ref().is_some_and(|w| {
                            tariff
                                .windows
                                .iter()
                                .find(|x| &x.name == w)
                                .is_some_and(|x| window_open_between(x, from, to))
                        })
                });
                let foldable = rate
                    .extras
                    .iter()
                    .filter(|e| !e.on_meter && e.window.is_none() && e.condition.is_some());
                let parts: Vec<(&str, Money)> = in_force
                    .chain(foldable)
                    .map(|e| (e.name.as_str(), e.amount))
                    .take(12)
                    .collect();
                let defined = rate
                    .extras
                    .iter()
                    .any(|e| !e.on_meter && e.window.is_some());
                if !defined || subset_sums(&parts).contains(&value) {
                    continue;
                }
                let listed = if parts.is_empty() {
                    "none".to_string()
                } else {
                    parts
                        .iter()
                        .map(|(n, a)| format!("{n} {a}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push(format!(
                    "{name} {text}: not a sum of the extras in force during the hire ({listed})"
                ));
            }
        }
    }
    out
}

/// Every sum of a subset of the amounts (0 included).
fn subset_sums(parts: &[(&str, Money)]) -> Vec<Money> {
    let mut sums = vec![Money::ZERO];
    for (_, a) in parts {
        let more: Vec<Money> = sums.iter().filter_map(|s| s.checked_add(*a)).collect();
        sums.extend(more);
    }
    sums
}

impl Counts {
    /// Counts one row's outcome.
    fn add(&mut self, outcome: &Outcome) {
        self.rows += 1;
        match outcome {
            Outcome::Judged(j) => {
                match j.verdict {
                    RowVerdict::Pass => self.rows_pass += 1,
                    RowVerdict::Fail => self.rows_fail += 1,
                    RowVerdict::Skipped => self.rows_skipped += 1,
                }
                if !j.surcharge_findings.is_empty() {
                    self.rows_with_surcharge_findings += 1;
                }
            }
            Outcome::Skipped { .. } => self.rows_skipped += 1,
            Outcome::Error(_) => self.rows_error += 1,
        }
    }
}
