//! Fuel-dispenser verification: draws → standard volume → indication error → verdicts.
//!
//! An inspector draws a test volume into a calibrated standard metal can, reads the can
//! (V_B, at the can's temperature t_B), notes the dispenser's indication (V_J) and the fuel
//! temperature at the meter (t_J). The can reading is brought to the meter's conditions
//! (JJG 443-2015; published uncertainty evaluation, 李阳华 2016):
//!
//! ```text
//! V_Bt = V_B · [1 + β_Y (t_J − t_B) + β_B (t_B − 20 °C)]
//! E    = (V_J − V_Bt) / V_Bt × 100 %
//! ```
//!
//! with β_Y the fuel's and β_B the can material's cubic expansion coefficient (both data in
//! the [profile](crate::profile)). Without temperatures there is no correction: V_Bt = V_B.
//! A positive E means the dispenser indicates more than it delivers (against the customer).
//!
//! Draws are judged one by one ([`evaluate_draw`]); the draws of one nozzle are then grouped
//! by test point for repeatability and required-test checks ([`summarize_nozzle`]).
//!
//! ```
//! use verimeter::dispenser::{evaluate_draw, Draw, TestPoint};
//! use verimeter::profile::DispenserProfile;
//! use verimeter::Verdict;
//!
//! let profile = DispenserProfile::builtin("jjg443-2015")?;
//! let stage = profile.stage(None)?;
//! // Worked example F2: V_J = 20.00 L, V_B = 20.05 L, t_J = t_B = 20 °C.
//! let draw = Draw::new(TestPoint::Max, 20.00, 20.05).with_temperatures(20.0, 20.0).with_fuel("petrol");
//! let r = evaluate_draw(&profile, stage, &draw)?;
//! assert!((r.error_pct - (-0.2494)).abs() < 1e-4);
//! assert_eq!(r.judged_error_pct, -0.25);
//! assert_eq!(r.verdict, Verdict::Pass);
//! # Ok::<(), verimeter::Error>(())
//! ```

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{finite, positive, Error, Result};
use crate::money::decimal_from_f64;
pub use crate::profile::ProfileRef;
use crate::profile::{
    AmountAllowance, DispenserProfile, DispenserStage, Expansion, RepeatabilityRule, ThermalRules,
};
use crate::tolerance::{judge, PctLimits, ToleranceContext, LIMIT_SLACK_PCT};
use crate::units::Unit;
use crate::verdict::Verdict;

/// The flow condition of a draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TestPoint {
    /// At (or near) the maximum flow rate.
    Max,
    /// At an intermediate flow rate.
    Intermediate,
    /// At (or near) the minimum flow rate (HB44: the slow-flow special test).
    Min,
    /// A draw of the minimum measured quantity.
    Mmq,
}

impl TestPoint {
    /// Every test point, in report order.
    pub const ALL: [TestPoint; 4] = [
        TestPoint::Max,
        TestPoint::Intermediate,
        TestPoint::Min,
        TestPoint::Mmq,
    ];

    /// The name used in CSV and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TestPoint::Max => "max",
            TestPoint::Intermediate => "intermediate",
            TestPoint::Min => "min",
            TestPoint::Mmq => "mmq",
        }
    }

    /// Parses `max`/`maximum`/`qmax`, `intermediate`/`mid`, `min`/`minimum`/`qmin`/`slow`,
    /// `mmq` (case-insensitive).
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "max" | "maximum" | "qmax" | "normal" => TestPoint::Max,
            "intermediate" | "mid" | "middle" | "medium" => TestPoint::Intermediate,
            "min" | "minimum" | "qmin" | "slow" | "special" => TestPoint::Min,
            "mmq" | "minimum_measured_quantity" | "min_quantity" => TestPoint::Mmq,
            other => {
                return Err(Error::UnknownName {
                    field: "test_point",
                    value: other.to_string(),
                    expected: "max, intermediate, min, mmq".into(),
                })
            }
        })
    }
}

impl fmt::Display for TestPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fuel or can material: a name the profile knows, or an explicit coefficient per °C.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Substance {
    /// An explicit cubic expansion coefficient, per °C.
    Coefficient(f64),
    /// A name or alias from the profile's table (`petrol`, `gasoline`, `stainless`, …).
    Named(String),
}

impl Substance {
    /// A number is read as a coefficient, anything else as a name.
    pub fn parse(text: &str) -> Self {
        match text.trim().parse::<f64>() {
            Ok(x) => Substance::Coefficient(x),
            Err(_) => Substance::Named(text.trim().to_string()),
        }
    }

    pub(crate) fn resolve<'a>(
        &'a self,
        field: &'static str,
        lookup: impl Fn(&str) -> Result<&'a Expansion>,
    ) -> Result<(f64, String)> {
        match self {
            Substance::Coefficient(b) => {
                finite(field, *b)?;
                if !(0.0..=0.01).contains(b) {
                    return Err(Error::OutOfScope {
                        field,
                        value: *b,
                        limit: 0.01,
                        clause: "an expansion coefficient must lie in [0, 0.01] per °C".into(),
                    });
                }
                Ok((*b, "explicit coefficient".into()))
            }
            Substance::Named(n) => {
                let e = lookup(n)?;
                Ok((e.beta_per_c, e.source.clone()))
            }
        }
    }
}

/// The price part of a draw: the unit price and the amount the dispenser showed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceReading {
    /// Unit price, per litre, or per the unit of the draw's [`Draw::price_volume`] where one
    /// is given (a US log prices per gallon).
    pub unit_price: Decimal,
    /// The indicated amount.
    pub amount: Decimal,
}

/// One test draw of one nozzle, as read by the inspector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Draw {
    /// The flow condition.
    pub test_point: TestPoint,
    /// V_J, the dispenser's indication, litres.
    pub indicated_l: f64,
    /// V_B, the standard can's reading at the can's temperature, litres.
    pub standard_l: f64,
    /// t_J, fuel temperature at the meter, °C.
    pub dispenser_temp_c: Option<f64>,
    /// t_B, fuel temperature in the can, °C.
    pub can_temp_c: Option<f64>,
    /// The fuel (needed with temperatures).
    pub fuel: Option<Substance>,
    /// The can's material (the profile's default when absent).
    pub can_material: Option<Substance>,
    /// The flow rate while drawing, L/min (reported, checked for sanity).
    pub flow_l_min: Option<f64>,
    /// The nozzle's minimum measured quantity, litres (for MID / R117 E_min).
    pub mmq_l: Option<f64>,
    /// The unit price and indicated amount, for the amount check.
    pub price: Option<PriceReading>,
    /// The unit the price is quoted per and V_J as read in it, where that unit is not the
    /// litre (`None`: the price is per litre). The amount check multiplies the unit price by
    /// this reading as given, so no rounding of a litre conversion can move an amount across
    /// a half-cent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_volume: Option<PriceVolume>,
}

/// The volume unit a unit price is quoted per, with the indication read in that unit: for
/// logs that read volumes and prices in another unit than the litre (NIST Handbook 44 logs in
/// US gallons, priced per gallon). "Indicated amount vs unit price × indicated volume" holds
/// in the price's own unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceVolume {
    /// The unit the price is per (e.g. [`Unit::UsGallon`]).
    pub unit: Unit,
    /// V_J in `unit`, as read.
    pub indicated: f64,
}

impl Draw {
    /// A draw with an indication and a can reading, nothing else.
    pub fn new(test_point: TestPoint, indicated_l: f64, standard_l: f64) -> Self {
        Self {
            test_point,
            indicated_l,
            standard_l,
            dispenser_temp_c: None,
            can_temp_c: None,
            fuel: None,
            can_material: None,
            flow_l_min: None,
            mmq_l: None,
            price: None,
            price_volume: None,
        }
    }

    /// Sets t_J (at the meter) and t_B (in the can), °C.
    pub fn with_temperatures(mut self, dispenser_temp_c: f64, can_temp_c: f64) -> Self {
        self.dispenser_temp_c = Some(dispenser_temp_c);
        self.can_temp_c = Some(can_temp_c);
        self
    }

    /// Sets the fuel by name (`petrol`, `gasoline`, `diesel`, `kerosene`) or coefficient text.
    pub fn with_fuel(mut self, fuel: &str) -> Self {
        self.fuel = Some(Substance::parse(fuel));
        self
    }

    /// Sets the can material by name (`stainless`, `carbon_steel`) or coefficient text.
    pub fn with_can_material(mut self, material: &str) -> Self {
        self.can_material = Some(Substance::parse(material));
        self
    }

    /// Sets the flow rate, L/min.
    pub fn with_flow(mut self, flow_l_min: f64) -> Self {
        self.flow_l_min = Some(flow_l_min);
        self
    }

    /// Sets the nozzle's minimum measured quantity, litres.
    pub fn with_mmq(mut self, mmq_l: f64) -> Self {
        self.mmq_l = Some(mmq_l);
        self
    }

    /// Sets the unit price and the indicated amount.
    pub fn with_price(mut self, unit_price: Decimal, amount: Decimal) -> Self {
        self.price = Some(PriceReading { unit_price, amount });
        self
    }

    /// Says that the unit price is per `unit` (not per litre), and gives V_J as read in that
    /// unit: the amount check then computes unit price × `indicated` exactly.
    ///
    /// ```
    /// use rust_decimal::Decimal;
    /// use verimeter::dispenser::{evaluate_draw, Draw, TestPoint};
    /// use verimeter::profile::DispenserProfile;
    /// use verimeter::units::Unit;
    ///
    /// // 5 US gallons at 3.00 $/gal show 15.00 $.
    /// let gal = Unit::UsGallon.to_base(5.0);
    /// let draw = Draw::new(TestPoint::Max, gal, gal)
    ///     .with_price(Decimal::new(300, 2), Decimal::new(1500, 2))
    ///     .with_price_per(Unit::UsGallon, 5.0);
    /// let profile = DispenserProfile::builtin("nist-hb44-3.30")?;
    /// let r = evaluate_draw(&profile, profile.stage(None)?, &draw)?;
    /// assert_eq!(r.amount.unwrap().computed_amount, Decimal::new(1500, 2));
    /// # Ok::<(), verimeter::Error>(())
    /// ```
    pub fn with_price_per(mut self, unit: Unit, indicated: f64) -> Self {
        self.price_volume = Some(PriceVolume { unit, indicated });
        self
    }
}

impl ProfileRef {
    /// The reference to `profile` at `stage`.
    pub fn new(profile: &DispenserProfile, stage: &DispenserStage) -> Self {
        Self::of(&profile.id, &profile.version, &stage.name)
    }
}

/// The thermal correction applied to a can reading, every factor shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThermalCorrection {
    /// t_J, °C.
    pub dispenser_temp_c: f64,
    /// t_B, °C.
    pub can_temp_c: f64,
    /// β_Y of the fuel, per °C.
    pub beta_fuel_per_c: f64,
    /// Where β_Y comes from.
    pub beta_fuel_source: String,
    /// β_B of the can, per °C.
    pub beta_can_per_c: f64,
    /// Where β_B comes from.
    pub beta_can_source: String,
    /// The can's reference temperature, °C.
    pub reference_temperature_c: f64,
    /// The factor 1 + β_Y (t_J − t_B) + β_B (t_B − t_ref).
    pub factor: f64,
}

/// The amount check of one draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmountResult {
    /// The unit price.
    pub unit_price: Decimal,
    /// The amount the dispenser showed.
    pub indicated_amount: Decimal,
    /// Unit price × indicated volume, rounded by the profile's rule.
    pub computed_amount: Decimal,
    /// The volume unit of the price and V_J in it, where the price is not per litre (the
    /// draw's [`Draw::price_volume`]); absent: per litre, V_J in litres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_volume: Option<PriceVolume>,
    /// indicated − computed.
    pub difference: Decimal,
    /// The largest difference allowed.
    pub allowance: Decimal,
    /// Pass when |difference| ≤ allowance.
    pub verdict: Verdict,
    /// The clause.
    pub clause: String,
}

