//! Connection collisions (RFC 4271 §6.8): a connection from the peer that
//! arrives while our own attempt is in OpenSent/OpenConfirm gets its own
//! state machine until its OPEN tells the peer's BGP Identifier; then the
//! connection initiated by the higher identifier survives and the other is
//! closed with Cease/7 (Connection Collision Resolution).

use std::collections::VecDeque;

use rbgp_fsm::{Action, Event, Fsm, PeerConfig, State};
use rbgp_wire::message::Framer;
use rbgp_wire::{Context, Message};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::timers::Timers;
use super::Peer;

/// The second connection and its own state machine.
pub struct Pending {
    pub stream: TcpStream,
    pub framer: Framer,
    pub fsm: Fsm,
    pub timers: Timers,
}

/// What a pending connection's progress means.
pub enum Progress {
    /// Still waiting for the peer's OPEN.
    Waiting,
    /// The OPEN arrived: time to resolve.
    OpenReceived,
    /// The connection failed or was refused: forget it.
    Gone,
}

impl Pending {
    /// Start a passive machine on the accepted connection (it sends our OPEN).
    pub async fn start(stream: TcpStream, mut cfg: PeerConfig) -> Option<Pending> {
        cfg.passive = true;
        cfg.delay_open_time = None;
        let mut p = Pending {
            stream,
            framer: Framer::new(),
            fsm: Fsm::new(cfg),
            timers: Timers::default(),
        };
        let mut actions = p.fsm.handle(Event::ManualStart);
        actions.extend(p.fsm.handle(Event::TcpConnected));
        p.perform(actions).await.then_some(p)
    }

    /// Carry out the machine's actions on this connection; false if it ended.
    async fn perform(&mut self, actions: Vec<Action>) -> bool {
        for a in actions {
            let bytes = match a {
                Action::SendOpen(o) => Message::Open(*o).to_bytes(&Context::default()),
                Action::SendKeepalive => Message::Keepalive.to_bytes(&Context::default()),
                Action::SendNotification(n) => {
                    Message::Notification(n).to_bytes(&Context::default())
                }
                Action::StartTimer(t, s) => {
                    self.timers.start(t, s);
                    continue;
                }
                Action::StopTimer(t) => {
                    self.timers.stop(t);
                    continue;
                }
                Action::Disconnect | Action::Down(_) => return false,
                Action::Connect | Action::Established(_) => continue,
            };
            if self.stream.write_all(&bytes).await.is_err() {
                return false;
            }
        }
        self.fsm.state() != State::Idle
    }

    /// Bytes read from the connection (0: closed).
    pub async fn input(&mut self, bytes: &[u8]) -> Progress {
        if bytes.is_empty() {
            return Progress::Gone;
        }
        self.framer.push(bytes);
        loop {
            let m = match self.framer.next_message(&Context::default()) {
                Ok(Some(b)) => b,
                Ok(None) => return Progress::Waiting,
                Err(_) => return Progress::Gone,
            };
            let ev = match Message::decode(&m, &Context::default()) {
                Ok(d) => match d.message {
                    Message::Open(o) => Event::OpenReceived(Box::new(o)),
                    Message::Notification(n) => Event::NotificationReceived(n),
                    Message::Keepalive => Event::KeepaliveReceived,
                    _ => return Progress::Gone,
                },
                Err(e) => Event::MessageError(e.notification),
            };
            let actions = self.fsm.handle(ev);
            if !self.perform(actions).await {
                return Progress::Gone;
            }
            if self.fsm.state() == State::OpenConfirm {
                return Progress::OpenReceived;
            }
        }
    }

    /// Close this connection with Cease/7.
    pub async fn dump(mut self) {
        let actions = self.fsm.handle(Event::OpenCollisionDump);
        let _ = self.perform(actions).await;
        let _ = self.stream.shutdown().await;
    }
}

impl Peer {
    /// The colliding connection's OPEN arrived: keep the connection
    /// initiated by the higher BGP Identifier (RFC 4271 §6.8, RFC 6286).
    pub(super) async fn resolve_collision(&mut self, events: &mut VecDeque<Event>) {
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
        // What closing ours reports (a write of the Cease failing: the peer
        // may have closed that connection for the same collision) is about
        // ours only: queued with the rest, it reached the peer's machine as
        // a TcpFails and ended the session just kept (seen in the
        // max-prefix interop test: GoBGP up, then read-failed).
        let actions = self.fsm.handle(Event::OpenCollisionDump);
        let mut ours = VecDeque::new();
        self.perform(actions, &mut ours).await;
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
}
