//! `rbgp-bench churn` (case f): N feeder sessions share a table that one
//! monitor session receives through the daemon under test. Once the
//! monitor holds it all, for a set time a share of the feeders flap
//! (close, reconnect, announce their share again) and prefixes move
//! between the stable feeders at a set rate (announced by the new owner,
//! then withdrawn by the old one). The monitor times each move, from the
//! new owner's announcement to its arrival with the new owner's AS in
//! the path, and the end gives p50/p99. Then the flapping stops, every
//! feeder is up again and the monitor must hold the whole table again:
//! the harness compares the daemon's memory with the start.

use std::io::Write as _;
use std::net::{Ipv4Addr, Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use rbgp_wire::attr::{code, AsPath, NextHop, Origin};
use rbgp_wire::update::{pack_announcements, pack_withdrawals};
use rbgp_wire::view::{AttrRef, UpdateView};
use rbgp_wire::{AfiSafi, AttrValue, Context, Ipv4Prefix, NlriEntry, PathAttribute, Prefix};
use rustc_hash::FxHashMap;

use crate::feed::{connect_feeders, emit, generated_feeds, local_of, FeedArgs};
use crate::gen::Feed;
use crate::prefix_set::PrefixSet;
use crate::rng::Rng;
use crate::session::{
    establish, keepalive, notification_text, unix_ns, Session, NOTIFICATION, UPDATE,
};

#[derive(clap::Args)]
pub struct ChurnArgs {
    /// The feeders (--prefixes is each one's share; --mrt is not used).
    #[command(flatten)]
    pub feed: FeedArgs,
    /// The monitor session's address and AS.
    #[arg(long, default_value = "10.99.0.2")]
    pub monitor: Ipv4Addr,
    #[arg(long, default_value_t = crate::config::MONITOR_ASN)]
    pub monitor_asn: u32,
    /// Seconds of churn.
    #[arg(long, default_value_t = 600)]
    pub seconds: u64,
    /// Share of the feeders that flap.
    #[arg(long, default_value_t = 0.1)]
    pub flap_share: f64,
    /// Seconds a flapping session stays up between flaps (each wait is
    /// drawn from half to one and a half times this).
    #[arg(long, default_value_t = 5.0)]
    pub flap_every: f64,
    /// Prefixes moved between stable feeders per second.
    #[arg(long, default_value_t = 1000)]
    pub moves_per_second: u32,
    /// Give up waiting for the first table (and for the table after the
    /// churn) after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
}

/// What the monitor thread shares with the rest.
#[derive(Default)]
struct Shared {
    /// Prefixes the monitor holds now.
    held: AtomicUsize,
    /// Moves not yet seen at the monitor: prefix -> (sent, new owner's AS).
    pending: Mutex<FxHashMap<(u32, u8), (Instant, u32)>>,
    /// Microseconds from a move's announcement to its arrival.
    latencies: Mutex<Vec<u64>>,
    flaps: AtomicU64,
    /// Reconnects the daemon refused (its back-off), retried after 1 s.
    flap_retries: AtomicU64,
    moves: AtomicU64,
    /// Flapping sessions up for good after the churn.
    flappers_done: AtomicUsize,
}

fn key(p: &Ipv4Prefix) -> (u32, u8) {
    (u32::from(p.addr()), p.len())
}

/// A fatal error on a session the run depends on: the result would mean
/// nothing, so stop the process.
fn fail(what: String) -> ! {
    eprintln!("rbgp-bench churn: {what}");
    std::process::exit(1);
}

/// The monitor: count what the daemon sends and time the pending moves.
fn monitor(mut s: Session, shared: Arc<Shared>) {
    let mut set = PrefixSet::new();
    let mut arrived: Vec<Ipv4Prefix> = Vec::new();
    loop {
        match s.frames.fill(&mut s.stream) {
            Ok(true) => {}
            Ok(false) => fail("monitor: session closed by the daemon".into()),
            Err(e) => fail(format!("monitor: {e}")),
        }
        loop {
            let m = match s.frames.next_message() {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => fail(format!("monitor: {e:#}")),
            };
            match m.get(18).copied() {
                Some(UPDATE) => {
                    arrived.clear();
                    let r = crate::monitor::for_each_v4(m, &s.ctx, |p, announced| {
                        if announced {
                            set.insert(u32::from(p.addr()), p.len());
                            arrived.push(p);
                        } else {
                            set.remove(u32::from(p.addr()), p.len());
                        }
                    });
                    if let Err(e) = r {
                        fail(format!("monitor: bad UPDATE: {e:#}"));
                    }
                    if !arrived.is_empty() {
                        timed(m, &s.ctx, &arrived, &shared);
                    }
                    shared.held.store(set.len(), Ordering::Relaxed);
                }
                Some(NOTIFICATION) => {
                    fail(format!("monitor: NOTIFICATION {}", notification_text(m)))
                }
                _ => {}
            }
        }
    }
}

/// The first two AS numbers of an UPDATE's AS_PATH (the daemon's own
/// first unless it is a transparent route server).
fn path_head(msg: &[u8], ctx: &Context) -> [u32; 2] {
    let mut head = [0; 2];
    let Ok(v) = UpdateView::from_message(msg, ctx) else {
        return head;
    };
    for a in v.attributes().flatten() {
        if a.code != code::AS_PATH {
            continue;
        }
        if let Ok(AttrRef::AsPath(p)) = a.parse(ctx) {
            for (slot, asn) in head.iter_mut().zip(p.asns()) {
                *slot = asn;
            }
        }
    }
    head
}

/// Record the latency of every pending move this UPDATE completes.
fn timed(msg: &[u8], ctx: &Context, arrived: &[Ipv4Prefix], shared: &Shared) {
    let Ok(mut pending) = shared.pending.lock() else {
        return;
    };
    if pending.is_empty() {
        return;
    }
    let head = path_head(msg, ctx);
    let now = Instant::now();
    let mut done = Vec::new();
    for p in arrived {
        if let Some((sent, owner)) = pending.get(&key(p)) {
            if head.contains(owner) {
                done.push(now.duration_since(*sent).as_micros() as u64);
                pending.remove(&key(p));
            }
        }
    }
    drop(pending);
    if let Ok(mut l) = shared.latencies.lock() {
        l.extend(done);
    }
}

/// Read what the daemon sends a feeder (KEEPALIVEs) so that its writes
/// never block. `closing` set: we closed the session ourselves.
fn drain(mut s: Session, local: Ipv4Addr, closing: Arc<AtomicBool>) {
    s.frames.shrink(16 << 10);
    loop {
        let open = s.frames.fill(&mut s.stream);
        if closing.load(Ordering::Relaxed) {
            return;
        }
        match open {
            Ok(true) => {}
            Ok(false) => fail(format!("{local}: session closed by the daemon")),
            Err(e) => fail(format!("{local}: {e}")),
        }
        while let Ok(Some(m)) = s.frames.next_message() {
            if m.get(18) == Some(&NOTIFICATION) {
                fail(format!("{local}: NOTIFICATION {}", notification_text(m)));
            }
        }
    }
}

/// Start reading a session in its own thread; returns its write side and
/// the flag that tells the reader we are the one closing it.
fn split(s: Session, local: Ipv4Addr) -> anyhow::Result<(TcpStream, Arc<AtomicBool>)> {
    let w = s.stream.try_clone()?;
    let closing = Arc::new(AtomicBool::new(false));
    let c = Arc::clone(&closing);
    std::thread::spawn(move || drain(s, local, c));
    Ok((w, closing))
}

/// One flapping feeder: up for a while, close, reconnect (the daemon may
/// hold it off for its back-off: retried every second), announce its
/// share again; after the churn it stays up on KEEPALIVEs.
#[allow(clippy::too_many_arguments)]
fn flapper(
    a: &ChurnArgs,
    i: u32,
    mut w: TcpStream,
    mut closing: Arc<AtomicBool>,
    feed: &Feed,
    stop: &AtomicBool,
    shared: &Shared,
    hold_time: u16,
) {
    let f = &a.feed;
    let local = local_of(f, i);
    let mut rng = Rng::new(f.seed ^ (u64::from(i) << 20) ^ 0xf1a9);
    let ka = keepalive();
    loop {
        let wait = Duration::from_secs_f64(a.flap_every * (0.5 + rng.unit()));
        let until = Instant::now() + wait;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        closing.store(true, Ordering::Relaxed);
        let _ = w.shutdown(Shutdown::Both);
        shared.flaps.fetch_add(1, Ordering::Relaxed);
        let s = loop {
            let deadline = Instant::now() + Duration::from_secs(10);
            match establish(local, f.peer, f.asn + i, hold_time, deadline, false) {
                Ok(s) => break s,
                Err(_) => {
                    shared.flap_retries.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        };
        (w, closing) = match split(s, local) {
            Ok(x) => x,
            Err(e) => fail(format!("{local}: {e}")),
        };
        if let Err(e) = w.write_all(&feed.bytes) {
            fail(format!("{local}: announcing again: {e}"));
        }
    }
    shared.flappers_done.fetch_add(1, Ordering::Relaxed);
    let every = Duration::from_secs(u64::from(hold_time / 3).max(1));
    loop {
        if hold_time == 0 {
            std::thread::park();
            continue;
        }
        std::thread::sleep(every);
        if w.write_all(&ka).is_err() {
            fail(format!("{local}: session lost after the churn"));
        }
    }
}

/// Prefixes moving between the stable feeders: announced by the new
/// owner (timed from here), withdrawn by the old one.
struct Mover<'a> {
    a: &'a ChurnArgs,
    /// The stable feeders' write sides, by session index.
    writers: &'a [Option<Mutex<TcpStream>>],
    stable: Vec<u32>,
    /// Movable prefixes (first owned by a stable feeder) and their owners.
    prefixes: Vec<Ipv4Prefix>,
    owners: Vec<u32>,
    rng: Rng,
    ctx: Context,
}

impl Mover<'_> {
    fn write(&self, i: u32, msgs: &[Vec<u8>]) {
        let Some(Some(w)) = self.writers.get(i as usize) else {
            return;
        };
        let Ok(mut w) = w.lock() else { return };
        for m in msgs {
            if let Err(e) = w.write_all(m) {
                fail(format!("{}: {e}", local_of(&self.a.feed, i)));
            }
        }
    }

    fn one(&mut self, shared: &Shared) {
        let n = self.prefixes.len() as u64;
        let j = self.rng.below(n) as usize;
        let (Some(p), Some(&from)) = (self.prefixes.get(j).copied(), self.owners.get(j)) else {
            return;
        };
        let to = loop {
            let k = self.rng.below(self.stable.len() as u64) as usize;
            match self.stable.get(k) {
                Some(&t) if t != from => break t,
                _ if self.stable.len() < 2 => return,
                _ => {}
            }
        };
        let f = &self.a.feed;
        let (asn, nh) = (f.asn + to, local_of(f, to));
        let attrs = [
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![asn, 64_496]))),
            PathAttribute::new(AttrValue::NextHop(nh)),
        ];
        let nlri = [NlriEntry::new(Prefix::V4(p).into())];
        let announce = pack_announcements(
            &attrs,
            AfiSafi::IPV4_UNICAST,
            &NextHop::Ipv4(nh),
            &nlri,
            &self.ctx,
        );
        let withdraw = pack_withdrawals(AfiSafi::IPV4_UNICAST, &nlri, &self.ctx);
        if let Ok(mut pending) = shared.pending.lock() {
            pending.insert(key(&p), (Instant::now(), asn));
        }
        self.write(to, &announce);
        self.write(from, &withdraw);
        if let Some(o) = self.owners.get_mut(j) {
            *o = to;
        }
        shared.moves.fetch_add(1, Ordering::Relaxed);
    }

    fn run(mut self, shared: &Shared, stop: &AtomicBool) {
        if self.prefixes.is_empty() || self.stable.len() < 2 {
            return;
        }
        let start = Instant::now();
        let mut done: u64 = 0;
        while !stop.load(Ordering::Relaxed) {
            // As many as the rate asks for by now, never a burst of more
            // than a second's worth after a stall.
            let due = (start.elapsed().as_secs_f64() * f64::from(self.a.moves_per_second)) as u64;
            let behind = due.saturating_sub(done);
            done += behind.saturating_sub(u64::from(self.a.moves_per_second));
            for _ in 0..behind.min(u64::from(self.a.moves_per_second)) {
                self.one(shared);
                done += 1;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Percentile `q` (0..=1) of sorted microseconds, in milliseconds.
fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied().unwrap_or(0) as f64 / 1000.0
}

/// Wait until the monitor holds `n` prefixes; false after `timeout`.
fn wait_held(shared: &Shared, n: usize, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    while shared.held.load(Ordering::Relaxed) < n {
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

pub fn run(a: &ChurnArgs) -> anyhow::Result<()> {
    let f = &a.feed;
    if f.mrt.is_some() || f.expect_each.is_some() {
        bail!("churn: --mrt and --expect-each are feed options");
    }
    if !(0.0..=1.0).contains(&a.flap_share) {
        bail!("--flap-share must be between 0 and 1");
    }
    let local = |i: u32| local_of(f, i);
    let (all, feeds) = generated_feeds(f, local);
    let total = all.len();
    // Every k-th feeder flaps.
    let every = if a.flap_share > 0.0 {
        (1.0 / a.flap_share).round().max(1.0) as u32
    } else {
        u32::MAX
    };
    let flaps = |i: u32| i.is_multiple_of(every);
    let deadline = Instant::now() + Duration::from_secs(f.connect_timeout);
    let shared = Arc::new(Shared::default());
    let m = establish(
        a.monitor,
        f.peer,
        a.monitor_asn,
        f.hold_time,
        deadline,
        false,
    )?;
    let mka = m.stream.try_clone()?;
    let mhold = m.hold_time;
    std::thread::spawn(move || crate::session::keepalives(mka, mhold));
    let sh = Arc::clone(&shared);
    std::thread::spawn(move || monitor(m, sh));
    let sessions = connect_feeders(f, local, false)?;
    let hold_time = sessions.iter().map(|s| s.hold_time).min().unwrap_or(0);
    // Every feeder sends its share at once, as in case e.
    let start = Arc::new(Barrier::new(sessions.len() + 1));
    let senders: Vec<_> = sessions
        .into_iter()
        .zip(&feeds)
        .zip(0u32..)
        .map(|((s, feed), i)| {
            let addr = local(i);
            let (mut w, closing) = split(s, addr)?;
            let bytes = feed.bytes.clone();
            let start = Arc::clone(&start);
            Ok(std::thread::spawn(move || {
                start.wait();
                w.write_all(&bytes)
                    .with_context(|| format!("{addr}: sending"))
                    .map(|()| (w, closing))
            }))
        })
        .collect::<anyhow::Result<_>>()?;
    start.wait();
    let first = unix_ns();
    let mut writers: Vec<(TcpStream, Arc<AtomicBool>)> = Vec::new();
    for h in senders {
        writers.push(h.join().map_err(|_| anyhow!("sender panicked"))??);
    }
    if !wait_held(&shared, total, Duration::from_secs(a.timeout)) {
        bail!(
            "the monitor holds {} of {total} prefixes after {} s",
            shared.held.load(Ordering::Relaxed),
            a.timeout
        );
    }
    emit(format!(
        r#"{{"event":"converged","prefixes":{total},"first_update_unix_ns":{first},"unix_ns":{}}}"#,
        unix_ns()
    ));

    // The churn.
    let stop = AtomicBool::new(false);
    let mut stable_writers: Vec<Option<Mutex<TcpStream>>> = Vec::new();
    let mut flapping = Vec::new();
    for (i, (w, closing)) in (0u32..).zip(writers) {
        if flaps(i) {
            stable_writers.push(None);
            flapping.push((i, w, closing));
        } else {
            stable_writers.push(Some(Mutex::new(w)));
        }
    }
    let stable: Vec<u32> = (0..f.sessions).filter(|i| !flaps(*i)).collect();
    let (mut prefixes, mut owners) = (Vec::new(), Vec::new());
    for &i in &stable {
        let share = all
            .get(i as usize * f.prefixes..(i as usize + 1) * f.prefixes)
            .unwrap_or(&[]);
        prefixes.extend_from_slice(share);
        owners.extend(std::iter::repeat_n(i, share.len()));
    }
    let n_flapping = flapping.len();
    let churn_start = Instant::now();
    emit(format!(
        r#"{{"event":"churn_start","flapping":{n_flapping},"stable":{},"unix_ns":{}}}"#,
        stable.len(),
        unix_ns()
    ));
    std::thread::scope(|sc| -> anyhow::Result<()> {
        let (stop, shared, writers) = (&stop, &*shared, &stable_writers);
        for (i, w, closing) in flapping {
            let feed = feeds
                .get(i as usize)
                .ok_or_else(|| anyhow!("no feed for session {i}"))?;
            sc.spawn(move || flapper(a, i, w, closing, feed, stop, shared, hold_time));
        }
        // KEEPALIVEs for the stable feeders (the movers write between).
        sc.spawn(move || {
            let every = Duration::from_secs(u64::from(hold_time / 3).max(1));
            let ka = keepalive();
            let mut last = Instant::now();
            loop {
                std::thread::sleep(Duration::from_millis(200));
                if hold_time == 0 || last.elapsed() < every {
                    continue;
                }
                last = Instant::now();
                for (i, w) in (0u32..).zip(writers) {
                    let Some(Ok(mut w)) = w.as_ref().map(|w| w.lock()) else {
                        continue;
                    };
                    if let Err(e) = w.write_all(&ka) {
                        fail(format!("{}: {e}", local(i)));
                    }
                }
            }
        });
        let mover = Mover {
            a,
            writers,
            stable: stable.clone(),
            prefixes: std::mem::take(&mut prefixes),
            owners: std::mem::take(&mut owners),
            rng: Rng::new(f.seed ^ 0x6d6f_7665),
            ctx: Context::default(),
        };
        sc.spawn(move || mover.run(shared, stop));
        let end = churn_start + Duration::from_secs(a.seconds);
        let mut progress = Instant::now();
        while Instant::now() < end {
            std::thread::sleep(Duration::from_millis(200));
            if progress.elapsed() >= Duration::from_secs(10) {
                progress = Instant::now();
                eprintln!(
                    "rbgp-bench churn: {:.0} s: monitor holds {}, {} flaps, {} moves, {} timed",
                    churn_start.elapsed().as_secs_f64(),
                    shared.held.load(Ordering::Relaxed),
                    shared.flaps.load(Ordering::Relaxed),
                    shared.moves.load(Ordering::Relaxed),
                    shared.latencies.lock().map_or(0, |l| l.len()),
                );
            }
        }
        stop.store(true, Ordering::Relaxed);
        let ended = Instant::now();
        emit(format!(
            r#"{{"event":"churn_end","flaps":{},"flap_retries":{},"moves":{},"unix_ns":{}}}"#,
            shared.flaps.load(Ordering::Relaxed),
            shared.flap_retries.load(Ordering::Relaxed),
            shared.moves.load(Ordering::Relaxed),
            unix_ns()
        ));
        // Every flapping feeder up with its share again, then the whole
        // table at the monitor.
        let wait = Duration::from_secs(a.timeout);
        while shared.flappers_done.load(Ordering::Relaxed) < n_flapping {
            if ended.elapsed() > wait {
                fail("flapping sessions not back up after the churn".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !wait_held(shared, total, wait.saturating_sub(ended.elapsed())) {
            fail(format!(
                "after the churn the monitor holds {} of {total} prefixes",
                shared.held.load(Ordering::Relaxed)
            ));
        }
        let unmatched = shared.pending.lock().map_or(0, |p| p.len());
        let mut l = shared
            .latencies
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        l.sort_unstable();
        emit(format!(
            r#"{{"event":"settled","prefixes":{total},"seconds":{:.2},"moves_timed":{},"moves_unmatched":{unmatched},"p50_ms":{:.2},"p90_ms":{:.2},"p99_ms":{:.2},"max_ms":{:.2},"unix_ns":{}}}"#,
            ended.elapsed().as_secs_f64(),
            l.len(),
            percentile(&l, 0.5),
            percentile(&l, 0.9),
            percentile(&l, 0.99),
            percentile(&l, 1.0),
            unix_ns()
        ));
        // Stay up (the threads above keep the sessions alive) until the
        // harness has read the daemon's memory and stops us.
        loop {
            std::thread::park();
        }
    })
}
