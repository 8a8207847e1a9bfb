//! BMP export in the RIB task: a station attached with every view gets a
//! snapshot and then the changes; both, encoded as the station task
//! encodes them and read back with rbgp-bmp's session and tables, equal
//! what the RIB's own queries list (`rbgpctl rib received
//! --pre-policy`, `rib received`, `rib`, `rib advertised`). A station past
//! its buffer is dropped (its task then resets and resyncs).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rbgp_bmp::framer::{split, Frame};
use rbgp_bmp::{BmpMessage, BmpSession, PeerDownReason, Tables, View};
use rbgp_fsm::DownReason;
use tokio::sync::mpsc;

use super::harness::{attrs, Signal, Sim, V4};
use crate::bmp::encode::Encoder;
use crate::control::{PrefixMatch, RibQuery, RouteEntry, Table};
use crate::tasks::{BmpEvent, BmpViews};

const POLICY: &str = r#"
[policy.sets.prefix]
bogons = ["10.0.0.0/8 le 32"]
held = ["198.51.100.0/24"]

[[policy.definitions]]
name = "clean"
[[policy.definitions.terms]]
name = "bogons"
if = { prefix_in = "bogons" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "rest"
then = { local_pref = 200, result = "accept" }

[[policy.definitions]]
name = "hold"
[[policy.definitions.terms]]
name = "held"
if = { prefix_in = "held" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "rest"
then = { result = "accept" }
"#;

const ALL: BmpViews = BmpViews {
    pre: true,
    post: true,
    loc_rib: true,
    out: true,
    out_pre: true,
    received: false,
};

/// A station as the test sees it: the RIB's events encoded by the
/// station task's encoder, read back by rbgp-bmp.
struct Station {
    rx: mpsc::Receiver<Vec<BmpEvent>>,
    queued: Arc<AtomicUsize>,
    enc: Encoder,
    session: BmpSession,
    tables: Tables,
    messages: Vec<BmpMessage>,
    /// Batches taken from the RIB.
    batches: usize,
}

impl Station {
    async fn attach(sim: &mut Sim, views: BmpViews, limit: usize) -> Station {
        let (snap, rx, queued) = sim.bmp_attach(views, limit).await;
        let mut enc = Encoder::new(snap.local.clone().unwrap());
        let mut out = Vec::new();
        let mut replay = enc.begin(("sim", "rbgpd test"), views, snap, &mut out);
        while replay.next(&enc, &mut out) {}
        let mut s = Station {
            rx,
            queued,
            enc,
            session: BmpSession::new(),
            tables: Tables::new(),
            messages: Vec::new(),
            batches: 0,
        };
        s.feed(&out);
        s
    }

    /// Take what the RIB sent; false once the RIB dropped the station.
    fn drain(&mut self) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(batch) => {
                    self.batches += 1;
                    let w: usize = batch.iter().map(BmpEvent::weight).sum();
                    self.queued.fetch_sub(w, Ordering::Relaxed);
                    let mut out = Vec::new();
                    for ev in batch {
                        self.enc.event(ev, &mut out);
                    }
                    self.feed(&out);
                }
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for f in split(bytes) {
            let Frame::Message(m) = f else {
                panic!("bad framing: {f:?}");
            };
            let p = self.session.process(&m).unwrap();
            assert!(p.warnings.is_empty(), "{:?}", p.warnings);
            if let Some(u) = &p.update {
                assert!(u.is_ok(), "{u:?}");
            }
            self.tables.apply(&p);
            self.messages.push(p.message);
        }
    }

    /// prefix -> AS path and LOCAL_PREF, of one peer's view.
    fn view(&self, v: View, peer: &str) -> BTreeMap<String, String> {
        let peer: IpAddr = peer.parse().unwrap();
        self.tables
            .routes(v, peer)
            .map(|e| {
                let path = e
                    .as_path
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                (e.nlri.to_string(), format!("{path} lp={:?}", e.local_pref))
            })
            .collect()
    }
}

/// prefix -> AS path and LOCAL_PREF, as the station shows it.
fn listed(entries: Vec<RouteEntry>) -> BTreeMap<String, String> {
    entries
        .into_iter()
        .map(|r| {
            (
                r.nlri.to_string(),
                format!("{} lp={:?}", r.attrs.as_path, r.attrs.local_pref),
            )
        })
        .collect()
}

async fn table(sim: &Sim, table: Table) -> BTreeMap<String, String> {
    listed(
        sim.query(RibQuery {
            table,
            family: None,
            prefix: PrefixMatch::All,
        })
        .await,
    )
}

async fn loc_rib(sim: &Sim) -> BTreeMap<String, String> {
    listed(sim.loc_rib().await.into_iter().filter(|r| r.best).collect())
}

/// The station's five views equal the RIB's tables for each peer (the
/// pre-policy one where the RIB keeps that table).
async fn check(sim: &Sim, st: &Station, peers: &[&str]) {
    check_out(sim, st, peers).await;
    for p in peers {
        let ip: IpAddr = p.parse().unwrap();
        let q = RibQuery {
            table: Table::AdjInPre(ip),
            family: None,
            prefix: PrefixMatch::All,
        };
        if let Ok(pre) = sim.try_query(q).await {
            assert_eq!(
                st.view(View::PrePolicy, p),
                listed(pre),
                "pre-policy of {p}"
            );
        }
        assert_eq!(
            st.view(View::PostPolicy, p),
            table(sim, Table::AdjIn(ip)).await,
            "post-policy of {p}"
        );
    }
    assert_eq!(st.view(View::LocRib, "0.0.0.0"), loc_rib(sim).await);
}

const A: &str = "192.0.2.1";
const B: &str = "192.0.2.2";

fn neighbor(asn: u32) -> String {
    exporting(asn, "accept_all")
}

fn exporting(asn: u32, export: &str) -> String {
    format!("remote_asn = {asn}\nimport_policy = [\"clean\"]\nexport_policy = [\"{export}\"]")
}

#[tokio::test]
async fn snapshot_then_changes_equal_the_rib() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    sim.up(A, &neighbor(65001)).await;
    sim.announce(
        A,
        V4,
        &["203.0.113.0/24", "10.1.0.0/16"],
        &attrs("65001", A),
    )
    .await;

    // Attached after A's routes: A keeps no pre-policy table, so it is
    // asked for its routes again; the other views come from the RIB.
    let mut st = Station::attach(&mut sim, ALL, 100_000).await;
    assert!(sim.peer(A).signals.contains(&Signal::RequestRefresh));
    assert!(st
        .messages
        .iter()
        .any(|m| matches!(m, BmpMessage::Initiation(_))));
    let ups = |st: &Station| {
        st.messages
            .iter()
            .filter(|m| matches!(m, BmpMessage::PeerUp(_)))
            .count()
    };
    // The Loc-RIB instance and A.
    assert_eq!(ups(&st), 2);
    // The peer answers the refresh: the same UPDATE again.
    sim.announce(
        A,
        V4,
        &["203.0.113.0/24", "10.1.0.0/16"],
        &attrs("65001", A),
    )
    .await;
    assert!(st.drain());
    check(&sim, &st, &[A]).await;
    assert_eq!(st.view(View::PrePolicy, A).len(), 2);
    assert_eq!(
        st.view(View::PostPolicy, A).len(),
        1,
        "the bogon is filtered"
    );

    // B comes up after the station: Peer Up, then its routes in every view.
    // It keeps its pre-policy table.
    sim.up(B, &format!("{}\nkeep_pre_policy = true", neighbor(65002)))
        .await;
    sim.announce(
        B,
        V4,
        &["203.0.113.0/24", "198.51.100.0/24"],
        &attrs("65002 65020", B),
    )
    .await;
    assert!(st.drain());
    assert_eq!(ups(&st), 3);
    check(&sim, &st, &[A, B]).await;
    assert!(!st.view(View::OutPostPolicy, B).is_empty());

    // Withdrawals in every view; the best path moves to B.
    sim.withdraw(A, V4, &["203.0.113.0/24"]).await;
    assert!(st.drain());
    check(&sim, &st, &[A, B]).await;
    assert!(st.view(View::LocRib, "0.0.0.0")["203.0.113.0/24"].starts_with("65002"));

    // A second station attached now gets the same state: from the
    // snapshot, and A's pre-policy view from A again (a second refresh;
    // B's comes from its table).
    let mut late = Station::attach(&mut sim, ALL, 100_000).await;
    let asked = |sim: &Sim, p: &str| {
        sim.peer(p)
            .signals
            .iter()
            .filter(|s| **s == Signal::RequestRefresh)
            .count()
    };
    assert_eq!((asked(&sim, A), asked(&sim, B)), (2, 0));
    assert!(late.view(View::PrePolicy, A).is_empty());
    assert_eq!(late.view(View::PrePolicy, B).len(), 2);
    sim.announce(A, V4, &["10.1.0.0/16"], &attrs("65001", A))
        .await;
    assert!(late.drain());
    assert!(st.drain());
    check(&sim, &late, &[A, B]).await;
    assert_eq!(
        late.view(View::PrePolicy, A),
        st.view(View::PrePolicy, A),
        "A's pre-policy view after its refresh"
    );
    // Two stations attaching within minutes: A's table is kept since the
    // second, so a third is served from it without asking A again.
    let mut third = Station::attach(&mut sim, ALL, 100_000).await;
    assert!(third.drain());
    assert_eq!(asked(&sim, A), 2);
    assert_eq!(third.view(View::PrePolicy, A), st.view(View::PrePolicy, A));
    check(&sim, &third, &[A, B]).await;
    drop(third);

    // A goes down: Peer Down with the NOTIFICATION we received, and its
    // routes gone from every view of both stations.
    let cease = rbgp_wire::Notification::new(6, 2, Vec::new());
    sim.down(A, DownReason::NotificationReceived(cease.clone()))
        .await;
    assert!(st.drain());
    assert!(late.drain());
    let down = st
        .messages
        .iter()
        .find_map(|m| match m {
            BmpMessage::PeerDown(d) => Some(d.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(down.peer.address, A.parse::<IpAddr>().unwrap());
    assert_eq!(down.reason, PeerDownReason::RemoteNotification(cease));
    for s in [&st, &late] {
        assert!(s.view(View::PrePolicy, A).is_empty());
        check(&sim, s, &[B]).await;
    }
    // Every route the station saw of B came with B's AS.
    let b: IpAddr = B.parse().unwrap();
    assert!(st
        .tables
        .routes(View::PostPolicy, b)
        .all(|e| e.peer_asn == 65002));
}

/// Stations attaching together (a collector restarting with several
/// feeds) while the neighbor has not yet begun to answer the first one's
/// refresh share that answer: the neighbor is asked once, and its table
/// is not kept as it is for stations attaching minutes apart.
#[tokio::test]
async fn stations_attaching_together_share_one_refresh() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    sim.up(A, &neighbor(65001)).await;
    let routes = ["203.0.113.0/24", "10.1.0.0/16"];
    sim.announce(A, V4, &routes, &attrs("65001", A)).await;
    let asked = |sim: &Sim| {
        sim.peer(A)
            .signals
            .iter()
            .filter(|s| **s == Signal::RequestRefresh)
            .count()
    };
    // A's task is busy: the request waits in its channel.
    sim.peer_mut(A).stalled = true;
    let mut first = Station::attach(&mut sim, ALL, 100_000).await;
    let mut second = Station::attach(&mut sim, ALL, 100_000).await;
    sim.peer_mut(A).stalled = false;
    sim.settle().await;
    assert_eq!(asked(&sim), 1, "one refresh for both stations");
    sim.announce(A, V4, &routes, &attrs("65001", A)).await;
    for st in [&mut first, &mut second] {
        assert!(st.drain());
        assert_eq!(st.view(View::PrePolicy, A).len(), 2);
        check(&sim, st, &[A]).await;
    }
    // The answer has begun: a station attaching now asks again (its
    // routes would otherwise be missed); attaching twice within minutes,
    // A's table is kept from now on, and a fourth is served from it.
    let mut third = Station::attach(&mut sim, ALL, 100_000).await;
    assert_eq!(asked(&sim), 2);
    sim.announce(A, V4, &routes, &attrs("65001", A)).await;
    assert!(third.drain());
    let fourth = Station::attach(&mut sim, ALL, 100_000).await;
    assert_eq!(asked(&sim), 2);
    assert_eq!(fourth.view(View::PrePolicy, A).len(), 2);
}

#[tokio::test]
async fn a_station_past_its_buffer_is_dropped() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    sim.up(A, &neighbor(65001)).await;
    let mut st = Station::attach(&mut sim, ALL, 100).await;
    let prefixes: Vec<String> = (0..200).map(|i| format!("198.18.{i}.0/24")).collect();
    let refs: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    sim.announce(A, V4, &refs, &attrs("65001", A)).await;
    // One UPDATE of 200 prefixes is more than 100 events in one batch:
    // the RIB drops the sink instead of queueing without bound.
    assert!(!st.drain(), "the station should have been dropped");
    // BGP went on: the routes are in the RIB and were sent to peers.
    assert_eq!(loc_rib(&sim).await.len(), 200);
    // Attaching again (the station task's resync) gets them all.
    let mut again = Station::attach(&mut sim, ALL, 100_000).await;
    assert!(again.drain());
    assert_eq!(again.view(View::LocRib, "0.0.0.0").len(), 200);
    assert_eq!(again.view(View::PostPolicy, A).len(), 200);
    // Every second route moves to another set: the tables now alternate
    // the two. A snapshot still packs each set's routes together: one
    // Route Monitoring per set in each view (post-policy and Loc-RIB; A
    // is sent nothing back), not one per route; and one for A's
    // pre-policy table, kept since the second station attached (it holds
    // the routes A sent since: one set).
    let odd: Vec<&str> = refs.iter().copied().step_by(2).collect();
    sim.announce(A, V4, &odd, &attrs("65001 65009", A)).await;
    let third = Station::attach(&mut sim, ALL, 100_000).await;
    let monitorings = third
        .messages
        .iter()
        .filter(|m| matches!(m, BmpMessage::RouteMonitoring(_)))
        .count();
    assert_eq!(monitorings, 5, "two sets in two views, one pre-policy");
    assert_eq!(third.view(View::LocRib, "0.0.0.0").len(), 200);
}

/// The pre-policy view passes UPDATEs as received: one counts against the
/// station's buffer by its routes and attributes, not as one event, so an
/// UPDATE of thousands of prefixes cannot slip past the limit.
#[tokio::test]
async fn a_large_update_counts_by_its_routes() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    sim.up(A, &format!("{}\nkeep_pre_policy = true", neighbor(65001)))
        .await;
    let pre = BmpViews {
        pre: true,
        ..BmpViews::default()
    };
    let mut st = Station::attach(&mut sim, pre, 100).await;
    let prefixes: Vec<String> = (0..200).map(|i| format!("198.18.{i}.0/24")).collect();
    let refs: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    sim.announce(A, V4, &refs[..50], &attrs("65001", A)).await;
    assert!(st.drain(), "50 routes fit");
    assert_eq!(st.view(View::PrePolicy, A).len(), 50);
    sim.announce(A, V4, &refs, &attrs("65001", A)).await;
    assert!(!st.drain(), "one UPDATE of 200 routes is past 100");
}

