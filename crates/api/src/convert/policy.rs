//! PolicyService messages <-> rbgp-policy's definitions. Texts inside
//! (prefixes, patterns, names) are checked when the whole policy is
//! compiled with the configuration, which names the field; here only the
//! shape is checked.

use rbgp_policy::{
    Actions, ChainDef, Conditions, DefinedSets, Disposition, PolicyDef, Range, SetMatch, TermDef,
};

use crate::error::FieldError;
use crate::v1;

/// The kinds of set, by the name `[policy.sets.NAME]` uses.
pub fn kind_name(k: v1::SetKind) -> Option<&'static str> {
    use v1::SetKind as K;
    Some(match k {
        K::Unspecified => return None,
        K::Prefix => "prefix",
        K::AsPath => "as_path",
        K::Asn => "asn",
        K::Community => "community",
        K::LargeCommunity => "large_community",
        K::ExtCommunity => "ext_community",
        K::Neighbor => "neighbor",
        K::NextHop => "next_hop",
    })
}

/// The kind from its wire value, refusing unknown or unset ones.
pub fn kind_from_proto(k: i32, field: &str) -> Result<v1::SetKind, FieldError> {
    v1::SetKind::try_from(k)
        .ok()
        .filter(|k| *k != v1::SetKind::Unspecified)
        .ok_or_else(|| FieldError::new(field, "a set kind is required (prefix, as_path, asn, ...)"))
}

/// The map of one kind in the definitions.
pub fn sets_of(
    sets: &mut DefinedSets,
    k: v1::SetKind,
) -> Option<&mut std::collections::BTreeMap<String, Vec<String>>> {
    use v1::SetKind as K;
    Some(match k {
        K::Unspecified => return None,
        K::Prefix => &mut sets.prefix,
        K::AsPath => &mut sets.as_path,
        K::Asn => &mut sets.asn,
        K::Community => &mut sets.community,
        K::LargeCommunity => &mut sets.large_community,
        K::ExtCommunity => &mut sets.ext_community,
        K::Neighbor => &mut sets.neighbor,
        K::NextHop => &mut sets.next_hop,
    })
}

/// Whether the definitions have a set of this kind and name.
pub fn has_set(sets: &DefinedSets, k: v1::SetKind, name: &str) -> bool {
    let mut s = sets.clone();
    sets_of(&mut s, k).is_some_and(|m| m.contains_key(name))
}

/// Every set of the definitions as messages.
pub fn sets_to_proto(
    sets: &DefinedSets,
    from_file: impl Fn(&str, &str) -> bool,
) -> Vec<v1::DefinedSet> {
    use v1::SetKind as K;
    let mut out = Vec::new();
    for (kind, map) in [
        (K::Prefix, &sets.prefix),
        (K::AsPath, &sets.as_path),
        (K::Asn, &sets.asn),
        (K::Community, &sets.community),
        (K::LargeCommunity, &sets.large_community),
        (K::ExtCommunity, &sets.ext_community),
        (K::Neighbor, &sets.neighbor),
        (K::NextHop, &sets.next_hop),
    ] {
        let kn = kind_name(kind).unwrap_or_default();
        for (name, entries) in map {
            out.push(v1::DefinedSet {
                kind: kind as i32,
                name: name.clone(),
                entries: entries.clone(),
                from_file: from_file(kn, name),
            });
        }
    }
    out
}

fn disposition_from_proto(d: i32, field: &str) -> Result<Disposition, FieldError> {
    match v1::Disposition::try_from(d) {
        Ok(v1::Disposition::Next) => Ok(Disposition::Next),
        Ok(v1::Disposition::Accept) => Ok(Disposition::Accept),
        Ok(v1::Disposition::Reject) => Ok(Disposition::Reject),
        Err(_) => Err(FieldError::new(field, format!("unknown disposition {d}"))),
    }
}

