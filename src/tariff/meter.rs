//! The engine: a fare accrued step by step over a time series, as a taximeter does.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{next_sorted_edge, AppliesTo, Assessment, LocalDateTime, Mode, Rate, Tariff};
use crate::error::{Error, Result};
use crate::money::{ceil_any, floor_any, round_any};

/// The longest hire the engine accepts, seconds (31 days): beyond it a record is not a taxi
/// trip, and refusing it bounds the work done per trip.
pub const MAX_HIRE_S: f64 = 31.0 * 86_400.0;

/// One sample of a trip's time series: elapsed time and cumulative distance since hiring.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the hire began.
    pub t_s: f64,
    /// Metres driven since the hire began.
    pub distance_m: f64,
}

impl Sample {
    /// A sample at `t_s` seconds and `distance_m` metres.
    pub fn new(t_s: f64, distance_m: f64) -> Self {
        Self { t_s, distance_m }
    }
}

/// A trip known by its summary, as a receipt or a trip record gives it.
///
/// ```
/// use verimeter::tariff::TripSummary;
/// let trip = TripSummary::new("1", 3218.688, 600.0, "2019-03-06 10:00:00".parse()?)
///     .with_waiting(120.0)
///     .with_condition("manhattan-south-of-96th");
/// assert_eq!(trip.waiting_s, Some(120.0));
/// # Ok::<(), verimeter::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TripSummary {
    /// The rate code (e.g. `"1"`).
    pub rate_code: String,
    /// Distance, metres.
    pub distance_m: f64,
    /// Duration of the hire, seconds.
    pub duration_s: f64,
    /// Time spent below the switching speed (waiting, low speed), seconds, if known.
    pub waiting_s: Option<f64>,
    /// Local date-time at which the hire began.
    pub start: LocalDateTime,
    /// Conditions of extras the trip is known to meet (see [`Extra::condition`](super::Extra)).
    pub conditions: Vec<String>,
}

impl TripSummary {
    /// A trip of `distance_m` metres in `duration_s` seconds from `start`, at `rate_code`.
    pub fn new(rate_code: &str, distance_m: f64, duration_s: f64, start: LocalDateTime) -> Self {
        Self {
            rate_code: rate_code.to_string(),
            distance_m,
            duration_s,
            waiting_s: None,
            start,
            conditions: Vec::new(),
        }
    }

    /// Sets the time spent below the switching speed.
    pub fn with_waiting(mut self, waiting_s: f64) -> Self {
        self.waiting_s = Some(waiting_s);
        self
    }

    /// States that the trip meets an extra's condition.
    pub fn with_condition(mut self, condition: &str) -> Self {
        self.conditions.push(condition.to_string());
        self
    }

    /// The time series the summary stands for: uniform motion over `duration − waiting`, then
    /// stopped for the waiting time. (Metered as a series, a slow moving part counts as slow;
    /// [`fare_for_summary`] with a known waiting time counts it as driving.)
    pub fn to_series(&self) -> Result<TripSeries> {
        let (d, t, w) = self.checked()?;
        Ok(TripSeries {
            rate_code: self.rate_code.clone(),
            start: self.start,
            samples: vec![Sample::new(t - w, d), Sample::new(t, d)],
            conditions: self.conditions.clone(),
        })
    }

    fn checked(&self) -> Result<(f64, f64, f64)> {
        summary_inputs(self.distance_m, self.duration_s, self.waiting_s)
    }
}

/// The checks of a trip summary's numbers, in order (shared with
/// [`FareBatch`](crate::batch::fare::FareBatch)): distance, duration (at most
/// [`MAX_HIRE_S`]), waiting (at most the duration). Returns (distance, duration, waiting
/// or 0).
pub(crate) fn summary_inputs(
    distance_m: f64,
    duration_s: f64,
    waiting_s: Option<f64>,
) -> Result<(f64, f64, f64)> {
    let d = nonneg("distance_m", distance_m)?;
    let t = nonneg("duration_s", duration_s)?;
    hire_limit("duration_s", t)?;
    let w = match waiting_s {
        Some(w) => nonneg("waiting_s", w)?,
        None => 0.0,
    };
    if w > t {
        return Err(Error::OutOfScope {
            field: "waiting_s",
            value: w,
            limit: t,
            clause: "the waiting time cannot exceed the duration of the hire".into(),
        });
    }
    Ok((d, t, w))
}

/// A trip known as a time series of samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TripSeries {
    /// The rate code.
    pub rate_code: String,
    /// Local date-time at which the hire began (elapsed time 0).
    pub start: LocalDateTime,
    /// Samples in non-decreasing order of time and distance; the hire starts at (0 s, 0 m).
    pub samples: Vec<Sample>,
    /// Conditions of extras the trip is known to meet.
    pub conditions: Vec<String>,
}

impl TripSeries {
    /// A series at `rate_code` from `start`.
    pub fn new(rate_code: &str, start: LocalDateTime, samples: Vec<Sample>) -> Self {
        Self {
            rate_code: rate_code.to_string(),
            start,
            samples,
            conditions: Vec::new(),
        }
    }

    /// States that the trip meets an extra's condition.
    pub fn with_condition(mut self, condition: &str) -> Self {
        self.conditions.push(condition.to_string());
        self
    }
}

fn nonneg(field: &'static str, v: f64) -> Result<f64> {
    crate::error::finite(field, v)?;
    if v < 0.0 {
        return Err(Error::Negative { field, value: v });
    }
    Ok(v)
}

fn hire_limit(field: &'static str, t: f64) -> Result<()> {
    if t > MAX_HIRE_S {
        return Err(Error::OutOfScope {
            field,
            value: t,
            limit: MAX_HIRE_S,
            clause: "the fare engine accepts hires of at most 31 days".into(),
        });
    }
    Ok(())
}

