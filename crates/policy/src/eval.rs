//! Running a chain on a route. An [`Evaluator`] belongs to one session and
//! direction. It memoises whole outcomes by (attribute set, neighbor AS,
//! the route-only conditions of every term): a real table has ~150k
//! attribute sets per million routes and an UPDATE's prefixes share one,
//! so AS-path regular expressions, community matching and the building of
//! the resulting set run about once per set, and per route only prefix,
//! neighbor and state conditions are checked and one lookup made. Actions
//! apply to one working copy, interned once; after an action only the
//! conditions reading what it wrote are evaluated again.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use rbgp_rib::Attrs;
use rbgp_wire::attr::{AsPath, SegmentType};
use rustc_hash::FxHashMap;

use crate::compile::{
    Act, AttrCond, Chain, Mode, NextHopAction, Policies, Policy, Remove, RouteCond,
};
use crate::model::Disposition;
use crate::route::{RouteCtx, Session};
use crate::sets::community::{CommunitySet, Kind};
use crate::sets::Sets;

/// Entries each memo table holds before it starts again (bounded memory;
/// the `Arc`s they keep alive are let go). Routes arrive grouped by
/// attribute set (an UPDATE's prefixes share one), so a small memo hits
/// nearly as often as a big one; its memory is per evaluator, and a route
/// server has two evaluators per client.
pub const MEMO_MAX: usize = 1 << 12;

/// Which part of a chain decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// A term's `accept` or `reject` (indices into the compiled policies).
    Term { policy: usize, term: usize },
    /// A policy's default.
    Default { policy: usize },
    /// No policy decided: the chain's default.
    Chain,
}

/// The verdict on a route and what the policy made of it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub accept: bool,
    /// The attributes after every action that applied.
    pub attrs: Arc<Attrs>,
    pub decided: Decided,
    /// The last `next_hop` action that applied: export re-applies it after
    /// the built-in rules (which would otherwise set their own).
    pub next_hop: Option<NextHopAction>,
    /// A `med` action applied: export keeps the MED the rules would drop.
    pub med_set: bool,
}

/// One term (or a policy's default) as evaluation passed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub policy: String,
    /// `None`: the policy's default.
    pub term: Option<String>,
    pub matched: bool,
    /// What the term's actions changed (empty when it did not match).
    pub changes: Vec<String>,
    pub result: Disposition,
}

/// Runs one chain for one session.
pub struct Evaluator {
    policies: Arc<Policies>,
    chain: Chain,
    session: Session,
    /// (attribute set, policy) -> which of its first 64 terms' attribute
    /// conditions hold.
    masks: FxHashMap<(usize, usize), (Arc<Attrs>, u64)>,
    /// Entries per memo table before it starts again.
    memo_max: usize,
    /// Term hits not yet added to the shared counters, per chain position
    /// and term (`offsets[ci] + ti`): a shared atomic per matched term per
    /// route costs more than the rest of the evaluation.
    pending: Vec<u64>,
    offsets: Vec<usize>,
    /// Evaluations since the pending hits were last added.
    unflushed: u32,
    /// (attribute set, neighbor AS, route bits) -> the whole outcome and
    /// the terms that matched. Route bits are the route-only conditions of
    /// every term (prefix, family, neighbor, source, RPKI...), so with the
    /// set and the neighbor AS (`first_as_is_neighbor`) they decide the
    /// evaluation: an UPDATE's prefixes of the same kind cost one lookup.
    outcomes: FxHashMap<(usize, Option<u32>, u64), Memoised>,
    /// Terms with route conditions, by flat index (`offsets[ci] + ti`), or
    /// `None` when the chain has more than 64 terms (no outcome memo).
    route_terms: Option<Vec<(usize, usize, usize)>>,
}

/// A memoised outcome: the input set (kept alive so its address is not
/// reused while cached), the outcome, and the terms that matched.
type Memoised = (Arc<Attrs>, Outcome, u64);

