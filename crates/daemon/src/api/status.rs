//! Daemon state -> API messages.

use rbgp_rib::{Aspa, Rpki};
use std::time::{SystemTime, UNIX_EPOCH};

use rbgp_api::convert::{family_to_proto, path_to_proto, settings_to_proto};
use rbgp_api::v1;
use rbgp_fsm::State;

use crate::control::{
    Direction, LastNotification, MessageCounts, NeighborStatus, Origin, RouteEntry,
};

pub(super) fn state(s: State) -> v1::SessionState {
    match s {
        State::Idle => v1::SessionState::Idle,
        State::Connect => v1::SessionState::Connect,
        State::Active => v1::SessionState::Active,
        State::OpenSent => v1::SessionState::OpenSent,
        State::OpenConfirm => v1::SessionState::OpenConfirm,
        State::Established => v1::SessionState::Established,
    }
}

pub(super) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(super) fn notification(n: &LastNotification) -> v1::Notification {
    v1::Notification {
        code: u32::from(n.notification.code),
        subcode: u32::from(n.notification.subcode),
        data: n.notification.data.to_vec(),
        text: n.notification.to_string(),
        time: unix_ms(n.at) / 1000,
    }
}

fn messages(m: &MessageCounts) -> v1::MessageCounters {
    v1::MessageCounters {
        open: m.open,
        update: m.update,
        notification: m.notification,
        keepalive: m.keepalive,
        route_refresh: m.route_refresh,
        total: m.total(),
    }
}

pub(super) fn neighbor(n: &NeighborStatus) -> v1::NeighborStatus {
    let c = &n.neighbor;
    let s = &n.session;
    let settings = rbgp_config::PeerSettings {
        remote_asn: Some(c.remote_asn),
        description: c.description.clone(),
        families: Some(c.families.clone()),
        port: Some(c.port),
        local_address: c.local_address,
        passive: Some(c.passive),
        hold_time: Some(c.hold_time),
        idle_hold_time: Some(c.idle_hold_time),
        idle_hold_max: Some(c.idle_hold_max),
        md5_password: None,
        ttl_security: Some(c.ttl_security),
        multihop: c.multihop,
        route_reflector_client: Some(c.route_reflector_client),
        route_server_client: Some(c.route_server_client),
        next_hop_self: Some(c.next_hop_self),
        add_path: c.add_path.clone(),
        max_prefixes: c.max_prefixes,
        graceful_restart: Some(c.graceful_restart),
        max_prefixes_warning_only: Some(c.max_prefixes_warning_only),
        max_prefixes_restart: c.max_prefixes_restart,
        remove_private_as: Some(c.remove_private_as),
        next_hop_unchanged: Some(c.next_hop_unchanged),
        allow_own_as: Some(c.allow_own_as),
        long_lived_stale_time: c.long_lived_stale_time,
        max_long_lived_stale_time: Some(c.max_long_lived_stale_time),
        keep_pre_policy: Some(c.keep_pre_policy),
        keep_filtered: Some(c.policy.keep_filtered),
        role: c.role,
        strict_role: Some(c.strict_role),
        // Policy attachments are not in the neighbor messages yet.
        ..rbgp_config::PeerSettings::default()
    };
    let fams = |v: &[rbgp_wire::AfiSafi]| v.iter().map(|f| family_to_proto(*f)).collect();
    let caps = s.negotiated.as_ref().map(|g| v1::NegotiatedCapabilities {
        families: fams(&g.families),
        four_octet_as: g.four_octet_as,
        route_refresh: g.route_refresh,
        enhanced_route_refresh: g.enhanced_route_refresh,
        extended_message: g.extended_message,
        add_path_receive: fams(&g.add_path_rx),
        add_path_send: fams(&g.add_path_tx),
        graceful_restart: g.peer_graceful_restart.is_some(),
        extended_next_hop: fams(&g.extended_next_hop),
        peer_role: g
            .peer_role
            .map(|r| rbgp_config::NeighborRole(r).name().to_string())
            .unwrap_or_default(),
    });
    let last = |d: Direction| {
        s.last_notification
            .as_ref()
            .filter(|l| l.direction == d)
            .map(notification)
    };
    v1::NeighborStatus {
        config: Some(v1::NeighborConfig {
            address: c.address.to_string(),
            peer_group: String::new(),
            settings: Some(settings_to_proto(&settings)),
        }),
        remote_asn: c.remote_asn,
        state: state(s.state) as i32,
        admin_down: !s.enabled,
        uptime_seconds: s
            .established_at
            .filter(|_| s.state == State::Established)
            .and_then(|t| t.elapsed().ok())
            .map_or(0, |d| d.as_secs()),
        remote_router_id: s
            .negotiated
            .as_ref()
            .map(|g| g.peer_id.to_string())
            .unwrap_or_default(),
        negotiated_hold_time: s.negotiated.as_ref().map_or(0, |g| u32::from(g.hold_time)),
        capabilities: caps,
        counters: n
            .prefixes
            .iter()
            .map(|p| v1::FamilyCounters {
                family: Some(family_to_proto(p.family)),
                received: p.received,
                accepted: p.accepted,
                advertised: p.advertised,
            })
            .collect(),
        messages_in: Some(messages(&s.messages_in)),
        messages_out: Some(messages(&s.messages_out)),
        last_error: s.last_error.clone().unwrap_or_default(),
        last_notification_sent: last(Direction::Sent),
        last_notification_received: last(Direction::Received),
        source: if n.from_api {
            v1::neighbor_status::Source::Api
        } else if n.dynamic {
            v1::neighbor_status::Source::Dynamic
        } else {
            v1::neighbor_status::Source::Config
        } as i32,
    }
}

/// A RIB path. Non-prefix NLRI (FlowSpec...) show their text form as the
/// prefix.
pub(super) fn route(r: &RouteEntry) -> v1::Route {
    let path = path_to_proto(&r.nlri, r.path_id, &r.attrs);
    v1::Route {
        family: Some(family_to_proto(r.family)),
        path: Some(path),
        source: match r.source {
            Origin::Local => String::new(),
            Origin::Peer(a) => a.to_string(),
        },
        best: r.best,
        age_seconds: u64::from(r.age),
        stale: r.stale,
        filter_reason: r.reason.clone().unwrap_or_default(),
        rpki: r
            .validation
            .map_or(v1::RpkiState::Unspecified, |v| match v.rpki {
                Rpki::NotFound => v1::RpkiState::NotFound,
                Rpki::Valid => v1::RpkiState::Valid,
                Rpki::Invalid => v1::RpkiState::Invalid,
            }) as i32,
        aspa: r
            .validation
            .map_or(v1::AspaState::Unspecified, |v| match v.aspa {
                Aspa::Unknown => v1::AspaState::Unknown,
                Aspa::Valid => v1::AspaState::Valid,
                Aspa::Invalid => v1::AspaState::Invalid,
            }) as i32,
    }
}
