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
    pub fn has_community(&self, c: rbgp_wire::attr::Community) -> bool {
        self.communities.contains(&c)
    }
}
