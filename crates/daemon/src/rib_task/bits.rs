//! A set of route ids as a bitset: one bit per RIB slot, so marking a
//! route for a peer costs no hashing and a full table 128 KiB per peer.

use rbgp_rib::RouteId;

#[derive(Debug, Default)]
pub struct Bits {
    words: Vec<u64>,
}

fn at(id: RouteId) -> (usize, u64) {
    ((id / 64) as usize, 1 << (id % 64))
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
        self.words.iter().enumerate().flat_map(|(w, &x)| {
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
}
