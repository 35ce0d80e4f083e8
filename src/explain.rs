//! Explanations: every step of a computation with the numbers substituted and the clause each
//! rule comes from — what an inspector reads out to the owner of the instrument.
//!
//! An explanation is data (a list of [`Step`]s), not printed text; the CLI renders it.
//!
//! ```
//! use verimeter::dispenser::{evaluate_draw, Draw, TestPoint};
//! use verimeter::explain::explain_draw;
//! use verimeter::profile::DispenserProfile;
//! let p = DispenserProfile::builtin("jjg443-2015")?;
//! let d = Draw::new(TestPoint::Max, 20.10, 20.00).with_temperatures(25.0, 22.0).with_fuel("petrol");
//! let r = evaluate_draw(&p, p.stage(None)?, &d)?;
//! let steps = explain_draw(&r);
//! assert!(steps[1].substituted.contains("20 × [1 + 0.0012 × (25 − 22) + 0.00005 × (22 − 20)]"));
//! assert_eq!(steps.last().unwrap().value, "pass");
//! # Ok::<(), verimeter::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::dispenser::DrawResult;
use crate::taximeter::MeterTestResult;
use crate::tolerance::{PctLimits, LIMIT_SLACK_PCT};

/// One step of an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What is computed, e.g. "standard volume at the meter's conditions".
    pub title: String,
    /// The formula in symbols, e.g. "V_Bt = V_B × [1 + β_Y (t_J − t_B) + β_B (t_B − 20)]".
    pub formula: String,
    /// The formula with the numbers put in.
    pub substituted: String,
    /// The result, with its unit.
    pub value: String,
    /// Where the rule or the numbers come from.
    pub clause: String,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.title)?;
        if !self.formula.is_empty() {
            writeln!(f, "    {}", self.formula)?;
        }
        if !self.substituted.is_empty() {
            writeln!(f, "    = {}", self.substituted)?;
        }
        writeln!(f, "    → {}", self.value)?;
        if !self.clause.is_empty() {
            writeln!(f, "    [{}]", self.clause)?;
        }
        Ok(())
    }
}

fn step(title: &str, formula: &str, substituted: String, value: String, clause: &str) -> Step {
    Step {
        title: title.into(),
        formula: formula.into(),
        substituted,
        value,
        clause: clause.into(),
    }
}

/// A number as a person writes it: shortest round-trip form, minus signs as "−".
fn n(x: f64) -> String {
    format!("{x}").replace('-', "−")
}

