//! What loading a new configuration instead of the running one would
//! change (`rbgpd --diff NEW CURRENT`), in the terms a reload acts on:
//! neighbors added, removed or changed (resolved with their groups, so a
//! group's change shows on each member), policies and sets, originated
//! routes, the RPKI, BMP and MRT sections, and `[global]` settings that
//! only a restart applies.

use std::collections::BTreeMap;
use std::fmt::Debug;

use crate::{Config, ConfigError, Neighbor};

/// One line per change, empty when nothing would.
pub fn diff(current: &Config, new: &Config) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    let by_addr = |c: &Config| -> Result<BTreeMap<String, Neighbor>, ConfigError> {
        Ok(c.neighbors()?
            .into_iter()
            .map(|n| (n.address.to_string(), n))
            .collect())
    };
    let (old_n, new_n) = (by_addr(current)?, by_addr(new)?);
    for (a, n) in &new_n {
        match old_n.get(a) {
            None => out.push(format!("neighbor {a}: added (AS {})", n.remote_asn)),
            Some(o) if o != n => {
                let fields = changed_fields(o, n);
                out.push(format!("neighbor {a}: changed ({})", fields.join(", ")));
            }
            Some(_) => {}
        }
    }
    for a in old_n.keys().filter(|a| !new_n.contains_key(*a)) {
        out.push(format!("neighbor {a}: removed"));
    }
    if current.dynamic_neighbors != new.dynamic_neighbors {
        out.push("dynamic_neighbors: changed".into());
    }
    keyed(
        "policy",
        current
            .policy
            .definitions
            .iter()
            .map(|d| (d.name.clone(), d)),
        new.policy.definitions.iter().map(|d| (d.name.clone(), d)),
        &mut out,
    );
    let sets = |c: &Config| {
        let mut all = BTreeMap::new();
        for (kind, m) in c.policy.sets.by_kind() {
            for (name, v) in m {
                all.insert(format!("{kind}.{name}"), v.clone());
            }
        }
        all
    };
    keyed("set", sets(current), sets(new), &mut out);
    keyed(
        "route",
        current.routes.iter().map(|r| (r.prefix, r)),
        new.routes.iter().map(|r| (r.prefix, r)),
        &mut out,
    );
    for (what, differs) in [
        ("[rpki]", current.rpki != new.rpki),
        ("[bmp]", current.bmp != new.bmp),
        ("[mrt]", current.mrt != new.mrt),
    ] {
        if differs {
            out.push(format!("{what}: changed"));
        }
    }
    let (g, h) = (&current.global, &new.global);
    let policy_attachments = g.import_policy != h.import_policy
        || g.export_policy != h.export_policy
        || g.default_import_policy != h.default_import_policy
        || g.default_export_policy != h.default_export_policy
        || g.family_import_policy != h.family_import_policy
        || g.family_export_policy != h.family_export_policy;
    if policy_attachments {
        out.push("[global] policy chains: changed".into());
    }
    if g.session_settings() != h.session_settings() {
        out.push(
            "[global] (AS, router ID, listeners...): changed, applied at the next restart only"
                .into(),
        );
    }
    if current.api != new.api || current.metrics != new.metrics {
        out.push("[api]/[metrics]: changed, applied at the next restart only".into());
    }
    if current.looking_glass != new.looking_glass {
        out.push("[looking_glass]: changed, applied at the next restart only".into());
    }
    Ok(out)
}

/// Added, removed and changed items by key.
fn keyed<K: Ord + std::fmt::Display, V: PartialEq>(
    what: &str,
    old: impl IntoIterator<Item = (K, V)>,
    new: impl IntoIterator<Item = (K, V)>,
    out: &mut Vec<String>,
) {
    let old: BTreeMap<K, V> = old.into_iter().collect();
    let new: BTreeMap<K, V> = new.into_iter().collect();
    for (k, v) in &new {
        match old.get(k) {
            None => out.push(format!("{what} {k}: added")),
            Some(o) if o != v => out.push(format!("{what} {k}: changed")),
            Some(_) => {}
        }
    }
    for k in old.keys().filter(|k| !new.contains_key(*k)) {
        out.push(format!("{what} {k}: removed"));
    }
}

/// The names of a neighbor's settings that differ (from their Debug
/// forms: `Neighbor` has many fields, and a new one shows without code
/// here).
fn changed_fields<T: Debug>(a: &T, b: &T) -> Vec<String> {
    let fields = |x: &T| -> BTreeMap<String, String> {
        let text = format!("{x:#?}");
        let mut m = BTreeMap::new();
        let mut key: Option<String> = None;
        let mut val = String::new();
        for line in text.lines().skip(1) {
            // Top-level fields are indented by four spaces.
            if let Some(rest) = line.strip_prefix("    ").filter(|r| !r.starts_with(' ')) {
                if let Some(k) = key.take() {
                    m.insert(k, std::mem::take(&mut val));
                }
                let (k, v) = rest.split_once(':').unwrap_or((rest, ""));
                key = Some(k.to_string());
                val.push_str(v);
            } else {
                val.push_str(line);
            }
        }
        if let Some(k) = key {
            m.insert(k, val);
        }
        m
    };
    let (fa, fb) = (fields(a), fields(b));
    let mut v: Vec<String> = fb
        .iter()
        .filter(|(k, x)| fa.get(*k) != Some(x))
        .map(|(k, _)| k.clone())
        .collect();
    if v.is_empty() {
        v.push("settings".into());
    }
    v
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const BASE: &str = r#"
[global]
asn = 65000
router_id = "192.0.2.1"
[peer_groups.g]
remote_asn = 65010
hold_time = 90
[[neighbors]]
address = "192.0.2.2"
remote_asn = 65001
import_policy = ["accept_all"]
export_policy = ["accept_all"]
[[neighbors]]
address = "192.0.2.3"
peer_group = "g"
[[neighbors]]
address = "192.0.2.4"
remote_asn = 65004
[[routes]]
prefix = "203.0.113.0/24"
next_hop = "192.0.2.1"
[policy.sets.prefix]
a = ["10.0.0.0/8"]
"#;

    #[test]
    fn changes_are_named() {
        let old = Config::parse(BASE).unwrap();
        assert!(diff(&old, &old).unwrap().is_empty());
        let text = BASE
            .replace("hold_time = 90", "hold_time = 30")
            .replace(
                "address = \"192.0.2.4\"\nremote_asn = 65004\n",
                "address = \"192.0.2.5\"\nremote_asn = 65005\n",
            )
            .replace(
                "a = [\"10.0.0.0/8\"]",
                "a = [\"10.0.0.0/9\"]\nb = [\"10.0.0.0/8\"]",
            )
            .replace("[global]\nasn = 65000", "[global]\nasn = 65099");
        let new = Config::parse(&text).unwrap();
        let d = diff(&old, &new).unwrap();
        let has = |s: &str| d.iter().any(|l| l.contains(s));
        assert!(has("neighbor 192.0.2.3: changed (hold_time)"), "{d:#?}");
        assert!(has("neighbor 192.0.2.5: added (AS 65005)"), "{d:#?}");
        assert!(has("neighbor 192.0.2.4: removed"), "{d:#?}");
        assert!(
            has("set prefix.a: changed") && has("set prefix.b: added"),
            "{d:#?}"
        );
        assert!(has("next restart"), "{d:#?}");
        assert!(!has("192.0.2.2"), "{d:#?}");
    }
}
