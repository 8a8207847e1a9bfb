//! RPKI states in the RIB task: paths validated at import against the data
//! the RPKI task delivers, policy matching on the states, revalidation of
//! only the affected routes when the data changes, and expiry.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use rbgp_rib::{Aspa, Rpki, Validation};
use rbgp_rpki::{Delta, Vrp};

use super::harness::{attrs, Sim, V4};
use crate::control::{PrefixMatch, RibQuery, RouteEntry, Table};
use crate::tasks::RpkiData;

/// Reject RPKI-invalid and ASPA-invalid routes, accept the rest.
pub(crate) const ROV: &str = r#"
[[policy.definitions]]
name = "rpki"
[[policy.definitions.terms]]
name = "invalid"
if = { rpki = ["invalid"] }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "aspa-invalid"
if = { aspa = ["invalid"] }
then = { result = "reject" }
[[policy.definitions.terms]]
name = "rest"
then = { result = "accept" }
"#;

fn vrp(prefix: &str, max_len: u8, asn: u32) -> Vrp {
    Vrp {
        prefix: prefix.parse().unwrap(),
        max_len,
        asn,
    }
}

fn delta(reset: bool, announced: Vec<Vrp>, withdrawn: Vec<Vrp>) -> RpkiData {
    RpkiData::Delta(Box::new(Delta {
        reset,
        announced,
        withdrawn,
        ..Delta::default()
    }))
}

/// The Loc-RIB's states by prefix.
pub(crate) async fn states(sim: &Sim) -> Vec<(String, Option<Validation>)> {
    let mut v: Vec<_> = sim
        .loc_rib()
        .await
        .into_iter()
        .map(|r: RouteEntry| (r.nlri.to_string(), r.validation))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn st(rpki: Rpki, aspa: Aspa) -> Option<Validation> {
    Some(Validation { rpki, aspa })
}

#[tokio::test]
async fn states_at_import_revalidation_and_expiry() {
    let mut sim = Sim::with_policy(Vec::new(), "", ROV);
    // A customer whose import policy matches on states and keeps its
    // routes as received (revalidation imports them again), and a peer
    // whose policy does not look at states.
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nrole = \"customer\"\nkeep_pre_policy = true\nkeep_filtered = true\nimport_policy = [\"rpki\"]\nexport_policy = [\"accept_all\"]",
    )
    .await;
    sim.up(
        "192.0.2.2",
        "remote_asn = 65002\nrole = \"peer\"\nimport_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]",
    )
    .await;
    let a = attrs("65001", "192.0.2.1");
    sim.announce("192.0.2.1", V4, &["203.0.113.0/24", "198.51.100.0/24"], &a)
        .await;
    sim.announce(
        "192.0.2.2",
        V4,
        &["192.0.2.128/25"],
        &attrs("65002 65020", "192.0.2.2"),
    )
    .await;
    // No data yet: not-found and unknown, nothing rejected.
    let none = st(Rpki::NotFound, Aspa::Unknown);
    assert_eq!(
        states(&sim).await,
        vec![
            ("192.0.2.128/25".into(), none),
            ("198.51.100.0/24".into(), none),
            ("203.0.113.0/24".into(), none),
        ]
    );

    // The cache's first full set: 203.0.113.0/24 may only come from AS
    // 64999 (invalid now), 198.51.100.0/22-24 from 65001 (valid),
    // 192.0.2.0/24 max 24 from 65020 (a /25: too specific, invalid).
    sim.rpki(delta(
        true,
        vec![
            vrp("203.0.113.0/24", 24, 64999),
            vrp("198.51.100.0/22", 24, 65001),
            vrp("192.0.2.0/24", 24, 65020),
        ],
        vec![],
    ))
    .await;
    // A customer's own route (a path of one AS, its own) is ASPA-valid
    // upstream (draft-ietf-sidrops-aspa-verification §5.4: N = 1).
    let valid = st(Rpki::Valid, Aspa::Valid);
    assert_eq!(
        states(&sim).await,
        vec![
            (
                "192.0.2.128/25".into(),
                st(Rpki::Invalid, Aspa::Unknown),
            ),
            ("198.51.100.0/24".into(), valid),
        ],
        "203.0.113.0/24 invalid and rejected by the customer's policy; the peer's /25 kept, marked invalid"
    );
    let filtered = sim
        .query(RibQuery {
            table: Table::Filtered("192.0.2.1".parse().unwrap()),
            family: None,
            prefix: PrefixMatch::All,
        })
        .await;
    assert_eq!(filtered.len(), 1);
    assert!(
        filtered[0].reason.as_deref().unwrap().contains("invalid"),
        "{:?}",
        filtered[0].reason
    );
    assert_eq!(filtered[0].validation, st(Rpki::Invalid, Aspa::Valid));
    // Exported to the peer as the states allow.
    assert_eq!(sim.peer("192.0.2.2").prefixes(V4), vec!["198.51.100.0/24"]);

    // A delta authorises AS 65001 for 203.0.113.0/24: the route comes back
    // (imported again from the pre-policy table) and reaches the peer.
    sim.rpki(delta(false, vec![vrp("203.0.113.0/24", 24, 65001)], vec![]))
        .await;
    assert_eq!(states(&sim).await[2], ("203.0.113.0/24".into(), valid));
    assert_eq!(
        sim.peer("192.0.2.2").prefixes(V4),
        vec!["198.51.100.0/24", "203.0.113.0/24"]
    );

    // Expiry: everything falls back to not-found/unknown; the customer's
    // routes all pass again.
    sim.rpki(RpkiData::Expired).await;
    assert!(states(&sim).await.iter().all(|(_, v)| *v == none));
    assert_eq!(states(&sim).await.len(), 3);
}

