//! The common header (RFC 7854 §4.1) and the per-peer header (RFC 7854
//! §4.2, peer flags of RFC 8671 §4 and RFC 9069 §4.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rbgp_wire::nlri::rd::RouteDistinguisher;
use rbgp_wire::reader::Reader;

use crate::error::BmpError;

/// RFC 7854 §4.1.
pub const VERSION: u8 = 3;
/// draft-ietf-grow-bmp-tlv ("BMP v4"): Route Monitoring carries TLVs
/// around the BGP PDU; the other messages keep their version 3 layout.
pub const VERSION_4: u8 = 4;
/// Version (1) + message length (4) + message type (1).
pub const COMMON_HEADER_LEN: usize = 6;
/// RFC 7854 §4.2: 1 + 1 + 8 + 16 + 4 + 4 + 4 + 4.
pub const PEER_HEADER_LEN: usize = 42;
/// Largest message we accept. The length field is 32 bits, but the largest
/// real message is a Peer Up with two RFC 8654 OPENs (2 x 65535) plus
/// TLVs; a cap keeps a corrupt length from making a reader buffer gigabytes
/// and gives the stream framer something to resynchronise on.
pub const MAX_MESSAGE_LEN: u32 = 1 << 20;

/// RFC 7854 §4.1 (IANA "BMP Message Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType(pub u8);

impl MessageType {
    pub const ROUTE_MONITORING: MessageType = MessageType(0);
    pub const STATISTICS_REPORT: MessageType = MessageType(1);
    pub const PEER_DOWN: MessageType = MessageType(2);
    pub const PEER_UP: MessageType = MessageType(3);
    pub const INITIATION: MessageType = MessageType(4);
    pub const TERMINATION: MessageType = MessageType(5);
    pub const ROUTE_MIRRORING: MessageType = MessageType(6);

    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "route_monitoring",
            1 => "statistics_report",
            2 => "peer_down",
            3 => "peer_up",
            4 => "initiation",
            5 => "termination",
            6 => "route_mirroring",
            251..=254 => "experimental",
            _ => "unknown",
        }
    }

    /// Smallest body for this type: the per-peer header plus the fixed
    /// fields after it. Used to reject and to resynchronise.
    pub fn min_body_len(self) -> usize {
        match self.0 {
            // per-peer header + UPDATE header
            0 => PEER_HEADER_LEN + 19,
            // per-peer header + stats count
            1 => PEER_HEADER_LEN + 4,
            // per-peer header + reason
            2 => PEER_HEADER_LEN + 1,
            // per-peer header + local address, ports, two OPENs (29 octets each)
            3 => PEER_HEADER_LEN + 20 + 2 * 29,
            4 | 5 => 0,
            6 => PEER_HEADER_LEN,
            _ => 0,
        }
    }

    /// Does a message of this type start with a per-peer header?
    pub fn has_peer_header(self) -> bool {
        matches!(self.0, 0 | 1 | 2 | 3 | 6)
    }
}

/// The common header of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommonHeader {
    pub version: u8,
    /// Whole message, common header included.
    pub length: u32,
    pub msg_type: MessageType,
}

impl CommonHeader {
    /// Read the common header at the start of `buf`. `Ok(None)`: fewer
    /// than 6 octets. Errors for a version other than 3 and for lengths
    /// below the type's minimum or above [`MAX_MESSAGE_LEN`].
    pub fn peek(buf: &[u8]) -> Result<Option<CommonHeader>, BmpError> {
        let Some(head) = buf.get(..COMMON_HEADER_LEN) else {
            return Ok(None);
        };
        let mut r = Reader::new(head, "BMP common header");
        let version = r.u8()?;
        let length = r.u32()?;
        let msg_type = MessageType(r.u8()?);
        if version != VERSION && version != VERSION_4 {
            return Err(BmpError::Version(version));
        }
        let min = COMMON_HEADER_LEN + msg_type.min_body_len();
        if (length as usize) < min || length > MAX_MESSAGE_LEN {
            return Err(BmpError::Length(length));
        }
        Ok(Some(CommonHeader {
            version,
            length,
            msg_type,
        }))
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.version);
        out.extend_from_slice(&self.length.to_be_bytes());
        out.push(self.msg_type.0);
    }
}

/// RFC 7854 §4.2 peer types, RFC 9069 §4.1 Loc-RIB instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct PeerType(pub u8);

impl PeerType {
    pub const GLOBAL: PeerType = PeerType(0);
    pub const RD_INSTANCE: PeerType = PeerType(1);
    pub const LOCAL_INSTANCE: PeerType = PeerType(2);
    pub const LOC_RIB: PeerType = PeerType(3);

    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "global_instance",
            1 => "rd_instance",
            2 => "local_instance",
            3 => "loc_rib_instance",
            251..=254 => "experimental",
            _ => "unknown",
        }
    }
}

