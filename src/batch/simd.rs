//! Runtime CPU dispatch of the chunk kernels: the same source compiled three times.
//!
//! The crate is built for the default x86-64 target (SSE2 only), so without help the hot
//! kernels are compiled for 2-wide vectors and without blend instructions: the rounded
//! judgement and the many range checks cost more than the memory traffic, and the dispenser
//! batch stayed at ~2.3 × the cost of copying its inputs. Every x86-64 CPU of the last
//! decade has AVX2, but building with `-C target-cpu=…` would make the binary refuse to run
//! on the others. So each kernel is an [`#[inline(always)]`](Kernel::run) body, instantiated
//! three times here:
//!
//! - [`portable`]: the default target's instructions (SSE2 on x86-64; any other arch);
//! - `avx2`: the same body inside `#[target_feature(enable = "avx2")]` (4-wide `ymm`
//!   vectors, `vblendvpd`);
//! - `avx512`: the same body with AVX-512 F, VL, BW and DQ (mask registers for the range
//!   checks and blends; 2026-12-01 on a Sapphire Rapids VM, dispenser batch in cache:
//!   2.57 → 1.91 ns per reading).
//!
//! **Same bits in every instance.** Rust never contracts `a * b + c` into a fused
//! multiply-add (it emits no `contract` flag, and `mul_add` is not used in the kernels), so
//! every operation is the same IEEE 754 operation on the same operands in the same order,
//! whatever the instruction set: `avx2` does not even enable `fma`; `avx512f` implies it,
//! and LLVM still may not fuse without the flag. Checked by `simd_and_portable_paths_agree`
//! in `tests/batch.rs` and `per_row_rounding_kernels_agree_across_paths`.
//!
//! The choice is made once per batch ([`Isa::select`], `std::is_x86_feature_detected!`,
//! whose answer std caches) and then is a predictable branch per chunk of
//! [`CHUNK_ROWS`](super::CHUNK_ROWS) rows — never per row.
//!
//! The module also holds the non-temporal copies of large batches' outputs
//! ([`stream_f64`], [`stream_u8`], [`store_fence`]; SSE2, part of every x86-64 CPU).
//!
//! The only `unsafe` of the crate is here: the calls of the `avx2` and `avx512` instances
//! in [`Isa::run`], and the intrinsics of the non-temporal copies, each with its safety
//! argument.

/// Which compiled instance of the chunk kernels a batch plan uses. Hidden: a hook for tests
/// and benches that compare the instances; the default, [`KernelPath::Detect`], is what
/// every caller wants.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KernelPath {
    /// AVX-512 when the CPU has it, else AVX2 when it has that, else the portable instance.
    #[default]
    Detect,
    /// Always the portable instance (the default target's instructions).
    Portable,
    /// The AVX2 instance when the CPU has it; the portable one otherwise (never unsound).
    Avx2,
    /// The AVX-512 instance when the CPU has it; else as [`KernelPath::Avx2`].
    Avx512,
}

/// True when this CPU runs the AVX2 instance of the kernels (hidden; for tests and benches).
#[doc(hidden)]
pub fn avx2_available() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        false
    }
}

/// True when this CPU runs the AVX-512 instance of the kernels (hidden; for tests and
/// benches): AVX-512 F, VL, BW and DQ.
#[doc(hidden)]
pub fn avx512_available() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512dq")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        false
    }
}

/// A chunk kernel with its arguments: `run` is the body, `#[inline(always)]` in every impl so
/// that it is compiled into each instance ([`portable`], `avx2`) with that instance's
/// instructions.
pub(super) trait Kernel {
    /// What the kernel returns (whether any row needs the per-row check).
    type Output;
    /// The kernel's body. Implementations must be `#[inline(always)]`.
    fn run(self) -> Self::Output;
}

/// The instruction set the kernels of one batch run with. `avx2` (`avx512`) is true only if
/// the CPU was found to have AVX2 (AVX-512 F, VL, BW, DQ); the fields are private and set
/// only by [`Isa::select`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Isa {
    avx2: bool,
    avx512: bool,
}

impl Isa {
    /// The instance for `path` on this CPU: detected once per batch, by the caller.
    pub(super) fn select(path: KernelPath) -> Isa {
        let want = matches!(
            path,
            KernelPath::Detect | KernelPath::Avx2 | KernelPath::Avx512
        );
        let want512 = matches!(path, KernelPath::Detect | KernelPath::Avx512);
        Isa {
            avx2: want && avx2_available(),
            avx512: want512 && avx512_available(),
        }
    }

