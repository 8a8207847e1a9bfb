//! RpkiService: what the RPKI side is doing, and the origin validation
//! state of any (prefix, origin AS) against the loaded data.

use rbgp_api::v1::rpki_service_server::RpkiService;
use rbgp_api::v1::*;
use tonic::{Request, Response, Status};

use super::{status, Service};

fn rpki_state(s: rbgp_rib::Rpki) -> RpkiState {
    match s {
        rbgp_rib::Rpki::Valid => RpkiState::Valid,
        rbgp_rib::Rpki::Invalid => RpkiState::Invalid,
        rbgp_rib::Rpki::NotFound => RpkiState::NotFound,
    }
}

#[tonic::async_trait]
impl RpkiService for Service {
    async fn get_rpki_status(
        &self,
        _req: Request<GetRpkiStatusRequest>,
    ) -> Result<Response<GetRpkiStatusResponse>, Status> {
        let s = self.inner.handle.rpki_status.borrow().clone();
        let updated = s
            .updated
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        Ok(Response::new(GetRpkiStatusResponse {
            status: Some(RpkiStatus {
                enabled: s.enabled,
                source: s.source,
                connected: s.connected,
                version: s.version.map(u32::from),
                session_id: s.serial.map(|(id, _)| u32::from(id)),
                serial: s.serial.map(|(_, n)| n),
                vrps_ipv4: s.vrps_v4 as u64,
                vrps_ipv6: s.vrps_v6 as u64,
                aspas: s.aspas as u64,
                updated,
                expired: s.expired,
                updates: s.updates,
                resets: s.resets,
                errors: s.errors,
                last_error: s.last_error.unwrap_or_default(),
            }),
        }))
    }

    async fn validate_origin(
        &self,
        req: Request<ValidateOriginRequest>,
    ) -> Result<Response<ValidateOriginResponse>, Status> {
        let r = req.into_inner();
        let prefix: rbgp_wire::Prefix = r
            .prefix
            .trim()
            .parse()
            .map_err(|e| Status::invalid_argument(format!("prefix: {e}")))?;
        let (state, covering) = self
            .inner
            .handle
            .validate_origin(prefix, r.origin_asn)
            .await
            .map_err(status)?;
        Ok(Response::new(ValidateOriginResponse {
            state: rpki_state(state) as i32,
            covering: covering
                .iter()
                .map(|v| Vrp {
                    prefix: v.prefix.to_string(),
                    max_length: u32::from(v.max_len),
                    asn: v.asn,
                })
                .collect(),
        }))
    }
}
