//! A real exporter: FRR's bgpd (`-M bmp`) peers with BIRD over IPv4 and
//! IPv6 in network namespaces of this test and streams BMP to a collector
//! of this test. The stream must decode without errors; FRR's Initiation,
//! a Peer Up per BIRD session (right address, AS and OPENs) come first;
//! the routes in the pre- and post-policy Route Monitoring are those FRR's
//! own CLI reports for BIRD (Adj-RIB-In and accepted routes), which are
//! those BIRD says it exports; FRR's locally originated routes come too.
//!
//! Needs root (network namespaces), iproute2, frr (bgpd with its bmp
//! module, vtysh), bird2 and python3; `scripts/test.sh` installs them. A
//! missing tool fails the test. Every wait is bounded; the daemons are
//! stopped and the namespaces deleted when the test ends, pass or fail.
//!
//! Namespaces `bf<pid>{sw,f,b}` on 10.89.0.0/24 and fd89::/64: distinct
//! from rbgpd's interop lab (`r<pid>…`, 10.88.0.0/24) and from the GoBGP
//! exporter test (127.0.0.1), so they can run at the same time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rbgp_bmp::message::BmpMessage;
use rbgp_bmp::session::{ContextSource, Processed};
use rbgp_bmp::tlv::{INIT_SYS_DESCR, INIT_SYS_NAME};
use rbgp_testkit::{Lab, Topology, FRR_BGPD};
use rbgp_wire::elem::ElemType;
use serde_json::Value;

const FRR_AS: u32 = 65201;
const BIRD_AS: u32 = 65202;
const BIRD4: &str = "10.89.0.2";
const BIRD6: &str = "fd89::2";
/// What BIRD originates (static routes), per family; FRR's inbound policy
/// rejects the last of each.
const BIRD_V4: [&str; 3] = ["198.51.100.0/24", "203.0.113.0/25", "192.0.2.0/26"];
const BIRD_V6: [&str; 3] = [
    "2001:db8:202::/48",
    "2001:db8:203::/48",
    "2001:db8:204::/48",
];
/// FRR's own `network` routes.
const FRR_OWN: [&str; 2] = ["100.64.201.0/24", "2001:db8:201::/48"];
/// The collector's port on the loopback of FRR's namespace.
const BMP_PORT: u16 = 11790;

/// Namespaces `f` (FRR, 10.89.0.1) and `b` (BIRD, .2) on a bridge in
/// `sw`, the processes started in them and their files; all removed on
/// drop, the daemons given a moment to stop on SIGTERM first.
fn lab() -> Lab {
    Lab::new(&Topology {
        prefix: "bf",
        test: "",
        dir: "bmp-frr",
        hosts: &[("f", 1), ("b", 2)],
        v4: "10.89.0",
        v6: "fd89::",
        tools: &["bird", "birdc", "vtysh", "python3", FRR_BGPD],
        grace: Duration::from_secs(5),
    })
}

/// A `show ... json` of FRR's; Null while bgpd is not up yet (the
/// caller's bounded wait reports it).
fn vtysh(lab: &Lab, cmd: &str) -> Value {
    serde_json::from_str(&lab.vtysh(cmd)).unwrap_or(Value::Null)
}

/// Accepts one connection on 127.0.0.1:`BMP_PORT` of the namespace it
/// runs in and copies what arrives to stdout, unchanged: the test process
/// cannot open a socket in another namespace itself (no unsafe `setns`).
const COLLECTOR: &str = "import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
while True:
    b = c.recv(65536)
    if not b:
        break
    sys.stdout.buffer.write(b)
    sys.stdout.buffer.flush()
";

/// BIRD's configuration after the router ID, log and device protocol.
fn bird_conf() -> String {
    let statics = |list: &[&str]| -> String {
        list.iter()
            .map(|p| format!("  route {p} blackhole {{ bgp_community.add(({BIRD_AS},1)); }};\n"))
            .collect()
    };
    format!(
        "protocol static s4 {{\n  ipv4;\n{}}}\n\
         protocol static s6 {{\n  ipv6;\n{}}}\n\
         template bgp tpl {{ local as {BIRD_AS}; hold time 30; connect delay time 1; \
           connect retry time 2; error wait time 1, 5; }}\n\
         protocol bgp frr4 from tpl {{ neighbor 10.89.0.1 as {FRR_AS}; \
           ipv4 {{ import all; export all; }}; }}\n\
         # multihop: a direct IPv6 session would add a link-local next hop, which\n\
         # FRR without zebra (no interface data) treats as an error.\n\
         protocol bgp frr6 from tpl {{ neighbor fd89::1 as {FRR_AS}; multihop 2; \
           ipv6 {{ import all; export all; }}; }}\n",
        statics(&BIRD_V4),
        statics(&BIRD_V6),
    )
}

