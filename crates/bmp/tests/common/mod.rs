//! Shared by the BMP integration tests: decoding a stream and sample
//! messages. TCP streams out of pcaps, the shared data directory and
//! tshark checks are rbgp-testkit's.
#![allow(dead_code)]

use rbgp_bmp::framer::{split, Frame};
use rbgp_bmp::session::{BmpSession, Processed};
use rbgp_bmp::BmpError;

/// A stream decoded with one session.
#[derive(Default)]
pub struct Decoded {
    pub processed: Vec<Processed>,
    pub errors: Vec<String>,
    /// Octets the framer dropped (mid-message start, gaps).
    pub skipped: usize,
    pub skip_reasons: Vec<BmpError>,
    /// Offset of the last octet of each processed message.
    pub last_octet: Vec<usize>,
}

pub fn decode_stream(bytes: &[u8]) -> Decoded {
    let mut s = BmpSession::new();
    let mut d = Decoded::default();
    let mut offset = 0;
    for (i, f) in split(bytes).enumerate() {
        match f {
            Frame::Message(m) => {
                offset += m.len();
                match s.process(&m) {
                    Ok(p) => {
                        d.processed.push(p);
                        d.last_octet.push(offset - 1);
                    }
                    Err(e) => d.errors.push(format!("frame {i}: {e}")),
                }
            }
            Frame::Skipped { octets, error } => {
                offset += octets;
                d.skipped += octets;
                d.skip_reasons.push(error);
            }
        }
    }
    d
}

/// One of every message type and most variants: what the encoder tests
/// (tshark, pmbmpd) send. The Route Monitoring UPDATEs are encoded with
/// the contexts the Peer Ups negotiate.
pub mod sample {
    use std::net::Ipv4Addr;

    use rbgp_bmp::header::{PeerFlags, PeerType};
    use rbgp_bmp::message::*;
    use rbgp_bmp::session::negotiate;
    use rbgp_bmp::stats::Stat;
    use rbgp_bmp::tlv::*;
    use rbgp_bmp::{PeerDownReason, PeerHeader};
    use rbgp_wire::attr::{AttrValue, MpReach, NextHop, Origin, PathAttribute};
    use rbgp_wire::capability::{AddPathFamily, Capability};
    use rbgp_wire::{AfiSafi, Context, Message, NlriEntry, Notification, Open, Prefix, Update};

    pub const V4_PEER: &str = "192.0.2.9";
    pub const V6_PEER: &str = "2001:db8::9";
    /// (peer, prefix) of every announcement in [`messages`].
    pub const ANNOUNCED: &[(&str, &str)] = &[
        (V4_PEER, "203.0.113.0/24"),
        (V4_PEER, "198.51.100.0/25"),
        (V6_PEER, "2001:db8:100::/48"),
        (V6_PEER, "2001:db8:200::/48"),
    ];

    fn pfx(s: &str) -> NlriEntry {
        NlriEntry::new(s.parse::<Prefix>().unwrap().into())
    }

