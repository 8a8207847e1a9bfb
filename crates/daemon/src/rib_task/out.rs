//! Adj-RIB-Out of one peer with back-pressure: route changes only mark
//! routes dirty (a bit per RIB route id, see [`super::bits::Dirty`]); what the peer
//! gets is computed from the current Loc-RIB when its channel has room. A
//! slow peer therefore costs a few bytes per changed route (changes
//! coalesce) and never blocks the RIB task.

use std::collections::VecDeque;
use std::sync::Arc;

use super::adv::Advertised;
use super::bits::Dirty;
use super::journal::{Entry, Journal, Seq};
use super::offered::{self, Offered};
use super::policy::{self, Gate, Gates, Origin};
pub use super::sent::OutRoute;
use super::sent::{self, diff_paths, Held, SrcKey};
use rbgp_policy::Outcome;
use rbgp_rib::rules::{self, Local, PeerRules, Source};
use rbgp_rib::{Attrs, Change, Path, PeerId, Rib, RouteId};
use rbgp_wire::{AfiSafi, Nlri};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use tokio::sync::mpsc;

use crate::runs::Runs;
use crate::tasks::{Export, ToPeer};

/// NLRIs exported per channel message at most: big enough to pack well,
/// small enough that one message is a bounded amount of memory.
const BATCH: usize = 2048;

/// Exports in flight across all peers stay near this many (each peer's
/// channel holds `EXPORT_Q` batches and its task packs one more): one
/// peer gets full batches, hundreds of route-server clients converging at
/// once get smaller ones instead of megabytes each.
const IN_FLIGHT: usize = 128 * 1024;

/// The smallest batch: with 1,000 peers, 128 exports per batch keep 640k
/// in flight (~40 MB; a floor of 256 made it 80 MB). 64 saved 20 MB more
/// but cost a third more CPU time in case e (a wakeup and a channel
/// message per batch).
const BATCH_MIN: usize = 128;

/// The batch size for `peers` peers with an Adj-RIB-Out.
pub fn batch_size(peers: usize) -> usize {
    (IN_FLIGHT / (peers.max(1) * (crate::tasks::EXPORT_Q + 1))).clamp(BATCH_MIN, BATCH)
}

/// Exported attribute sets cached per peer: routes sharing a set arrive
/// together, so a small cache hits almost always, and its memory stays
/// bounded (the exported sets are not kept for the whole table).
const CACHE_MAX: usize = 1024;

/// Cached export: the source attributes (kept alive so their address is
/// not reused) and what they become for this peer (`None`: not exported).
type CachedExport = (Arc<Attrs>, Option<Arc<Attrs>>);

/// Send queued messages while there is room; true if all went.
fn send_queued(tx: &mpsc::Sender<ToPeer>, q: &mut VecDeque<ToPeer>) -> bool {
    while let Some(m) = q.pop_front() {
        match tx.try_reserve() {
            Ok(p) => p.send(m),
            Err(_) => {
                q.push_front(m);
                return false;
            }
        }
    }
    true
}

