//! ROUTE-REFRESH from a peer (RFC 2918: send it the family again; RFC
//! 7313: its own re-advertisement bracketed by BoRR/EoRR, routes not
//! re-sent by EoRR go) and soft reset out.

use std::net::IpAddr;

use rbgp_wire::route_refresh::{RefreshSubtype, RouteRefresh};

use super::RibTask;

impl RibTask {
    pub(super) fn route_refresh(&mut self, addr: IpAddr, r: RouteRefresh) {
        let Some(p) = self.peers.get(&addr) else {
            return;
        };
        match r.subtype {
            RefreshSubtype::Normal => {
                let enhanced = p.enhanced_refresh;
                tracing::info!(%addr, family = %r.family, "route refresh: re-sending");
                if let Some(o) = self.peers.get_mut(&addr).and_then(|p| p.out.as_mut()) {
                    o.refresh(&self.rib, r.family, true, enhanced);
                }
            }
            // RFC 7313 §4: the peer re-sends everything; what it does not
            // re-send by EoRR is gone.
            RefreshSubtype::BeginOfRefresh => {
                let id = p.id;
                let n = self.rib.mark_stale(id, |f| f == r.family);
                tracing::info!(%addr, family = %r.family, stale = n, "enhanced route refresh begins");
            }
            RefreshSubtype::EndOfRefresh => self.sweep(addr, &[r.family]),
            RefreshSubtype::Other(_) => {}
        }
    }

    pub(super) fn resend(&mut self, addr: IpAddr) {
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        let enhanced = p.enhanced_refresh;
        if let Some(o) = p.out.as_mut() {
            for f in o.families.clone() {
                o.refresh(&self.rib, f, true, enhanced);
            }
        }
    }
}
