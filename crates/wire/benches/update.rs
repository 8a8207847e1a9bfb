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
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bgpkit_parser::parser::bgp::messages::parse_bgp_message;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use rbgp_wire::attr::NextHop;
use rbgp_wire::message::HEADER_LEN;
use rbgp_wire::update::pack_announcements;
use rbgp_wire::{AfiSafi, Context, Message, Update};

mod common;
use common::{
    bgpkit_parse, bgpkit_prefixes, mrt_updates, rbgp_prefixes, slash24s, synthetic,
    typical_attributes, view_typed_decode, view_walk, view_walk_accessors, Sample,
};

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
    // The same decode straight from the slice: the number to hold against
    // the 150 ns target (no `Bytes` reference counting around it).
    g.bench_function("rbgp/update_decode_slice", |b| {
        b.iter(|| {
            for s in set {
                black_box(Update::decode(s.body(), &s.ctx).ok());
            }
        })
    });
    // The owned decode as a session loop runs it: one `Update` reused, so
    // its lists keep their capacity from message to message.
    g.bench_function("rbgp/update_decode_into", |b| {
        let mut u = Update::default();
        b.iter(|| {
            for s in set {
                black_box(u.decode_into(s.body(), &s.ctx).ok());
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
    g.bench_function("rbgp/view_typed_decode", |b| {
        b.iter(|| {
            let mut n = 0;
            for s in set {
                let bytes = s.bytes.clone();
                n += view_typed_decode(&bytes[HEADER_LEN..], &s.ctx);
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
