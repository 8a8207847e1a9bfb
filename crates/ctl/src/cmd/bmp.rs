//! `rbgpctl bmp`: the BMP stations rbgpd exports to (list, `add ADDRESS`,
//! `delete ADDRESS`).

use rbgp_api::v1::*;

use super::print_json;
use crate::connect::Clients;
use crate::table::{toned, Table, Tone};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Every station, its state and counters (the default).
    List,
    /// Export to a station (stored: it survives a restart); replaces a
    /// station added before with the same address and port.
    Add {
        address: String,
        /// 11019 when not given.
        #[arg(long, default_value_t = 0)]
        port: u32,
        /// Comma-separated: pre-policy, post-policy, loc-rib, adj-rib-out,
        /// adj-rib-out-pre-policy (default: the first three).
        #[arg(long, value_delimiter = ',')]
        views: Vec<String>,
        /// Seconds between Statistics Reports (0: none; default 60).
        #[arg(long)]
        statistics_interval: Option<u32>,
        /// Routes that may wait for a slow station (default 4000000).
        #[arg(long, default_value_t = 0)]
        buffer: u32,
    },
    /// Stop exporting to a station added through the API.
    Delete {
        address: String,
        #[arg(long, default_value_t = 0)]
        port: u32,
    },
}

const VIEWS: [(&str, BmpView); 5] = [
    ("pre-policy", BmpView::PrePolicy),
    ("post-policy", BmpView::PostPolicy),
    ("loc-rib", BmpView::LocRib),
    ("adj-rib-out", BmpView::AdjRibOut),
    ("adj-rib-out-pre-policy", BmpView::AdjRibOutPrePolicy),
];

fn view_name(v: i32) -> &'static str {
    VIEWS
        .iter()
        .find(|(_, x)| *x as i32 == v)
        .map_or("?", |(n, _)| n)
}

pub async fn run(c: &mut Clients, a: Args, json: bool) -> anyhow::Result<()> {
    match a.cmd.unwrap_or(Cmd::List) {
        Cmd::List => list(c, json).await,
        Cmd::Add {
            address,
            port,
            views,
            statistics_interval,
            buffer,
        } => {
            let views = views
                .iter()
                .map(|v| {
                    VIEWS
                        .iter()
                        .find(|(n, _)| n == v)
                        .map(|(_, x)| *x as i32)
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "--views: unknown view {v:?} (pre-policy, post-policy, loc-rib, adj-rib-out, adj-rib-out-pre-policy)"
                            )
                        })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            c.bmp
                .add_station(AddStationRequest {
                    station: Some(BmpStation {
                        address,
                        port,
                        views,
                        statistics_interval,
                        buffer,
                    }),
                })
                .await?;
            Ok(())
        }
        Cmd::Delete { address, port } => {
            c.bmp
                .delete_station(DeleteStationRequest { address, port })
                .await?;
            Ok(())
        }
    }
}

async fn list(c: &mut Clients, json: bool) -> anyhow::Result<()> {
    let r = c
        .bmp
        .list_stations(ListStationsRequest {})
        .await?
        .into_inner();
    if json {
        return print_json(&r);
    }
    if r.stations.is_empty() {
        outln!("No BMP stations ([[bmp.collectors]] or `rbgpctl bmp add`)");
        return Ok(());
    }
    let mut t = Table::new(&[
        "Station",
        "Views",
        "State",
        "Messages",
        "Connects",
        "Overflows",
        "Errors",
        "From",
        "Last error",
    ]);
    for s in &r.stations {
        let st = s.station.clone().unwrap_or_default();
        let views: Vec<&str> = st.views.iter().map(|v| view_name(*v)).collect();
        let addr: std::net::IpAddr = st
            .address
            .parse()
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let port = u16::try_from(st.port).unwrap_or(0);
        t.row(vec![
            std::net::SocketAddr::new(addr, port).to_string().into(),
            views.join(",").into(),
            if s.connected {
                toned("connected", Tone::Good)
            } else {
                toned("down", Tone::Bad)
            },
            s.messages.to_string().into(),
            s.connects.to_string().into(),
            s.overflows.to_string().into(),
            s.errors.to_string().into(),
            if s.from_file { "file" } else { "api" }.into(),
            toned(s.last_error.clone(), Tone::Dim),
        ]);
    }
    t.print();
    Ok(())
}
