//! `rbgp collector` against real routers, a real Kafka-protocol broker
//! and independent readers. In network namespaces of this test: GoBGP and
//! FRR peer with each other and export BMP to the collector; a third host
//! sends garbage and a message cut short. The collector publishes to
//! tansu (a Kafka-compatible broker), archives MRT per router and writes
//! NDJSON. Checked:
//! - kafka-python reads the raw_bmp topic: per router, the BMP octets of
//!   the records, in order, are exactly the TCP stream the router sent
//!   (tshark's capture on the collector's interface); bgpkit-parser's
//!   OpenBMP reader parses every record;
//! - the JSON topic has pmacct-named route rows for what each router's
//!   peer sent it, and Peer Ups;
//! - bgpdump reads the per-router update files and table dumps: GoBGP's
//!   archive holds FRR's route as received;
//! - the bad host's errors are counted for it alone in /metrics, the
//!   routers' sessions go on;
//! - `rbgp bmp --kafka` and a second collector `--from-kafka` read the
//!   raw_bmp topic back.
//!
//! Needs root, iproute2, gobgpd, FRR, tshark, bgpdump, tansu, kafka-python
//! (`scripts/test.sh` installs them); a missing tool fails the test.
//! Namespaces `co<pid>{sw,c,g,f,x}` on 10.91.0.0/24.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use rbgp_bmp::openbmp::OpenBmpHeader;
use rbgp_testkit::tshark::tcp_streams;
use rbgp_testkit::{Lab, Topology, FRR_BGPD};
use serde_json::Value;

const COLLECTOR: &str = "10.91.0.1";
const GOBGP: &str = "10.91.0.2";
const FRR: &str = "10.91.0.3";
const BAD: &str = "10.91.0.4";
const KAFKA_PORT: u16 = 19092;
const METRICS: &str = "http://127.0.0.1:9324/metrics";
/// GoBGP's and FRR's own routes.
const GOBGP_ROUTE: &str = "100.64.2.0/24";
const FRR_ROUTE: &str = "100.64.3.0/24";

fn lab() -> Lab {
    Lab::new(&Topology {
        prefix: "co",
        test: "",
        dir: "collector",
        hosts: &[("c", 1), ("g", 2), ("f", 3), ("x", 4)],
        v4: "10.91.0",
        v6: "fd91::",
        tools: &[
            "gobgpd",
            "vtysh",
            FRR_BGPD,
            "tshark",
            "bgpdump",
            "tansu",
            "kafka-python",
            "curl",
        ],
        grace: Duration::from_secs(5),
    })
}

fn gobgp_conf() -> String {
    format!(
        r#"[global.config]
  as = 65002
  router-id = "{GOBGP}"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{FRR}"
    peer-as = 65003
  [neighbors.timers.config]
    connect-retry = 2
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[bmp-servers]]
  [bmp-servers.config]
    address = "{COLLECTOR}"
    port = 11019
    route-monitoring-policy = "all"
"#
    )
}

fn frr_conf(dir: &str) -> String {
    format!(
        "frr defaults traditional\nhostname rbgp-frr\nlog file {dir}/frr.log informational\n\
         router bgp 65003\n bgp router-id {FRR}\n no bgp ebgp-requires-policy\n \
         no bgp network import-check\n no bgp default ipv4-unicast\n \
         neighbor {GOBGP} remote-as 65002\n neighbor {GOBGP} disable-connected-check\n \
         neighbor {GOBGP} timers connect 2\n \
         address-family ipv4 unicast\n  network {FRR_ROUTE}\n  neighbor {GOBGP} activate\n  \
         neighbor {GOBGP} soft-reconfiguration inbound\n exit-address-family\n \
         bmp targets rbgp\n  bmp connect {COLLECTOR} port 11019 min-retry 100 max-retry 1000\n  \
         bmp monitor ipv4 unicast pre-policy\n  bmp monitor ipv4 unicast post-policy\n \
         exit\nexit\n"
    )
}

