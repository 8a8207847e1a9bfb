//! Accepts BGP connections and hands each to the supervisor, which gives
//! it to the neighbor's task (or creates a dynamic neighbor, or closes it).

use std::net::IpAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::tasks::Inbound;

pub async fn run(l: Arc<TcpListener>, to: mpsc::Sender<Inbound>) {
    loop {
        match l.accept().await {
            Ok((stream, from)) => {
                // IPv4 peers may arrive on an IPv6 socket as mapped addresses.
                let ip = match from.ip() {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
                    v4 => v4,
                };
                if to.try_send((stream, ip)).is_err() {
                    tracing::warn!(%from, "supervisor busy, connection dropped");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}
