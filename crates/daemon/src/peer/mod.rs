//! One task per neighbor: TCP, timers and messages around the sans-IO
//! state machine ([`rbgp_fsm::Fsm`]). Where each concern lives:
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | the task: its state, the loop that waits for the next input and dispatches it |
//! | `io.rs` | the socket: waiting for input, writing with a stall limit, connecting |
//! | `actions.rs` | carrying out the FSM's actions; state changes published |
//! | `receive.rs` | received bytes to messages: UPDATEs to the RIB in batches, ROUTE-REFRESH |
//! | `export.rs` | what the RIB sends (routes, End-of-RIB, BoRR/EoRR, max-prefix) onto the wire |
//! | `inbound.rs`, `collision.rs` | connections from the peer: arbitration, RFC 4271 §6.8 collisions |
//! | `session.rs` | pure decisions: propagation rules, retention on loss, ADD-PATH send, NOTIFICATIONs |
//! | `pack.rs` | pure: exports packed into UPDATE bytes |
//! | `setup.rs`, `timers.rs` | configuration to FSM parameters; timer deadlines |

mod actions;
mod collision;
mod export;
mod inbound;
mod io;
pub(crate) mod pack;
mod receive;
#[cfg(test)]
mod rib_wait_tests;
pub(crate) mod room;
pub(crate) mod session;
mod setup;
mod timers;

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use rbgp_fsm::{Action, DownReason, Event, Fsm, Negotiated, State};
use rbgp_wire::message::Framer;
use rbgp_wire::Context;
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, watch, Notify};

pub use setup::Setup;

use crate::control::SessionStatus;
use crate::tasks::{PeerCtl, RibMsg, SessionEvent, ToPeer};

/// The first read buffer of a session, and the most it grows to.
const READ_MIN: usize = 8 * 1024;
const READ_MAX: usize = 64 * 1024;
use collision::{Pending, Progress};
use timers::Timers;

/// The channels a peer task is wired to.
pub struct Wiring {
    pub rib: mpsc::Sender<RibMsg>,
    /// Room in the RIB's inbox for decoded UPDATEs (`room.rs`).
    pub room: room::Room,
    pub conn_rx: mpsc::Receiver<TcpStream>,
    pub ctl_rx: mpsc::Receiver<PeerCtl>,
    pub status: watch::Sender<SessionStatus>,
    pub events: broadcast::Sender<SessionEvent>,
    /// Notified after each batch taken from the RIB (frees room in the
    /// Adj-RIB-Out channel).
    pub drained: Arc<Notify>,
    /// Told when a dynamic neighbor's task ends.
    pub gone: mpsc::Sender<IpAddr>,
}

/// What woke the task.
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
    room: room::Room,
    /// [`decoded_size`](crate::tasks::decoded_size) of the UPDATEs decoded and not yet handed
    /// to the RIB.
    decoded: usize,
    exports: Option<mpsc::Receiver<ToPeer>>,
    /// The neighbor's import as the RIB task last gave it (`stage.rs`).
    stage: Option<crate::stage::Stage>,
    connecting: Option<tokio::task::JoinHandle<()>>,
    connect_tx: mpsc::Sender<std::io::Result<TcpStream>>,
    status: watch::Sender<SessionStatus>,
    events: broadcast::Sender<SessionEvent>,
    drained: Arc<Notify>,
    /// Why the session last went down: decides graceful-restart retention.
    last_down: Option<DownReason>,
    /// FSM actions met while waiting for the RIB (`keeping_alive`) that
    /// are not the keepalive's own: performed once the wait is over.
    deferred: Vec<Action>,
    /// When to start again after a max-prefix Cease.
    restart_at: Option<tokio::time::Instant>,
    /// Down after a max-prefix Cease: inbound connections are refused too.
    held: bool,
    /// Whether `conn` is the connection we initiated.
    conn_outbound: bool,
    /// A connection from the peer that arrived during the back-off after
    /// the last session (`inbound.rs`: `HoldingOff`), taken when it ends.
    parked: Option<TcpStream>,
    /// A colliding connection from the peer, until its OPEN arrives.
    pending: Option<Pending>,
    pending_buf: Vec<u8>,
    /// What the peer makes us log (RFC 7606 repairs, refused
    /// connections): at most a few lines per window.
    log_limit: crate::loglimit::LogLimit,
}

impl Peer {
    fn addr(&self) -> IpAddr {
        self.setup.neighbor.address
    }

    /// Administrative start (enable, restart timer) if the session is idle.
    fn start_if_idle(&mut self, events: &mut VecDeque<Event>) {
        self.restart_at = None;
        self.held = false;
        if self.fsm.state() == State::Idle {
            events.push_back(Event::ManualStart);
        }
    }

