//! The task's socket side: waiting for the next input of any kind,
//! writing with a stall limit, and outgoing connection attempts (in a side
//! task, so the loop keeps serving timers and inbound connections).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use rbgp_fsm::Event;
use rbgp_wire::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;

use super::{Input, Peer};
use crate::metrics::count_message;
use crate::sockets;
use crate::tasks::PeerCtl;

/// Without a hold time (0), how long a write may make no progress before
/// the connection is given up.
const WRITE_STALL_NO_HOLD: u64 = 240;

/// How long an outgoing connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Peer {
    pub(super) async fn write(&mut self, bytes: &[u8], events: &mut VecDeque<Event>) {
        // A peer that stops reading must not hold this task (its timers,
        // its control messages) forever: once no byte has gone out for a
        // hold time, our KEEPALIVEs cannot have reached it either, so by
        // RFC 4271 §6.5 the session is over on its side too.
        let stall = Duration::from_secs(match self.negotiated.as_ref().map(|n| n.hold_time) {
            Some(h) if h > 0 => u64::from(h),
            _ => WRITE_STALL_NO_HOLD,
        });
        let Some(s) = self.conn.as_mut() else {
            return;
        };
        let mut rest = bytes;
        let error = loop {
            if rest.is_empty() {
                return;
            }
            match tokio::time::timeout(stall, s.write(rest)).await {
                Ok(Ok(0)) => break "connection closed".to_string(),
                Ok(Ok(n)) => rest = rest.get(n..).unwrap_or(&[]),
                Ok(Err(e)) => break e.to_string(),
                Err(_) => {
                    break format!("peer not reading: nothing sent for {} s", stall.as_secs())
                }
            }
        };
        tracing::warn!(peer = %self.addr(), %error, "write failed");
        self.status
            .send_modify(|st| st.last_error = Some(format!("write failed: {error}")));
        self.conn = None;
        events.push_back(Event::TcpFails);
    }

    /// Encode, count and send one message.
    pub(super) async fn send(&mut self, m: Message, events: &mut VecDeque<Event>) {
        self.status
            .send_modify(|st| count_message(&mut st.messages_out, &m));
        let bytes = m.to_bytes(&self.tx_ctx);
        self.write(&bytes, events).await;
    }

    pub(super) fn connect(&mut self) {
        let n = &self.setup.neighbor;
        let remote = SocketAddr::new(n.address, n.port);
        let local = n.local_address;
        let security = sockets::Security::of(n, self.setup.fsm.local_asn);
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
                security.outgoing(&sock, remote.ip())?;
                let s = tokio::time::timeout(CONNECT_TIMEOUT, sock.connect(remote))
                    .await
                    .map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                    })??;
                Ok(s)
            }
            .await;
            let _ = tx.send(r).await;
        }));
    }

    pub(super) async fn next_input(
        &mut self,
        conn_rx: &mut mpsc::Receiver<TcpStream>,
        connect_rx: &mut mpsc::Receiver<std::io::Result<TcpStream>>,
        ctl: &mut mpsc::Receiver<PeerCtl>,
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
        let pending_read = async {
            match self.pending.as_mut() {
                Some(pd) => pd.stream.read(&mut self.pending_buf).await,
                None => std::future::pending().await,
            }
        };
        let restart_at = self.restart_at;
        let restart = async {
            match restart_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            c = ctl.recv() => Input::Ctl(c),
            () = restart => Input::Restart,
            r = pending_read => Input::PendingRead(r),
            t = sleep => Input::Timer(t),
            Some(s) = conn_rx.recv() => Input::Inbound(s),
            Some(r) = connect_rx.recv() => Input::Connected(r),
            r = read => Input::Read(r),
            Some(m) = export => Input::Export(m),
        }
    }
}