/// One peer as an export target.
pub struct Out {
    pub id: PeerId,
    pub rules: Arc<PeerRules>,
    pub families: Vec<AfiSafi>,
    /// ADD-PATH send per family: how many paths (usize::MAX = all).
    pub add_path: Vec<(AfiSafi, usize)>,
    tx: mpsc::Sender<ToPeer>,
    /// Families without ADD-PATH send: what the peer has.
    adv: Advertised,
    /// ADD-PATH families: per route the paths sent and their identifiers.
    sent: Held,
    /// Where this peer is in the shared journal of changed routes.
    cursor: Seq,
    /// Routes to recompute, once each, besides the journal's: the initial
    /// table, refreshes, ADD-PATH families' changes, and what the peer
    /// had not read when it fell far behind.
    dirty: Dirty,
    /// Sent before the dirty routes (BoRR).
    first: VecDeque<ToPeer>,
    /// Sent once no route is dirty, in order (End-of-RIB, EoRR).
    after: VecDeque<ToPeer>,
    /// Families being refreshed: routes go out even when unchanged.
    forced: Vec<AfiSafi>,
    /// Exported attributes by (attribute set, source peer, family): the
    /// source's set, or export policy's result when the policy looks at
    /// the route. The keyed `Arc` is kept so its address cannot be reused
    /// while cached.
    cache: FxHashMap<(usize, PeerId, AfiSafi), CachedExport>,
    /// Its export policy, per family (set with [`Out::set_export`]).
    export: Gates,
    /// Every family is ADD-PATH (changes come through [`Out::offer`]) or
    /// rejected by export: the journal matters only for what the peer
    /// still holds.
    journal_free: bool,
    /// Its export class: peers of one class share the cache of what the
    /// built-in rules make of each set when no export policy applies.
    class: super::exported::Class,
    /// Exported sets with the RFC 8097 community added, by (set, state),
    /// and with GRACEFUL_SHUTDOWN added (state [`GSHUT`]).
    marked: FxHashMap<(usize, u8), CachedExport>,
    /// RFC 8326: this session is being shut down gracefully; every route
    /// goes out with GRACEFUL_SHUTDOWN (and LOCAL_PREF 0 on iBGP).
    graceful_shutdown: bool,
    /// The Adj-RIB-Out pre-policy, while a BMP station asks for it.
    offered: Option<Offered>,
}

/// The `marked` key of a set with GRACEFUL_SHUTDOWN added.
const GSHUT: u8 = 0xff;

/// Read-only context an export needs.
pub struct Ctx<'a> {
    pub rib: &'a Rib,
    pub local: &'a Local,
    pub local_id: PeerId,
    /// Rules of every source peer, by RIB id.
    pub sources: &'a FxHashMap<PeerId, Arc<PeerRules>>,
    /// Where every source peer's routes come from, for export policy.
    pub origins: &'a FxHashMap<PeerId, Origin>,
    /// RFC 8097: iBGP neighbors get each route's origin validation state.
    pub ov_community: bool,
    /// Exported sets, shared by every peer the rules make them equal for.
    pub exported: &'a super::exported::ExportedSets,
    /// Routes whose best path changed, in order.
    pub journal: &'a Journal,
}

impl Ctx<'_> {
    /// The export rules' view of where a path came from.
    fn source(&self, peer: PeerId) -> Option<Source<'_>> {
        if peer == self.local_id {
            Some(Source::Local)
        } else {
            self.sources.get(&peer).map(|r| Source::Peer(r))
        }
    }
}

impl Out {
    pub fn new(
        id: PeerId,
        rules: Arc<PeerRules>,
        families: Vec<AfiSafi>,
        add_path: Vec<(AfiSafi, usize)>,
        tx: mpsc::Sender<ToPeer>,
        export: Gates,
        class: super::exported::Class,
    ) -> Self {
        let mut o = Out {
            export: Gates::default(),
            journal_free: false,
            class,
            // Set by the caller to the journal's end: what came before is
            // in the initial table.
            cursor: 0,
            id,
            rules,
            families,
            add_path,
            tx,
            adv: Advertised::default(),
            sent: FxHashMap::default(),
            dirty: Dirty::default(),
            first: VecDeque::new(),
            after: VecDeque::new(),
            forced: Vec::new(),
            cache: FxHashMap::default(),
            marked: FxHashMap::default(),
            graceful_shutdown: false,
            offered: None,
        };
        o.set_export(export);
        o
    }

    /// RFC 8326 §4: before closing the session, send every route again
    /// with the GRACEFUL_SHUTDOWN community so the peer moves its traffic
    /// to other paths while this one still forwards. Marks every route of
    /// the peer's families dirty (forced: only presence is kept per route).
    pub fn start_graceful_shutdown(&mut self, rib: &Rib) {
        self.graceful_shutdown = true;
        for f in self.families.clone() {
            self.refresh(rib, f, true, false);
        }
    }

