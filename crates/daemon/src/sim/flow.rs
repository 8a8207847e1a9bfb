//! Routes moving through: withdraw and re-announce, best-path changes,
//! the initial table and End-of-RIB, route refresh, RFC 7606
//! treat-as-withdraw, max-prefix, and a peer that stops reading.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use rbgp_wire::route_refresh::RefreshSubtype;

use super::harness::{attrs, Signal, Sim, V4, V6};
use crate::control::Origin;
use crate::tasks::RibMsg;
use std::time::Duration;

#[tokio::test]
async fn withdraw_and_reannounce_reach_the_other_peers() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    let p = "203.0.113.0/24";
    sim.announce("192.0.2.1", V4, &[p], &attrs("65001", "192.0.2.1"))
        .await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec![p]);
    sim.withdraw("192.0.2.1", V4, &[p]).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    let mut again = attrs("65001 7", "192.0.2.1");
    again
        .communities
        .push(rbgp_wire::attr::Community(0xfde9_0007));
    sim.announce("192.0.2.1", V4, &[p], &again).await;
    let b = sim.peer("192.0.2.2").route(V4, p).unwrap();
    assert_eq!(b.as_path.to_string(), "65000 65001 7");
    assert_eq!(b.communities.as_slice(), again.communities.as_slice());
    sim.stop();
}

#[tokio::test]
async fn a_better_path_replaces_and_its_loss_restores() {
    let p = "2001:db8:1::/48";
    let v6 = |path: &str, nh: &str| attrs(path, nh);
    let mut sim6 = Sim::new(Vec::new());
    for (a, asn) in [
        ("2001:db8::11", 65001),
        ("2001:db8::12", 65002),
        ("2001:db8::13", 65003),
    ] {
        sim6.up(
            a,
            &format!("remote_asn = {asn}\nfamilies = [\"ipv6_unicast\"]"),
        )
        .await;
    }
    sim6.announce("2001:db8::11", V6, &[p], &v6("65001 9 9", "2001:db8::11"))
        .await;
    sim6.announce("2001:db8::12", V6, &[p], &v6("65002 9", "2001:db8::12"))
        .await;
    let seen = |sim: &Sim| {
        sim.peer("2001:db8::13")
            .route(V6, p)
            .map(|a| a.as_path.to_string())
    };
    assert_eq!(seen(&sim6).as_deref(), Some("65000 65002 9"));
    // The shorter path goes: the longer one is sent instead.
    sim6.withdraw("2001:db8::12", V6, &[p]).await;
    assert_eq!(seen(&sim6).as_deref(), Some("65000 65001 9 9"));
    // The first peer also gets the second's path now that its own lost.
    sim6.announce("2001:db8::12", V6, &[p], &v6("65002 9", "2001:db8::12"))
        .await;
    assert_eq!(
        sim6.peer("2001:db8::11")
            .route(V6, p)
            .map(|a| a.as_path.to_string())
            .as_deref(),
        Some("65000 65002 9")
    );
    assert!(
        sim6.peer("2001:db8::12").route(V6, p).is_none(),
        "not sent back to the source of the best path"
    );
    sim6.stop();
}

#[tokio::test]
async fn new_peer_gets_the_table_then_end_of_rib() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    let prefixes: Vec<String> = (0..100).map(|i| format!("10.0.{i}.0/24")).collect();
    let refs: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    sim.announce("192.0.2.1", V4, &refs, &attrs("65001", "192.0.2.1"))
        .await;
    sim.up(
        "192.0.2.2",
        "remote_asn = 65002\nfamilies = [\"ipv4_unicast\", \"ipv6_unicast\"]",
    )
    .await;
    let b = sim.peer("192.0.2.2");
    assert_eq!(b.table.len(), 100);
    assert_eq!(
        b.signals,
        vec![Signal::EndOfRib(V4), Signal::EndOfRib(V6)],
        "End-of-RIB per family after the table (RFC 4724 §2)"
    );
    // Packed: 100 routes sharing one attribute set fit one UPDATE.
    assert_eq!(b.updates, 1 + 2);
    sim.stop();
}

/// A neighbor that negotiated enhanced route refresh (RFC 7313).
async fn enhanced_refresh_peer(sim: &mut Sim, addr: &str, asn: u32) {
    sim.up_with(addr, &format!("remote_asn = {asn}"), |n| {
        n.enhanced_route_refresh = true;
    })
    .await;
}

