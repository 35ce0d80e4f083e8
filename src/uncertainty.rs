//! Measurement uncertainty by the GUM (JCGM 100:2008): propagation, degrees of freedom,
//! coverage factors, Type A and Type B evaluations, straight-line calibration, and the
//! uncertainty budgets of the two instruments.
//!
//! The law of propagation (JCGM 100): u_c²(y) = cᵀ V c, with c the sensitivity
//! coefficients ∂f/∂x_i and V the covariance matrix of the inputs (V_ij = r_ij u_i u_j).
//! Sensitivities are analytic where the caller gives a gradient, else central differences.
//!
//! ```
//! use verimeter::uncertainty::{propagate, Input};
//! // y = x₁ · x₂ with x₁ = 2 ± 0.1 and x₂ = 3 ± 0.2 (uncorrelated):
//! // u_c² = (3·0.1)² + (2·0.2)² = 0.25 → u_c = 0.5.
//! let inputs = [Input::new("x1", 2.0, 0.1), Input::new("x2", 3.0, 0.2)];
//! let r = propagate(&inputs, None, |x| x[0] * x[1]).unwrap();
//! assert!((r.value - 6.0).abs() < 1e-12);
//! assert!((r.standard_uncertainty - 0.5).abs() < 1e-9);
//! ```

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::error::{finite, positive, Error, Result};

/// One input quantity of a measurement model: its estimate, standard uncertainty and degrees
/// of freedom (`None` = infinite, e.g. a Type B evaluation taken as exact).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// A name, for budgets and messages.
    pub name: String,
    /// The estimate x_i.
    pub value: f64,
    /// The standard uncertainty u(x_i) ≥ 0.
    pub u: f64,
    /// Degrees of freedom ν_i; `None` = ∞.
    pub dof: Option<f64>,
}

impl Input {
    /// An input with infinite degrees of freedom.
    pub fn new(name: &str, value: f64, u: f64) -> Self {
        Self {
            name: name.to_string(),
            value,
            u,
            dof: None,
        }
    }

    /// The same input with ν degrees of freedom.
    pub fn with_dof(mut self, dof: f64) -> Self {
        self.dof = Some(dof);
        self
    }

    fn validate(&self) -> Result<()> {
        finite("input value", self.value)?;
        finite("input standard uncertainty", self.u)?;
        if self.u < 0.0 {
            return Err(Error::Negative {
                field: "input standard uncertainty",
                value: self.u,
            });
        }
        if let Some(n) = self.dof {
            positive("input degrees of freedom", n)?;
        }
        Ok(())
    }
}

/// Effective degrees of freedom of a combined uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
#[non_exhaustive]
pub enum DegreesOfFreedom {
    /// A finite ν_eff (Welch–Satterthwaite, JCGM 100).
    Finite(f64),
    /// Every contributing input has infinite degrees of freedom.
    Infinite,
    /// Welch–Satterthwaite does not apply: correlated inputs with finite degrees of freedom.
    /// (JCGM 100 assumes independent inputs; no silent ∞ is reported.)
    Undefined,
}

/// The result of propagating uncertainty through a scalar model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Combined {
    /// y = f(x).
    pub value: f64,
    /// u_c(y).
    pub standard_uncertainty: f64,
    /// The sensitivity coefficients c_i = ∂f/∂x_i.
    pub sensitivities: Vec<f64>,
    /// The contributions u_i(y) = |c_i| u(x_i).
    pub contributions: Vec<f64>,
    /// ν_eff.
    pub dof: DegreesOfFreedom,
}

impl Combined {
    /// The expanded uncertainty U = k u_c for a coverage probability `p` (e.g. 0.95), with k
    /// from Student's t at ν_eff (ν_eff truncated to the next lower integer).
    pub fn expanded(&self, p: f64) -> Result<Expanded> {
        let k = coverage_factor(p, self.dof)?;
        Ok(Expanded {
            k,
            p,
            u: k * self.standard_uncertainty,
        })
    }
}

/// An expanded uncertainty with its coverage factor and probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Expanded {
    /// The coverage factor k.
    pub k: f64,
    /// The coverage probability p.
    pub p: f64,
    /// U = k · u_c.
    pub u: f64,
}

