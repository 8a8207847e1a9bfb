//! The attributes of a route ([`Attrs`]), shared between routes by the
//! [`Interner`] (`intern.rs`) and converted from and to the wire's path
//! attributes in one place (`wire.rs`).

use std::net::IpAddr;

use rbgp_wire::attr::{
    Aggregator, AsPath, Communities, ExtCommunities, LargeCommunities, Origin, PathAttribute,
};

mod intern;
mod wire;

pub use intern::Interner;

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
    /// About the memory the set holds: its inline part and its lists (an
    /// AS_PATH segment and an ATTR_SET's attribute by their decoded size,
    /// other attributes by their wire size). For deciding when to let go
    /// of unused sets, not an exact count.
    pub fn approx_size(&self) -> usize {
        use rbgp_wire::attr::{AsSegment, AttrValue};
        use std::mem::size_of;
        let segments: usize = self
            .as_path
            .segments
            .iter()
            .map(|s| {
                size_of::<AsSegment>()
                    + if s.asns.spilled() {
                        4 * s.asns.len()
                    } else {
                        0
                    }
            })
            .sum();
        let mut other = Vec::new();
        let mut inner = 0;
        for a in &self.other {
            a.encode(&rbgp_wire::Context::default(), &mut other);
            if let AttrValue::AttrSet(s) = &a.value {
                inner += s.attributes.len() * size_of::<PathAttribute>();
            }
        }
        size_of::<Attrs>()
            + segments
            + inner
            + 4 * self.communities.len()
            + 8 * self.ext_communities.len()
            + 12 * self.large_communities.len()
            + 4 * self.cluster_list.len()
            + self.other.len() * size_of::<PathAttribute>()
            + other.len()
    }

    pub fn has_community(&self, c: rbgp_wire::attr::Community) -> bool {
        self.communities.contains(&c)
    }
}
