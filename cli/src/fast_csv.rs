//! The fast path of `verimeter dispenser --format csv` for the common case: a plain CSV log
//! (no quotes, `\n` or `\r\n` line ends) in litres, judged with the simple decision rule.
//!
//! Same output as the general path ([`crate::input::stream_csv`] → [`crate::output::csv_row`])
//! byte for byte, and the same summaries, counts and exit status; only faster:
//! - **reading**: the input is read in blocks of [`BLOCK`] bytes; a plain record (numbers
//!   `[+-]digits[.digits]`, money `digits[.digits]`, texts without quotes or edge
//!   whitespace, one cell per column) is read in one pass up to its own line end, each cell
//!   parsed as it is scanned in the file's column order ([`Fast::plain`]); any other record
//!   is split at `\n` with `memchr` and at `,` by one pass (which also finds a quote or a
//!   stray `\r`) and read cell by cell as `&str` slices of the block ([`Fast::parse`]);
//!   UTF-8 is checked only where a text cell is not ASCII; line numbers are counted as the
//!   block is split; rows are judged and written [`CHUNK`] records at a time;
//! - **cells a word at a time** (SWAR, plain `u64` arithmetic): a text cell is scanned 8
//!   bytes at once for the first byte ≤ `,` ([`at_most_comma`], exact for the first such
//!   byte), which is then told apart (`,` `\n` `\r` end the cell, `"` gives up, another
//!   byte is part of the cell); the non-ASCII check ors the cell's own bytes. A number or
//!   money cell that ends within the 8 bytes from its first digit (after the sign) is read
//!   from one word ([`short_decimal`]): a digit mask finds the point and the end, the point
//!   lane is dropped, the digits are combined by the multiply-and-shift of simdjson's
//!   `parse_eight_digits_unrolled`, and the value is the same `mantissa / 10^frac` as
//!   [`parse_f64`]'s. A cell near the end of the block or a longer one is read by the byte
//!   loops as before ([`plain_text_bytes`], [`plain_num_slow`], [`plain_money_raw_bytes`];
//!   unit tests: the word readers give exactly what the byte loops give). The readers
//!   return the byte they stopped at, so the comma between cells and the line end are
//!   checked without another load;
//! - **the generated log's layout** ([`LOG_LAYOUT`]) is read by straight-line code with
//!   word-only readers ([`read_log_words`]), their words loaded from a window of
//!   [`WINDOW`] + 16 bytes at the row's start (one constant bounds check per word); when one
//!   of them declines a cell (a row longer than the window or too near the end of the
//!   block, a long or unusual cell), the row is read again by the general cell loop
//!   ([`read_row`]), which decides; other layouts take the cell loop directly. A number
//!   cell is read as a decimal first, a sign or an empty cell apart
//!   ([`signed_num_of_word`]). **What repeats from row to row is remembered** ([`Seen`]):
//!   the last two text cells of each text column (bytes and the comma after them, at most
//!   16, ASCII), the last unit price, and the last two shapes of each number column and of
//!   the amount ([`SeenShape`]: where the point and the end are, and how the digits are
//!   packed); a cell that is the same bytes as a remembered text or price is taken from the
//!   memo by one masked compare, a number of a remembered shape is read without finding
//!   its point and end, and a row whose group cells are all remembered takes their
//!   remembered group (a table by the cells' slots, an entry cleared when one of its cells
//!   is replaced). Otherwise, the group of a row whose test point, fuel and can material
//!   are at most 16 bytes each is found by its key as four 16-byte integers ([`short_key`]:
//!   the cells, their lengths, MMQ bits and flags): the last such row's group when the key
//!   is the same, else a direct-mapped cache of these keys ([`Fast::group_by_short`]); for
//!   longer cells, the last row's group when the cells are the same bytes as that row's in
//!   the block and the MMQ and flags are the same, else a cache keyed by the key's bytes
//!   ([`Fast::group_by_bytes`]);
//! - **numbers**: [`parse_f64`] reads plain decimals of at most 15 digits exactly (Clinger's
//!   fast path: integer mantissa / power of ten, both exact, one correctly rounded
//!   division — the same bits as `str::parse`, which is correctly rounded); anything else
//!   goes to `str::parse`, so the same texts are accepted and rejected; money cells are
//!   read as mantissa and scale, the `Decimal` that `parse_money` gives;
//! - **judging**: the rows of a block are grouped by (test point, fuel, can material, MMQ,
//!   temperatures given) and each group's indication errors are judged in columns by the
//!   library's batch core ([`DispenserBatch`], bit for bit the scalar answers; each group's
//!   values gathered into its own columns and the results handed back in one pass over the
//!   chunk in order each, [`Fast::judge_groups`]); the amount check's verdict is the
//!   library's [`AmountKernel`](verimeter::dispenser::AmountKernel) (integer arithmetic on
//!   the decimals, exactly [`check_amount`](verimeter::dispenser::check_amount)'s verdict)
//!   where the stage's rule is one it takes, else `check_amount` memoised exactly
//!   ([`AmountMemo`], in `fast_csv/amount.rs`: an open-addressed table of constant size
//!   keyed by the decimals' mantissas, scales and signs and the bits of V_J and the MMQ).
//!   A row's figures (E, judged E, V_Bt, MMQ, verdicts: [`DrawFigures`]) go to the nozzle
//!   accumulator without a [`DrawResult`]
//!   ([`FastSink::judged_figures`], the library's `NozzleAccumulator::push_figures`). Each
//!   group keeps one [`DrawResult`] from the scalar [`evaluate_draw`] (profile, clause,
//!   coefficients and their sources), whose per-row numbers are overwritten only for a row
//!   whose figures the sink declines (one that gives a reason that the output words; none
//!   for `--format csv`, whose nozzle accumulators are verdict-only): [`complete`]. Where
//!   the batch cannot express a group (limits that depend on the quantity) the rows are
//!   judged by [`evaluate_draw`] one by one. Debug builds (the tests) complete every row's
//!   result and assert that it equals [`evaluate_draw`]'s, and the figures its figures;
//! - **writing**: the echoed cells are the record's own bytes, the numbers are formatted by
//!   [`push_f64`] (in `fast_csv/numtext.rs`; `zmij`, with `Display`'s own formatting
//!   where `zmij` could differ; repeated ones from [`NumCache`]), the line numbers counted up as text ([`LineText`]), the texts
//!   that are constant in a group made once (the limits, and the row's end with its verdict
//!   and clause, [`Group::set_clause`]), and a chunk's rows go out as one write.
//!
//! Anything unusual falls back to the general path, so the rules live in one place:
//! - **a row** that is not plainly valid (wrong column count, an unreadable or invalid cell,
//!   a row the library rejects) is read again by the csv crate from its own bytes and goes
//!   through the general per-row path ([`crate::input::parse_record`] and the sink's `row`),
//!   which words its error;
//! - **the rest of the file** from the first record with a quote or a stray `\r` is handed
//!   to the general reader ([`CsvStream::resume`]), line numbers going on;
//! - **the whole file** when its header line is unusual, or when the columns or options are
//!   not the common case (gallons, per-row uncertainty columns, a decision rule with U,
//!   another output format).
//!
//! `verimeter dispenser --no-fast-path` (hidden) forces the general path, for comparisons.

use std::hash::Hasher;
use std::io::{self, Read};
use std::path::Path;

use memchr::{memchr, memchr2, memrchr};
use verimeter::batch::{verdict_of, DispenserBatch, DispenserColumns, DispenserOutput, Fuel};
use verimeter::dispenser::{
    corrected_standard_volume, evaluate_draw, thermal_factor, Draw, DrawFigures, DrawResult,
    PriceReading, Substance, TestPoint,
};
use verimeter::money::{parse_money, Money};
use verimeter::profile::{DispenserProfile, DispenserStage};
use verimeter::tolerance::PctLimits;
use verimeter::{Error, Verdict};

use crate::csvread::{Comments, CsvStream, RawRecord};
use crate::input::{map_columns, parse_record, Columns, DrawSink, Flow, VolumeUnit};

mod amount;
mod numtext;

use amount::AmountMemo;
use numtext::decimal_value;
pub use numtext::{parse_f64, push_f64};
use numtext::{LineText, NumCache, NumText, ShortText};

/// Bytes read per block (a line longer than this grows the buffer).
pub const BLOCK: usize = 1 << 20;

/// At most this many groups (test point × fuel × can material × MMQ) are judged in
/// columns; rows of further groups take the general path.
const MAX_GROUPS: usize = 64;

/// What the fast path needs of the dispenser command besides [`DrawSink`].
pub(crate) trait FastSink: DrawSink {
    /// Whether the options allow the fast path (simple decision rule, csv output); asked
    /// after [`DrawSink::start`].
    fn fast_allowed(&self) -> bool;
    /// A judged row (tally, nozzle accumulator): the same as what [`DrawSink::row`] does
    /// with a row whose outcome is `outcome`, without the output.
    /// `nozzle` is UTF-8 text (checked by the reader).
    fn judged(&mut self, nozzle: &[u8], line: u64, outcome: &Result<DrawResult, Error>);
    /// A judged row by its figures: the same as [`FastSink::judged`] with `Ok` of the
    /// row's result when it returns true; false: nothing done (the row gives a reason
    /// that needs its whole result), call `judged` with it.
    fn judged_figures(&mut self, nozzle: &[u8], figures: &DrawFigures) -> bool;
    /// Output bytes: whole csv rows, in order.
    fn raw(&mut self, bytes: &[u8]) -> Flow;
}

/// Reads the CSV file `path` (or standard input) into `sink` by the fast path where it
/// can (see the module docs); the same contract as [`crate::json_in::stream`] for csv
/// (`progress`: show the progress bar).
pub(crate) fn stream(
    path: &Path,
    profile: &DispenserProfile,
    stage: &DispenserStage,
    progress: bool,
    sink: &mut impl FastSink,
) -> Result<(), String> {
    crate::csvread::with_input(path, progress, |r| run(r, profile, stage, sink))
        .and_then(|flow| flow)
}

