//! One task per neighbor: TCP, timers and messages around the sans-IO
//! state machine. Outbound connections are attempted in a side task so the
//! loop keeps serving timers and inbound connections meanwhile.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rbgp_config::{Config, Neighbor};
use rbgp_fsm::{Action, AddPathMode, Event, Fsm, Negotiated, PeerConfig, State};
use rbgp_rib::policy::PeerRules;
use rbgp_rib::Attrs;
use rbgp_wire::message::Framer;
use rbgp_wire::{AfiSafi, Context, Message, NlriEntry, Update};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::rib_task::{RibMsg, ToPeer};
use crate::timers::Timers;

/// Everything a peer task needs from the configuration.
pub struct Setup {
    pub neighbor: Neighbor,
    pub fsm: PeerConfig,
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
        }
        if let Some(ap) = n.add_path.as_ref().filter(|ap| ap.receive) {
            // Receiving path identifiers works end to end (the RIB keys
            // paths by them); sending them is not implemented, so never
            // advertised: the encoder would otherwise omit ids the peer expects.
            c.add_path = n
                .families
                .iter()
                .map(|f| {
                    (
                        *f,
                        AddPathMode {
                            receive: ap.receive,
                            send: false,
                        },
                    )
                })
                .collect();
        }
        c.software_version = Some(format!("rbgpd {}", env!("CARGO_PKG_VERSION")));
        Setup {
            neighbor: n,
            fsm: c,
        }
    }
}

enum Input {
    Stop(Option<String>),
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
    received: u64,
}

impl Peer {
    fn addr(&self) -> IpAddr {
        self.setup.neighbor.address
    }

    async fn write(&mut self, bytes: &[u8], events: &mut VecDeque<Event>) {
        if let Some(s) = self.conn.as_mut() {
            if let Err(e) = s.write_all(bytes).await {
                tracing::info!(peer = %self.addr(), error = %e, "write failed");
                events.push_back(Event::TcpFails);
            }
        }
    }

