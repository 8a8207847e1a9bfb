//! rbgpd's RPKI sources against real caches, each test in network
//! namespaces of its own (`k<pid><test>`, 10.90.0.0/24):
//!
//! - RTRTR (NLnet Labs) serving VRPs and ASPAs from a JSON file over RTR:
//!   the negotiated version, the counts, and the route origin and ASPA
//!   states of an ExaBGP customer's routes against hand-computed ones;
//!   a serial update; RTRTR restarted answering our Serial Query with a
//!   Cache Reset, and the whole set loaded again.
//! - StayRTR killed and restarted (the data and states are kept, errors
//!   counted, reconnection within the Retry Interval), then a standby
//!   cache taking over from the preferred one killed, and the preferred
//!   one, restarted, taken back.
//! - RTR over TLS with StayRTR: a cache whose certificate does not chain
//!   to its configured CA refused, the standby's TLS session used.
//! - A scripted cache answering with malformed PDUs: rbgpd answers with the
//!   Error Report RFC 8210 §12 prescribes and stays up with its BGP session.
//! - `[rpki] file`: rewriting the file revalidates routes and the import
//!   policy acts on the new states, with no session reset.
//! - StayRTR limited to RTR version 1, then 0: rbgpd (starting at 2) ends
//!   on the cache's version.
//! - StayRTR 0.5.1 with ASPAs (its pre-standard ASPA PDUs): rbgpd falls
//!   back to version 1 and keeps the VRPs.
//!
//! StayRTR 0.5.1 ignores the `aspas` key (it reads rpki-client 8's
//! `provider_authorizations`), so its tests check route origin states
//! only; RTRTR is the ASPA source.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use rbgp_testkit::{self as testkit, Lab, Topology};
use serde_json::Value;

/// rbgpd 10.90.0.1 (AS 65001), ExaBGP 10.90.0.2 (AS 65010, a customer),
/// GoBGP 10.90.0.3 (AS 65001, a monitor), caches at .5 and .6.
fn lab(test: &str, tools: &[&str]) -> Lab {
    let mut all = vec!["curl", "python3", "exabgp"];
    all.extend_from_slice(tools);
    Lab::new(&Topology {
        prefix: "k",
        test,
        dir: "rpki",
        hosts: &[("d", 1), ("e", 2), ("g", 3), ("c", 5), ("s", 6)],
        v4: "10.90.0",
        v6: "fd90::",
        tools: &all,
        grace: Duration::ZERO,
    })
}

const METRICS: &str = "http://10.90.0.1:9179/metrics";

fn metric(lab: &Lab, name: &str) -> Option<f64> {
    lab.metric("d", METRICS, name)
}

/// rbgpd's configuration: `rpki` (the `[rpki]` part), the ExaBGP customer
/// with import policy `import`, and, with `monitor`, GoBGP as an iBGP
/// neighbor getting everything.
fn rbgpd_config(lab: &Lab, rpki: &str, import: &str, monitor: bool) -> String {
    let state = lab.path("state");
    let mut c = format!(
        r#"[global]
asn = 65001
router_id = "10.90.0.1"
listen = ["10.90.0.1:179"]
state_dir = "{state}"

[metrics]
listen = "10.90.0.1:9179"

{rpki}

[[policy.definitions]]
name = "drop_invalid"
default = "accept"
[[policy.definitions.terms]]
name = "invalid"
if = {{ rpki = ["invalid"] }}
then = {{ result = "reject" }}

[[neighbors]]
address = "10.90.0.2"
remote_asn = 65010
role = "customer"
passive = true
import_policy = ["{import}"]
export_policy = ["reject_all"]
"#
    );
    if monitor {
        c += r#"
[[neighbors]]
address = "10.90.0.3"
remote_asn = 65001
import_policy = ["reject_all"]
export_policy = ["accept_all"]
"#;
    }
    c
}

/// ExaBGP as AS 65010 announcing `routes` ("PREFIX as-path [..]").
fn exabgp_config(routes: &[(&str, &str)]) -> String {
    let mut r = String::new();
    for (p, path) in routes {
        r += &format!("    route {p} next-hop self as-path [{path}];\n");
    }
    format!(
        "neighbor 10.90.0.1 {{
  router-id 10.90.0.2;
  local-address 10.90.0.2;
  local-as 65010;
  peer-as 65001;
  hold-time 30;
  capability {{ route-refresh; }}
  family {{ ipv4 unicast; }}
  static {{
{r}  }}
}}
"
    )
}

const GOBGP: &str = r#"
[global.config]
  as = 65001
  router-id = "10.90.0.3"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.90.0.1"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 2
"#;

fn start_rbgpd(lab: &mut Lab, config: &str) -> usize {
    let conf = lab.write("rbgpd.toml", config);
    lab.spawn("d", &[env!("CARGO_BIN_EXE_rbgpd"), &conf], "rbgpd.log");
    lab.children.len() - 1
}

