//! The message header (RFC 4271 §4.1): marker, length, type, and the size
//! limits of RFC 4271 and RFC 8654. Every message encoder writes its body
//! through [`encode_with_header`]; kept apart from `message` so that the
//! per-type modules (`update`, ...) need not import the `Message` enum
//! that imports them.

pub const HEADER_LEN: usize = 19;
pub const MARKER: [u8; 16] = [0xff; 16];

/// RFC 4271 §4.1.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// RFC 8654.
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    Open = 1,
    Update = 2,
    Notification = 3,
    Keepalive = 4,
    RouteRefresh = 5,
}

/// Write marker, length placeholder and type, then the body, then patch
/// the length. Bodies too long for a u16 are the caller's bug: the length
/// saturates (and a peer will reject the message) rather than wrapping.
pub(crate) fn encode_with_header(
    out: &mut Vec<u8>,
    ty: MessageType,
    body: impl FnOnce(&mut Vec<u8>),
) {
    let start = out.len();
    out.extend_from_slice(&MARKER);
    out.extend_from_slice(&[0, 0, ty as u8]);
    body(out);
    let len = (out.len() - start).min(MAX_EXTENDED_MESSAGE_LEN) as u16;
    if let Some(l) = out.get_mut(start + 16..start + 18) {
        l.copy_from_slice(&len.to_be_bytes());
    }
}
