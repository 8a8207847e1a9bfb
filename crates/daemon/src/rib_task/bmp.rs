//! BMP taps: what each attached BMP station hears of (the station's task,
//! `crate::bmp`, encodes and sends it). A station attaches with the views
//! it wants and gets the current state of each as one snapshot, taken
//! between two messages of this task, then every change in this task's
//! order. Events collect while one message is handled and leave in one
//! batch per station, never waiting: a station whose queue is past its
//! limit is dropped, and its task resets the connection and attaches
//! again (a resync), so a slow station never slows BGP.

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rbgp_rib::Attrs;
use rbgp_wire::{AfiSafi, Context, Nlri, NlriEntry};
use rustc_hash::FxHashMap;

use super::{ctx, out, RibTask};
use crate::runs::Runs;
use crate::tasks::{BmpEvent, BmpSink, BmpSnapshot, BmpViews, Export};

/// Two refreshes for attaching stations closer than this: the peer's
/// pre-policy table is kept from then on (see `bmp_attach`).
const BMP_REFRESH_KEEP: std::time::Duration = std::time::Duration::from_secs(600);

/// Batches wait while the RIB task has more messages queued, up to this
/// many routes or this long after the first: under a full table's load one
/// wake-up of the stations' thread per few thousand routes, not one per
/// message (18,000 a second in case m, a fifth of that thread's time
/// switching).
const SEND_AT: usize = 8192;
const SEND_AFTER: std::time::Duration = std::time::Duration::from_millis(20);

/// The attached stations.
#[derive(Default)]
pub struct Taps {
    taps: Vec<Tap>,
    /// Routes (events) in the batches, and since when.
    pending: usize,
    since: Option<std::time::Instant>,
    /// What any station wants.
    want: BmpViews,
    /// No station wants the Adj-RIB-Out pre-policy any more since this
    /// was last taken.
    out_pre_dropped: bool,
}

struct Tap {
    sink: BmpSink,
    batch: Vec<BmpEvent>,
    /// The batch's events routes are still added to: the last
    /// post-policy event (of one peer) and the Loc-RIB one.
    open_post: Option<usize>,
    open_best: Option<usize>,
}

impl Tap {
    /// One route of a post-policy (`peer`) or the Loc-RIB view, added to
    /// the open event of its kind when there is one.
    fn add_route(
        &mut self,
        peer: Option<IpAddr>,
        family: AfiSafi,
        attrs: Option<&Arc<Attrs>>,
        entry: NlriEntry,
    ) {
        let open = match peer {
            Some(_) => self.open_post,
            None => self.open_best,
        };
        match (open.and_then(|i| self.batch.get_mut(i)), peer) {
            (Some(BmpEvent::Accepted(a, v)), Some(p)) if *a == p => v.push(family, attrs, entry),
            (Some(BmpEvent::Best(v)), None) => v.push(family, attrs, entry),
            (_, Some(p)) => {
                self.open_post = Some(self.batch.len());
                let mut v = Runs::default();
                v.push(family, attrs, entry);
                self.batch.push(BmpEvent::Accepted(p, v));
            }
            (_, None) => {
                self.open_best = Some(self.batch.len());
                let mut v = Runs::default();
                v.push(family, attrs, entry);
                self.batch.push(BmpEvent::Best(v));
            }
        }
    }

    fn push(&mut self, ev: BmpEvent, session: bool) {
        if session {
            self.open_post = None;
            self.open_best = None;
        }
        self.batch.push(ev);
    }
}

impl Taps {
    pub fn wants(&self) -> BmpViews {
        self.want
    }

    /// Whether the peers' Adj-RIB-Out pre-policy can be let go: the last
    /// station that wanted it left.
    pub fn take_out_pre_dropped(&mut self) -> bool {
        // A station that asks for it may have attached since.
        std::mem::take(&mut self.out_pre_dropped) && !self.want.out_pre
    }

    /// Tell every station that wants `view` of `ev`. A session event
    /// closes the open route events: routes after it come after it.
    pub fn emit(&mut self, view: fn(&BmpViews) -> bool, ev: BmpEvent) {
        let session = matches!(ev, BmpEvent::PeerUp(..) | BmpEvent::PeerDown(..));
        if self.taps.iter().any(|t| view(&t.sink.views)) {
            self.pend(ev.weight());
        }
        if let Some((last, rest)) = self.taps.split_last_mut() {
            for t in rest.iter_mut().filter(|t| view(&t.sink.views)) {
                t.push(ev.clone(), session);
            }
            if view(&last.sink.views) {
                last.push(ev, session);
            }
        }
    }

