//! The configuration file: what the issue's example says, and errors that
//! name the key and the line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use rbgp_config::{AddPathSend, Config};
use rbgp_wire::AfiSafi;

const EXAMPLE: &str = r#"
[global]
asn = 65000
router_id = "192.0.2.1"
listen = ["0.0.0.0:179", "[::]:179"]
state_dir = "/var/lib/rbgpd"

[peer_groups.transit]
remote_asn = 65001
families = ["ipv4_unicast", "ipv6_unicast"]
hold_time = 30
max_prefixes = 1000000

[[neighbors]]
address = "192.0.2.2"
remote_asn = 65001
description = "upstream-a"
families = ["ipv4_unicast", "ipv6_unicast", "ipv4_flowspec"]
add_path = { receive = true, send = "all" }

[[neighbors]]
address = "2001:db8::2"
peer_group = "transit"
hold_time = 60

[[dynamic_neighbors]]
prefix = "198.51.100.0/24"
peer_group = "transit"

[[routes]]
prefix = "203.0.113.0/24"
next_hop = "192.0.2.1"
communities = ["65000:100", "no-export"]
large_communities = ["65000:1:2"]
"#;

#[test]
fn issue_example_parses_and_resolves() {
    let c = Config::parse(EXAMPLE).unwrap();
    let n = c.neighbors().unwrap();
    assert_eq!(
        n[0].families,
        vec![
            AfiSafi::IPV4_UNICAST,
            AfiSafi::IPV6_UNICAST,
            AfiSafi::IPV4_FLOWSPEC
        ]
    );
    assert_eq!(n[0].add_path.as_ref().unwrap().send, Some(AddPathSend::All));
    assert_eq!(n[0].hold_time, 90);
    // From the group, with the neighbor's own hold time winning.
    assert_eq!(n[1].remote_asn, 65001);
    assert_eq!(n[1].hold_time, 60);
    assert_eq!(n[1].max_prefixes, Some(1_000_000));
    assert_eq!(c.routes.len(), 1);
}

fn err(text: &str) -> String {
    Config::parse(text).unwrap_err().to_string()
}

#[test]
fn unknown_keys_name_key_and_line() {
    let e = err("[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\nlisten_on = []\n");
    assert!(e.contains("listen_on"), "{e}");
    assert!(e.contains("line 4"), "{e}");
    let e = err("[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\n[[neighbors]]\naddress = \"192.0.2.2\"\nremote_as = 1\n");
    assert!(e.contains("remote_as") && e.contains("line 6"), "{e}");
}

#[test]
fn bad_values_name_the_field() {
    let base = "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\n";
    let e = err(&format!("{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nfamilies = [\"ipv5_unicast\"]\n"));
    assert!(e.contains("ipv5_unicast") && e.contains("line"), "{e}");
    let e = err(&format!(
        "{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nhold_time = 2\n"
    ));
    assert!(e.contains("neighbors[0]") && e.contains("hold_time"), "{e}");
    let e = err(&format!(
        "{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nidle_hold_time = 0\n"
    ));
    assert!(
        e.contains("neighbors[0]") && e.contains("idle_hold_time"),
        "{e}"
    );
    let e = err(&format!(
        "{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nidle_hold_time = 10\nidle_hold_max = 5\n"
    ));
    assert!(
        e.contains("neighbors[0]") && e.contains("idle_hold_max"),
        "{e}"
    );
    let e = err(&format!(
        "{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nmax_long_lived_stale_time = 16777216\n"
    ));
    assert!(
        e.contains("neighbors[0]") && e.contains("max_long_lived_stale_time"),
        "{e}"
    );
    let e = err(&format!("{base}[[neighbors]]\naddress = \"192.0.2.2\"\n"));
    assert!(e.contains("remote_asn"), "{e}");
    let e = err(&format!(
        "{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nnext_hop_self = true\nnext_hop_unchanged = true\n"
    ));
    assert!(
        e.contains("neighbors[0]") && e.contains("next_hop_unchanged"),
        "{e}"
    );
    let e = err(&format!(
        "{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nmax_prefixes = 0\n"
    ));
    assert!(e.contains("max_prefixes"), "{e}");
    let e = err(&format!(
        "{base}[[neighbors]]\naddress = \"not-an-ip\"\nremote_asn = 1\n"
    ));
    assert!(e.contains("line 5"), "{e}");
    let e = err(&format!("{base}[[routes]]\nprefix = \"10.0.0.0/8\"\nnext_hop = \"192.0.2.1\"\ncommunities = [\"70000:1\"]\n"));
    assert!(e.contains("routes[0].communities"), "{e}");
    let e = err(&format!(
        "{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nadd_path = {{ send = 0 }}\n"
    ));
    assert!(e.contains("add_path") || e.contains("line 7"), "{e}");
    let e = err(&format!(
        "{base}[[dynamic_neighbors]]\nprefix = \"10.0.0.0/8\"\npeer_group = \"nope\"\n"
    ));
    assert!(e.contains("dynamic_neighbors[0].peer_group"), "{e}");
    let e = err(&format!("{base}[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\n[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 2\n"));
    assert!(e.contains("duplicate"), "{e}");
    let e = err("[global]\nasn = 0\nrouter_id = \"192.0.2.1\"\n");
    assert!(e.contains("global.asn"), "{e}");
}

