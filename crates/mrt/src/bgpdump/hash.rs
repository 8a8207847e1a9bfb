//! Hashing for the formatter's direct-mapped caches: cheap, and good
//! enough for caches whose misses only cost the formatting done anyway.

/// The slot of `x` in a table of `1 << bits` slots (Fibonacci hashing:
/// one multiply, the top bits).
#[inline]
pub(super) fn slot_of(x: u64, bits: u32) -> usize {
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

/// FxHash-style mixing, eight octets at a time.
pub(super) fn fx(seed: u64, raw: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = seed ^ (raw.len() as u64);
    let mut chunks = raw.chunks_exact(8);
    for c in &mut chunks {
        let w = c.try_into().map(u64::from_le_bytes).unwrap_or_default();
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let mut w = 0u64;
    for (i, b) in chunks.remainder().iter().enumerate() {
        w |= u64::from(*b) << (8 * i);
    }
    (h.rotate_left(5) ^ w).wrapping_mul(K) >> 32
}
