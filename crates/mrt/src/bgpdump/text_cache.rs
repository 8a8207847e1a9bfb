//! The text of recently seen attribute values (AS paths, communities), by
//! their raw bytes.
//!
//! The same AS_PATH and COMMUNITIES values recur all through an MRT file
//! (every prefix a peer holds behind one path in a RIB dump, the bursts of
//! UPDATEs one event causes, a peer's fixed set of communities), and
//! writing them as decimal numbers is the largest part of a line's text.
//! A hit costs a hash of the raw bytes, one comparison and a copy of the
//! text.

use super::addr_text::AddrTexts;
use super::hash::slot_of;
use super::hit_rate::HitRate;
use super::num_text::NumTexts;
use super::text::{Cursor, ScratchBuf};

/// Slots in the direct-mapped table (a power of two). Every page of
/// memory costs its first touch (about a microsecond on our test
/// machine, the time of some 10 000 instructions); 4096 slots saved 2 %
/// of the instructions on RIS updates but took more time on files of
/// ten megabytes.
const SLOTS: usize = 2048;
/// Lookups per sampling window, and how many of them must hit for the
/// cache to stay on (1 in 8: a hit saves about as much as a miss costs
/// at 1 in 10, measured with callgrind on RouteViews updates).
const WINDOW: u32 = 4096;
const MIN_HITS: u32 = WINDOW / 8;
/// Values formatted directly after a poor window, before trying again.
const BYPASS: u32 = 16 * WINDOW;
/// Octets per slot: a header, the raw value and its text, in one place
/// so that a lookup reads one region (a slot that pointed to a buffer of
/// its own cost a second dependent load per lookup, and a copy per
/// store). 98 % of the communities and nearly all AS paths of RIPE RIS
/// updates fit; the others are written every time.
const SLOT: usize = 256;
/// The header: raw length (0xffff: empty), text length, tag, then the
/// `extra` the text was kept with (an AS count).
const HEAD: usize = 16;
/// Longer values are formatted every time: with their text they would
/// not fit in a slot.
const MAX_RAW: usize = 112;
/// Shorter values too: a hit costs about what writing two or three
/// numbers does (callgrind: PCH's single community per UPDATE cost 6 %
/// more through the cache).
const MIN_RAW: usize = 12;

pub(crate) struct TextCache {
    /// `SLOTS` slots of `SLOT` octets.
    slots: Vec<[u8; SLOT]>,
    rate: HitRate,
}

impl Default for TextCache {
    fn default() -> Self {
        TextCache {
            // Written now, not zeroed lazily: a lookup reads a slot before
            // its first store, and the first read of an untouched page
            // maps the zero page, so the store faults a second time. An
            // empty slot's lengths are 0xffff, which no value has.
            slots: vec![[0xff; SLOT]; SLOTS],
            rate: HitRate::new(WINDOW, MIN_HITS, BYPASS),
        }
    }
}

/// The slot of `raw` (at least [`MIN_RAW`] octets) under `tag`: its
/// first, middle and last eight octets and its length mixed with one
/// multiply (values that differ only elsewhere share a slot).
#[inline]
fn slot(tag: u8, raw: &[u8]) -> usize {
    let word = |at: usize| {
        raw.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let n = raw.len();
    let h = word(0)
        ^ word(n / 2 - 4).rotate_left(21)
        ^ word(n - 8).rotate_left(42)
        ^ (n as u64) << 8
        ^ u64::from(tag);
    slot_of(h, SLOTS.trailing_zeros())
}

/// `a == b` for values of [`MIN_RAW`] octets or more, in 8-octet words
/// (the last one overlapping the one before it): no memcmp call.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (wa, _) = a.as_chunks::<8>();
    let (wb, _) = b.as_chunks::<8>();
    let mut diff = 0u64;
    for (x, y) in wa.iter().zip(wb) {
        diff |= u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y);
    }
    let last = |v: &[u8]| v.last_chunk::<8>().map_or(0, |w| u64::from_ne_bytes(*w));
    diff | (last(a) ^ last(b)) == 0
}

/// What [`TextCache::lookup`] found.
enum Lookup<'c> {
    /// The text and what was kept with it.
    Hit(&'c [u8], i64),
    /// Not there: the slot to [`TextCache::store`] it in.
    Miss(usize),
    /// Not kept (too short or long, or the cache is resting).
    Pass,
}

