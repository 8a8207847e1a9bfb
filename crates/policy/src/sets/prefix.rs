//! Prefix sets: entries with an optional ge/le length range, compiled per
//! address family into groups by entry length: a lookup is one hash probe
//! per distinct entry length up to the route's (IRR lists have a handful),
//! small sets a linear scan; an entry costs around ten bytes.

use std::net::IpAddr;

use rbgp_wire::Prefix;
use rustc_hash::FxHashMap;

/// One entry: prefixes under `prefix` whose length is in `ge..=le`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixEntry {
    pub prefix: Prefix,
    pub ge: u8,
    pub le: u8,
}

impl PrefixEntry {
    /// `"10.0.0.0/8"`, `"10.0.0.0/8 le 24"`, `"10.0.0.0/8 ge 16"`,
    /// `"2001:db8::/32 ge 40 le 48"`. Without ge/le the entry matches the
    /// prefix exactly; `le` alone means `ge` = the entry's length; `ge`
    /// alone means `le` = the family's maximum.
    pub fn parse(s: &str) -> Result<PrefixEntry, String> {
        let mut words = s.split_whitespace();
        let p: Prefix = words
            .next()
            .ok_or("empty entry")?
            .parse()
            .map_err(|e: rbgp_wire::ParseError| e.to_string())?;
        let max = if p.is_ipv4() { 32 } else { 128 };
        let (mut ge, mut le) = (None, None);
        while let Some(w) = words.next() {
            let n: u8 = words
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("{w:?} needs a length"))?;
            match w {
                "ge" if ge.is_none() => ge = Some(n),
                "le" if le.is_none() => le = Some(n),
                _ => return Err(format!("unexpected {w:?} (expected ge N and/or le N)")),
            }
        }
        let (ge, le) = match (ge, le) {
            (None, None) => (p.len(), p.len()),
            (Some(g), None) => (g, max),
            (None, Some(l)) => (p.len(), l),
            (Some(g), Some(l)) => (g, l),
        };
        if ge < p.len() || le < ge || le > max {
            return Err(format!(
                "lengths must satisfy {} <= ge <= le <= {max} (got ge {ge}, le {le})",
                p.len()
            ));
        }
        Ok(PrefixEntry { prefix: p, ge, le })
    }

    /// An address set entry: the address or prefix and everything in it.
    pub fn parse_address(s: &str) -> Result<PrefixEntry, String> {
        let s = s.trim();
        let p: Prefix = if s.contains('/') {
            s.parse()
                .map_err(|e: rbgp_wire::ParseError| e.to_string())?
        } else {
            let a: IpAddr = s
                .parse()
                .map_err(|_| format!("{s:?} is not an address or prefix"))?;
            host(a)
        };
        let max = if p.is_ipv4() { 32 } else { 128 };
        Ok(PrefixEntry {
            prefix: p,
            ge: p.len(),
            le: max,
        })
    }

    /// Whether `p` matches (the reference: no trie).
    pub fn matches(&self, p: &Prefix) -> bool {
        self.prefix.contains(p) && (self.ge..=self.le).contains(&p.len())
    }
}

/// The host prefix of an address.
pub fn host(a: IpAddr) -> Prefix {
    let len = if a.is_ipv4() { 32 } else { 128 };
    // The full length always fits its family.
    Prefix::new(a, len).unwrap_or(Prefix::V4(rbgp_wire::Ipv4Prefix::default()))
}

/// One family's entries, grouped by prefix length (shortest first), each
/// group a hash of masked addresses: a lookup masks the route's address to
/// each entry length up to its own and probes that group. Around ten bytes
/// an entry (a 2,000-prefix IRR list per route-server client, hundreds of
/// clients), where a bit-per-level trie took hundreds.
#[derive(Debug, Clone)]
struct Family<A> {
    groups: Vec<Group<A>>,
    /// Per value of the address's first octet, the entry lengths present
    /// there (bit L: some entry of length L covers that octet): a lookup
    /// probes only those lengths, one or two for an IRR list.
    slots: Vec<u128>,
    /// Sets of at most [`SMALL`] entries (bogon lists) are scanned
    /// instead: (length, entry), one pass without hashing.
    small: Vec<(u8, Entry<A>)>,
}

/// Entries up to which a linear scan beats a probe per length.
const SMALL: usize = 32;

impl<A> Default for Family<A> {
    fn default() -> Self {
        Family {
            groups: Vec::new(),
            slots: Vec::new(),
            small: Vec::new(),
        }
    }
}

/// The entries of one prefix length.
#[derive(Debug, Clone)]
struct Group<A> {
    len: u8,
    /// Masked address -> the length range of its first entry.
    first: FxHashMap<A, (u8, u8)>,
    /// Further ranges of addresses already in `first` (rare: the same
    /// prefix listed with several ranges), sorted by address.
    more: Vec<Entry<A>>,
}

/// A masked address and the length range it admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry<A> {
    addr: A,
    ge: u8,
    le: u8,
}

/// An address type of a family: masking to a prefix length.
trait Addr: Copy + Ord + std::hash::Hash {
    fn masked(self, len: u8) -> Self;
    /// The first octet.
    fn top(self) -> usize;
}

