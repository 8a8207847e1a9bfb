//! The RIB: for every NLRI of every family, the paths received from each
//! peer (Adj-RIB-In after import policy) and the selected best (Loc-RIB).
//!
//! Routes live in a slab of slots numbered by [`RouteId`]; a hash table of
//! slot numbers finds them by NLRI. An IPv4 unicast prefix is stored in its
//! slot (no allocation, no general `Nlri` to hash and compare), so a full
//! table costs about 60 bytes per prefix before attributes. A route keeps
//! its id while it exists, so per-peer export state (what is dirty, what
//! was advertised) can be bitsets by id instead of maps keyed by NLRI.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use hashbrown::HashTable;
use rbgp_wire::{AfiSafi, Ipv4Prefix, Nlri, Prefix};
use rustc_hash::FxBuildHasher;
use smallvec::SmallVec;

use crate::attrs::Attrs;
use crate::best::{best_path, explain, Explanation, PeerInfo, SelectionOptions};
use crate::path::{Path, PeerId, RouteId};
use crate::validation::Validation;

/// What a slot is the route of.
#[derive(Debug)]
enum Key {
    /// IPv4 unicast, the bulk of every table: inline.
    V4(Ipv4Prefix),
    /// Any other family or NLRI kind.
    Other(Box<(AfiSafi, Nlri)>),
    /// Released, on the free list.
    Free,
}

/// The packed key an IPv4 unicast prefix is stored and hashed under.
fn v4_of(family: AfiSafi, nlri: &Nlri) -> Option<Ipv4Prefix> {
    match nlri {
        Nlri::Prefix(Prefix::V4(p)) if family == AfiSafi::IPV4_UNICAST => Some(*p),
        _ => None,
    }
}

fn v4_bits(p: &Ipv4Prefix) -> u64 {
    (u64::from(u32::from(p.addr())) << 8) | u64::from(p.len())
}

#[derive(Debug)]
struct Slot {
    key: Key,
    // Most prefixes have one path: inline, no allocation.
    paths: SmallVec<[Path; 1]>,
    /// Index of the best path; `NONE` if there is none.
    best: u32,
}

const NONE: u32 = u32::MAX;

impl Slot {
    fn family(&self) -> AfiSafi {
        match &self.key {
            Key::Other(b) => b.0,
            Key::V4(_) | Key::Free => AfiSafi::IPV4_UNICAST,
        }
    }

    fn best(&self) -> Option<&Path> {
        self.paths.get(self.best as usize)
    }

    fn best_index(&self) -> Option<usize> {
        (self.best != NONE).then_some(self.best as usize)
    }
}

/// A route in the RIB: an NLRI, its paths and the best of them.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    id: RouteId,
    slot: &'a Slot,
}

impl<'a> Route<'a> {
    pub fn id(&self) -> RouteId {
        self.id
    }

    pub fn family(&self) -> AfiSafi {
        self.slot.family()
    }

    pub fn nlri(&self) -> Nlri {
        match &self.slot.key {
            Key::V4(p) => Nlri::Prefix(Prefix::V4(*p)),
            Key::Other(b) => b.1.clone(),
            // Never handed out (released slots are skipped); a default
            // route stands in rather than a panic.
            Key::Free => Nlri::Prefix(Prefix::V4(Ipv4Prefix::default())),
        }
    }

    /// Every path; empty for a route whose last path went but which some
    /// peer still has to be told about.
    pub fn paths(&self) -> &'a [Path] {
        &self.slot.paths
    }

    pub fn best_index(&self) -> Option<usize> {
        self.slot.best_index()
    }

    pub fn best(&self) -> Option<&'a Path> {
        self.slot.best()
    }
}

/// What an update or a withdrawal did to one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub id: RouteId,
    pub family: AfiSafi,
    /// The best path changed (else only another path did).
    pub best: bool,
}

/// All families' routes and their best paths.
#[derive(Debug, Default)]
pub struct Rib {
    // A fast non-cryptographic hash: keys come from peers, but a lookup
    // per received prefix is the hot path (collision attacks on prefixes
    // are bounded by max-prefix limits).
    index: HashTable<RouteId>,
    slots: Vec<Slot>,
    free: Vec<RouteId>,
    /// Slots whose last path went: released once no peer refers to them.
    emptied: Vec<RouteId>,
    /// NLRIs with at least one path, per family.
    lens: SmallVec<[(AfiSafi, usize); 4]>,
    peers: Vec<Option<PeerInfo>>,
    /// Paths held per peer and family (max-prefix limits, counters),
    /// kept as paths come and go so that reading them costs no scan.
    counts: Vec<SmallVec<[(AfiSafi, usize); 2]>>,
    /// Per peer, the slots it put a path in: appended when a path is
    /// added, not when one goes (a slot listed without the peer's path is
    /// skipped), compacted when the list outgrows the peer's paths. A
    /// peer going down visits its own routes instead of the whole table:
    /// with a full table, a thousand sessions and a hundred of them
    /// flapping, the scan per flap took the RIB task's whole core.
    routes_of: Vec<Vec<RouteId>>,
    options: SelectionOptions,
    /// Seconds on the owner's clock: the RIB reads no clock itself.
    clock: u32,
}

