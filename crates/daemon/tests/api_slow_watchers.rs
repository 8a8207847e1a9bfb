//! Hostile API clients: fifty WatchRoutes streams (Python grpcio, one
//! connection) that never read while 20,000 paths are injected. Each
//! stream's buffer fills, and after the server's patience (10 s) each ends
//! with RESOURCE_EXHAUSTED; rbgpd's memory stays bounded, BGP is
//! unaffected (GoBGP gets every path), the API keeps answering. Then the
//! 20,000 paths listed through ListRoutes in pages (each read from the RIB
//! as it is sent) equal the whole listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;
use serde_json::Value;

const STREAMS: usize = 50;
const PATHS: usize = 20_000;

#[test]
fn watchers_that_never_read_are_ended_and_cost_bounded_memory() {
    let mut lab = Lab::new("slow");
    testkit::need("grpcio");
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let gen = lab.path("gen");
    std::fs::create_dir_all(&gen).unwrap();
    let (ok, out) = sh(&format!(
        "python3 -m grpc_tools.protoc -I {repo}/crates/api/proto --python_out={gen} \
         --grpc_python_out={gen} {repo}/crates/api/proto/rbgp/v1/*.proto"
    ));
    assert!(ok, "generating the Python stubs: {out}");
    let sock = format!("{}/rbgpd.sock", lab.path("state"));
    lab.rbgpd_with_gobgp(
        &with_global(
            "[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\nfamilies = [\"ipv4_unicast\"]\n",
        ),
        65003,
        &["ipv4-unicast"],
    );
    let pid = lab.rbgpd_pid();
    let before = rss_mib(pid);

    let script = format!("{}/tests/data/slow_watchers.py", env!("CARGO_MANIFEST_DIR"));
    let (ok, out) = sh(&format!(
        "timeout 180 python3 {script} {gen} {sock} {STREAMS} {PATHS} 15"
    ));
    assert!(ok, "{out}");
    let line = out.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["added"], PATHS, "{v}");
    assert_eq!(
        v["ends"]["RESOURCE_EXHAUSTED"], STREAMS,
        "every idle stream ended with the status: {v}"
    );
    // What each got before the end: its buffer, not the 20,000 changes.
    assert!(v["max"].as_u64().unwrap() < PATHS as u64, "{v}");

    // BGP unaffected: GoBGP has every path; the API answers.
    lab.wait("GoBGP to have every injected path", 60, || {
        let s = lab.gobgp_cli("global rib summary -a ipv4");
        s.contains(&format!("Destination: {PATHS}")).then_some(())
    });
    assert!(ctl::ctl(&format!("unix://{sock}"), "health").0);
    let after = rss_mib(pid);
    eprintln!("rbgpd RSS {before} MiB before, {after} MiB after {STREAMS} idle watchers and {PATHS} paths");
    assert!(after < before + 200, "RSS {before} -> {after} MiB");

    let script = format!("{}/tests/data/list_pages.py", env!("CARGO_MANIFEST_DIR"));
    let (ok, out) = sh(&format!("timeout 120 python3 {script} {gen} {sock} 3000"));
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(out.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {out}"));
    eprintln!("ListRoutes in pages of 3,000: {v}");
    assert_eq!(v["whole"], PATHS, "{v}");
    assert_eq!(v["paged"], PATHS, "{v}");
    assert_eq!(v["same"], true, "{v}");
    assert_eq!(v["pages"], PATHS.div_ceil(3000), "{v}");
    assert!(v["largest"].as_u64().unwrap() <= 3000, "{v}");
}
