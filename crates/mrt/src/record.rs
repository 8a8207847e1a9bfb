//! MRT records (RFC 6396, ADD-PATH subtypes of RFC 8050): the common
//! header, the raw record as framed in a file, and typed bodies that decode
//! and encode byte for byte.

use std::net::{IpAddr, Ipv4Addr};

use rbgp_wire::afi::{Afi, Safi};
use rbgp_wire::nlri::Nlri;
use rbgp_wire::reader::Reader;
use rbgp_wire::{AfiSafi, Context, WireError};

use crate::error::MrtError;

/// MRT record types (RFC 6396 §4, IANA "MRT Types").
pub mod mrt_type {
    /// Deprecated `BGP` type of the MRTd era (RFC 6396 Appendix B.2.1).
    pub const BGP: u16 = 5;
    pub const TABLE_DUMP: u16 = 12;
    pub const TABLE_DUMP_V2: u16 = 13;
    pub const BGP4MP: u16 = 16;
    pub const BGP4MP_ET: u16 = 17;
    pub const ISIS: u16 = 32;
    pub const ISIS_ET: u16 = 33;
    pub const OSPFV3: u16 = 48;
    pub const OSPFV3_ET: u16 = 49;
}

/// Types defined by RFC 6396 (current and deprecated, Appendix B); any
/// other type in a file is most likely damaged framing.
pub fn is_known_type(t: u16) -> bool {
    matches!(t, 0..=13 | 16 | 17 | 32 | 33 | 48 | 49)
}

/// TABLE_DUMP_V2 subtypes (RFC 6396 §4.3, RFC 8050 §4).
pub mod td2 {
    pub const PEER_INDEX_TABLE: u16 = 1;
    pub const RIB_IPV4_UNICAST: u16 = 2;
    pub const RIB_IPV4_MULTICAST: u16 = 3;
    pub const RIB_IPV6_UNICAST: u16 = 4;
    pub const RIB_IPV6_MULTICAST: u16 = 5;
    pub const RIB_GENERIC: u16 = 6;
    pub const RIB_IPV4_UNICAST_ADDPATH: u16 = 8;
    pub const RIB_IPV4_MULTICAST_ADDPATH: u16 = 9;
    pub const RIB_IPV6_UNICAST_ADDPATH: u16 = 10;
    pub const RIB_IPV6_MULTICAST_ADDPATH: u16 = 11;
    pub const RIB_GENERIC_ADDPATH: u16 = 12;
}

/// BGP4MP / BGP4MP_ET subtypes (RFC 6396 §4.4, RFC 8050 §3).
pub mod bgp4mp {
    pub const STATE_CHANGE: u16 = 0;
    pub const MESSAGE: u16 = 1;
    /// Deprecated (RFC 6396 Appendix B.2.4), kept raw.
    pub const ENTRY: u16 = 2;
    /// Deprecated (RFC 6396 Appendix B.2.5), kept raw.
    pub const SNAPSHOT: u16 = 3;
    pub const MESSAGE_AS4: u16 = 4;
    pub const STATE_CHANGE_AS4: u16 = 5;
    pub const MESSAGE_LOCAL: u16 = 6;
    pub const MESSAGE_AS4_LOCAL: u16 = 7;
    pub const MESSAGE_ADDPATH: u16 = 8;
    pub const MESSAGE_AS4_ADDPATH: u16 = 9;
    pub const MESSAGE_LOCAL_ADDPATH: u16 = 10;
    pub const MESSAGE_AS4_LOCAL_ADDPATH: u16 = 11;
}

/// The common MRT header (RFC 6396 §2), plus the microsecond field that
/// the `_ET` types put first in the message (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub timestamp: u32,
    pub mrt_type: u16,
    pub subtype: u16,
    /// The length field as written: for `_ET` types it counts the
    /// microsecond field too (RFC 6396 §3).
    pub length: u32,
    pub microseconds: Option<u32>,
}

impl Header {
    pub const LEN: usize = 12;

