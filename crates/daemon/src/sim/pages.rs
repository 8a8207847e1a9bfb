//! Tables read page by page (the looking glass): pages add up to the
//! whole table whatever their size, attribute conditions are applied in
//! the RIB task, the not-exported table lists what export policy kept
//! back, and best paths are counted per peer.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use rbgp_wire::attr::Community;

use super::harness::{attrs, Sim, V4};
use crate::control::{AttrMatch, LocalRoute, PrefixMatch, RibQuery, RouteEntry, Table};

const POLICY: &str = r#"
[policy.sets.prefix]
kept_back = ["203.0.113.0/24 le 32"]

[[policy.definitions]]
name = "out"
default = "accept"
[[policy.definitions.terms]]
name = "hold"
if = { prefix_in = "kept_back" }
then = { result = "reject" }
"#;

fn key(e: &RouteEntry) -> (String, String) {
    (e.nlri.to_string(), format!("{:?}", e.source))
}

async fn all_pages(sim: &Sim, q: &RibQuery, keep: &[AttrMatch], limit: usize) -> Vec<RouteEntry> {
    let mut out = Vec::new();
    let mut from = 0;
    loop {
        let p = sim.page(q.clone(), keep.to_vec(), from, limit).await;
        // At most `limit` entries; more only as one route's paths, which
        // are never split across pages.
        assert!(
            p.routes.len() <= limit || p.routes.iter().all(|e| e.nlri == p.routes[0].nlri),
            "a page of {} entries for a limit of {limit}",
            p.routes.len()
        );
        out.extend(p.routes);
        match p.next {
            Some(n) => {
                assert!(n > from, "pages move forward");
                from = n;
            }
            None => return out,
        }
    }
}

#[tokio::test]
async fn pages_add_up_to_the_table_and_filter_in_the_rib_task() {
    let mut sim = Sim::with_policy(Vec::new(), "", POLICY);
    let neighbor = |asn: u32| {
        format!("remote_asn = {asn}\nimport_policy = [\"accept_all\"]\nexport_policy = [\"out\"]")
    };
    sim.up("192.0.2.1", &neighbor(65001)).await;
    sim.up("192.0.2.2", &neighbor(65002)).await;
    let prefixes: Vec<String> = (0..200).map(|i| format!("100.64.{i}.0/24")).collect();
    let refs: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    let mut a1 = attrs("65001 65010", "192.0.2.1");
    a1.communities.push("65001:7".parse::<Community>().unwrap());
    sim.announce("192.0.2.1", V4, &refs, &a1).await;
    // The same 50 from the second peer, with a longer path: not best.
    sim.announce(
        "192.0.2.2",
        V4,
        &refs[..50],
        &attrs("65002 65020 65030", "192.0.2.2"),
    )
    .await;
    sim.inject(vec![LocalRoute {
        family: V4,
        nlri: rbgp_wire::Nlri::Prefix("203.0.113.0/24".parse().unwrap()),
        path_id: 0,
        attrs: attrs("", "10.0.0.1"),
    }])
    .await;

    let loc = RibQuery {
        table: Table::Loc,
        family: None,
        prefix: PrefixMatch::All,
    };
    let whole: BTreeSet<_> = sim.query(loc.clone()).await.iter().map(key).collect();
    assert_eq!(whole.len(), 251);
    for limit in [1, 7, 100, 10_000] {
        let paged = all_pages(&sim, &loc, &[], limit).await;
        let set: BTreeSet<_> = paged.iter().map(key).collect();
        assert_eq!(set.len(), paged.len(), "no path twice (limit {limit})");
        assert_eq!(set, whole, "limit {limit}");
    }

    // Conditions: origin AS, community; the first peer's routes only.
    let origin = all_pages(&sim, &loc, &[AttrMatch::OriginAs(65010)], 13).await;
    assert_eq!(origin.len(), 200);
    let tagged = [AttrMatch::Community("65001:7".parse().unwrap())];
    assert_eq!(all_pages(&sim, &loc, &tagged, 13).await.len(), 200);
    let none = [
        AttrMatch::OriginAs(65030),
        AttrMatch::Community("65001:7".parse().unwrap()),
    ];
    assert!(all_pages(&sim, &loc, &none, 13).await.is_empty());
    // An exact prefix is looked up: both paths, one best.
    let exact = RibQuery {
        prefix: PrefixMatch::Exact("100.64.3.0/24".parse().unwrap()),
        ..loc.clone()
    };
    let p = sim.page(exact, Vec::new(), 0, 10).await;
    assert_eq!(p.routes.len(), 2);
    assert_eq!(p.routes.iter().filter(|e| e.best).count(), 1);
    assert!(p.next.is_none());

    // Not exported to the second peer: the injected route its export
    // policy holds back. Its own routes that lost are not "not exported"
    // (they are not best), the first peer's best ones were sent.
    let not_exp = RibQuery {
        table: Table::NotExported("192.0.2.2".parse().unwrap()),
        ..loc.clone()
    };
    let held = all_pages(&sim, &not_exp, &[], 5).await;
    let nets: Vec<String> = held.iter().map(|e| e.nlri.to_string()).collect();
    assert_eq!(nets, ["203.0.113.0/24"]);
    assert_eq!(
        sim.query(not_exp).await.len(),
        1,
        "the unpaged query agrees"
    );

    let best = sim.best_counts().await;
    assert_eq!(best[&"192.0.2.1".parse().unwrap()], 200);
    assert!(!best.contains_key(&"192.0.2.2".parse().unwrap()));
    sim.stop();
}
