//! Prefix sets: entries with an optional ge/le length range, compiled into
//! one binary trie per address family, so a lookup walks at most the
//! route's prefix length in nodes whatever the size of the set (a 5,000
//! entry IRR list costs the same as one entry).

use std::net::IpAddr;

use rbgp_wire::Prefix;

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

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node {
    /// Children for a 0 and a 1 bit (`NONE`: absent).
    child: (u32, u32),
    /// Length ranges of the entries ending at this node.
    ranges: Vec<(u8, u8)>,
}

/// A binary trie of one family's entries; addresses left-aligned in a u128.
#[derive(Debug, Clone)]
struct Trie {
    nodes: Vec<Node>,
}

impl Default for Trie {
    fn default() -> Self {
        Trie {
            nodes: vec![Node {
                child: (NONE, NONE),
                ranges: Vec::new(),
            }],
        }
    }
}

fn bit(addr: u128, i: u8) -> bool {
    (addr >> (127 - u32::from(i))) & 1 == 1
}

impl Node {
    fn child(&self, one: bool) -> u32 {
        if one {
            self.child.1
        } else {
            self.child.0
        }
    }

    fn set_child(&mut self, one: bool, id: u32) {
        if one {
            self.child.1 = id;
        } else {
            self.child.0 = id;
        }
    }
}

impl Trie {
    fn insert(&mut self, addr: u128, len: u8, range: (u8, u8)) {
        let mut n = 0usize;
        for i in 0..len {
            let b = bit(addr, i);
            let next = self.nodes.get(n).map_or(NONE, |x| x.child(b));
            n = if next == NONE {
                let id = self.nodes.len();
                self.nodes.push(Node {
                    child: (NONE, NONE),
                    ranges: Vec::new(),
                });
                if let Some(x) = self.nodes.get_mut(n) {
                    x.set_child(b, id as u32);
                }
                id
            } else {
                next as usize
            };
        }
        if let Some(x) = self.nodes.get_mut(n) {
            if !x.ranges.contains(&range) {
                x.ranges.push(range);
            }
        }
    }

    fn matches(&self, addr: u128, len: u8) -> bool {
        let hit = |n: &Node| n.ranges.iter().any(|(g, l)| (*g..=*l).contains(&len));
        let mut n = 0usize;
        let mut i = 0u8;
        loop {
            let Some(node) = self.nodes.get(n) else {
                return false;
            };
            if hit(node) {
                return true;
            }
            if i >= len {
                return false;
            }
            let next = node.child(bit(addr, i));
            if next == NONE {
                return false;
            }
            n = next as usize;
            i += 1;
        }
    }
}

fn key(p: &Prefix) -> u128 {
    match p {
        Prefix::V4(v4) => u128::from(u32::from(v4.addr())) << 96,
        Prefix::V6(v6) => u128::from(v6.addr()),
    }
}

/// A compiled prefix set.
#[derive(Debug, Clone, Default)]
pub struct PrefixSet {
    v4: Trie,
    v6: Trie,
    len: usize,
}

impl PrefixSet {
    pub fn new(entries: &[PrefixEntry]) -> PrefixSet {
        let mut s = PrefixSet::default();
        for e in entries {
            let t = if e.prefix.is_ipv4() {
                &mut s.v4
            } else {
                &mut s.v6
            };
            t.insert(key(&e.prefix), e.prefix.len(), (e.ge, e.le));
        }
        s.len = entries.len();
        s
    }

    pub fn matches(&self, p: &Prefix) -> bool {
        let t = if p.is_ipv4() { &self.v4 } else { &self.v6 };
        t.matches(key(p), p.len())
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
        /// The trie agrees with testing every entry.
        #[test]
        fn trie_equals_linear_scan(
            entries in prop::collection::vec((any_v4_prefix(), 0u8..=32, 0u8..=32), 0..40),
            probes in prop::collection::vec(any_v4_prefix(), 1..40),
        ) {
            // Few distinct top bits so probes fall under entries often.
            let entries: Vec<PrefixEntry> = entries
                .into_iter()
                .map(|(p, a, b)| {
                    let (lo, hi) = (a.min(b).max(p.len()), a.max(b).max(p.len()));
                    PrefixEntry { prefix: p, ge: lo, le: hi }
                })
                .collect();
            let s = PrefixSet::new(&entries);
            for q in probes.iter().chain(entries.iter().map(|e| &e.prefix)) {
                let want = entries.iter().any(|e| e.matches(q));
                prop_assert_eq!(s.matches(q), want, "{}", q);
            }
        }
    }
}
