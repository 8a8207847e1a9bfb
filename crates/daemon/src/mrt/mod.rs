//! MRT output (RFC 6396): TABLE_DUMP_V2 dumps of the RIB every
//! `table_interval` and on demand, and a BGP4MP_ET log of received
//! UPDATEs and session state changes rotated every `updates_interval`.
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | the task: timers, on-demand dumps, configuration changes, status |
//! | `dump.rs` | one TABLE_DUMP_V2 dump, the RIB read a piece at a time |
//! | `log.rs` | the update log: attached to the RIB task like a BMP station, files rotated |
//! | `records.rs` | RIB pieces and events as MRT records (pure) |
//! | `file.rs` | a file: compression, written under a temporary name, renamed when complete |
//!
//! Files are written on tokio's blocking threads; the RIB task answers a
//! piece of at most `dump::PIECE` routes at a time, handling other
//! messages between pieces, so a dump of a full table does not hold it.

mod dump;
mod log;
mod records;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use rbgp_config::Mrt;
use tokio::sync::{mpsc, oneshot, watch};

use crate::tasks::RibMsg;

/// File work on tokio's blocking threads (compression takes CPU time a
/// runtime thread should not be held for).
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

/// What the MRT side has done, for the API and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MrtStatus {
    pub enabled: bool,
    /// The last complete table dump: its file, when, routes, seconds taken.
    pub last_dump: Option<(PathBuf, SystemTime, u64, f64)>,
    pub dumps: u64,
    /// Update files completed and records logged.
    pub update_files: u64,
    pub updates: u64,
    /// Times the log fell behind the RIB (records lost until it attached
    /// again).
    pub overflows: u64,
    pub errors: u64,
    pub last_error: Option<String>,
}

/// What the MRT task is told.
#[derive(Debug)]
pub enum MrtCtl {
    /// `[mrt]` changed (reload).
    Set(Option<Mrt>),
    /// Dump the table now (the paths `[mrt]` says, or these); the file's
    /// path.
    Dump(
        Option<rbgp_config::MrtTablePaths>,
        oneshot::Sender<Result<PathBuf, String>>,
    ),
    /// The daemon stops: complete the update file being written.
    Shutdown(oneshot::Sender<()>),
}

/// The task's shared ends.
#[derive(Clone)]
pub struct Ends {
    pub rib: mpsc::Sender<RibMsg>,
    pub status: watch::Sender<MrtStatus>,
}

impl Ends {
    fn failed(&self, what: &str, e: impl std::fmt::Display) {
        tracing::warn!(error = %e, "MRT {what}");
        self.status.send_modify(|s| {
            s.errors += 1;
            s.last_error = Some(format!("{what}: {e}"));
        });
    }
}

/// Seconds until the next multiple of `interval` (files start at round
/// times, as collectors' archives do).
fn until_next(interval: u32) -> Duration {
    let now = crate::clock::since_epoch(SystemTime::now());
    let i = u64::from(interval.max(1));
    let next = (now.as_secs() / i + 1) * i;
    Duration::from_secs(next).saturating_sub(now)
}

pub async fn run(mut config: Option<Mrt>, ends: Ends, mut ctl: mpsc::Receiver<MrtCtl>) {
    let mut done = None;
    loop {
        ends.status.send_modify(|s| s.enabled = config.is_some());
        // The update log runs beside the table timer, until a change.
        let (stop_log, stop_rx) = oneshot::channel();
        let log = config
            .as_ref()
            .filter(|c| c.updates_interval > 0)
            .map(|c| tokio::spawn(log::run(c.clone(), ends.clone(), stop_rx)));
        let changed = loop {
            let table = config.as_ref().map(|c| c.table_interval).filter(|i| *i > 0);
            let timer = async {
                match table {
                    Some(i) => tokio::time::sleep(until_next(i)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = timer => {
                    if let Some(c) = &config {
                        if let Err(e) = dump::dump(c, None, &ends).await {
                            ends.failed("table dump", e);
                        }
                    }
                }
                m = ctl.recv() => match m {
                    Some(MrtCtl::Dump(paths, reply)) => {
                        let r = match &config {
                            Some(c) => dump::dump(c, paths, &ends).await.map_err(|e| {
                                ends.failed("table dump", &e);
                                e.to_string()
                            }),
                            None => Err("no [mrt] section in the configuration".into()),
                        };
                        let _ = reply.send(r);
                    }
                    Some(MrtCtl::Set(c)) => {
                        if c != config {
                            break Some(c);
                        }
                    }
                    Some(MrtCtl::Shutdown(reply)) => {
                        done = Some(reply);
                        break None;
                    }
                    None => break None,
                },
            }
        };
        let _ = stop_log.send(());
        if let Some(t) = log {
            let _ = t.await;
        }
        match changed {
            Some(c) => config = c,
            None => {
                if let Some(reply) = done {
                    let _ = reply.send(());
                }
                return;
            }
        }
    }
}
