//! Columnar batches of trip summaries: the fare of each trip (and, given the fares the meters
//! showed, the fare check), structure-of-arrays in and out.
//!
//! A [`FareBatch`] is a plan for one [`Tariff`]: every per-rate constant (step lengths, the
//! crossover speed, every unit price as an integer, window indices) is resolved once. The
//! inputs are one slice per field ([`FareColumns`]): distance, duration, optional waiting
//! time, the start as wall-clock seconds since 1970-01-01 ([`LocalDateTime::to_seconds`]),
//! the rate (one for the batch or an index per row) and, optionally, the indicated fares in
//! minor units. The outputs ([`FareOutput`]) are the expected fare in minor units
//! ([`FareBatch::minor_scale`] decimals), a per-row error code ([`FareRowError`]) and, when
//! indicated fares are given, the verdict code and indicated − expected.
//!
//! **Same answers as the scalar API, bit for bit.** Each row is metered by the scalar
//! engine's own step counter (`Steps::advance`, the code behind [`fare_for_summary`], via
//! `Steps::run_summary`, which skips only sample checks a checked summary always passes):
//! the same `f64` operations on the same values, so the same pieces (split at window edges
//! and long-distance thresholds), the same step counts and the same window look-ups.
//! Hires that no window edge falls inside (most of them: edges are hours apart) take the
//! *closed form*: the same counter without the edge search, which would find nothing, and
//! the prices of their (weekday, segment of the day) from a table made once per batch
//! ([`FareBatch::takes_closed_form`] tells which rows). Rates that count distance only
//! (Beijing, Shanghai) run both ways through a *distance-only kernel*, the same counter
//! written out for that rate shape, which follows the day segment across window edges
//! instead of searching for them ([`FareBatch::takes_distance_kernel`]). Only
//! where the scalar engine writes a [`FareLine`](crate::tariff::FareLine) per charge
//! (strings, `Decimal`s, a `Vec`), the batch adds `steps × unit price` to one integer counted
//! in units of 10^-S, S being the largest number of decimals of any price of the tariff:
//! every unit price is a decimal with at most S decimals, so each product and the sum are
//! exact, as the scalar `Decimal` sums are. The display rounding is done on that integer
//! (exact for steps whose quotients are terminating decimals, e.g. 1, 0.5, 0.01; otherwise
//! by the scalar [`Rounding::apply`](crate::money::Rounding::apply) itself). A row the
//! integer path cannot price exactly (a rate whose prices need more than 18 decimals, more
//! than 2^40 steps, a sum beyond 10^18 units) is computed by [`fare_for_summary`] for that
//! row. The fare check uses the scalar tolerance evaluation ([`check_fare`]'s), once per
//! distinct (rate, expected fare) in a cache local to one serial run. `tests/fare_batch.rs`
//! compares every row with the scalar API. Design notes and figures: `docs/fare-batch.md`.
//!
//! With the `parallel` feature, batches of at least
//! [`PARALLEL_MIN_ROWS`](super::PARALLEL_MIN_ROWS) rows are split into pieces of
//! [`PARALLEL_PIECE_ROWS`](super::PARALLEL_PIECE_ROWS) evaluated on rayon's pool; each row is
//! computed by the same code whatever the split, so the output is identical to the serial
//! one.
//!
//! ```
//! use verimeter::batch::fare::{FareBatch, FareColumns, FareOutput, Rates};
//! use verimeter::batch::VERDICT_PASS;
//! use verimeter::tariff::{LocalDateTime, Tariff};
//!
//! let beijing = Tariff::builtin("beijing-2013")?;
//! let batch = FareBatch::new(&beijing)?;
//! assert_eq!(batch.minor_scale(), 2); // fen
//! let start = "2019-03-06 10:00:00".parse::<LocalDateTime>()?.to_seconds();
//! let starts = [start, start];
//! let cols = FareColumns::new(&[10_000.0, -1.0], &[900.0, 900.0], &starts, Rates::Same(0));
//! let (mut fare, mut code) = ([0i64; 2], [0u8; 2]);
//! batch.evaluate(&cols, &mut FareOutput::new(&mut fare, &mut code))?;
//! // 13 + 14 × 1.15 = 29.10 → 29 (whole yuan) + fuel surcharge 1 = 30 yuan.
//! assert_eq!(fare[0], 3000);
//! assert_eq!(code[1], 2); // distance_m is negative
//! assert_eq!(batch.row_error(&cols, 1).unwrap().to_string(), "distance_m must be >= 0, got -1");
//! # Ok::<(), verimeter::Error>(())
//! ```

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

#[cfg(feature = "parallel")]
use super::{PARALLEL_MIN_ROWS, PARALLEL_PIECE_ROWS};
use super::{VERDICT_FAIL, VERDICT_INVALID, VERDICT_PASS};
use crate::error::{Error, Result};
use crate::money::RoundingMode;
use crate::tariff::{
    allowance, allowance_money, check_fare, day_of, fare_for_summary, next_sorted_edge, percent_of,
    steps_fast, summary_inputs, AppliesTo, Assessment, LocalDateTime, Rate, Scenario, StepPlan,
    StepSink, Steps, Tariff, TripSummary, Window, MAX_HIRE_S,
};
use crate::tolerance::Tolerance;

/// Written to the fare (and difference) column of a row whose fare could not be computed.
pub const FARE_INVALID: i64 = i64::MIN;

/// The fewest decimals of the minor unit (cents, fen): fares are written in units of
/// 10^-[`FareBatch::minor_scale`], at least 2 decimals, more if a display step or an extra
/// of the tariff needs them.
pub const MIN_MINOR_SCALE: u32 = 2;

/// The most decimals of the integer price unit; a rate needing more is priced per row by
/// the scalar engine.
const MAX_PRICE_SCALE: u32 = 18;

/// More steps than this in one charge (a distance of 10^14 m …) sends the row to the scalar
/// engine: below it no integer sum can overflow, and the scalar line counts never saturate.
const MAX_FAST_STEPS: u64 = 1 << 40;

/// The largest raw sum (in price units) rounded on integers; beyond it the row goes to the
/// scalar engine, so that the decimal quotient of the scalar rounding is exact (≤ 28 digits).
const MAX_FAST_RAW: i128 = 1_000_000_000_000_000_000;

/// Rows per chunk of a serial run (closed-form rows first, then the stepwise ones).
const CHUNK_ROWS: usize = 256;

/// Wall-clock seconds in a day.
const DAY_S: i64 = 86_400;

/// The earliest start the closed-form path takes (1970-01-03 00:00:00; it ends with the
/// valid starts, 9999-12-31 23:59:59 < 2^38 s): other rows take the stepwise path. From it
/// on every instant of a hire that stays inside one day segment is positive, its day is
/// `⌊abs / 86 400⌋` with no rounding doubt and its second of the day `abs − day × 86 400` is
/// exact (Sterbenz), as the scalar window look-ups compute them.
const CLOSED_FORM_FIRST_START: i64 = 2 * DAY_S;

/// Why a row has no fare or no check: one code per scalar error (variant and field), in the
/// order the scalar API checks them. 0 in [`FareOutput::error_code`] means no error.
///
/// Codes below [`FareRowError::IndicatedNegative`] leave the row without a fare; from it on
/// the fare is written and only the check is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum FareRowError {
    /// The start is not a date-time of the years 1 … 9999 (the scalar [`TripSummary`] cannot
    /// hold it; [`LocalDateTime::from_seconds`]'s error).
    StartOutOfRange = 1,
    /// [`Error::Negative`] `distance_m`.
    DistanceNegative = 2,
    /// [`Error::NotFinite`] `distance_m`.
    DistanceNotFinite = 3,
    /// [`Error::NotFinite`] `duration_s`.
    DurationNotFinite = 4,
    /// [`Error::Negative`] `duration_s`.
    DurationNegative = 5,
    /// [`Error::OutOfScope`] `duration_s` (above [`MAX_HIRE_S`]).
    DurationOutOfScope = 6,
    /// [`Error::NotFinite`] `waiting_s`.
    WaitingNotFinite = 7,
    /// [`Error::Negative`] `waiting_s`.
    WaitingNegative = 8,
    /// [`Error::OutOfScope`] `waiting_s` (above the duration).
    WaitingOutOfScope = 9,
    /// [`Error::UnknownName`] `rate code`: the rate index is not one of the tariff's rates.
    UnknownRate = 10,
    /// [`Error::Money`] in the fare (an arithmetic overflow of the scalar engine).
    Money = 11,
    /// The fare exists (the scalar API gives it) but does not fit an `i64` of minor units.
    FareOutOfRange = 12,
    /// [`Error::Money`] `indicated fare`: negative.
    IndicatedNegative = 13,
    /// The fare tolerance could not be evaluated at the fare (or gave a non-finite limit).
    Tolerance = 14,
    /// Any other scalar error (none is known; kept so that no error goes unreported).
    Other = 15,
}

impl FareRowError {
    const ALL: [FareRowError; 15] = [
        FareRowError::StartOutOfRange,
        FareRowError::DistanceNegative,
        FareRowError::DistanceNotFinite,
        FareRowError::DurationNotFinite,
        FareRowError::DurationNegative,
        FareRowError::DurationOutOfScope,
        FareRowError::WaitingNotFinite,
        FareRowError::WaitingNegative,
        FareRowError::WaitingOutOfScope,
        FareRowError::UnknownRate,
        FareRowError::Money,
        FareRowError::FareOutOfRange,
        FareRowError::IndicatedNegative,
        FareRowError::Tolerance,
        FareRowError::Other,
    ];

    /// The code stored in the error-code column.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The row error a code stands for (`None` for 0 and unknown codes).
    pub fn from_code(code: u8) -> Option<FareRowError> {
        FareRowError::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The code of a scalar error of [`fare_for_summary`] (by variant and field).
    pub fn of_fare_error(error: &Error) -> FareRowError {
        use FareRowError as R;
        match error {
            Error::NotFinite { field, .. } => match *field {
                "distance_m" => R::DistanceNotFinite,
                "duration_s" => R::DurationNotFinite,
                "waiting_s" => R::WaitingNotFinite,
                _ => R::Other,
            },
            Error::Negative { field, .. } => match *field {
                "distance_m" => R::DistanceNegative,
                "duration_s" => R::DurationNegative,
                "waiting_s" => R::WaitingNegative,
                _ => R::Other,
            },
            Error::OutOfScope { field, .. } => match *field {
                "duration_s" => R::DurationOutOfScope,
                "waiting_s" => R::WaitingOutOfScope,
                _ => R::Other,
            },
            Error::UnknownName {
                field: "rate code", ..
            } => R::UnknownRate,
            Error::UnknownName {
                field: "local date-time",
                ..
            } => R::StartOutOfRange,
            Error::Money { .. } => R::Money,
            _ => R::Other,
        }
    }
}

/// The rate of each row: one index into [`Tariff::rates`] for the batch, or one per row.
#[derive(Debug, Clone, Copy)]
pub enum Rates<'a> {
    /// Every row at this rate.
    Same(usize),
    /// Row i at rate `indices[i]`.
    PerRow(&'a [u16]),
}

/// The input columns of a batch of trip summaries: one value per row in each slice.
#[derive(Debug, Clone, Copy)]
pub struct FareColumns<'a> {
    /// Distance, metres ([`TripSummary::distance_m`]).
    pub distance_m: &'a [f64],
    /// Duration of the hire, seconds ([`TripSummary::duration_s`]).
    pub duration_s: &'a [f64],
    /// Time below the switching speed, seconds ([`TripSummary::waiting_s`]); `None`: unknown
    /// for every row (the trip is taken as uniform motion, as in the scalar API).
    pub waiting_s: Option<&'a [f64]>,
    /// Start of the hire, local wall-clock seconds since 1970-01-01 00:00:00
    /// ([`LocalDateTime::to_seconds`]).
    pub start_s: &'a [i64],
    /// The rate of each row.
    pub rate: Rates<'a>,
    /// Optional: the fare the meter showed, in minor units ([`FareBatch::minor_scale`]
    /// decimals), to be checked (needs [`FareBatch::with_tolerance`]).
    pub indicated: Option<&'a [i64]>,
}

