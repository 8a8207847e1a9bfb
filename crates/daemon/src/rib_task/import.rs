//! Received UPDATEs into the RIB: the pre-policy Adj-RIB-In (when kept),
//! withdrawals, RFC 7606 treat-as-withdraw, the built-in import rules
//! (`rbgp_rib::rules::import`), End-of-RIB, and the max-prefix limit.

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_rib::rules;
use rbgp_rib::Attrs;
use rbgp_wire::{AfiSafi, Nlri, Update, Verdict};

use super::RibTask;
use crate::tasks::ToPeer;

impl RibTask {
    /// Record the UPDATE in the peer's pre-policy Adj-RIB-In, if it keeps
    /// one: announcements as received (RFC 7606 treat-as-withdraw counts as
    /// a withdrawal there too). `received`: the UPDATE's attributes before
    /// import policy (`None` when it is treated as withdraw).
    pub(super) fn keep_pre(
        &mut self,
        addr: IpAddr,
        update: &Update,
        verdict: &Verdict,
        received: Option<&Attrs>,
    ) {
        let Some(pre) = self.peers.get_mut(&addr).and_then(|p| p.pre.as_mut()) else {
            return;
        };
        for (f, n) in update.withdrawals() {
            pre.remove(&(f, n.nlri.clone(), n.path_id.unwrap_or(0)));
        }
        if let Some(w) = &verdict.treat_as_withdraw {
            for (f, n) in w {
                pre.remove(&(*f, n.nlri.clone(), n.path_id.unwrap_or(0)));
            }
            return;
        }
        let mut announced = update.announced().peekable();
        let Some(received) = received.filter(|_| announced.peek().is_some()) else {
            return;
        };
        let attrs = self.interner.intern(received.clone());
        for (f, n) in announced {
            if !verdict.disable_families.contains(&f) {
                pre.insert(
                    (f, n.nlri.clone(), n.path_id.unwrap_or(0)),
                    Arc::clone(&attrs),
                );
            }
        }
    }

    /// The path is no longer one import policy rejected (the key is only
    /// built when the peer has rejected paths: this runs per prefix).
    pub(super) fn unreject(&mut self, addr: IpAddr, family: AfiSafi, nlri: &Nlri, path_id: u32) {
        if let Some(p) = self.peers.get_mut(&addr).filter(|p| !p.rejected.is_empty()) {
            p.rejected.remove(&(family, nlri.clone(), path_id));
        }
    }

    /// One UPDATE from the peer at `addr`.
    pub(super) fn import(&mut self, addr: IpAddr, update: &Update, verdict: &Verdict) {
        let Some(p) = self.peers.get(&addr).filter(|p| p.out.is_some()) else {
            return;
        };
        let id = p.id;
        let max = p.max_prefixes;
        if let Some(f) = update.is_end_of_rib() {
            // RFC 4724 §4.2: End-of-RIB ends the peer's restart for f.
            let done = self
                .peers
                .get_mut(&addr)
                .map(|p| p.gr.end_of_rib(f))
                .unwrap_or_default();
            self.sweep(addr, &done);
            return;
        }
        let rules = self.sources.get(&id).cloned();
        // Built once: kept as received (pre-policy) and run through import.
        let received = verdict
            .treat_as_withdraw
            .is_none()
            .then(|| Attrs::from_update(update));
        self.keep_pre(addr, update, verdict, received.as_ref());
        for (f, n) in update.withdrawals() {
            let path_id = n.path_id.unwrap_or(0);
            self.withdraw(id, f, &n.nlri, path_id);
            self.unreject(addr, f, &n.nlri, path_id);
        }
        if let Some(w) = &verdict.treat_as_withdraw {
            // RFC 7606 §2: the UPDATE's routes count as withdrawn.
            for (f, n) in w {
                self.withdraw(id, *f, &n.nlri, n.path_id.unwrap_or(0));
            }
        } else if let Some(mut attrs) = received {
            let accepted = match &rules {
                Some(r) => rules::import(&mut attrs, r, &self.local),
                None => Ok(()),
            };
            let shared = self.interner.intern(attrs);
            for (f, n) in update.announced() {
                if verdict.disable_families.contains(&f) {
                    continue;
                }
                let path_id = n.path_id.unwrap_or(0);
                match accepted {
                    Ok(()) => {
                        self.update(id, f, &n.nlri, path_id, Arc::clone(&shared));
                        self.unreject(addr, f, &n.nlri, path_id);
                    }
                    Err(why) => {
                        tracing::debug!(%addr, nlri = %n.nlri, ?why, "path rejected");
                        self.withdraw(id, f, &n.nlri, path_id);
                        if let Some(p) = self.peers.get_mut(&addr) {
                            p.rejected.insert((f, n.nlri.clone(), path_id));
                        }
                    }
                }
            }
        }
        self.updates_since_collect += 1;
        if let Some(max) = max {
            if self.rib.path_count(id) > max as usize {
                if let Some(p) = self.peers.get_mut(&addr).filter(|p| !p.max_told) {
                    tracing::warn!(%addr, max, "max_prefixes exceeded");
                    p.max_told = true;
                    if let Some(o) = p.out.as_mut() {
                        o.urgent(ToPeer::MaxPrefix(max));
                    }
                }
            }
        }
    }
}
