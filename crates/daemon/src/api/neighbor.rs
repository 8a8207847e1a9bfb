//! NeighborService: sessions, peer groups and dynamic ranges. Neighbors,
//! groups and ranges added here are stored and come back after a restart;
//! those of the configuration file are changed there.

use rbgp_api::convert;
use rbgp_api::v1::neighbor_service_server::NeighborService;
use rbgp_api::v1::*;
use rbgp_api::FieldError;
use rbgp_config::ConfigError;
use rbgp_store::{DISABLED, DYNAMIC_NEIGHBORS, NEIGHBORS, PEER_GROUPS};
use std::net::IpAddr;
use tonic::{Request, Response, Status};

use super::{status, store_status, RpcStream, Service};
use crate::control::SoftReset;

fn address(text: &str) -> Result<IpAddr, Status> {
    convert::parse_ip(text, "address").map_err(Status::from)
}

fn config_status(e: ConfigError, at: &str) -> Status {
    match e {
        ConfigError::Invalid { field, reason } => {
            FieldError::new(format!("{at}.{field}"), reason).into()
        }
        other => Status::invalid_argument(other.to_string()),
    }
}

impl Service {
    /// Applies the file plus the API's groups and ranges.
    async fn apply_overlay(&self) -> Result<(), Status> {
        let merged = self.inner.merged();
        self.inner.handle.reload(merged).await.map_err(status)?;
        self.inner.refresh_api_neighbors().await;
        Ok(())
    }
}

