//! EXTENDED_COMMUNITIES (RFC 4360) and IPv6-address-specific extended
//! communities (RFC 5701).
//!
//! Stored as the raw 8 (or 20) octets so any community, known or not,
//! re-encodes unchanged; [`ExtCommunity::kind`] gives the typed reading.
//!
//! Text forms (Display and FromStr):
//! `rt:65000:100`, `rt:192.0.2.1:5`, `rt:4200000000:5` (also `soo:` for
//! route origin), `redirect:65000:100` (FlowSpec redirect to VRF, also IPv4
//! and 4-octet forms), `rate:65000:12500` (traffic-rate in bytes/s, RFC 8955
//! §7.3), `action:terminal,sample`, `mark:46` (DSCP), `encap:8`,
//! `mac-mobility:5` / `mac-mobility:5:sticky`, `esi-label:100` /
//! `esi-label:100:single-active`, `router-mac:00:11:22:33:44:55`,
//! `link-bw:65000:125000`, `origin-validation:valid|not-found|invalid`,
//! anything else `0x` + 16 hex digits.

// Fixed-size arrays with constant indices throughout: indexing cannot panic.
#![allow(clippy::indexing_slicing)]

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::{ParseError, WireError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtCommunity(pub [u8; 8]);

/// The administrator field of two-part communities (RT, SoO, redirect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Admin {
    /// 2-octet AS, 4-octet value.
    As2(u16, u32),
    /// IPv4 address, 2-octet value.
    Ipv4(Ipv4Addr, u16),
    /// 4-octet AS, 2-octet value.
    As4(u32, u16),
}

/// Typed reading of an extended community.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExtKind {
    RouteTarget(Admin),
    RouteOrigin(Admin),
    /// RFC 8955 §7.3, bytes per second.
    TrafficRate {
        asn: u16,
        rate: f32,
    },
    /// RFC 8955 §7.4.
    TrafficAction {
        sample: bool,
        terminal: bool,
    },
    /// RFC 8955 §7.5 (and RFC 7674 for the IPv4/4-octet forms).
    Redirect(Admin),
    /// RFC 8955 §7.6.
    TrafficMarking {
        dscp: u8,
    },
    /// RFC 9012 §4.1.
    Encapsulation {
        tunnel_type: u16,
    },
    /// RFC 7432 §7.7.
    MacMobility {
        sticky: bool,
        sequence: u32,
    },
    /// RFC 7432 §7.5.
    EsiLabel {
        single_active: bool,
        label: u32,
    },
    /// RFC 9135 §8.1.
    RouterMac([u8; 6]),
    /// draft-ietf-idr-link-bandwidth, bytes per second.
    LinkBandwidth {
        asn: u16,
        bandwidth: f32,
    },
    /// RFC 8097: 0 valid, 1 not found, 2 invalid.
    OriginValidation(u8),
    Other,
}

