//! Graceful-restart helper timers of one peer (RFC 4724 §4.2): while the
//! peer restarts its routes are kept stale; once it is back they stay until
//! its End-of-RIB or the stale timer. With long-lived graceful restart (RFC
//! 9494 §4.2) the routes of the families it covers outlive the restart
//! time, marked LLGR_STALE, for the peer's long-lived stale time.

use std::time::Duration;

use rbgp_wire::capability::{GracefulRestart, LlgrFamily};
use rbgp_wire::AfiSafi;
use tokio::time::Instant;

use crate::tasks::Retain;

/// How long stale routes may outlive a re-established session without an
/// End-of-RIB (FRR's and GoBGP's default stale-path time).
const STALE_TIME: Duration = Duration::from_secs(360);

/// One peer's graceful-restart state, as seen by the helper (us).
#[derive(Debug, Default)]
pub struct Restart {
    /// Down: the families kept and when the restart time runs out.
    restarting: Option<(Vec<AfiSafi>, Instant)>,
    /// Down: families to keep long-lived once the restart time is over.
    long_lived: Vec<(AfiSafi, u32)>,
    /// Down, restart time over: per family, when its routes go.
    llgr: Vec<(AfiSafi, Instant)>,
    /// Back up: families still holding stale routes, swept by this time.
    stale: Option<(Vec<AfiSafi>, Instant)>,
}

/// What a timer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    /// The peer did not come back and nothing is kept longer: forget it
    /// and its routes.
    Restart,
    /// The restart time is over: `keep` turns long-lived stale, the
    /// routes of `drop` go.
    LongLived {
        keep: Vec<AfiSafi>,
        drop: Vec<AfiSafi>,
    },
    /// The long-lived stale time of these families is over: their routes
    /// go; `last`: nothing of the peer is kept any more.
    LongLivedOver { families: Vec<AfiSafi>, last: bool },
    /// No End-of-RIB in time: sweep these families.
    Stale(Vec<AfiSafi>),
}

fn forwarding(
    f: AfiSafi,
    gr: Option<&GracefulRestart>,
    llgr: &[LlgrFamily],
    long_lived: bool,
) -> bool {
    if long_lived {
        llgr.iter().any(|g| g.family == f && g.forwarding)
    } else {
        gr.is_some_and(|c| c.families.iter().any(|g| g.family == f && g.forwarding))
    }
}

impl Restart {
    pub fn start(&mut self, r: Retain) {
        self.stale = None;
        self.llgr.clear();
        self.long_lived = r.long_lived;
        self.restarting = Some((
            r.families,
            Instant::now() + Duration::from_secs(u64::from(r.restart_time)),
        ));
    }

    /// The session is back with these capabilities; returns the families
    /// to sweep at once: those the peer no longer lists with the
    /// forwarding (F) bit set, in the capability of the phase they were in.
    pub fn reestablished(
        &mut self,
        gr: Option<&GracefulRestart>,
        llgr: &[LlgrFamily],
    ) -> Vec<AfiSafi> {
        let mut held: Vec<(AfiSafi, bool)> = Vec::new();
        if let Some((families, _)) = self.restarting.take() {
            held.extend(families.into_iter().map(|f| (f, false)));
        }
        for (f, _) in self.llgr.drain(..) {
            held.retain(|(g, _)| *g != f);
            held.push((f, true));
        }
        // Back within the restart time: families kept only for long-lived
        // retention hold stale routes too (they were marked when the
        // session went down), judged by the long-lived capability.
        for (f, _) in self.long_lived.drain(..) {
            if !held.iter().any(|(g, _)| *g == f) {
                held.push((f, true));
            }
        }
        let (keep, sweep): (Vec<_>, Vec<_>) = held
            .into_iter()
            .partition(|(f, ll)| forwarding(*f, gr, llgr, *ll));
        if !keep.is_empty() {
            self.stale = Some((
                keep.into_iter().map(|(f, _)| f).collect(),
                Instant::now() + STALE_TIME,
            ));
        }
        sweep.into_iter().map(|(f, _)| f).collect()
    }