impl<'a> FareColumns<'a> {
    /// Columns without waiting times or indicated fares.
    pub fn new(
        distance_m: &'a [f64],
        duration_s: &'a [f64],
        start_s: &'a [i64],
        rate: Rates<'a>,
    ) -> Self {
        Self {
            distance_m,
            duration_s,
            waiting_s: None,
            start_s,
            rate,
            indicated: None,
        }
    }

    /// Also the waiting times.
    pub fn with_waiting(mut self, waiting_s: &'a [f64]) -> Self {
        self.waiting_s = Some(waiting_s);
        self
    }

    /// Also the indicated fares, minor units.
    pub fn with_indicated(mut self, indicated: &'a [i64]) -> Self {
        self.indicated = Some(indicated);
        self
    }

    /// The number of rows (the length of `distance_m`).
    pub fn len(&self) -> usize {
        self.distance_m.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.distance_m.is_empty()
    }

    fn check(&self) -> Result<usize> {
        let n = self.len();
        super::same_len("duration_s", self.duration_s.len(), n)?;
        super::same_len("start_s", self.start_s.len(), n)?;
        if let Some(w) = self.waiting_s {
            super::same_len("waiting_s", w.len(), n)?;
        }
        if let Rates::PerRow(r) = self.rate {
            super::same_len("rate", r.len(), n)?;
        }
        if let Some(x) = self.indicated {
            super::same_len("indicated", x.len(), n)?;
        }
        Ok(n)
    }

    #[cfg(feature = "parallel")]
    fn range(&self, r: std::ops::Range<usize>) -> Self {
        Self {
            distance_m: &self.distance_m[r.clone()],
            duration_s: &self.duration_s[r.clone()],
            waiting_s: self.waiting_s.map(|c| &c[r.clone()]),
            start_s: &self.start_s[r.clone()],
            rate: match self.rate {
                Rates::PerRow(c) => Rates::PerRow(&c[r.clone()]),
                same => same,
            },
            indicated: self.indicated.map(|c| &c[r]),
        }
    }

    fn rate_of(&self, i: usize) -> usize {
        match self.rate {
            Rates::Same(k) => k,
            Rates::PerRow(c) => usize::from(c[i]),
        }
    }
}

/// Output columns, written by the batch: one value per row in each slice.
#[derive(Debug)]
#[non_exhaustive]
pub struct FareOutput<'a> {
    /// The fare the tariff gives ([`FareBreakdown::fare`](crate::tariff::FareBreakdown::fare)),
    /// minor units; [`FARE_INVALID`] when the row has none.
    pub fare: &'a mut [i64],
    /// 0, or a [`FareRowError`] code.
    pub error_code: &'a mut [u8],
    /// Optional (with indicated fares): [`VERDICT_PASS`], [`VERDICT_FAIL`] or
    /// [`VERDICT_INVALID`] ([`check_fare`]'s verdict).
    pub verdict: Option<&'a mut [u8]>,
    /// Optional (with indicated fares): indicated − expected, minor units; [`FARE_INVALID`]
    /// when the row has no fare.
    pub difference: Option<&'a mut [i64]>,
}

impl<'a> FareOutput<'a> {
    /// The fare and the error code.
    pub fn new(fare: &'a mut [i64], error_code: &'a mut [u8]) -> Self {
        Self {
            fare,
            error_code,
            verdict: None,
            difference: None,
        }
    }

    /// Also the check: verdict codes and differences (needs indicated fares).
    pub fn with_check(mut self, verdict: &'a mut [u8], difference: &'a mut [i64]) -> Self {
        self.verdict = Some(verdict);
        self.difference = Some(difference);
        self
    }

    fn check(&self, n: usize) -> Result<()> {
        super::same_len("fare", self.fare.len(), n)?;
        super::same_len("error_code", self.error_code.len(), n)?;
        if let Some(v) = &self.verdict {
            super::same_len("verdict", v.len(), n)?;
        }
        if let Some(d) = &self.difference {
            super::same_len("difference", d.len(), n)?;
        }
        Ok(())
    }

