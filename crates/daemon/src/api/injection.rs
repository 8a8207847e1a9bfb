//! InjectionService: paths and FlowSpec rules originated through the API,
//! stored before they are announced.

use rbgp_api::convert::{self, FlowRule, InjectedPath};
use rbgp_api::v1::injection_service_server::InjectionService;
use rbgp_api::v1::*;
use rbgp_api::FieldError;
use rbgp_rib::Attrs;
use rbgp_store::{FLOWSPEC, PATHS};
use rbgp_wire::attr::Origin;
use rbgp_wire::{AfiSafi, Nlri, Safi};
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::{status, store_status, RpcStream, Service};
use crate::control::LocalRoute;

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
fn checked(paths: &[Path], first: usize) -> Result<Vec<(String, Path, InjectedPath)>, Status> {
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

impl Service {
    async fn add_paths(&self, batch: Vec<(String, Path, InjectedPath)>) -> Result<(), Status> {
        self.inner
            .store
            .put_many(&PATHS, batch.iter().map(|(k, p, _)| (k.as_str(), p)))
            .map_err(store_status)?;
        let routes = batch.into_iter().map(|(_, _, v)| local_route(v)).collect();
        self.inner.handle.add_routes(routes).await.map_err(status)
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
        let mut added = 0usize;
        while let Some(msg) = stream.next().await {
            let batch = checked(&msg?.paths, added)?;
            let n = batch.len();
            Service::add_paths(self, batch).await?;
            added += n;
        }
        Ok(Response::new(AddPathsResponse {
            added: added as u64,
        }))
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
