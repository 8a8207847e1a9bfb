//! Bulk injection benchmark (ignored by default; scripts/bench-api.sh runs
//! it in release mode), both daemons in the same run and lab:
//!
//! 1. rbgpd: 100k routes through InjectionService.AddPaths (`rbgpctl rib
//!    add-bulk`), timed until its peers have every one: GoBGP (10.88.0.3)
//!    and BIRD (10.88.0.2, a fast receiver: it separates our export from
//!    GoBGP's own intake).
//! 2. GoBGP: the same number of routes (same prefix lengths, AS path
//!    length, one community each, 1000 attribute sets) injected with `gobgp
//!    mrt inject global` (its fastest bulk path: a gRPC AddPathStream of
//!    the MRT RIB's paths) into a gobgpd at 10.88.0.2, timed until the same
//!    receiving GoBGP (its session to rbgpd disabled, so it again has one
//!    source and no peer to pass them on to) has them all.
//! 3. GoBGP's own intake: BIRD at 10.88.0.2 sends the same number of
//!    routes to that GoBGP, timed from the session coming up until it has
//!    them all (what bounds step 1's time at GoBGP).
//!
//! Prints `BENCH` lines for docs/BENCHMARKS.md. `RBGP_BENCH_PERF=FILE`
//! records rbgpd with `perf record -g` during step 1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

const ROUTES: u32 = 100_000;

/// Distinct attribute sets (one community each) among the routes:
/// `RBGP_BENCH_SETS`, 1000 unless set.
fn sets() -> u32 {
    std::env::var("RBGP_BENCH_SETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
}

/// UPDATEs rbgpd has sent to `peer`, from /metrics.
fn updates_sent(lab: &Lab, peer: &str) -> String {
    let m = lab.run_in("d", "curl -sf http://127.0.0.1:9179/metrics");
    let series =
        format!("rbgp_peer_messages_total{{peer=\"{peer}\",direction=\"out\",type=\"update\"}} ");
    m.lines()
        .find_map(|l| l.strip_prefix(&series))
        .unwrap_or("?")
        .to_string()
}

/// GoBGP at .3 peering with rbgpd (.1) and with a GoBGP injector at .2.
fn receiver_conf() -> String {
    gobgp_conf(65003, &["ipv4-unicast"], "")
        + "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"10.88.0.2\"\n    peer-as = 65002\n  [neighbors.timers.config]\n    connect-retry = 2\n  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv4-unicast\"\n"
}

/// Poll `f` every 20 ms until it is true; the time since `start`.
fn until(start: Instant, what: &str, mut f: impl FnMut() -> bool) -> Duration {
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    start.elapsed()
}

/// The `i`th /24 counting up from `first`.0.0.0.
fn prefix(first: u32, i: u32) -> String {
    format!("{}.{}.{}.0/24", first + i / 65536, i / 256 % 256, i % 256)
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the ")" closing the command: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f[11] + f[12]) / 100.0
}

fn gobgp_destinations(lab: &Lab, n: u32) -> bool {
    lab.gobgp_cli("global rib summary -a ipv4")
        .contains(&format!("Destination: {n},"))
}

