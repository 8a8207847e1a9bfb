//! Property tests: owned -> bytes -> owned -> bytes round trips for
//! messages built from arbitrary values, and corrupted input (bit flips,
//! truncation, trailing garbage) never panics.
// Test code: panicking on unexpected input is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use rbgp_wire::attr::*;
use rbgp_wire::capability::{AddPathFamily, Capability, GrFamily, GracefulRestart, Role};
use rbgp_wire::nlri::{Label, LabeledPrefix, RouteDistinguisher, VpnPrefix};
use rbgp_wire::route_refresh::RefreshSubtype;
use rbgp_wire::*;

fn v4prefix() -> impl Strategy<Value = Ipv4Prefix> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, l)| Ipv4Prefix::new(Ipv4Addr::from(a), l).unwrap())
}
fn v6prefix() -> impl Strategy<Value = Ipv6Prefix> {
    (any::<u128>(), 0u8..=128).prop_map(|(a, l)| Ipv6Prefix::new(Ipv6Addr::from(a), l).unwrap())
}
fn entry<S: Strategy<Value = Nlri>>(s: S, add_path: bool) -> impl Strategy<Value = NlriEntry> {
    (s, any::<u32>()).prop_map(move |(n, id)| NlriEntry {
        path_id: add_path.then_some(id),
        nlri: n,
    })
}
fn rd() -> impl Strategy<Value = RouteDistinguisher> {
    prop_oneof![
        (any::<u16>(), any::<u32>()).prop_map(|(a, v)| RouteDistinguisher::as2(a, v)),
        (any::<u32>(), any::<u16>())
            .prop_map(|(a, v)| RouteDistinguisher::ipv4(Ipv4Addr::from(a), v)),
        (any::<u32>(), any::<u16>()).prop_map(|(a, v)| RouteDistinguisher::as4(a, v)),
    ]
}
fn labels() -> impl Strategy<Value = Vec<Label>> {
    prop::collection::vec(16u32..0xf_ffff, 1..3).prop_map(|v| {
        let n = v.len();
        v.into_iter()
            .enumerate()
            .map(|(i, l)| Label::new(l, i + 1 == n))
            .collect()
    })
}

fn as_path(four: bool) -> impl Strategy<Value = AsPath> {
    let asn = if four {
        any::<u32>().boxed()
    } else {
        (0u32..=0xffff).boxed()
    };
    prop::collection::vec(
        (
            prop_oneof![
                Just(SegmentType::Sequence),
                Just(SegmentType::Set),
                Just(SegmentType::ConfedSequence),
                Just(SegmentType::ConfedSet)
            ],
            prop::collection::vec(asn, 1..20),
        )
            .prop_map(|(kind, asns)| AsSegment {
                kind,
                asns: asns.into(),
            }),
        0..4,
    )
    .prop_map(|segments| AsPath {
        segments: segments.into(),
    })
}

