//! Address family (AFI) and subsequent address family (SAFI) identifiers.
//! Newtypes rather than enums: an unknown family from the wire must be kept,
//! not rejected (RFC 4760 §7: unknown AFI/SAFI in MP attributes are not errors
//! of the message itself).

use std::fmt;
use std::str::FromStr;

use crate::error::ParseError;

/// Address Family Identifier (IANA "Address Family Numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Afi(pub u16);

impl Afi {
    pub const IPV4: Afi = Afi(1);
    pub const IPV6: Afi = Afi(2);
    pub const L2VPN: Afi = Afi(25);
    pub const BGP_LS: Afi = Afi(16388);
}

/// Subsequent Address Family Identifier (IANA "SAFI Values").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Safi(pub u8);

impl Safi {
    pub const UNICAST: Safi = Safi(1);
    pub const MULTICAST: Safi = Safi(2);
    pub const LABELED_UNICAST: Safi = Safi(4);
    pub const MVPN: Safi = Safi(5);
    pub const VPLS: Safi = Safi(65);
    pub const EVPN: Safi = Safi(70);
    pub const BGP_LS: Safi = Safi(71);
    pub const BGP_LS_VPN: Safi = Safi(72);
    pub const SR_POLICY: Safi = Safi(73);
    pub const MUP: Safi = Safi(85);
    pub const VPN_UNICAST: Safi = Safi(128);
    pub const VPN_MULTICAST: Safi = Safi(129);
    pub const RT_CONSTRAINT: Safi = Safi(132);
    pub const FLOWSPEC: Safi = Safi(133);
    pub const FLOWSPEC_VPN: Safi = Safi(134);
}

/// An AFI/SAFI pair: the unit in which capabilities, ADD-PATH and
/// RFC 7606 "AFI/SAFI disable" are expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AfiSafi {
    pub afi: Afi,
    pub safi: Safi,
}

