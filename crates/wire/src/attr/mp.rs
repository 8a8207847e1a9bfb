//! MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760), with the next-hop forms of
//! RFC 2545 (IPv6 global + link-local), RFC 4364/4659 (VPN, RD-prefixed) and
//! RFC 8950 (IPv6 next hop for IPv4 NLRI).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::afi::{Afi, AfiSafi, Safi};
use crate::context::Context;
use crate::error::WireError;
use crate::nlri::{self, NlriEntry, RouteDistinguisher};
use crate::reader::Reader;

/// The next-hop field of MP_REACH_NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum NextHop {
    /// Zero length (FlowSpec without redirect-to-IP, RT-Constraint withdraw...).
    None,
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// RFC 2545 §3: global then link-local.
    Ipv6LinkLocal(Ipv6Addr, Ipv6Addr),
    /// RFC 4364 §4.3.2: RD (normally zero) + IPv4.
    VpnIpv4(RouteDistinguisher, Ipv4Addr),
    /// RFC 4659 §3.2.1: RD + IPv6.
    VpnIpv6(RouteDistinguisher, Ipv6Addr),
    /// RD + global, RD + link-local.
    VpnIpv6LinkLocal(RouteDistinguisher, Ipv6Addr, RouteDistinguisher, Ipv6Addr),
    /// Any other length: kept as received.
    Raw(Vec<u8>),
}

impl NextHop {
    /// Read a next hop of `len` bytes. VPN families carry an RD before
    /// each address; others are told apart by length alone, which also
    /// covers RFC 8950 (16 or 32 bytes for IPv4 NLRI).
    fn decode(bytes: &[u8], safi: Safi) -> Result<NextHop, WireError> {
        let vpn = matches!(
            safi,
            Safi::VPN_UNICAST | Safi::VPN_MULTICAST | Safi::FLOWSPEC_VPN
        );
        let mut r = Reader::new(bytes, "MP_REACH_NLRI next hop");
        Ok(match (bytes.len(), vpn) {
            (0, _) => NextHop::None,
            (4, _) => NextHop::Ipv4(r.ipv4()?),
            (16, _) => NextHop::Ipv6(r.ipv6()?),
            (32, _) => NextHop::Ipv6LinkLocal(r.ipv6()?, r.ipv6()?),
            (12, true) => NextHop::VpnIpv4(RouteDistinguisher::decode(&mut r)?, r.ipv4()?),
            (24, true) => NextHop::VpnIpv6(RouteDistinguisher::decode(&mut r)?, r.ipv6()?),
            (48, true) => NextHop::VpnIpv6LinkLocal(
                RouteDistinguisher::decode(&mut r)?,
                r.ipv6()?,
                RouteDistinguisher::decode(&mut r)?,
                r.ipv6()?,
            ),
            _ => NextHop::Raw(bytes.to_vec()),
        })
    }

