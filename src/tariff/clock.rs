//! Local wall-clock date-times and time-of-day windows (night, peak, weekday rules).
//!
//! The library reads no clock and knows no time zone: a trip's start is the local date-time
//! printed on the receipt or the trip record, already parsed. Elapsed seconds are added to it
//! as wall-clock seconds (a daylight-saving change during a hire is not modelled).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::floor_any;

/// Seconds in a day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The weekday of a day counted from 1970-01-01 (a Thursday).
    pub fn of_day(days_since_1970: i64) -> Weekday {
        // 1970-01-01 is a Thursday: index 3 with Monday = 0.
        Self::ALL[(days_since_1970 + 3).rem_euclid(7) as usize]
    }
}

/// A local (wall-clock) date and time to the second, e.g. `2019-03-23 20:21:09`.
///
/// Serialised as the text `YYYY-MM-DD HH:MM:SS`; a `T` separator is accepted too.
///
/// ```
/// use verimeter::tariff::{LocalDateTime, Weekday};
/// let t: LocalDateTime = "2019-03-23 20:21:09".parse()?;
/// assert_eq!(t.weekday(), Weekday::Sat);
/// assert_eq!(t.to_string(), "2019-03-23 20:21:09");
/// let later: LocalDateTime = "2019-03-23 20:27:24".parse()?;
/// assert_eq!(later.seconds_since(&t), 375);
/// # Ok::<(), verimeter::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalDateTime {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

const FORMAT: &str = "YYYY-MM-DD HH:MM:SS";

