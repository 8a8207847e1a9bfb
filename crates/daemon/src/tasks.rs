//! The task map: every task of rbgpd, the channels between them, and every
//! message type that crosses a task boundary. Start here to find where a
//! feature plugs in.
//!
//! ```text
//!   main.rs: signals         api:: gRPC servers, /metrics (a task per call)
//!              \               /
//!             handle::Handle ---------- RibMsg: queries, injection ---------+
//!                   | Command                                                |
//!                   v                                                        v
//!   listener:: -> supervisor:: ---- RibMsg: Down, Resend, SetLocal, ---> rib_task::RibTask
//!    Inbound        |      ^         Inject, Remove, Counts                  |        ^
//!          PeerCtl, |      | gone                                   ToPeer   |        | RibMsg: Up, Down,
//!         TcpStream |      |                                        per peer |        | Updates, RouteRefresh;
//!                   v      |                                                 |        | drained (Notify)
//!                 peer:: one task per neighbor <-----------------------------+        |
//!                   |  |                                                              |
//!                   |  +--------------------------------------------------------------+
//!                   +--> SessionStatus (watch) --> supervisor, api
//!                   +--> SessionEvent (broadcast) --> api WatchEvents
//!   rpki:: RTR caches / JSON file --- RibMsg::Rpki --> rib_task
//!          +--> RpkiStatus (watch) --> api, /metrics
//!   rib_task ---> RouteEvent (broadcast) --> api WatchRoutes
//!   rib_task ---> Vec<BmpEvent> per station --> bmp:: station tasks --> TCP
//!          ^--- RibMsg::BmpAttach (snapshot) / Counts (statistics) ---+
//!   rib_task ---> Vec<BmpEvent> (UPDATEs as received) --> mrt:: update log --> files
//!          ^--- RibMsg::MrtPeers / MrtChunk (a table dump, in pieces) --- mrt::
//!   peer:: also spawns a short task per outbound connection attempt.
//! ```
//!
//! Channel capacities are the constants below.
//!
//! Threads: the RIB task runs alone on a thread of its own
//! (`daemon::spawn_rib`); the BMP stations' tasks share a thread the
//! kernel prefers less (`daemon::spawn_exporter`, nice 5), so monitoring
//! takes cores only BGP leaves; every other task shares tokio's workers. The
//! peer tasks run their neighbor's import policy before the RIB sees the
//! UPDATE (`stage.rs`: `ToPeer::Stage` in, `Received::staged` out).
//!
//! Ownership rules: routing state lives only in the RIB task; everything
//! else asks it through [`RibMsg`] (bounded: senders wait, so a busy RIB
//! slows its feeders by TCP back-pressure, never by growing queues). The
//! RIB never waits on a peer: each peer's Adj-RIB-Out is flushed into its
//! [`ToPeer`] channel only when there is room ([`crate::rib_task`]'s
//! `out.rs`). Sessions live only in peer tasks; the supervisor owns the
//! tasks, not their state (it reads their [`watch`] status).
//!
//! Planned taps (see ARCHITECTURE.md, "Where to extend"): a looking glass
//! reading through [`crate::handle::Handle`].
//!
//! [`watch`]: tokio::sync::watch

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use rbgp_config::{Config, Neighbor, PeerPolicy};
use rbgp_fsm::State;
use rbgp_policy::Policies;
use rbgp_rib::rules::{Local, PeerRules};
use rbgp_rib::Attrs;
use rbgp_wire::capability::{GracefulRestart, LlgrFamily};
use rbgp_wire::route_refresh::RouteRefresh;
use rbgp_wire::{AfiSafi, Nlri, Update, Verdict};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::control::{
    ControlError, Explained, FamilyCounts, Identity, ImportCounters, LastNotification, LocalRoute,
    NeighborStatus, ReloadSummary, RibQuery, RibSizes, RouteEntry, SoftReset,
};
use crate::runs::Runs;
use crate::stage::{Stage, Staged};

// Channel capacities, in messages.