/// Evaluations between additions of the pending hits to the shared
/// counters (also added on [`Evaluator::flush_hits`] and on drop).
const FLUSH_EVERY: u32 = 4096;

impl Drop for Evaluator {
    fn drop(&mut self) {
        self.flush_hits();
    }
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("chain", &self.chain)
            .field("session", &self.session)
            .field("memo", &(self.masks.len(), self.outcomes.len()))
            .finish()
    }
}

fn ptr(a: &Arc<Attrs>) -> usize {
    Arc::as_ptr(a) as usize
}

impl Evaluator {
    pub fn new(policies: Arc<Policies>, chain: Chain, session: Session) -> Evaluator {
        Evaluator {
            policies,
            chain,
            session,
            masks: FxHashMap::default(),
            memo_max: MEMO_MAX,
            pending: Vec::new(),
            offsets: Vec::new(),
            unflushed: 0,
            outcomes: FxHashMap::default(),
            route_terms: None,
        }
        .with_counters()
    }

    fn with_counters(mut self) -> Evaluator {
        let mut at = 0;
        let mut route_terms = Vec::new();
        for &pi in &self.chain.policies {
            self.offsets.push(at);
            if let Some(p) = self.policies.policy(pi) {
                for (ti, t) in p.terms.iter().enumerate() {
                    if !t.route.is_empty() {
                        route_terms.push((at + ti, pi, ti));
                    }
                }
                at += p.terms.len();
            }
        }
        self.pending = vec![0; at];
        self.route_terms = (at <= 64).then_some(route_terms);
        self
    }

    /// The route-only conditions of every term on `route`, a bit per flat
    /// term index (terms without any: set).
    fn route_bits(&self, route: &RouteCtx<'_>) -> Option<u64> {
        let terms = self.route_terms.as_ref()?;
        let mut bits = u64::MAX;
        for &(flat, pi, ti) in terms {
            let holds = self
                .policies
                .policy(pi)
                .and_then(|p| p.terms.get(ti))
                .is_some_and(|t| route_only_holds(&self.policies.sets, &t.route, route));
            if !holds {
                bits &= !(1u64 << flat);
            }
        }
        Some(bits)
    }

