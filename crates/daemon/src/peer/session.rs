//! The peer task's protocol decisions, as pure functions of the neighbor's
//! configuration and what the session negotiated: how the RIB is to treat
//! the peer ([`rules`], [`up`]), what survives the session going down
//! ([`retain`]), what ADD-PATH sends ([`add_path_send`]), and the
//! NOTIFICATIONs the task builds itself.

use std::net::{IpAddr, SocketAddr};

use rbgp_config::{AddPathSend, Neighbor};
use rbgp_fsm::{DownReason, Negotiated, PeerConfig};
use rbgp_rib::rules::PeerRules;
use rbgp_wire::notification::{cease_sub, codes};
use rbgp_wire::{AfiSafi, Notification};
use tokio::sync::mpsc;

use super::setup::Setup;
use crate::tasks::{Retain, ToPeer, Up};

/// How the RIB's propagation rules treat this peer. `local`: our end of
/// the connection (the address "next hop self" advertises).
pub fn rules(
    nb: &Neighbor,
    cfg: &PeerConfig,
    n: &Negotiated,
    local: Option<SocketAddr>,
) -> PeerRules {
    PeerRules {
        asn: n.peer_asn,
        router_id: n.peer_id,
        // A dual-stack socket reports an IPv4 session as v4-mapped.
        local_address: local.map(|a| match a.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        }),
        ibgp: n.peer_asn == cfg.local_asn,
        rr_client: nb.route_reflector_client,
        route_server_client: nb.route_server_client,
        next_hop_self: nb.next_hop_self,
        next_hop_unchanged: nb.next_hop_unchanged,
        remove_private_as: nb.remove_private_as,
        // The configured relation; else what the peer advertised (RFC
        // 9234 §4.2 refused the session if both exist and disagree).
        role: nb.role.map(|r| r.0).or(n.peer_role),
        allow_own_as: nb.allow_own_as,
        llgr: llgr_negotiated(cfg, n),
        graceful_shutdown_local_pref: nb.graceful_shutdown_local_pref,
    }
}

/// Both sides advertised long-lived graceful restart (RFC 9494 §3).
pub fn llgr_negotiated(cfg: &PeerConfig, n: &Negotiated) -> bool {
    cfg.graceful_restart.is_some() && cfg.long_lived_stale_time.is_some() && !n.peer_llgr.is_empty()
}

/// RFC 8538 §3: Cease/Hard Reset ends graceful-restart retention.
fn is_hard_reset(n: &Notification) -> bool {
    n.code == codes::CEASE && n.subcode == cease_sub::HARD_RESET
}

/// What is kept if the session is lost now (RFC 4724 §4.2; with RFC 8538
/// also after a NOTIFICATION other than Hard Reset; RFC 9494 §4.2 for the
/// families of the long-lived capability, each for the stale time the
/// peer advertised, at most `max_long_lived_stale_time`). `None`: the
/// routes go at once.
pub fn retain(s: &Setup, n: &Negotiated, reason: &DownReason) -> Option<Retain> {
    let cfg = &s.fsm;
    let gr = n
        .peer_graceful_restart
        .as_ref()
        .filter(|_| cfg.graceful_restart.is_some());
    // RFC 8538 §2: both sides set the N bit.
    let both_n = gr.is_some_and(|g| g.notification);
    let ok = match reason {
        DownReason::ConnectionLost => true,
        DownReason::HoldTimerExpired => both_n,
        DownReason::ErrorSent(x) | DownReason::NotificationReceived(x) => {
            both_n && !is_hard_reset(x)
        }
        DownReason::ManualStop | DownReason::AutomaticStop(_) | DownReason::Collision => false,
    };
    let families: Vec<AfiSafi> = gr
        .iter()
        .flat_map(|g| g.families.iter().map(|f| f.family))
        .filter(|f| n.families.contains(f))
        .collect();
    let long_lived: Vec<(AfiSafi, u32)> = if llgr_negotiated(cfg, n) {
        n.peer_llgr
            .iter()
            .filter(|f| n.families.contains(&f.family) && f.stale_time > 0)
            .map(|f| {
                let t = f.stale_time.min(s.neighbor.max_long_lived_stale_time);
                (f.family, t)
            })
            .collect()
    } else {
        Vec::new()
    };
    let r = Retain {
        restart_time: if families.is_empty() {
            0
        } else {
            gr.map_or(0, |g| g.time)
        },
        families,
        long_lived,
    };
    (ok && (!r.families.is_empty() || !r.long_lived.is_empty())).then_some(r)
}

