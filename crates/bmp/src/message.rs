//! The seven BMP message types (RFC 7854 §4), decoded and encoded.
//!
//! Decoding here is stateless: a Route Monitoring keeps its BGP UPDATE as
//! bytes because reading it needs what the peer's session negotiated
//! (4-octet AS, ADD-PATH); [`crate::session::BmpSession`] supplies that.
//! Everything else (OPENs, NOTIFICATIONs) is decoded with `rbgp-wire`.

use std::net::IpAddr;

use rbgp_wire::message::{frame_len, MessageType as BgpType, HEADER_LEN};
use rbgp_wire::reader::Reader;
use rbgp_wire::{Context, Decoded, Message, MessageError, Notification, Open, Update};

use crate::error::BmpError;
use crate::header::{
    addr16, addr_bytes, CommonHeader, MessageType, PeerHeader, VERSION, VERSION_4,
};
use crate::stats::Stat;
use crate::tlv::Tlv;

/// One BMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
pub enum BmpMessage {
    RouteMonitoring(RouteMonitoring),
    StatisticsReport(StatisticsReport),
    PeerDown(PeerDown),
    PeerUp(PeerUp),
    Initiation(Initiation),
    Termination(Termination),
    RouteMirroring(RouteMirroring),
    /// A message type this decoder does not know (experimental 251-254,
    /// unassigned), kept as its body.
    Unknown {
        msg_type: u8,
        #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_hex"))]
        body: Vec<u8>,
    },
}

/// RFC 7854 §4.6: the per-peer header and one BGP UPDATE (header included).
///
/// A BMP v4 message (draft-ietf-grow-bmp-tlv §4) carries the UPDATE in a
/// BGP Message TLV among other TLVs; `tlvs` then holds all of them in
/// order (the BGP Message TLV's value is `pdu`, kept in sync on encode)
/// and the message is encoded as version 4. Empty `tlvs`: version 3.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RouteMonitoring {
    pub peer: PeerHeader,
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_hex"))]
    pub pdu: Vec<u8>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub tlvs: Vec<IndexedTlv>,
    /// Octets after a whole UPDATE in a version 3 message: RFC 7854 §4.6
    /// defines none, but some routers append vendor TLVs there. The
    /// UPDATE is still read; the octets are kept so the message
    /// re-encodes unchanged, and [`crate::session::BmpSession`] warns.
    #[cfg_attr(
        feature = "serde",
        serde(
            skip_serializing_if = "Vec::is_empty",
            serialize_with = "crate::ser_hex"
        )
    )]
    pub trailing: Vec<u8>,
}

/// A BMP v4 Route Monitoring TLV (draft-ietf-grow-bmp-tlv §4.2): type
/// (2), length (2, of the value), index (2), value. The index ties the
/// TLV to an NLRI of the UPDATE (or, with the high bit, to a group).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct IndexedTlv {
    pub ty: u16,
    pub index: u16,
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_hex"))]
    pub value: Vec<u8>,
}

/// draft-ietf-grow-bmp-tlv Route Monitoring TLV types.
pub mod v4 {
    /// Stateless parsing: a BGP capability saying how to read the PDU.
    pub const STATELESS_PARSING: u16 = 1;
    /// Group: the indexes of NLRI that share the TLVs with this index.
    pub const GROUP: u16 = 2;
    /// VRF/Table name.
    pub const VRF_TABLE_NAME: u16 = 3;
    /// The BGP UPDATE PDU.
    pub const BGP_MESSAGE: u16 = 4;
    /// Path status (draft-ietf-grow-bmp-path-marking-tlv).
    pub const PATH_MARKING: u16 = 5;
}

impl IndexedTlv {
    fn decode_all(buf: &[u8]) -> Result<Vec<IndexedTlv>, BmpError> {
        let mut r = Reader::new(buf, "BMP v4 Route Monitoring TLV");
        let mut v = Vec::new();
        while !r.is_empty() {
            let ty = r.u16()?;
            let len = usize::from(r.u16()?);
            let index = r.u16()?;
            v.push(IndexedTlv {
                ty,
                index,
                value: r.take(len)?.to_vec(),
            });
        }
        Ok(v)
    }

    fn encode(&self, value: &[u8], out: &mut Vec<u8>) {
        let v = value
            .get(..value.len().min(usize::from(u16::MAX)))
            .unwrap_or_default();
        out.extend_from_slice(&self.ty.to_be_bytes());
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(v);
    }
}

