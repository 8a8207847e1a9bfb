//! ADD-PATH (RFC 7911): several paths received per prefix, and the best N
//! sent, ranked by the decision process, each keeping its identifier.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::harness::{attrs, Sim, V4};

const P: &str = "203.0.113.0/24";

/// Three eBGP peers offer the prefix with paths of length 1, 2 and 3.
async fn three_paths(sim: &mut Sim) {
    for (i, path) in ["65001", "65002 3", "65003 3 4"].iter().enumerate() {
        let addr = format!("192.0.2.{}", i + 1);
        let nh = addr.clone();
        sim.announce(&addr, V4, &[P], &attrs(path, &nh)).await;
    }
}

#[tokio::test]
async fn best_n_sends_the_n_most_preferred_paths() {
    let mut sim = Sim::new(Vec::new());
    for i in 1..=3 {
        sim.up(&format!("192.0.2.{i}"), &format!("remote_asn = 6500{i}"))
            .await;
    }
    sim.up("10.0.0.9", "remote_asn = 65000\nadd_path = { send = 2 }")
        .await;
    three_paths(&mut sim).await;
    let paths = |sim: &Sim| -> Vec<(String, String)> {
        let p = sim.peer("10.0.0.9");
        p.table
            .iter()
            .map(|((_, n, id), a)| (format!("{n}#{id}"), a.as_path.to_string()))
            .collect()
    };
    let mut got: Vec<String> = paths(&sim).into_iter().map(|(_, a)| a).collect();
    got.sort();
    assert_eq!(got, vec!["65001", "65002 3"], "the two shortest paths");
    let ids: Vec<String> = paths(&sim).into_iter().map(|(k, _)| k).collect();
    assert_eq!(ids.len(), 2);
    // The best goes: the third path moves in; the survivor keeps its id.
    let kept = paths(&sim)
        .into_iter()
        .find(|(_, a)| a == "65002 3")
        .unwrap()
        .0;
    sim.withdraw("192.0.2.1", V4, &[P]).await;
    let after = paths(&sim);
    let mut got: Vec<&str> = after.iter().map(|(_, a)| a.as_str()).collect();
    got.sort();
    assert_eq!(got, vec!["65002 3", "65003 3 4"]);
    assert!(after.iter().any(|(k, a)| *k == kept && a == "65002 3"));
    sim.stop();
}

#[tokio::test]
async fn send_all_and_peers_without_add_path() {
    let mut sim = Sim::new(Vec::new());
    for i in 1..=3 {
        sim.up(&format!("192.0.2.{i}"), &format!("remote_asn = 6500{i}"))
            .await;
    }
    sim.up(
        "10.0.0.8",
        "remote_asn = 65000\nadd_path = { send = \"all\" }",
    )
    .await;
    sim.up("10.0.0.9", "remote_asn = 65000").await;
    three_paths(&mut sim).await;
    assert_eq!(sim.peer("10.0.0.8").table.len(), 3);
    let plain = sim.peer("10.0.0.9");
    assert_eq!(plain.prefixes(V4), vec![P], "one path, no identifier");
    assert_eq!(plain.route(V4, P).unwrap().as_path.to_string(), "65001");
    sim.stop();
}

#[tokio::test]
async fn received_path_identifiers_are_separate_paths() {
    let mut sim = Sim::new(Vec::new());
    sim.up(
        "10.0.0.2",
        "remote_asn = 65000\nadd_path = { receive = true }",
    )
    .await;
    sim.announce_ids("10.0.0.2", V4, &[(P, 1)], &attrs("65001", "10.0.0.21"))
        .await;
    sim.announce_ids("10.0.0.2", V4, &[(P, 2)], &attrs("65002 3", "10.0.0.22"))
        .await;
    let loc = sim.loc_rib().await;
    let mut ids: Vec<(u32, bool)> = loc.iter().map(|e| (e.path_id, e.best)).collect();
    ids.sort();
    assert_eq!(ids, vec![(1, true), (2, false)]);
    // Withdrawing one identifier leaves the other.
    sim.withdraw_ids("10.0.0.2", V4, &[(P, 1)]).await;
    let loc = sim.loc_rib().await;
    assert_eq!(loc.len(), 1);
    assert_eq!(loc[0].path_id, 2);
    sim.stop();
}
