//! Accepts BGP connections and hands each to the supervisor, which gives
//! it to the neighbor's task (or creates a dynamic neighbor, or closes it).
//! When every member of a route server reconnects at once the supervisor
//! falls behind: the accept loop then waits for it (the kernel's listen
//! backlog holds the next connections) instead of dropping connections,
//! and drops one only when the supervisor has not taken it for
//! [`HANDOFF`].

use std::net::IpAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::tasks::Inbound;

/// How long a connection may wait for the supervisor.
const HANDOFF: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn run(l: Arc<TcpListener>, to: mpsc::Sender<Inbound>) {
    loop {
        match l.accept().await {
            Ok((stream, from)) => {
                // IPv4 peers may arrive on an IPv6 socket as mapped addresses.
                let ip = match from.ip() {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
                    v4 => v4,
                };
                match tokio::time::timeout(HANDOFF, to.send((stream, ip))).await {
                    Ok(Ok(())) => {}
                    // The daemon is stopping.
                    Ok(Err(_)) => return,
                    Err(_) => tracing::warn!(%from, "supervisor busy for 10 s, connection dropped"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A burst of connections larger than the hand-off queue, to a slow
    /// supervisor: every one is handed over, none dropped.
    #[tokio::test]
    async fn a_burst_waits_for_a_slow_supervisor() {
        let l = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = l.local_addr().unwrap();
        let (tx, mut rx) = mpsc::channel(2);
        let task = tokio::spawn(run(l, tx));
        let clients: Vec<_> = (0..100)
            .map(|_| tokio::spawn(tokio::net::TcpStream::connect(addr)))
            .collect();
        let mut got = 0;
        while got < 100 {
            let c = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
                .await
                .unwrap();
            assert!(c.is_some());
            got += 1;
            // The supervisor is slow.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        for c in clients {
            c.await.unwrap().unwrap();
        }
        task.abort();
    }
}
