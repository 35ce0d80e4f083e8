//! Reading a CSV of taximeter tests: the header becomes a column map, each record a
//! [`TestInput`] or a row error that names the line, the column and the value.
//!
//! Three ways to give the readings (see `verimeter taximeter --help`): unit-suffixed columns
//! (`reference_km`, `indicated_km`, `_m`, `_mi`, `_s`, `_min`, `_h`), plain `reference`,
//! `indicated` with a `unit` column, and the bench form `k`, `count` with an indication.
//! Every judgement of the values is the library's.

use std::io::Read;

use verimeter::taximeter::{BenchDistanceTest, MeterTest, TestKind};
use verimeter::units::Unit;
use verimeter::Error;

use crate::csvread::{
    describe_error, missing_columns, number, optional, required_number, Comments, CsvStream,
    RawFile, RawRecord,
};
use crate::input::Flow;

/// The unit suffixes of reading columns, and their units.
const SUFFIXES: [(&str, Unit); 6] = [
    ("km", Unit::Kilometre),
    ("m", Unit::Metre),
    ("mi", Unit::Mile),
    ("s", Unit::Second),
    ("min", Unit::Minute),
    ("h", Unit::Hour),
];

/// One reading column: its header name, its unit, its index.
#[derive(Debug, Clone)]
pub struct UnitColumn {
    name: String,
    unit: Unit,
    index: usize,
}

/// How the file gives its readings.
#[derive(Debug, Clone)]
pub enum Readings {
    /// `reference_<unit>` and `indicated_<unit>` columns (any number of units).
    Suffixed {
        /// The reference columns (may be empty in a bench-only file).
        reference: Vec<UnitColumn>,
        /// The indication columns.
        indicated: Vec<UnitColumn>,
    },
    /// `reference`, `indicated` and `unit`.
    Plain {
        /// `reference`, absent in a bench-only file.
        reference: Option<usize>,
        /// `indicated`.
        indicated: usize,
        /// `unit`.
        unit: usize,
    },
}

/// Where each known column is in the file.
#[derive(Debug, Clone)]
pub struct Columns {
    vehicle: usize,
    test: Option<usize>,
    readings: Readings,
    k: Option<usize>,
    count: Option<usize>,
    expanded_uncertainty_pct: Option<usize>,
    coverage_factor: Option<usize>,
    /// Columns the CLI does not interpret, echoed to the output: (index, header name).
    pub extra: Vec<(usize, String)>,
}

impl Columns {
    /// Whether the file gives U per row.
    pub fn has_uncertainty(&self) -> bool {
        self.expanded_uncertainty_pct.is_some()
    }
}

/// A test as read: judged directly, or on the bench from k and the count.
#[derive(Debug, Clone, Copy)]
pub enum TestInput {
    /// Reference and indication.
    Direct(MeterTest),
    /// The bench form: reference = count / k.
    Bench(BenchDistanceTest),
}

/// One data row of the file, parsed as far as it goes.
#[derive(Debug)]
pub struct InputRow {
    /// The physical line the record starts on (the header is line 1).
    pub line: u64,
    /// The fields as written, padded or cut to the header's length.
    pub fields: Vec<String>,
    /// The vehicle id (trimmed), empty when absent.
    pub vehicle: String,
    /// The test kind as written (trimmed).
    pub test: String,
    /// k, signals per km, where the row gives one.
    pub k: Option<f64>,
    /// U of δ given in the row (percentage points) and its coverage factor.
    pub expanded_uncertainty_pct: Option<(f64, Option<f64>)>,
    /// The column the reference was read from (`reference_km`, `reference`, `count`).
    pub reference_column: String,
    /// The column the indication was read from.
    pub indicated_column: String,
    /// The test, or why the row could not be read.
    pub test_input: Result<TestInput, Error>,
}

/// Receives the tests of a file as they are read (see [`stream_tests`]).
pub trait TestSink {
    /// Once, when the columns are known, before any row.
    fn start(&mut self, header: Vec<String>, columns: Columns) -> Flow;
    /// Each data row, in file order.
    fn row(&mut self, row: InputRow) -> Flow;
}

