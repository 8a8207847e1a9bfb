//! Text pieces of `bgpdump -m` lines, written straight into the output
//! buffer (no allocation). Numbers and addresses are assembled in
//! registers and stored with one fixed-size write: the formatter spends
//! most of its time here.

/// Append a fixed-size scratch array and cut it back to `n` bytes: one
/// inlined copy of known size instead of a memmove call of a few bytes.
#[inline]
fn append<const N: usize>(out: &mut Vec<u8>, b: &[u8; N], n: usize) {
    let len = out.len();
    out.extend_from_slice(b);
    out.truncate(len + n);
}

/// Digit values (not characters) of 0..=99, tens in the low octet.
static PAIR_DIGITS: [u16; 100] = {
    let mut t = [0u16; 100];
    let mut i = 0;
    while i < 100 {
        // A constant initialiser (not input): indexes are below 100.
        #[allow(clippy::indexing_slicing)]
        {
            t[i] = u16::from_le_bytes([(i / 10) as u8, (i % 10) as u8]);
        }
        i += 1;
    }
    t
};

/// "00".."99".
static PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        // A constant initialiser (not input): indexes are below 100.
        #[allow(clippy::indexing_slicing)]
        {
            t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        }
        i += 1;
    }
    t
};

/// The four digit values of `v` (below 10 000), first in the low octet.
#[inline]
fn quad(v: u32) -> u64 {
    let pair = |x: u32| u64::from(PAIR_DIGITS.get(x as usize).copied().unwrap_or(0));
    pair(v / 100) | pair(v % 100) << 16
}

const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

#[inline]
pub(crate) fn push_u32(out: &mut Vec<u8>, v: u32) {
    if v >= 100_000_000 {
        return push_u32_long(out, v);
    }
    let (w, n) = dec8(v);
    append(out, &w.to_le_bytes(), n);
}

/// Decimal text of `v` (below 100 000 000) in the low octets of a word,
/// first character lowest, and its length.
#[inline]
fn dec8(v: u32) -> (u64, usize) {
    // Eight digit values in a register; the leading zeros are the zero
    // octets at the low end, shifted out (at least one digit stays).
    let d = quad(v / 10_000) | quad(v % 10_000) << 32;
    let z = (d.trailing_zeros() / 8).min(7);
    ((d + ASCII_ZEROS) >> (8 * z), 8 - z as usize)
}

/// Nine or ten digits: the one or two leading ones (in the low octets of
/// a word, and how many), then the eight others.
fn dec10(v: u32) -> (u64, usize, u64) {
    let top = v / 100_000_000;
    let [a, b] = PAIRS.get(top as usize).copied().unwrap_or([b'0'; 2]);
    let low = v % 100_000_000;
    let d = quad(low / 10_000) | quad(low % 10_000) << 32;
    let (lead, n) = if top >= 10 {
        (u64::from(u16::from_le_bytes([a, b])), 2)
    } else {
        (u64::from(b), 1)
    };
    (lead, n, d + ASCII_ZEROS)
}

#[cold]
fn push_u32_long(out: &mut Vec<u8>, v: u32) {
    let (lead, n, low) = dec10(v);
    append(out, &lead.to_le_bytes(), n);
    out.extend_from_slice(&low.to_le_bytes());
}

/// Decimal text of `v` (below 100 000) in the low octets of a word, first
/// character lowest, nothing above it; and its length.
#[inline]
pub(super) fn dec5(v: u32) -> (u64, usize) {
    let hi = v / 10_000;
    let d = u64::from(hi) | quad(v - hi * 10_000) << 8;
    // The leading zeros are the zero octets at the low end (one digit
    // stays), shifted out.
    let z = (d.trailing_zeros() / 8).min(4);
    ((d + 0x30_3030_3030) >> (8 * z), 5 - z as usize)
}

/// Text written by a [`Cursor`] is at most this long (a power of two).
pub(crate) const SCRATCH: usize = 1024;

