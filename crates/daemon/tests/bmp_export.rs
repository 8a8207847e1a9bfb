//! BMP export from rbgpd to real stations: rbgpd (AS 65001) hears BIRD
//! (AS 65002, one route import policy rejects), GoBGP (AS 65003) and FRR
//! (AS 65004, a second address in BIRD's namespace) and
//! exports every view to a station capturing the raw stream, to pmacct's
//! pmbmpd and to `rbgp collector`. The routes the captured stream holds
//! per view (read with rbgp-bmp), and those the collector's NDJSON
//! holds, equal what `rbgpctl rib received --pre-policy`, `rib
//! received`, `rib`, `rib advertised` and `rib advertised --pre-policy`
//! (RFC 8671: a route FRR's export policy holds back is in its
//! pre-policy view only) list; pmbmpd logs the same
//! routes; tshark's BMP dissector finds nothing malformed; a BIRD session
//! going down is a Peer Down with BIRD's NOTIFICATION; a station that
//! restarts gets the whole state again (BIRD's and FRR's pre-policy routes
//! by ROUTE-REFRESH: only GoBGP's table is kept, `keep_pre_policy`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::*;
use rbgp_bmp::framer::{split, Frame};
use rbgp_bmp::{BmpMessage, BmpSession, PeerDownReason, Tables, View};
use serde_json::Value;

const CONFIG: &str = r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
import_policy = ["clean"]

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
keep_pre_policy = true

# FRR shares BIRD's namespace, where BIRD listens on every address:
# rbgpd waits for FRR to connect.
[[neighbors]]
address = "10.88.0.4"
remote_asn = 65004
passive = true
export_policy = ["hold"]

[policy.sets.prefix]
bogons = ["10.0.0.0/8 le 32"]
held = ["198.51.100.0/24"]

