//! Numbers as text for the fast path: reading a number cell as `str::parse` does
//! ([`parse_f64`]), writing an `f64` as `Display` does ([`push_f64`]), the line numbers
//! ([`LineText`]) and repeated numbers ([`NumCache`]).

use std::fmt::Write as _;

/// A number cell (trimmed, not empty) as `str::parse::<f64>` reads it; `None` when it does
/// not parse.
///
/// Plain decimals (`[+-]digits[.digits]`, at most 15 digits) are read as an integer
/// mantissa m < 10^15 < 2^53 and a scale 10^k (k ≤ 15 ≤ 22): both are exact doubles, so
/// m / 10^k is one correctly rounded division — the correctly rounded value of the text,
/// which is what `str::parse` returns. Everything else is left to `str::parse`.
pub fn parse_f64(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut m: u64 = 0;
    let mut nd = 0usize;
    let mut frac = 0usize;
    let mut dot = false;
    let mut plain = digits.len() <= 16;
    if plain {
        for &c in digits {
            match c {
                b'0'..=b'9' => {
                    m = m * 10 + u64::from(c - b'0');
                    nd += 1;
                    frac += usize::from(dot);
                }
                b'.' if !dot => dot = true,
                _ => {
                    plain = false;
                    break;
                }
            }
        }
    }
    if plain && (1..=15).contains(&nd) {
        let x = decimal_value(m, frac);
        return Some(if neg { -x } else { x });
    }
    t.parse::<f64>().ok()
}

/// 10^k as doubles, k ≤ 15 (all exact).
const POW10_F64: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The value of a plain decimal read as the integer mantissa `m` < 10^15 and `frac` ≤ 15
/// decimals: `m` and 10^frac are exact doubles, so m / 10^frac is one correctly rounded
/// division, the correctly rounded value of the text, which is what `str::parse` returns
/// (Clinger's fast path). Every reader of number cells ends here.
#[inline(always)]
pub(super) fn decimal_value(m: u64, frac: usize) -> f64 {
    // m < 10^15: exact as i64 and as f64 (one conversion instruction, not the u64 one's);
    // `& 15` (frac ≤ 15 already) spares the bounds check.
    m as i64 as f64 / POW10_F64[frac & 15]
}

/// Appends `x` as `Display` writes it (`x.to_string()`), without a string per number.
///
/// `zmij` (as `ryu` before it, with the same digits and layout, ~2× faster) and `Display`
/// both write the shortest digits that read back as `x`, the closest to `x` among them;
/// they may differ only where two candidates are equally close (`zmij` breaks the tie to
/// even, `Display` rounds half up: 2051402825097015.25 is `…015.2` in `zmij`, `…015.3` in
/// `Display`) or where a candidate lies exactly on the boundary of `x`'s rounding interval
/// (`zmij` accepts it for an even mantissa). In both cases the exact binary value of `x`
/// has at most one fractional decimal digit more than the output (an odd mantissa m·2^e
/// has exactly −e fractional digits, a midpoint between outputs of d fractional digits has
/// d + 1, a boundary x ± 2^(e−1) has 1 − e). So `zmij`'s text is used where x·2^(−e) with
/// m odd has −e > d + 1 (every result of the error formula in practice) or x is an integer
/// below 2^53 (exact digits, no tie); elsewhere, and for an exponent layout, NaN and ±inf,
/// `Display` itself writes it. `zmij`'s trailing `.0` for integers is dropped.
///
/// The common case is decided from `x` alone before anything is written
/// ([`plain_shortest`]: every E and V_Bt of a log in practice), and `zmij`'s text is
/// appended as it is; the rest is out of line ([`push_f64_other`]).
#[inline]
pub fn push_f64(out: &mut Vec<u8>, x: f64) {
    let mut b = zmij::Buffer::new();
    NumText::new(&mut b, x).push(out);
}

/// [`push_f64`] in two steps: the text of a number made ([`NumText::new`], `zmij`'s in
/// `buf` for the common case), written later ([`NumText::push`]). Some work between the
/// two lets `zmij`'s narrow stores reach the cache before the copy's wide loads read them
/// (read at once, they stall: a load that spans several in-flight stores is not
/// forwarded).
pub(super) enum NumText<'b> {
    /// `zmij`'s text, `Display`'s as it is ([`plain_shortest`]).
    Short(&'b [u8]),
    /// Anything else: written by [`push_f64_other`].
    Other(f64),
}

