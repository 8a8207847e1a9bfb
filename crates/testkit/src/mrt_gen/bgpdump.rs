//! Whole MRT files bgpdump 1.6.2 prints: TABLE_DUMP_V2, BGP4MP(_ET) of
//! every subtype, TABLE_DUMP and the deprecated BGP type, with damaged
//! paths and attributes; left out is what makes bgpdump loop, assert or
//! print uninitialised memory (each named where it is avoided).

use super::{attr, prefix, Gen};

/// Appends one prefix (now and then longer than its family allows).
fn prefix_bytes(g: &mut Gen, v6: bool, addpath: bool, out: &mut Vec<u8>) {
    if addpath {
        out.extend((g.below(5) as u32).to_be_bytes());
    }
    prefix(out, g, if v6 { 128 } else { 32 }, 3);
}

fn as_path(g: &mut Gen, four: bool) -> Vec<u8> {
    let mut v = Vec::new();
    let w = if four { 4 } else { 2 };
    for i in 0..1 + g.below(3) {
        // The first segment is never an empty sequence: bgpdump's AS4_PATH
        // merge loops forever on one.
        let t = if g.chance(80) {
            2
        } else {
            1 + g.below(4) as u8
        };
        let n = if i == 0 { 1 + g.below(6) } else { g.below(6) } as u8;
        v.extend([t, n]);
        for _ in 0..n {
            let a = g.asn(four);
            v.extend(&a.to_be_bytes()[4 - w..]);
        }
    }
    if g.chance(3) {
        v.push(9); // a bad segment: "! Error !"
    }
    v
}

/// Path attributes, each type at most once (bgpdump asserts on
/// duplicates), AGGREGATOR before AS4_AGGREGATOR (likewise). `rib`: for
/// a RIB entry of that family (`Some(v6)`), or for an UPDATE (`None`).
fn attributes(g: &mut Gen, four: bool, addpath: bool, rib: Option<bool>) -> Vec<u8> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let one = |g: &mut Gen, flags: u8, code: u8, value: Vec<u8>| {
        let mut a = Vec::new();
        attr(&mut a, g, flags, code, &value);
        a
    };
    if g.chance(90) {
        let o = if g.chance(95) { g.below(3) as u8 } else { 7 };
        parts.push(one(g, 0x40, 1, vec![o]));
    }
    if g.chance(90) {
        let p = as_path(g, four);
        parts.push(one(g, 0x40, 2, p));
    }
    if g.chance(70) {
        let v = g.bytes(4);
        parts.push(one(g, 0x40, 3, v));
    }
    if g.chance(40) {
        let n = if g.chance(95) { 4 } else { 2 };
        let v = g.bytes(n);
        parts.push(one(g, 0x80, 4, v));
    }
    if g.chance(40) {
        let v = g.bytes(4);
        parts.push(one(g, 0x40, 5, v));
    }
    if g.chance(15) {
        parts.push(one(g, 0x40, 6, Vec::new()));
    }
    if g.chance(40) {
        // At least one community: bgpdump prints an empty list from past
        // the end of its string (heap garbage).
        let mut c = Vec::new();
        for _ in 0..1 + g.below(8) {
            match g.below(6) {
                0 => c.extend([0xff, 0xff, 0xff, 0x01 + g.below(3) as u8]),
                _ => c.extend(g.bytes(4)),
            }
        }
        if g.chance(5) {
            c.push(1);
        }
        parts.push(one(g, 0xc0, 8, c));
    }
    if g.chance(20) {
        let v = g.bytes(12);
        parts.push(one(g, 0xc0, 32, v)); // large communities: not printed
    }
    if g.chance(20) {
        let v = g.bytes(16);
        parts.push(one(g, 0xc0, 16, v));
    }
    if g.chance(10) {
        let v = g.bytes(4);
        parts.push(one(g, 0x80, 9, v));
        let v = g.bytes(8);
        parts.push(one(g, 0x80, 10, v));
    }
    let agg = g.chance(25);
    let mut aggr = Vec::new();
    if agg {
        let a = g.asn(four);
        let w = if four { 4 } else { 2 };
        let mut v = a.to_be_bytes()[4 - w..].to_vec();
        v.extend(g.bytes(4));
        aggr = one(g, 0xc0, 7, v);
    }
    if !four && g.chance(30) {
        let p = as_path(g, true);
        parts.push(one(g, 0xc0, 17, p));
    }
    // MP_REACH / MP_UNREACH. Odd next-hop lengths only in UPDATEs: in a
    // RIB line bgpdump prints an uninitialised buffer for them.
    let odd = rib.is_none();
    let nh = |g: &mut Gen| -> Vec<u8> {
        let l = [4usize, 16, 16, 32, if odd { 12 } else { 16 }][g.below(5) as usize];
        let mut v = vec![l as u8];
        v.extend(g.bytes(l));
        v
    };
    match rib {
        Some(_) => {
            if g.chance(80) {
                // RFC 6396 §4.3.4 abbreviated form (mostly) or the full one.
                let mut v = nh(g);
                if g.chance(10) {
                    let mut full = vec![0, 2, 1];
                    full.extend(v);
                    full.push(0);
                    v = full;
                }
                parts.push(one(g, 0x80, 14, v));
            }
        }
        None => {
            if g.chance(40) {
                let afi = [1u16, 2, 2, 3][g.below(4) as usize];
                let safi = [1u8, 1, 2, 3][g.below(4) as usize];
                let mut v = afi.to_be_bytes().to_vec();
                v.push(safi);
                v.extend(nh(g));
                v.push(0);
                for _ in 0..g.below(6) {
                    prefix_bytes(g, afi == 2, addpath, &mut v);
                }
                parts.push(one(g, 0x80, 14, v));
            }
            if g.chance(30) {
                let afi = [1u16, 2, 2][g.below(3) as usize];
                let safi = [1u8, 1, 2][g.below(3) as usize];
                let mut v = afi.to_be_bytes().to_vec();
                v.push(safi);
                for _ in 0..g.below(6) {
                    prefix_bytes(g, afi == 2, addpath, &mut v);
                }
                parts.push(one(g, 0x80, 15, v));
            }
        }
    }
    // Shuffle, then put AGGREGATOR first and AS4_AGGREGATOR last.
    for i in (1..parts.len()).rev() {
        let j = g.below(i as u64 + 1) as usize;
        parts.swap(i, j);
    }
    let mut out = aggr;
    for p in parts {
        out.extend(p);
    }
    if agg && !four && g.chance(50) {
        let mut v = g.asn(true).to_be_bytes().to_vec();
        v.extend(g.bytes(4));
        attr(&mut out, g, 0xc0, 18, &v);
    }
    if g.chance(2) {
        out.extend([0x40, 99, 200]); // overruns the field: "truncated"
    }
    out
}