/// Add `delta` to the counter of `family` in `c`.
fn bump<const N: usize>(c: &mut SmallVec<[(AfiSafi, usize); N]>, family: AfiSafi, delta: isize) {
    match c.iter_mut().find(|(f, _)| *f == family) {
        Some((_, n)) => *n = n.saturating_add_signed(delta),
        None => c.push((family, delta.max(0).unsigned_abs())),
    }
}

fn hash_v4(p: &Ipv4Prefix) -> u64 {
    let mut h = FxBuildHasher.build_hasher();
    h.write_u64(v4_bits(p));
    h.finish()
}

fn hash_key(family: AfiSafi, nlri: &Nlri, v4: Option<Ipv4Prefix>) -> u64 {
    if let Some(p) = v4 {
        return hash_v4(&p);
    }
    let mut h = FxBuildHasher.build_hasher();
    family.hash(&mut h);
    nlri.hash(&mut h);
    h.finish()
}

fn hash_slot(slots: &[Slot], id: RouteId) -> u64 {
    match slots.get(id as usize).map(|s| &s.key) {
        Some(Key::V4(p)) => hash_v4(p),
        Some(Key::Other(b)) => hash_key(b.0, &b.1, None),
        Some(Key::Free) | None => 0,
    }
}

fn matches(
    slots: &[Slot],
    id: RouteId,
    family: AfiSafi,
    nlri: &Nlri,
    v4: Option<Ipv4Prefix>,
) -> bool {
    match (slots.get(id as usize).map(|s| &s.key), v4) {
        (Some(Key::V4(k)), Some(w)) => *k == w,
        (Some(Key::Other(b)), None) => b.0 == family && b.1 == *nlri,
        _ => false,
    }
}

/// Stands in for a path's peer that is not registered (never expected:
/// peers are removed after their paths).
const UNKNOWN_PEER: PeerInfo = PeerInfo::local(0, std::net::Ipv4Addr::UNSPECIFIED);

impl Rib {
    pub fn new(options: SelectionOptions) -> Self {
        Rib {
            options,
            ..Rib::default()
        }
    }

    /// Set the time, in seconds from any origin, that paths received from
    /// now on are stamped with (their age is the clock minus the stamp).
    pub fn set_clock(&mut self, secs: u32) {
        self.clock = secs;
    }

    pub fn clock(&self) -> u32 {
        self.clock
    }

    pub fn add_peer(&mut self, info: PeerInfo) -> PeerId {
        if let Some(i) = self.peers.iter().position(Option::is_none) {
            if let Some(slot) = self.peers.get_mut(i) {
                *slot = Some(info);
            }
            if let Some(c) = self.counts.get_mut(i) {
                c.clear();
            }
            if let Some(r) = self.routes_of.get_mut(i) {
                *r = Vec::new();
            }
            return i as PeerId;
        }
        self.peers.push(Some(info));
        self.counts.push(SmallVec::new());
        self.routes_of.push(Vec::new());
        (self.peers.len() - 1) as PeerId
    }

    /// How many paths `peer` has in the RIB.
    pub fn path_count(&self, peer: PeerId) -> usize {
        self.counts
            .get(peer as usize)
            .map_or(0, |c| c.iter().map(|(_, n)| n).sum())
    }

    /// List slot `id` as one `peer` has a path in (see `routes_of`).
    fn note(&mut self, peer: PeerId, id: RouteId) {
        let paths = self.path_count(peer);
        let Some(list) = self.routes_of.get_mut(peer as usize) else {
            return;
        };
        list.push(id);
        if list.len() > paths.saturating_mul(2).saturating_add(1024) {
            let slots = &self.slots;
            list.sort_unstable();
            list.dedup();
            list.retain(|id| {
                slots
                    .get(*id as usize)
                    .is_some_and(|s| s.paths.iter().any(|p| p.peer == peer))
            });
            list.shrink_to(list.len().saturating_mul(2));
        }
    }

