//! SIGHUP reload: neighbors added, removed or changed in the file are
//! started, stopped or restarted; sessions whose settings did not change
//! are not touched; new `[[routes]]` are announced, removed ones
//! withdrawn; a broken file changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;

const BIRD_NEIGHBOR: &str = r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
"#;

const GOBGP_NEIGHBOR: &str = r#"
[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
"#;

const ROUTE_A: &str = r#"
[[routes]]
prefix = "192.0.2.0/24"
next_hop = "10.88.0.1"
"#;

const ROUTE_B: &str = r#"
[[routes]]
prefix = "198.51.100.0/24"
next_hop = "10.88.0.1"
"#;

fn established(lab: &Lab, peer: &str) -> usize {
    lab.log("rbgpd.log")
        .matches(&format!("session established peer={peer} "))
        .count()
}

fn reload(lab: &Lab, config: &str) {
    let n = lab.log("rbgpd.log").matches("SIGHUP").count();
    std::fs::write(lab.path("rbgpd.toml"), config).unwrap();
    lab.signal_rbgpd("HUP");
    lab.wait("rbgpd to process SIGHUP", 10, || {
        (lab.log("rbgpd.log").matches("SIGHUP").count() > n).then_some(())
    });
}

#[test]
fn sighup_applies_config_changes_without_touching_the_rest() {
    let mut lab = Lab::new("hu");
    lab.rbgpd(&with_global(&format!("{BIRD_NEIGHBOR}{ROUTE_A}")));
    lab.bird(&bird_session(
        "dut",
        65002,
        "",
        "  ipv4 { import all; export none; };\n",
    ));
    lab.bird_routes("", "192.0.2.0/24");
    // GoBGP tries to peer, but rbgpd does not know it yet.
    lab.gobgp_start(&gobgp_conf(65003, &["ipv4-unicast"], ""));
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(!lab.gobgp_cli("neighbor").contains("Establ"));

    // Add GoBGP and route B.
    reload(
        &lab,
        &with_global(&format!(
            "{BIRD_NEIGHBOR}{GOBGP_NEIGHBOR}{ROUTE_A}{ROUTE_B}"
        )),
    );
    lab.wait("GoBGP established after the reload", 40, || {
        lab.gobgp_cli("neighbor").contains("Establ").then_some(())
    });
    lab.gobgp_route("ipv4", "198.51.100.0/24");
    lab.bird_routes("", "198.51.100.0/24");
    assert_eq!(
        established(&lab, "10.88.0.2"),
        1,
        "BIRD's session was reset\n{}",
        lab.diag()
    );

    // A broken file: nothing changes.
    reload(&lab, "[global]\nasn = \"not a number\"\n");
    assert!(lab.log("rbgpd.log").contains("configuration not reloaded"));
    assert!(lab.gobgp_cli("neighbor").contains("Establ"));

    // Remove GoBGP and route A, change BIRD's hold time: GoBGP's session
    // closes, BIRD's restarts with the new setting, A is withdrawn.
    let changed = BIRD_NEIGHBOR.replace("remote_asn = 65002", "remote_asn = 65002\nhold_time = 20");
    reload(&lab, &with_global(&format!("{changed}{ROUTE_B}")));
    lab.wait("GoBGP's session to close", 20, || {
        (!lab.gobgp_cli("neighbor").contains("Establ")).then_some(())
    });
    lab.wait("BIRD's session to restart", 30, || {
        (established(&lab, "10.88.0.2") == 2).then_some(())
    });
    lab.wait("route A withdrawn at BIRD", 20, || {
        let r = lab.birdc("show route");
        (!r.contains("192.0.2.0/24") && r.contains("198.51.100.0/24")).then_some(())
    });
    assert!(
        lab.log("rbgpd.log").contains("hold=20"),
        "the new hold time is not in use\n{}",
        lab.diag()
    );
}
