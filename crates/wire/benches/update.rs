//! UPDATE benchmarks: owned decode, zero-copy walk, encode and packing,
//! side by side with bgpkit-parser's `parse_bgp_message` on the same bytes.
//!
//! Run with `cargo bench -p rbgp-wire --bench update` (see docs/BENCHMARKS.md).
//!
//! Sets:
//! * `update_1prefix`: ORIGIN, AS_PATH (5 ASNs), NEXT_HOP, MED, 2 COMMUNITIES, one /24.
//! * `update_500prefix`: the same attributes, 500 IPv4 /24s.
//! * `mrt_updates_20160811`: every UPDATE of a real RouteViews MRT updates file
//!   (`shared/data/bgpdump/test_data/updates.20160811.1600.gz`); skipped if absent.
//! * `pack_announcements`: 10k /24s with one attribute set into 4096-octet UPDATEs.

// Bench code reads trusted local input (fixtures it builds itself and a test
// data file); panicking on a broken fixture is the right outcome here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bgpkit_parser::models::{AsnLength, BgpMessage};
use bgpkit_parser::parser::bgp::messages::parse_bgp_message;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use rbgp_wire::attr::{code, AsPath, Community, NextHop, Origin};
use rbgp_wire::message::HEADER_LEN;
use rbgp_wire::update::pack_announcements;
use rbgp_wire::view::{MpReachView, MpUnreachView, UpdateView};
use rbgp_wire::{
    AfiSafi, AttrValue, Context, Ipv4Prefix, Message, Nlri, NlriEntry, PathAttribute, Update,
};

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// One BGP message (header included) with the session parameters it was sent under.
struct Sample {
    bytes: Bytes,
    ctx: Context,
    asn_len: AsnLength,
}

impl Sample {
    fn body(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..]
    }
}

fn typical_attributes() -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence([
            64500, 3356, 1299, 13335, 396982,
        ]))),
        PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 1))),
        PathAttribute::new(AttrValue::Med(100)),
        PathAttribute::new(AttrValue::Communities(vec![
            Community::new(64500, 100),
            Community::new(3356, 2001),
        ])),
    ]
}

/// `n` distinct IPv4 /24s from 10.0.0.0 upwards.
fn slash24s(n: usize) -> Vec<NlriEntry> {
    (0..n)
        .map(|i| {
            let i = i as u32;
            let addr = Ipv4Addr::from(0x0a00_0000 | (i << 8));
            NlriEntry::new(Nlri::from(Ipv4Prefix::new(addr, 24).unwrap()))
        })
        .collect()
}

/// Build the UPDATE with the library's own types and encode it once.
fn synthetic(prefixes: usize) -> Sample {
    let ctx = Context::default();
    let update = Update {
        withdrawn: Vec::new(),
        attributes: typical_attributes(),
        nlri: slash24s(prefixes),
    };
    let mut out = Vec::new();
    update.encode(&ctx, &mut out);
    assert!(out.len() <= ctx.max_message_len(), "fixture too big");
    // Sanity: both decoders accept it and see the same prefixes.
    let (back, verdict) = Update::decode(&out[HEADER_LEN..], &ctx).unwrap();
    assert!(verdict.is_clean());
    assert_eq!(back, update);
    let sample = Sample {
        bytes: Bytes::from(out),
        ctx,
        asn_len: AsnLength::Bits32,
    };
    assert_eq!(bgpkit_prefixes(&sample), prefixes);
    sample
}

// ---------------------------------------------------------------------------
// MRT reading (RFC 6396), just enough to pull BGP4MP messages out.
// ---------------------------------------------------------------------------

const MRT_FILE: &str = "../../../shared/data/bgpdump/test_data/updates.20160811.1600.gz";

const BGP4MP: u16 = 16;
const BGP4MP_ET: u16 = 17;

/// Every UPDATE in the MRT file, or `None` (with a note) if it is not there.
fn mrt_updates() -> Option<Vec<Sample>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(MRT_FILE);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "note: {} not readable ({e}); skipping the MRT benchmarks",
                path.display()
            );
            return None;
        }
    };
    let mut raw = Vec::new();
    if let Err(e) = flate2::read::MultiGzDecoder::new(file).read_to_end(&mut raw) {
        eprintln!(
            "note: cannot decompress {} ({e}); skipping the MRT benchmarks",
            path.display()
        );
        return None;
    }
    Some(split_mrt(&raw))
}

