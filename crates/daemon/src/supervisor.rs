//! Owns the peer tasks: starts, stops and restarts them for the config
//! file, SIGHUP reloads, the API and dynamic-neighbor ranges, routes
//! inbound connections to them, and answers status questions.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rbgp_config::{Config, Neighbor, NeighborConfig};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;

use crate::control::{
    ControlError, Identity, LocalRoute, NeighborStatus, ReloadSummary, SessionStatus, SoftReset,
};
use crate::peer::{self, Setup, Wiring};
use crate::sockets::{self, Listeners};
use crate::tasks::{Command, Inbound, PeerCtl, PeerSpec, RibMsg, SessionEvent, CTL_Q, PEER_CONN_Q};

/// How long a stopping peer task may take to send its Cease.
const STOP_WAIT: Duration = Duration::from_secs(3);

struct PeerHandle {
    neighbor: Neighbor,
    dynamic: bool,
    from_api: bool,
    conn: mpsc::Sender<TcpStream>,
    ctl: mpsc::Sender<PeerCtl>,
    status: watch::Receiver<SessionStatus>,
    task: JoinHandle<()>,
}

pub struct Supervisor {
    config: Config,
    peers: HashMap<IpAddr, PeerHandle>,
    rib: mpsc::Sender<RibMsg>,
    events: broadcast::Sender<SessionEvent>,
    drained: Arc<Notify>,
    gone_tx: mpsc::Sender<IpAddr>,
    /// Neighbors disabled through the API: they stay disabled when their
    /// task is restarted (reload, SetGlobal) and, stored by the API, when
    /// rbgpd is.
    disabled: HashSet<IpAddr>,
    /// Keyed with each neighbor's MD5 password (RFC 2385) while it exists.
    pub listeners: Listeners,
    /// What connection floods make us log: a few lines per window.
    /// Per kind of line: unconfigured addresses knocking must not hide a
    /// configured peer's dropped connection.
    log_limit: crate::loglimit::LogLimits,
    /// Room in the RIB's inbox, shared by the peer tasks.
    room: peer::room::Room,
}

impl Supervisor {
    pub fn new(
        config: Config,
        rib: mpsc::Sender<RibMsg>,
        events: broadcast::Sender<SessionEvent>,
        drained: Arc<Notify>,
        gone_tx: mpsc::Sender<IpAddr>,
        disabled: HashSet<IpAddr>,
    ) -> Self {
        Supervisor {
            config,
            peers: HashMap::new(),
            rib,
            events,
            drained,
            gone_tx,
            disabled,
            listeners: Listeners::default(),
            log_limit: crate::loglimit::LogLimits::default(),
            room: peer::room::Room::new(peer::room::RIB_ROOM),
        }
    }

    /// Start a neighbor's task; the RIB learns its policy first.
    async fn spawn(&mut self, n: Neighbor, dynamic: bool, from_api: bool) {
        self.send_policy(&n).await;
        let (conn, conn_rx) = mpsc::channel(PEER_CONN_Q);
        let (ctl, ctl_rx) = mpsc::channel(CTL_Q);
        let (status_tx, status) = watch::channel(SessionStatus::default());
        let mut setup = Setup::new(&self.config, n.clone());
        setup.dynamic = dynamic;
        setup.enabled = !self.disabled.contains(&n.address);
        let wiring = Wiring {
            rib: self.rib.clone(),
            room: self.room.clone(),
            conn_rx,
            ctl_rx,
            status: status_tx,
            events: self.events.clone(),
            drained: Arc::clone(&self.drained),
            gone: self.gone_tx.clone(),
        };
        if !dynamic {
            // Before the task runs; dynamic neighbors use their range's key.
            self.listeners.key(n.address, n.md5_password.as_deref());
        }
        let task = tokio::spawn(peer::run(setup, wiring));
        let addr = n.address;
        tracing::info!(peer = %addr, dynamic, "neighbor started");
        self.peers.insert(
            addr,
            PeerHandle {
                neighbor: n,
                dynamic,
                from_api,
                conn,
                ctl,
                status,
                task,
            },
        );
    }