fn frr_conf(dir: &str) -> String {
    let neighbor = |a: &str| {
        format!(
            " neighbor {a} remote-as {BIRD_AS}\n neighbor {a} disable-connected-check\n \
             neighbor {a} timers connect 2\n"
        )
    };
    let af = |afi: &str, a: &str, map: &str, own: &str| {
        format!(
            " address-family {afi} unicast\n  network {own}\n  neighbor {a} activate\n  \
             neighbor {a} soft-reconfiguration inbound\n  neighbor {a} route-map {map} in\n \
             exit-address-family\n"
        )
    };
    // FRR rejects a trailing `! comment`: comments on their own lines.
    format!(
        "frr defaults traditional\nhostname rbgp-frr\nlog file {dir}/frr.log informational\n\
         ip prefix-list REJECT4 seq 5 permit {}\n\
         ipv6 prefix-list REJECT6 seq 5 permit {}\n\
         route-map IN4 deny 10\n match ip address prefix-list REJECT4\nexit\n\
         route-map IN4 permit 20\nexit\n\
         route-map IN6 deny 10\n match ipv6 address prefix-list REJECT6\nexit\n\
         route-map IN6 permit 20\nexit\n\
         router bgp {FRR_AS}\n bgp router-id 10.89.0.1\n\
         ! no zebra: no connected routes to check, no IGP to validate networks\n \
         no bgp ebgp-requires-policy\n no bgp network import-check\n \
         no bgp default ipv4-unicast\n{}{}{}{}\
         ! FRR 8.4 sends pre-policy routes only if it keeps the Adj-RIB-In\n\
         ! (soft-reconfiguration inbound above).\n \
         bmp targets rbgp\n  bmp connect 127.0.0.1 port {BMP_PORT} min-retry 100 max-retry 1000\n  \
         bmp stats interval 1000\n  \
         bmp monitor ipv4 unicast pre-policy\n  bmp monitor ipv4 unicast post-policy\n  \
         bmp monitor ipv6 unicast pre-policy\n  bmp monitor ipv6 unicast post-policy\n \
         exit\nexit\n",
        BIRD_V4[2],
        BIRD_V6[2],
        neighbor(BIRD4),
        neighbor(BIRD6),
        af("ipv4", BIRD4, "IN4", FRR_OWN[0]),
        af("ipv6", BIRD6, "IN6", FRR_OWN[1]),
    )
}

/// The keys of `v[key]` (FRR's route tables are objects keyed by prefix).
fn keys(v: &Value, key: &str) -> BTreeSet<String> {
    v[key]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// What FRR reports for one BIRD session, and for its own routes.
#[derive(Debug, PartialEq)]
struct FrrView {
    /// Adj-RIB-In: every route BIRD sent.
    received: BTreeSet<String>,
    /// The routes its inbound policy accepted.
    accepted: BTreeSet<String>,
    /// Locally originated (`network`) routes of the family.
    own: BTreeSet<String>,
}

fn frr_view(lab: &Lab, afi: &str, peer: &str) -> FrrView {
    let table = vtysh(lab, &format!("show bgp {afi} unicast json"));
    let own = table["routes"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, paths)| {
                    paths.as_array().is_some_and(|a| {
                        a.iter()
                            .any(|p| p["peerId"] == "(unspec)" && p["path"] == "")
                    })
                })
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    FrrView {
        received: keys(
            &vtysh(
                lab,
                &format!("show bgp {afi} unicast neighbors {peer} received-routes json"),
            ),
            "receivedRoutes",
        ),
        accepted: keys(
            &vtysh(
                lab,
                &format!("show bgp {afi} unicast neighbors {peer} routes json"),
            ),
            "routes",
        ),
        own,
    }
}

/// The prefixes BIRD exports to one of its sessions.
fn bird_exports(lab: &Lab, protocol: &str) -> BTreeSet<String> {
    lab.birdc(&format!("show route export {protocol}"))
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.contains('/'))
        .map(String::from)
        .collect()
}

