//! The text of a route's attributes (everything after the prefix on a
//! `bgpdump -m` line), by the raw attribute bytes that decide it.
//!
//! RIB dumps and update streams repeat attribute sets heavily (one peer's
//! routes behind one path, the bursts of UPDATEs one event causes).
//! Reading the attributes and writing their text was about half of the
//! work per record; a hit costs one walk over the attribute headers, a
//! copy of the bytes that matter, a hash, one comparison and a copy of
//! the text per line.
//!
//! The key holds only what the text depends on: ORIGIN, AS_PATH,
//! NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR, COMMUNITIES,
//! AS4_PATH, AS4_AGGREGATOR and the part of MP_REACH before its NLRI.
//! Other attributes (extended and large communities, ORIGINATOR_ID, ...)
//! are not printed by bgpdump and are left out, so they do not split
//! entries. MP_UNREACH and the MP_REACH NLRI are read for every record.
//! Anything unusual (a truncated attribute, a repeated MP attribute, an
//! odd next-hop length, SNPAs) is not cached: the caller formats it the
//! long way, quirks included.

use super::hash::fx;
use super::hit_rate::HitRate;
use super::Ms;

/// Slots in the direct-mapped table (a power of two). Each keeps its
/// buffers, so the table stops allocating once warm (about 2 MB).
const SLOTS: usize = 8192;
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
    /// BGP4MP(_ET): text for the classic NLRI and for the MP_REACH NLRI.
    Bgp4mp,
    /// TABLE_DUMP_V2 RIB entry.
    TableDump2,
    /// TABLE_DUMP (v1) entry.
    TableDump,
}

/// What a walk over the attribute headers found besides the key.
#[derive(Clone, Copy, Default)]
pub(super) struct Scan<'a> {
    /// The MP_REACH and MP_UNREACH values, for their NLRI.
    pub reach: Option<Ms<'a>>,
    pub unreach: Option<Ms<'a>>,
}

#[derive(Default)]
struct Slot {
    used: bool,
    key: Vec<u8>,
    /// `text[..split]`: the classic NLRI's (or the RIB entry's) text;
    /// `text[split..]`: the MP_REACH NLRI's.
    text: Vec<u8>,
    split: usize,
    /// Whether the classic NLRI's text was made.
    classic: bool,
    /// The attribute flags bgpdump keeps (MP_UNREACH's bit excluded).
    flag: u32,
    /// Where the next hop's text is in a RIB entry's text.
    nh: (usize, usize),
}

/// A hit's (or a fresh entry's) texts and flags.
pub(super) struct Entry<'a> {
    /// `None`: not made (an UPDATE with MP_REACH and no classic NLRI).
    pub classic: Option<&'a [u8]>,
    pub mp: &'a [u8],
    pub flag: u32,
    /// Start and length of the next hop in `classic` (RIB entries).
    pub nh: (usize, usize),
}

pub(super) struct AttrCache {
    slots: Vec<Slot>,
    /// The key of the current record, built by [`AttrCache::scan`].
    key: Vec<u8>,
    slot: usize,
    rate: HitRate,
}

impl Default for AttrCache {
    fn default() -> Self {
        AttrCache {
            slots: (0..SLOTS).map(|_| Slot::default()).collect(),
            key: Vec::with_capacity(MAX_KEY),
            slot: 0,
            rate: HitRate::new(WINDOW, MIN_HITS, PAUSE),
        }
    }
}

impl AttrCache {
    /// Whether to use the cache for the next record: false for a while
    /// after a window with few hits.
    pub(super) fn active(&mut self) -> bool {
        self.rate.active()
    }

