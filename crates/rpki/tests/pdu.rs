//! PDU layouts from RFC 6810 §5, RFC 8210 §5 and draft-ietf-sidrops-8210bis
//! §5, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use rbgp_rpki::pdu::{decode, error_report, Pdu, Timers};
use rbgp_rpki::ErrorCode;

fn one(b: &[u8]) -> Pdu {
    let (p, n) = decode(b).unwrap().unwrap();
    assert_eq!(n, b.len());
    assert_eq!(p.to_bytes(), b, "re-encodes identically");
    p
}

fn code(b: &[u8]) -> ErrorCode {
    decode(b).unwrap_err().code
}

#[test]
fn serial_notify_and_query() {
    // RFC 8210 §5.2/§5.3: version, type, Session ID, length 12, serial.
    let b = [1, 0, 0x12, 0x34, 0, 0, 0, 12, 0, 0, 0, 9];
    assert_eq!(
        one(&b),
        Pdu::SerialNotify {
            version: 1,
            session_id: 0x1234,
            serial: 9
        }
    );
    let b = [2, 1, 0, 7, 0, 0, 0, 12, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(
        one(&b),
        Pdu::SerialQuery {
            version: 2,
            session_id: 7,
            serial: u32::MAX
        }
    );
}

#[test]
fn reset_query_cache_response_cache_reset() {
    assert_eq!(
        one(&[0, 2, 0, 0, 0, 0, 0, 8]),
        Pdu::ResetQuery { version: 0 }
    );
    assert_eq!(
        one(&[1, 3, 0xab, 0xcd, 0, 0, 0, 8]),
        Pdu::CacheResponse {
            version: 1,
            session_id: 0xabcd
        }
    );
    assert_eq!(
        one(&[2, 8, 0, 0, 0, 0, 0, 8]),
        Pdu::CacheReset { version: 2 }
    );
}

#[test]
fn ipv4_prefix() {
    // RFC 8210 §5.6: flags, prefix length, max length, zero, prefix, ASN.
    let b = [
        1, 4, 0, 0, 0, 0, 0, 20, 1, 24, 24, 0, 1, 0, 0, 0, 0, 0, 0x34, 0x17,
    ];
    assert_eq!(
        one(&b),
        Pdu::Ipv4Prefix {
            version: 1,
            announce: true,
            prefix_len: 24,
            max_len: 24,
            addr: Ipv4Addr::new(1, 0, 0, 0),
            asn: 13335
        }
    );
    // Max length under the prefix length, or over 32: Corrupt Data.
    let mut bad = b;
    bad[10] = 23;
    assert_eq!(code(&bad), ErrorCode::CorruptData);
    let mut bad = b;
    bad[10] = 33;
    assert_eq!(code(&bad), ErrorCode::CorruptData);
    let mut bad = b;
    bad[9] = 33;
    bad[10] = 33;
    assert_eq!(code(&bad), ErrorCode::CorruptData);
    // Wrong length for the type.
    let mut long = b.to_vec();
    long[7] = 24;
    long.extend([0; 4]);
    assert_eq!(code(&long), ErrorCode::CorruptData);
}

#[test]
fn ipv6_prefix() {
    let mut b = vec![2, 6, 0, 0, 0, 0, 0, 32, 0, 32, 48, 0];
    b.extend(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0).octets());
    b.extend(64496u32.to_be_bytes());
    assert_eq!(
        one(&b),
        Pdu::Ipv6Prefix {
            version: 2,
            announce: false,
            prefix_len: 32,
            max_len: 48,
            addr: "2001:db8::".parse().unwrap(),
            asn: 64496
        }
    );
    b[10] = 129;
    assert_eq!(code(&b), ErrorCode::CorruptData);
}

#[test]
fn end_of_data_per_version() {
    // RFC 6810 §5.8: 12 octets, no timers.
    let v0 = [0, 7, 0, 5, 0, 0, 0, 12, 0, 0, 0, 42];
    assert_eq!(
        one(&v0),
        Pdu::EndOfData {
            version: 0,
            session_id: 5,
            serial: 42,
            timers: None
        }
    );
    // RFC 8210 §5.8: 24 octets with refresh, retry, expire.
    let v1 = [
        1, 7, 0, 5, 0, 0, 0, 24, 0, 0, 0, 42, 0, 0, 0x0e, 0x10, 0, 0, 2, 0x58, 0, 0, 0x1c, 0x20,
    ];
    assert_eq!(
        one(&v1),
        Pdu::EndOfData {
            version: 1,
            session_id: 5,
            serial: 42,
            timers: Some(Timers {
                refresh: 3600,
                retry: 600,
                expire: 7200
            })
        }
    );
    // A v1 End of Data of the v0 length, and the reverse, are corrupt.
    let mut short = v0;
    short[0] = 1;
    assert_eq!(code(&short), ErrorCode::CorruptData);
    let mut long = v1;
    long[0] = 0;
    assert_eq!(code(&long), ErrorCode::CorruptData);
}

