//! Inbound connections for an existing neighbor: refuse, close as a
//! second connection, run alongside ours until the collision is resolved
//! (RFC 4271 §6.8, `collision.rs`), or take over.

use std::collections::VecDeque;

use rbgp_fsm::{Event, State, Timer};
use rbgp_wire::message::Framer;
use tokio::net::TcpStream;

use super::collision::Pending;
use super::Peer;

/// What to do with a connection from the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arbitration {
    /// The neighbor is disabled or held down after a max-prefix Cease.
    Refuse,
    /// The session went down a moment ago and its back-off (IdleHold) is
    /// running: RFC 4271 §8.2.2 refuses connections in Idle. Taken, the
    /// connection would wait unanswered, since the FSM ignores its
    /// TcpConnected while in Idle; refused, the peer simply tries again.
    HoldingOff,
    /// RFC 4271 §6.8: an Established session wins over a new connection.
    AlreadyUp,
    /// Our own connection is in OpenSent/OpenConfirm: run both until the
    /// peer's BGP Identifier is known.
    Collide,
    /// Use it; `replace`: a connection we hold is stale (the peer
    /// reconnected) and is dropped first.
    Take { replace: bool },
}

/// The decision for a connection from the peer, from the session's state.
pub fn arbitrate(
    enabled: bool,
    state: State,
    holding_off: bool,
    conn_outbound: bool,
    have_conn: bool,
) -> Arbitration {
    if !enabled {
        Arbitration::Refuse
    } else if state == State::Idle && holding_off {
        Arbitration::HoldingOff
    } else if state == State::Established {
        Arbitration::AlreadyUp
    } else if conn_outbound && matches!(state, State::OpenSent | State::OpenConfirm) {
        Arbitration::Collide
    } else {
        Arbitration::Take { replace: have_conn }
    }
}

impl Peer {
    /// A connection the supervisor routed to this neighbor.
    pub(super) async fn inbound(&mut self, s: TcpStream, events: &mut VecDeque<Event>) {
        let enabled = self.status.borrow().enabled && !self.held;
        match arbitrate(
            enabled,
            self.fsm.state(),
            self.fsm.is_running(Timer::IdleHold),
            self.conn_outbound,
            self.conn.is_some(),
        ) {
            Arbitration::Refuse => {
                if self.log_limit.check("refused connections") {
                    tracing::info!(peer = %self.addr(), "connection refused: neighbor disabled or held down");
                }
            }
            Arbitration::HoldingOff => {
                if self.log_limit.check("refused connections") {
                    tracing::info!(peer = %self.addr(), "connection refused: back-off after the last session (idle hold)");
                }
            }
            Arbitration::AlreadyUp => {
                if self.log_limit.check("second connections") {
                    tracing::info!(peer = %self.addr(), "second connection closed: session already up");
                }
            }
            Arbitration::Collide => {
                let _ = s.set_nodelay(true);
                if let Some(old) = self.pending.take() {
                    old.dump().await;
                }
                self.pending = Pending::start(s, self.setup.fsm.clone()).await;
            }
            Arbitration::Take { replace } => {
                if let Some(h) = self.connecting.take() {
                    h.abort();
                }
                if replace {
                    // The peer reconnected: its older connection is stale.
                    // Restart the handshake on the new one.
                    let actions = self.fsm.handle(Event::TcpFails);
                    self.perform(actions, events).await;
                    self.conn = None;
                    self.framer = Framer::new();
                }
                let _ = s.set_nodelay(true);
                self.conn = Some(s);
                self.conn_outbound = false;
                if self.fsm.state() == State::Idle {
                    events.push_back(Event::AutomaticStart);
                }
                events.push_back(Event::TcpConnected);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arbitration_follows_rfc4271_6_8() {
        use Arbitration::*;
        assert_eq!(arbitrate(false, State::Active, false, false, false), Refuse);
        assert_eq!(
            arbitrate(true, State::Established, false, false, true),
            AlreadyUp
        );
        assert_eq!(arbitrate(true, State::OpenSent, false, true, true), Collide);
        assert_eq!(
            arbitrate(true, State::OpenConfirm, false, true, true),
            Collide
        );
        // The peer's own earlier connection in OpenSent: it reconnected.
        assert_eq!(
            arbitrate(true, State::OpenSent, false, false, true),
            Take { replace: true }
        );
        assert_eq!(
            arbitrate(true, State::Active, false, false, false),
            Take { replace: false }
        );
        assert_eq!(
            arbitrate(true, State::Idle, false, false, false),
            Take { replace: false }
        );
        // §8.2.2: Idle refuses while the back-off runs.
        assert_eq!(arbitrate(true, State::Idle, true, false, false), HoldingOff);
    }
}
