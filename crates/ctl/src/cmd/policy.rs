//! `rbgpctl policy ...` and `rbgpctl set ...`: policies, their attachments,
//! defined sets, and testing a route against a chain. Policies and sets
//! are written as in rbgpd's configuration file (`[policy.sets.KIND]`,
//! `[[policy.definitions]]`).

use rbgp_api::convert::policy as pconv;
use rbgp_api::v1::*;
use rbgp_policy::{PolicyConfig, PolicyDef};

use super::rib::AddArgs;
use super::{done, print_json};
use crate::connect::Clients;
use crate::format;
use crate::table::Table;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Policies with their terms and hit counts (the default).
    List,
    /// One policy, as the configuration file writes it.
    Show { name: String },
    /// Add or replace the sets and policies of FILE (TOML: [policy.sets.*]
    /// and [[policy.definitions]], as in rbgpd's configuration).
    Set { file: String },
    /// Delete a policy added through the API (refused while attached).
    Delete { name: String },
    /// Where chains are attached.
    Attachments,
    /// Attach a chain of policies (replacing the API's chain there).
    Attach {
        #[command(flatten)]
        place: Place,
        /// When no policy decides: accept or reject (default reject).
        #[arg(long)]
        default: Option<String>,
        #[arg(required = true)]
        policies: Vec<String>,
    },
    /// Remove the API's chain from a place.
    Detach {
        #[command(flatten)]
        place: Place,
    },
    /// Run a route through a chain: the verdict, the result, each term.
    Test(TestArgs),
}

#[derive(clap::Args)]
struct Place {
    /// Every neighbor without its own chain.
    #[arg(long, conflicts_with_all = ["group", "neighbor"])]
    global: bool,
    #[arg(long, conflicts_with = "neighbor")]
    group: Option<String>,
    #[arg(long)]
    neighbor: Option<String>,
    #[arg(long, conflicts_with = "export")]
    import: bool,
    #[arg(long)]
    export: bool,
    /// One family (default: every family).
    #[arg(long)]
    family: Option<String>,
}

#[derive(clap::Args)]
struct TestArgs {
    /// The chain: these policies...
    #[arg(long = "policy")]
    policies: Vec<String>,
    /// ... or the one attached for this neighbor.
    #[arg(long)]
    neighbor: Option<String>,
    #[arg(long)]
    export: bool,
    /// The route from the RIB, as this neighbor sent it (else the route
    /// is PREFIX with --nexthop and the other attribute options).
    #[arg(long)]
    from: Option<String>,
    #[command(flatten)]
    route: AddArgs,
}

#[derive(clap::Args)]
pub struct SetArgs {
    #[command(subcommand)]
    action: Option<SetAction>,
}

#[derive(clap::Subcommand)]
enum SetAction {
    /// Every set (the default).
    List {
        /// prefix, as_path, asn, community, large_community,
        /// ext_community, neighbor, next_hop.
        #[arg(long)]
        kind: Option<String>,
    },
    /// Add or replace a set.
    Add {
        kind: String,
        name: String,
        #[arg(required = true)]
        entries: Vec<String>,
    },
    /// Delete a set added through the API (refused while a policy uses it).
    Delete { kind: String, name: String },
}

fn kind(name: &str) -> anyhow::Result<SetKind> {
    SetKind::from_str_name(&format!("SET_KIND_{}", name.to_ascii_uppercase()))
        .filter(|k| *k != SetKind::Unspecified)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{name:?}: expected prefix, as_path, asn, community, large_community, ext_community, neighbor or next_hop"
            )
        })
}

fn scope(p: &Place) -> anyhow::Result<attachment::Scope> {
    Ok(match (&p.group, &p.neighbor) {
        (Some(g), _) => attachment::Scope::PeerGroup(g.clone()),
        (None, Some(n)) => attachment::Scope::Neighbor(n.clone()),
        (None, None) if p.global => attachment::Scope::Global(true),
        _ => anyhow::bail!("say where: --global, --group NAME or --neighbor ADDRESS"),
    })
}

