//! Sets of route ids as bitsets: one bit per RIB slot, so marking a route
//! for a peer costs no hashing and a full table 128 KiB per peer.

use rbgp_rib::RouteId;

fn at(id: RouteId) -> (usize, u64) {
    ((id / 64) as usize, 1 << (id % 64))
}

/// The set bits of `words`, in increasing order.
fn ones(words: &[u64]) -> impl Iterator<Item = RouteId> + '_ {
    words.iter().enumerate().flat_map(|(w, &x)| {
        let mut x = x;
        std::iter::from_fn(move || {
            (x != 0).then(|| {
                let b = x.trailing_zeros();
                x &= x - 1;
                (w as RouteId) * 64 + b
            })
        })
    })
}

#[derive(Debug, Default)]
pub struct Bits {
    words: Vec<u64>,
}

impl Bits {
    /// Add `id`; true if it was not there.
    pub fn insert(&mut self, id: RouteId) -> bool {
        let (w, bit) = at(id);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        match self.words.get_mut(w) {
            Some(x) if *x & bit == 0 => {
                *x |= bit;
                true
            }
            _ => false,
        }
    }

    /// Remove `id`; true if it was there.
    pub fn remove(&mut self, id: RouteId) -> bool {
        let (w, bit) = at(id);
        match self.words.get_mut(w) {
            Some(x) if *x & bit != 0 => {
                *x &= !bit;
                true
            }
            _ => false,
        }
    }

    pub fn contains(&self, id: RouteId) -> bool {
        let (w, bit) = at(id);
        self.words.get(w).is_some_and(|x| x & bit != 0)
    }

    /// Every id in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = RouteId> + '_ {
        ones(&self.words)
    }
}

/// Routes waiting to be exported: a bitset with a summary level (one bit
/// per non-empty word), taken in id order from a cursor that wraps. Ids
/// mostly follow first arrival (freed ids are reused), so routes that came
/// in one UPDATE mostly leave together; a full table of dirty routes costs
/// 130 KiB, not a queue entry each.
#[derive(Debug, Default)]
pub struct Dirty {
    bits: Bits,
    summary: Bits,
    len: usize,
    /// Where the next search starts (a word index).
    cursor: usize,
}

impl Dirty {
    pub fn insert(&mut self, id: RouteId) -> bool {
        let new = self.bits.insert(id);
        if new {
            self.summary.insert(id / 64);
            self.len += 1;
        }
        new
    }

    pub fn contains(&self, id: RouteId) -> bool {
        self.bits.contains(id)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first word at or after `from` with a bit set.
    fn word_from(&self, from: usize) -> Option<usize> {
        let (sw, _) = at(from as RouteId);
        let first = self.summary.words.get(sw)? & (!0u64 << (from % 64));
        if first != 0 {
            return Some(sw * 64 + first.trailing_zeros() as usize);
        }
        let rest = self.summary.words.get(sw + 1..)?;
        ones(rest).next().map(|s| (sw + 1) * 64 + s as usize)
    }

    /// Take the next dirty id, in id order from where the last one was.
    pub fn pop(&mut self) -> Option<RouteId> {
        if self.len == 0 {
            return None;
        }
        let w = self.word_from(self.cursor).or_else(|| self.word_from(0))?;
        let x = self.bits.words.get_mut(w)?;
        let b = x.trailing_zeros();
        *x &= *x - 1;
        if *x == 0 {
            self.summary.remove(w as RouteId);
        }
        self.cursor = w;
        self.len -= 1;
        Some(w as RouteId * 64 + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_iterate() {
        let mut b = Bits::default();
        assert!(b.insert(3));
        assert!(!b.insert(3));
        assert!(b.insert(64));
        assert!(b.insert(1_000_000));
        assert!(b.contains(64) && !b.contains(65) && !b.contains(5_000_000));
        assert_eq!(b.iter().collect::<Vec<_>>(), [3, 64, 1_000_000]);
        assert!(b.remove(64));
        assert!(!b.remove(64));
        assert!(!b.remove(9_999_999));
        assert_eq!(b.iter().collect::<Vec<_>>(), [3, 1_000_000]);
    }

    #[test]
    fn dirty_pops_each_once_in_order_from_the_cursor() {
        let mut d = Dirty::default();
        for id in [5, 4096 * 64 + 1, 70, 5, 63, 64] {
            d.insert(id);
        }
        assert_eq!(d.pop(), Some(5));
        assert_eq!(d.pop(), Some(63));
        assert_eq!(d.pop(), Some(64));
        // Marked behind the cursor: taken after the wrap.
        assert!(d.insert(1));
        assert_eq!(d.pop(), Some(70));
        assert_eq!(d.pop(), Some(4096 * 64 + 1));
        assert!(d.contains(1));
        assert_eq!(d.pop(), Some(1));
        assert!(d.is_empty());
        assert_eq!(d.pop(), None);
        assert!(!d.contains(1));
    }

    proptest::proptest! {
        #[test]
        fn dirty_is_a_set(ops in proptest::collection::vec((0u32..5000, proptest::bool::ANY), 0..400)) {
            let mut d = Dirty::default();
            let mut model = std::collections::BTreeSet::new();
            for (id, take) in ops {
                if take {
                    let got = d.pop();
                    proptest::prop_assert_eq!(got.is_some(), !model.is_empty());
                    if let Some(id) = got {
                        proptest::prop_assert!(model.remove(&id));
                    }
                } else {
                    proptest::prop_assert_eq!(d.insert(id), model.insert(id));
                }
                proptest::prop_assert_eq!(d.is_empty(), model.is_empty());
            }
        }
    }
}