#[tonic::async_trait]
impl NeighborService for Service {
    async fn add_neighbor(
        &self,
        req: Request<AddNeighborRequest>,
    ) -> Result<Response<AddNeighborResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let n = req
            .into_inner()
            .neighbor
            .ok_or_else(|| FieldError::new("neighbor", "required"))?;
        let c = convert::neighbor_from_proto(&n).map_err(|e| e.in_field("neighbor"))?;
        let resolved = self
            .inner
            .resolve_api(&c)
            .map_err(|e| config_status(e, "neighbor.settings"))?;
        if self.inner.handle.neighbor(c.address).await.is_ok() {
            return Err(Status::already_exists(format!(
                "neighbor {} already exists",
                c.address
            )));
        }
        let key = c.address.to_string();
        self.inner
            .store
            .put(&NEIGHBORS, &key, &n)
            .map_err(store_status)?;
        if let Err(e) = self.inner.handle.add_neighbor(resolved).await {
            // Not running, so not kept either.
            let _ = self.inner.store.delete(&NEIGHBORS, &key);
            return Err(status(e));
        }
        Ok(Response::new(AddNeighborResponse {}))
    }

    async fn delete_neighbor(
        &self,
        req: Request<DeleteNeighborRequest>,
    ) -> Result<Response<DeleteNeighborResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let addr = address(&req.get_ref().address)?;
        let n = self.inner.handle.neighbor(addr).await.map_err(status)?;
        if !n.from_api && !n.dynamic {
            return Err(Status::failed_precondition(format!(
                "neighbor {addr} is in the configuration file: remove it there and reload"
            )));
        }
        let key = addr.to_string();
        self.inner
            .store
            .delete(&NEIGHBORS, &key)
            .map_err(store_status)?;
        self.inner
            .store
            .delete(&DISABLED, &key)
            .map_err(store_status)?;
        self.inner
            .handle
            .delete_neighbor(addr)
            .await
            .map_err(status)?;
        Ok(Response::new(DeleteNeighborResponse {}))
    }

    type ListNeighborsStream = RpcStream<ListNeighborsResponse>;

    async fn list_neighbors(
        &self,
        req: Request<ListNeighborsRequest>,
    ) -> Result<Response<Self::ListNeighborsStream>, Status> {
        let want = req.get_ref().state;
        let mut all = self.inner.handle.neighbors().await.map_err(status)?;
        all.sort_by_key(|n| n.neighbor.address);
        let items: Vec<Result<ListNeighborsResponse, Status>> = all
            .iter()
            .map(super::status::neighbor)
            .filter(|n| want == 0 || n.state == want)
            .map(|n| Ok(ListNeighborsResponse { neighbor: Some(n) }))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(items))))
    }

    async fn get_neighbor(
        &self,
        req: Request<GetNeighborRequest>,
    ) -> Result<Response<GetNeighborResponse>, Status> {
        let addr = address(&req.get_ref().address)?;
        let n = self.inner.handle.neighbor(addr).await.map_err(status)?;
        Ok(Response::new(GetNeighborResponse {
            neighbor: Some(super::status::neighbor(&n)),
        }))
    }

    async fn enable_neighbor(
        &self,
        req: Request<EnableNeighborRequest>,
    ) -> Result<Response<EnableNeighborResponse>, Status> {
        self.writable()?;
        let addr = address(&req.get_ref().address)?;
        // Deleting a record that is not there is harmless; `enable` tells
        // an unknown neighbor apart.
        self.inner
            .store
            .delete(&DISABLED, &addr.to_string())
            .map_err(store_status)?;
        self.inner.handle.enable(addr).await.map_err(status)?;
        Ok(Response::new(EnableNeighborResponse {}))
    }

    async fn disable_neighbor(
        &self,
        req: Request<DisableNeighborRequest>,
    ) -> Result<Response<DisableNeighborResponse>, Status> {
        self.writable()?;
        let r = req.into_inner();
        let addr = address(&r.address)?;
        // RFC 9003: at most 255 octets.
        if r.communication.len() > 255 {
            return Err(FieldError::new("communication", "at most 255 octets (RFC 9003)").into());
        }
        let wait = super::graceful_wait(r.graceful, r.graceful_wait_seconds)?;
        let n = self.inner.handle.neighbor(addr).await.map_err(status)?;
        if !n.dynamic {
            // Kept across restarts (a dynamic neighbor lasts one session).
            let canon = DisableNeighborRequest {
                address: addr.to_string(),
                communication: r.communication.clone(),
                ..Default::default()
            };
            self.inner
                .store
                .put(&DISABLED, &canon.address, &canon)
                .map_err(store_status)?;
        }
        let msg = (!r.communication.is_empty()).then_some(r.communication);
        // In a task of its own: a client that goes away during the RFC
        // 8326 wait must not leave the session marked and open.
        let h = self.inner.handle.clone();
        let close = tokio::spawn(async move {
            if let Some(wait) = wait {
                h.graceful_shutdown(Some(vec![addr]), wait).await?;
            }
            h.disable(addr, msg).await
        });
        close
            .await
            .map_err(|e| Status::internal(format!("closing the session: {e}")))?
            .map_err(status)?;
        Ok(Response::new(DisableNeighborResponse {}))
    }

    async fn reset_neighbor(
        &self,
        req: Request<ResetNeighborRequest>,
    ) -> Result<Response<ResetNeighborResponse>, Status> {
        self.writable()?;
        let r = req.into_inner();
        let addr = address(&r.address)?;
        let h = &self.inner.handle;
        let soft = |w| async move { h.soft_reset(addr, w).await.map_err(status) };
        match reset_neighbor_request::Kind::try_from(r.kind) {
            Ok(reset_neighbor_request::Kind::SoftBoth) => soft(SoftReset::Both).await?,
            Ok(reset_neighbor_request::Kind::SoftIn) => soft(SoftReset::In).await?,
            Ok(reset_neighbor_request::Kind::SoftOut) => soft(SoftReset::Out).await?,
            Ok(reset_neighbor_request::Kind::Hard) => {
                h.disable(addr, Some("administrative reset".into()))
                    .await
                    .map_err(status)?;
                h.enable(addr).await.map_err(status)?;
            }
            Err(_) => {
                return Err(FieldError::new("kind", format!("unknown value {}", r.kind)).into())
            }
        }
        Ok(Response::new(ResetNeighborResponse {}))
    }

    async fn add_peer_group(
        &self,
        req: Request<AddPeerGroupRequest>,
    ) -> Result<Response<AddPeerGroupResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let g = req
            .into_inner()
            .group
            .ok_or_else(|| FieldError::new("group", "required"))?;
        let (name, settings) =
            convert::peer_group_from_proto(&g).map_err(|e| e.in_field("group"))?;
        let in_file = self
            .inner
            .with_file(|file, _| file.peer_groups.contains_key(&name));
        if in_file {
            return Err(Status::already_exists(format!(
                "peer group {name:?} is in the configuration file"
            )));
        }
        self.inner
            .store
            .put(&PEER_GROUPS, &name, &g)
            .map_err(store_status)?;
        self.inner.with_file(|_, o| o.groups.insert(name, settings));
        self.apply_overlay().await?;
        Ok(Response::new(AddPeerGroupResponse {}))
    }

    async fn delete_peer_group(
        &self,
        req: Request<DeletePeerGroupRequest>,
    ) -> Result<Response<DeletePeerGroupResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let name = req.into_inner().name;
        let stored = self.inner.store.load(&NEIGHBORS).map_err(store_status)?;
        let used_by_api = stored.iter().any(|(_, n)| n.peer_group == name);
        let (known, used) = self.inner.with_file(|file, o| {
            let known = o.groups.contains_key(&name);
            let used = used_by_api
                || file
                    .neighbors
                    .iter()
                    .any(|n| n.peer_group.as_deref() == Some(&name))
                || file
                    .dynamic_neighbors
                    .iter()
                    .chain(&o.dynamic)
                    .any(|d| d.peer_group == name);
            (known, used)
        });
        if !known {
            return Err(Status::not_found(format!(
                "no peer group {name:?} added through the API"
            )));
        }
        if used {
            return Err(Status::failed_precondition(format!(
                "peer group {name:?} is in use"
            )));
        }
        self.inner
            .store
            .delete(&PEER_GROUPS, &name)
            .map_err(store_status)?;
        self.inner.with_file(|_, o| o.groups.remove(&name));
        self.apply_overlay().await?;
        Ok(Response::new(DeletePeerGroupResponse {}))
    }

    async fn list_peer_groups(
        &self,
        _req: Request<ListPeerGroupsRequest>,
    ) -> Result<Response<ListPeerGroupsResponse>, Status> {
        let groups = self
            .inner
            .merged()
            .peer_groups
            .iter()
            .map(|(name, s)| PeerGroup {
                name: name.clone(),
                settings: Some(convert::settings_to_proto(s)),
            })
            .collect();
        Ok(Response::new(ListPeerGroupsResponse { groups }))
    }

    async fn add_dynamic_neighbor(
        &self,
        req: Request<AddDynamicNeighborRequest>,
    ) -> Result<Response<AddDynamicNeighborResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let d = req
            .into_inner()
            .range
            .ok_or_else(|| FieldError::new("range", "required"))?;
        let range = convert::dynamic_from_proto(&d).map_err(|e| e.in_field("range"))?;
        if !self
            .inner
            .merged()
            .peer_groups
            .contains_key(&range.peer_group)
        {
            return Err(FieldError::new(
                "range.peer_group",
                format!("no peer group {:?}", range.peer_group),
            )
            .into());
        }
        let key = range.prefix.to_string();
        let canon = DynamicNeighbor {
            prefix: key.clone(),
            peer_group: range.peer_group.clone(),
            max_neighbors: Some(range.max_neighbors),
        };
        self.inner
            .store
            .put(&DYNAMIC_NEIGHBORS, &key, &canon)
            .map_err(store_status)?;
        self.inner.with_file(|_, o| {
            o.dynamic.retain(|x| x.prefix != range.prefix);
            o.dynamic.push(range);
        });
        self.apply_overlay().await?;
        Ok(Response::new(AddDynamicNeighborResponse {}))
    }

    async fn delete_dynamic_neighbor(
        &self,
        req: Request<DeleteDynamicNeighborRequest>,
    ) -> Result<Response<DeleteDynamicNeighborResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let prefix = convert::prefix_from_proto(&req.get_ref().prefix, "prefix")?;
        if !self
            .inner
            .store
            .delete(&DYNAMIC_NEIGHBORS, &prefix.to_string())
            .map_err(store_status)?
        {
            return Err(Status::not_found(format!(
                "no dynamic range {prefix} added through the API"
            )));
        }
        self.inner
            .with_file(|_, o| o.dynamic.retain(|x| x.prefix != prefix));
        self.apply_overlay().await?;
        Ok(Response::new(DeleteDynamicNeighborResponse {}))
    }

    async fn list_dynamic_neighbors(
        &self,
        _req: Request<ListDynamicNeighborsRequest>,
    ) -> Result<Response<ListDynamicNeighborsResponse>, Status> {
        let ranges = self
            .inner
            .merged()
            .dynamic_neighbors
            .iter()
            .map(|d| DynamicNeighbor {
                prefix: d.prefix.to_string(),
                peer_group: d.peer_group.clone(),
                max_neighbors: Some(d.max_neighbors),
            })
            .collect();
        Ok(Response::new(ListDynamicNeighborsResponse { ranges }))
    }
}