impl<'b> NumText<'b> {
    #[inline(always)]
    pub(super) fn new(buf: &'b mut zmij::Buffer, x: f64) -> Self {
        if plain_shortest(x) {
            NumText::Short(buf.format_finite(x).as_bytes())
        } else {
            NumText::Other(x)
        }
    }

    #[inline(always)]
    pub(super) fn push(&self, out: &mut Vec<u8>) {
        match *self {
            NumText::Short(s) => out.extend_from_slice(s),
            NumText::Other(x) => push_f64_other(out, x),
        }
    }
}

/// Whether `zmij`'s text of `x` is `Display`'s as it is, from `x` alone: 1e-4 ≤ |x| < 1e15
/// (written without an exponent, with at most 17 significant digits after at most 3
/// zeros: d ≤ 20 decimals) and x = m·2^e with m odd and −e > 21 > d + 1 (see
/// [`push_f64`]). Such an `x` is not an integer, so its text has no `.0` to drop.
#[inline(always)]
fn plain_shortest(x: f64) -> bool {
    let a = x.abs();
    let bits = a.to_bits();
    // In the range the number is normal: m is the fraction with the implicit bit, and the
    // exponent field's bits above it do not change m's trailing zeros.
    let tz = (bits | (1u64 << 52)).trailing_zeros();
    let e = (bits >> 52) as i64 - 1075 + i64::from(tz);
    (1e-4..1e15).contains(&a) && e < -21
}

/// [`push_f64`] of what [`plain_shortest`] does not take: integers, dyadic fractions,
/// other magnitudes, NaN and ±inf.
#[cold]
#[inline(never)]
fn push_f64_other(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        let mut b = zmij::Buffer::new();
        let s = b.format_finite(x);
        let s = s.strip_suffix(".0").unwrap_or(s);
        if safe_for_shortest(x, s) {
            out.extend_from_slice(s.as_bytes());
            return;
        }
    }
    let mut s = String::new();
    let _ = write!(s, "{x}");
    out.extend_from_slice(s.as_bytes());
}

/// Whether `zmij`'s text `s` of the finite `x` is `Display`'s (see [`push_f64`]).
fn safe_for_shortest(x: f64, s: &str) -> bool {
    if x == 0.0 {
        return true;
    }
    let bits = x.to_bits();
    let field = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e) = if field == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), field - 1075)
    };
    let e = e + i64::from(m.trailing_zeros());
    // Without reading the text: 1e-4 ≤ |x| < 1e15 is written without an exponent (its
    // decimal exponent is within zmij's and Display's plain range) and with at most 17
    // significant digits after at most 3 zeros, so d ≤ 20 decimals: −e > 21 is enough.
    let a = x.abs();
    if (1e-4..1e15).contains(&a) && -e > 21 {
        return true;
    }
    // One pass (the text is short: no memchr call): an exponent, and the decimal point.
    let mut dot = None;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        match c {
            b'e' => return false,
            b'.' => dot = Some(i),
            _ => {}
        }
    }
    if e >= 0 {
        return x.abs() < 9_007_199_254_740_992.0;
    }
    let d = dot.map_or(0, |p| s.len() - p - 1) as i64;
    -e > d + 1
}

/// The text of the line numbers written, each between two commas (`,{line},`), which
/// mostly go up by one: the next one is the last text with one added to its digits
/// (carried) in a register, any other (or one with more digits) is formatted by `itoa`;
/// written with a fixed-size copy. (Digits kept in a byte array and incremented in place
/// cost a store-forwarding stall per row: byte stores, then a 16-byte load of the same
/// bytes.)
pub(super) struct LineText {
    last: u64,
    /// `,`, the digits of `last` (the first in byte 1), `,`, when it has at most 14 digits
    /// (`len`); `len` 0: none.
    text: u128,
    len: u32,
    /// The last digit's byte of `text` set (`mask`), `9` in it and 1 in it: the common
    /// step (a last digit below 9) without a shift by a variable count.
    mask: u128,
    nine: u128,
    one: u128,
    /// The same for the digit before the last (when `len` ≥ 2), and 9 in the last digit: a step that carries only into a tens digit below 9 (9 in 100 rows)
    /// without [`LineText::carry`]'s loop.
    mask10: u128,
    nine10: u128,
    one10: u128,
    nines: u128,
}

