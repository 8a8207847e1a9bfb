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
use super::text::{ScratchBuf, SCRATCH};

const SCRATCH_LEN: usize = SCRATCH + 16;
use super::hash::fx;
use super::hit_rate::HitRate;

/// Slots in the direct-mapped table (a power of two). A few thousand
/// distinct values are live at a time in a RIB dump; each slot keeps its
/// buffers, so the table stops allocating once warm.
const SLOTS: usize = 4096;
/// Lookups per sampling window, and how many of them must hit for the
/// cache to stay on (1 in 8: a hit saves about as much as a miss costs
/// at 1 in 10, measured with callgrind on RouteViews updates).
const WINDOW: u32 = 4096;
const MIN_HITS: u32 = WINDOW / 8;
/// Values formatted directly after a poor window, before trying again.
const BYPASS: u32 = 16 * WINDOW;
/// Longer values are formatted every time (rare, and they would make
/// every slot's buffers large).
const MAX_RAW: usize = 256;
/// Shorter values too: a hit costs about what writing two or three
/// numbers does (callgrind: PCH's single community per UPDATE cost 6 %
/// more through the cache).
const MIN_RAW: usize = 12;

#[derive(Default)]
struct Slot {
    used: bool,
    tag: u8,
    /// The raw value, then its text.
    data: Vec<u8>,
    raw_len: usize,
    extra: i64,
}

/// A slot's first buffer: most values and their text fit, so a slot
/// rarely grows again.
const FIRST_CAPACITY: usize = 256;

pub(super) struct TextCache {
    slots: Vec<Slot>,
    rate: HitRate,
}

impl Default for TextCache {
    fn default() -> Self {
        TextCache {
            slots: (0..SLOTS).map(|_| Slot::default()).collect(),
            rate: HitRate::new(WINDOW, MIN_HITS, BYPASS),
        }
    }
}

fn slot(tag: u8, raw: &[u8]) -> usize {
    fx(u64::from(tag) << 32, raw) as usize & (SLOTS - 1)
}

impl TextCache {
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
        if !(MIN_RAW..=MAX_RAW).contains(&raw.len()) || !self.rate.active() {
            return write(out);
        }
        let i = slot(tag, raw);
        let Some(s) = self.slots.get_mut(i) else {
            return write(out);
        };
        let (key, text) = s.data.split_at(s.raw_len.min(s.data.len()));
        let hit = s.used && s.tag == tag && key == raw;
        self.rate.record(hit);
        if hit {
            out.extend_from_slice(text);
            return s.extra;
        }
        let at = out.len();
        let extra = write(out);
        let text = out.get(at..).unwrap_or_default();
        s.used = true;
        s.tag = tag;
        s.extra = extra;
        s.data.clear();
        s.data.reserve(FIRST_CAPACITY.max(raw.len() + text.len()));
        s.data.extend_from_slice(raw);
        s.data.extend_from_slice(text);
        s.raw_len = raw.len();
        extra
    }
}

/// The caches a line's attribute text is made with.
pub(super) struct ValueTexts {
    /// AS paths; the tag is 1 for 4-octet ASNs.
    pub paths: TextCache,
    pub communities: TextCache,
    /// IPv6 next hops.
    pub nexthops: AddrTexts,
    /// Where AS path and communities text is written on a miss.
    pub scratch: Box<ScratchBuf>,
}

impl Default for ValueTexts {
    fn default() -> Self {
        ValueTexts {
            paths: TextCache::default(),
            communities: TextCache::default(),
            nexthops: AddrTexts::default(),
            scratch: Box::new([0; SCRATCH_LEN]),
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
}
