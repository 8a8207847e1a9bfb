//! The router's RPKI data: VRPs indexed for covering-prefix lookup and
//! ASPAs by customer AS.
//!
//! VRPs are kept per family in one sorted vector of compact entries (12
//! octets for IPv4, 24 for IPv6, against ~40 for a tree node), ordered by
//! (address, length, max length, ASN). The prefixes covering a route are
//! found with one binary search per VRP prefix length that occurs under
//! the route's first octet (IPv4) or first 16 bits (IPv6) (`LenIndex`): a route is
//! covered by a VRP only if the VRP's prefix is the route's address cut to
//! the VRP's length (RFC 6811 §2, "Covered").

use std::net::{Ipv4Addr, Ipv6Addr};

use rbgp_wire::{Ipv4Prefix, Ipv6Prefix, Prefix};
use rustc_hash::FxHashMap;

pub use crate::record::{Aspa, Delta, Vrp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct V4 {
    addr: u32,
    len: u8,
    max_len: u8,
    asn: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct V6 {
    hi: u64,
    lo: u64,
    len: u8,
    max_len: u8,
    asn: u32,
}

fn mask32(len: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(len.min(128)))
        .unwrap_or(0)
}

impl V4 {
    fn of(p: &Ipv4Prefix, max_len: u8, asn: u32) -> Self {
        V4 {
            addr: u32::from(p.addr()),
            len: p.len(),
            max_len,
            asn,
        }
    }
    /// Stored entries were built from valid prefixes, so `None` cannot
    /// happen; it keeps the conversion free of panics.
    fn vrp(&self) -> Option<Vrp> {
        let prefix = Ipv4Prefix::new(Ipv4Addr::from(self.addr), self.len)?;
        Some(Vrp {
            prefix: Prefix::V4(prefix),
            max_len: self.max_len,
            asn: self.asn,
        })
    }
}

impl V6 {
    fn of(p: &Ipv6Prefix, max_len: u8, asn: u32) -> Self {
        let a = u128::from(p.addr());
        V6 {
            hi: (a >> 64) as u64,
            lo: a as u64,
            len: p.len(),
            max_len,
            asn,
        }
    }
    fn addr(&self) -> u128 {
        (u128::from(self.hi) << 64) | u128::from(self.lo)
    }
    fn vrp(&self) -> Option<Vrp> {
        let prefix = Ipv6Prefix::new(Ipv6Addr::from(self.addr()), self.len)?;
        Some(Vrp {
            prefix: Prefix::V6(prefix),
            max_len: self.max_len,
            asn: self.asn,
        })
    }
}

/// A set of prefix lengths (0..=128).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LenMask([u64; 3]);

impl LenMask {
    fn set(&mut self, len: u8) {
        if let Some(w) = self.0.get_mut(usize::from(len / 64)) {
            *w |= 1 << (len % 64);
        }
    }

    fn union(mut self, o: LenMask) -> LenMask {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a |= b;
        }
        self
    }

    /// The lengths in the set up to `up_to`, shortest first.
    fn up_to(self, up_to: u8) -> impl Iterator<Item = u8> {
        let mut words = self.0;
        let top = usize::from(up_to) + 1;
        for (i, w) in words.iter_mut().enumerate() {
            let from = i * 64;
            if top <= from {
                *w = 0;
            } else if top < from + 64 {
                *w &= (1u64 << (top - from)) - 1;
            }
        }
        words.into_iter().enumerate().flat_map(|(i, mut w)| {
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros();
                w &= w - 1;
                Some((i * 64) as u8 + b as u8)
            })
        })
    }
}

/// Which VRP prefix lengths occur under each leading part of the address
/// space (the first 16 bits, for IPv4 and IPv6), so a
/// lookup searches only lengths that can cover the route: most routes
/// fall where only a few lengths occur, and a route nothing covers costs
/// one probe. VRPs shorter than the leading part are in `short`.
///
/// The entries under one leading part are contiguous in the sorted
/// vector; the binary search for a length at least as long as the
/// leading part runs within them (a few cache lines instead of a search
/// over the whole table).
#[derive(Debug, Clone, Default)]
struct LenIndex {
    /// Per /16: the lengths (0..=32, a bit each) of the VRPs that cover it
    /// or lie in it.
    v4: Vec<u64>,
    /// Where each /16's entries start (65,537: the last is the end).
    v4_start: Vec<u32>,
    /// Lengths, and the range of the entries of 16 bits and longer.
    v6: FxHashMap<u16, (LenMask, u32, u32)>,
    v6_short: LenMask,
}

