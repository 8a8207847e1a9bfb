//! What an Adj-RIB-Out view holds per route, shared by the post-policy
//! one (`out.rs`) and the pre-policy one (`offered.rs`): the paths of an
//! ADD-PATH peer with the identifiers they were given, and how a new set
//! of paths is told apart from the old one.

use std::sync::Arc;

use rbgp_rib::{Attrs, PeerId, Rib, RouteId};
use rbgp_wire::{AfiSafi, Nlri};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::adv::Advertised;

use crate::tasks::Export;

/// A route of a peer's Adj-RIB-Out, for queries.
pub struct OutRoute {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub path_id: u32,
    /// The RIB peer the path came from.
    pub source: PeerId,
    pub attrs: Arc<Attrs>,
}

/// What a peer was sent for one NLRI: which source path (peer, received
/// path id), under which path id, with which attributes.
#[derive(Debug, Clone)]
pub struct Sent {
    pub src: SrcKey,
    pub id: u32,
    pub attrs: Arc<Attrs>,
}

/// A source path: (peer, received path id).
pub type SrcKey = (PeerId, u32);

/// The paths an ADD-PATH peer should hold for one NLRI (`want`, in order)
/// against those it holds (`old`): each source path keeps the identifier
/// it was first given, a new one gets the lowest free; what is new or
/// changed (everything when `forced`) is announced into `batch`, what is
/// gone withdrawn. Returns what the peer then holds.
pub fn diff_paths(
    old: SmallVec<[Sent; 1]>,
    want: impl IntoIterator<Item = (SrcKey, Arc<Attrs>)>,
    forced: bool,
    family: AfiSafi,
    nlri: &Nlri,
    batch: &mut Vec<Export>,
) -> SmallVec<[Sent; 1]> {
    let mut new: SmallVec<[Sent; 1]> = SmallVec::new();
    for (src, attrs) in want {
        let prev = old.iter().find(|s| s.src == src);
        let id = match prev {
            Some(s) => s.id,
            None => (1..)
                .find(|i| !old.iter().chain(new.iter()).any(|s| s.id == *i))
                .unwrap_or(1),
        };
        let same = prev.is_some_and(|s| Arc::ptr_eq(&s.attrs, &attrs) || *s.attrs == *attrs);
        if !same || forced {
            batch.push(Export {
                family,
                nlri: nlri.clone(),
                path_id: Some(id),
                attrs: Some(Arc::clone(&attrs)),
            });
        }
        new.push(Sent { src, id, attrs });
    }
    for s in old.iter().filter(|s| !new.iter().any(|n| n.id == s.id)) {
        batch.push(Export {
            family,
            nlri: nlri.clone(),
            path_id: Some(s.id),
            attrs: None,
        });
    }
    new
}

/// The paths an ADD-PATH view holds, per route.
pub type Held = FxHashMap<RouteId, SmallVec<[Sent; 1]>>;

/// Paths a view holds per family: `adv` (families without ADD-PATH) and
/// `held` (ADD-PATH families).
pub fn counts(adv: &Advertised, held: &Held, rib: &Rib) -> FxHashMap<AfiSafi, u64> {
    let mut m = adv.counts();
    for (id, s) in held {
        if let Some(r) = rib.route(*id) {
            *m.entry(r.family()).or_default() += s.len() as u64;
        }
    }
    m
}

/// The paths of `held` whose family `wanted` accepts, onto `v`.
pub fn held_routes(
    held: &Held,
    rib: &Rib,
    wanted: impl Fn(AfiSafi) -> bool,
    v: &mut Vec<OutRoute>,
) {
    for (id, sent) in held {
        let Some(r) = rib.route(*id).filter(|r| wanted(r.family())) else {
            continue;
        };
        v.extend(sent.iter().map(|s| OutRoute {
            family: r.family(),
            nlri: r.nlri(),
            path_id: s.id,
            source: s.src.0,
            attrs: Arc::clone(&s.attrs),
        }));
    }
}
