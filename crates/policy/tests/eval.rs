//! Every condition and action, one test each, through the public API:
//! policies written as an operator writes them (TOML), compiled, run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use rbgp_policy::{
    Aspa, ChainDef, Decided, Evaluator, NextHopAction, Outcome, Policies, PolicyConfig, RouteCtx,
    Rpki, Session, Source, Step,
};
use rbgp_rib::Attrs;
use rbgp_wire::attr::{Community, ExtCommunity, LargeCommunity, Origin};
use rbgp_wire::AfiSafi;

const V4: AfiSafi = AfiSafi::IPV4_UNICAST;

fn compile(text: &str) -> Arc<Policies> {
    let c: PolicyConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    Arc::new(Policies::compile(&c).unwrap_or_else(|e| panic!("{e}\n{text}")))
}

fn session() -> Session {
    Session {
        local_asn: 65000,
        local_address: Some("10.0.0.1".parse().unwrap()),
        peer_address: Some("192.0.2.1".parse().unwrap()),
    }
}

fn evaluator(p: &Arc<Policies>, chain: &[&str]) -> Evaluator {
    let c = p
        .chain(
            &ChainDef {
                policies: chain.iter().map(|s| s.to_string()).collect(),
                default: None,
            },
            "import_policy",
        )
        .unwrap();
    Evaluator::new(Arc::clone(p), c, session())
}

fn attrs(path: &str) -> Attrs {
    Attrs {
        origin: Some(Origin::Igp),
        as_path: path.parse().unwrap(),
        next_hop: Some("192.0.2.1".parse().unwrap()),
        ..Attrs::default()
    }
}

fn route(prefix: &str) -> RouteCtx<'static> {
    RouteCtx::learned(
        V4,
        Some(prefix.parse().unwrap()),
        "192.0.2.1".parse().unwrap(),
        65001,
        Source::Ebgp,
    )
}

fn run(e: &mut Evaluator, r: &RouteCtx<'_>, a: Attrs) -> Outcome {
    e.evaluate(r, &Arc::new(a), &mut |x| Arc::new(x))
}

/// A policy whose one term has `cond` and accepts; nothing else accepts.
fn accepts(sets: &str, cond: &str, r: &RouteCtx<'_>, a: Attrs) -> bool {
    let p = compile(&format!(
        "{sets}\n[[definitions]]\nname = \"p\"\n[[definitions.terms]]\nname = \"t\"\nif = {{ {cond} }}\nthen = {{ result = \"accept\" }}\n"
    ));
    run(&mut evaluator(&p, &["p"]), r, a).accept
}

#[test]
fn prefix_in_and_not_in_with_ranges() {
    let sets = "[sets.prefix]\nbogons = [\"10.0.0.0/8 le 32\", \"192.168.0.0/16 le 32\"]\ncustomer = [\"203.0.113.0/24 le 26\"]";
    let a = || attrs("65001");
    assert!(accepts(
        sets,
        "prefix_in = \"bogons\"",
        &route("10.1.0.0/16"),
        a()
    ));
    assert!(!accepts(
        sets,
        "prefix_in = \"bogons\"",
        &route("11.0.0.0/8"),
        a()
    ));
    assert!(accepts(
        sets,
        "prefix_not_in = \"bogons\"",
        &route("11.0.0.0/8"),
        a()
    ));
    assert!(accepts(
        sets,
        "prefix_in = \"customer\"",
        &route("203.0.113.64/26"),
        a()
    ));
    assert!(!accepts(
        sets,
        "prefix_in = \"customer\"",
        &route("203.0.113.64/27"),
        a()
    ));
    // FlowSpec and other NLRI have no prefix: never in a set.
    let mut flow = route("10.0.0.0/8");
    flow.prefix = None;
    assert!(!accepts(sets, "prefix_in = \"bogons\"", &flow, a()));
    assert!(accepts(sets, "prefix_not_in = \"bogons\"", &flow, a()));
}