    /// The outcome of our own connection attempt.
    fn connected(&mut self, r: std::io::Result<TcpStream>, events: &mut VecDeque<Event>) {
        self.connecting = None;
        match r {
            Ok(s)
                if self.conn.is_none()
                    && matches!(self.fsm.state(), State::Connect | State::Active) =>
            {
                let _ = s.set_nodelay(true);
                self.conn = Some(s);
                self.conn_outbound = true;
                events.push_back(Event::TcpConnected);
            }
            // Too late: the peer's connection was taken meanwhile.
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(peer = %self.addr(), error = %e, "connect failed");
                self.status
                    .send_modify(|st| st.last_error = Some(format!("connect failed: {e}")));
                if self.conn.is_none() {
                    events.push_back(Event::TcpFails);
                }
            }
        }
    }

    /// Bytes (or the end) on the colliding connection.
    async fn pending_read(&mut self, r: std::io::Result<usize>, events: &mut VecDeque<Event>) {
        let n = r.unwrap_or(0);
        let bytes = self.pending_buf.get(..n).unwrap_or(&[]).to_vec();
        let progress = match self.pending.as_mut() {
            Some(pd) => pd.input(&bytes).await,
            None => Progress::Gone,
        };
        match progress {
            Progress::Waiting => {}
            Progress::Gone => self.pending = None,
            Progress::OpenReceived => self.resolve_collision(events).await,
        }
    }
}

pub async fn run(setup: Setup, w: Wiring) {
    let Wiring {
        rib,
        room,
        mut conn_rx,
        mut ctl_rx,
        status,
        events: session_events,
        drained,
        gone,
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
        room,
        decoded: 0,
        exports: None,
        stage: None,
        connecting: None,
        connect_tx,
        status,
        events: session_events,
        drained,
        last_down: None,
        deferred: Vec::new(),
        restart_at: None,
        held: false,
        conn_outbound: false,
        parked: None,
        pending: None,
        pending_buf: vec![0u8; 4096],
        log_limit: crate::loglimit::LogLimit::default(),
    };
    let mut events = VecDeque::new();
    if p.setup.enabled {
        events.push_back(Event::ManualStart);
    } else {
        p.status.send_modify(|st| st.enabled = false);
    }
    // Reads start small and grow while they fill the buffer: a thousand
    // quiet route-server members need not hold 64 KiB each, a full-table
    // feed still reads 64 KiB at a time.
    let mut buf = vec![0u8; READ_MIN];
    loop {
        p.run_events(&mut events).await;
        p.unpark(&mut events).await;
        if dynamic && p.last_down.is_some() && p.fsm.state() != State::Established {
            // A dynamic neighbor exists only while its session does.
            let _ = gone.send(p.addr()).await;
            return;
        }
        let input = p
            .next_input(&mut conn_rx, &mut connect_rx, &mut ctl_rx, &mut buf)
            .await;
        match input {
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
            Input::Ctl(Some(PeerCtl::Enable)) => {
                p.status.send_modify(|st| st.enabled = true);
                p.start_if_idle(&mut events);
            }
            Input::Ctl(Some(PeerCtl::RouteRefresh)) => p.request_refresh(&mut events).await,
            Input::Restart => {
                tracing::info!(peer = %p.addr(), "max-prefix restart timer: starting again");
                p.start_if_idle(&mut events);
            }
            Input::Timer(t) => {
                p.timers.stop(t);
                events.push_back(actions::timer_event(t));
            }
            Input::Inbound(s) => p.inbound(s, &mut events).await,
            Input::PendingRead(r) => p.pending_read(r, &mut events).await,
            Input::Connected(r) => p.connected(r, &mut events),
            Input::Read(Ok(0)) | Input::Read(Err(_)) => {
                p.conn = None;
                events.push_back(Event::TcpFails);
            }
            Input::Read(Ok(n)) => {
                p.framer.push(buf.get(..n).unwrap_or(&[]));
                if n == buf.len() && n < READ_MAX {
                    buf.resize(n * 2, 0);
                } else if n < READ_MIN / 4 && buf.len() > READ_MIN {
                    // The burst is over (a KEEPALIVE, a small UPDATE): a
                    // thousand members that each sent a table once would
                    // otherwise keep 64 KiB here and in the framer each.
                    buf.truncate(READ_MIN);
                    buf.shrink_to_fit();
                    p.framer.shrink(READ_MIN);
                }
                p.messages(&mut events).await;
            }
            Input::Export(m) => p.export(m, &mut events).await,
        }
    }
}