#[test]
fn router_key() {
    // RFC 8210 §5.10: flags, zero, length, SKI (20), ASN, SPKI.
    let mut b = vec![1, 9, 1, 0, 0, 0, 0, 35];
    b.extend([7u8; 20]);
    b.extend(65000u32.to_be_bytes());
    b.extend([0x30, 0x01, 0x00]);
    assert_eq!(
        one(&b),
        Pdu::RouterKey {
            version: 1,
            announce: true,
            ski: [7; 20],
            asn: 65000,
            spki: vec![0x30, 1, 0]
        }
    );
    // Not in version 0 (RFC 6810 has no type 9).
    b[0] = 0;
    assert_eq!(code(&b), ErrorCode::UnsupportedPduType);
}

#[test]
fn error_report_layout() {
    // RFC 8210 §5.11: code in the Session ID field, PDU length, PDU, text
    // length, text.
    let inner = [1, 2, 0, 0, 0, 0, 0, 8];
    let b = error_report(1, ErrorCode::UnsupportedProtocolVersion, &inner, "no");
    assert_eq!(
        b,
        [1, 10, 0, 4, 0, 0, 0, 26, 0, 0, 0, 8, 1, 2, 0, 0, 0, 0, 0, 8, 0, 0, 0, 2, b'n', b'o']
    );
    assert_eq!(
        one(&b),
        Pdu::ErrorReport {
            version: 1,
            code: 4,
            pdu: inner.to_vec(),
            text: "no".into()
        }
    );
    // Inner lengths that do not add up to the PDU length.
    let mut bad = b.clone();
    bad[23] = 3;
    let e = decode(&bad).unwrap_err();
    assert_eq!(e.code, ErrorCode::CorruptData);
    assert!(e.was_error_report, "never answer an Error Report with one");
}

#[test]
fn aspa_v2_only() {
    // 8210bis §5.12: flags, zero, length, customer, providers.
    let mut b = vec![2, 11, 1, 0, 0, 0, 0, 20];
    for a in [64496u32, 64497, 64498] {
        b.extend(a.to_be_bytes());
    }
    assert_eq!(
        one(&b),
        Pdu::Aspa {
            version: 2,
            announce: true,
            customer: 64496,
            providers: vec![64497, 64498]
        }
    );
    // An ASPA PDU in version 0 or 1 is an unsupported PDU type.
    for v in [0, 1] {
        let mut old = b.clone();
        old[0] = v;
        assert_eq!(code(&old), ErrorCode::UnsupportedPduType);
    }
    // Withdrawal: length 12, no providers.
    let w = [2, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0xfb, 0xf0];
    assert_eq!(
        one(&w),
        Pdu::Aspa {
            version: 2,
            announce: false,
            customer: 64496,
            providers: vec![]
        }
    );
}

#[test]
fn aspa_provider_list_errors() {
    let aspa = |announce: u8, provs: &[u32]| {
        let mut b = vec![2, 11, announce, 0, 0, 0, 0, (12 + 4 * provs.len()) as u8];
        b.extend(64496u32.to_be_bytes());
        for p in provs {
            b.extend(p.to_be_bytes());
        }
        b
    };
    let e9 = ErrorCode::AspaProviderListError;
    assert_eq!(code(&aspa(1, &[])), e9, "announcement without providers");
    assert_eq!(code(&aspa(1, &[0, 5])), e9, "AS 0 among others");
    assert_eq!(code(&aspa(1, &[6, 5])), e9, "not increasing");
    assert_eq!(code(&aspa(1, &[5, 5])), e9, "not unique");
    // A withdrawal repeating the providers (RTRTR 0.3.3) withdraws the
    // customer's ASPA: the list is dropped.
    assert_eq!(
        decode(&aspa(0, &[5, 7])).unwrap().unwrap().0,
        Pdu::Aspa {
            version: 2,
            announce: false,
            customer: 64496,
            providers: vec![]
        }
    );
    one(&aspa(1, &[0]));
    // Length not 12 + 4n.
    let mut odd = aspa(1, &[5]);
    odd.push(0);
    odd[7] = 17;
    assert_eq!(code(&odd), ErrorCode::CorruptData);
}