    fn reborrow(&mut self) -> FareOutput<'_> {
        FareOutput {
            fare: self.fare,
            error_code: self.error_code,
            verdict: self.verdict.as_deref_mut(),
            difference: self.difference.as_deref_mut(),
        }
    }

    #[cfg(feature = "parallel")]
    fn split_at(self, mid: usize) -> (FareOutput<'a>, FareOutput<'a>) {
        let (f0, f1) = self.fare.split_at_mut(mid);
        let (c0, c1) = self.error_code.split_at_mut(mid);
        let (v0, v1) = match self.verdict {
            Some(v) => {
                let (a, b) = v.split_at_mut(mid);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        let (d0, d1) = match self.difference {
            Some(d) => {
                let (a, b) = d.split_at_mut(mid);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        (
            FareOutput {
                fare: f0,
                error_code: c0,
                verdict: v0,
                difference: d0,
            },
            FareOutput {
                fare: f1,
                error_code: c1,
                verdict: v1,
                difference: d1,
            },
        )
    }
}

/// A percentage surcharge on steps inside a window, priced for each kind of step.
#[derive(Debug, Clone)]
struct SurchargePlan {
    window: usize,
    on_distance: Option<i128>,
    on_time: Option<i128>,
    /// On a waiting step: [default price, then one per `waiting.by_window` entry].
    on_waiting: Option<Vec<i128>>,
}

/// The integer prices of one rate, in units of 10^-`price_scale`.
#[derive(Debug, Clone)]
struct Prices {
    /// Flag fall or flat fare, and the flag falls by window (first match wins).
    flag: i128,
    flag_by_window: Vec<(usize, i128)>,
    distance: i128,
    time: i128,
    /// Added to a distance step in long-distance band k.
    band: Vec<i128>,
    /// Waiting step: the default, then by window (indices of windows).
    waiting: Vec<i128>,
    waiting_windows: Vec<usize>,
    surcharges: Vec<SurchargePlan>,
    /// Extras the meter adds, with no condition (a batch states none), by window at the start.
    extras: Vec<(Option<usize>, i128)>,
    /// The display step; `None` when its quotients need not be terminating decimals (the
    /// rounding is then done by the scalar `Rounding::apply`).
    step: Option<Divisor>,
    mode: RoundingMode,
}

#[derive(Debug, Clone)]
struct RatePlan<'t> {
    steps: StepPlan<'t>,
    /// `steps` without the edge search, for hires inside one day segment (the closed form).
    untimed: StepPlan<'t>,
    rate: &'t Rate,
    /// `None`: every row of this rate is computed by the scalar engine.
    prices: Option<Prices>,
    /// The prices in force in each (weekday, day segment), index `weekday × segments +
    /// segment`; `None`: the closed form is off for this rate.
    by_segment: Option<Vec<SegPrices>>,
    /// The distance-only kernel (`None`: another rate shape, or prices beyond its bounds).
    kernel: Option<DistanceKernel>,
}

/// The unit prices in force anywhere inside one day segment of one weekday (each the
/// [`Prices`] selection at an instant of that segment, so the same windows decide).
#[derive(Debug, Clone, Copy)]
struct SegPrices {
    /// The flag fall (or flat fare) of a hire starting in the segment.
    flag: i128,
    /// The extras the meter adds to a hire starting in the segment.
    extras: i128,
    /// A distance step (the base price and the window surcharges; the long-distance band is
    /// added by distance).
    distance: i128,
    /// A time step.
    time: i128,
    /// A waiting step.
    waiting: i128,
}

/// The day cut at every window edge of the tariff: no window opens or closes inside a
/// segment, so on a given weekday every window look-up inside a segment has one answer.
#[derive(Debug, Clone)]
struct DaySegments {
    /// 0, every span edge of every window, 86 400; sorted, once each. Segment j is
    /// `bounds[j] .. bounds[j + 1]` (seconds of the day).
    bounds: Vec<u32>,
    /// The segment of each minute of the day (span edges are whole minutes: a
    /// [`ClockTime`](crate::tariff::ClockTime) is `HH:MM`).
    by_minute: Vec<u8>,
}

impl DaySegments {
    /// `None` when an edge is not a whole minute or there are more than 255 segments.
    fn new(windows: &[Window]) -> Option<Self> {
        let mut bounds: Vec<u32> = windows
            .iter()
            .flat_map(|w| {
                w.spans
                    .iter()
                    .flat_map(|s| [s.from.seconds(), s.to.seconds()])
            })
            .chain([0, DAY_S as u32])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        if bounds.iter().any(|b| b % 60 != 0) || bounds.len() > 256 {
            return None;
        }
        let by_minute = (0..1440u32)
            .map(|m| (bounds.partition_point(|&b| b <= m * 60) - 1) as u8)
            .collect();
        Some(Self { bounds, by_minute })
    }

    fn count(&self) -> usize {
        self.bounds.len() - 1
    }

    /// The index `weekday × segments + segment` of the wall-clock instant `abs`, as
    /// `Window::contains` places it: the day `day_of(abs)` and the second of the day
    /// `abs − day × 86 400`. `None` when the second of the day is not in [0, 86 400) or the
    /// day not within ±2^40 (the caller then looks the windows up one by one).
    #[inline(always)]
    fn index_at(&self, abs: f64) -> Option<usize> {
        let (day, j) = self.day_segment_at(abs)?;
        Some(self.index(day, j))
    }

    /// The day and the segment of `abs` as [`DaySegments::index_at`] finds them.
    #[inline(always)]
    fn day_segment_at(&self, abs: f64) -> Option<(i64, usize)> {
        let day = day_of(abs);
        let sod = abs - day * DAY_S as f64;
        if !((0.0..DAY_S as f64).contains(&sod) && day.abs() <= (1u64 << 40) as f64) {
            return None;
        }
        Some((
            day as i64,
            usize::from(self.by_minute[(sod as u32 / 60) as usize]),
        ))
    }

    /// The index of segment `j` of day `day` (1970-01-01 is a Thursday, index 3 with
    /// Monday = 0, as `Weekday::of_day`).
    #[inline(always)]
    fn index(&self, day: i64, j: usize) -> usize {
        (day + 3).rem_euclid(7) as usize * self.count() + j
    }

    /// The index `weekday × segments + segment` of a start `s` from
    /// [`CLOSED_FORM_FIRST_START`] on (positive: `/` and `%` by a constant, the Euclidean
    /// day; 1970-01-01 is a Thursday, index 3 with Monday = 0, as `Weekday::of_day`), and
    /// the end of its segment as a second of the day.
    #[inline(always)]
    fn index_of_start(&self, s: i64) -> (usize, u32, u32) {
        // s ≥ 0: unsigned division, one quotient for both the day and the second of the day.
        let s = s as u64;
        let day = s / DAY_S as u64;
        let sod = (s - day * DAY_S as u64) as u32;
        let j = usize::from(self.by_minute[(sod / 60) as usize]);
        let weekday = ((day + 3) % 7) as usize;
        (weekday * self.count() + j, sod, self.bounds[j + 1])
    }
}

/// Division of `u32`-sized numbers by a divisor fixed per batch, by one multiplication:
/// q = ⌊M·n / 2^64⌋ with M = ⌊(2^64 − 1) / d⌋ + 1 = ⌈2^64 / d⌉ is exact for every
/// 0 ≤ n < 2^32 and 2 ≤ d < 2^32 (Lemire, Kaser & Kurz, "Faster remainder by direct
/// computation", 2019, Theorem 1 with N = 32, F = 64). Other operands: hardware division.
#[derive(Debug, Clone, Copy)]
struct Divisor {
    d: i64,
    m: u64,
}

impl Divisor {
    fn new(d: i64) -> Self {
        let m = match u64::try_from(d) {
            Ok(du) if (2..1 << 32).contains(&du) => u64::MAX / du + 1,
            _ => 0,
        };
        Self { d, m }
    }

    /// (a div d, a mod d) for a ≥ 0, d > 0.
    #[inline(always)]
    fn div_rem(self, a: i64) -> (i64, i64) {
        if self.d == 1 {
            return (a, 0);
        }
        if self.m != 0 {
            if let Ok(n) = u32::try_from(a) {
                let q = ((u128::from(self.m) * u128::from(n)) >> 64) as i64;
                return (q, a - q * self.d);
            }
        }
        (a.div_euclid(self.d), a.rem_euclid(self.d))
    }
}

/// A plan for computing (and checking) the fares of batches of trip summaries under one
/// tariff, every per-rate constant resolved once.
#[derive(Debug, Clone)]
pub struct FareBatch<'t> {
    tariff: &'t Tariff,
    rates: Vec<RatePlan<'t>>,
    tolerance: Option<&'t Tolerance>,
    price_scale: u32,
    minor_scale: u32,
    /// 10^(price_scale − minor_scale): price units per minor unit.
    minor_div: Divisor,
    start_range: (i64, i64),
    /// The day segments of the closed form; `None`: the closed form is off.
    segments: Option<DaySegments>,
}

fn scale_of(x: Decimal) -> u32 {
    x.normalize().scale()
}

/// `x` in units of 10^-`scale` (exact: the caller chose `scale` ≥ the decimals of `x`).
fn units(x: Decimal, scale: u32) -> Option<i128> {
    let mut y = x.normalize();
    if y.scale() > scale {
        return None;
    }
    y.rescale(scale);
    (y.scale() == scale).then(|| y.mantissa())
}

impl<'t> FareBatch<'t> {
    /// A plan for `tariff` (already validated by [`Tariff::from_json`] /
    /// [`Tariff::builtin`]; validated again here).
    pub fn new(tariff: &'t Tariff) -> Result<Self> {
        tariff.validate()?;
        // Every decimal of the tariff that becomes a unit price, a display step or an extra.
        let mut money: Vec<Decimal> = Vec::new();
        let mut minor = MIN_MINOR_SCALE;
        let mut waiting_prices: Vec<Vec<Option<Decimal>>> = Vec::new();
        for r in &tariff.rates {
            minor = minor.max(scale_of(r.rounding.value.step));
            if let Some(f) = &r.flat {
                minor = minor.max(scale_of(f.value));
            }
            for e in r.extras.iter().filter(|e| e.on_meter) {
                minor = minor.max(scale_of(e.amount));
            }
            let wp = match &r.waiting {
                Some(w) => std::iter::once(w.distance_equivalent_m.value)
                    .chain(w.by_window.iter().map(|b| b.distance_equivalent_m))
                    .map(|eq| r.waiting_price(eq).ok().flatten())
                    .collect(),
                None => Vec::new(),
            };
            waiting_prices.push(wp);
        }
        for (r, wp) in tariff.rates.iter().zip(&waiting_prices) {
            money.extend(rate_decimals(r, wp));
        }
        let price_scale = money
            .iter()
            .map(|m| scale_of(*m))
            .fold(minor, u32::max)
            .min(MAX_PRICE_SCALE + 1);
        let segments = DaySegments::new(&tariff.windows);
        let rates = tariff
            .rates
            .iter()
            .zip(&waiting_prices)
            .map(|(r, wp)| {
                let steps = StepPlan::new(tariff, r);
                // A rate the scalar API cannot find by its own code (a code with spaces
                // around it) is left to the scalar engine, which reports that error.
                let prices = if price_scale <= MAX_PRICE_SCALE
                    && tariff.rate(&r.code).is_ok_and(|x| std::ptr::eq(x, r))
                {
                    prices(tariff, r, wp, price_scale)
                } else {
                    None
                };
                let by_segment = match (&prices, &segments) {
                    (Some(p), Some(seg)) => Some(segment_prices(p, &tariff.windows, seg)),
                    _ => None,
                };
                let kernel = match (&prices, &by_segment) {
                    (Some(p), Some(table)) => DistanceKernel::new(&steps, p, table),
                    _ => None,
                };
                RatePlan {
                    untimed: steps.without_window_edges(),
                    steps,
                    rate: r,
                    prices,
                    by_segment,
                    kernel,
                }
            })
            .collect();
        if minor > MAX_PRICE_SCALE {
            return Err(Error::InvalidProfile {
                profile: format!("tariff {}", tariff.id),
                path: "rates[].rounding.value.step".into(),
                reason: format!(
                    "fares need {minor} decimals; a fare batch writes at most {MAX_PRICE_SCALE}"
                ),
            });
        }
        let lo = LocalDateTime::new(1, 1, 1, 0, 0, 0)?.to_seconds();
        let hi = LocalDateTime::new(9999, 12, 31, 23, 59, 59)?.to_seconds();
        Ok(Self {
            tariff,
            rates,
            tolerance: None,
            price_scale,
            minor_scale: minor,
            minor_div: Divisor::new(10i64.pow(price_scale.min(MAX_PRICE_SCALE) - minor)),
            start_range: (lo, hi),
            segments,
        })
    }

    /// Checks indicated fares under `tolerance`, as [`check_fare`] does.
    pub fn with_tolerance(mut self, tolerance: &'t Tolerance) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// The decimals of the minor unit of the fare columns (2 for the built-in tariffs: cents,
    /// fen).
    pub fn minor_scale(&self) -> u32 {
        self.minor_scale
    }

    /// The index of the rate with `code` (for [`Rates`]).
    pub fn rate_index(&self, code: &str) -> Result<usize> {
        let r = self.tariff.rate(code)?;
        Ok(self
            .tariff
            .rates
            .iter()
            .position(|x| std::ptr::eq(x, r))
            .unwrap_or(0))
    }

    /// True when rate `index` is priced on integers (the fast path); otherwise each of its
    /// rows is computed by [`fare_for_summary`].
    pub fn is_fast(&self, index: usize) -> bool {
        self.rates.get(index).is_some_and(|r| r.prices.is_some())
    }

    /// True when row `i` of `cols` is priced by the closed form (a hire that no window edge
    /// falls inside, see `docs/fare-batch.md`); otherwise it is metered stepwise. Both give
    /// the scalar answer; this tells which way a row goes (for tests and for reading
    /// benchmark figures). False for an out-of-range `i`.
    pub fn takes_closed_form(&self, cols: &FareColumns<'_>, i: usize) -> bool {
        if i >= cols.len() || cols.check().is_err() {
            return false;
        }
        let w = cols.waiting_s.map(|w| w[i]);
        self.rates.get(cols.rate_of(i)).is_some_and(|plan| {
            self.closed_form(
                plan,
                cols.start_s[i],
                cols.distance_m[i],
                cols.duration_s[i],
                w,
            )
            .is_some()
        })
    }

    /// True when row `i` of `cols` is priced by the distance-only kernel: a rate that counts
    /// distance only (no time step: the built-in Beijing and Shanghai rates), as the closed
    /// form or with the kernel's edge search (hires crossing window edges or midnight, up to
    /// a few pieces); otherwise the general ways price it (see `docs/fare-batch.md`). All
    /// give the scalar answer; this tells which way a row goes (for tests and for reading
    /// benchmark figures). False for an out-of-range `i`.
    pub fn takes_distance_kernel(&self, cols: &FareColumns<'_>, i: usize) -> bool {
        if i >= cols.len() || cols.check().is_err() {
            return false;
        }
        let Some(k) = self
            .rates
            .get(cols.rate_of(i))
            .and_then(|p| p.kernel.as_ref())
        else {
            return false;
        };
        let (s, d, t) = (cols.start_s[i], cols.distance_m[i], cols.duration_s[i]);
        let w = cols.waiting_s.map(|w| w[i]);
        self.kernel_row::<false>(k, s, d, t, w)
            .or_else(|| self.kernel_row::<true>(k, s, d, t, w))
            .is_some()
    }

    /// An amount in minor units as a decimal (e.g. 3000 → 30.00).
    pub fn to_decimal(&self, minor: i64) -> Decimal {
        Decimal::new(minor, self.minor_scale)
    }

    /// Row `i` as a scalar [`TripSummary`] (what [`fare_for_summary`] would be given);
    /// `None` when `i` is out of range, the start is out of range or the rate index is unknown.
    pub fn trip(&self, cols: &FareColumns<'_>, i: usize) -> Option<TripSummary> {
        let start = LocalDateTime::from_seconds(*cols.start_s.get(i)?).ok()?;
        let rate = match cols.rate {
            Rates::Same(k) => k,
            Rates::PerRow(c) => usize::from(*c.get(i)?),
        };
        let code = &self.tariff.rates.get(rate)?.code;
        let mut t = TripSummary::new(
            code,
            *cols.distance_m.get(i)?,
            *cols.duration_s.get(i)?,
            start,
        );
        if let Some(w) = cols.waiting_s {
            t = t.with_waiting(*w.get(i)?);
        }
        Some(t)
    }

    /// The scalar error of row `i` (`None` when the row is fine or `i` is out of range):
    /// the error of [`fare_for_summary`] of [`FareBatch::trip`], or of [`check_fare`] with
    /// the indicated fare, so the message is the scalar one.
    pub fn row_error(&self, cols: &FareColumns<'_>, i: usize) -> Option<Error> {
        let s = *cols.start_s.get(i)?;
        let start = match LocalDateTime::from_seconds(s) {
            Ok(t) => t,
            Err(e) => return Some(e),
        };
        let d = *cols.distance_m.get(i)?;
        let t = *cols.duration_s.get(i)?;
        let w = match cols.waiting_s {
            Some(w) => Some(*w.get(i)?),
            None => None,
        };
        if let Err(e) = summary_inputs(d, t, w) {
            return Some(e);
        }
        let k = match cols.rate {
            Rates::Same(k) => k,
            Rates::PerRow(c) => usize::from(*c.get(i)?),
        };
        let Some(rate) = self.tariff.rates.get(k) else {
            return Some(unknown_rate(self.tariff, k));
        };
        let mut trip = TripSummary::new(&rate.code, d, t, start);
        if let Some(w) = w {
            trip = trip.with_waiting(w);
        }
        let fare = match fare_for_summary(self.tariff, &trip) {
            Ok(f) => f,
            Err(e) => return Some(e),
        };
        if let (Some(x), Some(tol)) = (cols.indicated, self.tolerance) {
            return check_fare(&fare, self.to_decimal(*x.get(i)?), tol).err();
        }
        None
    }

    /// Computes the fare of every row of `cols` into `out` (and checks the indicated fares
    /// when both `cols.indicated` and `out`'s check columns are given).
    ///
    /// Errors (before any row is written): columns or outputs of different lengths
    /// ([`Error::LengthMismatch`]); check columns without indicated fares or without a
    /// tolerance, or the reverse ([`Error::MissingCompanion`]). Per-row problems are codes in
    /// `out.error_code`.
    pub fn evaluate(&self, cols: &FareColumns<'_>, out: &mut FareOutput<'_>) -> Result<()> {
        self.prepare(cols, out)?;
        self.run(cols, out.reborrow());
        Ok(())
    }

    /// As [`FareBatch::evaluate`], always on the calling thread.
    pub fn evaluate_serial(&self, cols: &FareColumns<'_>, out: &mut FareOutput<'_>) -> Result<()> {
        self.prepare(cols, out)?;
        self.run_serial(cols, out.reborrow());
        Ok(())
    }

    fn prepare(&self, cols: &FareColumns<'_>, out: &FareOutput<'_>) -> Result<usize> {
        let n = cols.check()?;
        out.check(n)?;
        let checks = out.verdict.is_some() || out.difference.is_some();
        match (cols.indicated.is_some(), checks, self.tolerance.is_some()) {
            (false, false, _) => Ok(n),
            (true, true, true) => {
                if out.verdict.is_none() || out.difference.is_none() {
                    return Err(Error::MissingCompanion {
                        given: "a check column",
                        missing: "verdict and difference",
                        purpose: "the fare check",
                    });
                }
                Ok(n)
            }
            (true, _, false) => Err(Error::MissingCompanion {
                given: "indicated",
                missing: "tolerance (FareBatch::with_tolerance)",
                purpose: "the fare check",
            }),
            (true, false, true) => Err(Error::MissingCompanion {
                given: "indicated",
                missing: "verdict and difference columns (FareOutput::with_check)",
                purpose: "the fare check",
            }),
            (false, true, _) => Err(Error::MissingCompanion {
                given: "verdict and difference columns",
                missing: "indicated",
                purpose: "the fare check",
            }),
        }
    }

    fn run(&self, cols: &FareColumns<'_>, out: FareOutput<'_>) {
        #[cfg(feature = "parallel")]
        if cols.len() >= PARALLEL_MIN_ROWS {
            return self.run_parallel(cols, out);
        }
        self.run_serial(cols, out)
    }

    #[cfg(feature = "parallel")]
    fn run_parallel(&self, cols: &FareColumns<'_>, out: FareOutput<'_>) {
        let n = cols.len();
        if n <= PARALLEL_PIECE_ROWS {
            return self.run_serial(cols, out);
        }
        let mid = (n / 2).div_ceil(PARALLEL_PIECE_ROWS) * PARALLEL_PIECE_ROWS;
        let (o0, o1) = out.split_at(mid);
        let (c0, c1) = (cols.range(0..mid), cols.range(mid..n));
        rayon::join(|| self.run_parallel(&c0, o0), || self.run_parallel(&c1, o1));
    }

    fn run_serial(&self, cols: &FareColumns<'_>, out: FareOutput<'_>) {
        let mut cache = AllowanceCache::new();
        let FareOutput {
            fare,
            error_code,
            mut verdict,
            mut difference,
        } = out;
        let n = cols.len();
        // Rows in chunks: first every closed-form row, then the others stepwise, then the
        // checks. Each row's answer does not depend on the order (the allowance cache only
        // saves work); grouping the two paths keeps their branches predictable.
        // With one distance-only rate for the batch, the rows of a chunk are taken in the
        // order of the kernel's branches (`DistanceKernel::order_rows`), and a row its
        // closed form does not take goes the kernel's search way in the first pass
        // (`FareBatch::kernel_search_tail`); only rows the kernel declines are left pending.
        let same = match cols.rate {
            Rates::Same(r) => self.rates.get(r),
            Rates::PerRow(_) => None,
        };
        let sorter = same.and_then(|p| p.kernel.as_ref());
        let mut pending = [0u16; CHUNK_ROWS];
        let mut order = [0u16; CHUNK_ROWS];
        for c0 in (0..n).step_by(CHUNK_ROWS) {
            let c1 = (c0 + CHUNK_ROWS).min(n);
            let m = c1 - c0;
            match sorter {
                Some(k) => k.order_rows(
                    &cols.distance_m[c0..c1],
                    &cols.duration_s[c0..c1],
                    &mut order[..m],
                ),
                None => {
                    for (o, x) in order[..m].iter_mut().zip(0u16..) {
                        *o = x;
                    }
                }
            }
            let rows = &order[..m];
            let (f, e) = (&mut fare[c0..c1], &mut error_code[c0..c1]);
            let (s, d, t) = (
                &cols.start_s[c0..c1],
                &cols.distance_m[c0..c1],
                &cols.duration_s[c0..c1],
            );
            let w = cols.waiting_s.map(|w| &w[c0..c1]);
            // One rate for the batch: its plan and its first way are resolved once per
            // chunk, not per row (the same calls on the same values as the per-row way).
            let np = match (same, w) {
                (Some(plan), None) => match &plan.kernel {
                    Some(k) => self.kernel_pass(k, rows, (s, d, t), f, e, &mut pending),
                    None => self.closed_pass(plan, rows, (s, d, t), f, e, &mut pending),
                },
                _ => first_pass(rows, f, e, &mut pending, |o| {
                    let plan = self.rates.get(cols.rate_of(c0 + o))?;
                    self.first_way(plan, s[o], d[o], t[o], w.map(|w| w[o]))
                }),
            };
            for &k in &pending[..np] {
                let i = c0 + usize::from(k);
                (fare[i], error_code[i]) = match self.kernel_search_row(cols, i) {
                    Some(f) => (f, 0),
                    None => match self.stepwise_row(cols, i) {
                        Ok(f) => (f, 0),
                        Err(e) => (FARE_INVALID, e.code()),
                    },
                };
            }
            if let (Some(ind), Some(tol), Some(v), Some(dif)) = (
                cols.indicated,
                self.tolerance,
                verdict.as_deref_mut(),
                difference.as_deref_mut(),
            ) {
                for i in c0..c1 {
                    let code = error_code[i];
                    let (vc, dc, ec) = if code != 0 {
                        (VERDICT_INVALID, FARE_INVALID, code)
                    } else {
                        self.check_row(&mut cache, tol, cols.rate_of(i), fare[i], ind[i])
                    };
                    v[i] = vc;
                    dif[i] = dc;
                    error_code[i] = ec;
                }
            }
        }
    }

    /// [`first_pass`] by the distance-only kernel's closed form, rows without waiting times
    /// (out of line: its own registers, whatever the other ways of `run_serial` need).
    #[inline(never)]
    fn kernel_pass(
        &self,
        k: &DistanceKernel,
        rows: &[u16],
        (s, d, t): (&[i64], &[f64], &[f64]),
        fare: &mut [i64],
        error_code: &mut [u8],
        pending: &mut [u16; CHUNK_ROWS],
    ) -> usize {
        first_pass(rows, fare, error_code, pending, |o| {
            self.kernel_row::<false>(k, s[o], d[o], t[o], None)
        })
    }

    /// [`first_pass`] by [`FareBatch::closed_form`], rows without waiting times (out of
    /// line, as [`FareBatch::kernel_pass`]).
    #[inline(never)]
    fn closed_pass(
        &self,
        plan: &RatePlan<'_>,
        rows: &[u16],
        (s, d, t): (&[i64], &[f64], &[f64]),
        fare: &mut [i64],
        error_code: &mut [u8],
        pending: &mut [u16; CHUNK_ROWS],
    ) -> usize {
        first_pass(rows, fare, error_code, pending, |o| {
            self.closed_form(plan, s[o], d[o], t[o], None)
        })
    }

    /// The verdict code, the difference and the error code of an indicated fare.
    fn check_row(
        &self,
        cache: &mut AllowanceCache,
        tol: &Tolerance,
        rate: usize,
        fare: i64,
        indicated: i64,
    ) -> (u8, i64, u8) {
        if indicated < 0 {
            return (
                VERDICT_INVALID,
                FARE_INVALID,
                FareRowError::IndicatedNegative.code(),
            );
        }
        // Both ≥ 0: no overflow.
        let diff = indicated - fare;
        let a = cache.get(rate, fare, || self.allowance_minor(tol, rate, fare));
        let side = if diff < 0 { a.under } else { a.over };
        match side {
            Some(allowed) => {
                // A negative allowance (a tolerance below zero) passes nothing, as in
                // `check_fare`.
                let pass = allowed >= 0 && diff.unsigned_abs() <= allowed as u64;
                (if pass { VERDICT_PASS } else { VERDICT_FAIL }, diff, 0)
            }
            None => (VERDICT_INVALID, diff, FareRowError::Tolerance.code()),
        }
    }

    /// [`check_fare`]'s allowances at `fare` (minor units), each floored to whole minor units:
    /// |difference| ≤ allowance ⇔ |difference| ≤ ⌊allowance⌋ for a whole number of minor units.
    fn allowance_minor(&self, tol: &Tolerance, rate: usize, fare: i64) -> Allowance {
        let step = self.rates[rate].rate.rounding.value.step;
        let Ok((limits, _)) = allowance(tol, self.to_decimal(fare), step) else {
            return Allowance {
                under: None,
                over: None,
            };
        };
        let minor = |x: f64| -> Option<i64> {
            let m = allowance_money("fare tolerance", x).ok()?;
            let scaled = m.checked_mul(Decimal::from(10i64.pow(self.minor_scale)))?;
            Some(
                scaled
                    .floor()
                    .to_i64()
                    .unwrap_or(if scaled.is_sign_negative() {
                        i64::MIN
                    } else {
                        i64::MAX
                    }),
            )
        };
        Allowance {
            under: minor(limits.under),
            over: minor(limits.over),
        }
    }

    /// The fare of a valid hire that no window edge falls inside, or `None` (the row then
    /// goes the stepwise way, which also finds its error, if any).
    ///
    /// The closed form. A hire starting at `s` (from [`CLOSED_FORM_FIRST_START`]) in day segment
    /// `[b_j, b_{j+1})` of its day, lasting `t ≤ b_{j+1} − sod − 1` seconds, ends at least
    /// 1 s before the segment's end E (real numbers; rounded sums of `s` and at most `t`
    /// stay below E − 1 + 10⁻³). So in the scalar engine (a) every edge search of
    /// `Steps::advance` (`next_sorted_edge(now)` with `s ≤ now < E − 0.99`) returns E,
    /// which is not before the end of the piece: no piece is cut at a window edge, and
    /// `StepPlan::without_window_edges` does the same `f64` operations; (b) every window
    /// look-up (`Window::contains(s + t0)`, flag fall, extras, surcharges, waiting prices)
    /// falls inside the segment, on the start's calendar day, where each window is open or
    /// closed throughout: the prices in force are those of [`SegPrices`] for the start's
    /// weekday and segment. What remains is the step count of each piece, the closed form
    /// `steps(covered / step length)` of `Steps::accrue`, the same code the scalar engine
    /// runs (the hire is cut at the long-distance threshold, as by the scalar engine).
    /// Rates whose prices do not depend on the time of day (`!is_timed`: no edge search at
    /// all) only need the start's segment, whatever the duration.
    #[inline(always)]
    fn closed_form(
        &self,
        plan: &RatePlan<'_>,
        s: i64,
        d: f64,
        t: f64,
        w: Option<f64>,
    ) -> Option<i64> {
        let by_segment = plan.by_segment.as_deref()?;
        let segments = self.segments.as_ref()?;
        let p = plan.prices.as_ref()?;
        // What `summary_inputs` accepts (NaN fails every comparison; -0.0 passes as there).
        if !(accepts_distance(d) && (0.0..=MAX_HIRE_S).contains(&t)) {
            return None;
        }
        let w_s = match w {
            Some(w) if w >= 0.0 && w <= t => w,
            Some(_) => return None,
            None => 0.0,
        };
        if !(CLOSED_FORM_FIRST_START..=self.start_range.1).contains(&s) {
            return None;
        }
        let (k, sod, end) = segments.index_of_start(s);
        // t is finite here: `>` is `!(<=)`.
        if plan.steps.is_timed() && t > f64::from(end - sod - 1) {
            return None;
        }
        let sp = &by_segment[k];
        let mut sink = SegmentSums {
            sp,
            band: &p.band,
            rate: plan.rate,
            raw: sp.flag,
            slow: false,
        };
        let scenario = if w.is_some() {
            Scenario::MovingIsFast
        } else {
            Scenario::Series
        };
        let mut steps = Steps::new(&plan.untimed);
        steps
            .run_summary(&plan.untimed, scenario, s as f64, d, t, w_s, &mut sink)
            .ok()?;
        if sink.slow || sink.raw > MAX_FAST_RAW {
            return None;
        }
        let metered = i128::from(round_units(sink.raw as i64, p.step?, p.mode));
        self.to_minor(metered + sp.extras)
    }

    /// The first way of a row: the closed form, by the distance-only kernel for a rate that
    /// has one, otherwise by [`FareBatch::closed_form`]. `None`: the row goes the second way.
    #[inline(always)]
    fn first_way(
        &self,
        plan: &RatePlan<'_>,
        s: i64,
        d: f64,
        t: f64,
        w: Option<f64>,
    ) -> Option<i64> {
        match &plan.kernel {
            Some(k) => self.kernel_row::<false>(k, s, d, t, w),
            None => self.closed_form(plan, s, d, t, w),
        }
    }

    /// The fare of a valid row by the distance-only kernel, or `None` (declined, or the row is
    /// not valid: it then goes the general stepwise way, which also finds its error).
    ///
    /// `SEARCH = false`: the closed form — the conditions of [`FareBatch::closed_form`] (a
    /// start from [`CLOSED_FORM_FIRST_START`], a hire ending at least 1 s before the end of
    /// its day segment where prices depend on the time of day), so no edge search can cut a
    /// piece and the prices are those of the start's (weekday, segment); a valid hire that
    /// does not meet them takes the search way at once ([`FareBatch::kernel_search_tail`]).
    /// `SEARCH = true`: any valid start, the edge search and a look-up per charge, as
    /// `stepwise_row` does.
    #[inline(always)]
    fn kernel_row<const SEARCH: bool>(
        &self,
        k: &DistanceKernel,
        s: i64,
        d: f64,
        t: f64,
        w: Option<f64>,
    ) -> Option<i64> {
        let segments = self.segments.as_ref()?;
        // What `summary_inputs` accepts (as in `closed_form`; NaN fails every comparison).
        if !(accepts_distance(d) && (0.0..=MAX_HIRE_S).contains(&t)) {
            return None;
        }
        let w_s = match w {
            Some(w) if w >= 0.0 && w <= t => w,
            Some(_) => return None,
            None => 0.0,
        };
        // `start.to_seconds() as f64`, as the scalar engine computes it.
        let s_abs = s as f64;
        if !(CLOSED_FORM_FIRST_START..=self.start_range.1).contains(&s) {
            return None;
        }
        let (i, sod, end) = segments.index_of_start(s);
        let sp = &k.table[i];
        let moving_is_fast = w.is_some();
        let raw = if SEARCH {
            k.search_raw(segments, s, i, sod, d, t, w_s, moving_is_fast)?
        } else {
            // t is finite here: `>` is `!(<=)`.
            if k.timed && t > f64::from(end - sod - 1) {
                // Not the closed form: the search way at once, on the values checked and
                // looked up above (what `kernel_row::<true>` would compute again).
                return self.kernel_search_tail(k, segments, s, i, sod, d, t, w_s, moving_is_fast);
            }
            let series = if moving_is_fast {
                None
            } else {
                k.series_raw(segments, sp, s_abs, d, t)
            };
            match series {
                Some(raw) => raw,
                None => k.raw_closed(segments, sp, s_abs, d, t, w_s, moving_is_fast)?,
            }
        };
        let extras = sp.extras;
        self.to_minor(i128::from(k.fare(raw, extras)?))
    }

    /// The end of [`FareBatch::kernel_row`] with the search, out of line: the rows the
    /// closed form leaves (hires crossing a window edge or midnight) keep the usual rows'
    /// code small.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn kernel_search_tail(
        &self,
        k: &DistanceKernel,
        segments: &DaySegments,
        s: i64,
        i: usize,
        sod: u32,
        d: f64,
        t: f64,
        w_s: f64,
        moving_is_fast: bool,
    ) -> Option<i64> {
        let raw = k.search_raw(segments, s, i, sod, d, t, w_s, moving_is_fast)?;
        self.to_minor(i128::from(k.fare(raw, k.table.get(i)?.extras)?))
    }

    /// A fare in price units (flag, steps, rounding, extras) as minor units, `None` when it
    /// is not a whole non-negative `i64` of minor units (the scalar engine then decides).
    #[inline(always)]
    fn to_minor(&self, fare: i128) -> Option<i64> {
        // i64 division (i128's is a library call): the fare is at most MAX_FAST_RAW plus one
        // step plus the extras; beyond i64 the scalar engine decides.
        let fare = i64::try_from(fare).ok()?;
        if fare < 0 {
            return None;
        }
        let (q, r) = self.minor_div.div_rem(fare);
        (r == 0).then_some(q)
    }

    /// The fare of row `i` by the distance-only kernel with the edge search, `None` when its
    /// rate has no kernel or the kernel declines the row.
    fn kernel_search_row(&self, cols: &FareColumns<'_>, i: usize) -> Option<i64> {
        let k = self.rates.get(cols.rate_of(i))?.kernel.as_ref()?;
        self.kernel_row::<true>(
            k,
            cols.start_s[i],
            cols.distance_m[i],
            cols.duration_s[i],
            cols.waiting_s.map(|w| w[i]),
        )
    }

    /// The fare of row `i` stepwise: the scalar engine's step counter with the integer sink
    /// (window edges searched, window look-ups at each charge).
    fn stepwise_row(
        &self,
        cols: &FareColumns<'_>,
        i: usize,
    ) -> std::result::Result<i64, FareRowError> {
        let s = cols.start_s[i];
        if s < self.start_range.0 || s > self.start_range.1 {
            return Err(FareRowError::StartOutOfRange);
        }
        let w = cols.waiting_s.map(|w| w[i]);
        let (d, t, w_s) = summary_inputs(cols.distance_m[i], cols.duration_s[i], w)
            .map_err(|e| FareRowError::of_fare_error(&e))?;
        let k = cols.rate_of(i);
        let plan = self.rates.get(k).ok_or(FareRowError::UnknownRate)?;
        let Some(p) = &plan.prices else {
            return self.scalar_row(cols, i);
        };
        // `start.to_seconds() as f64`, as the scalar engine computes it.
        let start_abs = s as f64;
        let mut sink = Sums {
            p,
            rate: plan.rate,
            windows: &self.tariff.windows,
            table: self.segments.as_ref().zip(plan.by_segment.as_deref()),
            start_abs,
            raw: 0,
            slow: false,
        };
        let at_start = sink.at(start_abs + 0.0);
        sink.raw = match at_start {
            Some(sp) => sp.flag,
            None => p.flag_at(&self.tariff.windows, start_abs + 0.0),
        };
        let scenario = if w.is_some() {
            Scenario::MovingIsFast
        } else {
            Scenario::Series
        };
        let mut steps = Steps::new(&plan.steps);
        if let Err(e) = steps.run_summary(&plan.steps, scenario, start_abs, d, t, w_s, &mut sink) {
            return Err(FareRowError::of_fare_error(&e));
        }
        if sink.slow || sink.raw > MAX_FAST_RAW {
            return self.scalar_row(cols, i);
        }
        let raw = sink.raw;
        let metered = match p.step {
            Some(step) => i128::from(round_units(raw as i64, step, p.mode)),
            None => {
                let r = Decimal::from_i128_with_scale(raw, self.price_scale);
                match plan
                    .rate
                    .rounding
                    .value
                    .apply(r)
                    .ok()
                    .and_then(|m| units(m, self.price_scale))
                {
                    Some(m) => m,
                    None => return self.scalar_row(cols, i),
                }
            }
        };
        let fare = metered
            + match at_start {
                Some(sp) => sp.extras,
                None => p.extras_at(&self.tariff.windows, start_abs + 0.0),
            };
        match self.to_minor(fare) {
            Some(q) => Ok(q),
            None => self.scalar_row(cols, i),
        }
    }

    /// Row `i` by the scalar engine (rows the integer path cannot price exactly).
    #[cold]
    fn scalar_row(
        &self,
        cols: &FareColumns<'_>,
        i: usize,
    ) -> std::result::Result<i64, FareRowError> {
        let trip = self.trip(cols, i).ok_or(FareRowError::Other)?;
        let f =
            fare_for_summary(self.tariff, &trip).map_err(|e| FareRowError::of_fare_error(&e))?;
        let scaled = f
            .fare
            .checked_mul(Decimal::from(10i64.pow(self.minor_scale)))
            .ok_or(FareRowError::FareOutOfRange)?;
        if !scaled.fract().is_zero() {
            return Err(FareRowError::FareOutOfRange);
        }
        scaled.to_i64().ok_or(FareRowError::FareOutOfRange)
    }
}

/// `(0.0..f64::INFINITY).contains(&d)` (what `summary_inputs` accepts of a distance) in a
/// few instructions: `d + 0.0` is `d` except that −0 becomes +0 (round to nearest), and a
/// float from +0 to the largest finite value is exactly one whose bits, read as an integer,
/// are below those of +∞; a negative non-zero value (sign bit set), ±∞ and every NaN are not.
#[inline(always)]
fn accepts_distance(d: f64) -> bool {
    (d + 0.0).to_bits() < f64::INFINITY.to_bits()
}

/// The first way over the rows `rows` of a chunk (offsets into it, in the order to take
/// them): the fare of each row `way` prices is written with error code 0; the offsets of
/// the others are put in `pending`, whose count is returned.
#[inline(always)]
fn first_pass(
    rows: &[u16],
    fare: &mut [i64],
    error_code: &mut [u8],
    pending: &mut [u16; CHUNK_ROWS],
    mut way: impl FnMut(usize) -> Option<i64>,
) -> usize {
    let mut np = 0;
    for &o in rows {
        let i = usize::from(o);
        match way(i) {
            Some(f) => {
                fare[i] = f;
                error_code[i] = 0;
            }
            None => {
                pending[np] = o;
                np += 1;
            }
        }
    }
    np
}

fn unknown_rate(tariff: &Tariff, k: usize) -> Error {
    Error::UnknownName {
        field: "rate code",
        value: format!("rate index {k}"),
        expected: format!(
            "an index below {} ({})",
            tariff.rates.len(),
            tariff.rate_codes()
        ),
    }
}

/// Every decimal of a rate that the integer path uses.
fn rate_decimals(r: &Rate, waiting: &[Option<Decimal>]) -> Vec<Decimal> {
    let mut v = vec![r.rounding.value.step];
    if let Some(f) = &r.flat {
        v.push(f.value);
    }
    if let Some(i) = &r.initial {
        v.push(i.price.value);
        v.extend(i.by_window.iter().map(|w| w.price));
    }
    let base_d = r.distance_step.as_ref().map(|s| s.price.value);
    let base_t = r.time_step.as_ref().map(|s| s.price.value);
    v.extend(base_d);
    v.extend(base_t);
    for l in &r.long_distance {
        if let (Some(sp), Some(b)) = (l.step_price, base_d) {
            v.push(sp - b);
        }
        if let (Some(p), Some(b)) = (l.percent, base_d) {
            v.extend(percent_of(b, p).ok());
        }
    }
    let bases: Vec<Decimal> = base_d
        .into_iter()
        .chain(base_t)
        .chain(waiting.iter().flatten().copied())
        .collect();
    v.extend(bases.iter().copied());
    for s in &r.window_surcharges {
        for b in &bases {
            v.extend(percent_of(*b, s.percent).ok());
        }
    }
    v.extend(r.extras.iter().map(|e| e.amount));
    v
}

/// The integer prices of a rate, `None` if one cannot be formed exactly.
fn prices(tariff: &Tariff, r: &Rate, waiting: &[Option<Decimal>], scale: u32) -> Option<Prices> {
    let u = |x: Decimal| units(x, scale);
    let win = |name: &str| tariff.window_index(name);
    let (flag, flag_by_window) = match (&r.flat, &r.initial) {
        (Some(f), _) => (u(f.value)?, Vec::new()),
        (None, Some(i)) => (
            u(i.price.value)?,
            i.by_window
                .iter()
                .map(|w| Some((win(&w.window)?, u(w.price)?)))
                .collect::<Option<Vec<_>>>()?,
        ),
        (None, None) => (0, Vec::new()),
    };
    let base_d = r.distance_step.as_ref().map(|s| s.price.value);
    let base_t = r.time_step.as_ref().map(|s| s.price.value);
    let mut band = Vec::new();
    for l in &r.long_distance {
        let b = base_d?;
        let mut x = 0i128;
        if let Some(sp) = l.step_price {
            x += u(sp - b)?;
        }
        if let Some(p) = l.percent {
            x += u(percent_of(b, p).ok()?)?;
        }
        band.push(x);
    }
    // A waiting price that could not be formed is a scalar error: leave it to the scalar path.
    let waiting_dec: Vec<Decimal> = waiting.iter().copied().collect::<Option<Vec<_>>>()?;
    let waiting_units = waiting_dec
        .iter()
        .map(|x| u(*x))
        .collect::<Option<Vec<_>>>()?;
    let waiting_windows = match &r.waiting {
        Some(w) => w
            .by_window
            .iter()
            .map(|b| win(&b.window))
            .collect::<Option<Vec<_>>>()?,
        None => Vec::new(),
    };
    let mut surcharges = Vec::new();
    for s in &r.window_surcharges {
        let pct = |b: Option<Decimal>| -> Option<Option<i128>> {
            match b {
                Some(b) => Some(Some(u(percent_of(b, s.percent).ok()?)?)),
                None => Some(None),
            }
        };
        let on = |a: AppliesTo| s.applies_to.contains(&a);
        surcharges.push(SurchargePlan {
            window: win(&s.window)?,
            on_distance: if on(AppliesTo::Distance) {
                pct(base_d)?
            } else {
                None
            },
            on_time: if on(AppliesTo::Time) {
                pct(base_t)?
            } else {
                None
            },
            on_waiting: if on(AppliesTo::Waiting) && !waiting_dec.is_empty() {
                Some(
                    waiting_dec
                        .iter()
                        .map(|b| u(percent_of(*b, s.percent).ok()?))
                        .collect::<Option<Vec<_>>>()?,
                )
            } else {
                None
            },
        });
    }
    let mut extras = Vec::new();
    for e in r
        .extras
        .iter()
        .filter(|e| e.on_meter && e.condition.is_none())
    {
        let w = match &e.window {
            Some(name) => Some(win(name)?),
            None => None,
        };
        extras.push((w, u(e.amount)?));
    }
    let step_dec = r.rounding.value.step;
    let step_units = u(step_dec)?;
    // The quotient raw / step is a terminating decimal when step_units = 2^a 5^b (in units
    // of 10^-scale): then the scalar decimal division is exact and integer rounding agrees.
    let mut k = step_units;
    for p in [2, 5] {
        while k > 0 && k % p == 0 {
            k /= p;
        }
    }
    let step = (k == 1 && step_units <= MAX_FAST_RAW)
        .then(|| i64::try_from(step_units).ok())
        .flatten()
        .map(Divisor::new);
    Some(Prices {
        flag,
        flag_by_window,
        distance: base_d.map_or(Some(0), u)?,
        time: base_t.map_or(Some(0), u)?,
        band,
        waiting: waiting_units,
        waiting_windows,
        surcharges,
        extras,
        step,
        mode: r.rounding.value.mode,
    })
}

/// `raw` rounded to a multiple of `step` by `mode` (0 ≤ raw ≤ [`MAX_FAST_RAW`], so `i64`
/// division, not `i128`'s library call), as `Rounding::apply` does on decimals: the quotient's
/// integer part and remainder decide.
#[inline(always)]
fn round_units(raw: i64, step: Divisor, mode: RoundingMode) -> i64 {
    let (q, r) = step.div_rem(raw);
    let step = step.d;
    let up = match mode {
        RoundingMode::HalfUp => 2 * r >= step,
        RoundingMode::HalfEven => 2 * r > step || (2 * r == step && q % 2 == 1),
        RoundingMode::Down => false,
        RoundingMode::Up => r > 0,
    };
    (q + i64::from(up)) * step
}

/// The batch's sink: the metered amount as one integer, in units of 10^-price_scale.
struct Sums<'a> {
    p: &'a Prices,
    rate: &'a Rate,
    windows: &'a [crate::tariff::Window],
    /// The day segments and the rate's prices by (weekday, segment), when available.
    table: Option<(&'a DaySegments, &'a [SegPrices])>,
    start_abs: f64,
    raw: i128,
    slow: bool,
}

