//! The simulation: [`Sim`] runs a RIB task, [`SimPeer`]s talk to it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rbgp_config::Config;
use rbgp_fsm::{DownReason, Negotiated};
use rbgp_policy::Policies;
use rbgp_rib::rules::Local;
use rbgp_rib::Attrs;
use rbgp_wire::capability::{GrFamily, GracefulRestart, LlgrFamily};
use rbgp_wire::route_refresh::{RefreshSubtype, RouteRefresh};
use rbgp_wire::{AfiSafi, Context, Message, Nlri, NlriEntry, Update};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use crate::control::{FamilyCounts, LocalRoute, PrefixMatch, RibQuery, RouteEntry, Table};
use crate::metrics::{Histogram, LATENCY_BOUNDS};
use crate::peer::{pack, session, Setup};
use crate::rib_task::{self, RibTask};
use crate::tasks::{PeerSpec, Received, RibMsg, ToPeer, EXPORT_Q, RIB_Q};

/// Our AS and router ID in every simulation.
pub const LOCAL_AS: u32 = 65000;
pub const ROUTER_ID: &str = "10.0.0.1";

pub const V4: AfiSafi = AfiSafi::IPV4_UNICAST;
pub const V6: AfiSafi = AfiSafi::IPV6_UNICAST;

/// A RIB task and the peers around it.
pub struct Sim {
    rib: mpsc::Sender<RibMsg>,
    drained: Arc<Notify>,
    task: JoinHandle<()>,
    peers: HashMap<IpAddr, SimPeer>,
    /// Extra `[global]` lines and the `[policy]` part of the configuration
    /// every simulated neighbor is read from.
    global: String,
    policy: String,
}

/// `[global]` lines that turn RFC 8212 off: tests of the built-in rules
/// run with every route accepted and sent.
pub const ACCEPT_ALL: &str = "import_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]\n";

/// Something a peer was sent besides routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    EndOfRib(AfiSafi),
    RefreshBegin(AfiSafi),
    RefreshEnd(AfiSafi),
    MaxPrefix(u32),
    RequestRefresh,
}

/// One simulated neighbor.
pub struct SimPeer {
    pub setup: Setup,
    pub negotiated: Negotiated,
    rx: Option<mpsc::Receiver<ToPeer>>,
    /// Stops reading what the RIB sends (a stuck peer).
    pub stalled: bool,
    /// What the peer holds from us, as decoded from the UPDATEs it got:
    /// (family, NLRI text, path id) -> attributes.
    pub table: BTreeMap<(AfiSafi, String, u32), Attrs>,
    /// Everything else it got, in order.
    pub signals: Vec<Signal>,
    /// UPDATE messages it got (End-of-RIB included).
    pub updates: usize,
    /// Its import as the RIB task gave it: UPDATEs are run through it
    /// as the peer task does (`stage.rs`).
    pub stage: Option<crate::stage::Stage>,
    /// Keep the stage it has and ignore new ones (a change still on its
    /// way to the peer task).
    pub stage_frozen: bool,
    /// The RIB task's inbox, for what the peer task tells it on its own.
    rib: mpsc::Sender<RibMsg>,
}

impl SimPeer {
    /// The routes the peer holds for `family`, as "prefix" or
    /// "prefix#path-id" texts, sorted.
    pub fn prefixes(&self, family: AfiSafi) -> Vec<String> {
        self.table
            .keys()
            .filter(|(f, _, _)| *f == family)
            .map(|(_, n, id)| {
                if *id == 0 {
                    n.clone()
                } else {
                    format!("{n}#{id}")
                }
            })
            .collect()
    }

    /// The attributes the peer holds for `prefix` (path id 0).
    pub fn route(&self, family: AfiSafi, prefix: &str) -> Option<&Attrs> {
        self.table.get(&(family, prefix.to_string(), 0))
    }

    fn ctx(&self) -> Context {
        self.negotiated.tx_context()
    }

