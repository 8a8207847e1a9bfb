//! AS_PATH verification with ASPA records
//! (draft-ietf-sidrops-aspa-verification, the July 2026 revision; section
//! numbers below are that revision's).
//!
//! The path is compressed (consecutive duplicates removed, §5.1) and read
//! from the origin AS(1) to the neighbor AS(N). Each adjacent pair is
//! looked up with [`authorized`] (§5.2); the bounds on the up-ramp and the
//! down-ramp (§5.3) decide the outcome: upstream (§5.4) for routes from a
//! customer, a lateral peer, an RS-client (at an RS) or an RS (at an
//! RS-client); downstream (§5.5) for routes from a provider.

use std::collections::HashMap;
use std::hash::BuildHasher;

use rbgp_wire::attr::{AsPath, SegmentType};

use crate::table::Table;

/// The outcome of AS_PATH verification (§5.4, §5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AspaState {
    Valid,
    Invalid,
    Unknown,
}

/// Which algorithm applies, by the neighbor's role (§5.4, §5.5; RFC 9234
/// roles, §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From a Customer, a lateral Peer, an RS-client (we are the RS), or
    /// an RS (we are its client): only an up-ramp is allowed (§5.4).
    Upstream,
    /// From a Provider: an up-ramp then a down-ramp (§5.5).
    Downstream,
}

/// The provider authorization function's result (§5.2, Figure 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authorized {
    /// AS y is in the U-SPAS of AS x.
    ProviderPlus,
    /// AS x has an ASPA and AS y is not in it.
    NotProviderPlus,
    /// AS x has no ASPA.
    NoAttestation,
}

/// Where ASPAs are looked up: the providers a customer attests, sorted
/// (the union of its ASPAs, §5.2), or `None` without an ASPA.
pub trait Providers {
    fn providers_of(&self, customer: u32) -> Option<&[u32]>;
}

impl Providers for Table {
    fn providers_of(&self, customer: u32) -> Option<&[u32]> {
        self.providers(customer)
    }
}

impl<S: BuildHasher> Providers for HashMap<u32, Vec<u32>, S> {
    fn providers_of(&self, customer: u32) -> Option<&[u32]> {
        self.get(&customer).map(|v| &v[..])
    }
}

/// `authorized(AS x, AS y)` (§5.2). AS 0 in a provider list is no
/// provider (§4: "an unexpected presence of AS 0 has no influence"); a
/// path never holds AS 0 legitimately, and we do not let an AS0 ASPA make
/// it Provider+.
pub fn authorized(aspas: &impl Providers, x: u32, y: u32) -> Authorized {
    match aspas.providers_of(x) {
        None => Authorized::NoAttestation,
        Some(p) if y != 0 && p.binary_search(&y).is_ok() => Authorized::ProviderPlus,
        Some(_) => Authorized::NotProviderPlus,
    }
}

/// The COMPRESSED_AS_PATH (§5.1) from the origin AS(1) to the neighbor
/// AS(N), or `None` if the path has an AS_SET (§5.4/§5.5 step 3).
///
/// Confederation segments are skipped: they are internal to the
/// confederation (RFC 5065 §5.3 keeps them out of the path length), and
/// the draft does not recommend verification inside one (§6.2).
pub fn compress(path: &AsPath) -> Option<Vec<u32>> {
    let mut out: Vec<u32> = Vec::with_capacity(path.path_len());
    for s in path.segments.iter().rev() {
        match s.kind {
            SegmentType::Set => return None,
            SegmentType::ConfedSequence | SegmentType::ConfedSet => {}
            SegmentType::Sequence => {
                for &a in s.asns.iter().rev() {
                    if out.last() != Some(&a) {
                        out.push(a);
                    }
                }
            }
        }
    }
    Some(out)
}

/// The four bounds of §5.3 for a compressed path `a` (origin first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ramps {
    pub max_up: usize,
    pub min_up: usize,
    pub max_down: usize,
    pub min_down: usize,
}

/// §5.3: max_up_ramp is the first I (1-based) with authorized(A(I),
/// A(I+1)) = Not Provider+, min_up_ramp the first with anything but
/// Provider+ (N if none); max_down_ramp is N - J + 1 for the last J with
/// authorized(A(J), A(J-1)) = Not Provider+, min_down_ramp the same for
/// anything but Provider+ (N if none).
pub fn ramps(aspas: &impl Providers, a: &[u32]) -> Ramps {
    let n = a.len();
    let mut r = Ramps {
        max_up: n,
        min_up: n,
        max_down: n,
        min_down: n,
    };
    // Hop i (0-based) joins A(i+1) and A(i+2) in the draft's numbering.
    for (i, w) in a.windows(2).enumerate() {
        let &[x, y] = w else { continue };
        match authorized(aspas, x, y) {
            Authorized::ProviderPlus => continue,
            Authorized::NoAttestation => r.min_up = r.min_up.min(i + 1),
            Authorized::NotProviderPlus => {
                r.min_up = r.min_up.min(i + 1);
                r.max_up = i + 1;
                break;
            }
        }
    }
    for (i, w) in a.windows(2).enumerate().rev() {
        // J = i + 2 (1-based index of the customer end of the pair).
        let &[y, x] = w else { continue };
        let j = i + 2;
        match authorized(aspas, x, y) {
            Authorized::ProviderPlus => continue,
            Authorized::NoAttestation => r.min_down = r.min_down.min(n + 1 - j),
            Authorized::NotProviderPlus => {
                r.min_down = r.min_down.min(n + 1 - j);
                r.max_down = n + 1 - j;
                break;
            }
        }
    }
    r
}

/// Verify `path`, received from a neighbor in AS `neighbor_asn`, by the
/// algorithm for `direction` (§5.4 or §5.5).
pub fn verify(
    aspas: &impl Providers,
    path: &AsPath,
    neighbor_asn: u32,
    direction: Direction,
) -> AspaState {
    verify_path(aspas, path, Some(neighbor_asn), direction)
}

/// As [`verify`]; `neighbor_asn: None` skips the neighbor check. §5.4 step
/// 2 skips it when the receiving AS is an RS-client: a transparent route
/// server does not add its AS to the path (RFC 7947), so the most recent
/// AS is the client that sent the route to the RS. Pass `None` only for
/// that case (with [`Direction::Upstream`]); §5.5 always checks.
pub fn verify_path(
    aspas: &impl Providers,
    path: &AsPath,
    neighbor_asn: Option<u32>,
    direction: Direction,
) -> AspaState {
    // Step 3 (AS_SET) is checked while compressing; the order of steps 1-3
    // does not matter, as each halts with Invalid.
    let Some(a) = compress(path) else {
        return AspaState::Invalid;
    };
    // Step 1: an empty path.
    let Some(&last) = a.last() else {
        return AspaState::Invalid;
    };
    // Step 2: the most recently added AS must be the neighbor's.
    if neighbor_asn.is_some_and(|n| n != last) {
        return AspaState::Invalid;
    }
    let n = a.len();
    let r = ramps(aspas, &a);
    // Upstream: max_down_ramp and min_down_ramp are 0 (§5.4).
    let (max_down, min_down) = match direction {
        Direction::Upstream => (0, 0),
        Direction::Downstream => (r.max_down, r.min_down),
    };
    if r.max_up + max_down < n {
        AspaState::Invalid
    } else if r.min_up + min_down < n {
        AspaState::Unknown
    } else {
        AspaState::Valid
    }
}
