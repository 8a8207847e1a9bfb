//! RFC 7606 revised UPDATE error handling: one test per error class,
//! built from hand-made bytes.
// Test code: panicking on unexpected input is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use rbgp_wire::attr::ErrorAction;
use rbgp_wire::{AfiSafi, Context, Update};

/// Build an UPDATE body from raw attribute bytes and classic NLRI.
fn body(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
    b.extend_from_slice(withdrawn);
    b.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    b.extend_from_slice(attrs);
    b.extend_from_slice(nlri);
    b
}

const ORIGIN: &[u8] = &[0x40, 1, 1, 0];
const AS_PATH: &[u8] = &[0x40, 2, 4, 2, 1, 0xfd, 0xe8];
const NEXT_HOP: &[u8] = &[0x40, 3, 4, 192, 0, 2, 1];
const NLRI: &[u8] = &[24, 10, 0, 0];

fn attrs(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn legacy() -> Context {
    Context::legacy()
}

#[test]
fn clean_update() {
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP]), NLRI);
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert!(v.is_clean());
    assert_eq!(u.nlri.len(), 1);
}

#[test]
fn length_fields_inconsistent_reset_session() {
    // Withdrawn length past the end.
    let e = Update::decode(&[0, 50, 0, 0], &legacy()).unwrap_err();
    assert_eq!((e.notification.code, e.notification.subcode), (3, 1));
    // Total attribute length past the end.
    let e = Update::decode(&[0, 0, 0, 9, 0x40, 1, 1, 0], &legacy()).unwrap_err();
    assert_eq!((e.notification.code, e.notification.subcode), (3, 1));
}

#[test]
fn malformed_nlri_resets_session() {
    let b = body(
        &[],
        &attrs(&[ORIGIN, AS_PATH, NEXT_HOP]),
        &[33, 1, 2, 3, 4, 5],
    );
    let e = Update::decode(&b, &legacy()).unwrap_err();
    assert_eq!((e.notification.code, e.notification.subcode), (3, 10));
    let b = body(&[24, 10], &[], &[]);
    let e = Update::decode(&b, &legacy()).unwrap_err();
    assert_eq!((e.notification.code, e.notification.subcode), (3, 10));
}

#[test]
fn malformed_origin_is_treat_as_withdraw() {
    let bad_origin: &[u8] = &[0x40, 1, 1, 7];
    let b = body(&[], &attrs(&[bad_origin, AS_PATH, NEXT_HOP]), NLRI);
    let (_, v) = Update::decode(&b, &legacy()).unwrap();
    assert_eq!(v.worst(), Some(ErrorAction::TreatAsWithdraw));
    let w = v.treat_as_withdraw.unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].0, AfiSafi::IPV4_UNICAST);
    assert_eq!(w[0].1.to_string(), "10.0.0.0/24");
}

#[test]
fn malformed_as_path_med_local_pref_next_hop_communities_are_treat_as_withdraw() {
    let cases: &[&[u8]] = &[
        &[0x40, 2, 3, 2, 2, 0],                           // AS_PATH segment overrun
        &[0x80, 4, 3, 0, 0, 1],                           // MED length 3
        &[0x40, 5, 5, 0, 0, 0, 1, 0],                     // LOCAL_PREF length 5
        &[0xc0, 8, 3, 0, 0, 1],                           // COMMUNITIES not a multiple of 4
        &[0x80, 9, 2, 1, 2],                              // ORIGINATOR_ID length 2
        &[0x80, 10, 0],                                   // CLUSTER_LIST empty
        &[0xc0, 16, 7, 0, 2, 0, 0, 0, 0, 1],              // EXTENDED_COMMUNITIES length 7
        &[0xc0, 32, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0], // LARGE_COMMUNITIES length 11
        &[0xc0, 35, 2, 0, 1],                             // OTC length 2
    ];
    for (i, bad) in cases.iter().enumerate() {
        let mut parts: Vec<&[u8]> = vec![ORIGIN, NEXT_HOP];
        if bad[1] != 2 {
            parts.push(AS_PATH);
        }
        parts.push(bad);
        let b = body(&[], &attrs(&parts), NLRI);
        let (_, v) = Update::decode(&b, &legacy()).unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(v.worst(), Some(ErrorAction::TreatAsWithdraw), "case {i}");
        assert_eq!(v.issues[0].attribute, Some(bad[1]), "case {i}");
        assert!(v.treat_as_withdraw.is_some(), "case {i}");
    }
    // NEXT_HOP length 5
    let b = body(
        &[],
        &attrs(&[ORIGIN, AS_PATH, &[0x40, 3, 5, 1, 2, 3, 4, 5]]),
        NLRI,
    );
    let (_, v) = Update::decode(&b, &legacy()).unwrap();
    assert_eq!(v.worst(), Some(ErrorAction::TreatAsWithdraw));
}

