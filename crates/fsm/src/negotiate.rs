//! OPEN checks (RFC 4271 §6.2) and capability negotiation (RFC 5492 and
//! the capability RFCs): what the session may use once both OPENs are known.

use std::net::Ipv4Addr;

use rbgp_wire::capability::{Capability, Role};
use rbgp_wire::notification::{codes, open_sub};
use rbgp_wire::{AfiSafi, Context, Notification, Open};

use crate::config::PeerConfig;

/// What both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub peer_asn: u32,
    pub peer_id: Ipv4Addr,
    /// min(ours, theirs); 0 means no keepalives and no hold timer.
    pub hold_time: u16,
    /// hold_time / 3 (RFC 4271 §10 suggests one third).
    pub keepalive_time: u16,
    /// Families both advertised. A peer that sends no capabilities at all
    /// gets IPv4 unicast (RFC 4760 §8).
    pub families: Vec<AfiSafi>,
    pub four_octet_as: bool,
    pub extended_message: bool,
    pub route_refresh: bool,
    pub enhanced_route_refresh: bool,
    /// Families for which we receive path identifiers.
    pub add_path_rx: Vec<AfiSafi>,
    /// Families for which we send path identifiers.
    pub add_path_tx: Vec<AfiSafi>,
    /// Peer's graceful-restart capability, if any (RFC 4724).
    pub peer_graceful_restart: Option<rbgp_wire::capability::GracefulRestart>,
    pub peer_llgr: Vec<rbgp_wire::capability::LlgrFamily>,
    pub peer_role: Option<Role>,
    /// RFC 8950: families where the peer accepts IPv6 next hops.
    pub extended_next_hop: Vec<AfiSafi>,
}

impl Negotiated {
    /// The context for decoding what the peer sends us.
    pub fn rx_context(&self) -> Context {
        let mut c = Context::default()
            .with_four_octet_as(self.four_octet_as)
            .with_extended_message(self.extended_message);
        for f in &self.add_path_rx {
            c.set_add_path(*f, true);
        }
        c
    }

    /// The context for encoding what we send the peer.
    pub fn tx_context(&self) -> Context {
        let mut c = Context::default()
            .with_four_octet_as(self.four_octet_as)
            .with_extended_message(self.extended_message);
        for f in &self.add_path_tx {
            c.set_add_path(*f, true);
        }
        c
    }
}

fn open_error(sub: u8, data: Vec<u8>) -> Notification {
    Notification::new(codes::OPEN_MESSAGE, sub, data)
}

