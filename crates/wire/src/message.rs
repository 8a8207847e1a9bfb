//! Framing of a byte stream into messages and the [`Message`] enum over
//! all message types. The header itself (RFC 4271 §4.1) is in
//! [`crate::header`], which the message bodies' encoders share.

use crate::context::Context;
use crate::error::WireError;
use crate::header::{encode_with_header, MAX_MESSAGE_LEN};
pub use crate::header::{MessageType, HEADER_LEN, MARKER};
use crate::notification::{codes, header_sub, route_refresh_sub, Notification};
use crate::open::Open;
use crate::reader::Reader;
use crate::route_refresh::RouteRefresh;
use crate::update::{Update, Verdict};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "type", rename_all = "SCREAMING-KEBAB-CASE")
)]
pub enum Message {
    Open(Open),
    Update(Update),
    Notification(Notification),
    Keepalive,
    RouteRefresh(RouteRefresh),
}

/// A message that cannot be accepted: the session must send
/// `notification` and close.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error} (reply {notification})")]
pub struct MessageError {
    pub notification: Notification,
    pub error: WireError,
}

impl From<crate::update::UpdateError> for MessageError {
    fn from(e: crate::update::UpdateError) -> Self {
        MessageError {
            notification: e.notification,
            error: e.error,
        }
    }
}

fn header_error(sub: u8, data: Vec<u8>, error: WireError) -> MessageError {
    MessageError {
        notification: Notification::new(codes::MESSAGE_HEADER, sub, data),
        error,
    }
}

/// Length of the first message in `buf`, once its header is complete.
///
/// `Ok(None)`: need more bytes. `Err`: the stream is not BGP (bad marker,
/// or a length outside 19..=max), with the NOTIFICATION to send.
pub fn frame_len(buf: &[u8], ctx: &Context) -> Result<Option<usize>, MessageError> {
    let Some(head) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let (marker, rest) = head.split_at(16);
    if marker != MARKER {
        return Err(header_error(
            header_sub::CONNECTION_NOT_SYNCHRONIZED,
            Vec::new(),
            WireError::malformed("message header", "marker is not all ones"),
        ));
    }
    let len = usize::from(u16::from_be_bytes([
        rest.first().copied().unwrap_or(0),
        rest.get(1).copied().unwrap_or(0),
    ]));
    if len < HEADER_LEN || len > ctx.max_message_len() {
        return Err(header_error(
            header_sub::BAD_MESSAGE_LENGTH,
            (len as u16).to_be_bytes().to_vec(),
            WireError::BadLength {
                what: "message header",
                len,
            },
        ));
    }
    Ok(Some(len))
}

/// A decoded message with its RFC 7606 verdict (clean for non-UPDATEs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub message: Message,
    /// Octets consumed from the input.
    pub len: usize,
    pub verdict: Verdict,
}

