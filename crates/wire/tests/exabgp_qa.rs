//! Every BGP message in ExaBGP's QA corpus decodes, re-encodes byte for
//! byte, and matches ExaBGP's own JSON decode (prefixes, next hops, path
//! ids and the common attributes).
// Test code: panicking on unexpected input is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::fs;

use rbgp_testkit::{data_dir, unhex};
use rbgp_wire::attr::{AttrValue, SegmentType};
use rbgp_wire::{AfiSafi, Context, Message, Nlri, Update};
use serde_json::Value;

/// The session context ExaBGP's config for a test implies.
fn context_for(conf: &str) -> Context {
    let mut ctx = Context::default();
    if conf.contains("asn4 disable") {
        ctx = Context::legacy();
    }
    if conf.contains("add-path send/receive") || conf.contains("add-path receive") {
        // An explicit `add-path { families }` block limits it, else all
        // configured families (ExaBGP's default is IPv4 unicast).
        let block = conf
            .split("add-path {")
            .nth(1)
            .and_then(|b| b.split('}').next());
        let fams = block.or_else(|| {
            conf.split("family {")
                .nth(1)
                .and_then(|b| b.split('}').next())
        });
        let mut any = false;
        for line in fams.unwrap_or("").lines() {
            let name = line
                .trim()
                .trim_end_matches(';')
                .replace(' ', "_")
                .replace("mpls-vpn", "vpn");
            if let Ok(f) = name.parse::<AfiSafi>() {
                ctx.set_add_path(f, true);
                any = true;
            }
        }
        if !any {
            ctx.set_add_path(AfiSafi::IPV4_UNICAST, true);
        }
    }
    ctx
}

fn exa_family(f: AfiSafi) -> String {
    let (a, s) = (f.afi.0, f.safi.0);
    let afi = match a {
        1 => "ipv4",
        2 => "ipv6",
        25 => "l2vpn",
        16388 => "bgp-ls",
        _ => "?",
    };
    let safi = match s {
        1 => "unicast",
        2 => "multicast",
        4 => "nlri-mpls",
        5 => "mcast-vpn",
        65 => "vpls",
        70 => "evpn",
        71 => "bgp-ls",
        73 => "sr-policy",
        85 => "mup",
        128 => "mpls-vpn",
        133 => "flow",
        134 => "flow-vpn",
        _ => "?",
    };
    format!("{afi} {safi}")
}

fn path_id_text(id: Option<u32>) -> Option<String> {
    id.map(|i| std::net::Ipv4Addr::from(i).to_string())
}

/// (family, next hop, nlri text, path id) for unicast families; other
/// families only by count.
type Key = (String, String, String, Option<String>);

fn ours_announced(u: &Update) -> (BTreeSet<Key>, usize) {
    let mut set = BTreeSet::new();
    let mut other = 0;
    let classic_nh = u.attributes.iter().find_map(|a| match &a.value {
        AttrValue::NextHop(n) => Some(n.to_string()),
        _ => None,
    });
    for (f, n) in u.announced() {
        let nh = if f == AfiSafi::IPV4_UNICAST && u.nlri.contains(n) {
            classic_nh.clone().unwrap_or_default()
        } else {
            u.mp_reach()
                .and_then(|m| m.next_hop.addr())
                .map(|a| a.to_string())
                .unwrap_or_default()
        };
        match &n.nlri {
            Nlri::Prefix(p) => {
                set.insert((exa_family(f), nh, p.to_string(), path_id_text(n.path_id)));
            }
            _ => other += 1,
        }
    }
    (set, other)
}

fn theirs_announced(update: &Value) -> (BTreeSet<Key>, usize) {
    let mut set = BTreeSet::new();
    let mut other = 0;
    if let Some(ann) = update.get("announce").and_then(Value::as_object) {
        for (fam, by_nh) in ann {
            for (nh, list) in by_nh.as_object().into_iter().flatten() {
                for e in list.as_array().into_iter().flatten() {
                    let unicast = fam.ends_with(" unicast") || fam.ends_with(" multicast");
                    match (unicast, e.get("nlri").and_then(Value::as_str)) {
                        (true, Some(p)) => {
                            let pid = e
                                .get("path-information")
                                .and_then(Value::as_str)
                                .map(String::from);
                            set.insert((fam.clone(), nh.clone(), p.to_string(), pid));
                        }
                        _ if RAW_FAMILIES.contains(&fam.as_str()) => {}
                        _ => other += 1,
                    }
                }
            }
        }
    }
    (set, other)
}

