//! Connection and OPEN floods (namespaces, see common/): thousands of
//! connections, each with an OPEN, from an unconfigured address and from
//! the address of an established neighbor (GoBGP). The established
//! session is not disturbed and still carries new routes, rbgpd's memory
//! stays bounded, and its log gets a few lines per window, not one per
//! connection. A dynamic-neighbor range takes at most `max_neighbors`
//! addresses at once and closes connections from more.
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
        "[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\nfamilies = [\"ipv4_unicast\"]\n\
         [peer_groups.members]\nremote_asn = 65010\n\
         [[dynamic_neighbors]]\nprefix = \"10.88.0.64/27\"\npeer_group = \"members\"\nmax_neighbors = 8\n",
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
    // Twelve addresses of the range connect and stay: eight become
    // neighbors (rbgpd sends them its OPEN), four are closed at once.
    let srcs: Vec<String> = (65..77).map(|i| format!("10.88.0.{i}")).collect();
    for a in &srcs {
        lab.ok_in("b", &format!("ip addr add {a}/24 dev eth0"));
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/dyn_limit.py");
    let ns = lab.ns("b");
    let mut args = vec!["python3", script, "10.88.0.1"];
    args.extend(srcs.iter().map(String::as_str));
    let holder = lab.spawn_piped("b", &args, "dyn_limit.log");
    let mut line = String::new();
    let stdout = holder.stdout.as_mut().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let r: Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("{e}: {line:?} in {ns}\n{}", lab.diag()));
    eprintln!("dynamic range of 8 with 12 addresses connected: {r}");
    assert_eq!(r["answered"], 8, "{r}");
    assert_eq!(r["closed"], 4, "{r}");
    let (ok, out) = ctl::ctl(&sock, "--json neighbor");
    assert!(ok, "{out}");
    let listed = srcs
        .iter()
        .filter(|a| out.contains(&format!("\"{a}\"")))
        .count();
    assert_eq!(listed, 8, "{out}");
    // (The log line saying so shares the supervisor's rate limit with the
    // floods above, so within their 10 s window it may be withheld.)
}
