//! InjectionService: paths and FlowSpec rules originated through the API,
//! stored before they are announced.

use std::sync::Arc;

use rbgp_api::convert::{self, FlowRule, InjectedPath};
use rbgp_api::v1::injection_service_server::InjectionService;
use rbgp_api::v1::*;
use rbgp_api::FieldError;
use rbgp_rib::Attrs;
use rbgp_store::{FLOWSPEC, PATHS};
use rbgp_wire::attr::Origin;
use rbgp_wire::{AfiSafi, Nlri, Safi};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::{status, store_status, Inner, RpcStream, Service};
use crate::control::{ControlError, LocalRoute};

/// A validated path: its store key, canonical message and value.
type Checked = (String, Path, InjectedPath);

/// Validated batches of an AddPaths stream waiting to be stored: while
/// one commit runs, the next batches are validated.
const AHEAD: usize = 4;

pub(super) fn local_route(p: InjectedPath) -> LocalRoute {
    LocalRoute {
        family: p.family,
        nlri: Nlri::Prefix(p.prefix),
        path_id: p.path_id,
        attrs: p.attrs,
    }
}

fn flow_family(r: &FlowRule) -> AfiSafi {
    let safi = if r.spec.is_vpn() {
        Safi::FLOWSPEC_VPN
    } else {
        Safi::FLOWSPEC
    };
    AfiSafi::new(r.spec.afi(), safi)
}

pub(super) fn flow_route(r: FlowRule) -> LocalRoute {
    LocalRoute {
        family: flow_family(&r),
        attrs: Attrs {
            origin: Some(Origin::Igp),
            ext_communities: r.actions.iter().copied().collect(),
            communities: r.communities.iter().copied().collect(),
            ..Attrs::default()
        },
        nlri: Nlri::FlowSpec(Box::new(r.spec)),
        path_id: 0,
    }
}

fn unicast(p: &rbgp_wire::Prefix) -> AfiSafi {
    if p.is_ipv4() {
        AfiSafi::IPV4_UNICAST
    } else {
        AfiSafi::IPV6_UNICAST
    }
}

/// Validated paths with their store keys and canonical messages.
fn checked(paths: &[Path], first: usize) -> Result<Vec<Checked>, Status> {
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = convert::path_from_proto(p)
                .map_err(|e| e.in_field(&format!("paths[{}]", first + i)))?;
            let canon = convert::path_to_proto(&v.prefix, v.path_id, &v.attrs);
            Ok((convert::path_key(&v.prefix, v.path_id), canon, v))
        })
        .collect()
}

/// Commit a batch to the store, on a blocking thread.
async fn store_paths(inner: &Arc<Inner>, batch: Vec<Checked>) -> Result<Vec<Checked>, Status> {
    let inner = Arc::clone(inner);
    tokio::task::spawn_blocking(move || {
        inner
            .store
            .put_many(&PATHS, batch.iter().map(|(k, p, _)| (k.as_str(), p)))
            .map(|()| batch)
            .map_err(store_status)
    })
    .await
    .map_err(|e| Status::internal(format!("state store task: {e}")))?
}

fn routes(batch: Vec<Checked>) -> Vec<LocalRoute> {
    batch.into_iter().map(|(_, _, v)| local_route(v)).collect()
}

/// The second stage of AddPaths: each batch committed (batches that queued
/// up during a commit share the next one: group commit), then queued to
/// the RIB without waiting for it; at the end, the RIB's answer to the last
/// batch (it takes them in order). How many paths were applied.
async fn apply_batches(
    inner: Arc<Inner>,
    mut rx: mpsc::Receiver<Vec<Checked>>,
) -> Result<u64, Status> {
    let mut applied = 0u64;
    let mut last = None;
    while let Some(mut batch) = rx.recv().await {
        while let Ok(more) = rx.try_recv() {
            batch.extend(more);
        }
        let batch = store_paths(&inner, batch).await?;
        applied += batch.len() as u64;
        last = Some(
            inner
                .handle
                .queue_routes(routes(batch))
                .await
                .map_err(status)?,
        );
    }
    if let Some(rib) = last {
        rib.await.map_err(|_| status(ControlError::ShuttingDown))?;
    }
    Ok(applied)
}

impl Service {
    async fn add_paths(&self, batch: Vec<Checked>) -> Result<(), Status> {
        let batch = store_paths(&self.inner, batch).await?;
        self.inner
            .handle
            .add_routes(routes(batch))
            .await
            .map_err(status)
    }

    async fn delete_paths(&self, keys: &[PathKey], first: usize) -> Result<usize, Status> {
        let mut store_keys = Vec::with_capacity(keys.len());
        let mut rib_keys = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let prefix =
                convert::prefix_from_proto(&k.prefix, &format!("paths[{}].prefix", first + i))?;
            store_keys.push(convert::path_key(&prefix, k.path_id));
            rib_keys.push((unicast(&prefix), Nlri::Prefix(prefix), k.path_id));
        }
        let n = self
            .inner
            .store
            .delete_many(&PATHS, &store_keys)
            .map_err(store_status)?;
        self.inner
            .handle
            .delete_routes(rib_keys)
            .await
            .map_err(status)?;
        Ok(n)
    }
}

#[tonic::async_trait]
impl InjectionService for Service {
    async fn add_path(
        &self,
        req: Request<AddPathRequest>,
    ) -> Result<Response<AddPathResponse>, Status> {
        self.writable()?;
        let p = req
            .into_inner()
            .path
            .ok_or_else(|| FieldError::new("path", "required"))?;
        let v = convert::path_from_proto(&p).map_err(|e| e.in_field("path"))?;
        let canon = convert::path_to_proto(&v.prefix, v.path_id, &v.attrs);
        self.add_paths(vec![(convert::path_key(&v.prefix, v.path_id), canon, v)])
            .await?;
        Ok(Response::new(AddPathResponse {}))
    }

