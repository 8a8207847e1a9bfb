//! Conversion between [`Attrs`] and the wire's path attributes, both ways:
//! from a received UPDATE (AS4 merged, the MP_REACH next hop folded in)
//! and back to the attributes and packed UPDATEs sent to a peer.

use std::net::{IpAddr, Ipv6Addr};

use rbgp_wire::attr::{AsPath, AttrValue, NextHop, Origin, PathAttribute};
use rbgp_wire::{AfiSafi, Context, NlriEntry, Update};

use super::Attrs;

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

    /// The attributes to send (MP_REACH is added by the packer).
    pub fn to_path_attributes(&self, family: AfiSafi, ctx: &Context) -> Vec<PathAttribute> {
        let a = self;
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
    pub fn mp_next_hop(&self, family: AfiSafi) -> NextHop {
        let a = self;
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
    pub fn announce(&self, family: AfiSafi, nlri: &[NlriEntry], ctx: &Context) -> Vec<Vec<u8>> {
        let attrs = self.to_path_attributes(family, ctx);
        rbgp_wire::update::pack_announcements(&attrs, family, &self.mp_next_hop(family), nlri, ctx)
    }

    /// The set encoded as every UPDATE announcing it for `family` carries
    /// it (see [`rbgp_wire::update::announcement_base`]), for
    /// [`Attrs::announce_with_base`].
    pub fn announcement_base(&self, family: AfiSafi, ctx: &Context) -> Vec<u8> {
        let attrs = self.to_path_attributes(family, ctx);
        rbgp_wire::update::announcement_base(&attrs, family, &self.mp_next_hop(family), ctx)
    }

    /// [`Attrs::announce`] with the set already encoded (by
    /// [`Attrs::announcement_base`], for the same family and context).
    pub fn announce_with_base(
        &self,
        base: &[u8],
        family: AfiSafi,
        nlri: &[NlriEntry],
        ctx: &Context,
    ) -> Vec<Vec<u8>> {
        let nh = self.mp_next_hop(family);
        rbgp_wire::update::pack_announcements_with_base(base, family, &nh, nlri, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbgp_wire::attr::{Community, LargeCommunity};

    fn sample(next_hop: &str) -> Attrs {
        Attrs {
            origin: Some(Origin::Egp),
            as_path: "65001 4200000001 3".parse().unwrap(),
            next_hop: Some(next_hop.parse().unwrap()),
            med: Some(20),
            local_pref: Some(150),
            communities: vec![Community::NO_EXPORT, Community(0xfde8_0001)].into(),
            large_communities: vec!["65000:1:2".parse::<LargeCommunity>().unwrap()].into(),
            ..Attrs::default()
        }
    }

    /// What goes out comes back in the same: the two directions agree, on
    /// a 2-octet session too (AS4_PATH carries the large AS, RFC 6793).
    #[test]
    fn to_the_wire_and_back() {
        for (family, nh, nlri) in [
            (AfiSafi::IPV4_UNICAST, "192.0.2.1", "203.0.113.0/24"),
            (AfiSafi::IPV6_UNICAST, "2001:db8::1", "2001:db8:1::/48"),
        ] {
            let a = sample(nh);
            let entry = NlriEntry {
                path_id: None,
                nlri: rbgp_wire::Nlri::Prefix(nlri.parse().unwrap()),
            };
            for four in [true, false] {
                let ctx = Context::default().with_four_octet_as(four);
                let msgs = a.announce(family, std::slice::from_ref(&entry), &ctx);
                assert_eq!(msgs.len(), 1);
                let d = rbgp_wire::Message::decode(&msgs[0], &ctx).unwrap();
                let rbgp_wire::Message::Update(u) = d.message else {
                    panic!("not an UPDATE");
                };
                assert_eq!(Attrs::from_update(&u), a, "{family} four-octet {four}");
                assert_eq!(u.announced().count(), 1);
            }
        }
    }
}
