//! What PolicyService added to the file's policy: sets, policies and
//! attachments, merged into the configuration (the API's win over the
//! file's of the same name or place), and applied to API-added neighbors,
//! which no configuration file lists.

use std::net::IpAddr;

use rbgp_api::convert::{self, policy as pconv};
use rbgp_api::v1;
use rbgp_api::FieldError;
use rbgp_config::{Config, Disposition, NeighborConfig};
use rbgp_policy::{DefinedSets, PolicyDef};
use rbgp_wire::AfiSafi;

/// Where an attachment applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Global,
    Group(String),
    Neighbor(IpAddr),
}

/// A checked attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attach {
    pub scope: Scope,
    pub import: bool,
    pub family: Option<AfiSafi>,
    pub policies: Vec<String>,
    pub default: Option<Disposition>,
}

impl Attach {
    pub fn from_proto(a: &v1::Attachment) -> Result<Attach, FieldError> {
        let scope = match &a.scope {
            Some(v1::attachment::Scope::Global(true)) => Scope::Global,
            Some(v1::attachment::Scope::PeerGroup(g)) if !g.is_empty() => Scope::Group(g.clone()),
            Some(v1::attachment::Scope::Neighbor(n)) => {
                Scope::Neighbor(convert::parse_ip(n, "neighbor")?)
            }
            _ => {
                return Err(FieldError::new(
                    "scope",
                    "set global, peer_group or neighbor",
                ))
            }
        };
        let import = match v1::Direction::try_from(a.direction) {
            Ok(v1::Direction::Import) => true,
            Ok(v1::Direction::Export) => false,
            Err(_) => return Err(FieldError::new("direction", "unknown value")),
        };
        let family = convert::family_from_proto(a.family.as_ref(), "family")?;
        let chain = pconv::chain_from_proto(a)?;
        Ok(Attach {
            scope,
            import,
            family,
            policies: chain
                .as_ref()
                .map(|c| c.policies.clone())
                .unwrap_or_default(),
            default: chain.and_then(|c| c.default),
        })
    }

    /// The store key: one attachment per scope, direction and family.
    pub fn key(&self) -> String {
        let scope = match &self.scope {
            Scope::Global => "global".to_string(),
            Scope::Group(g) => format!("group:{g}"),
            Scope::Neighbor(n) => format!("neighbor:{n}"),
        };
        let dir = if self.import { "import" } else { "export" };
        let fam = self.family.map_or("all".to_string(), |f| f.to_string());
        format!("{scope}/{dir}/{fam}")
    }

    pub fn same_place(&self, other: &Attach) -> bool {
        self.scope == other.scope && self.import == other.import && self.family == other.family
    }
}

/// Write an attachment into the policy keys of a level (global, a group's
/// or a neighbor's settings), which share their names.
macro_rules! attach_to {
    ($level:expr, $a:expr) => {{
        let a: &Attach = $a;
        let (all, by_family, default) = if a.import {
            (
                &mut $level.import_policy,
                &mut $level.family_import_policy,
                &mut $level.default_import_policy,
            )
        } else {
            (
                &mut $level.export_policy,
                &mut $level.family_export_policy,
                &mut $level.default_export_policy,
            )
        };
        match a.family {
            None => *all = Some(a.policies.clone()),
            Some(f) => {
                let m = by_family.get_or_insert_with(Default::default);
                // The file may spell the family otherwise (`ipv6-unicast`).
                m.retain(|k: &String, _| k.parse::<AfiSafi>().ok() != Some(f));
                m.insert(f.to_string(), a.policies.clone());
            }
        }
        if a.default.is_some() {
            *default = a.default;
        }
    }};
}

/// The API's policy additions.
#[derive(Debug, Clone, Default)]
pub struct PolicyOverlay {
    pub sets: DefinedSets,
    pub definitions: Vec<PolicyDef>,
    pub attachments: Vec<Attach>,
}