#[test]
#[ignore = "benchmark: scripts/bench-api.sh"]
fn bulk_injection_100k_routes_rbgpd_and_gobgp() {
    let mut lab = Lab::new("k");
    let state = lab.path("state");
    let sock = format!("unix://{state}/rbgpd.sock");
    lab.rbgpd(&with_global(
        "[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\n\n[[neighbors]]\naddress = \"10.88.0.2\"\nremote_asn = 65002\n\n[metrics]\nlisten = \"127.0.0.1:9179\"\n",
    ));
    lab.bird(&bird_session(
        "dut",
        65002,
        "",
        "  ipv4 { import all; export none; };\n",
    ));
    lab.gobgp_config(&receiver_conf());
    lab.wait("BIRD established", 40, || {
        lab.bird_protocol("dut")
            .contains("Established")
            .then_some(())
    });
    let mut lines = String::new();
    for i in 0..ROUTES {
        lines += &format!("{} 10.88.0.1 65001:{}\n", prefix(11, i), i % sets());
    }
    let file = lab.write("routes.txt", &lines);
    let perf = std::env::var("RBGP_BENCH_PERF").ok().map(|out| {
        Command::new("perf")
            .args(["record", "-F", "999", "-g", "-o", &out, "-p"])
            .arg(lab.rbgpd_pid().to_string())
            .spawn()
            .unwrap()
    });

    // 1. rbgpd.
    let pid = lab.rbgpd_pid();
    let cpu0 = cpu_seconds(pid);
    let start = Instant::now();
    let (ok, out) = ctl::ctl(&sock, &format!("rib add-bulk {file}"));
    assert!(ok, "{out}");
    let acked = start.elapsed();
    let bird_want = format!("{ROUTES} of {ROUTES} routes");
    let mut at_bird = None;
    let mut at_gobgp = None;
    until(start, "BIRD and GoBGP to have rbgpd's routes", || {
        if at_bird.is_none() && lab.birdc("show route count").contains(&bird_want) {
            at_bird = Some(start.elapsed());
        }
        if at_gobgp.is_none() && gobgp_destinations(&lab, ROUTES) {
            at_gobgp = Some(start.elapsed());
        }
        at_bird.is_some() && at_gobgp.is_some()
    });
    let (at_bird, at_gobgp) = (at_bird.unwrap(), at_gobgp.unwrap());
    let cpu = cpu_seconds(pid) - cpu0;
    if let Some(mut p) = perf {
        let _ = Command::new("kill")
            .args(["-INT", &p.id().to_string()])
            .status();
        let _ = p.wait();
    }
    println!(
        "BENCH rbgpd routes={ROUTES} attr_sets={} acked_s={:.3} at_bird_s={:.3} at_gobgp_s={:.3} routes_per_s={:.0} rbgpd_cpu_s={cpu:.2} updates_to_gobgp={} updates_to_bird={}",
        sets(),
        acked.as_secs_f64(),
        at_bird.as_secs_f64(),
        at_gobgp.as_secs_f64(),
        f64::from(ROUTES) / at_gobgp.as_secs_f64(),
        updates_sent(&lab, "10.88.0.3"),
        updates_sent(&lab, "10.88.0.2"),
    );

    // 2. GoBGP into GoBGP: BIRD makes way for a gobgpd injector at .2, and
    // the receiver drops rbgpd so that, as in step 1, it has one source
    // and no other peer to pass the routes on to.
    lab.gobgp_ok("neighbor 10.88.0.1 disable");
    lab.wait("GoBGP to drop rbgpd's routes", 60, || {
        gobgp_destinations(&lab, 0).then_some(())
    });
    let bird = lab.children.iter().position(|c| {
        std::fs::read(format!("/proc/{}/cmdline", c.id()))
            .is_ok_and(|c| String::from_utf8_lossy(&c).starts_with("bird"))
    });
    let mut b = lab.children.remove(bird.expect("BIRD is running"));
    b.kill().unwrap();
    b.wait().unwrap();
    lab.gobgpd_in(
        "b",
        "injector",
        "[global.config]\n  as = 65002\n  router-id = \"10.88.0.2\"\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"10.88.0.3\"\n    peer-as = 65003\n  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv4-unicast\"\n",
    );
    lab.wait("the GoBGP injector established", 60, || {
        lab.run_in("b", "gobgp -p 50051 neighbor")
            .contains("Establ")
            .then_some(())
    });
    let mrt = lab.path("routes.mrt");
    let (ok, out) = sh(&format!(
        "python3 {}/tests/data/gen_mrt_rib.py {mrt} {ROUTES} 101 10.88.0.2 65002 10000 {}",
        env!("CARGO_MANIFEST_DIR"),
        sets()
    ));
    assert!(ok, "{out}");
    let start = Instant::now();
    lab.ok_in("b", &format!("gobgp -p 50051 mrt inject global {mrt}"));
    let acked = start.elapsed();
    let at_gobgp = until(start, "GoBGP to have the injector's routes", || {
        gobgp_destinations(&lab, ROUTES)
    });
    println!(
        "BENCH gobgp routes={ROUTES} attr_sets={} method=\"gobgp mrt inject global\" acked_s={:.3} at_gobgp_s={:.3} routes_per_s={:.0}",
        sets(),
        acked.as_secs_f64(),
        at_gobgp.as_secs_f64(),
        f64::from(ROUTES) / at_gobgp.as_secs_f64()
    );

    // 3. The receiving GoBGP's own intake: BIRD at .2 (a fast sender)
    // with the same number of routes, timed from the session coming up
    // until GoBGP has them all.
    let inj = lab.children.len() - 1;
    let mut g = lab.children.remove(inj);
    g.kill().unwrap();
    g.wait().unwrap();
    lab.wait("GoBGP to drop the injector's routes", 60, || {
        gobgp_destinations(&lab, 0).then_some(())
    });
    let mut statics = String::from("protocol static s4 {\n  ipv4;\n");
    for i in 0..ROUTES {
        statics += &format!(
            "  route {} blackhole {{ bgp_community.add((65002, {})); }};\n",
            prefix(41, i),
            i % sets()
        );
    }
    statics += "}\nprotocol bgp g {\n  local as 65002; neighbor 10.88.0.3 as 65003;\n  connect delay time 1; connect retry time 2;\n  ipv4 { import none; export all; next hop self; };\n}\n";
    let _ = std::fs::remove_file(lab.path("bird.log"));
    lab.bird(&statics);
    let t0 = Instant::now();
    let up = until(t0, "BIRD's session to GoBGP", || {
        lab.gobgp_cli("neighbor")
            .lines()
            .any(|l| l.contains("10.88.0.2") && l.contains("Establ"))
    });
    let start = Instant::now();
    let all = until(start, "GoBGP to have BIRD's routes", || {
        gobgp_destinations(&lab, ROUTES)
    });
    println!(
        "BENCH gobgp-intake routes={ROUTES} attr_sets={} from=bird at_gobgp_after_established_s={:.3} (established after {:.1} s)",
        sets(),
        all.as_secs_f64(),
        up.as_secs_f64()
    );
}