#[test]
fn prefix_length() {
    let a = || attrs("65001");
    let c = "prefix_length = { le = 24 }";
    assert!(accepts("", c, &route("10.0.0.0/24"), a()));
    assert!(!accepts("", c, &route("10.0.0.0/25"), a()));
    assert!(accepts(
        "",
        "prefix_length = { ge = 8, lt = 9 }",
        &route("10.0.0.0/8"),
        a()
    ));
}

#[test]
fn as_path_regex_length_origin_first_and_set() {
    let sets =
        "[sets.as_path]\nvia_he = [\"_6939_\"]\n[sets.asn]\ncust = [\"64496-64511\", \"65009\"]";
    let r = route("203.0.113.0/24");
    assert!(accepts(
        sets,
        "as_path_in = \"via_he\"",
        &r,
        attrs("65001 6939 3")
    ));
    assert!(!accepts(
        sets,
        "as_path_in = \"via_he\"",
        &r,
        attrs("65001 16939 3")
    ));
    assert!(accepts(
        sets,
        "as_path_not_in = \"via_he\"",
        &r,
        attrs("65001 3")
    ));
    assert!(accepts(
        sets,
        "as_path_length = { le = 2 }",
        &r,
        attrs("65001 {1,2,3}")
    ));
    assert!(!accepts(
        sets,
        "as_path_length = { le = 2 }",
        &r,
        attrs("65001 2 3")
    ));
    assert!(accepts(
        sets,
        "origin_as_in = \"cust\"",
        &r,
        attrs("65001 64500")
    ));
    assert!(accepts(
        sets,
        "origin_as_not_in = \"cust\"",
        &r,
        attrs("65001 64400")
    ));
    // RFC 6811 §2: a path ending in an AS_SET has no origin AS.
    assert!(!accepts(
        sets,
        "origin_as_in = \"cust\"",
        &r,
        attrs("65001 {64500}")
    ));
    assert!(accepts(
        sets,
        "first_as_is_neighbor = true",
        &r,
        attrs("65001 3")
    ));
    assert!(!accepts(
        sets,
        "first_as_is_neighbor = true",
        &r,
        attrs("65002 3")
    ));
    assert!(accepts(
        sets,
        "first_as_is_neighbor = false",
        &r,
        attrs("65002 3")
    ));
    assert!(accepts(
        sets,
        "as_path_has_set = true",
        &r,
        attrs("65001 {3,4}")
    ));
    assert!(accepts(
        sets,
        "as_path_has_set = false",
        &r,
        attrs("65001 3 4")
    ));
}

#[test]
fn communities_of_each_kind_and_counts() {
    let sets = "[sets.community]\nrs = [\"0:*\", \"65535:0\"]\ntags = [\"65000:1\", \"65000:2\"]\n\
                [sets.large_community]\nl = [\"65000:*:1\"]\n[sets.ext_community]\nrt = [\"rt:65000:*\"]";
    let r = route("203.0.113.0/24");
    let with = |cs: &[&str]| {
        let mut a = attrs("65001");
        a.communities = cs.iter().map(|c| c.parse::<Community>().unwrap()).collect();
        a
    };
    let any = "community = { any_of = \"rs\" }";
    assert!(accepts(sets, any, &r, with(&["0:65002"])));
    assert!(!accepts(sets, any, &r, with(&["1:1"])));
    let all = "community = { all_of = \"tags\" }";
    assert!(accepts(sets, all, &r, with(&["65000:2", "65000:1", "7:7"])));
    assert!(!accepts(sets, all, &r, with(&["65000:2"])));
    let none = "community = { none_of = \"rs\" }";
    assert!(accepts(sets, none, &r, with(&["1:1"])));
    assert!(!accepts(sets, none, &r, with(&["65535:0"])));
    assert!(accepts(
        sets,
        "community_count = { ge = 2 }",
        &r,
        with(&["1:1", "1:2"])
    ));
    assert!(!accepts(
        sets,
        "community_count = { ge = 2 }",
        &r,
        with(&["1:1"])
    ));

    let mut a = attrs("65001");
    a.large_communities = ["65000:7:1".parse::<LargeCommunity>().unwrap()]
        .into_iter()
        .collect();
    a.ext_communities = ["rt:65000:42".parse::<ExtCommunity>().unwrap()]
        .into_iter()
        .collect();
    assert!(accepts(
        sets,
        "large_community = { any_of = \"l\" }",
        &r,
        a.clone()
    ));
    assert!(accepts(
        sets,
        "ext_community = { any_of = \"rt\" }",
        &r,
        a.clone()
    ));
    assert!(accepts(
        sets,
        "large_community_count = { eq = 1 }",
        &r,
        a.clone()
    ));
    assert!(accepts(sets, "ext_community_count = { eq = 1 }", &r, a));
}

