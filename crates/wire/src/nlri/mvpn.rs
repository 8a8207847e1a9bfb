//! MCAST-VPN NLRI (RFC 6514 §4; AFI 1 or 2 / SAFI 5): route types 1-7.
//! Other route types (e.g. RFC 7524's) are kept as raw bytes.
//!
//! On the wire every route is `route type (1) | length (1) | body (length)`,
//! and the body is decoded inside its own length.
//!
//! Address sizes:
//! * Customer multicast source and group addresses carry their own length in
//!   bits: 32 or 128, or 0 for the RFC 6625 wildcard (`*`).
//! * The Originating Router's IP Address (a provider address) has no length
//!   field; RFC 6515 §2 says its family is signalled solely by its size, so
//!   it is whatever is left of the route, 4 or 16 octets, whatever the AFI.
//! * The Leaf A-D route key (RFC 6514 §4.4) is kept as raw bytes. It is
//!   normally a whole MCAST-VPN NLRI (type, length, value), which tells where
//!   the originator address starts; a key of another shape is split off
//!   using the AFI's address size (4 for IPv4, 16 for IPv6).
//!
//! # Text form
//!
//! Keywords in this order (what `Display` prints and `FromStr` accepts):
//!
//! ```text
//! intra-as-i-pmsi-ad rd RD originator IP
//! inter-as-i-pmsi-ad rd RD source-as N
//! s-pmsi-ad rd RD source S group G originator IP
//! leaf-ad route-key 0xHEX originator IP
//! source-active-ad rd RD source S group G
//! shared-tree-join rd RD source-as N source S group G
//! source-tree-join rd RD source-as N source S group G
//! type T value 0xHEX
//! ```
//!
//! `RD` prints as [`RouteDistinguisher`] does (unassigned types as
//! `TYPE:0x` + 12 hex digits); `S` and `G` are an IPv4 or IPv6 address or
//! `*` (wildcard, length 0); `N` is a decimal AS number. For the shared tree
//! join (type 6) `source` is the C-RP address (RFC 6514 §11.1.1).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::rd::RouteDistinguisher;
use super::text::{fmt_hex, parse_hex, parse_rd, Words};
use crate::afi::Afi;
use crate::error::{ParseError, WireError};
use crate::reader::Reader;

/// One MCAST-VPN route. `None` source or group is the RFC 6625 wildcard.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MvpnRoute {
    /// Type 1, Intra-AS I-PMSI A-D (RFC 6514 §4.1).
    IntraAsIPmsiAd {
        rd: RouteDistinguisher,
        originator: IpAddr,
    },
    /// Type 2, Inter-AS I-PMSI A-D (RFC 6514 §4.2).
    InterAsIPmsiAd {
        rd: RouteDistinguisher,
        source_as: u32,
    },
    /// Type 3, S-PMSI A-D (RFC 6514 §4.3).
    SPmsiAd {
        rd: RouteDistinguisher,
        source: Option<IpAddr>,
        group: Option<IpAddr>,
        originator: IpAddr,
    },
    /// Type 4, Leaf A-D (RFC 6514 §4.4): the route key as received (see
    /// [`MvpnRoute::route_key_route`]). Decoding re-finds the key/originator
    /// split from the bytes (module doc), so a hand-built key that is not an
    /// MCAST-VPN NLRI decodes back to the same value only when its originator
    /// has the AFI's address size.
    LeafAd {
        route_key: Vec<u8>,
        originator: IpAddr,
    },
    /// Type 5, Source Active A-D (RFC 6514 §4.5).
    SourceActiveAd {
        rd: RouteDistinguisher,
        source: Option<IpAddr>,
        group: Option<IpAddr>,
    },
    /// Type 6, C-multicast Shared Tree Join (RFC 6514 §4.6).
    SharedTreeJoin {
        rd: RouteDistinguisher,
        source_as: u32,
        source: Option<IpAddr>,
        group: Option<IpAddr>,
    },
    /// Type 7, C-multicast Source Tree Join (RFC 6514 §4.6).
    SourceTreeJoin {
        rd: RouteDistinguisher,
        source_as: u32,
        source: Option<IpAddr>,
        group: Option<IpAddr>,
    },
    /// Any other route type, body kept raw (at most 255 octets).
    Unknown { route_type: u8, value: Vec<u8> },
}

/// Route type codes (RFC 6514 §4).
const INTRA_AS_I_PMSI_AD: u8 = 1;
const INTER_AS_I_PMSI_AD: u8 = 2;
const S_PMSI_AD: u8 = 3;
const LEAF_AD: u8 = 4;
const SOURCE_ACTIVE_AD: u8 = 5;
const SHARED_TREE_JOIN: u8 = 6;
const SOURCE_TREE_JOIN: u8 = 7;