fn ours_withdrawn(u: &Update) -> (BTreeSet<(String, String, Option<String>)>, usize) {
    let mut set = BTreeSet::new();
    let mut other = 0;
    for (f, n) in u.withdrawals() {
        match &n.nlri {
            Nlri::Prefix(p) => {
                set.insert((exa_family(f), p.to_string(), path_id_text(n.path_id)));
            }
            _ => other += 1,
        }
    }
    (set, other)
}

fn theirs_withdrawn(update: &Value) -> (BTreeSet<(String, String, Option<String>)>, usize) {
    let mut set = BTreeSet::new();
    let mut other = 0;
    if let Some(w) = update.get("withdraw").and_then(Value::as_object) {
        for (fam, list) in w {
            for e in list.as_array().into_iter().flatten() {
                let unicast = fam.ends_with(" unicast") || fam.ends_with(" multicast");
                match (unicast, e.get("nlri").and_then(Value::as_str)) {
                    (true, Some(p)) => {
                        let pid = e
                            .get("path-information")
                            .and_then(Value::as_str)
                            .map(String::from);
                        set.insert((fam.clone(), p.to_string(), pid));
                    }
                    _ => other += 1,
                }
            }
        }
    }
    (set, other)
}

fn check_attributes(u: &Update, attrs: &Value, what: &str) {
    let Some(attrs) = attrs.as_object() else {
        return;
    };
    for (k, v) in attrs {
        let ours = |code: u8| u.attribute(code);
        match k.as_str() {
            "origin" => {
                let Some(AttrValue::Origin(o)) = ours(1) else {
                    panic!("{what}: no ORIGIN")
                };
                assert_eq!(o.to_string().to_lowercase(), v.as_str().unwrap(), "{what}");
            }
            "med" => assert_eq!(
                ours(4),
                Some(&AttrValue::Med(v.as_u64().unwrap() as u32)),
                "{what}"
            ),
            "local-preference" => {
                assert_eq!(
                    ours(5),
                    Some(&AttrValue::LocalPref(v.as_u64().unwrap() as u32)),
                    "{what}"
                )
            }
            "as-path" => {
                let Some(AttrValue::AsPath(p)) = ours(2) else {
                    panic!("{what}: no AS_PATH")
                };
                let theirs: Vec<(String, Vec<u64>)> = v
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|s| {
                        (
                            s["element"].as_str().unwrap().to_string(),
                            s["value"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|x| x.as_u64().unwrap())
                                .collect(),
                        )
                    })
                    .collect();
                let mine: Vec<(String, Vec<u64>)> = p
                    .segments
                    .iter()
                    .map(|s| {
                        let e = match s.kind {
                            SegmentType::Sequence => "as-sequence",
                            SegmentType::Set => "as-set",
                            SegmentType::ConfedSequence => "confederation-sequence",
                            SegmentType::ConfedSet => "confederation-set",
                        };
                        (
                            e.to_string(),
                            s.asns.iter().map(|&a| u64::from(a)).collect(),
                        )
                    })
                    .collect();
                assert_eq!(mine, theirs, "{what}");
            }
            "community" => {
                let Some(AttrValue::Communities(c)) = ours(8) else {
                    panic!("{what}: no COMMUNITIES")
                };
                let theirs: Vec<(u64, u64)> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
                    .collect();
                let mine: Vec<(u64, u64)> = c
                    .iter()
                    .map(|c| (u64::from(c.asn()), u64::from(c.value())))
                    .collect();
                assert_eq!(mine, theirs, "{what}");
            }
            "large-community" => {
                let Some(AttrValue::LargeCommunities(c)) = ours(32) else {
                    panic!("{what}: no LARGE_COMMUNITIES")
                };
                let theirs: Vec<Vec<u64>> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        p.as_array()
                            .unwrap()
                            .iter()
                            .map(|x| x.as_u64().unwrap())
                            .collect()
                    })
                    .collect();
                let mine: Vec<Vec<u64>> = c
                    .iter()
                    .map(|c| vec![c.global.into(), c.local1.into(), c.local2.into()])
                    .collect();
                assert_eq!(mine, theirs, "{what}");
            }
            "extended-community" => {
                let Some(AttrValue::ExtCommunities(c)) = ours(16) else {
                    panic!("{what}: no EXTENDED_COMMUNITIES")
                };
                let theirs: Vec<u64> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["value"].as_u64().unwrap())
                    .collect();
                let mine: Vec<u64> = c.iter().map(|e| u64::from_be_bytes(e.0)).collect();
                assert_eq!(mine, theirs, "{what}");
            }
            "originator-id" => {
                assert_eq!(
                    ours(9),
                    Some(&AttrValue::OriginatorId(
                        v.as_str().unwrap().parse().unwrap()
                    )),
                    "{what}"
                )
            }
            "cluster-list" => {
                let Some(AttrValue::ClusterList(l)) = ours(10) else {
                    panic!("{what}: no CLUSTER_LIST")
                };
                let theirs: Vec<String> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect();
                let mine: Vec<String> = l.iter().map(|a| a.to_string()).collect();
                assert_eq!(mine, theirs, "{what}");
            }
            "atomic-aggregate" => assert_eq!(ours(6), Some(&AttrValue::AtomicAggregate), "{what}"),
            _ => {}
        }
    }
}

