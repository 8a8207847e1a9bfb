//! A hostile peer (tests/data/hostile_peer.py) sends rbgpd each class of
//! malformed message: RFC 7606 treat-as-withdraw (the route it announced
//! before is withdrawn, the session stays up), attribute discard (the
//! route is kept), AFI/SAFI disable (the family's route goes, what comes
//! after in it is ignored, the session stays up), and the errors that
//! reset the session with the RFC 4271 NOTIFICATION; and resource attacks in maximal messages (1,300 tiny
//! attributes, a 600-segment AS_PATH, 1,000 communities), handled with
//! one log line each. Every attempt comes from its own address in a
//! dynamic-neighbor range; GoBGP's session must not notice any of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;

/// Scenario, expected NOTIFICATION (code, subcode) or None, and whether the
/// route announced before the malformed message survives it.
type Scenario = (&'static str, Option<(u64, u64)>, bool);

const SCENARIOS: &[Scenario] = &[
    // Nothing malformed: the UPDATE that came in the KEEPALIVE's segment
    // (every scenario sends them so) is in the RIB.
    ("none", None, true),
    ("bad_origin", None, false),
    ("bad_med_length", None, false),
    ("missing_as_path", None, false),
    ("bad_next_hop_length", None, false),
    ("bad_atomic_aggregate", None, true),
    ("bad_aggregator_length", None, true),
    ("bad_nlri", Some((3, 10)), false),
    // RFC 7606 §4: an attribute overrunning the list is treat-as-withdraw
    // (RFC 4271 would have reset the session with 3/1).
    ("attribute_overrun", None, false),
    ("bad_marker", Some((1, 1)), false),
    ("bad_length", Some((1, 2)), false),
    ("bad_type", Some((1, 3)), false),
    ("garbage", Some((1, 1)), false),
    ("bad_communities_length", None, false),
    ("bad_large_communities_length", None, false),
    ("duplicate_origin", None, true),
    // RFC 7606 §7.11: an MP_REACH_NLRI whose NLRI cannot be parsed (a
    // /33 in IPv4 unicast): the family is disabled for the session, the
    // route announced before goes and the canary after it is ignored.
    ("bad_mp_reach_nlri", None, false),
    // Resource attacks in one maximal message each: handled, kept, and
    // nothing else disturbed.
    ("tiny_attributes", None, true),
    ("long_as_path", None, true),
    ("many_communities", None, true),
];

/// Scenarios after which the session goes on without IPv4 unicast.
const FAMILY_DISABLED: &[&str] = &["bad_mp_reach_nlri"];

#[test]
fn malformed_updates_get_rfc7606_handling_and_other_sessions_stay_up() {
    let mut lab = Lab::new("hp");
    lab.rbgpd(&with_global(
        r#"
[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003

[peer_groups.hostile]
remote_asn = 65002
hold_time = 30

[[dynamic_neighbors]]
prefix = "10.88.0.32/27"
peer_group = "hostile"
"#,
    ));
    lab.gobgp(65003, &["ipv4-unicast"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hostile_peer.py");
    let mut runs = Vec::new();
    for (i, (name, _, _)) in SCENARIOS.iter().enumerate() {
        let src = format!("10.88.0.{}", 33 + i);
        lab.ok_in("b", &format!("ip addr add {src}/24 dev eth0"));
        let cmd = format!(
            "ip netns exec {} python3 {script} {src} 10.88.0.1 {name} {}",
            lab.ns("b"),
            i + 1
        );
        runs.push((
            i,
            std::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .output_async(),
        ));
    }
    let mut results = Vec::new();
    for (i, child) in &mut runs {
        // The first line is the verdict; the peer then stays connected.
        let mut line = String::new();
        let stdout = child.stdout.as_mut().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        let r = serde_json::from_str::<serde_json::Value>(line.trim()).unwrap_or_else(|e| {
            let mut err = String::new();
            if let Some(se) = child.stderr.as_mut() {
                let _ = std::io::Read::read_to_string(se, &mut err);
            }
            panic!("{}: {e}: {line:?} {err}\n{}", SCENARIOS[*i].0, lab.diag())
        });
        results.push((*i, r));
    }
    // Routes settle at GoBGP.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let rib = lab.gobgp_cli("global rib -a ipv4");
    for (i, r) in results {
        let (name, notification, kept) = SCENARIOS[i];
        let got = r["notification"]
            .as_array()
            .map(|a| (a[0].as_u64().unwrap(), a[1].as_u64().unwrap()));
        assert_eq!(
            got,
            notification,
            "{name}: NOTIFICATION {r}\n{}",
            lab.diag()
        );
        assert_eq!(
            r["open"].as_bool().unwrap(),
            notification.is_none(),
            "{name}: session state {r}"
        );
        let (route, canary) = (
            format!("100.70.{}.0/24", i + 1),
            format!("100.71.{}.0/24", i + 1),
        );
        assert_eq!(
            rib.contains(&route),
            kept,
            "{name}: {route} at GoBGP:\n{rib}\n{}",
            lab.diag()
        );
        // After an RFC 7606 repair the session goes on: the next UPDATE
        // counts, unless its family was disabled.
        assert_eq!(
            rib.contains(&canary),
            notification.is_none() && !FAMILY_DISABLED.contains(&name),
            "{name}: {canary} at GoBGP:\n{rib}"
        );
    }
    // The well-behaved session never went down and rbgpd is still there.
    let log = lab.log("rbgpd.log");
    // 1,260 duplicate attributes in one UPDATE: one log line, not 1,260.
    let tiny = SCENARIOS
        .iter()
        .position(|s| s.0 == "tiny_attributes")
        .unwrap();
    let peer = format!("peer=10.88.0.{} ", 33 + tiny);
    let lines = log
        .lines()
        .filter(|l| l.contains(&peer) && l.contains("RFC 7606"))
        .count();
    assert_eq!(lines, 1, "{log}");
    assert!(log.contains("more_in_this_update=1259"), "{log}");
    assert!(!log.contains("session down peer=10.88.0.3"), "{log}");
    let disabled = SCENARIOS
        .iter()
        .position(|s| s.0 == "bad_mp_reach_nlri")
        .unwrap();
    assert!(
        log.lines().any(|l| l.contains("AFI/SAFI disable")
            && l.contains(&format!("addr=10.88.0.{} ", 33 + disabled))),
        "{log}"
    );
    assert!(lab.gobgp_cli("neighbor").contains("Establ"));
    let _ = lab.rbgpd_pid();
    for (_, mut c) in runs {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// `Command::output` without blocking: spawn now, collect later.
trait OutputAsync {
    fn output_async(&mut self) -> std::process::Child;
}

impl OutputAsync for std::process::Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}