/// A customer address with its length in bits: 0 (wildcard), 32 or 128.
fn decode_c_addr(r: &mut Reader<'_>) -> Result<Option<IpAddr>, WireError> {
    match r.u8()? {
        0 => Ok(None),
        32 => Ok(Some(IpAddr::V4(r.ipv4()?))),
        128 => Ok(Some(IpAddr::V6(r.ipv6()?))),
        n => Err(WireError::invalid("MCAST-VPN multicast address length", n)),
    }
}

fn encode_ip(ip: &IpAddr, out: &mut Vec<u8>) {
    match ip {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
}

fn encode_c_addr(ip: Option<&IpAddr>, out: &mut Vec<u8>) {
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

/// RFC 6515 §2: the provider address is the rest of the route, 4 or 16
/// octets.
fn decode_originator(r: &mut Reader<'_>) -> Result<IpAddr, WireError> {
    match r.remaining() {
        4 => Ok(IpAddr::V4(r.ipv4()?)),
        16 => Ok(IpAddr::V6(r.ipv6()?)),
        n => Err(WireError::BadLength {
            what: "MCAST-VPN originating router address",
            len: n,
        }),
    }
}

impl MvpnRoute {
    /// The route type code.
    pub fn route_type(&self) -> u8 {
        match self {
            MvpnRoute::IntraAsIPmsiAd { .. } => INTRA_AS_I_PMSI_AD,
            MvpnRoute::InterAsIPmsiAd { .. } => INTER_AS_I_PMSI_AD,
            MvpnRoute::SPmsiAd { .. } => S_PMSI_AD,
            MvpnRoute::LeafAd { .. } => LEAF_AD,
            MvpnRoute::SourceActiveAd { .. } => SOURCE_ACTIVE_AD,
            MvpnRoute::SharedTreeJoin { .. } => SHARED_TREE_JOIN,
            MvpnRoute::SourceTreeJoin { .. } => SOURCE_TREE_JOIN,
            MvpnRoute::Unknown { route_type, .. } => *route_type,
        }
    }

    /// The route distinguisher, for the types that have one (all but Leaf
    /// A-D and unknown types).
    pub fn rd(&self) -> Option<RouteDistinguisher> {
        match self {
            MvpnRoute::IntraAsIPmsiAd { rd, .. }
            | MvpnRoute::InterAsIPmsiAd { rd, .. }
            | MvpnRoute::SPmsiAd { rd, .. }
            | MvpnRoute::SourceActiveAd { rd, .. }
            | MvpnRoute::SharedTreeJoin { rd, .. }
            | MvpnRoute::SourceTreeJoin { rd, .. } => Some(*rd),
            MvpnRoute::LeafAd { .. } | MvpnRoute::Unknown { .. } => None,
        }
    }

    /// For a Leaf A-D route, its route key decoded as the MCAST-VPN route it
    /// normally is (RFC 6514 §4.4), if it is exactly one.
    pub fn route_key_route(&self, afi: Afi) -> Option<MvpnRoute> {
        let MvpnRoute::LeafAd { route_key, .. } = self else {
            return None;
        };
        let mut r = Reader::new(route_key, "MCAST-VPN route key");
        let key = MvpnRoute::decode(&mut r, afi).ok()?;
        r.is_empty().then_some(key)
    }

    /// Decode one route of the IPv4 or IPv6 MCAST-VPN family `afi`.
    pub fn decode(r: &mut Reader<'_>, afi: Afi) -> Result<Self, WireError> {
        let route_type = r.u8()?;
        let len = r.u8()?;
        let body = r.take(usize::from(len))?;
        let route = match route_type {
            INTRA_AS_I_PMSI_AD => {
                let mut b = Reader::new(body, "MCAST-VPN Intra-AS I-PMSI A-D route");
                MvpnRoute::IntraAsIPmsiAd {
                    rd: RouteDistinguisher::decode(&mut b)?,
                    originator: decode_originator(&mut b)?,
                }
            }
            INTER_AS_I_PMSI_AD => {
                let mut b = Reader::new(body, "MCAST-VPN Inter-AS I-PMSI A-D route");
                let route = MvpnRoute::InterAsIPmsiAd {
                    rd: RouteDistinguisher::decode(&mut b)?,
                    source_as: b.u32()?,
                };
                b.finish()?;
                route
            }
            S_PMSI_AD => {
                let mut b = Reader::new(body, "MCAST-VPN S-PMSI A-D route");
                MvpnRoute::SPmsiAd {
                    rd: RouteDistinguisher::decode(&mut b)?,
                    source: decode_c_addr(&mut b)?,
                    group: decode_c_addr(&mut b)?,
                    originator: decode_originator(&mut b)?,
                }
            }
            LEAF_AD => Self::decode_leaf_ad(body, afi)?,
            SOURCE_ACTIVE_AD => {
                let mut b = Reader::new(body, "MCAST-VPN Source Active A-D route");
                let route = MvpnRoute::SourceActiveAd {
                    rd: RouteDistinguisher::decode(&mut b)?,
                    source: decode_c_addr(&mut b)?,
                    group: decode_c_addr(&mut b)?,
                };
                b.finish()?;
                route
            }
            SHARED_TREE_JOIN | SOURCE_TREE_JOIN => {
                let mut b = Reader::new(body, "MCAST-VPN C-multicast route");
                let rd = RouteDistinguisher::decode(&mut b)?;
                let source_as = b.u32()?;
                let source = decode_c_addr(&mut b)?;
                let group = decode_c_addr(&mut b)?;
                b.finish()?;
                if route_type == SHARED_TREE_JOIN {
                    MvpnRoute::SharedTreeJoin {
                        rd,
                        source_as,
                        source,
                        group,
                    }
                } else {
                    MvpnRoute::SourceTreeJoin {
                        rd,
                        source_as,
                        source,
                        group,
                    }
                }
            }
            _ => MvpnRoute::Unknown {
                route_type,
                value: body.to_vec(),
            },
        };
        Ok(route)
    }

    /// RFC 6514 §4.4: `route key | originating router's IP address`.
    fn decode_leaf_ad(body: &[u8], afi: Afi) -> Result<Self, WireError> {
        const WHAT: &str = "MCAST-VPN Leaf A-D route";
        // A key that is an NLRI (type, length, value) ends where its length
        // says; RFC 6515 §2 then leaves 4 or 16 octets of originator.
        let as_nlri = body
            .get(1)
            .map(|&l| 2 + usize::from(l))
            .filter(|&k| matches!(body.len().checked_sub(k), Some(4 | 16)));
        let afi_size = if afi == Afi::IPV6 { 16 } else { 4 };
        let key_len = match as_nlri {
            Some(k) => k,
            None => body
                .len()
                .checked_sub(afi_size)
                .ok_or(WireError::BadLength {
                    what: WHAT,
                    len: body.len(),
                })?,
        };
        let mut b = Reader::new(body, WHAT);
        let route_key = b.take(key_len)?.to_vec();
        Ok(MvpnRoute::LeafAd {
            route_key,
            originator: decode_originator(&mut b)?,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.route_type());
        let len_at = out.len();
        out.push(0);
        match self {
            MvpnRoute::IntraAsIPmsiAd { rd, originator } => {
                rd.encode(out);
                encode_ip(originator, out);
            }
            MvpnRoute::InterAsIPmsiAd { rd, source_as } => {
                rd.encode(out);
                out.extend_from_slice(&source_as.to_be_bytes());
            }
            MvpnRoute::SPmsiAd {
                rd,
                source,
                group,
                originator,
            } => {
                rd.encode(out);
                encode_c_addr(source.as_ref(), out);
                encode_c_addr(group.as_ref(), out);
                encode_ip(originator, out);
            }
            MvpnRoute::LeafAd {
                route_key,
                originator,
            } => {
                out.extend_from_slice(route_key);
                encode_ip(originator, out);
            }
            MvpnRoute::SourceActiveAd { rd, source, group } => {
                rd.encode(out);
                encode_c_addr(source.as_ref(), out);
                encode_c_addr(group.as_ref(), out);
            }
            MvpnRoute::SharedTreeJoin {
                rd,
                source_as,
                source,
                group,
            }
            | MvpnRoute::SourceTreeJoin {
                rd,
                source_as,
                source,
                group,
            } => {
                rd.encode(out);
                out.extend_from_slice(&source_as.to_be_bytes());
                encode_c_addr(source.as_ref(), out);
                encode_c_addr(group.as_ref(), out);
            }
            MvpnRoute::Unknown { value, .. } => out.extend_from_slice(value),
        }
        // Parsed routes are at most 8 + 2 × 17 + 16 octets; only hand-built
        // route keys or unknown values over 255 octets could overflow, and
        // they get a truncated length like other speakers would send.
        let len = out.len() - len_at - 1;
        if let Some(b) = out.get_mut(len_at) {
            *b = len as u8;
        }
    }
}

/// A customer address or `*`.
struct CAddr<'a>(&'a Option<IpAddr>);

impl fmt::Display for CAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(a) => a.fmt(f),
            None => f.write_str("*"),
        }
    }
}