impl ExtCommunity {
    fn two_part(high: u8, sub: u8, a: Admin) -> Self {
        let mut b = [0u8; 8];
        b[1] = sub;
        match a {
            Admin::As2(asn, v) => {
                b[0] = high;
                b[2..4].copy_from_slice(&asn.to_be_bytes());
                b[4..8].copy_from_slice(&v.to_be_bytes());
            }
            Admin::Ipv4(ip, v) => {
                b[0] = high | 0x01;
                b[2..6].copy_from_slice(&ip.octets());
                b[6..8].copy_from_slice(&v.to_be_bytes());
            }
            Admin::As4(asn, v) => {
                b[0] = high | 0x02;
                b[2..6].copy_from_slice(&asn.to_be_bytes());
                b[6..8].copy_from_slice(&v.to_be_bytes());
            }
        }
        ExtCommunity(b)
    }
    pub fn route_target(a: Admin) -> Self {
        Self::two_part(0x00, 0x02, a)
    }
    pub fn route_origin(a: Admin) -> Self {
        Self::two_part(0x00, 0x03, a)
    }
    pub fn redirect(a: Admin) -> Self {
        Self::two_part(0x80, 0x08, a)
    }
    pub fn traffic_rate(asn: u16, bytes_per_sec: f32) -> Self {
        let mut b = [0x80, 0x06, 0, 0, 0, 0, 0, 0];
        b[2..4].copy_from_slice(&asn.to_be_bytes());
        b[4..8].copy_from_slice(&bytes_per_sec.to_be_bytes());
        ExtCommunity(b)
    }
    pub fn traffic_action(sample: bool, terminal: bool) -> Self {
        ExtCommunity([
            0x80,
            0x07,
            0,
            0,
            0,
            0,
            0,
            (u8::from(sample) << 1) | u8::from(terminal),
        ])
    }
    pub fn traffic_marking(dscp: u8) -> Self {
        ExtCommunity([0x80, 0x09, 0, 0, 0, 0, 0, dscp & 0x3f])
    }
    pub fn encapsulation(tunnel_type: u16) -> Self {
        let t = tunnel_type.to_be_bytes();
        ExtCommunity([0x03, 0x0c, 0, 0, 0, 0, t[0], t[1]])
    }
    pub fn mac_mobility(sticky: bool, sequence: u32) -> Self {
        let s = sequence.to_be_bytes();
        ExtCommunity([0x06, 0x00, u8::from(sticky), 0, s[0], s[1], s[2], s[3]])
    }
    pub fn esi_label(single_active: bool, label: u32) -> Self {
        let l = (label << 4).to_be_bytes();
        ExtCommunity([0x06, 0x01, u8::from(single_active), 0, 0, l[1], l[2], l[3]])
    }
    pub fn router_mac(mac: [u8; 6]) -> Self {
        ExtCommunity([0x06, 0x03, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]])
    }
    pub fn link_bandwidth(asn: u16, bytes_per_sec: f32) -> Self {
        let a = asn.to_be_bytes();
        let f = bytes_per_sec.to_be_bytes();
        ExtCommunity([0x40, 0x04, a[0], a[1], f[0], f[1], f[2], f[3]])
    }

    /// Is this community transitive across ASes (RFC 4360 §2: bit 0x40 clear)?
    pub fn is_transitive(&self) -> bool {
        self.0[0] & 0x40 == 0
    }

    fn admin(&self) -> Option<Admin> {
        let b = &self.0;
        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        match b[0] & 0x3f {
            0x00 => Some(Admin::As2(u16_at(2), u32_at(4))),
            0x01 => Some(Admin::Ipv4(
                Ipv4Addr::new(b[2], b[3], b[4], b[5]),
                u16_at(6),
            )),
            0x02 => Some(Admin::As4(u32_at(2), u16_at(6))),
            _ => None,
        }
    }

    pub fn kind(&self) -> ExtKind {
        let b = &self.0;
        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        match (b[0], b[1]) {
            (0x00..=0x02, 0x02) => self.admin().map_or(ExtKind::Other, ExtKind::RouteTarget),
            (0x00..=0x02, 0x03) => self.admin().map_or(ExtKind::Other, ExtKind::RouteOrigin),
            (0x80, 0x06) => ExtKind::TrafficRate {
                asn: u16_at(2),
                rate: f32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            },
            (0x80, 0x07) => ExtKind::TrafficAction {
                sample: b[7] & 0x02 != 0,
                terminal: b[7] & 0x01 != 0,
            },
            (0x80..=0x82, 0x08) => self.admin().map_or(ExtKind::Other, ExtKind::Redirect),
            (0x80, 0x09) => ExtKind::TrafficMarking { dscp: b[7] & 0x3f },
            (0x03, 0x0c) => ExtKind::Encapsulation {
                tunnel_type: u16_at(6),
            },
            (0x06, 0x00) => ExtKind::MacMobility {
                sticky: b[2] & 0x01 != 0,
                sequence: u32_at(4),
            },
            (0x06, 0x01) => ExtKind::EsiLabel {
                single_active: b[2] & 0x01 != 0,
                label: u32::from_be_bytes([0, b[5], b[6], b[7]]) >> 4,
            },
            (0x06, 0x03) => ExtKind::RouterMac([b[2], b[3], b[4], b[5], b[6], b[7]]),
            (0x40, 0x04) => ExtKind::LinkBandwidth {
                asn: u16_at(2),
                bandwidth: f32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            },
            (0x43, 0x00) => ExtKind::OriginValidation(b[7]),
            _ => ExtKind::Other,
        }
    }

    /// RFC 7606 §7.14: the length must be a non-zero multiple of 8.
    pub fn decode_list(value: &[u8]) -> Result<super::ExtCommunities, WireError> {
        if value.is_empty() || !value.len().is_multiple_of(8) {
            return Err(WireError::BadLength {
                what: "EXTENDED_COMMUNITIES",
                len: value.len(),
            });
        }
        Ok(value
            .chunks_exact(8)
            .map(|c| ExtCommunity(c.try_into().unwrap_or([0; 8])))
            .collect())
    }

    pub fn encode_list(list: &[ExtCommunity], out: &mut Vec<u8>) {
        for c in list {
            out.extend_from_slice(&c.0);
        }
    }

    /// Is this a canonical (text round-trippable) encoding of its kind?
    fn canonical(&self) -> bool {
        self.typed_string()
            .and_then(|s| parse_typed(&s))
            .is_some_and(|c| c == *self)
    }

    fn typed_string(self) -> Option<String> {
        let admin = |a: Admin| match a {
            Admin::As2(x, v) => format!("{x}:{v}"),
            Admin::Ipv4(x, v) => format!("{x}:{v}"),
            Admin::As4(x, v) if x <= 0xffff => format!("{x}L:{v}"),
            Admin::As4(x, v) => format!("{x}:{v}"),
        };
        Some(match self.kind() {
            ExtKind::RouteTarget(a) => format!("rt:{}", admin(a)),
            ExtKind::RouteOrigin(a) => format!("soo:{}", admin(a)),
            ExtKind::Redirect(a) => format!("redirect:{}", admin(a)),
            ExtKind::TrafficRate { asn, rate } => format!("rate:{asn}:{rate}"),
            ExtKind::TrafficAction { sample, terminal } => {
                let mut v = Vec::new();
                if terminal {
                    v.push("terminal");
                }
                if sample {
                    v.push("sample");
                }
                if v.is_empty() {
                    v.push("none");
                }
                format!("action:{}", v.join(","))
            }
            ExtKind::TrafficMarking { dscp } => format!("mark:{dscp}"),
            ExtKind::Encapsulation { tunnel_type } => format!("encap:{tunnel_type}"),
            ExtKind::MacMobility { sticky, sequence } => {
                format!(
                    "mac-mobility:{sequence}{}",
                    if sticky { ":sticky" } else { "" }
                )
            }
            ExtKind::EsiLabel {
                single_active,
                label,
            } => {
                format!(
                    "esi-label:{label}{}",
                    if single_active { ":single-active" } else { "" }
                )
            }
            ExtKind::RouterMac(m) => format!(
                "router-mac:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
            ExtKind::LinkBandwidth { asn, bandwidth } => format!("link-bw:{asn}:{bandwidth}"),
            ExtKind::OriginValidation(s) => match s {
                0 => "origin-validation:valid".into(),
                1 => "origin-validation:not-found".into(),
                2 => "origin-validation:invalid".into(),
                _ => return None,
            },
            ExtKind::Other => return None,
        })
    }
}