/// What a line of a fare breakdown is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Component {
    /// The initial hire.
    FlagFall,
    /// A flat fare.
    Flat,
    /// Distance steps at the base price.
    Distance,
    /// Time steps.
    Time,
    /// Low-speed waiting steps.
    Waiting,
    /// The long-distance part of distance steps.
    LongDistance,
    /// A time-of-day percentage surcharge.
    WindowSurcharge,
    /// A fixed extra.
    Extra,
    /// The display rounding (rounded − unrounded).
    Rounding,
}

/// One line of a fare breakdown: `units × unit_price = amount`, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FareLine {
    /// What the line is.
    pub component: Component,
    /// A short description, e.g. `"distance step 500 m"`.
    pub label: String,
    /// How many units (steps) were charged.
    pub units: u64,
    /// The price of one unit.
    pub unit_price: Decimal,
    /// units × unit price.
    pub amount: Decimal,
    /// True when the amount is part of the fare the meter shows.
    pub on_meter: bool,
    /// The clause(s) of the numbers, with ⚠ where unconfirmed.
    pub source: String,
}

/// Which tariff, version and rate a fare was computed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffRef {
    /// The tariff id.
    pub id: String,
    /// The tariff's data version.
    pub version: String,
    /// The rate code.
    pub rate_code: String,
    /// The currency.
    pub currency: String,
}

/// Every component of a fare, so that an inspector can explain it.
///
/// `fare` is what the meter shows (the metered fare, rounded, plus extras the meter adds);
/// `total` adds the extras listed beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FareBreakdown {
    /// Tariff, version, rate.
    pub tariff: TariffRef,
    /// The lines, in the order they were first charged.
    pub lines: Vec<FareLine>,
    /// Initial hire.
    pub flag_fall: Decimal,
    /// Flat fare.
    pub flat: Decimal,
    /// Distance steps at the base price.
    pub distance: Decimal,
    /// Time steps.
    pub time: Decimal,
    /// Waiting steps.
    pub waiting: Decimal,
    /// Long-distance and time-of-day surcharges on steps.
    pub surcharges: Decimal,
    /// The metered fare before rounding.
    pub metered_raw: Decimal,
    /// The rounding adjustment (metered − metered_raw).
    pub rounding: Decimal,
    /// The metered fare as displayed.
    pub metered: Decimal,
    /// Extras the meter adds to the fare it shows.
    pub extras_on_meter: Decimal,
    /// The fare the meter shows: metered + extras on the meter. Fare checks use this.
    pub fare: Decimal,
    /// Extras listed beside the fare.
    pub extras: Decimal,
    /// fare + extras.
    pub total: Decimal,
    /// The display's least significant step (the rounding step).
    pub display_step: Decimal,
    /// Distance of the hire, metres.
    pub distance_m: f64,
    /// Duration of the hire, seconds.
    pub duration_s: f64,
    /// Distance counted by the distance tariff beyond what the initial hire covers, metres.
    pub chargeable_distance_m: f64,
    /// Time counted by the time tariff beyond what the initial hire covers, seconds.
    pub chargeable_time_s: f64,
    /// Time accumulated below the waiting speed, seconds.
    pub waiting_s: f64,
    /// The crossover speed v_c of the rate, m/s, where it has both tariffs.
    pub crossover_speed_m_s: Option<f64>,
}

/// The fare of a trip summary, metered by the same engine as [`fare_for_series`].
///
/// With the waiting time known, the trip is driving (above every switching speed, by
/// definition of the waiting time) then stopped for the waiting time: in S mode
/// D·p_d + W·p_t, in D mode D·p_d + T·p_t, with a waiting fare D·p_d + W·p_w. Without it, the
/// trip is taken as uniform motion over its duration (so a slow trip is all time, or all
/// waiting); [`fare_bounds`] gives the range instead.
///
/// ```
/// use rust_decimal::Decimal;
/// use verimeter::tariff::{fare_for_summary, Tariff, TripSummary};
/// let nyc = Tariff::builtin("nyc-yellow-2019")?;
/// // 2.0 mi at >= 12 mph, no waiting: 2.50 + 10 × 0.50 = 7.50 on the meter.
/// let trip = TripSummary::new("1", 2.0 * 1609.344, 600.0, "2019-03-06 10:00:00".parse()?)
///     .with_waiting(0.0);
/// let f = fare_for_summary(&nyc, &trip)?;
/// assert_eq!(f.fare, Decimal::new(750, 2));
/// assert_eq!(f.total, Decimal::new(830, 2)); // + state tax 0.50 + improvement 0.30
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn fare_for_summary(tariff: &Tariff, trip: &TripSummary) -> Result<FareBreakdown> {
    let (d, t, w) = trip.checked()?;
    let samples = [Sample::new(t - w, d), Sample::new(t, d)];
    meter(
        tariff,
        &trip.rate_code,
        trip.start,
        &samples,
        &trip.conditions,
        false,
        if trip.waiting_s.is_some() {
            Scenario::MovingIsFast
        } else {
            Scenario::Series
        },
    )
}

/// The fare of a trip given as a time series: each interval between samples is taken at
/// constant speed and split where a window opens or closes or a long-distance threshold is
/// passed; each piece adds to the distance, time and waiting counters (S mode: distance at or
/// above the crossover speed, time below it; D mode: both), and a step is charged when the
/// counter enters it (pre-assessed) or completes it (post-assessed), at the prices in force
/// at that moment.
///
/// ```
/// use rust_decimal::Decimal;
/// use verimeter::tariff::{fare_for_series, Sample, Tariff, TripSeries};
/// let nyc = Tariff::builtin("nyc-yellow-2019")?;
/// let mile = 1609.344;
/// // 1 mile at 30 mph (2 min), then 3 min stopped: 5 distance units + 3 time units.
/// let s = TripSeries::new("1", "2019-03-06 10:00:00".parse()?,
///     vec![Sample::new(120.0, mile), Sample::new(300.0, mile)]);
/// let f = fare_for_series(&nyc, &s)?;
/// assert_eq!((f.distance, f.time, f.fare), (Decimal::new(250, 2), Decimal::new(150, 2), Decimal::new(650, 2)));
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn fare_for_series(tariff: &Tariff, trip: &TripSeries) -> Result<FareBreakdown> {
    meter(
        tariff,
        &trip.rate_code,
        trip.start,
        &trip.samples,
        &trip.conditions,
        false,
        Scenario::Series,
    )
}