impl fmt::Display for MvpnRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MvpnRoute::IntraAsIPmsiAd { rd, originator } => {
                write!(f, "intra-as-i-pmsi-ad rd {rd} originator {originator}")
            }
            MvpnRoute::InterAsIPmsiAd { rd, source_as } => {
                write!(f, "inter-as-i-pmsi-ad rd {rd} source-as {source_as}")
            }
            MvpnRoute::SPmsiAd {
                rd,
                source,
                group,
                originator,
            } => write!(
                f,
                "s-pmsi-ad rd {rd} source {} group {} originator {originator}",
                CAddr(source),
                CAddr(group)
            ),
            MvpnRoute::LeafAd {
                route_key,
                originator,
            } => {
                f.write_str("leaf-ad route-key ")?;
                fmt_hex(f, route_key)?;
                write!(f, " originator {originator}")
            }
            MvpnRoute::SourceActiveAd { rd, source, group } => write!(
                f,
                "source-active-ad rd {rd} source {} group {}",
                CAddr(source),
                CAddr(group)
            ),
            MvpnRoute::SharedTreeJoin {
                rd,
                source_as,
                source,
                group,
            } => write!(
                f,
                "shared-tree-join rd {rd} source-as {source_as} source {} group {}",
                CAddr(source),
                CAddr(group)
            ),
            MvpnRoute::SourceTreeJoin {
                rd,
                source_as,
                source,
                group,
            } => write!(
                f,
                "source-tree-join rd {rd} source-as {source_as} source {} group {}",
                CAddr(source),
                CAddr(group)
            ),
            MvpnRoute::Unknown { route_type, value } => {
                write!(f, "type {route_type} value ")?;
                fmt_hex(f, value)
            }
        }
    }
}

