//! One BMP station: connect (back-off 1 s doubling to 60 s), attach to
//! the RIB task, send Initiation, the state of each view, then changes and
//! Statistics Reports until the connection fails, the station falls
//! behind (reset and resync) or the station is removed (Termination).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rbgp_bmp::stats::Stat;
use rbgp_config::BmpCollector;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};

use super::encode::Encoder;
use super::BmpStatus;
use crate::tasks::{BmpSink, BmpViews, RibMsg, BMP_Q};

/// Write once this much is encoded.
const WRITE_AT: usize = 256 * 1024;

pub struct Station {
    pub collector: BmpCollector,
    pub sys_name: String,
    pub sys_descr: String,
    pub rib: mpsc::Sender<RibMsg>,
    pub status: watch::Sender<BmpStatus>,
}

/// How a connection ended.
enum Ended {
    /// The station was removed or the daemon stops.
    Stopped,
    /// The RIB task dropped the sink: too slow, resync.
    Overflow,
    Failed(String),
}

impl Station {
    fn update(&self, f: impl FnOnce(&mut super::StationStatus)) {
        let key = self.collector.key();
        self.status.send_modify(|s| {
            if let Some(st) = s.get_mut(&key) {
                f(st);
            }
        });
    }

    pub async fn run(self, mut stop: oneshot::Receiver<()>) {
        let to = SocketAddr::new(self.collector.address, self.collector.port);
        let mut backoff = Duration::from_secs(1);
        loop {
            let conn = tokio::select! {
                c = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(to)) => c,
                _ = &mut stop => return,
            };
            let stream = match conn {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    self.failed(format!("connect: {e}"));
                    if wait(&mut stop, &mut backoff).await {
                        return;
                    }
                    continue;
                }
                Err(_) => {
                    self.failed("connect: timed out".into());
                    if wait(&mut stop, &mut backoff).await {
                        return;
                    }
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            tracing::info!(station = %to, "BMP station connected");
            self.update(|s| {
                s.connected = true;
                s.connects += 1;
            });
            let started = tokio::time::Instant::now();
            let ended = self.serve(stream, &mut stop).await;
            self.update(|s| s.connected = false);
            match ended {
                Ended::Stopped => return,
                Ended::Overflow => {
                    tracing::warn!(station = %to, "BMP station fell behind: connection reset, state sent again");
                    self.update(|s| s.overflows += 1);
                    backoff = Duration::from_secs(1);
                }
                Ended::Failed(e) => {
                    self.failed(e);
                    if started.elapsed() > Duration::from_secs(60) {
                        backoff = Duration::from_secs(1);
                    }
                    if wait(&mut stop, &mut backoff).await {
                        return;
                    }
                }
            }
        }
    }

    fn failed(&self, e: String) {
        tracing::warn!(station = %self.collector.key(), error = %e, "BMP station");
        self.update(|s| {
            s.errors += 1;
            s.last_error = Some(e);
        });
    }

