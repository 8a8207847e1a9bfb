//! The API from Python: `examples/python/rbgp_ddos.py` (grpcio, stubs
//! generated from crates/api/proto by grpcio-tools) over rbgpd's Unix
//! socket with grpcio's default channel options, which send the socket
//! path as `:authority`. The DDoS workflow end to end: a blackhole route
//! and a FlowSpec discard rule reach GoBGP, the script lists them, a bad
//! prefix is refused naming the field and changes nothing, reflection
//! answers in v1 and v1alpha, and removing both withdraws them at GoBGP.
//!
//! Needs root, iproute2, GoBGP and python3 with grpcio, grpcio-tools and
//! grpcio-reflection (`scripts/test.sh` installs them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::Value;

fn config(state: &str) -> String {
    format!(
        r#"
[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "{state}"
import_policy = ["accept_all"]
export_policy = ["accept_all"]

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
families = ["ipv4_unicast", "ipv4_flowspec"]
"#
    )
}

const TARGET: &str = "203.0.113.9/32";

#[test]
fn ddos_workflow_from_python_over_the_unix_socket() {
    let mut lab = Lab::new("py");
    testkit::need("grpcio");
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let gen = lab.path("gen");
    std::fs::create_dir_all(&gen).unwrap();
    let (ok, out) = testkit::sh(&format!(
        "python3 -m grpc_tools.protoc -I {repo}/crates/api/proto --python_out={gen} \
         --grpc_python_out={gen} {repo}/crates/api/proto/rbgp/v1/*.proto"
    ));
    assert!(ok, "generating the Python stubs: {out}");
    let state = lab.path("state");
    let sock = format!("{state}/rbgpd.sock");
    lab.rbgpd(&config(&state));
    lab.gobgp(65003, &["ipv4-unicast", "ipv4-flowspec"]);
    let py = |args: &str| {
        testkit::sh(&format!(
            "PYTHONPATH={gen} python3 {repo}/examples/python/rbgp_ddos.py --socket {sock} {args}"
        ))
    };

    // Blackhole and FlowSpec discard reach GoBGP.
    let (ok, out) = py(&format!("blackhole {TARGET} --next-hop 10.88.0.1"));
    assert!(ok, "{out}");
    let (ok, out) = py(&format!("drop {TARGET} --protocol 17 --port 53"));
    assert!(ok, "{out}");
    let route = lab.gobgp_route("ipv4", TARGET);
    assert!(
        route.contains("65535:666") || route.to_lowercase().contains("blackhole"),
        "{route}"
    );
    let rule = lab.gobgp_route("ipv4-flowspec", TARGET);
    for want in ["[protocol: ==udp]", "[destination-port: ==53]", "discard"] {
        assert!(rule.contains(want), "GoBGP's rule lacks {want}: {rule}");
    }

    // Listed back.
    let (ok, out) = py("list");
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(
        v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["prefix"] == TARGET),
        "{out}"
    );
    assert!(
        v["flowspec"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains(TARGET)),
        "{out}"
    );

    // A bad prefix: INVALID_ARGUMENT naming the field, nothing added.
    let (ok, out) = py("blackhole 203.0.113.9/33 --next-hop 10.88.0.1");
    assert!(!ok, "{out}");
    assert!(
        out.contains("INVALID_ARGUMENT") && out.contains("prefix"),
        "{out}"
    );
    let (_, listed) = py("list");
    assert!(!listed.contains("/33"), "{listed}");

    // Server reflection in both versions.
    let (ok, out) = py("services");
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    for version in ["v1", "v1alpha"] {
        let names: Vec<&str> = v[version]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        for svc in ["rbgp.v1.InjectionService", "rbgp.v1.RibService"] {
            assert!(names.contains(&svc), "{version}: {names:?}");
        }
    }

    // Removed: withdrawn at GoBGP.
    let (ok, out) = py(&format!("unblackhole {TARGET}"));
    assert!(ok && out.contains("removed"), "{out}");
    let (ok, out) = py(&format!("undrop {TARGET} --protocol 17 --port 53"));
    assert!(ok, "{out}");
    lab.wait("GoBGP to lose the blackhole and the rule", 30, || {
        let r = lab.gobgp_cli("global rib -a ipv4");
        let f = lab.gobgp_cli("global rib -a ipv4-flowspec");
        (!r.contains(TARGET) && !f.contains(TARGET)).then_some(())
    });
}
