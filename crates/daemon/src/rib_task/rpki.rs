//! RPKI in the RIB task: the states of a received path (route origin
//! validation, RFC 6811; ASPA verification,
//! draft-ietf-sidrops-aspa-verification) against the data the RPKI task
//! delivered, computed at import and again when the data changes.
//!
//! Revalidation touches only what a change can affect: routes covered by
//! a VRP prefix that changed, paths whose AS_PATH holds a customer whose
//! ASPA changed. One pass over the RIB's prefixes finds them (for IPv4 a
//! load of the lengths changed under the route's /16, a hash probe per
//! such length; no validation for the others). A path
//! whose states changed is imported again when its neighbor's import
//! policy matches on states (from the pre-policy table, or by asking the
//! neighbor for its routes again), else only its states change; routes
//! are exported again only where an export policy matches on states.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use rbgp_rib::rules::PeerRules;
use rbgp_rib::{Attrs, Change, PeerId, Validation};
use rbgp_rpki::{AspaState, Changed, Direction, RovState};
use rbgp_wire::capability::Role;
use rbgp_wire::{AfiSafi, Nlri, Prefix};
use rustc_hash::{FxHashMap, FxHashSet};

use super::RibTask;
use crate::tasks::RpkiData;

/// The RPKI data the RIB validates against.
#[derive(Default)]
pub struct RpkiTable {
    table: rbgp_rpki::Table,
    /// Data has been loaded (and has not expired): until then every path
    /// is not-found/unknown without a lookup.
    loaded: bool,
    /// RFC 8097 on iBGP: states sent as, and taken from, the community.
    pub community: bool,
}

impl RpkiTable {
    pub fn counts(&self) -> (usize, usize, usize) {
        let (v4, v6) = self.table.vrp_counts();
        (v4, v6, self.table.aspa_count())
    }
}

/// Which ASPA algorithm applies to routes from a neighbor, by its role
/// (§6: upstream from customers, lateral peers, route servers and their
/// clients; downstream from providers). `None`: no role known, or iBGP.
fn direction(rules: &PeerRules) -> Option<Direction> {
    if rules.ibgp {
        return None;
    }
    match rules.role? {
        Role::Customer | Role::Peer | Role::RouteServer | Role::RouteServerClient => {
            Some(Direction::Upstream)
        }
        Role::Provider => Some(Direction::Downstream),
        Role::Other(_) => None,
    }
}

/// Prefixes that changed, indexed by length for the covering test.
#[derive(Default)]
struct ChangedIndex {
    v4: FxHashSet<(u32, u8)>,
    /// Per IPv4 /16: the lengths (a bit each, 0..=32) of the changed
    /// prefixes that cover it or lie in it. A small delta marks few /16s,
    /// so most routes are passed over after one load, not a hash probe
    /// per length.
    v4_lens: Vec<u64>,
    v6: Vec<(u8, FxHashSet<Prefix>)>,
}

/// `addr` with its bits past `len` cleared.
fn mask4(addr: u32, len: u8) -> u32 {
    addr & u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0)
}

impl ChangedIndex {
    fn new(prefixes: &[Prefix]) -> Self {
        let mut ix = ChangedIndex::default();
        let mut by6: FxHashMap<u8, FxHashSet<Prefix>> = FxHashMap::default();
        for p in prefixes {
            match p.addr() {
                IpAddr::V4(a) => {
                    let (addr, len) = (u32::from(a), p.len().min(32));
                    if ix.v4_lens.is_empty() {
                        ix.v4_lens = vec![0; 1 << 16];
                    }
                    ix.v4.insert((mask4(addr, len), len));
                    // The /16s it covers (one when it is /16 or longer).
                    let first = (mask4(addr, len) >> 16) as usize;
                    let count = 1usize << 16u8.saturating_sub(len);
                    for l in ix.v4_lens.iter_mut().skip(first).take(count) {
                        *l |= 1 << len;
                    }
                }
                IpAddr::V6(_) => {
                    by6.entry(p.len()).or_default().insert(*p);
                }
            }
        }
        ix.v6 = by6.into_iter().collect();
        ix
    }

