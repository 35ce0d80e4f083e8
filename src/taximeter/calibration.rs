//! Calibration of the meter constant k: the k that makes an installed meter show a target
//! error.
//!
//! k (signals per km the meter needs to indicate 1 km) is set in the meter; w (signals per km
//! the vehicle actually emits) depends on tyres, load and speed. Installed, the meter shows
//! N/k for a true distance N/w, so its error is δ = w/k − 1. Re-calibrating to a target
//! error δ_t:
//!
//! ```text
//! k_new = k_old · (1 + δ_measured) / (1 + δ_t)      (= w / (1 + δ_t))
//! ```
//!
//! The default target is the stage's `calibration_target_pct`, usually the middle of the
//! distance band (−1.5 % for JJG 517 installed, after 上海计量测试 2022(3) ⚠).
//!
//! ```
//! use verimeter::taximeter::{calibrate_for_stage, Measured, TaximeterProfile};
//! let p = TaximeterProfile::builtin("jjg517-2016")?;
//! // The meter reads +1.20 % with k = 1000 r/km (worked case T2); aim at the band middle.
//! let c = calibrate_for_stage(p.stage(None)?, 1000.0, Measured::ErrorPct(1.2), None)?;
//! assert_eq!(c.target_error_pct, -1.5);
//! assert!((c.k_new_per_km - 1000.0 * 1.012 / 0.985).abs() < 1e-9);
//! assert!((c.error_after_pct - (-1.5)).abs() < 1e-9);
//! # Ok::<(), verimeter::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{finite, positive, Error, Result};

use super::TaximeterStage;

/// What is known of the vehicle: the meter's measured error with the current k, or the
/// vehicle's coefficient w directly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Measured {
    /// The installed meter's distance error with k_old, in % (> −100).
    ErrorPct(f64),
    /// w, the signals per km the vehicle emits, > 0.
    SignalsPerKm(f64),
}

/// A calibration of k, every step shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Calibration {
    /// k before adjustment, signals per km.
    pub k_old_per_km: f64,
    /// The error with k_old, %.
    pub measured_error_pct: f64,
    /// w, the vehicle's signals per km (given, or k_old · (1 + δ_measured)).
    pub w_per_km: f64,
    /// The error aimed at, %.
    pub target_error_pct: f64,
    /// Where the target comes from (the stage's clause, or `"given"`).
    pub target_source: String,
    /// k after adjustment, signals per km.
    pub k_new_per_km: f64,
    /// The error the meter shows with k_new, % (= w/k_new − 1; equal to the target unless
    /// k_new was rounded to a settable step).
    pub error_after_pct: f64,
}

/// δ = (w/k − 1) × 100 %: the installed distance error of a meter with constant `k_per_km` on
/// a vehicle emitting `w_per_km` signals per km.
#[inline]
pub fn installed_error_pct(w_per_km: f64, k_per_km: f64) -> f64 {
    (w_per_km / k_per_km - 1.0) * 100.0
}

/// k_new = k_old · (1 + δ_measured) / (1 + δ_t), errors in %: the one calibration formula.
#[inline]
pub fn k_for_target(k_old_per_km: f64, measured_error_pct: f64, target_error_pct: f64) -> f64 {
    k_old_per_km * (1.0 + measured_error_pct / 100.0) / (1.0 + target_error_pct / 100.0)
}

fn above_minus_100(field: &'static str, pct: f64) -> Result<f64> {
    finite(field, pct)?;
    if pct > -100.0 {
        Ok(pct)
    } else {
        Err(Error::OutOfScope {
            field,
            value: pct,
            limit: -100.0,
            clause: "an error of −100 % or less means the meter indicates nothing; k = w/(1 + δ) needs δ > −100 %".into(),
        })
    }
}

/// The k that makes the meter show `target_error_pct`, from k_old and a measurement.
///
/// Errors: k_old or w not finite and > 0; an error or target not finite or ≤ −100 %; a k_new
/// that overflows.
pub fn calibrate(
    k_old_per_km: f64,
    measured: Measured,
    target_error_pct: f64,
) -> Result<Calibration> {
    calibrate_with_source(k_old_per_km, measured, target_error_pct, "given".into())
}

/// [`calibrate`] aiming at `target_error_pct`, or when `None` at the stage's
/// `calibration_target_pct` (an error when the stage has none).
pub fn calibrate_for_stage(
    stage: &TaximeterStage,
    k_old_per_km: f64,
    measured: Measured,
    target_error_pct: Option<f64>,
) -> Result<Calibration> {
    let (target, source) = match target_error_pct {
        Some(t) => (t, "given".to_string()),
        None => {
            let c = stage
                .calibration_target_pct
                .as_ref()
                .ok_or_else(|| Error::MissingContext {
                    what: "a calibration target error",
                    clause: format!("stage {:?} sets no calibration_target_pct", stage.name),
                })?;
            (c.value, c.source.clone())
        }
    };
    calibrate_with_source(k_old_per_km, measured, target, source)
}

fn calibrate_with_source(
    k_old: f64,
    measured: Measured,
    target: f64,
    target_source: String,
) -> Result<Calibration> {
    positive("k_old_per_km", k_old)?;
    above_minus_100("target_error_pct", target)?;
    let (measured_error_pct, w) = match measured {
        Measured::ErrorPct(e) => {
            above_minus_100("measured_error_pct", e)?;
            (e, positive("w_per_km", k_old * (1.0 + e / 100.0))?)
        }
        Measured::SignalsPerKm(w) => {
            positive("w_per_km", w)?;
            (
                finite("measured_error_pct", installed_error_pct(w, k_old))?,
                w,
            )
        }
    };
    let k_new = positive(
        "k_new_per_km",
        k_for_target(k_old, measured_error_pct, target),
    )?;
    Ok(Calibration {
        k_old_per_km: k_old,
        measured_error_pct,
        w_per_km: w,
        target_error_pct: target,
        target_source,
        k_new_per_km: k_new,
        error_after_pct: installed_error_pct(w, k_new),
    })
}

impl Calibration {
    /// The same calibration with k_new rounded to the nearest multiple of `step` (meters
    /// accept k in whole signals, or coarser), and the error that k then gives.
    ///
    /// ```
    /// use verimeter::taximeter::{calibrate, Measured};
    /// let c = calibrate(1000.0, Measured::ErrorPct(1.2), -1.5)?.with_k_step(1.0)?;
    /// assert_eq!(c.k_new_per_km, 1027.0);                   // 1027.41… rounded
    /// assert!((c.error_after_pct - (-1.4605)).abs() < 1e-4); // 1012/1027 − 1
    /// # Ok::<(), verimeter::Error>(())
    /// ```
    pub fn with_k_step(&self, step: f64) -> Result<Calibration> {
        positive("k_step", step)?;
        let k = positive(
            "k_new_per_km (rounded)",
            (self.k_new_per_km / step).round() * step,
        )?;
        Ok(Calibration {
            k_new_per_km: k,
            error_after_pct: installed_error_pct(self.w_per_km, k),
            ..self.clone()
        })
    }
}
