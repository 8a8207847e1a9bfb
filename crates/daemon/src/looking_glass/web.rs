//! The web page (one embedded HTML file: no CDN, works offline) and the
//! JSON it reads beyond birdwatcher's endpoints: route search, a route's
//! detail (every candidate, the best-path explanation, the import policy
//! trace), and live events (server-sent events over the session and
//! Loc-RIB broadcasts).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rbgp_wire::attr::{Community, LargeCommunity};
use rbgp_wire::{AfiSafi, Nlri, Prefix};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt as _;

use super::render;
use super::stream::{self, Listing};
use super::{bad_request, error, not_found, Answer, Lg, LgError};
use crate::control::{step_name, AttrMatch, PrefixMatch, RibQuery, Table};

const PAGE: &str = include_str!("page.html");

/// Routes a search lists at most unless asked for more.
const SEARCH_LIMIT: usize = 1000;

pub fn routes() -> Router<Arc<Lg>> {
    Router::new()
        .route("/", get(page))
        .route("/api/search", get(search))
        .route("/api/route", get(route_detail))
        .route("/api/events", get(events))
}

async fn page() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Html(PAGE)).into_response()
}

/// A prefix, or an address as its host prefix.
pub fn parse_prefix(text: &str) -> Result<Prefix, LgError> {
    let text = text.trim();
    if let Ok(a) = text.parse::<std::net::IpAddr>() {
        let len = if a.is_ipv4() { 32 } else { 128 };
        if let Some(p) = Prefix::new(a, len) {
            return Ok(p);
        }
    }
    text.parse::<Prefix>()
        .map_err(|e| bad_request(format!("prefix: {text:?}: {e}")))
}