#[tokio::test]
async fn aspa_by_role() {
    let mut sim = Sim::with_policy(Vec::new(), "", ROV);
    let n = |asn: u32, role: &str| {
        format!("remote_asn = {asn}\nrole = \"{role}\"\nkeep_pre_policy = true\nimport_policy = [\"rpki\"]\nexport_policy = [\"accept_all\"]")
    };
    sim.up("192.0.2.1", &n(65001, "customer")).await;
    sim.up("192.0.2.2", &n(65002, "provider")).await;
    // AS 65010 attests AS 65001 as its only provider; 65001 attests 65002.
    sim.rpki(RpkiData::Delta(Box::new(Delta {
        reset: true,
        aspas: vec![
            rbgp_rpki::Aspa::new(65010, vec![65001]),
            rbgp_rpki::Aspa::new(65001, vec![65002]),
        ],
        ..Delta::default()
    })))
    .await;
    // From the customer: 65010 -> 65001 -> us is an up-ramp: valid.
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24"],
        &attrs("65001 65010", "192.0.2.1"),
    )
    .await;
    // From the customer, but 65001 leaks a route of 65099 whose provider
    // it is not: 65099 has no ASPA, so unknown, not invalid.
    sim.announce(
        "192.0.2.1",
        V4,
        &["198.51.100.0/24"],
        &attrs("65001 65099", "192.0.2.1"),
    )
    .await;
    // From the provider 65002: 65010 -> 65001 -> 65002 -> us is an up-ramp
    // then nothing down: valid downstream.
    sim.announce(
        "192.0.2.2",
        V4,
        &["192.0.2.0/24"],
        &attrs("65002 65001 65010", "192.0.2.2"),
    )
    .await;
    // A customer route leak: 65010 sends its provider 65001's... path
    // 65001 65002 65010 from the customer: 65002 is not 65010's provider
    // (its ASPA says 65001 only): invalid upstream.
    sim.announce(
        "192.0.2.1",
        V4,
        &["100.64.0.0/24"],
        &attrs("65001 65002 65010", "192.0.2.1"),
    )
    .await;
    assert_eq!(
        states(&sim).await,
        vec![
            ("192.0.2.0/24".into(), st(Rpki::NotFound, Aspa::Valid)),
            ("198.51.100.0/24".into(), st(Rpki::NotFound, Aspa::Unknown)),
            ("203.0.113.0/24".into(), st(Rpki::NotFound, Aspa::Valid)),
        ],
        "100.64.0.0/24 rejected as ASPA-invalid"
    );
    // 65010 adds 65002 as a provider: the hop 65010 -> 65002 is fine now,
    // 65002 -> 65001 has no attestation (65002 has no ASPA): unknown, and
    // accepted.
    sim.rpki(RpkiData::Delta(Box::new(Delta {
        aspas: vec![rbgp_rpki::Aspa::new(65010, vec![65001, 65002])],
        ..Delta::default()
    })))
    .await;
    let s = states(&sim).await;
    assert_eq!(s.len(), 4, "{s:?}");
    assert_eq!(
        s[0],
        ("100.64.0.0/24".into(), st(Rpki::NotFound, Aspa::Unknown))
    );
}

#[tokio::test]
async fn rfc8097_state_community_on_ibgp() {
    use rbgp_wire::attr::ExtCommunity;
    let ov = |code: u8| ExtCommunity([0x43, 0, 0, 0, 0, 0, 0, code]);
    let mut sim = Sim::with_policy(Vec::new(), "", ROV);
    sim.up(
        "192.0.2.1",
        "remote_asn = 65001\nimport_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]",
    )
    .await;
    sim.up("10.0.0.2", "remote_asn = 65000").await;
    sim.rpki(delta(true, vec![vrp("203.0.113.0/24", 24, 64999)], vec![]))
        .await;
    sim.announce(
        "192.0.2.1",
        V4,
        &["203.0.113.0/24", "198.51.100.0/24"],
        &attrs("65001", "192.0.2.1"),
    )
    .await;
    // Off by default: no community.
    let r = sim.peer("10.0.0.2").route(V4, "203.0.113.0/24").unwrap();
    assert!(r.ext_communities.is_empty(), "{r:?}");
    sim.rpki(RpkiData::Community(true)).await;
    let ext = |sim: &Sim, p: &str| {
        sim.peer("10.0.0.2")
            .route(V4, p)
            .unwrap()
            .ext_communities
            .to_vec()
    };
    assert_eq!(ext(&sim, "203.0.113.0/24"), vec![ov(2)], "invalid");
    assert_eq!(ext(&sim, "198.51.100.0/24"), vec![ov(1)], "not found");
    // From iBGP with a state: taken as it is (RFC 8097 §4), and not sent
    // on to eBGP (a non-transitive community, RFC 4360 §6).
    let mut a = attrs("64999", "10.0.0.2");
    a.ext_communities.push(ov(0));
    sim.announce("10.0.0.2", V4, &["100.64.0.0/24"], &a).await;
    let s = states(&sim).await;
    assert_eq!(
        s[0],
        ("100.64.0.0/24".into(), st(Rpki::Valid, Aspa::Unknown))
    );
    let at_ebgp = sim.peer("192.0.2.1").route(V4, "100.64.0.0/24").unwrap();
    assert!(at_ebgp.ext_communities.is_empty(), "{at_ebgp:?}");
    // Off again: the iBGP neighbor gets the routes without it.
    sim.rpki(RpkiData::Community(false)).await;
    assert!(ext(&sim, "203.0.113.0/24").is_empty());
}
