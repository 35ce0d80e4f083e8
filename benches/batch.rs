//! Columnar batch benchmarks: `batch/dispenser` and `batch/taximeter`, 1 000 / 100 000 /
//! 10 000 000 readings, `Throughput::Elements`, with two baselines measured in the same run:
//!
//! - `copy_inputs`: copying the same input bytes into preallocated buffers (the floor: a
//!   batch must at least read its inputs and write about as much);
//! - for scale, `read_inputs`: reading the input bytes once, all columns at once, and
//!   nothing else (an XOR of their bits) — what no batch can go below; and, for draws,
//!   `same_traffic`: the dispenser kernel's memory traffic without its arithmetic (the four
//!   input columns read, the four output columns written, one subtraction or comparison
//!   each), with the batch's store policy: plain stores below `STREAM_MIN_ROWS` rows, from
//!   there on each 512-row chunk staged in L1 and written with non-temporal stores, as the
//!   batch does — the floor of a batch that moves these bytes on one core;
//! - `naive_aos_result`: a first draft — a `Vec` of row structs and a per-row function that
//!   validates with early returns and returns `Result` (same formulas, no strings).
//!
//! `columnar` is the serial path (`evaluate_serial`), with the kernels' instance chosen at run
//! time (AVX-512, else AVX2, when the CPU has it); `columnar_avx2` forces the AVX2 instance
//! (the figure of CPUs without AVX-512) and `…_portable` the instance compiled for the
//! default target (SSE2 on x86-64), the figure of CPUs without AVX2. `columnar_parallel` (only with
//! `--features parallel`) is `evaluate`, which splits batches of ≥ 100 000 rows over rayon.
//! Run `cargo bench --bench batch` (add `--features parallel` for the parallel figure).

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use verimeter::batch::{store_fence, stream_f64, stream_u8};
use verimeter::batch::{
    DispenserBatch, DispenserColumns, DispenserOutput, Fuel, KernelPath, TaximeterBatch,
    TaximeterColumns, STREAM_MIN_ROWS,
};
use verimeter::dispenser::{
    corrected_standard_volume, indication_error_pct, Substance, TestPoint, DRAW_VOLUME_RANGE_L,
};
use verimeter::profile::DispenserProfile;
use verimeter::taximeter::{meter_error_pct, TaximeterProfile, TestKind};
use verimeter::tolerance::{judge, PctLimits};
use verimeter::units::Unit;
use verimeter::{Error, Verdict};

mod common;
use common::{configure, rng, Column, SIZES};

/// The numpy script's data: 4.9–20.1 L cans, ±0.35 % errors, −10…40 °C, |t_J − t_B| ≲ 2 °C.
struct DrawData {
    vj: Column<f64>,
    vb: Column<f64>,
    tj: Column<f64>,
    tb: Column<f64>,
}

fn draw_data(n: usize) -> DrawData {
    let mut r = rng(0x9E37_79B9_7F4A_7C15);
    let mut d = DrawData {
        vj: Column::zeroed(n),
        vb: Column::zeroed(n),
        tj: Column::zeroed(n),
        tb: Column::zeroed(n),
    };
    for i in 0..n {
        let vb = 4.9 + 15.2 * r();
        let tb = -10.0 + 50.0 * r();
        d.vb[i] = vb;
        d.vj[i] = vb * (1.0 + (r() - 0.5) * 0.007);
        d.tb[i] = tb;
        d.tj[i] = tb + (r() - 0.5) * 4.0;
    }
    d
}

/// One draw as a first draft would store it.
#[derive(Clone, Copy)]
struct DrawRow {
    vj: f64,
    vb: f64,
    tj: f64,
    tb: f64,
}

/// What a first draft returns per row.
struct RowResult {
    error_pct: f64,
    mpe_pct: f64,
    verdict: Verdict,
}

fn finite(field: &'static str, value: f64) -> Result<f64, Error> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotFinite { field, value })
    }
}

fn positive(field: &'static str, value: f64) -> Result<f64, Error> {
    if finite(field, value)? > 0.0 {
        Ok(value)
    } else {
        Err(Error::NotPositive { field, value })
    }
}

