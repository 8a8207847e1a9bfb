//! RFC 7911 ADD-PATH through rbgpd: BIRD sends two paths for one prefix
//! (receive side: both are kept, keyed by path id), and GoBGP with
//! ADD-PATH receive gets every path rbgpd has for it, including rbgpd's
//! own (send side); withdrawing one path removes just that one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;

/// GoBGP's lines for `prefix`.
fn paths(lab: &Lab, prefix: &str) -> Vec<String> {
    lab.gobgp_cli("global rib -a ipv4")
        .lines()
        .filter(|l| l.contains(prefix))
        .map(String::from)
        .collect()
}

#[test]
fn every_path_goes_to_an_add_path_peer() {
    let mut lab = Lab::new("ap");
    lab.rbgpd(&with_global(
        r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
add_path = { receive = true }

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
add_path = { send = "all" }

[[routes]]
prefix = "203.0.113.0/24"
next_hop = "10.88.0.1"
communities = ["65001:1"]
"#,
    ));
    // Two static protocols give BIRD two routes to the same prefix; with
    // ADD-PATH tx it exports both.
    lab.bird(&format!(
        "protocol static s1 {{ ipv4; route 203.0.113.0/24 blackhole {{ bgp_community.add((65002,1)); }}; }}\n\
         protocol static s2 {{ ipv4; route 203.0.113.0/24 blackhole {{ bgp_community.add((65002,2)); }}; }}\n{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; add paths tx; };\n")
    ));
    lab.gobgp_with(
        65003,
        &["ipv4-unicast"],
        "    [neighbors.afi-safis.add-paths.config]\n      receive = true\n",
    );
    let want = |n: usize| {
        lab.wait(
            &format!("GoBGP to have {n} paths for 203.0.113.0/24"),
            30,
            || {
                let p = paths(&lab, "203.0.113.0/24");
                (p.len() == n).then_some(p)
            },
        )
    };
    let all = want(3);
    let text = all.join("\n");
    for c in ["65001:1", "65002:1", "65002:2"] {
        assert!(
            text.contains(c),
            "path with community {c} missing:\n{text}\n{}",
            lab.diag()
        );
    }
    // One of BIRD's paths goes: GoBGP keeps the other two.
    assert!(lab.birdc("disable s2").contains("disabled"));
    let two = want(2).join("\n");
    assert!(!two.contains("65002:2"), "{two}");
    assert!(two.contains("65002:1") && two.contains("65001:1"), "{two}");
}
