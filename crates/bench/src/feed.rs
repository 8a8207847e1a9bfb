//! `rbgp-bench feed`: N eBGP sessions to the daemon under test, each
//! announcing its own slice of the generated table as fast as the daemon
//! reads, then End-of-RIB, then staying up on KEEPALIVEs.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};

use rbgp_wire::Ipv4Prefix;
use std::net::TcpStream;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _};

use crate::gen::{encode_feed, prefixes, session_seed, Feed};
use crate::session::{
    establish_all, keepalives_with, notification_text, unix_ns, Session, NOTIFICATION,
    ROUTE_REFRESH, UPDATE,
};

#[derive(clap::Args)]
pub struct FeedArgs {
    /// The daemon under test.
    #[arg(long, default_value = "10.99.0.1:179")]
    pub peer: SocketAddr,
    /// Local address of the first session; session i uses this + i.
    #[arg(long, default_value = "10.99.0.10")]
    pub local: Ipv4Addr,
    /// AS of the first session; session i uses this + i.
    #[arg(long, default_value_t = 65001)]
    pub asn: u32,
    /// Number of feeder sessions.
    #[arg(long, default_value_t = 1)]
    pub sessions: u32,
    /// Prefixes announced by each session (sessions never overlap).
    #[arg(long, default_value_t = 1_000_000)]
    pub prefixes: usize,
    /// Distinct attribute sets per prefix (0.15: 150k per 1M).
    #[arg(long, default_value_t = 0.15)]
    pub attr_ratio: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 180)]
    pub hold_time: u16,
    /// Give up if the sessions are not up after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub connect_timeout: u64,
    /// Announce a real table instead: one peer's IPv4 unicast routes of
    /// this MRT RIB dump (split over the sessions; --prefixes is ignored).
    #[arg(long)]
    pub mrt: Option<std::path::PathBuf>,
    /// With --mrt: this peer's routes (default: the peer with the most).
    #[arg(long)]
    pub mrt_peer: Option<std::net::IpAddr>,
    /// Count the IPv4 prefixes each session receives (announced minus
    /// withdrawn) and print a `received` event when a session holds this
    /// many (case e: every session receives everything).
    #[arg(long)]
    pub expect_each: Option<usize>,
}

