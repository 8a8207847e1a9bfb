//! Decoding errors. Every error names what was being decoded, so that a
//! log line or a NOTIFICATION reason says where the input went wrong.

use thiserror::Error;

/// Why some bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// The input ended before `what` was complete.
    #[error("{what}: truncated at offset {offset}: need {need} more bytes, {have} left")]
    Truncated {
        what: &'static str,
        offset: usize,
        need: usize,
        have: usize,
    },
    /// A field held a value that the specification does not allow.
    #[error("{what}: invalid value {value}")]
    Invalid { what: &'static str, value: u64 },
    /// A length field disagrees with the data around it.
    #[error("{what}: bad length {len}")]
    BadLength { what: &'static str, len: usize },
    /// Bytes were left over after `what` was complete.
    #[error("{what}: {extra} trailing bytes")]
    Trailing { what: &'static str, extra: usize },
    /// Anything else, explained.
    #[error("{what}: {detail}")]
    Malformed { what: &'static str, detail: String },
}

impl WireError {
    pub(crate) fn invalid(what: &'static str, value: impl Into<u64>) -> Self {
        WireError::Invalid {
            what,
            value: value.into(),
        }
    }

    pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> Self {
        WireError::Malformed {
            what,
            detail: detail.into(),
        }
    }
}

/// Why a text form (prefix, community, RD, FlowSpec rule...) could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot parse {what} from {input:?}: {reason}")]
pub struct ParseError {
    pub what: &'static str,
    pub input: String,
    pub reason: String,
}

impl ParseError {
    pub fn new(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        ParseError {
            what,
            input: input.to_string(),
            reason: reason.into(),
        }
    }
}
