//! Dispenser draws in JSON: JSON Lines (`.jsonl`, `.ndjson`: one object per line) or one JSON
//! array of objects (`.json`), with the field names of the CSV columns.
//!
//! Each object is mapped onto the same raw record the CSV layer produces (header = the
//! union of the keys, in first-appearance order, case-insensitive; a cell per key), and then
//! read by the very code that reads CSV records ([`crate::input::draws_from_raw`]): the
//! same cell parsing, the same error messages. Values: a string is the cell as written, a
//! number its JSON text, `null` (or an absent key) an empty cell, `true`/`false` their text;
//! an array or an object is a row error. Money is exact only as written: give `unit_price`
//! and `amount` as strings (`"157.00"`) to keep their digits.
//!
//! Line numbers: JSON Lines rows carry their physical line (1-based; blank lines are
//! skipped but counted); the rows of a JSON array carry their index + 1 (the first element
//! is "line 1").

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use verimeter::Error;

use crate::csvread::{RawFile, RawRecord};
use crate::input::{draws_from_raw, read_draws, DrawFile};

/// The input formats of `verimeter dispenser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// CSV with a header row (the default).
    Csv,
    /// JSON Lines: one object per line.
    Jsonl,
    /// One JSON array of objects.
    Json,
}

impl InputFormat {
    /// `--input-format` when given, else by the file's extension (`.jsonl`, `.ndjson`,
    /// `.json`, case-insensitive), else CSV (standard input included).
    pub fn detect(flag: Option<InputFormat>, path: &Path) -> InputFormat {
        if let Some(f) = flag {
            return f;
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "ndjson") => InputFormat::Jsonl,
            Some("json") => InputFormat::Json,
            _ => InputFormat::Csv,
        }
    }
}

/// The columns named in the fatal message for an input without any object.
const LEAST: &str = "nozzle, test_point, indicated_l, standard_l";

/// Reads draws in `format`.
pub fn read(input: &mut dyn Read, format: InputFormat) -> Result<DrawFile, String> {
    match format {
        InputFormat::Csv => read_draws(input),
        InputFormat::Jsonl => draws_from_raw(jsonl(input)?),
        InputFormat::Json => draws_from_raw(json_array(input)?),
    }
}

/// An object's members in written order (serde_json's own map sorts them).
type Object = Vec<(String, Value)>;

/// The header and records being built from objects.
#[derive(Default)]
struct Builder {
    header: Vec<String>,
    lower: Vec<String>,
    records: Vec<RawRecord>,
}

impl Builder {
    /// One object (or why the item is not one) at `line`.
    fn push(&mut self, line: u64, item: Result<Object, String>) {
        let mut fields = vec![String::new(); self.header.len()];
        let mut problem = None;
        match item {
            Err(reason) => problem = Some(reason),
            Ok(object) => {
                let mut seen = Vec::with_capacity(object.len());
                for (key, value) in object {
                    let name = key.trim().to_string();
                    let lower = name.to_ascii_lowercase();
                    let i = match self.lower.iter().position(|h| *h == lower) {
                        Some(i) => i,
                        None => {
                            self.header.push(name.clone());
                            self.lower.push(lower);
                            self.header.len() - 1
                        }
                    };
                    if fields.len() <= i {
                        fields.resize(i + 1, String::new());
                    }
                    if seen.contains(&i) {
                        problem.get_or_insert(format!(
                            "key {name:?} appears more than once (case-insensitive)"
                        ));
                        continue;
                    }
                    seen.push(i);
                    match cell(value) {
                        Ok(text) => fields[i] = text,
                        Err(what) => {
                            problem.get_or_insert(format!(
                                "{name}: expected a string, a number or null, got {what}"
                            ));
                        }
                    }
                }
            }
        }
        self.records.push(RawRecord {
            line,
            fields,
            problem: problem.map(|reason| Error::Unreadable { reason }),
        });
    }

