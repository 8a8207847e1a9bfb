//! rbgpd: the BGP daemon. A thin tokio shell: one task per peer drives the
//! sans-IO state machine (`rbgp-fsm`) over a TCP connection, and one RIB
//! task owns all routing state (`rbgp-rib`), fed through bounded channels.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use rbgp_config::Config;

mod convert;
mod listener;
mod peer;
mod rib_task;
mod timers;

#[derive(Parser)]
#[command(name = "rbgpd", version, about = "rbgp's BGP daemon")]
struct Args {
    /// Configuration file (TOML). Without it, a built-in default runs:
    /// private AS 64512, router ID 127.0.0.1, listening on 127.0.0.1:1179.
    config: Option<PathBuf>,
    /// Validate the configuration and exit.
    #[arg(long)]
    check: bool,
    /// Log format.
    #[arg(long, value_enum, default_value = "human")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

fn load(path: &Option<PathBuf>) -> anyhow::Result<Config> {
    match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Config::parse(&text).with_context(|| format!("{}", p.display()))
        }
        None => Ok(Config::default_config()?),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    match args.log_format {
        LogFormat::Human => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
    }
    let config = match load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rbgpd: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    if args.check {
        println!(
            "configuration OK: AS {}, router ID {}, {} neighbors",
            config.global.asn,
            config.global.router_id,
            config.neighbors.len()
        );
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rbgpd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rbgpd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    use std::collections::HashMap;
    use tokio::sync::mpsc;

    let neighbors = config.neighbors()?;
    // Parsed and validated, but not acted on yet: say so rather than
    // pretend (issue 4 tracks them).
    for n in &neighbors {
        for (set, key) in [
            (n.md5_password.is_some(), "md5_password"),
            (n.ttl_security, "ttl_security"),
            (
                n.add_path.as_ref().is_some_and(|a| a.send.is_some()),
                "add_path.send",
            ),
        ] {
            if set {
                tracing::warn!(neighbor = %n.address, key, "setting not implemented yet, ignored");
            }
        }
    }
    if !config.dynamic_neighbors.is_empty() {
        tracing::warn!(
            key = "dynamic_neighbors",
            "setting not implemented yet, ignored"
        );
    }
    let (rib_tx, rib_rx) = mpsc::channel(1024);
    let local = rbgp_rib::policy::Local {
        asn: config.global.asn,
        router_id: config.global.router_id,
        cluster_id: config.global.router_id,
    };
    let rib = tokio::spawn(rib_task::run(local.clone(), config.routes.clone(), rib_rx));

    let mut peers = HashMap::new();
    let mut stops = Vec::new();
    for n in neighbors {
        let (conn_tx, conn_rx) = mpsc::channel(4);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(None);
        peers.insert(n.address, conn_tx);
        stops.push(stop_tx);
        tokio::spawn(peer::run(
            peer::Setup::new(&config, n),
            rib_tx.clone(),
            conn_rx,
            stop_rx,
        ));
    }
    let mut listeners = Vec::new();
    for addr in &config.global.listen {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        tracing::info!(%addr, "listening");
        listeners.push(tokio::spawn(listener::run(l, peers.clone())));
    }
    tracing::info!(asn = config.global.asn, router_id = %config.global.router_id, neighbors = peers.len(), "rbgpd started");

    shutdown_signal().await;
    tracing::info!("shutting down: closing sessions with Cease/Administrative Shutdown");
    for s in &stops {
        let _ = s.send(Some("rbgpd shutting down".to_string()));
    }
    // Give the peer tasks a moment to send their NOTIFICATIONs.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for l in listeners {
        l.abort();
    }
    rib.abort();
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
