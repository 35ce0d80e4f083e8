//! The nozzle ids of a log, numbered in first-appearance order: one arena for every id's
//! bytes (no `String` per id), looked up without hashing while the log is sorted by nozzle,
//! and through a hash table of numbers into the arena from the first id out of order on.

use std::cmp::Ordering;
use std::hash::Hasher;

use hashbrown::HashTable;

use crate::fast_csv::FxHasher;

/// Nozzle ids numbered 0, 1, 2, … in first-appearance order.
///
/// Logs usually come sorted by nozzle (a station's nozzles one after the other, each
/// nozzle's draws together; `verimeter generate` writes them so). While every new id is
/// greater (bytewise) than all the ids before it, the arena is sorted: a new id is known to
/// be new by one comparison with the last one, and an id seen before is found by binary
/// search, so no hash is computed and no table (which does not fit in the CPU caches for
/// millions of nozzles) is probed. The first new id that is not the greatest so far builds
/// the hash table from the arena, and the table is used from then on.
#[derive(Default)]
pub(crate) struct NozzleIndex {
    /// The ids' bytes.
    ids: Ids,
    /// `None` while the ids are sorted (see above); then the numbers of the ids with their
    /// hashes (kept so that growing the table does not read the arena: (hash, number)).
    table: Option<HashTable<(u64, usize)>>,
    /// The last id looked up (logs come nozzle by nozzle: one comparison then).
    last: Option<usize>,
    /// Binary searches made while sorted.
    searches: usize,
}

/// Binary searches allowed while sorted, besides one per 16 ids (so that they cost at most
/// a few comparisons per id in all; then the table is built).
const MAX_SEARCHES: usize = 4096;

fn hash(id: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(id);
    h.finish()
}

/// Every id's bytes, one after the other (each id is UTF-8 text: see
/// [`NozzleIndex::number`]), numbered 0, 1, 2, …
///
/// A log's ids usually have one length (`verimeter generate`'s have 11 bytes): while they
/// do, id k is at k · `width` and no ends are kept (for the 2.31 M nozzles of the 1 GB
/// generated log, 18.5 MB less to write and fault in); the first id of another length
/// writes them down.
#[derive(Default)]
struct Ids {
    arena: Vec<u8>,
    /// The number of ids.
    count: usize,
    /// Whether every id has `width` bytes (`ends` is then empty).
    variable: bool,
    width: usize,
    /// Once `variable`: where id k ends in `arena` (it starts where id k − 1 ends).
    ends: Vec<usize>,
}

impl Ids {
    /// Before pushing an id of `len` bytes, not `width`: the first id gives the width,
    /// another makes the ids `variable`.
    #[cold]
    #[inline(never)]
    fn widen(&mut self, len: usize) {
        if self.count == 0 {
            self.width = len;
        } else {
            self.variable = true;
            let w = self.width;
            self.ends = (1..=self.count).map(|k| k * w).collect();
        }
    }

    fn len(&self) -> usize {
        self.count
    }

    /// Id `k` (`k < len()`).
    #[inline(always)]
    fn get(&self, k: usize) -> &[u8] {
        if !self.variable {
            // k < count, so k · width + width ≤ arena.len(): no overflow.
            let start = k * self.width;
            return &self.arena[start..start + self.width];
        }
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.arena[start..self.ends[k]]
    }

    /// Appends `id` as number `len()`.
    #[inline(always)]
    fn push(&mut self, id: &[u8]) {
        if !self.variable && id.len() != self.width {
            self.widen(id.len());
        }
        self.arena.extend_from_slice(id);
        if self.variable {
            self.ends.push(self.arena.len());
        }
        self.count += 1;
    }
}

/// The 8 bytes of `id` at `at` (`at + 8 <= id.len()`), as a little-endian word.
#[inline(always)]
fn id_word(id: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&id[at..at + 8]);
    u64::from_le_bytes(w)
}

/// For an id of 8 to 16 bytes (the usual length), its first and last 8 bytes as words
/// ([`id_word`]): two ids of one such length are equal when these are (the two words
/// overlap and cover the id). `None` for other lengths.
#[inline(always)]
pub(crate) fn id_words(id: &[u8]) -> Option<(u64, u64)> {
    (8..=16)
        .contains(&id.len())
        .then(|| (id_word(id, 0), id_word(id, id.len() - 8)))
}

