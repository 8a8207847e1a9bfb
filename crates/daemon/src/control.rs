//! The daemon's control interface: what the API, SIGHUP reload and the
//! listener ask of the running daemon. A cloneable [`Handle`] sends
//! commands to the supervisor (which owns the peer tasks) and queries to
//! the RIB task; every answer comes back on a oneshot channel, so no
//! routing state is ever shared behind a lock.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rbgp_config::{Config, Neighbor};
use rbgp_fsm::{Negotiated, State};
use rbgp_rib::Attrs;
use rbgp_wire::{AfiSafi, Nlri, Notification, Prefix};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use crate::rib_task::Explained;
use crate::rib_task::RibMsg;

/// Families as text for logs ("ipv4_unicast ipv6_unicast").
pub fn families_text(families: &[AfiSafi]) -> String {
    families
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a control request failed. The API maps these to gRPC codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("no neighbor {0}")]
    NoSuchNeighbor(IpAddr),
    #[error("neighbor {0} already exists")]
    NeighborExists(IpAddr),
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("the daemon is shutting down")]
    ShuttingDown,
}

impl FamilyCounts {
    pub fn new(family: AfiSafi) -> Self {
        FamilyCounts {
            family,
            received: 0,
            accepted: 0,
            advertised: 0,
        }
    }
}

impl ControlError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ControlError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Which way a NOTIFICATION went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// Messages by type, one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    pub open: u64,
    pub update: u64,
    pub notification: u64,
    pub keepalive: u64,
    pub route_refresh: u64,
}

impl MessageCounts {
    pub fn total(&self) -> u64 {
        self.open + self.update + self.notification + self.keepalive + self.route_refresh
    }
}

/// The last NOTIFICATION of a session, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastNotification {
    pub direction: Direction,
    pub notification: Notification,
    pub at: SystemTime,
}

/// How many NOTIFICATIONs of one code and subcode went one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationCount {
    pub direction: Direction,
    pub code: u8,
    pub subcode: u8,
    pub count: u64,
}

/// Count one NOTIFICATION.
pub fn count_notification(v: &mut Vec<NotificationCount>, direction: Direction, n: &Notification) {
    match v
        .iter_mut()
        .find(|c| c.direction == direction && c.code == n.code && c.subcode == n.subcode)
    {
        Some(c) => c.count += 1,
        None => v.push(NotificationCount {
            direction,
            code: n.code,
            subcode: n.subcode,
            count: 1,
        }),
    }
}

/// A latency histogram with fixed buckets, updated without locks (metrics).
#[derive(Debug)]
pub struct Histogram {
    /// Upper bounds in seconds, ascending.
    bounds: &'static [f64],
    /// Observations at or below each bound (not cumulative), then above all.
    buckets: Vec<AtomicU64>,
    sum_ns: AtomicU64,
}

/// Bucket bounds for the UPDATE latency: 10 µs to 5 s.
pub const LATENCY_BOUNDS: &[f64] = &[
    0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1.0, 2.5, 5.0,
];

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_ns: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = self
            .bounds
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(self.bounds.len());
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Cumulative counts per bound (`+Inf` last), and the sum in seconds.
    pub fn snapshot(&self) -> (Vec<(Option<f64>, u64)>, f64) {
        let mut total = 0;
        let mut out = Vec::with_capacity(self.buckets.len());
        for (i, b) in self.buckets.iter().enumerate() {
            total += b.load(Ordering::Relaxed);
            out.push((self.bounds.get(i).copied(), total));
        }
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        (out, sum)
    }
}

/// How big the RIB is (metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RibSizes {
    /// Per family: NLRIs with at least one path (the Loc-RIB's routes), and
    /// paths from every source.
    pub families: Vec<(AfiSafi, u64, u64)>,
    /// Distinct attribute sets interned.
    pub attribute_sets: u64,
}

/// The global settings SetGlobal may change at runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub asn: u32,
    pub router_id: Ipv4Addr,
}

/// What a peer task publishes about itself (a `watch` value: readers never
/// wait for the peer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStatus {
    pub state: State,
    /// Administratively enabled.
    pub enabled: bool,
    pub established_at: Option<SystemTime>,
    pub negotiated: Option<Negotiated>,
    pub messages_in: MessageCounts,
    pub messages_out: MessageCounts,
    pub last_notification: Option<LastNotification>,
    /// NOTIFICATIONs by direction, code and subcode, since the task started.
    pub notifications: Vec<NotificationCount>,
    /// The last local error (connect failure, malformed message...).
    pub last_error: Option<String>,
    pub flaps: u64,
}

