//! Table load and lookup on the real rpki-client snapshot (every second
//! VRP of a 2025 global set, shared test data).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Read;
use std::path::PathBuf;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::time::Instant;

use rbgp_rpki::pdu::{Pdu, Timers};
use rbgp_rpki::{json, Event, Session, SessionConfig, Table};

fn snapshot() -> Vec<u8> {
    let base = std::env::var_os("RBGP_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = base
        .join("rpki/jeffsw-rpkilog/derived/rpkiclient_summary_20250720T093135Z.every2nd.json.gz");
    let raw = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn bench(c: &mut Criterion) {
    let bytes = snapshot();
    let (vrps, aspas) = json::parse(&bytes).unwrap();
    let mut g = c.benchmark_group("table");
    g.sample_size(10);
    g.bench_function("parse_json_361k", |b| {
        b.iter(|| json::parse(black_box(&bytes)).unwrap())
    });
    g.bench_function("build_361k", |b| {
        b.iter(|| Table::from_parts(vrps.iter().copied(), aspas.iter().cloned()))
    });
    let t = Table::from_parts(vrps.iter().copied(), aspas.iter().cloned());
    // Routes: every VRP prefix (covered) with its AS, and with another AS.
    let routes: Vec<_> = vrps.iter().step_by(37).map(|v| (v.prefix, v.asn)).collect();
    g.sample_size(20);
    g.bench_function("validate_v4_v6_mix", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (p, a) in &routes {
                if t.validate(p, Some(*a)) == rbgp_rpki::RovState::Valid {
                    n += 1;
                }
            }
            n
        })
    });
    let v4: Vec<_> = routes.iter().filter(|r| r.0.is_ipv4()).collect();
    g.bench_function("validate_v4_only", |b| {
        b.iter(|| {
            v4.iter()
                .filter(|(p, a)| t.validate(p, Some(*a + 1)) == rbgp_rpki::RovState::Invalid)
                .count()
        })
    });
    // A cache's whole answer to a Reset Query, as RTR version 2 PDUs,
    // read in 64 KiB pieces up to the End of Data, then applied to a
    // table (what rbgpd does with a cache's first full set).
    let mut wire = Vec::new();
    Pdu::CacheResponse {
        version: 2,
        session_id: 7,
    }
    .encode(&mut wire);
    for v in &vrps {
        Pdu::prefix(2, true, v).encode(&mut wire);
    }
    Pdu::EndOfData {
        version: 2,
        session_id: 7,
        serial: 1,
        timers: Some(Timers::default()),
    }
    .encode(&mut wire);
    g.bench_function("rtr_reset_load_361k", |b| {
        b.iter(|| {
            let now = Instant::now();
            let mut s = Session::new(SessionConfig::default());
            let _ = s.connected(now);
            let mut got = None;
            for piece in wire.chunks(65536) {
                for e in s.receive(piece, now).unwrap() {
                    if let Event::Update(d) = e {
                        got = Some(d);
                    }
                }
            }
            let mut t = Table::new();
            t.apply(got.unwrap())
        })
    });
    println!(
        "routes per iteration: mix {}, v4 {}",
        routes.len(),
        v4.len()
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