/// `a == b`, without a library call for ids of 8 to 16 bytes (the usual length: two
/// overlapping 8-byte words each, [`id_words`]), the common case of a row of the same
/// nozzle as the last.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match id_words(a) {
        Some(words) => id_words(b) == Some(words),
        None => a == b,
    }
}

/// `a.cmp(b)`, without a library call for ids of the same length of 8 to 16 bytes (the
/// usual case: a log's ids are numbered alike): bytewise order is the order of the first
/// 8 bytes as a big-endian word, then, when they are equal, of the last 8 (which overlap
/// them: the overlapping bytes are equal).
#[inline]
fn cmp_ids(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len();
    if n != b.len() || !(8..=16).contains(&n) {
        return a.cmp(b);
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_be_bytes(w)
    };
    word(a, 0)
        .cmp(&word(b, 0))
        .then_with(|| word(a, n - 8).cmp(&word(b, n - 8)))
}

impl NozzleIndex {
    /// The number of ids.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the ids are still looked up without the hash table (tests).
    #[cfg(test)]
    fn sorted(&self) -> bool {
        self.table.is_none()
    }

    /// The bytes of id number `k` (`k < len()`).
    pub(crate) fn bytes(&self, k: usize) -> &[u8] {
        self.ids.get(k)
    }

    /// Id number `k` (`k < len()`).
    pub(crate) fn id(&self, k: usize) -> std::borrow::Cow<'_, str> {
        // The ids were given as UTF-8 text: the lossy conversion changes nothing.
        String::from_utf8_lossy(self.ids.get(k))
    }

    /// The number of `id`, and whether it is new (numbered `len()` before the call).
    /// `id` is UTF-8 text (a `&str`'s bytes, or bytes the caller has checked), taken as
    /// bytes so that a caller holding checked bytes need not check them again.
    #[inline(always)]
    pub(crate) fn number(&mut self, id: &[u8]) -> (usize, bool) {
        // The common case inline: the last id again (a log's rows come nozzle by nozzle;
        // both ways below look at the last id first, with the same comparison).
        if let Some(k) = self.last {
            if same(self.ids.get(k), id) {
                return (k, false);
            }
        }
        self.number_other(id)
    }

    /// [`number`](Self::number) without its first step (the comparison with the last id),
    /// for a caller that knows `id` is not the last one (it gives the same answer for the
    /// last one too, a little later).
    #[inline(never)]
    pub(crate) fn number_other(&mut self, id: &[u8]) -> (usize, bool) {
        let n = self.ids.len();
        if self.table.is_none() {
            // Sorted: the common case (the last id again was `number`'s) is a new one
            // after the last.
            let last = self.last.unwrap_or(0);
            let order = if n == 0 {
                Ordering::Less
            } else {
                cmp_ids(self.ids.get(last), id)
            };
            match order {
                Ordering::Equal => return (last, false),
                Ordering::Less if last + 1 == n || n == 0 => return self.push(id),
                _ => {}
            }
            if self.ids.get(n - 1) < id {
                return self.push(id);
            }
            // The id after the last one, or the first after the greatest (a log that goes
            // through its nozzles again in the same order, e.g. one test point after the
            // other), else a binary search, as
            // long as searches stay rare: each reads ~log2(n) ids from all over the arena,
            // where the table reads one or two.
            let next = if last + 1 < n { last + 1 } else { 0 };
            if same(self.ids.get(next), id) {
                self.last = Some(next);
                return (next, false);
            }
            self.searches += 1;
            if self.searches <= MAX_SEARCHES + n / 16 {
                let ids = &self.ids;
                if let Some(k) = binary_search(n, |k| ids.get(k).cmp(id)) {
                    self.last = Some(k);
                    return (k, false);
                }
            }
            // A new id before the greatest (the arena is no longer sorted), or too many
            // searches: the table from now on.
            let mut table = HashTable::with_capacity(n + 1);
            for k in 0..n {
                let h = hash(self.ids.get(k));
                table.insert_unique(h, (h, k), |&(hj, _)| hj);
            }
            self.table = Some(table);
        }
        let h = hash(id);
        let Self { ids, table, .. } = self;
        let Some(table) = table else {
            return self.push(id);
        };
        // One probe for both: found, or the slot to fill (a new id is common: a log holds
        // ~6 rows per nozzle, and the table of a big log does not fit in the caches).
        match table.entry(h, |&(hk, k)| hk == h && ids.get(k) == id, |&(hj, _)| hj) {
            hashbrown::hash_table::Entry::Occupied(e) => {
                let k = e.get().1;
                self.last = Some(k);
                (k, false)
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert((h, n));
                self.push(id)
            }
        }
    }

    /// Appends `id` as number `len()` (already in the table, if there is one).
    #[inline]
    fn push(&mut self, id: &[u8]) -> (usize, bool) {
        let k = self.ids.len();
        self.ids.push(id);
        self.last = Some(k);
        (k, true)
    }
}