    /// Take one message from the RIB the way the peer task does.
    fn receive(&mut self, m: ToPeer) {
        match m {
            ToPeer::Routes(batch) => {
                // The real encoder, then the real decoder: the peer's view
                // of what went on the wire.
                let ctx = self.ctx();
                let packed = pack::pack(batch, false, &ctx);
                let mut rest = packed.bytes.as_slice();
                // The peer decodes with what we encode with.
                let rx_ctx = ctx;
                while !rest.is_empty() {
                    let d = Message::decode(rest, &rx_ctx).expect("we sent a valid message");
                    rest = &rest[d.len..];
                    let Message::Update(u) = d.message else {
                        panic!("not an UPDATE");
                    };
                    self.updates += 1;
                    self.apply(&u);
                }
            }
            ToPeer::EndOfRib(fs) => {
                self.updates += fs.len();
                self.signals.extend(fs.into_iter().map(Signal::EndOfRib));
            }
            ToPeer::RefreshBegin(f) => self.signals.push(Signal::RefreshBegin(f)),
            ToPeer::RefreshEnd(f) => self.signals.push(Signal::RefreshEnd(f)),
            ToPeer::MaxPrefix(n) => self.signals.push(Signal::MaxPrefix(n)),
            ToPeer::RequestRefresh => {
                self.signals.push(Signal::RequestRefresh);
                // As `peer/receive.rs` does before its ROUTE-REFRESH.
                if self.negotiated.route_refresh {
                    self.rib
                        .try_send(RibMsg::RefreshAsked {
                            addr: self.setup.neighbor.address,
                            families: self.negotiated.families.clone(),
                        })
                        .expect("the RIB inbox has room");
                }
            }
            ToPeer::Stage(s) if !self.stage_frozen => self.stage = Some(*s),
            ToPeer::Stage(_) => {}
        }
    }

    fn apply(&mut self, u: &Update) {
        for (f, n) in u.withdrawals() {
            self.table
                .remove(&(f, n.nlri.to_string(), n.path_id.unwrap_or(0)));
        }
        let attrs = Attrs::from_update(u);
        for (f, n) in u.announced() {
            self.table.insert(
                (f, n.nlri.to_string(), n.path_id.unwrap_or(0)),
                attrs.clone(),
            );
        }
    }
}

/// The configuration text of one neighbor with `global` lines and the
/// `policy` part.
fn config_text(global: &str, policy: &str, address: &str, neighbor: &str) -> String {
    format!(
        "[global]\nasn = {LOCAL_AS}\nrouter_id = \"{ROUTER_ID}\"\nlisten = []\n{global}\n{policy}\n\
         [[neighbors]]\naddress = \"{address}\"\n{neighbor}"
    )
}

fn setup_in(global: &str, policy: &str, address: &str, neighbor: &str) -> Setup {
    let text = config_text(global, policy, address, neighbor);
    let c = Config::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let n = c.neighbors().unwrap().remove(0);
    Setup::new(&c, n)
}

/// Compiled policy definitions from a `[policy]` TOML part.
pub fn compile(policy: &str) -> Arc<Policies> {
    let text = config_text("", policy, "192.0.2.250", "remote_asn = 1");
    let c = Config::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    Arc::new(Policies::compile(&c.policy).unwrap())
}

/// What a session with this neighbor negotiates when the peer offers what
/// we do (families, ADD-PATH both ways, graceful restart with the
/// forwarding bit, LLGR with a stale time of 3600 s).
pub fn negotiated(s: &Setup) -> Negotiated {
    let add_path: Vec<AfiSafi> = s.fsm.add_path.iter().map(|(f, _)| *f).collect();
    Negotiated {
        peer_asn: s.neighbor.remote_asn,
        peer_id: match s.neighbor.address {
            IpAddr::V4(a) => a,
            IpAddr::V6(_) => "192.0.2.254".parse().unwrap(),
        },
        hold_time: 90,
        keepalive_time: 30,
        families: s.fsm.families.clone(),
        four_octet_as: true,
        extended_message: false,
        route_refresh: true,
        enhanced_route_refresh: false,
        add_path_rx: add_path.clone(),
        add_path_tx: add_path,
        peer_graceful_restart: s.fsm.graceful_restart.map(|_| GracefulRestart {
            restarting: false,
            notification: true,
            time: 120,
            families: s
                .fsm
                .families
                .iter()
                .map(|f| GrFamily {
                    family: *f,
                    forwarding: true,
                })
                .collect(),
        }),
        peer_llgr: match s.fsm.long_lived_stale_time {
            Some(_) => s
                .fsm
                .families
                .iter()
                .map(|f| LlgrFamily {
                    family: *f,
                    forwarding: true,
                    stale_time: 3600,
                })
                .collect(),
            None => Vec::new(),
        },
        peer_role: None,
        extended_next_hop: Vec::new(),
    }
}