    /// A changed prefix covers `p` (equal or less specific).
    fn covers(&self, p: &Prefix) -> bool {
        match p.addr() {
            IpAddr::V4(a) => {
                let (addr, len) = (u32::from(a), p.len().min(32));
                let Some(&lens) = self.v4_lens.get((addr >> 16) as usize) else {
                    return false;
                };
                // Only lengths up to the route's own.
                let mut m = lens & (u64::MAX >> (63 - u32::from(len)));
                while m != 0 {
                    let l = m.trailing_zeros() as u8;
                    if self.v4.contains(&(mask4(addr, l), l)) {
                        return true;
                    }
                    m &= m - 1;
                }
                false
            }
            IpAddr::V6(_) => self.v6.iter().any(|(len, set)| {
                *len <= p.len() && Prefix::new(p.addr(), *len).is_some_and(|x| set.contains(&x))
            }),
        }
    }
}

impl RibTask {
    /// The states of a path from `peer` with `attrs` to `nlri`.
    pub(super) fn validation_of(
        &self,
        peer: PeerId,
        family: AfiSafi,
        nlri: &Nlri,
        attrs: &Arc<Attrs>,
    ) -> Validation {
        let mut v = Validation::default();
        // RFC 8097 §4: an iBGP neighbor's route carries the state its
        // router found; use it rather than validating again.
        if self.rpki.community {
            if let Some(state) = self
                .sources
                .get(&peer)
                .filter(|r| r.ibgp)
                .and_then(|_| carried_state(attrs))
            {
                v.rpki = state;
                return v;
            }
        }
        if !self.rpki.loaded {
            return v;
        }
        let t = &self.rpki.table;
        if let (true, Nlri::Prefix(p)) = (is_unicast(family), nlri) {
            let origin = rbgp_rpki::rov::origin_of(&attrs.as_path, self.local.asn);
            v.rpki = match t.validate(p, origin) {
                RovState::Valid => rbgp_rib::Rpki::Valid,
                RovState::Invalid => rbgp_rib::Rpki::Invalid,
                RovState::NotFound => rbgp_rib::Rpki::NotFound,
            };
        }
        if let Some(rules) = self.sources.get(&peer) {
            if let Some(d) = direction(rules) {
                // §6: a route server's client checks without the
                // neighbor step (a transparent RS adds no AS).
                let neighbor = (rules.role != Some(Role::RouteServer)).then_some(rules.asn);
                v.aspa = match rbgp_rpki::aspa::verify_path(t, &attrs.as_path, neighbor, d) {
                    AspaState::Valid => rbgp_rib::Aspa::Valid,
                    AspaState::Invalid => rbgp_rib::Aspa::Invalid,
                    AspaState::Unknown => rbgp_rib::Aspa::Unknown,
                };
            }
        }
        v
    }

    /// The state of a route to `prefix` from `origin`, and the VRPs that
    /// cover the prefix (for operators asking "why").
    pub(super) fn validate_origin(
        &self,
        prefix: &Prefix,
        origin: u32,
    ) -> (rbgp_rib::Rpki, Vec<rbgp_rpki::Vrp>) {
        if !self.rpki.loaded {
            return (rbgp_rib::Rpki::NotFound, Vec::new());
        }
        let state = match self.rpki.table.validate(prefix, Some(origin)) {
            RovState::Valid => rbgp_rib::Rpki::Valid,
            RovState::Invalid => rbgp_rib::Rpki::Invalid,
            RovState::NotFound => rbgp_rib::Rpki::NotFound,
        };
        (state, self.rpki.table.covering(prefix))
    }

    /// RFC 8097 on or off: iBGP neighbors get every route again (with or
    /// without the community). Routes already received from iBGP keep
    /// the states they were given until they are sent again.
    fn set_community(&mut self, on: bool) {
        if self.rpki.community == on {
            return;
        }
        self.rpki.community = on;
        tracing::info!(on, "RFC 8097 origin validation state community on iBGP");
        for p in self.peers.values_mut() {
            if let Some(o) = p.out.as_mut().filter(|o| o.rules.ibgp) {
                o.clear_cache();
                for f in o.families.clone() {
                    o.refresh(&self.rib, f, false, false);
                }
            }
        }
    }

