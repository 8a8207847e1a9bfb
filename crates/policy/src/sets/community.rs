//! Community sets of the three kinds (RFC 1997, RFC 8092, RFC 4360): exact
//! values (hashed), per-field wildcards and ranges (`65000:*`,
//! `65000:100-199`, `65000:*:5`), and `/regular expressions/` over the
//! numeric text (`65535:666`, `65000:1:2`) or, for extended communities,
//! over their text form (`rt:65000:100`; `rt:65000:*` is a wildcard).

use std::hash::Hash;

use rbgp_wire::attr::{Community, ExtCommunity, LargeCommunity};
use regex::bytes::{Regex, RegexBuilder};
use rustc_hash::FxHashSet;

/// One community kind.
pub trait Kind: Copy + Eq + Hash + std::fmt::Debug {
    /// Numeric fields for wildcard entries (0: the kind has none).
    const FIELDS: usize;
    fn parse_exact(s: &str) -> Option<Self>;
    fn field(&self, i: usize) -> u32;
    /// The text a `/regex/` entry is matched against.
    fn text(&self) -> String;
    /// The largest value of a field.
    fn field_max(i: usize) -> u32;
}

impl Kind for Community {
    const FIELDS: usize = 2;
    fn parse_exact(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    fn field(&self, i: usize) -> u32 {
        if i == 0 {
            u32::from(self.asn())
        } else {
            u32::from(self.value())
        }
    }
    fn text(&self) -> String {
        format!("{}:{}", self.asn(), self.value())
    }
    fn field_max(_: usize) -> u32 {
        0xffff
    }
}

impl Kind for LargeCommunity {
    const FIELDS: usize = 3;
    fn parse_exact(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    fn field(&self, i: usize) -> u32 {
        match i {
            0 => self.global,
            1 => self.local1,
            _ => self.local2,
        }
    }
    fn text(&self) -> String {
        format!("{}:{}:{}", self.global, self.local1, self.local2)
    }
    fn field_max(_: usize) -> u32 {
        u32::MAX
    }
}

impl Kind for ExtCommunity {
    const FIELDS: usize = 0;
    fn parse_exact(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    fn field(&self, _: usize) -> u32 {
        0
    }
    fn text(&self) -> String {
        self.to_string()
    }
    fn field_max(_: usize) -> u32 {
        0
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Field {
    Any,
    Range(u32, u32),
}

impl Field {
    fn parse(s: &str, max: u32) -> Option<Field> {
        if s == "*" {
            return Some(Field::Any);
        }
        let (a, b) = match s.split_once('-') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => {
                let v = s.parse().ok()?;
                (v, v)
            }
        };
        (a <= b && b <= max).then_some(Field::Range(a, b))
    }

    fn holds(&self, v: u32) -> bool {
        match *self {
            Field::Any => true,
            Field::Range(a, b) => (a..=b).contains(&v),
        }
    }
}

/// One entry of a set.
#[derive(Debug, Clone)]
pub enum Pattern<K> {
    Exact(K),
    Fields(Vec<Field>),
    Text(Regex),
}

impl<K: Kind> Pattern<K> {
    pub fn parse(s: &str) -> Result<Pattern<K>, String> {
        let s = s.trim();
        if s.len() >= 2 && s.starts_with('/') && s.ends_with('/') {
            let body = s.get(1..s.len() - 1).unwrap_or_default();
            return regex(body).map(Pattern::Text);
        }
        if let Some(k) = K::parse_exact(s) {
            return Ok(Pattern::Exact(k));
        }
        if K::FIELDS > 0 {
            let parts: Vec<&str> = s.split(':').collect();
            if parts.len() == K::FIELDS {
                let fields: Option<Vec<Field>> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| Field::parse(p, K::field_max(i)))
                    .collect();
                if let Some(f) = fields {
                    return Ok(Pattern::Fields(f));
                }
            }
        } else if s.contains('*') {
            // A wildcard over the text form: `*` is any number. The text
            // form names route targets `rt:` and origins `soo:`, whatever
            // alias the entry used.
            let s = ["target:", "route-target:"]
                .iter()
                .find_map(|a| s.strip_prefix(a).map(|r| format!("rt:{r}")))
                .or_else(|| {
                    ["origin:", "ro:"]
                        .iter()
                        .find_map(|a| s.strip_prefix(a).map(|r| format!("soo:{r}")))
                })
                .unwrap_or_else(|| s.to_string());
            let glob = regex::escape(&s).replace(r"\*", "[0-9]+");
            return regex(&format!("^{glob}$")).map(Pattern::Text);
        }
        Err(format!(
            "{s:?} is not a value, a wildcard (* or a-b per field) or a /regular expression/"
        ))
    }

    pub fn matches(&self, c: &K) -> bool {
        match self {
            Pattern::Exact(k) => k == c,
            Pattern::Fields(f) => f.iter().enumerate().all(|(i, x)| x.holds(c.field(i))),
            Pattern::Text(r) => r.is_match(c.text().as_bytes()),
        }
    }
}

fn regex(body: &str) -> Result<Regex, String> {
    RegexBuilder::new(body)
        .unicode(false)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| e.to_string())
}

/// A compiled set: exact values hashed, the other entries tried in order.
#[derive(Debug, Clone)]
pub struct CommunitySet<K> {
    exact: FxHashSet<K>,
    others: Vec<Pattern<K>>,
    /// Every entry, for `all_of`.
    entries: Vec<Pattern<K>>,
}

impl<K: Kind> CommunitySet<K> {
    pub fn parse(entries: &[String]) -> Result<CommunitySet<K>, String> {
        let entries: Vec<Pattern<K>> = entries
            .iter()
            .map(|e| Pattern::parse(e))
            .collect::<Result<_, _>>()?;
        Ok(CommunitySet::new(entries))
    }