/// RFC 7854 §4.8.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct StatisticsReport {
    pub peer: PeerHeader,
    pub stats: Vec<Stat>,
}

/// RFC 7854 §4.9.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PeerDown {
    pub peer: PeerHeader,
    pub reason: PeerDownReason,
}

/// RFC 7854 §4.9 reasons 1-5, RFC 9069 §5.3 reason 6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerDownReason {
    /// 1: the local system closed the session and sent this NOTIFICATION.
    LocalNotification(Notification),
    /// 2: the local system closed the session without a NOTIFICATION; the
    /// FSM event that caused it (RFC 4271 §8.1).
    LocalNoNotification { fsm_event: u16 },
    /// 3: the remote system closed the session with this NOTIFICATION.
    RemoteNotification(Notification),
    /// 4: the remote system closed the session without a NOTIFICATION.
    RemoteNoNotification,
    /// 5: the peer was de-configured; no data.
    Deconfigured,
    /// 6 (RFC 9069 §5.3): local system closed, information TLVs follow
    /// (e.g. the VRF/Table name of a Loc-RIB instance).
    LocalTlvs(Vec<Tlv>),
    /// Another reason code, with its data.
    Other { code: u8, data: Vec<u8> },
}

impl PeerDownReason {
    pub fn code(&self) -> u8 {
        match self {
            PeerDownReason::LocalNotification(_) => 1,
            PeerDownReason::LocalNoNotification { .. } => 2,
            PeerDownReason::RemoteNotification(_) => 3,
            PeerDownReason::RemoteNoNotification => 4,
            PeerDownReason::Deconfigured => 5,
            PeerDownReason::LocalTlvs(_) => 6,
            PeerDownReason::Other { code, .. } => *code,
        }
    }
    pub fn name(&self) -> &'static str {
        match self.code() {
            1 => "local_notification",
            2 => "local_no_notification",
            3 => "remote_notification",
            4 => "remote_no_notification",
            5 => "peer_deconfigured",
            6 => "local_tlv",
            _ => "unknown",
        }
    }
}

/// RFC 7854 §4.10.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PeerUp {
    pub peer: PeerHeader,
    pub local_address: IpAddr,
    pub local_port: u16,
    pub remote_port: u16,
    /// The OPEN the monitored router sent to the peer.
    pub sent_open: Open,
    /// The OPEN the monitored router received from the peer.
    pub received_open: Open,
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_peer_tlvs"))]
    pub information: Vec<Tlv>,
}

/// RFC 7854 §4.3.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Initiation {
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_init_tlvs"))]
    pub information: Vec<Tlv>,
}

/// RFC 7854 §4.5.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Termination {
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_term_tlvs"))]
    pub information: Vec<Tlv>,
}

/// RFC 7854 §4.7.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RouteMirroring {
    pub peer: PeerHeader,
    pub tlvs: Vec<MirrorTlv>,
}

/// RFC 7854 §4.7 Route Mirroring TLVs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MirrorTlv {
    /// Type 0: a BGP PDU, kept as bytes: it may be the errored PDU that
    /// the router could not parse (information code 0).
    BgpMessage(#[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_hex"))] Vec<u8>),
    /// Type 1: 0 = errored PDU, 1 = messages lost.
    Information(u16),
    Other {
        ty: u16,
        #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_hex"))]
        value: Vec<u8>,
    },
}

pub const MIRROR_BGP_MESSAGE: u16 = 0;
pub const MIRROR_INFORMATION: u16 = 1;

/// A context that reads any OPEN/NOTIFICATION: their sizes do not depend
/// on the session, and the BMP length already bounds them.
fn lenient() -> Context {
    Context::default().with_extended_message(true)
}

/// Length of the BGP message at the start of `buf` (header checked).
fn bgp_len(buf: &[u8], what: &'static str) -> Result<usize, BmpError> {
    match frame_len(buf, &lenient()) {
        Ok(Some(n)) if n <= buf.len() => Ok(n),
        Ok(_) => Err(BmpError::Wire(rbgp_wire::WireError::Truncated {
            what,
            offset: 0,
            need: HEADER_LEN,
            have: buf.len(),
        })),
        Err(e) => Err(BmpError::bgp(what, e)),
    }
}

fn bgp_type(pdu: &[u8]) -> u8 {
    pdu.get(18).copied().unwrap_or(0)
}