    /// Types whose message starts with a 4-octet microsecond timestamp.
    pub fn is_extended_type(mrt_type: u16) -> bool {
        matches!(
            mrt_type,
            mrt_type::BGP4MP_ET | mrt_type::ISIS_ET | mrt_type::OSPFV3_ET
        )
    }

    /// Seconds since the epoch with the microseconds as fraction.
    pub fn time(&self) -> f64 {
        f64::from(self.timestamp) + f64::from(self.microseconds.unwrap_or(0)) / 1e6
    }

    fn encode(&self, body_len: usize, out: &mut Vec<u8>) {
        let ext = Header::is_extended_type(self.mrt_type);
        let len = body_len + if ext { 4 } else { 0 };
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.mrt_type.to_be_bytes());
        out.extend_from_slice(&self.subtype.to_be_bytes());
        out.extend_from_slice(&(len as u32).to_be_bytes());
        if ext {
            out.extend_from_slice(&self.microseconds.unwrap_or(0).to_be_bytes());
        }
    }
}

/// A record as framed in the file: header and message bytes (after the
/// microsecond field of `_ET` types).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawRecord {
    pub header: Header,
    pub body: Vec<u8>,
}

impl RawRecord {
    /// Write header and body; the length field is recomputed.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.header.encode(self.body.len(), out);
        out.extend_from_slice(&self.body);
    }

    /// The typed reading of this record.
    pub fn decode(&self) -> Result<MrtRecord, MrtError> {
        MrtRecord::decode(self)
    }
}

/// A decoded record: when, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MrtRecord {
    pub timestamp: u32,
    /// Set for BGP4MP_ET records (RFC 6396 §3); the record is written as
    /// BGP4MP_ET when present, BGP4MP otherwise.
    pub microseconds: Option<u32>,
    pub body: Record,
}

/// The typed bodies. Deprecated and unknown types are kept raw so that a
/// file can be copied record for record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    TableDump(TableDump),
    PeerIndexTable(PeerIndexTable),
    Rib(Rib),
    Bgp4mpMessage(Bgp4mpMessage),
    Bgp4mpStateChange(Bgp4mpStateChange),
    Other {
        mrt_type: u16,
        subtype: u16,
        body: Vec<u8>,
    },
}

/// TABLE_DUMP (RFC 6396 §4.2): one route of one peer, AFI from the subtype,
/// 2-octet AS numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDump {
    pub view: u16,
    pub sequence: u16,
    /// The prefix address as written (host bits are not cleared).
    pub prefix_addr: IpAddr,
    pub prefix_len: u8,
    pub status: u8,
    pub originated: u32,
    pub peer_ip: IpAddr,
    pub peer_as: u16,
    /// Path attributes as in an UPDATE (2-octet AS_PATH).
    pub attributes: Vec<u8>,
}

impl TableDump {
    /// The prefix with host bits cleared.
    pub fn prefix(&self) -> Option<rbgp_wire::Prefix> {
        rbgp_wire::Prefix::new(self.prefix_addr, self.prefix_len)
    }
}

/// One peer of the PEER_INDEX_TABLE (RFC 6396 §4.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Bit 0: IPv6 address; bit 1: 4-octet AS number. Kept as written.
    pub peer_type: u8,
    pub bgp_id: Ipv4Addr,
    pub ip: IpAddr,
    pub asn: u32,
}

impl Peer {
    /// A peer with the smallest encoding for its address and AS number.
    pub fn new(bgp_id: Ipv4Addr, ip: IpAddr, asn: u32) -> Self {
        let mut peer_type = 0;
        if ip.is_ipv6() {
            peer_type |= 1;
        }
        if asn > u32::from(u16::MAX) {
            peer_type |= 2;
        }
        Peer {
            peer_type,
            bgp_id,
            ip,
            asn,
        }
    }
}

/// PEER_INDEX_TABLE (RFC 6396 §4.3.1): the peers RIB entries refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIndexTable {
    pub collector_id: Ipv4Addr,
    /// The view name bytes as written (RFC 6396 leaves the encoding open).
    pub view_name: Vec<u8>,
    pub peers: Vec<Peer>,
}

