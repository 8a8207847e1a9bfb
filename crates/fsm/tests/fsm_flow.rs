//! The state machine against RFC 4271 §8.2.2: full session bring-up,
//! errors, timers, back-off, and random event sequences.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use proptest::prelude::*;
use rbgp_fsm::{Action, DownReason, Event, Fsm, PeerConfig, State, Timer};
use rbgp_wire::capability::Capability;
use rbgp_wire::{AfiSafi, Notification, Open};

fn cfg() -> PeerConfig {
    PeerConfig::new(65000, "192.0.2.1".parse().unwrap(), Some(65001))
}

fn peer_open() -> Open {
    Open::new(
        65001,
        90,
        "192.0.2.2".parse().unwrap(),
        vec![Capability::Multiprotocol(AfiSafi::IPV4_UNICAST)],
    )
}

fn established(f: &mut Fsm) {
    f.handle(Event::ManualStart);
    f.handle(Event::TcpConnected);
    f.handle(Event::OpenReceived(Box::new(peer_open())));
    let a = f.handle(Event::KeepaliveReceived);
    assert!(
        a.iter().any(|x| matches!(x, Action::Established(_))),
        "{a:?}"
    );
}

#[test]
fn active_bring_up() {
    let mut f = Fsm::new(cfg());
    let a = f.handle(Event::ManualStart);
    assert_eq!(f.state(), State::Connect);
    assert!(a.contains(&Action::Connect));
    assert!(a.contains(&Action::StartTimer(Timer::ConnectRetry, 30)));
    let a = f.handle(Event::TcpConnected);
    assert_eq!(f.state(), State::OpenSent);
    assert!(
        matches!(a.iter().find(|x| matches!(x, Action::SendOpen(_))), Some(Action::SendOpen(o)) if o.asn() == 65000)
    );
    assert!(
        a.contains(&Action::StartTimer(Timer::Hold, 240)),
        "large hold timer while waiting for OPEN"
    );
    let a = f.handle(Event::OpenReceived(Box::new(peer_open())));
    assert_eq!(f.state(), State::OpenConfirm);
    assert!(a.contains(&Action::SendKeepalive));
    assert!(a.contains(&Action::StartTimer(Timer::Hold, 90)));
    assert!(a.contains(&Action::StartTimer(Timer::Keepalive, 30)));
    let a = f.handle(Event::KeepaliveReceived);
    assert_eq!(f.state(), State::Established);
    let Some(Action::Established(n)) = a.iter().find(|x| matches!(x, Action::Established(_)))
    else {
        panic!()
    };
    assert_eq!(n.families, vec![AfiSafi::IPV4_UNICAST]);
    // Keepalive timer: send and restart.
    let a = f.handle(Event::KeepaliveTimerExpires);
    assert_eq!(
        a,
        vec![
            Action::SendKeepalive,
            Action::StartTimer(Timer::Keepalive, 30)
        ]
    );
    // Any UPDATE restarts the hold timer.
    assert_eq!(
        f.handle(Event::UpdateReceived),
        vec![Action::StartTimer(Timer::Hold, 90)]
    );
}

#[test]
fn passive_waits_for_the_peer() {
    let mut c = cfg();
    c.passive = true;
    let mut f = Fsm::new(c);
    let a = f.handle(Event::ManualStart);
    assert_eq!(f.state(), State::Active);
    assert!(!a.contains(&Action::Connect));
    // Retry timer expiry does not make a passive peer connect.
    f.handle(Event::ConnectRetryTimerExpires);
    assert_eq!(f.state(), State::Active);
    f.handle(Event::TcpConnected);
    assert_eq!(f.state(), State::OpenSent);
}

