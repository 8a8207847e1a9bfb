//! # rbgp-rib
//!
//! Routing state without I/O: paths with interned attribute sets
//! ([`Interner`]), a RIB keyed by NLRI holding every peer's paths
//! ([`Rib`]), and best-path selection per RFC 4271 §9.1.2 with the usual
//! tie-breakers ([`best_path`], [`explain`]). One task owns a `Rib`; others
//! talk to it through channels, so nothing here locks.
#![forbid(unsafe_code)]

mod attrs;
mod best;
mod path;
pub mod rules;
mod table;
mod validation;

pub use attrs::{Attrs, Interner};
pub use best::{
    best_path, compare, explain, Decision, Explanation, PeerInfo, SelectionOptions, Step,
};
pub use path::{Path, PeerId, RouteId};
pub use table::{Change, Rib, Route};
pub use validation::{Aspa, Rpki, Validation};