/// The general path for the rest of the input: `rest` starts at a record (or at the blank
/// lines before one) after `newlines` newlines.
fn general_rest(
    rest: &mut dyn Read,
    head: crate::csvread::RawFile,
    columns: &Columns,
    newlines: u64,
    sink: &mut dyn DrawSink,
) -> Result<Flow, String> {
    let mut csv = CsvStream::resume(rest, head, Comments::None, newlines);
    while let Some(rec) = csv.next_record()? {
        if let Err(e) = sink.row(parse_record(rec, columns)) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

fn read_error(e: io::Error) -> String {
    format!("cannot read the input: {e}")
}

/// Reads into `buf[*hi..]` once; false at the end of the input.
fn fill(input: &mut dyn Read, buf: &mut Vec<u8>, hi: &mut usize) -> Result<bool, String> {
    if *hi == buf.len() {
        let n = buf.len() * 2;
        buf.resize(n, 0);
    }
    loop {
        match input.read(&mut buf[*hi..]) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                *hi += n;
                return Ok(true);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        }
    }
}

fn run(
    input: &mut dyn Read,
    profile: &DispenserProfile,
    stage: &DispenserStage,
    sink: &mut impl FastSink,
) -> Result<Flow, String> {
    let mut buf = vec![0u8; BLOCK];
    let mut hi = 0;
    let mut eof = false;
    // The header line.
    let nl = loop {
        if let Some(nl) = memchr(b'\n', &buf[..hi]) {
            break Some(nl);
        }
        if eof {
            break None;
        }
        eof = !fill(input, &mut buf, &mut hi)?;
    };
    let plain_header = nl.filter(|&nl| {
        let line = &buf[..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        !matches!(buf.first(), Some(b'\r' | b'\n')) && memchr2(b'"', b'\r', line).is_none()
    });
    let Some(nl) = plain_header else {
        // An empty file, a header alone without a line end, or an unusual header.
        let mut all = io::Cursor::new(&buf[..hi]).chain(input);
        return crate::input::stream_csv(&mut all, sink);
    };
    let head = CsvStream::open(
        io::Cursor::new(&buf[..=nl]),
        "nozzle,test_point,indicated_l,standard_l",
        Comments::None,
    )?
    .head;
    let columns = map_columns(&head)?;
    if let Err(e) = sink.start(head.header.clone(), columns.clone()) {
        return Ok(Err(e));
    }
    let mut lo = nl + 1;
    let mut newlines = 1u64;
    let usable = sink.fast_allowed()
        && columns.unit == VolumeUnit::Litre
        && columns.uncertainty.iter().all(Option::is_none);
    if !usable {
        let mut rest = io::Cursor::new(&buf[lo..hi]).chain(input);
        return general_rest(&mut rest, head, &columns, newlines, sink);
    }
    let mut fast = Fast::new(profile, stage, &columns, head.header.len());
    loop {
        let end = if eof {
            hi
        } else {
            memrchr(b'\n', &buf[lo..hi]).map_or(lo, |p| lo + p + 1)
        };
        if end > lo {
            match fast.block(&buf[lo..end], newlines, sink) {
                Step::Done(n) => {
                    newlines = n;
                    lo = end;
                }
                Step::Switch { at, newlines } => {
                    let mut rest = io::Cursor::new(&buf[lo + at..hi]).chain(input);
                    return general_rest(&mut rest, head, &columns, newlines, sink);
                }
                Step::Stop(e) => return Ok(Err(e)),
            }
        }
        if eof {
            return Ok(Ok(()));
        }
        buf.copy_within(lo..hi, 0);
        hi -= lo;
        lo = 0;
        eof = !fill(input, &mut buf, &mut hi)?;
    }
}

/// How a block ended.
enum Step {
    /// Every record was handled; the newlines counted up to the block's end.
    Done(u64),
    /// The record at byte `at` of the block (after `newlines` newlines) needs the general
    /// reader, and so does the rest of the file.
    Switch { at: usize, newlines: u64 },
    /// The sink stopped (a fatal output error).
    Stop(String),
}

/// Records judged and written together (see [`Fast::block`]).
const CHUNK: usize = 2048;

/// Slots of the group cache of [`Fast::plain`].
const GROUP_SLOTS: usize = 64;

/// What a column of the file is to [`Fast::plain`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// A number: V_J, V_B, t_J, t_B, flow, MMQ (0–5).
    Num(u8),
    /// A text: nozzle, test point, fuel, can material (0–3).
    Text(u8),
    /// Money: unit price, amount (0–1).
    Money(u8),
    /// Not read, only echoed.
    Echo,
}

/// The [`Kind`] of each of the `width` columns.
fn kinds(cols: &Columns, width: usize) -> Vec<Kind> {
    let mut k = vec![Kind::Echo; width];
    let mut set = |i: Option<usize>, kind| {
        if let Some(slot) = i.and_then(|i| k.get_mut(i)) {
            *slot = kind;
        }
    };
    set(Some(cols.nozzle), Kind::Text(0));
    set(Some(cols.test_point), Kind::Text(1));
    set(cols.fuel, Kind::Text(2));
    set(cols.can_material, Kind::Text(3));
    set(cols.unit_price, Kind::Money(0));
    set(cols.amount, Kind::Money(1));
    set(Some(cols.indicated), Kind::Num(0));
    set(Some(cols.standard), Kind::Num(1));
    set(cols.dispenser_temp_c, Kind::Num(2));
    set(cols.can_temp_c, Kind::Num(3));
    set(cols.flow_l_min, Kind::Num(4));
    set(cols.mmq_l, Kind::Num(5));
    k
}

/// The columns of the generated dispenser log (`verimeter generate`, the common layout:
/// nozzle, test_point, fuel, indicated_l, standard_l, dispenser_temp_c, can_temp_c,
/// can_material, flow_l_min, unit_price, amount), for which [`Fast::plain`] has a
/// straight-line reader.
const LOG_LAYOUT: [Kind; 11] = [
    Kind::Text(0),
    Kind::Text(1),
    Kind::Text(2),
    Kind::Num(0),
    Kind::Num(1),
    Kind::Num(2),
    Kind::Num(3),
    Kind::Text(3),
    Kind::Num(4),
    Kind::Money(0),
    Kind::Money(1),
];

/// The cells of a row as [`Fast::plain`] collects them.
struct Cells {
    /// The bytes of the text cells or'ed: a lane's 0x80 set when one is not ASCII.
    high: u64,
    /// Spans of nozzle, test point, fuel, can material.
    spans: [(usize, usize); 4],
    /// Unit price, amount: (mantissa, scale or [`NO_MONEY`]).
    money: [(u64, u32); 2],
    /// V_J, V_B, t_J, t_B, flow, MMQ.
    nums: [Option<f64>; 6],
    /// [`read_log_words`]: bit k set when text cell k is remembered now ([`Seen`]: it was
    /// the remembered one, or it is remembered in place of one).
    held: u8,
    /// The slot ([`Seen::text`]) of a held cell k: bit k.
    slots: u8,
}

impl Cells {
    /// No cells read yet. (A function, not a constant: a constant this large is copied by
    /// a `memcpy` call, the literal by a few stores.)
    #[inline(always)]
    fn empty() -> Cells {
        Cells {
            high: 0,
            spans: [(0, 0); 4],
            money: [(0, NO_MONEY); 2],
            nums: [None; 6],
            held: 0,
            slots: 0,
        }
    }
}

/// Reads the cell of column kind `kind` of `b` at `p` into `cells`: where the cell ends
/// and the byte there ([`byte_at`]: `,` `\n` `\r`, or 0 at the end of `b`), `None` when it
/// is not plain. Inlined with constant `kind`.
#[inline(always)]
fn read_cell(b: &[u8], p: usize, kind: Kind, cells: &mut Cells) -> Option<(usize, u8)> {
    match kind {
        Kind::Num(k) => {
            let (x, q, t) = plain_num(b, p)?;
            cells.nums[usize::from(k)] = x;
            Some((q, t))
        }
        Kind::Text(k) => {
            let (q, t) = plain_text(b, p, &mut cells.high)?;
            if !plain_edges(&b[p..q]) {
                return None;
            }
            cells.spans[usize::from(k)] = (p, q);
            Some((q, t))
        }
        Kind::Money(k) => {
            let (m, scale, q, t) = plain_money_raw(b, p)?;
            cells.money[usize::from(k)] = (m, scale);
            Some((q, t))
        }
        Kind::Echo => plain_text(b, p, &mut cells.high),
    }
}

/// Bytes of a row that [`read_log_words`] reads: the words are loaded from a window of
/// this many bytes and 16 more at the start of the row, each with one bounds check (a
/// constant), and a row that does not end within them is read by [`read_row`].
const WINDOW: usize = 128;

/// The word of `win` at `p` (as [`word`]) when `p` is within the first [`WINDOW`] bytes.
#[inline(always)]
fn window_word(win: &[u8; WINDOW + 16], p: usize) -> Option<u64> {
    if p >= WINDOW {
        return None;
    }
    // p < WINDOW: the 8 bytes are within `win` (no check left).
    word(win, p)
}

/// The 16 bytes of `win` at `p` as a little-endian integer when `p` is within the first
/// [`WINDOW`] bytes.
#[inline(always)]
fn window_16(win: &[u8; WINDOW + 16], p: usize) -> Option<u128> {
    if p >= WINDOW {
        return None;
    }
    win.get(p..)
        .and_then(<[u8]>::first_chunk::<16>)
        .map(|w| u128::from_le_bytes(*w))
}

/// A text cell that [`read_log_words`] read last in its column: its bytes and the comma
/// after it, as the lowest bytes of `bytes`, and their mask (`len` + 1 bytes). A cell is
/// the same as this one when its 16 bytes masked are `bytes`: then the word readers would
/// read it as they read this one, which is where it ends, a comma after it, no byte above
/// 0x7f (only such cells are remembered).
#[derive(Clone, Copy)]
struct SeenText {
    bytes: u128,
    mask: u128,
    len: usize,
}

/// A money cell that [`read_log_words`] read last in its column, as [`SeenText`] in a
/// word: its bytes and the comma after it, their mask, and what [`money_of_word`] read.
#[derive(Clone, Copy)]
struct SeenMoney {
    bytes: u64,
    mask: u64,
    len: usize,
    value: (u64, u32),
}

/// The cells of the generated log's rows that repeat from row to row (the nozzle on every
/// draw of a nozzle, the test point, fuel and can material of a group, the unit price), as
/// [`read_log_words`] read them last, and the group of the remembered test point, fuel and
/// can material: a cell that is the same bytes as the remembered one is taken from the
/// memo by one compare of its (16 or 8) bytes, and a row whose three group cells are all
/// the remembered ones takes the remembered group (when its MMQ and flags are the same).
struct Seen {
    /// Two cells of each text column (a test point alternates between two), and the slot
    /// the next new cell of the column replaces (the older one).
    text: [[SeenText; 2]; 4],
    next: [u8; 4],
    /// The unit price (money cell 0).
    price: SeenMoney,
    /// The last two shapes of the number cells (0–5) and of the amount (6).
    shapes: [SeenShapes; 7],
    /// The groups of the remembered group cells: entry `a | b << 1 | c << 2` is the group
    /// of the test point in slot `a`, the fuel in slot `b` and the can material in slot
    /// `c`, with the MMQ bits and flags of its key ([`short_key`]'s tail); `None` when not
    /// known (set again by the next row that has those cells). An entry is cleared when one
    /// of its cells is replaced.
    groups: [Option<(usize, u64, u8)>; 8],
}

/// Bits of [`Cells::hit`] and [`Cells::held`] of the group's cells (test point, fuel, can
/// material).
const GROUP_CELLS: u8 = 0b1110;

/// The entry of [`Seen::groups`] of a row whose group cells are in the slots `slots`
/// ([`Cells::slots`]).
#[inline(always)]
fn group_entry(slots: u8) -> usize {
    usize::from((slots >> 1) & 7)
}

impl Seen {
    fn new() -> Seen {
        // A mask of 0 and bytes that are not 0: no cell is the same.
        let text = SeenText {
            bytes: 1,
            mask: 0,
            len: 0,
        };
        let money = SeenMoney {
            bytes: 1,
            mask: 0,
            len: 0,
            value: (0, 0),
        };
        Seen {
            text: [[text; 2]; 4],
            next: [0; 4],
            price: money,
            shapes: [SeenShapes::NONE; 7],
            groups: [None; 8],
        }
    }
}

/// Reads the cell of column kind `kind` at `p` of the row whose first bytes are `win`
/// into `cells` by the word readers only ([`num_of_word`], [`money_of_word`],
/// [`text_of_words`], words from [`window_word`]), as [`read_cell`] reads it: where the
/// cell ends and the byte there. `None` means "not read", not "not plain", and the byte
/// after the cell may be any: the caller checks it. Inlined with constant `kind`.
#[inline(always)]
fn read_word_cell(
    win: &[u8; WINDOW + 16],
    p: usize,
    kind: Kind,
    cells: &mut Cells,
    seen: &mut Seen,
) -> Option<(usize, u8)> {
    match kind {
        Kind::Num(k) => {
            let w = window_word(win, p)?;
            let shape = seen.shapes.get_mut(usize::from(k))?;
            if let Some((m, frac, end)) = shape.read(w) {
                cells.nums[usize::from(k)] = Some(decimal_value(m, frac));
                // Only shapes with a comma after them are remembered.
                return Some((p + end, b','));
            }
            // As `num_of_word`, the shape remembered.
            let Some((m, frac, end, i)) = short_decimal(w) else {
                let (x, q, t) = signed_num_of_word(w, p)?;
                cells.nums[usize::from(k)] = x;
                return Some((q, t));
            };
            let t = (w >> (8 * end)) as u8;
            if t == b',' {
                shape.remember(SeenShape::of(w, frac, end, i));
            }
            cells.nums[usize::from(k)] = Some(decimal_value(m, frac));
            Some((p + end, t))
        }
        Kind::Text(k) => {
            let x = window_16(win, p)?;
            let bit = 1u8 << k;
            let [m0, m1] = seen.text.get_mut(usize::from(k))?;
            let hit = if x & m0.mask == m0.bytes {
                Some((0, *m0))
            } else if x & m1.mask == m1.bytes {
                Some((1, *m1))
            } else {
                None
            };
            if let Some((slot, memo)) = hit {
                let q = p + memo.len;
                cells.spans[usize::from(k)] = (p, q);
                cells.held |= bit;
                cells.slots |= slot << k;
                // Only cells with a comma after them are remembered.
                return Some((q, b','));
            }
            let (q, t) = text_of_words(|p| window_word(win, p), p, &mut cells.high)?;
            cells.spans[usize::from(k)] = (p, q);
            // Remembered when it and the comma after it are within 16 bytes, all ASCII, in
            // place of the older of the two.
            let len = q - p;
            if len < 16 && t == b',' {
                let mask = u128::MAX >> (8 * (15 - len));
                if x & mask & LANES_80_16 == 0 {
                    let next = seen.next.get_mut(usize::from(k))?;
                    let slot = *next & 1;
                    *next = slot ^ 1;
                    *(if slot == 0 { m0 } else { m1 }) = SeenText {
                        bytes: x & mask,
                        mask,
                        len,
                    };
                    cells.held |= bit;
                    cells.slots |= slot << k;
                    if bit & GROUP_CELLS != 0 {
                        // The groups of the replaced cell.
                        for (e, g) in seen.groups.iter_mut().enumerate() {
                            if (e >> (k - 1)) & 1 == usize::from(slot) {
                                *g = None;
                            }
                        }
                    }
                }
            }
            Some((q, t))
        }
        Kind::Money(k) => {
            let w = window_word(win, p)?;
            // Only the unit price is remembered: it repeats (a grade's price), the amount
            // seldom does, and a memo that misses costs its compare and its stores.
            if k != 0 {
                // The amount's shape remembered (as a number cell's).
                let shape = seen.shapes.get_mut(6)?;
                if let Some((m, frac, end)) = shape.read(w) {
                    cells.money[usize::from(k)] = (m, frac as u32);
                    return Some((p + end, (w >> (8 * end)) as u8));
                }
                let (m, frac, end, i) = short_decimal(w)?;
                let (m, scale, q, t) = money_of_decimal(w, p, (m, frac, end, i))?;
                shape.remember(SeenShape::of(w, frac, end, i));
                cells.money[usize::from(k)] = (m, scale);
                return Some((q, t));
            }
            let memo = &mut seen.price;
            if w & memo.mask == memo.bytes {
                cells.money[usize::from(k)] = memo.value;
                // Only a price with a comma after it is remembered.
                return Some((p + memo.len, b','));
            }
            let (m, scale, q, t) = money_of_word(w, p)?;
            cells.money[usize::from(k)] = (m, scale);
            // The cell and the byte after it are within the word (`short_decimal`).
            if t == b',' {
                let len = q - p;
                let mask = u64::MAX >> (8 * (7 - (len & 7)));
                *memo = SeenMoney {
                    bytes: w & mask,
                    mask,
                    len,
                    value: (m, scale),
                };
            }
            Some((q, t))
        }
        // (Not in [`LOG_LAYOUT`].)
        Kind::Echo => None,
    }
}

/// Reads the cells of the record at the start of `b`, of the kinds `kinds`, into `cells`:
/// where the last one ends and the byte there, `None` when a cell is not plain or a cell
/// but the last does not end at a comma.
fn read_row(b: &[u8], kinds: &[Kind], cells: &mut Cells) -> Option<(usize, u8)> {
    let mut at = None;
    for &kind in kinds {
        at = Some(match at {
            None => read_cell(b, 0, kind, cells)?,
            Some((p, t)) => next_cell(b, p, t, kind, cells)?,
        });
    }
    Some(at.unwrap_or((0, byte_at(b, 0))))
}

/// [`read_row`] for [`LOG_LAYOUT`] by the word readers only ([`read_word_cell`]), written
/// out (every kind a constant), up to a line end (`\n` or `\r`); `None` when a cell is not
/// read so, the row is not within [`WINDOW`] bytes or fewer than `WINDOW + 16` bytes are
/// left in `b`, or the line does not end there ([`read_row`] decides then).
#[inline(always)]
fn read_log_words(b: &[u8], cells: &mut Cells, seen: &mut Seen) -> Option<(usize, u8)> {
    let win = b.first_chunk::<{ WINDOW + 16 }>()?;
    let mut at = read_word_cell(win, 0, LOG_LAYOUT[0], cells, seen)?;
    let mut next = |(p, t): (usize, u8), kind, cells: &mut Cells| {
        if t != b',' {
            return None;
        }
        read_word_cell(win, p + 1, kind, cells, seen)
    };
    at = next(at, LOG_LAYOUT[1], cells)?;
    at = next(at, LOG_LAYOUT[2], cells)?;
    at = next(at, LOG_LAYOUT[3], cells)?;
    at = next(at, LOG_LAYOUT[4], cells)?;
    at = next(at, LOG_LAYOUT[5], cells)?;
    at = next(at, LOG_LAYOUT[6], cells)?;
    at = next(at, LOG_LAYOUT[7], cells)?;
    at = next(at, LOG_LAYOUT[8], cells)?;
    at = next(at, LOG_LAYOUT[9], cells)?;
    at = next(at, LOG_LAYOUT[10], cells)?;
    matches!(at.1, b'\n' | b'\r').then_some(at)
}

/// Words of a row that [`RowShapes`] compares: rows of at most `8 * SHAPE_WORDS - 1` bytes
/// and their `\n`.
const SHAPE_WORDS: usize = 10;

/// Bytes from a row's start that [`RowShapes`] reads it from: a cell's word at any `u8`
/// offset is within them (no check).
const SHAPE_WIN: usize = 256 + 8;

/// Sets of [`RowShapes`] (two shapes each).
const SHAPE_SETS: usize = 64;

/// The number and money cells of [`LOG_LAYOUT`] (V_J, V_B, t_J, t_B, flow, unit price,
/// amount): their columns.
const SHAPE_CELLS: [usize; 7] = [3, 4, 5, 6, 8, 9, 10];

/// A decimal cell of a [`RowShape`]: where it starts in the row, and what
/// [`short_decimal`] made of it (as [`SeenShape`]: the lanes below the point, the shift of
/// the digits to the top lanes, the decimals).
#[derive(Clone, Copy)]
struct ShapeCell {
    low: u64,
    /// 10^frac (exact), the divisor of [`decimal_value`].
    div: f64,
    off: u8,
    shift: u8,
    frac: u8,
}

/// The shape of a whole row of [`LOG_LAYOUT`] that [`read_log_words`] read (every number
/// and money cell a short decimal, both temperatures, a price and an amount, all ASCII,
/// ending at a `\n`): which of its bytes may be any digit (the digits of the nozzle and of
/// the decimal cells) and the bytes of the others (commas, points, the letters of the
/// nozzle, every byte of test point, fuel and can material, the `\n`). A row with digits
/// where this one has them and the same bytes elsewhere has the same cells where this one
/// has them, its text cells the same bytes but the nozzle's digits, and decimals of the
/// same shapes (the flags of [`short_decimal`] are exact up to the cell's end, which is in
/// the same place): the word readers would read it as they read this one, to the same
/// spans and the same group, and its numbers from its own digits by the same
/// [`digit_lanes`] and [`decimal_value`]. Per word `k`: `x = (w ^ bytes[k]) & care[k]`;
/// a digit lane has `bytes` 0x30 and `adds` 0x76 (x ≤ 9 stays below 0x80), an exact lane
/// `bytes` the byte and `adds` 0x7f (only x = 0 stays below 0x80), a lane past the `\n`
/// `care` 0; the row fits when no lane of [`lane_sums`]`(x, adds)` has 0x80.
#[derive(Clone, Copy)]
struct RowShape {
    bytes: [u64; SHAPE_WORDS],
    adds: [u64; SHAPE_WORDS],
    care: [u64; SHAPE_WORDS],
    /// [`row_sig`] of such rows.
    sig: u64,
    /// Where the `\n` is, where the nozzle ends.
    len: usize,
    nozzle: usize,
    /// The row's group (its test point, fuel and can material; no MMQ, temperatures).
    group: usize,
    cells: [ShapeCell; 7],
}

impl RowShape {
    /// No shape: no row fits (lane 0 of `adds` has 0x80).
    const NONE: RowShape = RowShape {
        bytes: [0; SHAPE_WORDS],
        adds: [LANES_80; SHAPE_WORDS],
        care: [0; SHAPE_WORDS],
        sig: 0,
        len: 0,
        nozzle: 0,
        group: 0,
        cells: [ShapeCell {
            low: 0,
            div: 1.0,
            off: 0,
            shift: 0,
            frac: 0,
        }; 7],
    };

    /// Whether the row whose first bytes are `win` has this shape.
    #[inline(always)]
    fn fits(&self, win: &[u8; SHAPE_WIN]) -> bool {
        let mut bad = 0;
        for k in 0..SHAPE_WORDS {
            let x = (win_word(win, 8 * k as u8) ^ self.bytes[k]) & self.care[k];
            bad |= lane_sums(x, self.adds[k]);
        }
        bad & LANES_80 == 0
    }
}

/// A row read by its [`RowShape`]: V_J, V_B, t_J, t_B, flow; unit price and amount
/// (mantissa, scale); where the nozzle ends and the `\n` is; the group.
struct ShapedRow {
    nums: [f64; 5],
    /// The flow rate's digits (0 when it is 0).
    flow_digits: u64,
    money: [(u64, u32); 2],
    nozzle: usize,
    len: usize,
    group: usize,
}

/// The word of `win` at `p` (no check: `p` < 256).
#[inline(always)]
fn win_word(win: &[u8; SHAPE_WIN], p: u8) -> u64 {
    let p = usize::from(p);
    let mut w = [0u8; 8];
    w.copy_from_slice(&win[p..p + 8]);
    u64::from_le_bytes(w)
}

/// The bit 0x10 of each of the first 64 bytes of `win`, one bit each: the same for rows
/// of the same [`RowShape`] (every digit has it), the key of [`RowShapes`].
#[inline(always)]
fn row_sig(win: &[u8; SHAPE_WIN]) -> u64 {
    // Four 16-byte pieces, bit 4 of piece k moved to bit 4 − k of each byte; then the
    // upper half's bits 4–1 moved to bits 0 and 7–5 (of the byte below): 64 bits.
    let mut acc = [0u64; 2];
    for k in 0..4 {
        for (h, a) in acc.iter_mut().enumerate() {
            *a |= (win_word(win, (16 * k + 8 * h) as u8) & (LANES_01 * 0x10)) >> k;
        }
    }
    acc[0] | (acc[1] >> 4)
}

/// The [`RowShape`]s of the rows read lately: sets of two by [`row_sig`].
struct RowShapes {
    sets: Box<[[RowShape; 2]; SHAPE_SETS]>,
    /// The way of each set that the next new shape replaces.
    next: [u8; SHAPE_SETS],
    /// Rows read by their shape, and shapes learnt: a row that misses learns its shape
    /// only while `LEARN_PRICE × learnt` is below `hits` (and a first table full), so
    /// that rows of ever new shapes do not pay for learning them and gain nothing.
    hits: u64,
    learnt: u64,
}

/// What learning a shape costs in [`RowShapes::hits`] (a learnt shape costs about as much
/// as 8 rows read by one gain).
const LEARN_PRICE: u64 = 8;

impl RowShapes {
    fn new() -> RowShapes {
        RowShapes {
            sets: Box::new([[RowShape::NONE; 2]; SHAPE_SETS]),
            next: [0; SHAPE_SETS],
            // The first table full free.
            hits: 2 * SHAPE_SETS as u64 * LEARN_PRICE,
            learnt: 0,
        }
    }

    #[inline(always)]
    fn set_of(sig: u64) -> usize {
        (sig.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize % SHAPE_SETS
    }

    /// The row whose first bytes are `win` when it has a remembered shape.
    #[inline(always)]
    fn read(&self, win: &[u8; SHAPE_WIN]) -> Option<ShapedRow> {
        let sig = row_sig(win);
        // (A set below `SHAPE_SETS`: no check.)
        let [a, b] = &self.sets[Self::set_of(sig)];
        let s = if a.sig == sig {
            a
        } else if b.sig == sig {
            b
        } else {
            return None;
        };
        if !s.fits(win) {
            return None;
        }
        let digits = |c: &ShapeCell| {
            let t = win_word(win, c.off) ^ (LANES_01 * u64::from(b'0'));
            digit_lanes(t, c.low, usize::from(c.shift))
        };
        let [c0, c1, c2, c3, c4, c5, c6] = &s.cells;
        // As `decimal_value` (`div` is its 10^frac).
        let num = |c: &ShapeCell| digits(c) as i64 as f64 / c.div;
        // (frac ≤ 7: `& 7` says so, and spares `Money`'s scale checks.)
        let money = |c: &ShapeCell| (digits(c), u32::from(c.frac & 7));
        let flow = digits(c4);
        Some(ShapedRow {
            nums: [
                num(c0),
                num(c1),
                num(c2),
                num(c3),
                flow as i64 as f64 / c4.div,
            ],
            flow_digits: flow,
            money: [money(c5), money(c6)],
            nozzle: s.nozzle,
            len: s.len,
            group: s.group,
        })
    }

    /// Remembers the shape of the row whose first bytes are `win`, which
    /// [`read_log_words`] read to its `\n` at `len`, and its group; nothing when it is not
    /// such a row as [`RowShape`] describes.
    fn learn(&mut self, win: &[u8; SHAPE_WIN], len: usize, group: usize) -> Option<()> {
        if len >= 8 * SHAPE_WORDS {
            return None;
        }
        let row = win.get(..=len)?;
        if row.last() != Some(&b'\n') {
            return None;
        }
        // The cells: (start, end) of each of the 11, from the commas found a word at a
        // time (0x80 of each lane that is 0, exact: no lane carries).
        let zero_lanes = |x: u64| !lane_sums(x, LANES_01 * 0x7f) & LANES_80;
        let mut spans = [(0usize, 0usize); 11];
        let mut n = 0;
        let mut a = 0;
        for k in 0..SHAPE_WORDS {
            let w = win_word(win, (8 * k) as u8);
            // The lanes before the `\n`.
            let before = match len.checked_sub(8 * k) {
                None | Some(0) => 0,
                Some(m) if m < 8 => low_bytes(m),
                Some(_) => u64::MAX,
            };
            // All ASCII, no `\n` before the last.
            if (zero_lanes(w ^ (LANES_01 * u64::from(b'\n'))) | w) & before & LANES_80 != 0 {
                return None;
            }
            let mut commas = zero_lanes(w ^ (LANES_01 * u64::from(b','))) & before;
            while commas != 0 {
                let p = 8 * k + (commas.trailing_zeros() / 8) as usize;
                *spans.get_mut(n)? = (a, p);
                n += 1;
                a = p + 1;
                commas &= commas - 1;
            }
        }
        *spans.get_mut(n)? = (a, len);
        if n != 10 {
            return None;
        }
        let mut cells = RowShape::NONE.cells;
        for (j, &col) in SHAPE_CELLS.iter().enumerate() {
            let (start, end) = spans[col];
            let w = win_word(win, start as u8);
            let (m, frac, e, i) = short_decimal(w)?;
            if start + e != end {
                return None;
            }
            if j >= 5 {
                money_of_decimal(w, start, (m, frac, e, i))?;
            }
            let nd = e - usize::from(i < e);
            cells[j] = ShapeCell {
                low: low_bytes(i & 7),
                // 10^frac ≤ 10^7: exact, the `POW10_F64` of `decimal_value`.
                div: POW10_U64[frac & 7] as f64,
                off: start as u8,
                shift: (8 * (8 - nd)) as u8,
                frac: frac as u8,
            };
        }
        let mut shape = RowShape {
            bytes: [0; SHAPE_WORDS],
            adds: [0; SHAPE_WORDS],
            care: [0; SHAPE_WORDS],
            sig: row_sig(win),
            len,
            nozzle: spans[0].1,
            group,
            cells,
        };
        // The bytes where a digit may be any: the nozzle's and the decimal cells'.
        let mut free = [0u8; 8 * SHAPE_WORDS];
        for (a, e) in std::iter::once(spans[0]).chain(SHAPE_CELLS.iter().map(|&c| spans[c])) {
            free.get_mut(a..e)?.fill(0xff);
        }
        for (k, free) in free.chunks_exact(8).enumerate() {
            let w = win_word(win, (8 * k) as u8);
            let t = w ^ (LANES_01 * u64::from(b'0'));
            // 0xff on the digit lanes (exact: no lane carries).
            let digit = !lane_sums(t, LANES_01 * 0x76) & LANES_80;
            let digit = (digit >> 7) * 0xff;
            let mut lanes = [0u8; 8];
            lanes.copy_from_slice(free);
            // The lanes up to the `\n`.
            let care = match (len + 1).checked_sub(8 * k) {
                None | Some(0) => 0,
                Some(n) if n < 8 => low_bytes(n),
                Some(_) => u64::MAX,
            };
            let var = digit & u64::from_le_bytes(lanes) & care;
            shape.bytes[k] = ((w & !var) | ((LANES_01 * 0x30) & var)) & care;
            shape.adds[k] = ((LANES_01 * 0x7f) ^ ((LANES_01 * 0x09) & var)) & care;
            shape.care[k] = care;
        }
        let set = Self::set_of(shape.sig);
        let ways = self.sets.get_mut(set)?;
        let next = self.next.get_mut(set)?;
        let way = if ways[0].sig == shape.sig {
            0
        } else if ways[1].sig == shape.sig {
            1
        } else {
            let way = *next & 1;
            *next = way ^ 1;
            usize::from(way)
        };
        ways[way] = shape;
        Some(())
    }
}

/// Reads the cell of column kind `kind` of `b` after the comma at `p`, `t` the byte there
/// (`None` when it is not a comma), as [`read_cell`].
#[inline(always)]
fn next_cell(b: &[u8], p: usize, t: u8, kind: Kind, cells: &mut Cells) -> Option<(usize, u8)> {
    if t != b',' {
        return None;
    }
    read_cell(b, p + 1, kind, cells)
}

/// The byte of `line` at `p`, 0 at its end (where the readers stop: a cell ends at a comma,
/// a line end or the end of `line`, never at a 0 byte).
#[inline(always)]
fn byte_at(line: &[u8], p: usize) -> u8 {
    line.get(p).copied().unwrap_or(0)
}

/// The digits of `line` from `p` on: (their value, wrapping past 19 digits; where they end).
#[inline]
fn digits(line: &[u8], mut p: usize) -> (u64, usize) {
    let mut m = 0u64;
    while let Some(&c) = line.get(p) {
        let d = c.wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        p += 1;
    }
    (m, p)
}

/// Whether a cell may end at `p` of `line`: a comma, a line end or the end of `line`.
#[inline]
fn cell_end(line: &[u8], p: usize) -> bool {
    matches!(line.get(p), None | Some(b',' | b'\n' | b'\r'))
}

/// Whether `c` may end a cell: a comma or a line end.
#[inline(always)]
fn ends_cell(c: u8) -> bool {
    matches!(c, b',' | b'\n' | b'\r')
}

/// The number cell of `line` that starts at `p`: its value (`None` when empty), where it
/// ends (at a comma, a line end or the end of `line`) and the byte there ([`byte_at`]).
/// `None` when it is not a plain decimal (`[+-]digits[.digits]`, a digit at least) of at
/// most 15 digits. Its value is
/// [`parse_f64`]'s of the cell's text (the same formula). A short cell is read at once
/// ([`plain_num_word`]); any other by [`plain_num_slow`] (which reads the short ones the
/// same: unit test).
#[inline(always)]
fn plain_num(line: &[u8], p: usize) -> Option<(Option<f64>, usize, u8)> {
    match plain_num_word(line, p) {
        Some(cell) if ends_cell(cell.2) => Some(cell),
        _ => plain_num_slow(line, p),
    }
}

/// [`plain_num`] of a cell with 8 bytes left in `line` from its start that is empty or
/// ends within those 8 bytes (7 after a sign): the sign, the digits, the point and the
/// byte after the cell from one word ([`short_decimal`]). `None` otherwise (the cell may
/// be plain all the same: [`plain_num_slow`] decides). The cell is this one only where
/// the byte after it ends a cell: the caller checks ([`ends_cell`], or a comma).
#[inline(always)]
fn plain_num_word(line: &[u8], p: usize) -> Option<(Option<f64>, usize, u8)> {
    num_of_word(word(line, p)?, p)
}

/// [`plain_num_word`] of the word `w` of the cell's first 8 bytes (the cell starts at
/// `p`). A cell that starts with a digit or a point is read first; a sign or an empty cell
/// by [`signed_num_of_word`].
#[inline(always)]
fn num_of_word(w: u64, p: usize) -> Option<(Option<f64>, usize, u8)> {
    // (A sign or a cell end in lane 0: no decimal at the start of `w`.)
    let Some((m, frac, end, _)) = short_decimal(w) else {
        return signed_num_of_word(w, p);
    };
    let t = (w >> (8 * end)) as u8;
    // m < 10^7, frac ≤ 6.
    let x = decimal_value(m, frac);
    Some((Some(x), p + end, t))
}

/// [`num_of_word`] of a cell that does not start with a decimal: a sign and one, or an
/// empty cell (the caller checks the byte after it); `None` otherwise.
#[inline(never)]
fn signed_num_of_word(w: u64, p: usize) -> Option<(Option<f64>, usize, u8)> {
    let c = w as u8;
    if c == b'-' || c == b'+' {
        // The top lane 0 then, which ends no cell.
        let w = w >> 8;
        let (m, frac, end, _) = short_decimal(w)?;
        let t = (w >> (8 * end)) as u8;
        let x = decimal_value(m, frac);
        return Some((Some(if c == b'-' { -x } else { x }), p + 1 + end, t));
    }
    ends_cell(c).then_some((None, p, c))
}

/// [`plain_num`] a byte at a time.
#[inline(never)]
fn plain_num_slow(line: &[u8], p: usize) -> Option<(Option<f64>, usize, u8)> {
    match line.get(p) {
        None | Some(b',' | b'\n' | b'\r') => Some((None, p, byte_at(line, p))),
        Some(b'-') => plain_num_bytes(line, true, p + 1),
        Some(b'+') => plain_num_bytes(line, false, p + 1),
        _ => plain_num_bytes(line, false, p),
    }
}

/// [`plain_num_slow`] from `q` (after the sign, `neg` when it is `-`): the
/// digits before and after the point are read by two tight loops ([`digits`]), counted by
/// where they end.
#[inline]
fn plain_num_bytes(line: &[u8], neg: bool, q: usize) -> Option<(Option<f64>, usize, u8)> {
    let (int, mut e) = digits(line, q);
    let mut nd = e - q;
    let (mut m, mut frac) = (int, 0);
    if line.get(e) == Some(&b'.') {
        let (f, fe) = digits(line, e + 1);
        frac = fe - e - 1;
        nd += frac;
        if frac > 15 {
            return None;
        }
        m = int.wrapping_mul(POW10_U64[frac]).wrapping_add(f);
        e = fe;
    }
    if nd == 0 || nd > 15 || !cell_end(line, e) {
        return None;
    }
    let x = decimal_value(m, frac);
    Some((Some(if neg { -x } else { x }), e, byte_at(line, e)))
}

/// 10^k as integers, k ≤ 18.
const POW10_U64: [u64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// Bytes 0x01 and 0x80 in every lane of a word (the SWAR constants).
const LANES_01: u64 = 0x0101_0101_0101_0101;
const LANES_80: u64 = 0x8080_8080_8080_8080;
/// 0x80 in every lane of a 16-byte integer.
const LANES_80_16: u128 = u128::from_le_bytes([0x80; 16]);

/// The 8 bytes of `line` from `p` as a little-endian word (byte `p` lowest), when there are
/// 8 (`None` near the end of the block: the byte loops read those bytes).
#[inline(always)]
fn word(line: &[u8], p: usize) -> Option<u64> {
    line.get(p..)
        .and_then(<[u8]>::first_chunk::<8>)
        .map(|w| u64::from_le_bytes(*w))
}

/// The bytes of `w` that are at most `,` flagged (0x80 of their lane), exact up to the first
/// flagged byte (the lowest): a byte above it may be flagged by the borrow of the
/// subtraction, a byte below it never is. `,` `"` `\n` `\r` are all below `-`; bytes ≥ 0x80
/// are never flagged.
#[inline(always)]
fn at_most_comma(w: u64) -> u64 {
    w.wrapping_sub(LANES_01 * u64::from(b',' + 1)) & !w & LANES_80
}

/// The lowest `n` bytes of a word (`n` < 8).
#[inline(always)]
fn low_bytes(n: usize) -> u64 {
    (1u64 << (8 * n)) - 1
}

/// Each lane of `x` added to its lane of `adds` without carries between lanes (the lanes'
/// low 7 bits sum to at most 0x7f + 0x7f), with `x`'s own 0x80 kept: a lane's 0x80 is set
/// exactly when `x`'s lane + `adds`' lane ≥ 0x80, i.e. when `x`'s lane is above
/// 0x7f − `adds`' lane (0x7f: any lane but 0; 0x76: a lane above 9).
#[inline(always)]
fn lane_sums(x: u64, adds: u64) -> u64 {
    ((x & !LANES_80).wrapping_add(adds)) | x
}

/// Whether `block[a..a + n]` and `block[c..c + n]` are the same bytes (both within
/// `block`): as two 16-byte little-endian integers when the cells are at most 16 bytes long
/// and 16 bytes are left in the block from both, else as slices.
#[inline(always)]
fn same_bytes(block: &[u8], a: usize, c: usize, n: usize) -> bool {
    let sixteen = |p: usize| {
        block
            .get(p..)
            .and_then(<[u8]>::first_chunk::<16>)
            .map(|w| u128::from_le_bytes(*w))
    };
    if n <= 16 {
        if let (Some(x), Some(y)) = (sixteen(a), sixteen(c)) {
            let mask = u128::MAX.checked_shr((128 - 8 * n) as u32).unwrap_or(0);
            return (x ^ y) & mask == 0;
        }
    }
    block.get(a..a + n) == block.get(c..c + n)
}

/// The group key of a row whose test point, fuel and can material (`spans` 1–3 of `line`)
/// are at most 16 bytes long each with 16 bytes of `line` from each: the three cells as
/// 16-byte little-endian integers (zero above the cell's bytes), and their lengths and
/// `tail` (MMQ bits, flags) in a fourth. Two rows have the same key exactly when their
/// cells and tails are the same. `None` otherwise.
#[inline(always)]
fn short_key(line: &[u8], spans: [(usize, usize); 4], tail: [u8; 9]) -> Option<[u128; 4]> {
    let cell = |(a, c): (usize, usize)| {
        let n = c.checked_sub(a)?;
        if n > 16 {
            return None;
        }
        let x = u128::from_le_bytes(*line.get(a..)?.first_chunk::<16>()?);
        Some((
            x & u128::MAX.checked_shr((128 - 8 * n) as u32).unwrap_or(0),
            n as u8,
        ))
    };
    let (tp, n1) = cell(spans[1])?;
    let (fuel, n2) = cell(spans[2])?;
    let (can, n3) = cell(spans[3])?;
    let mut rest = [0u8; 16];
    rest[..9].copy_from_slice(&tail);
    rest[9..12].copy_from_slice(&[n1, n2, n3]);
    Some([tp, fuel, can, u128::from_le_bytes(rest)])
}

/// Whether two [`short_key`]s are the same, by integer compares (`==` on the arrays is a
/// `bcmp` call).
#[inline(always)]
fn same_key(a: &[u128; 4], b: &[u128; 4]) -> bool {
    ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0
}

/// Whether the cells of `block` at the spans `x` and `y` are the same bytes.
#[inline(always)]
fn same_cell(block: &[u8], x: (usize, usize), y: (usize, usize)) -> bool {
    x.1 - x.0 == y.1 - y.0 && same_bytes(block, x.0, y.0, x.1 - x.0)
}

/// Where the text cell of `line` that starts at `p` ends (a comma, a line end or the end of
/// `line`) and the byte there ([`byte_at`]); `None` at a quote. `high` gets the cell's bytes or'ed in (a lane's 0x80 bit set
/// when a byte is not ASCII). A word at a time ([`at_most_comma`]) while 8 bytes are left,
/// then [`plain_text_bytes`].
#[inline(always)]
fn plain_text(line: &[u8], mut p: usize, high: &mut u64) -> Option<(usize, u8)> {
    while let Some(w) = word(line, p) {
        let f = at_most_comma(w);
        if f == 0 {
            *high |= w;
            p += 8;
            continue;
        }
        let i = (f.trailing_zeros() / 8) as usize;
        *high |= w & low_bytes(i);
        p += i;
        match (w >> (8 * i)) as u8 {
            t @ (b',' | b'\n' | b'\r') => return Some((p, t)),
            b'"' => return None,
            // Another byte below `-` (a space, `!` … `+`): part of the cell.
            _ => p += 1,
        }
    }
    plain_text_bytes(line, p, high)
}

/// [`plain_text`] of a cell with 8 bytes left in `line` from each word it is read by,
/// and [`plain_edges`] too (from the words: the first byte of the first, the last byte
/// read); `None` otherwise, at a quote and where the edges are not plain ([`plain_text`]
/// and [`plain_edges`] decide then).
#[cfg(test)]
fn plain_text_words(line: &[u8], start: usize, high: &mut u64) -> Option<(usize, u8)> {
    text_of_words(|p| word(line, p), start, high)
}

/// [`plain_text_words`] with the words of the line from `load` (`None`: no word there).
#[inline(always)]
fn text_of_words(
    load: impl Fn(usize) -> Option<u64>,
    start: usize,
    high: &mut u64,
) -> Option<(usize, u8)> {
    // The bytes that stop a cell, all ≤ `,`: the first flagged byte is one of them or
    // another byte below `-`.
    const STOP: u64 = 1 << b',' | 1 << b'\n' | 1 << b'\r' | 1 << b'"';
    let mut p = start;
    let mut w = load(p)?;
    let first = w as u8;
    let mut last = 0;
    loop {
        let f = at_most_comma(w);
        if f == 0 {
            *high |= w;
            last = (w >> 56) as u8;
            p += 8;
        } else {
            let i = (f.trailing_zeros() / 8) as usize;
            let before = w & low_bytes(i);
            *high |= before;
            if i > 0 {
                last = (before >> (8 * (i - 1))) as u8;
            }
            p += i;
            let t = (w >> (8 * i)) as u8;
            // t ≤ `,` < 64.
            if (STOP >> t) & 1 != 0 {
                let edge = |c: u8| (0x21..0x80).contains(&c);
                let plain = p == start || (edge(first) && edge(last));
                return (t != b'"' && plain).then_some((p, t));
            }
            last = t;
            p += 1;
        }
        w = load(p)?;
    }
}

/// [`plain_text`] a byte at a time.
#[inline(never)]
fn plain_text_bytes(line: &[u8], mut p: usize, high: &mut u64) -> Option<(usize, u8)> {
    while let Some(&c) = line.get(p) {
        // `,` `"` `\n` `\r` are all below `-`: letters, digits and `-` take one comparison.
        if c <= b',' && matches!(c, b',' | b'\n' | b'\r' | b'"') {
            if c == b'"' {
                return None;
            }
            break;
        }
        *high |= u64::from(c);
        p += 1;
    }
    Some((p, byte_at(line, p)))
}

/// A short decimal `digits[.digits]` at the start of the word `w` (the cell's bytes from
/// its first digit or point), read at once: (its digits as an integer, the number of them
/// after the point, where it ends — the first byte that is neither a digit nor the first
/// point, and where the digits before the point end), when it ends within the word (at
/// most 7 bytes) and has a digit; else `None` (the byte loops decide).
///
/// Digits are the lanes `b - '0'` < 10; the point is dropped by shifting the fraction's
/// lanes down by one, the digits are moved to the top lanes (leading zero lanes) and
/// combined by the multiply-and-shift of simdjson's `parse_eight_digits_unrolled`.
#[inline(always)]
fn short_decimal(w: u64) -> Option<(u64, usize, usize, usize)> {
    let t = w ^ (LANES_01 * u64::from(b'0'));
    // 0x80 of each lane that is not a digit (t > 9), exact up to the second such lane: a
    // lane carries into the next only when t ≥ 0x8a, itself flagged, and the point
    // (t = 0x1e) does not.
    let other = ((t.wrapping_add(LANES_01 * 0x76)) | t) & LANES_80;
    // (8 when there is none.)
    let i = (other.trailing_zeros() / 8) as usize;
    // (With no such lane, i = 8: lane 0 is looked at, and then end = 8 all the same.)
    let point = (t >> ((8 * i) & 63)) as u8 == b'.' ^ b'0';
    // The cell's end: the first non-digit lane, or the second when the first is the point
    // (8 when there is none).
    let pt = usize::from(point);
    let stop = if point {
        other & other.wrapping_sub(1)
    } else {
        other
    };
    // The end within the word, and a digit (nd = end − pt ≥ 1).
    if stop == 0 {
        return None;
    }
    let end = (stop.trailing_zeros() / 8) as usize;
    if end <= pt {
        return None;
    }
    let nd = end - pt;
    // The digit lanes below the point as they are, those after it one lane down; then the
    // nd digits to the top lanes (lanes from nd on, the point and what follows the cell,
    // are shifted out). nd ≤ 7, i ≤ 7: the shifts are below 64.
    let m = digit_lanes(t, low_bytes(i & 7), 8 * (8 - nd));
    // Without a point i = end: no fraction.
    Some((m, end - i - pt, end, i))
}

/// The value of the digit lanes of `t` (a word's bytes − `0`): the lanes of `low` as they
/// are and the others one lane down (the point dropped), shifted up by `shift` bits so
/// that the last digit is in the top lane (the lanes above the digits shifted out),
/// combined by the multiply-and-shift of simdjson's `parse_eight_digits_unrolled` (at most
/// 7 digits, `shift` ≥ 8).
#[inline(always)]
fn digit_lanes(t: u64, low: u64, shift: usize) -> u64 {
    let packed = (t & low) | ((t >> 8) & !low);
    let v = packed << (shift & 63);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    const MASK: u64 = 0x0000_00ff_0000_00ff;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let m = ((v & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2)))
        >> 32;
    m & 0xffff_ffff
}

/// The shape of the short decimal ([`short_decimal`]) that a number or money cell of a
/// column held last: which of the lanes up to the byte after it (`lanes`) are not digits
/// (`flags`: the point's and the end's), and those lanes' bytes (`bytes` under `bytes_mask`);
/// and what [`short_decimal`] made of it: the lanes below the point (`low`), the shift of
/// the digits to the top lanes, the decimals and where the cell ends. A word whose flags
/// and bytes in those lanes are the same is a decimal of the same shape (the flags of
/// [`short_decimal`] are exact up to the second non-digit lane, which is `end` here, and
/// every lane below `end` is then a digit or the point): [`SeenShapes::read`] reads it with
/// these, without finding the point and the end.
#[derive(Clone, Copy)]
struct SeenShape {
    lanes: u64,
    flags: u64,
    bytes_mask: u64,
    bytes: u64,
    low: u64,
    shift: usize,
    frac: usize,
    end: usize,
}

impl SeenShape {
    /// No shape: no word matches (`flags` outside `lanes`).
    const NONE: SeenShape = SeenShape {
        lanes: 0,
        flags: 1,
        bytes_mask: 0,
        bytes: 0,
        low: 0,
        shift: 0,
        frac: 0,
        end: 0,
    };

    /// The shape of `w`, which [`short_decimal`] read as `(_, frac, end, i)`.
    #[inline(always)]
    fn of(w: u64, frac: usize, end: usize, i: usize) -> SeenShape {
        // end ≤ 7, i ≤ end (i = end without a point).
        let lane = |k: usize| 0x80u64 << (8 * (k & 7));
        let byte = |k: usize| 0xffu64 << (8 * (k & 7));
        let nd = end - usize::from(i < end);
        SeenShape {
            lanes: u64::MAX >> (8 * (7 - (end & 7))),
            flags: lane(i) | lane(end),
            bytes_mask: byte(i) | byte(end),
            bytes: w & (byte(i) | byte(end)),
            low: low_bytes(i & 7),
            shift: 8 * (8 - nd),
            frac,
            end,
        }
    }

    /// [`short_decimal`]'s `(m, frac, end)` of `w` when `w` starts with a decimal of this
    /// shape and the same byte after it; `None` otherwise.
    #[cfg(test)]
    fn read(&self, w: u64) -> Option<(u64, usize, usize)> {
        SeenShapes([*self, *self], 0).read(w)
    }

    /// Whether the word `w`, whose non-digit lanes are flagged in `other` as
    /// [`short_decimal`] flags them, has this shape.
    #[inline(always)]
    fn fits(&self, w: u64, other: u64) -> bool {
        ((other & self.lanes) ^ self.flags) | ((w & self.bytes_mask) ^ self.bytes) == 0
    }
}

/// The two shapes remembered of a column (temperatures and flow rates take two by turns),
/// and the slot that the next new one replaces.
#[derive(Clone, Copy)]
struct SeenShapes([SeenShape; 2], u8);

impl SeenShapes {
    const NONE: SeenShapes = SeenShapes([SeenShape::NONE; 2], 0);

    /// [`short_decimal`]'s `(m, frac, end)` of `w` when `w` starts with a decimal of one
    /// of the two shapes and the same byte after it; `None` otherwise.
    #[inline(always)]
    fn read(&self, w: u64) -> Option<(u64, usize, usize)> {
        let t = w ^ (LANES_01 * u64::from(b'0'));
        let other = ((t.wrapping_add(LANES_01 * 0x76)) | t) & LANES_80;
        let [a, b] = &self.0;
        let s = if a.fits(w, other) {
            a
        } else if b.fits(w, other) {
            b
        } else {
            return None;
        };
        Some((digit_lanes(t, s.low, s.shift), s.frac, s.end))
    }

    /// Remembers `shape` in place of the older one.
    #[inline(always)]
    fn remember(&mut self, shape: SeenShape) {
        let slot = self.1 & 1;
        self.1 = slot ^ 1;
        let [a, b] = &mut self.0;
        *(if slot == 0 { a } else { b }) = shape;
    }
}

/// Whether `trim` leaves the cell as it is: empty, or first and last bytes ASCII and not
/// whitespace (see [`trim`]).
fn plain_edges(s: &[u8]) -> bool {
    match s {
        [] => true,
        [first, .., last] => (0x21..0x80).contains(first) && (0x21..0x80).contains(last),
        [only] => (0x21..0x80).contains(only),
    }
}

/// The checks both row readers make on a row's optional cells: what `evaluate_draw` would
/// reject before the indication error goes to the general path (`None`), which words it —
/// a unit price without an amount or the reverse, a flow rate that is not finite and > 0,
/// one temperature without the other. Otherwise the price reading, whether there are
/// temperatures, and the two temperatures (NaN without them).
fn companions(
    unit_price: Option<Money>,
    amount: Option<Money>,
    flow: Option<f64>,
    tj: Option<f64>,
    tb: Option<f64>,
) -> Option<(Option<PriceReading>, bool, f64, f64)> {
    let price = match (unit_price, amount) {
        (Some(unit_price), Some(amount)) => Some(PriceReading { unit_price, amount }),
        (None, None) => None,
        _ => return None,
    };
    // Finite and > 0: 0 < f ≤ MAX (NaN fails both).
    if flow.is_some_and(|f| !(f > 0.0 && f <= f64::MAX)) {
        return None;
    }
    match (tj, tb) {
        (Some(j), Some(b)) => Some((price, true, j, b)),
        (None, None) => Some((price, false, f64::NAN, f64::NAN)),
        _ => None,
    }
}

/// The money cell of `line` that starts at `p`: its value (`None` when empty) and where it
/// ends (at a comma, a line end or the end of `line`). `None` when it is not `digits[.digits]`
/// with at most 18 digits; then [`parse_money`] decides. Its value is [`parse_money`]'s,
/// scale included (the mantissa is the digits, the scale the number of decimals, as
/// `Decimal::from_str` reads them; unit test).
#[cfg(test)]
fn plain_money(line: &[u8], p: usize) -> Option<(Option<Money>, usize)> {
    let (m, scale, e, _) = plain_money_raw(line, p)?;
    Some((money_of(m, scale)?, e))
}

/// The money cell of `line` that starts at `p` as [`plain_money`] reads it, without making
/// the `Money` yet: (mantissa, scale or [`NO_MONEY`] when the cell is empty, where it ends,
/// the byte there ([`byte_at`])).
/// (Plain integers: a `Money` handed through the reader's loop was written and read back
/// in pieces of different sizes, which stalls the CPU's store forwarding.)
#[inline(always)]
fn plain_money_raw(line: &[u8], p: usize) -> Option<(u64, u32, usize, u8)> {
    match plain_money_word(line, p) {
        Some(cell) if ends_cell(cell.3) => Some(cell),
        _ => plain_money_raw_bytes(line, p),
    }
}

/// [`plain_money_raw`] of a cell with 8 bytes left in `line` from its start that ends
/// within them, read from one word ([`short_decimal`]); `None` otherwise (the cell may be
/// plain all the same: [`plain_money_raw_bytes`] decides). As in [`plain_num_word`], the
/// caller checks the byte after the cell.
#[inline(always)]
fn plain_money_word(line: &[u8], p: usize) -> Option<(u64, u32, usize, u8)> {
    money_of_word(word(line, p)?, p)
}

/// [`plain_money_word`] of the word `w` of the cell's first 8 bytes (the cell starts at
/// `p`).
#[inline(always)]
fn money_of_word(w: u64, p: usize) -> Option<(u64, u32, usize, u8)> {
    money_of_decimal(w, p, short_decimal(w)?)
}

/// [`money_of_word`] of the word `w` that [`short_decimal`] read as `d`.
#[inline(always)]
fn money_of_decimal(
    w: u64,
    p: usize,
    (m, frac, end, int): (u64, usize, usize, usize),
) -> Option<(u64, u32, usize, u8)> {
    let t = (w >> (8 * end)) as u8;
    // A digit before the point, and one after the point when there is one (the cell ends
    // at the digits before the point without one, two bytes after them or later with one).
    (int > 0 && end != int + 1).then_some((m, frac as u32, p + end, t))
}

/// [`plain_money_raw`] a byte at a time.
#[inline(never)]
fn plain_money_raw_bytes(line: &[u8], p: usize) -> Option<(u64, u32, usize, u8)> {
    let (int, mut e) = digits(line, p);
    let mut nd = e - p;
    let (mut m, mut frac) = (int, 0);
    if nd > 0 && line.get(e) == Some(&b'.') {
        let (f, fe) = digits(line, e + 1);
        frac = fe - e - 1;
        nd += frac;
        if frac == 0 || frac > 18 {
            return None;
        }
        m = int.wrapping_mul(POW10_U64[frac]).wrapping_add(f);
        e = fe;
    }
    if !cell_end(line, e) || nd > 18 {
        return None;
    }
    if nd == 0 {
        return Some((0, NO_MONEY, p, byte_at(line, p)));
    }
    // nd ≤ 18: m < 10^18 < 2^63, and frac ≤ 18.
    Some((m, frac as u32, e, byte_at(line, e)))
}

/// The scale of an empty money cell in [`plain_money_raw`].
const NO_MONEY: u32 = u32::MAX;

/// The `Money` of [`plain_money_raw`]'s mantissa and scale.
/// `Some(None)` for an empty cell; `None` where `Money` cannot hold it (never: the scale is
/// at most 18 and `m` < 10^18). (`try_new` rather than `new`: it is inlined, `new` is a
/// call.)
#[inline(always)]
fn money_of(m: u64, scale: u32) -> Option<Option<Money>> {
    if scale == NO_MONEY {
        return Some(None);
    }
    // m < 2^63 (at most 18 digits): said so, the sign's code goes.
    Money::try_new((m & i64::MAX as u64) as i64, scale)
        .ok()
        .map(Some)
}

/// A record of a block that the fast path reads.
#[derive(Clone, Copy)]
struct Rec {
    line: u64,
    /// The record's bytes (without the line end), within the block.
    start: usize,
    end: usize,
    /// The parsed row, or `None`: the general per-row path.
    row: Option<RowVals>,
}

/// The values of a plain row.
#[derive(Clone, Copy)]
struct RowVals {
    nozzle: (usize, usize),
    group: usize,
    vj: f64,
    vb: f64,
    tj: f64,
    tb: f64,
    flow: Option<f64>,
    price: Option<PriceReading>,
}

/// The row of `block[start..]` that [`RowShapes::read`] read, as [`Fast::plain`] makes it:
/// `None` when its flow rate is 0 (the cell reader decides then).
#[inline(always)]
fn shaped_row(got: ShapedRow, start: usize) -> Option<(RowVals, usize, usize)> {
    let [vj, vb, tj, tb, flow] = got.nums;
    // Digits: finite, and > 0 unless they are all 0.
    if got.flow_digits == 0 {
        return None;
    }
    let unit_price = money_of(got.money[0].0, got.money[0].1)??;
    let amount = money_of(got.money[1].0, got.money[1].1)??;
    let row = RowVals {
        nozzle: (start, start + got.nozzle),
        group: got.group,
        vj,
        vb,
        tj,
        tb,
        flow: Some(flow),
        price: Some(PriceReading { unit_price, amount }),
    };
    Some((row, start + got.len, start + got.len))
}

/// Whether two reads of a row are the same (the numbers bit for bit).
#[cfg(debug_assertions)]
fn same_read(a: &Option<(RowVals, usize, usize)>, b: &Option<(RowVals, usize, usize)>) -> bool {
    let key = |r: &Option<(RowVals, usize, usize)>| {
        r.map(|(v, end, stop)| {
            (
                v.nozzle,
                v.group,
                [v.vj, v.vb, v.tj, v.tb].map(f64::to_bits),
                v.flow.map(f64::to_bits),
                v.price,
                end,
                stop,
            )
        })
    };
    key(a) == key(b)
}

/// A row's numbers from its group's batch ([`Fast::judge_groups`]): E, judged E, MPE,
/// limits, verdict code. They stay in the group's columns, where [`Fast::emit`] takes
/// them row by row (copied into the chunk's records before: a third pass over them, and
/// 48 more bytes a record).
#[derive(Clone, Copy)]
struct Judged {
    e: f64,
    judged: f64,
    mpe: f64,
    lower: f64,
    upper: f64,
    verdict: u8,
}

/// One group of rows judged together.
struct Group<'p> {
    test_point: TestPoint,
    fuel: Option<String>,
    can: Option<String>,
    mmq: Option<f64>,
    temps: bool,
    fuel_sub: Option<Substance>,
    can_sub: Option<Substance>,
    /// `None` when the batch cannot judge this group: per row by `evaluate_draw`.
    batch: Option<DispenserBatch<'p>>,
    /// A result of this group from `evaluate_draw`, whose per-row numbers are overwritten.
    template: Option<Result<DrawResult, Error>>,
    /// The clause as a csv field, and the end of a row of this group that passes and of
    /// one that fails: `,pass,,{clause}\n` and `,fail,,{clause}\n` ([`Group::set_clause`]).
    clause_csv: Vec<u8>,
    tails: [ShortText; 2],
    /// The bits of the last row's MPE, lower and upper limit, and their text (each followed
    /// by a comma).
    lims: ([u64; 3], ShortText),
    /// (β fuel, β can, t_ref) of the template's correction.
    betas: (f64, f64, f64),
}

/// The end of a csv row after its V_Bt: `,{verdict},,{clause}\n` (the error cell empty).
fn push_row_end(out: &mut Vec<u8>, verdict: Verdict, clause_csv: &[u8]) {
    out.push(b',');
    out.extend_from_slice(verdict.as_str().as_bytes());
    out.extend_from_slice(b",,");
    out.extend_from_slice(clause_csv);
    out.push(b'\n');
}

impl Group<'_> {
    /// Sets the clause of the group's rows (and the row ends made with it).
    fn set_clause(&mut self, clause: &str) {
        self.clause_csv = csv_field(clause);
        let mut end = Vec::new();
        for (t, v) in self.tails.iter_mut().zip([Verdict::Pass, Verdict::Fail]) {
            end.clear();
            push_row_end(&mut end, v, &self.clause_csv);
            t.set(&end);
        }
    }

    fn draw(&self, v: &RowVals) -> Draw {
        let mut d = Draw::new(self.test_point, v.vj, v.vb);
        if self.temps {
            d.dispenser_temp_c = Some(v.tj);
            d.can_temp_c = Some(v.tb);
        }
        d.fuel.clone_from(&self.fuel_sub);
        d.can_material.clone_from(&self.can_sub);
        d.flow_l_min = v.flow;
        d.mmq_l = self.mmq;
        d.price = v.price;
        d
    }
}

