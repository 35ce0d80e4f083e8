//! Columnar batches: many readings judged at once, structure-of-arrays in and out.
//!
//! The scalar API ([`evaluate_draw`], [`evaluate_test`]) returns a rich result per reading.
//! A batch takes one `f64` slice per input field plus per-batch constants (the profile, the
//! stage, the test point, the fuel, the units), and writes one value per row into slices the
//! caller provides: the error, the limit it was judged against, a verdict code and an error
//! code. There is no allocation per row and no `Result` per row: a row that the scalar API
//! would reject gets a non-zero [`RowError`] code and NaN / [`VERDICT_INVALID`] outputs; the
//! other rows are evaluated.
//!
//! **Same answers as the scalar API, bit for bit.** The batch calls the same formula functions
//! ([`corrected_standard_volume`], [`indication_error_pct`], [`meter_error_pct`],
//! [`Unit::to_base`], [`judge`] with the stage's [`ResultRounding`]) and checks the same rules
//! in the same order, so the first failing check of a row is the scalar error
//! (`tests/batch.rs` checks this on random batches, NaN and out-of-range rows included).
//! [`DispenserBatch::row_error`] and [`TaximeterBatch::row_error`] turn a row's code back into
//! the scalar path's [`Error`], message included.
//!
//! **What is vectorised.** Rows are processed in chunks of [`CHUNK_ROWS`]. Per chunk:
//! 1. one branch-free kernel loop computes V_Bt (or the base-unit reference) and E, one
//!    combined validity check (every range check as a compare, combined with `&`), judges
//!    against the per-batch limits with [`judge`]'s kernel, and writes E, the MPE, the
//!    verdict and the error code (NaN / [`VERDICT_INVALID`] selected for rows that fail the
//!    check). The kernels vectorise on the default target (SSE2 `mulpd`/`divpd`/`cmplepd`),
//!    with or without a [`ResultRounding`]: for constant limits a rounded judgement (JJG
//!    stages) is a pair of thresholds on the unrounded error plus a sign threshold, found once
//!    per plan by bisection with the scalar [`judge`] (`Thresholds`), so the kernel compares
//!    and never rounds; the judged (rounded) error is computed in a separate pass only when
//!    asked for ([`Output::with_judged`]). If the thresholds cannot be established the
//!    kernel rounds per row. Each kernel is compiled three times from one source, for the
//!    default target, with AVX2 and with AVX-512 (no fused multiply-add: same bits), and
//!    the instance is chosen at run time once per batch (`std::is_x86_feature_detected!`;
//!    see the private `simd` module), so CPUs with AVX2 or AVX-512 run wide vector kernels
//!    without a `target-cpu` build;
//! 2. rows that failed the combined check (rare) get their exact [`RowError`] code by a
//!    per-row function that checks in the scalar API's order;
//! 3. the limits are per-batch constants when the stage's tolerance is purely
//!    [`Tolerance::Relative`] or [`Tolerance::Asymmetric`] (see `constant_side` for why
//!    that is exact); tolerances that depend on the quantity (tables, floors such as MID's
//!    "at least 4 m", HB44's 6 in³, E_min) call [`Tolerance::evaluate`] per row in step 2 —
//!    scalar, no allocation except for the message of a row that fails it.
//!
//! With the `parallel` feature, batches of at least [`PARALLEL_MIN_ROWS`] rows are split into
//! pieces of [`PARALLEL_PIECE_ROWS`] evaluated on rayon's pool; every row is computed by the
//! same code whatever the split, so the output is identical to the serial one.
//!
//! ```
//! use verimeter::batch::{DispenserBatch, DispenserColumns, DispenserOutput, Fuel, VERDICT_PASS};
//! use verimeter::dispenser::{Substance, TestPoint};
//! use verimeter::profile::DispenserProfile;
//!
//! let profile = DispenserProfile::builtin("jjg443-2015")?;
//! let stage = profile.stage(None)?;
//! let batch = DispenserBatch::new(&profile, stage, TestPoint::Max)?;
//! let petrol = Substance::parse("petrol");
//! let cols = DispenserColumns {
//!     indicated_l: &[20.00, 20.20, f64::NAN],
//!     standard_l: &[20.05, 20.00, 20.00],
//!     dispenser_temp_c: Some(&[20.0, 21.0, 20.0]),
//!     can_temp_c: Some(&[20.0, 20.5, 20.0]),
//!     fuel: Fuel::Same(&petrol),
//! };
//! let (mut e, mut mpe, mut verdict, mut code) = ([0.0; 3], [0.0; 3], [0u8; 3], [0u8; 3]);
//! batch.evaluate(&cols, &mut DispenserOutput::new(&mut e, &mut mpe, &mut verdict, &mut code))?;
//! assert_eq!(verdict[0], VERDICT_PASS);
//! assert_eq!(code, [0, 0, 1]); // row 2: indicated_l is NaN
//! assert_eq!(
//!     batch.row_error(&cols, 2).unwrap().to_string(),
//!     "indicated_l must be a finite number, got NaN"
//! );
//! # Ok::<(), verimeter::Error>(())
//! ```
//!
//! [`evaluate_draw`]: crate::dispenser::evaluate_draw
//! [`judge`]: crate::tolerance::judge
//! [`ResultRounding`]: crate::tolerance::ResultRounding
//! [`evaluate_test`]: crate::taximeter::evaluate_test
//! [`corrected_standard_volume`]: crate::dispenser::corrected_standard_volume
//! [`indication_error_pct`]: crate::dispenser::indication_error_pct
//! [`meter_error_pct`]: crate::taximeter::meter_error_pct
//! [`Unit::to_base`]: crate::units::Unit::to_base

use crate::dispenser::{
    corrected_standard_volume, evaluate_draw, indication_error_pct, volume_in_scope, Draw,
    Substance, TestPoint, DRAW_VOLUME_RANGE_L,
};
use crate::error::{Error, Result};
use crate::money::RoundingMode;
use crate::profile::{DispenserProfile, DispenserStage};
use crate::taximeter::{
    evaluate_test, meter_error_pct, MeterTest, TaximeterProfile, TaximeterStage, TestKind,
};
use crate::tolerance::{
    judge, judge_by, snap, PctLimits, ResultRounding, Tolerance, ToleranceContext,
};
use crate::units::{scale_to_base, Unit};
use crate::verdict::Verdict;

pub mod fare;
mod simd;
#[doc(hidden)]
pub use simd::{avx2_available, avx512_available, KernelPath};
/// The batch's non-temporal output stores, for the benches' `same_traffic` floor (which must
/// write exactly as the batch does); not part of the API.
#[doc(hidden)]
pub use simd::{store_fence, stream_f64, stream_u8};
use simd::{Isa, Kernel};

/// Rows per chunk of the inner loops: 512 rows × 8 B = 4 KiB per column, so a chunk's columns
/// and scratch buffers stay in L1/L2 while the loops over it run (a tuning choice, not a rule).
pub const CHUNK_ROWS: usize = 512;

/// Below this many rows a batch is evaluated on the calling thread even with `parallel`:
/// rayon costs about 10 µs per fork/join (STYLE.md speed notes), and a row about 1 ns.
pub const PARALLEL_MIN_ROWS: usize = 100_000;

/// Rows per parallel piece (64 Ki): ≥ 8 k rows per piece keeps the fork/join cost below 1 %
/// (STYLE.md speed notes), and 10 M rows still give ~150 pieces for load balancing.
pub const PARALLEL_PIECE_ROWS: usize = 64 * 1024;

/// Batches of at least this many rows (4 Mi) write their four required output columns with
/// non-temporal stores: each chunk is evaluated into buffers that stay in the L1 cache, then
/// streamed to the caller's columns (`simd::stream_f64`), which saves reading every output
/// cache line before writing it. At this size the outputs (18 bytes per row, 72 MiB) and
/// inputs are far beyond a core's share of the caches, so nothing the caller reads next is
/// lost; smaller batches keep plain stores, which leave the results in cache.
/// 2026-12-01, dispenser draws, 10 M rows, one core: see docs/batch-bench.md.
pub const STREAM_MIN_ROWS: usize = 4 * 1024 * 1024;

/// Verdict code of a row judged inside its limits ([`Verdict::Pass`]).
pub const VERDICT_PASS: u8 = 0;
/// Verdict code of a row judged outside its limits ([`Verdict::Fail`]).
pub const VERDICT_FAIL: u8 = 1;
/// Verdict code of a row that could not be judged (its error code is non-zero).
pub const VERDICT_INVALID: u8 = 255;

/// The verdict a verdict code stands for (`None` for [`VERDICT_INVALID`] or unknown codes).
pub fn verdict_of(code: u8) -> Option<Verdict> {
    match code {
        VERDICT_PASS => Some(Verdict::Pass),
        VERDICT_FAIL => Some(Verdict::Fail),
        _ => None,
    }
}

/// Internal marker: the row is valid so far and its limits need the per-row slow path.
const SLOW: u8 = 254;

