//! The one owner of routing state. Peer tasks send it what they receive,
//! the control handle sends it injections and queries; it selects best
//! paths and keeps every peer's Adj-RIB-Out ([`out::Out`]), flushed as fast
//! as each peer drains it.

mod adv;
mod bits;
mod gr;
pub use gr::Retain;
mod out;
mod query;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use rbgp_config::RouteConfig;
use rbgp_rib::policy::{self, Local, PeerRules};
use rbgp_rib::{Attrs, Change, Interner, PeerId, PeerInfo, Rib, SelectionOptions};
use rbgp_wire::attr::{AsPath, Community, ExtCommunity, LargeCommunity, Origin};
use rbgp_wire::capability::{GracefulRestart, LlgrFamily};
use rbgp_wire::route_refresh::{RefreshSubtype, RouteRefresh};
use rbgp_wire::{AfiSafi, Nlri, Update, Verdict};
use rustc_hash::{FxHashMap, FxHashSet};
use tokio::sync::{broadcast, mpsc, oneshot, Notify};

use crate::control::{
    ControlError, FamilyCounts, LocalRoute, Origin as Source, RibQuery, RouteEntry, RouteEvent,
};
pub use out::ToPeer;

/// A session came up: what the RIB needs to serve it.
#[derive(Debug)]
pub struct Up {
    pub addr: IpAddr,
    pub rules: PeerRules,
    pub families: Vec<AfiSafi>,
    /// ADD-PATH send per family: how many paths (usize::MAX = all).
    pub add_path_send: Vec<(AfiSafi, usize)>,
    pub max_prefixes: Option<u32>,
    /// RFC 7313 negotiated: refreshes are bracketed by BoRR/EoRR.
    pub enhanced_refresh: bool,
    /// The peer's graceful-restart capability (RFC 4724), if any.
    pub graceful_restart: Option<GracefulRestart>,
    /// The peer's long-lived graceful-restart capability (RFC 9494).
    pub long_lived: Vec<LlgrFamily>,
    /// Keep what the peer sends before import policy.
    pub keep_pre_policy: bool,
    pub tx: mpsc::Sender<ToPeer>,
}

/// Every candidate path of an NLRI and why the best won.
#[derive(Debug, Clone)]
pub struct Explained {
    pub candidates: Vec<RouteEntry>,
    pub explanation: rbgp_rib::Explanation,
}

#[derive(Debug)]
pub enum RibMsg {
    Up(Box<Up>),
    /// The session went down. `retain`: what is kept stale, and how long
    /// (RFC 4724 §4.2 helper, RFC 9494 long-lived retention).
    Down {
        addr: IpAddr,
        retain: Option<Retain>,
    },
    /// UPDATEs received, in order, each with when its peer task took it
    /// off the socket: the time until it is applied goes into `latency`
    /// (metrics).
    Updates {
        addr: IpAddr,
        updates: Vec<(Update, Verdict, std::time::Instant)>,
        latency: Arc<crate::control::Histogram>,
    },
    /// ROUTE-REFRESH received (RFC 2918, RFC 7313).
    RouteRefresh {
        addr: IpAddr,
        refresh: RouteRefresh,
    },
    /// Soft reset out: send the peer everything again.
    Resend {
        addr: IpAddr,
    },
    Inject {
        routes: Vec<LocalRoute>,
        reply: oneshot::Sender<()>,
    },
    Remove {
        keys: Vec<(AfiSafi, Nlri, u32)>,
        reply: oneshot::Sender<usize>,
    },
    Query {
        query: RibQuery,
        reply: oneshot::Sender<Result<Vec<RouteEntry>, ControlError>>,
    },
    Explain {
        family: AfiSafi,
        nlri: Nlri,
        reply: oneshot::Sender<Option<Explained>>,
    },
    Subscribe {
        reply: oneshot::Sender<(Vec<RouteEntry>, broadcast::Receiver<RouteEvent>)>,
    },
    Counts {
        reply: oneshot::Sender<HashMap<IpAddr, Vec<FamilyCounts>>>,
    },
    /// Table sizes (metrics).
    Sizes {
        reply: oneshot::Sender<crate::control::RibSizes>,
    },
    /// Our AS or router ID changed (GlobalService.SetGlobal); the
    /// supervisor has stopped the sessions that depend on them.
    SetLocal {
        local: Local,
    },
}

