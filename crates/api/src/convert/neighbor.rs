//! Neighbors, peer groups and dynamic ranges <-> rbgp-config's types, so
//! the daemon resolves and checks API-added neighbors exactly like
//! configured ones (`Config::resolve`).

use std::net::IpAddr;

use rbgp_config::{DynamicNeighbor, NeighborConfig, NeighborRole, PeerSettings};
use rbgp_wire::AfiSafi;

use super::{family_from_proto, family_to_proto, parse_field};
use crate::v1;
use crate::FieldError;

fn narrow<T: TryFrom<u32>>(
    v: Option<u32>,
    field: &str,
    max: &str,
) -> Result<Option<T>, FieldError> {
    v.map(|x| T::try_from(x).map_err(|_| FieldError::new(field, format!("must be at most {max}"))))
        .transpose()
}

fn settings_from(s: Option<&v1::PeerSettings>) -> Result<PeerSettings, FieldError> {
    let Some(s) = s else {
        return Ok(PeerSettings::default());
    };
    let families = if s.families.is_empty() {
        None
    } else {
        let mut v: Vec<AfiSafi> = Vec::new();
        for (i, f) in s.families.iter().enumerate() {
            if let Some(f) = family_from_proto(Some(f), &format!("families[{i}]"))? {
                v.push(f);
            }
        }
        Some(v)
    };
    let local_address = s
        .local_address
        .as_deref()
        .map(|a| parse_field::<IpAddr>(a, "local_address"))
        .transpose()?;
    Ok(PeerSettings {
        remote_asn: s.remote_asn,
        description: s.description.clone(),
        families,
        port: narrow(s.port, "port", "65535")?,
        local_address,
        passive: s.passive,
        hold_time: narrow(s.hold_time, "hold_time", "65535")?,
        md5_password: s.md5_password.clone(),
        ttl_security: s.ttl_security,
        multihop: narrow(s.multihop, "multihop", "255")?,
        route_reflector_client: s.route_reflector_client,
        route_server_client: s.route_server_client,
        next_hop_self: s.next_hop_self,
        max_prefixes: s.max_prefixes,
        max_prefixes_warning_only: s.max_prefixes_warning_only,
        max_prefixes_restart: s.max_prefixes_restart,
        remove_private_as: s.remove_private_as,
        next_hop_unchanged: s.next_hop_unchanged,
        allow_own_as: narrow(s.allow_own_as, "allow_own_as", "255")?,
        graceful_restart: s.graceful_restart,
        role: s
            .role
            .as_deref()
            .map(|r| parse_field::<NeighborRole>(r, "role"))
            .transpose()?,
        strict_role: s.strict_role,
        graceful_shutdown_local_pref: s.graceful_shutdown_local_pref,
        idle_hold_time: s.idle_hold_time,
        idle_hold_max: s.idle_hold_max,
        // Not in the API yet.
        ..PeerSettings::default()
    })
}

/// Settings as the API shows them (secrets left out).
pub fn settings_to_proto(s: &PeerSettings) -> v1::PeerSettings {
    v1::PeerSettings {
        remote_asn: s.remote_asn,
        description: s.description.clone(),
        families: s
            .families
            .iter()
            .flatten()
            .map(|f| family_to_proto(*f))
            .collect(),
        port: s.port.map(u32::from),
        local_address: s.local_address.map(|a| a.to_string()),
        passive: s.passive,
        hold_time: s.hold_time.map(u32::from),
        md5_password: None,
        ttl_security: s.ttl_security,
        multihop: s.multihop.map(u32::from),
        route_reflector_client: s.route_reflector_client,
        route_server_client: s.route_server_client,
        next_hop_self: s.next_hop_self,
        max_prefixes: s.max_prefixes,
        graceful_restart: s.graceful_restart,
        max_prefixes_warning_only: s.max_prefixes_warning_only,
        max_prefixes_restart: s.max_prefixes_restart,
        remove_private_as: s.remove_private_as,
        next_hop_unchanged: s.next_hop_unchanged,
        allow_own_as: s.allow_own_as.map(u32::from),
        role: s.role.map(|r| r.name().to_string()),
        strict_role: s.strict_role,
        graceful_shutdown_local_pref: s.graceful_shutdown_local_pref,
        idle_hold_time: s.idle_hold_time,
        idle_hold_max: s.idle_hold_max,
    }
}

/// A neighbor to add. Its settings are checked when the daemon resolves
/// it with its group (`Config::resolve`).
pub fn neighbor_from_proto(n: &v1::NeighborConfig) -> Result<NeighborConfig, FieldError> {
    let address: IpAddr = parse_field(&n.address, "address")?;
    let s = settings_from(n.settings.as_ref()).map_err(|e| e.in_field("settings"))?;
    let peer_group = (!n.peer_group.trim().is_empty()).then(|| n.peer_group.trim().to_string());
    Ok(NeighborConfig::with_settings(address, peer_group, s))
}