/// Reads a CSV of tests record by record into `sink`. The outer `Err` is a message for a
/// fatal input problem (exit status 2), the inner one the sink's.
pub fn stream_tests(input: &mut dyn Read, sink: &mut dyn TestSink) -> Result<Flow, String> {
    let mut csv = CsvStream::open(
        input,
        "vehicle,test,reference_km,indicated_km",
        Comments::None,
    )?;
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

fn map_columns(file: &RawFile) -> Result<Columns, String> {
    let find = |name: &str| file.find(name);
    let suffixed = |prefix: &str| -> Vec<UnitColumn> {
        SUFFIXES
            .iter()
            .filter_map(|(sfx, unit)| {
                let name = format!("{prefix}_{sfx}");
                find(&name).map(|index| UnitColumn {
                    name,
                    unit: *unit,
                    index,
                })
            })
            .collect()
    };
    let (sref, sind) = (suffixed("reference"), suffixed("indicated"));
    let (pref, pind, punit) = (find("reference"), find("indicated"), find("unit"));
    let (k, count) = (find("k"), find("count"));
    let plain = pref.is_some() || pind.is_some() || punit.is_some();
    let has_suffixed = !sref.is_empty() || !sind.is_empty();
    if plain && has_suffixed {
        return Err("give readings either with the unit in the column name \
                    (reference_km, indicated_km, …) or in a unit column (reference, indicated, \
                    unit), not both"
            .into());
    }
    let mut missing: Vec<&str> = Vec::new();
    let vehicle = find("vehicle");
    if vehicle.is_none() {
        missing.push("vehicle");
    }
    let test = find("test");
    if test.is_none() && count.is_none() {
        missing.push("test");
    }
    if count.is_some() && k.is_none() {
        missing.push("k (the bench form gives k with count)");
    }
    let readings = if plain {
        if pref.is_none() && count.is_none() {
            missing.push("reference");
        }
        if pind.is_none() {
            missing.push("indicated");
        }
        if punit.is_none() {
            missing.push("unit");
        }
        Readings::Plain {
            reference: pref,
            indicated: pind.unwrap_or_default(),
            unit: punit.unwrap_or_default(),
        }
    } else {
        if sref.is_empty() && count.is_none() {
            missing.push("reference_<unit>");
        }
        if sind.is_empty() {
            missing.push("indicated_<unit>");
        }
        Readings::Suffixed {
            reference: sref,
            indicated: sind,
        }
    };
    if !missing.is_empty() {
        let alt = if missing.iter().any(|m| m.ends_with("<unit>")) {
            " (<unit>: km, m, mi, s, min or h; or plain reference, indicated with a unit \
             column; or the bench form k, count, indicated_<unit>)"
        } else {
            ""
        };
        return Err(missing_columns(&missing, alt, &file.header));
    }
    let known = |name: &str| {
        matches!(
            name,
            "vehicle"
                | "test"
                | "reference"
                | "indicated"
                | "unit"
                | "k"
                | "count"
                | "expanded_uncertainty_pct"
                | "coverage_factor"
        ) || SUFFIXES.iter().any(|(sfx, _)| {
            name.strip_suffix(sfx)
                .is_some_and(|p| p == "reference_" || p == "indicated_")
        })
    };
    Ok(Columns {
        vehicle: vehicle.unwrap_or_default(),
        test,
        readings,
        k,
        count,
        expanded_uncertainty_pct: find("expanded_uncertainty_pct"),
        coverage_factor: find("coverage_factor"),
        extra: file
            .header
            .iter()
            .enumerate()
            .filter(|(i, _)| !known(&file.lower[*i]))
            .map(|(i, h)| (i, h.clone()))
            .collect(),
    })
}

/// One record → one row. Never fails: a problem becomes the row's `Err`.
fn parse_record(rec: RawRecord, cols: &Columns) -> InputRow {
    let fields = rec.fields;
    let vehicle = fields[cols.vehicle].trim().to_string();
    let test = optional(&fields, cols.test).unwrap_or_default().to_string();
    let mut row = InputRow {
        line: rec.line,
        vehicle,
        test,
        k: None,
        expanded_uncertainty_pct: None,
        reference_column: String::new(),
        indicated_column: String::new(),
        test_input: Err(Error::Empty { field: "row" }),
        fields: Vec::new(),
    };
    row.test_input = match rec.problem {
        Some(p) => Err(p),
        None if row.vehicle.is_empty() => Err(Error::Unreadable {
            reason: "vehicle: empty vehicle id".into(),
        }),
        None => parse_test(&fields, cols, &mut row),
    };
    row.fields = fields;
    row
}

/// A reading: the value, its unit and the column it came from.
type Reading = (f64, Unit, String);

/// The one filled cell among `columns`; none or several is an error naming them.
fn one_of(f: &[String], columns: &[UnitColumn], what: &str) -> Result<Option<Reading>, Error> {
    let mut found = None;
    for c in columns {
        if let Some(v) = number(f, &c.name, Some(c.index))? {
            if let Some((_, _, first)) = &found {
                return Err(Error::Unreadable {
                    reason: format!(
                        "{first}, {}: give the {what} in one unit only, got two values",
                        c.name
                    ),
                });
            }
            found = Some((v, c.unit, c.name.clone()));
        }
    }
    Ok(found)
}

fn unreadable(reason: String) -> Error {
    Error::Unreadable { reason }
}

/// The reading cells of one row: reference (None when the cell(s) are empty) and indication.
fn readings(f: &[String], cols: &Columns) -> Result<(Option<Reading>, Reading), Error> {
    match &cols.readings {
        Readings::Suffixed {
            reference,
            indicated,
        } => {
            let r = one_of(f, reference, "reference")?;
            let i = one_of(f, indicated, "indication")?.ok_or_else(|| {
                let names: Vec<&str> = indicated.iter().map(|c| c.name.as_str()).collect();
                unreadable(format!(
                    "{}: required, but the cell is empty",
                    names.join(" / ")
                ))
            })?;
            Ok((r, i))
        }
        Readings::Plain {
            reference,
            indicated,
            unit,
        } => {
            let text = optional(f, Some(*unit))
                .ok_or_else(|| unreadable("unit: required, but the cell is empty".into()))?;
            let u = Unit::parse(text).map_err(|_| {
                unreadable(format!(
                    "unit: unknown unit {text:?}; expected one of: km, m, mi, s, min, h"
                ))
            })?;
            let i = required_number(f, "indicated", *indicated)?;
            let r = number(f, "reference", *reference)?;
            Ok((
                r.map(|r| (r, u, "reference".to_string())),
                (i, u, "indicated".to_string()),
            ))
        }
    }
}

/// Builds the library's test from the cells of one row.
fn parse_test(f: &[String], cols: &Columns, row: &mut InputRow) -> Result<TestInput, Error> {
    row.k = number(f, "k", cols.k)?;
    let count = number(f, "count", cols.count)?;
    if let Some(u) = number(f, "expanded_uncertainty_pct", cols.expanded_uncertainty_pct)? {
        row.expanded_uncertainty_pct =
            Some((u, number(f, "coverage_factor", cols.coverage_factor)?));
    }
    let kind = match (row.test.as_str(), count) {
        ("", Some(_)) => TestKind::Distance,
        ("", None) => {
            return Err(unreadable("test: required, but the cell is empty".into()));
        }
        (t, _) => TestKind::parse(t).map_err(|_| {
            unreadable(format!(
                "test: unknown test {t:?}; expected one of: distance, time"
            ))
        })?,
    };
    let (reference, (ind, ind_unit, ind_col)) = readings(f, cols)?;
    let check_unit = |unit: Unit, col: &str| {
        if unit.dimension() == kind.dimension() {
            Ok(())
        } else {
            let expected = match kind {
                TestKind::Time => "s, min or h",
                _ => "km, m or mi",
            };
            Err(unreadable(format!(
                "{col}: a {kind} test needs a unit of {expected}, got {}",
                unit.symbol()
            )))
        }
    };
    check_unit(ind_unit, &ind_col)?;
    row.indicated_column = ind_col;
    match (reference, count) {
        (Some((_, _, rcol)), Some(_)) => Err(unreadable(format!(
            "{rcol}, count: give either the reference or the bench count (k, count), not both"
        ))),
        (None, Some(n)) => {
            if kind != TestKind::Distance {
                return Err(unreadable(format!(
                    "test: a bench row (k, count) is a distance test, got {kind}"
                )));
            }
            let k = row.k.ok_or_else(|| {
                unreadable(
                    "k: required for a bench row (count is given), but the cell is empty".into(),
                )
            })?;
            row.reference_column = "count".into();
            Ok(TestInput::Bench(BenchDistanceTest::new(
                k, ind, ind_unit, n,
            )))
        }
        (Some((r, r_unit, rcol)), None) => {
            check_unit(r_unit, &rcol)?;
            row.reference_column = rcol;
            Ok(TestInput::Direct(
                MeterTest::new(kind, r, ind, r_unit).with_indicated_unit(ind_unit),
            ))
        }
        (None, None) => {
            let names = match &cols.readings {
                Readings::Suffixed { reference, .. } => reference
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
                Readings::Plain { .. } => "reference".into(),
            };
            let bench = if cols.count.is_some() {
                " (or count)"
            } else {
                ""
            };
            Err(unreadable(format!(
                "{names}{bench}: required, but the cell is empty"
            )))
        }
    }
}

/// A library error on one row, worded as `column: what is wrong, got value`, with the
/// library's field names (`reference`, `indicated`, `k_per_km`, `distance`, `count`) replaced by
/// the row's column names.
pub fn describe(e: &Error, row: &InputRow) -> String {
    let field = match e {
        Error::NotFinite { field, .. }
        | Error::NotPositive { field, .. }
        | Error::Negative { field, .. } => *field,
        _ => return describe_error(e),
    };
    let column = match field {
        "reference" => row.reference_column.as_str(),
        "indicated" | "distance" => row.indicated_column.as_str(),
        "k_per_km" => "k",
        other => other,
    };
    let text = describe_error(e);
    match text.strip_prefix(field) {
        Some(rest) if !column.is_empty() => format!("{column}{rest}"),
        _ => text,
    }
}