impl LineText {
    /// The most digits kept in `text` (with the two commas in 16 bytes).
    const DIGITS: usize = 14;

    pub(super) fn new() -> Self {
        Self {
            last: 0,
            text: 0,
            len: 0,
            mask: 0,
            nine: 0,
            one: 0,
            mask10: 0,
            nine10: 0,
            one10: 0,
            nines: 0,
        }
    }

    /// Appends `,{line},`.
    #[inline]
    pub(super) fn push(&mut self, out: &mut Vec<u8>, line: u64) {
        let next = match self.last.checked_add(1) == Some(line) {
            true => self.bump(),
            false => None,
        };
        self.last = line;
        let text = match next {
            Some(t) => t,
            None => match self.fresh(out, line) {
                Some(t) => t,
                None => return,
            },
        };
        self.text = text;
        let at = out.len();
        out.extend_from_slice(&text.to_le_bytes());
        out.truncate(at + self.len as usize + 2);
    }

    /// The text of `line` by `itoa` (and the masks of its last digit); one of more than
    /// [`Self::DIGITS`] digits is appended here and `None` returned.
    #[cold]
    #[inline(never)]
    fn fresh(&mut self, out: &mut Vec<u8>, line: u64) -> Option<u128> {
        let mut b = itoa::Buffer::new();
        let s = b.format(line).as_bytes();
        if s.len() > Self::DIGITS {
            self.len = 0;
            out.push(b',');
            out.extend_from_slice(s);
            out.push(b',');
            return None;
        }
        let mut w = [0u8; 16];
        w[0] = b',';
        w[1..=s.len()].copy_from_slice(s);
        w[s.len() + 1] = b',';
        self.len = s.len() as u32;
        let sh = 8 * s.len() as u32;
        self.mask = 0xff << sh;
        self.nine = u128::from(b'9') << sh;
        self.one = 1 << sh;
        (self.mask10, self.nine10, self.one10) = match s.len() >= 2 {
            true => (
                0xff << (sh - 8),
                u128::from(b'9') << (sh - 8),
                1 << (sh - 8),
            ),
            false => (0, 0, 0),
        };
        self.nines = 9 << sh;
        Some(u128::from_le_bytes(w))
    }

    /// The text plus one, `None` when the sum needs one more digit (or there is no text).
    #[inline]
    fn bump(&self) -> Option<u128> {
        let t = self.text;
        if self.len != 0 && t & self.mask != self.nine {
            return Some(t + self.one);
        }
        if self.len >= 2 && t & self.mask10 != self.nine10 {
            return Some(t - self.nines + self.one10);
        }
        self.carry()
    }

    /// [`Self::bump`] of a text that ends in `9` (one in ten).
    #[inline(never)]
    fn carry(&self) -> Option<u128> {
        let mut t = self.text;
        let mut i = self.len;
        while i > 0 {
            let sh = 8 * i;
            if (t >> sh) as u8 == b'9' {
                t -= 9 << sh;
            } else {
                return Some(t + (1 << sh));
            }
            i -= 1;
        }
        None
    }
}

/// A short text written often (a group's limits, its rows' ends): kept with room after it
/// and appended by one fixed-size copy (inlined: no `memcpy` call) and a truncation; a
/// longer one by `extend_from_slice`. (Its bytes were stored long before they are read,
/// so the wide loads wait for no store, unlike a copy of text just formatted.)
#[derive(Clone)]
pub(super) struct ShortText {
    fixed: [u8; ShortText::ROOM],
    len: usize,
    long: Vec<u8>,
}

impl ShortText {
    const ROOM: usize = 64;

    pub(super) fn new() -> Self {
        Self {
            fixed: [0; Self::ROOM],
            len: 0,
            long: Vec::new(),
        }
    }