impl Default for SessionStatus {
    fn default() -> Self {
        SessionStatus {
            state: State::Idle,
            enabled: true,
            established_at: None,
            negotiated: None,
            messages_in: MessageCounts::default(),
            messages_out: MessageCounts::default(),
            last_notification: None,
            notifications: Vec::new(),
            last_error: None,
            flaps: 0,
        }
    }
}

/// Prefix counters of one peer and family, from the RIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilyCounts {
    pub family: AfiSafi,
    /// Paths the peer currently announces (accepted or rejected by import).
    pub received: u64,
    /// Paths in the RIB (accepted by import policy).
    pub accepted: u64,
    /// Paths we currently advertise to the peer.
    pub advertised: u64,
}

/// Everything about one neighbor.
#[derive(Debug, Clone)]
pub struct NeighborStatus {
    pub neighbor: Neighbor,
    /// Created from a `[[dynamic_neighbors]]` range.
    pub dynamic: bool,
    /// Added through the API (persisted by it), not from the config file.
    pub from_api: bool,
    pub session: SessionStatus,
    pub prefixes: Vec<FamilyCounts>,
}

/// A session event for EventService / `rbgpctl watch`.
#[derive(Debug, Clone)]
pub struct SessionEvent {
    pub peer: IpAddr,
    pub from: State,
    pub to: State,
    pub notification: Option<LastNotification>,
    pub at: SystemTime,
}

/// Which table a RIB query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Best and other paths from every source.
    Loc,
    /// Paths received from this peer (after import policy).
    AdjIn(IpAddr),
    /// Paths as this peer sent them, before import policy (only for
    /// neighbors with `keep_pre_policy`).
    AdjInPre(IpAddr),
    /// What we advertise to this peer.
    AdjOut(IpAddr),
}

/// How a query's prefix matches routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixMatch {
    All,
    Exact(Prefix),
    /// The most specific route covering the prefix or address.
    LongestMatch(Prefix),
    /// The prefix and every more specific one.
    MoreSpecifics(Prefix),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RibQuery {
    pub table: Table,
    /// `None`: every family.
    pub family: Option<AfiSafi>,
    pub prefix: PrefixMatch,
}

/// Where a path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Injected through the API or listed in the config.
    Local,
    Peer(IpAddr),
}

/// One path in a query answer or a route event.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub path_id: u32,
    pub source: Origin,
    pub attrs: Arc<Attrs>,
    pub best: bool,
    pub stale: bool,
    /// Seconds since the path was received (0 where not known: the
    /// Adj-RIB-Out and the pre-policy table).
    pub age: u32,
}

/// A Loc-RIB change for WatchRoutes: the new best path, or `None` when the
/// NLRI has no path left.
#[derive(Debug, Clone)]
pub struct RouteEvent {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub best: Option<RouteEntry>,
}

/// A route to originate (API injection or config `[[routes]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRoute {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub path_id: u32,
    pub attrs: Attrs,
}

/// Which side of a soft reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftReset {
    /// Ask the peer to send its routes again (ROUTE-REFRESH, RFC 2918).
    In,
    /// Send the peer our routes again.
    Out,
    Both,
}

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadSummary {
    pub added: Vec<IpAddr>,
    pub removed: Vec<IpAddr>,
    pub changed: Vec<IpAddr>,
    pub unchanged: usize,
}

type Reply<T> = oneshot::Sender<Result<T, ControlError>>;

/// Commands the supervisor carries out.
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
    Shutdown(Option<String>),
}

/// The way into a running daemon. Cheap to clone.
#[derive(Clone)]
pub struct Handle {
    pub(crate) cmd: mpsc::Sender<Command>,
    pub(crate) rib: mpsc::Sender<RibMsg>,
    pub(crate) events: broadcast::Sender<SessionEvent>,
    /// UPDATE received -> applied in the RIB (metrics).
    pub update_latency: Arc<Histogram>,
}

impl Handle {
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, ControlError> {
        let (tx, rx) = oneshot::channel();
        self.cmd
            .send(make(tx))
            .await
            .map_err(|_| ControlError::ShuttingDown)?;
        rx.await.map_err(|_| ControlError::ShuttingDown)?
    }

