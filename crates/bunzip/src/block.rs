//! One block's entropy stage: the header fields, the symbol map, the
//! selectors and code tables, then the Huffman-coded MTF/RLE2 symbols
//! turned back into the BWT's last column (bzip2 format as libbzip2 1.0
//! writes and reads it; there is no RFC, the reference is libbzip2's
//! `decompress.c`).

use std::io::Read;

use crate::bits::Bits;
use crate::error::Fault;
use crate::huffman::{Table, MAX_ALPHA, MAX_LEN};

/// Symbols per selector group.
const GROUP: u32 = 50;
/// Selectors kept: libbzip2 1.0.8 reads up to 2^15 - 1 but uses only as
/// many as a 900k block can need (900,000 / 50 + 2).
const MAX_SELECTORS: usize = 18_002;
/// RLE2 run lengths are bounded by the block size; this bounds the
/// bijective base-2 digits of one run (libbzip2 allows 2^21).
const MAX_RUN_DIGITS: u32 = 21;

/// What the block header says, besides the data.
pub(crate) struct Header {
    pub(crate) crc: u32,
    pub(crate) randomised: bool,
    pub(crate) orig_ptr: u32,
}

/// The entropy decoder's state, kept between blocks for its buffers.
pub(crate) struct Entropy {
    tables: Vec<Table>,
    selectors: Vec<u8>,
    lengths: [u8; MAX_ALPHA],
}

impl Entropy {
    pub(crate) fn new() -> Self {
        Entropy {
            tables: (0..6).map(|_| Table::new()).collect(),
            selectors: Vec::with_capacity(MAX_SELECTORS),
            lengths: [0; MAX_ALPHA],
        }
    }

    /// Decode a block whose 48-bit magic has been read: the BWT's last
    /// column goes into `last` and its byte counts into `counts`.
    /// `max_len` is the stream's block size. (The origin pointer is
    /// checked against the block's length where it is used, `bwt.rs`.)
    pub(crate) fn decode<R: Read>(
        &mut self,
        bits: &mut Bits<R>,
        max_len: usize,
        last: &mut Vec<u8>,
        counts: &mut [u32; 256],
    ) -> Result<Header, Fault> {
        let crc = bits.get(32)?;
        let randomised = bits.bit()?;
        let orig_ptr = bits.get(24)?;
        if orig_ptr as usize > max_len {
            return Err(Fault::Damaged("origin pointer past the block size"));
        }

        // The symbol map: which byte values occur, in 16 groups of 16.
        let used16 = bits.get(16)?;
        let mut unseq = [0u8; 256];
        let mut in_use = 0usize;
        for g in 0..16u32 {
            if used16 & (0x8000 >> g) == 0 {
                continue;
            }
            let used = bits.get(16)?;
            for b in 0..16u32 {
                if used & (0x8000 >> b) != 0 {
                    if let Some(u) = unseq.get_mut(in_use) {
                        *u = (g * 16 + b) as u8;
                    }
                    in_use += 1;
                }
            }
        }
        if in_use == 0 {
            return Err(Fault::Damaged("no byte value in use"));
        }
        let alpha = in_use + 2;

        let groups = bits.get(3)? as usize;
        if !(2..=6).contains(&groups) {
            return Err(Fault::Damaged("number of Huffman tables not 2..6"));
        }
        let n_selectors = bits.get(15)? as usize;
        if n_selectors == 0 {
            return Err(Fault::Damaged("no selectors"));
        }
        // Selectors, MTF-coded in unary.
        self.selectors.clear();
        let mut order: [u8; 6] = [0, 1, 2, 3, 4, 5];
        for _ in 0..n_selectors {
            let mut j = 0usize;
            while bits.bit()? {
                j += 1;
                if j >= groups {
                    return Err(Fault::Damaged("selector past the number of tables"));
                }
            }
            if self.selectors.len() < MAX_SELECTORS {
                if let Some(front) = order.get_mut(..=j) {
                    front.rotate_right(1);
                }
                self.selectors.push(order[0]);
            }
        }

        // Code lengths, delta-coded.
        for table in self.tables.iter_mut().take(groups) {
            let mut len = bits.get(5)?;
            for slot in self.lengths.iter_mut().take(alpha) {
                loop {
                    if !(1..=MAX_LEN).contains(&len) {
                        return Err(Fault::Damaged("code length out of 1..20"));
                    }
                    if !bits.bit()? {
                        break;
                    }
                    if bits.bit()? {
                        len -= 1;
                    } else {
                        len += 1;
                    }
                }
                *slot = len as u8;
            }
            table.build(self.lengths.get(..alpha).unwrap_or_default())?;
        }

        self.symbols(bits, &unseq, in_use, max_len, last, counts)?;
        Ok(Header {
            crc,
            randomised,
            orig_ptr,
        })
    }

