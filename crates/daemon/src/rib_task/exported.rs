//! What the built-in export rules make of each attribute set, shared by
//! the peers they make the same sets for. The rules make a new set per
//! source set and peer (eBGP prepends our AS, sets the next hop); with a
//! cache per peer, 300 eBGP peers held 72 of rbgpd's 200 MB in equal
//! copies (case e, 300 x 500 routes). Peers whose rules export alike (one
//! [`class`](ExportedSets::class_of)) now share one cache: the rules run
//! once per set and class, and the class's peers get one `Arc`.

use std::cell::RefCell;
use std::net::Ipv4Addr;
use std::sync::Arc;

use rbgp_rib::rules::PeerRules;
use rbgp_rib::{Attrs, PeerId};
use rbgp_wire::AfiSafi;
use rustc_hash::FxHashMap;

/// Entries of the cache per peer with an Adj-RIB-Out (then it starts
/// again): the budget each peer's own cache had. The cached sets are most
/// of its memory (~300 octets each), so a peer or two do not keep a whole
/// table's worth; a thousand peers of one class share [`CACHE_MAX`], a
/// full table's ~150k sets.
const CACHE_PER_PEER: usize = 1024;
const CACHE_MAX: usize = 256 * 1024;

/// An export class: peers whose rules make the same sets of the same input.
pub type Class = u32;

/// A cached export: the source set (kept so its address is not reused
/// while it is a key) and what the rules make of it (`None`: not sent).
type Cached = (Arc<Attrs>, Option<Arc<Attrs>>);

#[derive(Debug, Default)]
pub struct ExportedSets {
    /// The rules of each class, without what export does not read.
    classes: Vec<PeerRules>,
    /// By (source set address, source peer, family, class).
    cache: RefCell<FxHashMap<(usize, PeerId, AfiSafi, Class), Cached>>,
    /// Entries at most, from the number of peers.
    cache_max: usize,
}

impl ExportedSets {
    /// The class of a peer with these rules. `rules::export` reads neither
    /// the peer's AS nor its router id, so peers differing only there (an
    /// IXP's members, eBGP customers) are one class.
    pub fn class_of(&mut self, rules: &PeerRules) -> Class {
        let mut r = rules.clone();
        r.asn = 0;
        r.router_id = Ipv4Addr::UNSPECIFIED;
        let i = match self.classes.iter().position(|c| *c == r) {
            Some(i) => i,
            None => {
                self.classes.push(r);
                self.classes.len() - 1
            }
        };
        Class::try_from(i).unwrap_or(Class::MAX)
    }

    /// Size the cache for this many peers with an Adj-RIB-Out.
    pub fn set_peers(&mut self, peers: usize) {
        self.cache_max = peers
            .saturating_mul(CACHE_PER_PEER)
            .clamp(CACHE_PER_PEER, CACHE_MAX);
    }

    /// What the rules of `class` made of a source set, if cached.
    pub fn cached(
        &self,
        key: (usize, PeerId, AfiSafi),
        class: Class,
    ) -> Option<Option<Arc<Attrs>>> {
        let (set, peer, family) = key;
        self.cache
            .borrow()
            .get(&(set, peer, family, class))
            .map(|(_, out)| out.clone())
    }

    /// Remember what the rules of `class` made of `input`.
    pub fn remember(
        &self,
        key: (usize, PeerId, AfiSafi),
        class: Class,
        input: Arc<Attrs>,
        out: Option<Arc<Attrs>>,
    ) {
        let (set, peer, family) = key;
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= self.cache_max.max(CACHE_PER_PEER) {
            cache.clear();
        }
        cache.insert((set, peer, family, class), (input, out));
    }

    /// Forget every cached export (a source peer's rules or our own AS
    /// changed, or the interned sets are about to be collected: the cache
    /// holds them).
    pub fn clear_cache(&mut self) {
        *self.cache.get_mut() = FxHashMap::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(med: u32) -> Attrs {
        Attrs {
            med: Some(med),
            ..Attrs::default()
        }
    }

    #[test]
    fn classes_ignore_the_peers_as_and_router_id() {
        let mut s = ExportedSets::default();
        let a = PeerRules::ebgp(65001, Ipv4Addr::new(1, 1, 1, 1));
        let b = PeerRules::ebgp(65002, Ipv4Addr::new(2, 2, 2, 2));
        let rs = PeerRules {
            route_server_client: true,
            ..a.clone()
        };
        assert_eq!(s.class_of(&a), s.class_of(&b));
        assert_ne!(s.class_of(&a), s.class_of(&rs));
    }

    #[test]
    fn the_cache_is_per_class_and_keeps_its_input() {
        let mut s = ExportedSets::default();
        let input = Arc::new(set(1));
        let key = (Arc::as_ptr(&input) as usize, 7, AfiSafi::IPV4_UNICAST);
        let out = Arc::new(set(2));
        s.remember(key, 0, Arc::clone(&input), Some(Arc::clone(&out)));
        assert!(s.cached(key, 1).is_none());
        let hit = s.cached(key, 0).flatten();
        assert!(hit.is_some_and(|h| Arc::ptr_eq(&h, &out)));
        assert_eq!(Arc::strong_count(&input), 2, "the key's set is held");
        s.clear_cache();
        assert!(s.cached(key, 0).is_none());
        assert_eq!(Arc::strong_count(&input), 1);
    }

    #[test]
    fn the_cache_is_bounded_by_the_number_of_peers() {
        let s = ExportedSets::default();
        let inputs: Vec<_> = (0..=CACHE_PER_PEER as u32)
            .map(|i| Arc::new(set(i)))
            .collect();
        for a in &inputs {
            let key = (Arc::as_ptr(a) as usize, 1, AfiSafi::IPV4_UNICAST);
            s.remember(key, 0, Arc::clone(a), None);
        }
        assert_eq!(s.cache.borrow().len(), 1, "full: started again");
        let mut s = ExportedSets::default();
        s.set_peers(2);
        for a in &inputs {
            let key = (Arc::as_ptr(a) as usize, 1, AfiSafi::IPV4_UNICAST);
            s.remember(key, 0, Arc::clone(a), None);
        }
        assert_eq!(s.cache.borrow().len(), CACHE_PER_PEER + 1);
    }
}
