//! Server-streaming watches and clients that stop reading: a stream's
//! buffer is bounded, and a client that takes nothing from a full buffer
//! for [`SLOW`] is told so (RESOURCE_EXHAUSTED) and the stream ends, so a
//! thousand idle watchers cost bounded memory and hold nothing up. One
//! slot of each buffer is kept free for that status.

use std::time::Duration;

use tokio::sync::mpsc;
use tonic::Status;

/// Messages a watch stream buffers (plus the slot kept for the status).
pub const BUFFER: usize = 64;

/// How long a full stream waits for its reader.
pub const SLOW: Duration = Duration::from_secs(10);

/// The sending end of a watch stream.
pub type Tx<T> = mpsc::Sender<Result<T, Status>>;
/// The receiving end (the gRPC response stream reads it).
pub type Rx<T> = mpsc::Receiver<Result<T, Status>>;

/// A watch stream's buffer.
pub fn channel<T>() -> (Tx<T>, Rx<T>) {
    mpsc::channel(BUFFER + 1)
}

/// Send `v`, waiting at most [`SLOW`] for room. False when the stream is
/// over: the client left, or it was too slow and got the status.
pub async fn send<T>(tx: &Tx<T>, v: T) -> bool {
    // Two free slots: one for `v`, one left for the status.
    match tokio::time::timeout(SLOW, tx.reserve_many(2)).await {
        Ok(Ok(mut permits)) => match permits.next() {
            Some(p) => {
                p.send(Ok(v));
                true
            }
            None => false,
        },
        Ok(Err(_)) => false,
        Err(_) => {
            let _ = tx.try_send(Err(Status::resource_exhausted(format!(
                "the client read nothing for {} s with the stream's buffer full: stream ended (watch again)",
                SLOW.as_secs()
            ))));
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_reader_that_never_reads_gets_the_status() {
        let (tx, mut rx) = channel::<u32>();
        let mut sent = 0;
        while send(&tx, sent).await {
            sent += 1;
        }
        assert_eq!(sent as usize, BUFFER, "the buffer filled, one slot kept");
        for i in 0..sent {
            assert_eq!(rx.recv().await.unwrap().unwrap(), i);
        }
        let end = rx.recv().await.unwrap().unwrap_err();
        assert_eq!(end.code(), tonic::Code::ResourceExhausted);
        drop(tx);
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_within_the_limit_keeps_its_stream() {
        let (tx, mut rx) = channel::<u32>();
        let reader = tokio::spawn(async move {
            let mut n = 0;
            while let Some(m) = rx.recv().await {
                m.unwrap();
                n += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            n
        });
        for i in 0..200 {
            assert!(send(&tx, i).await, "message {i}");
        }
        drop(tx);
        assert_eq!(reader.await.unwrap(), 200);
    }
}
