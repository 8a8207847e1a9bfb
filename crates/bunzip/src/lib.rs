//! # rbgp-bunzip
//!
//! A bzip2 decoder for big archives (RouteViews and RIS publish their MRT
//! RIB dumps bzip2-compressed). The same bytes as libbzip2 for every
//! stream it accepts and an error for every stream it refuses (checked
//! against its Rust port by tests and a differential fuzz target), in a
//! little over half its time:
//!
//! * the Huffman symbols are decoded by table look-up (libbzip2 reads a
//!   code bit by bit);
//! * the inverse BWT walks twelve segments of its cycle at once, so the
//!   cache misses that dominate libbzip2's walk overlap (see `bwt`);
//! * the final run-length expansion copies literal spans whole, and the
//!   block CRC is computed by carry-less multiplication (`crc-fast`) where
//!   the CPU has it: a table-driven CRC took a twelfth of the time.
//!
//! ```
//! use std::io::Read;
//! # let compressed: &[u8] = &[
//! #     0x42, 0x5a, 0x68, 0x39, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0, 0, 0, 0];
//! let mut text = Vec::new();
//! rbgp_bunzip::Decoder::new(compressed).read_to_end(&mut text)?;
//! # assert!(text.is_empty());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Concatenated streams (pbzip2's output, appended archives) are read one
//! after the other. Memory: about 6 MB for 900k blocks, whatever the
//! input's size. No input can make it panic.
#![forbid(unsafe_code)]

mod bits;
mod block;
mod bwt;
// The tests' reference for the block CRC (the decoder uses crc-fast).
#[cfg(test)]
mod crc;
pub mod error;
mod huffman;
mod rand;
mod rle;

use std::io::{self, Read};

use bits::Bits;
use block::Entropy;
use bwt::Walker;
pub use error::BunzipError;
use error::Fault;
use rle::Unrle;

/// Block start: the BCD digits of pi.
const BLOCK_MAGIC: u64 = 0x3141_5926_5359;
/// Stream end: the BCD digits of sqrt(pi).
const END_MAGIC: u64 = 0x1772_4538_5090;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting "BZh" and a block size (or, after a stream, the input's end).
    StreamStart,
    /// Expecting a block or the end of the stream.
    Block,
    /// Expanding a block into the caller's buffers.
    Output,
    Done,
    Failed,
}

/// Decompresses a bzip2 stream, or several concatenated, from `R`.
pub struct Decoder<R> {
    bits: Bits<R>,
    state: State,
    entropy: Entropy,
    walker: Walker,
    tt: Vec<u32>,
    counts: [u32; 256],
    unrle: Unrle,
    max_len: usize,
    stored_crc: u32,
    combined: u32,
    stream: u64,
    block: u64,
}

impl<R: Read> Decoder<R> {
    /// A decoder reading compressed bytes from `src` (buffering itself:
    /// there is no need to wrap it in a `BufReader`).
    pub fn new(src: R) -> Self {
        Decoder {
            bits: Bits::new(src),
            state: State::StreamStart,
            entropy: Entropy::new(),
            walker: Walker::new(),
            tt: Vec::new(),
            counts: [0; 256],
            unrle: Unrle::new(),
            max_len: 0,
            stored_crc: 0,
            combined: 0,
            stream: 0,
            block: 0,
        }
    }

    fn fault(&self, f: Fault) -> BunzipError {
        let (stream, block) = (self.stream, self.block);
        match f {
            Fault::Io(e) => BunzipError::Io(e),
            Fault::Truncated => BunzipError::Truncated { stream, block },
            Fault::Damaged(detail) => BunzipError::Damaged {
                stream,
                block,
                detail,
            },
        }
    }

    /// Read into `out`: the bytes written, 0 at the end of the input.
    pub fn decode(&mut self, out: &mut [u8]) -> Result<usize, BunzipError> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let step = match self.state {
                State::Output => {
                    let n = self.unrle.fill(out);
                    if n > 0 {
                        return Ok(n);
                    }
                    self.end_block()
                }
                State::StreamStart => self.stream_start(),
                State::Block => self.next_block(),
                State::Done => return Ok(0),
                State::Failed => {
                    return Err(BunzipError::NotBzip2 {
                        stream: self.stream,
                        detail: "read again after an error (the stream cannot be resumed)",
                    })
                }
            };
            if let Err(e) = step {
                self.state = State::Failed;
                return Err(e);
            }
        }
    }

    /// "BZh1".."BZh9", or the clean end of the input after a stream.
    fn stream_start(&mut self) -> Result<(), BunzipError> {
        if self.stream > 0 && self.bits.at_end().map_err(|f| self.fault(f))? {
            self.state = State::Done;
            return Ok(());
        }
        self.stream += 1;
        self.block = 0;
        let head = match self.bits.need(32) {
            Ok(()) => self.bits.peek(32),
            Err(Fault::Truncated) => 0,
            Err(f) => return Err(self.fault(f)),
        };
        let [b, z, h, level] = head.to_be_bytes();
        if [b, z, h] != *b"BZh" || !(b'1'..=b'9').contains(&level) {
            return Err(BunzipError::NotBzip2 {
                stream: self.stream,
                detail: if self.stream == 1 {
                    "no \"BZh1\"..\"BZh9\" header"
                } else {
                    "data after the end of a stream is not another stream"
                },
            });
        }
        self.bits.consume(32);
        self.max_len = usize::from(level - b'0') * 100_000;
        self.combined = 0;
        self.state = State::Block;
        Ok(())
    }

    /// A block's magic: decode it; or the stream's end: check its CRC.
    fn next_block(&mut self) -> Result<(), BunzipError> {
        let magic = self.bits.get(24).and_then(|hi| {
            let lo = self.bits.get(24)?;
            Ok(u64::from(hi) << 24 | u64::from(lo))
        });
        let magic = magic.map_err(|f| self.fault(f))?;
        if magic == END_MAGIC {
            let stored = self.bits.get(32).map_err(|f| self.fault(f))?;
            if stored != self.combined {
                return Err(BunzipError::StreamCrc {
                    stream: self.stream,
                    stored,
                    computed: self.combined,
                });
            }
            self.bits.align();
            self.state = State::StreamStart;
            return Ok(());
        }
        self.block += 1;
        if magic != BLOCK_MAGIC {
            return Err(self.fault(Fault::Damaged("no block or end-of-stream magic")));
        }
        let header = self
            .entropy
            .decode(
                &mut self.bits,
                self.max_len,
                &mut self.unrle.data,
                &mut self.counts,
            )
            .map_err(|f| self.fault(f))?;
        self.walker
            .invert(
                &mut self.unrle.data,
                &self.counts,
                header.orig_ptr,
                &mut self.tt,
            )
            .map_err(|f| self.fault(f))?;
        if header.randomised {
            rand::derandomise(&mut self.unrle.data);
        }
        self.unrle.start();
        self.stored_crc = header.crc;
        self.state = State::Output;
        Ok(())
    }

    fn end_block(&mut self) -> Result<(), BunzipError> {
        if self.unrle.countless() {
            return Err(self.fault(Fault::Damaged(
                "a run of four bytes ends the block without its count",
            )));
        }
        let computed = self.unrle.crc();
        if computed != self.stored_crc {
            return Err(BunzipError::BlockCrc {
                stream: self.stream,
                block: self.block,
                stored: self.stored_crc,
                computed,
            });
        }
        self.combined = self.combined.rotate_left(1) ^ computed;
        self.state = State::Block;
        Ok(())
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        Ok(self.decode(out)?)
    }
}
