//! Property tests: typed records → bytes → typed records → bytes is the
//! identity, through the streaming reader; arbitrary bytes never panic the
//! reader, the decoders, the bgpdump formatter or the element writer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use rbgp_mrt::bgpdump::Formatter;
use rbgp_mrt::elem::ElemDecoder;
use rbgp_mrt::elem_text::{ElemFormat, ElemWriter, KeepAll};
use rbgp_mrt::record::{
    Bgp4mpMessage, Bgp4mpStateChange, Peer, PeerIndexTable, Rib, RibEntry, TableDump,
};
use rbgp_mrt::{MrtRecord, Reader, Record, Writer};
use rbgp_wire::nlri::Nlri;
use rbgp_wire::{AfiSafi, Prefix};

fn addr(v6: bool) -> impl Strategy<Value = IpAddr> {
    if v6 {
        any::<u128>()
            .prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)))
            .boxed()
    } else {
        any::<u32>()
            .prop_map(|a| IpAddr::V4(Ipv4Addr::from(a)))
            .boxed()
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn table_dump() -> impl Strategy<Value = Record> {
    any::<bool>().prop_flat_map(|v6| {
        (
            any::<u16>(),
            any::<u16>(),
            addr(v6),
            0..=if v6 { 128u8 } else { 32 },
            any::<u8>(),
            any::<u32>(),
            addr(v6),
            any::<u16>(),
            bytes(300),
        )
            .prop_map(
                |(
                    view,
                    sequence,
                    prefix_addr,
                    prefix_len,
                    status,
                    originated,
                    peer_ip,
                    peer_as,
                    attributes,
                )| {
                    Record::TableDump(TableDump {
                        view,
                        sequence,
                        prefix_addr,
                        prefix_len,
                        status,
                        originated,
                        peer_ip,
                        peer_as,
                        attributes,
                    })
                },
            )
    })
}

fn peer() -> impl Strategy<Value = Peer> {
    (any::<bool>(), any::<u32>(), any::<u32>(), any::<bool>()).prop_flat_map(
        |(v6, id, asn, wide)| {
            addr(v6).prop_map(move |ip| {
                let mut p = Peer::new(Ipv4Addr::from(id), ip, asn);
                if wide {
                    p.peer_type |= 2; // 4-octet AS even when it fits in two
                }
                p
            })
        },
    )
}

fn peer_index() -> impl Strategy<Value = Record> {
    (
        any::<u32>(),
        bytes(40),
        prop::collection::vec(peer(), 0..20),
    )
        .prop_map(|(id, view_name, peers)| {
            Record::PeerIndexTable(PeerIndexTable {
                collector_id: Ipv4Addr::from(id),
                view_name,
                peers,
            })
        })
}

fn rib() -> impl Strategy<Value = Record> {
    (
        0usize..4,
        any::<bool>(),
        any::<bool>(),
        any::<u128>(),
        0u8..=128,
    )
        .prop_flat_map(|(fam, generic, add_path, a, len)| {
            let family = [
                AfiSafi::IPV4_UNICAST,
                AfiSafi::IPV4_MULTICAST,
                AfiSafi::IPV6_UNICAST,
                AfiSafi::IPV6_MULTICAST,
            ][fam];
            let prefix = if fam < 2 {
                Prefix::new(IpAddr::V4(Ipv4Addr::from((a >> 96) as u32)), len % 33).unwrap()
            } else {
                Prefix::new(IpAddr::V6(Ipv6Addr::from(a)), len).unwrap()
            };
            let entry = (any::<u16>(), any::<u32>(), any::<u32>(), bytes(200)).prop_map(
                move |(peer_index, originated, id, attributes)| RibEntry {
                    peer_index,
                    originated,
                    path_id: add_path.then_some(id),
                    attributes,
                },
            );
            (any::<u32>(), prop::collection::vec(entry, 0..8)).prop_map(
                move |(sequence, entries)| {
                    Record::Rib(Rib {
                        sequence,
                        family,
                        generic,
                        add_path,
                        nlri: Nlri::Prefix(prefix),
                        entries,
                    })
                },
            )
        })
}

fn bgp4mp() -> impl Strategy<Value = Record> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(v6, as4, local, add_path, state)| {
            let asn = if as4 {
                any::<u32>().boxed()
            } else {
                (0u32..=65535).boxed()
            };
            (
                asn.clone(),
                asn,
                any::<u16>(),
                addr(v6),
                addr(v6),
                bytes(300),
                any::<u16>(),
                any::<u16>(),
            )
                .prop_map(
                    move |(
                        peer_as,
                        local_as,
                        interface_index,
                        peer_ip,
                        local_ip,
                        message,
                        old_state,
                        new_state,
                    )| {
                        if state {
                            Record::Bgp4mpStateChange(Bgp4mpStateChange {
                                as4,
                                peer_as,
                                local_as,
                                interface_index,
                                peer_ip,
                                local_ip,
                                old_state,
                                new_state,
                            })
                        } else {
                            Record::Bgp4mpMessage(Bgp4mpMessage {
                                as4,
                                local,
                                add_path,
                                peer_as,
                                local_as,
                                interface_index,
                                peer_ip,
                                local_ip,
                                message,
                            })
                        }
                    },
                )
        })
}

