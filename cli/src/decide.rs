//! The decision-rule flags shared by `dispenser` and `taximeter`: which rule, which budget,
//! and the per-row expanded uncertainty U given directly in a column.
//!
//! The rule itself and every budget are the library's ([`DecisionRule::decide`], the budget
//! specs of `verimeter::uncertainty`); this module only reads flags and files.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use verimeter::decision::DecisionRule;
use verimeter::uncertainty::Expanded;
use verimeter::Error;

use crate::args::DecisionArgs;

/// The decision applied to every judged row, when U is weighed or shown.
#[derive(Debug, Clone)]
pub struct Decision<S> {
    /// The rule (with its guard factor).
    pub rule: DecisionRule,
    /// The guard factor R as applied (0 for the simple rule).
    pub guard_factor: f64,
    /// Where U comes from, for people and the JSON `decision_rule.budget` field.
    pub source: String,
    /// The budget spec rows start from (the default, or the --budget file).
    pub spec: S,
}

/// The top-level JSON object `decision_rule`.
#[derive(Debug, Serialize)]
pub struct DecisionJson<'a> {
    /// The rule's name.
    pub rule: &'static str,
    /// R (0 for simple).
    pub guard_factor: f64,
    /// Where U comes from.
    pub budget: &'a str,
}

impl<S> Decision<S> {
    /// The JSON object `{rule, guard_factor, budget}`.
    pub fn json(&self) -> DecisionJson<'_> {
        DecisionJson {
            rule: self.rule.name(),
            guard_factor: self.guard_factor,
            budget: &self.source,
        }
    }

    /// The header line of the table format.
    pub fn headline(&self) -> String {
        let how = match self.rule {
            DecisionRule::Simple => "U shown, not weighed".to_string(),
            _ => format!("guard factor {}", self.guard_factor),
        };
        format!(
            "decision rule {} ({how}) — U from {}",
            self.rule.name(),
            self.source
        )
    }
}

/// Reads the decision flags. `None` when the output is the plain comparison with the limits:
/// rule `simple`, no `--uncertainty`, no `--budget`, and no uncertainty column in the file
/// (`has_columns`).
///
/// `default_source` names the default budget; `check` evaluates one budget from the spec so
/// that a bad `--budget` file is a usage error, not an error on every row.
pub fn setup<S: DeserializeOwned + Serialize + Default>(
    args: &DecisionArgs,
    has_columns: bool,
    default_source: &str,
    check: impl Fn(&S) -> Result<(), Error>,
) -> Result<Option<Decision<S>>, String> {
    let rule = DecisionRule::parse(&args.decision_rule, args.guard_factor)
        .map_err(|e| format!("--decision-rule: {e}"))?;
    if !(args.guard_factor.is_finite() && args.guard_factor >= 0.0) {
        return Err(format!(
            "--guard-factor must be a finite number >= 0, got {}",
            args.guard_factor
        ));
    }
    let simple = matches!(rule, DecisionRule::Simple);
    if simple && !args.uncertainty && args.budget.is_none() && !has_columns {
        return Ok(None);
    }
    let (spec, source) = match &args.budget {
        Some(path) => (
            read_spec::<S>(path)?,
            format!("--budget {}", path.display()),
        ),
        None => (S::default(), default_source.to_string()),
    };
    if let Some(path) = &args.budget {
        check(&spec).map_err(|e| format!("--budget {}: {e}", path.display()))?;
    }
    Ok(Some(Decision {
        rule,
        guard_factor: if simple { 0.0 } else { args.guard_factor },
        source,
        spec,
    }))
}

/// A budget spec from a JSON file: missing fields keep their default, unknown fields are an
/// error naming them and the known ones.
fn read_spec<S: DeserializeOwned + Serialize + Default>(path: &Path) -> Result<S, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read budget file {}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("budget file {}: not valid JSON: {e}", path.display()))?;
    let known = serde_json::to_value(S::default()).unwrap_or_default();
    if let (Some(given), Some(known)) = (value.as_object(), known.as_object()) {
        let unknown: Vec<&str> = given
            .keys()
            .filter(|k| !known.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            let names: Vec<&str> = known.keys().map(String::as_str).collect();
            return Err(format!(
                "budget file {}: unknown field(s) {}; known fields: {}",
                path.display(),
                unknown.join(", "),
                names.join(", ")
            ));
        }
    }
    serde_json::from_value(value).map_err(|e| format!("budget file {}: {e}", path.display()))
}

/// U given directly in the `expanded_uncertainty_pct` column, with its coverage factor
/// (`coverage_factor` column, 2 when absent). The library checks U when deciding.
pub fn direct_u(u: f64, k: Option<f64>, p: f64) -> Result<Expanded, Error> {
    let u = non_negative("expanded_uncertainty_pct", u)?;
    let k = positive("coverage_factor", k.unwrap_or(2.0))?;
    Ok(Expanded { k, p, u })
}

/// `value` when it is finite and > 0, else an error naming the column.
pub fn positive(field: &'static str, value: f64) -> Result<f64, Error> {
    if !value.is_finite() {
        Err(Error::NotFinite { field, value })
    } else if value > 0.0 {
        Ok(value)
    } else {
        Err(Error::NotPositive { field, value })
    }
}

/// `value` when it is finite and >= 0, else an error naming the column.
pub fn non_negative(field: &'static str, value: f64) -> Result<f64, Error> {
    if !value.is_finite() {
        Err(Error::NotFinite { field, value })
    } else if value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::Negative { field, value })
    }
}
