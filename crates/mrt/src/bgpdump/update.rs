//! BGP4MP UPDATE lines written straight from the message bytes: the
//! attributes read in place ([`Plain`]), the text after the prefix made
//! once per NLRI field, and each prefix formatted as the NLRI is walked,
//! with no intermediate prefix list.
//!
//! Only plain messages go this way: whole fields, prefixes no longer than
//! their family allows, whole ADD-PATH ids. On anything else the lines
//! written so far are dropped and the caller formats the message the long
//! way, which imitates bgpdump's handling of damaged data.

use super::plain::Plain;
use super::text::{push_slash_len, push_u32, push_v4_prefix, push_v6};
use super::{Formatter, Line, MAX_PREFIXES};

/// A field preceded by its 2-octet length, and what follows it.
fn split_field(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let [h, l, ref rest @ ..] = *b else {
        return None;
    };
    let n = usize::from(u16::from_be_bytes([h, l]));
    Some((rest.get(..n)?, rest.get(n..)?))
}

/// One line per prefix of the NLRI field `nlri`: the head of the line,
/// the prefix (and path id), the rest of the line. `joint` is the rest
/// followed by the head (the rest starting at `head_at`): the text between
/// two prefixes, copied once per line. False if the field is not a list
/// of whole prefixes.
fn nlri_lines(
    nlri: &[u8],
    v6: bool,
    addpath: bool,
    joint: &[u8],
    head_at: usize,
    out: &mut Vec<u8>,
) -> bool {
    let (rest, head) = joint.split_at(head_at.min(joint.len()));
    let max = if v6 { 128 } else { 32 };
    let mut b = nlri;
    let mut n = 0usize;
    while !b.is_empty() {
        let (id, after) = match (addpath, b) {
            (false, _) => (0, b),
            (true, &[p0, p1, p2, p3, ref after @ ..]) => {
                (u32::from_be_bytes([p0, p1, p2, p3]), after)
            }
            _ => return false,
        };
        let [len, ref after @ ..] = *after else {
            return false;
        };
        let nb = usize::from(len).div_ceil(8);
        if len > max || after.len() < nb {
            return false;
        }
        n += 1;
        // bgpdump reads past the limit but prints no more.
        if n <= MAX_PREFIXES {
            out.extend_from_slice(if n == 1 { head } else { joint });
            // The prefix octets as they are (bits past the length within
            // the last octet included, as bgpdump prints them).
            if v6 {
                push_v6(out, &v6_octets(after, nb));
                push_slash_len(out, len);
            } else {
                push_v4_prefix(out, v4_octets(after, nb), len);
            }
            if addpath {
                out.push(b'|');
                push_u32(out, id);
            }
        }
        b = after.get(nb..).unwrap_or_default();
    }
    if n > 0 {
        out.extend_from_slice(rest);
    }
    true
}

/// The first `nb` (at most 4) octets of `b`, zero after them: one load
/// masked when the data reaches that far.
#[inline]
fn v4_octets(b: &[u8], nb: usize) -> [u8; 4] {
    let keep = !u32::MAX.checked_shr(8 * nb as u32).unwrap_or(0);
    match b.get(..4).map(<[u8; 4]>::try_from) {
        Some(Ok(w)) => (u32::from_be_bytes(w) & keep).to_be_bytes(),
        _ => short_octets(b, nb),
    }
}

/// [`v4_octets`] for IPv6 (`nb` at most 16).
#[inline]
fn v6_octets(b: &[u8], nb: usize) -> [u8; 16] {
    let keep = !u128::MAX.checked_shr(8 * nb as u32).unwrap_or(0);
    match b.get(..16).map(<[u8; 16]>::try_from) {
        Some(Ok(w)) => (u128::from_be_bytes(w) & keep).to_be_bytes(),
        _ => short_octets(b, nb),
    }
}

/// The first `nb` octets of `b` near the end of the data.
fn short_octets<const N: usize>(b: &[u8], nb: usize) -> [u8; N] {
    let mut a = [0u8; N];
    for (d, s) in a.iter_mut().zip(b.iter().take(nb)) {
        *d = *s;
    }
    a
}

impl Formatter {
    /// The lines of an UPDATE (`msg`: the message after its type octet)
    /// written from its bytes. False, with nothing written, when the
    /// message needs the long way.
    pub(super) fn update_fast(
        &mut self,
        c: &Line<'_>,
        msg: &[u8],
        four: bool,
        out: &mut Vec<u8>,
    ) -> bool {
        let Some((withdrawn, rest)) = split_field(msg) else {
            return false;
        };
        let Some((attrs, nlri)) = split_field(rest) else {
            return false;
        };
        let mut p = Plain::new(four);
        if p.read(attrs).is_none() {
            return false;
        }
        if p.reach.is_some_and(|r| r.abbreviated) {
            return false;
        }
        let mark = out.len();
        if self.update_lines(c, &p, withdrawn, nlri, out) {
            return true;
        }
        out.truncate(mark);
        false
    }

