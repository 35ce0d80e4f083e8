//! `verimeter dispenser`: load the profile, read the draws, judge each with the library,
//! summarise each nozzle with the library ([`NozzleAccumulator`], draw by draw), hand the
//! rows and nozzles to an output format as they come.

use std::cell::RefCell;
use std::io::{self, BufWriter, Write};
use std::rc::Rc;

use verimeter::dispenser::{
    apply_decision, evaluate_draw, Draw, DrawFigures, DrawResult, NozzleAccumulator,
    NozzleRangeVerdictAccumulator, NozzleSummary, NozzleVerdictAccumulator, NozzleVerdicts,
    Substance,
};
use verimeter::profile::{DispenserProfile, DispenserStage};
use verimeter::uncertainty::{DispenserBudgetSpec, Expanded};
use verimeter::Error;

use crate::args::{DispenserArgs, Format};
use crate::decide::{self, Decision};
use crate::input::{describe, Columns, DrawSink, Flow, InputRow, UncertaintyCells};
use crate::nozzle_index::{id_words, NozzleIndex};
use crate::tally::{exit_code, Tally};
use crate::{json_out, jsonl_out, output};

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
    /// One entry per data row, in input order.
    pub rows: Vec<Row>,
    /// One entry per nozzle, in first-appearance order.
    pub nozzles: Vec<(String, NozzleSummary)>,
    /// The row verdict counts.
    pub row_tally: Tally,
    /// The nozzle verdict counts.
    pub nozzle_tally: Tally,
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
///
/// `--format csv`, `jsonl` and `json` stream: each row is read, judged and written before
/// the next is read, and only a small accumulator per nozzle is kept (the nozzles are
/// written after the rows). `--format table` and `--explain` keep every row ([`evaluate`]).
pub fn run(args: &DispenserArgs) -> Result<i32, Fatal> {
    if args.explain.is_some() || args.format == Format::Table {
        return evaluate(args, |report| {
            if let Some(line) = args.explain {
                let format = crate::explain_cmd::ExplainFormat::from(args.format);
                return crate::explain_cmd::dispenser(report, &args.file, line, format);
            }
            crate::write_stdout(output::table(report).as_bytes())?;
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
        Format::Csv => Box::new(CsvOut::new(w)),
        Format::Jsonl => Box::new(JsonlOut(w)),
        _ => Box::new(JsonOut(w, json_out::JsonWriter::default(), Lists::Rows)),
    };
    let judged = judge(args, &profile, stage, Writing { out, closed: false })?;
    Ok(exit_code(&judged.row_tally, &judged.nozzle_tally))
}

/// Reads and judges the file of `args` (profile, stage, decision rule, rows, nozzles) and
/// hands the report to `then` (the table, `explain`, `report`): every row is kept.
pub fn evaluate<T>(
    args: &DispenserArgs,
    then: impl FnOnce(&Report) -> Result<T, Fatal>,
) -> Result<T, Fatal> {
    let profile = load_profile(args)?;
    let stage = profile
        .stage(args.stage.as_deref())
        .map_err(|e| e.to_string())?;
    let judged = judge(args, &profile, stage, Collect::default())?;
    let Judged {
        head,
        row_tally,
        nozzle_tally,
        out: Collect { rows, nozzles },
    } = judged;
    let report = Report {
        profile: &profile,
        stage,
        header: head.header,
        rows,
        nozzles,
        row_tally,
        nozzle_tally,
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
    pub decision: Option<Decision<DispenserBudgetSpec>>,
}

/// What the outputs see: the profile, the stage, the header.
pub struct Ctx<'a> {
    /// The profile judged against.
    pub profile: &'a DispenserProfile,
    /// The stage judged against.
    pub stage: &'a DispenserStage,
    /// The header, columns and decision rule.
    pub head: &'a Head,
}

/// Where the judged rows, then the nozzles, then the counts go.
trait Out {
    fn start(&mut self, ctx: &Ctx) -> io::Result<()>;
    fn row(&mut self, ctx: &Ctx, row: Row) -> io::Result<()>;
    fn nozzle(&mut self, ctx: &Ctx, name: &str, summary: NozzleSummary) -> io::Result<()>;
    fn finish(&mut self, ctx: &Ctx, counts: Counts) -> io::Result<()>;
    /// Whether [`raw`](Self::raw) takes rows already formatted (`--format csv`: the fast
    /// path of [`crate::fast_csv`]).
    fn takes_raw(&self) -> bool {
        false
    }
    /// Rows already formatted as this output formats them, in order.
    fn raw(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Err(io::Error::other("this output takes no formatted rows"))
    }
    /// Whether the nozzles given to [`nozzle`](Self::nozzle) need their reasons worded
    /// (false: [`NozzleAccumulator::verdict_only`], whose summaries have the same verdicts).
    fn words_reasons(&self) -> bool {
        true
    }
    /// Whether [`nozzle`](Self::nozzle) shows anything (false: only the nozzle's verdict is
    /// needed, for the counts, and it is not called).
    fn shows_nozzles(&self) -> bool {
        true
    }
}

/// Keeps everything, for the table, `explain` and `report`.
#[derive(Default)]
struct Collect {
    rows: Vec<Row>,
    nozzles: Vec<(String, NozzleSummary)>,
}

impl Out for Collect {
    fn start(&mut self, _: &Ctx) -> io::Result<()> {
        Ok(())
    }
    fn row(&mut self, _: &Ctx, row: Row) -> io::Result<()> {
        self.rows.push(row);
        Ok(())
    }
    fn nozzle(&mut self, _: &Ctx, name: &str, summary: NozzleSummary) -> io::Result<()> {
        self.nozzles.push((name.to_string(), summary));
        Ok(())
    }
    fn finish(&mut self, _: &Ctx, _: Counts) -> io::Result<()> {
        Ok(())
    }
}

type Stdout<'a> = BufWriter<io::StdoutLock<'a>>;

/// `--format csv`: the header, then a row per input row (no nozzles). Each row is written
/// by the csv writer into `buf` and moved from there to the buffered stdout, so that rows
/// formatted by the fast path ([`Out::raw`]) can come in between (the csv writer does not
/// give its writer back).
struct CsvOut<'a> {
    w: Stdout<'a>,
    csv: csv::Writer<Shared>,
    buf: Shared,
    scratch: String,
}

/// A byte buffer the csv writer writes into and [`CsvOut`] empties.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> CsvOut<'a> {
    fn new(w: Stdout<'a>) -> Self {
        let buf = Shared::default();
        Self {
            w,
            csv: csv::Writer::from_writer(buf.clone()),
            buf,
            scratch: String::new(),
        }
    }

    /// Moves what the csv writer wrote to the output.
    fn drain(&mut self) -> io::Result<()> {
        self.csv.flush()?;
        let mut b = self.buf.0.borrow_mut();
        self.w.write_all(&b)?;
        b.clear();
        Ok(())
    }
}