fn attachment(
    p: &Place,
    policies: Vec<String>,
    default: Option<&str>,
) -> anyhow::Result<Attachment> {
    if !p.import && !p.export {
        anyhow::bail!("--import or --export");
    }
    let family = p
        .family
        .as_deref()
        .map(|f| -> anyhow::Result<Family> { Ok(rbgp_api::convert::family_to_proto(f.parse()?)) })
        .transpose()?;
    let default = match default {
        None => Disposition::Next,
        Some("accept") => Disposition::Accept,
        Some("reject") => Disposition::Reject,
        Some(d) => anyhow::bail!("--default {d}: expected accept or reject"),
    };
    Ok(Attachment {
        scope: Some(scope(p)?),
        direction: if p.import {
            Direction::Import as i32
        } else {
            Direction::Export as i32
        },
        family,
        policies,
        default: default as i32,
        from_file: false,
    })
}

fn where_(a: &Attachment) -> String {
    match &a.scope {
        Some(attachment::Scope::Global(_)) => "global".into(),
        Some(attachment::Scope::PeerGroup(g)) => format!("group {g}"),
        Some(attachment::Scope::Neighbor(n)) => format!("neighbor {n}"),
        None => "?".into(),
    }
}

/// The sets and policies of a policy file: `[policy...]` as in rbgpd's
/// configuration, or the same without the `policy.` prefix.
fn read_file(path: &str) -> anyhow::Result<PolicyConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapped {
        policy: PolicyConfig,
    }
    match toml::from_str::<Wrapped>(&text) {
        Ok(w) => Ok(w.policy),
        Err(first) => {
            toml::from_str::<PolicyConfig>(&text).map_err(|_| anyhow::anyhow!("{path}: {first}"))
        }
    }
}

pub async fn policy(c: &mut Clients, a: Args, json: bool) -> anyhow::Result<()> {
    match a.action.unwrap_or(Action::List) {
        Action::List => {
            let r = c
                .policy
                .list_policies(ListPoliciesRequest::default())
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            let mut t = Table::new(&["Policy", "Term", "Result", "Hits", "Source"]);
            for p in r.policies {
                let src = if p.from_file { "file" } else { "api" };
                for term in &p.terms {
                    let result = term.actions.as_ref().map_or(0, |x| x.result);
                    t.row(vec![
                        p.name.clone().into(),
                        term.name.clone().into(),
                        format::disposition(result).into(),
                        term.hits.to_string().into(),
                        src.into(),
                    ]);
                }
                t.row(vec![
                    p.name.clone().into(),
                    "(default)".into(),
                    format::disposition(p.default).into(),
                    "".into(),
                    src.into(),
                ]);
            }
            t.print();
            Ok(())
        }
        Action::Show { name } => {
            let r = c
                .policy
                .list_policies(ListPoliciesRequest { name })
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            for p in &r.policies {
                let def: PolicyDef = pconv::policy_from_proto(p)?;
                #[derive(serde::Serialize)]
                struct Doc<'a> {
                    policy: Defs<'a>,
                }
                #[derive(serde::Serialize)]
                struct Defs<'a> {
                    definitions: [&'a PolicyDef; 1],
                }
                let doc = Doc {
                    policy: Defs {
                        definitions: [&def],
                    },
                };
                outln!("{}", toml::to_string(&doc)?.trim_end());
            }
            Ok(())
        }
        Action::Set { file } => {
            let cfg = read_file(&file)?;
            let mut n = 0;
            for s in pconv::sets_to_proto(&cfg.sets, |_, _| false) {
                let name = s.name.clone();
                c.policy
                    .set_defined_set(SetDefinedSetRequest { set: Some(s) })
                    .await
                    .map_err(|e| anyhow::anyhow!("set {name}: {}", e.message()))?;
                n += 1;
            }
            for d in &cfg.definitions {
                let p = pconv::policy_to_proto(d, false, |_| 0);
                c.policy
                    .set_policy(SetPolicyRequest { policy: Some(p) })
                    .await
                    .map_err(|e| anyhow::anyhow!("policy {}: {}", d.name, e.message()))?;
                n += 1;
            }
            done(json, &format!("{n} sets and policies set"))
        }
        Action::Delete { name } => {
            c.policy
                .delete_policy(DeletePolicyRequest { name: name.clone() })
                .await?;
            done(json, &format!("policy {name} deleted"))
        }
        Action::Attachments => {
            let r = c
                .policy
                .list_attachments(ListAttachmentsRequest {})
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            let mut t = Table::new(&["Where", "Direction", "Family", "Chain", "Default", "Source"]);
            for a in &r.attachments {
                t.row(vec![
                    where_(a).into(),
                    if a.direction == Direction::Export as i32 {
                        "export"
                    } else {
                        "import"
                    }
                    .into(),
                    a.family
                        .as_ref()
                        .map_or("all".into(), |f| format::family(Some(f)))
                        .into(),
                    a.policies.join(" ").into(),
                    if a.default == Disposition::Accept as i32 {
                        "accept"
                    } else {
                        "reject"
                    }
                    .into(),
                    if a.from_file { "file" } else { "api" }.into(),
                ]);
            }
            t.print();
            Ok(())
        }
        Action::Attach {
            place,
            default,
            policies,
        } => {
            let a = attachment(&place, policies, default.as_deref())?;
            let what = format!("attached at {}", where_(&a));
            c.policy
                .set_attachment(SetAttachmentRequest {
                    attachment: Some(a),
                })
                .await?;
            done(json, &what)
        }
        Action::Detach { place } => {
            let a = attachment(&place, Vec::new(), None)?;
            let what = format!("detached at {}", where_(&a));
            c.policy
                .set_attachment(SetAttachmentRequest {
                    attachment: Some(a),
                })
                .await?;
            done(json, &what)
        }
        Action::Test(t) => test(c, t, json).await,
    }
}

