//! RTR caches (RFC 8210 §10): the most preferred cache that answers is
//! used, the others stay standby. A cache's first End of Data replaces the
//! RIB's data as a whole (so switching caches keeps the old data until the
//! new cache has sent all of its own); later ones are applied as deltas.
//! A connection that fails or a cache that sends garbage (answered with the
//! Error Report the session chose) costs the Retry Interval; data a cache
//! no longer refreshes expires after its Expire Interval (RFC 8210 §6) and
//! validation falls back to not-found/unknown. While a standby serves, the
//! more preferred caches are tried every Retry Interval; one that accepts
//! a connection is switched back to (RFC 8210 §10). A cache may be reached
//! over TLS (RFC 6810 §7.2).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rbgp_config::RtrCache;
use rbgp_rpki::{Delta, Event, Session, SessionConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_rustls::rustls;

use super::Rtr;
use crate::tasks::RpkiData;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A cache that takes longer than this to accept a query is given up.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Before any cache has told us its Retry Interval (a router often starts
/// before its cache; RFC 8210's 600 s default would leave it without data
/// for ten minutes).
const FIRST_RETRY: Duration = Duration::from_secs(10);

/// The session's clock is tokio's: one clock for its timers and the
/// sleeps that wait for them (and a paused clock in tests moves both).
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// How a connection ended.
enum Ended {
    /// Version negotiation: connect again at once (RFC 8210 §7).
    Reconnect,
    /// The connection was up and is gone (closed, or ended by an error).
    Closed,
    /// No connection could be made: the next cache is tried.
    Unreachable,
    /// A more preferred cache accepts connections again.
    Preferred,
    /// The RIB task is gone.
    Stop,
}

/// Which cache's data the RIB holds.
#[derive(Default)]
struct Held {
    active: Option<usize>,
}

/// A connection to a cache: TCP, or TLS over it.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// How to reach one cache over TLS.
struct Tls {
    connector: tokio_rustls::TlsConnector,
    name: rustls::pki_types::ServerName<'static>,
}

/// The TLS settings of a cache (`None`: plain TCP), or why they cannot be
/// used (the CA file...).
fn tls(c: &RtrCache) -> Result<Option<Tls>, String> {
    if !c.tls {
        return Ok(None);
    }
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, ServerName};
    let Some(ca) = &c.tls_ca else {
        return Err("tls_ca missing".into());
    };
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("tls_ca {}: {e}", ca.display()))?;
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| format!("tls_ca {}: {e}", ca.display()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = match &c.tls_server_name {
        Some(n) => {
            ServerName::try_from(n.clone()).map_err(|e| format!("tls_server_name {n:?}: {e}"))?
        }
        None => ServerName::IpAddress(c.address.into()),
    };
    Ok(Some(Tls {
        connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        name,
    }))
}

/// Connect to a cache, with TLS when configured.
async fn connect(addr: SocketAddr, tls: Option<&Tls>) -> Result<Box<dyn Stream>, String> {
    let tcp = match timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err("connect timed out".into()),
    };
    let Some(t) = tls else {
        return Ok(Box::new(tcp));
    };
    match timeout(CONNECT_TIMEOUT, t.connector.connect(t.name.clone(), tcp)).await {
        Ok(Ok(s)) => Ok(Box::new(s)),
        Ok(Err(e)) => Err(format!("TLS: {e}")),
        Err(_) => Err("TLS handshake timed out".into()),
    }
}

/// How often more preferred caches are tried: the serving cache's Retry
/// Interval (what it last told us).
fn probe_every(s: &Session) -> Duration {
    Duration::from_secs(u64::from(s.timers().retry).clamp(1, 3600))
}

/// A read shorter than this is followed by a pause of [`GATHER`].
const SMALL_READ: usize = 16 * 1024;
const GATHER: Duration = Duration::from_millis(1);