/// A peer the RIB knows: up, or restarting with stale routes.
struct PeerState {
    id: PeerId,
    max_prefixes: Option<u32>,
    /// The peer task was told this session (once is enough).
    max_told: bool,
    enhanced_refresh: bool,
    /// Up: its Adj-RIB-Out. `None` while it restarts gracefully.
    out: Option<out::Out>,
    /// Paths the peer announces that import policy rejected (they count as
    /// received, not accepted).
    rejected: FxHashSet<(AfiSafi, Nlri, u32)>,
    /// The pre-policy Adj-RIB-In, when the neighbor keeps it.
    pre: Option<FxHashMap<(AfiSafi, Nlri, u32), Arc<Attrs>>>,
    gr: gr::Restart,
}

struct State {
    local: Local,
    rib: Rib,
    interner: Interner,
    local_id: PeerId,
    peers: HashMap<IpAddr, PeerState>,
    /// Rules of each source peer by RIB id (export needs them per route).
    sources: FxHashMap<PeerId, Arc<PeerRules>>,
    by_id: FxHashMap<PeerId, IpAddr>,
    watch: broadcast::Sender<RouteEvent>,
    /// UPDATEs since attribute sets no longer used were last let go.
    updates_since_collect: usize,
    /// Emptied RIB slots to wait for before the next release pass.
    release_at: usize,
}

/// A `[[routes]]` entry of the config file as a route to originate.
pub fn config_route(r: &RouteConfig) -> LocalRoute {
    LocalRoute {
        family: family_of(&r.prefix),
        nlri: Nlri::Prefix(r.prefix),
        path_id: 0,
        attrs: originated(r),
    }
}

/// Attributes of a route from the config file.
fn originated(r: &RouteConfig) -> Attrs {
    Attrs {
        origin: Some(Origin::Igp),
        as_path: r
            .as_path
            .as_deref()
            .and_then(|p| p.parse::<AsPath>().ok())
            .unwrap_or_default(),
        next_hop: Some(r.next_hop),
        med: r.med,
        local_pref: r.local_pref,
        communities: r
            .communities
            .iter()
            .filter_map(|c| c.parse::<Community>().ok())
            .collect(),
        large_communities: r
            .large_communities
            .iter()
            .filter_map(|c| c.parse::<LargeCommunity>().ok())
            .collect(),
        ext_communities: r
            .ext_communities
            .iter()
            .filter_map(|c| c.parse::<ExtCommunity>().ok())
            .collect(),
        ..Attrs::default()
    }
}

fn family_of(p: &rbgp_wire::Prefix) -> AfiSafi {
    if p.is_ipv4() {
        AfiSafi::IPV4_UNICAST
    } else {
        AfiSafi::IPV6_UNICAST
    }
}

