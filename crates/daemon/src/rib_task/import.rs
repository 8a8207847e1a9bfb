//! Received UPDATEs into the RIB: the pre-policy Adj-RIB-In (when kept),
//! withdrawals, RFC 7606 treat-as-withdraw, the built-in import rules
//! (`rbgp_rib::rules::import`), the peer's import policy (`policy.rs`),
//! rejected paths with their reason, End-of-RIB, and the max-prefix limit.

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_policy::Outcome;
use rbgp_rib::rules::{self, Rejection};
use rbgp_rib::{Attrs, PeerId};
use rbgp_wire::{AfiSafi, AttrValue, Nlri, Update, Verdict};

use super::policy::{Filter, Gate};
use super::RibTask;
use crate::stage::Staged;
use crate::tasks::ToPeer;

impl RibTask {
    /// Record the UPDATE in the peer's pre-policy Adj-RIB-In, if it keeps
    /// one: announcements as received (RFC 7606 treat-as-withdraw counts as
    /// a withdrawal there too). `received`: the UPDATE's attributes before
    /// import policy (`None` when it is treated as withdraw).
    pub(super) fn keep_pre(
        &mut self,
        addr: IpAddr,
        update: &Update,
        verdict: &Verdict,
        received: Option<&Attrs>,
    ) {
        let Some(pre) = self.peers.get_mut(&addr).and_then(|p| p.pre.as_mut()) else {
            return;
        };
        for (f, n) in update.withdrawals() {
            pre.remove(&(f, n.nlri.clone(), n.path_id.unwrap_or(0)));
        }
        if let Some(w) = &verdict.treat_as_withdraw {
            for (f, n) in w {
                pre.remove(&(*f, n.nlri.clone(), n.path_id.unwrap_or(0)));
            }
            return;
        }
        let mut announced = update.announced().peekable();
        let Some(received) = received.filter(|_| announced.peek().is_some()) else {
            return;
        };
        let attrs = self.interner.intern(received.clone());
        for (f, n) in announced {
            if !verdict.disable_families.contains(&f) {
                pre.insert(
                    (f, n.nlri.clone(), n.path_id.unwrap_or(0)),
                    Arc::clone(&attrs),
                );
            }
        }
    }

    /// The path is no longer one import rejected (the key is only built
    /// when the peer has rejected paths: this runs per prefix).
    /// Whether it was one.
    pub(super) fn unreject(
        &mut self,
        addr: IpAddr,
        family: AfiSafi,
        nlri: &Nlri,
        path_id: u32,
    ) -> bool {
        match self.peers.get_mut(&addr).filter(|p| !p.rejected.is_empty()) {
            Some(p) => p
                .rejected
                .remove(&(family, nlri.clone(), path_id))
                .is_some(),
            None => false,
        }
    }

    fn count(&mut self, addr: IpAddr, f: impl FnOnce(&mut crate::control::ImportCounters)) {
        if let Some(p) = self.peers.get_mut(&addr) {
            f(&mut p.counters);
        }
    }

    /// One UPDATE from the peer at `addr`, with its import when the peer
    /// task ran it (`stage.rs`).
    pub(super) fn import(
        &mut self,
        addr: IpAddr,
        update: &Update,
        verdict: &Verdict,
        staged: Option<Box<Staged>>,
    ) {
        let Some(p) = self.peers.get(&addr).filter(|p| p.out.is_some()) else {
            return;
        };
        // Past max_prefixes the session is being closed (Cease/1, RFC
        // 4486): UPDATEs still queued are not imported, so the limit is
        // passed by one UPDATE at most, whatever a flooding peer got into
        // the queue meanwhile.
        if p.max_told && !p.max_warning_only {
            return;
        }
        let id = p.id;
        let max = p.max_prefixes;
        // The common case (nothing disabled, nothing to disable) costs no
        // more than this test.
        if p.disabled.is_empty() && verdict.disable_families.is_empty() {
            // Staged under the import the peer has now, or run here.
            let staged = staged.filter(|s| s.generation == p.stage_gen);
            return self.import_enabled(addr, id, max, update, verdict, staged);
        }
        self.disable(addr, &verdict.disable_families);
        let disabled = self
            .peers
            .get(&addr)
            .map(|p| p.disabled.clone())
            .unwrap_or_default();
        // An End-of-RIB carries no route: it stands for its family
        // (stripping a disabled family's MP_UNREACH would make any
        // marker look like IPv4's).
        if let Some(f) = update.is_end_of_rib() {
            if !disabled.contains(&f) {
                self.import_enabled(addr, id, max, update, verdict, None);
            }
            return;
        }
        // RFC 4760 §7: the rest of the session's routes of a disabled
        // family are ignored (withdrawals too: none is held).
        let kept = without(update, &disabled);
        if kept.announced().next().is_some() || kept.withdrawals().next().is_some() {
            self.import_enabled(addr, id, max, &kept, verdict, None);
        }
    }