/// Attributes of a route a peer announces.
pub fn attrs(as_path: &str, next_hop: &str) -> Attrs {
    Attrs {
        origin: Some(rbgp_wire::attr::Origin::Igp),
        as_path: as_path.parse().unwrap(),
        next_hop: Some(next_hop.parse().unwrap()),
        ..Attrs::default()
    }
}

fn nlri(prefix: &str) -> Nlri {
    Nlri::Prefix(prefix.parse().unwrap())
}

impl Sim {
    /// A RIB task as `daemon::start` makes it (AS 65000, router ID
    /// 10.0.0.1), with these routes originated.
    pub fn new(routes: Vec<LocalRoute>) -> Sim {
        Sim::with_policy(routes, ACCEPT_ALL, "")
    }

    /// A simulation whose neighbors are read with these `[global]` lines
    /// and `[policy]` part (sets and definitions).
    pub fn with_policy(routes: Vec<LocalRoute>, global: &str, policy: &str) -> Sim {
        Sim::with_task(routes, global, policy, |t| t)
    }

    /// A simulation whose RIB task is changed by `f` before it starts.
    pub fn with_task(
        routes: Vec<LocalRoute>,
        global: &str,
        policy: &str,
        f: impl FnOnce(RibTask) -> RibTask,
    ) -> Sim {
        let (rib, rx) = mpsc::channel(RIB_Q);
        let drained = Arc::new(Notify::new());
        let router_id = ROUTER_ID.parse().unwrap();
        let local = Local {
            asn: LOCAL_AS,
            router_id,
            cluster_id: router_id,
        };
        let latency = Arc::new(Histogram::new(LATENCY_BOUNDS));
        let task = tokio::spawn(rib_task::run(
            f(RibTask::new(local, latency, compile(policy))),
            routes,
            rx,
            Arc::clone(&drained),
        ));
        Sim {
            rib,
            drained,
            task,
            peers: HashMap::new(),
            global: global.to_string(),
            policy: policy.to_string(),
        }
    }

    pub fn peer(&self, addr: &str) -> &SimPeer {
        self.peers
            .get(&addr.parse::<IpAddr>().unwrap())
            .unwrap_or_else(|| panic!("no peer {addr}"))
    }

    pub fn peer_mut(&mut self, addr: &str) -> &mut SimPeer {
        self.peers
            .get_mut(&addr.parse::<IpAddr>().unwrap())
            .unwrap_or_else(|| panic!("no peer {addr}"))
    }

    /// The RIB task's channel, for a real task to feed it (the RPKI task
    /// in `rpki/expiry_tests.rs`).
    pub fn rib_sender(&self) -> mpsc::Sender<RibMsg> {
        self.rib.clone()
    }

    async fn send(&self, m: RibMsg) {
        self.rib.send(m).await.expect("RIB task running");
    }

    /// A neighbor (its TOML lines after `address`) establishes its session
    /// (our end of it: 10.0.0.1 or 2001:db8::1).
    pub async fn up(&mut self, addr: &str, neighbor: &str) {
        self.up_with(addr, neighbor, |_| {}).await;
    }

