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

use crate::decide::DecisionJson;
use crate::dispenser_cmd::{Counts, Row};

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

/// `value` as pretty-printed JSON with a final newline. Serialising plain structs of strings
/// and finite numbers cannot fail; if it ever did, an error object is still valid JSON.
pub fn pretty(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    text.push('\n');
    text
}

/// `--format json` written as it goes, the rows and nozzles one at a time: the very bytes of
/// `serde_json::to_string_pretty` of the whole document `{profile, [decision_rule,] rows,
/// nozzles, summary}` plus a newline (serde_json's pretty printer, two-space indent; each value is pretty-printed on
/// its own and indented to its depth, which is safe because JSON text has no raw newline
/// inside a string).
#[derive(Default)]
pub struct JsonWriter {
    buf: Vec<u8>,
    /// Items written in the open list.
    items: usize,
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

    /// `{`, the profile, the decision rule (if any), and opens `rows`.
    pub fn start(
        &mut self,
        w: &mut dyn Write,
        profile: &ProfileInfo,
        decision: Option<DecisionJson>,
    ) -> io::Result<()> {
        w.write_all(b"{\n  \"profile\": ")?;
        self.value(w, profile, b"  ")?;
        if let Some(d) = decision {
            w.write_all(b",\n  \"decision_rule\": ")?;
            self.value(w, &d, b"  ")?;
        }
        w.write_all(b",\n  \"rows\": [")?;
        self.items = 0;
        Ok(())
    }

    /// One element of the open list (`rows`, then `nozzles`).
    pub fn item(&mut self, w: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
        w.write_all(if self.items == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        self.value(w, value, b"    ")?;
        self.items += 1;
        Ok(())
    }

    fn close_list(&mut self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(if self.items == 0 { b"]" } else { b"\n  ]" })?;
        self.items = 0;
        Ok(())
    }

    /// Closes `rows`, opens `nozzles`.
    pub fn nozzles(&mut self, w: &mut dyn Write) -> io::Result<()> {
        self.close_list(w)?;
        w.write_all(b",\n  \"nozzles\": [")
    }

    /// Closes `nozzles`, writes the summary and `}`.
    pub fn finish(&mut self, w: &mut dyn Write, counts: &Counts) -> io::Result<()> {
        self.close_list(w)?;
        w.write_all(b",\n  \"summary\": ")?;
        self.value(w, counts, b"  ")?;
        w.write_all(b"\n}\n")
    }
}
