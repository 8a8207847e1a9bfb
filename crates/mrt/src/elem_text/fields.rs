//! The text of an element's attributes and time, as the PSV and JSON
//! lines of `rbgp mrt` print them (the `Display` forms of the typed
//! values), written with the bgpdump formatter's [`Cursor`] and caches.

use rbgp_wire::attr::{Community, ExtCommunity};

use super::attrs::{origin_asn, Attrs, Hop};
use crate::bgpdump::shared::{
    aspath_into, communities_list_into, push_micros, push_u32, AddrTexts, Cursor, Nums, TextCache,
    ValueTexts, SCRATCH,
};

/// The caches the attribute text is made with: the bgpdump formatter's
/// (IPv6 next hops as Rust prints them), and the extended communities'
/// text for JSON (made at first use).
pub(super) struct Texts {
    pub v: ValueTexts,
    ext: Option<Box<TextCache>>,
}

impl Default for Texts {
    fn default() -> Self {
        Texts {
            v: ValueTexts::with_std_v6(),
            ext: None,
        }
    }
}

/// The name `Community` prints for `v`, if any (all are in 65535:x).
#[inline(always)]
fn community_name(v: u32) -> Option<&'static [u8]> {
    if v >> 16 != 0xFFFF {
        return None;
    }
    Community(v).name().map(str::as_bytes)
}

/// `"` `,` `"` in the low octets of a word: the separator of JSON strings.
const QUOTE_COMMA_QUOTE: (u64, usize) = (0x22_2c_22, 3);
/// `",` and `"],`, closing a JSON string or list of strings.
const QUOTE_COMMA: (u64, usize) = (0x2c_22, 2);
const QUOTE_BRACKET_COMMA: (u64, usize) = (0x2c_5d_22, 3);

/// What a line shows besides the attributes: the next hop of its NLRI
/// field.
pub(super) struct Group<'g, 'a> {
    pub a: &'g Attrs<'a>,
    pub four: bool,
    pub hop: Option<Hop>,
}

/// Where the AS path's text is in what [`psv_rest`] or [`json_attrs`]
/// appended (start and length; `None` without AS_PATH).
pub(super) type PathAt = Option<(usize, usize)>;

/// A literal of up to 16 octets in one store.
#[inline(always)]
fn lit(c: &mut Cursor<'_>, s: &[u8]) {
    debug_assert!(s.len() <= 16);
    let mut w = [0u8; 16];
    for (d, b) in w.iter_mut().zip(s) {
        *d = *b;
    }
    c.put16(u128::from_le_bytes(w), s.len().min(16));
}

/// A JSON member `key` (with its colon) and the number `v`, then a comma.
#[inline]
fn number(c: &mut Cursor<'_>, key: &[u8], v: u32) {
    lit(c, key);
    c.dec(v);
    c.byte(b',');
}

fn origin_text(o: u8) -> &'static [u8] {
    match o {
        0 => b"IGP",
        1 => b"EGP",
        _ => b"INCOMPLETE",
    }
}

/// The parts of [`ValueTexts`] a line is written with, borrowed apart
/// from its scratch buffer (which the [`Cursor`] holds).
struct Parts<'t> {
    paths: &'t mut TextCache,
    communities: &'t mut TextCache,
    nexthops: &'t mut AddrTexts,
    nums: &'t mut Nums,
}

impl<'t> Parts<'t> {
    /// The caches of `v`, and a [`Cursor`] over its scratch buffer.
    fn of(v: &'t mut ValueTexts) -> (Parts<'t>, Cursor<'t>) {
        let ValueTexts {
            paths,
            communities,
            nexthops,
            nums,
            scratch,
        } = v;
        let p = Parts {
            paths,
            communities,
            nexthops,
            nums,
        };
        (p, Cursor::new(scratch))
    }

