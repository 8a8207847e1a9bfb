//! `rbgpctl neighbor [ADDR [add|delete|enable|disable|softreset]]`.

use rbgp_api::v1::*;
use tokio_stream::StreamExt as _;

use super::{done, print_json};
use crate::connect::Clients;
use crate::format;
use crate::table::{toned, Table, Tone};

#[derive(clap::Args)]
#[command(
    args_conflicts_with_subcommands = false,
    subcommand_precedence_over_arg = true
)]
pub struct Args {
    /// A neighbor's address: its details, or the action after it.
    addr: Option<String>,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Add a neighbor (stored: it comes back after a restart).
    Add(AddArgs),
    /// Delete an API-added neighbor (Cease/Peer De-configured).
    Delete,
    Enable,
    /// Close the session and keep it down.
    Disable {
        /// RFC 9003 shutdown communication.
        #[arg(long)]
        message: Option<String>,
    },
    /// Close the session and keep it down; with --graceful (RFC 8326)
    /// first send every route again with GRACEFUL_SHUTDOWN (65535:0, and
    /// LOCAL_PREF 0 on iBGP) and wait for the peer to move its traffic.
    Shutdown {
        #[arg(long)]
        graceful: bool,
        /// Seconds between the re-sent routes and the close (default 30).
        #[arg(long, requires = "graceful")]
        wait: Option<u32>,
        /// RFC 9003 shutdown communication.
        #[arg(long)]
        message: Option<String>,
    },
    /// Soft reset: both directions unless --in or --out.
    Softreset {
        #[arg(long, conflicts_with = "out")]
        r#in: bool,
        #[arg(long)]
        out: bool,
    },
}

#[derive(clap::Args)]
struct AddArgs {
    /// Peer group to take settings from.
    #[arg(long)]
    group: Option<String>,
    #[command(flatten)]
    settings: SettingsArgs,
}

/// A neighbor's or peer group's settings.
#[derive(clap::Args)]
pub struct SettingsArgs {
    #[arg(long)]
    asn: Option<u32>,
    #[arg(long)]
    description: Option<String>,
    /// Family to negotiate (ipv4_unicast, ipv6_unicast, ipv4_flowspec...), repeatable.
    #[arg(long = "family")]
    families: Vec<String>,
    #[arg(long)]
    port: Option<u32>,
    #[arg(long)]
    local_address: Option<String>,
    #[arg(long)]
    passive: bool,
    #[arg(long)]
    hold_time: Option<u32>,
    /// Seconds before the session may start again after it went down
    /// (doubles per flap up to --idle-hold-max).
    #[arg(long)]
    idle_hold_time: Option<u32>,
    #[arg(long)]
    idle_hold_max: Option<u32>,
    #[arg(long)]
    multihop: Option<u32>,
    #[arg(long)]
    route_reflector_client: bool,
    #[arg(long)]
    next_hop_self: bool,
    #[arg(long)]
    max_prefixes: Option<u32>,
    /// What the neighbor is to us (RFC 9234): provider, customer, peer, rs, rs-client.
    #[arg(long)]
    role: Option<String>,
    /// Refuse the session unless the neighbor advertises the matching role.
    #[arg(long)]
    strict_role: bool,
    /// Keep LOCAL_PREF of routes received with GRACEFUL_SHUTDOWN (RFC 8326
    /// §4 lowers it to 0 by default).
    #[arg(long)]
    keep_graceful_shutdown_local_pref: bool,
}

impl SettingsArgs {
    pub fn into_proto(self) -> anyhow::Result<PeerSettings> {
        Ok(PeerSettings {
            remote_asn: self.asn,
            description: self.description,
            families: self
                .families
                .iter()
                .map(|f| family(f))
                .collect::<anyhow::Result<_>>()?,
            port: self.port,
            local_address: self.local_address,
            passive: self.passive.then_some(true),
            hold_time: self.hold_time,
            idle_hold_time: self.idle_hold_time,
            idle_hold_max: self.idle_hold_max,
            multihop: self.multihop,
            route_reflector_client: self.route_reflector_client.then_some(true),
            next_hop_self: self.next_hop_self.then_some(true),
            max_prefixes: self.max_prefixes,
            role: self.role,
            strict_role: self.strict_role.then_some(true),
            graceful_shutdown_local_pref: self.keep_graceful_shutdown_local_pref.then_some(false),
            ..Default::default()
        })
    }
}