fn decode_open(pdu: &[u8], what: &'static str) -> Result<Open, BmpError> {
    match Message::decode(pdu, &lenient()) {
        Ok(Decoded {
            message: Message::Open(o),
            ..
        }) => Ok(o),
        Ok(_) => Err(BmpError::BgpType {
            what,
            expected: "OPEN",
            found: bgp_type(pdu),
        }),
        Err(e) => Err(BmpError::bgp(what, e)),
    }
}

fn decode_notification(pdu: &[u8], what: &'static str) -> Result<Notification, BmpError> {
    let n = bgp_len(pdu, what)?;
    if n != pdu.len() {
        return Err(rbgp_wire::WireError::Trailing {
            what,
            extra: pdu.len() - n,
        }
        .into());
    }
    match Message::decode(pdu, &lenient()) {
        Ok(Decoded {
            message: Message::Notification(x),
            ..
        }) => Ok(x),
        Ok(_) => Err(BmpError::BgpType {
            what,
            expected: "NOTIFICATION",
            found: bgp_type(pdu),
        }),
        Err(e) => Err(BmpError::bgp(what, e)),
    }
}

impl RouteMonitoring {
    /// Wrap an UPDATE encoded for `ctx` (the context of the direction the
    /// peer header names: Adj-RIB-In or, with the O flag, Adj-RIB-Out).
    pub fn new(peer: PeerHeader, update: &Update, ctx: &Context) -> Self {
        RouteMonitoring {
            peer,
            pdu: Message::Update(update.clone()).to_bytes(ctx),
            tlvs: Vec::new(),
            trailing: Vec::new(),
        }
    }

    /// BMP v4 stateless parsing TLVs (draft-ietf-grow-bmp-tlv §4.3): the
    /// capabilities they carry, which say how to read the PDU without
    /// the Peer Up.
    pub fn stateless_capabilities(&self) -> Vec<rbgp_wire::Capability> {
        let mut caps = Vec::new();
        for t in self.tlvs.iter().filter(|t| t.ty == v4::STATELESS_PARSING) {
            let mut r = Reader::new(&t.value, "stateless parsing TLV");
            while let (Ok(code), Ok(len)) = (r.u8(), r.u8()) {
                match r.take(usize::from(len)) {
                    Ok(v) => caps.push(rbgp_wire::Capability::decode(code, v)),
                    Err(_) => break,
                }
            }
        }
        caps
    }

    /// Decode the UPDATE with a session context. BMP frames the PDU, so
    /// the RFC 8654 size limit is not what delimits it here: a PDU above
    /// 4096 octets is read whatever `ctx.extended_message` says.
    pub fn decode_update(&self, ctx: &Context) -> Result<Decoded, MessageError> {
        if self.pdu.len() > ctx.max_message_len() {
            let big = ctx.clone().with_extended_message(true);
            return Message::decode(&self.pdu, &big);
        }
        Message::decode(&self.pdu, ctx)
    }
}

impl BmpMessage {
    pub fn msg_type(&self) -> MessageType {
        MessageType(match self {
            BmpMessage::RouteMonitoring(_) => 0,
            BmpMessage::StatisticsReport(_) => 1,
            BmpMessage::PeerDown(_) => 2,
            BmpMessage::PeerUp(_) => 3,
            BmpMessage::Initiation(_) => 4,
            BmpMessage::Termination(_) => 5,
            BmpMessage::RouteMirroring(_) => 6,
            BmpMessage::Unknown { msg_type, .. } => *msg_type,
        })
    }

    pub fn peer(&self) -> Option<&PeerHeader> {
        match self {
            BmpMessage::RouteMonitoring(m) => Some(&m.peer),
            BmpMessage::StatisticsReport(m) => Some(&m.peer),
            BmpMessage::PeerDown(m) => Some(&m.peer),
            BmpMessage::PeerUp(m) => Some(&m.peer),
            BmpMessage::RouteMirroring(m) => Some(&m.peer),
            _ => None,
        }
    }

    /// Decode the first message of `buf`; returns it and the octets used.
    pub fn decode(buf: &[u8]) -> Result<(BmpMessage, usize), BmpError> {
        let Some(h) = CommonHeader::peek(buf)? else {
            return Err(rbgp_wire::WireError::Truncated {
                what: "BMP common header",
                offset: 0,
                need: crate::header::COMMON_HEADER_LEN,
                have: buf.len(),
            }
            .into());
        };
        let len = h.length as usize;
        let mut r = Reader::new(buf, "BMP message");
        let whole = r.take(len)?;
        let body = whole
            .get(crate::header::COMMON_HEADER_LEN..)
            .unwrap_or_default();
        Ok((Self::decode_body_v(h.version, h.msg_type, body)?, len))
    }

