//! The built-in propagation rules every BGP speaker applies whatever the
//! operator's policy says: loop detection on import (RFC 4271 §9.1.2, RFC
//! 4456 §8), RFC 9234 only-to-customer, and what an exported path looks
//! like to each kind of peer (RFC 4271 §5.1, RFC 4456 route reflection,
//! RFC 7947 transparent route server, RFC 1997 well-known communities).
//! Not to be confused with user routing policy (the `rbgp-policy` layer),
//! which the daemon runs beside these.

use std::net::{IpAddr, Ipv4Addr};

use rbgp_wire::attr::Community;
use rbgp_wire::capability::Role;
use rbgp_wire::{Afi, AfiSafi};

use crate::attrs::Attrs;

/// What we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    pub asn: u32,
    pub router_id: Ipv4Addr,
    /// RFC 4456 §7: the cluster ID (default: the router ID).
    pub cluster_id: Ipv4Addr,
}

/// One peer as the propagation rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRules {
    pub asn: u32,
    pub router_id: Ipv4Addr,
    /// Our address on the session (the next hop we advertise as "self").
    pub local_address: Option<IpAddr>,
    pub ibgp: bool,
    pub rr_client: bool,
    /// RFC 7947: we are a route server for this peer.
    pub route_server_client: bool,
    pub next_hop_self: bool,
    /// eBGP: keep the next hop (RFC 4271 §5.1.3 allows it for third-party
    /// next hops).
    pub next_hop_unchanged: bool,
    pub remove_private_as: bool,
    /// RFC 9234: the peer's role as negotiated (what the peer is to us).
    pub role: Option<Role>,
    /// Accept our own AS in received paths this many times.
    pub allow_own_as: u8,
    /// The peer negotiated long-lived graceful restart (RFC 9494): it may
    /// be sent LLGR_STALE routes.
    pub llgr: bool,
    /// Routes with GRACEFUL_SHUTDOWN get LOCAL_PREF 0 (RFC 8326 §4).
    pub graceful_shutdown_local_pref: bool,
}

impl PeerRules {
    pub fn ebgp(asn: u32, router_id: Ipv4Addr) -> Self {
        PeerRules {
            asn,
            router_id,
            local_address: None,
            ibgp: false,
            rr_client: false,
            route_server_client: false,
            next_hop_self: false,
            next_hop_unchanged: false,
            remove_private_as: false,
            role: None,
            allow_own_as: 0,
            llgr: false,
            graceful_shutdown_local_pref: true,
        }
    }
}

/// Why a received path is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Our AS is in the AS_PATH (RFC 4271 §9.1.2).
    AsPathLoop,
    /// ORIGINATOR_ID is our router ID (RFC 4456 §8).
    OriginatorLoop,
    /// Our cluster ID is in CLUSTER_LIST (RFC 4456 §8).
    ClusterLoop,
    /// The first AS is not the eBGP peer's (RFC 4271 §6.3 allows this check).
    FirstAsMismatch,
    /// RFC 9234 §5 ingress: a route leak.
    RouteLeak,
}

fn is_private_as(a: u32) -> bool {
    (64512..=65534).contains(&a) || (4_200_000_000..=4_294_967_294).contains(&a)
}