/// The peer flags octet, kept as received (unknown bits included).
///
/// For peer types 0-2 (RFC 7854 §4.2, RFC 8671 §4): V (IPv6 peer address),
/// L (post-policy), A (2-octet AS_PATH), O (Adj-RIB-Out). For the Loc-RIB
/// peer type 3 (RFC 9069 §4.2) the only flag is F (filtered), in V's bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PeerFlags(pub u8);

impl PeerFlags {
    pub const V: u8 = 0x80;
    pub const L: u8 = 0x40;
    pub const A: u8 = 0x20;
    pub const O: u8 = 0x10;
    /// RFC 9069 §4.2: Loc-RIB is filtered (peer type 3 only).
    pub const F: u8 = 0x80;

    fn bit(self, b: u8) -> bool {
        self.0 & b != 0
    }
    fn with(self, b: u8, yes: bool) -> Self {
        PeerFlags(if yes { self.0 | b } else { self.0 & !b })
    }
}

/// The per-peer header (RFC 7854 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerHeader {
    pub peer_type: PeerType,
    pub flags: PeerFlags,
    /// Peer distinguisher: the RD of an RD-instance peer, a local
    /// identifier for local-instance and Loc-RIB peers, zero otherwise.
    pub distinguisher: RouteDistinguisher,
    /// The peer's address; for Loc-RIB peers (RFC 9069 §4.1) zero.
    pub address: IpAddr,
    pub asn: u32,
    pub bgp_id: Ipv4Addr,
    /// When the encapsulated message was received or the event happened
    /// (zero when the router does not say).
    pub timestamp_sec: u32,
    pub timestamp_usec: u32,
}

impl PeerHeader {
    /// A global-instance, pre-policy, Adj-RIB-In header; V follows `address`.
    pub fn new(address: IpAddr, asn: u32, bgp_id: Ipv4Addr, timestamp_sec: u32) -> Self {
        PeerHeader {
            peer_type: PeerType::GLOBAL,
            flags: PeerFlags::default().with(PeerFlags::V, address.is_ipv6()),
            distinguisher: RouteDistinguisher::default(),
            address,
            asn,
            bgp_id,
            timestamp_sec,
            timestamp_usec: 0,
        }
    }

    pub fn is_loc_rib(&self) -> bool {
        self.peer_type == PeerType::LOC_RIB
    }
    /// V flag: the peer address is IPv6 (not meaningful for Loc-RIB).
    pub fn is_ipv6(&self) -> bool {
        !self.is_loc_rib() && self.flags.bit(PeerFlags::V)
    }
    /// L flag: post-policy (RFC 7854 §4.2). Loc-RIB is post-policy by
    /// nature (RFC 9069 §4.2) but has no L flag.
    pub fn is_post_policy(&self) -> bool {
        !self.is_loc_rib() && self.flags.bit(PeerFlags::L)
    }
    /// A flag: the AS_PATH is in the legacy 2-octet form (RFC 7854 §4.2).
    pub fn is_as2(&self) -> bool {
        !self.is_loc_rib() && self.flags.bit(PeerFlags::A)
    }
    /// O flag: Adj-RIB-Out rather than Adj-RIB-In (RFC 8671 §4).
    pub fn is_adj_rib_out(&self) -> bool {
        !self.is_loc_rib() && self.flags.bit(PeerFlags::O)
    }
    /// F flag: the Loc-RIB is filtered (RFC 9069 §4.2).
    pub fn is_filtered(&self) -> bool {
        self.is_loc_rib() && self.flags.bit(PeerFlags::F)
    }

    pub fn with_post_policy(mut self, yes: bool) -> Self {
        self.flags = self.flags.with(PeerFlags::L, yes);
        self
    }
    pub fn with_adj_rib_out(mut self, yes: bool) -> Self {
        self.flags = self.flags.with(PeerFlags::O, yes);
        self
    }
    pub fn with_as2(mut self, yes: bool) -> Self {
        self.flags = self.flags.with(PeerFlags::A, yes);
        self
    }