/// Why a row was not judged: one code per scalar error (variant and field), in the order the
/// scalar API checks them. Stored as `u8` in [`DispenserOutput::error_code`] /
/// [`TaximeterOutput::error_code`]; 0 means the row was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum RowError {
    /// [`Error::NotFinite`] `indicated_l`.
    IndicatedLNotFinite = 1,
    /// [`Error::NotPositive`] `indicated_l`.
    IndicatedLNotPositive = 2,
    /// [`Error::OutOfScope`] `indicated_l` (outside [`DRAW_VOLUME_RANGE_L`]).
    IndicatedLOutOfScope = 3,
    /// [`Error::NotFinite`] `standard_l`.
    StandardLNotFinite = 4,
    /// [`Error::NotPositive`] `standard_l`.
    StandardLNotPositive = 5,
    /// [`Error::OutOfScope`] `standard_l` (outside [`DRAW_VOLUME_RANGE_L`]).
    StandardLOutOfScope = 6,
    /// [`Error::NotFinite`] `dispenser_temp_c`.
    DispenserTempNotFinite = 7,
    /// [`Error::NotFinite`] `can_temp_c`.
    CanTempNotFinite = 8,
    /// [`Error::OutOfScope`] `dispenser_temp_c` (outside −60 … 80 °C).
    DispenserTempOutOfScope = 9,
    /// [`Error::OutOfScope`] `can_temp_c` (outside −60 … 80 °C).
    CanTempOutOfScope = 10,
    /// [`Error::OutOfScope`] `|dispenser_temp_c - can_temp_c|` (the profile's limit).
    TemperatureDifferenceOutOfScope = 11,
    /// [`Error::OutOfScope`] `|can_temp_c - reference temperature|` (the profile's limit).
    CanTemperatureOffsetOutOfScope = 12,
    /// [`Error::NotFinite`] `fuel` (a per-row expansion coefficient).
    FuelNotFinite = 13,
    /// [`Error::OutOfScope`] `fuel` (a per-row coefficient outside [0, 0.01] per °C).
    FuelOutOfScope = 14,
    /// [`Error::NotFinite`] `corrected standard volume`.
    CorrectedVolumeNotFinite = 15,
    /// [`Error::NotPositive`] `corrected standard volume`.
    CorrectedVolumeNotPositive = 16,
    /// [`Error::NotFinite`] `error_pct`.
    ErrorNotFinite = 17,
    /// The tolerance could not be evaluated for the row ([`Tolerance::evaluate`] failed: a
    /// quantity below a table, a missing MMQ, …); the variant depends on the rule, see
    /// `row_error`.
    Tolerance = 18,
    /// [`Error::NotFinite`] `reference` (taximeter; as given or in the base unit).
    ReferenceNotFinite = 32,
    /// [`Error::NotPositive`] `reference` (taximeter; as given or in the base unit).
    ReferenceNotPositive = 33,
    /// [`Error::NotFinite`] `indicated` (taximeter; as given or in the base unit).
    IndicatedNotFinite = 34,
    /// [`Error::Negative`] `indicated` (taximeter).
    IndicatedNegative = 35,
}

impl RowError {
    const ALL: [RowError; 22] = [
        RowError::IndicatedLNotFinite,
        RowError::IndicatedLNotPositive,
        RowError::IndicatedLOutOfScope,
        RowError::StandardLNotFinite,
        RowError::StandardLNotPositive,
        RowError::StandardLOutOfScope,
        RowError::DispenserTempNotFinite,
        RowError::CanTempNotFinite,
        RowError::DispenserTempOutOfScope,
        RowError::CanTempOutOfScope,
        RowError::TemperatureDifferenceOutOfScope,
        RowError::CanTemperatureOffsetOutOfScope,
        RowError::FuelNotFinite,
        RowError::FuelOutOfScope,
        RowError::CorrectedVolumeNotFinite,
        RowError::CorrectedVolumeNotPositive,
        RowError::ErrorNotFinite,
        RowError::Tolerance,
        RowError::ReferenceNotFinite,
        RowError::ReferenceNotPositive,
        RowError::IndicatedNotFinite,
        RowError::IndicatedNegative,
    ];

    /// The code stored in an error-code column.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The row error a code stands for (`None` for 0, a judged row, and unknown codes).
    pub fn from_code(code: u8) -> Option<RowError> {
        RowError::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The input field the scalar error names (`None` for [`RowError::Tolerance`], whose
    /// error depends on the rule).
    pub fn field(self) -> Option<&'static str> {
        Some(match self {
            RowError::IndicatedLNotFinite
            | RowError::IndicatedLNotPositive
            | RowError::IndicatedLOutOfScope => "indicated_l",
            RowError::StandardLNotFinite
            | RowError::StandardLNotPositive
            | RowError::StandardLOutOfScope => "standard_l",
            RowError::DispenserTempNotFinite | RowError::DispenserTempOutOfScope => {
                "dispenser_temp_c"
            }
            RowError::CanTempNotFinite | RowError::CanTempOutOfScope => "can_temp_c",
            RowError::TemperatureDifferenceOutOfScope => "|dispenser_temp_c - can_temp_c|",
            RowError::CanTemperatureOffsetOutOfScope => "|can_temp_c - reference temperature|",
            RowError::FuelNotFinite | RowError::FuelOutOfScope => "fuel",
            RowError::CorrectedVolumeNotFinite | RowError::CorrectedVolumeNotPositive => {
                "corrected standard volume"
            }
            RowError::ErrorNotFinite => "error_pct",
            RowError::Tolerance => return None,
            RowError::ReferenceNotFinite | RowError::ReferenceNotPositive => "reference",
            RowError::IndicatedNotFinite | RowError::IndicatedNegative => "indicated",
        })
    }

    /// True when `error` is the scalar error this code stands for (same variant, same field);
    /// [`RowError::Tolerance`] matches any error.
    pub fn matches(self, error: &Error) -> bool {
        use RowError as R;
        let (variant_ok, field) = match error {
            Error::NotFinite { field, .. } => (
                matches!(
                    self,
                    R::IndicatedLNotFinite
                        | R::StandardLNotFinite
                        | R::DispenserTempNotFinite
                        | R::CanTempNotFinite
                        | R::FuelNotFinite
                        | R::CorrectedVolumeNotFinite
                        | R::ErrorNotFinite
                        | R::ReferenceNotFinite
                        | R::IndicatedNotFinite
                ),
                Some(*field),
            ),
            Error::NotPositive { field, .. } => (
                matches!(
                    self,
                    R::IndicatedLNotPositive
                        | R::StandardLNotPositive
                        | R::CorrectedVolumeNotPositive
                        | R::ReferenceNotPositive
                ),
                Some(*field),
            ),
            Error::OutOfScope { field, .. } => (
                matches!(
                    self,
                    R::IndicatedLOutOfScope
                        | R::StandardLOutOfScope
                        | R::DispenserTempOutOfScope
                        | R::CanTempOutOfScope
                        | R::TemperatureDifferenceOutOfScope
                        | R::CanTemperatureOffsetOutOfScope
                        | R::FuelOutOfScope
                ),
                Some(*field),
            ),
            Error::Negative { field, .. } => (matches!(self, R::IndicatedNegative), Some(*field)),
            _ => (false, None),
        };
        self == R::Tolerance || (variant_ok && field == self.field())
    }
}

/// The fuel of a batch of draws with temperatures.
#[derive(Debug, Clone, Copy)]
pub enum Fuel<'a> {
    /// No fuel given (only valid for a batch without temperatures, as in the scalar API).
    Absent,
    /// One fuel for every row: a name from the profile or a coefficient, resolved once.
    Same(&'a Substance),
    /// An explicit cubic expansion coefficient per row, per °C (validated per row as the
    /// scalar API validates [`Substance::Coefficient`]).
    PerRow(&'a [f64]),
}

/// The input columns of a batch of dispenser draws: one value per row in each slice.
///
/// The temperatures are both given or both absent (one without the other is the scalar
/// API's [`Error::MissingCompanion`], for the whole batch).
#[derive(Debug, Clone, Copy)]
pub struct DispenserColumns<'a> {
    /// V_J, the dispenser's indication, litres.
    pub indicated_l: &'a [f64],
    /// V_B, the standard can's reading, litres.
    pub standard_l: &'a [f64],
    /// t_J, °C.
    pub dispenser_temp_c: Option<&'a [f64]>,
    /// t_B, °C.
    pub can_temp_c: Option<&'a [f64]>,
    /// The fuel's expansion coefficient.
    pub fuel: Fuel<'a>,
}

impl<'a> DispenserColumns<'a> {
    /// Columns without temperatures (no thermal correction).
    pub fn new(indicated_l: &'a [f64], standard_l: &'a [f64]) -> Self {
        Self {
            indicated_l,
            standard_l,
            dispenser_temp_c: None,
            can_temp_c: None,
            fuel: Fuel::Absent,
        }
    }

    /// The number of rows (the length of `indicated_l`).
    pub fn len(&self) -> usize {
        self.indicated_l.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.indicated_l.is_empty()
    }

    fn check(&self) -> Result<usize> {
        let n = self.len();
        same_len("standard_l", self.standard_l.len(), n)?;
        match (self.dispenser_temp_c, self.can_temp_c) {
            (Some(a), Some(b)) => {
                same_len("dispenser_temp_c", a.len(), n)?;
                same_len("can_temp_c", b.len(), n)?;
            }
            (None, None) => {}
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
        }
        if let Fuel::PerRow(b) = self.fuel {
            same_len("fuel", b.len(), n)?;
        }
        Ok(n)
    }

    fn range(&self, r: std::ops::Range<usize>) -> Self {
        Self {
            indicated_l: &self.indicated_l[r.clone()],
            standard_l: &self.standard_l[r.clone()],
            dispenser_temp_c: self.dispenser_temp_c.map(|c| &c[r.clone()]),
            can_temp_c: self.can_temp_c.map(|c| &c[r.clone()]),
            fuel: match self.fuel {
                Fuel::PerRow(b) => Fuel::PerRow(&b[r]),
                f => f,
            },
        }
    }
}

fn same_len(field: &'static str, len: usize, expected: usize) -> Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            field,
            len,
            expected,
        })
    }
}

fn opt_len(field: &'static str, c: &Option<&mut [f64]>, n: usize) -> Result<()> {
    c.as_ref().map_or(Ok(()), |c| same_len(field, c.len(), n))
}

/// Output columns, written by the batch: one value per row in each slice.
///
/// For a row with a non-zero `error_code` the `f64` outputs are NaN and the verdict is
/// [`VERDICT_INVALID`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Output<'a> {
    /// E (or δ), %, unrounded (the scalar result's `error_pct`).
    pub error_pct: &'a mut [f64],
    /// The limit on the side of the judged error, % (the scalar result's `mpe_pct`).
    pub mpe_pct: &'a mut [f64],
    /// [`VERDICT_PASS`], [`VERDICT_FAIL`] or [`VERDICT_INVALID`].
    pub verdict: &'a mut [u8],
    /// 0 for a judged row, else a [`RowError`] code.
    pub error_code: &'a mut [u8],
    /// Optional: the error as judged (rounded where the stage rounds), %.
    pub judged_error_pct: Option<&'a mut [f64]>,
    /// Optional: the lower limit, % (≤ 0).
    pub lower_pct: Option<&'a mut [f64]>,
    /// Optional: the upper limit, % (≥ 0).
    pub upper_pct: Option<&'a mut [f64]>,
}

/// The output columns of a dispenser batch.
pub type DispenserOutput<'a> = Output<'a>;
/// The output columns of a taximeter batch.
pub type TaximeterOutput<'a> = Output<'a>;

