//! The looking glass with a real BIRD 2 peer feeding routes (namespaces,
//! see common/):
//! - every birdwatcher endpoint Alice-LG's birdwatcher source calls gives
//!   JSON of the same shape as the recorded birdwatcher responses in
//!   `shared/data/birdwatcher/` (same keys, JSON types and nesting, where
//!   Alice-LG's parser asserts types), with values from our RIB: counts,
//!   communities, the rejecting term as a reason large community, routes
//!   kept back by export policy;
//! - the web page in headless Chromium lists the neighbor as Established,
//!   finds a fed prefix, and shows its communities and policy trace;
//! - live events (server-sent) report the session going down.
//!   Screenshots of the page's views are written to `$RBGP_LG_SCREENSHOTS`
//!   when set (docs/img/ holds the ones in the docs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::Value;

const LG: &str = "http://127.0.0.1:29184";
const BIRD_ID: &str = "AS65002_10.88.0.2";

fn config() -> String {
    with_global(
        r#"
[[routes]]
prefix = "198.51.100.0/24"
next_hop = "10.88.0.1"
med = 5
communities = ["65001:7"]

[policy.sets.prefix]
bogons = ["10.0.0.0/8 le 32"]
statics = ["198.51.100.0/24"]

[[policy.definitions]]
name = "from-bird"
default = "accept"

[[policy.definitions.terms]]
name = "bogon"
if = { prefix_in = "bogons" }
then = { result = "reject" }

[[policy.definitions]]
name = "to-bird"
default = "accept"

[[policy.definitions.terms]]
name = "no-statics"
if = { prefix_in = "statics" }
then = { result = "reject" }

[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
description = "BIRD in namespace b"
families = ["ipv4_unicast"]
graceful_restart = false
max_prefixes = 1000
keep_filtered = true
keep_pre_policy = true
import_policy = ["from-bird"]
export_policy = ["to-bird"]

[looking_glass]
listen = "127.0.0.1:29184"
reject_asn = 9033
[looking_glass.reject_reasons]
"from-bird/bogon" = 9
"#,
    )
}

/// BIRD (AS 65002): 100.64.1.0/24 with communities of each kind,
/// 100.64.2.0/24 plain, 10.1.0.0/16 (a bogon: filtered).
fn bird(lab: &mut Lab) {
    lab.bird(&format!(
        "protocol static s4 {{ ipv4;\n  route 100.64.1.0/24 blackhole {{ bgp_community.add((65002,100)); bgp_community.add((65002,200)); bgp_large_community.add((65002,1,2)); bgp_ext_community.add((rt,65002,7)); }};\n  route 100.64.2.0/24 blackhole;\n  route 10.1.0.0/16 blackhole;\n}}\n{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; };\n")
    ));
}

fn get(lab: &Lab, path: &str) -> Value {
    let out = lab.run_in("d", &format!("curl -sS --max-time 10 '{LG}{path}'"));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{path}: {e}: {out}"))
}

fn recorded(name: &str) -> Value {
    let p = testkit::data(&format!("birdwatcher/alice-lg/extracted-from-src/{name}"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `want` (a recorded response) is in `got` with the same
/// JSON type, recursively (arrays by their first elements), except the
/// paths in `absent`: BIRD text artifacts we do not imitate. Map keys
/// that are names (protocols) are matched as "any entry".
fn same_shape(want: &Value, got: &Value, at: &str, absent: &[&str], by_name: bool) {
    assert_eq!(kind(want), kind(got), "{at}: {want} vs {got}");
    match (want, got) {
        (Value::Object(w), Value::Object(g)) if by_name => {
            let (Some(wv), Some(gv)) = (w.values().next(), g.values().next()) else {
                panic!("{at}: empty map: {got}");
            };
            same_shape(wv, gv, &format!("{at}.*"), absent, false);
        }
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let path = format!("{at}.{k}");
                match g.get(k) {
                    Some(gv) => same_shape(wv, gv, &path, absent, path.ends_with("protocols")),
                    None => assert!(absent.contains(&path.as_str()), "{path} missing: {got}"),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if let (Some(wv), Some(gv)) = (w.first(), g.first()) {
                same_shape(wv, gv, &format!("{at}[]"), absent, false);
            }
        }
        _ => {}
    }
}

fn route<'a>(v: &'a Value, network: &str) -> &'a Value {
    v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["network"] == network)
        .unwrap_or_else(|| panic!("no {network} in {v}"))
}

