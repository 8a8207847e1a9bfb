//! The RIB against a plain model: any sequence of updates, withdrawals,
//! peer removals and slot releases leaves the same paths per NLRI, the
//! same counters, and ids that find their NLRI.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use proptest::prelude::*;
use rbgp_rib::{Attrs, PeerInfo, Rib, SelectionOptions};
use rbgp_wire::{AfiSafi, Nlri, Prefix};

#[derive(Debug, Clone)]
enum Op {
    Update {
        peer: u32,
        nlri: u8,
        path_id: u32,
        med: u32,
    },
    Withdraw {
        peer: u32,
        nlri: u8,
        path_id: u32,
    },
    RemovePeer(u32),
    /// Mark a peer's paths stale (GR), then remove those of one family.
    DropFamily(u32, u8),
    /// Release emptied slots; ids whose bit is set in the mask stay held.
    Release(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u32..3, 0u8..12, 0u32..2, 0u32..4).prop_map(|(peer, nlri, path_id, med)| Op::Update { peer, nlri, path_id, med }),
        4 => (0u32..3, 0u8..12, 0u32..2).prop_map(|(peer, nlri, path_id)| Op::Withdraw { peer, nlri, path_id }),
        1 => (0u32..3).prop_map(Op::RemovePeer),
        1 => (0u32..3, 0u8..3).prop_map(|(p, f)| Op::DropFamily(p, f)),
        2 => any::<u64>().prop_map(Op::Release),
    ]
}

/// Twelve NLRIs over three families, two of them the same prefix.
fn nlri(i: u8) -> (AfiSafi, Nlri) {
    let s = match i % 4 {
        0 => "203.0.113.0/24",
        1 => "203.0.113.0/25",
        2 => "198.51.100.0/24",
        _ => "2001:db8::/32",
    };
    let p: Prefix = s.parse().unwrap();
    let f = match (i / 4, p.is_ipv4()) {
        (_, false) => AfiSafi::IPV6_UNICAST,
        (1, true) => AfiSafi::IPV4_MULTICAST,
        _ => AfiSafi::IPV4_UNICAST,
    };
    (f, Nlri::Prefix(p))
}

fn peer(n: u32) -> PeerInfo {
    PeerInfo {
        asn: 65000 + n,
        router_id: Ipv4Addr::from(0x0a00_0001 + n),
        address: IpAddr::V4(Ipv4Addr::from(0xc000_0201 + n)),
        ibgp: false,
    }
}

proptest! {
    #[test]
    fn rib_matches_model(ops in prop::collection::vec(op(), 1..80)) {
        let mut rib = Rib::new(SelectionOptions::default());
        for n in 0..3 {
            prop_assert_eq!(rib.add_peer(peer(n)), n);
        }
        // (family, nlri) -> {(peer, path id) -> med}
        let mut model: BTreeMap<(AfiSafi, String), BTreeMap<(u32, u32), u32>> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Update { peer, nlri: i, path_id, med } => {
                    let (f, n) = nlri(i);
                    let a = Arc::new(Attrs { med: Some(med), ..Attrs::default() });
                    let c = rib.update(peer, f, &n, path_id, a);
                    prop_assert_eq!(rib.route(c.id).unwrap().nlri(), n.clone());
                    model.entry((f, n.to_string())).or_default().insert((peer, path_id), med);
                }
                Op::Withdraw { peer, nlri: i, path_id } => {
                    let (f, n) = nlri(i);
                    let had = model
                        .get_mut(&(f, n.to_string()))
                        .and_then(|m| m.remove(&(peer, path_id)))
                        .is_some();
                    prop_assert_eq!(rib.withdraw(peer, f, &n, path_id).is_some(), had);
                }
                Op::RemovePeer(p) => {
                    let n = rib.remove_peer(p).len();
                    let mut had = 0;
                    for m in model.values_mut() {
                        if m.keys().any(|(q, _)| *q == p) {
                            had += 1;
                        }
                        m.retain(|(q, _), _| *q != p);
                    }
                    prop_assert_eq!(n, had);
                    prop_assert_eq!(rib.add_peer(peer(p)), p);
                }
                Op::DropFamily(p, f) => {
                    let fam = [AfiSafi::IPV4_UNICAST, AfiSafi::IPV4_MULTICAST, AfiSafi::IPV6_UNICAST][f as usize];
                    let held: usize = model.values().map(|m| m.keys().filter(|(q, _)| *q == p).count()).sum();
                    prop_assert_eq!(rib.mark_stale(p, |_| true), held);
                    let n = rib.remove_paths(p, |g, _| g == fam).len();
                    let mut had = 0;
                    for ((g, _), m) in model.iter_mut() {
                        if *g == fam && m.keys().any(|(q, _)| *q == p) {
                            had += 1;
                            m.retain(|(q, _), _| *q != p);
                        }
                    }
                    prop_assert_eq!(n, had);
                }
                Op::Release(mask) => rib.release_unused(|id| mask & (1 << (id % 64)) != 0),
            }
            model.retain(|_, m| !m.is_empty());
            // Same routes and paths.
            let mut seen = BTreeSet::new();
            for r in rib.iter() {
                let key = (r.family(), r.nlri().to_string());
                let m = model.get(&key);
                prop_assert!(m.is_some(), "extra route {:?}", key);
                let got: BTreeMap<(u32, u32), u32> = r
                    .paths()
                    .iter()
                    .map(|p| ((p.peer, p.path_id), p.attrs.med.unwrap()))
                    .collect();
                prop_assert_eq!(Some(&got), m);
                prop_assert!(r.best().is_some());
                prop_assert_eq!(rib.find(r.family(), &r.nlri()), Some(r.id()));
                prop_assert!(seen.insert(r.id()));
            }
            prop_assert_eq!(seen.len(), model.len());
            for f in [AfiSafi::IPV4_UNICAST, AfiSafi::IPV4_MULTICAST, AfiSafi::IPV6_UNICAST] {
                prop_assert_eq!(rib.len(f), model.keys().filter(|(g, _)| *g == f).count());
            }
            for p in 0..3 {
                let held = model.values().map(|m| m.keys().filter(|(q, _)| *q == p).count()).sum::<usize>();
                prop_assert_eq!(rib.path_count(p), held);
            }
        }
    }
}