/// Attribute lists seen before, by how they were made.
type Seen = std::collections::HashMap<(bool, bool, Option<bool>), Vec<u8>>;

/// [`attributes`], or often the previous list made the same way again:
/// real files repeat attribute sets, and the formatter caches their text.
fn attributes_again(
    g: &mut Gen,
    seen: &mut Seen,
    four: bool,
    addpath: bool,
    rib: Option<bool>,
) -> Vec<u8> {
    let k = (four, addpath, rib);
    match seen.get(&k) {
        Some(a) if g.chance(40) => a.clone(),
        _ => {
            let a = attributes(g, four, addpath, rib);
            seen.insert(k, a.clone());
            a
        }
    }
}

/// Appends one MRT record (RFC 6396 §2; with `us`, the `_ET` form).
fn record(out: &mut Vec<u8>, ts: u32, t: u16, st: u16, us: Option<u32>, body: &[u8]) {
    out.extend(ts.to_be_bytes());
    out.extend(t.to_be_bytes());
    out.extend(st.to_be_bytes());
    out.extend(((body.len() + us.map_or(0, |_| 4)) as u32).to_be_bytes());
    if let Some(us) = us {
        out.extend(us.to_be_bytes());
    }
    out.extend_from_slice(body);
}

/// The start of a BGP4MP body (RFC 6396 §4.4): peer and local AS (2 or 4
/// octets), interface index 0, address family, peer and local address.
fn bgp4mp_peers(g: &mut Gen, four: bool, v6: bool) -> Vec<u8> {
    let w = if four { 4 } else { 2 };
    let mut b = Vec::new();
    b.extend(&g.asn(four).to_be_bytes()[4 - w..]);
    b.extend(&g.asn(four).to_be_bytes()[4 - w..]);
    b.extend([0, 0, 0, if v6 { 2 } else { 1 }]);
    b.extend(g.bytes(if v6 { 32 } else { 8 }));
    b
}

