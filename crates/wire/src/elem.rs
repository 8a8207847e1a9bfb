//! Route elements: one flat record per announced or withdrawn NLRI, the
//! shape collectors and analysis tools work with (like bgpkit-parser's
//! `BgpElem`). Built from an UPDATE plus where and when it was seen, so MRT
//! records and BMP Route Monitoring produce the same records.

use std::net::IpAddr;

use crate::afi::AfiSafi;
use crate::attr::{Aggregator, AsPath, AttrValue, Community, ExtCommunity, LargeCommunity, Origin};
use crate::nlri::Nlri;
use crate::update::Update;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ElemType {
    Announce,
    Withdraw,
}

/// Where and when an UPDATE was seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElemSource {
    /// Seconds since the Unix epoch (fractional part: microseconds where known).
    pub timestamp: f64,
    pub peer_ip: IpAddr,
    pub peer_asn: u32,
}

/// One announced or withdrawn NLRI with the attributes that apply to it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Elem {
    pub timestamp: f64,
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub elem_type: ElemType,
    pub peer_ip: IpAddr,
    pub peer_asn: u32,
    pub afi_safi: AfiSafi,
    /// The NLRI (for unicast: the prefix).
    pub nlri: Nlri,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub path_id: Option<u32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub next_hop: Option<IpAddr>,
    /// The AS path with AS4_PATH merged in (RFC 6793 §4.2.3).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub as_path: Option<AsPath>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub origin_asn: Option<u32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub origin: Option<Origin>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub local_pref: Option<u32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub med: Option<u32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub communities: Vec<Community>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub large_communities: Vec<LargeCommunity>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub ext_communities: Vec<ExtCommunity>,
    pub atomic_aggregate: bool,
    /// AGGREGATOR, with AS4_AGGREGATOR applied when AGGREGATOR holds AS_TRANS.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub aggregator: Option<Aggregator>,
    /// Only-to-customer (RFC 9234).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub otc: Option<u32>,
}

/// The attributes shared by every announcement of one UPDATE.
#[derive(Default)]
struct Shared {
    as_path: Option<AsPath>,
    origin: Option<Origin>,
    local_pref: Option<u32>,
    med: Option<u32>,
    communities: Vec<Community>,
    large_communities: Vec<LargeCommunity>,
    ext_communities: Vec<ExtCommunity>,
    atomic_aggregate: bool,
    aggregator: Option<Aggregator>,
    otc: Option<u32>,
    classic_next_hop: Option<IpAddr>,
}

fn shared(u: &Update) -> Shared {
    let mut s = Shared {
        as_path: u.effective_as_path(),
        aggregator: u.effective_aggregator(),
        ..Shared::default()
    };
    for a in &u.attributes {
        match &a.value {
            AttrValue::Origin(o) => s.origin = Some(*o),
            AttrValue::NextHop(n) => s.classic_next_hop = Some(IpAddr::V4(*n)),
            AttrValue::Med(m) => s.med = Some(*m),
            AttrValue::LocalPref(l) => s.local_pref = Some(*l),
            AttrValue::AtomicAggregate => s.atomic_aggregate = true,
            AttrValue::Communities(c) => s.communities = c.to_vec(),
            AttrValue::LargeCommunities(c) => s.large_communities = c.to_vec(),
            AttrValue::ExtCommunities(c) => s.ext_communities = c.to_vec(),
            AttrValue::Otc(o) => s.otc = Some(*o),
            _ => {}
        }
    }
    s
}

