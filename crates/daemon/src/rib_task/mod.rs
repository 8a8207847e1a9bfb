//! The one owner of routing state. Peer tasks send it what they receive,
//! the control handle sends it injections and queries (every message is a
//! [`RibMsg`], see [`crate::tasks`]); it selects best paths and keeps every
//! peer's Adj-RIB-Out ([`out::Out`]), flushed as fast as each peer drains
//! it. [`RibTask`] is that owner; its `impl` is split by concern:
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | the task loop, message dispatch, a change offered to every Adj-RIB-Out, flushing, releasing slots |
//! | `import.rs` | received UPDATEs: pre-policy table, built-in import rules, import policy, filtered paths and why, treat-as-withdraw, max-prefix, duplicate and treat-as-withdraw counters (BMP statistics) |
//! | `policy.rs` | each peer's import/export chains as gates, policy changes applied without a session reset |
//! | `lifecycle.rs` | a peer's session up (initial table, End-of-RIB) and down (retained or forgotten) |
//! | `retention.rs` | graceful restart / LLGR timers ran out: sweep, long-lived stale, forget (`gr.rs`: the per-peer timers) |
//! | `refresh.rs` | ROUTE-REFRESH from a peer (RFC 2918/7313), soft reset out |
//! | `inject.rs` | routes originated by the config file and the API |
//! | `rpki.rs` | RPKI states of received paths, revalidation when the data changes |
//! | `bmp.rs` | BMP stations: a snapshot of the views each wants, then its changes |
//! | `mrt.rs` | MRT table dumps: the sources, the routes a piece at a time |
//! | `query.rs` | answers: RIB queries, explanations, counters, sizes, route watching |
//! | `out.rs`, `adv.rs`, `bits.rs` | each peer's Adj-RIB-Out: dirty routes, what was advertised, ADD-PATH |
//! | `offered.rs` | each peer's Adj-RIB-Out pre-policy (RFC 8671), kept while a BMP station asks for it |
//! | `sent.rs` | what both Adj-RIB-Out views hold per ADD-PATH route, and their diff |

mod adv;
mod bits;
mod bmp;
mod exported;
mod gr;
mod import;
mod inject;
mod journal;
mod lifecycle;
mod mrt;
mod offered;
mod out;
mod policy;
mod query;
mod refresh;
mod retention;
mod rpki;
mod sent;

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_policy::Policies;
use rbgp_rib::rules::{Local, PeerRules};
use rbgp_rib::{Attrs, Change, Interner, PeerId, PeerInfo, Rib, SelectionOptions};
use rbgp_wire::{AfiSafi, Nlri, NlriEntry};
use rustc_hash::FxHashMap;
use tokio::sync::{broadcast, mpsc, Notify};

use crate::control::LocalRoute;
use crate::metrics::Histogram;
use crate::runs::Runs;
use crate::tasks::{BmpEvent, Received, RibMsg, RouteEvent, SessionInfo, WATCH};

/// The read-only context an Adj-RIB-Out export needs, from the task's
/// fields (a macro, so the peers can be borrowed mutably beside it).
macro_rules! ctx {
    ($s:expr) => {
        out::Ctx {
            rib: &$s.rib,
            local: &$s.local,
            local_id: $s.local_id,
            sources: &$s.sources,
            origins: &$s.origins,
            ov_community: $s.rpki.community,
            exported: &$s.exported,
            journal: &$s.journal,
        }
    };
}
use ctx;

/// UPDATEs after which attribute sets no route uses any more are let go.
const COLLECT_EVERY: usize = 100_000;
/// Or sooner: once sets of this many bytes (or as many as the last
/// collection kept, if more) were added (`Interner::due`).
const COLLECT_FLOOR: usize = 16 << 20;

