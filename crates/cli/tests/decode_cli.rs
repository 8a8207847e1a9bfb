//! `rbgp decode` end to end: the binary, its JSON and its exit status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

fn rbgp(args: &[&str], stdin: Option<&[u8]>) -> (i32, Vec<Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rbgp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    } else {
        drop(child.stdin.take());
    }
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

const LARGE_COMMUNITY_UPDATE: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:004C:02:0000003040010100400200400304FFFFFFFF40050400000064C020180000000100000002000000030000000A0000000B0000000C200A000007";

#[test]
fn update_json_has_flat_announce_and_typed_attributes() {
    let (code, v, _) = rbgp(&["decode", "--hex", LARGE_COMMUNITY_UPDATE], None);
    assert_eq!(code, 0);
    assert_eq!(v.len(), 1);
    let u = &v[0];
    assert_eq!(u["type"], "UPDATE");
    assert_eq!(u["announce"][0]["nlri"], "10.0.0.7/32");
    assert_eq!(u["announce"][0]["afi_safi"], "ipv4_unicast");
    assert_eq!(u["announce"][0]["next_hop"], "255.255.255.255");
    assert_eq!(u["attributes"]["local_pref"], 100);
    assert_eq!(u["attributes"]["large_communities"][1], "10:11:12");
    assert_eq!(u["attributes"]["origin"], "igp");
}

#[test]
fn add_path_and_mp_families() {
    // ADD-PATH IPv4 (path id 1) + MP_REACH IPv6 with path id 7.
    let mut body = vec![0u8, 0];
    let mut attrs = vec![0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 192, 0, 2, 1];
    let mut mp = vec![0x80, 14, 0, 0, 2, 1, 16];
    mp.extend_from_slice(
        &"2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    mp.extend_from_slice(&[0, 0, 0, 0, 7, 32, 0x20, 0x01, 0x0d, 0xb8]);
    mp[2] = (mp.len() - 3) as u8;
    attrs.extend_from_slice(&mp);
    body.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    body.extend_from_slice(&attrs);
    body.extend_from_slice(&[0, 0, 0, 1, 24, 10, 0, 0]);
    let mut msg = vec![0xff; 16];
    msg.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
    msg.push(2);
    msg.extend_from_slice(&body);
    let hex: String = msg.iter().map(|b| format!("{b:02x}")).collect();
    let (code, v, err) = rbgp(
        &[
            "decode",
            "--add-path",
            "ipv4_unicast,ipv6_unicast",
            "--hex",
            &hex,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let a = &v[0]["announce"];
    assert_eq!(a[0]["nlri"], "10.0.0.0/24");
    assert_eq!(a[0]["path_id"], 1);
    assert_eq!(a[1]["afi_safi"], "ipv6_unicast");
    assert_eq!(a[1]["nlri"], "2001:db8::/32");
    assert_eq!(a[1]["path_id"], 7);
    assert_eq!(a[1]["next_hop"], "2001:db8::1");
    // Without the ADD-PATH context the same bytes are something else entirely.
    let (_, v2, _) = rbgp(&["decode", "--hex", &hex], None);
    assert_ne!(v2.first().map(|x| x["announce"].clone()), Some(a.clone()));
}

#[test]
fn raw_stream_from_stdin_and_hex_file() {
    let keepalive = {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&[0, 19, 4]);
        m
    };
    let mut stream = keepalive.clone();
    stream.extend_from_slice(&keepalive);
    let (code, v, _) = rbgp(&["decode", "--raw", "-"], Some(&stream));
    assert_eq!(code, 0);
    assert_eq!(v.len(), 2);
    assert_eq!(v[1]["type"], "KEEPALIVE");
    let text =
        format!("# comment\n{LARGE_COMMUNITY_UPDATE}\n\nffffffffffffffffffffffffffffffff001304\n");
    let (code, v, _) = rbgp(&["decode", "-"], Some(text.as_bytes()));
    assert_eq!(code, 0);
    assert_eq!(v.len(), 2);
}

#[test]
fn errors_go_to_stderr_with_nonzero_exit() {
    // Bad marker.
    let (code, v, err) = rbgp(
        &["decode", "--hex", "00ffffffffffffffffffffffffffffff001304"],
        None,
    );
    assert_ne!(code, 0);
    assert!(v.is_empty());
    assert!(err.contains("Connection Not Synchronized"), "{err}");
    // Unrecognized well-known attribute: session reset 3/2.
    let (code, _, err) = rbgp(
        &["decode", "--hex", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0038:02:0000001C40010100400200400304C0A8016440050400000064609904000000642065656565"],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("Unrecognized Well-known Attribute"), "{err}");
    // Not hex at all, and a bad --add-path family name.
    let (code, _, err) = rbgp(&["decode", "--hex", "zz"], None);
    assert_ne!(code, 0);
    assert!(err.contains("--hex"), "{err}");
    let (code, _, err) = rbgp(
        &["decode", "--add-path", "ipv5_unicast", "--hex", "00"],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("--add-path"), "{err}");
}

#[test]
fn rfc7606_verdict_in_output() {
    // MED of length 1: treat-as-withdraw, reported but still printed.
    let body = [
        0u8, 0, 0, 18, 0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 192, 0, 2, 1, 0x80, 4, 1, 0, 24, 10,
        0, 0,
    ];
    let mut msg = vec![0xff; 16];
    msg.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
    msg.push(2);
    msg.extend_from_slice(&body);
    let hex: String = msg.iter().map(|b| format!("{b:02x}")).collect();
    let (code, v, _) = rbgp(&["decode", "--hex", &hex], None);
    assert_eq!(code, 0);
    assert_eq!(v[0]["rfc7606"]["issues"][0]["action"], "treat_as_withdraw");
    assert_eq!(v[0]["rfc7606"]["treat_as_withdraw"][0][0], "ipv4_unicast");
}
