//! Graceful-restart helper timers of one peer (RFC 4724 §4.2): while the
//! peer restarts its routes are kept stale; once it is back they stay until
//! its End-of-RIB or the stale timer.

use std::time::{Duration, Instant};

use rbgp_wire::capability::GracefulRestart;
use rbgp_wire::AfiSafi;

/// How long stale routes may outlive a re-established session without an
/// End-of-RIB (FRR's and GoBGP's default stale-path time).
const STALE_TIME: Duration = Duration::from_secs(360);

#[derive(Debug, Default)]
pub struct Restart {
    /// Down: the families kept and when the peer must be back.
    restarting: Option<(Vec<AfiSafi>, Instant)>,
    /// Back up: families still holding stale routes, swept by this time.
    stale: Option<(Vec<AfiSafi>, Instant)>,
}

/// What a timer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    /// The peer did not come back: forget it and its routes.
    Restart,
    /// No End-of-RIB in time: sweep these families.
    Stale(Vec<AfiSafi>),
}

impl Restart {
    pub fn start(&mut self, families: Vec<AfiSafi>, restart_time: u16) {
        self.stale = None;
        self.restarting = Some((
            families,
            Instant::now() + Duration::from_secs(u64::from(restart_time)),
        ));
    }

    /// The session is back with this capability; returns the families to
    /// sweep at once: those the peer no longer lists with the forwarding
    /// (F) bit set.
    pub fn reestablished(&mut self, cap: Option<&GracefulRestart>) -> Vec<AfiSafi> {
        let Some((families, _)) = self.restarting.take() else {
            return Vec::new();
        };
        let (keep, sweep): (Vec<AfiSafi>, Vec<AfiSafi>) = families.into_iter().partition(|f| {
            cap.is_some_and(|c| c.families.iter().any(|g| g.family == *f && g.forwarding))
        });
        if !keep.is_empty() {
            self.stale = Some((keep, Instant::now() + STALE_TIME));
        }
        sweep
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

    pub fn deadline(&self) -> Option<Instant> {
        let a = self.restarting.as_ref().map(|(_, t)| *t);
        let b = self.stale.as_ref().map(|(_, t)| *t);
        a.into_iter().chain(b).min()
    }

    pub fn expire(&mut self, now: Instant) -> Option<Expired> {
        if self.restarting.as_ref().is_some_and(|(_, t)| *t <= now) {
            self.restarting = None;
            return Some(Expired::Restart);
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

    #[test]
    fn families_without_forwarding_bit_are_swept_on_return() {
        let (v4, v6) = (AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST);
        let mut r = Restart::default();
        r.start(vec![v4, v6], 120);
        assert!(r.deadline().is_some());
        let sweep = r.reestablished(Some(&cap(&[(v4, true), (v6, false)])));
        assert_eq!(sweep, vec![v6]);
        // v4 stays stale until its End-of-RIB.
        assert_eq!(r.end_of_rib(v6), Vec::<AfiSafi>::new());
        assert_eq!(r.end_of_rib(v4), vec![v4]);
        assert_eq!(r.deadline(), None);
    }

    #[test]
    fn no_capability_on_return_sweeps_everything() {
        let mut r = Restart::default();
        r.start(vec![AfiSafi::IPV4_UNICAST], 120);
        assert_eq!(r.reestablished(None), vec![AfiSafi::IPV4_UNICAST]);
        assert_eq!(r.deadline(), None);
    }

    #[test]
    fn timers_expire_in_order() {
        let mut r = Restart::default();
        r.start(vec![AfiSafi::IPV4_UNICAST], 0);
        assert_eq!(r.expire(Instant::now()), Some(Expired::Restart));
        assert_eq!(r.expire(Instant::now()), None);
        r.start(vec![AfiSafi::IPV4_UNICAST], 120);
        let _ = r.reestablished(Some(&cap(&[(AfiSafi::IPV4_UNICAST, true)])));
        assert_eq!(r.expire(Instant::now()), None);
        assert_eq!(
            r.expire(Instant::now() + STALE_TIME),
            Some(Expired::Stale(vec![AfiSafi::IPV4_UNICAST]))
        );
    }
}
