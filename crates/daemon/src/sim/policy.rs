//! User policy in the RIB task: RFC 8212 defaults, import and export
//! chains, filtered routes with their reasons, and policy changes applied
//! without a session reset.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use rbgp_wire::attr::Community;

use super::harness::{attrs, Signal, Sim, V4};
use crate::control::{LocalRoute, PrefixMatch, RibQuery, Table};

const BOGONS: &str = r#"
[policy.sets.prefix]
bogons = ["10.0.0.0/8 le 32", "192.168.0.0/16 le 32"]

[policy.sets.community]
tagged = ["65000:1"]

[[policy.definitions]]
name = "clean"
[[policy.definitions.terms]]
name = "bogons"
if = { prefix_in = "bogons" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "tag"
then = { add_communities = ["65000:1"], local_pref = 200, result = "accept" }

[[policy.definitions]]
name = "prepend"
[[policy.definitions.terms]]
name = "twice"
then = { prepend_own = 2, med = 7, result = "accept" }
"#;

fn c(s: &str) -> Community {
    s.parse().unwrap()
}

/// The routes import rejected from `addr`, with their reasons.
async fn filtered(sim: &Sim, addr: &str) -> Vec<crate::control::RouteEntry> {
    sim.query(RibQuery {
        table: Table::Filtered(addr.parse().unwrap()),
        family: None,
        prefix: PrefixMatch::All,
    })
    .await
}

#[tokio::test]
async fn rfc8212_ebgp_without_policy_accepts_and_sends_nothing() {
    let mut sim = Sim::with_policy(Vec::new(), "", "");
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.up("10.0.0.3", "remote_asn = 65000").await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    assert_eq!(
        sim.counts("192.0.2.1").await,
        (1, 0),
        "received, not accepted"
    );
    // iBGP: no default applies; it sends and receives everything.
    sim.announce(
        "10.0.0.3",
        V4,
        &["198.51.100.0/24"],
        &attrs("65009", "10.0.0.3"),
    )
    .await;
    assert_eq!(sim.counts("10.0.0.3").await, (1, 1));
    assert!(
        sim.peer("192.0.2.2").table.is_empty(),
        "nothing sent to eBGP without an export policy"
    );
    let route = LocalRoute {
        family: V4,
        nlri: rbgp_wire::Nlri::Prefix("192.0.2.128/25".parse().unwrap()),
        path_id: 0,
        attrs: attrs("", "10.0.0.1"),
    };
    sim.inject(vec![route]).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    assert_eq!(
        sim.peer("10.0.0.3").prefixes(V4),
        vec!["192.0.2.128/25"],
        "iBGP gets the injected route"
    );
    sim.stop();
}

#[tokio::test]
async fn import_chain_rejects_tags_and_keeps_filtered_routes_with_the_reason() {
    let mut sim = Sim::with_policy(Vec::new(), "", BOGONS);
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nimport_policy = [\"clean\"]\nkeep_filtered = true",
    )
    .await;
    sim.up("10.0.0.3", "remote_asn = 65000").await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["10.1.0.0/16", "203.0.113.0/24"], &a)
        .await;
    let got = sim.peer("10.0.0.3").route(V4, "203.0.113.0/24").unwrap();
    assert_eq!(got.local_pref, Some(200));
    assert!(got.has_community(c("65000:1")));
    assert!(sim.peer("10.0.0.3").route(V4, "10.1.0.0/16").is_none());
    assert_eq!(sim.counts("192.0.2.1").await, (2, 1));
    let filtered = filtered(&sim, "192.0.2.1").await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].nlri.to_string(), "10.1.0.0/16");
    assert_eq!(
        filtered[0].reason.as_deref(),
        Some("policy clean term bogons")
    );
    assert_eq!(
        filtered[0].attrs.as_path.to_string(),
        "65001",
        "as received"
    );
    // Withdrawn: gone from the filtered table too.
    sim.withdraw("192.0.2.1", V4, &["10.1.0.0/16"]).await;
    assert_eq!(sim.counts("192.0.2.1").await, (1, 1));
    sim.stop();
}