    /// Count the terms of `matched` (flat indices) as hit.
    fn count(&mut self, matched: u64) {
        let mut m = matched;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            if let Some(n) = self.pending.get_mut(i) {
                *n += 1;
            }
            m &= m - 1;
        }
    }

    /// Add the hits counted here to the shared counters (metrics, the
    /// API read those).
    pub fn flush_hits(&mut self) {
        self.unflushed = 0;
        for (ci, &pi) in self.chain.policies.iter().enumerate() {
            let (Some(policy), Some(&at)) = (self.policies.policy(pi), self.offsets.get(ci)) else {
                continue;
            };
            for (ti, term) in policy.terms.iter().enumerate() {
                if let Some(n) = self.pending.get_mut(at + ti).filter(|n| **n > 0) {
                    term.hits.fetch_add(*n, Ordering::Relaxed);
                    *n = 0;
                }
            }
        }
    }

    /// A new evaluator of the same chain for the same session, with the
    /// same memo limit and empty memos (one for another task).
    pub fn twin(&self) -> Evaluator {
        Evaluator::new(Arc::clone(&self.policies), self.chain.clone(), self.session)
            .with_memo_limit(self.memo_max)
    }

    /// Forget every memoised result (keeping the tables' capacity): an
    /// evaluator fed sets that are never seen again (not interned) holds
    /// nothing between them.
    pub fn forget_memo(&mut self) {
        self.masks.clear();
        self.outcomes.clear();
    }

    /// At most `n` entries per memo table (an export evaluator behind a
    /// cache of its own results needs few).
    pub fn with_memo_limit(mut self, n: usize) -> Evaluator {
        self.memo_max = n.max(1);
        self
    }

    pub fn policies(&self) -> &Arc<Policies> {
        &self.policies
    }

    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Whether the chain decides the same for every route (no policy,
    /// or only built-in ones): callers may skip per-route work.
    pub fn is_fixed(&self) -> Option<bool> {
        let p = &self.policies;
        let mut accept = self.chain.accept_by_default;
        for &i in self.chain.policies.iter().rev() {
            let policy = p.policy(i)?;
            if !policy.terms.is_empty() {
                return None;
            }
            match policy.default {
                Disposition::Accept => accept = true,
                Disposition::Reject => accept = false,
                Disposition::Next => {}
            }
        }
        Some(accept)
    }

    /// Whether any condition looks at the route rather than only its
    /// attributes (prefix, neighbor, family, source, RPKI/ASPA state):
    /// without one, the outcome is a function of the attribute set and
    /// callers may cache it per set.
    pub fn needs_route(&self) -> bool {
        self.chain.policies.iter().any(|&i| {
            self.policies
                .policy(i)
                .is_some_and(|p| p.terms.iter().any(|t| !t.route.is_empty()))
        })
    }

    /// Whether a term matches on RPKI or ASPA state: a change of state
    /// must then run the chain again for the route.
    pub fn uses_validation(&self) -> bool {
        self.chain.policies.iter().any(|&i| {
            self.policies.policy(i).is_some_and(|p| {
                p.terms.iter().any(|t| {
                    t.route
                        .iter()
                        .any(|c| matches!(c, RouteCond::Rpki(_) | RouteCond::Aspa(_)))
                })
            })
        })
    }

    /// Run the chain on a route whose attributes are `attrs` (interned:
    /// memoisation is by address). New attribute sets made by actions
    /// are passed to `intern`.
    pub fn evaluate(
        &mut self,
        route: &RouteCtx<'_>,
        attrs: &Arc<Attrs>,
        intern: &mut dyn FnMut(Attrs) -> Arc<Attrs>,
    ) -> Outcome {
        self.run(route, attrs, intern, None)
    }

    /// As [`Evaluator::evaluate`], recording every term passed.
    pub fn evaluate_traced(
        &mut self,
        route: &RouteCtx<'_>,
        attrs: &Arc<Attrs>,
        intern: &mut dyn FnMut(Attrs) -> Arc<Attrs>,
        trace: &mut Vec<Step>,
    ) -> Outcome {
        self.run(route, attrs, intern, Some(trace))
    }

    fn run(
        &mut self,
        route: &RouteCtx<'_>,
        attrs: &Arc<Attrs>,
        intern: &mut dyn FnMut(Attrs) -> Arc<Attrs>,
        trace: Option<&mut Vec<Step>>,
    ) -> Outcome {
        self.unflushed += 1;
        if self.unflushed >= FLUSH_EVERY {
            self.flush_hits();
        }
        let bits = self.route_bits(route);
        let key = bits.map(|b| (ptr(attrs), route.neighbor_asn, b));
        if let (Some(k), None) = (key, trace.as_ref()) {
            if let Some((_, o, matched)) = self.outcomes.get(&k) {
                let (o, matched) = (o.clone(), *matched);
                self.count(matched);
                return o;
            }
        }
        let (o, matched) = self.full(route, attrs, intern, trace, bits);
        self.count(matched);
        if let Some(k) = key {
            if self.outcomes.len() >= self.memo_max {
                self.outcomes.clear();
            }
            self.outcomes
                .insert(k, (Arc::clone(attrs), o.clone(), matched));
        }
        o
    }

    /// The evaluation itself; the outcome and the terms that matched (flat
    /// indices). `bits`: the route-only conditions, when computed.
    fn full(
        &mut self,
        route: &RouteCtx<'_>,
        attrs: &Arc<Attrs>,
        intern: &mut dyn FnMut(Attrs) -> Arc<Attrs>,
        mut trace: Option<&mut Vec<Step>>,
        bits: Option<u64>,
    ) -> (Outcome, u64) {
        let mut matched_terms = 0u64;
        let policies = Arc::clone(&self.policies);
        // The actions apply to one working copy, made at the first of them
        // and interned once at the end (not a new interned set per term).
        let mut work: Option<Attrs> = None;
        let mut next_hop = None;
        let mut med_set = false;
        let mut decided = Decided::Chain;
        let mut accept = None;
        'chain: for ci in 0..self.chain.policies.len() {
            let Some(&pi) = self.chain.policies.get(ci) else {
                continue;
            };
            let Some(policy) = policies.policy(pi) else {
                continue;
            };
            let mut mask = match &work {
                Some(w) => term_mask(&policies.sets, policy, w, None),
                None => self.mask(pi, attrs),
            };
            for (ti, term) in policy.terms.iter().enumerate() {
                let cur: &Attrs = work.as_ref().unwrap_or(attrs);
                let attr_ok = match u32::try_from(ti).ok().filter(|t| *t < 64) {
                    Some(bit) => mask & (1u64 << bit) != 0,
                    None => attr_holds(&policies.sets, &term.attr, cur, &mut None),
                };
                let flat = self.offsets.get(ci).map_or(usize::MAX, |o| o + ti);
                let route_ok = match bits {
                    Some(b) if flat < 64 => b & (1u64 << flat) != 0,
                    _ => route_only_holds(&policies.sets, &term.route, route),
                };
                let matched = attr_ok && route_ok && route_attr_holds(&term.route, route, cur);
                if let Some(t) = trace.as_deref_mut() {
                    t.push(Step {
                        policy: policy.name.clone(),
                        term: Some(term.name.clone()),
                        matched,
                        changes: if matched {
                            term.changes.clone()
                        } else {
                            Vec::new()
                        },
                        result: term.result,
                    });
                }
                if !matched {
                    continue;
                }
                if flat < 64 {
                    matched_terms |= 1u64 << flat;
                }
                if !term.actions.is_empty() {
                    let w = work.get_or_insert_with(|| Attrs::clone(attrs));
                    apply(&policies.sets, &term.actions, w, &self.session);
                    let wrote = writes(&term.actions);
                    mask = term_mask(&policies.sets, policy, w, Some((mask, wrote)));
                    for a in &term.actions {
                        match a {
                            Act::NextHop(n) => next_hop = Some(*n),
                            Act::Med(_) | Act::MedAdd(_) | Act::MedSubtract(_) => med_set = true,
                            _ => {}
                        }
                    }
                }
                match term.result {
                    Disposition::Accept | Disposition::Reject => {
                        decided = Decided::Term {
                            policy: pi,
                            term: ti,
                        };
                        accept = Some(term.result == Disposition::Accept);
                        break 'chain;
                    }
                    Disposition::Next => {}
                }
            }
            if let Some(t) = trace.as_deref_mut() {
                t.push(Step {
                    policy: policy.name.clone(),
                    term: None,
                    matched: true,
                    changes: Vec::new(),
                    result: policy.default,
                });
            }
            if policy.default != Disposition::Next {
                decided = Decided::Default { policy: pi };
                accept = Some(policy.default == Disposition::Accept);
                break;
            }
        }
        let attrs = match work {
            Some(w) if w != **attrs => intern(w),
            _ => Arc::clone(attrs),
        };
        let o = Outcome {
            accept: accept.unwrap_or(self.chain.accept_by_default),
            attrs,
            decided,
            next_hop,
            med_set,
        };
        (o, matched_terms)
    }

    /// Which of policy `pi`'s first 64 terms hold on `attrs`' attribute
    /// conditions.
    fn mask(&mut self, pi: usize, attrs: &Arc<Attrs>) -> u64 {
        let key = (ptr(attrs), pi);
        if let Some((_, m)) = self.masks.get(&key) {
            return *m;
        }
        let Some(policy) = self.policies.policy(pi) else {
            return 0;
        };
        let m = term_mask(&self.policies.sets, policy, attrs, None);
        if self.masks.len() >= self.memo_max {
            // Cleared, keeping its capacity (bounded by memo_max): no
            // regrowth and rehashing each round.
            self.masks.clear();
        }
        self.masks.insert(key, (Arc::clone(attrs), m));
        m
    }
}

