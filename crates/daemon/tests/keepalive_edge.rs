//! A peer that sends nothing but KEEPALIVEs, one second inside the 3 s
//! hold time it negotiated: its session stays up for six rounds. The same
//! peer a second late gets Hold Timer Expired (4/0), which shows the
//! test can fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::Value;

#[test]
fn keepalives_at_the_edge_of_the_hold_time() {
    let mut lab = Lab::new("ka");
    lab.rbgpd(&with_global(
        "[peer_groups.edge]\nremote_asn = 65002\n\n[[dynamic_neighbors]]\nprefix = \"10.88.0.32/28\"\npeer_group = \"edge\"\n",
    ));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keepalive_edge.py");
    let run = |src: &str, gap: &str| -> Value {
        lab.ok_in("b", &format!("ip addr add {src}/24 dev eth0"));
        let out = lab.run_in(
            "b",
            &format!("timeout 60 python3 {script} {src} 10.88.0.1 {gap} 6"),
        );
        serde_json::from_str(out.lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}: {out}\n{}", lab.diag()))
    };
    // Let rbgpd listen first.
    lab.wait("rbgpd listening", 20, || {
        lab.run_in("d", "ss -ltn")
            .contains("10.88.0.1:179")
            .then_some(())
    });
    let inside = run("10.88.0.33", "2");
    assert_eq!(inside["notification"], Value::Null, "{inside}");
    assert_eq!(inside["open"], true, "{inside}");
    let late = run("10.88.0.34", "4");
    assert_eq!(late["notification"], serde_json::json!([4, 0]), "{late}");
}
