//! Reading CSV input shared by the subcommands: opening a file or standard input, the header
//! (trimmed, BOM removed, duplicates refused), and records with their physical line numbers.
//!
//! Only the file format lives here; what the columns mean is each command's business.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use verimeter::Error;

/// One record of a CSV file.
#[derive(Debug)]
pub struct RawRecord {
    /// The physical line the record starts on (the header is line 1).
    pub line: u64,
    /// The fields as written, padded or cut to the header's length.
    pub fields: Vec<String>,
    /// The number of fields the record really had.
    pub len: usize,
    /// Set when the record could not be decoded (invalid UTF-8): a row error.
    pub unreadable: Option<Error>,
}

impl RawRecord {
    /// A row error when the record's field count differs from the header's.
    pub fn width_error(&self) -> Option<Error> {
        if let Some(e) = &self.unreadable {
            return Some(e.clone());
        }
        (self.len != self.fields.len()).then(|| Error::Unreadable {
            reason: format!(
                "column count {} differs from header's {}",
                self.len,
                self.fields.len()
            ),
        })
    }
}

/// A whole CSV file: header and records.
#[derive(Debug)]
pub struct RawCsv {
    /// The header names as written (trimmed, BOM removed), in file order.
    pub header: Vec<String>,
    /// The header names in ASCII lower case, for matching.
    pub lower: Vec<String>,
    /// The data records, in file order.
    pub records: Vec<RawRecord>,
}

impl RawCsv {
    /// The index of the column called `name` (lower case), if any.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.lower.iter().position(|h| h == name)
    }
}

/// How messages name the input: its path, or `<stdin>` for `-`.
pub fn input_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

/// Reads `path` (or standard input for `-`) with [`read_csv`]; fatal messages name the path.
pub fn read_path(path: &Path, comments: bool, least: &str) -> Result<RawCsv, String> {
    let read = if path.as_os_str() == "-" {
        read_csv(io::stdin().lock(), comments, least)
    } else {
        let f = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        read_csv(io::BufReader::new(f), comments, least)
    };
    read.map_err(|e| format!("{}: {e}", input_name(path)))
}

/// Reads a whole CSV with a header row. `Err` is a message for a fatal problem (exit status
/// 2): unreadable input, no header, a duplicate column. With `comments`, lines starting with
/// `#` are skipped (they still count in line numbers). `least` names the columns an empty
/// input should have had, for the message.
pub fn read_csv(mut input: impl Read, comments: bool, least: &str) -> Result<RawCsv, String> {
    // The whole input is kept so that line numbers can be counted from byte offsets: the
    // csv crate's own line count drifts on CRLF line ends and blank lines.
    let mut data = Vec::new();
    input
        .read_to_end(&mut data)
        .map_err(|e| format!("cannot read the input: {e}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .comment(comments.then_some(b'#'))
        .from_reader(data.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(format!(
            "the input is empty: expected a header row with at least {least}"
        ));
    }
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    for (i, name) in lower.iter().enumerate() {
        if !name.is_empty() && lower[..i].contains(name) {
            return Err(format!(
                "column {name:?} appears more than once in the header"
            ));
        }
    }
    let lines = LineIndex {
        data: &data,
        comments,
    };
    let mut records = Vec::new();
    for record in reader.records() {
        records.push(match record {
            Ok(rec) => {
                let mut fields: Vec<String> = rec.iter().map(str::to_string).collect();
                let len = fields.len();
                fields.resize(header.len(), String::new());
                RawRecord {
                    line: lines.line_at(rec.position().map_or(0, |p| p.byte())),
                    fields,
                    len,
                    unreadable: None,
                }
            }
            Err(e) => unreadable_record(&e, &lines, header.len())?,
        });
    }
    Ok(RawCsv {
        header,
        lower,
        records,
    })
}

/// Physical line numbers (1-based) from byte offsets into the input.
struct LineIndex<'a> {
    data: &'a [u8],
    comments: bool,
}

impl LineIndex<'_> {
    /// The line on which the record starting at `byte` begins. Blank lines (and comment
    /// lines, when comments are on) before a record belong to the gap, not to the record, so
    /// they are skipped first.
    fn line_at(&self, byte: u64) -> u64 {
        let data = self.data;
        let mut k = usize::try_from(byte).unwrap_or(usize::MAX).min(data.len());
        loop {
            while k < data.len() && matches!(data[k], b'\r' | b'\n') {
                k += 1;
            }
            if self.comments && data.get(k) == Some(&b'#') {
                k = data[k..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(data.len(), |n| k + n);
            } else {
                break;
            }
        }
        1 + data[..k].iter().filter(|b| **b == b'\n').count() as u64
    }
}

/// A record the csv reader could not decode (invalid UTF-8) is a row error; an I/O error
/// is fatal.
fn unreadable_record(e: &csv::Error, lines: &LineIndex, width: usize) -> Result<RawRecord, String> {
    match (e.kind(), e.position()) {
        (csv::ErrorKind::Utf8 { err, .. }, Some(pos)) => Ok(RawRecord {
            line: lines.line_at(pos.byte()),
            fields: vec![String::new(); width],
            len: width,
            unreadable: Some(Error::Unreadable {
                reason: format!("field {}: not valid UTF-8", err.field() + 1),
            }),
        }),
        _ => Err(format!("cannot read the input: {e}")),
    }
}

/// The cell at `i`, trimmed; an empty cell is absent.
pub fn optional(fields: &[String], i: Option<usize>) -> Option<&str> {
    i.map(|i| fields[i].trim()).filter(|s| !s.is_empty())
}

/// A number cell; text that is not a number is an error naming the column and the text.
/// `NaN` and `inf` parse, and the library rejects them with its own message.
pub fn number(fields: &[String], name: &str, i: Option<usize>) -> Result<Option<f64>, Error> {
    optional(fields, i)
        .map(|t| {
            t.parse::<f64>().map_err(|_| Error::Unreadable {
                reason: format!("{name}: not a number: {t:?}"),
            })
        })
        .transpose()
}

/// A number cell that must be there.
pub fn required_number(fields: &[String], name: &str, i: usize) -> Result<f64, Error> {
    number(fields, name, Some(i))?.ok_or_else(|| Error::Unreadable {
        reason: format!("{name}: required, but the cell is empty"),
    })
}
