//! The attributes of one route read in place from their raw bytes, and
//! the text after the prefix written straight from them.
//!
//! This covers the usual case only: each printed attribute at most once,
//! MP_REACH with a 4, 16 or 32 octet next hop and no SNPA, known AFI and
//! SAFI, and (with 2-octet ASNs) no AS4_PATH or AS4_AGGREGATOR to merge.
//! Anything else is `None`, and the caller takes the long way through
//! `Attr`, which imitates every bgpdump quirk. Where the two could differ
//! (short fixed-size values), the bytes are read with bgpdump's zero
//! padding, so both give the same text.

use super::attr_text::{aspath_into, communities_into, write_aspath_fast, write_communities_fast};
use super::text::{
    first4, origin_between_bars, push_atomic, push_lp_med, push_mp_nexthop,
    push_origin_between_bars, push_u32, push_v4, push_v6, v4_in16, Cursor,
};
use super::text_cache::ValueTexts;

/// MP_REACH_NLRI up to its NLRI, and the NLRI.
#[derive(Clone, Copy)]
pub(super) struct Reach<'a> {
    pub afi: u16,
    pub safi: u8,
    pub nexthop: [u8; 16],
    pub nh_len: u8,
    /// RFC 6396 §4.3.4 form of RIB entries (next hop only), which
    /// bgpdump takes for IPv6 unicast.
    pub abbreviated: bool,
    pub nlri: &'a [u8],
}

#[derive(Clone, Copy)]
pub(super) struct Unreach<'a> {
    pub afi: u16,
    pub nlri: &'a [u8],
}

/// The next hop of a line: IPv4, or IPv6 (its text kept by address).
#[derive(Clone, Copy)]
enum Hop<'a> {
    V4([u8; 4]),
    V6(&'a [u8; 16]),
}

/// The printed values kept as bgpdump prints them when absent (so that
/// the whole-text key is a few plain words): ORIGIN -1 (INCOMPLETE),
/// NEXT_HOP 255.255.255.255, MED and LOCAL_PREF 0, AGGREGATOR with the
/// address 255.255.255.255 (not printed).
pub(super) struct Plain<'a> {
    four: bool,
    origin: i32,
    path: Option<&'a [u8]>,
    next_hop: [u8; 4],
    med: u32,
    local_pref: u32,
    atomic: bool,
    aggregator: (u32, [u8; 4]),
    communities: Option<&'a [u8]>,
    pub reach: Option<Reach<'a>>,
    pub unreach: Option<Unreach<'a>>,
}

/// The attribute types whose value the text depends on (a repeat of one
/// is read in odd ways); the others are skipped.
const PRINTED: u32 = 0b110_1100_0001_1111_1110;

/// `N` octets from `off`, zero past the end (bgpdump's `mstream`).
#[inline]
fn padded<const N: usize>(val: &[u8], off: usize) -> [u8; N] {
    if let Some(Ok(a)) = val.get(off..off + N).map(<[u8; N]>::try_from) {
        return a;
    }
    let mut a = [0u8; N];
    for (d, s) in a.iter_mut().zip(val.iter().skip(off)) {
        *d = *s;
    }
    a
}

/// The next hop bgpdump reads for a known length (link-local dropped).
fn nexthop(nh_len: u8, bytes: &[u8]) -> Option<[u8; 16]> {
    match nh_len {
        4 => Some(v4_in16(padded(bytes.get(..4)?, 0))),
        16 | 32 => {
            bytes.get(..usize::from(nh_len))?;
            Some(padded(bytes, 0))
        }
        _ => None,
    }
}

