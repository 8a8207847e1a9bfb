//! Fixtures shared by the benchmark targets: the synthetic UPDATEs, the MRT
//! file's UPDATEs, and the walks/prefix counts used by several benches.

// Each bench target uses a different subset of these helpers. Bench code
// reads trusted local input (fixtures it builds itself and a test data
// file); panicking on a broken fixture is the right outcome.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use bgpkit_parser::models::{AsnLength, BgpMessage};
use bgpkit_parser::parser::bgp::messages::parse_bgp_message;
use bytes::Bytes;

use rbgp_wire::attr::{code, AsPath, Community, Origin};
use rbgp_wire::message::HEADER_LEN;
use rbgp_wire::view::{MpReachView, MpUnreachView, UpdateView};
use rbgp_wire::{AttrValue, Context, Ipv4Prefix, Nlri, NlriEntry, PathAttribute, Update};

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// One BGP message (header included) with the session parameters it was sent under.
pub struct Sample {
    pub bytes: Bytes,
    pub ctx: Context,
    pub asn_len: AsnLength,
}

impl Sample {
    pub fn body(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..]
    }
}

pub fn typical_attributes() -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence([
            64500, 3356, 1299, 13335, 396982,
        ]))),
        PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 1))),
        PathAttribute::new(AttrValue::Med(100)),
        PathAttribute::new(AttrValue::Communities(smallvec::smallvec![
            Community::new(64500, 100),
            Community::new(3356, 2001),
        ])),
    ]
}

/// `n` distinct IPv4 /24s from 10.0.0.0 upwards.
pub fn slash24s(n: usize) -> Vec<NlriEntry> {
    (0..n)
        .map(|i| {
            let i = i as u32;
            let addr = Ipv4Addr::from(0x0a00_0000 | (i << 8));
            NlriEntry::new(Nlri::from(Ipv4Prefix::new(addr, 24).unwrap()))
        })
        .collect()
}

/// Build the UPDATE with the library's own types and encode it once.
pub fn synthetic(prefixes: usize) -> Sample {
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

pub const MRT_FILE: &str = "../../../shared/data/bgpdump/test_data/updates.20160811.1600.gz";

pub const BGP4MP: u16 = 16;
pub const BGP4MP_ET: u16 = 17;

/// Every UPDATE in the MRT file, or `None` (with a note) if it is not there.
pub fn mrt_updates() -> Option<Vec<Sample>> {
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

pub fn split_mrt(raw: &[u8]) -> Vec<Sample> {
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
pub fn view_walk(body: &[u8], ctx: &Context) -> usize {
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

/// A typed zero-copy decode: every attribute read into its typed borrowed
/// form (`RawAttribute::parse`: lengths checked as RFC 7606 asks) and every
/// AS number, community and prefix visited. The same work a caller does
/// with an owned decode, without building owned values.
#[inline]
pub fn view_typed_decode(body: &[u8], ctx: &Context) -> usize {
    use rbgp_wire::view::AttrRef;
    let Ok(v) = UpdateView::new(body, ctx) else {
        return 0;
    };
    let mut n = 0;
    for a in v.attributes() {
        let Ok(a) = a else { break };
        let Ok(t) = a.parse(ctx) else { continue };
        match t {
            AttrRef::AsPath(p) | AttrRef::As4Path(p) => {
                for asn in p.asns() {
                    black_box(asn);
                }
            }
            AttrRef::Communities(c) => {
                for x in c.communities() {
                    black_box(x);
                }
            }
            AttrRef::ExtCommunities(c) => {
                for x in c.ext_communities() {
                    black_box(x);
                }
            }
            AttrRef::LargeCommunities(c) => {
                for x in c.large_communities() {
                    black_box(x);
                }
            }
            AttrRef::MpReach(mp) => {
                for p in mp.nlri() {
                    black_box(p.ok());
                    n += 1;
                }
            }
            AttrRef::MpUnreach(mp) => {
                for p in mp.withdrawn() {
                    black_box(p.ok());
                    n += 1;
                }
            }
            other => {
                black_box(other);
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
pub fn view_walk_accessors(body: &[u8], ctx: &Context) -> usize {
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
pub fn rbgp_prefixes(u: &Update) -> usize {
    u.announced().count() + u.withdrawals().count()
}

pub fn bgpkit_parse(s: &Sample) -> Option<BgpMessage> {
    let mut data = s.bytes.clone();
    parse_bgp_message(&mut data, false, &s.asn_len).ok()
}

pub fn bgpkit_prefixes(s: &Sample) -> usize {
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