/// The RIB task's inbox. Each entry may be a few decoded UPDATEs of a
/// thousand prefixes each, so the queue is short: a full one costs memory,
/// not speed (peers wait, TCP back-pressure on their senders).
pub const RIB_Q: usize = 64;
/// RIB -> one peer, in batches: enough to keep the socket busy, small
/// enough that a stuck peer holds little memory (a peer task merges what
/// waits, so it holds at most twice this many batches).
pub const EXPORT_Q: usize = 4;
/// Commands to the supervisor.
pub const COMMAND_Q: usize = 64;
/// Accepted connections, listener -> supervisor.
pub const CONN_Q: usize = 64;
/// Accepted connections, supervisor -> one peer task.
pub const PEER_CONN_Q: usize = 4;
/// Control messages, supervisor -> one peer task.
pub const CTL_Q: usize = 16;
/// Dynamic neighbors whose task ended, peer -> supervisor.
pub const GONE_Q: usize = 64;
/// Session events kept for slow WatchEvents readers (they see `Lagged`).
pub const EVENTS: usize = 1024;
/// Loc-RIB changes kept for slow WatchRoutes readers (they see `Lagged`).
pub const WATCH: usize = 4096;
/// RIB -> one BMP station, in batches (one per RIB message handled); the
/// station's `buffer` (in events) is the limit that matters.
pub const BMP_Q: usize = 4096;

/// A reply to a control request.
pub type Reply<T> = oneshot::Sender<Result<T, ControlError>>;

/// A connection a listener accepted, with the peer's address.
pub type Inbound = (TcpStream, IpAddr);

/// Commands the supervisor carries out (from the [`crate::handle::Handle`]).
#[derive(Debug)]
pub enum Command {
    AddNeighbor(Box<Neighbor>, Reply<()>),
    DeleteNeighbor(IpAddr, Reply<()>),
    Enable(IpAddr, Reply<()>),
    /// Disable with an optional RFC 9003 shutdown communication.
    Disable(IpAddr, Option<String>, Reply<()>),
    SoftReset(IpAddr, SoftReset, Reply<()>),
    Neighbors(Reply<Vec<NeighborStatus>>),
    Reload(Box<Config>, Reply<ReloadSummary>),
    /// New AS and router ID: sessions whose OPEN changes are restarted.
    SetIdentity(Identity, Reply<ReloadSummary>),
    /// A running neighbor's chains (an API-added neighbor's, which no
    /// reload of the file covers); applied without a reset.
    SetNeighborPolicy(IpAddr, Box<PeerPolicy>, Reply<()>),
    Shutdown(Option<String>),
}

/// What the supervisor asks of a peer task.
#[derive(Debug)]
pub enum PeerCtl {
    /// Disable: close the session (Cease/Administrative Shutdown with this
    /// RFC 9003 message) and stay idle.
    Disable(Option<String>),
    Enable,
    /// Close the session and end the task (neighbor deleted or changed).
    Stop(Option<String>),
    /// Soft reset in: ask the peer to send its routes again (RFC 2918).
    RouteRefresh,
}

/// What the RPKI task tells the RIB task.
#[derive(Debug)]
pub enum RpkiData {
    /// Changes at a cache's End of Data, or a file read (`reset`: the
    /// whole set, replacing what the RIB holds: a new cache or file).
    Delta(Box<rbgp_rpki::Delta>),
    /// No source has delivered data within its expire interval (RFC 8210
    /// §6): validation falls back to not-found/unknown.
    Expired,
    /// RFC 8097's extended community on iBGP (`[rpki]
    /// origin_validation_community`), at start and on every reload.
    Community(bool),
}