    /// Stop a peer task (Cease with `message`) and wait for it to end, so
    /// that its routes leave the RIB before anything replaces it.
    async fn stop(&mut self, addr: IpAddr, message: Option<String>) -> bool {
        let Some(h) = self.peers.remove(&addr) else {
            return false;
        };
        let _ = h.ctl.send(PeerCtl::Stop(message)).await;
        let mut task = h.task;
        if tokio::time::timeout(STOP_WAIT, &mut task).await.is_err() {
            task.abort();
        }
        // A peer in graceful restart has routes but no session: drop them.
        let _ = self
            .rib
            .send(RibMsg::Down {
                addr,
                retain: None,
                why: None,
            })
            .await;
        let _ = self
            .rib
            .send(RibMsg::SetPeerPolicy { addr, spec: None })
            .await;
        tracing::info!(peer = %addr, "neighbor stopped");
        true
    }

    /// A running neighbor whose session settings did not change: its policy
    /// may have, which applies without a reset. The chains to send the RIB
    /// when it did.
    fn update_policy(&mut self, n: &Neighbor) -> Option<(IpAddr, PeerSpec)> {
        let h = self.peers.get_mut(&n.address)?;
        if h.neighbor.policy == n.policy {
            return None;
        }
        h.neighbor.policy = n.policy.clone();
        tracing::info!(peer = %n.address, "neighbor policy changed: applied without a session reset");
        Some((n.address, self.spec(n)))
    }

    /// Tell the RIB a neighbor's chains.
    async fn send_policy(&self, n: &Neighbor) {
        let spec = self.spec(n);
        let _ = self
            .rib
            .send(RibMsg::SetPeerPolicy {
                addr: n.address,
                spec: Some(spec),
            })
            .await;
    }

    /// A neighbor's chains as the RIB takes them; warns when RFC 8212
    /// leaves an eBGP neighbor with nothing accepted or sent.
    fn spec(&self, n: &Neighbor) -> PeerSpec {
        let asn = self.config.global.asn;
        let ebgp = n.is_ebgp(asn);
        let (no_import, no_export) = n.policy.unattached();
        if ebgp && !(no_import.is_empty() && no_export.is_empty()) {
            tracing::warn!(
                peer = %n.address,
                import = %crate::control::families_text(&no_import),
                export = %crate::control::families_text(&no_export),
                "eBGP neighbor without import/export policy for these families: nothing is accepted/sent (RFC 8212); attach a policy, or import_policy/export_policy = [\"accept_all\"]"
            );
        }
        PeerSpec {
            policy: n.policy.clone(),
            group: n.peer_group.as_deref().map(Arc::from),
            ebgp,
        }
    }

    pub async fn start_configured(&mut self) -> Result<(), ControlError> {
        let neighbors = self
            .config
            .neighbors()
            .map_err(|e| ControlError::invalid("neighbors", e.to_string()))?;
        for n in neighbors {
            self.spawn(n, false, false).await;
        }
        Ok(())
    }

    /// The dynamic-neighbor range `ip` falls in.
    fn range_of(&self, ip: IpAddr) -> Option<&rbgp_config::DynamicNeighbor> {
        let host = host(ip)?;
        self.config
            .dynamic_neighbors
            .iter()
            .find(|d| d.prefix.contains(&host))
    }

    /// The range of `ip` and its `max_neighbors` when that many of its
    /// neighbors have a task: a new address must wait for one to end.
    fn range_full(&self, ip: IpAddr) -> Option<(rbgp_wire::Prefix, u32)> {
        let d = self.range_of(ip)?;
        let live = self
            .peers
            .iter()
            .filter(|(a, h)| h.dynamic && host(**a).is_some_and(|p| d.prefix.contains(&p)))
            .count();
        (live >= d.max_neighbors as usize).then_some((d.prefix, d.max_neighbors))
    }

    /// The neighbor a connection from `ip` makes through its dynamic range;
    /// `Err(None)` when no range has `ip`.
    fn dynamic_neighbor(&self, ip: IpAddr) -> Result<Neighbor, Option<String>> {
        let d = self.range_of(ip).ok_or(None)?;
        let nc = NeighborConfig::in_group(ip, &d.peer_group);
        let mut n = self
            .config
            .resolve(&nc)
            .map_err(|e| Some(format!("peer group {:?}: {e}", d.peer_group)))?;
        // RFC 4271 §8.2.1: a passive peer waits for the connection.
        n.passive = true;
        Ok(n)
    }

