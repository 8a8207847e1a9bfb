//! Attribute sets no route uses any more are let go after enough bytes of
//! new sets, not only after `COLLECT_EVERY` UPDATEs: a peer re-announcing
//! one prefix with a new large set each time leaves a bounded amount of
//! dead sets, not one per UPDATE.
#![allow(clippy::unwrap_used)]

use super::harness::{attrs, Sim, ACCEPT_ALL, V4};

#[tokio::test]
async fn dead_sets_are_collected_by_size() {
    // A floor of 64 KiB: each set below is about 1 KiB.
    let mut sim = Sim::with_task(Vec::new(), ACCEPT_ALL, "", |t| {
        t.with_collect_floor(64 << 10)
    });
    let peer = "192.0.2.1";
    sim.up(peer, "remote_asn = 65001").await;
    for i in 0..300u32 {
        let mut a = attrs("65001", peer);
        a.communities = (0..200)
            .map(|c| rbgp_wire::attr::Community((65001 << 16) | ((i * 200 + c) % 65536)))
            .collect();
        sim.announce(peer, V4, &["203.0.113.0/24"], &a).await;
    }
    let sets = sim.sizes().await.attribute_sets;
    // 300 sets were made, one is used; at most about 64 KiB of dead ones
    // are left.
    assert!(sets <= 100, "{sets} attribute sets kept");
    assert_eq!(sim.loc_rib().await.len(), 1);
    sim.stop();
}
