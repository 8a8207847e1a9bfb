//! Data expiry (RFC 8210 §6) with a real cache: StayRTR on a loopback
//! address serves two VRPs to the real RPKI task, which feeds the real RIB
//! task of a simulation. StayRTR is then stopped (SIGSTOP: its connection
//! stays open and nothing answers) and tokio's clock is moved past the
//! 600 s Expire Interval, the least RFC 8210 allows: the data is dropped,
//! every route falls back to not-found and passes the import policy again,
//! and the status (what the API and `/metrics` show) says it expired.
//! Woken up, the cache's data comes back and the states with it.
//!
//! The clock is paused and a busy task keeps the runtime from ever being
//! idle, so tokio never moves time on its own (it would while waiting for
//! StayRTR's bytes): the test alone moves it, with `tokio::time::advance`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rbgp_config::{Rpki, RtrCache};
use rbgp_rib::{Aspa, Rpki as Rov, Validation};
use tokio::sync::{mpsc, watch};

use super::{RpkiStatus, Rtr};
use crate::sim::harness::{attrs, Sim, V4};
use crate::sim::rpki::states;

/// Kills StayRTR (after waking it) when the test ends, passed or not.
struct Cache(Child);

impl Drop for Cache {
    fn drop(&mut self) {
        signal("CONT", self.0.id());
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(sig: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{sig} {pid}");
}

/// Let the other tasks run (the RPKI task reading, the RIB task
/// revalidating) until `done` holds of the status, moving the clock by
/// `step` between rounds (zero: the clock stays still); at most 30 s of
/// real time.
async fn until(
    status: &watch::Receiver<RpkiStatus>,
    what: &str,
    step: Duration,
    done: impl Fn(&RpkiStatus) -> bool,
) {
    let end = std::time::Instant::now() + Duration::from_secs(30);
    while !done(&status.borrow()) {
        assert!(
            std::time::Instant::now() < end,
            "{what}: status {:?}",
            *status.borrow()
        );
        if !step.is_zero() {
            tokio::time::advance(step).await;
        }
        for _ in 0..1000 {
            tokio::task::yield_now().await;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn stopped_cache_data_expires_and_comes_back() {
    rbgp_testkit::need("stayrtr");
    let dir = std::env::temp_dir().join(format!("rbgp-rpki-expiry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("vrps.json");
    std::fs::write(
        &json,
        r#"{ "metadata": { "buildtime": "2026-01-01T00:00:00Z" }, "roas": [
  { "prefix": "203.0.113.0/24", "maxLength": 24, "asn": 64999, "ta": "t" },
  { "prefix": "198.51.100.0/22", "maxLength": 24, "asn": 65001, "ta": "t" } ] }"#,
    )
    .unwrap();
    // One loopback address per test process: parallel runs do not meet.
    let ip = format!("127.0.0.{}", 100 + std::process::id() % 100);
    let log = std::fs::File::create(dir.join("stayrtr.log")).unwrap();
    let child = Command::new("stayrtr")
        .args(["-cache", json.to_str().unwrap(), "-checktime=false"])
        .args(["-bind", &format!("{ip}:3323")])
        .args(["-metrics.addr", &format!("{ip}:9847")])
        .args(["-refresh", "3600", "-rtr.refresh", "30", "-rtr.retry", "5"])
        .args(["-rtr.expire", "600"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("stayrtr starts");
    let cache = Cache(child);

    let mut sim = Sim::with_policy(Vec::new(), "", crate::sim::rpki::ROV);
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nkeep_pre_policy = true\nimport_policy = [\"rpki\"]\nexport_policy = [\"accept_all\"]",
    )
    .await;
    sim.up(
        "192.0.2.2",
        "remote_asn = 65002\nimport_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]",
    )
    .await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24", "198.51.100.0/24"], &a)
        .await;

    // Time stands still unless the test moves it.
    let busy = tokio::spawn(async {
        loop {
            tokio::task::yield_now().await;
        }
    });
    let (status_tx, status) = watch::channel(RpkiStatus::default());
    let (_reload, reload_rx) = mpsc::channel(1);
    let config = Rpki {
        caches: vec![RtrCache {
            address: ip.parse().unwrap(),
            port: 3323,
            preference: 0,
            max_version: 2,
            tls: false,
            tls_ca: None,
            tls_server_name: None,
        }],
        ..Rpki::default()
    };
    let rtr = Rtr {
        rib: sim.rib_sender(),
        status: status_tx,
    };
    let task = tokio::spawn(super::run(config, rtr, reload_rx));

    // StayRTR may take a moment to listen: the task retries after 10 s.
    until(&status, "no data", Duration::from_millis(200), |s| {
        s.vrps_v4 == 2
    })
    .await;
    sim.settle().await;
    let valid = Some(Validation {
        rpki: Rov::Valid,
        aspa: Aspa::Unknown,
    });
    let none = Some(Validation {
        rpki: Rov::NotFound,
        aspa: Aspa::Unknown,
    });
    assert_eq!(
        states(&sim).await,
        vec![("198.51.100.0/24".into(), valid)],
        "203.0.113.0/24 is invalid (AS 64999's) and rejected"
    );
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["198.51.100.0/24"]);

    // The cache stops answering. Refresh queries go unanswered; 599 s on
    // the data is still used...
    signal("STOP", cache.0.id());
    for _ in 0..599 {
        tokio::time::advance(Duration::from_secs(1)).await;
        tokio::task::yield_now().await;
    }
    sim.settle().await;
    assert!(!status.borrow().expired, "{:?}", *status.borrow());
    assert_eq!(states(&sim).await.len(), 1, "still filtered at 599 s");
    // ...and at 600 s after its last End of Data it is not.
    for _ in 0..5 {
        tokio::time::advance(Duration::from_secs(1)).await;
        tokio::task::yield_now().await;
    }
    until(&status, "the data expiring", Duration::ZERO, |s| s.expired).await;
    sim.settle().await;
    let s = status.borrow().clone();
    assert_eq!((s.vrps_v4, s.vrps_v6, s.aspas), (0, 0, 0), "{s:?}");
    assert_eq!(
        states(&sim).await,
        vec![
            ("198.51.100.0/24".into(), none),
            ("203.0.113.0/24".into(), none),
        ],
        "every route not-found, the rejected one imported again"
    );
    assert_eq!(
        sim.peer("192.0.2.2").prefixes(V4),
        vec!["198.51.100.0/24", "203.0.113.0/24"]
    );

    // The cache answers again: its data and the states come back.
    signal("CONT", cache.0.id());
    until(&status, "no data again", Duration::from_millis(500), |s| {
        !s.expired && s.vrps_v4 == 2
    })
    .await;
    sim.settle().await;
    assert_eq!(states(&sim).await, vec![("198.51.100.0/24".into(), valid)]);
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["198.51.100.0/24"]);
    task.abort();
    busy.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