    /// Tell every station that wants `view` of one route: Loc-RIB
    /// (`peer: None`) or a peer's post-policy view, added to the last
    /// event when it is of the same kind and peer (one Route Monitoring
    /// then carries many NLRI); `attrs: None` withdraws it.
    pub fn route(
        &mut self,
        view: fn(&BmpViews) -> bool,
        peer: Option<IpAddr>,
        (family, attrs): (AfiSafi, Option<&Arc<Attrs>>),
        entry: NlriEntry,
    ) {
        // The last station that wants it takes `entry` itself: most often
        // there is one.
        let mut wanting = self.taps.iter_mut().filter(|t| view(&t.sink.views));
        let mut t = match wanting.next() {
            Some(t) => t,
            None => return,
        };
        for next in wanting {
            t.add_route(peer, family, attrs, entry.clone());
            t = next;
        }
        t.add_route(peer, family, attrs, entry);
        self.pend(1);
    }

    fn pend(&mut self, n: usize) {
        self.pending += n;
        if self.since.is_none() {
            self.since = Some(std::time::Instant::now());
        }
    }

    /// Hand each station its batch, unless `more` messages wait for the
    /// RIB task and the batches are small and young (`SEND_AT`); drop
    /// stations past their limit or gone.
    pub fn send(&mut self, more: bool) {
        if self.taps.iter().all(|t| t.batch.is_empty()) {
            return;
        }
        if more && self.pending < SEND_AT && self.since.is_some_and(|t| t.elapsed() < SEND_AFTER) {
            return;
        }
        self.pending = 0;
        self.since = None;
        let before = self.taps.len();
        self.taps.retain_mut(|t| {
            if t.batch.is_empty() {
                return !t.sink.tx.is_closed();
            }
            let n: usize = t.batch.iter().map(BmpEvent::weight).sum();
            let queued = t.sink.queued.fetch_add(n, Ordering::Relaxed) + n;
            if queued > t.sink.limit {
                tracing::warn!(
                    queued,
                    limit = t.sink.limit,
                    "BMP station too slow: resetting it"
                );
                return false;
            }
            t.open_post = None;
            t.open_best = None;
            t.sink.tx.try_send(std::mem::take(&mut t.batch)).is_ok()
        });
        if self.taps.len() != before {
            self.recompute();
        }
    }

    fn recompute(&mut self) {
        let had = self.want.out_pre;
        self.want = self.taps.iter().fold(BmpViews::default(), |a, t| BmpViews {
            pre: a.pre || t.sink.views.pre,
            post: a.post || t.sink.views.post,
            loc_rib: a.loc_rib || t.sink.views.loc_rib,
            out: a.out || t.sink.views.out,
            out_pre: a.out_pre || t.sink.views.out_pre,
            received: a.received || t.sink.views.received,
        });
        self.out_pre_dropped |= had && !self.want.out_pre;
    }
}

/// The export of one path as a BMP view shows it.
fn export(
    ctx: &Context,
    family: AfiSafi,
    nlri: Nlri,
    path_id: u32,
    attrs: Option<Arc<Attrs>>,
) -> Export {
    let NlriEntry { path_id, nlri } = entry(ctx, family, nlri, path_id);
    Export {
        family,
        nlri,
        path_id,
        attrs,
    }
}

/// One path's NLRI as a BMP view shows it: the path id only where the
/// session's encoding carries one.
fn entry(ctx: &Context, family: AfiSafi, nlri: Nlri, path_id: u32) -> NlriEntry {
    NlriEntry {
        path_id: ctx.add_path(family).then_some(path_id),
        nlri,
    }
}