[[policy.definitions]]
name = "clean"
[[policy.definitions.terms]]
name = "bogons"
if = { prefix_in = "bogons" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "rest"
then = { local_pref = 150, result = "accept" }

[[policy.definitions]]
name = "hold"
[[policy.definitions.terms]]
name = "held"
if = { prefix_in = "held" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "rest"
then = { result = "accept" }

[bmp]
sys_name = "dut"

[[bmp.collectors]]
address = "10.88.0.3"
port = 11019
views = ["pre-policy", "post-policy", "loc-rib", "adj-rib-out", "adj-rib-out-pre-policy"]
statistics_interval = 1

[[bmp.collectors]]
address = "10.88.0.3"
port = 1790
views = ["pre-policy", "post-policy", "loc-rib"]

[[bmp.collectors]]
address = "10.88.0.3"
port = 11020
views = ["pre-policy", "post-policy", "loc-rib", "adj-rib-out", "adj-rib-out-pre-policy"]

[metrics]
listen = "10.88.0.1:9179"
"#;

const BIRD: &str = r#"
protocol static s4 { ipv4;
  route 100.64.1.0/24 blackhole;
  route 100.64.2.0/24 blackhole { bgp_path.prepend(65020); };
  route 10.20.0.0/16 blackhole;
}
"#;

/// A station that writes what it receives to a file (one connection).
const CAPTURE: &str = r#"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.88.0.3", int(sys.argv[2])))
s.listen(1)
c, _ = s.accept()
with open(sys.argv[1], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
        f.flush()
"#;

/// The captured stream read as a station would.
struct Stream {
    messages: Vec<BmpMessage>,
    tables: Tables,
    raw: Vec<Vec<u8>>,
}

fn read_stream(path: &str) -> Stream {
    let bytes = std::fs::read(path).unwrap_or_default();
    let mut s = Stream {
        messages: Vec::new(),
        tables: Tables::new(),
        raw: Vec::new(),
    };
    let mut session = BmpSession::new();
    for f in split(&bytes) {
        match f {
            Frame::Message(m) => {
                let p = session.process(&m).unwrap();
                assert!(p.warnings.is_empty(), "{:?}", p.warnings);
                if let Some(u) = &p.update {
                    assert!(u.is_ok(), "{u:?}");
                }
                s.tables.apply(&p);
                s.messages.push(p.message);
                s.raw.push(m);
            }
            // The file may end within a message that is being written.
            Frame::Skipped { .. } => break,
        }
    }
    s
}

/// prefix -> "AS path | next hop | LOCAL_PREF" of one peer's view.
fn view(s: &Stream, v: View, peer: &str) -> BTreeMap<String, String> {
    let peer: IpAddr = peer.parse().unwrap();
    s.tables
        .routes(v, peer)
        .map(|e| {
            let path = e
                .as_path
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default();
            let nh = e.next_hop.map(|n| n.to_string()).unwrap_or_default();
            (
                e.nlri.to_string(),
                format!("{path} | {nh} | {:?}", e.local_pref),
            )
        })
        .collect()
}

/// The same from rbgpctl's JSON (`best_only`: the Loc-RIB's best paths).
fn listed(json: &str, best_only: bool) -> BTreeMap<String, String> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let mut routes = Vec::new();
    collect(&v, &mut routes);
    routes
        .into_iter()
        .filter(|r| !best_only || r["best"] == true)
        .map(|r| {
            let p = &r["path"];
            let lp = p["local_pref"].as_u64();
            (
                p["prefix"].as_str().unwrap().to_string(),
                format!(
                    "{} | {} | {:?}",
                    json_as_path(p),
                    p["next_hop"].as_str().unwrap_or_default(),
                    lp
                ),
            )
        })
        .collect()
}

/// Every object with a `path` (a route) in rbgpctl's JSON.
fn collect<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("path") {
                out.push(v);
            } else {
                m.values().for_each(|x| collect(x, out));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        _ => {}
    }
}

/// Whether the views `got` gives equal the RIB's tables as rbgpctl lists
/// them (a neighbor whose session is down has none: "no neighbor"). The
/// pre-policy view of a neighbor that keeps no pre-policy table (BIRD and
/// FRR: a station gets their routes by ROUTE-REFRESH) holds at least
/// every route import accepted.
fn rib_matches(
    sock: &str,
    who: &str,
    got: &dyn Fn(View, &str) -> BTreeMap<String, String>,
) -> bool {
    let ctl = |args: &str| {
        let (ok, out) = ctl::ctl(sock, args);
        if !ok && out.contains("no neighbor") {
            return "[]".to_string();
        }
        if !ok && out.contains("does not keep pre-policy routes") {
            let post = args.replace(" --pre-policy", "");
            return ctl::ctl(sock, &post).1;
        }
        assert!(ok, "rbgpctl {args}: {out}");
        out
    };
    let (b, g, f) = (B, G, F);
    let pairs = [
        (
            View::PrePolicy,
            f,
            format!("--json rib received {f} --pre-policy"),
        ),
        (View::PostPolicy, f, format!("--json rib received {f}")),
        (View::OutPostPolicy, f, format!("--json rib advertised {f}")),
        (
            View::PrePolicy,
            b,
            format!("--json rib received {b} --pre-policy"),
        ),
        (View::PostPolicy, b, format!("--json rib received {b}")),
        (
            View::PrePolicy,
            g,
            format!("--json rib received {g} --pre-policy"),
        ),
        (View::PostPolicy, g, format!("--json rib received {g}")),
        (View::OutPostPolicy, b, format!("--json rib advertised {b}")),
        (View::OutPostPolicy, g, format!("--json rib advertised {g}")),
        (
            View::OutPrePolicy,
            b,
            format!("--json rib advertised {b} --pre-policy"),
        ),
        (
            View::OutPrePolicy,
            g,
            format!("--json rib advertised {g} --pre-policy"),
        ),
        (
            View::OutPrePolicy,
            f,
            format!("--json rib advertised {f} --pre-policy"),
        ),
    ];
    for (v, peer, cmd) in &pairs {
        let want = listed(&ctl(cmd), false);
        let have = got(*v, peer);
        let kept = *v != View::PrePolicy || *peer == g;
        let accepted_in =
            |have: &BTreeMap<String, String>| want.keys().all(|k| have.contains_key(k));
        if (kept && have != want) || (!kept && !accepted_in(&have)) {
            eprintln!("{v:?} of {peer}: {who} {have:?}, rbgpctl {want:?}");
            return false;
        }
    }
    let loc = listed(&ctl("--json rib"), true);
    got(View::LocRib, "0.0.0.0") == loc && !loc.is_empty()
}

/// Once everything settled, the station's views equal the RIB's tables.
fn check(lab: &Lab, sock: &str, path: &str) -> Stream {
    lab.wait("the station's views to equal the RIB's", 30, || {
        let s = read_stream(path);
        rib_matches(sock, "station", &|v, peer| view(&s, v, peer)).then_some(s)
    })
}

/// The view a line of `rbgp bmp`'s JSON (the collector's NDJSON) is of.
fn line_view(peer: &Value) -> View {
    match (
        peer["peer_type"] == "loc_rib_instance",
        peer["adj_rib_out"] == true,
        peer["post_policy"] == true,
    ) {
        (true, _, _) => View::LocRib,
        (false, true, false) => View::OutPrePolicy,
        (false, true, true) => View::OutPostPolicy,
        (false, false, false) => View::PrePolicy,
        (false, false, true) => View::PostPolicy,
    }
}

/// prefix -> "AS path | next hop | LOCAL_PREF" of one peer's view, from
/// `rbgp collector --ndjson` lines replayed in order.
fn collector_view(lines: &[Value], v: View, peer: &str) -> BTreeMap<String, String> {
    let mut t = BTreeMap::new();
    for l in lines {
        if l["peer"]["address"] != peer {
            continue;
        }
        match l["type"].as_str() {
            Some("peer_down") => t.clear(),
            Some("route_monitoring") if line_view(&l["peer"]) == v => {
                let u = &l["update"];
                for w in u["withdraw"].as_array().into_iter().flatten() {
                    t.remove(w["nlri"].as_str().unwrap_or_default());
                }
                let a = &u["attributes"];
                let lp = a["local_pref"].as_u64();
                for n in u["announce"].as_array().into_iter().flatten() {
                    t.insert(
                        n["nlri"].as_str().unwrap_or_default().to_string(),
                        format!(
                            "{} | {} | {lp:?}",
                            a["as_path"].as_str().unwrap_or_default(),
                            n["next_hop"].as_str().unwrap_or_default()
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    t
}

const B: &str = "10.88.0.2";
const G: &str = "10.88.0.3";
const F: &str = "10.88.0.4";

/// FRR: it connects to rbgpd from its own address and does not listen
/// (BIRD holds port 179 in the namespace); no zebra, so no connected or
/// import checks.
fn frr_conf(dir: &str) -> String {
    format!(
        "frr defaults traditional\nhostname bmp-frr\nlog file {dir}/bgpd.log informational\n\
         router bgp 65004\n bgp router-id {F}\n no bgp ebgp-requires-policy\n \
         no bgp network import-check\n neighbor 10.88.0.1 remote-as 65001\n \
         neighbor 10.88.0.1 update-source {F}\n neighbor 10.88.0.1 disable-connected-check\n \
         neighbor 10.88.0.1 timers connect 2\n address-family ipv4 unicast\n  \
         network 100.64.4.0/24\n exit-address-family\nexit\n"
    )
}

#[test]
fn every_view_reaches_the_stations_as_the_rib_lists_it() {
    let mut lab = Lab::new("bmpx");
    testkit::need("pmbmpd");
    let state = lab.path("state");
    let sock = format!("unix://{state}/rbgpd.sock");
    let capture = lab.write("capture.py", CAPTURE);
    let stream1 = lab.path("stream1.bmp");
    lab.spawn(
        "g",
        &["python3", &capture, &stream1, "11019"],
        "capture1.log",
    );
    let nd = lab.path("collector.ndjson");
    let rbgp = testkit::workspace_bin(env!("CARGO_BIN_EXE_rbgpd"), "rbgp", "rbgp-cli");
    let rbgp = rbgp.display().to_string();
    lab.spawn(
        "g",
        &[
            &rbgp,
            "collector",
            "--listen",
            "10.88.0.3:11020",
            "--ndjson",
            &nd,
        ],
        "collector.log",
    );
    let pm_log = lab.path("pmbmpd.json");
    lab.spawn(
        "g",
        &["pmbmpd", "-L", "10.88.0.3", "-l", "1790", "-o", &pm_log],
        "pmbmpd.log",
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    lab.rbgpd(&with_global(CONFIG));
    lab.bird(&format!(
        "{BIRD}{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; };\n")
    ));
    lab.gobgp(65003, &["ipv4-unicast"]);
    lab.gobgp_ok("global rib add 198.51.100.0/24 -a ipv4");
    lab.ok_in("b", &format!("ip addr add {F}/24 dev eth0"));
    let fdir = lab.frr_dir();
    lab.frr_bgpd("b", &frr_conf(&fdir), &["-p", "0"]);
    // GoBGP gets BIRD's two accepted routes, and FRR's.
    lab.gobgp_route("ipv4", "100.64.2.0/24");
    lab.gobgp_route("ipv4", "100.64.4.0/24");

    let b = B;
    let s = check(&lab, &sock, &stream1);
    for (v, peer) in [
        (View::PrePolicy, b),
        (View::PostPolicy, b),
        (View::PrePolicy, G),
        (View::PostPolicy, G),
        (View::OutPostPolicy, b),
        (View::OutPostPolicy, G),
        (View::PrePolicy, F),
        (View::OutPostPolicy, F),
        (View::OutPrePolicy, b),
        (View::OutPrePolicy, F),
    ] {
        assert!(!view(&s, v, peer).is_empty(), "{v:?} of {peer} is empty");
    }
    assert_eq!(view(&s, View::LocRib, "0.0.0.0").len(), 4);
    // rbgp collector recorded the same views.
    lab.wait("rbgp collector's views to equal the RIB's", 30, || {
        let lines: Vec<Value> = lab
            .log("collector.ndjson")
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        rib_matches(&sock, "rbgp collector", &|v, peer| {
            collector_view(&lines, v, peer)
        })
        .then_some(())
    });
    // FRR's export policy holds GoBGP's route back: offered to FRR before
    // the policy (with the Loc-RIB's attributes), not sent.
    assert!(view(&s, View::OutPrePolicy, F)["198.51.100.0/24"].starts_with("65003 |"));
    assert!(!view(&s, View::OutPostPolicy, F).contains_key("198.51.100.0/24"));
    // The bogon is in BIRD's pre-policy view only.
    assert!(view(&s, View::PrePolicy, b).contains_key("10.20.0.0/16"));
    assert!(!view(&s, View::PostPolicy, b).contains_key("10.20.0.0/16"));
    assert!(view(&s, View::PostPolicy, b)["100.64.2.0/24"].ends_with("Some(150)"));
    // Initiation first, with our sysName; Peer Ups with both OPENs.
    let BmpMessage::Initiation(init) = &s.messages[0] else {
        panic!("first message: {:?}", s.messages[0]);
    };
    assert!(init.information.iter().any(|t| t.text() == "dut"));
    let ups: Vec<_> = s
        .messages
        .iter()
        .filter_map(|m| match m {
            BmpMessage::PeerUp(u) => Some(u),
            _ => None,
        })
        .collect();
    let bird_up = ups
        .iter()
        .find(|u| u.peer.address.to_string() == b)
        .expect("BIRD's Peer Up");
    assert_eq!(bird_up.peer.asn, 65002);
    assert_eq!(bird_up.local_address.to_string(), "10.88.0.1");
    assert_eq!(bird_up.received_open.bgp_id.to_string(), "10.88.0.2");
    assert_eq!(bird_up.sent_open.bgp_id.to_string(), "10.88.0.1");
    assert!(ups.iter().any(|u| u.peer.is_loc_rib()), "Loc-RIB Peer Up");
    // Statistics every second: BIRD's Adj-RIB-In holds 3 routes (type 7),
    // 2 accepted (type 8), 1 rejected (type 0).
    let stats = lab.wait("a Statistics Report for BIRD", 20, || {
        read_stream(&stream1)
            .messages
            .into_iter()
            .rev()
            .find_map(|m| match m {
                BmpMessage::StatisticsReport(r) if r.peer.address.to_string() == b => Some(r),
                _ => None,
            })
    });
    let stat = |ty: u16| {
        stats
            .stats
            .iter()
            .find(|s| s.ty == ty)
            .and_then(|s| s.number())
    };
    assert_eq!(
        (stat(7), stat(8), stat(0)),
        (Some(3), Some(2), Some(1)),
        "{stats:?}"
    );
    // RFC 8671 types 14 and 15: BIRD is offered GoBGP's and FRR's routes
    // and sent both (reports go on every second until they show them).
    lab.wait("Adj-RIB-Out statistics for BIRD", 20, || {
        read_stream(&stream1)
            .messages
            .into_iter()
            .rev()
            .find_map(|m| match m {
                BmpMessage::StatisticsReport(r) if r.peer.address.to_string() == b => Some(r),
                _ => None,
            })
            .filter(|r| {
                let n = |ty: u16| r.stats.iter().find(|s| s.ty == ty).and_then(|s| s.number());
                (n(14), n(15)) == (Some(2), Some(2))
            })
    });
    // Duplicates and treat-as-withdraw (types 1, 2, 11, 12): none from BIRD.
    assert_eq!(
        (stat(1), stat(2), stat(11), stat(12)),
        (Some(0), Some(0), Some(0), Some(0)),
        "{stats:?}"
    );

    // tshark's BMP dissector: nothing malformed. tshark 4.0 misreads the
    // information TLVs of a Peer Up (crates/bmp/tests/interop.rs), which
    // RFC 9069 §5.1 requires of the Loc-RIB instance's: that message is
    // left out.
    testkit::tshark::require_tshark();
    let raw: Vec<Vec<u8>> = s
        .raw
        .iter()
        .zip(&s.messages)
        .filter(|(_, m)| !matches!(m, BmpMessage::PeerUp(u) if u.peer.is_loc_rib()))
        .map(|(r, _)| r.clone())
        .collect();
    let pcap = lab.path("stream1.pcap");
    testkit::tshark::write_pcap(std::path::Path::new(&pcap), 11019, &raw);
    let (ok, out) = sh(&format!(
        "tshark -n -r {pcap} -d tcp.port==11019,bmp -Y '_ws.malformed || _ws.expert.severity >= warning' -T fields -e frame.number 2>/dev/null"
    ));
    assert!(ok, "{out}");
    assert!(out.trim().is_empty(), "tshark flags frames: {out}");
    let (ok, count) = sh(&format!(
        "tshark -n -r {pcap} -d tcp.port==11019,bmp -Y bmp -T fields -e bmp.type 2>/dev/null | tr ',' '\\n' | grep -c ."
    ));
    assert!(
        ok && count.trim().parse::<usize>().unwrap() >= raw.len(),
        "{count}"
    );

    // pmbmpd logged the same routes: BIRD's pre- and post-policy, Loc-RIB.
    let rows = lab.wait("pmbmpd's route_monitor rows", 20, || {
        let rows: Vec<Value> = std::fs::read_to_string(&pm_log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let n = rows
            .iter()
            .filter(|r| r["bmp_msg_type"] == "route_monitor" && r["peer_ip"] == b)
            .count();
        (n >= 5).then_some(rows)
    });
    let pm = |pred: &dyn Fn(&Value) -> bool| -> Vec<String> {
        let mut v: Vec<String> = rows
            .iter()
            .filter(|r| r["bmp_msg_type"] == "route_monitor" && r["log_type"] == "update")
            .filter(|r| pred(r))
            .map(|r| r["ip_prefix"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let keys = |m: BTreeMap<String, String>| m.into_keys().collect::<Vec<_>>();
    assert_eq!(
        pm(&|r| r["peer_ip"] == b && r["is_post"] != 1),
        keys(view(&s, View::PrePolicy, b))
    );
    assert_eq!(
        pm(&|r| r["peer_ip"] == b && r["is_post"] == 1),
        keys(view(&s, View::PostPolicy, b))
    );
    assert_eq!(
        pm(&|r| r["is_loc"] == 1),
        keys(view(&s, View::LocRib, "0.0.0.0"))
    );

    // BIRD closes its session: Peer Down with its NOTIFICATION (Cease),
    // its routes gone from the station's views.
    lab.birdc("disable dut");
    let s = lab.wait("BIRD's Peer Down", 20, || {
        let s = read_stream(&stream1);
        s.messages
            .iter()
            .any(|m| matches!(m, BmpMessage::PeerDown(_)))
            .then_some(s)
    });
    let down = s
        .messages
        .iter()
        .find_map(|m| match m {
            BmpMessage::PeerDown(d) => Some(d),
            _ => None,
        })
        .unwrap();
    assert_eq!(down.peer.address.to_string(), b);
    match &down.reason {
        PeerDownReason::RemoteNotification(n) => assert_eq!(n.code, 6, "{n:?}"),
        r => panic!("Peer Down reason {r:?}"),
    }
    assert!(view(&s, View::PrePolicy, b).is_empty());
    let s = check(&lab, &sock, &stream1);
    assert!(!view(&s, View::LocRib, "0.0.0.0").contains_key("100.64.1.0/24"));
    lab.birdc("enable dut");
    lab.wait("BIRD's routes back", 40, || {
        let (ok, out) = ctl::ctl(&sock, "rib received 10.88.0.2");
        (ok && out.contains("100.64.1.0/24")).then_some(())
    });

    // The station restarts: rbgpd connects again and sends the whole
    // state (Peer Ups, every view) on the new connection.
    let capture_idx = 0;
    lab.kill(capture_idx);
    let stream2 = lab.path("stream2.bmp");
    lab.spawn(
        "g",
        &["python3", &capture, &stream2, "11019"],
        "capture2.log",
    );
    let s2 = check(&lab, &sock, &stream2);
    assert!(matches!(s2.messages[0], BmpMessage::Initiation(_)));
    assert!(view(&s2, View::PrePolicy, b).contains_key("10.20.0.0/16"));
    let connects = lab.wait("the reconnect in /metrics", 10, || {
        lab.metric(
            "d",
            "http://10.88.0.1:9179/metrics",
            "rbgp_bmp_connects_total{station=\"10.88.0.3:11019\"}",
        )
        .filter(|n| *n >= 2.0)
    });
    assert_eq!(connects, 2.0);
}

/// Stations added through the API: stored (they survive kill -9), listed
/// with their state, refused with the field named when wrong; stations of
/// the file cannot be deleted through the API.
#[test]
fn stations_through_the_api() {
    let mut lab = Lab::new("bmpapi");
    let state = lab.path("state");
    let sock = format!("unix://{state}/rbgpd.sock");
    let ctl = |args: &str| ctl::ctl(&sock, args);
    let capture = lab.write("capture.py", CAPTURE);
    let file_stream = lab.path("file.bmp");
    lab.spawn(
        "g",
        &["python3", &capture, &file_stream, "11019"],
        "capture-file.log",
    );
    let api_stream = lab.path("api.bmp");
    lab.spawn(
        "g",
        &["python3", &capture, &api_stream, "11020"],
        "capture-api.log",
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    let config = with_global(
        "[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\n\n[[bmp.collectors]]\naddress = \"10.88.0.3\"\nviews = [\"loc-rib\"]\n",
    );
    lab.rbgpd(&config);
    lab.gobgp(65003, &["ipv4-unicast"]);
    lab.gobgp_ok("global rib add 198.51.100.0/24 -a ipv4");

    // Wrong input changes nothing and names the field.
    let (ok, out) = ctl("bmp add 10.88.0.3 --port 11020 --views loc-rib,nope");
    assert!(!ok && out.contains("--views"), "{out}");
    let (ok, out) = ctl("bmp add 10.88.0.300 --port 11020");
    assert!(!ok && out.contains("station.address"), "{out}");
    let (ok, out) = ctl("bmp add 10.88.0.3 --port 11020 --buffer 5");
    assert!(!ok && out.contains("station.buffer"), "{out}");
    let (ok, out) = ctl("bmp add 10.88.0.3");
    assert!(!ok && out.contains("configuration file"), "{out}");
    let (ok, out) = ctl("bmp delete 10.88.0.3");
    assert!(!ok && out.contains("configuration file"), "{out}");
    let (ok, out) = ctl("bmp delete 10.88.0.9");
    assert!(!ok && out.contains("no BMP station"), "{out}");

    let (ok, out) =
        ctl("bmp add 10.88.0.3 --port 11020 --views post-policy,loc-rib --statistics-interval 0");
    assert!(ok, "{out}");
    let s = lab.wait("GoBGP's route at the API's station", 30, || {
        let s = read_stream(&api_stream);
        (view(&s, View::PostPolicy, G).contains_key("198.51.100.0/24")
            && view(&s, View::LocRib, "0.0.0.0").contains_key("198.51.100.0/24"))
        .then_some(s)
    });
    // Only the views asked for.
    assert!(view(&s, View::PrePolicy, G).is_empty());
    let list = lab.wait("both stations connected", 20, || {
        let (ok, out) = ctl("bmp list");
        (ok && out.matches("connected").count() == 2).then_some(out)
    });
    assert!(
        list.contains("10.88.0.3:11019") && list.contains("10.88.0.3:11020"),
        "{list}"
    );
    assert!(list.contains("post-policy,loc-rib"), "{list}");
    let (ok, json) = ctl("--json bmp list");
    assert!(ok, "{json}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let from_file: Vec<bool> = v["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["from_file"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(from_file, vec![true, false], "{json}");

    // kill -9 and start again: the API's station is still there and
    // gets the state again on a new connection.
    lab.signal_rbgpd("KILL");
    lab.kill(1);
    let api_stream2 = lab.path("api2.bmp");
    lab.spawn(
        "g",
        &["python3", &capture, &api_stream2, "11020"],
        "capture-api2.log",
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    lab.rbgpd(&config);
    lab.wait("the stored station fed again after a restart", 40, || {
        let s = read_stream(&api_stream2);
        view(&s, View::LocRib, "0.0.0.0")
            .contains_key("198.51.100.0/24")
            .then_some(())
    });

    // Deleted: the station gets Termination and the connection closes.
    let (ok, out) = ctl("bmp delete 10.88.0.3 --port 11020");
    assert!(ok, "{out}");
    lab.wait("Termination at the deleted station", 20, || {
        read_stream(&api_stream2)
            .messages
            .last()
            .filter(|m| matches!(m, BmpMessage::Termination(_)))
            .map(|_| ())
    });
    let (ok, list) = ctl("bmp list");
    assert!(ok && !list.contains("11020"), "{list}");
}