#[test]
fn aggregator_atomic_aggregate_as4_are_attribute_discard() {
    let cases: &[&[u8]] = &[
        &[0x40, 6, 1, 0],                 // ATOMIC_AGGREGATE with a value
        &[0xc0, 7, 5, 0, 1, 2, 3, 4],     // AGGREGATOR length 5
        &[0xc0, 17, 2, 2, 0],             // AS4_PATH zero-length segment
        &[0xc0, 18, 6, 0, 0, 0, 1, 0, 0], // AS4_AGGREGATOR length 6
    ];
    for (i, bad) in cases.iter().enumerate() {
        let b = body(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, bad]), NLRI);
        let (u, v) = Update::decode(&b, &legacy()).unwrap();
        assert_eq!(v.worst(), Some(ErrorAction::AttributeDiscard), "case {i}");
        assert_eq!(v.discarded, vec![bad[1]], "case {i}");
        assert!(v.treat_as_withdraw.is_none(), "case {i}");
        assert!(
            u.attribute(bad[1]).is_none(),
            "case {i}: discarded attribute kept"
        );
        assert_eq!(u.nlri.len(), 1, "case {i}");
    }
}

#[test]
fn missing_well_known_is_treat_as_withdraw() {
    for parts in [
        vec![AS_PATH, NEXT_HOP],
        vec![ORIGIN, NEXT_HOP],
        vec![ORIGIN, AS_PATH],
    ] {
        let b = body(&[], &attrs(&parts), NLRI);
        let (_, v) = Update::decode(&b, &legacy()).unwrap();
        assert_eq!(v.worst(), Some(ErrorAction::TreatAsWithdraw));
    }
    // No NLRI: nothing is mandatory (a pure withdrawal).
    let b = body(&[24, 10, 0, 0], &[], &[]);
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert!(v.is_clean());
    assert_eq!(u.withdrawn.len(), 1);
}

#[test]
fn duplicate_attributes() {
    // Second ORIGIN is discarded, the first kept.
    let b = body(
        &[],
        &attrs(&[ORIGIN, &[0x40, 1, 1, 2], AS_PATH, NEXT_HOP]),
        NLRI,
    );
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert_eq!(v.worst(), Some(ErrorAction::AttributeDiscard));
    assert_eq!(
        u.attribute(1),
        Some(&rbgp_wire::AttrValue::Origin(rbgp_wire::attr::Origin::Igp))
    );
    // Duplicate MP_REACH_NLRI resets the session.
    let mp: &[u8] = &[0x80, 14, 9, 0, 1, 1, 4, 1, 2, 3, 4, 0];
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, mp, mp]), &[]);
    let e = Update::decode(&b, &legacy()).unwrap_err();
    assert_eq!((e.notification.code, e.notification.subcode), (3, 1));
}

/// An ATTR_SET (RFC 6368) of origin AS 65001 around `inner`.
fn attr_set(inner: &[&[u8]]) -> Vec<u8> {
    let inner = inner.concat();
    let mut a = vec![0xc0 | 0x10, 128];
    a.extend_from_slice(&((inner.len() + 4) as u16).to_be_bytes());
    a.extend_from_slice(&65001u32.to_be_bytes());
    a.extend_from_slice(&inner);
    a
}