/// Everything computed for one draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DrawResult {
    /// The profile and stage judged against.
    pub profile: ProfileRef,
    /// The flow condition.
    pub test_point: TestPoint,
    /// V_J, litres.
    pub indicated_l: f64,
    /// V_B, litres.
    pub standard_l: f64,
    /// V_Bt, the can reading brought to the meter's conditions, litres.
    pub corrected_standard_l: f64,
    /// The thermal correction, if temperatures were given.
    pub correction: Option<ThermalCorrection>,
    /// E, %, unrounded.
    pub error_pct: f64,
    /// E as judged: rounded by the profile's rule where it has one, else equal to `error_pct`.
    pub judged_error_pct: f64,
    /// The limits, % of V_Bt.
    pub limits_pct: PctLimits,
    /// The limit on the side of the error, % (the MPE the error was judged against).
    pub mpe_pct: f64,
    /// The clause(s) the limits come from.
    pub clause: String,
    /// The verdict on the indication error alone.
    pub indication_verdict: Verdict,
    /// The amount check, where a price was given and the stage judges amounts.
    pub amount: Option<AmountResult>,
    /// The flow rate, L/min, as given.
    pub flow_l_min: Option<f64>,
    /// The MMQ used by the tolerance, litres, where one was used or known.
    pub mmq_l: Option<f64>,
    /// The draw's verdict: the worst of the indication and amount verdicts.
    pub verdict: Verdict,
    /// The uncertainty and decision rule applied, where one was (see [`apply_decision`]).
    pub decision: Option<DecisionStatement>,
}

pub use crate::decision::DecisionStatement;

/// Re-judges a draw's indication error under a decision rule with the expanded uncertainty
/// `expanded` of E (percentage points), and records both on the result (ILAC-G8:2019).
///
/// The error judged is the one the profile judges (rounded where it rounds). The amount check
/// is exact and keeps its verdict.
///
/// ```
/// use verimeter::decision::DecisionRule;
/// use verimeter::dispenser::{apply_decision, evaluate_draw, Draw, TestPoint};
/// use verimeter::profile::DispenserProfile;
/// use verimeter::uncertainty::DispenserBudgetSpec;
/// use verimeter::Verdict;
/// let p = DispenserProfile::builtin("jjg443-2015")?;
/// let stage = p.stage(None)?;
/// let mut r = evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, 20.058, 20.0))?; // +0.29 %
/// let budget = DispenserBudgetSpec::default().budget(20.0, 12e-4, 0.0)?;
/// apply_decision(&mut r, budget.expanded, DecisionRule::NonBinary { guard_factor: 1.0 }, &budget.name)?;
/// assert_eq!(r.verdict, Verdict::ConditionalPass);
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn apply_decision(
    result: &mut DrawResult,
    expanded: crate::uncertainty::Expanded,
    rule: crate::decision::DecisionRule,
    budget: &str,
) -> Result<()> {
    let v = rule.decide(result.judged_error_pct, result.limits_pct, expanded.u)?;
    result.indication_verdict = v;
    result.verdict = result.amount.as_ref().map_or(v, |a| v.worst(a.verdict));
    result.decision = Some(DecisionStatement {
        expanded_uncertainty_pct: expanded.u,
        k: expanded.k,
        rule: rule.name().to_string(),
        guard_band_pct: rule.guard_band(expanded.u),
        budget: budget.to_string(),
    });
    Ok(())
}

/// V_Bt = V_B · [1 + β_Y (t_J − t_B) + β_B (t_B − t_ref)] — the can reading brought to the
/// meter's conditions (JJG 443-2015; 李阳华 2016). The one formula shared by the scalar and
/// batch paths.
#[inline]
pub fn corrected_standard_volume(
    standard_l: f64,
    dispenser_temp_c: f64,
    can_temp_c: f64,
    beta_fuel: f64,
    beta_can: f64,
    reference_temp_c: f64,
) -> f64 {
    standard_l
        * thermal_factor(
            dispenser_temp_c,
            can_temp_c,
            beta_fuel,
            beta_can,
            reference_temp_c,
        )
}

/// 1 + β_Y (t_J − t_B) + β_B (t_B − t_ref).
#[inline]
pub fn thermal_factor(t_j: f64, t_b: f64, beta_fuel: f64, beta_can: f64, t_ref: f64) -> f64 {
    1.0 + beta_fuel * (t_j - t_b) + beta_can * (t_b - t_ref)
}

/// E = (V_J − V_Bt) / V_Bt × 100 %. Positive: the dispenser indicates more than it delivers.
#[inline]
pub fn indication_error_pct(indicated_l: f64, corrected_standard_l: f64) -> f64 {
    (indicated_l - corrected_standard_l) / corrected_standard_l * 100.0
}

/// Judges one draw against a profile stage.
///
/// Errors (never panics): a non-finite or non-positive volume; a non-finite temperature; only
/// one of the two temperatures; temperatures without a fuel; an unknown fuel or can material;
/// |t_J − t_B| (or |t_B − 20 °C|) beyond the profile's applicability limit; a tolerance that
/// needs the MMQ when none is known; a price that overflows.
pub fn evaluate_draw(
    profile: &DispenserProfile,
    stage: &DispenserStage,
    draw: &Draw,
) -> Result<DrawResult> {
    let v_j = volume_in_scope("indicated_l", draw.indicated_l)?;
    let v_b = volume_in_scope("standard_l", draw.standard_l)?;
    if let Some(f) = draw.flow_l_min {
        positive("flow_l_min", f)?;
    }
    if let Some(m) = draw.mmq_l {
        volume_in_scope("mmq_l", m)?;
    }
    let correction = thermal_correction(profile, draw)?;
    let v_bt = match &correction {
        Some(c) => positive("corrected standard volume", v_b * c.factor)?,
        None => v_b,
    };
    let error_pct = finite("error_pct", indication_error_pct(v_j, v_bt))?;

    let mmq = draw
        .mmq_l
        .or(if draw.test_point == TestPoint::Mmq {
            Some(v_j)
        } else {
            None
        })
        .or(profile.default_mmq_l.as_ref().map(|c| c.value));
    let ctx = ToleranceContext::new(v_bt).with_mmq(mmq);
    let rule = stage
        .indication_for(draw.test_point)
        .ok_or_else(|| Error::InvalidProfile {
            profile: profile.id.clone(),
            path: format!("stages.{}.indication", stage.name),
            reason: format!("no rule for test point {}", draw.test_point),
        })?;
    let limits_pct = rule.tolerance.evaluate(&ctx)?.as_pct(v_bt)?;
    let (judged_error_pct, indication_verdict) =
        judge(error_pct, limits_pct, stage.result_rounding.as_ref());

    let amount = match (&draw.price, &stage.amount) {
        (Some(p), Some(rule)) => Some(amount_check(
            rule,
            p,
            draw.price_volume.as_ref(),
            v_j,
            &ctx,
        )?),
        _ => None,
    };
    let verdict = amount
        .as_ref()
        .map_or(indication_verdict, |a| indication_verdict.worst(a.verdict));
    Ok(DrawResult {
        profile: ProfileRef::new(profile, stage),
        test_point: draw.test_point,
        indicated_l: v_j,
        standard_l: v_b,
        corrected_standard_l: v_bt,
        correction,
        error_pct,
        judged_error_pct,
        mpe_pct: limits_pct.applicable(judged_error_pct),
        limits_pct,
        clause: rule.tolerance.clause_at(&ctx),
        indication_verdict,
        amount,
        flow_l_min: draw.flow_l_min,
        mmq_l: mmq,
        verdict,
        decision: None,
    })
}

/// The smallest and largest volume a draw may have, litres: 0.1 mL … 1 000 m³. Outside this a
/// number is a unit or entry error, not a measurement (and would overflow the arithmetic).
pub const DRAW_VOLUME_RANGE_L: (f64, f64) = (1e-4, 1e6);

pub(crate) fn volume_in_scope(field: &'static str, v: f64) -> Result<f64> {
    positive(field, v)?;
    let (lo, hi) = DRAW_VOLUME_RANGE_L;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(Error::OutOfScope {
            field,
            value: v,
            limit: if v < lo { lo } else { hi },
            clause:
                "a draw's volume must lie in 0.0001 … 1 000 000 L (a unit or entry error otherwise)"
                    .into(),
        })
    }
}

fn thermal_correction(
    profile: &DispenserProfile,
    draw: &Draw,
) -> Result<Option<ThermalCorrection>> {
    let (t_j, t_b) = match (draw.dispenser_temp_c, draw.can_temp_c) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(Error::MissingCompanion {
                given: "dispenser_temp_c",
                missing: "can_temp_c",
                purpose: "the temperature correction",
            })
        }
        (None, Some(_)) => {
            return Err(Error::MissingCompanion {
                given: "can_temp_c",
                missing: "dispenser_temp_c",
                purpose: "the temperature correction",
            })
        }
        (Some(j), Some(b)) => (finite("dispenser_temp_c", j)?, finite("can_temp_c", b)?),
    };
    // Physically possible liquid-fuel temperatures; anything else is a unit or entry error.
    for (field, t) in [("dispenser_temp_c", t_j), ("can_temp_c", t_b)] {
        if !(-60.0..=80.0).contains(&t) {
            return Err(Error::OutOfScope {
                field,
                value: t,
                limit: if t < 0.0 { -60.0 } else { 80.0 },
                clause:
                    "fuel temperatures must lie in −60 … 80 °C (a unit or entry error otherwise)"
                        .into(),
            });
        }
    }
    let th = &profile.thermal;
    let t_ref = th.reference_temperature_c.value;
    if let Some(lim) = &th.max_temperature_difference_c {
        let d = (t_j - t_b).abs();
        if d > lim.value + 1e-9 {
            return Err(Error::OutOfScope {
                field: "|dispenser_temp_c - can_temp_c|",
                value: d,
                limit: lim.value,
                clause: lim.source.clone(),
            });
        }
    }
    if let Some(lim) = &th.max_can_temperature_offset_c {
        let d = (t_b - t_ref).abs();
        if d > lim.value + 1e-9 {
            return Err(Error::OutOfScope {
                field: "|can_temp_c - reference temperature|",
                value: d,
                limit: lim.value,
                clause: lim.source.clone(),
            });
        }
    }
    let fuel = draw.fuel.as_ref().ok_or_else(missing_fuel)?;
    let (beta_fuel, beta_fuel_source) = fuel.resolve("fuel", |n| th.fuel(n))?;
    let (beta_can, beta_can_source) = can_beta(th, draw.can_material.as_ref())?;
    Ok(Some(ThermalCorrection {
        dispenser_temp_c: t_j,
        can_temp_c: t_b,
        beta_fuel_per_c: beta_fuel,
        beta_fuel_source,
        beta_can_per_c: beta_can,
        beta_can_source,
        reference_temperature_c: t_ref,
        factor: thermal_factor(t_j, t_b, beta_fuel, beta_can, t_ref),
    }))
}

/// The amount check of one draw on its own: what [`evaluate_draw`] puts in
/// [`DrawResult::amount`] for a draw with this price, indication and MMQ (`None` when the
/// stage does not judge amounts). The rule, rounding and allowance are the stage's `amount`
/// rule and its cited source (e.g. JJG 443-2015's amount check: |amount − round(price ×
/// volume, 0.01 元)| ≤ the smallest monetary unit).
///
/// For callers that judge the indication error by columns ([`crate::batch::DispenserBatch`])
/// and still need each draw's amount check: the same function [`evaluate_draw`] calls, so
/// the same result and the same errors. `indicated_l` must be a valid volume (as
/// [`evaluate_draw`] checks first); `mmq_l` is the MMQ the draw is judged with
/// ([`DrawResult::mmq_l`]).
pub fn check_amount(
    stage: &DispenserStage,
    price: &PriceReading,
    indicated_l: f64,
    mmq_l: Option<f64>,
) -> Result<Option<AmountResult>> {
    let Some(rule) = &stage.amount else {
        return Ok(None);
    };
    let ctx = ToleranceContext::new(indicated_l).with_mmq(mmq_l);
    amount_check(rule, price, None, indicated_l, &ctx).map(Some)
}

