//! The table, origin validation (RFC 6811) and the JSON snapshots, on
//! hand-made cases and the real data of the shared directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::time::Instant;

use proptest::prelude::*;
use rbgp_rpki::rov::origin_of;
use rbgp_rpki::{json, Aspa, Delta, RovState, Table, Vrp};
use rbgp_wire::attr::{AsPath, AsSegment, SegmentType};
use rbgp_wire::Prefix;

fn vrp(p: &str, max_len: u8, asn: u32) -> Vrp {
    Vrp {
        prefix: p.parse().unwrap(),
        max_len,
        asn,
    }
}

fn pfx(p: &str) -> Prefix {
    p.parse().unwrap()
}

#[test]
fn rfc6811_states() {
    let t = Table::from_parts(
        [
            vrp("10.0.0.0/16", 20, 64496),
            vrp("10.0.0.0/24", 24, 64497),
            vrp("192.0.2.0/24", 24, 0),
            vrp("2001:db8::/32", 48, 64500),
        ],
        [],
    );
    use RovState::*;
    assert_eq!(t.validate(&pfx("10.0.0.0/16"), Some(64496)), Valid);
    assert_eq!(t.validate(&pfx("10.0.16.0/20"), Some(64496)), Valid);
    // Longer than max length: Invalid, though the AS matches.
    assert_eq!(t.validate(&pfx("10.0.16.0/21"), Some(64496)), Invalid);
    // A second covering VRP matches.
    assert_eq!(t.validate(&pfx("10.0.0.0/24"), Some(64497)), Valid);
    assert_eq!(t.validate(&pfx("10.0.0.0/24"), Some(64496)), Invalid);
    // Covering prefix shorter than the VRP: not covered.
    assert_eq!(t.validate(&pfx("10.0.0.0/8"), Some(64496)), NotFound);
    assert_eq!(t.validate(&pfx("10.1.0.0/16"), Some(64496)), NotFound);
    // Origin NONE (AS_SET): Invalid when covered, NotFound otherwise.
    assert_eq!(t.validate(&pfx("10.0.0.0/16"), None), Invalid);
    assert_eq!(t.validate(&pfx("11.0.0.0/16"), None), NotFound);
    // AS 0 never matches (RFC 6483 §4, RFC 7607).
    assert_eq!(t.validate(&pfx("192.0.2.0/24"), Some(0)), Invalid);
    assert_eq!(t.validate(&pfx("2001:db8:1::/48"), Some(64500)), Valid);
    assert_eq!(t.validate(&pfx("2001:db8:1::/49"), Some(64500)), Invalid);
    assert_eq!(t.validate(&pfx("2001:db9::/32"), Some(64500)), NotFound);
}

#[test]
fn origin_per_rfc6811() {
    let seq = AsPath::from_sequence([1, 2, 3]);
    assert_eq!(origin_of(&seq, 9), Some(3));
    assert_eq!(
        origin_of(&AsPath::default(), 9),
        Some(9),
        "empty: our own AS"
    );
    let mut set = seq.clone();
    set.segments.push(AsSegment {
        kind: SegmentType::Set,
        asns: [4, 5].into_iter().collect(),
    });
    assert_eq!(origin_of(&set, 9), None);
    let mut confed = AsPath::default();
    confed.segments.push(AsSegment {
        kind: SegmentType::ConfedSequence,
        asns: [7].into_iter().collect(),
    });
    assert_eq!(origin_of(&confed, 9), Some(9));
}

#[test]
fn apply_reports_changes() {
    let mut t = Table::from_parts([vrp("10.0.0.0/16", 16, 1)], [Aspa::new(5, vec![6])]);
    let c = t.apply(Delta {
        announced: vec![vrp("10.1.0.0/16", 16, 1), vrp("10.0.0.0/16", 16, 1)],
        withdrawn: vec![vrp("10.0.0.0/16", 16, 1)],
        aspas: vec![Aspa::new(7, vec![8])],
        aspas_withdrawn: vec![5],
        ..Delta::default()
    });
    // Withdrawn then announced again: still held, no change.
    assert_eq!(c.prefixes, vec![pfx("10.1.0.0/16")]);
    assert_eq!(c.customers, vec![5, 7]);
    assert!(t.contains(&vrp("10.0.0.0/16", 16, 1)));
    let c = t.apply(Delta {
        reset: true,
        announced: vec![vrp("10.1.0.0/16", 16, 1)],
        aspas: vec![Aspa::new(7, vec![8])],
        ..Delta::default()
    });
    assert!(c.reset);
    assert_eq!(c.prefixes, vec![pfx("10.0.0.0/16")]);
    assert!(c.customers.is_empty());
    assert_eq!(t.vrp_count(), 1);
}

