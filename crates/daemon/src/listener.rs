//! Accepts BGP connections and hands each to the task of the neighbor
//! whose address it comes from; unknown sources are closed.

use std::collections::HashMap;
use std::net::IpAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub async fn run(l: TcpListener, peers: HashMap<IpAddr, mpsc::Sender<TcpStream>>) {
    loop {
        match l.accept().await {
            Ok((stream, from)) => {
                // IPv4 peers may arrive on an IPv6 socket as mapped addresses.
                let ip = match from.ip() {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
                    v4 => v4,
                };
                match peers.get(&ip) {
                    Some(tx) => {
                        if tx.try_send(stream).is_err() {
                            tracing::warn!(%from, "peer task busy, connection dropped");
                        }
                    }
                    None => tracing::info!(%from, "connection from an unconfigured address closed"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}