#[tokio::test]
async fn route_refresh_sends_the_family_again() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    let before = sim.peer("192.0.2.2").updates;
    sim.route_refresh("192.0.2.2", V4, RefreshSubtype::Normal)
        .await;
    let b = sim.peer("192.0.2.2");
    assert_eq!(b.updates, before + 1, "the route sent again");
    assert_eq!(b.prefixes(V4), vec!["203.0.113.0/24"]);
    // Enhanced route refresh (RFC 7313): BoRR, the routes, EoRR.
    enhanced_refresh_peer(&mut sim, "192.0.2.3", 65003).await;
    sim.route_refresh("192.0.2.3", V4, RefreshSubtype::Normal)
        .await;
    let c = sim.peer("192.0.2.3");
    assert_eq!(
        c.signals[1..],
        [Signal::RefreshBegin(V4), Signal::RefreshEnd(V4)]
    );
    sim.stop();
}

/// A peer asking for enhanced route refresh again and again while it
/// reads nothing: the requests join the refresh under way (one BoRR/EoRR
/// pair waiting, not one per request), and it gets the table and one EoRR
/// last when it reads again.
#[tokio::test]
async fn repeated_refresh_requests_of_a_stuck_peer_add_nothing() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    enhanced_refresh_peer(&mut sim, "192.0.2.3", 65003).await;
    sim.peer_mut("192.0.2.3").stalled = true;
    for _ in 0..50 {
        sim.route_refresh("192.0.2.3", V4, RefreshSubtype::Normal)
            .await;
    }
    sim.peer_mut("192.0.2.3").stalled = false;
    sim.settle().await;
    let c = sim.peer("192.0.2.3");
    let begins = c
        .signals
        .iter()
        .filter(|s| **s == Signal::RefreshBegin(V4))
        .count();
    let ends = c
        .signals
        .iter()
        .filter(|s| **s == Signal::RefreshEnd(V4))
        .count();
    assert!(begins <= 3, "{:?}", c.signals);
    assert_eq!(begins, ends, "{:?}", c.signals);
    assert_eq!(c.signals.last(), Some(&Signal::RefreshEnd(V4)));
    assert_eq!(c.prefixes(V4), vec!["203.0.113.0/24"]);
    sim.stop();
}

#[tokio::test]
async fn enhanced_refresh_from_the_peer_sweeps_what_it_did_not_resend() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["10.1.0.0/24", "10.2.0.0/24"], &a)
        .await;
    sim.route_refresh("192.0.2.1", V4, RefreshSubtype::BeginOfRefresh)
        .await;
    sim.announce("192.0.2.1", V4, &["10.1.0.0/24"], &a).await;
    sim.route_refresh("192.0.2.1", V4, RefreshSubtype::EndOfRefresh)
        .await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["10.1.0.0/24"]);
    sim.stop();
}

#[tokio::test]
async fn treat_as_withdraw_removes_the_route() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    let p = "203.0.113.0/24";
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &[p], &a).await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec![p]);
    // The same UPDATE with ORIGIN 5: RFC 7606 §7.1, treat-as-withdraw.
    let ctx = sim.peer("192.0.2.1").negotiated.rx_context();
    let entry = rbgp_wire::NlriEntry {
        path_id: None,
        nlri: rbgp_wire::Nlri::Prefix(p.parse().unwrap()),
    };
    let mut bytes = a.announce(V4, &[entry], &ctx).concat();
    let origin = bytes
        .windows(4)
        .position(|w| w == [0x40, 0x01, 0x01, 0x00])
        .unwrap();
    bytes[origin + 3] = 5;
    sim.send_bytes("192.0.2.1", &bytes).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    let loc = sim.loc_rib().await;
    assert!(loc.is_empty());
    // Counted for BMP (RFC 7854 §4.8 types 11 and 12).
    let c = sim.import_counters("192.0.2.1").await;
    assert_eq!(
        (c.treat_as_withdraw_updates, c.treat_as_withdraw_prefixes),
        (1, 1)
    );
    sim.stop();
}

