//! Connections per API listener: each holds a slot until it closes, and
//! one past `[api] max_connections` is closed as it is accepted, so a
//! client opening connections without end cannot grow rbgpd's memory.
//! (Streams per connection are bounded by HTTP/2 itself, `max_streams`.)
//!
//! So that one client cannot hold every slot and lock the operators out:
//! - one source address (an IPv6 /64: one host's addresses) holds at most
//!   an eighth of a TCP listener's slots;
//! - on a listener that authenticates by token alone (no mutual TLS, whose
//!   handshake authenticates), a connection that has made no authorized
//!   call within [`FIRST_CALL`] is closed.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::loglimit::LogLimit;

/// How long a connection to a token listener may go without an authorized
/// call (rbgpctl and the gRPC libraries call as soon as they connect).
pub(super) const FIRST_CALL: Duration = Duration::from_secs(10);

/// Connections per source: a share of the listener's slots.
const SOURCE_SHARE: u32 = 8;

/// A listener's connection slots.
pub(super) struct Slots {
    free: Arc<Semaphore>,
    max: u32,
    /// Connections held per source key (`source_key`).
    sources: Arc<Mutex<HashMap<u128, u32>>>,
    per_source: u32,
    /// Connections must make an authorized call within [`FIRST_CALL`].
    gated: bool,
    /// Which listener, for the log.
    name: String,
    log: LogLimit,
}

/// An address, IPv6 by its /64 (IPv4-mapped ones as IPv4).
fn source_key(a: IpAddr) -> u128 {
    match a.to_canonical() {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => (u128::from(v6) >> 64) | (1 << 127),
    }
}

impl Slots {
    pub(super) fn new(max: u32, name: String) -> Slots {
        Slots {
            free: Arc::new(Semaphore::new(max as usize)),
            max,
            sources: Arc::default(),
            per_source: (max / SOURCE_SHARE).max(1),
            gated: false,
            name,
            log: LogLimit::default(),
        }
    }

    /// Close connections that make no authorized call in time (a listener
    /// authenticating by token alone).
    pub(super) fn gated(mut self) -> Slots {
        self.gated = true;
        self
    }

    /// The connection with its slot, or `None` (it is dropped: closed)
    /// when every slot is taken, or `source`'s share of them.
    pub(super) fn admit<S>(&mut self, io: S, source: Option<IpAddr>) -> Option<Limited<S>> {
        let held = match source {
            Some(a) => match self.hold(a) {
                Some(h) => Some(h),
                None => {
                    if self.log.check("API connections") {
                        tracing::warn!(listener = %self.name, source = %a, per_source = self.per_source, "API connections from one source at their limit, connection closed");
                    }
                    return None;
                }
            },
            None => None,
        };
        match Arc::clone(&self.free).try_acquire_owned() {
            Ok(slot) => Some(Limited {
                io,
                _slot: slot,
                _source: held,
                gate: self.gated.then(|| Gate {
                    authorized: Arc::default(),
                    deadline: Box::pin(tokio::time::sleep(FIRST_CALL)),
                }),
            }),
            Err(_) => {
                if self.log.check("API connections") {
                    tracing::warn!(listener = %self.name, max_connections = self.max, "API listener full, connection closed");
                }
                None
            }
        }
    }

    fn hold(&self, a: IpAddr) -> Option<Held> {
        let key = source_key(a);
        let mut m = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(key).or_insert(0);
        if *n >= self.per_source {
            return None;
        }
        *n += 1;
        Some(Held {
            sources: Arc::clone(&self.sources),
            key,
        })
    }
}

/// One connection counted against its source until dropped.
struct Held {
    sources: Arc<Mutex<HashMap<u128, u32>>>,
    key: u128,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut m = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.key);
            }
        }
    }
}

/// Until the connection's first authorized call.
struct Gate {
    authorized: Arc<AtomicBool>,
    deadline: Pin<Box<Sleep>>,
}

