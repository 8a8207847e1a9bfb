//! Connection collisions (RFC 4271 §6.8): a peer script holds rbgpd's own
//! connection (A) in OpenSent, opens a second one (B) and sends its OPEN on
//! both. The connection initiated by the higher BGP Identifier survives;
//! the other is closed with Cease/7.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;

fn collide(tag: &str, peer_id: &str) -> serde_json::Value {
    let mut lab = Lab::new(tag);
    lab.rbgpd(&with_global(
        r#"
[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
"#,
    ));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/collision_peer.py");
    let out = lab.run_in(
        "b",
        &format!("python3 {script} 10.88.0.2 10.88.0.1 {peer_id}"),
    );
    let line = out.lines().last().unwrap_or_default().to_string();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {out}\n{}", lab.diag()))
}

#[test]
fn higher_identifier_keeps_its_connection() {
    // rbgpd is 10.88.0.1. A peer with a higher identifier: its connection (B) wins.
    let r = collide("c1", "10.88.0.200");
    assert_eq!(r["a"], "cease7", "{r}");
    assert_eq!(r["b"], "kept", "{r}");
    // A lower one: rbgpd's connection (A) wins.
    let r = collide("c2", "10.0.0.9");
    assert_eq!(r["a"], "kept", "{r}");
    assert_eq!(r["b"], "cease7", "{r}");
}
