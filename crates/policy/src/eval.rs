//! Running a chain on a route. An [`Evaluator`] belongs to one session and
//! direction; it memoises, per attribute set (interned `Arc`s, found by
//! address), which terms' attribute conditions hold and what each term's
//! actions make of the set. A real table has ~150k attribute sets per
//! million routes and an UPDATE's prefixes share one, so AS-path regular
//! expressions, community matching and the building of new attribute
//! sets run once per set, not once per route; only prefix, neighbor and
//! state conditions are checked per route.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use rbgp_rib::Attrs;
use rbgp_wire::attr::{AsPath, SegmentType};
use rustc_hash::FxHashMap;

use crate::compile::{
    Act, AttrCond, Chain, Mode, NextHopAction, Policies, Remove, RouteCond, Term,
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

/// A memoised transform: the input set (kept alive so its address is not
/// reused while cached) and the result.
type Transformed = (Arc<Attrs>, Arc<Attrs>);

/// Runs one chain for one session.
pub struct Evaluator {
    policies: Arc<Policies>,
    chain: Chain,
    session: Session,
    /// (attribute set, policy) -> which of its first 64 terms' attribute
    /// conditions hold.
    masks: FxHashMap<(usize, usize), (Arc<Attrs>, u64)>,
    /// (attribute set, policy, term) -> the set after the term's actions.
    transforms: FxHashMap<(usize, usize, usize), Transformed>,
    /// Entries per memo table before it starts again.
    memo_max: usize,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("chain", &self.chain)
            .field("session", &self.session)
            .field("memo", &(self.masks.len(), self.transforms.len()))
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
            transforms: FxHashMap::default(),
            memo_max: MEMO_MAX,
        }
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
        mut trace: Option<&mut Vec<Step>>,
    ) -> Outcome {
        let policies = Arc::clone(&self.policies);
        let mut cur = Arc::clone(attrs);
        let mut next_hop = None;
        let mut med_set = false;
        let done = |accept: bool, attrs: Arc<Attrs>, decided, next_hop, med_set| Outcome {
            accept,
            attrs,
            decided,
            next_hop,
            med_set,
        };
        for ci in 0..self.chain.policies.len() {
            let Some(&pi) = self.chain.policies.get(ci) else {
                continue;
            };
            let Some(policy) = policies.policy(pi) else {
                continue;
            };
            let mut mask = self.mask(pi, &cur);
            for (ti, term) in policy.terms.iter().enumerate() {
                let attr_ok = match u32::try_from(ti).ok().filter(|t| *t < 64) {
                    Some(bit) => mask & (1u64 << bit) != 0,
                    None => attr_holds(&policies.sets, &term.attr, &cur, &mut None),
                };
                let matched = attr_ok && route_holds(&policies.sets, &term.route, route, &cur);
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
                term.hits.fetch_add(1, Ordering::Relaxed);
                if !term.actions.is_empty() {
                    let next = self.transform(pi, ti, term, &cur, intern);
                    if !Arc::ptr_eq(&next, &cur) {
                        cur = next;
                        mask = self.mask(pi, &cur);
                    }
                    for a in &term.actions {
                        match a {
                            Act::NextHop(n) => next_hop = Some(*n),
                            Act::Med(_) | Act::MedAdd(_) | Act::MedSubtract(_) => med_set = true,
                            _ => {}
                        }
                    }
                }
                let decided = crate::eval::Decided::Term {
                    policy: pi,
                    term: ti,
                };
                match term.result {
                    Disposition::Accept => return done(true, cur, decided, next_hop, med_set),
                    Disposition::Reject => return done(false, cur, decided, next_hop, med_set),
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
            let decided = Decided::Default { policy: pi };
            match policy.default {
                Disposition::Accept => return done(true, cur, decided, next_hop, med_set),
                Disposition::Reject => return done(false, cur, decided, next_hop, med_set),
                Disposition::Next => {}
            }
        }
        done(
            self.chain.accept_by_default,
            cur,
            Decided::Chain,
            next_hop,
            med_set,
        )
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
        let mut text = None;
        let mut m = 0u64;
        for (ti, term) in policy.terms.iter().take(64).enumerate() {
            if attr_holds(&self.policies.sets, &term.attr, attrs, &mut text) {
                m |= 1u64 << ti;
            }
        }
        if self.masks.len() >= self.memo_max {
            // Dropped, not cleared: a cleared map keeps its capacity.
            self.masks = FxHashMap::default();
        }
        self.masks.insert(key, (Arc::clone(attrs), m));
        m
    }

    fn transform(
        &mut self,
        pi: usize,
        ti: usize,
        term: &Term,
        attrs: &Arc<Attrs>,
        intern: &mut dyn FnMut(Attrs) -> Arc<Attrs>,
    ) -> Arc<Attrs> {
        let key = (ptr(attrs), pi, ti);
        if let Some((_, out)) = self.transforms.get(&key) {
            return Arc::clone(out);
        }
        let mut a = Attrs::clone(attrs);
        apply(&self.policies.sets, &term.actions, &mut a, &self.session);
        let out = if a == **attrs {
            Arc::clone(attrs)
        } else {
            intern(a)
        };
        if self.transforms.len() >= self.memo_max {
            self.transforms = FxHashMap::default();
        }
        self.transforms
            .insert(key, (Arc::clone(attrs), Arc::clone(&out)));
        out
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
            let t = text.get_or_insert_with(|| a.as_path.to_string());
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
pub(crate) fn route_holds(sets: &Sets, conds: &[RouteCond], r: &RouteCtx<'_>, a: &Attrs) -> bool {
    conds.iter().all(|c| match c {
        RouteCond::Prefix { set, want } => {
            r.prefix
                .is_some_and(|p| sets.prefix.get(*set).is_some_and(|s| s.matches(&p)))
                == *want
        }
        RouteCond::PrefixLen(x) => r.prefix.is_some_and(|p| x.holds(u32::from(p.len()))),
        RouteCond::FirstAsIsNeighbor(b) => {
            let first = a.as_path.first_as();
            (first.is_some() && first == r.neighbor_asn) == *b
        }
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
