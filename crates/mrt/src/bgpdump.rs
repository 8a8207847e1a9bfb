//! Text in the exact form of `bgpdump -m` (RIPE NCC bgpdump 1.6.2), for
//! pipelines and regression suites built on that tool.
//!
//! bgpdump reads each record through a cursor that returns zeros past the
//! end of the data instead of failing, and prints whatever that yields.
//! Damaged or unusual records therefore print in ways no RFC describes
//! (phantom RIB entries of zeros, next hops read from the wrong place,
//! an AS4_PATH merge that repeats the first segment). To be byte for byte
//! identical this module reads the raw record the same way, rather than
//! going through the strict typed decoder. Each imitated quirk is named
//! where it is handled. What bgpdump leaves undefined (out-of-range peer
//! indexes, reads past its buffers) is not printed.
//!
//! Output lines (`-m`):
//! `TABLE_DUMP|ts|B|peer|peerAS|prefix|path|origin|nh|lp|med|comm|AG|agg|`,
//! `TABLE_DUMP2[_AP]|...`, `BGP4MP[_ET][_LOCAL][_AP]|ts|A/W|...`,
//! `BGP4MP[_ET]|ts|STATE|peer|peerAS|old|new`, `BGP|ts|...` for the
//! deprecated type 5.

use crate::record::{bgp4mp, mrt_type, td2, Header};

mod addr_text;
mod attr_cache;
mod attr_text;
mod hash;
mod hit_rate;
mod num_text;
mod plain;
mod prefix_text;
mod text;
mod text_cache;
mod update;
use addr_text::AddrTexts;
use attr_cache::{AttrCache, Kind};
use attr_text::{community_text, write_aspath, AS_CONFED_SET, AS_SET};
use plain::Plain;
use text::{
    first4, origin_text, push_lp_med, push_micros, push_mp_nexthop, push_peer, push_slash_len,
    push_u32, push_v4, push_v6, v4_in16,
};
use text_cache::{TextCache, ValueTexts};
use update::{update_fast, Direct, LineBufs};

/// The caches and text writers [`crate::elem_text`] writes its lines with.
pub(crate) mod shared {
    pub(crate) use super::addr_text::AddrTexts;
    pub(crate) use super::attr_cache::AttrCache;
    pub(crate) use super::attr_text::{aspath_into, communities_list_into};
    pub(crate) use super::text::{
        push_micros, push_u32, push_v4, push_v6_std, v4_in16, Cursor, SCRATCH,
    };
    pub(crate) use super::text_cache::{Nums, TextCache, ValueTexts};
    pub(crate) use super::update::{next_prefix, nlri_lines, push_prefix, LineBufs};
}

/// Notes kept between two calls of [`Formatter::take_notes`].
pub const MAX_NOTES: usize = 64;

/// bgpdump's per-list limit: 1.6.2 prints at most 8192 prefixes of one
/// NLRI field (measured: a 20000-prefix MP_UNREACH prints 8192 lines).
const MAX_PREFIXES: usize = 8192;
const AS_TRANS: u32 = 23456;

/// A read cursor with bgpdump's `mstream` semantics: reads past the end
/// give zeros and leave the cursor at the end.
#[derive(Clone, Copy)]
struct Ms<'a> {
    /// The whole record body (peeks may look past `len`).
    buf: &'a [u8],
    start: usize,
    pos: usize,
    len: usize,
}

impl<'a> Ms<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Ms {
            buf,
            start: 0,
            pos: 0,
            len: buf.len(),
        }
    }

    #[inline]
    fn can_read(&self) -> usize {
        self.len.saturating_sub(self.pos)
    }

    /// `mstream_get`: copy what is there, zero the rest; the count read.
    #[inline]
    fn get(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len();
        let room = self.can_read();
        let take = n.min(room);
        let from = self.start + self.pos;
        match (dst.get_mut(..take), self.buf.get(from..from + take)) {
            (Some(d), Some(s)) => d.copy_from_slice(s),
            _ => dst.iter_mut().take(take).for_each(|b| *b = 0),
        }
        dst.iter_mut().skip(take).for_each(|b| *b = 0);
        if room >= n {
            self.pos += n;
            n
        } else {
            self.pos = self.len;
            room
        }
    }

    /// `mstream_get(s, NULL, n)`: skip; the count skipped.
    #[inline]
    fn skip(&mut self, n: u32) -> usize {
        let n = n as usize;
        let room = self.can_read();
        if room >= n {
            self.pos += n;
            n
        } else {
            self.pos = self.len;
            room
        }
    }

    /// A fixed-size read: a direct load when the bytes are there, the
    /// zero-padding path otherwise.
    #[inline]
    fn fixed<const N: usize>(&mut self) -> [u8; N] {
        if self.can_read() >= N {
            let from = self.start + self.pos;
            if let Some(Ok(a)) = self.buf.get(from..from + N).map(<[u8; N]>::try_from) {
                self.pos += N;
                return a;
            }
        }
        let mut b = [0u8; N];
        self.get(&mut b);
        b
    }

    #[inline]
    fn getc(&mut self) -> u8 {
        let [v] = self.fixed::<1>();
        v
    }

    #[inline]
    fn getw(&mut self) -> u16 {
        u16::from_be_bytes(self.fixed())
    }

    #[inline]
    fn getl(&mut self) -> u32 {
        u32::from_be_bytes(self.fixed())
    }

    #[inline]
    fn ipv4(&mut self) -> [u8; 4] {
        self.fixed()
    }

    #[inline]
    fn ipv6(&mut self) -> [u8; 16] {
        self.fixed()
    }

    /// `mstream_copy`: a sub-cursor over the next `n` bytes (fewer if the
    /// data ends), skipping them here. `n` is a C `int` converted to
    /// unsigned, so negative lengths take everything.
    #[inline]
    fn copy(&mut self, n: u32) -> Ms<'a> {
        let start = self.start + self.pos;
        let len = self.skip(n);
        Ms {
            buf: self.buf,
            start,
            pos: 0,
            len,
        }
    }

    /// The bytes still to read.
    #[inline]
    fn rest(&self) -> &'a [u8] {
        let at = self.start + self.pos;
        self.buf.get(at..self.start + self.len).unwrap_or_default()
    }

    /// `s->start[s->position]`: the byte at the cursor, read from the
    /// record even when this cursor is empty.
    #[inline]
    fn peek_raw(&self) -> u8 {
        self.buf.get(self.start + self.pos).copied().unwrap_or(0)
    }

    fn asn(&mut self, four: bool) -> u32 {
        if four {
            self.getl()
        } else {
            u32::from(self.getw())
        }
    }
}

/// One prefix as bgpdump stores it.
#[derive(Clone, Copy, Default)]
struct Pfx {
    addr: [u8; 16],
    len: u8,
    path_id: u32,
}

#[derive(Clone, Copy, Default)]
struct MpNlri {
    nexthop: [u8; 16],
    /// The next-hop length octet: what was read, and how it prints.
    nh_len: u8,
    /// Range in the prefix arena.
    start: usize,
    count: usize,
}

#[derive(Default)]
struct AsPathS {
    present: bool,
    four: bool,
    /// Where AS_PATH / AS4_PATH bytes are in the record (read in place).
    off: usize,
    len: usize,
    /// Bytes of the merged path, which exists only here.
    data: Vec<u8>,
    count: i64,
    text: Vec<u8>,
}

impl AsPathS {
    fn clear(&mut self) {
        self.present = false;
        self.data.clear();
        self.text.clear();
        self.count = 0;
    }
}

/// The attributes of one route, as libbgpdump keeps them.
struct Attr {
    flag: u32,
    origin: i32,
    nexthop: [u8; 4],
    med: u32,
    local_pref: u32,
    aggregator_as: u32,
    aggregator_addr: [u8; 4],
    new_aggregator_as: u32,
    new_aggregator_addr: [u8; 4],
    aspath: AsPathS,
    new_aspath: AsPathS,
    merged: AsPathS,
    community: Option<Vec<u8>>,
    community_buf: Vec<u8>,
    announce: [[Option<MpNlri>; 4]; 3],
    withdraw: [[Option<MpNlri>; 4]; 3],
    /// Whether the MP tables above hold anything (resetting them costs
    /// about a kilobyte of writes, once per RIB entry otherwise).
    mp_used: bool,
}