impl AfiSafi {
    pub const fn new(afi: Afi, safi: Safi) -> Self {
        AfiSafi { afi, safi }
    }
    pub const IPV4_UNICAST: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::UNICAST);
    pub const IPV6_UNICAST: AfiSafi = AfiSafi::new(Afi::IPV6, Safi::UNICAST);
    pub const IPV4_MULTICAST: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::MULTICAST);
    pub const IPV6_MULTICAST: AfiSafi = AfiSafi::new(Afi::IPV6, Safi::MULTICAST);
    pub const IPV4_LABELED: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::LABELED_UNICAST);
    pub const IPV6_LABELED: AfiSafi = AfiSafi::new(Afi::IPV6, Safi::LABELED_UNICAST);
    pub const IPV4_VPN: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::VPN_UNICAST);
    pub const IPV6_VPN: AfiSafi = AfiSafi::new(Afi::IPV6, Safi::VPN_UNICAST);
    pub const IPV4_VPN_MULTICAST: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::VPN_MULTICAST);
    pub const IPV6_VPN_MULTICAST: AfiSafi = AfiSafi::new(Afi::IPV6, Safi::VPN_MULTICAST);
    pub const IPV4_MVPN: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::MVPN);
    pub const IPV6_MVPN: AfiSafi = AfiSafi::new(Afi::IPV6, Safi::MVPN);
    pub const L2VPN_VPLS: AfiSafi = AfiSafi::new(Afi::L2VPN, Safi::VPLS);
    pub const L2VPN_EVPN: AfiSafi = AfiSafi::new(Afi::L2VPN, Safi::EVPN);
    pub const IPV4_FLOWSPEC: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::FLOWSPEC);
    pub const IPV6_FLOWSPEC: AfiSafi = AfiSafi::new(Afi::IPV6, Safi::FLOWSPEC);
    pub const IPV4_FLOWSPEC_VPN: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::FLOWSPEC_VPN);
    pub const IPV6_FLOWSPEC_VPN: AfiSafi = AfiSafi::new(Afi::IPV6, Safi::FLOWSPEC_VPN);
    pub const RT_CONSTRAINT: AfiSafi = AfiSafi::new(Afi::IPV4, Safi::RT_CONSTRAINT);
    pub const BGP_LS: AfiSafi = AfiSafi::new(Afi::BGP_LS, Safi::BGP_LS);
    pub const BGP_LS_VPN: AfiSafi = AfiSafi::new(Afi::BGP_LS, Safi::BGP_LS_VPN);

    const NAMES: &'static [(AfiSafi, &'static str)] = &[
        (Self::IPV4_UNICAST, "ipv4_unicast"),
        (Self::IPV6_UNICAST, "ipv6_unicast"),
        (Self::IPV4_MULTICAST, "ipv4_multicast"),
        (Self::IPV6_MULTICAST, "ipv6_multicast"),
        (Self::IPV4_LABELED, "ipv4_labeled_unicast"),
        (Self::IPV6_LABELED, "ipv6_labeled_unicast"),
        (Self::IPV4_VPN, "ipv4_vpn"),
        (Self::IPV6_VPN, "ipv6_vpn"),
        (Self::IPV4_VPN_MULTICAST, "ipv4_vpn_multicast"),
        (Self::IPV6_VPN_MULTICAST, "ipv6_vpn_multicast"),
        (Self::IPV4_MVPN, "ipv4_mvpn"),
        (Self::IPV6_MVPN, "ipv6_mvpn"),
        (Self::L2VPN_VPLS, "l2vpn_vpls"),
        (Self::L2VPN_EVPN, "l2vpn_evpn"),
        (Self::IPV4_FLOWSPEC, "ipv4_flowspec"),
        (Self::IPV6_FLOWSPEC, "ipv6_flowspec"),
        (Self::IPV4_FLOWSPEC_VPN, "ipv4_flowspec_vpn"),
        (Self::IPV6_FLOWSPEC_VPN, "ipv6_flowspec_vpn"),
        (Self::RT_CONSTRAINT, "rt_constraint"),
        (Self::BGP_LS, "bgp_ls"),
        (Self::BGP_LS_VPN, "bgp_ls_vpn"),
    ];

    /// The short snake_case name used in configs, JSON and the CLI.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
    }

    /// All families this library decodes NLRI for (not only keeps raw).
    pub fn known() -> impl Iterator<Item = AfiSafi> {
        Self::NAMES.iter().map(|(f, _)| *f)
    }
}

impl fmt::Display for AfiSafi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "afi{}_safi{}", self.afi.0, self.safi.0),
        }
    }
}

impl FromStr for AfiSafi {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let lower = s.trim().to_ascii_lowercase().replace('-', "_");
        if let Some((f, _)) = Self::NAMES.iter().find(|(_, n)| *n == lower) {
            return Ok(*f);
        }
        // afiN_safiM for anything else.
        if let Some(rest) = lower.strip_prefix("afi") {
            if let Some((a, s2)) = rest.split_once("_safi") {
                if let (Ok(a), Ok(s2)) = (a.parse::<u16>(), s2.parse::<u8>()) {
                    return Ok(AfiSafi::new(Afi(a), Safi(s2)));
                }
            }
        }
        Err(ParseError::new(
            "address family",
            s,
            "expected a name like ipv4_unicast, ipv6_flowspec, l2vpn_evpn or afiN_safiM",
        ))
    }
}

serialize_display!(AfiSafi);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in AfiSafi::known() {
            let s = f.to_string();
            assert_eq!(s.parse::<AfiSafi>(), Ok(f), "{s}");
        }
        let odd = AfiSafi::new(Afi(7), Safi(99));
        assert_eq!(odd.to_string(), "afi7_safi99");
        assert_eq!("afi7_safi99".parse::<AfiSafi>(), Ok(odd));
        assert!("ipv5_unicast".parse::<AfiSafi>().is_err());
        assert_eq!("IPv4-Unicast".parse::<AfiSafi>(), Ok(AfiSafi::IPV4_UNICAST));
    }
}