impl<'a> Sums<'a> {
    /// The prices in force at `abs` from the (weekday, segment) table: `Window::contains`
    /// takes the day `day_of(abs)` and the second of the day `abs − day × 86 400`; every
    /// window is open or closed throughout a segment of a day of a given weekday, so the
    /// table's look-up at the segment's first second gives the same answers. `None`
    /// (look the windows up one by one) without a table or when the second of the day is
    /// not in [0, 86 400) or the day not within ±2^40.
    #[inline(always)]
    fn at(&self, abs: f64) -> Option<&'a SegPrices> {
        let (segments, table) = self.table?;
        table.get(segments.index_at(abs)?)
    }
}

impl Sums<'_> {
    #[inline]
    fn count(&mut self, n: u64) -> Option<i128> {
        if n > MAX_FAST_STEPS {
            self.slow = true;
            return None;
        }
        Some(i128::from(n))
    }
}

/// The price of a distance step in long-distance band `band` (the scalar engine's band rule
/// itself, [`Rate::long_distance_band`] at the distance where the piece starts).
#[inline(always)]
fn band_price(bands: &[i128], rate: &Rate, d: f64) -> i128 {
    if bands.is_empty() {
        return 0;
    }
    rate.long_distance_band(d).map_or(0, |k| bands[k])
}