fn common_attrs(four: bool) -> impl Strategy<Value = Vec<PathAttribute>> {
    (
        prop_oneof![
            Just(Origin::Igp),
            Just(Origin::Egp),
            Just(Origin::Incomplete)
        ],
        as_path(four),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u32>()),
        prop::collection::vec(any::<u32>().prop_map(Community), 0..10),
        prop::collection::vec(any::<[u8; 8]>().prop_map(ExtCommunity), 0..5),
        prop::collection::vec(
            (any::<u32>(), any::<u32>(), any::<u32>())
                .prop_map(|(a, b, c)| LargeCommunity::new(a, b, c)),
            0..5,
        ),
        proptest::option::of((any::<u32>(), any::<u32>())),
        proptest::option::of(prop::collection::vec(any::<u8>(), 0..300)),
        any::<bool>(),
    )
        .prop_map(move |(o, p, med, lp, c, ec, lc, agg, unknown, atomic)| {
            let mut v = vec![
                PathAttribute::new(AttrValue::Origin(o)),
                PathAttribute::new(AttrValue::AsPath(p)),
            ];
            if let Some(m) = med {
                v.push(PathAttribute::new(AttrValue::Med(m)));
            }
            if let Some(l) = lp {
                v.push(PathAttribute::new(AttrValue::LocalPref(l)));
            }
            if atomic {
                v.push(PathAttribute::new(AttrValue::AtomicAggregate));
            }
            if let Some((a, ip)) = agg {
                let asn = if four { a } else { a & 0xffff };
                v.push(PathAttribute::new(AttrValue::Aggregator(Aggregator {
                    asn,
                    address: Ipv4Addr::from(ip),
                })));
            }
            if !c.is_empty() {
                v.push(PathAttribute::new(AttrValue::Communities(c.into())));
            }
            if !ec.is_empty() {
                v.push(PathAttribute::new(AttrValue::ExtCommunities(ec.into())));
            }
            if !lc.is_empty() {
                v.push(PathAttribute::new(AttrValue::LargeCommunities(lc.into())));
            }
            if let Some(data) = unknown {
                v.push(PathAttribute::new(AttrValue::Unknown(UnknownAttr {
                    code: 240,
                    data,
                })));
            }
            v
        })
}

fn ctx_for(four: bool, add_path: bool) -> Context {
    let mut c = if four {
        Context::default()
    } else {
        Context::legacy()
    };
    c.extended_message = true;
    if add_path {
        for f in [
            AfiSafi::IPV4_UNICAST,
            AfiSafi::IPV6_UNICAST,
            AfiSafi::IPV4_VPN,
            AfiSafi::IPV6_LABELED,
        ] {
            c.set_add_path(f, true);
        }
    }
    c
}

fn update() -> impl Strategy<Value = (Update, Context)> {
    (any::<bool>(), any::<bool>()).prop_flat_map(|(four, ap)| {
        let mp = prop_oneof![
            (
                prop::collection::vec(entry(v6prefix().prop_map(Nlri::from), ap), 0..20),
                any::<[u8; 16]>()
            )
                .prop_map(|(n, nh)| MpReach::new(
                    AfiSafi::IPV6_UNICAST,
                    NextHop::Ipv6(Ipv6Addr::from(nh)),
                    n
                )),
            (
                prop::collection::vec(
                    entry(
                        (labels(), rd(), v4prefix()).prop_map(|(labels, rd, p)| Nlri::Vpn(
                            Box::new(VpnPrefix {
                                labels,
                                rd,
                                prefix: p.into()
                            })
                        )),
                        ap
                    ),
                    0..10
                ),
                any::<u32>()
            )
                .prop_map(|(n, nh)| MpReach::new(
                    AfiSafi::IPV4_VPN,
                    NextHop::VpnIpv4(RouteDistinguisher::default(), Ipv4Addr::from(nh)),
                    n
                )),
            (
                prop::collection::vec(
                    entry(
                        (labels(), v6prefix()).prop_map(|(labels, p)| Nlri::Labeled(Box::new(
                            LabeledPrefix {
                                labels,
                                prefix: p.into()
                            }
                        ))),
                        ap
                    ),
                    0..10
                ),
                any::<[u8; 16]>(),
                any::<[u8; 16]>()
            )
                .prop_map(|(n, a, b)| MpReach::new(
                    AfiSafi::IPV6_LABELED,
                    NextHop::Ipv6LinkLocal(Ipv6Addr::from(a), Ipv6Addr::from(b)),
                    n
                )),
        ];
        (
            prop::collection::vec(entry(v4prefix().prop_map(Nlri::from), ap), 0..30),
            common_attrs(four),
            any::<u32>(),
            prop::collection::vec(entry(v4prefix().prop_map(Nlri::from), ap), 1..30),
            proptest::option::of(mp),
            proptest::option::of(prop::collection::vec(
                entry(v6prefix().prop_map(Nlri::from), ap),
                0..10,
            )),
        )
            .prop_map(move |(withdrawn, mut attrs, nh, nlri, mp, unreach)| {
                attrs.push(PathAttribute::new(AttrValue::NextHop(Ipv4Addr::from(nh))));
                if let Some(m) = mp {
                    attrs.insert(0, PathAttribute::new(AttrValue::from(m)));
                }
                if let Some(w) = unreach {
                    attrs.push(PathAttribute::new(AttrValue::from(MpUnreach::new(
                        AfiSafi::IPV6_UNICAST,
                        w,
                    ))));
                }
                (
                    Update {
                        withdrawn,
                        attributes: attrs,
                        nlri,
                    },
                    ctx_for(four, ap),
                )
            })
    })
}

fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        (any::<u16>(), any::<u8>())
            .prop_map(|(a, s)| Capability::Multiprotocol(AfiSafi::new(Afi(a), Safi(s)))),
        Just(Capability::RouteRefresh),
        Just(Capability::EnhancedRouteRefresh),
        Just(Capability::ExtendedMessage),
        any::<u32>().prop_map(Capability::FourOctetAs),
        prop::collection::vec(
            (any::<u16>(), any::<u8>(), any::<bool>(), any::<bool>()),
            1..4
        )
        .prop_map(|v| {
            Capability::AddPath(
                v.into_iter()
                    .map(|(a, s, r, t)| AddPathFamily {
                        family: AfiSafi::new(Afi(a), Safi(s)),
                        receive: r,
                        send: t,
                    })
                    .collect(),
            )
        }),
        (
            any::<bool>(),
            any::<bool>(),
            0u16..4096,
            prop::collection::vec((any::<u16>(), any::<u8>(), any::<bool>()), 0..3)
        )
            .prop_map(|(r, n, t, f)| Capability::GracefulRestart(GracefulRestart {
                restarting: r,
                notification: n,
                time: t,
                families: f
                    .into_iter()
                    .map(|(a, s, fw)| GrFamily {
                        family: AfiSafi::new(Afi(a), Safi(s)),
                        forwarding: fw
                    })
                    .collect()
            })),
        (0u8..5).prop_map(|r| Capability::Role(Role::from_u8(r))),
        ("[a-z0-9.-]{0,20}", "[a-z.]{0,20}").prop_map(|(h, d)| Capability::Fqdn {
            hostname: h,
            domain: d
        }),
        "[ -~]{0,40}".prop_map(Capability::SoftwareVersion),
        (200u8..=255, prop::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(code, data)| Capability::Unknown { code, data }),
    ]
}

fn message() -> impl Strategy<Value = (Message, Context)> {
    prop_oneof![
        update().prop_map(|(u, c)| (Message::Update(u), c)),
        (
            any::<u32>(),
            any::<u16>(),
            any::<u32>(),
            prop::collection::vec(capability(), 0..12)
        )
            .prop_map(|(asn, hold, id, caps)| (
                Message::Open(Open::new(asn, hold, Ipv4Addr::from(id), caps)),
                Context::default()
            )),
        (
            1u8..8,
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..100)
        )
            .prop_map(|(c, s, d)| (
                Message::Notification(Notification::new(c, s, d)),
                Context::default()
            )),
        Just((Message::Keepalive, Context::default())),
        (any::<u16>(), any::<u8>(), 0u8..4).prop_map(|(a, s, st)| {
            let sub = match st {
                0 => RefreshSubtype::Normal,
                1 => RefreshSubtype::BeginOfRefresh,
                2 => RefreshSubtype::EndOfRefresh,
                _ => RefreshSubtype::Other(9),
            };
            (
                Message::RouteRefresh(RouteRefresh::new(AfiSafi::new(Afi(a), Safi(s)), sub)),
                Context::default(),
            )
        }),
    ]
}

