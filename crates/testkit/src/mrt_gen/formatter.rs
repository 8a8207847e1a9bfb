//! Attribute lists and NLRI of every kind the bgpdump formatter may meet,
//! for rbgp-mrt's tests of its direct paths against its long way.

use super::{attr, prefix, Gen};

/// Prefixes of a family (lengths past its maximum now and then).
pub fn nlri(g: &mut Gen, v6: bool, addpath: bool, count: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let max = if v6 { 128 } else { 32 };
    for _ in 0..count {
        if addpath {
            out.extend((g.below(70_000) as u32).to_be_bytes());
        }
        prefix(&mut out, g, max, 2);
    }
    if g.chance(2) {
        out.push(24); // cut short
    }
    out
}

fn as_path(g: &mut Gen, four: bool) -> Vec<u8> {
    let mut v = Vec::new();
    let w = if four { 4 } else { 2 };
    for _ in 0..g.below(4) {
        let t = if g.chance(75) {
            2
        } else {
            1 + g.below(4) as u8
        };
        let most = if g.chance(3) { 256 } else { 8 };
        let n = g.below(most) as u8;
        v.extend([t, n]);
        for _ in 0..n {
            v.extend(&g.num(four).to_be_bytes()[4 - w..]);
        }
    }
    if g.chance(3) {
        v.push(9); // a bad segment
    }
    v
}

fn mp_reach(g: &mut Gen, addpath: bool) -> Vec<u8> {
    let afi = [1u16, 2, 2, 2, 0, 3][g.below(6) as usize];
    let safi = [1u8, 1, 1, 2, 3, 4][g.below(6) as usize];
    let nh = [4usize, 16, 16, 32, 12][g.below(5) as usize];
    if g.chance(10) {
        // RFC 6396 §4.3.4 abbreviated form.
        let mut v = vec![nh as u8];
        v.extend(g.bytes(nh));
        return v;
    }
    let mut v = afi.to_be_bytes().to_vec();
    v.push(safi);
    v.push(nh as u8);
    v.extend(g.bytes(nh));
    v.push(if g.chance(5) { 1 } else { 0 });
    let n = g.below(5);
    v.extend(nlri(g, afi == 2, addpath, n));
    v
}

fn mp_unreach(g: &mut Gen, addpath: bool) -> Vec<u8> {
    let afi = [1u16, 2, 2, 0][g.below(4) as usize];
    let safi = [1u8, 1, 2, 5][g.below(4) as usize];
    let mut v = afi.to_be_bytes().to_vec();
    v.push(safi);
    let n = g.below(5);
    v.extend(nlri(g, afi == 2, addpath, n));
    v
}

/// One attribute list, in random order, most types at most once.
pub fn attributes(g: &mut Gen, four: bool, addpath: bool) -> Vec<u8> {
    let mut parts: Vec<(u8, u8, Vec<u8>)> = Vec::new();
    let w = if four { 4 } else { 2 };
    let fixed = |g: &mut Gen, n: usize| {
        // Short values now and then: read with zero padding.
        let n = if g.chance(5) {
            g.below(n as u64) as usize
        } else {
            n
        };
        g.bytes(n)
    };
    if g.chance(90) {
        let o = if g.chance(95) { g.below(3) as u8 } else { 7 };
        parts.push((0x40, 1, vec![o]));
    }
    if g.chance(90) {
        parts.push((0x40, 2, as_path(g, four)));
    }
    if g.chance(70) {
        let v = fixed(g, 4);
        parts.push((0x40, 3, v));
    }
    if g.chance(40) {
        let v = fixed(g, 4);
        parts.push((0x80, 4, v));
    }
    if g.chance(40) {
        let v = fixed(g, 4);
        parts.push((0x40, 5, v));
    }
    if g.chance(15) {
        parts.push((0x40, 6, Vec::new()));
    }
    if g.chance(25) {
        let mut v = fixed(g, w + 4);
        if g.chance(10) && v.len() == w + 4 {
            v[w..].copy_from_slice(&[255; 4]);
        }
        parts.push((0xc0, 7, v));
    }
    if g.chance(50) {
        let n = if g.chance(3) {
            590 + g.below(60)
        } else {
            g.below(12)
        };
        let mut c = Vec::new();
        for _ in 0..n {
            match g.below(6) {
                0 => c.extend([0xff, 0xff, 0xff, 1 + g.below(3) as u8]),
                _ => c.extend(g.bytes(4)),
            }
        }
        if g.chance(5) {
            c.push(1);
        }
        parts.push((0xc0, 8, c));
    }
    if g.chance(20) {
        let v = g.bytes(16);
        parts.push((0xc0, 16, v));
    }
    if g.chance(40) {
        parts.push((0x80, 14, mp_reach(g, addpath)));
    }
    if g.chance(30) {
        parts.push((0x80, 15, mp_unreach(g, addpath)));
    }
    if g.chance(if four { 20 } else { 5 }) {
        parts.push((0xc0, 17, as_path(g, true)));
    }
    if g.chance(5) {
        let v = g.bytes(8);
        parts.push((0xc0, 18, v));
    }
    if g.chance(4) && !parts.is_empty() {
        let again = parts[g.below(parts.len() as u64) as usize].clone();
        parts.push(again);
    }
    for i in (1..parts.len()).rev() {
        let j = g.below(i as u64 + 1) as usize;
        parts.swap(i, j);
    }
    let mut out = Vec::new();
    for (f, t, v) in parts {
        attr(&mut out, g, f, t, &v);
    }
    if g.chance(2) {
        out.extend([0x40, 99, 200]); // overruns the field: "truncated"
    }
    out
}