fn parse_c_addr(w: &mut Words<'_>, kw: &str) -> Result<Option<IpAddr>, ParseError> {
    let v = w.field(kw)?;
    if v == "*" {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|_| w.err(format!("bad {kw} address {v:?}")))
}

impl FromStr for MvpnRoute {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "MCAST-VPN route";
        let mut w = Words::new(s, WHAT);
        let kind = w.next("a route type")?;
        let route = match kind {
            "intra-as-i-pmsi-ad" => MvpnRoute::IntraAsIPmsiAd {
                rd: parse_rd(w.field("rd")?, s, WHAT)?,
                originator: w.parse_field("originator")?,
            },
            "inter-as-i-pmsi-ad" => MvpnRoute::InterAsIPmsiAd {
                rd: parse_rd(w.field("rd")?, s, WHAT)?,
                source_as: w.parse_field("source-as")?,
            },
            "s-pmsi-ad" => MvpnRoute::SPmsiAd {
                rd: parse_rd(w.field("rd")?, s, WHAT)?,
                source: parse_c_addr(&mut w, "source")?,
                group: parse_c_addr(&mut w, "group")?,
                originator: w.parse_field("originator")?,
            },
            "leaf-ad" => MvpnRoute::LeafAd {
                route_key: parse_hex(w.field("route-key")?)
                    .ok_or_else(|| w.err("bad hex route key"))?,
                originator: w.parse_field("originator")?,
            },
            "source-active-ad" => MvpnRoute::SourceActiveAd {
                rd: parse_rd(w.field("rd")?, s, WHAT)?,
                source: parse_c_addr(&mut w, "source")?,
                group: parse_c_addr(&mut w, "group")?,
            },
            "shared-tree-join" | "source-tree-join" => {
                let rd = parse_rd(w.field("rd")?, s, WHAT)?;
                let source_as = w.parse_field("source-as")?;
                let source = parse_c_addr(&mut w, "source")?;
                let group = parse_c_addr(&mut w, "group")?;
                if kind == "shared-tree-join" {
                    MvpnRoute::SharedTreeJoin {
                        rd,
                        source_as,
                        source,
                        group,
                    }
                } else {
                    MvpnRoute::SourceTreeJoin {
                        rd,
                        source_as,
                        source,
                        group,
                    }
                }
            }
            "type" => MvpnRoute::Unknown {
                route_type: w
                    .next("a route type number")?
                    .parse()
                    .map_err(|_| w.err("bad route type number"))?,
                value: parse_hex(w.field("value")?).ok_or_else(|| w.err("bad hex value"))?,
            },
            _ => return Err(w.err("unknown MCAST-VPN route type")),
        };
        w.end()?;
        // The length octet limits a route to 255 octets of body.
        let mut body = Vec::new();
        route.encode(&mut body);
        if body.len() > 2 + 255 {
            return Err(w.err("route longer than 255 octets"));
        }
        Ok(route)
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::mp_nlri;
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn enc(route: &MvpnRoute) -> Vec<u8> {
        let mut out = Vec::new();
        route.encode(&mut out);
        out
    }

