//! BGP Link-State (RFC 9552): the NLRI of AFI 16388 / SAFI 71 and 72, and
//! the BGP-LS path attribute (type 29).
//!
//! # Model
//!
//! An NLRI (RFC 9552 §5.2) is `type (2) | length (2) | [RD (8), SAFI 72 only]
//! | protocol-id (1) | identifier (8) | descriptor TLVs`. Types 1 (node),
//! 2 (link), 3 (IPv4 topology prefix) and 4 (IPv6 topology prefix) are
//! decoded; any other type keeps its value as raw bytes (after the RD, which
//! RFC 9552 §5.2 puts in front of every SAFI 72 NLRI).
//!
//! Descriptor TLVs are kept as a list, in the order received, so re-encoding
//! is byte-exact even when a speaker ignores the ascending-order rule of
//! RFC 9552 §5.1. TLVs this module does not know are kept raw. Known TLVs
//! whose length is wrong are errors: an NLRI is a key, and a key that cannot
//! be understood must not be half-parsed (RFC 9552 §8.2.2 treats a malformed
//! NLRI as an error of the UPDATE).
//!
//! The attribute ([`BgpLsAttribute`]) is more lenient: RFC 9552 §8.2.2 lets
//! a speaker that does not consume a TLV propagate it unchanged, so a known
//! TLV whose value does not have the expected shape is kept raw
//! ([`LsAttrTlv::Unknown`]) rather than failing the whole attribute. Only a
//! TLV that overruns the attribute is an error.
//!
//! # Text syntax
//!
//! ```text
//! nlri     := KIND [rd RD] protocol PROTO id ID item*
//!           | type-N [rd RD] raw:HEX                 (unknown NLRI type N)
//! KIND     := node | link | ipv4-prefix | ipv6-prefix
//! PROTO    := isis-l1 | isis-l2 | ospfv2 | direct | static | ospfv3 | bgp | NUMBER
//! item     := local [ nd* ] | remote [ nd* ]          (TLV 256 / 257)
//!           | (node | link | prefix) [ desc* ]        (a run of other descriptors)
//!           | desc
//! nd       := as N | bgp-ls-id N | ospf-area A.B.C.D | router RID
//!           | bgp-router A.B.C.D | member-as N | tlv:TYPE:HEX
//! RID      := A.B.C.D                  (OSPF router ID, 4 octets)
//!           | XXXX.XXXX.XXXX           (IS-IS system ID, 6 octets)
//!           | XXXX.XXXX.XXXX.PP        (IS-IS pseudonode, 7 octets)
//!           | A.B.C.D:E.F.G.H          (OSPF pseudonode: DR router ID and
//!                                       DR interface address / ID, 8 octets)
//! desc     := link-id LOCAL:REMOTE | ipv4-if A | ipv4-nbr A | ipv6-if A | ipv6-nbr A
//!           | mt N[,N...] | ospf-route-type (intra-area | inter-area | external-1
//!           | external-2 | nssa-1 | nssa-2 | N) | PREFIX | tlv:TYPE:HEX
//! ```
//!
//! For example:
//!
//! ```text
//! node protocol isis-l2 id 0 local [as 65000 bgp-ls-id 0 router 0000.0000.0001]
//! link protocol ospfv2 id 0 local [as 65001 router 10.1.1.1] remote [as 65001 router 10.1.4.1:10.1.1.2] link [ipv4-if 10.1.1.1 ipv4-nbr 10.1.1.2]
//! ipv4-prefix rd 65000:1 protocol isis-l2 id 700 local [as 15924 router 0101.3500.0041] prefix [10.134.2.88/30]
//! ```
//!
//! Display prints the canonical form; FromStr accepts it back, and also
//! bare descriptors outside brackets. Parsed text is validated by encoding it
//! and decoding the bytes, so text yields exactly what the wire would (a
//! `tlv:512:0000fde9` is read as `as 65001`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::rd::RouteDistinguisher;
use crate::error::{ParseError, WireError};
use crate::prefix::{Ipv4Prefix, Ipv6Prefix, Prefix};
use crate::reader::Reader;

/// TLV and sub-TLV code points (IANA "BGP-LS NLRI and Attribute TLVs").
pub mod tlv {
    // RFC 9552 §5.2.1: node descriptors.
    pub const LOCAL_NODE: u16 = 256;
    pub const REMOTE_NODE: u16 = 257;
    // RFC 9552 §5.2.2: link descriptors.
    pub const LINK_IDS: u16 = 258;
    pub const IPV4_INTERFACE: u16 = 259;
    pub const IPV4_NEIGHBOR: u16 = 260;
    pub const IPV6_INTERFACE: u16 = 261;
    pub const IPV6_NEIGHBOR: u16 = 262;
    pub const MULTI_TOPOLOGY: u16 = 263;
    // RFC 9552 §5.2.3: prefix descriptors.
    pub const OSPF_ROUTE_TYPE: u16 = 264;
    pub const IP_REACHABILITY: u16 = 265;
    // RFC 9552 §5.2.1.4: node descriptor sub-TLVs.
    pub const AS_NUMBER: u16 = 512;
    pub const BGP_LS_ID: u16 = 513;
    pub const OSPF_AREA_ID: u16 = 514;
    pub const IGP_ROUTER_ID: u16 = 515;
    // RFC 9086 §4.1: BGP Router-ID and Confederation Member ASN.
    pub const BGP_ROUTER_ID: u16 = 516;
    pub const MEMBER_ASN: u16 = 517;
    // RFC 9552 §5.3.1: node attribute TLVs.
    pub const NODE_FLAGS: u16 = 1024;
    pub const OPAQUE_NODE: u16 = 1025;
    pub const NODE_NAME: u16 = 1026;
    pub const ISIS_AREA: u16 = 1027;
    pub const LOCAL_ROUTER_ID_V4: u16 = 1028;
    pub const LOCAL_ROUTER_ID_V6: u16 = 1029;
    pub const REMOTE_ROUTER_ID_V4: u16 = 1030;
    pub const REMOTE_ROUTER_ID_V6: u16 = 1031;
    // RFC 9085 §2.1: SR node attributes.
    pub const SR_CAPABILITIES: u16 = 1034;
    pub const SR_ALGORITHM: u16 = 1035;
    pub const SR_LOCAL_BLOCK: u16 = 1036;
    // RFC 9552 §5.3.2: link attribute TLVs.
    pub const ADMIN_GROUP: u16 = 1088;
    pub const MAX_LINK_BANDWIDTH: u16 = 1089;
    pub const MAX_RESERVABLE_BANDWIDTH: u16 = 1090;
    pub const UNRESERVED_BANDWIDTH: u16 = 1091;
    pub const TE_DEFAULT_METRIC: u16 = 1092;
    pub const LINK_PROTECTION: u16 = 1093;
    pub const MPLS_PROTOCOL_MASK: u16 = 1094;
    pub const IGP_METRIC: u16 = 1095;
    pub const SRLG: u16 = 1096;
    pub const OPAQUE_LINK: u16 = 1097;
    pub const LINK_NAME: u16 = 1098;
    // RFC 9085 §2.2: SR link attributes.
    pub const ADJACENCY_SID: u16 = 1099;
    pub const LAN_ADJACENCY_SID: u16 = 1100;
    // RFC 9552 §5.3.3: prefix attribute TLVs.
    pub const IGP_FLAGS: u16 = 1152;
    pub const ROUTE_TAG: u16 = 1153;
    pub const EXTENDED_ROUTE_TAG: u16 = 1154;
    pub const PREFIX_METRIC: u16 = 1155;
    pub const OSPF_FORWARDING_ADDRESS: u16 = 1156;
    pub const OPAQUE_PREFIX: u16 = 1157;
    // RFC 9085 §2.3: SR prefix attributes.
    pub const PREFIX_SID: u16 = 1158;
    pub const SID_LABEL: u16 = 1161;
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// Opaque bytes, shown and parsed as lowercase hexadecimal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HexBytes(pub Vec<u8>);

impl fmt::Display for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl FromStr for HexBytes {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = || ParseError::new("hex bytes", s, "expected an even number of hex digits");
        s.as_bytes()
            .chunks(2)
            .map(|c| match c {
                [h, l] => Some((nibble(*h)? << 4) | nibble(*l)?),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .map(HexBytes)
            .ok_or_else(err)
    }
}

/// Writes one TLV (RFC 9552 §5.1: 2-octet type, 2-octet length). The body is
/// written first and the length patched afterwards. A body over 65535 octets
/// can only come from a hand-built value; it gets a saturated length rather
/// than a panic.
fn put_tlv(out: &mut Vec<u8>, t: u16, body: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(&t.to_be_bytes());
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    body(out);
    let len = u16::try_from(out.len() - at - 2).unwrap_or(u16::MAX);
    if let Some(slot) = out.get_mut(at..at + 2) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

/// Reads one TLV header and its value; a value running past the enclosing
/// field is a truncation error.
fn next_tlv<'a>(r: &mut Reader<'a>) -> Result<(u16, &'a [u8]), WireError> {
    let t = r.u16()?;
    let len = r.u16()?;
    let v = r.take(usize::from(len))?;
    Ok((t, v))
}

fn exact<const N: usize>(v: &[u8], what: &'static str) -> Result<[u8; N], WireError> {
    <[u8; N]>::try_from(v).map_err(|_| WireError::BadLength { what, len: v.len() })
}

fn u16_list(v: &[u8]) -> Option<Vec<u16>> {
    if !v.len().is_multiple_of(2) {
        return None;
    }
    v.chunks_exact(2)
        .map(|c| <[u8; 2]>::try_from(c).ok().map(u16::from_be_bytes))
        .collect()
}

fn u32_list(v: &[u8]) -> Option<Vec<u32>> {
    if !v.len().is_multiple_of(4) {
        return None;
    }
    v.chunks_exact(4)
        .map(|c| <[u8; 4]>::try_from(c).ok().map(u32::from_be_bytes))
        .collect()
}

fn u64_list(v: &[u8]) -> Option<Vec<u64>> {
    if !v.len().is_multiple_of(8) {
        return None;
    }
    v.chunks_exact(8)
        .map(|c| <[u8; 8]>::try_from(c).ok().map(u64::from_be_bytes))
        .collect()
}

fn put_u24(out: &mut Vec<u8>, v: u32) {
    let [_, a, b, c] = v.to_be_bytes();
    out.extend_from_slice(&[a, b, c]);
}

fn u24_of(v: [u8; 3]) -> u32 {
    let [a, b, c] = v;
    u32::from_be_bytes([0, a, b, c])
}

// ---------------------------------------------------------------------------
// Protocol-ID and node descriptors
// ---------------------------------------------------------------------------

/// The source of the information (RFC 9552 §5.2, IANA "BGP-LS Protocol-IDs").
/// A newtype: unassigned values are carried, not rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProtocolId(pub u8);

impl ProtocolId {
    pub const ISIS_L1: ProtocolId = ProtocolId(1);
    pub const ISIS_L2: ProtocolId = ProtocolId(2);
    pub const OSPFV2: ProtocolId = ProtocolId(3);
    pub const DIRECT: ProtocolId = ProtocolId(4);
    pub const STATIC: ProtocolId = ProtocolId(5);
    pub const OSPFV3: ProtocolId = ProtocolId(6);
    /// RFC 9086 §4.
    pub const BGP: ProtocolId = ProtocolId(7);

    const NAMES: [(u8, &'static str); 7] = [
        (1, "isis-l1"),
        (2, "isis-l2"),
        (3, "ospfv2"),
        (4, "direct"),
        (5, "static"),
        (6, "ospfv3"),
        (7, "bgp"),
    ];

    pub fn name(self) -> Option<&'static str> {
        Self::NAMES
            .iter()
            .find(|(v, _)| *v == self.0)
            .map(|(_, n)| *n)
    }
}

impl fmt::Display for ProtocolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

impl FromStr for ProtocolId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if let Some((v, _)) = Self::NAMES.iter().find(|(_, n)| *n == s) {
            return Ok(ProtocolId(*v));
        }
        s.parse::<u8>()
            .map(ProtocolId)
            .map_err(|_| ParseError::new("BGP-LS protocol-id", s, "unknown protocol"))
    }
}

/// IGP Router-ID sub-TLV 515 (RFC 9552 §5.2.1.4). Its length tells which
/// kind of node it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IgpRouterId {
    /// OSPFv2/OSPFv3 router ID (4 octets).
    Ospf(Ipv4Addr),
    /// IS-IS non-pseudonode: system ID (6 octets).
    IsIs([u8; 6]),
    /// IS-IS pseudonode: system ID and pseudonode ID (7 octets).
    IsIsPseudonode([u8; 6], u8),
    /// OSPF pseudonode: router ID of the DR, then the DR's interface address
    /// (OSPFv2) or interface ID (OSPFv3), 8 octets in all.
    OspfPseudonode(Ipv4Addr, Ipv4Addr),
}

impl IgpRouterId {
    fn decode(v: &[u8]) -> Result<Self, WireError> {
        match *v {
            [a, b, c, d] => Ok(IgpRouterId::Ospf(Ipv4Addr::new(a, b, c, d))),
            [a, b, c, d, e, f] => Ok(IgpRouterId::IsIs([a, b, c, d, e, f])),
            [a, b, c, d, e, f, p] => Ok(IgpRouterId::IsIsPseudonode([a, b, c, d, e, f], p)),
            [a, b, c, d, e, f, g, h] => Ok(IgpRouterId::OspfPseudonode(
                Ipv4Addr::new(a, b, c, d),
                Ipv4Addr::new(e, f, g, h),
            )),
            _ => Err(WireError::BadLength {
                what: "BGP-LS IGP Router-ID",
                len: v.len(),
            }),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            IgpRouterId::Ospf(a) => out.extend_from_slice(&a.octets()),
            IgpRouterId::IsIs(s) => out.extend_from_slice(s),
            IgpRouterId::IsIsPseudonode(s, p) => {
                out.extend_from_slice(s);
                out.push(*p);
            }
            IgpRouterId::OspfPseudonode(r, i) => {
                out.extend_from_slice(&r.octets());
                out.extend_from_slice(&i.octets());
            }
        }
    }
}

fn fmt_system_id(f: &mut fmt::Formatter<'_>, s: &[u8; 6]) -> fmt::Result {
    let [a, b, c, d, e, g] = *s;
    write!(f, "{a:02x}{b:02x}.{c:02x}{d:02x}.{e:02x}{g:02x}")
}

impl fmt::Display for IgpRouterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IgpRouterId::Ospf(a) => write!(f, "{a}"),
            IgpRouterId::IsIs(s) => fmt_system_id(f, s),
            IgpRouterId::IsIsPseudonode(s, p) => {
                fmt_system_id(f, s)?;
                write!(f, ".{p:02x}")
            }
            IgpRouterId::OspfPseudonode(r, i) => write!(f, "{r}:{i}"),
        }
    }
}

/// Parses `XXXX` (exactly four hex digits) into two octets.
fn hex_group(g: &str) -> Option<[u8; 2]> {
    match *g.as_bytes() {
        [a, b, c, d] => Some([
            (nibble(a)? << 4) | nibble(b)?,
            (nibble(c)? << 4) | nibble(d)?,
        ]),
        _ => None,
    }
}

impl FromStr for IgpRouterId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = || {
            ParseError::new(
                "IGP router ID",
                s,
                "expected A.B.C.D, XXXX.XXXX.XXXX[.PP] or A.B.C.D:E.F.G.H",
            )
        };
        if let Some((r, i)) = s.split_once(':') {
            let r = r.parse().map_err(|_| err())?;
            let i = i.parse().map_err(|_| err())?;
            return Ok(IgpRouterId::OspfPseudonode(r, i));
        }
        if let Ok(a) = s.parse::<Ipv4Addr>() {
            return Ok(IgpRouterId::Ospf(a));
        }
        let groups: Vec<&str> = s.split('.').collect();
        let sys = |g: &[&str]| -> Option<[u8; 6]> {
            match g {
                [a, b, c] => {
                    let ([a0, a1], [b0, b1], [c0, c1]) =
                        (hex_group(a)?, hex_group(b)?, hex_group(c)?);
                    Some([a0, a1, b0, b1, c0, c1])
                }
                _ => None,
            }
        };
        match groups.as_slice() {
            [_, _, _] => sys(&groups).map(IgpRouterId::IsIs).ok_or_else(err),
            [a, b, c, p] => {
                let id = sys(&[a, b, c]).ok_or_else(err)?;
                let psn = match *p.as_bytes() {
                    [h, l] => nibble(h)
                        .zip(nibble(l))
                        .map(|(h, l)| (h << 4) | l)
                        .ok_or_else(err)?,
                    _ => return Err(err()),
                };
                Ok(IgpRouterId::IsIsPseudonode(id, psn))
            }
            _ => Err(err()),
        }
    }
}

