//! GlobalService: identity and global settings.

use rbgp_api::v1::global_service_server::GlobalService;
use rbgp_api::v1::*;
use tonic::{Request, Response, Status};

use super::Service;

impl Service {
    fn global(&self) -> Global {
        self.inner.with_file(|c, _| Global {
            asn: c.global.asn,
            router_id: c.global.router_id.to_string(),
            listen: c.global.listen.iter().map(ToString::to_string).collect(),
            state_dir: c.global.state_dir.display().to_string(),
        })
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
        _req: Request<SetGlobalRequest>,
    ) -> Result<Response<SetGlobalResponse>, Status> {
        self.writable()?;
        // The supervisor applies [global] only at start (every session's
        // OPEN depends on it).
        Err(Status::unimplemented(
            "changing the AS or router ID at runtime is not supported yet: change [global] in the configuration file and restart rbgpd",
        ))
    }
}
