//! The RFC 4271 §8 state machine. Inputs are [`Event`]s, outputs are
//! [`Action`]s; no sockets, no clocks. Timers are started and stopped by
//! name and come back as `*TimerExpires` events.
//!
//! Beyond the RFC's mandatory behaviour this implements the optional
//! DelayOpen, passive TCP establishment, and DampPeerOscillations as an
//! exponential back-off (the IdleHold timer) before automatic restarts.

use rbgp_wire::notification::{cease_sub, codes};
use rbgp_wire::{Notification, Open};

use crate::config::PeerConfig;
use crate::negotiate::{negotiate, Negotiated};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Idle,
    Connect,
    Active,
    OpenSent,
    OpenConfirm,
    Established,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    ConnectRetry,
    Hold,
    Keepalive,
    DelayOpen,
    /// Back-off before an automatic restart (RFC 4271 §8.1.1 IdleHoldTime).
    IdleHold,
    /// Established long enough: the back-off is reset.
    Stable,
}

const TIMERS: [Timer; 6] = [
    Timer::ConnectRetry,
    Timer::Hold,
    Timer::Keepalive,
    Timer::DelayOpen,
    Timer::IdleHold,
    Timer::Stable,
];

/// RFC 4271 §8.2.2 suggests a "large value" hold timer until the OPEN
/// arrives; 4 minutes.
const LARGE_HOLD: u32 = 240;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Administrative start (Event 1; passive per configuration, Event 4).
    ManualStart,
    /// Administrative stop (Event 2), with an optional RFC 9003 message.
    ManualStop {
        message: Option<String>,
    },
    /// Start again without operator action (Event 3/5).
    AutomaticStart,
    /// Stop for a local reason (Event 8), e.g. max-prefix: the NOTIFICATION to send.
    AutomaticStop(Notification),
    ConnectRetryTimerExpires,
    HoldTimerExpires,
    KeepaliveTimerExpires,
    DelayOpenTimerExpires,
    IdleHoldTimerExpires,
    StableTimerExpires,
    /// The TCP connection is up, whichever side opened it (Events 16/17).
    TcpConnected,
    /// The TCP connection failed or was closed (Event 18).
    TcpFails,
    /// A valid OPEN arrived (Event 19).
    OpenReceived(Box<Open>),
    /// A received message was malformed (header, OPEN or UPDATE error,
    /// Events 21/22/28): the NOTIFICATION the decoder asks to send.
    MessageError(Notification),
    /// The peer sent NOTIFICATION (Events 24/25).
    NotificationReceived(Notification),
    KeepaliveReceived,
    UpdateReceived,
    RouteRefreshReceived,
    /// Collision detection chose to close this connection (Event 23).
    OpenCollisionDump,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    ManualStop,
    AutomaticStop(Notification),
    HoldTimerExpired,
    /// We sent this NOTIFICATION because of an error.
    ErrorSent(Notification),
    NotificationReceived(Notification),
    ConnectionLost,
    Collision,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a TCP connection to the peer.
    Connect,
    /// Close the TCP connection.
    Disconnect,
    SendOpen(Box<Open>),
    SendKeepalive,
    SendNotification(Notification),
    /// (Re)start a timer for this many seconds.
    StartTimer(Timer, u32),
    StopTimer(Timer),
    /// The session is up with these parameters: start exchanging routes.
    Established(Box<Negotiated>),
    /// The session (or attempt) went down: from Established, flush or mark
    /// the peer's routes stale.
    Down(DownReason),
}

/// One peer's state machine.
#[derive(Debug, Clone)]
pub struct Fsm {
    cfg: PeerConfig,
    our_open: Open,
    state: State,
    /// RFC 4271 §8: counts failed attempts; reset by ManualStop.
    connect_retry_counter: u32,
    /// Administratively wanted up: errors lead to an automatic restart.
    enabled: bool,
    /// Consecutive flaps, for the IdleHold back-off.
    flaps: u32,
    running: [bool; 6],
    negotiated: Option<Negotiated>,
    /// The OPEN the peer sent for the current session (BMP Peer Up
    /// reports both OPENs, RFC 7854 §4.10).
    peer_open: Option<Open>,
}