impl<'a> Output<'a> {
    /// The four required columns, no optional ones.
    pub fn new(
        error_pct: &'a mut [f64],
        mpe_pct: &'a mut [f64],
        verdict: &'a mut [u8],
        error_code: &'a mut [u8],
    ) -> Self {
        Self {
            error_pct,
            mpe_pct,
            verdict,
            error_code,
            judged_error_pct: None,
            lower_pct: None,
            upper_pct: None,
        }
    }

    /// Also writes the judged error.
    pub fn with_judged(mut self, judged_error_pct: &'a mut [f64]) -> Self {
        self.judged_error_pct = Some(judged_error_pct);
        self
    }

    /// Also writes both limits.
    pub fn with_limits(mut self, lower_pct: &'a mut [f64], upper_pct: &'a mut [f64]) -> Self {
        self.lower_pct = Some(lower_pct);
        self.upper_pct = Some(upper_pct);
        self
    }

    fn check(&self, n: usize) -> Result<()> {
        same_len("error_pct", self.error_pct.len(), n)?;
        same_len("mpe_pct", self.mpe_pct.len(), n)?;
        same_len("verdict", self.verdict.len(), n)?;
        same_len("error_code", self.error_code.len(), n)?;
        opt_len("judged_error_pct", &self.judged_error_pct, n)?;
        opt_len("lower_pct", &self.lower_pct, n)?;
        opt_len("upper_pct", &self.upper_pct, n)
    }

    /// Splits the columns at row `mid` (all lengths checked ≥ `mid` beforehand).
    fn split_at(self, mid: usize) -> (Output<'a>, Output<'a>) {
        fn opt(c: Option<&mut [f64]>, mid: usize) -> (Option<&mut [f64]>, Option<&mut [f64]>) {
            match c {
                Some(c) => {
                    let (a, b) = c.split_at_mut(mid);
                    (Some(a), Some(b))
                }
                None => (None, None),
            }
        }
        let (e0, e1) = self.error_pct.split_at_mut(mid);
        let (m0, m1) = self.mpe_pct.split_at_mut(mid);
        let (v0, v1) = self.verdict.split_at_mut(mid);
        let (c0, c1) = self.error_code.split_at_mut(mid);
        let (j0, j1) = opt(self.judged_error_pct, mid);
        let (l0, l1) = opt(self.lower_pct, mid);
        let (u0, u1) = opt(self.upper_pct, mid);
        (
            Output {
                error_pct: e0,
                mpe_pct: m0,
                verdict: v0,
                error_code: c0,
                judged_error_pct: j0,
                lower_pct: l0,
                upper_pct: u0,
            },
            Output {
                error_pct: e1,
                mpe_pct: m1,
                verdict: v1,
                error_code: c1,
                judged_error_pct: j1,
                lower_pct: l1,
                upper_pct: u1,
            },
        )
    }

    fn reborrow(&mut self) -> Output<'_> {
        Output {
            error_pct: self.error_pct,
            mpe_pct: self.mpe_pct,
            verdict: self.verdict,
            error_code: self.error_code,
            judged_error_pct: self.judged_error_pct.as_deref_mut(),
            lower_pct: self.lower_pct.as_deref_mut(),
            upper_pct: self.upper_pct.as_deref_mut(),
        }
    }
}

/// Limits in % that do not depend on the quantity, when that is provably exact.
///
/// For `Relative`/`Asymmetric` the scalar path computes, per side with percentage p,
/// `snap(((p / 100) · q) / q · 100)`. Without overflow or underflow (p ∈ [1e-100, 1e100],
/// q ∈ [1e-100, 1e100], checked per row by the caller via [`QUANTITY_FAST_RANGE`]) the four
/// roundings keep the unsnapped value within 4.0001 units of 2⁻⁵³ of p relative, i.e. within
/// 9 representable neighbours of p; if `snap` maps every double within ±32 neighbours of p to
/// the same value, that value is the scalar result for every such q. p = 0 gives 0 exactly.
fn constant_side(p: f64) -> Option<f64> {
    if p == 0.0 {
        return Some(snap(0.0));
    }
    if !(1e-100..=1e100).contains(&p) {
        return None;
    }
    let c = snap(p);
    let bits = p.to_bits();
    for k in 1..=32u64 {
        for y in [f64::from_bits(bits + k), f64::from_bits(bits - k)] {
            if snap(y).to_bits() != c.to_bits() {
                return None;
            }
        }
    }
    Some(c)
}

/// The reference quantities (base unit) for which constant limits are used: inside it the
/// products p/100·q cannot underflow or overflow (see `constant_side`); outside it, rows take
/// the per-row path. Every real reading lies far inside.
const QUANTITY_FAST_RANGE: (f64, f64) = (1e-100, 1e100);

fn constant_limits(t: &Tolerance) -> Option<PctLimits> {
    match t {
        Tolerance::Relative { pct, .. } => {
            let c = constant_side(*pct)?;
            Some(PctLimits {
                lower: -c,
                upper: c,
            })
        }
        Tolerance::Asymmetric {
            under_pct,
            over_pct,
            ..
        } => Some(PctLimits {
            lower: -constant_side(*under_pct)?,
            upper: constant_side(*over_pct)?,
        }),
        _ => None,
    }
}

#[inline(always)]
fn verdict_code(v: Verdict) -> u8 {
    if v == Verdict::Pass {
        VERDICT_PASS
    } else {
        VERDICT_FAIL
    }
}

/// Runs `$body` with `$round` bound to the stage's result rounding as a closure whose mode is
/// fixed at compile time and whose scale is computed once, so the chunk loops that call
/// [`judge_by`] with it have no call and no branch (and vectorise).
macro_rules! with_round {
    ($rounding:expr, $round:ident => $body:expr) => {
        match $rounding {
            None => {
                let $round = |x: f64| x;
                $body
            }
            Some(r) => {
                let scale = RoundingMode::scale(r.decimals);
                match r.mode {
                    RoundingMode::HalfUp => {
                        let $round = move |x: f64| RoundingMode::HalfUp.round_scaled(x, scale);
                        $body
                    }
                    RoundingMode::HalfEven => {
                        let $round = move |x: f64| RoundingMode::HalfEven.round_scaled(x, scale);
                        $body
                    }
                    RoundingMode::Down => {
                        let $round = move |x: f64| RoundingMode::Down.round_scaled(x, scale);
                        $body
                    }
                    RoundingMode::Up => {
                        let $round = move |x: f64| RoundingMode::Up.round_scaled(x, scale);
                        $body
                    }
                }
            }
        }
    };
}

/// The required judged outputs of one row: the MPE and the verdict code given by `judge` —
/// NaN and [`VERDICT_INVALID`] unless `ok`. Branch-free (selects).
#[inline(always)]
fn judge_row(ok: bool, e: f64, judge: impl Fn(f64) -> (f64, u8)) -> (f64, u8) {
    let (m, v) = judge(e);
    (
        if ok { m } else { f64::NAN },
        if ok { v } else { VERDICT_INVALID },
    )
}

/// The MPE and verdict code of an error `e` judged against `lim` with `round`: the scalar
/// judgement ([`judge_by`], then the limit on the side of the judged error).
#[inline(always)]
fn judge_rounded(e: f64, lim: PctLimits, round: impl Fn(f64) -> f64) -> (f64, u8) {
    let (j, v) = judge_by(e, lim, round);
    (lim.applicable(j), verdict_code(v))
}

/// A rounded judgement against constant limits as thresholds on the unrounded error E.
///
/// The rounding is non-decreasing in E (scale, snap to millionths, round to an integer in
/// any mode, unscale: each step is monotone), so for constant limits the E that pass form an
/// interval `[pass_from, fail_from)` and the judged error is negative exactly for
/// `E < nonneg_from`. The thresholds are found once per batch by bisection over the doubles
/// in order, with the scalar [`judge`] itself as the oracle, and checked against it on both
/// sides of each threshold (see [`Thresholds::new`]): the kernels then compare instead of
/// rounding, which vectorises on SSE2 (the rounding does not). The judged error itself, when
/// asked for, is rounded in a separate pass ([`finish_chunk`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Thresholds {
    /// The smallest double whose judged error is not negative (`+∞`: none is).
    nonneg_from: f64,
    /// The smallest double that passes the lower limit (`+∞`: none does).
    pass_from: f64,
    /// The smallest double that fails the upper limit (`+∞`: none does).
    fail_from: f64,
    /// The MPE of a negative judged error (`-lower`).
    neg_mpe: f64,
    /// The MPE of a non-negative judged error (`upper`).
    pos_mpe: f64,
}

/// Order-preserving map of the non-NaN doubles to `i64` (−0 just below +0); its own inverse
/// through [`from_ordered`].
fn ordered(x: f64) -> i64 {
    let i = x.to_bits() as i64;
    i ^ (((i >> 63) as u64) >> 1) as i64
}

/// The inverse of [`ordered`].
fn from_ordered(k: i64) -> f64 {
    f64::from_bits((k ^ (((k >> 63) as u64) >> 1) as i64) as u64)
}

/// The double just below `x` in the order of [`ordered`].
fn next_below(x: f64) -> f64 {
    from_ordered(ordered(x) - 1)
}

/// The smallest finite double `x` with `p(x)`, for `p` false then true over the finite doubles
/// in order: `-f64::MAX` when `p` holds everywhere, `+∞` when nowhere; `None` when the ends
/// contradict monotonicity (`p(-MAX)` but not `p(MAX)`).
fn first_true(p: impl Fn(f64) -> bool) -> Option<f64> {
    match (p(-f64::MAX), p(f64::MAX)) {
        (true, true) => return Some(-f64::MAX),
        (false, false) => return Some(f64::INFINITY),
        (true, false) => return None,
        (false, true) => {}
    }
    // Invariant: !p(lo), p(hi). At most 64 steps.
    let (mut lo, mut hi) = (
        i128::from(ordered(-f64::MAX)),
        i128::from(ordered(f64::MAX)),
    );
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if p(from_ordered(mid as i64)) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(from_ordered(hi as i64))
}

