//! Graceful restart (RFC 4724 helper) and long-lived graceful restart (RFC
//! 9494) as other peers see them, on a paused clock.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Duration;

use rbgp_fsm::DownReason;
use rbgp_wire::attr::Community;
use rbgp_wire::notification::{cease_sub, codes};
use rbgp_wire::Notification;

use super::harness::{attrs, Sim, V4};

const GR: &str = "remote_asn = 65001\ngraceful_restart = true";
const LLGR: &str = "remote_asn = 65001\ngraceful_restart = true\nlong_lived_stale_time = 3600";

async fn stale(sim: &Sim) -> Vec<(String, bool)> {
    sim.loc_rib()
        .await
        .into_iter()
        .map(|e| (e.nlri.to_string(), e.stale))
        .collect()
}

async fn restarting_peer_with_two_routes(neighbor: &str, sim: &mut Sim) {
    sim.up("192.0.2.1", neighbor).await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["10.1.0.0/24", "10.2.0.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    sim.down("192.0.2.1", DownReason::ConnectionLost).await;
}

#[tokio::test(start_paused = true)]
async fn stale_routes_kept_then_swept_at_end_of_rib() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    restarting_peer_with_two_routes(GR, &mut sim).await;
    // RFC 4724 §4.2: kept, marked stale; still advertised.
    assert_eq!(
        stale(&sim).await,
        vec![("10.1.0.0/24".into(), true), ("10.2.0.0/24".into(), true)]
    );
    assert_eq!(sim.peer("192.0.2.2").table.len(), 2);
    // Back within the restart time; it re-sends one route only.
    sim.advance(Duration::from_secs(30)).await;
    back_with_the_first_route(GR, &mut sim).await;
    sim.stop();
}

/// The restarting peer comes back and sends only 10.1.0.0/24 again: the
/// other goes at its End-of-RIB.
async fn back_with_the_first_route(neighbor: &str, sim: &mut Sim) {
    sim.up("192.0.2.1", neighbor).await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["10.1.0.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    assert_eq!(sim.peer("192.0.2.2").table.len(), 2, "until End-of-RIB");
    sim.end_of_rib("192.0.2.1", V4).await;
    assert_eq!(stale(sim).await, vec![("10.1.0.0/24".into(), false)]);
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["10.1.0.0/24"]);
}

#[tokio::test(start_paused = true)]
async fn stale_routes_go_when_the_restart_time_runs_out() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    restarting_peer_with_two_routes(GR, &mut sim).await;
    sim.advance(Duration::from_secs(119)).await;
    assert_eq!(sim.peer("192.0.2.2").table.len(), 2);
    sim.advance(Duration::from_secs(2)).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    assert!(stale(&sim).await.is_empty());
    sim.stop();
}

#[tokio::test(start_paused = true)]
async fn no_retention_without_graceful_restart_or_after_hard_reset() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    restarting_peer_with_two_routes("remote_asn = 65001\ngraceful_restart = false", &mut sim).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    // With graceful restart, but the session ends with Cease/Hard Reset
    // (RFC 8538 §3).
    sim.up("192.0.2.1", GR).await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["10.1.0.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    assert_eq!(sim.peer("192.0.2.2").table.len(), 1);
    let hard = Notification::new(codes::CEASE, cease_sub::HARD_RESET, Vec::new());
    sim.down("192.0.2.1", DownReason::NotificationReceived(hard))
        .await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    sim.stop();
}

#[tokio::test(start_paused = true)]
async fn long_lived_stale_routes_only_to_llgr_peers_until_their_time() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.up(
        "10.0.0.3",
        "remote_asn = 65000\ngraceful_restart = true\nlong_lived_stale_time = 3600",
    )
    .await;
    restarting_peer_with_two_routes(LLGR, &mut sim).await;
    assert_eq!(sim.peer("192.0.2.2").table.len(), 2);
    // The restart time (120 s) is over: LLGR_STALE added (RFC 9494 §4.2),
    // withdrawn from the peer that does not know LLGR (§4.3).
    sim.advance(Duration::from_secs(121)).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    let llgr = sim.peer("10.0.0.3");
    assert_eq!(llgr.table.len(), 2);
    assert!(llgr
        .route(V4, "10.1.0.0/24")
        .unwrap()
        .has_community(Community::LLGR_STALE));
    // The peer's long-lived stale time (3600 s) runs out: gone.
    sim.advance(Duration::from_secs(3600)).await;
    assert!(sim.peer("10.0.0.3").table.is_empty());
    assert!(stale(&sim).await.is_empty());
    sim.stop();
}

