//! TCP MD5 (RFC 2385) and GTSM (RFC 5082) between rbgpd and real
//! speakers in the shared lab: sessions with matching passwords come up
//! whichever side connects, a wrong password keeps a session down while
//! the others stay up; GTSM sessions come up with BIRD's `ttl security`,
//! and a GTSM side refuses a peer that sends with TTL 1.
//!
//! Each session gets its own pair of addresses, because MD5 keys and TTL
//! checks are per remote address on both sides.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, Instant};

use common::*;

/// A BIRD session from `local` to rbgpd at `remote`, quick timers.
fn bird_peer(name: &str, local: &str, remote: &str, extra: &str) -> String {
    let ch = if local.contains(':') { "ipv6" } else { "ipv4" };
    format!(
        "protocol bgp {name} {{\n  local {local} as 65002; neighbor {remote} as 65001; hold time 30; {extra}\n  connect delay time 1; connect retry time 2; error wait time 1, 5;\n  {ch} {{ import all; export all; }};\n}}\n"
    )
}

fn up(lab: &Lab, proto: &str) -> bool {
    lab.birdc(&format!("show protocols {proto}"))
        .contains("Established")
}

/// Each of `down` stays down for `secs` while each of `up_` stays up.
fn stays_down(lab: &Lab, down: &[&str], up_: &[&str], secs: u64) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        for p in down {
            assert!(!up(lab, p), "{p} came up\n{}", lab.diag());
        }
        for p in up_ {
            assert!(up(lab, p), "{p} went down\n{}", lab.diag());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn add_addrs(lab: &Lab, ns: &str, addrs: &[&str]) {
    for a in addrs {
        lab.ok_in(ns, &format!("ip addr add {a}/24 dev eth0"));
    }
}

/// rbgpd's `[global]` listening on `listen`, and the peer group `lab`
/// (BIRD's AS, quick hold time).
fn rbgpd_head(listen: &str) -> String {
    format!(
        "[global]\nasn = 65001\nrouter_id = \"10.88.0.1\"\nlisten = {listen}\nstate_dir = \"/tmp\"\n\
         import_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]\n\n\
         [peer_groups.lab]\nremote_asn = 65002\nfamilies = [\"ipv4_unicast\"]\nhold_time = 30\n"
    )
}

/// The MD5 lab's rbgpd; `bad` completes the wrong-password neighbor.
fn md5_config(bad: &str) -> String {
    rbgpd_head(r#"["[::]:179"]"#) + &MD5_NEIGHBORS.replace("BAD", bad)
}

const MD5_NEIGHBORS: &str = r#"
[[neighbors]]
address = "10.88.0.2"
peer_group = "lab"
md5_password = "act-secret"

[[neighbors]]
address = "10.88.0.12"
peer_group = "lab"
local_address = "10.88.0.11"
passive = true
md5_password = "pas-secret"

[[neighbors]]
address = "10.88.0.22"
peer_group = "lab"
local_address = "10.88.0.21"
BAD

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
families = ["ipv4_unicast"]
md5_password = "gobgp-secret"

[[routes]]
prefix = "192.0.2.0/24"
next_hop = "10.88.0.1"
"#;

#[test]
fn md5_sessions_need_the_right_password() {
    let mut lab = Lab::new("m");
    // act: rbgpd connects; pas: BIRD connects; bad: wrong password.
    add_addrs(&lab, "d", &["10.88.0.11", "10.88.0.21"]);
    add_addrs(&lab, "b", &["10.88.0.12", "10.88.0.22"]);
    // A dual-stack listener: IPv4 peers are keyed v4-mapped on it.
    lab.rbgpd(&md5_config(r#"md5_password = "right-secret""#));
    lab.bird(&format!(
        "{}{}{}",
        bird_peer(
            "act",
            "10.88.0.2",
            "10.88.0.1",
            "password \"act-secret\"; passive on;"
        ),
        bird_peer(
            "pas",
            "10.88.0.12",
            "10.88.0.11",
            "password \"pas-secret\";"
        ),
        bird_peer(
            "bad",
            "10.88.0.22",
            "10.88.0.21",
            "password \"wrong-secret\";"
        ),
    ));
    lab.gobgp_start(
        "[global.config]\n  as = 65003\n  router-id = \"10.88.0.3\"\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"10.88.0.1\"\n    peer-as = 65001\n    auth-password = \"gobgp-secret\"\n  [neighbors.timers.config]\n    connect-retry = 2\n",
    );

    lab.wait("BIRD sessions act and pas established", 40, || {
        (up(&lab, "act") && up(&lab, "pas")).then_some(())
    });
    lab.wait("GoBGP established with its password", 40, || {
        lab.gobgp_cli("neighbor").contains("Establ").then_some(())
    });
    // Not just OPENs: routes flow over the signed session.
    let r = lab.bird_routes("protocol act", "192.0.2.0/24");
    assert!(r.contains("BGP.as_path: 65001"), "{r}");

    // The wrong password: segments are dropped (no session, no NOTIFICATION)
    // while the right ones keep going.
    stays_down(&lab, &["bad"], &["act", "pas"], 10);
    // BIRD's side shows it never got an answer, not a BGP error.
    let bad = lab.birdc("show protocols all bad");
    assert!(
        !bad.contains("Received:"),
        "a BGP message came through with the wrong password:\n{bad}"
    );

    // SIGHUP: rbgpd now waits for BIRD's connection with BIRD's password,
    // so only the key the reload puts on the listener can bring it up.
    lab.write(
        "rbgpd.toml",
        &md5_config("md5_password = \"wrong-secret\"\npassive = true"),
    );
    sh(&format!("kill -HUP {}", lab.children[0].id()));
    lab.wait("bad established after the reload", 30, || {
        up(&lab, "bad").then_some(())
    });
    assert!(up(&lab, "act") && up(&lab, "pas"), "{}", lab.diag());
}

#[test]
fn gtsm_sessions_with_bird_and_ttl_checks_enforced() {
    let mut lab = Lab::new("t");
    add_addrs(&lab, "d", &["10.88.0.31", "10.88.0.41"]);
    add_addrs(&lab, "b", &["10.88.0.32", "10.88.0.42"]);
    // v4: rbgpd connects; v6: BIRD connects to rbgpd's IPv6 listener.
    // theirs: BIRD checks TTLs, rbgpd does not (sends TTL 1, eBGP).
    // ours: rbgpd checks TTLs, BIRD sends TTL 1.
    lab.rbgpd(
        &(rbgpd_head(r#"["0.0.0.0:179", "[fd88::1]:179"]"#)
            + r#"
[[neighbors]]
address = "10.88.0.2"
peer_group = "lab"
ttl_security = true

[[neighbors]]
address = "fd88::2"
remote_asn = 65002
families = ["ipv6_unicast"]
passive = true
ttl_security = true

[[neighbors]]
address = "10.88.0.32"
peer_group = "lab"
local_address = "10.88.0.31"

[[neighbors]]
address = "10.88.0.42"
peer_group = "lab"
local_address = "10.88.0.41"
ttl_security = true
"#),
    );
    lab.bird(&format!(
        "{}{}{}{}",
        bird_peer(
            "v4",
            "10.88.0.2",
            "10.88.0.1",
            "ttl security on; passive on;"
        ),
        bird_peer("v6", "fd88::2", "fd88::1", "ttl security on;"),
        bird_peer("theirs", "10.88.0.32", "10.88.0.31", "ttl security on;"),
        bird_peer("ours", "10.88.0.42", "10.88.0.41", ""),
    ));
    lab.wait("GTSM sessions v4 and v6 established", 40, || {
        (up(&lab, "v4") && up(&lab, "v6")).then_some(())
    });
    stays_down(&lab, &["theirs", "ours"], &["v4", "v6"], 10);
}
