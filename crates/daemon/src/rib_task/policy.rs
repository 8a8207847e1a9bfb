//! User routing policy in the RIB task: each peer's import and export
//! chains per family as [`Gate`]s, the reasons routes are filtered, and
//! applying a policy change without resetting any session (import is run
//! again over the pre-policy table, or the peer is asked to send its
//! routes again; export recomputes every route for the peer).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use rbgp_policy::{ChainDef, Decided, Evaluator, Policies, RouteCtx, Session, Source};

use crate::stage::Stage;
pub use crate::stage::{prefix_of, Origin};
use rbgp_rib::rules::Rejection;
use rbgp_wire::{AfiSafi, Nlri};

use super::RibTask;
use crate::control::PolicyTrace;
use crate::tasks::{PeerSpec, ToPeer};

/// Memo entries of an export evaluator: its results are cached per
/// attribute set in front of it (`out.rs`), routes come in route-id order
/// (an UPDATE's prefixes together), and a route server has one per client:
/// a few hundred entries each, not thousands.
const EXPORT_MEMO: usize = 128;

/// How one family of one direction of a peer decides.
pub enum Gate {
    /// Every route passes (or none): nothing to evaluate per route.
    Fixed(bool, Filter),
    Eval(Box<Evaluator>),
}

/// The gates of one direction, per family.
#[derive(Default)]
pub struct Gates {
    by_family: Vec<(AfiSafi, Gate)>,
}

impl Gates {
    /// Gates for a peer's chains. Nothing attached: eBGP rejects (RFC
    /// 8212 §3), iBGP accepts.
    pub fn build(
        policies: &Arc<Policies>,
        chains: &[(AfiSafi, Option<ChainDef>)],
        ebgp: bool,
        session: Session,
        what: &str,
        memo: usize,
    ) -> Gates {
        let by_family = chains
            .iter()
            .map(|(f, def)| {
                let gate = match def {
                    None if ebgp => Gate::Fixed(false, Filter::NoPolicy),
                    None => Gate::Fixed(true, Filter::NoPolicy),
                    Some(def) => match policies.chain(def, what) {
                        Ok(chain) => {
                            let e = Evaluator::new(Arc::clone(policies), chain, session)
                                .with_memo_limit(memo);
                            match e.is_fixed() {
                                Some(accept) => Gate::Fixed(accept, Filter::Policy(Decided::Chain)),
                                None => Gate::Eval(Box::new(e)),
                            }
                        }
                        Err(e) => {
                            // The configuration was checked; a name that went
                            // missing since rejects rather than lets through.
                            tracing::error!(error = %e, "policy chain refers to a missing policy: rejecting");
                            Gate::Fixed(false, Filter::Policy(Decided::Chain))
                        }
                    },
                };
                (*f, gate)
            })
            .collect();
        Gates { by_family }
    }

    /// Everything passes (iBGP without policy, tests).
    pub fn open(families: &[AfiSafi]) -> Gates {
        Gates {
            by_family: families
                .iter()
                .map(|f| (*f, Gate::Fixed(true, Filter::NoPolicy)))
                .collect(),
        }
    }

    /// Add every evaluator's locally counted term hits to the shared
    /// counters.
    pub fn flush_hits(&mut self) {
        for (_, g) in &mut self.by_family {
            if let Gate::Eval(e) = g {
                e.flush_hits();
            }
        }
    }

    /// Twins of the evaluators a peer task can run (`stage.rs`): not those
    /// of chains on RPKI/ASPA states, which only the RIB task knows.
    pub fn stageable(&self) -> Vec<(AfiSafi, Evaluator)> {
        self.by_family
            .iter()
            .filter_map(|(f, g)| match g {
                Gate::Eval(e) if !e.uses_validation() => Some((*f, e.twin())),
                _ => None,
            })
            .collect()
    }

    /// Whether a chain of these gates matches on RPKI/ASPA states.
    pub fn uses_validation(&self) -> bool {
        self.by_family
            .iter()
            .any(|(_, g)| matches!(g, Gate::Eval(e) if e.uses_validation()))
    }

    /// Whether nothing of family `f` passes, whatever the route (a fixed
    /// reject, as RFC 8212 gives an eBGP peer without export policy).
    pub fn rejects_all(&self, f: AfiSafi) -> bool {
        self.by_family
            .iter()
            .any(|(x, g)| *x == f && matches!(g, Gate::Fixed(false, _)))
    }