    /// Decode a version 3 message body (after the common header) of type `t`.
    pub fn decode_body(t: MessageType, body: &[u8]) -> Result<BmpMessage, BmpError> {
        Self::decode_body_v(VERSION, t, body)
    }

    /// Decode a message body of BMP `version` (3, or 4 whose Route
    /// Monitoring carries TLVs) and type `t`.
    pub fn decode_body_v(version: u8, t: MessageType, body: &[u8]) -> Result<BmpMessage, BmpError> {
        let what = t.name_static();
        let mut r = Reader::new(body, what);
        Ok(match t.0 {
            0 => {
                let peer = PeerHeader::decode(&mut r)?;
                let (pdu, tlvs) = if version == VERSION_4 {
                    let tlvs = IndexedTlv::decode_all(r.rest())?;
                    let mut msgs = tlvs.iter().filter(|t| t.ty == v4::BGP_MESSAGE);
                    let (Some(m), None) = (msgs.next(), msgs.next()) else {
                        return Err(rbgp_wire::WireError::Malformed {
                            what: "BMP v4 Route Monitoring",
                            detail: "needs exactly one BGP Message TLV".into(),
                        }
                        .into());
                    };
                    (m.value.clone(), tlvs)
                } else {
                    (r.rest().to_vec(), Vec::new())
                };
                let n = bgp_len(&pdu, "Route Monitoring")?;
                let mut pdu = pdu;
                let mut trailing = Vec::new();
                if n != pdu.len() {
                    if !tlvs.is_empty() {
                        return Err(rbgp_wire::WireError::Trailing {
                            what: "Route Monitoring",
                            extra: pdu.len() - n,
                        }
                        .into());
                    }
                    trailing = pdu.split_off(n);
                }
                let pdu = pdu.as_slice();
                if bgp_type(pdu) != BgpType::Update as u8 {
                    return Err(BmpError::BgpType {
                        what: "Route Monitoring",
                        expected: "UPDATE",
                        found: bgp_type(pdu),
                    });
                }
                BmpMessage::RouteMonitoring(RouteMonitoring {
                    peer,
                    pdu: pdu.to_vec(),
                    tlvs,
                    trailing,
                })
            }
            1 => {
                let peer = PeerHeader::decode(&mut r)?;
                let count = r.u32()?;
                let mut stats = Vec::new();
                for _ in 0..count {
                    stats.push(Stat::decode(&mut r)?);
                }
                r.finish()?;
                BmpMessage::StatisticsReport(StatisticsReport { peer, stats })
            }
            2 => {
                let peer = PeerHeader::decode(&mut r)?;
                let code = r.u8()?;
                let data = r.rest();
                let reason = match code {
                    1 => PeerDownReason::LocalNotification(decode_notification(data, "Peer Down")?),
                    2 => {
                        let mut d = Reader::new(data, "Peer Down FSM event");
                        let fsm_event = d.u16()?;
                        d.finish()?;
                        PeerDownReason::LocalNoNotification { fsm_event }
                    }
                    3 => {
                        PeerDownReason::RemoteNotification(decode_notification(data, "Peer Down")?)
                    }
                    4 | 5 => {
                        Reader::new(data, "Peer Down (no data)").finish()?;
                        if code == 4 {
                            PeerDownReason::RemoteNoNotification
                        } else {
                            PeerDownReason::Deconfigured
                        }
                    }
                    6 => PeerDownReason::LocalTlvs(Tlv::decode_all(data, "Peer Down TLVs")?),
                    _ => PeerDownReason::Other {
                        code,
                        data: data.to_vec(),
                    },
                };
                BmpMessage::PeerDown(PeerDown { peer, reason })
            }
            3 => {
                let peer = PeerHeader::decode(&mut r)?;
                let raw: [u8; 16] = r.array()?;
                // §4.10: IPv4 local addresses have the first 12 octets zero.
                // The peer's V flag says which family the session uses;
                // Loc-RIB peers (RFC 9069 §5.2) send zeros.
                let v6 = peer.is_ipv6() || raw.get(..12).is_some_and(|p| p.iter().any(|b| *b != 0));
                let local_address = addr16(raw, v6);
                let local_port = r.u16()?;
                let remote_port = r.u16()?;
                let rest = r.peek_rest();
                let n = bgp_len(rest, "Peer Up sent OPEN")?;
                let sent_open = decode_open(r.take(n)?, "Peer Up sent OPEN")?;
                let rest = r.peek_rest();
                let n = bgp_len(rest, "Peer Up received OPEN")?;
                let received_open = decode_open(r.take(n)?, "Peer Up received OPEN")?;
                let information = Tlv::decode_all(r.rest(), "Peer Up information")?;
                BmpMessage::PeerUp(PeerUp {
                    peer,
                    local_address,
                    local_port,
                    remote_port,
                    sent_open,
                    received_open,
                    information,
                })
            }
            4 => BmpMessage::Initiation(Initiation {
                information: Tlv::decode_all(r.rest(), "Initiation")?,
            }),
            5 => BmpMessage::Termination(Termination {
                information: Tlv::decode_all(r.rest(), "Termination")?,
            }),
            6 => {
                let peer = PeerHeader::decode(&mut r)?;
                let mut tlvs = Vec::new();
                for t in Tlv::decode_all(r.rest(), "Route Mirroring")? {
                    tlvs.push(match (t.ty, t.u16()) {
                        (MIRROR_BGP_MESSAGE, _) => MirrorTlv::BgpMessage(t.value),
                        (MIRROR_INFORMATION, Some(c)) => MirrorTlv::Information(c),
                        _ => MirrorTlv::Other {
                            ty: t.ty,
                            value: t.value,
                        },
                    });
                }
                BmpMessage::RouteMirroring(RouteMirroring { peer, tlvs })
            }
            other => BmpMessage::Unknown {
                msg_type: other,
                body: body.to_vec(),
            },
        })
    }

