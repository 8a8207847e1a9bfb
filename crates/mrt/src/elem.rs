//! MRT records to route elements ([`rbgp_wire::elem::Elem`]): one per
//! announced or withdrawn NLRI, with the peer that sent it.
//!
//! TABLE_DUMP_V2 entries name their peer by index into the last
//! PEER_INDEX_TABLE (RFC 6396 §4.3.1), so the decoder keeps that table.
//! BGP4MP UPDATEs go through [`Elem::from_update`] with the context the
//! subtype implies (AS width, ADD-PATH).

use rbgp_wire::attr::{code, AttrValue, MpReach, NextHop, PathAttribute};
use rbgp_wire::elem::{Elem, ElemSource};
use rbgp_wire::nlri::{Nlri, NlriEntry};
use rbgp_wire::view::AttrIter;
use rbgp_wire::{AfiSafi, Context, Message, Update};

use crate::record::{MrtRecord, PeerIndexTable, Record};

/// Why some or all of a record gave no elements. Elements are still
/// returned for what could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElemIssue {
    /// A RIB entry names a peer the PEER_INDEX_TABLE does not have (or no
    /// table came first).
    UnknownPeer(u16),
    /// An attribute did not decode and was left out.
    BadAttribute { code: u8, error: String },
    /// The BGP message did not decode (RFC 7606 session-reset class).
    BadMessage(String),
}

/// Issues kept between two calls of [`ElemDecoder::take_issues`].
pub const MAX_ISSUES: usize = 64;

/// Turns records into elements, remembering the PEER_INDEX_TABLE.
#[derive(Debug, Default)]
pub struct ElemDecoder {
    peers: Option<PeerIndexTable>,
    /// Problems met since the last call to [`ElemDecoder::take_issues`].
    issues: Vec<ElemIssue>,
}

impl ElemDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn peer_table(&self) -> Option<&PeerIndexTable> {
        self.peers.as_ref()
    }

    /// Problems met since the last call (at most [`MAX_ISSUES`]).
    pub fn take_issues(&mut self) -> Vec<ElemIssue> {
        std::mem::take(&mut self.issues)
    }

    fn issue(&mut self, i: ElemIssue) {
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(i);
        }
    }

    /// The elements of one record, appended to `out`.
    pub fn decode(&mut self, rec: &MrtRecord, out: &mut Vec<Elem>) {
        let ts = f64::from(rec.timestamp) + f64::from(rec.microseconds.unwrap_or(0)) / 1e6;
        match &rec.body {
            Record::PeerIndexTable(t) => self.peers = Some(t.clone()),
            Record::TableDump(t) => {
                let Some(prefix) = t.prefix() else { return };
                // RFC 6396 §4.2: TABLE_DUMP attributes use 2-octet AS numbers.
                let ctx = Context::legacy();
                let fam = if prefix.is_ipv4() {
                    AfiSafi::IPV4_UNICAST
                } else {
                    AfiSafi::IPV6_UNICAST
                };
                let u = self.rib_update(&t.attributes, &ctx, fam, NlriEntry::new(prefix.into()));
                let src = ElemSource {
                    timestamp: ts,
                    peer_ip: t.peer_ip,
                    peer_asn: u32::from(t.peer_as),
                };
                out.extend(Elem::from_update(&u, src));
            }
            Record::Rib(r) => {
                // RFC 6396 §4.3.4: RIB attributes always use 4-octet AS numbers.
                let ctx = Context::default();
                for e in &r.entries {
                    let Some(peer) = self
                        .peers
                        .as_ref()
                        .and_then(|t| t.peers.get(usize::from(e.peer_index)))
                        .map(|p| (p.ip, p.asn))
                    else {
                        self.issue(ElemIssue::UnknownPeer(e.peer_index));
                        continue;
                    };
                    let entry = NlriEntry {
                        path_id: e.path_id,
                        nlri: r.nlri.clone(),
                    };
                    let u = self.rib_update(&e.attributes, &ctx, r.family, entry);
                    let src = ElemSource {
                        timestamp: ts,
                        peer_ip: peer.0,
                        peer_asn: peer.1,
                    };
                    out.extend(Elem::from_update(&u, src));
                }
            }
            Record::Bgp4mpMessage(m) => {
                let ctx = m.context();
                match Message::decode(&m.message, &ctx) {
                    Ok(d) => {
                        if let Message::Update(u) = d.message {
                            let src = ElemSource {
                                timestamp: ts,
                                peer_ip: m.peer_ip,
                                peer_asn: m.peer_as,
                            };
                            out.extend(Elem::from_update(&u, src));
                        }
                    }
                    Err(e) => self.issue(ElemIssue::BadMessage(e.to_string())),
                }
            }
            // The deprecated BGP type (RFC 6396 Appendix B.2.1), subtype
            // UPDATE: peer AS and address, local AS and address (2-octet AS,
            // IPv4), then an UPDATE body without the BGP header.
            Record::Other {
                mrt_type: crate::record::mrt_type::BGP,
                subtype: 1,
                body,
            } => {
                let (Some(&[a0, a1, i0, i1, i2, i3]), Some(update)) = (
                    body.get(..6).and_then(|h| <&[u8; 6]>::try_from(h).ok()),
                    body.get(12..),
                ) else {
                    self.issue(ElemIssue::BadMessage("BGP record too short".into()));
                    return;
                };
                match Update::decode(update, &Context::legacy()) {
                    Ok((u, _)) => {
                        let src = ElemSource {
                            timestamp: ts,
                            peer_ip: std::net::IpAddr::from([i0, i1, i2, i3]),
                            peer_asn: u32::from(u16::from_be_bytes([a0, a1])),
                        };
                        out.extend(Elem::from_update(&u, src));
                    }
                    Err(e) => self.issue(ElemIssue::BadMessage(e.to_string())),
                }
            }
            Record::Bgp4mpStateChange(_) | Record::Other { .. } => {}
        }
    }

    /// An UPDATE equivalent to one RIB entry: its attributes, with the
    /// abbreviated MP_REACH_NLRI of RFC 6396 §4.3.4 expanded to carry the
    /// entry's NLRI (IPv4 unicast without MP_REACH uses the classic field).
    fn rib_update(
        &mut self,
        attrs: &[u8],
        ctx: &Context,
        family: AfiSafi,
        nlri: NlriEntry,
    ) -> Update {
        let mut u = Update::default();
        let mut nlri = Some(nlri);
        for a in AttrIter::new(attrs) {
            let a = match a {
                Ok(a) => a,
                Err(e) => {
                    self.issue(ElemIssue::BadAttribute {
                        code: 0,
                        error: e.to_string(),
                    });
                    break;
                }
            };
            if a.code == code::MP_REACH_NLRI {
                // Some writers use the full RFC 4760 form; it starts with
                // an AFI (first octet 0), the abbreviated one with a length.
                let mp = match a.value {
                    [0, ..] => MpReach::decode(a.value, ctx)
                        .map(|mut m| {
                            m.family = family;
                            m.nlri.clear();
                            m.unparsed.clear();
                            m
                        })
                        .map_err(|e| e.error),
                    _ => MpReach::decode_abbreviated(a.value, family),
                };
                match mp {
                    Ok(mut m) => {
                        m.nlri.extend(nlri.take());
                        u.attributes.push(PathAttribute {
                            flags: a.flags,
                            value: AttrValue::from(m),
                        });
                    }
                    Err(e) => self.issue(ElemIssue::BadAttribute {
                        code: a.code,
                        error: e.to_string(),
                    }),
                }
                continue;
            }
            match AttrValue::decode(a.code, a.value, ctx) {
                Ok(value) => u.attributes.push(PathAttribute {
                    flags: a.flags,
                    value,
                }),
                Err(e) => self.issue(ElemIssue::BadAttribute {
                    code: a.code,
                    error: format!("{e:?}"),
                }),
            }
        }
        if let Some(n) = nlri {
            if family == AfiSafi::IPV4_UNICAST {
                u.nlri.push(n);
            } else {
                // No MP_REACH (OpenBGPD's RIB_GENERIC): the next hop is in
                // the classic NEXT_HOP attribute, if anywhere.
                let nh = u
                    .attributes
                    .iter()
                    .find_map(|a| match a.value {
                        AttrValue::NextHop(n) => Some(NextHop::Ipv4(n)),
                        _ => None,
                    })
                    .unwrap_or(NextHop::None);
                u.attributes
                    .push(PathAttribute::new(AttrValue::from(MpReach::new(
                        family,
                        nh,
                        vec![n],
                    ))));
            }
        }
        u
    }
}

