//! Definitions compiled for evaluation: set names resolved to indices,
//! texts parsed, each term's conditions split into those that depend on
//! the attributes alone (evaluated once per attribute set and memoised)
//! and those that depend on the route (prefix, neighbor, family, states).

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use rbgp_wire::attr::{Community, ExtCommunity, LargeCommunity, Origin};
use rbgp_wire::AfiSafi;
use rustc_hash::FxHashMap;

use crate::error::PolicyError;
use crate::model::{
    Actions, ChainDef, Conditions, DefinedSets, Disposition, PolicyConfig, PolicyDef, Range,
    SetMatch,
};
use crate::route::{Aspa, Rpki, Source};
use crate::sets::community::{CommunitySet, Kind, Pattern};
use crate::sets::{check_name, Named, Sets};

/// Policies every configuration has: a chain of just one of them accepts
/// or rejects everything (`import_policy = ["accept_all"]` is the one
/// line that turns RFC 8212's default off for a neighbor).
pub const ACCEPT_ALL: &str = "accept_all";
pub const REJECT_ALL: &str = "reject_all";

/// Which communities a condition or action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Any,
    All,
    None,
}

#[derive(Debug, Clone)]
pub(crate) enum AttrCond {
    AsPath { set: usize, want: bool },
    AsPathLen(Range),
    OriginAs { set: usize, want: bool },
    AsPathHasSet(bool),
    Community(Mode, usize),
    LargeCommunity(Mode, usize),
    ExtCommunity(Mode, usize),
    CommunityCount(Range),
    LargeCommunityCount(Range),
    ExtCommunityCount(Range),
    NextHop { set: usize, want: bool },
    Origin(Origin),
    LocalPref(Range),
    Med(Range),
}

#[derive(Debug, Clone)]
pub(crate) enum RouteCond {
    Prefix { set: usize, want: bool },
    PrefixLen(Range),
    FirstAsIsNeighbor(bool),
    Neighbor { set: usize, want: bool },
    PeerGroup(Vec<String>),
    Family(Vec<AfiSafi>),
    Source(Vec<Source>),
    Rpki(Vec<Rpki>),
    Aspa(Vec<Aspa>),
}

/// Communities to remove: listed patterns, or a named set.
#[derive(Debug, Clone)]
pub(crate) enum Remove<K> {
    Patterns(CommunitySet<K>),
    Set(usize),
}

/// What `next_hop` is set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHopAction {
    /// Our address on the session.
    SelfAddr,
    /// The neighbor's address.
    Peer,
    /// As received, also towards eBGP peers.
    Unchanged,
    Addr(IpAddr),
}

#[derive(Debug, Clone)]
pub(crate) enum Act {
    SetCommunities(Vec<Community>),
    RemoveCommunities(Remove<Community>),
    AddCommunities(Vec<Community>),
    SetLarge(Vec<LargeCommunity>),
    RemoveLarge(Remove<LargeCommunity>),
    AddLarge(Vec<LargeCommunity>),
    SetExt(Vec<ExtCommunity>),
    RemoveExt(Remove<ExtCommunity>),
    AddExt(Vec<ExtCommunity>),
    LocalPref(u32),
    Med(u32),
    MedAdd(u32),
    MedSubtract(u32),
    PrependOwn(u8),
    PrependLast(u8),
    NextHop(NextHopAction),
    Origin(Origin),
}

#[derive(Debug)]
pub(crate) struct Term {
    pub name: String,
    pub attr: Vec<AttrCond>,
    pub route: Vec<RouteCond>,
    pub actions: Vec<Act>,
    /// The actions as text, for traces.
    pub changes: Vec<String>,
    pub result: Disposition,
    /// Routes this term matched.
    pub hits: AtomicU64,
}

#[derive(Debug)]
pub(crate) struct Policy {
    pub name: String,
    pub terms: Vec<Term>,
    pub default: Disposition,
}

