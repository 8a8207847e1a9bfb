//! The birdwatcher endpoints Alice-LG's birdwatcher source calls in
//! single-table mode, plus the neighbors' table (`/routes/peer`) of the
//! multi-table mode. Protocol names are [`render::protocol_id`]s; a bare
//! neighbor address is accepted too.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::render::{self, Counts};
use super::stream::{self, Listing};
use super::{bad_request, error, Answer, Lg, LgError};
use crate::control::{PrefixMatch, RibQuery, Table};

pub fn routes() -> Router<Arc<Lg>> {
    Router::new()
        .route("/status", get(status))
        .route("/protocols", get(protocols))
        .route("/protocols/bgp", get(protocols))
        .route("/protocols/short", get(protocols_short))
        .route("/routes/protocol/{id}", get(received))
        .route("/routes/peer/{id}", get(received))
        .route("/routes/filtered/{id}", get(filtered))
        .route("/routes/noexport/{id}", get(not_exported))
        .route("/routes/table/{table}", get(table))
        .route("/routes/table/{table}/filtered", get(table_filtered))
        .route("/routes/prefix", get(prefix))
        .route("/routes/count/protocol/{id}", get(count_protocol))
        .route("/routes/count/table/{table}", get(count_table))
}

fn payload(key: &str, v: Value) -> Json<Value> {
    let mut m = Map::new();
    m.insert(key.into(), v);
    Json(render::envelope(SystemTime::now(), m))
}

async fn status(State(lg): State<Arc<Lg>>) -> Json<Value> {
    let now = SystemTime::now();
    payload(
        "status",
        json!({
            "current_server": render::short_time(now),
            "last_reboot": render::short_time(lg.started),
            "last_reconfig": render::short_time(lg.started),
            "message": "Daemon is up and running",
            "router_id": lg.router_id.to_string(),
            "version": concat!("rbgpd ", env!("CARGO_PKG_VERSION")),
        }),
    )
}

async fn protocols(State(lg): State<Arc<Lg>>) -> Result<Json<Value>, LgError> {
    let all = lg.handle.neighbors().await.map_err(error)?;
    let best: HashMap<IpAddr, u64> = lg.handle.best_counts().await.map_err(error)?;
    let mut m = Map::new();
    for n in &all {
        let nb = &n.neighbor;
        let c = Counts::of(n, best.get(&nb.address).copied().unwrap_or(0));
        m.insert(
            render::protocol_id(nb.remote_asn, nb.address),
            render::protocol(n, &c, lg.started),
        );
    }
    Ok(payload("protocols", Value::Object(m)))
}

async fn protocols_short(State(lg): State<Arc<Lg>>) -> Result<Json<Value>, LgError> {
    let all = lg.handle.neighbors().await.map_err(error)?;
    let m: Map<String, Value> = all
        .iter()
        .map(|n| {
            (
                render::protocol_id(n.neighbor.remote_asn, n.neighbor.address),
                render::protocol_short(n, lg.started),
            )
        })
        .collect();
    Ok(payload("protocols", Value::Object(m)))
}

fn listing(table: Table, prefix: PrefixMatch) -> Listing {
    Listing {
        query: RibQuery {
            table,
            family: None,
            prefix,
        },
        keep: Vec::new(),
        best_only: false,
        reasons: false,
        limit: None,
    }
}

async fn received(State(lg): State<Arc<Lg>>, Path(id): Path<String>) -> Answer {
    let n = lg.neighbor(&id).await?;
    let l = listing(Table::AdjIn(n.neighbor.address), PrefixMatch::All);
    stream::routes(lg, l).await
}

async fn filtered(State(lg): State<Arc<Lg>>, Path(id): Path<String>) -> Answer {
    let n = lg.neighbor(&id).await?;
    let mut l = listing(Table::Filtered(n.neighbor.address), PrefixMatch::All);
    l.reasons = true;
    stream::routes(lg, l).await
}

async fn not_exported(State(lg): State<Arc<Lg>>, Path(id): Path<String>) -> Answer {
    let n = lg.neighbor(&id).await?;
    let l = listing(Table::NotExported(n.neighbor.address), PrefixMatch::All);
    stream::routes(lg, l).await
}

/// BIRD's table names: `master` (both families), `master4`, `master6`.
fn family_of(table: &str) -> Result<Option<rbgp_wire::AfiSafi>, LgError> {
    match table {
        "master" => Ok(None),
        "master4" => Ok(Some(rbgp_wire::AfiSafi::IPV4_UNICAST)),
        "master6" => Ok(Some(rbgp_wire::AfiSafi::IPV6_UNICAST)),
        t => Err(super::not_found(format!(
            "no table {t} (tables: master, master4, master6)"
        ))),
    }
}

async fn table(State(lg): State<Arc<Lg>>, Path(t): Path<String>) -> Answer {
    let mut l = listing(Table::Loc, PrefixMatch::All);
    l.query.family = family_of(&t)?;
    stream::routes(lg, l).await
}

/// Every neighbor's filtered routes (for those that keep them).
async fn table_filtered(State(lg): State<Arc<Lg>>, Path(t): Path<String>) -> Answer {
    let family = family_of(&t)?;
    let all = lg.handle.neighbors().await.map_err(error)?;
    let asns = super::asns_of(&all);
    let asn_of = |a: IpAddr| asns.get(&a).copied();
    let reasons = lg.reasons();
    let now = SystemTime::now();
    let mut routes = Vec::new();
    for n in all.iter().filter(|n| n.neighbor.policy.keep_filtered) {
        let q = RibQuery {
            table: Table::Filtered(n.neighbor.address),
            family,
            prefix: PrefixMatch::All,
        };
        // A neighbor that went away meanwhile has nothing to list.
        for e in lg.handle.routes(q).await.unwrap_or_default() {
            routes.push(render::route(&e, now, &asn_of, Some(&reasons)));
        }
    }
    Ok(payload("routes", Value::Array(routes)).into_response())
}

#[derive(Deserialize)]
struct PrefixArg {
    prefix: Option<String>,
}

/// `show route for X all`: the routes of the longest match for a prefix
/// or address, every path.
async fn prefix(State(lg): State<Arc<Lg>>, Query(q): Query<PrefixArg>) -> Answer {
    let text = q
        .prefix
        .ok_or_else(|| bad_request("prefix: missing (e.g. ?prefix=192.0.2.0/24)".into()))?;
    let p = super::web::parse_prefix(&text)?;
    stream::routes(lg, listing(Table::Loc, PrefixMatch::LongestMatch(p))).await
}

async fn count_protocol(State(lg): State<Arc<Lg>>, Path(id): Path<String>) -> Answer {
    let n = lg.neighbor(&id).await?;
    let accepted: u64 = n.prefixes.iter().map(|c| c.accepted).sum();
    Ok(payload("routes", json!(accepted)).into_response())
}

async fn count_table(State(lg): State<Arc<Lg>>, Path(t): Path<String>) -> Answer {
    let family = family_of(&t)?;
    let s = lg.handle.rib_sizes().await.map_err(error)?;
    let n: u64 = s
        .families
        .iter()
        .filter(|(f, _, _)| family.is_none_or(|w| w == *f))
        .map(|(_, routes, _)| routes)
        .sum();
    Ok(payload("routes", json!(n)).into_response())
}