#[tokio::test]
async fn export_chain_changes_what_one_neighbor_gets() {
    let mut sim = Sim::with_policy(
        Vec::new(),
        "import_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]",
        BOGONS,
    );
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up(
        "192.0.2.2",
        "remote_asn = 65002\nexport_policy = [\"prepend\"]",
    )
    .await;
    sim.up("192.0.2.3", "remote_asn = 65003").await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    let b = sim.peer("192.0.2.2").route(V4, "203.0.113.0/24").unwrap();
    // Policy prepends twice, eBGP export once more; the MED the policy set
    // survives the rules (which drop another AS's MED towards eBGP).
    assert_eq!(b.as_path.to_string(), "65000 65000 65000 65001");
    assert_eq!(b.med, Some(7));
    let plain = sim.peer("192.0.2.3").route(V4, "203.0.113.0/24").unwrap();
    assert_eq!(plain.as_path.to_string(), "65000 65001");
    assert_eq!(plain.med, None);
    sim.stop();
}

const RS: &str = r#"
[policy.sets.prefix]
as65001 = ["203.0.113.0/24 le 24", "198.51.100.0/24"]

[policy.sets.community]
not_to_65002 = ["0:65002"]
not_to_anyone = ["0:65000"]

[[policy.definitions]]
name = "rs-in-65001"
[[policy.definitions.terms]]
name = "first-as"
if = { first_as_is_neighbor = false }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "irr"
if = { prefix_in = "as65001" }
then = { result = "accept" }

[[policy.definitions]]
name = "rs-out-65002"
default = "accept"
[[policy.definitions.terms]]
name = "blocked"
if = { community = { any_of = "not_to_65002" } }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "none"
if = { community = { any_of = "not_to_anyone" } }
then = { result = "reject" }
"#;

#[tokio::test]
async fn route_server_per_client_import_and_community_driven_export() {
    let rs =
        |asn: u32, more: &str| format!("remote_asn = {asn}\nroute_server_client = true\n{more}");
    let mut sim = Sim::with_policy(Vec::new(), "export_policy = [\"accept_all\"]", RS);
    sim.up("192.0.2.1", &rs(65001, "import_policy = [\"rs-in-65001\"]"))
        .await;
    sim.up(
        "192.0.2.2",
        &rs(
            65002,
            "import_policy = [\"reject_all\"]\nexport_policy = [\"rs-out-65002\"]",
        ),
    )
    .await;
    sim.up("192.0.2.3", &rs(65003, "import_policy = [\"reject_all\"]"))
        .await;
    let mut no_b = attrs("65001", "192.0.2.1");
    no_b.communities.push(c("0:65002"));
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24"], &no_b)
        .await;
    // The second is not in the client's IRR set.
    sim.announce(
        "192.0.2.1",
        V4,
        &["198.51.100.0/24", "192.0.2.128/25"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    // A path not starting with the client's AS.
    sim.announce(
        "192.0.2.1",
        V4,
        &["198.51.100.128/25"],
        &attrs("65099 65001", "192.0.2.1"),
    )
    .await;
    assert_eq!(sim.counts("192.0.2.1").await, (4, 2));
    assert_eq!(
        sim.peer("192.0.2.2").prefixes(V4),
        vec!["198.51.100.0/24"],
        "0:65002 keeps the route from AS65002"
    );
    assert_eq!(
        sim.peer("192.0.2.3").prefixes(V4),
        vec!["198.51.100.0/24", "203.0.113.0/24"]
    );
    // Transparent: the client's path and next hop as sent.
    let r = sim.peer("192.0.2.3").route(V4, "203.0.113.0/24").unwrap();
    assert_eq!(r.as_path.to_string(), "65001");
    assert_eq!(r.next_hop, Some("192.0.2.1".parse().unwrap()));
    sim.stop();
}

#[tokio::test]
async fn changed_definitions_apply_without_reset_from_the_pre_policy_table() {
    let mut sim = Sim::with_policy(Vec::new(), "export_policy = [\"accept_all\"]", BOGONS);
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nimport_policy = [\"clean\"]\nkeep_pre_policy = true",
    )
    .await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["10.1.0.0/16", "203.0.113.0/24"], &a)
        .await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["203.0.113.0/24"]);
    // 10/8 is no bogon any more; 203.0.113.0/24 now is.
    sim.set_policies(&BOGONS.replace(
        "bogons = [\"10.0.0.0/8 le 32\", \"192.168.0.0/16 le 32\"]",
        "bogons = [\"203.0.113.0/24\"]",
    ))
    .await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["10.1.0.0/16"]);
    assert!(
        !sim.peer("192.0.2.1")
            .signals
            .contains(&Signal::RequestRefresh),
        "the pre-policy table was enough"
    );
    assert_eq!(sim.counts("192.0.2.1").await, (2, 1));
    sim.stop();
}