    async fn delete_path(
        &self,
        req: Request<DeletePathRequest>,
    ) -> Result<Response<DeletePathResponse>, Status> {
        self.writable()?;
        let r = req.into_inner();
        let key = PathKey {
            prefix: r.prefix,
            path_id: r.path_id,
        };
        let n = self
            .delete_paths(std::slice::from_ref(&key), 0)
            .await
            .map_err(|s| Status::new(s.code(), s.message().replace("paths[0].", "")))?;
        Ok(Response::new(DeletePathResponse { existed: n > 0 }))
    }

    async fn add_paths(
        &self,
        req: Request<Streaming<AddPathsRequest>>,
    ) -> Result<Response<AddPathsResponse>, Status> {
        self.writable()?;
        let mut stream = req.into_inner();
        let (tx, rx) = mpsc::channel(AHEAD);
        let apply = tokio::spawn(apply_batches(Arc::clone(&self.inner), rx));
        // Validate here while the batches before are stored and applied.
        let mut seen = 0usize;
        let mut failed = None;
        while let Some(msg) = stream.next().await {
            let batch = match msg.and_then(|m| checked(&m.paths, seen)) {
                Ok(b) => b,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            seen += batch.len();
            if tx.send(batch).await.is_err() {
                break; // the store failed: its error below
            }
        }
        drop(tx);
        // Everything before a bad batch is stored and in the RIB before
        // the error goes out (the error's index says where it stopped).
        let added = apply
            .await
            .map_err(|e| Status::internal(format!("AddPaths task: {e}")))??;
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(Response::new(AddPathsResponse { added }))
    }

    async fn delete_paths(
        &self,
        req: Request<Streaming<DeletePathsRequest>>,
    ) -> Result<Response<DeletePathsResponse>, Status> {
        self.writable()?;
        let mut stream = req.into_inner();
        let (mut seen, mut deleted) = (0usize, 0usize);
        while let Some(msg) = stream.next().await {
            let keys = msg?.paths;
            deleted += Service::delete_paths(self, &keys, seen).await?;
            seen += keys.len();
        }
        Ok(Response::new(DeletePathsResponse {
            deleted: deleted as u64,
        }))
    }

    type ListPathsStream = RpcStream<ListPathsResponse>;

    async fn list_paths(
        &self,
        req: Request<ListPathsRequest>,
    ) -> Result<Response<Self::ListPathsStream>, Status> {
        let family = convert::family_from_proto(req.get_ref().family.as_ref(), "family")?;
        let paths: Vec<Path> = self
            .inner
            .store
            .load(&PATHS)
            .map_err(store_status)?
            .into_iter()
            .map(|(_, p)| p)
            .filter(|p| {
                family.is_none_or(|f| {
                    let v4 = !p.prefix.contains(':');
                    f == if v4 {
                        AfiSafi::IPV4_UNICAST
                    } else {
                        AfiSafi::IPV6_UNICAST
                    }
                })
            })
            .collect();
        let chunks: Vec<Result<ListPathsResponse, Status>> = paths
            .chunks(1000)
            .map(|c| Ok(ListPathsResponse { paths: c.to_vec() }))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }

    async fn add_flow_spec(
        &self,
        req: Request<AddFlowSpecRequest>,
    ) -> Result<Response<AddFlowSpecResponse>, Status> {
        self.writable()?;
        let r = req
            .into_inner()
            .rule
            .ok_or_else(|| FieldError::new("rule", "required"))?;
        let rule = convert::flowspec_from_proto(&r).map_err(|e| e.in_field("rule"))?;
        let canon = convert::flowspec_to_proto(&rule);
        self.inner
            .store
            .put(&FLOWSPEC, &rule.key(), &canon)
            .map_err(store_status)?;
        self.inner
            .handle
            .add_routes(vec![flow_route(rule)])
            .await
            .map_err(status)?;
        Ok(Response::new(AddFlowSpecResponse {}))
    }

    async fn delete_flow_spec(
        &self,
        req: Request<DeleteFlowSpecRequest>,
    ) -> Result<Response<DeleteFlowSpecResponse>, Status> {
        self.writable()?;
        let r = req
            .into_inner()
            .rule
            .ok_or_else(|| FieldError::new("rule", "required"))?;
        // Only the match identifies a rule: actions are not checked.
        let match_only = FlowSpecRule {
            actions: None,
            communities: Vec::new(),
            ..r
        };
        let rule = convert::flowspec_from_proto(&match_only).map_err(|e| e.in_field("rule"))?;
        let existed = self
            .inner
            .store
            .delete(&FLOWSPEC, &rule.key())
            .map_err(store_status)?;
        let family = flow_family(&rule);
        self.inner
            .handle
            .delete_routes(vec![(family, Nlri::FlowSpec(Box::new(rule.spec)), 0)])
            .await
            .map_err(status)?;
        Ok(Response::new(DeleteFlowSpecResponse { existed }))
    }

    async fn list_flow_spec(
        &self,
        _req: Request<ListFlowSpecRequest>,
    ) -> Result<Response<ListFlowSpecResponse>, Status> {
        let rules = self
            .inner
            .store
            .load(&FLOWSPEC)
            .map_err(store_status)?
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        Ok(Response::new(ListFlowSpecResponse { rules }))
    }
}
