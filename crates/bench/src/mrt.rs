//! A real table for a feeder: the IPv4 unicast routes one peer had in an
//! MRT RIB dump (TABLE_DUMP or TABLE_DUMP_V2, plain, gzip or bzip2), as
//! the feeder announces them: its AS prepended (the daemon under test
//! checks the first AS), its address as next hop, every other attribute
//! kept (ORIGIN, the rest of the path, MED, communities of each kind,
//! ATOMIC_AGGREGATE, AGGREGATOR).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use anyhow::Context as _;
use rbgp_mrt::elem::ElemDecoder;
use rbgp_wire::attr::AsPath;
use rbgp_wire::elem::{Elem, ElemType};
#[cfg(test)]
use rbgp_wire::Update;
use rbgp_wire::{AfiSafi, AttrValue, Context, Nlri, NlriEntry, PathAttribute};

use crate::gen::Feed;

/// The routes of the peer with the most IPv4 unicast routes in the dump
/// (`peer`: that one instead).
pub fn routes(path: &Path, peer: Option<IpAddr>) -> anyhow::Result<Vec<Elem>> {
    let reader = rbgp_mrt::io::open(path).with_context(|| format!("{}", path.display()))?;
    let mut dec = ElemDecoder::new();
    let mut by_peer: HashMap<IpAddr, Vec<Elem>> = HashMap::new();
    let mut out = Vec::new();
    for rec in reader {
        let Ok(rec) = rec.and_then(|r| r.decode()) else {
            continue;
        };
        out.clear();
        dec.decode(&rec, &mut out);
        for e in out.drain(..) {
            if e.elem_type == ElemType::Announce && e.afi_safi == AfiSafi::IPV4_UNICAST {
                by_peer.entry(e.peer_ip).or_default().push(e);
            }
        }
    }
    let chosen = match peer {
        Some(p) => p,
        None => by_peer
            .iter()
            .max_by_key(|(ip, v)| (v.len(), **ip))
            .map(|(ip, _)| *ip)
            .context("no IPv4 unicast routes in the dump")?,
    };
    by_peer
        .remove(&chosen)
        .with_context(|| format!("no routes of peer {chosen} in the dump"))
}

/// The attributes the feeder sends for one route.
fn attributes(e: &Elem, asn: u32, nh: Ipv4Addr) -> Vec<PathAttribute> {
    let mut path = e.as_path.clone().unwrap_or_default();
    path.prepend(asn);
    let mut v = vec![
        PathAttribute::new(AttrValue::Origin(
            e.origin.unwrap_or(rbgp_wire::attr::Origin::Incomplete),
        )),
        PathAttribute::new(AttrValue::AsPath(AsPath {
            segments: path.segments,
        })),
        PathAttribute::new(AttrValue::NextHop(nh)),
    ];
    if let Some(m) = e.med {
        v.push(PathAttribute::new(AttrValue::Med(m)));
    }
    if e.atomic_aggregate {
        v.push(PathAttribute::new(AttrValue::AtomicAggregate));
    }
    if let Some(a) = e.aggregator {
        v.push(PathAttribute::new(AttrValue::Aggregator(a)));
    }
    if !e.communities.is_empty() {
        v.push(PathAttribute::new(AttrValue::Communities(
            e.communities.iter().copied().collect(),
        )));
    }
    if !e.ext_communities.is_empty() {
        v.push(PathAttribute::new(AttrValue::ExtCommunities(
            e.ext_communities.iter().copied().collect(),
        )));
    }
    if !e.large_communities.is_empty() {
        v.push(PathAttribute::new(AttrValue::LargeCommunities(
            e.large_communities.iter().copied().collect(),
        )));
    }
    v
}

/// The routes encoded as `asn` from `nh`: one group of UPDATEs per
/// distinct attribute set (as the table had them), then End-of-RIB.
pub fn encode(routes: &[Elem], asn: u32, nh: Ipv4Addr) -> Feed {
    let ctx = Context::default();
    let mut groups: Vec<(Vec<PathAttribute>, Vec<NlriEntry>)> = Vec::new();
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    for e in routes {
        let Nlri::Prefix(p) = &e.nlri else {
            continue;
        };
        let attrs = attributes(e, asn, nh);
        let mut key = Vec::new();
        for a in &attrs {
            a.encode(&ctx, &mut key);
        }
        let i = *index.entry(key).or_insert_with(|| {
            groups.push((attrs, Vec::new()));
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(i) {
            g.1.push(NlriEntry::new(Nlri::Prefix(*p)));
        }
    }
    crate::gen::pack(groups.iter().map(|(a, n)| (a, n)), nh)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use rbgp_wire::view::UpdateView;

    /// The 2002 RIS table: its biggest peer, every route once, the feeder's
    /// AS first and its address as next hop.
    #[test]
    fn replays_the_biggest_peer_of_a_real_dump() {
        let path = rbgp_testkit::data("bgpdump/test_data/bview.20020722.2337.gz");
        let routes = routes(&path, None).unwrap();
        assert_eq!(
            routes.len(),
            112_986,
            "bgpdump -m counts 112986 for 193.203.0.1"
        );
        assert!(routes
            .iter()
            .all(|e| e.peer_ip.to_string() == "193.203.0.1"));
        let nh = Ipv4Addr::new(10, 88, 0, 4);
        let f = encode(&routes, 65100, nh);
        assert_eq!(f.prefixes, routes.len());
        let ctx = Context::default();
        let (mut rest, mut seen, mut msgs) = (f.bytes.as_slice(), 0, 0);
        while !rest.is_empty() {
            let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            let (m, r) = rest.split_at(len);
            let u = rbgp_wire::Message::decode(m, &ctx).unwrap();
            if let rbgp_wire::Message::Update(u) = u.message {
                let a = first_as_and_next_hop(&u);
                if u.announced().count() > 0 {
                    assert_eq!(a.0.as_deref(), Some("65100"), "first AS");
                    assert_eq!(a.1, Some(IpAddr::V4(nh)));
                }
                seen += u.announced().count();
            }
            assert!(UpdateView::from_message(m, &ctx).is_ok());
            msgs += 1;
            rest = r;
        }
        assert_eq!(seen, routes.len());
        assert_eq!(msgs, f.updates + 1, "then End-of-RIB");
    }

    /// (first AS, next hop) of an UPDATE.
    fn first_as_and_next_hop(u: &Update) -> (Option<String>, Option<IpAddr>) {
        let mut first = None;
        let mut nh = None;
        for a in &u.attributes {
            match &a.value {
                AttrValue::AsPath(p) => first = p.first_as().map(|x| x.to_string()),
                AttrValue::NextHop(n) => nh = Some(IpAddr::V4(*n)),
                _ => {}
            }
        }
        (first, nh)
    }
}
