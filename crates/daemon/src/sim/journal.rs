//! The shared export journal: a peer that stops reading while routes keep
//! changing leaves it for its own marks once it is too far behind, the
//! journal stays bounded, and the peer still gets exactly the current
//! table when it reads again.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::harness::{attrs, Sim, ACCEPT_ALL, V4};

const FEEDER: &str = "192.0.2.1";
const READER: &str = "192.0.2.2";
const STUCK: &str = "192.0.2.3";

fn prefix(i: usize) -> String {
    format!("198.51.{}.0/24", i)
}

async fn three_peers(journal_max: usize) -> Sim {
    three_peers_with(journal_max, 1 << 16).await
}

async fn three_peers_with(journal_max: usize, journal_min: usize) -> Sim {
    let mut sim = Sim::with_task(Vec::new(), ACCEPT_ALL, "", |t| {
        t.with_journal_max(journal_max)
            .with_journal_min(journal_min)
    });
    sim.up(FEEDER, "remote_asn = 65001").await;
    sim.up(READER, "remote_asn = 65002").await;
    sim.up(STUCK, "remote_asn = 65003").await;
    sim
}

/// 60 UPDATEs, each a flush of its own: the stuck peer's channel holds the
/// first few, the rest wait in the journal for it. Then 20 withdrawn and
/// 10 of those announced again with another path.
async fn churn(sim: &mut Sim) {
    for i in 0..60 {
        let p = prefix(i);
        sim.announce(FEEDER, V4, &[&p], &attrs("65001", FEEDER))
            .await;
    }
    for i in 0..20 {
        sim.withdraw(FEEDER, V4, &[&prefix(i)]).await;
    }
    for i in 0..10 {
        sim.announce(FEEDER, V4, &[&prefix(i)], &attrs("65001 7", FEEDER))
            .await;
    }
}

#[tokio::test]
async fn a_peer_far_behind_leaves_the_journal_and_catches_up() {
    let mut sim = three_peers(16).await;
    sim.peer_mut(STUCK).stalled = true;
    churn(&mut sim).await;
    let backlog = sim.sizes().await.export_backlog;
    assert!(
        backlog <= 16,
        "journal bounded while a peer reads nothing: {backlog}"
    );
    assert_eq!(sim.peer(READER).prefixes(V4).len(), 50);
    sim.peer_mut(STUCK).stalled = false;
    sim.settle().await;
    assert_eq!(sim.peer(STUCK).table, sim.peer(READER).table);
    let again = sim.peer(STUCK).route(V4, &prefix(3)).unwrap();
    assert_eq!(again.as_path.to_string(), "65000 65001 7");
    assert!(sim.peer(STUCK).route(V4, &prefix(15)).is_none());
    assert_eq!(sim.sizes().await.export_backlog, 0);
    sim.stop();
}

/// The same without the bound: the journal holds what the stuck peer has
/// not read (the bound above is what kept it small), and the peer reads
/// it all from there.
#[tokio::test]
async fn a_stuck_peer_holds_the_journal_back_until_it_reads() {
    let mut sim = three_peers(1 << 20).await;
    sim.peer_mut(STUCK).stalled = true;
    churn(&mut sim).await;
    let backlog = sim.sizes().await.export_backlog;
    assert!(backlog > 16, "the stuck peer's changes wait: {backlog}");
    sim.peer_mut(STUCK).stalled = false;
    sim.settle().await;
    assert_eq!(sim.peer(STUCK).table, sim.peer(READER).table);
    assert_eq!(sim.peer(STUCK).prefixes(V4).len(), 50);
    assert_eq!(sim.sizes().await.export_backlog, 0);
    sim.stop();
}

/// One peer behind on a large bound: the journal is kept no longer than
/// its marks would cost (a bit per route, against 16 octets per entry),
/// down to the floor, and the peer still gets the table.
#[tokio::test]
async fn one_peer_behind_leaves_the_journal_long_before_its_bound() {
    let mut sim = three_peers_with(1 << 20, 16).await;
    sim.peer_mut(STUCK).stalled = true;
    churn(&mut sim).await;
    let backlog = sim.sizes().await.export_backlog;
    assert!(
        backlog <= 16,
        "one peer behind: the journal at its floor, not 1M: {backlog}"
    );
    sim.peer_mut(STUCK).stalled = false;
    sim.settle().await;
    assert_eq!(sim.peer(STUCK).table, sim.peer(READER).table);
    assert_eq!(sim.peer(STUCK).prefixes(V4).len(), 50);
    sim.stop();
}