fn naive_state(vrps: &[Vrp], p: &Prefix, origin: Option<u32>) -> RovState {
    let cov: Vec<_> = vrps.iter().filter(|v| v.prefix.contains(p)).collect();
    if cov.is_empty() {
        RovState::NotFound
    } else if cov
        .iter()
        .any(|v| v.asn != 0 && Some(v.asn) == origin && p.len() <= v.max_len)
    {
        RovState::Valid
    } else {
        RovState::Invalid
    }
}

proptest! {
    #[test]
    fn validate_equals_naive(
        raw in proptest::collection::vec((0u32..16, 4u8..=12, 0u8..4, 0u32..4), 0..30),
        q in (0u32..16, 4u8..=14, proptest::option::of(0u32..4)),
        adds in proptest::collection::vec((0u32..16, 4u8..=12, 0u8..4, 0u32..4), 0..10),
    ) {
        let mk = |(a, l, m, asn): (u32, u8, u8, u32)| {
            let p = Prefix::new(std::net::Ipv4Addr::from(a << 28).into(), l).unwrap();
            Vrp { prefix: p, max_len: (l + m).min(32), asn }
        };
        let mut vrps: Vec<Vrp> = raw.into_iter().map(mk).collect();
        let mut t = Table::from_parts(vrps.clone(), []);
        let more: Vec<Vrp> = adds.into_iter().map(mk).filter(|v| !vrps.contains(v)).collect();
        let gone: Vec<Vrp> = vrps.iter().step_by(2).copied().collect();
        t.apply(Delta { announced: more.clone(), withdrawn: gone.clone(), ..Delta::default() });
        vrps.retain(|v| !gone.contains(v));
        vrps.extend(more);
        let p = Prefix::new(std::net::Ipv4Addr::from(q.0 << 28).into(), q.1).unwrap();
        prop_assert_eq!(t.validate(&p, q.2), naive_state(&vrps, &p, q.2));
    }
}

#[test]
fn rpki_client_snapshot_real() {
    let bytes = common::data(
        "rpki/jeffsw-rpkilog/derived/rpkiclient_summary_20250720T093135Z.every2nd.json.gz",
    );
    let start = Instant::now();
    let (vrps, aspas) = json::parse(&bytes).unwrap();
    let parsed = start.elapsed();
    // INDEX.md: 361,761 VRPs (v4 290,183 / v6 71,578), 1,240 AS0, 50 ASPAs
    // with 221 provider entries.
    assert_eq!(vrps.len(), 361_761);
    assert_eq!(vrps.iter().filter(|v| v.prefix.is_ipv4()).count(), 290_183);
    assert_eq!(vrps.iter().filter(|v| v.asn == 0).count(), 1_240);
    assert_eq!(aspas.len(), 50);
    assert_eq!(aspas.iter().map(|a| a.providers.len()).sum::<usize>(), 221);
    let start = Instant::now();
    let t = Table::from_parts(vrps.clone(), aspas);
    let built = start.elapsed();
    // The snapshot has no duplicate VRP.
    assert_eq!(t.vrp_count(), 361_761);
    assert_eq!(t.vrp_counts(), (290_183, 71_578));
    let (heap, aspa_heap) = t.heap_bytes();
    let per = heap as f64 / t.vrp_count() as f64;
    println!(
        "table: {} VRPs in {heap} bytes = {per:.1} B/VRP (ASPAs {aspa_heap} B); parse {parsed:?}, build {built:?}",
        t.vrp_count()
    );
    assert!(per < 40.0, "{per} bytes per VRP");
    // Every VRP validates its own prefix with its AS (unless AS 0).
    let start = Instant::now();
    for v in &vrps {
        let want = if v.asn == 0 {
            RovState::Invalid
        } else {
            RovState::Valid
        };
        let got = t.validate(&v.prefix, Some(v.asn));
        if v.asn == 0 {
            assert_ne!(got, RovState::NotFound);
        } else {
            assert_eq!(got, want, "{v:?}");
        }
    }
    println!(
        "validate: {:?} per lookup",
        start.elapsed() / vrps.len() as u32
    );
    // Real ROAs: 1.0.0.0/24 AS13335 (apnic).
    assert_eq!(t.validate(&pfx("1.0.0.0/24"), Some(13335)), RovState::Valid);
    assert_eq!(
        t.validate(&pfx("1.0.0.0/24"), Some(64496)),
        RovState::Invalid
    );
    assert_eq!(t.providers(945), Some(&[13213, 150369][..]));
}