#[test]
fn attr_set_with_a_repeated_inner_attribute_is_treated_as_withdraw() {
    let good = attr_set(&[ORIGIN, AS_PATH]);
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &good]), NLRI);
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert!(v.is_clean(), "{v:?}");
    assert!(
        matches!(u.attribute(128), Some(rbgp_wire::AttrValue::AttrSet(s)) if s.attributes.len() == 2)
    );
    // The same ORIGIN a thousand times: each repeat cost an entry of the
    // set's list (64 octets for 4 on the wire) before the rule.
    let origins = vec![ORIGIN; 1000];
    let bad = attr_set(&origins);
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &bad]), NLRI);
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert_eq!(v.worst(), Some(ErrorAction::TreatAsWithdraw));
    assert_eq!(v.issues[0].attribute, Some(128));
    assert_eq!(v.treat_as_withdraw.unwrap().len(), 1);
    assert!(u.attribute(128).is_none());
}

#[test]
fn wrong_flags() {
    // ORIGIN marked optional: malformed -> treat-as-withdraw.
    let b = body(&[], &attrs(&[&[0xc0, 1, 1, 0], AS_PATH, NEXT_HOP]), NLRI);
    let (_, v) = Update::decode(&b, &legacy()).unwrap();
    assert_eq!(v.worst(), Some(ErrorAction::TreatAsWithdraw));
    // AGGREGATOR marked well-known: discard.
    let b = body(
        &[],
        &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &[0x40, 7, 6, 0, 1, 1, 2, 3, 4]]),
        NLRI,
    );
    let (_, v) = Update::decode(&b, &legacy()).unwrap();
    assert_eq!(v.worst(), Some(ErrorAction::AttributeDiscard));
    // MP_REACH marked transitive: session reset with the attribute as data.
    let mp: &[u8] = &[0xc0, 14, 9, 0, 1, 1, 4, 1, 2, 3, 4, 0];
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, mp]), &[]);
    let e = Update::decode(&b, &legacy()).unwrap_err();
    assert_eq!((e.notification.code, e.notification.subcode), (3, 4));
    assert_eq!(e.notification.data, mp);
}

#[test]
fn unrecognized_well_known_resets_with_data() {
    let unk: &[u8] = &[0x40, 99, 2, 1, 2];
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, unk]), NLRI);
    let e = Update::decode(&b, &legacy()).unwrap_err();
    assert_eq!((e.notification.code, e.notification.subcode), (3, 2));
    assert_eq!(e.notification.data, unk);
    // Unknown optional: kept raw, flags preserved, partial bit visible.
    let unk: &[u8] = &[0xe0, 99, 2, 1, 2];
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, unk]), NLRI);
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert!(v.is_clean());
    let a = u.attributes.iter().find(|a| a.code() == 99).unwrap();
    assert!(a.is_partial());
    let mut out = Vec::new();
    u.encode_body(&legacy(), &mut out);
    assert_eq!(out, b);
}

#[test]
fn attribute_overrunning_field_is_treat_as_withdraw() {
    // Last attribute claims 9 octets, 2 remain: NLRI still found via total length.
    let b = body(
        &[],
        &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &[0x80, 4, 9, 0, 0]]),
        NLRI,
    );
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert_eq!(v.worst(), Some(ErrorAction::TreatAsWithdraw));
    assert_eq!(u.nlri.len(), 1);
    assert_eq!(v.treat_as_withdraw.unwrap().len(), 1);
}

#[test]
fn mp_reach_errors() {
    // NLRI inside MP_REACH malformed (IPv6 /129): AFI/SAFI disable.
    let mp: &[u8] = &[
        0x80, 14, 21, 0, 2, 1, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 129,
    ];
    let mut mp = mp.to_vec();
    mp[2] = (mp.len() - 3) as u8;
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, &mp]), &[]);
    let (_, v) = Update::decode(&b, &legacy()).unwrap();
    assert_eq!(v.worst(), Some(ErrorAction::AfiSafiDisable));
    assert_eq!(v.disable_families, vec![AfiSafi::IPV6_UNICAST]);
    // Too short to hold AFI/SAFI: session reset.
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, &[0x80, 14, 2, 0, 2]]), &[]);
    let e = Update::decode(&b, &legacy()).unwrap_err();
    assert_eq!((e.notification.code, e.notification.subcode), (3, 9));
}

