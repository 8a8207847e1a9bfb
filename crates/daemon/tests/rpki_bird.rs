//! Differential test of route origin validation against BIRD 2: rbgpd and
//! BIRD read the same RTR cache (StayRTR serving the shared real 2025 VRP
//! snapshot, 361,761 VRPs) and receive the same real table (RIS rrc00's
//! biggest peer of 2002, 112,986 routes, replayed by `rbgp-bench feed`).
//! Each tags every route with its state (rbgpd: policy terms on `rpki`;
//! BIRD: `roa_check()`), as a large community 65001:1:N, and passes it
//! to one GoBGP monitor. For every prefix the two states must be equal,
//! and the table must hold routes of all three states. rbgpd's API shows
//! the same states (`rbgpctl rib`), its metrics the cache's data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::time::Duration;

use rbgp_testkit::{self as testkit, Lab, Topology};
use serde_json::Value;

const DUMP: &str = "bgpdump/test_data/bview.20020722.2337.gz";

fn rbgpd_config(state: &str) -> String {
    format!(
        r#"[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "{state}"

[metrics]
listen = "10.88.0.1:9179"

[[rpki.caches]]
address = "10.88.0.5"
port = 3323

[[policy.definitions]]
name = "tag"
default = "accept"
[[policy.definitions.terms]]
name = "valid"
if = {{ rpki = ["valid"] }}
then = {{ add_large_communities = ["65001:1:1"], result = "accept" }}
[[policy.definitions.terms]]
name = "invalid"
if = {{ rpki = ["invalid"] }}
then = {{ add_large_communities = ["65001:1:2"], result = "accept" }}
[[policy.definitions.terms]]
name = "not-found"
then = {{ add_large_communities = ["65001:1:0"], result = "accept" }}

[[neighbors]]
address = "10.88.0.4"
remote_asn = 65100
passive = true
hold_time = 180
import_policy = ["tag"]
export_policy = ["reject_all"]

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65001
"#
    )
}

const BIRD: &str = r#"
roa4 table rpki4;
roa6 table rpki6;
protocol rpki cache {
  roa4 { table rpki4; };
  roa6 { table rpki6; };
  remote 10.88.0.5 port 3323;
  retry keep 5; refresh keep 30; expire keep 600;
}
filter rov_tag {
  case roa_check(rpki4, net, bgp_path.last) {
    ROA_VALID: bgp_large_community.add((65001, 1, 1));
    ROA_INVALID: bgp_large_community.add((65001, 1, 2));
    else: bgp_large_community.add((65001, 1, 0));
  }
  accept;
}
protocol bgp feeder {
  local 10.88.0.2 as 65001; neighbor 10.88.0.4 as 65100; passive on; hold time 180;
  ipv4 { import filter rov_tag; export none; };
}
protocol bgp monitor {
  local 10.88.0.2 as 65001; neighbor 10.88.0.3 as 65001;
  connect delay time 1; connect retry time 2;
  ipv4 { import none; export all; };
}
"#;

const GOBGP: &str = r#"
[global.config]
  as = 65001
  router-id = "10.88.0.3"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.88.0.1"
    peer-as = 65001
  [neighbors.transport.config]
    passive-mode = true
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.88.0.2"
    peer-as = 65001
  [neighbors.transport.config]
    passive-mode = true
"#;

/// The state tag (65001:1:N) of every route the monitor has from
/// `neighbor`.
fn states(lab: &Lab, neighbor: &str) -> BTreeMap<String, u64> {
    let text = lab.gobgp_in("g", &format!("neighbor {neighbor} adj-in -a ipv4 -j"));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("GoBGP adj-in JSON: {e}: {}", &text[..text.len().min(500)]));
    let mut out = BTreeMap::new();
    for (prefix, paths) in v.as_object().expect("a map of prefixes") {
        for p in paths.as_array().into_iter().flatten() {
            // GoBGP shows a large community as {"ASN", "LocalData1",
            // "LocalData2"} in the attribute of type 32.
            let tag = p["attrs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["type"] == 32)
                .filter_map(|a| a["value"].as_array())
                .flatten()
                .find(|c| c["ASN"] == 65001 && c["LocalData1"] == 1)
                .and_then(|c| c["LocalData2"].as_u64())
                .unwrap_or_else(|| panic!("{prefix} from {neighbor} has no state tag: {p}"));
            out.insert(prefix.clone(), tag);
        }
    }
    out
}

/// A sample of rbgpd's /metrics.
fn metric(lab: &Lab, name: &str) -> Option<u64> {
    lab.metric("d", "http://10.88.0.1:9179/metrics", name)
        .map(|v| v as u64)
}

