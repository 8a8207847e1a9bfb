//! One task per neighbor: TCP, timers and messages around the sans-IO
//! state machine. Outbound connections are attempted in a side task so the
//! loop keeps serving timers and inbound connections meanwhile.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rbgp_config::{AddPathSend, Config, Neighbor};
use rbgp_fsm::{Action, AddPathMode, DownReason, Event, Fsm, Negotiated, PeerConfig, State};
use rbgp_rib::policy::PeerRules;
use rbgp_rib::Attrs;
use rbgp_wire::message::Framer;
use rbgp_wire::route_refresh::{RefreshSubtype, RouteRefresh};
use rbgp_wire::{AfiSafi, Context, Message, NlriEntry, Notification, Update};
use rustc_hash::FxHashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{broadcast, mpsc, watch, Notify};

use crate::collision::{Pending, Progress};
use crate::control::{
    count_notification, Direction, Histogram, LastNotification, MessageCounts, SessionEvent,
    SessionStatus,
};
use crate::rib_task::{self, RibMsg, ToPeer};
use crate::sockets;
use crate::timers::Timers;

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

/// The channels a peer task is wired to.
pub struct Wiring {
    pub rib: mpsc::Sender<RibMsg>,
    pub conn_rx: mpsc::Receiver<TcpStream>,
    pub ctl_rx: mpsc::Receiver<PeerCtl>,
    pub status: watch::Sender<SessionStatus>,
    pub events: broadcast::Sender<SessionEvent>,
    /// Notified after each batch taken from the RIB (frees room in the
    /// Adj-RIB-Out channel).
    pub drained: Arc<Notify>,
    /// Told when a dynamic neighbor's task ends.
    pub gone: mpsc::Sender<IpAddr>,
    /// UPDATE received -> applied in the RIB (metrics).
    pub latency: Arc<Histogram>,
}

/// Without a hold time (0), how long a write may make no progress before
/// the connection is given up.
const WRITE_STALL_NO_HOLD: u64 = 240;

/// UPDATEs per message to the RIB task (its inbox holds `RIB_QUEUE` of
/// them, so this multiplies what a busy RIB may have waiting).
const UPDATE_BATCH: usize = 8;

/// Capacity of the RIB-to-peer channel, in batches: enough to keep the
/// socket busy, small enough that a stuck peer holds little memory (with
/// the merge below, a peer task holds at most twice this many batches).
const EXPORT_QUEUE: usize = 4;

/// At most this many exports are packed together when several batches
/// wait in the export channel (the peer reads slower than the RIB exports).
const MERGE: usize = 8 * 1024;

/// Everything a peer task needs from the configuration.
pub struct Setup {
    pub neighbor: Neighbor,
    pub fsm: PeerConfig,
    /// Created from a dynamic-neighbor range: the task ends with the session.
    pub dynamic: bool,
    /// Start administratively enabled (a disable through the API is kept
    /// across restarts of the task and of rbgpd).
    pub enabled: bool,
}

impl Setup {
    pub fn new(config: &Config, n: Neighbor) -> Self {
        let mut c = PeerConfig::new(
            config.global.asn,
            config.global.router_id,
            Some(n.remote_asn),
        );
        c.hold_time = n.hold_time;
        c.passive = n.passive;
        c.families = n.families.clone();
        c.connect_retry_time = 5;
        if n.graceful_restart {
            c.graceful_restart = Some(120);
            c.long_lived_stale_time = n.long_lived_stale_time;
        }
        if let Some(ap) = n
            .add_path
            .as_ref()
            .filter(|ap| ap.receive || ap.send.is_some())
        {
            c.add_path = n
                .families
                .iter()
                .map(|f| {
                    (
                        *f,
                        AddPathMode {
                            receive: ap.receive,
                            send: ap.send.is_some(),
                        },
                    )
                })
                .collect();
        }
        c.software_version = Some(format!("rbgpd {}", env!("CARGO_PKG_VERSION")));
        Setup {
            neighbor: n,
            fsm: c,
            dynamic: false,
            enabled: true,
        }
    }
}

enum Input {
    Ctl(Option<PeerCtl>),
    /// Bytes on a colliding second connection (§6.8).
    PendingRead(std::io::Result<usize>),
    /// The max-prefix restart timer ran out.
    Restart,
    Timer(rbgp_fsm::Timer),
    Inbound(TcpStream),
    Connected(std::io::Result<TcpStream>),
    Read(std::io::Result<usize>),
    Export(ToPeer),
}