/// The lowest and highest fares a trip summary allows, and the nominal fare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FareBounds {
    /// The lowest fare: no time charged beyond what the distance and duration imply, no
    /// extra whose condition is not stated.
    pub minimum: FareBreakdown,
    /// The highest fare: the whole duration charged as time (or waiting) besides the whole
    /// distance, and every conditional extra.
    pub maximum: FareBreakdown,
    /// The nominal fare ([`fare_for_summary`]).
    pub nominal: FareBreakdown,
}

/// Bounds on the fare of a trip known only by its summary.
///
/// - **Minimum**: the flag fall and the distance fare alone, in completed steps — no time
///   and no waiting charged (time only where the rate has no distance tariff), no extra whose
///   condition is not stated. Completed steps, even where the rate pre-assesses: a record's
///   distance is rounded and may exceed the meter's by the step in progress. A strict S meter charges at least max(D·p_d, T·p_t), but a trip record's
///   duration (pickup to drop-off) is not the meter's chargeable time: in the NYC March 2019
///   sample about 10 % of rate-1 yellow fares lie one or more units below T·p_t, so that
///   tighter floor would flag honest trips.
/// - **Maximum**: the whole duration charged as time (or waiting) besides the whole distance
///   (the distance covered in no time), every conditional extra: D·p_d + T·p_t in S mode.
///
/// Each is metered by the engine with the driving at the start and at the end of the hire
/// (windows make the order matter), keeping the lowest and the highest. With the waiting time
/// known, only that order varies. Exact for tariffs whose prices do not depend on the time of
/// day; otherwise the extremes over these scenarios.
///
/// ```
/// use verimeter::tariff::{fare_bounds, Tariff, TripSummary};
/// let nyc = Tariff::builtin("nyc-yellow-2019")?;
/// // 1.6 mi in 6 min 15 s: min 2.50 + ⌊8⌋ × 0.50 = 6.50; max 2.50 + ⌈8 + 6.25⌉ × 0.50 = 10.00.
/// let b = fare_bounds(&nyc, &TripSummary::new("1", 1.6 * 1609.344, 375.0, "2019-03-23 20:21:09".parse()?))?;
/// assert_eq!((b.minimum.fare.to_string(), b.maximum.fare.to_string()), ("6.50".into(), "10.00".into()));
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn fare_bounds(tariff: &Tariff, trip: &TripSummary) -> Result<FareBounds> {
    let (d, t, w) = trip.checked()?;
    let known = if trip.waiting_s.is_some() {
        Scenario::MovingIsFast
    } else {
        Scenario::Series
    };
    let run = |samples: &[Sample], all: bool, scenario: Scenario| {
        meter(
            tariff,
            &trip.rate_code,
            trip.start,
            samples,
            &trip.conditions,
            all,
            scenario,
        )
    };
    let nominal = run(&[Sample::new(t - w, d), Sample::new(t, d)], false, known)?;
    let mut lows = vec![nominal.clone()];
    let mut highs = vec![run(
        &[Sample::new(t - w, d), Sample::new(t, d)],
        true,
        known,
    )?];
    if trip.waiting_s.is_some() {
        let reversed = [Sample::new(w, 0.0), Sample::new(t, d)];
        lows.push(run(&reversed, false, known)?);
        highs.push(run(&reversed, true, known)?);
    } else {
        // Lowest: the distance alone, driven at the start or at the end of the hire.
        for order in [
            [Sample::new(0.0, d), Sample::new(t, d)],
            [Sample::new(t, 0.0), Sample::new(t, d)],
        ] {
            lows.push(run(&order, false, Scenario::DistanceOnly)?);
            // Highest: stopped the whole time, the distance covered in no time.
            highs.push(run(&order, true, Scenario::Series)?);
        }
    }
    let minimum = lows
        .into_iter()
        .min_by(|a, b| a.fare.cmp(&b.fare))
        .unwrap_or_else(|| nominal.clone());
    let maximum = highs
        .into_iter()
        .max_by(|a, b| a.fare.cmp(&b.fare))
        .unwrap_or_else(|| nominal.clone());
    Ok(FareBounds {
        minimum,
        maximum,
        nominal,
    })
}

/// Converts a money amount to `f64` for speed comparisons only (never for money).
pub(crate) fn to_f64(x: Decimal) -> f64 {
    x.to_f64().unwrap_or(f64::NAN)
}

/// The step count at which a counter stands: whole steps begun (pre-assessed) or completed
/// (post-assessed). Counter noise below 1e-6 of a step is removed first, so that exactly
/// 10 steps of 1/5 mile in 2 miles stay 10.
///
/// Fast form, the same value: with m = round(u·10⁶) an integer in [0, 2⁵⁰), m = q·10⁶ + r,
/// the quotient m / 10⁶ (< 1.2e9) is rounded by less than 1.2e9 · 2⁻⁵³ < 1.4e-7, while a
/// non-zero remainder keeps it at least 10⁻⁶ from an integer: floor(fl(m / 10⁶)) = q and
/// ceil = q + [r ≠ 0]; r = 0 gives q exactly. Other m (negative, huge, NaN) take the `f64`
/// form. (`round`/`ceil`/`floor` without libm calls: exact replacements, see `money`.)
/// `m as i64 as u64` is `m as u64` for an integer m in [0, 2⁵⁰), in one conversion
/// instruction instead of the unsigned conversion's two.
#[inline(always)]
pub(crate) fn steps(u: f64, a: Assessment) -> u64 {
    const TWO_50: f64 = 1_125_899_906_842_624.0;
    let m = round_any(u * 1e6);
    if (0.0..TWO_50).contains(&m) {
        return whole_steps(m as i64 as u64, a);
    }
    steps_f64(u, a)
}