#[tokio::test]
async fn changed_attachment_asks_the_peer_again_without_a_pre_policy_table() {
    let mut sim = Sim::with_policy(Vec::new(), "export_policy = [\"accept_all\"]", BOGONS);
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nimport_policy = [\"clean\"]",
    )
    .await;
    sim.up("192.0.2.2", "remote_asn = 65002").await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["10.1.0.0/16"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    sim.set_neighbor(
        "192.0.2.1",
        "remote_asn = 65001\nimport_policy = [\"accept_all\"]",
    )
    .await;
    assert_eq!(
        sim.peer("192.0.2.1").signals.last(),
        Some(&Signal::RequestRefresh),
        "ROUTE-REFRESH asked for"
    );
    // The peer answers by sending its routes again.
    sim.announce(
        "192.0.2.1",
        V4,
        &["10.1.0.0/16"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["10.1.0.0/16"]);
    // Export side: the same neighbor's export chain changes, its table
    // follows at once.
    sim.set_neighbor(
        "192.0.2.2",
        "remote_asn = 65002\nexport_policy = [\"reject_all\"]",
    )
    .await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    sim.stop();
}

#[tokio::test]
async fn explain_shows_each_paths_import_policy_where_kept() {
    let mut sim = Sim::with_policy(Vec::new(), "export_policy = [\"accept_all\"]", BOGONS);
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nimport_policy = [\"clean\"]\nkeep_pre_policy = true",
    )
    .await;
    sim.up(
        "192.0.2.2",
        "remote_asn = 65002\nimport_policy = [\"accept_all\"]",
    )
    .await;
    let p = "203.0.113.0/24";
    sim.announce("192.0.2.1", V4, &[p], &attrs("65001", "192.0.2.1"))
        .await;
    sim.announce("192.0.2.2", V4, &[p], &attrs("65002 7", "192.0.2.2"))
        .await;
    let e = sim.explain(V4, p).await.unwrap();
    assert_eq!(e.candidates.len(), 2);
    let traced: Vec<String> = e
        .policy
        .iter()
        .flatten()
        .map(|t| {
            let steps: Vec<String> = t
                .steps
                .iter()
                .map(|s| format!("{}:{}", s.term.as_deref().unwrap_or("default"), s.matched))
                .collect();
            format!("{} [{}] {}", t.decided_by, steps.join(" "), t.accepted)
        })
        .collect();
    assert_eq!(
        traced,
        ["policy clean term tag [bogons:false tag:true] true"],
        "the second neighbor keeps no pre-policy table"
    );
    sim.stop();
}

/// A change reaches only the peers whose chains it changes: an IXP edits
/// one client's filter without re-sending the others their tables.
#[tokio::test]
async fn a_change_reruns_only_the_chains_it_changes() {
    let mut sim = Sim::with_policy(Vec::new(), "", BOGONS);
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nimport_policy = [\"clean\"]\nexport_policy = [\"accept_all\"]\nkeep_filtered = true",
    )
    .await;
    sim.up(
        "192.0.2.2",
        "remote_asn = 65002\nimport_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]",
    )
    .await;
    sim.up(
        "192.0.2.3",
        "remote_asn = 65003\nimport_policy = [\"accept_all\"]\nexport_policy = [\"prepend\"]",
    )
    .await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["10.1.0.0/16", "203.0.113.0/24"], &a)
        .await;
    let before = (sim.peer("192.0.2.2").updates, sim.peer("192.0.2.3").updates);
    // A new policy first in the definitions: every index moves, nothing
    // any chain uses changes.
    let unused = "[[policy.definitions]]\nname = \"unused\"\n[[policy.definitions.terms]]\nname = \"x\"\nthen = { result = \"reject\" }\n";
    sim.set_policies(&format!("{unused}{BOGONS}")).await;
    // Only 192.0.2.3's export chain changes.
    sim.set_neighbor(
        "192.0.2.3",
        "remote_asn = 65003\nimport_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]",
    )
    .await;
    assert_eq!(
        sim.peer("192.0.2.2").updates,
        before.0,
        "untouched chains send nothing again"
    );
    assert!(sim.peer("192.0.2.3").updates > before.1);
    let plain = sim.peer("192.0.2.3").route(V4, "203.0.113.0/24").unwrap();
    assert_eq!(plain.as_path.to_string(), "65000 65001");
    assert!(
        !sim.peer("192.0.2.1")
            .signals
            .contains(&Signal::RequestRefresh),
        "its import chain means what it meant"
    );
    // The filtered route's reason still names the policy that decided.
    let filtered = filtered(&sim, "192.0.2.1").await;
    assert_eq!(
        filtered[0].reason.as_deref(),
        Some("policy clean term bogons")
    );
    sim.stop();
}

/// Export policy that looks at the prefix: results are cached per
/// attribute set after the policy, so routes sharing a source set but
/// treated differently each get their own.
#[tokio::test]
async fn per_prefix_export_policy_keeps_each_routes_result() {
    let policy = r#"
[policy.sets.prefix]
marked = ["203.0.113.0/24"]

[[policy.definitions]]
name = "mark"
default = "accept"
[[policy.definitions.terms]]
name = "mark"
if = { prefix_in = "marked" }
then = { add_communities = ["65000:9"], result = "accept" }
[[policy.definitions.terms]]
name = "others"
if = { prefix_not_in = "marked" }
then = { med = 5 }
"#;
    let mut sim = Sim::with_policy(Vec::new(), "import_policy = [\"accept_all\"]", policy);
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    sim.up(
        "192.0.2.2",
        "remote_asn = 65002\nexport_policy = [\"mark\"]",
    )
    .await;
    let a = attrs("65001", "192.0.2.1");
    let prefixes = ["198.51.100.0/24", "203.0.113.0/24", "192.0.2.128/25"];
    sim.announce("192.0.2.1", V4, &prefixes, &a).await;
    let b = sim.peer("192.0.2.2");
    assert_eq!(b.prefixes(V4).len(), 3);
    for p in prefixes {
        let r = b.route(V4, p).unwrap();
        let marked = p == "203.0.113.0/24";
        assert_eq!(r.has_community(c("65000:9")), marked, "{p}");
        assert_eq!(r.med, (!marked).then_some(5), "{p}");
    }
    sim.stop();
}

/// max_prefixes is a receive limit: paths import policy filtered count,
/// so a client leaking a table its filters reject is still stopped.
#[tokio::test]
async fn max_prefixes_counts_filtered_paths() {
    let mut sim = Sim::with_policy(Vec::new(), "", BOGONS);
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nimport_policy = [\"clean\"]\nmax_prefixes = 2",
    )
    .await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["10.1.0.0/16", "10.2.0.0/16"], &a)
        .await;
    let told = |sim: &Sim| -> Vec<Signal> {
        sim.peer("192.0.2.1")
            .signals
            .iter()
            .filter(|s| matches!(s, Signal::MaxPrefix(_)))
            .cloned()
            .collect()
    };
    assert!(told(&sim).is_empty());
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24"], &a).await;
    assert_eq!(sim.counts("192.0.2.1").await, (3, 1));
    assert_eq!(
        told(&sim),
        vec![Signal::MaxPrefix(2)],
        "one accepted, two filtered: over the limit of two"
    );
    sim.stop();
}

