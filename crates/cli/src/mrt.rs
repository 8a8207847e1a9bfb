//! `rbgp mrt`: route elements of MRT files (RFC 6396) as bgpdump-style,
//! JSON or pipe-separated lines, with filters.

use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use rbgp_mrt::bgpdump::{Formatter, Note};
use rbgp_mrt::elem::ElemDecoder;
use rbgp_mrt::elem_text::{ElemFilter, ElemFormat, ElemView, ElemWriter, KeepAll};
use rbgp_mrt::{MrtError, RawRecord};
use rbgp_wire::elem::{Elem, ElemType};
use rbgp_wire::{attr::Community, Prefix};
use serde_json::{json, Map, Value};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Exactly what `bgpdump -m` prints (bgpdump 1.6.2), STATE lines included.
    Bgpdump,
    /// One JSON object per element.
    Json,
    /// Pipe-separated, one element per line (bgpkit-parser style).
    Psv,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ElemKind {
    /// Announcements (and RIB entries).
    A,
    /// Withdrawals.
    W,
}

#[derive(clap::Args)]
pub struct Args {
    /// MRT files: plain, gzip or bzip2 (recognised by content); "-" for
    /// stdin; a directory for every file under it (in name order). Printed
    /// in the order given.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Psv)]
    format: Format,
    /// Only this prefix (with --more-specific / --less-specific: and those
    /// inside it / containing it).
    #[arg(long)]
    prefix: Option<Prefix>,
    #[arg(long, requires = "prefix")]
    more_specific: bool,
    #[arg(long, requires = "prefix")]
    less_specific: bool,
    /// Only elements from this peer address (repeatable).
    #[arg(long)]
    peer_ip: Vec<IpAddr>,
    /// Only elements from this peer AS (repeatable).
    #[arg(long)]
    peer_asn: Vec<u32>,
    /// Only announcements whose AS path ends in this AS.
    #[arg(long)]
    origin_asn: Option<u32>,
    /// Only announcements (a) or withdrawals (w).
    #[arg(long = "type", value_enum)]
    elem_type: Option<ElemKind>,
    /// Records from this time on (Unix seconds or YYYY-MM-DDTHH:MM:SSZ).
    #[arg(long, value_parser = parse_time)]
    start: Option<f64>,
    /// Records up to this time (inclusive).
    #[arg(long, value_parser = parse_time)]
    end: Option<f64>,
    /// Only announcements whose AS path (text, space separated) matches
    /// this regular expression (\d, \w, \b and \s are ASCII classes).
    #[arg(long, value_parser = parse_as_path)]
    as_path: Option<regex::Regex>,
    /// Only announcements carrying this community (e.g. 65000:1, no-export).
    #[arg(long)]
    community: Option<Community>,
    /// Show progress on stderr even when it is not a terminal.
    #[arg(long)]
    progress: bool,
    /// Files read at once (default: one per core); a compressed file is
    /// also decompressed on a thread of its own. 1: everything on one thread.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// Unix seconds (fractions allowed) or an RFC 3339 UTC time.
fn parse_time(s: &str) -> Result<f64, String> {
    if let Ok(v) = s.parse::<f64>() {
        return Ok(v);
    }
    let bad = || format!("{s:?}: expected Unix seconds or YYYY-MM-DDTHH:MM:SSZ");
    let t = s.trim_end_matches('Z');
    let (date, time) = t.split_once(['T', ' ']).unwrap_or((t, "00:00:00"));
    let d: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let tm: Vec<f64> = time
        .split(':')
        .map(|x| x.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let (&[y, m, dd], &[hh, mi, ss]) = (d.as_slice(), tm.as_slice()) else {
        return Err(bad());
    };
    // Days from the civil date (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(days as f64 * 86400.0 + hh * 3600.0 + mi * 60.0 + ss)
}

/// An AS path regular expression. AS paths are ASCII: `\d`, `\w`, `\b`
/// and `\s` mean their ASCII classes, which spares the binary the Unicode
/// tables (about 180 KiB of pointers relocated at every start).
fn parse_as_path(s: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(s)
        .unicode(false)
        .build()
        .map_err(|e| e.to_string())
}

struct Filters {
    prefix: Option<Prefix>,
    more: bool,
    less: bool,
    peer_ip: Vec<IpAddr>,
    peer_asn: Vec<u32>,
    origin_asn: Option<u32>,
    kind: Option<ElemKind>,
    as_path: Option<regex::Regex>,
    community: Option<Community>,
}

impl Filters {
    fn any_elem_filter(&self) -> bool {
        self.prefix.is_some()
            || !self.peer_ip.is_empty()
            || !self.peer_asn.is_empty()
            || self.origin_asn.is_some()
            || self.kind.is_some()
            || self.as_path.is_some()
            || self.community.is_some()
    }

    fn prefix_ok(&self, p: Option<Prefix>) -> bool {
        let Some(want) = self.prefix else { return true };
        let Some(p) = p else { return false };
        p == want || (self.more && want.contains(&p)) || (self.less && p.contains(&want))
    }

    /// The filters on a typed element: as on what the element writer sees
    /// (see the `ElemFilter` impl below).
    fn elem_ok(&self, e: &Elem) -> bool {
        let path = self
            .as_path
            .as_ref()
            .and(e.as_path.as_ref())
            .map(|p| p.to_string());
        self.keep(&ElemView::of(e, path.as_deref()))
    }

    /// The same filters on a `bgpdump -m` line (its fields are what the
    /// filters look at: type, peer, peer AS, prefix, path, communities).
    fn line_ok(&self, line: &[u8]) -> bool {
        let Ok(line) = std::str::from_utf8(line) else {
            return true;
        };
        let f: Vec<&str> = line.split('|').collect();
        let get = |i: usize| f.get(i).copied().unwrap_or("");
        let kind = get(2);
        if kind == "STATE" {
            // Session events carry no route: only peer filters apply.
            return !(self.prefix.is_some()
                || self.origin_asn.is_some()
                || self.kind.is_some()
                || self.as_path.is_some()
                || self.community.is_some())
                && (self.peer_ip.is_empty()
                    || get(3).parse().is_ok_and(|ip| self.peer_ip.contains(&ip)))
                && (self.peer_asn.is_empty()
                    || get(4).parse().is_ok_and(|a| self.peer_asn.contains(&a)));
        }
        let announce = kind == "A" || kind == "B";
        match self.kind {
            Some(ElemKind::A) if !announce => return false,
            Some(ElemKind::W) if announce => return false,
            _ => {}
        }
        if !self.peer_ip.is_empty() && !get(3).parse().is_ok_and(|ip| self.peer_ip.contains(&ip)) {
            return false;
        }
        if !self.peer_asn.is_empty() && !get(4).parse().is_ok_and(|a| self.peer_asn.contains(&a)) {
            return false;
        }
        if !self.prefix_ok(get(5).parse().ok()) {
            return false;
        }
        // ADD-PATH formats put the path id before the AS path.
        let ap = if get(0).ends_with("_AP") { 1 } else { 0 };
        let path = get(6 + ap);
        if let Some(o) = self.origin_asn {
            let last = path.split([' ', '{', '}', ',']).rfind(|s| !s.is_empty());
            if !announce || last.and_then(|s| s.parse::<u32>().ok()) != Some(o) {
                return false;
            }
        }
        if let Some(re) = &self.as_path {
            if !announce || !re.is_match(path) {
                return false;
            }
        }
        if let Some(c) = self.community {
            let want = c.to_string();
            let want = match want.as_str() {
                // bgpdump's names for the well-known communities.
                "no-export-subconfed" => "local-AS".to_string(),
                _ => want,
            };
            if !announce || !get(11 + ap).split(' ').any(|x| x == want) {
                return false;
            }
        }
        true
    }
}

/// The element filters, on what the element writer sees of an element
/// (or a typed element).
impl ElemFilter for Filters {
    fn keep(&self, e: &ElemView<'_>) -> bool {
        if let Some(k) = self.kind {
            if e.announce != (k == ElemKind::A) {
                return false;
            }
        }
        if !self.peer_ip.is_empty() && !self.peer_ip.contains(&e.peer_ip) {
            return false;
        }
        if !self.peer_asn.is_empty() && !self.peer_asn.contains(&e.peer_asn) {
            return false;
        }
        if let Some(o) = self.origin_asn {
            if e.origin_asn != Some(o) {
                return false;
            }
        }
        if let Some(re) = &self.as_path {
            if !e.announce || !re.is_match(e.as_path.unwrap_or("")) {
                return false;
            }
        }
        if let Some(c) = self.community {
            if !e.has_community(c.0) {
                return false;
            }
        }
        self.prefix_ok(e.prefix)
    }
}

struct Progress {
    enabled: bool,
    start: Instant,
    last: Instant,
    records: u64,
    bytes: u64,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        let now = Instant::now();
        Progress {
            enabled,
            start: now,
            last: now,
            records: 0,
            bytes: 0,
        }
    }

    /// Count `records` more records of `bytes` octets (headers included).
    fn add(&mut self, records: u64, bytes: u64) {
        self.records += records;
        self.bytes += bytes;
        if self.enabled && self.last.elapsed() > Duration::from_millis(500) {
            self.last = Instant::now();
            self.show(false);
        }
    }

    fn show(&self, done: bool) {
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r{} records, {:.1} MB, {:.0} records/s{}",
            self.records,
            self.bytes as f64 / 1e6,
            self.records as f64 / secs,
            if done { "\n" } else { "   " }
        );
    }
}