#[test]
fn next_hop_neighbor_peer_group_family_origin_lp_med() {
    let sets = "[sets.next_hop]\nixp = [\"192.0.2.0/24\"]\n[sets.neighbor]\nmembers = [\"192.0.2.1\", \"2001:db8::/32\"]";
    let r = route("203.0.113.0/24");
    assert!(accepts(sets, "next_hop_in = \"ixp\"", &r, attrs("65001")));
    let mut far = attrs("65001");
    far.next_hop = Some("198.51.100.1".parse().unwrap());
    assert!(accepts(sets, "next_hop_not_in = \"ixp\"", &r, far));
    assert!(accepts(
        sets,
        "neighbor_in = \"members\"",
        &r,
        attrs("65001")
    ));
    let mut other = r;
    other.neighbor = Some("192.0.2.9".parse().unwrap());
    assert!(accepts(
        sets,
        "neighbor_not_in = \"members\"",
        &other,
        attrs("65001")
    ));
    let mut grouped = r;
    grouped.peer_group = Some("transit");
    assert!(accepts(
        sets,
        "peer_group_in = [\"transit\"]",
        &grouped,
        attrs("65001")
    ));
    assert!(!accepts(
        sets,
        "peer_group_in = [\"transit\"]",
        &r,
        attrs("65001")
    ));
    assert!(accepts(
        sets,
        "family = [\"ipv4_unicast\"]",
        &r,
        attrs("65001")
    ));
    assert!(!accepts(
        sets,
        "family = [\"ipv6_unicast\"]",
        &r,
        attrs("65001")
    ));
    assert!(accepts(sets, "origin = \"igp\"", &r, attrs("65001")));
    assert!(!accepts(
        sets,
        "origin = \"incomplete\"",
        &r,
        attrs("65001")
    ));
    let mut a = attrs("65001");
    a.local_pref = Some(200);
    a.med = Some(10);
    assert!(accepts(sets, "local_pref = { gt = 100 }", &r, a.clone()));
    assert!(accepts(sets, "med = { ne = 5 }", &r, a.clone()));
    assert!(!accepts(sets, "med = { eq = 5 }", &r, a));
    // A missing attribute satisfies no comparison.
    assert!(!accepts(sets, "med = { ge = 0 }", &r, attrs("65001")));
}

#[test]
fn source_rpki_aspa() {
    let r = route("203.0.113.0/24");
    assert!(accepts(
        "",
        "source = [\"ebgp\", \"ibgp\"]",
        &r,
        attrs("65001")
    ));
    assert!(!accepts("", "source = [\"injected\"]", &r, attrs("65001")));
    // Until the RPKI layer fills them: not-found and unknown.
    assert!(accepts("", "rpki = [\"not-found\"]", &r, attrs("65001")));
    assert!(accepts("", "aspa = [\"unknown\"]", &r, attrs("65001")));
    let mut v = r;
    v.rpki = Rpki::Invalid;
    v.aspa = Aspa::Valid;
    assert!(accepts("", "rpki = [\"invalid\"]", &v, attrs("65001")));
    assert!(accepts("", "aspa = [\"valid\"]", &v, attrs("65001")));
    // Only chains that match on a state run again when it changes.
    let p = compile(
        "[[definitions]]\nname = \"rov\"\n[[definitions.terms]]\nname = \"t\"\nif = { rpki = [\"invalid\"] }\nthen = { result = \"reject\" }\n\
         [[definitions]]\nname = \"aspa\"\n[[definitions.terms]]\nname = \"t\"\nif = { aspa = [\"invalid\"] }\nthen = { result = \"reject\" }\n\
         [[definitions]]\nname = \"plain\"\n[[definitions.terms]]\nname = \"t\"\nif = { prefix_length = { gt = 24 } }\nthen = { result = \"reject\" }\n",
    );
    assert!(evaluator(&p, &["plain", "rov"]).uses_validation());
    assert!(evaluator(&p, &["aspa"]).uses_validation());
    assert!(!evaluator(&p, &["plain"]).uses_validation());
}

