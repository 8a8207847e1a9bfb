//! rbgpd against real BGP speakers (BIRD 2, GoBGP and FRR from Debian,
//! ExaBGP from PyPI), each in its own network namespace on a private
//! bridge: sessions establish, IPv4 and IPv6 routes flow both ways with
//! their attributes, withdrawals propagate, route-server and
//! route-reflector rules hold, max-prefix and graceful stop send Cease.
//!
//! Needs root, iproute2, bird2, gobgpd, frr and exabgp (scripts/test.sh
//! installs them). Missing tools fail the test: an interop test never
//! passes by skipping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;

#[test]
fn bird_and_gobgp_exchange_routes_through_rbgpd() {
    let mut lab = Lab::new("a");
    lab.rbgpd(&with_global(
        r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
families = ["ipv4_unicast", "ipv6_unicast"]
hold_time = 30

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
families = ["ipv4_unicast", "ipv6_unicast"]

[[routes]]
prefix = "192.0.2.0/24"
next_hop = "10.88.0.1"
communities = ["65001:7", "65001:8"]
large_communities = ["65001:2:3"]
ext_communities = ["rt:65001:100"]
med = 50

[[routes]]
prefix = "2001:db8:1::/48"
next_hop = "fd88::1"
communities = ["65001:6"]
"#,
    ));
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole {{ bgp_community.add((65002,100)); bgp_large_community.add((65002,1,1)); }}; }}\n\
         protocol static s6 {{ ipv6; route 2001:db8:2::/48 blackhole {{ bgp_community.add((65002,600)); }}; }}\n{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; };\n  ipv6 { import all; export all; };\n")
    ));
    lab.wait("BIRD established", 40, || {
        lab.birdc("show protocols dut")
            .contains("Established")
            .then_some(())
    });
    lab.gobgp(65003, &["ipv4-unicast", "ipv6-unicast"]);
    // GoBGP originates a route once the session is up.
    lab.gobgp_ok("global rib add 100.64.3.0/24 community 65003:30 -a ipv4");

    // BIRD: our own route with every attribute, and GoBGP's via us.
    let b4 = lab.wait("BIRD to have 192.0.2.0/24 and 100.64.3.0/24", 30, || {
        let r = lab.birdc("show route all");
        (r.contains("192.0.2.0/24") && r.contains("100.64.3.0/24")).then_some(r)
    });
    let ours = bird_route(&b4, "192.0.2.0/24");
    for want in [
        "BGP.as_path: 65001",
        "BGP.med: 50",
        "(65001,7)",
        "(65001,8)",
        "(65001, 2, 3)",
        "(rt, 65001, 100)",
        "BGP.next_hop: 10.88.0.1",
    ] {
        assert!(
            ours.contains(want),
            "BIRD's view of our route lacks {want:?}:\n{ours}\n{}",
            lab.diag()
        );
    }
    let via = bird_route(&b4, "100.64.3.0/24");
    assert!(via.contains("BGP.as_path: 65001 65003"), "{via}");
    assert!(
        via.contains("(65003,30)"),
        "GoBGP's community not passed on:\n{via}"
    );
    // IPv6 both ways.
    let b6 = lab.bird_routes("table master6", "2001:db8:1::/48");
    assert!(b6.contains("(65001,6)"), "{b6}");

    // GoBGP: BIRD's routes through us, AS path and communities intact.
    let line = lab.gobgp_route("ipv4", "198.51.100.0/24");
    assert!(line.contains("65001 65002"), "{line}");
    assert!(line.contains("65002:100"), "{line}");
    let line6 = lab.gobgp_route("ipv6", "2001:db8:2::/48");
    assert!(line6.contains("65001 65002"), "{line6}");

    // Withdrawal propagates: GoBGP deletes, BIRD loses it.
    lab.gobgp_ok("global rib del 100.64.3.0/24 -a ipv4");
    lab.wait("BIRD to lose 100.64.3.0/24", 20, || {
        (!lab.birdc("show route").contains("100.64.3.0/24")).then_some(())
    });

    // Graceful stop: BIRD sees Cease / Administrative Shutdown.
    sh(&format!("kill -TERM {}", lab.children[0].id()));
    lab.wait("BIRD to see our Cease", 20, || {
        let l = lab.log("bird.log");
        (l.contains("Administrative shutdown") || l.contains("administrative shutdown"))
            .then_some(())
    });
}