/// One sub-TLV of a Local or Remote Node Descriptors TLV (RFC 9552 §5.2.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum NodeDescriptor {
    /// 512: Autonomous System (4 octets).
    AsNumber(u32),
    /// 513: BGP-LS Identifier (4 octets; deprecated by RFC 9552 but still sent).
    BgpLsId(u32),
    /// 514: OSPF Area-ID (4 octets).
    OspfAreaId(Ipv4Addr),
    /// 515: IGP Router-ID (4, 6, 7 or 8 octets).
    IgpRouterId(IgpRouterId),
    /// 516: BGP Router-ID (RFC 9086 §4.1, 4 octets).
    BgpRouterId(Ipv4Addr),
    /// 517: BGP Confederation Member ASN (RFC 9086 §4.1, 4 octets).
    MemberAsn(u32),
    /// Any other sub-TLV, kept as received.
    Unknown { tlv_type: u16, value: HexBytes },
}

impl NodeDescriptor {
    pub fn tlv_type(&self) -> u16 {
        match self {
            NodeDescriptor::AsNumber(_) => tlv::AS_NUMBER,
            NodeDescriptor::BgpLsId(_) => tlv::BGP_LS_ID,
            NodeDescriptor::OspfAreaId(_) => tlv::OSPF_AREA_ID,
            NodeDescriptor::IgpRouterId(_) => tlv::IGP_ROUTER_ID,
            NodeDescriptor::BgpRouterId(_) => tlv::BGP_ROUTER_ID,
            NodeDescriptor::MemberAsn(_) => tlv::MEMBER_ASN,
            NodeDescriptor::Unknown { tlv_type, .. } => *tlv_type,
        }
    }

    fn decode(t: u16, v: &[u8]) -> Result<Self, WireError> {
        Ok(match t {
            tlv::AS_NUMBER => NodeDescriptor::AsNumber(u32::from_be_bytes(exact(v, "BGP-LS AS")?)),
            tlv::BGP_LS_ID => {
                NodeDescriptor::BgpLsId(u32::from_be_bytes(exact(v, "BGP-LS Identifier")?))
            }
            tlv::OSPF_AREA_ID => {
                NodeDescriptor::OspfAreaId(Ipv4Addr::from(exact::<4>(v, "BGP-LS OSPF Area-ID")?))
            }
            tlv::IGP_ROUTER_ID => NodeDescriptor::IgpRouterId(IgpRouterId::decode(v)?),
            tlv::BGP_ROUTER_ID => {
                NodeDescriptor::BgpRouterId(Ipv4Addr::from(exact::<4>(v, "BGP-LS BGP Router-ID")?))
            }
            tlv::MEMBER_ASN => {
                NodeDescriptor::MemberAsn(u32::from_be_bytes(exact(v, "BGP-LS Member-ASN")?))
            }
            _ => NodeDescriptor::Unknown {
                tlv_type: t,
                value: HexBytes(v.to_vec()),
            },
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_tlv(out, self.tlv_type(), |out| match self {
            NodeDescriptor::AsNumber(n)
            | NodeDescriptor::BgpLsId(n)
            | NodeDescriptor::MemberAsn(n) => out.extend_from_slice(&n.to_be_bytes()),
            NodeDescriptor::OspfAreaId(a) | NodeDescriptor::BgpRouterId(a) => {
                out.extend_from_slice(&a.octets())
            }
            NodeDescriptor::IgpRouterId(r) => r.encode(out),
            NodeDescriptor::Unknown { value, .. } => out.extend_from_slice(&value.0),
        });
    }
}

impl fmt::Display for NodeDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeDescriptor::AsNumber(n) => write!(f, "as {n}"),
            NodeDescriptor::BgpLsId(n) => write!(f, "bgp-ls-id {n}"),
            NodeDescriptor::OspfAreaId(a) => write!(f, "ospf-area {a}"),
            NodeDescriptor::IgpRouterId(r) => write!(f, "router {r}"),
            NodeDescriptor::BgpRouterId(a) => write!(f, "bgp-router {a}"),
            NodeDescriptor::MemberAsn(n) => write!(f, "member-as {n}"),
            NodeDescriptor::Unknown { tlv_type, value } => write!(f, "tlv:{tlv_type}:{value}"),
        }
    }
}

/// The sub-TLVs of a Local (256) or Remote (257) Node Descriptors TLV, in
/// the order received.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NodeDescriptors {
    pub tlvs: Vec<NodeDescriptor>,
}

impl NodeDescriptors {
    fn decode(v: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(v, "BGP-LS node descriptor");
        let mut tlvs = Vec::new();
        while !r.is_empty() {
            let (t, v) = next_tlv(&mut r)?;
            tlvs.push(NodeDescriptor::decode(t, v)?);
        }
        Ok(NodeDescriptors { tlvs })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for d in &self.tlvs {
            d.encode(out);
        }
    }

    pub fn as_number(&self) -> Option<u32> {
        self.tlvs.iter().find_map(|d| match d {
            NodeDescriptor::AsNumber(n) => Some(*n),
            _ => None,
        })
    }
    pub fn bgp_ls_id(&self) -> Option<u32> {
        self.tlvs.iter().find_map(|d| match d {
            NodeDescriptor::BgpLsId(n) => Some(*n),
            _ => None,
        })
    }
    pub fn ospf_area_id(&self) -> Option<Ipv4Addr> {
        self.tlvs.iter().find_map(|d| match d {
            NodeDescriptor::OspfAreaId(a) => Some(*a),
            _ => None,
        })
    }
    pub fn igp_router_id(&self) -> Option<IgpRouterId> {
        self.tlvs.iter().find_map(|d| match d {
            NodeDescriptor::IgpRouterId(r) => Some(*r),
            _ => None,
        })
    }
}

impl fmt::Display for NodeDescriptors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.tlvs.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

// ---------------------------------------------------------------------------
// NLRI descriptors
// ---------------------------------------------------------------------------

/// One top-level descriptor TLV of a node, link or prefix NLRI
/// (RFC 9552 §5.2.1 - §5.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Descriptor {
    /// 256: Local Node Descriptors.
    LocalNode(NodeDescriptors),
    /// 257: Remote Node Descriptors (link NLRI only).
    RemoteNode(NodeDescriptors),
    /// 258: Link Local/Remote Identifiers (RFC 5307 §1.1).
    LinkIds { local: u32, remote: u32 },
    /// 259: IPv4 interface address.
    Ipv4Interface(Ipv4Addr),
    /// 260: IPv4 neighbor address.
    Ipv4Neighbor(Ipv4Addr),
    /// 261: IPv6 interface address.
    Ipv6Interface(Ipv6Addr),
    /// 262: IPv6 neighbor address.
    Ipv6Neighbor(Ipv6Addr),
    /// 263: Multi-Topology IDs (RFC 9552 §5.2.2.1), the raw 16-bit fields
    /// (top 4 bits reserved) so that reserved bits re-encode unchanged.
    MultiTopology(Vec<u16>),
    /// 264: OSPF Route Type (RFC 9552 §5.2.3.1).
    OspfRouteType(u8),
    /// 265: IP Reachability Information (RFC 9552 §5.2.3.2).
    IpReachability(Prefix),
    /// Any other TLV, kept as received.
    Unknown { tlv_type: u16, value: HexBytes },
}

/// The decoded NLRI types (RFC 9552 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Node,
    Link,
    V4Prefix,
    V6Prefix,
}

impl Kind {
    fn code(self) -> u16 {
        match self {
            Kind::Node => 1,
            Kind::Link => 2,
            Kind::V4Prefix => 3,
            Kind::V6Prefix => 4,
        }
    }
    fn from_code(t: u16) -> Option<Kind> {
        match t {
            1 => Some(Kind::Node),
            2 => Some(Kind::Link),
            3 => Some(Kind::V4Prefix),
            4 => Some(Kind::V6Prefix),
            _ => None,
        }
    }
    fn word(self) -> &'static str {
        match self {
            Kind::Node => "node",
            Kind::Link => "link",
            Kind::V4Prefix => "ipv4-prefix",
            Kind::V6Prefix => "ipv6-prefix",
        }
    }
    /// The label of a bracketed run of non-node descriptors in text.
    fn group_word(self) -> &'static str {
        match self {
            Kind::Node => "node",
            Kind::Link => "link",
            Kind::V4Prefix | Kind::V6Prefix => "prefix",
        }
    }
}

const OSPF_ROUTE_TYPES: [(u8, &str); 6] = [
    (1, "intra-area"),
    (2, "inter-area"),
    (3, "external-1"),
    (4, "external-2"),
    (5, "nssa-1"),
    (6, "nssa-2"),
];

impl Descriptor {
    pub fn tlv_type(&self) -> u16 {
        match self {
            Descriptor::LocalNode(_) => tlv::LOCAL_NODE,
            Descriptor::RemoteNode(_) => tlv::REMOTE_NODE,
            Descriptor::LinkIds { .. } => tlv::LINK_IDS,
            Descriptor::Ipv4Interface(_) => tlv::IPV4_INTERFACE,
            Descriptor::Ipv4Neighbor(_) => tlv::IPV4_NEIGHBOR,
            Descriptor::Ipv6Interface(_) => tlv::IPV6_INTERFACE,
            Descriptor::Ipv6Neighbor(_) => tlv::IPV6_NEIGHBOR,
            Descriptor::MultiTopology(_) => tlv::MULTI_TOPOLOGY,
            Descriptor::OspfRouteType(_) => tlv::OSPF_ROUTE_TYPE,
            Descriptor::IpReachability(_) => tlv::IP_REACHABILITY,
            Descriptor::Unknown { tlv_type, .. } => *tlv_type,
        }
    }

    fn decode(t: u16, v: &[u8], kind: Kind) -> Result<Self, WireError> {
        Ok(match t {
            tlv::LOCAL_NODE => Descriptor::LocalNode(NodeDescriptors::decode(v)?),
            tlv::REMOTE_NODE => Descriptor::RemoteNode(NodeDescriptors::decode(v)?),
            tlv::LINK_IDS => {
                let [a, b, c, d, e, f, g, h] = exact(v, "BGP-LS link identifiers")?;
                Descriptor::LinkIds {
                    local: u32::from_be_bytes([a, b, c, d]),
                    remote: u32::from_be_bytes([e, f, g, h]),
                }
            }
            tlv::IPV4_INTERFACE => {
                Descriptor::Ipv4Interface(Ipv4Addr::from(exact::<4>(v, "BGP-LS IPv4 interface")?))
            }
            tlv::IPV4_NEIGHBOR => {
                Descriptor::Ipv4Neighbor(Ipv4Addr::from(exact::<4>(v, "BGP-LS IPv4 neighbor")?))
            }
            tlv::IPV6_INTERFACE => {
                Descriptor::Ipv6Interface(Ipv6Addr::from(exact::<16>(v, "BGP-LS IPv6 interface")?))
            }
            tlv::IPV6_NEIGHBOR => {
                Descriptor::Ipv6Neighbor(Ipv6Addr::from(exact::<16>(v, "BGP-LS IPv6 neighbor")?))
            }
            tlv::MULTI_TOPOLOGY => {
                // RFC 9552 §5.2.2.1: length 2*n; an empty list names no topology.
                match u16_list(v) {
                    Some(l) if !l.is_empty() => Descriptor::MultiTopology(l),
                    _ => {
                        return Err(WireError::BadLength {
                            what: "BGP-LS Multi-Topology ID",
                            len: v.len(),
                        })
                    }
                }
            }
            tlv::OSPF_ROUTE_TYPE => {
                let [rt] = exact(v, "BGP-LS OSPF route type")?;
                Descriptor::OspfRouteType(rt)
            }
            tlv::IP_REACHABILITY => Descriptor::IpReachability(decode_reachability(v, kind)?),
            _ => Descriptor::Unknown {
                tlv_type: t,
                value: HexBytes(v.to_vec()),
            },
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_tlv(out, self.tlv_type(), |out| match self {
            Descriptor::LocalNode(n) | Descriptor::RemoteNode(n) => n.encode(out),
            Descriptor::LinkIds { local, remote } => {
                out.extend_from_slice(&local.to_be_bytes());
                out.extend_from_slice(&remote.to_be_bytes());
            }
            Descriptor::Ipv4Interface(a) | Descriptor::Ipv4Neighbor(a) => {
                out.extend_from_slice(&a.octets())
            }
            Descriptor::Ipv6Interface(a) | Descriptor::Ipv6Neighbor(a) => {
                out.extend_from_slice(&a.octets())
            }
            Descriptor::MultiTopology(l) => {
                for m in l {
                    out.extend_from_slice(&m.to_be_bytes());
                }
            }
            Descriptor::OspfRouteType(t) => out.push(*t),
            Descriptor::IpReachability(p) => {
                out.push(p.len());
                p.encode_bits(out);
            }
            Descriptor::Unknown { value, .. } => out.extend_from_slice(&value.0),
        });
    }
}

/// RFC 9552 §5.2.3.2: prefix length in bits, then the minimum number of
/// octets. The address family is that of the NLRI type, so the TLV only
/// makes sense in a prefix NLRI. Host bits past the length would be lost by
/// [`Prefix`] (and so break byte-exact re-encoding); they are rejected.
fn decode_reachability(v: &[u8], kind: Kind) -> Result<Prefix, WireError> {
    const WHAT: &str = "BGP-LS IP reachability";
    let mut r = Reader::new(v, WHAT);
    let len = r.u8()?;
    let p = match kind {
        Kind::V4Prefix => Prefix::V4(Ipv4Prefix::decode_bits(&mut r, len)?),
        Kind::V6Prefix => Prefix::V6(Ipv6Prefix::decode_bits(&mut r, len)?),
        Kind::Node | Kind::Link => {
            return Err(WireError::malformed(WHAT, "only allowed in a prefix NLRI"));
        }
    };
    r.finish()?;
    let mut back = Vec::with_capacity(v.len());
    back.push(len);
    p.encode_bits(&mut back);
    if back != v {
        return Err(WireError::malformed(
            WHAT,
            "bits set past the prefix length",
        ));
    }
    Ok(p)
}

impl fmt::Display for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Descriptor::LocalNode(n) => write!(f, "local {n}"),
            Descriptor::RemoteNode(n) => write!(f, "remote {n}"),
            Descriptor::LinkIds { local, remote } => write!(f, "link-id {local}:{remote}"),
            Descriptor::Ipv4Interface(a) => write!(f, "ipv4-if {a}"),
            Descriptor::Ipv4Neighbor(a) => write!(f, "ipv4-nbr {a}"),
            Descriptor::Ipv6Interface(a) => write!(f, "ipv6-if {a}"),
            Descriptor::Ipv6Neighbor(a) => write!(f, "ipv6-nbr {a}"),
            Descriptor::MultiTopology(l) => {
                f.write_str("mt ")?;
                for (i, m) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{m}")?;
                }
                Ok(())
            }
            Descriptor::OspfRouteType(t) => match OSPF_ROUTE_TYPES.iter().find(|(v, _)| v == t) {
                Some((_, n)) => write!(f, "ospf-route-type {n}"),
                None => write!(f, "ospf-route-type {t}"),
            },
            Descriptor::IpReachability(p) => write!(f, "{p}"),
            Descriptor::Unknown { tlv_type, value } => write!(f, "tlv:{tlv_type}:{value}"),
        }
    }
}

// ---------------------------------------------------------------------------
// The NLRI
// ---------------------------------------------------------------------------

/// Protocol-ID, identifier and descriptor TLVs: the body shared by the
/// node, link and prefix NLRI types (RFC 9552 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LsDescriptors {
    pub protocol: ProtocolId,
    /// RFC 9552 §5.2: identifies the routing universe ("instance ID").
    pub identifier: u64,
    /// Descriptor TLVs in the order received.
    pub tlvs: Vec<Descriptor>,
}