/// Warnings go to stderr, the first few in full, then only counted.
struct Warn {
    shown: usize,
    total: usize,
}

impl Warn {
    /// `msg` starts with the file name.
    fn say(&mut self, msg: &str) {
        self.total += 1;
        if self.shown < 20 {
            self.shown += 1;
            eprintln!("rbgp mrt: warning: {msg}");
        }
    }
}

/// Where a file's output, warnings and progress go: straight to stdout and
/// stderr (one file at a time), or to the thread that prints the files
/// in order.
trait Sink {
    /// Print `buf` (then emptied) and count `records` more records of
    /// `bytes` octets.
    fn emit(&mut self, buf: &mut Vec<u8>, records: u64, bytes: u64) -> Result<()>;
    fn warn(&mut self, msg: String);
}

/// The output of one file on its way to the printing thread.
enum Msg {
    Out(Vec<u8>, u64, u64),
    Warn(String),
    /// The file is done: whether it ended in an error.
    Done(Result<()>),
    /// It could not be opened: nothing after it is printed.
    OpenFailed(anyhow::Error),
}

/// Output is handed on in blocks of about this size.
const BLOCK: usize = 1 << 17;

struct Direct<'a, W: Write> {
    out: &'a mut W,
    progress: &'a mut Progress,
    warn: &'a mut Warn,
}

impl<W: Write> Sink for Direct<'_, W> {
    fn emit(&mut self, buf: &mut Vec<u8>, records: u64, bytes: u64) -> Result<()> {
        self.progress.add(records, bytes);
        self.out.write_all(buf)?;
        buf.clear();
        Ok(())
    }
    fn warn(&mut self, msg: String) {
        self.warn.say(&msg);
    }
}

/// A worker's end of one file's channel; emptied blocks come back
/// through `spare`.
struct Queued<'a> {
    tx: mpsc::SyncSender<Msg>,
    spare: &'a Mutex<Vec<Vec<u8>>>,
}

impl Sink for Queued<'_> {
    fn emit(&mut self, buf: &mut Vec<u8>, records: u64, bytes: u64) -> Result<()> {
        let next = self
            .spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_else(|| Vec::with_capacity(BLOCK + BLOCK / 2));
        let full = std::mem::replace(buf, next);
        self.tx
            .send(Msg::Out(full, records, bytes))
            .map_err(|_| anyhow::anyhow!("output closed"))
    }
    fn warn(&mut self, msg: String) {
        let _ = self.tx.send(Msg::Warn(msg));
    }
}