#[test]
fn delay_open() {
    let mut c = cfg();
    c.delay_open_time = Some(5);
    let mut f = Fsm::new(c);
    f.handle(Event::ManualStart);
    let a = f.handle(Event::TcpConnected);
    assert_eq!(f.state(), State::Connect);
    assert!(a.contains(&Action::StartTimer(Timer::DelayOpen, 5)));
    assert!(!a.iter().any(|x| matches!(x, Action::SendOpen(_))));
    // The peer's OPEN arrives first: OPEN + KEEPALIVE, straight to OpenConfirm.
    let a = f.handle(Event::OpenReceived(Box::new(peer_open())));
    assert_eq!(f.state(), State::OpenConfirm);
    assert!(a.iter().any(|x| matches!(x, Action::SendOpen(_))));
    assert!(a.contains(&Action::SendKeepalive));
}

#[test]
fn hold_timer_expiry_sends_notification_and_backs_off() {
    let mut f = Fsm::new(cfg());
    established(&mut f);
    let a = f.handle(Event::HoldTimerExpires);
    assert_eq!(f.state(), State::Idle);
    assert!(a.contains(&Action::SendNotification(Notification::new(4, 0, vec![]))));
    assert!(a.contains(&Action::Down(DownReason::HoldTimerExpired)));
    assert!(a.contains(&Action::StartTimer(Timer::IdleHold, 1)));
    // Restart after the back-off, fail again: the wait doubles.
    f.handle(Event::IdleHoldTimerExpires);
    assert_eq!(f.state(), State::Connect);
    let a = f.handle(Event::NotificationReceived(Notification::new(6, 2, vec![])));
    assert!(a.contains(&Action::StartTimer(Timer::IdleHold, 2)), "{a:?}");
    f.handle(Event::IdleHoldTimerExpires);
    let a = f.handle(Event::NotificationReceived(Notification::new(6, 2, vec![])));
    assert!(a.contains(&Action::StartTimer(Timer::IdleHold, 4)), "{a:?}");
    // A session that stays up resets the back-off.
    f.handle(Event::IdleHoldTimerExpires);
    f.handle(Event::TcpConnected);
    f.handle(Event::OpenReceived(Box::new(peer_open())));
    f.handle(Event::KeepaliveReceived);
    f.handle(Event::StableTimerExpires);
    let a = f.handle(Event::TcpFails);
    assert!(a.contains(&Action::StartTimer(Timer::IdleHold, 1)), "{a:?}");
}

#[test]
fn manual_stop_sends_shutdown_communication_and_stays_down() {
    let mut f = Fsm::new(cfg());
    established(&mut f);
    let a = f.handle(Event::ManualStop {
        message: Some("maintenance".into()),
    });
    assert_eq!(f.state(), State::Idle);
    let n = a.iter().find_map(|x| match x {
        Action::SendNotification(n) => Some(n.clone()),
        _ => None,
    });
    assert_eq!(
        n.as_ref().and_then(|n| n.shutdown_message()),
        Some("maintenance")
    );
    assert!(!a
        .iter()
        .any(|x| matches!(x, Action::StartTimer(Timer::IdleHold, _))));
    assert!(f.handle(Event::IdleHoldTimerExpires).is_empty());
    assert_eq!(f.state(), State::Idle);
}

#[test]
fn bad_open_is_refused_with_its_notification() {
    let mut f = Fsm::new(cfg());
    f.handle(Event::ManualStart);
    f.handle(Event::TcpConnected);
    let wrong_as = Open::new(65099, 90, "192.0.2.2".parse().unwrap(), vec![]);
    let a = f.handle(Event::OpenReceived(Box::new(wrong_as)));
    assert_eq!(f.state(), State::Idle);
    assert!(a
        .iter()
        .any(|x| matches!(x, Action::SendNotification(n) if (n.code, n.subcode) == (2, 2))));
}

#[test]
fn unexpected_messages_are_fsm_errors() {
    let mut f = Fsm::new(cfg());
    f.handle(Event::ManualStart);
    f.handle(Event::TcpConnected);
    // UPDATE before OPEN: FSM error, subcode 1 (OpenSent), RFC 6608.
    let a = f.handle(Event::UpdateReceived);
    assert!(a
        .iter()
        .any(|x| matches!(x, Action::SendNotification(n) if (n.code, n.subcode) == (5, 1))));
    let mut f = Fsm::new(cfg());
    established(&mut f);
    let a = f.handle(Event::OpenReceived(Box::new(peer_open())));
    assert!(a
        .iter()
        .any(|x| matches!(x, Action::SendNotification(n) if (n.code, n.subcode) == (5, 3))));
}

