//! `rbgpctl top`: a live terminal dashboard of a running rbgpd. The
//! neighbors (state, uptime, prefixes received/accepted/sent, UPDATE rates,
//! NOTIFICATIONs) and RIB sizes are polled every `--interval`; session
//! events arrive on the WatchEvents stream. `model.rs` is the state and
//! keys (tested without a terminal), `view.rs` the drawing.

mod model;
mod view;

use std::time::{Duration, Instant};

use anyhow::Context as _;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use rbgp_api::v1::*;
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;

use crate::connect::Clients;
use model::{Action, Key, Model};

#[derive(clap::Args)]
pub struct Args {
    /// Seconds between polls.
    #[arg(long, default_value_t = 1.0)]
    interval: f64,
}

/// Terminal keys to the model's; `None` for the rest.
fn key(k: event::KeyEvent) -> Option<Key> {
    if k.kind != KeyEventKind::Press {
        return None;
    }
    Some(match k.code {
        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Char('q'),
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}

fn event_line(m: &WatchEventsResponse) -> Option<String> {
    Some(format!(
        "{} {}",
        chrono_less_now(),
        super::watch::event_text(m)?
    ))
}

/// HH:MM:SS UTC of now.
fn chrono_less_now() -> String {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{:02}:{:02}:{:02}", s / 3600 % 24, s / 60 % 60, s % 60)
}

pub async fn run(c: &mut Clients, a: Args) -> anyhow::Result<()> {
    if !(0.1..=3600.0).contains(&a.interval) {
        anyhow::bail!("--interval: between 0.1 and 3600 seconds");
    }
    let interval = Duration::from_secs_f64(a.interval);
    // Keys from a blocking thread (crossterm's reads block).
    let (ktx, mut keys) = mpsc::channel::<Key>(64);
    std::thread::spawn(move || loop {
        match event::read() {
            Ok(Event::Key(k)) => {
                if let Some(k) = key(k) {
                    if ktx.blocking_send(k).is_err() {
                        return;
                    }
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    });
    let mut events = c
        .event
        .watch_events(WatchEventsRequest::default())
        .await
        .context("WatchEvents")?
        .into_inner();
    let mut term = ratatui::try_init().context("terminal")?;
    let r = run_loop(c, &mut term, &mut keys, &mut events, interval).await;
    ratatui::restore();
    r
}

async fn run_loop(
    c: &mut Clients,
    term: &mut ratatui::DefaultTerminal,
    keys: &mut mpsc::Receiver<Key>,
    events: &mut tonic::Streaming<WatchEventsResponse>,
    interval: Duration,
) -> anyhow::Result<()> {
    let mut m = Model::default();
    let mut tick = tokio::time::interval(interval);
    let mut events_open = true;
    loop {
        tokio::select! {
            _ = tick.tick() => poll(c, &mut m).await,
            k = keys.recv() => match k {
                Some(k) => if m.key(k) == Action::Quit { return Ok(()) },
                None => return Ok(()),
            },
            e = events.next(), if events_open => match e {
                Some(Ok(e)) => {
                    if let Some(line) = event_line(&e) {
                        m.event(line);
                    }
                }
                Some(Err(s)) => {
                    m.event(format!("event stream ended: {}", s.message()));
                    events_open = false;
                }
                None => events_open = false,
            },
        }
        term.draw(|f| view::draw(f, &m)).context("drawing")?;
    }
}

async fn poll(c: &mut Clients, m: &mut Model) {
    let health = c.control.health(HealthRequest {}).await;
    match (health, super::neighbor::all(c).await) {
        (Ok(h), Ok(n)) => {
            m.health = Some(h.into_inner());
            m.update(n, Instant::now());
            m.error = None;
        }
        (Err(e), _) | (_, Err(e)) => m.error = Some(format!("rbgpd: {}", e.message())),
    }
}
