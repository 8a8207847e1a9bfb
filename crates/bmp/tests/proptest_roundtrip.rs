//! Property tests: every message we can build encodes, decodes back to
//! the same value and re-encodes to the same bytes; a stream of them cut
//! at arbitrary points frames back to the same messages; arbitrary bytes
//! never panic the framer, decoder or session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use rbgp_bmp::framer::{split, BmpFramer, Frame};
use rbgp_bmp::header::{PeerFlags, PeerType};
use rbgp_bmp::message::*;
use rbgp_bmp::openbmp::OpenBmpHeader;
use rbgp_bmp::stats::{Stat, StatValue};
use rbgp_bmp::tlv::Tlv;
use rbgp_bmp::{BmpSession, PeerDownReason, PeerHeader};
use rbgp_wire::attr::{AttrValue, Origin, PathAttribute};
use rbgp_wire::capability::{AddPathFamily, Capability};
use rbgp_wire::nlri::rd::RouteDistinguisher;
use rbgp_wire::{AfiSafi, Context, Ipv4Prefix, NlriEntry, Notification, Open, Prefix, Update};

fn peer_header() -> impl Strategy<Value = PeerHeader> {
    (
        0u8..5,
        any::<u8>(),
        any::<[u8; 8]>(),
        any::<bool>(),
        any::<u32>(),
        any::<u128>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(t, flags, rd, v6, v4, a6, asn, id, sec, usec)| {
            let peer_type = PeerType(if t == 4 { 250 } else { t });
            // Canonical: for types 0-2 the V flag says the address family;
            // a Loc-RIB address is zero.
            let (address, flags) = if peer_type == PeerType::LOC_RIB {
                (IpAddr::V4(Ipv4Addr::UNSPECIFIED), flags)
            } else if v6 {
                (
                    IpAddr::V6(Ipv6Addr::from(a6 | 1 << 100)),
                    flags | PeerFlags::V,
                )
            } else {
                (IpAddr::V4(Ipv4Addr::from(v4)), flags & !PeerFlags::V)
            };
            PeerHeader {
                peer_type,
                flags: PeerFlags(flags),
                distinguisher: RouteDistinguisher(rd),
                address,
                asn,
                bgp_id: Ipv4Addr::from(id),
                timestamp_sec: sec,
                timestamp_usec: usec,
            }
        })
}

fn tlvs(max_ty: u16) -> impl Strategy<Value = Vec<Tlv>> {
    prop::collection::vec(
        (0..max_ty, prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(t, v)| Tlv::new(t, v)),
        0..4,
    )
}

fn stat() -> impl Strategy<Value = Stat> {
    prop_oneof![
        (prop_oneof![0u16..7, 11u16..14], any::<u32>()).prop_map(|(t, v)| Stat::counter(t, v)),
        (
            prop_oneof![Just(7u16), Just(8), Just(14), Just(15), 18u16..40],
            any::<u64>()
        )
            .prop_map(|(t, v)| Stat::gauge(t, v)),
        (
            prop_oneof![Just(9u16), Just(10), Just(16), Just(17), 18u16..40],
            any::<u64>()
        )
            .prop_map(|(t, v)| Stat::per_afi_safi(t, AfiSafi::IPV6_VPN, v)),
        (0x8000u16.., prop::collection::vec(any::<u8>(), 0..12)).prop_map(|(t, b)| Stat {
            ty: t,
            value: StatValue::Raw(b),
        }),
    ]
}

fn open() -> impl Strategy<Value = Open> {
    (
        any::<u32>(),
        any::<u16>(),
        any::<u32>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(asn, hold, id, ap, ext)| {
            let mut caps = vec![Capability::Multiprotocol(AfiSafi::IPV4_UNICAST)];
            if ap {
                caps.push(Capability::AddPath(vec![AddPathFamily {
                    family: AfiSafi::IPV4_UNICAST,
                    send: true,
                    receive: true,
                }]));
            }
            if ext {
                caps.push(Capability::ExtendedMessage);
            }
            Open::new(asn, hold, Ipv4Addr::from(id), caps)
        })
}

fn update() -> impl Strategy<Value = Update> {
    (
        prop::collection::vec((any::<u32>(), 8u8..=32), 0..6),
        prop::collection::vec(any::<u32>(), 1..4),
    )
        .prop_map(|(pfx, path)| {
            let nlri: Vec<NlriEntry> = pfx
                .iter()
                .map(|(a, l)| {
                    NlriEntry::new(
                        Prefix::V4(Ipv4Prefix::new(Ipv4Addr::from(*a), *l).unwrap()).into(),
                    )
                })
                .collect();
            let path: Vec<String> = path.iter().map(u32::to_string).collect();
            Update {
                withdrawn: vec![],
                attributes: if nlri.is_empty() {
                    vec![]
                } else {
                    vec![
                        PathAttribute::new(AttrValue::Origin(Origin::Egp)),
                        PathAttribute::new(AttrValue::AsPath(path.join(" ").parse().unwrap())),
                        PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 1))),
                    ]
                },
                nlri,
            }
        })
}