impl Thresholds {
    /// The thresholds of `lim` judged with `rounding`, or `None` when they cannot be
    /// established (the endpoints contradict monotonicity, or the thresholds disagree with
    /// the scalar [`judge`] on either side of one of them or at the special values): the
    /// caller then rounds per row.
    fn new(lim: PctLimits, rounding: &ResultRounding) -> Option<Self> {
        if lim.lower.is_nan() || lim.upper.is_nan() {
            return None;
        }
        let inf = f64::INFINITY;
        let judged = |e: f64, l: PctLimits| judge(e, l, Some(rounding));
        // One side at a time: the other limit at ±∞ is never the reason for a fail (the
        // judged error of a finite E is never NaN).
        let only_lower = PctLimits {
            lower: lim.lower,
            upper: inf,
        };
        let only_upper = PctLimits {
            lower: -inf,
            upper: lim.upper,
        };
        let t = Thresholds {
            nonneg_from: first_true(|e| judged(e, lim).0 >= 0.0)?,
            pass_from: first_true(|e| judged(e, only_lower).1 == Verdict::Pass)?,
            fail_from: first_true(|e| judged(e, only_upper).1 == Verdict::Fail)?,
            neg_mpe: -lim.lower,
            pos_mpe: lim.upper,
        };
        let mut probes = vec![
            -f64::MAX,
            f64::MAX,
            -inf,
            inf,
            f64::NAN,
            0.0,
            -0.0,
            lim.lower,
            lim.upper,
        ];
        for x in [t.nonneg_from, t.pass_from, t.fail_from] {
            if x.is_finite() {
                probes.extend([x, next_below(x)]);
                if x < f64::MAX {
                    probes.push(from_ordered(ordered(x) + 1));
                }
            }
        }
        let round = |x: f64| rounding.apply(x);
        let agrees = probes.iter().all(|&e| {
            let (m, v) = judge_rounded(e, lim, round);
            let (tm, tv) = t.judge(e);
            m.to_bits() == tm.to_bits() && v == tv
        });
        agrees.then_some(t)
    }

    /// The MPE and verdict code of `e` (the scalar judgement, for every double `e`).
    #[inline(always)]
    fn judge(&self, e: f64) -> (f64, u8) {
        let m = if e < self.nonneg_from {
            self.neg_mpe
        } else {
            self.pos_mpe
        };
        let inside = (e >= self.pass_from) & (e < self.fail_from);
        (m, if inside { VERDICT_PASS } else { VERDICT_FAIL })
    }
}

/// The thresholds of a plan: only with a result rounding (without one the kernels compare
/// directly) and constant limits.
fn plan_thresholds(
    limits: Option<PctLimits>,
    rounding: Option<&ResultRounding>,
) -> Option<Thresholds> {
    Thresholds::new(limits?, rounding?)
}

/// The limits used by the chunk kernels: the constant ones, or NaN (never `ok`) when the
/// tolerance needs the per-row path.
fn kernel_limits(limits: Option<PctLimits>) -> PctLimits {
    limits.unwrap_or(PctLimits {
        lower: f64::NAN,
        upper: f64::NAN,
    })
}

/// Finishes a chunk after its kernel. First the optional outputs of the rows the kernel
/// judged (judged error, limits; NaN elsewhere). Then rows marked [`CHECK`] get their exact
/// code from `exact`; valid ones among them ([`SLOW`]: limits depending on the quantity
/// `quantity(i)`) are judged with `slow_limits` one by one (no allocation unless one fails).
#[allow(clippy::too_many_arguments)]
fn finish_chunk(
    isa: Isa,
    out: &mut Output<'_>,
    any_check: bool,
    lim: PctLimits,
    round: impl Fn(f64) -> f64 + Copy,
    exact: impl Fn(usize) -> u8,
    quantity: impl Fn(usize) -> f64,
    mut slow_limits: impl FnMut(usize, f64) -> Result<PctLimits>,
) {
    let n = out.error_pct.len();
    let (e, code) = (&out.error_pct[..n], &out.error_code[..n]);
    if out.judged_error_pct.is_some() || out.lower_pct.is_some() || out.upper_pct.is_some() {
        isa.run(FillKernel {
            lim,
            round,
            e,
            code,
            judged: out.judged_error_pct.as_deref_mut(),
            lower: out.lower_pct.as_deref_mut(),
            upper: out.upper_pct.as_deref_mut(),
        });
    }
    if !any_check {
        return;
    }
    for i in 0..n {
        if out.error_code[i] != CHECK {
            continue;
        }
        let c = exact(i);
        let limits = if c == SLOW {
            slow_limits(i, quantity(i)).ok()
        } else {
            None
        };
        match limits {
            Some(l) => {
                let (j, v) = judge_by(out.error_pct[i], l, round);
                out.error_code[i] = 0;
                out.mpe_pct[i] = l.applicable(j);
                out.verdict[i] = verdict_code(v);
                for (col, x) in [
                    (out.judged_error_pct.as_deref_mut(), j),
                    (out.lower_pct.as_deref_mut(), l.lower),
                    (out.upper_pct.as_deref_mut(), l.upper),
                ] {
                    if let Some(col) = col {
                        col[i] = x;
                    }
                }
            }
            None => {
                out.error_code[i] = if c == SLOW {
                    RowError::Tolerance.code()
                } else {
                    c
                };
                out.error_pct[i] = f64::NAN;
            }
        }
    }
}

/// The optional columns of a chunk ([`finish_chunk`]) for the rows the kernel judged (code
/// 0; NaN elsewhere): the judged (rounded) error (`judge_by`'s) and the constant limits. A
/// [`Kernel`], so that these loops run in the AVX2 / AVX-512 instance on CPUs that have them
/// (the rounding is selects and adds without a branch, 4 or 8 rows per instruction instead
/// of one; the code bytes widen to masks in one instruction). No fused multiply-add is
/// enabled, so every row's bits are those of the scalar rounding.
struct FillKernel<'a, R> {
    lim: PctLimits,
    round: R,
    e: &'a [f64],
    code: &'a [u8],
    judged: Option<&'a mut [f64]>,
    lower: Option<&'a mut [f64]>,
    upper: Option<&'a mut [f64]>,
}

impl<R: Fn(f64) -> f64 + Copy> Kernel for FillKernel<'_, R> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Self {
            lim,
            round,
            e,
            code,
            judged,
            lower,
            upper,
        } = self;
        // Zipped, not indexed: no bounds checks, so the loops vectorise.
        if let Some(c) = judged {
            for ((c, &e), &code) in c.iter_mut().zip(e).zip(code) {
                let j = judge_by(e, lim, round).0;
                *c = if code == 0 { j } else { f64::NAN };
            }
        }
        for (c, x) in [(lower, lim.lower), (upper, lim.upper)] {
            if let Some(c) = c {
                for (c, &code) in c.iter_mut().zip(code) {
                    *c = if code == 0 { x } else { f64::NAN };
                }
            }
        }
    }
}

/// The required output columns of one chunk as separate slices, so that kernels taking them
/// as separate `&mut` parameters are known not to overlap (vectorised without alias checks).
macro_rules! chunk_outputs {
    ($o:expr, $n:expr) => {
        (
            &mut $o.error_pct[..$n],
            &mut $o.mpe_pct[..$n],
            &mut $o.verdict[..$n],
            &mut $o.error_code[..$n],
        )
    };
}

/// A chunk's four required output columns in the core's L1 cache, for batches of at least
/// [`STREAM_MIN_ROWS`] rows: the kernel and [`finish_chunk`] write here
/// ([`Staging::target`]), then [`Staging::flush`] streams the rows to the caller's columns.
struct Staging {
    e: [f64; CHUNK_ROWS],
    mpe: [f64; CHUNK_ROWS],
    v: [u8; CHUNK_ROWS],
    code: [u8; CHUNK_ROWS],
}

impl Staging {
    /// Buffers for a batch of `n` rows: `Some` (one allocation per batch) from
    /// [`STREAM_MIN_ROWS`] rows on.
    fn for_rows(n: usize) -> Option<Box<Staging>> {
        (n >= STREAM_MIN_ROWS).then(|| {
            Box::new(Staging {
                e: [0.0; CHUNK_ROWS],
                mpe: [0.0; CHUNK_ROWS],
                v: [0; CHUNK_ROWS],
                code: [0; CHUNK_ROWS],
            })
        })
    }

    /// The output a chunk of `m` rows is written to: these buffers for the required
    /// columns, `o`'s own optional columns.
    fn target<'s>(&'s mut self, o: &'s mut Output<'_>, m: usize) -> Output<'s> {
        Output {
            error_pct: &mut self.e[..m],
            mpe_pct: &mut self.mpe[..m],
            verdict: &mut self.v[..m],
            error_code: &mut self.code[..m],
            judged_error_pct: o.judged_error_pct.as_deref_mut(),
            lower_pct: o.lower_pct.as_deref_mut(),
            upper_pct: o.upper_pct.as_deref_mut(),
        }
    }

    /// Streams the chunk's `m` rows to `o`'s required columns.
    fn flush(&self, o: &mut Output<'_>, m: usize) {
        simd::stream_f64(o.error_pct, &self.e[..m]);
        simd::stream_f64(o.mpe_pct, &self.mpe[..m]);
        simd::stream_u8(o.verdict, &self.v[..m]);
        simd::stream_u8(o.error_code, &self.code[..m]);
    }
}

#[inline(always)]
fn finite(x: f64) -> bool {
    x.abs() < f64::INFINITY
}

/// A plan for judging batches of draws of one nozzle type: a profile stage at one test point,
/// with every per-batch constant resolved once.
#[derive(Debug, Clone)]
pub struct DispenserBatch<'p> {
    profile: &'p DispenserProfile,
    stage: &'p DispenserStage,
    test_point: TestPoint,
    tolerance: &'p Tolerance,
    limits: Option<PctLimits>,
    thresholds: Option<Thresholds>,
    can_material: Option<Substance>,
    mmq_l: Option<f64>,
    kernels: KernelPath,
}