fn communities<K: Kind>(set: Option<&CommunitySet<K>>, mode: Mode, list: &[K]) -> bool {
    let Some(s) = set else {
        return false;
    };
    match mode {
        Mode::Any => s.any_of(list),
        Mode::All => s.all_of(list),
        Mode::None => !s.any_of(list),
    }
}

fn has_set(p: &AsPath) -> bool {
    p.segments.iter().any(|s| s.kind == SegmentType::Set)
}

/// The attribute conditions of a term; `text` caches the AS path text.
pub(crate) fn attr_holds(
    sets: &Sets,
    conds: &[AttrCond],
    a: &Attrs,
    text: &mut Option<String>,
) -> bool {
    conds.iter().all(|c| match c {
        AttrCond::AsPath { set, want } => {
            let t = text.get_or_insert_with(|| {
                let mut t = String::with_capacity(64);
                a.as_path.write_text(&mut t);
                t
            });
            sets.as_path.get(*set).is_some_and(|s| s.matches(t)) == *want
        }
        AttrCond::AsPathLen(r) => r.holds(a.as_path.path_len().try_into().unwrap_or(u32::MAX)),
        AttrCond::OriginAs { set, want } => {
            a.as_path
                .origin_as()
                .is_some_and(|o| sets.asn.get(*set).is_some_and(|s| s.contains(o)))
                == *want
        }
        AttrCond::AsPathHasSet(b) => has_set(&a.as_path) == *b,
        AttrCond::Community(m, set) => communities(sets.community.get(*set), *m, &a.communities),
        AttrCond::LargeCommunity(m, set) => {
            communities(sets.large_community.get(*set), *m, &a.large_communities)
        }
        AttrCond::ExtCommunity(m, set) => {
            communities(sets.ext_community.get(*set), *m, &a.ext_communities)
        }
        AttrCond::CommunityCount(r) => r.holds(len32(a.communities.len())),
        AttrCond::LargeCommunityCount(r) => r.holds(len32(a.large_communities.len())),
        AttrCond::ExtCommunityCount(r) => r.holds(len32(a.ext_communities.len())),
        AttrCond::NextHop { set, want } => {
            a.next_hop
                .is_some_and(|nh| sets.next_hop.get(*set).is_some_and(|s| s.contains_addr(nh)))
                == *want
        }
        AttrCond::Origin(o) => a.origin == Some(*o),
        AttrCond::LocalPref(r) => a.local_pref.is_some_and(|v| r.holds(v)),
        AttrCond::Med(r) => a.med.is_some_and(|v| r.holds(v)),
    })
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The route conditions of a term.
/// Which of `policy`'s first 64 terms hold on `a`'s attribute conditions.
/// `carry`: the mask of the set `a` was made from and the attribute kinds
/// the making wrote; conditions reading none of those keep their result
/// (no AS-path text or regular expression again for a set that only
/// gained a community).
fn term_mask(sets: &Sets, policy: &Policy, a: &Attrs, carry: Option<(u64, u8)>) -> u64 {
    let mut text = None;
    let mut m = 0u64;
    for (ti, term) in policy.terms.iter().take(64).enumerate() {
        let bit = 1u64 << ti;
        let holds = match carry {
            Some((old, wrote)) if reads(&term.attr) & wrote == 0 => old & bit != 0,
            _ => attr_holds(sets, &term.attr, a, &mut text),
        };
        if holds {
            m |= bit;
        }
    }
    m
}

/// Attribute kinds, as bits: what conditions read and actions write.
const K_PATH: u8 = 1;
const K_COMM: u8 = 2;
const K_LARGE: u8 = 4;
const K_EXT: u8 = 8;
const K_MED: u8 = 16;
const K_LP: u8 = 32;
const K_ORIGIN: u8 = 64;
const K_NH: u8 = 128;

/// The attribute kinds these conditions read.
fn reads(conds: &[AttrCond]) -> u8 {
    conds.iter().fold(0, |k, c| {
        k | match c {
            AttrCond::AsPath { .. }
            | AttrCond::AsPathLen(_)
            | AttrCond::OriginAs { .. }
            | AttrCond::AsPathHasSet(_) => K_PATH,
            AttrCond::Community(..) | AttrCond::CommunityCount(_) => K_COMM,
            AttrCond::LargeCommunity(..) | AttrCond::LargeCommunityCount(_) => K_LARGE,
            AttrCond::ExtCommunity(..) | AttrCond::ExtCommunityCount(_) => K_EXT,
            AttrCond::NextHop { .. } => K_NH,
            AttrCond::Origin(_) => K_ORIGIN,
            AttrCond::LocalPref(_) => K_LP,
            AttrCond::Med(_) => K_MED,
        }
    })
}

/// The attribute kinds these actions write.
fn writes(acts: &[Act]) -> u8 {
    acts.iter().fold(0, |k, a| {
        k | match a {
            Act::SetCommunities(_) | Act::RemoveCommunities(_) | Act::AddCommunities(_) => K_COMM,
            Act::SetLarge(_) | Act::RemoveLarge(_) | Act::AddLarge(_) => K_LARGE,
            Act::SetExt(_) | Act::RemoveExt(_) | Act::AddExt(_) => K_EXT,
            Act::LocalPref(_) => K_LP,
            Act::Med(_) | Act::MedAdd(_) | Act::MedSubtract(_) => K_MED,
            Act::PrependOwn(_) | Act::PrependLast(_) => K_PATH,
            Act::NextHop(_) => K_NH,
            Act::Origin(_) => K_ORIGIN,
        }
    })
}

/// The route conditions of a term that look at the route alone.
pub(crate) fn route_only_holds(sets: &Sets, conds: &[RouteCond], r: &RouteCtx<'_>) -> bool {
    conds.iter().all(|c| match c {
        RouteCond::Prefix { set, want } => {
            r.prefix
                .is_some_and(|p| sets.prefix.get(*set).is_some_and(|s| s.matches(&p)))
                == *want
        }
        RouteCond::PrefixLen(x) => r.prefix.is_some_and(|p| x.holds(u32::from(p.len()))),
        // With the attributes: `route_attr_holds`.
        RouteCond::FirstAsIsNeighbor(_) => true,
        RouteCond::Neighbor { set, want } => {
            r.neighbor
                .is_some_and(|n| sets.neighbor.get(*set).is_some_and(|s| s.contains_addr(n)))
                == *want
        }
        RouteCond::PeerGroup(v) => r.peer_group.is_some_and(|g| v.iter().any(|x| x == g)),
        RouteCond::Family(v) => v.contains(&r.family),
        RouteCond::Source(v) => v.contains(&r.source),
        RouteCond::Rpki(v) => v.contains(&r.rpki),
        RouteCond::Aspa(v) => v.contains(&r.aspa),
    })
}

/// The route conditions of a term that also look at the attributes.
pub(crate) fn route_attr_holds(conds: &[RouteCond], r: &RouteCtx<'_>, a: &Attrs) -> bool {
    conds.iter().all(|c| match c {
        RouteCond::FirstAsIsNeighbor(b) => {
            let first = a.as_path.first_as();
            (first.is_some() && first == r.neighbor_asn) == *b
        }
        _ => true,
    })
}

fn remove<K: Kind>(list: &mut impl RetainVec<K>, r: &Remove<K>, named: &[CommunitySet<K>]) {
    match r {
        Remove::Patterns(p) => list.retain_items(|c| !p.matches(c)),
        Remove::Set(i) => {
            if let Some(s) = named.get(*i) {
                list.retain_items(|c| !s.matches(c));
            }
        }
    }
}

/// `retain` and `push` over the attribute lists (SmallVecs of each kind).
trait RetainVec<K> {
    fn retain_items(&mut self, f: impl FnMut(&K) -> bool);
    fn add(&mut self, k: K);
    fn replace(&mut self, v: &[K]);
}

impl<K: Copy + PartialEq, A: smallvec::Array<Item = K>> RetainVec<K> for smallvec::SmallVec<A> {
    fn retain_items(&mut self, mut f: impl FnMut(&K) -> bool) {
        self.retain(|k| f(k));
    }
    fn add(&mut self, k: K) {
        if !self.contains(&k) {
            self.push(k);
        }
    }
    fn replace(&mut self, v: &[K]) {
        self.clear();
        for k in v {
            self.add(*k);
        }
    }
}

impl<K: Copy + PartialEq> RetainVec<K> for Vec<K> {
    fn retain_items(&mut self, f: impl FnMut(&K) -> bool) {
        self.retain(f);
    }
    fn add(&mut self, k: K) {
        if !self.contains(&k) {
            self.push(k);
        }
    }
    fn replace(&mut self, v: &[K]) {
        self.clear();
        for k in v {
            self.add(*k);
        }
    }
}

/// Carry out a term's actions on `a`.
pub(crate) fn apply(sets: &Sets, actions: &[Act], a: &mut Attrs, s: &Session) {
    for act in actions {
        match act {
            Act::SetCommunities(v) => a.communities.replace(v),
            Act::RemoveCommunities(r) => remove(&mut a.communities, r, &sets.community.sets),
            Act::AddCommunities(v) => v.iter().for_each(|c| a.communities.add(*c)),
            Act::SetLarge(v) => a.large_communities.replace(v),
            Act::RemoveLarge(r) => remove(&mut a.large_communities, r, &sets.large_community.sets),
            Act::AddLarge(v) => v.iter().for_each(|c| a.large_communities.add(*c)),
            Act::SetExt(v) => a.ext_communities.replace(v),
            Act::RemoveExt(r) => remove(&mut a.ext_communities, r, &sets.ext_community.sets),
            Act::AddExt(v) => v.iter().for_each(|c| a.ext_communities.add(*c)),
            Act::LocalPref(v) => a.local_pref = Some(*v),
            Act::Med(v) => a.med = Some(*v),
            Act::MedAdd(v) => a.med = Some(a.med.unwrap_or(0).saturating_add(*v)),
            Act::MedSubtract(v) => a.med = Some(a.med.unwrap_or(0).saturating_sub(*v)),
            Act::PrependOwn(n) => {
                for _ in 0..*n {
                    a.as_path.prepend(s.local_asn);
                }
            }
            Act::PrependLast(n) => {
                if let Some(first) = a.as_path.first_as() {
                    for _ in 0..*n {
                        a.as_path.prepend(first);
                    }
                }
            }
            Act::NextHop(n) => {
                // Only an address of the next hop's own family: an IPv4
                // route with an IPv6 next hop needs RFC 8950 on the
                // session, which a policy cannot know it has.
                let same_family =
                    |x: std::net::IpAddr| a.next_hop.is_none_or(|nh| nh.is_ipv4() == x.is_ipv4());
                let to = match n {
                    NextHopAction::SelfAddr => s.local_address,
                    NextHopAction::Peer => s.peer_address,
                    NextHopAction::Unchanged => None,
                    NextHopAction::Addr(x) => Some(*x),
                };
                if let Some(x) = to.filter(|x| same_family(*x)) {
                    if a.next_hop != Some(x) {
                        a.next_hop = Some(x);
                        // The link-local belonged to the old next hop.
                        a.link_local = None;
                    }
                }
            }
            Act::Origin(o) => a.origin = Some(*o),
        }
    }
}
