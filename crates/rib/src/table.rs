//! The RIB: for every NLRI of every family, the paths received from each
//! peer (Adj-RIB-In after import policy) and the selected best (Loc-RIB).

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use rbgp_wire::{AfiSafi, Nlri};
use smallvec::SmallVec;

use crate::attrs::Attrs;
use crate::best::{best_path, explain, Explanation, PeerInfo, SelectionOptions};

/// Index of a peer in the RIB's peer table.
pub type PeerId = u32;

/// One path to an NLRI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub peer: PeerId,
    /// ADD-PATH identifier as received (0 without ADD-PATH).
    pub path_id: u32,
    pub attrs: Arc<Attrs>,
    /// Kept through a peer's graceful restart (RFC 4724 §4.2).
    pub stale: bool,
}

impl Path {
    /// Who sent it and with which attributes (pointer identity: attributes
    /// are interned).
    fn identity(&self) -> (PeerId, u32, *const Attrs, bool) {
        (
            self.peer,
            self.path_id,
            Arc::as_ptr(&self.attrs),
            self.stale,
        )
    }
}

#[derive(Debug, Default)]
struct Entry {
    // Most prefixes have one path: inline, no allocation.
    paths: SmallVec<[Path; 1]>,
    /// Index of the best path (paths per NLRI are not bounded by u16).
    best: Option<u32>,
}

/// A change of best path, for export to peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub family: AfiSafi,
    pub nlri: Nlri,
    /// The new best path; `None`: no path left (withdraw).
    pub best: Option<Path>,
}

/// All families' routes and their best paths.
#[derive(Debug, Default)]
pub struct Rib {
    // A fast non-cryptographic hash: keys come from peers, but a RIB
    // lookup per received prefix is the hot path (collision attacks on
    // prefixes are bounded by max-prefix limits).
    tables: HashMap<AfiSafi, HashMap<Nlri, Entry>>,
    peers: Vec<Option<PeerInfo>>,
    /// Paths held per peer and family (max-prefix limits, counters),
    /// kept as paths come and go so that reading them costs no scan.
    counts: Vec<SmallVec<[(AfiSafi, usize); 2]>>,
    options: SelectionOptions,
}

impl Rib {
    pub fn new(options: SelectionOptions) -> Self {
        Rib {
            options,
            ..Rib::default()
        }
    }

    pub fn add_peer(&mut self, info: PeerInfo) -> PeerId {
        if let Some(i) = self.peers.iter().position(Option::is_none) {
            if let Some(slot) = self.peers.get_mut(i) {
                *slot = Some(info);
            }
            if let Some(c) = self.counts.get_mut(i) {
                c.clear();
            }
            return i as PeerId;
        }
        self.peers.push(Some(info));
        self.counts.push(SmallVec::new());
        (self.peers.len() - 1) as PeerId
    }

    /// How many paths `peer` has in the RIB.
    pub fn path_count(&self, peer: PeerId) -> usize {
        self.counts
            .get(peer as usize)
            .map_or(0, |c| c.iter().map(|(_, n)| n).sum())
    }

    fn count(&mut self, peer: PeerId, family: AfiSafi, delta: isize) {
        let Some(c) = self.counts.get_mut(peer as usize) else {
            return;
        };
        match c.iter_mut().find(|(f, _)| *f == family) {
            Some((_, n)) => *n = n.saturating_add_signed(delta),
            None => c.push((family, delta.max(0).unsigned_abs())),
        }
    }

    pub fn peer(&self, id: PeerId) -> Option<&PeerInfo> {
        self.peers.get(id as usize).and_then(Option::as_ref)
    }

    fn reselect(
        peers: &[Option<PeerInfo>],
        options: &SelectionOptions,
        fallback: &PeerInfo,
        e: &mut Entry,
    ) {
        let lookup = |p: &Path| {
            peers
                .get(p.peer as usize)
                .and_then(Option::as_ref)
                .unwrap_or(fallback)
        };
        e.best = best_path(&e.paths, lookup, options).and_then(|i| u32::try_from(i).ok());
    }

    /// Add or replace the path of (`peer`, `path_id`) to `nlri`. Returns the
    /// change of best path, if any.
    pub fn update(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: Nlri,
        path_id: u32,
        attrs: Arc<Attrs>,
    ) -> Option<Change> {
        let fallback = PeerInfo::local(0, std::net::Ipv4Addr::UNSPECIFIED);
        let (peers, options) = (&self.peers, self.options);
        let mut inserted = false;
        let table = self.tables.entry(family).or_default();
        let e = table.entry(nlri.clone()).or_default();
        let before = e
            .best
            .and_then(|b| e.paths.get(b as usize))
            .map(Path::identity);
        let path = Path {
            peer,
            path_id,
            attrs,
            stale: false,
        };
        match e
            .paths
            .iter_mut()
            .find(|p| p.peer == peer && p.path_id == path_id)
        {
            Some(p) => *p = path,
            None => {
                e.paths.push(path);
                inserted = true;
            }
        }
        Self::reselect(peers, &options, &fallback, e);
        let after = e.best.and_then(|b| e.paths.get(b as usize));
        let change = (before != after.map(Path::identity)).then(|| Change {
            family,
            nlri,
            best: after.cloned(),
        });
        if inserted {
            self.count(peer, family, 1);
        }
        change
    }