impl PolicyOverlay {
    /// Into a configuration: sets and policies added or replacing the
    /// file's, attachments written at their level.
    pub fn apply(&self, c: &mut Config) {
        let s = &mut c.policy.sets;
        for (mine, theirs) in [
            (&self.sets.prefix, &mut s.prefix),
            (&self.sets.as_path, &mut s.as_path),
            (&self.sets.asn, &mut s.asn),
            (&self.sets.community, &mut s.community),
            (&self.sets.large_community, &mut s.large_community),
            (&self.sets.ext_community, &mut s.ext_community),
            (&self.sets.neighbor, &mut s.neighbor),
            (&self.sets.next_hop, &mut s.next_hop),
        ] {
            for (k, v) in mine {
                theirs.insert(k.clone(), v.clone());
            }
        }
        for d in &self.definitions {
            match c.policy.definitions.iter_mut().find(|x| x.name == d.name) {
                Some(x) => *x = d.clone(),
                None => c.policy.definitions.push(d.clone()),
            }
        }
        for a in &self.attachments {
            match &a.scope {
                Scope::Global => attach_to!(c.global, a),
                Scope::Group(g) => {
                    if let Some(s) = c.peer_groups.get_mut(g) {
                        attach_to!(s, a);
                    }
                }
                Scope::Neighbor(ip) => {
                    if let Some(n) = c.neighbors.iter_mut().find(|n| n.address == *ip) {
                        attach_to!(n, a);
                    }
                }
            }
        }
    }

    /// An API-added neighbor with the attachments made for it.
    pub fn neighbor(&self, n: &NeighborConfig) -> NeighborConfig {
        let mut n = n.clone();
        for a in &self.attachments {
            if a.scope == Scope::Neighbor(n.address) {
                attach_to!(n, a);
            }
        }
        n
    }
}

/// The attachments a configuration's own keys make (ListAttachments of
/// the file's).
pub fn file_attachments(c: &Config) -> Vec<Attach> {
    let mut out = Vec::new();
    let mut level =
        |scope: Scope,
         import: &Option<Vec<String>>,
         export: &Option<Vec<String>>,
         di: Option<Disposition>,
         de: Option<Disposition>,
         fi: &Option<std::collections::BTreeMap<String, Vec<String>>>,
         fe: &Option<std::collections::BTreeMap<String, Vec<String>>>| {
            for (is_import, all, by_family, default) in
                [(true, import, fi, di), (false, export, fe, de)]
            {
                if let Some(p) = all {
                    out.push(Attach {
                        scope: scope.clone(),
                        import: is_import,
                        family: None,
                        policies: p.clone(),
                        default,
                    });
                }
                for (f, p) in by_family.iter().flatten() {
                    out.push(Attach {
                        scope: scope.clone(),
                        import: is_import,
                        family: f.parse().ok(),
                        policies: p.clone(),
                        default,
                    });
                }
            }
        };
    let g = &c.global;
    level(
        Scope::Global,
        &g.import_policy,
        &g.export_policy,
        g.default_import_policy,
        g.default_export_policy,
        &g.family_import_policy,
        &g.family_export_policy,
    );
    for (name, s) in &c.peer_groups {
        level(
            Scope::Group(name.clone()),
            &s.import_policy,
            &s.export_policy,
            s.default_import_policy,
            s.default_export_policy,
            &s.family_import_policy,
            &s.family_export_policy,
        );
    }
    for n in &c.neighbors {
        level(
            Scope::Neighbor(n.address),
            &n.import_policy,
            &n.export_policy,
            n.default_import_policy,
            n.default_export_policy,
            &n.family_import_policy,
            &n.family_export_policy,
        );
    }
    out
}

pub fn attach_to_proto(a: &Attach, from_file: bool) -> v1::Attachment {
    v1::Attachment {
        scope: Some(match &a.scope {
            Scope::Global => v1::attachment::Scope::Global(true),
            Scope::Group(g) => v1::attachment::Scope::PeerGroup(g.clone()),
            Scope::Neighbor(n) => v1::attachment::Scope::Neighbor(n.to_string()),
        }),
        direction: if a.import {
            v1::Direction::Import as i32
        } else {
            v1::Direction::Export as i32
        },
        family: a.family.map(convert::family_to_proto),
        policies: a.policies.clone(),
        default: a.default.map_or(0, pconv::disposition_to_proto),
        from_file,
    }
}