#[test]
fn route_server_is_transparent_between_members() {
    let mut lab = Lab::new("r");
    lab.rbgpd(&with_global(
        r#"
[peer_groups.members]
route_server_client = true
families = ["ipv4_unicast"]

[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
peer_group = "members"

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
peer_group = "members"
"#,
    ));
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole {{ bgp_community.add((65002,100)); }}; }}\n{}",
        bird_session("rsup", 65002, "", "  ipv4 { import all; export all; };\n")
    ));
    lab.gobgp(65003, &["ipv4-unicast"]);
    lab.gobgp_ok("global rib add 100.64.3.0/24 nexthop 10.88.0.3 -a ipv4");
    // GoBGP sees BIRD's route with BIRD's AS only and BIRD's next hop.
    let line = lab.gobgp_route("ipv4", "198.51.100.0/24");
    assert!(line.contains("10.88.0.2"), "next hop not kept: {line}");
    assert!(
        !line.contains("65001"),
        "route server AS in the path: {line}"
    );
    assert!(line.contains("65002"), "{line}");
    // BIRD sees GoBGP's route the same way.
    let via = bird_route(&lab.bird_routes("", "100.64.3.0/24"), "100.64.3.0/24");
    assert!(
        via.contains("BGP.as_path: 65003") && !via.contains("65001 65003"),
        "{via}"
    );
    assert!(via.contains("BGP.next_hop: 10.88.0.3"), "{via}");
}

#[test]
fn route_reflector_sets_originator_and_cluster_list() {
    let mut lab = Lab::new("f");
    lab.rbgpd(&with_global(
        r#"
[peer_groups.clients]
remote_asn = 65001
route_reflector_client = true
families = ["ipv4_unicast"]

[[neighbors]]
address = "10.88.0.2"
peer_group = "clients"

[[neighbors]]
address = "10.88.0.3"
peer_group = "clients"
"#,
    ));
    // iBGP in BIRD is multihop unless told `direct`; next hops on the LAN.
    lab.bird(&format!(
        "protocol direct {{ ipv4; interface \"eth0\"; }}\nprotocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole; }}\n{}",
        bird_session("up1", 65001, "direct;", "  ipv4 { import all; export all; gateway direct; };\n")
    ));
    lab.gobgp(65001, &["ipv4-unicast"]);
    lab.gobgp_ok("global rib add 100.64.3.0/24 nexthop 10.88.0.3 -a ipv4");
    // BIRD learns GoBGP's route reflected: ORIGINATOR_ID = GoBGP, CLUSTER_LIST = us.
    let via = bird_route(&lab.bird_routes("", "100.64.3.0/24"), "100.64.3.0/24");
    assert!(via.contains("BGP.originator_id: 10.88.0.3"), "{via}");
    assert!(via.contains("BGP.cluster_list: 10.88.0.1"), "{via}");
    assert!(via.contains("BGP.next_hop: 10.88.0.3"), "{via}");
    // And GoBGP learns BIRD's.
    let g = lab.wait("GoBGP to have 198.51.100.0/24", 30, || {
        let r = lab.gobgp_cli("global rib -a ipv4 198.51.100.0/24 -j");
        r.contains("198.51.100.0/24").then_some(r)
    });
    assert!(
        g.contains("10.88.0.2"),
        "originator/next hop of BIRD missing: {g}"
    );
    assert!(
        g.contains("\"type\":9") && g.contains("\"type\":10"),
        "ORIGINATOR_ID / CLUSTER_LIST missing: {g}"
    );
}

