//! Fare engine: tariffs as data, fares computed as a taximeter accrues them, fare checks.
//!
//! A [`Tariff`] is a serde value read from JSON ([`Tariff::from_json`]) with an id, a version,
//! a currency and one or more [`Rate`]s selected by rate code (NYC 1, 2, 3 …). A metered rate
//! has an initial hire (flag fall, optionally covering a distance and/or a time), a distance
//! step and a time step with their prices, an application mode — **S** (single: time tariff
//! below the crossover speed v_c = time tariff / distance tariff, distance tariff above) or
//! **D** (double: both over the whole trip) — long-distance surcharges, time-of-day
//! surcharges, a low-speed waiting fare, fixed extras and the display rounding. A flat rate
//! (NYC rate code 2, JFK ↔ Manhattan) has one price. Every number carries the clause it comes
//! from; numbers the reference could not confirm carry ⚠ in their `source`, and the ⚠ is
//! repeated on every [`FareLine`] computed from them.
//!
//! Fares are computed by one engine ([`fare_for_series`]) that accrues the fare over a time
//! series of (elapsed s, cumulative m) samples, step by step as a meter does; a trip summary
//! ([`fare_for_summary`]) is turned into such a series (uniform motion, then the waiting time
//! stopped), so both paths share one formula. The result is a [`FareBreakdown`] that shows
//! every component. [`fare_bounds`] gives the minimum and maximum fares a trip summary allows
//! when the time spent slow is unknown; [`check_fare`] and [`check_bounds`] judge an indicated
//! fare under a fare [`Tolerance`](crate::tolerance::Tolerance).
//!
//! Money is exact ([`Decimal`]); distances and times are `f64` metres and seconds, turned into
//! whole steps at one named point (step counting) and never into money directly.
//!
//! ```
//! use rust_decimal::Decimal;
//! use verimeter::tariff::{fare_for_summary, Tariff, TripSummary};
//!
//! let tariff = Tariff::builtin("beijing-2013")?;
//! // 10 km by day, no waiting: 13 + 7 km × 2.3 = 29.1 → 29 (whole yuan ⚠) + fuel 1 = 30.
//! let trip = TripSummary::new("1", 10_000.0, 15.0 * 60.0, "2019-03-06 10:00:00".parse()?);
//! let fare = fare_for_summary(&tariff, &trip)?;
//! assert_eq!(fare.metered_raw, Decimal::new(291, 1));
//! assert_eq!(fare.fare, Decimal::from(30));
//! # Ok::<(), verimeter::Error>(())
//! ```

mod check;
mod clock;
mod meter;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::Rounding;
use crate::profile::Cited;

pub(crate) use check::{allowance, money as allowance_money};
pub use check::{check_bounds, check_fare, BoundsCheck, BoundsFinding, FareCheck};
pub(crate) use clock::{day_of, next_sorted_edge};
pub use clock::{ClockTime, LocalDateTime, Span, Weekday, Window};
pub use meter::{
    fare_bounds, fare_for_series, fare_for_summary, Component, FareBounds, FareBreakdown, FareLine,
    Sample, TariffRef, TripSeries, TripSummary, MAX_HIRE_S,
};
pub(crate) use meter::{
    percent_of, steps_fast, summary_inputs, Scenario, StepPlan, StepSink, Steps,
};

/// How the time tariff and the distance tariff combine (MID MI-007; UK SI 2006/2304).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Mode {
    /// Single application: the time tariff below the crossover speed, the distance tariff
    /// above it.
    S,
    /// Double application: both tariffs over the whole trip (⚠ wording).
    D,
}

/// When a step is charged: when it begins (pre-assessed, NYC) or when it is completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Assessment {
    /// The step in progress is charged as soon as it begins.
    Pre,
    /// A step is charged when it is completed.
    Post,
}