/// Sends, from the bad host: garbage, a whole Initiation, then the start
/// of a message, and closes.
const BAD_ROUTER: &str = "import socket, sys
s = socket.create_connection((sys.argv[1], 11019))
init = bytes([3, 0, 0, 0, 14, 4, 0, 2, 0, 4]) + b'junk'
s.sendall(b'\\xde\\xad\\xbe\\xef' * 8 + init + bytes([3, 0, 0, 0, 200, 0]) + b'cut')
s.close()
";

fn ndjson(lab: &Lab, f: &str) -> Vec<Value> {
    lab.log(f)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Route Monitoring element lines of `router` for `prefix`.
fn has_route(lines: &[Value], router: &str, prefix: &str) -> bool {
    lines.iter().any(|v| {
        v["bmp_router"] == router
            && v["update"]["announce"]
                .as_array()
                .is_some_and(|a| a.iter().any(|n| n["nlri"] == prefix))
    })
}

fn bgpdump(path: &std::path::Path) -> String {
    rbgp_testkit::sh(&format!("bgpdump -m {}", path.display())).1
}

fn files(dir: &std::path::Path, start: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(start))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn routers_to_kafka_mrt_and_ndjson() {
    let mut lab = lab();
    let rbgp = env!("CARGO_BIN_EXE_rbgp");
    // The capture: every octet the routers send the collector.
    let pcap = lab.path("bmp.pcap");
    lab.spawn(
        "c",
        &[
            "tshark",
            "-n",
            "-i",
            "eth0",
            "-f",
            "tcp port 11019",
            "-w",
            &pcap,
        ],
        "tshark.log",
    );
    lab.wait("tshark capturing", 30, || {
        lab.log("tshark.log").contains("Capturing on").then_some(())
    });
    lab.tansu_in("c", KAFKA_PORT);
    let mrt = lab.path("mrt");
    let nd = lab.path("out.ndjson");
    let listen = format!("{COLLECTOR}:11019");
    let kafka = format!("127.0.0.1:{KAFKA_PORT}");
    // Kafka from the file (topics made with 4 partitions: a router's
    // records must all go to one, in order), the rest from flags.
    let conf = lab.write(
        "collector.toml",
        &format!("admin_id = \"rbgp-test\"\n[kafka]\nbrokers = [\"{kafka}\"]\npartitions = 4\n"),
    );
    lab.spawn(
        "c",
        &[
            rbgp,
            "collector",
            "--config",
            &conf,
            "--listen",
            &listen,
            "--mrt-dir",
            &mrt,
            "--updates-interval",
            "3",
            "--table-interval",
            "4",
            "--ndjson",
            &nd,
            "--metrics",
            "127.0.0.1:9324",
        ],
        "collector.log",
    );
    let collector_index = lab.children.len() - 1;
    lab.wait("the collector listening", 30, || {
        lab.log("collector.log")
            .contains("listening for BMP")
            .then_some(())
    });
    lab.gobgpd_in("g", "gobgp", &gobgp_conf());
    let dir = lab.frr_dir();
    lab.frr_bgpd("f", &frr_conf(&dir), &["-M", "bmp", "-l", FRR]);
    lab.wait("GoBGP's API", 30, || {
        lab.run_in("g", "gobgp -p 50051 global")
            .contains("65002")
            .then_some(())
    });
    lab.gobgp_ok_in(
        "g",
        &format!("global rib add {GOBGP_ROUTE} community 65002:1"),
    );

    // Each router reports what its peer sent it (pre-policy Adj-RIB-In).
    lab.wait("both routes in the NDJSON output", 60, || {
        let l = ndjson(&lab, "out.ndjson");
        (has_route(&l, GOBGP, FRR_ROUTE) && has_route(&l, FRR, GOBGP_ROUTE)).then_some(())
    });

    // A bad host: its errors are its own; the routers go on.
    let before = lab
        .metric(
            "c",
            METRICS,
            &format!("rbgp_collector_messages_total{{router=\"{GOBGP}\"}}"),
        )
        .unwrap();
    let script = lab.write("bad.py", BAD_ROUTER);
    lab.ok_in("x", &format!("python3 {script} {COLLECTOR}"));
    lab.wait("the bad host's errors counted", 20, || {
        let e = lab.metric(
            "c",
            METRICS,
            &format!("rbgp_collector_errors_total{{router=\"{BAD}\"}}"),
        )?;
        let m = lab.metric(
            "c",
            METRICS,
            &format!("rbgp_collector_messages_total{{router=\"{BAD}\"}}"),
        )?;
        (e >= 2.0 && m >= 1.0).then_some(())
    });
    lab.gobgp_ok_in("g", "global rib add 100.64.22.0/24");
    lab.wait("GoBGP's session going on", 30, || {
        let m = lab.metric(
            "c",
            METRICS,
            &format!("rbgp_collector_messages_total{{router=\"{GOBGP}\"}}"),
        )?;
        (m > before).then_some(())
    });
    assert_eq!(
        lab.metric(
            "c",
            METRICS,
            &format!("rbgp_collector_errors_total{{router=\"{GOBGP}\"}}")
        ),
        Some(0.0)
    );
    assert_eq!(
        lab.metric(
            "c",
            METRICS,
            &format!("rbgp_collector_router_up{{router=\"{FRR}\"}}")
        ),
        Some(1.0)
    );

    // Table dumps per router: GoBGP's view holds FRR's route from FRR.
    let gob_dir = std::path::Path::new(&mrt).join(GOBGP);
    let table = lab.wait("a table dump of GoBGP's routes", 20, || {
        files(&gob_dir, "rib.")
            .into_iter()
            .rev()
            .map(|p| bgpdump(&p))
            .find(|t| t.contains(FRR_ROUTE))
    });
    assert!(
        table
            .lines()
            .any(|l| l.contains(&format!("|B|{FRR}|65003|{FRR_ROUTE}|65003|IGP|"))),
        "{table}"
    );

    // The routers go away; the collector completes its files on SIGTERM.
    let n = lab.children.len();
    lab.kill(n - 1);
    lab.kill(n - 2);
    lab.wait("both routers seen gone", 20, || {
        let g = lab.metric(
            "c",
            METRICS,
            &format!("rbgp_collector_router_up{{router=\"{GOBGP}\"}}"),
        )?;
        let f = lab.metric(
            "c",
            METRICS,
            &format!("rbgp_collector_router_up{{router=\"{FRR}\"}}"),
        )?;
        (g == 0.0 && f == 0.0).then_some(())
    });
    let pid = lab.children[collector_index].id();
    rbgp_testkit::sh(&format!("kill -TERM {pid}"));
    let _ = lab.children[collector_index].wait();
    assert!(
        lab.log("collector.log").contains("stopping"),
        "{}",
        lab.log("collector.log")
    );

    // Update files: FRR's route as GoBGP received it, and the session.
    let updates: String = files(&gob_dir, "updates.")
        .iter()
        .map(|p| bgpdump(p))
        .collect();
    assert!(
        updates
            .lines()
            .any(|l| l.contains(&format!("|A|{FRR}|65003|{FRR_ROUTE}|65003|IGP|"))),
        "{updates}"
    );
    assert!(
        updates.contains(&format!("|STATE|{FRR}|65003|")),
        "{updates}"
    );

    // raw_bmp on Kafka, read by an independent client.
    let raw = lab.kafka_read("c", KAFKA_PORT, "openbmp.bmp_raw");
    assert!(
        raw.len() > 10,
        "{} raw_bmp records\n{}",
        raw.len(),
        lab.diag()
    );
    let mut per_router: BTreeMap<IpAddr, Vec<u8>> = BTreeMap::new();
    let mut keys: BTreeMap<IpAddr, (Vec<u8>, i32, i64)> = BTreeMap::new();
    for r in &raw {
        let (h, bmp) = OpenBmpHeader::decode(&r.value).unwrap();
        assert_eq!(h.collector_admin_id, b"rbgp-test");
        assert_eq!(h.row_count, 1);
        per_router
            .entry(h.router_ip)
            .or_default()
            .extend_from_slice(bmp);
        // One key and one partition per router, offsets rising.
        let k = keys
            .entry(h.router_ip)
            .or_insert_with(|| (r.key.clone(), r.partition, -1));
        assert_eq!(
            (&k.0, k.1),
            (&r.key, r.partition),
            "one key and partition per router"
        );
        assert!(r.offset > k.2, "a router's records in offset order");
        k.2 = r.offset;
        // bgpkit-parser's OpenBMP reader parses our records.
        bgpkit_parser::parser::bmp::parse_openbmp_msg(r.value.clone().into())
            .unwrap_or_else(|e| panic!("bgpkit-parser: {e:?} on {}", hex::encode(&r.value)));
    }
    // Exactly what each router sent, per the capture.
    let streams = tcp_streams(std::path::Path::new(&pcap), &[11019]);
    for router in [GOBGP, FRR] {
        let sent: Vec<u8> = streams
            .iter()
            .filter(|s| s.name.contains(&format!(" {router}:")))
            .flat_map(|s| s.bytes.clone())
            .collect();
        assert!(!sent.is_empty(), "no capture of {router}");
        let ip: IpAddr = router.parse().unwrap();
        assert!(
            per_router.get(&ip) == Some(&sent),
            "{router}: Kafka has {} octets, the router sent {}",
            per_router.get(&ip).map_or(0, |v| v.len()),
            sent.len()
        );
    }

    // The JSON topic: pmacct's field names.
    let rows: Vec<Value> = lab
        .kafka_read("c", KAFKA_PORT, "rbgp.bmp.json")
        .iter()
        .map(|r| serde_json::from_slice(&r.value).unwrap())
        .collect();
    let route = rows
        .iter()
        .find(|r| {
            r["bmp_msg_type"] == "route_monitor"
                && r["bmp_router"] == GOBGP
                && r["ip_prefix"] == FRR_ROUTE
                && r["is_post"] == 0
        })
        .unwrap_or_else(|| panic!("no route row: {rows:?}"));
    assert_eq!(route["peer_ip"], FRR);
    assert_eq!(route["peer_asn"], 65003);
    assert_eq!(route["as_path"], "65003");
    assert_eq!(route["log_type"], "update");
    assert_eq!(route["origin"], "i");
    assert!(rows.iter().any(|r| r["bmp_msg_type"] == "route_monitor"
        && r["bmp_router"] == FRR
        && r["ip_prefix"] == GOBGP_ROUTE
        && r["comms"] == "65002:1"));
    assert!(rows.iter().any(|r| r["bmp_msg_type"] == "peer_up"
        && r["bmp_router"] == GOBGP
        && r["peer_ip"] == FRR));

    // Reading raw_bmp back: `rbgp bmp --kafka`, one line per message.
    let out = lab.run_in("c", &format!("{rbgp} bmp --kafka {kafka}"));
    let lines: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let messages: usize = per_router
        .values()
        .map(|b| rbgp_bmp::framer::split(b).count())
        .sum();
    assert_eq!(lines.len(), messages, "{out}");
    assert!(lines.iter().any(|l| l["update"]["announce"]
        .as_array()
        .is_some_and(|a| a.iter().any(|n| n["nlri"] == FRR_ROUTE))));

    // A second collector fed from Kafka writes the same messages.
    let nd2 = lab.path("from-kafka.ndjson");
    lab.spawn(
        "c",
        &[rbgp, "collector", "--from-kafka", &kafka, "--ndjson", &nd2],
        "collector2.log",
    );
    lab.wait("the second collector's NDJSON", 30, || {
        let l = ndjson(&lab, "from-kafka.ndjson");
        (l.len() == messages).then_some(l)
    });
    let l2 = ndjson(&lab, "from-kafka.ndjson");
    assert!(has_route(&l2, GOBGP, FRR_ROUTE));
}