impl State {
    fn ctx(&self) -> out::Ctx<'_> {
        out::Ctx {
            rib: &self.rib,
            local: &self.local,
            local_id: self.local_id,
            sources: &self.sources,
        }
    }

    fn source(&self, peer: PeerId) -> Source {
        if peer == self.local_id {
            Source::Local
        } else {
            self.by_id
                .get(&peer)
                .map_or(Source::Local, |a| Source::Peer(*a))
        }
    }

    fn entry(&self, family: AfiSafi, nlri: &Nlri, p: &rbgp_rib::Path, best: bool) -> RouteEntry {
        RouteEntry {
            family,
            nlri: nlri.clone(),
            path_id: p.path_id,
            source: self.source(p.peer),
            attrs: Arc::clone(&p.attrs),
            best,
            stale: p.stale,
            age: self.rib.clock().saturating_sub(p.since),
        }
    }

    /// A route changed: peers whose export of it may differ recompute it,
    /// and watchers hear of a new best.
    fn apply(&mut self, c: Change) {
        let route = self.rib.route(c.id);
        let best_peer = route.and_then(|r| r.best()).map(|p| p.peer);
        for p in self.peers.values_mut() {
            if let Some(o) = p.out.as_mut() {
                o.offer(&c, best_peer);
            }
        }
        if c.best && self.watch.receiver_count() > 0 {
            if let Some(r) = route {
                let nlri = r.nlri();
                let best = r.best().map(|p| self.entry(c.family, &nlri, p, true));
                let _ = self.watch.send(RouteEvent {
                    family: c.family,
                    nlri,
                    best,
                });
            }
        }
    }

    fn update(&mut self, peer: PeerId, family: AfiSafi, nlri: &Nlri, path_id: u32, a: Arc<Attrs>) {
        let c = self.rib.update(peer, family, nlri, path_id, a);
        self.apply(c);
    }

    fn withdraw(&mut self, peer: PeerId, family: AfiSafi, nlri: &Nlri, path_id: u32) {
        if let Some(c) = self.rib.withdraw(peer, family, nlri, path_id) {
            self.apply(c);
        }
    }

    fn changes(&mut self, cs: Vec<Change>) {
        for c in cs {
            self.apply(c);
        }
    }

    /// Let every peer send what its channel has room for.
    fn flush(&mut self) {
        let cx = out::Ctx {
            rib: &self.rib,
            local: &self.local,
            local_id: self.local_id,
            sources: &self.sources,
        };
        for (addr, p) in self.peers.iter_mut() {
            if let Some(o) = p.out.as_mut().filter(|o| o.has_work()) {
                if !o.flush(&cx) {
                    tracing::debug!(%addr, "peer task gone");
                }
            }
        }
        self.release();
    }

    /// Give back the RIB slots of routes that lost their last path once no
    /// peer needs them to send a withdrawal. Amortised: a stuck peer holding
    /// many withdrawals is not rescanned on every flush.
    fn release(&mut self) {
        let waiting = self.rib.emptied();
        if waiting == 0 || waiting < self.release_at {
            return;
        }
        let outs: Vec<&out::Out> = self.peers.values().filter_map(|p| p.out.as_ref()).collect();
        self.rib
            .release_unused(|id| outs.iter().any(|o| o.holds(id)));
        self.release_at = self.rib.emptied().saturating_mul(2).max(1024);
    }

    fn up(&mut self, up: Up) {
        let Up {
            addr,
            rules,
            families,
            add_path_send,
            max_prefixes,
            enhanced_refresh,
            graceful_restart,
            long_lived,
            keep_pre_policy,
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
                        max_told: false,
                        enhanced_refresh,
                        out: None,
                        rejected: FxHashSet::default(),
                        pre: None,
                        gr: gr::Restart::default(),
                    },
                );
                (id, Vec::new())
            }
        };
        self.sweep(addr, &sweep);
        let rules = Arc::new(rules);
        self.sources.insert(id, Arc::clone(&rules));
        self.by_id.insert(id, addr);
        let mut o = out::Out::new(id, rules, families.clone(), add_path_send, tx);
        // The initial table, then End-of-RIB (RFC 4724 §2).
        for r in self.rib.iter() {
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
            p.max_told = false;
            p.enhanced_refresh = enhanced_refresh;
            p.out = Some(o);
            p.pre = keep_pre_policy.then(FxHashMap::default);
        }
        // Other peers' exports may depend on this peer's rules.
        for p in self.peers.values_mut() {
            if let Some(o) = p.out.as_mut() {
                o.clear_cache();
            }
        }
        tracing::info!(%addr, "peer up in the RIB");
    }

    fn down(&mut self, addr: IpAddr, retain: Option<Retain>) {
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        p.out = None;
        p.rejected.clear();
        p.pre = None;
        let id = p.id;
        match retain {
            Some(r) if r.restart_time > 0 || !r.long_lived.is_empty() => {
                // RFC 4724 §4.2: keep the routes, stale, for the restart
                // time (RFC 9494: then long-lived where negotiated).
                let families = r.all_families();
                let n = self.rib.mark_stale(id, |f| families.contains(&f));
                let gone = self.rib.remove_paths(id, |f, _| !families.contains(&f));
                let time = r.restart_time;
                p.gr.start(r);
                tracing::info!(%addr, stale = n, restart_time = time, "peer restarting: routes kept stale");
                self.changes(gone);
            }
            _ => self.forget(addr),
        }
    }

    /// Remove a peer and all its routes.
    fn forget(&mut self, addr: IpAddr) {
        if let Some(p) = self.peers.remove(&addr) {
            self.by_id.remove(&p.id);
            self.sources.remove(&p.id);
            let changes = self.rib.remove_peer(p.id);
            tracing::info!(%addr, changed = changes.len(), "peer down: its routes removed");
            self.changes(changes);
            self.collect();
        }
    }

    /// Let attribute sets no route uses go. The export caches hold the
    /// source sets too, so they are emptied first (they refill on demand).
    fn collect(&mut self) {
        for p in self.peers.values_mut() {
            if let Some(o) = p.out.as_mut() {
                o.clear_cache();
            }
        }
        self.interner.collect();
        self.updates_since_collect = 0;
    }

    /// RFC 9494 §4.2: the restart time is over. The routes of `keep` stay,
    /// LLGR_STALE added (least preferred, sent only to LLGR peers), except
    /// those marked NO_LLGR; the routes of `drop` go.
    fn long_lived(&mut self, addr: IpAddr, keep: &[AfiSafi], drop: &[AfiSafi]) {
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
                    .or_insert_with(|| {
                        if a.has_community(Community::NO_LLGR) {
                            return None;
                        }
                        if a.has_community(Community::LLGR_STALE) {
                            return Some(Arc::clone(a));
                        }
                        let mut x = Attrs::clone(a);
                        x.communities.push(Community::LLGR_STALE);
                        Some(interner.intern(x))
                    })
                    .clone()
            },
        );
        tracing::info!(%addr, routes = changes.len(), families = %crate::control::families_text(keep), "restart time over: routes kept long-lived stale (LLGR_STALE)");
        self.changes(changes);
    }

    /// Remove the peer's stale paths of these families.
    fn sweep(&mut self, addr: IpAddr, families: &[AfiSafi]) {
        if families.is_empty() {
            return;
        }
        let Some(id) = self.peers.get(&addr).map(|p| p.id) else {
            return;
        };
        let gone = self
            .rib
            .remove_paths(id, |f, p| p.stale && families.contains(&f));
        if !gone.is_empty() {
            tracing::info!(%addr, swept = gone.len(), families = %crate::control::families_text(families), "stale routes removed");
        }
        self.changes(gone);
    }

    /// Record the UPDATE in the peer's pre-policy Adj-RIB-In, if it keeps
    /// one: announcements as received (RFC 7606 treat-as-withdraw counts as
    /// a withdrawal there too). `received`: the UPDATE's attributes before
    /// import policy (`None` when it is treated as withdraw).
    fn keep_pre(
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
    fn unreject(&mut self, addr: IpAddr, family: AfiSafi, nlri: &Nlri, path_id: u32) {
        if let Some(p) = self.peers.get_mut(&addr).filter(|p| !p.rejected.is_empty()) {
            p.rejected.remove(&(family, nlri.clone(), path_id));
        }
    }

    fn update_msg(&mut self, addr: IpAddr, update: &Update, verdict: &Verdict) {
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
                Some(r) => policy::import(&mut attrs, r, &self.local),
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

    fn route_refresh(&mut self, addr: IpAddr, r: RouteRefresh) {
        let Some(p) = self.peers.get(&addr) else {
            return;
        };
        match r.subtype {
            RefreshSubtype::Normal => {
                let enhanced = p.enhanced_refresh;
                tracing::info!(%addr, family = %r.family, "route refresh: re-sending");
                if let Some(o) = self.peers.get_mut(&addr).and_then(|p| p.out.as_mut()) {
                    o.refresh(&self.rib, r.family, enhanced);
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

    fn resend(&mut self, addr: IpAddr) {
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        let enhanced = p.enhanced_refresh;
        if let Some(o) = p.out.as_mut() {
            for f in o.families.clone() {
                o.refresh(&self.rib, f, enhanced);
            }
        }
    }

    fn inject(&mut self, routes: Vec<LocalRoute>) {
        for r in routes {
            let a = self.interner.intern(r.attrs);
            self.update(self.local_id, r.family, &r.nlri, r.path_id, a);
        }
    }

    fn remove(&mut self, keys: Vec<(AfiSafi, Nlri, u32)>) -> usize {
        let mut n = 0;
        for (f, nlri, id) in keys {
            if self
                .rib
                .paths(f, &nlri)
                .iter()
                .any(|p| p.peer == self.local_id && p.path_id == id)
            {
                n += 1;
            }
            self.withdraw(self.local_id, f, &nlri, id);
        }
        n
    }

    fn counts(&self) -> HashMap<IpAddr, Vec<FamilyCounts>> {
        let mut all = HashMap::new();
        for (addr, p) in &self.peers {
            let mut m: FxHashMap<AfiSafi, FamilyCounts> = FxHashMap::default();
            for (f, n) in self.rib.path_counts(p.id) {
                let c = m.entry(f).or_insert_with(|| FamilyCounts::new(f));
                c.accepted = n as u64;
                c.received = n as u64;
            }
            for (f, _, _) in &p.rejected {
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
}

/// The RIB task. `drained` is notified by peer tasks when they took a batch,
/// so blocked Adj-RIB-Outs are flushed as soon as there is room.
pub async fn run(
    local: Local,
    routes: Vec<RouteConfig>,
    mut rx: mpsc::Receiver<RibMsg>,
    drained: Arc<Notify>,
) {
    let mut rib = Rib::new(SelectionOptions::default());
    let local_id = rib.add_peer(PeerInfo::local(local.asn, local.router_id));
    let (watch, _) = broadcast::channel(4096);
    let mut st = State {
        local,
        rib,
        interner: Interner::new(),
        local_id,
        peers: HashMap::new(),
        sources: FxHashMap::default(),
        by_id: FxHashMap::default(),
        watch,
        updates_since_collect: 0,
        release_at: 0,
    };
    st.inject(routes.iter().map(config_route).collect());
    let started = std::time::Instant::now();
    // The RIB's clock (path ages), set as each message is taken.
    let clock = |st: &mut State| {
        st.rib
            .set_clock(u32::try_from(started.elapsed().as_secs()).unwrap_or(u32::MAX));
    };
    loop {
        let deadline = st.peers.values().filter_map(|p| p.gr.deadline()).min();
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            m = rx.recv() => match m {
                Some(m) => {
                    clock(&mut st);
                    handle(&mut st, m);
                }
                None => return,
            },
            () = drained.notified() => {}
            () = timer => expire(&mut st),
        }
        st.flush();
    }
}

/// Graceful-restart timers that ran out: the routes they kept go.
fn expire(st: &mut State) {
    let now = std::time::Instant::now();
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

fn handle(st: &mut State, m: RibMsg) {
    match m {
        RibMsg::Up(up) => st.up(*up),
        RibMsg::Down { addr, retain } => st.down(addr, retain),
        RibMsg::Updates {
            addr,
            updates,
            latency,
        } => {
            for (update, verdict, at) in &updates {
                st.update_msg(addr, update, verdict);
                latency.observe(at.elapsed());
            }
        }
        RibMsg::RouteRefresh { addr, refresh } => st.route_refresh(addr, refresh),
        RibMsg::Resend { addr } => st.resend(addr),
        RibMsg::Inject { routes, reply } => {
            st.inject(routes);
            let _ = reply.send(());
        }
        RibMsg::Remove { keys, reply } => {
            let n = st.remove(keys);
            let _ = reply.send(n);
        }
        RibMsg::Query { query, reply } => {
            let _ = reply.send(query::run(st, &query));
        }
        RibMsg::Explain {
            family,
            nlri,
            reply,
        } => {
            let _ = reply.send(query::explain(st, family, &nlri));
        }
        RibMsg::Subscribe { reply } => {
            // Snapshot and subscription in one step: no change is missed
            // or seen twice.
            let rx = st.watch.subscribe();
            let snapshot = st
                .rib
                .iter()
                .filter_map(|r| r.best().map(|p| st.entry(r.family(), &r.nlri(), p, true)))
                .collect();
            let _ = reply.send((snapshot, rx));
        }
        RibMsg::Counts { reply } => {
            let _ = reply.send(st.counts());
        }
        RibMsg::Sizes { reply } => {
            let mut paths: FxHashMap<AfiSafi, u64> = FxHashMap::default();
            let ids = std::iter::once(st.local_id).chain(st.peers.values().map(|p| p.id));
            for (f, n) in ids.flat_map(|id| st.rib.path_counts(id)) {
                *paths.entry(f).or_default() += n as u64;
            }
            let families = paths
                .into_iter()
                .map(|(f, n)| (f, st.rib.len(f) as u64, n))
                .collect();
            let _ = reply.send(crate::control::RibSizes {
                families,
                attribute_sets: st.interner.len() as u64,
            });
        }
        RibMsg::SetLocal { local } => {
            let info = PeerInfo::local(local.asn, local.router_id);
            st.rib.set_peer(st.local_id, info);
            st.local = local;
        }
    }
    if st.updates_since_collect > 100_000 {
        st.collect();
    }
}
