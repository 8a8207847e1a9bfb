//! The text of recently seen AS paths, by their raw attribute bytes.
//!
//! The same AS_PATH value recurs all through an MRT file (every prefix a
//! peer holds behind one path in a RIB dump, the bursts of UPDATEs one
//! event causes), and writing it as decimal ASNs was the largest single
//! cost of the bgpdump text. A hit costs a hash of the raw bytes, one
//! comparison and a copy of the text.

use super::hash::fx;
use super::hit_rate::HitRate;

/// Slots in the direct-mapped table (a power of two). A few thousand
/// distinct paths are live at a time in a RIB dump; each slot keeps its
/// buffers, so the table stops allocating once warm.
const SLOTS: usize = 4096;
/// Lookups per sampling window, and how many of them must hit for the
/// cache to stay on (1 in 8: a hit saves about as much as a miss costs
/// at 1 in 10, measured with callgrind on RouteViews updates).
const WINDOW: u32 = 4096;
const MIN_HITS: u32 = WINDOW / 8;
/// Paths formatted directly after a poor window, before trying again.
const BYPASS: u32 = 16 * WINDOW;
/// Longer values are formatted every time (rare, and they would make
/// every slot's buffers large).
const MAX_RAW: usize = 256;

#[derive(Default)]
struct Slot {
    used: bool,
    four: bool,
    raw: Vec<u8>,
    text: Vec<u8>,
    count: i64,
}

/// A hit's text and AS count, as `aspath_text` would produce them.
pub(super) struct Cached<'a> {
    pub text: &'a [u8],
    pub count: i64,
}

pub(super) struct PathCache {
    slots: Vec<Slot>,
    rate: HitRate,
}

impl Default for PathCache {
    fn default() -> Self {
        PathCache {
            slots: (0..SLOTS).map(|_| Slot::default()).collect(),
            rate: HitRate::new(WINDOW, MIN_HITS, BYPASS),
        }
    }
}

fn hash(four: bool, raw: &[u8]) -> usize {
    fx(u64::from(four) << 32, raw) as usize & (SLOTS - 1)
}

impl PathCache {
    /// Whether to use the cache for the next path: false for a while
    /// after a window with few hits.
    pub(super) fn active(&mut self) -> bool {
        self.rate.active()
    }

    /// The cached text of `raw` read with `four`-octet ASNs, or `None`;
    /// on `None` the caller formats it and calls [`PathCache::store`].
    pub(super) fn get(&mut self, four: bool, raw: &[u8]) -> Option<Cached<'_>> {
        let s = self.slots.get(hash(four, raw))?;
        let hit = s.used && s.four == four && s.raw == raw;
        self.rate.record(hit);
        hit.then_some(Cached {
            text: &s.text,
            count: s.count,
        })
    }

    pub(super) fn store(&mut self, four: bool, raw: &[u8], text: &[u8], count: i64) {
        if raw.len() > MAX_RAW {
            return;
        }
        let Some(s) = self.slots.get_mut(hash(four, raw)) else {
            return;
        };
        s.used = true;
        s.four = four;
        s.count = count;
        s.raw.clear();
        s.raw.extend_from_slice(raw);
        s.text.clear();
        s.text.extend_from_slice(text);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hit_only_for_the_same_bytes_and_width() {
        let mut c = PathCache::default();
        let raw = [2u8, 2, 0, 1, 0, 2];
        assert!(c.get(false, &raw).is_none());
        c.store(false, &raw, b"1 2", 2);
        let hit = c.get(false, &raw).unwrap();
        assert_eq!((hit.text, hit.count), (&b"1 2"[..], 2));
        // The same octets read as 4-octet ASNs are another path.
        assert!(c.get(true, &raw).is_none());
        assert!(c.get(false, &[2, 2, 0, 1, 0, 3]).is_none());
        // Overlong values are not kept.
        let long = vec![2u8; MAX_RAW + 1];
        c.store(false, &long, b"x", 1);
        assert!(c.get(false, &long).is_none());
    }
}
