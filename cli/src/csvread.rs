//! The CSV layer shared by every command: a header, then records read one at a time with
//! their physical line numbers (`#` comment lines skipped where a command allows them), and the cell helpers
//! (optional cells, numbers) that name the column and the text.
//!
//! Only the file format lives here; each command maps the header to its columns and lets the
//! library judge the values.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use verimeter::Error;

use crate::progress::ProgressReader;

/// One record of the file, as read.
#[derive(Debug)]
pub struct RawRecord {
    /// The physical line the record starts on (the header is line 1).
    pub line: u64,
    /// The fields as written, padded or cut to the header's length.
    pub fields: Vec<String>,
    /// Why the record cannot be used as a whole (wrong column count, invalid UTF-8).
    pub problem: Option<Error>,
}

impl RawRecord {
    /// A record as the csv reader read it, on physical line `line`: its fields padded or
    /// cut to `width`, with a problem when the column count differs.
    pub fn from_csv(rec: &csv::StringRecord, width: usize, line: u64) -> Self {
        let problem = (rec.len() != width).then(|| Error::Unreadable {
            reason: format!("column count {} differs from header's {width}", rec.len()),
        });
        let mut fields: Vec<String> = rec.iter().map(str::to_string).collect();
        fields.resize(width, String::new());
        RawRecord {
            line,
            fields,
            problem,
        }
    }

    /// A record the csv reader could not decode: field `field` (0-based) is not UTF-8.
    pub fn not_utf8(field: usize, width: usize, line: u64) -> Self {
        RawRecord {
            line,
            fields: vec![String::new(); width],
            problem: Some(Error::Unreadable {
                reason: format!("field {}: not valid UTF-8", field + 1),
            }),
        }
    }
}

/// The header of a file (CSV, or the keys of JSON objects): the names as written and in
/// lower case. The records are read one at a time ([`CsvStream`]).
#[derive(Debug)]
pub struct RawFile {
    /// The header names as written (trimmed, BOM removed), in file order.
    pub header: Vec<String>,
    /// The header names in lower case, for lookups.
    pub lower: Vec<String>,
}

impl RawFile {
    /// The index of the column named `name` (lower case), if the file has it.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.lower.iter().position(|h| h == name)
    }
}

