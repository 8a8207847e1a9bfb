//! Parsed BMP as JSON objects for the collector's JSON topic: one per
//! route element of a Route Monitoring, one per Peer Up, Peer Down,
//! Initiation and Termination. Field names are pmacct's (`pmbmpd`'s
//! `bmp_msglog` JSON), so consumers written for pmacct read them:
//!
//! | field | value |
//! |---|---|
//! | `event_type` | `"log"` |
//! | `seq` | the collector's message counter |
//! | `bmp_msg_type` | `route_monitor`, `peer_up`, `peer_down`, `init`, `term` |
//! | `timestamp` | the per-peer header's time, `YYYY-MM-DD HH:MM:SS.ffffff` UTC |
//! | `timestamp_arrival` | when the collector read the message |
//! | `bmp_router`, `bmp_router_port` | the router's address and TCP port |
//! | `peer_ip`, `peer_asn`, `peer_type`, `rd` | from the per-peer header (`rd` when not 0:0) |
//! | `is_in`, `is_post`, `is_out`, `is_loc` | the view: Adj-RIB-In/Out, pre/post policy, Loc-RIB (0/1) |
//! | `log_type` | `update` or `withdraw` |
//! | `afi`, `safi` | numbers |
//! | `ip_prefix` | the prefix (unicast and multicast); `nlri` for other families |
//! | `path_id` | ADD-PATH identifier, when present |
//! | `bgp_nexthop`, `as_path`, `comms`, `ecomms`, `lcomms`, `origin`, `local_pref`, `med` | attributes (`origin` as `i`/`e`/`?`, lists space-separated) |
//! | `reason` | Peer Down reason code |

use rbgp_bmp::header::PeerHeader;
use rbgp_bmp::message::PeerDownReason;
use rbgp_bmp::session::Processed;
use rbgp_bmp::BmpMessage;
use rbgp_wire::attr::Origin;
use rbgp_wire::elem::{Elem, ElemType};
use rbgp_wire::{Afi, Nlri, Safi};
use serde_json::{json, Map, Value};

use super::router::RouterId;

/// `YYYY-MM-DD HH:MM:SS.ffffff`, UTC, as pmacct writes times.
pub fn time_text(sec: u32, usec: u32) -> String {
    format!(
        "{}.{:06}",
        rbgp_config::mrt_file_name("%Y-%m-%d %H:%M:%S", u64::from(sec)),
        usec.min(999_999)
    )
}

fn join<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn peer_fields(m: &mut Map<String, Value>, h: &PeerHeader) {
    m.insert("peer_ip".into(), json!(h.address.to_string()));
    m.insert("peer_asn".into(), json!(h.asn));
    m.insert("peer_type".into(), json!(h.peer_type.0));
    if h.distinguisher.0 != [0; 8] {
        m.insert("rd".into(), json!(h.distinguisher.to_string()));
    }
    m.insert(
        "timestamp".into(),
        json!(time_text(h.timestamp_sec, h.timestamp_usec)),
    );
    m.insert(
        "is_in".into(),
        json!(u8::from(!h.is_adj_rib_out() && !h.is_loc_rib())),
    );
    m.insert("is_out".into(), json!(u8::from(h.is_adj_rib_out())));
    m.insert("is_loc".into(), json!(u8::from(h.is_loc_rib())));
    m.insert("is_post".into(), json!(u8::from(h.is_post_policy())));
}

fn elem_fields(m: &mut Map<String, Value>, e: &Elem) {
    m.insert(
        "log_type".into(),
        json!(match e.elem_type {
            ElemType::Announce => "update",
            ElemType::Withdraw => "withdraw",
        }),
    );
    m.insert("afi".into(), json!(e.afi_safi.afi.0));
    m.insert("safi".into(), json!(e.afi_safi.safi.0));
    let unicast = matches!(e.afi_safi.afi, Afi::IPV4 | Afi::IPV6)
        && matches!(e.afi_safi.safi, Safi::UNICAST | Safi::MULTICAST);
    let key = if unicast && matches!(e.nlri, Nlri::Prefix(_)) {
        "ip_prefix"
    } else {
        "nlri"
    };
    m.insert(key.into(), json!(e.nlri.to_string()));
    if let Some(id) = e.path_id {
        m.insert("path_id".into(), json!(id));
    }
    if e.elem_type == ElemType::Withdraw {
        return;
    }
    if let Some(nh) = e.next_hop {
        m.insert("bgp_nexthop".into(), json!(nh.to_string()));
    }
    if let Some(p) = &e.as_path {
        m.insert("as_path".into(), json!(p.to_string()));
    }
    if !e.communities.is_empty() {
        m.insert("comms".into(), json!(join(&e.communities)));
    }
    if !e.ext_communities.is_empty() {
        m.insert("ecomms".into(), json!(join(&e.ext_communities)));
    }
    if !e.large_communities.is_empty() {
        m.insert("lcomms".into(), json!(join(&e.large_communities)));
    }
    if let Some(o) = e.origin {
        let o = match o {
            Origin::Igp => "i",
            Origin::Egp => "e",
            Origin::Incomplete => "?",
        };
        m.insert("origin".into(), json!(o));
    }
    if let Some(v) = e.local_pref {
        m.insert("local_pref".into(), json!(v));
    }
    if let Some(v) = e.med {
        m.insert("med".into(), json!(v));
    }
}