    pub fn get_mut(&mut self, f: AfiSafi) -> Option<&mut Gate> {
        self.by_family
            .iter_mut()
            .find(|(x, _)| *x == f)
            .map(|(_, g)| g)
    }
}

/// Why a received route is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// The built-in rules (a loop, a route leak...).
    Rules(Rejection),
    /// eBGP with no import policy attached (RFC 8212).
    NoPolicy,
    /// A policy decided (the term, a policy's default or the chain's).
    Policy(Decided),
    /// The family is not one configured for the neighbor: nothing decides
    /// for it, so nothing of it is accepted.
    Family,
}

impl Filter {
    /// The same reason with its policy indices in `new` definitions, in
    /// which the deciding policy is unchanged.
    fn renumbered(self, old: &Policies, new: &Policies) -> Filter {
        let moved = |i: usize| new.index_of(old.policy_name(i)).unwrap_or(i);
        match self {
            Filter::Policy(Decided::Term { policy, term }) => Filter::Policy(Decided::Term {
                policy: moved(policy),
                term,
            }),
            Filter::Policy(Decided::Default { policy }) => Filter::Policy(Decided::Default {
                policy: moved(policy),
            }),
            other => other,
        }
    }

    /// The reason as an operator reads it.
    pub fn describe(&self, policies: &Policies) -> String {
        match self {
            Filter::Rules(r) => format!("rejected by the built-in rules: {r:?}"),
            Filter::NoPolicy => {
                "no import policy for this eBGP neighbor (RFC 8212): set import_policy".into()
            }
            Filter::Policy(Decided::Term { policy, term }) => format!(
                "policy {} term {}",
                policies.policy_name(*policy),
                policies.term_name(*policy, *term)
            ),
            Filter::Policy(Decided::Default { policy }) => {
                format!("policy {} default", policies.policy_name(*policy))
            }
            Filter::Policy(Decided::Chain) => "the chain's default".into(),
            Filter::Family => "the family is not configured for this neighbor".into(),
        }
    }

    /// The reason as a short key (looking glass reason codes).
    pub fn key(&self, policies: &Policies) -> String {
        match self {
            Filter::Rules(_) => "rules".into(),
            Filter::NoPolicy => "no_policy".into(),
            Filter::Policy(Decided::Term { policy, term }) => format!(
                "{}/{}",
                policies.policy_name(*policy),
                policies.term_name(*policy, *term)
            ),
            Filter::Policy(Decided::Default { policy }) => policies.policy_name(*policy).into(),
            Filter::Policy(Decided::Chain) => "chain".into(),
            Filter::Family => "family".into(),
        }
    }
}

/// A route originated here, as policy sees it.
pub fn injected(family: AfiSafi, nlri: &Nlri) -> RouteCtx<'static> {
    RouteCtx {
        family,
        prefix: prefix_of(nlri),
        neighbor: None,
        neighbor_asn: None,
        peer_group: None,
        source: Source::Injected,
        rpki: Default::default(),
        aspa: Default::default(),
    }
}

impl RibTask {
    /// The chains of one neighbor changed (or it was added; `None`: it is
    /// gone).
    pub(super) fn set_peer_policy(&mut self, addr: IpAddr, spec: Option<PeerSpec>) {
        match spec {
            Some(s) => self.set_policies(None, vec![(addr, s)]),
            None => {
                self.specs.remove(&addr);
            }
        }
    }

    /// New definitions and/or neighbors' chains, as one change: every
    /// peer's gates are rebuilt (they point into the definitions; a peer
    /// restarting gracefully too, for its stale routes), but
    /// routes run again only in the directions whose chains now decide
    /// differently, so editing one neighbor's policy re-sends nothing to
    /// the other hundreds of an IXP.
    pub(super) fn set_policies(
        &mut self,
        policies: Option<Arc<Policies>>,
        specs: Vec<(IpAddr, PeerSpec)>,
    ) {
        let known: Vec<IpAddr> = self.peers.keys().copied().collect();
        let before: Vec<Meaning> = known.iter().map(|a| self.meaning(a)).collect();
        let old = match policies {
            Some(p) => Some(std::mem::replace(&mut self.policies, p)),
            None => None,
        };
        let respecified: Vec<IpAddr> = specs.iter().map(|(a, _)| *a).collect();
        self.specs.extend(specs);
        for (addr, before) in known.iter().zip(before) {
            if old.is_none() && !respecified.contains(addr) {
                continue;
            }
            let after = self.meaning(addr);
            self.apply_policy(
                *addr,
                before.import != after.import,
                before.export != after.export,
                old.as_deref(),
            );
        }
    }