    pub fn wants(&self, family: AfiSafi) -> bool {
        self.families.contains(&family)
    }

    fn add_path_limit(&self, family: AfiSafi) -> Option<usize> {
        self.add_path
            .iter()
            .find(|(f, _)| *f == family)
            .map(|(_, n)| *n)
    }

    /// Whether a change to a non-best path matters to this peer.
    pub fn sends_all_paths(&self, family: AfiSafi) -> bool {
        self.add_path_limit(family).is_some()
    }

    /// Whether route `id` of `family` needs no work for this peer: its
    /// export rejects the whole family and the peer does not have the
    /// route. A route server's or collector's feeders that are sent
    /// nothing then cost nothing per change and per table (case f: a
    /// thousand of them made each change a thousand evaluations).
    fn ignores(&self, family: AfiSafi, id: RouteId) -> bool {
        self.export.rejects_all(family) && !self.adv.contains(id) && self.offered.is_none()
    }

    /// Whether the peer, or its pre-policy view, holds route `id` (on
    /// families without ADD-PATH): a route whose best path it sent us is
    /// then withdrawn, else skipped.
    fn has(&self, id: RouteId) -> bool {
        self.adv.contains(id) || self.offered.as_ref().is_some_and(|o| o.holds(id))
    }

    /// Whether no change of any family needs work for this peer (see
    /// [`Out::ignores`]; ADD-PATH families take changes through
    /// [`Out::offer`], not the journal).
    pub fn ignores_journal(&self) -> bool {
        // Asked for every peer on every flush: the gates' part is kept.
        self.journal_free && self.adv.is_empty() && self.offered.is_none()
    }

    pub fn export_gates(&self) -> &Gates {
        &self.export
    }

    /// Add the export evaluators' term hits to the shared counters.
    pub fn flush_hits(&mut self) {
        self.export.flush_hits();
    }

    /// Set the export gates (and what they mean for the journal).
    pub fn set_export(&mut self, export: Gates) {
        self.export = export;
        self.journal_free = self
            .families
            .iter()
            .all(|f| self.sends_all_paths(*f) || self.export.rejects_all(*f));
    }

    /// Queue `id` to be recomputed.
    pub fn mark(&mut self, family: AfiSafi, id: RouteId) {
        if self.wants(family) {
            self.dirty.insert(id);
        }
    }

    /// A route changed; `best_peer` is where its best path now comes from.
    /// Marked here (not read from the journal): the initial table, and
    /// every change on ADD-PATH families. Not marked when this peer is the
    /// best path's source and holds nothing to withdraw (RFC 4271 §9.2: a
    /// route is not sent back to the peer it came from).
    pub fn offer(&mut self, c: &Change, best_peer: Option<PeerId>) {
        let all = self.sends_all_paths(c.family);
        if !c.best && !all {
            return;
        }
        if !all && best_peer == Some(self.id) && !self.has(c.id) {
            return;
        }
        if !all && self.ignores(c.family, c.id) {
            return;
        }
        self.mark(c.family, c.id);
    }

    /// The next route of the journal this peer must recompute: its
    /// families, not ADD-PATH ones (marked by [`Out::offer`]), not one
    /// still marked (it goes then), and not one whose best path this peer
    /// sent us while it holds nothing to withdraw.
    fn next_from_journal(&mut self, cx: &Ctx<'_>) -> Option<RouteId> {
        if self.ignores_journal() {
            self.cursor = self.cursor.max(cx.journal.end());
            return None;
        }
        loop {
            let c = match cx.journal.at(self.cursor) {
                Entry::End => return None,
                Entry::Superseded => {
                    self.cursor += 1;
                    continue;
                }
                Entry::Route(c) => c,
            };
            self.cursor += 1;
            if !self.wants(c.family) || self.sends_all_paths(c.family) {
                continue;
            }
            if c.best == Some(self.id) && !self.has(c.id) {
                continue;
            }
            if self.ignores(c.family, c.id) || self.dirty.contains(c.id) {
                continue;
            }
            return Some(c.id);
        }
    }

