//! A peer task waiting for the RIB task (its inbox full) keeps the
//! session, whether it hands over UPDATEs or the session's coming up:
//! KEEPALIVEs still go out while it waits (RFC 4271 §4.4), and
//! once the RIB catches up the peer's KEEPALIVEs it left unread keep its
//! hold timer from expiring (§6.5). A real peer on loopback, the task as
//! the supervisor starts it, and a RIB that takes nothing for twice the
//! hold time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use rbgp_config::Config;
use rbgp_wire::{AfiSafi, Context, Message, Nlri, NlriEntry, Open};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, watch, Notify};
use tokio::time::{timeout, Instant};

use super::room::Room;
use super::{run, Setup, Wiring};
use crate::tasks::RibMsg;

const HOLD: u16 = 3;

/// The next message from rbgpd: (type, whole message).
async fn next(s: &mut (impl AsyncReadExt + Unpin)) -> (u8, Vec<u8>) {
    let mut head = [0u8; 19];
    s.read_exact(&mut head).await.unwrap();
    let len = usize::from(u16::from_be_bytes([head[16], head[17]]));
    let mut m = head.to_vec();
    m.resize(len, 0);
    s.read_exact(&mut m[19..]).await.unwrap();
    (head[18], m)
}

const KEEPALIVE: u8 = 4;
const NOTIFICATION: u8 = 3;

/// The task's other ends, held for as long as the test runs (a closed
/// control channel stops the task).
struct Ends {
    _ctl: mpsc::Sender<crate::tasks::PeerCtl>,
    _conn: mpsc::Sender<TcpStream>,
    _gone: mpsc::Receiver<std::net::IpAddr>,
}

/// The peer task as the supervisor starts it, for 127.0.0.1 (hold time
/// `HOLD`), handing to `rib`; a real peer connected to it, past the
/// OPENs and rbgpd's first KEEPALIVE (our KEEPALIVE is sent: the session
/// goes Established as the task reads it).
async fn established(
    rib: mpsc::Sender<RibMsg>,
) -> (
    TcpStream,
    watch::Receiver<crate::control::SessionStatus>,
    Ends,
) {
    let text = format!(
        "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\nlisten = []\n\
         [[neighbors]]\naddress = \"127.0.0.1\"\nremote_asn = 65001\npassive = true\n\
         hold_time = {HOLD}\n"
    );
    let c = Config::parse(&text).unwrap();
    let n = c.neighbors().unwrap().remove(0);
    let setup = Setup::new(&c, n);
    let (conn_tx, conn_rx) = mpsc::channel(1);
    let (ctl_tx, ctl_rx) = mpsc::channel(1);
    let (status, status_rx) = watch::channel(Default::default());
    let (events, _) = broadcast::channel(16);
    let (gone, gone_rx) = mpsc::channel(1);
    let wiring = Wiring {
        rib,
        // Room for one batch only.
        room: Room::new(1),
        conn_rx,
        ctl_rx,
        status,
        events,
        drained: Arc::new(Notify::new()),
        gone,
    };
    tokio::spawn(run(setup, wiring));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut peer = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (ours, _) = listener.accept().await.unwrap();
    conn_tx.send(ours).await.unwrap();

    let ctx = Context::default();
    let open = Open::new(65001, HOLD, "192.0.2.2".parse().unwrap(), Vec::new());
    peer.write_all(&Message::Open(open).to_bytes(&ctx))
        .await
        .unwrap();
    peer.write_all(&Message::Keepalive.to_bytes(&ctx))
        .await
        .unwrap();
    let (t, _) = next(&mut peer).await;
    assert_eq!(t, 1, "rbgpd's OPEN first");
    let (t, _) = next(&mut peer).await;
    assert_eq!(t, KEEPALIVE, "then its KEEPALIVE: Established");
    let ends = Ends {
        _ctl: ctl_tx,
        _conn: conn_tx,
        _gone: gone_rx,
    };
    (peer, status_rx, ends)
}

/// rbgpd's KEEPALIVEs over twice the hold time (a NOTIFICATION fails).
async fn keepalives_in_two_hold_times(rd: &mut (impl AsyncReadExt + Unpin)) -> u32 {
    let mut keepalives = 0;
    let end = Instant::now() + Duration::from_secs(2 * u64::from(HOLD));
    while let Ok(m) = timeout(end - Instant::now(), next(rd)).await {
        match m {
            (KEEPALIVE, _) => keepalives += 1,
            (NOTIFICATION, m) => panic!("NOTIFICATION while waiting: {m:?}"),
            _ => {}
        }
    }
    keepalives
}

