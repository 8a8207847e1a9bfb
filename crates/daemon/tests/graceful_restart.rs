//! RFC 4724 graceful-restart helper against BIRD 2: when BIRD dies, its
//! routes stay in rbgpd (stale) and keep being advertised to GoBGP; when
//! BIRD comes back in recovery mode, what it no longer announces is swept
//! at its End-of-RIB; when it does not come back, everything it sent goes
//! after its restart time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use std::time::{Duration, Instant};

const RBGPD: &str = r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
hold_time = 30

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
"#;

fn bird_conf(routes: &[&str], restart_time: u32) -> String {
    let statics: String = routes
        .iter()
        .map(|r| format!("  route {r} blackhole;\n"))
        .collect();
    format!(
        "protocol static s4 {{ ipv4;\n{statics}}}\n{}",
        bird_session(
            "dut",
            65002,
            &format!("graceful restart on; graceful restart time {restart_time};"),
            "  ipv4 { import all; export all; };\n"
        )
    )
}

fn gobgp_has(lab: &Lab, prefix: &str) -> bool {
    lab.gobgp_cli("global rib -a ipv4").contains(prefix)
}

#[test]
fn routes_of_a_restarting_peer_are_kept_then_refreshed_or_swept() {
    let mut lab = Lab::new("gr");
    lab.rbgpd_with_gobgp(&with_global(RBGPD), 65003, &["ipv4-unicast"]);
    lab.bird(&bird_conf(&["100.64.1.0/24", "100.64.2.0/24"], 12));
    lab.gobgp_route("ipv4", "100.64.1.0/24");
    lab.gobgp_route("ipv4", "100.64.2.0/24");

    // BIRD dies without a NOTIFICATION: its routes are kept stale.
    sh(&format!("ip netns pids {} | xargs -r kill -9", lab.ns("b")));
    lab.wait("rbgpd to keep BIRD's routes stale", 20, || {
        lab.log("rbgpd.log")
            .contains("routes kept stale")
            .then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        gobgp_has(&lab, "100.64.1.0/24") && gobgp_has(&lab, "100.64.2.0/24"),
        "stale routes must still be advertised during the restart\n{}",
        lab.diag()
    );

    // BIRD restarts in graceful-restart recovery mode without 100.64.2.0/24
    // and with 100.64.3.0/24: after its End-of-RIB only the new set is left.
    lab.bird_in(
        "b",
        "10.88.0.2",
        &bird_conf(&["100.64.1.0/24", "100.64.3.0/24"], 12),
        &["-R"],
        "bird2.out",
    );
    lab.gobgp_route("ipv4", "100.64.3.0/24");
    lab.wait("the route BIRD no longer announces to be swept", 30, || {
        (!gobgp_has(&lab, "100.64.2.0/24")).then_some(())
    });
    assert!(gobgp_has(&lab, "100.64.1.0/24"), "{}", lab.diag());

    // BIRD dies again and stays down: after its restart time (12 s) its
    // routes go, not before.
    sh(&format!("ip netns pids {} | xargs -r kill -9", lab.ns("b")));
    let down = Instant::now();
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        gobgp_has(&lab, "100.64.1.0/24"),
        "swept too early\n{}",
        lab.diag()
    );
    lab.wait("BIRD's routes to go after its restart time", 30, || {
        (!gobgp_has(&lab, "100.64.1.0/24") && !gobgp_has(&lab, "100.64.3.0/24")).then_some(())
    });
    assert!(
        down.elapsed() >= Duration::from_secs(10),
        "routes removed after {:?}, before the 12 s restart time",
        down.elapsed()
    );
}