/// The steps charged for `m` millionths of a step (`m` < 2⁵⁰, so exact in `f64`): the
/// whole steps, and with [`Assessment::Pre`] one more for the step in progress.
#[inline(always)]
fn whole_steps(m: u64, a: Assessment) -> u64 {
    let (q, r) = (m / 1_000_000, m % 1_000_000);
    match a {
        Assessment::Pre => q + u64::from(r != 0),
        Assessment::Post => q,
    }
}

/// [`steps`] in fewer operations, the same value for every `u`: for 0 ≤ x = u·10⁶ < 2⁵⁰
/// (x is not NaN, and |x| = x up to the sign of zero), `round_any(x)` is `round_nonneg(x)`
/// — `(x + 2⁵²) − 2⁵²`, a tie rounded down moved up — with the sign of x, and a −0 gives
/// the same 0 steps as +0; a rounded value of 2⁵⁰ and every other x take [`steps`] itself.
/// Used by `Steps::accrue` (the scalar engine and the batch's closed form) and the batch's
/// distance-only kernel.
#[inline(always)]
pub(crate) fn steps_fast(u: f64, a: Assessment) -> u64 {
    const TWO_50: f64 = 1_125_899_906_842_624.0;
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let x = u * 1e6;
    if (0.0..TWO_50).contains(&x) {
        let t = (x + TWO_52) - TWO_52;
        let m = if t - x == -0.5 { t + 1.0 } else { t };
        if m < TWO_50 {
            return whole_steps(m as i64 as u64, a);
        }
    }
    steps(u, a)
}

/// The `f64` form of [`steps`] (the definition).
fn steps_f64(u: f64, a: Assessment) -> u64 {
    let s = round_any(u * 1e6) / 1e6;
    let n = match a {
        Assessment::Pre => ceil_any(s),
        Assessment::Post => floor_any(s),
    };
    n.max(0.0) as u64
}

/// How the engine reads the intervals of a trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// As a meter does: speed = distance / time of each interval.
    Series,
    /// A summary with a known waiting time: every interval with distance is above every
    /// switching speed by definition, every interval without is waiting.
    MovingIsFast,
    /// The lower bound: distance charged, no time or waiting charged (time only where the rate
    /// has no distance tariff).
    DistanceOnly,
}

/// The constants of step counting for one rate of a tariff, resolved once: shared by the
/// scalar engine (once per trip) and [`FareBatch`](crate::batch::fare::FareBatch) (once per
/// batch), so that both count steps with the same operations on the same values.
#[derive(Debug, Clone)]
pub(crate) struct StepPlan<'a> {
    pub(crate) rate: &'a Rate,
    /// Prices depend on the time of day: pieces are split at window edges.
    timed: bool,
    /// S mode: the crossover speed v_c (MID MI-007), m/s.
    v_switch: Option<f64>,
    /// The waiting speed, m/s.
    v_wait: Option<f64>,
    combined: bool,
    /// The distance step, m (1 without one).
    len: f64,
    /// The time step, s (1 without one).
    dur: f64,
    /// What the initial hire covers (m, s).
    cover: (f64, f64),
    /// Every window edge of the tariff (seconds of the day, sorted, once each); `None`
    /// without windows.
    edges: Option<Vec<u32>>,
}

impl<'a> StepPlan<'a> {
    pub(crate) fn new(tariff: &'a Tariff, rate: &'a Rate) -> Self {
        Self {
            rate,
            timed: !rate.window_surcharges.is_empty()
                || rate
                    .waiting
                    .as_ref()
                    .is_some_and(|w| !w.by_window.is_empty()),
            v_switch: match rate.mode.value {
                Mode::S => rate.crossover_speed_m_s(),
                Mode::D => None,
            },
            v_wait: rate.waiting.as_ref().map(|w| w.below_speed_kmh.value / 3.6),
            combined: rate.is_combined(),
            len: rate
                .distance_step
                .as_ref()
                .map_or(1.0, |s| s.length_m.value),
            dur: rate.time_step.as_ref().map_or(1.0, |s| s.duration_s.value),
            cover: rate.initial_cover(),
            edges: (!tariff.windows.is_empty()).then(|| {
                let mut e: Vec<u32> = tariff
                    .windows
                    .iter()
                    .flat_map(|w| {
                        w.spans
                            .iter()
                            .flat_map(|s| [s.from.seconds(), s.to.seconds()])
                    })
                    .collect();
                e.sort_unstable();
                e.dedup();
                e
            }),
        }
    }
}

impl StepPlan<'_> {
    /// True when prices depend on the time of day: [`Steps::advance`] then splits pieces at
    /// window edges.
    pub(crate) fn is_timed(&self) -> bool {
        self.timed
    }

    /// The same plan without the edge search of [`Steps::advance`]. For a hire that no
    /// window edge falls inside, the search finds no edge before the end of any piece
    /// (`edge < now + rem_t` is false), so it leaves every piece whole and changes no
    /// counter: this plan then does the same `f64` operations on the same values, minus the
    /// search. [`FareBatch`](crate::batch::fare::FareBatch) uses it only for such hires.
    pub(crate) fn without_window_edges(&self) -> Self {
        Self {
            timed: false,
            edges: None,
            ..self.clone()
        }
    }

    /// The constants [`Steps::advance`] and [`Steps::accrue`] read for a rate that counts
    /// distance only (no time step, so no crossover speed: every piece counts distance), as
    /// the batch's distance-only kernel uses them — the very same `f64` values: the distance
    /// the initial hire covers (m), the distance step (m), the waiting speed (m/s) and the
    /// window edges. `None` for any other rate shape (a time step, combined units, a flat
    /// fare, no distance step).
    pub(crate) fn distance_only(&self) -> Option<DistanceOnlyPlan> {
        let r = self.rate;
        if r.flat.is_some()
            || r.distance_step.is_none()
            || r.time_step.is_some()
            || self.combined
            || self.v_switch.is_some()
        {
            return None;
        }
        Some(DistanceOnlyPlan {
            cover_d: self.cover.0,
            len: self.len,
            v_wait: self.v_wait,
            edges: if self.timed { self.edges.clone() } else { None },
        })
    }
}