/// The initial hire (flag fall): its price and what it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialHire {
    /// The price on hiring.
    pub price: Cited<Decimal>,
    /// The distance included, metres (the first 3 km in Beijing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers_distance_m: Option<Cited<f64>>,
    /// The chargeable time included, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers_time_s: Option<Cited<f64>>,
    /// A different price when the hire starts inside a window (Beijing night 14 元 ⚠).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_window: Vec<WindowPrice>,
}

/// A price that applies inside a named window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowPrice {
    /// The window's name.
    pub window: String,
    /// The price there.
    pub price: Decimal,
    /// The clause.
    #[serde(default)]
    pub source: String,
}

/// A distance step: its length and its base price (e.g. 1/5 mile for $0.50).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistanceStep {
    /// The step length, metres.
    pub length_m: Cited<f64>,
    /// The price of one step.
    pub price: Cited<Decimal>,
}

/// A time step: its duration and its price (e.g. 60 s for $0.50).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeStep {
    /// The step duration, seconds.
    pub duration_s: Cited<f64>,
    /// The price of one step.
    pub price: Cited<Decimal>,
}

/// A long-distance rule: beyond `beyond_m` of the hire, distance steps cost `step_price`
/// instead of the base price (Shanghai 3.6 元/km beyond 15 km) and/or `percent` % more of the
/// base price (Beijing 空驶费 +50 % beyond 15 km). Never applies to waiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongDistance {
    /// The threshold, metres of the hire's total distance.
    pub beyond_m: f64,
    /// The price of one distance step beyond the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_price: Option<Decimal>,
    /// A surcharge in % of the base step price beyond the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
    /// The clause.
    #[serde(default)]
    pub source: String,
}

/// What a percentage surcharge applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AppliesTo {
    /// Distance steps.
    Distance,
    /// Time steps.
    Time,
    /// Low-speed waiting steps.
    Waiting,
}

/// A surcharge of `percent` % of the base price on steps charged inside a window
/// (Beijing night 23:00–05:00: per-km price +20 %).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSurcharge {
    /// The window's name.
    pub window: String,
    /// The surcharge, % of the base step price.
    pub percent: Decimal,
    /// The steps it applies to (default: distance).
    #[serde(default = "distance_only")]
    pub applies_to: Vec<AppliesTo>,
    /// The clause.
    #[serde(default)]
    pub source: String,
}

fn distance_only() -> Vec<AppliesTo> {
    vec![AppliesTo::Distance]
}

/// The low-speed waiting fare: while the speed is below `below_speed_kmh`, every `step_s` of
/// accumulated time adds the fare of `distance_equivalent_m` at the base distance price
/// (Beijing: each 5 min = 1 km, 2 km in peaks; Shanghai: each 4 min = 1 km). It is charged
/// in addition to the distance driven.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiting {
    /// The speed below which time accumulates, km/h.
    pub below_speed_kmh: Cited<f64>,
    /// The accumulated time per step, seconds.
    pub step_s: Cited<f64>,
    /// The distance whose fare one step adds, metres.
    pub distance_equivalent_m: Cited<f64>,
    /// A different distance equivalent inside a window (Beijing peaks: 2 km).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_window: Vec<WindowDistance>,
}

/// A distance equivalent that applies inside a named window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowDistance {
    /// The window's name.
    pub window: String,
    /// The distance equivalent there, metres.
    pub distance_equivalent_m: f64,
    /// The clause.
    #[serde(default)]
    pub source: String,
}

/// A fixed per-trip amount (fuel surcharge, state tax, improvement or congestion surcharge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extra {
    /// Its name, e.g. `"state tax"`.
    pub name: String,
    /// The amount.
    pub amount: Decimal,
    /// Only when the hire starts inside this window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Only when the trip meets this condition, which the engine cannot see (e.g.
    /// `"manhattan-south-of-96th"`): the caller states it ([`TripSummary::with_condition`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// True when the meter adds it to the fare it shows (Beijing fuel surcharge ⚠, Newark
    /// surcharge); false when it is listed beside the fare (NYC `extra`, `mta_tax` …).
    #[serde(default)]
    pub on_meter: bool,
    /// The clause.
    #[serde(default)]
    pub source: String,
}

