//! birdwatcher's JSON shapes, filled from our RIB and sessions: what
//! Alice-LG's birdwatcher source reads (`pkg/sources/birdwatcher/
//! parsers.go`): numbers where it asserts numbers (`neighbor_as`, route
//! counts, community values), strings where BIRD's text is passed on
//! (`local_pref`, `med`, AS numbers in `as_path`), times in BIRD's
//! "2006-01-02 15:04:05" form (UTC).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use rbgp_fsm::State;
use rbgp_wire::attr::{AsPath, Origin as AttrOrigin, SegmentType};
use serde_json::{json, Map, Value};

use crate::control::{NeighborStatus, Origin, RouteEntry};

/// BIRD's time form ("servertime_short" in Alice-LG's configuration).
pub fn short_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// RFC 3339 ("servertime"): `ttl` and `cached_at`.
pub fn long_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The `api` block every answer starts with. We answer from the RIB, never
/// from a cache; `ttl` says how long a client may keep the answer.
pub fn api_block(now: SystemTime) -> Value {
    json!({
        "Version": concat!("rbgpd ", env!("CARGO_PKG_VERSION")),
        "result_from_cache": false,
        "cache_status": {
            "orig_ttl": 0,
            "cached_at": { "date": long_time(now), "timezone_type": "3", "timezone": "UTC" },
        },
    })
}

/// The envelope around `payload`'s keys.
pub fn envelope(now: SystemTime, payload: Map<String, Value>) -> Value {
    let mut m = payload;
    m.insert("api".into(), api_block(now));
    m.insert("ttl".into(), json!(long_time(now + TTL)));
    Value::Object(m)
}

/// How long clients may cache an answer (birdwatcher's default is 5 min;
/// ours is shorter: answers are cheap and live).
pub const TTL: Duration = Duration::from_secs(60);

/// The protocol name a neighbor has in the looking glass: BIRD's names
/// are free text; ours say the AS and address (`AS65001_192.0.2.1`).
pub fn protocol_id(asn: u32, addr: IpAddr) -> String {
    format!("AS{asn}_{addr}")
}

/// BIRD's protocol state: up, start (enabled, not established), down.
pub fn bird_state(n: &NeighborStatus) -> &'static str {
    match (n.session.enabled, n.session.state) {
        (_, State::Established) => "up",
        (true, _) => "start",
        (false, _) => "down",
    }
}

pub fn fsm_state(s: State) -> &'static str {
    match s {
        State::Idle => "Idle",
        State::Connect => "Connect",
        State::Active => "Active",
        State::OpenSent => "OpenSent",
        State::OpenConfirm => "OpenConfirm",
        State::Established => "Established",
    }
}

/// Route counts of a neighbor over all its families.
pub struct Counts {
    pub imported: u64,
    pub filtered: u64,
    pub exported: u64,
    pub preferred: u64,
}

impl Counts {
    pub fn of(n: &NeighborStatus, preferred: u64) -> Counts {
        let sum = |f: fn(&crate::control::FamilyCounts) -> u64| n.prefixes.iter().map(f).sum();
        let received: u64 = sum(|c| c.received);
        let imported: u64 = sum(|c| c.accepted);
        Counts {
            imported,
            filtered: received.saturating_sub(imported),
            exported: sum(|c| c.advertised),
            preferred,
        }
    }
}

/// One `/protocols/bgp` entry.
pub fn protocol(n: &NeighborStatus, c: &Counts, started: SystemTime) -> Value {
    let s = &n.session;
    let nb = &n.neighbor;
    let id = protocol_id(nb.remote_asn, nb.address);
    let changed = s.established_at.unwrap_or(started);
    let mut p = json!({
        "bird_protocol": "BGP",
        "protocol": id,
        "table": "master",
        "state": bird_state(n),
        "state_changed": short_time(changed),
        "connection": fsm_state(s.state),
        "bgp_state": fsm_state(s.state),
        "neighbor_address": nb.address.to_string(),
        "neighbor_as": nb.remote_asn,
        "description": nb.description.clone().unwrap_or_default(),
        "routes": {
            "imported": c.imported,
            "filtered": c.filtered,
            "exported": c.exported,
            "preferred": c.preferred,
        },
        "route_changes": {
            "import_updates": { "received": s.messages_in.update },
            "export_updates": { "received": s.messages_out.update },
        },
        "session": if nb.route_server_client { "external route-server" } else { "external" },
        "preference": 100,
    });
    if let Some(o) = p.as_object_mut() {
        if let Some(neg) = &s.negotiated {
            o.insert("neighbor_id".into(), json!(neg.peer_id.to_string()));
            o.insert(
                "hold_timer".into(),
                json!(format!("{}/{}", neg.hold_time, neg.hold_time)),
            );
            o.insert(
                "keepalive_timer".into(),
                json!(format!("{}/{}", neg.keepalive_time, neg.keepalive_time)),
            );
        }
        if let Some(limit) = nb.max_prefixes {
            o.insert("import_limit".into(), json!(limit));
            o.insert(
                "route_limit".into(),
                json!(format!("{}/{limit}", c.imported + c.filtered)),
            );
        }
        if let Some(e) = &s.last_error {
            o.insert("last_error".into(), json!(e));
        } else if let Some(last) = &s.last_notification {
            o.insert("last_error".into(), json!(format!("{last:?}")));
        }
    }
    p
}

/// One `/protocols/short` entry.
pub fn protocol_short(n: &NeighborStatus, started: SystemTime) -> Value {
    json!({
        "proto": "BGP",
        "table": "master",
        "state": bird_state(n),
        "since": short_time(n.session.established_at.unwrap_or(started)),
        "info": fsm_state(n.session.state),
    })
}