/// RFC 7854 §4.8 types 1 and 2: the same announcement again, and a
/// withdrawal of what is not held, are counted per peer.
#[tokio::test]
async fn duplicates_are_counted() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    let a = attrs("65001", "192.0.2.1");
    let b = attrs("65001 65009", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24", "198.51.100.0/24"], &a)
        .await;
    assert_eq!(sim.import_counters("192.0.2.1").await, Default::default());
    // Both again, unchanged: two duplicates; one changed: none.
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24", "198.51.100.0/24"], &a)
        .await;
    sim.announce("192.0.2.1", V4, &["198.51.100.0/24"], &b)
        .await;
    sim.withdraw("192.0.2.1", V4, &["198.51.100.0/24"]).await;
    // Withdrawn twice: the second is a duplicate; so is one never sent.
    sim.withdraw("192.0.2.1", V4, &["198.51.100.0/24", "192.0.2.0/24"])
        .await;
    let c = sim.import_counters("192.0.2.1").await;
    assert_eq!(
        (c.duplicate_prefixes, c.duplicate_withdraws),
        (2, 2),
        "{c:?}"
    );
    sim.stop();
}

/// Routes a peer re-sends because we asked (RFC 2918) answer the refresh:
/// they are not counted as duplicates (RFC 7854 §4.8 type 1); the same
/// announcement unasked after the answer's time (plain refresh) or after
/// the last EoRR asked for (RFC 7313) is.
#[tokio::test(start_paused = true)]
async fn answers_to_our_refresh_are_not_duplicates() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    let a = attrs("65001", "192.0.2.1");
    let p = ["203.0.113.0/24", "198.51.100.0/24"];
    sim.announce("192.0.2.1", V4, &p, &a).await;
    let asked = |sim: &Sim, addr: &str| {
        sim.rib_sender()
            .try_send(RibMsg::RefreshAsked {
                addr: addr.parse().unwrap(),
                families: vec![V4],
            })
            .unwrap()
    };
    asked(&sim, "192.0.2.1");
    sim.announce("192.0.2.1", V4, &p, &a).await;
    let dups = |c: crate::control::ImportCounters| c.duplicate_prefixes;
    assert_eq!(dups(sim.import_counters("192.0.2.1").await), 0);
    // Five minutes on, a plain refresh's answer is over.
    sim.advance(Duration::from_secs(301)).await;
    sim.announce("192.0.2.1", V4, &p, &a).await;
    assert_eq!(dups(sim.import_counters("192.0.2.1").await), 2);

    // Enhanced refresh: the answer ends at EoRR, however soon.
    enhanced_refresh_peer(&mut sim, "192.0.2.2", 65002).await;
    let b = attrs("65002", "192.0.2.2");
    sim.announce("192.0.2.2", V4, &p, &b).await;
    // Asked twice (two BMP stations attaching): two answers.
    asked(&sim, "192.0.2.2");
    asked(&sim, "192.0.2.2");
    for _ in 0..2 {
        sim.route_refresh("192.0.2.2", V4, RefreshSubtype::BeginOfRefresh)
            .await;
        sim.announce("192.0.2.2", V4, &p, &b).await;
        sim.route_refresh("192.0.2.2", V4, RefreshSubtype::EndOfRefresh)
            .await;
    }
    assert_eq!(dups(sim.import_counters("192.0.2.2").await), 0);
    sim.announce("192.0.2.2", V4, &p, &b).await;
    assert_eq!(dups(sim.import_counters("192.0.2.2").await), 2);
    sim.stop();
}

#[tokio::test]
async fn max_prefixes_tells_the_peer_task_once() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001\nmax_prefixes = 2")
        .await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["10.1.0.0/24", "10.2.0.0/24"], &a)
        .await;
    assert!(!sim
        .peer("192.0.2.1")
        .signals
        .contains(&Signal::MaxPrefix(2)));
    sim.announce("192.0.2.1", V4, &["10.3.0.0/24"], &a).await;
    sim.announce("192.0.2.1", V4, &["10.4.0.0/24"], &a).await;
    let told: Vec<&Signal> = sim
        .peer("192.0.2.1")
        .signals
        .iter()
        .filter(|s| matches!(s, Signal::MaxPrefix(_)))
        .collect();
    assert_eq!(told, vec![&Signal::MaxPrefix(2)]);
    // The session is being closed: what the peer sent after the UPDATE
    // that passed the limit is not imported (RFC 4486 Cease/1 follows).
    assert_eq!(sim.counts("192.0.2.1").await.0, 3);
    sim.announce("192.0.2.1", V4, &["10.5.0.0/24", "10.6.0.0/24"], &a)
        .await;
    assert_eq!(sim.counts("192.0.2.1").await.0, 3);

    // Warning only: the session stays, and so does what it sends.
    sim.up(
        "192.0.2.2",
        "remote_asn = 65002\nmax_prefixes = 2\nmax_prefixes_warning_only = true",
    )
    .await;
    let b = attrs("65002", "192.0.2.2");
    for p in ["10.1.0.0/24", "10.2.0.0/24", "10.3.0.0/24", "10.4.0.0/24"] {
        sim.announce("192.0.2.2", V4, &[p], &b).await;
    }
    assert_eq!(sim.counts("192.0.2.2").await.0, 4);
    sim.stop();
}