/// A first draft of the per-row path: validation with early returns, the same formulas.
fn naive_draw(
    row: &DrawRow,
    beta_fuel: f64,
    beta_can: f64,
    lim: PctLimits,
) -> Result<RowResult, Error> {
    let (lo, hi) = DRAW_VOLUME_RANGE_L;
    let vj = positive("indicated_l", row.vj)?;
    let vb = positive("standard_l", row.vb)?;
    if !(lo..=hi).contains(&vj) || !(lo..=hi).contains(&vb) {
        return Err(Error::NotPositive {
            field: "volume",
            value: vj,
        });
    }
    let tj = finite("dispenser_temp_c", row.tj)?;
    let tb = finite("can_temp_c", row.tb)?;
    if (tj - tb).abs() > 4.0 + 1e-9 {
        return Err(Error::NotFinite {
            field: "dt",
            value: tj - tb,
        });
    }
    let q = positive(
        "corrected standard volume",
        corrected_standard_volume(vb, tj, tb, beta_fuel, beta_can, 20.0),
    )?;
    let e = finite("error_pct", indication_error_pct(vj, q))?;
    let (j, verdict) = judge(e, lim, None);
    Ok(RowResult {
        error_pct: e,
        mpe_pct: lim.applicable(j),
        verdict,
    })
}

struct Outs {
    e: Column<f64>,
    mpe: Column<f64>,
    verdict: Column<u8>,
    code: Column<u8>,
}

impl Outs {
    fn new(n: usize) -> Self {
        Self {
            e: Column::zeroed(n),
            mpe: Column::zeroed(n),
            verdict: Column::zeroed(n),
            code: Column::zeroed(n),
        }
    }

    /// The output columns (`TaximeterOutput` is the same type).
    fn view(&mut self) -> DispenserOutput<'_> {
        DispenserOutput::new(
            &mut self.e,
            &mut self.mpe,
            &mut self.verdict,
            &mut self.code,
        )
    }
}

/// The `read_inputs` baseline: one pass over the input columns, all of them at once (as a
/// kernel reads them), that reads every byte and writes nothing (an XOR of the bits, eight
/// lanes, which LLVM vectorises; the result is kept).
fn read_inputs<const K: usize>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    n: usize,
    columns: [&[f64]; K],
) {
    group.bench_with_input(BenchmarkId::new("read_inputs", n), &n, |b, _| {
        b.iter(|| {
            let cols = black_box(columns);
            let whole = n / 8 * 8;
            let mut acc = [0u64; 8];
            for i in (0..whole).step_by(8) {
                for c in cols {
                    let c = &c[i..i + 8];
                    for k in 0..8 {
                        acc[k] ^= c[k].to_bits();
                    }
                }
            }
            for c in cols {
                for v in &c[whole..] {
                    acc[0] ^= v.to_bits();
                }
            }
            black_box(acc)
        })
    });
}

/// The `same_traffic` baseline: what the dispenser kernel reads and writes, with one
/// subtraction or comparison per output and the batch's store policy (`streamed`: 512-row
/// chunks computed into L1 buffers, then written with the batch's own non-temporal stores
/// and one fence, as the batch does from `STREAM_MIN_ROWS` rows on; else plain stores).
fn same_traffic(ins: [&[f64]; 4], o: &mut Outs, streamed: bool) {
    let [vj, vb, tj, tb] = ins;
    let n = vj.len();
    let (vb, tj, tb) = (&vb[..n], &tj[..n], &tb[..n]);
    let kernel =
        |r: std::ops::Range<usize>, e: &mut [f64], m: &mut [f64], v: &mut [u8], c: &mut [u8]| {
            let (vj, vb, tj, tb) = (&vj[r.clone()], &vb[r.clone()], &tj[r.clone()], &tb[r]);
            let k = vj.len();
            let (e, m, v, c) = (&mut e[..k], &mut m[..k], &mut v[..k], &mut c[..k]);
            for i in 0..k {
                e[i] = vj[i] - vb[i];
                m[i] = tj[i] - tb[i];
                v[i] = u8::from(vj[i] < vb[i]);
                c[i] = u8::from(tj[i] < tb[i]);
            }
        };
    if !streamed {
        return kernel(0..n, &mut o.e, &mut o.mpe, &mut o.verdict, &mut o.code);
    }
    let (mut e, mut m, mut v, mut c) = ([0.0; 512], [0.0; 512], [0u8; 512], [0u8; 512]);
    for start in (0..n).step_by(512) {
        let end = (start + 512).min(n);
        kernel(start..end, &mut e, &mut m, &mut v, &mut c);
        let k = end - start;
        stream_f64(&mut o.e[start..end], &e[..k]);
        stream_f64(&mut o.mpe[start..end], &m[..k]);
        stream_u8(&mut o.verdict[start..end], &v[..k]);
        stream_u8(&mut o.code[start..end], &c[..k]);
    }
    store_fence();
}