impl Out for CsvOut<'_> {
    fn start(&mut self, ctx: &Ctx) -> io::Result<()> {
        output::csv_head(&mut self.csv, &ctx.head.header, ctx.head.decision.is_some())
            .map_err(crate::csv_io)?;
        self.drain()
    }
    fn row(&mut self, ctx: &Ctx, row: Row) -> io::Result<()> {
        let with_u = ctx.head.decision.is_some();
        output::csv_row(&mut self.csv, &row, with_u, &mut self.scratch).map_err(crate::csv_io)?;
        self.drain()
    }
    fn nozzle(&mut self, _: &Ctx, _: &str, _: NozzleSummary) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: &Ctx, _: Counts) -> io::Result<()> {
        self.drain()?;
        self.w.flush()
    }
    fn takes_raw(&self) -> bool {
        true
    }
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)
    }
    /// No nozzle lines in csv: only their verdicts count (the summary and exit status).
    fn words_reasons(&self) -> bool {
        false
    }
    fn shows_nozzles(&self) -> bool {
        false
    }
}

/// `--format jsonl` (see [`crate::jsonl_out`]).
struct JsonlOut<'a>(Stdout<'a>);

impl Out for JsonlOut<'_> {
    fn start(&mut self, _: &Ctx) -> io::Result<()> {
        Ok(())
    }
    fn row(&mut self, ctx: &Ctx, row: Row) -> io::Result<()> {
        jsonl_out::line(
            &mut self.0,
            "row",
            json_out::row(&ctx.head.columns.extra, &row),
        )
    }
    fn nozzle(&mut self, _: &Ctx, name: &str, summary: NozzleSummary) -> io::Result<()> {
        jsonl_out::line(&mut self.0, "nozzle", json_out::nozzle(name, &summary))
    }
    fn finish(&mut self, ctx: &Ctx, counts: Counts) -> io::Result<()> {
        let summary = jsonl_out::Summary {
            profile: json_out::ProfileInfo::new(ctx.profile, ctx.stage),
            decision_rule: ctx.head.decision.as_ref().map(|d| d.json()),
            counts,
        };
        jsonl_out::line(&mut self.0, "summary", summary)?;
        self.0.flush()
    }
}

