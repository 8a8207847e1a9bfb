//! The router's RPKI data: VRPs indexed for covering-prefix lookup and
//! ASPAs by customer AS.
//!
//! VRPs are kept per family in one sorted vector of compact entries (12
//! octets for IPv4, 24 for IPv6, against ~40 for a tree node), ordered by
//! (address, length, max length, ASN). The prefixes covering a route are
//! found with one binary search per prefix length that occurs in the
//! table (a bit set of the lengths present skips the others): a route is
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

/// Counts of entries per prefix length, and the set of lengths present.
#[derive(Debug, Clone)]
struct Lengths<const N: usize> {
    count: [u32; N],
}

impl<const N: usize> Default for Lengths<N> {
    fn default() -> Self {
        Lengths { count: [0; N] }
    }
}

impl<const N: usize> Lengths<N> {
    fn add(&mut self, len: u8) {
        if let Some(c) = self.count.get_mut(usize::from(len)) {
            *c = c.saturating_add(1);
        }
    }
    fn present(&self, up_to: u8) -> impl Iterator<Item = u8> + '_ {
        self.count
            .iter()
            .take(usize::from(up_to) + 1)
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(l, _)| l as u8)
    }
    fn rebuild(&mut self, lens: impl Iterator<Item = u8>) {
        self.count = [0; N];
        for l in lens {
            self.add(l);
        }
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
    v4_lens: Lengths<33>,
    v6_lens: Lengths<129>,
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
        self.v4_lens.rebuild(v.iter().map(|e| e.len));
        self.v4 = v;
    }

    fn set_v6(&mut self, mut v: Vec<V6>) {
        v.shrink_to_fit();
        self.v6_lens.rebuild(v.iter().map(|e| e.len));
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
        let vrps = self.v4.capacity() * std::mem::size_of::<V4>()
            + self.v6.capacity() * std::mem::size_of::<V6>();
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
                for l in self.v4_lens.present(p.len()) {
                    let key = (a & mask32(l), l);
                    let start = self.v4.partition_point(|e| (e.addr, e.len) < key);
                    let hits = self.v4.get(start..).unwrap_or_default();
                    for e in hits.iter().take_while(|e| (e.addr, e.len) == key) {
                        if e.vrp().is_some_and(|v| f(&v)) {
                            return true;
                        }
                    }
                }
            }
            Prefix::V6(p) => {
                let a = u128::from(p.addr());
                for l in self.v6_lens.present(p.len()) {
                    let m = a & mask128(l);
                    let key = ((m >> 64) as u64, m as u64, l);
                    let start = self.v6.partition_point(|e| (e.hi, e.lo, e.len) < key);
                    let hits = self.v6.get(start..).unwrap_or_default();
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