    /// New data from the RPKI task: apply it, then revalidate what it can
    /// have changed.
    pub(super) fn rpki_data(&mut self, data: RpkiData) {
        let changed = match data {
            RpkiData::Delta(d) => {
                let was = self.rpki.loaded;
                self.rpki.loaded = true;
                let mut c = self.rpki.table.apply(*d);
                if !was {
                    // Everything was not-found/unknown without lookups.
                    c = everything(&self.rpki.table, c);
                }
                c
            }
            RpkiData::Community(on) => {
                self.set_community(on);
                return;
            }
            RpkiData::Expired => {
                if !self.rpki.loaded {
                    return;
                }
                // RFC 8210 §6: expired data is not used; every state goes
                // back to not-found/unknown.
                let old = std::mem::take(&mut self.rpki.table);
                self.rpki.loaded = false;
                everything(&old, Changed::default())
            }
        };
        let (v4, v6, aspas) = self.rpki.counts();
        tracing::info!(
            vrps_v4 = v4,
            vrps_v6 = v6,
            aspas,
            changed_prefixes = changed.prefixes.len(),
            changed_customers = changed.customers.len(),
            "RPKI data applied"
        );
        if !changed.is_empty() {
            self.revalidate(&changed);
        }
        // A full set (a cache's first, a reset) leaves the delta, the
        // change lists and the old table freed inside glibc's arenas:
        // without this the resident size stays at the load's peak.
        if changed.prefixes.len() + changed.customers.len() >= BIG_CHANGE {
            rbgp_sockopt::release_free_heap();
        }
    }

    /// Find the paths a change may affect and give them their new states.
    fn revalidate(&mut self, changed: &Changed) {
        let ix = ChangedIndex::new(&changed.prefixes);
        let customers: FxHashSet<u32> = changed.customers.iter().copied().collect();
        let mut on_path = OnPath {
            customers: &customers,
            seen: FxHashMap::default(),
        };
        // (peer, family, nlri, path id) of accepted paths to look at.
        let mut paths: Vec<(PeerId, AfiSafi, Nlri, u32, Arc<Attrs>)> = Vec::new();
        for r in self.rib.iter() {
            let f = r.family();
            let nlri = r.nlri();
            let covered = match (&nlri, is_unicast(f)) {
                (Nlri::Prefix(p), true) => ix.covers(p),
                _ => false,
            };
            for p in r.paths() {
                if p.peer != self.local_id && (covered || on_path.holds(&p.attrs)) {
                    paths.push((p.peer, f, nlri.clone(), p.path_id, Arc::clone(&p.attrs)));
                }
            }
        }
        // Filtered paths whose states change may now pass import policy.
        let mut reimport: FxHashMap<IpAddr, Vec<(AfiSafi, Nlri, u32)>> = FxHashMap::default();
        let mut refresh: HashSet<IpAddr> = HashSet::new();
        let uses: FxHashMap<PeerId, (IpAddr, bool, bool)> = self
            .peers
            .iter()
            .map(|(a, p)| (p.id, (*a, p.import.uses_validation(), p.pre.is_some())))
            .collect();
        for (addr, p) in &self.peers {
            if !p.import.uses_validation() {
                continue;
            }
            for ((f, nlri, id), r) in &p.rejected {
                let covered = match (nlri, is_unicast(*f)) {
                    (Nlri::Prefix(x), true) => ix.covers(x),
                    _ => false,
                };
                // Not covered: only a changed ASPA on its path can matter.
                let hit = covered
                    || (!customers.is_empty() && {
                        // What the path holds: kept with it, or in the
                        // pre-policy table; unknown paths are looked at.
                        let key = (*f, nlri.clone(), *id);
                        r.attrs
                            .as_ref()
                            .or_else(|| p.pre.as_ref().and_then(|pre| pre.get(&key)))
                            .is_none_or(|a| on_path.holds(a))
                    });
                if hit {
                    let key = (*f, nlri.clone(), *id);
                    if p.pre.is_some() {
                        reimport.entry(*addr).or_default().push(key);
                    } else {
                        refresh.insert(*addr);
                    }
                }
            }
        }
        let exports_use = self.peers.values().any(|p| {
            p.out
                .as_ref()
                .is_some_and(|o| o.export_gates().uses_validation())
        });
        let mut states = 0usize;
        for (peer, f, nlri, path_id, attrs) in paths {
            let v = self.validation_of(peer, f, &nlri, &attrs);
            let Some(&(addr, import_uses, has_pre)) = uses.get(&peer) else {
                continue;
            };
            if import_uses {
                // The stored attributes are post-policy: the chain runs
                // again on what the neighbor sent.
                if has_pre {
                    reimport.entry(addr).or_default().push((f, nlri, path_id));
                } else {
                    refresh.insert(addr);
                }
                continue;
            }
            if self.rib.set_validation(peer, f, &nlri, path_id, v) {
                states += 1;
                if exports_use {
                    if let Some(id) = self.rib.find(f, &nlri) {
                        self.apply(Change {
                            id,
                            family: f,
                            best: true,
                        });
                    }
                }
            }
        }
        let mut again = 0usize;
        for (addr, keys) in reimport {
            let Some(p) = self.peers.get(&addr) else {
                continue;
            };
            let id = p.id;
            let found: Vec<_> = keys
                .into_iter()
                .filter_map(|k| {
                    let a = p.pre.as_ref()?.get(&k)?.clone();
                    Some((k, a))
                })
                .collect();
            for ((f, nlri, path_id), received) in found {
                again += 1;
                self.import_path(addr, id, (f, &nlri, path_id), &received);
            }
        }
        for addr in &refresh {
            if let Some(p) = self.peers.get_mut(addr).filter(|p| p.out.is_some()) {
                tracing::info!(peer = %addr, "RPKI states changed under an import policy that matches on them: asking the peer for its routes again");
                p.ask_refresh();
            }
        }
        tracing::info!(
            states_changed = states,
            imported_again = again,
            refreshed = refresh.len(),
            "RPKI revalidation"
        );
    }
}