#[tokio::test(start_paused = true)]
async fn routes_marked_no_llgr_are_not_kept_long_lived() {
    let mut sim = Sim::new(Vec::new());
    sim.up(
        "10.0.0.3",
        "remote_asn = 65000\ngraceful_restart = true\nlong_lived_stale_time = 3600",
    )
    .await;
    sim.up("192.0.2.1", LLGR).await;
    let mut no_llgr = attrs("65001", "192.0.2.1");
    no_llgr.communities.push(Community::NO_LLGR);
    sim.announce(
        "192.0.2.1",
        V4,
        &["10.1.0.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    sim.announce("192.0.2.1", V4, &["10.2.0.0/24"], &no_llgr)
        .await;
    sim.down("192.0.2.1", DownReason::ConnectionLost).await;
    sim.advance(Duration::from_secs(121)).await;
    assert_eq!(sim.peer("10.0.0.3").prefixes(V4), vec!["10.1.0.0/24"]);
    sim.stop();
}

/// RFC 4724 stale routes keep their rank. Found by the model test
/// (sim/model.rs): stale paths ranked last, but marking them stale chose
/// no best path again, so the best changed only when something else
/// touched the prefix.
#[tokio::test(start_paused = true)]
async fn stale_routes_keep_their_rank() {
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.up("10.0.0.4", "remote_asn = 65000\ngraceful_restart = true")
        .await;
    sim.up("10.0.0.5", "remote_asn = 65000\ngraceful_restart = false")
        .await;
    let p = "198.51.100.0/24";
    sim.announce("10.0.0.4", V4, &[p], &attrs("65100", "10.0.0.4"))
        .await;
    let mut low = attrs("65110", "10.0.0.5");
    low.local_pref = Some(50);
    sim.announce("10.0.0.5", V4, &[p], &low).await;
    let via = |sim: &Sim| {
        sim.peer("192.0.2.2")
            .route(V4, p)
            .unwrap()
            .as_path
            .to_string()
    };
    assert_eq!(via(&sim), "65000 65100");
    sim.down("10.0.0.4", DownReason::ConnectionLost).await;
    assert_eq!(via(&sim), "65000 65100", "kept, stale, still best");
    // The other path changes: the stale one still wins on LOCAL_PREF.
    sim.announce("10.0.0.5", V4, &[p], &low).await;
    assert_eq!(via(&sim), "65000 65100");
    sim.stop();
}

/// After a graceful restart the peer sends an IPv6 UPDATE that disables
/// IPv6 (RFC 7606 AFI/SAFI disable): its IPv4 End-of-RIB still ends the
/// restart for IPv4 and sweeps the stale route it did not send again.
#[tokio::test(start_paused = true)]
async fn end_of_rib_counts_after_a_family_is_disabled() {
    let both = "remote_asn = 65001\ngraceful_restart = true\nfamilies = [\"ipv4_unicast\", \"ipv6_unicast\"]";
    let mut sim = Sim::new(Vec::new());
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    restarting_peer_with_two_routes(both, &mut sim).await;
    sim.advance(Duration::from_secs(30)).await;
    sim.up("192.0.2.1", both).await;
    let a = attrs("65001", "192.0.2.1");
    let v6 = attrs("65001", "2001:db8::1");
    sim.send_bytes(
        "192.0.2.1",
        &super::flow::unparsable_v6(&sim, "192.0.2.1", &v6),
    )
    .await;
    sim.announce("192.0.2.1", V4, &["10.1.0.0/24"], &a).await;
    assert_eq!(sim.peer("192.0.2.2").table.len(), 2, "until End-of-RIB");
    sim.end_of_rib("192.0.2.1", V4).await;
    assert_eq!(stale(&sim).await, vec![("10.1.0.0/24".into(), false)]);
    sim.stop();
}

/// Two policies: one that rejects 10.2.0.0/24, one that tags everything.
const POLICIES: &str = r#"
[policy.sets.prefix]
second = ["10.2.0.0/24"]

[[policy.definitions]]
name = "drop_second"
[[policy.definitions.terms]]
name = "second"
if = { prefix_in = "second" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "rest"
then = { result = "accept" }

[[policy.definitions]]
name = "tag"
[[policy.definitions.terms]]
name = "all"
then = { local_pref = 300, result = "accept" }
"#;

/// `base` (GR or LLGR) keeping its pre-policy routes, with import policy
/// `import`.
fn importing(base: &str, import: &str) -> String {
    format!("{base}\nkeep_pre_policy = true\nimport_policy = [\"{import}\"]")
}

/// An import policy change while the peer restarts reaches its stale
/// routes (from the pre-policy table it keeps): a route the new policy
/// accepts appears, the others take its changes, all stay stale (RFC 4724
/// §4.2: swept at End-of-RIB unless re-sent).
#[tokio::test(start_paused = true)]
async fn an_import_change_during_a_restart_reaches_the_stale_routes() {
    let mut sim = Sim::with_policy(Vec::new(), "export_policy = [\"accept_all\"]", POLICIES);
    sim.up("192.0.2.2", "remote_asn = 65002\nimport_policy = [\"tag\"]")
        .await;
    restarting_peer_with_two_routes(&importing(GR, "drop_second"), &mut sim).await;
    assert_eq!(stale(&sim).await, vec![("10.1.0.0/24".into(), true)]);

    sim.set_neighbor("192.0.2.1", &importing(GR, "tag")).await;
    let rib = sim.loc_rib().await;
    let got: Vec<(String, bool, Option<u32>)> = rib
        .iter()
        .map(|e| (e.nlri.to_string(), e.stale, e.attrs.local_pref))
        .collect();
    assert_eq!(
        got,
        vec![
            ("10.1.0.0/24".into(), true, Some(300)),
            ("10.2.0.0/24".into(), true, Some(300)),
        ]
    );
    assert_eq!(sim.peer("192.0.2.2").table.len(), 2);
    back_with_the_first_route(&importing(GR, "tag"), &mut sim).await;
    sim.stop();
}

/// Past the restart time (RFC 9494 §4.2) the routes the new import policy
/// makes keep LLGR_STALE.
#[tokio::test(start_paused = true)]
async fn an_import_change_during_long_lived_retention_keeps_llgr_stale() {
    let mut sim = Sim::with_policy(Vec::new(), "export_policy = [\"accept_all\"]", POLICIES);
    restarting_peer_with_two_routes(&importing(LLGR, "drop_second"), &mut sim).await;
    sim.advance(Duration::from_secs(121)).await;
    sim.set_neighbor("192.0.2.1", &importing(LLGR, "tag")).await;
    let rib = sim.loc_rib().await;
    assert_eq!(rib.len(), 2);
    for e in &rib {
        assert!(e.stale, "{}", e.nlri);
        assert_eq!(e.attrs.local_pref, Some(300), "{}", e.nlri);
        assert!(e.attrs.has_community(Community::LLGR_STALE), "{}", e.nlri);
    }
    sim.stop();
}

/// Routes a timer swept while the peer is down stay gone when an import
/// change runs import again on what the peer kept (its pre-policy table
/// loses them too).
#[tokio::test(start_paused = true)]
async fn an_import_change_does_not_bring_back_swept_routes() {
    let mut sim = Sim::with_policy(Vec::new(), "export_policy = [\"accept_all\"]", POLICIES);
    let both = "\nfamilies = [\"ipv4_unicast\", \"ipv6_unicast\"]";
    let first = format!("{}{both}", importing(LLGR, "drop_second"));
    // IPv4 is kept long-lived for 100 s, IPv6 for 1,000 s.
    sim.up_with("192.0.2.1", &first, |n| {
        for f in &mut n.peer_llgr {
            f.stale_time = if f.family == V4 { 100 } else { 1000 };
        }
    })
    .await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["10.1.0.0/24", "10.2.0.0/24"], &a)
        .await;
    let v6 = attrs("65001", "2001:db8::1");
    sim.announce("192.0.2.1", super::harness::V6, &["2001:db8:1::/48"], &v6)
        .await;
    sim.down("192.0.2.1", DownReason::ConnectionLost).await;
    // Restart time (120 s), then IPv4's long-lived time.
    sim.advance(Duration::from_secs(121)).await;
    sim.advance(Duration::from_secs(101)).await;
    assert_eq!(stale(&sim).await, vec![("2001:db8:1::/48".into(), true)]);
    sim.set_neighbor("192.0.2.1", &format!("{}{both}", importing(LLGR, "tag")))
        .await;
    let rib = sim.loc_rib().await;
    let got: Vec<String> = rib.iter().map(|e| e.nlri.to_string()).collect();
    assert_eq!(got, vec!["2001:db8:1::/48".to_string()]);
    assert!(rib[0].attrs.has_community(Community::LLGR_STALE));
    sim.stop();
}