struct Peer {
    setup: Setup,
    fsm: Fsm,
    timers: Timers,
    conn: Option<TcpStream>,
    framer: Framer,
    rx_ctx: Context,
    tx_ctx: Context,
    negotiated: Option<Negotiated>,
    rib: mpsc::Sender<RibMsg>,
    exports: Option<mpsc::Receiver<ToPeer>>,
    connecting: Option<tokio::task::JoinHandle<()>>,
    connect_tx: mpsc::Sender<std::io::Result<TcpStream>>,
    status: watch::Sender<SessionStatus>,
    events: broadcast::Sender<SessionEvent>,
    drained: Arc<Notify>,
    latency: Arc<Histogram>,
    /// Why the session last went down: decides graceful-restart retention.
    last_down: Option<DownReason>,
    /// When to start again after a max-prefix Cease.
    restart_at: Option<tokio::time::Instant>,
    /// Down after a max-prefix Cease: inbound connections are refused too.
    held: bool,
    /// Whether `conn` is the connection we initiated.
    conn_outbound: bool,
    /// A colliding connection from the peer, until its OPEN arrives.
    pending: Option<Pending>,
    pending_buf: Vec<u8>,
}

/// Count one message in the direction's counters.
fn count(c: &mut MessageCounts, m: &Message) {
    match m {
        Message::Open(_) => c.open += 1,
        Message::Update(_) => c.update += 1,
        Message::Notification(_) => c.notification += 1,
        Message::Keepalive => c.keepalive += 1,
        Message::RouteRefresh(_) => c.route_refresh += 1,
    }
}

impl Peer {
    fn addr(&self) -> IpAddr {
        self.setup.neighbor.address
    }

    async fn write(&mut self, bytes: &[u8], events: &mut VecDeque<Event>) {
        // A peer that stops reading must not hold this task (its timers,
        // its control messages) forever: once no byte has gone out for a
        // hold time, our KEEPALIVEs cannot have reached it either, so by
        // RFC 4271 §6.5 the session is over on its side too.
        let stall = Duration::from_secs(match self.negotiated.as_ref().map(|n| n.hold_time) {
            Some(h) if h > 0 => u64::from(h),
            _ => WRITE_STALL_NO_HOLD,
        });
        let Some(s) = self.conn.as_mut() else {
            return;
        };
        let mut rest = bytes;
        let error = loop {
            if rest.is_empty() {
                return;
            }
            match tokio::time::timeout(stall, s.write(rest)).await {
                Ok(Ok(0)) => break "connection closed".to_string(),
                Ok(Ok(n)) => rest = rest.get(n..).unwrap_or(&[]),
                Ok(Err(e)) => break e.to_string(),
                Err(_) => {
                    break format!("peer not reading: nothing sent for {} s", stall.as_secs())
                }
            }
        };
        tracing::warn!(peer = %self.addr(), %error, "write failed");
        self.status
            .send_modify(|st| st.last_error = Some(format!("write failed: {error}")));
        self.conn = None;
        events.push_back(Event::TcpFails);
    }

    /// Encode, count and send one message.
    async fn send(&mut self, m: Message, events: &mut VecDeque<Event>) {
        self.status
            .send_modify(|st| count(&mut st.messages_out, &m));
        let bytes = m.to_bytes(&self.tx_ctx);
        self.write(&bytes, events).await;
    }

    fn notification(&self, direction: Direction, n: &Notification) {
        let last = LastNotification {
            direction,
            notification: n.clone(),
            at: SystemTime::now(),
        };
        self.status.send_modify(|st| {
            st.last_notification = Some(last.clone());
            count_notification(&mut st.notifications, direction, n);
        });
    }