/// Check the peer's OPEN against ours and the configuration, and work out
/// what the session uses. `Err` is the NOTIFICATION to send.
pub fn negotiate(cfg: &PeerConfig, ours: &Open, theirs: &Open) -> Result<Negotiated, Notification> {
    // RFC 4271 §6.2: version; the data is the largest version we support.
    if theirs.version != 4 {
        return Err(open_error(open_sub::UNSUPPORTED_VERSION, vec![0, 4]));
    }
    let peer_caps: Vec<&Capability> = theirs.capabilities().collect();
    let peer_as4 = peer_caps.iter().find_map(|c| match c {
        Capability::FourOctetAs(a) => Some(*a),
        _ => None,
    });
    // RFC 6793 §4.1: a 4-octet AS in the capability; the header field then
    // holds AS_TRANS for large ASes.
    let peer_asn = peer_as4.unwrap_or(u32::from(theirs.my_as));
    if let Some(want) = cfg.remote_asn {
        if peer_asn != want {
            return Err(open_error(
                open_sub::BAD_PEER_AS,
                theirs.my_as.to_be_bytes().to_vec(),
            ));
        }
    }
    // RFC 4271 §6.2 / RFC 6286 §2.2: zero identifier is bad; for iBGP the
    // identifier must differ from ours.
    let id = theirs.bgp_id;
    if id.is_unspecified() || (peer_asn == cfg.local_asn && id == cfg.router_id) {
        return Err(open_error(
            open_sub::BAD_BGP_IDENTIFIER,
            id.octets().to_vec(),
        ));
    }
    // Hold time 1 or 2 is refused (RFC 4271 §4.2, §6.2).
    if theirs.hold_time == 1 || theirs.hold_time == 2 {
        return Err(open_error(
            open_sub::UNACCEPTABLE_HOLD_TIME,
            theirs.hold_time.to_be_bytes().to_vec(),
        ));
    }
    // RFC 5492 §3: capabilities we require but the peer lacks.
    for &req in &cfg.required_capabilities {
        if !peer_caps.iter().any(|c| c.code() == req) {
            return Err(open_error(open_sub::UNSUPPORTED_CAPABILITY, vec![req, 0]));
        }
    }
    let our_caps: Vec<&Capability> = ours.capabilities().collect();
    let has = |caps: &[&Capability], f: &dyn Fn(&Capability) -> bool| caps.iter().any(|c| f(c));

    // RFC 9234 §4.2: role pairs must match; strict mode needs a role.
    let peer_role = peer_caps.iter().find_map(|c| match c {
        Capability::Role(r) => Some(*r),
        _ => None,
    });
    if let Some(mine) = cfg.role {
        match peer_role {
            Some(theirs_role) if mine.expected_peer_role() != Some(theirs_role) => {
                return Err(open_error(
                    open_sub::ROLE_MISMATCH,
                    vec![theirs_role.to_u8()],
                ));
            }
            None if cfg.strict_role => {
                return Err(open_error(open_sub::ROLE_MISMATCH, Vec::new()));
            }
            _ => {}
        }
    }

    let mp = |caps: &[&Capability]| -> Vec<AfiSafi> {
        caps.iter()
            .filter_map(|c| match c {
                Capability::Multiprotocol(f) => Some(*f),
                _ => None,
            })
            .collect()
    };
    let ours_f = mp(&our_caps);
    let mut theirs_f = mp(&peer_caps);
    if theirs_f.is_empty() {
        // RFC 4760 §8: no MP capability means IPv4 unicast only.
        theirs_f.push(AfiSafi::IPV4_UNICAST);
    }
    let families: Vec<AfiSafi> = ours_f
        .iter()
        .copied()
        .filter(|f| theirs_f.contains(f))
        .collect();

    let add_path = |caps: &[&Capability]| -> Vec<rbgp_wire::capability::AddPathFamily> {
        caps.iter()
            .flat_map(|c| match c {
                Capability::AddPath(v) => v.clone(),
                _ => Vec::new(),
            })
            .collect()
    };
    let our_ap = add_path(&our_caps);
    let their_ap = add_path(&peer_caps);
    // RFC 7911 §4: we receive path ids for F iff we said receive and they
    // said send; we send iff we said send and they said receive.
    let mut add_path_rx = Vec::new();
    let mut add_path_tx = Vec::new();
    for a in &our_ap {
        if !families.contains(&a.family) {
            continue;
        }
        if let Some(b) = their_ap.iter().find(|b| b.family == a.family) {
            if a.receive && b.send {
                add_path_rx.push(a.family);
            }
            if a.send && b.receive {
                add_path_tx.push(a.family);
            }
        }
    }

    let both = |f: &dyn Fn(&Capability) -> bool| has(&our_caps, f) && has(&peer_caps, f);
    let hold_time = ours.hold_time.min(theirs.hold_time);
    let ext_nh: Vec<AfiSafi> = peer_caps
        .iter()
        .flat_map(|c| match c {
            Capability::ExtendedNextHop(v) => v.iter().map(|e| e.family).collect(),
            _ => Vec::new(),
        })
        .filter(|f| families.contains(f))
        .collect();
    Ok(Negotiated {
        peer_asn,
        peer_id: id,
        hold_time,
        keepalive_time: hold_time / 3,
        families,
        four_octet_as: peer_as4.is_some()
            && has(&our_caps, &|c| matches!(c, Capability::FourOctetAs(_))),
        extended_message: both(&|c| matches!(c, Capability::ExtendedMessage)),
        route_refresh: both(&|c| {
            matches!(c, Capability::RouteRefresh | Capability::CiscoRouteRefresh)
        }),
        enhanced_route_refresh: both(&|c| matches!(c, Capability::EnhancedRouteRefresh)),
        add_path_rx,
        add_path_tx,
        peer_graceful_restart: peer_caps.iter().find_map(|c| match c {
            Capability::GracefulRestart(g) => Some(g.clone()),
            _ => None,
        }),
        peer_llgr: peer_caps
            .iter()
            .flat_map(|c| match c {
                Capability::LongLivedGr(v) => v.clone(),
                _ => Vec::new(),
            })
            .collect(),
        peer_role,
        extended_next_hop: ext_nh,
    })
}

/// Which connection survives a collision (RFC 4271 §6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollisionWinner {
    /// Keep the connection we initiated; close the one the peer opened.
    Outbound,
    /// Keep the connection the peer initiated.
    Inbound,
}

