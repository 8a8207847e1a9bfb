//! Property test: the compiled evaluator (tries, regex sets, memoisation
//! by attribute set) decides exactly as a naive evaluator that reads the
//! definitions directly, entry by entry, on random policies and routes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use rbgp_policy::sets::{as_path, asn, community::Pattern, prefix::PrefixEntry};
use rbgp_policy::{
    Actions, ChainDef, Conditions, Disposition, Evaluator, Policies, PolicyConfig, PolicyDef,
    Range, RouteCtx, Session, SetMatch, Source, TermDef,
};
use rbgp_rib::{Attrs, Interner};
use rbgp_wire::attr::{AsPath, Community, LargeCommunity, Origin, SegmentType};
use rbgp_wire::{AfiSafi, Prefix};

// ---- the naive reference ----

fn set<'a>(m: &'a BTreeMap<String, Vec<String>>, n: &str) -> &'a [String] {
    m.get(n).map(Vec::as_slice).unwrap_or_default()
}

fn prefix_in(cfg: &PolicyConfig, n: &str, p: Option<Prefix>) -> bool {
    p.is_some_and(|p| {
        set(&cfg.sets.prefix, n)
            .iter()
            .any(|e| PrefixEntry::parse(e).unwrap().matches(&p))
    })
}

fn as_path_in(cfg: &PolicyConfig, n: &str, a: &Attrs) -> bool {
    let text = a.as_path.to_string();
    set(&cfg.sets.as_path, n)
        .iter()
        .any(|e| as_path::compile(e).unwrap().is_match(text.as_bytes()))
}

fn asn_in(cfg: &PolicyConfig, n: &str, x: u32) -> bool {
    set(&cfg.sets.asn, n).iter().any(|e| {
        let (a, b) = asn::parse(e).unwrap();
        (a..=b).contains(&x)
    })
}

fn comm_match(cfg: &PolicyConfig, n: &str, m: &str, list: &[Community]) -> bool {
    let pats: Vec<Pattern<Community>> = set(&cfg.sets.community, n)
        .iter()
        .map(|e| Pattern::parse(e).unwrap())
        .collect();
    let hit = |c: &Community| pats.iter().any(|p| p.matches(c));
    match m {
        "any" => list.iter().any(hit),
        "all" => pats.iter().all(|p| list.iter().any(|c| p.matches(c))),
        _ => !list.iter().any(hit),
    }
}

fn holds(cfg: &PolicyConfig, c: &Conditions, r: &RouteCtx<'_>, a: &Attrs) -> bool {
    let mut ok = true;
    if let Some(n) = &c.prefix_in {
        ok &= prefix_in(cfg, n, r.prefix);
    }
    if let Some(n) = &c.prefix_not_in {
        ok &= !prefix_in(cfg, n, r.prefix);
    }
    if let Some(x) = &c.prefix_length {
        ok &= r.prefix.is_some_and(|p| x.holds(u32::from(p.len())));
    }
    if let Some(n) = &c.as_path_in {
        ok &= as_path_in(cfg, n, a);
    }
    if let Some(n) = &c.as_path_not_in {
        ok &= !as_path_in(cfg, n, a);
    }
    if let Some(x) = &c.as_path_length {
        ok &= x.holds(a.as_path.path_len() as u32);
    }
    if let Some(n) = &c.origin_as_in {
        ok &= a.as_path.origin_as().is_some_and(|o| asn_in(cfg, n, o));
    }
    if let Some(b) = c.first_as_is_neighbor {
        ok &= (a.as_path.first_as().is_some() && a.as_path.first_as() == r.neighbor_asn) == b;
    }
    if let Some(b) = c.as_path_has_set {
        ok &= a
            .as_path
            .segments
            .iter()
            .any(|s| s.kind == SegmentType::Set)
            == b;
    }
    if let Some(m) = &c.community {
        for (mode, name) in [("any", &m.any_of), ("all", &m.all_of), ("none", &m.none_of)] {
            if let Some(n) = name {
                ok &= comm_match(cfg, n, mode, &a.communities);
            }
        }
    }
    if let Some(x) = &c.community_count {
        ok &= x.holds(a.communities.len() as u32);
    }
    if let Some(x) = &c.med {
        ok &= a.med.is_some_and(|v| x.holds(v));
    }
    if let Some(x) = &c.local_pref {
        ok &= a.local_pref.is_some_and(|v| x.holds(v));
    }
    ok
}

