//! AS path and communities text as bgpdump builds it
//! (`process_attr_aspath_string`, `process_attr_community_string`), written
//! from the raw attribute value into any buffer.

use super::num_text::hi_lo_text;
use super::text::{dec_text, push_u32, Cursor, ScratchBuf, SCRATCH};
use super::text_cache::Nums;

/// `process_attr_aspath_string`: the path text stops with "..." here.
const MAX_ASPATH_LEN: usize = 8000;
/// Communities text is built in a `BUFSIZ` buffer.
const BUFSIZ: usize = 8192;

pub(super) const AS_SET: u8 = 1;
pub(super) const AS_SEQUENCE: u8 = 2;
pub(super) const AS_CONFED_SEQUENCE: u8 = 3;
pub(super) const AS_CONFED_SET: u8 = 4;

fn delim(t: u8, end: bool) -> u8 {
    match (t, end) {
        (AS_SET, false) => b'{',
        (AS_SET, true) => b'}',
        (AS_CONFED_SET, false) => b'[',
        (AS_CONFED_SET, true) => b']',
        (AS_CONFED_SEQUENCE, false) => b'(',
        (AS_CONFED_SEQUENCE, true) => b')',
        _ => b' ',
    }
}

/// What a segment of type `t` starts with: the closing bracket of the
/// segment before it (of type `prev`), a space if that one printed an ASN
/// (`space`), its own opening bracket. Up to three octets in the low
/// octets of a word, and how many.
#[inline]
fn segment_open(prev: u8, space: bool, t: u8) -> (u32, usize) {
    let (mut w, mut k) = (0u32, 0);
    if prev != AS_SEQUENCE {
        w = u32::from(delim(prev, true));
        k = 1;
    }
    if space {
        w |= u32::from(b' ') << (8 * k);
        k += 1;
    }
    if t != AS_SEQUENCE {
        w |= u32::from(delim(t, false)) << (8 * k);
        k += 1;
    }
    (w, k)
}

/// The separator between the ASNs of a segment of type `t` with `n` ASNs,
/// and what it adds to the AS count.
fn segment_kind(t: u8, n: u8) -> (u8, i64) {
    match t {
        AS_SEQUENCE | AS_CONFED_SEQUENCE => (b' ', i64::from(n)),
        _ => (b',', 1),
    }
}

/// Append the text of the AS path `data` (`four`-octet ASNs or not) to
/// `out`; the AS count bgpdump's AS4_PATH merge uses. A malformed path
/// prints "! Error !" (count 0), an overlong one ends in "...".
pub(super) fn write_aspath(out: &mut Vec<u8>, data: &[u8], four: bool) -> i64 {
    let start = out.len();
    let w = if four { 4 } else { 2 };
    let mut count = 0i64;
    let mut rest = data;
    let mut space = false;
    let mut prev = AS_SEQUENCE;
    let mut last: Option<u8> = None;
    while let [t, ref tail @ ..] = *rest {
        // A missing length octet or short segment reads past the data.
        let seg = match *tail {
            [n, ref asns @ ..] if (AS_SET..=AS_CONFED_SET).contains(&t) => {
                asns.get(..usize::from(n) * w).map(|s| (n, s, asns))
            }
            _ => None,
        };
        let Some((n, seg, asns)) = seg else {
            out.truncate(start);
            out.extend_from_slice(b"! Error !");
            return 0;
        };
        let (open, k) = segment_open(prev, space, t);
        out.extend_from_slice(open.to_le_bytes().get(..k).unwrap_or_default());
        space = false;
        let (sep, added) = segment_kind(t, n);
        count += added;
        for c in seg.chunks_exact(w) {
            if space {
                out.push(sep);
            } else {
                space = true;
            }
            let asn = match *c {
                [a, b, c, d] => u32::from_be_bytes([a, b, c, d]),
                [a, b] => u32::from(u16::from_be_bytes([a, b])),
                _ => 0,
            };
            push_u32(out, asn);
            if out.len() - start > MAX_ASPATH_LEN - 100 {
                out.extend_from_slice(b"...");
                return count;
            }
        }
        prev = t;
        last = Some(t);
        rest = asns.get(seg.len()..).unwrap_or_default();
    }
    if let Some(t) = last {
        if t != AS_SEQUENCE {
            out.push(delim(t, true));
        }
    }
    count
}