impl Fsm {
    pub fn new(cfg: PeerConfig) -> Self {
        let our_open = cfg.open();
        Fsm {
            cfg,
            our_open,
            state: State::Idle,
            connect_retry_counter: 0,
            enabled: false,
            flaps: 0,
            running: [false; 6],
            negotiated: None,
            peer_open: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }
    pub fn config(&self) -> &PeerConfig {
        &self.cfg
    }
    /// Change whether later (re)starts initiate the connection. A second,
    /// passively started machine that wins a connection collision (§6.8)
    /// takes over the peer and must then behave as configured.
    pub fn set_passive(&mut self, passive: bool) {
        self.cfg.passive = passive;
    }
    pub fn our_open(&self) -> &Open {
        &self.our_open
    }
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }
    /// The peer's OPEN, once it was accepted (OpenConfirm, Established).
    pub fn peer_open(&self) -> Option<&Open> {
        self.peer_open.as_ref()
    }
    pub fn connect_retry_counter(&self) -> u32 {
        self.connect_retry_counter
    }
    pub fn is_running(&self, t: Timer) -> bool {
        self.running.get(Self::idx(t)).copied().unwrap_or(false)
    }

    fn idx(t: Timer) -> usize {
        TIMERS.iter().position(|x| *x == t).unwrap_or(0)
    }

    fn start(&mut self, a: &mut Vec<Action>, t: Timer, secs: u32) {
        if let Some(r) = self.running.get_mut(Self::idx(t)) {
            *r = true;
        }
        a.push(Action::StartTimer(t, secs));
    }

    fn stop(&mut self, a: &mut Vec<Action>, t: Timer) {
        if let Some(r) = self.running.get_mut(Self::idx(t)) {
            if *r {
                *r = false;
                a.push(Action::StopTimer(t));
            }
        }
    }

    fn expired(&mut self, t: Timer) -> bool {
        match self.running.get_mut(Self::idx(t)) {
            Some(r) if *r => {
                *r = false;
                true
            }
            // A stale expiry (timer already stopped): ignore it.
            _ => false,
        }
    }

    /// The back-off before the next automatic start: doubles per flap.
    fn idle_hold(&self) -> u32 {
        let shift = self.flaps.min(16);
        self.cfg
            .idle_hold_time
            .max(1)
            .saturating_mul(1 << shift)
            .min(self.cfg.idle_hold_max.max(1))
    }

    fn send_open(&mut self, a: &mut Vec<Action>) {
        a.push(Action::SendOpen(Box::new(self.our_open.clone())));
        self.start(a, Timer::Hold, LARGE_HOLD);
        self.state = State::OpenSent;
    }

    /// Begin connecting (active) or waiting (passive).
    fn begin(&mut self, a: &mut Vec<Action>) {
        self.start(a, Timer::ConnectRetry, self.cfg.connect_retry_time);
        if self.cfg.passive {
            self.state = State::Active;
        } else {
            a.push(Action::Connect);
            self.state = State::Connect;
        }
    }

    /// Leave for Idle: optional NOTIFICATION, close, stop timers, report,
    /// and schedule an automatic restart if the peer is still wanted.
    fn go_idle(&mut self, a: &mut Vec<Action>, notify: Option<Notification>, reason: DownReason) {
        let was = self.state;
        if let Some(n) = notify {
            a.push(Action::SendNotification(n));
        }
        if was != State::Idle {
            a.push(Action::Disconnect);
        }
        for t in TIMERS {
            self.stop(a, t);
        }
        self.negotiated = None;
        self.state = State::Idle;
        if reason == DownReason::ManualStop {
            self.connect_retry_counter = 0;
        } else {
            self.connect_retry_counter = self.connect_retry_counter.saturating_add(1);
        }
        if was != State::Idle {
            a.push(Action::Down(reason));
        }
        if self.enabled {
            let wait = self.idle_hold();
            self.flaps = self.flaps.saturating_add(1);
            self.start(a, Timer::IdleHold, wait);
        }
    }

