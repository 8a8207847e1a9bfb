//! # rbgp-wire
//!
//! A BGP-4 codec: every message, capability, path attribute and NLRI family
//! that real routers send, decoded and encoded byte for byte.
//!
//! * **Sans-IO**: feed it bytes, get typed values back; no sockets, no async
//!   runtime, no clocks.
//! * **Hostile-input safe**: every read is bounds-checked, no input panics,
//!   and every error names what was being decoded.
//! * **RFC 7606**: UPDATE decoding returns a verdict (session reset with the
//!   NOTIFICATION to send, AFI/SAFI disable, treat-as-withdraw, attribute
//!   discard) beside the parsed update.
//! * **Fast**: [`view::UpdateView`] walks an UPDATE over the received bytes
//!   without allocating; the owned types are for building and keeping.
#![forbid(unsafe_code)]

pub mod afi;
pub mod context;
pub mod error;
pub mod nlri;
pub mod prefix;
pub mod reader;

pub use afi::{Afi, AfiSafi, Safi};
pub use context::Context;
pub use error::{ParseError, WireError};
pub use nlri::{Nlri, NlriEntry};
pub use prefix::{Ipv4Prefix, Ipv6Prefix, Prefix};

pub mod header {
    pub const MAX_MESSAGE_LEN: usize = 4096;
    pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;
}
