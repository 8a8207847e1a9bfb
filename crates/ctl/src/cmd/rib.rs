//! `rbgpctl rib ...`: list (Loc-RIB, received, advertised), explain, add
//! and delete injected paths.

use rbgp_api::v1::*;
use tokio_stream::StreamExt as _;

use super::{done, print_json};
use crate::connect::Clients;
use crate::format;
use crate::table::{toned, Table as TextTable, Tone};

#[derive(clap::Args)]
#[command(subcommand_precedence_over_arg = true)]
pub struct Args {
    /// Family: ipv4_unicast (default), ipv6_unicast, ipv4_flowspec...
    #[arg(long, global = true)]
    family: Option<String>,
    /// Routes for this prefix: longest match unless --longer or --exact.
    prefix: Option<String>,
    /// The prefix and everything more specific.
    #[arg(long, requires = "prefix", conflicts_with = "exact")]
    longer: bool,
    /// Only exactly this prefix.
    #[arg(long, requires = "prefix")]
    exact: bool,
    /// Every candidate path and the step that decided.
    #[arg(long, requires = "prefix")]
    explain: bool,
    #[command(subcommand)]
    sub: Option<Sub>,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// What a neighbor sent us (after import policy; `--pre-policy`: as
    /// sent, for neighbors with `keep_pre_policy`).
    Received {
        addr: String,
        #[arg(long, conflicts_with = "filtered")]
        pre_policy: bool,
        /// What import rejected, with the reason (neighbors with
        /// `keep_filtered`).
        #[arg(long)]
        filtered: bool,
    },
    /// What we send a neighbor (`--pre-policy`: what it is offered
    /// before export policy and the built-in export rules).
    Advertised {
        addr: String,
        #[arg(long)]
        pre_policy: bool,
    },
    /// Inject a path (stored: it is announced again after a restart).
    Add(AddArgs),
    /// Inject many paths through the bulk RPC: one per line of FILE (`-`
    /// for stdin), `PREFIX NEXTHOP [COMMUNITY...]`.
    AddBulk {
        file: String,
        /// Paths per streamed message (each stored atomically).
        #[arg(long, default_value_t = 2000)]
        batch: usize,
    },
    /// Withdraw an injected path.
    Delete {
        prefix: String,
        #[arg(long, default_value_t = 0)]
        path_id: u32,
    },
}

#[derive(clap::Args)]
pub(crate) struct AddArgs {
    pub(crate) prefix: String,
    /// The next hop (required unless the route comes from the RIB).
    #[arg(long)]
    pub(crate) nexthop: Option<String>,
    /// 65000:100, 65535:666 (blackhole), no-export..., repeatable.
    #[arg(long)]
    community: Vec<String>,
    /// 65000:1:2, repeatable.
    #[arg(long)]
    large_community: Vec<String>,
    /// rt:65000:100, soo:..., repeatable.
    #[arg(long)]
    ext_community: Vec<String>,
    #[arg(long)]
    local_pref: Option<u32>,
    #[arg(long)]
    med: Option<u32>,
    /// "65001 65002 {65003 65004}".
    #[arg(long)]
    as_path: Option<String>,
    /// igp, egp or incomplete.
    #[arg(long, default_value = "igp")]
    origin: String,
    #[arg(long, default_value_t = 0)]
    path_id: u32,
}

impl AddArgs {
    /// The path these options describe.
    pub(crate) fn path(&self) -> anyhow::Result<Path> {
        let origin = match self.origin.to_ascii_lowercase().as_str() {
            "igp" => Origin::Igp,
            "egp" => Origin::Egp,
            "incomplete" => Origin::Incomplete,
            o => anyhow::bail!("--origin {o}: expected igp, egp or incomplete"),
        };
        let Some(next_hop) = self.nexthop.clone() else {
            anyhow::bail!("--nexthop is required");
        };
        Ok(Path {
            prefix: self.prefix.clone(),
            path_id: self.path_id,
            next_hop,
            origin: origin as i32,
            as_path: self
                .as_path
                .as_deref()
                .map(as_path)
                .transpose()?
                .unwrap_or_default(),
            med: self.med,
            local_pref: self.local_pref,
            communities: self.community.clone(),
            large_communities: self.large_community.clone(),
            ext_communities: self.ext_community.clone(),
        })
    }
}