/// One route of a RIB record (RFC 6396 §4.3.4, RFC 8050 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RibEntry {
    pub peer_index: u16,
    pub originated: u32,
    /// Present in the `_ADDPATH` subtypes.
    pub path_id: Option<u32>,
    /// Path attributes; MP_REACH_NLRI in the abbreviated form of §4.3.4.
    pub attributes: Vec<u8>,
}

/// Whether the UPDATE is encoded with path identifiers: the ADD-PATH
/// subtypes mean every NLRI of the message has one (RFC 8050 §3), so an
/// UPDATE mixing families with and without ADD-PATH cannot be told apart
/// and is recorded without (a session negotiates per family; UPDATEs
/// rarely mix families).
pub fn bgp4mp_add_path(ctx: &Context, u: &rbgp_wire::Update) -> bool {
    let mut families = u
        .announced()
        .map(|(f, _)| f)
        .chain(u.withdrawals().map(|(f, _)| f));
    match families.next() {
        Some(first) => ctx.add_path(first) && families.all(|f| ctx.add_path(f)),
        None => false,
    }
}

/// Append the abbreviated MP_REACH_NLRI of a TABLE_DUMP_V2 RIB entry
/// (RFC 6396 §4.3.4): only the next hop's length and address, for every
/// family but IPv4 unicast.
pub fn rib_next_hop_attribute(nh: &rbgp_wire::attr::NextHop, out: &mut Vec<u8>) {
    use rbgp_wire::attr::NextHop;
    let addr: Vec<u8> = match nh {
        NextHop::Ipv4(v4) => v4.octets().to_vec(),
        NextHop::Ipv6(v6) => v6.octets().to_vec(),
        NextHop::Ipv6LinkLocal(g, l) => [g.octets(), l.octets()].concat(),
        _ => Vec::new(),
    };
    // Optional, non-transitive, type 14; length: next hop length + it.
    out.extend_from_slice(&[0x80, 14, (addr.len() + 1) as u8, addr.len() as u8]);
    out.extend_from_slice(&addr);
}

/// RIB_IPV4/IPV6_UNICAST/MULTICAST and RIB_GENERIC, with or without
/// ADD-PATH (RFC 6396 §4.3.2-4.3.3, RFC 8050 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rib {
    pub sequence: u32,
    pub family: AfiSafi,
    /// Written as RIB_GENERIC (AFI/SAFI in the record) rather than the
    /// per-family subtype.
    pub generic: bool,
    pub add_path: bool,
    pub nlri: Nlri,
    pub entries: Vec<RibEntry>,
}

impl Rib {
    fn subtype(&self) -> u16 {
        let base = if self.generic {
            td2::RIB_GENERIC
        } else {
            match (self.family.afi, self.family.safi) {
                (Afi::IPV4, Safi::MULTICAST) => td2::RIB_IPV4_MULTICAST,
                (Afi::IPV6, Safi::UNICAST) => td2::RIB_IPV6_UNICAST,
                (Afi::IPV6, Safi::MULTICAST) => td2::RIB_IPV6_MULTICAST,
                _ => td2::RIB_IPV4_UNICAST,
            }
        };
        // RFC 8050 §4: the ADD-PATH subtypes are the plain ones plus 6.
        if self.add_path {
            base + 6
        } else {
            base
        }
    }
}

/// BGP4MP_MESSAGE and its AS4 / LOCAL / ADDPATH variants (RFC 6396 §4.4.2,
/// §4.4.3, RFC 8050 §3). The BGP message (marker included) is kept as
/// bytes; [`Bgp4mpMessage::context`] says how to decode it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bgp4mpMessage {
    pub as4: bool,
    /// Sent by the local system (the `_LOCAL` subtypes) rather than received.
    pub local: bool,
    pub add_path: bool,
    pub peer_as: u32,
    pub local_as: u32,
    pub interface_index: u16,
    pub peer_ip: IpAddr,
    pub local_ip: IpAddr,
    pub message: Vec<u8>,
}