    /// What a peer's chains mean, to tell whether a change changes them.
    fn meaning(&self, addr: &IpAddr) -> Meaning {
        let Some(s) = self.specs.get(addr) else {
            return Meaning::default();
        };
        let side = |chains: &[(AfiSafi, Option<ChainDef>)]| -> u64 {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            s.ebgp.hash(&mut h);
            for (f, def) in chains {
                f.hash(&mut h);
                def.as_ref()
                    .map(|d| self.policies.fingerprint(d))
                    .hash(&mut h);
            }
            h.finish()
        };
        Meaning {
            import: (side(&s.policy.import), s.policy.keep_filtered),
            export: side(&s.policy.export),
        }
    }

    /// Rebuild the gates of a peer, then, where its chains changed: export
    /// recomputes every route for it; import runs the pre-policy table
    /// again, or asks the peer to send its routes again (ROUTE-REFRESH).
    /// `old`: the definitions replaced, when they were.
    fn apply_policy(
        &mut self,
        addr: IpAddr,
        import_changed: bool,
        export_changed: bool,
        old: Option<&Policies>,
    ) {
        let Some(p) = self.peers.get(&addr) else {
            return;
        };
        let families = p
            .out
            .as_ref()
            .map(|o| o.families.clone())
            .unwrap_or_default();
        let local = self.sources.get(&p.id).and_then(|r| r.local_address);
        let keep_filtered = self
            .specs
            .get(&addr)
            .is_some_and(|s| s.policy.keep_filtered);
        let (import, export) = self.gates(addr, &families, local);
        let new = Arc::clone(&self.policies);
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        p.import = import;
        p.keep_filtered = keep_filtered;
        // Even where the import side is unchanged: its evaluators point
        // into the old definitions.
        self.restage(addr);
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        if let Some(o) = p.out.as_mut() {
            o.set_export(export);
            if export_changed {
                o.clear_cache();
                for f in o.families.clone() {
                    o.refresh(&self.rib, f, false, false);
                }
            }
        }
        if !import_changed || p.pre.is_none() {
            // The reasons kept for filtered routes now name the new
            // definitions' indices (until the routes run through import
            // again, if the chains changed).
            if let Some(old) = old {
                for r in p.rejected.values_mut() {
                    r.why = r.why.renumbered(old, &new);
                }
            }
        }
        if !import_changed {
            return;
        }
        if p.pre.is_some() {
            self.reimport(addr);
        } else if p.out.is_none() {
            // It sends every route again when it is back (RFC 4724 §4.2).
            tracing::info!(peer = %addr, "import policy changed while the peer restarts: its stale routes keep their import until it sends them again (keep_pre_policy applies it at once)");
        } else if p.route_refresh {
            tracing::info!(peer = %addr, "import policy changed: asking the peer for its routes again");
            p.ask_refresh();
        } else {
            tracing::warn!(peer = %addr, "import policy changed, but the peer supports no route refresh and its pre-policy routes are not kept (keep_pre_policy): the new policy applies to routes it sends from now on");
        }
    }

    /// Import and export gates of a peer from its spec and the current
    /// definitions; `local_address`: our end of its session.
    pub(super) fn gates(
        &self,
        addr: IpAddr,
        families: &[AfiSafi],
        local_address: Option<IpAddr>,
    ) -> (Gates, Gates) {
        let session = Session {
            local_asn: self.local.asn,
            local_address,
            peer_address: Some(addr),
        };
        match self.specs.get(&addr) {
            Some(s) => (
                Gates::build(
                    &self.policies,
                    &s.policy.import,
                    s.ebgp,
                    session,
                    "import_policy",
                    rbgp_policy::MEMO_MAX,
                ),
                Gates::build(
                    &self.policies,
                    &s.policy.export,
                    s.ebgp,
                    session,
                    "export_policy",
                    EXPORT_MEMO,
                ),
            ),
            // Not configured through the supervisor (in-process tests of
            // the rules alone): everything passes.
            None => (Gates::open(families), Gates::open(families)),
        }
    }