async fn test(c: &mut Clients, t: TestArgs, json: bool) -> anyhow::Result<()> {
    let (route, prefix) = match &t.from {
        Some(_) => (None, t.route.prefix.clone()),
        None => (Some(t.route.path()?), String::new()),
    };
    let req = TestPolicyRequest {
        policies: t.policies,
        neighbor: t.neighbor.unwrap_or_default(),
        direction: if t.export {
            Direction::Export as i32
        } else {
            Direction::Import as i32
        },
        family: None,
        route,
        prefix,
        from: t.from.unwrap_or_default(),
    };
    let r = c.policy.test_policy(req).await?.into_inner();
    if json {
        return print_json(&r);
    }
    outln!(
        "{} ({})",
        if r.accepted { "accepted" } else { "rejected" },
        r.decided_by
    );
    let mut tbl = Table::new(&["Policy", "Term", "Matched", "Changes", "Then"]);
    for s in &r.trace {
        tbl.row(vec![
            s.policy.clone().into(),
            if s.term.is_empty() {
                "(default)".to_string()
            } else {
                s.term.clone()
            }
            .into(),
            if s.matched { "yes" } else { "no" }.into(),
            s.changes.join("; ").into(),
            if s.matched {
                format::disposition(s.result)
            } else {
                String::new()
            }
            .into(),
        ]);
    }
    tbl.print();
    if let Some(p) = &r.result {
        outln!(
            "result: {} next hop {} as path [{}] local_pref {} med {} communities [{}]",
            p.prefix,
            p.next_hop,
            format::as_path(&p.as_path),
            p.local_pref.map_or("-".into(), |v| v.to_string()),
            p.med.map_or("-".into(), |v| v.to_string()),
            p.communities
                .iter()
                .chain(&p.large_communities)
                .chain(&p.ext_communities)
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    Ok(())
}

pub async fn sets(c: &mut Clients, a: SetArgs, json: bool) -> anyhow::Result<()> {
    match a.action.unwrap_or(SetAction::List { kind: None }) {
        SetAction::List { kind: k } => {
            let k = k.as_deref().map(kind).transpose()?;
            let r = c
                .policy
                .list_defined_sets(ListDefinedSetsRequest {
                    kind: k.map_or(0, |k| k as i32),
                })
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            let mut t = Table::new(&["Kind", "Name", "Entries", "Source"]);
            for s in r.sets {
                let kind = SetKind::try_from(s.kind)
                    .ok()
                    .and_then(pconv::kind_name)
                    .unwrap_or("?");
                t.row(vec![
                    kind.into(),
                    s.name.into(),
                    s.entries.join(", ").into(),
                    if s.from_file { "file" } else { "api" }.into(),
                ]);
            }
            t.print();
            Ok(())
        }
        SetAction::Add {
            kind: k,
            name,
            entries,
        } => {
            let set = DefinedSet {
                kind: kind(&k)? as i32,
                name: name.clone(),
                entries,
                from_file: false,
            };
            c.policy
                .set_defined_set(SetDefinedSetRequest { set: Some(set) })
                .await?;
            done(json, &format!("{k} set {name} set"))
        }
        SetAction::Delete { kind: k, name } => {
            c.policy
                .delete_defined_set(DeleteDefinedSetRequest {
                    kind: kind(&k)? as i32,
                    name: name.clone(),
                })
                .await?;
            done(json, &format!("{k} set {name} deleted"))
        }
    }
}
