//! RPKI for BGP, sans-IO.
//!
//! - [`pdu`]: the RPKI-to-Router PDUs of RFC 6810 (version 0), RFC 8210
//!   (version 1) and draft-ietf-sidrops-8210bis (version 2, ASPA), decoded
//!   with exact length checks and the Error Report code to send.
//! - [`session`]: the router side of one cache connection as a state
//!   machine fed bytes and time values: version negotiation, serial/reset
//!   queries, timers, and changes delivered atomically at End of Data.
//! - [`record`]: what a cache sends (VRPs, ASPAs, router keys) and the
//!   [`Delta`](record::Delta) between two End of Data PDUs.
//! - [`table`]: VRPs indexed for covering-prefix lookup, ASPAs by customer.
//! - [`rov`]: route origin validation (RFC 6811).
//! - [`aspa`]: AS_PATH verification (draft-ietf-sidrops-aspa-verification).
//! - [`json`]: rpki-client, routinator jsonext and StayRTR JSON snapshots.
//!
//! Nothing here does I/O or reads a clock: the caller passes bytes and
//! `Instant`s and sends what it is given.
#![forbid(unsafe_code)]

pub mod aspa;
pub mod code;
pub mod json;
pub mod pdu;
pub mod record;
pub mod rov;
pub mod session;
pub mod table;

pub use aspa::{AspaState, Direction};
pub use code::ErrorCode;
pub use pdu::{Pdu, PduError, Timers};
pub use record::{Aspa, Delta, RouterKey, Vrp};
pub use rov::RovState;
pub use session::{Event, Session, SessionConfig, SessionError};
pub use table::{Changed, Table};
