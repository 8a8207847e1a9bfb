//! A real exporter: GoBGP peers with BIRD on 127.0.0.1 (distinct ports)
//! and streams BMP to a listener in this test; the stream must decode
//! cleanly, with GoBGP's Initiation, BIRD's Peer Up (both OPENs the right
//! way round) and its two prefixes in pre-policy, post-policy and Loc-RIB
//! Route Monitoring, the Adj-RIB-In ones decoded with the Peer Up's
//! context (never guessed).
//!
//! gobgpd and bird are hard requirements (`scripts/test.sh` installs the
//! Debian packages gobgpd and bird2). Everything listens on 127.0.0.1 and
//! every wait is bounded; the daemons are stopped when the test ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rbgp_bmp::framer::{split, Frame};
use rbgp_bmp::message::BmpMessage;
use rbgp_bmp::session::{BmpSession, ContextSource};
use rbgp_bmp::tlv::INIT_SYS_NAME;
use rbgp_testkit::{bird_local, free_port, gobgpd_local};

const PREFIXES: [&str; 2] = ["198.51.100.0/24", "203.0.113.0/24"];

#[test]
fn gobgp_exports_bird_routes_over_bmp() {
    let dir = std::env::temp_dir().join(format!("rbgp-bmp-gobgp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (bird_port, gobgp_port, api_port) = (free_port(), free_port(), free_port());

    // Our collector: accept GoBGP's BMP connection and keep what it sends.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let bmp_port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::<u8>::new()));
    {
        let received = Arc::clone(&received);
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let t = Instant::now();
            let mut conn = loop {
                match listener.accept() {
                    Ok((c, _)) => break c,
                    Err(_) if t.elapsed() < Duration::from_secs(60) => {
                        std::thread::sleep(Duration::from_millis(100))
                    }
                    Err(_) => return,
                }
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            let mut buf = [0u8; 65536];
            while let Ok(n) = conn.read(&mut buf) {
                if n == 0 {
                    break;
                }
                received.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
    }

    let bird_conf = dir.join("bird.conf");
    std::fs::write(
        &bird_conf,
        format!(
            "router id 10.255.1.1;\n\
             protocol device {{ }}\n\
             protocol static s4 {{ ipv4; \
               route {} blackhole {{ bgp_community.add((65101,1)); }}; \
               route {} blackhole; }}\n\
             protocol bgp gobgp {{\n\
               local 127.0.0.1 port {bird_port} as 65101;\n\
               neighbor 127.0.0.1 port {gobgp_port} as 65102;\n\
               strict bind yes; multihop; connect delay time 1;\n\
               ipv4 {{ import all; export all; next hop address 10.255.1.1; }};\n\
             }}\n",
            PREFIXES[0], PREFIXES[1]
        ),
    )
    .unwrap();
    let gobgp_conf = dir.join("gobgpd.toml");
    std::fs::write(
        &gobgp_conf,
        format!(
            "[global.config]\n  as = 65102\n  router-id = \"10.255.1.2\"\n  port = {gobgp_port}\n  \
             local-address-list = [\"127.0.0.1\"]\n\
             [[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"127.0.0.1\"\n    peer-as = 65101\n  \
             [neighbors.transport.config]\n    local-address = \"127.0.0.1\"\n    remote-port = {bird_port}\n  \
             [neighbors.timers.config]\n    connect-retry = 1\n  \
             [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv4-unicast\"\n\
             [[bmp-servers]]\n  [bmp-servers.config]\n    address = \"127.0.0.1\"\n    port = {bmp_port}\n    \
             route-monitoring-policy = \"all\"\n    statistics-timeout = 0\n"
        ),
    )
    .unwrap();

    let _bird = bird_local(&bird_conf, &dir.join("bird.ctl"), &dir.join("bird.pid"));
    let _gobgp = gobgpd_local(&gobgp_conf, api_port);

    // Decode what arrived until BIRD's routes are there (bounded wait).
    let t = Instant::now();
    let (msgs, session, errors, guessed) = loop {
        let bytes = received.lock().unwrap().clone();
        let mut s = BmpSession::new();
        let mut msgs = Vec::new();
        let mut errors = Vec::new();
        let mut guessed = 0;
        for f in split(&bytes) {
            match f {
                Frame::Message(m) => match s.process(&m) {
                    Ok(p) => {
                        if let Some(u) = &p.update {
                            match u {
                                // GoBGP 3.10 sends Loc-RIB Route Monitoring
                                // (RFC 9069) without a Loc-RIB Peer Up: those
                                // are read with a guessed context, others
                                // must use their Peer Up.
                                Ok(u)
                                    if u.source == ContextSource::Guessed
                                        && !p.message.peer().is_some_and(|h| h.is_loc_rib()) =>
                                {
                                    guessed += 1
                                }
                                Ok(_) => {}
                                Err(e) => errors.push(e.to_string()),
                            }
                        }
                        msgs.push(p);
                    }
                    Err(e) => errors.push(e.to_string()),
                },
                // A message still arriving is not an error.
                Frame::Skipped { .. } => {}
            }
        }
        let seen: Vec<String> = msgs
            .iter()
            .flat_map(|p| p.elems())
            .filter(|e| e.peer_asn == 65101)
            .map(|e| e.nlri.to_string())
            .collect();
        if PREFIXES.iter().all(|p| seen.iter().any(|s| s == p)) {
            break (msgs, s, errors, guessed);
        }
        assert!(
            t.elapsed() < Duration::from_secs(45),
            "BIRD's routes did not arrive over BMP within 45 s ({} octets, {} messages, routes {seen:?})",
            bytes.len(),
            msgs.len()
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    std::fs::remove_dir_all(&dir).ok();

    assert!(errors.is_empty(), "decode errors: {errors:?}");
    assert_eq!(guessed, 0, "Route Monitoring decoded without its Peer Up");
    let init = msgs
        .iter()
        .find_map(|p| match &p.message {
            BmpMessage::Initiation(i) => Some(i),
            _ => None,
        })
        .expect("an Initiation message first");
    let name = init
        .information
        .iter()
        .find(|t| t.ty == INIT_SYS_NAME)
        .unwrap();
    assert_eq!(name.text(), "GoBGP");
    let up = msgs
        .iter()
        .find_map(|p| match &p.message {
            BmpMessage::PeerUp(u) if u.peer.asn == 65101 => Some(u),
            _ => None,
        })
        .expect("a Peer Up for BIRD");
    assert_eq!(up.peer.address.to_string(), "127.0.0.1");
    assert_eq!(
        up.received_open.asn(),
        65101,
        "the OPEN GoBGP received is BIRD's"
    );
    assert_eq!(up.sent_open.asn(), 65102, "the OPEN GoBGP sent is its own");
    let st = session
        .peers()
        .find(|(_, s)| s.peer_up.peer.asn == 65101)
        .unwrap()
        .1;
    assert!(st.adj_rib_in.four_octet_as);
    // Pre- and post-policy copies of BIRD's routes, each with its AS path.
    for post in [false, true] {
        let n = msgs
            .iter()
            .filter(|p| {
                p.message
                    .peer()
                    .is_some_and(|h| h.asn == 65101 && h.is_post_policy() == post)
            })
            .flat_map(|p| p.elems())
            .filter(|e| PREFIXES.contains(&e.nlri.to_string().as_str()))
            .inspect(|e| assert_eq!(e.origin_asn, Some(65101)))
            .count();
        assert!(
            n >= 1,
            "no {} route of BIRD's",
            if post { "post-policy" } else { "pre-policy" }
        );
    }
    // And GoBGP's Loc-RIB (peer type 3, its own AS in the header) holds them.
    let loc_rib: Vec<String> = msgs
        .iter()
        .filter(|p| {
            p.message
                .peer()
                .is_some_and(|h| h.is_loc_rib() && h.asn == 65102)
        })
        .flat_map(|p| p.elems())
        .map(|e| e.nlri.to_string())
        .collect();
    for p in PREFIXES {
        assert!(
            loc_rib.iter().any(|x| x == p),
            "{p} not in the Loc-RIB routes {loc_rib:?}"
        );
    }
}