    fn connect(&mut self) {
        let n = &self.setup.neighbor;
        let remote = SocketAddr::new(n.address, n.port);
        let local = n.local_address;
        let multihop = n.multihop;
        let ebgp = n.remote_asn != self.setup.fsm.local_asn;
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
                let s = tokio::time::timeout(Duration::from_secs(10), sock.connect(remote))
                    .await
                    .map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                    })??;
                // eBGP peers are one hop away unless configured otherwise.
                if let Some(h) = multihop {
                    s.set_ttl(u32::from(h))?;
                } else if ebgp {
                    let _ = s.set_ttl(1);
                }
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
            remove_private_as: false,
            role: n.peer_role,
            allow_own_as: 0,
        }
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
                    let bytes = Message::Open(*o).to_bytes(&Context::default());
                    self.write(&bytes, events).await;
                }
                Action::SendKeepalive => {
                    self.write(&Message::Keepalive.to_bytes(&self.tx_ctx), events)
                        .await
                }
                Action::SendNotification(n) => {
                    tracing::warn!(peer = %self.addr(), notification = %n, "sending NOTIFICATION");
                    let bytes = Message::Notification(n).to_bytes(&self.tx_ctx);
                    self.write(&bytes, events).await;
                }
                Action::StartTimer(t, s) => self.timers.start(t, s),
                Action::StopTimer(t) => self.timers.stop(t),
                Action::Established(n) => {
                    self.rx_ctx = n.rx_context();
                    self.tx_ctx = n.tx_context();
                    let (tx, rx) = mpsc::channel(64);
                    self.exports = Some(rx);
                    let rules = self.rules(&n);
                    tracing::info!(peer = %self.addr(), asn = n.peer_asn, families = ?n.families, hold = n.hold_time, "session established");
                    let _ = self
                        .rib
                        .send(RibMsg::Up {
                            addr: self.addr(),
                            rules,
                            families: n.families.clone(),
                            max_prefixes: self.setup.neighbor.max_prefixes,
                            tx,
                        })
                        .await;
                    self.negotiated = Some(*n);
                }
                Action::Down(reason) => {
                    if self.negotiated.take().is_some() && self.exports.take().is_some() {
                        let _ = self.rib.send(RibMsg::Down { addr: self.addr() }).await;
                    }
                    self.rx_ctx = Context::default();
                    self.tx_ctx = Context::default();
                    tracing::info!(peer = %self.addr(), ?reason, "session down");
                }
            }
        }
    }

    /// Decode every whole message in the buffer.
    async fn messages(&mut self, events: &mut VecDeque<Event>) {
        loop {
            let next = self.framer.next_message(&self.rx_ctx);
            let bytes = match next {
                Ok(Some(b)) => b,
                Ok(None) => return,
                Err(e) => {
                    events.push_back(Event::MessageError(e.notification));
                    return;
                }
            };
            match Message::decode(&bytes, &self.rx_ctx) {
                Ok(d) => match d.message {
                    Message::Open(o) => events.push_back(Event::OpenReceived(Box::new(o))),
                    Message::Keepalive => events.push_back(Event::KeepaliveReceived),
                    Message::Notification(n) => {
                        tracing::warn!(peer = %self.addr(), notification = %n, "NOTIFICATION received");
                        events.push_back(Event::NotificationReceived(n));
                    }
                    Message::RouteRefresh(_) => events.push_back(Event::RouteRefreshReceived),
                    Message::Update(u) => {
                        events.push_back(Event::UpdateReceived);
                        if !d.verdict.is_clean() {
                            for i in &d.verdict.issues {
                                tracing::warn!(peer = %self.addr(), issue = %i, "RFC 7606");
                            }
                        }
                        if self.fsm.state() == State::Established && self.exports.is_some() {
                            self.received += u.nlri.len() as u64;
                            let _ = self
                                .rib
                                .send(RibMsg::Update {
                                    addr: self.addr(),
                                    update: Box::new(u),
                                    verdict: d.verdict,
                                })
                                .await;
                        }
                    }
                },
                Err(e) => {
                    tracing::warn!(peer = %self.addr(), error = %e, "malformed message");
                    events.push_back(Event::MessageError(e.notification));
                    return;
                }
            }
        }
    }

    async fn send_routes(&mut self, msg: ToPeer, events: &mut VecDeque<Event>) {
        match msg {
            ToPeer::Routes(batch) => {
                // Group announcements by attribute set so each set goes out
                // packed (RFC 4271 §4.3: many NLRI per UPDATE).
                let mut groups: HashMap<(AfiSafi, Arc<Attrs>), Vec<NlriEntry>> = HashMap::new();
                let mut withdrawals: HashMap<AfiSafi, Vec<NlriEntry>> = HashMap::new();
                for e in batch {
                    match e.attrs {
                        Some(a) => groups
                            .entry((e.family, a))
                            .or_default()
                            .push(NlriEntry::new(e.nlri)),
                        None => withdrawals
                            .entry(e.family)
                            .or_default()
                            .push(NlriEntry::new(e.nlri)),
                    }
                }
                let ctx = self.tx_ctx.clone();
                for (f, w) in withdrawals {
                    for m in rbgp_wire::update::pack_withdrawals(f, &w, &ctx) {
                        self.write(&m, events).await;
                    }
                }
                for ((f, a), n) in groups {
                    for m in crate::convert::announce(&a, f, &n, &ctx) {
                        self.write(&m, events).await;
                    }
                }
            }
            ToPeer::MaxPrefix(max) => {
                // RFC 4486 §4: Cease/1, data AFI, SAFI and the limit. The
                // limit is over all families here; report IPv4 unicast.
                let mut data = vec![0, 1, 1];
                data.extend_from_slice(&max.to_be_bytes());
                events.push_back(Event::AutomaticStop(rbgp_wire::Notification::new(
                    6, 1, data,
                )));
            }
            ToPeer::EndOfRib(families) => {
                let ctx = self.tx_ctx.clone();
                for f in families {
                    let mut b = Vec::new();
                    Update::end_of_rib(f).encode(&ctx, &mut b);
                    self.write(&b, events).await;
                }
            }
        }
    }

    async fn next_input(
        &mut self,
        conn_rx: &mut mpsc::Receiver<TcpStream>,
        connect_rx: &mut mpsc::Receiver<std::io::Result<TcpStream>>,
        stop: &mut watch::Receiver<Option<String>>,
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
        tokio::select! {
            r = stop.changed() => match r {
                Ok(()) => Input::Stop(stop.borrow().clone()),
                Err(_) => Input::Stop(None),
            },
            t = sleep => Input::Timer(t),
            Some(s) = conn_rx.recv() => Input::Inbound(s),
            Some(r) = connect_rx.recv() => Input::Connected(r),
            r = read => Input::Read(r),
            Some(m) = export => Input::Export(m),
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

pub async fn run(
    setup: Setup,
    rib: mpsc::Sender<RibMsg>,
    mut conn_rx: mpsc::Receiver<TcpStream>,
    mut stop: watch::Receiver<Option<String>>,
) {
    let (connect_tx, mut connect_rx) = mpsc::channel(2);
    let fsm = Fsm::new(setup.fsm.clone());
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
        received: 0,
    };
    let mut events = VecDeque::from([Event::ManualStart]);
    let mut buf = vec![0u8; 65536];
    loop {
        while let Some(ev) = events.pop_front() {
            let before = p.fsm.state();
            let actions = p.fsm.handle(ev);
            p.perform(actions, &mut events).await;
            if p.fsm.state() != before {
                tracing::debug!(peer = %p.addr(), from = ?before, to = ?p.fsm.state(), "state");
            }
        }
        match p
            .next_input(&mut conn_rx, &mut connect_rx, &mut stop, &mut buf)
            .await
        {
            Input::Stop(msg) => {
                let actions = p.fsm.handle(Event::ManualStop { message: msg });
                let mut ev = VecDeque::new();
                p.perform(actions, &mut ev).await;
                p.timers.clear();
                return;
            }
            Input::Timer(t) => {
                p.timers.stop(t);
                events.push_back(timer_event(t));
            }
            Input::Inbound(s) => {
                // A connection from the peer. Take it unless a session is
                // already past OpenSent (simplified §6.8: the established
                // connection wins).
                if matches!(p.fsm.state(), State::OpenConfirm | State::Established) {
                    tracing::info!(peer = %p.addr(), "second connection closed: session already up");
                    drop(s);
                } else {
                    if let Some(h) = p.connecting.take() {
                        h.abort();
                    }
                    if p.conn.is_some() {
                        // Restart the handshake on the new connection.
                        p.conn = None;
                        p.framer = Framer::new();
                    }
                    let _ = s.set_nodelay(true);
                    p.conn = Some(s);
                    if p.fsm.state() == State::Idle {
                        events.push_back(Event::AutomaticStart);
                    }
                    events.push_back(Event::TcpConnected);
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
                        events.push_back(Event::TcpConnected);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!(peer = %p.addr(), error = %e, "connect failed");
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
            Input::Export(m) => p.send_routes(m, &mut events).await,
        }
    }
}