/// The typed part of a BGP-LS NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum LsNlriBody {
    /// Type 1.
    Node(LsDescriptors),
    /// Type 2.
    Link(LsDescriptors),
    /// Type 3.
    Ipv4Prefix(LsDescriptors),
    /// Type 4.
    Ipv6Prefix(LsDescriptors),
    /// Any other type: the value after the RD, raw.
    Unknown { nlri_type: u16, value: HexBytes },
}

/// One BGP-LS NLRI (RFC 9552 §5.2), with its RD for SAFI 72.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BgpLsNlri {
    /// Present iff the NLRI came from (or is for) SAFI 72.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub rd: Option<RouteDistinguisher>,
    pub body: LsNlriBody,
}

impl LsNlriBody {
    /// The decoded kind and its fields, or the type code and raw value.
    fn split(&self) -> Result<(Kind, &LsDescriptors), (u16, &HexBytes)> {
        match self {
            LsNlriBody::Node(d) => Ok((Kind::Node, d)),
            LsNlriBody::Link(d) => Ok((Kind::Link, d)),
            LsNlriBody::Ipv4Prefix(d) => Ok((Kind::V4Prefix, d)),
            LsNlriBody::Ipv6Prefix(d) => Ok((Kind::V6Prefix, d)),
            LsNlriBody::Unknown { nlri_type, value } => Err((*nlri_type, value)),
        }
    }

    fn build(kind: Kind, d: LsDescriptors) -> Self {
        match kind {
            Kind::Node => LsNlriBody::Node(d),
            Kind::Link => LsNlriBody::Link(d),
            Kind::V4Prefix => LsNlriBody::Ipv4Prefix(d),
            Kind::V6Prefix => LsNlriBody::Ipv6Prefix(d),
        }
    }

    /// The NLRI type code.
    pub fn nlri_type(&self) -> u16 {
        match self.split() {
            Ok((k, _)) => k.code(),
            Err((t, _)) => t,
        }
    }
}

/// RFC 9552 §5.2: every NLRI names its local node; a link also names the
/// remote node; a prefix carries its reachability. Each at most once, so
/// that the NLRI identifies one object.
fn check_mandatory(kind: Kind, tlvs: &[Descriptor]) -> Result<(), WireError> {
    const WHAT: &str = "BGP-LS NLRI";
    let count = |t: u16| tlvs.iter().filter(|d| d.tlv_type() == t).count();
    if count(tlv::LOCAL_NODE) != 1 {
        return Err(WireError::malformed(
            WHAT,
            "needs exactly one Local Node Descriptors TLV",
        ));
    }
    let remote = count(tlv::REMOTE_NODE);
    match kind {
        Kind::Link if remote != 1 => Err(WireError::malformed(
            WHAT,
            "a link needs exactly one Remote Node Descriptors TLV",
        )),
        Kind::Node | Kind::V4Prefix | Kind::V6Prefix if remote != 0 => Err(WireError::malformed(
            WHAT,
            "Remote Node Descriptors only belong in a link NLRI",
        )),
        Kind::V4Prefix | Kind::V6Prefix if count(tlv::IP_REACHABILITY) != 1 => Err(
            WireError::malformed(WHAT, "a prefix needs exactly one IP Reachability TLV"),
        ),
        _ => Ok(()),
    }
}

impl BgpLsNlri {
    /// Reads exactly one BGP-LS NLRI: type, length, then (for SAFI 72,
    /// `vpn`) an RD inside the length, protocol-id, identifier and
    /// descriptor TLVs (RFC 9552 §5.2).
    pub fn decode(r: &mut Reader<'_>, vpn: bool) -> Result<Self, WireError> {
        let nlri_type = r.u16()?;
        let len = r.u16()?;
        let value = r.take(usize::from(len))?;
        let mut b = Reader::new(value, "BGP-LS NLRI");
        let rd = if vpn {
            Some(RouteDistinguisher::decode(&mut b)?)
        } else {
            None
        };
        let Some(kind) = Kind::from_code(nlri_type) else {
            return Ok(BgpLsNlri {
                rd,
                body: LsNlriBody::Unknown {
                    nlri_type,
                    value: HexBytes(b.rest().to_vec()),
                },
            });
        };
        let protocol = ProtocolId(b.u8()?);
        let identifier = b.u64()?;
        let mut tlvs = Vec::new();
        while !b.is_empty() {
            let (t, v) = next_tlv(&mut b)?;
            tlvs.push(Descriptor::decode(t, v, kind)?);
        }
        check_mandatory(kind, &tlvs)?;
        Ok(BgpLsNlri {
            rd,
            body: LsNlriBody::build(
                kind,
                LsDescriptors {
                    protocol,
                    identifier,
                    tlvs,
                },
            ),
        })
    }

    /// Writes the NLRI back, byte for byte as decoded.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_tlv(out, self.body.nlri_type(), |out| {
            if let Some(rd) = &self.rd {
                rd.encode(out);
            }
            match &self.body {
                LsNlriBody::Unknown { value, .. } => out.extend_from_slice(&value.0),
                LsNlriBody::Node(d)
                | LsNlriBody::Link(d)
                | LsNlriBody::Ipv4Prefix(d)
                | LsNlriBody::Ipv6Prefix(d) => {
                    out.push(d.protocol.0);
                    out.extend_from_slice(&d.identifier.to_be_bytes());
                    for t in &d.tlvs {
                        t.encode(out);
                    }
                }
            }
        });
    }

    /// The NLRI type code (1 node, 2 link, 3/4 IPv4/IPv6 prefix, or other).
    pub fn nlri_type(&self) -> u16 {
        self.body.nlri_type()
    }

    /// Protocol-ID, identifier and descriptors, for the decoded types.
    pub fn descriptors(&self) -> Option<&LsDescriptors> {
        self.body.split().ok().map(|(_, d)| d)
    }

    pub fn protocol(&self) -> Option<ProtocolId> {
        self.descriptors().map(|d| d.protocol)
    }

    pub fn identifier(&self) -> Option<u64> {
        self.descriptors().map(|d| d.identifier)
    }

    fn find<'s, T>(&'s self, f: impl Fn(&'s Descriptor) -> Option<T>) -> Option<T> {
        self.descriptors()?.tlvs.iter().find_map(f)
    }

    /// Local Node Descriptors (TLV 256).
    pub fn local_node(&self) -> Option<&NodeDescriptors> {
        self.find(|d| match d {
            Descriptor::LocalNode(n) => Some(n),
            _ => None,
        })
    }

    /// Remote Node Descriptors (TLV 257), for a link.
    pub fn remote_node(&self) -> Option<&NodeDescriptors> {
        self.find(|d| match d {
            Descriptor::RemoteNode(n) => Some(n),
            _ => None,
        })
    }

    /// The IP Reachability prefix (TLV 265), for a prefix NLRI.
    pub fn prefix(&self) -> Option<Prefix> {
        self.find(|d| match d {
            Descriptor::IpReachability(p) => Some(*p),
            _ => None,
        })
    }
}

impl fmt::Display for BgpLsNlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rd = |f: &mut fmt::Formatter<'_>| match &self.rd {
            Some(rd) => write!(f, " rd {rd}"),
            None => Ok(()),
        };
        let (kind, d) = match self.body.split() {
            Ok(x) => x,
            Err((nlri_type, value)) => {
                write!(f, "type-{nlri_type}")?;
                rd(f)?;
                return write!(f, " raw:{value}");
            }
        };
        f.write_str(kind.word())?;
        rd(f)?;
        write!(f, " protocol {} id {}", d.protocol, d.identifier)?;
        // Runs of descriptors other than the node descriptors are grouped in
        // brackets; order is kept, so a run may be split in several groups.
        let mut open = false;
        for t in &d.tlvs {
            match t {
                Descriptor::LocalNode(_) | Descriptor::RemoteNode(_) => {
                    if open {
                        f.write_str("]")?;
                        open = false;
                    }
                    write!(f, " {t}")?;
                }
                _ => {
                    if open {
                        write!(f, " {t}")?;
                    } else {
                        write!(f, " {} [{t}", kind.group_word())?;
                        open = true;
                    }
                }
            }
        }
        if open {
            f.write_str("]")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Text parsing
// ---------------------------------------------------------------------------

struct Tokens<'a> {
    toks: Vec<&'a str>,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let t = self.toks.get(self.pos).copied();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }
    fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.pos).copied()
    }
    fn value(&mut self, after: &str) -> Result<&'a str, String> {
        self.next()
            .ok_or_else(|| format!("missing value after {after:?}"))
    }
    fn expect(&mut self, word: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t == word => Ok(()),
            Some(t) => Err(format!("expected {word:?}, found {t:?}")),
            None => Err(format!("expected {word:?}")),
        }
    }
}

fn num<T: FromStr>(s: &str, what: &str) -> Result<T, String> {
    // u32::from_str accepts a leading '+'; the canonical text never has one.
    if s.starts_with('+') {
        return Err(format!("bad {what} {s:?}"));
    }
    s.parse().map_err(|_| format!("bad {what} {s:?}"))
}

fn addr<T: FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("bad {what} {s:?}"))
}

fn raw_tlv(t: &str) -> Option<Result<(u16, HexBytes), String>> {
    let rest = t.strip_prefix("tlv:")?;
    Some((|| {
        let (ty, hex) = rest
            .split_once(':')
            .ok_or_else(|| format!("expected tlv:TYPE:HEX, found {t:?}"))?;
        let ty = num::<u16>(ty, "TLV type")?;
        let hex = hex.parse::<HexBytes>().map_err(|e| e.reason)?;
        Ok((ty, hex))
    })())
}

fn parse_node_descriptor(t: &str, toks: &mut Tokens<'_>) -> Result<NodeDescriptor, String> {
    if let Some(r) = raw_tlv(t) {
        let (tlv_type, value) = r?;
        return Ok(NodeDescriptor::Unknown { tlv_type, value });
    }
    let v = toks.value(t)?;
    Ok(match t {
        "as" => NodeDescriptor::AsNumber(num(v, "AS number")?),
        "bgp-ls-id" => NodeDescriptor::BgpLsId(num(v, "BGP-LS identifier")?),
        "ospf-area" => NodeDescriptor::OspfAreaId(addr(v, "OSPF area")?),
        "router" => NodeDescriptor::IgpRouterId(v.parse().map_err(|e: ParseError| e.reason)?),
        "bgp-router" => NodeDescriptor::BgpRouterId(addr(v, "BGP router ID")?),
        "member-as" => NodeDescriptor::MemberAsn(num(v, "member AS")?),
        _ => return Err(format!("unknown node descriptor {t:?}")),
    })
}

fn parse_node_descriptors(toks: &mut Tokens<'_>) -> Result<NodeDescriptors, String> {
    toks.expect("[")?;
    let mut tlvs = Vec::new();
    loop {
        match toks.next() {
            Some("]") => return Ok(NodeDescriptors { tlvs }),
            Some(t) => tlvs.push(parse_node_descriptor(t, toks)?),
            None => return Err("unclosed [".to_string()),
        }
    }
}

fn parse_descriptor(t: &str, toks: &mut Tokens<'_>) -> Result<Descriptor, String> {
    if let Some(r) = raw_tlv(t) {
        let (tlv_type, value) = r?;
        return Ok(Descriptor::Unknown { tlv_type, value });
    }
    if t.contains('/') {
        return t
            .parse::<Prefix>()
            .map(Descriptor::IpReachability)
            .map_err(|e| e.reason);
    }
    let v = toks.value(t)?;
    Ok(match t {
        "link-id" => {
            let (l, r) = v
                .split_once(':')
                .ok_or_else(|| format!("expected LOCAL:REMOTE, found {v:?}"))?;
            Descriptor::LinkIds {
                local: num(l, "link local identifier")?,
                remote: num(r, "link remote identifier")?,
            }
        }
        "ipv4-if" => Descriptor::Ipv4Interface(addr(v, "IPv4 address")?),
        "ipv4-nbr" => Descriptor::Ipv4Neighbor(addr(v, "IPv4 address")?),
        "ipv6-if" => Descriptor::Ipv6Interface(addr(v, "IPv6 address")?),
        "ipv6-nbr" => Descriptor::Ipv6Neighbor(addr(v, "IPv6 address")?),
        "mt" => Descriptor::MultiTopology(
            v.split(',')
                .map(|m| num(m, "multi-topology ID"))
                .collect::<Result<_, _>>()?,
        ),
        "ospf-route-type" => {
            Descriptor::OspfRouteType(match OSPF_ROUTE_TYPES.iter().find(|(_, n)| *n == v) {
                Some((c, _)) => *c,
                None => num(v, "OSPF route type")?,
            })
        }
        _ => return Err(format!("unknown descriptor {t:?}")),
    })
}

/// An RD as [`RouteDistinguisher`] prints it. Its parser does not read
/// back the `TYPE:0xHEX` form used for unassigned RD types, so that form is
/// handled here.
fn parse_rd(v: &str) -> Result<RouteDistinguisher, String> {
    let raw = || -> Option<RouteDistinguisher> {
        let (t, hex) = v.split_once(":0x")?;
        let t = num::<u16>(t, "RD type").ok()?;
        let HexBytes(b) = hex.parse().ok()?;
        let [a, b, c, d, e, f] = <[u8; 6]>::try_from(b).ok()?;
        let [t0, t1] = t.to_be_bytes();
        Some(RouteDistinguisher([t0, t1, a, b, c, d, e, f]))
    };
    v.parse::<RouteDistinguisher>()
        .or_else(|e| raw().ok_or(e.reason))
}

fn parse_nlri(s: &str) -> Result<BgpLsNlri, String> {
    let spaced = s.replace('[', " [ ").replace(']', " ] ");
    let mut toks = Tokens {
        toks: spaced.split_whitespace().collect(),
        pos: 0,
    };
    let head = toks.next().ok_or("empty input")?;
    let kind = match head {
        "node" => Some(Kind::Node),
        "link" => Some(Kind::Link),
        "ipv4-prefix" => Some(Kind::V4Prefix),
        "ipv6-prefix" => Some(Kind::V6Prefix),
        _ => None,
    };
    let unknown_type = match (kind, head.strip_prefix("type-")) {
        (None, Some(n)) => Some(num::<u16>(n, "NLRI type")?),
        (None, None) => return Err(format!("unknown NLRI kind {head:?}")),
        (Some(_), _) => None,
    };
    let rd = if toks.peek() == Some("rd") {
        toks.next();
        let v = toks.value("rd")?;
        Some(parse_rd(v)?)
    } else {
        None
    };
    let body = match (kind, unknown_type) {
        (Some(kind), _) => {
            toks.expect("protocol")?;
            let protocol = toks
                .value("protocol")?
                .parse::<ProtocolId>()
                .map_err(|e| e.reason)?;
            toks.expect("id")?;
            let identifier = num(toks.value("id")?, "identifier")?;
            let mut tlvs = Vec::new();
            while let Some(t) = toks.next() {
                match t {
                    "local" => tlvs.push(Descriptor::LocalNode(parse_node_descriptors(&mut toks)?)),
                    "remote" => {
                        tlvs.push(Descriptor::RemoteNode(parse_node_descriptors(&mut toks)?))
                    }
                    "node" | "link" | "prefix" => {
                        toks.expect("[")?;
                        loop {
                            match toks.next() {
                                Some("]") => break,
                                Some(t) => tlvs.push(parse_descriptor(t, &mut toks)?),
                                None => return Err("unclosed [".to_string()),
                            }
                        }
                    }
                    _ => tlvs.push(parse_descriptor(t, &mut toks)?),
                }
            }
            // The wire form does not say the family of a prefix: check it
            // here, or an IPv6 /32 would read back as an IPv4 prefix.
            let family_ok = |p: &Prefix| match kind {
                Kind::V4Prefix => p.is_ipv4(),
                Kind::V6Prefix => !p.is_ipv4(),
                Kind::Node | Kind::Link => true,
            };
            if let Some(Descriptor::IpReachability(p)) = tlvs
                .iter()
                .find(|d| matches!(d, Descriptor::IpReachability(p) if !family_ok(p)))
            {
                return Err(format!("prefix {p} does not match {}", kind.word()));
            }
            LsNlriBody::build(
                kind,
                LsDescriptors {
                    protocol,
                    identifier,
                    tlvs,
                },
            )
        }
        (None, Some(nlri_type)) => {
            let v = toks.value("NLRI type")?;
            let hex = v
                .strip_prefix("raw:")
                .ok_or_else(|| format!("expected raw:HEX, found {v:?}"))?;
            let value = hex.parse::<HexBytes>().map_err(|e| e.reason)?;
            if let Some(t) = toks.next() {
                return Err(format!("unexpected {t:?}"));
            }
            LsNlriBody::Unknown { nlri_type, value }
        }
        (None, None) => return Err(format!("unknown NLRI kind {head:?}")),
    };
    let built = BgpLsNlri { rd, body };
    // Validate through the wire form: the result is exactly what decoding
    // the encoded bytes gives (mandatory TLVs, lengths, raw TLVs of a known
    // type becoming typed).
    let mut wire = Vec::new();
    built.encode(&mut wire);
    if wire.len() > 4 + usize::from(u16::MAX) {
        return Err("NLRI longer than 65535 octets".to_string());
    }
    let mut r = Reader::new(&wire, "BGP-LS NLRI");
    let back = BgpLsNlri::decode(&mut r, built.rd.is_some()).map_err(|e| e.to_string())?;
    r.finish().map_err(|e| e.to_string())?;
    Ok(back)
}

