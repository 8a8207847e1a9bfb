//! Errors from reading and decoding MRT.

use rbgp_wire::WireError;
use thiserror::Error;

/// Why an MRT stream or record could not be read.
#[derive(Debug, Error)]
pub enum MrtError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The stream ended inside a record: everything before `offset` was
    /// whole. Readers yield this once, after the last whole record.
    #[error("file truncated at offset {offset}: {what} needs {need} bytes, only {have} left")]
    Truncated {
        offset: u64,
        what: &'static str,
        need: u64,
        have: u64,
    },
    /// A header that cannot be right (e.g. an extended-timestamp record
    /// shorter than its microsecond field, RFC 6396 §3).
    #[error("bad MRT header at offset {offset}: {detail}")]
    BadHeader { offset: u64, detail: String },
    /// A record body that does not decode.
    #[error("MRT type {mrt_type} subtype {subtype}: {error}")]
    Body {
        mrt_type: u16,
        subtype: u16,
        #[source]
        error: WireError,
    },
}

impl MrtError {
    /// True for the end-of-stream condition that still leaves every
    /// earlier record valid.
    pub fn is_truncation(&self) -> bool {
        matches!(self, MrtError::Truncated { .. })
    }
}
