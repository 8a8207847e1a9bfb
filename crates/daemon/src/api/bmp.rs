//! BmpService: the BMP stations rbgpd exports to. Stations added here are
//! stored, kept in the API's overlay (a reload of the file keeps them)
//! and applied like a reload: only stations added, changed or removed
//! connect or disconnect.

use rbgp_api::convert;
use rbgp_api::v1::bmp_service_server::BmpService;
use rbgp_api::v1::*;
use rbgp_api::FieldError;
use rbgp_store::BMP_STATIONS;
use tonic::{Request, Response, Status};

use super::{status, store_status, Service};

impl Service {
    /// The merged configuration applied (stations follow `[bmp]`).
    async fn apply_bmp(&self) -> Result<(), Status> {
        let merged = self.inner.merged();
        self.inner.handle.reload(merged).await.map_err(status)?;
        Ok(())
    }
}

#[tonic::async_trait]
impl BmpService for Service {
    async fn list_stations(
        &self,
        _req: Request<ListStationsRequest>,
    ) -> Result<Response<ListStationsResponse>, Status> {
        let running = self.inner.handle.bmp_status.borrow().clone();
        let (file, api) = self
            .inner
            .with_file(|f, o| (f.bmp.collectors.clone(), o.bmp.clone()));
        let stations = file
            .iter()
            .map(|c| (c, true))
            .chain(api.iter().map(|c| (c, false)))
            .map(|(c, from_file)| {
                let st = running.get(&c.key()).cloned().unwrap_or_default();
                StationStatus {
                    station: Some(convert::station_to_proto(c)),
                    from_file,
                    connected: st.connected,
                    messages: st.messages,
                    connects: st.connects,
                    overflows: st.overflows,
                    errors: st.errors,
                    last_error: st.last_error.unwrap_or_default(),
                }
            })
            .collect();
        Ok(Response::new(ListStationsResponse { stations }))
    }

    async fn add_station(
        &self,
        req: Request<AddStationRequest>,
    ) -> Result<Response<AddStationResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let s = req
            .into_inner()
            .station
            .ok_or_else(|| FieldError::new("station", "required"))?;
        let c = convert::station_from_proto(&s).map_err(|e| e.in_field("station"))?;
        let key = c.key();
        let (address, port) = (c.address, c.port);
        let same = move |x: &rbgp_config::BmpCollector| x.address == address && x.port == port;
        if self
            .inner
            .with_file(|f, _| f.bmp.collectors.iter().any(same))
        {
            return Err(Status::already_exists(format!(
                "BMP station {key} is in the configuration file"
            )));
        }
        // Stored as read back: defaults filled in.
        self.inner
            .store
            .put(&BMP_STATIONS, &key, &convert::station_to_proto(&c))
            .map_err(store_status)?;
        let old = self.inner.with_file(|_, o| {
            let old = o.bmp.clone();
            o.bmp.retain(|x| !same(x));
            o.bmp.push(c);
            old
        });
        if let Err(e) = self.apply_bmp().await {
            // Put everything back as it was.
            self.inner.with_file(|_, o| o.bmp = old.clone());
            match old.iter().find(|x| x.key() == key) {
                Some(prev) => {
                    let _ =
                        self.inner
                            .store
                            .put(&BMP_STATIONS, &key, &convert::station_to_proto(prev));
                }
                None => {
                    let _ = self.inner.store.delete(&BMP_STATIONS, &key);
                }
            }
            return Err(e);
        }
        Ok(Response::new(AddStationResponse {}))
    }

    async fn delete_station(
        &self,
        req: Request<DeleteStationRequest>,
    ) -> Result<Response<DeleteStationResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let r = req.into_inner();
        let address = convert::parse_ip(&r.address, "address")?;
        let port = convert::station_port(r.port, "port")?;
        let key = std::net::SocketAddr::new(address, port).to_string();
        let same = |x: &rbgp_config::BmpCollector| x.address == address && x.port == port;
        let (in_file, in_api) = self
            .inner
            .with_file(|f, o| (f.bmp.collectors.iter().any(same), o.bmp.iter().any(same)));
        if in_file {
            return Err(Status::failed_precondition(format!(
                "BMP station {key} is in the configuration file: remove it there"
            )));
        }
        if !in_api {
            return Err(Status::not_found(format!("no BMP station {key}")));
        }
        self.inner
            .store
            .delete(&BMP_STATIONS, &key)
            .map_err(store_status)?;
        self.inner.with_file(|_, o| o.bmp.retain(|x| !same(x)));
        self.apply_bmp().await?;
        Ok(Response::new(DeleteStationResponse {}))
    }
}
