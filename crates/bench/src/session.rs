//! One BGP session as a plain blocking socket: connect from a chosen
//! local address, OPEN/KEEPALIVE handshake, message framing. The tool
//! speaks just enough BGP for a benchmark; `rbgp-wire` does the encoding.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use rbgp_wire::{AfiSafi, Capability, Context, Message, Open};
use socket2::{Domain, Socket, Type};

pub const UPDATE: u8 = 2;
pub const NOTIFICATION: u8 = 3;
pub const ROUTE_REFRESH: u8 = 5;

/// Nanoseconds since the Unix epoch: the clock every process of a run
/// shares, so a feeder's send time and the monitor's receive time compare.
pub fn unix_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// User + system CPU seconds of this process so far, from /proc (USER_HZ
/// is 100 on Linux): shows that the tool is not what limits a run.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

pub fn keepalive() -> Vec<u8> {
    Message::Keepalive.to_bytes(&Context::default())
}

/// Whole messages out of a byte stream, read in large chunks.
pub struct Frames {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Frames {
    pub fn new() -> Self {
        Frames {
            buf: vec![0; 1 << 20],
            start: 0,
            end: 0,
        }
    }

    /// Keep a smaller buffer from now on (what is buffered stays): a
    /// thousand sessions that only drain need not hold a MiB each.
    pub fn shrink(&mut self, cap: usize) {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        self.buf.truncate(cap.max(self.end));
        self.buf.shrink_to_fit();
    }