pub fn peer_group_from_proto(g: &v1::PeerGroup) -> Result<(String, PeerSettings), FieldError> {
    let name = g.name.trim();
    if name.is_empty()
        || name.len() > 64
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(FieldError::new("name", "1 to 64 characters, no spaces"));
    }
    let s = settings_from(g.settings.as_ref()).map_err(|e| e.in_field("settings"))?;
    Ok((name.to_string(), s))
}

pub fn dynamic_from_proto(d: &v1::DynamicNeighbor) -> Result<DynamicNeighbor, FieldError> {
    let prefix = super::prefix_from_proto(&d.prefix, "prefix")?;
    if d.peer_group.trim().is_empty() {
        return Err(FieldError::new("peer_group", "required"));
    }
    if d.max_neighbors == Some(0) {
        return Err(FieldError::new("max_neighbors", "must be at least 1"));
    }
    Ok(DynamicNeighbor {
        prefix,
        peer_group: d.peer_group.trim().to_string(),
        max_neighbors: d
            .max_neighbors
            .unwrap_or(rbgp_config::DYNAMIC_MAX_NEIGHBORS),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn neighbor_fields_and_errors() {
        let mut n = v1::NeighborConfig {
            address: "192.0.2.2".into(),
            peer_group: String::new(),
            settings: Some(v1::PeerSettings {
                remote_asn: Some(65001),
                hold_time: Some(30),
                families: vec![family_to_proto(AfiSafi::IPV4_FLOWSPEC)],
                ..Default::default()
            }),
        };
        let c = neighbor_from_proto(&n).unwrap();
        assert_eq!(c.remote_asn, Some(65001));
        assert_eq!(c.hold_time, Some(30));
        assert_eq!(c.families, Some(vec![AfiSafi::IPV4_FLOWSPEC]));
        n.settings.as_mut().unwrap().hold_time = Some(70000);
        assert_eq!(
            neighbor_from_proto(&n).unwrap_err().field,
            "settings.hold_time"
        );
        n.settings.as_mut().unwrap().hold_time = None;
        n.settings.as_mut().unwrap().role = Some("rs-client".into());
        let c = neighbor_from_proto(&n).unwrap();
        assert_eq!(c.role.map(|r| r.name()), Some("rs-client"));
        assert_eq!(
            settings_to_proto(&c.settings()).role.as_deref(),
            Some("rs-client")
        );
        n.settings.as_mut().unwrap().graceful_shutdown_local_pref = Some(false);
        let c = neighbor_from_proto(&n).unwrap();
        assert_eq!(c.graceful_shutdown_local_pref, Some(false));
        assert_eq!(
            settings_to_proto(&c.settings()).graceful_shutdown_local_pref,
            Some(false)
        );
        n.settings.as_mut().unwrap().role = Some("transit".into());
        let e = neighbor_from_proto(&n).unwrap_err();
        assert_eq!(e.field, "settings.role");
        n.settings.as_mut().unwrap().role = None;
        n.settings.as_mut().unwrap().families[0].safi = 300;
        n.settings.as_mut().unwrap().hold_time = None;
        assert_eq!(
            neighbor_from_proto(&n).unwrap_err().field,
            "settings.families[0].safi"
        );
        n.address = "192.0.2".into();
        assert_eq!(neighbor_from_proto(&n).unwrap_err().field, "address");
    }

    #[test]
    fn groups_and_ranges() {
        assert_eq!(
            peer_group_from_proto(&v1::PeerGroup {
                name: "a b".into(),
                settings: None
            })
            .unwrap_err()
            .field,
            "name"
        );
        let mut range = v1::DynamicNeighbor {
            prefix: "198.51.100.0/24".into(),
            peer_group: "t".into(),
            max_neighbors: None,
        };
        let d = dynamic_from_proto(&range).unwrap();
        assert_eq!(d.prefix.to_string(), "198.51.100.0/24");
        assert_eq!(d.max_neighbors, rbgp_config::DYNAMIC_MAX_NEIGHBORS);
        range.max_neighbors = Some(0);
        assert_eq!(
            dynamic_from_proto(&range).unwrap_err().field,
            "max_neighbors"
        );
        range.max_neighbors = Some(20);
        assert_eq!(dynamic_from_proto(&range).unwrap().max_neighbors, 20);
        range.peer_group = String::new();
        assert_eq!(dynamic_from_proto(&range).unwrap_err().field, "peer_group");
    }
}