/// Run one term's actions (accepting) on `a`.
fn act(sets: &str, actions: &str, a: Attrs) -> Outcome {
    let p = compile(&format!(
        "{sets}\n[[definitions]]\nname = \"p\"\n[[definitions.terms]]\nname = \"t\"\nthen = {{ {actions}, result = \"accept\" }}\n"
    ));
    let o = run(&mut evaluator(&p, &["p"]), &route("203.0.113.0/24"), a);
    assert!(o.accept);
    o
}

fn texts<T: ToString>(v: impl IntoIterator<Item = T>) -> Vec<String> {
    v.into_iter().map(|x| x.to_string()).collect()
}

#[test]
fn community_actions() {
    let mut a = attrs("65001");
    a.communities = ["65000:1", "65001:5", "65001:6"]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    let o = act("", "set_communities = [\"1:1\", \"1:2\"]", a.clone());
    assert_eq!(texts(o.attrs.communities.iter()), ["1:1", "1:2"]);
    let o = act("", "remove_communities = [\"65001:*\"]", a.clone());
    assert_eq!(texts(o.attrs.communities.iter()), ["65000:1"]);
    let o = act(
        "[sets.community]\nx = [\"65000:1\"]",
        "remove_communities_in = \"x\"",
        a.clone(),
    );
    assert_eq!(texts(o.attrs.communities.iter()), ["65001:5", "65001:6"]);
    let o = act("", "add_communities = [\"65000:1\", \"9:9\"]", a.clone());
    assert_eq!(
        texts(o.attrs.communities.iter()),
        ["65000:1", "65001:5", "65001:6", "9:9"],
        "no duplicate added"
    );
    let o = act(
        "",
        "set_large_communities = [\"1:2:3\"], add_large_communities = [\"4:5:6\"]",
        a.clone(),
    );
    assert_eq!(texts(o.attrs.large_communities.iter()), ["1:2:3", "4:5:6"]);
    let o = act(
        "",
        "add_ext_communities = [\"rt:65000:1\"], remove_ext_communities = [\"rt:65000:*\"]",
        a,
    );
    // Removal comes before addition within a term.
    assert_eq!(texts(o.attrs.ext_communities.iter()), ["rt:65000:1"]);
}

