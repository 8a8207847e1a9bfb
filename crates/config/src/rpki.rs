//! `[rpki]`: where validated RPKI data comes from (RTR caches or a local
//! JSON file), and the neighbors' RFC 9234 roles that ASPA verification
//! needs.

use std::net::IpAddr;
use std::path::PathBuf;

use rbgp_wire::capability::Role;
use serde::{Deserialize, Deserializer};

use crate::{invalid, ConfigError};

/// RPKI-to-Router caches and/or a local file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rpki {
    /// RTR caches (RFC 8210 §10: the client uses the most preferred one
    /// it can reach; the others are standby).
    #[serde(default)]
    pub caches: Vec<RtrCache>,
    /// rpki-client / Routinator JSON (`roas`, `aspas`), read at start,
    /// on SIGHUP and when it changes.
    pub file: Option<PathBuf>,
    /// RFC 8097: send iBGP neighbors each route's origin validation state
    /// as an extended community, and take the state from routes iBGP
    /// neighbors send with one instead of validating them again. Off by
    /// default (every router of the AS validates for itself).
    #[serde(default)]
    pub origin_validation_community: bool,
}

/// One RTR cache.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtrCache {
    pub address: IpAddr,
    /// 323 is the RTR port (RFC 6810 §7); caches often use 3323 or 8282.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Lower is preferred (RFC 8210 §10); equal preferences keep file order.
    #[serde(default)]
    pub preference: u8,
    /// Highest RTR version to offer (2: draft-ietf-sidrops-8210bis with
    /// ASPA; 1: RFC 8210; 0: RFC 6810). Lower versions are tried when the
    /// cache refuses.
    #[serde(default = "default_version")]
    pub max_version: u8,
    /// RTR over TLS (RFC 6810 §7.2; the IANA port is 324): the cache's
    /// certificate must chain to `tls_ca`.
    #[serde(default)]
    pub tls: bool,
    /// PEM CA certificates the cache's certificate must chain to.
    pub tls_ca: Option<PathBuf>,
    /// The name the cache's certificate must carry; default: its address.
    pub tls_server_name: Option<String>,
}

fn default_port() -> u16 {
    323
}

fn default_version() -> u8 {
    2
}

impl Rpki {
    /// Whether any source is configured.
    pub fn enabled(&self) -> bool {
        !self.caches.is_empty() || self.file.is_some()
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if self.file.is_some() && !self.caches.is_empty() {
            return Err(invalid(
                "rpki.file",
                "use either a file or caches, not both",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.caches.iter().enumerate() {
            if c.port == 0 {
                return Err(invalid(format!("rpki.caches[{i}].port"), "must not be 0"));
            }
            if c.max_version > 2 {
                return Err(invalid(
                    format!("rpki.caches[{i}].max_version"),
                    "RTR versions are 0, 1 and 2",
                ));
            }
            if c.tls && c.tls_ca.is_none() {
                return Err(invalid(
                    format!("rpki.caches[{i}].tls_ca"),
                    "TLS needs the CA certificates the cache's certificate chains to",
                ));
            }
            if !c.tls && (c.tls_ca.is_some() || c.tls_server_name.is_some()) {
                return Err(invalid(
                    format!("rpki.caches[{i}].tls"),
                    "tls_ca and tls_server_name need tls = true",
                ));
            }
            if !seen.insert((c.address, c.port)) {
                return Err(invalid(
                    format!("rpki.caches[{i}].address"),
                    "the same cache twice",
                ));
            }
        }
        Ok(())
    }
}

/// What a neighbor is to us (RFC 9234 §3.1), as `role` in a neighbor or
/// peer group: `customer` means the neighbor is our customer. BIRD's
/// `local role` and FRR's `local-role` name the other end of the same
/// relation (our role); ours reads like `route_server_client`, which also
/// says what the neighbor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NeighborRole(pub Role);

impl NeighborRole {
    pub const NAMES: &'static [(&'static str, Role)] = &[
        ("provider", Role::Provider),
        ("customer", Role::Customer),
        ("peer", Role::Peer),
        ("rs", Role::RouteServer),
        ("rs-client", Role::RouteServerClient),
    ];

    /// The role we advertise in the capability (RFC 9234 §4.2 pairs).
    pub fn local(self) -> Option<Role> {
        self.0.expected_peer_role()
    }

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, r)| *r == self.0)
            .map_or("other", |(n, _)| n)
    }
}

