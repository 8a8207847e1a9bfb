//! Best-path selection: RFC 4271 §9.1.2.2 plus the tie-breakers operators
//! expect, each step named so that a decision can be explained.

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr};

use rbgp_wire::attr::{Community, Origin};

use crate::path::Path;

/// What best-path needs to know about the peer a path came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub asn: u32,
    pub router_id: Ipv4Addr,
    pub address: IpAddr,
    /// Internal (same AS, or a confederation member).
    pub ibgp: bool,
}

impl PeerInfo {
    /// The entry for routes we originate ourselves (static or API).
    pub const fn local(asn: u32, router_id: Ipv4Addr) -> Self {
        PeerInfo {
            asn,
            router_id,
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ibgp: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SelectionOptions {
    /// Compare MED between paths from different neighbour ASes.
    pub always_compare_med: bool,
    /// Pick the best of each neighbour AS first, then compare the winners
    /// (order-independent MED, as `bgp deterministic-med`).
    pub deterministic_med: bool,
    /// A missing MED counts as the worst (4294967295) instead of 0.
    pub med_missing_as_worst: bool,
}

/// The step that decided between two paths, in the order applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// RFC 9494 §4.2: LLGR_STALE paths lose to any other.
    LlgrStale,
    /// Highest LOCAL_PREF (missing: 100).
    LocalPref,
    /// Shortest AS_PATH (an AS_SET counts 1, confederation segments 0).
    AsPathLength,
    /// Lowest ORIGIN (IGP < EGP < INCOMPLETE).
    Origin,
    /// Lowest MED, between paths from the same neighbour AS.
    Med,
    /// External over internal.
    EbgpOverIbgp,
    /// Lowest BGP identifier (ORIGINATOR_ID when present, RFC 4456 §9).
    RouterId,
    /// Shortest CLUSTER_LIST (RFC 4456 §9).
    ClusterListLength,
    /// Lowest peer address.
    PeerAddress,
    /// Lowest ADD-PATH path identifier (same peer, several paths).
    PathId,
    /// Nothing tells them apart.
    Equal,
}

fn neighbour_as(p: &Path, peer: &PeerInfo) -> u32 {
    // The first AS of the path; a locally originated or iBGP path with an
    // empty AS_PATH belongs to our own AS.
    p.attrs.as_path.first_as().unwrap_or(peer.asn)
}

fn med(p: &Path, o: &SelectionOptions) -> u32 {
    p.attrs
        .med
        .unwrap_or(if o.med_missing_as_worst { u32::MAX } else { 0 })
}

fn origin_rank(o: Option<Origin>) -> u8 {
    match o {
        Some(Origin::Igp) => 0,
        Some(Origin::Egp) => 1,
        Some(Origin::Incomplete) | None => 2,
    }
}

/// Compare two paths. `Less` means `a` is better. `use_med` says whether
/// the MED step applies to this pair.
fn compare_inner(
    a: &Path,
    pa: &PeerInfo,
    b: &Path,
    pb: &PeerInfo,
    o: &SelectionOptions,
    use_med: bool,
) -> (Ordering, Step) {
    // RFC 9494 §4.3: long-lived stale routes are the least preferred. Stale
    // routes of a plain graceful restart (RFC 4724) are not: they are kept
    // for forwarding as they were, and marking them stale changes no best
    // path (`Rib::mark_stale` selects nothing again).
    let stale = |p: &Path| p.attrs.has_community(Community::LLGR_STALE);
    let steps: [(Step, Ordering); 10] = [
        (Step::LlgrStale, stale(a).cmp(&stale(b))),
        (
            Step::LocalPref,
            b.attrs
                .local_pref
                .unwrap_or(100)
                .cmp(&a.attrs.local_pref.unwrap_or(100)),
        ),
        (
            Step::AsPathLength,
            a.attrs.as_path.path_len().cmp(&b.attrs.as_path.path_len()),
        ),
        (
            Step::Origin,
            origin_rank(a.attrs.origin).cmp(&origin_rank(b.attrs.origin)),
        ),
        (
            Step::Med,
            if use_med && (o.always_compare_med || neighbour_as(a, pa) == neighbour_as(b, pb)) {
                med(a, o).cmp(&med(b, o))
            } else {
                Ordering::Equal
            },
        ),
        (Step::EbgpOverIbgp, pa.ibgp.cmp(&pb.ibgp)),
        (
            Step::RouterId,
            u32::from(a.attrs.originator_id.unwrap_or(pa.router_id))
                .cmp(&u32::from(b.attrs.originator_id.unwrap_or(pb.router_id))),
        ),
        (
            Step::ClusterListLength,
            a.attrs.cluster_list.len().cmp(&b.attrs.cluster_list.len()),
        ),
        (Step::PeerAddress, pa.address.cmp(&pb.address)),
        (Step::PathId, a.path_id.cmp(&b.path_id)),
    ];
    steps
        .into_iter()
        .find(|(_, ord)| *ord != Ordering::Equal)
        .map(|(s, ord)| (ord, s))
        .unwrap_or((Ordering::Equal, Step::Equal))
}

/// Compare two paths; `Less` means `a` is preferred.
pub fn compare(
    a: &Path,
    pa: &PeerInfo,
    b: &Path,
    pb: &PeerInfo,
    o: &SelectionOptions,
) -> (Ordering, Step) {
    compare_inner(a, pa, b, pb, o, true)
}

/// The index of the best path, or `None` for an empty list. `peer` looks up
/// the peer of a path.
pub fn best_path<'p>(
    paths: &[Path],
    peer: impl Fn(&Path) -> &'p PeerInfo,
    o: &SelectionOptions,
) -> Option<usize> {
    explain_inner(paths, &peer, o, false).map(|e| e.best)
}

/// One comparison made while selecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The path that lost (index into the candidates).
    pub loser: usize,
    /// The path it lost to.
    pub winner: usize,
    pub step: Step,
}

