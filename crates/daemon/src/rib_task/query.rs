//! Answers to the control handle's questions: snapshots of the matching
//! paths (the API streams them out in pages), explanations, counters,
//! sizes, and the route watch.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use rbgp_wire::{AfiSafi, Nlri, Prefix};
use rustc_hash::FxHashMap;
use tokio::sync::broadcast;

use super::{ctx, out, RibTask};
use crate::control::{
    AttrMatch, ControlError, Explained, FamilyCounts, Origin as Source, PrefixMatch, RibQuery,
    RibSizes, RouteEntry, RoutePage, Table,
};
use crate::tasks::RouteEvent;

/// Routes one page of a scan looks at, at most.
const SCAN_BUDGET: usize = 50_000;

fn prefix(n: &Nlri) -> Option<&Prefix> {
    match n {
        Nlri::Prefix(p) => Some(p),
        _ => None,
    }
}

/// Whether `n` passes the filter (`LongestMatch` keeps every covering
/// prefix; the caller narrows it to the longest).
fn matches(n: &Nlri, m: &PrefixMatch) -> bool {
    match m {
        PrefixMatch::All => true,
        PrefixMatch::Exact(q) => prefix(n) == Some(q),
        PrefixMatch::MoreSpecifics(q) => prefix(n).is_some_and(|p| q.contains(p)),
        PrefixMatch::LongestMatch(q) | PrefixMatch::Covering(q) => {
            prefix(n).is_some_and(|p| p.contains(q))
        }
    }
}

fn longest_only(m: &PrefixMatch, mut v: Vec<RouteEntry>) -> Vec<RouteEntry> {
    if let PrefixMatch::LongestMatch(_) = m {
        let longest = v
            .iter()
            .filter_map(|e| prefix(&e.nlri))
            .map(Prefix::len)
            .max();
        v.retain(|e| prefix(&e.nlri).map(Prefix::len) == longest);
    }
    v
}

impl RibTask {
    pub(super) fn source(&self, peer: rbgp_rib::PeerId) -> Source {
        if peer == self.local_id {
            Source::Local
        } else {
            self.by_id
                .get(&peer)
                .map_or(Source::Local, |a| Source::Peer(*a))
        }
    }

    pub(super) fn entry(
        &self,
        family: AfiSafi,
        nlri: &Nlri,
        p: &rbgp_rib::Path,
        best: bool,
    ) -> RouteEntry {
        RouteEntry {
            family,
            nlri: nlri.clone(),
            path_id: p.path_id,
            source: self.source(p.peer),
            attrs: Arc::clone(&p.attrs),
            best,
            stale: p.stale,
            age: self.rib.clock().saturating_sub(p.since),
            reason: None,
            reason_key: None,
            validation: (p.peer != self.local_id).then_some(p.validation),
        }
    }

    /// A path a peer's table holds outside the Loc-RIB (pre-policy,
    /// filtered): no age is kept for those.
    fn held(
        &self,
        (family, nlri, path_id): (AfiSafi, &Nlri, u32),
        peer: rbgp_rib::PeerId,
        attrs: &Arc<rbgp_rib::Attrs>,
        why: Option<&super::policy::Filter>,
    ) -> RouteEntry {
        RouteEntry {
            family,
            nlri: nlri.clone(),
            path_id,
            source: self.source(peer),
            attrs: Arc::clone(attrs),
            best: false,
            stale: false,
            age: 0,
            reason: why.map(|w| w.describe(&self.policies)),
            reason_key: why.map(|w| w.key(&self.policies)),
            validation: Some(self.validation_of(peer, family, nlri, attrs)),
        }
    }

