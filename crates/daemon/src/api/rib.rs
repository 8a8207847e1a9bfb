//! RibService: table listings in chunks, best-path explanations, and a
//! route watch that reports lag instead of buffering without bound.

use rbgp_api::convert;
use rbgp_api::v1::rib_service_server::RibService;
use rbgp_api::v1::*;
use rbgp_api::FieldError;
use rbgp_wire::{AfiSafi, Nlri, Prefix};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{status, RpcStream, Service};
use crate::control::{step_name, PrefixMatch, RibQuery, RouteEntry};

/// Routes per streamed message: large enough to amortise framing, small
/// enough to keep messages far below gRPC's 4 MiB default.
const CHUNK: usize = 1000;

fn prefix_match(f: Option<&PrefixFilter>) -> Result<PrefixMatch, FieldError> {
    let Some(f) = f else {
        return Ok(PrefixMatch::All);
    };
    let at = "filter.prefix";
    // Longest match also takes a bare address.
    let p: Prefix = match f.prefix.parse::<std::net::IpAddr>() {
        Ok(a) => Prefix::new(a, if a.is_ipv4() { 32 } else { 128 })
            .ok_or_else(|| FieldError::new(at, "bad address"))?,
        Err(_) => convert::prefix_from_proto(&f.prefix, at)?,
    };
    Ok(match prefix_filter::Match::try_from(f.r#match) {
        Ok(prefix_filter::Match::Exact) => PrefixMatch::Exact(p),
        Ok(prefix_filter::Match::Longest) => PrefixMatch::LongestMatch(p),
        Ok(prefix_filter::Match::MoreSpecifics) => PrefixMatch::MoreSpecifics(p),
        Err(_) => {
            return Err(FieldError::new(
                "filter.match",
                format!("unknown value {}", f.r#match),
            ))
        }
    })
}

fn matches(m: &PrefixMatch, nlri: &Nlri) -> bool {
    let Nlri::Prefix(p) = nlri else {
        return matches!(m, PrefixMatch::All);
    };
    match m {
        PrefixMatch::All => true,
        PrefixMatch::Exact(q) => p == q,
        // A watch cannot know the longest match ahead: covering routes.
        PrefixMatch::LongestMatch(q) | PrefixMatch::Covering(q) => p.contains(q),
        PrefixMatch::MoreSpecifics(q) => q.contains(p),
    }
}

/// Chunks of an answer waiting for the client (plus the slot kept for the
/// status, see `slow.rs`).
const CHUNKS_AHEAD: usize = 4;

/// Streams `items` in chunks from a task, so a slow reader holds back the
/// task (bounded channel) rather than filling memory with messages. A
/// client that reads nothing for `slow::SLOW` while the chunks wait gets
/// RESOURCE_EXHAUSTED, and the answer's copy is let go (as the watches).
fn chunked<T: Send + 'static>(
    items: Vec<RouteEntry>,
    make: impl Fn(Vec<Route>, bool) -> T + Send + 'static,
) -> RpcStream<T> {
    let (tx, rx) = mpsc::channel(CHUNKS_AHEAD + 1);
    tokio::spawn(async move {
        let n = items.chunks(CHUNK).count();
        for (i, c) in items.chunks(CHUNK).enumerate() {
            let routes = c.iter().map(super::status::route).collect();
            if !super::slow::send(&tx, make(routes, i + 1 == n)).await {
                return;
            }
        }
    });
    Box::pin(ReceiverStream::new(rx))
}

/// A Loc-RIB or Adj-RIB-In listing read from the RIB task a page at a
/// time as the client takes it (`RibTask::page`), so the answer is never
/// held whole, whatever the table's size; it sees changes made while it
/// runs. `from`: the route to start at, a previous answer's
/// `next_page_token`; `page_size` 0: to the end.
fn paged(
    handle: crate::handle::Handle,
    query: RibQuery,
    best_only: bool,
    from: u32,
    page_size: u32,
) -> RpcStream<ListRoutesResponse> {
    let (tx, rx) = mpsc::channel(CHUNKS_AHEAD + 1);
    tokio::spawn(async move {
        let cap = if page_size == 0 {
            usize::MAX
        } else {
            page_size as usize
        };
        let (mut from, mut sent) = (from, 0usize);
        loop {
            let want = CHUNK.min(cap - sent);
            let page = match handle
                .route_page(query.clone(), Vec::new(), from, want)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send(Err(status(e))).await;
                    return;
                }
            };
            let mut routes = page.routes;
            if best_only {
                routes.retain(|e| e.best);
            }
            // A route's paths are not split: one that does not fit in
            // what is left of page_size ends this answer and starts the
            // next (alone, when it has more paths than page_size).
            if sent > 0 && routes.len() > want {
                let msg = ListRoutesResponse {
                    routes: Vec::new(),
                    next_page_token: from.to_string(),
                };
                let _ = super::slow::send(&tx, msg).await;
                return;
            }
            sent += routes.len();
            let (last, token) = match page.next {
                None => (true, String::new()),
                Some(n) if sent >= cap => (true, n.to_string()),
                Some(n) => {
                    from = n;
                    (false, String::new())
                }
            };
            // A page of routes filtered out: on to the next.
            if routes.is_empty() && !last {
                continue;
            }
            let msg = ListRoutesResponse {
                routes: routes.iter().map(super::status::route).collect(),
                next_page_token: token,
            };
            if !super::slow::send(&tx, msg).await || last {
                return;
            }
        }
    });
    Box::pin(ReceiverStream::new(rx))
}