/// The k in 0..n with `cmp(k) == Equal`, where `cmp` is ascending in k.
fn binary_search(n: usize, cmp: impl Fn(usize) -> Ordering) -> Option<usize> {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match cmp(mid) {
            Ordering::Equal => return Some(mid),
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers `ids` with a [`NozzleIndex`] and with a `HashMap`, and compares them, and
    /// the ids in number order; whether the index stayed sorted.
    fn check(ids: &[&[u8]]) -> bool {
        let mut ix = NozzleIndex::default();
        let mut want = std::collections::HashMap::new();
        let mut order: Vec<&[u8]> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let next = want.len();
            let k = *want.entry(id.to_vec()).or_insert(next);
            if k == next {
                order.push(id);
            }
            assert_eq!(ix.number(id), (k, k == next), "row {i}: {id:?}");
        }
        assert_eq!(ix.len(), order.len());
        for (k, id) in order.iter().enumerate() {
            assert_eq!(ix.id(k).as_bytes(), *id);
        }
        ix.sorted()
    }

    fn xorshift(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    /// `cmp_ids` is the slices' order and `same` their equality, on random ids of 0..20
    /// bytes of three letters and their neighbours (a byte changed to another letter or
    /// by its lowest bit, one more or one fewer byte, the same id).
    #[test]
    fn cmp_ids_is_cmp_and_same_is_eq() {
        let mut s = 5u64;
        for _ in 0..40_000 {
            let n = (xorshift(&mut s) % 20) as usize;
            let a: Vec<u8> = (0..n)
                .map(|_| b'A' + (xorshift(&mut s) % 3) as u8)
                .collect();
            let mut b = a.clone();
            match xorshift(&mut s) % 5 {
                0 if n > 0 => {
                    let i = (xorshift(&mut s) as usize) % n;
                    b[i] = b'A' + (xorshift(&mut s) % 3) as u8;
                }
                1 if n > 0 => {
                    let i = (xorshift(&mut s) as usize) % n;
                    b[i] ^= 1;
                }
                2 => b.push(b'A'),
                3 if n > 0 => {
                    b.pop();
                }
                _ => {}
            }
            assert_eq!(cmp_ids(&a, &b), a.cmp(&b), "{a:?} {b:?}");
            assert_eq!(cmp_ids(&b, &a), b.cmp(&a), "{b:?} {a:?}");
            assert_eq!(same(&a, &b), a == b, "{a:?} {b:?}");
        }
    }

    #[test]
    fn numbers_in_first_appearance_order() {
        let mut s = 7u64;
        let mut ids: Vec<String> = (0..20_000)
            .map(|_| format!("N{}", xorshift(&mut s) % 3000))
            .collect();
        ids.extend(["".into(), "é".into(), "".into()]);
        let ids: Vec<&[u8]> = ids.iter().map(|s| s.as_bytes()).collect();
        assert!(!check(&ids));
    }

    #[test]
    fn ids_of_one_width_then_others() {
        // One width for a while (no ends kept), then others; every id still found, by
        // search and by the table, and an empty id among them.
        for switch in [0, 1, 5, 300] {
            let mut ids: Vec<String> = (0..300).map(|n| format!("N{n:04}")).collect();
            ids.insert(switch, "N0000x".into());
            ids.extend(["N0299y".into(), "".into(), "N0300".into(), "N0003".into()]);
            ids.extend((0..300).step_by(13).map(|n| format!("N{n:04}")));
            ids.push("M".into());
            ids.extend((0..300).step_by(7).map(|n| format!("N{n:04}")));
            let ids: Vec<&[u8]> = ids.iter().map(|s| s.as_bytes()).collect();
            check(&ids);
            let mut ix = NozzleIndex::default();
            for id in &ids[..switch] {
                ix.number(id);
            }
            assert!(!ix.ids.variable && ix.ids.ends.is_empty());
        }
        let ids: [&[u8]; 5] = [b"", b"", b"A", b"", b"A"];
        check(&ids);
    }

    #[test]
    fn sorted_logs_need_no_table() {
        // Nozzle by nozzle, as generated: six rows each.
        let ids: Vec<String> = (0..5000)
            .flat_map(|n| std::iter::repeat_n(format!("S{:06}-N{:02}", n / 12, n % 12), 6))
            .collect();
        let ids: Vec<&[u8]> = ids.iter().map(|s| s.as_bytes()).collect();
        assert!(check(&ids));
        // Ids that are prefixes of each other, an empty id first, earlier ids again (found
        // by binary search, the index stays sorted), interleaved nozzles.
        let ids: [&[u8]; 17] = [
            b"",
            b"",
            b"N",
            b"N1",
            b"N1",
            b"N10",
            b"N1",
            b"N10",
            b"N100",
            b"N",
            b"N1",
            b"N100",
            b"N2",
            b"N10",
            b"N2",
            b"\xc3\xa9",
            b"",
        ];
        assert!(check(&ids));
    }

    #[test]
    fn an_id_out_of_order_switches_to_the_table() {
        // A new id before the greatest, at every position, then more ids of both kinds.
        let base: [&[u8]; 8] = [b"A", b"B", b"B1", b"C", b"A", b"D", b"B", b"E"];
        for at in 0..=base.len() {
            for new in [&b"0"[..], b"A0", b"B0", b"Bz", b"C0", b"", b"AA"] {
                let mut ids = base.to_vec();
                ids.insert(at, new);
                ids.extend_from_slice(&[b"F", new, b"A", b"B0", b"C", b"C0", b"G", b"AA"]);
                check(&ids);
            }
        }
        // Sorted for a long time, then not: every id before the switch is still found.
        let mut ids: Vec<String> = (0..3000).map(|n| format!("N{n:05}")).collect();
        ids.push("M".into());
        ids.extend((0..3000).rev().map(|n| format!("N{n:05}")));
        ids.push("M".into());
        ids.push("N99999".into());
        let ids: Vec<&[u8]> = ids.iter().map(|s| s.as_bytes()).collect();
        assert!(!check(&ids));
        // Every id again in the same order (the next one after the last: no search), then
        // in another order: searches, until there are too many.
        let once: Vec<String> = (0..20_000).map(|n| format!("N{n:05}")).collect();
        let mut ids: Vec<&[u8]> = once.iter().map(|s| s.as_bytes()).collect();
        ids.extend(once.iter().map(|s| s.as_bytes()));
        let mut ix = NozzleIndex::default();
        for id in &ids {
            ix.number(id);
        }
        assert!(ix.sorted() && ix.searches == 0);
        for _ in 0..3 {
            ids.extend(once.iter().step_by(7).map(|s| s.as_bytes()));
        }
        assert!(check(&ids[..40_000 + 100]));
        assert!(!check(&ids));
        // Random ids from a small set, sorted runs among them.
        let mut s = 99u64;
        for _ in 0..200 {
            let ids: Vec<String> = (0..200)
                .map(|_| {
                    let r = xorshift(&mut s);
                    match r % 3 {
                        0 => format!("N{}", r % 7),
                        1 => format!("N{}", r % 70),
                        _ => format!("N{}", r % 700),
                    }
                })
                .collect();
            let ids: Vec<&[u8]> = ids.iter().map(|s| s.as_bytes()).collect();
            check(&ids);
        }
    }
}
