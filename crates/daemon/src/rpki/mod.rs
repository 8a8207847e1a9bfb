//! The RPKI task: validated data from RTR caches or a JSON file, handed to
//! the RIB task as [`RpkiData`] (which owns the table routes are validated
//! against, see `rib_task/rpki.rs`).
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | the task: which source, reloads, expiry, status |
//! | `cache.rs` | RTR caches: the most preferred reachable one, others standby (RFC 8210 §10) |
//! | `file.rs` | an rpki-client / Routinator JSON file, re-read when it changes |
//! | `expiry_tests.rs` | expiry with a real StayRTR stopped, on a paused clock |

mod cache;
#[cfg(test)]
mod expiry_tests;
mod file;

use std::time::SystemTime;

use rbgp_config::Rpki;
use tokio::sync::{mpsc, watch};

use crate::tasks::{RibMsg, RpkiData};

/// What the RPKI side is doing, for the API and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RpkiStatus {
    /// Whether a source is configured.
    pub enabled: bool,
    /// The cache (`address:port`) or file the RIB's data comes from.
    pub source: String,
    /// Connected to that cache (always true for a file once read).
    pub connected: bool,
    /// The RTR version negotiated with it.
    pub version: Option<u8>,
    /// Session ID and serial of its last End of Data.
    pub serial: Option<(u16, u32)>,
    pub vrps_v4: usize,
    pub vrps_v6: usize,
    pub aspas: usize,
    /// When data last changed.
    pub updated: Option<SystemTime>,
    /// The data expired (RFC 8210 §6) and is no longer used.
    pub expired: bool,
    /// End of Data responses / file reads applied.
    pub updates: u64,
    /// Times the RIB's data was replaced as a whole (new cache, Cache
    /// Reset, file).
    pub resets: u64,
    /// Connection failures, protocol errors and unreadable files.
    pub errors: u64,
    pub last_error: Option<String>,
}

/// The task's ends: data to the RIB, status for readers, configuration
/// changes (SIGHUP, which also re-reads a file).
pub struct Rtr {
    pub rib: mpsc::Sender<RibMsg>,
    pub status: watch::Sender<RpkiStatus>,
}

impl Rtr {
    /// Hand data to the RIB task; false when it is gone.
    async fn send(&self, data: RpkiData) -> bool {
        self.rib.send(RibMsg::Rpki(data)).await.is_ok()
    }

    fn error(&self, e: impl std::fmt::Display) {
        let e = e.to_string();
        tracing::warn!(error = %e, "RPKI");
        self.status.send_modify(|s| {
            s.errors += 1;
            s.last_error = Some(e);
        });
    }
}

/// Run the sources of `config`, starting again with each new one from
/// `reload`, until the RIB task is gone.
pub async fn run(mut config: Rpki, rtr: Rtr, mut reload: mpsc::Receiver<Rpki>) {
    loop {
        rtr.status.send_modify(|s| s.enabled = config.enabled());
        if !rtr
            .send(RpkiData::Community(config.origin_validation_community))
            .await
        {
            return;
        }
        let next = if let Some(path) = config.file.clone() {
            tokio::select! {
                () = file::run(&path, &rtr) => return,
                c = reload.recv() => c,
            }
        } else if !config.caches.is_empty() {
            tokio::select! {
                () = cache::run(&config.caches, &rtr) => return,
                c = reload.recv() => c,
            }
        } else {
            reload.recv().await
        };
        let Some(next) = next else { return };
        if next != config {
            tracing::info!("RPKI sources changed: starting again (the data is kept until the new source's first full set)");
        }
        config = next;
    }
}