#[test]
fn framing_and_limits() {
    let b = [1, 0, 0, 1, 0, 0, 0, 12, 0, 0, 0, 1];
    for cut in 0..b.len() {
        assert_eq!(decode(&b[..cut]).unwrap(), None, "needs more at {cut}");
    }
    let mut two = b.to_vec();
    two.extend(b);
    assert_eq!(decode(&two).unwrap().unwrap().1, 12);
    // Unknown version: code 4, before the length is looked at.
    assert_eq!(
        code(&[3, 2, 0, 0, 0, 0, 0, 8]),
        ErrorCode::UnsupportedProtocolVersion
    );
    // Unknown type: code 5.
    assert_eq!(
        code(&[1, 5, 0, 0, 0, 0, 0, 8]),
        ErrorCode::UnsupportedPduType
    );
    assert_eq!(
        code(&[2, 12, 0, 0, 0, 0, 0, 8]),
        ErrorCode::UnsupportedPduType
    );
    // Length under the header, and over 64 KiB (refused once the header
    // is in, without waiting for the body).
    assert_eq!(code(&[1, 2, 0, 0, 0, 0, 0, 7]), ErrorCode::CorruptData);
    assert_eq!(code(&[1, 9, 0, 0, 0, 1, 0, 0]), ErrorCode::CorruptData);
}

fn arb_pdu() -> impl Strategy<Value = Pdu> {
    let v = 0u8..=2;
    prop_oneof![
        (v.clone(), any::<u16>(), any::<u32>()).prop_map(|(version, session_id, serial)| {
            Pdu::SerialNotify {
                version,
                session_id,
                serial,
            }
        }),
        (v.clone(), any::<u16>(), any::<u32>()).prop_map(|(version, session_id, serial)| {
            Pdu::SerialQuery {
                version,
                session_id,
                serial,
            }
        }),
        v.clone().prop_map(|version| Pdu::ResetQuery { version }),
        v.clone().prop_map(|version| Pdu::CacheReset { version }),
        (v.clone(), any::<u16>()).prop_map(|(version, session_id)| Pdu::CacheResponse {
            version,
            session_id
        }),
        (
            v.clone(),
            any::<bool>(),
            0u8..=32,
            any::<u32>(),
            any::<u32>(),
            0u8..=32
        )
            .prop_map(|(version, announce, l, a, asn, m)| Pdu::Ipv4Prefix {
                version,
                announce,
                prefix_len: l,
                max_len: l.max(m),
                addr: a.into(),
                asn
            }),
        (
            v.clone(),
            any::<bool>(),
            0u8..=128,
            any::<u128>(),
            any::<u32>(),
            0u8..=128
        )
            .prop_map(|(version, announce, l, a, asn, m)| Pdu::Ipv6Prefix {
                version,
                announce,
                prefix_len: l,
                max_len: l.max(m),
                addr: a.into(),
                asn
            }),
        (
            1u8..=2,
            any::<u16>(),
            any::<u32>(),
            any::<(u32, u32, u32)>()
        )
            .prop_map(|(version, s, n, t)| {
                Pdu::EndOfData {
                    version,
                    session_id: s,
                    serial: n,
                    timers: Some(Timers {
                        refresh: t.0,
                        retry: t.1,
                        expire: t.2,
                    }),
                }
            }),
        (
            1u8..=2,
            any::<bool>(),
            any::<[u8; 20]>(),
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(version, announce, ski, asn, spki)| Pdu::RouterKey {
                version,
                announce,
                ski,
                asn,
                spki
            }),
        (
            v,
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..40),
            "[a-z ]{0,20}"
        )
            .prop_map(|(version, code, pdu, text)| Pdu::ErrorReport {
                version,
                code,
                pdu,
                text
            }),
        (any::<u32>(), proptest::collection::btree_set(1u32.., 1..20)).prop_map(|(customer, p)| {
            Pdu::Aspa {
                version: 2,
                announce: true,
                customer,
                providers: p.into_iter().collect(),
            }
        }),
    ]
}

proptest! {
    #[test]
    fn roundtrip(p in arb_pdu()) {
        let b = p.to_bytes();
        let (q, n) = decode(&b).unwrap().unwrap();
        prop_assert_eq!(n, b.len());
        prop_assert_eq!(q, p);
    }

    /// Any bytes: no panic, and a decoded PDU never claims more than given.
    #[test]
    fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(Some((_, n))) = decode(&b) {
            prop_assert!(n <= b.len());
        }
    }
}
