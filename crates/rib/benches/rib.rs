//! RIB insert/withdraw and best-path selection.
//! `cargo bench -p rbgp-rib --bench rib`
// Bench code works on generated, trusted input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rbgp_rib::{best_path, Attrs, Interner, Path, PeerInfo, Rib, SelectionOptions};
use rbgp_wire::attr::{AsPath, Origin};
use rbgp_wire::{AfiSafi, Ipv4Prefix, Nlri};

const N: u32 = 100_000;

fn prefixes() -> Vec<Nlri> {
    (0..N)
        .map(|i| {
            Ipv4Prefix::new(Ipv4Addr::from((1 << 24) + (i << 8)), 24)
                .unwrap()
                .into()
        })
        .collect()
}

/// About 15 distinct attribute sets per 100 prefixes, as in a full table.
fn attr_sets(i: &mut Interner, first_as: u32) -> Vec<Arc<Attrs>> {
    (0..N / 7)
        .map(|k| {
            i.intern(Attrs {
                origin: Some(Origin::Igp),
                as_path: AsPath::from_sequence([
                    first_as,
                    3356,
                    1299,
                    64512 + k % 1000,
                    4_200_000_000 + k,
                ]),
                next_hop: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
                med: Some(k % 50),
                ..Attrs::default()
            })
        })
        .collect()
}

fn peer(n: u8, asn: u32) -> PeerInfo {
    PeerInfo {
        asn,
        router_id: Ipv4Addr::new(10, 0, 0, n),
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)),
        ibgp: false,
    }
}

fn bench(c: &mut Criterion) {
    let nlri = prefixes();
    let mut interner = Interner::new();
    let sets_a = attr_sets(&mut interner, 65001);
    let sets_b = attr_sets(&mut interner, 65002);
    let f = AfiSafi::IPV4_UNICAST;

    let mut g = c.benchmark_group("rib");
    g.sample_size(10);
    g.throughput(Throughput::Elements(u64::from(N)));
    g.bench_function("insert_100k_one_peer", |b| {
        b.iter_batched(
            || {
                let mut rib = Rib::new(SelectionOptions::default());
                rib.add_peer(peer(1, 65001));
                rib
            },
            |mut rib| {
                for (k, n) in nlri.iter().enumerate() {
                    black_box(rib.update(0, f, n, 0, Arc::clone(&sets_a[k % sets_a.len()])));
                }
                rib
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("insert_100k_second_peer", |b| {
        b.iter_batched(
            || {
                let mut rib = Rib::new(SelectionOptions::default());
                rib.add_peer(peer(1, 65001));
                rib.add_peer(peer(2, 65002));
                for (k, n) in nlri.iter().enumerate() {
                    rib.update(0, f, n, 0, Arc::clone(&sets_a[k % sets_a.len()]));
                }
                rib
            },
            |mut rib| {
                for (k, n) in nlri.iter().enumerate() {
                    black_box(rib.update(1, f, n, 0, Arc::clone(&sets_b[k % sets_b.len()])));
                }
                rib
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("withdraw_100k", |b| {
        b.iter_batched(
            || {
                let mut rib = Rib::new(SelectionOptions::default());
                rib.add_peer(peer(1, 65001));
                for (k, n) in nlri.iter().enumerate() {
                    rib.update(0, f, n, 0, Arc::clone(&sets_a[k % sets_a.len()]));
                }
                rib
            },
            |mut rib| {
                for n in &nlri {
                    black_box(rib.withdraw(0, f, n, 0));
                }
                rib
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let peers: Vec<PeerInfo> = (1..=8).map(|i| peer(i, 65000 + u32::from(i))).collect();
    let paths: Vec<Path> = (0..8u32)
        .map(|i| Path {
            peer: i,
            path_id: 0,
            attrs: Arc::clone(&sets_a[i as usize * 13]),
            stale: false,
            since: 0,
            validation: Default::default(),
        })
        .collect();
    c.bench_function("best_path_8_candidates", |b| {
        b.iter(|| {
            best_path(
                black_box(&paths),
                |p| &peers[p.peer as usize],
                &SelectionOptions::default(),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