    /// RFC 7606 §2 / RFC 4760 §7 AFI/SAFI disable: a family whose
    /// MP_REACH_NLRI or MP_UNREACH_NLRI could not be parsed is dropped for
    /// the rest of the session. The peer's routes of it are removed (with
    /// its pre-policy and filtered entries) and later ones are ignored.
    fn disable(&mut self, addr: IpAddr, families: &[AfiSafi]) {
        let Some(p) = self.peers.get_mut(&addr) else {
            return;
        };
        let new: Vec<AfiSafi> = families
            .iter()
            .copied()
            .filter(|f| !p.disabled.contains(f))
            .collect();
        if new.is_empty() {
            return;
        }
        p.disabled.extend(new.iter().copied());
        p.rejected.retain(|(f, _, _), _| !new.contains(f));
        if let Some(pre) = p.pre.as_mut() {
            pre.retain(|(f, _, _), _| !new.contains(f));
        }
        let id = p.id;
        let gone = self.rib.remove_paths(id, |f, _| new.contains(&f));
        tracing::warn!(%addr, families = %crate::control::families_text(&new), removed = gone.len(), "RFC 7606 AFI/SAFI disable: the peer's routes of these families removed, what it sends of them ignored until the session restarts");
        self.changes(gone);
    }

    /// [`RibTask::import`] of an UPDATE holding only enabled families.
    fn import_enabled(
        &mut self,
        addr: IpAddr,
        id: PeerId,
        max: Option<u32>,
        update: &Update,
        verdict: &Verdict,
        staged: Option<Box<Staged>>,
    ) {
        if let Some(f) = update.is_end_of_rib() {
            // RFC 4724 §4.2: End-of-RIB ends the peer's restart for f.
            let done = self
                .peers
                .get_mut(&addr)
                .map(|p| p.gr.end_of_rib(f))
                .unwrap_or_default();
            self.sweep(addr, &done);
            return;
        }
        // Built once: kept as received (pre-policy) and run through import
        // (here, or by the peer task, which built it then).
        let (received, staged) = match staged {
            Some(s) => {
                let Staged {
                    received,
                    checked,
                    rules,
                    outcomes,
                    ..
                } = *s;
                (Some(received), Some((checked, rules, outcomes)))
            }
            None => (
                verdict
                    .treat_as_withdraw
                    .is_none()
                    .then(|| Attrs::from_update(update)),
                None,
            ),
        };
        self.keep_pre(addr, update, verdict, received.as_ref());
        let post = self.bmp.wants().post;
        let mut duplicate_withdraws = 0;
        for (f, n) in update.withdrawals() {
            let path_id = n.path_id.unwrap_or(0);
            let held = self.withdraw(id, f, &n.nlri, path_id);
            if held && post {
                self.bmp_accepted(addr, (f, &n.nlri, path_id), None);
            }
            if !self.unreject(addr, f, &n.nlri, path_id) && !held {
                duplicate_withdraws += 1;
            }
        }
        if duplicate_withdraws > 0 {
            self.count(addr, |c| c.duplicate_withdraws += duplicate_withdraws);
        }
        if let Some(w) = &verdict.treat_as_withdraw {
            self.count(addr, |c| {
                c.treat_as_withdraw_updates += 1;
                c.treat_as_withdraw_prefixes += w.len() as u64;
            });
            // RFC 7606 §2: the UPDATE's routes count as withdrawn.
            for (f, n) in w {
                let path_id = n.path_id.unwrap_or(0);
                if self.withdraw(id, *f, &n.nlri, path_id) && post {
                    self.bmp_accepted(addr, (*f, &n.nlri, path_id), None);
                }
                self.unreject(addr, *f, &n.nlri, path_id);
            }
        } else if let Some((checked, rules, outcomes)) = staged {
            self.admit_staged(addr, id, update, &checked, rules, &outcomes);
        } else if let Some(attrs) = received {
            let (shared, checked) = self.checked(id, attrs);
            for (f, n) in update.announced() {
                if verdict.disable_families.contains(&f) {
                    continue;
                }
                let path_id = n.path_id.unwrap_or(0);
                self.admit(addr, id, (f, &n.nlri, path_id), &shared, checked, None);
            }
        }
        self.updates_since_collect += 1;
        if let Some(max) = max {
            // Filtered paths count: they are held too (a receive limit).
            let rejected = self.peers.get(&addr).map_or(0, |p| p.rejected.len());
            if self.rib.path_count(id) + rejected > max as usize {
                if let Some(p) = self.peers.get_mut(&addr).filter(|p| !p.max_told) {
                    tracing::warn!(%addr, max, "max_prefixes exceeded");
                    p.max_told = true;
                    if let Some(o) = p.out.as_mut() {
                        o.urgent(ToPeer::MaxPrefix(max));
                    }
                }
            }
        }
    }

