//! A peer's session in the RIB: up (its Adj-RIB-Out built from the whole
//! table, then End-of-RIB), down (routes kept stale for a graceful
//! restart, or forgotten).

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_rib::{Change, PeerInfo};
use rustc_hash::FxHashMap;

use super::policy::{Gates, Origin};
use super::{gr, out, PeerState, RibTask};
use crate::tasks::{Retain, ToPeer, Up};

impl RibTask {
    pub(super) fn up(&mut self, up: Up) {
        let Up {
            addr,
            rules,
            families,
            add_path_send,
            max_prefixes,
            max_prefixes_warning_only,
            route_refresh,
            enhanced_refresh,
            graceful_restart,
            long_lived,
            keep_pre_policy,
            session,
            tx,
        } = up;
        let info = PeerInfo {
            asn: rules.asn,
            router_id: rules.router_id,
            address: addr,
            ibgp: rules.ibgp,
        };
        // A peer back from a graceful restart keeps its id and stale paths.
        let (id, sweep) = match self.peers.get_mut(&addr) {
            Some(p) => {
                self.rib.set_peer(p.id, info);
                (
                    p.id,
                    p.gr.reestablished(graceful_restart.as_ref(), &long_lived),
                )
            }
            None => {
                let id = self.rib.add_peer(info);
                self.peers.insert(
                    addr,
                    PeerState {
                        id,
                        max_prefixes,
                        max_warning_only: max_prefixes_warning_only,
                        max_told: false,
                        enhanced_refresh,
                        out: None,
                        rejected: FxHashMap::default(),
                        keep_filtered: false,
                        import: Gates::default(),
                        stage_gen: 0,
                        route_refresh,
                        pre: None,
                        bmp_refreshed: None,
                        refresh_coming: false,
                        solicited: None,
                        gr: gr::Restart::default(),
                        session: Arc::clone(&session),
                        counters: Default::default(),
                        disabled: Vec::new(),
                    },
                );
                (id, Vec::new())
            }
        };
        self.sweep(addr, &sweep);
        let spec = self.specs.get(&addr);
        let group = spec.and_then(|s| s.group.clone());
        let keep_filtered = spec.is_some_and(|s| s.policy.keep_filtered);
        self.origins.insert(id, Origin::of(addr, &rules, group));
        let (import, export) = self.gates(addr, &families, rules.local_address);
        let rules = Arc::new(rules);
        self.sources.insert(id, Arc::clone(&rules));
        self.by_id.insert(id, addr);
        let class = self.exported.class_of(&rules);
        let mut o = out::Out::new(
            id,
            rules,
            families.clone(),
            add_path_send,
            tx,
            export,
            class,
        );
        *o.cursor_mut() = self.journal.end();
        if self.bmp.wants().out_pre {
            // Empty: the initial table below fills it (the station hears
            // of it as changes, after this peer's Peer Up).
            o.track_offered_empty();
        }
        // The initial table, then End-of-RIB (RFC 4724 §2). A peer sent
        // nothing (a feeder a route server only listens to) gets just the
        // End-of-RIB: a session flapping against a full table would
        // otherwise visit every route each time it comes up.
        let table = !o.exports_nothing();
        for r in self.rib.iter().filter(|_| table) {
            let c = Change {
                id: r.id(),
                family: r.family(),
                best: true,
            };
            o.offer(&c, r.best().map(|p| p.peer));
        }
        o.then(ToPeer::EndOfRib(families));
        if let Some(p) = self.peers.get_mut(&addr) {
            p.max_prefixes = max_prefixes;
            p.max_warning_only = max_prefixes_warning_only;
            p.max_told = false;
            p.route_refresh = route_refresh;
            p.enhanced_refresh = enhanced_refresh;
            p.solicited = None;
            p.refresh_coming = false;
            // Filtered while it restarted (an import change then): the
            // peer sends its routes again.
            p.rejected.clear();
            p.import = import;
            p.keep_filtered = keep_filtered;
            p.out = Some(o);
            // A BMP station's pre-policy view is served from this table;
            // without it, a station attaching later asks the peer for a
            // route refresh (`bmp_attach`), unless it cannot do one.
            p.pre = (keep_pre_policy || (self.bmp.wants().pre && !route_refresh))
                .then(FxHashMap::default);
            p.session = Arc::clone(&session);
            // A new session: every negotiated family is used again.
            p.disabled.clear();
        }
        self.restage(addr);
        self.bmp
            .emit(|_| true, crate::tasks::BmpEvent::PeerUp(addr, session));
        // Other peers' exports may depend on this peer's rules.
        self.exported.clear_cache();
        for p in self.peers.values_mut() {
            if let Some(o) = p.out.as_mut() {
                o.clear_cache();
            }
        }
        self.recount_add_path();
        tracing::info!(%addr, "peer up in the RIB");
    }

    pub(super) fn down(&mut self, addr: IpAddr, retain: Option<Retain>) {
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        p.out = None;
        p.rejected.clear();
        let id = p.id;
        match retain {
            Some(r) if r.restart_time > 0 || !r.long_lived.is_empty() => {
                // RFC 4724 §4.2: keep the routes, stale, for the restart
                // time (RFC 9494: then long-lived where negotiated).
                let families = r.all_families();
                // Their pre-policy form too, where it is kept: an import
                // policy change meanwhile reaches them (`reimport`).
                if let Some(pre) = p.pre.as_mut() {
                    pre.retain(|(f, _, _), _| families.contains(f));
                }
                let n = self.rib.mark_stale(id, |f| families.contains(&f));
                let gone = self.rib.remove_paths(id, |f, _| !families.contains(&f));
                let time = r.restart_time;
                p.gr.start(r);
                tracing::info!(%addr, stale = n, restart_time = time, "peer restarting: routes kept stale");
                self.changes(gone);
            }
            _ => {
                p.pre = None;
                self.forget(addr);
            }
        }
        self.recount_add_path();
    }

    /// Remove a peer and all its routes.
    pub(super) fn forget(&mut self, addr: IpAddr) {
        if let Some(p) = self.peers.remove(&addr) {
            self.by_id.remove(&p.id);
            self.sources.remove(&p.id);
            self.origins.remove(&p.id);
            let changes = self.rib.remove_peer(p.id);
            tracing::info!(%addr, changed = changes.len(), "peer down: its routes removed");
            // At most one set per route went: a collection (a pass over
            // every set) now only when that can be a good part of them;
            // the periodic one takes the rest. A thousand small peers
            // flapping made it a full pass per flap.
            let worth = changes.len().saturating_mul(16) >= self.interner.len();
            self.changes(changes);
            if worth {
                self.collect();
            }
        }
    }
}