fn token(t: &str) -> Result<u32, FieldError> {
    if t.is_empty() {
        return Ok(0);
    }
    t.parse()
        .map_err(|_| FieldError::new("page_token", "not a token from a previous response"))
}

#[tonic::async_trait]
impl RibService for Service {
    type ListRoutesStream = RpcStream<ListRoutesResponse>;

    async fn list_routes(
        &self,
        req: Request<ListRoutesRequest>,
    ) -> Result<Response<Self::ListRoutesStream>, Status> {
        use crate::control::Table as T;
        let r = req.into_inner();
        let neighbor = || convert::parse_ip(&r.neighbor, "neighbor");
        let table = match Table::try_from(r.table) {
            Ok(Table::LocRib) => T::Loc,
            Ok(Table::AdjRibInPost) => T::AdjIn(neighbor()?),
            Ok(Table::AdjRibOut) => T::AdjOut(neighbor()?),
            Ok(Table::AdjRibInPre) => T::AdjInPre(neighbor()?),
            Ok(Table::AdjRibInFiltered) => T::Filtered(neighbor()?),
            Ok(Table::AdjRibOutPre) => T::AdjOutPre(neighbor()?),
            Err(_) => {
                return Err(FieldError::new("table", format!("unknown value {}", r.table)).into())
            }
        };
        let family = convert::family_from_proto(r.family.as_ref(), "family")?
            .unwrap_or(AfiSafi::IPV4_UNICAST);
        let prefix = prefix_match(r.filter.as_ref())?;
        // The large tables are scanned a page at a time (`paged`); the
        // others are built whole (each at most one neighbor's routes).
        let scanned = matches!(table, T::Loc | T::AdjIn(_))
            && !matches!(prefix, PrefixMatch::LongestMatch(_));
        if scanned {
            let query = RibQuery {
                table,
                family: Some(family),
                prefix,
            };
            let from = token(&r.page_token)?;
            return Ok(Response::new(paged(
                self.inner.handle.clone(),
                query,
                r.best_only,
                from,
                r.page_size,
            )));
        }
        let mut routes = self
            .inner
            .handle
            .routes(RibQuery {
                table,
                family: Some(family),
                prefix,
            })
            .await
            .map_err(status)?;
        if r.best_only {
            routes.retain(|e| e.best);
        }
        // Paging by offset: consistent while the table does not change.
        let start = token(&r.page_token)? as usize;
        let mut page: Vec<RouteEntry> = routes.into_iter().skip(start).collect();
        let mut next = String::new();
        if r.page_size > 0 && page.len() > r.page_size as usize {
            page.truncate(r.page_size as usize);
            next = (start + page.len()).to_string();
        }
        if page.is_empty() {
            let last = ListRoutesResponse {
                routes: Vec::new(),
                next_page_token: next,
            };
            return Ok(Response::new(Box::pin(tokio_stream::iter([Ok(last)]))));
        }
        Ok(Response::new(chunked(page, move |routes, last| {
            ListRoutesResponse {
                routes,
                next_page_token: if last { next.clone() } else { String::new() },
            }
        })))
    }