#[test]
fn rbgpd_origin_validation_equals_bird_roa_check() {
    let mut lab = Lab::new(&Topology {
        prefix: "r",
        test: "rov",
        dir: "rpki",
        hosts: &[("d", 1), ("b", 2), ("g", 3), ("f", 4), ("c", 5)],
        v4: "10.88.0",
        v6: "fd88::",
        tools: &[
            "bird", "birdc", "gobgpd", "gobgp", "curl", "stayrtr", "gzip",
        ],
        grace: Duration::from_secs(3),
    });
    // The monitor first, waiting for both routers to connect (GoBGP
    // paces its own attempts at 5-10 s); the cache listening before
    // either router starts.
    lab.gobgpd_in("g", "gobgpd", GOBGP);
    let vrps = lab.vrp_snapshot("vrps.json");
    lab.stayrtr_in("c", &vrps, "10.88.0.5:3323", "stayrtr.log");
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    let bench = testkit::workspace_bin(rbgpd, "rbgp-bench", "rbgp-bench");
    let conf = lab.write("rbgpd.toml", &rbgpd_config(&lab.path("state")));
    lab.spawn("d", &[rbgpd, &conf], "rbgpd.log");
    lab.bird_in("b", "10.88.0.2", BIRD, &[], "bird.out");
    // Both hold the cache's data before any route arrives (BIRD would
    // otherwise need its import table to revalidate).
    let v4 = lab.wait("rbgpd to load the cache's VRPs", 120, || {
        metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}").filter(|n| *n > 200_000)
    });
    assert_eq!(v4, 290_183, "every IPv4 VRP of the snapshot");
    lab.wait("BIRD to load the cache's VRPs", 120, || {
        let out = lab.birdc("show route table rpki4 count");
        out.contains("290183 of 290183").then_some(())
    });
    lab.wait("the monitor's sessions", 60, || {
        let n = lab.gobgp_in("g", "neighbor");
        (n.matches("Establ").count() == 2).then_some(())
    });
    let dump = testkit::data(DUMP);
    for (dut, log) in [
        ("10.88.0.1", "feed-rbgpd.log"),
        ("10.88.0.2", "feed-bird.log"),
    ] {
        let peer = format!("{dut}:179");
        lab.spawn(
            "f",
            &[
                bench.to_str().unwrap(),
                "feed",
                "--peer",
                &peer,
                "--local",
                "10.88.0.4",
                "--asn",
                "65100",
                "--mrt",
                dump.to_str().unwrap(),
            ],
            log,
        );
    }
    let mut last = (0, 0);
    let mut still = 0;
    lab.wait("both routers' routes at the monitor", 300, || {
        let now = (
            lab.gobgp_received("g", "10.88.0.1"),
            lab.gobgp_received("g", "10.88.0.2"),
        );
        still = if now == last && now.0 > 100_000 {
            still + 1
        } else {
            0
        };
        last = now;
        let sent = ["feed-rbgpd.log", "feed-bird.log"]
            .iter()
            .all(|f| lab.log(f).contains(r#""event":"sent""#));
        (sent && still >= 8 && now.0 == now.1).then_some(())
    });
    let (a, b) = (states(&lab, "10.88.0.1"), states(&lab, "10.88.0.2"));
    assert_eq!(a.len(), b.len());
    let mut count = [0usize; 3];
    let mut diffs = Vec::new();
    for (p, s) in &a {
        match b.get(p) {
            Some(t) if t == s => {
                if let Some(c) = count.get_mut(*s as usize) {
                    *c += 1;
                }
            }
            other => diffs.push(format!("{p}: rbgpd {s}, BIRD {other:?}")),
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} states differ (0 not-found, 1 valid, 2 invalid):\n{}",
        diffs.len(),
        a.len(),
        diffs[..diffs.len().min(20)].join("\n")
    );
    eprintln!("states (not-found, valid, invalid): {count:?}");
    assert!(
        count.iter().all(|n| *n > 100),
        "the table tests every state: not-found/valid/invalid = {count:?}"
    );
    // The API shows the same states as the policy saw.
    let ctl = testkit::workspace_bin(rbgpd, "rbgpctl", "rbgp-ctl");
    let sock = lab.path("state/rbgpd.sock");
    let (valid, _) = a.iter().find(|(_, s)| **s == 1).unwrap();
    let (invalid, _) = a.iter().find(|(_, s)| **s == 2).unwrap();
    for (prefix, want) in [(valid, "valid"), (invalid, "invalid")] {
        let out = lab.run_in(
            "d",
            &format!(
                "{} --server unix://{sock} rib {prefix} --exact --json",
                ctl.display()
            ),
        );
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        let routes = v.as_array().cloned().unwrap_or_default();
        let r = routes
            .first()
            .unwrap_or_else(|| panic!("no route {prefix}: {out}"));
        assert_eq!(
            r["rpki"].as_str().map(|s| s.to_lowercase()),
            Some(format!("rpki_state_{want}")),
            "{prefix}: {r}"
        );
        // `rbgpctl rpki validate` agrees with BIRD's roa_check for the
        // route's origin, and lists the VRPs covering it.
        let origin = r["path"]["as_path"]
            .as_array()
            .and_then(|segs| segs.last())
            .and_then(|s| s["asns"].as_array())
            .and_then(|a| a.last())
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("no origin AS in {r}"));
        let out = lab.run_in(
            "d",
            &format!(
                "{} --server unix://{sock} rpki validate {prefix} {origin} --json",
                ctl.display()
            ),
        );
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(
            v["state"],
            format!("RPKI_STATE_{}", want.to_uppercase()),
            "{out}"
        );
        assert!(!v["covering"].as_array().unwrap().is_empty(), "{out}");
        let bird = lab.birdc(&format!("'eval roa_check(rpki4, {prefix}, {origin})'"));
        let code = if want == "valid" { "1" } else { "2" };
        assert!(bird.contains(&format!("(enum 35){code}")), "BIRD: {bird}");
    }
    let out = lab.run_in(
        "d",
        &format!("{} --server unix://{sock} rpki --json", ctl.display()),
    );
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["status"]["vrps_ipv4"], 290_183, "{out}");
    assert_eq!(v["status"]["connected"], true, "{out}");
    assert_eq!(v["status"]["source"], "10.88.0.5:3323", "{out}");
    assert_eq!(metric(&lab, "rbgp_rpki_connected"), Some(1));
    assert_eq!(metric(&lab, "rbgp_rpki_expired"), Some(0));
}
