//! bzip2's canonical Huffman codes (code lengths 1..=20 for every symbol of
//! the block's alphabet), decoded by one table look-up for codes of up to
//! `FAST_BITS` bits and by canonical limits for the longer, rare ones.

#[cfg(test)]
use std::io::Read;

#[cfg(test)]
use crate::bits::Bits;
use crate::error::Fault;

/// Longest code length bzip2 allows.
pub(crate) const MAX_LEN: u32 = 20;
/// Most symbols an alphabet has: 256 byte values, RUNA/RUNB, EOB... less one
/// (the MTF index of the front byte is never coded): 258.
pub(crate) const MAX_ALPHA: usize = 258;
/// Bits resolved by the look-up table.
const FAST_BITS: u32 = 10;

/// One decoding table.
pub(crate) struct Table {
    /// By the next `FAST_BITS` bits: `symbol << 5 | length`, or 0 when the
    /// code is longer (or the bits are no code).
    fast: [u16; 1 << FAST_BITS],
    /// For each length: the last code of that length (as a number of that
    /// many bits), or -1 when none.
    limit: [i32; MAX_LEN as usize + 1],
    /// For each length: the index in `sorted` of code value 0 of that length.
    base: [i32; MAX_LEN as usize + 1],
    /// Symbols ordered by (length, symbol): canonical order.
    sorted: [u16; MAX_ALPHA],
}

impl Table {
    pub(crate) fn new() -> Self {
        Table {
            fast: [0; 1 << FAST_BITS],
            limit: [-1; MAX_LEN as usize + 1],
            base: [0; MAX_LEN as usize + 1],
            sorted: [0; MAX_ALPHA],
        }
    }

    /// Build from the code lengths (each 1..=20) of the symbols 0..len.
    /// Codes are assigned canonically: shorter first, then by symbol.
    pub(crate) fn build(&mut self, lengths: &[u8]) -> Result<(), Fault> {
        let mut count = [0i32; MAX_LEN as usize + 1];
        for &l in lengths {
            match count.get_mut(usize::from(l)) {
                Some(c) if l >= 1 => *c += 1,
                _ => return Err(Fault::Damaged("code length out of range")),
            }
        }
        // Canonical first codes. An over-full length set is no prefix code,
        // but libbzip2 does not refuse one (its codes past 2^l can never be
        // read; the table may never be selected): neither do we. The fast
        // table skips the codes that do not fit, as the limits do.
        let mut code = 0i32;
        let mut index = 0i32;
        let mut next_index = [0i32; MAX_LEN as usize + 1];
        let mut first = [0i32; MAX_LEN as usize + 1];
        for l in 1..=MAX_LEN as usize {
            let c = count.get(l).copied().unwrap_or(0);
            if let (Some(f), Some(b), Some(lim), Some(ni)) = (
                first.get_mut(l),
                self.base.get_mut(l),
                self.limit.get_mut(l),
                next_index.get_mut(l),
            ) {
                *f = code;
                *b = index - code;
                *lim = code + c - 1;
                *ni = index;
            }
            index += c;
            code = (code + c) << 1;
        }
        for (sym, &l) in lengths.iter().enumerate() {
            let Some(ni) = next_index.get_mut(usize::from(l)) else {
                continue;
            };
            if let Some(s) = self.sorted.get_mut(*ni as usize) {
                *s = sym as u16;
            }
            *ni += 1;
        }
        // The fast table: every short code fills the entries it prefixes.
        self.fast.fill(0);
        let mut code_of = first;
        for (sym, &l) in lengths.iter().enumerate() {
            let l = u32::from(l);
            let Some(c) = code_of.get_mut(l as usize) else {
                continue;
            };
            let this = *c as usize;
            *c += 1;
            if l <= FAST_BITS {
                let shift = FAST_BITS - l;
                let from = this << shift;
                let entry = (sym as u16) << 5 | l as u16;
                if let Some(slots) = self.fast.get_mut(from..from + (1 << shift)) {
                    slots.fill(entry);
                }
            }
        }
        Ok(())
    }

