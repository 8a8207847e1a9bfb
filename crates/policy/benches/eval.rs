//! Import policy on a table-like stream: the 10-term policy of bench case
//! p (bogons, too specific, too long, first AS, a 5,000-entry customer set
//! with `le 24` that tags and sets LOCAL_PREF, an AS-path expression, a
//! community condition, ORIGIN, community count), routes arriving grouped
//! by attribute set as UPDATEs carry them (about 7 per set).
//! `cargo bench -p rbgp-policy --bench eval`
// Bench code works on generated, trusted input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rbgp_policy::{ChainDef, Evaluator, Policies, PolicyConfig, RouteCtx, Session, Source};
use rbgp_rib::{Attrs, Interner};
use rbgp_wire::attr::{AsPath, Community, Origin};
use rbgp_wire::{AfiSafi, Ipv4Prefix, Prefix};

const ROUTES: u32 = 200_000;
const PER_SET: u32 = 7;

fn policy() -> PolicyConfig {
    let customers: Vec<String> = (0..5000u32)
        .map(|i| format!("\"{}.{}.0.0/16 le 24\"", 1 + i / 256 % 200, i % 256))
        .collect();
    let text = format!(
        r#"
[sets.prefix]
bogons = ["0.0.0.0/8 le 32", "10.0.0.0/8 le 32", "100.64.0.0/10 le 32", "127.0.0.0/8 le 32",
  "169.254.0.0/16 le 32", "172.16.0.0/12 le 32", "192.0.0.0/24 le 32", "192.0.2.0/24 le 32",
  "192.168.0.0/16 le 32", "198.18.0.0/15 le 32", "198.51.100.0/24 le 32",
  "203.0.113.0/24 le 32", "224.0.0.0/3 le 32"]
customers = [{}]

[sets.as_path]
transit = ["^65001 [0-9]+ 174_", "_3356_"]

[sets.community]
tagged = ["65000:100"]

[[definitions]]
name = "bench-in"
default = "accept"
terms = [
  {{ name = "bogons", if = {{ prefix_in = "bogons" }}, then = {{ result = "reject" }} }},
  {{ name = "too-specific", if = {{ prefix_length = {{ gt = 24 }} }}, then = {{ result = "reject" }} }},
  {{ name = "too-long", if = {{ as_path_length = {{ ge = 12 }} }}, then = {{ result = "reject" }} }},
  {{ name = "not-first", if = {{ first_as_is_neighbor = false }}, then = {{ result = "reject" }} }},
  {{ name = "customers", if = {{ prefix_in = "customers" }}, then = {{ add_communities = ["65000:100"], local_pref = 200 }} }},
  {{ name = "transit", if = {{ as_path_in = "transit" }}, then = {{ add_communities = ["65000:174"] }} }},
  {{ name = "tagged", if = {{ community = {{ any_of = "tagged" }} }}, then = {{ med = 10 }} }},
  {{ name = "incomplete", if = {{ origin = "incomplete" }}, then = {{ local_pref = 80 }} }},
  {{ name = "too-many", if = {{ community_count = {{ gt = 20 }} }}, then = {{ result = "reject" }} }},
  {{ name = "accept", then = {{ result = "accept" }} }},
]
"#,
        customers.join(", ")
    );
    toml::from_str(&text).unwrap()
}

/// (prefix, attribute set) in arrival order.
fn routes(interner: &mut Interner) -> Vec<(Prefix, Arc<Attrs>)> {
    let mut out = Vec::new();
    for s in 0..ROUTES / PER_SET {
        let attrs = interner.intern(Attrs {
            origin: Some(if s % 5 == 0 {
                Origin::Incomplete
            } else {
                Origin::Igp
            }),
            as_path: AsPath::from_sequence([
                65001,
                3356 + s % 3,
                64512 + s % 1000,
                4_200_000_000 + s,
            ]),
            next_hop: Some(IpAddr::V4(Ipv4Addr::new(10, 99, 0, 10))),
            communities: (0..(s % 4) as u16)
                .map(|k| Community::new(65001, k))
                .collect(),
            ..Attrs::default()
        });
        for r in 0..PER_SET {
            let i = s * PER_SET + r;
            let p = Ipv4Prefix::new(Ipv4Addr::from((1 << 24) + (i << 8)), 24).unwrap();
            out.push((Prefix::V4(p), Arc::clone(&attrs)));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let policies = Arc::new(Policies::compile(&policy()).unwrap());
    let chain = policies
        .chain(
            &ChainDef {
                policies: vec!["bench-in".into()],
                default: None,
            },
            "bench",
        )
        .unwrap();
    let mut interner = Interner::new();
    let table = routes(&mut interner);
    let neighbor = IpAddr::V4(Ipv4Addr::new(10, 99, 0, 10));
    let session = Session {
        local_asn: 65000,
        local_address: None,
        peer_address: Some(neighbor),
    };
    let mut g = c.benchmark_group("policy");
    g.throughput(Throughput::Elements(u64::from(ROUTES)));
    g.sample_size(20);
    g.bench_function("import 10 terms, 200k routes", |b| {
        b.iter_batched(
            || Evaluator::new(Arc::clone(&policies), chain.clone(), session),
            |mut e| {
                let mut accepted = 0u32;
                for (p, a) in &table {
                    let route = RouteCtx::learned(
                        AfiSafi::IPV4_UNICAST,
                        Some(*p),
                        neighbor,
                        65001,
                        Source::Ebgp,
                    );
                    let o = e.evaluate(&route, a, &mut |x| Arc::new(x));
                    accepted += u32::from(o.accept);
                }
                black_box(accepted)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