    fn fsm_error(&self) -> Notification {
        // RFC 6608: the subcode names the state the unexpected event hit.
        let sub = match self.state {
            State::OpenSent => 1,
            State::OpenConfirm => 2,
            State::Established => 3,
            _ => 0,
        };
        Notification::new(codes::FSM, sub, Vec::new())
    }

    fn cease(sub: u8) -> Notification {
        Notification::new(codes::CEASE, sub, Vec::new())
    }

    /// Feed one event; returns what to do, in order.
    pub fn handle(&mut self, ev: Event) -> Vec<Action> {
        let mut a = Vec::new();
        // Events that mean the same in every state.
        match &ev {
            Event::ManualStop { message } => {
                self.enabled = false;
                self.flaps = 0;
                let n = match message {
                    Some(m) => Notification::shutdown(cease_sub::ADMINISTRATIVE_SHUTDOWN, m),
                    None => Self::cease(cease_sub::ADMINISTRATIVE_SHUTDOWN),
                };
                // NOTIFICATION only once an OPEN has gone out (§8.2.2).
                let send = matches!(
                    self.state,
                    State::OpenSent | State::OpenConfirm | State::Established
                );
                self.go_idle(&mut a, send.then_some(n), DownReason::ManualStop);
                if let Some(r) = self.running.get_mut(Self::idx(Timer::IdleHold)) {
                    *r = false;
                }
                a.retain(|x| !matches!(x, Action::StartTimer(Timer::IdleHold, _)));
                return a;
            }
            Event::ConnectRetryTimerExpires if !self.expired(Timer::ConnectRetry) => return a,
            Event::HoldTimerExpires if !self.expired(Timer::Hold) => return a,
            Event::KeepaliveTimerExpires if !self.expired(Timer::Keepalive) => return a,
            Event::DelayOpenTimerExpires if !self.expired(Timer::DelayOpen) => return a,
            Event::IdleHoldTimerExpires if !self.expired(Timer::IdleHold) => return a,
            Event::StableTimerExpires if !self.expired(Timer::Stable) => return a,
            _ => {}
        }
        match self.state {
            State::Idle => match ev {
                Event::ManualStart => {
                    self.enabled = true;
                    self.flaps = 0;
                    self.stop(&mut a, Timer::IdleHold);
                    self.connect_retry_counter = 0;
                    self.begin(&mut a);
                }
                // Automatic starts wait out the back-off (§8.1.1).
                Event::AutomaticStart if !self.is_running(Timer::IdleHold) => {
                    self.enabled = true;
                    self.begin(&mut a);
                }
                Event::IdleHoldTimerExpires => self.begin(&mut a),
                // RFC 4271 §8.2.2: all other events are ignored in Idle.
                _ => {}
            },
            State::Connect | State::Active => self.connect_or_active(&mut a, ev),
            State::OpenSent => match ev {
                Event::ManualStart | Event::AutomaticStart => {}
                Event::AutomaticStop(n) => {
                    self.go_idle(&mut a, Some(n.clone()), DownReason::AutomaticStop(n))
                }
                Event::HoldTimerExpires => {
                    let n = Notification::new(codes::HOLD_TIMER_EXPIRED, 0, Vec::new());
                    self.go_idle(&mut a, Some(n), DownReason::HoldTimerExpired)
                }
                Event::TcpFails => {
                    // §8.2.2: back to Active, waiting for a new connection.
                    a.push(Action::Disconnect);
                    self.stop(&mut a, Timer::Hold);
                    self.start(&mut a, Timer::ConnectRetry, self.cfg.connect_retry_time);
                    self.state = State::Active;
                }
                Event::OpenReceived(o) => self.open_received(&mut a, &o),
                Event::MessageError(n) => {
                    self.go_idle(&mut a, Some(n.clone()), DownReason::ErrorSent(n))
                }
                Event::OpenCollisionDump => self.go_idle(
                    &mut a,
                    Some(Self::cease(cease_sub::CONNECTION_COLLISION)),
                    DownReason::Collision,
                ),
                Event::NotificationReceived(n) => {
                    self.go_idle(&mut a, None, DownReason::NotificationReceived(n))
                }
                Event::StableTimerExpires | Event::IdleHoldTimerExpires | Event::TcpConnected => {}
                _ => {
                    let n = self.fsm_error();
                    self.go_idle(&mut a, Some(n.clone()), DownReason::ErrorSent(n))
                }
            },
            State::OpenConfirm => match ev {
                Event::ManualStart | Event::AutomaticStart | Event::TcpConnected => {}
                Event::AutomaticStop(n) => {
                    self.go_idle(&mut a, Some(n.clone()), DownReason::AutomaticStop(n))
                }
                Event::HoldTimerExpires => {
                    let n = Notification::new(codes::HOLD_TIMER_EXPIRED, 0, Vec::new());
                    self.go_idle(&mut a, Some(n), DownReason::HoldTimerExpired)
                }
                Event::KeepaliveTimerExpires => self.keepalive(&mut a),
                Event::TcpFails => self.go_idle(&mut a, None, DownReason::ConnectionLost),
                Event::NotificationReceived(n) => {
                    self.go_idle(&mut a, None, DownReason::NotificationReceived(n))
                }
                Event::MessageError(n) => {
                    self.go_idle(&mut a, Some(n.clone()), DownReason::ErrorSent(n))
                }
                Event::OpenCollisionDump => self.go_idle(
                    &mut a,
                    Some(Self::cease(cease_sub::CONNECTION_COLLISION)),
                    DownReason::Collision,
                ),
                Event::KeepaliveReceived => {
                    let neg = self.negotiated.clone();
                    if let Some(n) = neg {
                        if n.hold_time > 0 {
                            self.start(&mut a, Timer::Hold, u32::from(n.hold_time));
                        }
                        self.start(&mut a, Timer::Stable, self.cfg.stable_time);
                        self.state = State::Established;
                        a.push(Action::Established(Box::new(n)));
                    }
                }
                Event::StableTimerExpires | Event::IdleHoldTimerExpires => {}
                _ => {
                    let n = self.fsm_error();
                    self.go_idle(&mut a, Some(n.clone()), DownReason::ErrorSent(n))
                }
            },
            State::Established => match ev {
                Event::ManualStart | Event::AutomaticStart | Event::TcpConnected => {}
                Event::AutomaticStop(n) => {
                    self.go_idle(&mut a, Some(n.clone()), DownReason::AutomaticStop(n))
                }
                Event::HoldTimerExpires => {
                    let n = Notification::new(codes::HOLD_TIMER_EXPIRED, 0, Vec::new());
                    self.go_idle(&mut a, Some(n), DownReason::HoldTimerExpired)
                }
                Event::KeepaliveTimerExpires => self.keepalive(&mut a),
                Event::KeepaliveReceived | Event::UpdateReceived | Event::RouteRefreshReceived => {
                    // §8.2.2: any of these restarts the hold timer.
                    if let Some(h) = self
                        .negotiated
                        .as_ref()
                        .map(|n| n.hold_time)
                        .filter(|h| *h > 0)
                    {
                        self.start(&mut a, Timer::Hold, u32::from(h));
                    }
                }
                Event::StableTimerExpires => self.flaps = 0,
                Event::TcpFails => self.go_idle(&mut a, None, DownReason::ConnectionLost),
                Event::NotificationReceived(n) => {
                    self.go_idle(&mut a, None, DownReason::NotificationReceived(n))
                }
                Event::MessageError(n) => {
                    self.go_idle(&mut a, Some(n.clone()), DownReason::ErrorSent(n))
                }
                Event::OpenCollisionDump => self.go_idle(
                    &mut a,
                    Some(Self::cease(cease_sub::CONNECTION_COLLISION)),
                    DownReason::Collision,
                ),
                Event::IdleHoldTimerExpires => {}
                _ => {
                    let n = self.fsm_error();
                    self.go_idle(&mut a, Some(n.clone()), DownReason::ErrorSent(n))
                }
            },
        }
        a
    }