    /// The MTF/RLE2 symbols up to end-of-block (`in_use + 1`): fills
    /// `last`. The tables give no symbol past it, so every MTF index is
    /// below `in_use`.
    fn symbols<R: Read>(
        &self,
        bits: &mut Bits<R>,
        unseq: &[u8; 256],
        in_use: usize,
        max_len: usize,
        last: &mut Vec<u8>,
        counts: &mut [u32; 256],
    ) -> Result<(), Fault> {
        let eob = (in_use + 1) as u16;
        let mut mtf = *unseq;
        last.clear();
        last.reserve(max_len);
        counts.fill(0);

        let mut selectors = self.selectors.iter();
        let mut left = 0u32;
        let mut table: &Table = match self.tables.first() {
            Some(t) => t,
            None => return Err(Fault::Damaged("no tables")),
        };
        // The pending RLE2 run of the front byte: its length so far and
        // the weight of its next digit.
        let mut run = 0usize;
        let mut digit = 0u32;
        // The bit accumulator in registers for the loop (handed back at
        // the end; an error ends the stream, so it need not be).
        let (mut acc, mut n) = bits.take();
        loop {
            if left == 0 {
                let sel = selectors
                    .next()
                    .ok_or(Fault::Damaged("more symbol groups than selectors"))?;
                table = self
                    .tables
                    .get(usize::from(*sel))
                    .ok_or(Fault::Damaged("selector names no table"))?;
                left = GROUP;
            }
            left -= 1;
            if n < MAX_LEN {
                bits.refill_parts(&mut acc, &mut n)?;
            }
            let (sym, len) = table.decode_parts(acc, n)?;
            acc = acc.checked_shl(len).unwrap_or(0);
            n -= len;
            if sym <= 1 {
                // RUNA (symbol 0, digit 1) and RUNB (symbol 1, digit 2):
                // the run's length in bijective base 2.
                if digit >= MAX_RUN_DIGITS {
                    return Err(Fault::Damaged("run too long"));
                }
                run += (usize::from(sym) + 1) << digit;
                digit += 1;
                continue;
            }
            if run > 0 {
                let b = mtf[0];
                if last.len() + run > max_len {
                    return Err(Fault::Damaged("block longer than its block size"));
                }
                last.resize(last.len() + run, b);
                if let Some(c) = counts.get_mut(usize::from(b)) {
                    *c += run as u32;
                }
                run = 0;
                digit = 0;
            }
            if sym == eob {
                break;
            }
            let k = usize::from(sym - 1);
            if last.len() >= max_len {
                return Err(Fault::Damaged("block longer than its block size"));
            }
            let b = move_to_front(&mut mtf, k);
            last.push(b);
            if let Some(c) = counts.get_mut(usize::from(b)) {
                *c += 1;
            }
        }
        bits.put(acc, n);
        Ok(())
    }
}

/// The byte at `k` moved to the front; moves within the first 16 bytes
/// (most of them) in registers.
#[inline(always)]
fn move_to_front(mtf: &mut [u8; 256], k: usize) -> u8 {
    if k < 16 {
        let Some(head) = mtf.first_chunk_mut::<16>() else {
            return 0;
        };
        let w = u128::from_le_bytes(*head);
        let shift = 8 * k as u32;
        let b = (w >> shift) as u8;
        // Bytes below k move up one; bytes above k stay.
        let below = (1u128 << shift) - 1;
        let upto = below.checked_shl(8).map_or(u128::MAX, |m| m | 0xff);
        let moved = (w & below) << 8 | u128::from(b) | (w & !upto);
        *head = moved.to_le_bytes();
        b
    } else {
        let b = mtf.get(k).copied().unwrap_or(0);
        if let Some(front) = mtf.get_mut(..=k) {
            front.copy_within(..k, 1);
        }
        mtf[0] = b;
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn move_to_front_in_a_register_equals_the_slow_move() {
        for k in 0..256 {
            let mut a: [u8; 256] = std::array::from_fn(|i| (i * 7 + 3) as u8);
            let mut b = a;
            let got = move_to_front(&mut a, k);
            let want = b[k];
            b[..=k].rotate_right(1);
            assert_eq!(got, want, "k {k}");
            assert_eq!(a, b, "k {k}");
        }
    }
}
