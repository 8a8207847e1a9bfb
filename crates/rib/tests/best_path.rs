//! Best-path selection, step by step (RFC 4271 §9.1.2.2, RFC 4456 §9,
//! RFC 9494), and the RIB's change reporting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use proptest::prelude::*;
use rbgp_rib::{best_path, explain, Attrs, Interner, Path, PeerInfo, Rib, SelectionOptions, Step};
use rbgp_wire::attr::{AsPath, Community, Origin};
use rbgp_wire::{AfiSafi, Nlri, Prefix};

fn peer(n: u8, asn: u32, ibgp: bool) -> PeerInfo {
    PeerInfo {
        asn,
        router_id: Ipv4Addr::new(10, 0, 0, n),
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)),
        ibgp,
    }
}

fn attrs(path: &str) -> Attrs {
    Attrs {
        origin: Some(Origin::Igp),
        as_path: path.parse::<AsPath>().unwrap(),
        ..Attrs::default()
    }
}

fn p(peer: u32, a: Attrs) -> Path {
    Path {
        peer,
        path_id: 0,
        attrs: Arc::new(a),
        stale: false,
        since: 0,
        validation: Default::default(),
    }
}

fn decide(a: Attrs, pa: PeerInfo, b: Attrs, pb: PeerInfo, o: SelectionOptions) -> (usize, Step) {
    let peers = [pa, pb];
    let paths = [p(0, a), p(1, b)];
    let e = explain(&paths, |x| &peers[x.peer as usize], &o).unwrap();
    (e.best, e.decisions[0].step)
}

#[test]
fn each_step_decides() {
    let o = SelectionOptions::default();
    let (e1, e2) = (peer(1, 65001, false), peer(2, 65002, false));
    // LOCAL_PREF: higher wins even with a longer path.
    let mut a = attrs("65001 1 2 3");
    a.local_pref = Some(200);
    assert_eq!(
        decide(attrs("65002"), e2.clone(), a, e1.clone(), o),
        (1, Step::LocalPref)
    );
    // AS_PATH length; an AS_SET counts 1.
    assert_eq!(
        decide(
            attrs("65001 {1,2,3}"),
            e1.clone(),
            attrs("65002 4 5"),
            e2.clone(),
            o
        ),
        (0, Step::AsPathLength)
    );
    // ORIGIN.
    let mut inc = attrs("65001");
    inc.origin = Some(Origin::Incomplete);
    assert_eq!(
        decide(inc, e1.clone(), attrs("65002"), e2.clone(), o),
        (1, Step::Origin)
    );
    // MED only between the same neighbour AS...
    let same = peer(3, 65001, false);
    let (mut m1, mut m2) = (attrs("65001 9"), attrs("65001 8"));
    m1.med = Some(50);
    m2.med = Some(10);
    assert_eq!(
        decide(m1.clone(), e1.clone(), m2.clone(), same.clone(), o),
        (1, Step::Med)
    );
    // ...not across ASes, unless always_compare_med.
    let mut m3 = attrs("65002 8");
    m3.med = Some(10);
    assert_ne!(
        decide(m1.clone(), e1.clone(), m3.clone(), e2.clone(), o).1,
        Step::Med
    );
    let always = SelectionOptions {
        always_compare_med: true,
        ..o
    };
    assert_eq!(
        decide(m1, e1.clone(), m3, e2.clone(), always),
        (1, Step::Med)
    );
    // eBGP over iBGP.
    assert_eq!(
        decide(
            attrs("65009"),
            peer(1, 65000, true),
            attrs("65009"),
            e2.clone(),
            o
        ),
        (1, Step::EbgpOverIbgp)
    );
    // Router ID, with ORIGINATOR_ID taking its place (RFC 4456 §9).
    let (i1, i2) = (peer(1, 65000, true), peer(2, 65000, true));
    assert_eq!(
        decide(attrs("65009"), i2.clone(), attrs("65009"), i1.clone(), o),
        (1, Step::RouterId)
    );
    let mut orig = attrs("65009");
    orig.originator_id = Some(Ipv4Addr::new(1, 1, 1, 1));
    assert_eq!(
        decide(attrs("65009"), i1.clone(), orig, i2.clone(), o),
        (1, Step::RouterId)
    );
    // CLUSTER_LIST length.
    let (mut c1, mut c2) = (attrs("65009"), attrs("65009"));
    c1.originator_id = Some(Ipv4Addr::new(1, 1, 1, 1));
    c2.originator_id = Some(Ipv4Addr::new(1, 1, 1, 1));
    c1.cluster_list = vec![Ipv4Addr::new(9, 9, 9, 9), Ipv4Addr::new(8, 8, 8, 8)];
    c2.cluster_list = vec![Ipv4Addr::new(9, 9, 9, 9)];
    assert_eq!(
        decide(c1, i1.clone(), c2, i2.clone(), o),
        (1, Step::ClusterListLength)
    );
    // Peer address last.
    let mut same_id = peer(2, 65000, true);
    same_id.router_id = i1.router_id;
    assert_eq!(
        decide(attrs("65009"), same_id, attrs("65009"), i1.clone(), o),
        (1, Step::PeerAddress)
    );
    // LLGR_STALE loses to anything (RFC 9494 §4.2).
    let mut stale = attrs("65001");
    stale.local_pref = Some(1000);
    stale.communities.push(Community::LLGR_STALE);
    assert_eq!(
        decide(stale, e1, attrs("65002 1 2 3 4"), e2, o),
        (1, Step::LlgrStale)
    );
}

