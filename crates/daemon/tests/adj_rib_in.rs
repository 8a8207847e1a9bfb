//! The pre-policy Adj-RIB-In (`keep_pre_policy`): what BIRD sends is listed
//! as sent, including the path import policy rejects (an AS path loop),
//! while the post-policy table and the Loc-RIB hold only what was accepted;
//! a withdrawal leaves both; neighbors without the option refuse the query.
//! A path BIRD sends with GRACEFUL_SHUTDOWN gets LOCAL_PREF 0 (RFC 8326).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;

const NEIGHBORS: &str = r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
keep_pre_policy = true

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
"#;

const BIRD: &str = r#"
protocol static s4 { ipv4;
  route 100.64.1.0/24 blackhole;
  route 100.64.2.0/24 blackhole { bgp_path.prepend(65001); };
  route 100.64.3.0/24 blackhole { bgp_community.add((65535,0)); };
}
"#;

#[test]
fn pre_policy_routes_are_listed_as_received() {
    let began = std::time::Instant::now();
    let mut lab = Lab::new("pre");
    let state = lab.path("state");
    let sock = format!("unix://{state}/rbgpd.sock");
    let ctl = |args: &str| ctl::ctl(&sock, args);
    lab.rbgpd_with_gobgp(&with_global(NEIGHBORS), 65003, &["ipv4-unicast"]);
    lab.bird(&format!(
        "{BIRD}{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; };\n")
    ));
    let pre = lab.wait("BIRD's three routes in the pre-policy table", 40, || {
        let (ok, out) = ctl("rib received 10.88.0.2 --pre-policy");
        (ok && ["100.64.1.0/24", "100.64.2.0/24", "100.64.3.0/24"]
            .iter()
            .all(|p| out.contains(p)))
        .then_some(out)
    });
    // As sent: BIRD's AS, then the 65001 it prepended (our AS: a loop).
    let looped = pre.lines().find(|l| l.contains("100.64.2.0/24")).unwrap();
    assert!(looped.contains("65002 65001"), "{pre}");

    let (ok, post) = ctl("rib received 10.88.0.2");
    assert!(ok, "{post}");
    assert!(
        post.contains("100.64.1.0/24") && post.contains("100.64.3.0/24"),
        "{post}"
    );
    assert!(
        !post.contains("100.64.2.0/24"),
        "the looped path passed import policy\n{post}"
    );
    let (ok, loc) = ctl("rib");
    assert!(ok && loc.contains("100.64.1.0/24"), "{loc}");
    assert!(!loc.contains("100.64.2.0/24"), "{loc}");

    // Paths carry their age (seconds since received).
    std::thread::sleep(std::time::Duration::from_secs(2));
    let (ok, out) = ctl("--json rib received 10.88.0.2");
    assert!(ok, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // RFC 8326 §4: BIRD's 100.64.3.0/24 carries GRACEFUL_SHUTDOWN.
    let lp = |prefix: &str| {
        let mut found = None;
        find_path(&v, prefix, &mut found);
        found.unwrap_or_else(|| panic!("no {prefix} in {out}"))["local_pref"].as_u64()
    };
    assert_eq!(lp("100.64.3.0/24"), Some(0), "{out}");
    assert_ne!(lp("100.64.1.0/24"), Some(0), "{out}");
    let ages = ages(&v);
    assert_eq!(ages.len(), 2, "{out}");
    // At least the wait above, at most the whole test so far (the first
    // rbgpctl call may have had to build rbgpctl).
    let most = began.elapsed().as_secs() + 1;
    assert!(
        ages.iter().all(|a| (2..=most).contains(a)),
        "{ages:?} (test running {most} s)\n{out}"
    );

    // A withdrawal leaves the pre-policy table too.
    lab.birdc("disable s4");
    lab.wait("the withdrawals in the pre-policy table", 20, || {
        let (ok, out) = ctl("rib received 10.88.0.2 --pre-policy");
        (ok && !out.contains("100.64.1.0/24") && !out.contains("100.64.2.0/24")).then_some(())
    });

    // A neighbor without keep_pre_policy (GoBGP, up since the start): a
    // clear refusal naming the field.
    let (ok, out) = ctl("rib received 10.88.0.3 --pre-policy");
    assert!(!ok, "{out}");
    assert!(out.contains("keep_pre_policy"), "{out}");
}

/// Every `age_seconds` in rbgpctl's JSON answer.
fn ages(v: &serde_json::Value) -> Vec<u64> {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .flat_map(|(k, x)| {
                if k == "age_seconds" {
                    x.as_u64().into_iter().collect()
                } else {
                    ages(x)
                }
            })
            .collect(),
        serde_json::Value::Array(a) => a.iter().flat_map(ages).collect(),
        _ => Vec::new(),
    }
}

/// The `path` object of `prefix` in rbgpctl's JSON answer.
fn find_path<'a>(v: &'a serde_json::Value, prefix: &str, out: &mut Option<&'a serde_json::Value>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("prefix").and_then(|p| p.as_str()) == Some(prefix) {
                *out = Some(v);
                return;
            }
            m.values().for_each(|x| find_path(x, prefix, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| find_path(x, prefix, out)),
        _ => {}
    }
}
