//! The RTR client session against a scripted cache (RFC 8210 §7, §8;
//! 8210bis §5.12, §7).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use rbgp_rpki::pdu::{decode, Pdu, Timers};
use rbgp_rpki::{ErrorCode, Event, Session, SessionConfig, Vrp};

fn bytes(pdus: &[Pdu]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pdus {
        p.encode(&mut out);
    }
    out
}

fn sent(b: &[u8]) -> Pdu {
    decode(b).unwrap().unwrap().0
}

fn v4(version: u8, announce: bool, a: [u8; 4], len: u8, asn: u32) -> Pdu {
    Pdu::Ipv4Prefix {
        version,
        announce,
        prefix_len: len,
        max_len: len,
        addr: Ipv4Addr::from(a),
        asn,
    }
}

fn eod(version: u8, session_id: u16, serial: u32) -> Pdu {
    let timers = (version > 0).then_some(Timers {
        refresh: 100,
        retry: 50,
        expire: 1000,
    });
    Pdu::EndOfData {
        version,
        session_id,
        serial,
        timers,
    }
}

fn vrp(a: [u8; 4], len: u8, asn: u32) -> Vrp {
    Vrp {
        prefix: format!("{}/{len}", Ipv4Addr::from(a)).parse().unwrap(),
        max_len: len,
        asn,
    }
}

fn update(ev: &[Event]) -> &rbgp_rpki::Delta {
    ev.iter()
        .find_map(|e| {
            if let Event::Update(d) = e {
                Some(d)
            } else {
                None
            }
        })
        .unwrap()
}

/// A v2 session through a reset response with one VRP and one ASPA.
fn synced(now: Instant) -> Session {
    let mut s = Session::new(SessionConfig::default());
    assert_eq!(sent(&s.connected(now)), Pdu::ResetQuery { version: 2 });
    let ev = s
        .receive(
            &bytes(&[
                Pdu::CacheResponse {
                    version: 2,
                    session_id: 7,
                },
                v4(2, true, [10, 0, 0, 0], 8, 1),
                Pdu::Aspa {
                    version: 2,
                    announce: true,
                    customer: 5,
                    providers: vec![6, 7],
                },
                eod(2, 7, 100),
            ]),
            now,
        )
        .unwrap();
    let d = update(&ev);
    assert!(d.reset);
    assert_eq!(d.announced, vec![vrp([10, 0, 0, 0], 8, 1)]);
    assert_eq!(d.aspas.len(), 1);
    assert!(ev.contains(&Event::Timers(Timers {
        refresh: 100,
        retry: 50,
        expire: 1000
    })));
    s
}

#[test]
fn reset_then_serial_on_refresh() {
    let t0 = Instant::now();
    let mut s = synced(t0);
    assert_eq!(s.serial(), Some((7, 100)));
    assert_eq!(s.next_timeout(), Some(t0 + Duration::from_secs(100)));
    assert!(s.poll(t0 + Duration::from_secs(99)).is_empty());
    let t1 = t0 + Duration::from_secs(100);
    assert_eq!(
        sent(&s.poll(t1)),
        Pdu::SerialQuery {
            version: 2,
            session_id: 7,
            serial: 100
        }
    );
    // Changes are held until End of Data, then delivered at once.
    let ev = s
        .receive(
            &bytes(&[
                Pdu::CacheResponse {
                    version: 2,
                    session_id: 7,
                },
                v4(2, false, [10, 0, 0, 0], 8, 1),
                v4(2, true, [11, 0, 0, 0], 8, 2),
            ]),
            t1,
        )
        .unwrap();
    assert!(ev.is_empty());
    let ev = s.receive(&bytes(&[eod(2, 7, 101)]), t1).unwrap();
    let d = update(&ev);
    assert!(!d.reset);
    assert_eq!(d.withdrawn, vec![vrp([10, 0, 0, 0], 8, 1)]);
    assert_eq!(d.announced, vec![vrp([11, 0, 0, 0], 8, 2)]);
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Timers(_))),
        "timers unchanged"
    );
    // Byte by byte works the same.
    let q = s.poll(t1 + Duration::from_secs(100));
    assert!(!q.is_empty());
    let all = bytes(&[
        Pdu::CacheResponse {
            version: 2,
            session_id: 7,
        },
        eod(2, 7, 102),
    ]);
    let mut evs = Vec::new();
    for b in &all {
        evs.extend(s.receive(&[*b], t1).unwrap());
    }
    assert_eq!(s.serial(), Some((7, 102)));
    assert!(update(&evs).is_empty());
}

