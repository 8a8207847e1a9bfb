//! Differential test of import policy against BIRD 2: the same real table
//! (the biggest peer of RIS rrc00's 2002 RIB dump, 112,986 routes, replayed
//! by `rbgp-bench feed --mrt`) goes into rbgpd and into BIRD, each with
//! the same policy (an rbgpd policy, a BIRD filter), and both pass what
//! they accept to one GoBGP monitor over iBGP. The monitor's Adj-RIB-In
//! from each must hold the same prefixes with the same attributes (AS
//! path, ORIGIN, next hop, LOCAL_PREF, MED, communities, large
//! communities). The policy covers every condition family and action
//! family that both speak: prefix sets with ge/le, prefix length, AS-path
//! expressions and length, origin AS sets, first AS, next-hop sets,
//! communities any/all with wildcards and ranges, their count, ORIGIN,
//! MED; communities added/removed by value, wildcard and set, large
//! communities set and added, LOCAL_PREF, MED set and added, prepending,
//! ORIGIN. rbgpd's per-term hit counters show every term matched routes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::time::Duration;

use rbgp_testkit::{self as testkit, Lab, Topology};
use serde_json::Value;

/// The dump, its biggest peer: 193.203.0.1 (AS 1853).
const DUMP: &str = "bgpdump/test_data/bview.20020722.2337.gz";

const RBGPD_POLICY: &str = r#"
[policy.sets.prefix]
blocked = ["3.0.0.0/8 le 32", "4.0.0.0/8 le 32", "6.0.0.0/7 le 16"]
europe = ["193.0.0.0/8 le 24", "194.0.0.0/7 le 24", "212.0.0.0/7 ge 16 le 21"]

[policy.sets.as_path]
via_1299 = ["_1299_"]
via_l3 = ["_3549_", "_3356_"]
from_1239 = ["^65100 1853 1239_"]

[policy.sets.asn]
origins = ["80", "701-705", "7018", "64512-65534"]

[policy.sets.community]
tagged = ["65000:1", "65000:*"]
telia = ["65000:1299"]
l3range = ["65000:3000-3999"]

[policy.sets.next_hop]
feeders = ["10.88.0.0/24"]

[[policy.definitions]]
name = "diff"
default = "accept"

[[policy.definitions.terms]]
name = "blocked"
if = { prefix_in = "blocked" }
then = { result = "reject" }

[[policy.definitions.terms]]
name = "too-specific"
if = { prefix_length = { gt = 24 } }
then = { result = "reject" }

[[policy.definitions.terms]]
name = "too-long"
if = { as_path_length = { ge = 9 } }
then = { result = "reject" }

[[policy.definitions.terms]]
name = "not-first"
if = { first_as_is_neighbor = false }
then = { result = "reject" }

[[policy.definitions.terms]]
name = "foreign-next-hop"
if = { next_hop_not_in = "feeders" }
then = { result = "reject" }

[[policy.definitions.terms]]
name = "tag-1299"
if = { as_path_in = "via_1299" }
then = { add_communities = ["65000:1299", "65000:1"], local_pref = 150 }

[[policy.definitions.terms]]
name = "tag-l3"
if = { as_path_in = "via_l3" }
then = { add_communities = ["65000:3549", "65000:2"] }

[[policy.definitions.terms]]
name = "tagged"
if = { community = { all_of = "tagged" } }
then = { med = 5, add_large_communities = ["65000:0:12"] }

[[policy.definitions.terms]]
name = "strip-europe"
if = { community = { any_of = "telia" }, prefix_in = "europe" }
then = { remove_communities = ["65000:1-2"] }

[[policy.definitions.terms]]
name = "strip-l3"
if = { community = { any_of = "l3range" } }
then = { remove_communities_in = "l3range" }

[[policy.definitions.terms]]
name = "egp"
if = { origin = "egp" }
then = { local_pref = 90 }

[[policy.definitions.terms]]
name = "med-add"
if = { med = { ge = 0 }, community_count = { ge = 1 } }
then = { med_add = 10 }

[[policy.definitions.terms]]
name = "via-1239"
if = { as_path_in = "from_1239" }
then = { set_large_communities = ["65000:1853:1239"] }

