//! What the store gives back at start. A record that no longer validates
//! (an older rbgpd accepted something this one refuses) is logged and
//! skipped rather than keeping the daemon down.

use std::collections::HashSet;
use std::net::IpAddr;

use rbgp_api::convert;
use rbgp_store::{
    Store, ATTACHMENTS, BMP_STATIONS, DISABLED, DYNAMIC_NEIGHBORS, FLOWSPEC, GLOBAL, GLOBAL_KEY,
    NEIGHBORS, PATHS, PEER_GROUPS, POLICIES, POLICY_SETS,
};

use super::injection::{flow_route, local_route};
use super::{Inner, Overlay};

pub(super) fn overlay(store: &Store) -> anyhow::Result<Overlay> {
    let mut o = Overlay::default();
    for (key, g) in store.load(&PEER_GROUPS)? {
        match convert::peer_group_from_proto(&g) {
            Ok((name, s)) => {
                o.groups.insert(name, s);
            }
            Err(e) => tracing::error!(key, error = %e, "stored peer group skipped"),
        }
    }
    for (key, d) in store.load(&DYNAMIC_NEIGHBORS)? {
        match convert::dynamic_from_proto(&d) {
            Ok(d) => o.dynamic.push(d),
            Err(e) => tracing::error!(key, error = %e, "stored dynamic range skipped"),
        }
    }
    for (key, s) in store.load(&POLICY_SETS)? {
        let kind = convert::policy::kind_from_proto(s.kind, "kind");
        match kind
            .ok()
            .and_then(|k| convert::policy::sets_of(&mut o.policy.sets, k))
        {
            Some(map) => {
                map.insert(s.name.clone(), s.entries.clone());
            }
            None => tracing::error!(key, "stored defined set of no known kind skipped"),
        }
    }
    for (key, p) in store.load(&POLICIES)? {
        match convert::policy::policy_from_proto(&p) {
            Ok(d) => o.policy.definitions.push(d),
            Err(e) => tracing::error!(key, error = %e, "stored policy skipped"),
        }
    }
    for (key, a) in store.load(&ATTACHMENTS)? {
        match super::policy_overlay::Attach::from_proto(&a) {
            Ok(a) => o.policy.attachments.push(a),
            Err(e) => tracing::error!(key, error = %e, "stored attachment skipped"),
        }
    }
    for (key, s) in store.load(&BMP_STATIONS)? {
        match convert::station_from_proto(&s) {
            Ok(c) => o.bmp.push(c),
            Err(e) => tracing::error!(key, error = %e, "stored BMP station skipped"),
        }
    }
    if let Some(g) = store.get(&GLOBAL, GLOBAL_KEY)? {
        match convert::identity_from_proto(&g) {
            Ok((asn, router_id)) => {
                o.asn = asn;
                o.router_id = router_id;
            }
            Err(e) => tracing::error!(error = %e, "stored global settings skipped"),
        }
    }
    Ok(o)
}

/// Neighbors disabled through the API: they start down.
pub(super) fn disabled(store: &Store) -> anyhow::Result<HashSet<IpAddr>> {
    let mut set = HashSet::new();
    for (key, d) in store.load(&DISABLED)? {
        match convert::parse_ip(&d.address, "address") {
            Ok(a) => {
                set.insert(a);
            }
            Err(e) => tracing::error!(key, error = %e, "stored disabled neighbor skipped"),
        }
    }
    Ok(set)
}

pub(super) async fn state(inner: &Inner) -> anyhow::Result<()> {
    let mut neighbors = 0;
    for (key, n) in inner.store.load(&NEIGHBORS)? {
        let resolved = convert::neighbor_from_proto(&n)
            .map_err(|e| e.to_string())
            .and_then(|c| inner.resolve_api(&c).map_err(|e| e.to_string()));
        match resolved {
            Ok(n) => match inner.handle.add_neighbor(n).await {
                Ok(()) => neighbors += 1,
                Err(e) => tracing::warn!(key, error = %e, "stored neighbor not added"),
            },
            Err(e) => tracing::error!(key, error = %e, "stored neighbor skipped"),
        }
    }
    let mut routes = Vec::new();
    for (key, p) in inner.store.load(&PATHS)? {
        match convert::path_from_proto(&p) {
            Ok(p) => routes.push(local_route(p)),
            Err(e) => tracing::error!(key, error = %e, "stored path skipped"),
        }
    }
    let paths = routes.len();
    for (key, r) in inner.store.load(&FLOWSPEC)? {
        match convert::flowspec_from_proto(&r) {
            Ok(r) => routes.push(flow_route(r)),
            Err(e) => tracing::error!(key, error = %e, "stored FlowSpec rule skipped"),
        }
    }
    let rules = routes.len() - paths;
    inner.handle.add_routes(routes).await?;
    tracing::info!(neighbors, paths, rules, "API state restored");
    Ok(())
}
