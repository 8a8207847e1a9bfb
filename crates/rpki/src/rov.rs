//! Route origin validation (RFC 6811).

use rbgp_wire::attr::{AsPath, SegmentType};
use rbgp_wire::Prefix;

use crate::table::Table;

/// The validation state of a route (RFC 6811 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RovState {
    /// A VRP covers the route and matches its origin AS and length.
    Valid,
    /// VRPs cover the route but none matches.
    Invalid,
    /// No VRP covers the route.
    NotFound,
}

/// The route's origin AS (RFC 6811 §2, "Route Origin ASN"):
///
/// - the rightmost AS of the final segment if that segment is an
///   AS_SEQUENCE;
/// - `local_as` (the BGP speaker's own AS) if the final segment is an
///   AS_CONFED_SEQUENCE or AS_CONFED_SET, or if the path is empty (a route
///   this speaker originated, or one from an iBGP peer that did);
/// - `None` (the RFC's "NONE") if the final segment is an AS_SET, or an
///   AS_SEQUENCE with no AS in it.
///
/// `None` never matches a VRP, so a covered route with it is Invalid.
pub fn origin_of(path: &AsPath, local_as: u32) -> Option<u32> {
    match path.segments.last() {
        None => Some(local_as),
        Some(s) => match s.kind {
            SegmentType::Sequence => s.asns.last().copied(),
            SegmentType::ConfedSequence | SegmentType::ConfedSet => Some(local_as),
            SegmentType::Set => None,
        },
    }
}

impl Table {
    /// The RFC 6811 §2 state of a route to `prefix` originated by `origin`
    /// (see [`origin_of`]).
    ///
    /// A VRP matches if it covers the prefix, its ASN is the origin, the
    /// ASN is not 0, and the route's length is at most the VRP's max
    /// length. AS 0 in a VRP never matches (RFC 6483 §4, RFC 7607): such a
    /// VRP only makes covered routes Invalid.
    pub fn validate(&self, prefix: &Prefix, origin: Option<u32>) -> RovState {
        let mut covered = false;
        let len = prefix.len();
        let matched = self.covering_until(prefix, |v| {
            covered = true;
            v.asn != 0 && Some(v.asn) == origin && len <= v.max_len
        });
        match (matched, covered) {
            (true, _) => RovState::Valid,
            (false, true) => RovState::Invalid,
            (false, false) => RovState::NotFound,
        }
    }
}