/// A group's columns for its batch, for one chunk ([`Fast::judge_groups`]).
#[derive(Default)]
struct GroupCols {
    /// V_J, V_B, t_J, t_B of the chunk's rows of the group, in order: the first `rows`
    /// (the columns only grow, [`GroupCols::put`]).
    input: [Vec<f64>; 4],
    rows: usize,
    /// The batch's E, MPE, judged E, lower and upper limit, and verdict and error codes.
    res: [Vec<f64>; 5],
    codes: [Vec<u8>; 2],
    /// Whether the batch judged the columns (else every row takes the general path).
    judged: bool,
    /// The next row of the columns that [`Fast::emit`] takes.
    next: usize,
}

impl GroupCols {
    /// Puts a row's V_J, V_B, t_J, t_B after the `rows` ones: stores by index into the
    /// columns (a `push` loads the capacity and stores the length of each column).
    #[inline(always)]
    fn put(&mut self, x: [f64; 4]) {
        let i = self.rows;
        let [a, b, c, d] = &mut self.input;
        match (a.get_mut(i), b.get_mut(i), c.get_mut(i), d.get_mut(i)) {
            (Some(a), Some(b), Some(c), Some(d)) => {
                (*a, *b, *c, *d) = (x[0], x[1], x[2], x[3]);
            }
            _ => self.grow(x),
        }
        self.rows = i + 1;
    }