/// The verdict of [`check_amount`] on integers: a stage's amount rule compiled once for the
/// common case, a rounding step that is a power of ten (0.01, 0.1, 1 …) and a fixed money
/// allowance (JJG 443-2015 and NIST HB44's rules in the built-in profiles: half-up to
/// 0.01, within 0.01). The same arithmetic as [`check_amount`], exactly: the product unit
/// price × V_J of the two decimals' integer mantissas (exact, as `Decimal`'s is where it
/// fits, which is checked), rounded to the step by the quotient and remainder of a power of
/// ten in the rule's mode (as [`Rounding::apply`](crate::money::Rounding::apply) does on
/// decimals, where that division is exact), and |amount − computed| ≤ allowance compared
/// at one scale. No decimal is built and nothing is formatted.
///
/// Where the kernel cannot answer exactly it says so (`None`) and [`check_amount`] decides:
/// a stage without an amount rule or with another rule ([`AmountKernel::new`]), a price
/// [`check_amount`] rejects, numbers beyond its exact range.
///
/// ```
/// use rust_decimal::Decimal;
/// use verimeter::dispenser::{check_amount, AmountKernel, PriceReading};
/// use verimeter::profile::DispenserProfile;
/// use verimeter::Verdict;
///
/// let profile = DispenserProfile::builtin("jjg443-2015")?;
/// let stage = profile.stage(None)?;
/// let k = AmountKernel::new(stage).expect("a money allowance and a step of 0.01");
/// // 7.35 元/L × 20.07 L = 147.5145 → 147.51; 147.53 is 0.02 off.
/// let price = PriceReading { unit_price: Decimal::new(735, 2), amount: Decimal::new(14753, 2) };
/// assert_eq!(k.verdict(&price, 20.07), Some(Verdict::Fail));
/// assert_eq!(k.verdict_decimal(&price, 2007, 2), Some(Verdict::Fail));
/// let full = check_amount(stage, &price, 20.07, None)?.expect("an amount rule");
/// assert_eq!(full.verdict, Verdict::Fail);
/// # Ok::<(), verimeter::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmountKernel {
    /// The rounding step is 10^−`step_scale`.
    step_scale: u32,
    mode: crate::money::RoundingMode,
    /// The allowance's mantissa (≥ 0) and scale.
    allowance: (u128, u32),
    /// The allowance in units of the step, where that is an integer of 64 bits (the usual
    /// case: an allowance of 0.01 at a step of 0.01 is 1).
    allowance_steps: Option<u64>,
}

/// 10^k for k ≤ 19 (the powers of ten a `u64` holds).
const POW10_U64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// (p div 10^d, p mod 10^d), d ≤ 19: a constant divisor for the usual small d (a multiply
/// and a shift, not a division instruction).
#[inline(always)]
fn div_rem_pow10(p: u64, d: u32) -> (u64, u64) {
    macro_rules! by {
        ($c:expr) => {
            (p / $c, p % $c)
        };
    }
    match d {
        0 => (p, 0),
        1 => by!(10),
        2 => by!(100),
        3 => by!(1_000),
        4 => by!(10_000),
        5 => by!(100_000),
        6 => by!(1_000_000),
        _ => {
            let q = POW10_U64[d as usize];
            (p / q, p % q)
        }
    }
}

/// A decimal's mantissa (when it has at most 64 bits), scale and sign.
#[inline(always)]
fn decimal_parts(d: &Decimal) -> (Option<u64>, u32, bool) {
    let m = d.mantissa().unsigned_abs();
    (u64::try_from(m).ok(), d.scale(), d.is_sign_negative())
}

/// Below this a `Decimal` mantissa (96 bits) holds a value, with a bit to spare for a sum.
const DECIMAL_HALF: u128 = 1 << 95;

/// Whether the remainder `r` of a division by `div` (whose half is `half`) rounds the
/// quotient `q`'s magnitude up in `mode`.
#[inline(always)]
fn rounds_up<T: PartialOrd + PartialEq + Default>(
    mode: crate::money::RoundingMode,
    r: T,
    half: T,
    q_odd: bool,
) -> bool {
    use crate::money::RoundingMode as M;
    match mode {
        M::HalfUp => r >= half,
        M::HalfEven => r > half || (r == half && q_odd),
        M::Down => false,
        M::Up => r > T::default(),
    }
}

impl AmountKernel {
    /// The kernel of `stage`'s amount rule; `None` when the stage has none, or its rounding
    /// step is not a power of ten (10^−k, k ≥ 0) or its allowance not a fixed amount
    /// (then only [`check_amount`] judges amounts).
    pub fn new(stage: &DispenserStage) -> Option<Self> {
        let rule = stage.amount.as_ref()?;
        let step = rule.rounding.step.normalize();
        if step <= Decimal::ZERO || step.mantissa() != 1 {
            return None;
        }
        let AmountAllowance::Money { amount } = &rule.allowance else {
            return None;
        };
        if amount.is_sign_negative() && !amount.is_zero() {
            return None;
        }
        let (lm, sl) = (amount.mantissa().unsigned_abs(), amount.scale());
        let k = step.scale();
        let allowance_steps = k
            .checked_sub(sl)
            .and_then(|d| lm.checked_mul(10u128.checked_pow(d)?))
            .and_then(|x| u64::try_from(x).ok());
        Some(Self {
            step_scale: k,
            mode: rule.rounding.mode,
            allowance: (lm, sl),
            allowance_steps,
        })
    }

    /// The verdict [`check_amount`]`(stage, price, indicated_l, mmq_l)` gives, for any
    /// `mmq_l` (a fixed allowance does not depend on it), where V_J as
    /// [`decimal_from_f64`] makes it has the value `mantissa` × 10^−`scale`; `None` where
    /// the kernel does not decide (see [`AmountKernel`]).
    #[inline]
    pub fn verdict_decimal(
        &self,
        price: &PriceReading,
        mantissa: i64,
        scale: u32,
    ) -> Option<Verdict> {
        let (pm, ps, pneg) = decimal_parts(&price.unit_price);
        let (am, sa, aneg) = decimal_parts(&price.amount);
        let (pm, am) = (pm?, am?);
        // check_amount's errors: a price ≤ 0, an amount < 0 (a negative zero is 0).
        if pm == 0 || pneg || (aneg && am != 0) {
            return None;
        }
        let vm = mantissa.unsigned_abs();
        let (k, (lm, sl)) = (self.step_scale, self.allowance);
        let s = ps.checked_add(scale)?;
        let top = sa.max(k).max(sl);
        // The common case in `u64`: every power of ten and product below fits (checked).
        let small = u32::try_from(pm).is_ok()
            && u32::try_from(vm).is_ok()
            && s < 20
            && top < 20
            && u64::try_from(lm).is_ok();
        let diff_allowed = if small {
            // The product unit price × V_J (exact: both mantissas < 2^32), then the
            // computed amount's magnitude in units of the step: p / 10^(s − k), rounded.
            let p = pm * vm;
            let n = if s <= k {
                p.checked_mul(POW10_U64[(k - s) as usize])?
            } else {
                let d = s - k;
                let (q, r) = div_rem_pow10(p, d);
                q + u64::from(rounds_up(
                    self.mode,
                    r,
                    POW10_U64[d as usize] / 2,
                    q % 2 == 1,
                ))
            };
            // |amount − computed| ≤ allowance, all three at the largest of their scales:
            // the step's for an amount written to the step (the usual case), as is.
            let (a, c, l) = match self.allowance_steps {
                Some(l) if sa == k => (am, n, l),
                _ => {
                    let at = |m: u64, s: u32| m.checked_mul(POW10_U64[(top - s) as usize]);
                    (at(am, sa)?, at(n, k)?, at(lm as u64, sl)?)
                }
            };
            // The computed amount has V_J's sign (the price is > 0).
            let diff = if mantissa < 0 {
                u128::from(a) + u128::from(c)
            } else {
                u128::from(a.abs_diff(c))
            };
            diff <= u128::from(l)
        } else {
            self.wide(pm, ps, am, sa, vm, scale, mantissa < 0)?
        };
        Some(if diff_allowed {
            Verdict::Pass
        } else {
            Verdict::Fail
        })
    }

    /// [`verdict_decimal`](Self::verdict_decimal) beyond the `u64` range: whether the
    /// difference is allowed, in `u128`, as long as every figure stays below 2^95 (where
    /// `Decimal`'s own arithmetic is exact).
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn wide(
        &self,
        pm: u64,
        ps: u32,
        am: u64,
        sa: u32,
        vm: u64,
        sv: u32,
        negative: bool,
    ) -> Option<bool> {
        let pow = |k: u32| 10u128.checked_pow(k);
        let (k, (lm, sl)) = (self.step_scale, self.allowance);
        let s = ps.checked_add(sv)?;
        let p = u128::from(pm)
            .checked_mul(u128::from(vm))
            .filter(|&p| p < DECIMAL_HALF && s <= 28)?;
        let n = if s <= k {
            p.checked_mul(pow(k - s)?).filter(|&x| x < DECIMAL_HALF)?
        } else {
            let div = pow(s - k)?;
            let (q, r) = (p / div, p % div);
            q + u128::from(rounds_up(self.mode, r, div / 2, q % 2 == 1))
        };
        let top = sa.max(k).max(sl);
        let at = |m: u128, s: u32| m.checked_mul(pow(top - s)?).filter(|&x| x < DECIMAL_HALF);
        let (a, c, l) = (at(u128::from(am), sa)?, at(n, k)?, at(lm, sl)?);
        let diff = if negative { a + c } else { a.abs_diff(c) };
        Some(diff <= l)
    }

    /// [`verdict_decimal`](Self::verdict_decimal) of V_J given as the `f64` that
    /// [`check_amount`] takes, its decimal found by
    /// [`decimal_parts_of_f64`](crate::money::decimal_parts_of_f64) (`None` when it finds
    /// none).
    #[inline]
    pub fn verdict(&self, price: &PriceReading, indicated_l: f64) -> Option<Verdict> {
        let (m, k) = crate::money::decimal_parts_of_f64(indicated_l)?;
        self.verdict_decimal(price, m, k)
    }
}

/// The amount check: `price_volume` gives the unit the price is per and V_J in it (else
/// litres and `v_j`). The allowance of a [`AmountAllowance::PriceOfTolerance`] rule is the
/// price of the tolerance's volume (litres, from the profile) in that same unit.
fn amount_check(
    rule: &crate::profile::AmountRule,
    price: &PriceReading,
    price_volume: Option<&PriceVolume>,
    v_j: f64,
    ctx: &ToleranceContext,
) -> Result<AmountResult> {
    let money_err = |field: &'static str, v: Decimal, reason: &str| Error::Money {
        field,
        value: v.to_string(),
        reason: reason.into(),
    };
    if price.unit_price <= Decimal::ZERO {
        return Err(money_err("unit_price", price.unit_price, "must be > 0"));
    }
    if price.amount < Decimal::ZERO {
        return Err(money_err("amount", price.amount, "must be >= 0"));
    }
    // V_J in the unit the price is per, and the litres in one such unit.
    let (volume, litres_per_unit) = match price_volume {
        Some(p) => {
            if p.unit.dimension() != crate::units::Dimension::Volume {
                return Err(Error::WrongUnit {
                    field: "price volume unit",
                    unit: p.unit.symbol(),
                    expected: "volume (L, mL, gal, in³)",
                });
            }
            let v = positive("price volume", p.indicated)?;
            (decimal_from_f64("price volume", v)?, p.unit.factor())
        }
        None => (decimal_from_f64("indicated_l", v_j)?, 1.0),
    };
    let product = price.unit_price.checked_mul(volume).ok_or_else(|| {
        money_err(
            "unit_price",
            price.unit_price,
            "unit price × volume overflows",
        )
    })?;
    let computed = rule.rounding.apply(product)?;
    let allowance = match &rule.allowance {
        AmountAllowance::Money { amount } => *amount,
        AmountAllowance::PriceOfTolerance { tolerance } => {
            let vol = tolerance
                .evaluate(&ToleranceContext::new(v_j).with_mmq(ctx.minimum_measured_quantity))?;
            let vol = decimal_from_f64("amount tolerance volume", vol.over / litres_per_unit)?;
            price
                .unit_price
                .checked_mul(vol)
                .ok_or_else(|| money_err("unit_price", price.unit_price, "overflow"))?
                .round_dp(6)
        }
    };
    let difference = price.amount - computed;
    let verdict = if difference.abs() <= allowance {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Ok(AmountResult {
        unit_price: price.unit_price,
        indicated_amount: price.amount,
        computed_amount: computed,
        price_volume: price_volume.copied(),
        difference,
        allowance,
        verdict,
        clause: rule.source.clone(),
    })
}