/// A peer the RIB knows: up, or restarting with stale routes.
struct PeerState {
    id: PeerId,
    max_prefixes: Option<u32>,
    /// Past `max_prefixes` only a warning (the session stays up).
    max_warning_only: bool,
    /// The peer task was told this session (once is enough).
    max_told: bool,
    enhanced_refresh: bool,
    /// Up: its Adj-RIB-Out. `None` while it restarts gracefully.
    out: Option<out::Out>,
    /// Paths the peer announces that import rejected, and why (they count
    /// as received, not accepted).
    rejected: FxHashMap<(AfiSafi, Nlri, u32), import::Filtered>,
    /// Keep the attributes of rejected paths (`keep_filtered`).
    keep_filtered: bool,
    /// Its import policy, per family.
    import: policy::Gates,
    /// The generation of the import its peer task was last given
    /// (`stage.rs`): results of another are not used.
    stage_gen: u64,
    /// RFC 2918 negotiated.
    route_refresh: bool,
    /// The pre-policy Adj-RIB-In, when the neighbor keeps it.
    pre: Option<FxHashMap<(AfiSafi, Nlri, u32), Arc<Attrs>>>,
    /// When a BMP station attaching last asked the peer for its routes
    /// again (see `bmp_attach`).
    bmp_refreshed: Option<std::time::Instant>,
    /// A refresh was asked of the peer task and its answer has not begun
    /// (`refresh.rs`): a station attaching now sees all of it.
    refresh_coming: bool,
    /// A refresh we asked for, while the peer re-sends (`refresh.rs`).
    solicited: Option<refresh::Solicited>,
    gr: gr::Restart,
    /// How the session came up (BMP Peer Up, encodings).
    session: Arc<SessionInfo>,
    /// Duplicates and treat-as-withdraw seen (BMP statistics).
    counters: crate::control::ImportCounters,
    /// Families disabled on this session (RFC 7606 AFI/SAFI disable):
    /// what the peer sends of them is ignored until the session restarts.
    disabled: Vec<AfiSafi>,
}

/// The RIB task's state: the RIB, the peers it knows and their
/// Adj-RIB-Outs.
pub struct RibTask {
    local: Local,
    rib: Rib,
    interner: Interner,
    /// What the export rules made of the interned sets, per export class.
    exported: exported::ExportedSets,
    /// Routes whose best path changed, read by every Adj-RIB-Out.
    journal: journal::Journal,
    /// Some peer is sent several paths per prefix (ADD-PATH): changes of
    /// paths other than the best are marked for it.
    add_path_outs: bool,
    /// [`JOURNAL_MAX`] and [`JOURNAL_MIN`], smaller in tests.
    journal_max: usize,
    /// [`COLLECT_FLOOR`], smaller in tests.
    collect_floor: usize,
    /// Set while `reimport` runs import again on a restarting peer's
    /// stale path (`retention.rs`).
    restale: Option<retention::Restale>,
    journal_min: usize,
    local_id: PeerId,
    peers: FxHashMap<IpAddr, PeerState>,
    /// Rules of each source peer by RIB id (export needs them per route).
    sources: FxHashMap<PeerId, Arc<PeerRules>>,
    by_id: FxHashMap<PeerId, IpAddr>,
    watch: broadcast::Sender<RouteEvent>,
    /// UPDATEs since attribute sets no longer used were last let go.
    updates_since_collect: usize,
    /// Emptied RIB slots to wait for before the next release pass.
    release_at: usize,
    /// UPDATE received by a peer task -> applied here (metrics).
    latency: Arc<Histogram>,
    /// The compiled policy definitions.
    policies: Arc<Policies>,
    /// Each configured neighbor's chains.
    specs: policy::Specs,
    /// Where each source peer's routes come from, as policy sees it.
    origins: FxHashMap<PeerId, policy::Origin>,
    /// Start of the RIB's clock (path ages).
    started: std::time::Instant,
    /// RPKI data paths are validated against.
    rpki: rpki::RpkiTable,
    /// Attached BMP stations.
    bmp: bmp::Taps,
    /// The last generation of import given to a peer task.
    stage_gen: u64,
}

