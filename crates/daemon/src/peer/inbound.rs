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
    /// running. The FSM ignores a connection in Idle (RFC 4271 §8.2.2
    /// refuses it), so it is kept aside, unanswered, until the back-off
    /// ends and then taken: a peer that reconnects at once (a restart,
    /// `clear bgp`) waits out the back-off, not its own ConnectRetry of
    /// up to two minutes. One per neighbor: a newer one replaces it.
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
    /// Take a connection kept during the back-off once it is over (it is
    /// arbitrated again: a neighbor disabled meanwhile refuses it).
    pub(super) async fn unpark(&mut self, events: &mut VecDeque<Event>) {
        if self.parked.is_none() || self.fsm.is_running(Timer::IdleHold) {
            return;
        }
        if let Some(s) = self.parked.take() {
            self.inbound(s, events).await;
            self.run_events(events).await;
        }
    }

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
                if self.log_limit.check("parked connections") {
                    tracing::info!(peer = %self.addr(), "connection kept until the back-off after the last session ends (idle hold)");
                }
                self.parked = Some(s);
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
                    if self.fsm.state() == State::Idle && self.fsm.is_running(Timer::IdleHold) {
                        // Its end started the back-off (the old session was
                        // past OpenSent): wait it out, as for HoldingOff.
                        self.parked = Some(s);
                        return;
                    }
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
