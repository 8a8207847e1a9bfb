//! The generated table: unique IPv4 prefixes with a realistic length mix,
//! grouped under a realistic number of distinct attribute sets, encoded
//! into UPDATEs once before any session starts.

use std::net::Ipv4Addr;

use rbgp_wire::attr::{AsPath, Community, NextHop, Origin};
use rbgp_wire::{
    AfiSafi, AttrValue, Context, Ipv4Prefix, Message, NlriEntry, PathAttribute, Prefix, Update,
};
use rustc_hash::FxHashSet;

use crate::prefix_set::PrefixSet;
use crate::rng::Rng;

/// Prefix lengths 8..=24 in parts per 10 000, close to today's IPv4 table
/// (six in ten are /24).
const LEN_WEIGHTS: [(u8, u32); 17] = [
    (24, 6000),
    (23, 1000),
    (22, 1200),
    (21, 500),
    (20, 500),
    (19, 300),
    (18, 150),
    (17, 100),
    (16, 150),
    (15, 30),
    (14, 30),
    (13, 20),
    (12, 10),
    (11, 5),
    (10, 3),
    (9, 1),
    (8, 1),
];

/// AS path lengths 1..=8 (feeder's AS included), peaking at 3-4.
const PATH_LEN_WEIGHTS: [u32; 8] = [5, 20, 30, 22, 12, 6, 3, 2];

/// `total` distinct prefixes from `seed`. First octets 1..=223 except
/// 10 and 127: nothing a daemon would refuse as martian or multicast.
pub fn prefixes(total: usize, seed: u64) -> Vec<Ipv4Prefix> {
    let mut rng = Rng::new(seed);
    let mut seen = PrefixSet::new();
    let weights: Vec<u32> = LEN_WEIGHTS.iter().map(|(_, w)| *w).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        let mut len = LEN_WEIGHTS
            .get(rng.weighted(&weights))
            .map_or(24, |(l, _)| *l);
        // Short lengths run out (there are ~220 usable /8s): after a few
        // clashes take a /24 instead.
        for attempt in 0.. {
            let first = loop {
                let o = 1 + rng.below(223) as u32;
                if o != 10 && o != 127 {
                    break o;
                }
            };
            let addr = (first << 24) | (rng.next_u64() as u32 & 0x00ff_ffff);
            let addr = addr & (u32::MAX << (32 - u32::from(len)));
            if seen.insert(addr, len) {
                if let Some(p) = Ipv4Prefix::new(Ipv4Addr::from(addr), len) {
                    out.push(p);
                }
                break;
            }
            if attempt >= 8 {
                len = 24;
            }
        }
    }
    out
}

/// Transit ASes: 2-octet public ones and 4-octet ones (RFC 6793 range),
/// never the private ranges the harness gives to daemons and peers.
fn as_pool(rng: &mut Rng) -> Vec<u32> {
    (0..4096)
        .map(|i| {
            if i % 3 == 0 {
                196_608 + rng.below(200_000) as u32
            } else {
                loop {
                    let a = 1 + rng.below(63_000) as u32;
                    if a != 23_456 {
                        break a;
                    }
                }
            }
        })
        .collect()
}

/// One random attribute set announced by `asn` with next hop `nh`.
fn attr_set(rng: &mut Rng, pool: &[u32], asn: u32, nh: Ipv4Addr) -> Vec<PathAttribute> {
    let mut path = vec![asn];
    let n = 1 + rng.weighted(&PATH_LEN_WEIGHTS);
    for hop in 1..n {
        // The feeder's upstreams come from a short list, as in real tables.
        let span = if hop == 1 { 16 } else { pool.len() as u64 };
        path.push(
            pool.get(rng.below(span) as usize)
                .copied()
                .unwrap_or(64_496),
        );
    }
    if rng.below(20) == 0 {
        if let Some(last) = path.last().copied() {
            path.extend([last, last]); // origin prepending
        }
    }
    let origin = match rng.below(50) {
        0..=44 => Origin::Igp,
        45..=48 => Origin::Incomplete,
        _ => Origin::Egp,
    };
    let mut attrs = vec![
        PathAttribute::new(AttrValue::Origin(origin)),
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(path))),
        PathAttribute::new(AttrValue::NextHop(nh)),
    ];
    if rng.below(10) < 3 {
        let med = [0, 10, 100, rng.below(1000) as u32];
        let med = med.get(rng.below(4) as usize).copied().unwrap_or(0);
        attrs.push(PathAttribute::new(AttrValue::Med(med)));
    }
    let ncomm = rng.weighted(&[40, 25, 15, 10, 10]);
    if ncomm > 0 {
        let mut c: Vec<Community> = (0..ncomm)
            .map(|_| Community::new(1 + rng.below(200) as u16, rng.below(50) as u16 * 10))
            .collect();
        c.sort_by_key(|c| (c.asn(), c.value()));
        c.dedup();
        attrs.push(PathAttribute::new(AttrValue::Communities(
            c.into_iter().collect(),
        )));
    }
    attrs
}

/// The generator seed of feeder session `i` (the table's seed is `seed`).
pub fn session_seed(seed: u64, i: u32) -> u64 {
    seed ^ (u64::from(i + 1) << 32)
}

