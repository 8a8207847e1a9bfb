//! BGP4MP UPDATE lines written straight from the message bytes: the
//! attributes read in place ([`Plain`]), the text after the prefix made
//! once per NLRI field, and each prefix formatted as the NLRI is walked,
//! with no intermediate prefix list.
//!
//! Only plain messages go this way: whole fields, prefixes no longer than
//! their family allows, whole ADD-PATH ids. On anything else the lines
//! written so far are dropped and the caller formats the message the long
//! way, which imitates bgpdump's handling of damaged data.

use super::addr_text::AddrTexts;
use super::plain::Plain;
use super::prefix_text::PrefixTexts;
use super::text::{push_u32, push_v4_prefix};
use super::text_cache::ValueTexts;
use super::{line_head, Formatter, Line, MAX_PREFIXES};

/// A field preceded by its 2-octet length, and what follows it.
fn split_field(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let [h, l, ref rest @ ..] = *b else {
        return None;
    };
    let n = usize::from(u16::from_be_bytes([h, l]));
    Some((rest.get(..n)?, rest.get(n..)?))
}

/// The path id (0 without ADD-PATH) and length of the prefix at the
/// start of `b`, its octets and what follows them; `None` if it is not
/// whole or too long for its family.
#[inline]
pub(crate) fn next_prefix(b: &[u8], v6: bool, addpath: bool) -> Option<(u32, u8, &[u8], &[u8])> {
    let (id, after) = match (addpath, b) {
        (false, _) => (0, b),
        (true, &[p0, p1, p2, p3, ref after @ ..]) => (u32::from_be_bytes([p0, p1, p2, p3]), after),
        _ => return None,
    };
    let [len, ref after @ ..] = *after else {
        return None;
    };
    let nb = usize::from(len).div_ceil(8);
    if len > if v6 { 128 } else { 32 } {
        return None;
    }
    let (octets, next) = after.split_at_checked(nb)?;
    Some((id, len, octets, next))
}

/// The prefix (and path id) of a line. Without `MASKED` the octets as
/// they are (bits past the length within the last octet included, as
/// bgpdump prints them) and the path id after a bar; with it the prefix
/// as the typed decoder reads it (host bits cleared) and no path id.
/// Inlined into each line's loop: a call per line costs a fifth of it.
#[inline(always)]
pub(crate) fn push_prefix<const MASKED: bool>(
    out: &mut Vec<u8>,
    v6_texts: &mut PrefixTexts,
    v6: bool,
    addpath: bool,
    (id, len, octets): (u32, u8, &[u8]),
) {
    let nb = octets.len();
    if v6 {
        let mut a = v6_octets(octets, nb);
        if MASKED {
            let keep = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            a = (u128::from_be_bytes(a) & keep).to_be_bytes();
        }
        v6_texts.push(out, &a, len);
    } else {
        let mut a = v4_octets(octets, nb);
        if MASKED {
            let keep = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            a = (u32::from_be_bytes(a) & keep).to_be_bytes();
        }
        push_v4_prefix(out, a, len);
    }
    if addpath && !MASKED {
        out.push(b'|');
        push_u32(out, id);
    }
}

