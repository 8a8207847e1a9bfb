//! What happens when graceful-restart timers run out (RFC 4724 §4.2, RFC
//! 9494 §4.2): stale routes swept, kept long-lived with LLGR_STALE, or the
//! peer forgotten. The timers themselves are per peer in `gr.rs`.

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_rib::Attrs;
use rbgp_wire::attr::Community;
use rbgp_wire::AfiSafi;
use rustc_hash::FxHashMap;

use rbgp_rib::{Interner, PeerId};

use super::{gr, RibTask};

/// A path `reimport` runs import on again for a restarting peer: stored
/// stale at once, LLGR_STALE added where `long_lived` (past the restart
/// time), so that no one sees it fresh for a moment.
#[derive(Debug, Clone, Copy)]
pub(super) struct Restale {
    pub peer: PeerId,
    pub long_lived: bool,
}

/// `a` as long-lived stale routes carry it (RFC 9494 §4.2): with
/// LLGR_STALE; `None` for a route marked NO_LLGR, which is not kept.
fn llgr_stamped(interner: &mut Interner, a: &Arc<Attrs>) -> Option<Arc<Attrs>> {
    if a.has_community(Community::NO_LLGR) {
        return None;
    }
    if a.has_community(Community::LLGR_STALE) {
        return Some(Arc::clone(a));
    }
    let mut x = Attrs::clone(a);
    x.communities.push(Community::LLGR_STALE);
    Some(interner.intern(x))
}

impl RibTask {
    /// Graceful-restart timers that ran out: the routes they kept go.
    pub(super) fn expire(&mut self) {
        let st = self;
        let now = tokio::time::Instant::now();
        let due: Vec<(IpAddr, gr::Expired)> = st
            .peers
            .iter_mut()
            .filter_map(|(a, p)| p.gr.expire(now).map(|e| (*a, e)))
            .collect();
        for (addr, e) in due {
            match e {
                gr::Expired::Restart => {
                    tracing::info!(%addr, "peer did not come back within its restart time: routes removed");
                    st.forget(addr);
                }
                gr::Expired::Stale(families) => st.sweep(addr, &families),
                gr::Expired::LongLived { keep, drop } => st.long_lived(addr, &keep, &drop),
                gr::Expired::LongLivedOver { families, last } => {
                    tracing::info!(%addr, families = %crate::control::families_text(&families), "long-lived stale time over: routes removed");
                    if last {
                        st.forget(addr);
                    } else {
                        st.sweep(addr, &families);
                    }
                }
            }
        }
    }

    /// RFC 9494 §4.2: the restart time is over. The routes of `keep` stay,
    /// LLGR_STALE added (least preferred, sent only to LLGR peers), except
    /// those marked NO_LLGR; the routes of `drop` go.
    pub(super) fn long_lived(&mut self, addr: IpAddr, keep: &[AfiSafi], drop: &[AfiSafi]) {
        self.sweep(addr, drop);
        let Some(id) = self.peers.get(&addr).map(|p| p.id) else {
            return;
        };
        let interner = &mut self.interner;
        let mut marked: FxHashMap<usize, Option<Arc<Attrs>>> = FxHashMap::default();
        let changes = self.rib.restamp(
            id,
            |f| keep.contains(&f),
            |a| {
                marked
                    .entry(Arc::as_ptr(a) as usize)
                    .or_insert_with(|| llgr_stamped(interner, a))
                    .clone()
            },
        );
        tracing::info!(%addr, routes = changes.len(), families = %crate::control::families_text(keep), "restart time over: routes kept long-lived stale (LLGR_STALE)");
        self.changes(changes);
    }

    /// Remove the peer's stale paths of these families.
    pub(super) fn sweep(&mut self, addr: IpAddr, families: &[AfiSafi]) {
        if families.is_empty() {
            return;
        }
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        // Down: the pre-policy routes of these families go too, or an
        // import change would bring them back (`reimport`).
        if p.out.is_none() {
            if let Some(pre) = p.pre.as_mut() {
                pre.retain(|(f, _, _), _| !families.contains(f));
            }
        }
        let id = p.id;
        let gone = self
            .rib
            .remove_paths(id, |f, p| p.stale && families.contains(&f));
        if !gone.is_empty() {
            tracing::info!(%addr, swept = gone.len(), families = %crate::control::families_text(families), "stale routes removed");
        }
        self.changes(gone);
    }
}

impl RibTask {
    /// What `admit` stores of a path import accepted, and whether stale:
    /// as it is and fresh, or as [`Restale`] says while `reimport` runs.
    /// `None`: not kept.
    pub(super) fn restaled(&mut self, id: PeerId, a: Arc<Attrs>) -> Option<(Arc<Attrs>, bool)> {
        match self.restale {
            Some(r) if r.peer == id && r.long_lived => {
                llgr_stamped(&mut self.interner, &a).map(|a| (a, true))
            }
            Some(r) if r.peer == id => Some((a, true)),
            _ => Some((a, false)),
        }
    }
}