impl Prices {
    /// The flag fall (or flat fare) of a hire starting at `abs` (the first window of
    /// `initial.by_window` that contains it, as the scalar engine looks it up).
    fn flag_at(&self, windows: &[Window], abs: f64) -> i128 {
        match self
            .flag_by_window
            .iter()
            .find(|(wi, _)| windows[*wi].contains(abs))
        {
            Some((_, x)) => *x,
            None => self.flag,
        }
    }

    /// The extras the meter adds to a hire starting at `abs`.
    fn extras_at(&self, windows: &[Window], abs: f64) -> i128 {
        self.extras
            .iter()
            .filter(|(wi, _)| wi.map_or(true, |wi| windows[wi].contains(abs)))
            .map(|(_, x)| x)
            .sum()
    }

    /// A distance step charged at `abs`, without the long-distance band.
    fn distance_at(&self, windows: &[Window], abs: f64) -> i128 {
        let mut unit = self.distance;
        for s in &self.surcharges {
            if let Some(x) = s.on_distance {
                if windows[s.window].contains(abs) {
                    unit += x;
                }
            }
        }
        unit
    }

    /// A time step charged at `abs`.
    fn time_at(&self, windows: &[Window], abs: f64) -> i128 {
        let mut unit = self.time;
        for s in &self.surcharges {
            if let Some(x) = s.on_time {
                if windows[s.window].contains(abs) {
                    unit += x;
                }
            }
        }
        unit
    }