    /// As [`Sim::up`], with the negotiated session changed by `f`.
    pub async fn up_with(&mut self, addr: &str, neighbor: &str, f: impl FnOnce(&mut Negotiated)) {
        let s = setup_in(&self.global, &self.policy, addr, neighbor);
        self.send(RibMsg::SetPeerPolicy {
            addr: s.neighbor.address,
            spec: Some(spec_of(&s)),
        })
        .await;
        let mut n = negotiated(&s);
        f(&mut n);
        let local = Some(std::net::SocketAddr::new(
            if s.neighbor.address.is_ipv4() {
                ROUTER_ID.parse().unwrap()
            } else {
                "2001:db8::1".parse().unwrap()
            },
            179,
        ));
        let (tx, rx) = mpsc::channel(EXPORT_Q);
        let mut their = s.fsm.clone();
        their.local_asn = n.peer_asn;
        their.router_id = n.peer_id;
        // The peer offers ADD-PATH both ways where we offer it (as
        // `negotiated` assumes), so a BMP station reading both OPENs
        // negotiates what the session uses.
        for (_, m) in &mut their.add_path {
            *m = rbgp_fsm::AddPathMode {
                receive: true,
                send: true,
            };
        }
        let info = crate::tasks::SessionInfo {
            local,
            remote: Some(std::net::SocketAddr::new(s.neighbor.address, 50179)),
            sent_open: s.fsm.open(),
            received_open: their.open(),
            rx: n.rx_context(),
            tx: n.tx_context(),
            peer_asn: n.peer_asn,
            peer_id: n.peer_id,
            at: std::time::SystemTime::now(),
        };
        let up = session::up(&s, &n, local, std::sync::Arc::new(info), tx);
        self.send(RibMsg::Up(Box::new(up))).await;
        let ip = s.neighbor.address;
        let peer = SimPeer {
            setup: s,
            negotiated: n,
            rx: Some(rx),
            stalled: false,
            table: BTreeMap::new(),
            signals: Vec::new(),
            updates: 0,
            stage: None,
            stage_frozen: false,
            rib: self.rib.clone(),
        };
        self.peers.insert(ip, peer);
        self.settle().await;
    }

    /// New policy definitions, as a reload or the API sends them.
    pub async fn set_policies(&mut self, policy: &str) {
        self.policy = policy.to_string();
        self.send(RibMsg::SetPolicies {
            policies: Some(compile(policy)),
            specs: Vec::new(),
        })
        .await;
        self.settle().await;
    }

    /// A neighbor's settings read again (its policy may have changed).
    pub async fn set_neighbor(&mut self, addr: &str, neighbor: &str) {
        let s = setup_in(&self.global, &self.policy, addr, neighbor);
        self.send(RibMsg::SetPolicies {
            policies: None,
            specs: vec![(s.neighbor.address, spec_of(&s))],
        })
        .await;
        self.peer_mut(addr).setup = s;
        self.settle().await;
    }

    /// The session goes down for `reason`; what is retained follows the
    /// peer task's rules (`peer::session::retain`).
    pub async fn down(&mut self, addr: &str, reason: DownReason) {
        let ip: IpAddr = addr.parse().unwrap();
        let p = self.peers.get_mut(&ip).expect("peer");
        let retain = session::retain(&p.setup, &p.negotiated, &reason);
        p.rx = None;
        p.table.clear();
        self.send(RibMsg::Down {
            addr: ip,
            retain,
            why: Some(reason),
        })
        .await;
        self.settle().await;
    }

    /// The peer sends UPDATE bytes: decoded as the peer task decodes them.
    pub async fn send_bytes(&mut self, addr: &str, bytes: &[u8]) {
        self.queue_bytes(addr, bytes).await;
        self.settle().await;
    }

    /// As [`Sim::send_bytes`], but queued behind what the RIB task has not
    /// handled yet, without waiting for it.
    pub async fn queue_bytes(&mut self, addr: &str, bytes: &[u8]) {
        let ip: IpAddr = addr.parse().unwrap();
        let peer = self.peers.get_mut(&ip).expect("peer");
        let ctx = peer.negotiated.rx_context();
        let mut rest = bytes;
        let mut updates = Vec::new();
        while !rest.is_empty() {
            let d = Message::decode(rest, &ctx).expect("test UPDATE decodes");
            rest = &rest[d.len..];
            if let Message::Update(u) = d.message {
                let staged = peer.stage.as_mut().and_then(|s| s.run(&u, &d.verdict));
                updates.push(Received {
                    update: u,
                    verdict: d.verdict,
                    at: std::time::Instant::now(),
                    staged,
                });
            }
        }
        if let Some(s) = peer.stage.as_mut() {
            s.flush_hits();
        }
        self.send(RibMsg::Updates {
            addr: ip,
            updates,
            room: None,
        })
        .await;
    }

    /// The peer announces `prefixes` of `family` with `a`.
    pub async fn announce(&mut self, addr: &str, family: AfiSafi, prefixes: &[&str], a: &Attrs) {
        self.announce_ids(
            addr,
            family,
            &prefixes.iter().map(|p| (*p, 0)).collect::<Vec<_>>(),
            a,
        )
        .await;
    }