/// One line per prefix of the NLRI field `nlri` (not empty): the head of
/// the line (already in `out`, from `head_at` on), the prefix (see
/// [`push_prefix`] for `MASKED`), the rest of the line (`rest` writes it,
/// once, into the first line). The second line copies the first line's
/// head; from the third on each copies `joint`, the rest and head between
/// two prefixes (taken from the first two lines). Without `MASKED`, no
/// line past bgpdump's limit of [`MAX_PREFIXES`]. False if the field is
/// not a list of whole prefixes.
pub(crate) fn nlri_lines<const MASKED: bool>(
    nlri: &[u8],
    v6: bool,
    addpath: bool,
    head_at: usize,
    out: &mut Vec<u8>,
    bufs: &mut LineBufs,
    rest: &mut dyn FnMut(&mut Vec<u8>),
) -> bool {
    let LineBufs { joint, v6_texts } = bufs;
    let (h0, hlen) = (head_at, out.len().saturating_sub(head_at));
    let Some((id, len, octets, mut b)) = next_prefix(nlri, v6, addpath) else {
        return false;
    };
    push_prefix::<MASKED>(out, v6_texts, v6, addpath, (id, len, octets));
    let r0 = out.len();
    rest(out);
    let rlen = out.len() - r0;
    if b.is_empty() {
        return true;
    }
    let Some((id, len, octets, next)) = next_prefix(b, v6, addpath) else {
        return false;
    };
    out.extend_from_within(h0..h0 + hlen);
    push_prefix::<MASKED>(out, v6_texts, v6, addpath, (id, len, octets));
    b = next;
    joint.clear();
    joint.extend_from_slice(out.get(r0..r0 + rlen + hlen).unwrap_or_default());
    let mut n = 2usize;
    while !b.is_empty() {
        let Some((id, len, octets, next)) = next_prefix(b, v6, addpath) else {
            return false;
        };
        n += 1;
        // bgpdump reads past the limit but prints no more.
        if MASKED || n <= MAX_PREFIXES {
            out.extend_from_slice(joint);
            push_prefix::<MASKED>(out, v6_texts, v6, addpath, (id, len, octets));
        }
        b = next;
    }
    out.extend_from_slice(joint.get(..rlen).unwrap_or_default());
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

/// The Formatter's parts the direct path writes with (borrowed apart
/// from the line start that [`Line`] holds).
pub(super) struct Direct<'f> {
    pub addrs: &'f mut AddrTexts,
    pub texts: &'f mut ValueTexts,
    pub lines: &'f mut LineBufs,
}

/// What the lines of an NLRI field are made with besides the output.
#[derive(Default)]
pub(crate) struct LineBufs {
    /// Scratch: the rest of one line and the head of the next.
    joint: Vec<u8>,
    /// IPv6 prefix texts.
    pub v6_texts: PrefixTexts,
}

impl LineBufs {
    /// IPv6 prefixes as Rust prints them if `std`, else as bgpdump does.
    pub(crate) fn new(std: bool) -> Self {
        LineBufs {
            joint: Vec::new(),
            v6_texts: PrefixTexts::new(std),
        }
    }
}

impl Formatter {
    /// [`update_fast`] with this formatter's caches.
    pub(super) fn update_fast(
        &mut self,
        c: &Line<'_>,
        msg: &[u8],
        four: bool,
        out: &mut Vec<u8>,
    ) -> bool {
        let w = Direct {
            addrs: &mut self.addrs,
            texts: &mut self.texts,
            lines: &mut self.lines,
        };
        update_fast(w, c, msg, four, out)
    }
}

/// The lines of an UPDATE (`msg`: the message after its type octet)
/// written from its bytes. False, with nothing written, when the message
/// needs the long way.
pub(super) fn update_fast(
    w: Direct<'_>,
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
    if update_lines(w, c, &p, withdrawn, nlri, out) {
        return true;
    }
    out.truncate(mark);
    false
}