fn act(cfg: &PolicyConfig, t: &Actions, a: &mut Attrs, local_asn: u32) {
    let add = |list: &mut Vec<Community>, c: Community| {
        if !list.contains(&c) {
            list.push(c);
        }
    };
    let mut cs: Vec<Community> = a.communities.to_vec();
    if let Some(v) = &t.set_communities {
        cs.clear();
        for c in v {
            add(&mut cs, c.parse().unwrap());
        }
    }
    if let Some(v) = &t.remove_communities {
        let pats: Vec<Pattern<Community>> = v.iter().map(|e| Pattern::parse(e).unwrap()).collect();
        cs.retain(|c| !pats.iter().any(|p| p.matches(c)));
    }
    if let Some(n) = &t.remove_communities_in {
        let pats: Vec<Pattern<Community>> = set(&cfg.sets.community, n)
            .iter()
            .map(|e| Pattern::parse(e).unwrap())
            .collect();
        cs.retain(|c| !pats.iter().any(|p| p.matches(c)));
    }
    if let Some(v) = &t.add_communities {
        for c in v {
            add(&mut cs, c.parse().unwrap());
        }
    }
    a.communities = cs.into_iter().collect();
    if let Some(v) = t.local_pref {
        a.local_pref = Some(v);
    }
    if let Some(v) = t.med {
        a.med = Some(v);
    }
    if let Some(v) = t.med_add {
        a.med = Some(a.med.unwrap_or(0).saturating_add(v));
    }
    if let Some(v) = t.med_subtract {
        a.med = Some(a.med.unwrap_or(0).saturating_sub(v));
    }
    if let Some(n) = t.prepend_own {
        for _ in 0..n {
            a.as_path.prepend(local_asn);
        }
    }
    if let Some(n) = t.prepend_last {
        if let Some(f) = a.as_path.first_as() {
            for _ in 0..n {
                a.as_path.prepend(f);
            }
        }
    }
}

fn reference(cfg: &PolicyConfig, chain: &[String], r: &RouteCtx<'_>, a: &Attrs) -> (bool, Attrs) {
    let mut a = a.clone();
    for name in chain {
        let Some(p) = cfg.definitions.iter().find(|d| &d.name == name) else {
            continue;
        };
        for t in &p.terms {
            if !holds(cfg, &t.conditions, r, &a) {
                continue;
            }
            act(cfg, &t.then, &mut a, 65000);
            match t.then.result {
                Disposition::Accept => return (true, a),
                Disposition::Reject => return (false, a),
                Disposition::Next => {}
            }
        }
        match p.default {
            Disposition::Accept => return (true, a),
            Disposition::Reject => return (false, a),
            Disposition::Next => {}
        }
    }
    (false, a)
}

// ---- random policies and routes ----

const PREFIXES: &[&str] = &[
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.0/24",
    "192.0.2.0/24",
    "192.0.2.128/25",
    "203.0.113.0/24",
    "0.0.0.0/0",
];
const PATHS: &[&str] = &[
    "65001",
    "65001 3",
    "65001 6939 3",
    "65002 {3,4}",
    "65001 64500",
    "",
];
const COMMS: &[&str] = &["65000:1", "65000:2", "0:65001", "65535:0", "1:1"];

fn entries(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(pool), 1..4)
        .prop_map(|v| v.into_iter().map(String::from).collect())
}

fn range() -> impl Strategy<Value = Range> {
    (0u32..30, 0u32..4).prop_map(|(v, op)| {
        let mut r = Range::default();
        match op {
            0 => r.le = Some(v),
            1 => r.ge = Some(v),
            2 => r.eq = Some(v),
            _ => r.ne = Some(v),
        }
        r
    })
}

fn opt_name(n: &'static str) -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.25, Just(n.to_string()))
}

fn conditions() -> impl Strategy<Value = Conditions> {
    (
        (
            opt_name("p0"),
            opt_name("p1"),
            prop::option::weighted(0.2, range()),
        ),
        (
            opt_name("a0"),
            opt_name("a1"),
            prop::option::weighted(0.2, range()),
        ),
        (
            opt_name("n0"),
            prop::option::weighted(0.2, any::<bool>()),
            prop::option::weighted(0.2, any::<bool>()),
        ),
        (
            opt_name("c0"),
            opt_name("c1"),
            prop::option::weighted(0.2, range()),
        ),
        (
            prop::option::weighted(0.2, range()),
            prop::option::weighted(0.2, range()),
        ),
    )
        .prop_map(
            |((pi, pn, pl), (ai, an, al), (oi, first, has_set), (cany, call, cc), (med, lp))| {
                Conditions {
                    prefix_in: pi,
                    prefix_not_in: pn,
                    prefix_length: pl,
                    as_path_in: ai,
                    as_path_not_in: an,
                    as_path_length: al,
                    origin_as_in: oi,
                    first_as_is_neighbor: first,
                    as_path_has_set: has_set,
                    community: (cany.is_some() || call.is_some()).then_some(SetMatch {
                        any_of: cany,
                        all_of: call,
                        none_of: None,
                    }),
                    community_count: cc,
                    med,
                    local_pref: lp,
                    ..Conditions::default()
                }
            },
        )
}