[[policy.definitions.terms]]
name = "origins"
if = { origin_as_in = "origins" }
then = { prepend_own = 2, origin = "incomplete", result = "accept" }
"#;

/// The same policy as a BIRD 2 filter, term by term.
const BIRD_FILTER: &str = r#"
filter diff_in {
  if net ~ [ 3.0.0.0/8+, 4.0.0.0/8+, 6.0.0.0/7{7,16} ] then reject;
  if net.len > 24 then reject;
  if bgp_path.len >= 9 then reject;
  if bgp_path.first != 65100 then reject;
  if !(bgp_next_hop ~ 10.88.0.0/24) then reject;
  if bgp_path ~ [= * 1299 * =] then {
    bgp_community.add((65000,1299)); bgp_community.add((65000,1)); bgp_local_pref = 150;
  }
  if bgp_path ~ [= * 3549 * =] || bgp_path ~ [= * 3356 * =] then {
    bgp_community.add((65000,3549)); bgp_community.add((65000,2));
  }
  if (65000,1) ~ bgp_community && bgp_community ~ [(65000,*)] then {
    bgp_med = 5; bgp_large_community.add((65000,0,12));
  }
  if (65000,1299) ~ bgp_community && net ~ [ 193.0.0.0/8{8,24}, 194.0.0.0/7{7,24}, 212.0.0.0/7{16,21} ] then {
    bgp_community.delete([(65000,1..2)]);
  }
  if bgp_community ~ [(65000,3000..3999)] then bgp_community.delete([(65000,3000..3999)]);
  if bgp_origin = ORIGIN_EGP then bgp_local_pref = 90;
  if defined(bgp_med) && bgp_community.len >= 1 then bgp_med = bgp_med + 10;
  if bgp_path ~ [= 65100 1853 1239 * =] then {
    bgp_large_community = ---empty---; bgp_large_community.add((65000,1853,1239));
  }
  if bgp_path.last ~ [80, 701..705, 7018, 64512..65534] then {
    bgp_path.prepend(65001); bgp_path.prepend(65001); bgp_origin = ORIGIN_INCOMPLETE; accept;
  }
  accept;
}
"#;

const TERMS: &[&str] = &[
    "blocked",
    "too-specific",
    "too-long",
    "tag-1299",
    "tag-l3",
    "tagged",
    "strip-europe",
    "strip-l3",
    "egp",
    "med-add",
    "via-1239",
    "origins",
];

fn rbgpd_config(state: &str) -> String {
    format!(
        r#"[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "{state}"

[metrics]
listen = "10.88.0.1:9179"

{RBGPD_POLICY}

[[neighbors]]
address = "10.88.0.4"
remote_asn = 65100
passive = true
hold_time = 180
import_policy = ["diff"]
export_policy = ["reject_all"]

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65001
"#
    )
}

fn bird_config() -> String {
    format!(
        r#"{BIRD_FILTER}
protocol bgp feeder {{
  local 10.88.0.2 as 65001; neighbor 10.88.0.4 as 65100; passive on; hold time 180;
  ipv4 {{ import filter diff_in; export none; }};
}}
protocol bgp monitor {{
  local 10.88.0.2 as 65001; neighbor 10.88.0.3 as 65001;
  connect delay time 1; connect retry time 2;
  ipv4 {{ import none; export all; }};
}}
"#
    )
}

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

/// A route at the monitor, attributes normalised: communities sorted
/// (their order carries no meaning and BIRD sorts them).
fn routes(lab: &Lab, neighbor: &str) -> BTreeMap<String, String> {
    let text = lab.gobgp_in("g", &format!("neighbor {neighbor} adj-in -a ipv4 -j"));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("GoBGP adj-in JSON: {e}: {}", &text[..text.len().min(500)]));
    let mut out = BTreeMap::new();
    for (prefix, paths) in v.as_object().expect("a map of prefixes") {
        for p in paths.as_array().into_iter().flatten() {
            let mut attrs: Vec<Value> = p["attrs"].as_array().cloned().unwrap_or_default();
            for a in &mut attrs {
                for key in ["communities", "value"] {
                    if let Some(list) = a.get_mut(key).and_then(Value::as_array_mut) {
                        list.sort_by_key(|x| x.to_string());
                    }
                }
            }
            attrs.sort_by_key(|a| a["type"].as_u64());
            out.insert(prefix.clone(), serde_json::to_string(&attrs).unwrap());
        }
    }
    out
}