/// `--format json`, written as it goes (see [`json_out::JsonWriter`]).
struct JsonOut<'a>(Stdout<'a>, json_out::JsonWriter, Lists);

/// Which list of `--format json` is open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lists {
    Rows,
    Nozzles,
}

impl JsonOut<'_> {
    /// Closes `rows` and opens `nozzles`, once.
    fn open_nozzles(&mut self) -> io::Result<()> {
        if self.2 == Lists::Rows {
            self.2 = Lists::Nozzles;
            self.1.list(&mut self.0, "nozzles")?;
        }
        Ok(())
    }
}

impl Out for JsonOut<'_> {
    fn start(&mut self, ctx: &Ctx) -> io::Result<()> {
        let profile = json_out::ProfileInfo::new(ctx.profile, ctx.stage);
        self.1.field(&mut self.0, "profile", &profile)?;
        if let Some(d) = &ctx.head.decision {
            self.1.field(&mut self.0, "decision_rule", &d.json())?;
        }
        self.1.list(&mut self.0, "rows")
    }
    fn row(&mut self, ctx: &Ctx, row: Row) -> io::Result<()> {
        self.1
            .item(&mut self.0, &json_out::row(&ctx.head.columns.extra, &row))
    }
    fn nozzle(&mut self, _: &Ctx, name: &str, summary: NozzleSummary) -> io::Result<()> {
        self.open_nozzles()?;
        self.1.item(&mut self.0, &json_out::nozzle(name, &summary))
    }
    fn finish(&mut self, _: &Ctx, counts: Counts) -> io::Result<()> {
        self.open_nozzles()?;
        self.1.finish(&mut self.0, "summary", &counts)?;
        self.0.flush()
    }
}

/// An output to standard output: a closed pipe ends the writing quietly (the rows are still
/// judged, so that the exit status is that of the whole file), any other write error is
/// fatal.
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
    fn nozzle(&mut self, ctx: &Ctx, name: &str, summary: NozzleSummary) -> io::Result<()> {
        self.on(|o| o.nozzle(ctx, name, summary))
    }
    fn finish(&mut self, ctx: &Ctx, counts: Counts) -> io::Result<()> {
        self.on(|o| o.finish(ctx, counts))
    }
    fn takes_raw(&self) -> bool {
        self.out.takes_raw()
    }
    fn words_reasons(&self) -> bool {
        self.out.words_reasons()
    }
    fn shows_nozzles(&self) -> bool {
        self.out.shows_nozzles()
    }
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.on(|o| o.raw(bytes))
    }
}

/// The outcome of [`judge`].
struct Judged<O> {
    head: Head,
    row_tally: Tally,
    nozzle_tally: Tally,
    out: O,
}