/// Check a received path and apply the RFC 9234 ingress OTC rule.
pub fn import(attrs: &mut Attrs, from: &PeerRules, local: &Local) -> Result<(), Rejection> {
    let own = attrs
        .as_path
        .segments
        .iter()
        .flat_map(|s| s.asns.iter())
        .filter(|&&a| a == local.asn)
        .count();
    if own > usize::from(from.allow_own_as) {
        return Err(Rejection::AsPathLoop);
    }
    if attrs.originator_id == Some(local.router_id) {
        return Err(Rejection::OriginatorLoop);
    }
    if attrs.cluster_list.contains(&local.cluster_id) {
        return Err(Rejection::ClusterLoop);
    }
    // A route server does not prepend itself (RFC 7947 §2.2.2.1), so the
    // first-AS check does not apply to routes learned from one.
    if !from.ibgp && from.role != Some(Role::RouteServer) {
        if let Some(first) = attrs.as_path.first_as() {
            if first != from.asn {
                return Err(Rejection::FirstAsMismatch);
            }
        }
    }
    // RFC 9234 §5 ingress.
    match (from.role, attrs.otc) {
        (Some(Role::Customer | Role::RouteServerClient), Some(_)) => {
            return Err(Rejection::RouteLeak)
        }
        (Some(Role::Peer), Some(otc)) if otc != from.asn => return Err(Rejection::RouteLeak),
        (Some(Role::Provider | Role::Peer | Role::RouteServer), None) => attrs.otc = Some(from.asn),
        _ => {}
    }
    // RFC 8326 §4: the neighbor is about to take this path down for
    // maintenance; prefer any other from now (import policy may still set
    // LOCAL_PREF after this).
    if from.graceful_shutdown_local_pref
        && attrs
            .communities
            .contains(&rbgp_wire::attr::Community::GRACEFUL_SHUTDOWN)
    {
        attrs.local_pref = Some(0);
    }
    Ok(())
}

/// Where an exported path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// Originated here (configuration or API).
    Local,
    /// Learned from a peer.
    Peer(&'a PeerRules),
}