    /// Append the encoded message (common header included).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        let v4 = matches!(self, BmpMessage::RouteMonitoring(m) if !m.tlvs.is_empty());
        CommonHeader {
            version: if v4 { VERSION_4 } else { VERSION },
            length: 0,
            msg_type: self.msg_type(),
        }
        .encode(out);
        if let Some(p) = self.peer() {
            p.encode(out);
        }
        let open_bytes = |o: &Open| Message::Open(o.clone()).to_bytes(&lenient());
        match self {
            BmpMessage::RouteMonitoring(m) if m.tlvs.is_empty() => {
                out.extend_from_slice(&m.pdu);
                out.extend_from_slice(&m.trailing);
            }
            BmpMessage::RouteMonitoring(m) => {
                for t in &m.tlvs {
                    let v = if t.ty == v4::BGP_MESSAGE {
                        &m.pdu
                    } else {
                        &t.value
                    };
                    t.encode(v, out);
                }
            }
            BmpMessage::StatisticsReport(m) => {
                out.extend_from_slice(&(m.stats.len() as u32).to_be_bytes());
                for s in &m.stats {
                    s.encode(out);
                }
            }
            BmpMessage::PeerDown(m) => {
                out.push(m.reason.code());
                match &m.reason {
                    PeerDownReason::LocalNotification(n)
                    | PeerDownReason::RemoteNotification(n) => {
                        Message::Notification(n.clone()).encode(&lenient(), out)
                    }
                    PeerDownReason::LocalNoNotification { fsm_event } => {
                        out.extend_from_slice(&fsm_event.to_be_bytes())
                    }
                    PeerDownReason::RemoteNoNotification | PeerDownReason::Deconfigured => {}
                    PeerDownReason::LocalTlvs(t) => Tlv::encode_all(t, out),
                    PeerDownReason::Other { data, .. } => out.extend_from_slice(data),
                }
            }
            BmpMessage::PeerUp(m) => {
                out.extend_from_slice(&addr_bytes(m.local_address));
                out.extend_from_slice(&m.local_port.to_be_bytes());
                out.extend_from_slice(&m.remote_port.to_be_bytes());
                out.extend_from_slice(&open_bytes(&m.sent_open));
                out.extend_from_slice(&open_bytes(&m.received_open));
                Tlv::encode_all(&m.information, out);
            }
            BmpMessage::Initiation(m) => Tlv::encode_all(&m.information, out),
            BmpMessage::Termination(m) => Tlv::encode_all(&m.information, out),
            BmpMessage::RouteMirroring(m) => {
                for t in &m.tlvs {
                    match t {
                        MirrorTlv::BgpMessage(b) => Tlv::new(MIRROR_BGP_MESSAGE, b.clone()),
                        MirrorTlv::Information(c) => {
                            Tlv::new(MIRROR_INFORMATION, c.to_be_bytes().to_vec())
                        }
                        MirrorTlv::Other { ty, value } => Tlv::new(*ty, value.clone()),
                    }
                    .encode(out);
                }
            }
            BmpMessage::Unknown { body, .. } => out.extend_from_slice(body),
        }
        let len = (out.len() - start) as u32;
        if let Some(l) = out.get_mut(start + 1..start + 5) {
            l.copy_from_slice(&len.to_be_bytes());
        }
    }

    /// Append a version 3 Route Monitoring of `pdu` (a whole BGP UPDATE)
    /// from borrowed parts: what [`BmpMessage::encode`] writes for a
    /// [`RouteMonitoring`] without TLVs, without building one (an exporter
    /// writes one per packed UPDATE).
    pub fn encode_route_monitoring(peer: &PeerHeader, pdu: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        CommonHeader {
            version: VERSION,
            length: 0,
            msg_type: MessageType::ROUTE_MONITORING,
        }
        .encode(out);
        peer.encode(out);
        out.extend_from_slice(pdu);
        let len = (out.len() - start) as u32;
        if let Some(l) = out.get_mut(start + 1..start + 5) {
            l.copy_from_slice(&len.to_be_bytes());
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }
}