#[derive(Deserialize)]
struct SearchArgs {
    prefix: Option<String>,
    /// exact (default), longer (more specifics), shorter (covering).
    #[serde(rename = "match")]
    how: Option<String>,
    origin: Option<String>,
    community: Option<String>,
    large_community: Option<String>,
    /// Every path, not only the best.
    all: Option<String>,
    limit: Option<usize>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Best paths (or every path with `all=1`) matching a prefix and any of
/// origin AS, community, large community; at most `limit` (1000).
async fn search(State(lg): State<Arc<Lg>>, Query(a): Query<SearchArgs>) -> Answer {
    let prefix = match nonempty(&a.prefix) {
        None => PrefixMatch::All,
        Some(t) => {
            let p = parse_prefix(t)?;
            match a.how.as_deref().unwrap_or("exact") {
                "exact" => PrefixMatch::Exact(p),
                "longer" => PrefixMatch::MoreSpecifics(p),
                "shorter" => PrefixMatch::Covering(p),
                other => {
                    return Err(bad_request(format!(
                        "match: {other:?} is not exact, longer or shorter"
                    )))
                }
            }
        }
    };
    let mut keep = Vec::new();
    if let Some(t) = nonempty(&a.origin) {
        match t.trim_start_matches("AS").parse::<u32>() {
            Ok(asn) => keep.push(AttrMatch::OriginAs(asn)),
            Err(_) => return Err(bad_request(format!("origin: {t:?} is not an AS number"))),
        }
    }
    if let Some(t) = nonempty(&a.community) {
        match t.parse::<Community>() {
            Ok(c) => keep.push(AttrMatch::Community(c)),
            Err(e) => return Err(bad_request(format!("community: {t:?}: {e}"))),
        }
    }
    if let Some(t) = nonempty(&a.large_community) {
        match t.parse::<LargeCommunity>() {
            Ok(c) => keep.push(AttrMatch::LargeCommunity(c)),
            Err(e) => return Err(bad_request(format!("large_community: {t:?}: {e}"))),
        }
    }
    if matches!(prefix, PrefixMatch::All) && keep.is_empty() {
        return Err(bad_request(
            "give a prefix, origin, community or large_community to search for".into(),
        ));
    }
    let l = Listing {
        query: RibQuery {
            table: Table::Loc,
            family: None,
            prefix,
        },
        keep,
        best_only: nonempty(&a.all).is_none(),
        reasons: false,
        limit: Some(a.limit.unwrap_or(SEARCH_LIMIT)),
    };
    stream::routes(lg, l).await
}

#[derive(Deserialize)]
struct RouteArgs {
    prefix: String,
    family: Option<String>,
}

/// Every candidate path of a prefix, why the best won, and each path's
/// import policy trace (for neighbors that keep what they sent).
async fn route_detail(State(lg): State<Arc<Lg>>, Query(a): Query<RouteArgs>) -> Answer {
    let p = parse_prefix(&a.prefix)?;
    let family = match nonempty(&a.family) {
        Some(f) => match f.parse::<AfiSafi>() {
            Ok(f) => f,
            Err(e) => return Err(bad_request(format!("family: {e}"))),
        },
        None if p.is_ipv4() => AfiSafi::IPV4_UNICAST,
        None => AfiSafi::IPV6_UNICAST,
    };
    let ex = lg
        .handle
        .explain(family, Nlri::Prefix(p))
        .await
        .map_err(error)?
        .ok_or_else(|| not_found(format!("no route for {p}")))?;
    let asns = lg.asns().await?;
    let asn_of = |x: std::net::IpAddr| asns.get(&x).copied();
    let now = SystemTime::now();
    let candidates: Vec<Value> = ex
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut v = render::route(c, now, &asn_of, None);
            let lost = ex.explanation.decisions.iter().find(|d| d.loser == i);
            if let Some(o) = v.as_object_mut() {
                o.insert("best".into(), json!(i == ex.explanation.best));
                if let Some(d) = lost {
                    o.insert("lost_at".into(), json!(step_name(d.step)));
                    o.insert("lost_to".into(), json!(d.winner));
                }
                if let Some(Some(t)) = ex.policy.get(i) {
                    o.insert(
                        "policy".into(),
                        json!({
                            "accepted": t.accepted,
                            "decided_by": t.decided_by,
                            "steps": t.steps.iter().map(|s| json!({
                                "policy": s.policy,
                                "term": s.term,
                                "matched": s.matched,
                                "changes": s.changes,
                                "result": s.result,
                            })).collect::<Vec<_>>(),
                        }),
                    );
                }
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "prefix": p.to_string(),
        "family": family.to_string(),
        "candidates": candidates,
    }))
    .into_response())
}

/// Server-sent events: `session` on every state change, and `routes`
/// once a second while the Loc-RIB changes (a count and the last prefix:
/// a full table's churn is too much to list).
async fn events(State(lg): State<Arc<Lg>>) -> Answer {
    let mut sessions = lg.handle.watch_sessions();
    let mut changes = lg.handle.route_changes().await.map_err(error)?;
    let (tx, rx) = mpsc::channel::<Event>(16);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let (mut count, mut last) = (0u64, String::new());
        loop {
            let ev = tokio::select! {
                s = sessions.recv() => match s {
                    Ok(s) => Some(Event::default().event("session").data(json!({
                        "neighbor": s.peer.to_string(),
                        "from": render::fsm_state(s.from),
                        "to": render::fsm_state(s.to),
                        "at": render::short_time(s.at),
                    }).to_string())),
                    Err(broadcast::error::RecvError::Lagged(_)) => None,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                c = changes.recv() => match c {
                    Ok(c) => {
                        count += 1;
                        last = c.nlri.to_string();
                        None
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        count += n;
                        None
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick() => (count > 0).then(|| {
                    let e = Event::default().event("routes").data(json!({
                        "changes": count,
                        "last": last,
                    }).to_string());
                    count = 0;
                    e
                }),
            };
            if let Some(e) = ev {
                if tx.send(e).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(Sse::new(ReceiverStream::new(rx).map(Ok::<_, Infallible>))
        .keep_alive(KeepAlive::default())
        .into_response())
}