impl Default for Attr {
    fn default() -> Self {
        Attr {
            flag: 0,
            origin: -1,
            nexthop: [255; 4],
            med: u32::MAX,
            local_pref: u32::MAX,
            aggregator_as: u32::MAX,
            aggregator_addr: [255; 4],
            new_aggregator_as: u32::MAX,
            new_aggregator_addr: [255; 4],
            aspath: AsPathS::default(),
            new_aspath: AsPathS::default(),
            merged: AsPathS::default(),
            community: None,
            community_buf: Vec::new(),
            announce: [[None; 4]; 3],
            withdraw: [[None; 4]; 3],
            mp_used: false,
        }
    }
}

const fn bit(code: u32) -> u32 {
    1u32 << ((code.wrapping_sub(1)) & 31)
}
const F_AS_PATH: u32 = bit(2);
const F_MED: u32 = bit(4);
const F_LOCAL_PREF: u32 = bit(5);
const F_ATOMIC: u32 = bit(6);
const F_AGGREGATOR: u32 = bit(7);
const F_COMMUNITIES: u32 = bit(8);
const F_MP_REACH: u32 = bit(14);
const F_MP_UNREACH: u32 = bit(15);
const F_NEW_AS_PATH: u32 = bit(17);
const F_NEW_AGGREGATOR: u32 = bit(18);

impl Attr {
    fn reset(&mut self) {
        self.flag = 0;
        self.origin = -1;
        self.nexthop = [255; 4];
        self.med = u32::MAX;
        self.local_pref = u32::MAX;
        self.aggregator_as = u32::MAX;
        self.aggregator_addr = [255; 4];
        self.new_aggregator_as = u32::MAX;
        self.new_aggregator_addr = [255; 4];
        self.aspath.clear();
        self.new_aspath.clear();
        self.merged.clear();
        if let Some(c) = self.community.take() {
            self.community_buf = c;
        }
        if self.mp_used {
            self.announce = [[None; 4]; 3];
            self.withdraw = [[None; 4]; 3];
            self.mp_used = false;
        }
    }

    /// The AS path text printed on a line (`attr_aspath`).
    fn path_text(&self) -> &[u8] {
        if self.flag & F_AS_PATH == 0 {
            return b"";
        }
        self.shown_path().map(|p| p.text.as_slice()).unwrap_or(b"")
    }

    /// The path bgpdump shows: the merged one after an AS4_PATH merge.
    fn shown_path(&self) -> Option<&AsPathS> {
        if self.merged.present {
            Some(&self.merged)
        } else if self.aspath.present {
            Some(&self.aspath)
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, Default)]
struct PeerEntry {
    /// `peer|peer_as|` in `Formatter::peer_texts`.
    text: (usize, usize),
}

/// Which kind of problem made bgpdump skip (part of) a record; reported so
/// callers can warn, never printed on the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A type or subtype bgpdump does not print (OSPF, BGP4MP_ENTRY, ...).
    Unsupported { mrt_type: u16, subtype: u16 },
    /// bgpdump rejects the record (bad marker, unknown AFI, bad length).
    Rejected(&'static str),
    /// A RIB entry names a peer missing from the PEER_INDEX_TABLE; bgpdump
    /// reads undefined memory there, this module prints nothing.
    UnknownPeer(u16),
    /// A record with an empty body: bgpdump stops reading the file there.
    Stopped,
    /// bgpdump prints memory it never wrote here; this module prints nothing.
    Undefined(&'static str),
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Unsupported { mrt_type, subtype } if crate::record::is_known_type(*mrt_type) => {
                write!(
                    f,
                    "MRT type {mrt_type} subtype {subtype} is not shown by bgpdump -m"
                )
            }
            Note::Unsupported { mrt_type, subtype } => write!(
                f,
                "unknown MRT type {mrt_type} (subtype {subtype}): damaged framing?"
            ),
            Note::Rejected(why) => write!(f, "skipped as bgpdump does: {why}"),
            Note::UnknownPeer(i) => {
                write!(f, "RIB entry names peer {i}, not in the PEER_INDEX_TABLE")
            }
            Note::Undefined(what) => write!(f, "bgpdump prints undefined memory for the {what}"),
            Note::Stopped => {
                f.write_str("record with an empty body: bgpdump stops reading the file here")
            }
        }
    }
}

/// Formats records as `bgpdump -m` does. Keeps the PEER_INDEX_TABLE.
#[derive(Default)]
pub struct Formatter {
    peers: Option<Vec<PeerEntry>>,
    peer_texts: Vec<u8>,
    /// TABLE_DUMP: `TABLE_DUMP|time|B|peer|peer_as|` and what it was made
    /// from (a RIB dump has one time and few peers, in runs).
    v1_key: Option<(u32, u16, [u8; 16], u32)>,
    v1_start: Vec<u8>,
    attr: Attr,
    pfx: Vec<Pfx>,
    notes: Vec<Note>,
    /// Scratch: the shared start and end of the lines of one NLRI group.
    head: Vec<u8>,
    tailbuf: Vec<u8>,
    linestart: Vec<u8>,
    start_key: Option<(usize, u32)>,
    /// Length of `linestart` up to the end of the seconds.
    second_len: usize,
    /// BGP4MP `peer|peer_as|` texts.
    addrs: AddrTexts,
    /// Scratch and IPv6 prefix texts of the direct UPDATE path.
    lines: LineBufs,
    /// AS path and communities text by raw value.
    texts: ValueTexts,
    attrs: AttrCache,
    /// Scratch: attribute text on its way into `attrs`.
    restbuf: Vec<u8>,
    stopped: bool,
}

/// The text and AS count of a path's `data`.
fn aspath_text(p: &mut AsPathS, data: &[u8]) {
    p.text.clear();
    p.count = write_aspath(&mut p.text, data, p.four);
}

/// [`aspath_text`] of the path at `p.off..p.off + p.len` in `buf`, from
/// the cache when the same bytes were formatted before.
fn cached_aspath_text(cache: &mut TextCache, p: &mut AsPathS, buf: &[u8]) {
    let data = buf.get(p.off..p.off + p.len).unwrap_or_default();
    let four = p.four;
    p.text.clear();
    p.count = cache.text_of(u8::from(four), data, &mut p.text, |t| {
        write_aspath(t, data, four)
    });
}

