//! FlowSpec (RFC 8955) through rbgpd: a rule GoBGP originates reaches BIRD
//! via rbgpd with its match components and traffic actions, and its
//! withdrawal follows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;

#[test]
fn flowspec_rule_passes_from_gobgp_to_bird() {
    let mut lab = Lab::new("fs");
    lab.rbgpd(&with_global(
        r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
families = ["ipv4_unicast", "ipv4_flowspec"]

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
families = ["ipv4_unicast", "ipv4_flowspec"]
"#,
    ));
    lab.bird(&format!(
        "flow4 table flowtab4;\n{}",
        bird_session(
            "dut",
            65002,
            "",
            "  ipv4 { import all; export none; };\n  flow4 { table flowtab4; import all; export none; };\n"
        )
    ));
    lab.gobgp(65003, &["ipv4-unicast", "ipv4-flowspec"]);
    lab.gobgp_ok(
        "global rib -a ipv4-flowspec add match destination 198.51.100.0/24 protocol tcp destination-port ==80 then rate-limit 1000",
    );
    let r = lab.wait("BIRD to have the FlowSpec rule", 30, || {
        let r = lab.birdc("show route table flowtab4 all");
        r.contains("198.51.100.0/24").then_some(r)
    });
    assert!(
        r.contains("proto 6") && r.contains("dport 80"),
        "match components lost:\n{r}"
    );
    // traffic-rate 1000 bytes/s: type 0x8006, AS 0 (GoBGP's), IEEE float 1000.0.
    assert!(
        r.contains("(generic, 0x80060000, 0x447a0000)"),
        "traffic-rate action lost:\n{r}\n{}",
        lab.diag()
    );
    assert!(r.contains("65003"), "AS path:\n{r}");

    lab.gobgp_ok(
        "global rib -a ipv4-flowspec del match destination 198.51.100.0/24 protocol tcp destination-port ==80",
    );
    lab.wait("the FlowSpec withdrawal at BIRD", 30, || {
        (!lab
            .birdc("show route table flowtab4")
            .contains("198.51.100.0/24"))
        .then_some(())
    });
}