/// A [`Cursor`]'s buffer: [`SCRATCH`] octets and room for the last store.
pub(super) type ScratchBuf = [u8; SCRATCH + 16];

/// Writes text into a fixed-size buffer with 8-octet stores and no
/// checks: each store goes to the position masked to [`SCRATCH`], which
/// the buffer holds with room to spare, so it needs neither a capacity
/// nor a bounds check. A store may write past the text's end (the next
/// one overwrites it). The text is good if it ends within [`SCRATCH`]
/// octets (positions only grow, so no store was masked); longer text is
/// refused by [`Cursor::text`] and written the general way.
pub(crate) struct Cursor<'a> {
    buf: &'a mut ScratchBuf,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a mut ScratchBuf) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// The text written, if it fitted.
    pub(crate) fn text(&self) -> Option<&[u8]> {
        self.buf.get(..self.pos).filter(|_| self.pos <= SCRATCH)
    }

    /// The low `n` (at most 8) octets of `w`.
    #[inline]
    pub(crate) fn put8(&mut self, w: u64, n: usize) {
        let p = self.pos & (SCRATCH - 1);
        if let Some(d) = self.buf.get_mut(p..p + 8) {
            d.copy_from_slice(&w.to_le_bytes());
        }
        self.pos += n;
    }

    /// The low `n` (at most 16) octets of `w`.
    #[inline]
    pub(crate) fn put16(&mut self, w: u128, n: usize) {
        let p = self.pos & (SCRATCH - 1);
        if let Some(d) = self.buf.get_mut(p..p + 16) {
            d.copy_from_slice(&w.to_le_bytes());
        }
        self.pos += n;
    }

    /// Where the next octet goes (past [`SCRATCH`]: the text is too long).
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The text written since `start`, if it fitted.
    #[inline]
    pub(super) fn since(&self, start: usize) -> Option<&[u8]> {
        self.buf
            .get(start..self.pos)
            .filter(|_| self.pos <= SCRATCH)
    }

    /// `t` in 8-octet stores (the last one overlapping the one before it
    /// when `t` is eight octets or longer): no memcpy call for the short
    /// texts of a line.
    #[inline]
    pub(crate) fn copy(&mut self, t: &[u8]) {
        let end = self.pos + t.len();
        let (words, tail) = t.as_chunks::<8>();
        for w in words {
            self.put8(u64::from_le_bytes(*w), 8);
        }
        if !tail.is_empty() {
            if let Some(last) = t.last_chunk::<8>() {
                self.pos = end - 8;
                self.put8(u64::from_le_bytes(*last), 8);
            } else {
                let mut w = 0u64;
                for (i, b) in tail.iter().enumerate() {
                    w |= u64::from(*b) << (8 * i);
                }
                self.put8(w, tail.len());
            }
        }
    }

    /// A dotted quad, as [`push_v4`] writes it.
    #[inline]
    pub(crate) fn v4(&mut self, a: [u8; 4]) {
        let (ab, n_ab, cd, n_cd) = v4_words(a);
        self.put8(ab, n_ab);
        self.put8(cd, n_cd);
    }

    /// `|lp|med|`, as [`push_lp_med`] writes it.
    #[inline]
    pub(super) fn lp_med(&mut self, (lp, med): (u32, u32), signed: bool) {
        if lp < 10 && med < 10 {
            let w = [b'|', b'0' + lp as u8, b'|', b'0' + med as u8, b'|', 0, 0, 0];
            return self.put8(u64::from_le_bytes(w), 5);
        }
        for v in [lp, med] {
            self.byte(b'|');
            if signed && (v as i32) < 0 {
                self.byte(b'-');
                self.dec((v as i32).unsigned_abs());
            } else {
                self.dec(v);
            }
        }
        self.byte(b'|');
    }

    #[inline]
    pub(crate) fn byte(&mut self, b: u8) {
        self.put8(u64::from(b), 1);
    }

    /// `v` in decimal, as `push_u32` writes it.
    #[inline]
    pub(crate) fn dec(&mut self, v: u32) {
        if v < 100_000 {
            let (w, n) = dec5(v);
            return self.put8(w, n);
        }
        let (w, n) = dec_text(v);
        self.put16(w, n);
    }
}