fn bench_dispenser(c: &mut Criterion) {
    let profile = DispenserProfile::builtin("jjg443-2015").expect("built-in profile");
    let stage = profile.stage(None).expect("default stage");
    // The same tolerance without JJG's result rounding: numpy's computation exactly.
    let mut unrounded = stage.clone();
    unrounded.result_rounding = None;
    let batch = DispenserBatch::new(&profile, stage, TestPoint::Max).expect("plan");
    let batch_unrounded = DispenserBatch::new(&profile, &unrounded, TestPoint::Max).expect("plan");
    let portable = batch.clone().with_kernel_path(KernelPath::Portable);
    let avx2 = batch.clone().with_kernel_path(KernelPath::Avx2);
    let petrol = Substance::parse("petrol");
    let beta_fuel = profile.thermal.fuel("petrol").expect("petrol").beta_per_c;
    let beta_can = profile
        .thermal
        .can_material("stainless")
        .expect("stainless")
        .beta_per_c;
    let mut group = c.benchmark_group("batch/dispenser");
    for n in SIZES {
        configure(&mut group, n);
        let d = draw_data(n);
        let cols = DispenserColumns {
            indicated_l: &d.vj,
            standard_l: &d.vb,
            dispenser_temp_c: Some(&d.tj),
            can_temp_c: Some(&d.tb),
            fuel: Fuel::Same(&petrol),
        };
        let mut out = Outs::new(n);
        group.bench_with_input(BenchmarkId::new("columnar", n), &n, |b, _| {
            b.iter(|| batch.evaluate_serial(black_box(&cols), &mut out.view()))
        });
        group.bench_with_input(BenchmarkId::new("columnar_unrounded", n), &n, |b, _| {
            b.iter(|| batch_unrounded.evaluate_serial(black_box(&cols), &mut out.view()))
        });
        group.bench_with_input(BenchmarkId::new("columnar_avx2", n), &n, |b, _| {
            b.iter(|| avx2.evaluate_serial(black_box(&cols), &mut out.view()))
        });
        group.bench_with_input(BenchmarkId::new("columnar_portable", n), &n, |b, _| {
            b.iter(|| portable.evaluate_serial(black_box(&cols), &mut out.view()))
        });
        #[cfg(feature = "parallel")]
        group.bench_with_input(BenchmarkId::new("columnar_parallel", n), &n, |b, _| {
            b.iter(|| batch.evaluate(black_box(&cols), &mut out.view()))
        });
        #[cfg(feature = "parallel")]
        group.bench_with_input(
            BenchmarkId::new("columnar_unrounded_parallel", n),
            &n,
            |b, _| b.iter(|| batch_unrounded.evaluate(black_box(&cols), &mut out.view())),
        );
        drop(out);
        {
            let mut dst: Vec<Column<f64>> = (0..4).map(|_| Column::zeroed(n)).collect();
            group.bench_with_input(BenchmarkId::new("copy_inputs", n), &n, |b, _| {
                b.iter(|| {
                    for (dst, src) in
                        dst.iter_mut()
                            .zip([&d.vj[..], &d.vb[..], &d.tj[..], &d.tb[..]])
                    {
                        dst.copy_from_slice(black_box(src));
                    }
                })
            });
        }
        read_inputs(&mut group, n, [&d.vj[..], &d.vb[..], &d.tj[..], &d.tb[..]]);
        {
            let mut o = Outs::new(n);
            let streamed = n >= STREAM_MIN_ROWS;
            group.bench_with_input(BenchmarkId::new("same_traffic", n), &n, |b, _| {
                b.iter(|| {
                    let ins = black_box([&d.vj[..], &d.vb[..], &d.tj[..], &d.tb[..]]);
                    same_traffic(ins, &mut o, streamed);
                    black_box(&o.e);
                })
            });
        }
        {
            let rows: Vec<DrawRow> = (0..n)
                .map(|i| DrawRow {
                    vj: d.vj[i],
                    vb: d.vb[i],
                    tj: d.tj[i],
                    tb: d.tb[i],
                })
                .collect();
            let lim = PctLimits::symmetric(0.30);
            let mut results: Vec<Result<RowResult, Error>> = Vec::with_capacity(n);
            group.bench_with_input(BenchmarkId::new("naive_aos_result", n), &n, |b, _| {
                b.iter(|| {
                    results.clear();
                    results.extend(
                        black_box(&rows)
                            .iter()
                            .map(|r| naive_draw(r, beta_fuel, beta_can, lim)),
                    );
                    black_box(&results);
                })
            });
            let pass = results
                .iter()
                .filter(|r| matches!(r, Ok(r) if r.verdict == Verdict::Pass && r.mpe_pct > 0.0 && r.error_pct.is_finite()))
                .count();
            black_box(pass);
        }
    }
    group.finish();
}