/// The files to read: directories replaced by the files under them (in
/// name order, hidden ones left out).
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading directory {}", dir.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<io::Result<_>>()
            .with_context(|| format!("reading directory {}", dir.display()))?;
        entries.sort();
        for p in entries {
            if p.file_name()
                .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."))
            {
                continue;
            }
            if p.is_dir() {
                walk(&p, out)?;
            } else {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() != "-" && p.is_dir() {
            let before = out.len();
            walk(p, &mut out)?;
            if out.len() == before {
                bail!("no files in directory {}", p.display());
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub fn run(args: Args) -> Result<bool> {
    let filters = Filters {
        prefix: args.prefix,
        more: args.more_specific,
        less: args.less_specific,
        peer_ip: args.peer_ip.clone(),
        peer_asn: args.peer_asn.clone(),
        origin_asn: args.origin_asn,
        kind: args.elem_type,
        as_path: args.as_path.clone(),
        community: args.community,
    };
    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        bail!("stdin (\"-\") can be read only once");
    }
    let files = expand(&args.files)?;
    let threads = match args.threads {
        Some(n) => n.max(1),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let stdout = io::stdout();
    // Whole lines are written in large blocks: a BufWriter would only
    // copy them once more.
    let mut out = stdout.lock();
    let mut progress = Progress::new(args.progress || io::stderr().is_terminal());
    let mut warn = Warn { shown: 0, total: 0 };
    let job = Job {
        args: &args,
        filters: &filters,
        threaded: threads > 1,
    };
    // Standard input is not read ahead: it may be a terminal, or wait on
    // a pipe that is never closed after a file before it fails.
    let stdin = files.iter().any(|f| f.as_os_str() == "-");
    let res = if threads > 1 && files.len() > 1 && !stdin {
        run_parallel(&job, &files, threads, &mut out, &mut progress, &mut warn)
    } else {
        run_serial(&job, &files, &mut out, &mut progress, &mut warn)
    };
    let ok = match res {
        Err(e) if is_broken_pipe(&e) => return Ok(true),
        r => r?,
    };
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(true),
        r => r?,
    }
    if progress.enabled {
        progress.show(true);
    }
    if warn.total > warn.shown {
        eprintln!(
            "rbgp mrt: {} more warnings not shown",
            warn.total - warn.shown
        );
    }
    Ok(ok)
}

/// What every file is read with.
struct Job<'a> {
    args: &'a Args,
    filters: &'a Filters,
    /// Decompress on a thread of its own.
    threaded: bool,
}

/// The files one after the other on this thread. Whether all ended well.
fn run_serial(
    job: &Job<'_>,
    files: &[PathBuf],
    out: &mut impl Write,
    progress: &mut Progress,
    warn: &mut Warn,
) -> Result<bool> {
    let mut ok = true;
    let mut state = FileState::new(job.args.format);
    for path in files {
        let name = path.display().to_string();
        let mut sink = Direct {
            out,
            progress,
            warn,
        };
        let reader = open(path, job.threaded).with_context(|| format!("opening {name}"))?;
        match read_file(job, &mut state, reader, &name, &mut sink) {
            Ok(()) => {}
            Err(e) if is_broken_pipe(&e) => return Err(e),
            Err(e) => {
                eprintln!("rbgp mrt: {name}: {e:#}");
                ok = false;
            }
        }
    }
    Ok(ok)
}

/// Up to `threads` files read at once, each on a thread of its own (and
/// compressed ones decompressed on another), printed here in the order
/// given. A file read ahead waits once its queue of output blocks is full,
/// so memory stays bounded whatever the file sizes.
fn run_parallel(
    job: &Job<'_>,
    files: &[PathBuf],
    threads: usize,
    out: &mut impl Write,
    progress: &mut Progress,
    warn: &mut Warn,
) -> Result<bool> {
    let (senders, receivers): (Vec<_>, Vec<_>) = files
        .iter()
        .map(|_| {
            let (tx, rx) = mpsc::sync_channel::<Msg>(4);
            (Mutex::new(Some(tx)), rx)
        })
        .collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let spare = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.min(files.len()) {
            s.spawn(|| {
                let mut state = FileState::new(job.args.format);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let (Some(path), Some(tx)) = (
                        files.get(i),
                        senders
                            .get(i)
                            .and_then(|t| t.lock().ok().and_then(|mut t| t.take())),
                    ) else {
                        return;
                    };
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let name = path.display().to_string();
                    let reader = match open(path, true) {
                        Ok(r) => r,
                        Err(e) => {
                            let e = anyhow::Error::new(e).context(format!("opening {name}"));
                            let _ = tx.send(Msg::OpenFailed(e));
                            continue;
                        }
                    };
                    let mut sink = Queued { tx, spare: &spare };
                    let r = read_file(job, &mut state, reader, &name, &mut sink);
                    let _ = sink.tx.send(Msg::Done(r));
                }
            });
        }
        let r = print_in_order(files, &receivers, &spare, out, progress, warn);
        // Done, or stopped early (a broken pipe, a file that would not
        // open): no worker takes another file, and with their queues
        // closed each stops at its next block.
        stop.store(true, Ordering::Relaxed);
        drop(receivers);
        r
    })
}

/// Print each file's blocks and warnings as they come, file after file.
fn print_in_order(
    files: &[PathBuf],
    receivers: &[mpsc::Receiver<Msg>],
    spare: &Mutex<Vec<Vec<u8>>>,
    out: &mut impl Write,
    progress: &mut Progress,
    warn: &mut Warn,
) -> Result<bool> {
    let mut ok = true;
    for (path, rx) in files.iter().zip(receivers) {
        for msg in rx.iter() {
            match msg {
                Msg::Out(mut b, records, bytes) => {
                    progress.add(records, bytes);
                    out.write_all(&b)?;
                    b.clear();
                    if let Ok(mut s) = spare.lock() {
                        if s.len() < 8 {
                            s.push(b);
                        }
                    }
                }
                Msg::Warn(m) => warn.say(&m),
                Msg::Done(Ok(())) => {}
                Msg::Done(Err(e)) => {
                    eprintln!("rbgp mrt: {}: {e:#}", path.display());
                    ok = false;
                }
                Msg::OpenFailed(e) => return Err(e),
            }
        }
    }
    Ok(ok)
}

