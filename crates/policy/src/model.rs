//! Policy definitions as an operator writes them (TOML, the API): named
//! defined sets, policies of terms, and chains attached to neighbors.
//! Plain data with serde; [`crate::Policies::compile`] checks and compiles
//! them. Every list of texts here is parsed at compile time, so an error
//! can name the set or term and the entry.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Named sets, by kind (`[policy.sets.KIND]` in TOML). Each maps a name to
/// its entries:
///
/// | kind | entry |
/// |---|---|
/// | `prefix` | `"10.0.0.0/8"` (exact), `"10.0.0.0/8 le 24"`, `"2001:db8::/32 ge 40 le 48"` |
/// | `as_path` | a regular expression over the path text (`"65001 6939 {3,4}"`), `_` matching a boundary as in Cisco and GoBGP: `"^65001_"`, `"_6939_"`, `"_[0-9]+$"` |
/// | `asn` | `"65001"`, `"64512-65534"` |
/// | `community` | `"65000:100"`, a well-known name, `"65000:*"`, `"65000:100-199"`, `"/^65000:1[0-9]$/"` (a regular expression over the text) |
/// | `large_community` | `"65000:1:2"`, `"65000:*:*"`, ranges, `/regex/` |
/// | `ext_community` | the text form (`"rt:65000:100"`), `*` in the last field, `/regex/` |
/// | `neighbor`, `next_hop` | `"192.0.2.1"`, `"192.0.2.0/24"`, `"2001:db8::/32"` |
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DefinedSets {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prefix: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub as_path: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub asn: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub community: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub large_community: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ext_community: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub neighbor: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub next_hop: BTreeMap<String, Vec<String>>,
}

impl DefinedSets {
    /// Every kind of set with its sets by name, kinds named as in
    /// `[policy.sets.KIND]`.
    pub fn by_kind(&self) -> [(&'static str, &BTreeMap<String, Vec<String>>); 8] {
        [
            ("prefix", &self.prefix),
            ("as_path", &self.as_path),
            ("asn", &self.asn),
            ("community", &self.community),
            ("large_community", &self.large_community),
            ("ext_community", &self.ext_community),
            ("neighbor", &self.neighbor),
            ("next_hop", &self.next_hop),
        ]
    }
}

/// How a term, a policy or a chain ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Accept,
    Reject,
    /// Go on: with the next term, then the next policy of the chain.
    #[default]
    Next,
}

/// A policy: terms tried in order; the first that matches and ends in
/// `accept` or `reject` decides. When no term decides, `default` does
/// (`next`: the chain goes on with its next policy).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDef {
    pub name: String,
    #[serde(default)]
    pub terms: Vec<TermDef>,
    #[serde(default)]
    pub default: Disposition,
}

/// A term: when every condition holds, the actions apply and `then.result`
/// says what happens next. No conditions: it always matches.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TermDef {
    pub name: String,
    #[serde(rename = "if", default, skip_serializing_if = "Conditions::is_empty")]
    pub conditions: Conditions,
    #[serde(default)]
    pub then: Actions,
}

/// A number compared: every bound given must hold (`{ ge = 8, le = 24 }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eq: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ne: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub le: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ge: Option<u32>,
}

impl Range {
    pub fn holds(&self, v: u32) -> bool {
        self.eq.is_none_or(|x| v == x)
            && self.ne.is_none_or(|x| v != x)
            && self.lt.is_none_or(|x| v < x)
            && self.le.is_none_or(|x| v <= x)
            && self.gt.is_none_or(|x| v > x)
            && self.ge.is_none_or(|x| v >= x)
    }

    pub fn is_empty(&self) -> bool {
        *self == Range::default()
    }
}

/// A condition on the communities of one kind against a named set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SetMatch {
    /// At least one of the route's communities matches an entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub any_of: Option<String>,
    /// Every entry of the set matches one of the route's communities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_of: Option<String>,
    /// None of the route's communities matches an entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub none_of: Option<String>,
}

/// Conditions of a term; all that are given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// The route's prefix matches an entry of the prefix set (exactly, or
    /// within the entry's ge/le).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_not_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_length: Option<Range>,
    /// The AS path text matches one of the set's regular expressions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_path_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_path_not_in: Option<String>,
    /// Path length as best-path selection counts it (an AS_SET counts 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_path_length: Option<Range>,
    /// The origin AS (last of a trailing AS_SEQUENCE) is in the ASN set;
    /// a path ending in an AS_SET has no origin AS and is never in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_as_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_as_not_in: Option<String>,
    /// The first AS is (true) / is not (false) the neighbor's AS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_as_is_neighbor: Option<bool>,
    /// The path contains (true) / does not contain (false) an AS_SET.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_path_has_set: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community: Option<SetMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub large_community: Option<SetMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext_community: Option<SetMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community_count: Option<Range>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub large_community_count: Option<Range>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext_community_count: Option<Range>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop_not_in: Option<String>,
    /// The neighbor the route was learned from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neighbor_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neighbor_not_in: Option<String>,
    /// The peer group of the neighbor the route was learned from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_group_in: Option<Vec<String>>,
    /// Families by name (`ipv4_unicast`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<Vec<String>>,
    /// `igp`, `egp` or `incomplete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_pref: Option<Range>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub med: Option<Range>,
    /// Where the route came from: `injected` (API or config), `ebgp`,
    /// `ibgp`, `reflected` (from a route-reflector client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Vec<String>>,
    /// RPKI origin validation state: `valid`, `invalid`, `not-found`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpki: Option<Vec<String>>,
    /// ASPA path verification state: `valid`, `invalid`, `unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspa: Option<Vec<String>>,
}

impl Conditions {
    /// No condition: the term always matches.
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }
}

/// Actions of a term, applied in this order: communities (replace, then
/// remove, then add, per kind), LOCAL_PREF, MED, AS path prepending, next
/// hop, ORIGIN; then `result`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// Replace all standard communities with these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_communities: Option<Vec<String>>,
    /// Remove every community matching one of these entries (exact,
    /// wildcard or /regex/, as in a community set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_communities: Option<Vec<String>>,
    /// Remove every community matching an entry of this set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_communities_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_communities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_large_communities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_large_communities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_large_communities_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_large_communities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_ext_communities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_ext_communities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_ext_communities_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_ext_communities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_pref: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub med: Option<u32>,
    /// Add to the MED (a missing MED counts 0; saturates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub med_add: Option<u32>,
    /// Subtract from the MED (a missing MED counts 0; stops at 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub med_subtract: Option<u32>,
    /// Prepend our own AS this many times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepend_own: Option<u8>,
    /// Prepend the path's first AS this many times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepend_last: Option<u8>,
    /// `self` (our address on the session), `peer` (the neighbor's
    /// address), `unchanged` (as received, also towards eBGP), or an
    /// address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop: Option<String>,
    /// `igp`, `egp` or `incomplete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// What happens when the term matches (default `next`).
    #[serde(default)]
    pub result: Disposition,
}

/// Policies of one direction attached somewhere, tried in order; when
/// none decides, `default` does (reject unless given).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChainDef {
    pub policies: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Disposition>,
}

/// Everything the policy layer is given: sets and policies by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    #[serde(default)]
    pub sets: DefinedSets,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub definitions: Vec<PolicyDef>,
}
