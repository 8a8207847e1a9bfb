//! The text of single numbers that recur across AS paths and community
//! lists: an ASN, or a community as `hi:lo`.
//!
//! Paths and lists that miss the value caches are new combinations of
//! old numbers (the same few thousand ASNs and communities make up nearly
//! all of them), so each number is written once and its text kept in a
//! 16-octet slot: a hit is one load, one compare and one store instead
//! of the decimal conversion (callgrind on RIPE RIS updates: about a
//! fifth of the cost of a path or list miss).

use super::hash::slot_of;
use super::text::dec5;

/// Slots in the direct-mapped table (a power of two): 128 KiB.
const BITS: u32 = 13;

/// A slot: the text in the low 11 octets (first character lowest), its
/// length in octet 11 (0: empty; empty slots are 1, not 0, see
/// [`super::text_cache`] on why the tables are written at the start),
/// the number in octets 12-15. A hit is stored whole: the octets past
/// the text are overwritten by what follows (see [`super::text::Cursor`]).
type Slot = u128;

pub(crate) struct NumTexts {
    slots: Vec<Slot>,
}

impl Default for NumTexts {
    fn default() -> Self {
        NumTexts {
            slots: vec![1; 1 << BITS],
        }
    }
}

impl NumTexts {
    /// The text of `key` (as `make` writes it: at most 11 octets, in the
    /// low octets of the word) and its length, in the low octets of a
    /// word that may hold more past them.
    #[inline]
    pub(super) fn get(
        &mut self,
        key: u32,
        make: impl FnOnce(u32) -> (u128, usize),
    ) -> (u128, usize) {
        let i = slot_of(u64::from(key), BITS);
        let Some(s) = self.slots.get_mut(i) else {
            return make(key);
        };
        let e = *s;
        let n = (e >> 88) as u8;
        if (e >> 96) as u32 == key && n != 0 {
            return (e, usize::from(n));
        }
        let (text, n) = make(key);
        *s = text & (u128::MAX >> 40) | (n as u128) << 88 | u128::from(key) << 96;
        (text, n)
    }
}

/// A community (not one of the named ones) as `hi:lo`, for
/// [`NumTexts::get`].
#[inline]
pub(super) fn hi_lo_text(v: u32) -> (u128, usize) {
    let (a, na) = dec5(v >> 16);
    let (b, nb) = dec5(v & 0xffff);
    let w = u128::from(a) | u128::from(b':') << (8 * na) | u128::from(b) << (8 * (na + 1));
    (w, na + nb + 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::super::text::dec_text;
    use super::*;

    fn text((w, n): (u128, usize)) -> String {
        String::from_utf8(w.to_le_bytes()[..n].to_vec()).unwrap()
    }

    #[test]
    fn numbers_and_communities_as_text() {
        for v in [
            0u32,
            9,
            10,
            99_999,
            100_000,
            4_200_000_000,
            u32::MAX,
            12_345_678,
            123_456_789,
        ] {
            assert_eq!(text(dec_text(v)), v.to_string());
        }
        assert_eq!(text(hi_lo_text(0)), "0:0");
        assert_eq!(text(hi_lo_text(0xFFFF_FFFF)), "65535:65535");
        assert_eq!(text(hi_lo_text(3356 << 16 | 2)), "3356:2");
    }

    /// A kept text is the one made for the same number only; numbers that
    /// share a slot replace each other.
    #[test]
    fn kept_per_number() {
        let mut t = NumTexts::default();
        let made = std::cell::Cell::new(0);
        let mut get = |v: u32| {
            text(t.get(v, |v| {
                made.set(made.get() + 1);
                dec_text(v)
            }))
        };
        for v in [3356, 0, u32::MAX] {
            assert_eq!(get(v), v.to_string());
            assert_eq!(get(v), v.to_string());
        }
        assert_eq!(made.get(), 3, "each made once");
        // Every number, many sharing slots, still gets its own text.
        for v in (0..2_000_000u32).step_by(997) {
            assert_eq!(get(v), v.to_string());
            assert_eq!(get(v), v.to_string());
        }
    }
}