impl fmt::Display for ExtCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Reserved bits set, or a float that does not print back exactly:
        // show raw hex so the text form always round-trips.
        match self.typed_string() {
            Some(s) if self.canonical() => f.write_str(&s),
            _ => {
                f.write_str("0x")?;
                for x in &self.0 {
                    write!(f, "{x:02x}")?;
                }
                Ok(())
            }
        }
    }
}

fn parse_admin(s: &str) -> Option<Admin> {
    let (a, v) = s.rsplit_once(':')?;
    if let Ok(ip) = a.parse::<Ipv4Addr>() {
        return Some(Admin::Ipv4(ip, v.parse().ok()?));
    }
    if let Some(a4) = a.strip_suffix('L') {
        return Some(Admin::As4(a4.parse().ok()?, v.parse().ok()?));
    }
    let asn: u32 = a.parse().ok()?;
    match u16::try_from(asn) {
        Ok(small) => Some(Admin::As2(small, v.parse().ok()?)),
        Err(_) => Some(Admin::As4(asn, v.parse().ok()?)),
    }
}

fn parse_typed(s: &str) -> Option<ExtCommunity> {
    let (k, rest) = s.split_once(':')?;
    Some(match k {
        "rt" | "target" => ExtCommunity::route_target(parse_admin(rest)?),
        "soo" | "ro" | "origin" => ExtCommunity::route_origin(parse_admin(rest)?),
        "redirect" => ExtCommunity::redirect(parse_admin(rest)?),
        "rate" => {
            let (a, r) = rest.split_once(':')?;
            ExtCommunity::traffic_rate(a.parse().ok()?, r.parse().ok()?)
        }
        "action" => {
            let mut sample = false;
            let mut terminal = false;
            for w in rest.split(',') {
                match w {
                    "sample" => sample = true,
                    "terminal" => terminal = true,
                    "none" => {}
                    _ => return None,
                }
            }
            ExtCommunity::traffic_action(sample, terminal)
        }
        "mark" => ExtCommunity::traffic_marking(rest.parse().ok().filter(|d: &u8| *d < 64)?),
        "encap" => ExtCommunity::encapsulation(rest.parse().ok()?),
        "mac-mobility" => match rest.split_once(':') {
            Some((n, "sticky")) => ExtCommunity::mac_mobility(true, n.parse().ok()?),
            None => ExtCommunity::mac_mobility(false, rest.parse().ok()?),
            _ => return None,
        },
        "esi-label" => {
            let (n, sa) = match rest.split_once(':') {
                Some((n, "single-active")) => (n, true),
                None => (rest, false),
                _ => return None,
            };
            let l: u32 = n.parse().ok().filter(|l| *l <= 0xf_ffff)?;
            ExtCommunity::esi_label(sa, l)
        }
        "router-mac" => {
            let parts: Option<Vec<u8>> = rest
                .split(':')
                .map(|h| u8::from_str_radix(h, 16).ok())
                .collect();
            let m: [u8; 6] = parts?.try_into().ok()?;
            ExtCommunity::router_mac(m)
        }
        "link-bw" => {
            let (a, r) = rest.split_once(':')?;
            ExtCommunity::link_bandwidth(a.parse().ok()?, r.parse().ok()?)
        }
        "origin-validation" => {
            let st = match rest {
                "valid" => 0,
                "not-found" => 1,
                "invalid" => 2,
                _ => return None,
            };
            ExtCommunity([0x43, 0, 0, 0, 0, 0, 0, st])
        }
        _ => return None,
    })
}