    /// The peer announces (prefix, path id) pairs (path ids only go on
    /// the wire where ADD-PATH receive was negotiated).
    pub async fn announce_ids(
        &mut self,
        addr: &str,
        family: AfiSafi,
        prefixes: &[(&str, u32)],
        a: &Attrs,
    ) {
        let ip: IpAddr = addr.parse().unwrap();
        let ctx = self.peers.get(&ip).expect("peer").negotiated.rx_context();
        let entries = entries(&ctx, family, prefixes);
        let bytes: Vec<u8> = a.announce(family, &entries, &ctx).concat();
        self.send_bytes(addr, &bytes).await;
    }

    /// The peer withdraws `prefixes` of `family`.
    pub async fn withdraw(&mut self, addr: &str, family: AfiSafi, prefixes: &[&str]) {
        let ids: Vec<(&str, u32)> = prefixes.iter().map(|p| (*p, 0)).collect();
        self.withdraw_ids(addr, family, &ids).await;
    }

    /// The peer withdraws (prefix, path id) pairs.
    pub async fn withdraw_ids(&mut self, addr: &str, family: AfiSafi, prefixes: &[(&str, u32)]) {
        let ip: IpAddr = addr.parse().unwrap();
        let ctx = self.peers.get(&ip).expect("peer").negotiated.rx_context();
        let bytes: Vec<u8> =
            rbgp_wire::update::pack_withdrawals(family, &entries(&ctx, family, prefixes), &ctx)
                .concat();
        self.send_bytes(addr, &bytes).await;
    }

    /// The peer sends End-of-RIB for `family` (RFC 4724 §2).
    pub async fn end_of_rib(&mut self, addr: &str, family: AfiSafi) {
        let ip: IpAddr = addr.parse().unwrap();
        let ctx = self.peers.get(&ip).expect("peer").negotiated.rx_context();
        let bytes = Message::Update(Update::end_of_rib(family)).to_bytes(&ctx);
        self.send_bytes(addr, &bytes).await;
    }

    /// The peer sends ROUTE-REFRESH.
    pub async fn route_refresh(&mut self, addr: &str, family: AfiSafi, subtype: RefreshSubtype) {
        let refresh = RouteRefresh {
            family,
            subtype,
            trailing: Vec::new(),
        };
        self.send(RibMsg::RouteRefresh {
            addr: addr.parse().unwrap(),
            refresh,
        })
        .await;
        self.settle().await;
    }

    /// A BMP station attaches with these views and buffer limit: the
    /// snapshot, and where its changes arrive.
    pub async fn bmp_attach(
        &mut self,
        views: crate::tasks::BmpViews,
        limit: usize,
    ) -> (
        crate::tasks::BmpSnapshot,
        mpsc::Receiver<Vec<crate::tasks::BmpEvent>>,
        Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let (tx, rx) = mpsc::channel(crate::tasks::BMP_Q);
        let queued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let sink = crate::tasks::BmpSink {
            views,
            tx,
            queued: Arc::clone(&queued),
            limit,
        };
        let (reply, snap) = oneshot::channel();
        self.send(RibMsg::BmpAttach { sink, reply }).await;
        let snap = snap.await.unwrap();
        self.settle().await;
        (snap, rx, queued)
    }

    /// What the RPKI task would hand the RIB.
    pub async fn rpki(&mut self, data: crate::tasks::RpkiData) {
        self.send(RibMsg::Rpki(data)).await;
        self.settle().await;
    }

