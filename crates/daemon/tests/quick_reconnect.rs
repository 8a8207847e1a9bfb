//! A configured passive peer that closes its session and connects again
//! at once, as a router does after a restart or `clear bgp`, several
//! times: rbgpd keeps each such connection until its back-off (2 s here)
//! is over and then answers it, so every reconnect is Established just
//! after the back-off, and none is left waiting without an OPEN. Refused,
//! the peer would come back only at its own ConnectRetry (up to 120 s);
//! taken in Idle (before the fix), it was never answered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::Value;

#[test]
fn a_peer_reconnecting_at_once_gets_its_session_back() {
    let mut lab = Lab::new("rc");
    lab.rbgpd(&with_global(
        "[[neighbors]]\naddress = \"10.88.0.2\"\nremote_asn = 65002\npassive = true\nidle_hold_time = 2\nidle_hold_max = 2\n",
    ));
    lab.wait("rbgpd listening", 20, || {
        lab.run_in("d", "ss -ltn")
            .contains("10.88.0.1:179")
            .then_some(())
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/quick_reconnect.py");
    let out = lab.run_in(
        "b",
        &format!("timeout 120 python3 {script} 10.88.0.2 10.88.0.1 4"),
    );
    let r: Value = serde_json::from_str(out.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {out}\n{}", lab.diag()));
    let times = r["reconnects"].as_array().unwrap();
    assert_eq!(times.len(), 4, "{r}\n{}", lab.diag());
    assert_eq!(r["stuck"], 0, "{r}\n{}", lab.diag());
    // Answered once the 2 s back-off is over. At most one connection
    // per round is closed: one that came before rbgpd saw the last
    // session end (RFC 4271 §6.8: the session was still up).
    for t in times {
        let t = t.as_f64().unwrap();
        assert!((1.5..6.0).contains(&t), "{r}");
    }
    assert!(r["refused"].as_u64().unwrap() <= 4, "{r}");
}