    /// The AS path text (the kept one, or written and kept), and where it
    /// is.
    #[inline]
    fn path(&mut self, c: &mut Cursor<'_>, path: &[u8], four: bool) -> Option<(usize, usize)> {
        let at = c.pos();
        let nums = &mut *self.nums;
        self.paths.text_into(u8::from(four), path, c, |c| {
            aspath_into(c, path, four, nums)
        })?;
        Some((at, c.pos() - at))
    }

    #[inline]
    fn hop(&mut self, c: &mut Cursor<'_>, h: Hop) {
        match h {
            Hop::V4(a) => c.v4(a),
            Hop::V6(ip) => c.copy(self.nexthops.v6(&ip)),
        }
    }

    /// The communities list (without the large ones), separated by `sep`,
    /// at most `most` octets a community.
    #[inline]
    fn communities(
        &mut self,
        c: &mut Cursor<'_>,
        v: &[u8],
        sep: (u64, usize),
        most: usize,
    ) -> Option<()> {
        let nums = &mut *self.nums;
        self.communities.text_into(0, v, c, |c| {
            communities_list_into(c, v, nums, community_name, sep, most).map(|()| 0)
        })
    }
}

/// Large communities `g:l1:l2`, separated by `sep`; `None` for lists too
/// long for the buffer.
fn large(c: &mut Cursor<'_>, v: &[u8], sep: (u64, usize)) -> Option<()> {
    let (list, _) = v.as_chunks::<12>();
    // At most 32 octets and a separator each.
    if list.len() * 35 > SCRATCH {
        return None;
    }
    for (i, l) in list.iter().enumerate() {
        if i > 0 {
            c.put8(sep.0, sep.1);
        }
        let [g0, g1, g2, g3, a0, a1, a2, a3, b0, b1, b2, b3] = *l;
        c.dec(u32::from_be_bytes([g0, g1, g2, g3]));
        c.byte(b':');
        c.dec(u32::from_be_bytes([a0, a1, a2, a3]));
        c.byte(b':');
        c.dec(u32::from_be_bytes([b0, b1, b2, b3]));
    }
    Some(())
}

/// PSV after the prefix: `|path|origin|next hop|lp|med|communities (and
/// large ones)|atomic|aggregator AS|aggregator address` and the newline.
/// `None` (nothing appended) when a part needs the typed path: a path or
/// list too long for the buffer.
pub(super) fn psv_rest(g: &Group<'_, '_>, t: &mut Texts, out: &mut Vec<u8>) -> Option<PathAt> {
    let a = g.a;
    let (mut p, mut c) = Parts::of(&mut t.v);
    let c = &mut c;
    c.byte(b'|');
    let at = match a.path {
        Some(path) => Some(p.path(c, path, g.four)?),
        None => None,
    };
    c.byte(b'|');
    if let Some(o) = a.origin {
        lit(c, origin_text(o));
    }
    c.byte(b'|');
    if let Some(h) = g.hop {
        p.hop(c, h);
    }
    c.byte(b'|');
    if let Some(v) = a.local_pref {
        c.dec(v);
    }
    c.byte(b'|');
    if let Some(v) = a.med {
        c.dec(v);
    }
    c.byte(b'|');
    if let Some(v) = a.communities {
        p.communities(c, v, (u64::from(b' '), 1), 20)?;
    }
    if let Some(v) = a.large {
        if a.communities.is_some() {
            c.byte(b' ');
        }
        large(c, v, (u64::from(b' '), 1))?;
    }
    lit(c, if a.atomic { b"|true|" } else { b"|false|" });
    if let Some((asn, addr)) = a.aggregator {
        c.dec(asn);
        c.byte(b'|');
        c.v4(addr);
    } else {
        c.byte(b'|');
    }
    c.byte(b'\n');
    let base = out.len();
    out.extend_from_slice(c.text()?);
    Some(at.map(|(p, n)| (base + p, n)))
}