impl Formatter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget what belongs to the file read so far (its PEER_INDEX_TABLE,
    /// a stop, notes) before reading the next one; the caches stay.
    pub fn next_file(&mut self) {
        self.peers = None;
        self.stopped = false;
        self.notes.clear();
    }

    /// True once a record has made bgpdump stop reading the file: nothing
    /// after it is printed.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Problems met since the last call (at most [`MAX_NOTES`]; a damaged
    /// RIB record can name thousands of missing peers).
    pub fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    fn note(&mut self, n: Note) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(n);
        }
    }

    /// Append the `bgpdump -m` lines of one record to `out`. `body` is the
    /// record after the header (and after the microseconds of `_ET` types).
    pub fn format(&mut self, h: &Header, body: &[u8], out: &mut Vec<u8>) {
        if self.stopped {
            return;
        }
        // bgpdump 1.6.2 ends the file at a record with an empty body
        // ("invalid entry length: 0").
        if body.is_empty() {
            self.stopped = true;
            self.note(Note::Stopped);
            return;
        }
        self.pfx.clear();
        match h.mrt_type {
            mrt_type::BGP => self.mrtd_bgp(h, body, out),
            mrt_type::TABLE_DUMP => self.table_dump(h, body, out),
            mrt_type::TABLE_DUMP_V2 => self.table_dump_v2(h, body, out),
            mrt_type::BGP4MP | mrt_type::BGP4MP_ET => self.bgp4mp(h, body, out),
            _ => self.note(Note::Unsupported {
                mrt_type: h.mrt_type,
                subtype: h.subtype,
            }),
        }
    }

    // ---- attribute parsing (process_attributes and friends) ----

    fn read_prefix_list(&mut self, s: &mut Ms<'_>, addpath: bool) -> (usize, usize) {
        let start = self.pfx.len();
        let mut count = 0usize;
        while s.can_read() > 0 {
            let path_id = if addpath { s.getl() } else { 0 };
            let plen = s.getc();
            let pbytes = usize::from(plen).div_ceil(8);
            if s.can_read() < pbytes {
                break;
            }
            // Fast path: one 16-byte load masked to the prefix octets (the
            // record continues past them, or the slow path runs).
            let from = s.start + s.pos;
            if pbytes <= 16 {
                if let Some(Ok(w)) = s.buf.get(from..from + 16).map(<[u8; 16]>::try_from) {
                    s.pos += pbytes;
                    count += 1;
                    if count <= MAX_PREFIXES {
                        let mask = u128::MAX.checked_shl(128 - 8 * pbytes as u32).unwrap_or(0);
                        self.pfx.push(Pfx {
                            addr: (u128::from_be_bytes(w) & mask).to_be_bytes(),
                            len: plen,
                            path_id,
                        });
                    }
                    continue;
                }
            }
            let mut raw = [0u8; 32];
            s.get(raw.get_mut(..pbytes).unwrap_or_default());
            count += 1;
            // Past the limit prefixes are read but not kept.
            if count > MAX_PREFIXES {
                continue;
            }
            let mut p = Pfx {
                addr: [0; 16],
                len: plen,
                path_id,
            };
            p.addr.copy_from_slice(raw.get(..16).unwrap_or(&[0; 16]));
            // Prefixes longer than 128 bits overflow the address into the
            // length (and path id) of bgpdump's struct prefix.
            if pbytes > 16 {
                p.len = raw.get(16).copied().unwrap_or(0);
            }
            if pbytes > 20 {
                let mut id = p.path_id.to_le_bytes();
                for (k, b) in id.iter_mut().enumerate() {
                    if 20 + k < pbytes {
                        *b = raw.get(20 + k).copied().unwrap_or(0);
                    }
                }
                p.path_id = u32::from_le_bytes(id);
            }
            self.pfx.push(p);
        }
        (start, count.min(MAX_PREFIXES))
    }

    /// bgpdump 1.6.2 reads the next hop by its length alone (RFC 8950
    /// makes the AFI irrelevant): 4, 16 or 32 octets; any other length
    /// reads nothing, and the bytes are then taken for the SNPA count and
    /// NLRI.
    fn get_nexthop(s: &mut Ms<'_>) -> ([u8; 16], u8) {
        let nh_len = s.getc();
        let nh = match nh_len {
            4 => v4_in16(s.ipv4()),
            16 => s.ipv6(),
            32 => {
                let nh = s.ipv6();
                s.ipv6(); // link-local, not shown by -m
                nh
            }
            _ => [0; 16],
        };
        (nh, nh_len)
    }

    fn mp_announce(&mut self, s: &mut Ms<'_>, addpath: bool) {
        // RFC 6396 §4.3.4 abbreviated form, recognised by a non-zero first
        // octet, and always taken to be IPv6 unicast.
        if s.peek_raw() != 0 {
            let (nexthop, nh_len) = Self::get_nexthop(s);
            set(
                &mut self.attr.announce,
                2,
                1,
                MpNlri {
                    nexthop,
                    nh_len,
                    start: 0,
                    count: 0,
                },
            );
            return;
        }
        let afi = s.getw();
        let safi = s.getc();
        if afi > 2 || safi > 3 {
            return;
        }
        if get(&self.attr.announce, afi, safi).is_some() {
            return;
        }
        let (nexthop, nh_len) = Self::get_nexthop(s);
        // SNPAs (RFC 2858), defunct: skipped.
        let mut snpa = s.getc();
        while snpa > 0 {
            let l = s.getc();
            s.skip(u32::from(l));
            snpa -= 1;
        }
        let (start, count) = self.read_prefix_list(s, addpath);
        set(
            &mut self.attr.announce,
            afi,
            safi,
            MpNlri {
                nexthop,
                nh_len,
                start,
                count,
            },
        );
    }

    fn mp_withdraw(&mut self, s: &mut Ms<'_>, addpath: bool) {
        let afi = s.getw();
        let safi = s.getc();
        if afi > 2 || safi > 3 {
            return;
        }
        if get(&self.attr.withdraw, afi, safi).is_some() {
            return;
        }
        let (start, count) = self.read_prefix_list(s, addpath);
        set(
            &mut self.attr.withdraw,
            afi,
            safi,
            MpNlri {
                nexthop: [0; 16],
                nh_len: 0,
                start,
                count,
            },
        );
    }

    fn one_attr(&mut self, outer: &mut Ms<'_>, four: bool, addpath: bool) {
        let flag = outer.getc();
        let t = outer.getc();
        let len = if flag & 0x10 != 0 {
            outer.getw()
        } else {
            u16::from(outer.getc())
        };
        let mut s = outer.copy(u32::from(len));
        if s.can_read() != usize::from(len) {
            return; // "attribute is truncated"
        }
        if t <= 32 {
            self.attr.flag |= bit(u32::from(t));
        }
        match t {
            14 => {
                self.attr.mp_used = true;
                self.mp_announce(&mut s, addpath)
            }
            15 => {
                self.attr.mp_used = true;
                self.mp_withdraw(&mut s, addpath)
            }
            1 => self.attr.origin = i32::from(s.getc()),
            2 => {
                let p = &mut self.attr.aspath;
                p.present = true;
                p.four = four;
                // The whole value is there (checked above): read in place.
                p.off = s.start;
                p.len = usize::from(len);
                cached_aspath_text(&mut self.texts.paths, p, s.buf);
            }
            3 => self.attr.nexthop = s.ipv4(),
            4 => self.attr.med = s.getl(),
            5 => self.attr.local_pref = s.getl(),
            7 => {
                self.attr.aggregator_as = s.asn(four);
                self.attr.aggregator_addr = s.ipv4();
            }
            8 => {
                // The whole value is there (checked above): read it in place.
                let size = usize::from(len) / 4;
                let val = s
                    .buf
                    .get(s.start..s.start + usize::from(len))
                    .unwrap_or_default();
                let mut buf = std::mem::take(&mut self.attr.community_buf);
                community_text(val, size, &mut buf);
                self.attr.community = Some(buf);
            }
            17 => {
                let p = &mut self.attr.new_aspath;
                p.present = true;
                p.four = true;
                // The whole value is there (checked above): read in place.
                p.off = s.start;
                p.len = usize::from(len);
                cached_aspath_text(&mut self.texts.paths, p, s.buf);
            }
            18 => {
                self.attr.new_aggregator_as = s.getl();
                self.attr.new_aggregator_addr = s.ipv4();
            }
            _ => {}
        }
    }

    fn attributes(&mut self, s: &mut Ms<'_>, four: bool, addpath: bool) {
        let total = s.getw();
        let region = s.copy(u32::from(total));
        self.read_attributes(region, four, addpath);
    }

    fn read_attributes(&mut self, mut region: Ms<'_>, four: bool, addpath: bool) {
        self.attr.reset();
        while region.can_read() > 0 {
            self.one_attr(&mut region, four, addpath);
        }
        self.asn32_trans(four, region.buf);
    }

    /// The attributes of a RIB entry, as the text after its prefix when
    /// that depends on them alone: from the attribute cache, else written
    /// from the raw bytes ([`Plain`]), else from `self.attr` read the long
    /// way (kept in the cache when it has room for the key).
    fn rib_attributes(&mut self, s: &mut Ms<'_>, four: bool, addpath: bool, kind: Kind) -> Rest {
        let total = s.getw();
        let region = s.copy(u32::from(total));
        let cache = self.attrs.active() && self.attrs.scan(region, four, kind);
        if cache && self.attrs.hit() {
            return Rest::Cached;
        }
        let mut text = std::mem::take(&mut self.restbuf);
        text.clear();
        let mut p = Plain::new(four);
        let nh = match p.read(region.rest()) {
            Some(()) => Some(match kind {
                Kind::TableDump => {
                    p.v1_rest(&mut self.texts, &mut text);
                    (0, 0)
                }
                Kind::TableDump2 => p.td2_rest(&mut self.texts, &mut text),
            }),
            None => {
                self.read_attributes(region, four, addpath);
                self.render(kind, &mut text)
            }
        };
        let rest = match nh {
            Some(nh) if cache => {
                self.attrs.store(&text, nh);
                Rest::Cached
            }
            Some(nh) => Rest::Text(nh),
            None => Rest::Attr,
        };
        self.restbuf = text;
        rest
    }

    /// The text after the prefix that `kind` of RIB line prints for
    /// `self.attr`, and where its next hop is. `None` when the line
    /// depends on more than the attributes.
    fn render(&mut self, kind: Kind, text: &mut Vec<u8>) -> Option<(usize, usize)> {
        match kind {
            Kind::TableDump2 => self.rib_nexthop_known().then(|| self.td2_rest(text, None)),
            Kind::TableDump => {
                self.v1_rest(text);
                Some((0, 0))
            }
        }
    }

    /// The text of a RIB line after the prefix (and path id), as
    /// [`Formatter::rib_attributes`] left it: where the next hop is in `out`.
    fn rib_rest(
        &mut self,
        r: Rest,
        kind: Kind,
        prev_nh: Option<(usize, usize)>,
        out: &mut Vec<u8>,
    ) -> (usize, usize) {
        let at = out.len();
        let (text, nh) = match r {
            Rest::Cached => self.attrs.current(),
            Rest::Text(nh) => (self.restbuf.as_slice(), nh),
            Rest::Attr => {
                return match kind {
                    Kind::TableDump => {
                        self.v1_rest(out);
                        (0, 0)
                    }
                    Kind::TableDump2 => self.td2_rest(out, prev_nh),
                }
            }
        };
        out.extend_from_slice(text);
        (at + nh.0, nh.1)
    }

    /// `process_asn32_trans` (RFC 6793 §4.2.3 as bgpdump does it).
    fn asn32_trans(&mut self, four: bool, buf: &[u8]) {
        let a = &mut self.attr;
        if four {
            return;
        }
        if a.flag & F_AGGREGATOR != 0 && a.flag & F_NEW_AGGREGATOR != 0 {
            if a.aggregator_as != AS_TRANS {
                // Returns before looking at AS4_PATH at all.
                return;
            }
            a.aggregator_as = a.new_aggregator_as;
            a.aggregator_addr = a.new_aggregator_addr;
        }
        if a.flag & F_NEW_AS_PATH == 0 || !a.aspath.present || !a.new_aspath.present {
            return;
        }
        if a.aspath.count < a.new_aspath.count {
            return;
        }
        // asn32_merge_paths: the AS_PATH segment pointer is never advanced,
        // so the first segment is copied again until the count is reached.
        let target = a.aspath.count - a.new_aspath.count;
        let old = buf
            .get(a.aspath.off..a.aspath.off + a.aspath.len)
            .unwrap_or_default();
        let new = buf
            .get(a.new_aspath.off..a.new_aspath.off + a.new_aspath.len)
            .unwrap_or_default();
        let m = &mut a.merged;
        m.present = true;
        m.four = true;
        m.data.clear();
        m.count = 0;
        let seg_type = old.first().copied().unwrap_or(0);
        let seg_len = old.get(1).copied().unwrap_or(0);
        while m.count < target {
            let seg_start = m.data.len();
            m.data.push(seg_type);
            m.data.push(seg_len);
            for i in 0..usize::from(seg_len) {
                let at = 2 + 2 * i;
                let v = old
                    .get(at..at + 2)
                    .and_then(|s| <[u8; 2]>::try_from(s).ok())
                    .map(u16::from_be_bytes)
                    .unwrap_or(0);
                m.data.extend_from_slice(&u32::from(v).to_be_bytes());
            }
            if seg_type == AS_SET || seg_type == AS_CONFED_SET {
                m.count += 1;
            } else {
                if seg_len == 0 {
                    break; // bgpdump would loop forever here
                }
                m.count += i64::from(seg_len);
                if m.count > target {
                    let excess = (m.count - target) as usize;
                    if let Some(l) = m.data.get_mut(seg_start + 1) {
                        *l = l.wrapping_sub(excess as u8);
                    }
                    m.data.truncate(m.data.len() - excess * 4);
                }
            }
        }
        m.data.extend_from_slice(new);
        let data = std::mem::take(&mut m.data);
        aspath_text(m, &data);
        m.data = data;
    }

    // ---- line output ----

    fn tail(&self, out: &mut Vec<u8>) {
        let a = &self.attr;
        let ag: &[u8] = if a.flag & F_ATOMIC != 0 {
            b"AG"
        } else {
            b"NAG"
        };
        match (&a.community, a.flag & F_COMMUNITIES != 0) {
            (Some(c), true) => {
                // Printed from the second character (after the leading
                // space); an empty list prints nothing.
                out.extend_from_slice(c.get(1..).unwrap_or_default());
                out.push(b'|');
                out.extend_from_slice(ag);
                out.push(b'|');
            }
            _ => {
                out.push(b'|');
                out.extend_from_slice(ag);
                out.push(b'|');
            }
        }
        if a.aggregator_addr != [255; 4] {
            push_u32(out, a.aggregator_as);
            out.push(b' ');
            push_v4(out, a.aggregator_addr);
            out.extend_from_slice(b"|\n");
        } else {
            out.extend_from_slice(b"|\n");
        }
    }

    fn lp_med(&self) -> (u32, u32) {
        let a = &self.attr;
        (
            if a.flag & F_LOCAL_PREF != 0 {
                a.local_pref
            } else {
                0
            },
            if a.flag & F_MED != 0 { a.med } else { 0 },
        )
    }

    /// The TABLE_DUMP / TABLE_DUMP_V2 next hop: the IPv6 one from
    /// MP_REACH when bgpdump has one for IPv6 unicast, else NEXT_HOP.
    /// The TABLE_DUMP_V2 next hop. `prev` is the text of the previous
    /// entry's next hop in the same record, or `None` for the first.
    fn rib_nexthop(&mut self, out: &mut Vec<u8>, prev: Option<(usize, usize)>) {
        let mp = self.attr.flag & F_MP_REACH != 0;
        // The IPv6 unicast MP next hop (where the abbreviated form lands
        // whatever the family), else the IPv4 unicast one, printed by
        // length; else NEXT_HOP.
        for (afi, safi) in [(2, 1), (1, 1)] {
            if let Some(m) = get(&self.attr.announce, afi, safi).filter(|_| mp) {
                match m.nh_len {
                    4 => push_v4(out, first4(&m.nexthop)),
                    16 | 32 => push_v6(out, &m.nexthop),
                    // bgpdump prints its next-hop buffer without filling
                    // it: within one record that still holds the previous
                    // entry's text; for a first entry it is undefined.
                    _ => match prev {
                        Some((at, len)) => {
                            let text = out.get(at..at + len).unwrap_or_default().to_vec();
                            out.extend_from_slice(&text);
                        }
                        None => self.note(Note::Undefined("next hop of unknown length")),
                    },
                }
                return;
            }
        }
        push_v4(out, self.attr.nexthop);
    }

    /// TABLE_DUMP: the IPv6 unicast MP next hop printed as IPv6 whatever
    /// its length, else NEXT_HOP.
    fn v1_nexthop(&self, out: &mut Vec<u8>) {
        match get(&self.attr.announce, 2, 1) {
            Some(mp) if self.attr.flag & F_MP_REACH != 0 => push_v6(out, &mp.nexthop),
            _ => push_v4(out, self.attr.nexthop),
        }
    }

    // ---- TABLE_DUMP (RFC 6396 §4.2) ----

    fn table_dump(&mut self, h: &Header, body: &[u8], out: &mut Vec<u8>) {
        let sub = h.subtype;
        let mut s = Ms::new(body);
        s.getw(); // view
        s.getw(); // sequence
        let prefix = match sub {
            1 | 3 => v4_in16(s.ipv4()),
            2 | 4 => s.ipv6(),
            _ => {
                self.note(Note::Rejected("TABLE_DUMP: unknown AFI"));
                return;
            }
        };
        let mask = s.getc();
        s.getc(); // status
        s.getl(); // originated
        let peer = if matches!(sub, 1 | 3) {
            v4_in16(s.ipv4())
        } else {
            s.ipv6()
        };
        let four = matches!(sub, 3 | 4);
        let peer_as = s.asn(four);
        let rest = self.rib_attributes(&mut s, four, false, Kind::TableDump);

        let key = (h.timestamp, sub, peer, peer_as);
        if self.v1_key != Some(key) {
            let t = &mut self.v1_start;
            t.clear();
            t.extend_from_slice(b"TABLE_DUMP|");
            push_u32(t, h.timestamp);
            t.extend_from_slice(b"|B|");
            // Only subtype 2 prints as IPv6 (`entry->subtype == AFI_IP6`).
            push_peer(t, sub == 2, &peer, peer_as);
            self.v1_key = Some(key);
        }
        out.extend_from_slice(&self.v1_start);
        if sub == 2 {
            push_v6(out, &prefix);
        } else {
            push_v4(out, first4(&prefix));
        }
        push_slash_len(out, mask);
        self.rib_rest(rest, Kind::TableDump, None, out);
    }

    /// A TABLE_DUMP line after the prefix.
    fn v1_rest(&self, out: &mut Vec<u8>) {
        self.path_origin(out);
        self.v1_nexthop(out);
        self.lp_med_text(out);
        self.tail(out);
    }

    /// `|lp|med|`, unsigned.
    fn lp_med_text(&self, out: &mut Vec<u8>) {
        push_lp_med(out, self.lp_med(), false);
    }

    /// `|path|origin|`
    fn path_origin(&self, out: &mut Vec<u8>) {
        out.push(b'|');
        out.extend_from_slice(self.attr.path_text());
        out.push(b'|');
        out.extend_from_slice(origin_text(self.attr.origin));
        out.push(b'|');
    }

    // ---- TABLE_DUMP_V2 (RFC 6396 §4.3, RFC 8050 §4) ----

    fn table_dump_v2(&mut self, h: &Header, body: &[u8], out: &mut Vec<u8>) {
        let mut s = Ms::new(body);
        let (v6, addpath) = match h.subtype {
            td2::PEER_INDEX_TABLE => {
                self.peer_index_table(&mut s);
                return;
            }
            td2::RIB_IPV4_UNICAST => (false, false),
            td2::RIB_IPV4_UNICAST_ADDPATH => (false, true),
            td2::RIB_IPV6_UNICAST => (true, false),
            td2::RIB_IPV6_UNICAST_ADDPATH => (true, true),
            other => {
                // Multicast and RIB_GENERIC are not printed by bgpdump.
                self.note(Note::Unsupported {
                    mrt_type: h.mrt_type,
                    subtype: other,
                });
                return;
            }
        };
        s.getl(); // sequence
        let plen = s.getc();
        let mut raw = [0u8; 32];
        s.get(
            raw.get_mut(..usize::from(plen).div_ceil(8))
                .unwrap_or_default(),
        );
        let mut prefix = [0u8; 16];
        prefix.copy_from_slice(raw.get(..16).unwrap_or(&[0; 16]));
        let count = s.getw();
        let mut prev_nh: Option<(usize, usize)> = None;
        // What every entry's line shares: `FORMAT|time|B|` and the prefix.
        let mut shared = std::mem::take(&mut self.head);
        shared.clear();
        shared.extend_from_slice(if addpath {
            b"TABLE_DUMP2_AP|"
        } else {
            b"TABLE_DUMP2|"
        });
        push_u32(&mut shared, h.timestamp);
        shared.extend_from_slice(b"|B|");
        let start_len = shared.len();
        if v6 {
            push_v6(&mut shared, &prefix);
        } else {
            push_v4(&mut shared, first4(&prefix));
        }
        push_slash_len(&mut shared, plen);
        let (start, pfx_text) = shared.split_at(start_len);
        for _ in 0..count {
            let idx = s.getw();
            s.getl(); // originated
            let path_id = if addpath { s.getl() } else { 0 };
            self.pfx.clear();
            let rest = self.rib_attributes(&mut s, true, addpath, Kind::TableDump2);
            let Some(peer) = self
                .peers
                .as_ref()
                .and_then(|p| p.get(usize::from(idx)))
                .copied()
            else {
                self.note(Note::UnknownPeer(idx));
                continue;
            };
            out.extend_from_slice(start);
            let (at, n) = peer.text;
            out.extend_from_slice(self.peer_texts.get(at..at + n).unwrap_or_default());
            out.extend_from_slice(pfx_text);
            if addpath {
                out.push(b'|');
                push_u32(out, path_id);
            }
            prev_nh = Some(self.rib_rest(rest, Kind::TableDump2, prev_nh, out));
        }
        self.head = shared;
    }

    /// A TABLE_DUMP_V2 line after the prefix (and path id); where in
    /// `out` the next hop's text is.
    fn td2_rest(&mut self, out: &mut Vec<u8>, prev_nh: Option<(usize, usize)>) -> (usize, usize) {
        out.push(b'|');
        // TABLE_DUMP_V2 prints the path without checking the flag.
        out.extend_from_slice(
            self.attr
                .shown_path()
                .map(|p| p.text.as_slice())
                .unwrap_or(b""),
        );
        out.push(b'|');
        out.extend_from_slice(origin_text(self.attr.origin));
        out.push(b'|');
        let at = out.len();
        self.rib_nexthop(out, prev_nh);
        let nh = (at, out.len() - at);
        self.lp_med_text(out);
        self.tail(out);
        nh
    }

    /// Whether [`Formatter::rib_nexthop`] prints the attributes' own next
    /// hop (not text left from the previous entry).
    fn rib_nexthop_known(&self) -> bool {
        if self.attr.flag & F_MP_REACH == 0 {
            return true;
        }
        for (afi, safi) in [(2, 1), (1, 1)] {
            if let Some(m) = get(&self.attr.announce, afi, safi) {
                return matches!(m.nh_len, 4 | 16 | 32);
            }
        }
        true
    }

    fn peer_index_table(&mut self, s: &mut Ms<'_>) {
        s.ipv4(); // collector BGP ID
        let name_len = s.getw();
        // A view name of 255 octets or more is ignored without being
        // skipped, so the peer list is read from inside the name.
        if usize::from(name_len) < 255 {
            s.skip(u32::from(name_len));
        }
        let count = s.getw();
        let mut peers = Vec::with_capacity(usize::from(count));
        // Each peer's text is made once here, not once per RIB entry.
        let t = &mut self.peer_texts;
        t.clear();
        for _ in 0..count {
            let pt = s.getc();
            let v6 = pt & 1 != 0;
            s.ipv4(); // BGP ID
            let at = t.len();
            let ip = if v6 { s.ipv6() } else { v4_in16(s.ipv4()) };
            push_peer(t, v6, &ip, s.asn(pt & 2 != 0));
            peers.push(PeerEntry {
                text: (at, t.len() - at),
            });
        }
        self.peers = Some(peers);
    }

    // ---- BGP4MP / BGP4MP_ET (RFC 6396 §4.4, RFC 8050 §3) ----

    fn bgp4mp(&mut self, h: &Header, body: &[u8], out: &mut Vec<u8>) {
        use bgp4mp::*;
        let et = h.mrt_type == mrt_type::BGP4MP_ET;
        match h.subtype {
            STATE_CHANGE | STATE_CHANGE_AS4 => {
                self.state_change(h, body, et, h.subtype == STATE_CHANGE_AS4, out)
            }
            MESSAGE | MESSAGE_LOCAL | MESSAGE_ADDPATH | MESSAGE_LOCAL_ADDPATH => {
                self.message(h, body, et, false, out)
            }
            MESSAGE_AS4 | MESSAGE_AS4_LOCAL | MESSAGE_AS4_ADDPATH | MESSAGE_AS4_LOCAL_ADDPATH => {
                self.message(h, body, et, true, out)
            }
            other => self.note(Note::Unsupported {
                mrt_type: h.mrt_type,
                subtype: other,
            }),
        }
    }

    fn time(h: &Header, et: bool, out: &mut Vec<u8>) {
        push_u32(out, h.timestamp);
        if et {
            push_micros(out, h.microseconds.unwrap_or(0));
        }
    }

    fn state_change(&mut self, h: &Header, body: &[u8], et: bool, four: bool, out: &mut Vec<u8>) {
        let mut s = Ms::new(body);
        let src_as = s.asn(four);
        s.asn(four); // local AS
        let mut ip = [0u8; 16];
        let v6;
        // Zebra once wrote 8-octet state changes without addresses.
        if body.len() == 8 {
            v6 = false;
        } else {
            s.getw(); // interface index
            match s.getw() {
                1 => {
                    if body.len() != 20 && body.len() != 24 {
                        self.note(Note::Rejected("STATE_CHANGE: bad length"));
                        return;
                    }
                    let v4 = s.ipv4();
                    ip = v4_in16(v4);
                    s.ipv4();
                    v6 = false;
                }
                2 => {
                    if body.len() != 44 && body.len() != 48 {
                        self.note(Note::Rejected("STATE_CHANGE: bad length"));
                        return;
                    }
                    ip = s.ipv6();
                    s.ipv6();
                    v6 = true;
                }
                _ => {
                    self.note(Note::Rejected("STATE_CHANGE: unknown AFI"));
                    return;
                }
            }
        }
        let old = s.getw();
        let new = s.getw();
        out.extend_from_slice(if et { b"BGP4MP_ET|" } else { b"BGP4MP|" });
        Self::time(h, et, out);
        out.extend_from_slice(b"|STATE|");
        push_peer(out, v6, &ip, src_as);
        push_u32(out, u32::from(old));
        out.push(b'|');
        push_u32(out, u32::from(new));
        out.push(b'\n');
    }

    fn message(&mut self, h: &Header, body: &[u8], et: bool, four: bool, out: &mut Vec<u8>) {
        use bgp4mp::*;
        let sub = h.subtype;
        // The fields are read swapped for all four LOCAL subtypes...
        let swapped = matches!(
            sub,
            MESSAGE_LOCAL | MESSAGE_AS4_LOCAL | MESSAGE_LOCAL_ADDPATH | MESSAGE_AS4_LOCAL_ADDPATH
        );
        // ...but only 6 and 7 count as "sent" when printing, so the
        // LOCAL_ADDPATH subtypes print the local side.
        let sent = matches!(sub, MESSAGE_LOCAL | MESSAGE_AS4_LOCAL);
        let addpath = sub >= MESSAGE_ADDPATH;
        // The usual record, whole, an UPDATE: straight from its bytes,
        // with only the peer's fields read.
        if let Some((peer, [2, update @ ..])) = peer_in_place(body, four, swapped && !sent) {
            self.refresh_line_start(h, et, sent, addpath);
            let ctx = Line {
                start: &self.linestart,
                peer_v6: peer.v6,
                peer_ip: peer.ip,
                peer_as: peer.asn,
                sent,
                addpath,
            };
            let w = Direct {
                addrs: &mut self.addrs,
                texts: &mut self.texts,
                lines: &mut self.lines,
            };
            if update_fast(w, &ctx, update, four, out) {
                return;
            }
        }
        let mut s = Ms::new(body);
        let Some((f, marker)) = self.msg_fields(&mut s, body, four) else {
            return;
        };
        let MsgFields {
            first_as,
            second_as,
            afi,
            first_ip,
            second_ip,
        } = f;
        if marker != [0xff; 16] {
            self.note(Note::Rejected("BGP4MP: bad marker"));
            return;
        }
        let size = s.getw();
        let expected = i64::from(size) - 18;
        let mut m = s.copy(expected as u32);
        match m.getc() {
            2 => {}
            1 | 3 | 4 => return, // OPEN, NOTIFICATION, KEEPALIVE: no -m line
            _ => {
                self.notes
                    .push(Note::Rejected("BGP4MP: message type not shown"));
                return;
            }
        }
        let (src_as, dst_as, src_ip, dst_ip) = if swapped {
            (second_as, first_as, second_ip, first_ip)
        } else {
            (first_as, second_as, first_ip, second_ip)
        };
        let (peer_as, peer_ip) = if sent {
            (dst_as, dst_ip)
        } else {
            (src_as, src_ip)
        };
        self.refresh_line_start(h, et, sent, addpath);
        let start = std::mem::take(&mut self.linestart);
        let ctx = Line {
            start: &start,
            peer_v6: afi == 2,
            peer_ip,
            peer_as,
            sent,
            addpath,
        };
        if !self.update_fast(&ctx, m.rest(), four, out) {
            self.update_slow(&ctx, &mut m, four, out);
        }
        self.linestart = start;
    }

    /// `FORMAT|time|` of a BGP4MP message line, made in `self.linestart`.
    fn refresh_line_start(&mut self, h: &Header, et: bool, sent: bool, addpath: bool) {
        let fmt: &[u8] = match (et, sent, addpath) {
            (true, true, true) => b"BGP4MP_ET_LOCAL_AP",
            (true, true, false) => b"BGP4MP_ET_LOCAL",
            (true, false, true) => b"BGP4MP_ET_AP",
            (true, false, false) => b"BGP4MP_ET",
            (false, true, true) => b"BGP4MP_LOCAL_AP",
            (false, true, false) => b"BGP4MP_LOCAL",
            (false, false, true) => b"BGP4MP_AP",
            (false, false, false) => b"BGP4MP",
        };
        // Consecutive records often share the second (and the format):
        // the line start is rebuilt only when one of them changes.
        // In _ET files the microseconds change with every record: only
        // they are rewritten while the format and second stay the same.
        let key = (fmt.as_ptr() as usize, h.timestamp);
        let start = &mut self.linestart;
        if self.start_key != Some(key) {
            start.clear();
            start.extend_from_slice(fmt);
            start.push(b'|');
            push_u32(start, h.timestamp);
            self.start_key = Some(key);
            self.second_len = start.len();
            if !et {
                start.push(b'|');
            }
        }
        if et {
            start.truncate(self.second_len);
            push_micros(start, h.microseconds.unwrap_or(0));
            start.push(b'|');
        }
    }

    /// The fields of a BGP4MP message record before the BGP message length:
    /// the two ASNs, the AFI, the two addresses and the marker. Read in
    /// place when they are all there for IPv4 or IPv6, else with bgpdump's
    /// zero padding and its Zebra form. `None` (noted) for other AFIs.
    fn msg_fields(
        &mut self,
        s: &mut Ms<'_>,
        body: &[u8],
        four: bool,
    ) -> Option<(MsgFields, [u8; 16])> {
        if let Some((f, marker_at)) = msg_fields_in_place(body, four) {
            s.pos = marker_at;
            return Some((f, s.fixed::<16>()));
        }
        let mut f = MsgFields {
            first_as: s.asn(four),
            second_as: s.asn(four),
            afi: 0,
            first_ip: [0; 16],
            second_ip: [0; 16],
        };
        let ifindex = s.getw();
        f.afi = s.getw();
        let mut marker = [0u8; 16];
        match f.afi {
            1 => {
                f.first_ip = v4_in16(s.ipv4());
                f.second_ip = v4_in16(s.ipv4());
                s.get(&mut marker);
            }
            2 => {
                f.first_ip = s.ipv6();
                f.second_ip = s.ipv6();
                s.get(&mut marker);
            }
            // Zebra wrote OPENs without interface or addresses.
            0xFFFF if ifindex == 0xFFFF => {
                if let Some(d) = marker.get_mut(..4) {
                    d.copy_from_slice(&[0xff; 4]);
                }
                s.get(marker.get_mut(4..).unwrap_or_default());
                f.afi = 1;
            }
            _ => {
                self.note(Note::Rejected("BGP4MP: unsupported AFI"));
                return None;
            }
        }
        Some((f, marker))
    }

    /// An UPDATE the long way: prefixes into `self.pfx` and the attributes
    /// into `self.attr` with bgpdump's reading of damaged data.
    fn update_slow(&mut self, ctx: &Line<'_>, m: &mut Ms<'_>, four: bool, out: &mut Vec<u8>) {
        let addpath = ctx.addpath;
        self.pfx.clear();
        let wlen = m.getw();
        let mut ws = m.copy(u32::from(wlen));
        let withdrawn = self.read_prefix_list(&mut ws, addpath);
        self.attributes(m, four, addpath);
        let announced = self.read_prefix_list(m, addpath);

        let flag = self.attr.flag;
        if withdrawn.1 > 0 || flag & F_MP_UNREACH != 0 {
            self.withdraw_lines(ctx, withdrawn, false, out);
            for (afi, v6) in [(1u16, false), (2, true)] {
                for safi in 1..=3u8 {
                    if let Some(mp) = get(&self.attr.withdraw, afi, safi) {
                        if mp.count > 0 {
                            self.withdraw_lines(ctx, (mp.start, mp.count), v6, out);
                        }
                    }
                }
            }
        }
        if announced.1 > 0 || flag & F_MP_REACH != 0 {
            self.announce_lines(ctx, announced, None, out);
            for (afi, v6) in [(1u16, false), (2, true)] {
                for safi in 1..=3u8 {
                    if let Some(mp) = get(&self.attr.announce, afi, safi) {
                        if mp.count > 0 {
                            let (g, m) = ((mp.start, mp.count), Some((v6, mp)));
                            self.announce_lines(ctx, g, m, out);
                        }
                    }
                }
            }
        }
    }

    fn line_start(c: &Line<'_>, kind: u8, out: &mut Vec<u8>) {
        out.extend_from_slice(c.start);
        out.extend_from_slice(&[kind, b'|']);
    }

    /// Everything before the prefix, the same for every line of a group.
    fn line_head(&mut self, c: &Line<'_>, kind: u8, v6_peer_text: bool, out: &mut Vec<u8>) {
        line_head(&mut self.addrs, c, kind, v6_peer_text, out);
    }

    #[inline]
    fn prefix_text(p: &Pfx, v6: bool, addpath: bool, out: &mut Vec<u8>) {
        if v6 {
            push_v6(out, &p.addr);
        } else {
            push_v4(out, first4(&p.addr));
        }
        push_slash_len(out, p.len);
        if addpath {
            out.push(b'|');
            push_u32(out, p.path_id);
        }
    }

    fn withdraw_lines(
        &mut self,
        c: &Line<'_>,
        (start, count): (usize, usize),
        v6: bool,
        out: &mut Vec<u8>,
    ) {
        if count == 0 {
            return;
        }
        let mut head = std::mem::take(&mut self.head);
        head.clear();
        // table_line_withdraw6 prints a "sent" IPv4 peer as IPv6.
        self.line_head(c, b'W', v6 && c.sent, &mut head);
        let pfx = self.pfx.get(start..start + count).unwrap_or_default();
        write_lines(pfx, &head, v6, c.addpath, b"\n", out);
        self.head = head;
    }

    fn announce_lines(
        &mut self,
        c: &Line<'_>,
        (start, count): (usize, usize),
        mp: Option<(bool, MpNlri)>,
        out: &mut Vec<u8>,
    ) {
        if count == 0 {
            return;
        }
        let mut head = std::mem::take(&mut self.head);
        head.clear();
        self.line_head(c, b'A', false, &mut head);
        let mut tail = std::mem::take(&mut self.tailbuf);
        tail.clear();
        self.announce_rest(mp, &mut tail);
        let v6 = matches!(mp, Some((true, _)));
        let pfx = self.pfx.get(start..start + count).unwrap_or_default();
        write_lines(pfx, &head, v6, c.addpath, &tail, out);
        self.head = head;
        self.tailbuf = tail;
    }

    /// A BGP4MP announcement line after the prefix (and path id).
    fn announce_rest(&self, mp: Option<(bool, MpNlri)>, tail: &mut Vec<u8>) {
        let (lp, med) = self.lp_med();
        tail.push(b'|');
        let path_origin = |t: &mut Vec<u8>| {
            t.extend_from_slice(self.attr.path_text());
            t.push(b'|');
            t.extend_from_slice(origin_text(self.attr.origin));
            t.push(b'|');
        };
        match mp {
            None => {
                path_origin(tail);
                push_v4(tail, self.attr.nexthop);
                self.lp_med_text(tail);
            }
            // table_line_announce_1: the next hop by its length, local
            // preference and MED with %d; an unknown length prints none of
            // the three.
            Some((false, m)) => {
                path_origin(tail);
                if matches!(m.nh_len, 4 | 16 | 32) {
                    push_mp_nexthop(tail, &m.nexthop, m.nh_len);
                    push_lp_med(tail, (lp, med), true);
                }
            }
            // table_line_announce6: an unknown next-hop length drops the
            // path and origin too.
            Some((true, m)) => {
                if matches!(m.nh_len, 4 | 16 | 32) {
                    path_origin(tail);
                    push_mp_nexthop(tail, &m.nexthop, m.nh_len);
                    self.lp_med_text(tail);
                }
            }
        }
        self.tail(tail);
    }

    // ---- deprecated BGP type 5 (RFC 6396 Appendix B.2.1) ----

    fn mrtd_bgp(&mut self, h: &Header, body: &[u8], out: &mut Vec<u8>) {
        let mut s = Ms::new(body);
        match h.subtype {
            1 | 7 => {
                let src_as = u32::from(s.getw());
                let src_ip = s.ipv4();
                s.getw();
                s.ipv4();
                self.pfx.clear();
                let wlen = s.getw();
                let mut ws = s.copy(u32::from(wlen));
                let (ws_start, ws_count) = self.read_prefix_list(&mut ws, false);
                self.attributes(&mut s, false, false);
                let (an_start, an_count) = self.read_prefix_list(&mut s, false);
                if h.subtype != 1 {
                    return;
                }
                for p in self.pfx.iter().skip(ws_start).take(ws_count) {
                    out.extend_from_slice(b"BGP|");
                    push_u32(out, h.timestamp);
                    out.extend_from_slice(b"|W|");
                    push_v4(out, src_ip);
                    out.push(b'|');
                    push_u32(out, src_as);
                    out.push(b'|');
                    // Both addresses go through inet_ntoa's static buffer
                    // in one printf: the prefix prints as the peer address.
                    push_v4(out, src_ip);
                    out.push(b'/');
                    push_u32(out, u32::from(p.len));
                    out.push(b'\n');
                }
                let (lp, med) = self.lp_med();
                for p in self.pfx.iter().skip(an_start).take(an_count) {
                    out.extend_from_slice(b"BGP|");
                    push_u32(out, h.timestamp);
                    out.extend_from_slice(b"|A|");
                    push_v4(out, src_ip);
                    out.push(b'|');
                    push_u32(out, src_as);
                    out.push(b'|');
                    push_v4(out, first4(&p.addr));
                    out.push(b'/');
                    push_u32(out, u32::from(p.len));
                    out.push(b'|');
                    out.extend_from_slice(self.attr.path_text());
                    out.push(b'|');
                    out.extend_from_slice(origin_text(self.attr.origin));
                    out.push(b'|');
                    push_v4(out, self.attr.nexthop);
                    out.push(b'|');
                    push_u32(out, lp);
                    out.push(b'|');
                    push_u32(out, med);
                    // mrtd_table_line_announce has no '|' before the
                    // communities when there are some.
                    if self.attr.flag & F_COMMUNITIES == 0 {
                        out.push(b'|');
                    }
                    self.tail_mrtd(out);
                }
            }
            3 => {
                let as_ = u32::from(s.getw());
                let ip = s.ipv4();
                let old = s.getw();
                let new = s.getw();
                out.extend_from_slice(b"BGP|");
                push_u32(out, h.timestamp);
                out.extend_from_slice(b"|STATE|");
                push_v4(out, ip);
                out.push(b'|');
                push_u32(out, as_);
                out.push(b'|');
                push_u32(out, u32::from(old));
                out.push(b'|');
                push_u32(out, u32::from(new));
                out.push(b'\n');
            }
            other => self.note(Note::Unsupported {
                mrt_type: h.mrt_type,
                subtype: other,
            }),
        }
    }

    fn tail_mrtd(&self, out: &mut Vec<u8>) {
        let a = &self.attr;
        let ag: &[u8] = if a.flag & F_ATOMIC != 0 {
            b"AG"
        } else {
            b"NAG"
        };
        if a.flag & F_COMMUNITIES != 0 {
            if let Some(c) = &a.community {
                out.extend_from_slice(c.get(1..).unwrap_or_default());
            }
            out.push(b'|');
        }
        out.extend_from_slice(ag);
        out.push(b'|');
        if a.aggregator_addr != [255; 4] {
            push_u32(out, a.aggregator_as);
            out.push(b' ');
            push_v4(out, a.aggregator_addr);
        }
        out.extend_from_slice(b"|\n");
    }
}