    fn connect(&mut self) {
        let n = &self.setup.neighbor;
        let remote = SocketAddr::new(n.address, n.port);
        let local = n.local_address;
        let security = sockets::Security::of(n, self.setup.fsm.local_asn);
        let tx = self.connect_tx.clone();
        if let Some(h) = self.connecting.take() {
            h.abort();
        }
        self.connecting = Some(tokio::spawn(async move {
            let r = async {
                let sock = if remote.is_ipv4() {
                    TcpSocket::new_v4()?
                } else {
                    TcpSocket::new_v6()?
                };
                if let Some(l) = local {
                    sock.bind(SocketAddr::new(l, 0))?;
                }
                security.outgoing(&sock, remote.ip())?;
                let s = tokio::time::timeout(Duration::from_secs(10), sock.connect(remote))
                    .await
                    .map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                    })??;
                Ok(s)
            }
            .await;
            let _ = tx.send(r).await;
        }));
    }

    fn rules(&self, n: &Negotiated) -> PeerRules {
        let nb = &self.setup.neighbor;
        PeerRules {
            asn: n.peer_asn,
            router_id: n.peer_id,
            local_address: self
                .conn
                .as_ref()
                .and_then(|s| s.local_addr().ok())
                .map(|a| match a.ip() {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
                    v4 => v4,
                }),
            ibgp: n.peer_asn == self.setup.fsm.local_asn,
            rr_client: nb.route_reflector_client,
            route_server_client: nb.route_server_client,
            next_hop_self: nb.next_hop_self,
            next_hop_unchanged: nb.next_hop_unchanged,
            remove_private_as: nb.remove_private_as,
            role: n.peer_role,
            allow_own_as: nb.allow_own_as,
            llgr: self.llgr_negotiated(n),
        }
    }

    /// Both sides advertised long-lived graceful restart (RFC 9494 §3).
    fn llgr_negotiated(&self, n: &Negotiated) -> bool {
        self.setup.fsm.graceful_restart.is_some()
            && self.setup.fsm.long_lived_stale_time.is_some()
            && !n.peer_llgr.is_empty()
    }

    /// What is kept if the session is lost now (RFC 4724 §4.2; with RFC
    /// 8538 also after a NOTIFICATION other than Hard Reset; RFC 9494 §4.2
    /// for the families of the long-lived capability).
    fn retain(&self, n: &Negotiated, reason: &DownReason) -> Option<rib_task::Retain> {
        let gr = n
            .peer_graceful_restart
            .as_ref()
            .filter(|_| self.setup.fsm.graceful_restart.is_some());
        let both_n = gr.is_some_and(|g| g.notification);
        let hard = |x: &Notification| x.code == 6 && x.subcode == 9;
        let ok = match reason {
            DownReason::ConnectionLost => true,
            DownReason::HoldTimerExpired => both_n,
            DownReason::ErrorSent(x) | DownReason::NotificationReceived(x) => both_n && !hard(x),
            DownReason::ManualStop | DownReason::AutomaticStop(_) | DownReason::Collision => false,
        };
        let families: Vec<AfiSafi> = gr
            .iter()
            .flat_map(|g| g.families.iter().map(|f| f.family))
            .filter(|f| n.families.contains(f))
            .collect();
        let long_lived: Vec<(AfiSafi, u32)> = if self.llgr_negotiated(n) {
            n.peer_llgr
                .iter()
                .filter(|f| n.families.contains(&f.family) && f.stale_time > 0)
                .map(|f| (f.family, f.stale_time))
                .collect()
        } else {
            Vec::new()
        };
        let r = rib_task::Retain {
            restart_time: if families.is_empty() {
                0
            } else {
                gr.map_or(0, |g| g.time)
            },
            families,
            long_lived,
        };
        (ok && (!r.families.is_empty() || !r.long_lived.is_empty())).then_some(r)
    }

    fn add_path_send(&self, n: &Negotiated) -> Vec<(AfiSafi, usize)> {
        let limit = match self.setup.neighbor.add_path.as_ref().and_then(|a| a.send) {
            Some(AddPathSend::All) => usize::MAX,
            Some(AddPathSend::Best(k)) => k as usize,
            None => return Vec::new(),
        };
        n.add_path_tx.iter().map(|f| (*f, limit)).collect()
    }

    /// Carry out the FSM's actions; may queue further events.
    async fn perform(&mut self, actions: Vec<Action>, events: &mut VecDeque<Event>) {
        for a in actions {
            match a {
                Action::Connect => self.connect(),
                Action::Disconnect => {
                    if let Some(mut s) = self.conn.take() {
                        let _ = s.shutdown().await;
                    }
                    self.framer = Framer::new();
                }
                Action::SendOpen(o) => {
                    // The OPEN is always encoded without negotiated options.
                    self.tx_ctx = Context::default();
                    self.send(Message::Open(*o), events).await;
                }
                Action::SendKeepalive => self.send(Message::Keepalive, events).await,
                Action::SendNotification(n) => {
                    tracing::warn!(peer = %self.addr(), notification = %n, "sending NOTIFICATION");
                    self.notification(Direction::Sent, &n);
                    self.send(Message::Notification(n), events).await;
                }
                Action::StartTimer(t, s) => self.timers.start(t, s),
                Action::StopTimer(t) => self.timers.stop(t),
                Action::Established(n) => {
                    self.rx_ctx = n.rx_context();
                    self.tx_ctx = n.tx_context();
                    let (tx, rx) = mpsc::channel(EXPORT_QUEUE);
                    self.exports = Some(rx);
                    let rules = self.rules(&n);
                    tracing::info!(peer = %self.addr(), asn = n.peer_asn, families = %crate::control::families_text(&n.families), hold = n.hold_time, "session established");
                    let up = rib_task::Up {
                        addr: self.addr(),
                        rules,
                        families: n.families.clone(),
                        add_path_send: self.add_path_send(&n),
                        max_prefixes: self.setup.neighbor.max_prefixes,
                        enhanced_refresh: n.enhanced_route_refresh,
                        graceful_restart: n.peer_graceful_restart.clone(),
                        long_lived: n.peer_llgr.clone(),
                        keep_pre_policy: self.setup.neighbor.keep_pre_policy,
                        tx,
                    };
                    let _ = self.rib.send(RibMsg::Up(Box::new(up))).await;
                    self.status.send_modify(|st| {
                        st.established_at = Some(SystemTime::now());
                        st.negotiated = Some((*n).clone());
                    });
                    self.negotiated = Some(*n);
                }
                Action::Down(reason) => {
                    if let Some(n) = self.negotiated.take() {
                        if self.exports.take().is_some() {
                            let retain = self.retain(&n, &reason);
                            let _ = self
                                .rib
                                .send(RibMsg::Down {
                                    addr: self.addr(),
                                    retain,
                                })
                                .await;
                        }
                        self.status.send_modify(|st| {
                            st.established_at = None;
                            st.flaps += 1;
                        });
                    }
                    self.rx_ctx = Context::default();
                    self.tx_ctx = Context::default();
                    tracing::info!(peer = %self.addr(), ?reason, "session down");
                    self.last_down = Some(reason);
                }
            }
        }
    }

    /// Decode every whole message in the buffer.
    async fn messages(&mut self, events: &mut VecDeque<Event>) {
        // UPDATEs go to the RIB a few at a time: one channel operation and
        // one wake-up per batch instead of per message.
        let mut batch = Vec::new();
        // They all came off the socket in the read that woke us.
        let received = std::time::Instant::now();
        loop {
            let next = self.framer.next_message(&self.rx_ctx);
            let bytes = match next {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) => {
                    self.status.send_modify(|st| {
                        st.last_error = Some(format!("bad message header: {}", e.error))
                    });
                    events.push_back(Event::MessageError(e.notification));
                    break;
                }
            };
            let d = match Message::decode(&bytes, &self.rx_ctx) {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(peer = %self.addr(), error = %e, "malformed message");
                    self.status
                        .send_modify(|st| st.last_error = Some(format!("malformed message: {e}")));
                    events.push_back(Event::MessageError(e.notification));
                    break;
                }
            };
            self.status
                .send_modify(|st| count(&mut st.messages_in, &d.message));
            let established = self.fsm.state() == State::Established && self.exports.is_some();
            match d.message {
                Message::Open(o) => events.push_back(Event::OpenReceived(Box::new(o))),
                Message::Keepalive => events.push_back(Event::KeepaliveReceived),
                Message::Notification(n) => {
                    tracing::warn!(peer = %self.addr(), notification = %n, "NOTIFICATION received");
                    self.notification(Direction::Received, &n);
                    events.push_back(Event::NotificationReceived(n));
                }
                Message::RouteRefresh(r) => {
                    events.push_back(Event::RouteRefreshReceived);
                    let negotiated = self
                        .negotiated
                        .as_ref()
                        .is_some_and(|n| n.route_refresh && n.families.contains(&r.family));
                    if established && negotiated {
                        self.to_rib(&mut batch).await;
                        let _ = self
                            .rib
                            .send(RibMsg::RouteRefresh {
                                addr: self.addr(),
                                refresh: r,
                            })
                            .await;
                    } else if established {
                        // RFC 2918 §4: a family not negotiated is ignored.
                        tracing::info!(peer = %self.addr(), family = %r.family, "ROUTE-REFRESH for a family not negotiated: ignored");
                    }
                }
                Message::Update(u) => {
                    events.push_back(Event::UpdateReceived);
                    if !d.verdict.is_clean() {
                        for i in &d.verdict.issues {
                            tracing::warn!(peer = %self.addr(), issue = %i, "RFC 7606");
                        }
                    }
                    if established {
                        batch.push((u, d.verdict, received));
                        if batch.len() >= UPDATE_BATCH {
                            self.to_rib(&mut batch).await;
                        }
                    }
                }
            }
        }
        self.to_rib(&mut batch).await;
    }

    /// Hand the received UPDATEs to the RIB, in order.
    async fn to_rib(&self, batch: &mut Vec<(Update, rbgp_wire::Verdict, std::time::Instant)>) {
        if batch.is_empty() {
            return;
        }
        let updates = std::mem::take(batch);
        let _ = self
            .rib
            .send(RibMsg::Updates {
                addr: self.addr(),
                updates,
                latency: Arc::clone(&self.latency),
            })
            .await;
    }

    /// Route batches already waiting behind `first` join it (up to
    /// [`MERGE`] exports), so that a peer slower than the RIB gets fuller
    /// UPDATEs (fewer of them: a receiver's cost is largely per UPDATE).
    /// Whether any joined; a waiting message that is not routes ends the
    /// merge and is returned, to be sent after.
    fn merge_waiting(&mut self, first: &mut ToPeer) -> (bool, Option<ToPeer>) {
        let (ToPeer::Routes(batch), Some(rx)) = (first, self.exports.as_mut()) else {
            return (false, None);
        };
        let mut merged = false;
        while batch.len() < MERGE {
            match rx.try_recv() {
                Ok(ToPeer::Routes(more)) => {
                    self.drained.notify_one();
                    batch.extend(more);
                    merged = true;
                }
                Ok(other) => {
                    self.drained.notify_one();
                    return (merged, Some(other));
                }
                Err(_) => break,
            }
        }
        (merged, None)
    }

    /// `merged`: the batch joins several, where a route may come again (the
    /// last export of it is the one that counts).
    async fn send_routes(&mut self, msg: ToPeer, merged: bool, events: &mut VecDeque<Event>) {
        match msg {
            ToPeer::Routes(batch) => {
                let n = batch.len();
                let keep: Vec<bool> = if merged {
                    let mut seen = rustc_hash::FxHashSet::default();
                    seen.reserve(n);
                    let mut k: Vec<bool> = batch
                        .iter()
                        .rev()
                        .map(|e| seen.insert((e.family, e.path_id, &e.nlri)))
                        .collect();
                    k.reverse();
                    k
                } else {
                    Vec::new()
                };
                // Group announcements by attribute set (shared `Arc`s from
                // the Adj-RIB-Out) so each set goes out packed (RFC 4271
                // §4.3: many NLRI per UPDATE).
                let mut groups: FxHashMap<(AfiSafi, usize), (Arc<Attrs>, Vec<NlriEntry>)> =
                    FxHashMap::default();
                let mut withdrawals: FxHashMap<AfiSafi, Vec<NlriEntry>> = FxHashMap::default();
                for (i, e) in batch.into_iter().enumerate() {
                    if keep.get(i) == Some(&false) {
                        continue;
                    }
                    let entry = NlriEntry {
                        path_id: e.path_id,
                        nlri: e.nlri,
                    };
                    match e.attrs {
                        Some(a) => groups
                            .entry((e.family, Arc::as_ptr(&a) as usize))
                            .or_insert_with(|| (Arc::clone(&a), Vec::new()))
                            .1
                            .push(entry),
                        None => withdrawals.entry(e.family).or_default().push(entry),
                    }
                }
                let ctx = self.tx_ctx.clone();
                // The whole batch in one write: hundreds of small UPDATEs
                // would otherwise cost a system call each.
                let mut out = Vec::new();
                let mut updates = 0;
                for (f, w) in withdrawals {
                    for m in rbgp_wire::update::pack_withdrawals(f, &w, &ctx) {
                        out.extend_from_slice(&m);
                        updates += 1;
                    }
                }
                for ((f, _), (a, n)) in groups {
                    for m in crate::convert::announce(&a, f, &n, &ctx) {
                        out.extend_from_slice(&m);
                        updates += 1;
                    }
                }
                self.write(&out, events).await;
                self.status
                    .send_modify(|st| st.messages_out.update += updates);
            }
            ToPeer::MaxPrefix(max) => {
                let nb = &self.setup.neighbor;
                if nb.max_prefixes_warning_only {
                    tracing::warn!(peer = %self.addr(), max, "max_prefixes exceeded (warning only)");
                    return;
                }
                // RFC 4486 §4: Cease/1, data AFI, SAFI and the limit. The
                // limit is over all families here; report IPv4 unicast.
                let mut data = vec![0, 1, 1];
                data.extend_from_slice(&max.to_be_bytes());
                events.push_back(Event::AutomaticStop(Notification::new(6, 1, data)));
                // No automatic reconnect: the peer stays down until the
                // restart timer (if any) or an operator enables it again.
                events.push_back(Event::ManualStop { message: None });
                self.restart_at = nb
                    .max_prefixes_restart
                    .map(|s| tokio::time::Instant::now() + Duration::from_secs(u64::from(s)));
            }
            ToPeer::EndOfRib(families) => {
                for f in families {
                    self.send(Message::Update(Update::end_of_rib(f)), events)
                        .await;
                }
            }
            ToPeer::RefreshBegin(f) | ToPeer::RefreshEnd(f) => {
                let subtype = if matches!(msg, ToPeer::RefreshBegin(_)) {
                    RefreshSubtype::BeginOfRefresh
                } else {
                    RefreshSubtype::EndOfRefresh
                };
                let r = RouteRefresh {
                    family: f,
                    subtype,
                    trailing: Vec::new(),
                };
                self.send(Message::RouteRefresh(r), events).await;
            }
        }
    }

    /// Soft reset in: ask the peer for its routes again (RFC 2918).
    async fn request_refresh(&mut self, events: &mut VecDeque<Event>) {
        let Some(n) = self.negotiated.as_ref().filter(|n| n.route_refresh) else {
            tracing::info!(peer = %self.addr(), "soft reset in: route refresh not negotiated");
            return;
        };
        for f in n.families.clone() {
            let r = RouteRefresh {
                family: f,
                subtype: RefreshSubtype::Normal,
                trailing: Vec::new(),
            };
            self.send(Message::RouteRefresh(r), events).await;
        }
    }

    async fn next_input(
        &mut self,
        conn_rx: &mut mpsc::Receiver<TcpStream>,
        connect_rx: &mut mpsc::Receiver<std::io::Result<TcpStream>>,
        ctl: &mut mpsc::Receiver<PeerCtl>,
        buf: &mut [u8],
    ) -> Input {
        let timer = self.timers.next();
        let sleep = async {
            match timer {
                Some((t, at)) => {
                    tokio::time::sleep_until(at).await;
                    t
                }
                None => std::future::pending().await,
            }
        };
        let read = async {
            match self.conn.as_mut() {
                Some(s) => s.read(buf).await,
                None => std::future::pending().await,
            }
        };
        let export = async {
            match self.exports.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        let pending_read = async {
            match self.pending.as_mut() {
                Some(pd) => pd.stream.read(&mut self.pending_buf).await,
                None => std::future::pending().await,
            }
        };
        let restart_at = self.restart_at;
        let restart = async {
            match restart_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            c = ctl.recv() => Input::Ctl(c),
            () = restart => Input::Restart,
            r = pending_read => Input::PendingRead(r),
            t = sleep => Input::Timer(t),
            Some(s) = conn_rx.recv() => Input::Inbound(s),
            Some(r) = connect_rx.recv() => Input::Connected(r),
            r = read => Input::Read(r),
            Some(m) = export => Input::Export(m),
        }
    }

    /// Publish the state and, on a change, the session event.
    fn publish(&self, before: State) {
        let now = self.fsm.state();
        if now == before {
            return;
        }
        tracing::debug!(peer = %self.addr(), from = ?before, to = ?now, "state");
        let mut notification = None;
        self.status.send_modify(|st| {
            st.state = now;
            if now == State::Idle || before == State::Established {
                notification = st.last_notification.clone();
            }
        });
        let _ = self.events.send(SessionEvent {
            peer: self.addr(),
            from: before,
            to: now,
            notification: notification
                .filter(|n| n.at.elapsed().map_or(true, |d| d < Duration::from_secs(1))),
            at: SystemTime::now(),
        });
    }

    /// The colliding connection's OPEN arrived: keep the connection
    /// initiated by the higher BGP Identifier (RFC 4271 §6.8, RFC 6286).
    async fn resolve_collision(&mut self, events: &mut VecDeque<Event>) {
        let Some(pd) = self.pending.take() else {
            return;
        };
        let Some(peer) = pd.fsm.negotiated().map(|n| (n.peer_id, n.peer_asn)) else {
            pd.dump().await;
            return;
        };
        let cfg = &self.setup.fsm;
        let winner = rbgp_fsm::collision_winner(cfg.router_id, cfg.local_asn, peer.0, peer.1);
        if self.fsm.state() == State::Established || winner == rbgp_fsm::CollisionWinner::Outbound {
            tracing::info!(peer = %self.addr(), "connection collision: keeping ours");
            pd.dump().await;
            return;
        }
        tracing::info!(peer = %self.addr(), "connection collision: keeping the peer's");
        // Close ours with Cease/7, then carry on with the peer's machine.
        let actions = self.fsm.handle(Event::OpenCollisionDump);
        self.perform(actions, events).await;
        let Pending {
            stream,
            framer,
            mut fsm,
            timers,
        } = pd;
        fsm.set_passive(self.setup.fsm.passive);
        let before = self.fsm.state();
        self.fsm = fsm;
        self.timers = timers;
        self.conn = Some(stream);
        self.conn_outbound = false;
        self.framer = framer;
        self.publish(before);
        // Anything after the OPEN is already in the framer.
        self.messages(events).await;
    }

    /// Feed queued events to the FSM until none are left.
    async fn run_events(&mut self, events: &mut VecDeque<Event>) {
        while let Some(ev) = events.pop_front() {
            let before = self.fsm.state();
            let actions = self.fsm.handle(ev);
            self.perform(actions, events).await;
            self.publish(before);
        }
    }
}