fn other() -> impl Strategy<Value = Record> {
    (
        prop::sample::select(vec![5u16, 11, 32, 48, 99]),
        any::<u16>(),
        bytes(100),
    )
        .prop_map(|(mrt_type, subtype, body)| Record::Other {
            mrt_type,
            subtype,
            body,
        })
}

fn record() -> impl Strategy<Value = MrtRecord> {
    (
        any::<u32>(),
        any::<u32>(),
        prop_oneof![
            table_dump(),
            peer_index(),
            rib(),
            bgp4mp(),
            bgp4mp(),
            other()
        ],
    )
        .prop_map(|(timestamp, us, body)| {
            // Only BGP4MP has an _ET form among the typed records.
            let et = matches!(
                body,
                Record::Bgp4mpMessage(_) | Record::Bgp4mpStateChange(_)
            ) && us % 2 == 0;
            MrtRecord {
                timestamp,
                microseconds: et.then_some(us % 1_000_000),
                body,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn records_roundtrip_through_writer_and_reader(recs in prop::collection::vec(record(), 1..6)) {
        let mut w = Writer::new(Vec::new());
        for r in &recs {
            w.write(r).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let back: Vec<MrtRecord> = Reader::new(&bytes[..]).typed().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&back, &recs);
        let mut w2 = Writer::new(Vec::new());
        for r in &back {
            w2.write(r).unwrap();
        }
        prop_assert_eq!(w2.into_inner().unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in bytes(2000)) {
        let mut fmt = Formatter::new();
        let mut elems = ElemDecoder::new();
        let mut lines = [ElemWriter::new(ElemFormat::Psv), ElemWriter::new(ElemFormat::Json)];
        let (mut text, mut out) = (Vec::new(), Vec::new());
        for raw in Reader::new(&data[..]) {
            let Ok(raw) = raw else { break };
            fmt.format(&raw.header, &raw.body, &mut text);
            for w in &mut lines {
                w.write(&raw.header, &raw.body, &KeepAll, &mut text);
            }
            if let Ok(r) = raw.decode() {
                elems.decode(&r, &mut out);
            }
        }
    }

    /// Valid records with their bodies cut short: the typed decoder says
    /// no, the formatter prints something or nothing, nobody panics.
    #[test]
    fn truncated_bodies_never_panic(r in record(), cut in any::<prop::sample::Index>()) {
        let mut raw = r.to_raw();
        let n = cut.index(raw.body.len() + 1);
        raw.body.truncate(n);
        let _ = raw.decode();
        let mut text = Vec::new();
        Formatter::new().format(&raw.header, &raw.body, &mut text);
        for f in [ElemFormat::Psv, ElemFormat::Json] {
            ElemWriter::new(f).write(&raw.header, &raw.body, &KeepAll, &mut text);
        }
    }
}
