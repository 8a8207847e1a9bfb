//! # rbgp-config
//!
//! rbgpd's TOML configuration. Unknown keys and bad values are errors that
//! name the key and the line; peer groups fill in what a neighbor leaves
//! out. See `src/default.toml` for the configuration used without a file.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use rbgp_wire::{AfiSafi, Prefix};
use serde::{Deserialize, Deserializer};

mod api;
mod bmp;
mod diff;
mod looking_glass;
mod mrt;
mod policy;
mod rpki;
pub use api::{Api, ApiListener, Metrics, MutualTls};
pub use bmp::{Bmp, Collector as BmpCollector, View as BmpView};
pub use diff::diff;
pub use looking_glass::{LookingGlass, REJECT_ID};
pub use mrt::{
    file_name as mrt_file_name, Compression as MrtCompression, Mrt, TablePaths as MrtTablePaths,
};
pub use policy::{Attachments, PeerPolicy};
pub use rbgp_policy::{ChainDef, Disposition, PolicyConfig};
pub use rpki::{NeighborRole, Rpki, RtrCache};

/// The configuration rbgpd runs with when given no file.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// A peer may advertise a long-lived stale time of up to 2^24 s (RFC 9494
/// §3); its routes are kept at most this long unless the operator says
/// otherwise (`max_long_lived_stale_time`), as BIRD's `max long lived
/// stale time` bounds it.
pub const MAX_LONG_LIVED_STALE_TIME: u32 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// TOML syntax, unknown key or wrong type: toml's message names the
    /// key and gives line and column.
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Any type with a text form (prefixes...), read from a TOML string.
fn parsed<'de, D: Deserializer<'de>, T: std::str::FromStr>(d: D) -> Result<T, D::Error>
where
    T::Err: std::fmt::Display,
{
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

fn families<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<AfiSafi>>, D::Error> {
    let names: Option<Vec<String>> = Option::deserialize(d)?;
    names
        .map(|v| {
            v.iter()
                .map(|n| n.parse::<AfiSafi>().map_err(serde::de::Error::custom))
                .collect()
        })
        .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Global {
    pub asn: u32,
    pub router_id: Ipv4Addr,
    /// Addresses to accept BGP connections on; empty: do not listen.
    #[serde(default = "default_listen")]
    pub listen: Vec<SocketAddr>,
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// Policies for every neighbor that has none of its own or from its
    /// group (see `Attachments`).
    pub import_policy: Option<Vec<String>>,
    pub export_policy: Option<Vec<String>>,
    pub default_import_policy: Option<Disposition>,
    pub default_export_policy: Option<Disposition>,
    pub family_import_policy: Option<BTreeMap<String, Vec<String>>>,
    pub family_export_policy: Option<BTreeMap<String, Vec<String>>>,
}

impl Global {
    /// Everything but the policy attachments (which apply on reload).
    pub fn session_settings(&self) -> Global {
        Global {
            import_policy: None,
            export_policy: None,
            default_import_policy: None,
            default_export_policy: None,
            family_import_policy: None,
            family_export_policy: None,
            ..self.clone()
        }
    }
}

fn default_listen() -> Vec<SocketAddr> {
    vec![
        SocketAddr::from(([0, 0, 0, 0], 179)),
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 179)),
    ]
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/rbgpd")
}

/// ADD-PATH send side: every path, or the best N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddPathSend {
    All,
    Best(u32),
}