    /// Prefix counters of every peer.
    pub(super) fn counts(&self) -> HashMap<IpAddr, Vec<FamilyCounts>> {
        let mut all = HashMap::new();
        for (addr, p) in &self.peers {
            let mut m: FxHashMap<AfiSafi, FamilyCounts> = FxHashMap::default();
            for (f, n) in self.rib.path_counts(p.id) {
                let c = m.entry(f).or_insert_with(|| FamilyCounts::new(f));
                c.accepted = n as u64;
                c.received = n as u64;
            }
            for (f, _, _) in p.rejected.keys() {
                m.entry(*f)
                    .or_insert_with(|| FamilyCounts::new(*f))
                    .received += 1;
            }
            if let Some(o) = &p.out {
                for (f, n) in o.advertised_counts(&self.rib) {
                    m.entry(f)
                        .or_insert_with(|| FamilyCounts::new(f))
                        .advertised = n;
                }
                for (f, n) in o.offered_counts(&self.rib) {
                    m.entry(f).or_insert_with(|| FamilyCounts::new(f)).offered = Some(n);
                }
            }
            let mut v: Vec<FamilyCounts> = m.into_values().collect();
            v.sort_by_key(|c| (c.family.afi.0, c.family.safi.0));
            all.insert(*addr, v);
        }
        all
    }

    /// Best paths per peer: one pass over the Loc-RIB, so only asked for
    /// by the looking glass, not by every status call.
    pub(super) fn best_counts(&self) -> HashMap<IpAddr, u64> {
        let mut by_id: FxHashMap<rbgp_rib::PeerId, u64> = FxHashMap::default();
        for r in self.rib.iter() {
            if let Some(b) = r.best() {
                *by_id.entry(b.peer).or_default() += 1;
            }
        }
        by_id
            .into_iter()
            .filter_map(|(id, n)| self.by_id.get(&id).map(|a| (*a, n)))
            .collect()
    }

    /// Table sizes (metrics).
    pub(super) fn sizes(&mut self) -> RibSizes {
        // Evaluators count term hits locally: add them before reading.
        for p in self.peers.values_mut() {
            p.import.flush_hits();
            if let Some(o) = p.out.as_mut() {
                o.flush_hits();
            }
        }
        let st = &*self;
        let mut paths: FxHashMap<AfiSafi, u64> = FxHashMap::default();
        let ids = std::iter::once(st.local_id).chain(st.peers.values().map(|p| p.id));
        for (f, n) in ids.flat_map(|id| st.rib.path_counts(id)) {
            *paths.entry(f).or_default() += n as u64;
        }
        let families = paths
            .into_iter()
            .map(|(f, n)| (f, st.rib.len(f) as u64, n))
            .collect();
        RibSizes {
            families,
            attribute_sets: st.interner.len() as u64,
            export_backlog: st.export_backlog(),
            policy_hits: st
                .policies
                .hits()
                .into_iter()
                .map(|h| (h.policy, h.term, h.hits))
                .collect(),
        }
    }

    /// The current best paths and a subscription to their changes, in one
    /// step: no change is missed or seen twice.
    pub(super) fn subscribe(&self) -> (Vec<RouteEntry>, broadcast::Receiver<RouteEvent>) {
        let rx = self.watch.subscribe();
        let snapshot = self
            .rib
            .iter()
            .filter_map(|r| r.best().map(|p| self.entry(r.family(), &r.nlri(), p, true)))
            .collect();
        (snapshot, rx)
    }

