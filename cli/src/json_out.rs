//! `--format json`: one JSON object `{profile, rows, nozzles, summary}`.
//!
//! The field names are a public contract. The structs below borrow from the report so that
//! nothing is computed twice: every number is the library's, serialised as it is.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use verimeter::decision::DecisionStatement;
use verimeter::dispenser::{
    AmountResult, DrawResult, NozzleSummary, TestPointSummary, ThermalCorrection,
};
use verimeter::profile::{DispenserProfile, DispenserStage};
use verimeter::Verdict;

use crate::dispenser_cmd::Row;

/// The decision fields of a judged row (flattened into it), where a decision rule applied.
#[derive(Serialize)]
pub struct RowDecision<'a> {
    /// U of the error, percentage points.
    pub expanded_uncertainty_pct: f64,
    /// Its coverage factor k.
    pub coverage_factor: f64,
    /// The rule's name.
    pub decision_rule: &'a str,
    /// w = R·U, percentage points.
    pub guard_band_pct: f64,
    /// Where U comes from.
    pub budget: &'a str,
}

impl<'a> RowDecision<'a> {
    /// The fields of the library's statement.
    pub fn new(d: &'a DecisionStatement) -> Self {
        Self {
            expanded_uncertainty_pct: d.expanded_uncertainty_pct,
            coverage_factor: d.k,
            decision_rule: &d.rule,
            guard_band_pct: d.guard_band_pct,
            budget: &d.budget,
        }
    }
}

#[derive(Serialize)]
pub(crate) struct ProfileInfo<'a> {
    id: &'a str,
    version: &'a str,
    title: &'a str,
    stage: &'a str,
}

#[derive(Serialize)]
pub(crate) struct JsonRow<'a> {
    line: u64,
    nozzle: &'a str,
    test_point: &'a str,
    #[serde(flatten)]
    body: RowBody<'a>,
    extra: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RowBody<'a> {
    Judged(Judged<'a>),
    Error { error: String },
}

#[derive(Serialize)]
struct Judged<'a> {
    error_pct: f64,
    judged_error_pct: f64,
    mpe_pct: f64,
    lower_limit_pct: f64,
    upper_limit_pct: f64,
    verdict: Verdict,
    indication_verdict: Verdict,
    indicated_l: f64,
    standard_l: f64,
    corrected_standard_l: f64,
    clause: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thermal_correction: Option<&'a ThermalCorrection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_check: Option<&'a AmountResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_l_min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mmq_l: Option<f64>,
    #[serde(flatten)]
    decision: Option<RowDecision<'a>>,
}