    /// A connection from `ip`: to its neighbor, or a new dynamic neighbor.
    async fn inbound(&mut self, s: TcpStream, ip: IpAddr) {
        let asn = self.config.global.asn;
        if let Some(h) = self.peers.get(&ip) {
            if !sockets::accepted(&s, &h.neighbor, asn) {
                return;
            }
            if h.conn.try_send(s).is_err() && self.log_limit.check("peer task busy") {
                tracing::warn!(peer = %ip, "peer task busy, connection dropped");
            }
            return;
        }
        match self.dynamic_neighbor(ip) {
            Ok(n) => {
                if !sockets::accepted(&s, &n, asn) {
                    return;
                }
                if let Some((range, max)) = self.range_full(ip) {
                    if self.log_limit.check("dynamic range full") {
                        tracing::warn!(from = %ip, %range, max_neighbors = max, "dynamic neighbor range full, connection closed");
                    }
                    return;
                }
                self.spawn(n, true, false).await;
                let busy = self
                    .peers
                    .get(&ip)
                    .is_none_or(|h| h.conn.try_send(s).is_err());
                if busy && self.log_limit.check("new dynamic neighbor busy") {
                    tracing::warn!(peer = %ip, "new dynamic neighbor busy, connection dropped");
                }
            }
            Err(None) => {
                if self.log_limit.check("unconfigured addresses") {
                    tracing::info!(from = %ip, "connection from an unconfigured address closed");
                }
            }
            Err(Some(e)) => {
                if self.log_limit.check("dynamic neighbor refused") {
                    tracing::warn!(from = %ip, error = %e, "dynamic neighbor refused");
                }
            }
        }
    }

    async fn status(&self) -> Vec<NeighborStatus> {
        let (tx, rx) = oneshot::channel();
        let mut counts = HashMap::new();
        if self.rib.send(RibMsg::Counts { reply: tx }).await.is_ok() {
            counts = rx.await.unwrap_or_default();
        }
        let mut v: Vec<NeighborStatus> = self
            .peers
            .values()
            .map(|h| NeighborStatus {
                neighbor: h.neighbor.clone(),
                dynamic: h.dynamic,
                from_api: h.from_api,
                session: h.status.borrow().clone(),
                prefixes: counts.remove(&h.neighbor.address).unwrap_or_default(),
            })
            .collect();
        v.sort_by_key(|n| n.neighbor.address);
        v
    }

    async fn ctl(&self, addr: IpAddr, c: PeerCtl) -> Result<(), ControlError> {
        let h = self
            .peers
            .get(&addr)
            .ok_or(ControlError::NoSuchNeighbor(addr))?;
        h.ctl
            .send(c)
            .await
            .map_err(|_| ControlError::NoSuchNeighbor(addr))
    }