#[test]
fn reconnect_uses_serial_query_until_expired() {
    let t0 = Instant::now();
    let mut s = synced(t0);
    s.disconnected(t0);
    assert_eq!(
        s.next_timeout(),
        Some(t0 + Duration::from_secs(50)),
        "retry interval"
    );
    assert_eq!(
        sent(&s.connected(t0)),
        Pdu::SerialQuery {
            version: 2,
            session_id: 7,
            serial: 100
        }
    );
    // Answered (the cache is in sync), then the connection goes.
    let ev = s
        .receive(
            &bytes(&[
                Pdu::CacheResponse {
                    version: 2,
                    session_id: 7,
                },
                eod(2, 7, 100),
            ]),
            t0,
        )
        .unwrap();
    assert!(update(&ev).announced.is_empty());
    s.disconnected(t0);
    assert!(s.expired(t0 + Duration::from_secs(1000)));
    assert_eq!(
        sent(&s.connected(t0 + Duration::from_secs(1000))),
        Pdu::ResetQuery { version: 2 }
    );
}

#[test]
fn serial_query_unanswered_then_reset_query() {
    // A restarted cache (a new Session ID) that closes the connection on
    // our Serial Query without an Error Report, as StayRTR 0.5.1 may: the
    // next connection asks for everything, else it would fail forever.
    let t0 = Instant::now();
    let mut s = synced(t0);
    s.disconnected(t0);
    assert!(matches!(
        sent(&s.connected(t0)),
        Pdu::SerialQuery { session_id: 7, .. }
    ));
    s.disconnected(t0);
    assert_eq!(
        s.next_timeout(),
        Some(t0 + Duration::from_secs(50)),
        "after the Retry Interval"
    );
    assert_eq!(sent(&s.connected(t0)), Pdu::ResetQuery { version: 2 });
    // The held data stays until the new full set replaces it.
    assert_eq!(s.data().vrp_count(), 1);
}

#[test]
fn version_negotiation_down_to_0() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default());
    s.connected(t0);
    // A v1 cache answers a v2 query with Error Report code 4 in v1.
    let r = rbgp_rpki::pdu::error_report(1, ErrorCode::UnsupportedProtocolVersion, &[], "");
    let ev = s.receive(&r, t0).unwrap();
    assert_eq!(ev, vec![Event::Reconnect { version: 1 }]);
    s.disconnected(t0);
    assert_eq!(s.next_timeout(), Some(t0), "reconnect at once");
    assert_eq!(sent(&s.connected(t0)), Pdu::ResetQuery { version: 1 });
    // A v0 cache answers in v0 without an error: go down again.
    let ev = s
        .receive(
            &bytes(&[Pdu::CacheResponse {
                version: 0,
                session_id: 1,
            }]),
            t0,
        )
        .unwrap();
    assert_eq!(ev, vec![Event::Reconnect { version: 0 }]);
    s.disconnected(t0);
    assert_eq!(sent(&s.connected(t0)), Pdu::ResetQuery { version: 0 });
    // Version 0: End of Data without timers, the RFC 8210 §6 defaults.
    let ev = s
        .receive(
            &bytes(&[
                Pdu::CacheResponse {
                    version: 0,
                    session_id: 1,
                },
                eod(0, 1, 5),
            ]),
            t0,
        )
        .unwrap();
    assert!(ev.contains(&Event::Timers(Timers {
        refresh: 3600,
        retry: 600,
        expire: 7200
    })));
    // Once negotiated, a PDU of another version is error 8.
    let e = s
        .receive(
            &bytes(&[Pdu::SerialNotify {
                version: 1,
                session_id: 1,
                serial: 6,
            }]),
            t0,
        )
        .unwrap_err();
    assert_eq!(
        sent(e.report.as_ref().unwrap()),
        Pdu::ErrorReport {
            version: 0,
            code: ErrorCode::UnexpectedProtocolVersion as u16,
            pdu: bytes(&[Pdu::SerialNotify {
                version: 1,
                session_id: 1,
                serial: 6
            }]),
            text: "version 1 PDU in a version 0 session".into()
        }
    );
    // Code 4 at version 0: hopeless, and no report answers a report.
    let mut s = Session::new(SessionConfig {
        max_version: 0,
        ..SessionConfig::default()
    });
    s.connected(t0);
    let e = s
        .receive(
            &rbgp_rpki::pdu::error_report(0, ErrorCode::UnsupportedProtocolVersion, &[], ""),
            t0,
        )
        .unwrap_err();
    assert!(e.report.is_none());
}