fn split_mrt(raw: &[u8]) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut pos = 0;
    let (mut records, mut skipped_addpath, mut truncated) = (0usize, 0usize, 0usize);
    while pos + 12 <= raw.len() {
        let ty = u16::from_be_bytes([raw[pos + 4], raw[pos + 5]]);
        let subtype = u16::from_be_bytes([raw[pos + 6], raw[pos + 7]]);
        let len = u32::from_be_bytes(raw[pos + 8..pos + 12].try_into().unwrap()) as usize;
        let Some(body) = raw.get(pos + 12..pos + 12 + len) else {
            truncated += 1;
            break;
        };
        pos += 12 + len;
        records += 1;
        let body = match ty {
            BGP4MP => body,
            // The microseconds field is counted in the record length.
            BGP4MP_ET if body.len() >= 4 => &body[4..],
            _ => continue,
        };
        let four_octet_as = match subtype {
            1 | 6 => false, // MESSAGE, MESSAGE_LOCAL
            4 | 7 => true,  // MESSAGE_AS4, MESSAGE_AS4_LOCAL
            8..=11 => {
                skipped_addpath += 1;
                continue;
            }
            _ => continue, // state changes and the rest
        };
        let as_len = if four_octet_as { 4 } else { 2 };
        // peer AS, local AS, ifindex, AFI
        let afi_at = 2 * as_len + 2;
        let Some(afi) = body.get(afi_at..afi_at + 2) else {
            continue;
        };
        let ip_len = match u16::from_be_bytes([afi[0], afi[1]]) {
            1 => 4,
            2 => 16,
            _ => continue,
        };
        let Some(msg) = body.get(afi_at + 2 + 2 * ip_len..) else {
            continue;
        };
        if msg.len() < HEADER_LEN || msg[18] != 2 {
            continue; // not an UPDATE
        }
        let msg_len = usize::from(u16::from_be_bytes([msg[16], msg[17]]));
        let msg = msg.get(..msg_len).unwrap_or(msg);
        out.push(Sample {
            bytes: Bytes::copy_from_slice(msg),
            // MRT has no session context: allow extended messages, like bgpkit does.
            ctx: Context::default()
                .with_four_octet_as(four_octet_as)
                .with_extended_message(true),
            asn_len: if four_octet_as {
                AsnLength::Bits32
            } else {
                AsnLength::Bits16
            },
        });
    }
    eprintln!(
        "MRT: {records} records, {} UPDATEs, {skipped_addpath} ADD-PATH records skipped{}",
        out.len(),
        if truncated > 0 {
            ", file ends in a truncated record"
        } else {
            ""
        }
    );
    out
}

// ---------------------------------------------------------------------------
// The operations being measured
// ---------------------------------------------------------------------------

/// Walk everything in an UPDATE without allocating: every attribute, every
/// classic and MP prefix, in one pass over the attributes (MP_REACH and
/// MP_UNREACH are opened as they go by; `UpdateView::mp_reach()` and
/// `mp_unreach()` would each walk the attributes again). Returns the number
/// of prefixes seen.
#[inline]
fn view_walk(body: &[u8], ctx: &Context) -> usize {
    let Ok(v) = UpdateView::new(body, ctx) else {
        return 0;
    };
    let mut n = 0;
    for a in v.attributes() {
        let Ok(a) = a else { break };
        match a.code {
            code::MP_REACH_NLRI => {
                if let Ok(mp) = MpReachView::new(a.value, ctx) {
                    for p in mp.nlri() {
                        black_box(p.ok());
                        n += 1;
                    }
                }
            }
            code::MP_UNREACH_NLRI => {
                if let Ok(mp) = MpUnreachView::new(a.value, ctx) {
                    for p in mp.withdrawn() {
                        black_box(p.ok());
                        n += 1;
                    }
                }
            }
            _ => {
                black_box(a);
            }
        }
    }
    for p in v.withdrawn().chain(v.nlri()) {
        black_box(p.ok());
        n += 1;
    }
    n
}

/// The same walk through the convenience accessors: `mp_reach()` and
/// `mp_unreach()` each search the attributes again (three walks in all).
#[inline]
fn view_walk_accessors(body: &[u8], ctx: &Context) -> usize {
    let Ok(v) = UpdateView::new(body, ctx) else {
        return 0;
    };
    let mut n = 0;
    for a in v.attributes() {
        black_box(a.ok());
    }
    for p in v.withdrawn().chain(v.nlri()) {
        black_box(p.ok());
        n += 1;
    }
    if let Some(Ok(mp)) = v.mp_reach(ctx) {
        for p in mp.nlri() {
            black_box(p.ok());
            n += 1;
        }
    }
    if let Some(Ok(mp)) = v.mp_unreach(ctx) {
        for p in mp.withdrawn() {
            black_box(p.ok());
            n += 1;
        }
    }
    n
}

