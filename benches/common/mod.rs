//! What the benchmark files share: the sizes every group runs at (issue #5: 1 000, 100 000
//! and 10 000 000 elements, `Throughput::Elements`), the sampling settings that keep the whole
//! `cargo bench` under 10 minutes on 2 cores, and a deterministic generator.

#![allow(dead_code)] // each bench file uses part of it

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

/// Criterion as every bench file configures it: without plots. Drawing them (criterion's
/// plotters backend, gnuplot being absent) took ~4.4 s per benchmark on this machine class,
/// ~6 of the 9.5 minutes of a plain `cargo bench` (2026-12-01); the numbers are the same.
/// For plots, call `with_plots()` here instead.
pub fn criterion() -> Criterion {
    Criterion::default().without_plots()
}

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

/// A column of `n` zeroed values in memory allocated the way numpy allocates its large arrays
/// (numpy ≥ 1.16 calls `madvise(MADV_HUGEPAGE)` on arrays of 4 MiB and more): aligned to
/// 2 MiB and advised for transparent huge pages before the first write, so that large
/// columns sit in 2 MiB pages where the kernel offers them (`madvise` mode, as on this
/// machine class: `/sys/kernel/mm/transparent_hugepage/enabled`). The batch paths, their
/// baselines and the numpy script then all read memory of the same kind; with 4 KiB pages
/// the 10 M-row batches pay ~0.2 ns per row more in page walks (2026-12-01). The advice is
/// a hint: where it is refused the column is ordinary memory.
pub struct Column<T: Zeroable> {
    ptr: std::ptr::NonNull<T>,
    len: usize,
    layout: std::alloc::Layout,
}

/// The element types of a [`Column`]: plain numbers whose all-zero bit pattern is a valid
/// value (zero), so a zeroed allocation is a column of zeros.
pub trait Zeroable: Copy + private::Sealed {}
impl Zeroable for f64 {}
impl Zeroable for u8 {}
impl Zeroable for i64 {}

mod private {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for u8 {}
    impl Sealed for i64 {}
}

impl<T: Zeroable> Column<T> {
    /// `n` zeros.
    pub fn zeroed(n: usize) -> Self {
        const HUGE: usize = 2 << 20;
        let bytes = (n.max(1) * std::mem::size_of::<T>()).div_ceil(HUGE) * HUGE;
        let layout = std::alloc::Layout::from_size_align(bytes, HUGE).expect("column layout");
        // SAFETY: `layout` has a non-zero size. The block is advised (a hint on memory we own)
        // and then zeroed over its whole length before any read; all-zero bits are a valid
        // value of every `Zeroable` type (sealed: `f64`, `u8`, `i64`).
        unsafe {
            let p = std::alloc::alloc(layout);
            let Some(ptr) = std::ptr::NonNull::new(p.cast::<T>()) else {
                std::alloc::handle_alloc_error(layout)
            };
            #[cfg(target_os = "linux")]
            libc::madvise(p.cast(), bytes, libc::MADV_HUGEPAGE);
            std::ptr::write_bytes(p, 0, bytes);
            Self {
                ptr,
                len: n,
                layout,
            }
        }
    }

    /// The column of `f(0), f(1), …, f(n - 1)`.
    pub fn from_fn(n: usize, mut f: impl FnMut(usize) -> T) -> Self {
        let mut c = Self::zeroed(n);
        for (i, x) in c.iter_mut().enumerate() {
            *x = f(i);
        }
        c
    }
}

impl<T: Zeroable> std::ops::Deref for Column<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` holds `len` initialised values (zeroed, then written as `T`s).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zeroable> std::ops::DerefMut for Column<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` is the only access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zeroable> Drop for Column<T> {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr().cast(), self.layout) }
    }
}

// SAFETY: a `Column` owns its values as a `Vec` does.
unsafe impl<T: Zeroable + Send> Send for Column<T> {}
unsafe impl<T: Zeroable + Sync> Sync for Column<T> {}