impl Bgp4mpMessage {
    fn subtype(&self) -> u16 {
        use bgp4mp::*;
        match (self.as4, self.local, self.add_path) {
            (false, false, false) => MESSAGE,
            (true, false, false) => MESSAGE_AS4,
            (false, true, false) => MESSAGE_LOCAL,
            (true, true, false) => MESSAGE_AS4_LOCAL,
            (false, false, true) => MESSAGE_ADDPATH,
            (true, false, true) => MESSAGE_AS4_ADDPATH,
            (false, true, true) => MESSAGE_LOCAL_ADDPATH,
            (true, true, true) => MESSAGE_AS4_LOCAL_ADDPATH,
        }
    }

    /// How the recorded message is to be read: AS width from the subtype
    /// (RFC 6396 §4.4.3), path identifiers on every family for the ADD-PATH
    /// subtypes (RFC 8050 §3), and messages up to 65535 octets (RFC 8654;
    /// collectors record what they were sent).
    pub fn context(&self) -> Context {
        let mut ctx = Context::default()
            .with_four_octet_as(self.as4)
            .with_extended_message(true);
        if self.add_path {
            for f in AfiSafi::known() {
                ctx.set_add_path(f, true);
            }
        }
        ctx
    }
}

/// BGP4MP_STATE_CHANGE(_AS4) (RFC 6396 §4.4.1, §4.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bgp4mpStateChange {
    pub as4: bool,
    pub peer_as: u32,
    pub local_as: u32,
    pub interface_index: u16,
    pub peer_ip: IpAddr,
    pub local_ip: IpAddr,
    pub old_state: u16,
    pub new_state: u16,
}

fn asn(r: &mut Reader<'_>, four: bool) -> Result<u32, WireError> {
    if four {
        r.u32()
    } else {
        r.u16().map(u32::from)
    }
}

fn addr(r: &mut Reader<'_>, v6: bool) -> Result<IpAddr, WireError> {
    Ok(if v6 {
        IpAddr::V6(r.ipv6()?)
    } else {
        IpAddr::V4(r.ipv4()?)
    })
}

fn put_addr(a: &IpAddr, out: &mut Vec<u8>) {
    match a {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
}

fn put_asn(a: u32, four: bool, out: &mut Vec<u8>) {
    if four {
        out.extend_from_slice(&a.to_be_bytes());
    } else {
        out.extend_from_slice(&(a as u16).to_be_bytes());
    }
}

/// The address family of a peer, from the BGP4MP AFI field.
fn afi_v6(afi: u16) -> Result<bool, WireError> {
    match afi {
        1 => Ok(false),
        2 => Ok(true),
        other => Err(WireError::Invalid {
            what: "BGP4MP address family",
            value: u64::from(other),
        }),
    }
}

fn afi_of(a: &IpAddr) -> u16 {
    if a.is_ipv6() {
        2
    } else {
        1
    }
}

/// A RIB prefix: length octet then the significant octets (RFC 6396
/// §4.3.2), host bits cleared.
fn rib_prefix(r: &mut Reader<'_>, family: AfiSafi) -> Result<Nlri, WireError> {
    Nlri::decode(r, family)
}

impl MrtRecord {
    /// Decode the body of a raw record. Types this crate does not type are
    /// returned as [`Record::Other`].
    pub fn decode(raw: &RawRecord) -> Result<MrtRecord, MrtError> {
        let h = raw.header;
        let body =
            decode_body(h.mrt_type, h.subtype, &raw.body).map_err(|error| MrtError::Body {
                mrt_type: h.mrt_type,
                subtype: h.subtype,
                error,
            })?;
        Ok(MrtRecord {
            timestamp: h.timestamp,
            microseconds: h.microseconds,
            body,
        })
    }

    /// Type and subtype this record is written with.
    pub fn type_subtype(&self) -> (u16, u16) {
        let bgp4mp_type = if self.microseconds.is_some() {
            mrt_type::BGP4MP_ET
        } else {
            mrt_type::BGP4MP
        };
        match &self.body {
            Record::TableDump(t) => (
                mrt_type::TABLE_DUMP,
                if t.prefix_addr.is_ipv6() { 2 } else { 1 },
            ),
            Record::PeerIndexTable(_) => (mrt_type::TABLE_DUMP_V2, td2::PEER_INDEX_TABLE),
            Record::Rib(r) => (mrt_type::TABLE_DUMP_V2, r.subtype()),
            Record::Bgp4mpMessage(m) => (bgp4mp_type, m.subtype()),
            Record::Bgp4mpStateChange(s) => (
                bgp4mp_type,
                if s.as4 {
                    bgp4mp::STATE_CHANGE_AS4
                } else {
                    bgp4mp::STATE_CHANGE
                },
            ),
            Record::Other {
                mrt_type, subtype, ..
            } => (*mrt_type, *subtype),
        }
    }

    /// The raw record (header with computed type, subtype and length).
    pub fn to_raw(&self) -> RawRecord {
        let (mrt_type, subtype) = self.type_subtype();
        let mut body = Vec::new();
        encode_body(&self.body, &mut body);
        let ext = Header::is_extended_type(mrt_type);
        RawRecord {
            header: Header {
                timestamp: self.timestamp,
                mrt_type,
                subtype,
                length: (body.len() + if ext { 4 } else { 0 }) as u32,
                microseconds: if ext {
                    Some(self.microseconds.unwrap_or(0))
                } else {
                    None
                },
            },
            body,
        }
    }

    /// Append the record as written to a file.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.to_raw().encode(out);
    }
}

