//! The control vocabulary: what the API, SIGHUP reload and tests ask of a
//! running daemon and what it answers (neighbors and sessions, RIB queries
//! and their routes, injected routes, errors). Plain data: the messages
//! that carry these between tasks are in [`crate::tasks`], the way to send
//! them is [`crate::handle::Handle`].

mod error;
mod routes;
mod session;

pub use error::ControlError;
pub use routes::{
    step_name, AttrMatch, Explained, LocalRoute, Origin, PolicyTrace, PrefixMatch, RibQuery,
    RibSizes, RouteEntry, RoutePage, Table,
};
pub use session::{
    Direction, FamilyCounts, Identity, ImportCounters, LastNotification, MessageCounts,
    NeighborStatus, NotificationCount, ReloadSummary, SessionStatus, SoftReset,
};

use rbgp_wire::AfiSafi;

/// Families as text for logs ("ipv4_unicast ipv6_unicast").
pub fn families_text(families: &[AfiSafi]) -> String {
    families
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}