    /// The slots `peer` may have paths in, each once, in id order, taken
    /// out of `routes_of` while they are visited (nothing adds to it
    /// then); [`Rib::relist`] puts them back.
    fn listed(&mut self, peer: PeerId) -> Vec<RouteId> {
        let Some(list) = self.routes_of.get_mut(peer as usize) else {
            return Vec::new();
        };
        list.sort_unstable();
        list.dedup();
        std::mem::take(list)
    }

    fn relist(&mut self, peer: PeerId, ids: Vec<RouteId>) {
        if let Some(list) = self.routes_of.get_mut(peer as usize) {
            *list = ids;
        }
    }

    fn count(&mut self, peer: PeerId, family: AfiSafi, delta: isize) {
        if let Some(c) = self.counts.get_mut(peer as usize) {
            bump(c, family, delta);
        }
    }

    pub fn peer(&self, id: PeerId) -> Option<&PeerInfo> {
        self.peers.get(id as usize).and_then(Option::as_ref)
    }

    fn reselect(peers: &[Option<PeerInfo>], options: &SelectionOptions, s: &mut Slot) {
        s.best = match s.paths.len() {
            0 => NONE,
            1 => 0,
            _ => {
                let lookup = |p: &Path| {
                    peers
                        .get(p.peer as usize)
                        .and_then(Option::as_ref)
                        .unwrap_or(&UNKNOWN_PEER)
                };
                best_path(&s.paths, lookup, options)
                    .and_then(|i| u32::try_from(i).ok())
                    .unwrap_or(NONE)
            }
        };
    }

    /// The route of `nlri`, if it is in the table.
    pub fn find(&self, family: AfiSafi, nlri: &Nlri) -> Option<RouteId> {
        let v4 = v4_of(family, nlri);
        let h = hash_key(family, nlri, v4);
        self.index
            .find(h, |&id| matches(&self.slots, id, family, nlri, v4))
            .copied()
    }