/// Prefixes in an owned UPDATE: classic NLRI + withdrawn + MP_REACH/MP_UNREACH.
fn rbgp_prefixes(u: &Update) -> usize {
    u.announced().count() + u.withdrawals().count()
}

fn bgpkit_parse(s: &Sample) -> Option<BgpMessage> {
    let mut data = s.bytes.clone();
    parse_bgp_message(&mut data, false, &s.asn_len).ok()
}

fn bgpkit_prefixes(s: &Sample) -> usize {
    match bgpkit_parse(s) {
        Some(BgpMessage::Update(u)) => {
            let mp = |n: Option<&bgpkit_parser::models::Nlri>| {
                n.map_or(0, |n| {
                    n.prefixes.len() + n.labeled_prefixes.as_ref().map_or(0, Vec::len)
                })
            };
            u.withdrawn_prefixes.len()
                + u.announced_prefixes.len()
                + mp(u.attributes.get_reachable_nlri())
                + mp(u.attributes.get_unreachable_nlri())
        }
        _ => 0,
    }
}

/// Benchmarks of one message set. Every routine gets its input the same
/// way: a fresh `Bytes` clone per message (a reference-count bump), so the
/// two libraries pay the same overhead.
fn bench_set(c: &mut Criterion, group: &str, set: &[Sample]) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(set.len() as u64));

    // What the fresh-`Bytes`-per-message convention costs on its own.
    g.bench_function("baseline/bytes_clone", |b| {
        b.iter(|| {
            for s in set {
                black_box(s.bytes.clone());
            }
        })
    });
    g.bench_function("rbgp/update_decode", |b| {
        b.iter(|| {
            for s in set {
                let bytes = s.bytes.clone();
                black_box(Update::decode(&bytes[HEADER_LEN..], &s.ctx).ok());
            }
        })
    });
    g.bench_function("rbgp/message_decode", |b| {
        b.iter(|| {
            for s in set {
                let bytes = s.bytes.clone();
                black_box(Message::decode(&bytes, &s.ctx).ok());
            }
        })
    });
    g.bench_function("rbgp/view_walk", |b| {
        b.iter(|| {
            let mut n = 0;
            for s in set {
                let bytes = s.bytes.clone();
                n += view_walk(&bytes[HEADER_LEN..], &s.ctx);
            }
            n
        })
    });
    g.bench_function("rbgp/view_walk_accessors", |b| {
        b.iter(|| {
            let mut n = 0;
            for s in set {
                let bytes = s.bytes.clone();
                n += view_walk_accessors(&bytes[HEADER_LEN..], &s.ctx);
            }
            n
        })
    });
    g.bench_function("bgpkit/parse_bgp_message", |b| {
        b.iter(|| {
            for s in set {
                let mut data = s.bytes.clone();
                black_box(parse_bgp_message(&mut data, false, &s.asn_len).ok());
            }
        })
    });

    g.bench_function("rbgp/encode", |b| {
        // Decoded here, not outside, so that a filtered run (e.g. under a
        // profiler) does not decode anything it did not ask for. Every
        // message of these sets decodes, so the throughput stays right.
        let owned: Vec<(Update, &Context)> = set
            .iter()
            .filter_map(|s| Some((Update::decode(s.body(), &s.ctx).ok()?.0, &s.ctx)))
            .collect();
        assert_eq!(owned.len(), set.len(), "a message did not decode");
        let mut out = Vec::with_capacity(8192);
        b.iter(|| {
            for (u, ctx) in &owned {
                out.clear();
                u.encode(ctx, &mut out);
                black_box(&out);
            }
        })
    });
    g.finish();
}