/// Received counts at the monitor for rbgpd and BIRD.
fn received(lab: &Lab) -> (u64, u64) {
    (
        lab.gobgp_received("g", "10.88.0.1"),
        lab.gobgp_received("g", "10.88.0.2"),
    )
}

#[test]
fn rbgpd_policy_equals_bird_filter_on_a_real_table() {
    let mut lab = Lab::new(&Topology {
        prefix: "p",
        test: "dif",
        dir: "policy",
        hosts: &[("d", 1), ("b", 2), ("g", 3), ("f", 4)],
        v4: "10.88.0",
        v6: "fd88::",
        tools: &["bird", "birdc", "gobgpd", "gobgp", "curl"],
        grace: Duration::from_secs(3),
    });
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    let bench = testkit::workspace_bin(rbgpd, "rbgp-bench", "rbgp-bench");
    let conf = lab.write("rbgpd.toml", &rbgpd_config(&lab.path("state")));
    // The monitor first, waiting for both routers to connect (GoBGP
    // paces its own attempts at 5-10 s).
    lab.gobgpd_in("g", "gobgpd", GOBGP);
    lab.spawn("d", &[rbgpd, &conf], "rbgpd.log");
    lab.bird_in("b", "10.88.0.2", &bird_config(), &[], "bird.out");
    lab.wait("the monitor's sessions", 60, || {
        let n = lab.gobgp_in("g", "neighbor");
        (n.matches("Establ").count() == 2).then_some(())
    });
    let dump = testkit::data(DUMP);
    let dump = dump.to_str().unwrap();
    let bench = bench.to_str().unwrap();
    for (dut, log) in [
        ("10.88.0.1", "feed-rbgpd.log"),
        ("10.88.0.2", "feed-bird.log"),
    ] {
        let peer = format!("{dut}:179");
        lab.spawn(
            "f",
            &[
                bench,
                "feed",
                "--peer",
                &peer,
                "--local",
                "10.88.0.4",
                "--asn",
                "65100",
                "--mrt",
                dump,
            ],
            log,
        );
    }
    // Converged: both feeders sent everything, and both counts are equal
    // and still for a while.
    let mut last = (0, 0);
    let mut still = 0;
    let give_up = std::time::Instant::now() + Duration::from_secs(290);
    lab.wait("both routers' routes at the monitor", 300, || {
        let now = received(&lab);
        assert!(
            std::time::Instant::now() < give_up,
            "not converged: the monitor has {} routes from rbgpd, {} from BIRD\n{}",
            now.0,
            now.1,
            lab.diag()
        );
        still = if now == last && now.0 > 0 {
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
    let (a, b) = (routes(&lab, "10.88.0.1"), routes(&lab, "10.88.0.2"));
    assert!(a.len() > 90_000, "only {} routes accepted", a.len());
    let mut diffs = Vec::new();
    for (p, x) in &a {
        match b.get(p) {
            Some(y) if x == y => {}
            Some(y) => diffs.push(format!("{p}\n  rbgpd {x}\n  BIRD  {y}")),
            None => diffs.push(format!("{p}: only rbgpd accepted it: {x}")),
        }
    }
    for p in b.keys().filter(|p| !a.contains_key(*p)) {
        diffs.push(format!("{p}: only BIRD accepted it: {}", b[p]));
    }
    assert!(
        diffs.is_empty(),
        "{} of {} / {} routes differ, the first:\n{}",
        diffs.len(),
        a.len(),
        b.len(),
        diffs[..diffs.len().min(10)].join("\n")
    );
    // Every term mattered: rbgpd's hit counters.
    let metrics = lab.run_in("d", "curl -s http://10.88.0.1:9179/metrics");
    for t in TERMS {
        let line = metrics
            .lines()
            .find(|l| {
                l.starts_with(&format!(
                    "rbgp_policy_term_hits_total{{policy=\"diff\",term=\"{t}\"}}"
                ))
            })
            .unwrap_or_else(|| panic!("no hit counter for term {t}:\n{metrics}"));
        let hits: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(
            hits > 0,
            "term {t} matched nothing: the table does not test it"
        );
    }
}
