//! What a peer task is started with: the neighbor's configuration and the
//! session parameters the state machine needs, derived from it.

use rbgp_config::{Config, Neighbor};
use rbgp_fsm::{AddPathMode, PeerConfig};

/// Seconds between outgoing connection attempts.
const CONNECT_RETRY: u32 = 5;

/// Restart time we advertise in our graceful-restart capability (RFC 4724
/// §3), in seconds.
const RESTART_TIME: u16 = 120;

/// Everything a peer task needs from the configuration.
pub struct Setup {
    pub neighbor: Neighbor,
    pub fsm: PeerConfig,
    /// Created from a dynamic-neighbor range: the task ends with the session.
    pub dynamic: bool,
    /// Start administratively enabled (a disable through the API is kept
    /// across restarts of the task and of rbgpd).
    pub enabled: bool,
}

impl Setup {
    pub fn new(config: &Config, n: Neighbor) -> Self {
        let mut c = PeerConfig::new(
            config.global.asn,
            config.global.router_id,
            Some(n.remote_asn),
        );
        c.hold_time = n.hold_time;
        c.passive = n.passive;
        c.families = n.families.clone();
        c.connect_retry_time = CONNECT_RETRY;
        c.idle_hold_time = n.idle_hold_time;
        c.idle_hold_max = n.idle_hold_max;
        if n.graceful_restart {
            c.graceful_restart = Some(RESTART_TIME);
            c.long_lived_stale_time = n.long_lived_stale_time;
        }
        if let Some(ap) = n
            .add_path
            .as_ref()
            .filter(|ap| ap.receive || ap.send.is_some())
        {
            c.add_path = n
                .families
                .iter()
                .map(|f| {
                    (
                        *f,
                        AddPathMode {
                            receive: ap.receive,
                            send: ap.send.is_some(),
                        },
                    )
                })
                .collect();
        }
        // RFC 9234 §4.1: we advertise our side of the configured relation.
        c.role = n.role.and_then(|r| r.local());
        c.strict_role = n.strict_role;
        c.software_version = Some(format!("rbgpd {}", env!("CARGO_PKG_VERSION")));
        Setup {
            neighbor: n,
            fsm: c,
            dynamic: false,
            enabled: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(neighbor: &str) -> (Config, Neighbor) {
        let text = format!(
            "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\nlisten = []\n[[neighbors]]\n{neighbor}"
        );
        let c = Config::parse(&text).unwrap();
        let n = c.neighbors().unwrap().remove(0);
        (c, n)
    }

    #[test]
    fn session_parameters_follow_the_neighbor() {
        let (c, n) = config(
            "address = \"192.0.2.2\"\nremote_asn = 65001\nfamilies = [\"ipv4_unicast\", \"ipv6_unicast\"]\n\
             hold_time = 30\nidle_hold_time = 2\nidle_hold_max = 8\npassive = true\ngraceful_restart = true\nlong_lived_stale_time = 600\n\
             add_path = { receive = true, send = 2 }\nrole = \"customer\"\nstrict_role = true",
        );
        let s = Setup::new(&c, n);
        // The neighbor is our customer: we are its provider.
        assert_eq!(s.fsm.role, Some(rbgp_wire::capability::Role::Provider));
        assert!(s.fsm.strict_role);
        assert_eq!(s.fsm.local_asn, 65000);
        assert_eq!(s.fsm.hold_time, 30);
        assert_eq!((s.fsm.idle_hold_time, s.fsm.idle_hold_max), (2, 8));
        assert!(s.fsm.passive);
        assert_eq!(s.fsm.graceful_restart, Some(RESTART_TIME));
        assert_eq!(s.fsm.long_lived_stale_time, Some(600));
        assert_eq!(s.fsm.add_path.len(), 2);
        assert!(s.fsm.add_path.iter().all(|(_, m)| m.receive && m.send));
        assert!(s.enabled && !s.dynamic);
    }

    #[test]
    fn graceful_restart_by_default_no_add_path() {
        let (c, n) = config("address = \"192.0.2.2\"\nremote_asn = 65001");
        let s = Setup::new(&c, n);
        assert_eq!(s.fsm.graceful_restart, Some(RESTART_TIME));
        assert!(s.fsm.add_path.is_empty());
        assert_eq!((s.fsm.idle_hold_time, s.fsm.idle_hold_max), (1, 120));
        let (c, n) =
            config("address = \"192.0.2.2\"\nremote_asn = 65001\ngraceful_restart = false");
        let s = Setup::new(&c, n);
        assert_eq!(s.fsm.graceful_restart, None);
        assert_eq!(s.fsm.long_lived_stale_time, None);
        assert!(s.fsm.add_path.is_empty());
    }
}