/// One MRT file made from `seed`: a peer table and 60 RIB records, 150
/// BGP4MP(_ET) messages and state changes, 20 TABLE_DUMP records and 20
/// of the deprecated BGP type.
pub fn file(seed: u64) -> Vec<u8> {
    let mut g = Gen(seed | 1);
    let mut seen = Seen::new();
    let mut f = Vec::new();
    // TABLE_DUMP_V2: a peer table, then RIB records.
    let npeers = 1 + g.below(6) as u16;
    let mut t = vec![192, 0, 2, 1, 0, 0];
    t.extend(npeers.to_be_bytes());
    for _ in 0..npeers {
        let pt = g.below(4) as u8;
        t.push(pt);
        t.extend(g.bytes(4));
        t.extend(g.bytes(if pt & 1 != 0 { 16 } else { 4 }));
        t.extend(g.bytes(if pt & 2 != 0 { 4 } else { 2 }));
    }
    record(&mut f, 1000, 13, 1, None, &t);
    for i in 0..60u32 {
        let st = [2u16, 4, 8, 10][g.below(4) as usize];
        let v6 = st == 4 || st == 10;
        let ap = st >= 8;
        let mut b = i.to_be_bytes().to_vec();
        prefix_bytes(&mut g, v6, false, &mut b);
        let n = g.below(4) as u16;
        b.extend(n.to_be_bytes());
        for _ in 0..n {
            b.extend((g.below(u64::from(npeers)) as u16).to_be_bytes());
            b.extend(g.bytes(4));
            if ap {
                b.extend(g.bytes(4));
            }
            let a = attributes_again(&mut g, &mut seen, true, ap, Some(v6));
            b.extend((a.len() as u16).to_be_bytes());
            b.extend(a);
        }
        record(&mut f, 1001, 13, st, None, &b);
    }
    // BGP4MP(_ET) messages and state changes.
    for _ in 0..150 {
        let et = g.chance(30);
        let (t, us) = if et {
            (17u16, Some(g.below(2_000_000) as u32))
        } else {
            (16, None)
        };
        let v6 = g.chance(40);
        if g.chance(10) {
            let four = g.chance(50);
            let mut b = bgp4mp_peers(&mut g, four, v6);
            b.extend((g.below(9) as u16).to_be_bytes());
            b.extend((g.below(9) as u16).to_be_bytes());
            record(&mut f, 2000, t, if four { 5 } else { 0 }, us, &b);
            continue;
        }
        let st = [1u16, 4, 6, 7, 8, 9, 10, 11][g.below(8) as usize];
        let four = matches!(st, 4 | 7 | 9 | 11);
        let ap = st >= 8;
        let mut b = bgp4mp_peers(&mut g, four, v6);
        let mut body = Vec::new();
        let mut wd = Vec::new();
        for _ in 0..g.below(4) {
            prefix_bytes(&mut g, false, ap, &mut wd);
        }
        body.extend((wd.len() as u16).to_be_bytes());
        body.extend(wd);
        let at = attributes_again(&mut g, &mut seen, four, ap, None);
        body.extend((at.len() as u16).to_be_bytes());
        body.extend(at);
        for _ in 0..g.below(5) {
            prefix_bytes(&mut g, false, ap, &mut body);
        }
        let kind = if g.chance(90) { 2u8 } else { 4 };
        let body = if kind == 2 { body } else { Vec::new() };
        b.extend([0xff; 16]);
        b.extend(((19 + body.len()) as u16).to_be_bytes());
        b.push(kind);
        b.extend(body);
        record(&mut f, 3000, t, st, us, &b);
    }
    // TABLE_DUMP (v1) and the deprecated BGP type.
    for i in 0..20u16 {
        let v6 = g.chance(30);
        let a = if v6 { 16 } else { 4 };
        let mut b = vec![0, 0];
        b.extend(i.to_be_bytes());
        b.extend(g.bytes(a));
        b.push(g.below(if v6 { 129 } else { 33 }) as u8);
        b.push(1);
        b.extend(g.bytes(4));
        b.extend(g.bytes(a));
        b.extend(g.bytes(2));
        let at = attributes_again(&mut g, &mut seen, false, false, Some(v6));
        b.extend((at.len() as u16).to_be_bytes());
        b.extend(at);
        record(&mut f, 4000, 12, if v6 { 2 } else { 1 }, None, &b);
    }
    for _ in 0..20 {
        let mut b = g.bytes(12);
        if g.chance(20) {
            b.extend((g.below(7) as u16).to_be_bytes());
            b.extend((g.below(7) as u16).to_be_bytes());
            record(&mut f, 5000, 5, 3, None, &b[..10]);
            continue;
        }
        let mut wd = Vec::new();
        for _ in 0..g.below(3) {
            prefix_bytes(&mut g, false, false, &mut wd);
        }
        b.extend((wd.len() as u16).to_be_bytes());
        b.extend(wd);
        let at = attributes(&mut g, false, false, None);
        b.extend((at.len() as u16).to_be_bytes());
        b.extend(at);
        for _ in 0..g.below(4) {
            prefix_bytes(&mut g, false, false, &mut b);
        }
        record(&mut f, 5000, 5, 1, None, &b);
    }
    f
}