const API_BASE: &str =
    "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\nstate_dir = \"/var/lib/rbgpd\"\n";

#[test]
fn api_listeners_and_metrics() {
    let c = Config::parse(&format!(
        "{API_BASE}[api]\nread_only = true\n[[api.listeners]]\naddress = \"0.0.0.0:50051\"\ncert = \"s.pem\"\nkey = \"s.key\"\nclient_ca = \"ca.pem\"\n[[api.listeners]]\naddress = \"127.0.0.1:50052\"\ntoken_file = \"/etc/rbgpd/token\"\nread_only = true\n[metrics]\nlisten = \"127.0.0.1:9179\"\n"
    ))
    .unwrap();
    assert_eq!(
        c.api.socket_path(&c.global.state_dir),
        std::path::PathBuf::from("/var/lib/rbgpd/rbgpd.sock")
    );
    assert!(c.api.read_only);
    let l = c.api.listeners[0].get_ref();
    assert_eq!(
        l.mtls().unwrap().client_ca,
        std::path::PathBuf::from("ca.pem")
    );
    assert!(!l.read_only);
    let t = c.api.listeners[1].get_ref();
    assert!(t.mtls().is_none() && t.read_only);
    assert_eq!(c.metrics.unwrap().listen.port(), 9179);
}

#[test]
fn api_partial_mtls_and_no_auth_name_key_and_line() {
    let e = err(&format!(
        "{API_BASE}[[api.listeners]]\naddress = \"0.0.0.0:50051\"\ncert = \"s.pem\"\nkey = \"s.key\"\n"
    ));
    assert!(
        e.contains("api.listeners[0].client_ca") && e.contains("line 5"),
        "{e}"
    );
    let e = err(&format!(
        "{API_BASE}[[api.listeners]]\naddress = \"0.0.0.0:50051\"\ntoken_file = \"t\"\n[[api.listeners]]\naddress = \"0.0.0.0:50052\"\nclient_ca = \"ca.pem\"\n"
    ));
    assert!(
        e.contains("api.listeners[1].cert") && e.contains("line 8"),
        "{e}"
    );
    let e = err(&format!(
        "{API_BASE}[[api.listeners]]\naddress = \"0.0.0.0:50051\"\n"
    ));
    assert!(
        e.contains("api.listeners[0].token_file") && e.contains("mTLS"),
        "{e}"
    );
    let e = err(&format!("{API_BASE}[api]\nmax_connections = 0\n"));
    assert!(e.contains("api.max_connections"), "{e}");
    let e = err(&format!("{API_BASE}[api]\nsocket_mode = 438\n"));
    assert!(e.contains("socket_mode") && e.contains("line 6"), "{e}");
    let e = err(&format!("{API_BASE}[metrics]\nlisten = \"localhost\"\n"));
    assert!(e.contains("line 6"), "{e}");
}