    /// A waiting step charged at `abs` (0 without a waiting fare): the distance equivalent of
    /// the first window of `waiting.by_window` containing it, or the default.
    fn waiting_at(&self, windows: &[Window], abs: f64) -> i128 {
        if self.waiting.is_empty() {
            return 0;
        }
        let v = self
            .waiting_windows
            .iter()
            .position(|w| windows[*w].contains(abs))
            .map_or(0, |k| k + 1);
        let mut unit = self.waiting[v];
        for s in &self.surcharges {
            if let Some(x) = &s.on_waiting {
                if windows[s.window].contains(abs) {
                    unit += x[v];
                }
            }
        }
        unit
    }
}

/// The prices of every (weekday, segment) of a rate, each looked up at the first second of
/// the segment on a day of that weekday (a positive day, as every closed-form start).
fn segment_prices(p: &Prices, windows: &[Window], seg: &DaySegments) -> Vec<SegPrices> {
    let mut out = Vec::with_capacity(7 * seg.count());
    for weekday in 0..7i64 {
        // (day + 3) mod 7 = weekday, day ≥ 7.
        let day = 7 + (weekday + 4) % 7;
        for j in 0..seg.count() {
            let abs = (day * DAY_S + i64::from(seg.bounds[j])) as f64;
            out.push(SegPrices {
                flag: p.flag_at(windows, abs),
                extras: p.extras_at(windows, abs),
                distance: p.distance_at(windows, abs),
                time: p.time_at(windows, abs),
                waiting: p.waiting_at(windows, abs),
            });
        }
    }
    out
}

impl StepSink for Sums<'_> {
    fn distance(&mut self, n: u64, t: f64, d: f64) -> Result<()> {
        let Some(n) = self.count(n) else {
            return Ok(());
        };
        let abs = self.start_abs + t;
        let unit = match self.at(abs) {
            Some(sp) => sp.distance,
            None => self.p.distance_at(self.windows, abs),
        } + band_price(&self.p.band, self.rate, d);
        self.raw += n * unit;
        Ok(())
    }

    fn time(&mut self, n: u64, t: f64) -> Result<()> {
        let Some(n) = self.count(n) else {
            return Ok(());
        };
        let abs = self.start_abs + t;
        self.raw += n * match self.at(abs) {
            Some(sp) => sp.time,
            None => self.p.time_at(self.windows, abs),
        };
        Ok(())
    }

    fn waiting(&mut self, n: u64, t: f64) -> Result<()> {
        let Some(n) = self.count(n) else {
            return Ok(());
        };
        let abs = self.start_abs + t;
        self.raw += n * match self.at(abs) {
            Some(sp) => sp.waiting,
            None => self.p.waiting_at(self.windows, abs),
        };
        Ok(())
    }
}

/// The closed form's sink: the prices of one (weekday, segment), fixed for the whole hire.
struct SegmentSums<'a> {
    sp: &'a SegPrices,
    band: &'a [i128],
    rate: &'a Rate,
    raw: i128,
    slow: bool,
}

impl SegmentSums<'_> {
    #[inline(always)]
    fn add(&mut self, n: u64, unit: i128) {
        if n > MAX_FAST_STEPS {
            self.slow = true;
        } else {
            self.raw += i128::from(n) * unit;
        }
    }
}

impl StepSink for SegmentSums<'_> {
    #[inline(always)]
    fn distance(&mut self, n: u64, _t: f64, d: f64) -> Result<()> {
        let unit = self.sp.distance + band_price(self.band, self.rate, d);
        self.add(n, unit);
        Ok(())
    }

    #[inline(always)]
    fn time(&mut self, n: u64, _t: f64) -> Result<()> {
        self.add(n, self.sp.time);
        Ok(())
    }

    #[inline(always)]
    fn waiting(&mut self, n: u64, _t: f64) -> Result<()> {
        self.add(n, self.sp.waiting);
        Ok(())
    }
}

/// The largest unit price (flag fall, extras, a distance or waiting step) the distance-only
/// kernel adds, in price units: with at most [`KERNEL_MAX_STEPS`] steps per charge and at most
/// 2 × 2 × [`KERNEL_MAX_PIECES`] charges per hire, the `i64` sum stays below 2^62.
const KERNEL_MAX_PRICE: i64 = 1 << 26;

/// More steps than this in one charge: the kernel declines the row (see
/// [`KERNEL_MAX_PRICE`]).
const KERNEL_MAX_STEPS: u64 = 1 << 28;

/// More pieces than this in one advance (window edges, the long-distance threshold and the
/// rounding slivers next to them): the kernel declines the row. A hire within
/// [`MAX_HIRE_S`] crossing many window edges takes the general stepwise way.
const KERNEL_MAX_PIECES: usize = 8;