/// The extended communities as JSON strings, or `None` when they do not
/// decode or their text would need escaping.
fn ext_json(c: &mut Cursor<'_>, cache: &mut TextCache, v: &[u8]) -> Option<()> {
    cache.text_into(0, v, c, |c| {
        let list = ExtCommunity::decode_list(v).ok()?;
        for (i, e) in list.iter().enumerate() {
            if i > 0 {
                c.put8(QUOTE_COMMA_QUOTE.0, QUOTE_COMMA_QUOTE.1);
            }
            let s = e.to_string();
            if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
                return None;
            }
            if c.pos() + s.len() > SCRATCH {
                return None;
            }
            c.copy(s.as_bytes());
        }
        Some(0)
    })
}

/// The JSON members of an announcement from `"aggregator"` to `"otc"`
/// (in the order of their keys), each followed by a comma. `None`
/// (nothing appended) when a part needs the typed path.
pub(super) fn json_attrs(g: &Group<'_, '_>, t: &mut Texts, out: &mut Vec<u8>) -> Option<PathAt> {
    let a = g.a;
    let Texts { v, ext } = t;
    let (mut p, mut c) = Parts::of(v);
    let c = &mut c;
    if let Some((asn, addr)) = a.aggregator {
        lit(c, b"\"aggregator\":\"");
        c.dec(asn);
        c.byte(b' ');
        c.v4(addr);
        c.put8(QUOTE_COMMA.0, QUOTE_COMMA.1);
    }
    let mut at = None;
    if let Some(path) = a.path {
        lit(c, b"\"as_path\":\"");
        at = Some(p.path(c, path, g.four)?);
        c.put8(QUOTE_COMMA.0, QUOTE_COMMA.1);
    }
    c.copy(if a.atomic {
        b"\"atomic_aggregate\":true,"
    } else {
        b"\"atomic_aggregate\":false,"
    });
    if let Some(v) = a.communities {
        lit(c, b"\"communities\":[\"");
        p.communities(c, v, QUOTE_COMMA_QUOTE, 22)?;
        c.put8(QUOTE_BRACKET_COMMA.0, QUOTE_BRACKET_COMMA.1);
    }
    if let Some(v) = a.ext {
        c.copy(b"\"ext_communities\":[\"");
        let cache = ext.get_or_insert_with(|| Box::new(TextCache::default()));
        ext_json(c, cache, v)?;
        c.put8(QUOTE_BRACKET_COMMA.0, QUOTE_BRACKET_COMMA.1);
    }
    if let Some(v) = a.large {
        c.copy(b"\"large_communities\":[\"");
        large(c, v, QUOTE_COMMA_QUOTE)?;
        c.put8(QUOTE_BRACKET_COMMA.0, QUOTE_BRACKET_COMMA.1);
    }
    if let Some(v) = a.local_pref {
        number(c, b"\"local_pref\":", v);
    }
    if let Some(v) = a.med {
        number(c, b"\"med\":", v);
    }
    if let Some(h) = g.hop {
        lit(c, b"\"next_hop\":\"");
        p.hop(c, h);
        c.put8(QUOTE_COMMA.0, QUOTE_COMMA.1);
    }
    if let Some(o) = a.origin {
        lit(c, b"\"origin\":\"");
        lit(c, origin_text(o));
        c.put8(QUOTE_COMMA.0, QUOTE_COMMA.1);
    }
    if let Some(o) = a.path.and_then(|p| origin_asn(p, g.four)) {
        number(c, b"\"origin_asn\":", o);
    }
    if let Some(v) = a.otc {
        number(c, b"\"otc\":", v);
    }
    let base = out.len();
    out.extend_from_slice(c.text()?);
    Some(at.map(|(p, n)| (base + p, n)))
}

/// The text of a record's time as `f64`'s `Display` (PSV) and
/// serde_json (JSON) print `seconds + microseconds / 1e6`: the decimal
/// `seconds.micros` without its trailing zeros, `.0` added in JSON when
/// there is no fraction. `None` when that is not certainly the shortest
/// text of the `f64` (so not what both print): a fraction of a second
/// 1e6 or more, time 0, or a sum that rounds oddly.
pub(super) fn time_text(
    sec: u32,
    micros: Option<u32>,
    json: bool,
    out: &mut Vec<u8>,
) -> Option<()> {
    if sec == 0 {
        return None;
    }
    push_u32(out, sec);
    let us = micros.unwrap_or(0);
    if us == 0 {
        if json {
            out.extend_from_slice(b".0");
        }
        return Some(());
    }
    if us >= 1_000_000 || !nearest(sec, us) {
        return None;
    }
    // Six digits, then without the trailing zeros (there is a non-zero one).
    push_micros(out, us);
    while out.last() == Some(&b'0') {
        out.pop();
    }
    Some(())
}

