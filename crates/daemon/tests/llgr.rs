//! RFC 9494 long-lived graceful restart against BIRD 2 and GoBGP: when
//! BIRD dies, its routes are kept through its restart time, then kept
//! long-lived with LLGR_STALE for its long-lived stale time (except those
//! marked NO_LLGR), passed on to GoBGP (which negotiated LLGR) with the
//! community, and removed when that time is over.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use std::time::{Duration, Instant};

const RBGPD: &str = r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
hold_time = 30
long_lived_stale_time = 600

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
long_lived_stale_time = 600
"#;

const BIRD: &str = r#"
protocol static s4 { ipv4;
  route 100.64.1.0/24 blackhole;
  route 100.64.2.0/24 blackhole { bgp_community.add((65535, 7)); };
}
"#;

fn gobgp_llgr() -> String {
    gobgp_conf(65003, &[], "")
        + "  [neighbors.graceful-restart.config]\n    enabled = true\n    long-lived-enabled = true\n"
        + "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv4-unicast\"\n"
        + "    [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true\n"
        + "    [neighbors.afi-safis.long-lived-graceful-restart.config]\n      enabled = true\n      restart-time = 600\n"
}

/// GoBGP's line for `prefix`, if it has the route.
fn gobgp_line(lab: &Lab, prefix: &str) -> Option<String> {
    lab.gobgp_cli("global rib -a ipv4")
        .lines()
        .find(|l| l.contains(prefix))
        .map(str::to_string)
}

#[test]
fn routes_outlive_the_restart_time_marked_llgr_stale() {
    let mut lab = Lab::new("llgr");
    lab.rbgpd(&with_global(RBGPD));
    lab.bird(&format!(
        "{BIRD}{}",
        bird_session(
            "dut",
            65002,
            "graceful restart on; graceful restart time 2; long lived graceful restart on; long lived stale time 8;",
            "  ipv4 { import all; export all; };\n"
        )
    ));
    lab.gobgp_config(&gobgp_llgr());
    lab.gobgp_route("ipv4", "100.64.1.0/24");
    lab.gobgp_route("ipv4", "100.64.2.0/24");
    let before = gobgp_line(&lab, "100.64.1.0/24").unwrap();
    assert!(!before.to_lowercase().contains("llgr"), "{before}");

    // BIRD dies without a NOTIFICATION.
    sh(&format!("ip netns pids {} | xargs -r kill -9", lab.ns("b")));
    let down = Instant::now();
    // Timed when rbgpd logs it: not before BIRD's 2 s restart time.
    let began = lab.wait(
        "the restart time to end in long-lived retention",
        20,
        || {
            lab.log("rbgpd.log")
                .contains("routes kept long-lived stale")
                .then(|| down.elapsed())
        },
    );
    assert!(
        began >= Duration::from_millis(1500),
        "long-lived retention began {began:?} after the loss, before BIRD's 2 s restart time"
    );
    // NO_LLGR routes go; the others stay, with LLGR_STALE.
    let line = lab.wait("GoBGP to see the route marked LLGR_STALE", 10, || {
        gobgp_line(&lab, "100.64.1.0/24").filter(|l| l.to_lowercase().contains("llgr-stale"))
    });
    lab.wait("the NO_LLGR route to be withdrawn", 10, || {
        gobgp_line(&lab, "100.64.2.0/24").is_none().then_some(())
    });
    assert!(!line.to_lowercase().contains("no-llgr"), "{line}");

    // Gone after the long-lived stale time (8 s), not before.
    lab.wait(
        "the route to go after the long-lived stale time",
        30,
        || gobgp_line(&lab, "100.64.1.0/24").is_none().then_some(()),
    );
    assert!(
        down.elapsed() >= Duration::from_secs(9),
        "removed after {:?}, before restart time + stale time (10 s)",
        down.elapsed()
    );
}
