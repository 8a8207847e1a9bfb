//! Which routes a peer currently has from us, on families without ADD-PATH
//! send: presence only, one bit per RIB route id (the attributes are
//! recomputed from the Loc-RIB when needed), so a full table costs 128 KiB
//! per peer instead of a map of NLRIs and attribute pointers.

use rbgp_rib::RouteId;
use rbgp_wire::AfiSafi;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::bits::Bits;

#[derive(Debug, Default)]
pub struct Advertised {
    bits: Bits,
    /// How many per family (status queries must not scan the bits).
    counts: SmallVec<[(AfiSafi, u64); 2]>,
}

impl Advertised {
    fn count(&mut self, family: AfiSafi, up: bool) {
        match self.counts.iter_mut().find(|(f, _)| *f == family) {
            Some((_, n)) if up => *n += 1,
            Some((_, n)) => *n = n.saturating_sub(1),
            None if up => self.counts.push((family, 1)),
            None => {}
        }
    }

    /// Record an announcement; true if the peer did not have it.
    pub fn insert(&mut self, family: AfiSafi, id: RouteId) -> bool {
        let new = self.bits.insert(id);
        if new {
            self.count(family, true);
        }
        new
    }

    /// Record a withdrawal; true if the peer had it.
    pub fn remove(&mut self, family: AfiSafi, id: RouteId) -> bool {
        let had = self.bits.remove(id);
        if had {
            self.count(family, false);
        }
        had
    }

    pub fn contains(&self, id: RouteId) -> bool {
        self.bits.contains(id)
    }

    /// Whether the peer has no route at all.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|(_, n)| *n == 0)
    }

    /// Whether the peer has any route of `family`.
    pub fn holds_any(&self, family: AfiSafi) -> bool {
        self.counts.iter().any(|(f, n)| *f == family && *n > 0)
    }

    pub fn counts(&self) -> FxHashMap<AfiSafi, u64> {
        self.counts
            .iter()
            .copied()
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Every advertised route id.
    pub fn iter(&self) -> impl Iterator<Item = RouteId> + '_ {
        self.bits.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_presence_per_family() {
        let mut a = Advertised::default();
        let v4 = AfiSafi::IPV4_UNICAST;
        let v6 = AfiSafi::IPV6_UNICAST;
        assert!(a.insert(v4, 1));
        assert!(!a.insert(v4, 1));
        assert!(a.insert(v4, 2));
        assert!(a.insert(v6, 70));
        assert_eq!(a.counts().get(&v4), Some(&2));
        assert_eq!(a.counts().get(&v6), Some(&1));
        assert!(a.remove(v6, 70));
        assert!(!a.remove(v6, 70));
        assert_eq!(a.counts().get(&v6), None);
        assert_eq!(a.iter().collect::<Vec<_>>(), [1, 2]);
        assert!(a.contains(2) && !a.contains(70));
    }
}