#[test]
fn serial_notify_ignored_while_negotiating_then_queries() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default());
    s.connected(t0);
    assert!(s
        .receive(
            &bytes(&[Pdu::SerialNotify {
                version: 0,
                session_id: 3,
                serial: 1
            }]),
            t0
        )
        .unwrap()
        .is_empty());
    let mut s = synced(t0);
    let ev = s
        .receive(
            &bytes(&[Pdu::SerialNotify {
                version: 2,
                session_id: 7,
                serial: 101,
            }]),
            t0,
        )
        .unwrap();
    assert_eq!(
        ev,
        vec![Event::Send(bytes(&[Pdu::SerialQuery {
            version: 2,
            session_id: 7,
            serial: 100
        }]))]
    );
    // A second notify while the query is out: nothing more.
    assert!(s
        .receive(
            &bytes(&[Pdu::SerialNotify {
                version: 2,
                session_id: 7,
                serial: 102
            }]),
            t0
        )
        .unwrap()
        .is_empty());
}

#[test]
fn cache_reset_then_new_session_id() {
    let t0 = Instant::now();
    let mut s = synced(t0);
    s.poll(t0 + Duration::from_secs(100));
    let ev = s
        .receive(&bytes(&[Pdu::CacheReset { version: 2 }]), t0)
        .unwrap();
    assert_eq!(
        ev,
        vec![
            Event::CacheReset,
            Event::Send(bytes(&[Pdu::ResetQuery { version: 2 }]))
        ]
    );
    // The reset response may carry a new Session ID; it replaces all.
    let ev = s
        .receive(
            &bytes(&[
                Pdu::CacheResponse {
                    version: 2,
                    session_id: 9,
                },
                v4(2, true, [12, 0, 0, 0], 8, 3),
                eod(2, 9, 1),
            ]),
            t0,
        )
        .unwrap();
    let d = update(&ev);
    assert!(d.reset);
    assert_eq!(d.announced, vec![vrp([12, 0, 0, 0], 8, 3)]);
    assert!(d.aspas.is_empty());
    assert_eq!(s.serial(), Some((9, 1)));
    assert_eq!(s.data().vrp_count(), 1);
    assert_eq!(s.data().aspa_count(), 0);
}

#[test]
fn session_id_mismatch_is_corrupt_data() {
    // RFC 8210 §5.1: a Session ID not ours answers a Serial Query: error
    // 0, and everything from the cache is flushed.
    let t0 = Instant::now();
    let mut s = synced(t0);
    s.poll(t0 + Duration::from_secs(100));
    let e = s
        .receive(
            &bytes(&[Pdu::CacheResponse {
                version: 2,
                session_id: 8,
            }]),
            t0,
        )
        .unwrap_err();
    assert!(e.flush);
    assert_eq!(sent(e.report.as_ref().unwrap()).version(), 2);
    s.disconnected(t0);
    assert_eq!(sent(&s.connected(t0)), Pdu::ResetQuery { version: 2 });
}

fn err_code(e: &rbgp_rpki::SessionError) -> u16 {
    match sent(e.report.as_ref().unwrap()) {
        Pdu::ErrorReport { code, .. } => code,
        p => panic!("{p:?}"),
    }
}