/// One line per prefix: `head`, the prefix (and path id), `rest`.
fn write_lines(pfx: &[Pfx], head: &[u8], v6: bool, addpath: bool, rest: &[u8], out: &mut Vec<u8>) {
    for p in pfx {
        out.extend_from_slice(head);
        Formatter::prefix_text(p, v6, addpath, out);
        out.extend_from_slice(rest);
    }
}

/// Where the text after a RIB entry's prefix is (see
/// [`Formatter::rib_attributes`]).
#[derive(Clone, Copy)]
enum Rest {
    /// The attribute cache's current entry (and where its next hop is).
    Cached,
    /// `Formatter::restbuf`.
    Text((usize, usize)),
    /// Not made: `Formatter::attr` holds the attributes.
    Attr,
}

/// The fields of a BGP4MP message record before its marker.
struct MsgFields {
    first_as: u32,
    second_as: u32,
    afi: u16,
    first_ip: [u8; 16],
    second_ip: [u8; 16],
}

/// [`Formatter::msg_fields`] without padding: the fields and where the
/// marker starts.
fn msg_fields_in_place(body: &[u8], four: bool) -> Option<(MsgFields, usize)> {
    let (first_as, second_as, rest) = if four {
        let (a, rest) = body.split_first_chunk::<4>()?;
        let (b, rest) = rest.split_first_chunk::<4>()?;
        (u32::from_be_bytes(*a), u32::from_be_bytes(*b), rest)
    } else {
        let (a, rest) = body.split_first_chunk::<2>()?;
        let (b, rest) = rest.split_first_chunk::<2>()?;
        (
            u32::from(u16::from_be_bytes(*a)),
            u32::from(u16::from_be_bytes(*b)),
            rest,
        )
    };
    // The interface index, then the AFI.
    let [_, _, f0, f1, ref rest @ ..] = *rest else {
        return None;
    };
    let (afi, first_ip, second_ip, n) = match (f0, f1, rest) {
        (0, 1, &[a0, a1, a2, a3, b0, b1, b2, b3, ..]) => {
            (1, v4_in16([a0, a1, a2, a3]), v4_in16([b0, b1, b2, b3]), 8)
        }
        (0, 2, _) => {
            let (a, rest) = rest.split_first_chunk::<16>()?;
            let (b, _) = rest.split_first_chunk::<16>()?;
            (2, *a, *b, 32)
        }
        _ => return None,
    };
    let f = MsgFields {
        first_as,
        second_as,
        afi,
        first_ip,
        second_ip,
    };
    Some((f, body.len() - rest.len() + n))
}