/// `v` in decimal, as [`push_u32`] writes it, in the low octets of a
/// word (first character lowest), and its length.
#[inline]
pub(super) fn dec_text(v: u32) -> (u128, usize) {
    if v < 100_000 {
        let (w, n) = dec5(v);
        return (u128::from(w), n);
    }
    if v < 100_000_000 {
        let (w, n) = dec8(v);
        return (u128::from(w), n);
    }
    let (lead, n, low) = dec10(v);
    (u128::from(lead) | u128::from(low) << (8 * n), n + 8)
}

/// `/len` in one register-built write.
#[inline]
pub(super) fn push_slash_len(out: &mut Vec<u8>, len: u8) {
    let [n, d0, d1, d2] = OCTETS
        .get(usize::from(len))
        .copied()
        .unwrap_or([1, b'0', 0, 0]);
    let w = u32::from_le_bytes([b'/', d0, d1, d2]);
    append(out, &w.to_le_bytes(), usize::from(n) + 1);
}

/// `.` and the microseconds as `"%06ld"`: at least six digits.
#[inline]
pub(crate) fn push_micros(out: &mut Vec<u8>, us: u32) {
    if us >= 1_000_000 {
        out.push(b'.');
        push_u32(out, us);
        return;
    }
    let pair = |v: u32| {
        u64::from(u16::from_le_bytes(
            PAIRS.get(v as usize).copied().unwrap_or([b'0'; 2]),
        ))
    };
    let acc = u64::from(b'.')
        | pair(us / 10_000) << 8
        | pair(us / 100 % 100) << 24
        | pair(us % 100) << 40;
    append(out, &acc.to_le_bytes(), 7);
}

#[inline]
fn push_i32(out: &mut Vec<u8>, v: i32) {
    if v < 0 {
        out.push(b'-');
    }
    push_u32(out, v.unsigned_abs());
}

/// `|lp|med|`: `%u`, or `%d` where bgpdump prints them signed.
#[inline]
pub(super) fn push_lp_med(out: &mut Vec<u8>, (lp, med): (u32, u32), signed: bool) {
    if lp < 10 && med < 10 {
        // Most often both absent (zero): one write.
        let w = u64::from_le_bytes([b'|', b'0' + lp as u8, b'|', b'0' + med as u8, b'|', 0, 0, 0]);
        append(out, &w.to_le_bytes(), 5);
        return;
    }
    out.push(b'|');
    if signed {
        push_i32(out, lp as i32);
        out.push(b'|');
        push_i32(out, med as i32);
    } else {
        push_u32(out, lp);
        out.push(b'|');
        push_u32(out, med);
    }
    out.push(b'|');
}

/// An MP_REACH next hop by its length: IPv4 for 4 octets, else IPv6.
pub(super) fn push_mp_nexthop(out: &mut Vec<u8>, nh: &[u8; 16], nh_len: u8) {
    if nh_len == 4 {
        push_v4(out, first4(nh));
    } else {
        push_v6(out, nh);
    }
}

/// Decimal text of each octet value: length, then up to three digits.
static OCTETS: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let x = i as u8;
        // A constant initialiser (not input): indexes are below 256.
        #[allow(clippy::indexing_slicing)]
        {
            t[i] = if x >= 100 {
                [3, b'0' + x / 100, b'0' + (x / 10) % 10, b'0' + x % 10]
            } else if x >= 10 {
                [2, b'0' + x / 10, b'0' + x % 10, 0]
            } else {
                [1, b'0' + x, 0, 0]
            };
        }
        i += 1;
    }
    t
};