/// What one feeder session sends, encoded.
pub struct Feed {
    /// Every UPDATE back to back, then End-of-RIB.
    pub bytes: Vec<u8>,
    pub updates: usize,
    pub prefixes: usize,
    pub attr_sets: usize,
}

/// Encode `prefixes` as announced by `asn` from `nh`, under
/// `prefixes.len() * attr_ratio` distinct attribute sets (see [`assign`]).
pub fn encode_feed(
    prefixes: &[Ipv4Prefix],
    asn: u32,
    nh: Ipv4Addr,
    attr_ratio: f64,
    seed: u64,
) -> Feed {
    let (sets, members) = assign(prefixes, asn, nh, attr_ratio, seed);
    pack(sets.iter().zip(&members), nh)
}

/// The attribute sets of a feed and each one's prefixes: each set gets one
/// prefix, the rest are spread with a heavy head (a few sets carry
/// thousands of prefixes, most carry a handful), as in real tables.
pub fn assign(
    prefixes: &[Ipv4Prefix],
    asn: u32,
    nh: Ipv4Addr,
    attr_ratio: f64,
    seed: u64,
) -> (Vec<Vec<PathAttribute>>, Vec<Vec<NlriEntry>>) {
    let mut rng = Rng::new(seed);
    let pool = as_pool(&mut rng);
    let k = ((prefixes.len() as f64 * attr_ratio).round() as usize).clamp(1, prefixes.len().max(1));
    let mut sets = Vec::with_capacity(k);
    let mut seen: FxHashSet<Vec<u8>> = FxHashSet::default();
    let ctx = Context::default();
    while sets.len() < k {
        let attrs = attr_set(&mut rng, &pool, asn, nh);
        let mut key = Vec::new();
        for a in &attrs {
            a.encode(&ctx, &mut key);
        }
        // Clashes are rare (the space of paths and communities is huge):
        // draw again.
        if seen.insert(key) {
            sets.push(attrs);
        }
    }
    let mut members: Vec<Vec<NlriEntry>> = vec![Vec::new(); k];
    for (i, p) in prefixes.iter().enumerate() {
        let set = if i < k {
            i
        } else {
            (k as f64 * rng.unit().powi(3)) as usize
        };
        if let Some(m) = members.get_mut(set) {
            m.push(NlriEntry::new(Prefix::V4(*p).into()));
        }
    }
    (sets, members)
}

/// Each attribute set's prefixes packed into as few UPDATEs as fit, back
/// to back, then End-of-RIB.
pub fn pack<'a>(
    groups: impl Iterator<Item = (&'a Vec<PathAttribute>, &'a Vec<NlriEntry>)>,
    nh: Ipv4Addr,
) -> Feed {
    let ctx = Context::default();
    let mut f = Feed {
        bytes: Vec::new(),
        updates: 0,
        prefixes: 0,
        attr_sets: 0,
    };
    for (attrs, nlri) in groups {
        f.attr_sets += 1;
        f.prefixes += nlri.len();
        for m in rbgp_wire::update::pack_announcements(
            attrs,
            AfiSafi::IPV4_UNICAST,
            &NextHop::Ipv4(nh),
            nlri,
            &ctx,
        ) {
            f.bytes.extend_from_slice(&m);
            f.updates += 1;
        }
    }
    Message::Update(Update::end_of_rib(AfiSafi::IPV4_UNICAST)).encode(&ctx, &mut f.bytes);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbgp_wire::view::UpdateView;

    #[test]
    fn prefixes_are_unique_deterministic_and_mostly_24() {
        let a = prefixes(20_000, 3);
        assert_eq!(a, prefixes(20_000, 3));
        let mut s = PrefixSet::new();
        assert!(a.iter().all(|p| s.insert(u32::from(p.addr()), p.len())));
        let n24 = a.iter().filter(|p| p.len() == 24).count();
        assert!((11_000..13_500).contains(&n24), "{n24}");
        assert!(a.iter().all(|p| (8..=24).contains(&p.len())));
    }

    #[test]
    fn feed_carries_every_prefix_once_then_eor() {
        let p = prefixes(10_000, 1);
        let f = encode_feed(&p, 65001, Ipv4Addr::new(10, 99, 0, 10), 0.15, 1);
        assert_eq!(f.attr_sets, 1500);
        let ctx = Context::default();
        let mut got = PrefixSet::new();
        let mut sets = FxHashSet::default();
        let mut rest = f.bytes.as_slice();
        let mut msgs = 0;
        while !rest.is_empty() {
            let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            let (m, r) = rest.split_at(len);
            let v = UpdateView::from_message(m, &ctx).unwrap();
            for n in v.nlri() {
                let (_, p) = n.unwrap();
                assert!(got.insert(u32::from(p.addr()), p.len()));
            }
            sets.insert(v.attribute_bytes().to_vec());
            msgs += 1;
            rest = r;
        }
        assert_eq!(got.len(), 10_000);
        assert_eq!(msgs, f.updates + 1);
        // + the empty attribute field of End-of-RIB
        assert_eq!(sets.len(), 1501);
    }
}