fn open(path: &Path, threaded: bool) -> io::Result<rbgp_mrt::Reader<Box<dyn io::Read + Send>>> {
    if threaded {
        rbgp_mrt::io::open_threaded(path)
    } else {
        rbgp_mrt::io::open(path)
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn in_time(args: &Args, h: &rbgp_mrt::Header) -> bool {
    if args.start.is_none() && args.end.is_none() {
        return true;
    }
    let t = h.time();
    args.start.is_none_or(|s| t >= s) && args.end.is_none_or(|e| t <= e)
}

/// Handle the end of a file: a truncation is a warning after the last whole
/// record, anything else an error.
fn end_of_file(e: MrtError, name: &str, records: u64, sink: &mut dyn Sink) -> Result<()> {
    match e {
        MrtError::Truncated { .. } | MrtError::BadHeader { .. } => {
            sink.warn(format!(
                "{name}: {e}; stopped after {records} whole records"
            ));
            Ok(())
        }
        other => Err(other.into()),
    }
}

/// What a thread keeps from file to file: the formatters (their caches
/// stay warm; what belongs to a file is reset).
enum FileState {
    Bgpdump(Box<Formatter>),
    Elems(Box<ElemLines>),
}

impl FileState {
    fn new(format: Format) -> Self {
        match format {
            Format::Bgpdump => FileState::Bgpdump(Box::default()),
            Format::Json => FileState::Elems(Box::new(ElemLines::new(ElemFormat::Json))),
            Format::Psv => FileState::Elems(Box::new(ElemLines::new(ElemFormat::Psv))),
        }
    }
}

/// Read one file through `sink`.
fn read_file(
    job: &Job<'_>,
    state: &mut FileState,
    mut reader: rbgp_mrt::Reader<Box<dyn io::Read + Send>>,
    name: &str,
    sink: &mut dyn Sink,
) -> Result<()> {
    let args = job.args;
    let mut buf = Vec::with_capacity(BLOCK + BLOCK / 2);
    let (mut records, mut bytes) = (0u64, 0u64);
    match state {
        FileState::Bgpdump(f) => f.next_file(),
        FileState::Elems(e) => e.next_file(),
    }
    let line_filter = job.filters.any_elem_filter();
    loop {
        // Where the record starts (the reader's offset is lent with it).
        let start = reader.offset();
        // Records are lent from the reader's buffer: no copy per record.
        let (header, body) = match reader.next_ref() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                sink.emit(&mut buf, records, bytes)?;
                return end_of_file(e, name, reader.records(), sink);
            }
        };
        records += 1;
        bytes += body.len() as u64 + 12;
        if !in_time(args, &header) {
            continue;
        }
        let stopped = match state {
            FileState::Bgpdump(f) => {
                bgpdump_record(f, job.filters, line_filter, &header, body, &mut buf);
                for n in f.take_notes() {
                    // Known types bgpdump does not print (OSPF, IS-IS,
                    // BGP4MP_ENTRY, multicast and generic RIBs) are not
                    // worth a warning.
                    if matches!(n, Note::Unsupported { mrt_type, .. } if rbgp_mrt::record::is_known_type(mrt_type))
                    {
                        continue;
                    }
                    sink.warn(format!("{name}: record at offset {start}: {n}"));
                }
                f.stopped()
            }
            FileState::Elems(e) => {
                // The typed path's warnings name where the record ends.
                let hdr = if rbgp_mrt::Header::is_extended_type(header.mrt_type) {
                    16
                } else {
                    12
                };
                let end = start + hdr + body.len() as u64;
                let warn =
                    &mut |m: String| sink.warn(format!("{name}: record at offset {end}: {m}"));
                e.record(job.filters, line_filter, &header, body, &mut buf, warn)?;
                false
            }
        };
        if buf.len() >= BLOCK {
            sink.emit(&mut buf, records, bytes)?;
            (records, bytes) = (0, 0);
        }
        if stopped {
            break;
        }
    }
    sink.emit(&mut buf, records, bytes)
}

fn bgpdump_record(
    f: &mut Formatter,
    filters: &Filters,
    line_filter: bool,
    header: &rbgp_mrt::Header,
    body: &[u8],
    buf: &mut Vec<u8>,
) {
    if !line_filter {
        f.format(header, body, buf);
        return;
    }
    let start = buf.len();
    f.format(header, body, buf);
    let lines: Vec<u8> = buf.split_off(start);
    for l in lines.split_inclusive(|b| *b == b'\n') {
        if filters.line_ok(l.strip_suffix(b"\n").unwrap_or(l)) {
            buf.extend_from_slice(l);
        }
    }
}

/// PSV or JSON lines: written from the record bytes ([`ElemWriter`]) when
/// it can, else through the typed elements ([`ElemDecoder`]), which give
/// the same text (and the warnings).
struct ElemLines {
    format: ElemFormat,
    writer: ElemWriter,
    dec: ElemDecoder,
    rec: RawRecord,
    elems: Vec<Elem>,
    line: String,
}

impl ElemLines {
    fn new(format: ElemFormat) -> Self {
        ElemLines {
            format,
            writer: ElemWriter::new(format),
            dec: ElemDecoder::new(),
            rec: RawRecord::default(),
            elems: Vec::new(),
            line: String::new(),
        }
    }

    fn next_file(&mut self) {
        self.writer.next_file();
        self.dec = ElemDecoder::new();
    }

    /// The lines of one record's elements that `filters` keeps.
    fn record(
        &mut self,
        filters: &Filters,
        filtered: bool,
        header: &rbgp_mrt::Header,
        body: &[u8],
        out: &mut Vec<u8>,
        warn: &mut dyn FnMut(String),
    ) -> Result<()> {
        let fast = if filtered {
            self.writer.write(header, body, filters, out)
        } else {
            self.writer.write(header, body, &KeepAll, out)
        };
        if fast {
            return Ok(());
        }
        self.rec.header = *header;
        self.rec.body.clear();
        self.rec.body.extend_from_slice(body);
        self.typed(filters, out, warn)
    }

    /// The typed path: decode the record in `self.rec`, then print each
    /// element `filters` keeps from its fields.
    fn typed(
        &mut self,
        filters: &Filters,
        out: &mut Vec<u8>,
        warn: &mut dyn FnMut(String),
    ) -> Result<()> {
        let typed = match self.rec.decode() {
            Ok(t) => t,
            Err(e) => {
                warn(e.to_string());
                return Ok(());
            }
        };
        self.elems.clear();
        self.dec.decode(&typed, &mut self.elems);
        for issue in self.dec.take_issues() {
            warn(format!("{issue:?}"));
        }
        for e in self.elems.iter().filter(|e| filters.elem_ok(e)) {
            let line = &mut self.line;
            line.clear();
            match self.format {
                ElemFormat::Json => line.push_str(&serde_json::to_string(&elem_json(e))?),
                ElemFormat::Psv => psv(e, line),
            }
            line.push('\n');
            out.extend_from_slice(line.as_bytes());
        }
        Ok(())
    }
}