    async fn ask_rib<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> RibMsg,
    ) -> Result<T, ControlError> {
        let (tx, rx) = oneshot::channel();
        self.rib
            .send(make(tx))
            .await
            .map_err(|_| ControlError::ShuttingDown)?;
        rx.await.map_err(|_| ControlError::ShuttingDown)
    }

    pub async fn neighbors(&self) -> Result<Vec<NeighborStatus>, ControlError> {
        self.ask(Command::Neighbors).await
    }

    pub async fn neighbor(&self, addr: IpAddr) -> Result<NeighborStatus, ControlError> {
        self.neighbors()
            .await?
            .into_iter()
            .find(|n| n.neighbor.address == addr)
            .ok_or(ControlError::NoSuchNeighbor(addr))
    }

    pub async fn add_neighbor(&self, n: Neighbor) -> Result<(), ControlError> {
        self.ask(|r| Command::AddNeighbor(Box::new(n), r)).await
    }

    pub async fn delete_neighbor(&self, addr: IpAddr) -> Result<(), ControlError> {
        self.ask(|r| Command::DeleteNeighbor(addr, r)).await
    }

    pub async fn enable(&self, addr: IpAddr) -> Result<(), ControlError> {
        self.ask(|r| Command::Enable(addr, r)).await
    }

    pub async fn disable(&self, addr: IpAddr, message: Option<String>) -> Result<(), ControlError> {
        self.ask(|r| Command::Disable(addr, message, r)).await
    }

    pub async fn soft_reset(&self, addr: IpAddr, which: SoftReset) -> Result<(), ControlError> {
        self.ask(|r| Command::SoftReset(addr, which, r)).await
    }

    /// Apply a new configuration: neighbors added, removed or changed are
    /// started, stopped or restarted; the others are not touched.
    pub async fn reload(&self, config: Config) -> Result<ReloadSummary, ControlError> {
        self.ask(|r| Command::Reload(Box::new(config), r)).await
    }

    /// Change the AS and router ID as a reload would: the RIB takes them,
    /// and every session whose OPEN they change is restarted.
    pub async fn set_identity(&self, id: Identity) -> Result<ReloadSummary, ControlError> {
        self.ask(|r| Command::SetIdentity(id, r)).await
    }

    /// The RIB's sizes (metrics).
    pub async fn rib_sizes(&self) -> Result<RibSizes, ControlError> {
        self.ask_rib(|reply| RibMsg::Sizes { reply }).await
    }

    /// Close every session with Cease/Administrative Shutdown and stop.
    pub async fn shutdown(&self, message: Option<String>) -> Result<(), ControlError> {
        self.cmd
            .send(Command::Shutdown(message))
            .await
            .map_err(|_| ControlError::ShuttingDown)
    }

    /// Originate routes (replacing any with the same family, NLRI and path
    /// id). Returns once the RIB has them.
    pub async fn add_routes(&self, routes: Vec<LocalRoute>) -> Result<(), ControlError> {
        self.queue_routes(routes)
            .await?
            .await
            .map_err(|_| ControlError::ShuttingDown)
    }

    /// Originate routes without waiting for the RIB: the receiver answers
    /// once it has them (and every route queued before, as the RIB takes
    /// its messages in order).
    pub async fn queue_routes(
        &self,
        routes: Vec<LocalRoute>,
    ) -> Result<oneshot::Receiver<()>, ControlError> {
        let (reply, rx) = oneshot::channel();
        self.rib
            .send(RibMsg::Inject { routes, reply })
            .await
            .map_err(|_| ControlError::ShuttingDown)?;
        Ok(rx)
    }

    /// Stop originating these routes; returns how many existed.
    pub async fn delete_routes(
        &self,
        keys: Vec<(AfiSafi, Nlri, u32)>,
    ) -> Result<usize, ControlError> {
        self.ask_rib(|reply| RibMsg::Remove { keys, reply }).await
    }

    /// A snapshot of the matching paths.
    pub async fn routes(&self, query: RibQuery) -> Result<Vec<RouteEntry>, ControlError> {
        self.ask_rib(|reply| RibMsg::Query { query, reply }).await?
    }

    /// Every candidate path and the step that decided.
    pub async fn explain(
        &self,
        family: AfiSafi,
        nlri: Nlri,
    ) -> Result<Option<Explained>, ControlError> {
        self.ask_rib(|reply| RibMsg::Explain {
            family,
            nlri,
            reply,
        })
        .await
    }

    /// The current best paths, then every change. A receiver that falls
    /// behind gets `RecvError::Lagged` (memory stays bounded).
    pub async fn watch_routes(
        &self,
    ) -> Result<(Vec<RouteEntry>, broadcast::Receiver<RouteEvent>), ControlError> {
        self.ask_rib(|reply| RibMsg::Subscribe { reply }).await
    }

    pub fn watch_sessions(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }
}