impl<'a> Judged<'a> {
    fn new(r: &'a DrawResult) -> Self {
        Self {
            error_pct: r.error_pct,
            judged_error_pct: r.judged_error_pct,
            mpe_pct: r.mpe_pct,
            lower_limit_pct: r.limits_pct.lower,
            upper_limit_pct: r.limits_pct.upper,
            verdict: r.verdict,
            indication_verdict: r.indication_verdict,
            indicated_l: r.indicated_l,
            standard_l: r.standard_l,
            corrected_standard_l: r.corrected_standard_l,
            clause: &r.clause,
            thermal_correction: r.correction.as_ref(),
            amount_check: r.amount.as_ref(),
            flow_l_min: r.flow_l_min,
            mmq_l: r.mmq_l,
            decision: r.decision.as_ref().map(RowDecision::new),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct JsonNozzle<'a> {
    nozzle: &'a str,
    verdict: Verdict,
    repeatability: Vec<JsonRepeatability<'a>>,
    test_points: &'a [TestPointSummary],
    reasons: &'a [String],
}

/// One test point's repeatability; all `null` (but `draws`) where it was not judged (one
/// draw, or the stage does not judge it there).
#[derive(Serialize)]
struct JsonRepeatability<'a> {
    test_point: &'a str,
    draws: usize,
    value_pct: Option<f64>,
    judged_value_pct: Option<f64>,
    limit_pct: Option<f64>,
    verdict: Option<Verdict>,
    clause: Option<&'a str>,
}

pub(crate) fn nozzle<'a>(name: &'a str, s: &'a NozzleSummary) -> JsonNozzle<'a> {
    let repeatability = s
        .test_points
        .iter()
        .map(|tp| {
            let r = tp.repeatability.as_ref();
            JsonRepeatability {
                test_point: tp.test_point.as_str(),
                draws: tp.draws,
                value_pct: r.map(|r| r.value_pct),
                judged_value_pct: r.map(|r| r.judged_value_pct),
                limit_pct: r.map(|r| r.limit_pct),
                verdict: r.map(|r| r.verdict),
                clause: r.map(|r| r.clause.as_str()),
            }
        })
        .collect();
    JsonNozzle {
        nozzle: name,
        verdict: s.verdict,
        repeatability,
        test_points: &s.test_points,
        reasons: &s.reasons,
    }
}

pub(crate) fn row<'a>(extra: &'a [(usize, String)], r: &'a Row) -> JsonRow<'a> {
    let extra = extra
        .iter()
        .map(|(i, name)| (name.as_str(), r.input.fields[*i].as_str()))
        .collect();
    let (test_point, body) = match &r.outcome {
        Ok(d) => (d.test_point.as_str(), RowBody::Judged(Judged::new(d))),
        Err(_) => (
            r.input.test_point.as_str(),
            RowBody::Error {
                error: r.error().unwrap_or_default(),
            },
        ),
    };
    JsonRow {
        line: r.input.line,
        nozzle: &r.input.nozzle,
        test_point,
        body,
        extra,
    }
}

impl<'a> ProfileInfo<'a> {
    /// `profile` and `stage`.
    pub(crate) fn new(profile: &'a DispenserProfile, stage: &'a DispenserStage) -> Self {
        Self {
            id: &profile.id,
            version: &profile.version,
            title: &profile.title,
            stage: &stage.name,
        }
    }
}

/// A pretty-printed JSON object written as it goes, its lists (rows, nozzles) one element at
/// a time: the very bytes of `serde_json::to_string_pretty` of the whole object plus a
/// newline (two-space indent; each value is pretty-printed on its own and indented to its
/// depth, which is safe because JSON text has no raw newline inside a string).
#[derive(Default)]
pub struct JsonWriter {
    buf: Vec<u8>,
    /// Top-level fields written.
    fields: usize,
    /// Items written in the open list, when a list is open.
    list: Option<usize>,
}

impl JsonWriter {
    /// `value` pretty-printed, its lines after the first indented by `indent`.
    fn value(
        &mut self,
        w: &mut dyn Write,
        value: &impl Serialize,
        indent: &[u8],
    ) -> io::Result<()> {
        self.buf.clear();
        serde_json::to_writer_pretty(&mut self.buf, value)?;
        for (i, line) in self.buf.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                w.write_all(b"\n")?;
                w.write_all(indent)?;
            }
            w.write_all(line)?;
        }
        Ok(())
    }

    /// `{` or `,`, then `"key": ` (closing the open list first).
    fn key(&mut self, w: &mut dyn Write, key: &str) -> io::Result<()> {
        match self.list.take() {
            Some(0) => w.write_all(b"]")?,
            Some(_) => w.write_all(b"\n  ]")?,
            None => {}
        }
        let open: &[u8] = if self.fields == 0 { b"{" } else { b"," };
        w.write_all(open)?;
        write!(w, "\n  \"{key}\": ")?;
        self.fields += 1;
        Ok(())
    }

    /// A top-level field.
    pub fn field(
        &mut self,
        w: &mut dyn Write,
        key: &str,
        value: &impl Serialize,
    ) -> io::Result<()> {
        self.key(w, key)?;
        self.value(w, value, b"  ")
    }

    /// Opens the top-level list `key` (closing the open one).
    pub fn list(&mut self, w: &mut dyn Write, key: &str) -> io::Result<()> {
        self.key(w, key)?;
        w.write_all(b"[")?;
        self.list = Some(0);
        Ok(())
    }

    /// One element of the open list.
    pub fn item(&mut self, w: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
        let n = self.list.get_or_insert(0);
        w.write_all(if *n == 0 { b"\n    " } else { b",\n    " })?;
        *n += 1;
        self.value(w, value, b"    ")
    }

    /// The last field, then `}` and a newline.
    pub fn finish(
        &mut self,
        w: &mut dyn Write,
        key: &str,
        value: &impl Serialize,
    ) -> io::Result<()> {
        self.field(w, key, value)?;
        w.write_all(b"\n}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::JsonWriter;
    use serde_json::{json, Value};

    /// The document written piece by piece, as the commands do.
    fn streamed(
        head: &[(&str, Value)],
        lists: &[(&str, Vec<Value>)],
        last: (&str, Value),
    ) -> String {
        let mut out = Vec::new();
        let mut w = JsonWriter::default();
        for (k, v) in head {
            w.field(&mut out, k, v).unwrap();
        }
        for (k, items) in lists {
            w.list(&mut out, k).unwrap();
            for item in items {
                w.item(&mut out, item).unwrap();
            }
        }
        w.finish(&mut out, last.0, &last.1).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The same document built whole and pretty-printed by serde_json (its map may sort the
    /// keys, so the test keys are in alphabetical order).
    fn whole(head: &[(&str, Value)], lists: &[(&str, Vec<Value>)], last: (&str, Value)) -> String {
        let mut object = serde_json::Map::new();
        for (k, v) in head {
            object.insert(k.to_string(), v.clone());
        }
        for (k, items) in lists {
            object.insert(k.to_string(), Value::Array(items.clone()));
        }
        object.insert(last.0.to_string(), last.1);
        let mut text = serde_json::to_string_pretty(&Value::Object(object)).unwrap();
        text.push('\n');
        text
    }

    #[test]
    fn writer_gives_the_bytes_of_to_string_pretty() {
        let row = json!({"a": 1.5, "b": "x \"q\"\n\\ é", "c": [], "d": {}, "e": [1, {"f": null}], "g": {"h": [true]}});
        for rows in [
            vec![],
            vec![row.clone()],
            vec![row.clone(), json!(3), json!("s")],
        ] {
            for nozzles in [vec![], vec![json!({"n": [1, 2]})]] {
                for with_decision in [false, true] {
                    let mut head = vec![("a_profile", json!({"id": "p", "v": "1"}))];
                    if with_decision {
                        head.push(("b_decision", json!({"rule": "simple", "r": 0.0})));
                    }
                    let lists = [("c_rows", rows.clone()), ("d_nozzles", nozzles.clone())];
                    let last = ("e_summary", json!({"rows": 3, "z": 0}));
                    assert_eq!(
                        streamed(&head, &lists, last.clone()),
                        whole(&head, &lists, last)
                    );
                }
            }
        }
    }
}