/// See [`StepPlan::distance_only`].
#[derive(Debug, Clone)]
pub(crate) struct DistanceOnlyPlan {
    pub(crate) cover_d: f64,
    pub(crate) len: f64,
    pub(crate) v_wait: Option<f64>,
    /// The edges searched by `advance` (`None`: the rate's prices do not depend on the time
    /// of day, no search).
    pub(crate) edges: Option<Vec<u32>>,
}

/// Where charged steps go: the scalar engine's [`FareLine`]s, or the batch's integer sums.
/// Each call carries the state at the start of the piece that charges the steps (`t` s and
/// `d` m since the hire began), which selects the prices in force; `n` is never 0.
pub(crate) trait StepSink {
    /// `n` distance steps.
    fn distance(&mut self, n: u64, t: f64, d: f64) -> Result<()>;
    /// `n` time steps.
    fn time(&mut self, n: u64, t: f64) -> Result<()>;
    /// `n` low-speed waiting steps.
    fn waiting(&mut self, n: u64, t: f64) -> Result<()>;
}

/// The meter's counters: the one step-counting code of the crate. The scalar engine
/// ([`fare_for_series`], [`fare_for_summary`], [`fare_bounds`]) and
/// [`FareBatch`](crate::batch::fare::FareBatch) both run [`Steps::run`], so their step
/// counts are the same operations on the same `f64` values, bit for bit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Steps {
    pub(crate) t: f64,
    pub(crate) d: f64,
    cover_d: f64,
    cover_t: f64,
    u_d: f64,
    u_t: f64,
    u_w: f64,
    n_d: u64,
    n_t: u64,
    n_w: u64,
    pub(crate) chg_d: f64,
    pub(crate) chg_t: f64,
    pub(crate) wait_s: f64,
}

impl Steps {
    /// Counters at the start of a hire, the initial cover not yet used.
    pub(crate) fn new(plan: &StepPlan<'_>) -> Self {
        let (cover_d, cover_t) = plan.cover;
        Self {
            t: 0.0,
            d: 0.0,
            cover_d,
            cover_t,
            u_d: 0.0,
            u_t: 0.0,
            u_w: 0.0,
            n_d: 0,
            n_t: 0,
            n_w: 0,
            chg_d: 0.0,
            chg_t: 0.0,
            wait_s: 0.0,
        }
    }

    /// Meters the samples of a hire that began at `start_abs` (wall-clock seconds since
    /// 1970-01-01), checking each sample; a flat rate meters nothing.
    pub(crate) fn run<S: StepSink>(
        &mut self,
        plan: &StepPlan<'_>,
        scenario: Scenario,
        start_abs: f64,
        samples: &[Sample],
        sink: &mut S,
    ) -> Result<()> {
        let (mut pt, mut pd) = (0.0, 0.0);
        for s in samples {
            let t = nonneg("samples.t_s", s.t_s)?;
            let d = nonneg("samples.distance_m", s.distance_m)?;
            hire_limit("samples.t_s", t)?;
            if t < pt {
                return Err(Error::Negative {
                    field: "samples: time since the previous sample",
                    value: t - pt,
                });
            }
            if d < pd {
                return Err(Error::Negative {
                    field: "samples: distance since the previous sample",
                    value: d - pd,
                });
            }
            if plan.rate.flat.is_none() {
                self.advance(plan, scenario, start_abs, t - pt, d - pd, sink)?;
            }
            // Pieces add up to the sample up to rounding: restart from the sample itself.
            (self.t, self.d) = (t, d);
            (pt, pd) = (t, d);
        }
        Ok(())
    }