/// ADD-PATH send per family where it was negotiated: how many paths
/// (usize::MAX = all).
pub fn add_path_send(nb: &Neighbor, n: &Negotiated) -> Vec<(AfiSafi, usize)> {
    let limit = match nb.add_path.as_ref().and_then(|a| a.send) {
        Some(AddPathSend::All) => usize::MAX,
        Some(AddPathSend::Best(k)) => k as usize,
        None => return Vec::new(),
    };
    n.add_path_tx.iter().map(|f| (*f, limit)).collect()
}

/// The RIB's view of an established session.
pub fn up(
    setup: &Setup,
    n: &Negotiated,
    local: Option<SocketAddr>,
    session: std::sync::Arc<crate::tasks::SessionInfo>,
    tx: mpsc::Sender<ToPeer>,
) -> Up {
    let nb = &setup.neighbor;
    Up {
        addr: nb.address,
        rules: rules(nb, &setup.fsm, n, local),
        families: n.families.clone(),
        add_path_send: add_path_send(nb, n),
        max_prefixes: nb.max_prefixes,
        max_prefixes_warning_only: nb.max_prefixes_warning_only,
        route_refresh: n.route_refresh,
        enhanced_refresh: n.enhanced_route_refresh,
        graceful_restart: n.peer_graceful_restart.clone(),
        long_lived: n.peer_llgr.clone(),
        keep_pre_policy: nb.keep_pre_policy,
        session,
        tx,
    }
}

