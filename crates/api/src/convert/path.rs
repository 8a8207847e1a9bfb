//! Path <-> prefix, path id and RIB attributes.

use std::net::IpAddr;

use rbgp_rib::Attrs;
use rbgp_wire::attr::{
    AsPath, AsSegment, Community, ExtCommunity, LargeCommunity, Origin, SegmentType,
};
use rbgp_wire::{AfiSafi, Prefix};

use super::{parse_field, parse_list};
use crate::v1::{self, as_segment};
use crate::FieldError;

/// A validated injected path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedPath {
    pub family: AfiSafi,
    pub prefix: Prefix,
    pub path_id: u32,
    pub attrs: Attrs,
}

/// A prefix in text form; host bits set are an error (a typo more often
/// than intended).
pub fn prefix_from_proto(text: &str, field: &str) -> Result<Prefix, FieldError> {
    let p: Prefix = parse_field(text, field)?;
    let given: IpAddr = text
        .split_once('/')
        .and_then(|(a, _)| a.trim().parse().ok())
        .unwrap_or(p.addr());
    if given != p.addr() {
        return Err(FieldError::new(
            field,
            format!("host bits set: did you mean {p}?"),
        ));
    }
    Ok(p)
}

/// Key of an injected path in the store and the RIB: prefix and path id.
pub fn path_key(prefix: &Prefix, path_id: u32) -> String {
    format!("{prefix}#{path_id}")
}

fn origin_from(o: i32) -> Result<Origin, FieldError> {
    match v1::Origin::try_from(o) {
        Ok(v1::Origin::Igp) => Ok(Origin::Igp),
        Ok(v1::Origin::Egp) => Ok(Origin::Egp),
        Ok(v1::Origin::Incomplete) => Ok(Origin::Incomplete),
        Err(_) => Err(FieldError::new("origin", format!("unknown value {o}"))),
    }
}

/// The AS path of a request's segments.
pub fn as_path_from_proto(segs: &[v1::AsSegment]) -> Result<AsPath, FieldError> {
    let mut path = AsPath::default();
    for (i, s) in segs.iter().enumerate() {
        let kind = match as_segment::Type::try_from(s.r#type) {
            Ok(as_segment::Type::AsSequence) => SegmentType::Sequence,
            Ok(as_segment::Type::AsSet) => SegmentType::Set,
            Ok(as_segment::Type::ConfedSequence) => SegmentType::ConfedSequence,
            Ok(as_segment::Type::ConfedSet) => SegmentType::ConfedSet,
            Err(_) => {
                return Err(FieldError::new(
                    format!("as_path[{i}].type"),
                    format!("unknown value {}", s.r#type),
                ))
            }
        };
        // RFC 4271 §4.3: a segment holds 1 to 255 ASes.
        if s.asns.is_empty() || s.asns.len() > 255 {
            return Err(FieldError::new(
                format!("as_path[{i}].asns"),
                "a segment holds 1 to 255 AS numbers",
            ));
        }
        path.segments.push(AsSegment {
            kind,
            asns: s.asns.iter().copied().collect(),
        });
    }
    Ok(path)
}

/// Validates a path for injection.
pub fn path_from_proto(p: &v1::Path) -> Result<InjectedPath, FieldError> {
    let prefix = prefix_from_proto(&p.prefix, "prefix")?;
    let next_hop: IpAddr = parse_field(&p.next_hop, "next_hop")?;
    if !prefix.is_ipv4() && next_hop.is_ipv4() {
        return Err(FieldError::new(
            "next_hop",
            "an IPv6 prefix needs an IPv6 next hop",
        ));
    }
    if next_hop.is_unspecified() || next_hop.is_multicast() {
        return Err(FieldError::new(
            "next_hop",
            "must be a unicast address, not unspecified or multicast",
        ));
    }
    let attrs = Attrs {
        origin: Some(origin_from(p.origin)?),
        as_path: as_path_from_proto(&p.as_path)?,
        next_hop: Some(next_hop),
        med: p.med,
        local_pref: p.local_pref,
        communities: parse_list::<Community, _>(&p.communities, "communities")?,
        large_communities: parse_list::<LargeCommunity, _>(
            &p.large_communities,
            "large_communities",
        )?,
        ext_communities: parse_list::<ExtCommunity, _>(&p.ext_communities, "ext_communities")?,
        ..Attrs::default()
    };
    let family = if prefix.is_ipv4() {
        AfiSafi::IPV4_UNICAST
    } else {
        AfiSafi::IPV6_UNICAST
    };
    Ok(InjectedPath {
        family,
        prefix,
        path_id: p.path_id,
        attrs,
    })
}

/// A RIB path as the API shows it.
/// The segments of an AS path.
pub fn as_path_to_proto(p: &AsPath) -> Vec<v1::AsSegment> {
    p.segments
        .iter()
        .map(|s| v1::AsSegment {
            r#type: match s.kind {
                SegmentType::Sequence => as_segment::Type::AsSequence,
                SegmentType::Set => as_segment::Type::AsSet,
                SegmentType::ConfedSequence => as_segment::Type::ConfedSequence,
                SegmentType::ConfedSet => as_segment::Type::ConfedSet,
            } as i32,
            asns: s.asns.to_vec(),
        })
        .collect()
}