fn family(name: &Option<String>) -> anyhow::Result<Option<Family>> {
    name.as_deref()
        .map(|n| {
            Ok(rbgp_api::convert::family_to_proto(
                n.parse::<rbgp_wire::AfiSafi>()?,
            ))
        })
        .transpose()
}

/// The proto AS path from its text form, via rbgp-wire's parser.
fn as_path(text: &str) -> anyhow::Result<Vec<AsSegment>> {
    let p: rbgp_wire::attr::AsPath = text.parse()?;
    Ok(rbgp_api::convert::as_path_to_proto(&p))
}

pub async fn run(c: &mut Clients, a: Args, json: bool) -> anyhow::Result<()> {
    let fam = family(&a.family)?;
    match a.sub {
        Some(Sub::Received {
            addr,
            pre_policy,
            filtered,
        }) => {
            let t = if pre_policy {
                Table::AdjRibInPre
            } else if filtered {
                Table::AdjRibInFiltered
            } else {
                Table::AdjRibInPost
            };
            list(c, t, addr, fam, None, json).await
        }
        Some(Sub::Advertised { addr, pre_policy }) => {
            let t = if pre_policy {
                Table::AdjRibOutPre
            } else {
                Table::AdjRibOut
            };
            list(c, t, addr, fam, None, json).await
        }
        Some(Sub::Add(x)) => {
            let path = x.path()?;
            c.injection
                .add_path(AddPathRequest { path: Some(path) })
                .await?;
            done(json, &format!("{} added", x.prefix))
        }
        Some(Sub::AddBulk { file, batch }) => add_bulk(c, &file, batch.max(1), json).await,
        Some(Sub::Delete { prefix, path_id }) => {
            let r = c
                .injection
                .delete_path(DeletePathRequest {
                    prefix: prefix.clone(),
                    path_id,
                })
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            outln!(
                "{prefix} {}",
                if r.existed {
                    "deleted"
                } else {
                    "was not injected"
                }
            );
            Ok(())
        }
        None if a.explain => {
            let prefix = a.prefix.unwrap_or_default();
            let r = c
                .rib
                .explain_best_path(ExplainBestPathRequest {
                    prefix,
                    family: fam,
                })
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            let mut t = routes_table(true);
            for (i, cand) in r.candidates.iter().enumerate() {
                let mut row = route_row(cand.route.as_ref());
                let why = if cand.best {
                    "best".to_string()
                } else {
                    format!("lost at {}", cand.lost_at)
                };
                row.insert(0, i.to_string().into());
                row.push(toned(why, if cand.best { Tone::Good } else { Tone::Dim }));
                t.row(row);
            }
            t.print();
            // Each path's import policy, where its pre-policy form is kept.
            for (i, cand) in r.candidates.iter().enumerate() {
                if cand.policy_decided_by.is_empty() {
                    continue;
                }
                outln!("\n#{i} import policy: {}", cand.policy_decided_by);
                for s in &cand.policy_trace {
                    let term = if s.term.is_empty() {
                        "(default)"
                    } else {
                        &s.term
                    };
                    if s.matched {
                        outln!(
                            "   {} {term}: matched, {}{}",
                            s.policy,
                            format::disposition(s.result),
                            if s.changes.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", s.changes.join("; "))
                            }
                        );
                    } else {
                        outln!("   {} {term}: no match", s.policy);
                    }
                }
            }
            Ok(())
        }
        None => {
            let filter = a.prefix.map(|prefix| PrefixFilter {
                prefix,
                r#match: if a.longer {
                    prefix_filter::Match::MoreSpecifics
                } else if a.exact {
                    prefix_filter::Match::Exact
                } else {
                    prefix_filter::Match::Longest
                } as i32,
            });
            list(c, Table::LocRib, String::new(), fam, filter, json).await
        }
    }
}