/// How long a probe of a more preferred cache may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether any of the more preferred caches accepts a connection: TCP,
/// and for a TLS cache the handshake too (a cache whose certificate fails
/// is not worth leaving a working one for).
async fn preferred_answers(better: &[(SocketAddr, Option<&Tls>)]) -> Option<SocketAddr> {
    for &(a, tls) in better {
        if let Ok(Ok(_)) = timeout(PROBE_TIMEOUT, connect(a, tls)).await {
            return Some(a);
        }
    }
    None
}

pub async fn run(caches: &[RtrCache], rtr: &Rtr) {
    let mut order: Vec<usize> = (0..caches.len()).collect();
    // Lower preference first; equal ones in file order (a stable sort).
    order.sort_by_key(|&i| caches.get(i).map_or(u8::MAX, |c| c.preference));
    let mut sessions: Vec<Session> = caches
        .iter()
        .map(|c| {
            Session::new(SessionConfig {
                max_version: c.max_version,
                ..SessionConfig::default()
            })
        })
        .collect();
    let setups: Vec<Result<Option<Tls>, String>> = caches.iter().map(tls).collect();
    let addrs: Vec<SocketAddr> = caches
        .iter()
        .map(|c| SocketAddr::new(c.address, c.port))
        .collect();
    let mut held = Held::default();
    loop {
        let mut again = false;
        for (pos, &i) in order.iter().enumerate() {
            let (Some(&addr), Some(s), Some(tls)) =
                (addrs.get(i), sessions.get_mut(i), setups.get(i))
            else {
                continue;
            };
            let tls = match tls {
                Ok(t) => t.as_ref(),
                Err(e) => {
                    rtr.error(format!("RTR cache {addr}: {e}"));
                    continue;
                }
            };
            // Strictly more preferred caches that can be used at all (a
            // broken TLS setup is not worth leaving a working cache for).
            let mine = caches.get(i).map_or(u8::MAX, |c| c.preference);
            let better: Vec<(SocketAddr, Option<&Tls>)> = order
                .get(..pos)
                .unwrap_or_default()
                .iter()
                .filter(|&&j| caches.get(j).is_some_and(|c| c.preference < mine))
                .filter_map(|&j| match (addrs.get(j), setups.get(j)) {
                    (Some(&a), Some(Ok(t))) => Some((a, t.as_ref())),
                    _ => None,
                })
                .collect();
            let ended = loop {
                match connect(addr, tls).await {
                    Ok(stream) => {
                        tracing::info!(cache = %addr, version = s.version(), tls = tls.is_some(), "RTR cache connected");
                        rtr.status.send_modify(|st| st.connected = true);
                        match serve(i, addr, stream, s, &mut held, rtr, &better).await {
                            Ended::Reconnect => continue,
                            e => break e,
                        }
                    }
                    Err(e) => rtr.error(format!("RTR cache {addr}: {e}")),
                }
                break Ended::Unreachable;
            };
            rtr.status.send_modify(|st| st.connected = false);
            match ended {
                Ended::Stop => return,
                // A more preferred cache answers again: start over from
                // it at once, keeping this cache's data until it has sent
                // its own.
                Ended::Preferred => {
                    again = true;
                    break;
                }
                // Served until it closed: start again from the most
                // preferred cache (after the Retry Interval). A cache
                // that cannot be reached is passed over for the next one,
                // even when the RIB holds its data: that is when a standby
                // has to take over.
                Ended::Closed if held.active == Some(i) => break,
                _ => {}
            }
        }
        if again {
            continue;
        }
        // Nothing (more) to serve: wait the Retry Interval, watching the
        // held data's expiry meanwhile.
        let retry = held
            .active
            .and_then(|a| sessions.get(a))
            .map_or(FIRST_RETRY, |s| {
                Duration::from_secs(u64::from(s.timers().retry))
            });
        let until = Instant::now() + retry;
        while Instant::now() < until {
            if let Some(s) = held.active.and_then(|a| sessions.get_mut(a)) {
                if !expire(s, &mut held, rtr).await {
                    return;
                }
            }
            let next = held
                .active
                .and_then(|a| sessions.get(a))
                .and_then(|s| s.next_timeout())
                .map_or(until, |t| Instant::from_std(t).min(until));
            tokio::time::sleep_until(next.max(Instant::now() + Duration::from_millis(10))).await;
        }
    }
}