impl<'p> DispenserBatch<'p> {
    /// A plan for draws at `test_point` against `stage` of `profile`.
    ///
    /// Errors when the stage has no indication rule for the test point (the scalar API's
    /// [`Error::InvalidProfile`] for every row). When the rule is a plain `Relative` or
    /// `Asymmetric` tolerance the limits in % are computed here, once, and the batch judges
    /// branch-free; the constant is used only where it is provably the scalar value (see
    /// the module docs), other rows take the per-row path.
    pub fn new(
        profile: &'p DispenserProfile,
        stage: &'p DispenserStage,
        test_point: TestPoint,
    ) -> Result<Self> {
        let rule = stage
            .indication_for(test_point)
            .ok_or_else(|| Error::InvalidProfile {
                profile: profile.id.clone(),
                path: format!("stages.{}.indication", stage.name),
                reason: format!("no rule for test point {test_point}"),
            })?;
        let limits = constant_limits(&rule.tolerance);
        Ok(Self {
            profile,
            stage,
            test_point,
            tolerance: &rule.tolerance,
            limits,
            thresholds: plan_thresholds(limits, stage.result_rounding.as_ref()),
            can_material: None,
            mmq_l: None,
            kernels: KernelPath::Detect,
        })
    }

    /// The can material of every row (default: the profile's default can material).
    pub fn with_can_material(mut self, material: Substance) -> Self {
        self.can_material = Some(material);
        self
    }

    /// The nozzle's minimum measured quantity, litres, for every row (as [`Draw::mmq_l`]).
    pub fn with_mmq(mut self, mmq_l: f64) -> Self {
        self.mmq_l = Some(mmq_l);
        self
    }

    /// Forces one compiled instance of the chunk kernels (hidden: for tests and benches that
    /// compare the AVX-512, AVX2 and portable instances; see `batch::simd`). Forcing an
    /// instance the CPU cannot run falls back to the next one (never unsound).
    #[doc(hidden)]
    pub fn with_kernel_path(mut self, path: KernelPath) -> Self {
        self.kernels = path;
        self
    }

    /// True when the limits are per-batch constants (the vectorised judging path).
    pub fn has_constant_limits(&self) -> bool {
        self.limits.is_some()
    }

    /// True when the stage's result rounding is judged by per-batch thresholds on the
    /// unrounded error (constant limits and a result rounding whose thresholds could be
    /// established; see the module docs): the kernels then compare without rounding.
    pub fn judges_by_thresholds(&self) -> bool {
        self.thresholds.is_some()
    }

    /// Row `i` as a scalar [`Draw`] (what [`evaluate_draw`] would be given).
    pub fn draw(&self, cols: &DispenserColumns<'_>, i: usize) -> Option<Draw> {
        let mut d = Draw::new(
            self.test_point,
            *cols.indicated_l.get(i)?,
            *cols.standard_l.get(i)?,
        );
        d.dispenser_temp_c = cols.dispenser_temp_c.and_then(|c| c.get(i).copied());
        d.can_temp_c = cols.can_temp_c.and_then(|c| c.get(i).copied());
        d.fuel = match cols.fuel {
            Fuel::Absent => None,
            Fuel::Same(s) => Some(s.clone()),
            Fuel::PerRow(b) => Some(Substance::Coefficient(*b.get(i)?)),
        };
        d.can_material.clone_from(&self.can_material);
        d.mmq_l = self.mmq_l;
        Some(d)
    }

    /// The scalar error of row `i` (`None` when the row is valid or out of range): the
    /// [`evaluate_draw`] error of [`DispenserBatch::draw`], so the message is the scalar one.
    pub fn row_error(&self, cols: &DispenserColumns<'_>, i: usize) -> Option<Error> {
        evaluate_draw(self.profile, self.stage, &self.draw(cols, i)?).err()
    }

    /// Judges every row of `cols` into `out`.
    ///
    /// Errors (before any row is written): columns or outputs of different lengths
    /// ([`Error::LengthMismatch`]); one temperature column without the other, or temperatures
    /// without a fuel ([`Error::MissingCompanion`]); a batch fuel, can material or MMQ the
    /// scalar API would reject. Per-row problems are codes in `out.error_code`.
    pub fn evaluate(
        &self,
        cols: &DispenserColumns<'_>,
        out: &mut DispenserOutput<'_>,
    ) -> Result<()> {
        let n = cols.check()?;
        out.check(n)?;
        let k = self.constants(cols)?;
        self.run(&k, cols, out.reborrow());
        Ok(())
    }

    /// As [`DispenserBatch::evaluate`], always on the calling thread (for callers that
    /// parallelise themselves, and to measure the one-core figure with `parallel` on).
    pub fn evaluate_serial(
        &self,
        cols: &DispenserColumns<'_>,
        out: &mut DispenserOutput<'_>,
    ) -> Result<()> {
        let n = cols.check()?;
        out.check(n)?;
        let k = self.constants(cols)?;
        self.run_serial(&k, cols, out.reborrow());
        Ok(())
    }

    fn constants(&self, cols: &DispenserColumns<'_>) -> Result<DrawConstants> {
        if let Some(m) = self.mmq_l {
            volume_in_scope("mmq_l", m)?;
        }
        let mut k = DrawConstants {
            beta_fuel: 0.0,
            beta_can: 0.0,
            t_ref: self.profile.thermal.reference_temperature_c.value,
            max_diff: f64::INFINITY,
            max_offset: f64::INFINITY,
            temps: cols.dispenser_temp_c.is_some(),
            batch_rows: cols.len(),
        };
        if !k.temps {
            return Ok(k);
        }
        let th = &self.profile.thermal;
        // The scalar comparisons are `d > lim + 1e-9`; the thresholds are the same sums.
        if let Some(l) = &th.max_temperature_difference_c {
            k.max_diff = l.value + 1e-9;
        }
        if let Some(l) = &th.max_can_temperature_offset_c {
            k.max_offset = l.value + 1e-9;
        }
        match cols.fuel {
            Fuel::Absent => return Err(crate::dispenser::missing_fuel()),
            Fuel::Same(s) => k.beta_fuel = s.resolve("fuel", |n| th.fuel(n))?.0,
            Fuel::PerRow(_) => {}
        }
        k.beta_can = crate::dispenser::can_beta(th, self.can_material.as_ref())?.0;
        Ok(k)
    }

    fn run(&self, k: &DrawConstants, cols: &DispenserColumns<'_>, out: Output<'_>) {
        #[cfg(feature = "parallel")]
        if cols.len() >= PARALLEL_MIN_ROWS {
            return self.run_parallel(k, cols, out);
        }
        self.run_serial(k, cols, out)
    }

    #[cfg(feature = "parallel")]
    fn run_parallel(&self, k: &DrawConstants, cols: &DispenserColumns<'_>, out: Output<'_>) {
        let n = cols.len();
        if n <= PARALLEL_PIECE_ROWS {
            return self.run_serial(k, cols, out);
        }
        // Split at a multiple of the piece size so pieces are whole.
        let mid = (n / 2).div_ceil(PARALLEL_PIECE_ROWS) * PARALLEL_PIECE_ROWS;
        let (o0, o1) = out.split_at(mid);
        let (c0, c1) = (cols.range(0..mid), cols.range(mid..n));
        rayon::join(
            || self.run_parallel(k, &c0, o0),
            || self.run_parallel(k, &c1, o1),
        );
    }