/// Which route a filtered reason code is for (see `[looking_glass]`).
pub struct Reasons<'a> {
    pub asn: u32,
    pub codes: &'a BTreeMap<String, u32>,
}

/// AS_PATH as birdwatcher lists it: one string per AS; an AS_SET as one
/// "{a b}" string (BIRD prints sets in braces).
fn as_path(p: &AsPath) -> Vec<String> {
    let mut v = Vec::new();
    for seg in &p.segments {
        match seg.kind {
            SegmentType::Sequence | SegmentType::ConfedSequence => {
                v.extend(seg.asns.iter().map(u32::to_string));
            }
            SegmentType::Set | SegmentType::ConfedSet => {
                let inner: Vec<String> = seg.asns.iter().map(u32::to_string).collect();
                v.push(format!("{{{}}}", inner.join(" ")));
            }
        }
    }
    v
}

fn origin(o: Option<AttrOrigin>) -> &'static str {
    match o {
        Some(AttrOrigin::Igp) => "IGP",
        Some(AttrOrigin::Egp) => "EGP",
        Some(AttrOrigin::Incomplete) | None => "Incomplete",
    }
}

/// An extended community as BIRD's triple ("rt", "65000", "100").
fn ext_triple(text: &str) -> [String; 3] {
    match text.split_once(':') {
        Some((kind, rest)) => match rest.rsplit_once(':') {
            Some((a, v)) => [kind.into(), a.into(), v.into()],
            None => [kind.into(), rest.into(), String::new()],
        },
        None => ["generic".into(), text.into(), String::new()],
    }
}

/// Where a route came from, as birdwatcher names it.
pub fn from_protocol(e: &RouteEntry, asn_of: &dyn Fn(IpAddr) -> Option<u32>) -> String {
    match e.source {
        Origin::Local => "static".into(),
        Origin::Peer(a) => asn_of(a).map_or_else(|| a.to_string(), |asn| protocol_id(asn, a)),
    }
}

/// One route.
pub fn route(
    e: &RouteEntry,
    now: SystemTime,
    asn_of: &dyn Fn(IpAddr) -> Option<u32>,
    reasons: Option<&Reasons<'_>>,
) -> Value {
    let a = &e.attrs;
    let next_hop = a.next_hop.map(|n| n.to_string()).unwrap_or_default();
    let gateway = match e.source {
        Origin::Peer(p) => p.to_string(),
        Origin::Local => next_hop.clone(),
    };
    let mut large: Vec<[u32; 3]> = a
        .large_communities
        .iter()
        .map(|c| [c.global, c.local1, c.local2])
        .collect();
    if let (Some(r), Some(key)) = (reasons, &e.reason_key) {
        let code = r.codes.get(key).copied().unwrap_or(0);
        large.push([r.asn, rbgp_config::REJECT_ID, code]);
    }
    let mut bgp = json!({
        "origin": origin(a.origin),
        "as_path": as_path(&a.as_path),
        "next_hop": next_hop,
        "communities": a.communities.iter().map(|c| [u32::from(c.asn()), u32::from(c.value())]).collect::<Vec<_>>(),
        "large_communities": large,
        "ext_communities": a.ext_communities.iter().map(|c| ext_triple(&c.to_string())).collect::<Vec<_>>(),
    });
    if let Some(b) = bgp.as_object_mut() {
        b.insert(
            "local_pref".into(),
            json!(a.local_pref.unwrap_or(100).to_string()),
        );
        if let Some(m) = a.med {
            b.insert("med".into(), json!(m.to_string()));
        }
        if let Some(ag) = &a.aggregator {
            b.insert(
                "aggregator".into(),
                json!(format!("{} AS{}", ag.address, ag.asn)),
            );
        }
    }
    let received = now
        .checked_sub(Duration::from_secs(u64::from(e.age)))
        .unwrap_or(now);
    let mut r = json!({
        "network": e.nlri.to_string(),
        "gateway": gateway,
        "from_protocol": from_protocol(e, asn_of),
        "learnt_from": "",
        "interface": "",
        "metric": 100,
        "primary": e.best,
        "type": ["BGP", "unicast", "univ"],
        "age": short_time(received),
        "bgp": bgp,
    });
    if let Some(o) = r.as_object_mut() {
        o.insert("family".into(), json!(e.family.to_string()));
        if e.path_id != 0 {
            o.insert("path_id".into(), json!(e.path_id));
        }
        if e.stale {
            o.insert("stale".into(), json!(true));
        }
        if let Some(v) = e.validation {
            o.insert("rpki".into(), json!(v.rpki.name()));
            o.insert("aspa".into(), json!(v.aspa.name()));
        }
        if let Some(why) = &e.reason {
            o.insert("filter_reason".into(), json!(why));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext_communities_become_birds_triples() {
        assert_eq!(ext_triple("rt:65000:100"), ["rt", "65000", "100"]);
        assert_eq!(ext_triple("ro:192.0.2.1:7"), ["ro", "192.0.2.1", "7"]);
        assert_eq!(ext_triple("0x0102"), ["generic", "0x0102", ""]);
    }

    #[test]
    fn times_use_birds_and_rfc3339_forms() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_495_181_564);
        assert_eq!(short_time(t), "2017-05-19 08:12:44");
        assert_eq!(long_time(t), "2017-05-19T08:12:44Z");
    }

    #[test]
    fn as_sets_are_one_braced_string() {
        let p: AsPath = "65001 65002 {65003,65004}".parse().unwrap();
        assert_eq!(as_path(&p), ["65001", "65002", "{65003 65004}"]);
    }
}