#[test]
fn treat_as_withdraw_covers_mp_reach_after_the_bad_attribute() {
    // Bad MED first, then an IPv6 MP_REACH: both families withdrawn.
    let mut mp = vec![0x80, 14, 0, 0, 2, 1, 16];
    mp.extend_from_slice(
        &"2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    mp.extend_from_slice(&[0, 32, 0x20, 0x01, 0x0d, 0xb8]);
    mp[2] = (mp.len() - 3) as u8;
    let b = body(
        &[],
        &attrs(&[&[0x80, 4, 1, 0], ORIGIN, AS_PATH, NEXT_HOP, &mp]),
        NLRI,
    );
    let (_, v) = Update::decode(&b, &legacy()).unwrap();
    let w = v.treat_as_withdraw.unwrap();
    let fams: Vec<AfiSafi> = w.iter().map(|(f, _)| *f).collect();
    assert_eq!(fams, vec![AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST]);
}

#[test]
fn attributes_in_any_order() {
    // GoBGP sends NEXT_HOP after COMMUNITIES; order must not matter.
    let comm: &[u8] = &[0xc0, 8, 4, 0xfd, 0xe8, 0, 1];
    let b = body(&[], &attrs(&[comm, NEXT_HOP, AS_PATH, ORIGIN]), NLRI);
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert!(v.is_clean());
    let mut out = Vec::new();
    u.encode_body(&legacy(), &mut out);
    assert_eq!(out, b, "order preserved on re-encode");
}

#[test]
fn bgpsec_path_replaces_as_path_and_aigp_is_non_transitive() {
    // RFC 8205 §3: an UPDATE with BGPsec_PATH (33) and no AS_PATH is fine.
    let bgpsec: &[u8] = &[0x80, 33, 2, 0, 0];
    let b = body(&[], &attrs(&[ORIGIN, bgpsec, NEXT_HOP]), NLRI);
    let (_, v) = Update::decode(&b, &legacy()).unwrap();
    assert!(v.is_clean(), "{:?}", v.issues);
    // RFC 7311 §3: AIGP with flags 0x80 (optional non-transitive) is valid.
    let aigp: &[u8] = &[0x80, 26, 11, 1, 0, 11, 0, 0, 0, 0, 0, 0, 0, 100];
    let b = body(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, aigp]), NLRI);
    let (u, v) = Update::decode(&b, &legacy()).unwrap();
    assert!(v.is_clean(), "{:?}", v.issues);
    assert!(
        matches!(u.attribute(26), Some(rbgp_wire::AttrValue::Aigp(a)) if a.value() == Some(100))
    );
}

#[test]
fn unknown_attributes_when_passed_on() {
    use rbgp_wire::attr::{flags, UnknownAttr};
    use rbgp_wire::{AttrValue, PathAttribute};
    let t = PathAttribute {
        flags: flags::OPTIONAL | flags::TRANSITIVE,
        value: AttrValue::Unknown(UnknownAttr {
            code: 99,
            data: vec![1],
        }),
    };
    let p = t.propagate().unwrap();
    assert!(
        p.is_partial(),
        "RFC 4271 §9.1.4: Partial set on an unrecognized transitive attribute"
    );
    assert_eq!(p.value, t.value);
    let nt = PathAttribute {
        flags: flags::OPTIONAL,
        value: AttrValue::Unknown(UnknownAttr {
            code: 98,
            data: vec![],
        }),
    };
    assert!(
        nt.propagate().is_none(),
        "unrecognized non-transitive attributes are not passed on"
    );
    let known = PathAttribute::new(AttrValue::Med(5));
    assert_eq!(known.propagate(), Some(known.clone()));
}
