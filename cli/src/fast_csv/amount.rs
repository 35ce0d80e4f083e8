//! The fast path's memo of amount checks (see [`AmountMemo`]).

use verimeter::dispenser::{check_amount, AmountKernel, AmountResult, PriceReading};
use verimeter::money::{decimal_parts_of_f64, Money};
use verimeter::profile::DispenserStage;
use verimeter::Verdict;

use super::numtext::empty_keys;

/// [`check_amount`]'s results by (unit price, amount, V_J, MMQ), exact: the check is a
/// function of these four (the stage is fixed), and the key holds each decimal's exact
/// representation (mantissa, scale and sign, so `7.35` and `7.350` are different keys),
/// V_J's bits and the MMQ's bits (or its absence). Logs repeat them a lot (a station's
/// price, volumes to 0.01 L: 12 783 different keys in the 13.85 M rows of the generated
/// 1 GB log).
///
/// An open-addressed table of [`AmountMemo::SLOTS`] slots of 88 bytes, the key hashed with
/// two multiplies; a key is looked for in the [`AmountMemo::WAYS`] slots from its home slot
/// on, and a new key that finds none of them free replaces one of them in turn: constant
/// memory, and an evicted key costs one more [`check_amount`]. Slots are never emptied, so
/// a free slot ends a search. A decimal whose mantissa needs more than 64 bits is not
/// memoised (the key keeps 64). (A `HashMap` keyed by the decimals' 16-byte forms before it;
/// before that a direct-mapped table of 16 Ki slots, whose colliding keys evicted each
/// other: 1.4 M misses on that log.)
///
/// The verdict alone ([`AmountMemo::check`], all that a row whose figures go to the nozzle
/// accumulator needs) comes from the library's [`AmountKernel`] where the stage's rule is
/// one it takes (a fixed allowance, a power-of-ten step: JJG 443, NIST HB44) and it decides
/// the row: integer arithmetic on the decimals, no table look-up (whose one cache miss per
/// row was a fifth of the judging's time on the 1 GB log); the table then serves only the
/// other rules (MID / R117's price of E_min) and the rows that complete a whole result.
pub(super) struct AmountMemo {
    kernel: Option<AmountKernel>,
    /// V_J's decimal for the kernel by V_J's bits ([`VjParts`]).
    vj_parts: VjParts,
    slots: Vec<AmountSlot>,
    /// The next way a new key replaces when its slots are full.
    victim: usize,
}

/// A slot of [`AmountMemo`].
#[derive(Clone, Copy)]
struct AmountSlot {
    /// The unit price's and the amount's mantissas, V_J's bits, the MMQ's bits (0 without).
    key: [u64; 4],
    /// Scales and signs of the two decimals, whether there is an MMQ, and [`AmountMemo::USED`]
    /// (0: a free slot); see [`AmountMemo::key`].
    meta: u32,
    nums: AmountNums,
}

/// The per-draw figures of an [`AmountResult`] (its clause is the stage's).
#[derive(Clone, Copy)]
pub(super) struct AmountNums {
    computed: Money,
    difference: Money,
    allowance: Money,
    verdict: Verdict,
}

impl AmountNums {
    /// Puts the amount check of a draw whose figures these are ([`AmountMemo::check`] of
    /// `p`, `vj`, `mmq`) into `into`: its figures into the result there (whose clause is
    /// the stage's), or [`check_amount`]'s result where there is none yet. `None` when the
    /// library rejects the price.
    pub(super) fn fill(
        &self,
        stage: &DispenserStage,
        p: &PriceReading,
        vj: f64,
        mmq: Option<f64>,
        into: &mut Option<AmountResult>,
    ) -> Option<()> {
        match into {
            Some(a) => {
                a.unit_price = p.unit_price;
                a.indicated_amount = p.amount;
                a.computed_amount = self.computed;
                a.difference = self.difference;
                a.allowance = self.allowance;
                a.verdict = self.verdict;
            }
            None => *into = Some(check_amount(stage, p, vj, mmq).ok()??),
        }
        Some(())
    }
}

/// [`decimal_parts_of_f64`] of V_J by its bits: a direct-mapped cache of 512 slots (12 KB).
/// Logs repeat their volumes (a few hundred values of 0.01 L), and the function's
/// division (to check that the decimal reads back as V_J) was ~2 % of the run; a hit is
/// a hash, a load and a compare. Only decimals are kept (a value without one is asked
/// again).
struct VjParts {
    slots: Vec<(u64, i64, u32)>,
}