/// Runs `read` on the file `path`, or on standard input when `path` is `-`; a failure is a
/// fatal message naming the file.
///
/// This is where every command opens its input, so the progress bar lives here: with
/// `progress` (see [`crate::progress::wanted`]) the bytes read are shown on stderr for a run
/// longer than a second — of the file's size for a regular file, as a spinner for standard
/// input. The bar is cleared before this returns (at the end of the input, or when `read`
/// stops early), so any message the caller writes next stands alone.
pub fn with_input<T>(
    path: &Path,
    progress: bool,
    read: impl FnOnce(&mut dyn Read) -> Result<T, String>,
) -> Result<T, String> {
    if path.as_os_str() == "-" {
        let mut input = ProgressReader::new(io::stdin().lock(), None, progress);
        read(&mut input).map_err(|e| format!("<stdin>: {e}"))
    } else {
        let f = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // A FIFO or a device has no size to count against: a spinner then.
        let total = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        let mut input = io::BufReader::new(ProgressReader::new(f, total, progress));
        read(&mut input).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Whether lines starting with `#` are comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comments {
    /// No comments: a `#` is data like any other character.
    None,
    /// Lines starting with `#` are skipped (they still count in line numbers).
    Hash,
}

/// A CSV file read record by record, in constant memory: the header first, then one
/// [`RawRecord`] (with its physical line) per call of [`next_record`](Self::next_record).
pub struct CsvStream<R: Read> {
    reader: csv::Reader<Tee<R>>,
    /// The header.
    pub head: RawFile,
    record: csv::StringRecord,
    comments: Comments,
    /// (absolute offset, newlines before it) of the last record start looked up: records
    /// come in file order, so each lookup counts only the bytes since the previous one.
    counted: (u64, u64),
}

impl<R: Read> CsvStream<R> {
    /// Reads the header. `Err` is a fatal message (see [`read_csv`]).
    pub fn open(input: R, empty_hint: &str, comments: Comments) -> Result<Self, String> {
        let tee = Tee {
            inner: input,
            kept: Vec::new(),
            base: 0,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .comment((comments == Comments::Hash).then_some(b'#'))
            .from_reader(tee);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("cannot read the header row: {e}"))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        if header.is_empty() || header.iter().all(String::is_empty) {
            return Err(format!(
                "the input is empty: expected a header row with at least {empty_hint}"
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
        Ok(Self {
            reader,
            head: RawFile { header, lower },
            record: csv::StringRecord::new(),
            comments,
            counted: (0, 0),
        })
    }

    /// Goes on reading a CSV file whose header `head` has been read already: `input` starts
    /// at a record (or at the blank lines before one) and `newlines_before` newlines came
    /// before it in the file, so line numbers go on where they were. For a reader that hands
    /// the unusual rest of a file (quotes, stray carriage returns) back to this general path
    /// (see `fast_csv`).
    pub fn resume(input: R, head: RawFile, comments: Comments, newlines_before: u64) -> Self {
        let tee = Tee {
            inner: input,
            kept: Vec::new(),
            base: 0,
        };
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .comment((comments == Comments::Hash).then_some(b'#'))
            .from_reader(tee);
        Self {
            reader,
            head,
            record: csv::StringRecord::new(),
            comments,
            counted: (0, newlines_before),
        }
    }

    /// The next record, `None` at the end. `Err` is a fatal message (an I/O error).
    pub fn next_record(&mut self) -> Result<Option<RawRecord>, String> {
        let width = self.head.header.len();
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let at = self.record.position().map_or(0, |p| p.byte());
                let line = self.line_at(at);
                Ok(Some(RawRecord::from_csv(&self.record, width, line)))
            }
            // A record the csv reader could not decode (invalid UTF-8) is a record problem;
            // an I/O error is fatal.
            Err(e) => match (e.kind(), e.position()) {
                (csv::ErrorKind::Utf8 { err, .. }, Some(pos)) => {
                    let line = self.line_at(pos.byte());
                    Ok(Some(RawRecord::not_utf8(err.field(), width, line)))
                }
                _ => Err(format!("cannot read the input: {e}")),
            },
        }
    }

    /// The physical line (1-based) on which the record starting at `byte` begins. Blank
    /// lines (and comment lines, when comments are on) before a record belong to the gap,
    /// not to the record, so they are skipped first. (The csv crate's own line count drifts
    /// on CRLF line ends and blank lines.)
    fn line_at(&mut self, byte: u64) -> u64 {
        let tee = self.reader.get_mut().get_mut_kept();
        let (data, base) = (&tee.0[..], tee.1);
        let mut k = usize::try_from(byte.saturating_sub(base))
            .unwrap_or(usize::MAX)
            .min(data.len());
        loop {
            while k < data.len() && matches!(data[k], b'\r' | b'\n') {
                k += 1;
            }
            if self.comments == Comments::Hash && data.get(k) == Some(&b'#') {
                k = data[k..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(data.len(), |n| k + n);
            } else {
                break;
            }
        }
        let (at, before) = self.counted;
        let from = usize::try_from(at.saturating_sub(base)).unwrap_or(0).min(k);
        let n = before + data[from..k].iter().filter(|b| **b == b'\n').count() as u64;
        let abs = base + k as u64;
        self.counted = (abs, n);
        // The bytes before this record are counted: let them go (in large steps, so that
        // the copy is rare).
        if k > 1 << 16 {
            tee.0.drain(..k);
            *tee.2 += k as u64;
        }
        1 + n
    }
}

/// A reader that keeps what it has read (from `base` on) until the line counter has
/// counted it: the csv reader reads ahead, so the bytes of a record are looked at after it
/// is parsed. Only the bytes since the last record start are kept.
struct Tee<R> {
    inner: R,
    kept: Vec<u8>,
    /// The absolute offset of `kept[0]`.
    base: u64,
}

impl<R> Tee<R> {
    fn get_mut_kept(&mut self) -> (&mut Vec<u8>, u64, &mut u64) {
        let base = self.base;
        (&mut self.kept, base, &mut self.base)
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// The message for missing required columns: what is missing, what was found.
pub fn missing_columns(missing: &[&str], alt: &str, header: &[String]) -> String {
    format!(
        "missing required column(s): {}{alt}; columns found: {}",
        missing.join(", "),
        header.join(", ")
    )
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

/// A number cell that must not be empty.
pub fn required_number(fields: &[String], name: &str, i: usize) -> Result<f64, Error> {
    number(fields, name, Some(i))?.ok_or_else(|| Error::Unreadable {
        reason: format!("{name}: required, but the cell is empty"),
    })
}

/// A library error worded as `field: what is wrong, got value` (the library's messages start
/// with the field; the CLI only puts a colon after it). Errors that name no field are shown
/// as they are.
pub fn describe_error(e: &Error) -> String {
    let text = e.to_string();
    let field = match e {
        Error::NotFinite { field, .. }
        | Error::NotPositive { field, .. }
        | Error::Negative { field, .. }
        | Error::UnknownName { field, .. }
        | Error::Money { field, .. } => *field,
        _ => return text,
    };
    match text.strip_prefix(field) {
        Some(rest) => format!("{field}: {}", rest.trim_start_matches(':').trim_start()),
        None => format!("{field}: {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call (the csv reader then sees the
    /// window at every possible cut).
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// (line, first field, problem?) of every record.
    fn lines(data: &[u8], step: usize, comments: Comments) -> Vec<(u64, String, bool)> {
        let mut s = CsvStream::open(Trickle(data, step), "a,b", comments).unwrap();
        let mut out = Vec::new();
        while let Some(r) = s.next_record().unwrap() {
            out.push((r.line, r.fields[0].clone(), r.problem.is_some()));
        }
        out
    }

    #[test]
    fn physical_lines_with_crlf_blank_lines_quotes_comments_and_bad_utf8() {
        let data: &[u8] = b"a,b\r\nx1,1\r\n\r\n\r\nx2,\"two\r\nlines\"\r\n# not a comment here,1\r\nx3,3\nx4,\xff\n\n";
        for step in [1, 2, 3, 7, 64, 1 << 20] {
            let got = lines(data, step, Comments::None);
            let want = vec![
                (2, "x1".to_string(), false),
                (5, "x2".to_string(), false),
                (7, "# not a comment here".to_string(), false),
                (8, "x3".to_string(), false),
                (9, String::new(), true),
            ];
            assert_eq!(got, want, "step {step}");
        }
        let data: &[u8] = b"# head comment\na,b\n# c1\n\nx1,1\n#c2\r\n#c3\nx2,2\n";
        for step in [1, 5, 1 << 20] {
            let got = lines(data, step, Comments::Hash);
            let want = vec![(5, "x1".to_string(), false), (8, "x2".to_string(), false)];
            assert_eq!(got, want, "step {step}");
        }
    }

    #[test]
    fn line_numbers_stay_right_past_the_window() {
        // 200 000 records (~2.5 MB, many times the 64 KiB window), a blank line every 1000.
        let mut data = b"a,b\n".to_vec();
        let mut want = Vec::new();
        let mut line = 1u64;
        for i in 0..200_000u64 {
            if i % 1000 == 999 {
                data.extend_from_slice(b"\r\n");
                line += 1;
            }
            line += 1;
            data.extend_from_slice(format!("r{i},{i}\n").as_bytes());
            want.push(line);
        }
        for step in [4093, 1 << 16] {
            let got: Vec<u64> = lines(&data, step, Comments::None)
                .into_iter()
                .map(|(l, _, _)| l)
                .collect();
            assert_eq!(got, want, "step {step}");
        }
    }
}