/// Compiled sets and policies. Shared (`Arc`) by every evaluator; a
/// change compiles a new one.
#[derive(Debug)]
pub struct Policies {
    pub(crate) sets: Sets,
    pub(crate) policies: Vec<Policy>,
    names: FxHashMap<String, usize>,
    /// The definitions compiled (for change fingerprints and set users).
    definitions: Vec<PolicyDef>,
    /// A hash of each set's entries by (kind, name): the entries
    /// themselves are compiled, not kept twice.
    set_hashes: FxHashMap<(&'static str, String), u64>,
}

/// A compiled chain: policy indices, then what happens when none decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub(crate) policies: Vec<usize>,
    /// Accept (true) or reject when no policy decides.
    pub(crate) accept_by_default: bool,
}

/// Hits of one term, for metrics and the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermHits {
    pub policy: String,
    pub term: String,
    pub hits: u64,
}

impl Policies {
    /// Check and compile. Errors name the field
    /// (`definitions[1] (rs-in).terms[2] (tag).if.community.any_of: no community set "x"`).
    pub fn compile(config: &PolicyConfig) -> Result<Policies, PolicyError> {
        let sets = Sets::compile(&config.sets)?;
        let mut p = Policies {
            sets,
            policies: Vec::new(),
            names: FxHashMap::default(),
            definitions: config.definitions.clone(),
            set_hashes: set_hashes(&config.sets),
        };
        for (name, accept) in [(ACCEPT_ALL, true), (REJECT_ALL, false)] {
            p.names.insert(name.to_string(), p.policies.len());
            p.policies.push(Policy {
                name: name.to_string(),
                terms: Vec::new(),
                default: if accept {
                    Disposition::Accept
                } else {
                    Disposition::Reject
                },
            });
        }
        for (i, d) in config.definitions.iter().enumerate() {
            let at = format!("definitions[{i}] ({})", d.name);
            check_name(&format!("{at}.name"), &d.name)?;
            if p.names.contains_key(&d.name) {
                return Err(PolicyError::new(
                    format!("{at}.name"),
                    format!("policy {:?} is defined twice (or is built in)", d.name),
                ));
            }
            let policy = compile_policy(&p.sets, d).map_err(|e| e.within(&at))?;
            p.names.insert(d.name.clone(), p.policies.len());
            p.policies.push(policy);
        }
        Ok(p)
    }

    /// Nothing defined: only the built-in policies.
    pub fn empty() -> Policies {
        // Compiling the empty configuration cannot fail.
        Policies::compile(&PolicyConfig::default()).unwrap_or_else(|_| Policies {
            sets: Sets::default(),
            policies: Vec::new(),
            names: FxHashMap::default(),
            definitions: Vec::new(),
            set_hashes: FxHashMap::default(),
        })
    }

    pub fn has_policy(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// A chain of named policies. `field` names the attachment in errors.
    pub fn chain(&self, def: &ChainDef, field: &str) -> Result<Chain, PolicyError> {
        let mut policies = Vec::with_capacity(def.policies.len());
        for (i, name) in def.policies.iter().enumerate() {
            let ix = self.names.get(name).copied().ok_or_else(|| {
                PolicyError::new(format!("{field}[{i}]"), format!("no policy {name:?}"))
            })?;
            policies.push(ix);
        }
        let accept_by_default = match def.default {
            Some(Disposition::Accept) => true,
            None | Some(Disposition::Reject) => false,
            Some(Disposition::Next) => {
                return Err(PolicyError::new(
                    format!("{field}.default"),
                    "a chain's default is accept or reject",
                ))
            }
        };
        Ok(Chain {
            policies,
            accept_by_default,
        })
    }

    /// A chain that accepts (or rejects) everything.
    pub fn fixed(accept: bool) -> Chain {
        Chain {
            policies: Vec::new(),
            accept_by_default: accept,
        }
    }

    pub(crate) fn policy(&self, i: usize) -> Option<&Policy> {
        self.policies.get(i)
    }

    /// The index of the policy named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.policies.iter().position(|p| p.name == name)
    }

    pub fn policy_name(&self, i: usize) -> &str {
        self.policies.get(i).map_or("?", |p| p.name.as_str())
    }

    pub fn term_name(&self, policy: usize, term: usize) -> &str {
        self.policies
            .get(policy)
            .and_then(|p| p.terms.get(term))
            .map_or("?", |t| t.name.as_str())
    }

    /// Every term's hit count, in definition order.
    pub fn hits(&self) -> Vec<TermHits> {
        self.policies
            .iter()
            .flat_map(|p| {
                p.terms.iter().map(|t| TermHits {
                    policy: p.name.clone(),
                    term: t.name.clone(),
                    hits: t.hits.load(Ordering::Relaxed),
                })
            })
            .collect()
    }

