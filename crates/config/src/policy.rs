//! Policy in the configuration: defined sets and policies under
//! `[policy]`, chains attached in `[global]`, `[peer_groups.X]` and
//! `[[neighbors]]`:
//!
//! ```toml
//! [global]
//! import_policy = ["bogons", "tag"]        # every family, every neighbor without its own
//! default_import_policy = "reject"          # when no policy of the chain decides
//! family_import_policy = { ipv6_unicast = ["bogons6"] }
//! ```
//!
//! The most specific attachment wins, not a merge: for a neighbor and a
//! family, the neighbor's `family_*_policy` entry, then its `*_policy`, then
//! its peer group's (family, then all), then `[global]`'s. A chain's
//! default is taken the same way; without one it rejects. With nothing
//! attached at any level an eBGP session accepts and sends nothing (RFC
//! 8212) and an iBGP one everything; `import_policy = ["accept_all"]`
//! turns a neighbor back to accept-all.

use std::collections::BTreeMap;

use rbgp_policy::{ChainDef, Disposition, Policies};
use rbgp_wire::AfiSafi;

use crate::{invalid, Config, ConfigError, Global, PeerSettings};

/// The policy keys of one level (global, a peer group, a neighbor).
#[derive(Debug, Clone, Copy, Default)]
pub struct Attachments<'a> {
    pub import: Option<&'a Vec<String>>,
    pub export: Option<&'a Vec<String>>,
    pub default_import: Option<Disposition>,
    pub default_export: Option<Disposition>,
    pub family_import: Option<&'a BTreeMap<String, Vec<String>>>,
    pub family_export: Option<&'a BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Import,
    Export,
}

impl<'a> Attachments<'a> {
    pub fn of_settings(s: &'a PeerSettings) -> Self {
        Attachments {
            import: s.import_policy.as_ref(),
            export: s.export_policy.as_ref(),
            default_import: s.default_import_policy,
            default_export: s.default_export_policy,
            family_import: s.family_import_policy.as_ref(),
            family_export: s.family_export_policy.as_ref(),
        }
    }

    pub fn of_global(g: &'a Global) -> Self {
        Attachments {
            import: g.import_policy.as_ref(),
            export: g.export_policy.as_ref(),
            default_import: g.default_import_policy,
            default_export: g.default_export_policy,
            family_import: g.family_import_policy.as_ref(),
            family_export: g.family_export_policy.as_ref(),
        }
    }

    fn chain(&self, d: Dir, family: AfiSafi) -> Option<&'a Vec<String>> {
        let (all, by_family) = match d {
            Dir::Import => (self.import, self.family_import),
            Dir::Export => (self.export, self.family_export),
        };
        // Keys are family names in any spelling AfiSafi reads
        // (`ipv6_unicast`, `ipv6-unicast`...).
        by_family
            .and_then(|m| {
                m.iter()
                    .find(|(k, _)| k.parse::<AfiSafi>().ok() == Some(family))
                    .map(|(_, v)| v)
            })
            .or(all)
    }

    fn default(&self, d: Dir) -> Option<Disposition> {
        match d {
            Dir::Import => self.default_import,
            Dir::Export => self.default_export,
        }
    }

    /// Family names in `family_*_policy` parse.
    pub(crate) fn check_families(&self) -> Result<(), ConfigError> {
        for (key, m) in [
            ("family_import_policy", self.family_import),
            ("family_export_policy", self.family_export),
        ] {
            for f in m.iter().flat_map(|m| m.keys()) {
                f.parse::<AfiSafi>()
                    .map_err(|e| invalid(format!("{key}.{f}"), e.to_string()))?;
            }
        }
        for (key, d) in [
            ("default_import_policy", self.default_import),
            ("default_export_policy", self.default_export),
        ] {
            if d == Some(Disposition::Next) {
                return Err(invalid(key, "a chain's default is accept or reject"));
            }
        }
        Ok(())
    }

    /// Every (key, chain) attached here, for checking names.
    fn chains(&self) -> Vec<(String, &'a Vec<String>)> {
        let mut v = Vec::new();
        for (key, c) in [
            ("import_policy", self.import),
            ("export_policy", self.export),
        ] {
            if let Some(c) = c {
                v.push((key.to_string(), c));
            }
        }
        for (key, m) in [
            ("family_import_policy", self.family_import),
            ("family_export_policy", self.family_export),
        ] {
            for (f, c) in m.iter().flat_map(|m| m.iter()) {
                v.push((format!("{key}.{f}"), c));
            }
        }
        v
    }
}