    /// One path of the pre-policy table through import again.
    pub(super) fn import_path(
        &mut self,
        addr: IpAddr,
        id: PeerId,
        key: (AfiSafi, &Nlri, u32),
        received: &Arc<Attrs>,
    ) {
        let (shared, checked) = self.checked(id, Attrs::clone(received));
        self.admit(addr, id, key, &shared, checked, None);
    }

    /// An UPDATE's paths the peer task ran the rules and (some of) the
    /// import chains on: its sets interned here, one per distinct set.
    fn admit_staged(
        &mut self,
        addr: IpAddr,
        id: PeerId,
        update: &Update,
        checked: &Arc<Attrs>,
        rules: Result<(), Rejection>,
        outcomes: &[Option<Outcome>],
    ) {
        // The received set, interned only when a path keeps it: where
        // policy changed every path's set (LOCAL_PREF, communities), it
        // would only be hashed, stored and collected again.
        let mut shared: Option<Arc<Attrs>> = None;
        let keep_filtered = self.peers.get(&addr).is_some_and(|p| p.keep_filtered);
        // (the peer task's set, ours): an UPDATE's outcomes share a few.
        let mut made: Vec<(&Arc<Attrs>, Arc<Attrs>)> = Vec::new();
        for (i, (f, n)) in update.announced().enumerate() {
            let path_id = n.path_id.unwrap_or(0);
            let decided = match (rules, outcomes.get(i).and_then(Option::as_ref)) {
                (Ok(()), Some(o)) if !o.accept => Some(Err(Filter::Policy(o.decided))),
                (Ok(()), Some(o)) if Arc::ptr_eq(&o.attrs, checked) => Some(Ok(Arc::clone(
                    shared.get_or_insert_with(|| self.interner.intern_arc(checked)),
                ))),
                (Ok(()), Some(o)) => Some(Ok(
                    match made.iter().find(|(x, _)| Arc::ptr_eq(x, &o.attrs)) {
                        Some((_, a)) => Arc::clone(a),
                        None => {
                            let a = self.interner.intern_arc(&o.attrs);
                            made.push((&o.attrs, Arc::clone(&a)));
                            a
                        }
                    },
                )),
                _ => None,
            };
            // Kept as it is where policy runs here (`None`: what it
            // accepts unchanged) or a rejected path is kept (shared then
            // as every kept set is).
            let attrs = match &decided {
                Some(Ok(_)) => checked,
                Some(Err(_)) if !keep_filtered => checked,
                _ => &*shared.get_or_insert_with(|| self.interner.intern_arc(checked)),
            };
            self.admit(addr, id, (f, &n.nlri, path_id), attrs, rules, decided);
        }
    }

    /// The built-in import rules on a received set (RFC 4271 §9.1.2 loops,
    /// RFC 9234 OTC), which may add OTC; the result interned.
    fn checked(&mut self, id: PeerId, mut attrs: Attrs) -> (Arc<Attrs>, Result<(), Rejection>) {
        let checked = match self.sources.get(&id) {
            Some(r) => rules::import(&mut attrs, r, &self.local),
            None => Ok(()),
        };
        (self.interner.intern(attrs), checked)
    }

