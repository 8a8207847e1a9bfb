//! From RIB attribute sets back to wire attributes and UPDATE messages.

use std::net::{IpAddr, Ipv6Addr};

use rbgp_rib::Attrs;
use rbgp_wire::attr::{AsPath, AttrValue, NextHop, Origin, PathAttribute};
use rbgp_wire::{AfiSafi, Context, NlriEntry};

/// The attributes to send (MP_REACH is added by the packer).
pub fn path_attributes(a: &Attrs, family: AfiSafi, ctx: &Context) -> Vec<PathAttribute> {
    let mut v = Vec::with_capacity(10);
    v.push(PathAttribute::new(AttrValue::Origin(
        a.origin.unwrap_or(Origin::Incomplete),
    )));
    v.push(PathAttribute::new(AttrValue::AsPath(a.as_path.clone())));
    // RFC 6793 §4.2.2: to a 2-octet peer, large ASes travel in AS4_PATH.
    if !ctx.four_octet_as && a.as_path.needs_as4() {
        let as4 = AsPath {
            segments: a
                .as_path
                .segments
                .iter()
                .filter(|s| !s.kind.is_confed())
                .cloned()
                .collect(),
        };
        v.push(PathAttribute::new(AttrValue::As4Path(as4)));
    }
    if family == AfiSafi::IPV4_UNICAST {
        if let Some(IpAddr::V4(nh)) = a.next_hop {
            v.push(PathAttribute::new(AttrValue::NextHop(nh)));
        }
    }
    if let Some(m) = a.med {
        v.push(PathAttribute::new(AttrValue::Med(m)));
    }
    if let Some(l) = a.local_pref {
        v.push(PathAttribute::new(AttrValue::LocalPref(l)));
    }
    if a.atomic_aggregate {
        v.push(PathAttribute::new(AttrValue::AtomicAggregate));
    }
    if let Some(g) = a.aggregator {
        v.push(PathAttribute::new(AttrValue::Aggregator(g)));
    }
    if !a.communities.is_empty() {
        v.push(PathAttribute::new(AttrValue::Communities(
            a.communities.clone(),
        )));
    }
    if let Some(o) = a.originator_id {
        v.push(PathAttribute::new(AttrValue::OriginatorId(o)));
    }
    if !a.cluster_list.is_empty() {
        v.push(PathAttribute::new(AttrValue::ClusterList(
            a.cluster_list.clone(),
        )));
    }
    if !a.ext_communities.is_empty() {
        v.push(PathAttribute::new(AttrValue::ExtCommunities(
            a.ext_communities.clone(),
        )));
    }
    if !a.large_communities.is_empty() {
        v.push(PathAttribute::new(AttrValue::LargeCommunities(
            a.large_communities.clone(),
        )));
    }
    if let Some(o) = a.otc {
        v.push(PathAttribute::new(AttrValue::Otc(o)));
    }
    v.extend(a.other.iter().filter_map(PathAttribute::propagate));
    v
}

/// The MP_REACH next hop for `family`.
pub fn next_hop(a: &Attrs, family: AfiSafi) -> NextHop {
    match (a.next_hop, family.afi) {
        (Some(IpAddr::V4(v4)), rbgp_wire::Afi::IPV4) => NextHop::Ipv4(v4),
        (Some(IpAddr::V6(v6)), _) => match a.link_local {
            Some(ll) => NextHop::Ipv6LinkLocal(v6, ll),
            None => NextHop::Ipv6(v6),
        },
        // An IPv4 next hop for IPv6 NLRI: the IPv4-mapped form.
        (Some(IpAddr::V4(v4)), _) => NextHop::Ipv6(v4.to_ipv6_mapped()),
        (None, rbgp_wire::Afi::IPV6) => NextHop::Ipv6(Ipv6Addr::UNSPECIFIED),
        (None, _) => NextHop::Ipv4(std::net::Ipv4Addr::UNSPECIFIED),
    }
}

/// Encode announcements sharing `attrs` into as few UPDATEs as fit.
pub fn announce(a: &Attrs, family: AfiSafi, nlri: &[NlriEntry], ctx: &Context) -> Vec<Vec<u8>> {
    let attrs = path_attributes(a, family, ctx);
    rbgp_wire::update::pack_announcements(&attrs, family, &next_hop(a, family), nlri, ctx)
}
