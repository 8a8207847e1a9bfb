//! Adj-RIB-Out pre-policy (RFC 8671 §5): what each peer is offered before
//! its export policy and the built-in export rules, that is the best path
//! of each route of its families that the peer did not send us (on
//! ADD-PATH families, the most preferred paths up to its limit). Kept per
//! peer only while a BMP station asks for the view: presence per route,
//! like [`super::adv`], so the attributes are read from the Loc-RIB, and
//! the identifiers given to ADD-PATH paths.

use std::sync::Arc;

use rbgp_rib::{Path, PeerId, Rib, Route, RouteId};
use rbgp_wire::{AfiSafi, NlriEntry};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::adv::Advertised;
use super::sent::{self, diff_paths, Held, OutRoute, Sent, SrcKey};
use crate::runs::Runs;

/// One peer's Adj-RIB-Out pre-policy, and its changes not yet taken.
#[derive(Default)]
pub struct Offered {
    /// Families without ADD-PATH send: the routes in the view.
    adv: Advertised,
    /// ADD-PATH families: per route the paths in the view.
    sent: Held,
    changes: Runs,
}

/// The paths route `r` offers the peer `me` before export policy: its best
/// path unless `me` sent it (RFC 4271 §9.2), or with ADD-PATH send the
/// `limit` most preferred of those `me` did not send.
pub fn candidates<'r>(
    rib: &Rib,
    r: &Route<'r>,
    me: PeerId,
    limit: Option<usize>,
) -> SmallVec<[&'r Path; 1]> {
    let Some(limit) = limit else {
        return r.best().filter(|p| p.peer != me).into_iter().collect();
    };
    let paths = r.paths();
    let own = paths.iter().filter(|p| p.peer == me).count();
    // More than there are ranks them all (see `Rib::ranked`).
    let n = match limit.saturating_add(own) {
        n if n >= paths.len() => usize::MAX,
        n => n,
    };
    rib.ranked(r, n)
        .into_iter()
        .filter_map(|i| paths.get(i))
        .filter(|p| p.peer != me)
        .take(limit)
        .collect()
}

impl Offered {
    /// Whether the view holds route `id` (so that a change must reach it
    /// even where the post-policy view has nothing to do).
    pub fn holds(&self, id: RouteId) -> bool {
        self.adv.contains(id) || self.sent.contains_key(&id)
    }

    /// Route `r` (without ADD-PATH send) now offers `best`.
    pub fn best(&mut self, r: &Route<'_>, best: Option<&Path>) {
        let family = r.family();
        match best {
            Some(_) => {
                self.adv.insert(family, r.id());
            }
            None if self.adv.remove(family, r.id()) => {}
            None => return,
        }
        let entry = NlriEntry {
            path_id: None,
            nlri: r.nlri(),
        };
        self.changes.push(family, best.map(|p| &p.attrs), entry);
    }

    /// Route `r` (ADD-PATH send) now offers `paths`.
    pub fn paths(&mut self, r: &Route<'_>, paths: &[&Path], forced: bool) {
        let want = paths
            .iter()
            .map(|p| ((p.peer, p.path_id), Arc::clone(&p.attrs)));
        let old = self.sent.remove(&r.id()).unwrap_or_default();
        let mut changed = Vec::new();
        let new = diff_paths(old, want, forced, r.family(), &r.nlri(), &mut changed);
        self.changes.extend(&changed);
        if !new.is_empty() {
            self.sent.insert(r.id(), new);
        }
    }

    /// Paths in the view per family.
    pub fn counts(&self, rib: &Rib) -> FxHashMap<AfiSafi, u64> {
        sent::counts(&self.adv, &self.sent, rib)
    }

    /// The changes since the last call.
    pub fn take(&mut self) -> Runs {
        std::mem::take(&mut self.changes)
    }

    /// The view as last computed: the attributes of routes without
    /// ADD-PATH are the current best path's (a change still to be
    /// computed shows as it will be sent).
    pub fn routes(&self, rib: &Rib, me: PeerId, family: Option<AfiSafi>) -> Vec<OutRoute> {
        let wanted = |f: AfiSafi| family.is_none_or(|w| w == f);
        let mut v = Vec::new();
        sent::held_routes(&self.sent, rib, wanted, &mut v);
        for id in self.adv.iter() {
            let Some(r) = rib.route(id).filter(|r| wanted(r.family())) else {
                continue;
            };
            if let Some(p) = candidates(rib, &r, me, None).first() {
                v.push(out_route(&r, p, 0));
            }
        }
        v
    }

    /// Start the view from the Loc-RIB: every route of `families` (with
    /// their ADD-PATH limits); returns it.
    pub fn start(
        &mut self,
        rib: &Rib,
        me: PeerId,
        families: &[(AfiSafi, Option<usize>)],
    ) -> Vec<OutRoute> {
        let mut v = Vec::new();
        for &(f, limit) in families {
            for id in rib.ids(f) {
                let Some(r) = rib.route(id) else {
                    continue;
                };
                let paths = candidates(rib, &r, me, limit);
                if limit.is_none() {
                    if let Some(p) = paths.first() {
                        self.adv.insert(f, id);
                        v.push(out_route(&r, p, 0));
                    }
                    continue;
                }
                let mut held: SmallVec<[Sent; 1]> = SmallVec::new();
                for (p, i) in paths.iter().zip(1u32..) {
                    v.push(out_route(&r, p, i));
                    held.push(Sent {
                        src: (p.peer, p.path_id) as SrcKey,
                        id: i,
                        attrs: Arc::clone(&p.attrs),
                    });
                }
                if !held.is_empty() {
                    self.sent.insert(id, held);
                }
            }
        }
        v
    }
}

fn out_route(r: &Route<'_>, p: &Path, path_id: u32) -> OutRoute {
    OutRoute {
        family: r.family(),
        nlri: r.nlri(),
        path_id,
        source: p.peer,
        attrs: Arc::clone(&p.attrs),
    }
}

/// The view computed from the Loc-RIB without keeping it (a query while
/// no station asks for it).
pub fn now(
    rib: &Rib,
    me: PeerId,
    families: &[(AfiSafi, Option<usize>)],
    family: Option<AfiSafi>,
) -> Vec<OutRoute> {
    let families: Vec<_> = families
        .iter()
        .copied()
        .filter(|(f, _)| family.is_none_or(|w| w == *f))
        .collect();
    Offered::default().start(rib, me, &families)
}