/// A peer whose export rejects everything (a feeder a route server only
/// listens to) is skipped by every change and by its session's initial
/// table; its routes still follow each change of its chain: all of them
/// when the chain lets them through, none after it rejects again, and
/// the changes made while it rejected are not lost.
#[tokio::test]
async fn a_peer_sent_nothing_follows_its_chain_when_it_changes() {
    let mut sim = Sim::with_policy(
        Vec::new(),
        "import_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]",
        BOGONS,
    );
    sim.up("192.0.2.1", "remote_asn = 65001").await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24", "198.51.100.0/24"], &a)
        .await;
    let quiet = "remote_asn = 65002\nexport_policy = [\"reject_all\"]";
    sim.up("192.0.2.2", quiet).await;
    sim.announce("192.0.2.1", V4, &["192.0.2.128/25"], &a).await;
    sim.withdraw("192.0.2.1", V4, &["198.51.100.0/24"]).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    assert_eq!(sim.sizes().await.export_backlog, 0);
    let open = "remote_asn = 65002\nexport_policy = [\"accept_all\"]";
    sim.set_neighbor("192.0.2.2", open).await;
    assert_eq!(
        sim.peer("192.0.2.2").prefixes(V4),
        vec!["192.0.2.128/25", "203.0.113.0/24"]
    );
    sim.set_neighbor("192.0.2.2", quiet).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    // While it rejects: a new route, and a withdrawal of one it had.
    sim.announce("192.0.2.1", V4, &["198.51.100.0/24"], &a)
        .await;
    sim.withdraw("192.0.2.1", V4, &["203.0.113.0/24"]).await;
    assert!(sim.peer("192.0.2.2").table.is_empty());
    sim.set_neighbor("192.0.2.2", open).await;
    assert_eq!(
        sim.peer("192.0.2.2").prefixes(V4),
        vec!["192.0.2.128/25", "198.51.100.0/24"]
    );
    sim.stop();
}