#[test]
fn attribute_actions() {
    let mut a = attrs("65001 3");
    a.med = Some(10);
    let o = act("", "local_pref = 250", a.clone());
    assert_eq!(o.attrs.local_pref, Some(250));
    let o = act("", "med = 5", a.clone());
    assert_eq!(o.attrs.med, Some(5));
    assert!(o.med_set);
    assert_eq!(act("", "med_add = 7", a.clone()).attrs.med, Some(17));
    assert_eq!(act("", "med_subtract = 70", a.clone()).attrs.med, Some(0));
    let o = act("", "prepend_own = 2", a.clone());
    assert_eq!(o.attrs.as_path.to_string(), "65000 65000 65001 3");
    let o = act("", "prepend_last = 2", a.clone());
    assert_eq!(o.attrs.as_path.to_string(), "65001 65001 65001 3");
    let o = act("", "origin = \"incomplete\"", a.clone());
    assert_eq!(o.attrs.origin, Some(Origin::Incomplete));
    let o = act("", "next_hop = \"self\"", a.clone());
    assert_eq!(o.attrs.next_hop, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(o.next_hop, Some(NextHopAction::SelfAddr));
    let o = act("", "next_hop = \"198.51.100.7\"", a.clone());
    assert_eq!(o.attrs.next_hop, Some("198.51.100.7".parse().unwrap()));
    let o = act("", "next_hop = \"unchanged\"", a.clone());
    assert_eq!(o.attrs.next_hop, a.next_hop);
    assert_eq!(o.next_hop, Some(NextHopAction::Unchanged));
    // Another family's address is not applied.
    let o = act("", "next_hop = \"2001:db8::1\"", a.clone());
    assert_eq!(o.attrs.next_hop, a.next_hop);
    let mut v6 = attrs("65001");
    v6.next_hop = Some("2001:db8::9".parse().unwrap());
    v6.link_local = Some("fe80::9".parse().unwrap());
    let o = act("", "next_hop = \"2001:db8::1\"", v6);
    assert_eq!(o.attrs.next_hop, Some("2001:db8::1".parse().unwrap()));
    assert_eq!(o.attrs.link_local, None, "the old link-local goes too");
    let mut third = a;
    third.next_hop = Some("192.0.2.77".parse().unwrap());
    let o = act("", "next_hop = \"peer\"", third);
    assert_eq!(o.attrs.next_hop, Some("192.0.2.1".parse().unwrap()));
}

const CHAINED: &str = r#"
[sets.prefix]
bogons = ["10.0.0.0/8 le 32"]

[[definitions]]
name = "clean"
[[definitions.terms]]
name = "bogons"
if = { prefix_in = "bogons" }
then = { result = "reject" }
[[definitions.terms]]
name = "tag"
then = { add_communities = ["65000:1"] }

[[definitions]]
name = "prefer"
default = "accept"
[[definitions.terms]]
name = "tagged"
if = { community = { any_of = "mine" } }
then = { local_pref = 300 }

[sets.community]
mine = ["65000:1"]
"#;

#[test]
fn terms_policies_and_chain_defaults() {
    let p = compile(CHAINED);
    let mut e = evaluator(&p, &["clean", "prefer"]);
    let o = run(&mut e, &route("10.1.0.0/16"), attrs("65001"));
    assert!(!o.accept);
    assert_eq!(o.decided, Decided::Term { policy: 2, term: 0 });
    // The second policy sees what the first changed.
    let o = run(&mut e, &route("203.0.113.0/24"), attrs("65001"));
    assert!(o.accept);
    assert_eq!(o.attrs.local_pref, Some(300));
    assert_eq!(o.decided, Decided::Default { policy: 3 });
    // Only the first policy: it never decides, the chain's default
    // (reject) does.
    let mut e = evaluator(&p, &["clean"]);
    let o = run(&mut e, &route("203.0.113.0/24"), attrs("65001"));
    assert!(!o.accept);
    assert_eq!(o.decided, Decided::Chain);
    let c = p
        .chain(
            &ChainDef {
                policies: vec!["clean".into()],
                default: Some(rbgp_policy::Disposition::Accept),
            },
            "x",
        )
        .unwrap();
    let mut e = Evaluator::new(Arc::clone(&p), c, session());
    assert!(run(&mut e, &route("203.0.113.0/24"), attrs("65001")).accept);
    // Built-ins.
    assert!(
        run(
            &mut evaluator(&p, &["accept_all"]),
            &route("10.0.0.0/8"),
            attrs("1")
        )
        .accept
    );
    assert!(
        !run(
            &mut evaluator(&p, &["reject_all"]),
            &route("1.0.0.0/8"),
            attrs("1")
        )
        .accept
    );
    assert_eq!(evaluator(&p, &["accept_all"]).is_fixed(), Some(true));
    assert_eq!(evaluator(&p, &["clean"]).is_fixed(), None);
}

#[test]
fn trace_and_hit_counters() {
    let p = compile(CHAINED);
    let mut e = evaluator(&p, &["clean", "prefer"]);
    let mut trace: Vec<Step> = Vec::new();
    let o = e.evaluate_traced(
        &route("203.0.113.0/24"),
        &Arc::new(attrs("65001")),
        &mut |x| Arc::new(x),
        &mut trace,
    );
    assert!(o.accept);
    let lines: Vec<String> = trace
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {:?} [{}]",
                s.policy,
                s.term.as_deref().unwrap_or("default"),
                s.matched,
                s.result,
                s.changes.join(", ")
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "clean bogons false Reject []",
            "clean tag true Next [communities added [65000:1]]",
            "clean default true Next []",
            "prefer tagged true Next [local_pref 300]",
            "prefer default true Accept []",
        ]
    );
    // Counted in the evaluator, shared once flushed (or dropped).
    assert!(p.hits().iter().all(|h| h.hits == 0));
    e.flush_hits();
    let hits: Vec<(String, String, u64)> = p
        .hits()
        .into_iter()
        .map(|h| (h.policy, h.term, h.hits))
        .collect();
    assert!(hits.contains(&("clean".into(), "tag".into(), 1)));
    assert!(hits.contains(&("clean".into(), "bogons".into(), 0)));
}