impl RibTask {
    pub fn new(local: Local, latency: Arc<Histogram>, policies: Arc<Policies>) -> Self {
        let mut rib = Rib::new(SelectionOptions::default());
        let local_id = rib.add_peer(PeerInfo::local(local.asn, local.router_id));
        let (watch, _) = broadcast::channel(WATCH);
        RibTask {
            local,
            rib,
            interner: Interner::new(),
            exported: Default::default(),
            journal: Default::default(),
            add_path_outs: false,
            journal_max: JOURNAL_MAX,
            collect_floor: COLLECT_FLOOR,
            restale: None,
            journal_min: JOURNAL_MIN,
            local_id,
            peers: FxHashMap::default(),
            sources: FxHashMap::default(),
            by_id: FxHashMap::default(),
            watch,
            updates_since_collect: 0,
            release_at: 0,
            latency,
            started: std::time::Instant::now(),
            policies,
            specs: policy::Specs::default(),
            origins: FxHashMap::default(),
            rpki: rpki::RpkiTable::default(),
            bmp: bmp::Taps::default(),
            stage_gen: 0,
        }
    }

    /// A route changed: peers whose export of it may differ recompute it,
    /// and watchers hear of a new best.
    pub(super) fn apply(&mut self, c: Change) {
        let route = self.rib.route(c.id);
        let best_peer = route.and_then(|r| r.best()).map(|p| p.peer);
        if c.best {
            self.journal.push(journal::Change {
                id: c.id,
                family: c.family,
                best: best_peer,
            });
        }
        if self.add_path_outs {
            for p in self.peers.values_mut() {
                if let Some(o) = p.out.as_mut().filter(|o| o.sends_all_paths(c.family)) {
                    o.offer(&c, best_peer);
                }
            }
        }
        if c.best && self.bmp.wants().loc_rib {
            if let Some(r) = route {
                let entry = NlriEntry {
                    path_id: None,
                    nlri: r.nlri(),
                };
                let attrs = r.best().map(|p| &p.attrs);
                self.bmp
                    .route(|v| v.loc_rib, None, (c.family, attrs), entry);
            }
        }
        if c.best && self.watch.receiver_count() > 0 {
            if let Some(r) = route {
                let nlri = r.nlri();
                let best = r.best().map(|p| self.entry(c.family, &nlri, p, true));
                let _ = self.watch.send(RouteEvent {
                    family: c.family,
                    nlri,
                    best,
                });
            }
        }
    }

    pub(super) fn update(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
        a: Arc<Attrs>,
    ) {
        let c = self.rib.update(peer, family, nlri, path_id, a);
        self.apply(c);
    }

    /// Withdraw a path; whether there was one.
    pub(super) fn withdraw(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
    ) -> bool {
        match self.rib.withdraw(peer, family, nlri, path_id) {
            Some(c) => {
                self.apply(c);
                true
            }
            None => false,
        }
    }

    pub(super) fn changes(&mut self, cs: Vec<Change>) {
        for c in cs {
            self.apply(c);
        }
    }

    /// Let every peer send what its channel has room for; `more`: messages
    /// wait for this task (BMP batches may wait too).
    pub(super) fn flush(&mut self, more: bool) {
        self.exported.set_peers(self.peers.len());
        let cx = ctx!(self);
        let batch = out::batch_size(self.peers.len());
        let tap = self.bmp.wants().out;
        let mut sent = Vec::new();
        let mut offered = Vec::new();
        for (addr, p) in self.peers.iter_mut() {
            if let Some(o) = p.out.as_mut().filter(|o| o.has_work(cx.journal)) {
                let mut batch_sent = Runs::default();
                if !o.flush(&cx, batch, tap.then_some(&mut batch_sent)) {
                    tracing::debug!(%addr, "peer task gone");
                }
                if !batch_sent.is_empty() {
                    sent.push((*addr, batch_sent));
                }
                let pre = o.take_offered();
                if !pre.is_empty() {
                    offered.push((*addr, pre));
                }
            }
        }
        for (addr, routes) in offered {
            self.bmp
                .emit(|v| v.out_pre, BmpEvent::Offered(addr, routes));
        }
        for (addr, routes) in sent {
            self.bmp.emit(|v| v.out, BmpEvent::Sent(addr, routes));
        }
        self.bmp.send(more);
        if self.bmp.take_out_pre_dropped() {
            // No station asks for the view any more: stop keeping it.
            for p in self.peers.values_mut() {
                if let Some(o) = p.out.as_mut() {
                    o.untrack_offered();
                }
            }
        }
        self.release();
        self.journal_upkeep();
    }