    /// A snapshot of the paths a query matches.
    pub(super) fn query(&mut self, q: &RibQuery) -> Result<Vec<RouteEntry>, ControlError> {
        let family_ok = |f: AfiSafi| q.family.is_none_or(|w| w == f);
        let mut v = Vec::new();
        match q.table {
            Table::Loc | Table::AdjIn(_) => {
                let only = match q.table {
                    Table::AdjIn(addr) => Some(
                        self.peers
                            .get(&addr)
                            .map(|p| p.id)
                            .ok_or(ControlError::NoSuchNeighbor(addr))?,
                    ),
                    _ => None,
                };
                for r in self.rib.iter() {
                    let f = r.family();
                    if !family_ok(f) {
                        continue;
                    }
                    let n = r.nlri();
                    if !matches(&n, &q.prefix) {
                        continue;
                    }
                    let best = r.best_index();
                    for (i, p) in r.paths().iter().enumerate() {
                        if only.is_none_or(|id| id == p.peer) {
                            v.push(self.entry(f, &n, p, Some(i) == best));
                        }
                    }
                }
            }
            Table::AdjInPre(addr) => {
                let p = self
                    .peers
                    .get(&addr)
                    .ok_or(ControlError::NoSuchNeighbor(addr))?;
                let pre = p.pre.as_ref().ok_or_else(|| {
                    ControlError::invalid(
                        "table",
                        format!("neighbor {addr} does not keep pre-policy routes (set keep_pre_policy = true)"),
                    )
                })?;
                for ((f, n, id), attrs) in pre {
                    if family_ok(*f) && matches(n, &q.prefix) {
                        v.push(self.held((*f, n, *id), p.id, attrs, None));
                    }
                }
            }
            Table::Filtered(addr) => {
                let p = self
                    .peers
                    .get(&addr)
                    .ok_or(ControlError::NoSuchNeighbor(addr))?;
                if !p.keep_filtered {
                    return Err(ControlError::invalid(
                        "table",
                        format!("neighbor {addr} does not keep filtered routes (set keep_filtered = true)"),
                    ));
                }
                for ((f, n, id), x) in &p.rejected {
                    let Some(attrs) = x.attrs.as_ref() else {
                        continue;
                    };
                    if family_ok(*f) && matches(n, &q.prefix) {
                        v.push(self.held((*f, n, *id), p.id, attrs, Some(&x.why)));
                    }
                }
            }
            Table::NotExported(_) => v = self.scan(q, &[], 0, usize::MAX)?.routes,
            Table::AdjOut(addr) | Table::AdjOutPre(addr) => {
                let cx = ctx!(self);
                let p = self
                    .peers
                    .get_mut(&addr)
                    .ok_or(ControlError::NoSuchNeighbor(addr))?;
                if let Some(o) = p.out.as_mut() {
                    let routes = match q.table {
                        Table::AdjOutPre(_) => o.adj_rib_out_pre(cx.rib, q.family),
                        _ => o.adj_rib_out(&cx, q.family),
                    };
                    for r in routes {
                        if matches(&r.nlri, &q.prefix) {
                            v.push(RouteEntry {
                                family: r.family,
                                nlri: r.nlri,
                                path_id: r.path_id,
                                source: self.source(r.source),
                                attrs: r.attrs,
                                best: true,
                                stale: false,
                                age: 0,
                                reason: None,
                                reason_key: None,
                                validation: None,
                            });
                        }
                    }
                }
            }
        }
        Ok(longest_only(&q.prefix, v))
    }

    /// A page of a table: for the tables read from the Loc-RIB, a scan of
    /// its slots from `from` that stops after about `limit` entries (a
    /// route's paths are never split), keeping what every `keep` holds
    /// for; the looking glass streams a full table this way without a
    /// copy of it. Other tables, and longest-match queries, are small and
    /// answered whole.
    pub(super) fn page(
        &mut self,
        q: &RibQuery,
        keep: &[AttrMatch],
        from: u32,
        limit: usize,
    ) -> Result<RoutePage, ControlError> {
        let scanned = matches!(
            q.table,
            Table::Loc | Table::AdjIn(_) | Table::NotExported(_)
        ) && !matches!(q.prefix, PrefixMatch::LongestMatch(_));
        if !scanned {
            let mut routes = self.query(q)?;
            routes.retain(|e| keep.iter().all(|k| k.holds(&e.attrs)));
            return Ok(RoutePage { routes, next: None });
        }
        self.scan(q, keep, from, limit)
    }