/// A percentage rounded for reading (six significant decimals at most).
fn p(x: f64) -> String {
    let s = format!("{:+.6}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('-', "−")
}

fn judging_steps(
    steps: &mut Vec<Step>,
    error_pct: f64,
    judged: f64,
    limits: PctLimits,
    clause: &str,
    verdict: &str,
    profile: &str,
) {
    let (lower, upper) = (limits.lower, limits.upper);
    if judged != error_pct {
        steps.push(step(
            "error as judged (rounded to the limit's last digit)",
            "",
            p(error_pct),
            format!("{} %", p(judged)),
            "the profile's result-rounding rule",
        ));
    }
    steps.push(step(
        "maximum permissible error",
        "lower ≤ E ≤ upper (limits included)",
        if judged < lower - LIMIT_SLACK_PCT * lower.abs().max(1.0) {
            format!("{} % < {} % (below the lower limit)", p(judged), p(lower))
        } else if judged > upper + LIMIT_SLACK_PCT * upper.abs().max(1.0) {
            format!("{} % > {} % (above the upper limit)", p(judged), p(upper))
        } else {
            format!("{} % ≤ {} % ≤ {} %", p(lower), p(judged), p(upper))
        },
        format!("limits {} % … {} %", p(lower), p(upper)),
        clause,
    ));
    steps.push(step(
        "verdict",
        "",
        String::new(),
        verdict.to_string(),
        profile,
    ));
}

/// Every step of a dispenser draw's evaluation.
pub fn explain_draw(r: &DrawResult) -> Vec<Step> {
    let mut steps = vec![step(
        "readings",
        "V_J (dispenser), V_B (standard can)",
        format!("V_J = {} L, V_B = {} L", n(r.indicated_l), n(r.standard_l)),
        format!("test point {}", r.test_point),
        "",
    )];
    match &r.correction {
        Some(c) => steps.push(step(
            "standard volume at the meter's conditions",
            "V_Bt = V_B × [1 + β_Y (t_J − t_B) + β_B (t_B − t_ref)]",
            format!(
                "{} × [1 + {} × ({} − {}) + {} × ({} − {})]",
                n(r.standard_l),
                n(c.beta_fuel_per_c),
                n(c.dispenser_temp_c),
                n(c.can_temp_c),
                n(c.beta_can_per_c),
                n(c.can_temp_c),
                n(c.reference_temperature_c)
            ),
            format!("{} L (factor {})", n(r.corrected_standard_l), n(c.factor)),
            &format!(
                "JJG 443-2015 correction; β_Y: {}; β_B: {}",
                c.beta_fuel_source, c.beta_can_source
            ),
        )),
        None => steps.push(step(
            "standard volume",
            "V_Bt = V_B (no temperatures given: no correction)",
            String::new(),
            format!("{} L", n(r.corrected_standard_l)),
            "",
        )),
    }
    steps.push(step(
        "indication error",
        "E = (V_J − V_Bt) / V_Bt × 100 %",
        format!(
            "({} − {}) / {} × 100",
            n(r.indicated_l),
            n(r.corrected_standard_l),
            n(r.corrected_standard_l)
        ),
        format!("{} %", p(r.error_pct)),
        "positive: the dispenser indicates more than it delivers",
    ));
    if let Some(a) = &r.amount {
        // V_J in the unit the price is per: litres, or as read (e.g. US gallons).
        let mut formula = "|amount − round(unit price × V_J)| ≤ allowance".to_string();
        let v_j = match &a.price_volume {
            Some(p) => {
                formula += &format!(" (price per {0}, V_J in {0})", p.unit.symbol());
                n(p.indicated)
            }
            None => n(r.indicated_l),
        };
        steps.push(step(
            "amount",
            &formula,
            format!(
                "|{} − round({} × {})| = |{} − {}| = {} ≤ {}",
                a.indicated_amount,
                a.unit_price,
                v_j,
                a.indicated_amount,
                a.computed_amount,
                a.difference.abs(),
                a.allowance
            ),
            a.verdict.to_string(),
            &a.clause,
        ));
    }
    let profile = format!(
        "{} v{}, stage {}",
        r.profile.id, r.profile.version, r.profile.stage
    );
    judging_steps(
        &mut steps,
        r.error_pct,
        r.judged_error_pct,
        r.limits_pct,
        &r.clause,
        r.verdict.as_str(),
        &profile,
    );
    if let Some(d) = &r.decision {
        let last = steps.len() - 1;
        steps.insert(
            last,
            step(
                "decision rule",
                "guard band w = r × U",
                format!(
                    "U = {} % (k = {}), w = {} %",
                    p(d.expanded_uncertainty_pct),
                    n(d.k),
                    p(d.guard_band_pct)
                ),
                d.rule.clone(),
                &format!("ILAC-G8:2019; budget: {}", d.budget),
            ),
        );
    }
    steps
}

/// Every step of a taximeter distance or time test.
pub fn explain_meter_test(r: &MeterTestResult) -> Vec<Step> {
    let unit = r.unit.symbol();
    let mut steps = vec![
        step(
            "readings",
            "reference, indicated",
            format!(
                "reference = {} {unit}, indicated = {} {unit}",
                n(r.reference),
                n(r.indicated)
            ),
            format!("{} test", r.kind.as_str()),
            "",
        ),
        step(
            "error",
            "δ = (indicated − reference) / reference × 100 %",
            format!(
                "({} − {}) / {} × 100",
                n(r.indicated),
                n(r.reference),
                n(r.reference)
            ),
            format!("{} %", p(r.error_pct)),
            "positive: the meter over-registers (against the passenger)",
        ),
    ];
    let profile = format!(
        "{} v{}, stage {}",
        r.profile.id, r.profile.version, r.profile.stage
    );
    judging_steps(
        &mut steps,
        r.error_pct,
        r.judged_error_pct,
        r.limits_pct,
        &r.clause,
        r.verdict.as_str(),
        &profile,
    );
    steps
}