/// A plain timed loop, printed once: prefixes per second through each decoder.
fn report_prefix_rate(set: &[Sample]) {
    let ours: usize = set
        .iter()
        .filter_map(|s| Update::decode(s.body(), &s.ctx).ok())
        .map(|(u, _)| rbgp_prefixes(&u))
        .sum();
    let walked: usize = set.iter().map(|s| view_walk(s.body(), &s.ctx)).sum();
    let theirs: usize = set.iter().map(bgpkit_prefixes).sum();
    let ours_err = set
        .iter()
        .filter(|s| Update::decode(s.body(), &s.ctx).is_err())
        .count();
    let ours_unclean = set
        .iter()
        .filter(|s| matches!(Update::decode(s.body(), &s.ctx), Ok((_, v)) if !v.is_clean()))
        .count();
    let theirs_err = set.iter().filter(|s| bgpkit_parse(s).is_none()).count();
    eprintln!(
        "MRT prefixes (classic + MP, announced + withdrawn): rbgp decode {ours}, rbgp view {walked}, bgpkit {theirs}"
    );
    eprintln!(
        "MRT errors: rbgp {ours_err} session-reset, {ours_unclean} with RFC 7606 issues; bgpkit {theirs_err} errors"
    );

    let time = |f: &dyn Fn() -> usize| {
        // Warm up, then run whole passes for at least a second.
        f();
        let start = Instant::now();
        let mut passes = 0u32;
        while start.elapsed() < Duration::from_secs(1) {
            black_box(f());
            passes += 1;
        }
        start.elapsed() / passes
    };
    let per_pass = [
        (
            "rbgp Update::decode",
            time(&|| {
                set.iter()
                    .filter_map(|s| Update::decode(s.body(), &s.ctx).ok())
                    .count()
            }),
            ours,
        ),
        (
            "rbgp UpdateView walk",
            time(&|| set.iter().map(|s| view_walk(s.body(), &s.ctx)).sum()),
            walked,
        ),
        (
            "bgpkit parse_bgp_message",
            time(&|| set.iter().filter_map(bgpkit_parse).count()),
            theirs,
        ),
    ];
    for (name, d, prefixes) in per_pass {
        let secs = d.as_secs_f64();
        eprintln!(
            "MRT {name}: {:.1} ms per pass, {:.2} M messages/s, {:.2} M prefixes/s",
            secs * 1e3,
            set.len() as f64 / secs / 1e6,
            prefixes as f64 / secs / 1e6,
        );
    }
}

/// Print the MRT prefix rates only on a real benchmark run (not under
/// `cargo test --benches`, not with `--profile-time`), and only when no
/// name filter is given or the filter selects the MRT group.
fn wants_prefix_report() -> bool {
    // Criterion options that take a value (so the value is not a filter).
    const WITH_VALUE: &[&str] = &[
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--output-format",
        "--color",
        "--plotting-backend",
        "--format",
        "--profile-time",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--profile-time") {
        return false;
    }
    let mut filters = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            it.next();
        } else if !a.starts_with('-') {
            filters.push(a.as_str());
        }
    }
    filters.is_empty()
        || filters
            .iter()
            .any(|f| "mrt_updates_20160811".contains(f) || f.contains("mrt"))
}

// ---------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------

fn one_prefix(c: &mut Criterion) {
    bench_set(c, "update_1prefix", &[synthetic(1)]);
}

fn many_prefixes(c: &mut Criterion) {
    bench_set(c, "update_500prefix", &[synthetic(500)]);
}

fn mrt_file(c: &mut Criterion) {
    let Some(set) = mrt_updates() else {
        return;
    };
    if set.is_empty() {
        eprintln!("note: no UPDATEs found in the MRT file; skipping");
        return;
    }
    if wants_prefix_report() {
        report_prefix_rate(&set);
    }
    bench_set(c, "mrt_updates_20160811", &set);
}

fn packing(c: &mut Criterion) {
    let ctx = Context::default();
    let attrs = typical_attributes();
    let nlri = slash24s(10_000);
    let nh = NextHop::Ipv4(Ipv4Addr::new(192, 0, 2, 1));
    let msgs = pack_announcements(&attrs, AfiSafi::IPV4_UNICAST, &nh, &nlri, &ctx);
    assert!(msgs.iter().all(|m| m.len() <= ctx.max_message_len()));
    let mut g = c.benchmark_group("pack_announcements");
    g.throughput(Throughput::Elements(nlri.len() as u64));
    g.bench_function("rbgp/10k_ipv4_24", |b| {
        b.iter(|| pack_announcements(&attrs, AfiSafi::IPV4_UNICAST, &nh, &nlri, &ctx))
    });
    g.finish();
}

criterion_group!(benches, one_prefix, many_prefixes, mrt_file, packing);
criterion_main!(benches);