impl FromStr for BgpLsNlri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_nlri(s).map_err(|reason| ParseError::new("BGP-LS NLRI", s, reason))
    }
}

// ---------------------------------------------------------------------------
// The BGP-LS attribute (path attribute 29)
// ---------------------------------------------------------------------------

/// A bandwidth in bytes per second, an IEEE 754 single (RFC 9552 §5.3.2.2),
/// kept as its raw bits so that NaN payloads re-encode unchanged and the
/// type can be `Eq` and `Hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bandwidth(pub u32);

impl Bandwidth {
    pub fn from_bytes_per_sec(v: f32) -> Self {
        Bandwidth(v.to_bits())
    }
    pub fn bytes_per_sec(self) -> f32 {
        f32::from_bits(self.0)
    }
}

/// IGP Metric TLV 1095 (RFC 9552 §5.3.2.4): the length depends on the IGP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum IgpMetric {
    /// IS-IS narrow metric: 6 bits; the top two bits are reserved and kept.
    Small(u8),
    /// OSPF link metric.
    Ospf(u16),
    /// IS-IS wide metric, 24 bits.
    Wide(u32),
}

impl IgpMetric {
    pub fn value(self) -> u32 {
        match self {
            IgpMetric::Small(v) => u32::from(v & 0x3f),
            IgpMetric::Ospf(v) => u32::from(v),
            IgpMetric::Wide(v) => v & 0xff_ffff,
        }
    }
}

/// A SID/Label sub-TLV 1161 value (RFC 9085 §2.1.1), or the SID field of
/// the Adjacency and Prefix SID TLVs: 3 octets hold a label (20 rightmost
/// bits), 4 octets an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SidLabel {
    /// The raw 24-bit field.
    Label(u32),
    Index(u32),
}

impl SidLabel {
    fn decode(v: &[u8]) -> Option<Self> {
        match *v {
            [a, b, c] => Some(SidLabel::Label(u24_of([a, b, c]))),
            [a, b, c, d] => Some(SidLabel::Index(u32::from_be_bytes([a, b, c, d]))),
            _ => None,
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            SidLabel::Label(l) => put_u24(out, *l),
            SidLabel::Index(i) => out.extend_from_slice(&i.to_be_bytes()),
        }
    }
}

/// One range of an SR Capabilities or SR Local Block TLV (RFC 9085 §2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SrRange {
    /// Range size, 24 bits.
    pub size: u32,
    /// First SID/label of the range.
    pub first: SidLabel,
}

/// SR Capabilities (1034) and SR Local Block (1036), RFC 9085 §2.1.2 and
/// §2.1.4: flags, a reserved octet, then ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SrRanges {
    pub flags: u8,
    pub reserved: u8,
    pub ranges: Vec<SrRange>,
}

impl SrRanges {
    fn decode(v: &[u8]) -> Option<Self> {
        let mut r = Reader::new(v, "BGP-LS SR ranges");
        let flags = r.u8().ok()?;
        let reserved = r.u8().ok()?;
        let mut ranges = Vec::new();
        while !r.is_empty() {
            let size = u24_of(r.array().ok()?);
            let (t, sv) = next_tlv(&mut r).ok()?;
            if t != tlv::SID_LABEL {
                return None;
            }
            ranges.push(SrRange {
                size,
                first: SidLabel::decode(sv)?,
            });
        }
        Some(SrRanges {
            flags,
            reserved,
            ranges,
        })
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.flags);
        out.push(self.reserved);
        for r in &self.ranges {
            put_u24(out, r.size);
            put_tlv(out, tlv::SID_LABEL, |out| r.first.encode(out));
        }
    }
}

/// Adjacency SID TLV 1099 (RFC 9085 §2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AdjacencySid {
    pub flags: u8,
    pub weight: u8,
    pub reserved: u16,
    pub sid: SidLabel,
}

/// Prefix SID TLV 1158 (RFC 9085 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PrefixSid {
    pub flags: u8,
    pub algorithm: u8,
    pub reserved: u16,
    pub sid: SidLabel,
}

/// Decodes `a (1) | b (1) | reserved (2) | SID (3 or 4)`, the shape shared
/// by the Adjacency SID and Prefix SID TLVs.
fn sid_tlv(v: &[u8]) -> Option<(u8, u8, u16, SidLabel)> {
    match v {
        [a, b, r0, r1, sid @ ..] => Some((
            *a,
            *b,
            u16::from_be_bytes([*r0, *r1]),
            SidLabel::decode(sid)?,
        )),
        _ => None,
    }
}

/// One TLV of the BGP-LS attribute (RFC 9552 §5.3, RFC 9085 §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum LsAttrTlv {
    /// 263: Multi-Topology IDs of a node (raw 16-bit fields).
    MultiTopology(Vec<u16>),
    /// 1024: Node Flag Bits (O T E B R V).
    NodeFlags(u8),
    /// 1026: Node Name (RFC 5301), when it is UTF-8.
    NodeName(String),
    /// 1027: IS-IS Area Identifier (1 to 13 octets).
    IsIsArea(HexBytes),
    /// 1028: IPv4 Router-ID of the local node.
    LocalRouterIdV4(Ipv4Addr),
    /// 1029: IPv6 Router-ID of the local node.
    LocalRouterIdV6(Ipv6Addr),
    /// 1030: IPv4 Router-ID of the remote node.
    RemoteRouterIdV4(Ipv4Addr),
    /// 1031: IPv6 Router-ID of the remote node.
    RemoteRouterIdV6(Ipv6Addr),
    /// 1034: SR Capabilities (RFC 9085 §2.1.2).
    SrCapabilities(SrRanges),
    /// 1035: SR Algorithms (RFC 9085 §2.1.3).
    SrAlgorithms(Vec<u8>),
    /// 1036: SR Local Block (RFC 9085 §2.1.4).
    SrLocalBlock(SrRanges),
    /// 1088: Administrative group (color).
    AdminGroup(u32),
    /// 1089: Maximum link bandwidth.
    MaxLinkBandwidth(Bandwidth),
    /// 1090: Maximum reservable link bandwidth.
    MaxReservableBandwidth(Bandwidth),
    /// 1091: Unreserved bandwidth, priorities 0 to 7.
    UnreservedBandwidth([Bandwidth; 8]),
    /// 1092: TE Default Metric (4 octets).
    TeDefaultMetric(u32),
    /// 1093: Link Protection Type (RFC 5307 §1.2).
    LinkProtection { flags: u8, reserved: u8 },
    /// 1094: MPLS Protocol Mask (L = LDP, R = RSVP-TE).
    MplsProtocolMask(u8),
    /// 1095: IGP Metric.
    IgpMetric(IgpMetric),
    /// 1096: Shared Risk Link Groups.
    Srlg(Vec<u32>),
    /// 1098: Link Name, when it is UTF-8.
    LinkName(String),
    /// 1099: Adjacency SID (RFC 9085 §2.2.1).
    AdjacencySid(AdjacencySid),
    /// 1152: IGP Flags (D N L P).
    IgpFlags(u8),
    /// 1153: IGP Route Tags.
    RouteTags(Vec<u32>),
    /// 1154: IGP Extended Route Tags.
    ExtendedRouteTags(Vec<u64>),
    /// 1155: Prefix Metric.
    PrefixMetric(u32),
    /// 1156: OSPF Forwarding Address (IPv4 or IPv6).
    OspfForwardingAddress(IpAddr),
    /// 1158: Prefix SID (RFC 9085 §2.3.1).
    PrefixSid(PrefixSid),
    /// Any other TLV, or a known one whose value does not have the expected
    /// shape (kept so that it propagates unchanged, RFC 9552 §8.2.2).
    Unknown { tlv_type: u16, value: HexBytes },
}

impl LsAttrTlv {
    pub fn tlv_type(&self) -> u16 {
        use LsAttrTlv as A;
        match self {
            A::MultiTopology(_) => tlv::MULTI_TOPOLOGY,
            A::NodeFlags(_) => tlv::NODE_FLAGS,
            A::NodeName(_) => tlv::NODE_NAME,
            A::IsIsArea(_) => tlv::ISIS_AREA,
            A::LocalRouterIdV4(_) => tlv::LOCAL_ROUTER_ID_V4,
            A::LocalRouterIdV6(_) => tlv::LOCAL_ROUTER_ID_V6,
            A::RemoteRouterIdV4(_) => tlv::REMOTE_ROUTER_ID_V4,
            A::RemoteRouterIdV6(_) => tlv::REMOTE_ROUTER_ID_V6,
            A::SrCapabilities(_) => tlv::SR_CAPABILITIES,
            A::SrAlgorithms(_) => tlv::SR_ALGORITHM,
            A::SrLocalBlock(_) => tlv::SR_LOCAL_BLOCK,
            A::AdminGroup(_) => tlv::ADMIN_GROUP,
            A::MaxLinkBandwidth(_) => tlv::MAX_LINK_BANDWIDTH,
            A::MaxReservableBandwidth(_) => tlv::MAX_RESERVABLE_BANDWIDTH,
            A::UnreservedBandwidth(_) => tlv::UNRESERVED_BANDWIDTH,
            A::TeDefaultMetric(_) => tlv::TE_DEFAULT_METRIC,
            A::LinkProtection { .. } => tlv::LINK_PROTECTION,
            A::MplsProtocolMask(_) => tlv::MPLS_PROTOCOL_MASK,
            A::IgpMetric(_) => tlv::IGP_METRIC,
            A::Srlg(_) => tlv::SRLG,
            A::LinkName(_) => tlv::LINK_NAME,
            A::AdjacencySid(_) => tlv::ADJACENCY_SID,
            A::IgpFlags(_) => tlv::IGP_FLAGS,
            A::RouteTags(_) => tlv::ROUTE_TAG,
            A::ExtendedRouteTags(_) => tlv::EXTENDED_ROUTE_TAG,
            A::PrefixMetric(_) => tlv::PREFIX_METRIC,
            A::OspfForwardingAddress(_) => tlv::OSPF_FORWARDING_ADDRESS,
            A::PrefixSid(_) => tlv::PREFIX_SID,
            A::Unknown { tlv_type, .. } => *tlv_type,
        }
    }