/// One rate of a tariff, selected by its code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// The rate code, e.g. `"1"`.
    pub code: String,
    /// What the rate is for.
    pub title: String,
    /// A flat fare: no metering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat: Option<Cited<Decimal>>,
    /// The initial hire (required unless flat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<InitialHire>,
    /// The distance step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_step: Option<DistanceStep>,
    /// The time step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_step: Option<TimeStep>,
    /// S or D.
    pub mode: Cited<Mode>,
    /// Pre- or post-assessment of steps.
    pub assessment: Cited<Assessment>,
    /// S mode only: fractions of a distance step and of a time step add up in one counter
    /// (NYC: "fractions of both combine"); both step prices must then be equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined_units: Option<Cited<bool>>,
    /// Long-distance rules, in increasing order of threshold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub long_distance: Vec<LongDistance>,
    /// Time-of-day percentage surcharges on steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub window_surcharges: Vec<WindowSurcharge>,
    /// The low-speed waiting fare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
    /// Fixed per-trip extras.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<Extra>,
    /// How the metered fare is rounded for display; its step is the display's least
    /// significant digit.
    pub rounding: Cited<Rounding>,
}

impl Rate {
    /// The crossover speed v_c = time tariff / distance tariff, m/s (MID MI-007; UK SI
    /// 2006/2304), from the base step prices; `None` without both steps or with a zero price.
    ///
    /// ```
    /// use verimeter::tariff::Tariff;
    /// let nyc = Tariff::builtin("nyc-yellow-2019")?;
    /// let v_c = nyc.rate("1")?.crossover_speed_m_s().unwrap();
    /// assert!((v_c * 3600.0 / 1609.344 - 12.0).abs() < 1e-9); // 12 mph
    /// # Ok::<(), verimeter::Error>(())
    /// ```
    pub fn crossover_speed_m_s(&self) -> Option<f64> {
        let d = self.distance_step.as_ref()?;
        let t = self.time_step.as_ref()?;
        let pd = meter::to_f64(d.price.value) / d.length_m.value;
        let pt = meter::to_f64(t.price.value) / t.duration_s.value;
        (pd > 0.0 && pt > 0.0).then(|| pt / pd)
    }

    fn is_combined(&self) -> bool {
        self.combined_units.as_ref().is_some_and(|c| c.value)
    }

    /// What the initial hire covers before the distance and time tariffs count: (metres,
    /// seconds), 0 where it covers nothing.
    pub(crate) fn initial_cover(&self) -> (f64, f64) {
        let init = self.initial.as_ref();
        (
            init.and_then(|i| i.covers_distance_m.as_ref())
                .map_or(0.0, |c| c.value),
            init.and_then(|i| i.covers_time_s.as_ref())
                .map_or(0.0, |c| c.value),
        )
    }

    /// The index of the long-distance rule in force for a distance step charged in a piece of the hire
    /// that starts `d` metres from the hire's start (the highest threshold reached, within
    /// 1e-9 m of counter noise).
    pub(crate) fn long_distance_band(&self, d: f64) -> Option<usize> {
        self.long_distance
            .iter()
            .rposition(|l| l.beyond_m <= d + 1e-9)
    }

    /// The price of one waiting step whose distance equivalent is `eq` metres: the base
    /// distance price × (eq / step length), in decimal, rounded to 6 places (exact for the
    /// tariffs' whole-metre lengths) — the one conversion of a distance into money for
    /// waiting. `None` without a distance step.
    pub(crate) fn waiting_price(&self, eq: f64) -> Result<Option<Decimal>> {
        let Some(step) = &self.distance_step else {
            return Ok(None);
        };
        let overflow = || Error::Money {
            field: "waiting price",
            value: eq.to_string(),
            reason: "arithmetic overflow".into(),
        };
        let ratio = crate::money::decimal_from_f64("waiting.distance_equivalent_m", eq)?
            .checked_div(crate::money::decimal_from_f64(
                "distance_step.length_m",
                step.length_m.value,
            )?)
            .ok_or_else(overflow)?;
        Ok(Some(
            step.price
                .value
                .checked_mul(ratio)
                .ok_or_else(overflow)?
                .round_dp(6)
                .normalize(),
        ))
    }
}

