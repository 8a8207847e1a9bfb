//! NLRI of every address family, with ADD-PATH path identifiers.
//!
//! Each family lives in its own module and exposes the same shape:
//! `decode(&mut Reader, ..) -> Result<Self, WireError>` reads exactly one NLRI
//! and `encode(&self, &mut Vec<u8>)` writes it back byte for byte.

use std::fmt;

use crate::afi::{Afi, AfiSafi, Safi};
use crate::error::WireError;
use crate::prefix::{Ipv4Prefix, Ipv6Prefix, Prefix};
use crate::reader::Reader;

pub mod bgpls;
pub mod evpn;
pub mod flowspec;
pub mod label;
pub mod labeled;
pub mod mvpn;
pub mod rd;
pub mod rtc;
mod text;
pub mod vpls;

pub use bgpls::BgpLsNlri;
pub use evpn::EvpnRoute;
pub use flowspec::FlowSpec;
pub use label::Label;
pub use labeled::{LabeledPrefix, VpnPrefix};
pub use mvpn::MvpnRoute;
pub use rd::RouteDistinguisher;
pub use rtc::RtConstraint;
pub use vpls::VplsNlri;

/// One NLRI of any family.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Nlri {
    /// Unicast or multicast IPv4/IPv6.
    Prefix(Prefix),
    /// Labeled unicast (RFC 8277).
    Labeled(Box<LabeledPrefix>),
    /// VPNv4/VPNv6 unicast or multicast (RFC 4364, RFC 4659, RFC 6513).
    Vpn(Box<VpnPrefix>),
    /// FlowSpec and VPN FlowSpec (RFC 8955, RFC 8956).
    FlowSpec(Box<FlowSpec>),
    /// EVPN (RFC 7432, RFC 9136).
    Evpn(Box<EvpnRoute>),
    /// MCAST-VPN (RFC 6514).
    Mvpn(Box<MvpnRoute>),
    /// VPLS (RFC 4761).
    Vpls(Box<VplsNlri>),
    /// Route Target membership (RFC 4684).
    RtConstraint(RtConstraint),
    /// BGP-LS (RFC 9552).
    BgpLs(Box<BgpLsNlri>),
}

/// An NLRI with its ADD-PATH path identifier (RFC 7911), if the session
/// negotiated one for this family and direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NlriEntry {
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub path_id: Option<u32>,
    pub nlri: Nlri,
}

impl NlriEntry {
    pub fn new(nlri: Nlri) -> Self {
        NlriEntry {
            path_id: None,
            nlri,
        }
    }
    pub fn with_path_id(nlri: Nlri, path_id: u32) -> Self {
        NlriEntry {
            path_id: Some(path_id),
            nlri,
        }
    }
}

impl From<Prefix> for Nlri {
    fn from(p: Prefix) -> Self {
        Nlri::Prefix(p)
    }
}
impl From<Ipv4Prefix> for Nlri {
    fn from(p: Ipv4Prefix) -> Self {
        Nlri::Prefix(Prefix::V4(p))
    }
}
impl From<Ipv6Prefix> for Nlri {
    fn from(p: Ipv6Prefix) -> Self {
        Nlri::Prefix(Prefix::V6(p))
    }
}

impl fmt::Display for Nlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Nlri::Prefix(p) => p.fmt(f),
            Nlri::Labeled(p) => p.fmt(f),
            Nlri::Vpn(p) => p.fmt(f),
            Nlri::FlowSpec(p) => p.fmt(f),
            Nlri::Evpn(p) => p.fmt(f),
            Nlri::Mvpn(p) => p.fmt(f),
            Nlri::Vpls(p) => p.fmt(f),
            Nlri::RtConstraint(p) => p.fmt(f),
            Nlri::BgpLs(p) => p.fmt(f),
        }
    }
}

impl fmt::Display for NlriEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path_id {
            Some(id) => write!(f, "{} path-id {}", self.nlri, id),
            None => self.nlri.fmt(f),
        }
    }
}

/// Does this library parse the NLRI of `family` (rather than keep it raw)?
pub fn is_supported(family: AfiSafi) -> bool {
    matches!(
        (family.afi, family.safi),
        (Afi::IPV4 | Afi::IPV6, Safi::UNICAST | Safi::MULTICAST)
            | (Afi::IPV4 | Afi::IPV6, Safi::LABELED_UNICAST)
            | (
                Afi::IPV4 | Afi::IPV6,
                Safi::VPN_UNICAST | Safi::VPN_MULTICAST
            )
            | (Afi::IPV4 | Afi::IPV6, Safi::FLOWSPEC | Safi::FLOWSPEC_VPN)
            | (Afi::IPV4 | Afi::IPV6, Safi::MVPN)
            | (Afi::L2VPN, Safi::VPLS | Safi::EVPN)
            | (Afi::IPV4, Safi::RT_CONSTRAINT)
            | (Afi::BGP_LS, Safi::BGP_LS | Safi::BGP_LS_VPN)
    )
}