/// The held data (from session `s`) expired: tell the RIB. False when it
/// is gone.
async fn expire(s: &mut Session, held: &mut Held, rtr: &Rtr) -> bool {
    if !s.expired(now()) {
        return true;
    }
    tracing::warn!("RPKI data expired: no cache refreshed it within its Expire Interval; routes fall back to not-found/unknown");
    s.flush();
    held.active = None;
    rtr.status.send_modify(|st| {
        st.expired = true;
        st.vrps_v4 = 0;
        st.vrps_v6 = 0;
        st.aspas = 0;
    });
    rtr.send(RpkiData::Expired).await
}

/// One connection to cache `i`, until it ends; `better` are the more
/// preferred caches, probed every Retry Interval.
async fn serve(
    i: usize,
    addr: SocketAddr,
    stream: Box<dyn Stream>,
    s: &mut Session,
    held: &mut Held,
    rtr: &Rtr,
    better: &[(SocketAddr, Option<&Tls>)],
) -> Ended {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let first = s.connected(now());
    if !write(&mut wr, &first, addr, rtr).await {
        s.disconnected(now());
        return Ended::Closed;
    }
    let mut buf = vec![0u8; 65536];
    let mut probed = Instant::now();
    loop {
        let next = s.next_timeout().map(Instant::from_std);
        let tick = async {
            match next {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        let events = tokio::select! {
            r = rd.read(&mut buf) => {
                let n = match r {
                    Ok(0) => {
                        rtr.error(format!("RTR cache {addr}: connection closed"));
                        s.disconnected(now());
                        return Ended::Closed;
                    }
                    Ok(n) => {
                        if n < SMALL_READ {
                            // A cache streams a full set in pieces of a
                            // few PDUs: let them gather rather than pay a
                            // wakeup and a system call for each.
                            tokio::time::sleep(GATHER).await;
                        }
                        n
                    }
                    Err(e) => {
                        rtr.error(format!("RTR cache {addr}: {e}"));
                        s.disconnected(now());
                        return Ended::Closed;
                    }
                };
                match s.receive(buf.get(..n).unwrap_or(&[]), now()) {
                    Ok(events) => events,
                    Err(e) => {
                        // What came before the error still counts.
                        if let Some(end) = handle(i, addr, e.events.clone(), s, held, &mut wr, rtr).await {
                            return end;
                        }
                        rtr.error(format!("RTR cache {addr}: {}", e.reason));
                        if let Some(report) = &e.report {
                            let _ = write(&mut wr, report, addr, rtr).await;
                        }
                        if e.flush {
                            // RFC 8210 §5.1: corrupt data flushes what
                            // this cache told us.
                            s.flush();
                            if held.active == Some(i) {
                                held.active = None;
                                if !rtr.send(RpkiData::Expired).await {
                                    return Ended::Stop;
                                }
                            }
                        }
                        s.disconnected(now());
                        return Ended::Closed;
                    }
                }
            }
            () = tokio::time::sleep_until(probed + probe_every(s)), if !better.is_empty() => {
                if let Some(p) = preferred_answers(better).await {
                    tracing::info!(cache = %addr, preferred = %p, "RTR: a more preferred cache answers again; switching back to it");
                    s.disconnected(now());
                    return Ended::Preferred;
                }
                probed = Instant::now();
                continue;
            }
            () = tick => {
                let now = now();
                if held.active == Some(i) && !expire(s, held, rtr).await {
                    return Ended::Stop;
                }
                let q = s.poll(now);
                if !q.is_empty() && !write(&mut wr, &q, addr, rtr).await {
                    s.disconnected(now);
                    return Ended::Closed;
                }
                continue;
            }
        };
        if let Some(end) = handle(i, addr, events, s, held, &mut wr, rtr).await {
            return end;
        }
    }
}

/// Act on a session's events; `Some` when the connection is to end.
async fn handle(
    i: usize,
    addr: SocketAddr,
    events: Vec<Event>,
    s: &mut Session,
    held: &mut Held,
    wr: &mut (impl AsyncWrite + Unpin),
    rtr: &Rtr,
) -> Option<Ended> {
    for ev in events {
        match ev {
            Event::Update(delta) => {
                let reset = delta.reset || held.active != Some(i);
                let delta = if held.active == Some(i) {
                    delta
                } else {
                    // The RIB holds another cache's data (or none): this
                    // cache's whole set replaces it.
                    whole(s)
                };
                if !rtr.send(RpkiData::Delta(Box::new(delta))).await {
                    return Some(Ended::Stop);
                }
                held.active = Some(i);
                let (v4, v6) = s.data().vrp_counts();
                let aspas = s.data().aspa_count();
                tracing::info!(cache = %addr, version = s.version(), serial = ?s.serial(), vrps_v4 = v4, vrps_v6 = v6, aspas, reset, "RTR End of Data");
                rtr.status.send_modify(|st| {
                    st.source = addr.to_string();
                    st.version = Some(s.version());
                    st.serial = s.serial();
                    st.vrps_v4 = v4;
                    st.vrps_v6 = v6;
                    st.aspas = aspas;
                    st.updated = Some(SystemTime::now());
                    st.expired = false;
                    st.updates += 1;
                    if reset {
                        st.resets += 1;
                    }
                });
            }
            Event::Reconnect { version } => {
                tracing::info!(cache = %addr, version, "RTR: the cache refused the version; reconnecting with a lower one");
                s.disconnected(now());
                return Some(Ended::Reconnect);
            }
            Event::CacheReset => {
                tracing::info!(cache = %addr, "RTR Cache Reset: the cache cannot send the changes since our serial; asking for its whole set");
            }
            Event::Timers(t) => {
                tracing::debug!(cache = %addr, refresh = t.refresh, retry = t.retry, expire = t.expire, "RTR timers");
            }
            Event::Send(bytes) => {
                if !write(wr, &bytes, addr, rtr).await {
                    s.disconnected(now());
                    return Some(Ended::Closed);
                }
            }
        }
    }
    None
}

/// Everything the session holds, as a delta replacing the RIB's data.
fn whole(s: &Session) -> Delta {
    let data = s.data();
    Delta {
        reset: true,
        announced: data.vrps().collect(),
        aspas: data
            .aspas()
            .map(|(c, p)| rbgp_rpki::Aspa::new(c, p.to_vec()))
            .collect(),
        ..Delta::default()
    }
}

async fn write(
    wr: &mut (impl AsyncWrite + Unpin),
    bytes: &[u8],
    addr: SocketAddr,
    rtr: &Rtr,
) -> bool {
    match timeout(WRITE_TIMEOUT, wr.write_all(bytes)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            rtr.error(format!("RTR cache {addr}: {e}"));
            false
        }
        Err(_) => {
            rtr.error(format!("RTR cache {addr}: not reading our queries"));
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use rbgp_rpki::{Pdu, Timers};
    use tokio::net::TcpListener;
    use tokio::sync::{mpsc, watch};

    use super::*;
    use crate::rpki::RpkiStatus;
    use crate::tasks::RibMsg;

    /// Accept a connection on `l` that sends a query (probes that only
    /// connect are passed over) and answer it with a full set of one VRP
    /// (10.0.0.0/8 from `asn`), Retry Interval 1 s.
    async fn serve_once(l: &TcpListener, asn: u32) -> TcpStream {
        let mut q = [0u8; 8];
        let mut c = loop {
            let (mut c, _) = l.accept().await.unwrap();
            if c.read_exact(&mut q).await.is_ok() {
                break c;
            }
        };
        let mut out = Vec::new();
        for p in [
            Pdu::CacheResponse {
                version: 2,
                session_id: 1,
            },
            Pdu::Ipv4Prefix {
                version: 2,
                announce: true,
                prefix_len: 8,
                max_len: 8,
                addr: Ipv4Addr::new(10, 0, 0, 0),
                asn,
            },
            Pdu::EndOfData {
                version: 2,
                session_id: 1,
                serial: 1,
                timers: Some(Timers {
                    refresh: 3600,
                    retry: 1,
                    expire: 7200,
                }),
            },
        ] {
            p.encode(&mut out);
        }
        c.write_all(&out).await.unwrap();
        c
    }

    async fn next_delta(rx: &mut mpsc::Receiver<RibMsg>) -> rbgp_rpki::Delta {
        loop {
            let m = timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("data within 10 s")
                .expect("the task runs");
            if let RibMsg::Rpki(RpkiData::Delta(d)) = m {
                return *d;
            }
        }
    }

    /// RFC 8210 §10: the preferred cache served, then went away for good;
    /// the standby's data replaces it (a full set) after the Retry
    /// Interval, although the RIB holds the preferred cache's data.
    #[tokio::test]
    async fn standby_takes_over_from_a_preferred_cache_that_is_gone() {
        let preferred = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let standby = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cache = |l: &TcpListener, preference| RtrCache {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: l.local_addr().unwrap().port(),
            preference,
            max_version: 2,
            tls: false,
            tls_ca: None,
            tls_server_name: None,
        };
        let caches = vec![cache(&standby, 2), cache(&preferred, 1)];
        let (tx, mut rx) = mpsc::channel(16);
        let (status, status_rx) = watch::channel(RpkiStatus::default());
        let task = tokio::spawn(async move {
            let rtr = Rtr { rib: tx, status };
            run(&caches, &rtr).await;
        });
        let conn = serve_once(&preferred, 65001).await;
        let d = next_delta(&mut rx).await;
        assert!(d.reset);
        assert_eq!(d.announced.first().map(|v| v.asn), Some(65001));
        // The preferred cache dies: its connection and its listener.
        drop(conn);
        drop(preferred);
        let _standby_conn = timeout(Duration::from_secs(10), serve_once(&standby, 65002))
            .await
            .expect("a connection to the standby within 10 s");
        let d = next_delta(&mut rx).await;
        assert!(d.reset, "the standby's first End of Data replaces the data");
        assert_eq!(d.announced.first().map(|v| v.asn), Some(65002));
        let st = status_rx.borrow().clone();
        assert_eq!(st.source, standby.local_addr().unwrap().to_string());
        assert_eq!(st.resets, 2);
        assert!(st.errors >= 2, "the close and the refused connection");
        task.abort();
    }

    /// RFC 8210 §10: while the standby serves, the more preferred cache
    /// is tried every Retry Interval; once it answers, it is switched back
    /// to and its first End of Data replaces the standby's data.
    #[tokio::test]
    async fn back_to_the_preferred_cache_once_it_answers() {
        // The preferred cache's port, not listening yet.
        let pport = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let standby = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cache = |port, preference| RtrCache {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
            preference,
            max_version: 2,
            tls: false,
            tls_ca: None,
            tls_server_name: None,
        };
        let caches = vec![
            cache(pport, 1),
            cache(standby.local_addr().unwrap().port(), 2),
        ];
        let (tx, mut rx) = mpsc::channel(16);
        let (status, status_rx) = watch::channel(RpkiStatus::default());
        let task = tokio::spawn(async move {
            let rtr = Rtr { rib: tx, status };
            run(&caches, &rtr).await;
        });
        let _standby_conn = timeout(Duration::from_secs(20), serve_once(&standby, 65002))
            .await
            .expect("the standby connected to");
        let d = next_delta(&mut rx).await;
        assert_eq!(d.announced.first().map(|v| v.asn), Some(65002));
        // The preferred cache listens again: the next probe finds it.
        let preferred = TcpListener::bind(("127.0.0.1", pport)).await.unwrap();
        let _conn = timeout(Duration::from_secs(10), serve_once(&preferred, 65001))
            .await
            .expect("back on the preferred cache within 10 s");
        let d = next_delta(&mut rx).await;
        assert!(d.reset, "its first End of Data replaces the data");
        assert_eq!(d.announced.first().map(|v| v.asn), Some(65001));
        assert_eq!(status_rx.borrow().source, format!("127.0.0.1:{pport}"));
        task.abort();
    }
}
