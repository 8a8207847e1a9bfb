//! RFC 8097 (the BGP prefix origin validation state extended community)
//! with real peers (namespaces, see common/): rbgpd validates BIRD's eBGP
//! routes against a VRP file and sends them to GoBGP, its iBGP neighbor,
//! each with its state as the community, which GoBGP decodes; GoBGP's own
//! routes carry states set by hand, which rbgpd takes instead of
//! validating them again; the community, non-transitive, never reaches
//! BIRD over eBGP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;
use serde_json::Value;

const VRPS: &str = r#"{ "roas": [
  { "prefix": "100.64.1.0/24", "maxLength": 24, "asn": "AS65002", "ta": "test" },
  { "prefix": "100.64.2.0/24", "maxLength": 24, "asn": "AS65099", "ta": "test" },
  { "prefix": "10.9.0.0/16", "maxLength": 24, "asn": "AS65001", "ta": "test" }
] }"#;

fn config(vrps: &str) -> String {
    with_global(&format!(
        r#"
[rpki]
file = "{vrps}"
origin_validation_community = true

[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
families = ["ipv4_unicast"]

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65001
families = ["ipv4_unicast"]
"#
    ))
}

/// rbgpctl's RPKI state of the route to `prefix` ("valid", "invalid",
/// "not_found").
fn state(sock: &str, prefix: &str) -> Option<String> {
    let (ok, out) = ctl::ctl(sock, &format!("--json rib {prefix} --exact"));
    if !ok {
        return None;
    }
    let v: Value = serde_json::from_str(&out).ok()?;
    let s = v.as_array()?.first()?["rpki"].as_str()?.to_lowercase();
    Some(s.trim_start_matches("rpki_state_").to_string())
}

#[test]
fn origin_validation_state_community_with_gobgp_and_bird() {
    let mut lab = Lab::new("r8097");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    let vrps = lab.write("vrps.json", VRPS);
    lab.rbgpd(&config(&vrps));
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route 100.64.1.0/24 blackhole; route 100.64.2.0/24 blackhole; route 100.64.3.0/24 blackhole; }}\n{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export where proto = \"s4\"; };\n")
    ));
    lab.gobgp(65001, &["ipv4-unicast"]);

    // Send: each of BIRD's routes reaches GoBGP with rbgpd's state.
    for (prefix, want, gobgp) in [
        ("100.64.1.0/24", "valid", "[valid]"),
        ("100.64.2.0/24", "invalid", "[invalid]"),
        ("100.64.3.0/24", "not_found", "[not-found]"),
    ] {
        lab.wait(&format!("rbgpd's state of {prefix}"), 30, || {
            (state(&sock, prefix).as_deref() == Some(want)).then_some(())
        });
        let line = lab.wait(&format!("GoBGP to decode {gobgp} on {prefix}"), 30, || {
            let r = lab.gobgp_cli("global rib -a ipv4");
            r.lines()
                .find(|l| l.contains(prefix) && l.contains("Extcomms"))
                .map(String::from)
        });
        assert!(line.contains(gobgp), "{prefix}: {line}");
    }

    // Receive: GoBGP's states win over validation. By the VRPs 10.9.0.0/24
    // and 10.9.1.0/24 from AS 65001 (iBGP: empty path, our AS as origin)
    // are valid; GoBGP says invalid and not-found.
    lab.gobgp_ok("global rib add -a ipv4 10.9.0.0/24 nexthop 10.88.0.3 invalid");
    lab.gobgp_ok("global rib add -a ipv4 10.9.1.0/24 nexthop 10.88.0.3 not-found");
    lab.gobgp_ok("global rib add -a ipv4 10.9.2.0/24 nexthop 10.88.0.3");
    for (prefix, want) in [
        ("10.9.0.0/24", "invalid"),
        ("10.9.1.0/24", "not_found"),
        ("10.9.2.0/24", "valid"),
    ] {
        lab.wait(&format!("{prefix} {want} at rbgpd"), 30, || {
            (state(&sock, prefix).as_deref() == Some(want)).then_some(())
        });
    }

    // BIRD (eBGP) gets GoBGP's routes without the non-transitive
    // community (RFC 4360 §6).
    let all = lab.wait("BIRD to have GoBGP's routes", 30, || {
        let r = lab.birdc("show route protocol dut all");
        r.contains("10.9.0.0/24").then_some(r)
    });
    assert!(all.contains("10.9.1.0/24"), "{all}");
    assert!(!all.contains("BGP.ext_community"), "{all}");
}