/// Each octet value's text followed by a dot, in the low four octets,
/// and that length in the fifth.
static DOTTED: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        // A constant initialiser (not input): indexes are below 256.
        #[allow(clippy::indexing_slicing)]
        {
            let [n, d0, d1, d2] = OCTETS[i];
            let text = [d0, d1, d2, 0];
            let mut w = u32::from_le_bytes(text) as u64;
            w |= (b'.' as u64) << (8 * n as u64);
            t[i] = w | ((n as u64 + 1) << 32);
        }
        i += 1;
    }
    t
};

/// Dotted quad text built in two registers ("a.b." and "c.d"), each
/// stored with one 8-octet write (byte stores into a stack buffer
/// followed by one wide load stall on store forwarding).
#[inline]
pub(crate) fn push_v4(out: &mut Vec<u8>, a: [u8; 4]) {
    let (ab, n_ab, cd, n_cd) = v4_words(a);
    append(out, &ab.to_le_bytes(), n_ab);
    append(out, &cd.to_le_bytes(), n_cd);
}

/// A dotted quad as two words, "a.b." and "c.d" (the last octet without
/// its dot), with their lengths.
#[inline]
fn v4_words(a: [u8; 4]) -> (u64, usize, u64, usize) {
    let e = |x: u8| DOTTED.get(usize::from(x)).copied().unwrap_or(0);
    let [a, b, c, d] = a.map(e);
    let (la, lc) = (a >> 32, c >> 32);
    let ab = (a & 0xffff_ffff) | (b & 0xffff_ffff) << (8 * la);
    let cd = (c & 0xffff_ffff) | (d & 0xffff_ffff) << (8 * lc);
    (
        ab,
        (la + (b >> 32)) as usize,
        cd,
        (lc + (d >> 32) - 1) as usize,
    )
}

/// An IPv4 prefix, `a.b.c.d/len`, in one 16-octet write when it fits
/// (all but the longest: this is written once per line, and inlined:
/// a call costs a fifth of it).
#[inline(always)]
pub(super) fn push_v4_prefix(out: &mut Vec<u8>, a: [u8; 4], len: u8) {
    let e = |x: u8| DOTTED.get(usize::from(x)).copied().unwrap_or(0);
    let [a, b, c, d] = a.map(e);
    let (la, lc) = (a >> 32, c >> 32);
    let ab = (a & 0xffff_ffff) | (b & 0xffff_ffff) << (8 * la);
    let cd = (c & 0xffff_ffff) | (d & 0xffff_ffff) << (8 * lc);
    let (n_ab, n_cd) = (la + (b >> 32), lc + (d >> 32) - 1);
    let [n, d0, d1, d2] = OCTETS
        .get(usize::from(len))
        .copied()
        .unwrap_or([1, b'0', 0, 0]);
    let slash = u32::from_le_bytes([b'/', d0, d1, d2]);
    let total = (n_ab + n_cd) as usize + usize::from(n) + 1;
    if total <= 16 {
        let text = u128::from(ab)
            | u128::from(cd) << (8 * n_ab)
            | u128::from(slash) << (8 * (n_ab + n_cd));
        append(out, &text.to_le_bytes(), total);
    } else {
        append(out, &ab.to_le_bytes(), n_ab as usize);
        append(out, &cd.to_le_bytes(), n_cd as usize);
        append(out, &slash.to_le_bytes(), usize::from(n) + 1);
    }
}

/// `peer|peer_as|`
pub(super) fn push_peer(out: &mut Vec<u8>, v6: bool, ip: &[u8; 16], asn: u32) {
    if v6 {
        push_v6(out, ip);
    } else {
        push_v4(out, first4(ip));
    }
    out.push(b'|');
    push_u32(out, asn);
    out.push(b'|');
}