impl RibTask {
    /// A station attaches: the snapshot of its views, then its changes.
    pub(super) fn bmp_attach(&mut self, sink: BmpSink) -> BmpSnapshot {
        // The snapshot is taken in this one call: its time is a pause of
        // the RIB task, logged so that an operator sees what a station
        // attaching costs at their table size.
        let t0 = std::time::Instant::now();
        let v = sink.views;
        let mut snap = BmpSnapshot {
            local: Some(self.local.clone()),
            ..BmpSnapshot::default()
        };
        for (addr, p) in &mut self.peers {
            if p.out.is_none() {
                continue;
            }
            snap.peers.push((*addr, Arc::clone(&p.session)));
            if !v.pre {
                continue;
            }
            match &p.pre {
                Some(pre) => {
                    let rx = &p.session.rx;
                    let routes = pre
                        .iter()
                        .map(|((f, n, id), a)| export(rx, *f, n.clone(), *id, Some(Arc::clone(a))))
                        .collect();
                    snap.pre.push((*addr, routes));
                }
                // Nothing kept: the peer sends its routes again (RFC 2918)
                // and the station gets them as received. Keeping every
                // neighbor's table for a station that may reconnect cost a
                // third of the RIB task's time and 110 MiB per million
                // routes (case m); keep_pre_policy keeps it. A station
                // that attaches again soon (it fell behind, or restarts)
                // would have every neighbor send its table each time:
                // after a second refresh within BMP_REFRESH_KEEP the table
                // is kept from then on.
                // A refresh asked for already (another station attaching
                // just before, a policy change) has not begun: its answer
                // reaches this station too.
                None if p.refresh_coming => {}
                None if p.route_refresh => {
                    let now = std::time::Instant::now();
                    if p.bmp_refreshed
                        .is_some_and(|t| now.duration_since(t) < BMP_REFRESH_KEEP)
                    {
                        p.pre = Some(FxHashMap::default());
                        tracing::info!(%addr, "BMP stations attach often: keeping the pre-policy routes from now on");
                    }
                    p.bmp_refreshed = Some(now);
                    p.ask_refresh();
                }
                None => {
                    // It cannot: keep from now on, for the next station.
                    p.pre = Some(FxHashMap::default());
                    tracing::warn!(%addr, "BMP pre-policy: the peer cannot refresh; its routes show as they change");
                }
            }
        }
        if v.post || v.loc_rib {
            let mut post: FxHashMap<IpAddr, Vec<Export>> = FxHashMap::default();
            for r in self.rib.iter() {
                let (f, nlri) = (r.family(), r.nlri());
                if v.loc_rib {
                    if let Some(b) = r.best() {
                        snap.best.push(Export {
                            family: f,
                            nlri: nlri.clone(),
                            path_id: None,
                            attrs: Some(Arc::clone(&b.attrs)),
                        });
                    }
                }
                if !v.post {
                    continue;
                }
                for path in r.paths().iter().filter(|p| p.peer != self.local_id) {
                    let Some(addr) = self.by_id.get(&path.peer) else {
                        continue;
                    };
                    let Some(p) = self.peers.get(addr).filter(|p| p.out.is_some()) else {
                        continue;
                    };
                    post.entry(*addr).or_default().push(export(
                        &p.session.rx,
                        f,
                        nlri.clone(),
                        path.path_id,
                        Some(Arc::clone(&path.attrs)),
                    ));
                }
            }
            snap.post = post.into_iter().collect();
        }
        if v.out || v.out_pre {
            let cx = ctx!(self);
            for (addr, p) in &mut self.peers {
                let tx = &p.session.tx;
                let Some(o) = p.out.as_mut() else {
                    continue;
                };
                let exports = |routes: Vec<out::OutRoute>| -> Vec<Export> {
                    routes
                        .into_iter()
                        .map(|r| export(tx, r.family, r.nlri, r.path_id, Some(r.attrs)))
                        .collect()
                };
                if v.out {
                    snap.out.push((*addr, exports(o.adj_rib_out(&cx, None))));
                }
                if v.out_pre {
                    snap.out_pre.push((*addr, exports(o.track_offered(cx.rib))));
                }
            }
        }
        self.bmp.taps.push(Tap {
            sink,
            batch: Vec::new(),
            open_post: None,
            open_best: None,
        });
        self.bmp.recompute();
        tracing::info!(
            peers = snap.peers.len(),
            best = snap.best.len(),
            snapshot_ms = t0.elapsed().as_millis() as u64,
            "BMP station attached"
        );
        snap
    }

    /// Import's verdict on one path of the peer at `addr`, for the
    /// post-policy view.
    pub(super) fn bmp_accepted(
        &mut self,
        addr: IpAddr,
        (f, nlri, path_id): (AfiSafi, &Nlri, u32),
        attrs: Option<&Arc<Attrs>>,
    ) {
        // A peer that is down (restarting) was taken out of the views at
        // its Peer Down (RFC 7854 §4.9).
        let Some(p) = self.peers.get(&addr).filter(|p| p.out.is_some()) else {
            return;
        };
        let e = entry(&p.session.rx, f, nlri.clone(), path_id);
        self.bmp.route(|v| v.post, Some(addr), (f, attrs), e);
    }
}
