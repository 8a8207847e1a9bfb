//! ControlService: health, graceful shutdown, reload.

use rbgp_api::v1::control_service_server::ControlService;
use rbgp_api::v1::*;
use rbgp_api::FieldError;
use rbgp_fsm::State;
use tonic::{Request, Response, Status};

use super::{status, Service};

#[tonic::async_trait]
impl ControlService for Service {
    async fn health(
        &self,
        _req: Request<HealthRequest>,
    ) -> Result<Response<HealthResponse>, Status> {
        let (st, neighbors, established) = match self.inner.handle.neighbors().await {
            Ok(n) => (
                health_response::Status::Serving,
                n.len(),
                n.iter()
                    .filter(|n| n.session.state == State::Established)
                    .count(),
            ),
            Err(_) => (health_response::Status::Stopping, 0, 0),
        };
        let mut rib: Vec<RibSize> = match self.inner.handle.rib_sizes().await {
            Ok(s) => s
                .families
                .iter()
                .map(|(f, routes, paths)| RibSize {
                    family: Some(rbgp_api::convert::family_to_proto(*f)),
                    routes: *routes,
                    paths: *paths,
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        rib.sort_by_key(|r| r.family.as_ref().map(|f| (f.afi, f.safi)));
        Ok(Response::new(HealthResponse {
            status: st as i32,
            version: env!("CARGO_PKG_VERSION").to_string(),
            uptime_seconds: self.inner.started.elapsed().as_secs(),
            neighbors: u32::try_from(neighbors).unwrap_or(u32::MAX),
            established: u32::try_from(established).unwrap_or(u32::MAX),
            read_only: self.read_only,
            rib,
        }))
    }

    async fn shutdown(
        &self,
        req: Request<ShutdownRequest>,
    ) -> Result<Response<ShutdownResponse>, Status> {
        self.writable()?;
        let r = req.into_inner();
        let wait = super::graceful_wait(r.graceful, r.graceful_wait_seconds)?;
        let c = r.communication;
        tracing::info!(communication = %c, graceful = r.graceful, "shutdown requested through the API");
        // In a task of its own: a client that goes away during the RFC
        // 8326 wait must not leave every session marked and rbgpd running.
        let h = self.inner.handle.clone();
        let stop = tokio::spawn(async move {
            if let Some(wait) = wait {
                h.graceful_shutdown(None, wait).await?;
            }
            h.shutdown((!c.is_empty()).then_some(c)).await
        });
        stop.await
            .map_err(|e| Status::internal(format!("stopping: {e}")))?
            .map_err(status)?;
        Ok(Response::new(ShutdownResponse {}))
    }

    async fn trigger_mrt_dump(
        &self,
        req: Request<TriggerMrtDumpRequest>,
    ) -> Result<Response<TriggerMrtDumpResponse>, Status> {
        use rbgp_api::v1::MrtTablePaths as P;
        use rbgp_config::MrtTablePaths as T;
        let paths = match P::try_from(req.into_inner().paths) {
            Ok(P::Unspecified) => None,
            Ok(P::All) => Some(T::All),
            Ok(P::Best) => Some(T::Best),
            Err(_) => {
                return Err(FieldError::new("paths", "not ALL, BEST or unspecified").into());
            }
        };
        self.writable()?;
        let path = self
            .inner
            .handle
            .mrt_dump(paths)
            .await
            .map_err(Status::failed_precondition)?;
        Ok(Response::new(TriggerMrtDumpResponse {
            path: path.display().to_string(),
        }))
    }

    async fn reload(
        &self,
        _req: Request<ReloadRequest>,
    ) -> Result<Response<ReloadResponse>, Status> {
        self.writable()?;
        let s = self
            .inner
            .reload()
            .await
            .map_err(|e| Status::failed_precondition(format!("{e:#}")))?;
        let strs = |v: &[std::net::IpAddr]| v.iter().map(ToString::to_string).collect();
        Ok(Response::new(ReloadResponse {
            added: strs(&s.added),
            removed: strs(&s.removed),
            changed: strs(&s.changed),
        }))
    }
}