fn family(name: &str) -> anyhow::Result<Family> {
    let f: rbgp_wire::AfiSafi = name.parse()?;
    Ok(rbgp_api::convert::family_to_proto(f))
}

pub async fn run(c: &mut Clients, a: Args, json: bool) -> anyhow::Result<()> {
    let Some(addr) = a.addr else {
        return list(c, json).await;
    };
    match a.action {
        None => show(c, addr, json).await,
        Some(Action::Add(x)) => {
            let settings = x.settings.into_proto()?;
            let neighbor = NeighborConfig {
                address: addr.clone(),
                peer_group: x.group.unwrap_or_default(),
                settings: Some(settings),
            };
            c.neighbor
                .add_neighbor(AddNeighborRequest {
                    neighbor: Some(neighbor),
                })
                .await?;
            done(json, &format!("neighbor {addr} added"))
        }
        Some(Action::Delete) => {
            c.neighbor
                .delete_neighbor(DeleteNeighborRequest {
                    address: addr.clone(),
                })
                .await?;
            done(json, &format!("neighbor {addr} deleted"))
        }
        Some(Action::Enable) => {
            c.neighbor
                .enable_neighbor(EnableNeighborRequest {
                    address: addr.clone(),
                })
                .await?;
            done(json, &format!("neighbor {addr} enabled"))
        }
        Some(Action::Disable { message }) => {
            let r = DisableNeighborRequest {
                address: addr.clone(),
                communication: message.unwrap_or_default(),
                ..Default::default()
            };
            c.neighbor.disable_neighbor(r).await?;
            done(json, &format!("neighbor {addr} disabled"))
        }
        Some(Action::Shutdown {
            graceful,
            wait,
            message,
        }) => {
            let r = DisableNeighborRequest {
                address: addr.clone(),
                communication: message.unwrap_or_default(),
                graceful,
                graceful_wait_seconds: wait.unwrap_or(0),
            };
            c.neighbor.disable_neighbor(r).await?;
            let how = if graceful {
                " gracefully (RFC 8326)"
            } else {
                ""
            };
            done(json, &format!("neighbor {addr} shut down{how}"))
        }
        Some(Action::Softreset { r#in, out }) => {
            let kind = match (r#in, out) {
                (true, _) => reset_neighbor_request::Kind::SoftIn,
                (_, true) => reset_neighbor_request::Kind::SoftOut,
                _ => reset_neighbor_request::Kind::SoftBoth,
            };
            let r = ResetNeighborRequest {
                address: addr.clone(),
                kind: kind as i32,
                families: Vec::new(),
            };
            c.neighbor.reset_neighbor(r).await?;
            done(json, &format!("neighbor {addr} soft reset"))
        }
    }
}

/// Every neighbor's status (the ListNeighbors stream gathered).
pub async fn all(c: &mut Clients) -> Result<Vec<NeighborStatus>, tonic::Status> {
    let mut s = c
        .neighbor
        .list_neighbors(ListNeighborsRequest::default())
        .await?
        .into_inner();
    let mut all = Vec::new();
    while let Some(m) = s.next().await {
        all.extend(m?.neighbor);
    }
    Ok(all)
}

async fn list(c: &mut Clients, json: bool) -> anyhow::Result<()> {
    let all = all(c).await?;
    if json {
        return print_json(&all);
    }
    let mut t = Table::new(&[
        "Address",
        "AS",
        "State",
        "Uptime",
        "Rcvd",
        "Accepted",
        "Sent",
        "Description",
    ]);
    for n in &all {
        let sum = |f: fn(&FamilyCounters) -> u64| n.counters.iter().map(f).sum::<u64>().to_string();
        let st = format::state(n.state);
        let tone = if n.state == SessionState::Established as i32 {
            Tone::Good
        } else {
            Tone::Bad
        };
        let cfg = n.config.as_ref();
        t.row(vec![
            cfg.map(|c| c.address.clone()).unwrap_or_default().into(),
            n.remote_asn.to_string().into(),
            toned(
                if n.admin_down {
                    format!("{st} (admin down)")
                } else {
                    st.to_string()
                },
                tone,
            ),
            format::duration(n.uptime_seconds).into(),
            sum(|c| c.received).into(),
            sum(|c| c.accepted).into(),
            sum(|c| c.advertised).into(),
            cfg.and_then(|c| c.settings.as_ref())
                .and_then(|s| s.description.clone())
                .unwrap_or_default()
                .into(),
        ]);
    }
    t.print();
    Ok(())
}

async fn show(c: &mut Clients, addr: String, json: bool) -> anyhow::Result<()> {
    let n = c
        .neighbor
        .get_neighbor(GetNeighborRequest { address: addr })
        .await?
        .into_inner()
        .neighbor
        .unwrap_or_default();
    if json {
        return print_json(&n);
    }
    let cfg = n.config.clone().unwrap_or_default();
    let s = cfg.settings.clone().unwrap_or_default();
    outln!(
        "Neighbor {}  AS {}  {}",
        cfg.address,
        n.remote_asn,
        s.description.unwrap_or_default()
    );
    outln!(
        "  State:        {}{}",
        format::state(n.state),
        if n.admin_down { " (admin down)" } else { "" }
    );
    outln!("  Uptime:       {}", format::duration(n.uptime_seconds));
    outln!("  Router ID:    {}", n.remote_router_id);
    outln!("  Hold time:    {}", n.negotiated_hold_time);
    if let Some(role) = &s.role {
        let advertised = n
            .capabilities
            .as_ref()
            .map(|c| c.peer_role.as_str())
            .filter(|r| !r.is_empty())
            .unwrap_or("none");
        outln!(
            "  Role:         {role}{} (it advertised: {advertised})",
            if s.strict_role == Some(true) {
                ", strict"
            } else {
                ""
            }
        );
    }
    if let Some(caps) = &n.capabilities {
        let fams: Vec<String> = caps
            .families
            .iter()
            .map(|f| format::family(Some(f)))
            .collect();
        outln!("  Families:     {}", fams.join(", "));
        let mut flags = Vec::new();
        for (on, name) in [
            (caps.four_octet_as, "4-octet AS"),
            (caps.route_refresh, "route refresh"),
            (caps.enhanced_route_refresh, "enhanced route refresh"),
            (caps.extended_message, "extended message"),
            (caps.graceful_restart, "graceful restart"),
        ] {
            if on {
                flags.push(name);
            }
        }
        outln!("  Capabilities: {}", flags.join(", "));
    }
    let mut t = Table::new(&["Family", "Received", "Accepted", "Advertised"]);
    for f in &n.counters {
        t.row(vec![
            format::family(f.family.as_ref()).into(),
            f.received.to_string().into(),
            f.accepted.to_string().into(),
            f.advertised.to_string().into(),
        ]);
    }
    outln!();
    t.print();
    let m = |x: &Option<MessageCounters>| x.unwrap_or_default();
    let (i, o) = (m(&n.messages_in), m(&n.messages_out));
    outln!(
        "\n  Messages in/out: total {}/{}, updates {}/{}, keepalives {}/{}, notifications {}/{}",
        i.total,
        o.total,
        i.update,
        o.update,
        i.keepalive,
        o.keepalive,
        i.notification,
        o.notification
    );
    if !n.last_error.is_empty() {
        outln!("  Last error:   {}", n.last_error);
    }
    if let Some(x) = &n.last_notification_sent {
        outln!("  Last NOTIFICATION sent:     {}", x.text);
    }
    if let Some(x) = &n.last_notification_received {
        outln!("  Last NOTIFICATION received: {}", x.text);
    }
    Ok(())
}
