//! Route listings streamed page by page: the RIB task answers a page of
//! at most [`PAGE`] entries at a time and the body is written as pages
//! arrive, so a full table is never copied whole, and a slow client holds
//! back only its own task (a bounded channel).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::IntoResponse;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt as _;

use super::render;
use super::{error, Answer, Lg};
use crate::control::{AttrMatch, RibQuery, RouteEntry};

/// Entries per RIB task answer: small enough that other work in the RIB
/// task waits little, large enough to keep the round trips few.
pub const PAGE: usize = 2000;

/// What to list and how.
pub struct Listing {
    pub query: RibQuery,
    pub keep: Vec<AttrMatch>,
    /// Only best paths.
    pub best_only: bool,
    /// Add the reason community to filtered routes.
    pub reasons: bool,
    /// Stop after this many routes (`None`: all).
    pub limit: Option<usize>,
}

/// `{"api":...,"ttl":...,"routes":[...]}` streamed; errors before the
/// first byte (no such neighbor...) are answered as errors.
pub async fn routes(lg: Arc<Lg>, l: Listing) -> Answer {
    let asns = lg.asns().await?;
    let first = lg
        .handle
        .route_page(l.query.clone(), l.keep.clone(), 0, PAGE)
        .await
        .map_err(error)?;
    let now = SystemTime::now();
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        let head = render::envelope(now, serde_json::Map::new());
        // The envelope without its closing brace, then the routes.
        let mut text = head.to_string();
        text.pop();
        text.push_str(",\"routes\":[");
        let mut page = first;
        let mut sent = 0usize;
        let mut comma = false;
        loop {
            let done = render_page(
                &lg,
                &l,
                &asns,
                now,
                &page.routes,
                &mut sent,
                &mut comma,
                &mut text,
            );
            if tx
                .send(Bytes::from(std::mem::take(&mut text)))
                .await
                .is_err()
            {
                return;
            }
            let Some(next) = page.next.filter(|_| !done) else {
                break;
            };
            page = match lg
                .handle
                .route_page(l.query.clone(), l.keep.clone(), next, PAGE)
                .await
            {
                Ok(p) => p,
                // The neighbor went away mid-listing: end the list cleanly.
                Err(_) => break,
            };
        }
        let _ = tx.send(Bytes::from_static(b"]}")).await;
    });
    let body = Body::from_stream(ReceiverStream::new(rx).map(Ok::<_, Infallible>));
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Appends a page's routes; true once the limit is reached.
#[allow(clippy::too_many_arguments)]
fn render_page(
    lg: &Lg,
    l: &Listing,
    asns: &HashMap<IpAddr, u32>,
    now: SystemTime,
    routes: &[RouteEntry],
    sent: &mut usize,
    comma: &mut bool,
    out: &mut String,
) -> bool {
    let asn_of = |a: IpAddr| asns.get(&a).copied();
    let reasons = lg.reasons();
    for e in routes.iter().filter(|e| e.best || !l.best_only) {
        if l.limit.is_some_and(|n| *sent >= n) {
            return true;
        }
        if *comma {
            out.push(',');
        }
        *comma = true;
        let v = render::route(e, now, &asn_of, l.reasons.then_some(&reasons));
        out.push_str(&v.to_string());
        *sent += 1;
    }
    l.limit.is_some_and(|n| *sent >= n)
}
