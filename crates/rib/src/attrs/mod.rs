//! The attributes of a route, interned: a full table has ~1M routes but
//! only ~150k distinct attribute sets, so routes share one `Arc<Attrs>`.

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_wire::attr::{
    Aggregator, AsPath, AttrValue, Communities, ExtCommunities, LargeCommunities, Origin,
    PathAttribute,
};
use rbgp_wire::Update;
use rustc_hash::FxHashSet;

/// Everything about a route except its NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Attrs {
    pub origin: Option<Origin>,
    /// With AS4_PATH merged in (RFC 6793 §4.2.3).
    pub as_path: AsPath,
    pub next_hop: Option<IpAddr>,
    /// IPv6 link-local next hop, if the peer sent one (RFC 2545).
    pub link_local: Option<std::net::Ipv6Addr>,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub atomic_aggregate: bool,
    pub aggregator: Option<Aggregator>,
    pub communities: Communities,
    pub ext_communities: ExtCommunities,
    pub large_communities: LargeCommunities,
    pub originator_id: Option<std::net::Ipv4Addr>,
    pub cluster_list: Vec<std::net::Ipv4Addr>,
    pub otc: Option<u32>,
    /// Any other attribute, kept as received (unknown transitive ones are
    /// passed on with the Partial bit).
    pub other: Vec<PathAttribute>,
}

impl Attrs {
    /// The attributes of an UPDATE, with the next hop of `mp_next_hop`
    /// (MP_REACH) when given, else the NEXT_HOP attribute.
    pub fn from_update(u: &Update) -> Attrs {
        let mut a = Attrs {
            as_path: u.effective_as_path().unwrap_or_default(),
            aggregator: u.effective_aggregator(),
            ..Attrs::default()
        };
        for pa in &u.attributes {
            match &pa.value {
                AttrValue::Origin(o) => a.origin = Some(*o),
                // Merged above (RFC 6793 §4.2.3).
                AttrValue::AsPath(_)
                | AttrValue::As4Path(_)
                | AttrValue::Aggregator(_)
                | AttrValue::As4Aggregator(_) => {}
                AttrValue::NextHop(n) => a.next_hop = Some(IpAddr::V4(*n)),
                AttrValue::Med(m) => a.med = Some(*m),
                AttrValue::LocalPref(l) => a.local_pref = Some(*l),
                AttrValue::AtomicAggregate => a.atomic_aggregate = true,
                AttrValue::Communities(c) => a.communities = c.clone(),
                AttrValue::ExtCommunities(c) => a.ext_communities = c.clone(),
                AttrValue::LargeCommunities(c) => a.large_communities = c.clone(),
                AttrValue::OriginatorId(o) => a.originator_id = Some(*o),
                AttrValue::ClusterList(l) => a.cluster_list = l.clone(),
                AttrValue::Otc(o) => a.otc = Some(*o),
                AttrValue::MpReach(m) => {
                    a.next_hop = m.next_hop.addr();
                    a.link_local = m.next_hop.link_local();
                }
                AttrValue::MpUnreach(_) => {}
                _ => a.other.push(pa.clone()),
            }
        }
        a
    }

    pub fn has_community(&self, c: rbgp_wire::attr::Community) -> bool {
        self.communities.contains(&c)
    }
}

/// Shares identical attribute sets. Entries no route uses any more are
/// dropped by [`Interner::collect`]. Hashed with Fx: one lookup per UPDATE
/// received; a peer makes at most one set per route it holds.
#[derive(Debug, Default)]
pub struct Interner {
    set: FxHashSet<Arc<Attrs>>,
}

impl Interner {
    pub fn new() -> Self {
        Interner::default()
    }

    /// The shared copy of `a`.
    pub fn intern(&mut self, a: Attrs) -> Arc<Attrs> {
        if let Some(x) = self.set.get(&a) {
            return Arc::clone(x);
        }
        let x = Arc::new(a);
        self.set.insert(Arc::clone(&x));
        x
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Forget attribute sets only the interner still holds.
    pub fn collect(&mut self) {
        self.set.retain(|a| Arc::strong_count(a) > 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_shares_and_collects() {
        let mut i = Interner::new();
        let a = Attrs {
            med: Some(5),
            ..Attrs::default()
        };
        let x = i.intern(a.clone());
        let y = i.intern(a);
        assert!(Arc::ptr_eq(&x, &y));
        assert_eq!(i.len(), 1);
        let z = i.intern(Attrs {
            med: Some(6),
            ..Attrs::default()
        });
        assert_eq!(i.len(), 2);
        drop(z);
        i.collect();
        assert_eq!(i.len(), 1);
        drop((x, y));
        i.collect();
        assert!(i.is_empty());
    }
}