/// [`write_aspath`] for paths whose text fits in `scratch` (at most
/// [`SCRATCH`] octets): written there with [`Cursor`], then copied once.
/// Others, and malformed paths, are written the general way.
pub(super) fn write_aspath_fast(
    out: &mut Vec<u8>,
    data: &[u8],
    four: bool,
    scratch: &mut ScratchBuf,
    nums: &mut Nums,
) -> i64 {
    let mut c = Cursor::new(scratch);
    if let Some(count) = aspath_into(&mut c, data, four, nums) {
        if let Some(text) = c.text() {
            out.extend_from_slice(text);
            return count;
        }
    }
    write_aspath(out, data, four)
}

/// The text of a well-formed AS path `data` no longer than a third of the
/// buffer (the text has at most three octets per octet of the path: a
/// 2-octet ASN prints at most six, a 4-octet one eleven, a segment header
/// three, plus the last closing bracket) written by `c`; `None` for
/// anything else.
pub(crate) fn aspath_into(
    c: &mut Cursor<'_>,
    data: &[u8],
    four: bool,
    nums: &mut Nums,
) -> Option<i64> {
    if data.len() * 3 + 1 > SCRATCH {
        return None;
    }
    let mut count = 0i64;
    let mut rest = data;
    let mut space = false;
    let mut prev = AS_SEQUENCE;
    while let [t, n, ref asns @ ..] = *rest {
        if !(AS_SET..=AS_CONFED_SET).contains(&t) {
            return None;
        }
        let (seg, after) = asns.split_at_checked(usize::from(n) * if four { 4 } else { 2 })?;
        // Most paths are one AS_SEQUENCE: nothing before it.
        if prev != AS_SEQUENCE || space || t != AS_SEQUENCE {
            let (open, k) = segment_open(prev, space, t);
            c.put8(u64::from(open), k);
        }
        let (sep, added) = segment_kind(t, n);
        count += added;
        if four {
            let (asns, _) = seg.as_chunks::<4>();
            for (i, a) in asns.iter().enumerate() {
                asn_into(c, nums, i > 0, sep, u32::from_be_bytes(*a));
            }
        } else {
            let (asns, _) = seg.as_chunks::<2>();
            for (i, a) in asns.iter().enumerate() {
                asn_into(c, nums, i > 0, sep, u32::from(u16::from_be_bytes(*a)));
            }
        }
        space = n > 0;
        prev = t;
        rest = after;
    }
    // A lone type octet: the general way prints the error.
    if !rest.is_empty() {
        return None;
    }
    if prev != AS_SEQUENCE {
        c.byte(delim(prev, true));
    }
    Some(count)
}

/// The ASN `v` of a path, after `sep` unless it is the first of its
/// segment.
#[inline(always)]
fn asn_into(c: &mut Cursor<'_>, nums: &mut Nums, with_sep: bool, sep: u8, v: u32) {
    if with_sep {
        c.byte(sep);
    }
    let (w, n) = nums.asns.get(v, dec_text);
    c.put16(w, n);
}

/// [`write_communities`] for lists whose text fits in `scratch`, written
/// there with [`Cursor`] and copied once.
pub(super) fn write_communities_fast(
    out: &mut Vec<u8>,
    val: &[u8],
    scratch: &mut ScratchBuf,
    nums: &mut Nums,
) {
    let mut c = Cursor::new(scratch);
    if communities_into(&mut c, val, nums).is_none() {
        return write_communities(out, val);
    }
    match c.text() {
        Some(text) => out.extend_from_slice(text),
        None => write_communities(out, val),
    }
}

/// The text of the communities `val` written by `c`; `None` (nothing
/// written) for lists that may not fit in the buffer or may reach
/// bgpdump's cap.
pub(super) fn communities_into(c: &mut Cursor<'_>, val: &[u8], nums: &mut Nums) -> Option<()> {
    // At most 13 octets per community (" no-advertise").
    communities_list_into(c, val, nums, community_name, (u64::from(b' '), 1), 13)
}

/// The text of the communities `val` written by `c`: each one's `name`
/// or `hi:lo`, the ones after the first preceded by the separator `sep`
/// (in the low octets of a word, and its length); at most `most` octets
/// per community with its separator. `None` (nothing written) for lists
/// that may not fit in the buffer or may reach bgpdump's cap.
#[inline(always)]
pub(crate) fn communities_list_into(
    c: &mut Cursor<'_>,
    val: &[u8],
    nums: &mut Nums,
    name: impl Fn(u32) -> Option<&'static [u8]>,
    (sep, sep_len): (u64, usize),
    most: usize,
) -> Option<()> {
    let (list, _) = val.as_chunks::<4>();
    if list.len() * most > SCRATCH || list.len() * most + most >= BUFSIZ - 1 {
        return None;
    }
    for (i, v) in list.iter().enumerate() {
        let v = u32::from_be_bytes(*v);
        let (sep, n0) = if i > 0 { (sep, sep_len) } else { (0, 0) };
        c.put8(sep, n0);
        if let Some(text) = name(v) {
            for part in text.chunks(8) {
                let mut w = [0u8; 8];
                for (d, s) in w.iter_mut().zip(part) {
                    *d = *s;
                }
                c.put8(u64::from_le_bytes(w), part.len());
            }
            continue;
        }
        let (w, n) = nums.communities.get(v, hi_lo_text);
        c.put16(w, n);
    }
    Some(())
}

