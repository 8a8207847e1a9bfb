//! AS path and communities text as bgpdump builds it
//! (`process_attr_aspath_string`, `process_attr_community_string`), written
//! from the raw attribute value into any buffer.

use super::text::push_u32;

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
        if prev != AS_SEQUENCE {
            out.push(delim(prev, true));
        }
        if space {
            out.push(b' ');
        }
        if t != AS_SEQUENCE {
            out.push(delim(t, false));
        }
        space = false;
        count += match t {
            AS_SEQUENCE | AS_CONFED_SEQUENCE => i64::from(n),
            _ => 1,
        };
        let sep = if t == AS_SET || t == AS_CONFED_SET {
            b','
        } else {
            b' '
        };
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
