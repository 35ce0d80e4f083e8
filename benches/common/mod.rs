//! What the benchmark files share: the sizes every group runs at (issue #5: 1 000, 100 000
//! and 10 000 000 elements, `Throughput::Elements`), the sampling settings that keep the whole
//! `cargo bench` under 10 minutes on 2 cores, and a deterministic generator.

#![allow(dead_code)] // each bench file uses part of it

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, SamplingMode, Throughput};

/// The sizes of every group, in elements.
pub const SIZES: [usize; 3] = [1_000, 100_000, 10_000_000];

/// The largest size at which the scalar (per-row, explained) paths run. At 0.2–15 µs per
/// element one iteration over 10 M elements takes 2–150 s, and criterion's minimum of 10
/// samples would push `cargo bench` past its 10-minute budget on 2 cores (measured
/// 2026-12-01: 11 min with them). Their per-element cost does not depend on the size (no
/// shared state; flat from 1 000 on), so the 100 000 figure stands for 10 M; the 10 M
/// figures are the batch paths' and their baselines'.
pub const SCALAR_MAX: usize = 100_000;

/// [`SIZES`] up to [`SCALAR_MAX`].
pub fn scalar_sizes() -> impl Iterator<Item = usize> {
    SIZES.into_iter().filter(|&n| n <= SCALAR_MAX)
}

/// Sets the group's throughput to `n` elements and its sampling for that size: from 100 000
/// elements on, 10 flat samples (one iteration of a scalar path over 10 M elements takes
/// seconds); smaller sizes, 30 linear ones.
pub fn configure(group: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    group.throughput(Throughput::Elements(n as u64));
    if n >= 100_000 {
        // Flat: criterion's linear sampling needs at least 1 + 2 + … + samples iterations,
        // minutes for a scalar path at ~1 µs per element (or one at 10 µs, fare bounds).
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        // 2 s: enough for 10 samples of the dispenser and taximeter batch paths (≤ 0.1 s
        // per iteration at 10 M); the fare batches (~0.45 s per iteration at 10 M) do not
        // fit, and criterion extends their measurement to its 10 samples by itself (with a
        // warning). 3 s pushed the whole `cargo bench` near its 10 minutes once the
        // `read_inputs`, `same_traffic` and `columnar_avx2` variants were added
        // (2026-12-01; plain `cargo bench` then took 7 min 49 s).
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(2));
    } else {
        group.sample_size(30);
        group.sampling_mode(SamplingMode::Auto);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));
    }
}

/// Deterministic uniform numbers in [0, 1) (xorshift64; no `rand` dependency).
pub fn rng(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}
