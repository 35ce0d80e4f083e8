//! # verimeter
//!
//! Legal-metrology verification of **fuel-dispenser nozzles** and **taximeters**: raw test
//! readings in; errors, tolerances, verdicts, measurement uncertainty and the clause each
//! comes from out. Every step is a value you can show to the owner of the instrument.
//!
//! ```
//! use verimeter::dispenser::{evaluate_draw, Draw, TestPoint};
//! use verimeter::profile::DispenserProfile;
//! use verimeter::Verdict;
//!
//! let profile = DispenserProfile::builtin("jjg443-2015")?;     // regulation as data
//! let stage = profile.stage(Some("subsequent"))?;              // periodic verification
//! let draw = Draw::new(TestPoint::Max, 20.06, 20.00)            // V_J, V_B in litres
//!     .with_temperatures(21.0, 20.5)                            // t_J, t_B in °C
//!     .with_fuel("diesel");
//! let r = evaluate_draw(&profile, stage, &draw)?;
//! println!("E = {:+.3} % (limit ±{} %, {}): {}", r.error_pct, r.mpe_pct, r.clause, r.verdict);
//! assert_eq!(r.verdict, Verdict::Pass);
//! assert_eq!(r.profile.id, "jjg443-2015");
//! # Ok::<(), verimeter::Error>(())
//! ```
//!
//! ## Map of the crate
//! - [`units`], [`money`]: exact unit conversions (gallons, cubic inches) and exact money
//!   with named rounding rules.
//! - [`tolerance`]: the shapes of tolerances (relative, asymmetric, floors, piecewise tables,
//!   derived quantities) as data, and judging a result against one.
//! - [`profile`]: regulations as data — built-in profiles `jjg443-2015`, `oiml-r117-1`,
//!   `nist-hb44-3.30`, `mid-mi005`, and custom profiles from JSON, validated.
//! - [`dispenser`]: draws, thermal correction, indication error, repeatability, amount check,
//!   per-nozzle verdicts.
//! - [`uncertainty`]: GUM propagation (nalgebra), Welch–Satterthwaite, coverage factors,
//!   Type A/B, straight-line calibration, the dispenser and taximeter uncertainty budgets.
//! - [`decision`]: decision rules (simple, guarded, non-binary; ILAC-G8, JCGM 106),
//!   probability of conformance, specific and global risks.
//! - [`taximeter`]: distance and time tests of taximeters (road, bench with k), built-in
//!   profiles `jjg517-2016`, `oiml-r21`, `nist-hb44-5.54`, `mid-mi007`, and k calibration.
//! - [`explain`]: every step of a result with the numbers substituted and the clauses.
//! - [`tariff`]: the fare engine — tariffs as data (Beijing 2013, Shanghai 2015, NYC yellow
//!   2019 built in), fares accrued as a taximeter does with every component shown, fare
//!   checks and fare bounds of trip logs.
//! - [`batch`]: columnar (structure-of-arrays) batches of dispenser draws and taximeter
//!   tests into caller-provided buffers, the same answers as the scalar API bit for bit.
//! - [`Verdict`], [`Error`]: the outcome and the one error type.
//!
//! ## Feature flags
//! - `parallel`: [`batch`] evaluations of ≥ 100 000 rows are split over threads with
//!   `rayon`; results are identical to the serial ones.
//!
//! ## Standards covered
//! Fuel dispensers: JJG 443-2015 (China), OIML R117-1 (class 0.5), NIST Handbook 44 §3.30,
//! EU MID 2014/32/EU Annex VII (MI-005). Taximeters: JJG 517-2016, OIML R21, NIST Handbook
//! 44 §5.54, MID Annex IX (MI-007). Uncertainty and decisions: JCGM 100 (GUM), JCGM 106,
//! ILAC-G8:2019. Numbers that could not be confirmed from the official text are marked ⚠ in
//! the profiles' and tariffs' notes and sources, and are data that a custom profile can
//! override.
//!
//! ## Guarantees
//! - No panics on any input: bad input is an [`Error`] naming the field and the value.
//! - A reading exactly on a limit is inside it; floating-point noise never flips a verdict.
//! - The library does no I/O, prints nothing and keeps no global state.

// `deny`, not `forbid`: the only `unsafe` of the crate is in `batch::simd`, allowed there
// only: the call of the AVX2 and AVX-512 instances of the batch kernels after the CPU was
// checked for them, and the SSE2 non-temporal stores of large batches' outputs.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod batch;
pub mod decision;
pub mod dispenser;
pub mod error;
pub mod explain;
pub mod money;
pub mod profile;
pub mod tariff;
pub mod taximeter;
pub mod tolerance;
pub mod uncertainty;
pub mod units;
pub mod verdict;

pub use error::{Error, Result};
pub use verdict::Verdict;

/// The unit tests' deterministic generator (no `rand` dependency).
#[cfg(test)]
pub(crate) mod test_rng {
    /// One xorshift64 step of the state `s` (never 0); returns the new state.
    pub(crate) fn step(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }
}