/// Everything the RIB task is asked.
#[derive(Debug)]
pub enum RibMsg {
    Up(Box<Up>),
    /// The session went down. `retain`: what is kept stale, and how long
    /// (RFC 4724 §4.2 helper, RFC 9494 long-lived retention).
    Down {
        addr: IpAddr,
        retain: Option<Retain>,
        /// Why (BMP Peer Down); `None`: the neighbor was deconfigured.
        why: Option<rbgp_fsm::DownReason>,
    },
    /// UPDATEs received, in order, each with when its peer task took it
    /// off the socket (the time until it is applied is the UPDATE latency
    /// metric).
    Updates {
        addr: IpAddr,
        updates: Vec<Received>,
        /// Their share of the inbox's room (`peer/room.rs`), given back
        /// once they are imported.
        room: Option<tokio::sync::OwnedSemaphorePermit>,
    },
    /// ROUTE-REFRESH received (RFC 2918, RFC 7313).
    RouteRefresh {
        addr: IpAddr,
        refresh: RouteRefresh,
    },
    /// The peer task asked the peer for its routes again (RFC 2918):
    /// what it re-sends is not counted as duplicate (RFC 7854 §4.8 type 1).
    RefreshAsked {
        addr: IpAddr,
        families: Vec<AfiSafi>,
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
    /// A page of a table (looking glass): see `RibTask::page`.
    Page {
        query: RibQuery,
        keep: Vec<crate::control::AttrMatch>,
        from: u32,
        limit: usize,
        reply: oneshot::Sender<Result<crate::control::RoutePage, ControlError>>,
    },
    Explain {
        family: AfiSafi,
        nlri: Nlri,
        reply: oneshot::Sender<Option<Explained>>,
    },
    /// The current best paths and a subscription to their changes.
    Subscribe {
        reply: oneshot::Sender<(Vec<RouteEntry>, broadcast::Receiver<RouteEvent>)>,
    },
    /// A subscription to Loc-RIB changes without the snapshot.
    Changes {
        reply: oneshot::Sender<broadcast::Receiver<RouteEvent>>,
    },
    /// RFC 8326: send every route again with GRACEFUL_SHUTDOWN to these
    /// peers (`None`: every established one); replies how many.
    GracefulShutdown {
        peers: Option<Vec<IpAddr>>,
        reply: oneshot::Sender<usize>,
    },
    /// Best paths per peer (the looking glass's "preferred" counts).
    BestCounts {
        reply: oneshot::Sender<std::collections::HashMap<IpAddr, u64>>,
    },
    /// Prefix counters of every peer.
    Counts {
        reply: oneshot::Sender<std::collections::HashMap<IpAddr, Vec<FamilyCounts>>>,
    },
    /// Import counters of every peer (BMP statistics).
    ImportCounters {
        reply: oneshot::Sender<std::collections::HashMap<IpAddr, ImportCounters>>,
    },
    /// Table sizes (metrics).
    Sizes {
        reply: oneshot::Sender<RibSizes>,
    },
    /// Our AS or router ID changed (GlobalService.SetGlobal); the
    /// supervisor has stopped the sessions that depend on them.
    SetLocal {
        local: Local,
    },
    /// Validated RPKI data changed (the RPKI task, `crate::rpki`).
    Rpki(RpkiData),
    /// The origin validation state of (prefix, origin AS) against the
    /// RIB's data, with the VRPs covering the prefix (RpkiService).
    ValidateOrigin {
        prefix: rbgp_wire::Prefix,
        origin: u32,
        reply: oneshot::Sender<(rbgp_rib::Rpki, Vec<rbgp_rpki::Vrp>)>,
    },
    /// New policy definitions and/or neighbors' chains (reload, the API),
    /// applied as one change: routes run again only through the chains
    /// whose meaning changed.
    SetPolicies {
        policies: Option<Arc<Policies>>,
        specs: Vec<(IpAddr, PeerSpec)>,
    },
    /// A neighbor's chains (sent before its task starts, and when a
    /// reload or the API changes them; `None`: the neighbor is gone).
    SetPeerPolicy {
        addr: IpAddr,
        spec: Option<PeerSpec>,
    },
    /// A BMP station (re)connected: the current state of the views it
    /// wants, then every change on `tx` (`crate::bmp`).
    BmpAttach {
        sink: BmpSink,
        reply: oneshot::Sender<BmpSnapshot>,
    },
    /// An MRT table dump begins: our router ID and every source of paths.
    MrtPeers {
        reply: oneshot::Sender<(std::net::Ipv4Addr, Vec<MrtPeer>)>,
    },
    /// The next piece of an MRT table dump: up to `max` routes from route
    /// id `from` on, and where to go on (`None`: done).
    MrtChunk {
        from: rbgp_rib::RouteId,
        max: usize,
        /// Only each route's best path (the Loc-RIB).
        best_only: bool,
        reply: oneshot::Sender<(Vec<MrtRoute>, Option<rbgp_rib::RouteId>)>,
    },
}

/// A source of paths in an MRT table dump (ourselves: address 0).
#[derive(Debug, Clone)]
pub struct MrtPeer {
    pub id: rbgp_rib::PeerId,
    pub address: IpAddr,
    pub asn: u32,
    pub bgp_id: std::net::Ipv4Addr,
}

/// One route of an MRT table dump with every path.
#[derive(Debug)]
pub struct MrtRoute {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub paths: Vec<MrtPath>,
}

#[derive(Debug)]
pub struct MrtPath {
    pub peer: rbgp_rib::PeerId,
    pub path_id: u32,
    /// When it was received, Unix seconds.
    pub originated: u32,
    pub attrs: Arc<Attrs>,
}

/// Where the RIB task sends one BMP station's changes.
#[derive(Debug)]
pub struct BmpSink {
    pub views: BmpViews,
    pub tx: mpsc::Sender<Vec<BmpEvent>>,
    /// Events sent and not yet taken, by [`BmpEvent::weight`] (the
    /// station's task subtracts what it takes); past `limit` the sink is
    /// dropped, which tells the station's task to reset and resync.
    pub queued: Arc<std::sync::atomic::AtomicUsize>,
    pub limit: usize,
}

/// Which views a BMP station wants (`rbgp_config::BmpView`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BmpViews {
    pub pre: bool,
    pub post: bool,
    pub loc_rib: bool,
    pub out: bool,
    /// Adj-RIB-Out pre-policy (RFC 8671).
    pub out_pre: bool,
    /// UPDATEs as received without the pre-policy table's snapshot (the
    /// MRT update log).
    pub received: bool,
}