    /// Walk the attributes in `region` (as bgpdump frames them) and build
    /// the key: the printed attributes as they are (runs of them copied
    /// at once), then the MP_REACH head and its length. `None`: this
    /// attribute list is not cached.
    pub(super) fn scan<'a>(&mut self, region: Ms<'a>, four: bool, kind: Kind) -> Option<Scan<'a>> {
        let base = region.start + region.pos;
        let all = region.buf.get(base..base + region.can_read())?;
        let key = &mut self.key;
        key.clear();
        key.push(kind as u8 | u8::from(four) << 4);
        let mut scan = Scan::default();
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
            let sub = Ms {
                buf: region.buf,
                start: base + at + hl,
                pos: 0,
                len,
            };
            let printed = matches!(t, 1..=8 | 17 | 18);
            if !printed {
                key.extend_from_slice(all.get(run..at)?);
                match t {
                    14 if scan.reach.replace(sub).is_none() => head = mp_reach_head(val)?,
                    15 if scan.unreach.replace(sub).is_none() => {}
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
        (key.len() <= MAX_KEY).then_some(scan)
    }

    /// Whether the key of the last [`AttrCache::scan`] is cached; its
    /// entry is then [`AttrCache::current`].
    pub(super) fn hit(&mut self) -> bool {
        self.slot = fx(0, &self.key) as usize & (SLOTS - 1);
        let hit = self
            .slots
            .get(self.slot)
            .is_some_and(|s| s.used && s.key == self.key);
        self.rate.record(hit);
        hit
    }

    /// Keep the texts for the key of the last missed [`AttrCache::hit`];
    /// they become [`AttrCache::current`].
    pub(super) fn store(
        &mut self,
        classic: Option<&[u8]>,
        mp: &[u8],
        flag: u32,
        nh: (usize, usize),
    ) {
        let Some(s) = self.slots.get_mut(self.slot) else {
            return;
        };
        s.used = true;
        s.key.clear();
        s.key.extend_from_slice(&self.key);
        s.text.clear();
        s.classic = classic.is_some();
        s.text.extend_from_slice(classic.unwrap_or_default());
        s.text.extend_from_slice(mp);
        s.split = s.text.len() - mp.len();
        s.flag = flag;
        s.nh = nh;
    }

    /// The entry found by [`AttrCache::hit`] or kept by [`AttrCache::store`].
    pub(super) fn current(&self) -> Entry<'_> {
        match self.slots.get(self.slot) {
            Some(s) => entry(s),
            None => Entry {
                classic: None,
                mp: b"",
                flag: 0,
                nh: (0, 0),
            },
        }
    }
}

fn entry(s: &Slot) -> Entry<'_> {
    let (classic, mp) = s.text.split_at(s.split.min(s.text.len()));
    Entry {
        classic: s.classic.then_some(classic),
        mp,
        flag: s.flag,
        nh: s.nh,
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
        c.scan(Ms::new(attrs), four, kind).map(|_| c.key.clone())
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
        let ka = key_of(&mut c, &a, true, Kind::Bgp4mp).unwrap();
        assert_eq!(ka, key_of(&mut c, &b, true, Kind::Bgp4mp).unwrap());
        // Width and layout are part of the key.
        assert_ne!(ka, key_of(&mut c, &a, false, Kind::Bgp4mp).unwrap());
        assert_ne!(ka, key_of(&mut c, &a, true, Kind::TableDump2).unwrap());
        // A printed attribute changes it.
        let med = [0x80, 4, 4, 0, 0, 0, 5];
        let m: Vec<u8> = [&a[..], &med].concat();
        assert_ne!(ka, key_of(&mut c, &m, true, Kind::Bgp4mp).unwrap());
    }

    #[test]
    fn odd_lists_are_not_cached() {
        let mut c = AttrCache::default();
        let truncated = [0x40, 1, 2, 0];
        assert!(key_of(&mut c, &truncated, true, Kind::Bgp4mp).is_none());
        let unreach = [0x80, 15, 3, 0, 2, 1];
        let twice: Vec<u8> = [&unreach[..], &unreach].concat();
        assert!(key_of(&mut c, &twice, true, Kind::Bgp4mp).is_none());
        let empty_reach = [0x80, 14, 0];
        assert!(key_of(&mut c, &empty_reach, true, Kind::Bgp4mp).is_none());
        let odd_nh = [0x80, 14, 8, 0, 1, 1, 3, 1, 2, 3, 0];
        assert!(key_of(&mut c, &odd_nh, true, Kind::Bgp4mp).is_none());
        let snpa = [0x80, 14, 10, 0, 1, 1, 4, 1, 2, 3, 4, 1, 0];
        assert!(key_of(&mut c, &snpa, true, Kind::Bgp4mp).is_none());
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
        c.scan(Ms::new(&a), true, Kind::Bgp4mp).unwrap();
        assert!(!c.hit());
        c.store(Some(b"|x|"), b"|y|", 7, (1, 1));
        c.scan(Ms::new(&a), true, Kind::Bgp4mp).unwrap();
        assert!(c.hit());
        let e = c.current();
        assert_eq!(
            (e.classic, e.mp, e.flag, e.nh),
            (Some(&b"|x|"[..]), &b"|y|"[..], 7, (1, 1))
        );
        c.scan(Ms::new(&b), true, Kind::Bgp4mp).unwrap();
        assert!(!c.hit());
    }
}
