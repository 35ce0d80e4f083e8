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
pub struct Column<T: Copy> {
    ptr: std::ptr::NonNull<T>,
    len: usize,
    layout: std::alloc::Layout,
}

impl<T: Copy> Column<T> {
    /// `n` values of `T`'s all-zero bit pattern (`T` is one of `f64`, `u8`, `i64`).
    pub fn zeroed(n: usize) -> Self {
        const HUGE: usize = 2 << 20;
        let bytes = (n.max(1) * std::mem::size_of::<T>()).div_ceil(HUGE) * HUGE;
        let layout = std::alloc::Layout::from_size_align(bytes, HUGE).expect("column layout");
        // SAFETY: `layout` has a non-zero size. The block is advised (a hint on memory we own)
        // and then zeroed over its whole length before any read; all-zero bits are a valid
        // `f64`, `u8` and `i64`, the only types the benches use.
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

impl<T: Copy> std::ops::Deref for Column<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` holds `len` initialised values (zeroed, then written as `T`s).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> std::ops::DerefMut for Column<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` is the only access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> Drop for Column<T> {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr().cast(), self.layout) }
    }
}

// SAFETY: a `Column` owns its values as a `Vec` does.
unsafe impl<T: Copy + Send> Send for Column<T> {}
unsafe impl<T: Copy + Sync> Sync for Column<T> {}

/// Copies `src` into `dst` (equal lengths, whole 16-byte blocks where `dst` is 16-byte
/// aligned) with SSE2 non-temporal stores, as the batch core writes its outputs from
/// `STREAM_MIN_ROWS` rows on; the rest with plain stores. Call [`store_fence`] after the last.
pub fn stream<T: Copy>(dst: &mut [T], src: &[T]) {
    let bytes = std::mem::size_of_val(dst);
    assert_eq!(dst.len(), src.len(), "stream: lengths");
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
        let (d, s) = (dst.as_mut_ptr().cast::<u8>(), src.as_ptr().cast::<u8>());
        let head = d.align_offset(16).min(bytes);
        let body = (bytes - head) / 16 * 16;
        // SAFETY: every offset below is inside the two `bytes`-long slices; the stores at
        // `head + i` are 16-byte aligned; `T` is plain data (`Copy`), copied bytewise.
        // SSE2 is part of x86-64.
        unsafe {
            std::ptr::copy_nonoverlapping(s, d, head);
            for i in (head..head + body).step_by(16) {
                let x = _mm_loadu_si128(s.add(i).cast::<__m128i>());
                _mm_stream_si128(d.add(i).cast::<__m128i>(), x);
            }
            let tail = head + body;
            std::ptr::copy_nonoverlapping(s.add(tail), d.add(tail), bytes - tail);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    dst.copy_from_slice(src);
}

/// `sfence`: orders the non-temporal stores before what follows (see [`stream`]).
pub fn store_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: no operands, no preconditions (SSE, part of x86-64).
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}