impl FromStr for ExtCommunity {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if let Some(hex) = t.strip_prefix("0x") {
            if hex.len() == 16 {
                let mut b = [0u8; 8];
                for (i, x) in b.iter_mut().enumerate() {
                    *x = hex
                        .get(2 * i..2 * i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .ok_or_else(|| ParseError::new("extended community", s, "bad hex"))?;
                }
                return Ok(ExtCommunity(b));
            }
        }
        parse_typed(t).ok_or_else(|| {
            ParseError::new(
                "extended community",
                s,
                "expected rt:ADMIN:N, soo:, redirect:, rate:AS:BYTES, action:, mark:DSCP, encap:T, mac-mobility:, esi-label:, router-mac:, link-bw:, or 0x + 16 hex digits",
            )
        })
    }
}

/// IPv6-address-specific extended community (RFC 5701): type, subtype,
/// 16-octet IPv6 administrator, 2-octet local value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6ExtCommunity(pub [u8; 20]);

impl Ipv6ExtCommunity {
    pub fn new(ty: u8, subtype: u8, addr: Ipv6Addr, local: u16) -> Self {
        let mut b = [0u8; 20];
        b[0] = ty;
        b[1] = subtype;
        b[2..18].copy_from_slice(&addr.octets());
        b[18..20].copy_from_slice(&local.to_be_bytes());
        Ipv6ExtCommunity(b)
    }
    pub fn ty(&self) -> u8 {
        self.0[0]
    }
    pub fn subtype(&self) -> u8 {
        self.0[1]
    }
    pub fn addr(&self) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.0[2..18]);
        Ipv6Addr::from(a)
    }
    pub fn local(&self) -> u16 {
        u16::from_be_bytes([self.0[18], self.0[19]])
    }
    /// The length must be a non-zero multiple of 20 (RFC 5701 §2, RFC 7606 §7.14).
    pub fn decode_list(value: &[u8]) -> Result<Vec<Ipv6ExtCommunity>, WireError> {
        if value.is_empty() || !value.len().is_multiple_of(20) {
            return Err(WireError::BadLength {
                what: "IPV6_EXTENDED_COMMUNITIES",
                len: value.len(),
            });
        }
        Ok(value
            .chunks_exact(20)
            .map(|c| Ipv6ExtCommunity(c.try_into().unwrap_or([0; 20])))
            .collect())
    }
    pub fn encode_list(list: &[Ipv6ExtCommunity], out: &mut Vec<u8>) {
        for c in list {
            out.extend_from_slice(&c.0);
        }
    }
}