/// The route's `field` ("rpki" or "aspa") as rbgpctl shows it, lowercased
/// without the enum prefix ("valid", "invalid", "not_found", "unknown"),
/// or `None` when rbgpd has no route to `prefix`.
fn state(lab: &Lab, prefix: &str, field: &str) -> Option<String> {
    let ctl = testkit::workspace_bin(env!("CARGO_BIN_EXE_rbgpd"), "rbgpctl", "rbgp-ctl");
    let sock = lab.path("state/rbgpd.sock");
    let out = lab.run_in(
        "d",
        &format!(
            "{} --server unix://{sock} rib {prefix} --exact --json",
            ctl.display()
        ),
    );
    let v: Value = serde_json::from_str(&out).ok()?;
    let r = v.as_array()?.first()?.clone();
    let s = r[field].as_str()?.to_lowercase();
    let kind = if field == "rpki" {
        "rpki_state_"
    } else {
        "aspa_state_"
    };
    Some(s.strip_prefix(kind).unwrap_or(&s).to_string())
}

/// Waits until every `(prefix, field, state)` holds; fails naming the
/// ones that do not.
fn wait_states(lab: &Lab, what: &str, secs: u64, want: &[(&str, &str, &str)]) {
    let end = Instant::now() + Duration::from_secs(secs);
    let last = loop {
        let last = want
            .iter()
            .filter_map(|(p, f, s)| {
                let got = state(lab, p, f);
                (got.as_deref() != Some(*s)).then(|| format!("{p} {f}: {got:?}, want {s}"))
            })
            .collect::<Vec<_>>();
        if last.is_empty() {
            return;
        }
        if Instant::now() > end {
            break last;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    panic!(
        "{what}: states not as expected after {secs}s:\n{}\n{}",
        last.join("\n"),
        lab.diag()
    );
}

/// Prefixes GoBGP has from rbgpd.
fn monitor_prefixes(lab: &Lab) -> Vec<String> {
    let out = lab.gobgp_in("g", "neighbor 10.90.0.1 adj-in -a ipv4 -j");
    serde_json::from_str::<Value>(&out)
        .ok()
        .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default()
}

/// The VRPs and ASPAs the RTR tests serve. AS 65010 is rbgpd's customer;
/// 65020 attests it as its provider, 65030 attests only 65099, 65040 has
/// no ASPA, 65050 attests 65020, 65070 attests 65040.
const RPKI_JSON: &str = r#"{
  "metadata": { "buildtime": "2026-01-01T00:00:00Z" },
  "roas": [
    { "prefix": "10.1.0.0/16", "maxLength": 24, "asn": "AS65020", "ta": "test" },
    { "prefix": "10.1.6.0/24", "maxLength": 24, "asn": 65050, "ta": "test" },
    { "prefix": "10.2.0.0/16", "maxLength": 16, "asn": 65070, "ta": "test" },
    { "prefix": "2001:db8:1::/48", "maxLength": 48, "asn": 65020, "ta": "test" },
    { "prefix": "2001:db8:2::/48", "maxLength": 64, "asn": 65030, "ta": "test" }
  ],
  "aspas": [
    { "customer": 65010, "providers": [65001] },
    { "customer": 65020, "providers": [65010, 65011] },
    { "customer": 65030, "providers": [65099] },
    { "customer": 65050, "providers": [65020] },
    { "customer": 65070, "providers": [65040] }
  ]
}
"#;

/// ExaBGP's routes (AS_PATH as sent; 65010 is the neighbor) and their
/// states by hand: route origin validation against RPKI_JSON's VRPs,
/// upstream ASPA verification (routes from a customer) against its ASPAs.
const ROUTES: &[(&str, &str, &str, &str)] = &[
    // 65020 -> 65010: 65020 attests 65010. ROV: 10.1.0.0/16-24 AS65020.
    ("10.1.1.0/24", "65010 65020", "valid", "valid"),
    // 65030 -> 65010: 65030 attests only 65099: not a provider.
    ("10.1.2.0/24", "65010 65030", "invalid", "invalid"),
    // 65040 has no ASPA: no attestation for its hop.
    ("10.1.3.0/24", "65010 65040", "invalid", "unknown"),
    // The neighbor alone: nothing to verify.
    ("192.0.2.0/24", "65010", "not_found", "valid"),
    // 65050 -> 65020 -> 65010, each hop attested. ROV: 10.1.6.0/24 AS65050.
    ("10.1.6.0/24", "65010 65020 65050", "valid", "valid"),
    // 65070 -> 65040 attested, 65040 -> 65010 not: unknown. ROV:
    // 10.2.0.0/16-16 does not allow a /24.
    ("10.2.7.0/24", "65010 65040 65070", "invalid", "unknown"),
    // 65050 -> 65030: 65050 attests only 65020, whatever follows.
    ("10.1.8.0/24", "65010 65030 65050", "invalid", "invalid"),
];

fn exabgp_routes() -> String {
    let r: Vec<(&str, &str)> = ROUTES.iter().map(|(p, a, _, _)| (*p, *a)).collect();
    exabgp_config(&r)
}

fn expected_states() -> Vec<(&'static str, &'static str, &'static str)> {
    ROUTES
        .iter()
        .flat_map(|(p, _, rov, aspa)| [(*p, "rpki", *rov), (*p, "aspa", *aspa)])
        .collect()
}

fn rbgpd_log_has(lab: &Lab, needle: &str) -> bool {
    lab.log("rbgpd.log").contains(needle)
}

/// RTRTR serves the JSON file's VRPs and ASPAs; rbgpd negotiates RTR
/// version 2 (the only one with ASPA PDUs), loads both and computes the
/// states of the customer's routes as worked out by hand.
#[test]
fn rtrtr_vrps_and_aspas_give_hand_computed_states() {
    let mut lab = lab("rtx", &["rtrtr"]);
    let json = lab.write("rpki.json", RPKI_JSON);
    let rtrtr_pid = lab.rtrtr_in("c", "rtrtr", &json, "10.90.0.5:3323").id();
    let rpki = "[[rpki.caches]]\naddress = \"10.90.0.5\"\nport = 3323\n";
    let conf = rbgpd_config(&lab, rpki, "accept_all", false);
    start_rbgpd(&mut lab, &conf);
    lab.exabgp_in("e", &exabgp_routes());
    lab.wait("rbgpd to load RTRTR's data", 40, || {
        (metric(&lab, "rbgp_rpki_aspas")? == 5.0).then_some(())
    });
    assert_eq!(metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}"), Some(3.0));
    assert_eq!(metric(&lab, "rbgp_rpki_vrps{family=\"ipv6\"}"), Some(2.0));
    assert_eq!(metric(&lab, "rbgp_rpki_connected"), Some(1.0));
    assert_eq!(metric(&lab, "rbgp_rpki_errors_total"), Some(0.0));
    let log = lab.log("rbgpd.log");
    let eod = log
        .lines()
        .find(|l| l.contains("RTR End of Data"))
        .unwrap_or_else(|| panic!("no End of Data logged:\n{log}"));
    assert!(eod.contains("version=2"), "RTR version 2 with RTRTR: {eod}");
    wait_states(&lab, "RTRTR's data", 40, &expected_states());

    // ASPAs change: 65030 now attests 65010, 65020 withdraws its ASPA.
    // RTRTR notifies, rbgpd fetches the difference (no reset) and
    // revalidates the paths through those customers.
    let serial = metric(&lab, "rbgp_rpki_serial").unwrap();
    let resets = metric(&lab, "rbgp_rpki_resets_total").unwrap();
    let changed = RPKI_JSON
        .replace(r#"{ "customer": 65020, "providers": [65010, 65011] },"#, "")
        .replace(r#"[65099]"#, "[65010, 65099]");
    assert_ne!(changed, RPKI_JSON);
    lab.write("rpki.json.new", &changed);
    std::fs::rename(lab.path("rpki.json.new"), &json).unwrap();
    lab.wait("rbgpd to apply RTRTR's serial update", 30, || {
        (metric(&lab, "rbgp_rpki_serial")? > serial).then_some(())
    });
    assert_eq!(metric(&lab, "rbgp_rpki_aspas"), Some(4.0));
    assert_eq!(
        metric(&lab, "rbgp_rpki_resets_total"),
        Some(resets),
        "an incremental update"
    );
    wait_states(
        &lab,
        "the changed ASPAs",
        10,
        &[
            // 65020 has no ASPA any more.
            ("10.1.1.0/24", "aspa", "unknown"),
            ("10.1.6.0/24", "aspa", "unknown"),
            // 65030 attests 65010 now.
            ("10.1.2.0/24", "aspa", "valid"),
            // 65050 still attests only 65020.
            ("10.1.8.0/24", "aspa", "invalid"),
            ("10.1.3.0/24", "aspa", "unknown"),
            ("192.0.2.0/24", "aspa", "valid"),
            ("10.1.2.0/24", "rpki", "invalid"),
        ],
    );

    // RTRTR restarts with a new Session ID. rbgpd's data has not expired,
    // so it asks for the changes since its serial; RTRTR answers with a
    // Cache Reset (RFC 8210 §5.9), rbgpd sends a Reset Query and replaces
    // its data with the whole set, states unchanged.
    let resets = metric(&lab, "rbgp_rpki_resets_total").unwrap();
    let cache = lab
        .children
        .iter()
        .position(|c| c.id() == rtrtr_pid)
        .unwrap();
    lab.kill(cache);
    lab.rtrtr_in("c", "rtrtr2", &json, "10.90.0.5:3323");
    lab.wait(
        "rbgpd to reload the restarted RTRTR's whole set",
        40,
        || {
            (metric(&lab, "rbgp_rpki_resets_total")? > resets
                && metric(&lab, "rbgp_rpki_connected")? == 1.0)
                .then_some(())
        },
    );
    let log = lab.log("rbgpd.log");
    assert!(
        log.contains("RTR Cache Reset"),
        "RTRTR answered the Serial Query with a Cache Reset: {log}"
    );
    assert_eq!(metric(&lab, "rbgp_rpki_aspas"), Some(4.0));
    assert_eq!(metric(&lab, "rbgp_rpki_expired"), Some(0.0));
    wait_states(
        &lab,
        "the same states after the reset",
        10,
        &[
            ("10.1.1.0/24", "aspa", "unknown"),
            ("10.1.2.0/24", "aspa", "valid"),
            ("10.1.8.0/24", "aspa", "invalid"),
            ("10.1.2.0/24", "rpki", "invalid"),
        ],
    );
}

/// StayRTR killed: rbgpd keeps running with the data and states it had,
/// counts the failures and shows itself disconnected; restarted: rbgpd is
/// back within the Retry Interval (2 s). With a standby cache started,
/// the preferred one killed: rbgpd moves to the standby and replaces the
/// data once, at its first End of Data, with the states unchanged.
#[test]
fn stayrtr_killed_restarted_and_standby() {
    let mut lab = lab("flt", &["stayrtr"]);
    let json = lab.write("rpki.json", RPKI_JSON);
    let rpki = "[[rpki.caches]]\naddress = \"10.90.0.5\"\nport = 3323\npreference = 1\n\
                [[rpki.caches]]\naddress = \"10.90.0.6\"\nport = 3323\npreference = 2\n";
    lab.stayrtr_in("c", &json, "10.90.0.5:3323", "stayrtr-c.log");
    let mut cache = lab.children.len() - 1;
    let conf = rbgpd_config(&lab, rpki, "accept_all", false);
    let rbgpd = start_rbgpd(&mut lab, &conf);
    lab.exabgp_in("e", &exabgp_routes());
    lab.wait("rbgpd to load StayRTR's data", 40, || {
        (metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}")? == 3.0).then_some(())
    });
    // StayRTR 0.5.1 reads no `aspas` (see the module's notes): route
    // origin states only, and no ASPA is served.
    let want: Vec<_> = expected_states()
        .into_iter()
        .filter(|(_, f, _)| *f == "rpki")
        .collect();
    wait_states(&lab, "StayRTR's data", 40, &want);
    assert!(rbgpd_log_has(&lab, "cache=10.90.0.5:3323"));
    let errors = metric(&lab, "rbgp_rpki_errors_total").unwrap();
    let resets = metric(&lab, "rbgp_rpki_resets_total").unwrap();
    let updates = metric(&lab, "rbgp_rpki_updates_total").unwrap();
    assert_eq!(resets, 1.0, "one full load so far");

    // The cache dies (the standby is not running either).
    lab.kill(cache);
    lab.wait("rbgpd to notice the cache is gone", 20, || {
        (metric(&lab, "rbgp_rpki_connected")? == 0.0
            && metric(&lab, "rbgp_rpki_errors_total")? > errors)
            .then_some(())
    });
    // Retries fail too (both caches refuse), and are counted.
    let e1 = metric(&lab, "rbgp_rpki_errors_total").unwrap();
    lab.wait("a failed retry counted", 20, || {
        (metric(&lab, "rbgp_rpki_errors_total")? > e1).then_some(())
    });
    assert!(
        lab.children[rbgpd].try_wait().unwrap().is_none(),
        "rbgpd is still running"
    );
    // The data is kept: a known invalid route stays invalid.
    wait_states(&lab, "states without a cache", 1, &want);
    assert_eq!(metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}"), Some(3.0));
    assert_eq!(metric(&lab, "rbgp_rpki_expired"), Some(0.0));

    // The cache comes back: rbgpd connects within its Retry Interval (2
    // s, plus StayRTR's start). The new StayRTR has another Session ID and
    // answers our Serial Query with Error Report 0 (RFC 8210 §5.1), so the
    // data comes with the Reset Query a Retry Interval later.
    let t = Instant::now();
    lab.stayrtr_in("c", &json, "10.90.0.5:3323", "stayrtr-c2.log");
    cache = lab.children.len() - 1;
    lab.wait("rbgpd to connect to the restarted cache", 15, || {
        lab.log("stayrtr-c2.log")
            .contains("Accepted tcp connection from 10.90.0.1")
            .then_some(())
    });
    let back = t.elapsed();
    lab.wait("the restarted cache's data", 20, || {
        (metric(&lab, "rbgp_rpki_connected")? == 1.0
            && metric(&lab, "rbgp_rpki_updates_total")? > updates)
            .then_some(())
    });
    eprintln!(
        "reconnected {back:?}, data {:?} after the cache's restart",
        t.elapsed()
    );
    assert!(
        back < Duration::from_secs(5),
        "connected after {back:?}, more than the 2 s Retry Interval and StayRTR's start"
    );
    wait_states(&lab, "states after the reconnection", 5, &want);

    // A standby cache; then the preferred one dies.
    lab.stayrtr_in("s", &json, "10.90.0.6:3323", "stayrtr-s.log");
    lab.wait("the standby cache to listen", 20, || {
        lab.run_in("s", "ss -ltn")
            .contains("10.90.0.6:3323")
            .then_some(())
    });
    let resets = metric(&lab, "rbgp_rpki_resets_total").unwrap();
    let errors = metric(&lab, "rbgp_rpki_errors_total").unwrap();
    lab.kill(cache);
    lab.wait("the preferred cache's loss counted", 20, || {
        (metric(&lab, "rbgp_rpki_errors_total")? > errors).then_some(())
    });
    // Until the standby's first End of Data the old data is used.
    wait_states(&lab, "states between the caches", 1, &want);
    lab.wait("rbgpd to take the standby's data", 20, || {
        (rbgpd_log_has(&lab, "cache=10.90.0.6:3323")
            && metric(&lab, "rbgp_rpki_connected")? == 1.0
            && metric(&lab, "rbgp_rpki_resets_total")? > resets)
            .then_some(())
    });
    assert_eq!(
        metric(&lab, "rbgp_rpki_resets_total"),
        Some(resets + 1.0),
        "the standby's first End of Data replaces the data once"
    );
    assert_eq!(metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}"), Some(3.0));
    assert_eq!(metric(&lab, "rbgp_rpki_vrps{family=\"ipv6\"}"), Some(2.0));
    wait_states(&lab, "states from the standby", 1, &want);

    // The preferred cache comes back: probed every Retry Interval (2 s)
    // from the standby's session, it is switched back to, and its first
    // End of Data replaces the standby's data (states unchanged).
    let resets = metric(&lab, "rbgp_rpki_resets_total").unwrap();
    lab.stayrtr_in("c", &json, "10.90.0.5:3323", "stayrtr-c3.log");
    lab.wait("rbgpd back on the preferred cache", 30, || {
        let log = lab.log("rbgpd.log");
        let last = log.lines().rev().find(|l| l.contains("RTR End of Data"))?;
        (log.contains("switching back")
            && last.contains("cache=10.90.0.5:3323")
            && metric(&lab, "rbgp_rpki_resets_total")? > resets)
            .then_some(())
    });
    assert!(lab
        .log("stayrtr-c3.log")
        .contains("Accepted tcp connection from 10.90.0.1"));
    wait_states(&lab, "states from the preferred cache again", 1, &want);
}

/// RTR over TLS (RFC 6810 §7.2) with StayRTR serving TLS: the preferred
/// cache's certificate does not chain to the CA configured for it, so
/// rbgpd refuses it (an error naming the certificate) and loads the data
/// from the standby, whose certificate does, and stays with it.
#[test]
fn rtr_over_tls_checks_the_caches_certificate() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut lab = lab("tls", &["stayrtr"]);
    let json = lab.write("rpki.json", RPKI_JSON);
    let ca = |name: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
    };
    let (good, rogue) = (ca("RPKI caches CA"), ca("somebody else"));
    let good_pem = lab.write("ca.pem", &good.pem());
    let rogue_pem = lab.write("rogue-ca.pem", &rogue.pem());
    for (host, addr) in [("c", "10.90.0.5"), ("s", "10.90.0.6")] {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![addr.to_string()])
            .unwrap()
            .signed_by(&key, &good)
            .unwrap();
        let c = lab.write(&format!("{host}.pem"), &cert.pem());
        let k = lab.write(&format!("{host}.key"), &key.serialize_pem());
        let tls_bind = format!("{addr}:3324");
        lab.stayrtr_in_with(
            host,
            &json,
            &format!("{addr}:3323"),
            &format!("stayrtr-{host}.log"),
            &["-tls.bind", &tls_bind, "-tls.cert", &c, "-tls.key", &k],
        );
    }
    let rpki = format!(
        "[[rpki.caches]]\naddress = \"10.90.0.5\"\nport = 3324\npreference = 1\ntls = true\ntls_ca = \"{rogue_pem}\"\n\
         [[rpki.caches]]\naddress = \"10.90.0.6\"\nport = 3324\npreference = 2\ntls = true\ntls_ca = \"{good_pem}\"\n"
    );
    let conf = rbgpd_config(&lab, &rpki, "accept_all", false);
    start_rbgpd(&mut lab, &conf);
    lab.exabgp_in("e", &exabgp_routes());
    lab.wait("rbgpd to load the standby's data over TLS", 40, || {
        (metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}")? == 3.0).then_some(())
    });
    let log = lab.log("rbgpd.log");
    assert!(
        log.lines()
            .any(|l| l.contains("RTR cache 10.90.0.5:3324: TLS") && l.contains("certificate")),
        "the rogue-signed cache refused: {log}"
    );
    assert!(
        log.lines().any(|l| l.contains("RTR cache connected")
            && l.contains("cache=10.90.0.6:3324")
            && l.contains("tls=true")),
        "{log}"
    );
    let want: Vec<_> = expected_states()
        .into_iter()
        .filter(|(_, f, _)| *f == "rpki")
        .collect();
    wait_states(&lab, "states from the TLS cache", 40, &want);
    // The session really is TLS, on StayRTR's side too.
    let srtr = lab.log("stayrtr-s.log");
    assert!(
        srtr.contains("Accepted tls connection from 10.90.0.1"),
        "{srtr}"
    );
    let metrics = lab.run_in("s", "curl -s http://10.90.0.6:9847/metrics");
    assert!(
        metrics.contains("rtr_clients{bind=\"10.90.0.6:3324\"} 1"),
        "{metrics}"
    );
    // The preferred cache is probed every Retry Interval (2 s) with a
    // handshake, not a bare TCP connect: it fails, so rbgpd never leaves
    // the working standby for it (two probes at least).
    std::thread::sleep(Duration::from_secs(5));
    let log = lab.log("rbgpd.log");
    assert!(
        !log.contains("switching back"),
        "no switch to a cache whose certificate fails: {log}"
    );
    assert_eq!(metric(&lab, "rbgp_rpki_connected"), Some(1.0));
}

