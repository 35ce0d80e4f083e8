//! Reading a CSV of draws: the header becomes a column map, each record a [`Draw`] or a row
//! error that names the line, the column and the value.
//!
//! Only the file format lives here; every judgement (finite, positive, known fuel, …) is the
//! library's, so that the CLI and the library can never disagree on what a valid draw is.

use std::io::Read;

use verimeter::dispenser::{Draw, PriceReading, Substance, TestPoint};
use verimeter::money::parse_money;
use verimeter::units::Unit;
use verimeter::Error;

use crate::csvread::{
    describe_error, missing_columns, number, optional, required_number, Comments, CsvStream,
    RawFile, RawRecord,
};

/// The unit the volume columns are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeUnit {
    /// `indicated_l`, `standard_l`.
    Litre,
    /// `indicated_gal`, `standard_gal` (US gallons, converted exactly to litres).
    UsGallon,
}

/// Where each known column is in the file (`None` = the file has no such column).
#[derive(Debug, Clone)]
pub struct Columns {
    pub(crate) nozzle: usize,
    pub(crate) test_point: usize,
    pub(crate) indicated: usize,
    pub(crate) standard: usize,
    /// The unit of the two volume columns.
    pub unit: VolumeUnit,
    pub(crate) fuel: Option<usize>,
    pub(crate) dispenser_temp_c: Option<usize>,
    pub(crate) can_temp_c: Option<usize>,
    pub(crate) can_material: Option<usize>,
    pub(crate) flow_l_min: Option<usize>,
    pub(crate) mmq_l: Option<usize>,
    pub(crate) unit_price: Option<usize>,
    pub(crate) amount: Option<usize>,
    /// The per-row uncertainty columns, in [`UNCERTAINTY_COLUMNS`] order.
    pub(crate) uncertainty: [Option<usize>; 7],
    /// Columns the CLI does not interpret, echoed to the output: (index, header name).
    pub extra: Vec<(usize, String)>,
}

/// The per-row uncertainty columns (see `verimeter dispenser --help`).
pub const UNCERTAINTY_COLUMNS: [&str; 7] = [
    "can_u_rel",
    "can_k",
    "can_resolution_l",
    "dispenser_resolution_l",
    "thermometer_error_c",
    "expanded_uncertainty_pct",
    "coverage_factor",
];

/// The per-row uncertainty cells of one draw (all absent when the file has no such columns).
#[derive(Debug, Clone, Copy, Default)]
pub struct UncertaintyCells {
    /// The can certificate's relative expanded uncertainty (4e-4 = 0.04 %).
    pub can_u_rel: Option<f64>,
    /// The coverage factor of that certificate.
    pub can_k: Option<f64>,
    /// The can's reading resolution, litres.
    pub can_resolution_l: Option<f64>,
    /// The dispenser display's resolution, litres.
    pub dispenser_resolution_l: Option<f64>,
    /// Each thermometer's maximum error, °C.
    pub thermometer_error_c: Option<f64>,
    /// U of the error itself, percentage points (replaces the budget).
    pub expanded_uncertainty_pct: Option<f64>,
    /// The coverage factor of `expanded_uncertainty_pct` (2 when absent).
    pub coverage_factor: Option<f64>,
}

impl Columns {
    /// Whether the file has any per-row uncertainty column.
    pub fn has_uncertainty(&self) -> bool {
        self.uncertainty.iter().any(Option::is_some)
    }
}

/// Every column name the CLI interprets.
const KNOWN: [&str; 21] = [
    "nozzle",
    "test_point",
    "indicated_l",
    "standard_l",
    "indicated_gal",
    "standard_gal",
    "fuel",
    "dispenser_temp_c",
    "can_temp_c",
    "can_material",
    "flow_l_min",
    "mmq_l",
    "unit_price",
    "amount",
    "can_u_rel",
    "can_k",
    "can_resolution_l",
    "dispenser_resolution_l",
    "thermometer_error_c",
    "expanded_uncertainty_pct",
    "coverage_factor",
];

/// One data row of the file, parsed as far as it goes.
#[derive(Debug)]
pub struct InputRow {
    /// The physical line the record starts on (the header is line 1).
    pub line: u64,
    /// The fields as written, padded or cut to the header's length.
    pub fields: Vec<String>,
    /// The nozzle id (trimmed), empty when absent.
    pub nozzle: String,
    /// The test point as written (trimmed).
    pub test_point: String,
    /// The per-row uncertainty cells.
    pub uncertainty: UncertaintyCells,
    /// The draw, or why the row could not be read (`column: what, got value`; the line is
    /// added where the message is shown).
    pub draw: Result<Draw, Error>,
}

