//! Random but deterministic BGP attribute lists, NLRI and MRT records, as
//! bytes (no types of ours, so rbgp-mrt's own unit tests can use them):
//!
//! - [`formatter`]: mostly the usual forms, with the odd ones (short
//!   values, repeats, odd next hops, SNPAs, AS4_PATH, damaged segments)
//!   mixed in; rbgp-mrt's unit tests hold the bgpdump formatter's direct
//!   paths to its long way with them.
//! - [`bgpdump`]: whole MRT files of what bgpdump 1.6.2 itself prints
//!   (it aborts or prints garbage on some damage); the CLI's tests compare
//!   `rbgp mrt --format bgpdump` with it on them.
//!
//! The same seed gives the same bytes: a failure replays, and the pinned
//! digests below notice a change to what a seed makes.

pub mod bgpdump;
pub mod formatter;

/// xorshift64*: deterministic, so failures replay.
pub struct Gen(pub u64);

impl Gen {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// A number for an AS path or the like: often small, else 16 bits,
    /// or 32 bits when `four`.
    pub fn num(&mut self, four: bool) -> u32 {
        match self.below(4) {
            0 => self.below(10) as u32,
            1 => self.below(65_536) as u32,
            _ if four => self.next_u64() as u32,
            _ => self.below(65_536) as u32,
        }
    }

    /// An AS number: now and then AS_TRANS (23456), else 16 bits, or 32
    /// bits when `four`.
    pub fn asn(&mut self, four: bool) -> u32 {
        match self.below(10) {
            0 => 23456,
            1 => self.below(65536) as u32,
            _ if four => self.next_u64() as u32,
            _ => self.below(65536) as u32,
        }
    }
}

/// Appends one path attribute: extended length when the value needs it,
/// and now and then when it does not (both are valid).
pub fn attr(out: &mut Vec<u8>, g: &mut Gen, flags: u8, code: u8, value: &[u8]) {
    if value.len() > 255 || g.chance(10) {
        out.extend([flags | 0x10, code]);
        out.extend((value.len() as u16).to_be_bytes());
    } else {
        out.extend([flags & !0x10, code, value.len() as u8]);
    }
    out.extend_from_slice(value);
}

/// Appends one prefix: its length in bits, in `odd` percent of cases
/// anything up to 255 (past `max`, the family's longest), then as many
/// octets as the length takes.
pub fn prefix(out: &mut Vec<u8>, g: &mut Gen, max: u64, odd: u64) {
    let len = if g.chance(odd) {
        g.below(256) as u8
    } else {
        g.below(max + 1) as u8
    };
    out.push(len);
    let n = usize::from(len).div_ceil(8);
    out.extend(g.bytes(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a over each part's length and bytes.
    struct Digest(u64);

    impl Digest {
        fn new() -> Digest {
            Digest(0xcbf2_9ce4_8422_2325)
        }

        fn feed(&mut self, b: &[u8]) {
            for x in (b.len() as u64).to_be_bytes().iter().chain(b) {
                self.0 ^= u64::from(*x);
                self.0 = self.0.wrapping_mul(0x100_0000_01b3);
            }
        }
    }

    // The digests were taken from the generators as they stood in
    // rbgp-mrt's and rbgp-cli's tests before they moved here: the tests
    // that use them still see the same inputs, seed for seed.

    #[test]
    fn formatter_bytes_are_pinned() {
        let mut d = Digest::new();
        let mut g = Gen(7);
        for _ in 0..2000 {
            let four = g.chance(50);
            let addpath = g.chance(20);
            let v6 = g.chance(30);
            d.feed(&formatter::attributes(&mut g, four, addpath));
            let n = g.below(5);
            d.feed(&formatter::nlri(&mut g, v6, addpath, n));
        }
        assert_eq!(d.0, 0x13b4_2196_b14b_00b1);
    }

    #[test]
    fn bgpdump_files_are_pinned() {
        let mut d = Digest::new();
        for seed in 1..=100u64 {
            d.feed(&bgpdump::file(seed * 0x9E37_79B9));
        }
        assert_eq!(d.0, 0x6855_9864_05cc_1750);
    }
}
