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
//! Streaming: the header (the union of the keys) must be known before the first row is
//! judged and written, so a JSON input is read twice: once for the keys (and to find a
//! document that is not JSON before any output), once for the rows. Memory stays constant
//! for a file; standard input is read into memory first (it cannot be read twice).
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
use crate::input::{map_columns, parse_record, stream_csv, DrawSink, Flow};

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

/// Reads the draws of `path` (`-`: standard input) in `format` into `sink`, row by row.
/// `Err` is a fatal message: an input problem (named after the file) or the sink's own.
/// `progress`: show the progress bar ([`crate::csvread::with_input`]); a JSON file is read
/// twice, so its bar runs once per pass; JSON from standard input shows it while it is
/// read into memory.
pub fn stream(
    path: &Path,
    format: InputFormat,
    progress: bool,
    sink: &mut dyn DrawSink,
) -> Result<(), String> {
    let outcome = match format {
        InputFormat::Csv => crate::csvread::with_input(path, progress, |r| stream_csv(r, sink)),
        InputFormat::Jsonl | InputFormat::Json => {
            let jsonl = format == InputFormat::Jsonl;
            if path.as_os_str() == "-" {
                let mut data = Vec::new();
                crate::csvread::with_input(path, progress, |r| {
                    r.read_to_end(&mut data)
                        .map(drop)
                        .map_err(|e| format!("cannot read the input: {e}"))
                })?;
                let mut read = |f: &mut dyn FnMut(&mut dyn Read) -> Result<Flow, String>| {
                    f(&mut data.as_slice()).map_err(|e| format!("<stdin>: {e}"))
                };
                two_passes(jsonl, &mut read, sink)
            } else {
                let mut read = |f: &mut dyn FnMut(&mut dyn Read) -> Result<Flow, String>| {
                    crate::csvread::with_input(path, progress, |r| f(r))
                };
                two_passes(jsonl, &mut read, sink)
            }
        }
    };
    outcome.and_then(|flow| flow)
}

/// Opens the input and runs a pass over it; input errors come back named after the input.
type Reread<'a> = &'a mut dyn FnMut(
    &mut dyn FnMut(&mut dyn Read) -> Result<Flow, String>,
) -> Result<Flow, String>;

/// The keys pass, then the rows pass, each through `read`.
fn two_passes(jsonl: bool, read: Reread, sink: &mut dyn DrawSink) -> Result<Flow, String> {
    let items: fn(&mut dyn Read, OnItem) -> Result<Flow, String> =
        if jsonl { jsonl_items } else { json_items };
    let mut keys = Keys::default();
    if let Err(e) = read(&mut |r| {
        items(r, &mut |_, item| {
            keys.learn(item.as_ref());
            Ok(())
        })
    })? {
        return Ok(Err(e));
    }
    let mut keys = Some(keys);
    read(&mut |r| {
        // Named after the input, as the other input problems.
        let head = keys.take().unwrap_or_default().finish()?;
        let columns = map_columns(&head)?;
        if let Err(e) = sink.start(head.header.clone(), columns.clone()) {
            return Ok(Err(e));
        }
        items(r, &mut |line, item| {
            sink.row(parse_record(head_record(&head, line, item), &columns))
        })
    })
}

/// An object's members in written order (serde_json's own map sorts them).
type Object = Vec<(String, Value)>;

/// The header: the keys of every object, in first-appearance order.
#[derive(Default)]
struct Keys {
    header: Vec<String>,
    lower: Vec<String>,
}

impl Keys {
    /// Adds the keys of one object not seen before.
    fn learn(&mut self, item: Result<&Object, &String>) {
        for (key, _) in item.into_iter().flatten() {
            let name = key.trim();
            let lower = name.to_ascii_lowercase();
            if !self.lower.contains(&lower) {
                self.header.push(name.to_string());
                self.lower.push(lower);
            }
        }
    }

    fn finish(self) -> Result<RawFile, String> {
        if self.header.is_empty() {
            return Err(format!(
                "the input has no JSON object with fields: expected objects with at least {LEAST}"
            ));
        }
        Ok(RawFile {
            header: self.header,
            lower: self.lower,
        })
    }
}

/// One object (or why the item is not one) at `line` as a record of `head` (which has
/// every key of the input).
fn head_record(head: &RawFile, line: u64, item: Result<Object, String>) -> RawRecord {
    let mut fields = vec![String::new(); head.header.len()];
    let mut problem = None;
    match item {
        Err(reason) => problem = Some(reason),
        Ok(object) => {
            let mut seen = Vec::with_capacity(object.len());
            for (key, value) in object {
                let name = key.trim();
                let lower = name.to_ascii_lowercase();
                let Some(i) = head.lower.iter().position(|h| *h == lower) else {
                    continue;
                };
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
    RawRecord {
        line,
        fields,
        problem: problem.map(|reason| Error::Unreadable { reason }),
    }
}

/// What is done with each item: `Err` stops the reading (a sink's fatal message).
type OnItem<'a> = &'a mut dyn FnMut(u64, Result<Object, String>) -> Flow;

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

/// The top level of a `.json` input: an array of items (each handed on as it is read), or
/// what else it is.
enum Top {
    Array,
    Other(&'static str),
}

/// Reads the top level, handing each element to `on_item`; a stop is kept in `stop`.
struct TopKind<'a, 'b> {
    on_item: OnItem<'a>,
    stop: &'b mut Option<String>,
}

impl<'de> Visitor<'de> for TopKind<'_, '_> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        let mut index = 0u64;
        while let Some(item) = seq.next_element::<Item>()? {
            index += 1;
            if let Err(e) = (self.on_item)(index, item.object()) {
                *self.stop = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(Top::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Top::Other("an object"))
    }

    scalar_kinds!(Top, Top::Other);
}

impl<'de> de::DeserializeSeed<'de> for TopKind<'_, '_> {
    type Value = Top;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

/// JSON Lines: one object per physical line; blank lines are skipped; a line that is not a
/// JSON object is a row error (the other rows are still judged).
fn jsonl_items(input: &mut dyn Read, on_item: OnItem) -> Result<Flow, String> {
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
                if let Err(e) = on_item(line, Err("not valid UTF-8".into())) {
                    return Ok(Err(e));
                }
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let item = serde_json::from_str::<Item>(text)
            .map_err(|e| format!("not a JSON object: {e}"))
            .and_then(Item::object);
        if let Err(e) = on_item(line, item) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// One JSON array of objects, element by element; a document that is not an array is
/// fatal, an element that is not an object is a row error.
fn json_items(input: &mut dyn Read, on_item: OnItem) -> Result<Flow, String> {
    let mut stop = None;
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(input));
    let seed = TopKind {
        on_item,
        stop: &mut stop,
    };
    let top = de::DeserializeSeed::deserialize(seed, &mut de).and_then(|t| de.end().map(|()| t));
    if let Some(e) = stop {
        return Ok(Err(e));
    }
    match top.map_err(|e| format!("not a JSON document: {e}"))? {
        Top::Array => Ok(Ok(())),
        Top::Other(what) => Err(format!("expected a JSON array of objects, got {what}")),
    }
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
