//! The columnar batch core gives the scalar API's answers bit for bit: random batches (NaN,
//! infinite, negative, out-of-range rows included) through every built-in profile and stage,
//! compared row by row with `evaluate_draw` / `evaluate_test`.

use proptest::prelude::*;
use verimeter::batch::{
    verdict_of, DispenserBatch, DispenserColumns, DispenserOutput, Fuel, RowError, TaximeterBatch,
    TaximeterColumns, TaximeterOutput, CHUNK_ROWS, VERDICT_INVALID,
};
use verimeter::dispenser::{evaluate_draw, Draw, Substance, TestPoint};
use verimeter::profile::{DispenserProfile, BUILTIN_DISPENSER_PROFILES};
use verimeter::taximeter::{evaluate_test, MeterTest, TaximeterProfile, TestKind};
use verimeter::tolerance::ToleranceContext;
use verimeter::units::Unit;
use verimeter::{Error, Verdict};

/// Mostly realistic values, with every kind of bad value mixed in.
fn value(realistic: std::ops::Range<f64>) -> impl Strategy<Value = f64> {
    prop_oneof![
        12 => realistic,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(-1.0),
        1 => Just(1e-5),
        1 => Just(2e6),
        1 => Just(f64::MAX),
        1 => any::<f64>(),
    ]
}

#[derive(Debug, Clone)]
struct Outputs {
    e: Vec<f64>,
    mpe: Vec<f64>,
    verdict: Vec<u8>,
    code: Vec<u8>,
    judged: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Outputs {
    fn new(n: usize) -> Self {
        Self {
            e: vec![0.0; n],
            mpe: vec![0.0; n],
            verdict: vec![7; n],
            code: vec![99; n],
            judged: vec![0.0; n],
            lower: vec![0.0; n],
            upper: vec![0.0; n],
        }
    }

    fn view(&mut self) -> DispenserOutput<'_> {
        DispenserOutput::new(
            &mut self.e,
            &mut self.mpe,
            &mut self.verdict,
            &mut self.code,
        )
        .with_judged(&mut self.judged)
        .with_limits(&mut self.lower, &mut self.upper)
    }