    /// [`GroupCols::put`] when the columns are full: each one cut to `rows` and the row
    /// pushed (its capacity doubles as a `push`'s does; the columns then keep that
    /// length).
    #[cold]
    #[inline(never)]
    fn grow(&mut self, x: [f64; 4]) {
        for (col, x) in self.input.iter_mut().zip(x) {
            col.truncate(self.rows);
            col.push(x);
            let cap = col.capacity();
            col.resize(cap, 0.0);
        }
    }

    /// The batch's numbers of the next row of the group (rows are taken in order), `None`
    /// when the batch did not judge it.
    #[inline(always)]
    fn take(&mut self) -> Option<Judged> {
        let i = self.next;
        self.next += 1;
        if !self.judged {
            return None;
        }
        let [e, mpe, judged, lower, upper] = &self.res;
        let [verdict, code] = &self.codes;
        if *code.get(i)? != 0 {
            return None;
        }
        Some(Judged {
            e: *e.get(i)?,
            judged: *judged.get(i)?,
            mpe: *mpe.get(i)?,
            lower: *lower.get(i)?,
            upper: *upper.get(i)?,
            verdict: *verdict.get(i)?,
        })
    }
}

/// A row's group as [`Fast::plain`] remembers it: the group, the spans (in the block) of
/// the row's test point, fuel and can material, and its key's tail (MMQ bits, flags).
type PrevGroup = (usize, [(usize, usize); 3], [u8; 9]);