impl<'de> Deserialize<'de> for AddPathSend {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Num(u32),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "all" => Ok(AddPathSend::All),
            Raw::Num(n) if n >= 1 => Ok(AddPathSend::Best(n)),
            _ => Err(serde::de::Error::custom(
                "expected \"all\" or a number of paths >= 1",
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddPath {
    #[serde(default)]
    pub receive: bool,
    pub send: Option<AddPathSend>,
}

/// Declares the per-peer keys once: `PeerSettings` (a peer group) and
/// `NeighborConfig` (a neighbor: the same keys plus address and group).
/// Not `serde(flatten)`, which would lose the line of a bad key.
macro_rules! peer_keys {
    ($($(#[$m:meta])* $field:ident: $ty:ty,)*) => {
        /// Settings a neighbor may take from its peer group.
        #[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct PeerSettings {
            $($(#[$m])* pub $field: $ty,)*
        }

        #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct NeighborConfig {
            pub address: IpAddr,
            pub peer_group: Option<String>,
            $($(#[$m])* pub $field: $ty,)*
        }

        impl NeighborConfig {
            /// This neighbor's own settings.
            pub fn settings(&self) -> PeerSettings {
                PeerSettings { $($field: self.$field.clone(),)* }
            }

            /// A neighbor with these settings of its own (the API's
            /// AddNeighbor).
            pub fn with_settings(address: IpAddr, peer_group: Option<String>, s: PeerSettings) -> Self {
                NeighborConfig {
                    address,
                    peer_group,
                    $($field: s.$field,)*
                }
            }

            /// A neighbor with every setting from `group` (dynamic
            /// neighbors, API-added neighbors in a group).
            pub fn in_group(address: IpAddr, group: &str) -> Self {
                NeighborConfig {
                    address,
                    peer_group: Some(group.to_string()),
                    $($field: None,)*
                }
            }
        }
    };
}

peer_keys! {
    remote_asn: Option<u32>,
    description: Option<String>,
    #[serde(default, deserialize_with = "families")]
    families: Option<Vec<AfiSafi>>,
    port: Option<u16>,
    local_address: Option<IpAddr>,
    passive: Option<bool>,
    hold_time: Option<u16>,
    /// Seconds before accepting or opening a session again after one went
    /// down; doubles with each flap up to `idle_hold_max` and starts over
    /// once a session stays up for a minute (RFC 4271 §8.1.1
    /// DampPeerOscillations). Defaults 1 and 120.
    idle_hold_time: Option<u32>,
    idle_hold_max: Option<u32>,
    md5_password: Option<String>,
    ttl_security: Option<bool>,
    multihop: Option<u8>,
    route_reflector_client: Option<bool>,
    route_server_client: Option<bool>,
    next_hop_self: Option<bool>,
    add_path: Option<AddPath>,
    max_prefixes: Option<u32>,
    max_prefixes_warning_only: Option<bool>,
    max_prefixes_restart: Option<u32>,
    remove_private_as: Option<bool>,
    next_hop_unchanged: Option<bool>,
    allow_own_as: Option<u8>,
    /// RFC 8326 §4: routes carrying GRACEFUL_SHUTDOWN (65535:0) get
    /// LOCAL_PREF 0 on import (before import policy). Default true.
    graceful_shutdown_local_pref: Option<bool>,
    graceful_restart: Option<bool>,
    long_lived_stale_time: Option<u32>,
    max_long_lived_stale_time: Option<u32>,
    keep_pre_policy: Option<bool>,
    import_policy: Option<Vec<String>>,
    export_policy: Option<Vec<String>>,
    default_import_policy: Option<Disposition>,
    default_export_policy: Option<Disposition>,
    family_import_policy: Option<BTreeMap<String, Vec<String>>>,
    family_export_policy: Option<BTreeMap<String, Vec<String>>>,
    keep_filtered: Option<bool>,
    /// What the neighbor is to us (RFC 9234): `provider`, `customer`,
    /// `peer`, `rs`, `rs-client`. Sent as the BGP Role capability (ours,
    /// the other end of the pair) and used by OTC and ASPA verification.
    role: Option<NeighborRole>,
    /// The neighbor must advertise the matching role (RFC 9234 §4.2).
    strict_role: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicNeighbor {
    #[serde(deserialize_with = "parsed")]
    pub prefix: Prefix,
    pub peer_group: String,
    /// Neighbors of the range at once: each address that connects gets a
    /// task (about 16 KiB) until its session ends or it sends no OPEN in
    /// time; past this, connections from new addresses are closed (FRR's
    /// `bgp listen limit`).
    #[serde(default = "default_dynamic_max")]
    pub max_neighbors: u32,
}

/// `max_neighbors` of a dynamic-neighbor range when not given.
pub const DYNAMIC_MAX_NEIGHBORS: u32 = 1_000;

fn default_dynamic_max() -> u32 {
    DYNAMIC_MAX_NEIGHBORS
}

/// A route to originate at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    #[serde(deserialize_with = "parsed")]
    pub prefix: Prefix,
    pub next_hop: IpAddr,
    #[serde(default)]
    pub communities: Vec<String>,
    #[serde(default)]
    pub large_communities: Vec<String>,
    #[serde(default)]
    pub ext_communities: Vec<String>,
    pub local_pref: Option<u32>,
    pub med: Option<u32>,
    pub as_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub global: Global,
    #[serde(default)]
    pub neighbors: Vec<NeighborConfig>,
    #[serde(default)]
    pub peer_groups: BTreeMap<String, PeerSettings>,
    #[serde(default)]
    pub dynamic_neighbors: Vec<DynamicNeighbor>,
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    #[serde(default)]
    pub api: Api,
    pub metrics: Option<Metrics>,
    /// Defined sets and policies (`[policy.sets.*]`, `[[policy.definitions]]`).
    #[serde(default)]
    pub policy: PolicyConfig,
    /// RPKI caches or file (`[rpki]`).
    #[serde(default)]
    pub rpki: Rpki,
    /// BMP stations to export to (`[bmp]`).
    #[serde(default)]
    pub bmp: Bmp,
    /// MRT dumps and update logs (`[mrt]`).
    pub mrt: Option<Mrt>,
    /// The birdwatcher-compatible REST API and web page (`[looking_glass]`).
    pub looking_glass: Option<LookingGlass>,
}

/// A neighbor with its group's settings filled in and defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbor {
    pub address: IpAddr,
    /// The peer group it takes settings from.
    pub peer_group: Option<String>,
    pub remote_asn: u32,
    pub description: Option<String>,
    pub families: Vec<AfiSafi>,
    pub port: u16,
    pub local_address: Option<IpAddr>,
    pub passive: bool,
    pub hold_time: u16,
    /// Back-off after a session went down, seconds: the first wait and
    /// the most it doubles to (RFC 4271 §8.1.1).
    pub idle_hold_time: u32,
    pub idle_hold_max: u32,
    pub md5_password: Option<String>,
    pub ttl_security: bool,
    pub multihop: Option<u8>,
    pub route_reflector_client: bool,
    pub route_server_client: bool,
    pub next_hop_self: bool,
    pub add_path: Option<AddPath>,
    /// Paths the neighbor may announce, accepted or filtered by import
    /// policy alike (filtered paths are kept too, and an IXP client
    /// leaking a full table must be stopped whatever the filters say).
    pub max_prefixes: Option<u32>,
    /// Over the limit: only log (else Cease/1, RFC 4486).
    pub max_prefixes_warning_only: bool,
    /// After a max-prefix Cease, reconnect after this many seconds (else
    /// stay down until re-enabled).
    pub max_prefixes_restart: Option<u32>,
    /// Strip private ASes from AS_PATH towards this eBGP peer.
    pub remove_private_as: bool,
    /// eBGP: pass the next hop on unchanged (multihop route servers...).
    pub next_hop_unchanged: bool,
    /// Accept our own AS in received paths this many times.
    pub allow_own_as: u8,
    /// Received GRACEFUL_SHUTDOWN lowers LOCAL_PREF to 0 (RFC 8326 §4).
    pub graceful_shutdown_local_pref: bool,
    pub graceful_restart: bool,
    /// Long-lived graceful restart (RFC 9494): advertise the capability
    /// with this stale time, and keep a peer's routes, marked LLGR_STALE,
    /// for the stale time it advertises. `None`: off.
    pub long_lived_stale_time: Option<u32>,
    /// The longest a peer's routes are kept long-lived, whatever stale
    /// time it advertises (up to 2^24 s, about 194 days).
    pub max_long_lived_stale_time: u32,
    /// Keep what the peer sent before import policy (listed as the
    /// pre-policy Adj-RIB-In); costs memory per route, so off by default.
    pub keep_pre_policy: bool,
    /// Import and export chains per family, and whether rejected routes
    /// are kept. Changing these never restarts the session.
    pub policy: PeerPolicy,
    /// What the neighbor is to us (RFC 9234), when configured.
    pub role: Option<NeighborRole>,
    /// Refuse the session unless the neighbor advertises the matching role.
    pub strict_role: bool,
}

impl Neighbor {
    /// Everything but the policy: a change here restarts the session.
    pub fn session_settings(&self) -> Neighbor {
        Neighbor {
            policy: PeerPolicy::default(),
            ..self.clone()
        }
    }

    /// An eBGP neighbor of a speaker in AS `local_asn`.
    pub fn is_ebgp(&self, local_asn: u32) -> bool {
        self.remote_asn != local_asn
    }
}

/// `a` where set, else `b` (a neighbor's own setting beats its group's).
fn or<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
    a.clone().or_else(|| b.clone())
}

impl Config {
    /// Parse and validate.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let c: Config = toml::from_str(text)?;
        c.validate().map_err(|e| match e {
            ConfigError::Invalid { field, reason } => {
                let field = match policy::line_of(text, &field) {
                    Some(line) => format!("{field} (line {line})"),
                    None => field,
                };
                ConfigError::Invalid { field, reason }
            }
            other => other,
        })?;
        c.api.check(text)?;
        Ok(c)
    }

    /// Validate a configuration built in code (the API's additions merged
    /// into the file's): what `parse` checks beyond TOML syntax.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.validate()
    }

    /// The built-in default.
    pub fn default_config() -> Result<Config, ConfigError> {
        Config::parse(DEFAULT_CONFIG)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        policy::check_global(&self.global)?;
        if self.global.asn == 0 || self.global.asn == rbgp_wire::attr::AS_TRANS {
            return Err(invalid(
                "global.asn",
                "0 and 23456 (AS_TRANS) cannot be used",
            ));
        }
        if self.global.router_id.is_unspecified() {
            return Err(invalid("global.router_id", "must not be 0.0.0.0"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, n) in self.neighbors.iter().enumerate() {
            let at = format!("neighbors[{i}] ({})", n.address);
            if !seen.insert(n.address) {
                return Err(invalid(format!("{at}.address"), "duplicate neighbor"));
            }
            self.resolve(n).map_err(|e| match e {
                ConfigError::Invalid { field, reason } => invalid(format!("{at}.{field}"), reason),
                other => other,
            })?;
        }
        for (name, g) in &self.peer_groups {
            check_settings(g).map_err(|e| match e {
                ConfigError::Invalid { field, reason } => {
                    invalid(format!("peer_groups.{name}.{field}"), reason)
                }
                other => other,
            })?;
        }
        for (i, d) in self.dynamic_neighbors.iter().enumerate() {
            if d.max_neighbors == 0 {
                return Err(invalid(
                    format!("dynamic_neighbors[{i}].max_neighbors"),
                    "must be at least 1",
                ));
            }
            if !self.peer_groups.contains_key(&d.peer_group) {
                return Err(invalid(
                    format!("dynamic_neighbors[{i}].peer_group"),
                    format!("no peer group {:?}", d.peer_group),
                ));
            }
        }
        policy::validate(self)?;
        self.rpki.check()?;
        self.bmp.check()?;
        if let Some(m) = &self.mrt {
            m.check()?;
        }
        if let Some(lg) = &self.looking_glass {
            lg.check()?;
        }
        for (i, r) in self.routes.iter().enumerate() {
            check_route(r).map_err(|e| match e {
                ConfigError::Invalid { field, reason } => {
                    invalid(format!("routes[{i}].{field}"), reason)
                }
                other => other,
            })?;
        }
        Ok(())
    }

    /// A neighbor with its group applied and defaults filled in.
    pub fn resolve(&self, n: &NeighborConfig) -> Result<Neighbor, ConfigError> {
        let empty = PeerSettings::default();
        let g = match &n.peer_group {
            Some(name) => self
                .peer_groups
                .get(name)
                .ok_or_else(|| invalid("peer_group", format!("no peer group {name:?}")))?,
            None => &empty,
        };
        let own = n.settings();
        let s = &own;
        check_settings(s)?;
        let remote_asn = or(&s.remote_asn, &g.remote_asn)
            .ok_or_else(|| invalid("remote_asn", "missing (set it here or in the peer group)"))?;
        let role = or(&s.role, &g.role);
        let strict_role = or(&s.strict_role, &g.strict_role).unwrap_or(false);
        if strict_role && role.is_none() {
            return Err(invalid("strict_role", "needs a role"));
        }
        if role.is_some() && remote_asn == self.global.asn {
            // RFC 9234 §4.2: roles are for eBGP sessions only.
            return Err(invalid("role", "roles apply to eBGP neighbors, not iBGP"));
        }
        let rs_client = role.is_some_and(|r| r.0 == rbgp_wire::capability::Role::RouteServerClient);
        let families = or(&s.families, &g.families).unwrap_or_else(|| match n.address {
            IpAddr::V4(_) => vec![AfiSafi::IPV4_UNICAST],
            IpAddr::V6(_) => vec![AfiSafi::IPV6_UNICAST],
        });
        let idle_hold_time = or(&s.idle_hold_time, &g.idle_hold_time).unwrap_or(1);
        let idle_hold_max = or(&s.idle_hold_max, &g.idle_hold_max).unwrap_or(120);
        if idle_hold_max < idle_hold_time {
            return Err(invalid(
                "idle_hold_max",
                format!("must be at least idle_hold_time ({idle_hold_time})"),
            ));
        }
        Ok(Neighbor {
            address: n.address,
            peer_group: n.peer_group.clone(),
            remote_asn,
            description: or(&s.description, &g.description),
            port: or(&s.port, &g.port).unwrap_or(179),
            local_address: or(&s.local_address, &g.local_address),
            passive: or(&s.passive, &g.passive).unwrap_or(false),
            hold_time: or(&s.hold_time, &g.hold_time).unwrap_or(90),
            idle_hold_time,
            idle_hold_max,
            md5_password: or(&s.md5_password, &g.md5_password),
            ttl_security: or(&s.ttl_security, &g.ttl_security).unwrap_or(false),
            multihop: or(&s.multihop, &g.multihop),
            route_reflector_client: or(&s.route_reflector_client, &g.route_reflector_client)
                .unwrap_or(false),
            route_server_client: or(&s.route_server_client, &g.route_server_client)
                .unwrap_or(rs_client),
            next_hop_self: or(&s.next_hop_self, &g.next_hop_self).unwrap_or(false),
            add_path: or(&s.add_path, &g.add_path),
            max_prefixes: or(&s.max_prefixes, &g.max_prefixes),
            max_prefixes_warning_only: or(
                &s.max_prefixes_warning_only,
                &g.max_prefixes_warning_only,
            )
            .unwrap_or(false),
            max_prefixes_restart: or(&s.max_prefixes_restart, &g.max_prefixes_restart),
            remove_private_as: or(&s.remove_private_as, &g.remove_private_as).unwrap_or(false),
            next_hop_unchanged: or(&s.next_hop_unchanged, &g.next_hop_unchanged).unwrap_or(false),
            allow_own_as: or(&s.allow_own_as, &g.allow_own_as).unwrap_or(0),
            graceful_shutdown_local_pref: or(
                &s.graceful_shutdown_local_pref,
                &g.graceful_shutdown_local_pref,
            )
            .unwrap_or(true),
            graceful_restart: or(&s.graceful_restart, &g.graceful_restart).unwrap_or(true),
            long_lived_stale_time: or(&s.long_lived_stale_time, &g.long_lived_stale_time)
                .filter(|t| *t > 0),
            max_long_lived_stale_time: or(
                &s.max_long_lived_stale_time,
                &g.max_long_lived_stale_time,
            )
            .unwrap_or(MAX_LONG_LIVED_STALE_TIME),
            keep_pre_policy: or(&s.keep_pre_policy, &g.keep_pre_policy).unwrap_or(false),
            policy: PeerPolicy::resolve(
                &families,
                [
                    Attachments::of_settings(s),
                    Attachments::of_settings(g),
                    Attachments::of_global(&self.global),
                ],
                or(&s.keep_filtered, &g.keep_filtered).unwrap_or(false),
            ),
            families,
            role,
            strict_role,
        })
    }

    /// All configured neighbors, resolved.
    pub fn neighbors(&self) -> Result<Vec<Neighbor>, ConfigError> {
        self.neighbors.iter().map(|n| self.resolve(n)).collect()
    }
}

fn check_settings(s: &PeerSettings) -> Result<(), ConfigError> {
    if let Some(h) = s.hold_time {
        // RFC 4271 §4.2: 0 or at least 3 seconds.
        if h == 1 || h == 2 {
            return Err(invalid(
                "hold_time",
                "must be 0 or at least 3 seconds (RFC 4271 §4.2)",
            ));
        }
    }
    for (field, v) in [
        ("idle_hold_time", s.idle_hold_time),
        ("idle_hold_max", s.idle_hold_max),
    ] {
        if v.is_some_and(|t| !(1..=86_400).contains(&t)) {
            return Err(invalid(field, "must be 1 to 86400 seconds"));
        }
    }
    if s.long_lived_stale_time.is_some_and(|t| t > 0xff_ffff) {
        return Err(invalid(
            "long_lived_stale_time",
            "must fit in 24 bits (at most 16777215 seconds, RFC 9494 §3)",
        ));
    }
    if s.max_long_lived_stale_time
        .is_some_and(|t| !(1..=0xff_ffff).contains(&t))
    {
        return Err(invalid(
            "max_long_lived_stale_time",
            "must be 1 to 16777215 seconds (the stale time fits in 24 bits, RFC 9494 §3)",
        ));
    }
    if s.ttl_security == Some(true) && s.multihop.is_some() {
        return Err(invalid(
            "ttl_security",
            "cannot be combined with multihop (RFC 5082 assumes direct peers)",
        ));
    }
    if s.route_reflector_client == Some(true) && s.route_server_client == Some(true) {
        return Err(invalid(
            "route_server_client",
            "a neighbor cannot be both route-reflector and route-server client",
        ));
    }
    if let Some(p) = &s.md5_password {
        if p.is_empty() || p.len() > 80 {
            return Err(invalid(
                "md5_password",
                "must be 1 to 80 characters (TCP MD5 key limit)",
            ));
        }
    }
    if s.next_hop_self == Some(true) && s.next_hop_unchanged == Some(true) {
        return Err(invalid(
            "next_hop_unchanged",
            "cannot be combined with next_hop_self",
        ));
    }
    if s.max_prefixes == Some(0) {
        return Err(invalid("max_prefixes", "must be at least 1"));
    }
    if s.port == Some(0) {
        return Err(invalid("port", "must not be 0"));
    }
    Attachments::of_settings(s).check_families()?;
    Ok(())
}

fn check_route(r: &RouteConfig) -> Result<(), ConfigError> {
    use rbgp_wire::attr::{AsPath, Community, ExtCommunity, LargeCommunity};
    for c in &r.communities {
        c.parse::<Community>()
            .map_err(|e| invalid("communities", e.to_string()))?;
    }
    for c in &r.large_communities {
        c.parse::<LargeCommunity>()
            .map_err(|e| invalid("large_communities", e.to_string()))?;
    }
    for c in &r.ext_communities {
        c.parse::<ExtCommunity>()
            .map_err(|e| invalid("ext_communities", e.to_string()))?;
    }
    if let Some(p) = &r.as_path {
        p.parse::<AsPath>()
            .map_err(|e| invalid("as_path", e.to_string()))?;
    }
    if r.prefix.is_ipv4() != r.next_hop.is_ipv4() && r.prefix.is_ipv4() {
        // An IPv6 next hop for IPv4 needs RFC 8950 on the session; allow
        // it, but an IPv4 next hop for an IPv6 prefix is meaningless.
    } else if !r.prefix.is_ipv4() && r.next_hop.is_ipv4() {
        return Err(invalid("next_hop", "an IPv6 prefix needs an IPv6 next hop"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_valid() {
        let c = Config::default_config().unwrap();
        assert_eq!(c.global.asn, 64512);
        assert_eq!(
            c.global.listen,
            vec!["127.0.0.1:1179".parse::<SocketAddr>().unwrap()]
        );
        assert!(c.neighbors.is_empty());
        // rbgpctl's default socket is this path.
        assert_eq!(
            c.api.socket_path(&c.global.state_dir),
            PathBuf::from("/tmp/rbgpd/rbgpd.sock")
        );
        assert!(c.metrics.is_none());
    }
}