/// The repeatability of the draws at one test point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatabilityResult {
    /// Number of draws used.
    pub draws: usize,
    /// E_max − E_min, percentage points, of the errors as judged: rounded where the profile
    /// rounds, as in the published JJG arithmetic ((0.58 − 0.36)/1.69 = 0.13 %).
    pub range_pct: f64,
    /// The repeatability as the rule defines it (JJG: range / C_n; R117/HB44: the range), %.
    pub value_pct: f64,
    /// The value as judged (rounded where the profile rounds), %.
    pub judged_value_pct: f64,
    /// The limit, %.
    pub limit_pct: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// The clause.
    pub clause: String,
}

/// Computes and judges the repeatability of `results` (the usable draws of one test point).
///
/// `Ok(None)` when the stage does not judge repeatability at that test point or there are
/// fewer than two draws. Errors when the rule has no range coefficient for the number of
/// draws, or its tolerance cannot be evaluated.
pub fn repeatability(
    profile: &DispenserProfile,
    stage: &DispenserStage,
    test_point: TestPoint,
    results: &[&DrawResult],
) -> Result<Option<RepeatabilityResult>> {
    let mut stats = PointStats::new(test_point);
    for r in results {
        stats.push(r);
    }
    stats.repeatability(profile, stage)
}

/// A test point's repeatability verdict: `Ok(None)` where none is judged (no rule, fewer
/// than two draws), `Err` where it cannot be evaluated (e.g. no range coefficient for n).
type RepeatabilityVerdict = std::result::Result<Option<Verdict>, ()>;

/// The running figures of one test point's usable draws that its nozzle's verdict needs
/// (the repeatability, the number of draws, the worst draw verdict): a
/// [`PointStats`] holds them with the figures of the summary alone, a
/// [`NozzleVerdictAccumulator`] holds only them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PointCore {
    test_point: TestPoint,
    /// The number of usable draws, in 5 bytes instead of 8 (`draws_hi` · 2^32 + `draws`,
    /// [`PointCore::draws`]; with them the stats are 64 bytes instead of 72, and a
    /// nozzle's accumulator 144 instead of 160): exact up to 2^40 − 1 draws of one test
    /// point of one nozzle (a log of some 70 TB), saturating there.
    draws: u32,
    draws_hi: u8,
    /// The first draw's MMQ that is given: `mmq_l` when `has_mmq` ([`PointCore::mmq`];
    /// an `Option<f64>`'s 8-byte tag made the stats 80 bytes instead of 72, and a
    /// nozzle's accumulator, which holds two of them, 176 instead of 160). `mmq_l` stays
    /// 0.0 without one, so that equal stats compare equal.
    has_mmq: bool,
    /// The worst draw verdict.
    verdict: Verdict,
    /// min and max of judged_error_pct (the repeatability's range).
    lo_judged_pct: f64,
    hi_judged_pct: f64,
    /// Σ corrected_standard_l (mean V for a tolerance-fraction repeatability).
    sum_corrected_l: f64,
    mmq_l: f64,
}

/// The running statistics of one test point's usable draws: everything the repeatability
/// and the test point's summary need, so that a nozzle can be summarised draw by draw
/// ([`NozzleAccumulator`]) without keeping its draws.
///
/// Sums are taken in draw order, starting where `Iterator::sum` starts, so the figures are
/// bit for bit those of a sum over the kept draws.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PointStats {
    /// The figures of the verdict (test point, draws, repeatability, worst verdict).
    core: PointCore,
    /// Σ error_pct, min and max of error_pct (the summary's mean, min, max).
    sum_error_pct: f64,
    min_error_pct: f64,
    max_error_pct: f64,
}

impl std::ops::Deref for PointStats {
    type Target = PointCore;
    fn deref(&self) -> &PointCore {
        &self.core
    }
}

impl PointStats {
    fn new(test_point: TestPoint) -> Self {
        let zero: f64 = std::iter::empty::<f64>().sum();
        Self {
            core: PointCore::new(test_point),
            sum_error_pct: zero,
            min_error_pct: f64::INFINITY,
            max_error_pct: f64::NEG_INFINITY,
        }
    }

    fn push(&mut self, r: &DrawResult) {
        self.add(&DrawFigures::of(r));
    }

    fn add(&mut self, f: &DrawFigures) {
        self.sum_error_pct += f.error_pct;
        self.min_error_pct = self.min_error_pct.min(f.error_pct);
        self.max_error_pct = self.max_error_pct.max(f.error_pct);
        self.core.add(f);
    }
}

/// What a nozzle's accumulator keeps per test point: [`PointStats`] in a
/// [`NozzleAccumulator`], [`PointCore`] in a [`NozzleVerdictAccumulator`].
trait PointFigures {
    fn new(test_point: TestPoint) -> Self;
    fn test_point(&self) -> TestPoint;
}

impl PointFigures for PointCore {
    #[inline]
    fn new(test_point: TestPoint) -> Self {
        PointCore::new(test_point)
    }
    fn test_point(&self) -> TestPoint {
        self.test_point
    }
}

impl PointFigures for PointStats {
    fn new(test_point: TestPoint) -> Self {
        PointStats::new(test_point)
    }
    fn test_point(&self) -> TestPoint {
        self.test_point
    }
}

/// A [`PointCore`] without the figures that only a fraction-of-tolerance repeatability
/// reads (Σ V and the first MMQ): what a range-over-coefficient repeatability (JJG 443)
/// and the nozzle's verdict need, in 24 bytes instead of 40
/// ([`NozzleRangeVerdictAccumulator`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct RangeCore {
    test_point: TestPoint,
    /// The number of usable draws, as in [`PointCore`].
    draws: u32,
    draws_hi: u8,
    /// The worst draw verdict.
    verdict: Verdict,
    /// min and max of judged_error_pct (the repeatability's range).
    lo_judged_pct: f64,
    hi_judged_pct: f64,
}

/// Counts one more draw in `draws_hi` · 2^32 + `draws`, saturating at 2^40 − 1.
#[inline(always)]
fn count_draw(draws: &mut u32, draws_hi: &mut u8) {
    match draws.checked_add(1) {
        Some(n) => *draws = n,
        None if *draws_hi < u8::MAX => {
            *draws = 0;
            *draws_hi += 1;
        }
        None => {}
    }
}

/// The number of draws counted by [`count_draw`].
#[inline(always)]
fn draw_total(draws: u32, draws_hi: u8) -> usize {
    (u64::from(draws_hi) << 32 | u64::from(draws)) as usize
}

/// Widens the running bounds `lo`..`hi` of the judged errors to take `j`.
///
/// `f64::min`/`max` of a running bound that is never NaN (it starts at ±∞ and only takes a
/// judged error that compared below / above it), written as the compare and select they
/// are on x86-64 (`minsd`/`maxsd`: the bound is kept when equal, so for ±0 too), without
/// the NaN fix-up of the bound, which cannot be NaN: a NaN error compares false and leaves
/// the bound, as `min`/`max` do.
#[inline(always)]
fn widen_bounds(lo: &mut f64, hi: &mut f64, j: f64) {
    *lo = if j < *lo { j } else { *lo };
    *hi = if j > *hi { j } else { *hi };
}

impl PointFigures for RangeCore {
    #[inline]
    fn new(test_point: TestPoint) -> Self {
        Self {
            test_point,
            draws: 0,
            draws_hi: 0,
            verdict: Verdict::Pass,
            lo_judged_pct: f64::INFINITY,
            hi_judged_pct: f64::NEG_INFINITY,
        }
    }
    fn test_point(&self) -> TestPoint {
        self.test_point
    }
}

/// The running figures of one test point that a nozzle's verdict reads: [`PointCore`] (any
/// stage) or [`RangeCore`] (a stage without a fraction-of-tolerance repeatability).
trait VerdictPoint: PointFigures {
    fn draws(&self) -> usize;
    /// The smallest and the greatest judged error.
    fn judged_bounds(&self) -> (f64, f64);
    /// The draw's figures, without the worst verdict ([`PointCore::add_figures`]).
    fn add_figures(&mut self, f: &DrawFigures);
    /// The draw's figures and verdict.
    fn add(&mut self, f: &DrawFigures);
    fn repeatability_verdict(
        &self,
        profile: &DispenserProfile,
        stage: &DispenserStage,
    ) -> RepeatabilityVerdict;
}

impl VerdictPoint for PointCore {
    #[inline(always)]
    fn draws(&self) -> usize {
        PointCore::draws(self)
    }
    #[inline(always)]
    fn judged_bounds(&self) -> (f64, f64) {
        (self.lo_judged_pct, self.hi_judged_pct)
    }
    #[inline(always)]
    fn add_figures(&mut self, f: &DrawFigures) {
        PointCore::add_figures(self, f)
    }
    fn add(&mut self, f: &DrawFigures) {
        PointCore::add(self, f)
    }
    fn repeatability_verdict(
        &self,
        profile: &DispenserProfile,
        stage: &DispenserStage,
    ) -> RepeatabilityVerdict {
        PointCore::repeatability_verdict(self, profile, stage)
    }
}

impl VerdictPoint for RangeCore {
    #[inline(always)]
    fn draws(&self) -> usize {
        draw_total(self.draws, self.draws_hi)
    }
    #[inline(always)]
    fn judged_bounds(&self) -> (f64, f64) {
        (self.lo_judged_pct, self.hi_judged_pct)
    }
    /// The same steps as [`PointCore::add_figures`]'s, without Σ V and the MMQ.
    #[inline(always)]
    fn add_figures(&mut self, f: &DrawFigures) {
        count_draw(&mut self.draws, &mut self.draws_hi);
        widen_bounds(
            &mut self.lo_judged_pct,
            &mut self.hi_judged_pct,
            f.judged_error_pct,
        );
    }
    fn add(&mut self, f: &DrawFigures) {
        VerdictPoint::add_figures(self, f);
        self.verdict = self.verdict.worst(f.verdict);
    }
    /// [`PointCore::repeatability_verdict`] where the stage's rule for the test point is a
    /// range over a coefficient (or there is none); a fraction of the tolerance needs the
    /// figures not held here: `Err` (the nozzle is incomplete). Out of line: the
    /// remembered verdicts of [`NozzleVerdicts`] are its common callers' fast path.
    #[inline(never)]
    fn repeatability_verdict(
        &self,
        profile: &DispenserProfile,
        stage: &DispenserStage,
    ) -> RepeatabilityVerdict {
        match stage.repeatability_for(self.test_point) {
            None | Some(RepeatabilityRule::RangeOverCoefficient { .. }) => {
                let mut p = PointCore::new(self.test_point);
                (p.draws, p.draws_hi, p.verdict) = (self.draws, self.draws_hi, self.verdict);
                (p.lo_judged_pct, p.hi_judged_pct) = (self.lo_judged_pct, self.hi_judged_pct);
                p.repeatability_verdict(profile, stage)
            }
            Some(_) => Err(()),
        }
    }
}