#[test]
fn duplicates_and_unknown_withdrawals() {
    let t0 = Instant::now();
    let open = |s: &mut Session| {
        s.poll(t0 + Duration::from_secs(100));
        s.receive(
            &bytes(&[Pdu::CacheResponse {
                version: 2,
                session_id: 7,
            }]),
            t0,
        )
        .unwrap();
    };
    let mut s = synced(t0);
    open(&mut s);
    let e = s
        .receive(&bytes(&[v4(2, true, [10, 0, 0, 0], 8, 1)]), t0)
        .unwrap_err();
    assert_eq!(err_code(&e), 7);
    let mut s = synced(t0);
    open(&mut s);
    let e = s
        .receive(&bytes(&[v4(2, false, [10, 0, 0, 0], 8, 2)]), t0)
        .unwrap_err();
    assert_eq!(err_code(&e), 6);
    // Twice in one response.
    let mut s = synced(t0);
    open(&mut s);
    let e = s
        .receive(
            &bytes(&[
                v4(2, true, [9, 0, 0, 0], 8, 1),
                v4(2, true, [9, 0, 0, 0], 8, 1),
            ]),
            t0,
        )
        .unwrap_err();
    assert_eq!(err_code(&e), 7);
    // ASPA: an announcement replaces (8210bis §5.12); a withdrawal of a
    // customer we do not hold is code 6.
    let mut s = synced(t0);
    open(&mut s);
    let ev = s
        .receive(
            &bytes(&[
                Pdu::Aspa {
                    version: 2,
                    announce: true,
                    customer: 5,
                    providers: vec![8],
                },
                eod(2, 7, 101),
            ]),
            t0,
        )
        .unwrap();
    assert_eq!(update(&ev).aspas, vec![rbgp_rpki::Aspa::new(5, vec![8])]);
    assert_eq!(s.data().providers(5), Some(&[8][..]));
    open(&mut s);
    let e = s
        .receive(
            &bytes(&[Pdu::Aspa {
                version: 2,
                announce: false,
                customer: 6,
                providers: vec![],
            }]),
            t0,
        )
        .unwrap_err();
    assert_eq!(err_code(&e), 6);
    // A bad provider list: code 9, from the decoder.
    let mut s = synced(t0);
    open(&mut s);
    let e = s
        .receive(
            &bytes(&[Pdu::Aspa {
                version: 2,
                announce: true,
                customer: 6,
                providers: vec![],
            }]),
            t0,
        )
        .unwrap_err();
    assert_eq!(err_code(&e), 9);
}

#[test]
fn payload_outside_response_and_errors_before() {
    let t0 = Instant::now();
    let mut s = synced(t0);
    let e = s
        .receive(&bytes(&[v4(2, true, [9, 0, 0, 0], 8, 1)]), t0)
        .unwrap_err();
    assert_eq!(err_code(&e), 0);
    // Events before the error in the same call are kept.
    let mut s = Session::new(SessionConfig::default());
    s.connected(t0);
    let e = s
        .receive(
            &bytes(&[
                Pdu::CacheResponse {
                    version: 2,
                    session_id: 1,
                },
                eod(2, 1, 1),
                Pdu::ResetQuery { version: 2 },
            ]),
            t0,
        )
        .unwrap_err();
    assert_eq!(err_code(&e), 3);
    assert!(e.events.iter().any(|e| matches!(e, Event::Update(_))));
}

#[test]
fn no_data_available_retries() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default());
    s.connected(t0);
    let ev = s
        .receive(
            &rbgp_rpki::pdu::error_report(2, ErrorCode::NoDataAvailable, &[], "warming up"),
            t0,
        )
        .unwrap();
    assert!(ev.is_empty());
    assert_eq!(s.next_timeout(), Some(t0 + Duration::from_secs(600)));
    assert_eq!(
        sent(&s.poll(t0 + Duration::from_secs(600))),
        Pdu::ResetQuery { version: 2 }
    );
    // Any other report from the cache ends the session, unanswered.
    let e = s
        .receive(
            &rbgp_rpki::pdu::error_report(2, ErrorCode::InternalError, &[], "oops"),
            t0,
        )
        .unwrap_err();
    assert!(e.report.is_none());
    assert!(e.reason.contains("oops"));
}