/// An Error Report PDU as rbgpd sent it, from the hex the scripted cache
/// recorded after our query.
struct Report {
    version: u8,
    code: u16,
    /// The erroneous PDU it carries.
    pdu: Vec<u8>,
    text: String,
}

fn parse_report(bytes: &[u8]) -> Report {
    assert!(
        bytes.len() >= 16,
        "too short for an Error Report: {bytes:02x?}"
    );
    assert_eq!(bytes[1], 10, "PDU type 10, Error Report: {bytes:02x?}");
    let len = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(len, bytes.len(), "the PDU's length: {bytes:02x?}");
    let plen = u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let pdu = bytes[12..12 + plen].to_vec();
    let tlen = u32::from_be_bytes(bytes[12 + plen..16 + plen].try_into().unwrap()) as usize;
    let text = String::from_utf8_lossy(&bytes[16 + plen..16 + plen + tlen]).into_owned();
    assert_eq!(16 + plen + tlen, len, "the Error Report's lengths add up");
    Report {
        version: bytes[0],
        code: u16::from_be_bytes([bytes[2], bytes[3]]),
        pdu,
        text,
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// A cache answering the first query with a PDU of an unknown type (RFC
/// 8210 §12 code 5, Unsupported PDU Type), and one answering with a PDU
/// whose length is wrong for its type (code 0, Corrupt Data): rbgpd sends
/// the Error Report with the offending PDU and closes, keeps running, and
/// its BGP session stays up.
#[test]
fn garbage_from_a_cache_is_answered_with_an_error_report() {
    let mut lab = lab("gbg", &["gobgpd", "gobgp"]);
    // Version 2, type 200 (none), length 8.
    let unknown_type = [2u8, 200, 0, 0, 0, 0, 0, 8];
    // A Cache Response (type 3, 8 octets) claiming 12.
    let bad_length = [2u8, 3, 0, 7, 0, 0, 0, 12, 0, 0, 0, 0];
    lab.rtr_script_in(
        "c",
        "bad-type",
        "10.90.0.5:3323",
        &unknown_type,
        "recv-c.hex",
    );
    lab.rtr_script_in("s", "bad-len", "10.90.0.6:3323", &bad_length, "recv-s.hex");
    // Two caches of equal preference: each is tried in turn.
    let rpki = "[[rpki.caches]]\naddress = \"10.90.0.5\"\nport = 3323\n\
                [[rpki.caches]]\naddress = \"10.90.0.6\"\nport = 3323\n";
    let conf = rbgpd_config(&lab, rpki, "accept_all", true);
    let rbgpd = start_rbgpd(&mut lab, &conf);
    lab.gobgpd_in("g", "gobgpd", GOBGP);
    lab.wait("the BGP session with GoBGP", 30, || {
        lab.gobgp_in("g", "neighbor")
            .contains("Establ")
            .then_some(())
    });
    let up0 = Instant::now();
    let uptime0 = metric(&lab, "rbgp_peer_uptime_seconds{peer=\"10.90.0.3\"}").unwrap();
    for (recv, garbage, code) in [
        ("recv-c.hex", &unknown_type[..], 5u16),
        ("recv-s.hex", &bad_length[..], 0),
    ] {
        let line = lab.wait(&format!("what the cache got ({recv})"), 40, || {
            lab.log(recv).lines().next().map(String::from)
        });
        let got = unhex(line.trim());
        // Our Reset Query (version 2, type 2, 8 octets), then the report.
        assert_eq!(&got[..8], &[2, 2, 0, 0, 0, 0, 0, 8], "{line}");
        let r = parse_report(&got[8..]);
        eprintln!("{recv}: code {} \"{}\"", r.code, r.text);
        assert_eq!(r.version, 2, "{line}");
        assert_eq!(r.code, code, "error code for {garbage:02x?}: {line}");
        assert_eq!(r.pdu, garbage, "the erroneous PDU is carried back: {line}");
    }
    lab.wait("both failures counted", 10, || {
        (metric(&lab, "rbgp_rpki_errors_total")? >= 2.0).then_some(())
    });
    assert_eq!(metric(&lab, "rbgp_rpki_connected"), Some(0.0));
    assert_eq!(metric(&lab, "rbgp_rpki_updates_total"), Some(0.0));
    assert!(
        lab.children[rbgpd].try_wait().unwrap().is_none(),
        "rbgpd runs"
    );
    // The session was not reset meanwhile.
    let uptime = metric(&lab, "rbgp_peer_uptime_seconds{peer=\"10.90.0.3\"}").unwrap();
    assert!(
        uptime + 1.0 >= uptime0 + up0.elapsed().as_secs_f64(),
        "session uptime {uptime} s, was {uptime0} s {:?} ago",
        up0.elapsed()
    );
    assert!(lab.gobgp_in("g", "neighbor").contains("Establ"));
}

/// `[rpki] file`: the file is rewritten so that one route turns invalid
/// and another valid; rbgpd re-reads it, the import policy (reject
/// invalid) withdraws the first at the GoBGP monitor and passes the
/// second, and no session is reset.
#[test]
fn file_source_rewrite_revalidates_without_session_reset() {
    let mut lab = lab("fil", &["gobgpd", "gobgp"]);
    let v1 = r#"{ "roas": [
      { "prefix": "10.1.0.0/16", "maxLength": 24, "asn": 65020, "ta": "t" }
    ] }"#;
    let json = lab.write("rpki.json", v1);
    let rpki = format!("[rpki]\nfile = \"{json}\"\n");
    let conf = rbgpd_config(&lab, &rpki, "drop_invalid", true);
    start_rbgpd(&mut lab, &conf);
    lab.exabgp_in(
        "e",
        &exabgp_config(&[
            ("10.1.1.0/24", "65010 65020"),
            ("10.1.2.0/24", "65010 65030"),
            ("192.0.2.0/24", "65010"),
        ]),
    );
    lab.gobgpd_in("g", "gobgpd", GOBGP);
    lab.wait(
        "the monitor to get the valid and not-found routes",
        40,
        || {
            let p = monitor_prefixes(&lab);
            (p.len() == 2
                && p.contains(&"10.1.1.0/24".into())
                && p.contains(&"192.0.2.0/24".into()))
            .then_some(())
        },
    );
    wait_states(
        &lab,
        "the first file",
        5,
        &[
            ("10.1.1.0/24", "rpki", "valid"),
            ("192.0.2.0/24", "rpki", "not_found"),
        ],
    );
    assert_eq!(metric(&lab, "rbgp_rpki_connected"), Some(1.0));
    let updates = metric(&lab, "rbgp_rpki_updates_total").unwrap();
    let up0 = Instant::now();
    let uptimes: Vec<f64> = ["10.90.0.2", "10.90.0.3"]
        .iter()
        .map(|p| metric(&lab, &format!("rbgp_peer_uptime_seconds{{peer=\"{p}\"}}")).unwrap())
        .collect();
    // 10.1.1.0/24 is now AS65099's (invalid for 65020), 10.1.2.0/24 AS65030's.
    let v2 = r#"{ "roas": [
      { "prefix": "10.1.0.0/16", "maxLength": 24, "asn": 65099, "ta": "t" },
      { "prefix": "10.1.2.0/24", "maxLength": 24, "asn": 65030, "ta": "t" }
    ] }"#;
    lab.write("rpki.json.new", v2);
    std::fs::rename(lab.path("rpki.json.new"), &json).unwrap();
    let t = Instant::now();
    lab.wait("the monitor to see the new states applied", 20, || {
        let p = monitor_prefixes(&lab);
        (p.len() == 2 && p.contains(&"10.1.2.0/24".into()) && p.contains(&"192.0.2.0/24".into()))
            .then_some(())
    });
    eprintln!("file change applied at the monitor after {:?}", t.elapsed());
    assert_eq!(metric(&lab, "rbgp_rpki_updates_total"), Some(updates + 1.0));
    assert_eq!(metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}"), Some(2.0));
    wait_states(
        &lab,
        "the second file",
        5,
        &[("10.1.2.0/24", "rpki", "valid")],
    );
    for (p, u0) in ["10.90.0.2", "10.90.0.3"].iter().zip(uptimes) {
        let u = metric(&lab, &format!("rbgp_peer_uptime_seconds{{peer=\"{p}\"}}")).unwrap();
        assert!(
            u + 1.0 >= u0 + up0.elapsed().as_secs_f64(),
            "{p}: uptime {u} s, was {u0} s {:?} ago: the session was reset",
            up0.elapsed()
        );
    }
}