fn decode_body(mrt_type: u16, subtype: u16, body: &[u8]) -> Result<Record, WireError> {
    let mut r = Reader::new(body, "MRT record");
    let rec = match (mrt_type, subtype) {
        (mrt_type::TABLE_DUMP, 1 | 2) => Record::TableDump(decode_table_dump(&mut r, subtype)?),
        (mrt_type::TABLE_DUMP_V2, td2::PEER_INDEX_TABLE) => {
            Record::PeerIndexTable(decode_peer_index(&mut r)?)
        }
        // RFC 6396 §4.3.3: RIB_GENERIC carries one NLRI in its family's own
        // encoding; families rbgp-wire does not parse are kept raw.
        (mrt_type::TABLE_DUMP_V2, td2::RIB_GENERIC | td2::RIB_GENERIC_ADDPATH)
            if !generic_supported(body) =>
        {
            return Ok(Record::Other {
                mrt_type,
                subtype,
                body: body.to_vec(),
            })
        }
        (mrt_type::TABLE_DUMP_V2, 2..=6 | 8..=12) => Record::Rib(decode_rib(&mut r, subtype)?),
        (
            mrt_type::BGP4MP | mrt_type::BGP4MP_ET,
            bgp4mp::STATE_CHANGE | bgp4mp::STATE_CHANGE_AS4,
        ) => Record::Bgp4mpStateChange(decode_state_change(&mut r, subtype)?),
        (mrt_type::BGP4MP | mrt_type::BGP4MP_ET, 1 | 4 | 6..=11) => {
            Record::Bgp4mpMessage(decode_message(&mut r, subtype)?)
        }
        _ => {
            return Ok(Record::Other {
                mrt_type,
                subtype,
                body: body.to_vec(),
            })
        }
    };
    r.finish()?;
    Ok(rec)
}

