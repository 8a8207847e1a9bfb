//! One path to an NLRI and the ids it is known by. Shared by the table
//! (which stores paths) and best-path selection (which ranks them), so
//! that neither of the two imports the other.

use std::sync::Arc;

use crate::attrs::Attrs;
use crate::validation::Validation;

/// Index of a peer in the RIB's peer table.
pub type PeerId = u32;

/// A route's slot: stable from the first path of an NLRI until the slot is
/// released ([`Rib::release_unused`]).
pub type RouteId = u32;

/// One path to an NLRI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub peer: PeerId,
    /// ADD-PATH identifier as received (0 without ADD-PATH).
    pub path_id: u32,
    pub attrs: Arc<Attrs>,
    /// Kept through a peer's graceful restart (RFC 4724 §4.2).
    pub stale: bool,
    /// When it was received, on the RIB's clock ([`Rib::set_clock`]).
    pub since: u32,
    /// RPKI states when it was imported or last revalidated.
    pub validation: Validation,
}

impl Path {
    /// Who sent it and with which attributes (pointer identity: attributes
    /// are interned).
    pub(crate) fn identity(&self) -> (PeerId, u32, *const Attrs, bool) {
        (
            self.peer,
            self.path_id,
            Arc::as_ptr(&self.attrs),
            self.stale,
        )
    }
}
