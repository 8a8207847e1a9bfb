//! EVPN NLRI (AFI 25 / SAFI 70): RFC 7432 §7 route types 1-4 and the
//! RFC 9136 §3 IP Prefix route (type 5). Other route types (RFC 7432 §7
//! registry: 6-11 from RFC 9251, RFC 9572, ...) are kept as raw bytes so they
//! re-encode unchanged.
//!
//! On the wire every route is `route type (1) | length (1) | body (length)`;
//! the body is decoded inside its own length, so a route whose fields do not
//! fill its body exactly is rejected instead of desynchronising the list.
//!
//! # Text form
//!
//! One line, keywords in this order (exactly what `Display` prints, and what
//! `FromStr` accepts; words are separated by any whitespace):
//!
//! ```text
//! ethernet-ad rd RD esi ESI etag N label L
//! mac-ip rd RD esi ESI etag N mac MAC [ip IP] label L [label2 L]
//! inclusive-multicast rd RD etag N originator IP
//! ethernet-segment rd RD esi ESI originator IP
//! ip-prefix rd RD esi ESI etag N prefix IP/LEN gw IP label L
//! type T value 0xHEX
//! ```
//!
//! * `RD` is a route distinguisher as [`RouteDistinguisher`] prints it
//!   (`65000:1`, `192.0.2.1:5`, `4200000000:7`, `65000L:7`); an unassigned RD
//!   type prints (and parses) as `TYPE:0x` + 12 hex digits.
//! * `ESI` is `0` when all ten octets are zero, otherwise the ten octets in
//!   hex separated by colons, type octet first: `01:aa:bb:cc:dd:ee:ff:12:34:00`.
//! * `N` (Ethernet Tag) is a decimal u32; `MAC` is `00:11:22:33:44:55`.
//! * `L` is the **raw 24-bit label field** in decimal, not the 20-bit MPLS
//!   label: EVPN carries either an MPLS label (value × 16, plus 1 for the
//!   bottom-of-stack bit) or a 24-bit VXLAN/NVGRE VNI (RFC 8365 §5.1.3), and
//!   the field alone does not say which, so only the raw value round-trips.
//! * In `ip-prefix` the address keeps any bits past the prefix length, as
//!   received (RFC 9136 §3.1 does not require them to be zero).
//! * `type T value 0xHEX` is a route type this library does not parse.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::label::Label;
use super::rd::RouteDistinguisher;
use crate::error::{ParseError, WireError};
use crate::reader::Reader;

use super::text::{fmt_hex, parse_hex, parse_rd, Words};

/// Ethernet Segment Identifier (RFC 7432 §5): a type octet and nine value
/// octets. Kept raw: every ESI type re-encodes unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Esi(pub [u8; 10]);

impl Esi {
    /// The all-zero ESI of single-homed sites (RFC 7432 §5).
    pub const ZERO: Esi = Esi([0; 10]);

    /// ESI type (RFC 7432 §5: 0 arbitrary, 1 LACP, 2 L2 bridge, 3 MAC,
    /// 4 router ID, 5 AS).
    pub fn esi_type(&self) -> u8 {
        self.0.first().copied().unwrap_or(0)
    }
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Esi(r.array()?))
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl fmt::Display for Esi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Esi::ZERO {
            return f.write_str("0");
        }
        fmt_colon_hex(f, &self.0)
    }
}

impl FromStr for Esi {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s == "0" {
            return Ok(Esi::ZERO);
        }
        parse_colon_hex::<10>(s).map(Esi).ok_or_else(|| {
            ParseError::new("ESI", s, "expected 0 or ten colon-separated hex octets")
        })
    }
}

/// A 48-bit IEEE MAC address (RFC 7432 §7.2), printed `00:11:22:33:44:55`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddress(pub [u8; 6]);

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_colon_hex(f, &self.0)
    }
}

impl FromStr for MacAddress {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_colon_hex::<6>(s)
            .map(MacAddress)
            .ok_or_else(|| ParseError::new("MAC address", s, "expected 00:11:22:33:44:55"))
    }
}

fn fmt_colon_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_str(":")?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// Exactly `N` colon-separated octets of one or two hex digits each.
fn parse_colon_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let mut parts = s.split(':');
    for slot in out.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        *slot = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// One EVPN route.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum EvpnRoute {
    /// Type 1, Ethernet Auto-Discovery (RFC 7432 §7.1).
    EthernetAd {
        rd: RouteDistinguisher,
        esi: Esi,
        ethernet_tag: u32,
        #[cfg_attr(feature = "serde", serde(serialize_with = "ser::label"))]
        label: Label,
    },
    /// Type 2, MAC/IP Advertisement (RFC 7432 §7.2). `label2` is the second
    /// label (e.g. the L3 VNI of RFC 9135 symmetric IRB), when present.
    MacIp {
        rd: RouteDistinguisher,
        esi: Esi,
        ethernet_tag: u32,
        mac: MacAddress,
        ip: Option<IpAddr>,
        #[cfg_attr(feature = "serde", serde(serialize_with = "ser::label"))]
        label: Label,
        #[cfg_attr(feature = "serde", serde(serialize_with = "ser::opt_label"))]
        label2: Option<Label>,
    },
    /// Type 3, Inclusive Multicast Ethernet Tag (RFC 7432 §7.3).
    InclusiveMulticast {
        rd: RouteDistinguisher,
        ethernet_tag: u32,
        originator: IpAddr,
    },
    /// Type 4, Ethernet Segment (RFC 7432 §7.4).
    EthernetSegment {
        rd: RouteDistinguisher,
        esi: Esi,
        originator: IpAddr,
    },
    /// Type 5, IP Prefix (RFC 9136 §3.1). `prefix` is the full address field
    /// as received (bits past `prefix_len` included); `prefix` and `gateway`
    /// are of the same family on the wire.
    IpPrefix {
        rd: RouteDistinguisher,
        esi: Esi,
        ethernet_tag: u32,
        prefix: IpAddr,
        prefix_len: u8,
        gateway: IpAddr,
        #[cfg_attr(feature = "serde", serde(serialize_with = "ser::label"))]
        label: Label,
    },
    /// Any other route type, body kept raw (at most 255 octets).
    Unknown { route_type: u8, value: Vec<u8> },
}

