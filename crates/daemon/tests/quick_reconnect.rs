//! A configured peer that closes its session and connects again at once,
//! as a router does after a restart, several times: rbgpd refuses the
//! connections that arrive during its back-off (RFC 4271 §8.2.2, Idle)
//! and takes the first one after it, so every reconnect is Established
//! within a few seconds and no connection is left waiting without an
//! OPEN. (Before the fix, a connection taken during the back-off was
//! never answered, and each one the peer gave up on was another flap.)
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
    // The 2 s back-off, then the next try 0.2 s later.
    for t in times {
        assert!(t.as_f64().unwrap() < 6.0, "{r}");
    }
    // The back-off was there: some connections came too early.
    assert!(r["refused"].as_u64().unwrap() > 0, "{r}");
}