/// While messages wait for the RIB task, its events for a station wait
/// too, up to a few thousand routes: under load the station's thread
/// wakes once per batch of routes, not once per message; once nothing
/// waits, what is pending leaves at once.
#[tokio::test]
async fn events_leave_in_batches_while_the_rib_is_busy() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    sim.up(A, &neighbor(65001)).await;
    let views = BmpViews {
        post: true,
        loc_rib: true,
        ..BmpViews::default()
    };
    let mut st = Station::attach(&mut sim, views, 1_000_000).await;
    let ctx = sim.peer(A).negotiated.rx_context();
    let announce = |first: usize, n: usize, path: &str| {
        let prefixes: Vec<String> = (first..first + n)
            .map(|i| format!("100.{}.{}.0/24", 64 + i / 256, i % 256))
            .collect();
        let a = attrs(path, A);
        let entries: Vec<rbgp_wire::NlriEntry> = prefixes
            .iter()
            .map(|p| rbgp_wire::NlriEntry {
                path_id: None,
                nlri: rbgp_wire::Nlri::Prefix(p.parse().unwrap()),
            })
            .collect();
        a.announce(V4, &entries, &ctx).concat()
    };
    // Five small messages queued at once: one batch.
    let small: Vec<Vec<u8>> = (0..5).map(|i| announce(i * 10, 10, "65001")).collect();
    for m in &small {
        sim.queue_bytes(A, m).await;
    }
    sim.settle().await;
    assert!(st.drain());
    assert_eq!(st.batches, 1);
    assert_eq!(st.view(View::LocRib, "0.0.0.0").len(), 50);
    // Three of 5,000 routes (10,000 events each over two views, past
    // SEND_AT): each leaves as it is handled.
    let big: Vec<Vec<u8>> = (0..3)
        .map(|i| announce(1000 + i * 5000, 5000, "65001 65002"))
        .collect();
    for m in &big {
        sim.queue_bytes(A, m).await;
    }
    sim.settle().await;
    assert!(st.drain());
    assert_eq!(st.batches, 1 + 3);
    let post = st.view(View::PostPolicy, A);
    assert_eq!(post.len(), 15_050);
    assert_eq!(post, table(&sim, Table::AdjIn(A.parse().unwrap())).await);
    assert_eq!(st.view(View::LocRib, "0.0.0.0"), loc_rib(&sim).await);
}

