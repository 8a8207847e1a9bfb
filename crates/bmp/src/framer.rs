//! Cutting a byte stream (a TCP connection, a file, stdin) into BMP
//! messages, with partial reads and messages split across reads.
//!
//! # Resynchronisation policy
//!
//! BMP has no marker: the only framing is the common header's version and
//! length (RFC 7854 §4.1). The framer trusts a header that is plausible —
//! version 3 (or 4, draft-ietf-grow-bmp-tlv) and a length between the type's minimum and
//! [`MAX_MESSAGE_LEN`](crate::header::MAX_MESSAGE_LEN) — and hands out
//! exactly that many octets; a message whose body then fails to decode is
//! the decoder's error, and the stream goes on after it.
//!
//! An implausible header (a capture that starts mid-message, a corrupt
//! length, garbage) is not trusted: the framer scans forward one octet at
//! a time for the next offset that looks like the start of a message of a
//! defined type (0-6) — version 3, a plausible length, and for types with
//! a per-peer header a peer type of 0-3 — drops the octets before it and
//! reports how many it dropped ([`Frame::Skipped`]). A false match inside
//! a message body is possible; it costs at most that one bogus frame,
//! whose decode then fails, and the scan resumes after it.

use crate::error::BmpError;
use crate::header::{
    CommonHeader, MessageType, COMMON_HEADER_LEN, MAX_MESSAGE_LEN, VERSION, VERSION_4,
};

/// One step of framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole message, common header included.
    Message(Vec<u8>),
    /// Octets dropped while resynchronising, and why the header at their
    /// start was rejected.
    Skipped { octets: usize, error: BmpError },
}

/// A buffering framer: `push` bytes as they arrive, take frames with
/// `next_frame` until it returns `None` (more bytes needed).
#[derive(Debug, Default)]
pub struct BmpFramer {
    buf: Vec<u8>,
    pos: usize,
}

/// Could a message start at `b`? `None`: not enough octets to tell.
fn plausible_start(b: &[u8]) -> Option<bool> {
    let head = b.get(..COMMON_HEADER_LEN)?;
    let (&[version, l0, l1, l2, l3], &[ty]) = head.split_at(5) else {
        return Some(false);
    };
    let t = MessageType(ty);
    if (version != VERSION && version != VERSION_4) || ty > 6 {
        return Some(false);
    }
    let len = u32::from_be_bytes([l0, l1, l2, l3]);
    if (len as usize) < COMMON_HEADER_LEN + t.min_body_len() || len > MAX_MESSAGE_LEN {
        return Some(false);
    }
    if t.has_peer_header() {
        // RFC 7854 §4.2 peer types 0-2, RFC 9069 type 3.
        return Some(*b.get(COMMON_HEADER_LEN)? <= 3);
    }
    Some(true)
}

impl BmpFramer {
    pub fn new() -> Self {
        BmpFramer::default()
    }

    pub fn push(&mut self, data: &[u8]) {
        // Drop what was consumed before growing, so the buffer holds at
        // most one partial message plus the new data.
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Octets buffered but not yet framed (a partial message at the end of
    /// input is truncated).
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn rest(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    pub fn next_frame(&mut self) -> Option<Frame> {
        let rest = self.rest();
        match CommonHeader::peek(rest) {
            Ok(None) => None,
            Ok(Some(h)) => {
                let len = h.length as usize;
                let m = rest.get(..len)?.to_vec();
                self.pos += len;
                Some(Frame::Message(m))
            }
            Err(error) => {
                // Resynchronise: the next plausible start after offset 0.
                let mut skip = 1;
                loop {
                    match rest.get(skip..).and_then(plausible_start) {
                        Some(true) => break,
                        Some(false) => skip += 1,
                        // Not enough octets to judge offset `skip`: drop
                        // what is certainly garbage, keep the tail.
                        None => break,
                    }
                }
                self.pos += skip;
                Some(Frame::Skipped {
                    octets: skip,
                    error,
                })
            }
        }
    }
}

/// Frames of a complete buffer; a truncated last message is reported as
/// skipped octets with a `Truncated` error.
pub fn split(buf: &[u8]) -> impl Iterator<Item = Frame> + '_ {
    let mut f = BmpFramer::new();
    f.push(buf);
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match f.next_frame() {
            Some(x) => Some(x),
            None => {
                done = true;
                let left = f.buffered();
                (left > 0).then(|| Frame::Skipped {
                    octets: left,
                    error: rbgp_wire::WireError::Truncated {
                        what: "BMP message at end of input",
                        offset: 0,
                        need: 0,
                        have: left,
                    }
                    .into(),
                })
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::message::{BmpMessage, Initiation};
    use crate::tlv::Tlv;

    fn init(s: &str) -> Vec<u8> {
        BmpMessage::Initiation(Initiation {
            information: vec![Tlv::string(2, s)],
        })
        .to_bytes()
    }

    #[test]
    fn split_reads_and_resync() {
        let a = init("a");
        let b = init("bb");
        let mut stream = vec![0x42, 0x00, 0x17];
        stream.extend_from_slice(&a);
        stream.extend_from_slice(&b);
        // Feed one octet at a time.
        let mut f = BmpFramer::new();
        let mut out = Vec::new();
        for x in &stream {
            f.push(&[*x]);
            while let Some(fr) = f.next_frame() {
                out.push(fr);
            }
        }
        assert!(matches!(out[0], Frame::Skipped { .. }));
        let skipped: usize = out
            .iter()
            .map(|f| match f {
                Frame::Skipped { octets, .. } => *octets,
                _ => 0,
            })
            .sum();
        assert_eq!(skipped, 3);
        let msgs: Vec<_> = out
            .into_iter()
            .filter_map(|f| match f {
                Frame::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(msgs, vec![a.clone(), b.clone()]);
        assert_eq!(f.buffered(), 0);

        // A truncated tail is reported.
        let mut c = a.clone();
        c.extend_from_slice(&b[..4]);
        let v: Vec<_> = split(&c).collect();
        assert_eq!(v.len(), 2);
        assert!(matches!(v[1], Frame::Skipped { octets: 4, .. }));
    }
}
