//! What each kind of peer is sent: eBGP and iBGP export rules (RFC 4271
//! §5.1, §9.2), route reflection (RFC 4456), a transparent route server
//! (RFC 7947), well-known communities (RFC 1997), import loop checks.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use rbgp_wire::attr::Community;

use super::harness::{attrs, Sim, V4};

const EBGP_A: &str = "remote_asn = 65001";
const EBGP_B: &str = "remote_asn = 65002";
const IBGP: &str = "remote_asn = 65000";
const CLIENT: &str = "remote_asn = 65000\nroute_reflector_client = true";

#[tokio::test]
async fn ebgp_route_to_ebgp_and_ibgp_peers() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", EBGP_A).await;
    sim.up("192.0.2.2", EBGP_B).await;
    sim.up("10.0.0.3", IBGP).await;
    let mut a = attrs("65001 3", "192.0.2.1");
    a.med = Some(5);
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24"], &a).await;

    // eBGP: our AS prepended, next hop self, no MED from another AS, no
    // LOCAL_PREF (RFC 4271 §5.1).
    let b = sim.peer("192.0.2.2").route(V4, "203.0.113.0/24").unwrap();
    assert_eq!(b.as_path.to_string(), "65000 65001 3");
    assert_eq!(b.next_hop, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(b.med, None);
    assert_eq!(b.local_pref, None);
    // iBGP: path and next hop as received, LOCAL_PREF present, MED kept.
    let c = sim.peer("10.0.0.3").route(V4, "203.0.113.0/24").unwrap();
    assert_eq!(c.as_path.to_string(), "65001 3");
    assert_eq!(c.next_hop, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(c.local_pref, Some(100));
    assert_eq!(c.med, Some(5));
    // Never back to where it came from (RFC 4271 §9.2).
    assert!(sim.peer("192.0.2.1").table.is_empty());
    sim.stop();
}

#[tokio::test]
async fn ibgp_routes_are_not_passed_between_ibgp_peers() {
    let mut sim = Sim::new(Vec::new());
    sim.up("10.0.0.2", IBGP).await;
    sim.up("10.0.0.3", IBGP).await;
    sim.up("192.0.2.2", EBGP_B).await;
    sim.announce(
        "10.0.0.2",
        V4,
        &["198.51.100.0/24"],
        &attrs("65009", "10.0.0.2"),
    )
    .await;
    assert!(sim.peer("10.0.0.3").table.is_empty());
    let e = sim.peer("192.0.2.2").route(V4, "198.51.100.0/24").unwrap();
    assert_eq!(e.as_path.to_string(), "65000 65009");
    sim.stop();
}

#[tokio::test]
async fn route_reflector_reflects_client_routes_with_originator_and_cluster() {
    let mut sim = Sim::new(Vec::new());
    sim.up("10.0.0.2", CLIENT).await;
    sim.up("10.0.0.3", IBGP).await;
    sim.up("10.0.0.4", IBGP).await;
    sim.up("10.0.0.5", CLIENT).await;
    sim.announce(
        "10.0.0.2",
        V4,
        &["198.51.100.0/24"],
        &attrs("65009", "10.0.0.2"),
    )
    .await;
    // Client -> everyone (RFC 4456 §6), ORIGINATOR_ID and CLUSTER_LIST set
    // (§8), next hop untouched.
    for to in ["10.0.0.3", "10.0.0.4", "10.0.0.5"] {
        let r = sim.peer(to).route(V4, "198.51.100.0/24").unwrap();
        assert_eq!(r.originator_id, Some("10.0.0.2".parse().unwrap()), "{to}");
        assert_eq!(
            r.cluster_list,
            vec!["10.0.0.1".parse::<std::net::Ipv4Addr>().unwrap()],
            "{to}"
        );
        assert_eq!(r.next_hop, Some("10.0.0.2".parse().unwrap()));
    }
    // Non-client -> clients only.
    sim.announce(
        "10.0.0.3",
        V4,
        &["192.0.2.128/25"],
        &attrs("65010", "10.0.0.3"),
    )
    .await;
    assert!(sim.peer("10.0.0.2").route(V4, "192.0.2.128/25").is_some());
    assert!(sim.peer("10.0.0.5").route(V4, "192.0.2.128/25").is_some());
    assert!(sim.peer("10.0.0.4").route(V4, "192.0.2.128/25").is_none());
    sim.stop();
}

#[tokio::test]
async fn route_server_is_transparent_to_its_clients() {
    let rs = |asn: u32| format!("remote_asn = {asn}\nroute_server_client = true");
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", &rs(65001)).await;
    sim.up("192.0.2.2", &rs(65002)).await;
    let mut a = attrs("65001 64496", "192.0.2.1");
    a.med = Some(50);
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24"], &a).await;
    // RFC 7947 §2.2: no AS prepended, next hop and MED kept.
    let b = sim.peer("192.0.2.2").route(V4, "203.0.113.0/24").unwrap();
    assert_eq!(b.as_path.to_string(), "65001 64496");
    assert_eq!(b.next_hop, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(b.med, Some(50));
    sim.stop();
}

#[tokio::test]
async fn well_known_communities_limit_propagation() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", EBGP_A).await;
    sim.up("192.0.2.2", EBGP_B).await;
    sim.up("10.0.0.3", IBGP).await;
    let mut no_export = attrs("65001", "192.0.2.1");
    no_export.communities.push(Community::NO_EXPORT);
    let mut no_advertise = attrs("65001", "192.0.2.1");
    no_advertise.communities.push(Community::NO_ADVERTISE);
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24"], &no_export)
        .await;
    sim.announce("192.0.2.1", V4, &["198.51.100.0/24"], &no_advertise)
        .await;
    let ebgp = sim.peer("192.0.2.2");
    assert!(ebgp.table.is_empty(), "{:?}", ebgp.prefixes(V4));
    assert_eq!(sim.peer("10.0.0.3").prefixes(V4), vec!["203.0.113.0/24"]);
    sim.stop();
}

#[tokio::test]
async fn looped_paths_count_as_received_not_accepted() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", EBGP_A).await;
    sim.up("192.0.2.2", EBGP_B).await;
    // Our own AS in the path (RFC 4271 §9.1.2), and a first AS that is not
    // the peer's.
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24"],
        &attrs("65001 65000 3", "192.0.2.1"),
    )
    .await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["198.51.100.0/24"],
        &attrs("65099 3", "192.0.2.1"),
    )
    .await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["192.0.2.128/25"],
        &attrs("65001 3", "192.0.2.1"),
    )
    .await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["192.0.2.128/25"]);
    assert_eq!(sim.counts("192.0.2.1").await, (3, 1));
    let loc = sim.loc_rib().await;
    assert_eq!(loc.len(), 1);
    // A path that becomes acceptable replaces the rejection.
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24"],
        &attrs("65001 3", "192.0.2.1"),
    )
    .await;
    assert_eq!(sim.counts("192.0.2.1").await, (3, 2));
    sim.stop();
}