    pub fn new(entries: Vec<Pattern<K>>) -> CommunitySet<K> {
        let mut exact = FxHashSet::default();
        let mut others = Vec::new();
        for e in &entries {
            match e {
                Pattern::Exact(k) => {
                    exact.insert(*k);
                }
                p => others.push(p.clone()),
            }
        }
        CommunitySet {
            exact,
            others,
            entries,
        }
    }

    /// Some entry matches `c`.
    pub fn matches(&self, c: &K) -> bool {
        self.exact.contains(c) || self.others.iter().any(|p| p.matches(c))
    }

    /// Some community of `list` matches some entry.
    pub fn any_of(&self, list: &[K]) -> bool {
        list.iter().any(|c| self.matches(c))
    }

    /// Every entry matches some community of `list`.
    pub fn all_of(&self, list: &[K]) -> bool {
        self.entries
            .iter()
            .all(|e| list.iter().any(|c| e.matches(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std(v: &[&str]) -> CommunitySet<Community> {
        CommunitySet::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn standard_patterns() {
        let s = std(&[
            "65000:100",
            "no-export",
            "65001:*",
            "65002:100-199",
            "/^65003:1[0-9]$/",
        ]);
        let c = |t: &str| t.parse::<Community>().unwrap();
        for yes in [
            "65000:100",
            "65535:65281",
            "65001:7",
            "65002:150",
            "65003:12",
        ] {
            assert!(s.matches(&c(yes)), "{yes}");
        }
        for no in ["65000:101", "65002:200", "65003:120", "65004:1"] {
            assert!(!s.matches(&c(no)), "{no}");
        }
        assert!(s.any_of(&[c("1:1"), c("65001:9")]));
        assert!(!s.any_of(&[c("1:1")]));
        let both = std(&["65000:*", "65001:1"]);
        assert!(both.all_of(&[c("65000:9"), c("65001:1")]));
        assert!(!both.all_of(&[c("65000:9")]));
        for bad in ["65000", "70000:1", "a:b", "65000:5-1", "/(/"] {
            assert!(
                CommunitySet::<Community>::parse(&[bad.to_string()]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn large_and_extended_patterns() {
        let l: CommunitySet<LargeCommunity> =
            CommunitySet::parse(&["65000:1:2".to_string(), "65001:*:100-200".to_string()]).unwrap();
        let lc = |t: &str| t.parse::<LargeCommunity>().unwrap();
        assert!(l.matches(&lc("65000:1:2")));
        assert!(l.matches(&lc("65001:7:150")));
        assert!(!l.matches(&lc("65001:7:250")));
        let e: CommunitySet<ExtCommunity> = CommunitySet::parse(&[
            "rt:65000:100".to_string(),
            "rt:65001:*".to_string(),
            "target:65002:*".to_string(),
            "/^soo:/".to_string(),
            "/^rt:65009:.*$/".to_string(),
        ])
        .unwrap();
        let ec = |t: &str| t.parse::<ExtCommunity>().unwrap();
        assert!(e.matches(&ec("rt:65000:100")));
        assert!(e.matches(&ec("rt:65001:42")));
        assert!(e.matches(&ec("rt:65002:42")), "target: is rt:");
        assert!(!e.matches(&ec("rt:65003:42")));
        assert!(e.matches(&ec("soo:65009:1")));
        assert!(e.matches(&ec("rt:65009:77")), "`.` in a /regex/");
    }
}