    fn run_serial(&self, k: &DrawConstants, cols: &DispenserColumns<'_>, out: Output<'_>) {
        let lim = kernel_limits(self.limits);
        // The CPU check, once per batch (per parallel piece with `parallel`).
        let isa = Isa::select(self.kernels);
        with_round!(self.stage.result_rounding.as_ref(), round => match self.thresholds {
            Some(t) => self.run_chunks(isa, k, cols, out, round, move |e| t.judge(e)),
            None => {
                self.run_chunks(isa, k, cols, out, round, move |e| judge_rounded(e, lim, round))
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn run_chunks(
        &self,
        isa: Isa,
        k: &DrawConstants,
        cols: &DispenserColumns<'_>,
        mut out: Output<'_>,
        round: impl Fn(f64) -> f64 + Copy,
        judge: impl Fn(f64) -> (f64, u8) + Copy,
    ) {
        let n = cols.len();
        let beta_const = [k.beta_fuel; CHUNK_ROWS];
        let lim = kernel_limits(self.limits);
        let mmq_default = self.profile.default_mmq_l.as_ref().map(|c| c.value);
        let tp_mmq = self.test_point == TestPoint::Mmq;
        let bounded = k.thermal_bounded(matches!(cols.fuel, Fuel::PerRow(_)));
        let mut staging = Staging::for_rows(k.batch_rows);
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK_ROWS).min(n);
            let m = end - start;
            let c = cols.range(start..end);
            let (_, rest) = out.reborrow().split_at(start);
            let (mut chunk_out, _) = rest.split_at(m);
            let mut o = match staging.as_deref_mut() {
                Some(s) => s.target(&mut chunk_out, m),
                None => chunk_out.reborrow(),
            };
            let betas = match c.fuel {
                Fuel::PerRow(b) => b,
                _ => &beta_const[..m],
            };
            let any_check = {
                let (e, mpe, v, code) = chunk_outputs!(o, m);
                let out = ChunkOut { e, mpe, v, code };
                match (c.dispenser_temp_c, c.can_temp_c) {
                    (Some(tj), Some(tb)) => {
                        let args = ThermalArgs {
                            k,
                            lim,
                            judge,
                            vj: c.indicated_l,
                            vb: c.standard_l,
                            tj,
                            tb,
                            betas,
                            out,
                        };
                        if bounded {
                            isa.run(args.kernel::<true>())
                        } else {
                            isa.run(args.kernel::<false>())
                        }
                    }
                    _ => isa.run(DrawKernelPlain {
                        lim,
                        judge,
                        vj: c.indicated_l,
                        vb: c.standard_l,
                        out,
                    }),
                }
            };
            let temps = c.dispenser_temp_c.zip(c.can_temp_c);
            let exact = |i: usize| {
                let t = temps.map(|(tj, tb)| (tj[i], tb[i], betas[i]));
                draw_code(k, c.indicated_l[i], c.standard_l[i], t)
            };
            // V_Bt of a row, recomputed (the same formula) for the rows that need it.
            let quantity = |i: usize| match temps {
                Some((tj, tb)) => corrected_standard_volume(
                    c.standard_l[i],
                    tj[i],
                    tb[i],
                    betas[i],
                    k.beta_can,
                    k.t_ref,
                ),
                None => c.standard_l[i],
            };
            let ind = c.indicated_l;
            finish_chunk(
                isa,
                &mut o,
                any_check,
                lim,
                round,
                exact,
                quantity,
                |i, q| {
                    let mmq = self
                        .mmq_l
                        .or(if tp_mmq { Some(ind[i]) } else { None })
                        .or(mmq_default);
                    self.tolerance
                        .evaluate(&ToleranceContext::new(q).with_mmq(mmq))?
                        .as_pct(q)
                },
            );
            if let Some(s) = staging.as_deref() {
                s.flush(&mut chunk_out, m);
            }
            start = end;
        }
        if staging.is_some() {
            simd::store_fence();
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct DrawConstants {
    beta_fuel: f64,
    beta_can: f64,
    t_ref: f64,
    max_diff: f64,
    max_offset: f64,
    temps: bool,
    /// The rows of the whole batch (parallel pieces included): whether to stream
    /// ([`STREAM_MIN_ROWS`]).
    batch_rows: usize,
}

impl DrawConstants {
    /// Whether the batch's constants alone bound the thermal factor of every row that passes
    /// the kernel's remaining checks (volumes in [`DRAW_VOLUME_RANGE_L`], temperatures in
    /// −60 … 80 °C, |t_J − t_B| within the profile's limit), so that the thermal kernel may
    /// skip three per-row checks that cannot fail: β_Y in [0, 0.01] (one β for the whole
    /// batch, checked here), V_Bt inside [`QUANTITY_FAST_RANGE`], and E finite.
    ///
    /// The factor is `1 + β_Y (t_J − t_B) + β_B (t_B − t_ref)`, JJG 443-2015's temperature
    /// correction as [`corrected_standard_volume`] cites it. The 0.25 below is no
    /// regulation's number: it is a numerical bound chosen with a wide margin. When
    /// `β_Y·|t_J − t_B|max + |β_B|·|t_B − t_ref|max ≤ 0.25` the factor lies in [0.75, 1.25]
    /// (the rounding of three operations is 10⁻¹⁶ relative), so
    /// V_Bt ∈ [7.5·10⁻⁵, 1.25·10⁶] L and |E| ≤ 1.25·10⁶ / 7.5·10⁻⁵ · 100 < 2·10¹²: finite.
    /// With per-row β (a fuel column), or constants outside this bound, the kernel keeps the
    /// checks. Either way the answers are the same (the checks only route rows to the exact
    /// per-row path); this only saves work.
    fn thermal_bounded(&self, per_row_beta: bool) -> bool {
        if per_row_beta
            || !(0.0..=0.01).contains(&self.beta_fuel)
            || !self.beta_can.is_finite()
            || !self.t_ref.is_finite()
        {
            return false;
        }
        // Both temperatures are in −60 … 80 °C when the other checks pass.
        let span = self.max_diff.min(140.0);
        let offset = (self.t_ref + 60.0).abs().max((80.0 - self.t_ref).abs());
        self.beta_fuel * span + self.beta_can.abs() * offset <= 0.25
    }
}

// The plain kernel relies on this: a volume in scope is inside the fast quantity range, and
// the error of two in-scope volumes is finite (|E| ≤ 10⁶ / 10⁻⁴ · 100 = 10¹²).
const _: () = assert!(
    DRAW_VOLUME_RANGE_L.0 >= QUANTITY_FAST_RANGE.0
        && DRAW_VOLUME_RANGE_L.1 <= QUANTITY_FAST_RANGE.1
);

/// Internal marker: the row failed the combined check; its exact code is found per row.
const CHECK: u8 = 253;

/// The first failing check of a volume, in the scalar `volume_in_scope` order.
#[inline]
fn volume_error(
    v: f64,
    not_finite: RowError,
    not_pos: RowError,
    out: RowError,
) -> Option<RowError> {
    if !finite(v) {
        Some(not_finite)
    } else if v <= 0.0 {
        Some(not_pos)
    } else if !(DRAW_VOLUME_RANGE_L.0..=DRAW_VOLUME_RANGE_L.1).contains(&v) {
        Some(out)
    } else {
        None
    }
}

/// The exact code of one draw, checks in the order of `evaluate_draw` (used only for rows
/// that failed the combined check of the chunk kernel): a [`RowError`] code, or [`SLOW`]
/// when the row is valid but needs the per-row tolerance path.
#[allow(clippy::too_many_arguments)]
fn draw_code(k: &DrawConstants, v_j: f64, v_b: f64, t: Option<(f64, f64, f64)>) -> u8 {
    use RowError as R;
    let first = volume_error(
        v_j,
        R::IndicatedLNotFinite,
        R::IndicatedLNotPositive,
        R::IndicatedLOutOfScope,
    )
    .or_else(|| {
        volume_error(
            v_b,
            R::StandardLNotFinite,
            R::StandardLNotPositive,
            R::StandardLOutOfScope,
        )
    });
    if let Some(e) = first {
        return e.code();
    }
    let q = match t {
        None => v_b,
        Some((t_j, t_b, beta)) => {
            let checks = [
                (!finite(t_j), R::DispenserTempNotFinite),
                (!finite(t_b), R::CanTempNotFinite),
                (!(-60.0..=80.0).contains(&t_j), R::DispenserTempOutOfScope),
                (!(-60.0..=80.0).contains(&t_b), R::CanTempOutOfScope),
                (
                    (t_j - t_b).abs() > k.max_diff,
                    R::TemperatureDifferenceOutOfScope,
                ),
                (
                    (t_b - k.t_ref).abs() > k.max_offset,
                    R::CanTemperatureOffsetOutOfScope,
                ),
                (!finite(beta), R::FuelNotFinite),
                (!(0.0..=0.01).contains(&beta), R::FuelOutOfScope),
            ];
            if let Some((_, e)) = checks.iter().find(|(bad, _)| *bad) {
                return e.code();
            }
            let q = corrected_standard_volume(v_b, t_j, t_b, beta, k.beta_can, k.t_ref);
            if !finite(q) {
                return R::CorrectedVolumeNotFinite.code();
            }
            if q <= 0.0 {
                return R::CorrectedVolumeNotPositive.code();
            }
            q
        }
    };
    if !finite(indication_error_pct(v_j, q)) {
        return R::ErrorNotFinite.code();
    }
    SLOW
}

/// The required output columns of one chunk, as separate `&mut` slices: known not to
/// overlap, so the kernels vectorise without alias checks.
struct ChunkOut<'a> {
    e: &'a mut [f64],
    mpe: &'a mut [f64],
    v: &'a mut [u8],
    code: &'a mut [u8],
}

impl<'a> ChunkOut<'a> {
    /// The columns cut to the chunk's length `n` (lets the compiler drop the bounds checks).
    #[inline(always)]
    fn cut(
        self,
    ) -> (
        usize,
        &'a mut [f64],
        &'a mut [f64],
        &'a mut [u8],
        &'a mut [u8],
    ) {
        let n = self.e.len();
        (
            n,
            self.e,
            &mut self.mpe[..n],
            &mut self.v[..n],
            &mut self.code[..n],
        )
    }
}

/// Chunk kernel with the thermal correction, fused with judging. Branch-free: one combined
/// check per row; judged against the constant limits; rows that fail the check are marked
/// [`CHECK`] and resolved by [`finish_chunk`]. Returns whether any row was marked. Compiled
/// once per instruction set (`simd`).
///
/// `BOUNDED` drops the checks that [`DrawConstants::thermal_bounded`] shows cannot fail.
struct DrawKernelThermal<'a, J, const BOUNDED: bool>(ThermalArgs<'a, J>);

/// The arguments of [`DrawKernelThermal`].
struct ThermalArgs<'a, J> {
    k: &'a DrawConstants,
    lim: PctLimits,
    judge: J,
    vj: &'a [f64],
    vb: &'a [f64],
    tj: &'a [f64],
    tb: &'a [f64],
    betas: &'a [f64],
    out: ChunkOut<'a>,
}

impl<'a, J> ThermalArgs<'a, J> {
    /// The kernel; with `BOUNDED` it skips the checks that the batch's constants make
    /// redundant ([`DrawConstants::thermal_bounded`]).
    fn kernel<const BOUNDED: bool>(self) -> DrawKernelThermal<'a, J, BOUNDED> {
        DrawKernelThermal(self)
    }
}

impl<J: Fn(f64) -> (f64, u8) + Copy, const BOUNDED: bool> Kernel
    for DrawKernelThermal<'_, J, BOUNDED>
{
    type Output = bool;

    #[inline(always)]
    fn run(self) -> bool {
        let ThermalArgs {
            k,
            lim,
            judge,
            vj,
            vb,
            tj,
            tb,
            betas,
            out,
        } = self.0;
        let (n, e_out, mpe_out, verdict_out, code_out) = out.cut();
        let (vj, vb, tj, tb, betas) = (&vj[..n], &vb[..n], &tj[..n], &tb[..n], &betas[..n]);
        let constant = !lim.lower.is_nan();
        let (qlo, qhi) = QUANTITY_FAST_RANGE;
        let (vlo, vhi) = DRAW_VOLUME_RANGE_L;
        let mut any_check = false;
        for i in 0..n {
            let (v_j, v_b, t_j, t_b, beta) = (vj[i], vb[i], tj[i], tb[i], betas[i]);
            let q = corrected_standard_volume(v_b, t_j, t_b, beta, k.beta_can, k.t_ref);
            let e = indication_error_pct(v_j, q);
            // Each range check also rejects NaN and ±∞; `&` (not `&&`) keeps it branch-free.
            let ok = constant
                & (vlo..=vhi).contains(&v_j)
                & (vlo..=vhi).contains(&v_b)
                & (-60.0..=80.0).contains(&t_j)
                & (-60.0..=80.0).contains(&t_b)
                & ((t_j - t_b).abs() <= k.max_diff)
                & ((t_b - k.t_ref).abs() <= k.max_offset)
                & (BOUNDED
                    || ((0.0..=0.01).contains(&beta) & (qlo..=qhi).contains(&q) & finite(e)));
            any_check |= !ok;
            let (m, v) = judge_row(ok, e, judge);
            e_out[i] = e;
            mpe_out[i] = m;
            verdict_out[i] = v;
            code_out[i] = if ok { 0 } else { CHECK };
        }
        any_check
    }
}

/// Chunk kernel without temperatures (V_Bt = V_B), fused with judging; see
/// [`DrawKernelThermal`].
struct DrawKernelPlain<'a, J> {
    lim: PctLimits,
    judge: J,
    vj: &'a [f64],
    vb: &'a [f64],
    out: ChunkOut<'a>,
}