/// The extended-length bit is set by the encoder when a value needs it;
/// compare values without it.
fn strip_ext(m: Message) -> Message {
    match m {
        Message::Update(mut u) => {
            for a in &mut u.attributes {
                a.flags &= !flags::EXTENDED_LENGTH;
            }
            Message::Update(u)
        }
        other => other,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn message_round_trip((m, ctx) in message()) {
        let bytes = m.to_bytes(&ctx);
        let d = Message::decode(&bytes, &ctx).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(d.len, bytes.len());
        prop_assert!(d.verdict.is_clean(), "{:?}", d.verdict.issues);
        let again = d.message.to_bytes(&ctx);
        prop_assert_eq!(&again, &bytes);
        // Capabilities may decode to a different (but byte-identical) form
        // only for raw ones; everything else must be equal as values.
        if !matches!(m, Message::Open(_)) {
            prop_assert_eq!(strip_ext(d.message), strip_ext(m));
        }
    }

    #[test]
    fn decode_into_reuse_matches_fresh_decode((a, ctx_a) in update(), (b, ctx_b) in update()) {
        let mut reused = Update::default();
        for (u, ctx) in [(&a, &ctx_a), (&b, &ctx_b), (&a, &ctx_a)] {
            let mut bytes = Vec::new();
            u.encode_body(ctx, &mut bytes);
            let fresh = Update::decode(&bytes, ctx).unwrap();
            let v = reused.decode_into(&bytes, ctx).unwrap();
            prop_assert_eq!(&reused, &fresh.0);
            prop_assert_eq!(v, fresh.1);
        }
    }

    #[test]
    fn view_agrees_with_owned((u, ctx) in update()) {
        let mut bytes = Vec::new();
        u.encode(&ctx, &mut bytes);
        let v = rbgp_wire::view::UpdateView::from_message(&bytes, &ctx).unwrap();
        let nlri: Vec<_> = v.nlri().map(|r| r.unwrap()).collect();
        prop_assert_eq!(nlri.len(), u.nlri.len());
        for ((id, p), e) in nlri.iter().zip(&u.nlri) {
            prop_assert_eq!(*id, e.path_id);
            prop_assert_eq!(Nlri::from(*p), e.nlri.clone());
        }
        prop_assert_eq!(v.attributes().count(), u.attributes.len());
        if let Some(m) = u.mp_reach() {
            let mv = v.mp_reach(&ctx).unwrap().unwrap();
            let got: Vec<NlriEntry> = mv.nlri().map(|r| r.unwrap()).collect();
            prop_assert_eq!(&got, &m.nlri);
        }
    }

    #[test]
    fn corrupted_input_never_panics((m, ctx) in message(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>(), tail in prop::collection::vec(any::<u8>(), 0..16)) {
        let bytes = m.to_bytes(&ctx);
        let mut b = bytes.clone();
        for (i, x) in &flips {
            let n = b.len();
            b[i % n] ^= x;
        }
        let _ = Message::decode(&b, &ctx);
        let _ = Message::decode(&bytes[..cut % (bytes.len() + 1)], &ctx);
        let mut t = bytes.clone();
        t.extend_from_slice(&tail);
        let _ = Message::decode(&t, &ctx);
        // Bodies with a lying header length.
        if bytes.len() > 19 {
            let _ = Update::decode(&b[19..], &ctx);
            let _ = Open::decode(&b[19..]);
            if let Ok(v) = rbgp_wire::view::UpdateView::new(&b[19..], &ctx) {
                for _ in v.attributes() {}
                for _ in v.nlri() {}
                for _ in v.withdrawn() {}
                if let Some(Ok(m)) = v.mp_reach(&ctx) { for _ in m.nlri() {} }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..600), ty in 1u8..6, four in any::<bool>(), ap in any::<bool>()) {
        let ctx = ctx_for(four, ap);
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
        m.push(ty);
        m.extend_from_slice(&body);
        let _ = Message::decode(&m, &ctx);
        for code in 0..=255u8 {
            let _ = AttrValue::decode(code, &body, &ctx);
        }
    }
}

#[test]
fn pack_splits_to_fit_and_round_trips() {
    let ctx = Context::default();
    let attrs = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence([65001, 65002]))),
        PathAttribute::new(AttrValue::NextHop("192.0.2.1".parse().unwrap())),
    ];
    let nlri: Vec<NlriEntry> = (0..5000u32)
        .map(|i| {
            NlriEntry::new(
                Ipv4Prefix::new(Ipv4Addr::from((10 << 24) | (i << 8)), 24)
                    .unwrap()
                    .into(),
            )
        })
        .collect();
    let msgs = update::pack_announcements(
        &attrs,
        AfiSafi::IPV4_UNICAST,
        &NextHop::Ipv4("192.0.2.1".parse().unwrap()),
        &nlri,
        &ctx,
    );
    // 4 octets per /24; ~4060 octets of room -> 5 messages.
    assert!(msgs.len() <= 6, "{}", msgs.len());
    let mut seen = Vec::new();
    for m in &msgs {
        assert!(m.len() <= 4096);
        let d = Message::decode(m, &ctx).unwrap();
        let Message::Update(u) = d.message else {
            panic!()
        };
        assert!(d.verdict.is_clean());
        seen.extend(u.nlri);
    }
    assert_eq!(seen, nlri);
    // IPv6 in MP_REACH, and withdrawals.
    let v6: Vec<NlriEntry> = (0..3000u32)
        .map(|i| {
            NlriEntry::new(
                Ipv6Prefix::new(
                    Ipv6Addr::from((0x2001_0db8u128 << 96) | (u128::from(i) << 80)),
                    48,
                )
                .unwrap()
                .into(),
            )
        })
        .collect();
    let nh = NextHop::Ipv6("2001:db8::1".parse().unwrap());
    let msgs = update::pack_announcements(&attrs, AfiSafi::IPV6_UNICAST, &nh, &v6, &ctx);
    let mut seen = Vec::new();
    for m in &msgs {
        assert!(m.len() <= 4096);
        let Message::Update(u) = Message::decode(m, &ctx).unwrap().message else {
            panic!()
        };
        assert!(u.attribute(code::NEXT_HOP).is_none());
        seen.extend(u.mp_reach().unwrap().nlri.clone());
    }
    assert_eq!(seen, v6);
    assert!(msgs.len() <= (3000 * 7) / 4000 + 2);
    let w = update::pack_withdrawals(AfiSafi::IPV6_UNICAST, &v6, &ctx);
    let mut seen = Vec::new();
    for m in &w {
        assert!(m.len() <= 4096);
        let Message::Update(u) = Message::decode(m, &ctx).unwrap().message else {
            panic!()
        };
        seen.extend(u.mp_unreach().unwrap().withdrawn.clone());
    }
    assert_eq!(seen, v6);
    let w4 = update::pack_withdrawals(AfiSafi::IPV4_UNICAST, &nlri, &ctx);
    let total: usize = w4
        .iter()
        .map(|m| {
            let Message::Update(u) = Message::decode(m, &ctx).unwrap().message else {
                panic!()
            };
            u.withdrawn.len()
        })
        .sum();
    assert_eq!(total, 5000);
    // Extended messages: fewer, bigger messages.
    let ext = ctx.clone().with_extended_message(true);
    let big = update::pack_announcements(
        &attrs,
        AfiSafi::IPV4_UNICAST,
        &NextHop::Ipv4("192.0.2.1".parse().unwrap()),
        &nlri,
        &ext,
    );
    assert_eq!(big.len(), 1);
}

#[test]
fn end_of_rib() {
    let ctx = Context::default();
    for f in [
        AfiSafi::IPV4_UNICAST,
        AfiSafi::IPV6_UNICAST,
        AfiSafi::L2VPN_EVPN,
    ] {
        let mut b = Vec::new();
        Update::end_of_rib(f).encode(&ctx, &mut b);
        let Message::Update(u) = Message::decode(&b, &ctx).unwrap().message else {
            panic!()
        };
        assert_eq!(u.is_end_of_rib(), Some(f));
    }
}