/// The fast path's state across blocks.
struct Fast<'p, 'c> {
    profile: &'p DispenserProfile,
    stage: &'p DispenserStage,
    cols: &'c Columns,
    width: usize,
    groups: Vec<Group<'p>>,
    /// The chunk's records: the first `nrecs` (stored by index: a `push` loads the
    /// capacity and stores the length).
    recs: Box<[Rec; CHUNK]>,
    nrecs: usize,
    /// Cell boundaries of the record being split.
    cells: Vec<(usize, usize)>,
    /// Each group's columns for the batch (by group index).
    gcols: Vec<GroupCols>,
    /// The output of the rows since the last write.
    out: Vec<u8>,
    /// The last test point text read and its value.
    last_tp: (String, Option<TestPoint>),
    /// What each column is ([`Fast::plain`]).
    kinds: Vec<Kind>,
    /// Whether `kinds` is [`LOG_LAYOUT`].
    log_layout: bool,
    /// The group key of the row being read, and the group cache: (key, group).
    gkey: Vec<u8>,
    gcache: Vec<(Vec<u8>, usize)>,
    /// The group cache for keys of short cells ([`short_key`]): (key, group).
    gshort: Vec<([u128; 4], usize)>,
    /// The group of the last row of this block whose group [`Fast::plain`] looked up by
    /// the cells' bytes.
    gprev: Option<PrevGroup>,
    /// The [`short_key`] and group of the last row with one.
    gprev_short: Option<([u128; 4], usize)>,
    /// The repeating cells of [`LOG_LAYOUT`] rows and their group ([`read_log_words`]).
    seen: Seen,
    /// The shapes of whole [`LOG_LAYOUT`] rows read lately ([`RowShapes`]).
    shapes: RowShapes,

    nums: NumCache,
    lines: LineText,
    amounts: AmountMemo,
    /// The reader of the rows that take the general path, made on the first.
    rereader: Option<Rereader>,
}

impl<'p, 'c> Fast<'p, 'c> {
    fn new(
        profile: &'p DispenserProfile,
        stage: &'p DispenserStage,
        cols: &'c Columns,
        width: usize,
    ) -> Self {
        Self {
            profile,
            stage,
            cols,
            width,
            groups: Vec::new(),
            recs: Box::new(
                [Rec {
                    line: 0,
                    start: 0,
                    end: 0,
                    row: None,
                }; CHUNK],
            ),
            nrecs: 0,
            cells: Vec::with_capacity(width + 1),
            gcols: Vec::new(),
            out: Vec::with_capacity(2 * BLOCK),
            last_tp: (String::new(), None),
            kinds: kinds(cols, width),
            log_layout: kinds(cols, width) == LOG_LAYOUT,
            gkey: Vec::new(),
            // An empty key: no row's (each has three 0xff bytes).
            gcache: vec![(Vec::new(), 0); GROUP_SLOTS],
            // No row's key (a length byte above 16).
            gshort: vec![([u128::MAX; 4], 0); GROUP_SLOTS],
            gprev: None,
            gprev_short: None,
            seen: Seen::new(),
            shapes: RowShapes::new(),
            nums: NumCache::new(),
            lines: LineText::new(),
            amounts: AmountMemo::new(stage),
            rereader: None,
        }
    }

    /// Splits, judges and writes the complete records of `block`, [`CHUNK`] records at a
    /// time (so that a chunk's records stay in the CPU caches from splitting to writing).
    fn block(&mut self, block: &[u8], newlines: u64, sink: &mut impl FastSink) -> Step {
        // The last row's spans are in the last block.
        self.gprev = None;
        self.clear_chunk();
        let mut n = newlines;
        let mut start = 0;
        let mut switch = None;
        // One UTF-8 check for the whole block, only when the fast reading gives up on a row
        // (`parse` checks each line otherwise).
        let mut text = None;
        let mut checked = false;
        while start < block.len() {
            // The common case: a plain record, read to its line end in one pass.
            if let Some((v, end, stop)) = self.plain(block, start) {
                self.gather(&v);
                self.put_rec(Rec {
                    line: n + 1,
                    start,
                    end,
                    row: Some(v),
                });
                if self.nrecs == CHUNK {
                    if let Err(e) = self.flush_chunk(block, sink) {
                        return Step::Stop(e);
                    }
                }
                if stop < block.len() {
                    n += 1; // stop is the `\n`
                }
                start = stop + 1;
                continue;
            }
            let nl = memchr(b'\n', &block[start..]).map(|p| start + p);
            let stop = nl.unwrap_or(block.len());
            let mut end = stop;
            if end > start && block[end - 1] == b'\r' {
                end -= 1;
            }
            if end > start {
                // The common case in one pass over the record; else the commas found first
                // (and a quote or a stray CR), then the cells read one by one.
                // The commas found first (and a quote or a stray CR), then the cells read
                // one by one.
                if self.split(&block[start..end]) {
                    switch = Some((start, n));
                    break;
                }
                if !checked {
                    checked = true;
                    text = std::str::from_utf8(block).ok();
                }
                let row = self.parse(block, text, start, end);
                if let Some(v) = &row {
                    self.gather(v);
                }
                self.put_rec(Rec {
                    line: n + 1,
                    start,
                    end,
                    row,
                });
                if self.nrecs == CHUNK {
                    if let Err(e) = self.flush_chunk(block, sink) {
                        return Step::Stop(e);
                    }
                }
            }
            if nl.is_some() {
                n += 1;
            }
            start = stop + 1;
        }
        if let Err(e) = self.flush_chunk(block, sink) {
            return Step::Stop(e);
        }
        match switch {
            Some((at, newlines)) => Step::Switch { at, newlines },
            None => Step::Done(n),
        }
    }

    /// Judges and writes the records of the chunk, and empties it.
    fn flush_chunk(&mut self, block: &[u8], sink: &mut impl FastSink) -> Flow {
        self.judge_groups();
        self.emit(block, sink)?;
        self.clear_chunk();
        Ok(())
    }

    /// Empties the chunk: its records and its groups' columns.
    fn clear_chunk(&mut self) {
        self.nrecs = 0;
        for c in &mut self.gcols {
            c.rows = 0;
        }
    }

    /// Puts a record after the chunk's `nrecs` ([`Fast::block`] flushes the chunk when it
    /// is full).
    #[inline(always)]
    fn put_rec(&mut self, r: Rec) {
        if let Some(slot) = self.recs.get_mut(self.nrecs) {
            *slot = r;
            self.nrecs += 1;
        }
    }

    /// Puts a row's V_J, V_B, t_J, t_B into its group's columns ([`Fast::judge_groups`])
    /// as the row is read, while its values are in registers (a pass over the chunk's
    /// records in `judge_groups` before).
    #[inline(always)]
    fn gather(&mut self, v: &RowVals) {
        if self.gcols.len() <= v.group {
            self.gcols.resize_with(v.group + 1, GroupCols::default);
        }
        self.gcols[v.group].put([v.vj, v.vb, v.tj, v.tb]);
    }

    /// Puts the cell boundaries of `line` into `self.cells`; true when the line holds a
    /// quote or a stray CR (the general reader takes over).
    fn split(&mut self, line: &[u8]) -> bool {
        self.cells.clear();
        let mut a = 0;
        let mut special = false;
        for (p, &b) in line.iter().enumerate() {
            if b == b',' {
                self.cells.push((a, p));
                a = p + 1;
            }
            special |= b == b'"' || b == b'\r';
        }
        self.cells.push((a, line.len()));
        special
    }

    /// The values of the record at `block[start..]` when every cell is plain: numbers
    /// `[+-]digits[.digits]` of at most 15 digits (or empty), texts without a quote, CR or
    /// whitespace at either end, exactly one cell per column — read in one pass over the
    /// record, in the column order of the file ([`Kind`]), up to its line end (`\n`,
    /// `\r\n`, or the end of the block): (the row, where the record ends, where its `\n`
    /// is, or the block's end). `None` when anything is not so, or the row is not judged
    /// by the fast path: [`parse`](Self::parse) reads it then. Where both give a row, it
    /// is the same row (the same cells, the same parsing).
    fn plain(&mut self, block: &[u8], start: usize) -> Option<(RowVals, usize, usize)> {
        // A row of a remembered shape ([`RowShapes`]): every cell where the shape has it,
        // the numbers from its digits; else the cells one by one (and the shape remembered).
        if self.log_layout {
            let win = block
                .get(start..)
                .and_then(<[u8]>::first_chunk::<SHAPE_WIN>);
            if let Some(got) = win.and_then(|win| self.shapes.read(win)) {
                if let Some(read) = shaped_row(got, start) {
                    self.shapes.hits += 1;
                    // Debug builds (the tests) read it cell by cell too.
                    #[cfg(debug_assertions)]
                    {
                        let want = self.plain_cells(block, start, false);
                        assert!(
                            same_read(&want, &Some(read)),
                            "the row's shape reads it otherwise"
                        );
                    }
                    return Some(read);
                }
            }
        }
        self.plain_cells(block, start, true)
    }

