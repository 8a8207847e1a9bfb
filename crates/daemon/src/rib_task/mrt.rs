//! The RIB for MRT table dumps (`crate::mrt`): its peers, then its routes
//! a piece at a time, so a dump of a full table never holds the RIB task
//! for long (other messages are handled between the pieces).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rbgp_rib::{Attrs, RouteId};

use super::RibTask;
use crate::tasks::{MrtPath, MrtPeer, MrtRoute};

impl RibTask {
    /// Every source of paths: the peers the RIB knows (up or restarting)
    /// and ourselves (routes of the configuration and the API).
    pub(super) fn mrt_peers(&self) -> Vec<MrtPeer> {
        let mut v = vec![MrtPeer {
            id: self.local_id,
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            asn: self.local.asn,
            bgp_id: self.local.router_id,
        }];
        for p in self.peers.values() {
            if let Some(info) = self.rib.peer(p.id) {
                v.push(MrtPeer {
                    id: p.id,
                    address: info.address,
                    asn: info.asn,
                    bgp_id: info.router_id,
                });
            }
        }
        v
    }

    /// Up to `max` routes from route id `from` on, with every path (or
    /// only the best: `best_only`); the id to go on from (`None`: the walk
    /// is done).
    pub(super) fn mrt_chunk(
        &self,
        from: RouteId,
        max: usize,
        best_only: bool,
    ) -> (Vec<MrtRoute>, Option<RouteId>) {
        let now = self.rib.clock();
        let unix = crate::clock::unix_secs();
        let mut v = Vec::with_capacity(max.min(65_536));
        let mut next = None;
        for r in self.rib.iter_from(from) {
            if v.len() == max {
                next = Some(r.id());
                break;
            }
            let best = r.best_index();
            let paths: Vec<MrtPath> = r
                .paths()
                .iter()
                .enumerate()
                .filter(|(i, _)| !best_only || best == Some(*i))
                .map(|(_, p)| MrtPath {
                    peer: p.peer,
                    path_id: p.path_id,
                    // The RIB's clock counts seconds since it started.
                    originated: unix.saturating_sub(u64::from(now.saturating_sub(p.since))) as u32,
                    attrs: Arc::<Attrs>::clone(&p.attrs),
                })
                .collect();
            if paths.is_empty() {
                // A route without paths left (or without a best one) is
                // no RIB entry (RFC 6396 §4.3.2 counts at least one).
                continue;
            }
            v.push(MrtRoute {
                family: r.family(),
                nlri: r.nlri(),
                paths,
            });
        }
        (v, next)
    }
}
