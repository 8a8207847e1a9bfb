//! The API end to end with real peers (BIRD 2 and GoBGP in network
//! namespaces, see common/): routes injected with `rbgpctl rib add` reach
//! both with every attribute, `rib delete` withdraws, a FlowSpec rule
//! reaches GoBGP with its actions, a neighbor added at runtime comes up
//! (and goes away on delete) without disturbing the other session, and
//! after SIGKILL and restart the peers get the acknowledged routes, rules
//! and neighbors again while deleted ones stay deleted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;
use rbgp_testkit::bird_since;

fn config(state: &str) -> String {
    format!(
        r#"
[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "{state}"
import_policy = ["accept_all"]
export_policy = ["accept_all"]

# No graceful restart: BIRD must drop our routes when rbgpd dies, so that
# seeing them again proves they were restored.
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
families = ["ipv4_unicast"]
graceful_restart = false
"#
    )
}

/// BIRD's `show protocols` line of the session (state and since-time).
fn bird_session_line(lab: &Lab) -> String {
    lab.bird_protocol("dut")
}

#[test]
fn injected_routes_and_rules_reach_peers_and_survive_sigkill() {
    let mut lab = Lab::new("i");
    let state = lab.path("state");
    let sock = format!("unix://{state}/rbgpd.sock");
    let ctl = |args: &str| {
        let (ok, out) = ctl::ctl(&sock, args);
        assert!(ok, "rbgpctl {args}: {out}");
        out
    };
    lab.rbgpd(&config(&state));
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route 100.64.2.0/24 blackhole; }}\n{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; };\n")
    ));
    let bird_before = lab.bird_established("dut");

    // A neighbor added at runtime: GoBGP with FlowSpec.
    lab.wait("rbgpd API up", 20, || {
        ctl::ctl(&sock, "health").0.then_some(())
    });
    ctl("neighbor 10.88.0.3 add --asn 65003 --family ipv4_unicast --family ipv4_flowspec --description gobgp");
    lab.gobgp(65003, &["ipv4-unicast", "ipv4-flowspec"]);
    let table = ctl("neighbor");
    assert!(
        table.contains("10.88.0.3") && table.contains("gobgp") && table.contains("Established"),
        "{table}"
    );

    let (ok, out) = ctl::ctl_args(
        &sock,
        &[
            "rib",
            "add",
            "203.0.113.0/24",
            "--nexthop",
            "10.88.0.1",
            "--community",
            "65535:666",
            "--community",
            "65001:7",
            "--large-community",
            "65001:1:2",
            "--ext-community",
            "rt:65001:100",
            "--med",
            "50",
            "--as-path",
            "65010 65020",
        ],
    );
    assert!(ok, "{out}");
    ctl("rib add 198.51.100.0/24 --nexthop 10.88.0.1");
    ctl("flowspec add destination 192.0.2.0/24 protocol =17 destination-port =53 then rate 1000 redirect 65001:666 mark 10");

    // BIRD and GoBGP get the route with every attribute.
    let all = lab.bird_routes("", "203.0.113.0/24");
    let ours = bird_route(&all, "203.0.113.0/24");
    for want in [
        "BGP.as_path: 65001 65010 65020",
        "BGP.med: 50",
        "(65535,666)",
        "(65001,7)",
        "(65001, 1, 2)",
        "(rt, 65001, 100)",
        "BGP.next_hop: 10.88.0.1",
    ] {
        assert!(ours.contains(want), "BIRD lacks {want}:\n{ours}");
    }
    let g = lab.gobgp_route("ipv4", "203.0.113.0/24");
    for want in ["65001 65010 65020", "65001:7", "65001:1:2", "{Med: 50}"] {
        assert!(g.contains(want), "GoBGP lacks {want}:\n{g}");
    }
    assert!(
        g.contains("65535:666") || g.to_lowercase().contains("blackhole"),
        "{g}"
    );
    lab.gobgp_route("ipv4", "198.51.100.0/24");

    // The rule with its actions at GoBGP.
    let fs = lab.gobgp_route("ipv4-flowspec", "192.0.2.0/24");
    for want in [
        "[destination: 192.0.2.0/24]",
        "[protocol: ==udp]",
        "[destination-port: ==53]",
        "rate: 1000",
        "redirect: 65001:666",
        "remark: 10",
    ] {
        assert!(fs.contains(want), "GoBGP FlowSpec lacks {want}:\n{fs}");
    }

    // The RIB views through the API.
    let received = ctl("rib received 10.88.0.2");
    assert!(received.contains("100.64.2.0/24"), "{received}");
    let advertised = ctl("rib advertised 10.88.0.3");
    assert!(
        advertised.contains("203.0.113.0/24") && advertised.contains("198.51.100.0/24"),
        "{advertised}"
    );
    let explained = ctl("rib 100.64.2.0/24 --explain");
    assert!(
        explained.contains("best") && explained.contains("10.88.0.2"),
        "{explained}"
    );

    // Delete: withdrawn from both peers.
    ctl("rib delete 198.51.100.0/24");
    lab.wait("BIRD to drop 198.51.100.0/24", 30, || {
        (!lab.birdc("show route").contains("198.51.100.0/24")).then_some(())
    });
    lab.wait("GoBGP to drop 198.51.100.0/24", 30, || {
        (!lab
            .gobgp_cli("global rib -a ipv4")
            .contains("198.51.100.0/24"))
        .then_some(())
    });
    let now = bird_session_line(&lab);
    assert!(
        now.contains("Established") && (bird_since(&now) - bird_since(&bird_before)).abs() < 0.5,
        "adding GoBGP disturbed BIRD's session: {bird_before} -> {now}"
    );

    // SIGKILL: no chance to save anything now. BIRD drops our routes.
    lab.children[0].kill().unwrap();
    lab.children[0].wait().unwrap();
    lab.wait("BIRD to lose 203.0.113.0/24", 60, || {
        (!lab.birdc("show route").contains("203.0.113.0/24")).then_some(())
    });
    lab.rbgpd(&config(&state));
    let after = lab.bird_routes("", "203.0.113.0/24");
    assert!(
        bird_route(&after, "203.0.113.0/24").contains("(65535,666)"),
        "{after}"
    );
    // The API-added neighbor is back, and so are the route and the rule.
    lab.wait(
        "GoBGP to re-establish with the restored neighbor",
        60,
        || lab.gobgp_cli("neighbor").contains("Establ").then_some(()),
    );
    lab.gobgp_route("ipv4", "203.0.113.0/24");
    lab.gobgp_route("ipv4-flowspec", "192.0.2.0/24");
    // What was deleted before the crash stays deleted.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        !lab.birdc("show route").contains("198.51.100.0/24"),
        "a deleted route came back"
    );
    assert!(
        !lab.gobgp_cli("global rib -a ipv4")
            .contains("198.51.100.0/24"),
        "a deleted route came back"
    );
    let listed = ctl("flowspec list");
    assert!(listed.contains("destination 192.0.2.0/24"), "{listed}");

    // Runtime delete: GoBGP's session goes, BIRD's stays up.
    let bird_up = bird_session_line(&lab);
    ctl("neighbor 10.88.0.3 delete");
    lab.wait("GoBGP's session to close", 30, || {
        (!lab.gobgp_cli("neighbor").contains("Establ")).then_some(())
    });
    let (ok, out) = ctl::ctl(&sock, "neighbor 10.88.0.3");
    assert!(!ok && out.contains("NotFound"), "{out}");
    let now = bird_session_line(&lab);
    assert!(
        now.contains("Established") && (bird_since(&now) - bird_since(&bird_up)).abs() < 0.5,
        "deleting GoBGP disturbed BIRD's session: {bird_up} -> {now}"
    );
}