/// The prices of one (weekday, day segment) as the distance-only kernel adds them.
#[derive(Debug, Clone, Copy)]
struct KernelPrices {
    flag: i64,
    extras: i64,
    distance: i64,
    waiting: i64,
}

/// The distance-only kernel: `Steps::run_summary` → `advance` → `accrue` with the integer
/// sink, written out for a rate that counts distance only (no time step: Beijing, Shanghai).
///
/// Every branch of the general step counter that depends on the rate's shape alone (mode,
/// crossover speed, time step, combined units, assessment, `DistanceOnly` scenario) is
/// resolved here once per batch; what stays is, in the same order, every `f64` operation
/// `advance` and `accrue` do on such a rate — the speed `dd / dt`, the edge search
/// (`next_sorted_edge`, only where prices depend on the time of day), the long-distance
/// threshold test and split, `min` with the initial cover, `covered / step length`, the
/// waiting test and `time / waiting step`, `steps()` — on the same values, so the same
/// pieces and the same step counts. The prices are those of the (weekday, segment) table
/// ([`SegPrices`], as `i64`): fixed for a hire inside one day segment (the closed form's
/// argument), otherwise looked up at each charge at `start + t0` as [`Sums`] does. The
/// long-distance rule is the scalar one (`Rate::long_distance_band` with one threshold:
/// `beyond ≤ d0 + 10⁻⁹`). A row the kernel cannot follow to the end within its bounds (more
/// than [`KERNEL_MAX_PIECES`] pieces, [`KERNEL_MAX_STEPS`] steps, a look-up outside the
/// table, a raw sum outside 0 … [`MAX_FAST_RAW`]) is declined and goes the general way.
#[derive(Debug, Clone)]
struct DistanceKernel {
    cover_d: f64,
    len: f64,
    assessment: Assessment,
    /// The long-distance threshold (m) and the price added to a distance step beyond it.
    band: Option<(f64, i64)>,
    /// The waiting speed (m/s) and the waiting step (s).
    waiting: Option<(f64, f64)>,
    /// Prices depend on the time of day (`StepPlan::is_timed`).
    timed: bool,
    /// The window edges `advance` searches (`None`: no search).
    edges: Option<Vec<u32>>,
    /// [`SegPrices`] by (weekday, segment), as `i64`.
    table: Vec<KernelPrices>,
    step: Divisor,
    mode: RoundingMode,
}

/// The counters of the kernel (those of `Steps` the fare depends on) and the raw sum.
#[derive(Debug, Clone, Copy)]
struct KernelState {
    t: f64,
    d: f64,
    cover_d: f64,
    u_d: f64,
    n_d: u64,
    u_w: f64,
    n_w: u64,
    raw: i64,
    /// The search way's day segment (see [`Track`]).
    track: Track,
}

impl KernelState {
    /// The counters at the start of a hire: nothing covered or charged yet, the flag fall
    /// `flag` in the sum, and the rate's distance cover `cover_d` (as the kernel keeps it).
    #[inline(always)]
    fn start(cover_d: f64, flag: i64, track: Track) -> Self {
        KernelState {
            t: 0.0,
            d: 0.0,
            cover_d,
            u_d: 0.0,
            n_d: 0,
            u_w: 0.0,
            n_w: 0,
            raw: flag,
            track,
        }
    }
}

/// A day segment `j` of day `D` as the search way of the distance-only kernel follows it:
/// the instants `lo ≤ now < hi` with `lo = max(D·86 400 + b_j, D·86 400 + 1)` and
/// `hi = min(D·86 400 + b_{j+1}, D·86 400 + 86 399)` (exact integers as `f64`). For such
/// an instant (a) `day_of(now)` is D: the real quotient now / 86 400 lies in
/// [D + 1/86 400, D + 1 − 1/86 400], and `day_of` is the floor of the correctly rounded
/// quotient (`floor_any(now / 86 400)`, bit for bit), whose rounding error (≤ 2^-31 below
/// 2^38 s, the last valid start plus 31 days) cannot reach an integer; (b) the second of
/// the day `now − D·86 400` is exact (Sterbenz, D ≥ 1) and in [b_j, b_{j+1}), so
/// [`DaySegments::index_at`] gives `index(D, j)`; (c) `next_sorted_edge(now)` is
/// `D·86 400 + b_{j+1}`: the first candidate `D·86 400 + e > now` over the sorted edges
/// is the first edge above the second of the day, which is b_{j+1} when b_{j+1} is an
/// edge; otherwise b_{j+1} is 86 400 (not 0: b_{j+1} > b_j ≥ 0), no edge lies above the
/// second of the day and the search returns `day0 + 86 400`, the same value. A piece
/// usually ends exactly on the edge (`start + t` of an integer start rounds to the integer
/// edge); when `now` is that edge and it is not a midnight, `now` lies in segment j + 1 of
/// the same day at least 1 s from both midnights (b_{j+1} is a whole minute, 0 < b_{j+1} <
/// 86 400), so the kernel follows that segment. Otherwise, outside [lo, hi), it calls
/// `day_segment_at` and `next_sorted_edge` themselves and follows the segment they find.
#[derive(Debug, Clone, Copy)]
struct Track {
    lo: f64,
    hi: f64,
    /// `D·86 400 + b_{j+1}`.
    edge: f64,
    /// `index(D, j)`.
    index: usize,
    /// D and j.
    day: i64,
    segment: usize,
}

impl Track {
    /// No instant inside and no edge: the first look-up takes the general way.
    const NONE: Track = Track {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
        edge: f64::INFINITY,
        index: 0,
        day: 0,
        segment: 0,
    };

    /// Segment `j` of day `day` (≥ 1).
    #[inline(always)]
    fn new(segments: &DaySegments, day: i64, j: usize) -> Self {
        Self::with_index(segments, day, j, segments.index(day, j))
    }

    /// [`Track::new`] given `index = segments.index(day, j)`.
    #[inline(always)]
    fn with_index(segments: &DaySegments, day: i64, j: usize, index: usize) -> Self {
        let day0 = day * DAY_S;
        let (b0, b1) = (
            i64::from(segments.bounds[j]),
            i64::from(segments.bounds[j + 1]),
        );
        Self {
            lo: (day0 + b0.max(1)) as f64,
            hi: (day0 + b1.min(DAY_S - 1)) as f64,
            edge: (day0 + b1) as f64,
            index,
            day,
            segment: j,
        }
    }
}

impl DistanceKernel {
    /// The kernel of a rate, `None` for another rate shape ([`StepPlan::distance_only`]),
    /// more than one long-distance threshold, a display step without integer rounding or a
    /// price beyond [`KERNEL_MAX_PRICE`].
    fn new(plan: &StepPlan<'_>, p: &Prices, table: &[SegPrices]) -> Option<Self> {
        let shape = plan.distance_only()?;
        let r = plan.rate;
        let small = |x: i128| {
            i64::try_from(x)
                .ok()
                .filter(|x| x.abs() <= KERNEL_MAX_PRICE)
        };
        let band = match (r.long_distance.as_slice(), p.band.as_slice()) {
            ([], _) => None,
            ([l], [x]) => Some((l.beyond_m, small(*x)?)),
            _ => return None,
        };
        let waiting = match (&r.waiting, shape.v_wait) {
            (Some(w), Some(vw)) => Some((vw, w.step_s.value)),
            (None, None) => None,
            _ => return None,
        };
        let table = table
            .iter()
            .map(|sp| {
                Some(KernelPrices {
                    flag: small(sp.flag)?,
                    extras: small(sp.extras)?,
                    distance: small(sp.distance)?,
                    waiting: small(sp.waiting)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            cover_d: shape.cover_d,
            len: shape.len,
            assessment: r.assessment.value,
            band,
            waiting,
            timed: plan.is_timed(),
            edges: shape.edges,
            table,
            step: p.step?,
            mode: p.mode,
        })
    }

    /// `Steps::advance`'s cut at the long-distance threshold: for a piece of `rem_d` m from
    /// `d` m, the fraction of it before the threshold when the threshold lies strictly
    /// inside it (`rem_d > 0`), else `None`.
    #[inline(always)]
    fn band_cut(&self, d: f64, rem_d: f64) -> Option<f64> {
        match self.band {
            Some((beyond, _)) if rem_d > 0.0 && beyond > d && beyond < d + rem_d => {
                Some((beyond - d) / rem_d)
            }
            _ => None,
        }
    }

    /// The price added to a distance step charged in a piece starting `d0` m from the
    /// hire's start (`band_price`).
    #[inline(always)]
    fn band_at(&self, d0: f64) -> i64 {
        match self.band {
            Some((beyond, x)) if beyond <= d0 + 1e-9 => x,
            _ => 0,
        }
    }

    /// The raw sum (flag fall and steps, price units) of a checked summary (`d`, `t`,
    /// waiting `w`, as `Steps::run_summary` takes them) starting at `s_abs`.
    /// `SEARCH = false`: a hire inside one day segment (or any hire of a rate without timed
    /// prices), priced at `fixed`; `SEARCH = true`: the edge search and a look-up per charge.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn raw<const SEARCH: bool>(
        &self,
        segments: &DaySegments,
        fixed: &KernelPrices,
        track: Track,
        s_abs: f64,
        d: f64,
        t: f64,
        w: f64,
        moving_is_fast: bool,
    ) -> Option<i64> {
        let mut st = KernelState::start(self.cover_d, fixed.flag, track);
        // `Steps::run_summary`.
        let t1 = t - w;
        self.advance::<SEARCH>(
            &mut st,
            segments,
            fixed,
            s_abs,
            moving_is_fast,
            t1 - 0.0,
            d - 0.0,
        )?;
        (st.t, st.d) = (t1, d);
        self.advance::<SEARCH>(&mut st, segments, fixed, s_abs, moving_is_fast, t - t1, 0.0)?;
        Some(st.raw)
    }

    /// [`DistanceKernel::raw`] with the search for a hire starting at `s` (from
    /// [`CLOSED_FORM_FIRST_START`]), whose `DaySegments::index_of_start` is `(i, sod, _)`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn search_raw(
        &self,
        segments: &DaySegments,
        s: i64,
        i: usize,
        sod: u32,
        d: f64,
        t: f64,
        w_s: f64,
        moving_is_fast: bool,
    ) -> Option<i64> {
        // The start's segment, from integers: `index_of_start` is the look-up at
        // `start + 0.0` (the closed form's flag fall and extras).
        let day = s / DAY_S;
        let j = usize::from(segments.by_minute[(sod / 60) as usize]);
        let track = Track::with_index(segments, day, j, i);
        // `start.to_seconds() as f64`, as the scalar engine computes it.
        let s_abs = s as f64;
        let sp = self.table.get(i)?;
        self.raw::<true>(segments, sp, track, s_abs, d, t, w_s, moving_is_fast)
    }

