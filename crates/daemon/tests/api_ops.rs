//! The API's operational side with real peers in network namespaces (see
//! common/): `/metrics` scraped over HTTP while BIRD feeds routes (prefix
//! counts, RIB sizes, UPDATE latency, NOTIFICATIONs by code, API calls and
//! errors per method), `rbgpctl watch --events` while BIRD is disabled and
//! enabled from either side, a disable that survives SIGKILL + restart,
//! GlobalService.SetGlobal (sessions reset only when their OPEN changes,
//! stored fields win over the file after a restart), and peer groups and
//! dynamic ranges added through the API with GoBGP connecting into the
//! range.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use rbgp_testkit::bird_since;

/// rbgpd with BIRD (AS 65002) as its neighbor and /metrics on loopback
/// inside its namespace. No graceful restart: a session reset drops routes.
fn config() -> String {
    with_global(
        "[[neighbors]]\naddress = \"10.88.0.2\"\nremote_asn = 65002\nfamilies = [\"ipv4_unicast\"]\ngraceful_restart = false\n\n[metrics]\nlisten = \"127.0.0.1:9179\"\n",
    )
}

/// BIRD's session `dut` to rbgpd (expecting AS 65001), with three routes.
fn bird_with_routes(lab: &mut Lab) {
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route 100.64.1.0/24 blackhole; route 100.64.2.0/24 blackhole; route 100.64.3.0/24 blackhole; }}\n{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; };\n")
    ));
}

fn bird_line(lab: &Lab) -> String {
    lab.bird_protocol("dut")
}

fn wait_bird_up(lab: &Lab) {
    lab.bird_established("dut");
}

fn scrape(lab: &Lab) -> String {
    lab.run_in("d", "curl -sf http://127.0.0.1:9179/metrics")
}

/// The value of one series (`name{labels}` exactly as exposed).
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Assert one series' value.
fn expect(m: &str, series: &str, want: f64) {
    assert_eq!(metric(m, series), Some(want), "{series}:\n{m}");
}

/// `metric`, 0 when the series is not there yet.
fn value(text: &str, series: &str) -> f64 {
    metric(text, series).unwrap_or(0.0)
}

/// Wait until the scrape has `series` at `want`; the scrape.
fn wait_metric(lab: &Lab, series: &str, want: f64) -> String {
    lab.wait(&format!("{series} = {want}"), 30, || {
        let m = scrape(lab);
        (metric(&m, series) == Some(want)).then_some(m)
    })
}

/// `rbgpctl watch --events` in the background, killed on drop.
struct Watch {
    child: Child,
    out: String,
}