impl Message {
    /// Decode the first whole message in `buf` (header included).
    pub fn decode(buf: &[u8], ctx: &Context) -> Result<Decoded, MessageError> {
        let len = match frame_len(buf, ctx)? {
            Some(l) => l,
            None => {
                return Err(header_error(
                    header_sub::BAD_MESSAGE_LENGTH,
                    Vec::new(),
                    WireError::Truncated {
                        what: "message header",
                        offset: 0,
                        need: HEADER_LEN,
                        have: buf.len(),
                    },
                ))
            }
        };
        let Some(msg) = buf.get(..len) else {
            return Err(header_error(
                header_sub::BAD_MESSAGE_LENGTH,
                Vec::new(),
                WireError::Truncated {
                    what: "message",
                    offset: 0,
                    need: len,
                    have: buf.len(),
                },
            ));
        };
        let ty = msg.get(18).copied().unwrap_or(0);
        let body = msg.get(HEADER_LEN..).unwrap_or(&[]);
        let bad_len = |min: usize| {
            header_error(
                header_sub::BAD_MESSAGE_LENGTH,
                (len as u16).to_be_bytes().to_vec(),
                WireError::BadLength {
                    what: "message",
                    len: min,
                },
            )
        };
        let mut verdict = Verdict::default();
        let message = match ty {
            1 => {
                // RFC 4271 §6.2: structural OPEN errors; 2/0 (unspecific).
                if body.len() < 10 {
                    return Err(bad_len(len));
                }
                Message::Open(Open::decode(body).map_err(|error| MessageError {
                    notification: Notification::new(codes::OPEN_MESSAGE, 0, Vec::new()),
                    error,
                })?)
            }
            2 => {
                if body.len() < 4 {
                    return Err(bad_len(len));
                }
                let (u, v) = Update::decode(body, ctx)?;
                verdict = v;
                Message::Update(u)
            }
            3 => {
                if body.len() < 2 {
                    return Err(bad_len(len));
                }
                Message::Notification(Notification::decode(body).map_err(|error| MessageError {
                    notification: Notification::new(
                        codes::MESSAGE_HEADER,
                        header_sub::BAD_MESSAGE_LENGTH,
                        Vec::new(),
                    ),
                    error,
                })?)
            }
            4 => {
                if !body.is_empty() {
                    return Err(bad_len(len));
                }
                Message::Keepalive
            }
            5 => {
                // RFC 7313 §5: wrong length is a ROUTE-REFRESH Message Error.
                let rr = RouteRefresh::decode(body).map_err(|error| MessageError {
                    notification: Notification::new(
                        codes::ROUTE_REFRESH,
                        route_refresh_sub::INVALID_MESSAGE_LENGTH,
                        msg.to_vec(),
                    ),
                    error,
                })?;
                Message::RouteRefresh(rr)
            }
            t => {
                return Err(header_error(
                    header_sub::BAD_MESSAGE_TYPE,
                    vec![t],
                    WireError::invalid("message type", t),
                ));
            }
        };
        Ok(Decoded {
            message,
            len,
            verdict,
        })
    }

    pub fn message_type(&self) -> MessageType {
        match self {
            Message::Open(_) => MessageType::Open,
            Message::Update(_) => MessageType::Update,
            Message::Notification(_) => MessageType::Notification,
            Message::Keepalive => MessageType::Keepalive,
            Message::RouteRefresh(_) => MessageType::RouteRefresh,
        }
    }

    /// Append the encoded message (header included) to `out`.
    pub fn encode(&self, ctx: &Context, out: &mut Vec<u8>) {
        encode_with_header(out, self.message_type(), |o| match self {
            Message::Open(m) => m.encode_body(o),
            Message::Update(m) => m.encode_body(ctx, o),
            Message::Notification(m) => m.encode_body(o),
            Message::Keepalive => {}
            Message::RouteRefresh(m) => m.encode_body(o),
        });
    }

    pub fn to_bytes(&self, ctx: &Context) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(ctx, &mut v);
        v
    }
}

/// Splits a byte stream into whole messages (partial reads allowed).
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    /// Where the next message starts: taking a message only moves this,
    /// so a read of many messages is not shifted once per message.
    start: usize,
}

impl Framer {
    pub fn new() -> Self {
        Framer {
            buf: Vec::with_capacity(MAX_MESSAGE_LEN),
            start: 0,
        }
    }
    pub fn push(&mut self, data: &[u8]) {
        // Reclaim the consumed front before growing.
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }
    /// The next whole message's bytes, if any.
    pub fn next_message(&mut self, ctx: &Context) -> Result<Option<Vec<u8>>, MessageError> {
        let rest = self.buf.get(self.start..).unwrap_or(&[]);
        match frame_len(rest, ctx)? {
            Some(len) => match rest.get(..len) {
                Some(m) => {
                    let m = m.to_vec();
                    self.start += len;
                    if self.start == self.buf.len() {
                        self.buf.clear();
                        self.start = 0;
                    }
                    Ok(Some(m))
                }
                None => Ok(None),
            },
            None => Ok(None),
        }
    }
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Give memory back after a burst: keep at most `cap` octets of
    /// capacity (or what is buffered, if more). A session that received a
    /// full table need not hold its largest read for the rest of its life.
    pub fn shrink(&mut self, cap: usize) {
        if self.buf.capacity() <= cap {
            return;
        }
        self.buf.drain(..self.start);
        self.start = 0;
        self.buf.shrink_to(cap.max(self.buf.len()));
    }
}