/// Every entry of a table.
async fn entries_of(sim: &Sim, table: Table) -> Vec<crate::control::RouteEntry> {
    sim.query(RibQuery {
        table,
        family: None,
        prefix: PrefixMatch::All,
    })
    .await
}

/// (prefix, attributes) of a table, in prefix order.
async fn table_of(sim: &Sim, table: Table) -> Vec<(String, rbgp_rib::Attrs)> {
    let mut got: Vec<_> = entries_of(sim, table)
        .await
        .into_iter()
        .map(|r| (r.nlri.to_string(), rbgp_rib::Attrs::clone(&r.attrs)))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    got
}

const STAGED: &str = r#"
[policy.sets.prefix]
bogons = ["10.0.0.0/8 le 32"]
customers = ["203.0.113.0/24 le 26"]

[policy.sets.as_path]
via_65009 = ["_65009_"]

[[policy.definitions]]
name = "in"
default = "accept"
[[policy.definitions.terms]]
name = "bogons"
if = { prefix_in = "bogons" }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "customers"
if = { prefix_in = "customers" }
then = { add_communities = ["65000:1"], local_pref = 200 }
[[policy.definitions.terms]]
name = "transit"
if = { as_path_in = "via_65009" }
then = { med = 9, result = "accept" }
"#;