    /// Remove the path of (`peer`, `path_id`) to `nlri`.
    pub fn withdraw(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
    ) -> Option<Change> {
        let fallback = PeerInfo::local(0, std::net::Ipv4Addr::UNSPECIFIED);
        let (peers, options) = (&self.peers, self.options);
        let mut removed = false;
        let table = self.tables.entry(family).or_default();
        let result = (|| {
            let e = table.get_mut(nlri)?;
            let before = e
                .best
                .and_then(|b| e.paths.get(b as usize))
                .map(Path::identity);
            let i = e
                .paths
                .iter()
                .position(|p| p.peer == peer && p.path_id == path_id)?;
            e.paths.remove(i);
            removed = true;
            Self::reselect(peers, &options, &fallback, e);
            let after = e.best.and_then(|b| e.paths.get(b as usize));
            let change = (before != after.map(Path::identity)).then(|| Change {
                family,
                nlri: nlri.clone(),
                best: after.cloned(),
            });
            if e.paths.is_empty() {
                table.remove(nlri);
            }
            change
        })();
        if removed {
            self.count(peer, family, -1);
        }
        result
    }

    /// Remove everything `peer` sent (session down without graceful
    /// restart); returns the best-path changes.
    pub fn remove_peer(&mut self, peer: PeerId) -> Vec<Change> {
        let changes = self.remove_paths(peer, |_, _| true);
        if let Some(slot) = self.peers.get_mut(peer as usize) {
            *slot = None;
        }
        changes
    }

    /// Update a peer's information (a session back up after a graceful
    /// restart keeps its id, so its stale paths can be replaced).
    pub fn set_peer(&mut self, id: PeerId, info: PeerInfo) {
        if let Some(slot) = self.peers.get_mut(id as usize) {
            *slot = Some(info);
        }
    }

    /// Mark `peer`'s paths of the families `which` accepts stale (RFC 4724
    /// §4.2: kept while the peer restarts); returns how many.
    pub fn mark_stale(&mut self, peer: PeerId, which: impl Fn(AfiSafi) -> bool) -> usize {
        let mut n = 0;
        for (f, t) in self.tables.iter_mut() {
            if !which(*f) {
                continue;
            }
            for e in t.values_mut() {
                for p in e.paths.iter_mut().filter(|p| p.peer == peer) {
                    p.stale = true;
                    n += 1;
                }
            }
        }
        n
    }

    /// Remove `peer`'s paths that match `which` (family, path); returns the
    /// best-path changes. Used to sweep stale paths and drop families.
    pub fn remove_paths(
        &mut self,
        peer: PeerId,
        which: impl Fn(AfiSafi, &Path) -> bool,
    ) -> Vec<Change> {
        let mut keys: Vec<(AfiSafi, Nlri, u32)> = Vec::new();
        for (f, t) in &self.tables {
            for (n, e) in t {
                for p in e.paths.iter().filter(|p| p.peer == peer && which(*f, p)) {
                    keys.push((*f, n.clone(), p.path_id));
                }
            }
        }
        keys.iter()
            .filter_map(|(f, n, id)| self.withdraw(peer, *f, n, *id))
            .collect()
    }

    /// Every NLRI of every family with its paths and the index of the best.
    pub fn iter(&self) -> impl Iterator<Item = (AfiSafi, &Nlri, &[Path], Option<usize>)> {
        self.tables.iter().flat_map(|(f, t)| {
            t.iter()
                .map(move |(n, e)| (*f, n, e.paths.as_slice(), e.best.map(|b| b as usize)))
        })
    }

    /// Every NLRI of one family with its paths and the index of the best.
    pub fn iter_family(
        &self,
        family: AfiSafi,
    ) -> impl Iterator<Item = (&Nlri, &[Path], Option<usize>)> {
        self.tables.get(&family).into_iter().flat_map(|t| {
            t.iter()
                .map(|(n, e)| (n, e.paths.as_slice(), e.best.map(|b| b as usize)))
        })
    }

    /// Paths held per family for `peer` (families with none left out).
    pub fn path_counts(&self, peer: PeerId) -> Vec<(AfiSafi, usize)> {
        self.counts
            .get(peer as usize)
            .map(|c| c.iter().copied().filter(|(_, n)| *n > 0).collect())
            .unwrap_or_default()
    }

    /// The paths of `nlri` and the index of the best, in one lookup.
    pub fn entry(&self, family: AfiSafi, nlri: &Nlri) -> Option<(&[Path], Option<usize>)> {
        let e = self.tables.get(&family)?.get(nlri)?;
        Some((e.paths.as_slice(), e.best.map(|b| b as usize)))
    }

    pub fn best(&self, family: AfiSafi, nlri: &Nlri) -> Option<&Path> {
        let e = self.tables.get(&family)?.get(nlri)?;
        e.paths.get(e.best? as usize)
    }

    pub fn paths(&self, family: AfiSafi, nlri: &Nlri) -> &[Path] {
        self.tables
            .get(&family)
            .and_then(|t| t.get(nlri))
            .map_or(&[], |e| e.paths.as_slice())
    }

    /// Why the best path of `nlri` won.
    pub fn explain(&self, family: AfiSafi, nlri: &Nlri) -> Option<Explanation> {
        let fallback = PeerInfo::local(0, std::net::Ipv4Addr::UNSPECIFIED);
        let paths = self.paths(family, nlri);
        explain(
            paths,
            |p| self.peer(p.peer).unwrap_or(&fallback),
            &self.options,
        )
    }

    /// Number of NLRI with at least one path, in `family`.
    pub fn len(&self, family: AfiSafi) -> usize {
        self.tables.get(&family).map_or(0, |t| t.len())
    }

    pub fn is_empty(&self) -> bool {
        self.tables.values().all(|t| t.is_empty())
    }

    /// Every (family, NLRI, best path).
    pub fn iter_best(&self) -> impl Iterator<Item = (AfiSafi, &Nlri, &Path)> {
        self.tables.iter().flat_map(|(f, t)| {
            t.iter().filter_map(move |(n, e)| {
                e.best
                    .and_then(|b| e.paths.get(b as usize))
                    .map(|p| (*f, n, p))
            })
        })
    }
}
