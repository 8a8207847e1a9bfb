//! What one peering is configured to do, and the OPEN it makes us send.

use std::net::Ipv4Addr;

use rbgp_wire::capability::{
    AddPathFamily, Capability, GrFamily, GracefulRestart, LlgrFamily, Role,
};
use rbgp_wire::{AfiSafi, Open};

/// ADD-PATH directions for one family (RFC 7911 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddPathMode {
    pub receive: bool,
    pub send: bool,
}

/// Per-peer settings the FSM and negotiation need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    pub local_asn: u32,
    pub router_id: Ipv4Addr,
    /// Expected peer AS; `None` accepts any (dynamic neighbors).
    pub remote_asn: Option<u32>,
    /// Proposed hold time, seconds (0 or >= 3, RFC 4271 §4.2).
    pub hold_time: u16,
    pub connect_retry_time: u32,
    /// RFC 4271 §8.1.1 DelayOpen: wait this long for the peer's OPEN.
    pub delay_open_time: Option<u32>,
    /// Never initiate the TCP connection.
    pub passive: bool,
    pub families: Vec<AfiSafi>,
    pub add_path: Vec<(AfiSafi, AddPathMode)>,
    pub route_refresh: bool,
    pub enhanced_route_refresh: bool,
    pub extended_message: bool,
    /// Graceful restart time in seconds (RFC 4724); `None`: not advertised.
    pub graceful_restart: Option<u16>,
    /// Long-lived stale time in seconds (RFC 9494); needs graceful restart.
    pub long_lived_stale_time: Option<u32>,
    /// Our BGP role (RFC 9234) and whether the peer must advertise one.
    pub role: Option<Role>,
    pub strict_role: bool,
    /// RFC 8950: IPv4 NLRI with IPv6 next hops.
    pub extended_next_hop: bool,
    /// First wait before restarting after a session went down, seconds; it
    /// doubles with each flap up to `idle_hold_max` (RFC 4271 §8.1.1
    /// DampPeerOscillations).
    pub idle_hold_time: u32,
    pub idle_hold_max: u32,
    /// A session Established this long resets the back-off.
    pub stable_time: u32,
    /// Capabilities the peer must support, else OPEN is refused with
    /// NOTIFICATION 2/7 (RFC 5492 §3).
    pub required_capabilities: Vec<u8>,
    pub software_version: Option<String>,
}

impl PeerConfig {
    /// Sensible defaults: IPv4 and IPv6 unicast, route refresh, 4-octet AS,
    /// hold 90 s, connect retry 30 s.
    pub fn new(local_asn: u32, router_id: Ipv4Addr, remote_asn: Option<u32>) -> Self {
        PeerConfig {
            local_asn,
            router_id,
            remote_asn,
            hold_time: 90,
            connect_retry_time: 30,
            delay_open_time: None,
            passive: false,
            families: vec![AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST],
            add_path: Vec::new(),
            route_refresh: true,
            enhanced_route_refresh: true,
            extended_message: true,
            graceful_restart: None,
            long_lived_stale_time: None,
            role: None,
            strict_role: false,
            extended_next_hop: false,
            idle_hold_time: 1,
            idle_hold_max: 120,
            stable_time: 60,
            required_capabilities: Vec::new(),
            software_version: None,
        }
    }

    /// The OPEN this configuration sends (RFC 5492 capabilities in one
    /// optional parameter).
    pub fn open(&self) -> Open {
        let mut caps: Vec<Capability> = self
            .families
            .iter()
            .map(|f| Capability::Multiprotocol(*f))
            .collect();
        if self.route_refresh {
            caps.push(Capability::RouteRefresh);
        }
        if self.enhanced_route_refresh {
            caps.push(Capability::EnhancedRouteRefresh);
        }
        if self.extended_message {
            caps.push(Capability::ExtendedMessage);
        }
        if self.extended_next_hop {
            caps.push(Capability::ExtendedNextHop(vec![
                rbgp_wire::capability::ExtNextHop {
                    family: AfiSafi::IPV4_UNICAST,
                    next_hop_afi: rbgp_wire::Afi::IPV6,
                },
            ]));
        }
        caps.push(Capability::FourOctetAs(self.local_asn));
        if !self.add_path.is_empty() {
            caps.push(Capability::AddPath(
                self.add_path
                    .iter()
                    .map(|(f, m)| AddPathFamily {
                        family: *f,
                        receive: m.receive,
                        send: m.send,
                    })
                    .collect(),
            ));
        }
        if let Some(t) = self.graceful_restart {
            caps.push(Capability::GracefulRestart(GracefulRestart {
                restarting: false,
                notification: true,
                time: t.min(4095),
                families: self
                    .families
                    .iter()
                    .map(|f| GrFamily {
                        family: *f,
                        forwarding: false,
                    })
                    .collect(),
            }));
            if let Some(st) = self.long_lived_stale_time {
                caps.push(Capability::LongLivedGr(
                    self.families
                        .iter()
                        .map(|f| LlgrFamily {
                            family: *f,
                            forwarding: false,
                            stale_time: st.min(0xff_ffff),
                        })
                        .collect(),
                ));
            }
        }
        if let Some(r) = self.role {
            caps.push(Capability::Role(r));
        }
        if let Some(v) = &self.software_version {
            caps.push(Capability::SoftwareVersion(v.clone()));
        }
        // Open::new adds nothing more: 4-octet AS is already in the list.
        Open::new(self.local_asn, self.hold_time, self.router_id, caps)
    }
}