    fn finish(self) -> Result<RawFile, String> {
        if self.header.is_empty() {
            return Err(format!(
                "the input has no JSON object with fields: expected objects with at least {LEAST}"
            ));
        }
        let width = self.header.len();
        let records = self
            .records
            .into_iter()
            .map(|mut r| {
                r.fields.resize(width, String::new());
                r
            })
            .collect();
        Ok(RawFile {
            header: self.header,
            lower: self.lower,
            records,
        })
    }
}

/// A JSON value as a CSV cell; `Err` names what it is when it cannot be one.
fn cell(v: Value) -> Result<String, &'static str> {
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Array(_) => Err("an array"),
        Value::Object(_) => Err("an object"),
    }
}

/// One item of the input: an object (members in written order), or what else it is.
enum Item {
    Object(Object),
    Other(&'static str),
}

impl Item {
    fn object(self) -> Result<Object, String> {
        match self {
            Item::Object(o) => Ok(o),
            Item::Other(what) => Err(format!("not a JSON object: {what}")),
        }
    }
}

/// What a non-object value is, for messages.
struct Kind;

macro_rules! scalar_kinds {
    ($t:ty, $wrap:path) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$t, E> {
            Ok($wrap("a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$t, E> {
            Ok($wrap("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$t, E> {
            Ok($wrap("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$t, E> {
            Ok($wrap("a number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$t, E> {
            Ok($wrap("a string"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<$t, E> {
            Ok($wrap("null"))
        }
    };
}

impl<'de> Visitor<'de> for Kind {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let mut v = Vec::new();
        while let Some(entry) = map.next_entry::<String, Value>()? {
            v.push(entry);
        }
        Ok(Item::Object(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Item::Other("an array"))
    }

    scalar_kinds!(Item, Item::Other);
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Kind)
    }
}

/// The top level of a `.json` input: an array of items, or what else it is.
enum Top {
    Array(Vec<Item>),
    Other(&'static str),
}

struct TopKind;

impl<'de> Visitor<'de> for TopKind {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        let mut v = Vec::new();
        while let Some(item) = seq.next_element::<Item>()? {
            v.push(item);
        }
        Ok(Top::Array(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Top::Other("an object"))
    }

    scalar_kinds!(Top, Top::Other);
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopKind)
    }
}

/// JSON Lines: one object per physical line; blank lines are skipped; a line that is not a
/// JSON object is a row error (the other rows are still judged).
fn jsonl(input: &mut dyn Read) -> Result<RawFile, String> {
    let mut b = Builder::default();
    let mut reader = BufReader::new(input);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("cannot read the input: {e}"))?;
        if n == 0 {
            break;
        }
        line += 1;
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim_start_matches('\u{feff}').trim(),
            Err(_) => {
                b.push(line, Err("not valid UTF-8".into()));
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let item = serde_json::from_str::<Item>(text)
            .map_err(|e| format!("not a JSON object: {e}"))
            .and_then(Item::object);
        b.push(line, item);
    }
    b.finish()
}

/// One JSON array of objects; a document that is not an array is fatal, an element that is
/// not an object is a row error.
fn json_array(input: &mut dyn Read) -> Result<RawFile, String> {
    let doc: Top = serde_json::from_reader(BufReader::new(input))
        .map_err(|e| format!("not a JSON document: {e}"))?;
    let items = match doc {
        Top::Array(items) => items,
        Top::Other(what) => return Err(format!("expected a JSON array of objects, got {what}")),
    };
    let mut b = Builder::default();
    for (i, item) in items.into_iter().enumerate() {
        b.push(i as u64 + 1, item.object());
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let d = |f, p: &str| InputFormat::detect(f, Path::new(p));
        assert_eq!(d(None, "a.csv"), InputFormat::Csv);
        assert_eq!(d(None, "a.JSONL"), InputFormat::Jsonl);
        assert_eq!(d(None, "a.ndjson"), InputFormat::Jsonl);
        assert_eq!(d(None, "a.json"), InputFormat::Json);
        assert_eq!(d(None, "-"), InputFormat::Csv);
        assert_eq!(d(Some(InputFormat::Jsonl), "-"), InputFormat::Jsonl);
    }
}