fn check_update(u: &Update, json: &Value, what: &str) {
    let update = &json["neighbor"]["message"]["update"];
    assert!(update.is_object(), "{what}: JSON has no update");
    let (ours_a, ours_other) = ours_announced(u);
    let (theirs_a, theirs_other) = theirs_announced(update);
    assert_eq!(ours_a, theirs_a, "{what}: announced prefixes");
    assert_eq!(
        ours_other, theirs_other,
        "{what}: count of other-family NLRI"
    );
    let (ours_w, ours_wo) = ours_withdrawn(u);
    let (theirs_w, theirs_wo) = theirs_withdrawn(update);
    assert_eq!(ours_w, theirs_w, "{what}: withdrawn prefixes");
    assert_eq!(
        ours_wo, theirs_wo,
        "{what}: count of other-family withdrawals"
    );
    check_attributes(u, &update["attribute"], what);
    let raw_in_json = update
        .get("announce")
        .and_then(Value::as_object)
        .is_some_and(|a| a.keys().any(|k| RAW_FAMILIES.contains(&k.as_str())));
    if raw_in_json {
        assert!(
            u.mp_reach().is_some_and(|m| !m.unparsed.is_empty()),
            "{what}: raw family NLRI not kept"
        );
    }
}

/// Messages ExaBGP sends on purpose that RFC 4271 says to refuse:
/// (file, line, NOTIFICATION code, subcode).
const MUST_REJECT: &[(&str, usize, u8, u8)] = &[
    // attribute 0x99 with flags 0x60: an unrecognized *well-known*
    // attribute, RFC 4271 §6.3 -> UPDATE Message Error / 2.
    ("conf-generic-attribute.ci", 6, 3, 2),
    // the same with flags 0x70 (extended length)
    ("conf-generic-attribute.ci", 9, 3, 2),
];

/// ExaBGP encodes an IPv6 FlowSpec prefix with a non-zero offset as the
/// whole address (as ryu does), not the RFC 8956 §3.1 bit pattern from the
/// offset; a strict decoder must disable the family: (file, line).
const NON_RFC_FLOWSPEC: &[(&str, usize)] = &[("conf-flow.ci", 37)];

/// Families whose NLRI this library keeps raw (not in scope): ExaBGP's
/// count of their NLRI is not compared, but they must be kept unparsed.
const RAW_FAMILIES: &[&str] = &["ipv4 sr-policy", "ipv6 sr-policy", "ipv4 mup", "ipv6 mup"];

