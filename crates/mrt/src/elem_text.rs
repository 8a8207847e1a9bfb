//! Route elements as text lines (the PSV and JSON of `rbgp mrt`) written
//! straight from the record bytes, the way [`crate::bgpdump::Formatter`]
//! writes bgpdump's lines and with its caches and text writers.
//!
//! The lines say what the typed path says: [`crate::elem::ElemDecoder`]'s
//! elements ([`rbgp_wire::elem::Elem`]) printed field by field with their
//! `Display` forms (PSV) or as serde_json prints a map of them (JSON). Only
//! records whose typed reading is certain go this way: BGP4MP(_ET)
//! UPDATEs, KEEPALIVEs and state changes, TABLE_DUMP and TABLE_DUMP_V2
//! unicast and multicast RIBs, with the usual attributes (see
//! [`attrs`]) of IPv4 and IPv6 unicast or multicast. For anything else
//! [`ElemWriter::write`] writes nothing and says so: the caller takes the
//! typed path, which also reports what is wrong with the record.
//!
//! PSV: `A|time|peer IP|peer AS|prefix|AS path|origin|next hop|local
//! pref|MED|communities and large communities|atomic|aggregator AS|
//! aggregator IP` (withdrawals leave the attribute fields empty). JSON: one
//! object per element, keys sorted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rbgp_wire::attr::Community;
use rbgp_wire::elem::{Elem, ElemType};
use rbgp_wire::Prefix;

use crate::bgpdump::shared::{
    next_prefix, nlri_lines, push_prefix, push_u32, push_v4, push_v6_std, v4_in16, AddrTexts,
    AttrCache, LineBufs,
};
use crate::elem::elem_prefix;
use crate::record::{bgp4mp, mrt_type, td2, Header};

mod attrs;
mod fields;

use attrs::{origin_asn, Attrs, Family, Hop};
use fields::{json_attrs, psv_rest, time_text, Group, PathAt, Texts};

/// The two element formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemFormat {
    /// Pipe-separated, bgpkit-parser's columns.
    Psv,
    /// One JSON object per element.
    Json,
}

/// What a filter sees of an element.
#[derive(Debug, Clone, Copy)]
pub struct ElemView<'a> {
    /// An announcement (RIB entries too), not a withdrawal.
    pub announce: bool,
    pub peer_ip: IpAddr,
    pub peer_asn: u32,
    /// The prefix, for NLRI that have one ([`crate::elem::elem_prefix`]).
    pub prefix: Option<Prefix>,
    /// The AS path as printed (announcements with an AS_PATH).
    pub as_path: Option<&'a str>,
    /// The last AS of a path that ends in an AS_SEQUENCE.
    pub origin_asn: Option<u32>,
    communities: Communities<'a>,
}

/// The communities of an element: the COMMUNITIES value as it is, or the
/// typed list.
#[derive(Debug, Clone, Copy)]
enum Communities<'a> {
    Raw(&'a [u8]),
    List(&'a [Community]),
}

impl<'a> ElemView<'a> {
    /// The view of a typed element, with the text of its AS path if a
    /// filter looks at it.
    pub fn of(e: &'a Elem, as_path: Option<&'a str>) -> Self {
        ElemView {
            announce: e.elem_type == ElemType::Announce,
            peer_ip: e.peer_ip,
            peer_asn: e.peer_asn,
            prefix: elem_prefix(e),
            as_path,
            origin_asn: e.origin_asn,
            communities: Communities::List(&e.communities),
        }
    }

    /// Whether the element carries the community `c` (RFC 1997 value).
    pub fn has_community(&self, c: u32) -> bool {
        match self.communities {
            Communities::Raw(v) => {
                let (list, _) = v.as_chunks::<4>();
                list.iter().any(|v| u32::from_be_bytes(*v) == c)
            }
            Communities::List(l) => l.contains(&Community(c)),
        }
    }
}

/// Which elements to print.
pub trait ElemFilter {
    /// Every element is printed (no questions asked).
    const ALL: bool = false;
    fn keep(&self, e: &ElemView<'_>) -> bool;
}

/// Every element.
pub struct KeepAll;

impl ElemFilter for KeepAll {
    const ALL: bool = true;
    #[inline(always)]
    fn keep(&self, _: &ElemView<'_>) -> bool {
        true
    }
}

/// A peer of the PEER_INDEX_TABLE and its text.
#[derive(Clone, Copy)]
struct TablePeer {
    ip: IpAddr,
    asn: u32,
    /// Where its text is in `PeerTable::texts`.
    text: (usize, usize),
}

#[derive(Default)]
struct PeerTable {
    peers: Vec<TablePeer>,
    texts: Vec<u8>,
}

/// The peer an UPDATE or RIB entry comes from.
#[derive(Clone, Copy)]
struct Peer {
    ip: IpAddr,
    asn: u32,
}

impl Peer {
    fn of(v6: bool, ip: &[u8; 16], asn: u32) -> Peer {
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::from(*ip))
        } else {
            let [a, b, c, d, ..] = *ip;
            IpAddr::V4(Ipv4Addr::new(a, b, c, d))
        };
        Peer { ip, asn }
    }
}