async fn list(
    c: &mut Clients,
    table: Table,
    neighbor: String,
    family: Option<Family>,
    filter: Option<PrefixFilter>,
    json: bool,
) -> anyhow::Result<()> {
    let req = ListRoutesRequest {
        table: table as i32,
        neighbor,
        family,
        filter,
        ..Default::default()
    };
    let mut s = c.rib.list_routes(req).await?.into_inner();
    let mut routes = Vec::new();
    while let Some(m) = s.next().await {
        routes.extend(m?.routes);
    }
    if json {
        return print_json(&routes);
    }
    let filtered = table == Table::AdjRibInFiltered;
    let mut t = if filtered {
        let mut cols: Vec<&str> = ROUTE_COLUMNS.to_vec();
        cols.push("Reason");
        TextTable::new(&cols)
    } else {
        routes_table(false)
    };
    for r in &routes {
        let mut row = route_row(Some(r));
        if filtered {
            row.push(r.filter_reason.clone().into());
        }
        t.row(row);
    }
    t.print();
    Ok(())
}

const ROUTE_COLUMNS: [&str; 10] = [
    "",
    "Prefix",
    "Next hop",
    "AS path",
    "LP",
    "MED",
    "Communities",
    "Source",
    "RPKI",
    "ASPA",
];

fn routes_table(explain: bool) -> TextTable {
    if explain {
        let mut cols = vec!["#"];
        cols.extend(ROUTE_COLUMNS);
        cols.push("Decision");
        TextTable::new(&cols)
    } else {
        TextTable::new(&ROUTE_COLUMNS)
    }
}

fn route_row(r: Option<&Route>) -> Vec<crate::table::Cell> {
    let Some(r) = r else { return Vec::new() };
    let p = r.path.clone().unwrap_or_default();
    let opt = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut comms = p.communities.clone();
    comms.extend(p.large_communities.iter().cloned());
    comms.extend(p.ext_communities.iter().cloned());
    vec![
        if r.best {
            toned("*>", Tone::Good)
        } else {
            "*".into()
        },
        p.prefix.into(),
        p.next_hop.into(),
        format::as_path(&p.as_path).into(),
        opt(p.local_pref).into(),
        opt(p.med).into(),
        comms.join(" ").into(),
        (if r.source.is_empty() {
            "local".to_string()
        } else {
            r.source.clone()
        })
        .into(),
        format::rpki(r.rpki()),
        format::aspa(r.aspa()),
    ]
}

/// One line of an add-bulk file.
fn bulk_line(line: &str, n: usize) -> anyhow::Result<Option<Path>> {
    let mut w = line.split_whitespace();
    let Some(prefix) = w.next().filter(|p| !p.starts_with('#')) else {
        return Ok(None);
    };
    let next_hop = w
        .next()
        .ok_or_else(|| anyhow::anyhow!("line {n}: PREFIX NEXTHOP [COMMUNITY...]"))?;
    Ok(Some(Path {
        prefix: prefix.to_string(),
        next_hop: next_hop.to_string(),
        communities: w.map(String::from).collect(),
        ..Default::default()
    }))
}

async fn add_bulk(c: &mut Clients, file: &str, batch: usize, json: bool) -> anyhow::Result<()> {
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("reading {file}: {e}"))?
    };
    let mut paths = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(p) = bulk_line(line, i + 1)? {
            paths.push(p);
        }
    }
    let started = std::time::Instant::now();
    let msgs: Vec<AddPathsRequest> = paths
        .chunks(batch)
        .map(|c| AddPathsRequest { paths: c.to_vec() })
        .collect();
    let r = c
        .injection
        .add_paths(tokio_stream::iter(msgs))
        .await?
        .into_inner();
    let secs = started.elapsed().as_secs_f64();
    if json {
        return print_json(&serde_json::json!({ "added": r.added, "seconds": secs }));
    }
    outln!("{} paths added in {secs:.3} s", r.added);
    Ok(())
}