    pub fn encoded_len(&self) -> usize {
        match self {
            NextHop::None => 0,
            NextHop::Ipv4(_) => 4,
            NextHop::Ipv6(_) => 16,
            NextHop::Ipv6LinkLocal(..) => 32,
            NextHop::VpnIpv4(..) => 12,
            NextHop::VpnIpv6(..) => 24,
            NextHop::VpnIpv6LinkLocal(..) => 48,
            NextHop::Raw(b) => b.len(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            NextHop::None => {}
            NextHop::Ipv4(a) => out.extend_from_slice(&a.octets()),
            NextHop::Ipv6(a) => out.extend_from_slice(&a.octets()),
            NextHop::Ipv6LinkLocal(a, b) => {
                out.extend_from_slice(&a.octets());
                out.extend_from_slice(&b.octets());
            }
            NextHop::VpnIpv4(rd, a) => {
                rd.encode(out);
                out.extend_from_slice(&a.octets());
            }
            NextHop::VpnIpv6(rd, a) => {
                rd.encode(out);
                out.extend_from_slice(&a.octets());
            }
            NextHop::VpnIpv6LinkLocal(rd, a, rd2, b) => {
                rd.encode(out);
                out.extend_from_slice(&a.octets());
                rd2.encode(out);
                out.extend_from_slice(&b.octets());
            }
            NextHop::Raw(b) => out.extend_from_slice(b),
        }
    }

    /// The forwarding address (global one for IPv6 pairs).
    pub fn addr(&self) -> Option<IpAddr> {
        match self {
            NextHop::Ipv4(a) | NextHop::VpnIpv4(_, a) => Some(IpAddr::V4(*a)),
            NextHop::Ipv6(a)
            | NextHop::Ipv6LinkLocal(a, _)
            | NextHop::VpnIpv6(_, a)
            | NextHop::VpnIpv6LinkLocal(_, a, _, _) => Some(IpAddr::V6(*a)),
            NextHop::None | NextHop::Raw(_) => None,
        }
    }

    pub fn link_local(&self) -> Option<Ipv6Addr> {
        match self {
            NextHop::Ipv6LinkLocal(_, ll) | NextHop::VpnIpv6LinkLocal(_, _, _, ll) => Some(*ll),
            _ => None,
        }
    }
}

impl From<IpAddr> for NextHop {
    fn from(a: IpAddr) -> Self {
        match a {
            IpAddr::V4(a) => NextHop::Ipv4(a),
            IpAddr::V6(a) => NextHop::Ipv6(a),
        }
    }
}

impl fmt::Display for NextHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextHop::None => f.write_str("none"),
            NextHop::Ipv4(a) => a.fmt(f),
            NextHop::Ipv6(a) => a.fmt(f),
            NextHop::Ipv6LinkLocal(a, b) => write!(f, "{a} {b}"),
            NextHop::VpnIpv4(rd, a) => write!(f, "{rd}:{a}"),
            NextHop::VpnIpv6(rd, a) => write!(f, "{rd}:{a}"),
            NextHop::VpnIpv6LinkLocal(rd, a, rd2, b) => write!(f, "{rd}:{a} {rd2}:{b}"),
            NextHop::Raw(b) => {
                f.write_str("0x")?;
                for x in b {
                    write!(f, "{x:02x}")?;
                }
                Ok(())
            }
        }
    }
}

/// MP_REACH_NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MpReach {
    pub family: AfiSafi,
    pub next_hop: NextHop,
    /// The reserved octet (RFC 4760 §3, was the SNPA count); kept for
    /// byte-exact re-encoding, 0 when built.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub reserved: u8,
    pub nlri: Vec<NlriEntry>,
    /// NLRI of a family this library does not parse, as received.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub unparsed: Vec<u8>,
}

/// MP_UNREACH_NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MpUnreach {
    pub family: AfiSafi,
    pub withdrawn: Vec<NlriEntry>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub unparsed: Vec<u8>,
}

/// An MP attribute error, with the family if it could be read: RFC 7606
/// §7.11 asks for AFI/SAFI disable when the family is known, else session reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpError {
    pub family: Option<AfiSafi>,
    pub error: WireError,
}

fn read_family(r: &mut Reader<'_>) -> Result<AfiSafi, MpError> {
    let afi = r.u16().map_err(|error| MpError {
        family: None,
        error,
    })?;
    let safi = r.u8().map_err(|error| MpError {
        family: None,
        error,
    })?;
    Ok(AfiSafi::new(Afi(afi), Safi(safi)))
}

fn decode_nlri(
    bytes: &[u8],
    family: AfiSafi,
    ctx: &Context,
    what: &'static str,
) -> Result<(Vec<NlriEntry>, Vec<u8>), MpError> {
    if nlri::is_supported(family) {
        nlri::decode_list(bytes, family, ctx.add_path(family), what)
            .map(|v| (v, Vec::new()))
            .map_err(|error| MpError {
                family: Some(family),
                error,
            })
    } else {
        Ok((Vec::new(), bytes.to_vec()))
    }
}

impl MpReach {
    pub fn new(family: AfiSafi, next_hop: NextHop, nlri: Vec<NlriEntry>) -> Self {
        MpReach {
            family,
            next_hop,
            reserved: 0,
            nlri,
            unparsed: Vec::new(),
        }
    }

    pub fn decode(value: &[u8], ctx: &Context) -> Result<Self, MpError> {
        let mut r = Reader::new(value, "MP_REACH_NLRI");
        let family = read_family(&mut r)?;
        let fail = |error| MpError {
            family: Some(family),
            error,
        };
        let nh_len = usize::from(r.u8().map_err(fail)?);
        let nh = r.take(nh_len).map_err(fail)?;
        let next_hop = NextHop::decode(nh, family.safi).map_err(fail)?;
        let reserved = r.u8().map_err(fail)?;
        let (nlri, unparsed) = decode_nlri(r.rest(), family, ctx, "MP_REACH_NLRI NLRI")?;
        Ok(MpReach {
            family,
            next_hop,
            reserved,
            nlri,
            unparsed,
        })
    }

