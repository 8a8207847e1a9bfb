//! # rbgp-bmp
//!
//! The BGP Monitoring Protocol (RFC 7854) with Adj-RIB-Out (RFC 8671) and
//! Loc-RIB (RFC 9069) monitoring: every message decoded and encoded,
//! BGP PDUs inside read with `rbgp-wire`.
//!
//! * [`message`]: the seven message types; stateless decode/encode.
//! * [`session::BmpSession`]: one monitored router's stream; remembers each
//!   peer's Peer Up OPENs and reads its Route Monitoring UPDATEs with the
//!   negotiated 4-octet AS / ADD-PATH / extended message context (and
//!   guesses, with a warning, when no Peer Up was seen).
//! * [`framer`]: messages from any byte stream, with a documented
//!   resynchronisation policy for garbage.
//! * [`openbmp`]: the OpenBMP `raw_bmp` (Kafka) header.
//! * [`tables::Tables`]: the routes a station holds per peer and view
//!   (pre/post-policy Adj-RIB-In, Loc-RIB, Adj-RIB-Out).
//!
//! Sans-IO: no sockets, no async runtime. No input panics.
//!
//! ```
//! use rbgp_bmp::message::{BmpMessage, Initiation};
//! use rbgp_bmp::session::BmpSession;
//! use rbgp_bmp::tlv::{Tlv, INIT_SYS_NAME};
//!
//! let bytes = BmpMessage::Initiation(Initiation {
//!     information: vec![Tlv::string(INIT_SYS_NAME, "r1")],
//! })
//! .to_bytes();
//! let mut session = BmpSession::new();
//! for frame in rbgp_bmp::framer::split(&bytes) {
//!     if let rbgp_bmp::framer::Frame::Message(m) = frame {
//!         let p = session.process(&m).unwrap();
//!         assert!(matches!(p.message, BmpMessage::Initiation(_)));
//!     }
//! }
//! ```
#![forbid(unsafe_code)]

pub mod error;
pub mod framer;
pub mod header;
pub mod message;
pub mod openbmp;
pub mod session;
pub mod stats;
pub mod tables;
pub mod tlv;

pub use error::BmpError;
pub use header::{PeerFlags, PeerHeader, PeerType, MAX_MESSAGE_LEN};
pub use message::{BmpMessage, PeerDownReason};
pub use session::{BmpSession, Processed};
pub use tables::{Tables, View};

/// Lower-case hex of `b`.
pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

#[cfg(feature = "serde")]
pub(crate) fn ser_hex<S: serde::Serializer, B: AsRef<[u8]>>(v: B, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(v.as_ref()))
}

#[cfg(feature = "serde")]
pub(crate) fn ser_lossy<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(v))
}