/// The text of a peer in a line: `ip|asn|` (PSV) or
/// `"peer_asn":asn,"peer_ip":"ip",` (JSON).
fn peer_text(json: bool, p: Peer, out: &mut Vec<u8>) {
    let ip = |out: &mut Vec<u8>| match p.ip {
        IpAddr::V4(a) => push_v4(out, a.octets()),
        IpAddr::V6(a) => push_v6_std(out, &a.octets()),
    };
    if json {
        out.extend_from_slice(b"\"peer_asn\":");
        push_u32(out, p.asn);
        out.extend_from_slice(b",\"peer_ip\":\"");
        ip(out);
        out.extend_from_slice(b"\",");
    } else {
        ip(out);
        out.push(b'|');
        push_u32(out, p.asn);
        out.push(b'|');
    }
}

/// The parts of an element's line around its prefix: `head` and (JSON
/// with ADD-PATH) the path id and `head2` before it, `rest` after it.
struct Parts<'p> {
    head: &'p [u8],
    head2: &'p [u8],
    rest: &'p [u8],
    /// JSON `"path_id":n,` between `head` and `head2` (ADD-PATH).
    path_id: bool,
}

/// What the filter sees of every element of an NLRI field.
#[derive(Clone, Copy)]
struct Shared<'s> {
    announce: bool,
    peer: Peer,
    as_path: Option<&'s str>,
    origin_asn: Option<u32>,
    communities: &'s [u8],
}

/// Writes the PSV or JSON lines of records, keeping the PEER_INDEX_TABLE
/// and the caches that the text is made with.
pub struct ElemWriter {
    json: bool,
    texts: Texts,
    peers: AddrTexts,
    lines: LineBufs,
    /// A RIB entry's attribute text by its bytes.
    rib: AttrCache,
    table: Option<PeerTable>,
    /// The time text of the last record (PSV `A|time|`, JSON the end of
    /// an announcement and of a withdrawal) and what it is for.
    time_key: Option<(u32, Option<u32>)>,
    time_psv: Vec<u8>,
    time_json: [Vec<u8>; 2],
    /// Scratch: the parts of one NLRI field's lines.
    head: Vec<u8>,
    head2: Vec<u8>,
    rest: Vec<u8>,
    /// The prefix text of a RIB record.
    pfx: Vec<u8>,
    /// The peer text of an UPDATE.
    ptext: Vec<u8>,
}

/// `","timestamp":` then, after the time, the end of an announcement or a
/// withdrawal.
const JSON_TIME: &[u8] = b"\",\"timestamp\":";
const JSON_END: [&[u8]; 2] = [b",\"type\":\"announce\"}\n", b",\"type\":\"withdraw\"}\n"];
/// PSV after a withdrawn prefix.
const PSV_WITHDRAW: &[u8] = b"|||||||false||\n";