/// The figures of test point `tp` among a nozzle's test points, made on its first draw:
/// the first two held inline (`second` is made after `first`), the others in `further`
/// (made when first needed). The first two are found here, inline, as most draws are
/// theirs (a log's nozzle: max, max, max, min, min, min); the others by [`further_point`].
#[inline(always)]
fn point_for<'a, T: PointFigures>(
    first: &'a mut Option<T>,
    second: &'a mut Option<T>,
    tp: TestPoint,
    further: impl FnOnce() -> &'a mut Vec<T>,
) -> &'a mut T {
    if !matches!(first, Some(p) if p.test_point() != tp) {
        return first.get_or_insert_with(|| T::new(tp));
    }
    if !matches!(second, Some(p) if p.test_point() != tp) {
        return second.get_or_insert_with(|| T::new(tp));
    }
    further_point(further(), tp)
}

/// The figures of test point `tp` among the third and further test points ([`point_for`]).
#[inline(never)]
fn further_point<T: PointFigures>(points: &mut Vec<T>, tp: TestPoint) -> &mut T {
    match points.iter().position(|p| p.test_point() == tp) {
        Some(k) => &mut points[k],
        None => {
            // One slot per further test point seen, not the default growth (four slots at
            // once): a log holds one accumulator per nozzle until its end.
            points.reserve_exact(1);
            points.push(T::new(tp));
            let last = points.len() - 1;
            &mut points[last]
        }
    }
}

impl PointCore {
    #[inline]
    fn new(test_point: TestPoint) -> Self {
        let zero: f64 = std::iter::empty::<f64>().sum();
        Self {
            test_point,
            draws: 0,
            draws_hi: 0,
            has_mmq: false,
            verdict: Verdict::Pass,
            lo_judged_pct: f64::INFINITY,
            hi_judged_pct: f64::NEG_INFINITY,
            sum_corrected_l: zero,
            mmq_l: 0.0,
        }
    }

    /// The number of usable draws.
    fn draws(&self) -> usize {
        draw_total(self.draws, self.draws_hi)
    }

    /// The first draw's MMQ that is given.
    fn mmq(&self) -> Option<f64> {
        self.has_mmq.then_some(self.mmq_l)
    }

    fn add(&mut self, f: &DrawFigures) {
        self.add_figures(f);
        self.verdict = self.verdict.worst(f.verdict);
    }

    /// [`add`](Self::add) without the worst verdict: all of it for a draw whose verdict is
    /// [`Verdict::Pass`] (the worst verdict stays as it is).
    #[inline(always)]
    fn add_figures(&mut self, f: &DrawFigures) {
        count_draw(&mut self.draws, &mut self.draws_hi);
        widen_bounds(
            &mut self.lo_judged_pct,
            &mut self.hi_judged_pct,
            f.judged_error_pct,
        );
        self.sum_corrected_l += f.corrected_standard_l;
        if !self.has_mmq {
            if let Some(m) = f.mmq_l {
                self.has_mmq = true;
                self.mmq_l = m;
            }
        }
    }

    /// The verdict of [`repeatability`](Self::repeatability) alone.
    fn repeatability_verdict(
        &self,
        profile: &DispenserProfile,
        stage: &DispenserStage,
    ) -> RepeatabilityVerdict {
        match self.repeatability_figures(profile, stage) {
            Ok(f) => Ok(f.map(|(.., verdict)| verdict)),
            Err(_) => Err(()),
        }
    }

    /// See [`repeatability`].
    fn repeatability(
        &self,
        profile: &DispenserProfile,
        stage: &DispenserStage,
    ) -> Result<Option<RepeatabilityResult>> {
        let Some((rule, range, value, limit, judged, verdict)) =
            self.repeatability_figures(profile, stage)?
        else {
            return Ok(None);
        };
        Ok(Some(RepeatabilityResult {
            draws: self.draws(),
            range_pct: range,
            value_pct: value,
            judged_value_pct: judged,
            limit_pct: limit,
            verdict,
            clause: rule.source().to_string(),
        }))
    }

    /// The figures of [`repeatability`](Self::repeatability) without its clause text:
    /// (rule, range, value, limit, judged value, verdict).
    #[allow(clippy::type_complexity)]
    fn repeatability_figures<'s>(
        &self,
        profile: &DispenserProfile,
        stage: &'s DispenserStage,
    ) -> Result<Option<(&'s RepeatabilityRule, f64, f64, f64, f64, Verdict)>> {
        let Some(rule) = stage.repeatability_for(self.test_point) else {
            return Ok(None);
        };
        let n = self.draws();
        if n < 2 {
            return Ok(None);
        }
        let range = self.hi_judged_pct - self.lo_judged_pct;
        let (value, limit) = match rule {
            RepeatabilityRule::RangeOverCoefficient {
                limit_pct,
                coefficients,
                source,
            } => {
                let c = coefficients
                    .iter()
                    .find(|c| c.n as usize == n)
                    .ok_or_else(|| Error::OutOfScope {
                        field: "number of draws",
                        value: n as f64,
                        limit: coefficients.iter().map(|c| c.n).max().unwrap_or(0) as f64,
                        clause: format!("no range coefficient C_n for n = {n}; {source}"),
                    })?;
                (range / c.c, *limit_pct)
            }
            RepeatabilityRule::RangeFractionOfTolerance {
                fraction,
                tolerance,
                ..
            } => {
                let mean_v = self.sum_corrected_l / n as f64;
                let mmq = self
                    .mmq()
                    .or(profile.default_mmq_l.as_ref().map(|c| c.value));
                let lim = tolerance
                    .evaluate(&ToleranceContext::new(mean_v).with_mmq(mmq))?
                    .as_pct(mean_v)?;
                (range, fraction * lim.widest())
            }
        };
        let judged = stage
            .result_rounding
            .as_ref()
            .map_or(value, |r| r.apply(value));
        let verdict = if judged <= limit + LIMIT_SLACK_PCT * limit.abs().max(1.0) {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        Ok(Some((rule, range, value, limit, judged, verdict)))
    }
}

/// The figures of one usable draw that a [`NozzleAccumulator`] keeps, without the rest of
/// its [`DrawResult`] (volumes, correction, limits, amount figures, clause): for a caller
/// that judges draws by other means (e.g. in columns, with the [`batch`](crate::batch)
/// module) and should not have to assemble a whole `DrawResult` per draw only to have five
/// numbers and a few verdicts read off it. See [`NozzleAccumulator::push_figures`].
///
/// [`DrawFigures::of`] takes them from a `DrawResult`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawFigures {
    /// [`DrawResult::test_point`].
    pub test_point: TestPoint,
    /// [`DrawResult::error_pct`].
    pub error_pct: f64,
    /// [`DrawResult::judged_error_pct`].
    pub judged_error_pct: f64,
    /// [`DrawResult::corrected_standard_l`].
    pub corrected_standard_l: f64,
    /// [`DrawResult::mmq_l`].
    pub mmq_l: Option<f64>,
    /// [`DrawResult::indication_verdict`].
    pub indication_verdict: Verdict,
    /// The verdict of [`DrawResult::amount`], where there is one.
    pub amount_verdict: Option<Verdict>,
    /// [`DrawResult::verdict`].
    pub verdict: Verdict,
    /// Whether a decision rule was applied ([`DrawResult::decision`] is given).
    pub decision: bool,
}

impl DrawFigures {
    /// The figures of `r`.
    pub fn of(r: &DrawResult) -> Self {
        Self {
            test_point: r.test_point,
            error_pct: r.error_pct,
            judged_error_pct: r.judged_error_pct,
            corrected_standard_l: r.corrected_standard_l,
            mmq_l: r.mmq_l,
            indication_verdict: r.indication_verdict,
            amount_verdict: r.amount.as_ref().map(|a| a.verdict),
            verdict: r.verdict,
            decision: r.decision.is_some(),
        }
    }

    /// Whether the draw gives a reason in its nozzle's summary: an indication verdict
    /// other than a pass, or a failed amount.
    pub fn gives_reason(&self) -> bool {
        self.indication_reason().is_some() || self.amount_fails()
    }

    /// The kind of reason the draw's indication gives, if any: not a pass under a decision
    /// rule, else outside the limits.
    fn indication_reason(&self) -> Option<IndicationReason> {
        if self.decision && !self.indication_verdict.is_pass() {
            Some(IndicationReason::UnderRule)
        } else if self.indication_verdict != Verdict::Pass {
            Some(IndicationReason::Outside)
        } else {
            None
        }
    }

    /// Whether the draw's amount check failed.
    fn amount_fails(&self) -> bool {
        self.amount_verdict.is_some_and(|a| a != Verdict::Pass)
    }
}

/// The kind of reason a draw's indication gives in its nozzle's summary (see
/// [`DrawFigures::indication_reason`]); each is worded differently.
#[derive(Debug, Clone, Copy)]
enum IndicationReason {
    /// A fail or a conditional verdict under a decision rule (with U and the guard band).
    UnderRule,
    /// Outside the limits.
    Outside,
}

/// The draws of one test point of a nozzle, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestPointSummary {
    /// The test point.
    pub test_point: TestPoint,
    /// Usable draws.
    pub draws: usize,
    /// Mean of the draws' errors, %.
    pub mean_error_pct: f64,
    /// Smallest error, %.
    pub min_error_pct: f64,
    /// Largest error, %.
    pub max_error_pct: f64,
    /// The repeatability, where judged.
    pub repeatability: Option<RepeatabilityResult>,
    /// The test point's verdict (draws, repeatability, required count).
    pub verdict: Verdict,
}

/// A nozzle's verdict with its test points and the reasons for anything other than a pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NozzleSummary {
    /// The profile and stage.
    pub profile: ProfileRef,
    /// Pass, fail, or incomplete (a required test missing or unusable).
    pub verdict: Verdict,
    /// One entry per test point with draws, in report order.
    pub test_points: Vec<TestPointSummary>,
    /// Why the verdict is not a pass (empty for a pass).
    pub reasons: Vec<String>,
}

