//! The text of recurring IPv6 prefixes (`addr/len`).
//!
//! An update file names the same IPv6 prefixes over and over (one event
//! is announced by every peer; RIPE RIS updates of 2016: 93 distinct
//! prefixes in 6 546 lines), and IPv6 text is the dearest part of a
//! line: a kept text is copied instead (about a tenth of the cost).
//! IPv4 prefixes are cheap enough to write each time.

use super::hash::slot_of;
use super::text::{push_slash_len, push_v6, push_v6_std};

/// Slots in the direct-mapped table (a power of two): 64 KiB.
const SLOTS: usize = 1024;
/// Text kept per slot: the longest IPv6 prefix is 43 octets
/// (`ffff:...:ffff/128`).
const TEXT: usize = 47;

#[derive(Clone, Copy)]
struct Slot {
    addr: u128,
    /// The prefix length plus one (0: empty).
    len: u8,
    n: u8,
    text: [u8; TEXT],
}

const EMPTY: Slot = Slot {
    addr: 0,
    len: 0,
    n: 0,
    text: [0; TEXT],
};

pub(crate) struct PrefixTexts {
    slots: Vec<Slot>,
    /// Addresses as Rust prints them (RFC 5952), not as bgpdump does.
    std: bool,
}

impl Default for PrefixTexts {
    fn default() -> Self {
        PrefixTexts::new(false)
    }
}

impl PrefixTexts {
    /// Addresses as Rust's `Ipv6Addr` prints them if `std`, else as
    /// bgpdump does.
    pub(super) fn new(std: bool) -> Self {
        PrefixTexts {
            slots: vec![EMPTY; SLOTS],
            std,
        }
    }

    /// Append `addr/len`.
    #[inline]
    pub(super) fn push(&mut self, out: &mut Vec<u8>, addr: &[u8; 16], len: u8) {
        let std = self.std;
        let a = u128::from_be_bytes(*addr);
        let i = slot_of(
            (a >> 64) as u64 ^ a as u64 ^ u64::from(len),
            SLOTS.trailing_zeros(),
        );
        let Some(s) = self.slots.get_mut(i) else {
            return push_text(out, addr, len, std);
        };
        if s.addr != a || s.len != len.wrapping_add(1) {
            let at = out.len();
            push_text(out, addr, len, std);
            let text = out.get(at..).unwrap_or_default();
            match s.text.get_mut(..text.len()) {
                Some(t) => t.copy_from_slice(text),
                None => return,
            }
            (s.addr, s.len, s.n) = (a, len.wrapping_add(1), text.len() as u8);
            return;
        }
        out.extend_from_slice(s.text.get(..usize::from(s.n)).unwrap_or_default());
    }
}

fn push_text(out: &mut Vec<u8>, addr: &[u8; 16], len: u8, std: bool) {
    if std {
        push_v6_std(out, addr);
    } else {
        push_v6(out, addr);
    }
    push_slash_len(out, len);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn each_prefix_its_own_text() {
        let mut t = PrefixTexts::default();
        let mut addr = [0u8; 16];
        for round in 0..2 {
            for i in 0..3000u32 {
                addr[..4].copy_from_slice(&(0x2001_0000 | (i * 7)).to_be_bytes());
                for len in [32u8, 48, 128] {
                    let mut want = b"x".to_vec();
                    push_text(&mut want, &addr, len, false);
                    let mut got = b"x".to_vec();
                    t.push(&mut got, &addr, len);
                    assert_eq!(got, want, "{round} {i} {len}");
                }
            }
        }
        // The same address under another length, and the longest text.
        let full = [0xffu8; 16];
        for len in [0u8, 128, 255] {
            let mut got = Vec::new();
            t.push(&mut got, &full, len);
            t.push(&mut got, &full, len);
            let mut want = Vec::new();
            push_text(&mut want, &full, len, false);
            push_text(&mut want, &full, len, false);
            assert_eq!(got, want);
        }
    }
}