    /// A fingerprint of what a chain means: its policies' definitions and
    /// the entries of every set they name. Equal before and after a
    /// change of definitions: the chain decides as before.
    pub fn fingerprint(&self, def: &ChainDef) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        def.policies.hash(&mut h);
        format!("{:?}", def.default).hash(&mut h);
        for name in &def.policies {
            let Some(d) = self.definitions.iter().find(|d| &d.name == name) else {
                name.hash(&mut h);
                continue;
            };
            format!("{d:?}").hash(&mut h);
            for t in &d.terms {
                for (kind, set) in set_refs(&t.conditions, &t.then) {
                    let entries = self.set_hashes.get(&(kind, set.clone()));
                    (kind, &set, entries).hash(&mut h);
                }
            }
        }
        h.finish()
    }

    /// Policies (by name) that use each set: `(kind, set) -> policies`,
    /// for refusing to delete a set still in use.
    pub fn set_users(&self) -> Vec<((&'static str, String), String)> {
        let mut out = Vec::new();
        for d in &self.definitions {
            for t in &d.terms {
                for (kind, set) in set_refs(&t.conditions, &t.then) {
                    out.push(((kind, set), d.name.clone()));
                }
            }
        }
        out
    }
}

/// A hash of each set's entries, by (kind, name).
fn set_hashes(s: &DefinedSets) -> FxHashMap<(&'static str, String), u64> {
    use std::hash::{Hash, Hasher};
    let mut out = FxHashMap::default();
    for (kind, sets) in s.by_kind() {
        for (name, entries) in sets {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            entries.hash(&mut h);
            out.insert((kind, name.clone()), h.finish());
        }
    }
    out
}

/// The sets a term names, by kind.
fn set_refs(c: &Conditions, a: &Actions) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    let mut add = |kind: &'static str, s: &Option<String>| {
        if let Some(s) = s {
            v.push((kind, s.clone()));
        }
    };
    add("prefix", &c.prefix_in);
    add("prefix", &c.prefix_not_in);
    add("as_path", &c.as_path_in);
    add("as_path", &c.as_path_not_in);
    add("asn", &c.origin_as_in);
    add("asn", &c.origin_as_not_in);
    add("next_hop", &c.next_hop_in);
    add("next_hop", &c.next_hop_not_in);
    add("neighbor", &c.neighbor_in);
    add("neighbor", &c.neighbor_not_in);
    add("community", &a.remove_communities_in);
    add("large_community", &a.remove_large_communities_in);
    add("ext_community", &a.remove_ext_communities_in);
    for (kind, m) in [
        ("community", &c.community),
        ("large_community", &c.large_community),
        ("ext_community", &c.ext_community),
    ] {
        if let Some(m) = m {
            add(kind, &m.any_of);
            add(kind, &m.all_of);
            add(kind, &m.none_of);
        }
    }
    v
}

fn compile_policy(sets: &Sets, d: &PolicyDef) -> Result<Policy, PolicyError> {
    let mut terms = Vec::with_capacity(d.terms.len());
    let mut seen = std::collections::HashSet::new();
    for (i, t) in d.terms.iter().enumerate() {
        let at = format!("terms[{i}] ({})", t.name);
        check_name(&format!("{at}.name"), &t.name)?;
        if !seen.insert(t.name.as_str()) {
            return Err(PolicyError::new(
                format!("{at}.name"),
                format!("term {:?} appears twice", t.name),
            ));
        }
        let (attr, route) =
            conditions(sets, &t.conditions).map_err(|e| e.within(&format!("{at}.if")))?;
        let (actions, changes) =
            actions(sets, &t.then).map_err(|e| e.within(&format!("{at}.then")))?;
        terms.push(Term {
            name: t.name.clone(),
            attr,
            route,
            actions,
            changes,
            result: t.then.result,
            hits: AtomicU64::new(0),
        });
    }
    Ok(Policy {
        name: d.name.clone(),
        terms,
        default: d.default,
    })
}

fn find<T>(named: &Named<T>, kind: &str, field: &str, name: &str) -> Result<usize, PolicyError> {
    named
        .index(name)
        .ok_or_else(|| PolicyError::new(field, format!("no {kind} set {name:?}")))
}

