//! `rbgpctl peer-group [add NAME ...|delete NAME]` and `rbgpctl dynamic
//! [add PREFIX --group NAME|delete PREFIX]`: peer groups and
//! dynamic-neighbor ranges (both stored by rbgpd).

use rbgp_api::v1::*;

use super::neighbor::SettingsArgs;
use super::{done, print_json};
use crate::connect::Clients;
use crate::format::family;
use crate::table::Table;

#[derive(clap::Args)]
pub struct GroupArgs {
    #[command(subcommand)]
    action: Option<GroupAction>,
}

#[derive(clap::Subcommand)]
enum GroupAction {
    /// Add a peer group (settings its neighbors and ranges inherit).
    Add {
        name: String,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Delete a peer group added through the API (refused while in use).
    Delete { name: String },
}

#[derive(clap::Args)]
pub struct DynamicArgs {
    #[command(subcommand)]
    action: Option<DynamicAction>,
}

#[derive(clap::Subcommand)]
enum DynamicAction {
    /// Accept sessions from any address in PREFIX with the group's settings.
    Add {
        prefix: String,
        #[arg(long)]
        group: String,
        /// Neighbors of the range at once (default 1000): connections
        /// from new addresses past it are closed.
        #[arg(long)]
        max_neighbors: Option<u32>,
    },
    /// Stop accepting them (sessions from the range are closed).
    Delete { prefix: String },
}

pub async fn peer_group(c: &mut Clients, a: GroupArgs, json: bool) -> anyhow::Result<()> {
    match a.action {
        None => {
            let r = c
                .neighbor
                .list_peer_groups(ListPeerGroupsRequest {})
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            let mut t = Table::new(&["Group", "AS", "Families", "Description"]);
            for g in r.groups {
                let s = g.settings.unwrap_or_default();
                let fams: Vec<String> = s.families.iter().map(|f| family(Some(f))).collect();
                t.row(vec![
                    g.name.into(),
                    s.remote_asn
                        .map(|a| a.to_string())
                        .unwrap_or_default()
                        .into(),
                    fams.join(" ").into(),
                    s.description.unwrap_or_default().into(),
                ]);
            }
            t.print();
            Ok(())
        }
        Some(GroupAction::Add { name, settings }) => {
            let group = PeerGroup {
                name: name.clone(),
                settings: Some(settings.into_proto()?),
            };
            c.neighbor
                .add_peer_group(AddPeerGroupRequest { group: Some(group) })
                .await?;
            done(json, &format!("peer group {name} added"))
        }
        Some(GroupAction::Delete { name }) => {
            c.neighbor
                .delete_peer_group(DeletePeerGroupRequest { name: name.clone() })
                .await?;
            done(json, &format!("peer group {name} deleted"))
        }
    }
}

pub async fn dynamic(c: &mut Clients, a: DynamicArgs, json: bool) -> anyhow::Result<()> {
    match a.action {
        None => {
            let r = c
                .neighbor
                .list_dynamic_neighbors(ListDynamicNeighborsRequest {})
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            let mut t = Table::new(&["Range", "Group", "Max"]);
            for d in r.ranges {
                let max = d.max_neighbors.map_or("-".into(), |m| m.to_string());
                t.row(vec![d.prefix.into(), d.peer_group.into(), max.into()]);
            }
            t.print();
            Ok(())
        }
        Some(DynamicAction::Add {
            prefix,
            group,
            max_neighbors,
        }) => {
            let range = DynamicNeighbor {
                prefix: prefix.clone(),
                peer_group: group,
                max_neighbors,
            };
            c.neighbor
                .add_dynamic_neighbor(AddDynamicNeighborRequest { range: Some(range) })
                .await?;
            done(json, &format!("dynamic range {prefix} added"))
        }
        Some(DynamicAction::Delete { prefix }) => {
            c.neighbor
                .delete_dynamic_neighbor(DeleteDynamicNeighborRequest {
                    prefix: prefix.clone(),
                })
                .await?;
            done(json, &format!("dynamic range {prefix} deleted"))
        }
    }
}