    /// Trim the journal to the slowest peer's cursor. A peer more than
    /// half the bound behind takes what it has not read into its own
    /// marks first, so the journal never holds more than [`JOURNAL_MAX`]
    /// entries whatever a stuck peer does, nor many more than the marks
    /// of the peers behind would cost.
    fn journal_upkeep(&mut self) {
        let j = &mut self.journal;
        // Each pass visits every peer: with a thousand peers, once per
        // flush cost more than the flush. A few thousand entries more
        // wait instead (16 octets each).
        if j.len() < JOURNAL_TRIM_AT.min(self.journal_min).min(self.journal_max) {
            return;
        }
        let mut behind = 0;
        for p in self.peers.values_mut() {
            if let Some(o) = p.out.as_mut() {
                o.skip_journal(j);
                behind += usize::from(o.cursor() < j.end());
            }
        }
        // Marks cost a bit per route id per peer, the journal 16 octets
        // per entry for all: while few peers are behind (a full table
        // loading into one monitor), their marks are the smaller, and a
        // journal of a whole table (16 MiB, kept as capacity) is not.
        let bound = behind
            .saturating_mul(self.rib.id_bound() / 128)
            .max(self.journal_min)
            .min(self.journal_max);
        if j.len() > bound {
            let keep_from = j.end() - (bound / 2) as journal::Seq;
            for p in self.peers.values_mut() {
                if let Some(o) = p.out.as_mut().filter(|o| o.cursor() < keep_from) {
                    o.leave_journal(j);
                }
            }
        }
        let outs = self.peers.values().filter_map(|p| p.out.as_ref());
        let slowest = outs.map(|o| o.cursor()).min().unwrap_or(j.end());
        j.trim(slowest);
        j.rebase(
            self.peers
                .values_mut()
                .filter_map(|p| p.out.as_mut())
                .map(|o| o.cursor_mut()),
        );
    }

    /// Journal entries some peer still has to read (read ones wait for
    /// the next trim, which is not a backlog).
    pub(super) fn export_backlog(&self) -> u64 {
        let end = self.journal.end();
        let slowest = self
            .peers
            .values()
            .filter_map(|p| p.out.as_ref())
            .filter(|o| !o.ignores_journal())
            .map(|o| o.cursor())
            .min()
            .unwrap_or(end);
        u64::from(end.saturating_sub(slowest))
    }

    /// The earliest graceful-restart or long-lived stale expiry.
    fn gr_deadline(&self) -> Option<tokio::time::Instant> {
        self.peers.values().filter_map(|p| p.gr.deadline()).min()
    }

    /// A smaller floor for collecting unused attribute sets.
    #[cfg(test)]
    pub fn with_collect_floor(mut self, bytes: usize) -> Self {
        self.collect_floor = bytes;
        self
    }

    /// A smaller journal bound, to test what a peer far behind does.
    #[cfg(test)]
    pub fn with_journal_max(mut self, n: usize) -> Self {
        self.journal_max = n;
        self
    }

    /// A smaller floor of the journal's bound (what it may hold however
    /// few peers are behind).
    #[cfg(test)]
    pub fn with_journal_min(mut self, n: usize) -> Self {
        self.journal_min = n;
        self
    }

