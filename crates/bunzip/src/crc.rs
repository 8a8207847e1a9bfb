//! bzip2's CRC: CRC-32 with polynomial 0x04C11DB7 taken most significant
//! bit first (CRC-32/BZIP2), eight bytes at a time (slice-by-8). The
//! decoder uses crc-fast's; this one, checked against the definition,
//! is the reference its results are tested against.

const POLY: u32 = 0x04C1_1DB7;

/// `TABLES[k][b]`: the CRC change of byte `b` followed by `k` zero bytes.
static TABLES: [[u32; 256]; 8] = {
    let mut t = [[0u32; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut c = (b as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ POLY
            } else {
                c << 1
            };
            bit += 1;
        }
        // A constant initialiser (not input): indexes are below 256 and 8.
        #[allow(clippy::indexing_slicing)]
        {
            t[0][b] = c;
        }
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            #[allow(clippy::indexing_slicing)]
            {
                let prev = t[k - 1][b];
                t[k][b] = (prev << 8) ^ t[0][(prev >> 24) as usize];
            }
            b += 1;
        }
        k += 1;
    }
    t
};

#[inline(always)]
fn at(k: usize, i: u64) -> u32 {
    // `i & 0xff` is below 256: the optimiser drops the check.
    TABLES
        .get(k)
        .and_then(|t| t.get((i & 0xff) as usize))
        .copied()
        .unwrap_or(0)
}

/// `crc` (running, not inverted at the end) updated with `data`.
pub(crate) fn update(mut crc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_be_bytes(w) ^ (u64::from(crc) << 32);
        crc = at(7, w >> 56)
            ^ at(6, w >> 48)
            ^ at(5, w >> 40)
            ^ at(4, w >> 32)
            ^ at(3, w >> 24)
            ^ at(2, w >> 16)
            ^ at(1, w >> 8)
            ^ at(0, w);
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ at(0, u64::from((crc >> 24) as u8 ^ b));
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit by bit, straight from the definition.
    fn slow(data: &[u8]) -> u32 {
        let mut crc = u32::MAX;
        for &b in data {
            crc ^= u32::from(b) << 24;
            for _ in 0..8 {
                crc = if crc & 0x8000_0000 != 0 {
                    (crc << 1) ^ POLY
                } else {
                    crc << 1
                };
            }
        }
        !crc
    }

    #[test]
    fn check_value_of_crc32_bzip2() {
        // The catalogue's check value for "123456789".
        assert_eq!(!update(u32::MAX, b"123456789"), 0xFC89_1918);
        assert_eq!(slow(b"123456789"), 0xFC89_1918);
    }

    #[test]
    fn eight_at_a_time_equals_bit_by_bit_at_every_length_and_split() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 + i / 7) as u8).collect();
        for len in 0..data.len() {
            let d = &data[..len];
            assert_eq!(!update(u32::MAX, d), slow(d), "len {len}");
            let (a, b) = d.split_at(len / 3);
            assert_eq!(!update(update(u32::MAX, a), b), slow(d), "split {len}");
        }
    }
}