/// A tariff: the fare rules of one authority, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    /// Stable id, e.g. `"beijing-2013"`.
    pub id: String,
    /// Version of this tariff's data.
    pub version: String,
    /// Title.
    pub title: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The texts the numbers come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Caveats: unconfirmed (⚠) numbers and the choices made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Named time-of-day windows the rates refer to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<Window>,
    /// The rates (at least one).
    pub rates: Vec<Rate>,
}

/// The ids of the built-in tariffs (the JSON files in `fixtures/tariffs/`).
pub const BUILTIN_TARIFFS: [&str; 3] = ["beijing-2013", "shanghai-2015", "nyc-yellow-2019"];

fn builtin_text(id: &str) -> Option<&'static str> {
    Some(match id {
        "beijing-2013" => include_str!("../../fixtures/tariffs/beijing-2013.json"),
        "shanghai-2015" => include_str!("../../fixtures/tariffs/shanghai-2015.json"),
        "nyc-yellow-2019" => include_str!("../../fixtures/tariffs/nyc-yellow-2019.json"),
        _ => return None,
    })
}

/// The most windows a tariff may define (they are tracked as bits of a `u64`).
pub const MAX_WINDOWS: usize = 64;

impl Tariff {
    /// A built-in tariff by id (see [`BUILTIN_TARIFFS`]).
    pub fn builtin(id: &str) -> Result<Self> {
        let text = builtin_text(id.trim()).ok_or_else(|| Error::UnknownProfile {
            id: id.to_string(),
            known: BUILTIN_TARIFFS.join(", "),
        })?;
        Self::from_json(text)
    }