    /// Whether some peer is sent several paths per prefix.
    pub(super) fn recount_add_path(&mut self) {
        self.add_path_outs = self
            .peers
            .values()
            .filter_map(|p| p.out.as_ref())
            .any(|o| !o.add_path.is_empty());
    }

    /// Give back the RIB slots of routes that lost their last path once no
    /// peer needs them to send a withdrawal. Amortised: a stuck peer holding
    /// many withdrawals is not rescanned on every flush.
    pub(super) fn release(&mut self) {
        let waiting = self.rib.emptied();
        if waiting == 0 || waiting < self.release_at {
            return;
        }
        let outs: Vec<&out::Out> = self.peers.values().filter_map(|p| p.out.as_ref()).collect();
        self.rib
            .release_unused(|id| outs.iter().any(|o| o.holds(&self.journal, id)));
        self.release_at = self.rib.emptied().saturating_mul(2).max(1024);
    }

    /// Let attribute sets no route uses go. The export caches hold the
    /// source sets too, so they are emptied first (they refill on demand).
    pub(super) fn collect(&mut self) {
        for p in self.peers.values_mut() {
            if let Some(o) = p.out.as_mut() {
                o.clear_cache();
            }
        }
        self.exported.clear_cache();
        self.interner.collect();
        self.updates_since_collect = 0;
    }

    /// Carry out one message.
    pub fn handle(&mut self, m: RibMsg) {
        self.rib
            .set_clock(u32::try_from(self.started.elapsed().as_secs()).unwrap_or(u32::MAX));
        match m {
            RibMsg::Up(up) => self.up(*up),
            RibMsg::Down { addr, retain, why } => {
                if self.peers.get(&addr).is_some_and(|p| p.out.is_some()) {
                    self.bmp.emit(|_| true, BmpEvent::PeerDown(addr, why));
                }
                self.down(addr, retain);
            }
            RibMsg::Updates {
                addr,
                updates,
                room,
            } => {
                let w = self.bmp.wants();
                let pre =
                    (w.pre || w.received) && self.peers.get(&addr).is_some_and(|p| p.out.is_some());
                for r in updates {
                    let Received {
                        update,
                        verdict,
                        at,
                        staged,
                    } = r;
                    if pre {
                        let u = Arc::new(update);
                        self.bmp.emit(
                            |v| v.pre || v.received,
                            BmpEvent::Received(addr, Arc::clone(&u)),
                        );
                        self.import(addr, &u, &verdict, staged);
                    } else {
                        self.import(addr, &update, &verdict, staged);
                    }
                    self.latency.observe(at.elapsed());
                }
                // Imported: the peers may hand over more.
                drop(room);
            }
            RibMsg::BmpAttach { sink, reply } => {
                let _ = reply.send(self.bmp_attach(sink));
            }
            RibMsg::MrtPeers { reply } => {
                let _ = reply.send((self.local.router_id, self.mrt_peers()));
            }
            RibMsg::MrtChunk {
                from,
                max,
                best_only,
                reply,
            } => {
                let _ = reply.send(self.mrt_chunk(from, max, best_only));
            }
            RibMsg::RouteRefresh { addr, refresh } => self.route_refresh(addr, refresh),
            RibMsg::RefreshAsked { addr, families } => self.refresh_asked(addr, families),
            RibMsg::Resend { addr } => self.resend(addr),
            RibMsg::Inject { routes, reply } => {
                self.inject(routes);
                let _ = reply.send(());
            }
            RibMsg::Remove { keys, reply } => {
                let n = self.remove(keys);
                let _ = reply.send(n);
            }
            RibMsg::Query { query, reply } => {
                let _ = reply.send(self.query(&query));
            }
            RibMsg::Page {
                query,
                keep,
                from,
                limit,
                reply,
            } => {
                let _ = reply.send(self.page(&query, &keep, from, limit));
            }
            RibMsg::Explain {
                family,
                nlri,
                reply,
            } => {
                let _ = reply.send(self.explain(family, &nlri));
            }
            RibMsg::Subscribe { reply } => {
                let _ = reply.send(self.subscribe());
            }
            RibMsg::Changes { reply } => {
                let _ = reply.send(self.watch.subscribe());
            }
            RibMsg::GracefulShutdown { peers, reply } => {
                let mut n = 0;
                for (addr, p) in &mut self.peers {
                    if peers.as_ref().is_some_and(|w| !w.contains(addr)) {
                        continue;
                    }
                    if let Some(o) = p.out.as_mut() {
                        o.start_graceful_shutdown(&self.rib);
                        n += 1;
                    }
                }
                let _ = reply.send(n);
            }
            RibMsg::BestCounts { reply } => {
                let _ = reply.send(self.best_counts());
            }
            RibMsg::Counts { reply } => {
                let _ = reply.send(self.counts());
            }
            RibMsg::ImportCounters { reply } => {
                let _ = reply.send(self.peers.iter().map(|(a, p)| (*a, p.counters)).collect());
            }
            RibMsg::Sizes { reply } => {
                let _ = reply.send(self.sizes());
            }
            RibMsg::SetPolicies { policies, specs } => self.set_policies(policies, specs),
            RibMsg::SetPeerPolicy { addr, spec } => self.set_peer_policy(addr, spec),
            RibMsg::Rpki(data) => self.rpki_data(data),
            RibMsg::ValidateOrigin {
                prefix,
                origin,
                reply,
            } => {
                let _ = reply.send(self.validate_origin(&prefix, origin));
            }
            RibMsg::SetLocal { local } => {
                let info = PeerInfo::local(local.asn, local.router_id);
                self.rib.set_peer(self.local_id, info);
                self.local = local;
                // What was exported carries the old AS and cluster id.
                self.exported.clear_cache();
                let mut up = Vec::new();
                for (a, p) in &mut self.peers {
                    if let Some(o) = p.out.as_mut() {
                        o.clear_cache();
                        up.push(*a);
                    }
                }
                // The import rules loop-check against our AS.
                for a in up {
                    self.restage(a);
                }
            }
        }
        if self.updates_since_collect > COLLECT_EVERY || self.interner.due(self.collect_floor) {
            self.collect();
        }
    }
}