fn elem_json(e: &Elem) -> Value {
    let mut m = Map::new();
    m.insert("timestamp".into(), json!(e.timestamp));
    m.insert(
        "type".into(),
        json!(match e.elem_type {
            ElemType::Announce => "announce",
            ElemType::Withdraw => "withdraw",
        }),
    );
    m.insert("peer_ip".into(), json!(e.peer_ip.to_string()));
    m.insert("peer_asn".into(), json!(e.peer_asn));
    m.insert("afi_safi".into(), json!(e.afi_safi.to_string()));
    m.insert("prefix".into(), json!(e.nlri.to_string()));
    if let Some(id) = e.path_id {
        m.insert("path_id".into(), json!(id));
    }
    if e.elem_type == ElemType::Announce {
        if let Some(nh) = e.next_hop {
            m.insert("next_hop".into(), json!(nh.to_string()));
        }
        if let Some(p) = &e.as_path {
            m.insert("as_path".into(), json!(p.to_string()));
        }
        if let Some(o) = e.origin_asn {
            m.insert("origin_asn".into(), json!(o));
        }
        if let Some(o) = e.origin {
            m.insert("origin".into(), json!(o.to_string()));
        }
        if let Some(v) = e.local_pref {
            m.insert("local_pref".into(), json!(v));
        }
        if let Some(v) = e.med {
            m.insert("med".into(), json!(v));
        }
        if !e.communities.is_empty() {
            m.insert(
                "communities".into(),
                json!(e
                    .communities
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()),
            );
        }
        if !e.large_communities.is_empty() {
            m.insert(
                "large_communities".into(),
                json!(e
                    .large_communities
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()),
            );
        }
        if !e.ext_communities.is_empty() {
            m.insert(
                "ext_communities".into(),
                json!(e
                    .ext_communities
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()),
            );
        }
        m.insert("atomic_aggregate".into(), json!(e.atomic_aggregate));
        if let Some(a) = e.aggregator {
            m.insert(
                "aggregator".into(),
                json!(format!("{} {}", a.asn, a.address)),
            );
        }
        if let Some(o) = e.otc {
            m.insert("otc".into(), json!(o));
        }
    }
    Value::Object(m)
}