/// The well-known communities bgpdump names.
#[inline(always)]
fn community_name(v: u32) -> Option<&'static [u8]> {
    if v >> 8 != 0xFF_FFFF {
        return None;
    }
    match v {
        0xFFFF_FF01 => Some(b"no-export"),
        0xFFFF_FF02 => Some(b"no-advertise"),
        0xFFFF_FF03 => Some(b"local-AS"),
        _ => None,
    }
}

/// One community as bgpdump names it, without the leading space.
#[inline]
fn push_community(out: &mut Vec<u8>, v: u32) {
    match v {
        0xFFFF_FF01 => out.extend_from_slice(b"no-export"),
        0xFFFF_FF02 => out.extend_from_slice(b"no-advertise"),
        0xFFFF_FF03 => out.extend_from_slice(b"local-AS"),
        _ => {
            push_u32(out, v >> 16);
            out.push(b':');
            push_u32(out, v & 0xffff);
        }
    }
}

fn community(val: &[u8], i: usize) -> u32 {
    val.get(i * 4..i * 4 + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_be_bytes)
        .unwrap_or(0)
}

/// `process_attr_community_string` for the first `size` communities of
/// `val`: each with a leading space, capped like its `BUFSIZ` buffer.
pub(super) fn community_text(val: &[u8], size: usize, buf: &mut Vec<u8>) {
    buf.clear();
    for i in 0..size {
        let v = community(val, i);
        // The longest text, " no-advertise", has 13 octets.
        if buf.len() + 13 < BUFSIZ - 1 {
            buf.push(b' ');
            push_community(buf, v);
            continue;
        }
        let mut t = Vec::with_capacity(13);
        t.push(b' ');
        push_community(&mut t, v);
        if v >> 8 == 0xFF_FFFF && matches!(v & 0xff, 1..=3) {
            // strlcat: appended whole or not at all.
            if buf.len() + t.len() < BUFSIZ {
                buf.extend_from_slice(&t);
            }
        } else if buf.len() + 12 < BUFSIZ {
            buf.extend_from_slice(&t);
        } else {
            // snprintf: cut to what fits.
            let room = (BUFSIZ - 1).saturating_sub(buf.len());
            buf.extend_from_slice(t.get(..t.len().min(room)).unwrap_or_default());
        }
    }
}