    /// One connection.
    async fn serve(&self, mut stream: TcpStream, stop: &mut oneshot::Receiver<()>) -> Ended {
        let views = BmpViews::of(&self.collector.views);
        let (tx, mut rx) = mpsc::channel(BMP_Q);
        let queued = Arc::new(AtomicUsize::new(0));
        let sink = BmpSink {
            views,
            tx,
            queued: Arc::clone(&queued),
            limit: self.collector.buffer as usize,
        };
        let (reply, snap) = oneshot::channel();
        if self
            .rib
            .send(RibMsg::BmpAttach { sink, reply })
            .await
            .is_err()
        {
            return Ended::Stopped;
        }
        let Ok(snap) = snap.await else {
            return Ended::Stopped;
        };
        let Some(local) = snap.local.clone() else {
            return Ended::Stopped;
        };
        let mut enc = Encoder::new(local);
        let mut out = Vec::with_capacity(WRITE_AT * 2);
        let mut w = Writer {
            stream: &mut stream,
            station: self,
        };
        let sys = (self.sys_name.as_str(), self.sys_descr.as_str());
        let mut replay = enc.begin(sys, views, snap, &mut out);
        while replay.next(&enc, &mut out) {
            if let Err(e) = w.flush_at(&mut out, WRITE_AT).await {
                return e;
            }
        }
        if let Err(e) = w.flush_at(&mut out, 0).await {
            return e;
        }
        let interval = u64::from(self.collector.statistics_interval);
        let mut stats = tokio::time::interval(Duration::from_secs(interval.max(1)));
        stats.tick().await;
        let mut buf = [0u8; 4096];
        loop {
            tokio::select! {
                batch = rx.recv() => {
                    let Some(batch) = batch else {
                        return Ended::Overflow;
                    };
                    queued.fetch_sub(weight(&batch), Ordering::Relaxed);
                    for ev in batch {
                        enc.event(ev, &mut out);
                        if let Err(e) = w.flush_at(&mut out, WRITE_AT).await {
                            return e;
                        }
                    }
                    // Whatever else waits goes in the same write.
                    while let Ok(batch) = rx.try_recv() {
                        queued.fetch_sub(weight(&batch), Ordering::Relaxed);
                        for ev in batch {
                            enc.event(ev, &mut out);
                        }
                        if let Err(e) = w.flush_at(&mut out, WRITE_AT).await {
                            return e;
                        }
                    }
                    if let Err(e) = w.flush_at(&mut out, 0).await {
                        return e;
                    }
                }
                _ = stats.tick(), if interval > 0 => {
                    self.statistics(&enc, &mut out).await;
                    if views.loc_rib {
                        self.loc_rib_statistics(&enc, &mut out).await;
                    }
                    if let Err(e) = w.flush_at(&mut out, 0).await {
                        return e;
                    }
                }
                r = w.stream.read(&mut buf) => match r {
                    // RFC 7854 §3.3: a station sends nothing; what it
                    // sends is ignored, but its close is noticed.
                    Ok(0) => return Ended::Failed("closed by the station".into()),
                    Ok(_) => {}
                    Err(e) => return Ended::Failed(format!("read: {e}")),
                },
                _ = &mut *stop => {
                    Encoder::termination(&mut out);
                    let _ = w.flush_at(&mut out, 0).await;
                    let _ = w.stream.shutdown().await;
                    return Ended::Stopped;
                }
            }
        }
    }

    /// The Loc-RIB instance's routes (RFC 9069 §6: types 8 and 10).
    async fn loc_rib_statistics(&self, enc: &Encoder, out: &mut Vec<u8>) {
        let (reply, rx) = oneshot::channel();
        if self.rib.send(RibMsg::Sizes { reply }).await.is_err() {
            return;
        }
        let Ok(sizes) = rx.await else {
            return;
        };
        let total = sizes.families.iter().map(|f| f.1).sum();
        let mut stats = vec![Stat::gauge(8, total)];
        for (f, routes, _) in sizes.families {
            stats.push(Stat::per_afi_safi(10, f, routes));
        }
        enc.loc_rib_stats(stats, out);
    }