    /// [`plain`](Self::plain) cell by cell; the row's shape remembered when `learn` and it
    /// has one ([`RowShapes::learn`]).
    #[inline(always)]
    fn plain_cells(
        &mut self,
        block: &[u8],
        start: usize,
        learn: bool,
    ) -> Option<(RowVals, usize, usize)> {
        let b = &block[start..];
        // Each cell after a comma: the byte where the last one ended (`t`) must be one.
        // The generated log's layout a word at a time first (every cell short, 8 bytes left
        // after each); the cell readers for anything else. (Two `Cells`: the word reader's
        // never has its address taken, so its fields can stay in registers.)
        let words = if self.log_layout {
            let mut cells = Cells::empty();
            read_log_words(b, &mut cells, &mut self.seen).map(|end| (cells, end))
        } else {
            None
        };
        let by_words = words.is_some();
        let (cells, (p, t)) = match words {
            Some(read) => read,
            None => {
                let mut cells = Cells::empty();
                let end = read_row(b, &self.kinds, &mut cells)?;
                (cells, end)
            }
        };
        debug_assert_eq!(t, byte_at(b, p));
        let Cells {
            high,
            spans,
            money,
            nums,
            held,
            slots,
        } = cells;
        // The line end, as `block` finds it: `\n`, `\r\n`, or the end of the block (a last
        // line without one; a CR there is dropped too). (end, where the next line starts − 1.)
        // `t` is 0 only at the end of the block: no cell ends at a 0 byte.
        let (end, stop) = match t {
            0 | b'\n' => (p, p),
            b'\r' => match b.get(p + 1) {
                None | Some(b'\n') => (p, p + 1),
                Some(_) => return None,
            },
            _ => return None,
        };
        let b = &b[..end];
        // Number and money cells are ASCII; the rest is checked here when it is not (an
        // ASCII line is UTF-8).
        if high & LANES_80 != 0 {
            std::str::from_utf8(b).ok()?;
        }
        let nozzle = spans[0];
        if nozzle.0 == nozzle.1 || spans[1].0 == spans[1].1 {
            return None;
        }
        let [vj, vb, tj, tb, flow, mmq] = nums;
        let (vj, vb) = (vj?, vb?);
        let unit_price = money_of(money[0].0, money[0].1)?;
        let amount = money_of(money[1].0, money[1].1)?;
        let (price, temps, tj, tb) = companions(unit_price, amount, flow, tj, tb)?;
        // The group, by the texts that make it: the remembered group of the remembered
        // group cells when the row's are those ([`Seen`]: an entry is cleared when one of
        // its cells is replaced, so a cell just remembered finds none); else the last row's
        // group when they are the same (rows come nozzle by nozzle, test point by test
        // point; compared a word at a time with that row's cells in the block), else a
        // direct-mapped cache of `group`.
        let mmq_bits = mmq.map_or(u64::MAX, f64::to_bits);
        let flags = u8::from(mmq.is_some()) | u8::from(temps) << 1;
        let entry = group_entry(slots);
        let remembered = match self.seen.groups[entry] {
            Some((g, bits, f))
                if held & GROUP_CELLS == GROUP_CELLS && bits == mmq_bits && f == flags =>
            {
                Some(g)
            }
            _ => None,
        };
        let tail = || {
            let mut t = [0u8; 9];
            t[..8].copy_from_slice(&mmq_bits.to_le_bytes());
            t[8] = flags;
            t
        };
        let group = match remembered {
            Some(g) => {
                // Debug builds (the tests) check the remembered group against the lookup.
                #[cfg(debug_assertions)]
                {
                    let looked_up = self.group_by_bytes(&block[start..], spans, mmq, temps, tail());
                    assert_eq!(looked_up, Some(g), "the remembered group differs");
                }
                g
            }
            None => {
                let tail = tail();
                let at = |k: usize| (start + spans[k].0, start + spans[k].1);
                // Short cells: the key as four integers, compared with the last such row's.
                let row_bytes = &block[start..];
                let g = if let Some(key) = short_key(row_bytes, spans, tail) {
                    match self.gprev_short {
                        Some((k, g)) if same_key(&k, &key) => g,
                        _ => {
                            let g = self.group_by_short(key, row_bytes, spans, mmq, temps, tail)?;
                            self.gprev_short = Some((key, g));
                            g
                        }
                    }
                } else {
                    let same = match &self.gprev {
                        Some((g, prev, prev_tail))
                            if *prev_tail == tail
                                && same_cell(block, at(1), prev[0])
                                && same_cell(block, at(2), prev[1])
                                && same_cell(block, at(3), prev[2]) =>
                        {
                            Some(*g)
                        }
                        _ => None,
                    };
                    match same {
                        Some(g) => g,
                        None => {
                            let g = self.group_by_bytes(row_bytes, spans, mmq, temps, tail)?;
                            self.gprev = Some((g, [at(1), at(2), at(3)], tail));
                            g
                        }
                    }
                };
                if held & GROUP_CELLS == GROUP_CELLS {
                    self.seen.groups[entry] = Some((g, mmq_bits, flags));
                }
                g
            }
        };
        if learn
            && by_words
            && t == b'\n'
            && high & LANES_80 == 0
            && temps
            && price.is_some()
            && self.shapes.learnt * LEARN_PRICE < self.shapes.hits
        {
            if let Some(win) = block[start..].first_chunk::<SHAPE_WIN>() {
                self.shapes.learnt += 1;
                self.shapes.learn(win, p, group);
            }
        }
        let row = RowVals {
            nozzle: (start + nozzle.0, start + nozzle.1),
            group,
            vj,
            vb,
            tj,
            tb,
            flow,
            price,
        };
        Some((row, start + end, start + stop))
    }

    /// The group of a row whose group texts (test point, fuel, can material: `spans` 1–3
    /// of `line`, UTF-8) are short and whose [`short_key`] is `key` (`tail`: MMQ bits,
    /// flags): through a cache of these keys, else [`group_by_bytes`](Self::group_by_bytes).
    #[inline(always)]
    fn group_by_short(
        &mut self,
        key: [u128; 4],
        line: &[u8],
        spans: [(usize, usize); 4],
        mmq: Option<f64>,
        temps: bool,
        tail: [u8; 9],
    ) -> Option<usize> {
        let mut h = 0u64;
        for x in key {
            h = (h.rotate_left(5) ^ (x as u64) ^ ((x >> 64) as u64))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        let slot = (h >> 32) as usize % GROUP_SLOTS;
        if let Some(&(k, g)) = self.gshort.get(slot) {
            if same_key(&k, &key) {
                return Some(g);
            }
        }
        let g = self.group_by_bytes(line, spans, mmq, temps, tail)?;
        if let Some(entry) = self.gshort.get_mut(slot) {
            *entry = (key, g);
        }
        Some(g)
    }

    /// The group of a row whose group texts (test point, fuel, can material: `spans` 1–3
    /// of `line`, UTF-8) and `tail` (MMQ bits, flags) differ from the last row's: through
    /// the group cache by the key's bytes (left in `gkey`), else [`group`](Self::group).
    /// (`line` may go on past the line's end.)
    #[inline(never)]
    fn group_by_bytes(
        &mut self,
        line: &[u8],
        spans: [(usize, usize); 4],
        mmq: Option<f64>,
        temps: bool,
        tail: [u8; 9],
    ) -> Option<usize> {
        let bytes = |k: usize| &line[spans[k].0..spans[k].1];
        let cell = |k: usize| std::str::from_utf8(bytes(k)).ok();
        let key = &mut self.gkey;
        key.clear();
        for k in 1..4 {
            key.extend_from_slice(bytes(k));
            key.push(0xff); // never in UTF-8 text
        }
        key.extend_from_slice(&tail);
        let mut h = FxHasher::default();
        h.write(key);
        let slot = (h.finish() as usize) % GROUP_SLOTS;
        let group = if self.gcache[slot].0 == *key {
            self.gcache[slot].1
        } else {
            let test_point = TestPoint::parse(cell(1)?).ok()?;
            let (fuel, can) = (cell(2)?, cell(3)?);
            let (fuel, can) = (
                (!fuel.is_empty()).then_some(fuel),
                (!can.is_empty()).then_some(can),
            );
            let g = self.group(test_point, fuel, can, mmq, temps)?;
            let entry = &mut self.gcache[slot];
            entry.0.clone_from(&self.gkey);
            entry.1 = g;
            g
        };
        Some(group)
    }

    /// The values of a plain row, or `None` for the general path.
    /// `self.cells` holds the record's cell boundaries; `text` is the block when it is
    /// valid UTF-8.
    fn parse(
        &mut self,
        block: &[u8],
        text: Option<&str>,
        start: usize,
        end: usize,
    ) -> Option<RowVals> {
        if self.cells.len() != self.width {
            return None;
        }
        let line = match text {
            Some(t) => t.get(start..end)?,
            None => std::str::from_utf8(&block[start..end]).ok()?,
        };
        let cols = self.cols;
        let cell = |i: usize| {
            let (a, b) = self.cells[i];
            trim(&line[a..b])
        };
        let opt = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty());
        let num = |i: Option<usize>| -> Option<Option<f64>> {
            match opt(i) {
                None => Some(None),
                Some(t) => parse_f64(t).map(Some),
            }
        };
        let nozzle = {
            let (a, b) = self.cells[cols.nozzle];
            let t = trim(&line[a..b]);
            if t.is_empty() {
                return None;
            }
            let off = t.as_ptr() as usize - line.as_ptr() as usize;
            (start + off, start + off + t.len())
        };
        let tp_text = opt(Some(cols.test_point))?;
        let test_point = if self.last_tp.0 == tp_text {
            self.last_tp.1?
        } else {
            let tp = TestPoint::parse(tp_text).ok();
            self.last_tp = (tp_text.to_string(), tp);
            tp?
        };
        let vj = num(Some(cols.indicated))??;
        let vb = num(Some(cols.standard))??;
        let tj = num(cols.dispenser_temp_c)?;
        let tb = num(cols.can_temp_c)?;
        let fuel = opt(cols.fuel);
        let can = opt(cols.can_material);
        let flow = num(cols.flow_l_min)?;
        let mmq = num(cols.mmq_l)?;
        let unit_price = match opt(cols.unit_price) {
            Some(t) => Some(parse_money("unit_price", t).ok()?),
            None => None,
        };
        let amount = match opt(cols.amount) {
            Some(t) => Some(parse_money("amount", t).ok()?),
            None => None,
        };
        let (price, temps, tj, tb) = companions(unit_price, amount, flow, tj, tb)?;
        let group = self.group(test_point, fuel, can, mmq, temps)?;
        Some(RowVals {
            nozzle,
            group,
            vj,
            vb,
            tj,
            tb,
            flow,
            price,
        })
    }

    /// The group of a row (created on first sight), `None` beyond [`MAX_GROUPS`].
    fn group(
        &mut self,
        test_point: TestPoint,
        fuel: Option<&str>,
        can: Option<&str>,
        mmq: Option<f64>,
        temps: bool,
    ) -> Option<usize> {
        let same = |g: &Group| {
            g.test_point == test_point
                && g.temps == temps
                && g.fuel.as_deref() == fuel
                && g.can.as_deref() == can
                && g.mmq.map(f64::to_bits) == mmq.map(f64::to_bits)
        };
        if let Some(k) = self.groups.iter().position(same) {
            return Some(k);
        }
        if self.groups.len() >= MAX_GROUPS {
            return None;
        }
        let fuel_sub = fuel.map(Substance::parse);
        let can_sub = can.map(Substance::parse);
        let batch = DispenserBatch::new(self.profile, self.stage, test_point)
            .ok()
            .filter(DispenserBatch::has_constant_limits)
            .map(|b| {
                let b = match &can_sub {
                    Some(c) => b.with_can_material(c.clone()),
                    None => b,
                };
                match mmq {
                    Some(m) => b.with_mmq(m),
                    None => b,
                }
            });
        self.groups.push(Group {
            test_point,
            fuel: fuel.map(str::to_string),
            can: can.map(str::to_string),
            mmq,
            temps,
            fuel_sub,
            can_sub,
            batch,
            template: None,
            clause_csv: Vec::new(),
            tails: [ShortText::new(), ShortText::new()],
            // No text yet: the first row writes it.
            lims: ([0; 3], ShortText::new()),
            betas: (0.0, 0.0, 0.0),
        });
        Some(self.groups.len() - 1)
    }

    /// Judges the indication errors of the chunk's rows, group by group, in columns: the
    /// rows' values went into their group's columns in order as they were read
    /// ([`Fast::gather`]), each group's batch judges its columns, and the results stay
    /// there: [`Fast::emit`] takes each group's in turn ([`GroupCols::take`]; the rows of a
    /// group keep their order). (Gathering and scattering by each group's row indices read
    /// and wrote the chunk's records out of order before: a stall on each record's line;
    /// then a pass over the records for each, ~13 % and ~8 % of `flush_chunk`'s samples.)
    fn judge_groups(&mut self) {
        if self.gcols.len() < self.groups.len() {
            self.gcols
                .resize_with(self.groups.len(), GroupCols::default);
        }
        // The columns hold the chunk's rows already ([`Fast::gather`]).
        for c in &mut self.gcols {
            c.judged = false;
            c.next = 0;
        }
        for (g, c) in self.groups.iter().zip(&mut self.gcols) {
            let Some(batch) = &g.batch else { continue };
            let n = c.rows;
            if n == 0 {
                continue;
            }
            // The batch writes every row of every output column (`Output`'s contract): the
            // columns only grow (zeroed once, a `memset` per chunk before) and are given
            // their first `n` rows; rows past `n` are an older chunk's, never taken
            // ([`GroupCols::take`] takes as many rows as were gathered).
            for x in &mut c.res {
                if x.len() < n {
                    x.resize(n, 0.0);
                }
            }
            for x in &mut c.codes {
                if x.len() < n {
                    x.resize(n, 0);
                }
            }
            let fuel = match &g.fuel_sub {
                Some(s) => Fuel::Same(s),
                None => Fuel::Absent,
            };
            let [vj, vb, tj, tb] = &c.input;
            let (vj, vb, tj, tb) = (&vj[..n], &vb[..n], &tj[..n], &tb[..n]);
            let cols = DispenserColumns {
                indicated_l: vj,
                standard_l: vb,
                dispenser_temp_c: g.temps.then_some(tj),
                can_temp_c: g.temps.then_some(tb),
                fuel,
            };
            let [e, mpe, judged, lower, upper] = &mut c.res;
            let [verdict, code] = &mut c.codes;
            let mut out = DispenserOutput::new(
                &mut e[..n],
                &mut mpe[..n],
                &mut verdict[..n],
                &mut code[..n],
            )
            .with_judged(&mut judged[..n])
            .with_limits(&mut lower[..n], &mut upper[..n]);
            // A batch the library refuses as a whole (an unknown fuel, temperatures
            // without a fuel, a bad MMQ): every row takes the general path.
            c.judged = batch.evaluate_serial(&cols, &mut out).is_ok();
        }
    }