fn timer_event(t: rbgp_fsm::Timer) -> Event {
    use rbgp_fsm::Timer::*;
    match t {
        ConnectRetry => Event::ConnectRetryTimerExpires,
        Hold => Event::HoldTimerExpires,
        Keepalive => Event::KeepaliveTimerExpires,
        DelayOpen => Event::DelayOpenTimerExpires,
        IdleHold => Event::IdleHoldTimerExpires,
        Stable => Event::StableTimerExpires,
    }
}

pub async fn run(setup: Setup, w: Wiring) {
    let Wiring {
        rib,
        mut conn_rx,
        mut ctl_rx,
        status,
        events: session_events,
        drained,
        gone,
        latency,
    } = w;
    let (connect_tx, mut connect_rx) = mpsc::channel(2);
    let fsm = Fsm::new(setup.fsm.clone());
    let dynamic = setup.dynamic;
    let mut p = Peer {
        setup,
        fsm,
        timers: Timers::default(),
        conn: None,
        framer: Framer::new(),
        rx_ctx: Context::default(),
        tx_ctx: Context::default(),
        negotiated: None,
        rib,
        exports: None,
        connecting: None,
        connect_tx,
        status,
        events: session_events,
        drained,
        latency,
        last_down: None,
        restart_at: None,
        held: false,
        conn_outbound: false,
        pending: None,
        pending_buf: vec![0u8; 4096],
    };
    let mut events = VecDeque::new();
    if p.setup.enabled {
        events.push_back(Event::ManualStart);
    } else {
        p.status.send_modify(|st| st.enabled = false);
    }
    let mut buf = vec![0u8; 65536];
    loop {
        p.run_events(&mut events).await;
        if dynamic && p.last_down.is_some() && p.fsm.state() != State::Established {
            // A dynamic neighbor exists only while its session does.
            let _ = gone.send(p.addr()).await;
            return;
        }
        match p
            .next_input(&mut conn_rx, &mut connect_rx, &mut ctl_rx, &mut buf)
            .await
        {
            Input::Ctl(c @ (None | Some(PeerCtl::Stop(_)))) => {
                let message = match c {
                    Some(PeerCtl::Stop(m)) => m,
                    _ => None,
                };
                events.push_back(Event::ManualStop { message });
                p.run_events(&mut events).await;
                p.timers.clear();
                if let Some(h) = p.connecting.take() {
                    h.abort();
                }
                return;
            }
            Input::Ctl(Some(PeerCtl::Disable(message))) => {
                p.status.send_modify(|st| st.enabled = false);
                events.push_back(Event::ManualStop { message });
            }
            Input::Restart => {
                p.restart_at = None;
                p.held = false;
                tracing::info!(peer = %p.addr(), "max-prefix restart timer: starting again");
                if p.fsm.state() == State::Idle {
                    events.push_back(Event::ManualStart);
                }
            }
            Input::Ctl(Some(PeerCtl::Enable)) => {
                p.restart_at = None;
                p.held = false;
                p.status.send_modify(|st| st.enabled = true);
                if p.fsm.state() == State::Idle {
                    events.push_back(Event::ManualStart);
                }
            }
            Input::Ctl(Some(PeerCtl::RouteRefresh)) => p.request_refresh(&mut events).await,
            Input::Timer(t) => {
                p.timers.stop(t);
                events.push_back(timer_event(t));
            }
            Input::Inbound(s) => {
                let enabled = p.status.borrow().enabled && !p.held;
                if !enabled {
                    tracing::info!(peer = %p.addr(), "connection refused: neighbor disabled or held down");
                    drop(s);
                } else if p.fsm.state() == State::Established {
                    // RFC 4271 §6.8: an Established session wins.
                    tracing::info!(peer = %p.addr(), "second connection closed: session already up");
                    drop(s);
                } else if p.conn_outbound
                    && matches!(p.fsm.state(), State::OpenSent | State::OpenConfirm)
                {
                    // Our own attempt is under way: run both until the
                    // peer's BGP Identifier is known (§6.8).
                    let _ = s.set_nodelay(true);
                    if let Some(old) = p.pending.take() {
                        old.dump().await;
                    }
                    p.pending = Pending::start(s, p.setup.fsm.clone()).await;
                } else {
                    if let Some(h) = p.connecting.take() {
                        h.abort();
                    }
                    if p.conn.is_some() {
                        // The peer reconnected: its older connection is
                        // stale. Restart the handshake on the new one.
                        let actions = p.fsm.handle(Event::TcpFails);
                        p.perform(actions, &mut events).await;
                        p.conn = None;
                        p.framer = Framer::new();
                    }
                    let _ = s.set_nodelay(true);
                    p.conn = Some(s);
                    p.conn_outbound = false;
                    if p.fsm.state() == State::Idle {
                        events.push_back(Event::AutomaticStart);
                    }
                    events.push_back(Event::TcpConnected);
                }
            }
            Input::PendingRead(r) => {
                let n = r.unwrap_or(0);
                let bytes = p.pending_buf.get(..n).unwrap_or(&[]).to_vec();
                let progress = match p.pending.as_mut() {
                    Some(pd) => pd.input(&bytes).await,
                    None => Progress::Gone,
                };
                match progress {
                    Progress::Waiting => {}
                    Progress::Gone => p.pending = None,
                    Progress::OpenReceived => p.resolve_collision(&mut events).await,
                }
            }
            Input::Connected(r) => {
                p.connecting = None;
                match r {
                    Ok(s)
                        if p.conn.is_none()
                            && matches!(p.fsm.state(), State::Connect | State::Active) =>
                    {
                        let _ = s.set_nodelay(true);
                        p.conn = Some(s);
                        p.conn_outbound = true;
                        events.push_back(Event::TcpConnected);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!(peer = %p.addr(), error = %e, "connect failed");
                        p.status
                            .send_modify(|st| st.last_error = Some(format!("connect failed: {e}")));
                        if p.conn.is_none() {
                            events.push_back(Event::TcpFails);
                        }
                    }
                }
            }
            Input::Read(Ok(0)) | Input::Read(Err(_)) => {
                p.conn = None;
                events.push_back(Event::TcpFails);
            }
            Input::Read(Ok(n)) => {
                p.framer.push(buf.get(..n).unwrap_or(&[]));
                p.messages(&mut events).await;
            }
            Input::Export(mut m) => {
                p.drained.notify_one();
                let (merged, next) = p.merge_waiting(&mut m);
                p.send_routes(m, merged, &mut events).await;
                if let Some(next) = next {
                    p.send_routes(next, false, &mut events).await;
                }
            }
        }
    }
}