/// Journal entries at most (16 octets each: 16 MiB, its buffer up to
/// twice that) before the peers furthest behind leave it for their own
/// marks. A full table's worth of changes fits.
const JOURNAL_MAX: usize = 1 << 20;

/// The journal's bound never goes below this for the peers behind being
/// few (1 MiB of entries): below it, leaving is not worth a pass.
const JOURNAL_MIN: usize = 1 << 16;

/// Journal entries before it is trimmed to the slowest peer's cursor.
const JOURNAL_TRIM_AT: usize = 4096;

/// The RIB task: `routes` are originated at start; `drained` is notified
/// by peer tasks when they took a batch, so blocked Adj-RIB-Outs are
/// flushed as soon as there is room.
pub async fn run(
    mut st: RibTask,
    routes: Vec<LocalRoute>,
    mut rx: mpsc::Receiver<RibMsg>,
    drained: Arc<Notify>,
) {
    st.inject(routes);
    // The next graceful-restart expiry of any peer. Only session events
    // and expiries start a wait; UPDATEs can only end one (End-of-RIB),
    // which at worst wakes us once for nothing. So the peers are scanned
    // after those, not after every message: with a thousand peers the
    // scan per message cost more than the message.
    let mut deadline = st.gr_deadline();
    loop {
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let rescan = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => {
                    let updates = matches!(m, RibMsg::Updates { .. });
                    st.handle(m);
                    !updates
                }
                None => return,
            },
            () = drained.notified() => false,
            () = timer => {
                st.expire();
                true
            }
        };
        st.flush(!rx.is_empty());
        if rescan {
            deadline = st.gr_deadline();
        }
    }
}