    /// Read once more from `r`. `Ok(false)` at end of stream; a read
    /// timeout is `Ok(true)` with nothing new.
    pub fn fill(&mut self, r: &mut impl Read) -> io::Result<bool> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let Some(room) = self.buf.get_mut(self.end..) else {
            return Ok(true);
        };
        match r.read(room) {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.end += n;
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    /// The next whole message (header included), if buffered.
    pub fn next_message(&mut self) -> anyhow::Result<Option<&[u8]>> {
        let have = self.buf.get(self.start..self.end).unwrap_or(&[]);
        let Some(len) = have.get(16..18) else {
            return Ok(None);
        };
        let len = usize::from(u16::from_be_bytes([
            len.first().copied().unwrap_or(0),
            len.get(1).copied().unwrap_or(0),
        ]));
        if len < 19 {
            bail!("peer sent a message of length {len}");
        }
        match have.get(..len) {
            Some(m) => {
                self.start += len;
                Ok(Some(m))
            }
            None => Ok(None),
        }
    }
}

/// An established session.
pub struct Session {
    pub stream: TcpStream,
    pub frames: Frames,
    pub ctx: Context,
    pub peer_asn: u32,
    /// The smaller of both hold times (RFC 4271 §4.2); 0 = no KEEPALIVEs.
    pub hold_time: u16,
}

fn connect(local: Ipv4Addr, peer: SocketAddr, deadline: Instant) -> anyhow::Result<TcpStream> {
    loop {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        s.bind(&SocketAddr::V4(SocketAddrV4::new(local, 0)).into())
            .with_context(|| format!("binding {local}"))?;
        match s.connect_timeout(&peer.into(), Duration::from_secs(2)) {
            Ok(()) => return Ok(s.into()),
            Err(e) if Instant::now() > deadline => {
                return Err(e).with_context(|| format!("connecting {local} -> {peer}"))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Connect from `local` to `peer` (retrying until `deadline`: the daemon
/// may still be starting) and exchange OPEN and KEEPALIVE.
pub fn establish(
    local: Ipv4Addr,
    peer: SocketAddr,
    asn: u32,
    hold_time: u16,
    deadline: Instant,
    route_refresh: bool,
) -> anyhow::Result<Session> {
    let mut stream = connect(local, peer, deadline)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let ctx = Context::default();
    let mut caps = vec![
        Capability::Multiprotocol(AfiSafi::IPV4_UNICAST),
        Capability::FourOctetAs(asn),
    ];
    // Only a session that answers ROUTE-REFRESH offers it (RFC 2918), as
    // every router does.
    if route_refresh {
        caps.push(Capability::RouteRefresh);
    }
    stream.write_all(&Message::Open(Open::new(asn, hold_time, local, caps)).to_bytes(&ctx))?;
    let mut frames = Frames::new();
    let mut peer_open: Option<Open> = None;
    loop {
        if Instant::now() > deadline {
            bail!("{local} -> {peer}: no OPEN/KEEPALIVE from the peer in time");
        }
        if !frames.fill(&mut stream)? {
            bail!("{local} -> {peer}: connection closed during OPEN exchange");
        }
        while let Some(m) = frames.next_message()? {
            match Message::decode(m, &ctx).map(|d| d.message) {
                Ok(Message::Open(o)) => {
                    stream.write_all(&keepalive())?;
                    peer_open = Some(o);
                }
                Ok(Message::Keepalive) => {
                    if let Some(o) = peer_open.take() {
                        if !o
                            .capabilities()
                            .any(|c| matches!(c, Capability::FourOctetAs(_)))
                        {
                            bail!("{peer} does not support 4-octet AS numbers");
                        }
                        return Ok(Session {
                            stream,
                            frames,
                            ctx,
                            peer_asn: o.asn(),
                            hold_time: hold_time.min(o.hold_time),
                        });
                    }
                }
                Ok(Message::Notification(n)) => bail!("{local} -> {peer}: NOTIFICATION {n}"),
                Ok(_) => {}
                Err(e) => bail!("{local} -> {peer}: bad message: {e}"),
            }
        }
    }
}

/// Establish sessions `0..n` at once (session i from `local(i)` with AS
/// `asn + i`). A session the daemon drops or refuses is tried again after
/// a second until `deadline`, as a real peer would; returns the sessions
/// and how many attempts were retried.
pub fn establish_all(
    n: u32,
    local: impl Fn(u32) -> Ipv4Addr + Sync,
    peer: SocketAddr,
    asn: u32,
    hold_time: u16,
    deadline: Instant,
    route_refresh: bool,
) -> anyhow::Result<(Vec<Session>, u64)> {
    let retries = std::sync::atomic::AtomicU64::new(0);
    let (retries, local) = (&retries, &local);
    let sessions = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                sc.spawn(move || loop {
                    match establish(local(i), peer, asn + i, hold_time, deadline, route_refresh) {
                        Ok(s) => return Ok(s),
                        Err(e) if Instant::now() + Duration::from_secs(1) < deadline => {
                            retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            eprintln!("rbgp-bench: session {i}: {e:#}; again in 1 s");
                            std::thread::sleep(Duration::from_secs(1));
                        }
                        Err(e) => return Err(e),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("connect thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<Session>>>()
    })?;
    Ok((sessions, retries.load(std::sync::atomic::Ordering::Relaxed)))
}

/// Describe a received NOTIFICATION message for an error.
pub fn notification_text(msg: &[u8]) -> String {
    match Message::decode(msg, &Context::default()).map(|d| d.message) {
        Ok(Message::Notification(n)) => n.to_string(),
        _ => format!("undecodable NOTIFICATION {msg:02x?}"),
    }
}

/// Send KEEPALIVEs every `hold_time / 3` until the socket fails.
pub fn keepalives(mut stream: TcpStream, hold_time: u16) {
    keepalives_with(hold_time, |b| stream.write_all(b));
}

/// KEEPALIVEs through `write` every third of the hold time until it fails.
pub fn keepalives_with(hold_time: u16, mut write: impl FnMut(&[u8]) -> std::io::Result<()>) {
    if hold_time == 0 {
        loop {
            std::thread::park();
        }
    }
    let every = Duration::from_secs(u64::from(hold_time / 3).max(1));
    let ka = keepalive();
    loop {
        std::thread::sleep(every);
        if write(&ka).is_err() {
            return;
        }
    }
}