#[test]
fn memoised_results_equal_fresh_ones() {
    let p = compile(CHAINED);
    let mut warm = evaluator(&p, &["clean", "prefer"]);
    let shared = Arc::new(attrs("65001"));
    for prefix in [
        "203.0.113.0/24",
        "10.0.0.0/8",
        "198.51.100.0/24",
        "10.9.0.0/16",
    ] {
        let a = warm.evaluate(&route(prefix), &shared, &mut |x| Arc::new(x));
        let b = evaluator(&p, &["clean", "prefer"]).evaluate(
            &route(prefix),
            &Arc::new(attrs("65001")),
            &mut |x| Arc::new(x),
        );
        assert_eq!((a.accept, &*a.attrs), (b.accept, &*b.attrs), "{prefix}");
    }
}

#[test]
fn errors_name_the_field() {
    let bad = |text: &str, want: &str| {
        let c: PolicyConfig = toml::from_str(text).unwrap();
        let e = Policies::compile(&c).unwrap_err().to_string();
        assert!(e.contains(want), "{e:?} should contain {want:?}");
    };
    bad(
        "[[definitions]]\nname = \"p\"\n[[definitions.terms]]\nname = \"t\"\nif = { prefix_in = \"nope\" }",
        "definitions[0] (p).terms[0] (t).if.prefix_in: no prefix set \"nope\"",
    );
    bad("[sets.as_path]\nx = [\"(\"]", "sets.as_path.x[0]");
    bad(
        "[sets.prefix]\nx = [\"10.0.0.0/8\", \"10.0.0.0/8 le 99\"]",
        "sets.prefix.x[1]",
    );
    bad(
        "[[definitions]]\nname = \"accept_all\"",
        "definitions[0] (accept_all).name",
    );
    bad(
        "[[definitions]]\nname = \"p\"\n[[definitions.terms]]\nname = \"t\"\nthen = { add_communities = [\"x\"] }",
        "then.add_communities[0]",
    );
    bad(
        "[[definitions]]\nname = \"p\"\n[[definitions.terms]]\nname = \"t\"\nif = { med = {} }",
        "if.med: give at least one",
    );
    bad(
        "[[definitions]]\nname = \"p\"\n[[definitions.terms]]\nname = \"t\"\n[[definitions.terms]]\nname = \"t\"",
        "terms[1] (t).name",
    );
    let p = compile("");
    let e = p
        .chain(
            &ChainDef {
                policies: vec!["missing".into()],
                default: None,
            },
            "neighbors[0].import_policy",
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "neighbors[0].import_policy[0]: no policy \"missing\""
    );
}
