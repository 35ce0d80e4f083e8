//! Reading a trip log: the header becomes a column map (with the NYC TLC aliases), each record
//! a [`Trip`] or a row error naming the line, the column and the value.
//!
//! Only the file format lives here (units, timestamps, exact amounts); the fare and its
//! judgement are the library's.

use std::io::Read;

use verimeter::money::{parse_money, Money};
use verimeter::tariff::LocalDateTime;
use verimeter::units::METRES_PER_MILE;
use verimeter::Error;

use crate::csvread::{missing_columns, number, optional, Comments, CsvStream, RawFile, RawRecord};
use crate::input::Flow;

/// The unit of the distance column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistanceUnit {
    /// `distance_km`.
    Km,
    /// `distance_mi` or `trip_distance` (statute miles).
    Mile,
}

/// A column the command reads: its index and its name as written in the header.
#[derive(Debug, Clone)]
pub struct Col {
    /// Index in the record.
    pub index: usize,
    /// The header name as written, for messages.
    pub name: String,
}

/// A surcharge column checked against the tariff's extras, e.g. `mta_tax` ↔ `state tax`.
#[derive(Debug, Clone)]
pub struct SurchargeCol {
    /// The column.
    pub col: Col,
    /// What it is compared with.
    pub kind: SurchargeKind,
}

/// What a surcharge column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurchargeKind {
    /// One fixed extra of the tariff, by name (case-insensitive): 0 or its amount.
    Named(String),
    /// NYC `extra`: the time-of-day extras in force at pickup, plus any conditional extra
    /// (a vendor folds the congestion surcharge into it): any sum of them.
    TimeOfDay,
}

/// Where each column is.
#[derive(Debug, Clone)]
pub struct Columns {
    trip: Option<Col>,
    distance: Col,
    /// The unit of the distance column.
    pub unit: DistanceUnit,
    duration: Option<Col>,
    pickup: Option<Col>,
    dropoff: Option<Col>,
    fare: Col,
    rate_code: Option<Col>,
    waiting: Option<Col>,
    color: Option<Col>,
    /// Surcharge columns (also echoed).
    pub surcharges: Vec<SurchargeCol>,
    /// Columns not interpreted as trip data, echoed to the output: (index, header name).
    /// Surcharge columns and `color` are echoed too.
    pub extra: Vec<(usize, String)>,
}

/// Accepted names of each column, lower case, first the project's own.
const TRIP: &[&str] = &["trip"];
const DIST_KM: &[&str] = &["distance_km"];
const DIST_MI: &[&str] = &["distance_mi", "trip_distance"];
const DURATION: &[&str] = &["duration_s"];
const PICKUP: &[&str] = &["pickup", "tpep_pickup_datetime", "lpep_pickup_datetime"];
const DROPOFF: &[&str] = &["dropoff", "tpep_dropoff_datetime", "lpep_dropoff_datetime"];
const FARE: &[&str] = &["fare", "fare_amount"];
const RATE: &[&str] = &["rate_code", "ratecodeid"];
const WAITING: &[&str] = &["waiting_s"];
const COLOR: &[&str] = &["color"];

/// Surcharge columns with a fixed meaning (NYC TLC layout): column → tariff extra name.
const SURCHARGE_ALIASES: [(&str, &str); 3] = [
    ("mta_tax", "state tax"),
    ("improvement_surcharge", "improvement surcharge"),
    ("congestion_surcharge", "congestion surcharge"),
];

/// The start of a hire whose log has no pickup time: a Wednesday at 10:00, outside every
/// built-in night or peak window.
pub const DEFAULT_START: &str = "2019-03-06 10:00:00";

/// One trip as read.
#[derive(Debug, Clone)]
pub struct Trip {
    /// Distance, metres.
    pub distance_m: f64,
    /// Duration of the hire, seconds.
    pub duration_s: f64,
    /// The local clock time of the pickup (or [`DEFAULT_START`]).
    pub start: LocalDateTime,
    /// True when the log gives no pickup time and [`DEFAULT_START`] is used.
    pub start_assumed: bool,
    /// Time spent below the switching speed, if the log gives it.
    pub waiting_s: Option<f64>,
    /// The metered fare, exact.
    pub fare: Money,
}