/// RFC 4271 §6.8: the connection initiated by the speaker with the higher
/// BGP Identifier (compared as unsigned integers) is kept. RFC 6286 §2.3:
/// with equal identifiers (possible between ASes), the larger AS wins.
pub fn collision_winner(
    local_id: Ipv4Addr,
    local_asn: u32,
    peer_id: Ipv4Addr,
    peer_asn: u32,
) -> CollisionWinner {
    let (l, p) = (u32::from(local_id), u32::from(peer_id));
    if l > p || (l == p && local_asn > peer_asn) {
        CollisionWinner::Outbound
    } else {
        CollisionWinner::Inbound
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbgp_wire::capability::AddPathFamily;

    fn cfg() -> PeerConfig {
        PeerConfig::new(65000, "192.0.2.1".parse().unwrap(), Some(65001))
    }

    fn peer_open(asn: u32, caps: Vec<Capability>) -> Open {
        Open::new(asn, 180, "192.0.2.2".parse().unwrap(), caps)
    }

    #[test]
    fn basic_negotiation() {
        let c = cfg();
        let theirs = peer_open(
            65001,
            vec![
                Capability::Multiprotocol(AfiSafi::IPV4_UNICAST),
                Capability::RouteRefresh,
            ],
        );
        let n = negotiate(&c, &c.open(), &theirs).unwrap();
        assert_eq!(n.hold_time, 90);
        assert_eq!(n.keepalive_time, 30);
        assert_eq!(n.families, vec![AfiSafi::IPV4_UNICAST]);
        assert!(n.four_octet_as);
        assert!(n.route_refresh);
        assert!(!n.extended_message);
        assert!(n.rx_context().four_octet_as);
    }

    #[test]
    fn open_errors() {
        let c = cfg();
        let ours = c.open();
        let mut bad = peer_open(65002, vec![]);
        let e = negotiate(&c, &ours, &bad).unwrap_err();
        assert_eq!((e.code, e.subcode), (2, 2));
        bad = peer_open(65001, vec![]);
        bad.version = 3;
        assert_eq!(negotiate(&c, &ours, &bad).unwrap_err().data, vec![0, 4]);
        bad = peer_open(65001, vec![]);
        bad.hold_time = 2;
        assert_eq!(negotiate(&c, &ours, &bad).unwrap_err().subcode, 6);
        bad = peer_open(65001, vec![]);
        bad.bgp_id = Ipv4Addr::UNSPECIFIED;
        assert_eq!(negotiate(&c, &ours, &bad).unwrap_err().subcode, 3);
        // iBGP with our own router ID
        let ibgp = PeerConfig::new(65000, "192.0.2.1".parse().unwrap(), Some(65000));
        let same = Open::new(65000, 90, "192.0.2.1".parse().unwrap(), vec![]);
        assert_eq!(
            negotiate(&ibgp, &ibgp.open(), &same).unwrap_err().subcode,
            3
        );
        // required capability missing -> 2/7 with the code
        let mut req = cfg();
        req.required_capabilities = vec![69];
        let e = negotiate(&req, &req.open(), &peer_open(65001, vec![])).unwrap_err();
        assert_eq!((e.subcode, e.data.clone()), (7, vec![69, 0]));
    }

    #[test]
    fn no_capabilities_means_ipv4_unicast() {
        let c = cfg();
        let mut theirs = peer_open(65001, vec![]);
        theirs.params.clear();
        let n = negotiate(&c, &c.open(), &theirs).unwrap();
        assert_eq!(n.families, vec![AfiSafi::IPV4_UNICAST]);
        assert!(!n.four_octet_as, "no AS4 capability: 2-octet AS_PATH");
    }

    #[test]
    fn add_path_directions() {
        let mut c = cfg();
        c.add_path = vec![
            (
                AfiSafi::IPV4_UNICAST,
                crate::AddPathMode {
                    receive: true,
                    send: true,
                },
            ),
            (
                AfiSafi::IPV6_UNICAST,
                crate::AddPathMode {
                    receive: true,
                    send: false,
                },
            ),
        ];
        let theirs = peer_open(
            65001,
            vec![
                Capability::Multiprotocol(AfiSafi::IPV4_UNICAST),
                Capability::Multiprotocol(AfiSafi::IPV6_UNICAST),
                Capability::AddPath(vec![
                    AddPathFamily {
                        family: AfiSafi::IPV4_UNICAST,
                        receive: true,
                        send: false,
                    },
                    AddPathFamily {
                        family: AfiSafi::IPV6_UNICAST,
                        receive: true,
                        send: true,
                    },
                ]),
            ],
        );
        let n = negotiate(&c, &c.open(), &theirs).unwrap();
        assert_eq!(n.add_path_rx, vec![AfiSafi::IPV6_UNICAST]);
        assert_eq!(n.add_path_tx, vec![AfiSafi::IPV4_UNICAST]);
        assert!(n.rx_context().add_path(AfiSafi::IPV6_UNICAST));
        assert!(!n.rx_context().add_path(AfiSafi::IPV4_UNICAST));
        assert!(n.tx_context().add_path(AfiSafi::IPV4_UNICAST));
    }

    #[test]
    fn roles_rfc9234() {
        let mut c = cfg();
        c.role = Some(Role::Provider);
        let ok = peer_open(65001, vec![Capability::Role(Role::Customer)]);
        assert!(negotiate(&c, &c.open(), &ok).is_ok());
        let bad = peer_open(65001, vec![Capability::Role(Role::Peer)]);
        assert_eq!(negotiate(&c, &c.open(), &bad).unwrap_err().subcode, 11);
        c.strict_role = true;
        assert_eq!(
            negotiate(&c, &c.open(), &peer_open(65001, vec![]))
                .unwrap_err()
                .subcode,
            11
        );
    }

    #[test]
    fn collisions() {
        let a: Ipv4Addr = "10.0.0.1".parse().unwrap();
        let b: Ipv4Addr = "10.0.0.2".parse().unwrap();
        assert_eq!(collision_winner(b, 1, a, 1), CollisionWinner::Outbound);
        assert_eq!(collision_winner(a, 1, b, 1), CollisionWinner::Inbound);
        assert_eq!(collision_winner(a, 2, a, 1), CollisionWinner::Outbound);
    }
}