    /// Where this peer is in the journal.
    pub fn cursor(&self) -> Seq {
        self.cursor
    }

    pub fn cursor_mut(&mut self) -> &mut Seq {
        &mut self.cursor
    }

    /// Take what this peer has not read of the journal into its own
    /// marks, so that the journal can be trimmed past it.
    pub fn leave_journal(&mut self, j: &Journal) {
        loop {
            match j.at(self.cursor) {
                Entry::End => return,
                Entry::Superseded => {}
                Entry::Route(c) => {
                    // What reading would have skipped is not marked.
                    let own = c.best == Some(self.id) && !self.has(c.id);
                    if self.wants(c.family)
                        && !self.sends_all_paths(c.family)
                        && !own
                        && !self.ignores(c.family, c.id)
                    {
                        self.dirty.insert(c.id);
                    }
                }
            }
            self.cursor += 1;
        }
    }

    /// Whether the route `id` still matters to this peer (to be
    /// recomputed, or the peer holds it): its RIB slot must not be reused
    /// yet.
    pub fn holds(&self, j: &Journal, id: RouteId) -> bool {
        self.dirty.contains(id)
            || self.adv.contains(id)
            || self.sent.contains_key(&id)
            || self.offered.as_ref().is_some_and(|o| o.holds(id))
            || (j.pending(id, self.cursor) && !self.ignores_journal())
    }

    /// Whether the route is advertised to the peer now (not counting
    /// changes still queued).
    pub fn advertised(&self, id: RouteId) -> bool {
        self.adv.contains(id) || self.sent.contains_key(&id)
    }

    /// Whether a flush has something to do for this peer: a peer that
    /// ignores the journal is not visited for it (see
    /// [`Out::skip_journal`]).
    pub fn has_work(&self, j: &Journal) -> bool {
        !self.dirty.is_empty()
            || !self.after.is_empty()
            || !self.first.is_empty()
            || (self.cursor < j.end() && !self.ignores_journal())
    }

    /// Move past the journal if no entry of it needs work here, so that
    /// it can be trimmed (the trimming calls this for every peer).
    pub fn skip_journal(&mut self, j: &Journal) {
        if self.cursor < j.end() && self.ignores_journal() {
            self.cursor = j.end();
        }
    }

    /// Whether this peer is sent nothing at all: its export rejects every
    /// family it has and it holds no route. Its session's initial table
    /// is then not offered route by route.
    pub fn exports_nothing(&self) -> bool {
        self.offered.is_none()
            && self.sent.is_empty()
            && self
                .families
                .iter()
                .all(|f| self.export.rejects_all(*f) && !self.adv.holds_any(*f))
    }

    /// Queue a message to send before any pending route.
    pub fn urgent(&mut self, m: ToPeer) {
        self.first.push_back(m);
    }

    /// Queue a message to send once every dirty route has gone out.
    pub fn then(&mut self, m: ToPeer) {
        self.after.push_back(m);
    }

    /// Re-send `family` whole (route refresh from the peer, soft reset
    /// out: `forced`), or recompute it (its export policy changed). On
    /// families without ADD-PATH send both re-send every exported route:
    /// only presence is kept per route (`adv.rs`), not what was sent, so
    /// unchanged routes cannot be told apart; on ADD-PATH families only
    /// what differs goes out.
    pub fn refresh(&mut self, rib: &Rib, family: AfiSafi, forced: bool, enhanced: bool) {
        if !self.wants(family) {
            return;
        }
        // A refresh of the family still under way (its EoRR not sent yet)
        // takes this one in: the routes are marked again below and go
        // before that EoRR. A peer asking again and again while it reads
        // nothing adds no queue entries.
        let under_way = self
            .after
            .iter()
            .any(|m| matches!(m, ToPeer::RefreshEnd(f) if *f == family));
        let enhanced = enhanced && !under_way;
        if enhanced {
            // RFC 7313 §4: BoRR, the routes, EoRR.
            self.first.push_back(ToPeer::RefreshBegin(family));
        }
        if forced && !self.forced.contains(&family) {
            self.forced.push(family);
        }
        // Routes without paths left are re-checked too (withdrawn if the
        // peer still has them).
        for id in rib.ids(family) {
            self.mark(family, id);
        }
        if enhanced {
            self.after.push_back(ToPeer::RefreshEnd(family));
        }
    }

