//! The text of a RIB entry's attributes (everything after the prefix on
//! a `bgpdump -m` line), by the raw attribute bytes that decide it.
//!
//! RIB dumps repeat attribute sets heavily (one peer's routes behind one
//! path). A hit costs one walk over the attribute headers, a copy of the
//! bytes that matter, a hash, one comparison and a copy of the text.
//!
//! The key holds only what the text depends on: ORIGIN, AS_PATH,
//! NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR, COMMUNITIES,
//! AS4_PATH, AS4_AGGREGATOR and the part of MP_REACH before its NLRI.
//! Other attributes (extended and large communities, ORIGINATOR_ID, ...)
//! are not printed by bgpdump and are left out, so they do not split
//! entries; nor are MP_UNREACH and the MP_REACH NLRI, which RIB lines do
//! not show. Anything unusual (a truncated attribute, a repeated MP attribute, an
//! odd next-hop length, SNPAs) is not cached: the caller formats it the
//! long way, quirks included.

use super::hash::fx;
use super::hit_rate::HitRate;
use super::Ms;

/// Slots in the direct-mapped table (a power of two). Each keeps its
/// buffers, so the table stops allocating once warm (about 300 KB).
/// 8192 slots hit more often (2002 RIB dump: 2 % fewer instructions)
/// but touched 2 MB, whose first touch cost more than that on dumps of
/// a few megabytes (a page costs about a microsecond).
const SLOTS: usize = 1024;
/// Longer keys are formatted every time (rare, and they would make every
/// slot's buffers large).
const MAX_KEY: usize = 512;
/// Lookups per sampling window, and the hits that keep the cache on:
/// a miss costs the key on top of the formatting, a hit saves several
/// times that (callgrind: PCH's updates, where each UPDATE carries all
/// prefixes of one attribute set, hit 0.1 % and lost 28 %).
const WINDOW: u32 = 4096;
const MIN_HITS: u32 = WINDOW / 8;
const PAUSE: u32 = 16 * WINDOW;

/// Which line layout the cached text is for (part of the key).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// TABLE_DUMP_V2 RIB entry.
    TableDump2,
    /// TABLE_DUMP (v1) entry.
    TableDump,
}

#[derive(Default)]
struct Slot {
    used: bool,
    key: Vec<u8>,
    text: Vec<u8>,
    /// Where the next hop's text is in `text`.
    nh: (usize, usize),
}

pub(crate) struct AttrCache {
    slots: Vec<Slot>,
    /// The key of the current record, built by [`AttrCache::scan`].
    key: Vec<u8>,
    slot: usize,
    rate: HitRate,
}

impl Default for AttrCache {
    fn default() -> Self {
        AttrCache {
            // Made at the first lookup: update files never use it, and
            // its 8192 slots are ~150 pages to fault in at start.
            slots: Vec::new(),
            key: Vec::with_capacity(MAX_KEY),
            slot: 0,
            rate: HitRate::new(WINDOW, MIN_HITS, PAUSE),
        }
    }
}

impl AttrCache {
    /// Whether to use the cache for the next record: false for a while
    /// after a window with few hits.
    pub(crate) fn active(&mut self) -> bool {
        self.rate.active()
    }

    /// Walk the attributes in `region` (as bgpdump frames them) and build
    /// the key: the printed attributes as they are (runs of them copied
    /// at once), then the MP_REACH head and its length. False: this
    /// attribute list is not cached.
    pub(super) fn scan(&mut self, region: Ms<'_>, four: bool, kind: Kind) -> bool {
        self.make_key(region.rest(), four, kind).is_some()
    }

    /// The key for text that depends on all of `attrs` (and `tag`, which
    /// tells apart the layouts): the bytes as they are. False: too long
    /// to cache.
    pub(crate) fn scan_all(&mut self, tag: u8, attrs: &[u8]) -> bool {
        self.key.clear();
        self.key.push(tag);
        self.key.extend_from_slice(attrs);
        self.key.len() <= MAX_KEY
    }

    fn make_key(&mut self, all: &[u8], four: bool, kind: Kind) -> Option<()> {
        let key = &mut self.key;
        key.clear();
        key.push(kind as u8 | u8::from(four) << 4);
        let (mut reach, mut unreach) = (false, false);
        let mut head: &[u8] = &[];
        // The run of printed attributes not yet copied.
        let mut run = 0usize;
        let mut at = 0usize;
        while let Some(rest) = all.get(at..).filter(|r| !r.is_empty()) {
            let (t, len, hl) = match *rest {
                [f, t, a, b, ..] if f & 0x10 != 0 => {
                    (t, usize::from(u16::from_be_bytes([a, b])), 4)
                }
                [f, t, l, ..] if f & 0x10 == 0 => (t, usize::from(l), 3),
                _ => return None,
            };
            let val = rest.get(hl..hl + len)?;
            let printed = matches!(t, 1..=8 | 17 | 18);
            if !printed {
                key.extend_from_slice(all.get(run..at)?);
                // A repeated MP attribute is read in odd ways.
                match t {
                    14 if !std::mem::replace(&mut reach, true) => head = mp_reach_head(val)?,
                    15 if !std::mem::replace(&mut unreach, true) => {}
                    14 | 15 => return None,
                    _ => {}
                }
            }
            at += hl + len;
            if !printed {
                run = at;
            }
        }
        key.extend_from_slice(all.get(run..at)?);
        key.extend_from_slice(head);
        key.push(u8::try_from(head.len()).ok()?);
        (key.len() <= MAX_KEY).then_some(())
    }