/// A path the peer repeats unchanged (as when it answers a refresh asked
/// for another station's pre-policy view) is not monitored again in the
/// post-policy view; a changed one is.
#[tokio::test]
async fn repeated_paths_are_not_monitored_again() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    sim.up(A, &neighbor(65001)).await;
    let views = BmpViews {
        post: true,
        ..BmpViews::default()
    };
    let mut st = Station::attach(&mut sim, views, 100_000).await;
    let monitorings = |st: &Station| {
        st.messages
            .iter()
            .filter(|m| matches!(m, BmpMessage::RouteMonitoring(_)))
            .count()
    };
    let a = attrs("65001", A);
    sim.announce(A, V4, &["203.0.113.0/24"], &a).await;
    assert!(st.drain());
    assert_eq!(monitorings(&st), 1);
    sim.announce(A, V4, &["203.0.113.0/24"], &a).await;
    assert!(st.drain());
    assert_eq!(monitorings(&st), 1, "the same path again");
    sim.announce(A, V4, &["203.0.113.0/24"], &attrs("65001 65009", A))
        .await;
    assert!(st.drain());
    assert_eq!(monitorings(&st), 2, "a changed path");
    assert_eq!(
        st.view(View::PostPolicy, A),
        table(&sim, Table::AdjIn(A.parse().unwrap())).await
    );
}

