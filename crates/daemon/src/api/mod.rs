//! The gRPC API (package rbgp.v1, crates/api) served over the control
//! [`Handle`]: one file per service, all implemented on [`Service`].
//!
//! Flow of a mutating RPC: validate (rbgp_api::convert, INVALID_ARGUMENT
//! naming the field) -> write to the store (committed before we go on) ->
//! apply through the Handle -> OK. At start, [`start`] merges stored peer
//! groups, dynamic ranges and global settings into the configuration,
//! starts the daemon with the stored disabled neighbors down, then re-adds
//! stored neighbors, paths and FlowSpec rules.

mod auth;
mod authority;
mod bmp;
mod control_svc;
mod event;
mod global;
mod injection;
mod limit;
mod listen;
pub mod metrics;
mod neighbor;
mod policy;
mod policy_overlay;
mod restore;
mod rib;
mod rpki;
mod slow;
mod status;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rbgp_config::{Config, DynamicNeighbor, PeerSettings};
use rbgp_store::Store;
use tokio::task::JoinHandle;
use tonic::Status;

use crate::control::{ControlError, ReloadSummary};
use crate::handle::Handle;

/// The stream type of every server-streaming RPC.
type RpcStream<T> = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send>>;

/// What the API added to the file's configuration: kept apart so a reload
/// of the file does not drop it.
#[derive(Default)]
struct Overlay {
    groups: BTreeMap<String, PeerSettings>,
    dynamic: Vec<DynamicNeighbor>,
    /// [global] fields set through GlobalService.SetGlobal: they win over
    /// the file's.
    asn: Option<u32>,
    router_id: Option<Ipv4Addr>,
    /// Sets, policies and attachments added through PolicyService.
    policy: policy_overlay::PolicyOverlay,
    /// BMP stations added through BmpService.
    bmp: Vec<rbgp_config::BmpCollector>,
}

impl Overlay {
    fn merged(&self, file: &Config) -> Config {
        let mut c = file.clone();
        if let Some(asn) = self.asn {
            c.global.asn = asn;
        }
        if let Some(id) = self.router_id {
            c.global.router_id = id;
        }
        for (name, g) in &self.groups {
            c.peer_groups.insert(name.clone(), g.clone());
        }
        c.dynamic_neighbors.extend(self.dynamic.iter().cloned());
        self.policy.apply(&mut c);
        c.bmp.collectors.extend(self.bmp.iter().cloned());
        c
    }
}

/// State shared by every listener's services.
pub struct Inner {
    handle: Handle,
    store: Store,
    /// The configuration file's content, and the API's additions.
    file: Mutex<(Config, Overlay)>,
    config_path: Option<PathBuf>,
    started: Instant,
    /// API calls and errors per method (metrics).
    calls: Arc<metrics::ApiCalls>,
    /// Serialises every change of the file or the API's additions (a
    /// reload, SetGlobal, groups, ranges, neighbors, policy): each checks,
    /// stores and applies in one piece, so two cannot interleave and
    /// apply a state neither checked.
    config_lock: tokio::sync::Mutex<()>,
    /// Set when rbgpd stops: the servers answer what is in flight (a
    /// Shutdown call's own reply among it) and end.
    stop: tokio::sync::watch::Sender<bool>,
}

impl Inner {
    /// Resolves once rbgpd stops.
    fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }
    fn merged(&self) -> Config {
        match self.file.lock() {
            Ok(g) => g.1.merged(&g.0),
            Err(p) => {
                let g = p.into_inner();
                g.1.merged(&g.0)
            }
        }
    }

    fn with_file<T>(&self, f: impl FnOnce(&mut Config, &mut Overlay) -> T) -> T {
        let mut g = match self.file.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let (c, o) = &mut *g;
        f(c, o)
    }

    /// An API-added neighbor resolved with the file, the API's groups and
    /// its attachments.
    fn resolve_api(
        &self,
        n: &rbgp_config::NeighborConfig,
    ) -> Result<rbgp_config::Neighbor, rbgp_config::ConfigError> {
        let (merged, n) = self.with_file(|file, o| (o.merged(file), o.policy.neighbor(n)));
        merged.resolve(&n)
    }

    /// After a change of policy, groups or the file: the API-added
    /// neighbors' chains again (a reload covers the others).
    async fn refresh_api_neighbors(&self) {
        let stored = match self.store.load(&rbgp_store::NEIGHBORS) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "reading stored neighbors");
                return;
            }
        };
        for (key, n) in stored {
            let resolved = rbgp_api::convert::neighbor_from_proto(&n)
                .map_err(|e| e.to_string())
                .and_then(|c| self.resolve_api(&c).map_err(|e| e.to_string()));
            match resolved {
                Ok(n) => {
                    if let Err(e) = self.handle.set_neighbor_policy(n.address, n.policy).await {
                        tracing::debug!(key, error = %e, "policy of an API neighbor not applied");
                    }
                }
                Err(e) => tracing::warn!(key, error = %e, "API neighbor no longer resolves"),
            }
        }
    }

    /// Re-reads the configuration file (SIGHUP, ControlService.Reload) and
    /// applies it with the API's groups and ranges added.
    pub async fn reload(&self) -> anyhow::Result<ReloadSummary> {
        let Some(path) = &self.config_path else {
            anyhow::bail!("rbgpd runs its built-in configuration: no file to reload");
        };
        let _one = self.config_lock.lock().await;
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let c = Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        // Checked with the API's additions before it replaces anything: a
        // file that does not go with them leaves the daemon as it was.
        let merged = self.with_file(|_, overlay| overlay.merged(&c));
        merged
            .check()
            .map_err(|e| anyhow::anyhow!("with the API's additions: {e}"))?;
        let old = self.with_file(|file, _| std::mem::replace(file, c));
        let summary = match self.handle.reload(merged).await {
            Ok(s) => s,
            Err(e) => {
                self.with_file(|file, _| *file = old);
                return Err(e.into());
            }
        };
        self.refresh_api_neighbors().await;
        Ok(summary)
    }
}