#[test]
fn encoding_corpus_decodes_round_trips_and_matches_exabgp() {
    let base = data_dir().join("exabgp");
    let mut files: Vec<_> = fs::read_dir(base.join("qa/encoding"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ci"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "expected the ExaBGP QA corpus, found {} files",
        files.len()
    );
    let (mut messages, mut compared) = (0, 0);
    let mut failures = Vec::new();
    for file in files {
        let r = std::panic::catch_unwind(|| check_ci_file(&base, &file));
        match r {
            Ok((m, c)) => {
                messages += m;
                compared += c;
            }
            Err(e) => failures.push(format!("{}: {}", file.display(), panic_text(&e))),
        }
    }
    assert!(
        failures.is_empty(),
        "{} files failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(messages >= 160, "only {messages} messages decoded");
    assert!(compared >= 90, "only {compared} compared with ExaBGP JSON");
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn check_ci_file(base: &std::path::Path, file: &std::path::Path) -> (usize, usize) {
    let (mut messages, mut compared) = (0, 0);
    {
        let text = fs::read_to_string(file).unwrap();
        let conf = text
            .lines()
            .find_map(|l| l.strip_prefix("option:file:"))
            .and_then(|c| fs::read_to_string(base.join("etc/exabgp").join(c.trim())).ok())
            .unwrap_or_default();
        let ctx = context_for(&conf);
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let mut last: Option<(Message, String)> = None;
        for (lineno, line) in text.lines().enumerate() {
            let what = format!("{name}:{}", lineno + 1);
            let mut parts = line.splitn(3, ':');
            let (_, kind, rest) = (parts.next(), parts.next(), parts.next());
            match (kind, rest) {
                (Some("raw"), Some(hex)) => {
                    let bytes = unhex(hex);
                    if bytes.get(18) == Some(&255)
                        || name == "unknown-message.ci" && bytes.get(18) > Some(&5)
                    {
                        // ExaBGP's deliberately unknown message type: must be refused.
                        assert!(
                            Message::decode(&bytes, &ctx).is_err(),
                            "{what}: unknown type accepted"
                        );
                        last = None;
                        continue;
                    }
                    if let Some(&(_, _, code, sub)) = MUST_REJECT
                        .iter()
                        .find(|(f, l, _, _)| *f == name && *l == lineno + 1)
                    {
                        let e = Message::decode(&bytes, &ctx).expect_err(&what);
                        assert_eq!(
                            (e.notification.code, e.notification.subcode),
                            (code, sub),
                            "{what}"
                        );
                        last = None;
                        continue;
                    }
                    let d = Message::decode(&bytes, &ctx).unwrap_or_else(|e| panic!("{what}: {e}"));
                    if NON_RFC_FLOWSPEC.contains(&(name.as_str(), lineno + 1)) {
                        assert_eq!(
                            d.verdict.disable_families,
                            vec![AfiSafi::IPV6_FLOWSPEC],
                            "{what}"
                        );
                        last = None;
                        continue;
                    }
                    assert_eq!(d.len, bytes.len(), "{what}");
                    assert!(d.verdict.is_clean(), "{what}: {:?}", d.verdict.issues);
                    assert_eq!(
                        d.message.to_bytes(&ctx),
                        bytes,
                        "{what}: re-encoding differs"
                    );
                    messages += 1;
                    last = Some((d.message, what));
                }
                (Some("json"), Some(json)) => {
                    let v: Value = serde_json::from_str(json)
                        .unwrap_or_else(|e| panic!("{what}: bad JSON {e}"));
                    if let Some((Message::Update(u), w)) = &last {
                        check_update(u, &v, w);
                        compared += 1;
                    }
                }
                _ => {}
            }
        }
    }
    (messages, compared)
}

#[test]
fn decoding_corpus_matches_exabgp() {
    let dir = data_dir().join("exabgp/qa/decoding");
    let mut n = 0;
    let mut failures = Vec::new();
    for e in fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        match std::panic::catch_unwind(|| check_decoding_file(&path)) {
            Ok(true) => n += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("{}: {}", path.display(), panic_text(&e))),
        }
    }
    assert!(
        failures.is_empty(),
        "{} files failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n >= 20, "{n}");
}

fn check_decoding_file(path: &std::path::Path) -> bool {
    {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let (ctxline, hex, json) = (
            lines.next().unwrap(),
            lines.next().unwrap(),
            lines.next().unwrap(),
        );
        if ctxline.starts_with("nlri") {
            return false; // a bare NLRI, covered by the family's own tests
        }
        let mut bytes = unhex(hex);
        if !bytes.starts_with(&[0xff; 16]) {
            // Some files hold only the message body: add the header.
            let ty = if ctxline.starts_with("open") { 1 } else { 2 };
            let mut m = vec![0xff; 16];
            m.extend_from_slice(&((bytes.len() + 19) as u16).to_be_bytes());
            m.push(ty);
            m.extend_from_slice(&bytes);
            bytes = m;
        }
        let ctx = Context::default();
        let d = Message::decode(&bytes, &ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            d.message.to_bytes(&ctx),
            bytes,
            "{name}: re-encoding differs"
        );
        let v: Value = serde_json::from_str(json).unwrap();
        match &d.message {
            Message::Update(u) => check_update(u, &v, &name),
            Message::Open(o) => {
                let their = &v["neighbor"]["message"]["open"];
                assert_eq!(
                    u64::from(o.hold_time),
                    their["hold_time"]
                        .as_u64()
                        .unwrap_or(u64::from(o.hold_time))
                );
            }
            other => panic!("{name}: unexpected {other:?}"),
        }
    }
    true
}
