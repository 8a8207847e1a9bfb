//! What a policy sees of a route besides its attributes, and of the
//! session it is evaluated for.

use std::net::IpAddr;

pub use rbgp_rib::{Aspa, Rpki};
use rbgp_wire::{AfiSafi, Prefix};

/// Where a route came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Originated here: the configuration's `[[routes]]` or the API.
    Injected,
    Ebgp,
    Ibgp,
    /// From an iBGP route-reflector client.
    Reflected,
}

rbgp_rib::text_enum!(Source { Injected = "injected", Ebgp = "ebgp", Ibgp = "ibgp", Reflected = "reflected" });

/// The route a policy decides on, apart from its attributes.
#[derive(Debug, Clone, Copy)]
pub struct RouteCtx<'a> {
    pub family: AfiSafi,
    /// The NLRI's prefix (unicast and labeled families); `None` for other
    /// NLRI (FlowSpec, EVPN...), which match no prefix condition.
    pub prefix: Option<Prefix>,
    /// The neighbor it was learned from (`None`: originated here).
    pub neighbor: Option<IpAddr>,
    /// That neighbor's AS.
    pub neighbor_asn: Option<u32>,
    /// That neighbor's peer group.
    pub peer_group: Option<&'a str>,
    pub source: Source,
    pub rpki: Rpki,
    pub aspa: Aspa,
}

impl<'a> RouteCtx<'a> {
    /// A route learned from `neighbor` (AS `asn`).
    pub fn learned(
        family: AfiSafi,
        prefix: Option<Prefix>,
        neighbor: IpAddr,
        asn: u32,
        source: Source,
    ) -> Self {
        RouteCtx {
            family,
            prefix,
            neighbor: Some(neighbor),
            neighbor_asn: Some(asn),
            peer_group: None,
            source,
            rpki: Rpki::NotFound,
            aspa: Aspa::Unknown,
        }
    }
}

/// The session a chain is evaluated for: whose AS `prepend_own` adds and
/// which addresses `next_hop = "self"` / `"peer"` mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub local_asn: u32,
    /// Our address on the session.
    pub local_address: Option<IpAddr>,
    /// The neighbor's address.
    pub peer_address: Option<IpAddr>,
}