fn decode_table_dump(r: &mut Reader<'_>, subtype: u16) -> Result<TableDump, WireError> {
    let v6 = subtype == 2;
    let view = r.u16()?;
    let sequence = r.u16()?;
    let prefix_addr = addr(r, v6)?;
    let prefix_len = r.u8()?;
    if prefix_len > if v6 { 128 } else { 32 } {
        return Err(WireError::Invalid {
            what: "TABLE_DUMP prefix length",
            value: u64::from(prefix_len),
        });
    }
    let status = r.u8()?;
    let originated = r.u32()?;
    let peer_ip = addr(r, v6)?;
    let peer_as = r.u16()?;
    let alen = usize::from(r.u16()?);
    let attributes = r.take(alen)?.to_vec();
    Ok(TableDump {
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
}

fn decode_peer_index(r: &mut Reader<'_>) -> Result<PeerIndexTable, WireError> {
    let collector_id = r.ipv4()?;
    let nlen = usize::from(r.u16()?);
    let view_name = r.take(nlen)?.to_vec();
    let count = r.u16()?;
    let mut peers = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let peer_type = r.u8()?;
        let bgp_id = r.ipv4()?;
        let ip = addr(r, peer_type & 1 != 0)?;
        let asn = asn(r, peer_type & 2 != 0)?;
        peers.push(Peer {
            peer_type,
            bgp_id,
            ip,
            asn,
        });
    }
    Ok(PeerIndexTable {
        collector_id,
        view_name,
        peers,
    })
}

/// Whether a RIB_GENERIC body names a family whose NLRI rbgp-wire parses
/// (sequence number, then AFI and SAFI).
fn generic_supported(body: &[u8]) -> bool {
    match body {
        [_, _, _, _, a0, a1, safi, ..] => rbgp_wire::nlri::is_supported(AfiSafi::new(
            Afi(u16::from_be_bytes([*a0, *a1])),
            Safi(*safi),
        )),
        _ => true, // too short: let the decoder say so
    }
}

fn decode_rib(r: &mut Reader<'_>, subtype: u16) -> Result<Rib, WireError> {
    let add_path = subtype >= td2::RIB_IPV4_UNICAST_ADDPATH;
    let base = if add_path { subtype - 6 } else { subtype };
    let generic = base == td2::RIB_GENERIC;
    let sequence = r.u32()?;
    let family = match base {
        td2::RIB_IPV4_UNICAST => AfiSafi::IPV4_UNICAST,
        td2::RIB_IPV4_MULTICAST => AfiSafi::IPV4_MULTICAST,
        td2::RIB_IPV6_UNICAST => AfiSafi::IPV6_UNICAST,
        td2::RIB_IPV6_MULTICAST => AfiSafi::IPV6_MULTICAST,
        _ => AfiSafi::new(Afi(r.u16()?), Safi(r.u8()?)),
    };
    let nlri = rib_prefix(r, family)?;
    let count = r.u16()?;
    let mut entries = Vec::with_capacity(usize::from(count).min(r.remaining() / 8 + 1));
    for _ in 0..count {
        let peer_index = r.u16()?;
        let originated = r.u32()?;
        let path_id = if add_path { Some(r.u32()?) } else { None };
        let alen = usize::from(r.u16()?);
        let attributes = r.take(alen)?.to_vec();
        entries.push(RibEntry {
            peer_index,
            originated,
            path_id,
            attributes,
        });
    }
    Ok(Rib {
        sequence,
        family,
        generic,
        add_path,
        nlri,
        entries,
    })
}

fn decode_state_change(r: &mut Reader<'_>, subtype: u16) -> Result<Bgp4mpStateChange, WireError> {
    let as4 = subtype == bgp4mp::STATE_CHANGE_AS4;
    let peer_as = asn(r, as4)?;
    let local_as = asn(r, as4)?;
    let interface_index = r.u16()?;
    let v6 = afi_v6(r.u16()?)?;
    let peer_ip = addr(r, v6)?;
    let local_ip = addr(r, v6)?;
    let old_state = r.u16()?;
    let new_state = r.u16()?;
    Ok(Bgp4mpStateChange {
        as4,
        peer_as,
        local_as,
        interface_index,
        peer_ip,
        local_ip,
        old_state,
        new_state,
    })
}

fn decode_message(r: &mut Reader<'_>, subtype: u16) -> Result<Bgp4mpMessage, WireError> {
    use bgp4mp::*;
    let as4 = matches!(
        subtype,
        MESSAGE_AS4 | MESSAGE_AS4_LOCAL | MESSAGE_AS4_ADDPATH | MESSAGE_AS4_LOCAL_ADDPATH
    );
    let local = matches!(
        subtype,
        MESSAGE_LOCAL | MESSAGE_AS4_LOCAL | MESSAGE_LOCAL_ADDPATH | MESSAGE_AS4_LOCAL_ADDPATH
    );
    let add_path = subtype >= MESSAGE_ADDPATH;
    let peer_as = asn(r, as4)?;
    let local_as = asn(r, as4)?;
    let interface_index = r.u16()?;
    let v6 = afi_v6(r.u16()?)?;
    let peer_ip = addr(r, v6)?;
    let local_ip = addr(r, v6)?;
    let message = r.rest().to_vec();
    Ok(Bgp4mpMessage {
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

fn encode_body(rec: &Record, out: &mut Vec<u8>) {
    match rec {
        Record::TableDump(t) => {
            out.extend_from_slice(&t.view.to_be_bytes());
            out.extend_from_slice(&t.sequence.to_be_bytes());
            put_addr(&t.prefix_addr, out);
            out.push(t.prefix_len);
            out.push(t.status);
            out.extend_from_slice(&t.originated.to_be_bytes());
            // Both addresses have the family of the subtype (§4.2).
            match (&t.prefix_addr, &t.peer_ip) {
                (IpAddr::V6(_), IpAddr::V4(a)) => {
                    out.extend_from_slice(&a.to_ipv6_mapped().octets())
                }
                (IpAddr::V4(_), IpAddr::V6(a)) => {
                    out.extend_from_slice(&a.to_ipv4().unwrap_or(Ipv4Addr::UNSPECIFIED).octets())
                }
                (_, a) => put_addr(a, out),
            }
            out.extend_from_slice(&t.peer_as.to_be_bytes());
            out.extend_from_slice(&(t.attributes.len() as u16).to_be_bytes());
            out.extend_from_slice(&t.attributes);
        }
        Record::PeerIndexTable(p) => {
            out.extend_from_slice(&p.collector_id.octets());
            out.extend_from_slice(&(p.view_name.len() as u16).to_be_bytes());
            out.extend_from_slice(&p.view_name);
            out.extend_from_slice(&(p.peers.len() as u16).to_be_bytes());
            for peer in &p.peers {
                out.push(peer.peer_type);
                out.extend_from_slice(&peer.bgp_id.octets());
                match (peer.peer_type & 1 != 0, &peer.ip) {
                    (true, IpAddr::V4(a)) => out.extend_from_slice(&a.to_ipv6_mapped().octets()),
                    (false, IpAddr::V6(a)) => out
                        .extend_from_slice(&a.to_ipv4().unwrap_or(Ipv4Addr::UNSPECIFIED).octets()),
                    (_, a) => put_addr(a, out),
                }
                put_asn(peer.asn, peer.peer_type & 2 != 0, out);
            }
        }
        Record::Rib(r) => {
            out.extend_from_slice(&r.sequence.to_be_bytes());
            if r.generic {
                out.extend_from_slice(&r.family.afi.0.to_be_bytes());
                out.push(r.family.safi.0);
            }
            r.nlri.encode(out);
            out.extend_from_slice(&(r.entries.len() as u16).to_be_bytes());
            for e in &r.entries {
                out.extend_from_slice(&e.peer_index.to_be_bytes());
                out.extend_from_slice(&e.originated.to_be_bytes());
                if r.add_path {
                    out.extend_from_slice(&e.path_id.unwrap_or(0).to_be_bytes());
                }
                out.extend_from_slice(&(e.attributes.len() as u16).to_be_bytes());
                out.extend_from_slice(&e.attributes);
            }
        }
        Record::Bgp4mpMessage(m) => {
            put_asn(m.peer_as, m.as4, out);
            put_asn(m.local_as, m.as4, out);
            out.extend_from_slice(&m.interface_index.to_be_bytes());
            out.extend_from_slice(&afi_of(&m.peer_ip).to_be_bytes());
            put_addr(&m.peer_ip, out);
            put_same_family(&m.peer_ip, &m.local_ip, out);
            out.extend_from_slice(&m.message);
        }
        Record::Bgp4mpStateChange(s) => {
            put_asn(s.peer_as, s.as4, out);
            put_asn(s.local_as, s.as4, out);
            out.extend_from_slice(&s.interface_index.to_be_bytes());
            out.extend_from_slice(&afi_of(&s.peer_ip).to_be_bytes());
            put_addr(&s.peer_ip, out);
            put_same_family(&s.peer_ip, &s.local_ip, out);
            out.extend_from_slice(&s.old_state.to_be_bytes());
            out.extend_from_slice(&s.new_state.to_be_bytes());
        }
        Record::Other { body, .. } => out.extend_from_slice(body),
    }
}

/// The local address in the peer's family (one AFI field covers both,
/// RFC 6396 §4.4.1).
fn put_same_family(peer: &IpAddr, local: &IpAddr, out: &mut Vec<u8>) {
    match (peer, local) {
        (IpAddr::V6(_), IpAddr::V4(a)) => out.extend_from_slice(&a.to_ipv6_mapped().octets()),
        (IpAddr::V4(_), IpAddr::V6(a)) => {
            out.extend_from_slice(&a.to_ipv4().unwrap_or(Ipv4Addr::UNSPECIFIED).octets())
        }
        (_, a) => put_addr(a, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(rec: MrtRecord) {
        let mut b = Vec::new();
        rec.encode(&mut b);
        let mut rd = crate::io::Reader::new(&b[..]);
        let raw = rd.next().unwrap().unwrap();
        assert_eq!(raw.header.length as usize, b.len() - 12);
        let back = raw.decode().unwrap();
        assert_eq!(back, rec);
        let mut b2 = Vec::new();
        back.encode(&mut b2);
        assert_eq!(b, b2);
    }

    #[test]
    fn state_change_et_roundtrip() {
        roundtrip(MrtRecord {
            timestamp: 1_445_565_660,
            microseconds: Some(123_456),
            body: Record::Bgp4mpStateChange(Bgp4mpStateChange {
                as4: true,
                peer_as: 4_200_000_000,
                local_as: 65000,
                interface_index: 0,
                peer_ip: "2001:db8::1".parse().unwrap(),
                local_ip: "2001:db8::2".parse().unwrap(),
                old_state: 1,
                new_state: 6,
            }),
        });
    }

    #[test]
    fn rib_generic_and_peer_index_roundtrip() {
        roundtrip(MrtRecord {
            timestamp: 1,
            microseconds: None,
            body: Record::PeerIndexTable(PeerIndexTable {
                collector_id: "192.0.2.1".parse().unwrap(),
                view_name: b"v".to_vec(),
                peers: vec![
                    Peer::new(
                        "1.1.1.1".parse().unwrap(),
                        "10.0.0.1".parse().unwrap(),
                        65001,
                    ),
                    Peer::new(
                        "2.2.2.2".parse().unwrap(),
                        "2001:db8::9".parse().unwrap(),
                        70000,
                    ),
                ],
            }),
        });
        let p: rbgp_wire::Prefix = "10.1.0.0/16".parse().unwrap();
        roundtrip(MrtRecord {
            timestamp: 2,
            microseconds: None,
            body: Record::Rib(Rib {
                sequence: 7,
                family: AfiSafi::IPV4_UNICAST,
                generic: false,
                add_path: true,
                nlri: Nlri::Prefix(p),
                entries: vec![RibEntry {
                    peer_index: 1,
                    originated: 3,
                    path_id: Some(9),
                    attributes: vec![0x40, 1, 1, 0],
                }],
            }),
        });
    }

    #[test]
    fn rib_generic_of_an_unparsed_family_is_kept_raw() {
        // AFI 1, SAFI 73 (SR policy): no NLRI decoder, so the record stays raw.
        let raw = RawRecord {
            header: Header {
                mrt_type: mrt_type::TABLE_DUMP_V2,
                subtype: td2::RIB_GENERIC,
                ..Header::default()
            },
            body: vec![0, 0, 0, 1, 0, 1, 73, 9, 9, 9],
        };
        let rec = raw.decode().unwrap();
        assert!(matches!(rec.body, Record::Other { subtype: 6, .. }));
        assert_eq!(rec.to_raw().body, raw.body);
    }

    #[test]
    fn truncated_body_is_an_error_not_a_panic() {
        let raw = RawRecord {
            header: Header {
                mrt_type: mrt_type::TABLE_DUMP_V2,
                subtype: td2::RIB_IPV6_UNICAST,
                ..Header::default()
            },
            body: vec![0, 0, 0, 1, 64, 0x20],
        };
        assert!(raw.decode().is_err());
    }
}