/// A sink's verdict on going on: `Err` is a fatal message of its own (a bad decision-rule
/// option, an output that cannot be written) that stops the reading.
pub type Flow = Result<(), String>;

/// Receives the draws of a file as they are read (see [`stream_csv`],
/// [`crate::json_in::stream`]): nothing is kept here.
pub trait DrawSink {
    /// Once, when the columns are known, before any row.
    fn start(&mut self, header: Vec<String>, columns: Columns) -> Flow;
    /// Each data row, in file order.
    fn row(&mut self, row: InputRow) -> Flow;
}

/// Reads a CSV of draws record by record into `sink`. The outer `Err` is a message for a
/// fatal input problem (exit status 2): unreadable input, no header, missing or duplicate
/// columns; the inner one the sink's. Row problems are not fatal: they are carried in
/// [`InputRow::draw`].
pub fn stream_csv(input: &mut dyn Read, sink: &mut dyn DrawSink) -> Result<Flow, String> {
    let mut csv = CsvStream::open(
        input,
        "nozzle,test_point,indicated_l,standard_l",
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

/// Maps header names (trimmed, case-insensitive) to columns; names the missing required
/// columns and lists the columns found.
pub(crate) fn map_columns(file: &RawFile) -> Result<Columns, String> {
    let header = &file.header;
    let lower = &file.lower;
    let find = |name: &str| file.find(name);
    let litres = (find("indicated_l"), find("standard_l"));
    let gallons = (find("indicated_gal"), find("standard_gal"));
    let (unit, volumes) = match (litres, gallons) {
        ((Some(_), _) | (_, Some(_)), (Some(_), _) | (_, Some(_))) => {
            return Err(
                "give volumes either in litres (indicated_l, standard_l) or in US \
                        gallons (indicated_gal, standard_gal), not both"
                    .into(),
            )
        }
        (_, (Some(_), _) | (_, Some(_))) => (VolumeUnit::UsGallon, gallons),
        _ => (VolumeUnit::Litre, litres),
    };
    let [vi, vs] = match unit {
        VolumeUnit::Litre => ["indicated_l", "standard_l"],
        VolumeUnit::UsGallon => ["indicated_gal", "standard_gal"],
    };
    let required = [
        ("nozzle", find("nozzle")),
        ("test_point", find("test_point")),
        (vi, volumes.0),
        (vs, volumes.1),
    ];
    let missing: Vec<&str> = required
        .iter()
        .filter(|(_, i)| i.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        let alt = if unit == VolumeUnit::Litre && missing.iter().any(|m| m.ends_with("_l")) {
            " (or indicated_gal, standard_gal in US gallons)"
        } else {
            ""
        };
        return Err(missing_columns(&missing, alt, header));
    }
    let req = |i: Option<usize>| i.unwrap_or_default();
    Ok(Columns {
        nozzle: req(required[0].1),
        test_point: req(required[1].1),
        indicated: req(volumes.0),
        standard: req(volumes.1),
        unit,
        fuel: find("fuel"),
        dispenser_temp_c: find("dispenser_temp_c"),
        can_temp_c: find("can_temp_c"),
        can_material: find("can_material"),
        flow_l_min: find("flow_l_min"),
        mmq_l: find("mmq_l"),
        unit_price: find("unit_price"),
        amount: find("amount"),
        uncertainty: UNCERTAINTY_COLUMNS.map(find),
        extra: header
            .iter()
            .enumerate()
            .filter(|(i, _)| !KNOWN.contains(&lower[*i].as_str()))
            .map(|(i, h)| (i, h.clone()))
            .collect(),
    })
}

/// One record → one row. Never fails: a problem becomes the row's `Err`.
pub(crate) fn parse_record(rec: RawRecord, cols: &Columns) -> InputRow {
    let fields = rec.fields;
    let cell = |i: usize| fields[i].trim();
    let nozzle = cell(cols.nozzle).to_string();
    let test_point = cell(cols.test_point).to_string();
    let mut uncertainty = UncertaintyCells::default();
    let draw = if let Some(problem) = rec.problem {
        Err(problem)
    } else if nozzle.is_empty() {
        Err(Error::Unreadable {
            reason: "nozzle: empty nozzle id".into(),
        })
    } else {
        parse_draw(&fields, cols)
            .and_then(|d| {
                uncertainty = uncertainty_cells(&fields, cols)?;
                Ok(d)
            })
            .map_err(|e| Error::Unreadable {
                reason: describe(&e, cols, &fields),
            })
    };
    InputRow {
        line: rec.line,
        fields,
        nozzle,
        test_point,
        uncertainty,
        draw,
    }
}

/// The per-row uncertainty cells, each a number or absent.
fn uncertainty_cells(f: &[String], cols: &Columns) -> Result<UncertaintyCells, Error> {
    let mut v = [None; UNCERTAINTY_COLUMNS.len()];
    for (k, name) in UNCERTAINTY_COLUMNS.iter().enumerate() {
        v[k] = number(f, name, cols.uncertainty[k])?;
    }
    let [can_u_rel, can_k, can_resolution_l, dispenser_resolution_l, thermometer_error_c, expanded_uncertainty_pct, coverage_factor] =
        v;
    Ok(UncertaintyCells {
        can_u_rel,
        can_k,
        can_resolution_l,
        dispenser_resolution_l,
        thermometer_error_c,
        expanded_uncertainty_pct,
        coverage_factor,
    })
}

/// Builds the library's [`Draw`] from the cells of one row.
fn parse_draw(f: &[String], cols: &Columns) -> Result<Draw, Error> {
    let tp = optional(f, Some(cols.test_point)).ok_or_else(|| Error::Unreadable {
        reason: "test_point: required, but the cell is empty".into(),
    })?;
    let test_point = TestPoint::parse(tp)?;
    let (vi, vs) = volume_names(cols.unit);
    let read_indicated = required_number(f, vi, cols.indicated)?;
    let (mut indicated, mut standard) = (read_indicated, required_number(f, vs, cols.standard)?);
    if cols.unit == VolumeUnit::UsGallon {
        indicated = Unit::UsGallon.to_base(indicated);
        standard = Unit::UsGallon.to_base(standard);
    }
    let mut draw = Draw::new(test_point, indicated, standard);
    draw.dispenser_temp_c = number(f, "dispenser_temp_c", cols.dispenser_temp_c)?;
    draw.can_temp_c = number(f, "can_temp_c", cols.can_temp_c)?;
    draw.fuel = optional(f, cols.fuel).map(Substance::parse);
    draw.can_material = optional(f, cols.can_material).map(Substance::parse);
    draw.flow_l_min = number(f, "flow_l_min", cols.flow_l_min)?;
    draw.mmq_l = number(f, "mmq_l", cols.mmq_l)?;
    draw.price = price(f, cols)?;
    if cols.unit == VolumeUnit::UsGallon && draw.price.is_some() {
        // A gallon log prices per gallon: the amount is unit price × the gallons as read.
        draw = draw.with_price_per(Unit::UsGallon, read_indicated);
    }
    Ok(draw)
}

/// Unit price and amount, exact decimals; one without the other is an error.
fn price(f: &[String], cols: &Columns) -> Result<Option<PriceReading>, Error> {
    let unit_price = optional(f, cols.unit_price)
        .map(|t| parse_money("unit_price", t))
        .transpose()?;
    let amount = optional(f, cols.amount)
        .map(|t| parse_money("amount", t))
        .transpose()?;
    let purpose = "the amount check";
    match (unit_price, amount) {
        (Some(unit_price), Some(amount)) => Ok(Some(PriceReading { unit_price, amount })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Error::MissingCompanion {
            given: "unit_price",
            missing: "amount",
            purpose,
        }),
        (None, Some(_)) => Err(Error::MissingCompanion {
            given: "amount",
            missing: "unit_price",
            purpose,
        }),
    }
}

/// The names of the volume columns in `unit`.
fn volume_names(unit: VolumeUnit) -> (&'static str, &'static str) {
    match unit {
        VolumeUnit::Litre => ("indicated_l", "standard_l"),
        VolumeUnit::UsGallon => ("indicated_gal", "standard_gal"),
    }
}

/// A library error on one row, worded as `column: what is wrong, got value`.
///
/// The library's messages start with the field (`indicated_l must be > 0, got -20`); the
/// CLI only puts a colon after it, so both say the same thing. Volumes read in gallons are
/// checked by the library in litres: the message then names the gallon column and its text.
pub fn describe(e: &Error, cols: &Columns, fields: &[String]) -> String {
    let text = e.to_string();
    let field = match e {
        Error::NotFinite { field, .. }
        | Error::NotPositive { field, .. }
        | Error::Negative { field, .. }
        | Error::UnknownName { field, .. }
        | Error::Money { field, .. } => *field,
        _ => return text,
    };
    if cols.unit == VolumeUnit::UsGallon {
        let (vi, vs) = volume_names(cols.unit);
        let gal = match field {
            "indicated_l" => Some((vi, cols.indicated)),
            "standard_l" => Some((vs, cols.standard)),
            _ => None,
        };
        if let Some((name, i)) = gal {
            return format!("{name}: {:?} gal → {text}", fields[i].trim());
        }
    }
    describe_error(e)
}