/// Everything before the prefix, the same for every line of a group.
fn line_head(addrs: &mut AddrTexts, c: &Line<'_>, kind: u8, v6_peer_text: bool, out: &mut Vec<u8>) {
    Formatter::line_start(c, kind, out);
    let v6 = c.peer_v6 || v6_peer_text;
    out.extend_from_slice(addrs.peer(v6, &c.peer_ip, c.peer_as));
}

/// The side of a BGP4MP message record its lines name.
struct Peer {
    asn: u32,
    v6: bool,
    ip: [u8; 16],
}

/// The peer of a BGP4MP message record (the `second` side or the first)
/// and its BGP message after the marker and length, read in place: `None`
/// unless the fields are all there for IPv4 or IPv6, the marker is whole
/// and the message as long as its length says (bgpdump's reading of
/// anything else is [`Formatter::msg_fields`] and `Ms`).
fn peer_in_place(body: &[u8], four: bool, second: bool) -> Option<(Peer, &[u8])> {
    let (f, marker_at) = msg_fields_in_place(body, four)?;
    let (asn, ip) = if second {
        (f.second_as, f.second_ip)
    } else {
        (f.first_as, f.first_ip)
    };
    let v6 = f.afi == 2;
    let rest = body.get(marker_at..)?;
    let (marker, rest) = rest.split_first_chunk::<16>()?;
    let (len, rest) = rest.split_first_chunk::<2>()?;
    if *marker != [0xff; 16] {
        return None;
    }
    let msg = rest.get(..usize::from(u16::from_be_bytes(*len)).checked_sub(18)?)?;
    Some((Peer { asn, v6, ip }, msg))
}