impl<J: Fn(f64) -> (f64, u8) + Copy> Kernel for DrawKernelPlain<'_, J> {
    type Output = bool;

    #[inline(always)]
    fn run(self) -> bool {
        let Self {
            lim,
            judge,
            vj,
            vb,
            out,
        } = self;
        let (n, e_out, mpe_out, verdict_out, code_out) = out.cut();
        let (vj, vb) = (&vj[..n], &vb[..n]);
        let constant = !lim.lower.is_nan();
        let (vlo, vhi) = DRAW_VOLUME_RANGE_L;
        let mut any_check = false;
        for i in 0..n {
            let (v_j, q) = (vj[i], vb[i]);
            let e = indication_error_pct(v_j, q);
            // In scope, q is in the fast range and E is finite (the `const` assertion
            // below `DrawConstants`): those two checks cannot fail here.
            let ok = constant & (vlo..=vhi).contains(&v_j) & (vlo..=vhi).contains(&q);
            any_check |= !ok;
            let (m, v) = judge_row(ok, e, judge);
            e_out[i] = e;
            mpe_out[i] = m;
            verdict_out[i] = v;
            code_out[i] = if ok { 0 } else { CHECK };
        }
        any_check
    }
}

/// The input columns of a batch of taximeter distance or time tests.
#[derive(Debug, Clone, Copy)]
pub struct TaximeterColumns<'a> {
    /// The reference (true) quantity of each test, in the batch's reference unit.
    pub reference: &'a [f64],
    /// The meter's indication of each test, in the batch's indicated unit.
    pub indicated: &'a [f64],
}

impl<'a> TaximeterColumns<'a> {
    fn check(&self) -> Result<usize> {
        let n = self.reference.len();
        same_len("indicated", self.indicated.len(), n)?;
        Ok(n)
    }

    fn range(&self, r: std::ops::Range<usize>) -> Self {
        Self {
            reference: &self.reference[r.clone()],
            indicated: &self.indicated[r],
        }
    }
}

/// A plan for judging batches of taximeter tests of one kind, in fixed units, against one
/// stage.
#[derive(Debug, Clone)]
pub struct TaximeterBatch<'p> {
    profile: &'p TaximeterProfile,
    stage: &'p TaximeterStage,
    kind: TestKind,
    reference_unit: Unit,
    indicated_unit: Unit,
    tolerance: &'p Tolerance,
    limits: Option<PctLimits>,
    thresholds: Option<Thresholds>,
    kernels: KernelPath,
}

impl<'p> TaximeterBatch<'p> {
    /// A plan for tests of `kind` with references in `reference_unit` and indications in
    /// `indicated_unit`.
    ///
    /// Errors as the scalar API would for every row: a unit of the wrong dimension
    /// ([`Error::WrongUnit`]), a stage without a tolerance for `kind`.
    pub fn new(
        profile: &'p TaximeterProfile,
        stage: &'p TaximeterStage,
        kind: TestKind,
        reference_unit: Unit,
        indicated_unit: Unit,
    ) -> Result<Self> {
        // The unit checks of `MeterTest::to_base`, on a row that passes every value check.
        MeterTest::new(kind, 1.0, 1.0, reference_unit)
            .with_indicated_unit(indicated_unit)
            .to_base()?;
        let tolerance = stage.tolerance(kind)?;
        let limits = constant_limits(tolerance);
        Ok(Self {
            profile,
            stage,
            kind,
            reference_unit,
            indicated_unit,
            tolerance,
            limits,
            thresholds: plan_thresholds(limits, stage.result_rounding.as_ref()),
            kernels: KernelPath::Detect,
        })
    }

    /// Forces one compiled instance of the chunk kernels (hidden: for tests and benches that
    /// compare the AVX-512, AVX2 and portable instances; see `batch::simd`). Forcing an
    /// instance the CPU cannot run falls back to the next one (never unsound).
    #[doc(hidden)]
    pub fn with_kernel_path(mut self, path: KernelPath) -> Self {
        self.kernels = path;
        self
    }

    /// True when the limits are per-batch constants (the vectorised judging path).
    pub fn has_constant_limits(&self) -> bool {
        self.limits.is_some()
    }

    /// True when the stage's result rounding is judged by per-batch thresholds on the
    /// unrounded error (constant limits and a result rounding whose thresholds could be
    /// established; see the module docs): the kernels then compare without rounding.
    pub fn judges_by_thresholds(&self) -> bool {
        self.thresholds.is_some()
    }

    /// Row `i` as a scalar [`MeterTest`].
    pub fn test(&self, cols: &TaximeterColumns<'_>, i: usize) -> Option<MeterTest> {
        Some(
            MeterTest::new(
                self.kind,
                *cols.reference.get(i)?,
                *cols.indicated.get(i)?,
                self.reference_unit,
            )
            .with_indicated_unit(self.indicated_unit),
        )
    }

    /// The scalar error of row `i` (`None` when valid or out of range), message included.
    pub fn row_error(&self, cols: &TaximeterColumns<'_>, i: usize) -> Option<Error> {
        evaluate_test(self.profile, self.stage, &self.test(cols, i)?).err()
    }

    /// Judges every row of `cols` into `out`. Errors (before any row is written): columns or
    /// outputs of different lengths.
    pub fn evaluate(
        &self,
        cols: &TaximeterColumns<'_>,
        out: &mut TaximeterOutput<'_>,
    ) -> Result<()> {
        let n = cols.check()?;
        out.check(n)?;
        self.run(cols, out.reborrow());
        Ok(())
    }

    /// As [`TaximeterBatch::evaluate`], always on the calling thread.
    pub fn evaluate_serial(
        &self,
        cols: &TaximeterColumns<'_>,
        out: &mut TaximeterOutput<'_>,
    ) -> Result<()> {
        let n = cols.check()?;
        out.check(n)?;
        self.run_serial(cols, out.reborrow(), n);
        Ok(())
    }

    fn run(&self, cols: &TaximeterColumns<'_>, out: Output<'_>) {
        let rows = cols.reference.len();
        #[cfg(feature = "parallel")]
        if rows >= PARALLEL_MIN_ROWS {
            return self.run_parallel(cols, out, rows);
        }
        self.run_serial(cols, out, rows)
    }

    #[cfg(feature = "parallel")]
    /// `rows`: the whole batch's (whether to stream, [`STREAM_MIN_ROWS`]).
    fn run_parallel(&self, cols: &TaximeterColumns<'_>, out: Output<'_>, rows: usize) {
        let n = cols.reference.len();
        if n <= PARALLEL_PIECE_ROWS {
            return self.run_serial(cols, out, rows);
        }
        let mid = (n / 2).div_ceil(PARALLEL_PIECE_ROWS) * PARALLEL_PIECE_ROWS;
        let (o0, o1) = out.split_at(mid);
        let (c0, c1) = (cols.range(0..mid), cols.range(mid..n));
        rayon::join(
            || self.run_parallel(&c0, o0, rows),
            || self.run_parallel(&c1, o1, rows),
        );
    }

    fn run_serial(&self, cols: &TaximeterColumns<'_>, out: Output<'_>, rows: usize) {
        let lim = kernel_limits(self.limits);
        // The CPU check, once per batch (per parallel piece with `parallel`).
        let isa = Isa::select(self.kernels);
        with_round!(self.stage.result_rounding.as_ref(), round => match self.thresholds {
            Some(t) => self.run_chunks(isa, cols, out, rows, round, move |e| t.judge(e)),
            None => {
                self.run_chunks(isa, cols, out, rows, round, move |e| judge_rounded(e, lim, round))
            }
        })
    }

    fn run_chunks(
        &self,
        isa: Isa,
        cols: &TaximeterColumns<'_>,
        mut out: Output<'_>,
        rows: usize,
        round: impl Fn(f64) -> f64 + Copy,
        judge: impl Fn(f64) -> (f64, u8) + Copy,
    ) {
        let n = cols.reference.len();
        let lim = kernel_limits(self.limits);
        let mut staging = Staging::for_rows(rows);
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK_ROWS).min(n);
            let m = end - start;
            let c = cols.range(start..end);
            let (_, rest) = out.reborrow().split_at(start);
            let (mut chunk_out, _) = rest.split_at(m);
            let mut o = match staging.as_deref_mut() {
                Some(s) => s.target(&mut chunk_out, m),
                None => chunk_out.reborrow(),
            };
            let any_check = {
                let (e, mpe, v, code) = chunk_outputs!(o, m);
                isa.run(TaxiKernel {
                    // `Unit::to_base` with the factors looked up once (the lookup is a branch
                    // per row otherwise, which keeps the loop from vectorising).
                    rf: self.reference_unit.factor(),
                    xf: self.indicated_unit.factor(),
                    lim,
                    judge,
                    r_in: c.reference,
                    x_in: c.indicated,
                    out: ChunkOut { e, mpe, v, code },
                })
            };
            let exact = |i: usize| self.code(c.reference[i], c.indicated[i]);
            let quantity = |i: usize| self.reference_unit.to_base(c.reference[i]);
            finish_chunk(
                isa,
                &mut o,
                any_check,
                lim,
                round,
                exact,
                quantity,
                |_, q| {
                    self.tolerance
                        .evaluate(&ToleranceContext::new(q))?
                        .as_pct(q)
                },
            );
            if let Some(s) = staging.as_deref() {
                s.flush(&mut chunk_out, m);
            }
            start = end;
        }
        if staging.is_some() {
            simd::store_fence();
        }
    }

    /// The exact code of one test, checks in the order of `MeterTest::to_base` then the
    /// error's finiteness: a [`RowError`] code, or [`SLOW`] for a valid row.
    fn code(&self, r: f64, x: f64) -> u8 {
        use RowError as R;
        let rb = self.reference_unit.to_base(r);
        let xb = self.indicated_unit.to_base(x);
        let checks = [
            (!finite(r), R::ReferenceNotFinite),
            (r <= 0.0, R::ReferenceNotPositive),
            (!finite(x), R::IndicatedNotFinite),
            (x < 0.0, R::IndicatedNegative),
            (!finite(rb), R::ReferenceNotFinite),
            (!finite(xb), R::IndicatedNotFinite),
            (rb <= 0.0, R::ReferenceNotPositive),
            (!finite(meter_error_pct(xb, rb)), R::ErrorNotFinite),
        ];
        checks
            .iter()
            .find(|(bad, _)| *bad)
            .map_or(SLOW, |(_, e)| e.code())
    }
}

