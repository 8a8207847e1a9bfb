//! Route refresh (RFC 2918) with the enhanced variant (RFC 7313): BIRD
//! asks rbgpd for its routes again (`reload in`); rbgpd re-sends them
//! between BoRR and EoRR. BIRD sweeps at EoRR whatever was not re-sent, so
//! the routes survive only if rbgpd really re-advertised them.
//! (GoBGP's `softresetin` re-reads its own Adj-RIB-In and sends nothing.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;

#[test]
fn refresh_requests_get_the_routes_again() {
    let mut lab = Lab::new("rr");
    lab.rbgpd(&with_global(
        r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002

[[routes]]
prefix = "192.0.2.0/24"
next_hop = "10.88.0.1"

[[routes]]
prefix = "198.51.100.0/24"
next_hop = "10.88.0.1"
"#,
    ));
    lab.bird(&bird_session(
        "dut",
        65002,
        "",
        "  ipv4 { import all; export none; };\n",
    ));
    lab.bird_routes("", "198.51.100.0/24");

    // BIRD: enhanced refresh (BIRD negotiates it by default). Its stale
    // routes are swept at EoRR, so the routes are still there only if
    // rbgpd re-sent them inside BoRR/EoRR.
    let caps = lab.birdc("show protocols all dut");
    assert!(
        caps.matches("Enhanced refresh").count() >= 2,
        "not negotiated:\n{caps}"
    );
    let reload = lab.birdc("reload in dut");
    assert!(reload.contains("eload"), "{reload}\n{}", lab.diag());
    lab.wait("rbgpd to answer BIRD's refresh", 10, || {
        lab.log("rbgpd.log")
            .contains("route refresh: re-sending")
            .then_some(())
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    let r = lab.birdc("show route");
    assert!(
        r.contains("192.0.2.0/24") && r.contains("198.51.100.0/24"),
        "routes lost over an enhanced refresh:\n{r}\n{}",
        lab.diag()
    );
    assert!(
        lab.birdc("show protocols dut").contains("Established"),
        "{}",
        lab.diag()
    );
}