/// Summarises the draws of one nozzle: repeatability per test point, required test points,
/// failed draws, unusable draws.
///
/// `draws` pairs a label (e.g. `"line 7"`, used in the reasons) with each draw's outcome,
/// usable or not. The verdict is the worst (see [`Verdict::worst`]: fail > conditional-fail >
/// incomplete > conditional-pass > pass) of: **fail** when any draw, amount or repeatability
/// fails; each draw's conditional verdict where a non-binary decision rule gave one (see
/// [`apply_decision`]); **incomplete** when a draw was unusable, a required test point is
/// missing or has fewer usable draws than the stage requires, or a repeatability could not be
/// evaluated; otherwise **pass**.
pub fn summarize_nozzle<'a, L: AsRef<str> + 'a>(
    profile: &DispenserProfile,
    stage: &DispenserStage,
    draws: impl IntoIterator<Item = (L, &'a Result<DrawResult>)>,
) -> NozzleSummary {
    let mut acc = NozzleAccumulator::new();
    for (label, outcome) in draws {
        acc.push(label.as_ref(), outcome);
    }
    acc.finish(profile, stage)
}

/// [`summarize_nozzle`] draw by draw: push each draw's outcome as it is judged, then
/// [`finish`](Self::finish) gives the same [`NozzleSummary`] as `summarize_nozzle` over the
/// same draws in the same order, without keeping the draws.
///
/// It holds, per nozzle, a few running figures per test point and the reasons found so far
/// (one line per failed, conditional or unusable draw), so a log can be judged in memory
/// that grows with the number of nozzles, not of draws.
#[derive(Debug, Clone, PartialEq)]
pub struct NozzleAccumulator {
    /// The worst indication verdict of the usable draws.
    worst: Verdict,
    /// Per test point, in first-draw order (sorted when finished): the first two test
    /// points held inline (no allocation for a nozzle with one or two test points, the
    /// common case: a log holds one accumulator per nozzle until its end), the others
    /// in `more`.
    first: Option<PointStats>,
    second: Option<PointStats>,
    /// Further test points and the reasons found so far; `None` until there is one of
    /// either (most nozzles have neither): one pointer instead of an empty `Vec` and an
    /// empty `Option<Box<_>>`.
    more: Option<Box<More>>,
    /// False: the reasons of single draws are recorded without their text (see
    /// [`NozzleAccumulator::verdict_only`]).
    texts: bool,
}

/// What a [`NozzleAccumulator`] holds beyond its first two test points.
#[derive(Debug, Clone, PartialEq, Default)]
struct More {
    /// The third and further test points, in first-draw order.
    points: Vec<PointStats>,
    /// The reasons found so far.
    reasons: Reasons,
}

/// The reasons of a nozzle, by kind, in draw order.
#[derive(Debug, Clone, PartialEq, Default)]
struct Reasons {
    /// Failed draws and amounts.
    fails: Vec<String>,
    /// Conditional verdicts (non-binary decision rule) of single draws.
    conditional: Vec<String>,
    /// Unusable draws.
    gaps: Vec<String>,
}

impl Reasons {
    /// The list for the reason of an indication judged `verdict`: a conditional verdict
    /// under a decision rule in `conditional`, every other one in `fails`.
    fn of_indication(&mut self, kind: IndicationReason, verdict: Verdict) -> &mut Vec<String> {
        match kind {
            IndicationReason::UnderRule if verdict != Verdict::Fail => &mut self.conditional,
            _ => &mut self.fails,
        }
    }
}

impl Default for NozzleAccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl NozzleAccumulator {
    /// A nozzle with no draws yet.
    pub fn new() -> Self {
        Self {
            worst: Verdict::Pass,
            first: None,
            second: None,
            more: None,
            texts: true,
        }
    }

    /// An accumulator for a caller that needs the nozzle's verdict and test points but not
    /// the wording of its reasons (e.g. an output with no nozzle lines): each reason
    /// is recorded as an empty string instead of being formatted (draws that fail or are
    /// unusable, amounts, repeatability, missing draws), so [`finish`](Self::finish) gives
    /// the same verdict, test points and number of reasons as [`new`](Self::new), with every
    /// reason empty.
    pub fn verdict_only() -> Self {
        Self {
            texts: false,
            ..Self::new()
        }
    }

    fn more(&mut self) -> &mut More {
        self.more.get_or_insert_with(Box::default)
    }

    fn reasons(&mut self) -> &mut Reasons {
        &mut self.more().reasons
    }

    /// The test points after the first two.
    fn further_points(&self) -> &[PointStats] {
        self.more.as_deref().map_or(&[], |m| &m.points)
    }

    /// Adds one draw's outcome; `label` (e.g. `line 7`) names it in the reasons, and is only
    /// formatted when the draw gives a reason.
    pub fn push(&mut self, label: impl std::fmt::Display, outcome: &Result<DrawResult>) {
        let r = match outcome {
            Ok(r) => r,
            Err(e) => {
                let text = word(self.texts, || format!("{label}: draw not usable: {e}"));
                self.reasons().gaps.push(text);
                return;
            }
        };
        self.worst = self.worst.worst(r.indication_verdict);
        let f = DrawFigures::of(r);
        // Most draws pass, with their amount: no reason to word, only the running figures.
        if f.gives_reason() {
            self.push_reasons(label, r, &f);
        }
        self.stats_for(r.test_point).add(&f);
    }

    /// Adds a usable draw by its figures alone: the same as [`push`](Self::push) with
    /// `Ok` of the draw's [`DrawResult`] (state, [`finish`](Self::finish) and
    /// [`verdict`](Self::verdict) bit for bit the same), for a draw that gives no reason
    /// (an indication that passes and an amount that passes or is absent), or any draw in
    /// a [`verdict_only`](Self::verdict_only) accumulator, whose reasons have no text.
    ///
    /// Returns false, and adds nothing, for a draw that gives a reason in an accumulator
    /// that words its reasons (the text needs the limits, the clause, the amount's
    /// figures): push its `DrawResult` then. Most draws pass, so a caller that judges draws
    /// without building their results (the CLI's fast path judges them in columns) builds
    /// one only for the few that fail.
    ///
    /// ```
    /// use verimeter::dispenser::{evaluate_draw, Draw, DrawFigures, NozzleAccumulator, TestPoint};
    /// use verimeter::profile::DispenserProfile;
    /// use verimeter::Verdict;
    /// let p = DispenserProfile::builtin("jjg443-2015")?;
    /// let stage = p.stage(None)?;
    /// let (mut by_figures, mut by_results) = (NozzleAccumulator::new(), NozzleAccumulator::new());
    /// for (k, v) in [20.01, 20.02, 20.0, 20.2].into_iter().enumerate() {
    ///     let r = evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, v, 20.0))?;
    ///     by_results.push(format_args!("line {}", k + 2), &Ok(r.clone()));
    ///     // The figures of a draw judged elsewhere (here taken from `r`): the passing
    ///     // draws go in by figures, the failing one (+1 %) by its result, for its reason.
    ///     let f = DrawFigures::of(&r);
    ///     if !by_figures.push_figures(&f) {
    ///         assert_eq!(f.indication_verdict, Verdict::Fail);
    ///         by_figures.push(format_args!("line {}", k + 2), &Ok(r));
    ///     }
    /// }
    /// assert_eq!(by_figures, by_results);
    /// assert_eq!(by_figures.finish(&p, stage), by_results.finish(&p, stage));
    /// # Ok::<(), verimeter::Error>(())
    /// ```
    #[must_use]
    pub fn push_figures(&mut self, figures: &DrawFigures) -> bool {
        if figures.gives_reason() {
            if self.texts {
                return false;
            }
            self.push_unworded_reasons(figures);
        }
        self.worst = self.worst.worst(figures.indication_verdict);
        self.stats_for(figures.test_point).add(figures);
        true
    }

    /// The reasons of [`push_reasons`](Self::push_reasons), without their text (a
    /// verdict-only accumulator), from the figures: the same lists get the same number of
    /// (empty) reasons.
    #[cold]
    #[inline(never)]
    fn push_unworded_reasons(&mut self, f: &DrawFigures) {
        if let Some(kind) = f.indication_reason() {
            self.reasons()
                .of_indication(kind, f.indication_verdict)
                .push(String::new());
        }
        if f.amount_fails() {
            self.reasons().fails.push(String::new());
        }
    }

    /// The reasons a usable draw gives: a failed or conditional indication, a failed amount.
    #[cold]
    #[inline(never)]
    fn push_reasons(&mut self, label: impl std::fmt::Display, r: &DrawResult, f: &DrawFigures) {
        let texts = self.texts;
        if let Some(kind) = f.indication_reason() {
            let text = word(texts, || indication_text(&label, r, kind));
            self.reasons()
                .of_indication(kind, f.indication_verdict)
                .push(text);
        }
        if let Some(a) = r.amount.as_ref().filter(|_| f.amount_fails()) {
            let text = word(texts, || {
                format!(
                    "{label}: amount {} differs from {} by {} (allowed {}; {})",
                    a.indicated_amount, a.computed_amount, a.difference, a.allowance, a.clause
                )
            });
            self.reasons().fails.push(text);
        }
    }

    /// The running figures of test point `tp`, made on its first draw ([`point_for`]).
    #[inline(always)]
    fn stats_for(&mut self, tp: TestPoint) -> &mut PointStats {
        let more = &mut self.more;
        point_for(&mut self.first, &mut self.second, tp, || {
            &mut more.get_or_insert_with(Box::default).points
        })
    }

    /// The verdict [`finish`](Self::finish) would give, without building the summary (no
    /// reason, test point list or clause text): for an output that shows only the nozzle
    /// counts. The same rules as `finish`, read off the same running figures.
    pub fn verdict(&self, profile: &DispenserProfile, stage: &DispenserStage) -> Verdict {
        self.verdict_by(stage, |p| p.repeatability_verdict(profile, stage))
    }

    /// [`verdict`](Self::verdict) with each test point's repeatability verdict from
    /// `repeatability` (see [`PointCore::repeatability_verdict`]).
    fn verdict_by(
        &self,
        stage: &DispenserStage,
        repeatability: impl FnMut(&PointCore) -> RepeatabilityVerdict,
    ) -> Verdict {
        let reasons = self.more.as_deref().map(|m| &m.reasons);
        let points = (self.first.iter().chain(&self.second))
            .chain(self.further_points())
            .map(|p| &p.core);
        nozzle_verdict(
            self.worst,
            reasons.is_some_and(|r| !r.fails.is_empty()),
            reasons.is_some_and(|r| !r.gaps.is_empty()),
            points,
            stage,
            repeatability,
        )
    }

    /// The nozzle's summary (see [`summarize_nozzle`] for the verdict and the reasons).
    pub fn finish(self, profile: &DispenserProfile, stage: &DispenserStage) -> NozzleSummary {
        let More {
            points,
            reasons:
                Reasons {
                    mut fails,
                    conditional,
                    mut gaps,
                },
        } = self.more.map(|m| *m).unwrap_or_default();
        let texts = self.texts;
        let mut worst = self.worst;
        let mut by_point: Vec<PointStats> = (self.first.into_iter())
            .chain(self.second)
            .chain(points)
            .collect();
        by_point.sort_by_key(|p| p.test_point);
        let required = &stage.required_test_points.value;
        let need = stage.draws_per_test_point.value as usize;
        let mut test_points = Vec::with_capacity(by_point.len());
        for p in &by_point {
            let tp = p.test_point;
            let n = p.draws();
            let mean = p.sum_error_pct / n as f64;
            let mut verdict = p.verdict;
            let rep = match p.repeatability(profile, stage) {
                Ok(r) => r,
                Err(e) => {
                    gaps.push(word(texts, || {
                        format!("{tp}: repeatability not evaluated: {e}")
                    }));
                    verdict = verdict.worst(Verdict::Incomplete);
                    None
                }
            };
            if let Some(r) = rep.as_ref().filter(|r| r.verdict != Verdict::Pass) {
                fails.push(word(texts, || {
                    format!(
                        "{tp}: repeatability {:.3} % (judged {}) exceeds {} % ({})",
                        r.value_pct,
                        pct(r.judged_value_pct),
                        pct(r.limit_pct),
                        r.clause
                    )
                }));
                verdict = verdict.worst(Verdict::Fail);
                worst = worst.worst(Verdict::Fail);
            }
            if required.contains(&tp) && n < need {
                gaps.push(word(texts, || {
                    format!(
                        "{tp}: {n} usable draw(s), {need} required ({})",
                        stage.draws_per_test_point.source
                    )
                }));
                verdict = verdict.worst(Verdict::Incomplete);
            }
            test_points.push(TestPointSummary {
                test_point: tp,
                draws: n,
                mean_error_pct: mean,
                min_error_pct: p.min_error_pct,
                max_error_pct: p.max_error_pct,
                repeatability: rep,
                verdict,
            });
        }
        for tp in required {
            if !by_point.iter().any(|p| p.test_point == *tp) {
                gaps.push(word(texts, || {
                    format!(
                        "{tp}: required test point missing ({})",
                        stage.required_test_points.source
                    )
                }));
            }
        }
        // fail > conditional-fail > incomplete > conditional-pass > pass (Verdict::worst).
        let mut verdict = worst;
        if !fails.is_empty() {
            verdict = verdict.worst(Verdict::Fail);
        }
        if !gaps.is_empty() {
            verdict = verdict.worst(Verdict::Incomplete);
        }
        fails.extend(conditional);
        fails.extend(gaps);
        NozzleSummary {
            profile: ProfileRef::new(profile, stage),
            verdict,
            test_points,
            reasons: fails,
        }
    }
}

/// The verdict of a nozzle ([`NozzleAccumulator::verdict`]) from its worst indication
/// verdict, whether it has failed reasons and gaps so far, and its test points, with each
/// test point's repeatability verdict from `repeatability`.
#[inline]
fn nozzle_verdict<'a, P: VerdictPoint + 'a>(
    worst: Verdict,
    fails: bool,
    gaps: bool,
    points: impl Iterator<Item = &'a P> + Clone,
    stage: &DispenserStage,
    mut repeatability: impl FnMut(&P) -> RepeatabilityVerdict,
) -> Verdict {
    let mut steps = VerdictSteps { worst, fails, gaps };
    let required = &stage.required_test_points.value;
    let need = stage.draws_per_test_point.value as usize;
    for p in points.clone() {
        steps.repeatability(repeatability(p));
        if required.contains(&p.test_point()) && p.draws() < need {
            steps.gaps = true;
        }
    }
    if required
        .iter()
        .any(|tp| !points.clone().any(|p| p.test_point() == *tp))
    {
        steps.gaps = true;
    }
    steps.verdict()
}

/// A nozzle's verdict as [`nozzle_verdict`] builds it from its test points: the worst draw
/// verdict so far, and whether a reason fails it or leaves a gap.
struct VerdictSteps {
    worst: Verdict,
    fails: bool,
    gaps: bool,
}

impl VerdictSteps {
    /// Takes a test point's repeatability verdict: one that does not pass fails the
    /// nozzle, one that cannot be judged is a gap.
    #[inline(always)]
    fn repeatability(&mut self, verdict: RepeatabilityVerdict) {
        match verdict {
            Ok(Some(verdict)) if verdict != Verdict::Pass => {
                self.fails = true;
                self.worst = self.worst.worst(Verdict::Fail);
            }
            Ok(_) => {}
            Err(_) => self.gaps = true,
        }
    }

    /// The nozzle's verdict: the worst draw verdict, made at least `Fail` by a failing
    /// reason and at least `Incomplete` by a gap.
    #[inline(always)]
    fn verdict(self) -> Verdict {
        let mut worst = self.worst;
        if self.fails {
            worst = worst.worst(Verdict::Fail);
        }
        if self.gaps {
            worst = worst.worst(Verdict::Incomplete);
        }
        worst
    }
}

/// A nozzle's running figures for its verdict alone: the same verdict as a
/// [`NozzleAccumulator`] given the same draws ([`NozzleAccumulator::verdict`], or
/// [`NozzleVerdicts::verdict_of`]), in less memory (96 bytes instead of 144: no summary
/// figures, and whether there are failed reasons and gaps instead of the reasons), for a
/// caller that needs only the verdicts of a whole log's nozzles and holds one per nozzle
/// until the log's end. There is no summary ([`NozzleAccumulator::finish`]).
///
/// ```
/// use verimeter::dispenser::{evaluate_draw, Draw, NozzleAccumulator, NozzleVerdictAccumulator, TestPoint};
/// let p = verimeter::profile::DispenserProfile::builtin("jjg443-2015")?;
/// let stage = p.stage(None)?;
/// let (mut acc, mut small) = (NozzleAccumulator::verdict_only(), NozzleVerdictAccumulator::new());
/// for (k, v) in [20.01, 20.02, 20.3].into_iter().enumerate() {
///     let r = evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, v, 20.0));
///     acc.push(k + 1, &r);
///     small.push(&r);
/// }
/// assert_eq!(small.verdict(&p, stage), acc.verdict(&p, stage));
/// # Ok::<(), verimeter::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NozzleVerdictAccumulator(VerdictFigures<PointCore>);

/// A [`NozzleVerdictAccumulator`] for a stage whose repeatability rules are all ranges over
/// a coefficient (JJG 443; or which has none): the same verdict in 64 bytes instead of 96,
/// as it keeps only what such a rule reads of a test point (the number of draws, the range
/// of the judged errors, the worst verdict), not the Σ V and the first MMQ of a
/// fraction-of-tolerance rule. Whether a stage is such a stage:
/// [`NozzleRangeVerdictAccumulator::judges`]. Against a stage with a fraction-of-tolerance
/// rule, a test point under that rule cannot be judged and makes the nozzle incomplete.
///
/// ```
/// use verimeter::dispenser::{evaluate_draw, Draw, NozzleAccumulator, NozzleRangeVerdictAccumulator, TestPoint};
/// let p = verimeter::profile::DispenserProfile::builtin("jjg443-2015")?;
/// let stage = p.stage(None)?;
/// assert!(NozzleRangeVerdictAccumulator::judges(stage));
/// let (mut acc, mut small) = (NozzleAccumulator::verdict_only(), NozzleRangeVerdictAccumulator::new());
/// for (k, v) in [20.01, 20.02, 20.3].into_iter().enumerate() {
///     let r = evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, v, 20.0));
///     acc.push(k + 1, &r);
///     small.push(&r);
/// }
/// assert_eq!(small.verdict(&p, stage), acc.verdict(&p, stage));
/// # Ok::<(), verimeter::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NozzleRangeVerdictAccumulator(VerdictFigures<RangeCore>);

/// The body of [`NozzleVerdictAccumulator`] and [`NozzleRangeVerdictAccumulator`].
#[derive(Debug, Clone, PartialEq)]
struct VerdictFigures<P> {
    /// The worst indication verdict of the usable draws.
    worst: Verdict,
    /// Whether a draw failed (indication or amount) or was not usable.
    fails: bool,
    gaps: bool,
    /// Per test point, in first-draw order: the first two inline, the others in `more`
    /// (see [`NozzleAccumulator`]).
    first: Option<P>,
    second: Option<P>,
    /// A `Box` of a `Vec`: one pointer (8 bytes) where most nozzles have none, instead of
    /// an empty `Vec`'s 24.
    #[allow(clippy::box_collection)]
    more: Option<Box<Vec<P>>>,
}

impl Default for NozzleVerdictAccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Default for NozzleRangeVerdictAccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl NozzleVerdictAccumulator {
    /// A nozzle with no draws yet.
    pub fn new() -> Self {
        Self(VerdictFigures::new())
    }

    /// Adds one draw's outcome (see [`NozzleAccumulator::push`]).
    pub fn push(&mut self, outcome: &Result<DrawResult>) {
        self.0.push(outcome)
    }

    /// Adds a usable draw by its figures: the same as [`push`](Self::push) with `Ok` of
    /// the draw's [`DrawResult`] (whatever its verdict: no reason is worded here).
    ///
    /// Inline, with the common draw (a pass that gives no reason) on a short path: its
    /// verdicts leave the worst ones as they are, so only the test point's figures change.
    #[inline]
    pub fn push_figures(&mut self, figures: &DrawFigures) {
        self.0.push_figures(figures)
    }

    /// The nozzle's verdict: the same as [`NozzleAccumulator::verdict`]'s for the same
    /// draws.
    pub fn verdict(&self, profile: &DispenserProfile, stage: &DispenserStage) -> Verdict {
        self.0.verdict(profile, stage)
    }
}

impl NozzleRangeVerdictAccumulator {
    /// A nozzle with no draws yet.
    pub fn new() -> Self {
        Self(VerdictFigures::new())
    }

    /// Whether this accumulator gives `stage`'s verdicts: every repeatability rule of the
    /// stage is a range over a coefficient (or it has none).
    pub fn judges(stage: &DispenserStage) -> bool {
        TestPoint::ALL.iter().all(|&tp| {
            matches!(
                stage.repeatability_for(tp),
                None | Some(RepeatabilityRule::RangeOverCoefficient { .. })
            )
        })
    }

    /// Adds one draw's outcome (see [`NozzleAccumulator::push`]).
    pub fn push(&mut self, outcome: &Result<DrawResult>) {
        self.0.push(outcome)
    }

    /// [`NozzleVerdictAccumulator::push_figures`].
    #[inline]
    pub fn push_figures(&mut self, figures: &DrawFigures) {
        self.0.push_figures(figures)
    }

    /// The nozzle's verdict: the same as [`NozzleAccumulator::verdict`]'s for the same
    /// draws where [`judges`](Self::judges) holds for `stage`.
    pub fn verdict(&self, profile: &DispenserProfile, stage: &DispenserStage) -> Verdict {
        self.0.verdict(profile, stage)
    }
}

impl<P: VerdictPoint> VerdictFigures<P> {
    fn new() -> Self {
        Self {
            worst: Verdict::Pass,
            fails: false,
            gaps: false,
            first: None,
            second: None,
            more: None,
        }
    }

    fn push(&mut self, outcome: &Result<DrawResult>) {
        match outcome {
            Ok(r) => self.push_figures(&DrawFigures::of(r)),
            Err(_) => self.gaps = true,
        }
    }

    #[inline(always)]
    fn push_figures(&mut self, figures: &DrawFigures) {
        if figures.gives_reason() | (figures.verdict != Verdict::Pass) {
            return self.push_other(figures);
        }
        // No reason: the indication passed (see `DrawFigures::indication_reason`), and so
        // did the draw: `worst(Pass)` changes neither worst verdict.
        self.stats_for(figures.test_point).add_figures(figures);
    }

    /// [`push_figures`](Self::push_figures) of a draw that gives a reason or does not
    /// pass.
    #[cold]
    #[inline(never)]
    fn push_other(&mut self, figures: &DrawFigures) {
        if figures.gives_reason() {
            self.push_reasons(figures);
        }
        self.worst = self.worst.worst(figures.indication_verdict);
        self.stats_for(figures.test_point).add(figures);
    }

    /// What [`NozzleAccumulator::push_reasons`] records, as flags: a conditional
    /// indication under a decision rule is not a failed reason.
    #[cold]
    #[inline(never)]
    fn push_reasons(&mut self, f: &DrawFigures) {
        if let Some(kind) = f.indication_reason() {
            if !matches!(kind, IndicationReason::UnderRule) || f.indication_verdict == Verdict::Fail
            {
                self.fails = true;
            }
        }
        if f.amount_fails() {
            self.fails = true;
        }
    }

    /// The running figures of test point `tp`, made on its first draw ([`point_for`]).
    #[inline(always)]
    fn stats_for(&mut self, tp: TestPoint) -> &mut P {
        let more = &mut self.more;
        point_for(&mut self.first, &mut self.second, tp, || {
            &mut **more.get_or_insert_with(Box::default)
        })
    }

    /// The test points, in first-draw order.
    fn points(&self) -> impl Iterator<Item = &P> + Clone {
        (self.first.iter().chain(&self.second)).chain(self.more.iter().flat_map(|m| m.iter()))
    }

    fn verdict(&self, profile: &DispenserProfile, stage: &DispenserStage) -> Verdict {
        self.verdict_by(stage, |p| p.repeatability_verdict(profile, stage))
    }

    fn verdict_by(
        &self,
        stage: &DispenserStage,
        repeatability: impl FnMut(&P) -> RepeatabilityVerdict,
    ) -> Verdict {
        nozzle_verdict(
            self.worst,
            self.fails,
            self.gaps,
            self.points(),
            stage,
            repeatability,
        )
    }
}

/// The verdicts of many nozzles against one profile stage, each the same as
/// [`NozzleAccumulator::verdict`]'s, for a caller that needs only the verdicts of a whole
/// log's nozzles (e.g. the counts of an output without nozzle lines).
///
/// A range-over-coefficient repeatability (JJG 443) is a function of the test point, the
/// number of draws and the range of the judged errors alone; a log's nozzles repeat a few
/// such triples (the judged errors are rounded), and each costs a chain of divisions and a
/// rounding, so their verdicts are remembered here (a small table, exact keys). Other rules
/// (a fraction of the tolerance at the draws' mean volume) are evaluated each time.
///
/// ```
/// use verimeter::dispenser::{evaluate_draw, Draw, NozzleAccumulator, NozzleVerdicts, TestPoint};
/// use verimeter::profile::DispenserProfile;
/// let p = DispenserProfile::builtin("jjg443-2015")?;
/// let stage = p.stage(None)?;
/// let mut acc = NozzleAccumulator::verdict_only();
/// for (k, v) in [20.01, 20.02, 20.0].into_iter().enumerate() {
///     acc.push(k + 1, &evaluate_draw(&p, stage, &Draw::new(TestPoint::Max, v, 20.0)));
/// }
/// let mut verdicts = NozzleVerdicts::new(&p, stage);
/// assert_eq!(verdicts.verdict(&acc), acc.verdict(&p, stage));
/// # Ok::<(), verimeter::Error>(())
/// ```
pub struct NozzleVerdicts<'p> {
    profile: &'p DispenserProfile,
    stage: &'p DispenserStage,
    /// Direct-mapped: ((test point, draws), range bits, the repeatability verdict).
    memo: Vec<Option<RepeatabilityMemo>>,
    /// Per test point (by [`point_bit`]): whether its repeatability is a range over a
    /// coefficient (remembered in `memo`), looked up once instead of per test point of
    /// every nozzle.
    memoised: u8,
    /// The stage's required test points, one bit each ([`point_bit`]).
    required: u8,
}