#[cfg(feature = "serde")]
mod ser {
    //! EVPN labels serialize as their raw 24-bit value (see the module doc:
    //! the field may hold a VNI).
    use super::Label;

    pub(super) fn label<S: serde::Serializer>(l: &Label, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(l.raw())
    }
    pub(super) fn opt_label<S: serde::Serializer>(
        l: &Option<Label>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match l {
            Some(l) => s.serialize_some(&l.raw()),
            None => s.serialize_none(),
        }
    }
}

/// Route type codes (RFC 7432 §7, RFC 9136 §3).
const ETHERNET_AD: u8 = 1;
const MAC_IP: u8 = 2;
const INCLUSIVE_MULTICAST: u8 = 3;
const ETHERNET_SEGMENT: u8 = 4;
const IP_PREFIX: u8 = 5;

/// An IP address preceded by its length in bits (RFC 7432 §7.2-7.4): 32 or
/// 128, or 0 (no address) where `allow_none` (the MAC/IP route's optional IP).
fn decode_sized_ip(r: &mut Reader<'_>, allow_none: bool) -> Result<Option<IpAddr>, WireError> {
    match r.u8()? {
        0 if allow_none => Ok(None),
        32 => Ok(Some(IpAddr::V4(r.ipv4()?))),
        128 => Ok(Some(IpAddr::V6(r.ipv6()?))),
        n => Err(WireError::invalid(r.what(), n)),
    }
}