/// Why the best path won: every candidate's defeat and its deciding step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub best: usize,
    pub decisions: Vec<Decision>,
}

/// Select and explain.
pub fn explain<'p>(
    paths: &[Path],
    peer: impl Fn(&Path) -> &'p PeerInfo,
    o: &SelectionOptions,
) -> Option<Explanation> {
    explain_inner(paths, &peer, o, true)
}

fn explain_inner<'p>(
    paths: &[Path],
    peer: &dyn Fn(&Path) -> &'p PeerInfo,
    o: &SelectionOptions,
    record: bool,
) -> Option<Explanation> {
    let mut decisions = Vec::new();
    let duel = |cur: usize, i: usize, use_med: bool, decisions: &mut Vec<Decision>| -> usize {
        let (Some(a), Some(b)) = (paths.get(cur), paths.get(i)) else {
            return cur;
        };
        let (ord, step) = compare_inner(b, peer(b), a, peer(a), o, use_med);
        let (winner, loser) = if ord == Ordering::Less {
            (i, cur)
        } else {
            (cur, i)
        };
        if record {
            decisions.push(Decision {
                loser,
                winner,
                step,
            });
        }
        winner
    };
    if paths.is_empty() {
        return None;
    }
    if !o.deterministic_med || o.always_compare_med {
        let mut best = 0;
        for i in 1..paths.len() {
            best = duel(best, i, true, &mut decisions);
        }
        return Some(Explanation { best, decisions });
    }
    // Deterministic MED: best per neighbour AS (MED applies inside a
    // group), then the group winners against each other.
    let mut groups: Vec<(u32, usize)> = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let nas = neighbour_as(p, peer(p));
        match groups.iter_mut().find(|(a, _)| *a == nas) {
            Some((_, w)) => *w = duel(*w, i, true, &mut decisions),
            None => groups.push((nas, i)),
        }
    }
    let mut it = groups.iter().map(|(_, w)| *w);
    let mut best = it.next()?;
    for w in it {
        best = duel(best, w, false, &mut decisions);
    }
    Some(Explanation { best, decisions })
}