impl TextCache {
    /// The kept text of `raw` under `tag`, or where to keep it.
    #[inline]
    fn lookup(&mut self, tag: u8, raw: &[u8]) -> Lookup<'_> {
        if !(MIN_RAW..=MAX_RAW).contains(&raw.len()) || !self.rate.active() {
            return Lookup::Pass;
        }
        let i = slot(tag, raw);
        let Some(s) = self.slots.get(i) else {
            return Lookup::Pass;
        };
        let (head, body) = s.split_at(HEAD);
        let h = head
            .first_chunk::<8>()
            .map_or(0, |w| u64::from_le_bytes(*w));
        let (raw_len, text_len) = (h as u16 as usize, (h >> 16) as u16 as usize);
        let key_ok = raw_len == raw.len() && (h >> 32) as u8 == tag;
        let kept = key_ok
            .then(|| {
                body.get(..raw_len)
                    .zip(body.get(raw_len..raw_len + text_len))
            })
            .flatten()
            .filter(|(key, _)| same(key, raw));
        self.rate.record(kept.is_some());
        match kept {
            Some((_, text)) => {
                let extra = head.last_chunk::<8>().map_or(0, |w| i64::from_le_bytes(*w));
                Lookup::Hit(text, extra)
            }
            None => Lookup::Miss(i),
        }
    }

    /// Keep `text` (and `extra`) as the text of `raw` under `tag` in slot
    /// `i` (from [`TextCache::lookup`]), if they fit.
    fn store(&mut self, i: usize, tag: u8, raw: &[u8], text: &[u8], extra: i64) {
        let Some(s) = self.slots.get_mut(i) else {
            return;
        };
        let (head, body) = s.split_at_mut(HEAD);
        let Some((k, rest)) = body.split_at_mut_checked(raw.len()) else {
            return;
        };
        let Some(t) = rest.get_mut(..text.len()) else {
            // Too long to keep: the slot is left as it was.
            return;
        };
        k.copy_from_slice(raw);
        t.copy_from_slice(text);
        let h = raw.len() as u64 | (text.len() as u64) << 16 | u64::from(tag) << 32;
        let (lens, kept) = head.split_at_mut(8);
        lens.copy_from_slice(&h.to_le_bytes());
        kept.copy_from_slice(&extra.to_le_bytes());
    }

    /// Append the text of `raw` to `out`: the cached one, or the one
    /// `write` appends (then kept). `tag` tells apart values whose text
    /// depends on more than their bytes (such as the ASN width). Returns
    /// what `write` returned with the text (an AS count, say).
    #[inline]
    pub(super) fn text_of(
        &mut self,
        tag: u8,
        raw: &[u8],
        out: &mut Vec<u8>,
        write: impl FnOnce(&mut Vec<u8>) -> i64,
    ) -> i64 {
        let i = match self.lookup(tag, raw) {
            Lookup::Hit(text, extra) => {
                out.extend_from_slice(text);
                return extra;
            }
            Lookup::Pass => return write(out),
            Lookup::Miss(i) => i,
        };
        let at = out.len();
        let extra = write(out);
        let text = out.get(at..).unwrap_or_default();
        self.store(i, tag, raw, text, extra);
        extra
    }

    /// [`TextCache::text_of`] for text written with a [`Cursor`]: the
    /// kept text copied in, or the one `write` writes (then kept). `None`
    /// when `write` gives up.
    #[inline]
    pub(crate) fn text_into(
        &mut self,
        tag: u8,
        raw: &[u8],
        c: &mut Cursor<'_>,
        write: impl FnOnce(&mut Cursor<'_>) -> Option<i64>,
    ) -> Option<()> {
        match self.lookup(tag, raw) {
            Lookup::Hit(text, _) => c.copy(text),
            Lookup::Pass => {
                write(c)?;
            }
            Lookup::Miss(i) => {
                let at = c.pos();
                let extra = write(c)?;
                if let Some(text) = c.since(at) {
                    self.store(i, tag, raw, text, extra);
                }
            }
        }
        Some(())
    }
}

/// The texts of single ASNs and communities.
#[derive(Default)]
pub(crate) struct Nums {
    pub asns: NumTexts,
    pub communities: NumTexts,
}

/// The caches a line's attribute text is made with.
pub(crate) struct ValueTexts {
    /// AS paths; the tag is 1 for 4-octet ASNs.
    pub paths: TextCache,
    pub communities: TextCache,
    /// IPv6 next hops.
    pub nexthops: AddrTexts,
    /// Single ASNs and communities, for the paths and lists above that
    /// are not kept.
    pub nums: Nums,
    /// Where AS path and communities text is written on a miss.
    pub scratch: Box<ScratchBuf>,
}

impl Default for ValueTexts {
    fn default() -> Self {
        ValueTexts {
            paths: TextCache::default(),
            communities: TextCache::default(),
            nexthops: AddrTexts::default(),
            nums: Nums::default(),
            scratch: Box::new([0; size_of::<ScratchBuf>()]),
        }
    }
}

impl ValueTexts {
    /// The same caches with IPv6 next hops as Rust prints them (RFC 5952).
    pub(crate) fn with_std_v6() -> Self {
        ValueTexts {
            nexthops: AddrTexts::new(true),
            ..ValueTexts::default()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hit_only_for_the_same_bytes_and_tag() {
        let mut c = TextCache::default();
        let raw = [2u8, 5, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5];
        let mut calls = 0;
        let mut text = |c: &mut TextCache, tag: u8, raw: &[u8]| {
            let mut o = b">".to_vec();
            let n = c.text_of(tag, raw, &mut o, |o| {
                calls += 1;
                o.extend_from_slice(b"1 2");
                2
            });
            (o, n)
        };
        assert_eq!(text(&mut c, 0, &raw), (b">1 2".to_vec(), 2));
        assert_eq!(text(&mut c, 0, &raw), (b">1 2".to_vec(), 2));
        // The same octets under another tag, other octets: made again.
        text(&mut c, 1, &raw);
        text(&mut c, 0, &[2, 5, 0, 1, 0, 2, 0, 3, 0, 4, 0, 6]);
        // Overlong and short values are never kept.
        for len in [MAX_RAW + 1, MIN_RAW - 1] {
            let v = vec![2u8; len];
            text(&mut c, 0, &v);
            text(&mut c, 0, &v);
        }
        assert_eq!(calls, 7, "one hit");
    }

    /// The word-wise comparison finds a difference in any octet, and in
    /// the length.
    #[test]
    fn same_octets_in_words() {
        for len in MIN_RAW..40 {
            let a: Vec<u8> = (0..len as u8).collect();
            assert!(same(&a, &a.clone()));
            assert!(!same(&a, &a[..len - 1]));
            for i in 0..len {
                let mut b = a.clone();
                b[i] ^= 0x40;
                assert!(!same(&a, &b), "{len} {i}");
            }
        }
    }
}
