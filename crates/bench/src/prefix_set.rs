//! A set of IPv4 prefixes: a bitmap for lengths up to /24 (every such
//! prefix has its own bit, 4 MiB in all), a hash set for longer ones.
//! Insert and remove are a few instructions, so counting millions of
//! received prefixes never makes the monitor the bottleneck.

use rustc_hash::FxHashSet;

const BITMAP_MAX_LEN: u8 = 24;

#[derive(Default)]
pub struct PrefixSet {
    bits: Vec<u64>,
    long: FxHashSet<(u32, u8)>,
    len: usize,
}

/// `1 << len | network bits`: distinct for every (network, len <= 24).
fn index(addr: u32, len: u8) -> usize {
    let net = u64::from(addr) >> (32 - u32::from(len));
    ((1u64 << len) | net) as usize
}

impl PrefixSet {
    pub fn new() -> Self {
        PrefixSet {
            bits: vec![0; (1usize << (BITMAP_MAX_LEN + 1)) / 64],
            ..PrefixSet::default()
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The bitmap word and bit of `addr/len` (len <= 24).
    fn bit(&mut self, addr: u32, len: u8) -> Option<(&mut u64, u64)> {
        let i = index(addr, len);
        self.bits.get_mut(i / 64).map(|w| (w, 1u64 << (i % 64)))
    }

    /// Add `addr/len` (host bits already clear); false if it was there.
    pub fn insert(&mut self, addr: u32, len: u8) -> bool {
        let added = if len <= BITMAP_MAX_LEN {
            self.bit(addr, len).is_some_and(|(w, m)| {
                let new = *w & m == 0;
                *w |= m;
                new
            })
        } else {
            self.long.insert((addr, len))
        };
        self.len += usize::from(added);
        added
    }

    /// Remove `addr/len`; false if it was not there.
    pub fn remove(&mut self, addr: u32, len: u8) -> bool {
        let removed = if len <= BITMAP_MAX_LEN {
            self.bit(addr, len).is_some_and(|(w, m)| {
                let had = *w & m != 0;
                *w &= !m;
                had
            })
        } else {
            self.long.remove(&(addr, len))
        };
        self.len -= usize::from(removed);
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_do_not_collide() {
        let mut s = PrefixSet::new();
        assert!(s.insert(0x0a00_0000, 8));
        assert!(s.insert(0x0a00_0000, 16));
        assert!(s.insert(0x0a00_0000, 24));
        assert!(s.insert(0x0a00_0000, 32));
        assert!(s.insert(0, 0));
        assert!(!s.insert(0x0a00_0000, 16));
        assert_eq!(s.len(), 5);
        assert!(s.remove(0x0a00_0000, 16));
        assert!(!s.remove(0x0a00_0000, 16));
        assert!(s.remove(0x0a00_0000, 32));
        assert!(s.insert(0xffff_ff00, 24));
        assert_eq!(s.len(), 4);
    }
}
