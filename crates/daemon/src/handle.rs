//! The way into a running daemon: a cloneable [`Handle`] that sends
//! [`Command`]s to the supervisor (which owns the peer tasks) and
//! [`RibMsg`] queries to the RIB task; every answer comes back on a
//! oneshot channel, so no routing state is ever shared behind a lock. The
//! API, SIGHUP reload and tests drive the daemon only through it.

use std::net::IpAddr;
use std::sync::Arc;

use rbgp_config::{Config, Neighbor};
use rbgp_wire::{AfiSafi, Nlri};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::control::{
    ControlError, Explained, Identity, LocalRoute, NeighborStatus, ReloadSummary, RibQuery,
    RibSizes, RouteEntry, SoftReset,
};
use crate::metrics::Histogram;
use crate::tasks::{Command, Reply, RibMsg, RouteEvent, SessionEvent};

/// The way into a running daemon. Cheap to clone.
#[derive(Clone)]
pub struct Handle {
    pub(crate) cmd: mpsc::Sender<Command>,
    pub(crate) rib: mpsc::Sender<RibMsg>,
    pub(crate) events: broadcast::Sender<SessionEvent>,
    /// UPDATE received -> applied in the RIB (metrics).
    pub update_latency: Arc<Histogram>,
    /// The RPKI task's sources, changed on reload.
    pub(crate) rpki: mpsc::Sender<rbgp_config::Rpki>,
    /// What the RPKI task is doing.
    pub rpki_status: watch::Receiver<crate::rpki::RpkiStatus>,
    /// The BMP task's stations, changed on reload and by the API.
    pub(crate) bmp: mpsc::Sender<crate::bmp::BmpCtl>,
    /// Each BMP station's state.
    pub bmp_status: watch::Receiver<crate::bmp::BmpStatus>,
    /// The MRT task: configuration changes, dumps on demand.
    pub(crate) mrt: mpsc::Sender<crate::mrt::MrtCtl>,
    /// What the MRT task has written.
    pub mrt_status: watch::Receiver<crate::mrt::MrtStatus>,
}

impl Handle {
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, ControlError> {
        let (tx, rx) = oneshot::channel();
        self.cmd
            .send(make(tx))
            .await
            .map_err(|_| ControlError::ShuttingDown)?;
        rx.await.map_err(|_| ControlError::ShuttingDown)?
    }