    /// End-of-RIB for `family`: returns it if it held stale routes.
    pub fn end_of_rib(&mut self, family: AfiSafi) -> Vec<AfiSafi> {
        let Some((families, _)) = self.stale.as_mut() else {
            return Vec::new();
        };
        let Some(i) = families.iter().position(|f| *f == family) else {
            return Vec::new();
        };
        families.swap_remove(i);
        if families.is_empty() {
            self.stale = None;
        }
        vec![family]
    }

    /// Down past the restart time: the families kept long-lived stale.
    pub fn long_lived_now(&self) -> Vec<AfiSafi> {
        self.llgr.iter().map(|(f, _)| *f).collect()
    }

    pub fn deadline(&self) -> Option<Instant> {
        let a = self.restarting.as_ref().map(|(_, t)| *t);
        let b = self.stale.as_ref().map(|(_, t)| *t);
        let c = self.llgr.iter().map(|(_, t)| *t).min();
        a.into_iter().chain(b).chain(c).min()
    }

    pub fn expire(&mut self, now: Instant) -> Option<Expired> {
        if let Some((families, _)) = self.restarting.take_if(|(_, t)| *t <= now) {
            if self.long_lived.is_empty() {
                return Some(Expired::Restart);
            }
            let keep: Vec<AfiSafi> = self.long_lived.iter().map(|(f, _)| *f).collect();
            let drop = families.into_iter().filter(|f| !keep.contains(f)).collect();
            self.llgr = self
                .long_lived
                .drain(..)
                .map(|(f, secs)| (f, now + Duration::from_secs(u64::from(secs))))
                .collect();
            return Some(Expired::LongLived { keep, drop });
        }
        let over: Vec<AfiSafi> = self
            .llgr
            .iter()
            .filter(|(_, t)| *t <= now)
            .map(|(f, _)| *f)
            .collect();
        if !over.is_empty() {
            self.llgr.retain(|(_, t)| *t > now);
            return Some(Expired::LongLivedOver {
                families: over,
                last: self.llgr.is_empty(),
            });
        }
        if self.stale.as_ref().is_some_and(|(_, t)| *t <= now) {
            return self.stale.take().map(|(f, _)| Expired::Stale(f));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbgp_wire::capability::GrFamily;

    fn cap(families: &[(AfiSafi, bool)]) -> GracefulRestart {
        GracefulRestart {
            restarting: true,
            notification: false,
            time: 120,
            families: families
                .iter()
                .map(|(f, fw)| GrFamily {
                    family: *f,
                    forwarding: *fw,
                })
                .collect(),
        }
    }

    fn gr_only(families: Vec<AfiSafi>, restart_time: u16) -> Retain {
        Retain {
            families,
            restart_time,
            long_lived: Vec::new(),
        }
    }

    #[test]
    fn long_lived_families_outlive_the_restart_time() {
        let (v4, v6) = (AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST);
        let mut r = Restart::default();
        r.start(Retain {
            families: vec![v4, v6],
            restart_time: 10,
            long_lived: vec![(v4, 100), (AfiSafi::IPV4_FLOWSPEC, 50)],
        });
        let t0 = Instant::now();
        assert_eq!(r.expire(t0), None);
        let t1 = t0 + Duration::from_secs(11);
        assert_eq!(
            r.expire(t1),
            Some(Expired::LongLived {
                keep: vec![v4, AfiSafi::IPV4_FLOWSPEC],
                drop: vec![v6]
            })
        );
        assert_eq!(r.expire(t1), None);
        assert_eq!(
            r.expire(t1 + Duration::from_secs(60)),
            Some(Expired::LongLivedOver {
                families: vec![AfiSafi::IPV4_FLOWSPEC],
                last: false
            })
        );
        assert_eq!(
            r.expire(t1 + Duration::from_secs(101)),
            Some(Expired::LongLivedOver {
                families: vec![v4],
                last: true
            })
        );
        assert_eq!(r.deadline(), None);
    }

    #[test]
    fn back_during_long_lived_retention_checks_the_llgr_forwarding_bit() {
        let (v4, v6) = (AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST);
        let mut r = Restart::default();
        r.start(Retain {
            families: vec![],
            restart_time: 0,
            long_lived: vec![(v4, 100), (v6, 100)],
        });
        assert!(matches!(
            r.expire(Instant::now()),
            Some(Expired::LongLived { .. })
        ));
        let llgr = [LlgrFamily {
            family: v4,
            forwarding: true,
            stale_time: 100,
        }];
        // v4 kept (F bit in the new LLGR capability) until End-of-RIB.
        assert_eq!(r.reestablished(None, &llgr), vec![v6]);
        assert_eq!(r.end_of_rib(v4), vec![v4]);
        assert_eq!(r.deadline(), None);
    }

    /// A family kept only for long-lived retention, the peer back within
    /// the restart time: its stale routes are swept at its End-of-RIB or
    /// at once without the LLGR F bit, not left stale for good.
    #[test]
    fn back_within_the_restart_time_covers_long_lived_only_families() {
        let (v4, fs) = (AfiSafi::IPV4_UNICAST, AfiSafi::IPV4_FLOWSPEC);
        let mut r = Restart::default();
        r.start(Retain {
            families: vec![v4],
            restart_time: 120,
            long_lived: vec![(fs, 100)],
        });
        let gr = cap(&[(v4, true)]);
        let llgr = [LlgrFamily {
            family: fs,
            forwarding: true,
            stale_time: 100,
        }];
        assert!(r.reestablished(Some(&gr), &llgr).is_empty());
        assert_eq!(r.end_of_rib(fs), vec![fs]);
        assert_eq!(r.end_of_rib(v4), vec![v4]);
        assert_eq!(r.deadline(), None);
        // Without the F bit for it: swept at once.
        r.start(Retain {
            families: vec![v4],
            restart_time: 120,
            long_lived: vec![(fs, 100)],
        });
        assert_eq!(r.reestablished(Some(&gr), &[]), vec![fs]);
    }

    #[test]
    fn families_without_forwarding_bit_are_swept_on_return() {
        let (v4, v6) = (AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST);
        let mut r = Restart::default();
        r.start(gr_only(vec![v4, v6], 120));
        assert!(r.deadline().is_some());
        let sweep = r.reestablished(Some(&cap(&[(v4, true), (v6, false)])), &[]);
        assert_eq!(sweep, vec![v6]);
        // v4 stays stale until its End-of-RIB.
        assert_eq!(r.end_of_rib(v6), Vec::<AfiSafi>::new());
        assert_eq!(r.end_of_rib(v4), vec![v4]);
        assert_eq!(r.deadline(), None);
    }

    #[test]
    fn no_capability_on_return_sweeps_everything() {
        let mut r = Restart::default();
        r.start(gr_only(vec![AfiSafi::IPV4_UNICAST], 120));
        assert_eq!(r.reestablished(None, &[]), vec![AfiSafi::IPV4_UNICAST]);
        assert_eq!(r.deadline(), None);
    }

    #[test]
    fn timers_expire_in_order() {
        let mut r = Restart::default();
        r.start(gr_only(vec![AfiSafi::IPV4_UNICAST], 0));
        assert_eq!(r.expire(Instant::now()), Some(Expired::Restart));
        assert_eq!(r.expire(Instant::now()), None);
        r.start(gr_only(vec![AfiSafi::IPV4_UNICAST], 120));
        let _ = r.reestablished(Some(&cap(&[(AfiSafi::IPV4_UNICAST, true)])), &[]);
        assert_eq!(r.expire(Instant::now()), None);
        assert_eq!(
            r.expire(Instant::now() + STALE_TIME),
            Some(Expired::Stale(vec![AfiSafi::IPV4_UNICAST]))
        );
    }
}