/// StayRTR limited to RTR version 1: rbgpd, starting at version 2, ends
/// on 1 (and gets no ASPAs, which need 2); that cache replaced by one
/// limited to version 0: rbgpd ends on 0.
#[test]
fn version_falls_back_to_the_caches() {
    let mut lab = lab("ver", &["stayrtr"]);
    let json = lab.write("rpki.json", RPKI_JSON);
    lab.stayrtr_in_with(
        "c",
        &json,
        "10.90.0.5:3323",
        "stayrtr-v1.log",
        &["-protocol", "1"],
    );
    let cache = lab.children.len() - 1;
    let rpki = "[[rpki.caches]]\naddress = \"10.90.0.5\"\nport = 3323\nmax_version = 2\n";
    let conf = rbgpd_config(&lab, rpki, "accept_all", false);
    start_rbgpd(&mut lab, &conf);
    lab.wait("rbgpd to load the v1 cache's VRPs", 40, || {
        (metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}")? == 3.0).then_some(())
    });
    let eod = |lab: &Lab, v: u8| {
        lab.log("rbgpd.log")
            .lines()
            .any(|l| l.contains("RTR End of Data") && l.contains(&format!("version={v}")))
    };
    assert!(
        eod(&lab, 1),
        "End of Data in version 1:\n{}",
        lab.log("rbgpd.log")
    );
    assert!(
        !eod(&lab, 2),
        "no version 2 End of Data:\n{}",
        lab.log("rbgpd.log")
    );
    assert_eq!(
        metric(&lab, "rbgp_rpki_aspas"),
        Some(0.0),
        "no ASPA in version 1"
    );
    lab.kill(cache);
    lab.stayrtr_in_with(
        "c",
        &json,
        "10.90.0.5:3323",
        "stayrtr-v0.log",
        &["-protocol", "0"],
    );
    lab.wait("an End of Data in version 0", 30, || {
        eod(&lab, 0).then_some(())
    });
    assert_eq!(metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}"), Some(3.0));
    assert_eq!(metric(&lab, "rbgp_rpki_connected"), Some(1.0));
}