/// Our KEEPALIVEs every second until the end.
fn keep_sending(
    mut wr: impl AsyncWriteExt + Unpin + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    let ka = Message::Keepalive.to_bytes(&Context::default());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if wr.write_all(&ka).await.is_err() {
                return;
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_coming_up_while_the_rib_inbox_is_full_keeps_alive() {
    // An inbox of one, already full: the session's Up cannot be handed
    // over until the RIB takes something.
    let (rib_tx, mut rib_rx) = mpsc::channel::<RibMsg>(1);
    rib_tx
        .try_send(RibMsg::RefreshAsked {
            addr: "127.0.0.2".parse().unwrap(),
            families: Vec::new(),
        })
        .unwrap();
    let (peer, mut status_rx, _ends) = established(rib_tx).await;
    let (mut rd, wr) = peer.into_split();
    let ticker = keep_sending(wr);

    let keepalives = keepalives_in_two_hold_times(&mut rd).await;
    assert!(
        keepalives >= 4,
        "KEEPALIVEs every second while the Up waits: {keepalives} in {} s",
        2 * HOLD
    );
    // The RIB takes its inbox: the Up was waiting behind the first.
    assert!(matches!(
        rib_rx.recv().await,
        Some(RibMsg::RefreshAsked { .. })
    ));
    let up = timeout(Duration::from_secs(5), rib_rx.recv())
        .await
        .unwrap();
    assert!(matches!(up, Some(RibMsg::Up(_))), "then the session's Up");
    // Published once the Up is handed over.
    timeout(
        Duration::from_secs(5),
        status_rx.wait_for(|s| s.state == rbgp_fsm::State::Established),
    )
    .await
    .unwrap()
    .unwrap();
    ticker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_waiting_for_the_rib_keeps_its_session() {
    // A RIB that takes nothing until told.
    let (rib_tx, mut rib_rx) = mpsc::channel::<RibMsg>(64);
    let (peer, status_rx, _ends) = established(rib_tx).await;
    let ctx = Context::default();

    // Far more UPDATEs than one batch: the task fills the RIB's inbox and
    // waits for it, reading nothing more.
    let a = rbgp_rib::Attrs {
        origin: Some(rbgp_wire::attr::Origin::Igp),
        as_path: "65001".parse().unwrap(),
        next_hop: Some("127.0.0.1".parse().unwrap()),
        ..Default::default()
    };
    let mut bytes = Vec::new();
    for i in 0..5_000u32 {
        let nlri = Nlri::Prefix(format!("10.{}.{}.0/24", i / 256, i % 256).parse().unwrap());
        let entry = NlriEntry {
            path_id: None,
            nlri,
        };
        bytes.extend(a.announce(AfiSafi::IPV4_UNICAST, &[entry], &ctx).concat());
    }
    let (mut rd, mut wr) = peer.into_split();
    timeout(Duration::from_secs(10), wr.write_all(&bytes))
        .await
        .expect("the UPDATEs fit the socket buffers")
        .unwrap();
    // Our KEEPALIVEs every second from now to the end (unread while the
    // task waits).
    let ticker = keep_sending(wr);

    // Twice the hold time: rbgpd's KEEPALIVEs arrive.
    let keepalives = keepalives_in_two_hold_times(&mut rd).await;
    assert!(
        keepalives >= 4,
        "KEEPALIVEs every second while waiting: {keepalives} in {} s",
        2 * HOLD
    );
    // The task was waiting all along: one batch has reached the RIB.
    let mut held = Vec::new();
    let mut routes = 0;
    while let Ok(m) = rib_rx.try_recv() {
        if let RibMsg::Updates { updates, .. } = &m {
            routes += updates.len();
        }
        held.push(m);
    }
    assert!(
        routes > 0 && routes < 5_000,
        "{routes} routes reached the RIB"
    );
    drop(held);

    // The RIB catches up: the task reads again, finds the KEEPALIVEs it
    // left unread and keeps the session (no Hold Timer Expired).
    let drain = tokio::spawn(async move {
        while let Some(m) = rib_rx.recv().await {
            if let RibMsg::Updates { updates, .. } = m {
                routes += updates.len();
                if routes >= 5_000 {
                    return routes;
                }
            }
        }
        routes
    });
    let routes = timeout(Duration::from_secs(10), drain)
        .await
        .expect("every UPDATE reached the RIB")
        .unwrap();
    assert_eq!(routes, 5_000);
    let quiet = timeout(Duration::from_secs(2 * u64::from(HOLD)), async {
        loop {
            match next(&mut rd).await {
                (NOTIFICATION, m) => return m,
                _ => continue,
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "no NOTIFICATION after the wait: {quiet:?}");
    assert_eq!(status_rx.borrow().state, rbgp_fsm::State::Established);
    ticker.abort();
}