impl ElemWriter {
    pub fn new(format: ElemFormat) -> Self {
        ElemWriter {
            json: format == ElemFormat::Json,
            texts: Texts::default(),
            peers: AddrTexts::new(true),
            lines: LineBufs::new(true),
            rib: AttrCache::default(),
            table: None,
            time_key: None,
            time_psv: Vec::new(),
            time_json: [Vec::new(), Vec::new()],
            head: Vec::new(),
            head2: Vec::new(),
            rest: Vec::new(),
            pfx: Vec::new(),
            ptext: Vec::new(),
        }
    }

    /// Forget the PEER_INDEX_TABLE (a new file starts); the caches stay.
    pub fn next_file(&mut self) {
        self.table = None;
    }

    /// Append the lines of the elements of one record that `filter`
    /// keeps. `body` is the record after the header (and after the
    /// microseconds of `_ET` types). False, with nothing written, when the
    /// record needs the typed path ([`crate::elem::ElemDecoder`]), which
    /// then prints it and reports what is wrong with it. A
    /// PEER_INDEX_TABLE is read and left to the typed path as well, which
    /// keeps its own copy.
    pub fn write<F: ElemFilter>(
        &mut self,
        h: &Header,
        body: &[u8],
        filter: &F,
        out: &mut Vec<u8>,
    ) -> bool {
        let mark = out.len();
        let done = match h.mrt_type {
            mrt_type::BGP4MP | mrt_type::BGP4MP_ET => self.bgp4mp(h, body, filter, out),
            mrt_type::TABLE_DUMP_V2 => self.table_dump_v2(h, body, filter, out),
            mrt_type::TABLE_DUMP => self.table_dump(h, body, filter, out),
            mrt_type::BGP => self.mrtd_bgp(h, body, filter, out),
            _ => None,
        };
        if done.is_none() {
            out.truncate(mark);
        }
        done.is_some()
    }

    /// Make the time texts of the record `h` (unless the last record had
    /// the same time).
    fn times(&mut self, h: &Header) -> Option<()> {
        let key = (h.timestamp, h.microseconds);
        if self.time_key == Some(key) {
            return Some(());
        }
        self.time_key = None;
        if self.json {
            let [a, w] = &mut self.time_json;
            a.clear();
            a.extend_from_slice(JSON_TIME);
            time_text(h.timestamp, h.microseconds, true, a)?;
            w.clear();
            w.extend_from_slice(a);
            for (t, end) in [a, w].into_iter().zip(JSON_END) {
                t.extend_from_slice(end);
            }
        } else {
            let t = &mut self.time_psv;
            t.clear();
            time_text(h.timestamp, h.microseconds, false, t)?;
            t.push(b'|');
        }
        self.time_key = Some(key);
        Some(())
    }

    // ---- BGP4MP ----

    fn bgp4mp<F: ElemFilter>(
        &mut self,
        h: &Header,
        body: &[u8],
        filter: &F,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        use bgp4mp::*;
        let (four, addpath) = match h.subtype {
            STATE_CHANGE | STATE_CHANGE_AS4 => {
                return state_change(body, h.subtype == STATE_CHANGE_AS4)
            }
            MESSAGE | MESSAGE_LOCAL => (false, false),
            MESSAGE_AS4 | MESSAGE_AS4_LOCAL => (true, false),
            MESSAGE_ADDPATH | MESSAGE_LOCAL_ADDPATH => (false, true),
            MESSAGE_AS4_ADDPATH | MESSAGE_AS4_LOCAL_ADDPATH => (true, true),
            _ => return None,
        };
        // Peer AS, local AS, interface, AFI, peer and local address: the
        // first side is the peer for every subtype.
        let w = if four { 4 } else { 2 };
        let (asn, rest) = body.split_at_checked(w)?;
        let asn = asn.iter().fold(0u32, |a, b| a << 8 | u32::from(*b));
        let [_, _, _, _, a0, a1, ref rest @ ..] = *rest.get(w - 2..)? else {
            return None;
        };
        let (v6, alen) = match u16::from_be_bytes([a0, a1]) {
            1 => (false, 4),
            2 => (true, 16),
            _ => return None,
        };
        let (ip, rest) = rest.split_at_checked(alen)?;
        let mut ip16 = [0u8; 16];
        for (d, s) in ip16.iter_mut().zip(ip) {
            *d = *s;
        }
        let msg = rest.get(alen..)?;
        // The BGP message: a whole header, its length within the data.
        let (marker, rest) = msg.split_first_chunk::<16>()?;
        let [l0, l1, ty, ref rest @ ..] = *rest else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if *marker != [0xff; 16] || len < 19 {
            return None;
        }
        let body = rest.get(..len - 19)?;
        match ty {
            2 => {}
            // A KEEPALIVE: no element.
            4 if body.is_empty() => return Some(()),
            _ => return None,
        }
        self.times(h)?;
        let peer = Peer::of(v6, &ip16, asn);
        self.update(peer, body, four, addpath, filter, out)
    }