    /// Whether the key of the last [`AttrCache::scan`] is cached; its
    /// entry is then [`AttrCache::current`].
    pub(crate) fn hit(&mut self) -> bool {
        self.slot = fx(0, &self.key) as usize & (SLOTS - 1);
        if self.slots.is_empty() {
            self.slots = (0..SLOTS).map(|_| Slot::default()).collect();
        }
        let hit = self
            .slots
            .get(self.slot)
            .is_some_and(|s| s.used && s.key == self.key);
        self.rate.record(hit);
        hit
    }

    /// Keep the text for the key of the last missed [`AttrCache::hit`];
    /// it becomes [`AttrCache::current`].
    pub(crate) fn store(&mut self, text: &[u8], nh: (usize, usize)) {
        let Some(s) = self.slots.get_mut(self.slot) else {
            return;
        };
        s.used = true;
        s.key.clear();
        s.key.extend_from_slice(&self.key);
        s.text.clear();
        s.text.extend_from_slice(text);
        s.nh = nh;
    }

    /// The text (and where its next hop is) found by [`AttrCache::hit`]
    /// or kept by [`AttrCache::store`].
    pub(crate) fn current(&self) -> (&[u8], (usize, usize)) {
        match self.slots.get(self.slot) {
            Some(s) => (&s.text, s.nh),
            None => (b"", (0, 0)),
        }
    }
}

/// MP_REACH up to its NLRI: AFI, SAFI, next-hop length and next hop, SNPA
/// count (zero). The abbreviated RIB form (RFC 6396 §4.3.4, non-zero first
/// octet) has no NLRI: all of it. `None` for what bgpdump reads in odd
/// ways (an empty value peeks at the next attribute; an odd next-hop
/// length shifts the NLRI; SNPAs).
fn mp_reach_head(val: &[u8]) -> Option<&[u8]> {
    // A 32-octet next hop adds a link-local address -m does not print.
    match *val {
        [] => None,
        [32, ..] => val.get(..17),
        [first, ..] if first != 0 => Some(val),
        [_, _, _, nh_len, ..] if matches!(nh_len, 4 | 16 | 32) => {
            match val.get(4 + usize::from(nh_len)) {
                Some(0) => val.get(..4 + usize::from(nh_len).min(16)),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key_of(c: &mut AttrCache, attrs: &[u8], four: bool, kind: Kind) -> Option<Vec<u8>> {
        c.scan(Ms::new(attrs), four, kind).then(|| c.key.clone())
    }

    #[test]
    fn unprinted_attributes_and_mp_nlri_stay_out_of_the_key() {
        let mut c = AttrCache::default();
        let origin = [0x40, 1, 1, 0];
        let ext = [0xc0, 16, 8, 0, 2, 0, 1, 0, 0, 0, 1];
        let unreach = [0x80, 15, 5, 0, 2, 1, 8, 10];
        // MP_REACH IPv4 next hop 10.0.0.1, no SNPA, NLRI 10/8 or 11/8.
        let reach = |p: u8| [0x80, 14, 11, 0, 1, 1, 4, 10, 0, 0, 1, 0, 8, p];
        let a: Vec<u8> = [&origin[..], &reach(10), &ext].concat();
        let b: Vec<u8> = [&origin[..], &unreach, &reach(11)].concat();
        let ka = key_of(&mut c, &a, true, Kind::TableDump).unwrap();
        assert_eq!(ka, key_of(&mut c, &b, true, Kind::TableDump).unwrap());
        // Width and layout are part of the key.
        assert_ne!(ka, key_of(&mut c, &a, false, Kind::TableDump).unwrap());
        assert_ne!(ka, key_of(&mut c, &a, true, Kind::TableDump2).unwrap());
        // A printed attribute changes it.
        let med = [0x80, 4, 4, 0, 0, 0, 5];
        let m: Vec<u8> = [&a[..], &med].concat();
        assert_ne!(ka, key_of(&mut c, &m, true, Kind::TableDump).unwrap());
    }

    #[test]
    fn odd_lists_are_not_cached() {
        let mut c = AttrCache::default();
        let truncated = [0x40, 1, 2, 0];
        assert!(key_of(&mut c, &truncated, true, Kind::TableDump).is_none());
        let unreach = [0x80, 15, 3, 0, 2, 1];
        let twice: Vec<u8> = [&unreach[..], &unreach].concat();
        assert!(key_of(&mut c, &twice, true, Kind::TableDump).is_none());
        let empty_reach = [0x80, 14, 0];
        assert!(key_of(&mut c, &empty_reach, true, Kind::TableDump).is_none());
        let odd_nh = [0x80, 14, 8, 0, 1, 1, 3, 1, 2, 3, 0];
        assert!(key_of(&mut c, &odd_nh, true, Kind::TableDump).is_none());
        let snpa = [0x80, 14, 10, 0, 1, 1, 4, 1, 2, 3, 4, 1, 0];
        assert!(key_of(&mut c, &snpa, true, Kind::TableDump).is_none());
        // The abbreviated form is kept whole.
        let abbr = [0x80, 14, 5, 4, 1, 2, 3, 4];
        let k = key_of(&mut c, &abbr, true, Kind::TableDump2).unwrap();
        assert!(k.ends_with(&[4, 1, 2, 3, 4, 5]), "head, then its length");
    }

    #[test]
    fn hit_after_store_for_the_same_key_only() {
        let mut c = AttrCache::default();
        let a = [0x40, 1, 1, 0];
        let b = [0x40, 1, 1, 2];
        assert!(c.scan(Ms::new(&a), true, Kind::TableDump));
        assert!(!c.hit());
        c.store(b"|x|", (1, 1));
        assert!(c.scan(Ms::new(&a), true, Kind::TableDump));
        assert!(c.hit());
        assert_eq!(c.current(), (&b"|x|"[..], (1, 1)));
        assert!(c.scan(Ms::new(&b), true, Kind::TableDump));
        assert!(!c.hit());
    }
}