    async fn explain_best_path(
        &self,
        req: Request<ExplainBestPathRequest>,
    ) -> Result<Response<ExplainBestPathResponse>, Status> {
        let r = req.into_inner();
        let prefix = convert::prefix_from_proto(&r.prefix, "prefix")?;
        let family = convert::family_from_proto(r.family.as_ref(), "family")?.unwrap_or(
            if prefix.is_ipv4() {
                AfiSafi::IPV4_UNICAST
            } else {
                AfiSafi::IPV6_UNICAST
            },
        );
        let Some(e) = self
            .inner
            .handle
            .explain(family, Nlri::Prefix(prefix))
            .await
            .map_err(status)?
        else {
            return Err(Status::not_found(format!("no path for {prefix}")));
        };
        let candidates = e
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let lost = e.explanation.decisions.iter().find(|d| d.loser == i);
                Candidate {
                    route: Some(super::status::route(c)),
                    best: i == e.explanation.best,
                    lost_at: lost
                        .map(|d| step_name(d.step).to_string())
                        .unwrap_or_default(),
                    reason: lost
                        .map(|d| format!("lost to candidate {} at {}", d.winner, step_name(d.step)))
                        .unwrap_or_default(),
                    policy_trace: e
                        .policy
                        .get(i)
                        .and_then(|t| t.as_ref())
                        .map(|t| t.steps.iter().map(trace_step).collect())
                        .unwrap_or_default(),
                    policy_decided_by: e
                        .policy
                        .get(i)
                        .and_then(|t| t.as_ref())
                        .map(|t| t.decided_by.clone())
                        .unwrap_or_default(),
                }
            })
            .collect();
        Ok(Response::new(ExplainBestPathResponse { candidates }))
    }

    type WatchRoutesStream = RpcStream<WatchRoutesResponse>;

    async fn watch_routes(
        &self,
        req: Request<WatchRoutesRequest>,
    ) -> Result<Response<Self::WatchRoutesStream>, Status> {
        let r = req.into_inner();
        let family = convert::family_from_proto(r.family.as_ref(), "family")?;
        let filter = prefix_match(r.filter.as_ref())?;
        // Without a snapshot none is copied; with one, it is let go once
        // sent (a copy of every best path must not live as long as the
        // stream).
        let (snapshot, mut rx) = if r.skip_snapshot {
            let rx = self.inner.handle.route_changes().await.map_err(status)?;
            (Vec::new(), rx)
        } else {
            self.inner.handle.watch_routes().await.map_err(status)?
        };
        let keep = move |f: AfiSafi, n: &Nlri| family.is_none_or(|x| x == f) && matches(&filter, n);
        let (tx, out) = super::slow::channel();
        let ev = |e| WatchRoutesResponse { event: Some(e) };
        tokio::spawn(async move {
            for e in snapshot.into_iter().filter(|e| keep(e.family, &e.nlri)) {
                let c = RouteChange {
                    route: Some(super::status::route(&e)),
                    withdrawn: false,
                };
                if !super::slow::send(&tx, ev(watch_routes_response::Event::Change(c))).await {
                    return;
                }
            }
            let end = ev(watch_routes_response::Event::EndOfSnapshot(
                EndOfSnapshot {},
            ));
            if !super::slow::send(&tx, end).await {
                return;
            }
            loop {
                let msg = match rx.recv().await {
                    Ok(e) if !keep(e.family, &e.nlri) => continue,
                    Ok(e) => {
                        let (route, withdrawn) = match &e.best {
                            Some(b) => (super::status::route(b), false),
                            None => (
                                Route {
                                    family: Some(convert::family_to_proto(e.family)),
                                    path: Some(Path {
                                        prefix: e.nlri.to_string(),
                                        ..Default::default()
                                    }),
                                    ..Default::default()
                                },
                                true,
                            ),
                        };
                        watch_routes_response::Event::Change(RouteChange {
                            route: Some(route),
                            withdrawn,
                        })
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        watch_routes_response::Event::Lagged(Lagged { missed: n })
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if !super::slow::send(&tx, ev(msg)).await {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(out))))
    }
}

/// A policy trace step as a message.
pub(super) fn trace_step(s: &rbgp_policy::Step) -> TraceStep {
    TraceStep {
        policy: s.policy.clone(),
        term: s.term.clone().unwrap_or_default(),
        matched: s.matched,
        changes: s.changes.clone(),
        result: rbgp_api::convert::policy::disposition_to_proto(s.result),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;

    use tokio_stream::StreamExt as _;

    use super::*;
    use crate::control::Origin;

    fn entries(n: usize) -> Vec<RouteEntry> {
        (0..n)
            .map(|i| RouteEntry {
                family: AfiSafi::IPV4_UNICAST,
                nlri: Nlri::Prefix(format!("10.{}.{}.0/24", i / 256, i % 256).parse().unwrap()),
                path_id: 0,
                source: Origin::Local,
                attrs: Arc::new(rbgp_rib::Attrs::default()),
                best: true,
                stale: false,
                age: 0,
                reason: None,
                reason_key: None,
                validation: None,
            })
            .collect()
    }

    /// A ListRoutes client that stops reading: a few chunks wait, then it
    /// is told RESOURCE_EXHAUSTED and the answer is dropped.
    #[tokio::test(start_paused = true)]
    async fn a_list_reader_that_stops_is_ended() {
        let mut s = chunked(entries(20 * CHUNK), |routes, last| (routes.len(), last));
        tokio::time::sleep(super::super::slow::SLOW * 2).await;
        let mut chunks = 0;
        let mut ended = None;
        while let Some(m) = s.next().await {
            match m {
                Ok(_) => chunks += 1,
                Err(e) => ended = Some(e.code()),
            }
        }
        assert!(chunks <= CHUNKS_AHEAD, "{chunks} chunks waited");
        assert_eq!(ended, Some(tonic::Code::ResourceExhausted));
    }

    /// One that reads gets the whole answer, the last chunk marked.
    #[tokio::test]
    async fn a_list_reader_gets_every_chunk() {
        let mut s = chunked(entries(20 * CHUNK + 7), |routes, last| (routes.len(), last));
        let mut got = Vec::new();
        while let Some(m) = s.next().await {
            got.push(m.unwrap());
        }
        assert_eq!(got.len(), 21);
        assert_eq!(got.iter().map(|(n, _)| n).sum::<usize>(), 20 * CHUNK + 7);
        assert_eq!(got.last(), Some(&(7, true)));
        assert!(got[..20].iter().all(|(_, last)| !last));
    }
}