    /// The typed form of a TLV, or `None` when the value does not have the
    /// shape its type calls for.
    fn typed(t: u16, v: &[u8]) -> Option<Self> {
        use LsAttrTlv as A;
        let v4 = || <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from);
        let v6 = || <[u8; 16]>::try_from(v).ok().map(Ipv6Addr::from);
        let be32 = || <[u8; 4]>::try_from(v).ok().map(u32::from_be_bytes);
        let one = || match *v {
            [b] => Some(b),
            _ => None,
        };
        let text = || std::str::from_utf8(v).ok().map(str::to_string);
        Some(match t {
            tlv::MULTI_TOPOLOGY => A::MultiTopology(u16_list(v)?),
            tlv::NODE_FLAGS => A::NodeFlags(one()?),
            tlv::NODE_NAME => A::NodeName(text()?),
            // RFC 9552 §5.3.1.2: an area address is 1 to 13 octets.
            tlv::ISIS_AREA if (1..=13).contains(&v.len()) => A::IsIsArea(HexBytes(v.to_vec())),
            tlv::LOCAL_ROUTER_ID_V4 => A::LocalRouterIdV4(v4()?),
            tlv::LOCAL_ROUTER_ID_V6 => A::LocalRouterIdV6(v6()?),
            tlv::REMOTE_ROUTER_ID_V4 => A::RemoteRouterIdV4(v4()?),
            tlv::REMOTE_ROUTER_ID_V6 => A::RemoteRouterIdV6(v6()?),
            tlv::SR_CAPABILITIES => A::SrCapabilities(SrRanges::decode(v)?),
            tlv::SR_ALGORITHM => A::SrAlgorithms(v.to_vec()),
            tlv::SR_LOCAL_BLOCK => A::SrLocalBlock(SrRanges::decode(v)?),
            tlv::ADMIN_GROUP => A::AdminGroup(be32()?),
            tlv::MAX_LINK_BANDWIDTH => A::MaxLinkBandwidth(Bandwidth(be32()?)),
            tlv::MAX_RESERVABLE_BANDWIDTH => A::MaxReservableBandwidth(Bandwidth(be32()?)),
            tlv::UNRESERVED_BANDWIDTH if v.len() == 32 => {
                let l = u32_list(v)?;
                let mut bw = [Bandwidth(0); 8];
                for (dst, src) in bw.iter_mut().zip(l) {
                    *dst = Bandwidth(src);
                }
                A::UnreservedBandwidth(bw)
            }
            tlv::TE_DEFAULT_METRIC => A::TeDefaultMetric(be32()?),
            tlv::LINK_PROTECTION => match *v {
                [flags, reserved] => A::LinkProtection { flags, reserved },
                _ => return None,
            },
            tlv::MPLS_PROTOCOL_MASK => A::MplsProtocolMask(one()?),
            tlv::IGP_METRIC => A::IgpMetric(match *v {
                [a] => IgpMetric::Small(a),
                [a, b] => IgpMetric::Ospf(u16::from_be_bytes([a, b])),
                [a, b, c] => IgpMetric::Wide(u24_of([a, b, c])),
                _ => return None,
            }),
            tlv::SRLG => A::Srlg(u32_list(v)?),
            tlv::LINK_NAME => A::LinkName(text()?),
            tlv::ADJACENCY_SID => {
                let (flags, weight, reserved, sid) = sid_tlv(v)?;
                A::AdjacencySid(AdjacencySid {
                    flags,
                    weight,
                    reserved,
                    sid,
                })
            }
            tlv::IGP_FLAGS => A::IgpFlags(one()?),
            tlv::ROUTE_TAG => A::RouteTags(u32_list(v)?),
            tlv::EXTENDED_ROUTE_TAG => A::ExtendedRouteTags(u64_list(v)?),
            tlv::PREFIX_METRIC => A::PrefixMetric(be32()?),
            tlv::OSPF_FORWARDING_ADDRESS => A::OspfForwardingAddress(match v4() {
                Some(a) => IpAddr::V4(a),
                None => IpAddr::V6(v6()?),
            }),
            tlv::PREFIX_SID => {
                let (flags, algorithm, reserved, sid) = sid_tlv(v)?;
                A::PrefixSid(PrefixSid {
                    flags,
                    algorithm,
                    reserved,
                    sid,
                })
            }
            _ => return None,
        })
    }

    fn decode(t: u16, v: &[u8]) -> Self {
        Self::typed(t, v).unwrap_or_else(|| LsAttrTlv::Unknown {
            tlv_type: t,
            value: HexBytes(v.to_vec()),
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        use LsAttrTlv as A;
        put_tlv(out, self.tlv_type(), |out| match self {
            A::MultiTopology(l) => {
                for m in l {
                    out.extend_from_slice(&m.to_be_bytes());
                }
            }
            A::NodeFlags(b) | A::MplsProtocolMask(b) | A::IgpFlags(b) => out.push(*b),
            A::NodeName(s) | A::LinkName(s) => out.extend_from_slice(s.as_bytes()),
            A::IsIsArea(h) => out.extend_from_slice(&h.0),
            A::LocalRouterIdV4(a) | A::RemoteRouterIdV4(a) => out.extend_from_slice(&a.octets()),
            A::LocalRouterIdV6(a) | A::RemoteRouterIdV6(a) => out.extend_from_slice(&a.octets()),
            A::SrCapabilities(r) | A::SrLocalBlock(r) => r.encode(out),
            A::SrAlgorithms(l) => out.extend_from_slice(l),
            A::AdminGroup(n) | A::TeDefaultMetric(n) | A::PrefixMetric(n) => {
                out.extend_from_slice(&n.to_be_bytes())
            }
            A::MaxLinkBandwidth(b) | A::MaxReservableBandwidth(b) => {
                out.extend_from_slice(&b.0.to_be_bytes())
            }
            A::UnreservedBandwidth(l) => {
                for b in l {
                    out.extend_from_slice(&b.0.to_be_bytes());
                }
            }
            A::LinkProtection { flags, reserved } => out.extend_from_slice(&[*flags, *reserved]),
            A::IgpMetric(m) => match m {
                IgpMetric::Small(v) => out.push(*v),
                IgpMetric::Ospf(v) => out.extend_from_slice(&v.to_be_bytes()),
                IgpMetric::Wide(v) => put_u24(out, *v),
            },
            A::Srlg(l) | A::RouteTags(l) => {
                for n in l {
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
            A::ExtendedRouteTags(l) => {
                for n in l {
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
            A::OspfForwardingAddress(IpAddr::V4(a)) => out.extend_from_slice(&a.octets()),
            A::OspfForwardingAddress(IpAddr::V6(a)) => out.extend_from_slice(&a.octets()),
            A::AdjacencySid(s) => {
                out.extend_from_slice(&[s.flags, s.weight]);
                out.extend_from_slice(&s.reserved.to_be_bytes());
                s.sid.encode(out);
            }
            A::PrefixSid(s) => {
                out.extend_from_slice(&[s.flags, s.algorithm]);
                out.extend_from_slice(&s.reserved.to_be_bytes());
                s.sid.encode(out);
            }
            A::Unknown { value, .. } => out.extend_from_slice(&value.0),
        });
    }
}

/// The BGP-LS attribute (path attribute 29, RFC 9552 §5.3): node, link or
/// prefix attribute TLVs, in the order received.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BgpLsAttribute {
    pub tlvs: Vec<LsAttrTlv>,
}

impl BgpLsAttribute {
    /// Decodes the whole attribute value. Fails only when a TLV overruns the
    /// value; TLVs with an unexpected shape are kept raw (see module docs).
    pub fn decode(value: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(value, "BGP-LS attribute");
        let mut tlvs = Vec::new();
        while !r.is_empty() {
            let (t, v) = next_tlv(&mut r)?;
            tlvs.push(LsAttrTlv::decode(t, v));
        }
        Ok(BgpLsAttribute { tlvs })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        for t in &self.tlvs {
            t.encode(out);
        }
    }

    /// The first TLV of the given type.
    pub fn get(&self, tlv_type: u16) -> Option<&LsAttrTlv> {
        self.tlvs.iter().find(|t| t.tlv_type() == tlv_type)
    }

    fn find<'s, T>(&'s self, f: impl Fn(&'s LsAttrTlv) -> Option<T>) -> Option<T> {
        self.tlvs.iter().find_map(f)
    }

    pub fn node_name(&self) -> Option<&str> {
        self.find(|t| match t {
            LsAttrTlv::NodeName(s) => Some(s.as_str()),
            _ => None,
        })
    }

    pub fn igp_metric(&self) -> Option<u32> {
        self.find(|t| match t {
            LsAttrTlv::IgpMetric(m) => Some(m.value()),
            _ => None,
        })
    }

    pub fn max_link_bandwidth(&self) -> Option<f32> {
        self.find(|t| match t {
            LsAttrTlv::MaxLinkBandwidth(b) => Some(b.bytes_per_sec()),
            _ => None,
        })
    }

    pub fn prefix_metric(&self) -> Option<u32> {
        self.find(|t| match t {
            LsAttrTlv::PrefixMetric(m) => Some(*m),
            _ => None,
        })
    }

    /// IPv4 and IPv6 Router-IDs of the local node (1028, 1029), in order.
    pub fn local_router_ids(&self) -> Vec<IpAddr> {
        self.tlvs
            .iter()
            .filter_map(|t| match t {
                LsAttrTlv::LocalRouterIdV4(a) => Some(IpAddr::V4(*a)),
                LsAttrTlv::LocalRouterIdV6(a) => Some(IpAddr::V6(*a)),
                _ => None,
            })
            .collect()
    }

    /// IPv4 and IPv6 Router-IDs of the remote node (1030, 1031), in order.
    pub fn remote_router_ids(&self) -> Vec<IpAddr> {
        self.tlvs
            .iter()
            .filter_map(|t| match t {
                LsAttrTlv::RemoteRouterIdV4(a) => Some(IpAddr::V4(*a)),
                LsAttrTlv::RemoteRouterIdV6(a) => Some(IpAddr::V6(*a)),
                _ => None,
            })
            .collect()
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::*;
    serialize_display!(HexBytes, IgpRouterId);

    impl serde::Serialize for Bandwidth {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_f32(self.bytes_per_sec())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nlri(hex_str: &str, vpn: bool) -> BgpLsNlri {
        let bytes = hex::decode(hex_str).unwrap();
        let mut r = Reader::new(&bytes, "test");
        let n = BgpLsNlri::decode(&mut r, vpn).unwrap();
        assert!(r.is_empty(), "{hex_str}: trailing bytes");
        let mut out = Vec::new();
        n.encode(&mut out);
        assert_eq!(hex::encode(&out), hex_str, "re-encoding differs");
        let text = n.to_string();
        assert_eq!(text.parse::<BgpLsNlri>(), Ok(n.clone()), "{text}");
        n
    }

    fn attr(hex_str: &str) -> BgpLsAttribute {
        let bytes = hex::decode(hex_str).unwrap();
        let a = BgpLsAttribute::decode(&bytes).unwrap();
        let mut out = Vec::new();
        a.encode(&mut out);
        assert_eq!(hex::encode(&out), hex_str, "re-encoding differs");
        a
    }

    fn decode_err(hex_str: &str, vpn: bool) -> WireError {
        let bytes = hex::decode(hex_str).unwrap();
        BgpLsNlri::decode(&mut Reader::new(&bytes, "test"), vpn).unwrap_err()
    }

    fn isis(s: &str) -> IgpRouterId {
        s.parse().unwrap()
    }

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn unknown_of(a: &BgpLsAttribute, t: u16) -> Vec<String> {
        a.tlvs
            .iter()
            .filter_map(|x| match x {
                LsAttrTlv::Unknown { tlv_type, value } if *tlv_type == t => Some(value.to_string()),
                _ => None,
            })
            .collect()
    }

    // -----------------------------------------------------------------------
    // ExaBGP qa/decoding/bgp-ls-{1..10}: the MP_REACH_NLRI NLRI field and the
    // BGP-LS attribute value of each message (see `exabgp_files_match`).
    // -----------------------------------------------------------------------

    const EXA: [(&str, &str); 10] = [
        ("0002005103000000000000000001000020020000040000000102010004c0a87a7e0202000400000000020300040a0a0a0a01010020020000040000000102010004c0a87a7e0202000400000000020300040a020202", ""),
        ("0002006503000000000000000001000020020000040000fde902010004000000000202000400000000020300040a01010101010024020000040000fde902010004000000000202000400000000020300080a0104010a010102010300040a010101010400040a010102", "04470003000001"),
        ("0002006503000000000000000001000020020000040000fde902010004000000000202000400000000020300040a01010101010024020000040000fde902010004000000000202000400000000020300080a0104010a010102010300040a010101010400040a010102", "04470003000001"),
        ("000200550200000000000000020100001a0200000400000d1802010004000000b2020300061921682522400101001a0200000400000d1802010004000000b20203000619216825216201030004c0a8c75401040004c0a8c755", "0102000800000172000001bb04470003001388"),
        ("000200350200000000000000000100000a020300060001000000010101000a02030006000100000002010300040a000000010400040a000001", "0440000400000000044100044cee6b28044200044cee6b28044300204cee6b284cee6b284cee6b284cee6b284cee6b284cee6b284cee6b284cee6b2804440004000000140447000300000a044b000730000000049310044b000770000000049300"),
        ("000200570200000000000000000100001a0200000400021c900201000400000000020300060000000000150101001a0200000400021c90020100040000000002030006000300000009010200080000002700000035010700020002", "040400040a00ca0104050010fc001000011200000000000000000001040600040a00020104070010fc001000000200000000000000000001044100044e9502f90447000300000a0452001e003980000000fc0010000112e002000000000000000004e40004201010000452001e003900000000fc0010000112e003000000000000000004e40004201010000452001e003980810000fc0010010112e002000000000000000004e40004201010000452001e003900810000fc0010010112e003000000000000000004e40004201010000452001e003980820000fc0010030112e002000000000000000004e40004201010000452001e003900820000fc0010030112e003000000000000000004e4000420101000045a00040000000a045b00080000000a0000000a045c00040000000004620020040400001000000000000000044400040000000a045b00080000000a00000000"),
        ("000100270100000000000000040100001a020000040000fc13020100040000008b02030006192168251231", "040000010004020012484c354d4d54312d3130372d4958522d5236040300094900000000ff98000004040004c0a8af3104040004c0a8af3304040004c0a8fbe7"),
        ("000300300200000000000002bc0100001a0200000400003e34020100040000000002030006010135000041010900051e0a860258", "04830004000000640492000100"),
        ("000100270200000000000002bc0100001a0200000400003e34020100040000000002030006010134000041", "010a0002010a04020006726f7574657204030003490090040400040a860029040a000c8000001f4004890003003e80040b00020001040c000c00000003e804890003003a98"),
        ("000200580200000000000000000100001a02000004000030220201000400000000020300060000000000130101001b020000040000302202010004000000000203000700000000001403010200080000001000000000010700020002", "044100044cee6b28044700030003e804530024003980000000000000000014fc302200000de002000000000000000004e400042010104004530024003900000000000000000014fc302200000de003000000000000000004e400042010104004530024003980800000000000000014fc302201000de006000000000000000004e400042010104004530024003900800000000000000014fc302201000de007000000000000000004e4000420101040"),
    ];

    /// Minimal UPDATE walk for the test files: optional marker/length/type
    /// header, withdrawn routes, then path attributes; returns the NLRI of
    /// MP_REACH_NLRI (type 14) and the BGP-LS attribute (type 29).
    fn split_update(mut b: &[u8]) -> (Vec<u8>, Vec<u8>) {
        if b.starts_with(&[0xff; 16]) {
            b = &b[19..];
        }
        let wl = usize::from(u16::from_be_bytes([b[0], b[1]]));
        b = &b[2 + wl..];
        let al = usize::from(u16::from_be_bytes([b[0], b[1]]));
        let mut attrs = &b[2..2 + al];
        let (mut mp, mut ls) = (Vec::new(), Vec::new());
        while !attrs.is_empty() {
            let (flags, t) = (attrs[0], attrs[1]);
            let (len, h) = if flags & 0x10 != 0 {
                (usize::from(u16::from_be_bytes([attrs[2], attrs[3]])), 4)
            } else {
                (usize::from(attrs[2]), 3)
            };
            let v = &attrs[h..h + len];
            match t {
                14 => {
                    assert_eq!(&v[..3], &[0x40, 0x04, 71], "AFI 16388 SAFI 71");
                    let nh = usize::from(v[3]);
                    assert_eq!(v[4 + nh], 0, "reserved octet");
                    mp = v[5 + nh..].to_vec();
                }
                29 => ls = v.to_vec(),
                _ => {}
            }
            attrs = &attrs[h + len..];
        }
        (mp, ls)
    }

    #[test]
    fn exabgp_files_match() {
        let dir = std::path::Path::new("/work/shared/data/exabgp/qa/decoding");
        if !dir.exists() {
            return;
        }
        for (i, (n_hex, a_hex)) in EXA.iter().enumerate() {
            let text = std::fs::read_to_string(dir.join(format!("bgp-ls-{}", i + 1))).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let hex_str: String = lines[1].split_whitespace().collect();
            let bytes = hex::decode(hex_str).unwrap();
            let (mp, ls) = if lines[0].starts_with("nlri") {
                (bytes, Vec::new())
            } else {
                split_update(&bytes)
            };
            assert_eq!(hex::encode(&mp), *n_hex, "bgp-ls-{} NLRI", i + 1);
            assert_eq!(hex::encode(&ls), *a_hex, "bgp-ls-{} attribute", i + 1);
            // ExaBGP's JSON names the NLRI type; check ours agrees.
            let json: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
            let want = find_key(&json, "ls-nlri-type").unwrap();
            let got = match nlri(n_hex, false).nlri_type() {
                1 => "bgpls-node",
                2 => "bgpls-link",
                3 => "bgpls-prefix-v4",
                _ => "other",
            };
            assert_eq!(want, got, "bgp-ls-{}", i + 1);
            let proto = find_key(&json, "protocol-id").unwrap();
            assert_eq!(
                proto.as_u64(),
                nlri(n_hex, false).protocol().map(|p| u64::from(p.0))
            );
        }
    }

    fn find_key<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
        match v {
            serde_json::Value::Object(m) => m
                .get(key)
                .or_else(|| m.values().find_map(|x| find_key(x, key))),
            serde_json::Value::Array(a) => a.iter().find_map(|x| find_key(x, key)),
            _ => None,
        }
    }

    #[test]
    fn exabgp_all_round_trip() {
        for (n, a) in EXA {
            nlri(n, false);
            attr(a);
        }
    }

    #[test]
    fn exabgp_1_ospf_link_without_link_descriptors() {
        let n = nlri(EXA[0].0, false);
        assert_eq!(n.nlri_type(), 2);
        assert_eq!(n.protocol(), Some(ProtocolId::OSPFV2));
        assert_eq!(n.identifier(), Some(0));
        let l = n.local_node().unwrap();
        assert_eq!(l.as_number(), Some(1));
        assert_eq!(l.bgp_ls_id(), Some(3232266878));
        assert_eq!(l.ospf_area_id(), Some(v4("0.0.0.0")));
        assert_eq!(
            l.igp_router_id(),
            Some(IgpRouterId::Ospf(v4("10.10.10.10")))
        );
        let r = n.remote_node().unwrap();
        assert_eq!(r.igp_router_id(), Some(IgpRouterId::Ospf(v4("10.2.2.2"))));
        assert_eq!(n.descriptors().unwrap().tlvs.len(), 2);
        assert_eq!(
            n.to_string(),
            "link protocol ospfv2 id 0 \
             local [as 1 bgp-ls-id 3232266878 ospf-area 0.0.0.0 router 10.10.10.10] \
             remote [as 1 bgp-ls-id 3232266878 ospf-area 0.0.0.0 router 10.2.2.2]"
        );
    }

    #[test]
    fn exabgp_2_ospf_pseudonode_link() {
        for i in [1, 2] {
            let n = nlri(EXA[i].0, false);
            let l = n.local_node().unwrap();
            assert_eq!(l.as_number(), Some(65001));
            assert_eq!(l.bgp_ls_id(), Some(0));
            assert_eq!(l.igp_router_id(), Some(IgpRouterId::Ospf(v4("10.1.1.1"))));
            // "router-id": "10.1.4.1", "designated-router-id": "10.1.1.2"
            assert_eq!(
                n.remote_node().unwrap().igp_router_id(),
                Some(IgpRouterId::OspfPseudonode(v4("10.1.4.1"), v4("10.1.1.2")))
            );
            let d = &n.descriptors().unwrap().tlvs;
            assert!(d.contains(&Descriptor::Ipv4Interface(v4("10.1.1.1"))));
            assert!(d.contains(&Descriptor::Ipv4Neighbor(v4("10.1.1.2"))));
            assert_eq!(
                n.to_string(),
                "link protocol ospfv2 id 0 \
                 local [as 65001 bgp-ls-id 0 ospf-area 0.0.0.0 router 10.1.1.1] \
                 remote [as 65001 bgp-ls-id 0 ospf-area 0.0.0.0 router 10.1.4.1:10.1.1.2] \
                 link [ipv4-if 10.1.1.1 ipv4-nbr 10.1.1.2]"
            );
            let a = attr(EXA[i].1);
            assert_eq!(a.igp_metric(), Some(1));
            assert_eq!(a.tlvs, vec![LsAttrTlv::IgpMetric(IgpMetric::Wide(1))]);
        }
    }

    #[test]
    fn exabgp_4_isis_link() {
        let n = nlri(EXA[3].0, false);
        assert_eq!(n.protocol(), Some(ProtocolId::ISIS_L2));
        assert_eq!(n.identifier(), Some(2));
        let l = n.local_node().unwrap();
        assert_eq!(l.as_number(), Some(3352));
        assert_eq!(l.bgp_ls_id(), Some(178));
        // ExaBGP prints the system ID as "192168252240".
        assert_eq!(l.igp_router_id(), Some(isis("1921.6825.2240")));
        assert_eq!(
            n.remote_node().unwrap().igp_router_id(),
            Some(isis("1921.6825.2162"))
        );
        assert_eq!(
            n.to_string(),
            "link protocol isis-l2 id 2 local [as 3352 bgp-ls-id 178 router 1921.6825.2240] \
             remote [as 3352 bgp-ls-id 178 router 1921.6825.2162] \
             link [ipv4-if 192.168.199.84 ipv4-nbr 192.168.199.85]"
        );
        let a = attr(EXA[3].1);
        // TLV 258 is a link descriptor, not an attribute TLV: kept raw.
        // ExaBGP: {"local-id": 370, "remote-id": 443}.
        assert_eq!(unknown_of(&a, 258), vec![format!("{:08x}{:08x}", 370, 443)]);
        assert_eq!(a.igp_metric(), Some(5000));
    }

    #[test]
    fn exabgp_5_te_and_adjacency_sids() {
        let n = nlri(EXA[4].0, false);
        assert_eq!(
            n.to_string(),
            "link protocol isis-l2 id 0 local [router 0001.0000.0001] \
             remote [router 0001.0000.0002] link [ipv4-if 10.0.0.0 ipv4-nbr 10.0.0.1]"
        );
        let a = attr(EXA[4].1);
        let bw = Bandwidth::from_bytes_per_sec(125_000_000.0);
        assert_eq!(
            a.tlvs,
            vec![
                LsAttrTlv::AdminGroup(0),
                LsAttrTlv::MaxLinkBandwidth(bw),
                LsAttrTlv::MaxReservableBandwidth(bw),
                LsAttrTlv::UnreservedBandwidth([bw; 8]),
                LsAttrTlv::TeDefaultMetric(20),
                LsAttrTlv::IgpMetric(IgpMetric::Wide(10)),
                // flags V L / B V L, weight 0, labels 299792 / 299776
                LsAttrTlv::AdjacencySid(AdjacencySid {
                    flags: 0x30,
                    weight: 0,
                    reserved: 0,
                    sid: SidLabel::Label(299792),
                }),
                LsAttrTlv::AdjacencySid(AdjacencySid {
                    flags: 0x70,
                    weight: 0,
                    reserved: 0,
                    sid: SidLabel::Label(299776),
                }),
            ]
        );
        assert_eq!(a.max_link_bandwidth(), Some(125_000_000.0));
    }

    #[test]
    fn exabgp_6_link_ids_mt_and_srv6() {
        let n = nlri(EXA[5].0, false);
        let l = n.local_node().unwrap();
        assert_eq!(l.as_number(), Some(138384));
        assert_eq!(l.igp_router_id(), Some(isis("0000.0000.0015")));
        assert_eq!(
            n.remote_node().unwrap().igp_router_id(),
            Some(isis("0003.0000.0009"))
        );
        let d = &n.descriptors().unwrap().tlvs;
        assert!(d.contains(&Descriptor::LinkIds {
            local: 39,
            remote: 53
        }));
        assert!(d.contains(&Descriptor::MultiTopology(vec![2])));
        assert!(n.to_string().ends_with("link [link-id 39:53 mt 2]"));
        let a = attr(EXA[5].1);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            a.local_router_ids(),
            vec![ip("10.0.202.1"), ip("fc00:1000:112::1")]
        );
        assert_eq!(
            a.remote_router_ids(),
            vec![ip("10.0.2.1"), ip("fc00:1000:2::1")]
        );
        assert_eq!(a.max_link_bandwidth(), Some(1_250_000_000.0));
        assert_eq!(a.igp_metric(), Some(10));
        // SRv6 End.X SIDs (1106, RFC 9514) and delay TLVs stay raw.
        assert_eq!(unknown_of(&a, 1106).len(), 6);
        assert!(unknown_of(&a, 1106)[0].contains("fc0010000112e002"));
        assert_eq!(unknown_of(&a, 1114), vec!["0000000a"]);
        assert_eq!(unknown_of(&a, 1122).len(), 1);
    }

    #[test]
    fn exabgp_7_node_with_name_area_router_ids() {
        let n = nlri(EXA[6].0, false);
        assert_eq!(n.nlri_type(), 1);
        assert_eq!(n.protocol(), Some(ProtocolId::ISIS_L1));
        assert_eq!(n.identifier(), Some(4));
        assert_eq!(
            n.to_string(),
            "node protocol isis-l1 id 4 local [as 64531 bgp-ls-id 139 router 1921.6825.1231]"
        );
        let a = attr(EXA[6].1);
        assert_eq!(a.tlvs[0], LsAttrTlv::NodeFlags(0));
        assert_eq!(a.node_name(), Some("HL5MMT1-107-IXR-R6"));
        // ExaBGP prints the area as the integer 1346612317385085419520.
        let LsAttrTlv::IsIsArea(area) = &a.tlvs[2] else {
            panic!("{:?}", a.tlvs[2])
        };
        let v = area
            .0
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        assert_eq!(v, 1346612317385085419520);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            a.local_router_ids(),
            vec![
                ip("192.168.175.49"),
                ip("192.168.175.51"),
                ip("192.168.251.231")
            ]
        );
    }

    #[test]
    fn exabgp_8_ipv4_prefix() {
        let n = nlri(EXA[7].0, false);
        assert_eq!(n.nlri_type(), 3);
        assert_eq!(n.identifier(), Some(700));
        assert_eq!(n.prefix(), Some("10.134.2.88/30".parse().unwrap()));
        assert_eq!(
            n.to_string(),
            "ipv4-prefix protocol isis-l2 id 700 \
             local [as 15924 bgp-ls-id 0 router 0101.3500.0041] prefix [10.134.2.88/30]"
        );
        let a = attr(EXA[7].1);
        assert_eq!(a.prefix_metric(), Some(100));
        // Prefix Attribute Flags (1170, RFC 9085 §2.3.2) stay raw.
        assert_eq!(unknown_of(&a, 1170), vec!["00"]);
    }

    #[test]
    fn exabgp_9_node_sr_capabilities() {
        let n = nlri(EXA[8].0, false);
        assert_eq!(
            n.local_node().unwrap().igp_router_id(),
            Some(isis("0101.3400.0041"))
        );
        let a = attr(EXA[8].1);
        assert_eq!(unknown_of(&a, 266), vec!["010a"]);
        assert_eq!(a.node_name(), Some("router"));
        assert_eq!(
            a.get(tlv::ISIS_AREA),
            Some(&LsAttrTlv::IsIsArea(HexBytes(vec![0x49, 0x00, 0x90])))
        );
        assert_eq!(a.local_router_ids(), vec![IpAddr::V4(v4("10.134.0.41"))]);
        // "sr-capability-flags": {"I": 1}, "sids": [[8000, 16000]]
        assert_eq!(
            a.get(tlv::SR_CAPABILITIES),
            Some(&LsAttrTlv::SrCapabilities(SrRanges {
                flags: 0x80,
                reserved: 0,
                ranges: vec![SrRange {
                    size: 8000,
                    first: SidLabel::Label(16000)
                }],
            }))
        );
        assert_eq!(
            a.get(tlv::SR_ALGORITHM),
            Some(&LsAttrTlv::SrAlgorithms(vec![0, 1]))
        );
        assert_eq!(
            a.get(tlv::SR_LOCAL_BLOCK),
            Some(&LsAttrTlv::SrLocalBlock(SrRanges {
                flags: 0,
                reserved: 0,
                ranges: vec![SrRange {
                    size: 1000,
                    first: SidLabel::Label(15000)
                }],
            }))
        );
    }

    #[test]
    fn exabgp_10_isis_pseudonode_remote() {
        let n = nlri(EXA[9].0, false);
        let r = n.remote_node().unwrap();
        // "router-id": "00000000001403", "psn": "3"
        assert_eq!(
            r.igp_router_id(),
            Some(IgpRouterId::IsIsPseudonode([0, 0, 0, 0, 0, 0x14], 3))
        );
        assert!(n.to_string().contains("router 0000.0000.0014.03]"));
        assert!(n.to_string().ends_with("link [link-id 16:0 mt 2]"));
        let a = attr(EXA[9].1);
        assert_eq!(a.max_link_bandwidth(), Some(125_000_000.0));
        assert_eq!(a.igp_metric(), Some(1000));
        assert_eq!(unknown_of(&a, 1107).len(), 4);
    }

    // -----------------------------------------------------------------------
    // Hand-built NLRI (RFC 9552 §5.2)
    // -----------------------------------------------------------------------

    /// A TLV: type, length, value.
    fn t(ty: u16, v: &[u8]) -> Vec<u8> {
        let mut o = ty.to_be_bytes().to_vec();
        o.extend_from_slice(&u16::try_from(v.len()).unwrap().to_be_bytes());
        o.extend_from_slice(v);
        o
    }

    /// Protocol-ID and identifier.
    fn head(proto: u8, id: u64) -> Vec<u8> {
        let mut o = vec![proto];
        o.extend_from_slice(&id.to_be_bytes());
        o
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    fn local_isis() -> Vec<u8> {
        t(
            256,
            &cat(&[
                &t(512, &65000u32.to_be_bytes()),
                &t(513, &[0, 0, 0, 0]),
                &t(515, &[0, 0, 0, 0, 0, 1]),
            ]),
        )
    }

    fn from_text(s: &str) -> Vec<u8> {
        let n: BgpLsNlri = s.parse().unwrap();
        assert_eq!(n.to_string(), s, "canonical text");
        let mut out = Vec::new();
        n.encode(&mut out);
        out
    }

    #[test]
    fn node_nlri_isis() {
        let bytes = t(1, &cat(&[&head(2, 0), &local_isis()]));
        let n = nlri(&hex::encode(&bytes), false);
        let text = "node protocol isis-l2 id 0 local [as 65000 bgp-ls-id 0 router 0000.0000.0001]";
        assert_eq!(n.to_string(), text);
        assert_eq!(from_text(text), bytes);
        assert_eq!(n.remote_node(), None);
        assert_eq!(n.prefix(), None);
    }

    #[test]
    fn link_nlri_ipv6_and_unknown_descriptor() {
        let a6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let b6: Ipv6Addr = "2001:db8::2".parse().unwrap();
        let remote = t(
            257,
            &cat(&[
                &t(512, &65000u32.to_be_bytes()),
                &t(515, &[0, 0, 0, 0, 0, 2]),
            ]),
        );
        let bytes = t(
            2,
            &cat(&[
                &head(1, 7),
                &local_isis(),
                &remote,
                &t(258, &[0, 0, 0, 5, 0, 0, 0, 6]),
                &t(261, &a6.octets()),
                &t(262, &b6.octets()),
                &t(263, &[0x00, 0x02, 0xf0, 0x03]),
                &t(1200, &[0xde, 0xad]),
            ]),
        );
        let n = nlri(&hex::encode(&bytes), false);
        let text = "link protocol isis-l1 id 7 \
                    local [as 65000 bgp-ls-id 0 router 0000.0000.0001] \
                    remote [as 65000 router 0000.0000.0002] \
                    link [link-id 5:6 ipv6-if 2001:db8::1 ipv6-nbr 2001:db8::2 mt 2,61443 tlv:1200:dead]";
        assert_eq!(n.to_string(), text);
        assert_eq!(from_text(text), bytes);
        // Reserved MT-ID bits (RFC 9552 §5.2.2.1) are carried unchanged.
        assert!(n
            .descriptors()
            .unwrap()
            .tlvs
            .contains(&Descriptor::MultiTopology(vec![2, 0xf003])));
    }

    #[test]
    fn ipv6_prefix_nlri_ospfv3() {
        let bytes = t(
            4,
            &cat(&[
                &head(6, 1),
                &t(256, &t(515, &[192, 0, 2, 1])),
                &t(263, &[0, 0]),
                &t(264, &[3]),
                &t(265, &[48, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01]),
            ]),
        );
        let n = nlri(&hex::encode(&bytes), false);
        let text = "ipv6-prefix protocol ospfv3 id 1 local [router 192.0.2.1] \
                    prefix [mt 0 ospf-route-type external-1 2001:db8:1::/48]";
        assert_eq!(n.to_string(), text);
        assert_eq!(from_text(text), bytes);
        assert_eq!(n.prefix(), Some("2001:db8:1::/48".parse().unwrap()));
        // Prefix length 0: no address octets.
        let bytes = t(3, &cat(&[&head(3, 0), &local_isis(), &t(265, &[0])]));
        let n = nlri(&hex::encode(&bytes), false);
        assert!(n.to_string().ends_with("prefix [0.0.0.0/0]"));
    }

    #[test]
    fn vpn_nlri_carries_rd_inside_length() {
        let rd = RouteDistinguisher::as2(65000, 1);
        let bytes = t(1, &cat(&[&rd.0, &head(2, 0), &local_isis()]));
        let n = nlri(&hex::encode(&bytes), true);
        assert_eq!(n.rd, Some(rd));
        let text = "node rd 65000:1 protocol isis-l2 id 0 \
                    local [as 65000 bgp-ls-id 0 router 0000.0000.0001]";
        assert_eq!(n.to_string(), text);
        assert_eq!(from_text(text), bytes);
        // Fewer than 8 octets cannot hold the RD.
        assert!(matches!(
            decode_err("0001000400000000", true),
            WireError::Truncated { .. }
        ));
    }

    #[test]
    fn unassigned_rd_type_round_trips_as_text() {
        // RouteDistinguisher prints unassigned types as TYPE:0xHEX, which its
        // own parser does not accept; this module reads that form itself.
        let bytes = t(
            1,
            &cat(&[&[0, 3, 1, 2, 3, 4, 5, 6], &head(2, 0), &local_isis()]),
        );
        let n = nlri(&hex::encode(&bytes), true);
        assert!(n
            .to_string()
            .starts_with("node rd 3:0x010203040506 protocol"));
        assert!("node rd 3:0x0102 protocol 2 id 0 local []"
            .parse::<BgpLsNlri>()
            .is_err());
        assert!("node rd x:0x010203040506 protocol 2 id 0 local []"
            .parse::<BgpLsNlri>()
            .is_err());
    }

    #[test]
    fn unknown_nlri_type_is_raw() {
        let n = nlri("00060003010203", false);
        assert_eq!(n.nlri_type(), 6);
        assert_eq!(n.protocol(), None);
        assert_eq!(n.local_node(), None);
        assert_eq!(n.to_string(), "type-6 raw:010203");
        let n = nlri("00090000", false);
        assert_eq!(n.to_string(), "type-9 raw:");
        // With SAFI 72, the RD comes first for every type.
        let n = nlri("0006000b000100000000000709aabb", true);
        assert_eq!(n.to_string(), "type-6 rd 0.0.0.0:7 raw:09aabb");
        assert_eq!(
            from_text("type-6 rd 0.0.0.0:7 raw:09aabb"),
            hex::decode("0006000b000100000000000709aabb").unwrap()
        );
    }

    #[test]
    fn bgp_protocol_node_descriptors() {
        // RFC 9086 §4.1: BGP Router-ID and Confederation Member ASN.
        let bytes = t(
            1,
            &cat(&[
                &head(7, 0),
                &t(
                    256,
                    &cat(&[
                        &t(512, &65000u32.to_be_bytes()),
                        &t(513, &[0, 0, 0, 0]),
                        &t(516, &[192, 0, 2, 1]),
                        &t(517, &65001u32.to_be_bytes()),
                        &t(600, &[0xab, 0xcd]),
                        &t(601, &[]),
                    ]),
                ),
            ]),
        );
        let n = nlri(&hex::encode(&bytes), false);
        let text = "node protocol bgp id 0 local [as 65000 bgp-ls-id 0 bgp-router 192.0.2.1 \
                    member-as 65001 tlv:600:abcd tlv:601:]";
        assert_eq!(n.to_string(), text);
        assert_eq!(from_text(text), bytes);
    }

    #[test]
    fn order_is_kept_as_received() {
        // RFC 9552 §5.1 asks for ascending order; a speaker that does not
        // comply must still be re-encoded byte for byte.
        let remote = t(257, &t(515, &[10, 0, 0, 2]));
        let local = t(256, &t(515, &[10, 0, 0, 1]));
        let bytes = t(
            2,
            &cat(&[
                &head(3, 0),
                &t(259, &[10, 1, 1, 1]),
                &remote,
                &t(260, &[10, 1, 1, 2]),
                &local,
                &t(258, &[0, 0, 0, 1, 0, 0, 0, 2]),
            ]),
        );
        let n = nlri(&hex::encode(&bytes), false);
        let text = "link protocol ospfv2 id 0 link [ipv4-if 10.1.1.1] remote [router 10.0.0.2] \
                    link [ipv4-nbr 10.1.1.2] local [router 10.0.0.1] link [link-id 1:2]";
        assert_eq!(n.to_string(), text);
        assert_eq!(from_text(text), bytes);
    }

    #[test]
    fn decode_reads_exactly_one() {
        let one = t(1, &cat(&[&head(2, 0), &local_isis()]));
        let two = t(3, &cat(&[&head(2, 9), &local_isis(), &t(265, &[8, 10])]));
        let both = cat(&[&one, &two, &[0xee]]);
        let mut r = Reader::new(&both, "test");
        let a = BgpLsNlri::decode(&mut r, false).unwrap();
        let b = BgpLsNlri::decode(&mut r, false).unwrap();
        assert_eq!(r.remaining(), 1);
        assert_eq!(a.nlri_type(), 1);
        assert_eq!(b.prefix(), Some("10.0.0.0/8".parse().unwrap()));
        let mut out = Vec::new();
        a.encode(&mut out);
        b.encode(&mut out);
        assert_eq!(out, both[..both.len() - 1]);
    }

    #[test]
    fn text_accepts_variants() {
        let canon: BgpLsNlri = "link protocol ospfv2 id 0 local [router 10.0.0.1] \
                                remote [router 10.0.0.2] link [ipv4-if 10.1.1.1 ipv4-nbr 10.1.1.2]"
            .parse()
            .unwrap();
        // Bare descriptors, numeric protocol, extra spaces and a raw TLV of a
        // known type (read back as typed).
        let loose: BgpLsNlri = "  link protocol 3  id 0 local[tlv:515:0a000001] \
                                remote [ router 10.0.0.2 ] ipv4-if 10.1.1.1 ipv4-nbr 10.1.1.2 "
            .parse()
            .unwrap();
        assert_eq!(loose, canon);
        let n: BgpLsNlri =
            "node protocol 200 id 18446744073709551615 local [router 0a0b.0C0D.0e0f] \
                            node [ospf-route-type 9]"
                .parse()
                .unwrap();
        assert_eq!(
            n.to_string(),
            "node protocol 200 id 18446744073709551615 local [router 0a0b.0c0d.0e0f] \
             node [ospf-route-type 9]"
        );
    }

    // -----------------------------------------------------------------------
    // Malformed NLRI
    // -----------------------------------------------------------------------

    #[test]
    fn truncated_and_overrunning() {
        let good = hex::decode(EXA[6].0).unwrap();
        // Every strict prefix of a good NLRI fails (the outer length overruns).
        for n in 0..good.len() {
            let mut r = Reader::new(&good[..n], "test");
            assert!(
                BgpLsNlri::decode(&mut r, false).is_err(),
                "prefix of {n} octets"
            );
        }
        // Body too short for protocol-id + identifier.
        assert!(matches!(
            decode_err("000100050200000000", false),
            WireError::Truncated { .. }
        ));
        // A descriptor TLV whose length runs past the NLRI.
        let bytes = t(1, &cat(&[&head(2, 0), &[0x01, 0x00, 0x00, 0x10, 0x02]]));
        assert!(matches!(
            decode_err(&hex::encode(bytes), false),
            WireError::Truncated { .. }
        ));
        // A node descriptor sub-TLV running past its TLV.
        let bytes = t(
            1,
            &cat(&[&head(2, 0), &t(256, &[0x02, 0x00, 0x00, 0x04, 0, 0])]),
        );
        assert!(decode_err(&hex::encode(bytes), false)
            .to_string()
            .contains("node descriptor"));
        // Half a TLV header.
        let bytes = t(1, &cat(&[&head(2, 0), &local_isis(), &[0x01]]));
        assert!(matches!(
            decode_err(&hex::encode(bytes), false),
            WireError::Truncated { .. }
        ));
    }

    fn node_with(desc: &[u8]) -> String {
        hex::encode(t(1, &cat(&[&head(2, 0), &t(256, desc)])))
    }

    #[test]
    fn bad_fixed_sizes() {
        for len in [0usize, 1, 2, 3, 5, 9, 16] {
            let e = decode_err(&node_with(&t(515, &vec![1; len])), false);
            assert_eq!(
                e,
                WireError::BadLength {
                    what: "BGP-LS IGP Router-ID",
                    len
                }
            );
        }
        for ty in [512u16, 513, 514, 516, 517] {
            assert!(matches!(
                decode_err(&node_with(&t(ty, &[0, 0, 1])), false),
                WireError::BadLength { len: 3, .. }
            ));
        }
        let link =
            |d: &[u8]| hex::encode(t(2, &cat(&[&head(2, 0), &local_isis(), &t(257, &[]), d])));
        for (ty, len) in [
            (258u16, 4usize),
            (259, 16),
            (260, 3),
            (261, 4),
            (262, 15),
            (263, 3),
            (263, 0),
        ] {
            assert!(
                matches!(
                    decode_err(&link(&t(ty, &vec![0; len])), false),
                    WireError::BadLength { .. }
                ),
                "type {ty} length {len}"
            );
        }
        let pfx = |d: &[u8]| hex::encode(t(3, &cat(&[&head(2, 0), &local_isis(), d])));
        assert!(matches!(
            decode_err(&pfx(&cat(&[&t(264, &[1, 2]), &t(265, &[0])])), false),
            WireError::BadLength { .. }
        ));
    }

    #[test]
    fn bad_reachability() {
        let pfx =
            |ty: u16, v: &[u8]| hex::encode(t(ty, &cat(&[&head(2, 0), &local_isis(), &t(265, v)])));
        // Length over 32 / 128.
        assert!(decode_err(&pfx(3, &[33, 1, 2, 3, 4, 5]), false)
            .to_string()
            .contains("prefix length"));
        assert!(decode_err(&pfx(4, &[129]), false)
            .to_string()
            .contains("prefix length"));
        // Too few and too many octets for the length.
        assert!(matches!(
            decode_err(&pfx(3, &[24, 10, 0]), false),
            WireError::Truncated { .. }
        ));
        assert!(matches!(
            decode_err(&pfx(3, &[8, 10, 0]), false),
            WireError::Trailing { .. }
        ));
        // Host bits set past the length would not survive re-encoding.
        assert!(decode_err(&pfx(3, &[7, 0x0b]), false)
            .to_string()
            .contains("past the prefix"));
        // Empty value.
        assert!(matches!(
            decode_err(&pfx(3, &[]), false),
            WireError::Truncated { .. }
        ));
        // Only meaningful in a prefix NLRI.
        assert!(decode_err(&pfx(1, &[8, 10]), false)
            .to_string()
            .contains("prefix NLRI"));
    }

    #[test]
    fn mandatory_descriptors() {
        let body = |ty: u16, d: &[&[u8]]| {
            let mut v = head(2, 0);
            for x in d {
                v.extend_from_slice(x);
            }
            hex::encode(t(ty, &v))
        };
        let local = local_isis();
        let remote = t(257, &t(515, &[0, 0, 0, 0, 0, 2]));
        let reach = t(265, &[8, 10]);
        for (ty, d) in [
            (1u16, vec![]),                                  // no local node
            (1, vec![&local[..], &local[..]]),               // two local nodes
            (1, vec![&local[..], &remote[..]]),              // remote on a node
            (2, vec![&local[..]]),                           // link without remote
            (2, vec![&local[..], &remote[..], &remote[..]]), // two remotes
            (3, vec![&local[..]]),                           // prefix without reachability
            (3, vec![&local[..], &reach[..], &reach[..]]),   // two prefixes
            (4, vec![&remote[..], &t(265, &[0])[..]]),       // prefix without local node
        ] {
            assert!(
                matches!(
                    decode_err(&body(ty, &d), false),
                    WireError::Malformed { .. }
                ),
                "type {ty} {d:?}"
            );
        }
    }

    #[test]
    fn bad_text() {
        for s in [
            "",
            "nodes protocol isis-l2 id 0 local []",
            "node protocol isis-l2 id 0",
            "node protocol isis-l9 id 0 local []",
            "node protocol isis-l2 id -1 local []",
            "node protocol isis-l2 id +1 local []",
            "node protocol isis-l2 local []",
            "node protocol isis-l2 id 0 local [as 65000",
            "node protocol isis-l2 id 0 local [as]",
            "node protocol isis-l2 id 0 local [as 4294967296]",
            "node protocol isis-l2 id 0 local [router 0000.0000]",
            "node protocol isis-l2 id 0 local [router 0000.0000.000g]",
            "node protocol isis-l2 id 0 local [router 0000.0000.0001.3]",
            "node protocol isis-l2 id 0 local [router 10.0.0.1:10.0.0]",
            "node protocol isis-l2 id 0 local [tlv:515:0102]",
            "node protocol isis-l2 id 0 local [tlv:515:012]",
            "node protocol isis-l2 id 0 local [tlv:x:01]",
            "node protocol isis-l2 id 0 local [frobnicate 1]",
            "node protocol isis-l2 id 0 local [] link [link-id 1]",
            "node protocol isis-l2 id 0 local [] link [mt 1,,2]",
            "node protocol isis-l2 id 0 local [] link [ipv4-if ::1]",
            "node protocol isis-l2 id 0 local [] link [10.0.0.0/8]",
            "node protocol isis-l2 id 0 local [] remote []",
            "ipv4-prefix protocol isis-l2 id 0 local [] prefix [2001:db8::/32]",
            "ipv4-prefix protocol isis-l2 id 0 local []",
            "link protocol isis-l2 id 0 local []",
            "node rd protocol isis-l2 id 0 local []",
            "type-6 raw:0",
            "type-6 raw:00 extra",
            "type-6 00",
            "type-1 raw:00",
            "type-70000 raw:",
            "node protocol isis-l2 id 0 local [] ]",
            "node protocol isis-l2 id 0 local [] [",
        ] {
            assert!(s.parse::<BgpLsNlri>().is_err(), "{s:?} parsed");
        }
        // An oversize raw TLV cannot be encoded in a 16-bit length.
        let big = format!(
            "node protocol isis-l2 id 0 local [] node [tlv:999:{}]",
            "00".repeat(70000)
        );
        assert!(big.parse::<BgpLsNlri>().is_err());
    }

    // -----------------------------------------------------------------------
    // Hand-built attribute TLVs (RFC 9552 §5.3, RFC 9085 §2)
    // -----------------------------------------------------------------------

    #[test]
    fn attribute_typed_tlvs() {
        let f = |v: f32| v.to_bits().to_be_bytes();
        let mut unres = Vec::new();
        for i in 0..8u8 {
            unres.extend_from_slice(&f(f32::from(i) * 1000.0));
        }
        let v6: Ipv6Addr = "2001:db8::9".parse().unwrap();
        let bytes = cat(&[
            &t(263, &[0x80, 0x00, 0x00, 0x02]),
            &t(1024, &[0x20]),
            &t(1026, b"r1.example"),
            &t(1027, &[0x49, 0x00, 0x01]),
            &t(1028, &[192, 0, 2, 1]),
            &t(1029, &v6.octets()),
            &t(1030, &[192, 0, 2, 2]),
            &t(1031, &v6.octets()),
            &t(1088, &[0, 0, 0, 0x11]),
            &t(1089, &f(1.25e9)),
            &t(1090, &f(1e9)),
            &t(1091, &unres),
            &t(1092, &[0, 0, 0, 20]),
            &t(1093, &[0x08, 0x00]),
            &t(1094, &[0xc0]),
            &t(1095, &[0xc5]),
            &t(1095, &[0x01, 0x00]),
            &t(1096, &[0, 0, 0, 1, 0, 0, 0, 2]),
            &t(1098, b"ge-0/0/0"),
            &t(1099, &[0x30, 0x0a, 0, 0, 0, 0, 0, 9]),
            &t(1152, &[0x80]),
            &t(1153, &[0, 0, 0, 100]),
            &t(1154, &[0, 0, 0, 0, 0, 0, 0, 1]),
            &t(1155, &[0, 0, 0, 10]),
            &t(1156, &[10, 0, 0, 1]),
            &t(1156, &v6.octets()),
            &t(1158, &[0x40, 0, 0, 0, 0, 0, 0, 5]),
            &t(1034, &[0xc0, 0, 0, 0, 100, 0x04, 0x89, 0, 4, 0, 0, 0, 1]),
            &t(1036, &[0, 0]),
            &t(1035, &[]),
        ]);
        let a = attr(&hex::encode(&bytes));
        use LsAttrTlv as A;
        let bw = Bandwidth::from_bytes_per_sec;
        let mut ub = [Bandwidth(0); 8];
        for (i, b) in ub.iter_mut().enumerate() {
            *b = bw(i as f32 * 1000.0);
        }
        assert_eq!(
            a.tlvs,
            vec![
                A::MultiTopology(vec![0x8000, 2]),
                A::NodeFlags(0x20),
                A::NodeName("r1.example".into()),
                A::IsIsArea(HexBytes(vec![0x49, 0, 1])),
                A::LocalRouterIdV4(v4("192.0.2.1")),
                A::LocalRouterIdV6(v6),
                A::RemoteRouterIdV4(v4("192.0.2.2")),
                A::RemoteRouterIdV6(v6),
                A::AdminGroup(0x11),
                A::MaxLinkBandwidth(bw(1.25e9)),
                A::MaxReservableBandwidth(bw(1e9)),
                A::UnreservedBandwidth(ub),
                A::TeDefaultMetric(20),
                A::LinkProtection {
                    flags: 8,
                    reserved: 0
                },
                A::MplsProtocolMask(0xc0),
                A::IgpMetric(IgpMetric::Small(0xc5)),
                A::IgpMetric(IgpMetric::Ospf(256)),
                A::Srlg(vec![1, 2]),
                A::LinkName("ge-0/0/0".into()),
                A::AdjacencySid(AdjacencySid {
                    flags: 0x30,
                    weight: 10,
                    reserved: 0,
                    sid: SidLabel::Index(9)
                }),
                A::IgpFlags(0x80),
                A::RouteTags(vec![100]),
                A::ExtendedRouteTags(vec![1]),
                A::PrefixMetric(10),
                A::OspfForwardingAddress("10.0.0.1".parse().unwrap()),
                A::OspfForwardingAddress(IpAddr::V6(v6)),
                A::PrefixSid(PrefixSid {
                    flags: 0x40,
                    algorithm: 0,
                    reserved: 0,
                    sid: SidLabel::Index(5)
                }),
                A::SrCapabilities(SrRanges {
                    flags: 0xc0,
                    reserved: 0,
                    ranges: vec![SrRange {
                        size: 100,
                        first: SidLabel::Index(1)
                    }]
                }),
                A::SrLocalBlock(SrRanges {
                    flags: 0,
                    reserved: 0,
                    ranges: vec![]
                }),
                A::SrAlgorithms(vec![]),
            ]
        );
        // The 6-bit narrow metric ignores the reserved bits but keeps them.
        assert_eq!(IgpMetric::Small(0xc5).value(), 5);
        assert!(a.tlvs.iter().all(|x| x.tlv_type() >= 263));
        assert_eq!(a.get(1095), Some(&A::IgpMetric(IgpMetric::Small(0xc5))));
        assert_eq!(a.get(9999), None);
    }

    #[test]
    fn attribute_odd_shapes_stay_raw() {
        for (ty, v) in [
            (263u16, &[0u8, 1, 2][..]),
            (1024, &[0, 0]),
            (1026, &[0xff, 0xfe]),
            (1027, &[]),
            (1027, &[0; 14]),
            (1028, &[1, 2, 3]),
            (1029, &[0; 4]),
            (1034, &[0xc0]),
            (1034, &[0xc0, 0, 0, 0, 100, 0x04, 0x8a, 0, 3, 0, 0, 1]),
            (1034, &[0xc0, 0, 0, 0, 100, 0x04, 0x89, 0, 2, 0, 1]),
            (1034, &[0xc0, 0, 0, 0, 100, 0x04, 0x89, 0, 3, 0, 1]),
            (1088, &[0; 5]),
            (1089, &[0; 3]),
            (1091, &[0; 28]),
            (1092, &[0, 0, 20]),
            (1093, &[0]),
            (1095, &[]),
            (1095, &[0, 0, 0, 1]),
            (1096, &[0, 0, 1]),
            (1098, &[0xc3, 0x28]),
            (1099, &[0x30, 0, 0, 0, 0, 1]),
            (1099, &[0x30, 0, 0]),
            (1153, &[0; 6]),
            (1154, &[0; 4]),
            (1156, &[0; 5]),
            (1158, &[0; 9]),
        ] {
            let bytes = t(ty, v);
            let a = attr(&hex::encode(&bytes));
            assert_eq!(
                a.tlvs,
                vec![LsAttrTlv::Unknown {
                    tlv_type: ty,
                    value: HexBytes(v.to_vec())
                }],
                "type {ty}"
            );
        }
    }

    #[test]
    fn attribute_framing_errors() {
        assert_eq!(BgpLsAttribute::decode(&[]), Ok(BgpLsAttribute::default()));
        for bad in [
            &[0x04u8][..],
            &[0x04, 0x02, 0x00],
            &[0x04, 0x02, 0x00, 0x02, b'a'],
            &[0x04, 0x00, 0x00, 0x01, 0x00, 0x04],
        ] {
            assert!(
                matches!(
                    BgpLsAttribute::decode(bad),
                    Err(WireError::Truncated { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hex_bytes_and_router_id_text() {
        assert_eq!("".parse::<HexBytes>(), Ok(HexBytes(vec![])));
        assert_eq!("0aFf".parse::<HexBytes>(), Ok(HexBytes(vec![10, 255])));
        for bad in ["0", "0g", "+1", " 1", "é0"] {
            assert!(bad.parse::<HexBytes>().is_err(), "{bad:?}");
        }
        for s in [
            "10.0.0.1",
            "0000.0000.0001",
            "abcd.ef01.2345.ff",
            "10.0.0.1:10.0.0.2",
        ] {
            assert_eq!(isis(s).to_string(), s);
        }
        for bad in [
            "",
            "10.0.0",
            "0000.0000.00001",
            "+000.0000.0001",
            "0000.0000.0001.",
            ":",
        ] {
            assert!(bad.parse::<IgpRouterId>().is_err(), "{bad:?}");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes() {
        let n = nlri(EXA[1].0, false);
        let j = serde_json::to_value(&n).unwrap();
        assert!(j.to_string().contains("\"10.1.4.1:10.1.1.2\""), "{j}");
        let a = attr(EXA[4].1);
        let j = serde_json::to_value(&a).unwrap();
        assert!(j.to_string().contains("125000000"), "{j}");
    }

    // -----------------------------------------------------------------------
    // Property tests
    // -----------------------------------------------------------------------

    fn arb_hex(max: usize) -> impl Strategy<Value = HexBytes> {
        proptest::collection::vec(any::<u8>(), 0..max).prop_map(HexBytes)
    }

    fn arb_router_id() -> impl Strategy<Value = IgpRouterId> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|a| IgpRouterId::Ospf(a.into())),
            any::<[u8; 6]>().prop_map(IgpRouterId::IsIs),
            (any::<[u8; 6]>(), any::<u8>()).prop_map(|(s, p)| IgpRouterId::IsIsPseudonode(s, p)),
            (any::<[u8; 4]>(), any::<[u8; 4]>())
                .prop_map(|(a, b)| IgpRouterId::OspfPseudonode(a.into(), b.into())),
        ]
    }

    fn arb_node_desc() -> impl Strategy<Value = NodeDescriptor> {
        prop_oneof![
            any::<u32>().prop_map(NodeDescriptor::AsNumber),
            any::<u32>().prop_map(NodeDescriptor::BgpLsId),
            any::<[u8; 4]>().prop_map(|a| NodeDescriptor::OspfAreaId(a.into())),
            arb_router_id().prop_map(NodeDescriptor::IgpRouterId),
            any::<[u8; 4]>().prop_map(|a| NodeDescriptor::BgpRouterId(a.into())),
            any::<u32>().prop_map(NodeDescriptor::MemberAsn),
            (
                any::<u16>().prop_filter("typed", |t| !(512..=517).contains(t)),
                arb_hex(6)
            )
                .prop_map(|(tlv_type, value)| NodeDescriptor::Unknown { tlv_type, value }),
        ]
    }

    fn arb_nodes() -> impl Strategy<Value = NodeDescriptors> {
        proptest::collection::vec(arb_node_desc(), 0..5).prop_map(|tlvs| NodeDescriptors { tlvs })
    }

    /// Descriptors other than 256, 257 and 265.
    fn arb_desc() -> impl Strategy<Value = Descriptor> {
        prop_oneof![
            (any::<u32>(), any::<u32>())
                .prop_map(|(local, remote)| Descriptor::LinkIds { local, remote }),
            any::<[u8; 4]>().prop_map(|a| Descriptor::Ipv4Interface(a.into())),
            any::<[u8; 4]>().prop_map(|a| Descriptor::Ipv4Neighbor(a.into())),
            any::<[u8; 16]>().prop_map(|a| Descriptor::Ipv6Interface(a.into())),
            any::<[u8; 16]>().prop_map(|a| Descriptor::Ipv6Neighbor(a.into())),
            proptest::collection::vec(any::<u16>(), 1..4).prop_map(Descriptor::MultiTopology),
            any::<u8>().prop_map(Descriptor::OspfRouteType),
            (
                any::<u16>().prop_filter("typed", |t| !(256..=265).contains(t)),
                arb_hex(6)
            )
                .prop_map(|(tlv_type, value)| Descriptor::Unknown { tlv_type, value }),
        ]
    }

    fn arb_prefix(v6: bool) -> impl Strategy<Value = Prefix> {
        (any::<u128>(), 0u8..=128).prop_map(move |(a, l)| {
            if v6 {
                Prefix::V6(Ipv6Prefix::new(a.into(), l).unwrap())
            } else {
                Prefix::V4(Ipv4Prefix::new((a as u32).into(), l % 33).unwrap())
            }
        })
    }

    fn arb_nlri() -> impl Strategy<Value = BgpLsNlri> {
        (
            0u8..5,
            any::<u8>(),
            any::<u64>(),
            (arb_nodes(), arb_nodes()),
            proptest::collection::vec(arb_desc(), 0..4),
            (arb_prefix(false), arb_prefix(true)),
            proptest::option::of(any::<[u8; 8]>()),
            any::<u16>().prop_filter("typed", |t| !(1..=4).contains(t)),
            arb_hex(12),
            any::<usize>(),
        )
            .prop_map(
                |(k, proto, identifier, (l, r), extra, (p4, p6), rd, ut, raw, rot)| {
                    let rd = rd.map(RouteDistinguisher);
                    let kind = match k {
                        0 => Kind::Node,
                        1 => Kind::Link,
                        2 => Kind::V4Prefix,
                        3 => Kind::V6Prefix,
                        _ => {
                            return BgpLsNlri {
                                rd,
                                body: LsNlriBody::Unknown {
                                    nlri_type: ut,
                                    value: raw,
                                },
                            }
                        }
                    };
                    let mut tlvs = vec![Descriptor::LocalNode(l)];
                    match kind {
                        Kind::Link => tlvs.push(Descriptor::RemoteNode(r)),
                        Kind::V4Prefix => tlvs.push(Descriptor::IpReachability(p4)),
                        Kind::V6Prefix => tlvs.push(Descriptor::IpReachability(p6)),
                        Kind::Node => {}
                    }
                    tlvs.extend(extra);
                    // Any order must survive (RFC 9552 §5.1 is not enforced).
                    let n = tlvs.len();
                    tlvs.rotate_left(rot % n);
                    BgpLsNlri {
                        rd,
                        body: LsNlriBody::build(
                            kind,
                            LsDescriptors {
                                protocol: ProtocolId(proto),
                                identifier,
                                tlvs,
                            },
                        ),
                    }
                },
            )
    }

    const TYPED_ATTR: [u16; 29] = [
        263, 1024, 1026, 1027, 1028, 1029, 1030, 1031, 1034, 1035, 1036, 1088, 1089, 1090, 1091,
        1092, 1093, 1094, 1095, 1096, 1098, 1099, 1152, 1153, 1154, 1155, 1156, 1158, 1158,
    ];

    fn arb_sid() -> impl Strategy<Value = SidLabel> {
        prop_oneof![
            (0u32..=0xff_ffff).prop_map(SidLabel::Label),
            any::<u32>().prop_map(SidLabel::Index),
        ]
    }

    fn arb_ranges() -> impl Strategy<Value = SrRanges> {
        (
            any::<u8>(),
            any::<u8>(),
            proptest::collection::vec(
                (0u32..=0xff_ffff, arb_sid()).prop_map(|(size, first)| SrRange { size, first }),
                0..3,
            ),
        )
            .prop_map(|(flags, reserved, ranges)| SrRanges {
                flags,
                reserved,
                ranges,
            })
    }

    fn arb_attr_tlv() -> impl Strategy<Value = LsAttrTlv> {
        use proptest::collection::vec;
        use LsAttrTlv as A;
        let bw = || any::<u32>().prop_map(Bandwidth);
        let a = prop_oneof![
            vec(any::<u16>(), 0..3).prop_map(A::MultiTopology),
            any::<u8>().prop_map(A::NodeFlags),
            ".{0,12}".prop_map(A::NodeName),
            vec(any::<u8>(), 1..=13).prop_map(|v| A::IsIsArea(HexBytes(v))),
            any::<[u8; 4]>().prop_map(|v| A::LocalRouterIdV4(v.into())),
            any::<[u8; 16]>().prop_map(|v| A::LocalRouterIdV6(v.into())),
            any::<[u8; 4]>().prop_map(|v| A::RemoteRouterIdV4(v.into())),
            any::<[u8; 16]>().prop_map(|v| A::RemoteRouterIdV6(v.into())),
            arb_ranges().prop_map(A::SrCapabilities),
            vec(any::<u8>(), 0..4).prop_map(A::SrAlgorithms),
        ];
        let b = prop_oneof![
            arb_ranges().prop_map(A::SrLocalBlock),
            any::<u32>().prop_map(A::AdminGroup),
            bw().prop_map(A::MaxLinkBandwidth),
            bw().prop_map(A::MaxReservableBandwidth),
            any::<[u32; 8]>().prop_map(|v| A::UnreservedBandwidth(v.map(Bandwidth))),
            any::<u32>().prop_map(A::TeDefaultMetric),
            (any::<u8>(), any::<u8>())
                .prop_map(|(flags, reserved)| A::LinkProtection { flags, reserved }),
            any::<u8>().prop_map(A::MplsProtocolMask),
            prop_oneof![
                any::<u8>().prop_map(IgpMetric::Small),
                any::<u16>().prop_map(IgpMetric::Ospf),
                (0u32..=0xff_ffff).prop_map(IgpMetric::Wide),
            ]
            .prop_map(A::IgpMetric),
            vec(any::<u32>(), 0..3).prop_map(A::Srlg),
        ];
        let c = prop_oneof![
            ".{0,12}".prop_map(A::LinkName),
            (any::<u8>(), any::<u8>(), any::<u16>(), arb_sid()).prop_map(
                |(flags, weight, reserved, sid)| A::AdjacencySid(AdjacencySid {
                    flags,
                    weight,
                    reserved,
                    sid
                })
            ),
            any::<u8>().prop_map(A::IgpFlags),
            vec(any::<u32>(), 0..3).prop_map(A::RouteTags),
            vec(any::<u64>(), 0..3).prop_map(A::ExtendedRouteTags),
            any::<u32>().prop_map(A::PrefixMetric),
            any::<IpAddr>().prop_map(A::OspfForwardingAddress),
            (any::<u8>(), any::<u8>(), any::<u16>(), arb_sid()).prop_map(
                |(flags, algorithm, reserved, sid)| A::PrefixSid(PrefixSid {
                    flags,
                    algorithm,
                    reserved,
                    sid
                })
            ),
            (
                any::<u16>().prop_filter("typed", |t| !TYPED_ATTR.contains(t)),
                arb_hex(8)
            )
                .prop_map(|(tlv_type, value)| A::Unknown { tlv_type, value }),
        ];
        prop_oneof![a, b, c]
    }

    fn wire(n: &BgpLsNlri) -> Vec<u8> {
        let mut out = Vec::new();
        n.encode(&mut out);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn prop_nlri_wire_round_trip(n in arb_nlri()) {
            let bytes = wire(&n);
            let mut r = Reader::new(&bytes, "prop");
            let back = BgpLsNlri::decode(&mut r, n.rd.is_some()).unwrap();
            prop_assert!(r.is_empty());
            prop_assert_eq!(&back, &n);
            prop_assert_eq!(wire(&back), bytes);
        }

        #[test]
        fn prop_nlri_text_round_trip(n in arb_nlri()) {
            let text = n.to_string();
            let back: BgpLsNlri = text.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(back, n);
        }

        #[test]
        fn prop_attribute_round_trip(tlvs in proptest::collection::vec(arb_attr_tlv(), 0..6)) {
            let a = BgpLsAttribute { tlvs };
            let mut bytes = Vec::new();
            a.encode(&mut bytes);
            let back = BgpLsAttribute::decode(&bytes).unwrap();
            prop_assert_eq!(&back, &a);
            let mut again = Vec::new();
            back.encode(&mut again);
            prop_assert_eq!(again, bytes);
        }

        #[test]
        fn prop_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80), vpn: bool) {
            let mut r = Reader::new(&bytes, "prop");
            if let Ok(n) = BgpLsNlri::decode(&mut r, vpn) {
                let used = r.position();
                prop_assert_eq!(wire(&n), bytes[..used].to_vec());
                let _ = n.to_string().parse::<BgpLsNlri>();
            }
            if let Ok(a) = BgpLsAttribute::decode(&bytes) {
                let mut out = Vec::new();
                a.encode(&mut out);
                prop_assert_eq!(out, bytes);
            }
        }

        /// Structured input with one octet changed, or cut short: decoding
        /// never panics, and what it accepts re-encodes exactly.
        #[test]
        fn prop_mutated_never_panic(
            n in arb_nlri(),
            tlvs in proptest::collection::vec(arb_attr_tlv(), 0..4),
            at: usize,
            val: u8,
            cut: usize,
        ) {
            let mut nb = wire(&n);
            let mut ab = Vec::new();
            BgpLsAttribute { tlvs }.encode(&mut ab);
            for buf in [&mut nb, &mut ab] {
                if !buf.is_empty() {
                    let i = at % buf.len();
                    buf[i] = val;
                }
            }
            for buf in [nb.clone(), nb[..cut % (nb.len() + 1)].to_vec()] {
                for vpn in [false, true] {
                    let mut r = Reader::new(&buf, "prop");
                    if let Ok(x) = BgpLsNlri::decode(&mut r, vpn) {
                        prop_assert_eq!(wire(&x), buf[..r.position()].to_vec());
                        let text = x.to_string();
                        prop_assert_eq!(text.parse::<BgpLsNlri>().ok(), Some(x));
                    }
                }
            }
            for buf in [ab.clone(), ab[..cut % (ab.len() + 1)].to_vec()] {
                if let Ok(a) = BgpLsAttribute::decode(&buf) {
                    let mut out = Vec::new();
                    a.encode(&mut out);
                    prop_assert_eq!(out, buf);
                }
            }
        }

        #[test]
        fn prop_text_never_panics(s in "[a-z0-9 :./\\[\\]-]{0,60}") {
            let _ = s.parse::<BgpLsNlri>();
        }

        /// Valid text cut or altered anywhere: never a panic.
        #[test]
        fn prop_text_mutations_never_panic(n in arb_nlri(), cut: usize, junk in "[\\[\\]:./a-z0-9 ]{0,4}") {
            let text = n.to_string();
            let mut i = cut % (text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            let _ = text[..i].parse::<BgpLsNlri>();
            let _ = format!("{}{}{}", &text[..i], junk, &text[i..]).parse::<BgpLsNlri>();
        }
    }
}