impl VjParts {
    const SLOTS: usize = 512;

    fn new() -> Self {
        Self {
            slots: empty_keys(Self::SLOTS, Self::slot_of)
                .into_iter()
                .map(|key| (key, 0, 0))
                .collect(),
        }
    }

    #[inline(always)]
    fn slot_of(bits: u64) -> usize {
        let h = (bits ^ (bits >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55;
        h as usize % Self::SLOTS
    }

    #[inline(always)]
    fn get(&mut self, vj: f64) -> Option<(i64, u32)> {
        let bits = vj.to_bits();
        let slot = &mut self.slots[Self::slot_of(bits)];
        if slot.0 == bits {
            return Some((slot.1, slot.2));
        }
        Self::miss(slot, vj)
    }

    #[inline(never)]
    fn miss(slot: &mut (u64, i64, u32), vj: f64) -> Option<(i64, u32)> {
        let (m, scale) = decimal_parts_of_f64(vj)?;
        *slot = (vj.to_bits(), m, scale);
        Some((m, scale))
    }
}

impl AmountMemo {
    /// A power of two: 16 Ki slots, 1.4 MB.
    const SLOTS: usize = 1 << 14;
    const WAYS: usize = 8;
    const USED: u32 = 1 << 9;

    /// A memo for the amount checks of `stage` (whose rule decides the kernel; every
    /// look-up must be for this stage).
    pub(super) fn new(stage: &DispenserStage) -> Self {
        Self {
            kernel: AmountKernel::new(stage),
            vj_parts: VjParts::new(),
            // Made on the first look-up: a stage whose amounts the kernel judges may never
            // need the table (1.4 MB).
            slots: Vec::new(),
            victim: 0,
        }
    }

    /// The exact key of a draw (words and meta) and its home slot; `None` when a decimal's
    /// mantissa needs more than 64 bits.
    ///
    /// A decimal's 16 bytes are its flags (bits 16–23 the scale, bit 31 the sign, the
    /// others zero), then the mantissa's low, middle and high 32 bits. The meta word holds
    /// the price's flags shifted down by 16 (bits 0–7 and 15), the amount's in place (bits
    /// 16–23 and 31), bit 8 for an MMQ and bit 9 ([`Self::USED`]).
    fn key(p: &PriceReading, vj: f64, mmq: Option<f64>) -> Option<([u64; 4], u32, usize)> {
        let parts = |m: &Money| {
            let b = m.serialize();
            let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            let (flags, lo, mid, hi) = (w(0), w(4), w(8), w(12));
            (hi == 0 && flags & 0xffff == 0)
                .then_some((flags, u64::from(lo) | u64::from(mid) << 32))
        };
        let (pf, pm) = parts(&p.unit_price)?;
        let (af, am) = parts(&p.amount)?;
        let meta = (pf >> 16) | af | u32::from(mmq.is_some()) << 8 | Self::USED;
        let key = [pm, am, vj.to_bits(), mmq.map_or(0, f64::to_bits)];
        let h = (pm ^ am.rotate_left(23) ^ key[3].rotate_left(41) ^ u64::from(meta) << 40)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ key[2].wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        let h = (h ^ (h >> 29)).wrapping_mul(0x2545_F491_4F6C_DD1D);
        Some((key, meta, (h >> 40) as usize % Self::SLOTS))
    }

    /// The verdict of the amount check of a draw; `None` when the library rejects the
    /// draw's price.
    #[inline]
    pub(super) fn check(
        &mut self,
        stage: &DispenserStage,
        p: &PriceReading,
        vj: f64,
        mmq: Option<f64>,
    ) -> Option<Verdict> {
        // `AmountKernel::verdict` (V_J's decimal, then `verdict_decimal`), V_J's decimal
        // from the small cache.
        if let Some(k) = &self.kernel {
            if let Some((m, scale)) = self.vj_parts.get(vj) {
                if let Some(v) = k.verdict_decimal(p, m, scale) {
                    return Some(v);
                }
            }
        }
        self.lookup(stage, p, vj, mmq, |n| n.verdict)
    }

    /// The figures of the amount check of a draw (see [`AmountNums::fill`] for the whole
    /// result); `None` when the library rejects the draw's price.
    pub(super) fn check_nums(
        &mut self,
        stage: &DispenserStage,
        p: &PriceReading,
        vj: f64,
        mmq: Option<f64>,
    ) -> Option<AmountNums> {
        self.lookup(stage, p, vj, mmq, |n| *n)
    }

    /// `pick` of the figures of the amount check of a draw (only what it picks is read
    /// from the slot); `None` when the library rejects the draw's price.
    #[inline(always)]
    fn lookup<T>(
        &mut self,
        stage: &DispenserStage,
        p: &PriceReading,
        vj: f64,
        mmq: Option<f64>,
        pick: impl Fn(&AmountNums) -> T,
    ) -> Option<T> {
        if self.slots.is_empty() {
            self.make_table();
        }
        let found = Self::key(p, vj, mmq);
        let mut free = None;
        if let Some((key, meta, home)) = found {
            for i in 0..Self::WAYS {
                let k = (home + i) % Self::SLOTS;
                let s = &self.slots[k];
                if s.meta == 0 {
                    free = Some(k);
                    break;
                }
                // Word by word (an array compare loads the key just built as vectors: a
                // store-forwarding stall).
                let [k0, k1, k2, k3] = s.key;
                let diff = (k0 ^ key[0]) | (k1 ^ key[1]) | (k2 ^ key[2]) | (k3 ^ key[3]);
                if s.meta == meta && diff == 0 {
                    return Some(pick(&s.nums));
                }
            }
        }
        self.miss(stage, p, vj, mmq, found, free).map(|n| pick(&n))
    }

    /// The table of free slots.
    #[cold]
    #[inline(never)]
    fn make_table(&mut self) {
        let free = AmountSlot {
            key: [0; 4],
            meta: 0,
            nums: AmountNums {
                computed: Money::ZERO,
                difference: Money::ZERO,
                allowance: Money::ZERO,
                verdict: Verdict::Pass,
            },
        };
        self.slots = vec![free; Self::SLOTS];
    }

    /// A key not in the table ([`Self::lookup`]): [`check_amount`], whose figures go into
    /// the free slot `free` or replace one of the key's slots.
    #[cold]
    #[inline(never)]
    fn miss(
        &mut self,
        stage: &DispenserStage,
        p: &PriceReading,
        vj: f64,
        mmq: Option<f64>,
        found: Option<([u64; 4], u32, usize)>,
        free: Option<usize>,
    ) -> Option<AmountNums> {
        let a = check_amount(stage, p, vj, mmq).ok()??;
        let nums = AmountNums {
            computed: a.computed_amount,
            difference: a.difference,
            allowance: a.allowance,
            verdict: a.verdict,
        };
        if let Some((key, meta, home)) = found {
            let k = free.unwrap_or_else(|| {
                self.victim = (self.victim + 1) % Self::WAYS;
                (home + self.victim) % Self::SLOTS
            });
            self.slots[k] = AmountSlot { key, meta, nums };
        }
        Some(nums)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Rng;
    use verimeter::profile::DispenserProfile;

    /// The V_J cache answers as `decimal_parts_of_f64` itself, hit or miss: volumes of
    /// 0–6 decimals (repeated, so most are hits), negative ones, any bit pattern, NaN and
    /// ±inf, many more values than slots.
    #[test]
    fn vj_parts_are_decimal_parts() {
        let mut rng = Rng::new(29);
        let mut c = VjParts::new();
        // The keys of the empty slots, looked up on a new cache, are not found there.
        let empty: Vec<f64> = c.slots.iter().map(|s| f64::from_bits(s.0)).collect();
        let mut check = |x: f64| assert_eq!(c.get(x), decimal_parts_of_f64(x), "{x:e}");
        let special = [
            0.0,
            -0.0,
            // Every bit pattern is a key a look-up may meet, the all-ones NaN too.
            f64::from_bits(u64::MAX),
            f64::from_bits(0),
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            5e-324,
        ];
        for &x in &empty {
            check(x);
        }
        // First on the new cache, then after its slots have been overwritten.
        for &x in &special {
            check(x);
            check(x);
        }
        for _ in 0..200_000 {
            let v = rng.int(0, 3_000) as f64 / 100.0;
            check(v);
            check(-v);
            check(rng.int(0, 999_999_999) as f64 / 10f64.powi(rng.int(0, 6) as i32));
            check(f64::from_bits(rng.next_u64()));
        }
        for &x in &special {
            check(x);
            check(x);
        }
    }

    /// The memo answers as [`check_amount`] itself, hit or miss: random keys (prices of
    /// several scales, the same value at two scales, negative, zero, mantissas wider than
    /// 64 bits, exact and wrong amounts, MMQ absent or present) many more than the table
    /// holds, so keys are evicted and asked again; its memory does not grow.
    #[test]
    fn amount_memo_is_check_amount() {
        let mut rng = Rng::new(17);
        let prices = [
            Money::new(735, 2),
            Money::new(7350, 3),
            Money::new(8, 0),
            Money::new(8000, 3),
            Money::new(1, 2),
            Money::new(0, 2),
            Money::new(-735, 2),
            Money::from_i128_with_scale(1 << 70, 20),
            Money::from_i128_with_scale(3 << 66, 2),
        ];
        let mmqs = [None, Some(2.0), Some(5.0), Some(-0.0), Some(0.0)];
        let mut hits = 0;
        for name in ["jjg443-2015", "mid-mi005", "oiml-r117-1", "nist-hb44-3.30"] {
            let profile = DispenserProfile::builtin(name).unwrap();
            for stage in profile.stage_names() {
                let stage = profile.stage(Some(stage)).unwrap();
                let mut memo = AmountMemo::new(stage);
                let mut into = None;
                for _ in 0..40_000 {
                    let r = rng.next_u64();
                    let unit_price = prices[(r % 9) as usize];
                    let cl = 50 + (r >> 8) % 3000;
                    let vj = cl as f64 / 100.0;
                    let mmq = mmqs[((r >> 24) % 5) as usize];
                    let exact = unit_price
                        .checked_mul(Money::new(cl as i64, 2))
                        .map_or(Money::new(1, 2), |x| x.round_dp(2));
                    let amount = match (r >> 32) % 5 {
                        0 => exact,
                        1 => Money::try_from_i128_with_scale(
                            exact.mantissa().saturating_mul(10),
                            exact.scale() + 1,
                        )
                        .unwrap_or(exact),
                        2 => exact + Money::new(1, 2),
                        3 => exact - Money::new(3, 2),
                        _ => Money::new(((r >> 40) % 30_000) as i64, 2),
                    };
                    let p = PriceReading { unit_price, amount };
                    let want = check_amount(stage, &p, vj, mmq).ok().flatten();
                    let got = memo.check_nums(stage, &p, vj, mmq);
                    let verdict = got.map(|n| n.verdict);
                    assert_eq!(
                        verdict,
                        want.as_ref().map(|a| a.verdict),
                        "{p:?} {vj} {mmq:?}"
                    );
                    if let Some(nums) = got {
                        assert_eq!(nums.fill(stage, &p, vj, mmq, &mut into), Some(()));
                        assert_eq!(into.as_ref(), want.as_ref(), "{p:?} {vj} {mmq:?}");
                        // Asked again: a hit, the same answer.
                        let again = memo.check(stage, &p, vj, mmq);
                        assert_eq!(again, verdict);
                        let mut into2 = into.clone();
                        assert_eq!(nums.fill(stage, &p, vj, mmq, &mut into2), Some(()));
                        assert_eq!(into2.as_ref(), want.as_ref());
                        hits += 1;
                    }
                }
                assert_eq!(memo.slots.len(), AmountMemo::SLOTS);
            }
        }
        assert!(hits > 100_000, "{hits}");
    }

    /// Keys that differ only in one part (scale, sign, MMQ present as 0.0 or absent) are
    /// different keys; a price wider than 64 bits is not memoised.
    #[test]
    fn amount_memo_keys_are_exact() {
        let p = |price: Money, amount: Money| PriceReading {
            unit_price: price,
            amount,
        };
        let key = |r: &PriceReading, mmq| AmountMemo::key(r, 20.07, mmq).map(|k| (k.0, k.1));
        let a = p(Money::new(735, 2), Money::new(14751, 2));
        let b = p(Money::new(7350, 3), Money::new(14751, 2));
        let c = p(Money::new(735, 2), Money::new(147510, 3));
        let d = p(Money::new(-735, 2), Money::new(14751, 2));
        let keys = [
            key(&a, None),
            key(&b, None),
            key(&c, None),
            key(&d, None),
            key(&a, Some(0.0)),
            key(&a, Some(-0.0)),
        ];
        for (i, x) in keys.iter().enumerate() {
            assert!(x.is_some());
            for y in &keys[i + 1..] {
                assert_ne!(x, y);
            }
        }
        let wide = p(Money::from_i128_with_scale(1 << 64, 2), Money::new(1, 2));
        assert_eq!(key(&wide, None), None);
        assert_eq!(key(&p(Money::new(1, 2), wide.unit_price), None), None);
    }
}