impl Nlri {
    /// Decode one NLRI of `family` (without path id). `withdraw` matters for
    /// labeled families, whose withdrawals may carry the 0x800000 label.
    pub fn decode(r: &mut Reader<'_>, family: AfiSafi) -> Result<Nlri, WireError> {
        let AfiSafi { afi, safi } = family;
        match (afi, safi) {
            (Afi::IPV4, Safi::UNICAST | Safi::MULTICAST) => {
                Ok(Nlri::Prefix(Prefix::V4(Ipv4Prefix::decode(r)?)))
            }
            (Afi::IPV6, Safi::UNICAST | Safi::MULTICAST) => {
                Ok(Nlri::Prefix(Prefix::V6(Ipv6Prefix::decode(r)?)))
            }
            (Afi::IPV4 | Afi::IPV6, Safi::LABELED_UNICAST) => {
                LabeledPrefix::decode(r, afi).map(|l| Nlri::Labeled(Box::new(l)))
            }
            (Afi::IPV4 | Afi::IPV6, Safi::VPN_UNICAST | Safi::VPN_MULTICAST) => {
                VpnPrefix::decode(r, afi).map(|v| Nlri::Vpn(Box::new(v)))
            }
            (Afi::IPV4 | Afi::IPV6, Safi::FLOWSPEC) => {
                FlowSpec::decode(r, afi, false).map(|f| Nlri::FlowSpec(Box::new(f)))
            }
            (Afi::IPV4 | Afi::IPV6, Safi::FLOWSPEC_VPN) => {
                FlowSpec::decode(r, afi, true).map(|f| Nlri::FlowSpec(Box::new(f)))
            }
            (Afi::IPV4 | Afi::IPV6, Safi::MVPN) => {
                MvpnRoute::decode(r, afi).map(|m| Nlri::Mvpn(Box::new(m)))
            }
            (Afi::L2VPN, Safi::EVPN) => EvpnRoute::decode(r).map(|e| Nlri::Evpn(Box::new(e))),
            (Afi::L2VPN, Safi::VPLS) => VplsNlri::decode(r).map(|v| Nlri::Vpls(Box::new(v))),
            (Afi::IPV4, Safi::RT_CONSTRAINT) => RtConstraint::decode(r).map(Nlri::RtConstraint),
            (Afi::BGP_LS, Safi::BGP_LS) => {
                BgpLsNlri::decode(r, false).map(|b| Nlri::BgpLs(Box::new(b)))
            }
            (Afi::BGP_LS, Safi::BGP_LS_VPN) => {
                BgpLsNlri::decode(r, true).map(|b| Nlri::BgpLs(Box::new(b)))
            }
            _ => Err(WireError::malformed(
                "NLRI",
                format!("family {family} is not decoded by this library"),
            )),
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Nlri::Prefix(p) => p.encode(out),
            Nlri::Labeled(p) => p.encode(out),
            Nlri::Vpn(p) => p.encode(out),
            Nlri::FlowSpec(f) => f.encode(out),
            Nlri::Evpn(e) => e.encode(out),
            Nlri::Mvpn(m) => m.encode(out),
            Nlri::Vpls(v) => v.encode(out),
            Nlri::RtConstraint(c) => c.encode(out),
            Nlri::BgpLs(b) => b.encode(out),
        }
    }

    /// The IP prefix, for families that have one (unicast, labeled, VPN).
    pub fn prefix(&self) -> Option<Prefix> {
        match self {
            Nlri::Prefix(p) => Some(*p),
            Nlri::Labeled(l) => Some(l.prefix),
            Nlri::Vpn(v) => Some(v.prefix),
            _ => None,
        }
    }
}

impl NlriEntry {
    pub fn encode(&self, out: &mut Vec<u8>) {
        if let Some(id) = self.path_id {
            out.extend_from_slice(&id.to_be_bytes());
        }
        self.nlri.encode(out);
    }
}

/// Decode a whole NLRI field of one family (RFC 4760 MP_REACH/MP_UNREACH, or
/// the classic IPv4 fields), with path identifiers when `add_path` is set.
pub fn decode_list(
    bytes: &[u8],
    family: AfiSafi,
    add_path: bool,
    what: &'static str,
) -> Result<Vec<NlriEntry>, WireError> {
    let mut out = Vec::new();
    decode_list_into(bytes, family, add_path, what, &mut out)?;
    Ok(out)
}

/// [`decode_list`] appending to `out`, so a caller decoding many messages
/// can reuse one allocation.
pub fn decode_list_into(
    bytes: &[u8],
    family: AfiSafi,
    add_path: bool,
    what: &'static str,
    out: &mut Vec<NlriEntry>,
) -> Result<(), WireError> {
    if bytes.is_empty() {
        return Ok(()); // no allocation for the common empty field
    }
    let mut r = Reader::new(bytes, what);
    // A rough capacity guess: most NLRI are a few octets long. An
    // unallocated list (a fresh decode) is allocated directly: `reserve` on it takes
    // the general growth path, a tenth of a 1-prefix UPDATE's decode.
    let guess = bytes.len() / 4 + 1;
    if out.capacity() == 0 {
        *out = Vec::with_capacity(guess);
    } else {
        out.reserve(guess);
    }
    // Unicast gets tight loops: the family is matched once, not per prefix.
    match (family.afi, family.safi) {
        (Afi::IPV4, Safi::UNICAST | Safi::MULTICAST) => {
            while !r.is_empty() {
                let path_id = if add_path { Some(r.u32()?) } else { None };
                let p = Ipv4Prefix::decode(&mut r)?;
                out.push(NlriEntry {
                    path_id,
                    nlri: Nlri::Prefix(Prefix::V4(p)),
                });
            }
        }
        (Afi::IPV6, Safi::UNICAST | Safi::MULTICAST) => {
            while !r.is_empty() {
                let path_id = if add_path { Some(r.u32()?) } else { None };
                let p = Ipv6Prefix::decode(&mut r)?;
                out.push(NlriEntry {
                    path_id,
                    nlri: Nlri::Prefix(Prefix::V6(p)),
                });
            }
        }
        _ => {
            while !r.is_empty() {
                let path_id = if add_path { Some(r.u32()?) } else { None };
                let nlri = Nlri::decode(&mut r, family)?;
                out.push(NlriEntry { path_id, nlri });
            }
        }
    }
    Ok(())
}