impl MessageType {
    fn name_static(self) -> &'static str {
        match self.0 {
            0 => "Route Monitoring",
            1 => "Statistics Report",
            2 => "Peer Down",
            3 => "Peer Up",
            4 => "Initiation",
            5 => "Termination",
            6 => "Route Mirroring",
            _ => "BMP message",
        }
    }
}

#[cfg(feature = "serde")]
fn ser_init_tlvs<S: serde::Serializer>(t: &[Tlv], s: S) -> Result<S::Ok, S::Error> {
    crate::tlv::tlvs_json(t, crate::tlv::TlvContext::Initiation, s)
}
#[cfg(feature = "serde")]
fn ser_term_tlvs<S: serde::Serializer>(t: &[Tlv], s: S) -> Result<S::Ok, S::Error> {
    crate::tlv::tlvs_json(t, crate::tlv::TlvContext::Termination, s)
}
#[cfg(feature = "serde")]
fn ser_peer_tlvs<S: serde::Serializer>(t: &[Tlv], s: S) -> Result<S::Ok, S::Error> {
    crate::tlv::tlvs_json(t, crate::tlv::TlvContext::Peer, s)
}

#[cfg(feature = "serde")]
impl serde::Serialize for PeerDownReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct PeerTlvs<'a>(&'a [Tlv]);
        impl serde::Serialize for PeerTlvs<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                ser_peer_tlvs(self.0, s)
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", &self.code())?;
        m.serialize_entry("name", self.name())?;
        match self {
            PeerDownReason::LocalNotification(n) | PeerDownReason::RemoteNotification(n) => {
                m.serialize_entry("notification", n)?;
                m.serialize_entry("notification_name", n.code_name())?;
                m.serialize_entry("notification_subcode_name", n.subcode_name())?;
            }
            PeerDownReason::LocalNoNotification { fsm_event } => {
                m.serialize_entry("fsm_event", fsm_event)?
            }
            PeerDownReason::LocalTlvs(t) => m.serialize_entry("information", &PeerTlvs(t))?,
            PeerDownReason::Other { data, .. } => m.serialize_entry("hex", &crate::hex(data))?,
            PeerDownReason::RemoteNoNotification | PeerDownReason::Deconfigured => {}
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowed writer and the message's own encoding agree.
    #[test]
    fn route_monitoring_from_parts_is_the_message() {
        let peer = PeerHeader::new(
            "192.0.2.1".parse().unwrap(),
            65001,
            "192.0.2.1".parse().unwrap(),
            1_700_000_000,
        )
        .with_post_policy(true)
        .with_adj_rib_out(true);
        let pdu = Message::Keepalive.to_bytes(&Context::default());
        let m = BmpMessage::RouteMonitoring(RouteMonitoring {
            peer,
            pdu: pdu.clone(),
            tlvs: Vec::new(),
            trailing: Vec::new(),
        });
        let mut parts = vec![0xaa];
        BmpMessage::encode_route_monitoring(&peer, &pdu, &mut parts);
        let mut whole = vec![0xaa];
        m.encode(&mut whole);
        assert_eq!(parts, whole);
        assert_eq!(whole.len(), 1 + 6 + 42 + pdu.len());
    }
}