fn networks(v: &Value) -> Vec<String> {
    let mut n: Vec<String> = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["network"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

fn up(lab: &mut Lab) {
    lab.rbgpd(&config());
    bird(lab);
    lab.wait("BIRD's routes in the looking glass", 60, || {
        let out = lab.run_in(
            "d",
            &format!("curl -s '{LG}/routes/count/protocol/{BIRD_ID}'"),
        );
        let v: Value = serde_json::from_str(&out).ok()?;
        (v["routes"] == 2).then_some(())
    });
}

#[test]
fn birdwatcher_endpoints_answer_in_birdwatchers_shapes() {
    let mut lab = Lab::new("lgbw");
    up(&mut lab);

    // Envelope and /protocols/bgp against the recorded ECIX response.
    // BIRD-only text fields: counters BIRD prints as tables, its filter
    // and channel names.
    let absent = [
        ".protocols.*.action",
        ".protocols.*.export_withdraws",
        ".protocols.*.input_filter",
        ".protocols.*.output_filter",
        ".protocols.*.route_change_stats",
        ".protocols.*.neighbor_caps",
        ".protocols.*.source_address",
        ".protocols.*.route_changes.import_withdraws",
        ".protocols.*.route_changes.import_updates.accepted",
        ".protocols.*.route_changes.import_updates.filtered",
        ".protocols.*.route_changes.import_updates.ignored",
        ".protocols.*.route_changes.import_updates.rejected",
        ".protocols.*.route_changes.export_updates.accepted",
        ".protocols.*.route_changes.export_updates.ignored",
        ".protocols.*.route_changes.export_updates.rejected",
    ];
    let p = get(&lab, "/protocols/bgp");
    same_shape(
        &recorded("APIResponseNeighbors.json"),
        &p,
        "",
        &absent,
        false,
    );
    let b = &p["protocols"][BIRD_ID];
    assert_eq!(b["neighbor_address"], "10.88.0.2");
    assert_eq!(b["neighbor_as"], 65002);
    assert_eq!(b["state"], "up");
    assert_eq!(b["bgp_state"], "Established");
    assert_eq!(b["description"], "BIRD in namespace b");
    assert_eq!(b["routes"]["imported"], 2, "{b}");
    assert_eq!(b["routes"]["filtered"], 1, "{b}");
    assert_eq!(b["routes"]["preferred"], 2, "{b}");
    // The static route is kept back by to-bird: only nothing is exported.
    assert_eq!(b["routes"]["exported"], 0, "{b}");
    assert_eq!(b["import_limit"], 1000);
    assert_eq!(p["api"]["result_from_cache"], false);
    assert!(p["api"]["Version"].as_str().unwrap().starts_with("rbgpd "));
    let ttl = p["ttl"].as_str().unwrap();
    assert!(ttl.ends_with('Z') && ttl.len() == 20, "{ttl}");
    // BIRD's "2017-05-17 03:20:28" form.
    let changed = b["state_changed"].as_str().unwrap();
    assert!(changed.len() == 19 && &changed[10..11] == " ", "{changed}");

    // Received routes against the recorded route.
    let route_absent = [".routes[].bgp.aggregator"];
    let r = get(&lab, &format!("/routes/protocol/{BIRD_ID}"));
    same_shape(
        &recorded("APIResponseRoutes.json"),
        &r,
        "",
        &route_absent,
        false,
    );
    assert_eq!(networks(&r), ["100.64.1.0/24", "100.64.2.0/24"]);
    let one = route(&r, "100.64.1.0/24");
    assert_eq!(one["from_protocol"], BIRD_ID);
    assert_eq!(one["gateway"], "10.88.0.2");
    assert_eq!(one["primary"], true);
    assert_eq!(one["bgp"]["as_path"], serde_json::json!(["65002"]));
    assert_eq!(one["bgp"]["next_hop"], "10.88.0.2");
    assert_eq!(one["bgp"]["local_pref"], "100");
    // BIRD sends no MED to eBGP: no key, as in birdwatcher.
    assert!(one["bgp"].get("med").is_none(), "{one}");
    assert_eq!(one["bgp"]["origin"], "IGP");
    assert_eq!(
        one["bgp"]["communities"],
        serde_json::json!([[65002, 100], [65002, 200]])
    );
    assert_eq!(
        one["bgp"]["large_communities"],
        serde_json::json!([[65002, 1, 2]])
    );
    assert_eq!(
        one["bgp"]["ext_communities"],
        serde_json::json!([["rt", "65002", "7"]])
    );
    // A bare address names the protocol too.
    assert_eq!(networks(&get(&lab, "/routes/peer/10.88.0.2")), networks(&r));

    // Filtered: the rejecting term as 9033:65666:9 (the configured code),
    // as in the recorded ECIX response.
    let f = get(&lab, &format!("/routes/filtered/{BIRD_ID}"));
    same_shape(
        &recorded("APIResponseRoutesFiltered.json"),
        &f,
        "",
        &[".routes[].bgp.med"],
        false,
    );
    assert_eq!(networks(&f), ["10.1.0.0/16"]);
    let bogon = route(&f, "10.1.0.0/16");
    assert_eq!(
        bogon["bgp"]["large_communities"],
        serde_json::json!([[9033, 65666, 9]])
    );
    assert_eq!(bogon["filter_reason"], "policy from-bird term bogon");
    assert_eq!(bogon["primary"], false);

    // Not exported to BIRD: the static route its export policy rejects.
    let n = get(&lab, &format!("/routes/noexport/{BIRD_ID}"));
    assert_eq!(networks(&n), ["198.51.100.0/24"]);
    assert_eq!(route(&n, "198.51.100.0/24")["from_protocol"], "static");

    // The whole table, per family, by prefix, counted.
    let t = get(&lab, "/routes/table/master");
    assert_eq!(
        networks(&t),
        ["100.64.1.0/24", "100.64.2.0/24", "198.51.100.0/24"]
    );
    let st = route(&t, "198.51.100.0/24");
    assert_eq!(st["bgp"]["med"], "5");
    assert_eq!(st["bgp"]["communities"], serde_json::json!([[65001, 7]]));
    assert_eq!(networks(&get(&lab, "/routes/table/master6")).len(), 0);
    let tf = get(&lab, "/routes/table/master/filtered");
    assert_eq!(networks(&tf), ["10.1.0.0/16"]);
    assert_eq!(
        networks(&get(&lab, "/routes/prefix?prefix=100.64.1.77")),
        ["100.64.1.0/24"]
    );
    assert_eq!(get(&lab, "/routes/count/table/master")["routes"], 3);

    // /status and /protocols/short: the fields Alice-LG reads.
    let s = get(&lab, "/status");
    assert_eq!(s["status"]["router_id"], "10.88.0.1");
    for k in [
        "current_server",
        "last_reboot",
        "last_reconfig",
        "message",
        "version",
    ] {
        assert!(s["status"][k].is_string(), "{k}: {s}");
    }
    let short = get(&lab, "/protocols/short");
    assert_eq!(short["protocols"][BIRD_ID]["state"], "up");
    assert!(short["protocols"][BIRD_ID]["since"].is_string());

    // Errors: birdwatcher's {"error": ...}, naming what was wrong.
    let e = get(&lab, "/routes/protocol/AS1_192.0.2.1");
    assert!(
        e["error"].as_str().unwrap().contains("AS1_192.0.2.1"),
        "{e}"
    );
    let e = get(&lab, "/routes/prefix?prefix=300.1.1.0/24");
    assert!(e["error"].as_str().unwrap().contains("prefix"), "{e}");
}

fn chromium(lab: &Lab, args: &str, url: &str) -> String {
    let profile = lab.path("chromium");
    lab.run_in(
        "d",
        &format!(
            "timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir={profile} --virtual-time-budget=8000 {args} '{url}' 2>/dev/null"
        ),
    )
}

#[test]
fn web_page_in_headless_chromium_and_live_events() {
    let mut lab = Lab::new("lgweb");
    up(&mut lab);

    // Neighbors: BIRD Established with its counts.
    let dom = chromium(&lab, "--dump-dom", &format!("{LG}/?live=0#neighbors"));
    let row = dom
        .split("<tr")
        .find(|r| r.contains(BIRD_ID))
        .unwrap_or_else(|| panic!("no row for {BIRD_ID}: {dom}"));
    assert!(row.contains("Established"), "{row}");
    assert!(row.contains("BIRD in namespace b"), "{row}");

    // Search by community finds the fed prefix (and only it).
    let dom = chromium(
        &lab,
        "--dump-dom",
        &format!("{LG}/?live=0#search?community=65002:200"),
    );
    assert!(dom.contains("1 route(s)"), "{dom}");
    assert!(dom.contains("100.64.1.0/24"), "{dom}");
    // Longer match from the /16 finds both.
    let dom = chromium(
        &lab,
        "--dump-dom",
        &format!("{LG}/?live=0#search?prefix=100.64.0.0/16&match=longer"),
    );
    assert!(dom.contains("2 route(s)"), "{dom}");

    // The route's detail: communities of each kind, and the import policy
    // trace (BIRD keeps pre-policy: keep_pre_policy).
    let dom = chromium(
        &lab,
        "--dump-dom",
        &format!("{LG}/?live=0#route?prefix=100.64.1.0/24"),
    );
    for want in [
        "65002:100",
        "65002:200",
        "65002:1:2",
        "rt:65002:7",
        "Best path",
        "from-bird",
    ] {
        assert!(dom.contains(want), "{want} not in {dom}");
    }

    if let Ok(dir) = std::env::var("RBGP_LG_SCREENSHOTS") {
        for (name, frag) in [
            ("neighbors", "neighbors"),
            ("search", "search?prefix=100.64.0.0/16&match=longer"),
            ("route", "route?prefix=100.64.1.0/24"),
            ("filtered", &format!("neighbor?id={BIRD_ID}")),
        ] {
            let png = format!("{dir}/looking-glass-{name}.png");
            chromium(
                &lab,
                &format!("--screenshot={png} --window-size=1280,720"),
                &format!("{LG}/?live=0#{frag}"),
            );
        }
    }

    // Live events: the session going down arrives as a server-sent event.
    let events = lab.path("events.txt");
    lab.run_in(
        "d",
        &format!("sh -c 'timeout 30 curl -sN {LG}/api/events > {events} 2>&1 &'"),
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    lab.birdc("disable dut");
    lab.wait("a session event", 20, || {
        let t = std::fs::read_to_string(&events).unwrap_or_default();
        (t.contains("event: session") && t.contains("\"from\":\"Established\"")).then_some(t)
    });
}

/// On a non-loopback address with TLS and a token: HTTPS only, requests
/// without the token (header or `?token=`) get 401 and no data.
#[test]
fn tls_and_token_guard_the_looking_glass() {
    use rcgen::{CertificateParams, KeyPair};
    let mut lab = Lab::new("lgtls");
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["10.88.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (c, k) = (
        lab.write("lg.pem", &cert.pem()),
        lab.write("lg.key", &key.serialize_pem()),
    );
    // `+`, `/` and `=`, as in a base64 token: a browser sends them %-encoded.
    let token = lab.write("lg.token", "lg+test/token=0123456789\n");
    lab.rbgpd(&with_global(&format!(
        "[looking_glass]\nlisten = \"10.88.0.1:29185\"\ncert = \"{c}\"\nkey = \"{k}\"\ntoken_file = \"{token}\"\n"
    )));
    let curl = |args: &str, path: &str| {
        lab.run_in(
            "b",
            &format!("curl -sS --max-time 5 --cacert {c} -w ' HTTP=%{{http_code}}' {args} 'https://10.88.0.1:29185{path}'"),
        )
    };
    let ok = lab.wait("the looking glass over HTTPS", 30, || {
        let out = curl(
            "-H 'Authorization: Bearer lg+test/token=0123456789'",
            "/status",
        );
        out.contains("HTTP=200").then_some(out)
    });
    assert!(ok.contains("\"router_id\":\"10.88.0.1\""), "{ok}");
    let q = curl("", "/status?token=lg%2Btest%2Ftoken%3D0123456789");
    assert!(q.contains("HTTP=200"), "{q}");
    for (args, path) in [
        ("", "/status"),
        ("-H 'Authorization: Bearer wrong'", "/protocols/bgp"),
        ("-H 'Authorization: Bearer '", "/protocols/bgp"),
        ("", "/status?token=wrong"),
    ] {
        let out = curl(args, path);
        assert!(out.contains("HTTP=401"), "{args} {path}: {out}");
        assert!(!out.contains("router_id"), "{out}");
    }
    // Plain HTTP is not served.
    let plain = lab.run_in(
        "b",
        "curl -sS --max-time 5 -w ' HTTP=%{http_code}' -H 'Authorization: Bearer lg+test/token=0123456789' http://10.88.0.1:29185/status",
    );
    assert!(!plain.contains("HTTP=200"), "{plain}");
}