/// Reads the input row by row: judges each row, adds it to its nozzle's accumulator and
/// hands it to `out`; then summarises the nozzles (first-appearance order) into `out`, and
/// the counts.
fn judge<O: Out>(
    args: &DispenserArgs,
    profile: &DispenserProfile,
    stage: &DispenserStage,
    out: O,
) -> Result<Judged<O>, Fatal> {
    let input_format = crate::json_in::InputFormat::detect(args.input_format, &args.file);
    let mut sink = Judge {
        args,
        profile,
        stage,
        head: None,
        acc: Acc {
            verdict_only: !out.words_reasons(),
            verdicts_only: !out.shows_nozzles(),
            range_only: NozzleRangeVerdictAccumulator::judges(stage),
            ..Acc::default()
        },
        out,
    };
    // The rows stream to stdout unless the table or --explain keeps them (see `run`).
    let streams = args.explain.is_none() && args.format != Format::Table;
    let progress = crate::progress::wanted(args.quiet, streams);
    let fast = input_format == crate::json_in::InputFormat::Csv
        && !args.no_fast_path
        && sink.out.takes_raw();
    if fast {
        crate::fast_csv::stream(&args.file, profile, stage, progress, &mut sink)?;
    } else {
        crate::json_in::stream(&args.file, input_format, progress, &mut sink)?;
    }
    sink.acc.put_back_hot();
    let Judge {
        head,
        acc:
            Acc {
                nozzles,
                small,
                small_range,
                index,
                row_tally,
                ..
            },
        mut out,
        ..
    } = sink;
    let head = head.ok_or("the input has no header")?;
    if row_tally.total == 0 && !args.quiet {
        eprintln!("verimeter: warning: the input has a header but no data rows");
    }
    let ctx = Ctx {
        profile,
        stage,
        head: &head,
    };
    let write_error = |e: io::Error| format!("cannot write the output: {e}");
    let mut nozzle_tally = Tally::default();
    // The ids are numbered in first-appearance order, as the accumulators are kept.
    let shows = out.shows_nozzles();
    let mut verdicts = NozzleVerdicts::new(profile, stage);
    // `small` holds the nozzles when they are not shown (and `nozzles` none). Each is
    // dropped as its verdict is taken (by value), while in the cache: dropping the whole
    // `Vec` afterwards read every one from memory again.
    // (One of the two holds them, the other none.)
    for chunk in small.nozzles {
        for acc in chunk {
            nozzle_tally.add(Some(verdicts.verdict_of(&acc)));
        }
    }
    for chunk in small_range.nozzles {
        for acc in chunk {
            nozzle_tally.add(Some(verdicts.verdict_of_range(&acc)));
        }
    }
    for (k, acc) in nozzles.into_iter().flatten().enumerate() {
        if !shows {
            // The verdict alone (the same as the summary's), without building the summary.
            nozzle_tally.add(Some(verdicts.verdict(&acc)));
            continue;
        }
        let summary = acc.finish(profile, stage);
        nozzle_tally.add(Some(summary.verdict));
        out.nozzle(&ctx, &index.id(k), summary)
            .map_err(write_error)?;
    }
    out.finish(&ctx, Counts::new(&row_tally, &nozzle_tally))
        .map_err(write_error)?;
    Ok(Judged {
        head,
        row_tally,
        nozzle_tally,
        out,
    })
}

/// The [`DrawSink`] of [`judge`].
struct Judge<'a, O> {
    args: &'a DispenserArgs,
    profile: &'a DispenserProfile,
    stage: &'a DispenserStage,
    head: Option<Head>,
    acc: Acc,
    out: O,
}

/// Nozzle accumulators per chunk of [`Acc::nozzles`].
const NOZZLE_CHUNK: usize = 1 << 14;

/// The row counts and the nozzle accumulators of [`Judge`].
#[derive(Default)]
struct Acc {
    /// One accumulator per nozzle, in first-appearance order, in chunks of [`NOZZLE_CHUNK`]
    /// (a million nozzles are not copied each time one `Vec` would grow), and an index by
    /// id (a linear search per row would be quadratic in the number of nozzles).
    nozzles: Vec<Vec<NozzleAccumulator>>,
    /// Instead of `nozzles` when the nozzles are not shown ([`Acc::verdicts_only`]): the
    /// verdicts alone, in 96 bytes per nozzle instead of 144 — or, for a stage that
    /// [`NozzleRangeVerdictAccumulator`] judges ([`Acc::range_only`]), in `small_range`, 64
    /// bytes per nozzle. (A run-time choice, not a type parameter of the sink: the fast
    /// csv path made for two sink types is not inlined as it is for one.)
    small: Small<NozzleVerdictAccumulator>,
    small_range: Small<NozzleRangeVerdictAccumulator>,
    index: NozzleIndex,
    row_tally: Tally,
    /// The output shows no reasons: [`NozzleAccumulator::verdict_only`].
    verdict_only: bool,
    /// The output shows no nozzles, only their verdicts' counts: [`Acc::small`].
    verdicts_only: bool,
    /// With `verdicts_only`: the nozzles go in [`Acc::small_range`].
    range_only: bool,
}

/// The nozzles' accumulators for their verdicts alone ([`Acc::small`]).
#[derive(Default)]
struct Small<A> {
    /// In chunks of [`NOZZLE_CHUNK`], by number ([`NozzleIndex`]).
    nozzles: Vec<Vec<A>>,
    /// The nozzle of the last row: its accumulator is held here, not in `nozzles`, while
    /// its rows come ([`Hot`]).
    hot: Hot<A>,
}

