//! RIB queries and the routes they answer with, routes to originate, and
//! the RIB's sizes.

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_config::RouteConfig;
use rbgp_rib::Attrs;
use rbgp_wire::attr::{AsPath, Community, ExtCommunity, LargeCommunity};
use rbgp_wire::{AfiSafi, Nlri, Prefix};

/// Which table a RIB query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Best and other paths from every source.
    Loc,
    /// Paths received from this peer (after import policy).
    AdjIn(IpAddr),
    /// Paths as this peer sent them, before import policy (only for
    /// neighbors with `keep_pre_policy`).
    AdjInPre(IpAddr),
    /// What we advertise to this peer.
    AdjOut(IpAddr),
    /// What this peer is offered before its export policy and the
    /// built-in export rules (RFC 8671 Adj-RIB-Out pre-policy): the best
    /// path of each route of its families (on ADD-PATH families, the
    /// paths up to its limit) that it did not send.
    AdjOutPre(IpAddr),
    /// Paths this peer sent that import rejected, with the reason (the
    /// attributes only for neighbors with `keep_filtered`).
    Filtered(IpAddr),
    /// Best paths of the peer's families that it is not sent (its export
    /// policy or the BGP rules kept them back), except its own.
    NotExported(IpAddr),
}

/// How a query's prefix matches routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixMatch {
    All,
    Exact(Prefix),
    /// The most specific route covering the prefix or address.
    LongestMatch(Prefix),
    /// The prefix and every more specific one.
    MoreSpecifics(Prefix),
    /// Every route covering the prefix or address (it and the less
    /// specific ones).
    Covering(Prefix),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RibQuery {
    pub table: Table,
    /// `None`: every family.
    pub family: Option<AfiSafi>,
    pub prefix: PrefixMatch,
}

/// Where a path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Injected through the API or listed in the config.
    Local,
    Peer(IpAddr),
}

/// One path in a query answer or a route event.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub path_id: u32,
    pub source: Origin,
    pub attrs: Arc<Attrs>,
    pub best: bool,
    pub stale: bool,
    /// Seconds since the path was received (0 where not known: the
    /// Adj-RIB-Out and the pre-policy table).
    pub age: u32,
    /// Why import rejected it (the filtered table only).
    pub reason: Option<String>,
    /// The same as a key: "POLICY/TERM", "POLICY" (its default), "chain",
    /// "no_policy", "rules" or "family" (looking glass reason codes).
    pub reason_key: Option<String>,
    /// RPKI states of a received path (`None`: originated here, or sent).
    pub validation: Option<rbgp_rib::Validation>,
}

/// An attribute condition a paged scan keeps routes by (looking glass
/// searches run in the RIB task, so only matches travel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrMatch {
    /// The last AS of the AS_PATH's final AS_SEQUENCE.
    OriginAs(u32),
    Community(Community),
    LargeCommunity(LargeCommunity),
}

impl AttrMatch {
    pub fn holds(&self, a: &Attrs) -> bool {
        match self {
            AttrMatch::OriginAs(asn) => a.as_path.origin_as() == Some(*asn),
            AttrMatch::Community(c) => a.communities.contains(c),
            AttrMatch::LargeCommunity(c) => a.large_communities.contains(c),
        }
    }
}

/// One page of a table scan: `next` is where the next page starts
/// (`None`: this was the last).
#[derive(Debug, Clone, Default)]
pub struct RoutePage {
    pub routes: Vec<RouteEntry>,
    pub next: Option<u32>,
}

/// A route to originate (API injection or config `[[routes]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRoute {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub path_id: u32,
    pub attrs: Attrs,
}

impl LocalRoute {
    /// A `[[routes]]` entry of the config file (validated when the file
    /// was read: texts that do not parse are left out, not guessed).
    pub fn from_config(r: &RouteConfig) -> Self {
        let family = if r.prefix.is_ipv4() {
            AfiSafi::IPV4_UNICAST
        } else {
            AfiSafi::IPV6_UNICAST
        };
        let attrs = Attrs {
            origin: Some(rbgp_wire::attr::Origin::Igp),
            as_path: r
                .as_path
                .as_deref()
                .and_then(|p| p.parse::<AsPath>().ok())
                .unwrap_or_default(),
            next_hop: Some(r.next_hop),
            med: r.med,
            local_pref: r.local_pref,
            communities: r
                .communities
                .iter()
                .filter_map(|c| c.parse::<Community>().ok())
                .collect(),
            large_communities: r
                .large_communities
                .iter()
                .filter_map(|c| c.parse::<LargeCommunity>().ok())
                .collect(),
            ext_communities: r
                .ext_communities
                .iter()
                .filter_map(|c| c.parse::<ExtCommunity>().ok())
                .collect(),
            ..Attrs::default()
        };
        LocalRoute {
            family,
            nlri: Nlri::Prefix(r.prefix),
            path_id: 0,
            attrs,
        }
    }

    /// The key the RIB knows it by.
    pub fn key(&self) -> (AfiSafi, Nlri, u32) {
        (self.family, self.nlri.clone(), self.path_id)
    }
}

/// Every candidate path of an NLRI and why the best won.
#[derive(Debug, Clone)]
pub struct Explained {
    pub candidates: Vec<RouteEntry>,
    pub explanation: rbgp_rib::Explanation,
    /// Per candidate, the import policy run again on the path as its
    /// neighbor sent it (`None`: not kept, see `keep_pre_policy`).
    pub policy: Vec<Option<PolicyTrace>>,
}

/// A policy evaluation, term by term.
#[derive(Debug, Clone)]
pub struct PolicyTrace {
    pub steps: Vec<rbgp_policy::Step>,
    /// "policy P term T", "policy P default", "the chain's default", or
    /// why no policy ran.
    pub decided_by: String,
    pub accepted: bool,
}

/// How big the RIB is (metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RibSizes {
    /// Per family: NLRIs with at least one path (the Loc-RIB's routes), and
    /// paths from every source.
    pub families: Vec<(AfiSafi, u64, u64)>,
    /// Distinct attribute sets interned.
    pub attribute_sets: u64,
    /// Route changes some peer has not read yet (the export journal).
    pub export_backlog: u64,
    /// Routes each policy term matched: (policy, term, hits).
    pub policy_hits: Vec<(String, String, u64)>,
}

/// A best-path step's name (API and looking glass).
pub fn step_name(s: rbgp_rib::Step) -> &'static str {
    use rbgp_rib::Step;
    match s {
        Step::LlgrStale => "llgr_stale",
        Step::LocalPref => "local_pref",
        Step::AsPathLength => "as_path_length",
        Step::Origin => "origin",
        Step::Med => "med",
        Step::EbgpOverIbgp => "ebgp_over_ibgp",
        Step::RouterId => "router_id",
        Step::ClusterListLength => "cluster_list_length",
        Step::PeerAddress => "neighbor_address",
        Step::PathId => "path_id",
        Step::Equal => "equal",
    }
}
