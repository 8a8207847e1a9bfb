//! # rbgp-wire
//!
//! A BGP-4 codec: every message, capability, path attribute and NLRI family
//! that real routers send, decoded and encoded byte for byte.
//!
//! * **Sans-IO**: feed it bytes, get typed values back; no sockets, no async
//!   runtime, no clocks.
//! * **Hostile-input safe**: every read is bounds-checked, no input panics,
//!   and every error names what was being decoded.
//! * **RFC 7606**: [`Update::decode`] returns a [`Verdict`] (AFI/SAFI disable,
//!   treat-as-withdraw with the affected NLRI, attribute discard) beside the
//!   parsed update, or an error carrying the NOTIFICATION for a session reset.
//! * **Fast**: [`view::UpdateView`] walks an UPDATE over the received bytes
//!   without allocating; the owned types are for building and keeping.
//!
//! ```
//! use rbgp_wire::{Context, Message};
//! let keepalive = [0xff; 16].iter().copied().chain([0, 19, 4]).collect::<Vec<u8>>();
//! let d = Message::decode(&keepalive, &Context::default()).unwrap();
//! assert_eq!(d.message, Message::Keepalive);
//! ```
#![forbid(unsafe_code)]

/// `impl Serialize` as the type's `Display` text (prefixes, RDs,
/// communities...), when the `serde` feature is on.
macro_rules! serialize_display {
    ($($t:ty),* $(,)?) => {$(
        #[cfg(feature = "serde")]
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}

pub mod afi;
pub mod attr;
pub mod capability;
pub mod context;
pub mod elem;
pub mod error;
pub mod header;
pub mod message;
pub mod nlri;
pub mod notification;
pub mod open;
pub mod prefix;
pub mod reader;
pub mod route_refresh;
pub mod update;
pub mod view;

pub use afi::{Afi, AfiSafi, Safi};
pub use attr::{AttrValue, PathAttribute};
pub use capability::Capability;
pub use context::Context;
pub use error::{ParseError, WireError};
pub use message::{Decoded, Message, MessageError};
pub use nlri::{Nlri, NlriEntry};
pub use notification::Notification;
pub use open::Open;
pub use prefix::{Ipv4Prefix, Ipv6Prefix, Prefix};
pub use route_refresh::RouteRefresh;
pub use update::{Update, UpdateError, Verdict};