fn names<T: std::str::FromStr<Err = String>>(
    field: &str,
    v: &[String],
) -> Result<Vec<T>, PolicyError> {
    if v.is_empty() {
        return Err(PolicyError::new(field, "an empty list never matches"));
    }
    v.iter()
        .map(|s| s.parse().map_err(|e: String| PolicyError::new(field, e)))
        .collect()
}

fn origin(field: &str, s: &str) -> Result<Origin, PolicyError> {
    match s {
        "igp" => Ok(Origin::Igp),
        "egp" => Ok(Origin::Egp),
        "incomplete" => Ok(Origin::Incomplete),
        _ => Err(PolicyError::new(
            field,
            format!("{s:?}: expected igp, egp or incomplete"),
        )),
    }
}

fn range(field: &str, r: &Range) -> Result<Range, PolicyError> {
    if r.is_empty() {
        return Err(PolicyError::new(
            field,
            "give at least one of eq, ne, lt, le, gt, ge",
        ));
    }
    Ok(*r)
}

fn set_match<K>(
    named: &Named<CommunitySet<K>>,
    kind: &str,
    field: &str,
    m: &SetMatch,
    make: fn(Mode, usize) -> AttrCond,
    out: &mut Vec<AttrCond>,
) -> Result<(), PolicyError> {
    let mut any = false;
    for (mode, key, name) in [
        (Mode::Any, "any_of", &m.any_of),
        (Mode::All, "all_of", &m.all_of),
        (Mode::None, "none_of", &m.none_of),
    ] {
        if let Some(n) = name {
            any = true;
            out.push(make(mode, find(named, kind, &format!("{field}.{key}"), n)?));
        }
    }
    if any {
        Ok(())
    } else {
        Err(PolicyError::new(field, "give any_of, all_of or none_of"))
    }
}

