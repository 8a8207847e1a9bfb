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
    ControlError, Explained, FamilyCounts, Origin as Source, PrefixMatch, RibQuery, RibSizes,
    RouteEntry, Table,
};
use crate::tasks::RouteEvent;

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
        PrefixMatch::LongestMatch(q) => prefix(n).is_some_and(|p| p.contains(q)),
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
        reason: Option<String>,
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
            reason,
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
            }
            let mut v: Vec<FamilyCounts> = m.into_values().collect();
            v.sort_by_key(|c| (c.family.afi.0, c.family.safi.0));
            all.insert(*addr, v);
        }
        all
    }

    /// Table sizes (metrics).
    pub(super) fn sizes(&mut self) -> RibSizes {
        // Evaluators count term hits locally: add them before reading.
        for p in self.peers.values_mut() {
            p.import.flush_hits();
            if let Some(o) = p.out.as_mut() {
                o.export.flush_hits();
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
                        let why = x.why.describe(&self.policies);
                        v.push(self.held((*f, n, *id), p.id, attrs, Some(why)));
                    }
                }
            }
            Table::AdjOut(addr) => {
                let cx = ctx!(self);
                let p = self
                    .peers
                    .get_mut(&addr)
                    .ok_or(ControlError::NoSuchNeighbor(addr))?;
                if let Some(o) = p.out.as_mut() {
                    for r in o.adj_rib_out(&cx, q.family) {
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
                                validation: None,
                            });
                        }
                    }
                }
            }
        }
        Ok(longest_only(&q.prefix, v))
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