    /// Decode one symbol; the caller made sure `MAX_LEN` bits are there
    /// (or as many as are left at the end of the input).
    #[cfg(test)]
    pub(crate) fn decode<R: Read>(&self, bits: &mut Bits<R>) -> Result<u16, Fault> {
        let (acc, n) = bits.take();
        let (sym, len) = self.decode_parts(acc, n)?;
        bits.consume(len);
        Ok(sym)
    }

    /// The symbol at the front of `acc` (`n` bits valid) and its length.
    #[inline(always)]
    pub(crate) fn decode_parts(&self, acc: u64, n: u32) -> Result<(u16, u32), Fault> {
        let e = self
            .fast
            .get((acc >> (64 - FAST_BITS)) as usize)
            .copied()
            .unwrap_or(0);
        let l = u32::from(e & 31);
        if l != 0 && l <= n {
            return Ok((e >> 5, l));
        }
        self.decode_long(acc, n)
    }

    #[cold]
    #[inline(never)]
    fn decode_long(&self, acc: u64, n: u32) -> Result<(u16, u32), Fault> {
        for l in 1..=MAX_LEN {
            if l > n {
                return Err(Fault::Truncated);
            }
            let v = (acc >> (64 - l)) as i32;
            let (Some(&lim), Some(&base)) = (self.limit.get(l as usize), self.base.get(l as usize))
            else {
                break;
            };
            if v <= lim {
                return match self.sorted.get((base + v) as usize) {
                    Some(&s) => Ok((s, l)),
                    None => Err(Fault::Damaged("bad Huffman code")),
                };
            }
        }
        Err(Fault::Damaged("bits that are no Huffman code"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encode `syms` with the canonical code of `lengths`, MSB first.
    fn encode(lengths: &[u8], syms: &[u16]) -> Vec<u8> {
        let mut codes = vec![0u32; lengths.len()];
        let mut code = 0u32;
        for l in 1..=20u8 {
            for (s, &sl) in lengths.iter().enumerate() {
                if sl == l {
                    codes[s] = code;
                    code += 1;
                }
            }
            code <<= 1;
        }
        let mut out = Vec::new();
        let (mut acc, mut n) = (0u64, 0u32);
        for &s in syms {
            let l = u32::from(lengths[s as usize]);
            acc = acc << l | u64::from(codes[s as usize]);
            n += l;
            while n >= 8 {
                out.push((acc >> (n - 8)) as u8);
                n -= 8;
            }
        }
        if n > 0 {
            out.push((acc << (8 - n)) as u8);
        }
        out
    }

    #[test]
    fn decodes_short_and_long_codes() {
        // A complete code with lengths from 1 to 20 (a "staircase").
        let mut lengths: Vec<u8> = (1..=20).collect();
        lengths.push(20);
        let mut t = Table::new();
        t.build(&lengths).unwrap();
        let syms: Vec<u16> = (0..lengths.len() as u16)
            .chain([0, 20, 3, 19, 9, 10, 11])
            .collect();
        let data = encode(&lengths, &syms);
        let mut bits = Bits::new(&data[..]);
        for &s in &syms {
            bits.refill().unwrap();
            assert_eq!(t.decode(&mut bits).unwrap(), s);
        }
    }

    #[test]
    fn lengths_out_of_range_are_refused_over_full_ones_decode_as_libbzip2() {
        let mut t = Table::new();
        assert!(t.build(&[0, 1]).is_err());
        assert!(t.build(&[21, 1]).is_err());
        // Lengths 1, 1, 1: codes 0 and 1, the third (2) never readable.
        t.build(&[1, 1, 1]).unwrap();
        let data = [0b0101_0101u8, 0];
        let mut bits = Bits::new(&data[..]);
        bits.refill().unwrap();
        for want in [0, 1, 0, 1] {
            assert_eq!(t.decode(&mut bits).unwrap(), want);
        }
    }

    #[test]
    fn bits_that_are_no_code_of_an_incomplete_code_are_an_error() {
        // Lengths 2, 2: codes 00 and 01; 1x is no code.
        let mut t = Table::new();
        t.build(&[2, 2]).unwrap();
        let data = [0xFFu8; 4];
        let mut bits = Bits::new(&data[..]);
        bits.refill().unwrap();
        assert!(matches!(t.decode(&mut bits), Err(Fault::Damaged(_))));
    }
}