/// `A|time|peer_ip|peer_asn|prefix|as_path|origin|next_hop|local_pref|med|communities|atomic|aggr_asn|aggr_ip`:
/// bgpkit-parser's element line (communities include large ones, atomic is
/// true/false, withdrawals leave the attribute fields empty).
fn psv(e: &Elem, s: &mut String) {
    use std::fmt::Write as _;
    let a = e.elem_type == ElemType::Announce;
    let opt = |v: Option<String>| {
        if a {
            v.unwrap_or_default()
        } else {
            String::new()
        }
    };
    let comms: Vec<String> = e
        .communities
        .iter()
        .map(|c| c.to_string())
        .chain(e.large_communities.iter().map(|c| c.to_string()))
        .collect();
    let _ = write!(
        s,
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        if a { "A" } else { "W" },
        e.timestamp,
        e.peer_ip,
        e.peer_asn,
        e.nlri,
        opt(e.as_path.as_ref().map(|p| p.to_string())),
        opt(e.origin.map(|o| o.to_string())),
        opt(e.next_hop.map(|n| n.to_string())),
        opt(e.local_pref.map(|v| v.to_string())),
        opt(e.med.map(|v| v.to_string())),
        if a { comms.join(" ") } else { String::new() },
        a && e.atomic_aggregate,
        opt(e.aggregator.map(|g| g.asn.to_string())),
        opt(e.aggregator.map(|g| g.address.to_string())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbgp_mrt::Header;
    use rbgp_testkit::data_dir;
    use rbgp_testkit::mrt_gen::{self, attr, prefix, Gen};

    #[test]
    fn times() {
        assert_eq!(parse_time("1470931200").unwrap(), 1_470_931_200.0);
        assert_eq!(parse_time("2016-08-11T16:00:00Z").unwrap(), 1_470_931_200.0);
        assert!(parse_time("yesterday").is_err());
    }

    fn no_filters() -> Filters {
        Filters {
            prefix: None,
            more: false,
            less: false,
            peer_ip: Vec::new(),
            peer_asn: Vec::new(),
            origin_asn: None,
            kind: None,
            as_path: None,
            community: None,
        }
    }

    /// Records written from their bytes and through the typed elements,
    /// side by side.
    struct Compare {
        fast: ElemWriter,
        typed: ElemLines,
        records: usize,
        handled: usize,
        lines: usize,
    }

    impl Compare {
        fn new(format: ElemFormat) -> Self {
            Compare {
                fast: ElemWriter::new(format),
                typed: ElemLines::new(format),
                records: 0,
                handled: 0,
                lines: 0,
            }
        }

        /// Where the writer takes a record it prints what the typed path
        /// prints, and the typed path has nothing to warn about.
        fn record(&mut self, f: &Filters, h: &Header, body: &[u8], what: &str) {
            let mut a = b"x".to_vec();
            let handled = if f.any_elem_filter() {
                self.fast.write(h, body, f, &mut a)
            } else {
                self.fast.write(h, body, &KeepAll, &mut a)
            };
            let mut b = b"x".to_vec();
            let mut warnings = Vec::new();
            self.typed.rec = RawRecord {
                header: *h,
                body: body.to_vec(),
            };
            self.typed
                .typed(f, &mut b, &mut |m| warnings.push(m))
                .unwrap();
            self.records += 1;
            if !handled {
                assert_eq!(a, b"x", "{what}: nothing written when not handled");
                return;
            }
            self.handled += 1;
            self.lines += b.iter().filter(|c| **c == b'\n').count();
            assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b),
                "{what}"
            );
            assert!(warnings.is_empty(), "{what}: {warnings:?}");
        }
    }

    /// Every MRT file of the shared data.
    fn mrt_files() -> Vec<PathBuf> {
        let d = data_dir();
        let mut v = Vec::new();
        for dir in [
            "bgpdump/test_data",
            "mrtparse/samples",
            "ryu/ryu/tests/packet_data/mrt",
            "bgpkit-parser/tests/fixtures/ripe",
        ] {
            v.extend(expand(&[d.join(dir)]).unwrap());
        }
        v.retain(|p| {
            let n = p.to_string_lossy();
            !n.ends_with(".conf") && !n.ends_with(".rst") && !n.ends_with(".md")
        });
        assert!(v.len() >= 30, "shared MRT files: {} found", v.len());
        v
    }

    fn for_records(p: &Path, mut each: impl FnMut(&Header, &[u8])) {
        let mut r = rbgp_mrt::open(p).unwrap();
        while let Ok(Some((h, body))) = r.next_ref() {
            each(&h, body);
        }
    }

    /// The lines written from the record bytes are those of the typed
    /// elements, on every record of every shared MRT file the writer
    /// takes; and it takes nearly all of the large files.
    #[test]
    fn written_lines_equal_typed_lines_on_the_shared_files() {
        let f = no_filters();
        for format in [ElemFormat::Psv, ElemFormat::Json] {
            let (mut records, mut handled) = (0, 0);
            for p in mrt_files() {
                let mut c = Compare::new(format);
                let name = p.display().to_string();
                for_records(&p, |h, body| c.record(&f, h, body, &name));
                let large = name.contains("updates.2016")
                    || name.contains("et-header")
                    || name.contains("bview.2002");
                if large {
                    assert!(
                        c.handled * 100 >= c.records * 99,
                        "{name} {format:?}: {} of {}",
                        c.handled,
                        c.records
                    );
                }
                (records, handled) = (records + c.records, handled + c.handled);
            }
            assert!(
                handled * 10 > records * 9,
                "{format:?}: {handled} of {records}"
            );
        }
    }

    // The byte generators' primitives are rbgp-testkit's; what is made
    // here is the cases the typed decoder reads its own way.

    /// Now and then one octet more or less than `n`.
    fn odd_len(g: &mut Gen, n: usize) -> usize {
        match g.below(40) {
            0 => n + 1,
            1 => n.saturating_sub(1),
            _ => n,
        }
    }

    /// An AS number's octets (2 or 4).
    fn asn(g: &mut Gen, four: bool) -> Vec<u8> {
        let v = g.asn(four).to_be_bytes();
        v.get(if four { 0 } else { 2 }..).unwrap().to_vec()
    }

    /// Prefixes of a family, host bits set at random, now and then too
    /// long or cut short.
    fn prefixes(g: &mut Gen, v6: bool, addpath: bool, n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        for _ in 0..n {
            if addpath {
                v.extend((g.below(5) as u32).to_be_bytes());
            }
            prefix(&mut v, g, if v6 { 128 } else { 32 }, 2);
        }
        if g.chance(2) {
            v.push(24);
        }
        v
    }

    /// An attribute, its flags wrong now and then.
    fn attr_odd(out: &mut Vec<u8>, g: &mut Gen, flags: u8, code: u8, value: &[u8]) {
        let flags = if g.chance(2) { flags ^ 0x40 } else { flags };
        attr(out, g, flags, code, value);
    }

    fn as_path(g: &mut Gen, four: bool) -> Vec<u8> {
        let mut v = Vec::new();
        for _ in 0..g.below(4) {
            let t = match g.below(20) {
                0 => 1,
                1 => 3,
                2 => 4,
                3 if g.chance(20) => 0,
                _ => 2,
            };
            let n = if g.chance(3) { 0 } else { 1 + g.below(8) as u8 };
            v.extend([t, n]);
            for _ in 0..n {
                v.extend(asn(g, four));
            }
        }
        if g.chance(3) {
            v.pop();
        }
        v
    }

    /// An attribute list, mostly of the usual kind, with the cases the
    /// typed decoder treats its own way mixed in.
    fn attributes(g: &mut Gen, four: bool, addpath: bool, rib: bool) -> Vec<u8> {
        let mut parts: Vec<(u8, u8, Vec<u8>)> = Vec::new();
        let w = if four { 4 } else { 2 };
        if g.chance(90) {
            let o = if g.chance(97) { g.below(3) as u8 } else { 3 };
            let n = odd_len(g, 1);
            parts.push((0x40, 1, vec![o; n]));
        }
        if g.chance(90) {
            parts.push((0x40, 2, as_path(g, four)));
        }
        if g.chance(70) {
            let n = odd_len(g, 4);
            parts.push((0x40, 3, g.bytes(n)));
        }
        for (code, flags) in [(4u8, 0x80u8), (5, 0x40)] {
            if g.chance(40) {
                let v = match g.below(4) {
                    0 => vec![0; 4],
                    1 => vec![0xff; 4],
                    _ => {
                        let n = odd_len(g, 4);
                        g.bytes(n)
                    }
                };
                parts.push((flags, code, v));
            }
        }
        if g.chance(15) {
            let n = odd_len(g, 0);
            parts.push((0x40, 6, vec![0; n]));
        }
        if g.chance(25) {
            let n = odd_len(g, w + 4);
            parts.push((0xc0, 7, g.bytes(n)));
        }
        if g.chance(50) {
            let mut c = Vec::new();
            let most = if g.chance(5) { 80 } else { 8 };
            for _ in 0..g.below(most) {
                match g.below(8) {
                    0 => c.extend([0xff, 0xff, 0xff, 1 + g.below(5) as u8]),
                    1 => c.extend([0xff, 0xff, 0, g.below(8) as u8]),
                    2 => c.extend([0xff, 0xff, 0x02, 0x9a]),
                    _ => c.extend(g.bytes(4)),
                }
            }
            if g.chance(3) {
                c.push(1);
            }
            parts.push((0xc0, 8, c));
        }
        if g.chance(15) {
            let n = 12 * g.below(4) as usize;
            let n = odd_len(g, n);
            parts.push((0xc0, 32, g.bytes(n)));
        }
        if g.chance(20) {
            // Transitive two-octet AS, IPv4 and opaque types, route
            // targets and origins, and odd ones.
            let mut e = Vec::new();
            for _ in 0..1 + g.below(3) {
                let t = [0x00u8, 0x01, 0x02, 0x03, 0x40, 0x80, 0x06, 0x43][g.below(8) as usize];
                e.push(t);
                e.extend(g.bytes(7));
            }
            let n = odd_len(g, e.len());
            e.resize(n, 0);
            parts.push((0xc0, 16, e));
        }
        if g.chance(10) {
            let n = odd_len(g, 4);
            parts.push((0xc0, 35, g.bytes(n)));
        }
        if g.chance(10) {
            let n = odd_len(g, 4);
            parts.push((0x80, 9, g.bytes(n)));
        }
        if g.chance(10) {
            let n = 4 * g.below(3) as usize;
            parts.push((0x80, 10, g.bytes(n)));
        }
        if g.chance(40) {
            parts.push((0x80, 14, mp_reach(g, addpath, rib)));
        }
        if g.chance(25) {
            let afi = [1u16, 2, 2, 3][g.below(4) as usize];
            let mut v = afi.to_be_bytes().to_vec();
            v.push([1u8, 1, 2, 4][g.below(4) as usize]);
            let n = g.below(4);
            v.extend(prefixes(g, afi == 2, addpath, n));
            parts.push((0x80, 15, v));
        }
        if g.chance(4) {
            parts.push((0xc0, 17, as_path(g, true)));
        }
        if g.chance(3) {
            parts.push((0xc0, 18, g.bytes(8)));
        }
        if g.chance(5) {
            // Unknown, optional or (refused) well-known.
            let flags = if g.chance(70) { 0xc0 } else { 0x40 };
            let n = g.below(6) as usize;
            parts.push((flags, 99, g.bytes(n)));
        }
        if g.chance(3) && !parts.is_empty() {
            let again = parts[g.below(parts.len() as u64) as usize].clone();
            parts.push(again);
        }
        for i in (1..parts.len()).rev() {
            let j = g.below(i as u64 + 1) as usize;
            parts.swap(i, j);
        }
        let mut out = Vec::new();
        for (f, t, v) in parts {
            attr_odd(&mut out, g, f, t, &v);
        }
        if g.chance(2) {
            out.extend([0x40, 1]);
        }
        out
    }

    fn mp_reach(g: &mut Gen, addpath: bool, rib: bool) -> Vec<u8> {
        let nh = [4usize, 16, 16, 32, 12, 0][g.below(6) as usize];
        if rib && g.chance(90) {
            // RFC 6396 §4.3.4: the next hop alone.
            let mut v = vec![nh as u8];
            v.extend(g.bytes(nh));
            return v;
        }
        let afi = [1u16, 2, 2, 3][g.below(4) as usize];
        let mut v = afi.to_be_bytes().to_vec();
        v.push([1u8, 1, 2, 128][g.below(4) as usize]);
        v.push(nh as u8);
        v.extend(g.bytes(nh));
        v.push(if g.chance(5) { 1 } else { 0 });
        let n = g.below(4);
        v.extend(prefixes(g, afi == 2, addpath, n));
        v
    }

    fn field(b: &[u8]) -> Vec<u8> {
        let mut v = (b.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(b);
        v
    }

    fn header(g: &mut Gen, t: u16, subtype: u16) -> Header {
        let et = t == rbgp_mrt::record::mrt_type::BGP4MP_ET;
        let us = match g.below(4) {
            0 => 0,
            1 => g.below(1000) as u32 * 1000,
            2 if g.chance(5) => 1_000_000 + g.below(10) as u32,
            _ => g.below(1_000_000) as u32,
        };
        Header {
            timestamp: if g.chance(2) {
                0
            } else {
                1_400_000_000 + g.below(1 << 28) as u32
            },
            mrt_type: t,
            subtype,
            length: 0,
            microseconds: et.then_some(us),
        }
    }

    /// A file's worth of records: BGP4MP(_ET) messages of every subtype
    /// and state changes, a PEER_INDEX_TABLE with its RIB records, and
    /// TABLE_DUMP records.
    fn records(g: &mut Gen) -> Vec<(Header, Vec<u8>)> {
        let mut v = Vec::new();
        let peers = 1 + g.below(4) as u16;
        let mut table = vec![0u8; 4];
        table.extend([0, 0]);
        table.extend(peers.to_be_bytes());
        for _ in 0..peers {
            let pt = g.below(4) as u8;
            table.push(pt);
            table.extend(g.bytes(4));
            table.extend(g.bytes(if pt & 1 != 0 { 16 } else { 4 }));
            table.extend(g.bytes(if pt & 2 != 0 { 4 } else { 2 }));
        }
        v.push((header(g, 13, 1), table));
        for _ in 0..60 {
            let (t, sub, body) = match g.below(10) {
                0..=5 => {
                    let t = if g.chance(30) { 17 } else { 16 };
                    let sub = [1u16, 4, 4, 4, 6, 7, 8, 9, 10, 11][g.below(10) as usize];
                    let four = matches!(sub, 4 | 7 | 9 | 11);
                    let addpath = sub >= 8;
                    let afi = if g.chance(2) {
                        3
                    } else {
                        1 + g.below(2) as u16
                    };
                    let mut b = asn(g, four);
                    b.extend(asn(g, four));
                    b.extend([0, 0]);
                    b.extend(afi.to_be_bytes());
                    b.extend(g.bytes(if afi == 2 { 32 } else { 8 }));
                    let n = g.below(3);
                    let withdrawn = prefixes(g, false, addpath, n);
                    let attrs = attributes(g, four, addpath, false);
                    let n = g.below(4);
                    let nlri = prefixes(g, false, addpath, n);
                    let mut msg = [field(&withdrawn), field(&attrs), nlri].concat();
                    let ty = match g.below(30) {
                        0 => {
                            msg.clear();
                            4
                        }
                        1 => 1,
                        _ => 2,
                    };
                    b.extend([0xff; 16]);
                    let len = 19 + msg.len() as u16 + if g.chance(2) { 1 } else { 0 };
                    b.extend(len.to_be_bytes());
                    b.push(ty);
                    b.extend(msg);
                    (t, sub, b)
                }
                6 => {
                    let four = g.chance(50);
                    let mut b = asn(g, four);
                    b.extend(asn(g, four));
                    let afi = 1 + g.below(3) as u16;
                    b.extend([0, 0]);
                    b.extend(afi.to_be_bytes());
                    b.extend(g.bytes(if afi == 2 { 32 } else { 8 }));
                    b.extend([0, 1, 0, 6]);
                    let n = odd_len(g, b.len());
                    b.resize(n, 0);
                    (16, if four { 5 } else { 0 }, b)
                }
                7 | 8 => {
                    let sub = [2u16, 3, 4, 5, 8, 10, 6][g.below(7) as usize];
                    let v6 = matches!(sub, 4 | 5 | 10);
                    let addpath = sub >= 8;
                    let mut b = g.bytes(4);
                    b.extend(prefixes(g, v6, false, 1));
                    let n = 1 + g.below(4) as u16;
                    b.extend(n.to_be_bytes());
                    for _ in 0..n {
                        let idx = if g.chance(3) {
                            peers
                        } else {
                            g.below(u64::from(peers)) as u16
                        };
                        b.extend(idx.to_be_bytes());
                        b.extend(g.bytes(4));
                        if addpath {
                            b.extend(g.bytes(4));
                        }
                        b.extend(field(&attributes(g, true, false, true)));
                    }
                    if g.chance(3) {
                        b.push(0);
                    }
                    (13, sub, b)
                }
                _ => {
                    let sub = 1 + g.below(2) as u16;
                    let alen = if sub == 2 { 16 } else { 4 };
                    let mut b = g.bytes(4);
                    b.extend(g.bytes(alen));
                    let max = if sub == 2 { 129 } else { 33 };
                    b.push(g.below(max + 1) as u8);
                    b.extend(g.bytes(5));
                    b.extend(g.bytes(alen));
                    b.extend(g.bytes(2));
                    b.extend(field(&attributes(g, false, false, true)));
                    (12, sub, b)
                }
            };
            v.push((header(g, t, sub), body));
        }
        v
    }

    /// On generated records (odd attribute lists, flags, lengths, times and
    /// families among them) too: where the writer takes a record its lines
    /// are the typed ones, in both formats.
    #[test]
    fn written_lines_equal_typed_lines_on_generated_records() {
        let f = no_filters();
        for format in [ElemFormat::Psv, ElemFormat::Json] {
            let mut g = Gen(0x5eed_0001);
            let mut c = Compare::new(format);
            for i in 0..300 {
                c.fast.next_file();
                c.typed.next_file();
                for (j, (h, body)) in records(&mut g).iter().enumerate() {
                    c.record(&f, h, body, &format!("{format:?} file {i} record {j}"));
                }
            }
            // Enough taken, and enough refused, for both to be tested.
            assert!(
                c.handled * 4 > c.records && c.handled * 10 < c.records * 9,
                "{format:?}: {} of {}",
                c.handled,
                c.records
            );
            assert!(c.lines > 5000, "{format:?}: {} lines", c.lines);
        }
    }

    /// And on rbgp-testkit's generated MRT files (every BGP4MP subtype,
    /// _ET, ADD-PATH, RIBs, TABLE_DUMP, the deprecated BGP type, damaged
    /// and odd fields), as the bgpdump format is held to bgpdump on them.
    #[test]
    fn written_lines_equal_typed_lines_on_testkit_files() {
        let f = no_filters();
        for format in [ElemFormat::Psv, ElemFormat::Json] {
            let mut c = Compare::new(format);
            for seed in 0..100u64 {
                c.fast.next_file();
                c.typed.next_file();
                let file = mrt_gen::bgpdump::file(seed * 0x9E37_79B9);
                let mut r = rbgp_mrt::Reader::new(&file[..]);
                let mut i = 0;
                while let Ok(Some((h, body))) = r.next_ref() {
                    c.record(&f, &h, body, &format!("{format:?} seed {seed} record {i}"));
                    i += 1;
                }
            }
            assert!(
                c.handled * 4 > c.records && c.lines > 10_000,
                "{format:?}: {} of {} records, {} lines",
                c.handled,
                c.records,
                c.lines
            );
        }
    }

    /// With filters too, on updates and a RIB dump.
    #[test]
    fn filters_on_written_lines_equal_typed_ones() {
        let cases: &[&[&str]] = &[
            &["--type", "w"],
            &["--type", "a", "--origin-asn", "28573"],
            &["--prefix", "2804::/16", "--more-specific"],
            &["--prefix", "192.140.252.0/24", "--less-specific"],
            &["--prefix", "12.0.0.0/8", "--more-specific"],
            &["--peer-asn", "59689", "--peer-asn", "1853"],
            &["--peer-ip", "2001:7f8:54::188", "--peer-ip", "193.203.0.1"],
            &["--community", "59689:200"],
            &["--community", "1273:8000"],
            &["--as-path", " 3356 "],
            &["--as-path", r"\b1299 \d+$"],
            &["--origin-asn", "701"],
        ];
        let d = data_dir().join("bgpdump/test_data");
        for case in cases {
            let mut argv = vec!["mrt", "x"];
            argv.extend_from_slice(case);
            #[derive(clap::Parser)]
            struct Cli {
                #[command(subcommand)]
                c: Sub,
            }
            #[derive(clap::Subcommand)]
            enum Sub {
                Mrt(Args),
            }
            let Sub::Mrt(a) = <Cli as clap::Parser>::parse_from(
                std::iter::once("rbgp").chain(argv.iter().copied()),
            )
            .c;
            let f = Filters {
                prefix: a.prefix,
                more: a.more_specific,
                less: a.less_specific,
                peer_ip: a.peer_ip.clone(),
                peer_asn: a.peer_asn.clone(),
                origin_asn: a.origin_asn,
                kind: a.elem_type,
                as_path: a.as_path.clone(),
                community: a.community,
            };
            let mut lines = 0;
            // The RIB dump's first 30 000 routes (a debug build's typed path
            // is slow).
            for (file, most) in [
                ("updates.20160811.1600.gz", usize::MAX),
                ("bview.20020722.2337.gz", 30_000),
            ] {
                for format in [ElemFormat::Psv, ElemFormat::Json] {
                    let mut c = Compare::new(format);
                    let what = format!("{case:?} {file} {format:?}");
                    for_records(&d.join(file), |h, body| {
                        if c.records < most {
                            c.record(&f, h, body, &what)
                        }
                    });
                    assert!(c.handled * 100 >= c.records * 99, "{what}");
                    lines += c.lines;
                }
            }
            assert!(lines > 0, "{case:?} selects nothing");
        }
    }
}