impl fmt::Display for Ipv6ExtCommunity {
    /// `rt:2001:db8::1:5` for route targets (type 0x00/0x40 subtype 2),
    /// `soo:` for route origin, else `ipv6-ext:TYPE:SUBTYPE:ADDR:LOCAL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.ty(), self.subtype()) {
            (0x00, 0x02) => write!(f, "rt:{}:{}", self.addr(), self.local()),
            (0x00, 0x03) => write!(f, "soo:{}:{}", self.addr(), self.local()),
            (t, s) => write!(f, "ipv6-ext:{t}:{s}:{}:{}", self.addr(), self.local()),
        }
    }
}

impl FromStr for Ipv6ExtCommunity {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = || {
            ParseError::new(
                "IPv6 extended community",
                s,
                "expected rt:ADDR:N, soo:ADDR:N or ipv6-ext:T:S:ADDR:N",
            )
        };
        let (head, rest) = s.split_once(':').ok_or_else(err)?;
        let (t, st, rest) = match head {
            "rt" => (0, 2, rest),
            "soo" => (0, 3, rest),
            "ipv6-ext" => {
                let (t, r) = rest.split_once(':').ok_or_else(err)?;
                let (st, r) = r.split_once(':').ok_or_else(err)?;
                (
                    t.parse().map_err(|_| err())?,
                    st.parse().map_err(|_| err())?,
                    r,
                )
            }
            _ => return Err(err()),
        };
        let (a, l) = rest.rsplit_once(':').ok_or_else(err)?;
        Ok(Ipv6ExtCommunity::new(
            t,
            st,
            a.parse().map_err(|_| err())?,
            l.parse().map_err(|_| err())?,
        ))
    }
}

serialize_display!(ExtCommunity, Ipv6ExtCommunity);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for s in [
            "rt:65000:100",
            "rt:192.0.2.1:5",
            "rt:4200000000:5",
            "rt:65000L:5",
            "soo:65000:1",
            "redirect:65000:100",
            "redirect:192.0.2.1:7",
            "rate:65000:12500",
            "rate:0:0",
            "action:terminal,sample",
            "action:none",
            "mark:46",
            "encap:8",
            "mac-mobility:5",
            "mac-mobility:7:sticky",
            "esi-label:100:single-active",
            "router-mac:00:11:22:33:44:55",
            "link-bw:65000:125000",
            "origin-validation:invalid",
            "0x0a02030405060708",
        ] {
            let c: ExtCommunity = s.parse().unwrap();
            assert_eq!(c.to_string(), s);
        }
        assert!("rt:65000".parse::<ExtCommunity>().is_err());
        assert!("mark:64".parse::<ExtCommunity>().is_err());
    }

    #[test]
    fn wire_forms() {
        // RFC 8955 §7.3: traffic-rate 0 = drop, AS 0.
        let drop = ExtCommunity([0x80, 0x06, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(drop.kind(), ExtKind::TrafficRate { asn: 0, rate } if rate == 0.0));
        let rt = ExtCommunity([0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 100]);
        assert_eq!(rt.to_string(), "rt:65000:100");
        assert!(rt.is_transitive());
        // Traffic action with reserved bits set prints raw (round-trip safe).
        let odd = ExtCommunity([0x80, 0x07, 0, 0, 0, 0, 0, 0x83]);
        assert_eq!(odd.to_string().parse::<ExtCommunity>().unwrap(), odd);
        assert!(ExtCommunity::decode_list(&[0; 7]).is_err());
        assert!(ExtCommunity::decode_list(&[]).is_err());
    }

    #[test]
    fn ipv6_specific() {
        let c: Ipv6ExtCommunity = "rt:2001:db8::1:5".parse().unwrap();
        assert_eq!(c.to_string(), "rt:2001:db8::1:5");
        let mut out = Vec::new();
        Ipv6ExtCommunity::encode_list(&[c], &mut out);
        assert_eq!(Ipv6ExtCommunity::decode_list(&out).unwrap(), vec![c]);
        let o: Ipv6ExtCommunity = "ipv6-ext:64:11:2001:db8::2:9".parse().unwrap();
        assert_eq!(o.to_string(), "ipv6-ext:64:11:2001:db8::2:9");
    }
}