#[tokio::test]
async fn a_peer_that_stops_reading_does_not_hold_up_the_others() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.up("192.0.2.3", "remote_asn = 65003").await;
    sim.peer_mut("192.0.2.2").stalled = true;
    let a = attrs("65001", "192.0.2.1");
    let prefixes: Vec<String> = (0..20_000u32)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
        .collect();
    for chunk in prefixes.chunks(1000) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        sim.announce("192.0.2.1", V4, &refs, &a).await;
    }
    assert_eq!(sim.peer("192.0.2.3").table.len(), 20_000);
    // The stuck peer got at most what its channel holds.
    assert!(sim.peer("192.0.2.2").table.len() < 20_000);
    // Once it reads again it catches up with the current table.
    sim.withdraw("192.0.2.1", V4, &["10.0.0.0/24"]).await;
    sim.peer_mut("192.0.2.2").stalled = false;
    sim.settle().await;
    assert_eq!(sim.peer("192.0.2.2").table.len(), 19_999);
    assert_eq!(sim.peer("192.0.2.3").table.len(), 19_999);
    sim.stop();
}

/// RFC 8326 §4: a path announced with GRACEFUL_SHUTDOWN gets LOCAL_PREF 0
/// and loses to a longer path without it; a neighbor configured with
/// `graceful_shutdown_local_pref = false` keeps its LOCAL_PREF.
#[tokio::test]
async fn graceful_shutdown_community_lowers_local_pref() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.up(
        "192.0.2.3",
        "remote_asn = 65003\ngraceful_shutdown_local_pref = false",
    )
    .await;
    let p = "203.0.113.0/24";
    let mut short = attrs("65001", "192.0.2.1");
    short
        .communities
        .push(rbgp_wire::attr::Community::GRACEFUL_SHUTDOWN);
    sim.announce("192.0.2.1", V4, &[p], &short).await;
    sim.announce(
        "192.0.2.2",
        V4,
        &[p],
        &attrs("65002 65020 65030", "192.0.2.2"),
    )
    .await;
    let loc = sim.loc_rib().await;
    let from = |a: &str| {
        loc.iter()
            .find(|r| r.source == Origin::Peer(a.parse().unwrap()))
            .unwrap()
            .clone()
    };
    assert_eq!(from("192.0.2.1").attrs.local_pref, Some(0));
    assert!(from("192.0.2.2").best, "{loc:?}");
    let mut other = attrs("65003", "192.0.2.3");
    other
        .communities
        .push(rbgp_wire::attr::Community::GRACEFUL_SHUTDOWN);
    sim.announce("192.0.2.3", V4, &["198.51.100.0/24"], &other)
        .await;
    let loc = sim.loc_rib().await;
    let r = loc
        .iter()
        .find(|r| r.source == Origin::Peer("192.0.2.3".parse().unwrap()))
        .unwrap();
    assert_ne!(r.attrs.local_pref, Some(0));
    sim.stop();
}

