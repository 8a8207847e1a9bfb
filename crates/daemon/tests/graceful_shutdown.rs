//! RFC 8326 graceful shutdown, sending side, with real peers (namespaces,
//! see common/): BIRD 2 (eBGP, 10.88.0.2) and FRR (iBGP, 10.88.0.3).
//! `rbgpctl neighbor X shutdown --graceful --wait S` sends BIRD every route
//! again with GRACEFUL_SHUTDOWN (65535:0) while the session is still up,
//! waits, then closes it with the RFC 9003 message; FRR is untouched.
//! `rbgpctl shutdown --graceful` then does the same to FRR, where iBGP
//! also gets LOCAL_PREF 0, before rbgpd stops.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::Value;

const NET: &str = "198.51.100.0/24";

fn config() -> String {
    with_global(
        r#"
[[routes]]
prefix = "198.51.100.0/24"
next_hop = "10.88.0.1"
communities = ["65001:5"]

[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
families = ["ipv4_unicast"]
graceful_restart = false

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65001
families = ["ipv4_unicast"]
graceful_restart = false
"#,
    )
}

/// FRR in namespace g, iBGP to rbgpd; no zebra, so no import check.
fn frr_conf(dir: &str) -> String {
    format!(
        "frr defaults traditional\nhostname gshut-frr\nlog file {dir}/bgpd.log informational\n\
         router bgp 65001\n bgp router-id 10.88.0.3\n no bgp network import-check\n \
         neighbor 10.88.0.1 remote-as 65001\n neighbor 10.88.0.1 timers connect 2\n\
         exit\n"
    )
}

fn bird_route(lab: &Lab) -> String {
    lab.birdc(&format!("show route all {NET}"))
}

fn bird_up(lab: &Lab) -> bool {
    lab.bird_protocol("dut").contains("Established")
}

/// FRR's path for the route: (communities, LOCAL_PREF).
fn frr_route(lab: &Lab) -> Option<(String, u64)> {
    let v: Value =
        serde_json::from_str(&lab.vtysh(&format!("show bgp ipv4 unicast {NET} json"))).ok()?;
    let p = v["paths"].get(0)?;
    Some((
        p["community"]["string"].as_str().unwrap_or("").to_string(),
        p["locPrf"].as_u64().unwrap_or(100),
    ))
}

fn frr_up(lab: &Lab) -> bool {
    lab.vtysh("show bgp neighbors 10.88.0.1 json")
        .contains("\"bgpState\":\"Established\"")
}

fn rbgpctl_bg(sock: &str, args: &[&str]) -> Child {
    Command::new(ctl::rbgpctl())
        .args(["-s", sock])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finished(c: Child) -> String {
    let out = c.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

#[test]
fn graceful_shutdown_reaches_bird_and_frr_before_the_sessions_close() {
    let mut lab = Lab::new("gshut");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    lab.rbgpd(&config());
    lab.bird(&bird_session(
        "dut",
        65002,
        "",
        "  ipv4 { import all; export none; };\n",
    ));
    let fdir = lab.frr_dir();
    lab.frr_bgpd("g", &frr_conf(&fdir), &["-p", "0"]);

    lab.wait("BIRD has the route", 60, || {
        bird_route(&lab).contains("(65001,5)").then_some(())
    });
    assert!(!bird_route(&lab).contains("(65535,0)"));
    let (c, lp) = lab.wait("FRR has the route", 60, || frr_route(&lab));
    assert!(!c.contains("graceful-shutdown"), "{c}");
    assert_eq!(lp, 100);

    // One neighbor: BIRD sees the community while the session is up.
    let ctl = rbgpctl_bg(
        &sock,
        &[
            "neighbor",
            "10.88.0.2",
            "shutdown",
            "--graceful",
            "--wait",
            "5",
            "--message",
            "planned maintenance",
        ],
    );
    lab.wait("GRACEFUL_SHUTDOWN at BIRD", 10, || {
        let r = bird_route(&lab);
        r.contains("(65535,0)").then_some(r)
    });
    assert!(
        bird_up(&lab),
        "closed before the wait: {}",
        lab.bird_protocol("dut")
    );
    let out = finished(ctl);
    assert!(out.contains("gracefully"), "{out}");
    lab.wait("BIRD's session closed", 10, || {
        (!bird_up(&lab)).then_some(())
    });
    let why = lab.birdc("show protocols all dut");
    assert!(why.contains("planned maintenance"), "{why}");
    // FRR was not part of it.
    let (c, lp) = frr_route(&lab).unwrap();
    assert!(!c.contains("graceful-shutdown") && lp == 100, "{c} {lp}");

    // The whole daemon: iBGP gets LOCAL_PREF 0 too.
    let ctl = rbgpctl_bg(&sock, &["shutdown", "--graceful", "--wait", "5"]);
    let (c, lp) = lab.wait("GRACEFUL_SHUTDOWN at FRR", 10, || {
        frr_route(&lab).filter(|(c, _)| c.contains("graceful-shutdown"))
    });
    assert!(c.contains("65001:5"), "{c}");
    assert_eq!(lp, 0, "LOCAL_PREF 0 on iBGP (RFC 8326 §4)");
    assert!(frr_up(&lab), "FRR closed before the wait");
    finished(ctl);
    lab.wait("FRR's session closed", 15, || (!frr_up(&lab)).then_some(()));
}

/// The wait is bounded and needs --graceful: bad input is refused, named,
/// and changes nothing.
#[test]
fn graceful_shutdown_requests_are_checked() {
    let mut lab = Lab::new("gsbad");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    lab.rbgpd(&config());
    lab.wait("rbgpd API up", 30, || {
        ctl::ctl(&sock, "health").0.then_some(())
    });
    let (ok, out) = ctl::ctl(&sock, "neighbor 10.88.0.2 shutdown --graceful --wait 7200");
    assert!(!ok && out.contains("graceful_wait_seconds"), "{out}");
    let (ok, out) = ctl::ctl(&sock, "neighbor 10.88.0.2 shutdown --wait 5");
    assert!(!ok && out.contains("--graceful"), "{out}");
    let (ok, out) = ctl::ctl(&sock, "neighbor 10.88.0.2");
    assert!(ok, "{out}");
    assert!(
        !out.to_lowercase().contains("disabled"),
        "nothing changed: {out}"
    );
}