    /// Withdrawals, then announcements, classic NLRI before MP, as bgpdump
    /// prints them.
    fn update_lines(
        &mut self,
        c: &Line<'_>,
        p: &Plain<'_>,
        withdrawn: &[u8],
        nlri: &[u8],
        out: &mut Vec<u8>,
    ) -> bool {
        // The rest of a line, then the head of the next (see `nlri_lines`).
        let mut joint = std::mem::take(&mut self.tailbuf);
        let mut ok = true;
        if !withdrawn.is_empty() {
            joint.clear();
            joint.push(b'\n');
            self.line_head(c, b"W", false, &mut joint);
            ok &= nlri_lines(withdrawn, false, c.addpath, &joint, 1, out);
        }
        if let Some(u) = p.unreach.filter(|u| ok && !u.nlri.is_empty()) {
            let v6 = u.afi == 2;
            joint.clear();
            joint.push(b'\n');
            // table_line_withdraw6 prints a "sent" IPv4 peer as IPv6.
            self.line_head(c, b"W", v6 && c.sent, &mut joint);
            ok &= nlri_lines(u.nlri, v6, c.addpath, &joint, 1, out);
        }
        if ok && !nlri.is_empty() {
            joint.clear();
            p.classic_rest(&mut self.texts, &mut joint);
            let at = joint.len();
            self.line_head(c, b"A", false, &mut joint);
            ok &= nlri_lines(nlri, false, c.addpath, &joint, at, out);
        }
        if let Some(r) = p.reach.filter(|r| ok && !r.nlri.is_empty()) {
            joint.clear();
            p.mp_rest(&mut self.texts, &r, &mut joint);
            let at = joint.len();
            self.line_head(c, b"A", false, &mut joint);
            ok &= nlri_lines(r.nlri, r.afi == 2, c.addpath, &joint, at, out);
        }
        self.tailbuf = joint;
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_gen::{attributes, nlri, Gen};
    use super::super::Ms;
    use super::*;

    fn field(b: &[u8]) -> Vec<u8> {
        let mut v = (b.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(b);
        v
    }

    /// Every UPDATE the direct path takes prints what the long way
    /// (checked against bgpdump itself by the CLI tests) prints.
    #[test]
    fn same_lines_as_the_long_way() {
        let mut g = Gen(11);
        let (mut fast, mut lines) = (0, 0);
        let (mut direct, mut long) = (Formatter::new(), Formatter::new());
        for i in 0..4000 {
            let (four, addpath) = (g.chance(50), g.chance(20));
            let n = g.below(3);
            let withdrawn = nlri(&mut g, false, addpath, n);
            let attrs = attributes(&mut g, four, addpath);
            let n = g.below(4);
            let announced = nlri(&mut g, false, addpath, n);
            let msg = [field(&withdrawn), field(&attrs), announced].concat();
            let start = b"BGP4MP|1|".to_vec();
            let c = Line {
                start: &start,
                peer_v6: g.chance(30),
                peer_ip: [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9],
                peer_as: 65_000,
                sent: g.chance(30),
                addpath,
            };
            let mut a = b"x".to_vec();
            if !direct.update_fast(&c, &msg, four, &mut a) {
                assert_eq!(a, b"x", "{i}: nothing written");
                continue;
            }
            fast += 1;
            let mut b = b"x".to_vec();
            long.update_slow(&c, &mut Ms::new(&msg), four, &mut b);
            lines += b.iter().filter(|c| **c == b'\n').count();
            assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b),
                "{i}"
            );
        }
        assert!(fast > 1500 && lines > 5000, "{fast} direct, {lines} lines");
    }

    #[test]
    fn prefix_octets_are_cut_to_their_length() {
        let b = [10, 1, 2, 3, 4, 5];
        assert_eq!(v4_octets(&b, 2), [10, 1, 0, 0]);
        assert_eq!(v4_octets(&b[..2], 2), [10, 1, 0, 0]);
        assert_eq!(v4_octets(&b, 0), [0; 4]);
        assert_eq!(v4_octets(&b, 4), [10, 1, 2, 3]);
        assert_eq!(v6_octets(&b, 6)[..7], [10, 1, 2, 3, 4, 5, 0]);
        let full: Vec<u8> = (1..=16).collect();
        assert_eq!(v6_octets(&full, 16).to_vec(), full);
        assert_eq!(v6_octets(&full, 1)[..2], [1, 0]);
    }

    #[test]
    fn nlri_lines_or_false_for_damaged_fields() {
        let mut out = Vec::new();
        let nlri = [24, 192, 0, 2, 0];
        assert!(nlri_lines(&nlri, false, false, b"|r\nh|", 3, &mut out));
        assert_eq!(out, b"h|192.0.2.0/24|r\nh|0.0.0.0/0|r\n");
        out.clear();
        let with_id = [0, 0, 0, 7, 8, 10];
        assert!(nlri_lines(&with_id, false, true, b"\n", 1, &mut out));
        assert_eq!(out, b"10.0.0.0/8|7\n");
        for bad in [&[24, 192, 0][..], &[33, 1, 2, 3, 4, 5], &[8]] {
            assert!(!nlri_lines(bad, false, false, b"\n", 1, &mut out));
        }
        // A path id cut short.
        assert!(!nlri_lines(&[0, 0, 7], false, true, b"\n", 1, &mut out));
        // IPv6 lengths up to 128.
        assert!(nlri_lines(&[128; 17], true, false, b"\n", 1, &mut out));
        assert!(!nlri_lines(&[129; 18], true, false, b"\n", 1, &mut out));
    }
}