    /// Statistics Reports for every peer up (RFC 7854 §4.8, RFC 8671 §5).
    async fn statistics(&self, enc: &Encoder, out: &mut Vec<u8>) {
        let (reply, rx) = oneshot::channel();
        if self.rib.send(RibMsg::Counts { reply }).await.is_err() {
            return;
        }
        let Ok(counts) = rx.await else {
            return;
        };
        let (reply, rx) = oneshot::channel();
        if self
            .rib
            .send(RibMsg::ImportCounters { reply })
            .await
            .is_err()
        {
            return;
        }
        let Ok(import) = rx.await else {
            return;
        };
        let wants_offered = BmpViews::of(&self.collector.views).out_pre;
        let addrs: Vec<_> = enc.peers().copied().collect();
        for addr in addrs {
            let Some(fams) = counts.get(&addr) else {
                continue;
            };
            let sum = |g: fn(&crate::control::FamilyCounts) -> u64| fams.iter().map(g).sum::<u64>();
            let (received, accepted) = (sum(|f| f.received), sum(|f| f.accepted));
            // 0: prefixes rejected by inbound policy (those held now);
            // 7, 8: routes in Adj-RIB-In and Loc-RIB; 15: Adj-RIB-Out
            // post-policy, 14: pre-policy where it is kept (RFC 8671).
            let rejected = u32::try_from(received.saturating_sub(accepted)).unwrap_or(u32::MAX);
            let mut stats = vec![
                Stat::counter(0, rejected),
                Stat::gauge(7, received),
                Stat::gauge(8, accepted),
                Stat::gauge(15, sum(|f| f.advertised)),
            ];
            // Sent to the stations that asked for the view.
            let offered = wants_offered && fams.iter().any(|f| f.offered.is_some());
            if offered {
                stats.push(Stat::gauge(14, sum(|f| f.offered.unwrap_or(0))));
            }
            // 1, 2: duplicate advertisements and withdrawals; 11, 12:
            // UPDATEs and prefixes treated as withdraw (RFC 7606).
            if let Some(c) = import.get(&addr) {
                let n = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
                stats.push(Stat::counter(1, n(c.duplicate_prefixes)));
                stats.push(Stat::counter(2, n(c.duplicate_withdraws)));
                stats.push(Stat::counter(11, n(c.treat_as_withdraw_updates)));
                stats.push(Stat::counter(12, n(c.treat_as_withdraw_prefixes)));
            }
            // 9, 10, 17 (16): the same per AFI/SAFI.
            for f in fams {
                stats.push(Stat::per_afi_safi(9, f.family, f.received));
                stats.push(Stat::per_afi_safi(10, f.family, f.accepted));
                stats.push(Stat::per_afi_safi(17, f.family, f.advertised));
                if let Some(n) = f.offered.filter(|_| offered) {
                    stats.push(Stat::per_afi_safi(16, f.family, n));
                }
            }
            enc.stats(addr, stats, out);
        }
    }
}

/// Writes to the station, counting messages.
struct Writer<'a> {
    stream: &'a mut TcpStream,
    station: &'a Station,
}

impl Writer<'_> {
    /// Write `out` once it holds at least `at` bytes.
    async fn flush_at(&mut self, out: &mut Vec<u8>, at: usize) -> Result<(), Ended> {
        if out.is_empty() || out.len() < at {
            return Ok(());
        }
        let n = count_messages(out);
        if let Err(e) = self.stream.write_all(out).await {
            return Err(Ended::Failed(format!("write: {e}")));
        }
        out.clear();
        self.station.update(|s| s.messages += n);
        Ok(())
    }
}

fn weight(batch: &[crate::tasks::BmpEvent]) -> usize {
    batch.iter().map(crate::tasks::BmpEvent::weight).sum()
}

/// BMP messages in an encoded run (each starts with version and length).
fn count_messages(mut b: &[u8]) -> u64 {
    let mut n = 0;
    while let Some(len) = b.get(1..5) {
        let len = len.try_into().map_or(0, u32::from_be_bytes) as usize;
        n += 1;
        b = b.get(len.max(6)..).unwrap_or_default();
    }
    n
}

/// Sleep the back-off (doubled for next time, at most 60 s); true if the
/// station was stopped meanwhile.
async fn wait(stop: &mut oneshot::Receiver<()>, backoff: &mut Duration) -> bool {
    let d = *backoff;
    *backoff = (*backoff * 2).min(Duration::from_secs(60));
    tokio::select! {
        () = tokio::time::sleep(d) => false,
        _ = stop => true,
    }
}