/// The JSON objects of one message (none for message types not listed);
/// `elems`: its route elements (`Processed::elems`).
pub fn rows(
    router: &RouterId,
    arrival: (u32, u32),
    seq: &mut u64,
    p: &Processed,
    elems: &[Elem],
    out: &mut Vec<Value>,
) {
    let base = |seq: &mut u64, ty: &str| {
        *seq += 1;
        let mut m = Map::new();
        m.insert("event_type".into(), json!("log"));
        m.insert("seq".into(), json!(*seq));
        m.insert("bmp_msg_type".into(), json!(ty));
        m.insert(
            "timestamp_arrival".into(),
            json!(time_text(arrival.0, arrival.1)),
        );
        m.insert("bmp_router".into(), json!(router.ip.to_string()));
        m.insert("bmp_router_port".into(), json!(router.port));
        m
    };
    match &p.message {
        BmpMessage::RouteMonitoring(rm) => {
            for e in elems {
                let mut m = base(seq, "route_monitor");
                peer_fields(&mut m, &rm.peer);
                elem_fields(&mut m, e);
                out.push(Value::Object(m));
            }
        }
        BmpMessage::PeerUp(u) => {
            let mut m = base(seq, "peer_up");
            peer_fields(&mut m, &u.peer);
            m.insert("local_ip".into(), json!(u.local_address.to_string()));
            m.insert("local_port".into(), json!(u.local_port));
            m.insert("remote_port".into(), json!(u.remote_port));
            m.insert("local_asn".into(), json!(u.sent_open.asn()));
            m.insert("bgp_id".into(), json!(u.received_open.bgp_id.to_string()));
            out.push(Value::Object(m));
        }
        BmpMessage::PeerDown(d) => {
            let mut m = base(seq, "peer_down");
            peer_fields(&mut m, &d.peer);
            m.insert("reason".into(), json!(d.reason.code()));
            if let PeerDownReason::LocalNotification(n) | PeerDownReason::RemoteNotification(n) =
                &d.reason
            {
                m.insert("notification".into(), json!(n.to_string()));
            }
            out.push(Value::Object(m));
        }
        BmpMessage::Initiation(_) => out.push(Value::Object(base(seq, "init"))),
        BmpMessage::Termination(_) => out.push(Value::Object(base(seq, "term"))),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use std::collections::BTreeSet;
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::collector::router::{Fed, RouterFeed};

    /// The route rows we care to compare: kind, family, prefix, peer,
    /// view, AS path and communities.
    type Key = (
        String,
        u64,
        u64,
        String,
        String,
        &'static str,
        String,
        String,
    );

    fn key(v: &Value) -> Option<Key> {
        if v["bmp_msg_type"] != "route_monitor" {
            return None;
        }
        let log = v["log_type"].as_str()?.to_string();
        if log != "update" && log != "withdraw" {
            return None;
        }
        let (afi, safi) = (v["afi"].as_u64()?, v["safi"].as_u64()?);
        if safi != 1 {
            return None;
        }
        let view = if v["is_loc"] == 1 {
            "loc"
        } else if v["is_post"] == 1 {
            "post"
        } else {
            "pre"
        };
        // pmacct's newer JSON has lists; ours pmbmpd's space-separated text.
        let text = |x: &Value| match x {
            Value::Array(a) => a
                .iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let (path, comms) = if log == "update" {
            (text(&v["as_path"]), text(&v["comms"]))
        } else {
            (String::new(), String::new())
        };
        Some((
            log,
            afi,
            safi,
            v["ip_prefix"].as_str()?.to_string(),
            v["peer_ip"].as_str()?.to_string(),
            view,
            path,
            comms,
        ))
    }

    /// A real FRR-based router's BMP (pmacct's test 205) read by the
    /// collector's router feed gives the unicast route rows pmacct's own
    /// decode of the same capture lists.
    #[test]
    fn rows_match_pmacct_on_a_real_frr_capture() {
        rbgp_testkit::tshark::require_tshark();
        let dir = rbgp_testkit::data("pmacct-test-automation/tests/205-BMP-6wind-FRR-peer_down");
        let streams = rbgp_testkit::tshark::tcp_streams(&dir.join("traffic-00.pcap"), &[1790]);
        assert_eq!(streams.len(), 1);
        let router = RouterId::new(IpAddr::V4(Ipv4Addr::new(172, 21, 1, 101)), 50733, &[0; 16]);
        let mut feed = RouterFeed::default();
        let mut fed = Vec::new();
        feed.push(&streams[0].bytes, &mut fed);
        let (mut out, mut seq) = (Vec::new(), 0);
        for f in &fed {
            if let Fed::Message(_, p) = f {
                let Ok(p) = p.as_ref() else { continue };
                rows(&router, (0, 0), &mut seq, p, &p.elems(), &mut out);
            }
        }
        let ours: BTreeSet<Key> = out.iter().filter_map(key).collect();
        let text = std::fs::read_to_string(dir.join("output-bmp-00.json")).unwrap();
        let theirs: BTreeSet<Key> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| key(&v))
            .collect();
        assert!(theirs.len() > 50, "{}", theirs.len());
        assert_eq!(
            ours.difference(&theirs).collect::<Vec<_>>(),
            theirs.difference(&ours).collect::<Vec<_>>()
        );
        // Every row names the router and a message type pmacct uses.
        assert!(out.iter().all(|r| r["bmp_router"] == "172.21.1.101"));
        assert!(out.iter().any(|r| r["bmp_msg_type"] == "peer_up"));
        assert!(out.iter().any(|r| r["bmp_msg_type"] == "peer_down"));
    }
}