/// The attributes to send `to` for a best path learned from `from`, or
/// `None` when the path must not be sent to that peer.
pub fn export(
    attrs: &Attrs,
    from: &Source,
    to: &PeerRules,
    local: &Local,
    family: AfiSafi,
) -> Option<Attrs> {
    // "Next hop self" needs an address of the NLRI's family: an IPv6 route
    // on an IPv4 session keeps its own next hop (BIRD refuses a mismatch).
    let self_nh = to
        .local_address
        .filter(|a| a.is_ipv4() == (family.afi == Afi::IPV4));
    // RFC 1997.
    if attrs.has_community(Community::NO_ADVERTISE) {
        return None;
    }
    // RFC 9494 §4.3: long-lived stale routes only to peers that know what
    // LLGR_STALE means (others would prefer them like any route).
    if !to.llgr && attrs.has_community(Community::LLGR_STALE) {
        return None;
    }
    if !to.ibgp
        && (attrs.has_community(Community::NO_EXPORT)
            || attrs.has_community(Community::NO_EXPORT_SUBCONFED))
    {
        return None;
    }
    // RFC 9234 §5 egress: a route with OTC goes only to customers (and RS
    // clients); routes to customers, peers and RS clients get OTC.
    if attrs.otc.is_some()
        && matches!(
            to.role,
            Some(Role::Provider | Role::Peer | Role::RouteServer)
        )
    {
        return None;
    }
    let mut a = attrs.clone();
    if a.otc.is_none()
        && matches!(
            to.role,
            Some(Role::Customer | Role::Peer | Role::RouteServerClient)
        )
    {
        a.otc = Some(local.asn);
    }
    match (from, to.ibgp) {
        (Source::Peer(src), true) if src.ibgp => {
            // iBGP to iBGP: only by route reflection (RFC 4456 §6): from a
            // client to everyone, from a non-client to clients only.
            if !(src.rr_client || to.rr_client) {
                return None;
            }
            a.originator_id.get_or_insert(src.router_id);
            a.cluster_list.insert(0, local.cluster_id);
            if to.next_hop_self {
                a.next_hop = self_nh.or(a.next_hop);
            }
        }
        (_, true) => {
            // To iBGP: LOCAL_PREF is always present (RFC 4271 §5.1.5).
            a.local_pref.get_or_insert(100);
            if to.next_hop_self || matches!(from, Source::Local) && a.next_hop.is_none() {
                a.next_hop = self_nh.or(a.next_hop);
            }
        }
        (_, false) => {
            // To eBGP (RFC 4271 §5.1): no LOCAL_PREF, no RR attributes, MED
            // only if we originated it (§5.1.4).
            a.local_pref = None;
            a.originator_id = None;
            a.cluster_list.clear();
            // RFC 4360 §6: non-transitive extended communities (type bit
            // 0x40: RFC 8097's origin validation state among them) stay in
            // the AS.
            a.ext_communities.retain(|c| c.0[0] & 0x40 == 0);
            if to.remove_private_as {
                for s in &mut a.as_path.segments {
                    s.asns.retain(|x| !is_private_as(*x));
                }
                a.as_path.segments.retain(|s| !s.asns.is_empty());
            }
            if to.route_server_client {
                // RFC 7947 §2.2: transparent: no prepend, next hop and MED kept.
            } else {
                if matches!(from, Source::Peer(_)) {
                    a.med = None;
                }
                a.as_path.prepend(local.asn);
                if !to.next_hop_unchanged || a.next_hop.is_none() {
                    a.next_hop = self_nh.or(a.next_hop);
                }
            }
        }
    }
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: AfiSafi = AfiSafi::IPV4_UNICAST;

    fn local() -> Local {
        Local {
            asn: 65000,
            router_id: Ipv4Addr::new(10, 0, 0, 1),
            cluster_id: Ipv4Addr::new(10, 0, 0, 1),
        }
    }

    fn route(path: &str) -> Attrs {
        Attrs {
            as_path: path.parse().unwrap(),
            next_hop: Some("192.0.2.9".parse().unwrap()),
            med: Some(7),
            local_pref: Some(150),
            ..Attrs::default()
        }
    }

    fn ibgp(n: u8, client: bool) -> PeerRules {
        PeerRules {
            ibgp: true,
            rr_client: client,
            local_address: Some("10.0.0.1".parse().unwrap()),
            ..PeerRules::ebgp(65000, Ipv4Addr::new(10, 0, 0, n))
        }
    }

    /// RFC 8326 §4: GRACEFUL_SHUTDOWN makes the path least preferred,
    /// unless the neighbor is configured not to.
    #[test]
    fn graceful_shutdown_lowers_local_pref() {
        let l = local();
        let mut from = PeerRules::ebgp(65001, Ipv4Addr::new(1, 1, 1, 1));
        let gshut = |mut a: Attrs| {
            a.communities
                .push(rbgp_wire::attr::Community::GRACEFUL_SHUTDOWN);
            a
        };
        let mut a = gshut(route("65001 3"));
        import(&mut a, &from, &l).unwrap();
        assert_eq!(a.local_pref, Some(0));
        let mut b = route("65001 3");
        import(&mut b, &from, &l).unwrap();
        assert_eq!(b.local_pref, Some(150));
        from.graceful_shutdown_local_pref = false;
        let mut c = gshut(route("65001 3"));
        import(&mut c, &from, &l).unwrap();
        assert_eq!(c.local_pref, Some(150));
    }

    #[test]
    fn import_loops_and_first_as() {
        let l = local();
        let from = PeerRules::ebgp(65001, Ipv4Addr::new(1, 1, 1, 1));
        assert_eq!(
            import(&mut route("65001 65000 3"), &from, &l),
            Err(Rejection::AsPathLoop)
        );
        assert_eq!(
            import(&mut route("65002 3"), &from, &l),
            Err(Rejection::FirstAsMismatch)
        );
        assert!(import(&mut route("65001 3"), &from, &l).is_ok());
        let mut allow = from.clone();
        allow.allow_own_as = 1;
        assert!(import(&mut route("65001 65000 3"), &allow, &l).is_ok());
        let mut r = route("3");
        r.cluster_list = vec![l.cluster_id];
        assert_eq!(
            import(&mut r, &ibgp(2, false), &l),
            Err(Rejection::ClusterLoop)
        );
        let mut r = route("3");
        r.originator_id = Some(l.router_id);
        assert_eq!(
            import(&mut r, &ibgp(2, false), &l),
            Err(Rejection::OriginatorLoop)
        );
        // From a route server: its AS is not first (RFC 7947), accepted.
        let mut rs = from.clone();
        rs.role = Some(Role::RouteServer);
        assert!(import(&mut route("65009 3"), &rs, &l).is_ok());
    }

    #[test]
    fn otc_rfc9234() {
        let l = local();
        let mut from_customer = PeerRules::ebgp(65001, Ipv4Addr::new(1, 1, 1, 1));
        from_customer.role = Some(Role::Customer);
        let mut leaked = route("65001");
        leaked.otc = Some(65005);
        assert_eq!(
            import(&mut leaked, &from_customer, &l),
            Err(Rejection::RouteLeak)
        );
        let mut from_provider = PeerRules::ebgp(65002, Ipv4Addr::new(2, 2, 2, 2));
        from_provider.role = Some(Role::Provider);
        let mut r = route("65002");
        import(&mut r, &from_provider, &l).unwrap();
        assert_eq!(r.otc, Some(65002));
        // Egress: OTC routes never go to providers or peers.
        let mut to_peer = PeerRules::ebgp(65003, Ipv4Addr::new(3, 3, 3, 3));
        to_peer.role = Some(Role::Peer);
        assert!(export(&r, &Source::Peer(&from_provider), &to_peer, &l, V4).is_none());
        // Our own route to a peer gets OTC = our AS.
        let sent = export(&route(""), &Source::Local, &to_peer, &l, V4).unwrap();
        assert_eq!(sent.otc, Some(65000));
    }

    #[test]
    fn llgr_stale_routes_only_to_llgr_peers() {
        let l = local();
        let src = PeerRules::ebgp(65001, Ipv4Addr::new(1, 1, 1, 1));
        let from = Source::Peer(&src);
        let mut to = PeerRules::ebgp(65002, Ipv4Addr::new(2, 2, 2, 2));
        let mut stale = route("65001 3");
        stale.communities.push(Community::LLGR_STALE);
        assert!(export(&stale, &from, &to, &l, V4).is_none());
        assert!(export(&route("65001 3"), &from, &to, &l, V4).is_some());
        to.llgr = true;
        let sent = export(&stale, &from, &to, &l, V4).unwrap();
        assert!(sent.has_community(Community::LLGR_STALE));
    }

    #[test]
    fn ebgp_export() {
        let l = local();
        let src = PeerRules::ebgp(65001, Ipv4Addr::new(1, 1, 1, 1));
        let from = Source::Peer(&src);
        let mut to = PeerRules::ebgp(65002, Ipv4Addr::new(2, 2, 2, 2));
        to.local_address = Some("192.0.2.1".parse().unwrap());
        let a = export(&route("65001 64512 3"), &from, &to, &l, V4).unwrap();
        assert_eq!(a.as_path.to_string(), "65000 65001 64512 3");
        assert_eq!(a.next_hop, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(a.local_pref, None);
        assert_eq!(a.med, None, "MED from another AS is not passed on");
        to.remove_private_as = true;
        assert_eq!(
            export(&route("65001 64512 3"), &from, &to, &l, V4)
                .unwrap()
                .as_path
                .to_string(),
            "65000 3"
        );
        // Third-party next hop kept on request (RFC 4271 §5.1.3).
        to.next_hop_unchanged = true;
        assert_eq!(
            export(&route("65001"), &from, &to, &l, V4)
                .unwrap()
                .next_hop,
            Some("192.0.2.9".parse().unwrap())
        );
        to.next_hop_unchanged = false;
        // Our own routes keep their MED.
        assert_eq!(
            export(&route(""), &Source::Local, &to, &l, V4).unwrap().med,
            Some(7)
        );
        // Well-known communities.
        let mut ne = route("65001");
        ne.communities.push(Community::NO_EXPORT);
        assert!(export(&ne, &from, &to, &l, V4).is_none());
        assert!(export(&ne, &from, &ibgp(3, false), &l, V4).is_some());
        let mut na = route("65001");
        na.communities.push(Community::NO_ADVERTISE);
        assert!(export(&na, &from, &ibgp(3, false), &l, V4).is_none());
        // RFC 4360 §6: non-transitive extended communities stay in the AS
        // (RFC 8097's 0x43 here); transitive ones (a route target) go on.
        let mut x = route("65001");
        let rt = rbgp_wire::attr::ExtCommunity([0x00, 0x02, 0xfd, 0xe9, 0, 0, 0, 1]);
        let ov = rbgp_wire::attr::ExtCommunity([0x43, 0, 0, 0, 0, 0, 0, 2]);
        x.ext_communities.push(rt);
        x.ext_communities.push(ov);
        let out = export(&x, &from, &to, &l, V4).unwrap();
        assert_eq!(out.ext_communities.to_vec(), vec![rt]);
        let inside = export(&x, &from, &ibgp(3, false), &l, V4).unwrap();
        assert_eq!(inside.ext_communities.len(), 2);
    }

    #[test]
    fn route_server_is_transparent() {
        let l = local();
        let src = PeerRules::ebgp(65001, Ipv4Addr::new(1, 1, 1, 1));
        let from = Source::Peer(&src);
        let mut to = PeerRules::ebgp(65002, Ipv4Addr::new(2, 2, 2, 2));
        to.route_server_client = true;
        to.local_address = Some("192.0.2.1".parse().unwrap());
        let a = export(&route("65001 3"), &from, &to, &l, V4).unwrap();
        assert_eq!(
            a.as_path.to_string(),
            "65001 3",
            "no AS prepended (RFC 7947)"
        );
        assert_eq!(
            a.next_hop,
            Some("192.0.2.9".parse().unwrap()),
            "next hop unchanged"
        );
        assert_eq!(a.med, Some(7));
    }

    #[test]
    fn route_reflection() {
        let l = local();
        let client = ibgp(2, true);
        let nonclient = ibgp(3, false);
        let from_client = Source::Peer(&client);
        let from_nonclient = Source::Peer(&nonclient);
        // Client -> non-client: reflected with ORIGINATOR_ID and CLUSTER_LIST.
        let a = export(&route("65009"), &from_client, &nonclient, &l, V4).unwrap();
        assert_eq!(a.originator_id, Some(client.router_id));
        assert_eq!(a.cluster_list, vec![l.cluster_id]);
        assert_eq!(
            a.next_hop,
            Some("192.0.2.9".parse().unwrap()),
            "next hop unchanged when reflecting"
        );
        assert_eq!(a.as_path.to_string(), "65009");
        // Non-client -> client: reflected; non-client -> non-client: not.
        assert!(export(&route("65009"), &from_nonclient, &client, &l, V4).is_some());
        assert!(export(&route("65009"), &from_nonclient, &ibgp(4, false), &l, V4).is_none());
        // An existing ORIGINATOR_ID is kept; our cluster goes first.
        let mut r = route("65009");
        r.originator_id = Some(Ipv4Addr::new(9, 9, 9, 9));
        r.cluster_list = vec![Ipv4Addr::new(8, 8, 8, 8)];
        let a = export(&r, &from_client, &nonclient, &l, V4).unwrap();
        assert_eq!(a.originator_id, Some(Ipv4Addr::new(9, 9, 9, 9)));
        assert_eq!(
            a.cluster_list,
            vec![l.cluster_id, Ipv4Addr::new(8, 8, 8, 8)]
        );
        // eBGP -> iBGP: LOCAL_PREF present, next hop kept (unless next-hop-self).
        let ebgp_src = PeerRules::ebgp(65001, Ipv4Addr::new(1, 1, 1, 1));
        let from_ebgp = Source::Peer(&ebgp_src);
        let mut r = route("65001");
        r.local_pref = None;
        let a = export(&r, &from_ebgp, &nonclient, &l, V4).unwrap();
        assert_eq!(a.local_pref, Some(100));
        assert_eq!(a.next_hop, Some("192.0.2.9".parse().unwrap()));
        let mut nhs = nonclient.clone();
        nhs.next_hop_self = true;
        assert_eq!(
            export(&r, &from_ebgp, &nhs, &l, V4).unwrap().next_hop,
            Some("10.0.0.1".parse().unwrap())
        );
    }
}
