//! rbgpd: the BGP daemon. A thin tokio shell: one task per peer drives the
//! sans-IO state machine (`rbgp-fsm`) over a TCP connection, and one RIB
//! task owns all routing state (`rbgp-rib`), fed through bounded channels.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use rbgp_config::Config;

use rbgpd::api;

/// jemalloc, not glibc's malloc: peer tasks allocate what the RIB thread
/// frees (decoded UPDATEs, staged import results) and glibc takes the
/// owning arena's lock for each such free; jemalloc does not. Case a:
/// 1.07-1.19 s with glibc, 0.66-0.74 s with this, for 5-10 % more peak
/// RSS. Tuned in `.cargo/config.toml` (freed pages back to the OS
/// within 200 ms, by a background thread when the daemon is idle).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "rbgpd", version, about = "rbgp's BGP daemon")]
struct Args {
    /// Configuration file (TOML). Without it, a built-in default runs:
    /// private AS 64512, router ID 127.0.0.1, listening on 127.0.0.1:1179.
    config: Option<PathBuf>,
    /// Validate the configuration and exit.
    #[arg(long)]
    check: bool,
    /// `--diff NEW CONFIG`: print what loading NEW instead of CONFIG (the
    /// running file) would change, and exit: neighbors added, removed or
    /// changed, policies, sets, routes, sections. Exit status 1 when
    /// something would change.
    #[arg(long, value_name = "NEW", requires = "config")]
    diff: Option<PathBuf>,
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
            // Colours only on a terminal: a log file gets plain text.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
    if let Some(new) = &args.diff {
        let new = match load(&Some(new.clone())) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("rbgpd: configuration error: {e:#}");
                return ExitCode::from(2);
            }
        };
        return match rbgp_config::diff(&config, &new) {
            Ok(lines) if lines.is_empty() => {
                println!("no change");
                ExitCode::SUCCESS
            }
            Ok(lines) => {
                for l in lines {
                    println!("{l}");
                }
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("rbgpd: {e}");
                ExitCode::from(2)
            }
        };
    }
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
    match rt.block_on(run(config, args.config.clone())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rbgpd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config, path: Option<PathBuf>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};

    // The daemon with its API: stored API state restored, listeners up.
    let running = api::start(config, path).await?;
    // Reading and compiling a large configuration (an IXP's per-client
    // prefix lists) leaves its transient memory in the allocator.
    rbgp_sockopt::release_free_heap();
    let (handle, done, api, servers) = (running.handle, running.done, running.api, running.servers);
    let mut hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let stop = shutdown_signal();
    tokio::pin!(stop, done);
    let grace = std::time::Duration::from_secs(2);
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = &mut done => {
                // Stopped through the API: its reply goes out first.
                api::Running::stop_api(servers, &api, grace).await;
                return Ok(());
            }
            _ = hup.recv() => {
                // SIGHUP: re-read the file (keeping what the API added); a
                // bad file changes nothing.
                match api.reload().await {
                    Ok(s) => {
                        rbgp_sockopt::release_free_heap();
                        tracing::info!(added = ?s.added, removed = ?s.removed, changed = ?s.changed, unchanged = s.unchanged, "SIGHUP: configuration reloaded")
                    }
                    Err(e) => tracing::error!(error = format!("{e:#}"), "SIGHUP: configuration not reloaded"),
                }
            }
        }
    }
    tracing::info!("shutting down: closing sessions with Cease/Administrative Shutdown");
    let _ = handle.shutdown(None).await;
    let _ = done.await;
    api::Running::stop_api(servers, &api, grace).await;
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