/// Print one JSON line and flush: the harness reads these while we run.
pub(crate) fn emit(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Read what the daemon sends back (its table, KEEPALIVEs) so that its
/// writes never block, counting it when `expect` is set; stop the process
/// on NOTIFICATION or close, since a benchmark with a dropped session
/// means nothing. A ROUTE-REFRESH is answered with the whole feed again
/// (RFC 2918 §4), through `w`.
fn drain(
    i: u32,
    mut s: Session,
    local: Ipv4Addr,
    expect: Option<usize>,
    (w, feed): (Arc<Mutex<TcpStream>>, Arc<Vec<u8>>),
) {
    let fail = move |what: String| -> ! {
        eprintln!("rbgp-bench feed: {local}: {what}");
        std::process::exit(1);
    };
    s.frames.shrink(64 << 10);
    let mut held: i64 = 0;
    let mut reported = false;
    loop {
        match s.frames.fill(&mut s.stream) {
            Ok(true) => {}
            Ok(false) => fail("session closed by the peer".into()),
            Err(e) => fail(e.to_string()),
        }
        loop {
            match s.frames.next_message() {
                Ok(Some(m)) if m.get(18) == Some(&NOTIFICATION) => {
                    fail(format!("NOTIFICATION {}", notification_text(m)))
                }
                Ok(Some(m)) if expect.is_some() && m.get(18) == Some(&UPDATE) => {
                    let counted = crate::monitor::for_each_v4(m, &s.ctx, |_, announced| {
                        held += if announced { 1 } else { -1 };
                    });
                    if let Err(e) = counted {
                        fail(format!("bad UPDATE: {e:#}"));
                    }
                }
                Ok(Some(m)) if m.get(18) == Some(&ROUTE_REFRESH) => {
                    // From another thread: this one keeps reading, so the
                    // daemon's writes never block while ours wait.
                    let (w, feed) = (Arc::clone(&w), Arc::clone(&feed));
                    std::thread::spawn(move || {
                        let sent = w
                            .lock()
                            .map_err(|_| ())
                            .and_then(|mut w| w.write_all(&feed).map_err(|_| ()));
                        if sent.is_err() {
                            fail("answering a ROUTE-REFRESH".into());
                        }
                    });
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => fail(e.to_string()),
            }
        }
        if let Some(n) = expect {
            if !reported && held >= n as i64 {
                reported = true;
                emit(format!(
                    r#"{{"event":"received","session":{i},"prefixes":{held},"unix_ns":{}}}"#,
                    unix_ns()
                ));
            }
        }
    }
}

fn send(
    i: u32,
    local: Ipv4Addr,
    s: Session,
    feed: Feed,
    start: Arc<Barrier>,
    expect: Option<usize>,
) -> anyhow::Result<()> {
    let w = Arc::new(Mutex::new(s.stream.try_clone()?));
    let (peer_asn, hold_time) = (s.peer_asn, s.hold_time);
    let bytes = Arc::new(feed.bytes);
    let shared = (Arc::clone(&w), Arc::clone(&bytes));
    std::thread::spawn(move || drain(i, s, local, expect, shared));
    start.wait();
    let first = unix_ns();
    let t = Instant::now();
    w.lock()
        .map_err(|_| anyhow!("{local}: writer poisoned"))?
        .write_all(&bytes)
        .with_context(|| format!("{local}: sending"))?;
    let eor = unix_ns();
    emit(format!(
        r#"{{"event":"sent","session":{i},"local":"{local}","peer_asn":{peer_asn},"prefixes":{},"attr_sets":{},"updates":{},"bytes":{},"first_update_unix_ns":{first},"eor_unix_ns":{eor},"send_seconds":{:.3}}}"#,
        feed.prefixes,
        feed.attr_sets,
        feed.updates,
        bytes.len(),
        t.elapsed().as_secs_f64()
    ));
    keepalives_with(hold_time, |b| match w.lock() {
        Ok(mut w) => w.write_all(b),
        Err(_) => Err(std::io::Error::other("writer poisoned")),
    });
    Err(anyhow!("{local}: session lost while idle"))
}

/// Each session's share of the MRT dump's routes, encoded.
fn mrt_feeds(a: &FeedArgs, path: &std::path::Path) -> anyhow::Result<Vec<Feed>> {
    let routes = crate::mrt::routes(path, a.mrt_peer)?;
    let n = a.sessions.max(1) as usize;
    let per = routes.len().div_ceil(n);
    Ok((0..a.sessions)
        .map(|i| {
            let slice = routes
                .get(i as usize * per..((i as usize + 1) * per).min(routes.len()))
                .unwrap_or(&[]);
            crate::mrt::encode(slice, a.asn + i, local_of(a, i))
        })
        .collect())
}

pub(crate) fn local_of(a: &FeedArgs, i: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(a.local).wrapping_add(i))
}

/// Establish every feeder session (see [`establish_all`]: refused ones
/// are tried again, as a real peer would, and counted), with a
/// `connecting` and an `established` event.
pub(crate) fn connect_feeders(
    a: &FeedArgs,
    local: impl Fn(u32) -> Ipv4Addr + Sync,
    route_refresh: bool,
) -> anyhow::Result<Vec<Session>> {
    let deadline = Instant::now() + Duration::from_secs(a.connect_timeout);
    emit(format!(
        r#"{{"event":"connecting","sessions":{},"unix_ns":{}}}"#,
        a.sessions,
        unix_ns()
    ));
    let (sessions, retries) = establish_all(
        a.sessions,
        local,
        a.peer,
        a.asn,
        a.hold_time,
        deadline,
        route_refresh,
    )?;
    emit(format!(
        r#"{{"event":"established","sessions":{},"retries":{retries},"unix_ns":{}}}"#,
        a.sessions,
        unix_ns()
    ));
    Ok(sessions)
}

/// The generated table (`--prefixes` for each session, sessions never
/// overlap) and each session's share of it, encoded.
pub(crate) fn generated_feeds(
    a: &FeedArgs,
    local: impl Fn(u32) -> Ipv4Addr,
) -> (Vec<Ipv4Prefix>, Vec<Feed>) {
    let all = prefixes(a.prefixes * a.sessions as usize, a.seed);
    let feeds = (0..a.sessions)
        .map(|i| {
            let slice = all
                .get(i as usize * a.prefixes..(i as usize + 1) * a.prefixes)
                .unwrap_or(&[]);
            encode_feed(
                slice,
                a.asn + i,
                local(i),
                a.attr_ratio,
                session_seed(a.seed, i),
            )
        })
        .collect();
    (all, feeds)
}

pub fn run(a: &FeedArgs) -> anyhow::Result<()> {
    let t = Instant::now();
    let local = |i: u32| local_of(a, i);
    let feeds: Vec<Feed> = match &a.mrt {
        Some(path) => mrt_feeds(a, path)?,
        None => generated_feeds(a, local).1,
    };
    eprintln!(
        "rbgp-bench feed: {} sessions, {} prefixes encoded ({} UPDATEs, {} MB) in {:.2}s",
        a.sessions,
        feeds.iter().map(|f| f.prefixes).sum::<usize>(),
        feeds.iter().map(|f| f.updates).sum::<usize>(),
        feeds.iter().map(|f| f.bytes.len()).sum::<usize>() >> 20,
        t.elapsed().as_secs_f64()
    );
    // Establish every session first, then release them together so that
    // the daemon sees all feeders start at once.
    let sessions = connect_feeders(a, local, true)?;
    let expect = a.expect_each;
    let start = Arc::new(Barrier::new(sessions.len()));
    let handles: Vec<_> = sessions
        .into_iter()
        .zip(feeds)
        .zip(0u32..)
        .map(|((s, f), i)| {
            let start = Arc::clone(&start);
            let addr = local(i);
            std::thread::spawn(move || send(i, addr, s, f, start, expect))
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| anyhow!("sender thread panicked"))??;
    }
    Ok(())
}