    /// Paths currently advertised, per family.
    pub fn advertised_counts(&self, rib: &Rib) -> FxHashMap<AfiSafi, u64> {
        sent::counts(&self.adv, &self.sent, rib)
    }

    /// The Adj-RIB-Out: (family, NLRI, path id, attributes). Without
    /// ADD-PATH the attributes are those the current best path exports to.
    pub fn adj_rib_out(&mut self, cx: &Ctx<'_>, family: Option<AfiSafi>) -> Vec<OutRoute> {
        let wanted = |f: AfiSafi| family.is_none_or(|w| w == f);
        let mut v = Vec::new();
        sent::held_routes(&self.sent, cx.rib, wanted, &mut v);
        let ids: Vec<RouteId> = self.adv.iter().collect();
        for id in ids {
            let Some(r) = cx.rib.route(id).filter(|r| wanted(r.family())) else {
                continue;
            };
            let Some(best) = r.best() else {
                continue;
            };
            let f = r.family();
            let nlri = r.nlri();
            if let Some(a) = self.exported(cx, f, &nlri, best) {
                v.push(OutRoute {
                    family: f,
                    nlri,
                    path_id: 0,
                    source: best.peer,
                    attrs: a,
                });
            }
        }
        v
    }

    /// Send what the channel has room for. Returns false if the peer task
    /// is gone.
    /// `sent`: where to copy what is sent, for BMP's Adj-RIB-Out view.
    pub fn flush(&mut self, cx: &Ctx<'_>, batch_max: usize, mut sent: Option<&mut Runs>) -> bool {
        if !send_queued(&self.tx, &mut self.first) {
            return !self.tx.is_closed();
        }
        let mut more = true;
        while more {
            // The RIB task is the channel's only sender, so room seen here
            // is still there once the batch is built. (A permit would
            // borrow the sender through the batch, and a clone of it is
            // two atomic operations on a line the peer task shares: per
            // peer and flush, that showed with a thousand peers.)
            if self.tx.is_closed() {
                return false;
            }
            if self.tx.capacity() == 0 {
                return true;
            }
            let mut batch = Vec::new();
            while batch.len() < batch_max {
                // The journal first: a route also marked is skipped there
                // and goes once, from the marks.
                let Some(id) = self.next_from_journal(cx).or_else(|| self.dirty.pop()) else {
                    more = false;
                    break;
                };
                self.export(cx, id, &mut batch);
            }
            if !batch.is_empty() {
                if let Some(v) = sent.as_deref_mut() {
                    v.extend(&batch);
                }
                match self.tx.try_send(ToPeer::Routes(batch)) {
                    Ok(()) => {}
                    // Not expected (one sender): it goes first next time.
                    Err(mpsc::error::TrySendError::Full(m)) => {
                        self.first.push_back(m);
                        return true;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => return false,
                }
            }
        }
        self.forced.clear();
        send_queued(&self.tx, &mut self.after) || !self.tx.is_closed()
    }

    /// The attributes `path` to `nlri` is exported with: export policy,
    /// then the built-in rules. Cached per attribute set: before the
    /// policy when it looks at nothing but the attributes, else after it
    /// (its results are memoised sets too, so an IXP's per-prefix filters
    /// still share one exported set per source set) unless it set a next
    /// hop or MED, which the rules treat apart.
    fn exported(
        &mut self,
        cx: &Ctx<'_>,
        family: AfiSafi,
        nlri: &Nlri,
        path: &Path,
    ) -> Option<Arc<Attrs>> {
        let mut out = self.exported_as(cx, family, nlri, path)?;
        if cx.ov_community && self.rules.ibgp && path.peer != cx.local_id {
            out = self.with_state(out, path.validation.rpki);
        }
        if self.graceful_shutdown {
            out = self.with_gshut(out);
        }
        Some(out)
    }

    /// `a` with GRACEFUL_SHUTDOWN (65535:0, RFC 8326 §5) and, towards iBGP,
    /// LOCAL_PREF 0: the peer's routers prefer any other path.
    fn with_gshut(&mut self, a: Arc<Attrs>) -> Arc<Attrs> {
        let key = (Arc::as_ptr(&a) as usize, GSHUT);
        if let Some((_, Some(m))) = self.marked.get(&key) {
            return Arc::clone(m);
        }
        let mut x = Attrs::clone(&a);
        let g = rbgp_wire::attr::Community::GRACEFUL_SHUTDOWN;
        if !x.communities.contains(&g) {
            x.communities.push(g);
        }
        if self.rules.ibgp {
            x.local_pref = Some(0);
        }
        let m = Arc::new(x);
        if self.marked.len() >= CACHE_MAX {
            self.marked.clear();
        }
        self.marked.insert(key, (a, Some(Arc::clone(&m))));
        m
    }

    /// `a` with the RFC 8097 origin validation state extended community
    /// (type 0x43, subtype 0x00, the state in the last octet: 0 valid, 1
    /// not found, 2 invalid) replacing any it carried.
    fn with_state(&mut self, a: Arc<Attrs>, state: rbgp_rib::Rpki) -> Arc<Attrs> {
        let code = match state {
            rbgp_rib::Rpki::Valid => 0u8,
            rbgp_rib::Rpki::NotFound => 1,
            rbgp_rib::Rpki::Invalid => 2,
        };
        let key = (Arc::as_ptr(&a) as usize, code);
        if let Some((_, Some(m))) = self.marked.get(&key) {
            return Arc::clone(m);
        }
        let mut x = Attrs::clone(&a);
        x.ext_communities.retain(|c| !is_ov_state(c));
        x.ext_communities.push(rbgp_wire::attr::ExtCommunity([
            0x43, 0, 0, 0, 0, 0, 0, code,
        ]));
        let m = Arc::new(x);
        if self.marked.len() >= CACHE_MAX {
            self.marked.clear();
        }
        self.marked.insert(key, (a, Some(Arc::clone(&m))));
        m
    }

    /// [`Out::exported`] before RFC 8097.
    fn exported_as(
        &mut self,
        cx: &Ctx<'_>,
        family: AfiSafi,
        nlri: &Nlri,
        path: &Path,
    ) -> Option<Arc<Attrs>> {
        // `fixed`: no export policy, the built-in rules only (their result
        // is cached per class, shared with the peers that export alike).
        let (per_route, fixed) = match self.export.get_mut(family) {
            Some(Gate::Fixed(true, _)) => (false, true),
            // No gate: the family is not configured for the peer.
            None | Some(Gate::Fixed(false, _)) => return None,
            Some(Gate::Eval(e)) => (e.needs_route(), false),
        };
        let key = (Arc::as_ptr(&path.attrs) as usize, path.peer, family);
        if fixed {
            if let Some(out) = cx.exported.cached(key, self.class) {
                return out;
            }
        } else if !per_route {
            if let Some((_, out)) = self.cache.get(&key) {
                return out.clone();
            }
        }
        let source = cx.source(path.peer)?;
        let (key, input, out) = match self.export.get_mut(family) {
            Some(Gate::Eval(e)) => {
                let mut route = match cx.origins.get(&path.peer) {
                    Some(o) => o.route(family, nlri),
                    None => policy::injected(family, nlri),
                };
                route.rpki = path.validation.rpki;
                route.aspa = path.validation.aspa;
                let o = e.evaluate(&route, &path.attrs, &mut |x| Arc::new(x));
                if !o.accept {
                    return None;
                }
                let plain = o.next_hop.is_none() && !o.med_set;
                let key = if per_route {
                    let key = (Arc::as_ptr(&o.attrs) as usize, path.peer, family);
                    if plain {
                        if let Some((_, out)) = self.cache.get(&key) {
                            return out.clone();
                        }
                    }
                    plain.then_some(key)
                } else {
                    Some(key)
                };
                let out = rules::export(&o.attrs, &source, &self.rules, cx.local, family)
                    .map(|a| shared(policy_wins(a, &o), &o.attrs));
                let input = if per_route {
                    Arc::clone(&o.attrs)
                } else {
                    Arc::clone(&path.attrs)
                };
                (key, input, out)
            }
            _ => {
                let out = rules::export(&path.attrs, &source, &self.rules, cx.local, family)
                    .map(|a| shared(a, &path.attrs));
                cx.exported
                    .remember(key, self.class, Arc::clone(&path.attrs), out.clone());
                return out;
            }
        };
        if let Some(key) = key {
            if self.cache.len() >= CACHE_MAX {
                self.cache.clear();
            }
            self.cache.insert(key, (input, out.clone()));
        }
        out
    }

    /// Drop cached exports (after the interner let attribute sets go, or
    /// when a source peer's rules change).
    pub fn clear_cache(&mut self) {
        self.cache.clear();
        self.marked.clear();
    }

    /// Compare what route `id` should look like at the peer with what was
    /// sent and queue the difference.
    fn export(&mut self, cx: &Ctx<'_>, id: RouteId, batch: &mut Vec<Export>) {
        let Some(r) = cx.rib.route(id) else {
            return;
        };
        let limit = self.add_path_limit(r.family());
        if let Some(off) = self.offered.as_mut() {
            let paths = offered::candidates(cx.rib, &r, self.id, limit);
            match limit {
                None => off.best(&r, paths.first().copied()),
                Some(_) => off.paths(&r, &paths, self.forced.contains(&r.family())),
            }
        }
        match limit {
            None => self.export_best(cx, r, batch),
            Some(limit) => self.export_paths(cx, r, limit, batch),
        }
    }

    /// One route per NLRI: announce the best (an implicit replace) or
    /// withdraw what the peer has. Never back to where it came from (RFC
    /// 4271 §9.2); without ADD-PATH nothing else is sent instead.
    fn export_best(&mut self, cx: &Ctx<'_>, r: rbgp_rib::Route<'_>, batch: &mut Vec<Export>) {
        let family = r.family();
        let nlri = r.nlri();
        let attrs = r
            .best()
            .filter(|p| p.peer != self.id)
            .and_then(|p| self.exported(cx, family, &nlri, p));
        if attrs.is_some() {
            self.adv.insert(family, r.id());
        } else if !self.adv.remove(family, r.id()) {
            // Nothing to withdraw: the peer never had it.
            return;
        }
        batch.push(Export {
            family,
            nlri,
            path_id: None,
            attrs,
        });
    }

    /// ADD-PATH send: the best path, then the others, up to `limit`; each
    /// source path keeps the identifier it was first sent with.
    fn export_paths(
        &mut self,
        cx: &Ctx<'_>,
        r: rbgp_rib::Route<'_>,
        limit: usize,
        batch: &mut Vec<Export>,
    ) {
        let family = r.family();
        let nlri = r.nlri();
        let paths = r.paths();
        // The most preferred first. Some are not sent (this peer's own,
        // or refused by export policy): rank further until `limit` are
        // found or none are left.
        // When every path is sent, their order does not matter (`ranked`
        // then ranks only the best); otherwise never ask for more than
        // there are, which would give them unranked.
        let mut n = if limit >= paths.len() {
            usize::MAX
        } else {
            limit.saturating_add(1).min(paths.len())
        };
        let want = loop {
            let order = cx.rib.ranked(&r, n);
            let mut want: SmallVec<[(SrcKey, Arc<Attrs>); 2]> = SmallVec::new();
            for p in order.iter().filter_map(|&i| paths.get(i)) {
                if want.len() >= limit {
                    break;
                }
                if p.peer == self.id {
                    continue;
                }
                if let Some(a) = self.exported(cx, family, &nlri, p) {
                    want.push(((p.peer, p.path_id), a));
                }
            }
            if want.len() >= limit || order.len() < n || n >= paths.len() {
                break want;
            }
            n = n.saturating_mul(2).min(paths.len());
        };
        let forced = self.forced.contains(&family);
        let old = self.sent.remove(&r.id()).unwrap_or_default();
        let new = diff_paths(old, want, forced, family, &nlri, batch);
        if !new.is_empty() {
            self.sent.insert(r.id(), new);
        }
    }

    /// Keep the Adj-RIB-Out pre-policy from now on (a BMP station asks
    /// for it); returns it as it is now.
    pub fn track_offered(&mut self, rib: &Rib) -> Vec<OutRoute> {
        let families = self.limits();
        match &self.offered {
            Some(o) => o.routes(rib, self.id, None),
            None => self
                .offered
                .insert(Offered::default())
                .start(rib, self.id, &families),
        }
    }

    /// Keep the Adj-RIB-Out pre-policy from now on, starting empty (a
    /// session just up: its initial table fills it).
    pub fn track_offered_empty(&mut self) {
        self.offered = Some(Offered::default());
    }

    /// Stop keeping the Adj-RIB-Out pre-policy (no station asks for it).
    pub fn untrack_offered(&mut self) {
        self.offered = None;
    }

    /// Paths in the Adj-RIB-Out pre-policy per family, where it is kept
    /// (every family of the peer then).
    pub fn offered_counts(&self, rib: &Rib) -> FxHashMap<AfiSafi, u64> {
        let Some(o) = &self.offered else {
            return FxHashMap::default();
        };
        let mut m = o.counts(rib);
        for f in &self.families {
            m.entry(*f).or_default();
        }
        m
    }

    /// The Adj-RIB-Out pre-policy's changes since the last call.
    pub fn take_offered(&mut self) -> Runs {
        self.offered.as_mut().map(Offered::take).unwrap_or_default()
    }

    /// The Adj-RIB-Out pre-policy: as kept while a station asks for it,
    /// else computed now.
    pub fn adj_rib_out_pre(&self, rib: &Rib, family: Option<AfiSafi>) -> Vec<OutRoute> {
        match &self.offered {
            Some(o) => o.routes(rib, self.id, family),
            None => offered::now(rib, self.id, &self.limits(), family),
        }
    }

    /// Each family with its ADD-PATH send limit.
    fn limits(&self) -> Vec<(AfiSafi, Option<usize>)> {
        self.families
            .iter()
            .map(|f| (*f, self.add_path_limit(*f)))
            .collect()
    }
}

/// The exported set: the input's own `Arc` when the rules changed
/// nothing (a transparent route server's clients all share the received
/// set instead of one copy each in flight). Peers of one class share the
/// new one through the class's cache.
fn shared(a: Attrs, input: &Arc<Attrs>) -> Arc<Attrs> {
    if a == **input {
        Arc::clone(input)
    } else {
        Arc::new(a)
    }
}

/// What export policy set explicitly survives the built-in rules: a MED
/// (which the rules drop towards eBGP for routes from other ASes, as BIRD
/// keeps only a MED its export filter set) and a next hop action (self,
/// peer, an address, or unchanged towards eBGP).
fn policy_wins(mut a: Attrs, o: &Outcome) -> Attrs {
    if o.med_set {
        a.med = o.attrs.med;
    }
    if o.next_hop.is_some() {
        a.next_hop = o.attrs.next_hop;
    }
    a
}

/// RFC 8097's BGP origin validation state extended community.
pub fn is_ov_state(c: &rbgp_wire::attr::ExtCommunity) -> bool {
    c.0[0] == 0x43 && c.0[1] == 0
}