/// One data row of the log.
#[derive(Debug)]
pub struct TripRow {
    /// The physical line the record starts on (the header is line 1).
    pub line: u64,
    /// The fields as written, padded or cut to the header's length.
    pub fields: Vec<String>,
    /// The `trip` cell, or the line number when there is none.
    pub trip: String,
    /// The trip, or why the row could not be read (`column: what, got value`).
    pub parsed: Result<Trip, Error>,
}

/// The columns an empty input should have had, for the message.
const LEAST_COLUMNS: &str = "distance_km (or distance_mi), duration_s (or pickup,dropoff), fare";

/// Receives the rows of a trip log as they are read (see [`stream_trips`]).
pub trait TripSink {
    /// Once, when the columns are known, before any row.
    fn start(&mut self, header: Vec<String>, columns: Columns) -> Flow;
    /// Each data row, in file order.
    fn row(&mut self, row: TripRow) -> Flow;
}

/// Reads a trip log (`#` lines are comments) record by record into `sink`: maps the
/// columns, then reads each row. The outer `Err` is fatal (exit status 2), the inner one
/// the sink's. Row problems are carried in [`TripRow::parsed`].
pub fn stream_trips(input: &mut dyn Read, sink: &mut dyn TripSink) -> Result<Flow, String> {
    let mut csv = CsvStream::open(input, LEAST_COLUMNS, Comments::Hash)?;
    let columns = map_columns(&csv.head)?;
    if let Err(e) = sink.start(csv.head.header.clone(), columns.clone()) {
        return Ok(Err(e));
    }
    while let Some(rec) = csv.next_record()? {
        if let Err(e) = sink.row(parse_record(rec, &columns)) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// The column known by one of `names`; two of them at once is an error.
fn one_of(csv: &RawFile, names: &[&str]) -> Result<Option<Col>, String> {
    let found: Vec<usize> = names.iter().filter_map(|n| csv.find(n)).collect();
    match found.as_slice() {
        [] => Ok(None),
        [i] => Ok(Some(Col {
            index: *i,
            name: csv.header[*i].clone(),
        })),
        many => Err(format!(
            "columns {} mean the same thing: give only one of them",
            many.iter()
                .map(|i| csv.header[*i].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn map_columns(csv: &RawFile) -> Result<Columns, String> {
    let km = one_of(csv, DIST_KM)?;
    let mi = one_of(csv, DIST_MI)?;
    let duration = one_of(csv, DURATION)?;
    let pickup = one_of(csv, PICKUP)?;
    let dropoff = one_of(csv, DROPOFF)?;
    let fare = one_of(csv, FARE)?;
    let mut missing = Vec::new();
    let distance = match (km, mi) {
        (Some(_), Some(_)) => {
            return Err(
                "give the distance either in km (distance_km) or in miles (distance_mi), \
                 not both"
                    .into(),
            )
        }
        (Some(c), None) => Some((c, DistanceUnit::Km)),
        (None, Some(c)) => Some((c, DistanceUnit::Mile)),
        (None, None) => {
            missing.push("distance_km or distance_mi (or trip_distance)");
            None
        }
    };
    if duration.is_none() {
        match (&pickup, &dropoff) {
            (Some(_), Some(_)) => {}
            (Some(_), None) => missing.push("dropoff (or duration_s)"),
            (None, Some(_)) => missing.push("pickup (or duration_s)"),
            (None, None) => missing.push("duration_s or pickup,dropoff"),
        }
    }
    if fare.is_none() {
        missing.push("fare (or fare_amount)");
    }
    let (Some((distance, unit)), Some(fare), true) = (distance, fare, missing.is_empty()) else {
        return Err(missing_columns(&missing, "", &csv.header));
    };
    let mut interpreted = vec![distance.index, fare.index];
    let trip = one_of(csv, TRIP)?;
    let rate_code = one_of(csv, RATE)?;
    let waiting = one_of(csv, WAITING)?;
    let color = one_of(csv, COLOR)?;
    for c in [&trip, &duration, &pickup, &dropoff, &rate_code, &waiting]
        .into_iter()
        .flatten()
    {
        interpreted.push(c.index);
    }
    let surcharges = csv
        .lower
        .iter()
        .enumerate()
        .filter(|(i, _)| !interpreted.contains(i))
        .filter_map(|(i, name)| {
            let kind = if name == "extra" {
                SurchargeKind::TimeOfDay
            } else if let Some((_, extra)) = SURCHARGE_ALIASES.iter().find(|(c, _)| c == name) {
                SurchargeKind::Named((*extra).to_string())
            } else {
                return None;
            };
            Some(SurchargeCol {
                col: Col {
                    index: i,
                    name: csv.header[i].clone(),
                },
                kind,
            })
        })
        .collect();
    Ok(Columns {
        trip,
        distance,
        unit,
        duration,
        pickup,
        dropoff,
        fare,
        rate_code,
        waiting,
        color,
        surcharges,
        extra: csv
            .header
            .iter()
            .enumerate()
            .filter(|(i, _)| !interpreted.contains(i))
            .map(|(i, h)| (i, h.clone()))
            .collect(),
    })
}

impl Columns {
    /// The rate code cell (trimmed), if the log has one; read apart from the trip so that
    /// an out-of-scope row is skipped even when its other cells are unusable.
    pub fn rate_code<'f>(&self, fields: &'f [String]) -> Option<&'f str> {
        optional(fields, self.rate_code.as_ref().map(|c| c.index))
    }

    /// The `color` cell in lower case, if any.
    pub fn color(&self, fields: &[String]) -> Option<String> {
        optional(fields, self.color.as_ref().map(|c| c.index)).map(str::to_ascii_lowercase)
    }

    /// The column(s) a library field name comes from, as written in the header.
    pub fn column_of(&self, field: &str) -> Option<String> {
        match field {
            "distance_m" => Some(self.distance.name.clone()),
            "duration_s" => match (&self.duration, &self.pickup, &self.dropoff) {
                (Some(c), _, _) => Some(c.name.clone()),
                (None, Some(p), Some(d)) => Some(format!("{}/{}", p.name, d.name)),
                _ => None,
            },
            "waiting_s" => self.waiting.as_ref().map(|c| c.name.clone()),
            _ => None,
        }
    }
}

fn unreadable(reason: String) -> Error {
    Error::Unreadable { reason }
}

fn parse_record(rec: RawRecord, cols: &Columns) -> TripRow {
    let fields = rec.fields;
    let trip = cols
        .trip
        .as_ref()
        .and_then(|c| optional(&fields, Some(c.index)))
        .map_or_else(|| rec.line.to_string(), str::to_string);
    let parsed = match rec.problem {
        Some(e) => Err(e),
        None => parse_trip(&fields, cols),
    };
    TripRow {
        line: rec.line,
        fields,
        trip,
        parsed,
    }
}

/// A required number cell, checked finite and >= 0, the message naming the column.
fn amount(fields: &[String], col: &Col) -> Result<f64, Error> {
    let v = number(fields, &col.name, Some(col.index))?
        .ok_or_else(|| unreadable(format!("{}: required, but the cell is empty", col.name)))?;
    nonneg(col, v, &fields[col.index])
}

fn nonneg(col: &Col, v: f64, text: &str) -> Result<f64, Error> {
    if !v.is_finite() {
        Err(unreadable(format!(
            "{}: must be a finite number, got {:?}",
            col.name,
            text.trim()
        )))
    } else if v < 0.0 {
        Err(unreadable(format!(
            "{}: must be >= 0, got {}",
            col.name,
            text.trim()
        )))
    } else {
        Ok(v)
    }
}

/// An exact amount (e.g. the fare); the message names the column.
pub fn money_cell(col_name: &str, text: &str) -> Result<Money, Error> {
    parse_money("amount", text).map_err(|e| match e {
        Error::Money { reason, .. } => unreadable(format!(
            "{col_name}: not an exact amount: {:?} ({reason})",
            text.trim()
        )),
        other => other,
    })
}

fn parse_trip(f: &[String], cols: &Columns) -> Result<Trip, Error> {
    let d = amount(f, &cols.distance)?;
    let distance_m = match cols.unit {
        DistanceUnit::Km => d * 1000.0,
        DistanceUnit::Mile => d * METRES_PER_MILE,
    };
    let pickup = cols
        .pickup
        .as_ref()
        .map(|c| timestamp(f, c).map(|t| (c, t)))
        .transpose()?;
    let duration_s = match &cols.duration {
        Some(c) => amount(f, c)?,
        None => {
            // Both columns are there when duration_s is not (map_columns).
            let (pc, p) = pickup.ok_or_else(|| unreadable("pickup: required".into()))?;
            let dc = cols
                .dropoff
                .as_ref()
                .ok_or_else(|| unreadable("dropoff: required".into()))?;
            let q = timestamp(f, dc)?;
            let s = q.seconds_since(&p);
            if s < 0 {
                return Err(unreadable(format!(
                    "{}: {:?} is before {} {:?} ({s} s)",
                    dc.name,
                    f[dc.index].trim(),
                    pc.name,
                    f[pc.index].trim()
                )));
            }
            s as f64
        }
    };
    let waiting_s = match &cols.waiting {
        Some(c) => match number(f, &c.name, Some(c.index))? {
            Some(v) => Some(nonneg(c, v, &f[c.index])?),
            None => None,
        },
        None => None,
    };
    let fare_col = &cols.fare;
    let fare_text = optional(f, Some(fare_col.index)).ok_or_else(|| {
        unreadable(format!(
            "{}: required, but the cell is empty",
            fare_col.name
        ))
    })?;
    let fare = money_cell(&fare_col.name, fare_text)?;
    if fare.is_sign_negative() && !fare.is_zero() {
        return Err(unreadable(format!(
            "{}: must be >= 0 (a refund or void record is not a metered fare), got {fare_text}",
            fare_col.name
        )));
    }
    let (start, start_assumed) = match pickup {
        Some((_, p)) => (p.local, false),
        None => (DEFAULT_START.parse()?, true),
    };
    Ok(Trip {
        distance_m,
        duration_s,
        start,
        start_assumed,
        waiting_s,
        fare,
    })
}

/// A timestamp as written: the local clock time, and the UTC offset (seconds) if given.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    local: LocalDateTime,
    offset_s: Option<i64>,
}

impl Stamp {
    /// Seconds from `earlier` to `self`: on the UTC time line when both carry an offset,
    /// else on the wall clock.
    fn seconds_since(&self, earlier: &Stamp) -> i64 {
        let wall = self.local.seconds_since(&earlier.local);
        match (self.offset_s, earlier.offset_s) {
            (Some(a), Some(b)) => wall - a + b,
            _ => wall,
        }
    }
}

fn timestamp(f: &[String], col: &Col) -> Result<Stamp, Error> {
    let text = f[col.index].trim();
    if text.is_empty() {
        return Err(unreadable(format!(
            "{}: required, but the cell is empty",
            col.name
        )));
    }
    parse_stamp(text).ok_or_else(|| {
        unreadable(format!(
            "{}: not a date-time: {text:?} (expected YYYY-MM-DD HH:MM:SS or RFC 3339)",
            col.name
        ))
    })
}

/// `YYYY-MM-DD HH:MM:SS` (or with `T`), optionally followed by fractional seconds (ignored)
/// and an offset (`Z`, `+HH:MM`, `-HH:MM`, `+HHMM`).
fn parse_stamp(text: &str) -> Option<Stamp> {
    let head = text.get(..19)?;
    let local: LocalDateTime = head.parse().ok()?;
    let mut rest = text.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset_s = match rest {
        "" => None,
        "Z" | "z" => Some(0),
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            if h > 23 || m > 59 {
                return None;
            }
            Some(sign * (h * 3600 + m * 60))
        }
    };
    Some(Stamp { local, offset_s })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps() {
        let s = parse_stamp("2019-03-06T10:00:00.250+01:00").unwrap();
        assert_eq!(s.local.to_string(), "2019-03-06 10:00:00");
        assert_eq!(s.offset_s, Some(3600));
        let z = parse_stamp("2019-03-06T09:30:00Z").unwrap();
        assert_eq!(s.seconds_since(&z), -1800);
        assert!(parse_stamp("2019-03-06 10:00").is_none());
        assert!(parse_stamp("2019-03-06 10:00:00+1").is_none());
        assert!(parse_stamp("2019-03-06 10:00:00.").is_none());
        assert!(parse_stamp("2019-02-30 10:00:00").is_none());
    }
}