/// StayRTR 0.5.1 reads ASPAs only as rpki-client 8 wrote them
/// (`provider_authorizations`) and sends them in the ASPA PDU of
/// draft-ietf-sidrops-8210bis-10 (AFI flags and a provider count before
/// the customer), which the final format cannot read. rbgpd reports the
/// error, then keeps the cache's VRPs by speaking version 1 to it.
#[test]
fn stayrtr_prestandard_aspa_pdus_fall_back_to_version_1() {
    let mut lab = lab("asp", &["stayrtr"]);
    let json = lab.write(
        "rpki.json",
        r#"{ "metadata": { "buildtime": "2026-01-01T00:00:00Z" },
  "roas": [ { "prefix": "10.1.0.0/16", "maxLength": 24, "asn": 65020, "ta": "t" } ],
  "provider_authorizations": {
    "ipv4": [ { "customer_asid": 65020, "providers": [65010, 65011] } ],
    "ipv6": [ { "customer_asid": 65020, "providers": [65010, 65011] } ] } }"#,
    );
    lab.stayrtr_in("c", &json, "10.90.0.5:3323", "stayrtr.log");
    let rpki = "[[rpki.caches]]\naddress = \"10.90.0.5\"\nport = 3323\n";
    let conf = rbgpd_config(&lab, rpki, "accept_all", false);
    let rbgpd = start_rbgpd(&mut lab, &conf);
    lab.wait("rbgpd to load the cache's VRPs", 40, || {
        (metric(&lab, "rbgp_rpki_vrps{family=\"ipv4\"}")? == 1.0).then_some(())
    });
    let log = lab.log("rbgpd.log");
    assert!(
        log.lines()
            .any(|l| l.contains("RTR End of Data") && l.contains("version=1")),
        "{log}"
    );
    assert!(metric(&lab, "rbgp_rpki_errors_total").unwrap() >= 1.0);
    assert_eq!(metric(&lab, "rbgp_rpki_aspas"), Some(0.0));
    assert_eq!(metric(&lab, "rbgp_rpki_connected"), Some(1.0));
    assert!(lab.children[rbgpd].try_wait().unwrap().is_none());
}