    pub async fn inject(&mut self, routes: Vec<LocalRoute>) {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::Inject { routes, reply }).await;
        rx.await.unwrap();
        self.settle().await;
    }

    pub async fn remove(&mut self, keys: Vec<(AfiSafi, Nlri, u32)>) -> usize {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::Remove { keys, reply }).await;
        let n = rx.await.unwrap();
        self.settle().await;
        n
    }

    pub async fn query(&self, query: RibQuery) -> Vec<RouteEntry> {
        self.try_query(query).await.unwrap()
    }

    pub async fn try_query(
        &self,
        query: RibQuery,
    ) -> Result<Vec<RouteEntry>, crate::control::ControlError> {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::Query { query, reply }).await;
        rx.await.unwrap()
    }

    pub async fn explain(
        &self,
        family: AfiSafi,
        prefix: &str,
    ) -> Option<crate::control::Explained> {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::Explain {
            family,
            nlri: nlri(prefix),
            reply,
        })
        .await;
        rx.await.unwrap()
    }

    /// A page of a table (the looking glass's listing).
    pub async fn page(
        &self,
        query: RibQuery,
        keep: Vec<crate::control::AttrMatch>,
        from: u32,
        limit: usize,
    ) -> crate::control::RoutePage {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::Page {
            query,
            keep,
            from,
            limit,
            reply,
        })
        .await;
        rx.await.unwrap().unwrap()
    }

    /// RFC 8326 send side: start a graceful shutdown towards `peers`.
    pub async fn graceful_shutdown(&mut self, peers: Option<Vec<IpAddr>>) -> usize {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::GracefulShutdown { peers, reply }).await;
        let n = rx.await.unwrap();
        self.settle().await;
        n
    }

    /// Best paths per peer.
    pub async fn best_counts(&self) -> HashMap<IpAddr, u64> {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::BestCounts { reply }).await;
        rx.await.unwrap()
    }

    /// Every path of the Loc-RIB.
    pub async fn loc_rib(&self) -> Vec<RouteEntry> {
        self.query(RibQuery {
            table: Table::Loc,
            family: None,
            prefix: PrefixMatch::All,
        })
        .await
    }

    /// (received, accepted) paths of one peer's first family.
    pub async fn counts(&self, addr: &str) -> (u64, u64) {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::Counts { reply }).await;
        let all: HashMap<IpAddr, Vec<FamilyCounts>> = rx.await.unwrap();
        let c = &all[&addr.parse().unwrap()][0];
        (c.received, c.accepted)
    }

    /// The import counters of one peer (BMP statistics 1, 2, 11, 12).
    pub async fn import_counters(&self, addr: &str) -> crate::control::ImportCounters {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::ImportCounters { reply }).await;
        let all: HashMap<IpAddr, crate::control::ImportCounters> = rx.await.unwrap();
        all[&addr.parse().unwrap()]
    }

    /// The RIB's sizes, as /metrics reads them.
    pub async fn sizes(&self) -> crate::control::RibSizes {
        let (reply, rx) = oneshot::channel();
        self.send(RibMsg::Sizes { reply }).await;
        rx.await.expect("RIB task answers")
    }

    /// Move the paused clock and let the RIB's timers fire.
    pub async fn advance(&mut self, d: Duration) {
        tokio::time::advance(d).await;
        self.settle().await;
    }

    /// Until nothing moves: each round waits for the RIB to have handled
    /// everything sent so far (a request answered in order), then hands
    /// every reading peer what its channel holds, which makes room for
    /// more. Relies on the current-thread runtime of `#[tokio::test]`: the
    /// RIB task flushes before it yields after answering.
    pub async fn settle(&mut self) {
        for _ in 0..100_000 {
            let (reply, rx) = oneshot::channel();
            self.send(RibMsg::Sizes { reply }).await;
            rx.await.expect("RIB task answers");
            let mut got = false;
            for p in self.peers.values_mut().filter(|p| !p.stalled) {
                let Some(rx) = p.rx.as_mut() else {
                    continue;
                };
                let mut taken = Vec::new();
                while let Ok(m) = rx.try_recv() {
                    taken.push(m);
                }
                for m in taken {
                    got = true;
                    p.receive(m);
                    self.drained.notify_one();
                }
            }
            if !got {
                return;
            }
        }
        panic!("the RIB task never settled");
    }

    /// Stop the task (every peer's channel closes).
    pub fn stop(self) {
        self.task.abort();
    }
}

fn spec_of(s: &Setup) -> PeerSpec {
    PeerSpec {
        policy: s.neighbor.policy.clone(),
        group: s.neighbor.peer_group.as_deref().map(Arc::from),
        ebgp: s.neighbor.is_ebgp(LOCAL_AS),
    }
}

fn entries(ctx: &Context, family: AfiSafi, prefixes: &[(&str, u32)]) -> Vec<NlriEntry> {
    prefixes
        .iter()
        .map(|(p, id)| NlriEntry {
            path_id: ctx.add_path(family).then_some(*id),
            nlri: nlri(p),
        })
        .collect()
}