#[test]
fn limits() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig {
        max_vrps: 2,
        max_pdu_len: 64,
        ..SessionConfig::default()
    });
    s.connected(t0);
    let e = s
        .receive(
            &bytes(&[
                Pdu::CacheResponse {
                    version: 2,
                    session_id: 1,
                },
                v4(2, true, [1, 0, 0, 0], 8, 1),
                v4(2, true, [2, 0, 0, 0], 8, 1),
                v4(2, true, [3, 0, 0, 0], 8, 1),
            ]),
            t0,
        )
        .unwrap_err();
    assert!(e.reason.contains("too many VRPs"));
    let mut s = Session::new(SessionConfig {
        max_pdu_len: 64,
        ..SessionConfig::default()
    });
    s.connected(t0);
    s.receive(
        &bytes(&[Pdu::CacheResponse {
            version: 2,
            session_id: 1,
        }]),
        t0,
    )
    .unwrap();
    let big = Pdu::Aspa {
        version: 2,
        announce: true,
        customer: 1,
        providers: (1..=20).collect(),
    };
    let e = s.receive(&big.to_bytes()[..8], t0).unwrap_err();
    assert_eq!(err_code(&e), 0, "refused from the header alone");
}

#[test]
fn unusable_aspa_pdus_fall_back_to_version_1() {
    // What StayRTR 0.5.1 answers a version 2 Reset Query with (captured):
    // its ASPA PDUs are 8210bis-10's (flags, AFI flags, provider count,
    // then the customer), not the final format.
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default());
    assert_eq!(sent(&s.connected(t0)), Pdu::ResetQuery { version: 2 });
    let hex = "0203fc5c00000008\
               0204000000000014011018000a0100000000fdfc\
               020b000000000018010000020000fdfc0000fdf20000fdf3\
               020b000000000018010100020000fdfc0000fdf20000fdf3\
               0207fc5c000000180000000000000e100000025800001c20";
    let b: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let e = s.receive(&b, t0).unwrap_err();
    assert!(e.reason.contains("version 1"), "{}", e.reason);
    // The report is sent in the version of the session it ends.
    assert_eq!(sent(e.report.as_ref().unwrap()).version(), 2);
    assert!(!e.flush);
    s.disconnected(t0);
    assert_eq!(sent(&s.connected(t0)), Pdu::ResetQuery { version: 1 });
    // In version 1 the same cache's VRPs are taken.
    let ev = s
        .receive(
            &bytes(&[
                Pdu::CacheResponse {
                    version: 1,
                    session_id: 9,
                },
                v4(1, true, [10, 1, 0, 0], 16, 65020),
                eod(1, 9, 0),
            ]),
            t0,
        )
        .unwrap();
    assert_eq!(update(&ev).announced, vec![vrp([10, 1, 0, 0], 16, 65020)]);
    assert_eq!(s.version(), 1);
}

#[test]
fn a_bad_aspa_in_a_serial_response_keeps_version_2() {
    // Only a full set that cannot be read in version 2 makes the session
    // give up ASPA; one bad ASPA PDU in an incremental update costs that
    // connection and the next asks for everything, in version 2 still.
    let t0 = Instant::now();
    let mut s = synced(t0);
    let q = s.poll(t0 + Duration::from_secs(100));
    assert!(matches!(sent(&q), Pdu::SerialQuery { version: 2, .. }));
    let mut bad = Vec::new();
    Pdu::CacheResponse {
        version: 2,
        session_id: 7,
    }
    .encode(&mut bad);
    // An announcement with providers out of order: code 9.
    bad.extend([2, 11, 1, 0, 0, 0, 0, 20]);
    bad.extend(64496u32.to_be_bytes());
    bad.extend(65002u32.to_be_bytes());
    bad.extend(65001u32.to_be_bytes());
    let e = s.receive(&bad, t0).unwrap_err();
    assert!(!e.reason.contains("version 1"), "{}", e.reason);
    s.disconnected(t0);
    assert_eq!(sent(&s.connected(t0)), Pdu::ResetQuery { version: 2 });
}
