//! `rbgpctl global [set]|health|shutdown|reload`.

use rbgp_api::v1::*;

use super::{done, print_json};
use crate::connect::Clients;

#[derive(clap::Subcommand, Debug)]
pub enum GlobalCmd {
    /// Change the AS and/or router ID at runtime (GlobalService.SetGlobal).
    Set {
        #[arg(long)]
        asn: Option<u32>,
        /// Checked by rbgpd (a non-zero IPv4 address).
        #[arg(long)]
        router_id: Option<String>,
    },
}

pub async fn global(c: &mut Clients, set: Option<GlobalCmd>, json: bool) -> anyhow::Result<()> {
    if let Some(GlobalCmd::Set { asn, router_id }) = set {
        anyhow::ensure!(
            asn.is_some() || router_id.is_some(),
            "global set: give --asn and/or --router-id"
        );
        let r = c
            .global
            .set_global(SetGlobalRequest { asn, router_id })
            .await?
            .into_inner();
        if json {
            return print_json(&r);
        }
    }
    let r = c.global.get_global(GetGlobalRequest {}).await?.into_inner();
    if json {
        return print_json(&r);
    }
    let g = r.global.unwrap_or_default();
    outln!(
        "AS {}  router ID {}  rbgpd {}",
        g.asn,
        g.router_id,
        r.version
    );
    outln!("BGP listeners: {}", g.listen.join(", "));
    outln!("state_dir: {}", g.state_dir);
    Ok(())
}

pub async fn health(c: &mut Clients, json: bool) -> anyhow::Result<()> {
    let h = c.control.health(HealthRequest {}).await?.into_inner();
    if json {
        return print_json(&h);
    }
    let st = health_response::Status::try_from(h.status).map_or("UNKNOWN", |s| s.as_str_name());
    outln!(
        "{} rbgpd {} up {}, {}/{} neighbors established{}",
        st.trim_start_matches("STATUS_"),
        h.version,
        crate::format::duration(h.uptime_seconds),
        h.established,
        h.neighbors,
        if h.read_only {
            " (read-only listener)"
        } else {
            ""
        }
    );
    Ok(())
}

/// `graceful`: RFC 8326 first, with this wait in seconds (0: default).
pub async fn shutdown(
    c: &mut Clients,
    message: Option<String>,
    graceful: Option<u32>,
    json: bool,
) -> anyhow::Result<()> {
    c.control
        .shutdown(ShutdownRequest {
            communication: message.unwrap_or_default(),
            graceful: graceful.is_some(),
            graceful_wait_seconds: graceful.unwrap_or(0),
        })
        .await?;
    done(json, "rbgpd shutting down")
}

#[derive(clap::Subcommand)]
pub enum MrtCmd {
    /// Write a TABLE_DUMP_V2 file of the RIB now (where `[mrt]` says).
    Dump {
        /// `all` (every path of every neighbor) or `best` (the Loc-RIB);
        /// default: `[mrt] table_paths`.
        #[arg(long, value_enum)]
        paths: Option<TablePaths>,
    },
}

/// Which paths a table dump writes.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum TablePaths {
    /// Every path of every neighbor.
    All,
    /// Each route's best path (the Loc-RIB).
    Best,
}

pub async fn mrt(c: &mut Clients, cmd: MrtCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        MrtCmd::Dump { paths } => {
            use rbgp_api::v1::MrtTablePaths as P;
            let paths = match paths {
                None => P::Unspecified,
                Some(TablePaths::All) => P::All,
                Some(TablePaths::Best) => P::Best,
            };
            let r = c
                .control
                .trigger_mrt_dump(TriggerMrtDumpRequest {
                    paths: paths as i32,
                })
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            outln!("{}", r.path);
            Ok(())
        }
    }
}

pub async fn reload(c: &mut Clients, json: bool) -> anyhow::Result<()> {
    let r = c.control.reload(ReloadRequest {}).await?.into_inner();
    if json {
        return print_json(&r);
    }
    outln!(
        "added: {:?}  removed: {:?}  changed: {:?}",
        r.added,
        r.removed,
        r.changed
    );
    Ok(())
}