impl Addr for u32 {
    fn masked(self, len: u8) -> u32 {
        match u32::MAX.checked_shl(32 - u32::from(len.min(32))) {
            Some(m) => self & m,
            None => 0,
        }
    }

    fn top(self) -> usize {
        (self >> 24) as usize
    }
}

impl Addr for u128 {
    fn masked(self, len: u8) -> u128 {
        match u128::MAX.checked_shl(128 - u32::from(len.min(128))) {
            Some(m) => self & m,
            None => 0,
        }
    }

    fn top(self) -> usize {
        (self >> 120) as usize
    }
}

impl<A: Addr> Family<A> {
    fn build(mut entries: Vec<(u8, Entry<A>)>) -> Family<A> {
        entries.sort_unstable();
        entries.dedup();
        if entries.len() <= SMALL {
            return Family {
                groups: Vec::new(),
                slots: Vec::new(),
                small: entries,
            };
        }
        let mut slots = vec![0u128; 256];
        let mut groups: Vec<Group<A>> = Vec::new();
        for (len, e) in entries {
            // An entry shorter than an octet covers 2^(8-len) first octets.
            let first = e.addr.top();
            let span = 1usize << (8 - len.min(8));
            for slot in slots.iter_mut().skip(first).take(span) {
                *slot |= 1u128 << len.min(127);
            }
            let g = match groups.last_mut() {
                Some(g) if g.len == len => g,
                _ => {
                    groups.push(Group {
                        len,
                        first: FxHashMap::default(),
                        more: Vec::new(),
                    });
                    match groups.last_mut() {
                        Some(g) => g,
                        None => continue,
                    }
                }
            };
            match g.first.entry(e.addr) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((e.ge, e.le));
                }
                std::collections::hash_map::Entry::Occupied(_) => g.more.push(e),
            }
        }
        for g in &mut groups {
            g.first.shrink_to_fit();
            g.more.shrink_to_fit();
        }
        Family {
            groups,
            slots,
            small: Vec::new(),
        }
    }

    fn matches(&self, addr: A, len: u8) -> bool {
        if self
            .small
            .iter()
            .any(|(l, e)| *l <= len && e.ge <= len && len <= e.le && addr.masked(*l) == e.addr)
        {
            return true;
        }
        let lens = self.slots.get(addr.top()).copied().unwrap_or(0);
        if lens == 0 {
            return false;
        }
        for g in &self.groups {
            if g.len > len {
                break;
            }
            if lens & (1u128 << g.len.min(127)) == 0 {
                continue;
            }
            let key = addr.masked(g.len);
            let Some((ge, le)) = g.first.get(&key) else {
                continue;
            };
            if *ge <= len && len <= *le {
                return true;
            }
            let from = g.more.partition_point(|e| e.addr < key);
            let hit = g
                .more
                .get(from..)
                .unwrap_or_default()
                .iter()
                .take_while(|e| e.addr == key)
                .any(|e| e.ge <= len && len <= e.le);
            if hit {
                return true;
            }
        }
        false
    }
}

/// A compiled prefix set.
#[derive(Debug, Clone, Default)]
pub struct PrefixSet {
    v4: Family<u32>,
    v6: Family<u128>,
    len: usize,
}

impl PrefixSet {
    pub fn new(entries: &[PrefixEntry]) -> PrefixSet {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for e in entries {
            let (ge, le) = (e.ge, e.le);
            match e.prefix {
                Prefix::V4(p) => {
                    let addr = u32::from(p.addr()).masked(p.len());
                    v4.push((p.len(), Entry { addr, ge, le }));
                }
                Prefix::V6(p) => {
                    let addr = u128::from(p.addr()).masked(p.len());
                    v6.push((p.len(), Entry { addr, ge, le }));
                }
            }
        }
        PrefixSet {
            v4: Family::build(v4),
            v6: Family::build(v6),
            len: entries.len(),
        }
    }

    pub fn matches(&self, p: &Prefix) -> bool {
        match p {
            Prefix::V4(q) => self.v4.matches(u32::from(q.addr()), q.len()),
            Prefix::V6(q) => self.v6.matches(u128::from(q.addr()), q.len()),
        }
    }

    pub fn contains_addr(&self, a: IpAddr) -> bool {
        self.matches(&host(a))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }

    #[test]
    fn entries_parse_with_ranges() {
        let e = PrefixEntry::parse("10.0.0.0/8").unwrap();
        assert_eq!((e.ge, e.le), (8, 8));
        let e = PrefixEntry::parse("10.0.0.0/8 le 24").unwrap();
        assert_eq!((e.ge, e.le), (8, 24));
        let e = PrefixEntry::parse("10.0.0.0/8 ge 16").unwrap();
        assert_eq!((e.ge, e.le), (16, 32));
        let e = PrefixEntry::parse("2001:db8::/32 ge 40 le 48").unwrap();
        assert_eq!((e.ge, e.le), (40, 48));
        for bad in [
            "",
            "10.0.0.0/8 le",
            "10.0.0.0/8 le 33",
            "10.0.0.0/16 ge 8",
            "10.0.0.0/8 ge 24 le 16",
            "10.0.0.0/8 lt 9",
            "10.0.0.0/8 le 24 le 25",
            "nonsense",
        ] {
            assert!(PrefixEntry::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn exact_and_ranged_matching() {
        let s = PrefixSet::new(&[
            PrefixEntry::parse("10.0.0.0/8 le 24").unwrap(),
            PrefixEntry::parse("192.0.2.0/24").unwrap(),
            PrefixEntry::parse("0.0.0.0/0").unwrap(),
            PrefixEntry::parse("2001:db8::/32 ge 48 le 48").unwrap(),
        ]);
        assert!(s.matches(&p("10.0.0.0/8")));
        assert!(s.matches(&p("10.20.30.0/24")));
        assert!(!s.matches(&p("10.20.30.0/25")));
        assert!(s.matches(&p("192.0.2.0/24")));
        assert!(!s.matches(&p("192.0.2.0/25")));
        assert!(!s.matches(&p("192.0.0.0/16")));
        assert!(s.matches(&p("0.0.0.0/0")), "default route entry");
        assert!(!s.matches(&p("11.0.0.0/8")));
        assert!(s.matches(&p("2001:db8:1::/48")));
        assert!(!s.matches(&p("2001:db8::/32")));
        assert!(!s.matches(&p("::/0")), "families apart");
    }

    #[test]
    fn large_ipv6_sets() {
        let mut entries: Vec<PrefixEntry> = (0..40u32)
            .map(|i| PrefixEntry::parse(&format!("2001:db8:{i:x}::/48")).unwrap())
            .collect();
        entries.push(PrefixEntry::parse("2a00::/12 le 48").unwrap());
        entries.push(PrefixEntry::parse("::/0").unwrap());
        let s = PrefixSet::new(&entries);
        assert!(s.matches(&p("2001:db8:27::/48")));
        assert!(!s.matches(&p("2001:db8:28::/48")));
        assert!(!s.matches(&p("2001:db8:27::/49")));
        assert!(s.matches(&p("2a0f:1::/32")));
        assert!(!s.matches(&p("2a0f:1::/56")));
        assert!(s.matches(&p("::/0")));
        assert!(!s.matches(&p("3000::/8")));
    }

    #[test]
    fn address_sets() {
        let s = PrefixSet::new(&[
            PrefixEntry::parse_address("192.0.2.1").unwrap(),
            PrefixEntry::parse_address("10.0.0.0/8").unwrap(),
            PrefixEntry::parse_address("2001:db8::1").unwrap(),
        ]);
        assert!(s.contains_addr("192.0.2.1".parse().unwrap()));
        assert!(!s.contains_addr("192.0.2.2".parse().unwrap()));
        assert!(s.contains_addr("10.9.9.9".parse().unwrap()));
        assert!(s.contains_addr("2001:db8::1".parse().unwrap()));
        assert!(PrefixEntry::parse_address("not an address").is_err());
    }

    fn any_v4_prefix() -> impl Strategy<Value = Prefix> {
        (any::<u32>(), 0u8..=32)
            .prop_map(|(a, l)| Prefix::V4(rbgp_wire::Ipv4Prefix::new(a.into(), l).unwrap()))
    }

    proptest! {
        /// The compiled set agrees with testing every entry.
        #[test]
        fn compiled_equals_linear_scan(
            entries in prop::collection::vec((any_v4_prefix(), 0u8..=32, 0u8..=32), 0..80),
            probes in prop::collection::vec(any_v4_prefix(), 1..40),
        ) {
            // Up to 80 entries: small sets are scanned, larger ones hashed
            // per length; both must agree with the scan of every entry.
            let entries: Vec<PrefixEntry> = entries
                .into_iter()
                .map(|(p, a, b)| {
                    let (lo, hi) = (a.min(b).max(p.len()), a.max(b).max(p.len()));
                    PrefixEntry { prefix: p, ge: lo, le: hi }
                })
                .collect();
            let s = PrefixSet::new(&entries);
            // Probes under the entries too: each entry's prefix made
            // longer by the probe's bits.
            let under: Vec<Prefix> = entries
                .iter()
                .zip(probes.iter().cycle())
                .filter_map(|(e, q)| {
                    let (Prefix::V4(e4), Prefix::V4(q4)) = (e.prefix, *q) else {
                        return None;
                    };
                    let len = e4.len().max(q4.len());
                    let keep = u32::from(e4.addr()).masked(e4.len());
                    let rest = u32::from(q4.addr()) & !u32::MAX.checked_shl(32 - u32::from(e4.len())).unwrap_or(0);
                    rbgp_wire::Ipv4Prefix::new((keep | rest).into(), len).map(Prefix::V4)
                })
                .collect();
            for q in probes.iter().chain(entries.iter().map(|e| &e.prefix)).chain(&under) {
                let want = entries.iter().any(|e| e.matches(q));
                prop_assert_eq!(s.matches(q), want, "{}", q);
            }
        }
    }
}