fn conditions(s: &Sets, c: &Conditions) -> Result<(Vec<AttrCond>, Vec<RouteCond>), PolicyError> {
    let mut a = Vec::new();
    let mut r = Vec::new();
    if let Some(n) = &c.prefix_in {
        r.push(RouteCond::Prefix {
            set: find(&s.prefix, "prefix", "prefix_in", n)?,
            want: true,
        });
    }
    if let Some(n) = &c.prefix_not_in {
        r.push(RouteCond::Prefix {
            set: find(&s.prefix, "prefix", "prefix_not_in", n)?,
            want: false,
        });
    }
    if let Some(x) = &c.prefix_length {
        r.push(RouteCond::PrefixLen(range("prefix_length", x)?));
    }
    if let Some(n) = &c.as_path_in {
        a.push(AttrCond::AsPath {
            set: find(&s.as_path, "as_path", "as_path_in", n)?,
            want: true,
        });
    }
    if let Some(n) = &c.as_path_not_in {
        a.push(AttrCond::AsPath {
            set: find(&s.as_path, "as_path", "as_path_not_in", n)?,
            want: false,
        });
    }
    if let Some(x) = &c.as_path_length {
        a.push(AttrCond::AsPathLen(range("as_path_length", x)?));
    }
    if let Some(n) = &c.origin_as_in {
        a.push(AttrCond::OriginAs {
            set: find(&s.asn, "asn", "origin_as_in", n)?,
            want: true,
        });
    }
    if let Some(n) = &c.origin_as_not_in {
        a.push(AttrCond::OriginAs {
            set: find(&s.asn, "asn", "origin_as_not_in", n)?,
            want: false,
        });
    }
    if let Some(b) = c.first_as_is_neighbor {
        r.push(RouteCond::FirstAsIsNeighbor(b));
    }
    if let Some(b) = c.as_path_has_set {
        a.push(AttrCond::AsPathHasSet(b));
    }
    if let Some(m) = &c.community {
        set_match(
            &s.community,
            "community",
            "community",
            m,
            AttrCond::Community,
            &mut a,
        )?;
    }
    if let Some(m) = &c.large_community {
        set_match(
            &s.large_community,
            "large_community",
            "large_community",
            m,
            AttrCond::LargeCommunity,
            &mut a,
        )?;
    }
    if let Some(m) = &c.ext_community {
        set_match(
            &s.ext_community,
            "ext_community",
            "ext_community",
            m,
            AttrCond::ExtCommunity,
            &mut a,
        )?;
    }
    if let Some(x) = &c.community_count {
        a.push(AttrCond::CommunityCount(range("community_count", x)?));
    }
    if let Some(x) = &c.large_community_count {
        a.push(AttrCond::LargeCommunityCount(range(
            "large_community_count",
            x,
        )?));
    }
    if let Some(x) = &c.ext_community_count {
        a.push(AttrCond::ExtCommunityCount(range(
            "ext_community_count",
            x,
        )?));
    }
    if let Some(n) = &c.next_hop_in {
        a.push(AttrCond::NextHop {
            set: find(&s.next_hop, "next_hop", "next_hop_in", n)?,
            want: true,
        });
    }
    if let Some(n) = &c.next_hop_not_in {
        a.push(AttrCond::NextHop {
            set: find(&s.next_hop, "next_hop", "next_hop_not_in", n)?,
            want: false,
        });
    }
    if let Some(n) = &c.neighbor_in {
        r.push(RouteCond::Neighbor {
            set: find(&s.neighbor, "neighbor", "neighbor_in", n)?,
            want: true,
        });
    }
    if let Some(n) = &c.neighbor_not_in {
        r.push(RouteCond::Neighbor {
            set: find(&s.neighbor, "neighbor", "neighbor_not_in", n)?,
            want: false,
        });
    }
    if let Some(g) = &c.peer_group_in {
        if g.is_empty() {
            return Err(PolicyError::new(
                "peer_group_in",
                "an empty list never matches",
            ));
        }
        r.push(RouteCond::PeerGroup(g.clone()));
    }
    if let Some(f) = &c.family {
        let fs = f
            .iter()
            .map(|x| {
                x.parse::<AfiSafi>()
                    .map_err(|e| PolicyError::new("family", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if fs.is_empty() {
            return Err(PolicyError::new("family", "an empty list never matches"));
        }
        r.push(RouteCond::Family(fs));
    }
    if let Some(o) = &c.origin {
        a.push(AttrCond::Origin(origin("origin", o)?));
    }
    if let Some(x) = &c.local_pref {
        a.push(AttrCond::LocalPref(range("local_pref", x)?));
    }
    if let Some(x) = &c.med {
        a.push(AttrCond::Med(range("med", x)?));
    }
    if let Some(v) = &c.source {
        r.push(RouteCond::Source(names("source", v)?));
    }
    if let Some(v) = &c.rpki {
        r.push(RouteCond::Rpki(names("rpki", v)?));
    }
    if let Some(v) = &c.aspa {
        r.push(RouteCond::Aspa(names("aspa", v)?));
    }
    Ok((a, r))
}

/// The set/remove/add actions of one community kind.
struct Kind3<'a> {
    /// In traces: "communities", "large communities"...
    label: &'a str,
    /// The set kind a `remove_*_in` names.
    kind: &'a str,
    /// The key's suffix: `set_{field}`, `remove_{field}`, `add_{field}`.
    field: &'a str,
    set: &'a Option<Vec<String>>,
    remove: &'a Option<Vec<String>>,
    remove_in: &'a Option<String>,
    add: &'a Option<Vec<String>>,
}

type Makers<K> = (fn(Vec<K>) -> Act, fn(Remove<K>) -> Act, fn(Vec<K>) -> Act);

fn kind_actions<K: Kind + std::fmt::Display>(
    named: &Named<CommunitySet<K>>,
    k: Kind3<'_>,
    (set_act, remove_act, add_act): Makers<K>,
    v: &mut Vec<Act>,
    text: &mut Vec<String>,
) -> Result<(), PolicyError> {
    let values = |key: &str, list: &[String]| -> Result<Vec<K>, PolicyError> {
        list.iter()
            .enumerate()
            .map(|(i, s)| {
                K::parse_exact(s).ok_or_else(|| {
                    PolicyError::new(
                        format!("{key}[{i}]"),
                        format!("{s:?} is not one of the {}", k.label),
                    )
                })
            })
            .collect()
    };
    if let Some(list) = k.set {
        let c = values(&format!("set_{}", k.field), list)?;
        text.push(format!("{} set to [{}]", k.label, join(&c)));
        v.push(set_act(c));
    }
    if let Some(list) = k.remove {
        let key = format!("remove_{}", k.field);
        let patterns = list
            .iter()
            .enumerate()
            .map(|(i, p)| Pattern::parse(p).map_err(|e| PolicyError::new(format!("{key}[{i}]"), e)))
            .collect::<Result<Vec<_>, _>>()?;
        text.push(format!("{} removed matching [{}]", k.label, list.join(" ")));
        v.push(remove_act(Remove::Patterns(CommunitySet::new(patterns))));
    }
    if let Some(n) = k.remove_in {
        let key = format!("remove_{}_in", k.field);
        let set = find(named, k.kind, &key, n)?;
        text.push(format!("{} removed matching set {n}", k.label));
        v.push(remove_act(Remove::Set(set)));
    }
    if let Some(list) = k.add {
        let c = values(&format!("add_{}", k.field), list)?;
        text.push(format!("{} added [{}]", k.label, join(&c)));
        v.push(add_act(c));
    }
    Ok(())
}

fn join<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn actions(s: &Sets, a: &Actions) -> Result<(Vec<Act>, Vec<String>), PolicyError> {
    let mut v = Vec::new();
    let mut text = Vec::new();
    kind_actions(
        &s.community,
        Kind3 {
            label: "communities",
            kind: "community",
            field: "communities",
            set: &a.set_communities,
            remove: &a.remove_communities,
            remove_in: &a.remove_communities_in,
            add: &a.add_communities,
        },
        (
            Act::SetCommunities,
            Act::RemoveCommunities,
            Act::AddCommunities,
        ),
        &mut v,
        &mut text,
    )?;
    kind_actions(
        &s.large_community,
        Kind3 {
            label: "large communities",
            kind: "large_community",
            field: "large_communities",
            set: &a.set_large_communities,
            remove: &a.remove_large_communities,
            remove_in: &a.remove_large_communities_in,
            add: &a.add_large_communities,
        },
        (Act::SetLarge, Act::RemoveLarge, Act::AddLarge),
        &mut v,
        &mut text,
    )?;
    kind_actions(
        &s.ext_community,
        Kind3 {
            label: "extended communities",
            kind: "ext_community",
            field: "ext_communities",
            set: &a.set_ext_communities,
            remove: &a.remove_ext_communities,
            remove_in: &a.remove_ext_communities_in,
            add: &a.add_ext_communities,
        },
        (Act::SetExt, Act::RemoveExt, Act::AddExt),
        &mut v,
        &mut text,
    )?;
    if let Some(x) = a.local_pref {
        text.push(format!("local_pref {x}"));
        v.push(Act::LocalPref(x));
    }
    if let Some(x) = a.med {
        text.push(format!("med {x}"));
        v.push(Act::Med(x));
    }
    if let Some(x) = a.med_add {
        text.push(format!("med +{x}"));
        v.push(Act::MedAdd(x));
    }
    if let Some(x) = a.med_subtract {
        text.push(format!("med -{x}"));
        v.push(Act::MedSubtract(x));
    }
    if let Some(n) = a.prepend_own {
        if n == 0 {
            return Err(PolicyError::new("prepend_own", "prepend at least once"));
        }
        text.push(format!("own AS prepended {n} times"));
        v.push(Act::PrependOwn(n));
    }
    if let Some(n) = a.prepend_last {
        if n == 0 {
            return Err(PolicyError::new("prepend_last", "prepend at least once"));
        }
        text.push(format!("first AS prepended {n} times"));
        v.push(Act::PrependLast(n));
    }
    if let Some(nh) = &a.next_hop {
        let act = match nh.as_str() {
            "self" => NextHopAction::SelfAddr,
            "peer" => NextHopAction::Peer,
            "unchanged" => NextHopAction::Unchanged,
            x => NextHopAction::Addr(x.parse().map_err(|_| {
                PolicyError::new(
                    "next_hop",
                    format!("{x:?}: expected self, peer, unchanged or an address"),
                )
            })?),
        };
        text.push(format!("next hop {nh}"));
        v.push(Act::NextHop(act));
    }
    if let Some(o) = &a.origin {
        text.push(format!("origin {o}"));
        v.push(Act::Origin(origin("origin", o)?));
    }
    Ok((v, text))
}
