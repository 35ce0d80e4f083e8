//! Reading a CSV of draws: the header becomes a column map, each record a [`Draw`] or a row
//! error that names the line, the column and the value.
//!
//! Only the file format lives here; every judgement (finite, positive, known fuel, …) is the
//! library's, so that the CLI and the library can never disagree on what a valid draw is.

use verimeter::dispenser::{Draw, PriceReading, Substance, TestPoint};
use verimeter::money::parse_money;
use verimeter::units::Unit;
use verimeter::Error;

use crate::csv_in::{number, optional, required_number, RawCsv, RawRecord};

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
    nozzle: usize,
    test_point: usize,
    indicated: usize,
    standard: usize,
    /// The unit of the two volume columns.
    pub unit: VolumeUnit,
    fuel: Option<usize>,
    dispenser_temp_c: Option<usize>,
    can_temp_c: Option<usize>,
    can_material: Option<usize>,
    flow_l_min: Option<usize>,
    mmq_l: Option<usize>,
    unit_price: Option<usize>,
    amount: Option<usize>,
    /// Columns the CLI does not interpret, echoed to the output: (index, header name).
    pub extra: Vec<(usize, String)>,
}

/// Every column name the CLI interprets.
const KNOWN: [&str; 14] = [
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
    /// The draw, or why the row could not be read (`column: what, got value`; the line is
    /// added where the message is shown).
    pub draw: Result<Draw, Error>,
}

/// A file of draws.
#[derive(Debug)]
pub struct DrawFile {
    /// The header names as written (trimmed), in file order.
    pub header: Vec<String>,
    /// The column map.
    pub columns: Columns,
    /// The data rows, in file order.
    pub rows: Vec<InputRow>,
}

/// Reads a whole CSV of draws. `Err` is a message for a fatal problem (exit status 2):
/// unreadable input, no header, missing or duplicate columns. Row problems are not fatal:
/// they are carried in [`InputRow::draw`].
pub fn read_draws(csv: RawCsv) -> Result<DrawFile, String> {
    let columns = map_columns(&csv.header)?;
    let rows = csv
        .records
        .into_iter()
        .map(|rec| parse_record(rec, &columns))
        .collect();
    Ok(DrawFile {
        header: csv.header,
        columns,
        rows,
    })
}

/// The columns an empty input should have had, for the message.
pub const LEAST_COLUMNS: &str = "nozzle,test_point,indicated_l,standard_l";

/// Maps header names (trimmed, case-insensitive) to columns; names the missing required
/// columns and lists the columns found.
fn map_columns(header: &[String]) -> Result<Columns, String> {
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    let find = |name: &str| lower.iter().position(|h| h == name);
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
        return Err(format!(
            "missing required column(s): {}{alt}; columns found: {}",
            missing.join(", "),
            header.join(", ")
        ));
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
        extra: header
            .iter()
            .enumerate()
            .filter(|(i, _)| !KNOWN.contains(&lower[*i].as_str()))
            .map(|(i, h)| (i, h.clone()))
            .collect(),
    })
}

/// One record → one row. Never fails: a problem becomes the row's `Err`.
fn parse_record(rec: RawRecord, cols: &Columns) -> InputRow {
    let width = rec.width_error();
    let fields = rec.fields;
    let cell = |i: usize| fields[i].trim();
    let nozzle = cell(cols.nozzle).to_string();
    let test_point = cell(cols.test_point).to_string();
    let draw = if let Some(e) = width {
        Err(e)
    } else if nozzle.is_empty() {
        Err(Error::Unreadable {
            reason: "nozzle: empty nozzle id".into(),
        })
    } else {
        parse_draw(&fields, cols).map_err(|e| Error::Unreadable {
            reason: describe(&e, cols, &fields),
        })
    };
    InputRow {
        line: rec.line,
        fields,
        nozzle,
        test_point,
        draw,
    }
}

/// Builds the library's [`Draw`] from the cells of one row.
fn parse_draw(f: &[String], cols: &Columns) -> Result<Draw, Error> {
    let tp = optional(f, Some(cols.test_point)).ok_or_else(|| Error::Unreadable {
        reason: "test_point: required, but the cell is empty".into(),
    })?;
    let test_point = TestPoint::parse(tp)?;
    let (vi, vs) = volume_names(cols.unit);
    let mut indicated = required_number(f, vi, cols.indicated)?;
    let mut standard = required_number(f, vs, cols.standard)?;
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
    match text.strip_prefix(field) {
        Some(rest) => format!("{field}: {}", rest.trim_start_matches(':').trim_start()),
        None => format!("{field}: {text}"),
    }
}
