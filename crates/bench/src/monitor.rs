//! `rbgp-bench monitor`: one eBGP session that receives from the daemon
//! under test and counts the IPv4 unicast prefixes currently announced
//! (withdrawals decrement), until the expected count is reached; with
//! `--then`, it stays and waits for each further count in turn (case u:
//! the table shrinking as the DUT's RPKI data rejects routes).

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::bail;
use rbgp_wire::attr::code;
use rbgp_wire::view::{MpReachView, MpUnreachView, UpdateView};
use rbgp_wire::{AfiSafi, Context, Ipv4Prefix, Nlri, Prefix};

use crate::prefix_set::PrefixSet;
use crate::session::{
    cpu_seconds, establish, keepalives, notification_text, unix_ns, NOTIFICATION, UPDATE,
};

#[derive(clap::Args)]
pub struct MonitorArgs {
    /// The daemon under test.
    #[arg(long, default_value = "10.99.0.1:179")]
    pub peer: SocketAddr,
    #[arg(long, default_value = "10.99.0.2")]
    pub local: Ipv4Addr,
    #[arg(long, default_value_t = crate::config::MONITOR_ASN)]
    pub asn: u32,
    /// Stop when this many prefixes are announced.
    #[arg(long)]
    pub expect: usize,
    /// After `expect`, wait for the count to be exactly each of these in
    /// turn (a `reached` event with the time for each).
    #[arg(long, value_delimiter = ',')]
    pub then: Vec<usize>,
    /// Give up (and report what arrived) after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
    /// Give up when the count has not moved for this many seconds after
    /// the first UPDATE (a stuck daemon should not cost the whole timeout).
    #[arg(long, default_value_t = 120)]
    pub stall: u64,
    #[arg(long, default_value_t = 180)]
    pub hold_time: u16,
    #[arg(long, default_value_t = 60)]
    pub connect_timeout: u64,
}

#[derive(Default)]
struct Counts {
    updates: u64,
    announced: u64,
    withdrawn: u64,
}

/// Apply one UPDATE (classic fields and IPv4 unicast MP attributes).
/// True if it announced something.
fn apply(msg: &[u8], ctx: &Context, set: &mut PrefixSet, c: &mut Counts) -> anyhow::Result<bool> {
    c.updates += 1;
    let before = c.announced;
    for_each_v4(msg, ctx, |p, announced| {
        if announced {
            c.announced += 1;
            set.insert(u32::from(p.addr()), p.len());
        } else {
            c.withdrawn += 1;
            set.remove(u32::from(p.addr()), p.len());
        }
    })?;
    Ok(c.announced > before)
}

/// Call `f(prefix, announced)` for each IPv4 unicast prefix an UPDATE
/// withdraws (false) or announces (true), in the classic fields and the
/// MP attributes, withdrawals first as RFC 4271 §9 applies them.
pub(crate) fn for_each_v4(
    msg: &[u8],
    ctx: &Context,
    mut f: impl FnMut(Ipv4Prefix, bool),
) -> anyhow::Result<()> {
    let v = UpdateView::from_message(msg, ctx)?;
    for w in v.withdrawn() {
        f(w?.1, false);
    }
    for a in v.attributes() {
        let a = a?;
        if a.code == code::MP_REACH_NLRI {
            let mp = MpReachView::new(a.value, ctx)?;
            if mp.family == AfiSafi::IPV4_UNICAST {
                for n in mp.nlri() {
                    if let Nlri::Prefix(Prefix::V4(p)) = n?.nlri {
                        f(p, true);
                    }
                }
            }
        } else if a.code == code::MP_UNREACH_NLRI {
            let mp = MpUnreachView::new(a.value, ctx)?;
            if mp.family == AfiSafi::IPV4_UNICAST {
                for n in mp.withdrawn() {
                    if let Nlri::Prefix(Prefix::V4(p)) = n?.nlri {
                        f(p, false);
                    }
                }
            }
        }
    }
    for n in v.nlri() {
        f(n?.1, true);
    }
    Ok(())
}

pub fn run(a: &MonitorArgs) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(a.connect_timeout);
    let mut s = establish(a.local, a.peer, a.asn, a.hold_time, deadline, false)?;
    println!(r#"{{"event":"established","peer_asn":{}}}"#, s.peer_asn);
    std::io::stdout().flush()?;
    let ka = s.stream.try_clone()?;
    let hold = s.hold_time;
    std::thread::spawn(move || keepalives(ka, hold));
    let mut set = PrefixSet::new();
    let mut c = Counts::default();
    let mut first: Option<(u128, Instant)> = None;
    let start = Instant::now();
    let mut progress = Instant::now();
    let end = start + Duration::from_secs(a.timeout);
    let mut open = true;
    let (mut last_len, mut last_move) = (0, Instant::now());
    let stalled = |t: Instant, first: bool| first && t.elapsed() > Duration::from_secs(a.stall);
    // The targets after the first are exact counts, reached by
    // withdrawals as often as by announcements.
    let mut later = a.then.iter().copied();
    let mut target: Option<usize> = None;
    let mut complete = false;
    let reached = |n: usize, t: Option<usize>| match t {
        None => n >= a.expect,
        Some(t) => n == t,
    };
    loop {
        if reached(set.len(), target) {
            println!(
                r#"{{"event":"reached","prefixes":{},"unix_ns":{}}}"#,
                set.len(),
                unix_ns()
            );
            std::io::stdout().flush()?;
            match later.next() {
                Some(t) => target = Some(t),
                None => {
                    complete = true;
                    break;
                }
            }
            continue;
        }
        if !open
            || Instant::now() >= end
            || (target.is_none() && stalled(last_move, first.is_some()))
        {
            break;
        }
        open = s.frames.fill(&mut s.stream)?;
        while let Some(m) = s.frames.next_message()? {
            match m.get(18).copied() {
                Some(UPDATE) => {
                    let announced = apply(m, &s.ctx, &mut set, &mut c)?;
                    if announced && first.is_none() {
                        first = Some((unix_ns(), Instant::now()));
                    }
                }
                Some(NOTIFICATION) => {
                    bail!("NOTIFICATION from the daemon: {}", notification_text(m))
                }
                _ => {}
            }
        }
        if set.len() != last_len {
            (last_len, last_move) = (set.len(), Instant::now());
        }
        if progress.elapsed() >= Duration::from_secs(5) {
            progress = Instant::now();
            eprintln!(
                "rbgp-bench monitor: {} prefixes after {:.0}s",
                set.len(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    let done = unix_ns();
    let stalled = set.len() < a.expect && stalled(last_move, first.is_some());
    let (first_ns, secs) = first.map_or((0, 0.0), |(ns, t)| (ns, t.elapsed().as_secs_f64()));
    let rate = if secs > 0.0 {
        set.len() as f64 / secs
    } else {
        0.0
    };
    println!(
        r#"{{"event":"result","complete":{},"prefixes":{},"expected":{},"first_update_unix_ns":{first_ns},"done_unix_ns":{done},"seconds":{secs:.3},"prefixes_per_s":{rate:.0},"updates":{},"announced":{},"withdrawn":{},"session_open":{open},"stalled":{stalled},"cpu_seconds":{:.2}}}"#,
        complete,
        set.len(),
        a.expect,
        c.updates,
        c.announced,
        c.withdrawn,
        cpu_seconds()
    );
    Ok(())
}