/// A connection holding its slot until it is dropped.
pub(super) struct Limited<S> {
    io: S,
    _slot: OwnedSemaphorePermit,
    _source: Option<Held>,
    gate: Option<Gate>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(e) = self.gate_closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S> Limited<S> {
    /// The error that ends a connection past its first-call deadline. Read
    /// and write both look: the server keeps a read pending on an idle
    /// connection (the timer wakes it), and one whose client does not read
    /// is left writing.
    fn gate_closed(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        let g = self.gate.as_mut()?;
        if g.authorized.load(Ordering::Relaxed) {
            self.gate = None;
            return None;
        }
        if g.deadline.as_mut().poll(cx).is_pending() {
            return None;
        }
        tracing::debug!("API connection without an authorized call closed");
        Some(io::Error::new(
            io::ErrorKind::TimedOut,
            "no authorized call in time",
        ))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.gate_closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.gate_closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.gate_closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// What tonic sees of the connection (request extensions): what it wraps
/// (peer address, TLS), and the gate an authorized call opens.
#[derive(Debug, Clone)]
pub(super) struct ConnInfo<I> {
    pub inner: I,
    authorized: Option<Arc<AtomicBool>>,
}

impl<I> ConnInfo<I> {
    /// The connection made an authorized call: it may stay.
    pub(super) fn authorize(&self) {
        if let Some(a) = &self.authorized {
            a.store(true, Ordering::Relaxed);
        }
    }
}

/// Of a plain TCP connection (the listeners the gate applies to).
pub(super) type TcpInfo = ConnInfo<TcpConnectInfo>;

impl<S: Connected> Connected for Limited<S> {
    type ConnectInfo = ConnInfo<S::ConnectInfo>;

    fn connect_info(&self) -> Self::ConnectInfo {
        ConnInfo {
            inner: self.io.connect_info(),
            authorized: self.gate.as_ref().map(|g| Arc::clone(&g.authorized)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::AsyncReadExt as _;

    #[test]
    fn a_slot_is_freed_when_its_connection_drops() {
        let mut s = Slots::new(2, "test".into());
        let a = s.admit((), None);
        let b = s.admit((), None);
        assert!(a.is_some() && b.is_some());
        assert!(s.admit((), None).is_none(), "a third is closed");
        drop(a);
        assert!(
            s.admit((), None).is_some(),
            "the first's slot is free again"
        );
    }

    #[test]
    fn one_source_holds_an_eighth_of_the_slots() {
        let mut s = Slots::new(16, "test".into());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let (x, y) = (s.admit((), Some(a)), s.admit((), Some(a)));
        assert!(x.is_some() && y.is_some());
        assert!(s.admit((), Some(a)).is_none(), "a third from one source");
        assert!(s.admit((), Some("192.0.2.2".parse().unwrap())).is_some());
        // One host's IPv6 addresses count together, as does its mapped IPv4.
        let v6 = |x: &str| Some(x.parse::<IpAddr>().unwrap());
        let p = (
            s.admit((), v6("2001:db8::1")),
            s.admit((), v6("2001:db8::2")),
        );
        assert!(p.0.is_some() && p.1.is_some());
        assert!(s.admit((), v6("2001:db8::ffff")).is_none());
        assert!(s.admit((), v6("2001:db8:0:1::1")).is_some());
        assert!(s.admit((), v6("::ffff:192.0.2.1")).is_none());
        drop(x);
        assert!(s.admit((), Some(a)).is_some(), "its share is freed with it");
    }

    #[tokio::test(start_paused = true)]
    async fn a_gated_connection_without_an_authorized_call_is_closed() {
        let mut s = Slots::new(4, "test".into()).gated();
        let (_client, server) = tokio::io::duplex(64);
        let mut c = s.admit(server, None).unwrap();
        let mut buf = [0u8; 8];
        let t = tokio::time::Instant::now();
        let e = c.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(t.elapsed() >= FIRST_CALL, "closed after {:?}", t.elapsed());

        // Authorized before the deadline: it stays past it.
        let (_client, server) = tokio::io::duplex(64);
        let mut c = s.admit(server, None).unwrap();
        let gate = c.gate.as_ref().map(|g| Arc::clone(&g.authorized)).unwrap();
        ConnInfo {
            inner: (),
            authorized: Some(gate),
        }
        .authorize();
        let r = tokio::time::timeout(FIRST_CALL * 3, c.read(&mut buf)).await;
        assert!(r.is_err(), "still open, waiting for bytes: {r:?}");
    }
}