    /// The scan of [`Self::page`] (a longest match keeps every covering
    /// route: the caller narrows).
    fn scan(
        &self,
        q: &RibQuery,
        keep: &[AttrMatch],
        from: u32,
        limit: usize,
    ) -> Result<RoutePage, ControlError> {
        let peer = match q.table {
            Table::AdjIn(a) | Table::NotExported(a) => {
                Some(self.peers.get(&a).ok_or(ControlError::NoSuchNeighbor(a))?)
            }
            _ => None,
        };
        let not_exported = matches!(q.table, Table::NotExported(_));
        let family_ok = |f: AfiSafi| {
            q.family.is_none_or(|w| w == f)
                && (!not_exported
                    || peer
                        .and_then(|p| p.out.as_ref())
                        .is_some_and(|o| o.wants(f)))
        };
        let mut routes = Vec::new();
        // An exact prefix is looked up, not scanned for.
        if let PrefixMatch::Exact(p) = &q.prefix {
            let families = match q.family {
                Some(f) => vec![f],
                None if p.is_ipv4() => vec![AfiSafi::IPV4_UNICAST, AfiSafi::IPV4_MULTICAST],
                None => vec![AfiSafi::IPV6_UNICAST, AfiSafi::IPV6_MULTICAST],
            };
            let nlri = Nlri::Prefix(*p);
            for f in families {
                if let Some(r) = self.rib.get(f, &nlri) {
                    self.page_route(&r, peer, not_exported, keep, &mut routes);
                }
            }
            return Ok(RoutePage { routes, next: None });
        }
        // A page ends after `limit` entries, or after SCAN_BUDGET routes
        // looked at: a search with few matches does not hold the RIB task
        // for a whole table in one message. A route's entries are not
        // split: one that does not fit starts the next page (alone, if it
        // has more than `limit`).
        for (visited, r) in self.rib.iter_from(from).enumerate() {
            if routes.len() >= limit || visited >= SCAN_BUDGET {
                return Ok(RoutePage {
                    routes,
                    next: Some(r.id()),
                });
            }
            if family_ok(r.family()) && matches(&r.nlri(), &q.prefix) {
                let before = routes.len();
                self.page_route(&r, peer, not_exported, keep, &mut routes);
                if before > 0 && routes.len() > limit {
                    routes.truncate(before);
                    return Ok(RoutePage {
                        routes,
                        next: Some(r.id()),
                    });
                }
            }
        }
        Ok(RoutePage { routes, next: None })
    }

    /// One route's entries for [`Self::page`].
    fn page_route(
        &self,
        r: &rbgp_rib::Route<'_>,
        peer: Option<&super::PeerState>,
        not_exported: bool,
        keep: &[AttrMatch],
        out: &mut Vec<RouteEntry>,
    ) {
        let kept = |p: &rbgp_rib::Path| keep.iter().all(|k| k.holds(&p.attrs));
        let (f, n) = (r.family(), r.nlri());
        if not_exported {
            let (Some(peer), Some(best)) = (peer, r.best()) else {
                return;
            };
            let sent = peer.out.as_ref().is_some_and(|o| o.advertised(r.id()));
            if best.peer != peer.id && !sent && kept(best) {
                out.push(self.entry(f, &n, best, true));
            }
            return;
        }
        let best = r.best_index();
        for (i, p) in r.paths().iter().enumerate() {
            if peer.is_none_or(|x| x.id == p.peer) && kept(p) {
                out.push(self.entry(f, &n, p, Some(i) == best));
            }
        }
    }

    /// Every candidate path of an NLRI and the step that decided, with
    /// each path's import policy trace where its pre-policy form is kept.
    pub(super) fn explain(&mut self, family: AfiSafi, nlri: &Nlri) -> Option<Explained> {
        let explanation = self.rib.explain(family, nlri)?;
        let paths: Vec<rbgp_rib::Path> = self.rib.paths(family, nlri).to_vec();
        let candidates = paths
            .iter()
            .enumerate()
            .map(|(i, p)| self.entry(family, nlri, p, i == explanation.best))
            .collect();
        let policy = paths
            .iter()
            .map(|p| self.import_trace(family, nlri, p))
            .collect();
        Some(Explained {
            candidates,
            explanation,
            policy,
        })
    }
}