/// The prefix of an element, for unicast and the families that carry one.
pub fn elem_prefix(e: &Elem) -> Option<rbgp_wire::Prefix> {
    match &e.nlri {
        Nlri::Prefix(p) => Some(*p),
        other => other.prefix(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Peer, Rib, RibEntry};

    #[test]
    fn rib_entry_uses_peer_table_and_abbreviated_next_hop() {
        let mut d = ElemDecoder::new();
        let mut out = Vec::new();
        let table = MrtRecord {
            timestamp: 5,
            microseconds: None,
            body: Record::PeerIndexTable(PeerIndexTable {
                collector_id: "192.0.2.1".parse().unwrap(),
                view_name: Vec::new(),
                peers: vec![Peer::new(
                    "1.1.1.1".parse().unwrap(),
                    "2001:db8::1".parse().unwrap(),
                    65001,
                )],
            }),
        };
        d.decode(&table, &mut out);
        // ORIGIN IGP, AS_PATH 65001 65002 (4-octet), abbreviated MP_REACH.
        let mut attrs = vec![
            0x40, 1, 1, 0, 0x40, 2, 10, 2, 2, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea,
        ];
        attrs.extend([0x80, 14, 17, 16]);
        attrs.extend(
            "2001:db8::ff"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        let p: rbgp_wire::Prefix = "2001:db8:1::/48".parse().unwrap();
        let rib = MrtRecord {
            timestamp: 6,
            microseconds: None,
            body: Record::Rib(Rib {
                sequence: 0,
                family: AfiSafi::IPV6_UNICAST,
                generic: false,
                add_path: false,
                nlri: Nlri::Prefix(p),
                entries: vec![
                    RibEntry {
                        peer_index: 0,
                        originated: 1,
                        path_id: None,
                        attributes: attrs,
                    },
                    RibEntry {
                        peer_index: 3,
                        originated: 1,
                        path_id: None,
                        attributes: Vec::new(),
                    },
                ],
            }),
        };
        d.decode(&rib, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].nlri, Nlri::Prefix(p));
        assert_eq!(out[0].peer_asn, 65001);
        assert_eq!(out[0].next_hop, Some("2001:db8::ff".parse().unwrap()));
        assert_eq!(out[0].origin_asn, Some(65002));
        assert_eq!(d.take_issues(), vec![ElemIssue::UnknownPeer(3)]);
    }
}
