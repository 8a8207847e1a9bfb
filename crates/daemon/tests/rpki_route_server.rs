//! An IXP route server with RPKI between three real members (namespaces,
//! see common/): BIRD 2 (AS 65002, 10.88.0.2), GoBGP (AS 65003, .3) and
//! FRR (AS 65004, .4 in GoBGP's namespace: BIRD refuses next hops of its
//! own); StayRTR serves the VRPs to rbgpd. Each member announces a valid,
//! an invalid and a not-found route. The members' import policy rejects invalid routes and gives
//! valid ones LOCAL_PREF 200; every member receives the others' valid and
//! not-found routes, transparently (no route server AS, next hops kept),
//! and never an invalid one; `rbgpctl` shows each route's state and the
//! rejecting term of the invalid ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;
use serde_json::Value;

/// Per member: (name, AS, address, valid, invalid, not-found prefix).
const MEMBERS: &[(&str, u32, &str, &str, &str, &str)] = &[
    (
        "bird",
        65002,
        "10.88.0.2",
        "100.64.1.0/24",
        "100.64.2.0/24",
        "100.64.3.0/24",
    ),
    (
        "gobgp",
        65003,
        "10.88.0.3",
        "100.65.1.0/24",
        "100.65.2.0/24",
        "100.65.3.0/24",
    ),
    (
        "frr",
        65004,
        "10.88.0.4",
        "100.66.1.0/24",
        "100.66.2.0/24",
        "100.66.3.0/24",
    ),
];

/// Valid for each member's own AS; the invalid prefixes belong to AS
/// 65099; nothing covers the not-found ones.
fn vrps() -> String {
    let mut roas = Vec::new();
    for (_, asn, _, valid, invalid, _) in MEMBERS {
        roas.push(format!(
            r#"{{ "prefix": "{valid}", "maxLength": 24, "asn": "AS{asn}", "ta": "test" }}"#
        ));
        roas.push(format!(
            r#"{{ "prefix": "{invalid}", "maxLength": 24, "asn": "AS65099", "ta": "test" }}"#
        ));
    }
    format!(
        r#"{{ "metadata": {{ "buildtime": "2026-01-01T00:00:00Z" }}, "roas": [ {} ] }}"#,
        roas.join(", ")
    )
}

fn config() -> String {
    let mut c = with_global(
        r#"
[[rpki.caches]]
address = "127.0.0.1"
port = 3323

[peer_groups.members]
route_server_client = true
families = ["ipv4_unicast"]
keep_filtered = true
import_policy = ["rs-in"]
export_policy = ["accept_all"]

[[policy.definitions]]
name = "rs-in"
default = "accept"
[[policy.definitions.terms]]
name = "rpki-invalid"
if = { rpki = ["invalid"] }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "prefer-valid"
if = { rpki = ["valid"] }
then = { local_pref = 200, result = "accept" }
"#,
    );
    for (_, asn, addr, ..) in MEMBERS {
        c += &format!(
            "\n[[neighbors]]\naddress = \"{addr}\"\nremote_asn = {asn}\npeer_group = \"members\"\n"
        );
    }
    c
}

/// FRR as AS 65004 from 10.88.0.4 (in GoBGP's namespace; it connects and
/// does not listen). A route server does not put its AS first; FRR 8
/// checks the first AS only when told to (`enforce-first-as`).
fn frr_conf(dir: &str) -> String {
    let (_, _, _, v, i, n) = MEMBERS[2];
    format!(
        "frr defaults traditional\nhostname rs-frr\nlog file {dir}/bgpd.log informational\n\
         router bgp 65004\n bgp router-id 10.88.0.4\n no bgp ebgp-requires-policy\n \
         no bgp network import-check\n \
         neighbor 10.88.0.1 remote-as 65001\n neighbor 10.88.0.1 update-source 10.88.0.4\n \
         neighbor 10.88.0.1 disable-connected-check\n neighbor 10.88.0.1 timers connect 2\n \
         address-family ipv4 unicast\n  network {v}\n  network {i}\n  network {n}\n \
         exit-address-family\nexit\n"
    )
}