    /// Parses and validates a tariff written in JSON.
    ///
    /// ```
    /// use verimeter::tariff::Tariff;
    /// let mut json: serde_json::Value =
    ///     serde_json::to_value(Tariff::builtin("shanghai-2015").unwrap()).unwrap();
    /// json["rates"][0]["distance_step"]["length_m"]["value"] = serde_json::json!(-500.0);
    /// let err = Tariff::from_json(&json.to_string()).unwrap_err().to_string();
    /// assert!(err.contains("rates[0].distance_step.length_m: must be finite and > 0, got -500"), "{err}");
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let t: Tariff = serde_json::from_str(text).map_err(|e| Error::InvalidProfile {
            profile: "tariff <json>".into(),
            path: format!("line {} column {}", e.line(), e.column()),
            reason: e.to_string(),
        })?;
        t.validate()?;
        Ok(t)
    }

    /// The rate with `code`.
    pub fn rate(&self, code: &str) -> Result<&Rate> {
        self.rates
            .iter()
            .find(|r| r.code == code.trim())
            .ok_or_else(|| Error::UnknownName {
                field: "rate code",
                value: code.to_string(),
                expected: self.rate_codes(),
            })
    }

    /// The codes of the tariff's rates, in order, joined by ", " (what an error about an
    /// unknown rate lists as the known ones).
    pub fn rate_codes(&self) -> String {
        self.rates
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn window_index(&self, name: &str) -> Option<usize> {
        self.windows.iter().position(|w| w.name == name)
    }

    /// Every `source` that carries ⚠ (unconfirmed), with its path: what an inspector should
    /// know is not from the official text.
    pub fn unconfirmed(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Ok(v) = serde_json::to_value(self) {
            collect_unconfirmed(&v, "$", &mut out);
        }
        out
    }

    /// Checks every number (finite, in range), every list (non-empty where needed), every
    /// window (ordered spans) and every window reference. The error names the path.
    pub fn validate(&self) -> Result<()> {
        let fail = |path: String, reason: String| Error::InvalidProfile {
            profile: format!(
                "tariff {}",
                if self.id.trim().is_empty() {
                    "<unnamed>"
                } else {
                    &self.id
                }
            ),
            path,
            reason,
        };
        for (name, v) in [
            ("id", &self.id),
            ("version", &self.version),
            ("currency", &self.currency),
        ] {
            if v.trim().is_empty() {
                return Err(fail(name.into(), "must not be empty".into()));
            }
        }
        if self.windows.len() > MAX_WINDOWS {
            return Err(fail(
                "windows".into(),
                format!("at most {MAX_WINDOWS} windows, got {}", self.windows.len()),
            ));
        }
        for (i, w) in self.windows.iter().enumerate() {
            w.check()
                .map_err(|(p, r)| fail(format!("windows[{i}].{p}"), r))?;
            if self.windows[..i].iter().any(|o| o.name == w.name) {
                return Err(fail(
                    format!("windows[{i}].name"),
                    format!("duplicate window {:?}", w.name),
                ));
            }
        }
        if self.rates.is_empty() {
            return Err(fail("rates".into(), "must not be empty".into()));
        }
        for (i, r) in self.rates.iter().enumerate() {
            let p = format!("rates[{i}]");
            if r.code.trim().is_empty() {
                return Err(fail(format!("{p}.code"), "must not be empty".into()));
            }
            if self.rates[..i].iter().any(|o| o.code == r.code) {
                return Err(fail(
                    format!("{p}.code"),
                    format!("duplicate rate code {:?}", r.code),
                ));
            }
            self.validate_rate(r, &p)
                .map_err(|(pp, why)| fail(pp, why))?;
        }
        Ok(())
    }

    fn validate_rate(&self, r: &Rate, p: &str) -> std::result::Result<(), (String, String)> {
        let pos = |path: String, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err((path, format!("must be finite and > 0, got {v}")))
            }
        };
        let nonneg = |path: String, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err((path, format!("must be finite and >= 0, got {v}")))
            }
        };
        let money = |path: String, v: Decimal| {
            if v >= Decimal::ZERO {
                Ok(())
            } else {
                Err((path, format!("must be >= 0, got {v}")))
            }
        };
        let window = |path: String, name: &str| {
            if self.window_index(name).is_some() {
                Ok(())
            } else {
                Err((
                    path,
                    format!(
                        "unknown window {name:?}; defined windows: {}",
                        self.windows
                            .iter()
                            .map(|w| w.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        };
        if let Some(f) = &r.flat {
            money(format!("{p}.flat"), f.value)?;
            for (name, present) in [
                ("initial", r.initial.is_some()),
                ("distance_step", r.distance_step.is_some()),
                ("time_step", r.time_step.is_some()),
                ("waiting", r.waiting.is_some()),
            ] {
                if present {
                    return Err((
                        format!("{p}.{name}"),
                        "a flat rate has no metering: remove it or remove flat".into(),
                    ));
                }
            }
        } else {
            let init = r.initial.as_ref().ok_or_else(|| {
                (
                    format!("{p}.initial"),
                    "a metered rate needs an initial hire (or give flat)".to_string(),
                )
            })?;
            money(format!("{p}.initial.price"), init.price.value)?;
            if let Some(c) = &init.covers_distance_m {
                nonneg(format!("{p}.initial.covers_distance_m"), c.value)?;
            }
            if let Some(c) = &init.covers_time_s {
                nonneg(format!("{p}.initial.covers_time_s"), c.value)?;
            }
            for (j, w) in init.by_window.iter().enumerate() {
                window(format!("{p}.initial.by_window[{j}].window"), &w.window)?;
                money(format!("{p}.initial.by_window[{j}].price"), w.price)?;
            }
            if r.distance_step.is_none() && r.time_step.is_none() {
                return Err((
                    format!("{p}.distance_step"),
                    "a metered rate needs a distance step or a time step".into(),
                ));
            }
        }
        if let Some(d) = &r.distance_step {
            pos(format!("{p}.distance_step.length_m"), d.length_m.value)?;
            money(format!("{p}.distance_step.price"), d.price.value)?;
        }
        if let Some(t) = &r.time_step {
            pos(format!("{p}.time_step.duration_s"), t.duration_s.value)?;
            money(format!("{p}.time_step.price"), t.price.value)?;
        }
        if r.is_combined() {
            let same = match (&r.distance_step, &r.time_step) {
                (Some(d), Some(t)) => d.price.value == t.price.value,
                _ => false,
            };
            if r.mode.value != Mode::S || !same {
                return Err((
                    format!("{p}.combined_units"),
                    "combined units need mode S and a distance step and a time step of equal price"
                        .into(),
                ));
            }
        }
        let mut prev = f64::NEG_INFINITY;
        for (j, l) in r.long_distance.iter().enumerate() {
            let lp = format!("{p}.long_distance[{j}]");
            nonneg(format!("{lp}.beyond_m"), l.beyond_m)?;
            if l.beyond_m <= prev {
                return Err((
                    format!("{lp}.beyond_m"),
                    format!(
                        "thresholds must increase strictly ({} after {prev})",
                        l.beyond_m
                    ),
                ));
            }
            prev = l.beyond_m;
            if l.step_price.is_none() && l.percent.is_none() {
                return Err((lp, "give step_price and/or percent".into()));
            }
            if let Some(v) = l.step_price {
                money(format!("{lp}.step_price"), v)?;
            }
            if let Some(v) = l.percent {
                money(format!("{lp}.percent"), v)?;
            }
            if r.distance_step.is_none() {
                return Err((lp, "a long-distance rule needs a distance step".into()));
            }
        }
        for (j, s) in r.window_surcharges.iter().enumerate() {
            let sp = format!("{p}.window_surcharges[{j}]");
            window(format!("{sp}.window"), &s.window)?;
            money(format!("{sp}.percent"), s.percent)?;
            if s.applies_to.is_empty() {
                return Err((format!("{sp}.applies_to"), "must not be empty".into()));
            }
        }
        if let Some(w) = &r.waiting {
            pos(
                format!("{p}.waiting.below_speed_kmh"),
                w.below_speed_kmh.value,
            )?;
            pos(format!("{p}.waiting.step_s"), w.step_s.value)?;
            nonneg(
                format!("{p}.waiting.distance_equivalent_m"),
                w.distance_equivalent_m.value,
            )?;
            for (j, b) in w.by_window.iter().enumerate() {
                window(format!("{p}.waiting.by_window[{j}].window"), &b.window)?;
                nonneg(
                    format!("{p}.waiting.by_window[{j}].distance_equivalent_m"),
                    b.distance_equivalent_m,
                )?;
            }
            if r.distance_step.is_none() {
                return Err((
                    format!("{p}.waiting"),
                    "the waiting fare is priced by the distance step, which is missing".into(),
                ));
            }
        }
        for (j, e) in r.extras.iter().enumerate() {
            let ep = format!("{p}.extras[{j}]");
            if e.name.trim().is_empty() {
                return Err((format!("{ep}.name"), "must not be empty".into()));
            }
            money(format!("{ep}.amount"), e.amount)?;
            if let Some(w) = &e.window {
                window(format!("{ep}.window"), w)?;
            }
        }
        if r.rounding.value.step <= Decimal::ZERO {
            return Err((
                format!("{p}.rounding.value.step"),
                format!("must be > 0, got {}", r.rounding.value.step),
            ));
        }
        Ok(())
    }
}

fn collect_unconfirmed(v: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}.{k}");
                match x {
                    serde_json::Value::String(s) if s.contains('⚠') => out.push((p, s.clone())),
                    _ => collect_unconfirmed(x, &p, out),
                }
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                match x {
                    serde_json::Value::String(s) if s.contains('⚠') => out.push((p, s.clone())),
                    _ => collect_unconfirmed(x, &p, out),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_validates_and_round_trips() {
        for id in BUILTIN_TARIFFS {
            let t = Tariff::builtin(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(t.id, id);
            let again = Tariff::from_json(&serde_json::to_string(&t).unwrap()).unwrap();
            assert_eq!(again, t);
        }
    }

    /// Every object holding a number or a money amount has a non-empty source, itself or in an
    /// enclosing object.
    fn check_cited(v: &serde_json::Value, id: &str, path: &str) {
        const MONEY: [&str; 6] = ["price", "amount", "percent", "step_price", "value", "step"];
        if let serde_json::Value::Object(m) = v {
            if m.get("source")
                .and_then(|s| s.as_str())
                .is_some_and(|s| !s.trim().is_empty())
            {
                return;
            }
            for (k, x) in m {
                if x.is_number() || (x.is_string() && MONEY.contains(&k.as_str())) {
                    panic!("{id}: {path}.{k} = {x} has no source");
                }
                check_cited(x, id, &format!("{path}.{k}"));
            }
        } else if let serde_json::Value::Array(a) = v {
            for (i, x) in a.iter().enumerate() {
                check_cited(x, id, &format!("{path}[{i}]"));
            }
        }
    }

    #[test]
    fn every_builtin_number_is_cited() {
        for id in BUILTIN_TARIFFS {
            let t = Tariff::builtin(id).unwrap();
            check_cited(&serde_json::to_value(&t).unwrap(), id, "$");
        }
    }

    #[test]
    fn unconfirmed_numbers_are_listed() {
        let t = Tariff::builtin("beijing-2013").unwrap();
        let u = t.unconfirmed();
        assert!(u.iter().any(|(p, _)| p.contains("by_window")), "{u:?}");
    }

    fn nyc_json() -> serde_json::Value {
        serde_json::to_value(Tariff::builtin("nyc-yellow-2019").unwrap()).unwrap()
    }

    fn err_of(v: serde_json::Value) -> String {
        Tariff::from_json(&v.to_string()).unwrap_err().to_string()
    }

    #[test]
    fn validation_names_the_path() {
        let mut v = nyc_json();
        v["rates"] = serde_json::json!([]);
        assert!(err_of(v).contains("rates: must not be empty"));

        let mut v = nyc_json();
        v["rates"][0]["time_step"]["price"]["value"] = serde_json::json!("-0.5");
        let e = err_of(v);
        assert!(
            e.contains("rates[0].time_step.price: must be >= 0, got -0.5"),
            "{e}"
        );

        let mut v = nyc_json();
        v["windows"][0]["spans"] = serde_json::json!([{"from": "20:00", "to": "06:00"}]);
        let e = err_of(v);
        assert!(
            e.contains("windows[0].spans[0]") && e.contains("before"),
            "{e}"
        );

        let mut v = nyc_json();
        v["windows"][0]["spans"] =
            serde_json::json!([{"from": "20:00", "to": "24:00"}, {"from": "00:00", "to": "06:00"}]);
        let e = err_of(v);
        assert!(
            e.contains("windows[0].spans[1]") && e.contains("order"),
            "{e}"
        );

        let mut v = nyc_json();
        v["rates"][0]["extras"][0]["window"] = serde_json::json!("siesta");
        let e = err_of(v);
        assert!(
            e.contains("rates[0].extras[0].window") && e.contains("siesta"),
            "{e}"
        );

        let mut v = nyc_json();
        v["rates"][0]["distance_step"]["length_m"]["value"] = serde_json::json!(123.25);
        let text = v.to_string().replace("123.25", "1e999");
        let e = Tariff::from_json(&text).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn unknown_rate_code_lists_known() {
        let t = Tariff::builtin("nyc-yellow-2019").unwrap();
        let e = t.rate("9").unwrap_err().to_string();
        assert!(e.contains("1, 2, 3"), "{e}");
    }
}
