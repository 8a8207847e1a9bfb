//! The last stage: bzip2's initial run-length coding undone (four equal
//! bytes are followed by a count of 0..=255 more), streamed into the
//! caller's buffer with the block CRC computed over what is written. A
//! block can grow fifty-fold here, so it is never expanded whole.

use crc_fast::{CrcAlgorithm, Digest};

/// One block's bytes being expanded.
pub(crate) struct Unrle {
    /// The block, still run-length coded.
    pub(crate) data: Vec<u8>,
    pos: usize,
    /// Bytes up to here are copied as they are.
    span_end: usize,
    /// `span_end` follows four equal bytes: the byte there is a count.
    count_next: bool,
    pending: usize,
    pending_byte: u8,
    crc: Digest,
    /// The block ended right after four equal bytes, where a count must
    /// follow.
    countless: bool,
}

impl Unrle {
    pub(crate) fn new() -> Self {
        Unrle {
            data: Vec::new(),
            pos: 0,
            span_end: 0,
            count_next: false,
            pending: 0,
            pending_byte: 0,
            crc: Digest::new(CrcAlgorithm::Crc32Bzip2),
            countless: false,
        }
    }

    /// Begin expanding `data` (just filled in).
    pub(crate) fn start(&mut self) {
        self.pos = 0;
        self.pending = 0;
        self.crc = Digest::new(CrcAlgorithm::Crc32Bzip2);
        self.countless = false;
        self.find_span();
    }

    /// Nothing left of the block.
    #[cfg(test)]
    pub(crate) fn done(&self) -> bool {
        self.pending == 0 && self.pos >= self.data.len()
    }

    /// The block ended where a run's count was due (damaged data).
    pub(crate) fn countless(&self) -> bool {
        self.countless
    }

    /// The block's CRC; final once `fill` gives 0.
    pub(crate) fn crc(&self) -> u32 {
        self.crc.finalize() as u32
    }

    /// Expand into `out`; returns the bytes written (0 only when done or
    /// `out` is empty).
    pub(crate) fn fill(&mut self, out: &mut [u8]) -> usize {
        let mut w = 0;
        while let Some(room) = out.get_mut(w..).filter(|r| !r.is_empty()) {
            if self.pending > 0 {
                let k = self.pending.min(room.len());
                if let Some(r) = room.get_mut(..k) {
                    r.fill(self.pending_byte);
                }
                self.pending -= k;
                w += k;
            } else if self.pos < self.span_end {
                let k = (self.span_end - self.pos).min(room.len());
                if let (Some(d), Some(s)) =
                    (room.get_mut(..k), self.data.get(self.pos..self.pos + k))
                {
                    d.copy_from_slice(s);
                }
                self.pos += k;
                w += k;
            } else if self.count_next && self.pos < self.data.len() {
                self.pending = usize::from(self.data.get(self.pos).copied().unwrap_or(0));
                self.pending_byte = self
                    .pos
                    .checked_sub(1)
                    .and_then(|p| self.data.get(p))
                    .copied()
                    .unwrap_or(0);
                self.pos += 1;
                self.find_span();
            } else {
                // The end. A run of four with no count after it cannot
                // come from bzip2; libbzip2 reads on past the block and
                // calls the data damaged.
                self.countless = self.count_next;
                self.pos = self.data.len();
                break;
            }
        }
        if let Some(written) = out.get(..w) {
            self.crc.update(written);
        }
        w
    }

    /// From `pos`, the literal span: up to and including the next four
    /// equal bytes, or to the end.
    fn find_span(&mut self) {
        let d = &self.data;
        let mut i = self.pos;
        // Eight bytes at a time: byte j of `eq` is zero where d[i+j] equals
        // d[i+j+1]; of `run`, where d[i+j..=i+j+3] are all equal (j <= 4).
        while let Some(w) = d.get(i..).and_then(|s| s.first_chunk::<8>()) {
            let x = u64::from_le_bytes(*w);
            let eq = x ^ (x >> 8);
            let run = eq | (eq >> 8) | (eq >> 16);
            // Zero bytes among 0..=4: the lowest flag is exact (borrows
            // only flag bytes above a zero one).
            let zero = run.wrapping_sub(0x0101_0101_0101_0101) & !run & 0x0000_0080_8080_8080;
            if zero != 0 {
                self.span_end = i + (zero.trailing_zeros() / 8) as usize + 4;
                self.count_next = true;
                return;
            }
            i += 5;
        }
        // The tail, byte by byte.
        while let Some(&[a, b, c, e]) = d.get(i..).and_then(|s| s.first_chunk::<4>()) {
            if a == b && b == c && c == e {
                self.span_end = i + 4;
                self.count_next = true;
                return;
            }
            i += 1;
        }
        self.span_end = d.len();
        self.count_next = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule byte by byte: after four equal bytes, a count.
    /// `None`: a run of four ends the data, with no count.
    fn reference(data: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let (mut last, mut same) = (None, 0);
        let mut it = data.iter();
        while let Some(&b) = it.next() {
            out.push(b);
            if Some(b) == last {
                same += 1;
            } else {
                last = Some(b);
                same = 1;
            }
            if same == 4 {
                match it.next() {
                    Some(&c) => out.extend(std::iter::repeat_n(b, usize::from(c))),
                    None => return None,
                }
                last = None;
                same = 0;
            }
        }
        Some(out)
    }

    fn expand(data: &[u8], chunk: usize) -> (Vec<u8>, u32, bool) {
        let mut u = Unrle::new();
        u.data = data.to_vec();
        u.start();
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = u.fill(&mut buf);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert!(u.done());
        (out, u.crc(), u.countless())
    }

    #[test]
    fn expands_runs_anywhere_into_buffers_of_any_size() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![7],
            vec![1, 1, 1, 1],
            vec![2, 1, 1, 1, 1],
            vec![1, 1, 1],
            vec![1, 1, 1, 1, 0],
            vec![1, 1, 1, 1, 255, 1, 1, 1, 1, 3, 1],
            // A count equal to the run byte, then the same byte again: a
            // new run starts after the count.
            vec![5, 5, 5, 5, 5, 5, 5, 5, 5, 2],
            (0..2000u32)
                .map(|i| if i % 13 < 6 { 9 } else { (i % 251) as u8 })
                .collect(),
            (0..3000u32).map(|i| (i / 5) as u8).collect(),
        ];
        for data in cases {
            let want = reference(&data);
            for chunk in [1, 3, 7, 64, 100_000] {
                let (got, crc, countless) = expand(&data, chunk);
                assert_eq!(countless, want.is_none(), "{data:?}");
                if let Some(want) = &want {
                    assert_eq!(&got, want, "{data:?} in chunks of {chunk}");
                    assert_eq!(crc, !crate::crc::update(u32::MAX, want));
                }
            }
        }
    }
}