/// `prefix` is any NLRI text: a prefix, or a FlowSpec rule in a RIB listing.
pub fn path_to_proto(prefix: &impl std::fmt::Display, path_id: u32, a: &Attrs) -> v1::Path {
    v1::Path {
        prefix: prefix.to_string(),
        path_id,
        next_hop: a.next_hop.map(|n| n.to_string()).unwrap_or_default(),
        origin: match a.origin {
            Some(Origin::Egp) => v1::Origin::Egp,
            Some(Origin::Incomplete) => v1::Origin::Incomplete,
            Some(Origin::Igp) | None => v1::Origin::Igp,
        } as i32,
        as_path: as_path_to_proto(&a.as_path),
        med: a.med,
        local_pref: a.local_pref,
        communities: a.communities.iter().map(ToString::to_string).collect(),
        large_communities: a
            .large_communities
            .iter()
            .map(ToString::to_string)
            .collect(),
        ext_communities: a.ext_communities.iter().map(ToString::to_string).collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn rtbh() -> v1::Path {
        v1::Path {
            prefix: "203.0.113.7/32".into(),
            next_hop: "192.0.2.1".into(),
            communities: vec!["65535:666".into(), "65000:100".into()],
            large_communities: vec!["65000:1:2".into()],
            ext_communities: vec!["rt:65000:100".into()],
            as_path: vec![v1::AsSegment {
                r#type: 0,
                asns: vec![65000, 65001],
            }],
            local_pref: Some(200),
            med: Some(5),
            ..Default::default()
        }
    }

    #[test]
    fn round_trip_keeps_every_attribute() {
        let p = path_from_proto(&rtbh()).unwrap();
        assert_eq!(p.family, AfiSafi::IPV4_UNICAST);
        assert_eq!(p.attrs.communities[0], Community::BLACKHOLE);
        let back = path_to_proto(&p.prefix, p.path_id, &p.attrs);
        assert_eq!(back.communities, vec!["blackhole", "65000:100"]);
        assert_eq!(back.large_communities, vec!["65000:1:2"]);
        assert_eq!(back.ext_communities, vec!["rt:65000:100"]);
        assert_eq!(back.as_path, rtbh().as_path);
        assert_eq!((back.local_pref, back.med), (Some(200), Some(5)));
        assert_eq!(path_from_proto(&back).unwrap(), p);
    }

    #[test]
    fn errors_name_the_field() {
        let err = |f: fn(&mut v1::Path)| {
            let mut p = rtbh();
            f(&mut p);
            path_from_proto(&p).unwrap_err()
        };
        assert_eq!(err(|p| p.prefix = "10.0.0.1/24".into()).field, "prefix");
        assert_eq!(err(|p| p.prefix = String::new()).field, "prefix");
        assert_eq!(err(|p| p.next_hop = "nope".into()).field, "next_hop");
        let e = err(|p| p.communities[1] = "70000:1".into());
        assert_eq!(e.field, "communities[1]");
        assert!(e.reason.contains("0-65535"), "{e}");
        assert_eq!(
            err(|p| p.large_communities = vec!["1:2".into()]).field,
            "large_communities[0]"
        );
        assert_eq!(
            err(|p| p.ext_communities = vec!["rt:x".into()]).field,
            "ext_communities[0]"
        );
        assert_eq!(err(|p| p.origin = 9).field, "origin");
        assert_eq!(err(|p| p.as_path[0].asns.clear()).field, "as_path[0].asns");
        assert_eq!(
            err(|p| {
                p.prefix = "2001:db8::/32".into();
            })
            .field,
            "next_hop"
        );
        assert_eq!(
            err(|p| p.next_hop = "0.0.0.0".into())
                .in_field("paths[7]")
                .to_string(),
            "paths[7].next_hop: must be a unicast address, not unspecified or multicast"
        );
    }
}
