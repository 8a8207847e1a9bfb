//! Routes originated here (config `[[routes]]`, API injection): how each
//! kind of peer gets them, replacing and removing them.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use rbgp_config::RouteConfig;
use rbgp_rib::Attrs;
use rbgp_wire::{Nlri, Prefix};

use super::harness::{attrs, Sim, V4, V6};
use crate::control::LocalRoute;

fn local(prefix: &str, a: Attrs) -> LocalRoute {
    let p: Prefix = prefix.parse().unwrap();
    LocalRoute {
        family: if p.is_ipv4() { V4 } else { V6 },
        nlri: Nlri::Prefix(p),
        path_id: 0,
        attrs: a,
    }
}

#[tokio::test]
async fn configured_routes_are_there_from_the_start() {
    let route = RouteConfig {
        prefix: "198.51.100.0/24".parse().unwrap(),
        next_hop: "192.0.2.99".parse().unwrap(),
        as_path: None,
        med: Some(7),
        local_pref: None,
        communities: vec!["65000:100".into()],
        large_communities: Vec::new(),
        ext_communities: Vec::new(),
    };
    let mut sim = Sim::new(vec![LocalRoute::from_config(&route)]);
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    let r = sim.peer("192.0.2.2").route(V4, "198.51.100.0/24").unwrap();
    // To eBGP: our AS, next hop self, our own MED kept (RFC 4271 §5.1.4).
    assert_eq!(r.as_path.to_string(), "65000");
    assert_eq!(r.next_hop, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(r.med, Some(7));
    assert_eq!(r.communities.len(), 1);
    sim.stop();
}

#[tokio::test]
async fn injected_routes_reach_ebgp_and_ibgp_and_go_when_removed() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.up("10.0.0.3", "remote_asn = 65000").await;
    let mut a = attrs("", "192.0.2.50");
    a.local_pref = None;
    sim.inject(vec![local("203.0.113.7/32", a.clone())]).await;
    let e = sim.peer("192.0.2.2").route(V4, "203.0.113.7/32").unwrap();
    assert_eq!(e.as_path.to_string(), "65000");
    let i = sim.peer("10.0.0.3").route(V4, "203.0.113.7/32").unwrap();
    assert_eq!(i.as_path.to_string(), "", "no AS to iBGP");
    assert_eq!(i.local_pref, Some(100));
    assert_eq!(i.next_hop, Some("192.0.2.50".parse().unwrap()));
    // Injected again with other attributes: replaced, not added.
    let mut b = a.clone();
    b.med = Some(42);
    sim.inject(vec![local("203.0.113.7/32", b)]).await;
    assert_eq!(
        sim.peer("10.0.0.3")
            .route(V4, "203.0.113.7/32")
            .unwrap()
            .med,
        Some(42)
    );
    assert_eq!(sim.peer("10.0.0.3").table.len(), 1);
    let key = local("203.0.113.7/32", a).key();
    assert_eq!(sim.remove(vec![key.clone()]).await, 1);
    assert!(sim.peer("192.0.2.2").table.is_empty());
    assert!(sim.peer("10.0.0.3").table.is_empty());
    assert_eq!(sim.remove(vec![key]).await, 0, "already gone");
    sim.stop();
}

#[tokio::test]
async fn an_injected_route_wins_over_a_learned_one_by_local_pref() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("10.0.0.3", "remote_asn = 65000").await;
    let p = "203.0.113.0/24";
    sim.announce("192.0.2.1", V4, &[p], &attrs("65001", "192.0.2.1"))
        .await;
    assert_eq!(
        sim.peer("10.0.0.3")
            .route(V4, p)
            .unwrap()
            .as_path
            .to_string(),
        "65001"
    );
    let mut blackhole = attrs("", "192.0.2.66");
    blackhole.local_pref = Some(200);
    blackhole
        .communities
        .push(rbgp_wire::attr::Community::BLACKHOLE);
    sim.inject(vec![local(p, blackhole)]).await;
    let i = sim.peer("10.0.0.3").route(V4, p).unwrap();
    assert_eq!(i.next_hop, Some("192.0.2.66".parse().unwrap()));
    assert!(i.has_community(rbgp_wire::attr::Community::BLACKHOLE));
    // The eBGP source now gets our route for its prefix.
    assert!(sim.peer("192.0.2.1").route(V4, p).is_some());
    sim.stop();
}
