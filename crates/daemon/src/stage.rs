//! Import policy run in the peer task: the RIB task is the one core that
//! every route waits for, so the per-route policy work moves to the task
//! that decoded the UPDATE, on the other core.
//!
//! The RIB task gives each up peer a [`Stage`]: the built-in import rules'
//! inputs, where the peer's routes come from as policy sees it, and a twin
//! of each import evaluator whose chain does not look at RPKI or ASPA
//! states (those live in the RIB task), stamped with a generation. The
//! peer task runs each UPDATE through it ([`Stage::run`]) and hands the RIB
//! the result beside the UPDATE ([`Staged`]). The RIB takes the result only
//! when its generation is the peer's current one: after a policy change
//! (or a change of our AS) the UPDATEs already on their way were staged
//! with the old chains, and the RIB evaluates those itself. So where the
//! work runs never changes what is decided.

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_policy::{Evaluator, Outcome, RouteCtx, Source};
use rbgp_rib::rules::{self, Local, PeerRules, Rejection};
use rbgp_rib::Attrs;
use rbgp_wire::{AfiSafi, Nlri, Prefix, Update, Verdict};

/// Where a route came from, as policy conditions see it.
#[derive(Debug, Clone)]
pub struct Origin {
    pub addr: IpAddr,
    pub asn: u32,
    pub group: Option<Arc<str>>,
    pub source: Source,
}

impl Origin {
    pub fn of(addr: IpAddr, rules: &PeerRules, group: Option<Arc<str>>) -> Origin {
        let source = match (rules.ibgp, rules.rr_client) {
            (false, _) => Source::Ebgp,
            (true, false) => Source::Ibgp,
            (true, true) => Source::Reflected,
        };
        Origin {
            addr,
            asn: rules.asn,
            group,
            source,
        }
    }

    /// The route as policy sees it.
    pub fn route<'a>(&'a self, family: AfiSafi, nlri: &Nlri) -> RouteCtx<'a> {
        RouteCtx {
            family,
            prefix: prefix_of(nlri),
            neighbor: Some(self.addr),
            neighbor_asn: Some(self.asn),
            peer_group: self.group.as_deref(),
            source: self.source,
            rpki: Default::default(),
            aspa: Default::default(),
        }
    }
}

/// The prefix policy prefix conditions look at.
pub fn prefix_of(nlri: &Nlri) -> Option<Prefix> {
    match nlri {
        Nlri::Prefix(p) => Some(*p),
        _ => None,
    }
}

/// What a peer task needs to run its neighbor's import, as the RIB task
/// decided it at `generation`.
#[derive(Debug)]
pub struct Stage {
    pub generation: u64,
    pub rules: Arc<PeerRules>,
    pub local: Local,
    pub origin: Origin,
    /// The families whose chain runs here; the others (fixed verdicts,
    /// chains on RPKI/ASPA states) the RIB task decides.
    pub gates: Vec<(AfiSafi, Evaluator)>,
}

/// One UPDATE's import as its peer task ran it.
#[derive(Debug)]
pub struct Staged {
    pub generation: u64,
    /// The UPDATE's attributes as received (the pre-policy table's).
    pub received: Attrs,
    /// After the built-in import rules: the policy's input.
    pub checked: Arc<Attrs>,
    /// What the built-in rules decided.
    pub rules: Result<(), Rejection>,
    /// Per announced NLRI, in [`Update::announced`] order: the outcome of
    /// its family's chain, or `None` where the RIB task decides (or the
    /// rules rejected the UPDATE).
    pub outcomes: Vec<Option<Outcome>>,
}

impl Staged {
    /// About what it holds in memory, for the RIB inbox's room
    /// (`peer/room.rs`) beside the UPDATE's own [`decoded_size`]: the
    /// received and checked sets, an outcome per announced NLRI, and each
    /// set the policy made (a new one wherever an action changed the
    /// route; consecutive outcomes sharing one counted once).
    ///
    /// [`decoded_size`]: crate::tasks::decoded_size
    pub fn approx_size(&self) -> usize {
        let mut n = std::mem::size_of::<Staged>()
            + self.received.approx_size()
            + self.checked.approx_size()
            + self.outcomes.capacity() * std::mem::size_of::<Option<Outcome>>();
        let mut last = &self.checked;
        for o in self.outcomes.iter().flatten() {
            if !Arc::ptr_eq(&o.attrs, last) && !Arc::ptr_eq(&o.attrs, &self.checked) {
                n += o.attrs.approx_size();
            }
            last = &o.attrs;
        }
        n
    }
}