fn bad(text: &str) -> Error {
    Error::UnknownName {
        field: "local date-time",
        value: text.to_string(),
        expected: format!("a valid date-time written {FORMAT}"),
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl LocalDateTime {
    /// A date-time from its fields; errors if the date or the time does not exist.
    pub fn new(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Result<Self> {
        let ok = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        if !ok {
            return Err(bad(&format!(
                "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
            )));
        }
        Ok(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's `days_from_civil`).
    pub fn days_since_1970(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Seconds since 1970-01-01 00:00:00 on the same wall clock.
    pub fn to_seconds(&self) -> i64 {
        self.days_since_1970() * SECONDS_PER_DAY + i64::from(self.seconds_of_day())
    }

    /// The date-time `seconds` wall-clock seconds after 1970-01-01 00:00:00 (the inverse of
    /// [`LocalDateTime::to_seconds`]; H. Hinnant's `civil_from_days`). Errors outside the
    /// years 1 … 9999.
    ///
    /// ```
    /// use verimeter::tariff::LocalDateTime;
    /// let t: LocalDateTime = "2019-03-23 20:21:09".parse()?;
    /// assert_eq!(LocalDateTime::from_seconds(t.to_seconds())?, t);
    /// assert!(LocalDateTime::from_seconds(i64::MAX).is_err());
    /// # Ok::<(), verimeter::Error>(())
    /// ```
    pub fn from_seconds(seconds: i64) -> Result<Self> {
        // Years 1 ..= 9999 lie well inside ±2^40 s: beyond, the arithmetic below could overflow.
        const LIMIT: i64 = 1 << 40;
        if !(-LIMIT..=LIMIT).contains(&seconds) {
            return Err(bad(&format!("{seconds} s since 1970-01-01 00:00:00")));
        }
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let sod = seconds.rem_euclid(SECONDS_PER_DAY);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let fail = || bad(&format!("{seconds} s since 1970-01-01 00:00:00"));
        Self::new(
            i32::try_from(year).map_err(|_| fail())?,
            month as u8,
            day as u8,
            (sod / 3600) as u8,
            (sod % 3600 / 60) as u8,
            (sod % 60) as u8,
        )
        .map_err(|_| fail())
    }

    /// The calendar date: (year, month 1–12, day 1–31), proleptic Gregorian.
    ///
    /// ```
    /// use verimeter::tariff::LocalDateTime;
    /// let t = LocalDateTime::from_seconds(1_764_547_200)?; // 2025-12-01 00:00:00
    /// assert_eq!(t.date(), (2025, 12, 1));
    /// # Ok::<(), verimeter::Error>(())
    /// ```
    pub fn date(&self) -> (i32, u8, u8) {
        (self.year, self.month, self.day)
    }

    /// Seconds since midnight.
    pub fn seconds_of_day(&self) -> u32 {
        u32::from(self.hour) * 3600 + u32::from(self.minute) * 60 + u32::from(self.second)
    }

    /// The day of the week.
    pub fn weekday(&self) -> Weekday {
        Weekday::of_day(self.days_since_1970())
    }

    /// Wall-clock seconds from `earlier` to `self` (negative if `self` is earlier).
    pub fn seconds_since(&self, earlier: &LocalDateTime) -> i64 {
        self.to_seconds() - earlier.to_seconds()
    }
}

impl FromStr for LocalDateTime {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let t = text.trim();
        let b = t.as_bytes();
        if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') {
            return Err(bad(text));
        }
        if b[13] != b':' || b[16] != b':' {
            return Err(bad(text));
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32> {
            let s = t.get(r).ok_or_else(|| bad(text))?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad(text));
            }
            s.parse::<u32>().map_err(|_| bad(text))
        };
        let small = |v: u32| u8::try_from(v).map_err(|_| bad(text));
        Self::new(
            num(0..4)? as i32,
            small(num(5..7)?)?,
            small(num(8..10)?)?,
            small(num(11..13)?)?,
            small(num(14..16)?)?,
            small(num(17..19)?)?,
        )
        .map_err(|_| bad(text))
    }
}

impl TryFrom<String> for LocalDateTime {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<LocalDateTime> for String {
    fn from(t: LocalDateTime) -> String {
        t.to_string()
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// A time of day `HH:MM`, from `00:00` to `24:00` inclusive (the end of a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime(u32);

impl ClockTime {
    /// Seconds since midnight (0 ..= 86 400).
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl FromStr for ClockTime {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let err = || Error::UnknownName {
            field: "time of day",
            value: text.to_string(),
            expected: "HH:MM from 00:00 to 24:00".into(),
        };
        let (h, m) = text.trim().split_once(':').ok_or_else(err)?;
        let h: u32 = h.parse().map_err(|_| err())?;
        let m: u32 = m.parse().map_err(|_| err())?;
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(err());
        }
        Ok(ClockTime(h * 3600 + m * 60))
    }
}

impl TryFrom<String> for ClockTime {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<ClockTime> for String {
    fn from(t: ClockTime) -> String {
        format!("{:02}:{:02}", t.0 / 3600, (t.0 % 3600) / 60)
    }
}

/// The day of a wall-clock instant, `floor(abs_s / 86 400)` as `floor_any` of the `f64`
/// quotient gives it, bit for bit, without the division where that is provable.
///
/// For 2 × 86 400 ≤ x ≤ 2^40: k = trunc(x · fl(1/86 400)) is within one of ⌊x / 86 400⌋
/// (relative error ≤ 2^-52 on a quotient ≤ 1.3·10^7), k · 86 400 is an exact integer and
/// r = x − k · 86 400 is exact (Sterbenz) or off by < 10^-11. If 1 ≤ r ≤ 86 399, the real
/// quotient lies in [k + 1.1·10^-5, k + 1 − 1.1·10^-5], so k = ⌊x / 86 400⌋, and the
/// correctly rounded quotient, within 1.3·10^7 · 2^-53 < 1.5·10^-9 of it, has the same
/// floor. Any other x (within 1 s of a midnight, small, negative, huge, NaN) is divided.
#[inline(always)]
pub(crate) fn day_of(abs_s: f64) -> f64 {
    const DAY: f64 = SECONDS_PER_DAY as f64;
    const TWO_40: f64 = 1_099_511_627_776.0;
    if (2.0 * DAY..=TWO_40).contains(&abs_s) {
        let k = (abs_s * (1.0 / DAY)) as i64 as f64;
        let r = abs_s - k * DAY;
        if (1.0..=DAY - 1.0).contains(&r) {
            return k;
        }
    }
    floor_any(abs_s / DAY)
}

/// The first instant strictly after `abs_s` (wall-clock seconds since 1970-01-01) at which
/// one of `edges` (seconds of the day) falls, or the next midnight.
pub(crate) fn next_day_edge(abs_s: f64, edges: impl IntoIterator<Item = u32>) -> f64 {
    let day0 = day_of(abs_s) * SECONDS_PER_DAY as f64;
    let mut best = day0 + SECONDS_PER_DAY as f64;
    for e in edges {
        let at = day0 + f64::from(e);
        if at > abs_s && at < best {
            best = at;
        }
    }
    best
}

/// [`next_day_edge`] for edges sorted in increasing order: the first candidate after `abs_s`
/// is the smallest (day start + edge grows with the edge, and no edge exceeds the next
/// midnight), so the search stops there — the same value.
pub(crate) fn next_sorted_edge(abs_s: f64, sorted: &[u32]) -> f64 {
    let day0 = day_of(abs_s) * SECONDS_PER_DAY as f64;
    for &e in sorted {
        let at = day0 + f64::from(e);
        if at > abs_s {
            return at;
        }
    }
    day0 + SECONDS_PER_DAY as f64
}

/// One span of a window within a day: `from` (inclusive) to `to` (exclusive), `from < to`.
/// A window crossing midnight (night 23:00–05:00) is two spans: `23:00–24:00`, `00:00–05:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// Start of the span (inclusive).
    pub from: ClockTime,
    /// End of the span (exclusive); `24:00` is the end of the day.
    pub to: ClockTime,
}

/// A named time-of-day window (night, peak …), on some days of the week.
///
/// Spans are checked against the wall-clock time of day; `days` (empty = every day) against
/// the weekday of the calendar day the span lies in, so the `00:00–05:00` span of a Friday-night
/// window belongs to Saturday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The name rates refer to, e.g. `"night"`.
    pub name: String,
    /// The days it applies on; empty means every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<Weekday>,
    /// The spans, in increasing, non-overlapping order.
    pub spans: Vec<Span>,
    /// The clause the window comes from.
    #[serde(default)]
    pub source: String,
}

impl Window {
    /// True when the wall-clock instant `abs_s` (seconds since 1970-01-01 local) is inside.
    pub fn contains(&self, abs_s: f64) -> bool {
        let day = day_of(abs_s);
        let sod = abs_s - day * SECONDS_PER_DAY as f64;
        if !self.days.is_empty() && !self.days.contains(&Weekday::of_day(day as i64)) {
            return false;
        }
        self.spans
            .iter()
            .any(|s| f64::from(s.from.0) <= sod && sod < f64::from(s.to.0))
    }

    /// The first instant strictly after `abs_s` at which this window may open or close
    /// (a span edge or the next midnight).
    pub fn next_edge(&self, abs_s: f64) -> f64 {
        next_day_edge(abs_s, self.spans.iter().flat_map(|s| [s.from.0, s.to.0]))
    }

    /// Checks that the spans are non-empty, each `from < to`, and in increasing order without
    /// overlap. Returns the path (relative to the window) and the reason.
    pub(crate) fn check(&self) -> std::result::Result<(), (String, String)> {
        if self.name.trim().is_empty() {
            return Err(("name".into(), "must not be empty".into()));
        }
        if self.spans.is_empty() {
            return Err(("spans".into(), "must not be empty".into()));
        }
        let mut prev_end = 0;
        for (i, s) in self.spans.iter().enumerate() {
            if s.from >= s.to {
                return Err((
                    format!("spans[{i}]"),
                    format!(
                        "from {} must be before to {} (split a window crossing midnight into two spans)",
                        String::from(s.from),
                        String::from(s.to)
                    ),
                ));
            }
            if i > 0 && s.from.0 < prev_end {
                return Err((
                    format!("spans[{i}]"),
                    "spans must be in increasing order without overlap".into(),
                ));
            }
            prev_end = s.to.0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_and_weekdays() {
        let t: LocalDateTime = "1970-01-01 00:00:00".parse().unwrap();
        assert_eq!(t.days_since_1970(), 0);
        assert_eq!(t.weekday(), Weekday::Thu);
        let t: LocalDateTime = "2019-03-04 16:11:55".parse().unwrap();
        assert_eq!(t.weekday(), Weekday::Mon);
        let t: LocalDateTime = "2000-02-29T12:00:00".parse().unwrap();
        assert_eq!(t.weekday(), Weekday::Tue);
        assert_eq!(t.days_since_1970(), 11_016);
    }

    #[test]
    fn invalid_date_times_are_errors() {
        for s in [
            "2019-02-29 00:00:00",
            "2019-13-01 00:00:00",
            "2019-03-01 24:00:00",
            "2019-03-01",
            "",
            "２019-03-01 00:00:00",
            "2019-03-01 00:00:0x",
        ] {
            assert!(s.parse::<LocalDateTime>().is_err(), "{s}");
        }
    }

    #[test]
    fn day_of_is_the_floor_of_the_quotient() {
        let day = SECONDS_PER_DAY as f64;
        let mut xs = vec![
            0.0,
            -0.0,
            -1.0,
            1.0,
            day,
            2.0 * day,
            2.0 * day - 1.0,
            1.099_511_627_776e12,
            1.2e12,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -3e9,
        ];
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..300_000 {
            crate::test_rng::step(&mut s);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let k = (s % 12_000_000) as f64;
            let m = k * day;
            // Around midnights: ± ulps, ± 1 s, ± fractions; and anywhere.
            let up = f64::from_bits(m.to_bits() + 1 + (s >> 60));
            let down = f64::from_bits(m.to_bits().saturating_sub(1 + (s >> 60)));
            xs.extend([
                m,
                up,
                down,
                m + 1.0,
                m - 1.0,
                m + u,
                m - u,
                m + 1.0 - u * 1e-9,
            ]);
            xs.extend([u * 1.2e12, u * 4e9, (u - 0.5) * 1e6]);
        }
        for x in xs {
            let a = day_of(x);
            let b = floor_any(x / day);
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{x:e}"
            );
        }
    }

    #[test]
    fn sorted_edge_search_is_the_general_one() {
        let edges = [
            0u32,
            5 * 3600,
            7 * 3600,
            9 * 3600,
            17 * 3600,
            19 * 3600,
            23 * 3600,
            86_400,
        ];
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        for i in 0..100_000 {
            crate::test_rng::step(&mut s);
            let x = (s >> 11) as f64 / (1u64 << 53) as f64;
            let abs = if i % 3 == 0 {
                // On and around edges.
                1.55e9 + f64::from(edges[(s % 8) as usize]) + ((s >> 8) % 3) as f64 - 1.0
            } else {
                (x - 0.3) * 4e9
            };
            for n in 1..=edges.len() {
                assert_eq!(
                    next_sorted_edge(abs, &edges[..n]).to_bits(),
                    next_day_edge(abs, edges[..n].iter().copied()).to_bits(),
                    "{abs}"
                );
            }
        }
    }

    #[test]
    fn windows_cross_midnight_by_day() {
        let w = Window {
            name: "peak".into(),
            days: vec![Weekday::Mon],
            spans: vec![Span {
                from: "16:00".parse().unwrap(),
                to: "20:00".parse().unwrap(),
            }],
            source: String::new(),
        };
        let mon: LocalDateTime = "2019-03-04 16:00:00".parse().unwrap();
        let s = mon.to_seconds() as f64;
        assert!(w.contains(s));
        assert!(!w.contains(s - 1.0));
        assert!(!w.contains(s + 4.0 * 3600.0));
        assert_eq!(w.next_edge(s), s + 4.0 * 3600.0);
        assert!(!w.contains(s + 7.0 * 86_400.0 - 86_400.0)); // Sunday
    }
}