    async fn ask_rib<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> RibMsg,
    ) -> Result<T, ControlError> {
        let (tx, rx) = oneshot::channel();
        self.rib
            .send(make(tx))
            .await
            .map_err(|_| ControlError::ShuttingDown)?;
        rx.await.map_err(|_| ControlError::ShuttingDown)
    }

    pub async fn neighbors(&self) -> Result<Vec<NeighborStatus>, ControlError> {
        self.ask(Command::Neighbors).await
    }

    pub async fn neighbor(&self, addr: IpAddr) -> Result<NeighborStatus, ControlError> {
        self.neighbors()
            .await?
            .into_iter()
            .find(|n| n.neighbor.address == addr)
            .ok_or(ControlError::NoSuchNeighbor(addr))
    }

    pub async fn add_neighbor(&self, n: Neighbor) -> Result<(), ControlError> {
        self.ask(|r| Command::AddNeighbor(Box::new(n), r)).await
    }

    pub async fn delete_neighbor(&self, addr: IpAddr) -> Result<(), ControlError> {
        self.ask(|r| Command::DeleteNeighbor(addr, r)).await
    }

    pub async fn enable(&self, addr: IpAddr) -> Result<(), ControlError> {
        self.ask(|r| Command::Enable(addr, r)).await
    }

    pub async fn disable(&self, addr: IpAddr, message: Option<String>) -> Result<(), ControlError> {
        self.ask(|r| Command::Disable(addr, message, r)).await
    }

    pub async fn soft_reset(&self, addr: IpAddr, which: SoftReset) -> Result<(), ControlError> {
        self.ask(|r| Command::SoftReset(addr, which, r)).await
    }

    /// Apply a new configuration: neighbors added, removed or changed are
    /// started, stopped or restarted; the others are not touched.
    pub async fn reload(&self, config: Config) -> Result<ReloadSummary, ControlError> {
        let rpki = config.rpki.clone();
        let bmp = config.bmp.clone();
        let mrt = config.mrt.clone();
        let summary = self.ask(|r| Command::Reload(Box::new(config), r)).await?;
        // The RPKI sources start again (a file is read again) with the
        // data kept until they deliver.
        let _ = self.rpki.send(rpki).await;
        // BMP stations added or changed start, removed ones end.
        let _ = self.bmp.send(crate::bmp::BmpCtl::Set(bmp)).await;
        let _ = self.mrt.send(crate::mrt::MrtCtl::Set(mrt)).await;
        Ok(summary)
    }

    /// Change the AS and router ID as a reload would: the RIB takes them,
    /// and every session whose OPEN they change is restarted.
    pub async fn set_identity(&self, id: Identity) -> Result<ReloadSummary, ControlError> {
        self.ask(|r| Command::SetIdentity(id, r)).await
    }

    /// A running neighbor's policy chains (applied without a reset).
    pub async fn set_neighbor_policy(
        &self,
        addr: IpAddr,
        policy: rbgp_config::PeerPolicy,
    ) -> Result<(), ControlError> {
        self.ask(|r| Command::SetNeighborPolicy(addr, Box::new(policy), r))
            .await
    }

    /// The RIB's sizes (metrics).
    pub async fn rib_sizes(&self) -> Result<RibSizes, ControlError> {
        self.ask_rib(|reply| RibMsg::Sizes { reply }).await
    }

    /// The origin validation state of a route and the VRPs covering it.
    pub async fn validate_origin(
        &self,
        prefix: rbgp_wire::Prefix,
        origin: u32,
    ) -> Result<(rbgp_rib::Rpki, Vec<rbgp_rpki::Vrp>), ControlError> {
        self.ask_rib(|reply| RibMsg::ValidateOrigin {
            prefix,
            origin,
            reply,
        })
        .await
    }

    /// Write an MRT table dump now (`paths`: which, else as `[mrt]`
    /// says); the file once it is complete.
    pub async fn mrt_dump(
        &self,
        paths: Option<rbgp_config::MrtTablePaths>,
    ) -> Result<std::path::PathBuf, String> {
        let (tx, rx) = oneshot::channel();
        self.mrt
            .send(crate::mrt::MrtCtl::Dump(paths, tx))
            .await
            .map_err(|_| "the MRT task is gone".to_string())?;
        rx.await.map_err(|_| "the MRT task is gone".to_string())?
    }

    /// Close every session with Cease/Administrative Shutdown and stop.
    pub async fn shutdown(&self, message: Option<String>) -> Result<(), ControlError> {
        // BMP stations get Termination first (RFC 7854 §4.5), briefly.
        let (done, wait) = oneshot::channel();
        if self
            .bmp
            .send(crate::bmp::BmpCtl::Shutdown(done))
            .await
            .is_ok()
        {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), wait).await;
        }
        // The MRT update file being written is completed.
        let (done, wait) = oneshot::channel();
        if self
            .mrt
            .send(crate::mrt::MrtCtl::Shutdown(done))
            .await
            .is_ok()
        {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), wait).await;
        }
        self.cmd
            .send(Command::Shutdown(message))
            .await
            .map_err(|_| ControlError::ShuttingDown)
    }

    /// Originate routes (replacing any with the same family, NLRI and path
    /// id). Returns once the RIB has them.
    pub async fn add_routes(&self, routes: Vec<LocalRoute>) -> Result<(), ControlError> {
        self.queue_routes(routes)
            .await?
            .await
            .map_err(|_| ControlError::ShuttingDown)
    }

    /// Originate routes without waiting for the RIB: the receiver answers
    /// once it has them (and every route queued before, as the RIB takes
    /// its messages in order).
    pub async fn queue_routes(
        &self,
        routes: Vec<LocalRoute>,
    ) -> Result<oneshot::Receiver<()>, ControlError> {
        let (reply, rx) = oneshot::channel();
        self.rib
            .send(RibMsg::Inject { routes, reply })
            .await
            .map_err(|_| ControlError::ShuttingDown)?;
        Ok(rx)
    }

    /// Stop originating these routes; returns how many existed.
    pub async fn delete_routes(
        &self,
        keys: Vec<(AfiSafi, Nlri, u32)>,
    ) -> Result<usize, ControlError> {
        self.ask_rib(|reply| RibMsg::Remove { keys, reply }).await
    }

    /// A snapshot of the matching paths.
    pub async fn routes(&self, query: RibQuery) -> Result<Vec<RouteEntry>, ControlError> {
        self.ask_rib(|reply| RibMsg::Query { query, reply }).await?
    }

    /// A page of a table, from `from` (0: the start), keeping the paths
    /// every `keep` holds for; see `RibTask::page`.
    pub async fn route_page(
        &self,
        query: RibQuery,
        keep: Vec<crate::control::AttrMatch>,
        from: u32,
        limit: usize,
    ) -> Result<crate::control::RoutePage, ControlError> {
        self.ask_rib(|reply| RibMsg::Page {
            query,
            keep,
            from,
            limit,
            reply,
        })
        .await?
    }

    /// Every candidate path and the step that decided.
    pub async fn explain(
        &self,
        family: AfiSafi,
        nlri: Nlri,
    ) -> Result<Option<Explained>, ControlError> {
        self.ask_rib(|reply| RibMsg::Explain {
            family,
            nlri,
            reply,
        })
        .await
    }

    /// The current best paths, then every change. A receiver that falls
    /// behind gets `RecvError::Lagged` (memory stays bounded).
    pub async fn watch_routes(
        &self,
    ) -> Result<(Vec<RouteEntry>, broadcast::Receiver<RouteEvent>), ControlError> {
        self.ask_rib(|reply| RibMsg::Subscribe { reply }).await
    }

    /// Loc-RIB changes from now on (no snapshot).
    pub async fn route_changes(&self) -> Result<broadcast::Receiver<RouteEvent>, ControlError> {
        self.ask_rib(|reply| RibMsg::Changes { reply }).await
    }

    /// RFC 8326: every route sent again with GRACEFUL_SHUTDOWN to these
    /// neighbors (`None`: all established ones), then `wait`; the caller
    /// closes the sessions after. Returns how many sessions it applied to.
    pub async fn graceful_shutdown(
        &self,
        peers: Option<Vec<IpAddr>>,
        wait: std::time::Duration,
    ) -> Result<usize, ControlError> {
        let n = self
            .ask_rib(|reply| RibMsg::GracefulShutdown { peers, reply })
            .await?;
        tracing::info!(
            sessions = n,
            wait_s = wait.as_secs(),
            "graceful shutdown (RFC 8326): routes sent with GRACEFUL_SHUTDOWN"
        );
        if n > 0 {
            tokio::time::sleep(wait).await;
        }
        Ok(n)
    }

    /// Best paths per peer.
    pub async fn best_counts(
        &self,
    ) -> Result<std::collections::HashMap<IpAddr, u64>, ControlError> {
        self.ask_rib(|reply| RibMsg::BestCounts { reply }).await
    }

    pub fn watch_sessions(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }
}