impl Stage {
    /// Run one UPDATE; `None` when it has nothing for the chains here
    /// (no announcement, treat-as-withdraw, a family being disabled, or
    /// no chain runs here).
    pub fn run(&mut self, update: &Update, verdict: &Verdict) -> Option<Box<Staged>> {
        if self.gates.is_empty()
            || verdict.treat_as_withdraw.is_some()
            || !verdict.disable_families.is_empty()
            || update.is_end_of_rib().is_some()
        {
            return None;
        }
        let mut announced = update.announced().peekable();
        let first = announced.peek()?.0;
        if !update
            .announced()
            .any(|(f, _)| self.gates.iter().any(|(g, _)| *g == f))
        {
            return None;
        }
        let received = Attrs::from_update(update);
        let mut attrs = received.clone();
        let rules = rules::import(&mut attrs, &self.rules, &self.local);
        let checked = Arc::new(attrs);
        let mut outcomes = Vec::new();
        if rules.is_ok() {
            // One family's evaluator for the run of NLRIs of that family.
            let mut at = self.gates.iter().position(|(g, _)| *g == first);
            let mut family = first;
            for (f, n) in announced {
                if f != family {
                    family = f;
                    at = self.gates.iter().position(|(g, _)| *g == f);
                }
                let gate = at.and_then(|i| self.gates.get_mut(i));
                outcomes.push(gate.map(|(_, e)| {
                    let route = self.origin.route(f, &n.nlri);
                    e.evaluate(&route, &checked, &mut |x| Arc::new(x))
                }));
            }
        }
        // The sets are this UPDATE's alone (not interned): nothing
        // memoised on them is of use for the next one.
        for (_, e) in &mut self.gates {
            e.forget_memo();
        }
        Some(Box::new(Staged {
            generation: self.generation,
            received,
            checked,
            rules,
            outcomes,
        }))
    }

    /// Add the term hits counted here to the shared counters (before the
    /// RIB task sees the routes they were counted for).
    pub fn flush_hits(&mut self) {
        for (_, e) in &mut self.gates {
            e.flush_hits();
        }
    }
}

#[cfg(test)]
mod tests {
    use rbgp_policy::Decided;
    use rbgp_wire::attr::Community;

    use super::*;

    /// A staged UPDATE of a 50-community set, its outcomes made from its
    /// checked set by `outcomes`.
    fn staged(outcomes: impl Fn(&Arc<Attrs>) -> Vec<Option<Outcome>>) -> Staged {
        let received = Attrs {
            communities: (0..50).map(Community).collect(),
            ..Attrs::default()
        };
        let checked = Arc::new(received.clone());
        Staged {
            generation: 1,
            outcomes: outcomes(&checked),
            checked,
            received,
            rules: Ok(()),
        }
    }

    fn outcome(attrs: Arc<Attrs>) -> Option<Outcome> {
        Some(Outcome {
            accept: true,
            attrs,
            decided: Decided::Chain,
            next_hop: None,
            med_set: false,
        })
    }

    fn tagged(checked: &Attrs, i: u32) -> Arc<Attrs> {
        let mut a = checked.clone();
        a.communities.push(Community(1_000_000 + i));
        Arc::new(a)
    }

    /// A policy that changes each route makes a set per route, which the
    /// inbox's room must count; sets shared by the routes count once.
    #[test]
    fn sets_the_policy_made_count_toward_the_room() {
        let base = staged(|_| Vec::new());
        let floor = base.approx_size();
        assert!(floor > 2 * base.received.approx_size());
        let set = tagged(&base.checked, 0).approx_size();
        let per_outcome = std::mem::size_of::<Option<Outcome>>();
        let unchanged = staged(|c| (0..100).map(|_| outcome(Arc::clone(c))).collect());
        assert_eq!(
            unchanged.approx_size(),
            floor + 100 * per_outcome,
            "outcomes of the checked set itself add only their slots"
        );
        let shared = staged(|c| {
            let one = tagged(c, 0);
            (0..100).map(|_| outcome(Arc::clone(&one))).collect()
        });
        assert_eq!(shared.approx_size(), unchanged.approx_size() + set);
        let each = staged(|c| (0..100).map(|i| outcome(tagged(c, i))).collect());
        assert_eq!(each.approx_size(), unchanged.approx_size() + 100 * set);
    }
}
