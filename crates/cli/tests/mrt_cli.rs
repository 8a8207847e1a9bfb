//! `rbgp mrt` end to end: formats, filters, stdin, compression by content,
//! truncated and damaged files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use rbgp_testkit::data;

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn rbgp(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rbgp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = c.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let mut input = input;
        if let Some(d) = stdin {
            let _ = input.write_all(&d);
        }
    });
    let o = c.wait_with_output().unwrap();
    feeder.join().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8(o.stdout).unwrap(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn updates() -> String {
    data("bgpdump/test_data/updates.20160811.1600.gz")
        .to_string_lossy()
        .into_owned()
}

fn gunzip(p: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(p).unwrap())
        .read_to_end(&mut v)
        .unwrap();
    v
}

#[test]
fn stdin_plain_and_gzip_give_the_file_output() {
    let f = updates();
    let want = rbgp(&["mrt", "--format", "bgpdump", &f], None);
    assert_eq!(want.code, 0);
    assert_eq!(want.out.lines().count(), 41234);
    let gz = std::fs::read(&f).unwrap();
    let plain = gunzip(Path::new(&f));
    for input in [gz, plain] {
        let got = rbgp(&["mrt", "--format", "bgpdump", "-"], Some(input));
        assert_eq!(got.code, 0, "{}", got.err);
        assert!(got.out == want.out);
    }
}

#[test]
fn truncated_file_prints_every_whole_record_then_warns() {
    let plain = gunzip(&data("bgpdump/test_data/updates.20160811.1600.gz"));
    // Cut inside the 1001st record.
    let mut off = 0usize;
    for _ in 0..1000 {
        let len = u32::from_be_bytes(plain[off + 8..off + 12].try_into().unwrap()) as usize;
        off += 12 + len;
    }
    let cut = plain[..off + 20].to_vec();
    let whole = plain[..off].to_vec();
    let a = rbgp(&["mrt", "--format", "bgpdump", "-"], Some(cut.clone()));
    let b = rbgp(&["mrt", "--format", "bgpdump", "-"], Some(whole));
    assert_eq!(a.code, 0);
    assert!(!a.out.is_empty());
    assert_eq!(
        a.out, b.out,
        "the cut record must not print, the others must"
    );
    assert!(
        a.err.contains("truncated") && a.err.contains("1000 whole records"),
        "{}",
        a.err
    );
    // The element formats stop at the same place.
    let j = rbgp(&["mrt", "--format", "json", "-"], Some(cut));
    assert_eq!(j.code, 0);
    assert!(j.err.contains("truncated"));
}

#[test]
fn damaged_framing_is_reported_not_silent() {
    // Each record of this early RIS dump is 4 bytes short (INDEX.md quirk).
    let f = data("bgpkit-parser/tests/fixtures/ripe/rrc00/2000.01/bview.20000111.0032.gz");
    let r = rbgp(&["mrt", "--format", "bgpdump", f.to_str().unwrap()], None);
    assert_eq!(r.code, 0);
    assert_eq!(r.out.lines().count(), 1, "bgpdump prints one line too");
    assert!(r.err.contains("warning"), "{}", r.err);
}

#[test]
fn json_and_psv_carry_the_same_elements() {
    let f = updates();
    let j = rbgp(&["mrt", "--format", "json", &f], None);
    let p = rbgp(&["mrt", "--format", "psv", &f], None);
    assert_eq!(j.code, 0);
    assert_eq!(p.code, 0);
    let js: Vec<serde_json::Value> = j
        .out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ps: Vec<Vec<&str>> = p.out.lines().map(|l| l.split('|').collect()).collect();
    // bgpdump prints one line per element too (41234 A/W lines, 22 STATE).
    assert_eq!(js.len(), 41234 - 22);
    assert_eq!(js.len(), ps.len());
    for (j, p) in js.iter().zip(&ps) {
        assert_eq!(p.len(), 14);
        assert_eq!(j["prefix"], p[4]);
        assert_eq!(j["peer_asn"].as_u64().unwrap().to_string(), p[3]);
        assert_eq!(p[0] == "A", j["type"] == "announce");
        if p[0] == "A" {
            assert_eq!(j["as_path"].as_str().unwrap_or(""), p[5]);
        }
    }
}

/// Each filter selects the same elements in the element formats and in
/// bgpdump lines (STATE lines aside).
#[test]
fn filters_agree_across_formats() {
    let f = updates();
    let cases: &[&[&str]] = &[
        &["--type", "w"],
        &["--type", "a", "--origin-asn", "28573"],
        &["--prefix", "2804::/16", "--more-specific"],
        &["--prefix", "192.140.252.0/24", "--less-specific"],
        &["--peer-asn", "59689"],
        &["--peer-ip", "2001:7f8:54::188"],
        &["--community", "59689:200"],
        &["--as-path", " 3356 "],
        &["--as-path", r"\b1299 \d+$"],
        &["--start", "1470931300", "--end", "2016-08-11T16:02:00Z"],
    ];
    for c in cases {
        let mut a = vec!["mrt", "--format", "psv", f.as_str()];
        a.extend_from_slice(c);
        let p = rbgp(&a, None);
        a[2] = "bgpdump";
        let b = rbgp(&a, None);
        assert_eq!(p.code, 0, "{c:?}: {}", p.err);
        let n = p.out.lines().count();
        let m = b.out.lines().filter(|l| !l.contains("|STATE|")).count();
        assert!(n > 0, "{c:?} selects nothing");
        assert!(n < 41212, "{c:?} selects everything");
        assert_eq!(n, m, "{c:?}");
    }
}

#[test]
fn prefix_filter_is_exact_without_flags() {
    let p = rbgp(&["mrt", &updates(), "--prefix", "2804:14d::/40"], None);
    assert!(p.out.lines().count() >= 1);
    assert!(p
        .out
        .lines()
        .all(|l| l.split('|').nth(4) == Some("2804:14d::/40")));
}

#[test]
fn bad_arguments_are_errors() {
    assert_ne!(
        rbgp(&["mrt", &updates(), "--start", "yesterday"], None).code,
        0
    );
    assert_ne!(rbgp(&["mrt", &updates(), "--more-specific"], None).code, 0);
    assert_ne!(rbgp(&["mrt", "/nonexistent/file.mrt"], None).code, 0);
}

#[test]
fn legacy_bgp_type_gives_the_elements_bgpdump_prints() {
    // RFC 6396 Appendix B.2.1 (MRT type 5), RIS 1999.
    let f = data("bgpkit-parser/tests/fixtures/ripe/rrc00/1999.09/updates.19990903.1041.gz");
    let f = f.to_str().unwrap();
    let p = rbgp(&["mrt", f], None);
    let b = rbgp(&["mrt", "--format", "bgpdump", f], None);
    assert_eq!(p.code, 0);
    let lines = b.out.lines().filter(|l| !l.contains("|STATE|")).count();
    assert_eq!(p.out.lines().count(), lines);
    assert!(lines > 60_000);
}