/// Taximeter chunk kernel fused with judging (see [`DrawKernelThermal`]): base units, δ,
/// one combined check per row, judged against the constant limits.
struct TaxiKernel<'a, J> {
    /// [`Unit::factor`] of the reference unit.
    rf: f64,
    /// [`Unit::factor`] of the indicated unit.
    xf: f64,
    lim: PctLimits,
    judge: J,
    r_in: &'a [f64],
    x_in: &'a [f64],
    out: ChunkOut<'a>,
}

impl<J: Fn(f64) -> (f64, u8) + Copy> Kernel for TaxiKernel<'_, J> {
    type Output = bool;

    #[inline(always)]
    fn run(self) -> bool {
        let Self {
            rf,
            xf,
            lim,
            judge,
            r_in,
            x_in,
            out,
        } = self;
        let (n, e_out, mpe_out, verdict_out, code_out) = out.cut();
        let (r_in, x_in) = (&r_in[..n], &x_in[..n]);
        let constant = !lim.lower.is_nan();
        let (qlo, qhi) = QUANTITY_FAST_RANGE;
        let mut any_check = false;
        for i in 0..n {
            let (r, x) = (r_in[i], x_in[i]);
            let rb = scale_to_base(r, rf);
            let xb = scale_to_base(x, xf);
            let e = meter_error_pct(xb, rb);
            // The fast range implies r finite and > 0 and its base value finite and > 0.
            let ok = constant & (qlo..=qhi).contains(&rb) & (x >= 0.0) & finite(xb) & finite(e);
            any_check |= !ok;
            let (m, v) = judge_row(ok, e, judge);
            e_out[i] = e;
            mpe_out[i] = m;
            verdict_out[i] = v;
            code_out[i] = if ok { 0 } else { CHECK };
        }
        any_check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundings() -> Vec<ResultRounding> {
        let modes = [
            RoundingMode::HalfEven,
            RoundingMode::HalfUp,
            RoundingMode::Down,
            RoundingMode::Up,
        ];
        modes
            .iter()
            .flat_map(|&mode| {
                (0..=4).map(move |decimals| ResultRounding {
                    decimals,
                    mode,
                    source: String::new(),
                })
            })
            .collect()
    }

    fn limits() -> Vec<PctLimits> {
        vec![
            PctLimits::symmetric(0.30),
            PctLimits::symmetric(0.50),
            PctLimits::symmetric(0.2),
            PctLimits::symmetric(0.1),
            PctLimits::symmetric(0.0),
            PctLimits::symmetric(1e-9),
            PctLimits::symmetric(123.456),
            PctLimits {
                lower: -4.0,
                upper: 1.0,
            },
            PctLimits {
                lower: -0.0,
                upper: 0.6,
            },
        ]
    }

    /// Every double within `k` steps (in order) of `x`.
    fn around(x: f64, k: i64) -> impl Iterator<Item = f64> {
        (-k..=k).filter_map(move |d| {
            let y = from_ordered(ordered(x).checked_add(d)?);
            (!y.is_nan()).then_some(y)
        })
    }

    #[test]
    fn ordered_is_monotone_and_invertible() {
        let xs = [
            f64::NEG_INFINITY,
            -f64::MAX,
            -1.0,
            -f64::MIN_POSITIVE,
            -5e-324,
            -0.0,
            0.0,
            5e-324,
            1.0,
            f64::MAX,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(ordered(w[0]) < ordered(w[1]), "{w:?}");
            assert_eq!(from_ordered(ordered(w[0])).to_bits(), w[0].to_bits());
        }
        assert_eq!(ordered(0.0) - ordered(-0.0), 1);
    }

    /// The thresholds give the scalar judgement (rounding, then limits) at, and up to 64
    /// doubles around, each threshold, each limit ± half a unit of the last digit kept, each
    /// rounding boundary near the limits, and the special values.
    #[test]
    fn thresholds_equal_the_scalar_judgement() {
        for r in roundings() {
            let unit = 10f64.powi(-(r.decimals as i32));
            for lim in limits() {
                let t = Thresholds::new(lim, &r)
                    .unwrap_or_else(|| panic!("no thresholds for {lim:?} {r:?}"));
                let mut centres = vec![t.nonneg_from, t.pass_from, t.fail_from, 0.0];
                for l in [lim.lower, lim.upper] {
                    for d in [-unit, -unit / 2.0, 0.0, unit / 2.0, unit] {
                        centres.extend([l + d, -(l + d)]);
                    }
                }
                for c in centres.into_iter().filter(|c| c.is_finite()) {
                    for e in around(c, 64) {
                        // The scalar API's judgement (`evaluate_draw` / `evaluate_test`).
                        let (j, v) = judge(e, lim, Some(&r));
                        let scalar = (lim.applicable(j), verdict_code(v));
                        let fast = t.judge(e);
                        assert!(
                            scalar.0.to_bits() == fast.0.to_bits() && scalar.1 == fast.1,
                            "E = {e:e} ({e:?}) {lim:?} {r:?}: scalar {scalar:?}, thresholds {fast:?}"
                        );
                    }
                }
                for e in [
                    f64::NAN,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::MAX,
                    -f64::MAX,
                ] {
                    let scalar = judge_rounded(e, lim, |x| r.apply(x));
                    assert_eq!(scalar.0.to_bits(), t.judge(e).0.to_bits());
                    assert_eq!(scalar.1, t.judge(e).1);
                }
            }
        }
    }

    /// The JJG thresholds sit where the rounding puts them: ±0.30 % half-even to 0.01 %
    /// passes up to (not including) 0.305 (0.305 rounds to 0.30 half-even, so a little
    /// beyond: the first failing E is the first that rounds to 0.31).
    #[test]
    fn jjg_thresholds_are_half_a_unit_out() {
        let r = ResultRounding {
            decimals: 2,
            mode: RoundingMode::HalfEven,
            source: String::new(),
        };
        let lim = PctLimits::symmetric(0.30);
        let t = Thresholds::new(lim, &r).unwrap();
        assert!((t.fail_from - 0.305).abs() < 1e-6, "{t:?}");
        assert!((t.pass_from + 0.305).abs() < 1e-6, "{t:?}");
        assert!((t.nonneg_from + 0.005).abs() < 1e-6, "{t:?}");
        assert_eq!(r.apply(next_below(t.fail_from)), 0.30);
        assert_eq!(r.apply(t.fail_from), 0.31);
    }

    #[test]
    fn first_true_rejects_contradicting_ends() {
        assert_eq!(first_true(|x| x < 0.0), None);
        assert_eq!(first_true(|_| true), Some(-f64::MAX));
        assert_eq!(first_true(|_| false), Some(f64::INFINITY));
        assert_eq!(first_true(|x| x >= 1.5), Some(1.5));
        assert_eq!(first_true(|x| x > 0.0), Some(5e-324));
        assert_eq!(
            first_true(|x| x >= 0.0).map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
    }
    /// The fallback kernels that round per row (used when no thresholds can be established)
    /// give the same bits in the AVX-512, AVX2 and portable instances, and the same as the threshold
    /// kernels, for every rounding mode and scale.
    #[test]
    fn per_row_rounding_kernels_agree_across_paths() {
        let taxi = TaximeterProfile::builtin("jjg517-2016").unwrap();
        let disp = DispenserProfile::builtin("jjg443-2015").unwrap();
        let n = 2 * CHUNK_ROWS + 13;
        let mut s: u64 = 0x2545_F491_4F6C_DD1D;
        let mut u = move || {
            crate::test_rng::step(&mut s);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let specials = [f64::NAN, f64::INFINITY, -1.0, 0.0, -0.0, 1e-300, f64::MAX];
        let reference: Vec<f64> = (0..n)
            .map(|i| match i % 41 {
                0 => specials[(i / 41) % specials.len()],
                _ => 0.5 + 20.0 * u(),
            })
            .collect();
        let indicated: Vec<f64> = reference
            .iter()
            .enumerate()
            .map(|(i, r)| match i % 43 {
                0 => specials[(i / 43) % specials.len()],
                _ => r * (1.0 + (u() - 0.5) * 0.02),
            })
            .collect();
        type Bits = Vec<(u64, u64, u8, u8, u64)>;
        let run = |f: &dyn Fn(&mut Output<'_>)| -> Bits {
            let (mut e, mut m, mut v, mut c, mut j) = (
                vec![0.0; n],
                vec![0.0; n],
                vec![0; n],
                vec![0; n],
                vec![0.0; n],
            );
            f(&mut Output::new(&mut e, &mut m, &mut v, &mut c).with_judged(&mut j));
            (0..n)
                .map(|i| (e[i].to_bits(), m[i].to_bits(), v[i], c[i], j[i].to_bits()))
                .collect()
        };
        let mut checked = 0;
        for r in roundings() {
            let mut ts = taxi.stage(Some("installed")).unwrap().clone();
            ts.result_rounding = Some(r.clone());
            let mut ds = disp.stage(None).unwrap().clone();
            ds.result_rounding = Some(r.clone());
            let km = Unit::Kilometre;
            let tb = TaximeterBatch::new(&taxi, &ts, TestKind::Distance, km, km).unwrap();
            let db = DispenserBatch::new(&disp, &ds, TestPoint::Max).unwrap();
            let tcols = TaximeterColumns {
                reference: &reference,
                indicated: &indicated,
            };
            let dcols = DispenserColumns::new(&indicated, &reference);
            let mut results = vec![];
            for thresholds in [true, false] {
                for path in [KernelPath::Portable, KernelPath::Avx2, KernelPath::Avx512] {
                    let mut t = tb.clone().with_kernel_path(path);
                    let mut d = db.clone().with_kernel_path(path);
                    if !thresholds {
                        t.thresholds = None;
                        d.thresholds = None;
                    }
                    let taxi_bits = run(&|o| t.evaluate_serial(&tcols, o).unwrap());
                    let disp_bits = run(&|o| d.evaluate_serial(&dcols, o).unwrap());
                    results.push((taxi_bits, disp_bits));
                }
            }
            for other in &results[1..] {
                assert!(*other == results[0], "{r:?}");
            }
            checked += 1;
        }
        assert_eq!(checked, roundings().len());
    }
}
