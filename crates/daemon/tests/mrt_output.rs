//! MRT files written by rbgpd: with BIRD (IPv4, IPv6) and GoBGP as
//! neighbors, `rbgpctl mrt dump` writes a TABLE_DUMP_V2 file whose routes
//! (prefix, neighbor, AS path, next hop) equal `rbgpctl rib` as read by
//! bgpdump 1.6.2, bgpkit-parser and `rbgp mrt`, every path or (`--paths
//! best`) the best ones only; the BGP4MP_ET update files
//! (rotated every 2 s) hold BIRD's announcements and withdrawal and the
//! session state changes as bgpdump reads them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use std::collections::BTreeSet;
use std::io::Read;

use common::*;
use serde_json::Value;

const BIRD: &str = r#"
protocol static s4 { ipv4;
  route 100.64.1.0/24 blackhole;
  route 100.64.2.0/24 blackhole { bgp_path.prepend(65020); bgp_community.add((65002, 7)); };
}
protocol static s6 { ipv6; route 2001:db8:1::/48 blackhole; }
"#;

/// (prefix, neighbor, AS path) of every path.
type Routes = BTreeSet<(String, String, String)>;

fn from_rbgpctl(json: &str, best_only: bool) -> Routes {
    let v: Value = serde_json::from_str(json).unwrap();
    let mut out = Routes::new();
    // A JSON array of routes.
    for r in v.as_array().into_iter().flatten() {
        if best_only && r["best"] != true {
            continue;
        }
        let p = &r["path"];
        let source = r["source"].as_str().unwrap_or_default();
        out.insert((
            p["prefix"].as_str().unwrap().to_string(),
            if source.is_empty() { "0.0.0.0" } else { source }.to_string(),
            json_as_path(p),
        ));
    }
    out
}

/// bgpdump -m lines of TABLE_DUMP2 records.
fn from_bgpdump(text: &str) -> Routes {
    text.lines()
        .filter(|l| l.starts_with("TABLE_DUMP2|"))
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (f[5].to_string(), f[3].to_string(), f[6].to_string())
        })
        .collect()
}

fn from_bgpkit(path: &str) -> Routes {
    let f = std::fs::File::open(path).unwrap();
    let p = bgpkit_parser::BgpkitParser::from_reader(flate2::read::GzDecoder::new(f));
    p.into_elem_iter()
        .map(|e| {
            let path = e.as_path.map(|p| p.to_string()).unwrap_or_default();
            (e.prefix.to_string(), e.peer_ip.to_string(), path)
        })
        .collect()
}

/// `rbgp mrt` (PSV: type|time|peer ip|peer AS|prefix|AS path|...).
fn from_rbgp(path: &str) -> Routes {
    let bin = rbgp_testkit::workspace_bin(env!("CARGO_BIN_EXE_rbgpd"), "rbgp", "rbgp-cli");
    let out = std::process::Command::new(bin)
        .args(["mrt", path])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (f[4].to_string(), f[2].to_string(), f[5].to_string())
        })
        .collect()
}