impl BmpEvent {
    /// What the event counts against a station's buffer: its routes, or 1.
    pub fn weight(&self) -> usize {
        match self {
            BmpEvent::Accepted(_, v)
            | BmpEvent::Best(v)
            | BmpEvent::Sent(_, v)
            | BmpEvent::Offered(_, v) => v.routes().max(1),
            // As received: its routes and attributes (one UPDATE may
            // carry thousands of either), or what it holds in memory at
            // a route's worth (64 octets) a unit, whichever is more.
            BmpEvent::Received(_, u) => {
                let mp = u.mp_reach().map_or(0, |m| m.nlri.len())
                    + u.mp_unreach().map_or(0, |m| m.withdrawn.len());
                let routes = u.nlri.len() + u.withdrawn.len() + mp + u.attributes.len();
                routes.max(decoded_size(u, 0) / 64).max(1)
            }
            _ => 1,
        }
    }
}

impl BmpViews {
    pub fn of(views: &[rbgp_config::BmpView]) -> Self {
        use rbgp_config::BmpView as V;
        BmpViews {
            pre: views.contains(&V::PrePolicy),
            post: views.contains(&V::PostPolicy),
            loc_rib: views.contains(&V::LocRib),
            out: views.contains(&V::AdjRibOut),
            out_pre: views.contains(&V::AdjRibOutPrePolicy),
            received: false,
        }
    }
}

/// A change one BMP station hears of, in the RIB task's order.
#[derive(Debug, Clone)]
pub enum BmpEvent {
    PeerUp(IpAddr, Arc<SessionInfo>),
    /// `None`: the neighbor was deconfigured.
    PeerDown(IpAddr, Option<rbgp_fsm::DownReason>),
    /// An UPDATE as received: Adj-RIB-In pre-policy.
    Received(IpAddr, Arc<Update>),
    /// Paths after import policy (`attrs: None`: not there any more):
    /// Adj-RIB-In post-policy. Consecutive ones of a peer share one event.
    Accepted(IpAddr, Runs),
    /// Best paths (`attrs: None`: none left): Loc-RIB. Consecutive ones
    /// share one event.
    Best(Runs),
    /// Sent to a neighbor: Adj-RIB-Out post-policy.
    Sent(IpAddr, Runs),
    /// Offered to a neighbor before export policy: Adj-RIB-Out
    /// pre-policy.
    Offered(IpAddr, Runs),
}