/// The communities text of a line (bgpdump prints it from its second
/// character, after the leading space).
pub(super) fn write_communities(out: &mut Vec<u8>, val: &[u8]) {
    let size = val.len() / 4;
    if size * 13 + 13 < BUFSIZ - 1 {
        // Too short to reach the cap: written in place.
        for i in 0..size {
            if i > 0 {
                out.push(b' ');
            }
            push_community(out, community(val, i));
        }
        return;
    }
    let mut t = Vec::new();
    community_text(val, size, &mut t);
    out.extend_from_slice(t.get(1..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(data: &[u8], four: bool) -> (String, i64) {
        let mut o = b"x".to_vec();
        let n = write_aspath(&mut o, data, four);
        (String::from_utf8_lossy(&o).into_owned(), n)
    }

    #[test]
    fn aspath_text_and_errors() {
        let p = [2, 2, 0, 1, 0, 2, 1, 2, 0, 3, 0, 4, 2, 1, 0, 5];
        assert_eq!(path(&p, false), ("x1 2 {3,4} 5".into(), 4));
        assert_eq!(path(&[3, 1, 0, 0, 0, 7], true), ("x(7)".into(), 1));
        // Only what this call wrote is replaced by the error text.
        assert_eq!(path(&[9, 1, 0, 1], false), ("x! Error !".into(), 0));
        assert_eq!(path(&[2, 2, 0, 1], false), ("x! Error !".into(), 0));
        assert_eq!(path(&[2], false), ("x! Error !".into(), 0));
    }

    #[test]
    fn long_paths_end_in_dots() {
        let mut p = vec![2u8, 255];
        p.extend((0..255u32).flat_map(|_| 4_000_000_000u32.to_be_bytes()));
        let mut all = Vec::new();
        for _ in 0..4 {
            all.extend_from_slice(&p);
        }
        let (t, n) = path(&all, true);
        assert!(t.ends_with("..."), "{}", &t[t.len() - 20..]);
        // 719 ten-digit ASNs make 7908 octets, the first length past 7900.
        assert_eq!(t.len(), 1 + 7908 + 3);
        assert_eq!(n, 3 * 255);
    }

    /// Paths of every segment type, ASN size and width, and malformed
    /// ones: the scratch writer prints what the general one does.
    #[test]
    fn aspath_fast_like_general() {
        let mut scratch = [0u8; SCRATCH + 16];
        let mut nums = Nums::default();
        let mut seed = 5u64;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % m
        };
        let (mut fast, mut total) = (0, 0);
        for i in 0..20_000 {
            let four = next(2) == 0;
            let mut data = Vec::new();
            for _ in 0..next(4) {
                // Mostly valid types; 0 and 5 are not.
                let t = [2, 2, 2, 1, 3, 4, 0, 5][next(8) as usize];
                let long = next(10) == 0;
                let n = next(if long { 120 } else { 8 }) as u8;
                data.extend([t, n]);
                for _ in 0..n {
                    let asn = match next(5) {
                        0 => next(10) as u32,
                        1 => next(100_000) as u32,
                        2 => next(1 << 32) as u32,
                        3 => u32::MAX - next(3) as u32,
                        _ => next(70_000) as u32,
                    };
                    if four {
                        data.extend(asn.to_be_bytes());
                    } else {
                        data.extend((asn as u16).to_be_bytes());
                    }
                }
            }
            // Now and then cut short, or a lone octet after the segments.
            match next(12) {
                0 => data.truncate(next(data.len() as u64 + 1) as usize),
                1 => data.push(2),
                _ => {}
            }
            let mut want = b"x".to_vec();
            let n_want = write_aspath(&mut want, &data, four);
            let mut got = b"x".to_vec();
            // The number texts are shared by all paths: later ones hit.
            let n_got = write_aspath_fast(&mut got, &data, four, &mut scratch, &mut nums);
            assert_eq!(
                (String::from_utf8_lossy(&got), n_got),
                (String::from_utf8_lossy(&want), n_want),
                "{i}: {data:?}"
            );
            total += 1;
            let mut c = Cursor::new(&mut scratch);
            fast += usize::from(aspath_into(&mut c, &data, four, &mut nums).is_some());
        }
        assert!(fast > total / 2, "{fast} of {total} the fast way");
    }

    #[test]
    fn communities_fast_like_general() {
        let mut scratch = [0u8; SCRATCH + 16];
        let mut nums = Nums::default();
        let mut val = Vec::new();
        for i in 0..200u32 {
            let v = match i % 7 {
                0 => 0xFFFF_FF02,
                1 => 0xFFFF_FF01,
                2 => 0xFFFF_FF03,
                3 => 0xFFFF_FFFF,
                4 => i,
                _ => i.wrapping_mul(2_654_435_761),
            };
            val.extend(v.to_be_bytes());
        }
        for n in [0usize, 1, 2, 3, 7, 40, 76, 77, 78, 200] {
            for extra in [0usize, 1, 3] {
                let v = &val[..(n * 4 + extra).min(val.len())];
                let mut want = b"x".to_vec();
                write_communities(&mut want, v);
                // Twice: the second time from the kept number texts.
                for _ in 0..2 {
                    let mut got = b"x".to_vec();
                    write_communities_fast(&mut got, v, &mut scratch, &mut nums);
                    assert_eq!(
                        String::from_utf8_lossy(&got),
                        String::from_utf8_lossy(&want),
                        "{n}+{extra}"
                    );
                }
            }
        }
    }

    #[test]
    fn communities_in_place_and_capped_agree() {
        let mut val = Vec::new();
        for i in 0..3000u32 {
            let v = match i % 5 {
                0 => 0xFFFF_FF02,
                1 => 0xFFFF_FF01,
                _ => i * 65_599,
            };
            val.extend(v.to_be_bytes());
        }
        for n in [0usize, 1, 3, 40, 500, 620, 700, 3000] {
            let v = &val[..n * 4];
            let mut direct = Vec::new();
            write_communities(&mut direct, v);
            let mut full = Vec::new();
            community_text(v, n, &mut full);
            assert_eq!(direct, full.get(1..).unwrap_or_default(), "{n} communities");
            assert!(full.len() < BUFSIZ, "{n}: {}", full.len());
        }
        let mut o = Vec::new();
        write_communities(&mut o, &[0xff, 0xff, 0xff, 0x03, 0, 1, 0, 2, 9]);
        assert_eq!(o, b"local-AS 1:2");
    }
}