    /// [`Steps::run`] on the samples of a summary checked by [`summary_inputs`] —
    /// `[(t − w, d), (t, d)]`, what [`fare_for_summary`] meters — without re-checking them:
    /// each passes every check of `run` (d is finite and ≥ 0; 0 ≤ t − w ≤ t ≤ MAX_HIRE_S as
    /// 0 ≤ w ≤ t), so only the advances remain, with the same operands as in `run`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn run_summary<S: StepSink>(
        &mut self,
        plan: &StepPlan<'_>,
        scenario: Scenario,
        start_abs: f64,
        d: f64,
        t: f64,
        w: f64,
        sink: &mut S,
    ) -> Result<()> {
        let t1 = t - w;
        if plan.rate.flat.is_none() {
            self.advance(plan, scenario, start_abs, t1 - 0.0, d - 0.0, sink)?;
        }
        (self.t, self.d) = (t1, d);
        if plan.rate.flat.is_none() {
            // `d - d` in `run`: +0 for every finite d (IEEE 754, round to nearest).
            self.advance(plan, scenario, start_abs, t - t1, 0.0, sink)?;
        }
        (self.t, self.d) = (t, d);
        Ok(())
    }

    /// Advances the meter by `dt` seconds and `dd` metres at constant speed.
    #[inline(always)]
    fn advance<S: StepSink>(
        &mut self,
        plan: &StepPlan<'_>,
        scenario: Scenario,
        start_abs: f64,
        dt: f64,
        dd: f64,
        sink: &mut S,
    ) -> Result<()> {
        if dt <= 0.0 && dd <= 0.0 {
            return Ok(());
        }
        let v = if dt > 0.0 && !(scenario == Scenario::MovingIsFast && dd > 0.0) {
            dd / dt
        } else {
            f64::INFINITY
        };
        let (mut rem_t, mut rem_d) = (dt, dd);
        // Window edges are hours apart and thresholds few: this bound is never reached by a
        // hire within MAX_HIRE_S; it only guarantees termination.
        for _ in 0..100_000 {
            let mut f: f64 = 1.0;
            if plan.timed && rem_t > 0.0 {
                let now = start_abs + self.t;
                // The earliest next edge of all windows: each window's `next_edge` is the
                // smallest of the same candidates (day start + edge, next midnight), so the
                // union's is their minimum, bit for bit.
                let edge = plan
                    .edges
                    .as_ref()
                    .map_or(f64::INFINITY, |e| next_sorted_edge(now, e));
                if edge < now + rem_t {
                    f = f.min((edge - now) / rem_t);
                }
            }
            if rem_d > 0.0 {
                for l in &plan.rate.long_distance {
                    if l.beyond_m > self.d && l.beyond_m < self.d + rem_d {
                        f = f.min((l.beyond_m - self.d) / rem_d);
                    }
                }
            }
            let (pt, pd) = if f >= 1.0 {
                (rem_t, rem_d)
            } else {
                (rem_t * f, rem_d * f)
            };
            self.accrue(plan, scenario, pt, pd, v, sink)?;
            self.t += pt;
            self.d += pd;
            rem_t -= pt;
            rem_d -= pd;
            if f >= 1.0 || (rem_t <= 0.0 && rem_d <= 0.0) {
                return Ok(());
            }
        }
        self.accrue(plan, scenario, rem_t.max(0.0), rem_d.max(0.0), v, sink)
    }

    /// Adds one piece of constant speed and constant prices to the counters and charges the
    /// steps it completes (or begins).
    #[inline(always)]
    fn accrue<S: StepSink>(
        &mut self,
        plan: &StepPlan<'_>,
        scenario: Scenario,
        pt: f64,
        pd: f64,
        v: f64,
        sink: &mut S,
    ) -> Result<()> {
        let r = plan.rate;
        // The lower bound counts completed steps only: a record's distance is rounded (0.01 mi
        // in NYC records) and may exceed the meter's by the step in progress.
        let a = if scenario == Scenario::DistanceOnly {
            Assessment::Post
        } else {
            r.assessment.value
        };
        let has_d = r.distance_step.is_some();
        let has_t = r.time_step.is_some();
        let fast = plan.v_switch.map_or(true, |vs| v >= vs);
        let (count_d, count_t) = match (scenario, r.mode.value) {
            (Scenario::DistanceOnly, _) => (has_d, !has_d),
            (_, Mode::S) if has_d && has_t => (fast, !fast),
            _ => (has_d, has_t),
        };
        let (t0, d0) = (self.t, self.d);
        let mut cd = if count_d { pd } else { 0.0 };
        let take = cd.min(self.cover_d);
        self.cover_d -= take;
        cd -= take;
        let mut ct = if count_t { pt } else { 0.0 };
        let take = ct.min(self.cover_t);
        self.cover_t -= take;
        ct -= take;
        self.chg_d += cd;
        self.chg_t += ct;
        let (len, dur) = (plan.len, plan.dur);
        if plan.combined {
            self.u_d += cd / len + ct / dur;
            let n = steps_fast(self.u_d, a);
            let new = n.saturating_sub(self.n_d);
            self.n_d = self.n_d.max(n);
            if new > 0 {
                if count_d {
                    sink.distance(new, t0, d0)?;
                } else {
                    sink.time(new, t0)?;
                }
            }
        } else {
            if cd > 0.0 {
                self.u_d += cd / len;
                let n = steps_fast(self.u_d, a);
                let new = n.saturating_sub(self.n_d);
                self.n_d = self.n_d.max(n);
                if new > 0 {
                    sink.distance(new, t0, d0)?;
                }
            }
            if ct > 0.0 {
                self.u_t += ct / dur;
                let n = steps_fast(self.u_t, a);
                let new = n.saturating_sub(self.n_t);
                self.n_t = self.n_t.max(n);
                if new > 0 {
                    sink.time(new, t0)?;
                }
            }
        }
        if let (Some(w), Some(vw)) = (&r.waiting, plan.v_wait) {
            if v < vw && pt > 0.0 && scenario != Scenario::DistanceOnly {
                self.wait_s += pt;
                self.u_w += pt / w.step_s.value;
                let n = steps_fast(self.u_w, a);
                let new = n.saturating_sub(self.n_w);
                self.n_w = self.n_w.max(n);
                if new > 0 {
                    sink.waiting(new, t0)?;
                }
            }
        }
        Ok(())
    }
}

/// The scalar engine's sink: fare lines in exact decimals, with their labels and sources.
struct Meter<'a> {
    tariff: &'a Tariff,
    rate: &'a Rate,
    start_abs: f64,
    lines: Vec<FareLine>,
}

fn meter(
    tariff: &Tariff,
    rate_code: &str,
    start: LocalDateTime,
    samples: &[Sample],
    conditions: &[String],
    all_conditions: bool,
    scenario: Scenario,
) -> Result<FareBreakdown> {
    let rate = tariff.rate(rate_code)?;
    let start_abs = start.to_seconds() as f64;
    let plan = StepPlan::new(tariff, rate);
    let mut steps = Steps::new(&plan);
    let mut m = Meter {
        tariff,
        rate,
        start_abs,
        lines: Vec::with_capacity(8),
    };
    // The initial hire, or the flat fare, at the price in force when the hire begins.
    if let Some(flat) = &rate.flat {
        m.add(
            Component::Flat,
            "flat fare",
            1,
            flat.value,
            true,
            &flat.source,
        );
    } else if let Some(init) = &rate.initial {
        let special = init.by_window.iter().find(|w| m.in_window(&w.window, 0.0));
        match special {
            Some(w) => m.add(
                Component::FlagFall,
                &format!("initial hire ({})", w.window),
                1,
                w.price,
                true,
                &w.source,
            ),
            None => m.add(
                Component::FlagFall,
                "initial hire",
                1,
                init.price.value,
                true,
                &init.price.source,
            ),
        }
    }
    steps.run(&plan, scenario, start_abs, samples, &mut m)?;
    // Extras, by the window in force when the hire begins and the stated conditions.
    for e in &rate.extras {
        let by_window = e.window.as_ref().map_or(true, |w| m.in_window(w, 0.0));
        let by_condition = all_conditions
            || e.condition
                .as_ref()
                .map_or(true, |c| conditions.iter().any(|x| x == c));
        if by_window && by_condition {
            m.add(
                Component::Extra,
                &e.name,
                1,
                e.amount,
                e.on_meter,
                &e.source,
            );
        }
    }
    m.finish(&steps)
}

