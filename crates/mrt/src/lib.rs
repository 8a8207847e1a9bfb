//! # rbgp-mrt
//!
//! MRT routing information export format (RFC 6396, ADD-PATH extensions of
//! RFC 8050): read and write TABLE_DUMP, TABLE_DUMP_V2 and BGP4MP(_ET)
//! records, stream them from plain, gzip or bzip2 files with constant
//! memory, turn them into route elements, and print them exactly as
//! `bgpdump -m` does.
//!
//! ```no_run
//! use rbgp_mrt::{elem::ElemDecoder, io};
//! let mut elems = ElemDecoder::new();
//! let mut out = Vec::new();
//! for rec in io::open("updates.20160811.1600.gz")? {
//!     match rec {
//!         Ok(raw) => {
//!             if let Ok(r) = raw.decode() {
//!                 elems.decode(&r, &mut out);
//!             }
//!         }
//!         // A truncated file ends here, after its last whole record.
//!         Err(e) => eprintln!("warning: {e}"),
//!     }
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! * Sans-async: plain `std::io::Read`/`Write`.
//! * Hostile-input safe: no input can panic the reader or decoders; a
//!   record that does not decode is an error for that record only.
#![forbid(unsafe_code)]

pub mod bgpdump;
pub mod elem;
pub mod elem_text;
pub mod error;
pub mod file;
pub mod io;
pub mod record;

pub use error::MrtError;
pub use io::{open, Reader, Writer};
pub use record::{Header, MrtRecord, RawRecord, Record};
