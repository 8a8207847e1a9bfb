//! A peer that stops reading (tests/data/stuck_peer.py) does not delay the
//! others: while 100k routes injected through the API cannot get to it,
//! BIRD receives all of them; once nothing has gone out to the stuck peer
//! for its hold time, rbgpd gives its session up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;
use std::time::{Duration, Instant};

const NEIGHBORS: &str = r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
passive = true
"#;

/// Negotiated with the stuck peer (its OPEN's hold time, below rbgpd's).
const HOLD: u64 = 20;
const ROUTES: u32 = 100_000;

#[test]
fn a_peer_that_stops_reading_delays_no_one() {
    let mut lab = Lab::new("stuck");
    let state = lab.path("state");
    let sock = format!("unix://{state}/rbgpd.sock");
    lab.rbgpd(&with_global(NEIGHBORS));
    lab.bird(&bird_session(
        "dut",
        65002,
        "",
        "  ipv4 { import all; export none; };\n",
    ));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/stuck_peer.py");
    lab.spawn(
        "g",
        &[
            "python3",
            script,
            "10.88.0.3",
            "10.88.0.1",
            "65003",
            &HOLD.to_string(),
        ],
        "stuck.out",
    );
    lab.wait("both sessions established", 40, || {
        let (ok, out) = ctl::ctl(&sock, "neighbor");
        (ok && out.matches("Established").count() == 2).then_some(())
    });

    // Every route its own attribute set: about 7 MB of UPDATEs, far more
    // than the socket buffers towards the stuck peer hold.
    let mut lines = String::new();
    for i in 0..ROUTES {
        lines += &format!(
            "{}.{}.{}.0/24 10.88.0.1 65001:{} 65002:{}\n",
            20 + (i >> 16),
            (i >> 8) & 255,
            i & 255,
            i % 60_000,
            i / 60_000
        );
    }
    let file = lab.write("routes.txt", &lines);
    let start = Instant::now();
    let (ok, out) = ctl::ctl(&sock, &format!("rib add-bulk {file}"));
    assert!(ok, "{out}");
    let want = format!("{ROUTES} of {ROUTES} routes");
    lab.wait("BIRD to receive every route", 60, || {
        lab.birdc("show route count").contains(&want).then_some(())
    });
    assert!(
        lab.log("stuck.out").contains("no longer reading")
            && !lab.log("rbgpd.log").contains("peer not reading"),
        "the stuck peer must still be stuck while BIRD is served\n{}",
        lab.diag()
    );
    // The stuck session ends once a hold time passes without progress.
    lab.wait("rbgpd to give the stuck session up", 3 * HOLD, || {
        lab.log("rbgpd.log")
            .contains("peer not reading")
            .then_some(())
    });
    assert!(start.elapsed() >= Duration::from_secs(HOLD - 2));
    let (ok, out) = ctl::ctl(&sock, "neighbor 10.88.0.3");
    assert!(ok && out.contains("not reading"), "{out}");
}