    /// Decode the abbreviated form of RFC 6396 §4.3.4 (TABLE_DUMP_V2 RIB
    /// entries): next-hop length and next hop only; the family comes from
    /// the record.
    pub fn decode_abbreviated(value: &[u8], family: AfiSafi) -> Result<Self, WireError> {
        let mut r = Reader::new(value, "MP_REACH_NLRI (MRT abbreviated)");
        let nh_len = usize::from(r.u8()?);
        let nh = r.take(nh_len)?;
        let next_hop = NextHop::decode(nh, family.safi)?;
        Ok(MpReach::new(family, next_hop, Vec::new()))
    }

    pub fn encode(&self, ctx: &Context, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.family.afi.0.to_be_bytes());
        out.push(self.family.safi.0);
        out.push(self.next_hop.encoded_len() as u8);
        self.next_hop.encode(out);
        out.push(self.reserved);
        let _ = ctx;
        for n in &self.nlri {
            n.encode(out);
        }
        out.extend_from_slice(&self.unparsed);
    }
}

impl MpUnreach {
    pub fn new(family: AfiSafi, withdrawn: Vec<NlriEntry>) -> Self {
        MpUnreach {
            family,
            withdrawn,
            unparsed: Vec::new(),
        }
    }

    pub fn decode(value: &[u8], ctx: &Context) -> Result<Self, MpError> {
        let mut r = Reader::new(value, "MP_UNREACH_NLRI");
        let family = read_family(&mut r)?;
        let (withdrawn, unparsed) = decode_nlri(r.rest(), family, ctx, "MP_UNREACH_NLRI NLRI")?;
        Ok(MpUnreach {
            family,
            withdrawn,
            unparsed,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.family.afi.0.to_be_bytes());
        out.push(self.family.safi.0);
        for n in &self.withdrawn {
            n.encode(out);
        }
        out.extend_from_slice(&self.unparsed);
    }

    /// An End-of-RIB marker for a non-IPv4-unicast family (RFC 4724 §2).
    pub fn is_end_of_rib(&self) -> bool {
        self.withdrawn.is_empty() && self.unparsed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_with_link_local() {
        // AFI 2 SAFI 1, NH len 32, global 2001:db8::1, ll fe80::1, reserved, 2001:db8:1::/48
        let mut v = vec![0, 2, 1, 32];
        v.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        v.extend_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets());
        v.push(0);
        v.extend_from_slice(&[48, 0x20, 0x01, 0x0d, 0xb8, 0, 1]);
        let ctx = Context::default();
        let m = MpReach::decode(&v, &ctx).unwrap();
        assert_eq!(m.family, AfiSafi::IPV6_UNICAST);
        assert_eq!(m.next_hop.link_local(), Some("fe80::1".parse().unwrap()));
        assert_eq!(m.nlri.len(), 1);
        assert_eq!(m.nlri[0].to_string(), "2001:db8:1::/48");
        let mut out = Vec::new();
        m.encode(&ctx, &mut out);
        assert_eq!(out, v);
    }

    #[test]
    fn rfc8950_ipv6_next_hop_for_ipv4() {
        let mut v = vec![0, 1, 1, 16];
        v.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        v.extend_from_slice(&[0, 24, 192, 0, 2]);
        let m = MpReach::decode(&v, &Context::default()).unwrap();
        assert_eq!(m.next_hop, NextHop::Ipv6("2001:db8::1".parse().unwrap()));
        assert_eq!(m.nlri[0].to_string(), "192.0.2.0/24");
    }

    #[test]
    fn errors_carry_family() {
        let e = MpReach::decode(&[0, 1], &Context::default()).unwrap_err();
        assert_eq!(e.family, None);
        // NLRI overruns: family known -> AFI/SAFI disable possible
        let e =
            MpReach::decode(&[0, 1, 1, 4, 1, 2, 3, 4, 0, 24, 10], &Context::default()).unwrap_err();
        assert_eq!(e.family, Some(AfiSafi::IPV4_UNICAST));
        // unknown family: NLRI kept raw
        let m = MpUnreach::decode(&[0, 99, 7, 1, 2, 3], &Context::default()).unwrap();
        assert_eq!(m.unparsed, vec![1, 2, 3]);
        let mut out = Vec::new();
        m.encode(&mut out);
        assert_eq!(out, vec![0, 99, 7, 1, 2, 3]);
    }
}