/// The services of one listener. Mutating RPCs on a read-only listener
/// fail with PERMISSION_DENIED.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
    read_only: bool,
}

impl Service {
    fn writable(&self) -> Result<(), Status> {
        if self.read_only {
            Err(Status::permission_denied(
                "this API listener is read-only (read_only = true)",
            ))
        } else {
            Ok(())
        }
    }
}

fn status(e: ControlError) -> Status {
    match e {
        ControlError::NoSuchNeighbor(_) => Status::not_found(e.to_string()),
        ControlError::NeighborExists(_) => Status::already_exists(e.to_string()),
        ControlError::Invalid { .. } => Status::invalid_argument(e.to_string()),
        ControlError::ShuttingDown => Status::unavailable(e.to_string()),
    }
}

/// The RFC 8326 wait of a graceful shutdown request: `None` when not
/// graceful; 0 seconds means the default 30.
fn graceful_wait(graceful: bool, seconds: u32) -> Result<Option<std::time::Duration>, Status> {
    if !graceful {
        if seconds != 0 {
            return Err(
                rbgp_api::FieldError::new("graceful_wait_seconds", "needs graceful").into(),
            );
        }
        return Ok(None);
    }
    if seconds > 3600 {
        return Err(rbgp_api::FieldError::new("graceful_wait_seconds", "at most 3600").into());
    }
    let s = if seconds == 0 { 30 } else { seconds };
    Ok(Some(std::time::Duration::from_secs(u64::from(s))))
}

/// A store failure: nothing of the request was applied. A full state
/// directory is the operator's to fix, not an internal error.
fn store_status(e: rbgp_store::StoreError) -> Status {
    tracing::error!(error = %e, "API state store");
    if e.is_full() {
        Status::resource_exhausted(format!("state store: {e}; nothing was changed"))
    } else {
        Status::internal(format!("state store: {e}; nothing was changed"))
    }
}

/// The running daemon with its API.
pub struct Running {
    pub handle: Handle,
    pub done: JoinHandle<()>,
    pub api: Arc<Inner>,
    pub servers: Vec<JoinHandle<()>>,
}

impl Running {
    /// The API servers answer the calls in flight and end (streams still
    /// open after `grace` are cut).
    pub async fn stop_api(servers: Vec<JoinHandle<()>>, api: &Inner, grace: std::time::Duration) {
        api.stop.send_replace(true);
        let all = async {
            for s in servers {
                let _ = s.await;
            }
        };
        let _ = tokio::time::timeout(grace, all).await;
    }
}

/// Open the store, start the daemon with the stored groups and ranges,
/// restore what the API had added, and serve the API.
pub async fn start(file: Config, config_path: Option<PathBuf>) -> anyhow::Result<Running> {
    let store = Store::open(&file.global.state_dir)?;
    let overlay = restore::overlay(&store)?;
    let disabled = restore::disabled(&store)?;
    let (handle, done) = crate::daemon::start(overlay.merged(&file), disabled).await?;
    let inner = Arc::new(Inner {
        handle: handle.clone(),
        store,
        file: Mutex::new((file.clone(), overlay)),
        config_path,
        started: Instant::now(),
        calls: Arc::default(),
        config_lock: tokio::sync::Mutex::new(()),
        stop: tokio::sync::watch::Sender::new(false),
    });
    restore::state(&inner).await?;
    let servers = listen::serve(&inner, &file).await?;
    Ok(Running {
        handle,
        done,
        api: inner,
        servers,
    })
}