/// The state of the views a BMP station asked for, when it attached.
#[derive(Debug, Default)]
pub struct BmpSnapshot {
    pub local: Option<Local>,
    /// The sessions that are up.
    pub peers: Vec<(IpAddr, Arc<SessionInfo>)>,
    pub pre: Vec<(IpAddr, Vec<Export>)>,
    pub post: Vec<(IpAddr, Vec<Export>)>,
    pub best: Vec<Export>,
    pub out: Vec<(IpAddr, Vec<Export>)>,
    pub out_pre: Vec<(IpAddr, Vec<Export>)>,
}

/// How a session came up, as BMP's Peer Up tells it (RFC 7854 §4.10).
#[derive(Debug)]
pub struct SessionInfo {
    pub local: Option<std::net::SocketAddr>,
    pub remote: Option<std::net::SocketAddr>,
    pub sent_open: rbgp_wire::Open,
    pub received_open: rbgp_wire::Open,
    /// How what the peer sends is encoded (Adj-RIB-In).
    pub rx: rbgp_wire::Context,
    /// How what we send it is encoded (Adj-RIB-Out).
    pub tx: rbgp_wire::Context,
    pub peer_asn: u32,
    pub peer_id: std::net::Ipv4Addr,
    pub at: SystemTime,
}

/// What policy needs to know of a neighbor: its chains per family, its
/// peer group, and whether it is eBGP (RFC 8212 applies).
#[derive(Debug, Clone)]
pub struct PeerSpec {
    pub policy: PeerPolicy,
    pub group: Option<Arc<str>>,
    pub ebgp: bool,
}

/// A session came up: what the RIB needs to serve it.
#[derive(Debug)]
pub struct Up {
    pub addr: IpAddr,
    pub rules: PeerRules,
    pub families: Vec<AfiSafi>,
    /// ADD-PATH send per family: how many paths (usize::MAX = all).
    pub add_path_send: Vec<(AfiSafi, usize)>,
    pub max_prefixes: Option<u32>,
    /// Past `max_prefixes` only a warning is logged (the session stays).
    pub max_prefixes_warning_only: bool,
    /// RFC 2918 negotiated: the peer can be asked to send its routes again.
    pub route_refresh: bool,
    /// RFC 7313 negotiated: refreshes are bracketed by BoRR/EoRR.
    pub enhanced_refresh: bool,
    /// The peer's graceful-restart capability (RFC 4724), if any.
    pub graceful_restart: Option<GracefulRestart>,
    /// The peer's long-lived graceful-restart capability (RFC 9494).
    pub long_lived: Vec<LlgrFamily>,
    /// Keep what the peer sends before import policy.
    pub keep_pre_policy: bool,
    /// How the session came up (BMP).
    pub session: Arc<SessionInfo>,
    /// Where the RIB sends this peer its routes.
    pub tx: mpsc::Sender<ToPeer>,
}

/// What to keep when a session is lost (decided by the peer task from
/// what was negotiated and why the session ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retain {
    /// Families kept through the restart (GR; may be empty).
    pub families: Vec<AfiSafi>,
    /// The peer's restart time, seconds (0: long-lived retention at once).
    pub restart_time: u16,
    /// Families kept long-lived after the restart time, with the peer's
    /// long-lived stale time in seconds.
    pub long_lived: Vec<(AfiSafi, u32)>,
}

impl Retain {
    /// Every family whose routes are kept for now.
    pub fn all_families(&self) -> Vec<AfiSafi> {
        let mut v = self.families.clone();
        for (f, _) in &self.long_lived {
            if !v.contains(f) {
                v.push(*f);
            }
        }
        v
    }
}

