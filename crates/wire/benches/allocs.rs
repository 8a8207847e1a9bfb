//! Heap allocations per UPDATE, counted exactly (a counting global allocator
//! from `stats_alloc`), and the in-memory size of the decoded types. The
//! criterion bench in `update.rs` measures time; this one prints two small
//! tables and takes well under a second.
//!
//! `cargo bench -p rbgp-wire --bench allocs`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::alloc::System;
use std::hint::black_box;
use std::mem::size_of;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

use rbgp_wire::{Message, Update};

mod common;
use common::{bgpkit_parse, mrt_updates, synthetic, view_walk, Sample};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations (including reallocations) and bytes requested per message
/// while running `op` once over every message of `set`.
fn per_message(set: &[Sample], op: &dyn Fn(&Sample)) -> (f64, f64) {
    // One untimed pass first, so that one-off work (the first clone of a
    // `Bytes` promotes it to shared storage) is not counted.
    set.iter().for_each(op);
    let region = Region::new(GLOBAL);
    set.iter().for_each(op);
    let s = region.change();
    let n = set.len() as f64;
    (
        (s.allocations + s.reallocations) as f64 / n,
        (s.bytes_allocated + s.bytes_reallocated.max(0) as usize) as f64 / n,
    )
}

type Op<'a> = (&'a str, &'a dyn Fn(&Sample));

fn table(name: &str, set: &[Sample]) {
    let ops: [Op; 4] = [
        ("rbgp `Update::decode`", &|s| {
            black_box(Update::decode(s.body(), &s.ctx).ok());
        }),
        ("rbgp `Message::decode`", &|s| {
            black_box(Message::decode(&s.bytes, &s.ctx).ok());
        }),
        ("rbgp `UpdateView` walk", &|s| {
            black_box(view_walk(s.body(), &s.ctx));
        }),
        ("bgpkit `parse_bgp_message`", &|s| {
            black_box(bgpkit_parse(s));
        }),
    ];
    for (op, f) in ops {
        let (allocs, bytes) = per_message(set, f);
        println!("| {name} | {op} | {allocs:.2} | {bytes:.0} |");
    }
}

fn main() {
    // `cargo test --benches` runs this too; keep that quiet and quick.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("| set | decoder | allocations / message | bytes allocated / message |");
    println!("|---|---|---:|---:|");
    table("1 prefix", &[synthetic(1)]);
    table("500 prefixes", &[synthetic(500)]);
    if let Some(set) = mrt_updates() {
        table("MRT file", &set);
    }

    println!();
    println!("| type | size (bytes) |");
    println!("|---|---:|");
    let sizes: [(&str, usize); 11] = [
        ("rbgp `Update`", size_of::<Update>()),
        ("rbgp `Verdict`", size_of::<rbgp_wire::Verdict>()),
        (
            "rbgp `PathAttribute`",
            size_of::<rbgp_wire::PathAttribute>(),
        ),
        ("rbgp `AttrValue`", size_of::<rbgp_wire::AttrValue>()),
        ("rbgp `MpReach`", size_of::<rbgp_wire::attr::MpReach>()),
        ("rbgp `NlriEntry`", size_of::<rbgp_wire::NlriEntry>()),
        ("rbgp `Nlri`", size_of::<rbgp_wire::Nlri>()),
        ("rbgp `Prefix`", size_of::<rbgp_wire::Prefix>()),
        ("rbgp `WireError`", size_of::<rbgp_wire::WireError>()),
        (
            "bgpkit `NetworkPrefix`",
            size_of::<bgpkit_parser::models::NetworkPrefix>(),
        ),
        (
            "bgpkit `Attribute`",
            size_of::<bgpkit_parser::models::Attribute>(),
        ),
    ];
    for (t, n) in sizes {
        println!("| {t} | {n} |");
    }
}
