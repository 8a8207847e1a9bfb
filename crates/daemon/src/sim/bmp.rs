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

[[policy.definitions]]
name = "clean"
[[policy.definitions.terms]]
name = "bogons"
if = { prefix_in = "bogons" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "rest"
then = { local_pref = 200, result = "accept" }
"#;

const ALL: BmpViews = BmpViews {
    pre: true,
    post: true,
    loc_rib: true,
    out: true,
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
        };
        s.feed(&out);
        s
    }

    /// Take what the RIB sent; false once the RIB dropped the station.
    fn drain(&mut self) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(batch) => {
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

/// The station's four views equal the RIB's tables for each peer.
async fn check(sim: &Sim, st: &Station, peers: &[&str]) {
    for p in peers {
        let ip: IpAddr = p.parse().unwrap();
        assert_eq!(
            st.view(View::PrePolicy, p),
            table(sim, Table::AdjInPre(ip)).await,
            "pre-policy of {p}"
        );
        assert_eq!(
            st.view(View::PostPolicy, p),
            table(sim, Table::AdjIn(ip)).await,
            "post-policy of {p}"
        );
        assert_eq!(
            st.view(View::OutPostPolicy, p),
            table(sim, Table::AdjOut(ip)).await,
            "Adj-RIB-Out of {p}"
        );
    }
    assert_eq!(st.view(View::LocRib, "0.0.0.0"), loc_rib(sim).await);
}

const A: &str = "192.0.2.1";
const B: &str = "192.0.2.2";

fn neighbor(asn: u32) -> String {
    format!("remote_asn = {asn}\nimport_policy = [\"clean\"]\nexport_policy = [\"accept_all\"]")
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

    // Attached after A's routes: A keeps no pre-policy table yet, so it
    // is asked for its routes again; the other views come from the RIB.
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
    sim.up(B, &neighbor(65002)).await;
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

    // A second station attached now gets the same state from the snapshot.
    let mut late = Station::attach(&mut sim, ALL, 100_000).await;
    assert!(late.drain());
    check(&sim, &late, &[A, B]).await;

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
}
