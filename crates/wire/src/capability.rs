//! Capabilities advertised in OPEN (RFC 5492) and their values.
//!
//! A capability whose bytes do not re-encode identically from the typed
//! form (reserved bits set, odd lengths) is kept as [`Capability::Unknown`]
//! so that what we pass on or log is exactly what was received.

use crate::afi::{Afi, AfiSafi, Safi};
use crate::error::WireError;
use crate::reader::Reader;

pub mod code {
    pub const MULTIPROTOCOL: u8 = 1;
    pub const ROUTE_REFRESH: u8 = 2;
    pub const EXTENDED_NEXT_HOP: u8 = 5;
    pub const EXTENDED_MESSAGE: u8 = 6;
    pub const MULTIPLE_LABELS: u8 = 8;
    pub const ROLE: u8 = 9;
    pub const GRACEFUL_RESTART: u8 = 64;
    pub const FOUR_OCTET_AS: u8 = 65;
    pub const ADD_PATH: u8 = 69;
    pub const ENHANCED_ROUTE_REFRESH: u8 = 70;
    pub const LONG_LIVED_GR: u8 = 71;
    pub const FQDN: u8 = 73;
    pub const SOFTWARE_VERSION: u8 = 75;
    pub const PATHS_LIMIT: u8 = 76;
    pub const CISCO_ROUTE_REFRESH: u8 = 128;
}

/// ADD-PATH send/receive flags (RFC 7911 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AddPathFamily {
    pub family: AfiSafi,
    pub receive: bool,
    pub send: bool,
}

/// Per-family graceful-restart entry (RFC 4724 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct GrFamily {
    pub family: AfiSafi,
    /// Forwarding state preserved (F bit).
    pub forwarding: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct GracefulRestart {
    /// R bit: the sender has restarted.
    pub restarting: bool,
    /// N bit: the sender supports notification handling (RFC 8538).
    pub notification: bool,
    /// Restart time in seconds (12 bits).
    pub time: u16,
    pub families: Vec<GrFamily>,
}

/// Per-family long-lived GR entry (RFC 9494 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LlgrFamily {
    pub family: AfiSafi,
    pub forwarding: bool,
    /// Long-lived stale time, seconds (24 bits).
    pub stale_time: u32,
}

/// RFC 8950 §3 entry: NLRI of `family` may carry a next hop of `next_hop_afi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExtNextHop {
    pub family: AfiSafi,
    pub next_hop_afi: Afi,
}

/// BGP role (RFC 9234 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Role {
    Provider,
    RouteServer,
    RouteServerClient,
    Customer,
    Peer,
    Other(u8),
}

