//! rbgpd's state as MRT records (pure): TABLE_DUMP_V2 from RIB pieces
//! (RFC 6396 §4.3, RFC 8050 §4 with path identifiers), BGP4MP_ET messages
//! and state changes from the RIB task's events (§4.4, §3).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use rbgp_mrt::record::{Bgp4mpMessage, Bgp4mpStateChange, Peer, PeerIndexTable, Rib, RibEntry};
use rbgp_mrt::{MrtRecord, Record};
use rbgp_rib::{Attrs, PeerId};
use rbgp_wire::{Afi, AfiSafi, Context, Safi, Update};

use crate::clock::now;
use crate::tasks::{BmpEvent, MrtPeer, MrtRoute, SessionInfo};

/// PEER_INDEX_TABLE of a dump, and each source's index in it.
pub fn peer_index(router_id: Ipv4Addr, peers: &[MrtPeer]) -> (MrtRecord, HashMap<PeerId, u16>) {
    let mut index = HashMap::new();
    let mut list = Vec::new();
    for p in peers.iter().take(usize::from(u16::MAX)) {
        index.insert(p.id, list.len() as u16);
        list.push(Peer::new(p.bgp_id, p.address, p.asn));
    }
    let rec = MrtRecord {
        timestamp: now().0,
        microseconds: None,
        body: Record::PeerIndexTable(PeerIndexTable {
            collector_id: router_id,
            view_name: Vec::new(),
            peers: list,
        }),
    };
    (rec, index)
}

/// RIB records of routes; paths of sources not in `index` (they came up
/// after the dump began) are left out.
pub fn rib_records(
    routes: Vec<MrtRoute>,
    index: &HashMap<PeerId, u16>,
    sequence: &mut u32,
    at: u32,
) -> Vec<MrtRecord> {
    let mut v = Vec::with_capacity(routes.len());
    for r in routes {
        let add_path = r.paths.iter().any(|p| p.path_id != 0);
        let entries: Vec<RibEntry> = r
            .paths
            .iter()
            .filter_map(|p| {
                Some(RibEntry {
                    peer_index: *index.get(&p.peer)?,
                    originated: p.originated,
                    path_id: add_path.then_some(p.path_id),
                    attributes: entry_attributes(&p.attrs, r.family),
                })
            })
            .collect();
        if entries.is_empty() {
            continue;
        }
        let generic = !matches!(
            (r.family.afi, r.family.safi),
            (Afi::IPV4 | Afi::IPV6, Safi::UNICAST | Safi::MULTICAST)
        );
        v.push(MrtRecord {
            timestamp: at,
            microseconds: None,
            body: Record::Rib(Rib {
                sequence: *sequence,
                family: r.family,
                generic,
                add_path,
                nlri: r.nlri,
                entries,
            }),
        });
        *sequence = sequence.wrapping_add(1);
    }
    v
}

/// A RIB entry's attributes (RFC 6396 §4.3.4): 4-octet AS_PATH, and for
/// anything but IPv4 unicast the abbreviated MP_REACH_NLRI holding only
/// the next hop.
fn entry_attributes(a: &Attrs, family: AfiSafi) -> Vec<u8> {
    let ctx = Context::default().with_four_octet_as(true);
    let mut out = Vec::with_capacity(64);
    for pa in a.to_path_attributes(family, &ctx) {
        pa.encode(&ctx, &mut out);
    }
    if family != AfiSafi::IPV4_UNICAST {
        rbgp_mrt::record::rib_next_hop_attribute(&a.mp_next_hop(family), &mut out);
    }
    out
}

/// BGP4MP_ET records of what the RIB task reports: UPDATEs as received,
/// and sessions reaching or leaving Established.
pub struct UpdateLog {
    local_asn: u32,
    peers: HashMap<IpAddr, Arc<SessionInfo>>,
}

/// RFC 6396 §4.4.1 states.
const IDLE: u16 = 1;
const OPEN_CONFIRM: u16 = 5;
const ESTABLISHED: u16 = 6;

/// RFC 6793: AS_TRANS stands in for a 4-octet AS in 2-octet fields.
const AS_TRANS: u32 = 23456;

impl UpdateLog {
    pub fn new(local_asn: u32) -> Self {
        UpdateLog {
            local_asn,
            peers: HashMap::new(),
        }
    }

    /// Sessions up when the log attached (no state change is written).
    pub fn know(&mut self, addr: IpAddr, s: Arc<SessionInfo>) {
        self.peers.insert(addr, s);
    }

    fn local_ip(addr: IpAddr, s: &SessionInfo) -> IpAddr {
        match (addr, s.local.map(|l| l.ip())) {
            (IpAddr::V4(_), Some(l @ IpAddr::V4(_))) | (IpAddr::V6(_), Some(l @ IpAddr::V6(_))) => {
                l
            }
            (IpAddr::V4(_), _) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            (IpAddr::V6(_), _) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }

    fn state(&self, addr: IpAddr, s: &SessionInfo, old: u16, new: u16) -> MrtRecord {
        let (t, us) = now();
        MrtRecord {
            timestamp: t,
            microseconds: Some(us),
            body: Record::Bgp4mpStateChange(Bgp4mpStateChange {
                as4: true,
                peer_as: s.peer_asn,
                local_as: self.local_asn,
                interface_index: 0,
                peer_ip: addr,
                local_ip: Self::local_ip(addr, s),
                old_state: old,
                new_state: new,
            }),
        }
    }

    fn message(&self, addr: IpAddr, s: &SessionInfo, u: &Update) -> MrtRecord {
        let mut message = Vec::new();
        u.encode(&s.rx, &mut message);
        // The subtype says how to read the message: AS_PATH width as the
        // session negotiated it (RFC 6396 §4.4.3), path identifiers where
        // ADD-PATH receive was negotiated (RFC 8050 §3).
        let as4 = s.rx.four_octet_as;
        let (peer_as, local_as) = if as4 {
            (s.peer_asn, self.local_asn)
        } else {
            let two = |a: u32| if a > u32::from(u16::MAX) { AS_TRANS } else { a };
            (two(s.peer_asn), two(self.local_asn))
        };
        let (t, us) = now();
        MrtRecord {
            timestamp: t,
            microseconds: Some(us),
            body: Record::Bgp4mpMessage(Bgp4mpMessage {
                as4,
                local: false,
                add_path: rbgp_mrt::record::bgp4mp_add_path(&s.rx, u),
                peer_as,
                local_as,
                interface_index: 0,
                peer_ip: addr,
                local_ip: Self::local_ip(addr, s),
                message,
            }),
        }
    }

    /// The records of one event (none for views the log does not keep).
    pub fn records(&mut self, ev: BmpEvent, out: &mut Vec<MrtRecord>) {
        match ev {
            BmpEvent::PeerUp(addr, s) => {
                out.push(self.state(addr, &s, OPEN_CONFIRM, ESTABLISHED));
                self.peers.insert(addr, s);
            }
            BmpEvent::PeerDown(addr, _) => {
                if let Some(s) = self.peers.remove(&addr) {
                    out.push(self.state(addr, &s, ESTABLISHED, IDLE));
                }
            }
            BmpEvent::Received(addr, u) => {
                if let Some(s) = self.peers.get(&addr) {
                    out.push(self.message(addr, s, &u));
                }
            }
            _ => {}
        }
    }
}