    fn bits(&self) -> Vec<(u64, u64, u8, u8, u64, u64, u64)> {
        (0..self.e.len())
            .map(|i| {
                (
                    self.e[i].to_bits(),
                    self.mpe[i].to_bits(),
                    self.verdict[i],
                    self.code[i],
                    self.judged[i].to_bits(),
                    self.lower[i].to_bits(),
                    self.upper[i].to_bits(),
                )
            })
            .collect()
    }
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// A scalar result (`DrawResult` or `MeterTestResult`) as the tuple `check_row` compares;
/// `scalar_row!(field)` takes the verdict from `field` (default `verdict`).
macro_rules! scalar_row {
    () => {
        scalar_row!(verdict)
    };
    ($verdict:ident) => {
        |r| {
            let l = r.limits_pct;
            (
                r.error_pct,
                r.judged_error_pct,
                r.mpe_pct,
                l.lower,
                l.upper,
                r.$verdict,
            )
        }
    };
}

/// Row `i` of the batch against the scalar outcome.
#[allow(clippy::too_many_arguments)]
fn check_row(
    i: usize,
    scalar: Result<(f64, f64, f64, f64, f64, Verdict), Error>,
    out: &Outputs,
    row_error: Option<Error>,
) -> Result<(), TestCaseError> {
    match scalar {
        Ok((e, judged, mpe, lower, upper, verdict)) => {
            prop_assert_eq!(
                out.code[i],
                0,
                "row {}: scalar Ok, batch {:?}",
                i,
                row_error
            );
            prop_assert!(
                same_f64(out.e[i], e),
                "row {i}: error {} vs {}",
                out.e[i],
                e
            );
            prop_assert!(same_f64(out.judged[i], judged), "row {i}: judged");
            prop_assert!(
                same_f64(out.mpe[i], mpe),
                "row {i}: mpe {} vs {}",
                out.mpe[i],
                mpe
            );
            prop_assert!(same_f64(out.lower[i], lower), "row {i}: lower");
            prop_assert!(same_f64(out.upper[i], upper), "row {i}: upper");
            prop_assert_eq!(verdict_of(out.verdict[i]), Some(verdict));
            prop_assert!(row_error.is_none());
        }
        Err(err) => {
            let code = RowError::from_code(out.code[i]);
            prop_assert!(
                code.is_some(),
                "row {i}: scalar {err}, batch code {}",
                out.code[i]
            );
            let code = code.unwrap();
            prop_assert!(
                code.matches(&err),
                "row {i}: scalar {err:?}, batch {code:?}"
            );
            prop_assert_eq!(
                row_error.map(|e| e.to_string()),
                Some(err.to_string()),
                "row {}",
                i
            );
            prop_assert!(out.e[i].is_nan() && out.mpe[i].is_nan() && out.judged[i].is_nan());
            prop_assert_eq!(out.verdict[i], VERDICT_INVALID);
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum FuelCase {
    Absent,
    Named(&'static str),
    Coefficient(f64),
    PerRow,
}

/// Profile index, stage index, test point, temperatures given, fuel, rows (V_J, V_B, t_J, t_B, β).
type DispenserCase = (
    usize,
    usize,
    TestPoint,
    bool,
    FuelCase,
    Vec<(f64, f64, f64, f64, f64)>,
);

fn dispenser_case() -> impl Strategy<Value = DispenserCase> {
    (
        0..BUILTIN_DISPENSER_PROFILES.len(),
        0..4usize,
        prop::sample::select(TestPoint::ALL.to_vec()),
        any::<bool>(),
        prop_oneof![
            Just(FuelCase::Absent),
            Just(FuelCase::Named("petrol")),
            Just(FuelCase::Named("diesel")),
            Just(FuelCase::Coefficient(0.00095)),
            // The largest β in scope: with no |t_J − t_B| limit the kernel keeps its β, V_Bt
            // and E checks (`thermal_bounded` is false); with one it drops them.
            Just(FuelCase::Coefficient(0.01)),
            Just(FuelCase::PerRow),
        ],
        // Up to a little over two chunks, so chunk edges are crossed.
        prop::collection::vec(
            (
                value(0.05..250.0),
                -0.8..0.8f64,
                value(-65.0..85.0),
                value(-6.0..6.0),
                value(0.0..0.0012),
            ),
            0..(2 * CHUNK_ROWS + 40),
        ),
    )
        .prop_map(|(p, s, tp, temps, fuel, rows)| {
            // V_J from V_B and an error in %, unless V_B is a bad value (then V_J is too).
            let rows = rows
                .into_iter()
                .enumerate()
                .map(|(i, (vb, err, tb, dt, beta))| {
                    let vj = if i % 17 == 3 {
                        -vb
                    } else {
                        vb * (1.0 + err / 100.0)
                    };
                    (vj, vb, tb + dt, tb, beta)
                })
                .collect();
            (p, s, tp, temps, fuel, rows)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn dispenser_batch_equals_scalar((p, s, tp, temps, fuel, rows) in dispenser_case()) {
        let profile = DispenserProfile::builtin(BUILTIN_DISPENSER_PROFILES[p]).unwrap();
        let names = profile.stage_names();
        let stage = profile.stage(Some(names[s % names.len()])).unwrap();
        let Ok(batch) = DispenserBatch::new(&profile, stage, tp) else {
            // No rule for the test point: the scalar API refuses every draw too.
            prop_assert!(evaluate_draw(&profile, stage, &Draw::new(tp, 20.0, 20.0)).is_err());
            return Ok(());
        };
        let n = rows.len();
        let col = |k: usize| rows.iter().map(|r| [r.0, r.1, r.2, r.3, r.4][k]).collect::<Vec<f64>>();
        let (vj, vb, tj, tb, betas) = (col(0), col(1), col(2), col(3), col(4));
        let (named, coeff);
        let substance: Option<Substance> = match fuel {
            FuelCase::Named(f) => Some(Substance::parse(f)),
            FuelCase::Coefficient(b) => Some(Substance::Coefficient(b)),
            _ => None,
        };
        let fuel_col = match (&fuel, &substance) {
            (FuelCase::PerRow, _) => Fuel::PerRow(&betas),
            (_, Some(s)) => { named = s.clone(); coeff = &named; Fuel::Same(coeff) }
            _ => Fuel::Absent,
        };
        let cols = DispenserColumns {
            indicated_l: &vj,
            standard_l: &vb,
            dispenser_temp_c: temps.then_some(&tj[..]),
            can_temp_c: temps.then_some(&tb[..]),
            fuel: fuel_col,
        };
        let mut out = Outputs::new(n);
        let res = batch.evaluate(&cols, &mut out.view());
        if temps && matches!(fuel, FuelCase::Absent) {
            let missing = matches!(res, Err(Error::MissingCompanion { .. }));
            prop_assert!(missing);
            return Ok(());
        }
        res.unwrap();
        for i in 0..n {
            let mut d = Draw::new(tp, vj[i], vb[i]);
            if temps {
                d = d.with_temperatures(tj[i], tb[i]);
                d.fuel = match fuel {
                    FuelCase::PerRow => Some(Substance::Coefficient(betas[i])),
                    _ => substance.clone(),
                };
            }
            let scalar = evaluate_draw(&profile, stage, &d).map(|r| {
                (r.error_pct, r.judged_error_pct, r.mpe_pct, r.limits_pct.lower, r.limits_pct.upper, r.indication_verdict)
            });
            check_row(i, scalar, &out, batch.row_error(&cols, i))?;
        }
    }

    #[test]
    fn taximeter_batch_equals_scalar(
        p in 0..4usize,
        s in 0..3usize,
        time in any::<bool>(),
        units in prop::sample::select(vec![(0usize, 0usize), (1, 1), (0, 1), (2, 0)]),
        rows in prop::collection::vec((value(0.001..5000.0), -5.0..5.0f64), 0..(2 * CHUNK_ROWS + 40)),
    ) {
        let ids = ["jjg517-2016", "oiml-r21", "nist-hb44-5.54", "mid-mi007"];
        let profile = TaximeterProfile::builtin(ids[p]).unwrap();
        let names = profile.stage_names();
        let stage = profile.stage(Some(names[s % names.len()])).unwrap();
        let kind = if time { TestKind::Time } else { TestKind::Distance };
        let unit_set = if time {
            [Unit::Second, Unit::Minute, Unit::Hour]
        } else {
            [Unit::Metre, Unit::Kilometre, Unit::Mile]
        };
        let (ru, iu) = (unit_set[units.0], unit_set[units.1]);
        let Ok(batch) = TaximeterBatch::new(&profile, stage, kind, ru, iu) else {
            prop_assert!(stage.tolerance(kind).is_err());
            return Ok(());
        };
        let reference: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let indicated: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| if i % 13 == 5 { -r.0 } else { r.0 * (1.0 + r.1 / 100.0) })
            .collect();
        let cols = TaximeterColumns { reference: &reference, indicated: &indicated };
        let mut out = Outputs::new(rows.len());
        batch.evaluate(&cols, &mut out.view()).unwrap();
        for i in 0..rows.len() {
            let t = MeterTest::new(kind, reference[i], indicated[i], ru).with_indicated_unit(iu);
            let scalar = evaluate_test(&profile, stage, &t).map(|r| {
                (r.error_pct, r.judged_error_pct, r.mpe_pct, r.limits_pct.lower, r.limits_pct.upper, r.verdict)
            });
            check_row(i, scalar, &out, batch.row_error(&cols, i))?;
        }
    }
}

#[test]
fn mismatched_lengths_are_one_typed_error() {
    let profile = DispenserProfile::builtin("jjg443-2015").unwrap();
    let batch =
        DispenserBatch::new(&profile, profile.stage(None).unwrap(), TestPoint::Max).unwrap();
    let mut out = Outputs::new(3);
    let cols = DispenserColumns::new(&[20.0, 20.0, 20.0], &[20.0, 20.0]);
    assert!(matches!(
        batch.evaluate(&cols, &mut out.view()),
        Err(Error::LengthMismatch {
            field: "standard_l",
            len: 2,
            expected: 3
        })
    ));
    let cols = DispenserColumns::new(&[20.0, 20.0], &[20.0, 20.0]);
    assert!(matches!(
        batch.evaluate(&cols, &mut out.view()),
        Err(Error::LengthMismatch {
            field: "error_pct",
            len: 3,
            expected: 2
        })
    ));
    let tprofile = TaximeterProfile::builtin("jjg517-2016").unwrap();
    let tb = TaximeterBatch::new(
        &tprofile,
        tprofile.stage(Some("installed")).unwrap(),
        TestKind::Distance,
        Unit::Kilometre,
        Unit::Kilometre,
    )
    .unwrap();
    let cols = TaximeterColumns {
        reference: &[1.0],
        indicated: &[],
    };
    let (mut e, mut m, mut v, mut c) = ([0.0; 1], [0.0; 1], [0u8; 1], [0u8; 1]);
    assert!(matches!(
        tb.evaluate(
            &cols,
            &mut TaximeterOutput::new(&mut e, &mut m, &mut v, &mut c)
        ),
        Err(Error::LengthMismatch {
            field: "indicated",
            ..
        })
    ));
    assert!(matches!(
        TaximeterBatch::new(
            &tprofile,
            tprofile.stage(None).unwrap(),
            TestKind::Time,
            Unit::Metre,
            Unit::Second
        ),
        Err(Error::WrongUnit { .. })
    ));
}

#[test]
fn constant_limits_where_the_tolerance_is_relative() {
    let jjg = DispenserProfile::builtin("jjg443-2015").unwrap();
    let b = DispenserBatch::new(&jjg, jjg.stage(None).unwrap(), TestPoint::Max).unwrap();
    assert!(b.has_constant_limits());
    let mid = DispenserProfile::builtin("mid-mi005").unwrap();
    let b = DispenserBatch::new(&mid, mid.stage(None).unwrap(), TestPoint::Max).unwrap();
    assert!(!b.has_constant_limits()); // MID Table 3 / E_min: per row
}

/// Deterministic rows with a bad row every 97 (xorshift; no test-order dependence).
fn big_columns(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut vj, mut vb, mut tj, mut tb) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let b = 19.9 + 0.2 * next();
        let j = if i % 97 == 0 {
            f64::NAN
        } else {
            b * (1.0 + (next() - 0.5) * 0.0066)
        };
        let t = 5.0 + 30.0 * next();
        vb.push(b);
        vj.push(j);
        tb.push(t);
        tj.push(t + (next() - 0.5) * 9.0);
    }
    (vj, vb, tj, tb)
}

/// A batch big enough for the parallel path equals the same rows evaluated in pieces below
/// the parallel threshold (the serial path), bit for bit.
#[test]
fn large_batch_equals_piecewise_serial() {
    let n = 300_000;
    let (vj, vb, tj, tb) = big_columns(n);
    let profile = DispenserProfile::builtin("jjg443-2015").unwrap();
    let batch =
        DispenserBatch::new(&profile, profile.stage(None).unwrap(), TestPoint::Max).unwrap();
    let petrol = Substance::parse("petrol");
    let cols = |r: std::ops::Range<usize>| DispenserColumns {
        indicated_l: &vj[r.clone()],
        standard_l: &vb[r.clone()],
        dispenser_temp_c: Some(&tj[r.clone()]),
        can_temp_c: Some(&tb[r]),
        fuel: Fuel::Same(&petrol),
    };
    let mut whole = Outputs::new(n);
    batch.evaluate(&cols(0..n), &mut whole.view()).unwrap();
    let mut pieces = Outputs::new(0);
    for start in (0..n).step_by(30_000) {
        let end = (start + 30_000).min(n);
        let mut o = Outputs::new(end - start);
        batch.evaluate(&cols(start..end), &mut o.view()).unwrap();
        pieces.e.extend(o.e);
        pieces.mpe.extend(o.mpe);
        pieces.verdict.extend(o.verdict);
        pieces.code.extend(o.code);
        pieces.judged.extend(o.judged);
        pieces.lower.extend(o.lower);
        pieces.upper.extend(o.upper);
    }
    assert!(whole.bits() == pieces.bits());
    assert!(whole.code.iter().filter(|&&c| c != 0).count() >= n / 97);
    assert!(whole.verdict.contains(&1) && whole.verdict.contains(&0));
    // And a sample of rows against the scalar API.
    for i in (0..n).step_by(101) {
        let d = Draw::new(TestPoint::Max, vj[i], vb[i])
            .with_temperatures(tj[i], tb[i])
            .with_fuel("petrol");
        match evaluate_draw(&profile, profile.stage(None).unwrap(), &d) {
            Ok(r) => {
                assert!(same_f64(whole.e[i], r.error_pct) && same_f64(whole.mpe[i], r.mpe_pct))
            }
            Err(e) => assert!(RowError::from_code(whole.code[i]).unwrap().matches(&e)),
        }
    }
}

/// The values of E where a rounded judgement can change: every limit and the sign boundary,
/// ± half a unit of the last digit kept, ± the rounding's snap to millionths of a unit.
fn threshold_targets(limits: [f64; 2], decimals: u32) -> Vec<f64> {
    let unit = 10f64.powi(-(decimals as i32));
    let mut out = vec![];
    for l in [limits[0], limits[1], 0.0] {
        for half in [-0.5, 0.0, 0.5] {
            for snap in [-0.5e-6, 0.0, 0.5e-6] {
                out.push(l + (half + snap) * unit);
            }
        }
    }
    out
}

/// Rows whose indication is 64 doubles either side of `reference · (1 + E/100)` for each
/// target E.
fn rows_around(reference: f64, targets: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (mut r, mut x) = (vec![], vec![]);
    for &e in targets {
        let centre = reference * (1.0 + e / 100.0);
        for d in -64i64..=64 {
            r.push(reference);
            x.push(f64::from_bits((centre.to_bits() as i64 + d) as u64));
        }
    }
    (r, x)
}

/// Rounded (JJG) stages are judged by thresholds on the unrounded error; rows whose error
/// lies at and a few ULPs around every threshold give the scalar answers bit for bit.
#[test]
fn rows_at_the_rounding_thresholds_equal_scalar() {
    let taxi = TaximeterProfile::builtin("jjg517-2016").unwrap();
    let (mut checked, mut with_thresholds) = (0, 0);
    for name in taxi.stage_names() {
        let stage = taxi.stage(Some(name)).unwrap();
        let rounding = stage.result_rounding.clone().unwrap();
        for kind in [TestKind::Distance, TestKind::Time] {
            let unit = if kind == TestKind::Time {
                Unit::Second
            } else {
                Unit::Metre
            };
            let Ok(batch) = TaximeterBatch::new(&taxi, stage, kind, unit, unit) else {
                continue;
            };
            // Per-row tolerances (MID-style floors) round per row; constant ones by thresholds.
            assert_eq!(batch.judges_by_thresholds(), batch.has_constant_limits());
            with_thresholds += usize::from(batch.judges_by_thresholds());
            let tolerance = stage.tolerance(kind).unwrap();
            for reference in [1000.0, 7.3, 123_456.789] {
                let lim = tolerance.evaluate(&ToleranceContext::new(reference));
                let lim = match lim.and_then(|l| l.as_pct(reference)) {
                    Ok(l) => [l.lower, l.upper],
                    Err(_) => continue,
                };
                let (r, x) = rows_around(reference, &threshold_targets(lim, rounding.decimals));
                let cols = TaximeterColumns {
                    reference: &r,
                    indicated: &x,
                };
                let mut out = Outputs::new(r.len());
                batch.evaluate(&cols, &mut out.view()).unwrap();
                for i in 0..r.len() {
                    let t = MeterTest::new(kind, r[i], x[i], unit).with_indicated_unit(unit);
                    let scalar = evaluate_test(&taxi, stage, &t).map(scalar_row!());
                    check_row(i, scalar, &out, batch.row_error(&cols, i)).unwrap();
                    checked += 1;
                }
                assert!(out.verdict.contains(&0) && out.verdict.contains(&1));
            }
        }
    }
    let disp = DispenserProfile::builtin("jjg443-2015").unwrap();
    for name in disp.stage_names() {
        let stage = disp.stage(Some(name)).unwrap();
        let rounding = stage.result_rounding.clone().unwrap();
        for (tp, pct) in [(TestPoint::Max, 0.30), (TestPoint::Mmq, 0.50)] {
            let batch = DispenserBatch::new(&disp, stage, tp).unwrap();
            assert!(batch.judges_by_thresholds(), "{name} {tp:?}");
            for vb in [20.0, 2.5, 99.99] {
                let (b, j) = rows_around(vb, &threshold_targets([-pct, pct], rounding.decimals));
                let cols = DispenserColumns::new(&j, &b);
                let mut out = Outputs::new(b.len());
                batch.evaluate(&cols, &mut out.view()).unwrap();
                for i in 0..b.len() {
                    let d = batch.draw(&cols, i).unwrap();
                    let scalar = evaluate_draw(&disp, stage, &d).map(scalar_row!());
                    check_row(i, scalar, &out, batch.row_error(&cols, i)).unwrap();
                    checked += 1;
                }
                assert!(out.verdict.contains(&0) && out.verdict.contains(&1));
            }
        }
    }
    assert!(checked > 10_000 && with_thresholds > 0);
}

/// Order-preserving map of the non-NaN doubles to integers (test-side, independent).
fn ord(x: f64) -> i64 {
    let i = x.to_bits() as i64;
    if i < 0 {
        -(i & i64::MAX) - 1
    } else {
        i
    }
}

/// The smallest double in `[lo, hi]` where `p` (false at `lo`, true at `hi`) turns true.
fn bisect(lo: f64, hi: f64, p: impl Fn(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (lo, hi);
    assert!(!p(lo) && p(hi));
    loop {
        let (a, b) = (ord(lo), ord(hi));
        if b - a <= 1 {
            return hi;
        }
        let mut mid = lo + (hi - lo) / 2.0;
        if ord(mid) <= a || ord(mid) >= b {
            mid = if a + 1 < b {
                // Halve in the order of the doubles.
                let m = a + (b - a) / 2;
                if m >= 0 {
                    f64::from_bits(m as u64)
                } else {
                    -f64::from_bits((-(m + 1)) as u64)
                }
            } else {
                return hi;
            };
        }
        if p(mid) {
            hi = mid
        } else {
            lo = mid
        }
    }
}

/// Draws whose error E is *exactly* a judgement threshold of JJG 443 (found here by bisection
/// with the scalar `judge`), or one double either side: found by scanning many V_B, since E
/// has a resolution of about 100·ε while the thresholds are arbitrary doubles. (The limits are
/// symmetric, so the sign threshold cannot change the MPE here; the unit tests in
/// `src/batch.rs` check it with asymmetric limits, every double around it.)
#[test]
fn rows_exactly_on_the_thresholds_equal_scalar() {
    use verimeter::dispenser::indication_error_pct;
    use verimeter::tolerance::{judge, PctLimits};
    let disp = DispenserProfile::builtin("jjg443-2015").unwrap();
    let stage = disp.stage(None).unwrap();
    let rounding = stage.result_rounding.as_ref();
    let batch = DispenserBatch::new(&disp, stage, TestPoint::Max).unwrap();
    assert!(batch.judges_by_thresholds());
    let inf = f64::INFINITY;
    let lim = PctLimits::symmetric(0.30);
    let upper = PctLimits {
        lower: -inf,
        upper: 0.30,
    };
    let lower = PctLimits {
        lower: -0.30,
        upper: inf,
    };
    let thresholds = [
        bisect(0.0, 1.0, |e| judge(e, upper, rounding).1 == Verdict::Fail),
        bisect(-1.0, 0.0, |e| judge(e, lower, rounding).1 == Verdict::Pass),
        bisect(-1.0, 0.0, |e| judge(e, lim, rounding).0 >= 0.0),
    ];
    let (mut vj, mut vb, mut hits) = (vec![], vec![], [[0usize; 3]; 3]);
    for (ti, &t) in thresholds.iter().enumerate() {
        // Near the sign threshold (≈ −0.005 %) the doubles are much denser than E's steps.
        let tries = if ti == 2 { 400_000 } else { 20_000 };
        for k in 0..tries {
            let b = 20.0 + k as f64 * 6.9e-5;
            let centre = b * (1.0 + t / 100.0);
            for d in -3i64..=3 {
                let j = f64::from_bits((centre.to_bits() as i64 + d) as u64);
                let off = ord(indication_error_pct(j, b)) - ord(t);
                if off.abs() <= 1 {
                    hits[ti][(off + 1) as usize] += 1;
                    vj.push(j);
                    vb.push(b);
                }
            }
        }
    }
    // Each threshold hit exactly and one double below and above.
    assert!(hits.iter().flatten().all(|&h| h > 0), "{hits:?}");
    let cols = DispenserColumns::new(&vj, &vb);
    let mut out = Outputs::new(vj.len());
    batch.evaluate(&cols, &mut out.view()).unwrap();
    for i in 0..vj.len() {
        let d = batch.draw(&cols, i).unwrap();
        let scalar = evaluate_draw(&disp, stage, &d).map(scalar_row!());
        check_row(i, scalar, &out, batch.row_error(&cols, i)).unwrap();
    }
}

/// Deterministic mixed column values (xorshift): mostly realistic in `realistic`, with every
/// kind of edge value in between — NaN, ±∞, ±0, negatives, tiny and huge, range ends.
fn mixed_column(seed: u64, n: usize, realistic: (f64, f64), edges: &[f64]) -> Vec<f64> {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    (0..n)
        .map(|_| {
            let r = next();
            let u = (r >> 11) as f64 / (1u64 << 53) as f64;
            match r % 16 {
                0 => edges[(r >> 8) as usize % edges.len()],
                1 => f64::from_bits(next()),
                _ => realistic.0 + (realistic.1 - realistic.0) * u,
            }
        })
        .collect()
}

const EDGES: [f64; 16] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    -1.0,
    -20.0,
    1e-4,
    1e6,
    1e-300,
    f64::MAX,
    f64::MIN_POSITIVE,
    80.0,
    -60.0,
    5e-324,
    20.0,
];

/// The kernels' AVX-512 and AVX2 instances and the portable (default-target) instance give the same bits
/// on every output, and both the scalar API's answers (the other tests run the detected
/// instance): random rows with NaN, ±∞, negatives, zero references and range ends, and rows
/// a few ULPs around every rounding threshold, through every built-in profile and stage.
#[test]
fn simd_and_portable_paths_agree() {
    use verimeter::batch::{avx2_available, avx512_available, KernelPath};
    if !avx2_available() || !avx512_available() {
        eprintln!(
            "simd_and_portable_paths_agree: this CPU lacks AVX2 or AVX-512; \
             the instances it lacks fell back to the next one"
        );
    }
    let paths = [
        KernelPath::Portable,
        KernelPath::Avx2,
        KernelPath::Avx512,
        KernelPath::Detect,
    ];
    let n = 3 * CHUNK_ROWS + 77;
    let mut compared = 0usize;

    // Dispenser: every profile, stage and test point, with and without temperatures.
    let petrol = Substance::parse("petrol");
    for (pi, id) in BUILTIN_DISPENSER_PROFILES.iter().enumerate() {
        let profile = DispenserProfile::builtin(id).unwrap();
        for (si, name) in profile.stage_names().into_iter().enumerate() {
            let stage = profile.stage(Some(name)).unwrap();
            for tp in TestPoint::ALL {
                let Ok(plan) = DispenserBatch::new(&profile, stage, tp) else {
                    continue;
                };
                let seed = 0x9E37_79B9_7F4A_7C15 ^ ((pi * 64 + si * 8) as u64);
                let mut vb = mixed_column(seed, n, (0.5, 120.0), &EDGES);
                let err = mixed_column(seed ^ 1, n, (-0.8, 0.8), &EDGES);
                let mut vj: Vec<f64> = vb
                    .iter()
                    .zip(&err)
                    .map(|(b, e)| b * (1.0 + e / 100.0))
                    .collect();
                // Rows on and around the rounding thresholds of the ±0.3 % and ±0.5 % limits.
                let targets = threshold_targets([-0.30, 0.30], 2)
                    .into_iter()
                    .chain(threshold_targets([-0.50, 0.50], 2))
                    .chain(threshold_targets([-0.25, 0.15], 2))
                    .collect::<Vec<_>>();
                let (b, j) = rows_around(20.0, &targets);
                vb.extend(b);
                vj.extend(j);
                let m = vb.len();
                let tb = mixed_column(seed ^ 2, m, (-20.0, 45.0), &EDGES);
                let dt = mixed_column(seed ^ 3, m, (-3.0, 3.0), &EDGES);
                let tj: Vec<f64> = tb.iter().zip(&dt).map(|(t, d)| t + d).collect();
                let betas = mixed_column(seed ^ 4, m, (0.0, 0.0013), &EDGES);
                for (temps, fuel) in [
                    (false, Fuel::Absent),
                    (true, Fuel::Same(&petrol)),
                    (true, Fuel::PerRow(&betas)),
                ] {
                    let cols = DispenserColumns {
                        indicated_l: &vj,
                        standard_l: &vb,
                        dispenser_temp_c: temps.then_some(&tj[..]),
                        can_temp_c: temps.then_some(&tb[..]),
                        fuel,
                    };
                    let outs: Vec<Outputs> = paths
                        .iter()
                        .map(|&p| {
                            let mut o = Outputs::new(m);
                            let b = plan.clone().with_kernel_path(p);
                            b.evaluate_serial(&cols, &mut o.view()).unwrap();
                            o
                        })
                        .collect();
                    for o in &outs[1..] {
                        assert!(
                            o.bits() == outs[0].bits(),
                            "{id} {name} {tp:?} temps {temps}"
                        );
                    }
                    // A sample against the scalar API (every row is checked for the detected
                    // instance by the other tests).
                    for i in (0..m).step_by(7) {
                        let d = plan.draw(&cols, i).unwrap();
                        let scalar =
                            evaluate_draw(&profile, stage, &d).map(scalar_row!(indication_verdict));
                        check_row(i, scalar, &outs[0], plan.row_error(&cols, i)).unwrap();
                    }
                    assert!(outs[0].code.iter().any(|&c| c != 0));
                    compared += m;
                }
            }
        }
    }

    // Taximeter: every profile, stage, kind and a few unit pairs; zero and negative
    // references and indications among the edges.
    let ids = ["jjg517-2016", "oiml-r21", "nist-hb44-5.54", "mid-mi007"];
    for (pi, id) in ids.iter().enumerate() {
        let profile = TaximeterProfile::builtin(id).unwrap();
        for (si, name) in profile.stage_names().into_iter().enumerate() {
            let stage = profile.stage(Some(name)).unwrap();
            for kind in [TestKind::Distance, TestKind::Time] {
                let units = if kind == TestKind::Time {
                    [(Unit::Second, Unit::Second), (Unit::Minute, Unit::Second)]
                } else {
                    [(Unit::Metre, Unit::Metre), (Unit::Kilometre, Unit::Mile)]
                };
                for (ru, iu) in units {
                    let Ok(plan) = TaximeterBatch::new(&profile, stage, kind, ru, iu) else {
                        continue;
                    };
                    let seed = 0xD1B5_4A32_D192_ED03 ^ ((pi * 64 + si * 8) as u64);
                    let mut r = mixed_column(seed, n, (0.001, 5000.0), &EDGES);
                    let err = mixed_column(seed ^ 1, n, (-5.0, 5.0), &EDGES);
                    let mut x: Vec<f64> = r
                        .iter()
                        .zip(&err)
                        .map(|(r, e)| r * (1.0 + e / 100.0))
                        .collect();
                    if ru == iu {
                        let targets: Vec<f64> = [[-4.0, 1.0], [-2.0, 2.0], [-0.2, 0.2]]
                            .into_iter()
                            .flat_map(|l| threshold_targets(l, 1))
                            .collect();
                        let (rr, xx) = rows_around(1000.0, &targets);
                        r.extend(rr);
                        x.extend(xx);
                    }
                    let cols = TaximeterColumns {
                        reference: &r,
                        indicated: &x,
                    };
                    let m = r.len();
                    let outs: Vec<Outputs> = paths
                        .iter()
                        .map(|&p| {
                            let mut o = Outputs::new(m);
                            let b = plan.clone().with_kernel_path(p);
                            b.evaluate_serial(&cols, &mut o.view()).unwrap();
                            o
                        })
                        .collect();
                    for o in &outs[1..] {
                        assert!(o.bits() == outs[0].bits(), "{id} {name} {kind:?} {ru:?}");
                    }
                    for i in (0..m).step_by(7) {
                        let t = plan.test(&cols, i).unwrap();
                        let scalar = evaluate_test(&profile, stage, &t).map(scalar_row!());
                        check_row(i, scalar, &outs[0], plan.row_error(&cols, i)).unwrap();
                    }
                    compared += m;
                }
            }
        }
    }
    assert!(compared > 100_000, "{compared}");
}

/// The seven output columns of a batch, allocated one element longer than the batch so
/// that views can start one element in (unaligned for the non-temporal stores).
struct OffsetOutputs(Outputs);

impl OffsetOutputs {
    fn new(n: usize) -> Self {
        Self(Outputs::new(n + 1))
    }

    /// The columns from element `offset` (0 or 1) on, `n` rows.
    fn view(&mut self, offset: usize, n: usize) -> DispenserOutput<'_> {
        let o = &mut self.0;
        let r = offset..offset + n;
        DispenserOutput::new(
            &mut o.e[r.clone()],
            &mut o.mpe[r.clone()],
            &mut o.verdict[r.clone()],
            &mut o.code[r.clone()],
        )
        .with_judged(&mut o.judged[r.clone()])
        .with_limits(&mut o.lower[r.clone()], &mut o.upper[r])
    }
}

/// Batches of at least `STREAM_MIN_ROWS` rows write their required columns through L1
/// buffers and non-temporal stores: the same bits as the same rows evaluated in pieces
/// below that size (plain stores), with the output columns aligned or not, the optional
/// columns asked for, and invalid rows among the valid ones (`evaluate` too, which is the
/// parallel path with `--features parallel`).
#[test]
fn streamed_outputs_equal_plain_ones() {
    use verimeter::batch::STREAM_MIN_ROWS;
    let n = STREAM_MIN_ROWS + 3 * CHUNK_ROWS + 5;
    let pieces = [0, n / 3, 2 * n / 3, n];
    assert!(pieces.windows(2).all(|w| w[1] - w[0] < STREAM_MIN_ROWS));
    // Cheap deterministic rows: volumes 2–22 L, errors ±0.6 %, temperatures −20…40 °C;
    // every 997th row NaN, every 1 009th a zero reference, every 1 013th |Δt| too large.
    let unit = |i: usize, k: usize| ((i.wrapping_mul(k) % 10_007) as f64) / 10_007.0;
    let vb: Vec<f64> = (0..n)
        .map(|i| {
            if i % 1009 == 0 {
                0.0
            } else {
                2.0 + 20.0 * unit(i, 7919)
            }
        })
        .collect();
    let vj: Vec<f64> = (0..n)
        .map(|i| {
            if i % 997 == 0 {
                f64::NAN
            } else {
                vb[i] * (1.0 + (unit(i, 104_729) - 0.5) * 0.012)
            }
        })
        .collect();
    let tb: Vec<f64> = (0..n).map(|i| -20.0 + 60.0 * unit(i, 31)).collect();
    let tj: Vec<f64> = (0..n)
        .map(|i| {
            tb[i]
                + if i % 1013 == 0 {
                    30.0
                } else {
                    unit(i, 17) - 0.5
                }
        })
        .collect();
    let petrol = Substance::parse("petrol");
    let profile = DispenserProfile::builtin("jjg443-2015").unwrap();
    let plan = DispenserBatch::new(&profile, profile.stage(None).unwrap(), TestPoint::Max).unwrap();
    let cols = DispenserColumns {
        indicated_l: &vj,
        standard_l: &vb,
        dispenser_temp_c: Some(&tj),
        can_temp_c: Some(&tb),
        fuel: Fuel::Same(&petrol),
    };
    let mut plain = OffsetOutputs::new(n);
    for w in pieces.windows(2) {
        let (a, b) = (w[0], w[1]);
        let piece = DispenserColumns {
            indicated_l: &vj[a..b],
            standard_l: &vb[a..b],
            dispenser_temp_c: Some(&tj[a..b]),
            can_temp_c: Some(&tb[a..b]),
            fuel: Fuel::Same(&petrol),
        };
        plan.evaluate_serial(&piece, &mut plain.view(a, b - a))
            .unwrap();
    }
    let expected = plain.0.bits();
    assert!(plain.0.code[..n].iter().any(|&c| c != 0) && plain.0.code.contains(&0));
    assert!(plain.0.verdict.contains(&1));
    for offset in [0, 1] {
        for parallel in [false, true] {
            let mut streamed = OffsetOutputs::new(n);
            let mut out = streamed.view(offset, n);
            if parallel {
                plan.evaluate(&cols, &mut out).unwrap();
            } else {
                plan.evaluate_serial(&cols, &mut out).unwrap();
            }
            let got = streamed.0.bits();
            // `plain` sits at offset 0; compare row by row.
            let diff = (0..n).find(|&i| got[i + offset] != expected[i]);
            assert_eq!(diff, None, "offset {offset}, parallel {parallel}");
        }
    }

    // Taximeter distance tests, through the same staging.
    let taxi = TaximeterProfile::builtin("jjg517-2016").unwrap();
    let km = Unit::Kilometre;
    let tplan =
        TaximeterBatch::new(&taxi, taxi.stage(None).unwrap(), TestKind::Distance, km, km).unwrap();
    let tcols = TaximeterColumns {
        reference: &vb,
        indicated: &vj,
    };
    let mut plain = OffsetOutputs::new(n);
    for w in pieces.windows(2) {
        let (a, b) = (w[0], w[1]);
        let piece = TaximeterColumns {
            reference: &vb[a..b],
            indicated: &vj[a..b],
        };
        tplan
            .evaluate_serial(&piece, &mut plain.view(a, b - a))
            .unwrap();
    }
    let expected = plain.0.bits();
    for offset in [0, 1] {
        let mut streamed = OffsetOutputs::new(n);
        tplan
            .evaluate(&tcols, &mut streamed.view(offset, n))
            .unwrap();
        let got = streamed.0.bits();
        let diff = (0..n).find(|&i| got[i + offset] != expected[i]);
        assert_eq!(diff, None, "taximeter, offset {offset}");
    }
}