impl std::str::FromStr for NeighborRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, r)| NeighborRole(*r))
            .ok_or_else(|| {
                format!(
                    "{s:?}: expected one of {}",
                    Self::NAMES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

impl<'de> Deserialize<'de> for NeighborRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    fn parse(extra: &str) -> Result<Config, ConfigError> {
        Config::parse(&format!(
            "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\nlisten = []\n{extra}"
        ))
    }

    #[test]
    fn roles_name_the_neighbor_and_advertise_ours() {
        let c = parse(
            "[peer_groups.customers]\nremote_asn = 65010\nrole = \"customer\"\nstrict_role = true\n\
             [[neighbors]]\naddress = \"192.0.2.2\"\npeer_group = \"customers\"\n\
             [[neighbors]]\naddress = \"192.0.2.3\"\nremote_asn = 65011\nrole = \"rs-client\"\n",
        )
        .unwrap();
        let n = c.neighbors().unwrap();
        assert_eq!(n[0].role, Some(NeighborRole(Role::Customer)));
        assert!(n[0].strict_role);
        assert_eq!(n[0].role.and_then(|r| r.local()), Some(Role::Provider));
        assert!(!n[0].route_server_client);
        // An rs-client is a route-server client unless told otherwise.
        assert_eq!(n[1].role.and_then(|r| r.local()), Some(Role::RouteServer));
        assert!(n[1].route_server_client);
        let e =
            parse("[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nrole = \"upstream\"\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("role") && e.contains("rs-client"), "{e}");
        let e =
            parse("[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 1\nstrict_role = true\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("strict_role"), "{e}");
        let e = parse(
            "[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 65000\nrole = \"customer\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("role") && e.contains("iBGP"), "{e}");
    }

    #[test]
    fn rtr_over_tls_needs_its_ca() {
        let c = parse(
            "[[rpki.caches]]\naddress = \"10.0.0.5\"\nport = 324\ntls = true\ntls_ca = \"/etc/rbgpd/rpki-ca.pem\"\n",
        )
        .unwrap();
        assert!(c.rpki.caches[0].tls);
        let e = parse("[[rpki.caches]]\naddress = \"10.0.0.5\"\ntls = true\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rpki.caches[0].tls_ca"), "{e}");
        let e = parse("[[rpki.caches]]\naddress = \"10.0.0.5\"\ntls_server_name = \"rpki\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rpki.caches[0].tls"), "{e}");
    }

    #[test]
    fn rpki_sources() {
        let e = parse("[rpki]\nfile = \"/tmp/v.json\"\n[[rpki.caches]]\naddress = \"10.0.0.5\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rpki.file"), "{e}");
        assert!(parse("[rpki]\nfile = \"/tmp/v.json\"\n")
            .unwrap()
            .rpki
            .enabled());
        let c = parse(
            "[[rpki.caches]]\naddress = \"10.0.0.5\"\n\
             [[rpki.caches]]\naddress = \"10.0.0.6\"\nport = 3323\npreference = 2\nmax_version = 1\n",
        )
        .unwrap();
        assert!(c.rpki.enabled());
        assert_eq!(c.rpki.caches[0].port, 323);
        assert_eq!(c.rpki.caches[0].max_version, 2);
        assert_eq!(c.rpki.caches[1].preference, 2);
        assert!(!parse("").unwrap().rpki.enabled());
        let e = parse("[[rpki.caches]]\naddress = \"10.0.0.5\"\nmax_version = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rpki.caches[0].max_version"), "{e}");
        let e = parse(
            "[[rpki.caches]]\naddress = \"10.0.0.5\"\n[[rpki.caches]]\naddress = \"10.0.0.5\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("rpki.caches[1].address"), "{e}");
        let e = parse("[rpki]\ncache = 1\n").unwrap_err().to_string();
        assert!(e.contains("cache"), "{e}");
    }
}
