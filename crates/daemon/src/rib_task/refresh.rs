//! ROUTE-REFRESH from a peer (RFC 2918: send it the family again; RFC
//! 7313: its own re-advertisement bracketed by BoRR/EoRR, routes not
//! re-sent by EoRR go), soft reset out, and the refreshes we ask for.

use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

use rbgp_wire::route_refresh::{RefreshSubtype, RouteRefresh};
use rbgp_wire::AfiSafi;

use super::{PeerState, RibTask};
use crate::tasks::ToPeer;

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
                if let Some(p) = self.peers.get_mut(&addr) {
                    p.refresh_coming = false;
                }
                let n = self.rib.mark_stale(id, |f| f == r.family);
                tracing::info!(%addr, family = %r.family, stale = n, "enhanced route refresh begins");
            }
            RefreshSubtype::EndOfRefresh => {
                if let Some(p) = self.peers.get_mut(&addr) {
                    if let Some(s) = p.solicited.as_mut() {
                        if let Some(i) = s.awaiting.iter().position(|f| *f == r.family) {
                            s.awaiting.swap_remove(i);
                        }
                        if s.awaiting.is_empty() {
                            p.solicited = None;
                        }
                    }
                }
                self.sweep(addr, &[r.family]);
            }
            RefreshSubtype::Other(_) => {}
        }
    }

    /// We asked the peer for `families` again: the announcements it
    /// re-sends are answers, not duplicates (RFC 7854 §4.8 type 1 counts
    /// a neighbor repeating itself unasked). A plain refresh has no end
    /// marker, so the answer is taken to last `SOLICITED_FOR`; with
    /// enhanced refresh it ends at the last EoRR (RFC 7313 §4).
    pub(super) fn refresh_asked(&mut self, addr: IpAddr, families: Vec<AfiSafi>) {
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        // Asked again before the first answer ended (two stations
        // attaching): each answer ends with its own EoRR.
        let mut awaiting = p.solicited.take().map(|s| s.awaiting).unwrap_or_default();
        // A plain answer has no start marker: it may begin with the next
        // UPDATE (RFC 2918). An enhanced one begins at BoRR (RFC 7313 §4).
        if !p.enhanced_refresh {
            p.refresh_coming = false;
        }
        if p.enhanced_refresh {
            awaiting.extend(families);
        }
        p.solicited = Some(Solicited {
            since: Instant::now(),
            awaiting,
        });
    }

    /// An announcement the peer already had here: counted as a duplicate
    /// unless it answers our refresh.
    pub(super) fn count_duplicate(&mut self, addr: IpAddr) {
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        if let Some(s) = &p.solicited {
            if s.since.elapsed() < SOLICITED_FOR {
                return;
            }
            p.solicited = None;
        }
        p.counters.duplicate_prefixes += 1;
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

impl PeerState {
    /// Ask the peer task for the peer's routes again (soft reset in). Until
    /// the answer begins, a BMP station attaching needs no refresh of its
    /// own (`bmp_attach`).
    pub(super) fn ask_refresh(&mut self) {
        if let Some(o) = self.out.as_mut() {
            o.urgent(ToPeer::RequestRefresh);
            // The peer task sends nothing where the session cannot refresh.
            self.refresh_coming = self.route_refresh;
        }
    }
}

/// How long a plain refresh's answer is taken to last: a full table is
/// re-sent in well under a minute.
const SOLICITED_FOR: Duration = Duration::from_secs(300);

/// A refresh asked of a peer (see `RibTask::refresh_asked`).
#[derive(Debug)]
pub(super) struct Solicited {
    since: Instant,
    /// Enhanced refresh: families whose EoRR is still to come, once per
    /// refresh asked.
    awaiting: Vec<AfiSafi>,
}