    /// Writes the block's rows in order: judged rows from their numbers, the others through
    /// the general per-row path.
    fn emit(&mut self, block: &[u8], sink: &mut impl FastSink) -> Flow {
        self.out.clear();
        let (profile, stage) = (self.profile, self.stage);
        for r in &self.recs[..self.nrecs] {
            let (amounts, groups, gcols) = (&mut self.amounts, &mut self.groups, &mut self.gcols);
            // The row's E and V_Bt are formatted as soon as they are known, before the
            // sink's work, and copied into the output only after it: a copy right after
            // `zmij` (whose narrow stores the copy's wide loads cannot take forwarded)
            // waited for those stores to reach the cache (~6 % of the run in `memmove`).
            let (mut be, mut bv) = (zmij::Buffer::new(), zmij::Buffer::new());
            let judged = 'row: {
                let Some(v) = r.row.as_ref() else {
                    break 'row None;
                };
                let g = &mut groups[v.group];
                let j = gcols.get_mut(v.group).and_then(GroupCols::take);
                let Some((figs, complete_already)) =
                    finish(profile, stage, g, v, j.as_ref(), amounts)
                else {
                    break 'row None;
                };
                let texts = (
                    NumText::new(&mut be, figs.error_pct),
                    NumText::new(&mut bv, figs.corrected_standard_l),
                );
                // A common row goes to the nozzle accumulator by its figures; the group's
                // result is completed only for a row that needs it (one that gives a
                // reason the output words).
                let nozzle = &block[v.nozzle.0..v.nozzle.1];
                let lims = if complete_already || !sink.judged_figures(nozzle, &figs) {
                    if !complete_already {
                        let Some(j) = j.as_ref() else {
                            break 'row None;
                        };
                        if complete(stage, g, v, j, &figs, amounts).is_none() {
                            break 'row None;
                        }
                    }
                    let Some(t @ Ok(d)) = &g.template else {
                        break 'row None;
                    };
                    sink.judged(nozzle, r.line, t);
                    [d.mpe_pct, d.limits_pct.lower, d.limits_pct.upper]
                } else {
                    let Some(j) = j.as_ref() else {
                        break 'row None;
                    };
                    [j.mpe, j.lower, j.upper]
                };
                Some((v, figs, lims, texts))
            };
            let Some((v, d, lims, (e_text, vbt_text))) = judged else {
                // The general path: the csv crate reads the record from its own bytes.
                if !self.out.is_empty() {
                    sink.raw(&self.out)?;
                    self.out.clear();
                }
                let rereader = self.rereader.get_or_insert_with(Rereader::new);
                let rec = rereader.read(&block[r.start..r.end], self.width, r.line);
                sink.row(parse_record(rec, self.cols))?;
                continue;
            };
            let g = &mut self.groups[v.group];
            let o = &mut self.out;
            // The commas come with the pieces: `,{line},`, `,{judged},`, `{mpe},…,`.
            o.extend_from_slice(&block[r.start..r.end]);
            self.lines.push(o, r.line);
            e_text.push(o);
            self.nums.push(o, d.judged_error_pct);
            // MPE and limits: the same for every row of a group with constant limits; their
            // text is kept with the bits it was made from.
            // (Compared word by word: an array compare loads the three words just stored as
            // one vector, a store-forwarding stall per row.)
            let lims = lims.map(f64::to_bits);
            let [x, y, z] = g.lims.0;
            if (x ^ lims[0]) | (y ^ lims[1]) | (z ^ lims[2]) != 0 || g.lims.1.is_empty() {
                g.lims.0 = lims;
                let mut text = Vec::new();
                for x in lims.map(f64::from_bits) {
                    push_f64(&mut text, x);
                    text.push(b',');
                }
                g.lims.1.set(&text);
            }
            g.lims.1.push(o);
            vbt_text.push(o);
            // The row's end: made once per group for a pass and a fail.
            match d.verdict {
                Verdict::Pass => g.tails[0].push(o),
                Verdict::Fail => g.tails[1].push(o),
                v => push_row_end(o, v, &g.clause_csv),
            }
        }
        if !self.out.is_empty() {
            sink.raw(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }
}

/// Judges a row of a group from the batch's numbers (its MPE and limits are the row's
/// own): its figures, without completing the group's template (see [`complete`]); `None`
/// sends the row to the general path (the library rejects it, or it has no result yet).
/// Rows of a group without a batch are judged by [`evaluate_draw`], whose result becomes
/// the template: then the flag is true (the template holds the row's whole result).
fn finish(
    profile: &DispenserProfile,
    stage: &DispenserStage,
    g: &mut Group,
    v: &RowVals,
    j: Option<&Judged>,
    amounts: &mut AmountMemo,
) -> Option<(DrawFigures, bool)> {
    if g.batch.is_none() {
        // Limits that depend on the quantity: the scalar API per row.
        let r = evaluate_draw(profile, stage, &g.draw(v)).ok()?;
        g.set_clause(&r.clause);
        let figs = DrawFigures::of(&r);
        g.template = Some(Ok(r));
        return Some((figs, true));
    }
    let j = j?;
    if g.template.is_none() {
        // The group's first judged row: its scalar result is the template.
        let r = evaluate_draw(profile, stage, &g.draw(v)).ok()?;
        if let Some(c) = &r.correction {
            g.betas = (
                c.beta_fuel_per_c,
                c.beta_can_per_c,
                c.reference_temperature_c,
            );
        }
        g.set_clause(&r.clause);
        g.template = Some(Ok(r));
    }
    let mmq = mmq_of(profile, g, v);
    let amount = match &v.price {
        Some(p) => Some(amounts.check(stage, p, v.vj, mmq)?),
        None => None,
    };
    let (bf, bc, t_ref) = g.betas;
    let corrected = if g.temps {
        corrected_standard_volume(v.vb, v.tj, v.tb, bf, bc, t_ref)
    } else {
        v.vb
    };
    let indication = verdict_of(j.verdict)?;
    let figs = DrawFigures {
        test_point: g.test_point,
        error_pct: j.e,
        judged_error_pct: j.judged,
        corrected_standard_l: corrected,
        mmq_l: mmq,
        indication_verdict: indication,
        amount_verdict: amount,
        verdict: amount.map_or(indication, |a| indication.worst(a)),
        decision: false,
    };
    // Debug builds (the tests) complete the result of every row and check it against the
    // scalar API, and the figures against the result's.
    #[cfg(debug_assertions)]
    {
        let scalar = evaluate_draw(profile, stage, &g.draw(v)).ok();
        let done = complete(stage, g, v, j, &figs, amounts);
        assert!(done.is_some(), "cannot complete the result");
        let Some(Ok(r)) = &g.template else {
            unreachable!("a completed template")
        };
        assert_eq!(
            Some(r),
            scalar.as_ref(),
            "the fast path's result differs from evaluate_draw's"
        );
        assert_eq!(DrawFigures::of(r), figs, "the fast path's figures differ");
    }
    Some((figs, false))
}

/// Completes the group's template with the row's result (what [`evaluate_draw`] gives for
/// it): every per-row figure is overwritten. `None` when the library rejects the row's
/// price (not after [`finish`] accepted it).
fn complete(
    stage: &DispenserStage,
    g: &mut Group,
    v: &RowVals,
    j: &Judged,
    f: &DrawFigures,
    amounts: &mut AmountMemo,
) -> Option<()> {
    let (bf, bc, t_ref) = g.betas;
    let Some(Ok(r)) = &mut g.template else {
        return None;
    };
    match &v.price {
        Some(p) => amounts.check_nums(stage, p, v.vj, f.mmq_l)?.fill(
            stage,
            p,
            v.vj,
            f.mmq_l,
            &mut r.amount,
        )?,
        None => r.amount = None,
    }
    r.indicated_l = v.vj;
    r.standard_l = v.vb;
    r.corrected_standard_l = f.corrected_standard_l;
    if let Some(c) = &mut r.correction {
        c.dispenser_temp_c = v.tj;
        c.can_temp_c = v.tb;
        c.factor = thermal_factor(v.tj, v.tb, bf, bc, t_ref);
    }
    r.error_pct = f.error_pct;
    r.judged_error_pct = f.judged_error_pct;
    r.limits_pct = PctLimits {
        lower: j.lower,
        upper: j.upper,
    };
    r.mpe_pct = j.mpe;
    r.indication_verdict = f.indication_verdict;
    r.verdict = f.verdict;
    r.flow_l_min = v.flow;
    r.mmq_l = f.mmq_l;
    Some(())
}

/// `s.trim()`, without its character search when the first and last bytes are ASCII and
/// not whitespace (every whitespace character is ASCII ≤ 0x20 or starts with a byte ≥ 0x80).
fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [first, .., last] if (0x21..0x80).contains(first) && (0x21..0x80).contains(last) => s,
        [only] if (0x21..0x80).contains(only) => s,
        _ => s.trim(),
    }
}

/// The MMQ a draw is judged with, as [`evaluate_draw`] takes it: the row's, else the draw
/// itself at the MMQ test point, else the profile's default.
fn mmq_of(profile: &DispenserProfile, g: &Group, v: &RowVals) -> Option<f64> {
    g.mmq
        .or((g.test_point == TestPoint::Mmq).then_some(v.vj))
        .or(profile.default_mmq_l.as_ref().map(|c| c.value))
}

/// A small multiplicative hasher (the Fx hash of rustc, with a final mix so the low bits
/// used for the table index depend on every input bit) for the nozzle index and the amount
/// memo: the keys are short and come from the user's own file, so SipHash's resistance to
/// crafted collisions buys nothing here and costs ~5 % of the fast path.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(Self::K);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        let h = self.0 ^ (self.0 >> 32);
        h.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (h >> 29)
    }
}

/// The csv crate's reader of the rows that take the general path ([`Rereader::read`]),
/// made once: making one builds its parser's tables, ~270 000 instructions, which a reader
/// made per row cost every such row (a log of broken rows ran ~8 × slower per row).
struct Rereader {
    csv: csv::Reader<io::Cursor<Vec<u8>>>,
    rec: csv::StringRecord,
}

impl Rereader {
    fn new() -> Rereader {
        Rereader {
            csv: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(io::Cursor::new(Vec::new())),
            rec: csv::StringRecord::new(),
        }
    }

    /// A record read by the csv crate from its own bytes, as the general reader reads it.
    fn read(&mut self, bytes: &[u8], width: usize, line: u64) -> RawRecord {
        let input = self.csv.get_mut().get_mut();
        input.clear();
        input.extend_from_slice(bytes);
        // Back to the start with the parser's state reset (a seek in memory: no error).
        let read = self
            .csv
            .seek_raw(io::SeekFrom::Start(0), csv::Position::new())
            .and_then(|()| self.csv.read_record(&mut self.rec));
        match read {
            Ok(true) => RawRecord::from_csv(&self.rec, width, line),
            Err(e) => match e.kind() {
                csv::ErrorKind::Utf8 { err, .. } => RawRecord::not_utf8(err.field(), width, line),
                _ => RawRecord::from_csv(&csv::StringRecord::new(), width, line),
            },
            Ok(false) => RawRecord::from_csv(&csv::StringRecord::new(), width, line),
        }
    }
}

