//! Bulk injection (InjectionService.AddPaths through `rbgpctl rib
//! add-bulk`) under faults.
//!
//! SIGKILL at many moments during a bulk injection. Each round first
//! injects 100 paths with `rbgpctl rib add-bulk` and waits for the answer
//! (acknowledged), then starts a 60,000-path add-bulk in batches of 1,000
//! (each batch stored atomically, applied in order) and kills rbgpd with
//! SIGKILL after a pseudo-random delay. After the restart:
//!
//! - every acknowledged path of every round so far is there, with its
//!   community;
//! - of the interrupted stream, exactly its first k batches are there for
//!   some k (all of it when rbgpctl got its answer), each path with its
//!   own community: nothing unacknowledged is half there.
//!
//! At least one round must end in the middle of the stream, or the test
//! proved nothing.
//!
//! Messages at gRPC's 4 MiB limit: one just under it (100,000 paths in
//! one streamed message) is applied whole; one over it is refused with
//! OutOfRange naming the sizes, and nothing of it is applied.
//!
//! A stream of 1,000,000 paths whose last path is bad: INVALID_ARGUMENT
//! naming it, every batch before it stored and applied, nothing of its
//! own batch, and the same after SIGKILL and a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const ROUNDS: u32 = 8;
const PATHS: u32 = 60_000;
const BATCH: u32 = 1_000;

/// The interrupted stream's path `i` of round `r`: its prefix and
/// community (distinct per path).
fn bulk_path(r: u32, i: u32) -> (String, String) {
    (
        format!("{}.{}.{}.0/24", 20 + r, i / 256, i % 256),
        format!("65001:{i}"),
    )
}

/// rbgpd's routes under `prefix` (`--longer`), prefix -> communities, from
/// the table `rbgpctl rib` prints.
fn rib(sock: &str, prefix: &str) -> BTreeMap<String, String> {
    let (ok, out) = ctl::ctl_args(sock, &["rib", prefix, "--longer"]);
    assert!(ok, "{out}");
    out.lines()
        .filter(|l| l.starts_with("*>"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let community = f.iter().find(|x| x.contains(':')).unwrap_or(&"");
            (f[1].to_string(), community.to_string())
        })
        .collect()
}

fn wait_api(lab: &Lab, sock: &str) {
    lab.wait("rbgpd API up", 30, || {
        ctl::ctl(sock, "health").0.then_some(())
    });
}

