//! `rbgp bmp` end to end: the binary on an encoded BMP stream, on stdin,
//! with `--elems` and `--openbmp`, and on damaged input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use rbgp_bmp::message::{
    BmpMessage, Initiation, PeerDown, PeerUp, RouteMonitoring, StatisticsReport, Termination,
};
use rbgp_bmp::openbmp::OpenBmpHeader;
use rbgp_bmp::stats::Stat;
use rbgp_bmp::tlv::{Tlv, INIT_SYS_NAME, TERM_REASON};
use rbgp_bmp::{PeerDownReason, PeerHeader};
use rbgp_wire::attr::{AttrValue, Origin, PathAttribute};
use rbgp_wire::{Context, NlriEntry, Open, Update};
use serde_json::Value;

fn rbgp(args: &[&str], stdin: &[u8]) -> (i32, Vec<Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rbgp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stream() -> Vec<u8> {
    let peer = PeerHeader::new(
        "192.0.2.9".parse().unwrap(),
        65009,
        Ipv4Addr::new(9, 9, 9, 9),
        1700000000,
    );
    let update = Update {
        withdrawn: vec![NlriEntry::new(
            "198.51.100.0/24"
                .parse::<rbgp_wire::Prefix>()
                .unwrap()
                .into(),
        )],
        attributes: vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath("65009 4200000000".parse().unwrap())),
            PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 9))),
        ],
        nlri: vec![NlriEntry::new(
            "203.0.113.0/24"
                .parse::<rbgp_wire::Prefix>()
                .unwrap()
                .into(),
        )],
    };
    let msgs = [
        BmpMessage::Initiation(Initiation {
            information: vec![Tlv::string(INIT_SYS_NAME, "r1")],
        }),
        BmpMessage::PeerUp(PeerUp {
            peer,
            local_address: "192.0.2.1".parse().unwrap(),
            local_port: 179,
            remote_port: 40001,
            sent_open: Open::new(65001, 90, Ipv4Addr::new(1, 1, 1, 1), vec![]),
            received_open: Open::new(65009, 90, Ipv4Addr::new(9, 9, 9, 9), vec![]),
            information: vec![],
        }),
        BmpMessage::RouteMonitoring(RouteMonitoring::new(peer, &update, &Context::default())),
        BmpMessage::StatisticsReport(StatisticsReport {
            peer,
            stats: vec![Stat::counter(0, 3), Stat::gauge(7, 1)],
        }),
        BmpMessage::PeerDown(PeerDown {
            peer,
            reason: PeerDownReason::RemoteNoNotification,
        }),
        BmpMessage::Termination(Termination {
            information: vec![Tlv::new(TERM_REASON, [0u8, 0])],
        }),
    ];
    msgs.iter().flat_map(|m| m.to_bytes()).collect()
}

#[test]
fn messages_to_json_lines() {
    let (code, v, err) = rbgp(&["bmp", "-"], &stream());
    assert_eq!(code, 0, "{err}");
    let types: Vec<&str> = v.iter().map(|x| x["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "initiation",
            "peer_up",
            "route_monitoring",
            "statistics_report",
            "peer_down",
            "termination"
        ]
    );
    assert_eq!(v[0]["information"][0]["name"], "sys_name");
    assert_eq!(v[0]["information"][0]["value"], "r1");
    let rm = &v[2];
    assert_eq!(rm["peer"]["address"], "192.0.2.9");
    assert_eq!(rm["context"]["source"], "peer_up");
    assert_eq!(rm["context"]["four_octet_as"], true);
    assert_eq!(rm["update"]["announce"][0]["nlri"], "203.0.113.0/24");
    assert_eq!(rm["update"]["withdraw"][0]["nlri"], "198.51.100.0/24");
    assert_eq!(v[3]["stats"][1]["name"], "adj_rib_in_routes");
    assert_eq!(v[4]["reason"]["name"], "remote_no_notification");
    assert_eq!(v[5]["information"][0]["reason"], "administratively_closed");
}

#[test]
fn elems_and_file_input() {
    let dir = std::env::temp_dir().join(format!("rbgp-bmp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("s.bmp");
    std::fs::write(&f, stream()).unwrap();
    let (code, v, err) = rbgp(&["bmp", "--elems", f.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["type"], "announce");
    assert_eq!(v[0]["peer_ip"], "192.0.2.9");
    assert_eq!(v[0]["peer_asn"], 65009);
    assert_eq!(v[0]["timestamp"], 1700000000.0);
    assert_eq!(v[0]["origin_asn"], 4200000000u32);
    assert_eq!(v[1]["type"], "withdraw");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn openbmp_payloads() {
    let bmp = stream();
    let h = OpenBmpHeader::new("203.0.113.7".parse().unwrap(), "collector-1", "group-a");
    let mut data = Vec::new();
    h.encode(&bmp, &mut data);
    data.push(b'\n');
    h.encode(&bmp, &mut data);
    let (code, v, err) = rbgp(&["bmp", "--openbmp", "-"], &data);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v.len(), 12);
    assert_eq!(v[2]["openbmp"]["router_ip"], "203.0.113.7");
    assert_eq!(v[2]["openbmp"]["router_group"], "group-a");
    assert_eq!(v[2]["update"]["announce"][0]["nlri"], "203.0.113.0/24");
}

#[test]
fn garbage_and_truncation_are_reported_and_the_stream_goes_on() {
    let mut data = b"garbage".to_vec();
    data.extend_from_slice(&stream());
    data.extend_from_slice(&stream()[..10]);
    let (code, v, err) = rbgp(&["bmp", "-"], &data);
    assert_eq!(code, 1);
    assert_eq!(v.len(), 6);
    assert!(err.contains("skipped 7 octets"), "{err}");
    assert!(err.contains("input ends inside a message"), "{err}");
}

#[test]
fn route_monitoring_without_peer_up_is_guessed_with_a_warning() {
    let s = stream();
    // Drop Initiation and Peer Up: the capture starts mid-session.
    let init_len = u32::from_be_bytes(s[1..5].try_into().unwrap()) as usize;
    let pu_len = u32::from_be_bytes(s[init_len + 1..init_len + 5].try_into().unwrap()) as usize;
    let (code, v, err) = rbgp(&["bmp", "-"], &s[init_len + pu_len..]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v[0]["context"]["source"], "guessed");
    assert_eq!(v[0]["update"]["announce"][0]["nlri"], "203.0.113.0/24");
    assert!(v[0]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("without a Peer Up"));
    assert!(err.contains("warning"), "{err}");
}