/// Propagates uncertainty through `f` with central-difference sensitivities.
///
/// `correlation`, if given, is the n × n correlation matrix r_ij (symmetric, unit diagonal,
/// entries in [−1, 1]). The step of the difference for input i is u_i / 1000 (or a relative
/// 1e-7 of the value where u_i = 0), small against the uncertainty so that the linearisation
/// is the GUM's first-order one.
pub fn propagate(
    inputs: &[Input],
    correlation: Option<&DMatrix<f64>>,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Combined> {
    let x: Vec<f64> = inputs.iter().map(|i| i.value).collect();
    let grad = numeric_gradient(inputs, &x, |v| vec![f(v)])?;
    let c: Vec<f64> = grad.iter().map(|row| row[0]).collect();
    propagate_with_sensitivities(inputs, correlation, finite("model value", f(&x))?, &c)
}

/// Propagates uncertainty with analytic sensitivity coefficients `c` (∂f/∂x_i at the estimates).
pub fn propagate_with_sensitivities(
    inputs: &[Input],
    correlation: Option<&DMatrix<f64>>,
    value: f64,
    c: &[f64],
) -> Result<Combined> {
    check_inputs(inputs, correlation)?;
    if c.len() != inputs.len() {
        return Err(Error::OutOfScope {
            field: "sensitivity coefficients",
            value: c.len() as f64,
            limit: inputs.len() as f64,
            clause: "one sensitivity coefficient per input".into(),
        });
    }
    for ci in c {
        finite("sensitivity coefficient", *ci)?;
    }
    let n = inputs.len();
    let v = covariance(inputs, correlation);
    let cv = DVector::from_column_slice(c);
    let var = (cv.transpose() * &v * &cv)[(0, 0)];
    let u_c = finite("combined variance", var)?.max(0.0).sqrt();
    let contributions: Vec<f64> = (0..n).map(|i| (c[i] * inputs[i].u).abs()).collect();
    let correlated =
        correlation.is_some_and(|r| (0..n).any(|i| (0..n).any(|j| i != j && r[(i, j)] != 0.0)));
    let dof = welch_satterthwaite(u_c, &contributions, inputs, correlated);
    Ok(Combined {
        value,
        standard_uncertainty: u_c,
        sensitivities: c.to_vec(),
        contributions,
        dof,
    })
}

/// Welch–Satterthwaite (JCGM 100): ν_eff = u_c⁴ / Σ u_i(y)⁴ / ν_i; inputs with ν = ∞
/// drop out. With correlated inputs of finite ν the formula does not apply: `Undefined`.
pub fn welch_satterthwaite(
    u_c: f64,
    contributions: &[f64],
    inputs: &[Input],
    correlated: bool,
) -> DegreesOfFreedom {
    let mut denom = 0.0;
    let mut finite_terms = false;
    for (ui, inp) in contributions.iter().zip(inputs) {
        if let Some(nu) = inp.dof {
            if *ui > 0.0 {
                finite_terms = true;
                denom += ui.powi(4) / nu;
            }
        }
    }
    if !finite_terms || denom == 0.0 {
        DegreesOfFreedom::Infinite
    } else if correlated {
        DegreesOfFreedom::Undefined
    } else {
        DegreesOfFreedom::Finite(u_c.powi(4) / denom)
    }
}

fn check_inputs(inputs: &[Input], correlation: Option<&DMatrix<f64>>) -> Result<()> {
    if inputs.is_empty() {
        return Err(Error::Empty { field: "inputs" });
    }
    inputs.iter().try_for_each(Input::validate)?;
    if let Some(r) = correlation {
        let n = inputs.len();
        if r.nrows() != n || r.ncols() != n {
            return Err(Error::OutOfScope {
                field: "correlation matrix size",
                value: r.nrows() as f64,
                limit: n as f64,
                clause: "the correlation matrix must be n × n for n inputs".into(),
            });
        }
        for i in 0..n {
            for j in 0..n {
                let v = finite("correlation coefficient", r[(i, j)])?;
                let ok = if i == j {
                    (v - 1.0).abs() < 1e-12
                } else {
                    (-1.0..=1.0).contains(&v) && (v - r[(j, i)]).abs() < 1e-12
                };
                if !ok {
                    return Err(Error::OutOfScope {
                        field: "correlation coefficient",
                        value: v,
                        limit: 1.0,
                        clause: format!(
                            "r[{i}][{j}]: a correlation matrix is symmetric with a unit diagonal and entries in [-1, 1]"
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The covariance matrix V_ij = r_ij u_i u_j (r = identity when no correlation is given).
pub fn covariance(inputs: &[Input], correlation: Option<&DMatrix<f64>>) -> DMatrix<f64> {
    let n = inputs.len();
    DMatrix::from_fn(n, n, |i, j| {
        let r = match correlation {
            Some(m) => m[(i, j)],
            None => {
                if i == j {
                    1.0
                } else {
                    0.0
                }
            }
        };
        r * inputs[i].u * inputs[j].u
    })
}

/// Central-difference Jacobian of a vector model: row i holds ∂f/∂x_i for every output.
fn numeric_gradient(
    inputs: &[Input],
    x: &[f64],
    f: impl Fn(&[f64]) -> Vec<f64>,
) -> Result<Vec<Vec<f64>>> {
    check_inputs(inputs, None)?;
    let mut xp = x.to_vec();
    let mut rows = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let h = if inputs[i].u > 0.0 {
            inputs[i].u / 1000.0
        } else {
            (x[i].abs() * 1e-7).max(1e-12)
        };
        xp[i] = x[i] + h;
        let fp = f(&xp);
        xp[i] = x[i] - h;
        let fm = f(&xp);
        xp[i] = x[i];
        let row: Vec<f64> = fp
            .iter()
            .zip(&fm)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect();
        for v in &row {
            finite("sensitivity coefficient", *v)?;
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The result of propagating through a vector model: values, covariance V_y = J V Jᵀ and the
/// correlation matrix of the outputs (JCGM 102, in GUM notation).
#[derive(Debug, Clone, PartialEq)]
pub struct CombinedVector {
    /// y = f(x).
    pub values: Vec<f64>,
    /// V_y.
    pub covariance: DMatrix<f64>,
    /// r(y_i, y_j).
    pub correlation: DMatrix<f64>,
}

impl CombinedVector {
    /// The standard uncertainty of output `i`.
    pub fn u(&self, i: usize) -> f64 {
        self.covariance[(i, i)].max(0.0).sqrt()
    }
}

/// Propagates through a model with `m` outputs.
pub fn propagate_vector(
    inputs: &[Input],
    correlation: Option<&DMatrix<f64>>,
    f: impl Fn(&[f64]) -> Vec<f64>,
) -> Result<CombinedVector> {
    check_inputs(inputs, correlation)?;
    let x: Vec<f64> = inputs.iter().map(|i| i.value).collect();
    let values = f(&x);
    for v in &values {
        finite("model value", *v)?;
    }
    let rows = numeric_gradient(inputs, &x, &f)?;
    let m = values.len();
    if rows.iter().any(|r| r.len() != m) {
        return Err(Error::OutOfScope {
            field: "model outputs",
            value: m as f64,
            limit: m as f64,
            clause: "the model must return the same number of outputs for every input".into(),
        });
    }
    // J is m × n: J[k][i] = ∂f_k/∂x_i.
    let j = DMatrix::from_fn(m, inputs.len(), |k, i| rows[i][k]);
    let v = covariance(inputs, correlation);
    let cov = &j * v * j.transpose();
    let correlation = DMatrix::from_fn(m, m, |a, b| {
        let d = (cov[(a, a)] * cov[(b, b)]).sqrt();
        if d > 0.0 {
            cov[(a, b)] / d
        } else if a == b {
            1.0
        } else {
            0.0
        }
    });
    Ok(CombinedVector {
        values,
        covariance: cov,
        correlation,
    })
}

/// The coverage factor k for a coverage probability `p` at `dof` degrees of freedom:
/// k = t_{(1+p)/2}(ν) (JCGM 100 Table G.2), ν truncated to the next lower integer;
/// the normal quantile for ν = ∞.
///
/// ```
/// use verimeter::uncertainty::{coverage_factor, DegreesOfFreedom};
/// let k = coverage_factor(0.9545, DegreesOfFreedom::Infinite).unwrap();
/// assert!((k - 2.00).abs() < 0.005);                            // GUM Table G.2
/// let k = coverage_factor(0.95, DegreesOfFreedom::Finite(9.0)).unwrap();
/// assert!((k - 2.2622).abs() < 5e-5);
/// ```
pub fn coverage_factor(p: f64, dof: DegreesOfFreedom) -> Result<f64> {
    finite("coverage probability", p)?;
    if !(p > 0.0 && p < 1.0) {
        return Err(Error::OutOfScope {
            field: "coverage probability",
            value: p,
            limit: 1.0,
            clause: "a coverage probability lies strictly between 0 and 1".into(),
        });
    }
    let q = (1.0 + p) / 2.0;
    match dof {
        DegreesOfFreedom::Infinite => Ok(standard_normal().inverse_cdf(q)),
        DegreesOfFreedom::Finite(nu) => {
            positive("degrees of freedom", nu)?;
            let nu = nu.floor().max(1.0);
            let t = StudentsT::new(0.0, 1.0, nu).map_err(|e| Error::OutOfScope {
                field: "degrees of freedom",
                value: nu,
                limit: 1.0,
                clause: e.to_string(),
            })?;
            Ok(t.inverse_cdf(q))
        }
        DegreesOfFreedom::Undefined => Err(Error::OutOfScope {
            field: "degrees of freedom",
            value: f64::NAN,
            limit: f64::NAN,
            clause: "ν_eff is undefined for correlated inputs (Welch–Satterthwaite, JCGM 100): give k explicitly"
                .into(),
        }),
    }
}

pub(crate) fn standard_normal() -> Normal {
    // Normal::new(0, 1) cannot fail; fall back to the same via the standard constructor.
    Normal::standard()
}

// ---------------------------------------------------------------- Type A and Type B

/// Type A evaluation (JCGM 100, Type A): the mean of `readings`, the experimental standard
/// deviation of the mean s/√n, and ν = n − 1. Needs at least two finite readings.
///
/// ```
/// use verimeter::uncertainty::type_a;
/// let i = type_a("x", &[1.0, 2.0, 3.0]).unwrap();
/// assert_eq!(i.value, 2.0);
/// assert!((i.u - 1.0 / 3f64.sqrt()).abs() < 1e-12); // s = 1, s/√3
/// assert_eq!(i.dof, Some(2.0));
/// ```
pub fn type_a(name: &str, readings: &[f64]) -> Result<Input> {
    let n = readings.len();
    if n < 2 {
        return Err(Error::OutOfScope {
            field: "number of readings",
            value: n as f64,
            limit: 2.0,
            clause: "a Type A evaluation needs at least two readings (JCGM 100, Type A)".into(),
        });
    }
    for r in readings {
        finite("reading", *r)?;
    }
    let mean = readings.iter().sum::<f64>() / n as f64;
    let s2 = readings.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Ok(Input::new(name, mean, (s2 / n as f64).sqrt()).with_dof((n - 1) as f64))
}

/// The shape of a Type B distribution given by its half-width a (JCGM 100, Type B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Distribution {
    /// Rectangular: u = a/√3.
    Rectangular,
    /// Triangular: u = a/√6.
    Triangular,
    /// U-shaped (arcsine): u = a/√2.
    UShaped,
}

/// A Type B standard uncertainty from a half-width `a` and a distribution.
///
/// ```
/// use verimeter::uncertainty::{type_b, Distribution};
/// // Reading resolution 0.01 L → half-interval 0.005 L, rectangular → 0.0029 L.
/// assert!((type_b(0.005, Distribution::Rectangular).unwrap() - 0.002_886_75).abs() < 1e-8);
/// ```
pub fn type_b(half_width: f64, shape: Distribution) -> Result<f64> {
    finite("half-width", half_width)?;
    if half_width < 0.0 {
        return Err(Error::Negative {
            field: "half-width",
            value: half_width,
        });
    }
    Ok(half_width
        / match shape {
            Distribution::Rectangular => 3f64.sqrt(),
            Distribution::Triangular => 6f64.sqrt(),
            Distribution::UShaped => 2f64.sqrt(),
        })
}

/// A standard uncertainty from a certificate's expanded uncertainty U and its k.
pub fn from_certificate(expanded: f64, k: f64) -> Result<f64> {
    finite("expanded uncertainty", expanded)?;
    if expanded < 0.0 {
        return Err(Error::Negative {
            field: "expanded uncertainty",
            value: expanded,
        });
    }
    Ok(expanded / positive("coverage factor", k)?)
}

// ---------------------------------------------------------------- straight-line calibration

/// A least-squares straight line y = y₁ + y₂ (t − t₀) with its parameter covariance
/// s² (AᵀA)⁻¹ and ν = n − 2 (JCGM 100 H.3).
#[derive(Debug, Clone, PartialEq)]
pub struct LineFit {
    /// t₀, the reference abscissa.
    pub t0: f64,
    /// The intercept y₁ at t₀.
    pub intercept: f64,
    /// The slope y₂.
    pub slope: f64,
    /// The 2 × 2 covariance of (y₁, y₂).
    pub covariance: nalgebra::Matrix2<f64>,
    /// The residual standard deviation s.
    pub residual_sd: f64,
    /// ν = n − 2.
    pub dof: f64,
}

impl LineFit {
    /// Fits `y` against `t` (at least three points, not all at the same t).
    ///
    /// ```
    /// use verimeter::uncertainty::LineFit;
    /// let fit = LineFit::fit(&[0.0, 1.0, 2.0, 3.0], &[1.0, 3.1, 4.9, 7.0], 0.0).unwrap();
    /// assert!((fit.slope - 1.98).abs() < 1e-9);
    /// let (y, u) = fit.predict(1.5);
    /// assert!((y - 4.0).abs() < 1e-9 && u > 0.0);
    /// ```
    pub fn fit(t: &[f64], y: &[f64], t0: f64) -> Result<Self> {
        finite("t0", t0)?;
        let n = t.len();
        if n != y.len() {
            return Err(Error::OutOfScope {
                field: "number of y values",
                value: y.len() as f64,
                limit: n as f64,
                clause: "t and y must have the same length".into(),
            });
        }
        if n < 3 {
            return Err(Error::OutOfScope {
                field: "number of points",
                value: n as f64,
                limit: 3.0,
                clause: "a line fit with an uncertainty needs at least three points (ν = n − 2)"
                    .into(),
            });
        }
        for (a, b) in t.iter().zip(y) {
            finite("t", *a)?;
            finite("y", *b)?;
        }
        let a = DMatrix::from_fn(n, 2, |i, j| if j == 0 { 1.0 } else { t[i] - t0 });
        let yv = DVector::from_column_slice(y);
        let ata = a.transpose() * &a;
        let inv = ata.try_inverse().ok_or(Error::OutOfScope {
            field: "t",
            value: t[0],
            limit: t[0],
            clause: "all points at the same t: the slope is undetermined".into(),
        })?;
        let beta = &inv * a.transpose() * &yv;
        let resid = &yv - &a * &beta;
        let dof = (n - 2) as f64;
        let s2 = resid.norm_squared() / dof;
        let cov = &inv * s2;
        Ok(Self {
            t0,
            intercept: beta[0],
            slope: beta[1],
            covariance: nalgebra::Matrix2::new(cov[(0, 0)], cov[(0, 1)], cov[(1, 0)], cov[(1, 1)]),
            residual_sd: s2.sqrt(),
            dof,
        })
    }

    /// The fitted value at `t` and its standard uncertainty from the full parameter covariance
    /// (not from the two u's alone): u² = V₁₁ + 2(t − t₀)V₁₂ + (t − t₀)² V₂₂.
    pub fn predict(&self, t: f64) -> (f64, f64) {
        let d = t - self.t0;
        let c = &self.covariance;
        let var = c[(0, 0)] + 2.0 * d * c[(0, 1)] + d * d * c[(1, 1)];
        (self.intercept + self.slope * d, var.max(0.0).sqrt())
    }
}

// ---------------------------------------------------------------- budgets

/// One line of an uncertainty budget: a component and its standard uncertainty in the
/// result's unit (here: percentage points of the indication error), with its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetLine {
    /// The component.
    pub name: String,
    /// Its standard uncertainty contribution to the result, in the result's unit.
    pub u: f64,
    /// Degrees of freedom; `None` = ∞.
    pub dof: Option<f64>,
    /// How it was evaluated (distribution, certificate, Type A …).
    pub basis: String,
}

/// A combined budget: lines, u_c, ν_eff and U.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// What the budget is for and which defaults it used.
    pub name: String,
    /// The lines.
    pub lines: Vec<BudgetLine>,
    /// u_c = √Σ u_i² (uncorrelated components).
    pub standard_uncertainty: f64,
    /// ν_eff.
    pub dof: DegreesOfFreedom,
    /// The expanded uncertainty.
    pub expanded: Expanded,
}

impl Budget {
    /// Combines uncorrelated lines (sensitivities already applied) and expands them at `p`.
    pub fn combine(name: &str, lines: Vec<BudgetLine>, p: f64) -> Result<Self> {
        for l in &lines {
            finite("budget component", l.u)?;
            if l.u < 0.0 {
                return Err(Error::Negative {
                    field: "budget component",
                    value: l.u,
                });
            }
        }
        let u_c = lines.iter().map(|l| l.u * l.u).sum::<f64>().sqrt();
        let inputs: Vec<Input> = lines
            .iter()
            .map(|l| Input {
                name: l.name.clone(),
                value: 0.0,
                u: l.u,
                dof: l.dof,
            })
            .collect();
        let contributions: Vec<f64> = lines.iter().map(|l| l.u).collect();
        let dof = welch_satterthwaite(u_c, &contributions, &inputs, false);
        let expanded = Combined {
            value: 0.0,
            standard_uncertainty: u_c,
            sensitivities: vec![],
            contributions,
            dof,
        }
        .expanded(p)?;
        Ok(Self {
            name: name.to_string(),
            lines,
            standard_uncertainty: u_c,
            dof,
            expanded,
        })
    }
}

/// The uncertainty components of a fuel-dispenser draw (JJG 443 evaluation, 李阳华 2016).
/// Every field has a documented default: a third-class 20 L standard can, 0.01 L reading
/// resolution of can and dispenser, 0.1 °C thermometers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DispenserBudgetSpec {
    /// The can certificate's relative expanded uncertainty (third-class can: 4×10⁻⁴).
    pub can_relative_u: f64,
    /// The certificate's coverage factor (2).
    pub can_k: f64,
    /// The can's scale resolution, L (0.01 L; half-interval, rectangular).
    pub can_resolution_l: f64,
    /// The dispenser's display resolution, L (0.01 L; half-interval, rectangular).
    pub dispenser_resolution_l: f64,
    /// Each thermometer's maximum error, °C (0.1 °C; rectangular).
    pub thermometer_error_c: f64,
    /// The relative uncertainty of the fuel's expansion coefficient (10 %, rectangular).
    pub beta_fuel_relative: f64,
    /// Drainage residue as a half-width in L (0.002 L per 20 L; rectangular).
    pub drainage_l: f64,
    /// The repeatability s of the draws in %, with its ν, where known (Type A).
    pub repeatability: Option<(f64, f64)>,
    /// The coverage probability (0.9545 → k ≈ 2).
    pub coverage_probability: f64,
}

impl Default for DispenserBudgetSpec {
    fn default() -> Self {
        Self {
            can_relative_u: 4e-4,
            can_k: 2.0,
            can_resolution_l: 0.01,
            dispenser_resolution_l: 0.01,
            thermometer_error_c: 0.1,
            beta_fuel_relative: 0.10,
            drainage_l: 0.002,
            repeatability: None,
            coverage_probability: 0.9545,
        }
    }
}

impl DispenserBudgetSpec {
    /// The budget of the indication error E (in percentage points) of a draw of `volume_l`
    /// with fuel expansion `beta_fuel` and a meter–can temperature difference `dt_c`.
    ///
    /// E ≈ (V_J / V_Bt − 1)·100, so relative uncertainties of V_J and V_Bt enter E directly
    /// (×100 for percent). The temperature term is β_Y·(t_J − t_B): two thermometers.
    pub fn budget(&self, volume_l: f64, beta_fuel: f64, dt_c: f64) -> Result<Budget> {
        let v = positive("volume_l", volume_l)?;
        finite("beta_fuel", beta_fuel)?;
        finite("dt_c", dt_c)?;
        let pct = |rel: f64| rel * 100.0;
        let mut lines = vec![
            BudgetLine {
                name: "standard can (certificate)".into(),
                u: pct(from_certificate(self.can_relative_u, self.can_k)?),
                dof: None,
                basis: format!(
                    "U_rel = {} (k = {}) from the can's certificate",
                    self.can_relative_u, self.can_k
                ),
            },
            BudgetLine {
                name: "can reading resolution".into(),
                u: pct(type_b(self.can_resolution_l / 2.0, Distribution::Rectangular)? / v),
                dof: None,
                basis: format!("half of {} L, rectangular", self.can_resolution_l),
            },
            BudgetLine {
                name: "dispenser display resolution".into(),
                u: pct(type_b(self.dispenser_resolution_l / 2.0, Distribution::Rectangular)? / v),
                dof: None,
                basis: format!("half of {} L, rectangular", self.dispenser_resolution_l),
            },
            BudgetLine {
                name: "thermometers (t_J, t_B)".into(),
                u: pct(beta_fuel
                    * 2f64.sqrt()
                    * type_b(self.thermometer_error_c, Distribution::Rectangular)?),
                dof: None,
                basis: format!(
                    "two thermometers, ±{} °C each, rectangular, × β_Y",
                    self.thermometer_error_c
                ),
            },
            BudgetLine {
                name: "fuel expansion coefficient".into(),
                u: pct(type_b(
                    self.beta_fuel_relative * beta_fuel * dt_c.abs(),
                    Distribution::Rectangular,
                )?),
                dof: None,
                basis: format!(
                    "±{} % of β_Y × |t_J − t_B|, rectangular",
                    self.beta_fuel_relative * 100.0
                ),
            },
            BudgetLine {
                name: "drainage residue".into(),
                u: pct(type_b(self.drainage_l, Distribution::Rectangular)? / v),
                dof: None,
                basis: format!("±{} L, rectangular", self.drainage_l),
            },
        ];
        if let Some((s, nu)) = self.repeatability {
            lines.push(BudgetLine {
                name: "repeatability of the draws".into(),
                u: finite("repeatability", s)?.abs(),
                dof: Some(positive("repeatability dof", nu)?),
                basis: "Type A, experimental standard deviation".into(),
            });
        }
        Budget::combine(
            &format!("JJG 443 draw of {v} L (third-class can, 0.01 L resolution, 0.1 °C thermometers unless overridden)"),
            lines,
            self.coverage_probability,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlated_inputs_have_undefined_dof() {
        let inputs = [
            Input::new("a", 1.0, 0.1).with_dof(5.0),
            Input::new("b", 1.0, 0.1).with_dof(5.0),
        ];
        let r = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
        let c = propagate(&inputs, Some(&r), |x| x[0] + x[1]).unwrap();
        // u² = 0.01 + 0.01 + 2·0.5·0.01 = 0.03.
        assert!((c.standard_uncertainty - 0.03f64.sqrt()).abs() < 1e-9);
        assert_eq!(c.dof, DegreesOfFreedom::Undefined);
        assert!(c.expanded(0.95).is_err());
    }

    #[test]
    fn bad_correlation_matrix() {
        let inputs = [Input::new("a", 1.0, 0.1), Input::new("b", 1.0, 0.1)];
        let r = DMatrix::from_row_slice(2, 2, &[1.0, 1.5, 1.5, 1.0]);
        assert!(propagate(&inputs, Some(&r), |x| x[0] + x[1]).is_err());
        let r = DMatrix::from_row_slice(1, 1, &[1.0]);
        assert!(propagate(&inputs, Some(&r), |x| x[0] + x[1]).is_err());
    }

    #[test]
    fn vector_outputs() {
        // y1 = a + b, y2 = a − b with u_a = u_b = 1: V_y = [[2, 0], [0, 2]].
        let inputs = [Input::new("a", 1.0, 1.0), Input::new("b", 2.0, 1.0)];
        let r = propagate_vector(&inputs, None, |x| vec![x[0] + x[1], x[0] - x[1]]).unwrap();
        assert!((r.u(0) - 2f64.sqrt()).abs() < 1e-9);
        assert!(r.correlation[(0, 1)].abs() < 1e-9);
    }

    #[test]
    fn bad_inputs() {
        assert!(propagate(&[], None, |_| 0.0).is_err());
        assert!(propagate(&[Input::new("a", f64::NAN, 1.0)], None, |x| x[0]).is_err());
        assert!(propagate(&[Input::new("a", 1.0, -1.0)], None, |x| x[0]).is_err());
        assert!(type_a("x", &[1.0]).is_err());
        assert!(coverage_factor(1.5, DegreesOfFreedom::Infinite).is_err());
        assert!(LineFit::fit(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], 0.0).is_err());
    }
}

/// The uncertainty components of a taximeter test. Every field has a documented default.
///
/// Distance: a measured road (or the trajectory system of JJG(京)177-2025: MPE 0.3 % over
/// 200 m ✔, taken as rectangular) or a roller; the meter's display resolution; repeatability.
/// Time: the reference stopwatch (JJG 517-2016 bench device: ±0.1 s/h ✔, rectangular) and the
/// operator's start/stop reaction (±0.2 s ⚠, rectangular); the display resolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaximeterBudgetSpec {
    /// Relative MPE of the reference distance (0.003 = 0.3 %), rectangular.
    pub reference_distance_relative_mpe: f64,
    /// The distance resolution read during the test, metres: 10 m (0.01 km, the test mode or
    /// verification interface of the meter ⚠; a 0.1 km passenger display gives 100 m and
    /// dominates any short road test), rectangular half-step.
    pub distance_display_step_m: f64,
    /// The stopwatch's rate error, seconds per hour (0.1 s/h), rectangular.
    pub stopwatch_s_per_h: f64,
    /// The start/stop reaction half-width, seconds (0.2 s ⚠), rectangular.
    pub reaction_s: f64,
    /// The meter's time display step, seconds (1 s), rectangular half-step.
    pub time_display_step_s: f64,
    /// Repeatability s of repeated tests in %, with its ν, where known (Type A).
    pub repeatability: Option<(f64, f64)>,
    /// The coverage probability (0.9545 → k ≈ 2).
    pub coverage_probability: f64,
}

impl Default for TaximeterBudgetSpec {
    fn default() -> Self {
        Self {
            reference_distance_relative_mpe: 0.003,
            distance_display_step_m: 10.0,
            stopwatch_s_per_h: 0.1,
            reaction_s: 0.2,
            time_display_step_s: 1.0,
            repeatability: None,
            coverage_probability: 0.9545,
        }
    }
}

impl TaximeterBudgetSpec {
    /// The budget of a distance test's error δ (percentage points) over `reference_m` metres.
    pub fn distance_budget(&self, reference_m: f64) -> Result<Budget> {
        let r = positive("reference_m", reference_m)?;
        let mut lines = vec![
            BudgetLine {
                name: "reference distance".into(),
                u: 100.0
                    * type_b(
                        self.reference_distance_relative_mpe,
                        Distribution::Rectangular,
                    )?,
                dof: None,
                basis: format!(
                    "±{} % of the reference, rectangular",
                    self.reference_distance_relative_mpe * 100.0
                ),
            },
            BudgetLine {
                name: "distance display resolution".into(),
                u: 100.0
                    * type_b(
                        self.distance_display_step_m / 2.0,
                        Distribution::Rectangular,
                    )?
                    / r,
                dof: None,
                basis: format!("half of {} m, rectangular", self.distance_display_step_m),
            },
        ];
        self.push_repeatability(&mut lines)?;
        Budget::combine(
            &format!("taximeter distance test over {r} m"),
            lines,
            self.coverage_probability,
        )
    }

    /// The budget of a time test's error δ (percentage points) over `reference_s` seconds.
    pub fn time_budget(&self, reference_s: f64) -> Result<Budget> {
        let t = positive("reference_s", reference_s)?;
        let mut lines = vec![
            BudgetLine {
                name: "stopwatch rate".into(),
                u: 100.0 * type_b(self.stopwatch_s_per_h / 3600.0, Distribution::Rectangular)?,
                dof: None,
                basis: format!(
                    "±{} s/h, rectangular (JJG 517-2016 bench device)",
                    self.stopwatch_s_per_h
                ),
            },
            BudgetLine {
                name: "start/stop reaction".into(),
                u: 100.0 * type_b(self.reaction_s, Distribution::Rectangular)? / t,
                dof: None,
                basis: format!("±{} s, rectangular ⚠", self.reaction_s),
            },
            BudgetLine {
                name: "time display resolution".into(),
                u: 100.0 * type_b(self.time_display_step_s / 2.0, Distribution::Rectangular)? / t,
                dof: None,
                basis: format!("half of {} s, rectangular", self.time_display_step_s),
            },
        ];
        self.push_repeatability(&mut lines)?;
        Budget::combine(
            &format!("taximeter time test over {t} s"),
            lines,
            self.coverage_probability,
        )
    }

    fn push_repeatability(&self, lines: &mut Vec<BudgetLine>) -> Result<()> {
        if let Some((s, nu)) = self.repeatability {
            lines.push(BudgetLine {
                name: "repeatability".into(),
                u: finite("repeatability", s)?.abs(),
                dof: Some(positive("repeatability dof", nu)?),
                basis: "Type A, experimental standard deviation".into(),
            });
        }
        Ok(())
    }
}