    /// Decode exactly one route, check byte-exact re-encoding and the text
    /// round trip, and return it.
    fn one(bytes: &[u8], afi: Afi) -> MvpnRoute {
        let mut r = Reader::new(bytes, "test NLRI");
        let route = MvpnRoute::decode(&mut r, afi).unwrap();
        assert!(r.is_empty(), "left over after {route}");
        assert_eq!(enc(&route), bytes, "{route}");
        let text = route.to_string();
        assert_eq!(text.parse::<MvpnRoute>().unwrap(), route, "{text}");
        route
    }

    fn decode_all(bytes: &[u8], afi: Afi) -> Vec<MvpnRoute> {
        let mut r = Reader::new(bytes, "test NLRI");
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(MvpnRoute::decode(&mut r, afi).unwrap());
        }
        out
    }

    /// ExaBGP qa/encoding/conf-mvpn.ci: raw UPDATEs (`:` separators removed)
    /// and the announce list of the expected JSON.
    const EXABGP: &[(&str, &str)] = &[
        (
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0073020000005C400101004002004003040A0A060340050400000064C010080102C0A85E0C0005800E39000105040A0A06030006160000FDE80001869F0000FDE8200A63C70120EFFBFFE407160000FDE80001869F0000FDE8200A630C0220EFFBFFE4",
            r#"[{"code":6,"parsed":true,"raw":"06160000FDE80001869F0000FDE8200A63C70120EFFBFFE4","name":"C-Multicast Shared Tree Join route","rd":"65000:99999","source-as":"65000","source":"10.99.199.1","group":"239.251.255.228"},{"code":7,"parsed":true,"raw":"07160000FDE80001869F0000FDE8200A630C0220EFFBFFE4","name":"C-Multicast Source Tree Join route","rd":"65000:99999","source-as":"65000","source":"10.99.12.2","group":"239.251.255.228"}]"#,
        ),
        (
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00A3020000008C400101004002004003040A0A060340050400000064C010080102C0A85E0C0005800E69000205040A0A060300062E0000FDE80001869F0000FDE880FD00000000000000000000000000000180FF0E0000000000000000000000000001072E0000FDE80001869F0000FDE880FD12000000000000000000000000000280FF0E0000000000000000000000000001",
            r#"[{"code":6,"parsed":true,"raw":"062E0000FDE80001869F0000FDE880FD00000000000000000000000000000180FF0E0000000000000000000000000001","name":"C-Multicast Shared Tree Join route","rd":"65000:99999","source-as":"65000","source":"fd00::1","group":"ff0e::1"},{"code":7,"parsed":true,"raw":"072E0000FDE80001869F0000FDE880FD12000000000000000000000000000280FF0E0000000000000000000000000001","name":"C-Multicast Source Tree Join route","rd":"65000:99999","source-as":"65000","source":"fd12::2","group":"ff0e::1"}]"#,
        ),
        (
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00570200000040400101004002004003040A0A060440050400000064C010080002FDE80001869F800E1D000105040A0A06040005120000FDE80001869F200A630C0420EFFBFFE4",
            r#"[{"code":5,"parsed":true,"raw":"05120000FDE80001869F200A630C0420EFFBFFE4","name":"Source Active A-D Route","rd":"65000:99999","source":"10.99.12.4","group":"239.251.255.228"}]"#,
        ),
        (
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF006F0200000058400101004002004003040A0A060440050400000064C010080002FDE80001869F800E35000205040A0A060400052A0000FDE80001869F80FD12000000000000000000000000000480FF0E0000000000000000000000000001",
            r#"[{"code":5,"parsed":true,"raw":"052A0000FDE80001869F80FD12000000000000000000000000000480FF0E0000000000000000000000000001","name":"Source Active A-D Route","rd":"65000:99999","source":"fd12::4","group":"ff0e::1"}]"#,
        ),
    ];

    #[test]
    fn exabgp_messages() {
        for (msg, json) in EXABGP {
            let msg = hex::decode(msg).unwrap();
            let (afi, safi, nlri) = mp_nlri(&msg).unwrap();
            assert_eq!(safi, 5);
            let afi = Afi(afi);
            let routes = decode_all(nlri, afi);
            let expected: serde_json::Value = serde_json::from_str(json).unwrap();
            let expected = expected.as_array().unwrap();
            assert_eq!(routes.len(), expected.len());
            let mut all: Vec<u8> = Vec::new();
            for (route, exp) in routes.iter().zip(expected) {
                let raw = hex::decode(exp["raw"].as_str().unwrap()).unwrap();
                assert_eq!(one(&raw, afi), *route);
                all.extend(&raw);
                assert_eq!(u64::from(route.route_type()), exp["code"].as_u64().unwrap());
                assert_eq!(route.rd().unwrap().to_string(), exp["rd"].as_str().unwrap());
                let (source_as, source, group) = match route {
                    MvpnRoute::SharedTreeJoin {
                        source_as,
                        source,
                        group,
                        ..
                    }
                    | MvpnRoute::SourceTreeJoin {
                        source_as,
                        source,
                        group,
                        ..
                    } => (Some(*source_as), source, group),
                    MvpnRoute::SourceActiveAd { source, group, .. } => (None, source, group),
                    other => panic!("unexpected {other}"),
                };
                assert_eq!(
                    source_as.map(|a| a.to_string()),
                    exp.get("source-as")
                        .map(|v| v.as_str().unwrap().to_string())
                );
                assert_eq!(source.unwrap().to_string(), exp["source"].as_str().unwrap());
                assert_eq!(group.unwrap().to_string(), exp["group"].as_str().unwrap());
            }
            assert_eq!(all, nlri);
        }
        let msg = hex::decode(EXABGP[0].0).unwrap();
        let (_, _, nlri) = mp_nlri(&msg).unwrap();
        let routes = decode_all(nlri, Afi::IPV4);
        assert_eq!(
            routes[0].to_string(),
            "shared-tree-join rd 65000:99999 source-as 65000 source 10.99.199.1 group 239.251.255.228"
        );
        assert_eq!(
            routes[1].to_string(),
            "source-tree-join rd 65000:99999 source-as 65000 source 10.99.12.2 group 239.251.255.228"
        );
    }

    fn rd_bytes() -> Vec<u8> {
        // 65000:1
        vec![0, 0, 0xfd, 0xe8, 0, 0, 0, 1]
    }

    #[test]
    fn hand_built_rfc_layouts() {
        // Type 1 with IPv4 and IPv6 originators (RFC 6515: size decides).
        let mut b = vec![1, 12];
        b.extend(rd_bytes());
        b.extend([192, 0, 2, 1]);
        let r = one(&b, Afi::IPV4);
        assert_eq!(
            r.to_string(),
            "intra-as-i-pmsi-ad rd 65000:1 originator 192.0.2.1"
        );
        let mut b6 = vec![1, 24];
        b6.extend(rd_bytes());
        b6.extend(Ipv6Addr::LOCALHOST.octets());
        assert_eq!(
            one(&b6, Afi::IPV4).to_string(),
            "intra-as-i-pmsi-ad rd 65000:1 originator ::1"
        );
        // Type 2.
        let mut b = vec![2, 12];
        b.extend(rd_bytes());
        b.extend(4_200_000_000u32.to_be_bytes());
        assert_eq!(
            one(&b, Afi::IPV6).to_string(),
            "inter-as-i-pmsi-ad rd 65000:1 source-as 4200000000"
        );
        // Type 3 with wildcard source (RFC 6625) and IPv4 group.
        let mut s_pmsi = vec![3, 0];
        s_pmsi.extend(rd_bytes());
        s_pmsi.push(0);
        s_pmsi.extend([32, 232, 1, 1, 1]);
        s_pmsi.extend([192, 0, 2, 9]);
        s_pmsi[1] = (s_pmsi.len() - 2) as u8;
        let r = one(&s_pmsi, Afi::IPV4);
        assert_eq!(
            r.to_string(),
            "s-pmsi-ad rd 65000:1 source * group 232.1.1.1 originator 192.0.2.9"
        );
        // Type 4 whose key is that S-PMSI A-D route, IPv6 originator under
        // AFI 1: the key's own length tells where the originator starts.
        let mut leaf = vec![4, 0];
        leaf.extend(&s_pmsi);
        leaf.extend(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2).octets());
        leaf[1] = (leaf.len() - 2) as u8;
        let r = one(&leaf, Afi::IPV4);
        assert_eq!(
            r,
            MvpnRoute::LeafAd {
                route_key: s_pmsi.clone(),
                originator: "2001:db8::2".parse().unwrap(),
            }
        );
        assert_eq!(r.route_key_route(Afi::IPV4), Some(one(&s_pmsi, Afi::IPV4)));
        assert!(r
            .to_string()
            .starts_with("leaf-ad route-key 0x03120000fde8000000010020e8010101c0000209 "));
        // A key that is not an NLRI: split by the AFI's address size.
        let leaf2 = [4, 7, 0xaa, 0xbb, 0xcc, 10, 0, 0, 1];
        let r = one(&leaf2, Afi::IPV4);
        assert_eq!(
            r.to_string(),
            "leaf-ad route-key 0xaabbcc originator 10.0.0.1"
        );
        assert_eq!(r.route_key_route(Afi::IPV4), None);
        // Type 5 with wildcards, types 6/7 with IPv6 C-addresses.
        let mut b = vec![5, 10];
        b.extend(rd_bytes());
        b.extend([0, 0]);
        assert_eq!(
            one(&b, Afi::IPV4).to_string(),
            "source-active-ad rd 65000:1 source * group *"
        );
        let mut b = vec![7, 0];
        b.extend(rd_bytes());
        b.extend(65000u32.to_be_bytes());
        b.push(128);
        b.extend(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
        b.push(0);
        b[1] = (b.len() - 2) as u8;
        assert_eq!(
            one(&b, Afi::IPV6).to_string(),
            "source-tree-join rd 65000:1 source-as 65000 source 2001:db8::1 group *"
        );
        // Unknown type (RFC 7524 uses 8+).
        assert_eq!(
            one(&[9, 2, 1, 2], Afi::IPV4).to_string(),
            "type 9 value 0x0102"
        );
    }

    #[test]
    fn bad_bytes() {
        let bad = |b: &[u8], afi| MvpnRoute::decode(&mut Reader::new(b, "t"), afi).unwrap_err();
        let good = hex::decode("07160000FDE80001869F0000FDE8200A630C0220EFFBFFE4").unwrap();
        for n in 0..good.len() {
            assert!(MvpnRoute::decode(&mut Reader::new(&good[..n], "t"), Afi::IPV4).is_err());
        }
        // Bad C-address length.
        let mut b = good.clone();
        b[14] = 24;
        assert!(matches!(
            bad(&b, Afi::IPV4),
            WireError::Invalid { value: 24, .. }
        ));
        // Inner length too long: trailing octet inside the route.
        let mut b = good.clone();
        b[1] += 1;
        b.push(0);
        assert!(matches!(
            bad(&b, Afi::IPV4),
            WireError::Trailing { extra: 1, .. }
        ));
        // Originator of 5 octets; of none.
        let mut b = vec![1, 13];
        b.extend([0; 13]);
        assert!(matches!(
            bad(&b, Afi::IPV4),
            WireError::BadLength { len: 5, .. }
        ));
        let mut b = vec![1, 8];
        b.extend([0; 8]);
        assert!(matches!(
            bad(&b, Afi::IPV4),
            WireError::BadLength { len: 0, .. }
        ));
        // Leaf A-D too short for any originator.
        assert!(bad(&[4, 3, 1, 2, 3], Afi::IPV4)
            .to_string()
            .contains("Leaf"));
        assert!(bad(&[4, 0], Afi::IPV6).to_string().contains("Leaf"));
        // Empty bodies of every parsed type (tcpdump's bgp_mvpn_6_and_7_oobr
        // case: a C-multicast route shorter than its fixed fields).
        for t in 1..=7u8 {
            assert!(MvpnRoute::decode(&mut Reader::new(&[t, 0], "t"), Afi::IPV4).is_err());
        }
        // One route only is read.
        let mut two = good.clone();
        two.extend(&good);
        let mut r = Reader::new(&two, "t");
        MvpnRoute::decode(&mut r, Afi::IPV4).unwrap();
        assert_eq!(r.remaining(), good.len());
    }

    #[test]
    fn bad_text() {
        for s in [
            "",
            "s-pmsi-ad rd 65000:1 source * group * originator *",
            "s-pmsi-ad rd 65000:1 source x group * originator 1.2.3.4",
            "s-pmsi-ad rd 65000:1 group * source * originator 1.2.3.4",
            "intra-as-i-pmsi-ad rd 65000:1 originator 1.2.3.4 x",
            "inter-as-i-pmsi-ad rd 65000:1 source-as 4294967296",
            "leaf-ad route-key 0x0 originator 1.2.3.4",
            "leaf-ad route-key aa originator 1.2.3.4",
            "type 256 value 0x",
            "c-multicast rd 65000:1",
        ] {
            assert!(s.parse::<MvpnRoute>().is_err(), "{s:?} parsed");
        }
        let long = format!("type 9 value 0x{}", "00".repeat(256));
        assert!(long.parse::<MvpnRoute>().is_err());
        let ok = format!("type 9 value 0x{}", "00".repeat(255));
        assert!(ok.parse::<MvpnRoute>().is_ok());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_shape() {
        let r: MvpnRoute = "source-active-ad rd 65000:1 source * group 232.1.1.1"
            .parse()
            .unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["source_active_ad"]["group"], "232.1.1.1");
        assert!(v["source_active_ad"]["source"].is_null());
    }

    fn arb_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            any::<[u8; 16]>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        ]
    }

    fn arb_c() -> impl Strategy<Value = Option<IpAddr>> {
        proptest::option::of(arb_ip())
    }

    fn arb_rd() -> impl Strategy<Value = RouteDistinguisher> {
        any::<[u8; 8]>().prop_map(RouteDistinguisher)
    }

    fn arb_route() -> impl Strategy<Value = MvpnRoute> {
        let leaf_simple = (arb_rd(), arb_c(), arb_c(), arb_ip(), arb_ip()).prop_map(
            |(rd, source, group, o1, originator)| {
                let key = MvpnRoute::SPmsiAd {
                    rd,
                    source,
                    group,
                    originator: o1,
                };
                MvpnRoute::LeafAd {
                    route_key: enc(&key),
                    originator,
                }
            },
        );
        prop_oneof![
            (arb_rd(), arb_ip())
                .prop_map(|(rd, originator)| MvpnRoute::IntraAsIPmsiAd { rd, originator }),
            (arb_rd(), any::<u32>())
                .prop_map(|(rd, source_as)| MvpnRoute::InterAsIPmsiAd { rd, source_as }),
            (arb_rd(), arb_c(), arb_c(), arb_ip()).prop_map(|(rd, source, group, originator)| {
                MvpnRoute::SPmsiAd {
                    rd,
                    source,
                    group,
                    originator,
                }
            }),
            leaf_simple,
            (arb_rd(), arb_c(), arb_c())
                .prop_map(|(rd, source, group)| MvpnRoute::SourceActiveAd { rd, source, group }),
            (arb_rd(), any::<u32>(), arb_c(), arb_c()).prop_map(
                |(rd, source_as, source, group)| MvpnRoute::SharedTreeJoin {
                    rd,
                    source_as,
                    source,
                    group,
                }
            ),
            (arb_rd(), any::<u32>(), arb_c(), arb_c()).prop_map(
                |(rd, source_as, source, group)| MvpnRoute::SourceTreeJoin {
                    rd,
                    source_as,
                    source,
                    group,
                }
            ),
            (8u8..=255, proptest::collection::vec(any::<u8>(), 0..=255))
                .prop_map(|(route_type, value)| MvpnRoute::Unknown { route_type, value }),
        ]
    }

    fn arb_afi() -> impl Strategy<Value = Afi> {
        prop_oneof![Just(Afi::IPV4), Just(Afi::IPV6)]
    }

    proptest! {
        #[test]
        fn wire_round_trip(route in arb_route(), afi in arb_afi()) {
            let b = enc(&route);
            let mut r = Reader::new(&b, "t");
            let back = MvpnRoute::decode(&mut r, afi).unwrap();
            prop_assert!(r.is_empty());
            prop_assert_eq!(&back, &route);
            prop_assert_eq!(enc(&back), b);
        }

        #[test]
        fn text_round_trip(route in arb_route()) {
            let s = route.to_string();
            prop_assert_eq!(s.parse::<MvpnRoute>().unwrap(), route);
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            b in proptest::collection::vec(any::<u8>(), 0..80),
            afi in arb_afi(),
        ) {
            let mut r = Reader::new(&b, "t");
            if let Ok(route) = MvpnRoute::decode(&mut r, afi) {
                prop_assert_eq!(enc(&route), &b[..r.position()]);
                prop_assert_eq!(route.to_string().parse::<MvpnRoute>().unwrap(), route);
            }
        }

        #[test]
        fn typed_bodies_never_panic(
            t in 1u8..=7,
            b in proptest::collection::vec(any::<u8>(), 0..70),
            afi in arb_afi(),
        ) {
            let mut bytes = vec![t, b.len() as u8];
            bytes.extend(&b);
            if let Ok(route) = MvpnRoute::decode(&mut Reader::new(&bytes, "t"), afi) {
                prop_assert_eq!(enc(&route), bytes);
            }
        }

        #[test]
        fn truncated_never_panics(
            route in arb_route(),
            cut in any::<prop::sample::Index>(),
            afi in arb_afi(),
        ) {
            let b = enc(&route);
            let n = cut.index(b.len());
            prop_assert!(MvpnRoute::decode(&mut Reader::new(&b[..n], "t"), afi).is_err());
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,60}") {
            let _ = s.parse::<MvpnRoute>();
        }
    }
}