impl Role {
    pub fn from_u8(v: u8) -> Role {
        match v {
            0 => Role::Provider,
            1 => Role::RouteServer,
            2 => Role::RouteServerClient,
            3 => Role::Customer,
            4 => Role::Peer,
            x => Role::Other(x),
        }
    }
    pub fn to_u8(self) -> u8 {
        match self {
            Role::Provider => 0,
            Role::RouteServer => 1,
            Role::RouteServerClient => 2,
            Role::Customer => 3,
            Role::Peer => 4,
            Role::Other(x) => x,
        }
    }
    /// The role the peer must have for the pair to be consistent (RFC 9234 §4.2).
    pub fn expected_peer_role(self) -> Option<Role> {
        Some(match self {
            Role::Provider => Role::Customer,
            Role::Customer => Role::Provider,
            Role::RouteServer => Role::RouteServerClient,
            Role::RouteServerClient => Role::RouteServer,
            Role::Peer => Role::Peer,
            Role::Other(_) => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Capability {
    Multiprotocol(AfiSafi),
    RouteRefresh,
    CiscoRouteRefresh,
    EnhancedRouteRefresh,
    FourOctetAs(u32),
    AddPath(Vec<AddPathFamily>),
    GracefulRestart(GracefulRestart),
    LongLivedGr(Vec<LlgrFamily>),
    ExtendedNextHop(Vec<ExtNextHop>),
    ExtendedMessage,
    Role(Role),
    Fqdn {
        hostname: String,
        domain: String,
    },
    SoftwareVersion(String),
    /// RFC 8277 §2.1: (family, label count).
    MultipleLabels(Vec<(AfiSafi, u8)>),
    /// draft-ietf-idr-add-paths-guidance: (family, limit).
    PathsLimit(Vec<(AfiSafi, u16)>),
    Unknown {
        code: u8,
        #[cfg_attr(feature = "serde", serde(serialize_with = "crate::attr::ser_hex"))]
        data: Vec<u8>,
    },
}

fn family3(r: &mut Reader<'_>) -> Result<AfiSafi, WireError> {
    Ok(AfiSafi::new(Afi(r.u16()?), Safi(r.u8()?)))
}

fn short_string(r: &mut Reader<'_>) -> Result<String, WireError> {
    let n = usize::from(r.u8()?);
    Ok(String::from_utf8_lossy(r.take(n)?).into_owned())
}

impl Capability {
    pub fn code(&self) -> u8 {
        use code::*;
        match self {
            Capability::Multiprotocol(_) => MULTIPROTOCOL,
            Capability::RouteRefresh => ROUTE_REFRESH,
            Capability::CiscoRouteRefresh => CISCO_ROUTE_REFRESH,
            Capability::EnhancedRouteRefresh => ENHANCED_ROUTE_REFRESH,
            Capability::FourOctetAs(_) => FOUR_OCTET_AS,
            Capability::AddPath(_) => ADD_PATH,
            Capability::GracefulRestart(_) => GRACEFUL_RESTART,
            Capability::LongLivedGr(_) => LONG_LIVED_GR,
            Capability::ExtendedNextHop(_) => EXTENDED_NEXT_HOP,
            Capability::ExtendedMessage => EXTENDED_MESSAGE,
            Capability::Role(_) => ROLE,
            Capability::Fqdn { .. } => FQDN,
            Capability::SoftwareVersion(_) => SOFTWARE_VERSION,
            Capability::MultipleLabels(_) => MULTIPLE_LABELS,
            Capability::PathsLimit(_) => PATHS_LIMIT,
            Capability::Unknown { code, .. } => *code,
        }
    }

    fn decode_typed(code: u8, v: &[u8]) -> Result<Capability, WireError> {
        use code::*;
        let mut r = Reader::new(v, "capability");
        let cap = match code {
            MULTIPROTOCOL => {
                let afi = r.u16()?;
                let _reserved = r.u8()?;
                Capability::Multiprotocol(AfiSafi::new(Afi(afi), Safi(r.u8()?)))
            }
            ROUTE_REFRESH => Capability::RouteRefresh,
            CISCO_ROUTE_REFRESH => Capability::CiscoRouteRefresh,
            ENHANCED_ROUTE_REFRESH => Capability::EnhancedRouteRefresh,
            EXTENDED_MESSAGE => Capability::ExtendedMessage,
            FOUR_OCTET_AS => Capability::FourOctetAs(r.u32()?),
            ADD_PATH => {
                let mut v = Vec::new();
                while !r.is_empty() {
                    let family = family3(&mut r)?;
                    let sr = r.u8()?;
                    v.push(AddPathFamily {
                        family,
                        receive: sr & 1 != 0,
                        send: sr & 2 != 0,
                    });
                }
                Capability::AddPath(v)
            }
            GRACEFUL_RESTART => {
                let w = r.u16()?;
                let mut families = Vec::new();
                while !r.is_empty() {
                    let family = family3(&mut r)?;
                    let f = r.u8()?;
                    families.push(GrFamily {
                        family,
                        forwarding: f & 0x80 != 0,
                    });
                }
                Capability::GracefulRestart(GracefulRestart {
                    restarting: w & 0x8000 != 0,
                    notification: w & 0x4000 != 0,
                    time: w & 0x0fff,
                    families,
                })
            }
            LONG_LIVED_GR => {
                let mut v = Vec::new();
                while !r.is_empty() {
                    let family = family3(&mut r)?;
                    let f = r.u8()?;
                    v.push(LlgrFamily {
                        family,
                        forwarding: f & 0x80 != 0,
                        stale_time: r.u24()?,
                    });
                }
                Capability::LongLivedGr(v)
            }
            EXTENDED_NEXT_HOP => {
                let mut v = Vec::new();
                while !r.is_empty() {
                    let afi = r.u16()?;
                    let safi = r.u16()?;
                    let nh = r.u16()?;
                    let safi = u8::try_from(safi)
                        .map_err(|_| WireError::invalid("extended next hop SAFI", safi))?;
                    v.push(ExtNextHop {
                        family: AfiSafi::new(Afi(afi), Safi(safi)),
                        next_hop_afi: Afi(nh),
                    });
                }
                Capability::ExtendedNextHop(v)
            }
            ROLE => Capability::Role(Role::from_u8(r.u8()?)),
            FQDN => Capability::Fqdn {
                hostname: short_string(&mut r)?,
                domain: short_string(&mut r)?,
            },
            SOFTWARE_VERSION => Capability::SoftwareVersion(short_string(&mut r)?),
            MULTIPLE_LABELS => {
                let mut v = Vec::new();
                while !r.is_empty() {
                    v.push((family3(&mut r)?, r.u8()?));
                }
                Capability::MultipleLabels(v)
            }
            PATHS_LIMIT => {
                let mut v = Vec::new();
                while !r.is_empty() {
                    v.push((family3(&mut r)?, r.u16()?));
                }
                Capability::PathsLimit(v)
            }
            _ => {
                return Ok(Capability::Unknown {
                    code,
                    data: v.to_vec(),
                })
            }
        };
        r.finish()?;
        Ok(cap)
    }

    /// Decode one capability value. Never fails: anything that does not
    /// parse, or would not re-encode to the same bytes, is kept raw.
    pub fn decode(code: u8, value: &[u8]) -> Capability {
        match Self::decode_typed(code, value) {
            Ok(c) => {
                let mut check = Vec::with_capacity(value.len());
                c.encode_value(&mut check);
                if check == value {
                    c
                } else {
                    Capability::Unknown {
                        code,
                        data: value.to_vec(),
                    }
                }
            }
            Err(_) => Capability::Unknown {
                code,
                data: value.to_vec(),
            },
        }
    }

    pub fn encode_value(&self, out: &mut Vec<u8>) {
        let fam3 = |out: &mut Vec<u8>, f: &AfiSafi| {
            out.extend_from_slice(&f.afi.0.to_be_bytes());
            out.push(f.safi.0);
        };
        let string = |out: &mut Vec<u8>, s: &str| {
            let b = s.as_bytes();
            let b = b.get(..b.len().min(255)).unwrap_or(b);
            out.push(b.len() as u8);
            out.extend_from_slice(b);
        };
        match self {
            Capability::Multiprotocol(f) => {
                out.extend_from_slice(&f.afi.0.to_be_bytes());
                out.push(0);
                out.push(f.safi.0);
            }
            Capability::RouteRefresh
            | Capability::CiscoRouteRefresh
            | Capability::EnhancedRouteRefresh
            | Capability::ExtendedMessage => {}
            Capability::FourOctetAs(a) => out.extend_from_slice(&a.to_be_bytes()),
            Capability::AddPath(v) => {
                for a in v {
                    fam3(out, &a.family);
                    out.push(u8::from(a.receive) | (u8::from(a.send) << 1));
                }
            }
            Capability::GracefulRestart(g) => {
                let w = (u16::from(g.restarting) << 15)
                    | (u16::from(g.notification) << 14)
                    | (g.time & 0x0fff);
                out.extend_from_slice(&w.to_be_bytes());
                for f in &g.families {
                    fam3(out, &f.family);
                    out.push(if f.forwarding { 0x80 } else { 0 });
                }
            }
            Capability::LongLivedGr(v) => {
                for f in v {
                    fam3(out, &f.family);
                    out.push(if f.forwarding { 0x80 } else { 0 });
                    out.extend_from_slice(&f.stale_time.to_be_bytes()[1..]);
                }
            }
            Capability::ExtendedNextHop(v) => {
                for e in v {
                    out.extend_from_slice(&e.family.afi.0.to_be_bytes());
                    out.extend_from_slice(&u16::from(e.family.safi.0).to_be_bytes());
                    out.extend_from_slice(&e.next_hop_afi.0.to_be_bytes());
                }
            }
            Capability::Role(r) => out.push(r.to_u8()),
            Capability::Fqdn { hostname, domain } => {
                string(out, hostname);
                string(out, domain);
            }
            Capability::SoftwareVersion(s) => string(out, s),
            Capability::MultipleLabels(v) => {
                for (f, n) in v {
                    fam3(out, f);
                    out.push(*n);
                }
            }
            Capability::PathsLimit(v) => {
                for (f, n) in v {
                    fam3(out, f);
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
            Capability::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    /// Code, length, value.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.code());
        let at = out.len();
        out.push(0);
        self.encode_value(out);
        let len = out.len() - at - 1;
        if let Some(l) = out.get_mut(at) {
            *l = len.min(255) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(code: u8, v: &[u8]) -> Capability {
        let c = Capability::decode(code, v);
        let mut out = Vec::new();
        c.encode_value(&mut out);
        assert_eq!(out, v, "{c:?}");
        c
    }

    #[test]
    fn typed_capabilities() {
        assert_eq!(
            round(1, &[0, 2, 0, 1]),
            Capability::Multiprotocol(AfiSafi::IPV6_UNICAST)
        );
        assert_eq!(
            round(65, &[0xfa, 0x56, 0xea, 0]),
            Capability::FourOctetAs(4200000000)
        );
        let ap = round(69, &[0, 1, 1, 3, 0, 2, 1, 1]);
        assert!(
            matches!(ap, Capability::AddPath(ref v) if v.len() == 2 && v[0].send && v[0].receive && !v[1].send)
        );
        let gr = round(64, &[0x80, 120, 0, 1, 1, 0x80]);
        assert!(
            matches!(gr, Capability::GracefulRestart(ref g) if g.restarting && g.time == 120 && g.families[0].forwarding)
        );
        let ll = round(71, &[0, 1, 1, 0x80, 0, 0x0e, 0x10]);
        assert!(matches!(ll, Capability::LongLivedGr(ref v) if v[0].stale_time == 3600));
        let enh = round(5, &[0, 1, 0, 1, 0, 2]);
        assert!(
            matches!(enh, Capability::ExtendedNextHop(ref v) if v[0].next_hop_afi == Afi::IPV6)
        );
        assert_eq!(round(9, &[3]), Capability::Role(Role::Customer));
        let fq = round(73, &[2, b'r', b'1', 3, b'l', b'a', b'b']);
        assert_eq!(
            fq,
            Capability::Fqdn {
                hostname: "r1".into(),
                domain: "lab".into()
            }
        );
        assert!(
            matches!(round(75, &[3, b'a', b'b', b'c']), Capability::SoftwareVersion(ref s) if s == "abc")
        );
        assert!(matches!(
            round(8, &[0, 1, 4, 2]),
            Capability::MultipleLabels(_)
        ));
    }

    #[test]
    fn odd_bytes_stay_raw() {
        // MP with reserved octet set, 4-octet AS too short, trailing bytes
        assert!(matches!(
            round(1, &[0, 1, 7, 1]),
            Capability::Unknown { .. }
        ));
        assert!(matches!(round(65, &[0, 1]), Capability::Unknown { .. }));
        assert!(matches!(round(2, &[1]), Capability::Unknown { .. }));
        assert!(matches!(
            round(200, &[1, 2]),
            Capability::Unknown { code: 200, .. }
        ));
    }
}