    /// The import policy run again, traced, on a path as its neighbor sent
    /// it (its pre-policy form, after the built-in rules); `None` when that
    /// form is not kept or the path is ours.
    pub(super) fn import_trace(
        &mut self,
        family: AfiSafi,
        nlri: &Nlri,
        path: &rbgp_rib::Path,
    ) -> Option<PolicyTrace> {
        let addr = *self.by_id.get(&path.peer)?;
        let received = self
            .peers
            .get(&addr)?
            .pre
            .as_ref()?
            .get(&(family, nlri.clone(), path.path_id))?
            .clone();
        let mut attrs = rbgp_rib::Attrs::clone(&received);
        if let Some(r) = self.sources.get(&path.peer) {
            if let Err(why) = rbgp_rib::rules::import(&mut attrs, r, &self.local) {
                return Some(PolicyTrace {
                    steps: Vec::new(),
                    decided_by: Filter::Rules(why).describe(&self.policies),
                    accepted: false,
                });
            }
        }
        let origin = self.origins.get(&path.peer)?.clone();
        let p = self.peers.get_mut(&addr)?;
        Some(match p.import.get_mut(family) {
            None => PolicyTrace {
                steps: Vec::new(),
                decided_by: Filter::Family.describe(&self.policies),
                accepted: false,
            },
            Some(Gate::Fixed(accept, why)) => PolicyTrace {
                steps: Vec::new(),
                decided_by: if *accept {
                    "accepted without evaluation (accept_all or iBGP without policy)".into()
                } else {
                    why.describe(&self.policies)
                },
                accepted: *accept,
            },
            Some(Gate::Eval(e)) => {
                let mut steps = Vec::new();
                let mut route = origin.route(family, nlri);
                route.rpki = path.validation.rpki;
                route.aspa = path.validation.aspa;
                let o =
                    e.evaluate_traced(&route, &Arc::new(attrs), &mut |x| Arc::new(x), &mut steps);
                PolicyTrace {
                    steps,
                    decided_by: Filter::Policy(o.decided).describe(&self.policies),
                    accepted: o.accept,
                }
            }
        })
    }

    /// Give the peer task at `addr` its import as it stands (`stage.rs`),
    /// under a new generation: what it ran under the last one is
    /// evaluated again here.
    pub(super) fn restage(&mut self, addr: IpAddr) {
        self.stage_gen += 1;
        let generation = self.stage_gen;
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        p.stage_gen = generation;
        let (Some(rules), Some(origin), Some(o)) = (
            self.sources.get(&p.id),
            self.origins.get(&p.id),
            p.out.as_mut(),
        ) else {
            return;
        };
        o.urgent(ToPeer::Stage(Box::new(Stage {
            generation,
            rules: Arc::clone(rules),
            local: self.local.clone(),
            origin: origin.clone(),
            gates: p.import.stageable(),
        })));
    }

    /// Run a peer's pre-policy table through import again.
    fn reimport(&mut self, addr: IpAddr) {
        let Some(p) = self.peers.get(&addr) else {
            return;
        };
        let Some(pre) = p.pre.as_ref() else {
            return;
        };
        let (id, down) = (p.id, p.out.is_none());
        // RFC 4724 §4.2: a restarting peer's paths are stale, and once it
        // is back those it has not sent again stay stale until its
        // End-of-RIB. Importing them again must not make them fresh, or
        // they would outlive the sweep. (A path rejected before and
        // accepted now, of a peer back up, is taken as fresh: whether the
        // peer sent it again since is not known.)
        let pre: Vec<_> = pre
            .iter()
            .map(|(key, received)| {
                let (f, nlri, path_id) = key;
                let stale = down
                    || self
                        .rib
                        .paths(*f, nlri)
                        .iter()
                        .any(|x| x.peer == id && x.path_id == *path_id && x.stale);
                (key.clone(), Arc::clone(received), stale)
            })
            .collect();
        let n = pre.len();
        // Stored stale at once, with LLGR_STALE past the restart time
        // (RFC 9494 §4.2): no one sees them fresh for a moment.
        let long_lived = match self.peers.get(&addr) {
            Some(p) if down => p.gr.long_lived_now(),
            _ => Vec::new(),
        };
        for ((f, nlri, path_id), received, stale) in pre {
            self.restale = stale.then_some(super::retention::Restale {
                peer: id,
                long_lived: long_lived.contains(&f),
            });
            self.import_path(addr, id, (f, &nlri, path_id), &received);
        }
        self.restale = None;
        tracing::info!(peer = %addr, routes = n, "import policy applied again to the pre-policy routes");
    }
}

/// A peer's chains, reduced to what tells a change: the import side
/// (with whether filtered routes are kept) and the export side.
#[derive(Debug, Default, PartialEq)]
struct Meaning {
    import: (u64, bool),
    export: u64,
}

/// Specs of every configured neighbor, by address.
pub type Specs = HashMap<IpAddr, PeerSpec>;