/// The routes a peer holds after every Route Monitoring so far (announce
/// adds, withdraw removes), for one peer address and policy side.
fn rib(processed: &[Processed], peer: &str, post: bool) -> BTreeSet<String> {
    let mut rib = BTreeSet::new();
    for p in processed {
        let Some(h) = p.message.peer() else { continue };
        if h.address.to_string() != peer || h.is_post_policy() != post {
            continue;
        }
        for e in p.elems() {
            match e.elem_type {
                ElemType::Announce => rib.insert(e.nlri.to_string()),
                ElemType::Withdraw => rib.remove(&e.nlri.to_string()),
            };
        }
    }
    rib
}

/// The highest "prefixes rejected by inbound policy" statistic (RFC 7854
/// §4.8 type 0) reported for a peer.
fn rejected(processed: &[Processed], peer: &str) -> Option<u64> {
    processed
        .iter()
        .filter_map(|p| match &p.message {
            BmpMessage::StatisticsReport(s) if s.peer.address.to_string() == peer => Some(s),
            _ => None,
        })
        .flat_map(|s| &s.stats)
        .filter(|s| s.ty == 0)
        .filter_map(|s| s.number())
        .max()
}

#[test]
fn frr_exports_bird_routes_over_bmp() {
    let mut lab = lab();

    // The collector first: FRR retries its BMP connection every 100 ms
    // to 1 s until it is there.
    let collector = lab.spawn_piped(
        "f",
        &["python3", "-c", COLLECTOR, &BMP_PORT.to_string()],
        "collector.log",
    );
    let mut out = collector.stdout.take().unwrap();
    let received = Arc::new(Mutex::new(Vec::<u8>::new()));
    {
        let received = Arc::clone(&received);
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                received.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
    }

    lab.bird_in("b", BIRD4, &bird_conf(), &[], "bird.out");
    let frr = frr_conf(&lab.frr_dir());
    lab.frr_bgpd(
        "f",
        &frr,
        &["-M", "bmp", "-l", "10.89.0.1", "-l", "fd89::1", "-p", "179"],
    );

    // Until the BMP view equals FRR's and BIRD's own (bounded wait): per
    // family, (BIRD exports, FRR view, BMP pre-policy, BMP post-policy,
    // BMP routes of FRR itself).
    type State = (
        BTreeSet<String>,
        FrrView,
        BTreeSet<String>,
        BTreeSet<String>,
        BTreeSet<String>,
    );
    let t = Instant::now();
    let (decoded, states) = loop {
        let bytes = received.lock().unwrap().clone();
        let decoded = common::decode_stream(&bytes);
        let states: Vec<State> = [("ipv4", BIRD4, "frr4"), ("ipv6", BIRD6, "frr6")]
            .iter()
            .map(|&(afi, peer, protocol)| {
                // FRR sends its own routes as peer 0.0.0.0, for both families.
                let own = rib(&decoded.processed, "0.0.0.0", true)
                    .into_iter()
                    .filter(|p| p.contains(':') == (afi == "ipv6"))
                    .collect();
                (
                    bird_exports(&lab, protocol),
                    frr_view(&lab, afi, peer),
                    rib(&decoded.processed, peer, false),
                    rib(&decoded.processed, peer, true),
                    own,
                )
            })
            .collect();
        let settled = states.iter().all(|(bird, frr, pre, post, own)| {
            bird.len() == 3
                && frr.received == *bird
                && frr.accepted.len() == 2
                && *post == frr.accepted
                && !pre.is_empty()
                && *own == frr.own
                && !own.is_empty()
        });
        // Statistics come every second: wait for one after the routes.
        let stats = [BIRD4, BIRD6]
            .iter()
            .all(|p| rejected(&decoded.processed, p).is_some_and(|n| n >= 1));
        if settled && stats {
            break (decoded, states);
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the BMP view did not settle to FRR's within 60 s ({} octets, {} messages, \
             errors {:?}):\n{states:#?}\n{}",
            bytes.len(),
            decoded.processed.len(),
            decoded.errors,
            lab.diag()
        );
        std::thread::sleep(Duration::from_millis(250));
    };

    eprintln!("settled after {:?}: {states:#?}", t.elapsed());
    assert!(
        decoded.errors.is_empty(),
        "decode errors: {:?}",
        decoded.errors
    );
    for (i, p) in decoded.processed.iter().enumerate() {
        if let Some(Err(e)) = &p.update {
            panic!("message {i}: UPDATE inside Route Monitoring: {e}");
        }
    }
    for (bird, frr, pre, post, own) in &states {
        // BIRD's policy exports all its routes; FRR's rejects one.
        let want: BTreeSet<String> = BIRD_V4
            .iter()
            .chain(&BIRD_V6)
            .map(|s| s.to_string())
            .collect();
        assert!(bird.is_subset(&want), "{bird:?}");
        assert_eq!(frr.received, *bird, "FRR's Adj-RIB-In is what BIRD exports");
        assert_eq!(
            *post, frr.accepted,
            "post-policy routes are FRR's accepted ones"
        );
        assert!(
            post.len() < frr.received.len(),
            "the inbound policy rejected nothing"
        );
        // FRR 8.4 runs its inbound policy on pre-policy routes too and
        // withdraws the rejected ones (upstream issue 10240): pre-policy
        // lies between the accepted routes and the Adj-RIB-In.
        assert!(
            post.is_subset(pre) && pre.is_subset(&frr.received),
            "pre-policy {pre:?} vs FRR {frr:?}"
        );
        assert_eq!(*own, frr.own, "FRR's own routes");
    }
    let own: Vec<&String> = states.iter().flat_map(|s| &s.4).collect();
    assert_eq!(own, FRR_OWN.iter().collect::<Vec<_>>());

    let msgs: Vec<&BmpMessage> = decoded.processed.iter().map(|p| &p.message).collect();
    let BmpMessage::Initiation(init) = msgs[0] else {
        panic!(
            "the stream does not start with an Initiation: {:?}",
            msgs[0]
        );
    };
    let tlv = |ty| {
        init.information
            .iter()
            .find(|t| t.ty == ty)
            .map(|t| t.text())
            .unwrap_or_default()
    };
    assert!(tlv(INIT_SYS_DESCR).starts_with("FRRouting"), "{init:?}");
    assert_eq!(tlv(INIT_SYS_NAME), "rbgp-frr");

    for peer in [BIRD4, BIRD6] {
        let ups: Vec<_> = msgs
            .iter()
            .filter_map(|m| match m {
                BmpMessage::PeerUp(u) if u.peer.address.to_string() == peer => Some(u),
                _ => None,
            })
            .collect();
        assert!(!ups.is_empty(), "no Peer Up for {peer}");
        for up in ups {
            assert_eq!(up.peer.asn, BIRD_AS);
            assert_eq!(
                up.received_open.asn(),
                BIRD_AS,
                "the OPEN FRR received is BIRD's"
            );
            assert_eq!(up.sent_open.asn(), FRR_AS, "the OPEN FRR sent is its own");
            let local = if peer == BIRD4 {
                "10.89.0.1"
            } else {
                "fd89::1"
            };
            assert_eq!(up.local_address.to_string(), local);
            // Whichever side connected, one end is port 179.
            assert!(up.local_port == 179 || up.remote_port == 179, "{up:?}");
        }
        // Every Route Monitoring of the peer was read with its Peer Up's
        // context, and FRR's path (its own AS prepended, an FRR 8.4 bug)
        // still ends at BIRD's AS.
        for p in &decoded.processed {
            if !matches!(&p.message, BmpMessage::RouteMonitoring(rm) if rm.peer.address.to_string() == peer)
            {
                continue;
            }
            let u = p.update.as_ref().unwrap().as_ref().unwrap();
            assert_eq!(u.source, ContextSource::PeerUp);
            for e in p
                .elems()
                .iter()
                .filter(|e| e.elem_type == ElemType::Announce)
            {
                assert_eq!(e.origin_asn, Some(BIRD_AS), "{e:?}");
                assert_eq!(e.peer_asn, BIRD_AS);
            }
        }
    }
    // Only FRR's own routes (its unnamed "self" peer, which never has a
    // Peer Up) are decoded with a guessed context.
    for p in &decoded.processed {
        if let (BmpMessage::RouteMonitoring(rm), Some(Ok(u))) = (&p.message, &p.update) {
            if u.source == ContextSource::Guessed {
                assert!(rm.peer.address.is_unspecified(), "{rm:?}");
            }
        }
    }
    // Statistics Reports (every second) for both sessions; FRR counts the
    // prefixes its policy rejected (RFC 7854 §4.8 type 0).
    for peer in [BIRD4, BIRD6] {
        let n = rejected(&decoded.processed, peer);
        assert!(
            n.is_some_and(|n| n >= 1),
            "rejected-prefix statistics of {peer}: {n:?}"
        );
    }
}