fn notification() -> impl Strategy<Value = Notification> {
    (
        1u8..7,
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(|(c, s, d)| Notification::new(c, s, d))
}

fn message() -> impl Strategy<Value = BmpMessage> {
    prop_oneof![
        // BMP v4 Route Monitoring: the PDU in a TLV among others.
        (
            peer_header(),
            update(),
            prop::collection::vec(
                (
                    1u16..8,
                    any::<u16>(),
                    prop::collection::vec(any::<u8>(), 0..12)
                ),
                0..4
            ),
            any::<prop::sample::Index>()
        )
            .prop_map(|(peer, u, extra, at)| {
                let mut rm = RouteMonitoring::new(peer, &u, &Context::default());
                let mut tlvs: Vec<IndexedTlv> = extra
                    .into_iter()
                    .filter(|(t, _, _)| *t != v4::BGP_MESSAGE)
                    .map(|(ty, index, value)| IndexedTlv { ty, index, value })
                    .collect();
                let i = at.index(tlvs.len() + 1);
                tlvs.insert(
                    i,
                    IndexedTlv {
                        ty: v4::BGP_MESSAGE,
                        index: 0,
                        value: rm.pdu.clone(),
                    },
                );
                rm.tlvs = tlvs;
                BmpMessage::RouteMonitoring(rm)
            }),
        (peer_header(), update(), any::<bool>()).prop_map(|(peer, u, four)| {
            BmpMessage::RouteMonitoring(RouteMonitoring::new(
                peer,
                &u,
                &Context::default().with_four_octet_as(four),
            ))
        }),
        (peer_header(), prop::collection::vec(stat(), 0..8)).prop_map(|(peer, stats)| {
            BmpMessage::StatisticsReport(StatisticsReport { peer, stats })
        }),
        (
            peer_header(),
            prop_oneof![
                notification().prop_map(PeerDownReason::LocalNotification),
                any::<u16>()
                    .prop_map(|fsm_event| PeerDownReason::LocalNoNotification { fsm_event }),
                notification().prop_map(PeerDownReason::RemoteNotification),
                Just(PeerDownReason::RemoteNoNotification),
                Just(PeerDownReason::Deconfigured),
                tlvs(8).prop_map(PeerDownReason::LocalTlvs),
                (7u8.., prop::collection::vec(any::<u8>(), 0..8))
                    .prop_map(|(code, data)| PeerDownReason::Other { code, data }),
            ]
        )
            .prop_map(|(peer, reason)| BmpMessage::PeerDown(PeerDown { peer, reason })),
        (
            peer_header(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            open(),
            open(),
            tlvs(8)
        )
            .prop_map(
                |(peer, local, lp, rp, sent_open, received_open, information)| {
                    let local_address = match peer.address {
                        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(u128::from(local) | 1 << 120)),
                        IpAddr::V4(_) if peer.is_loc_rib() => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(local)),
                    };
                    BmpMessage::PeerUp(PeerUp {
                        peer,
                        local_address,
                        local_port: lp,
                        remote_port: rp,
                        sent_open,
                        received_open,
                        information,
                    })
                }
            ),
        tlvs(3).prop_map(|information| BmpMessage::Initiation(Initiation { information })),
        tlvs(2).prop_map(|information| BmpMessage::Termination(Termination { information })),
        (
            peer_header(),
            prop::collection::vec(
                prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..30).prop_map(MirrorTlv::BgpMessage),
                    any::<u16>().prop_map(MirrorTlv::Information),
                    (2u16.., prop::collection::vec(any::<u8>(), 0..8))
                        .prop_map(|(ty, value)| MirrorTlv::Other { ty, value }),
                ],
                0..4
            )
        )
            .prop_map(|(peer, tlvs)| BmpMessage::RouteMirroring(RouteMirroring { peer, tlvs })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn encode_decode_roundtrip(m in message()) {
        let b = m.to_bytes();
        let (back, n) = BmpMessage::decode(&b).unwrap();
        prop_assert_eq!(n, b.len());
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.to_bytes(), b);
    }

    #[test]
    fn stream_cut_anywhere_frames_back(msgs in prop::collection::vec(message(), 1..8),
                                       cuts in prop::collection::vec(1usize..300, 0..20)) {
        let bytes: Vec<u8> = msgs.iter().flat_map(BmpMessage::to_bytes).collect();
        let mut f = BmpFramer::new();
        let mut got = Vec::new();
        let mut pos: usize = 0;
        for c in cuts.iter().chain(std::iter::once(&usize::MAX)) {
            let end = pos.saturating_add(*c).min(bytes.len());
            f.push(&bytes[pos..end]);
            pos = end;
            while let Some(fr) = f.next_frame() {
                match fr {
                    Frame::Message(m) => got.push(BmpMessage::decode(&m).unwrap().0),
                    Frame::Skipped { .. } => prop_assert!(false, "skipped octets in a clean stream"),
                }
            }
            if pos == bytes.len() { break; }
        }
        prop_assert_eq!(f.buffered(), 0);
        prop_assert_eq!(got, msgs);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut s = BmpSession::new();
        for f in split(&data) {
            if let Frame::Message(m) = f {
                if let Ok(p) = s.process(&m) {
                    let _ = p.elems();
                }
            }
        }
        let _ = OpenBmpHeader::decode(&data);
    }

    #[test]
    fn corrupted_messages_never_panic(m in message(), at in any::<prop::sample::Index>(), x in any::<u8>()) {
        let mut b = m.to_bytes();
        let i = at.index(b.len());
        b[i] ^= x | 1;
        let mut s = BmpSession::new();
        for f in split(&b) {
            if let Frame::Message(m) = f {
                let _ = s.process(&m);
            }
        }
    }

    #[test]
    fn openbmp_roundtrip(m in message(), admin in "[a-z0-9-]{0,20}", group in "[a-z0-9-]{0,20}", v6 in any::<bool>()) {
        let ip: IpAddr = if v6 { "2001:db8::7".parse().unwrap() } else { "192.0.2.7".parse().unwrap() };
        let h = OpenBmpHeader::new(ip, &admin, &group);
        let bmp = m.to_bytes();
        let mut out = Vec::new();
        h.encode(&bmp, &mut out);
        let (h2, bmp2) = OpenBmpHeader::decode(&out).unwrap();
        prop_assert_eq!(h2, h);
        prop_assert_eq!(bmp2, bmp.as_slice());
    }
}