/// RFC 8671 Adj-RIB-Out pre-policy: a peer's view holds what it is
/// offered before its export policy (a route the policy refuses, with the
/// attributes of the Loc-RIB), loses a route once its best path comes
/// from the peer itself, and is kept only while a station asks for it.
#[tokio::test]
async fn adj_rib_out_pre_policy_holds_what_export_refused() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    sim.up(A, &exporting(65001, "hold")).await;
    sim.announce(A, V4, &["203.0.113.0/24"], &attrs("65001 65010 65011", A))
        .await;
    let views = BmpViews {
        out: true,
        out_pre: true,
        ..BmpViews::default()
    };
    let mut st = Station::attach(&mut sim, views, 100_000).await;
    // A's own route is not offered back to it.
    assert!(st.view(View::OutPrePolicy, A).is_empty());

    // B comes up after the station: its view fills from its initial table.
    sim.up(B, &exporting(65002, "hold")).await;
    sim.announce(A, V4, &["198.51.100.0/24"], &attrs("65001", A))
        .await;
    assert!(st.drain());
    check_out(&sim, &st, &[A, B]).await;
    let pre = st.view(View::OutPrePolicy, B);
    let post = st.view(View::OutPostPolicy, B);
    assert_eq!(
        pre.keys().collect::<Vec<_>>(),
        ["198.51.100.0/24", "203.0.113.0/24"]
    );
    // Before export: the Loc-RIB's attributes (import set LOCAL_PREF 200);
    // after it, ours prepended and no LOCAL_PREF towards eBGP.
    assert_eq!(pre["203.0.113.0/24"], "65001 65010 65011 lp=Some(200)");
    assert!(!post.contains_key("198.51.100.0/24"), "{post:?}");
    assert!(post["203.0.113.0/24"].ends_with("lp=None"), "{post:?}");

    // B's shorter path becomes best: withdrawn from B's view, offered to A.
    sim.announce(B, V4, &["203.0.113.0/24"], &attrs("65002", B))
        .await;
    assert!(st.drain());
    check_out(&sim, &st, &[A, B]).await;
    assert!(!st
        .view(View::OutPrePolicy, B)
        .contains_key("203.0.113.0/24"));
    assert_eq!(
        st.view(View::OutPrePolicy, A)["203.0.113.0/24"],
        "65002 lp=Some(200)"
    );

    // A second station gets the kept view in its snapshot.
    let mut late = Station::attach(&mut sim, views, 100_000).await;
    assert!(late.drain());
    check_out(&sim, &late, &[A, B]).await;

    // Both stations gone: the view is no longer kept, and the query
    // computes it from the Loc-RIB instead, with the same result.
    let before = table(&sim, Table::AdjOutPre(B.parse().unwrap())).await;
    drop(st);
    drop(late);
    sim.announce(A, V4, &["192.0.2.128/25"], &attrs("65001", A))
        .await;
    let mut expected = before;
    expected.insert("192.0.2.128/25".into(), "65001 lp=Some(200)".into());
    assert_eq!(
        table(&sim, Table::AdjOutPre(B.parse().unwrap())).await,
        expected
    );
    sim.stop();
}