    /// [`DistanceKernel::raw`] without the edge search for a summary without a waiting time
    /// (`Scenario::Series`, w = 0), with the loop of `advance` written out for the usual
    /// layouts: one piece, or two cut at the long-distance threshold. In `run_summary` the
    /// first advance is (t − 0 − 0, d − 0) and the second (t − t, +0), which returns at once
    /// (`t − t` is +0 for every finite t); in the first, the speed is `d / t` (t > 0) and the
    /// second piece is whole unless the threshold test finds the threshold inside it again
    /// (the first cut landed an ulp short): then `None`, and [`DistanceKernel::raw`] follows
    /// the loop itself.
    #[inline(always)]
    fn series_raw(
        &self,
        segments: &DaySegments,
        fixed: &KernelPrices,
        s_abs: f64,
        d: f64,
        t: f64,
    ) -> Option<i64> {
        let mut st = KernelState::start(self.cover_d, fixed.flag, Track::NONE);
        let t1 = t - 0.0;
        let (dt, dd) = (t1 - 0.0, d - 0.0);
        if dt <= 0.0 && dd <= 0.0 {
            return Some(st.raw);
        }
        let v = if dt > 0.0 { dd / dt } else { f64::INFINITY };
        let (mut rem_t, mut rem_d) = (dt, dd);
        let mut f: f64 = 1.0;
        if let Some(x) = self.band_cut(st.d, rem_d) {
            f = f.min(x);
        }
        let (pt, pd) = if f >= 1.0 {
            (rem_t, rem_d)
        } else {
            (rem_t * f, rem_d * f)
        };
        self.accrue::<false>(&mut st, segments, fixed, s_abs, pt, pd, v)?;
        if f >= 1.0 {
            return Some(st.raw);
        }
        st.t += pt;
        st.d += pd;
        rem_t -= pt;
        rem_d -= pd;
        if rem_t <= 0.0 && rem_d <= 0.0 {
            return Some(st.raw);
        }
        if self.band_cut(st.d, rem_d).is_some() {
            return None;
        }
        self.accrue::<false>(&mut st, segments, fixed, s_abs, rem_t, rem_d, v)?;
        Some(st.raw)
    }

    /// [`DistanceKernel::raw`] without the edge search, out of line: the rows
    /// [`DistanceKernel::series_raw`] leaves (waiting times given, slivers) keep the usual
    /// rows' code small.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn raw_closed(
        &self,
        segments: &DaySegments,
        fixed: &KernelPrices,
        s_abs: f64,
        d: f64,
        t: f64,
        w: f64,
        moving_is_fast: bool,
    ) -> Option<i64> {
        self.raw::<false>(segments, fixed, Track::NONE, s_abs, d, t, w, moving_is_fast)
    }

    /// `Steps::advance` for this rate shape.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn advance<const SEARCH: bool>(
        &self,
        st: &mut KernelState,
        segments: &DaySegments,
        fixed: &KernelPrices,
        s_abs: f64,
        moving_is_fast: bool,
        dt: f64,
        dd: f64,
    ) -> Option<()> {
        if dt <= 0.0 && dd <= 0.0 {
            return Some(());
        }
        let v = if dt > 0.0 && !(moving_is_fast && dd > 0.0) {
            dd / dt
        } else {
            f64::INFINITY
        };
        let (mut rem_t, mut rem_d) = (dt, dd);
        for _ in 0..KERNEL_MAX_PIECES {
            let mut f: f64 = 1.0;
            if SEARCH && rem_t > 0.0 {
                if let Some(e) = &self.edges {
                    let now = s_abs + st.t;
                    let (_, edge) = self.locate(&mut st.track, segments, e, now)?;
                    if edge < now + rem_t {
                        f = f.min((edge - now) / rem_t);
                    }
                }
            }
            if let Some(x) = self.band_cut(st.d, rem_d) {
                f = f.min(x);
            }
            let (pt, pd) = if f >= 1.0 {
                (rem_t, rem_d)
            } else {
                (rem_t * f, rem_d * f)
            };
            self.accrue::<SEARCH>(st, segments, fixed, s_abs, pt, pd, v)?;
            st.t += pt;
            st.d += pd;
            rem_t -= pt;
            rem_d -= pd;
            if f >= 1.0 || (rem_t <= 0.0 && rem_d <= 0.0) {
                return Some(());
            }
        }
        None
    }

    /// `Steps::accrue` for this rate shape (every piece counts distance; waiting below the
    /// waiting speed), with the integer sink.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn accrue<const SEARCH: bool>(
        &self,
        st: &mut KernelState,
        segments: &DaySegments,
        fixed: &KernelPrices,
        s_abs: f64,
        pt: f64,
        pd: f64,
        v: f64,
    ) -> Option<()> {
        let (t0, d0) = (st.t, st.d);
        let mut cd = pd;
        let take = cd.min(st.cover_d);
        st.cover_d -= take;
        cd -= take;
        if cd > 0.0 {
            let new = self.new_steps(&mut st.u_d, &mut st.n_d, cd / self.len)?;
            if new > 0 {
                let sp = self.prices::<SEARCH>(&mut st.track, segments, fixed, s_abs + t0)?;
                st.raw += new as i64 * (sp.distance + self.band_at(d0));
            }
        }
        if let Some((vw, step)) = self.waiting {
            if v < vw && pt > 0.0 {
                let new = self.new_steps(&mut st.u_w, &mut st.n_w, pt / step)?;
                if new > 0 {
                    let sp = self.prices::<SEARCH>(&mut st.track, segments, fixed, s_abs + t0)?;
                    st.raw += new as i64 * sp.waiting;
                }
            }
        }
        Some(())
    }

    /// One counter of `accrue` (distance or waiting): adds `add` to its units `u`, and
    /// returns the steps not charged yet (`n`: the steps charged so far, updated); `None`
    /// beyond [`KERNEL_MAX_STEPS`] (the row is declined).
    #[inline(always)]
    fn new_steps(&self, u: &mut f64, n: &mut u64, add: f64) -> Option<u64> {
        *u += add;
        let k = steps_fast(*u, self.assessment);
        let new = k.saturating_sub(*n);
        *n = (*n).max(k);
        (new <= KERNEL_MAX_STEPS).then_some(new)
    }

    /// The prices of a charge made at `abs`: with the search, those in force there
    /// ([`DistanceKernel::at`]); without, `fixed` (the hire's one segment).
    #[inline(always)]
    fn prices<'p, const SEARCH: bool>(
        &'p self,
        track: &mut Track,
        segments: &DaySegments,
        fixed: &'p KernelPrices,
        abs: f64,
    ) -> Option<&'p KernelPrices> {
        if SEARCH {
            self.at(track, segments, abs)
        } else {
            Some(fixed)
        }
    }

    /// The search way at `now` (= `start + t` of the piece, as `advance` and the sink
    /// compute it): the table index of the prices in force (`DaySegments::index_at(now)`,
    /// [`Sums::at`]'s look-up) and `next_sorted_edge(now)`, from the followed segment when
    /// `now` is inside it ([`Track`]), otherwise from those functions themselves (the
    /// segment they find is followed from then on). `None`: `index_at` has no answer (the
    /// row is declined).
    #[inline(always)]
    fn locate(
        &self,
        track: &mut Track,
        segments: &DaySegments,
        edges: &[u32],
        now: f64,
    ) -> Option<(usize, f64)> {
        if track.lo <= now && now < track.hi {
            return Some((track.index, track.edge));
        }
        if now == track.edge && track.segment + 1 < segments.count() {
            // index(D, j + 1) = index(D, j) + 1.
            *track = Track::with_index(segments, track.day, track.segment + 1, track.index + 1);
            return Some((track.index, track.edge));
        }
        let (day, j) = segments.day_segment_at(now)?;
        let edge = next_sorted_edge(now, edges);
        *track = if day >= 1 {
            Track::new(segments, day, j)
        } else {
            Track::NONE
        };
        Some((segments.index(day, j), edge))
    }

    /// The prices in force at `abs` (see [`DistanceKernel::locate`]).
    #[inline(always)]
    fn at<'k>(
        &'k self,
        track: &mut Track,
        segments: &DaySegments,
        abs: f64,
    ) -> Option<&'k KernelPrices> {
        let i = match &self.edges {
            Some(e) => self.locate(track, segments, e, abs)?.0,
            None => segments.index_at(abs)?,
        };
        self.table.get(i)
    }

    /// The rows `0 .. d.len()` (at most [`CHUNK_ROWS`]) of a chunk in the order of the
    /// kernel's main branches: beyond the long-distance threshold, below the waiting speed,
    /// within the initial cover (approximately: the order changes no row's answer, it only
    /// gives the branch predictor runs of one outcome instead of a random mix).
    fn order_rows(&self, d: &[f64], t: &[f64], order: &mut [u16]) {
        let beyond = self.band.map_or(f64::INFINITY, |b| b.0);
        let v_wait = self.waiting.map_or(0.0, |w| w.0);
        let mut keys = [0u8; CHUNK_ROWS];
        let mut at = [0u16; 8];
        for ((k, &d), &t) in keys.iter_mut().zip(d).zip(t) {
            *k = u8::from(d > beyond)
                | u8::from(d < v_wait * t) << 1
                | u8::from(d <= self.cover_d) << 2;
            at[usize::from(*k)] += 1;
        }
        let mut next = 0;
        for a in &mut at {
            (*a, next) = (next, next + *a);
        }
        for (i, &k) in keys[..d.len()].iter().enumerate() {
            let a = &mut at[usize::from(k)];
            order[usize::from(*a)] = i as u16;
            *a += 1;
        }
    }

    /// The fare of a raw sum and the extras, in price units (`None` outside 0 …
    /// [`MAX_FAST_RAW`]).
    #[inline(always)]
    fn fare(&self, raw: i64, extras: i64) -> Option<i64> {
        if !(0..=MAX_FAST_RAW as i64).contains(&raw) {
            return None;
        }
        Some(round_units(raw, self.step, self.mode) + extras)
    }
}

/// The allowances of one expected fare, floored to minor units (`None`: not available).
#[derive(Debug, Clone, Copy)]
struct Allowance {
    under: Option<i64>,
    over: Option<i64>,
}

/// A direct-mapped cache of allowances by (rate, expected fare), local to one serial run (no
/// global state): fares repeat (whole yuan, cents), the tolerance evaluation is scalar.
struct AllowanceCache {
    keys: [(usize, i64); ALLOWANCE_SLOTS],
    values: [Allowance; ALLOWANCE_SLOTS],
}

const ALLOWANCE_SLOTS: usize = 256;

impl AllowanceCache {
    fn new() -> Self {
        Self {
            keys: [(usize::MAX, 0); ALLOWANCE_SLOTS],
            values: [Allowance {
                under: None,
                over: None,
            }; ALLOWANCE_SLOTS],
        }
    }

    fn get(&mut self, rate: usize, fare: i64, f: impl FnOnce() -> Allowance) -> Allowance {
        let h = (fare as u64 ^ (rate as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = (h >> 56) as usize % ALLOWANCE_SLOTS;
        if self.keys[slot] != (rate, fare) {
            self.keys[slot] = (rate, fare);
            self.values[slot] = f();
        }
        self.values[slot]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisor_is_integer_division() {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || crate::test_rng::step(&mut s);
        let mut ds: Vec<i64> = vec![1, 2, 3, 5, 7, 10, 25, 100, 1_000, 10_000, 65_537];
        ds.extend([(1 << 32) - 1, 1 << 32, 1 << 40, i64::MAX]);
        ds.extend((0..200).map(|_| (next() % (1 << 32)).max(1) as i64));
        for d in ds {
            let div = Divisor::new(d);
            let mut ns: Vec<i64> = vec![
                0,
                1,
                d - 1,
                d,
                d.saturating_add(1),
                u32::MAX as i64,
                1 << 32,
                i64::MAX,
            ];
            ns.extend((0..2_000).map(|_| (next() % (1 << 32)) as i64));
            ns.extend((0..200).map(|_| (next() >> 1) as i64));
            for n in ns.into_iter().filter(|n| *n >= 0) {
                assert_eq!(div.div_rem(n), (n / d, n % d), "{n} / {d}");
            }
        }
    }

    #[test]
    fn day_segments_cover_the_day() {
        let t = Tariff::builtin("beijing-2013").unwrap();
        let s = DaySegments::new(&t.windows).unwrap();
        let h = |x: u32| x * 3600;
        assert_eq!(s.bounds, [0, h(5), h(7), h(9), h(17), h(19), h(23), h(24)]);
        for sod in 0..86_400u32 {
            let j = usize::from(s.by_minute[(sod / 60) as usize]);
            assert!(s.bounds[j] <= sod && sod < s.bounds[j + 1], "{sod}");
        }
    }
}