pub(crate) fn v4_in16(a: [u8; 4]) -> [u8; 16] {
    let [a, b, c, d] = a;
    [a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
}

pub(super) fn first4(a: &[u8; 16]) -> [u8; 4] {
    let [a, b, c, d, ..] = *a;
    [a, b, c, d]
}

/// bgpdump's own `fmt_ipv6`: IPv4-mapped and -compatible forms, and the
/// longest run of zero groups compressed even when it is one group long.
pub(super) fn push_v6(out: &mut Vec<u8>, a: &[u8; 16]) {
    push_v6_in::<false>(out, a)
}

/// An IPv6 address as Rust's `Ipv6Addr` prints it (RFC 5952): only the
/// IPv4-mapped form, and a run of zero groups compressed only when it is
/// two groups or longer.
pub(crate) fn push_v6_std(out: &mut Vec<u8>, a: &[u8; 16]) {
    push_v6_in::<true>(out, a)
}

/// [`push_v6`], or [`push_v6_std`] if `STD`: the two differ only in the
/// IPv4-compatible form and single zero groups.
#[inline]
fn push_v6_in<const STD: bool>(out: &mut Vec<u8>, a: &[u8; 16]) {
    let x = u128::from_be_bytes(*a);
    let high = (x >> 64) as u64;
    if x as u64 == 0 && high != 0 {
        // Most prefixes: the low four groups are zero, the longest run
        // (a zero run among the first four is at most three long, or it
        // joins them), so the text is the groups up to the last non-zero
        // one, then "::".
        push_v6_high(out, high);
        return;
    }
    let low = x as u32;
    let mapped = x >> 32 == 0xffff;
    if mapped || (!STD && x >> 32 == 0 && low > 1) {
        out.extend_from_slice(if mapped { b"::ffff:" } else { b"::" });
        push_v4(out, low.to_be_bytes());
        return;
    }
    let words: [u16; 8] = std::array::from_fn(|i| (x >> (112 - 16 * i)) as u16);
    // Bit i set: group i is zero.
    let mut zeros = 0u32;
    for (i, w) in words.iter().enumerate() {
        zeros |= u32::from(*w == 0) << i;
    }
    // The first longest run of zeros: each round keeps the groups that
    // start a run one longer; the last non-empty set holds the starts of
    // the longest runs.
    let (mut starts, mut best_len, mut m) = (0u32, 0u32, zeros);
    while m != 0 {
        starts = m;
        m &= m >> 1;
        best_len += 1;
    }
    // RFC 5952 §4.2.2: a single zero group is not compressed.
    let best = if STD && best_len < 2 {
        8
    } else {
        starts.trailing_zeros()
    };
    let mut i = 0;
    while i < 8 {
        if i == best {
            if i == 0 {
                out.push(b':');
            }
            out.push(b':');
            i += best_len;
            continue;
        }
        let w = words.get(i as usize).copied().unwrap_or(0);
        push_hex16(out, w, i != 7);
        i += 1;
    }
}

/// The text of the upper half `high` (not zero) of an address whose
/// lower half is zero: the groups up to the last non-zero one, each with
/// a colon, then a colon ("2001:db8::"). Up to three groups and the
/// final colon are built in one register and written at once.
#[inline]
fn push_v6_high(out: &mut Vec<u8>, high: u64) {
    let groups = 4 - high.trailing_zeros() / 16;
    let (mut text, mut n) = (0u128, 0u32);
    for i in 0..groups.min(3) {
        let (t, len) = hex16((high >> (48 - 16 * i)) as u16);
        text |= u128::from(t) << (8 * n);
        n += len;
    }
    if groups == 4 {
        append(out, &text.to_le_bytes(), n as usize);
        let (t, len) = hex16(high as u16);
        let t = t | u64::from(b':') << (8 * len);
        append(out, &t.to_le_bytes(), len as usize + 1);
    } else {
        // At most 15 octets so far.
        text |= u128::from(b':') << (8 * n);
        append(out, &text.to_le_bytes(), n as usize + 1);
    }
}

/// A group in lower-case hex without leading zeros followed by a colon,
/// and the length with the colon: the nibbles spread into octets and
/// turned into characters in one register.
#[inline]
fn hex16(w: u16) -> (u64, u32) {
    let x = u64::from(w);
    // First (most significant) nibble in the low octet.
    let nibbles = x >> 12 | (x >> 8 & 0xf) << 8 | (x >> 4 & 0xf) << 16 | (x & 0xf) << 24;
    let letters = ((nibbles + 0x0606_0606) >> 4) & 0x0101_0101;
    let chars = nibbles + 0x3030_3030 + letters * (b'a' - b'0' - 10) as u64;
    let digits = (16 - w.leading_zeros()).div_ceil(4).max(1);
    let skip = 4 - digits;
    (
        chars >> (8 * skip) | (b':' as u64) << (8 * digits),
        digits + 1,
    )
}

/// A group in lower-case hex without leading zeros, and a colon if
/// `colon`.
#[inline]
fn push_hex16(out: &mut Vec<u8>, w: u16, colon: bool) {
    let (text, len) = hex16(w);
    append(out, &text.to_le_bytes(), (len - u32::from(!colon)) as usize);
}

/// `|origin|` in one 16-octet write (a slice of varying length is a
/// memcpy call).
#[inline]
pub(super) fn push_origin_between_bars(out: &mut Vec<u8>, o: i32) {
    let (w, n) = origin_between_bars(o);
    append(out, w, n);
}

/// `|origin|` in 16 octets, and its length.
#[inline]
pub(super) fn origin_between_bars(o: i32) -> (&'static [u8; 16], usize) {
    match o {
        0 => (b"|IGP|\0\0\0\0\0\0\0\0\0\0\0", 5),
        1 => (b"|EGP|\0\0\0\0\0\0\0\0\0\0\0", 5),
        _ => (b"|INCOMPLETE|\0\0\0\0", 12),
    }
}

/// `|AG|` or `|NAG|` in one 8-octet write.
#[inline]
pub(super) fn push_atomic(out: &mut Vec<u8>, atomic: bool) {
    if atomic {
        append(out, b"|AG|\0\0\0\0", 4);
    } else {
        append(out, b"|NAG|\0\0\0", 5);
    }
}

pub(super) fn origin_text(o: i32) -> &'static [u8] {
    match o {
        0 => b"IGP",
        1 => b"EGP",
        _ => b"INCOMPLETE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> String {
        let a: std::net::Ipv6Addr = s.parse().unwrap();
        let mut o = Vec::new();
        push_v6(&mut o, &a.octets());
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn ipv6_text_like_bgpdump() {
        assert_eq!(v6("fe80::"), "fe80::");
        assert_eq!(v6("2001:db8::1"), "2001:db8::1");
        assert_eq!(v6("::ffff:192.168.2.1"), "::ffff:192.168.2.1");
        assert_eq!(v6("::192.168.1.2"), "::192.168.1.2");
        assert_eq!(v6("2001:7f8:30::2:1:0:8447"), "2001:7f8:30::2:1:0:8447");
        // One zero group is compressed too (RFC 5952 would not).
        assert_eq!(v6("2001:db8:0:1:1:1:1:1"), "2001:db8::1:1:1:1:1");
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("::0.0.0.2"), "::0.0.0.2");
        assert_eq!(v6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
        assert_eq!(v6("1:0:0:2:3:0:0:4"), "1::2:3:0:0:4");
        assert_eq!(v6("abcd:ef01:a:fff:1000:0:0:0"), "abcd:ef01:a:fff:1000::");
        // The low half zero (most prefixes).
        assert_eq!(v6("2001:db8:100::"), "2001:db8:100::");
        assert_eq!(v6("2001:0:0:1::"), "2001:0:0:1::");
        assert_eq!(v6("2a00::"), "2a00::");
        assert_eq!(v6("0:0:0:1::"), "0:0:0:1::");
        assert_eq!(v6("abcd:ef01:a:fff::"), "abcd:ef01:a:fff::");
        assert_eq!(v6("abcd:ef01:a:f::"), "abcd:ef01:a:f::");
        assert_eq!(v6("2001:db8:ffff::"), "2001:db8:ffff::");
        assert_eq!(
            v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
    }

    /// bgpdump's `fmt_ipv6` the plain way: for every pattern of zero
    /// groups, the register-built text must agree.
    #[test]
    fn ipv6_every_zero_pattern() {
        for pattern in 0..256u32 {
            let mut words = [0u16; 8];
            for (i, w) in words.iter_mut().enumerate() {
                if pattern >> i & 1 == 0 {
                    *w = [0x2001, 0xdb8, 0xa, 0xffff, 0x10, 0xbeef, 0x1, 0xf00][i];
                }
            }
            let a: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
            let a: [u8; 16] = a.try_into().unwrap();
            let (mut best, mut best_len) = (9, 0);
            for i in 0..8 {
                let run = words[i..].iter().take_while(|w| **w == 0).count();
                if run > best_len {
                    (best, best_len) = (i, run);
                }
            }
            let mut want = String::new();
            let mut i = 0;
            while i < 8 {
                if i == best {
                    want += if i == 0 { "::" } else { ":" };
                    i += best_len;
                    continue;
                }
                want += &format!("{:x}", words[i]);
                if i != 7 {
                    want.push(':');
                }
                i += 1;
            }
            let x = u128::from_be_bytes(a);
            if x >> 32 == 0xffff || (x >> 32 == 0 && x as u32 > 1) {
                continue; // the IPv4 forms, checked above
            }
            let mut o = Vec::new();
            push_v6(&mut o, &a);
            assert_eq!(String::from_utf8(o).unwrap(), want, "{pattern:08b}");
        }
    }

    /// The RFC 5952 text is what `Ipv6Addr` prints, for every pattern of
    /// zero groups and the IPv4 forms.
    #[test]
    fn ipv6_std_text_like_display() {
        let groups = [0x2001, 0xdb8, 0xa, 0xffff, 0x10, 0xbeef, 0x1, 0xf00];
        let mut addrs: Vec<u128> = (0..256u32)
            .map(|pattern| {
                (0..8).fold(0u128, |x, i| {
                    let w = if pattern >> i & 1 == 0 { groups[i] } else { 0 };
                    x << 16 | w as u128
                })
            })
            .collect();
        addrs.extend([
            0,
            1,
            2,
            0xffff_0a00_0001,
            0x0a00_0001,
            0x1_0000_0000,
            0xffff << 64,
        ]);
        let mut seed = 3u64;
        for _ in 0..5000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            // Sparse groups, so zero runs of every length turn up.
            let mut x = 0u128;
            for i in 0..8 {
                if (seed >> (i * 7)) & 3 == 0 {
                    x |= u128::from((seed >> 20) as u16 | 1) << (16 * i);
                }
            }
            addrs.push(x);
        }
        for x in addrs {
            let a = std::net::Ipv6Addr::from(x);
            let mut o = Vec::new();
            push_v6_std(&mut o, &a.octets());
            assert_eq!(String::from_utf8(o).unwrap(), a.to_string(), "{x:032x}");
        }
    }

    fn dec(v: u32) -> String {
        let mut o = b"x".to_vec();
        push_u32(&mut o, v);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn cursor_numbers_like_push_u32() {
        let mut buf = [0u8; SCRATCH + 16];
        for v in (0..200_000u32)
            .step_by(7)
            .chain([
                0,
                9,
                10,
                99_999,
                100_000,
                99_999_999,
                100_000_000,
                999_999_999,
            ])
            .chain([1_000_000_000, u32::MAX])
        {
            let mut c = Cursor::new(&mut buf);
            c.byte(b'x');
            c.dec(v);
            c.dec(v);
            assert_eq!(c.text().unwrap(), format!("x{v}{v}").as_bytes());
            if v < 100_000 {
                let (w, n) = dec5(v);
                assert_eq!(&w.to_le_bytes()[..n], v.to_string().as_bytes());
                assert_eq!(w >> (8 * n), 0, "{v}: nothing above the text");
            }
        }
        // Text longer than SCRATCH is refused.
        let mut c = Cursor::new(&mut buf);
        for _ in 0..SCRATCH / 4 {
            c.put8(u64::from_le_bytes(*b"abcdefgh"), 4);
        }
        assert_eq!(c.text().unwrap().len(), SCRATCH);
        assert_eq!(&c.text().unwrap()[SCRATCH - 4..], b"abcd");
        c.byte(b'x');
        assert!(c.text().is_none());
    }

    /// The Cursor's copies, dotted quads and `|lp|med|` write what the
    /// `Vec` writers do, after text of every alignment.
    #[test]
    fn cursor_pieces_like_the_vec_writers() {
        let mut buf = [0u8; SCRATCH + 16];
        let src: Vec<u8> = (b'a'..=b'z').cycle().take(40).collect();
        for lead in 0..9 {
            for n in 0..src.len() {
                let mut c = Cursor::new(&mut buf);
                for _ in 0..lead {
                    c.byte(b'.');
                }
                c.copy(&src[..n]);
                c.byte(b'|');
                let want = [".".repeat(lead).as_bytes(), &src[..n], b"|"].concat();
                assert_eq!(c.text().unwrap(), want, "{lead} {n}");
                assert_eq!(c.since(lead).unwrap(), &want[lead..]);
            }
        }
        for a in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [1, 22, 103, 9],
            [10, 0, 200, 7],
        ] {
            let (mut c, mut v) = (Cursor::new(&mut buf), Vec::new());
            c.v4(a);
            push_v4(&mut v, a);
            assert_eq!(c.text().unwrap(), v);
        }
        let values = [0, 1, 9, 10, 100, 65_535, 100_000, 2_147_483_648, u32::MAX];
        for lp in values {
            for med in values {
                for signed in [false, true] {
                    let (mut c, mut v) = (Cursor::new(&mut buf), Vec::new());
                    c.lp_med((lp, med), signed);
                    push_lp_med(&mut v, (lp, med), signed);
                    assert_eq!(c.text().unwrap(), v, "{lp} {med} {signed}");
                }
            }
        }
        for o in [-1, 0, 1, 2] {
            let (mut c, mut v) = (Cursor::new(&mut buf), Vec::new());
            let (w, n) = origin_between_bars(o);
            c.put16(u128::from_le_bytes(*w), n);
            c.byte(b'x');
            push_origin_between_bars(&mut v, o);
            v.push(b'x');
            assert_eq!(c.text().unwrap(), v);
        }
    }

    #[test]
    fn origin_and_atomic_words() {
        for (o, want) in [
            (0, "|IGP|"),
            (1, "|EGP|"),
            (2, "|INCOMPLETE|"),
            (-1, "|INCOMPLETE|"),
        ] {
            let mut v = b"x".to_vec();
            push_origin_between_bars(&mut v, o);
            assert_eq!(String::from_utf8(v).unwrap(), format!("x{want}"));
            assert_eq!(want.trim_matches('|').as_bytes(), origin_text(o));
        }
        let mut v = Vec::new();
        push_atomic(&mut v, true);
        push_atomic(&mut v, false);
        assert_eq!(v, b"|AG||NAG|");
    }

    #[test]
    fn numbers_and_dotted_quads() {
        for v in [
            0,
            1,
            9,
            10,
            99,
            100,
            1005,
            10_000,
            65_535,
            99_999_999,
            100_000_000,
            4_294_967_295,
            1_000_000_007,
        ] {
            assert_eq!(dec(v), format!("x{v}"));
        }
        for a in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [1, 22, 103, 9],
            [192, 0, 2, 10],
        ] {
            let mut o = Vec::new();
            push_v4(&mut o, a);
            let want = std::net::Ipv4Addr::from(a).to_string();
            assert_eq!(String::from_utf8(o).unwrap(), want);
            // Prefixes of 16 octets and more take the three-write way.
            for len in [0u8, 8, 24, 32, 255] {
                let mut o = Vec::new();
                push_v4_prefix(&mut o, a, len);
                assert_eq!(String::from_utf8(o).unwrap(), format!("{want}/{len}"));
            }
        }
    }
}