/// RFC 4486 §4: Cease/Maximum Number of Prefixes Reached, data AFI, SAFI
/// and the limit. The limit is over all families here; IPv4 unicast is
/// reported.
pub fn max_prefix_cease(max: u32) -> Notification {
    let mut data = vec![0, 1, 1];
    data.extend_from_slice(&max.to_be_bytes());
    Notification::new(codes::CEASE, cease_sub::MAX_PREFIXES, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbgp_config::Config;
    use rbgp_wire::capability::{GrFamily, GracefulRestart, LlgrFamily, Role};

    const V4: AfiSafi = AfiSafi::IPV4_UNICAST;
    const V6: AfiSafi = AfiSafi::IPV6_UNICAST;

    fn setup(neighbor: &str) -> Setup {
        let text = format!(
            "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\nlisten = []\n[[neighbors]]\naddress = \"192.0.2.2\"\n{neighbor}"
        );
        let c = Config::parse(&text).unwrap();
        let n = c.neighbors().unwrap().remove(0);
        Setup::new(&c, n)
    }

    fn negotiated(peer_asn: u32) -> Negotiated {
        Negotiated {
            peer_asn,
            peer_id: "192.0.2.2".parse().unwrap(),
            hold_time: 90,
            keepalive_time: 30,
            families: vec![V4, V6],
            four_octet_as: true,
            extended_message: false,
            route_refresh: true,
            enhanced_route_refresh: false,
            add_path_rx: Vec::new(),
            add_path_tx: Vec::new(),
            peer_graceful_restart: None,
            peer_llgr: Vec::new(),
            peer_role: None,
            extended_next_hop: Vec::new(),
        }
    }

    fn gr(notification: bool, families: &[AfiSafi]) -> GracefulRestart {
        GracefulRestart {
            restarting: false,
            notification,
            time: 90,
            families: families
                .iter()
                .map(|f| GrFamily {
                    family: *f,
                    forwarding: true,
                })
                .collect(),
        }
    }

    #[test]
    fn rules_from_configuration_and_session() {
        let s = setup(
            "remote_asn = 65001\nroute_server_client = true\nremove_private_as = true\nallow_own_as = 2",
        );
        let mut n = negotiated(65001);
        n.peer_role = Some(Role::Customer);
        let local: SocketAddr = "[::ffff:192.0.2.1]:179".parse().unwrap();
        let r = rules(&s.neighbor, &s.fsm, &n, Some(local));
        assert_eq!(r.asn, 65001);
        assert!(!r.ibgp);
        assert!(r.route_server_client && r.remove_private_as);
        assert_eq!(r.allow_own_as, 2);
        assert_eq!(r.role, Some(Role::Customer));
        assert_eq!(
            r.local_address,
            Some("192.0.2.1".parse().unwrap()),
            "v4-mapped local address unmapped"
        );
        let s = setup("remote_asn = 65000\nroute_reflector_client = true");
        let r = rules(&s.neighbor, &s.fsm, &negotiated(65000), None);
        assert!(r.ibgp && r.rr_client);
    }

    #[test]
    fn graceful_restart_retention_by_reason() {
        let s = setup("remote_asn = 65001\ngraceful_restart = true");
        let mut n = negotiated(65001);
        // No capability from the peer: nothing kept.
        assert_eq!(retain(&s, &n, &DownReason::ConnectionLost), None);
        n.peer_graceful_restart = Some(gr(false, &[V4, AfiSafi::IPV4_FLOWSPEC]));
        let kept = retain(&s, &n, &DownReason::ConnectionLost).unwrap();
        assert_eq!(kept.families, vec![V4], "only negotiated families");
        assert_eq!(kept.restart_time, 90);
        // Without the N bit (RFC 8538), a hold timer expiry or a
        // NOTIFICATION ends retention; an administrative stop always does.
        assert_eq!(retain(&s, &n, &DownReason::HoldTimerExpired), None);
        let cease = Notification::new(codes::CEASE, cease_sub::ADMINISTRATIVE_RESET, vec![]);
        assert_eq!(
            retain(&s, &n, &DownReason::NotificationReceived(cease.clone())),
            None
        );
        assert_eq!(retain(&s, &n, &DownReason::ManualStop), None);
        n.peer_graceful_restart = Some(gr(true, &[V4]));
        assert!(retain(&s, &n, &DownReason::HoldTimerExpired).is_some());
        assert!(retain(&s, &n, &DownReason::NotificationReceived(cease)).is_some());
        let hard = Notification::new(codes::CEASE, cease_sub::HARD_RESET, vec![]);
        assert_eq!(
            retain(&s, &n, &DownReason::ErrorSent(hard)),
            None,
            "RFC 8538 §3: Hard Reset"
        );
        // We did not advertise graceful restart: the peer's capability
        // does not make us a helper.
        let plain = setup("remote_asn = 65001\ngraceful_restart = false");
        assert_eq!(retain(&plain, &n, &DownReason::ConnectionLost), None);
    }

    #[test]
    fn long_lived_retention_needs_both_sides() {
        let s = setup("remote_asn = 65001\ngraceful_restart = true\nlong_lived_stale_time = 300");
        let mut n = negotiated(65001);
        n.peer_llgr = vec![
            LlgrFamily {
                family: V6,
                forwarding: true,
                stale_time: 500,
            },
            LlgrFamily {
                family: AfiSafi::IPV4_FLOWSPEC,
                forwarding: true,
                stale_time: 500,
            },
        ];
        assert!(llgr_negotiated(&s.fsm, &n));
        let kept = retain(&s, &n, &DownReason::ConnectionLost).unwrap();
        assert!(kept.families.is_empty());
        assert_eq!(kept.restart_time, 0, "long-lived retention starts at once");
        assert_eq!(kept.long_lived, vec![(V6, 500)]);
        let gr_only = setup("remote_asn = 65001\ngraceful_restart = true");
        assert!(!llgr_negotiated(&gr_only.fsm, &n));
        assert_eq!(retain(&gr_only, &n, &DownReason::ConnectionLost), None);
    }

    /// A peer may advertise up to 2^24 - 1 s (RFC 9494 §3, about 194
    /// days): its routes are kept at most a day, or what the operator sets.
    #[test]
    fn long_lived_retention_is_bounded() {
        let mut n = negotiated(65001);
        n.peer_llgr = vec![LlgrFamily {
            family: V6,
            forwarding: true,
            stale_time: 0xff_ffff,
        }];
        let kept = |s: &Setup| {
            retain(s, &n, &DownReason::ConnectionLost)
                .unwrap()
                .long_lived
        };
        let s = setup("remote_asn = 65001\ngraceful_restart = true\nlong_lived_stale_time = 300");
        assert_eq!(kept(&s), vec![(V6, 86_400)]);
        let s = setup(
            "remote_asn = 65001\ngraceful_restart = true\nlong_lived_stale_time = 300\nmax_long_lived_stale_time = 604800",
        );
        assert_eq!(kept(&s), vec![(V6, 604_800)]);
    }

    #[test]
    fn add_path_send_only_where_negotiated() {
        let s = setup("remote_asn = 65001\nadd_path = { send = 3 }");
        let mut n = negotiated(65001);
        assert!(add_path_send(&s.neighbor, &n).is_empty());
        n.add_path_tx = vec![V6];
        assert_eq!(add_path_send(&s.neighbor, &n), vec![(V6, 3)]);
        let all = setup("remote_asn = 65001\nadd_path = { send = \"all\" }");
        assert_eq!(add_path_send(&all.neighbor, &n), vec![(V6, usize::MAX)]);
        let rx = setup("remote_asn = 65001\nadd_path = { receive = true }");
        assert!(add_path_send(&rx.neighbor, &n).is_empty());
    }

    #[test]
    fn max_prefix_notification_rfc4486() {
        let n = max_prefix_cease(1000);
        assert_eq!((n.code, n.subcode), (6, 1));
        assert_eq!(n.data, vec![0, 1, 1, 0, 0, 0x03, 0xe8]);
    }
}
