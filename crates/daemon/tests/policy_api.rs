//! Policy through the API against real peers: BIRD, GoBGP and FRR each
//! announce routes to rbgpd, an eBGP neighbor of all three. With no
//! policy, RFC 8212 passes nothing; `rbgpctl policy set / attach` make
//! rbgpd accept, tag and pass routes on; `rbgpctl set add` changes a set
//! and the peers see the difference without any session resetting (the
//! routes come again by ROUTE-REFRESH); `rib received --filtered` gives
//! the reason; after `kill -9` the policy is back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod ctl;

use std::time::Duration;

use rbgp_testkit::{self as testkit, Lab, Topology};
use serde_json::Value;

const RBGPD: &str = r#"[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "STATE"

[peer_groups.members]
keep_filtered = true
hold_time = 30

[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
peer_group = "members"

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
peer_group = "members"

[[neighbors]]
address = "10.88.0.4"
remote_asn = 65004
peer_group = "members"
"#;

const POLICY: &str = r#"
[policy.sets.prefix]
bogons = ["10.0.0.0/8 le 32"]

[[policy.definitions]]
name = "members-in"
[[policy.definitions.terms]]
name = "bogons"
if = { prefix_in = "bogons" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "tag"
then = { add_communities = ["65001:100"], result = "accept" }
"#;

const BIRD: &str = r#"
protocol static { ipv4; route 100.64.2.0/24 blackhole; route 10.2.0.0/16 blackhole; }
protocol bgp rbgpd {
  local 10.88.0.2 as 65002; neighbor 10.88.0.1 as 65001; hold time 30;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv4 { import all; export where source = RTS_STATIC; };
}
"#;

const GOBGP: &str = r#"
[global.config]
  as = 65003
  router-id = "10.88.0.3"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.88.0.1"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 2
"#;

fn frr(dir: &str) -> String {
    format!(
        "frr defaults traditional
hostname r-frr
log file {dir}/bgpd.log informational
router bgp 65004
 bgp router-id 10.88.0.4
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.88.0.1 remote-as 65001
 neighbor 10.88.0.1 disable-connected-check
 neighbor 10.88.0.1 timers connect 2
 address-family ipv4 unicast
  network 100.66.1.0/24
  network 100.64.3.0/24
  network 10.4.0.0/16
 exit-address-family
exit
"
    )
}

/// GoBGP's received routes: prefix -> communities text.
fn gobgp_routes(lab: &Lab) -> Vec<(String, String)> {
    let out = lab.gobgp_in("g", "global rib -a ipv4 -j");
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let mut r = Vec::new();
    for (prefix, paths) in v.as_object().into_iter().flatten() {
        for p in paths.as_array().into_iter().flatten() {
            let src = p["source-id"].as_str().unwrap_or_default();
            if src != "10.88.0.1" {
                continue;
            }
            let comms = p["attrs"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["type"] == 8)
                .map(|a| a["communities"].to_string())
                .unwrap_or_default();
            r.push((prefix.clone(), comms));
        }
    }
    r.sort();
    r
}

fn prefixes(v: &[(String, String)]) -> Vec<&str> {
    v.iter().map(|(p, _)| p.as_str()).collect()
}

/// Every neighbor Established (`None` until then); `true` when each
/// session is the first (one OPEN received from each peer: no reset).
fn sessions_steady(lab: &Lab, sock: &str) -> Option<bool> {
    let _ = lab;
    let (ok, out) = ctl::ctl(sock, "--json neighbor");
    if !ok {
        return None;
    }
    let v: Value = serde_json::from_str(&out).ok()?;
    let all = v.as_array()?;
    let up = all.len() == 3
        && all
            .iter()
            .all(|n| n["state"] == "SESSION_STATE_ESTABLISHED");
    let opens: u64 = all
        .iter()
        .map(|n| n["messages_in"]["open"].as_u64().unwrap_or(0))
        .sum();
    up.then_some(opens == 3)
}

#[test]
fn policy_set_attached_and_changed_through_rbgpctl_without_resets() {
    let mut lab = Lab::new(&Topology {
        prefix: "p",
        test: "api",
        dir: "policy",
        hosts: &[("d", 1), ("b", 2), ("g", 3), ("r", 4)],
        v4: "10.88.0",
        v6: "fd88::",
        tools: &[
            "bird",
            "birdc",
            "gobgpd",
            "gobgp",
            "vtysh",
            testkit::FRR_BGPD,
        ],
        grace: Duration::ZERO,
    });
    let state = lab.path("state");
    let conf = lab.write("rbgpd.toml", &RBGPD.replace("STATE", &state));
    let sock = format!("unix://{state}/rbgpd.sock");
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    lab.spawn("d", &[rbgpd, &conf], "rbgpd.log");
    lab.bird_in("b", "10.88.0.2", BIRD, &[], "bird.out");
    lab.gobgpd_in("g", "gobgpd", GOBGP);
    let fdir = lab.frr_dir();
    lab.frr_bgpd("r", &frr(&fdir), &[]);
    lab.wait("all three sessions", 60, || sessions_steady(&lab, &sock));
    lab.gobgp_ok_in("g", "global rib add 100.65.1.0/24 -a ipv4");
    lab.gobgp_ok_in("g", "global rib add 10.3.0.0/16 -a ipv4");
    // RFC 8212: eBGP without policy, nothing accepted, nothing sent.
    lab.wait("rbgpd to have heard every route", 30, || {
        let (_, out) = ctl::ctl(&sock, "--json neighbor");
        let v: Value = serde_json::from_str(&out).ok()?;
        let received: u64 = v
            .as_array()?
            .iter()
            .flat_map(|n| n["counters"].as_array().cloned().unwrap_or_default())
            .map(|p| p["received"].as_u64().unwrap_or(0))
            .sum();
        (received == 7).then_some(())
    });
    assert!(gobgp_routes(&lab).is_empty(), "RFC 8212: nothing sent");
    // The policy through the API.
    let file = lab.write("policy.toml", POLICY);
    let (ok, out) = ctl::ctl(&sock, &format!("policy set {file}"));
    assert!(ok, "{out}");
    for args in [
        "policy attach --global --import members-in",
        "policy attach --global --export accept_all",
    ] {
        let (ok, out) = ctl::ctl(&sock, args);
        assert!(ok, "{args}: {out}\n{}", lab.diag());
    }
    let routes = lab.wait("GoBGP to get BIRD's and FRR's routes", 30, || {
        let r = gobgp_routes(&lab);
        (r.len() == 3).then_some(r)
    });
    assert_eq!(
        prefixes(&routes),
        ["100.64.2.0/24", "100.64.3.0/24", "100.66.1.0/24"],
        "bogons filtered"
    );
    assert!(
        routes.iter().all(|(_, c)| c.contains("4259905636")),
        "tagged 65001:100: {routes:?}"
    );
    lab.wait("BIRD to get GoBGP's and FRR's routes", 30, || {
        let r = lab.birdc("show route protocol rbgpd");
        (r.contains("100.65.1.0/24") && r.contains("100.66.1.0/24")).then_some(())
    });
    // A changed set: FRR's 100.64.3.0/24 becomes a bogon. FRR is asked to
    // send its routes again (ROUTE-REFRESH); no session resets.
    let (ok, out) = ctl::ctl_args(
        &sock,
        &[
            "set",
            "add",
            "prefix",
            "bogons",
            "10.0.0.0/8 le 32",
            "100.64.3.0/24",
        ],
    );
    assert!(ok, "{out}");
    lab.wait("GoBGP to lose 100.64.3.0/24", 30, || {
        let r = gobgp_routes(&lab);
        (prefixes(&r) == ["100.64.2.0/24", "100.66.1.0/24"]).then_some(())
    });
    assert_eq!(
        sessions_steady(&lab, &sock),
        Some(true),
        "a session reset\n{}",
        lab.diag()
    );
    let (ok, out) = ctl::ctl(&sock, "rib received 10.88.0.4 --filtered");
    assert!(ok, "{out}");
    assert!(
        out.contains("100.64.3.0/24") && out.contains("policy members-in term bogons"),
        "{out}"
    );
    assert!(out.contains("10.4.0.0/16"), "{out}");
    // TestPolicy on a route from the RIB runs import policy on what the
    // neighbor sent: a filtered route is there as policy saw it...
    let (ok, out) = ctl::ctl(
        &sock,
        "policy test --neighbor 10.88.0.4 --from 10.88.0.4 100.64.3.0/24",
    );
    assert!(
        ok && out.contains("rejected (policy members-in term bogons)"),
        "{out}"
    );
    // ...an accepted one only with keep_pre_policy (the accepted table
    // holds what the policy already changed).
    let (ok, out) = ctl::ctl(
        &sock,
        "policy test --neighbor 10.88.0.4 --from 10.88.0.4 100.66.1.0/24",
    );
    assert!(!ok && out.contains("keep_pre_policy"), "{out}");
    // Refused, changing nothing: a default on one family (a scope has
    // one per direction), a policy nobody defined.
    let (ok, out) = ctl::ctl(
        &sock,
        "policy attach --neighbor 10.88.0.2 --import --family ipv4_unicast --default accept accept_all",
    );
    assert!(!ok && out.contains("attachment.default"), "{out}");
    let (ok, out) = ctl::ctl(&sock, "policy attach --neighbor 10.88.0.2 --import nosuch");
    assert!(!ok && out.contains("nosuch"), "{out}");
    let (ok, out) = ctl::ctl(&sock, "policy attachments");
    assert!(ok && !out.contains("10.88.0.2"), "{out}");
    let (ok, out) = ctl::ctl(&sock, "--json policy");
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let hits = |term: &str| {
        v["policies"][0]["terms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == term)
            .and_then(|t| t["hits"].as_u64())
            .unwrap_or(0)
    };
    // Counted since the definitions last changed: every route evaluated again.
    assert!(hits("bogons") >= 4 && hits("tag") >= 3, "{out}");
    // kill -9: the policy is stored; after the restart the same result.
    let pid = lab.children[0].id();
    testkit::sh(&format!("kill -9 {pid}"));
    let _ = lab.children[0].wait();
    lab.spawn("d", &[rbgpd, &conf], "rbgpd2.log");
    lab.wait("the sessions after the restart", 90, || {
        sessions_steady(&lab, &sock).map(|_| ())
    });
    lab.wait("GoBGP to get the same routes again", 60, || {
        let r = gobgp_routes(&lab);
        (prefixes(&r) == ["100.64.2.0/24", "100.66.1.0/24"]).then_some(())
    });
    let (ok, out) = ctl::ctl(&sock, "policy attachments");
    assert!(
        ok && out.contains("members-in") && out.contains("accept_all"),
        "{out}"
    );
}