impl StepSink for Meter<'_> {
    fn distance(&mut self, n: u64, t: f64, d: f64) -> Result<()> {
        self.charge_distance(n, t, d)
    }

    fn time(&mut self, n: u64, t: f64) -> Result<()> {
        self.charge_time(n, t)
    }

    fn waiting(&mut self, n: u64, t: f64) -> Result<()> {
        self.charge_waiting(n, t)
    }
}

impl Meter<'_> {
    fn in_window(&self, name: &str, t: f64) -> bool {
        self.tariff
            .window_index(name)
            .is_some_and(|i| self.tariff.windows[i].contains(self.start_abs + t))
    }

    fn add(
        &mut self,
        component: Component,
        label: &str,
        units: u64,
        unit_price: Decimal,
        on_meter: bool,
        source: &str,
    ) {
        if units == 0 {
            return;
        }
        if let Some(l) = self
            .lines
            .iter_mut()
            .find(|l| l.component == component && l.unit_price == unit_price && l.label == label)
        {
            l.units = l.units.saturating_add(units);
            return;
        }
        self.lines.push(FareLine {
            component,
            label: label.to_string(),
            units,
            unit_price,
            amount: Decimal::ZERO,
            on_meter,
            source: source.to_string(),
        });
    }

    fn window_surcharges(&mut self, n: u64, base: Decimal, on: AppliesTo, t: f64) -> Result<()> {
        let rate = self.rate;
        for s in &rate.window_surcharges {
            if s.applies_to.contains(&on) && self.in_window(&s.window, t) {
                let p = percent_of(base, s.percent)?;
                self.add(
                    Component::WindowSurcharge,
                    &format!("{} +{} %", s.window, s.percent),
                    n,
                    p,
                    true,
                    &s.source,
                );
            }
        }
        Ok(())
    }

    fn charge_distance(&mut self, n: u64, t: f64, d: f64) -> Result<()> {
        let rate = self.rate;
        let Some(step) = &rate.distance_step else {
            return Ok(());
        };
        if n == 0 {
            return Ok(());
        }
        let base = step.price.value;
        self.add(
            Component::Distance,
            "distance step",
            n,
            base,
            true,
            &step.price.source,
        );
        if let Some(l) = rate.long_distance_band(d).map(|k| &rate.long_distance[k]) {
            let label = format!("long distance beyond {} m", l.beyond_m);
            if let Some(sp) = l.step_price {
                self.add(
                    Component::LongDistance,
                    &label,
                    n,
                    sp - base,
                    true,
                    &l.source,
                );
            }
            if let Some(pct) = l.percent {
                let p = percent_of(base, pct)?;
                self.add(Component::LongDistance, &label, n, p, true, &l.source);
            }
        }
        self.window_surcharges(n, base, AppliesTo::Distance, t)
    }

    fn charge_time(&mut self, n: u64, t: f64) -> Result<()> {
        let rate = self.rate;
        let Some(step) = &rate.time_step else {
            return Ok(());
        };
        if n == 0 {
            return Ok(());
        }
        let base = step.price.value;
        self.add(
            Component::Time,
            "time step",
            n,
            base,
            true,
            &step.price.source,
        );
        self.window_surcharges(n, base, AppliesTo::Time, t)
    }

    fn charge_waiting(&mut self, n: u64, t: f64) -> Result<()> {
        let rate = self.rate;
        let Some(w) = &rate.waiting else {
            return Ok(());
        };
        if n == 0 {
            return Ok(());
        }
        let special = w.by_window.iter().find(|b| self.in_window(&b.window, t));
        let (eq, source) = match special {
            Some(b) => (b.distance_equivalent_m, b.source.as_str()),
            None => (
                w.distance_equivalent_m.value,
                w.distance_equivalent_m.source.as_str(),
            ),
        };
        let Some(base) = rate.waiting_price(eq)? else {
            return Ok(());
        };
        let label = format!("waiting {} s = {} m", w.step_s.value, eq);
        let src = format!("{}; {}", w.step_s.source, source);
        self.add(Component::Waiting, &label, n, base, true, &src);
        self.window_surcharges(n, base, AppliesTo::Waiting, t)
    }

    fn finish(mut self, steps: &Steps) -> Result<FareBreakdown> {
        let r = self.rate;
        let mut sums = [Decimal::ZERO; 9];
        let (mut on, mut off) = (Decimal::ZERO, Decimal::ZERO);
        for l in &mut self.lines {
            l.amount = Decimal::from(l.units)
                .checked_mul(l.unit_price)
                .ok_or_else(|| overflow("fare line", l.units as f64))?;
            let i = match l.component {
                Component::FlagFall => 0,
                Component::Flat => 1,
                Component::Distance => 2,
                Component::Time => 3,
                Component::Waiting => 4,
                Component::LongDistance | Component::WindowSurcharge => 5,
                _ => 6,
            };
            if i == 6 {
                if l.on_meter {
                    on = add(on, l.amount)?;
                } else {
                    off = add(off, l.amount)?;
                }
            } else {
                sums[i] = add(sums[i], l.amount)?;
            }
        }
        let raw = sums[..6]
            .iter()
            .try_fold(Decimal::ZERO, |a, b| add(a, *b))?;
        let mut metered = r.rounding.value.apply(raw)?;
        // Shown with the display's digits: 6.50, not 6.5.
        metered.rescale(r.rounding.value.step.scale().max(metered.scale()));
        let rounding = metered - raw;
        if !rounding.is_zero() {
            self.lines.push(FareLine {
                component: Component::Rounding,
                label: format!(
                    "display rounding to {} ({:?})",
                    r.rounding.value.step, r.rounding.value.mode
                ),
                units: 1,
                unit_price: rounding,
                amount: rounding,
                on_meter: true,
                source: r.rounding.source.clone(),
            });
        }
        let fare = add(metered, on)?;
        let total = add(fare, off)?;
        Ok(FareBreakdown {
            tariff: TariffRef {
                id: self.tariff.id.clone(),
                version: self.tariff.version.clone(),
                rate_code: r.code.clone(),
                currency: self.tariff.currency.clone(),
            },
            lines: self.lines,
            flag_fall: sums[0],
            flat: sums[1],
            distance: sums[2],
            time: sums[3],
            waiting: sums[4],
            surcharges: sums[5],
            metered_raw: raw,
            rounding,
            metered,
            extras_on_meter: on,
            fare,
            extras: off,
            total,
            display_step: r.rounding.value.step,
            distance_m: steps.d,
            duration_s: steps.t,
            chargeable_distance_m: steps.chg_d,
            chargeable_time_s: steps.chg_t,
            waiting_s: steps.wait_s,
            crossover_speed_m_s: r.crossover_speed_m_s(),
        })
    }
}