impl Elem {
    /// Flatten an UPDATE: announcements (classic, then MP_REACH) and
    /// withdrawals (classic, then MP_UNREACH).
    pub fn from_update(u: &Update, src: ElemSource) -> Vec<Elem> {
        let s = shared(u);
        let origin_asn = s.as_path.as_ref().and_then(AsPath::origin_as);
        let mp_next_hop = u.mp_reach().and_then(|m| m.next_hop.addr());
        let mut out = Vec::with_capacity(u.nlri.len() + u.withdrawn.len());
        let base = |elem_type, afi_safi, nlri: &crate::nlri::NlriEntry| Elem {
            timestamp: src.timestamp,
            elem_type,
            peer_ip: src.peer_ip,
            peer_asn: src.peer_asn,
            afi_safi,
            nlri: nlri.nlri.clone(),
            path_id: nlri.path_id,
            next_hop: None,
            as_path: None,
            origin_asn: None,
            origin: None,
            local_pref: None,
            med: None,
            communities: Vec::new(),
            large_communities: Vec::new(),
            ext_communities: Vec::new(),
            atomic_aggregate: false,
            aggregator: None,
            otc: None,
        };
        // Classic NLRI take NEXT_HOP, MP_REACH NLRI the MP next hop.
        let classic = u
            .nlri
            .iter()
            .map(|n| (AfiSafi::IPV4_UNICAST, n, s.classic_next_hop));
        let mp = u
            .mp_reach()
            .into_iter()
            .flat_map(|m| m.nlri.iter().map(move |n| (m.family, n, mp_next_hop)));
        for (fam, n, next_hop) in classic.chain(mp) {
            let mut e = base(ElemType::Announce, fam, n);
            e.next_hop = next_hop;
            e.as_path = s.as_path.clone();
            e.origin_asn = origin_asn;
            e.origin = s.origin;
            e.local_pref = s.local_pref;
            e.med = s.med;
            e.communities = s.communities.clone();
            e.large_communities = s.large_communities.clone();
            e.ext_communities = s.ext_communities.clone();
            e.atomic_aggregate = s.atomic_aggregate;
            e.aggregator = s.aggregator;
            e.otc = s.otc;
            out.push(e);
        }
        for (fam, n) in u.withdrawals() {
            out.push(base(ElemType::Withdraw, fam, n));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::{MpReach, MpUnreach, NextHop, PathAttribute};
    use crate::NlriEntry;

    #[test]
    fn flattens_classic_and_mp() {
        let p4: crate::Prefix = "10.0.0.0/8".parse().unwrap();
        let p6: crate::Prefix = "2001:db8::/32".parse().unwrap();
        let w6: crate::Prefix = "2001:db8:1::/48".parse().unwrap();
        let u = Update {
            withdrawn: vec![NlriEntry::new(
                "192.0.2.0/24".parse::<crate::Prefix>().unwrap().into(),
            )],
            attributes: vec![
                PathAttribute::new(AttrValue::from(MpReach::new(
                    AfiSafi::IPV6_UNICAST,
                    NextHop::Ipv6("2001:db8::1".parse().unwrap()),
                    vec![NlriEntry::with_path_id(p6.into(), 9)],
                ))),
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath("65001 23456".parse().unwrap())),
                PathAttribute::new(AttrValue::As4Path("4200000001".parse().unwrap())),
                PathAttribute::new(AttrValue::NextHop("192.0.2.1".parse().unwrap())),
                PathAttribute::new(AttrValue::from(MpUnreach::new(
                    AfiSafi::IPV6_UNICAST,
                    vec![NlriEntry::new(w6.into())],
                ))),
            ],
            nlri: vec![NlriEntry::new(p4.into())],
        };
        let src = ElemSource {
            timestamp: 1.5,
            peer_ip: "192.0.2.9".parse().unwrap(),
            peer_asn: 65001,
        };
        let e = Elem::from_update(&u, src);
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].nlri, Nlri::Prefix(p4));
        assert_eq!(e[0].next_hop, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(
            e[0].as_path.as_ref().map(|p| p.to_string()).as_deref(),
            Some("65001 4200000001")
        );
        assert_eq!(e[0].origin_asn, Some(4200000001));
        assert_eq!(e[1].afi_safi, AfiSafi::IPV6_UNICAST);
        assert_eq!(e[1].path_id, Some(9));
        assert_eq!(e[1].next_hop, Some("2001:db8::1".parse().unwrap()));
        assert_eq!(e[2].elem_type, ElemType::Withdraw);
        assert_eq!(e[3].nlri, Nlri::Prefix(w6));
        assert!(e[3].as_path.is_none());
    }
}