/// What a member has from the route server: prefix -> (AS path, next hop).
fn received(lab: &Lab, member: &str) -> Vec<(String, String, String)> {
    let mut v = Vec::new();
    match member {
        "bird" => {
            let all = lab.birdc("show route protocol rsup all");
            // One route per "PREFIX  unicast [rsup ..." line, its attributes
            // after it.
            let mut cur: Option<(String, String, String)> = None;
            for l in all.lines() {
                let t = l.trim();
                if t.contains("unicast [rsup") {
                    if let Some(c) = cur.take() {
                        v.push(c);
                    }
                    let p = t.split_whitespace().next().unwrap_or("").to_string();
                    cur = Some((p, String::new(), String::new()));
                } else if let Some(c) = cur.as_mut() {
                    if let Some(x) = t.strip_prefix("BGP.as_path:") {
                        c.1 = x.trim().to_string();
                    } else if let Some(x) = t.strip_prefix("BGP.next_hop:") {
                        c.2 = x.trim().to_string();
                    }
                }
            }
            v.extend(cur);
        }
        "gobgp" => {
            let out = lab.gobgp_cli("global rib -a ipv4 -j");
            let j: Value = serde_json::from_str(&out).unwrap_or_default();
            for (prefix, paths) in j.as_object().into_iter().flatten() {
                for p in paths.as_array().into_iter().flatten() {
                    let attrs = p["attrs"].as_array().cloned().unwrap_or_default();
                    let path = attrs
                        .iter()
                        .find(|a| a["type"] == 2)
                        .map(|a| json_segments(&a["as_paths"]))
                        .unwrap_or_default();
                    let nh = attrs
                        .iter()
                        .find(|a| a["type"] == 3)
                        .and_then(|a| a["nexthop"].as_str())
                        .unwrap_or("")
                        .to_string();
                    if p["source-id"] != "<nil>" && !p["source-id"].is_null() {
                        v.push((prefix.clone(), path, nh));
                    }
                }
            }
        }
        _ => {
            let out = lab.vtysh("show bgp ipv4 unicast json");
            let j: Value = serde_json::from_str(&out).unwrap_or_default();
            for (prefix, paths) in j["routes"].as_object().into_iter().flatten() {
                for p in paths.as_array().into_iter().flatten() {
                    let path = p["path"].as_str().unwrap_or("").to_string();
                    let nh = p["nexthops"][0]["ip"].as_str().unwrap_or("").to_string();
                    // FRR lists its own networks too (empty path).
                    if !path.is_empty() {
                        v.push((prefix.clone(), path, nh));
                    }
                }
            }
        }
    }
    v.sort();
    v
}

/// GoBGP's `as_paths` segments as space-separated ASNs.
fn json_segments(v: &Value) -> String {
    v.as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["asns"].as_array().cloned().unwrap_or_default())
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What every member should have: the other members' valid and not-found
/// routes, with the announcing member's AS alone and its address as next
/// hop.
fn expected(member: &str) -> Vec<(String, String, String)> {
    let mut v = Vec::new();
    for (name, asn, addr, valid, _, not_found) in MEMBERS {
        if *name == member {
            continue;
        }
        for p in [valid, not_found] {
            v.push((p.to_string(), asn.to_string(), addr.to_string()));
        }
    }
    v.sort();
    v
}

/// rbgpctl's JSON for a prefix's path from `from`.
fn rib_path(sock: &str, prefix: &str) -> Value {
    let (ok, out) = ctl::ctl(sock, &format!("--json rib {prefix} --exact"));
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v[0].clone()
}

#[test]
fn route_server_with_rpki_between_bird_gobgp_and_frr() {
    let mut lab = Lab::new("rsrpki");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    let json = lab.write("vrps.json", &vrps());
    lab.stayrtr_in("d", &json, "127.0.0.1:3323", "stayrtr.log");
    lab.rbgpd(&config());
    lab.wait("rbgpd to load the VRPs", 40, || {
        let (ok, out) = ctl::ctl(&sock, "--json rpki");
        let v: Value = serde_json::from_str(&out).ok()?;
        (ok && v["status"]["vrps_ipv4"] == 6).then_some(())
    });

    let (_, _, _, bv, bi, bn) = MEMBERS[0];
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route {bv} blackhole; route {bi} blackhole; route {bn} blackhole; }}\n{}",
        bird_session("rsup", 65002, "", "  ipv4 { import all; export where proto = \"s4\"; };\n")
    ));
    lab.gobgp(65003, &["ipv4-unicast"]);
    let (_, _, _, gv, gi, gn) = MEMBERS[1];
    for p in [gv, gi, gn] {
        lab.gobgp_ok(&format!("global rib add {p} nexthop 10.88.0.3 -a ipv4"));
    }
    lab.ok_in("g", "ip addr add 10.88.0.4/24 dev eth0");
    let fdir = lab.frr_dir();
    lab.frr_bgpd("g", &frr_conf(&fdir), &["-p", "0"]);

    for (member, ..) in MEMBERS {
        let want = expected(member);
        lab.wait(&format!("{member} to have the others' routes"), 60, || {
            let got = received(&lab, member);
            (got == want).then_some(())
        });
    }

    // States and the policy at the route server.
    for (_, asn, addr, valid, invalid, not_found) in MEMBERS {
        let v = rib_path(&sock, valid);
        assert_eq!(
            v["rpki"].as_str().map(str::to_lowercase).as_deref(),
            Some("rpki_state_valid"),
            "{v}"
        );
        assert_eq!(v["path"]["local_pref"], 200, "valid routes preferred: {v}");
        assert_eq!(v["source"], *addr);
        let n = rib_path(&sock, not_found);
        assert_eq!(
            n["rpki"].as_str().map(str::to_lowercase).as_deref(),
            Some("rpki_state_not_found"),
            "{n}"
        );
        let (ok, out) = ctl::ctl(&sock, &format!("--json rib received {addr} --filtered"));
        assert!(ok, "{out}");
        let f: Value = serde_json::from_str(&out).unwrap();
        let f = f.as_array().unwrap();
        assert_eq!(f.len(), 1, "only the invalid route is filtered: {out}");
        assert_eq!(f[0]["path"]["prefix"], *invalid, "{out}");
        assert!(
            f[0].to_string().contains("policy rs-in term rpki-invalid"),
            "AS{asn}: {out}"
        );
    }
}