impl LenIndex {
    fn build_v4(entries: &[V4]) -> Vec<u64> {
        let mut idx = vec![0u64; 1 << 16];
        for e in entries {
            let first = (e.addr >> 16) as usize;
            let last = ((e.addr | !mask32(e.len)) >> 16) as usize;
            for m in idx.iter_mut().take(last + 1).skip(first) {
                *m |= 1 << e.len.min(63);
            }
        }
        idx
    }

    fn v4_starts(entries: &[V4]) -> Vec<u32> {
        let mut starts = Vec::with_capacity((1 << 16) + 1);
        let mut i = 0usize;
        for k in 0..(1u32 << 16) {
            while entries.get(i).is_some_and(|e| e.addr >> 16 < k) {
                i += 1;
            }
            starts.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        starts.push(u32::try_from(entries.len()).unwrap_or(u32::MAX));
        starts
    }

    #[allow(clippy::type_complexity)]
    fn build_v6(entries: &[V6]) -> (FxHashMap<u16, (LenMask, u32, u32)>, LenMask) {
        let mut idx: FxHashMap<u16, (LenMask, u32, u32)> = FxHashMap::default();
        let mut short = LenMask::default();
        for (i, e) in entries.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            if e.len < 16 {
                short.set(e.len);
            } else {
                let x = idx
                    .entry((e.hi >> 48) as u16)
                    .or_insert((LenMask::default(), i, i));
                x.0.set(e.len);
                x.1 = x.1.min(i);
                x.2 = x.2.max(i.saturating_add(1));
            }
        }
        (idx, short)
    }

    fn v4_lens(&self, addr: u32) -> LenMask {
        LenMask([
            self.v4.get((addr >> 16) as usize).copied().unwrap_or(0),
            0,
            0,
        ])
    }

    /// The range of the entries under `addr`'s first `bits` (8 or 16).
    fn v4_range(&self, addr: u32, bits: u32) -> (usize, usize) {
        let k = (addr >> (32 - bits)) as usize;
        let shift = 16 - bits;
        let at = |i: usize| self.v4_start.get(i).map_or(0, |&x| x as usize);
        (at(k << shift), at((k + 1) << shift))
    }

    fn v6_lens(&self, hi: u64) -> (LenMask, usize, usize) {
        let (m, a, b) = self
            .v6
            .get(&((hi >> 48) as u16))
            .copied()
            .unwrap_or_default();
        (m.union(self.v6_short), a as usize, b as usize)
    }
}

/// What an [`Table::apply`] changed: the VRP prefixes whose routes (the
/// prefix and its more-specifics) need origin validation again, and the
/// customers whose ASPA changed (routes whose path holds them need ASPA
/// verification again).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// Sorted, no duplicates.
    pub prefixes: Vec<Prefix>,
    /// Sorted, no duplicates.
    pub customers: Vec<u32>,
    /// The delta replaced the whole set. `prefixes`/`customers` still list
    /// exactly what differs from before.
    pub reset: bool,
}

impl Changed {
    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty() && self.customers.is_empty()
    }
}

/// VRPs and ASPAs. A set: each VRP (prefix, max length, ASN) once; one
/// provider list per customer.
#[derive(Debug, Clone, Default)]
pub struct Table {
    v4: Vec<V4>,
    v6: Vec<V6>,
    lens: LenIndex,
    aspas: FxHashMap<u32, Box<[u32]>>,
}