/// RFC 8326 send side: the peer being shut down gets every route again
/// with GRACEFUL_SHUTDOWN (an iBGP one with LOCAL_PREF 0 too), routes that
/// arrive meanwhile as well; the other peers see no change.
#[tokio::test]
async fn graceful_shutdown_resends_every_route_to_that_peer_only() {
    let g = rbgp_wire::attr::Community::GRACEFUL_SHUTDOWN;
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.up("10.0.0.3", "remote_asn = 65000").await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24", "198.51.100.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    for p in ["192.0.2.2", "10.0.0.3"] {
        assert!(!sim
            .peer(p)
            .route(V4, "203.0.113.0/24")
            .unwrap()
            .has_community(g));
    }
    let ebgp: std::net::IpAddr = "192.0.2.2".parse().unwrap();
    assert_eq!(sim.graceful_shutdown(Some(vec![ebgp])).await, 1);
    let at_ebgp = sim.peer("192.0.2.2").route(V4, "203.0.113.0/24").unwrap();
    assert!(at_ebgp.has_community(g));
    assert_eq!(at_ebgp.local_pref, None, "no LOCAL_PREF to eBGP");
    assert!(sim
        .peer("192.0.2.2")
        .route(V4, "198.51.100.0/24")
        .unwrap()
        .has_community(g));
    let ibgp = sim.peer("10.0.0.3").route(V4, "203.0.113.0/24").unwrap();
    assert!(!ibgp.has_community(g), "the iBGP peer is not shut down");
    assert_ne!(ibgp.local_pref, Some(0));

    // Everyone: iBGP gets LOCAL_PREF 0, a route arriving now goes out marked.
    assert_eq!(sim.graceful_shutdown(None).await, 3);
    let ibgp = sim.peer("10.0.0.3").route(V4, "203.0.113.0/24").unwrap();
    assert!(ibgp.has_community(g));
    assert_eq!(ibgp.local_pref, Some(0));
    sim.announce(
        "192.0.2.1",
        V4,
        &["192.0.2.128/25"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    assert!(sim
        .peer("10.0.0.3")
        .route(V4, "192.0.2.128/25")
        .unwrap()
        .has_community(g));
    sim.stop();
}

/// RFC 7606 §2 / RFC 4760 §7 AFI/SAFI disable: an IPv6 MP_REACH_NLRI whose
/// NLRI cannot be parsed (a /129) removes the peer's IPv6 routes and makes
/// rbgpd ignore the IPv6 it sends for the rest of the session, while its
/// IPv4 routes stay and new ones count. A new session uses IPv6 again.
#[tokio::test]
async fn malformed_mp_reach_nlri_disables_the_family_for_the_session() {
    let mut sim = Sim::new(Vec::new());
    let both = "families = [\"ipv4_unicast\", \"ipv6_unicast\"]";
    sim.up("192.0.2.1", &format!("remote_asn = 65001\n{both}"))
        .await;
    sim.up("192.0.2.2", &format!("remote_asn = 65002\n{both}"))
        .await;
    let a4 = attrs("65001", "192.0.2.1");
    let a6 = attrs("65001", "2001:db8::1");
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24"], &a4)
        .await;
    sim.announce("192.0.2.1", V6, &["2001:db8:1::/48"], &a6)
        .await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V6), vec!["2001:db8:1::/48"]);

    sim.send_bytes("192.0.2.1", &unparsable_v6(&sim, "192.0.2.1", &a6))
        .await;
    let b = sim.peer("192.0.2.2");
    assert!(b.prefixes(V6).is_empty(), "the peer's IPv6 routes are gone");
    assert_eq!(b.prefixes(V4), vec!["203.0.113.0/24"]);

    // The rest of the session: IPv6 ignored, IPv4 used.
    sim.announce("192.0.2.1", V6, &["2001:db8:3::/48"], &a6)
        .await;
    sim.announce("192.0.2.1", V4, &["198.51.100.0/24"], &a4)
        .await;
    let b = sim.peer("192.0.2.2");
    assert!(b.prefixes(V6).is_empty(), "{:?}", b.prefixes(V6));
    assert_eq!(b.prefixes(V4), vec!["198.51.100.0/24", "203.0.113.0/24"]);

    // A new session: IPv6 counts again.
    sim.down("192.0.2.1", rbgp_fsm::DownReason::ConnectionLost)
        .await;
    sim.up("192.0.2.1", &format!("remote_asn = 65001\n{both}"))
        .await;
    sim.announce("192.0.2.1", V6, &["2001:db8:3::/48"], &a6)
        .await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V6), vec!["2001:db8:3::/48"]);
    sim.stop();
}

/// An UPDATE from `peer` whose IPv6 MP_REACH_NLRI cannot be parsed:
/// 2001:db8:2::/48 with its length octet made 129 (RFC 7606 §7.11: AFI/SAFI
/// disable).
pub(super) fn unparsable_v6(sim: &Sim, peer: &str, a: &rbgp_rib::Attrs) -> Vec<u8> {
    let ctx = sim.peer(peer).negotiated.rx_context();
    let entry = rbgp_wire::NlriEntry {
        path_id: None,
        nlri: rbgp_wire::Nlri::Prefix("2001:db8:2::/48".parse().unwrap()),
    };
    let mut bytes = a.announce(V6, &[entry], &ctx).concat();
    let at = bytes
        .windows(7)
        .position(|w| w == [48, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02])
        .unwrap();
    bytes[at] = 129;
    bytes
}