    fn find_or_insert(&mut self, family: AfiSafi, nlri: &Nlri) -> RouteId {
        let v4 = v4_of(family, nlri);
        let h = hash_key(family, nlri, v4);
        if let Some(id) = self
            .index
            .find(h, |&id| matches(&self.slots, id, family, nlri, v4))
        {
            return *id;
        }
        if self.index.len() == self.index.capacity() {
            self.grow_index();
        }
        let key = match v4 {
            Some(p) => Key::V4(p),
            None => Key::Other(Box::new((family, nlri.clone()))),
        };
        let slot = Slot {
            key,
            paths: SmallVec::new(),
            best: NONE,
        };
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(s) = self.slots.get_mut(id as usize) {
                    *s = slot;
                }
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as RouteId
            }
        };
        let slots = &self.slots;
        self.index.insert_unique(h, id, |&id| hash_slot(slots, id));
        id
    }

    /// Rebuild the full index for twice its entries, reading the slots in
    /// order (when removals left it full of tombstones, the new table is
    /// the same size or smaller, as an in-place rehash would be). Left to
    /// the table, growing rehashes its entries in bucket order, each a
    /// read of a slot's key at random in the slot array (tens of MB in a
    /// full table): a twelfth of the RIB thread's time while a full table
    /// arrives.
    #[cold]
    fn grow_index(&mut self) {
        let slots = &self.slots;
        let mut index = HashTable::with_capacity((self.index.len() * 2).max(64));
        for (id, s) in slots.iter().enumerate() {
            if !matches!(s.key, Key::Free) {
                index.insert_unique(hash_slot(slots, id as RouteId), id as RouteId, |&i| {
                    hash_slot(slots, i)
                });
            }
        }
        self.index = index;
    }

    /// Add or replace the path of (`peer`, `path_id`) to `nlri`.
    pub fn update(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
        attrs: Arc<Attrs>,
    ) -> Change {
        self.update_validated(peer, family, nlri, path_id, attrs, Validation::default())
    }

    /// [`Rib::update`] of a path with its RPKI states.
    pub fn update_validated(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
        attrs: Arc<Attrs>,
        validation: Validation,
    ) -> Change {
        self.upsert(peer, family, nlri, path_id, attrs, validation, false)
            .0
    }

    /// [`Rib::update_validated`], and whether the path was already held
    /// with the same attributes (a duplicate advertisement: BMP statistic
    /// type 1, RFC 7854 §4.8). `stale`: stored stale (a restarting peer's
    /// path whose import was run again, RFC 4724 §4.2).
    #[allow(clippy::too_many_arguments)]
    pub fn upsert(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
        attrs: Arc<Attrs>,
        validation: Validation,
        stale: bool,
    ) -> (Change, bool) {
        let id = self.find_or_insert(family, nlri);
        let mut duplicate = false;
        let mut change = Change {
            id,
            family,
            best: false,
        };
        let Some(s) = self.slots.get_mut(id as usize) else {
            return (change, false);
        };
        let was_empty = s.paths.is_empty();
        let before = s.best().map(Path::identity);
        let path = Path {
            peer,
            path_id,
            attrs,
            stale,
            since: self.clock,
            validation,
        };
        let inserted = match s
            .paths
            .iter_mut()
            .find(|p| p.peer == peer && p.path_id == path_id)
        {
            Some(p) => {
                // Interned attributes share one allocation; compared by
                // value only when they do not.
                duplicate = Arc::ptr_eq(&p.attrs, &path.attrs) || p.attrs == path.attrs;
                *p = path;
                false
            }
            None => {
                s.paths.push(path);
                true
            }
        };
        Self::reselect(&self.peers, &self.options, s);
        change.best = before != s.best().map(Path::identity);
        if was_empty {
            bump(&mut self.lens, family, 1);
        }
        if inserted {
            self.count(peer, family, 1);
            self.note(peer, id);
        }
        (change, duplicate)
    }

    /// New RPKI states for a path whose attributes stay (revalidation):
    /// best-path selection does not look at them, so nothing is reselected.
    /// Whether the path exists and its states changed.
    pub fn set_validation(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
        validation: Validation,
    ) -> bool {
        let Some(p) = self.path_mut(peer, family, nlri, path_id) else {
            return false;
        };
        let changed = p.validation != validation;
        p.validation = validation;
        changed
    }

    /// Remove the path of (`peer`, `path_id`) to `nlri`; `None` if there was
    /// no such path.
    pub fn withdraw(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
    ) -> Option<Change> {
        let id = self.find(family, nlri)?;
        let s = self.slots.get_mut(id as usize)?;
        let i = s
            .paths
            .iter()
            .position(|p| p.peer == peer && p.path_id == path_id)?;
        let before = s.best().map(Path::identity);
        s.paths.remove(i);
        Self::reselect(&self.peers, &self.options, s);
        let best = before != s.best().map(Path::identity);
        if s.paths.is_empty() {
            bump(&mut self.lens, family, -1);
            self.emptied.push(id);
        }
        self.count(peer, family, -1);
        Some(Change { id, family, best })
    }

    /// Remove everything `peer` sent (session down without graceful
    /// restart); returns what changed.
    pub fn remove_peer(&mut self, peer: PeerId) -> Vec<Change> {
        let changes = self.remove_paths(peer, |_, _| true);
        if let Some(slot) = self.peers.get_mut(peer as usize) {
            *slot = None;
        }
        if let Some(r) = self.routes_of.get_mut(peer as usize) {
            *r = Vec::new();
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
        let ids = self.listed(peer);
        for &id in &ids {
            let Some(s) = self.slots.get_mut(id as usize) else {
                continue;
            };
            if matches!(s.key, Key::Free) || !which(s.family()) {
                continue;
            }
            for p in s.paths.iter_mut().filter(|p| p.peer == peer) {
                p.stale = true;
                n += 1;
            }
        }
        self.relist(peer, ids);
        n
    }

    fn path_mut(
        &mut self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
    ) -> Option<&mut Path> {
        let id = self.find(family, nlri)?;
        self.slots.get_mut(id as usize).and_then(|s| {
            s.paths
                .iter_mut()
                .find(|p| p.peer == peer && p.path_id == path_id)
        })
    }

    /// Remove `peer`'s paths that match `which` (family, path); returns
    /// what changed. Used to sweep stale paths and drop families.
    pub fn remove_paths(
        &mut self,
        peer: PeerId,
        which: impl Fn(AfiSafi, &Path) -> bool,
    ) -> Vec<Change> {
        self.rework(peer, |_| true, |f, p| (!which(f, p)).then_some(false))
    }

    /// Give `peer`'s paths of the families `which` accepts the attributes
    /// `f` returns, or remove them where it returns `None`. RFC 9494 §4.2:
    /// at the start of long-lived retention, LLGR_STALE is added and routes
    /// with NO_LLGR are dropped. Returns what changed.
    pub fn restamp(
        &mut self,
        peer: PeerId,
        which: impl Fn(AfiSafi) -> bool,
        mut f: impl FnMut(&Arc<Attrs>) -> Option<Arc<Attrs>>,
    ) -> Vec<Change> {
        self.rework(peer, which, |_, p| {
            let a = f(&p.attrs)?;
            // The same set back (already stamped) is no change.
            let changed = !Arc::ptr_eq(&a, &p.attrs);
            p.attrs = a;
            Some(changed)
        })
    }

    /// Pass each of `peer`'s paths in the families `which` accepts to `f`:
    /// `None` removes it, `Some(changed)` keeps it (modified or not).
    /// Returns a change for every route where a path went or changed.
    fn rework(
        &mut self,
        peer: PeerId,
        which: impl Fn(AfiSafi) -> bool,
        mut f: impl FnMut(AfiSafi, &mut Path) -> Option<bool>,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        let ids = self.listed(peer);
        for &id in &ids {
            let Some(s) = self.slots.get_mut(id as usize) else {
                continue;
            };
            if matches!(s.key, Key::Free) || !which(s.family()) {
                continue;
            }
            let family = s.family();
            let before_len = s.paths.len();
            let before = s.best().map(Path::identity);
            let mut modified = false;
            s.paths.retain(|p| {
                if p.peer != peer {
                    return true;
                }
                match f(family, p) {
                    Some(changed) => {
                        modified |= changed;
                        true
                    }
                    None => false,
                }
            });
            let removed = before_len - s.paths.len();
            if removed == 0 && !modified {
                continue;
            }
            Self::reselect(&self.peers, &self.options, s);
            let best = before != s.best().map(Path::identity);
            if let Some(c) = self.counts.get_mut(peer as usize) {
                bump(c, family, -(removed as isize));
            }
            if s.paths.is_empty() {
                bump(&mut self.lens, family, -1);
                self.emptied.push(id);
            }
            changes.push(Change { id, family, best });
        }
        self.relist(peer, ids);
        changes
    }

    /// Release the slots whose last path went and that `in_use` no longer
    /// needs (no peer still has to be told of the withdrawal). Their ids
    /// may then be given to new routes.
    pub fn release_unused(&mut self, in_use: impl Fn(RouteId) -> bool) {
        let mut keep = Vec::new();
        for id in std::mem::take(&mut self.emptied) {
            let Some(s) = self.slots.get(id as usize) else {
                continue;
            };
            // Re-used since, or already released (listed twice).
            if !s.paths.is_empty() || matches!(s.key, Key::Free) {
                continue;
            }
            if in_use(id) {
                keep.push(id);
                continue;
            }
            let h = hash_slot(&self.slots, id);
            if let Ok(e) = self.index.find_entry(h, |&x| x == id) {
                e.remove();
            }
            if let Some(s) = self.slots.get_mut(id as usize) {
                s.key = Key::Free;
                s.paths = SmallVec::new();
            }
            self.free.push(id);
        }
        self.emptied = keep;
    }

    /// How many emptied slots wait for [`Rib::release_unused`].
    pub fn emptied(&self) -> usize {
        self.emptied.len()
    }

    /// The route in slot `id`, if the slot holds one (it may have no path
    /// left).
    pub fn route(&self, id: RouteId) -> Option<Route<'_>> {
        let slot = self.slots.get(id as usize)?;
        (!matches!(slot.key, Key::Free)).then_some(Route { id, slot })
    }

    /// The route of `nlri`, if it has at least one path.
    pub fn get(&self, family: AfiSafi, nlri: &Nlri) -> Option<Route<'_>> {
        self.find(family, nlri)
            .and_then(|id| self.route(id))
            .filter(|r| !r.paths().is_empty())
    }

    /// Every route with at least one path.
    pub fn iter(&self) -> impl Iterator<Item = Route<'_>> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.paths.is_empty())
            .map(|(id, slot)| Route {
                id: id as RouteId,
                slot,
            })
    }

    /// The routes with paths from route id `start` on, in id order (a
    /// walk in pieces, resumed at the id after the last one seen).
    pub fn iter_from(&self, start: RouteId) -> impl Iterator<Item = Route<'_>> {
        self.slots
            .iter()
            .enumerate()
            .skip(start as usize)
            .filter(|(_, s)| !s.paths.is_empty())
            .map(|(id, slot)| Route {
                id: id as RouteId,
                slot,
            })
    }

    /// Every route id of `family` whose slot is in use, with or without
    /// paths (a full re-send must withdraw what went too).
    pub fn ids(&self, family: AfiSafi) -> impl Iterator<Item = RouteId> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(move |(_, s)| !matches!(s.key, Key::Free) && s.family() == family)
            .map(|(id, _)| id as RouteId)
    }

    /// Paths held per family for `peer` (families with none left out).
    pub fn path_counts(&self, peer: PeerId) -> Vec<(AfiSafi, usize)> {
        self.counts
            .get(peer as usize)
            .map(|c| c.iter().copied().filter(|(_, n)| *n > 0).collect())
            .unwrap_or_default()
    }

    pub fn best(&self, family: AfiSafi, nlri: &Nlri) -> Option<&Path> {
        self.get(family, nlri).and_then(|r| r.best())
    }

    pub fn paths(&self, family: AfiSafi, nlri: &Nlri) -> &[Path] {
        self.get(family, nlri).map_or(&[], |r| r.paths())
    }

    /// The indices of up to `n` paths of `r`, most preferred first, as
    /// ADD-PATH best-N sends them (RFC 7911 §5 leaves the choice open; the
    /// natural one is the N best). Each next path is the best of those
    /// left, so the order follows the same decision process, deterministic
    /// MED included. Asking for more paths than there are ranks only the
    /// best (the caller takes them all); asking for exactly as many ranks
    /// them all.
    pub fn ranked(&self, r: &Route<'_>, n: usize) -> SmallVec<[usize; 4]> {
        let paths = r.paths();
        let mut out: SmallVec<[usize; 4]> = r.best_index().into_iter().collect();
        if n > paths.len() {
            out.extend((0..paths.len()).filter(|i| r.best_index() != Some(*i)));
            return out;
        }
        let lookup = |p: &Path| self.peer(p.peer).unwrap_or(&UNKNOWN_PEER);
        let mut left: Vec<usize> = (0..paths.len()).filter(|i| !out.contains(i)).collect();
        while out.len() < n && !left.is_empty() {
            let cand: Vec<Path> = left.iter().filter_map(|&i| paths.get(i).cloned()).collect();
            let Some(b) = best_path(&cand, lookup, &self.options) else {
                break;
            };
            if b >= left.len() {
                break;
            }
            out.push(left.remove(b));
        }
        out.truncate(n);
        out
    }

    /// Why the best path of `nlri` won.
    pub fn explain(&self, family: AfiSafi, nlri: &Nlri) -> Option<Explanation> {
        let paths = self.paths(family, nlri);
        explain(
            paths,
            |p| self.peer(p.peer).unwrap_or(&UNKNOWN_PEER),
            &self.options,
        )
    }

    /// Number of NLRI with at least one path, in `family`.
    pub fn len(&self, family: AfiSafi) -> usize {
        self.lens
            .iter()
            .find(|(f, _)| *f == family)
            .map_or(0, |(_, n)| *n)
    }

    pub fn is_empty(&self) -> bool {
        self.lens.iter().all(|(_, n)| *n == 0)
    }

    /// Every route id is below this (the length a bitset by route id
    /// needs).
    pub fn id_bound(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn peer(n: u8) -> PeerInfo {
        PeerInfo {
            asn: 65000 + u32::from(n),
            router_id: Ipv4Addr::new(10, 0, 0, n),
            address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)),
            ibgp: false,
        }
    }

    fn attrs(med: u32) -> Arc<Attrs> {
        Arc::new(Attrs {
            med: Some(med),
            ..Attrs::default()
        })
    }

    fn n(s: &str) -> Nlri {
        Nlri::Prefix(s.parse().unwrap())
    }

    const V4: AfiSafi = AfiSafi::IPV4_UNICAST;
    const V6: AfiSafi = AfiSafi::IPV6_UNICAST;

    /// A peer's list of its slots stays near its path count however many
    /// routes it announced and withdrew, and its removal still finds
    /// exactly the paths it holds (moved away, back, slots reused).
    #[test]
    fn a_peers_slot_list_is_compacted_and_complete() {
        let mut rib = Rib::default();
        let a = rib.add_peer(peer(1));
        let b = rib.add_peer(peer(2));
        let p = |i: u32| n(&format!("{}/32", Ipv4Addr::from(0x0a00_0000 + i)));
        for round in 0..5u32 {
            for i in 0..2000 {
                rib.update(a, V4, &p(i), 0, attrs(round));
                rib.update(b, V4, &p(i), 0, attrs(round));
                rib.withdraw(a, V4, &p(i), 0);
            }
            rib.release_unused(|_| false);
        }
        for i in 0..300 {
            rib.update(a, V4, &p(i), 0, attrs(9));
        }
        let listed = rib.routes_of[a as usize].len();
        assert!(listed <= 2 * 300 + 1024 + 1, "{listed}");
        assert_eq!(rib.mark_stale(a, |_| true), 300);
        assert_eq!(rib.remove_peer(a).len(), 300);
        assert_eq!(rib.path_count(b), 2000);
        assert_eq!(rib.remove_peer(b).len(), 2000);
        assert_eq!(rib.len(V4), 0);
    }

    /// The index, rebuilt from the slots each time it fills, finds every
    /// route through several growths, freed slots reused under new NLRI
    /// of another family among them.
    #[test]
    fn the_index_finds_every_route_across_its_growths() {
        let mut rib = Rib::default();
        let a = rib.add_peer(peer(1));
        let v4 = |i: u32| n(&format!("{}/32", Ipv4Addr::from(0x0a00_0000 + i)));
        let v6 = |i: u32| n(&format!("2001:db8::{i:x}/128"));
        for i in 0..3000 {
            rib.update(a, V4, &v4(i), 0, attrs(1));
        }
        // Every other route goes and its slot is freed.
        for i in (0..3000).step_by(2) {
            rib.withdraw(a, V4, &v4(i), 0);
        }
        rib.release_unused(|_| false);
        // New routes take the freed slots first, then grow the table.
        for i in 0..6000 {
            rib.update(a, V6, &v6(i), 0, attrs(2));
        }
        let mut ids = std::collections::HashSet::new();
        for i in 0..3000 {
            let id = rib.find(V4, &v4(i));
            assert_eq!(id.is_some(), i % 2 == 1, "{i}");
            if let Some(id) = id {
                assert!(ids.insert(id));
                assert_eq!(rib.route(id).unwrap().nlri(), v4(i));
            }
        }
        for i in 0..6000 {
            let id = rib.find(V6, &v6(i)).unwrap();
            assert!(ids.insert(id));
            assert_eq!(rib.route(id).unwrap().nlri(), v6(i));
        }
        assert_eq!((rib.len(V4), rib.len(V6)), (1500, 6000));
        assert!(rib.find(V6, &v6(6000)).is_none());
    }

    #[test]
    fn same_prefix_in_two_families_is_two_routes() {
        let mut rib = Rib::default();
        let a = rib.add_peer(peer(1));
        let p = n("203.0.113.0/24");
        let x = rib.update(a, V4, &p, 0, attrs(1));
        let y = rib.update(a, AfiSafi::IPV4_MULTICAST, &p, 0, attrs(2));
        assert_ne!(x.id, y.id);
        assert!(x.best && y.best);
        assert_eq!(rib.len(V4), 1);
        assert_eq!(rib.len(AfiSafi::IPV4_MULTICAST), 1);
        assert_eq!(rib.route(y.id).unwrap().nlri(), p);
        assert_eq!(rib.route(y.id).unwrap().family(), AfiSafi::IPV4_MULTICAST);
        assert_eq!(rib.best(V4, &p).unwrap().attrs.med, Some(1));
    }

    #[test]
    fn paths_are_stamped_with_the_clock() {
        let mut rib = Rib::default();
        let a = rib.add_peer(peer(1));
        let p = n("192.0.2.0/24");
        rib.set_clock(100);
        rib.update(a, V4, &p, 0, attrs(1));
        rib.set_clock(160);
        assert_eq!(rib.best(V4, &p).unwrap().since, 100);
        // A new announcement of the path restarts its age.
        rib.update(a, V4, &p, 0, attrs(2));
        assert_eq!(rib.best(V4, &p).unwrap().since, 160);
        assert_eq!(rib.clock(), 160);
    }

    #[test]
    fn ids_stay_until_released_and_are_then_reused() {
        let mut rib = Rib::default();
        let a = rib.add_peer(peer(1));
        let p = n("2001:db8::/32");
        let q = n("2001:db8:1::/48");
        let id = rib.update(a, V6, &p, 0, attrs(1)).id;
        let c = rib.withdraw(a, V6, &p, 0).unwrap();
        assert_eq!((c.id, c.best), (id, true));
        assert!(rib.withdraw(a, V6, &p, 0).is_none());
        assert!(rib.get(V6, &p).is_none());
        // Still referenced: the slot and its id stay.
        rib.release_unused(|_| true);
        assert_eq!(rib.emptied(), 1);
        assert_eq!(rib.route(id).unwrap().nlri(), p);
        // A new path to the same NLRI takes the same slot back.
        assert_eq!(rib.update(a, V6, &p, 0, attrs(2)).id, id);
        rib.release_unused(|_| false);
        assert_eq!(rib.emptied(), 0);
        assert!(rib.route(id).is_some());
        rib.withdraw(a, V6, &p, 0).unwrap();
        rib.release_unused(|_| false);
        assert!(rib.route(id).is_none());
        assert!(rib.find(V6, &p).is_none());
        // The freed slot serves the next new route.
        assert_eq!(rib.update(a, V6, &q, 0, attrs(3)).id, id);
        assert_eq!(rib.best(V6, &q).unwrap().attrs.med, Some(3));
        assert_eq!(rib.len(V6), 1);
    }

    #[test]
    fn best_changes_only_when_the_winner_does() {
        let mut rib = Rib::default();
        let a = rib.add_peer(peer(1));
        let b = rib.add_peer(peer(2));
        let p = n("198.51.100.0/24");
        assert!(rib.update(a, V4, &p, 0, attrs(10)).best);
        // A worse path from b: best unchanged.
        assert!(!rib.update(b, V4, &p, 0, attrs(20)).best);
        // b improves (MED 5 beats 10 only within one neighbour AS, so
        // the lower peer address still wins here): no change of best.
        let c = rib.update(b, V4, &p, 0, attrs(5));
        assert_eq!(rib.best(V4, &p).unwrap().peer, a);
        assert!(!c.best);
        // a goes: b is best now.
        assert!(rib.withdraw(a, V4, &p, 0).unwrap().best);
        assert_eq!(rib.best(V4, &p).unwrap().peer, b);
        assert_eq!(rib.path_count(a), 0);
        assert_eq!(rib.path_count(b), 1);
    }

    #[test]
    fn ranked_gives_the_n_most_preferred_in_order() {
        let mut rib = Rib::default();
        let p = n("192.0.2.0/24");
        let lp = |l: u32| {
            Arc::new(Attrs {
                local_pref: Some(l),
                ..Attrs::default()
            })
        };
        let ids: Vec<PeerId> = (1..=4).map(|i| rib.add_peer(peer(i))).collect();
        for (id, l) in ids.iter().zip([150, 300, 100, 200]) {
            rib.update(*id, V4, &p, 0, lp(l));
        }
        let r = rib.get(V4, &p).unwrap();
        let prefs = |v: &[usize]| -> Vec<u32> {
            v.iter()
                .map(|&i| r.paths()[i].attrs.local_pref.unwrap())
                .collect()
        };
        assert_eq!(prefs(&rib.ranked(&r, 1)), [300]);
        assert_eq!(prefs(&rib.ranked(&r, 3)), [300, 200, 150]);
        // Exactly as many as there are: every one in order.
        assert_eq!(prefs(&rib.ranked(&r, 4)), [300, 200, 150, 100]);
        // More than there are: the best first, then every other.
        let all = rib.ranked(&r, usize::MAX);
        assert_eq!(all.len(), 4);
        assert_eq!(prefs(&all[..1]), [300]);
        assert!(rib.ranked(&r, 0).is_empty());
    }

    #[test]
    fn restamp_replaces_or_removes_one_peers_paths() {
        let mut rib = Rib::default();
        let a = rib.add_peer(peer(1));
        let b = rib.add_peer(peer(2));
        let (p, q) = (n("192.0.2.0/24"), n("198.51.100.0/24"));
        rib.update(a, V4, &p, 0, attrs(1));
        rib.update(b, V4, &p, 0, attrs(1));
        rib.update(a, V4, &q, 0, attrs(7));
        rib.update(a, V6, &n("2001:db8::/32"), 0, attrs(1));
        let changes = rib.restamp(a, |f| f == V4, |x| (x.med != Some(7)).then(|| attrs(2)));
        assert_eq!(changes.len(), 2);
        // q (MED 7) is gone; a's path to p now has MED 2, b's kept MED 1.
        assert!(rib.get(V4, &q).is_none());
        let meds: Vec<(PeerId, Option<u32>)> = rib
            .paths(V4, &p)
            .iter()
            .map(|x| (x.peer, x.attrs.med))
            .collect();
        assert_eq!(meds, [(a, Some(2)), (b, Some(1))]);
        assert_eq!(rib.path_count(a), 2);
        assert_eq!(rib.len(V4), 1);
        assert_eq!(
            rib.best(V6, &n("2001:db8::/32")).unwrap().attrs.med,
            Some(1)
        );
    }

    #[test]
    fn removing_a_peer_reports_every_route_and_counts() {
        let mut rib = Rib::default();
        let a = rib.add_peer(peer(1));
        let b = rib.add_peer(peer(2));
        for i in 0..100u32 {
            let p = Nlri::Prefix(Prefix::V4(
                Ipv4Prefix::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).unwrap(),
            ));
            rib.update(a, V4, &p, 0, attrs(1));
            if i % 2 == 0 {
                rib.update(b, V4, &p, 0, attrs(1));
            }
        }
        assert_eq!(rib.len(V4), 100);
        let changes = rib.remove_peer(a);
        assert_eq!(changes.len(), 100);
        assert_eq!(changes.iter().filter(|c| c.best).count(), 100);
        assert_eq!(rib.len(V4), 50);
        assert_eq!(rib.emptied(), 50);
        assert_eq!(rib.path_count(a), 0);
        assert_eq!(rib.iter().count(), 50);
        assert!(rib.iter().all(|r| r.best().unwrap().peer == b));
    }
}