#[test]
fn rpki_client_old_aspa_format_real() {
    let bytes = common::data("rpki/ties-rpki-client-web/tests/inputs/outputs/json.gz");
    let (vrps, aspas) = json::parse(&bytes).unwrap();
    assert_eq!(vrps.len(), 424_223);
    // provider_authorizations {ipv4, ipv6} merged per customer: the U-SPAS
    // is the union over both families (aspa-verification §7.1).
    assert_eq!(aspas.len(), 6_647);
    let t = Table::from_parts(vrps, aspas);
    assert!(t.vrp_count() <= 424_223);
    // AS28: ipv4 [41881, 61036, 204096], ipv6 adds three more.
    assert_eq!(
        t.providers(28),
        Some(&[41881, 57485, 60637, 61036, 204096, 210051][..])
    );
}

#[test]
fn routinator_jsonext_real() {
    let bytes =
        common::data("rpki/jeffsw-rpkilog/python/rpkilog/tests/roa_test.routinator_jsonext");
    let (vrps, aspas) = json::parse(&bytes).unwrap();
    assert_eq!(
        vrps,
        vec![
            vrp("1.0.0.0/24", 24, 13335),
            vrp("2c0f:fff0::/32", 128, 37125)
        ]
    );
    assert!(aspas.is_empty());
}

#[test]
fn stayrtr_fixture_real() {
    let bytes = common::data("rpki/stayrtr/cmd/stayrtr/test.rpki.json");
    let (vrps, aspas) = json::parse(&bytes).unwrap();
    assert_eq!(vrps.len(), 19);
    assert!(vrps.contains(&vrp(
        "192.0.2.0/24",
        24,
        vrps.iter()
            .find(|v| v.prefix == pfx("192.0.2.0/24"))
            .unwrap()
            .asn
    )));
    // Old format, one list per family, merged.
    assert_eq!(
        aspas,
        vec![
            Aspa::new(15562, vec![2914, 8283, 51088, 206238]),
            Aspa::new(64496, vec![1299, 6939, 7480, 32097, 50058, 61138])
        ]
    );
}

#[test]
fn bare_array_real() {
    let bytes = common::data("rpki/massimocandela-rpki-validator/tests/test.json");
    let (vrps, _) = json::parse(&bytes).unwrap();
    assert_eq!(vrps.len(), 5_000);
    assert_eq!(vrps[0], vrp("103.10.112.0/22", 32, 0));
}

#[test]
fn json_errors_name_the_entry() {
    let e = json::parse(br#"{"roas":[{"asn":1,"prefix":"10.0.0.0/8","maxLength":8},{"asn":"AS2","prefix":"10.0.0.0/8","maxLength":7}]}"#).unwrap_err();
    assert_eq!(e.to_string(), "roas[1]: maxLength 7 outside 8..=32");
    assert!(json::parse(br#"[{"asn":"ASX","prefix":"10.0.0.0/8"}]"#).is_err());
    let e = json::parse_limited(
        br#"[{"asn":1,"prefix":"10.0.0.0/8"},{"asn":1,"prefix":"11.0.0.0/8"}]"#,
        json::Limits {
            max_vrps: 1,
            max_aspas: 1,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("more than 1 VRPs"));
}