    /// Apply a new configuration to the running daemon.
    async fn reload(&mut self, new: Config) -> Result<ReloadSummary, ControlError> {
        let wanted = new
            .neighbors()
            .map_err(|e| ControlError::invalid("neighbors", e.to_string()))?;
        if new.global.session_settings() != self.config.global.session_settings() {
            tracing::warn!("[global] changes other than policy take effect at the next restart");
        }
        // Compiled before anything changes: a reload that fails leaves
        // the daemon as it was.
        let policies = if new.policy != self.config.policy {
            let p = rbgp_policy::Policies::compile(&new.policy)
                .map_err(|e| ControlError::invalid(format!("policy.{}", e.field), e.reason))?;
            Some(Arc::new(p))
        } else {
            None
        };
        let mut summary = ReloadSummary::default();
        let old_routes = std::mem::take(&mut self.config.routes);
        // The identity and listeners stay; policy attachments apply now.
        let global = rbgp_config::Global {
            import_policy: new.global.import_policy.clone(),
            export_policy: new.global.export_policy.clone(),
            default_import_policy: new.global.default_import_policy,
            default_export_policy: new.global.default_export_policy,
            family_import_policy: new.global.family_import_policy.clone(),
            family_export_policy: new.global.family_export_policy.clone(),
            ..self.config.global.clone()
        };
        self.config = new;
        self.config.global = global;
        self.listeners.key_ranges(&self.config);
        // Which running neighbors keep their session (their policy may
        // change) and which stop: configured ones from the old file...
        let mut specs = Vec::new();
        let mut restart: Vec<(IpAddr, Option<Neighbor>)> = Vec::new();
        let configured: Vec<IpAddr> = self
            .peers
            .iter()
            .filter(|(_, h)| !h.dynamic && !h.from_api)
            .map(|(a, _)| *a)
            .collect();
        for addr in configured {
            let keep = wanted.iter().find(|n| n.address == addr);
            let same = keep.filter(|n| {
                self.peers
                    .get(&addr)
                    .is_some_and(|h| h.neighbor.session_settings() == n.session_settings())
            });
            match same {
                Some(n) => {
                    summary.unchanged += 1;
                    specs.extend(self.update_policy(n));
                }
                None => restart.push((addr, keep.cloned())),
            }
        }
        // ...and dynamic ones, closed when their range is gone or would
        // now give them other settings (they may connect again).
        let dynamic: Vec<(IpAddr, Option<Neighbor>)> = self
            .peers
            .iter()
            .filter(|(_, h)| h.dynamic)
            .map(|(a, _)| (*a, self.dynamic_neighbor(*a).ok()))
            .collect();
        let mut closed = Vec::new();
        for (addr, now) in dynamic {
            let same = now.as_ref().filter(|n| {
                self.peers
                    .get(&addr)
                    .is_some_and(|h| h.neighbor.session_settings() == n.session_settings())
            });
            match same {
                Some(n) => specs.extend(self.update_policy(n)),
                None => closed.push(addr),
            }
        }
        // New definitions and changed chains reach the RIB as one change,
        // before any session stops or starts.
        if policies.is_some() || !specs.is_empty() {
            if policies.is_some() {
                tracing::info!("policy definitions changed: applied without session resets");
            }
            let _ = self.rib.send(RibMsg::SetPolicies { policies, specs }).await;
        }
        for (addr, keep) in restart {
            self.stop(addr, Some("configuration changed".into())).await;
            match keep {
                Some(n) => {
                    self.spawn(n, false, false).await;
                    summary.changed.push(addr);
                }
                None => {
                    self.listeners.key(addr, None);
                    summary.removed.push(addr);
                }
            }
        }
        for addr in closed {
            self.stop(addr, Some("dynamic neighbor range removed".into()))
                .await;
            summary.removed.push(addr);
        }
        for n in wanted {
            if !self.peers.contains_key(&n.address) {
                summary.added.push(n.address);
                self.spawn(n, false, false).await;
            }
        }
        // Originated routes: withdraw those gone, inject the new ones. The
        // RIB answers on channels nobody waits for: a reload returns once
        // the RIB has the messages, in order.
        let removed: Vec<_> = old_routes
            .iter()
            .filter(|r| !self.config.routes.contains(r))
            .map(|r| LocalRoute::from_config(r).key())
            .collect();
        let added: Vec<LocalRoute> = self
            .config
            .routes
            .iter()
            .filter(|r| !old_routes.contains(r))
            .map(LocalRoute::from_config)
            .collect();
        if !removed.is_empty() {
            let (reply, _) = oneshot::channel();
            let _ = self
                .rib
                .send(RibMsg::Remove {
                    keys: removed,
                    reply,
                })
                .await;
        }
        if !added.is_empty() {
            let (reply, _) = oneshot::channel();
            let _ = self
                .rib
                .send(RibMsg::Inject {
                    routes: added,
                    reply,
                })
                .await;
        }
        tracing::info!(?summary, "configuration reloaded");
        Ok(summary)
    }

    /// New AS and router ID, applied as a reload applies a changed
    /// neighbor: the sessions whose OPEN changes are stopped, the RIB takes
    /// the new identity, and they start again (dynamic ones reconnect).
    async fn set_identity(&mut self, id: Identity) -> ReloadSummary {
        let mut new = self.config.clone();
        new.global.asn = id.asn;
        new.global.router_id = id.router_id;
        let mut summary = ReloadSummary::default();
        let mut restart = Vec::new();
        for h in self.peers.values() {
            let before = Setup::new(&self.config, h.neighbor.clone()).fsm;
            let after = Setup::new(&new, h.neighbor.clone()).fsm;
            if before == after {
                summary.unchanged += 1;
            } else {
                restart.push((h.neighbor.clone(), h.dynamic, h.from_api));
            }
        }
        for (n, _, _) in &restart {
            self.stop(n.address, Some("BGP identity changed".into()))
                .await;
        }
        self.config.global = new.global;
        let local = rbgp_rib::rules::Local {
            asn: id.asn,
            router_id: id.router_id,
            cluster_id: id.router_id,
        };
        let _ = self.rib.send(RibMsg::SetLocal { local }).await;
        for (n, dynamic, from_api) in restart {
            summary.changed.push(n.address);
            if !dynamic {
                self.spawn(n, false, from_api).await;
            }
        }
        tracing::info!(asn = id.asn, router_id = %id.router_id, ?summary, "BGP identity changed");
        summary
    }