fn encode_ip(ip: &IpAddr, out: &mut Vec<u8>) {
    match ip {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
}

fn encode_sized_ip(ip: Option<&IpAddr>, out: &mut Vec<u8>) {
    match ip {
        None => out.push(0),
        Some(a @ IpAddr::V4(_)) => {
            out.push(32);
            encode_ip(a, out);
        }
        Some(a @ IpAddr::V6(_)) => {
            out.push(128);
            encode_ip(a, out);
        }
    }
}

impl EvpnRoute {
    /// The route type code.
    pub fn route_type(&self) -> u8 {
        match self {
            EvpnRoute::EthernetAd { .. } => ETHERNET_AD,
            EvpnRoute::MacIp { .. } => MAC_IP,
            EvpnRoute::InclusiveMulticast { .. } => INCLUSIVE_MULTICAST,
            EvpnRoute::EthernetSegment { .. } => ETHERNET_SEGMENT,
            EvpnRoute::IpPrefix { .. } => IP_PREFIX,
            EvpnRoute::Unknown { route_type, .. } => *route_type,
        }
    }

    /// The route distinguisher (every parsed type has one).
    pub fn rd(&self) -> Option<RouteDistinguisher> {
        match self {
            EvpnRoute::EthernetAd { rd, .. }
            | EvpnRoute::MacIp { rd, .. }
            | EvpnRoute::InclusiveMulticast { rd, .. }
            | EvpnRoute::EthernetSegment { rd, .. }
            | EvpnRoute::IpPrefix { rd, .. } => Some(*rd),
            EvpnRoute::Unknown { .. } => None,
        }
    }

    /// Decode one route: type, length and a body of exactly that length.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let route_type = r.u8()?;
        let len = r.u8()?;
        let body = r.take(usize::from(len))?;
        let route = match route_type {
            ETHERNET_AD => {
                let mut b = Reader::new(body, "EVPN Ethernet A-D route");
                let route = EvpnRoute::EthernetAd {
                    rd: RouteDistinguisher::decode(&mut b)?,
                    esi: Esi::decode(&mut b)?,
                    ethernet_tag: b.u32()?,
                    label: Label::decode(&mut b)?,
                };
                b.finish()?;
                route
            }
            MAC_IP => {
                let mut b = Reader::new(body, "EVPN MAC/IP route");
                let rd = RouteDistinguisher::decode(&mut b)?;
                let esi = Esi::decode(&mut b)?;
                let ethernet_tag = b.u32()?;
                // RFC 7432 §7.2: the MAC Address Length is always 48 bits.
                let mac_len = b.u8()?;
                if mac_len != 48 {
                    return Err(WireError::invalid("EVPN MAC address length", mac_len));
                }
                let mac = MacAddress(b.array()?);
                let ip = decode_sized_ip(&mut b, true)?;
                let label = Label::decode(&mut b)?;
                // RFC 7432 §7.2: "MPLS Label2" is optional; its presence is
                // only visible from the route length.
                let label2 = if b.is_empty() {
                    None
                } else {
                    Some(Label::decode(&mut b)?)
                };
                b.finish()?;
                EvpnRoute::MacIp {
                    rd,
                    esi,
                    ethernet_tag,
                    mac,
                    ip,
                    label,
                    label2,
                }
            }
            INCLUSIVE_MULTICAST => {
                let mut b = Reader::new(body, "EVPN inclusive multicast route");
                let rd = RouteDistinguisher::decode(&mut b)?;
                let ethernet_tag = b.u32()?;
                let originator = decode_sized_ip(&mut b, false)?
                    .ok_or_else(|| WireError::invalid(b.what(), 0u8))?;
                b.finish()?;
                EvpnRoute::InclusiveMulticast {
                    rd,
                    ethernet_tag,
                    originator,
                }
            }
            ETHERNET_SEGMENT => {
                let mut b = Reader::new(body, "EVPN Ethernet segment route");
                let rd = RouteDistinguisher::decode(&mut b)?;
                let esi = Esi::decode(&mut b)?;
                let originator = decode_sized_ip(&mut b, false)?
                    .ok_or_else(|| WireError::invalid(b.what(), 0u8))?;
                b.finish()?;
                EvpnRoute::EthernetSegment {
                    rd,
                    esi,
                    originator,
                }
            }
            IP_PREFIX => Self::decode_ip_prefix(body)?,
            _ => EvpnRoute::Unknown {
                route_type,
                value: body.to_vec(),
            },
        };
        Ok(route)
    }

    /// RFC 9136 §3.1: the prefix and gateway have no length octet of their
    /// own; the family follows from the route length, 34 (IPv4) or 58 (IPv6).
    fn decode_ip_prefix(body: &[u8]) -> Result<Self, WireError> {
        const WHAT: &str = "EVPN IP prefix route";
        let v6 = match body.len() {
            34 => false,
            58 => true,
            n => return Err(WireError::BadLength { what: WHAT, len: n }),
        };
        let mut b = Reader::new(body, WHAT);
        let rd = RouteDistinguisher::decode(&mut b)?;
        let esi = Esi::decode(&mut b)?;
        let ethernet_tag = b.u32()?;
        let prefix_len = b.u8()?;
        let max_len = if v6 { 128 } else { 32 };
        if prefix_len > max_len {
            return Err(WireError::invalid("EVPN IP prefix length", prefix_len));
        }
        let (prefix, gateway) = if v6 {
            (IpAddr::V6(b.ipv6()?), IpAddr::V6(b.ipv6()?))
        } else {
            (IpAddr::V4(b.ipv4()?), IpAddr::V4(b.ipv4()?))
        };
        let label = Label::decode(&mut b)?;
        b.finish()?;
        Ok(EvpnRoute::IpPrefix {
            rd,
            esi,
            ethernet_tag,
            prefix,
            prefix_len,
            gateway,
            label,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.route_type());
        let len_at = out.len();
        out.push(0);
        match self {
            EvpnRoute::EthernetAd {
                rd,
                esi,
                ethernet_tag,
                label,
            } => {
                rd.encode(out);
                esi.encode(out);
                out.extend_from_slice(&ethernet_tag.to_be_bytes());
                label.encode(out);
            }
            EvpnRoute::MacIp {
                rd,
                esi,
                ethernet_tag,
                mac,
                ip,
                label,
                label2,
            } => {
                rd.encode(out);
                esi.encode(out);
                out.extend_from_slice(&ethernet_tag.to_be_bytes());
                out.push(48);
                out.extend_from_slice(&mac.0);
                encode_sized_ip(ip.as_ref(), out);
                label.encode(out);
                if let Some(l) = label2 {
                    l.encode(out);
                }
            }
            EvpnRoute::InclusiveMulticast {
                rd,
                ethernet_tag,
                originator,
            } => {
                rd.encode(out);
                out.extend_from_slice(&ethernet_tag.to_be_bytes());
                encode_sized_ip(Some(originator), out);
            }
            EvpnRoute::EthernetSegment {
                rd,
                esi,
                originator,
            } => {
                rd.encode(out);
                esi.encode(out);
                encode_sized_ip(Some(originator), out);
            }
            EvpnRoute::IpPrefix {
                rd,
                esi,
                ethernet_tag,
                prefix,
                prefix_len,
                gateway,
                label,
            } => {
                rd.encode(out);
                esi.encode(out);
                out.extend_from_slice(&ethernet_tag.to_be_bytes());
                out.push(*prefix_len);
                encode_ip(prefix, out);
                encode_ip(gateway, out);
                label.encode(out);
            }
            EvpnRoute::Unknown { value, .. } => out.extend_from_slice(value),
        }
        // Every parsed body is at most 58 octets; only a hand-built Unknown
        // value over 255 octets could overflow, and it gets a truncated
        // length like other speakers would send.
        let len = out.len() - len_at - 1;
        if let Some(b) = out.get_mut(len_at) {
            *b = len as u8;
        }
    }
}

impl fmt::Display for EvpnRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvpnRoute::EthernetAd {
                rd,
                esi,
                ethernet_tag,
                label,
            } => write!(
                f,
                "ethernet-ad rd {rd} esi {esi} etag {ethernet_tag} label {}",
                label.raw()
            ),
            EvpnRoute::MacIp {
                rd,
                esi,
                ethernet_tag,
                mac,
                ip,
                label,
                label2,
            } => {
                write!(f, "mac-ip rd {rd} esi {esi} etag {ethernet_tag} mac {mac}")?;
                if let Some(ip) = ip {
                    write!(f, " ip {ip}")?;
                }
                write!(f, " label {}", label.raw())?;
                if let Some(l) = label2 {
                    write!(f, " label2 {}", l.raw())?;
                }
                Ok(())
            }
            EvpnRoute::InclusiveMulticast {
                rd,
                ethernet_tag,
                originator,
            } => write!(
                f,
                "inclusive-multicast rd {rd} etag {ethernet_tag} originator {originator}"
            ),
            EvpnRoute::EthernetSegment {
                rd,
                esi,
                originator,
            } => write!(
                f,
                "ethernet-segment rd {rd} esi {esi} originator {originator}"
            ),
            EvpnRoute::IpPrefix {
                rd,
                esi,
                ethernet_tag,
                prefix,
                prefix_len,
                gateway,
                label,
            } => write!(
                f,
                "ip-prefix rd {rd} esi {esi} etag {ethernet_tag} prefix {prefix}/{prefix_len} \
                 gw {gateway} label {}",
                label.raw()
            ),
            EvpnRoute::Unknown { route_type, value } => {
                write!(f, "type {route_type} value ")?;
                fmt_hex(f, value)
            }
        }
    }
}

/// A raw 24-bit EVPN label field, in decimal.
fn parse_label(w: &mut Words<'_>, kw: &str) -> Result<Label, ParseError> {
    let v: u32 = w.parse_field(kw)?;
    if v > 0xff_ffff {
        return Err(w.err("label field over 24 bits"));
    }
    Ok(Label::from_raw(v))
}