    pub(super) fn set(&mut self, s: &[u8]) {
        self.len = s.len();
        if s.len() <= Self::ROOM {
            self.fixed = [0; Self::ROOM];
            self.fixed[..s.len()].copy_from_slice(s);
            self.long.clear();
        } else {
            self.long.clear();
            self.long.extend_from_slice(s);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    pub(super) fn push(&self, out: &mut Vec<u8>) {
        if self.len <= Self::ROOM {
            let at = out.len();
            out.extend_from_slice(&self.fixed);
            out.truncate(at + self.len);
        } else {
            out.extend_from_slice(&self.long);
        }
    }
}

/// Formatted numbers that repeat (rounded errors): a small direct-mapped cache of
/// [`push_f64`]'s text by bit pattern, each between two commas (`,{x},`). 1 024 slots
/// (48 KB): with 256 a twentieth of the generated log's judged errors missed (conflicts:
/// 4 096 slots miss barely fewer than 1 024), each miss ~300 instructions with `zmij`.
pub(super) struct NumCache {
    slots: Vec<(u64, u8, [u8; 32])>,
}

/// The keys of the empty slots of a direct-mapped cache of `slots` slots keyed by a
/// number's bits, whose slot of bits is `slot_of`: in each slot, bits that a look-up never
/// finds there, because their own slot is another. (Any bit pattern may be looked up, so
/// no one key can mark every slot empty: all ones in every slot but its own, where another
/// NaN is.)
pub(super) fn empty_keys(slots: usize, slot_of: impl Fn(u64) -> usize) -> Vec<u64> {
    let a = u64::MAX;
    let b = (1..)
        .map(|k| u64::MAX - k)
        .find(|&b| slot_of(b) != slot_of(a))
        .unwrap_or(0);
    (0..slots)
        .map(|i| if i == slot_of(a) { b } else { a })
        .collect()
}

impl NumCache {
    const SLOTS: usize = 1024;

    pub(super) fn new() -> Self {
        Self {
            slots: empty_keys(Self::SLOTS, Self::slot_of)
                .into_iter()
                .map(|key| (key, 0, [0; 32]))
                .collect(),
        }
    }

    #[inline(always)]
    fn slot_of(bits: u64) -> usize {
        let h = (bits ^ (bits >> 23) ^ (bits >> 41)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> (64 - Self::SLOTS.trailing_zeros());
        h as usize % Self::SLOTS
    }

    /// Appends `,{x},`.
    #[inline(always)]
    pub(super) fn push(&mut self, out: &mut Vec<u8>, x: f64) {
        let bits = x.to_bits();
        let slot = &mut self.slots[Self::slot_of(bits)];
        if slot.0 == bits {
            // A fixed-size copy (inlined), then the length: no memcpy call.
            let at = out.len();
            out.extend_from_slice(&slot.2);
            out.truncate(at + usize::from(slot.1));
            return;
        }
        Self::miss(slot, out, x);
    }

    /// [`NumCache::push`] of a number not in its slot: written, and kept there.
    #[inline(never)]
    fn miss(slot: &mut (u64, u8, [u8; 32]), out: &mut Vec<u8>, x: f64) {
        let bits = x.to_bits();
        let at = out.len();
        out.push(b',');
        push_f64(out, x);
        out.push(b',');
        let text = &out[at..];
        if !x.is_nan() && text.len() <= 32 {
            slot.0 = bits;
            slot.1 = text.len() as u8;
            slot.2[..text.len()].copy_from_slice(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Rng;

    /// A `NumCache` writes `,{x},` as `Display` does, hit or miss: on a new cache the keys
    /// of its empty slots and NaNs of any payload (the all-ones one too), then judged
    /// errors of two decimals, repeated (hits) and many more than its slots, then the
    /// special values again.
    #[test]
    fn num_cache_is_display() {
        let mut rng = Rng::new(31);
        let mut c = NumCache::new();
        let empty: Vec<f64> = c.slots.iter().map(|s| f64::from_bits(s.0)).collect();
        let mut out = Vec::new();
        let mut check = |x: f64| {
            out.clear();
            c.push(&mut out, x);
            assert_eq!(out, format!(",{x},").as_bytes(), "{:x}", x.to_bits());
        };
        let special = [
            f64::from_bits(u64::MAX),
            f64::from_bits(0),
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            5e-324,
        ];
        for &x in empty.iter().chain(&special) {
            check(x);
            check(x);
        }
        for _ in 0..100_000 {
            check(rng.int(0, 2_000) as f64 / 100.0 - 10.0);
            check(f64::from_bits(rng.next_u64()));
        }
        for &x in &special {
            check(x);
        }
    }

    #[test]
    fn line_text_is_itoa() {
        let mut t = LineText::new();
        let mut out = Vec::new();
        let mut check = |n: u64| {
            out.clear();
            out.push(b'x');
            t.push(&mut out, n);
            assert_eq!(out, format!("x,{n},").as_bytes());
        };
        for n in (1..12_345).chain([7, 9, 10, 99, 100, 100, 1, 999_999, 1_000_000]) {
            check(n);
        }
        for n in [
            u64::MAX - 2,
            u64::MAX - 1,
            u64::MAX,
            0,
            1,
            9_999_999_999_999_999_999,
        ] {
            check(n);
        }
        // Across 14 digits (the text kept in a register) to 15 (written by itoa) and on,
        // and 16 to 17.
        for n in (99_999_999_999_990..100_000_000_000_010)
            .chain(9_999_999_999_999_990..10_000_000_000_000_010)
            .chain(99_999_999_999_980..100_000_000_000_005)
        {
            check(n);
        }
        for n in (99_999_999_999_999_990..100_000_000_000_000_010).chain(5..200) {
            check(n);
        }
    }

    #[test]
    fn push_f64_is_display() {
        let mut rng = Rng::new(7);
        let mut out = Vec::new();
        let mut check = |x: f64| {
            out.clear();
            push_f64(&mut out, x);
            assert_eq!(String::from_utf8_lossy(&out), x.to_string(), "{x:e}");
        };
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.3,
            1e15,
            1e16,
            1e17,
            1e-5,
            1e-6,
            1e-7,
            123456789012345680.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            20.028064720000003,
        ] {
            check(x);
        }
        for _ in 0..300_000 {
            // Any bit pattern; decimals of a few digits; results of the error formula.
            check(f64::from_bits(rng.next_u64()));
            let d = rng.int(-99_999, 99_999) as f64 / 10f64.powi(rng.int(0, 6) as i32);
            check(d);
            let (vj, vb) = (rng.uniform(19.0, 21.0), rng.uniform(19.0, 21.0));
            check((vj - vb) / vb * 100.0);
            check(rng.uniform(-1e-3, 1e-3) * 10f64.powi(rng.int(-30, 30) as i32));
            // Dyadic fractions: short exact expansions, where ties live.
            let k = rng.int(1, 1 << 40) as f64;
            check(k / 2f64.powi(rng.int(0, 70) as i32));
            check(rng.int(1, 1 << 53) as f64 * 2f64.powi(rng.int(-60, 12) as i32));
        }
        check(8_205_611_300_388_061.0 / 4.0); // 2051402825097015.25, a tie at 17 digits
        check(-2.0514028250970153e15);
        check(52429.0 / 262144.0);
        check(5.444310685350916e14); // an exact half-ulp tie at the integer digit
                                     // Every power of ten (where the layouts change: 1e-5, 1e16) and its neighbours,
                                     // subnormals, integers around 2^53, the smallest and largest binary exponents.
        for k in -324..=308 {
            let p: f64 = format!("1e{k}").parse().unwrap_or(0.0);
            for x in [
                p,
                p.next_up(),
                p.next_down(),
                3.0 * p,
                9.999_999_999_999_999 * p,
            ] {
                check(x);
                check(-x);
            }
        }
        for bits in (0u64..2000).chain((1u64 << 52) - 1000..(1u64 << 52) + 1000) {
            check(f64::from_bits(bits));
        }
        for k in 0..=1100i32 {
            check(2f64.powi(k - 1074));
            check(2f64.powi(k - 1074) * 1.5);
        }
        for i in (1u64 << 53) - 100..(1u64 << 53) + 100 {
            check(i as f64);
        }
        for e in 0..=18 {
            for x in [1e-5, 1e-4, 1e15, 1e16] {
                check(x * (1.0 + f64::from(e) * f64::EPSILON));
            }
        }
        // Numbers of the shapes of the log: E, V_Bt, limits, with 1 to 17 digits.
        for _ in 0..300_000 {
            let digits = rng.int(1, 17) as u32;
            let m = rng.int(0, 10i64.pow(digits) - 1) as f64;
            check(m / 10f64.powi(rng.int(0, 20) as i32));
            check(m * 10f64.powi(rng.int(0, 20) as i32));
            check(f64::from_bits(rng.next_u64() & 0x000f_ffff_ffff_ffff)); // subnormal
        }
    }

    /// Where [`plain_shortest`] takes a number, `zmij`'s text as it is (no `.0` dropped) is
    /// `Display`'s, and the check by the text ([`safe_for_shortest`]) agrees; it takes the
    /// log's kinds of numbers (E, V_Bt of short decimals).
    #[test]
    fn plain_shortest_is_display() {
        let mut rng = Rng::new(23);
        let mut taken = 0u32;
        let mut check = |x: f64| {
            if plain_shortest(x) {
                taken += 1;
                let mut b = zmij::Buffer::new();
                let s = b.format_finite(x);
                assert_eq!(s, x.to_string(), "{x:e}");
                assert!(safe_for_shortest(x, s), "{x:e}");
            }
        };
        for _ in 0..300_000 {
            check(f64::from_bits(rng.next_u64()));
            let (vj, vb) = (
                rng.int(19_000, 21_000) as f64 / 1000.0,
                rng.int(19_000, 21_000) as f64 / 1000.0,
            );
            check((vj - vb) / vb * 100.0);
            check(vb * (1.0 + 0.00125 * (rng.int(-300, 300) as f64 / 10.0)));
            let digits = rng.int(1, 17) as u32;
            let m = rng.int(0, 10i64.pow(digits) - 1) as f64;
            check(m / 10f64.powi(rng.int(0, 20) as i32));
            check(-m / 10f64.powi(rng.int(0, 20) as i32));
        }
        for k in -6..=16 {
            let p: f64 = format!("1e{k}").parse().unwrap_or(0.0);
            for x in [p, p.next_up(), p.next_down(), 0.1 + p, p * 1.000_000_1] {
                check(x);
                check(-x);
            }
        }
        assert!(taken > 600_000, "{taken}");
        for x in [
            0.0,
            -0.0,
            1.0,
            20.5,
            0.25,
            1e15,
            1e-5,
            f64::NAN,
            f64::INFINITY,
            3e20,
        ] {
            assert!(!plain_shortest(x), "{x:e}");
        }
    }

    #[test]
    fn parse_f64_is_str_parse() {
        let mut rng = Rng::new(11);
        let check = |t: &str| {
            let want = t.parse::<f64>().ok().map(f64::to_bits);
            assert_eq!(parse_f64(t).map(f64::to_bits), want, "{t:?}");
        };
        for t in [
            "0",
            "-0",
            "+0",
            "1",
            "1.",
            ".5",
            "-.5",
            ".",
            "-",
            "+",
            "",
            "1..2",
            "1.2.3",
            "1e3",
            "1E-3",
            "inf",
            "-inf",
            "NaN",
            "nan",
            "infinity",
            "0x10",
            "1_000",
            "12a",
            "--1",
            "+-1",
            "123456789012345",
            "1234567890123456",
            "0.1234567890123456789",
            "9007199254740993",
            "20.028064720000003",
            "00000000000000001",
            "1,5",
            " 1",
        ] {
            check(t);
        }
        for _ in 0..300_000 {
            let digits = rng.int(1, 18) as usize;
            let mut t = String::new();
            match rng.int(0, 3) {
                0 => t.push('-'),
                1 => t.push('+'),
                _ => {}
            }
            let dot = rng.int(0, digits as i64) as usize;
            for i in 0..digits {
                if i == dot && rng.int(0, 4) > 0 {
                    t.push('.');
                }
                t.push(char::from(b'0' + rng.int(0, 9) as u8));
            }
            check(&t);
            check(&format!("{}", rng.uniform(-100.0, 100.0)));
        }
    }
}