    /// A path the rules checked, through the peer's import policy into the
    /// RIB, or out of it with the reason. `decided`: what the policy made
    /// of it, when the peer task ran it.
    fn admit(
        &mut self,
        addr: IpAddr,
        id: PeerId,
        (f, nlri, path_id): (AfiSafi, &Nlri, u32),
        attrs: &Arc<Attrs>,
        checked: Result<(), Rejection>,
        decided: Option<Result<Arc<Attrs>, Filter>>,
    ) {
        // RPKI states are of the path as received (before policy changes
        // its AS_PATH), and policy may match on them.
        let validation = self.validation_of(id, f, nlri, attrs);
        let verdict = match (checked, decided) {
            (Err(why), _) => Err(Filter::Rules(why)),
            (Ok(()), Some(d)) => d,
            (Ok(()), None) => self.import_policy(addr, id, f, nlri, attrs, validation),
        };
        match verdict {
            Ok(a) => {
                let Some((a, stale)) = self.restaled(id, a) else {
                    // NO_LLGR past the restart time (RFC 9494 §4.2).
                    self.withdraw(id, f, nlri, path_id);
                    return;
                };
                let post = self.bmp.wants().post.then(|| Arc::clone(&a));
                let (c, duplicate) = self.rib.upsert(id, f, nlri, path_id, a, validation, stale);
                if duplicate {
                    self.count_duplicate(addr);
                }
                // The post-policy view changes only when the path does: a
                // route the peer repeats (a refresh answered for a BMP
                // station's pre-policy view re-sends them all) is not
                // announced again to stations that have it.
                if let Some(a) = post.filter(|_| !duplicate) {
                    self.bmp_accepted(addr, (f, nlri, path_id), Some(&a));
                }
                self.apply(c);
                self.unreject(addr, f, nlri, path_id);
            }
            Err(why) => {
                tracing::trace!(%addr, %nlri, ?why, "path rejected");
                if self.withdraw(id, f, nlri, path_id) && self.bmp.wants().post {
                    self.bmp_accepted(addr, (f, nlri, path_id), None);
                }
                if let Some(p) = self.peers.get_mut(&addr) {
                    let kept = p.keep_filtered.then(|| Arc::clone(attrs));
                    p.rejected
                        .insert((f, nlri.clone(), path_id), Filtered { why, attrs: kept });
                }
            }
        }
    }

    /// The peer's import gate for the family: the attributes to keep, or
    /// why not.
    fn import_policy(
        &mut self,
        addr: IpAddr,
        id: PeerId,
        f: AfiSafi,
        nlri: &Nlri,
        attrs: &Arc<Attrs>,
        validation: rbgp_rib::Validation,
    ) -> Result<Arc<Attrs>, Filter> {
        let Some(p) = self.peers.get_mut(&addr) else {
            return Ok(Arc::clone(attrs));
        };
        match p.import.get_mut(f) {
            Some(Gate::Fixed(true, _)) => Ok(Arc::clone(attrs)),
            Some(Gate::Fixed(false, why)) => Err(*why),
            None => Err(Filter::Family),
            Some(Gate::Eval(e)) => {
                let Some(origin) = self.origins.get(&id) else {
                    return Ok(Arc::clone(attrs));
                };
                let mut route = origin.route(f, nlri);
                route.rpki = validation.rpki;
                route.aspa = validation.aspa;
                let interner = &mut self.interner;
                let o = e.evaluate(&route, attrs, &mut |x| interner.intern(x));
                if o.accept {
                    Ok(o.attrs)
                } else {
                    Err(Filter::Policy(o.decided))
                }
            }
        }
    }
}

/// A received path import rejected.
#[derive(Debug, Clone)]
pub struct Filtered {
    pub why: Filter,
    /// The attributes (after the built-in rules), when the neighbor keeps
    /// filtered routes.
    pub attrs: Option<Arc<Attrs>>,
}

/// `update` without what it carries of the `disabled` families.
fn without(update: &Update, disabled: &[AfiSafi]) -> Update {
    let mut u = update.clone();
    if disabled.contains(&AfiSafi::IPV4_UNICAST) {
        u.nlri.clear();
        u.withdrawn.clear();
    }
    u.attributes.retain(|a| match &a.value {
        AttrValue::MpReach(m) => !disabled.contains(&m.family),
        AttrValue::MpUnreach(m) => !disabled.contains(&m.family),
        _ => true,
    });
    u
}
