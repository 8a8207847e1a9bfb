//! Received bytes to messages: session messages to the FSM, UPDATEs to
//! the RIB in batches (in order), ROUTE-REFRESH handled per RFC 2918/7313;
//! and asking the peer for its routes again (soft reset in).

use std::collections::VecDeque;
use std::time::Instant;

use rbgp_fsm::{Action, Event, State, Timer};
use rbgp_wire::route_refresh::{RefreshSubtype, RouteRefresh};
use rbgp_wire::Message;

use super::Peer;
use crate::control::Direction;
use crate::metrics::count_message;
use crate::tasks::{decoded_size, Received, RibMsg};

/// UPDATEs per message to the RIB task (its inbox holds
/// [`crate::tasks::RIB_Q`] of them, so this multiplies what a busy RIB may
/// have waiting).
const UPDATE_BATCH: usize = 8;

impl Peer {
    /// Decode every whole message in the buffer.
    pub(super) async fn messages(&mut self, events: &mut VecDeque<Event>) {
        // UPDATEs go to the RIB a few at a time: one channel operation and
        // one wake-up per batch instead of per message.
        let mut batch = Vec::new();
        // They all came off the socket in the read that woke us.
        let received = Instant::now();
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
            let wire = bytes.len();
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
                .send_modify(|st| count_message(&mut st.messages_in, &d.message));
            let established = self.fsm.state() == State::Established && self.exports.is_some();
            match d.message {
                Message::Open(o) => {
                    events.push_back(Event::OpenReceived(Box::new(o)));
                    self.session_message(&mut batch, events).await;
                }
                Message::Keepalive => {
                    events.push_back(Event::KeepaliveReceived);
                    if !established {
                        self.session_message(&mut batch, events).await;
                    }
                }
                Message::Notification(n) => {
                    tracing::warn!(peer = %self.addr(), notification = %n, "NOTIFICATION received");
                    self.notification(Direction::Received, &n);
                    events.push_back(Event::NotificationReceived(n));
                    self.session_message(&mut batch, events).await;
                }
                Message::RouteRefresh(r) => {
                    events.push_back(Event::RouteRefreshReceived);
                    let negotiated = self
                        .negotiated
                        .as_ref()
                        .is_some_and(|n| n.route_refresh && n.families.contains(&r.family));
                    if established && negotiated {
                        self.send_to_rib(&mut batch, events).await;
                        let msg = RibMsg::RouteRefresh {
                            addr: self.addr(),
                            refresh: r,
                        };
                        self.hand_to_rib(msg, events).await;
                    } else if established {
                        // RFC 2918 §4: a family not negotiated is ignored.
                        tracing::info!(peer = %self.addr(), family = %r.family, "ROUTE-REFRESH for a family not negotiated: ignored");
                    }
                }
                Message::Update(u) => {
                    events.push_back(Event::UpdateReceived);
                    if !d.verdict.is_clean() {
                        // A few issues per UPDATE and a few lines per window
                        // (loglimit.rs): a peer cannot flood the log.
                        let (first, more) = (
                            d.verdict.issues.first(),
                            d.verdict.issues.len().saturating_sub(1),
                        );
                        let (ok, dropped) = self.log_limit.allow(std::time::Instant::now());
                        if let Some(n) = dropped {
                            tracing::warn!(peer = %self.addr(), lines = n, "RFC 7606: lines not logged in the last window");
                        }
                        if let (true, Some(i)) = (ok, first) {
                            tracing::warn!(peer = %self.addr(), issue = %i, more_in_this_update = more, "RFC 7606");
                        }
                    }
                    if established {
                        let staged = self.stage.as_mut().and_then(|s| s.run(&u, &d.verdict));
                        self.decoded +=
                            decoded_size(&u, wire) + staged.as_ref().map_or(0, |s| s.approx_size());
                        batch.push(Received {
                            update: u,
                            verdict: d.verdict,
                            at: received,
                            staged,
                        });
                        if batch.len() >= UPDATE_BATCH {
                            self.send_to_rib(&mut batch, events).await;
                        }
                    }
                }
            }
        }
        self.send_to_rib(&mut batch, events).await;
    }

    /// A message that may change the session's state was queued: the FSM
    /// takes it before the next message is decoded. A fast speaker sends
    /// its KEEPALIVE and first UPDATEs in one segment; those UPDATEs must
    /// be decoded with the negotiated context (ADD-PATH, 4-octet AS) and
    /// reach the RIB of the session they belong to, not be dropped as
    /// arriving before Established.
    async fn session_message(&mut self, batch: &mut Vec<Received>, events: &mut VecDeque<Event>) {
        self.send_to_rib(batch, events).await;
        self.run_events(events).await;
    }

    /// Hand the received UPDATEs to the RIB, in order.
    async fn send_to_rib(&mut self, batch: &mut Vec<Received>, events: &mut VecDeque<Event>) {
        if batch.is_empty() {
            return;
        }
        if let Some(s) = self.stage.as_mut() {
            s.flush_hits();
        }
        let updates = std::mem::take(batch);
        // Room for them first: a peer flooding large UPDATEs waits here
        // (and reads nothing) while the RIB catches up.
        let (room, bytes) = (self.room.clone(), std::mem::take(&mut self.decoded));
        let room = self.keeping_alive(room.take(bytes), events).await;
        let msg = RibMsg::Updates {
            addr: self.addr(),
            updates,
            room,
        };
        self.hand_to_rib(msg, events).await;
    }

    /// Hand `msg` to the RIB task, keeping the session alive meanwhile.
    async fn hand_to_rib(&mut self, msg: RibMsg, events: &mut VecDeque<Event>) {
        let rib = self.rib.clone();
        let _ = self.keeping_alive(rib.send(msg), events).await;
    }

    /// Wait for `f` (room in the RIB's inbox, or a place in it) without
    /// losing the session to the wait: the RIB may be behind for longer
    /// than a keepalive interval (a full table from many peers at once),
    /// so KEEPALIVEs still go out when due (RFC 4271 §4.4). The peer's
    /// hold time is safe too: the UPDATEs waiting here restart it
    /// (`UpdateReceived`, queued) before the next read.
    pub(super) async fn keeping_alive<F: std::future::Future>(
        &mut self,
        f: F,
        events: &mut VecDeque<Event>,
    ) -> F::Output {
        tokio::pin!(f);
        loop {
            let due = self.timers.deadline(Timer::Keepalive);
            let tick = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                out = &mut f => return out,
                () = tick => {
                    self.timers.stop(Timer::Keepalive);
                    // Nothing to keep alive once a write failed (its
                    // TcpFails is queued): the timer stays stopped.
                    if self.conn.is_some() {
                        let actions = self.fsm.handle(Event::KeepaliveTimerExpires);
                        self.perform_waiting(actions, events).await;
                    }
                }
            }
        }
    }

    /// The keepalive's actions (send one, restart its timer) at once; any
    /// other is left for after the wait. Not `perform`: the session-up
    /// hand-over waits from inside it, and the wait must not perform
    /// actions that could wait again.
    async fn perform_waiting(&mut self, actions: Vec<Action>, events: &mut VecDeque<Event>) {
        for a in actions {
            match a {
                Action::SendKeepalive => self.send(Message::Keepalive, events).await,
                Action::StartTimer(t, s) => self.timers.start(t, s),
                Action::StopTimer(t) => self.timers.stop(t),
                other => self.deferred.push(other),
            }
        }
    }

    /// Soft reset in: ask the peer for its routes again (RFC 2918).
    pub(super) async fn request_refresh(&mut self, events: &mut VecDeque<Event>) {
        let Some(n) = self.negotiated.as_ref().filter(|n| n.route_refresh) else {
            tracing::info!(peer = %self.addr(), "soft reset in: route refresh not negotiated");
            return;
        };
        let families = n.families.clone();
        // Told first: the RIB takes the re-sent routes as answers.
        let msg = RibMsg::RefreshAsked {
            addr: self.addr(),
            families: families.clone(),
        };
        self.hand_to_rib(msg, events).await;
        for f in families {
            let r = RouteRefresh {
                family: f,
                subtype: RefreshSubtype::Normal,
                trailing: Vec::new(),
            };
            self.send(Message::RouteRefresh(r), events).await;
        }
    }
}