#[test]
fn stale_timer_expiries_are_ignored() {
    let mut f = Fsm::new(cfg());
    established(&mut f);
    assert!(f.handle(Event::DelayOpenTimerExpires).is_empty());
    assert!(f.handle(Event::ConnectRetryTimerExpires).is_empty());
    assert_eq!(f.state(), State::Established);
}

#[test]
fn zero_hold_time_means_no_keepalives() {
    let mut c = cfg();
    c.hold_time = 0;
    let mut f = Fsm::new(c);
    f.handle(Event::ManualStart);
    f.handle(Event::TcpConnected);
    let a = f.handle(Event::OpenReceived(Box::new(peer_open())));
    assert!(
        !a.iter()
            .any(|x| matches!(x, Action::StartTimer(Timer::Keepalive | Timer::Hold, _))),
        "{a:?}"
    );
    f.handle(Event::KeepaliveReceived);
    assert_eq!(f.state(), State::Established);
    assert!(!f.is_running(Timer::Hold));
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::ManualStart),
        Just(Event::ManualStop { message: None }),
        Just(Event::AutomaticStart),
        Just(Event::AutomaticStop(Notification::new(6, 1, vec![]))),
        Just(Event::ConnectRetryTimerExpires),
        Just(Event::HoldTimerExpires),
        Just(Event::KeepaliveTimerExpires),
        Just(Event::DelayOpenTimerExpires),
        Just(Event::IdleHoldTimerExpires),
        Just(Event::StableTimerExpires),
        Just(Event::TcpConnected),
        Just(Event::TcpFails),
        Just(Event::OpenReceived(Box::new(peer_open()))),
        Just(Event::OpenReceived(Box::new(Open::new(
            1,
            1,
            "0.0.0.0".parse().unwrap(),
            vec![]
        )))),
        Just(Event::MessageError(Notification::new(3, 1, vec![]))),
        Just(Event::NotificationReceived(Notification::new(6, 4, vec![]))),
        Just(Event::KeepaliveReceived),
        Just(Event::UpdateReceived),
        Just(Event::RouteRefreshReceived),
        Just(Event::OpenCollisionDump),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Any event sequence: no panic, and the state stays coherent.
    #[test]
    fn random_events_keep_invariants(events in prop::collection::vec(event(), 0..60), passive in any::<bool>(), delay in any::<bool>()) {
        let mut c = cfg();
        c.passive = passive;
        c.delay_open_time = delay.then_some(3);
        let mut f = Fsm::new(c);
        for ev in events {
            let before = f.state();
            let a = f.handle(ev);
            let s = f.state();
            // Established only from OpenConfirm, and only with parameters.
            if a.iter().any(|x| matches!(x, Action::Established(_))) {
                prop_assert_eq!(before, State::OpenConfirm);
                prop_assert_eq!(s, State::Established);
            }
            prop_assert_eq!(s == State::Established || s == State::OpenConfirm, f.negotiated().is_some());
            if s == State::Established {
                prop_assert!(f.is_running(Timer::Hold));
            }
            if s == State::Idle {
                for t in [Timer::ConnectRetry, Timer::Hold, Timer::Keepalive, Timer::DelayOpen, Timer::Stable] {
                    prop_assert!(!f.is_running(t), "{:?} running in Idle", t);
                }
            }
            if matches!(s, State::Connect | State::Active) {
                prop_assert!(f.is_running(Timer::ConnectRetry) || f.is_running(Timer::DelayOpen));
            }
            // A NOTIFICATION is always followed by closing the connection.
            if let Some(i) = a.iter().position(|x| matches!(x, Action::SendNotification(_))) {
                prop_assert!(a[i..].contains(&Action::Disconnect));
            }
        }
    }
}