/// `base` minus `del` plus `add`, all sorted; returns the result sorted
/// without duplicates. One pass: O(base + add + del).
fn merge<T: Ord + Copy>(base: &[T], add: &mut Vec<T>, del: &mut Vec<T>) -> Vec<T> {
    add.sort_unstable();
    add.dedup();
    del.sort_unstable();
    del.dedup();
    let mut out = Vec::with_capacity(base.len() + add.len());
    let mut d = del.iter().peekable();
    let mut a = add.iter().peekable();
    for &x in base {
        while let Some(&&y) = a.peek() {
            if y < x {
                out.push(y);
                a.next();
            } else {
                break;
            }
        }
        while d.next_if(|&&y| y < x).is_some() {}
        let deleted = d.peek().is_some_and(|&&y| y == x);
        let re_added = a.peek().is_some_and(|&&y| y == x);
        if re_added {
            a.next();
        }
        if !deleted || re_added {
            out.push(x);
        }
    }
    out.extend(a.copied());
    out.dedup();
    out
}

/// The elements in exactly one of two sorted slices.
fn sym_diff<T: Ord + Copy>(a: &[T], b: &[T], mut f: impl FnMut(T)) {
    let (mut i, mut j) = (a.iter().peekable(), b.iter().peekable());
    loop {
        match (i.peek(), j.peek()) {
            (Some(&&x), Some(&&y)) => {
                if x < y {
                    f(x);
                    i.next();
                } else if y < x {
                    f(y);
                    j.next();
                } else {
                    i.next();
                    j.next();
                }
            }
            (Some(&&x), None) => {
                f(x);
                i.next();
            }
            (None, Some(&&y)) => {
                f(y);
                j.next();
            }
            (None, None) => break,
        }
    }
}

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    /// A table of these VRPs and ASPAs. ASPAs of the same customer are
    /// merged into their union (the U-SPAS of
    /// draft-ietf-sidrops-aspa-verification §5.2).
    pub fn from_parts(
        vrps: impl IntoIterator<Item = Vrp>,
        aspas: impl IntoIterator<Item = Aspa>,
    ) -> Self {
        let mut t = Table::new();
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for v in vrps {
            match &v.prefix {
                Prefix::V4(p) => v4.push(V4::of(p, v.max_len, v.asn)),
                Prefix::V6(p) => v6.push(V6::of(p, v.max_len, v.asn)),
            }
        }
        t.set_v4(merge(&[], &mut v4, &mut Vec::new()));
        t.set_v6(merge(&[], &mut v6, &mut Vec::new()));
        let mut by: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for a in aspas {
            by.entry(a.customer).or_default().extend(a.providers);
        }
        t.aspas = by
            .into_iter()
            .map(|(c, p)| (c, Aspa::new(c, p).providers.into_boxed_slice()))
            .collect();
        t
    }

    fn set_v4(&mut self, mut v: Vec<V4>) {
        v.shrink_to_fit();
        self.lens.v4 = LenIndex::build_v4(&v);
        self.lens.v4_start = LenIndex::v4_starts(&v);
        self.v4 = v;
    }

    fn set_v6(&mut self, mut v: Vec<V6>) {
        v.shrink_to_fit();
        (self.lens.v6, self.lens.v6_short) = LenIndex::build_v6(&v);
        self.v6 = v;
    }

    /// Number of VRPs.
    pub fn vrp_count(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Number of IPv4 and IPv6 VRPs.
    pub fn vrp_counts(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    /// Number of customers with an ASPA.
    pub fn aspa_count(&self) -> usize {
        self.aspas.len()
    }

    /// Heap octets held for VRPs (the vectors' capacity) and ASPAs (an
    /// estimate: map slots plus provider lists).
    pub fn heap_bytes(&self) -> (usize, usize) {
        let index = self.lens.v4.capacity() * 8
            + self.lens.v4_start.capacity() * 4
            + self.lens.v6.capacity() * (std::mem::size_of::<(u16, LenMask)>() + 1);
        let vrps = self.v4.capacity() * std::mem::size_of::<V4>()
            + self.v6.capacity() * std::mem::size_of::<V6>()
            + index;
        let slot = std::mem::size_of::<(u32, Box<[u32]>)>() + 1;
        let aspas =
            self.aspas.capacity() * slot + self.aspas.values().map(|p| p.len() * 4).sum::<usize>();
        (vrps, aspas)
    }

    pub fn contains(&self, v: &Vrp) -> bool {
        match &v.prefix {
            Prefix::V4(p) => self.v4.binary_search(&V4::of(p, v.max_len, v.asn)).is_ok(),
            Prefix::V6(p) => self.v6.binary_search(&V6::of(p, v.max_len, v.asn)).is_ok(),
        }
    }

    /// Every VRP, IPv4 first, each family in address order.
    pub fn vrps(&self) -> impl Iterator<Item = Vrp> + '_ {
        self.v4
            .iter()
            .filter_map(V4::vrp)
            .chain(self.v6.iter().filter_map(V6::vrp))
    }

    /// The providers `customer` attests, sorted; `None` if it has no ASPA.
    pub fn providers(&self, customer: u32) -> Option<&[u32]> {
        self.aspas.get(&customer).map(|p| &p[..])
    }

    /// Every ASPA, in no particular order.
    pub fn aspas(&self) -> impl Iterator<Item = (u32, &[u32])> + '_ {
        self.aspas.iter().map(|(c, p)| (*c, &p[..]))
    }

    /// Call `f` with every VRP covering `prefix` (RFC 6811 §2: the VRP's
    /// prefix length is at most the route's, and the bits up to it agree),
    /// shortest VRP prefix first, until `f` returns `true`. Returns whether
    /// `f` stopped it.
    pub fn covering_until(&self, prefix: &Prefix, mut f: impl FnMut(&Vrp) -> bool) -> bool {
        match prefix {
            Prefix::V4(p) => {
                let a = u32::from(p.addr());
                for l in self.lens.v4_lens(a).up_to(p.len()) {
                    let key = (a & mask32(l), l);
                    // A VRP of /16 or longer lies in the route's /16; one
                    // of /8 or longer in its /8.
                    let part = match l {
                        16.. => {
                            let (lo, hi) = self.lens.v4_range(a, 16);
                            self.v4.get(lo..hi).unwrap_or_default()
                        }
                        8.. => {
                            let (lo, hi) = self.lens.v4_range(a, 8);
                            self.v4.get(lo..hi).unwrap_or_default()
                        }
                        _ => &self.v4[..],
                    };
                    let start = part.partition_point(|e| (e.addr, e.len) < key);
                    let hits = part.get(start..).unwrap_or_default();
                    for e in hits.iter().take_while(|e| (e.addr, e.len) == key) {
                        if e.vrp().is_some_and(|v| f(&v)) {
                            return true;
                        }
                    }
                }
            }
            Prefix::V6(p) => {
                let a = u128::from(p.addr());
                let (lens, lo, hi) = self.lens.v6_lens((a >> 64) as u64);
                for l in lens.up_to(p.len()) {
                    let m = a & mask128(l);
                    let key = ((m >> 64) as u64, m as u64, l);
                    let part = if l >= 16 {
                        self.v6.get(lo..hi).unwrap_or_default()
                    } else {
                        &self.v6[..]
                    };
                    let start = part.partition_point(|e| (e.hi, e.lo, e.len) < key);
                    let hits = part.get(start..).unwrap_or_default();
                    for e in hits.iter().take_while(|e| (e.hi, e.lo, e.len) == key) {
                        if e.vrp().is_some_and(|v| f(&v)) {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// The VRPs covering `prefix`.
    pub fn covering(&self, prefix: &Prefix) -> Vec<Vrp> {
        let mut out = Vec::new();
        self.covering_until(prefix, |v| {
            out.push(*v);
            false
        });
        out
    }

    /// Apply the changes of one End of Data. Withdrawals of VRPs not held
    /// and announcements of VRPs held are ignored here: the session
    /// refused them already (RFC 8210 §12 codes 6 and 7).
    pub fn apply(&mut self, delta: Delta) -> Changed {
        let mut changed = Changed {
            reset: delta.reset,
            ..Changed::default()
        };
        let (mut a4, mut a6, mut d4, mut d6) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for v in &delta.announced {
            match &v.prefix {
                Prefix::V4(p) => a4.push(V4::of(p, v.max_len, v.asn)),
                Prefix::V6(p) => a6.push(V6::of(p, v.max_len, v.asn)),
            }
        }
        for v in &delta.withdrawn {
            match &v.prefix {
                Prefix::V4(p) => d4.push(V4::of(p, v.max_len, v.asn)),
                Prefix::V6(p) => d6.push(V6::of(p, v.max_len, v.asn)),
            }
        }
        let new4 = if delta.reset {
            merge(&[], &mut a4, &mut d4)
        } else {
            merge(&self.v4, &mut a4, &mut d4)
        };
        let new6 = if delta.reset {
            merge(&[], &mut a6, &mut d6)
        } else {
            merge(&self.v6, &mut a6, &mut d6)
        };
        sym_diff(&self.v4, &new4, |e| {
            changed.prefixes.extend(e.vrp().map(|v| v.prefix))
        });
        sym_diff(&self.v6, &new6, |e| {
            changed.prefixes.extend(e.vrp().map(|v| v.prefix))
        });
        self.set_v4(new4);
        self.set_v6(new6);
        changed.prefixes.sort_unstable();
        changed.prefixes.dedup();

        // ASPAs: an announcement replaces the customer's list (8210bis
        // §5.12); a reset replaces the whole map.
        let mut new_aspas: FxHashMap<u32, Box<[u32]>> = if delta.reset {
            FxHashMap::default()
        } else {
            std::mem::take(&mut self.aspas)
        };
        let old = if delta.reset {
            std::mem::take(&mut self.aspas)
        } else {
            FxHashMap::default()
        };
        for c in &delta.aspas_withdrawn {
            if new_aspas.remove(c).is_some() {
                changed.customers.push(*c);
            }
        }
        for a in delta.aspas {
            let a = Aspa::new(a.customer, a.providers);
            let p = a.providers.into_boxed_slice();
            if new_aspas.get(&a.customer) != Some(&p) {
                changed.customers.push(a.customer);
            }
            new_aspas.insert(a.customer, p);
        }
        if delta.reset {
            changed.customers.clear();
            for (c, p) in &old {
                if new_aspas.get(c) != Some(p) {
                    changed.customers.push(*c);
                }
            }
            for c in new_aspas.keys() {
                if !old.contains_key(c) {
                    changed.customers.push(*c);
                }
            }
        }
        new_aspas.shrink_to_fit();
        self.aspas = new_aspas;
        changed.customers.sort_unstable();
        changed.customers.dedup();
        changed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn vrp(p: &str, max_len: u8, asn: u32) -> Vrp {
        Vrp {
            prefix: p.parse().unwrap(),
            max_len,
            asn,
        }
    }

    #[test]
    fn length_index_edges() {
        // Lengths at the words' edges and VRPs shorter than the leading
        // part (a /6 spans four first octets, an IPv6 /12 many /16s).
        let t = Table::from_parts(
            [
                vrp("0.0.0.0/0", 32, 1),
                vrp("8.0.0.0/6", 24, 2),
                vrp("10.0.0.0/32", 32, 3),
                vrp("2000::/12", 48, 4),
                vrp("2001:db8::/63", 64, 5),
                vrp("2001:db8::/64", 64, 6),
                vrp("2001:db8::1/128", 128, 7),
            ],
            [],
        );
        let asns = |p: &str| -> Vec<u32> {
            t.covering(&p.parse().unwrap())
                .iter()
                .map(|v| v.asn)
                .collect()
        };
        assert_eq!(asns("11.1.0.0/16"), vec![1, 2]);
        assert_eq!(asns("12.0.0.0/8"), vec![1]);
        assert_eq!(asns("10.0.0.0/32"), vec![1, 2, 3]);
        assert_eq!(asns("2001:db8::1/128"), vec![4, 5, 6, 7]);
        assert_eq!(asns("2001:db8::/64"), vec![4, 5, 6]);
        assert_eq!(asns("2001:db8::/63"), vec![4, 5]);
        assert_eq!(asns("3000::/16"), Vec::<u32>::new());
        let m = LenMask([u64::MAX; 3]);
        assert_eq!(m.up_to(63).last(), Some(63));
        assert_eq!(m.up_to(64).last(), Some(64));
        assert_eq!(m.up_to(128).last(), Some(128));
        assert_eq!(m.up_to(128).count(), 129);
        assert_eq!(LenMask::default().up_to(128).count(), 0);
    }
}