/// Iterate over whole messages in a buffer.
pub fn split_messages<'a>(
    buf: &'a [u8],
    ctx: &'a Context,
) -> impl Iterator<Item = Result<&'a [u8], MessageError>> + 'a {
    let mut r = Reader::new(buf, "message stream");
    let mut done = false;
    std::iter::from_fn(move || {
        if done || r.is_empty() {
            return None;
        }
        let rest = {
            let mut peek = r.clone();
            peek.rest()
        };
        match frame_len(rest, ctx) {
            Ok(Some(len)) => match r.take(len) {
                Ok(m) => Some(Ok(m)),
                Err(error) => {
                    done = true;
                    Some(Err(header_error(
                        header_sub::BAD_MESSAGE_LENGTH,
                        Vec::new(),
                        error,
                    )))
                }
            },
            Ok(None) => {
                done = true;
                Some(Err(header_error(
                    header_sub::BAD_MESSAGE_LENGTH,
                    Vec::new(),
                    WireError::Truncated {
                        what: "message header",
                        offset: r.position(),
                        need: HEADER_LEN,
                        have: r.remaining(),
                    },
                )))
            }
            Err(e) => {
                done = true;
                Some(Err(e))
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn framer_shrinks_after_a_burst_and_keeps_what_is_buffered() {
        let ctx = Context::default();
        let mut stream = Vec::new();
        for _ in 0..5000 {
            Message::Keepalive.encode(&ctx, &mut stream);
        }
        let mut f = Framer::new();
        // A burst, cut inside the last message.
        f.push(&stream[..stream.len() - 5]);
        while f.next_message(&ctx).unwrap().is_some() {}
        assert!(f.buf.capacity() >= 90_000);
        f.shrink(4096);
        assert!(f.buf.capacity() < 90_000, "{}", f.buf.capacity());
        assert_eq!(f.buffered(), 14);
        f.push(&stream[stream.len() - 5..]);
        assert_eq!(f.next_message(&ctx).unwrap().unwrap(), stream[..19]);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn framer_splits_a_stream_cut_anywhere() {
        let ctx = Context::default();
        let mut stream = Vec::new();
        let msgs = [
            Message::Keepalive,
            Message::Update(crate::Update::end_of_rib(crate::AfiSafi::IPV6_UNICAST)),
            Message::Keepalive,
        ];
        for m in &msgs {
            m.encode(&ctx, &mut stream);
        }
        for cut in [1, 7, 19, 20, 30, stream.len()] {
            let mut f = Framer::new();
            let mut got = Vec::new();
            for chunk in stream.chunks(cut) {
                f.push(chunk);
                while let Some(m) = f.next_message(&ctx).unwrap() {
                    got.push(m);
                }
            }
            assert_eq!(f.buffered(), 0, "cut {cut}");
            assert_eq!(got.concat(), stream, "cut {cut}");
            assert_eq!(got.len(), msgs.len(), "cut {cut}");
        }
        // A partial message stays buffered until the rest comes.
        let mut f = Framer::new();
        f.push(&stream[..25]);
        assert!(f.next_message(&ctx).unwrap().is_some());
        assert_eq!(f.next_message(&ctx).unwrap(), None);
        assert_eq!(f.buffered(), 6);
        f.push(&stream[25..]);
        assert_eq!(
            f.next_message(&ctx).unwrap().unwrap().len(),
            stream.len() - 19 - 19
        );
    }
}