/// The nozzle of the last row and its accumulator ([`Small::nozzle`]). A log's rows
/// come nozzle by nozzle (six rows each in a generated log): the next row's id is compared
/// with this one's bytes, held here as two words, and the accumulator is at a fixed place —
/// no look-up in the index's arena and no chunk arithmetic per row. When another nozzle
/// comes, this accumulator goes to its place in `small` ([`Small::switch_hot`],
/// [`Acc::put_back_hot`]).
#[derive(Default)]
struct Hot<A> {
    /// Whether there is one (false before the first row with a nozzle id, and once put
    /// back at the end).
    live: bool,
    /// The nozzle's number ([`NozzleIndex::number`]).
    k: usize,
    /// The id's length and, for ids of 8 to 16 bytes (the usual), its first and last 8
    /// bytes (the whole id: the two words overlap); other ids are compared with the
    /// index's copy.
    len: usize,
    words: Option<(u64, u64)>,
    /// The nozzle's accumulator; its entry in `small` holds an empty one meanwhile.
    acc: A,
}

impl<A> Hot<A> {
    /// Whether `id` is this nozzle's id.
    #[inline(always)]
    fn is(&self, id: &[u8], index: &NozzleIndex) -> bool {
        if id.len() != self.len || !self.live {
            return false;
        }
        match self.words {
            Some(words) => id_words(id) == Some(words),
            None => index.bytes(self.k) == id,
        }
    }
}

