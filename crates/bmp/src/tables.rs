//! The routes a monitoring station holds for one router: per peer and
//! view, every NLRI announced and not withdrawn since, with its last
//! element. A Peer Down forgets the peer's routes in every view (RFC 7854
//! §4.9; for a Loc-RIB instance RFC 9069 §5.3). What a collector dumps as
//! a table, and what tests compare with the router's own tables.

use std::collections::HashMap;
use std::net::IpAddr;

use rbgp_wire::elem::{Elem, ElemType};
use rbgp_wire::{AfiSafi, Nlri};

use crate::header::PeerHeader;
use crate::message::BmpMessage;
use crate::session::{PeerKey, Processed};

/// A view of a router's routing state (RFC 7854 §2, RFC 8671, RFC 9069).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// Adj-RIB-In before import policy.
    PrePolicy,
    /// Adj-RIB-In after import policy.
    PostPolicy,
    /// The router's best paths.
    LocRib,
    /// Adj-RIB-Out before export policy.
    OutPrePolicy,
    /// Adj-RIB-Out after export policy.
    OutPostPolicy,
}

impl View {
    /// The view a Route Monitoring's per-peer header names.
    pub fn of(h: &PeerHeader) -> View {
        match (h.is_loc_rib(), h.is_adj_rib_out(), h.is_post_policy()) {
            (true, _, _) => View::LocRib,
            (false, true, false) => View::OutPrePolicy,
            (false, true, true) => View::OutPostPolicy,
            (false, false, false) => View::PrePolicy,
            (false, false, true) => View::PostPolicy,
        }
    }
}

/// One route's key within a peer's view.
pub type RouteKey = (AfiSafi, Nlri, Option<u32>);

/// A router's views, per peer.
#[derive(Debug, Default)]
pub struct Tables {
    tables: HashMap<(View, PeerKey), HashMap<RouteKey, Elem>>,
}

impl Tables {
    pub fn new() -> Self {
        Tables::default()
    }

    /// Apply one processed message: Route Monitoring elements, Peer Down.
    pub fn apply(&mut self, p: &Processed) {
        match &p.message {
            BmpMessage::RouteMonitoring(rm) => {
                let t = self
                    .tables
                    .entry((View::of(&rm.peer), PeerKey::from(&rm.peer)))
                    .or_default();
                for e in p.elems() {
                    let key = (e.afi_safi, e.nlri.clone(), e.path_id);
                    match e.elem_type {
                        ElemType::Announce => {
                            t.insert(key, e);
                        }
                        ElemType::Withdraw => {
                            t.remove(&key);
                        }
                    }
                }
            }
            BmpMessage::PeerDown(d) => {
                let key = PeerKey::from(&d.peer);
                self.tables.retain(|(_, k), _| *k != key);
            }
            _ => {}
        }
    }

    /// The routes of one peer (by address; the Loc-RIB instance's is
    /// zero) in one view.
    pub fn routes(&self, view: View, peer: IpAddr) -> impl Iterator<Item = &Elem> {
        self.tables
            .iter()
            .filter(move |((v, k), _)| *v == view && k.address == peer)
            .flat_map(|(_, t)| t.values())
    }

    /// The peers with routes in a view.
    pub fn peers(&self, view: View) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = self
            .tables
            .iter()
            .filter(|((w, _), t)| *w == view && !t.is_empty())
            .map(|((_, k), _)| k.address)
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Routes in a view, all peers.
    pub fn len(&self, view: View) -> usize {
        self.tables
            .iter()
            .filter(|((v, _), _)| *v == view)
            .map(|(_, t)| t.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.values().all(HashMap::is_empty)
    }
}
