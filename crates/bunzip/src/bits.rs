//! The bit reader: bzip2 packs everything most significant bit first, with
//! no byte alignment between blocks (only between streams).

use std::io::Read;

use crate::error::Fault;

/// Bytes read from the source at a time.
const CHUNK: usize = 1 << 16;

/// Bits from a byte source. `acc` holds the next `n` bits left-aligned;
/// the bits below them are either zero or the stream's following bits
/// (refills OR whole words in, and OR-ing the same bits twice is harmless).
pub(crate) struct Bits<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    acc: u64,
    n: u32,
}

impl<R: Read> Bits<R> {
    pub(crate) fn new(src: R) -> Self {
        Bits {
            src,
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            eof: false,
            acc: 0,
            n: 0,
        }
    }

    /// At least `k` (at most 56) bits available, or `Truncated`.
    #[inline(always)]
    pub(crate) fn need(&mut self, k: u32) -> Result<(), Fault> {
        if self.n < k {
            self.refill()?;
            if self.n < k {
                return Err(Fault::Truncated);
            }
        }
        Ok(())
    }

    /// The next `k` (1..=32) bits without consuming them; valid after
    /// `need(k)`.
    #[inline(always)]
    pub(crate) fn peek(&self, k: u32) -> u32 {
        (self.acc >> (64 - k)) as u32
    }

    /// Drop `k` bits (no more than are available).
    #[inline(always)]
    pub(crate) fn consume(&mut self, k: u32) {
        let k = k.min(self.n);
        self.acc = self.acc.checked_shl(k).unwrap_or(0);
        self.n -= k;
    }

    /// Read `k` (1..=32) bits.
    #[inline(always)]
    pub(crate) fn get(&mut self, k: u32) -> Result<u32, Fault> {
        self.need(k)?;
        let v = self.peek(k);
        self.consume(k);
        Ok(v)
    }

    #[inline(always)]
    pub(crate) fn bit(&mut self) -> Result<bool, Fault> {
        Ok(self.get(1)? == 1)
    }

    /// The accumulator and its bit count, for a hot loop to keep in
    /// registers (with [`Bits::refill_parts`]) and hand back with
    /// [`Bits::put`].
    #[inline(always)]
    pub(crate) fn take(&self) -> (u64, u32) {
        (self.acc, self.n)
    }

    #[inline(always)]
    pub(crate) fn put(&mut self, acc: u64, n: u32) {
        self.acc = acc;
        self.n = n;
    }

    /// [`Bits::refill`] on an accumulator held outside.
    #[inline(always)]
    pub(crate) fn refill_parts(&mut self, acc: &mut u64, n: &mut u32) -> Result<(), Fault> {
        if let Some(w) = self
            .buf
            .get(self.pos..self.end)
            .and_then(|b| b.first_chunk::<8>())
        {
            *acc |= u64::from_be_bytes(*w) >> *n;
            let take = (63 - *n) / 8;
            self.pos += take as usize;
            *n += take * 8;
            return Ok(());
        }
        self.put(*acc, *n);
        self.refill_slow()?;
        (*acc, *n) = self.take();
        Ok(())
    }

    /// Skip to the next byte boundary (streams start on one).
    pub(crate) fn align(&mut self) {
        self.consume(self.n % 8);
    }

    /// True when no bit is left in the input.
    pub(crate) fn at_end(&mut self) -> Result<bool, Fault> {
        if self.n == 0 {
            self.refill()?;
        }
        Ok(self.n == 0)
    }

    /// Fill `acc` to at least 56 bits, or to the end of the input.
    #[inline]
    pub(crate) fn refill(&mut self) -> Result<(), Fault> {
        let (mut acc, mut n) = self.take();
        self.refill_parts(&mut acc, &mut n)?;
        self.put(acc, n);
        Ok(())
    }

    #[cold]
    fn refill_slow(&mut self) -> Result<(), Fault> {
        while self.n <= 56 {
            if self.pos >= self.end && !self.read_more()? {
                return Ok(());
            }
            let Some(&b) = self.buf.get(self.pos) else {
                return Ok(());
            };
            self.pos += 1;
            // Clear below before OR-ing a lone byte in: the bits there may
            // be a word refill's look-ahead, which is the same data, but a
            // lone byte must not meet stale ones.
            self.acc &= !(u64::MAX.checked_shr(self.n).unwrap_or(0));
            self.acc |= u64::from(b) << (56 - self.n);
            self.n += 8;
        }
        Ok(())
    }

    /// Move the unread bytes to the front and read more after them; false
    /// at the end of the input.
    fn read_more(&mut self) -> Result<bool, Fault> {
        if self.eof {
            return Ok(false);
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        loop {
            let Some(room) = self.buf.get_mut(self.end..) else {
                return Ok(false);
            };
            match self.src.read(room) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(self.end > 0);
                }
                Ok(k) => {
                    // (A reader claiming more than the room is broken; do
                    // not trust it past the buffer.)
                    self.end += k.min(room.len());
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Fault::Io(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per call: refills cross every
    /// boundary.
    struct Dribble<'a>(&'a [u8]);
    impl Read for Dribble<'_> {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), b.first_mut()) {
                (Some((&x, rest)), Some(d)) => {
                    *d = x;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn reads_fields_of_any_width_across_any_refill() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 151 + 7) as u8).collect();
        // The reference: every bit, most significant first.
        let all: Vec<u32> = data
            .iter()
            .flat_map(|b| (0..8).rev().map(move |i| u32::from(b >> i & 1)))
            .collect();
        let widths = [1u32, 3, 32, 5, 17, 24, 1, 2, 15, 20, 8, 31];
        for dribble in [false, true] {
            let mut bits: Bits<Box<dyn Read>> = Bits::new(if dribble {
                Box::new(Dribble(&data))
            } else {
                Box::new(&data[..])
            });
            let mut at = 0usize;
            for &w in widths.iter().cycle() {
                if at + w as usize > all.len() {
                    assert!(matches!(bits.get(w), Err(Fault::Truncated)));
                    break;
                }
                let want = all[at..at + w as usize].iter().fold(0, |v, &b| v << 1 | b);
                assert_eq!(bits.get(w).unwrap(), want, "at bit {at} width {w}");
                at += w as usize;
            }
        }
    }

    #[test]
    fn align_skips_to_the_next_byte_and_at_end_sees_the_end() {
        let mut bits = Bits::new(&[0xA5u8, 0xFF][..]);
        assert_eq!(bits.get(3).unwrap(), 0b101);
        bits.align();
        assert_eq!(bits.get(8).unwrap(), 0xFF);
        assert!(bits.at_end().unwrap());
    }
}