#[test]
fn max_prefixes_sends_cease_1() {
    let mut lab = Lab::new("m");
    lab.rbgpd(&with_global(
        r#"
[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
max_prefixes = 2
max_prefixes_restart = 5
"#,
    ));
    lab.gobgp(65003, &[]);
    for p in ["100.64.1.0/24", "100.64.2.0/24", "100.64.3.0/24"] {
        lab.gobgp_ok(&format!("global rib add {p} -a ipv4"));
    }
    // GoBGP logs the NOTIFICATION it received: Cease (6), subcode 1.
    lab.wait("GoBGP to receive Cease/1", 30, || {
        let l = lab.log("gobgpd.log");
        l.lines()
            .any(|x| x.contains("otification") && x.contains("Code=6") && x.contains("Subcode=1"))
            .then_some(())
    });
    assert!(lab.log("rbgpd.log").contains("max_prefixes exceeded"));
    // Held down (GoBGP keeps trying every 2 s), then up again after the
    // 5 s restart timer.
    let cease = std::time::Instant::now();
    let ups = |lab: &Lab| lab.log("gobgpd.log").matches("Peer Up").count();
    assert_eq!(ups(&lab), 1);
    lab.wait(
        "the session to come back after max_prefixes_restart",
        30,
        || (ups(&lab) == 2).then_some(()),
    );
    assert!(
        cease.elapsed() >= std::time::Duration::from_secs(3),
        "re-established {:?} after the Cease: restart timer not honoured\n{}",
        cease.elapsed(),
        lab.diag()
    );
}

#[test]
fn frr_and_exabgp_exchange_routes_through_rbgpd() {
    let mut lab = Lab::new("x");
    lab.rbgpd(&with_global(
        r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003

[[routes]]
prefix = "192.0.2.0/24"
next_hop = "10.88.0.1"
communities = ["65001:7"]
large_communities = ["65001:2:3"]
"#,
    ));
    let fdir = lab.frr_dir();
    // FRR without zebra: no connected routes, so no connected check, and
    // `network` needs no import check.
    let fconf = format!(
        "frr defaults traditional
hostname r-frr
log file {fdir}/bgpd.log informational
route-map TAG permit 10
 set community 65002:100
 set large-community 65002:1:1
exit
router bgp 65002
 bgp router-id 10.88.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.88.0.1 remote-as 65001
 neighbor 10.88.0.1 disable-connected-check
 neighbor 10.88.0.1 timers connect 2
 address-family ipv4 unicast
  network 100.64.2.0/24 route-map TAG
 exit-address-family
exit
"
    );
    let logger = lab.write(
        "exa-log.py",
        "import sys\nwith open(sys.argv[1], 'a') as f:\n    for line in sys.stdin:\n        f.write(line)\n        f.flush()\n",
    );
    let econf = format!(
            "process log {{
  run python3 {logger} {};
  encoder json;
}}
neighbor 10.88.0.1 {{
  router-id 10.88.0.3;
  local-address 10.88.0.3;
  local-as 65003;
  peer-as 65001;
  hold-time 30;
  family {{ ipv4 unicast; }}
  api {{ processes [ log ]; receive {{ parsed; update; }} }}
  static {{
    route 100.64.3.0/24 next-hop self as-path [65003] med 30 community [65003:30] large-community [65003:3:3];
  }}
}}
",
        lab.path("exa-received.json")
    );
    lab.frr_bgpd("b", &fconf, &[]);
    lab.exabgp_in("g", &econf);
    // FRR gets ExaBGP's route through us, and ours, with attributes.
    let j = lab.wait("FRR to have 100.64.3.0/24 and 192.0.2.0/24", 40, || {
        let r = lab.vtysh("show bgp ipv4 unicast json");
        (r.contains("100.64.3.0/24") && r.contains("192.0.2.0/24")).then_some(r)
    });
    let detail = lab.vtysh("show bgp ipv4 unicast 100.64.3.0/24 json");
    assert!(detail.contains("65001 65003"), "{detail}");
    assert!(detail.contains("65003:30"), "{detail}");
    assert!(detail.contains("65003:3:3"), "{detail}");
    let ours = lab.vtysh("show bgp ipv4 unicast 192.0.2.0/24 json");
    assert!(
        ours.contains("65001:7") && ours.contains("65001:2:3"),
        "{ours}\n{j}"
    );
    // ExaBGP gets FRR's route through us.
    let got = lab.wait("ExaBGP to receive 100.64.2.0/24", 40, || {
        lab.log("exa-received.json")
            .lines()
            .find(|x| x.contains("100.64.2.0/24"))
            .map(String::from)
    });
    let v: serde_json::Value = serde_json::from_str(&got).unwrap();
    let attrs = &v["neighbor"]["message"]["update"]["attribute"];
    assert!(attrs["as-path"].to_string().contains("65002"), "{attrs}");
    assert!(attrs["as-path"].to_string().contains("65001"), "{attrs}");
    assert!(
        attrs["community"].to_string().contains("[65002,100]"),
        "{attrs}"
    );
    assert!(
        attrs["large-community"].to_string().contains("[65002,1,1]"),
        "{attrs}"
    );
}
