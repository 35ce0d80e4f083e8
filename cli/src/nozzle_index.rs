//! The nozzle ids of a log, numbered in first-appearance order: one arena for every id's
//! bytes (no `String` per id) and a hash table of numbers into it.

use std::hash::Hasher;

use hashbrown::HashTable;

use crate::fast_csv::FxHasher;

/// Nozzle ids numbered 0, 1, 2, … in first-appearance order.
#[derive(Default)]
pub(crate) struct NozzleIndex {
    /// Every id's bytes, one after the other (each id is UTF-8 text: see
    /// [`number`](Self::number)).
    arena: Vec<u8>,
    /// Where id k ends in `arena` (it starts where id k − 1 ends).
    ends: Vec<usize>,
    /// The numbers of the ids with their hashes (kept so that growing the table does not
    /// read the arena: (hash, number)).
    table: HashTable<(u64, usize)>,
    /// The last id looked up (logs come nozzle by nozzle: no hash then).
    last: Option<usize>,
}

fn hash(id: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(id);
    h.finish()
}

impl NozzleIndex {
    /// The number of ids.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Id number `k` (`k < len()`).
    pub(crate) fn id(&self, k: usize) -> std::borrow::Cow<'_, str> {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        // The ids were given as UTF-8 text: the lossy conversion changes nothing.
        String::from_utf8_lossy(&self.arena[start..self.ends[k]])
    }

    /// The number of `id`, and whether it is new (numbered `len()` before the call).
    /// `id` is UTF-8 text (a `&str`'s bytes, or bytes the caller has checked), taken as
    /// bytes so that a caller holding checked bytes need not check them again.
    pub(crate) fn number(&mut self, id: &[u8]) -> (usize, bool) {
        if let Some(k) = self.last {
            let start = if k == 0 { 0 } else { self.ends[k - 1] };
            if &self.arena[start..self.ends[k]] == id {
                return (k, false);
            }
        }
        let h = hash(id);
        let Self {
            arena, ends, table, ..
        } = self;
        let text = |k: usize| {
            let start = if k == 0 { 0 } else { ends[k - 1] };
            &arena[start..ends[k]]
        };
        // One probe for both: found, or the slot to fill (a new id is common: a log holds
        // ~6 rows per nozzle, and the table of a big log does not fit in the caches).
        let k = match table.entry(h, |&(hk, k)| hk == h && text(k) == id, |&(hj, _)| hj) {
            hashbrown::hash_table::Entry::Occupied(e) => {
                let k = e.get().1;
                self.last = Some(k);
                return (k, false);
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                let k = ends.len();
                e.insert((h, k));
                k
            }
        };
        arena.extend_from_slice(id);
        ends.push(arena.len());
        self.last = Some(k);
        (k, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_first_appearance_order() {
        let mut ix = NozzleIndex::default();
        let mut want = std::collections::HashMap::new();
        let mut order = Vec::new();
        let mut s = 7u64;
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let id = format!("N{}", s % 3000);
            let next = want.len();
            let k = *want.entry(id.clone()).or_insert(next);
            if k == next {
                order.push(id.clone());
            }
            assert_eq!(ix.number(id.as_bytes()), (k, k == next));
        }
        assert_eq!(ix.number(b""), (order.len(), true));
        assert_eq!(ix.number("é".as_bytes()), (order.len() + 1, true));
        assert_eq!(ix.number(b""), (order.len(), false));
        order.push(String::new());
        order.push("é".into());
        assert_eq!(ix.len(), order.len());
        for (k, id) in order.iter().enumerate() {
            assert_eq!(ix.id(k), id.as_str());
        }
    }
}
