//! Connections per API listener: each holds a slot until it closes, and
//! one past `[api] max_connections` is closed as it is accepted, so a
//! client opening connections without end cannot grow rbgpd's memory.
//! (Streams per connection are bounded by HTTP/2 itself, `max_streams`.)

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::transport::server::Connected;

use crate::loglimit::LogLimit;

/// A listener's connection slots.
pub(super) struct Slots {
    free: Arc<Semaphore>,
    max: u32,
    /// Which listener, for the log.
    name: String,
    log: LogLimit,
}

impl Slots {
    pub(super) fn new(max: u32, name: String) -> Slots {
        Slots {
            free: Arc::new(Semaphore::new(max as usize)),
            max,
            name,
            log: LogLimit::default(),
        }
    }

    /// The connection with its slot, or `None` (it is dropped: closed)
    /// when every slot is taken.
    pub(super) fn admit<S>(&mut self, io: S) -> Option<Limited<S>> {
        match Arc::clone(&self.free).try_acquire_owned() {
            Ok(slot) => Some(Limited { io, _slot: slot }),
            Err(_) => {
                if self.log.check("API connections") {
                    tracing::warn!(listener = %self.name, max_connections = self.max, "API listener full, connection closed");
                }
                None
            }
        }
    }
}

/// A connection holding its slot until it is dropped.
pub(super) struct Limited<S> {
    io: S,
    _slot: OwnedSemaphorePermit,
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// tonic sees the connection as what it wraps (peer address, TLS).
impl<S: Connected> Connected for Limited<S> {
    type ConnectInfo = S::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_slot_is_freed_when_its_connection_drops() {
        let mut s = Slots::new(2, "test".into());
        let a = s.admit(());
        let b = s.admit(());
        assert!(a.is_some() && b.is_some());
        assert!(s.admit(()).is_none(), "a third is closed");
        drop(a);
        assert!(s.admit(()).is_some(), "the first's slot is free again");
    }
}
