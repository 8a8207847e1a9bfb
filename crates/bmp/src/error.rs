//! Why BMP bytes could not be decoded. Every error names what was being
//! decoded so a log line says where the input went wrong.

use rbgp_wire::{MessageError, WireError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BmpError {
    /// A field ran past its container, or held a value the RFC forbids.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// RFC 7854 §4.1: this decoder speaks version 3 only.
    #[error("BMP common header: unsupported version {0} (RFC 7854 §4.1 defines version 3; 4 is draft-ietf-grow-bmp-tlv)")]
    Version(u8),
    /// The common header's length is below the header itself or above
    /// [`crate::MAX_MESSAGE_LEN`].
    #[error("BMP common header: implausible message length {0}")]
    Length(u32),
    /// An embedded BGP PDU (OPEN, NOTIFICATION, UPDATE) did not decode.
    #[error("{what}: embedded BGP message: {error}")]
    Bgp {
        what: &'static str,
        error: MessageError,
    },
    /// The embedded BGP PDU is of the wrong type.
    #[error("{what}: expected a BGP {expected}, found message type {found}")]
    BgpType {
        what: &'static str,
        expected: &'static str,
        found: u8,
    },
}

impl BmpError {
    pub(crate) fn bgp(what: &'static str, error: MessageError) -> Self {
        BmpError::Bgp { what, error }
    }
}