/// `s` as the csv writer writes a field: quoted (quotes doubled) when it holds a comma, a
/// quote or a line end.
fn csv_field(s: &str) -> Vec<u8> {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        let mut v = Vec::with_capacity(s.len() + 2);
        v.push(b'"');
        v.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        v.push(b'"');
        v
    } else {
        s.as_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Rng;

    /// One [`Rereader`] reads a run of records as a reader made for each reads it: plain,
    /// quoted, short, long, empty, unterminated-quote and not-UTF-8 records in turn.
    #[test]
    fn rereader_reads_as_a_new_reader() {
        let fresh = |bytes: &[u8], width: usize, line: u64| {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes);
            let mut rec = csv::StringRecord::new();
            match r.read_record(&mut rec) {
                Ok(true) => RawRecord::from_csv(&rec, width, line),
                Err(e) => match e.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => {
                        RawRecord::not_utf8(err.field(), width, line)
                    }
                    _ => RawRecord::from_csv(&csv::StringRecord::new(), width, line),
                },
                Ok(false) => RawRecord::from_csv(&csv::StringRecord::new(), width, line),
            }
        };
        let records: [&[u8]; 9] = [
            b"S1-N1,max,petrol,20.07,19.984",
            b"\"S1,N1\",max,\"a \"\"b\"\"\",20.07,19.984",
            b"S1-N1,max",
            b"S1-N1,max,petrol,20.07,19.984,1,2,3,4",
            b"",
            b"S1-N1,\"max,petrol",
            b"S1-N1,m\xffx,petrol,20.07,19.984",
            b"S1-N1,max,petrol,20.07,19.984",
            b"\"",
        ];
        let mut one = Rereader::new();
        for round in 0..3 {
            for (i, &bytes) in records.iter().enumerate() {
                let line = (10 * round + i) as u64;
                let (got, want) = (one.read(bytes, 5, line), fresh(bytes, 5, line));
                assert_eq!(got.line, want.line);
                assert_eq!(
                    got.fields,
                    want.fields,
                    "{:?}",
                    String::from_utf8_lossy(bytes)
                );
                assert_eq!(
                    got.problem.map(|e| e.to_string()),
                    want.problem.map(|e| e.to_string())
                );
            }
        }
    }

    #[test]
    fn plain_num_is_parse_f64() {
        let mut rng = Rng::new(13);
        let check = |t: &str| {
            for end in ["", ",x", "\n", "\r\n", "\r"] {
                let cell = format!("{t}{end}");
                let got = plain_num(cell.as_bytes(), 0);
                let plain = t.bytes().filter(u8::is_ascii_digit).count() <= 15
                    && t.strip_prefix(['+', '-'])
                        .unwrap_or(t)
                        .bytes()
                        .all(|c| c.is_ascii_digit() || c == b'.')
                    && t.bytes().filter(|&c| c == b'.').count() <= 1
                    && t.bytes().any(|c| c.is_ascii_digit());
                if let Some((_, at, term)) = got {
                    assert_eq!(term, byte_at(cell.as_bytes(), at), "{t:?}");
                }
                match got.map(|(x, at, _)| (x, at)) {
                    Some((Some(x), at)) => {
                        assert_eq!(at, t.len(), "{t:?}");
                        assert_eq!(Some(x.to_bits()), parse_f64(t).map(f64::to_bits), "{t:?}");
                        assert!(plain, "{t:?} read, not plain");
                    }
                    Some((None, at)) => assert!(t.is_empty() && at == 0, "{t:?}"),
                    None => assert!(!plain && !t.is_empty(), "{t:?} not read"),
                }
            }
        };
        for t in [
            "",
            "0",
            "-0",
            "+0",
            "1",
            "1.",
            ".5",
            "-.5",
            ".",
            "-",
            "+",
            "1..2",
            "1.2.3",
            "1e3",
            "--1",
            "+-1",
            "12a",
            "a",
            "1 ",
            " 1",
            "\"1\"",
            "123456789012345",
            "1234567890123456",
            "12345678.1234567",
            "12345678.12345678",
            "0.000000000000001",
            "0.0000000000000001",
            "000000000000001",
            "99999999999999999999999",
            "1.99999999999999999999",
        ] {
            check(t);
        }
        for _ in 0..300_000 {
            let digits = rng.int(0, 18) as usize;
            let mut t = String::new();
            match rng.int(0, 3) {
                0 => t.push('-'),
                1 => t.push('+'),
                _ => {}
            }
            let dot = rng.int(0, digits as i64 + 1) as usize;
            for i in 0..=digits {
                if i == dot && rng.int(0, 4) > 0 {
                    t.push('.');
                }
                if i < digits {
                    t.push(char::from(b'0' + rng.int(0, 9) as u8));
                }
            }
            check(&t);
        }
    }

    #[test]
    fn plain_money_is_parse_money() {
        let mut rng = Rng::new(5);
        let check = |t: &str| {
            let mut cell = t.as_bytes().to_vec();
            cell.extend_from_slice(b",x");
            match plain_money(&cell, 0) {
                Some((Some(m), end)) => {
                    assert_eq!(end, t.len(), "{t:?}");
                    let want = parse_money("amount", t).unwrap_or_else(|_| panic!("{t:?}"));
                    assert_eq!(m.serialize(), want.serialize(), "{t:?}");
                }
                Some((None, end)) => assert!(t.is_empty() && end == 0, "{t:?}"),
                None => {}
            }
        };
        for t in [
            "",
            "0",
            "00",
            "0.0",
            "0.00",
            "147.51",
            "148.10",
            "007.35",
            "1.",
            ".5",
            "1..2",
            "-1",
            "+1",
            "1e3",
            "999999999999999999",
            "9999999999999999999",
            "0.000000000000000001",
            "12345678.123456789",
            " 1",
            "1 ",
        ] {
            check(t);
        }
        for _ in 0..300_000 {
            let digits = rng.int(1, 20) as usize;
            let dot = rng.int(0, digits as i64) as usize;
            let mut t = String::new();
            for i in 0..digits {
                if i == dot && rng.int(0, 3) > 0 {
                    t.push('.');
                }
                t.push(char::from(b'0' + rng.int(0, 9) as u8));
            }
            check(&t);
        }
    }

    /// Cells of the bytes of `alphabet`, 0–`max` of them, followed by a random tail of 0–12
    /// bytes (so that cells end before, at and after the last full word of the line).
    fn random_lines(seed: u64, alphabet: &[u8], max: i64, mut f: impl FnMut(&[u8], usize)) {
        let mut rng = Rng::new(seed);
        let pick = |rng: &mut Rng| alphabet[rng.int(0, alphabet.len() as i64 - 1) as usize];
        for _ in 0..400_000 {
            let mut line = Vec::new();
            let p = rng.int(0, 9) as usize;
            for _ in 0..p {
                line.push(pick(&mut rng));
            }
            for _ in 0..rng.int(0, max) {
                line.push(pick(&mut rng));
            }
            if rng.int(0, 1) == 0 {
                line.push([b',', b'\n', b'\r', b'"', b'.'][rng.int(0, 4) as usize]);
            }
            for _ in 0..rng.int(0, 12) {
                line.push(pick(&mut rng));
            }
            f(&line, p);
        }
    }

    #[test]
    fn swar_text_is_the_byte_loop() {
        let check = |line: &[u8], p: usize| {
            let (mut h1, mut h2) = (0u64, 0u64);
            let got = plain_text(line, p, &mut h1);
            let want = plain_text_bytes(line, p, &mut h2);
            assert_eq!(got, want, "{line:?} {p}");
            if want.is_some() {
                assert_eq!(h1 & LANES_80 != 0, h2 >= 0x80, "{line:?} {p}");
            }
            // The word reader reads a cell as these do, where it reads one, edges included.
            let mut h3 = 0u64;
            if let Some(words) = plain_text_words(line, p, &mut h3) {
                assert_eq!(Some(words), want, "{line:?} {p}");
                assert!(plain_edges(&line[p..words.0]), "{line:?} {p}");
                assert_eq!(h3 & LANES_80 != 0, h2 >= 0x80, "{line:?} {p}");
            } else if let Some((end, _)) = want {
                // Not read: too near the end of the line, or edges not plain.
                assert!(line.len() - p < 8 + end - p || !plain_edges(&line[p..end]));
            }
        };
        for t in [
            &b""[..],
            b"a",
            b"abcdefg",
            b"abcdefgh",
            b"abcdefghi",
            b"abcdefgh,",
            b"abcdefg,",
            b"S000000-N00,max",
            b"stainless\r\n",
            b"sta\"inless",
            b"st\xc3\xa9el,abcdefghijk\xff",
            b"a b!c#d$e%f&g'h(i)j*k+l,",
            b"\x80\x80\x80\x80\x80\x80\x80\x80\x80",
            b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a",
        ] {
            for p in 0..=t.len() {
                check(t, p);
            }
        }
        let alphabet = b"aZ09-_. !#+*\t\x00\x7f\x80\xc3\xa9\xff,\"\n\r";
        random_lines(17, alphabet, 20, check);
    }

    #[test]
    fn swar_numbers_are_the_byte_loops() {
        let check = |line: &[u8], p: usize| {
            let bits = |r: Option<(Option<f64>, usize, u8)>| {
                r.map(|(x, e, t)| (x.map(f64::to_bits), e, t))
            };
            assert_eq!(
                bits(plain_num(line, p)),
                bits(plain_num_slow(line, p)),
                "{:?} {p}",
                String::from_utf8_lossy(line)
            );
            assert_eq!(
                plain_money_raw(line, p),
                plain_money_raw_bytes(line, p),
                "{:?} {p}",
                String::from_utf8_lossy(line)
            );
        };
        for t in [
            "",
            "0,",
            "20.07,19.984,20.4",
            "147.51\n",
            "147.51",
            "147.51\r\n",
            "1234567,",
            "12345678,",
            "1234567.,",
            "123456.7,",
            ".1234567,",
            "1.234567,",
            "-1.23456,",
            "+1234567,",
            "-12345678,",
            "1.,",
            ".5,",
            ".,",
            "-.,",
            "-,",
            "+,",
            "1..2,",
            "1.2.3,",
            "1e3,",
            "1 ,",
            " 1,",
            "\"1\",",
            "123456789012345,",
            "1234567890123456,",
            "0.000000000000001,",
            "0.0000000000000001,",
            "12345678.1234567,",
            "1\u{ff},",
            "1/,",
            "1:,",
            "/,",
            ":,",
        ] {
            let b = t.as_bytes();
            for p in 0..=b.len() {
                check(b, p);
            }
        }
        // Bytes that carry in the word readers' digit mask (b ^ '0' ≥ 0x8a) next to digits and
        // points, signs before points, and cells that end just within or past a word.
        for t in [
            &b"1\xba5,"[..],
            b".\xba,",
            b"1.\xff5,",
            b"12.3\x8a,",
            b"1\x8a.5,",
            b"\xba1.5,",
            b"-0.0,",
            b"+.5,",
            b"-5.,",
            b"-.,",
            b"1234.567,",
            b"123.4567,",
            b"0.1234567,",
            b"-123456.7,",
            b"-1234567\n",
            b"1.5\x00,",
            b"7.35\r\n",
        ] {
            for p in 0..=t.len() {
                check(t, p);
            }
        }
        let alphabet = b"0123456789012345678901234567890123456789..--+/:,\n\re\xff\x80\xba ";
        random_lines(23, alphabet, 18, check);
        // Plain decimals of every length and point position, at the end of the line too.
        let mut rng = Rng::new(29);
        for _ in 0..300_000 {
            let mut t = String::new();
            match rng.int(0, 3) {
                0 => t.push('-'),
                1 => t.push('+'),
                _ => {}
            }
            let digits = rng.int(0, 17) as usize;
            let dot = rng.int(0, digits as i64 + 1) as usize;
            for i in 0..=digits {
                if i == dot && rng.int(0, 3) > 0 {
                    t.push('.');
                }
                if i < digits {
                    t.push(char::from(b'0' + rng.int(0, 9) as u8));
                }
            }
            t.push_str([",", "\n", "\r\n", "", "x"][rng.int(0, 4) as usize]);
            for _ in 0..rng.int(0, 9) {
                t.push('7');
            }
            check(t.as_bytes(), 0);
        }
    }

    #[test]
    fn short_keys_are_the_cells() {
        // Two rows' keys are equal exactly when their group cells and tails are.
        let mut rng = Rng::new(37);
        let mut row = || {
            let mut line = Vec::new();
            let mut spans = [(0, 0); 4];
            for span in spans.iter_mut().skip(1) {
                let a = line.len();
                for _ in 0..rng.int(0, 18) {
                    line.push(b"ab\xff\0"[rng.int(0, 3) as usize]);
                }
                *span = (a, line.len());
                line.push(b',');
            }
            for _ in 0..rng.int(0, 20) {
                line.push(b"ab,"[rng.int(0, 2) as usize]);
            }
            let mut tail = [0u8; 9];
            tail[rng.int(0, 8) as usize] = rng.int(0, 1) as u8;
            (line, spans, tail)
        };
        let (mut keyed, mut equal) = (0, 0);
        for _ in 0..200_000 {
            let (l1, s1, t1) = row();
            let (mut l2, mut s2, mut t2) = row();
            if l2.len() % 2 == 0 {
                // The same cells elsewhere in a line, sometimes with a byte or the tail
                // changed.
                let shift = l2.len();
                l2.extend_from_slice(&l1);
                s2 = s1.map(|(a, c)| (a + shift, c + shift));
                t2 = t1;
                match l1.len() % 4 {
                    0 => {
                        let (a, c) = s2[1 + l1.len() / 4 % 3];
                        if a < c {
                            l2[c - 1] ^= 1;
                        }
                    }
                    1 => t2[l1.len() % 9] ^= 2,
                    _ => {}
                }
            }
            let cells = |l: &[u8], s: [(usize, usize); 4]| s.map(|(a, c)| l[a..c].to_vec());
            let same = cells(&l1, s1) == cells(&l2, s2) && t1 == t2;
            if let (Some(k1), Some(k2)) = (short_key(&l1, s1, t1), short_key(&l2, s2, t2)) {
                keyed += 1;
                equal += usize::from(same);
                assert_eq!(k1 == k2, same, "{l1:?} {s1:?} {t1:?} {l2:?} {s2:?} {t2:?}");
            }
            assert_eq!(short_key(&l1, s1, t1), short_key(&l1, s1, t1));
        }
        assert!(keyed > 10_000 && equal > 1_000, "{keyed} {equal}");
    }

    #[test]
    fn shapes_read_as_short_decimal() {
        // A word read by a remembered shape is read as `short_decimal` reads it (value,
        // decimals, end, and the byte after it the same); words of the same shape are read.
        let mut rng = Rng::new(41);
        // Digits mostly; points, cell ends, bytes that carry in the digit mask, others.
        let alphabet = b"0123456789012345678901234567890123456789....,,\n\r-+ /:\x8a\xff\x00a";
        let word = |rng: &mut Rng| {
            let mut b = [0u8; 8];
            for x in &mut b {
                *x = alphabet[rng.int(0, alphabet.len() as i64 - 1) as usize];
            }
            u64::from_le_bytes(b)
        };
        let (mut read, mut same_shape) = (0, 0);
        for _ in 0..400_000 {
            let w = word(&mut rng);
            let Some((_, frac, end, i)) = short_decimal(w) else {
                continue;
            };
            let shape = SeenShape::of(w, frac, end, i);
            // The word itself, the word with its digits changed, or another word.
            let mut b = w.to_le_bytes();
            match rng.int(0, 2) {
                0 => {}
                1 => {
                    for x in &mut b {
                        if x.is_ascii_digit() {
                            *x = b'0' + rng.int(0, 9) as u8;
                        }
                    }
                }
                _ => b = word(&mut rng).to_le_bytes(),
            }
            let v = u64::from_le_bytes(b);
            let changed_digits_only = b
                .iter()
                .zip(w.to_le_bytes())
                .all(|(x, y)| x == &y || (x.is_ascii_digit() && y.is_ascii_digit()));
            match shape.read(v) {
                Some((m, f, e)) => {
                    read += 1;
                    let (m2, f2, e2, _) = short_decimal(v).expect("a decimal");
                    assert_eq!((m, f, e), (m2, f2, e2), "{b:?} {:?}", w.to_le_bytes());
                    assert_eq!((v >> (8 * e)) as u8, (w >> (8 * end)) as u8);
                }
                None => assert!(!changed_digits_only, "{b:?} {:?}", w.to_le_bytes()),
            }
            same_shape += usize::from(changed_digits_only);
        }
        assert!(read > 10_000 && same_shape > 10_000, "{read} {same_shape}");
        assert_eq!(SeenShape::NONE.read(0x3030_3030_3030_3030), None);
        assert_eq!(SeenShape::NONE.read(0), None);
    }

    #[test]
    fn log_words_are_read_row() {
        let mut rng = Rng::new(31);
        let cells: [&[&str]; 11] = [
            &[
                "S000000-N00",
                "S1-N2",
                "",
                " x",
                "a b",
                "n\u{e9}",
                "abcdefghijklmnopq",
                "a\"b",
                // Rows that end near or beyond the word reader's window.
                "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
                "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
            ],
            &["max", "min", "", "mid", "max "],
            &["petrol", "diesel", "", "p\u{e9}trol", "ethanol-blend-e85"],
            &[
                "20.07",
                "-3.5",
                "+1.25",
                "",
                "1234567",
                "-1234567",
                "12345678.9",
                "1e3",
                "1.2.3",
            ],
            &["19.984", "0", ".5", "5.", "-", "", "-.5"],
            &["20.4", "-0.0", "1\u{0}", "", " 1"],
            &["18.5", "999999999999999", "1.", ""],
            &["stainless", "", "glass", "mild steel", "x,y"],
            &["51.6", "", "0", "-1", "inf"],
            &["7.35", "", "007.35", "1.", ".5", "-1", "12345678"],
            &["147.51", "", "148.10", "1.234567", "99999999"],
        ];
        let ends = ["\n", "\r\n", "", "\r", ",", ",x\n", "\rx"];
        let (mut read, mut hits) = (0, 0);
        // Remembered cells carried from row to row, as in a block.
        let mut seen = Seen::new();
        for _ in 0..200_000 {
            let mut line = String::new();
            for (c, choices) in cells.iter().enumerate() {
                if c > 0 {
                    line.push(',');
                }
                // Mostly the first (the generated log's), sometimes any.
                let k = if rng.int(0, 3) == 0 {
                    rng.int(0, choices.len() as i64 - 1) as usize
                } else {
                    0
                };
                line.push_str(choices[k]);
            }
            line.push_str(ends[rng.int(0, ends.len() as i64 - 1) as usize]);
            // The word reader needs `WINDOW + 16` bytes from the row's start: the rest of
            // the block mostly long enough, sometimes not.
            let pad = if rng.int(0, 3) == 0 {
                (0, 10)
            } else {
                (60, 120)
            };
            for _ in 0..rng.int(pad.0, pad.1) {
                line.push('7');
            }
            let b = line.as_bytes();
            let mut words = Cells::empty();
            let Some(got) = read_log_words(b, &mut words, &mut seen) else {
                continue;
            };
            read += 1;
            // Read again: the same, now from the remembered cells where they are short.
            let mut again = Cells::empty();
            assert_eq!(read_log_words(b, &mut again, &mut seen), Some(got));
            assert_eq!(again.spans, words.spans, "{line:?}");
            assert_eq!(again.money, words.money, "{line:?}");
            let bits = |c: &Cells| c.nums.map(|x| x.map(f64::to_bits));
            assert_eq!(bits(&again), bits(&words), "{line:?}");
            hits += usize::from(again.held == 0b1111);
            let mut bytes = Cells::empty();
            let want = read_row(b, &LOG_LAYOUT, &mut bytes);
            assert_eq!(Some(got), want, "{line:?}");
            assert_eq!(words.spans, bytes.spans, "{line:?}");
            assert_eq!(words.money, bytes.money, "{line:?}");
            let bits = |c: &Cells| c.nums.map(|x| x.map(f64::to_bits));
            assert_eq!(bits(&words), bits(&bytes), "{line:?}");
            assert_eq!(
                words.high & LANES_80 != 0,
                bytes.high & LANES_80 != 0,
                "{line:?}"
            );
        }
        assert!(read > 20_000 && hits > 1_000, "{read} {hits}");
    }

    #[test]
    fn row_shapes_read_as_log_words() {
        let mut rng = Rng::new(47);
        let cells: [&[&str]; 11] = [
            &["S000000-N00", "S1-N2", "", "a b", "n\u{e9}", "N-17"],
            &["max", "min", "", "q1", "max "],
            &["petrol", "diesel", "", "e10", "p\u{e9}trol"],
            &["20.07", "-3.5", "", "1234567", "12345678.9", "1.2.3", "5"],
            &["19.984", "0", ".5", "5.", "", "7.1234"],
            &["20.4", "-0.0", "", "6.2", "123"],
            &["18.5", "1.", "", "6.4", "0.0"],
            &["stainless", "", "glass", "x,y"],
            &["51.6", "", "0", "0.0", "5.6", "-1"],
            &["7.35", "", "007.35", "1.", ".5", "12"],
            &["147.51", "", "1.234567", "99999999", "5.5"],
        ];
        let ends = ["\n", "\n", "\n", "\r\n", "", ",x\n"];
        let row = |rng: &mut Rng| {
            let mut line = String::new();
            for (c, choices) in cells.iter().enumerate() {
                if c > 0 {
                    line.push(',');
                }
                let k = if rng.int(0, 4) == 0 {
                    rng.int(0, choices.len() as i64 - 1) as usize
                } else {
                    0
                };
                line.push_str(choices[k]);
            }
            line.push_str(ends[rng.int(0, ends.len() as i64 - 1) as usize]);
            line.into_bytes()
        };
        // The group cells of a row as the word reader reads them.
        let group_cells = |b: &[u8], c: &Cells| -> Vec<u8> {
            let mut k = Vec::new();
            for &(a, e) in &c.spans[1..] {
                k.extend_from_slice(&b[a..e]);
                k.push(0xff);
            }
            k
        };
        let mut groups: Vec<Vec<u8>> = Vec::new();
        let mut shapes = RowShapes::new();
        let (mut learnt, mut hits) = (0, 0);
        let alphabet = b"0123456789012345678901234567890123456789.,-+ \n\r\"x\xc3\x00";
        for _ in 0..200_000 {
            let mut a = row(&mut rng);
            a.resize(a.len() + rng.int(270, 330) as usize, b'7');
            let mut ca = Cells::empty();
            if let Some((p, b'\n')) = read_log_words(&a, &mut ca, &mut Seen::new()) {
                let full = ca.nums[..5].iter().all(Option::is_some)
                    && ca.money.iter().all(|m| m.1 != NO_MONEY)
                    && ca.high & LANES_80 == 0;
                if full {
                    let key = group_cells(&a, &ca);
                    let g = groups.iter().position(|k| *k == key).unwrap_or_else(|| {
                        groups.push(key);
                        groups.len() - 1
                    });
                    let win = a.first_chunk::<SHAPE_WIN>().unwrap();
                    learnt += usize::from(shapes.learn(win, p, g).is_some());
                }
            }
            // A row like it: digits changed, sometimes another byte, or another row.
            let mut b = if rng.int(0, 5) == 0 {
                row(&mut rng)
            } else {
                a.clone()
            };
            for _ in 0..rng.int(0, 6) {
                let i = rng.int(0, b.len() as i64 - 1) as usize;
                if b[i].is_ascii_digit() {
                    b[i] = b'0' + rng.int(0, 9) as u8;
                }
            }
            if rng.int(0, 3) == 0 {
                let i = rng.int(0, 90) as usize;
                let c = alphabet[rng.int(0, alphabet.len() as i64 - 1) as usize];
                if let Some(x) = b.get_mut(i) {
                    *x = c;
                }
            }
            b.resize(b.len().max(300), b'7');
            let win = b.first_chunk::<SHAPE_WIN>().unwrap();
            let Some(got) = shapes.read(win) else {
                continue;
            };
            hits += 1;
            let mut cb = Cells::empty();
            let line = String::from_utf8_lossy(&b[..got.len]).into_owned();
            let want = read_log_words(&b, &mut cb, &mut Seen::new());
            assert_eq!(want, Some((got.len, b'\n')), "{line:?}");
            let mut bytes = Cells::empty();
            assert_eq!(read_row(&b, &LOG_LAYOUT, &mut bytes), want, "{line:?}");
            assert_eq!(cb.spans[0], (0, got.nozzle), "{line:?}");
            assert_eq!(cb.high & LANES_80, 0, "{line:?}");
            let nums: Vec<_> = cb.nums[..5].iter().map(|x| x.map(f64::to_bits)).collect();
            let shaped: Vec<_> = got.nums.iter().map(|x| Some(x.to_bits())).collect();
            assert_eq!(nums, shaped, "{line:?}");
            assert_eq!(cb.money, got.money, "{line:?}");
            assert_eq!(groups[got.group], group_cells(&b, &cb), "{line:?}");
        }
        assert!(learnt > 10_000 && hits > 30_000, "{learnt} {hits}");
    }

    #[test]
    fn csv_field_quotes_as_the_csv_writer() {
        for s in ["a", "", "a,b", "say \"hi\"", "x\ny", "x\ry", "§5: ±0.30 %"] {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            w.write_record([s, "z"]).unwrap();
            let want = w.into_inner().unwrap();
            let mut got = csv_field(s);
            got.extend_from_slice(b",z\n");
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want)
            );
        }
    }
}