#[test]
fn deterministic_med_is_order_independent() {
    // The classic case: A(AS1, MED 10), B(AS2, MED 5), C(AS1, MED 5) with
    // router IDs making pairwise results cyclic.
    let peers = [peer(3, 1, false), peer(1, 2, false), peer(2, 1, false)];
    let mk = |asn: &str, med| {
        let mut a = attrs(asn);
        a.med = Some(med);
        a
    };
    let paths = [
        p(0, mk("1 100", 10)),
        p(1, mk("2 100", 5)),
        p(2, mk("1 100", 5)),
    ];
    let o = SelectionOptions {
        deterministic_med: true,
        ..SelectionOptions::default()
    };
    let by_peer = |x: &Path| &peers[x.peer as usize];
    let winner = |order: &[usize]| {
        let v: Vec<Path> = order.iter().map(|&i| paths[i].clone()).collect();
        v[best_path(&v, by_peer, &o).unwrap()].peer
    };
    let w = winner(&[0, 1, 2]);
    for order in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        assert_eq!(winner(&order), w, "{order:?}");
    }
    // Within AS1 the MED 5 path (peer 2) beats MED 10; against AS2 the
    // router ID decides: 10.0.0.1 (peer 1) < 10.0.0.2.
    assert_eq!(w, 1);
}

#[test]
fn rib_reports_best_path_changes() {
    let mut rib = Rib::new(SelectionOptions::default());
    let mut i = Interner::new();
    let a = rib.add_peer(peer(1, 65001, false));
    let b = rib.add_peer(peer(2, 65002, false));
    let n: Nlri = "10.0.0.0/8".parse::<Prefix>().unwrap().into();
    let f = AfiSafi::IPV4_UNICAST;
    let long = i.intern(attrs("65001 1 2"));
    let short = i.intern(attrs("65002"));
    let c = rib.update(a, f, &n, 0, long.clone());
    assert!(c.best);
    assert_eq!(rib.best(f, &n).unwrap().peer, a);
    let c = rib.update(b, f, &n, 0, short);
    assert!(c.best);
    assert_eq!(rib.best(f, &n).unwrap().peer, b);
    // The same path again: no change of best.
    assert!(!rib.update(a, f, &n, 0, long.clone()).best);
    assert_eq!((rib.path_count(a), rib.path_count(b)), (1, 1));
    // Counted per family.
    let v6: Nlri = "2001:db8::/32".parse::<Prefix>().unwrap().into();
    rib.update(a, AfiSafi::IPV6_UNICAST, &v6, 0, long.clone());
    assert_eq!(rib.path_count(a), 2);
    assert_eq!(rib.path_counts(a), vec![(f, 1), (AfiSafi::IPV6_UNICAST, 1)]);
    rib.withdraw(a, AfiSafi::IPV6_UNICAST, &v6, 0);
    assert_eq!(rib.path_counts(a), vec![(f, 1)]);
    let e = rib.explain(f, &n).unwrap();
    assert_eq!(e.decisions[0].step, Step::AsPathLength);
    // Withdrawing the best falls back to the other; then nothing.
    let c = rib.withdraw(b, f, &n, 0).unwrap();
    assert!(c.best);
    assert_eq!(rib.best(f, &n).unwrap().peer, a);
    assert_eq!(rib.path_count(b), 0);
    let changes = rib.remove_peer(a);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].best);
    assert!(rib.best(f, &n).is_none());
    assert!(rib.is_empty());
    assert!(rib.withdraw(a, f, &n, 0).is_none());
}

proptest! {
    /// With a total order (always-compare-MED) or deterministic MED, the
    /// winner does not depend on arrival order.
    #[test]
    fn selection_is_order_independent(
        spec in prop::collection::vec((0u8..4, 1u32..4, proptest::option::of(0u32..3), 0u32..3, any::<bool>()), 1..8),
        det in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let peers: Vec<PeerInfo> = (0..spec.len()).map(|i| peer(i as u8 + 1, 64500 + i as u32, false)).collect();
        let paths: Vec<Path> = spec.iter().enumerate().map(|(i, (len, nas, med, lp, ibgp))| {
            let mut a = attrs(&std::iter::once(nas.to_string()).chain((0..*len).map(|x| x.to_string())).collect::<Vec<_>>().join(" "));
            a.med = *med;
            a.local_pref = Some(100 + lp);
            a.origin = Some(if *ibgp { Origin::Egp } else { Origin::Igp });
            p(i as u32, a)
        }).collect();
        let o = SelectionOptions { always_compare_med: !det, deterministic_med: det, ..SelectionOptions::default() };
        let by_peer = |x: &Path| &peers[x.peer as usize];
        let w = paths[best_path(&paths, by_peer, &o).unwrap()].peer;
        let mut shuffled = paths.clone();
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let w2 = shuffled[best_path(&shuffled, by_peer, &o).unwrap()].peer;
        prop_assert_eq!(w, w2);
    }
}