#[test]
fn sigkill_during_bulk_injection_keeps_acknowledged_paths_and_whole_batches() {
    let mut lab = Lab::new("k9");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    let conf = with_global("");
    lab.rbgpd(&conf);
    wait_api(&lab, &sock);
    // Acknowledged paths of all rounds: prefix -> community.
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let mut cut = 0;
    // A fixed pseudo-random sequence of kill delays, 50 to 1,050 ms.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for r in 0..ROUNDS {
        let mut small = String::new();
        for j in 0..100u32 {
            let (p, c) = (
                format!("100.{}.{j}.0/24", 64 + r),
                format!("65002:{}", r * 100 + j),
            );
            small += &format!("{p} 10.88.0.1 {c}\n");
            acked.insert(p, c);
        }
        let file = lab.write(&format!("acked-{r}.txt"), &small);
        let (ok, out) = ctl::ctl_args(&sock, &["rib", "add-bulk", &file]);
        assert!(ok, "the acknowledged bulk of round {r}: {out}");

        let mut big = String::new();
        for i in 0..PATHS {
            let (p, c) = bulk_path(r, i);
            big += &format!("{p} 10.88.0.1 {c}\n");
        }
        let file = lab.write(&format!("bulk-{r}.txt"), &big);
        let mut client = Command::new(ctl::rbgpctl())
            .args([
                "-s",
                &sock,
                "rib",
                "add-bulk",
                &file,
                "--batch",
                &BATCH.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        std::thread::sleep(Duration::from_millis(50 + (seed >> 33) % 1000));
        lab.kill_and_restart_rbgpd(&conf);
        let answered = client.wait().unwrap().success();
        wait_api(&lab, &sock);

        // Every acknowledged path, as it was sent.
        lab.wait("the acknowledged paths after the restart", 30, || {
            let got = rib(&sock, "100.0.0.0/8");
            (got == acked).then_some(())
        });
        // The interrupted stream: whole batches from its start.
        let got = rib(&sock, &format!("{}.0.0.0/8", 20 + r));
        let n = got.len() as u32;
        assert_eq!(n % BATCH, 0, "round {r}: {n} paths, not whole batches");
        if answered {
            assert_eq!(n, PATHS, "round {r}: rbgpctl got its answer");
        }
        for i in 0..n {
            let (p, c) = bulk_path(r, i);
            assert_eq!(got.get(&p), Some(&c), "round {r}: path {i} of {n}");
        }
        if n > 0 && n < PATHS {
            cut += 1;
        }
        eprintln!("round {r}: {n} of {PATHS} paths kept, answered: {answered}");
    }
    assert!(cut > 0, "no round was killed in the middle of the stream");
}

/// `n` host routes from 30.0.0.0 in one file line each.
fn hosts(n: u32) -> String {
    (0..n)
        .map(|i| {
            format!(
                "30.{}.{}.{}/32 10.88.0.1 65001:{}\n",
                i >> 16,
                (i >> 8) & 255,
                i & 255,
                i % 65536
            )
        })
        .collect()
}

#[test]
fn messages_past_the_grpc_limit_are_refused_whole() {
    let mut lab = Lab::new("lim");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    lab.rbgpd(&with_global(""));
    wait_api(&lab, &sock);
    // 110,000 paths in one message: ~4.6 MB, over the 4 MiB limit.
    let file = lab.write("over.txt", &hosts(110_000));
    let (ok, out) = ctl::ctl_args(&sock, &["rib", "add-bulk", &file, "--batch", "110000"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("OutOfRange") && out.contains("4194304"),
        "the status names the limit: {out}"
    );
    assert!(rib(&sock, "30.0.0.0/8").is_empty(), "nothing of it applied");
    // 100,000 of the same paths in one message: 4,182,935 bytes, just
    // under the limit (41.8 bytes a path), applied whole.
    let file = lab.write("under.txt", &hosts(100_000));
    let (ok, out) = ctl::ctl_args(&sock, &["rib", "add-bulk", &file, "--batch", "100000"]);
    assert!(ok, "{out}");
    let got = rib(&sock, "30.0.0.0/8");
    assert_eq!(got.len(), 100_000);
    assert_eq!(
        got.get("30.1.134.159/32").map(String::as_str),
        Some("65001:34463")
    );
}

/// rbgpd's IPv4 unicast paths, from /metrics (rbgpd's namespace).
fn ipv4_paths(lab: &Lab) -> Option<u64> {
    let text = lab.run_in("d", "curl -sf http://127.0.0.1:9179/metrics");
    text.lines().find_map(|l| {
        l.strip_prefix("rbgp_rib_paths{family=\"ipv4_unicast\"} ")?
            .trim()
            .parse()
            .ok()
    })
}

#[test]
fn a_million_path_stream_stops_at_its_bad_last_path() {
    const N: u32 = 1_000_000;
    const BATCH: u32 = 10_000;
    let mut lab = Lab::new("m1");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    let conf = with_global("[metrics]\nlisten = \"127.0.0.1:9179\"\n");
    lab.rbgpd(&conf);
    wait_api(&lab, &sock);
    let path = |i: u32| format!("40.{}.{}.{}/32", i >> 16, (i >> 8) & 255, i & 255);
    let mut lines = String::with_capacity(N as usize * 40);
    for i in 0..N {
        // 70000:1 is no community: refused by rbgpd, not by rbgpctl.
        let c = if i == N - 1 {
            "70000:1".to_string()
        } else {
            format!("65001:{}", i % 65_536)
        };
        lines += &format!("{} 10.88.0.1 {c}\n", path(i));
    }
    let file = lab.write("million.txt", &lines);
    drop(lines);
    let pid = lab.rbgpd_pid();
    let before = rss_mib(pid);
    let t = std::time::Instant::now();
    let (ok, out) = ctl::ctl_args(
        &sock,
        &["rib", "add-bulk", &file, "--batch", &BATCH.to_string()],
    );
    let secs = t.elapsed().as_secs_f64();
    assert!(!ok, "{out}");
    assert!(
        out.contains("InvalidArgument") && out.contains("paths[999999].communities[0]"),
        "{out}"
    );
    let kept = N - BATCH;
    assert_eq!(ipv4_paths(&lab), Some(u64::from(kept)));
    let after = rss_mib(pid);
    eprintln!(
        "1,000,000-path stream: error after {secs:.1} s, {kept} paths applied, rbgpd RSS {before} -> {after} MiB"
    );
    let rib = |p: &str| {
        let (ok, out) = ctl::ctl_args(&sock, &["rib", p, "--exact"]);
        assert!(ok, "{out}");
        out.contains(p)
    };
    assert!(
        rib(&path(kept - 1)),
        "the last path of the last whole batch"
    );
    assert!(!rib(&path(kept)), "the first path of the bad batch");

    // Stored as it was applied.
    lab.kill_and_restart_rbgpd(&conf);
    wait_api(&lab, &sock);
    lab.wait("the stored paths after SIGKILL", 120, || {
        (ipv4_paths(&lab) == Some(u64::from(kept))).then_some(())
    });
    assert!(!rib(&path(kept)));
}