/// Withdrawals, then announcements, classic NLRI before MP, as bgpdump
/// prints them.
fn update_lines(
    w: Direct<'_>,
    c: &Line<'_>,
    p: &Plain<'_>,
    withdrawn: &[u8],
    nlri: &[u8],
    out: &mut Vec<u8>,
) -> bool {
    let Direct {
        addrs,
        texts,
        lines,
    } = w;
    let newline = &mut |o: &mut Vec<u8>| o.push(b'\n');
    if !withdrawn.is_empty() {
        let at = out.len();
        line_head(addrs, c, b'W', false, out);
        if !nlri_lines::<false>(withdrawn, false, c.addpath, at, out, lines, newline) {
            return false;
        }
    }
    if let Some(u) = p.unreach.filter(|u| !u.nlri.is_empty()) {
        let v6 = u.afi == 2;
        let at = out.len();
        // table_line_withdraw6 prints a "sent" IPv4 peer as IPv6.
        line_head(addrs, c, b'W', v6 && c.sent, out);
        if !nlri_lines::<false>(u.nlri, v6, c.addpath, at, out, lines, newline) {
            return false;
        }
    }
    if !nlri.is_empty() {
        let at = out.len();
        line_head(addrs, c, b'A', false, out);
        let rest = &mut |o: &mut Vec<u8>| p.classic_rest(texts, o);
        if !nlri_lines::<false>(nlri, false, c.addpath, at, out, lines, rest) {
            return false;
        }
    }
    if let Some(r) = p.reach.filter(|r| !r.nlri.is_empty()) {
        let at = out.len();
        line_head(addrs, c, b'A', false, out);
        let rest = &mut |o: &mut Vec<u8>| p.mp_rest(texts, &r, o);
        return nlri_lines::<false>(r.nlri, r.afi == 2, c.addpath, at, out, lines, rest);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::Ms;
    use super::*;
    use rbgp_testkit::mrt_gen::formatter::{attributes, nlri};
    use rbgp_testkit::mrt_gen::Gen;

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

    /// `nlri_lines` with the head "h|" and the rest "|r\n", or `None`.
    fn lines(nlri: &[u8], v6: bool, addpath: bool) -> Option<String> {
        let mut out = b"xh|".to_vec();
        let rest = &mut |o: &mut Vec<u8>| o.extend_from_slice(b"|r\n");
        nlri_lines::<false>(
            nlri,
            v6,
            addpath,
            1,
            &mut out,
            &mut LineBufs::default(),
            rest,
        )
        .then(|| String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn nlri_lines_or_false_for_damaged_fields() {
        let one = [24, 192, 0, 2];
        assert_eq!(lines(&one, false, false).unwrap(), "xh|192.0.2.0/24|r\n");
        // Later lines copy the head and rest of the first (the second its
        // head alone, the third on the rest and head between them).
        let four = [24, 192, 0, 2, 0, 8, 10, 16, 172, 16, 32, 1, 2, 3, 4];
        assert_eq!(
            lines(&four, false, false).unwrap(),
            "xh|192.0.2.0/24|r\nh|0.0.0.0/0|r\nh|10.0.0.0/8|r\nh|172.16.0.0/16|r\nh|1.2.3.4/32|r\n"
        );
        let with_id = [0, 0, 0, 7, 8, 10, 0, 0, 0, 9, 8, 11];
        assert_eq!(
            lines(&with_id, false, true).unwrap(),
            "xh|10.0.0.0/8|7|r\nh|11.0.0.0/8|9|r\n"
        );
        for bad in [
            &[24, 192, 0][..],
            &[33, 1, 2, 3, 4, 5],
            &[8],
            &[8, 10, 24, 1],
        ] {
            assert_eq!(lines(bad, false, false), None);
        }
        // A path id cut short.
        assert_eq!(lines(&[0, 0, 7], false, true), None);
        // IPv6 lengths up to 128.
        assert!(lines(&[128; 17], true, false).is_some());
        assert_eq!(lines(&[129; 18], true, false), None);
        let v6 = [32, 32, 1, 13, 184, 48, 32, 1, 13, 184, 0, 1];
        assert_eq!(
            lines(&v6, true, false).unwrap(),
            "xh|2001:db8::/32|r\nh|2001:db8:1::/48|r\n"
        );
    }

    /// Past `MAX_PREFIXES` prefixes are read but print no line; the last
    /// printed line still ends with the rest.
    #[test]
    fn no_lines_past_the_limit() {
        let nlri: Vec<u8> = (0..MAX_PREFIXES + 3)
            .flat_map(|i| [16, (i >> 8) as u8, i as u8])
            .collect();
        let text = lines(&nlri, false, false).unwrap();
        assert_eq!(text.lines().count(), MAX_PREFIXES);
        assert!(
            text.ends_with("h|31.255.0.0/16|r\n"),
            "{}",
            &text[text.len() - 40..]
        );
        assert!(text
            .lines()
            .all(|l| l.trim_start_matches('x').starts_with("h|") && l.ends_with("|r")));
    }
}
