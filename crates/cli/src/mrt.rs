//! `rbgp mrt`: route elements of MRT files (RFC 6396) as bgpdump-style,
//! JSON or pipe-separated lines, with filters.

use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use rbgp_mrt::bgpdump::{Formatter, Note};
use rbgp_mrt::elem::{elem_prefix, ElemDecoder};
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
    /// MRT files: plain, gzip or bzip2 (recognised by content); "-" for stdin.
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

    fn elem_ok(&self, e: &Elem) -> bool {
        if let Some(k) = self.kind {
            let t = match k {
                ElemKind::A => ElemType::Announce,
                ElemKind::W => ElemType::Withdraw,
            };
            if e.elem_type != t {
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
            let text = e
                .as_path
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default();
            if e.elem_type == ElemType::Withdraw || !re.is_match(&text) {
                return false;
            }
        }
        if let Some(c) = self.community {
            if !e.communities.contains(&c) {
                return false;
            }
        }
        self.prefix_ok(elem_prefix(e))
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

    #[inline]
    fn tick(&mut self, body_len: usize) {
        self.records += 1;
        self.bytes += body_len as u64 + 12;
        if self.enabled
            && self.records.is_multiple_of(4096)
            && self.last.elapsed() > Duration::from_millis(500)
        {
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
    fn say(&mut self, file: &str, msg: impl std::fmt::Display) {
        self.total += 1;
        if self.shown < 20 {
            self.shown += 1;
            eprintln!("rbgp mrt: warning: {file}: {msg}");
        }
    }
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
    let stdout = io::stdout();
    // The bgpdump path writes large blocks of whole lines itself; a
    // BufWriter there would only copy them once more.
    let mut out = stdout.lock();
    let mut progress = Progress::new(args.progress || io::stderr().is_terminal());
    let mut warn = Warn { shown: 0, total: 0 };
    let mut ok = true;
    for path in &args.files {
        let name = path.display().to_string();
        let reader = rbgp_mrt::open(path).with_context(|| format!("opening {name}"))?;
        let res = match args.format {
            Format::Bgpdump => bgpdump_file(
                reader,
                &args,
                &filters,
                &name,
                &mut out,
                &mut progress,
                &mut warn,
            ),
            _ => {
                let mut bw = io::BufWriter::with_capacity(1 << 16, &mut out);
                let r = elem_file(
                    reader,
                    &args,
                    &filters,
                    &name,
                    &mut bw,
                    &mut progress,
                    &mut warn,
                );
                r.and_then(|()| bw.flush().map_err(Into::into))
            }
        };
        match res {
            Ok(()) => {}
            Err(e) if is_broken_pipe(&e) => return Ok(true),
            Err(e) => {
                eprintln!("rbgp mrt: {name}: {e:#}");
                ok = false;
            }
        }
    }
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
fn end_of_file(e: MrtError, name: &str, records: u64, warn: &mut Warn) -> Result<()> {
    match e {
        MrtError::Truncated { .. } | MrtError::BadHeader { .. } => {
            warn.say(
                name,
                format_args!("{e}; stopped after {records} whole records"),
            );
            Ok(())
        }
        other => Err(other.into()),
    }
}

#[allow(clippy::too_many_arguments)]
fn bgpdump_file(
    mut reader: rbgp_mrt::Reader<Box<dyn io::Read>>,
    args: &Args,
    filters: &Filters,
    name: &str,
    out: &mut impl Write,
    progress: &mut Progress,
    warn: &mut Warn,
) -> Result<()> {
    let mut f = Formatter::new();
    let mut buf = Vec::with_capacity(1 << 17);
    let line_filter = filters.any_elem_filter();
    loop {
        // Records are lent from the reader's buffer: no copy per record.
        let (header, body) = match reader.next_ref() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                out.write_all(&buf)?;
                return end_of_file(e, name, reader.records(), warn);
            }
        };
        progress.tick(body.len());
        if !in_time(args, &header) {
            continue;
        }
        if line_filter {
            let start = buf.len();
            f.format(&header, body, &mut buf);
            let lines: Vec<u8> = buf.split_off(start);
            for l in lines.split_inclusive(|b| *b == b'\n') {
                if filters.line_ok(l.strip_suffix(b"\n").unwrap_or(l)) {
                    buf.extend_from_slice(l);
                }
            }
        } else {
            f.format(&header, body, &mut buf);
        }
        for n in f.take_notes() {
            // Known types bgpdump does not print (OSPF, IS-IS, BGP4MP_ENTRY,
            // multicast and generic RIBs) are not worth a warning.
            if matches!(n, Note::Unsupported { mrt_type, .. } if rbgp_mrt::record::is_known_type(mrt_type))
            {
                continue;
            }
            warn.say(
                name,
                format_args!("record at offset {}: {n}", reader.record_offset()),
            );
        }
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
        if f.stopped() {
            break;
        }
    }
    out.write_all(&buf)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn elem_file(
    mut reader: rbgp_mrt::Reader<Box<dyn io::Read>>,
    args: &Args,
    filters: &Filters,
    name: &str,
    out: &mut impl Write,
    progress: &mut Progress,
    warn: &mut Warn,
) -> Result<()> {
    let mut dec = ElemDecoder::new();
    let mut rec = RawRecord::default();
    let mut elems = Vec::new();
    let mut line = String::new();
    loop {
        match reader.read_into(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return end_of_file(e, name, reader.records(), warn),
        }
        progress.tick(rec.body.len());
        if !in_time(args, &rec.header) {
            continue;
        }
        let typed = match rec.decode() {
            Ok(t) => t,
            Err(e) => {
                warn.say(
                    name,
                    format_args!("record at offset {}: {e}", reader.offset()),
                );
                continue;
            }
        };
        elems.clear();
        dec.decode(&typed, &mut elems);
        for issue in dec.take_issues() {
            warn.say(
                name,
                format_args!("record at offset {}: {issue:?}", reader.offset()),
            );
        }
        for e in elems.iter().filter(|e| filters.elem_ok(e)) {
            line.clear();
            match args.format {
                Format::Json => line.push_str(&serde_json::to_string(&elem_json(e))?),
                _ => psv(e, &mut line),
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
    }
    Ok(())
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

    #[test]
    fn times() {
        assert_eq!(parse_time("1470931200").unwrap(), 1_470_931_200.0);
        assert_eq!(parse_time("2016-08-11T16:00:00Z").unwrap(), 1_470_931_200.0);
        assert!(parse_time("yesterday").is_err());
    }
}
