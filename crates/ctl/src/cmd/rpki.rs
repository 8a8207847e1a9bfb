//! `rbgpctl rpki`: where the RPKI data comes from and how fresh it is;
//! `rbgpctl rpki validate PREFIX ASN`: a route's origin validation state
//! and the VRPs covering it.

use rbgp_api::v1::*;

use super::print_json;
use crate::connect::Clients;
use crate::format;
use crate::table::Table;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// The state of a route to PREFIX originated by ASN, and the VRPs
    /// covering PREFIX.
    Validate { prefix: String, asn: u32 },
}

pub async fn run(c: &mut Clients, a: Args, json: bool) -> anyhow::Result<()> {
    match a.cmd {
        None => status(c, json).await,
        Some(Cmd::Validate { prefix, asn }) => validate(c, prefix, asn, json).await,
    }
}

async fn status(c: &mut Clients, json: bool) -> anyhow::Result<()> {
    let r = c
        .rpki
        .get_rpki_status(GetRpkiStatusRequest {})
        .await?
        .into_inner();
    if json {
        return print_json(&r);
    }
    let s = r.status.unwrap_or_default();
    if !s.enabled {
        outln!("RPKI: no source configured ([rpki] caches or file)");
        return Ok(());
    }
    let version = s.version.map(|v| format!(", RTR v{v}")).unwrap_or_default();
    let serial = match (s.session_id, s.serial) {
        (Some(id), Some(n)) => format!(", session {id} serial {n}"),
        _ => String::new(),
    };
    outln!(
        "Source:  {} ({}{version}{serial})",
        if s.source.is_empty() { "-" } else { &s.source },
        if s.connected {
            "connected"
        } else {
            "not connected"
        },
    );
    outln!(
        "Data:    {} IPv4 + {} IPv6 VRPs, {} ASPAs{}",
        s.vrps_ipv4,
        s.vrps_ipv6,
        s.aspas,
        if s.expired {
            " (EXPIRED: routes are not-found/unknown)"
        } else {
            ""
        }
    );
    let age = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .saturating_sub(s.updated);
    if s.updated > 0 {
        outln!("Updated: {} ago", format::duration(age));
    }
    outln!(
        "Counts:  {} updates, {} full resets, {} errors",
        s.updates,
        s.resets,
        s.errors
    );
    if !s.last_error.is_empty() {
        outln!("Last error: {}", s.last_error);
    }
    Ok(())
}

async fn validate(c: &mut Clients, prefix: String, asn: u32, json: bool) -> anyhow::Result<()> {
    let r = c
        .rpki
        .validate_origin(ValidateOriginRequest {
            prefix: prefix.clone(),
            origin_asn: asn,
        })
        .await?
        .into_inner();
    if json {
        return print_json(&r);
    }
    let state = RpkiState::try_from(r.state).unwrap_or(RpkiState::Unspecified);
    outln!("{prefix} from AS{asn}: {}", format::rpki(state).text);
    if !r.covering.is_empty() {
        let mut t = Table::new(&["VRP", "Max length", "AS"]);
        for v in &r.covering {
            t.row(vec![
                v.prefix.clone().into(),
                v.max_length.to_string().into(),
                format!("AS{}", v.asn).into(),
            ]);
        }
        outln!();
        t.print();
    }
    Ok(())
}
