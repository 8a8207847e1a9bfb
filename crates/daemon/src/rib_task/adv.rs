//! Which NLRIs a peer currently has from us, on families without ADD-PATH
//! send: presence only (the attributes are recomputed from the Loc-RIB when
//! needed), with IPv4 unicast prefixes packed in a `u64`, so a full table
//! costs about 10 bytes per route per peer instead of a map of NLRIs and
//! attribute pointers.

use std::net::Ipv4Addr;

use rbgp_wire::{AfiSafi, Ipv4Prefix, Nlri, Prefix};
use rustc_hash::{FxHashMap, FxHashSet};

#[derive(Debug, Default)]
pub struct Advertised {
    v4: FxHashSet<u64>,
    other: FxHashSet<(AfiSafi, Nlri)>,
}

fn v4_key(family: AfiSafi, nlri: &Nlri) -> Option<u64> {
    match nlri {
        Nlri::Prefix(Prefix::V4(p)) if family == AfiSafi::IPV4_UNICAST => {
            Some((u64::from(u32::from(p.addr())) << 8) | u64::from(p.len()))
        }
        _ => None,
    }
}

fn v4_nlri(key: u64) -> Option<Nlri> {
    let addr = Ipv4Addr::from(u32::try_from(key >> 8).ok()?);
    let len = u8::try_from(key & 0xff).ok()?;
    Ipv4Prefix::new(addr, len).map(|p| Nlri::Prefix(Prefix::V4(p)))
}

impl Advertised {
    /// Record an announcement; true if the peer did not have it.
    pub fn insert(&mut self, family: AfiSafi, nlri: &Nlri) -> bool {
        match v4_key(family, nlri) {
            Some(k) => self.v4.insert(k),
            None => self.other.insert((family, nlri.clone())),
        }
    }

    /// Record a withdrawal; true if the peer had it.
    pub fn remove(&mut self, family: AfiSafi, nlri: &Nlri) -> bool {
        match v4_key(family, nlri) {
            Some(k) => self.v4.remove(&k),
            // The owned key is only built for the rare non-IPv4 families.
            None => self.other.remove(&(family, nlri.clone())),
        }
    }

    pub fn counts(&self) -> FxHashMap<AfiSafi, u64> {
        let mut m: FxHashMap<AfiSafi, u64> = FxHashMap::default();
        if !self.v4.is_empty() {
            m.insert(AfiSafi::IPV4_UNICAST, self.v4.len() as u64);
        }
        for (f, _) in &self.other {
            *m.entry(*f).or_default() += 1;
        }
        m
    }

    /// Every advertised (family, NLRI) of `family`, or of all families.
    pub fn iter(&self, family: Option<AfiSafi>) -> impl Iterator<Item = (AfiSafi, Nlri)> + '_ {
        let v4 = family
            .is_none_or(|f| f == AfiSafi::IPV4_UNICAST)
            .then_some(&self.v4)
            .into_iter()
            .flatten()
            .filter_map(|k| v4_nlri(*k).map(|n| (AfiSafi::IPV4_UNICAST, n)));
        let other = self
            .other
            .iter()
            .filter(move |(f, _)| family.is_none_or(|w| w == *f))
            .cloned();
        v4.chain(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_keys_round_trip_and_other_families_work() {
        let mut a = Advertised::default();
        let p: Nlri = Nlri::Prefix("203.0.113.0/24".parse().unwrap());
        let q: Nlri = Nlri::Prefix("203.0.113.0/25".parse().unwrap());
        let v6: Nlri = Nlri::Prefix("2001:db8::/32".parse().unwrap());
        assert!(a.insert(AfiSafi::IPV4_UNICAST, &p));
        assert!(!a.insert(AfiSafi::IPV4_UNICAST, &p));
        assert!(a.insert(AfiSafi::IPV4_UNICAST, &q));
        assert!(a.insert(AfiSafi::IPV6_UNICAST, &v6));
        // The same prefix as multicast is another NLRI.
        assert!(a.insert(AfiSafi::IPV4_MULTICAST, &p));
        let mut all: Vec<String> = a.iter(None).map(|(f, n)| format!("{f} {n}")).collect();
        all.sort();
        assert_eq!(
            all,
            [
                "ipv4_multicast 203.0.113.0/24",
                "ipv4_unicast 203.0.113.0/24",
                "ipv4_unicast 203.0.113.0/25",
                "ipv6_unicast 2001:db8::/32"
            ]
        );
        assert_eq!(a.counts().get(&AfiSafi::IPV4_UNICAST), Some(&2));
        assert!(a.remove(AfiSafi::IPV4_UNICAST, &p));
        assert!(!a.remove(AfiSafi::IPV4_UNICAST, &p));
        assert_eq!(a.iter(Some(AfiSafi::IPV6_UNICAST)).count(), 1);
    }
}