#[tokio::test]
async fn import_run_by_the_peer_task_decides_as_the_rib_task_does() {
    let mut sim = Sim::with_policy(Vec::new(), "", STAGED);
    let neighbor = "remote_asn = 65001\nimport_policy = [\"in\"]\nkeep_filtered = true";
    sim.up("192.0.2.1", neighbor).await;
    sim.up("192.0.2.2", neighbor).await;
    // The first peer task runs the chain; the second hands the RIB task
    // bare UPDATEs, as one whose stage has not arrived yet.
    let stage = sim.peer("192.0.2.1").stage.as_ref().expect("staged");
    assert_eq!(stage.gates.len(), 1, "the IPv4 chain runs in the peer task");
    sim.peer_mut("192.0.2.2").stage = None;
    for peer in ["192.0.2.1", "192.0.2.2"] {
        let prefixes = [
            "10.1.0.0/16",
            "203.0.113.0/24",
            "203.0.113.64/26",
            "203.0.113.0/27",
            "198.51.100.0/24",
        ];
        sim.announce(peer, V4, &prefixes, &attrs("65001 65009", peer))
            .await;
        sim.announce(peer, V4, &["192.0.2.0/25"], &attrs("65001", peer))
            .await;
    }
    let staged = table_of(&sim, Table::AdjIn("192.0.2.1".parse().unwrap())).await;
    let here = table_of(&sim, Table::AdjIn("192.0.2.2".parse().unwrap())).await;
    assert_eq!(staged.len(), 5, "{staged:?}");
    let strip = |t: Vec<(String, rbgp_rib::Attrs)>| -> Vec<_> {
        t.into_iter()
            .map(|(p, mut a)| {
                a.next_hop = None;
                (p, a)
            })
            .collect()
    };
    assert_eq!(strip(staged.clone()), strip(here));
    let customer = &staged
        .iter()
        .find(|(p, _)| p == "203.0.113.64/26")
        .unwrap()
        .1;
    assert_eq!(customer.local_pref, Some(200));
    assert!(customer.has_community(c("65000:1")));
    assert_eq!(customer.med, Some(9));
    let plain = &staged.iter().find(|(p, _)| p == "192.0.2.0/25").unwrap().1;
    assert_eq!((plain.local_pref, plain.med), (None, None));
    let reasons = |f: Vec<crate::control::RouteEntry>| -> Vec<_> {
        f.into_iter()
            .map(|r| (r.nlri.to_string(), r.reason, r.attrs.as_path.to_string()))
            .collect()
    };
    let f1 = reasons(filtered(&sim, "192.0.2.1").await);
    assert_eq!(
        f1,
        vec![(
            "10.1.0.0/16".to_string(),
            Some("policy in term bogons".to_string()),
            "65001 65009".to_string()
        )]
    );
    assert_eq!(f1, reasons(filtered(&sim, "192.0.2.2").await));
    // Sets the peer task made are shared like the rest: one per distinct
    // set, whichever task made it.
    let a1 = entries_of(&sim, Table::AdjIn("192.0.2.1".parse().unwrap())).await;
    let tagged: Vec<_> = a1
        .iter()
        .filter(|r| r.attrs.local_pref == Some(200))
        .collect();
    assert_eq!(tagged.len(), 2);
    assert!(std::sync::Arc::ptr_eq(&tagged[0].attrs, &tagged[1].attrs));
    sim.stop();
}

#[tokio::test]
async fn a_policy_change_on_its_way_to_the_peer_task_still_decides() {
    let mut sim = Sim::with_policy(Vec::new(), "", STAGED);
    sim.up("192.0.2.1", "remote_asn = 65001\nimport_policy = [\"in\"]")
        .await;
    // The peer task keeps running the old chain: the new one is still on
    // its way to it.
    sim.peer_mut("192.0.2.1").stage_frozen = true;
    sim.set_policies(&STAGED.replace("local_pref = 200", "local_pref = 300"))
        .await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    let got = table_of(&sim, Table::AdjIn("192.0.2.1".parse().unwrap())).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.local_pref, Some(300), "the new policy decided");
    // Once the stage arrives, the peer task's results are used again.
    sim.peer_mut("192.0.2.1").stage_frozen = false;
    sim.set_policies(&STAGED.replace("local_pref = 200", "local_pref = 400"))
        .await;
    assert!(sim.peer("192.0.2.1").stage.is_some());
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/25"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    let got = table_of(&sim, Table::AdjIn("192.0.2.1".parse().unwrap())).await;
    assert_eq!(
        got.iter().map(|(_, a)| a.local_pref).collect::<Vec<_>>(),
        vec![Some(300), Some(400)],
        "the pre-policy table is not kept: the first route was not run again, the second is the new policy's"
    );
    sim.stop();
}
