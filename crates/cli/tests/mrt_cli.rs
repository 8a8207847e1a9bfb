//! `rbgp mrt` end to end: formats, filters, stdin, compression by content,
//! truncated and damaged files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
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

fn tmp(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Files of every kind: gzip, bzip2, plain; BGP4MP, ADD-PATH, RIBs.
fn mixed_files() -> Vec<PathBuf> {
    [
        "bgpdump/test_data/updates.20160811.1600.gz",
        "ryu/ryu/tests/packet_data/mrt/updates.20161101.0000.bz2",
        "bgpdump/test_data/bview.ipv6_unicast_add_path.gz",
        "mrtparse/samples/bird6-mrtdump_bgp",
        "mrtparse/samples/openbgpd_rib_table-v2",
        "bgpdump/test_data/updates.20070211.0141.gz",
    ]
    .iter()
    .map(|f| data(f))
    .collect()
}

/// Several files print what each prints alone, in the order given,
/// whatever the number of threads (one: no decompressing thread either).
#[test]
fn several_files_print_in_the_order_given_on_any_number_of_threads() {
    let files = mixed_files();
    for format in ["psv", "json", "bgpdump"] {
        let alone: Vec<String> = files
            .iter()
            .map(|f| rbgp(&["mrt", "--format", format, path_str(f)], None).out)
            .collect();
        assert!(alone.iter().all(|o| !o.is_empty()), "{format}");
        for reversed in [false, true] {
            let mut order: Vec<usize> = (0..files.len()).collect();
            if reversed {
                order.reverse();
            }
            let want: String = order.iter().map(|&i| alone[i].as_str()).collect();
            for threads in ["1", "2", "3"] {
                let mut a = vec!["mrt", "--format", format, "--threads", threads];
                a.extend(order.iter().map(|&i| path_str(&files[i])));
                let got = rbgp(&a, None);
                assert_eq!(got.code, 0, "{format} {threads}: {}", got.err);
                assert!(
                    got.out == want,
                    "{format}, {threads} threads, reversed {reversed}: not the files in order"
                );
            }
        }
    }
}

/// A directory stands for the files under it, in name order (hidden
/// ones left out); an empty one is an error.
#[test]
fn a_directory_is_its_files_in_name_order() {
    let dir = tmp("archive");
    let files = mixed_files();
    let put = |name: &str, from: &Path| {
        let to = dir.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, &to).unwrap();
        to
    };
    // Name order, not the order written.
    let c = put("rrc00/2016.08/updates.20160811.1600.gz", &files[0]);
    let a = put("rrc00/2016.08/bview.20160811.0000.bz2", &files[1]);
    let b = put("rrc00/2016.08/updates.20160811.1200", &files[3]);
    let d = put("rrc01/updates.20070211.0141.gz", &files[5]);
    std::fs::write(dir.join("rrc00/.listing"), b"not MRT").unwrap();
    let want: String = [&a, &b, &c, &d]
        .iter()
        .map(|f| rbgp(&["mrt", path_str(f)], None).out)
        .collect();
    for threads in ["1", "2"] {
        let got = rbgp(&["mrt", "--threads", threads, path_str(&dir)], None);
        assert_eq!(got.code, 0, "{}", got.err);
        assert!(
            got.out == want,
            "{threads} threads: not the files in name order"
        );
        assert!(
            got.err.is_empty(),
            "the hidden file is left out: {}",
            got.err
        );
    }
    let empty = tmp("empty-archive");
    let r = rbgp(&["mrt", path_str(&empty)], None);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("no files"), "{}", r.err);
}

/// A truncated file and a damaged gzip among good ones: warnings and an
/// error name them, the good files still print, and threads change
/// nothing (output, messages, exit status).
#[test]
fn damaged_files_among_others_are_reported_and_the_rest_print() {
    let dir = tmp("damaged");
    let good = data("bgpdump/test_data/updates.20160811.1600.gz");
    let plain = gunzip(&good);
    let cut = dir.join("cut.mrt");
    std::fs::write(&cut, &plain[..plain.len() / 2]).unwrap();
    let mut gz = std::fs::read(&good).unwrap();
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 32] {
        *b ^= 0xa5;
    }
    let bad = dir.join("bad.gz");
    std::fs::write(&bad, &gz).unwrap();
    let other = data("bgpdump/test_data/updates.20070211.0141.gz");
    let files = [
        path_str(&good),
        path_str(&cut),
        path_str(&bad),
        path_str(&other),
    ];
    let first = rbgp(&["mrt", files[0]], None).out;
    let last = rbgp(&["mrt", files[3]], None).out;
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let mut a = vec!["mrt", "--threads", threads];
        a.extend(files);
        let r = rbgp(&a, None);
        assert_eq!(r.code, 1, "an error in one file: {}", r.err);
        assert!(r.out.starts_with(&first) && r.out.ends_with(&last));
        assert!(
            r.out.len() > first.len() + last.len(),
            "the cut file's records"
        );
        assert!(
            r.err.contains(&format!("{}: file truncated", files[1])),
            "{}",
            r.err
        );
        assert!(
            r.err.contains(&format!("rbgp mrt: {}: ", files[2])),
            "{}",
            r.err
        );
        runs.push(r);
    }
    assert!(runs[0].out == runs[1].out, "threads change the output");
    assert_eq!(runs[0].err, runs[1].err, "threads change the messages");
}

/// A file that cannot be opened stops the run: what came before it is
/// printed, nothing after it.
#[test]
fn a_file_that_cannot_be_opened_stops_the_run_there() {
    let files = mixed_files();
    let first = rbgp(&["mrt", path_str(&files[0])], None).out;
    for threads in ["1", "2"] {
        let r = rbgp(
            &[
                "mrt",
                "--threads",
                threads,
                path_str(&files[0]),
                "/nonexistent/updates.gz",
                path_str(&files[5]),
            ],
            None,
        );
        assert_eq!(r.code, 2, "{}", r.err);
        assert!(r.out == first, "{threads} threads: only the first file");
        assert!(
            r.err.contains("opening /nonexistent/updates.gz"),
            "{}",
            r.err
        );
    }
}

/// Output closed early (`| head`): the run ends at once, successfully,
/// whatever the number of threads and files still to read.
#[test]
fn a_closed_output_ends_the_run() {
    let files = mixed_files();
    for threads in ["1", "2"] {
        let mut a = vec!["mrt", "--threads", threads];
        a.extend(files.iter().map(|f| path_str(f)));
        let mut c = Command::new(env!("CARGO_BIN_EXE_rbgp"))
            .args(&a)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = c.stdout.take().unwrap();
        let mut head = [0u8; 4096];
        out.read_exact(&mut head).unwrap();
        drop(out);
        let t0 = std::time::Instant::now();
        let status = loop {
            if let Some(s) = c.try_wait().unwrap() {
                break s;
            }
            assert!(
                t0.elapsed() < std::time::Duration::from_secs(30),
                "{threads} threads: still running"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(0), "{threads} threads");
    }
}

/// Standard input among files takes its place in the order.
#[test]
fn stdin_among_files_prints_in_its_place() {
    let files = mixed_files();
    let (a, b) = (path_str(&files[1]), path_str(&files[5]));
    let want = rbgp(&["mrt", a, path_str(&files[0]), b], None).out;
    let got = rbgp(&["mrt", a, "-", b], Some(std::fs::read(&files[0]).unwrap()));
    assert_eq!(got.code, 0, "{}", got.err);
    assert!(got.out == want, "stdin's output in its place");
}