// Every test point has a bit in a `u8` ([`point_bit`]).
const _: () = {
    let mut i = 0;
    while i < TestPoint::ALL.len() {
        assert!((TestPoint::ALL[i] as u8) < 8);
        i += 1;
    }
};

/// A test point's bit in the masks of [`NozzleVerdicts`] (four test points: bits 0 to 3).
#[inline(always)]
fn point_bit(tp: TestPoint) -> u8 {
    1 << (tp as u8)
}

/// An entry of [`NozzleVerdicts`]' table.
#[derive(Clone, Copy)]
struct RepeatabilityMemo {
    point: (TestPoint, usize),
    range_bits: u64,
    verdict: RepeatabilityVerdict,
}

impl<'p> NozzleVerdicts<'p> {
    const SLOTS: usize = 1024;

    /// Verdicts against `stage` of `profile`.
    pub fn new(profile: &'p DispenserProfile, stage: &'p DispenserStage) -> Self {
        let memoised = TestPoint::ALL
            .iter()
            .filter(|&&tp| {
                matches!(
                    stage.repeatability_for(tp),
                    Some(RepeatabilityRule::RangeOverCoefficient { .. })
                )
            })
            .fold(0, |m, &tp| m | point_bit(tp));
        let required =
            (stage.required_test_points.value.iter()).fold(0, |m, &tp| m | point_bit(tp));
        Self {
            profile,
            stage,
            memo: vec![None; Self::SLOTS],
            memoised,
            required,
        }
    }