/// What every line of one BGP4MP message shares.
struct Line<'a> {
    /// `FORMAT|time|`, formatted once per message.
    start: &'a [u8],
    peer_v6: bool,
    peer_ip: [u8; 16],
    peer_as: u32,
    sent: bool,
    addpath: bool,
}

fn get(t: &[[Option<MpNlri>; 4]; 3], afi: u16, safi: u8) -> Option<MpNlri> {
    t.get(usize::from(afi))
        .and_then(|r| r.get(usize::from(safi)))
        .copied()
        .flatten()
}

fn set(t: &mut [[Option<MpNlri>; 4]; 3], afi: u16, safi: u8, v: MpNlri) {
    if let Some(slot) = t
        .get_mut(usize::from(afi))
        .and_then(|r| r.get_mut(usize::from(safi)))
    {
        *slot = Some(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BGP4MP message record of `subtype` carrying `update` (after its
    /// type octet); `len_extra` is added to the BGP length field.
    fn message_body(subtype: u16, v6: bool, update: &[u8], len_extra: u16) -> Vec<u8> {
        let four = matches!(subtype, 4 | 7 | 9 | 11);
        let mut b = Vec::new();
        for asn in [64_501u32, 64_502] {
            if four {
                b.extend(asn.to_be_bytes());
            } else {
                b.extend((asn as u16).to_be_bytes());
            }
        }
        b.extend([0, 0, 0, if v6 { 2 } else { 1 }]);
        for last in [1u8, 2] {
            if v6 {
                b.extend([32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last]);
            } else {
                b.extend([192, 0, 2, last]);
            }
        }
        b.extend([0xff; 16]);
        b.extend((19 + update.len() as u16 + len_extra).to_be_bytes());
        b.push(2);
        b.extend_from_slice(update);
        b
    }

    /// The direct path reads only the peer's side of a message record:
    /// for every subtype and family it prints what the long way (taken
    /// when the BGP length runs past the record) prints, naming the side
    /// bgpdump names.
    #[test]
    fn direct_message_path_names_the_same_peer() {
        let (withdrawn, nlri) = ([0u8, 0], [24u8, 198, 51, 100]);
        // ORIGIN IGP, an empty AS_PATH, NEXT_HOP 192.0.2.9.
        let attrs = [64, 1, 1, 0, 64, 2, 0, 64, 3, 4, 192, 0, 2, 9];
        for subtype in [1u16, 4, 6, 7, 8, 9, 10, 11] {
            // ADD-PATH subtypes: path id 7.
            let id: &[u8] = if subtype >= 8 { &[0, 0, 0, 7] } else { &[] };
            let update = [&withdrawn[..], &[0, attrs.len() as u8], &attrs, id, &nlri].concat();
            for v6 in [false, true] {
                let h = Header {
                    mrt_type: 16,
                    subtype,
                    ..Header::default()
                };
                let direct = message_body(subtype, v6, &update, 0);
                assert!(peer_in_place(&direct, matches!(subtype, 4 | 7 | 9 | 11), false).is_some());
                let long = message_body(subtype, v6, &update, 1);
                let (mut a, mut b) = (Vec::new(), Vec::new());
                Formatter::new().format(&h, &direct, &mut a);
                Formatter::new().format(&h, &long, &mut b);
                let a = String::from_utf8(a).unwrap();
                assert_eq!(a, String::from_utf8(b).unwrap(), "{subtype} {v6}");
                let second = subtype >= 10;
                let (peer, asn) = match (v6, second) {
                    (false, false) => ("192.0.2.1", 64_501),
                    (false, true) => ("192.0.2.2", 64_502),
                    (true, false) => ("2001:db8::1", 64_501),
                    (true, true) => ("2001:db8::2", 64_502),
                };
                let id = if subtype >= 8 { "|7" } else { "" };
                assert!(
                    a.contains(&format!("|A|{peer}|{asn}|198.51.100.0/24{id}|")),
                    "{a}"
                );
            }
        }
        // A bad marker or a short message is not read in place.
        let update = [&withdrawn[..], &[0, attrs.len() as u8], &attrs, &nlri].concat();
        let mut bad = message_body(1, false, &update, 0);
        bad[20] = 0;
        assert!(peer_in_place(&bad, false, false).is_none());
        let short = message_body(4, false, &update, 1);
        assert!(peer_in_place(&short, true, false).is_none());
    }

    #[test]
    fn garbage_never_panics() {
        let mut f = Formatter::new();
        let mut out = Vec::new();
        let mut seed = 1u32;
        for t in [5u16, 12, 13, 16, 17] {
            for sub in 0..13u16 {
                for len in [0usize, 1, 7, 8, 20, 44, 60, 300] {
                    let body: Vec<u8> = (0..len)
                        .map(|_| {
                            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                            (seed >> 16) as u8
                        })
                        .collect();
                    let h = Header {
                        mrt_type: t,
                        subtype: sub,
                        length: len as u32,
                        ..Header::default()
                    };
                    f.format(&h, &body, &mut out);
                }
            }
        }
    }
}