    fn keepalive(&mut self, a: &mut Vec<Action>) {
        a.push(Action::SendKeepalive);
        if let Some(k) = self
            .negotiated
            .as_ref()
            .map(|n| n.keepalive_time)
            .filter(|k| *k > 0)
        {
            self.start(a, Timer::Keepalive, u32::from(k));
        }
    }

    fn open_received(&mut self, a: &mut Vec<Action>, theirs: &Open) {
        self.stop(a, Timer::DelayOpen);
        self.stop(a, Timer::ConnectRetry);
        match negotiate(&self.cfg, &self.our_open, theirs) {
            Ok(n) => {
                a.push(Action::SendKeepalive);
                if n.hold_time > 0 {
                    self.start(a, Timer::Keepalive, u32::from(n.keepalive_time.max(1)));
                    self.start(a, Timer::Hold, u32::from(n.hold_time));
                } else {
                    self.stop(a, Timer::Hold);
                }
                self.negotiated = Some(n);
                self.peer_open = Some(theirs.clone());
                self.state = State::OpenConfirm;
            }
            Err(notif) => self.go_idle(a, Some(notif.clone()), DownReason::ErrorSent(notif)),
        }
    }

    fn connect_or_active(&mut self, a: &mut Vec<Action>, ev: Event) {
        match ev {
            Event::ManualStart
            | Event::AutomaticStart
            | Event::IdleHoldTimerExpires
            | Event::StableTimerExpires => {}
            Event::ConnectRetryTimerExpires => {
                if self.state == State::Connect {
                    a.push(Action::Disconnect);
                }
                self.stop(a, Timer::DelayOpen);
                self.start(a, Timer::ConnectRetry, self.cfg.connect_retry_time);
                if !self.cfg.passive {
                    a.push(Action::Connect);
                    self.state = State::Connect;
                }
            }
            Event::DelayOpenTimerExpires => {
                self.stop(a, Timer::ConnectRetry);
                self.send_open(a);
            }
            Event::TcpConnected => {
                self.stop(a, Timer::ConnectRetry);
                match self.cfg.delay_open_time {
                    Some(d) if d > 0 => self.start(a, Timer::DelayOpen, d),
                    _ => self.send_open(a),
                }
            }
            Event::TcpFails => {
                if self.is_running(Timer::DelayOpen)
                    || self.state == State::Connect && !self.cfg.passive
                {
                    // §8.2.2: go on waiting/retrying rather than giving up.
                    self.stop(a, Timer::DelayOpen);
                    self.start(a, Timer::ConnectRetry, self.cfg.connect_retry_time);
                    self.state = State::Active;
                } else {
                    self.go_idle(a, None, DownReason::ConnectionLost);
                }
            }
            Event::OpenReceived(o) if self.is_running(Timer::DelayOpen) => {
                // §8.2.2: OPEN while DelayOpen runs: answer with OPEN and KEEPALIVE.
                a.push(Action::SendOpen(Box::new(self.our_open.clone())));
                self.open_received(a, &o);
            }
            Event::MessageError(n) => self.go_idle(a, Some(n.clone()), DownReason::ErrorSent(n)),
            Event::NotificationReceived(n) => {
                self.go_idle(a, None, DownReason::NotificationReceived(n))
            }
            Event::AutomaticStop(n) => self.go_idle(a, None, DownReason::AutomaticStop(n)),
            _ => self.go_idle(a, None, DownReason::ConnectionLost),
        }
    }
}
