//! A peer that announces far past its `max_prefixes` as fast as it can
//! (200,000 prefixes against a limit of 1,000): rbgpd closes it with
//! Cease/Maximum Number of Prefixes Reached (6/1, RFC 4486), its memory
//! stays bounded, and GoBGP's session and routes are untouched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;
use serde_json::Value;

#[test]
fn a_prefix_flood_past_the_limit_is_cut_off() {
    let mut lab = Lab::new("pflood");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    lab.rbgpd(&with_global(
        "[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\nfamilies = [\"ipv4_unicast\"]\n\n\
         [[neighbors]]\naddress = \"10.88.0.2\"\nremote_asn = 65002\npassive = true\nmax_prefixes = 1000\nfamilies = [\"ipv4_unicast\"]\n",
    ));
    lab.gobgp(65003, &["ipv4-unicast"]);
    lab.gobgp_ok("global rib add 198.51.100.0/24 nexthop 10.88.0.3 -a ipv4");
    lab.wait("GoBGP's route at rbgpd", 30, || {
        ctl::ctl(&sock, "rib")
            .1
            .contains("198.51.100.0/24")
            .then_some(())
    });
    let pid = lab.rbgpd_pid();
    let before = rss_mib(pid);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/prefix_flood.py");
    let out = lab.run_in(
        "b",
        &format!("timeout 120 python3 {script} 10.88.0.2 10.88.0.1 200000"),
    );
    let v: Value = serde_json::from_str(out.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {out}\n{}", lab.diag()));
    assert_eq!(v["notification"], serde_json::json!([6, 1]), "{v}");
    let after = rss_mib(pid);
    eprintln!("flood {v}; rbgpd RSS {before} -> {after} MiB");
    assert!(after < before + 100, "RSS {before} -> {after} MiB");
    // Nothing of the flood stays; GoBGP's session and route are there.
    lab.wait("the flood's routes gone", 30, || {
        let (_, rib) = ctl::ctl(&sock, "rib");
        (!rib.contains("20.0.") && rib.contains("198.51.100.0/24")).then_some(())
    });
    let log = lab.log("rbgpd.log");
    assert!(!log.contains("session down peer=10.88.0.3"), "{log}");
}
