//! GlobalService: identity and global settings.
//!
//! SetGlobal changes the AS and router ID at runtime. They are stored
//! first; the stored fields win over the file's [global] at every start
//! and reload (docs/API.md); then the daemon applies them as a reload
//! would: every session whose OPEN changes is restarted. Listen
//! addresses and state_dir stay the file's (restart to change them).

use rbgp_api::convert;
use rbgp_api::v1::global_service_server::GlobalService;
use rbgp_api::v1::*;
use rbgp_store::{GLOBAL, GLOBAL_KEY};
use tonic::{Request, Response, Status};

use super::{status, store_status, Service};
use crate::control::Identity;

impl Service {
    fn global(&self) -> Global {
        let c = self.inner.merged();
        Global {
            asn: c.global.asn,
            router_id: c.global.router_id.to_string(),
            listen: c.global.listen.iter().map(ToString::to_string).collect(),
            state_dir: c.global.state_dir.display().to_string(),
        }
    }
}

#[tonic::async_trait]
impl GlobalService for Service {
    async fn get_global(
        &self,
        _req: Request<GetGlobalRequest>,
    ) -> Result<Response<GetGlobalResponse>, Status> {
        Ok(Response::new(GetGlobalResponse {
            global: Some(self.global()),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }))
    }

    async fn set_global(
        &self,
        req: Request<SetGlobalRequest>,
    ) -> Result<Response<SetGlobalResponse>, Status> {
        self.writable()?;
        let r = req.into_inner();
        let (asn, router_id) = convert::identity_from_proto(&r)?;
        // One change at a time: the stored record is read, merged and
        // written back, then applied.
        let _one = self.inner.config_lock.lock().await;
        let mut stored = self
            .inner
            .store
            .get(&GLOBAL, GLOBAL_KEY)
            .map_err(store_status)?
            .unwrap_or_default();
        if let Some(a) = asn {
            stored.asn = Some(a);
        }
        if let Some(id) = router_id {
            stored.router_id = Some(id.to_string());
        }
        self.inner
            .store
            .put(&GLOBAL, GLOBAL_KEY, &stored)
            .map_err(store_status)?;
        let merged = self.inner.with_file(|file, o| {
            o.asn = asn.or(o.asn);
            o.router_id = router_id.or(o.router_id);
            o.merged(file)
        });
        let id = Identity {
            asn: merged.global.asn,
            router_id: merged.global.router_id,
        };
        self.inner.handle.set_identity(id).await.map_err(status)?;
        Ok(Response::new(SetGlobalResponse {
            global: Some(self.global()),
        }))
    }
}