    fn v4_update(prefixes: &[&str], path_id: Option<u32>) -> Update {
        Update {
            withdrawn: vec![],
            attributes: vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath("65009 4200000001".parse().unwrap())),
                PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 9))),
                PathAttribute::new(AttrValue::Communities(
                    vec!["65009:100".parse().unwrap()].into(),
                )),
            ],
            nlri: prefixes
                .iter()
                .map(|p| {
                    let mut e = pfx(p);
                    e.path_id = path_id;
                    e
                })
                .collect(),
        }
    }

    /// `peer_up_tlvs`: whether Peer Up (and reason 6 Peer Down) carry
    /// information TLVs (tshark 4.0 cannot dissect them, see interop.rs).
    pub fn messages(peer_up_tlvs: bool) -> Vec<BmpMessage> {
        let tlvs = |v: Vec<Tlv>| if peer_up_tlvs { v } else { Vec::new() };
        let v4 = PeerHeader::new(
            V4_PEER.parse().unwrap(),
            65009,
            Ipv4Addr::new(9, 9, 9, 9),
            1_700_000_000,
        );
        let v6 = PeerHeader::new(
            V6_PEER.parse().unwrap(),
            4_200_000_009,
            Ipv4Addr::new(9, 9, 9, 10),
            1_700_000_001,
        )
        .with_post_policy(true);
        let loc_rib = PeerHeader {
            peer_type: PeerType::LOC_RIB,
            flags: PeerFlags(PeerFlags::F),
            ..PeerHeader::new(
                "0.0.0.0".parse().unwrap(),
                65001,
                Ipv4Addr::new(1, 1, 1, 1),
                1_700_000_002,
            )
        };
        let ap = |send, receive| {
            Capability::AddPath(vec![AddPathFamily {
                family: AfiSafi::IPV4_UNICAST,
                send,
                receive,
            }])
        };
        // The router receives path ids from the v4 peer (RFC 7911).
        let pu4 = PeerUp {
            peer: v4,
            local_address: "192.0.2.1".parse().unwrap(),
            local_port: 179,
            remote_port: 40009,
            sent_open: Open::new(
                65001,
                90,
                Ipv4Addr::new(1, 1, 1, 1),
                vec![
                    Capability::Multiprotocol(AfiSafi::IPV4_UNICAST),
                    ap(false, true),
                ],
            ),
            received_open: Open::new(
                65009,
                90,
                Ipv4Addr::new(9, 9, 9, 9),
                vec![
                    Capability::Multiprotocol(AfiSafi::IPV4_UNICAST),
                    ap(true, false),
                ],
            ),
            information: tlvs(vec![
                Tlv::string(TLV_STRING, "peer up"),
                Tlv::string(PEER_ADMIN_LABEL, "transit"),
            ]),
        };
        let pu6 = PeerUp {
            peer: v6,
            local_address: "2001:db8::1".parse().unwrap(),
            local_port: 40010,
            remote_port: 179,
            sent_open: Open::new(
                65001,
                90,
                Ipv4Addr::new(1, 1, 1, 1),
                vec![Capability::Multiprotocol(AfiSafi::IPV6_UNICAST)],
            ),
            received_open: Open::new(
                4_200_000_009,
                90,
                Ipv4Addr::new(9, 9, 9, 10),
                vec![Capability::Multiprotocol(AfiSafi::IPV6_UNICAST)],
            ),
            information: vec![],
        };
        let open_lr = Open::new(
            65001,
            0,
            Ipv4Addr::new(1, 1, 1, 1),
            vec![Capability::Multiprotocol(AfiSafi::IPV4_UNICAST)],
        );
        let pu_lr = PeerUp {
            peer: loc_rib,
            local_address: "0.0.0.0".parse().unwrap(),
            local_port: 0,
            remote_port: 0,
            sent_open: open_lr.clone(),
            received_open: open_lr,
            information: tlvs(vec![Tlv::string(PEER_VRF_TABLE_NAME, "global")]),
        };
        let in4 = negotiate(&pu4.received_open, &pu4.sent_open);
        let out4 = negotiate(&pu4.sent_open, &pu4.received_open);
        assert!(in4.add_path(AfiSafi::IPV4_UNICAST) && !out4.add_path(AfiSafi::IPV4_UNICAST));
        let in6 = negotiate(&pu6.received_open, &pu6.sent_open);
        let out6 = negotiate(&pu6.sent_open, &pu6.received_open);
        let v6_update = |p: &str| Update {
            withdrawn: vec![],
            attributes: vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath("4200000009".parse().unwrap())),
                PathAttribute::new(AttrValue::from(MpReach::new(
                    AfiSafi::IPV6_UNICAST,
                    NextHop::Ipv6("2001:db8::9".parse().unwrap()),
                    vec![pfx(p)],
                ))),
            ],
            nlri: vec![],
        };
        let cease = Notification::new(6, 2, vec![]);
        vec![
            BmpMessage::Initiation(Initiation {
                information: vec![
                    Tlv::string(INIT_SYS_DESCR, "rbgp test router"),
                    Tlv::string(INIT_SYS_NAME, "r1"),
                    Tlv::string(TLV_STRING, "hello"),
                ],
            }),
            BmpMessage::PeerUp(pu4),
            BmpMessage::PeerUp(pu6),
            BmpMessage::PeerUp(pu_lr),
            BmpMessage::RouteMonitoring(RouteMonitoring::new(
                v4,
                &v4_update(&["203.0.113.0/24", "198.51.100.0/25"], Some(1)),
                &in4,
            )),
            BmpMessage::RouteMonitoring(RouteMonitoring::new(
                v6,
                &v6_update("2001:db8:100::/48"),
                &in6,
            )),
            // Adj-RIB-Out (RFC 8671): what the router sent the peer.
            BmpMessage::RouteMonitoring(RouteMonitoring::new(
                v6.with_adj_rib_out(true),
                &v6_update("2001:db8:200::/48"),
                &out6,
            )),
            BmpMessage::RouteMonitoring(RouteMonitoring::new(
                loc_rib,
                &v4_update(&["192.0.2.128/25"], None),
                &Context::default(),
            )),
            BmpMessage::StatisticsReport(StatisticsReport {
                peer: v4,
                stats: vec![
                    Stat::counter(0, 1),
                    Stat::counter(11, 2),
                    Stat::gauge(7, 3),
                    Stat::per_afi_safi(9, AfiSafi::IPV4_UNICAST, 3),
                    Stat::gauge(14, 4),
                    Stat::per_afi_safi(17, AfiSafi::IPV4_UNICAST, 5),
                ],
            }),
            BmpMessage::RouteMirroring(RouteMirroring {
                peer: v4,
                tlvs: vec![
                    MirrorTlv::Information(1),
                    MirrorTlv::BgpMessage(Message::Keepalive.to_bytes(&Context::default())),
                ],
            }),
            BmpMessage::PeerDown(PeerDown {
                peer: v6,
                reason: PeerDownReason::RemoteNotification(cease.clone()),
            }),
            BmpMessage::PeerDown(PeerDown {
                peer: v4,
                reason: PeerDownReason::LocalNotification(cease),
            }),
            BmpMessage::PeerDown(PeerDown {
                peer: loc_rib,
                reason: PeerDownReason::LocalTlvs(tlvs(vec![Tlv::string(
                    PEER_VRF_TABLE_NAME,
                    "global",
                )])),
            }),
            BmpMessage::PeerDown(PeerDown {
                peer: v4,
                reason: PeerDownReason::LocalNoNotification { fsm_event: 18 },
            }),
            BmpMessage::PeerDown(PeerDown {
                peer: v4,
                reason: PeerDownReason::RemoteNoNotification,
            }),
            BmpMessage::PeerDown(PeerDown {
                peer: v4,
                reason: PeerDownReason::Deconfigured,
            }),
            BmpMessage::Termination(Termination {
                information: vec![
                    Tlv::string(TLV_STRING, "bye"),
                    Tlv::new(TERM_REASON, [0u8, 1]),
                ],
            }),
        ]
    }
}