    /// The timestamp as seconds since the epoch with microseconds.
    pub fn timestamp(&self) -> f64 {
        f64::from(self.timestamp_sec) + f64::from(self.timestamp_usec) / 1e6
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<Self, BmpError> {
        let peer_type = PeerType(r.u8()?);
        let flags = PeerFlags(r.u8()?);
        let distinguisher = RouteDistinguisher(r.array()?);
        let raw: [u8; 16] = r.array()?;
        let asn = r.u32()?;
        let bgp_id = r.ipv4()?;
        let timestamp_sec = r.u32()?;
        let timestamp_usec = r.u32()?;
        // §4.2: an IPv4 address sits in the last 4 octets, the first 12
        // zero. Loc-RIB peers have no V flag (its bit is F, RFC 9069 §4.2):
        // the address is zero there, read as IPv4 unless it is not.
        let v6 = if peer_type == PeerType::LOC_RIB {
            raw.get(..12).is_some_and(|p| p.iter().any(|b| *b != 0))
        } else {
            flags.bit(PeerFlags::V)
        };
        Ok(PeerHeader {
            peer_type,
            flags,
            distinguisher,
            address: addr16(raw, v6),
            asn,
            bgp_id,
            timestamp_sec,
            timestamp_usec,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.peer_type.0);
        out.push(self.flags.0);
        out.extend_from_slice(&self.distinguisher.0);
        out.extend_from_slice(&addr_bytes(self.address));
        out.extend_from_slice(&self.asn.to_be_bytes());
        out.extend_from_slice(&self.bgp_id.octets());
        out.extend_from_slice(&self.timestamp_sec.to_be_bytes());
        out.extend_from_slice(&self.timestamp_usec.to_be_bytes());
    }
}

/// A 16-octet address field: IPv6, or IPv4 in the last 4 octets.
pub(crate) fn addr16(raw: [u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(raw))
    } else {
        let [.., a, b, c, d] = raw;
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }
}

pub(crate) fn addr_bytes(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V6(v6) => v6.octets(),
        IpAddr::V4(v4) => {
            let mut b = [0u8; 16];
            let [.., x, y, z, w] = &mut b;
            [*x, *y, *z, *w] = v4.octets();
            b
        }
    }
}

#[cfg(feature = "serde")]
mod ser {
    use super::*;
    use serde::ser::SerializeStruct;

    impl serde::Serialize for PeerHeader {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("PeerHeader", 12)?;
            st.serialize_field("peer_type", self.peer_type.name())?;
            st.serialize_field("flags", &self.flags.0)?;
            if self.is_loc_rib() {
                st.serialize_field("filtered", &self.is_filtered())?;
            } else {
                st.serialize_field("post_policy", &self.is_post_policy())?;
                st.serialize_field("adj_rib_out", &self.is_adj_rib_out())?;
                st.serialize_field("as2", &self.is_as2())?;
            }
            st.serialize_field("distinguisher", &self.distinguisher)?;
            st.serialize_field("address", &self.address)?;
            st.serialize_field("asn", &self.asn)?;
            st.serialize_field("bgp_id", &self.bgp_id)?;
            st.serialize_field("timestamp", &self.timestamp())?;
            st.end()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn peer_header_roundtrip_v4_v6_locrib() {
        for h in [
            PeerHeader::new(
                "192.0.2.1".parse().unwrap(),
                65001,
                Ipv4Addr::new(1, 1, 1, 1),
                7,
            ),
            PeerHeader::new(
                "2001:db8::1".parse().unwrap(),
                4200000000,
                Ipv4Addr::new(1, 1, 1, 1),
                7,
            )
            .with_post_policy(true)
            .with_adj_rib_out(true),
            PeerHeader {
                peer_type: PeerType::LOC_RIB,
                flags: PeerFlags(PeerFlags::F),
                address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                ..PeerHeader::new("0.0.0.0".parse().unwrap(), 1, Ipv4Addr::new(2, 2, 2, 2), 0)
            },
        ] {
            let mut b = Vec::new();
            h.encode(&mut b);
            assert_eq!(b.len(), PEER_HEADER_LEN);
            let back = PeerHeader::decode(&mut Reader::new(&b, "t")).unwrap();
            assert_eq!(back, h);
        }
    }

    #[test]
    fn loc_rib_f_flag_is_not_v() {
        let mut b = vec![3, 0x80];
        b.extend_from_slice(&[0; 8 + 16]);
        b.extend_from_slice(&[0, 0, 0, 100, 2, 2, 2, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
        let h = PeerHeader::decode(&mut Reader::new(&b, "t")).unwrap();
        assert!(h.is_filtered() && !h.is_ipv6() && !h.is_post_policy());
        assert_eq!(h.address, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn common_header_limits() {
        assert_eq!(CommonHeader::peek(&[3, 0, 0]).unwrap(), None);
        assert!(CommonHeader::peek(&[4, 0, 0, 0, 6, 4]).is_ok());
        assert!(matches!(
            CommonHeader::peek(&[5, 0, 0, 0, 6, 4]),
            Err(BmpError::Version(5))
        ));
        assert!(matches!(
            CommonHeader::peek(&[2, 0, 0, 0, 6, 4]),
            Err(BmpError::Version(2))
        ));
        assert!(matches!(
            CommonHeader::peek(&[3, 0, 0, 0, 5, 4]),
            Err(BmpError::Length(5))
        ));
        // A Route Monitoring cannot be shorter than its per-peer header.
        assert!(CommonHeader::peek(&[3, 0, 0, 0, 20, 0]).is_err());
        assert!(CommonHeader::peek(&[3, 0x10, 0, 0, 0, 4]).is_err());
        let h = CommonHeader::peek(&[3, 0, 0, 0, 6, 4]).unwrap().unwrap();
        assert_eq!(h.msg_type, MessageType::INITIATION);
    }
}
