//! A TABLE_DUMP (v1) RIB dump rewritten as TABLE_DUMP_V2, the form of
//! today's RIPE RIS and RouteViews dumps, for scripts/bench-mrt.sh:
//!
//! ```sh
//! cargo run --release -p rbgp-mrt --example td2_rib -- bview.20020722.2337.gz OUT
//! ```
//!
//! One PEER_INDEX_TABLE of the dump's peers, then one RIB record per
//! prefix (in the order first seen) with an entry per peer, the
//! attributes re-encoded with 4-octet AS numbers (RFC 6396 §4.3.4).
//! Records that do not decode, and routes whose attributes do not, are
//! left out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::BufWriter;
use std::net::Ipv4Addr;

use rbgp_mrt::record::{Peer, PeerIndexTable, Rib, RibEntry};
use rbgp_mrt::{MrtRecord, Record, Writer};
use rbgp_wire::attr::{AttrValue, PathAttribute};
use rbgp_wire::nlri::Nlri;
use rbgp_wire::view::AttrIter;
use rbgp_wire::{AfiSafi, Context};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        eprintln!("usage: td2_rib TABLE_DUMP_FILE OUT");
        std::process::exit(2);
    };
    let mut peers: Vec<Peer> = Vec::new();
    let mut peer_of: HashMap<(std::net::IpAddr, u32), u16> = HashMap::new();
    let mut prefixes: Vec<(rbgp_wire::Prefix, Vec<RibEntry>)> = Vec::new();
    let mut at: HashMap<rbgp_wire::Prefix, usize> = HashMap::new();
    let mut time = 0;
    for raw in rbgp_mrt::open(input).expect("input") {
        let Ok(MrtRecord {
            timestamp,
            body: Record::TableDump(t),
            ..
        }) = raw.and_then(|r| r.decode())
        else {
            continue;
        };
        let Some(prefix) = t.prefix() else { continue };
        let Some(attributes) = widen(&t.attributes) else {
            continue;
        };
        time = timestamp;
        let key = (t.peer_ip, u32::from(t.peer_as));
        let idx = *peer_of.entry(key).or_insert_with(|| {
            peers.push(Peer::new(Ipv4Addr::UNSPECIFIED, t.peer_ip, key.1));
            (peers.len() - 1) as u16
        });
        let i = *at.entry(prefix).or_insert_with(|| {
            prefixes.push((prefix, Vec::new()));
            prefixes.len() - 1
        });
        if let Some((_, entries)) = prefixes.get_mut(i) {
            entries.push(RibEntry {
                peer_index: idx,
                originated: t.originated,
                path_id: None,
                attributes,
            });
        }
    }
    let mut w = Writer::new(BufWriter::new(
        std::fs::File::create(output).expect("output"),
    ));
    let table = PeerIndexTable {
        collector_id: Ipv4Addr::new(193, 0, 4, 28),
        view_name: Vec::new(),
        peers,
    };
    let rec = |body| MrtRecord {
        timestamp: time,
        microseconds: None,
        body,
    };
    w.write(&rec(Record::PeerIndexTable(table))).unwrap();
    for (seq, (prefix, entries)) in prefixes.into_iter().enumerate() {
        let family = if prefix.is_ipv4() {
            AfiSafi::IPV4_UNICAST
        } else {
            AfiSafi::IPV6_UNICAST
        };
        let rib = Rib {
            sequence: seq as u32,
            family,
            generic: false,
            add_path: false,
            nlri: Nlri::Prefix(prefix),
            entries,
        };
        w.write(&rec(Record::Rib(rib))).unwrap();
    }
    w.flush().unwrap();
}

/// The attributes with 4-octet AS numbers (AS_PATH, AGGREGATOR), or
/// `None` if one does not decode.
fn widen(attrs: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for a in AttrIter::new(attrs) {
        let a = a.ok()?;
        let value = AttrValue::decode(a.code, a.value, &Context::legacy()).ok()?;
        PathAttribute {
            flags: a.flags,
            value,
        }
        .encode(&Context::default(), &mut out);
    }
    Some(out)
}