fn reach(val: &[u8]) -> Option<Reach<'_>> {
    match *val {
        [nh_len, ref rest @ ..] if nh_len != 0 => Some(Reach {
            afi: 2,
            safi: 1,
            nexthop: nexthop(nh_len, rest)?,
            nh_len,
            abbreviated: true,
            nlri: &[],
        }),
        [0, afi @ 1..=2, safi @ 1..=3, nh_len, ref rest @ ..] => {
            let nh = nexthop(nh_len, rest)?;
            // No SNPA, then the NLRI.
            match *rest.get(usize::from(nh_len)..)? {
                [0, ref nlri @ ..] => Some(Reach {
                    afi: u16::from(afi),
                    safi,
                    nexthop: nh,
                    nh_len,
                    abbreviated: false,
                    nlri,
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

fn unreach(val: &[u8]) -> Option<Unreach<'_>> {
    match *val {
        [0, afi @ 1..=2, 1..=3, ref nlri @ ..] => Some(Unreach {
            afi: u16::from(afi),
            nlri,
        }),
        _ => None,
    }
}

impl<'a> Plain<'a> {
    #[cfg(test)]
    pub(super) fn parse(attrs: &'a [u8], four: bool) -> Option<Self> {
        let mut p = Plain::new(four);
        p.read(attrs).map(|()| p)
    }

    /// Nothing read yet, for `four`-octet ASNs or not.
    pub(super) fn new(four: bool) -> Self {
        Plain {
            four,
            origin: -1,
            path: None,
            next_hop: [255; 4],
            med: 0,
            local_pref: 0,
            atomic: false,
            aggregator: (0, [255; 4]),
            communities: None,
            reach: None,
            unreach: None,
        }
    }

    /// Read the attribute list `attrs` into a new `self` (filled in place:
    /// returning it cost a copy per record); `None` when it needs
    /// bgpdump's long way.
    pub(super) fn read(&mut self, attrs: &'a [u8]) -> Option<()> {
        let four = self.four;
        let p = self;
        let mut seen = 0u32;
        let mut rest = attrs;
        while let [f, t, ref after @ ..] = *rest {
            let (len, after) = if f & 0x10 != 0 {
                let (l, after) = after.split_first_chunk::<2>()?;
                (usize::from(u16::from_be_bytes(*l)), after)
            } else {
                let (l, after) = after.split_first()?;
                (usize::from(*l), after)
            };
            // A truncated attribute ends bgpdump's walk: the long way.
            let (val, next) = after.split_at_checked(len)?;
            rest = next;
            let bit = 1u32.checked_shl(u32::from(t)).unwrap_or(0) & PRINTED;
            if bit == 0 {
                continue;
            }
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            match t {
                1 => p.origin = i32::from(padded::<1>(val, 0)[0]),
                2 => p.path = Some(val),
                3 => p.next_hop = padded(val, 0),
                4 => p.med = u32::from_be_bytes(padded(val, 0)),
                5 => p.local_pref = u32::from_be_bytes(padded(val, 0)),
                6 => p.atomic = true,
                7 => {
                    p.aggregator = if four {
                        (u32::from_be_bytes(padded(val, 0)), padded(val, 4))
                    } else {
                        (
                            u32::from(u16::from_be_bytes(padded(val, 0))),
                            padded(val, 2),
                        )
                    }
                }
                8 => p.communities = Some(val),
                14 => p.reach = Some(reach(val)?),
                15 => p.unreach = Some(unreach(val)?),
                // AS4_PATH / AS4_AGGREGATOR are merged only with 2-octet ASNs.
                17 | 18 if !four => return None,
                _ => {}
            }
        }
        // A lone octet left: bgpdump reads a zero-length attribute of type 0.
        rest.is_empty().then_some(())
    }

    /// `|path|origin|`
    fn path_origin(&self, t: &mut ValueTexts, out: &mut Vec<u8>) {
        out.push(b'|');
        if let Some(path) = self.path {
            let four = self.four;
            let (scratch, nums) = (&mut t.scratch, &mut t.nums);
            t.paths.text_of(u8::from(four), path, out, |o| {
                write_aspath_fast(o, path, four, scratch, nums)
            });
        }
        push_origin_between_bars(out, self.origin);
    }

    fn lp_med(&self) -> (u32, u32) {
        (self.local_pref, self.med)
    }

    /// `communities|AG|aggregator|` and the newline.
    fn tail(&self, t: &mut ValueTexts, out: &mut Vec<u8>) {
        if let Some(c) = self.communities {
            let (scratch, nums) = (&mut t.scratch, &mut t.nums);
            t.communities.text_of(0, c, out, |o| {
                write_communities_fast(o, c, scratch, nums);
                0
            });
        }
        push_atomic(out, self.atomic);
        // bgpdump's "no aggregator" value is the address 255.255.255.255.
        let (asn, addr) = self.aggregator;
        if addr != [255; 4] {
            push_u32(out, asn);
            out.push(b' ');
            push_v4(out, addr);
        }
        out.extend_from_slice(b"|\n");
    }

    fn next_hop_v4(&self) -> [u8; 4] {
        self.next_hop
    }

    /// The text after the prefix (AS path to aggregator, and the newline)
    /// written into the scratch buffer with [`Cursor`] and appended to
    /// `out` once: no capacity check or length update per piece, and the
    /// kept path and communities texts copied in 8-octet stores. `signed`
    /// as for [`push_lp_med`]. `None`, with nothing appended, when a part
    /// needs the general writers (a malformed or long path, a long
    /// communities list) or the text outgrows the buffer.
    #[inline]
    fn rest_fast(
        &self,
        t: &mut ValueTexts,
        hop: Hop<'_>,
        signed: bool,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let ValueTexts {
            paths,
            communities,
            nexthops,
            scratch,
            nums,
        } = t;
        let mut c = Cursor::new(scratch);
        c.byte(b'|');
        if let Some(path) = self.path {
            let four = self.four;
            paths.text_into(u8::from(four), path, &mut c, |c| {
                aspath_into(c, path, four, nums)
            })?;
        }
        let (w, n) = origin_between_bars(self.origin);
        c.put16(u128::from_le_bytes(*w), n);
        match hop {
            Hop::V4(a) => c.v4(a),
            Hop::V6(ip) => c.copy(nexthops.v6(ip)),
        }
        c.lp_med(self.lp_med(), signed);
        if let Some(v) = self.communities {
            communities.text_into(0, v, &mut c, |c| communities_into(c, v, nums).map(|()| 0))?;
        }
        if self.atomic {
            c.put8(u64::from_le_bytes(*b"|AG|\0\0\0\0"), 4);
        } else {
            c.put8(u64::from_le_bytes(*b"|NAG|\0\0\0"), 5);
        }
        // bgpdump's "no aggregator" value is the address 255.255.255.255.
        let (asn, addr) = self.aggregator;
        if addr != [255; 4] {
            c.dec(asn);
            c.byte(b' ');
            c.v4(addr);
        }
        c.put8(u64::from(u16::from_le_bytes(*b"|\n")), 2);
        out.extend_from_slice(c.text()?);
        Some(())
    }

    /// A BGP4MP line for the classic NLRI, after the prefix.
    pub(super) fn classic_rest(&self, t: &mut ValueTexts, out: &mut Vec<u8>) {
        if self
            .rest_fast(t, Hop::V4(self.next_hop_v4()), false, out)
            .is_some()
        {
            return;
        }
        self.path_origin(t, out);
        push_v4(out, self.next_hop_v4());
        push_lp_med(out, self.lp_med(), false);
        self.tail(t, out);
    }

    /// A BGP4MP line for the MP_REACH NLRI `r`, after the prefix: IPv4
    /// families print local preference and MED signed
    /// (`table_line_announce_1`), IPv6 unsigned (`table_line_announce6`).
    pub(super) fn mp_rest(&self, t: &mut ValueTexts, r: &Reach<'_>, out: &mut Vec<u8>) {
        let hop = if r.nh_len == 4 {
            Hop::V4(first4(&r.nexthop))
        } else {
            Hop::V6(&r.nexthop)
        };
        if self.rest_fast(t, hop, r.afi == 1, out).is_some() {
            return;
        }
        self.path_origin(t, out);
        if r.nh_len == 4 {
            push_mp_nexthop(out, &r.nexthop, r.nh_len);
        } else {
            out.extend_from_slice(t.nexthops.v6(&r.nexthop));
        }
        push_lp_med(out, self.lp_med(), r.afi == 1);
        self.tail(t, out);
    }

    /// A TABLE_DUMP line after the prefix: the IPv6 unicast MP next hop
    /// printed as IPv6 whatever its length, else NEXT_HOP.
    pub(super) fn v1_rest(&self, t: &mut ValueTexts, out: &mut Vec<u8>) {
        self.path_origin(t, out);
        match self.reach {
            Some(r) if (r.afi, r.safi) == (2, 1) => push_v6(out, &r.nexthop),
            _ => push_v4(out, self.next_hop_v4()),
        }
        push_lp_med(out, self.lp_med(), false);
        self.tail(t, out);
    }

    /// A TABLE_DUMP_V2 line after the prefix (and path id): the unicast MP
    /// next hop by its length, else NEXT_HOP. Where the next hop's text is
    /// in `out`.
    pub(super) fn td2_rest(&self, t: &mut ValueTexts, out: &mut Vec<u8>) -> (usize, usize) {
        self.path_origin(t, out);
        let at = out.len();
        match self.reach {
            Some(r) if r.safi == 1 => push_mp_nexthop(out, &r.nexthop, r.nh_len),
            _ => push_v4(out, self.next_hop_v4()),
        }
        let nh = (at, out.len() - at);
        push_lp_med(out, self.lp_med(), false);
        self.tail(t, out);
        nh
    }
}

#[cfg(test)]
mod tests {
    use super::super::{get, Formatter, Ms};
    use super::*;
    use rbgp_testkit::mrt_gen::formatter::attributes;
    use rbgp_testkit::mrt_gen::Gen;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    /// Every layout written from the raw bytes is what the long way
    /// (`Attr`, checked against bgpdump itself by the CLI tests) writes.
    #[test]
    fn same_text_as_the_long_way() {
        let mut g = Gen(7);
        let (mut plain, mut mp) = (0, 0);
        let mut f = Formatter::new();
        let mut t = ValueTexts::default();
        for i in 0..4000 {
            let four = g.chance(50);
            let attrs = attributes(&mut g, four, false);
            let Some(p) = Plain::parse(&attrs, four) else {
                continue;
            };
            plain += 1;
            f.read_attributes(Ms::new(&attrs), four, false);
            let want = text(|o| f.announce_rest(None, o));
            // Twice: the second time from the kept path and communities.
            assert_eq!(text(|o| p.classic_rest(&mut t, o)), want, "{i}: classic");
            assert_eq!(text(|o| p.classic_rest(&mut t, o)), want, "{i}: again");
            if let Some(r) = p.reach.filter(|r| !r.abbreviated) {
                mp += 1;
                let m = get(&f.attr.announce, r.afi, r.safi).unwrap();
                let want = text(|o| f.announce_rest(Some((r.afi == 2, m)), o));
                assert_eq!(text(|o| p.mp_rest(&mut t, &r, o)), want, "{i}: MP");
                assert_eq!(text(|o| p.mp_rest(&mut t, &r, o)), want, "{i}: MP again");
            }
            assert_eq!(
                text(|o| p.v1_rest(&mut t, o)),
                text(|o| f.v1_rest(o)),
                "{i}"
            );
            if f.rib_nexthop_known() {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let nh = (p.td2_rest(&mut t, &mut a), f.td2_rest(&mut b, None));
                assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
                assert_eq!(nh.0, nh.1, "{i}: next hop position");
            }
        }
        assert!(
            plain > 1500 && mp > 300,
            "{plain} plain lists, {mp} with MP"
        );
    }

    #[test]
    fn odd_lists_take_the_long_way() {
        let origin = [0x40, 1, 1, 0];
        let twice: Vec<u8> = [origin, origin].concat();
        assert!(Plain::parse(&twice, true).is_none());
        assert!(Plain::parse(&[0x40, 1, 2, 0], true).is_none(), "truncated");
        let as4_path = [0xc0, 17, 6, 2, 1, 0, 0, 0, 1];
        assert!(Plain::parse(&as4_path, false).is_none());
        assert!(Plain::parse(&as4_path, true).is_some(), "ignored");
        let snpa = [0x80, 14, 10, 0, 1, 1, 4, 1, 2, 3, 4, 1, 0];
        assert!(Plain::parse(&snpa, true).is_none());
        let odd_nh = [0x80, 14, 8, 0, 1, 1, 3, 1, 2, 3, 0];
        assert!(Plain::parse(&odd_nh, true).is_none());
        let safi_4 = [0x80, 15, 3, 0, 1, 4];
        assert!(Plain::parse(&safi_4, true).is_none());
        let short_med = [0x80, 4, 2, 1, 2];
        let p = Plain::parse(&short_med, true).unwrap();
        assert_eq!(p.med, 0x0102_0000, "zero padded");
    }
}