/// The Adj-RIB-Out views of `peers` equal the RIB's listings.
async fn check_out(sim: &Sim, st: &Station, peers: &[&str]) {
    for p in peers {
        let ip: IpAddr = p.parse().unwrap();
        assert_eq!(
            st.view(View::OutPostPolicy, p),
            table(sim, Table::AdjOut(ip)).await,
            "Adj-RIB-Out of {p}"
        );
        assert_eq!(
            st.view(View::OutPrePolicy, p),
            table(sim, Table::AdjOutPre(ip)).await,
            "Adj-RIB-Out pre-policy of {p}"
        );
    }
}

/// With ADD-PATH send the pre-policy view holds the N most preferred
/// paths, each under its own identifier, whatever export policy refuses.
#[tokio::test]
async fn adj_rib_out_pre_policy_with_add_path() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    let views = BmpViews {
        out_pre: true,
        ..BmpViews::default()
    };
    let mut st = Station::attach(&mut sim, views, 100_000).await;
    const R: &str = "10.0.0.9";
    sim.up(
        R,
        "remote_asn = 65000\nadd_path = { send = 2 }\nexport_policy = [\"hold\"]",
    )
    .await;
    for (i, path) in ["65001", "65002 3", "65003 3 4"].iter().enumerate() {
        let addr = format!("192.0.2.{}", i + 1);
        sim.up(&addr, &neighbor(65001 + i as u32)).await;
        sim.announce(&addr, V4, &["198.51.100.0/24"], &attrs(path, &addr))
            .await;
    }
    assert!(st.drain());
    let paths = |st: &Station| -> Vec<(u32, String)> {
        let mut v: Vec<(u32, String)> = st
            .tables
            .routes(View::OutPrePolicy, R.parse().unwrap())
            .map(|e| {
                let path = e.as_path.as_ref().map(|p| p.to_string());
                (e.path_id.unwrap_or(0), path.unwrap_or_default())
            })
            .collect();
        v.sort();
        v
    };
    let got = paths(&st);
    let mut ases: Vec<&str> = got.iter().map(|(_, p)| p.as_str()).collect();
    ases.sort();
    assert_eq!(ases, ["65001", "65002 3"], "the two most preferred");
    assert!(got.iter().all(|(id, _)| *id != 0) && got[0].0 != got[1].0);
    // Export refused them all: nothing was sent.
    assert!(sim.peer(R).table.is_empty());
    let listed = sim
        .query(RibQuery {
            table: Table::AdjOutPre(R.parse().unwrap()),
            family: None,
            prefix: PrefixMatch::All,
        })
        .await;
    let mut l: Vec<(u32, String)> = listed
        .iter()
        .map(|r| (r.path_id, r.attrs.as_path.to_string()))
        .collect();
    l.sort();
    assert_eq!(l, got);
    // The best goes: the survivor keeps its identifier, the third moves in.
    let kept = got.iter().find(|(_, p)| p == "65002 3").unwrap().0;
    sim.withdraw("192.0.2.1", V4, &["198.51.100.0/24"]).await;
    assert!(st.drain());
    let after = paths(&st);
    assert!(after.contains(&(kept, "65002 3".into())), "{after:?}");
    assert!(after.iter().any(|(_, p)| p == "65003 3 4"), "{after:?}");
    assert_eq!(after.len(), 2);
    sim.stop();
}