impl<O: Out> DrawSink for Judge<'_, O> {
    fn start(&mut self, header: Vec<String>, columns: Columns) -> Flow {
        let decision = decide::setup(
            &self.args.decision,
            columns.has_uncertainty(),
            DEFAULT_BUDGET,
            |s: &DispenserBudgetSpec| s.budget(20.0, 12e-4, 0.0).map(|_| ()),
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
        let outcome = match &input.draw {
            Ok(d) => evaluate_draw(profile, stage, d)
                .and_then(|mut r| {
                    if let Some(dec) = &head.decision {
                        let (u, name) = draw_u(&dec.spec, &input.uncertainty, &r, d, profile)?;
                        apply_decision(&mut r, u, dec.rule, &name)?;
                    }
                    Ok(r)
                })
                .map_err(|e| Error::Unreadable {
                    reason: describe(&e, &head.columns, &input.fields),
                }),
            Err(e) => Err(e.clone()),
        };
        let row = Row { input, outcome };
        self.acc
            .count(row.input.nozzle.as_bytes(), row.input.line, &row.outcome);
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

impl Acc {
    /// Counts a row's verdict and adds its outcome to its nozzle. Rows with no nozzle id
    /// belong to no nozzle; unusable rows go in as `Err`, so that they make their nozzle
    /// incomplete.
    /// `id` is UTF-8 text (see [`NozzleIndex::number`]).
    fn count(&mut self, id: &[u8], line: u64, outcome: &Result<DrawResult, Error>) {
        self.row_tally.add(outcome.as_ref().ok().map(|d| d.verdict));
        if self.verdicts_only {
            if self.range_only {
                if let Some(acc) = self.small_range.nozzle(&mut self.index, id) {
                    acc.push(outcome);
                }
            } else if let Some(acc) = self.small.nozzle(&mut self.index, id) {
                acc.push(outcome);
            }
        } else if let Some(acc) = self.nozzle(id) {
            acc.push(format_args!("line {line}"), outcome);
        }
    }

    /// [`Acc::count`] of a usable row by its figures ([`NozzleAccumulator::push_figures`]);
    /// false, with nothing counted, when its nozzle needs the whole result.
    #[inline]
    fn count_figures(&mut self, id: &[u8], figures: &DrawFigures) -> bool {
        if self.verdicts_only {
            if self.range_only {
                if let Some(acc) = self.small_range.nozzle(&mut self.index, id) {
                    acc.push_figures(figures);
                }
            } else if let Some(acc) = self.small.nozzle(&mut self.index, id) {
                acc.push_figures(figures);
            }
        } else if let Some(acc) = self.nozzle(id) {
            if !acc.push_figures(figures) {
                return false;
            }
        }
        self.row_tally.add(Some(figures.verdict));
        true
    }

    /// The accumulator of nozzle `id` (made on its first row); `None` for no id.
    fn nozzle(&mut self, id: &[u8]) -> Option<&mut NozzleAccumulator> {
        if id.is_empty() {
            return None;
        }
        let (k, new) = self.index.number(id);
        let verdict_only = self.verdict_only;
        slot(&mut self.nozzles, k, new, || {
            if verdict_only {
                NozzleAccumulator::verdict_only()
            } else {
                NozzleAccumulator::new()
            }
        })
    }

    /// Puts the [`Hot`] nozzles' accumulators in their places. Done before the accumulators
    /// are read at the end.
    fn put_back_hot(&mut self) {
        self.small.put_back_hot();
        self.small_range.put_back_hot();
    }
}

impl<A: Default> Small<A> {
    /// [`Acc::nozzle`] of [`Acc::small`]: the [`Hot`] nozzle's accumulator, the same
    /// nozzle as the last row's in the common case.
    #[inline(always)]
    fn nozzle(&mut self, index: &mut NozzleIndex, id: &[u8]) -> Option<&mut A> {
        if id.is_empty() {
            return None;
        }
        if self.hot.is(id, index) {
            return Some(&mut self.hot.acc);
        }
        Some(self.switch_hot(index, id))
    }

    /// Makes `id`'s nozzle the [`Hot`] one, putting the last one in its place: the hot
    /// accumulator and the entry of its nozzle in `nozzles` (an empty accumulator while it
    /// is hot) swap places, and so do the (now empty) hot one and the entry of `id`'s
    /// nozzle, or, for a new nozzle, an empty entry is pushed and the empty hot one is its
    /// accumulator. `id` is not the hot nozzle's.
    #[inline(never)]
    fn switch_hot(&mut self, index: &mut NozzleIndex, id: &[u8]) -> &mut A {
        let hot = &mut self.hot;
        if hot.live {
            if let Some(entry) = entry(&mut self.nozzles, hot.k) {
                std::mem::swap(&mut hot.acc, entry);
            }
        }
        // Not the last id (that is the hot one): the index's look-up without its own
        // comparison with the last id.
        let (k, new) = index.number_other(id);
        if new {
            slot(&mut self.nozzles, k, true, A::default);
        } else if let Some(entry) = entry(&mut self.nozzles, k) {
            std::mem::swap(&mut hot.acc, entry);
        }
        hot.live = true;
        hot.k = k;
        hot.len = id.len();
        hot.words = id_words(id);
        &mut hot.acc
    }

    /// Puts the [`Hot`] nozzle's accumulator in its place in `nozzles`.
    fn put_back_hot(&mut self) {
        if std::mem::take(&mut self.hot.live) {
            if let Some(entry) = entry(&mut self.nozzles, self.hot.k) {
                std::mem::swap(&mut self.hot.acc, entry);
            }
        }
    }
}

/// Entry `k` of `chunks` (chunks of [`NOZZLE_CHUNK`]).
#[inline(always)]
fn entry<T>(chunks: &mut [Vec<T>], k: usize) -> Option<&mut T> {
    chunks
        .get_mut(k / NOZZLE_CHUNK)
        .and_then(|c| c.get_mut(k % NOZZLE_CHUNK))
}

/// Entry `k` of `chunks` (chunks of [`NOZZLE_CHUNK`]), made by `make` at the end when it is
/// `new` (`k` is then the number of entries).
fn slot<T>(
    chunks: &mut Vec<Vec<T>>,
    k: usize,
    new: bool,
    make: impl FnOnce() -> T,
) -> Option<&mut T> {
    if new {
        if !matches!(chunks.last(), Some(c) if c.len() < NOZZLE_CHUNK) {
            chunks.push(Vec::with_capacity(NOZZLE_CHUNK));
        }
        if let Some(chunk) = chunks.last_mut() {
            chunk.push(make());
        }
    }
    entry(chunks, k)
}

impl<O: Out> crate::fast_csv::FastSink for Judge<'_, O> {
    fn fast_allowed(&self) -> bool {
        self.head.as_ref().is_some_and(|h| h.decision.is_none()) && self.out.takes_raw()
    }
    fn judged(&mut self, nozzle: &[u8], line: u64, outcome: &Result<DrawResult, Error>) {
        self.acc.count(nozzle, line, outcome);
    }
    #[inline]
    fn judged_figures(&mut self, nozzle: &[u8], figures: &DrawFigures) -> bool {
        self.acc.count_figures(nozzle, figures)
    }
    fn raw(&mut self, bytes: &[u8]) -> Flow {
        self.out
            .raw(bytes)
            .map_err(|e| format!("cannot write the output: {e}"))
    }
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