    /// The deprecated BGP type (RFC 6396 Appendix B.2.1), subtype UPDATE:
    /// peer AS and address, local AS and address (2-octet AS, IPv4), then
    /// an UPDATE without the BGP header.
    fn mrtd_bgp<F: ElemFilter>(
        &mut self,
        h: &Header,
        body: &[u8],
        filter: &F,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let [a0, a1, i0, i1, i2, i3, _, _, _, _, _, _, ref update @ ..] = *body else {
            return None;
        };
        if h.subtype != 1 {
            return None;
        }
        self.times(h)?;
        let peer = Peer {
            ip: IpAddr::V4(Ipv4Addr::new(i0, i1, i2, i3)),
            asn: u32::from(u16::from_be_bytes([a0, a1])),
        };
        self.update(peer, update, false, false, filter, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn update<F: ElemFilter>(
        &mut self,
        peer: Peer,
        body: &[u8],
        four: bool,
        addpath: bool,
        filter: &F,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let (withdrawn, rest) = split_field(body)?;
        let (list, nlri) = split_field(rest)?;
        let a = Attrs::read(list, four, self.json, None)?;
        let v4 = Family::of(1, 1)?;
        self.ptext.clear();
        self.ptext
            .extend_from_slice(kept_peer_text(&mut self.peers, self.json, peer));
        // Announcements (classic NLRI, then MP_REACH), then withdrawals.
        if !nlri.is_empty() {
            let g = Group {
                a: &a,
                four,
                hop: a.next_hop.map(Hop::V4),
            };
            self.field(Some(&g), v4, nlri, peer, addpath, filter, out)?;
        }
        if let Some(r) = a.reach.filter(|r| !r.nlri.is_empty()) {
            let g = Group {
                a: &a,
                four,
                hop: Some(r.hop),
            };
            self.field(Some(&g), r.family, r.nlri, peer, addpath, filter, out)?;
        }
        if !withdrawn.is_empty() {
            self.field(None, v4, withdrawn, peer, addpath, filter, out)?;
        }
        if let Some(u) = a.unreach.filter(|u| !u.nlri.is_empty()) {
            self.field(None, u.family, u.nlri, peer, addpath, filter, out)?;
        }
        Some(())
    }

    /// The lines of the elements of one NLRI field: announcements with
    /// the attributes of `g`, or withdrawals (`g` is `None`).
    #[allow(clippy::too_many_arguments)]
    fn field<F: ElemFilter>(
        &mut self,
        g: Option<&Group<'_, '_>>,
        fam: Family,
        nlri: &[u8],
        peer: Peer,
        addpath: bool,
        filter: &F,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let mut head = std::mem::take(&mut self.head);
        let mut head2 = std::mem::take(&mut self.head2);
        let mut rest = std::mem::take(&mut self.rest);
        let r = self.parts(g, fam, &mut head, &mut head2, &mut rest);
        let r = r.and_then(|at| {
            // What only a filter looks at.
            let shared = match (F::ALL, g) {
                (false, Some(g)) => Shared {
                    announce: true,
                    peer,
                    as_path: path_str(if self.json { &head } else { &rest }, at),
                    origin_asn: g.a.path.and_then(|p| origin_asn(p, g.four)),
                    communities: g.a.communities.unwrap_or_default(),
                },
                _ => Shared {
                    announce: g.is_some(),
                    peer,
                    as_path: None,
                    origin_asn: None,
                    communities: &[],
                },
            };
            let parts = Parts {
                head: &head,
                head2: &head2,
                rest: &rest,
                path_id: self.json && addpath,
            };
            self.field_lines(&parts, fam, nlri, addpath, &shared, filter, out)
        });
        self.head = head;
        self.head2 = head2;
        self.rest = rest;
        r
    }

    /// The parts of the lines of one NLRI field (see [`ElemWriter::field`]);
    /// where the path text is (in `rest` for PSV, `head` for JSON).
    fn parts(
        &mut self,
        g: Option<&Group<'_, '_>>,
        fam: Family,
        head: &mut Vec<u8>,
        head2: &mut Vec<u8>,
        rest: &mut Vec<u8>,
    ) -> Option<PathAt> {
        head.clear();
        head2.clear();
        rest.clear();
        let at = if self.json {
            json_start(fam, head);
            let at = match g {
                Some(g) => json_attrs(g, &mut self.texts, head)?,
                None => None,
            };
            head2.extend_from_slice(&self.ptext);
            head2.extend_from_slice(b"\"prefix\":\"");
            let [a, w] = &self.time_json;
            rest.extend_from_slice(if g.is_some() { a } else { w });
            at
        } else {
            head.extend_from_slice(if g.is_some() { b"A|" } else { b"W|" });
            head.extend_from_slice(&self.time_psv);
            head.extend_from_slice(&self.ptext);
            match g {
                Some(g) => psv_rest(g, &mut self.texts, rest)?,
                None => {
                    rest.extend_from_slice(PSV_WITHDRAW);
                    None
                }
            }
        };
        Some(at)
    }

    /// One line per element of the NLRI field `nlri`: `head`, (JSON
    /// ADD-PATH: the path id and `head2`), the prefix, `rest`. `None` if
    /// the field is not a list of whole prefixes.
    #[allow(clippy::too_many_arguments)]
    fn field_lines<F: ElemFilter>(
        &mut self,
        p: &Parts<'_>,
        fam: Family,
        nlri: &[u8],
        addpath: bool,
        shared: &Shared<'_>,
        filter: &F,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let v6 = fam.v6;
        if F::ALL && !p.path_id {
            let at = out.len();
            out.extend_from_slice(p.head);
            out.extend_from_slice(p.head2);
            let rest = p.rest;
            let mut write_rest = |o: &mut Vec<u8>| o.extend_from_slice(rest);
            return nlri_lines::<true>(
                nlri,
                v6,
                addpath,
                at,
                out,
                &mut self.lines,
                &mut write_rest,
            )
            .then_some(());
        }
        let mut b = nlri;
        while !b.is_empty() {
            let (id, len, octets, next) = next_prefix(b, v6, addpath)?;
            b = next;
            if !F::ALL {
                let view = ElemView {
                    announce: shared.announce,
                    peer_ip: shared.peer.ip,
                    peer_asn: shared.peer.asn,
                    prefix: Some(prefix_of(v6, octets, len)?),
                    as_path: shared.as_path,
                    origin_asn: shared.origin_asn,
                    communities: Communities::Raw(shared.communities),
                };
                if !filter.keep(&view) {
                    continue;
                }
            }
            out.extend_from_slice(p.head);
            if p.path_id {
                out.extend_from_slice(b"\"path_id\":");
                push_u32(out, id);
                out.push(b',');
            }
            out.extend_from_slice(p.head2);
            push_prefix::<true>(
                out,
                &mut self.lines.v6_texts,
                v6,
                addpath,
                (id, len, octets),
            );
            out.extend_from_slice(p.rest);
        }
        Some(())
    }

    // ---- TABLE_DUMP_V2 ----

    fn table_dump_v2<F: ElemFilter>(
        &mut self,
        h: &Header,
        body: &[u8],
        filter: &F,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let (fam, addpath) = match h.subtype {
            td2::PEER_INDEX_TABLE => {
                self.table = peer_table(body, self.json);
                // The typed path keeps its own copy.
                return None;
            }
            td2::RIB_IPV4_UNICAST => (Family::of(1, 1)?, false),
            td2::RIB_IPV4_MULTICAST => (Family::of(1, 2)?, false),
            td2::RIB_IPV6_UNICAST => (Family::of(2, 1)?, false),
            td2::RIB_IPV6_MULTICAST => (Family::of(2, 2)?, false),
            td2::RIB_IPV4_UNICAST_ADDPATH => (Family::of(1, 1)?, true),
            td2::RIB_IPV4_MULTICAST_ADDPATH => (Family::of(1, 2)?, true),
            td2::RIB_IPV6_UNICAST_ADDPATH => (Family::of(2, 1)?, true),
            td2::RIB_IPV6_MULTICAST_ADDPATH => (Family::of(2, 2)?, true),
            _ => return None,
        };
        // Sequence number, prefix, entry count.
        let rest = body.get(4..)?;
        let (_, len, octets, rest) = next_prefix(rest, fam.v6, false)?;
        let (count, mut rest) = rest.split_first_chunk::<2>()?;
        let count = u16::from_be_bytes(*count);
        // All entries whole and their peers known before any line.
        let table = self.table.as_ref()?;
        let mut entries = rest;
        for _ in 0..count {
            let (idx, after) = entries.split_first_chunk::<2>()?;
            table.peers.get(usize::from(u16::from_be_bytes(*idx)))?;
            let after = after.get(if addpath { 8 } else { 4 }..)?;
            let (_, after) = split_field(after)?;
            entries = after;
        }
        if !entries.is_empty() {
            return None;
        }
        self.times(h)?;
        let rib = Rib {
            fam,
            four: true,
            prefix: prefix_of(fam.v6, octets, len)?,
        };
        self.pfx.clear();
        push_prefix::<true>(
            &mut self.pfx,
            &mut self.lines.v6_texts,
            fam.v6,
            false,
            (0, len, octets),
        );
        for _ in 0..count {
            let [i0, i1, _, _, _, _, ref after @ ..] = *rest else {
                return None;
            };
            let (id, after) = match (addpath, after) {
                (true, &[p0, p1, p2, p3, ref after @ ..]) => {
                    (Some(u32::from_be_bytes([p0, p1, p2, p3])), after)
                }
                _ => (None, after),
            };
            let (list, after) = split_field(after)?;
            rest = after;
            let idx = usize::from(u16::from_be_bytes([i0, i1]));
            self.rib_line(&rib, PeerText::Table(idx), id, list, filter, out)?;
        }
        Some(())
    }

    // ---- TABLE_DUMP (v1) ----

    fn table_dump<F: ElemFilter>(
        &mut self,
        h: &Header,
        body: &[u8],
        filter: &F,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let v6 = match h.subtype {
            1 => false,
            2 => true,
            _ => return None,
        };
        let alen = if v6 { 16 } else { 4 };
        // View, sequence, prefix, length, status, originated, peer, peer
        // AS, attributes: nothing after them.
        let rest = body.get(4..)?;
        let (addr, rest) = rest.split_at_checked(alen)?;
        let [len, _, _, _, _, _, ref rest @ ..] = *rest else {
            return None;
        };
        if len > if v6 { 128 } else { 32 } {
            return None;
        }
        let (ip, rest) = rest.split_at_checked(alen)?;
        let (asn, rest) = rest.split_first_chunk::<2>()?;
        let (list, rest) = split_field(rest)?;
        if !rest.is_empty() {
            return None;
        }
        self.times(h)?;
        let mut ip16 = [0u8; 16];
        for (d, s) in ip16.iter_mut().zip(ip) {
            *d = *s;
        }
        let peer = Peer::of(v6, &ip16, u32::from(u16::from_be_bytes(*asn)));
        let octets = addr.get(..usize::from(len).div_ceil(8))?;
        let rib = Rib {
            fam: Family::of(if v6 { 2 } else { 1 }, 1)?,
            four: false,
            prefix: prefix_of(v6, octets, len)?,
        };
        self.pfx.clear();
        push_prefix::<true>(
            &mut self.pfx,
            &mut self.lines.v6_texts,
            v6,
            false,
            (0, len, octets),
        );
        self.rib_line(&rib, PeerText::Kept(peer), None, list, filter, out)
    }

    /// The line of one RIB entry: its attribute text kept by their bytes,
    /// or written (and kept).
    fn rib_line<F: ElemFilter>(
        &mut self,
        rib: &Rib,
        ptext: PeerText,
        path_id: Option<u32>,
        list: &[u8],
        filter: &F,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let fam = rib.fam;
        let json = self.json;
        let tag = u8::from(fam.v6) | u8::from(fam.multicast) << 1 | u8::from(rib.four) << 2;
        let cache = self.rib.active() && self.rib.scan_all(tag, list);
        let hit = cache && self.rib.hit();
        // The filter looks at the attributes, so does a miss.
        let attrs = match hit && F::ALL {
            true => None,
            false => Some(Attrs::read(list, rib.four, json, Some(fam))?),
        };
        let mut fresh = None;
        if let (false, Some(a)) = (hit, &attrs) {
            // The MP_REACH next hop, else NEXT_HOP.
            let hop = match a.reach {
                Some(r) => Some(r.hop),
                None => a.next_hop.map(Hop::V4),
            };
            let g = Group {
                a,
                four: rib.four,
                hop,
            };
            self.rest.clear();
            let at = if json {
                json_attrs(&g, &mut self.texts, &mut self.rest)
            } else {
                psv_rest(&g, &mut self.texts, &mut self.rest)
            }?;
            if cache {
                self.rib.store(&self.rest, at.unwrap_or((usize::MAX, 0)));
            } else {
                fresh = Some(at);
            }
        }
        let (text, at) = match fresh {
            Some(at) => (self.rest.as_slice(), at),
            None => {
                let (text, (p, n)) = self.rib.current();
                (text, (p != usize::MAX).then_some((p, n)))
            }
        };
        let (peer, ptext) = match ptext {
            PeerText::Table(i) => {
                let t = self.table.as_ref()?;
                let p = t.peers.get(i)?;
                let (at, n) = p.text;
                (
                    Peer {
                        ip: p.ip,
                        asn: p.asn,
                    },
                    t.texts.get(at..at + n)?,
                )
            }
            PeerText::Kept(p) => (p, kept_peer_text(&mut self.peers, json, p)),
        };
        if let (false, Some(a)) = (F::ALL, &attrs) {
            let view = ElemView {
                announce: true,
                peer_ip: peer.ip,
                peer_asn: peer.asn,
                prefix: Some(rib.prefix),
                as_path: path_str(text, at),
                origin_asn: a.path.and_then(|p| origin_asn(p, rib.four)),
                communities: Communities::Raw(a.communities.unwrap_or_default()),
            };
            if !filter.keep(&view) {
                return Some(());
            }
        }
        if json {
            json_start(fam, out);
            out.extend_from_slice(text);
            if let Some(id) = path_id {
                out.extend_from_slice(b"\"path_id\":");
                push_u32(out, id);
                out.push(b',');
            }
            out.extend_from_slice(ptext);
            out.extend_from_slice(b"\"prefix\":\"");
            out.extend_from_slice(&self.pfx);
            let [a, _] = &self.time_json;
            out.extend_from_slice(a);
        } else {
            out.extend_from_slice(b"A|");
            out.extend_from_slice(&self.time_psv);
            out.extend_from_slice(ptext);
            out.extend_from_slice(&self.pfx);
            out.extend_from_slice(text);
        }
        Some(())
    }
}

/// `{"afi_safi":"family",`: how a JSON line starts.
fn json_start(fam: Family, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"afi_safi\":\"");
    out.extend_from_slice(fam.name());
    out.extend_from_slice(b"\",");
}

/// The text of `peer` in a line, kept by address.
fn kept_peer_text(peers: &mut AddrTexts, json: bool, peer: Peer) -> &[u8] {
    let (ip16, v6) = match peer.ip {
        IpAddr::V4(a) => (v4_in16(a.octets()), false),
        IpAddr::V6(a) => (a.octets(), true),
    };
    let tag = u64::from(v6) << 33 | 1 << 34 | u64::from(peer.asn);
    peers.text(&ip16, tag, |t| peer_text(json, peer, t))
}

/// The peer of a RIB line: an index into the PEER_INDEX_TABLE, or the
/// peer of a TABLE_DUMP record (its text kept by address).
#[derive(Clone, Copy)]
enum PeerText {
    Table(usize),
    Kept(Peer),
}

/// What every line of a RIB record shares besides the prefix text.
struct Rib {
    fam: Family,
    four: bool,
    prefix: Prefix,
}

/// The AS path text at `at` in `text`.
fn path_str(text: &[u8], at: PathAt) -> Option<&str> {
    at.and_then(|(p, n)| text.get(p..p + n))
        .and_then(|t| std::str::from_utf8(t).ok())
}

/// A field preceded by its 2-octet length, and what follows it.
fn split_field(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (l, rest) = b.split_first_chunk::<2>()?;
    rest.split_at_checked(usize::from(u16::from_be_bytes(*l)))
}

/// The prefix of `len` bits whose octets are `octets` (host bits cleared).
fn prefix_of(v6: bool, octets: &[u8], len: u8) -> Option<Prefix> {
    let ip = if v6 {
        let mut a = [0u8; 16];
        for (d, s) in a.iter_mut().zip(octets) {
            *d = *s;
        }
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        let mut a = [0u8; 4];
        for (d, s) in a.iter_mut().zip(octets) {
            *d = *s;
        }
        IpAddr::V4(Ipv4Addr::from(a))
    };
    Prefix::new(ip, len)
}

/// BGP4MP_STATE_CHANGE(_AS4): no element, if the typed decoder reads it
/// without complaint (known AFI, nothing missing or left over).
fn state_change(body: &[u8], four: bool) -> Option<()> {
    let w = if four { 4 } else { 2 };
    let [a0, a1] = *body.get(2 * w + 2..2 * w + 4)? else {
        return None;
    };
    let addrs = match u16::from_be_bytes([a0, a1]) {
        1 => 8,
        2 => 32,
        _ => return None,
    };
    (body.len() == 2 * w + 4 + addrs + 4).then_some(())
}

/// The PEER_INDEX_TABLE and each peer's text, if the typed decoder reads
/// it without complaint.
fn peer_table(body: &[u8], json: bool) -> Option<PeerTable> {
    let rest = body.get(4..)?;
    let (_, rest) = split_field(rest)?;
    let (count, mut rest) = rest.split_first_chunk::<2>()?;
    let mut t = PeerTable::default();
    for _ in 0..u16::from_be_bytes(*count) {
        let [pt, _, _, _, _, ref after @ ..] = *rest else {
            return None;
        };
        let v6 = pt & 1 != 0;
        let (ip, after) = after.split_at_checked(if v6 { 16 } else { 4 })?;
        let (asn, after) = after.split_at_checked(if pt & 2 != 0 { 4 } else { 2 })?;
        rest = after;
        let mut ip16 = [0u8; 16];
        for (d, s) in ip16.iter_mut().zip(ip) {
            *d = *s;
        }
        let peer = Peer::of(
            v6,
            &ip16,
            asn.iter().fold(0u32, |a, b| a << 8 | u32::from(*b)),
        );
        let at = t.texts.len();
        peer_text(json, peer, &mut t.texts);
        t.peers.push(TablePeer {
            ip: peer.ip,
            asn: peer.asn,
            text: (at, t.texts.len() - at),
        });
    }
    rest.is_empty().then_some(t)
}