    /// The verdict of `acc`: the same as `acc.verdict(profile, stage)`.
    pub fn verdict(&mut self, acc: &NozzleAccumulator) -> Verdict {
        acc.verdict_by(self.stage, |p| self.repeatability(p))
    }

    /// The verdict of `acc`: the same as `acc.verdict(profile, stage)`.
    pub fn verdict_of(&mut self, acc: &NozzleVerdictAccumulator) -> Verdict {
        self.verdict_of_figures(&acc.0)
    }

    /// The verdict of `acc`: the same as `acc.verdict(profile, stage)`.
    pub fn verdict_of_range(&mut self, acc: &NozzleRangeVerdictAccumulator) -> Verdict {
        self.verdict_of_figures(&acc.0)
    }

    #[inline]
    fn verdict_of_figures<P: VerdictPoint>(&mut self, acc: &VerdictFigures<P>) -> Verdict {
        if acc.more.is_some() {
            return acc.verdict_by(self.stage, |p| self.repeatability(p));
        }
        // At most two test points (the common case): `nozzle_verdict`'s steps with the
        // required test points as a mask (each test point is held once, so "every required
        // one is there" is "no required bit is missing").
        let mut steps = VerdictSteps {
            worst: acc.worst,
            fails: acc.fails,
            gaps: acc.gaps,
        };
        let need = self.stage.draws_per_test_point.value as usize;
        let required = self.required;
        let mut seen = 0;
        let mut point = |p: &P| {
            steps.repeatability(self.repeatability(p));
            let bit = point_bit(p.test_point());
            seen |= bit;
            if required & bit != 0 && p.draws() < need {
                steps.gaps = true;
            }
        };
        if let Some(p) = &acc.first {
            point(p);
        }
        if let Some(p) = &acc.second {
            point(p);
        }
        if required & !seen != 0 {
            steps.gaps = true;
        }
        steps.verdict()
    }

    /// `p.repeatability_verdict(profile, stage)`, remembered for a range over a
    /// coefficient.
    #[inline(never)]
    fn repeatability<P: VerdictPoint>(&mut self, p: &P) -> RepeatabilityVerdict {
        let (profile, stage, memo) = (self.profile, self.stage, &mut self.memo);
        let tp = p.test_point();
        if self.memoised & point_bit(tp) == 0 || p.draws() < 2 {
            return p.repeatability_verdict(profile, stage);
        }
        let point = (tp, p.draws());
        let (lo, hi) = p.judged_bounds();
        let range_bits = (hi - lo).to_bits();
        let h = (range_bits ^ (p.draws() as u64) << 48 ^ (tp as u64) << 56)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = &mut memo[(h >> 54) as usize % Self::SLOTS];
        if let Some(m) = slot.filter(|m| m.point == point && m.range_bits == range_bits) {
            return m.verdict;
        }
        let verdict = p.repeatability_verdict(profile, stage);
        *slot = Some(RepeatabilityMemo {
            point,
            range_bits,
            verdict,
        });
        verdict
    }
}

/// The reason an indication of kind `kind` gives (see [`NozzleAccumulator::push`]).
fn indication_text(
    label: impl std::fmt::Display,
    r: &DrawResult,
    kind: IndicationReason,
) -> String {
    let judged = if r.judged_error_pct == r.error_pct {
        String::new()
    } else {
        format!(" (judged {})", pct(r.judged_error_pct))
    };
    let (lower, upper) = (pct(r.limits_pct.lower), pct(r.limits_pct.upper));
    match (kind, &r.decision) {
        (IndicationReason::UnderRule, Some(d)) => format!(
            "{label}: {} error {:+.3} %{judged} is {} under the {} rule: limits {lower} % … {upper} %, U = {:.3} %, guard band {:.3} % ({})",
            r.test_point,
            r.error_pct,
            r.indication_verdict,
            d.rule,
            d.expanded_uncertainty_pct,
            d.guard_band_pct,
            r.clause
        ),
        _ => format!(
            "{label}: {} error {:+.3} %{judged} outside {lower} % … {upper} % ({})",
            r.test_point, r.error_pct, r.clause
        ),
    }
}

/// A reason's text, or an empty one for a verdict-only accumulator (`texts` false).
fn word(texts: bool, f: impl FnOnce() -> String) -> String {
    if texts {
        f()
    } else {
        String::new()
    }
}

/// A percentage for messages: signed, at most four decimals, no trailing zeros (+0.3, −0.2609).
fn pct(x: f64) -> String {
    let s = format!("{:+.4}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Judges every draw of one nozzle and summarises them (labels are `draw 1`, `draw 2`, …).
///
/// ```
/// use verimeter::dispenser::{evaluate_nozzle, Draw, TestPoint};
/// use verimeter::profile::DispenserProfile;
/// use verimeter::Verdict;
/// let p = DispenserProfile::builtin("jjg443-2015")?;
/// let draws = [Draw::new(TestPoint::Max, 20.00, 20.01)];
/// let (_, summary) = evaluate_nozzle(&p, p.stage(Some("subsequent"))?, &draws);
/// assert_eq!(summary.verdict, Verdict::Incomplete); // min flow missing, 3 draws needed
/// # Ok::<(), verimeter::Error>(())
/// ```
pub fn evaluate_nozzle(
    profile: &DispenserProfile,
    stage: &DispenserStage,
    draws: &[Draw],
) -> (Vec<Result<DrawResult>>, NozzleSummary) {
    let results: Vec<Result<DrawResult>> = draws
        .iter()
        .map(|d| evaluate_draw(profile, stage, d))
        .collect();
    let summary = summarize_nozzle(
        profile,
        stage,
        results
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("draw {}", i + 1), r)),
    );
    (results, summary)
}

/// The can reading from a neck scale: V_B = V_nominal + (h − h₀) · (neck volume per mm).
///
/// `nominal_l` is the can's nominal volume at the scale's zero mark `zero_mm`;
/// `ml_per_mm` the neck's volume per millimetre.
///
/// ```
/// use verimeter::dispenser::can_reading_from_neck;
/// // 19.75 L at 68.3 mm, 2.1 mL/mm, read at 37.4 mm → 19.685 L (worked example F1).
/// let v = can_reading_from_neck(19.75, 68.3, 2.1, 37.4).unwrap();
/// assert!((v - 19.68511).abs() < 1e-9);
/// ```
pub fn can_reading_from_neck(
    nominal_l: f64,
    zero_mm: f64,
    ml_per_mm: f64,
    reading_mm: f64,
) -> Result<f64> {
    positive("nominal_l", nominal_l)?;
    finite("zero_mm", zero_mm)?;
    positive("ml_per_mm", ml_per_mm)?;
    finite("reading_mm", reading_mm)?;
    positive(
        "can reading",
        nominal_l + (reading_mm - zero_mm) * ml_per_mm / 1000.0,
    )
}

/// The error of temperatures given without a fuel (no β_Y for the correction).
pub(crate) fn missing_fuel() -> Error {
    Error::MissingCompanion {
        given: "dispenser_temp_c and can_temp_c",
        missing: "fuel",
        purpose: "the fuel's expansion coefficient in the temperature correction",
    }
}

/// The can's expansion coefficient β_B and where it comes from: the draw's (or batch's) can
/// material, else the profile's default one; an error when there is neither or it is unknown.
pub(crate) fn can_beta(th: &ThermalRules, material: Option<&Substance>) -> Result<(f64, String)> {
    let default_can = th
        .default_can_material
        .as_ref()
        .map(|c| Substance::Named(c.value.clone()));
    let can = material
        .or(default_can.as_ref())
        .ok_or(Error::MissingCompanion {
            given: "dispenser_temp_c and can_temp_c",
            missing: "can_material",
            purpose: "the can's expansion coefficient in the temperature correction",
        })?;
    can.resolve("can_material", |n| th.can_material(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test point's count of draws goes on past 2^32 (its low word's end), and stops at
    /// 2^40 − 1.
    #[test]
    fn draw_count_beyond_u32() {
        let f = DrawFigures {
            test_point: TestPoint::Max,
            error_pct: 0.1,
            judged_error_pct: 0.1,
            corrected_standard_l: 20.0,
            mmq_l: None,
            indication_verdict: Verdict::Pass,
            amount_verdict: None,
            verdict: Verdict::Pass,
            decision: false,
        };
        let mut p = PointCore::new(TestPoint::Max);
        p.draws = u32::MAX - 1;
        p.add(&f);
        assert_eq!(p.draws() as u64, u64::from(u32::MAX));
        p.add(&f);
        assert_eq!(p.draws() as u64, 1 << 32);
        assert_eq!((p.draws, p.draws_hi), (0, 1));
        p.add(&f);
        assert_eq!(p.draws() as u64, (1 << 32) + 1);
        p.draws = u32::MAX;
        p.draws_hi = u8::MAX;
        p.add(&f);
        assert_eq!(p.draws() as u64, (1 << 40) - 1);
    }
}