    /// Runs `kernel` with this instruction set.
    #[inline(always)]
    #[allow(unsafe_code)]
    pub(super) fn run<K: Kernel>(self, kernel: K) -> K::Output {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            /// The AVX2 instance (see the module docs: AVX2 only, no `fma`).
            ///
            /// # Safety
            /// The CPU must support AVX2.
            #[target_feature(enable = "avx2")]
            #[inline(never)]
            unsafe fn avx2<K: Kernel>(kernel: K) -> K::Output {
                kernel.run()
            }
            /// The AVX-512 instance (F, VL, BW, DQ; no `fma`, as `avx2`).
            ///
            /// # Safety
            /// The CPU must support those four features.
            #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq")]
            #[inline(never)]
            unsafe fn avx512<K: Kernel>(kernel: K) -> K::Output {
                kernel.run()
            }
            if self.avx512 {
                // SAFETY: `self.avx512` is true only when `Isa::select` found the four
                // features with `is_x86_feature_detected!` for this batch, on this CPU.
                return unsafe { avx512(kernel) };
            }
            if self.avx2 {
                // SAFETY: `self.avx2` is true only when `Isa::select` found AVX2 with
                // `is_x86_feature_detected!` for this batch, on this CPU.
                return unsafe { avx2(kernel) };
            }
        }
        portable(kernel)
    }
}

/// The portable instance: the default target's instructions.
#[inline(never)]
fn portable<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}

/// Copies `src` into `dst` (the shorter length of the two) with non-temporal stores where
/// `dst` is 16-byte aligned (SSE2, on every x86-64 CPU): the data go to memory without
/// first reading the destination's cache lines, nor evicting the caller's inputs. For
/// outputs far larger than the caches, which no one reads back soon; see
/// `STREAM_MIN_ROWS` in `batch`. Elsewhere, or on other architectures, a plain copy.
/// Call [`store_fence`] after the last one.
#[allow(unsafe_code)]
pub fn stream_f64(dst: &mut [f64], src: &[f64]) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_loadu_pd, _mm_stream_pd};
        // 0 or 1 element to reach a 16-byte boundary (an `f64` is 8-byte aligned).
        let head = dst.as_ptr().align_offset(16).min(n);
        let body = (n - head) / 2 * 2;
        dst[..head].copy_from_slice(&src[..head]);
        let (d, s) = (&mut dst[head..head + body], &src[head..head + body]);
        for (d, s) in d.chunks_exact_mut(2).zip(s.chunks_exact(2)) {
            // SAFETY: `d` is two in-bounds `f64`s starting on a 16-byte boundary (`head`
            // above, then steps of 16 bytes); `s` is two in-bounds `f64`s (unaligned load).
            // SSE2 is part of x86-64.
            unsafe { _mm_stream_pd(d.as_mut_ptr(), _mm_loadu_pd(s.as_ptr())) };
        }
        dst[head + body..].copy_from_slice(&src[head + body..]);
    }
    #[cfg(not(target_arch = "x86_64"))]
    dst.copy_from_slice(src);
}

/// [`stream_f64`] for byte columns (16 bytes per non-temporal store).
#[allow(unsafe_code)]
pub fn stream_u8(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
        let head = dst.as_ptr().align_offset(16).min(n);
        let body = (n - head) / 16 * 16;
        dst[..head].copy_from_slice(&src[..head]);
        let (d, s) = (&mut dst[head..head + body], &src[head..head + body]);
        for (d, s) in d.chunks_exact_mut(16).zip(s.chunks_exact(16)) {
            // SAFETY: `d` is 16 in-bounds bytes starting on a 16-byte boundary; `s` is 16
            // in-bounds bytes (unaligned load). SSE2 is part of x86-64.
            unsafe {
                _mm_stream_si128(
                    d.as_mut_ptr().cast::<__m128i>(),
                    _mm_loadu_si128(s.as_ptr().cast::<__m128i>()),
                )
            };
        }
        dst[head + body..].copy_from_slice(&src[head + body..]);
    }
    #[cfg(not(target_arch = "x86_64"))]
    dst.copy_from_slice(src);
}

/// Orders the non-temporal stores made so far before every later store (`sfence`), so that
/// the columns are complete for whoever is handed them next (another thread included).
#[allow(unsafe_code)]
pub fn store_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `sfence` has no operands and no preconditions (SSE, part of x86-64).
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}
