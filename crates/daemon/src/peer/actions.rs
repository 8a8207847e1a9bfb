//! Carrying out what the state machine decides: connections, messages,
//! timers, and the session coming up or going down (told to the RIB);
//! every state change is published on the status `watch` and as a
//! [`SessionEvent`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rbgp_fsm::{Action, Event, State};
use rbgp_wire::message::Framer;
use rbgp_wire::{Context, Message, Notification};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::{session, Peer};
use crate::control::{Direction, LastNotification};
use crate::metrics::count_notification;
use crate::tasks::{RibMsg, SessionEvent, SessionInfo, EXPORT_Q};

impl Peer {
    /// Record a NOTIFICATION sent or received.
    pub(super) fn notification(&self, direction: Direction, n: &Notification) {
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

    /// Carry out the FSM's actions; may queue further events.
    pub(super) async fn perform(&mut self, actions: Vec<Action>, events: &mut VecDeque<Event>) {
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
                    let (tx, rx) = mpsc::channel(EXPORT_Q);
                    self.exports = Some(rx);
                    tracing::info!(peer = %self.addr(), asn = n.peer_asn, families = %crate::control::families_text(&n.families), hold = n.hold_time, "session established");
                    let local = self.conn.as_ref().and_then(|s| s.local_addr().ok());
                    let info = SessionInfo {
                        local,
                        remote: self.conn.as_ref().and_then(|s| s.peer_addr().ok()),
                        sent_open: self.fsm.our_open().clone(),
                        // Always there: OpenConfirm came before Established.
                        received_open: self.fsm.peer_open().unwrap_or(self.fsm.our_open()).clone(),
                        rx: self.rx_ctx.clone(),
                        tx: self.tx_ctx.clone(),
                        peer_asn: n.peer_asn,
                        peer_id: n.peer_id,
                        at: SystemTime::now(),
                    };
                    let up = session::up(&self.setup, &n, local, Arc::new(info), tx);
                    // The RIB may be behind (many sessions coming up with
                    // full tables): the session is kept alive meanwhile.
                    let rib = self.rib.clone();
                    let _ = self
                        .keeping_alive(rib.send(RibMsg::Up(Box::new(up))), events)
                        .await;
                    self.status.send_modify(|st| {
                        st.established_at = Some(SystemTime::now());
                        st.negotiated = Some((*n).clone());
                    });
                    self.negotiated = Some(*n);
                }
                Action::Down(reason) => {
                    if let Some(n) = self.negotiated.take() {
                        self.stage = None;
                        if self.exports.take().is_some() {
                            let retain = session::retain(&self.setup, &n, &reason);
                            let _ = self
                                .rib
                                .send(RibMsg::Down {
                                    addr: self.addr(),
                                    retain,
                                    why: Some(reason.clone()),
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

    /// Publish the state and, on a change, the session event.
    pub(super) fn publish(&self, before: State) {
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

    /// Feed queued events to the FSM until none are left.
    pub(super) async fn run_events(&mut self, events: &mut VecDeque<Event>) {
        while let Some(ev) = events.pop_front() {
            let before = self.fsm.state();
            let actions = self.fsm.handle(ev);
            self.perform(actions, events).await;
            while !self.deferred.is_empty() {
                let deferred = std::mem::take(&mut self.deferred);
                self.perform(deferred, events).await;
            }
            self.publish(before);
        }
    }
}

pub(super) fn timer_event(t: rbgp_fsm::Timer) -> Event {
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
