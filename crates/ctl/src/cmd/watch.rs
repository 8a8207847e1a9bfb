//! `rbgpctl watch`: route changes and session events as they happen, one
//! line (or one JSON object) each.

use rbgp_api::v1::*;
use tokio_stream::StreamExt as _;

use crate::connect::Clients;
use crate::format;

#[derive(clap::Args)]
pub struct Args {
    /// Only route changes.
    #[arg(long, conflicts_with = "events")]
    routes: bool,
    /// Only session events.
    #[arg(long)]
    events: bool,
    /// Start with the current best routes.
    #[arg(long)]
    snapshot: bool,
}

pub async fn run(c: &mut Clients, a: Args, json: bool) -> anyhow::Result<()> {
    let mut routes = if a.events {
        None
    } else {
        let r = WatchRoutesRequest {
            skip_snapshot: !a.snapshot,
            ..Default::default()
        };
        Some(c.rib.watch_routes(r).await?.into_inner())
    };
    let mut events = if a.routes {
        None
    } else {
        Some(
            c.event
                .watch_events(WatchEventsRequest::default())
                .await?
                .into_inner(),
        )
    };
    loop {
        tokio::select! {
            Some(m) = async { routes.as_mut()?.next().await } => print_route(m?, json)?,
            Some(m) = async { events.as_mut()?.next().await } => print_event(m?, json)?,
            else => return Ok(()),
        }
    }
}

fn print_route(m: WatchRoutesResponse, json: bool) -> anyhow::Result<()> {
    if json {
        return super::print_json(&m);
    }
    match m.event {
        Some(watch_routes_response::Event::Change(c)) => {
            let r = c.route.unwrap_or_default();
            let p = r.path.unwrap_or_default();
            if c.withdrawn {
                outln!("route  withdrawn {}", p.prefix);
            } else {
                outln!(
                    "route  best      {} via {} [{}] from {}",
                    p.prefix,
                    p.next_hop,
                    format::as_path(&p.as_path),
                    if r.source.is_empty() {
                        "local"
                    } else {
                        &r.source
                    }
                );
            }
        }
        Some(watch_routes_response::Event::EndOfSnapshot(_)) => {
            outln!("route  (end of snapshot)")
        }
        Some(watch_routes_response::Event::Lagged(l)) => {
            outln!("route  (too slow: {} changes missed)", l.missed)
        }
        None => {}
    }
    Ok(())
}

fn print_event(m: WatchEventsResponse, json: bool) -> anyhow::Result<()> {
    if json {
        return super::print_json(&m);
    }
    if let Some(t) = event_text(&m) {
        outln!("peer   {t}");
    }
    Ok(())
}

/// A session event as one line of text (`watch`, `top`).
pub fn event_text(m: &WatchEventsResponse) -> Option<String> {
    Some(match m.event.as_ref()? {
        watch_events_response::Event::State(s) => format!(
            "{} {} -> {}{}",
            m.neighbor,
            format::state(s.old_state),
            format::state(s.new_state),
            if s.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.reason)
            }
        ),
        watch_events_response::Event::Notification(n) => format!(
            "{} NOTIFICATION {} {}",
            m.neighbor,
            if n.sent { "sent" } else { "received" },
            n.notification
                .as_ref()
                .map(|n| n.text.as_str())
                .unwrap_or_default()
        ),
        watch_events_response::Event::Lagged(n) => format!("(too slow: {n} events missed)"),
    })
}
