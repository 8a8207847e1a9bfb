//! Decode the benchmark's 1-prefix UPDATE N times, for instruction counts
//! that do not depend on machine load:
//!
//! ```sh
//! cargo build --release -p rbgp-wire --example decode_count
//! valgrind --tool=callgrind target/release/examples/decode_count 100000
//! ```
//! Instructions per decode = (total with N) - (total with 0), divided by N.
//! Second argument: `into` (default: `Update::decode_into` reusing one
//! `Update`), `fresh` (`Update::decode`), `message` (`Message::decode`),
//! `bgpkit` (bgpkit-parser's `parse_bgp_message` on the same bytes).

use std::hint::black_box;

use rbgp_wire::attr::{AsPath, AttrValue, Community, Origin, PathAttribute};
use rbgp_wire::{Context, NlriEntry, Prefix, Update};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let ctx = Context::default();
    let u = Update {
        attributes: vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence([
                65001, 65002, 65003, 65004, 65005,
            ]))),
            PathAttribute::new(AttrValue::NextHop(std::net::Ipv4Addr::new(192, 0, 2, 1))),
            PathAttribute::new(AttrValue::Med(100)),
            PathAttribute::new(AttrValue::Communities(
                [Community::new(65001, 1), Community::new(65001, 2)]
                    .into_iter()
                    .collect(),
            )),
        ],
        nlri: vec![NlriEntry::new(
            Prefix::V4(
                rbgp_wire::Ipv4Prefix::new(std::net::Ipv4Addr::new(198, 51, 100, 0), 24)
                    .unwrap_or_else(|| unreachable!()),
            )
            .into(),
        )],
        ..Update::default()
    };
    let mut body = Vec::new();
    u.encode_body(&ctx, &mut body);
    let mut reused = Update::default();
    let mode = std::env::args().nth(2).unwrap_or_default();
    let mut msg = vec![0xffu8; 16];
    msg.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
    msg.push(2);
    msg.extend_from_slice(&body);
    let msg = bytes::Bytes::from(msg);
    let asn4 = bgpkit_parser::models::AsnLength::Bits32;
    for _ in 0..n {
        if mode == "bgpkit" {
            let mut m = msg.clone();
            black_box(
                bgpkit_parser::parser::bgp::messages::parse_bgp_message(&mut m, false, &asn4).ok(),
            );
        } else if mode == "message" {
            black_box(rbgp_wire::Message::decode(black_box(&msg), &ctx).ok());
        } else if mode == "fresh" {
            black_box(Update::decode(black_box(&body), &ctx).ok());
        } else {
            black_box(reused.decode_into(black_box(&body), &ctx).ok());
        }
    }
}