impl FromStr for EvpnRoute {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let mut w = Words::new(s, "EVPN route");
        let kind = w.next("a route type")?;
        let route = match kind {
            "ethernet-ad" => EvpnRoute::EthernetAd {
                rd: parse_rd(w.field("rd")?, s, "EVPN route")?,
                esi: w.parse_field("esi")?,
                ethernet_tag: w.parse_field("etag")?,
                label: parse_label(&mut w, "label")?,
            },
            "mac-ip" => EvpnRoute::MacIp {
                rd: parse_rd(w.field("rd")?, s, "EVPN route")?,
                esi: w.parse_field("esi")?,
                ethernet_tag: w.parse_field("etag")?,
                mac: w.parse_field("mac")?,
                ip: if w.peek_is("ip") {
                    Some(w.parse_field("ip")?)
                } else {
                    None
                },
                label: parse_label(&mut w, "label")?,
                label2: if w.peek_is("label2") {
                    Some(parse_label(&mut w, "label2")?)
                } else {
                    None
                },
            },
            "inclusive-multicast" => EvpnRoute::InclusiveMulticast {
                rd: parse_rd(w.field("rd")?, s, "EVPN route")?,
                ethernet_tag: w.parse_field("etag")?,
                originator: w.parse_field("originator")?,
            },
            "ethernet-segment" => EvpnRoute::EthernetSegment {
                rd: parse_rd(w.field("rd")?, s, "EVPN route")?,
                esi: w.parse_field("esi")?,
                originator: w.parse_field("originator")?,
            },
            "ip-prefix" => {
                let rd = parse_rd(w.field("rd")?, s, "EVPN route")?;
                let esi = w.parse_field("esi")?;
                let ethernet_tag = w.parse_field("etag")?;
                let p = w.field("prefix")?;
                let (addr, len) = p
                    .split_once('/')
                    .ok_or_else(|| w.err("expected prefix ADDRESS/LENGTH"))?;
                let prefix: IpAddr = addr.parse().map_err(|_| w.err("bad prefix address"))?;
                let prefix_len: u8 = len.parse().map_err(|_| w.err("bad prefix length"))?;
                let gateway: IpAddr = w.parse_field("gw")?;
                let max = if prefix.is_ipv4() { 32 } else { 128 };
                if prefix_len > max {
                    return Err(w.err("prefix length too long for its family"));
                }
                // RFC 9136 §3.1: one route length covers both addresses.
                if prefix.is_ipv4() != gateway.is_ipv4() {
                    return Err(w.err("prefix and gateway must be of the same family"));
                }
                EvpnRoute::IpPrefix {
                    rd,
                    esi,
                    ethernet_tag,
                    prefix,
                    prefix_len,
                    gateway,
                    label: parse_label(&mut w, "label")?,
                }
            }
            "type" => {
                let route_type: u8 = w
                    .next("a route type number")?
                    .parse()
                    .map_err(|_| w.err("bad route type number"))?;
                let value = parse_hex(w.field("value")?).ok_or_else(|| w.err("bad hex value"))?;
                if value.len() > 255 {
                    return Err(w.err("value longer than 255 octets"));
                }
                EvpnRoute::Unknown { route_type, value }
            }
            _ => return Err(w.err("unknown EVPN route type")),
        };
        w.end()?;
        Ok(route)
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{Esi, MacAddress};
    serialize_display!(Esi, MacAddress);
}

