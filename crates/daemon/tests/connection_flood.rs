//! Connection and OPEN floods (namespaces, see common/): thousands of
//! connections, each with an OPEN, from an unconfigured address and from
//! the address of an established neighbor (GoBGP). The established
//! session is not disturbed and still carries new routes, rbgpd's memory
//! stays bounded, and its log gets a few lines per window, not one per
//! connection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;
use serde_json::Value;

#[test]
fn floods_leave_sessions_memory_and_logs_alone() {
    let mut lab = Lab::new("flood");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    lab.rbgpd(&with_global(
        "[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\nfamilies = [\"ipv4_unicast\"]\n",
    ));
    lab.gobgp(65003, &["ipv4-unicast"]);
    let pid = lab.rbgpd_pid();
    let before = rss_mib(pid);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conn_flood.py");
    let flood = |ns: &str, src: &str, n: usize, asn: u32| -> Value {
        let out = lab.run_in(
            ns,
            &format!("timeout 300 python3 {script} {src} 10.88.0.1 {n} {asn}"),
        );
        serde_json::from_str(out.lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    let stranger = flood("b", "10.88.0.2", 3000, 65002);
    let neighbor = flood("g", "10.88.0.3", 1000, 65003);
    eprintln!("unconfigured: {stranger}, established neighbor's address: {neighbor}");
    assert!(stranger["made"].as_u64().unwrap() > 2000, "{stranger}");
    assert!(neighbor["made"].as_u64().unwrap() > 500, "{neighbor}");

    // The session stayed up and still works.
    let log = lab.log("rbgpd.log");
    assert!(!log.contains("session down peer=10.88.0.3"), "{log}");
    assert_eq!(
        log.matches("session established peer=10.88.0.3").count(),
        1,
        "{log}"
    );
    let (ok, out) = ctl::ctl(&sock, "rib add 203.0.113.50/32 --nexthop 10.88.0.1");
    assert!(ok, "{out}");
    lab.gobgp_route("ipv4", "203.0.113.50/32");

    // Logs: a few lines per 10 s window, not one per connection.
    let log = lab.log("rbgpd.log");
    let lines = log.lines().count();
    assert!(
        lines < 200,
        "{lines} log lines for 4,000 connections:\n{log}"
    );
    let after = rss_mib(pid);
    eprintln!("rbgpd RSS {before} MiB before, {after} MiB after; {lines} log lines");
    assert!(after < before + 50, "RSS {before} -> {after} MiB");
}