pub(crate) fn percent_of(base: Decimal, pct: Decimal) -> Result<Decimal> {
    base.checked_mul(pct)
        .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
        .map(|x| x.normalize())
        .ok_or_else(|| overflow("percentage surcharge", 0.0))
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| overflow("fare sum", 0.0))
}

fn overflow(field: &'static str, v: f64) -> Error {
    Error::Money {
        field,
        value: v.to_string(),
        reason: "arithmetic overflow".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn fast_step_counting_is_the_f64_definition() {
        let mut us = vec![
            0.0,
            -0.0,
            1e-7,
            4e-7,
            5e-7,
            6e-7,
            0.9999995,
            0.9999994,
            1.0,
            2.0000005,
            1e9,
            1.1e9,
            1_125_899_906.842_624,
            1_125_899_906.842_625,
            1e15,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e300,
        ];
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            crate::test_rng::step(&mut s);
            let x = (s >> 11) as f64 / (1u64 << 53) as f64;
            let k = (s % 2_000) as f64;
            us.push(x * 1e4);
            us.push(k + (x - 0.5) * 3e-6); // near whole steps
            us.push(k + 0.5 + (x - 0.5) * 3e-6); // near half steps
            us.push(x * 1.2e9);
        }
        us.extend([
            -1e-7,
            -4e-7,
            -6e-7,
            f64::NEG_INFINITY,
            // Just below 2⁵⁰ / 10⁶ (the fast form's limit).
            f64::from_bits(1_125_899_906.842_624f64.to_bits() - 1),
            f64::from_bits(1_125_899_906.842_624f64.to_bits() - 3),
            4.999_999_999_999_999e-7,
            2.5e-6,
            3.5e-6,
        ]);
        for u in us {
            for a in [Assessment::Pre, Assessment::Post] {
                assert_eq!(steps(u, a), steps_f64(u, a), "{u:e} {a:?}");
                assert_eq!(steps_fast(u, a), steps(u, a), "{u:e} {a:?}");
                assert_eq!(steps_fast(-u, a), steps(-u, a), "{u:e} {a:?}");
            }
        }
    }

    #[test]
    fn step_counting_removes_float_noise() {
        assert_eq!(steps(10.000_000_000_000_002, Assessment::Pre), 10);
        assert_eq!(steps(9.999_999_999_9, Assessment::Post), 10);
        assert_eq!(steps(0.3, Assessment::Pre), 1);
        assert_eq!(steps(0.3, Assessment::Post), 0);
        assert_eq!(steps(0.0, Assessment::Pre), 0);
    }

    #[test]
    fn an_interval_is_split_where_the_night_begins() {
        // Beijing, 10 km at 60 km/h from 22:55: 5 km by day, 5 km by night (from 23:00).
        // 13 + 14 × 1.15 + night 10 × 0.23 = 31.40 → 31 + fuel 1 = 32.
        let t = Tariff::builtin("beijing-2013").unwrap();
        let s = TripSeries::new(
            "1",
            "2019-03-06 22:55:00".parse().unwrap(),
            vec![Sample::new(600.0, 10_000.0)],
        );
        let f = fare_for_series(&t, &s).unwrap();
        assert_eq!(f.flag_fall, d("13"));
        assert_eq!(f.distance, d("16.10"));
        assert_eq!(f.surcharges, d("2.30"));
        assert_eq!(f.fare, d("32"));
        let night = f
            .lines
            .iter()
            .find(|l| l.component == Component::WindowSurcharge)
            .unwrap();
        assert_eq!((night.units, night.unit_price), (10, d("0.23")));
    }

    #[test]
    fn waiting_steps_are_charged_when_completed() {
        let t = Tariff::builtin("shanghai-2015").unwrap();
        let at = |w: f64| {
            let s = TripSeries::new(
                "1",
                "2019-03-06 10:00:00".parse().unwrap(),
                vec![Sample::new(w, 0.0)],
            );
            fare_for_series(&t, &s).unwrap()
        };
        assert_eq!(at(239.0).waiting, d("0"));
        assert_eq!(at(240.0).waiting, d("2.50"));
        assert_eq!(at(240.0).waiting_s, 240.0);
    }

    #[test]
    fn flat_rate_ignores_the_meter() {
        let t = Tariff::builtin("nyc-yellow-2019").unwrap();
        let s = TripSeries::new(
            "2",
            "2019-03-09 17:00:00".parse().unwrap(), // Saturday: no weekday peak surcharge
            vec![Sample::new(3000.0, 30_000.0)],
        );
        let f = fare_for_series(&t, &s).unwrap();
        assert_eq!((f.flat, f.fare, f.extras), (d("52"), d("52.00"), d("0.80")));
    }
}