/// Whether `f64::from(sec) + f64::from(us) / 1e6` is the `f64` nearest to
/// the decimal `sec.us` (strictly: not a tie). Then that decimal, cut of
/// its trailing zeros, is the shortest text of the value: a shorter one,
/// or another of as many digits, lies at least 1e-6 from it, more than
/// the value's unit in the last place (below 2^-20 under 2^32), so not
/// both can round to it.
fn nearest(sec: u32, us: u32) -> bool {
    let v = f64::from(sec) + f64::from(us) / 1e6;
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let mant = u128::from((bits & ((1 << 52) - 1)) | 1 << 52);
    // v = mant * 2^-shift, 0 < shift <= 52 for 1 <= v < 2^32.
    let shift = 1075 - exp;
    if !(1..=52).contains(&shift) {
        return false;
    }
    let n = u128::from(sec) * 1_000_000 + u128::from(us);
    // (v - sec.us) * 1e6 * 2^shift against half a unit, scaled alike.
    let scaled_v = mant * 1_000_000;
    let scaled_s = n << shift;
    scaled_v.abs_diff(scaled_s) < 500_000
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn time(sec: u32, us: Option<u32>, json: bool) -> Option<String> {
        let mut o = Vec::new();
        time_text(sec, us, json, &mut o).map(|()| String::from_utf8(o).unwrap())
    }

    /// The text is what `Display` prints for the same `f64` (the element
    /// decoder's timestamp), on a million seeded times.
    #[test]
    fn times_like_display() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut checked = 0;
        for i in 0..1_000_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let sec = (seed >> 32) as u32 | 1;
            let us = match i % 4 {
                0 => (seed as u32) % 1_000_000,
                1 => (seed as u32) % 1000 * 1000,
                2 => (seed as u32) % 10,
                _ => 999_990 + (seed as u32) % 10,
            };
            let v = f64::from(sec) + f64::from(us) / 1e6;
            if let Some(t) = time(sec, Some(us), false) {
                assert_eq!(t, format!("{v}"), "{sec} {us}");
                checked += 1;
            }
        }
        assert!(checked > 999_000, "{checked}");
        assert_eq!(time(1_470_931_200, None, false).unwrap(), "1470931200");
        assert_eq!(time(1_470_931_200, None, true).unwrap(), "1470931200.0");
        assert_eq!(time(1_470_931_200, Some(0), true).unwrap(), "1470931200.0");
        assert_eq!(
            time(1_445_565_660, Some(100), true).unwrap(),
            "1445565660.0001"
        );
        assert_eq!(time(1, Some(5), false).unwrap(), "1.000005");
        assert_eq!(time(0, None, false), None);
        assert_eq!(time(7, Some(1_000_000), false), None);
    }

    #[test]
    fn community_names_as_display() {
        for v in [
            0u32,
            0xFFFE_FFFF,
            0x0001_FF01,
            0xFFFF_0000,
            0xFFFF_029A,
            0xFFFF_FF04,
            u32::MAX,
        ]
        .into_iter()
        .chain((0..70_000).map(|i| 0xFFFF_0000 | (i % 65_536)))
        .chain((0..70_000).map(|i: u32| i.wrapping_mul(2_654_435_761)))
        {
            let want = Community(v).to_string();
            match community_name(v) {
                Some(n) => assert_eq!(n, want.as_bytes()),
                None => assert_eq!(want, format!("{}:{}", v >> 16, v & 0xffff)),
            }
        }
    }
}