    async fn command(&mut self, c: Command) -> bool {
        match c {
            Command::AddNeighbor(n, reply) => {
                let r = if self.peers.contains_key(&n.address) {
                    Err(ControlError::NeighborExists(n.address))
                } else {
                    self.spawn(*n, false, true).await;
                    Ok(())
                };
                let _ = reply.send(r);
            }
            Command::DeleteNeighbor(addr, reply) => {
                let r = if self.stop(addr, Some("neighbor deleted".into())).await {
                    self.listeners.key(addr, None);
                    self.disabled.remove(&addr);
                    Ok(())
                } else {
                    Err(ControlError::NoSuchNeighbor(addr))
                };
                let _ = reply.send(r);
            }
            Command::Enable(addr, reply) => {
                let r = self.ctl(addr, PeerCtl::Enable).await;
                if r.is_ok() {
                    self.disabled.remove(&addr);
                }
                let _ = reply.send(r);
            }
            Command::Disable(addr, message, reply) => {
                let r = self.ctl(addr, PeerCtl::Disable(message)).await;
                if r.is_ok() && self.peers.get(&addr).is_some_and(|h| !h.dynamic) {
                    self.disabled.insert(addr);
                }
                let _ = reply.send(r);
            }
            Command::SetNeighborPolicy(addr, policy, reply) => {
                let r = match self.peers.get(&addr) {
                    Some(h) => {
                        let mut n = h.neighbor.clone();
                        n.policy = *policy;
                        if let Some(spec) = self.update_policy(&n) {
                            let _ = self
                                .rib
                                .send(RibMsg::SetPolicies {
                                    policies: None,
                                    specs: vec![spec],
                                })
                                .await;
                        }
                        Ok(())
                    }
                    None => Err(ControlError::NoSuchNeighbor(addr)),
                };
                let _ = reply.send(r);
            }
            Command::SetIdentity(id, reply) => {
                let _ = reply.send(Ok(self.set_identity(id).await));
            }
            Command::SoftReset(addr, which, reply) => {
                let mut r = Ok(());
                if matches!(which, SoftReset::In | SoftReset::Both) {
                    r = self.ctl(addr, PeerCtl::RouteRefresh).await;
                }
                if r.is_ok() && matches!(which, SoftReset::Out | SoftReset::Both) {
                    let _ = self.rib.send(RibMsg::Resend { addr }).await;
                }
                let _ = reply.send(r);
            }
            Command::Neighbors(reply) => {
                let _ = reply.send(Ok(self.status().await));
            }
            Command::Reload(config, reply) => {
                let r = self.reload(*config).await;
                let _ = reply.send(r);
            }
            Command::Shutdown(message) => {
                let msg = message.or_else(|| Some("rbgpd shutting down".into()));
                let addrs: Vec<IpAddr> = self.peers.keys().copied().collect();
                for h in self.peers.values() {
                    let _ = h.ctl.send(PeerCtl::Stop(msg.clone())).await;
                }
                for a in addrs {
                    if let Some(h) = self.peers.remove(&a) {
                        let mut task = h.task;
                        if tokio::time::timeout(STOP_WAIT, &mut task).await.is_err() {
                            task.abort();
                        }
                    }
                }
                return false;
            }
        }
        true
    }
}

/// The supervisor task: ends after a shutdown command.
pub async fn run(
    mut sup: Supervisor,
    mut cmd_rx: mpsc::Receiver<Command>,
    mut conn_rx: mpsc::Receiver<Inbound>,
    mut gone_rx: mpsc::Receiver<IpAddr>,
) {
    loop {
        tokio::select! {
            c = cmd_rx.recv() => match c {
                Some(c) => {
                    if !sup.command(c).await {
                        return;
                    }
                }
                None => return,
            },
            Some((s, ip)) = conn_rx.recv() => sup.inbound(s, ip).await,
            Some(ip) = gone_rx.recv() => {
                if sup.peers.get(&ip).is_some_and(|h| h.dynamic) {
                    sup.peers.remove(&ip);
                    // Its chains go too (a range sees many addresses).
                    let _ = sup.rib.send(RibMsg::SetPeerPolicy { addr: ip, spec: None }).await;
                    tracing::info!(peer = %ip, "dynamic neighbor removed");
                }
            }
        }
    }
}

/// `ip` as a host prefix, to match it against ranges.
fn host(ip: IpAddr) -> Option<rbgp_wire::Prefix> {
    rbgp_wire::Prefix::new(ip, if ip.is_ipv4() { 32 } else { 128 })
}