#[test]
fn table_dumps_and_update_files_read_back_in_bgpdump_bgpkit_and_rbgp() {
    let mut lab = Lab::new("mrt");
    testkit::need("bgpdump");
    let state = lab.path("state");
    let sock = format!("unix://{state}/rbgpd.sock");
    let ctl = |args: &str| {
        let (ok, out) = ctl::ctl(&sock, args);
        assert!(ok, "rbgpctl {args}: {out}");
        out
    };
    let dir = lab.path("mrt");
    lab.rbgpd(&with_global(&format!(
        "[[neighbors]]\naddress = \"10.88.0.2\"\nremote_asn = 65002\nfamilies = [\"ipv4_unicast\", \"ipv6_unicast\"]\n\n[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\n\n[mrt]\ndirectory = \"{dir}\"\nupdates_interval = 2\nupdates_name = \"updates.%Y%m%d.%H%M%S\"\n"
    )));
    lab.bird(&format!(
        "{BIRD}{}",
        bird_session(
            "dut",
            65002,
            "",
            "  ipv4 { import none; export all; };\n  ipv6 { import none; export all; };\n"
        )
    ));
    lab.gobgp(65003, &["ipv4-unicast"]);
    lab.gobgp_ok("global rib add -a ipv4 198.51.100.0/24");
    // A second path for one of BIRD's prefixes.
    lab.gobgp_ok("global rib add -a ipv4 100.64.1.0/24");
    // Both families (rbgpctl lists one at a time).
    let rib = |best_only: bool| {
        let mut got = from_rbgpctl(&ctl("--json rib"), best_only);
        got.extend(from_rbgpctl(
            &ctl("--json rib --family ipv6_unicast"),
            best_only,
        ));
        got
    };
    let want = lab.wait("the five paths in the RIB", 40, || {
        let got = rib(false);
        (got.len() == 5).then_some(got)
    });

    // The Loc-RIB only: one path per prefix, the best.
    let best = rib(true);
    assert_eq!(best.len(), 4, "{best:?}");
    let path = ctl("mrt dump --paths best").trim().to_string();
    let (ok, text) = sh(&format!("bgpdump -m {path} 2>&1"));
    assert!(ok, "{text}");
    assert_eq!(from_bgpdump(&text), best, "bgpdump:\n{text}");
    assert_eq!(from_rbgp(&path), best, "rbgp mrt");
    let (ok, out) = ctl::ctl(&sock, "mrt dump --paths some");
    assert!(!ok && out.contains("--paths"), "{out}");

    // Every path (the default `[mrt] table_paths`).
    let path = ctl("mrt dump").trim().to_string();
    assert!(path.starts_with(&dir) && path.ends_with(".gz"), "{path}");
    let (ok, text) = sh(&format!("bgpdump -m {path} 2>&1"));
    assert!(ok, "{text}");
    assert_eq!(from_bgpdump(&text), want, "bgpdump:\n{text}");
    assert_eq!(from_bgpkit(&path), want, "bgpkit-parser");
    assert_eq!(from_rbgp(&path), want, "rbgp mrt");
    // The attributes come through: BIRD's community and IPv6 next hop.
    let line = |p: &str| text.lines().find(|l| l.contains(p)).unwrap().to_string();
    assert!(line("100.64.2.0/24").contains("65002:7"), "{text}");
    assert!(line("2001:db8:1::/48").contains("|fd88::2|"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("|100.64.1.0/24|") && l.contains("|10.88.0.2|")),
        "{text}"
    );

    // The update log: BIRD withdraws a route; the files of the intervals
    // since the sessions came up hold its announcements, the withdrawal
    // and the state changes.
    lab.birdc("disable s4");
    let text = lab.wait("the withdrawal in a complete update file", 20, || {
        let (_, text) = sh(&format!(
            "for f in {dir}/updates.*.gz; do bgpdump -m $f; done 2>/dev/null"
        ));
        text.lines()
            .any(|l| l.contains("|W|10.88.0.2|65002|100.64.1.0/24"))
            .then_some(text)
    });
    assert!(
        text.lines().any(|l| l.starts_with("BGP4MP_ET|")
            && l.contains("|A|10.88.0.2|65002|100.64.2.0/24|65002 65020|")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("|A|10.88.0.2|65002|2001:db8:1::/48|65002|IGP|fd88::2|")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("|STATE|10.88.0.2|65002|5|6")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("|STATE|10.88.0.3|65003|5|6")),
        "{text}"
    );
    // Files are complete when they appear under their name: the one being
    // written has a temporary name.
    let (_, names) = sh(&format!("ls -a {dir}"));
    let tmp = names.lines().filter(|n| n.ends_with(".tmp")).count();
    assert!(tmp <= 1, "{names}");
    assert!(
        names
            .lines()
            .any(|n| n.starts_with("updates.") && n.ends_with(".gz")),
        "{names}"
    );

    // bgpdump reads every update file whole (no truncation warning).
    let (_, err) = sh(&format!(
        "for f in {dir}/updates.*.gz; do bgpdump -m $f >/dev/null; done 2>&1"
    ));
    assert!(!err.to_lowercase().contains("trunc"), "{err}");
    // A clean stop completes the update file being written.
    let pid = lab.rbgpd_pid();
    ctl("shutdown");
    // Exited (a zombie until the lab reaps it: no command line).
    lab.wait("rbgpd to stop", 20, || {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map_or(true, |c| c.is_empty())
            .then_some(())
    });
    let (_, names) = sh(&format!("ls -a {dir}"));
    assert!(!names.contains(".tmp"), "{names}");
    let mut f = std::fs::File::open(&path).unwrap();
    let mut head = [0u8; 2];
    f.read_exact(&mut head).unwrap();
    assert_eq!(head, [0x1f, 0x8b], "gzip");
}