/// Changes from one End of Data or file read large enough to give the
/// freed heap back afterwards.
const BIG_CHANGE: usize = 10_000;

/// The RFC 8097 state a route carries, if it carries one.
fn carried_state(a: &Attrs) -> Option<rbgp_rib::Rpki> {
    let c = a
        .ext_communities
        .iter()
        .find(|c| super::out::is_ov_state(c))?;
    match c.0[7] {
        0 => Some(rbgp_rib::Rpki::Valid),
        1 => Some(rbgp_rib::Rpki::NotFound),
        2 => Some(rbgp_rib::Rpki::Invalid),
        _ => None,
    }
}

/// Whether an AS_PATH holds a customer whose ASPA changed, once per
/// attribute set.
struct OnPath<'a> {
    customers: &'a FxHashSet<u32>,
    seen: FxHashMap<*const Attrs, bool>,
}

impl OnPath<'_> {
    fn holds(&mut self, a: &Arc<Attrs>) -> bool {
        if self.customers.is_empty() {
            return false;
        }
        let customers = self.customers;
        *self.seen.entry(Arc::as_ptr(a)).or_insert_with(|| {
            a.as_path
                .segments
                .iter()
                .any(|s| s.asns.iter().any(|x| customers.contains(x)))
        })
    }
}

/// Every prefix and customer of `table` as changed (data loaded for the
/// first time or dropped), with what `c` already lists.
fn everything(table: &rbgp_rpki::Table, mut c: Changed) -> Changed {
    c.prefixes.extend(table.vrps().map(|v| v.prefix));
    c.prefixes.sort_unstable();
    c.prefixes.dedup();
    c.customers.extend(table.aspas().map(|(c, _)| c));
    c.customers.sort_unstable();
    c.customers.dedup();
    c.reset = true;
    c
}

/// Families origin validation applies to (RFC 6811: IPv4/IPv6 unicast).
fn is_unicast(f: AfiSafi) -> bool {
    f == AfiSafi::IPV4_UNICAST || f == AfiSafi::IPV6_UNICAST
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The /16 length masks give what a probe at every length gives.
    #[test]
    fn changed_index_covers_as_a_naive_search() {
        let changed: Vec<Prefix> = [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "192.0.2.0/24",
            "198.51.100.7/32",
            "172.16.0.0/12",
            "2001:db8::/32",
        ]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
        let naive = |set: &[Prefix], p: &Prefix| {
            set.iter().any(|c| {
                c.is_ipv4() == p.is_ipv4()
                    && c.len() <= p.len()
                    && Prefix::new(p.addr(), c.len()) == Some(*c)
            })
        };
        let routes: Vec<Prefix> = [
            "10.1.0.0/16",
            "11.0.0.0/8",
            "192.0.2.128/25",
            "192.0.3.0/24",
            "198.51.100.7/32",
            "198.51.100.6/32",
            "172.31.255.0/24",
            "172.32.0.0/16",
            "0.0.0.0/0",
            "2001:db8:1::/48",
            "2001:db9::/32",
        ]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
        // Each subset of the changes that leaves the default route out,
        // and all of them.
        for k in 0..changed.len() {
            let set: Vec<Prefix> = changed.iter().skip(1).take(k).copied().collect();
            let ix = ChangedIndex::new(&set);
            for r in &routes {
                assert_eq!(ix.covers(r), naive(&set, r), "{r} against {set:?}");
            }
        }
        let ix = ChangedIndex::new(&changed);
        for r in &routes {
            assert_eq!(ix.covers(r), naive(&changed, r), "{r}");
        }
    }
}