/// A neighbor's chains per family, resolved over the levels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerPolicy {
    /// For each of the neighbor's families: the import chain, `None` when
    /// no level attaches one.
    pub import: Vec<(AfiSafi, Option<ChainDef>)>,
    pub export: Vec<(AfiSafi, Option<ChainDef>)>,
    /// Keep routes import policy rejected, with the reason.
    pub keep_filtered: bool,
}

impl PeerPolicy {
    /// `levels`: the neighbor's own keys, its group's, `[global]`'s.
    pub fn resolve(
        families: &[AfiSafi],
        levels: [Attachments<'_>; 3],
        keep_filtered: bool,
    ) -> Self {
        let side = |d: Dir| -> Vec<(AfiSafi, Option<ChainDef>)> {
            let default = levels.iter().find_map(|l| l.default(d));
            families
                .iter()
                .map(|f| {
                    let chain = levels
                        .iter()
                        .find_map(|l| l.chain(d, *f))
                        .map(|p| ChainDef {
                            policies: p.clone(),
                            default,
                        });
                    (*f, chain)
                })
                .collect()
        };
        PeerPolicy {
            import: side(Dir::Import),
            export: side(Dir::Export),
            keep_filtered,
        }
    }

    pub fn import_chain(&self, f: AfiSafi) -> Option<&ChainDef> {
        self.import
            .iter()
            .find(|(x, _)| *x == f)
            .and_then(|(_, c)| c.as_ref())
    }

    pub fn export_chain(&self, f: AfiSafi) -> Option<&ChainDef> {
        self.export
            .iter()
            .find(|(x, _)| *x == f)
            .and_then(|(_, c)| c.as_ref())
    }

    /// Families with no import (export) chain at any level.
    pub fn unattached(&self) -> (Vec<AfiSafi>, Vec<AfiSafi>) {
        let none = |v: &[(AfiSafi, Option<ChainDef>)]| {
            v.iter()
                .filter(|(_, c)| c.is_none())
                .map(|(f, _)| *f)
                .collect()
        };
        (none(&self.import), none(&self.export))
    }
}

pub(crate) fn check_global(g: &Global) -> Result<(), ConfigError> {
    Attachments::of_global(g)
        .check_families()
        .map_err(|e| within("global", e))
}

fn within(at: &str, e: ConfigError) -> ConfigError {
    match e {
        ConfigError::Invalid { field, reason } => invalid(format!("{at}.{field}"), reason),
        other => other,
    }
}

/// The policies compile, and every attached name exists.
pub(crate) fn validate(c: &Config) -> Result<(), ConfigError> {
    let policies = Policies::compile(&c.policy)
        .map_err(|e| invalid(format!("policy.{}", e.field), e.reason))?;
    let mut levels: Vec<(String, Attachments<'_>)> =
        vec![("global".to_string(), Attachments::of_global(&c.global))];
    for (name, g) in &c.peer_groups {
        levels.push((format!("peer_groups.{name}"), Attachments::of_settings(g)));
    }
    let settings: Vec<PeerSettings> = c.neighbors.iter().map(|n| n.settings()).collect();
    for (i, (n, s)) in c.neighbors.iter().zip(&settings).enumerate() {
        levels.push((
            format!("neighbors[{i}] ({})", n.address),
            Attachments::of_settings(s),
        ));
    }
    for (at, level) in levels {
        for (key, chain) in level.chains() {
            for (j, name) in chain.iter().enumerate() {
                if !policies.has_policy(name) {
                    return Err(invalid(
                        format!("{at}.{key}[{j}]"),
                        format!("no policy {name:?} (define it under [[policy.definitions]])"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The line of a policy error's definition, found by its names in the
/// text (serde does not keep positions inside arrays of tables).
pub(crate) fn line_of(text: &str, field: &str) -> Option<usize> {
    let quoted = |s: &str| format!("\"{s}\"");
    let between = |s: &str, a: char, b: char| -> Option<String> {
        let i = s.find(a)?;
        let j = s.get(i + 1..)?.find(b)? + i + 1;
        s.get(i + 1..j).map(str::to_string)
    };
    let find_from = |from: usize, needle: &str| -> Option<usize> {
        text.get(from..)?.find(needle).map(|x| x + from)
    };
    let rest = field.strip_prefix("policy.")?;
    let at = if let Some(sets) = rest.strip_prefix("sets.") {
        let (kind, name) = sets.split_once('.')?;
        let name = name.split(['.', '[']).next()?;
        let start = find_from(0, &format!("[policy.sets.{kind}]"))?;
        find_from(start, name)?
    } else {
        let policy = between(rest, '(', ')')?;
        let mut at = find_from(0, &quoted(&policy))?;
        if let Some(t) = rest
            .split_once(".terms[")
            .and_then(|(_, t)| between(t, '(', ')'))
        {
            at = find_from(at, &quoted(&t))?;
        }
        at
    };
    Some(text.get(..at)?.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\nlisten = []\n";

    fn cfg(rest: &str) -> Result<Config, ConfigError> {
        Config::parse(&format!("{BASE}{rest}"))
    }

    const POLICIES: &str = r#"
[policy.sets.prefix]
bogons = ["10.0.0.0/8 le 32"]

[[policy.definitions]]
name = "clean"
[[policy.definitions.terms]]
name = "bogons"
if = { prefix_in = "bogons" }
then = { result = "reject" }

[[policy.definitions]]
name = "v6"
default = "accept"
"#;

    #[test]
    fn most_specific_attachment_wins() {
        let c = cfg(&format!(
            r#"import_policy = ["clean"]
default_import_policy = "accept"
export_policy = ["accept_all"]
{POLICIES}
[peer_groups.rs]
remote_asn = 65010
family_import_policy = {{ ipv6-unicast = ["v6"] }}

[[neighbors]]
address = "192.0.2.2"
peer_group = "rs"
families = ["ipv4_unicast", "ipv6_unicast"]

[[neighbors]]
address = "192.0.2.3"
remote_asn = 65011
import_policy = ["reject_all"]
default_import_policy = "reject"
keep_filtered = true
"#
        ))
        .unwrap();
        let ns = c.neighbors().unwrap();
        let v4 = AfiSafi::IPV4_UNICAST;
        let v6 = AfiSafi::IPV6_UNICAST;
        let a = &ns[0].policy;
        assert_eq!(a.import_chain(v4).unwrap().policies, ["clean"], "global");
        assert_eq!(
            a.import_chain(v6).unwrap().policies,
            ["v6"],
            "group, family"
        );
        assert_eq!(
            a.import_chain(v4).unwrap().default,
            Some(Disposition::Accept)
        );
        assert_eq!(a.export_chain(v6).unwrap().policies, ["accept_all"]);
        assert!(!a.keep_filtered);
        let b = &ns[1].policy;
        assert_eq!(b.import_chain(v4).unwrap().policies, ["reject_all"]);
        assert_eq!(
            b.import_chain(v4).unwrap().default,
            Some(Disposition::Reject)
        );
        assert!(b.keep_filtered);
        // A policy change is not a session change.
        let mut other = ns[1].clone();
        other.policy.keep_filtered = false;
        assert_eq!(other.session_settings(), ns[1].session_settings());
    }

    #[test]
    fn nothing_attached_is_none() {
        let c = cfg("[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 65001\n").unwrap();
        let n = &c.neighbors().unwrap()[0];
        assert_eq!(
            n.policy.unattached(),
            (vec![AfiSafi::IPV4_UNICAST], vec![AfiSafi::IPV4_UNICAST])
        );
        assert!(n.is_ebgp(65000));
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let e = cfg(&format!(
            "{POLICIES}\n[[neighbors]]\naddress = \"192.0.2.2\"\nremote_asn = 65001\nimport_policy = [\"clean\", \"nope\"]\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("neighbors[0] (192.0.2.2).import_policy[1]: no policy \"nope\""),
            "{e}"
        );
        let text = format!(
            "{BASE}\n[[policy.definitions]]\nname = \"a\"\n[[policy.definitions.terms]]\nname = \"t\"\nif = {{ prefix_in = \"missing\" }}\n"
        );
        let e = Config::parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("policy.definitions[0] (a).terms[0] (t).if.prefix_in")
                && e.contains("(line 9)"),
            "{e}"
        );
        let text = format!("{BASE}[policy.sets.as_path]\nok = [\"_1_\"]\nbad = [\"(\"]\n");
        let e = Config::parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("policy.sets.as_path.bad[0]") && e.contains("(line 7)"),
            "{e}"
        );
        let e = cfg("family_import_policy = { ipv9_unicast = [\"x\"] }\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("global.family_import_policy.ipv9_unicast"),
            "{e}"
        );
        let e = cfg("[policy.sets]\nbogus = {}\n").unwrap_err().to_string();
        assert!(e.contains("bogus"), "{e}");
    }
}
