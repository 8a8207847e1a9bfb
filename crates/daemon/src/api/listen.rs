//! The API listeners: the Unix socket (mode 0600) and the configured TCP
//! listeners, each with its own access (read-only, token, mTLS), plus
//! server reflection and the metrics endpoint. Every listener counts its
//! calls and errors per method for /metrics (`rbgp_api::observe`).

use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;

use anyhow::Context as _;
use rbgp_api::observe::{CallObserver, ObserveLayer};
use rbgp_api::v1::bmp_service_server::BmpServiceServer;
use rbgp_api::v1::{
    control_service_server::ControlServiceServer, event_service_server::EventServiceServer,
    global_service_server::GlobalServiceServer, injection_service_server::InjectionServiceServer,
    neighbor_service_server::NeighborServiceServer, policy_service_server::PolicyServiceServer,
    rib_service_server::RibServiceServer, rpki_service_server::RpkiServiceServer,
};
use rbgp_config::Config;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};
use tokio_stream::StreamExt as _;
use tonic::transport::server::Router;
use tonic::transport::Server;

use super::auth::{self, Auth};
use super::limit::Slots;
use super::{Inner, Service};

/// HTTP/2 PING interval on an idle API connection, and how long its
/// answer may take before the connection is closed.
const KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(60);
const KEEPALIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Every service of one listener.
fn router<L: Clone>(mut server: Server<L>, svc: Service, auth: Auth) -> anyhow::Result<Router<L>> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(rbgp_api::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("building the reflection service")?;
    // v1alpha too: what grpcio-reflection, grpcui, Evans, Postman and
    // older grpcurl ask for.
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(rbgp_api::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .context("building the reflection service (v1alpha)")?;
    Ok(server
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(GlobalServiceServer::with_interceptor(
            svc.clone(),
            auth.clone(),
        ))
        .add_service(NeighborServiceServer::with_interceptor(
            svc.clone(),
            auth.clone(),
        ))
        .add_service(RibServiceServer::with_interceptor(
            svc.clone(),
            auth.clone(),
        ))
        .add_service(InjectionServiceServer::with_interceptor(
            svc.clone(),
            auth.clone(),
        ))
        .add_service(EventServiceServer::with_interceptor(
            svc.clone(),
            auth.clone(),
        ))
        .add_service(PolicyServiceServer::with_interceptor(
            svc.clone(),
            auth.clone(),
        ))
        .add_service(RpkiServiceServer::with_interceptor(
            svc.clone(),
            auth.clone(),
        ))
        .add_service(BmpServiceServer::with_interceptor(
            svc.clone(),
            auth.clone(),
        ))
        .add_service(ControlServiceServer::with_interceptor(svc, auth)))
}

pub(super) async fn serve(
    inner: &Arc<Inner>,
    config: &Config,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let mut tasks = Vec::new();
    // A server whose calls are counted for /metrics.
    let calls: Arc<dyn CallObserver> = inner.calls.clone();
    // HTTP/2 bounds what one connection holds (RFC 9113 §5.1.2: a client
    // past max_streams waits); keepalive pings find clients that are gone,
    // whose connections would otherwise keep their slot (`limit.rs`).
    let streams = config.api.streams();
    let server = || {
        Server::builder()
            .max_concurrent_streams(streams)
            .http2_keepalive_interval(Some(KEEPALIVE))
            .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
            .layer(ObserveLayer::new(Arc::clone(&calls)))
    };
    let max = config.api.connections();
    let path = config.api.socket_path(&config.global.state_dir);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // A socket left by a killed rbgpd; the store's lock already ensures no
    // other rbgpd runs on this state_dir.
    let _ = std::fs::remove_file(&path);
    let unix = tokio::net::UnixListener::bind(&path)
        .with_context(|| format!("API socket {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("chmod 0600 {}", path.display()))?;
    tracing::info!(socket = %path.display(), read_only = config.api.read_only, "API listening");
    let svc = Service {
        inner: Arc::clone(inner),
        read_only: config.api.read_only,
    };
    let r = router(server(), svc, Auth::open())?;
    let unix_stopped = inner.stopped();
    tasks.push(tokio::spawn(async move {
        // Through the :authority fix for grpc-core clients (authority.rs).
        let mut slots = Slots::new(max, "unix".into());
        let incoming = UnixListenerStream::new(unix).filter_map(move |c| match c {
            Ok(c) => slots.admit(c, None).map(|c| Ok(super::authority::fix(c))),
            Err(e) => Some(Err(e)),
        });
        let stopped = unix_stopped;
        if let Err(e) = r.serve_with_incoming_shutdown(incoming, stopped).await {
            tracing::error!(error = %e, "API socket server stopped");
        }
    }));
    for l in &config.api.listeners {
        let l = l.get_ref();
        let mut server = server();
        if let Some(m) = l.mtls() {
            server = server
                .tls_config(auth::tls(&m)?)
                .context("API TLS configuration")?;
        }
        let auth = match &l.token_file {
            Some(p) => Auth::token_file(p)?,
            None => Auth::open(),
        };
        let svc = Service {
            inner: Arc::clone(inner),
            read_only: l.read_only,
        };
        let r = router(server, svc, auth)?;
        let tcp = tokio::net::TcpListener::bind(l.address)
            .await
            .with_context(|| format!("API listener {}", l.address))?;
        tracing::info!(address = %l.address, mtls = l.mtls().is_some(), token = l.token_file.is_some(), read_only = l.read_only, "API listening");
        let stopped = inner.stopped();
        let address = l.address;
        // A token alone proves nothing until a call carries it (limit.rs).
        let gated = l.token_file.is_some() && l.mtls().is_none();
        tasks.push(tokio::spawn(async move {
            let mut slots = Slots::new(max, address.to_string());
            if gated {
                slots = slots.gated();
            }
            let incoming = TcpListenerStream::new(tcp).filter_map(move |c| match c {
                Ok(c) => {
                    let source = c.peer_addr().ok().map(|a| a.ip());
                    slots.admit(c, source).map(Ok)
                }
                Err(e) => Some(Err(e)),
            });
            if let Err(e) = r.serve_with_incoming_shutdown(incoming, stopped).await {
                tracing::error!(error = %e, "API TCP server stopped");
            }
        }));
    }
    if let Some(m) = &config.metrics {
        tasks.push(super::metrics::serve(Arc::clone(inner), m.listen).await?);
    }
    let lg = crate::looking_glass::serve(inner.handle.clone(), config, inner.stopped());
    tasks.extend(lg.await?);
    Ok(tasks)
}
