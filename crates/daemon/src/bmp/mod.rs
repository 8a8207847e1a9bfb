//! BMP export (RFC 7854, RFC 8671 Adj-RIB-Out, RFC 9069 Loc-RIB): one task
//! per configured station. A station's task connects (with back-off),
//! attaches to the RIB task with the views the station wants
//! (`RibMsg::BmpAttach`), sends Initiation, Peer Up for each session and
//! the snapshot of each view, then every change, and Statistics Reports
//! on a timer. The RIB task never waits for a station: past the
//! station's buffer it drops the station's sink, and the task resets the
//! connection and starts again (a resync), counted in `/metrics`.
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | the stations' tasks started and stopped as the configuration changes; status |
//! | `station.rs` | one station: connect, attach, snapshot, changes, statistics, Termination |
//! | `encode.rs` | events to BMP messages (pure) |

pub(crate) mod encode;
mod station;

use std::collections::BTreeMap;

use rbgp_config::{Bmp, BmpCollector};
use tokio::sync::{mpsc, oneshot, watch};

use crate::tasks::RibMsg;

/// Each station's state (`address:port`), for the API and `/metrics`.
pub type BmpStatus = BTreeMap<String, StationStatus>;

/// One station's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StationStatus {
    pub collector: Option<BmpCollector>,
    pub connected: bool,
    /// BMP messages written since start.
    pub messages: u64,
    /// Connections made.
    pub connects: u64,
    /// Times the station fell behind past its buffer and was reset.
    pub overflows: u64,
    /// Connection failures and write errors.
    pub errors: u64,
    pub last_error: Option<String>,
}

/// What the BMP task is told.
#[derive(Debug)]
pub enum BmpCtl {
    /// The stations to have (reload, the API).
    Set(Bmp),
    /// The daemon stops: send each station Termination (RFC 7854 §4.5).
    Shutdown(oneshot::Sender<()>),
}

struct Running {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// The BMP task: keeps one task per configured station.
pub async fn run(
    mut config: Bmp,
    rib: mpsc::Sender<RibMsg>,
    mut ctl: mpsc::Receiver<BmpCtl>,
    status: watch::Sender<BmpStatus>,
) {
    let mut running: BTreeMap<BmpCollector, Running> = BTreeMap::new();
    loop {
        let name = config
            .sys_name
            .clone()
            .unwrap_or_else(|| hostname().unwrap_or_else(|| "rbgpd".into()));
        let wanted: Vec<BmpCollector> = config.collectors.clone();
        // Stop the stations no longer configured as they are.
        let gone: Vec<BmpCollector> = running
            .keys()
            .filter(|c| !wanted.contains(c))
            .cloned()
            .collect();
        for c in gone {
            if let Some(r) = running.remove(&c) {
                let _ = r.stop.send(());
                let _ = r.task.await;
            }
            status.send_modify(|s| {
                s.remove(&c.key());
            });
        }
        for c in wanted {
            if running.contains_key(&c) {
                continue;
            }
            let (stop, stop_rx) = oneshot::channel();
            let st = station::Station {
                collector: c.clone(),
                sys_name: name.clone(),
                sys_descr: config.sys_descr.clone(),
                rib: rib.clone(),
                status: status.clone(),
            };
            status.send_modify(|s| {
                s.insert(
                    c.key(),
                    StationStatus {
                        collector: Some(c.clone()),
                        ..StationStatus::default()
                    },
                );
            });
            let task = tokio::spawn(st.run(stop_rx));
            running.insert(c, Running { stop, task });
        }
        match ctl.recv().await {
            Some(BmpCtl::Set(c)) => config = c,
            Some(BmpCtl::Shutdown(done)) => {
                for (_, r) in std::mem::take(&mut running) {
                    let _ = r.stop.send(());
                    let _ = r.task.await;
                }
                let _ = done.send(());
                return;
            }
            None => return,
        }
    }
}

/// The host name (sysName's default).
fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}