/// What the RIB task sends a peer task.
#[derive(Debug)]
pub enum ToPeer {
    Routes(Vec<Export>),
    /// The initial table has been sent (RFC 4724 §2).
    EndOfRib(Vec<AfiSafi>),
    /// Enhanced route refresh: re-advertisement begins / ends (RFC 7313 §4).
    RefreshBegin(AfiSafi),
    RefreshEnd(AfiSafi),
    /// The peer sent more routes than its max_prefixes.
    MaxPrefix(u32),
    /// Ask the peer to send its routes again (ROUTE-REFRESH, RFC 2918):
    /// its import policy changed and its pre-policy routes are not kept.
    RequestRefresh,
    /// Run import this way from now on (`stage.rs`).
    Stage(Box<Stage>),
}

/// About what a decoded UPDATE holds in memory: its lists by their
/// element sizes (an AS_PATH segment or an ATTR_SET's attribute costs
/// far more than its octets on the wire), plus `wire`, its size on the
/// wire (0 when not known), for what the attributes hold besides.
pub fn decoded_size(u: &Update, wire: usize) -> usize {
    use rbgp_wire::attr::{AsSegment, AttrValue as V, PathAttribute};
    use std::mem::size_of;
    let mp =
        u.mp_reach().map_or(0, |m| m.nlri.len()) + u.mp_unreach().map_or(0, |m| m.withdrawn.len());
    let inner: usize = u
        .attributes
        .iter()
        .map(|a| match &a.value {
            V::AsPath(p) | V::As4Path(p) => p
                .segments
                .iter()
                .map(|s| size_of::<AsSegment>() + 4 * s.asns.len())
                .sum(),
            V::AttrSet(s) => s.attributes.len() * size_of::<PathAttribute>(),
            V::Communities(c) => 4 * c.len(),
            V::ExtCommunities(c) => 8 * c.len(),
            V::LargeCommunities(c) => 12 * c.len(),
            V::ClusterList(c) => 4 * c.len(),
            V::Unknown(x) => x.data.len(),
            _ => 0,
        })
        .sum();
    size_of::<Received>()
        + (u.nlri.len() + u.withdrawn.len() + mp) * size_of::<rbgp_wire::NlriEntry>()
        + u.attributes.len() * size_of::<PathAttribute>()
        + inner
        + wire
}

/// One UPDATE as its peer task hands it to the RIB task.
#[derive(Debug)]
pub struct Received {
    pub update: Update,
    pub verdict: Verdict,
    /// When the peer task took it off the socket (the time until it is
    /// applied is the UPDATE latency metric).
    pub at: std::time::Instant,
    /// Its import, when the peer task ran it (`stage.rs`).
    pub staged: Option<Box<Staged>>,
}

/// One route to send a peer: `attrs: None` withdraws it.
#[derive(Debug, Clone)]
pub struct Export {
    pub family: AfiSafi,
    pub nlri: Nlri,
    /// The path identifier, on families where ADD-PATH send was negotiated.
    pub path_id: Option<u32>,
    pub attrs: Option<Arc<Attrs>>,
}

/// Exports (a batch to a peer, copied for BMP's Adj-RIB-Out view; a
/// snapshot's chunk) as BMP runs: the NLRI is cloned, the set's reference
/// taken once per run.
impl<'a> Extend<&'a Export> for Runs {
    fn extend<I: IntoIterator<Item = &'a Export>>(&mut self, exports: I) {
        for e in exports {
            let entry = rbgp_wire::NlriEntry {
                path_id: e.path_id,
                nlri: e.nlri.clone(),
            };
            self.push(e.family, e.attrs.as_ref(), entry);
        }
    }
}

/// A session event for EventService / `rbgpctl watch` (broadcast by the
/// peer tasks).
#[derive(Debug, Clone)]
pub struct SessionEvent {
    pub peer: IpAddr,
    pub from: State,
    pub to: State,
    pub notification: Option<LastNotification>,
    pub at: SystemTime,
}

/// A Loc-RIB change for WatchRoutes (broadcast by the RIB task): the new
/// best path, or `None` when the NLRI has no path left.
#[derive(Debug, Clone)]
pub struct RouteEvent {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub best: Option<RouteEntry>,
}
