//! Transport security on rbgpd's sockets, per neighbor: TCP MD5
//! signatures (RFC 2385) and GTSM (RFC 5082), through `rbgp-sockopt`.
//!
//! MD5 keys live on the listening sockets (Linux signs the SYN-ACK and
//! hands the key to the accepted socket), so they are set before the
//! sockets listen and whenever neighbors come and go; outgoing sockets get
//! theirs before `connect`. TTLs follow the neighbor: GTSM, multihop, or
//! one hop for eBGP.

use std::io;
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::sync::Arc;

use anyhow::Context as _;
use rbgp_config::{Config, Neighbor, NeighborConfig};
use rbgp_sockopt::{set_md5_key, set_md5_key_prefix, set_min_ttl, set_ttl};
use rbgp_wire::Prefix;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// RFC 5082 §3: GTSM peers send with the highest TTL...
const GTSM_TTL: u8 = 255;
/// ...and accept only 255 minus the one hop they trust.
const GTSM_MIN_TTL: u8 = 254;
const BACKLOG: u32 = 1024;

/// What a neighbor asks of its sockets.
pub struct Security {
    key: Option<String>,
    ttl: Option<u8>,
    gtsm: bool,
}

impl Security {
    pub fn of(n: &Neighbor, local_asn: u32) -> Self {
        // eBGP peers are one hop away unless configured otherwise.
        let ttl = if n.ttl_security {
            Some(GTSM_TTL)
        } else {
            n.multihop.or((n.remote_asn != local_asn).then_some(1))
        };
        Security {
            key: n.md5_password.clone(),
            ttl,
            gtsm: n.ttl_security,
        }
    }

    /// Before connecting, so that the SYN is signed and sent with the TTL.
    pub fn outgoing(&self, s: &TcpSocket, peer: IpAddr) -> io::Result<()> {
        if let Some(k) = &self.key {
            set_md5_key(s, peer, k.as_bytes())?;
        }
        self.ttls(s)
    }

    /// On an accepted connection (its key came from the listener).
    fn accepted(&self, s: &TcpStream) -> io::Result<()> {
        self.ttls(s)
    }

    fn ttls(&self, s: &impl AsFd) -> io::Result<()> {
        if let Some(t) = self.ttl {
            set_ttl(s, t)?;
        }
        if self.gtsm {
            set_min_ttl(s, GTSM_MIN_TTL)?;
        }
        Ok(())
    }
}

/// Apply `n`'s TTLs to a connection accepted from it; false (logged) when
/// that failed and the connection must not be used: a GTSM session
/// without its TTL check is not one.
pub fn accepted(s: &TcpStream, n: &Neighbor, local_asn: u32) -> bool {
    match Security::of(n, local_asn).accepted(s) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(peer = %n.address, error = %e, "cannot set TTLs on the connection, closed");
            false
        }
    }
}

/// The listening sockets, kept by the supervisor to key them as neighbors
/// are added and removed; the accept tasks share them.
#[derive(Default)]
pub struct Listeners {
    sockets: Vec<Arc<TcpListener>>,
    /// Dynamic-neighbor ranges keyed now, to unkey those a reload drops.
    ranges: Vec<Prefix>,
}

impl Listeners {
    /// Bind each `[global] listen` address and key it for every configured
    /// neighbor and range before it listens: no connection from a neighbor
    /// with a password can be accepted unsigned, even at start.
    pub fn bind(config: &Config) -> anyhow::Result<Listeners> {
        let mut bound = Vec::new();
        for addr in &config.global.listen {
            let s = if addr.is_ipv4() {
                TcpSocket::new_v4()
            } else {
                TcpSocket::new_v6()
            };
            let s = s
                .and_then(|s| {
                    s.set_reuseaddr(true)?;
                    s.bind(*addr)?;
                    // GTSM peers drop a SYN-ACK below their minimum TTL.
                    set_ttl(&s, GTSM_TTL)?;
                    Ok(s)
                })
                .with_context(|| format!("listening on {addr}"))?;
            bound.push(s);
        }
        for n in config.neighbors().unwrap_or_default() {
            key_all(&bound, n.address, None, n.md5_password.as_deref());
        }
        let ranges = range_keys(config);
        for (p, k) in &ranges {
            key_all(&bound, p.addr(), Some(p.len()), Some(k));
        }
        let mut sockets = Vec::new();
        for (s, addr) in bound.into_iter().zip(&config.global.listen) {
            let l = s
                .listen(BACKLOG)
                .with_context(|| format!("listening on {addr}"))?;
            tracing::info!(%addr, "listening");
            sockets.push(Arc::new(l));
        }
        Ok(Listeners {
            sockets,
            ranges: ranges.into_iter().map(|(p, _)| p).collect(),
        })
    }

    pub fn sockets(&self) -> impl Iterator<Item = Arc<TcpListener>> + '_ {
        self.sockets.iter().cloned()
    }

    /// Set the MD5 key for `peer` on every listener that can reach it, or
    /// remove it (`None`), before its task runs or after it is gone.
    pub fn key(&self, peer: IpAddr, password: Option<&str>) {
        key_all(&self.sockets, peer, None, password);
    }

    /// Key the dynamic-neighbor ranges of `config` (new keys first, then
    /// the ranges it no longer has are unkeyed).
    pub fn key_ranges(&mut self, config: &Config) {
        let wanted = range_keys(config);
        for (p, k) in &wanted {
            key_all(&self.sockets, p.addr(), Some(p.len()), Some(k));
        }
        for p in &self.ranges {
            if !wanted.iter().any(|(w, _)| w == p) {
                key_all(&self.sockets, p.addr(), Some(p.len()), None);
            }
        }
        self.ranges = wanted.into_iter().map(|(p, _)| p).collect();
    }
}

/// The dynamic-neighbor ranges whose peer group has an MD5 password.
fn range_keys(config: &Config) -> Vec<(Prefix, String)> {
    config
        .dynamic_neighbors
        .iter()
        .filter_map(|d| {
            let nc = NeighborConfig::in_group(d.prefix.addr(), &d.peer_group);
            let key = config.resolve(&nc).ok()?.md5_password?;
            Some((d.prefix, key))
        })
        .collect()
}

/// Set (or remove) one key on each socket of a family that can reach
/// `peer`: IPv4 peers also on IPv6 sockets (dual-stack, v4-mapped).
fn key_all<S: AsFd>(socks: &[S], peer: IpAddr, len: Option<u8>, password: Option<&str>) {
    let key = password.unwrap_or_default().as_bytes();
    for s in socks {
        let r = match len {
            Some(len) => set_md5_key_prefix(s, peer, len, key),
            None => set_md5_key(s, peer, key),
        };
        match r {
            // An IPv6 peer cannot reach an IPv4 socket: nothing to key.
            Err(e) if peer.is_ipv6() && e.kind() == io::ErrorKind::InvalidInput => {}
            Err(e) => {
                tracing::error!(%peer, error = %e, "cannot set the TCP MD5 key on a listener")
            }
            Ok(()) => {}
        }
    }
}