#[cfg(test)]
mod tests {
    use super::super::text::mp_nlri;
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn decode_all(bytes: &[u8]) -> Vec<EvpnRoute> {
        let mut r = Reader::new(bytes, "test NLRI");
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(EvpnRoute::decode(&mut r).unwrap());
        }
        out
    }

    fn enc(route: &EvpnRoute) -> Vec<u8> {
        let mut out = Vec::new();
        route.encode(&mut out);
        out
    }

    /// Decode exactly one route from `bytes`, check byte-exact re-encoding
    /// and the text round trip, and return it.
    fn one(bytes: &[u8]) -> EvpnRoute {
        let mut r = Reader::new(bytes, "test NLRI");
        let route = EvpnRoute::decode(&mut r).unwrap();
        assert!(r.is_empty(), "left over after {route}");
        assert_eq!(enc(&route), bytes, "{route}");
        let text = route.to_string();
        assert_eq!(text.parse::<EvpnRoute>().unwrap(), route, "{text}");
        route
    }

    fn rd(s: &str) -> RouteDistinguisher {
        s.parse().unwrap()
    }

    // ExaBGP qa/decoding/bgp-evpn-1 (the UPDATE body, here behind a BGP
    // header): its MP_UNREACH_NLRI holds
    // one route of type 8 (kept raw) and five MAC/IP routes.
    const EXABGP_UPDATE: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF010102000000EA900F00E600194608260001252C37768EAD000002001600000000030000085D0020EFFFFFFF20252C3776000000000002210001252C37370001000000000000000000000000076D30FC15B4787B8F0000000002250001252C372E0001000000000000000000000000051530E88088308BE9200A22100A00000002250001252C37370001000000000000000000000000076D30FC15B4787B8F200A2888D000000002250001252C373F00010000000000000000000000000515306C240830ED82200A22580800000002210001252C37230007000000000000000000000000029630F4A739D1F0B000000000";
    const EXABGP_JSON: &str = r#"{ "withdraw": { "l2vpn evpn": [ { "code": 8, "parsed": false, "raw": "08260001252C37768EAD000002001600000000030000085D0020EFFFFFFF20252C37760000000000" }, { "code": 2, "parsed": true, "raw": "02210001252C37370001000000000000000000000000076D30FC15B4787B8F00000000", "name": "MAC/IP advertisement", "rd": "37.44.55.55:1", "esi": "-", "ethernet-tag": 1901, "mac": "FC:15:B4:78:7B:8F", "label": [ [0] ] }, { "code": 2, "parsed": true, "raw": "02250001252C372E0001000000000000000000000000051530E88088308BE9200A22100A000000", "name": "MAC/IP advertisement", "rd": "37.44.55.46:1", "esi": "-", "ethernet-tag": 1301, "mac": "E8:80:88:30:8B:E9", "label": [ [0] ], "ip": "10.34.16.10" }, { "code": 2, "parsed": true, "raw": "02250001252C37370001000000000000000000000000076D30FC15B4787B8F200A2888D0000000", "name": "MAC/IP advertisement", "rd": "37.44.55.55:1", "esi": "-", "ethernet-tag": 1901, "mac": "FC:15:B4:78:7B:8F", "label": [ [0] ], "ip": "10.40.136.208" }, { "code": 2, "parsed": true, "raw": "02250001252C373F00010000000000000000000000000515306C240830ED82200A225808000000", "name": "MAC/IP advertisement", "rd": "37.44.55.63:1", "esi": "-", "ethernet-tag": 1301, "mac": "6C:24:08:30:ED:82", "label": [ [0] ], "ip": "10.34.88.8" }, { "code": 2, "parsed": true, "raw": "02210001252C37230007000000000000000000000000029630F4A739D1F0B000000000", "name": "MAC/IP advertisement", "rd": "37.44.55.35:7", "esi": "-", "ethernet-tag": 662, "mac": "F4:A7:39:D1:F0:B0", "label": [ [0] ] } ] } }"#;

    #[test]
    fn exabgp_update_matches_json() {
        let msg = hex::decode(EXABGP_UPDATE).unwrap();
        let (afi, safi, nlri) = mp_nlri(&msg).unwrap();
        assert_eq!((afi, safi), (25, 70));
        let routes = decode_all(nlri);
        let json: serde_json::Value = serde_json::from_str(EXABGP_JSON).unwrap();
        let expected = json["withdraw"]["l2vpn evpn"].as_array().unwrap();
        assert_eq!(routes.len(), expected.len());
        let mut reencoded = Vec::new();
        for (route, exp) in routes.iter().zip(expected) {
            let raw = hex::decode(exp["raw"].as_str().unwrap()).unwrap();
            assert_eq!(enc(route), raw);
            assert_eq!(u64::from(route.route_type()), exp["code"].as_u64().unwrap());
            assert_eq!(route.to_string().parse::<EvpnRoute>().unwrap(), *route);
            reencoded.extend_from_slice(&raw);
            match route {
                EvpnRoute::MacIp {
                    rd,
                    esi,
                    ethernet_tag,
                    mac,
                    ip,
                    label,
                    label2,
                } => {
                    assert_eq!(rd.to_string(), exp["rd"].as_str().unwrap());
                    // ExaBGP prints the zero ESI as "-".
                    assert_eq!(*esi, Esi::ZERO);
                    assert_eq!(
                        u64::from(*ethernet_tag),
                        exp["ethernet-tag"].as_u64().unwrap()
                    );
                    assert_eq!(
                        mac.to_string(),
                        exp["mac"].as_str().unwrap().to_ascii_lowercase()
                    );
                    assert_eq!(
                        ip.map(|a| a.to_string()),
                        exp.get("ip").map(|v| v.as_str().unwrap().to_string())
                    );
                    assert_eq!(label.raw(), 0);
                    assert_eq!(*label2, None);
                }
                EvpnRoute::Unknown { route_type, value } => {
                    assert_eq!(*route_type, 8);
                    assert_eq!(value.len(), 0x26);
                }
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(reencoded, nlri);
        assert_eq!(
            routes[1].to_string(),
            "mac-ip rd 37.44.55.55:1 esi 0 etag 1901 mac fc:15:b4:78:7b:8f label 0"
        );
        assert_eq!(
            routes[2].to_string(),
            "mac-ip rd 37.44.55.46:1 esi 0 etag 1301 mac e8:80:88:30:8b:e9 ip 10.34.16.10 label 0"
        );
        assert!(routes[0]
            .to_string()
            .starts_with("type 8 value 0x0001252c3776"));
    }

    /// The EVPN NLRI of a Ryu test pcap (the single UPDATE's MP_REACH_NLRI).
    fn ryu(update_hex: &str) -> EvpnRoute {
        let msg = hex::decode(update_hex).unwrap();
        let (afi, safi, nlri) = mp_nlri(&msg).unwrap();
        assert_eq!((afi, safi), (25, 70));
        one(nlri)
    }

    #[test]
    fn ryu_ethernet_ad_and_esi_types() {
        // ryu/tests/packet_data/bgp4/evpn_nlri_eth_a-d.pcap (= evpn_esi_arbitrary)
        let r = ryu("ffffffffffffffffffffffffffffffff003e0200000027800e24001946041111111100011900001111111111110011111111111111111100001111000651");
        assert_eq!(
            r,
            EvpnRoute::EthernetAd {
                rd: rd("4369:286331153"),
                esi: Esi([0, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11]),
                ethernet_tag: 4369,
                label: Label::new(101, true),
            }
        );
        assert_eq!(
            r.to_string(),
            "ethernet-ad rd 4369:286331153 esi 00:11:11:11:11:11:11:11:11:11 etag 4369 label 1617"
        );
        // evpn_esi_{lacp,l2_bridge,mac_base,router_id,as_based}: ESI types 1-5.
        for (hex, esi) in [
            ("ffffffffffffffffffffffffffffffff003e0200000027800e240019460411111111000119000011111111111101aabbccddeeff12340000001111000651", "01:aa:bb:cc:dd:ee:ff:12:34:00"),
            ("ffffffffffffffffffffffffffffffff003e0200000027800e240019460411111111000119000011111111111102aabbccddeeff23450000001111000651", "02:aa:bb:cc:dd:ee:ff:23:45:00"),
            ("ffffffffffffffffffffffffffffffff003e0200000027800e240019460411111111000119000011111111111103aabbccddeeff34567800001111000651", "03:aa:bb:cc:dd:ee:ff:34:56:78"),
            ("ffffffffffffffffffffffffffffffff003e0200000027800e2400194604111111110001190000111111111111040a000001556677880000001111000651", "04:0a:00:00:01:55:66:77:88:00"),
            ("ffffffffffffffffffffffffffffffff003e0200000027800e24001946041111111100011900001111111111110511223344556677880000001111000651", "05:11:22:33:44:55:66:77:88:00"),
        ] {
            match ryu(hex) {
                EvpnRoute::EthernetAd { esi: e, .. } => {
                    assert_eq!(e.to_string(), esi);
                    assert_eq!(e.esi_type(), esi[..2].parse::<u8>().unwrap());
                }
                other => panic!("unexpected {other}"),
            }
        }
    }

    #[test]
    fn ryu_other_route_types() {
        // evpn_nlri_mac_ip_ad.pcap
        let r = ryu("ffffffffffffffffffffffffffffffff004a0200000033800e30001946041111111100022500001111111111110011111111111111111100001111301111111111112011111111001111");
        assert_eq!(
            r.to_string(),
            "mac-ip rd 4369:286331153 esi 00:11:11:11:11:11:11:11:11:11 etag 4369 \
             mac 11:11:11:11:11:11 ip 17.17.17.17 label 4369"
        );
        // evpn_nlri_inc_multi_eth_tag.pcap
        let r = ryu("ffffffffffffffffffffffffffffffff0036020000001f800e1c00194604111111110003110000111111111111000011112011111111");
        assert_eq!(
            r,
            EvpnRoute::InclusiveMulticast {
                rd: rd("4369:286331153"),
                ethernet_tag: 4369,
                originator: IpAddr::V4(Ipv4Addr::new(17, 17, 17, 17)),
            }
        );
        assert_eq!(
            r.to_string(),
            "inclusive-multicast rd 4369:286331153 etag 4369 originator 17.17.17.17"
        );
        // evpn_nlri_eth_seg.pcap
        let r = ryu("ffffffffffffffffffffffffffffffff003c0200000025800e2200194604111111110004170000111111111111001111111111111111112011111111");
        assert_eq!(
            r.to_string(),
            "ethernet-segment rd 4369:286331153 esi 00:11:11:11:11:11:11:11:11:11 originator 17.17.17.17"
        );
        // evpn_nlri_ip_prefix.pcap: the prefix field keeps its host bits.
        let r = ryu("ffffffffffffffffffffffffffffffff0054020000003d4001010240020602010000fdea800e2d00194604ac1100020005220000fde80000000a000000000000000000000000000a180a0a0a0a14141414000000");
        assert_eq!(
            r,
            EvpnRoute::IpPrefix {
                rd: rd("65000:10"),
                esi: Esi::ZERO,
                ethernet_tag: 10,
                prefix: IpAddr::V4(Ipv4Addr::new(10, 10, 10, 10)),
                prefix_len: 24,
                gateway: IpAddr::V4(Ipv4Addr::new(20, 20, 20, 20)),
                label: Label::from_raw(0),
            }
        );
        assert_eq!(
            r.to_string(),
            "ip-prefix rd 65000:10 esi 0 etag 10 prefix 10.10.10.10/24 gw 20.20.20.20 label 0"
        );
    }

    fn rd_bytes() -> Vec<u8> {
        // 65000:1
        vec![0, 0, 0xfd, 0xe8, 0, 0, 0, 1]
    }

    #[test]
    fn hand_built_rfc_layouts() {
        // RFC 7432 §7.2 with IPv6 and both labels (VXLAN VNIs, RFC 8365).
        let mut b = vec![2, 0];
        b.extend(rd_bytes());
        b.extend([0xff; 10]);
        b.extend(100u32.to_be_bytes());
        b.push(48);
        b.extend([0, 0x11, 0x22, 0x33, 0x44, 0x55]);
        b.push(128);
        b.extend(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
        b.extend([0xff, 0xff, 0xff, 0x00, 0x27, 0x10]);
        b[1] = (b.len() - 2) as u8;
        let r = one(&b);
        assert_eq!(
            r.to_string(),
            "mac-ip rd 65000:1 esi ff:ff:ff:ff:ff:ff:ff:ff:ff:ff etag 100 mac 00:11:22:33:44:55 \
             ip 2001:db8::1 label 16777215 label2 10000"
        );
        // RFC 7432 §7.3 / §7.4 with IPv6 originators.
        let mut b = vec![3, 29];
        b.extend(rd_bytes());
        b.extend(7u32.to_be_bytes());
        b.push(128);
        b.extend(Ipv6Addr::LOCALHOST.octets());
        assert_eq!(
            one(&b).to_string(),
            "inclusive-multicast rd 65000:1 etag 7 originator ::1"
        );
        let mut b = vec![4, 35];
        b.extend(rd_bytes());
        b.extend([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        b.push(128);
        b.extend(Ipv6Addr::LOCALHOST.octets());
        assert_eq!(
            one(&b).to_string(),
            "ethernet-segment rd 65000:1 esi 01:02:03:04:05:06:07:08:09:0a originator ::1"
        );
        // RFC 9136 §3.1, IPv6: length 58.
        let mut b = vec![5, 58];
        b.extend(rd_bytes());
        b.extend([0; 10]);
        b.extend(0u32.to_be_bytes());
        b.push(64);
        b.extend(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, 0).octets());
        b.extend(Ipv6Addr::UNSPECIFIED.octets());
        b.extend([0, 0x03, 0xe8]);
        assert_eq!(
            one(&b).to_string(),
            "ip-prefix rd 65000:1 esi 0 etag 0 prefix 2001:db8:1:2::/64 gw :: label 1000"
        );
        // Unknown type, empty body.
        assert_eq!(one(&[200, 0]).to_string(), "type 200 value 0x");
    }

    #[test]
    fn brief_examples_parse() {
        for s in [
            "mac-ip rd 65000:1 esi 0 etag 0 mac 00:11:22:33:44:55 ip 10.0.0.1 label 100",
            "ip-prefix rd 65000:1 esi 0 etag 0 prefix 10.0.0.0/24 gw 0.0.0.0 label 100",
            "ethernet-ad rd 192.0.2.1:5 esi 0 etag 4294967295 label 0",
            "ethernet-segment rd 4200000000:7 esi 0 originator 192.0.2.1",
            "inclusive-multicast rd 65000L:7 etag 0 originator 192.0.2.1",
            "type 9 value 0x0102",
            "ethernet-ad rd 9:0x010203040506 esi 0 etag 0 label 0",
        ] {
            let r: EvpnRoute = s.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.to_string(), s);
            let b = enc(&r);
            assert_eq!(EvpnRoute::decode(&mut Reader::new(&b, "t")).unwrap(), r);
        }
        // Extra whitespace is accepted, the canonical form is printed.
        let r: EvpnRoute = "  mac-ip rd 65000:1  esi 0 etag 0 mac 00:11:22:33:44:55 label 1 "
            .parse()
            .unwrap();
        assert_eq!(
            r.to_string(),
            "mac-ip rd 65000:1 esi 0 etag 0 mac 00:11:22:33:44:55 label 1"
        );
    }

    #[test]
    fn bad_text() {
        for s in [
            "",
            "mac-ip",
            "mac-ip rd 65000:1 esi 0 etag 0 mac 00:11:22:33:44 label 1",
            "mac-ip rd 65000:1 esi 0 etag 0 mac 00:11:22:33:44:55:66 label 1",
            "mac-ip rd 65000:1 esi 0 etag 0 mac 00:11:22:33:44:55 label 16777216",
            "mac-ip rd 65000:1 esi 0 etag 0 mac 00:11:22:33:44:55 label 1 extra",
            "mac-ip rd 65000:1 esi 1 etag 0 mac 00:11:22:33:44:55 label 1",
            "mac-ip rd 65000 esi 0 etag 0 mac 00:11:22:33:44:55 label 1",
            "mac-ip rd 9:0x0102 esi 0 etag 0 mac 00:11:22:33:44:55 label 1",
            "mac-ip esi 0 rd 65000:1 etag 0 mac 00:11:22:33:44:55 label 1",
            "ip-prefix rd 65000:1 esi 0 etag 0 prefix 10.0.0.0/33 gw 0.0.0.0 label 1",
            "ip-prefix rd 65000:1 esi 0 etag 0 prefix 10.0.0.0/8 gw ::1 label 1",
            "ip-prefix rd 65000:1 esi 0 etag 0 prefix 10.0.0.0 gw 0.0.0.0 label 1",
            "ethernet-ad rd 65000:1 esi 0 etag -1 label 1",
            "type 300 value 0x",
            "type 9 value 0x1",
            "type 9 value 12",
            "route rd 65000:1",
        ] {
            assert!(s.parse::<EvpnRoute>().is_err(), "{s:?} parsed");
        }
    }

    #[test]
    fn bad_bytes() {
        let good = hex::decode(
            "02250001252C372E0001000000000000000000000000051530E88088308BE9200A22100A000000",
        )
        .unwrap();
        one(&good);
        // Every truncation fails cleanly.
        for n in 0..good.len() {
            assert!(EvpnRoute::decode(&mut Reader::new(&good[..n], "t")).is_err());
        }
        let bad = |b: &[u8]| EvpnRoute::decode(&mut Reader::new(b, "t")).unwrap_err();
        // MAC length other than 48.
        let mut b = good.clone();
        b[24] = 47;
        assert!(matches!(bad(&b), WireError::Invalid { value: 47, .. }));
        // IP length 24.
        let mut b = good.clone();
        b[31] = 24;
        assert!(matches!(bad(&b), WireError::Invalid { value: 24, .. }));
        // Length one too long: the body is read but a label2 of 1 octet is left.
        let mut b = good.clone();
        b[1] += 1;
        b.push(0);
        assert!(bad(&b).to_string().contains("MAC/IP"));
        // Length one too short: the label is cut.
        let mut b = good.clone();
        b[1] -= 1;
        assert!(matches!(bad(&b), WireError::Truncated { .. }));
        // Trailing octets inside a fixed-size type 1.
        let mut b = vec![1, 26];
        b.extend([0; 26]);
        assert!(matches!(bad(&b), WireError::Trailing { extra: 1, .. }));
        // Type 3 with no originator (length 0) or a 5-octet one.
        let mut b = vec![3, 13];
        b.extend([0; 13]);
        assert!(matches!(bad(&b), WireError::Invalid { value: 0, .. }));
        let mut b = vec![3, 13];
        b.extend([0; 12]);
        b.push(40);
        assert!(matches!(bad(&b), WireError::Invalid { value: 40, .. }));
        // Type 5 of a length that is neither 34 nor 58, or a /33 prefix.
        let mut b = vec![5, 35];
        b.extend([0; 35]);
        assert!(matches!(bad(&b), WireError::BadLength { len: 35, .. }));
        let mut b = vec![5, 34];
        b.extend([0; 34]);
        b[24] = 33;
        assert!(matches!(bad(&b), WireError::Invalid { value: 33, .. }));
        // Only one route is read; what follows stays in the reader.
        let mut two = good.clone();
        two.extend(&good);
        let mut r = Reader::new(&two, "t");
        EvpnRoute::decode(&mut r).unwrap();
        assert_eq!(r.remaining(), good.len());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_shape() {
        let r: EvpnRoute =
            "mac-ip rd 65000:1 esi 0 etag 0 mac 00:11:22:33:44:55 ip 10.0.0.1 label 16777215"
                .parse()
                .unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["mac_ip"]["label"], 16_777_215);
        assert_eq!(v["mac_ip"]["mac"], "00:11:22:33:44:55");
        assert_eq!(v["mac_ip"]["esi"], "0");
        assert_eq!(v["mac_ip"]["rd"], "65000:1");
    }

    fn arb_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 16]>().prop_map(IpAddr::from),
        ]
    }

    fn arb_rd() -> impl Strategy<Value = RouteDistinguisher> {
        prop_oneof![
            any::<[u8; 8]>().prop_map(RouteDistinguisher),
            (any::<u16>(), any::<u32>()).prop_map(|(a, v)| RouteDistinguisher::as2(a, v)),
            (any::<[u8; 4]>(), any::<u16>())
                .prop_map(|(a, v)| RouteDistinguisher::ipv4(a.into(), v)),
            (any::<u32>(), any::<u16>()).prop_map(|(a, v)| RouteDistinguisher::as4(a, v)),
        ]
    }

    fn arb_esi() -> impl Strategy<Value = Esi> {
        prop_oneof![Just(Esi::ZERO), any::<[u8; 10]>().prop_map(Esi)]
    }

    fn arb_label() -> impl Strategy<Value = Label> {
        (0u32..=0xff_ffff).prop_map(Label::from_raw)
    }

    fn arb_route() -> impl Strategy<Value = EvpnRoute> {
        let prefix = any::<bool>().prop_flat_map(|v6| {
            if v6 {
                (
                    any::<[u8; 16]>().prop_map(IpAddr::from),
                    0u8..=128,
                    any::<[u8; 16]>().prop_map(IpAddr::from),
                )
                    .boxed()
            } else {
                (
                    any::<[u8; 4]>().prop_map(IpAddr::from),
                    0u8..=32,
                    any::<[u8; 4]>().prop_map(IpAddr::from),
                )
                    .boxed()
            }
        });
        prop_oneof![
            (arb_rd(), arb_esi(), any::<u32>(), arb_label()).prop_map(
                |(rd, esi, ethernet_tag, label)| EvpnRoute::EthernetAd {
                    rd,
                    esi,
                    ethernet_tag,
                    label
                }
            ),
            (
                arb_rd(),
                arb_esi(),
                any::<u32>(),
                any::<[u8; 6]>(),
                proptest::option::of(arb_ip()),
                arb_label(),
                proptest::option::of(arb_label()),
            )
                .prop_map(|(rd, esi, ethernet_tag, mac, ip, label, label2)| {
                    EvpnRoute::MacIp {
                        rd,
                        esi,
                        ethernet_tag,
                        mac: MacAddress(mac),
                        ip,
                        label,
                        label2,
                    }
                }),
            (arb_rd(), any::<u32>(), arb_ip()).prop_map(|(rd, ethernet_tag, originator)| {
                EvpnRoute::InclusiveMulticast {
                    rd,
                    ethernet_tag,
                    originator,
                }
            }),
            (arb_rd(), arb_esi(), arb_ip()).prop_map(|(rd, esi, originator)| {
                EvpnRoute::EthernetSegment {
                    rd,
                    esi,
                    originator,
                }
            }),
            (arb_rd(), arb_esi(), any::<u32>(), prefix, arb_label()).prop_map(
                |(rd, esi, ethernet_tag, (prefix, prefix_len, gateway), label)| {
                    EvpnRoute::IpPrefix {
                        rd,
                        esi,
                        ethernet_tag,
                        prefix,
                        prefix_len,
                        gateway,
                        label,
                    }
                }
            ),
            (6u8..=255, proptest::collection::vec(any::<u8>(), 0..=255))
                .prop_map(|(route_type, value)| EvpnRoute::Unknown { route_type, value }),
        ]
    }

    proptest! {
        #[test]
        fn wire_round_trip(route in arb_route()) {
            let b = enc(&route);
            let mut r = Reader::new(&b, "t");
            let back = EvpnRoute::decode(&mut r).unwrap();
            prop_assert!(r.is_empty());
            prop_assert_eq!(&back, &route);
            prop_assert_eq!(enc(&back), b);
        }

        #[test]
        fn text_round_trip(route in arb_route()) {
            let s = route.to_string();
            prop_assert_eq!(s.parse::<EvpnRoute>().unwrap(), route);
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..80)) {
            let mut r = Reader::new(&b, "t");
            if let Ok(route) = EvpnRoute::decode(&mut r) {
                // Whatever is accepted re-encodes to exactly what was read,
                // and its text parses back to it.
                prop_assert_eq!(enc(&route), &b[..r.position()]);
                prop_assert_eq!(route.to_string().parse::<EvpnRoute>().unwrap(), route);
            }
        }

        #[test]
        fn typed_bodies_never_panic(t in 1u8..=5, b in proptest::collection::vec(any::<u8>(), 0..70)) {
            let mut bytes = vec![t, b.len() as u8];
            bytes.extend(&b);
            if let Ok(route) = EvpnRoute::decode(&mut Reader::new(&bytes, "t")) {
                prop_assert_eq!(enc(&route), bytes);
            }
        }

        #[test]
        fn truncated_never_panics(route in arb_route(), cut in any::<prop::sample::Index>()) {
            let b = enc(&route);
            let n = cut.index(b.len());
            prop_assert!(EvpnRoute::decode(&mut Reader::new(&b[..n], "t")).is_err());
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,60}") {
            let _ = s.parse::<EvpnRoute>();
        }

        #[test]
        fn keyword_soup_never_panics(words in proptest::collection::vec(
            prop::sample::select(vec![
                "mac-ip", "ip-prefix", "type", "rd", "esi", "etag", "mac", "ip", "label",
                "label2", "gw", "prefix", "0", "65000:1", "0x", "10.0.0.0/8", "::1",
                "00:11:22:33:44:55", "1", "value", "originator",
            ]), 0..16)) {
            let _ = words.join(" ").parse::<EvpnRoute>();
        }
    }
}