fn actions() -> impl Strategy<Value = Actions> {
    (
        prop::option::weighted(0.2, entries(COMMS)),
        prop::option::weighted(0.2, entries(COMMS)),
        prop::option::weighted(0.2, Just("c1".to_string())),
        prop::option::weighted(0.3, entries(COMMS)),
        prop::option::weighted(0.3, 0u32..500),
        (
            prop::option::weighted(0.2, 0u32..50),
            prop::option::weighted(0.2, 0u32..50),
            prop::option::weighted(0.2, 0u32..50),
        ),
        (
            prop::option::weighted(0.2, 1u8..3),
            prop::option::weighted(0.2, 1u8..3),
        ),
        prop::sample::select(&[Disposition::Accept, Disposition::Reject, Disposition::Next][..]),
    )
        .prop_map(
            |(set, rem, rem_in, add, lp, (med, madd, msub), (own, last), result)| Actions {
                set_communities: set,
                remove_communities: rem,
                remove_communities_in: rem_in,
                add_communities: add,
                local_pref: lp,
                med,
                med_add: madd,
                med_subtract: msub,
                prepend_own: own,
                prepend_last: last,
                result,
                ..Actions::default()
            },
        )
}

fn config() -> impl Strategy<Value = PolicyConfig> {
    let term = (conditions(), actions());
    let policy = (
        prop::collection::vec(term, 0..5),
        prop::sample::select(&[Disposition::Accept, Disposition::Reject, Disposition::Next][..]),
    );
    (
        (
            entries(PREFIXES),
            entries(&["10.0.0.0/8 le 24", "192.0.2.0/24 ge 25", "0.0.0.0/0 le 32"]),
        ),
        (
            entries(&[
                "_6939_",
                "^65001_",
                "_3$",
                "^$",
                "[{]",
                "^65001 .* [0-9]+$",
                "_[^ ]+}$",
            ]),
            entries(&["^65002_"]),
        ),
        entries(&["64500", "3-4", "65001"]),
        (entries(&["65000:*", "0:*", "65535:0"]), entries(COMMS)),
        prop::collection::vec(policy, 1..4),
    )
        .prop_map(|((p0, p1), (a0, a1), n0, (c0, c1), policies)| {
            let mut cfg = PolicyConfig::default();
            cfg.sets.prefix.insert("p0".into(), p0);
            cfg.sets.prefix.insert("p1".into(), p1);
            cfg.sets.as_path.insert("a0".into(), a0);
            cfg.sets.as_path.insert("a1".into(), a1);
            cfg.sets.asn.insert("n0".into(), n0);
            cfg.sets.community.insert("c0".into(), c0);
            cfg.sets.community.insert("c1".into(), c1);
            cfg.definitions = policies
                .into_iter()
                .enumerate()
                .map(|(i, (terms, default))| PolicyDef {
                    name: format!("pol{i}"),
                    terms: terms
                        .into_iter()
                        .enumerate()
                        .map(|(j, (conditions, then))| TermDef {
                            name: format!("t{j}"),
                            conditions,
                            then,
                        })
                        .collect(),
                    default,
                })
                .collect();
            cfg
        })
}

fn route_attrs() -> impl Strategy<Value = (usize, usize, Vec<usize>, Option<u32>, Option<u32>)> {
    (
        0..PREFIXES.len(),
        0..PATHS.len(),
        prop::collection::vec(0..COMMS.len(), 0..3),
        prop::option::of(0u32..30),
        prop::option::of(0u32..30),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn compiled_equals_reference(cfg in config(), routes in prop::collection::vec(route_attrs(), 1..30)) {
        let policies = Arc::new(Policies::compile(&cfg).unwrap());
        let names: Vec<String> = cfg.definitions.iter().map(|d| d.name.clone()).collect();
        let chain = policies
            .chain(&ChainDef { policies: names.clone(), default: None }, "chain")
            .unwrap();
        let session = Session { local_asn: 65000, local_address: None, peer_address: None };
        let mut e = Evaluator::new(Arc::clone(&policies), chain, session);
        // Routes share interned sets, as in the RIB: the memo is exercised.
        let mut interner = Interner::new();
        for (p, path, comms, med, lp) in routes {
            let a = Attrs {
                origin: Some(Origin::Igp),
                as_path: PATHS[path].parse::<AsPath>().unwrap(),
                communities: comms.iter().map(|i| COMMS[*i].parse::<Community>().unwrap()).collect(),
                med,
                local_pref: lp,
                ..Attrs::default()
            };
            let r = RouteCtx::learned(
                AfiSafi::IPV4_UNICAST,
                Some(PREFIXES[p].parse().unwrap()),
                "192.0.2.1".parse().unwrap(),
                65001,
                Source::Ebgp,
            );
            let shared = interner.intern(a.clone());
            let got = e.evaluate(&r, &shared, &mut |x| interner.intern(x));
            let (accept, want) = reference(&cfg, &names, &r, &a);
            prop_assert_eq!(got.accept, accept);
            prop_assert_eq!(&*got.attrs, &want);
        }
    }
}

#[test]
fn large_community_values_parse_in_both() {
    // The reference only covers standard communities; large ones share the
    // pattern code, checked here once.
    let p: Pattern<LargeCommunity> = Pattern::parse("65000:*:1").unwrap();
    assert!(p.matches(&"65000:9:1".parse().unwrap()));
}