impl Watch {
    fn start(lab: &Lab, sock: &str) -> Watch {
        let out = lab.path("watch.out");
        let f = std::fs::File::create(&out).unwrap();
        let child = Command::new(ctl::rbgpctl())
            .args(["-s", sock, "watch", "--events"])
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap();
        Watch { child, out }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn wait_for(&self, lab: &Lab, what: &str) {
        lab.wait(&format!("watch to print {what:?}"), 30, || {
            self.text().contains(what).then_some(())
        });
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ctl_ok(sock: &str, args: &[&str]) -> String {
    let (ok, out) = ctl::ctl_args(sock, args);
    assert!(ok, "rbgpctl {args:?}: {out}");
    out
}

fn ctl_err(sock: &str, args: &[&str]) -> String {
    let (ok, out) = ctl::ctl_args(sock, args);
    assert!(!ok, "rbgpctl {args:?} should fail: {out}");
    out
}

fn wait_api(lab: &Lab, sock: &str) {
    lab.wait("rbgpd API up", 30, || {
        ctl::ctl(sock, "health").0.then_some(())
    });
}

/// Kill rbgpd with SIGKILL (it was started first) and start it again.
/// Wait until rbgpd's log (of its current run) holds `line` `n` times.
fn wait_logged(lab: &Lab, line: &str, n: usize) {
    lab.wait(&format!("{n} x \"{line}\" in rbgpd.log"), 60, || {
        (lab.log("rbgpd.log").matches(line).count() >= n).then_some(())
    });
}

fn kill_and_restart(lab: &mut Lab, config: &str, sock: &str) {
    lab.kill_and_restart_rbgpd(config);
    wait_api(lab, sock);
}

#[test]
fn metrics_events_and_a_disable_that_survives_sigkill() {
    let mut lab = Lab::new("m");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    let conf = config();
    lab.rbgpd(&conf);
    wait_api(&lab, &sock);
    let watch = Watch::start(&lab, &sock);
    bird_with_routes(&mut lab);
    wait_bird_up(&lab);

    // BIRD's three routes: received, in the Loc-RIB, through the latency
    // histogram.
    let recv = r#"rbgp_peer_prefixes{peer="10.88.0.2",family="ipv4_unicast",kind="received"}"#;
    let m = wait_metric(&lab, recv, 3.0);
    expect(&m, r#"rbgp_peer_state{peer="10.88.0.2"}"#, 6.0);
    expect(
        &m,
        r#"rbgp_peer_prefixes{peer="10.88.0.2",family="ipv4_unicast",kind="accepted"}"#,
        3.0,
    );
    expect(&m, r#"rbgp_rib_routes{family="ipv4_unicast"}"#, 3.0);
    expect(&m, r#"rbgp_rib_paths{family="ipv4_unicast"}"#, 3.0);
    // One set for BIRD's three routes (same attributes).
    expect(&m, "rbgp_rib_attribute_sets", 1.0);
    let updates_in = value(
        &m,
        r#"rbgp_peer_messages_total{peer="10.88.0.2",direction="in",type="update"}"#,
    );
    assert!(updates_in >= 1.0, "{m}");
    // Every UPDATE received in Established went through the histogram.
    let timed = value(&m, "rbgp_update_latency_seconds_count");
    assert!(timed >= 1.0 && timed <= updates_in, "{m}");
    expect(
        &m,
        r#"rbgp_update_latency_seconds_bucket{le="+Inf"}"#,
        timed,
    );
    let sum = value(&m, "rbgp_update_latency_seconds_sum");
    assert!(
        sum > 0.0 && sum < timed * 5.0,
        "implausible latency sum {sum}: {m}"
    );

    // API calls and errors per method.
    let get = r#"rbgp_api_requests_total{method="rbgp.v1.NeighborService/GetNeighbor"}"#;
    let before = value(&m, get);
    ctl_ok(&sock, &["neighbor", "10.88.0.2"]);
    let m = scrape(&lab);
    assert_eq!(value(&m, get), before + 1.0, "{m}");
    let out = ctl_err(
        &sock,
        &[
            "rib",
            "add",
            "10.0.0.0/24",
            "--nexthop",
            "10.88.0.1",
            "--community",
            "70000:1",
        ],
    );
    assert!(out.contains("path.communities[0]"), "{out}");
    let m = scrape(&lab);
    expect(
        &m,
        r#"rbgp_api_errors_total{method="rbgp.v1.InjectionService/AddPath",code="INVALID_ARGUMENT"}"#,
        1.0,
    );
    expect(
        &m,
        r#"rbgp_api_requests_total{method="rbgp.v1.InjectionService/AddPath"}"#,
        1.0,
    );
    // A successful call is not an error.
    ctl_ok(
        &sock,
        &["rib", "add", "203.0.113.0/24", "--nexthop", "10.88.0.1"],
    );
    lab.bird_routes("", "203.0.113.0/24");
    let m = wait_metric(
        &lab,
        r#"rbgp_peer_prefixes{peer="10.88.0.2",family="ipv4_unicast",kind="advertised"}"#,
        1.0,
    );
    expect(
        &m,
        r#"rbgp_api_errors_total{method="rbgp.v1.InjectionService/AddPath",code="INVALID_ARGUMENT"}"#,
        1.0,
    );
    expect(&m, r#"rbgp_rib_routes{family="ipv4_unicast"}"#, 4.0);
    expect(
        &m,
        r#"rbgp_api_requests_total{method="rbgp.v1.InjectionService/AddPath"}"#,
        2.0,
    );

    // Disabled from our side with a shutdown communication: Cease 6/2 sent,
    // and the session events on the watch.
    let sent =
        r#"rbgp_peer_notifications_total{peer="10.88.0.2",direction="sent",code="6",subcode="2"}"#;
    assert_eq!(metric(&m, sent), None, "{m}");
    ctl_ok(
        &sock,
        &[
            "neighbor",
            "10.88.0.2",
            "disable",
            "--message",
            "maintenance-window",
        ],
    );
    lab.wait("BIRD's session to go down", 30, || {
        (!bird_line(&lab).contains("Established")).then_some(())
    });
    let m = wait_metric(&lab, sent, 1.0);
    expect(
        &m,
        r#"rbgp_peer_messages_total{peer="10.88.0.2",direction="out",type="notification"}"#,
        1.0,
    );
    assert_eq!(
        value(&m, r#"rbgp_peer_flaps_total{peer="10.88.0.2"}"#),
        1.0,
        "{m}"
    );
    expect(&m, r#"rbgp_rib_routes{family="ipv4_unicast"}"#, 1.0);
    let bird_says = lab.birdc("show protocols all dut") + &lab.log("bird.log");
    assert!(bird_says.contains("maintenance-window"), "{bird_says}");
    watch.wait_for(&lab, "10.88.0.2 NOTIFICATION sent");
    watch.wait_for(&lab, "10.88.0.2 Established -> Idle");
    let w = watch.text();
    assert!(w.contains("maintenance-window"), "{w}");

    ctl_ok(&sock, &["neighbor", "10.88.0.2", "enable"]);
    wait_bird_up(&lab);
    lab.wait("a second Established on the watch", 30, || {
        (watch.text().matches("-> Established").count() >= 2).then_some(())
    });

    // Disabled from BIRD's side with a shutdown communication: Cease 6/2
    // received, its RFC 9003 message shown by rbgpctl.
    lab.birdc("'disable dut \"bird-maintenance\"'");
    let received = r#"rbgp_peer_notifications_total{peer="10.88.0.2",direction="received",code="6",subcode="2"}"#;
    wait_metric(&lab, received, 1.0);
    let shown = ctl_ok(&sock, &["neighbor", "10.88.0.2"]);
    assert!(
        shown
            .lines()
            .any(|l| l.contains("NOTIFICATION received") && l.contains("bird-maintenance")),
        "{shown}"
    );
    watch.wait_for(&lab, "10.88.0.2 NOTIFICATION received");
    lab.birdc("enable dut");
    wait_bird_up(&lab);

    // A disable is stored: it holds after SIGKILL and restart.
    ctl_ok(&sock, &["neighbor", "10.88.0.2", "disable"]);
    lab.wait("BIRD's session to go down", 30, || {
        (!bird_line(&lab).contains("Established")).then_some(())
    });
    drop(watch);
    kill_and_restart(&mut lab, &conf, &sock);
    let shown = ctl_ok(&sock, &["--json", "neighbor", "10.88.0.2"]);
    assert!(shown.contains("\"admin_down\": true"), "{shown}");
    // BIRD retries every 2 s; rbgpd refuses while disabled.
    wait_logged(
        &lab,
        "connection refused: neighbor disabled or held down",
        2,
    );
    assert!(
        !bird_line(&lab).contains("Established"),
        "{}",
        bird_line(&lab)
    );
    ctl_ok(&sock, &["neighbor", "10.88.0.2", "enable"]);
    wait_bird_up(&lab);
    // ... and so is the enable.
    kill_and_restart(&mut lab, &conf, &sock);
    wait_bird_up(&lab);
}

#[test]
fn set_global_resets_affected_sessions_and_is_stored() {
    let mut lab = Lab::new("s");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    let conf = config();
    lab.rbgpd(&conf);
    bird_with_routes(&mut lab);
    wait_api(&lab, &sock);
    wait_bird_up(&lab);

    // Bad values name the field; nothing changes.
    let out = ctl_err(&sock, &["global", "set", "--router-id", "0.0.0.0"]);
    assert!(
        out.contains("InvalidArgument") && out.contains("router_id"),
        "{out}"
    );
    let out = ctl_err(&sock, &["global", "set", "--router-id", "not-an-address"]);
    assert!(
        out.contains("InvalidArgument") && out.contains("router_id"),
        "{out}"
    );
    let out = ctl_err(&sock, &["global", "set", "--asn", "0"]);
    assert!(
        out.contains("InvalidArgument") && out.contains("asn"),
        "{out}"
    );
    let out = ctl_err(&sock, &["global", "set", "--asn", "23456"]);
    assert!(
        out.contains("InvalidArgument") && out.contains("asn"),
        "{out}"
    );

    // The same values: no session is touched.
    let before = bird_line(&lab);
    ctl_ok(
        &sock,
        &[
            "global",
            "set",
            "--router-id",
            "10.88.0.1",
            "--asn",
            "65001",
        ],
    );
    std::thread::sleep(Duration::from_secs(3));
    // BIRD may move its line's time by a millisecond well after the
    // session came up (seen: .950 read twice 500 ms apart, .951 3 s
    // later, one session in both logs), so a reset is told by the time
    // moving by more than that, and by rbgpd establishing again.
    let after = bird_line(&lab);
    assert!(after.contains("Established"), "{after}");
    let gap = (bird_since(&after) - bird_since(&before)).abs();
    assert!(
        gap < 0.5,
        "an unchanged identity reset the session: {before} -> {after}"
    );
    let log = lab.log("rbgpd.log");
    assert_eq!(
        log.matches("session established peer=10.88.0.2").count(),
        1,
        "an unchanged identity reset the session"
    );

    // A new router ID: BIRD sees it in a new OPEN.
    let out = ctl_ok(&sock, &["global", "set", "--router-id", "10.88.0.99"]);
    assert!(out.contains("router ID 10.88.0.99"), "{out}");
    lab.wait("BIRD to see router ID 10.88.0.99", 60, || {
        let all = lab.birdc("show protocols all dut");
        (all.contains("Established") && all.contains("10.88.0.99")).then_some(())
    });

    // A new AS: BIRD (expecting 65001) refuses the OPEN, so the new AS was
    // sent.
    ctl_ok(&sock, &["global", "set", "--asn", "65010"]);
    lab.wait("BIRD to refuse AS 65010", 60, || {
        let all = lab.birdc("show protocols all dut") + &lab.log("bird.log");
        all.contains("65010").then_some(())
    });
    assert!(!bird_line(&lab).contains("Established"));

    // After SIGKILL and restart with the file's AS 65001 and router ID
    // 10.88.0.1, the stored fields win.
    kill_and_restart(&mut lab, &conf, &sock);
    let g = ctl_ok(&sock, &["global"]);
    assert!(
        g.contains("AS 65010") && g.contains("router ID 10.88.0.99"),
        "{g}"
    );
    // Back to 65001 through the API; the stored router ID stays.
    ctl_ok(&sock, &["global", "set", "--asn", "65001"]);
    lab.wait("BIRD established with 10.88.0.99 again", 60, || {
        let all = lab.birdc("show protocols all dut");
        (all.contains("Established") && all.contains("10.88.0.99")).then_some(())
    });
    // Routes flow with the new identity: our eBGP path carries AS 65001.
    ctl_ok(
        &sock,
        &["rib", "add", "203.0.113.0/24", "--nexthop", "10.88.0.1"],
    );
    let all = lab.bird_routes("", "203.0.113.0/24");
    assert!(
        bird_route(&all, "203.0.113.0/24").contains("BGP.as_path: 65001"),
        "{all}"
    );
    let g = ctl_ok(&sock, &["global"]);
    assert!(
        g.contains("AS 65001") && g.contains("router ID 10.88.0.99"),
        "{g}"
    );
}

#[test]
fn peer_groups_and_dynamic_ranges_through_the_api() {
    let mut lab = Lab::new("y");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    let conf = with_global("");
    lab.rbgpd(&conf);
    wait_api(&lab, &sock);
    // BIRD connects to rbgpd, which has no neighbor for it yet; it
    // retries every second (GoBGP waits 5-10 s between attempts).
    lab.bird(
        "protocol bgp dut {\n  local as 65003; neighbor 10.88.0.1 as 65001; hold time 30;\n  \
         connect delay time 1; connect retry time 1; error wait time 1, 1;\n  \
         ipv4 { import all; export all; };\n}\n",
    );

    let out = ctl_err(
        &sock,
        &["dynamic", "add", "10.88.0.0/24", "--group", "customers"],
    );
    assert!(
        out.contains("InvalidArgument") && out.contains("range.peer_group"),
        "{out}"
    );
    ctl_ok(
        &sock,
        &[
            "peer-group",
            "add",
            "customers",
            "--asn",
            "65003",
            "--family",
            "ipv4_unicast",
            "--description",
            "cust-range",
        ],
    );
    let groups = ctl_ok(&sock, &["peer-group"]);
    assert!(
        groups.contains("customers") && groups.contains("65003"),
        "{groups}"
    );
    // BIRD knocks; with no range yet it is turned away.
    wait_logged(&lab, "connection from an unconfigured address closed", 2);
    assert!(!bird_line(&lab).contains("Established"));

    ctl_ok(
        &sock,
        &["dynamic", "add", "10.88.0.0/24", "--group", "customers"],
    );
    let ranges = ctl_ok(&sock, &["dynamic"]);
    assert!(
        ranges.contains("10.88.0.0/24") && ranges.contains("customers"),
        "{ranges}"
    );
    wait_bird_up(&lab);
    let table = ctl_ok(&sock, &["neighbor"]);
    assert!(
        table.contains("10.88.0.2")
            && table.contains("cust-range")
            && table.contains("Established"),
        "{table}"
    );
    ctl_ok(
        &sock,
        &["rib", "add", "198.51.100.0/24", "--nexthop", "10.88.0.1"],
    );
    lab.bird_routes("", "198.51.100.0/24");

    let out = ctl_err(&sock, &["peer-group", "delete", "customers"]);
    assert!(out.contains("FailedPrecondition"), "{out}");

    // Both are stored: after SIGKILL BIRD gets in through the range again.
    kill_and_restart(&mut lab, &conf, &sock);
    wait_bird_up(&lab);
    lab.bird_routes("", "198.51.100.0/24");

    // Deleting the range closes the session it made and refuses new ones.
    ctl_ok(&sock, &["dynamic", "delete", "10.88.0.0/24"]);
    lab.wait("BIRD's session to close", 30, || {
        (!bird_line(&lab).contains("Established")).then_some(())
    });
    let refused = lab
        .log("rbgpd.log")
        .matches("connection from an unconfigured address closed")
        .count();
    wait_logged(
        &lab,
        "connection from an unconfigured address closed",
        refused + 2,
    );
    assert!(!bird_line(&lab).contains("Established"));
    let table = ctl_ok(&sock, &["neighbor"]);
    assert!(!table.contains("10.88.0.2"), "{table}");
    let out = ctl_err(&sock, &["dynamic", "delete", "10.88.0.0/24"]);
    assert!(out.contains("NotFound"), "{out}");

    ctl_ok(&sock, &["peer-group", "delete", "customers"]);
    let groups = ctl_ok(&sock, &["peer-group"]);
    assert!(!groups.contains("customers"), "{groups}");
    kill_and_restart(&mut lab, &conf, &sock);
    let groups = ctl_ok(&sock, &["peer-group"]);
    assert!(!groups.contains("customers"), "{groups}");
    let ranges = ctl_ok(&sock, &["dynamic"]);
    assert!(!ranges.contains("10.88.0.0/24"), "{ranges}");
}

#[test]
fn bulk_add_stops_at_a_bad_path_and_keeps_the_batches_before() {
    let mut lab = Lab::new("p");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    let conf = config();
    lab.rbgpd(&conf);
    wait_api(&lab, &sock);
    // 25 paths in batches of 10; the 23rd (paths[22]) is bad.
    let mut lines = String::new();
    for i in 0..25 {
        let c = if i == 22 { "70000:1" } else { "65001:1" };
        lines += &format!("10.9.{i}.0/24 10.88.0.1 {c}\n");
    }
    let file = lab.write("bulk.txt", &lines);
    let out = ctl_err(&sock, &["rib", "add-bulk", &file, "--batch", "10"]);
    assert!(
        out.contains("InvalidArgument") && out.contains("paths[22].communities[0]"),
        "{out}"
    );
    let rib = ctl_ok(&sock, &["rib", "10.9.0.0/16", "--longer"]);
    for i in 0..20 {
        assert!(rib.contains(&format!("10.9.{i}.0/24")), "{rib}");
    }
    for i in 20..25 {
        assert!(!rib.contains(&format!("10.9.{i}.0/24")), "{rib}");
    }
    // Stored as well: after SIGKILL the same 20 are back.
    kill_and_restart(&mut lab, &conf, &sock);
    let rib = ctl_ok(&sock, &["rib", "10.9.0.0/16", "--longer"]);
    assert_eq!(rib.matches("10.9.").count(), 20, "{rib}");
}