pub fn disposition_to_proto(d: Disposition) -> i32 {
    match d {
        Disposition::Next => v1::Disposition::Next as i32,
        Disposition::Accept => v1::Disposition::Accept as i32,
        Disposition::Reject => v1::Disposition::Reject as i32,
    }
}

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn list(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn range(r: &Option<v1::Range>) -> Option<Range> {
    r.as_ref().map(|r| Range {
        eq: r.eq,
        ne: r.ne,
        lt: r.lt,
        le: r.le,
        gt: r.gt,
        ge: r.ge,
    })
}

fn range_to(r: &Option<Range>) -> Option<v1::Range> {
    r.as_ref().map(|r| v1::Range {
        eq: r.eq,
        ne: r.ne,
        lt: r.lt,
        le: r.le,
        gt: r.gt,
        ge: r.ge,
    })
}

fn set_match(m: &Option<v1::SetMatch>) -> Option<SetMatch> {
    m.as_ref().map(|m| SetMatch {
        any_of: some(&m.any_of),
        all_of: some(&m.all_of),
        none_of: some(&m.none_of),
    })
}

fn set_match_to(m: &Option<SetMatch>) -> Option<v1::SetMatch> {
    m.as_ref().map(|m| v1::SetMatch {
        any_of: m.any_of.clone().unwrap_or_default(),
        all_of: m.all_of.clone().unwrap_or_default(),
        none_of: m.none_of.clone().unwrap_or_default(),
    })
}

fn u8_field(v: Option<u32>, field: &str) -> Result<Option<u8>, FieldError> {
    v.map(|x| u8::try_from(x).map_err(|_| FieldError::new(field, "at most 255")))
        .transpose()
}

pub fn conditions_from_proto(c: &v1::Conditions) -> Conditions {
    Conditions {
        prefix_in: some(&c.prefix_in),
        prefix_not_in: some(&c.prefix_not_in),
        prefix_length: range(&c.prefix_length),
        as_path_in: some(&c.as_path_in),
        as_path_not_in: some(&c.as_path_not_in),
        as_path_length: range(&c.as_path_length),
        origin_as_in: some(&c.origin_as_in),
        origin_as_not_in: some(&c.origin_as_not_in),
        first_as_is_neighbor: c.first_as_is_neighbor,
        as_path_has_set: c.as_path_has_set,
        community: set_match(&c.community),
        large_community: set_match(&c.large_community),
        ext_community: set_match(&c.ext_community),
        community_count: range(&c.community_count),
        large_community_count: range(&c.large_community_count),
        ext_community_count: range(&c.ext_community_count),
        next_hop_in: some(&c.next_hop_in),
        next_hop_not_in: some(&c.next_hop_not_in),
        neighbor_in: some(&c.neighbor_in),
        neighbor_not_in: some(&c.neighbor_not_in),
        peer_group_in: list(&c.peer_group_in),
        family: list(&c.family),
        origin: some(&c.origin),
        local_pref: range(&c.local_pref),
        med: range(&c.med),
        source: list(&c.source),
        rpki: list(&c.rpki),
        aspa: list(&c.aspa),
    }
}

pub fn conditions_to_proto(c: &Conditions) -> v1::Conditions {
    let s = |x: &Option<String>| x.clone().unwrap_or_default();
    let l = |x: &Option<Vec<String>>| x.clone().unwrap_or_default();
    v1::Conditions {
        prefix_in: s(&c.prefix_in),
        prefix_not_in: s(&c.prefix_not_in),
        prefix_length: range_to(&c.prefix_length),
        as_path_in: s(&c.as_path_in),
        as_path_not_in: s(&c.as_path_not_in),
        as_path_length: range_to(&c.as_path_length),
        origin_as_in: s(&c.origin_as_in),
        origin_as_not_in: s(&c.origin_as_not_in),
        first_as_is_neighbor: c.first_as_is_neighbor,
        as_path_has_set: c.as_path_has_set,
        community: set_match_to(&c.community),
        large_community: set_match_to(&c.large_community),
        ext_community: set_match_to(&c.ext_community),
        community_count: range_to(&c.community_count),
        large_community_count: range_to(&c.large_community_count),
        ext_community_count: range_to(&c.ext_community_count),
        next_hop_in: s(&c.next_hop_in),
        next_hop_not_in: s(&c.next_hop_not_in),
        neighbor_in: s(&c.neighbor_in),
        neighbor_not_in: s(&c.neighbor_not_in),
        peer_group_in: l(&c.peer_group_in),
        family: l(&c.family),
        origin: s(&c.origin),
        local_pref: range_to(&c.local_pref),
        med: range_to(&c.med),
        source: l(&c.source),
        rpki: l(&c.rpki),
        aspa: l(&c.aspa),
    }
}

pub fn actions_from_proto(a: &v1::Actions) -> Result<Actions, FieldError> {
    let set = |x: &Option<v1::Strings>| x.as_ref().map(|s| s.values.clone());
    Ok(Actions {
        set_communities: set(&a.set_communities),
        remove_communities: list(&a.remove_communities),
        remove_communities_in: some(&a.remove_communities_in),
        add_communities: list(&a.add_communities),
        set_large_communities: set(&a.set_large_communities),
        remove_large_communities: list(&a.remove_large_communities),
        remove_large_communities_in: some(&a.remove_large_communities_in),
        add_large_communities: list(&a.add_large_communities),
        set_ext_communities: set(&a.set_ext_communities),
        remove_ext_communities: list(&a.remove_ext_communities),
        remove_ext_communities_in: some(&a.remove_ext_communities_in),
        add_ext_communities: list(&a.add_ext_communities),
        local_pref: a.local_pref,
        med: a.med,
        med_add: a.med_add,
        med_subtract: a.med_subtract,
        prepend_own: u8_field(a.prepend_own, "prepend_own")?,
        prepend_last: u8_field(a.prepend_last, "prepend_last")?,
        next_hop: some(&a.next_hop),
        origin: some(&a.origin),
        result: disposition_from_proto(a.result, "result")?,
    })
}

pub fn actions_to_proto(a: &Actions) -> v1::Actions {
    let set = |x: &Option<Vec<String>>| x.as_ref().map(|v| v1::Strings { values: v.clone() });
    let l = |x: &Option<Vec<String>>| x.clone().unwrap_or_default();
    let s = |x: &Option<String>| x.clone().unwrap_or_default();
    v1::Actions {
        set_communities: set(&a.set_communities),
        remove_communities: l(&a.remove_communities),
        remove_communities_in: s(&a.remove_communities_in),
        add_communities: l(&a.add_communities),
        set_large_communities: set(&a.set_large_communities),
        remove_large_communities: l(&a.remove_large_communities),
        remove_large_communities_in: s(&a.remove_large_communities_in),
        add_large_communities: l(&a.add_large_communities),
        set_ext_communities: set(&a.set_ext_communities),
        remove_ext_communities: l(&a.remove_ext_communities),
        remove_ext_communities_in: s(&a.remove_ext_communities_in),
        add_ext_communities: l(&a.add_ext_communities),
        local_pref: a.local_pref,
        med: a.med,
        med_add: a.med_add,
        med_subtract: a.med_subtract,
        prepend_own: a.prepend_own.map(u32::from),
        prepend_last: a.prepend_last.map(u32::from),
        next_hop: s(&a.next_hop),
        origin: s(&a.origin),
        result: disposition_to_proto(a.result),
    }
}

pub fn policy_from_proto(p: &v1::Policy) -> Result<PolicyDef, FieldError> {
    if p.name.is_empty() {
        return Err(FieldError::new("name", "required"));
    }
    let terms =
        p.terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = format!("terms[{i}]");
                Ok(TermDef {
                    name: t.name.clone(),
                    conditions: t
                        .conditions
                        .as_ref()
                        .map(conditions_from_proto)
                        .unwrap_or_default(),
                    then: match &t.actions {
                        Some(a) => actions_from_proto(a)
                            .map_err(|e| e.in_field(&format!("{at}.actions")))?,
                        None => Actions::default(),
                    },
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
    Ok(PolicyDef {
        name: p.name.clone(),
        terms,
        default: disposition_from_proto(p.default, "default")?,
    })
}

/// A policy as a message; `hits` gives each term's count.
pub fn policy_to_proto(p: &PolicyDef, from_file: bool, hits: impl Fn(&str) -> u64) -> v1::Policy {
    v1::Policy {
        name: p.name.clone(),
        terms: p
            .terms
            .iter()
            .map(|t| v1::Term {
                name: t.name.clone(),
                conditions: Some(conditions_to_proto(&t.conditions)),
                actions: Some(actions_to_proto(&t.then)),
                hits: hits(&t.name),
            })
            .collect(),
        default: disposition_to_proto(p.default),
        from_file,
    }
}

/// The chain of an attachment (`None`: detach).
pub fn chain_from_proto(a: &v1::Attachment) -> Result<Option<ChainDef>, FieldError> {
    if a.policies.is_empty() {
        return Ok(None);
    }
    let default = match disposition_from_proto(a.default, "default")? {
        Disposition::Next => None,
        d => Some(d),
    };
    Ok(Some(ChainDef {
        policies: a.policies.clone(),
        default,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_round_trips() {
        let text = r#"
name = "p"
default = "accept"
[[terms]]
name = "t"
if = { prefix_in = "x", community = { any_of = "c" }, med = { ge = 3 }, family = ["ipv4_unicast"], first_as_is_neighbor = false }
then = { set_communities = [], add_communities = ["1:1"], prepend_own = 2, next_hop = "self", result = "reject" }
"#;
        let def: PolicyDef = toml::from_str(text).unwrap();
        let back = policy_from_proto(&policy_to_proto(&def, false, |_| 0)).unwrap();
        assert_eq!(back, def);
        assert_eq!(
            back.terms[0].then.set_communities,
            Some(Vec::new()),
            "empty set kept"
        );
        let mut bad = policy_to_proto(&def, false, |_| 0);
        bad.terms[0].actions.as_mut().unwrap().prepend_own = Some(300);
        assert_eq!(
            policy_from_proto(&bad).unwrap_err().field,
            "terms[0].actions.prepend_own"
        );
        bad.name.clear();
        assert_eq!(policy_from_proto(&bad).unwrap_err().field, "name");
    }
}