/// One taximeter test as a first draft would store it.
#[derive(Clone, Copy)]
struct TestRow {
    reference_km: f64,
    indicated_km: f64,
}

fn naive_test(row: &TestRow, lim: PctLimits) -> Result<RowResult, Error> {
    let r = positive("reference", row.reference_km)? * 1000.0;
    let x = finite("indicated", row.indicated_km)?;
    if x < 0.0 {
        return Err(Error::Negative {
            field: "indicated",
            value: x,
        });
    }
    let e = finite("error_pct", meter_error_pct(x * 1000.0, r))?;
    let (j, verdict) = judge(e, lim, None);
    Ok(RowResult {
        error_pct: e,
        mpe_pct: lim.applicable(j),
        verdict,
    })
}

fn bench_taximeter(c: &mut Criterion) {
    let jjg = TaximeterProfile::builtin("jjg517-2016").expect("built-in profile");
    let installed = jjg.stage(Some("installed")).expect("stage");
    let mut unrounded = installed.clone();
    unrounded.result_rounding = None;
    let mid = TaximeterProfile::builtin("mid-mi007").expect("built-in profile");
    let km = Unit::Kilometre;
    let plan = |p, s| TaximeterBatch::new(p, s, TestKind::Distance, km, km).expect("plan");
    let batch = plan(&jjg, installed);
    let batch_unrounded = plan(&jjg, &unrounded);
    // MID: ±0.2 %, at least 4 m — limits depend on the distance, per-row tolerance path.
    let batch_mid = plan(&mid, mid.stage(None).expect("stage"));
    let portable = batch.clone().with_kernel_path(KernelPath::Portable);
    let mut group = c.benchmark_group("batch/taximeter");
    for n in SIZES {
        configure(&mut group, n);
        let mut r = rng(0xD1B5_4A32_D192_ED03);
        let reference = Column::from_fn(n, |_| 0.5 + 9.5 * r());
        let indicated = Column::from_fn(n, |i| reference[i] * (1.0 + (r() - 0.7) * 0.06));
        let cols = TaximeterColumns {
            reference: &reference,
            indicated: &indicated,
        };
        let mut o = Outs::new(n);
        for (name, b) in [
            ("columnar", &batch),
            ("columnar_unrounded", &batch_unrounded),
            ("columnar_portable", &portable),
            ("columnar_per_row_tolerance", &batch_mid),
        ] {
            group.bench_with_input(BenchmarkId::new(name, n), &n, |bch, _| {
                bch.iter(|| b.evaluate_serial(black_box(&cols), &mut o.view()))
            });
        }
        #[cfg(feature = "parallel")]
        group.bench_with_input(BenchmarkId::new("columnar_parallel", n), &n, |bch, _| {
            bch.iter(|| batch.evaluate(black_box(&cols), &mut o.view()))
        });
        drop(o);
        {
            let mut dst: Vec<Column<f64>> = (0..2).map(|_| Column::zeroed(n)).collect();
            group.bench_with_input(BenchmarkId::new("copy_inputs", n), &n, |b, _| {
                b.iter(|| {
                    for (dst, src) in dst.iter_mut().zip([&reference[..], &indicated[..]]) {
                        dst.copy_from_slice(black_box(src));
                    }
                })
            });
        }
        read_inputs(&mut group, n, [&reference[..], &indicated[..]]);
        {
            let rows: Vec<TestRow> = reference
                .iter()
                .zip(indicated.iter())
                .map(|(&reference_km, &indicated_km)| TestRow {
                    reference_km,
                    indicated_km,
                })
                .collect();
            let lim = PctLimits {
                lower: -4.0,
                upper: 1.0,
            };
            let mut results: Vec<Result<RowResult, Error>> = Vec::with_capacity(n);
            group.bench_with_input(BenchmarkId::new("naive_aos_result", n), &n, |b, _| {
                b.iter(|| {
                    results.clear();
                    results.extend(black_box(&rows).iter().map(|r| naive_test(r, lim)));
                    black_box(&results);
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = bench_dispenser, bench_taximeter
}
criterion_main!(benches);
