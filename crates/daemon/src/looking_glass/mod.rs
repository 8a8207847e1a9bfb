//! The looking glass (`[looking_glass]`): a read-only HTTP listener with a
//! birdwatcher-compatible REST API (`birdwatcher.rs`, what Alice-LG's
//! birdwatcher source reads) and a web page with a JSON API and live
//! events of its own (`web.rs`). Everything is read through the control
//! [`Handle`]; full tables are streamed page by page (`stream.rs`).
//!
//! Access: like the API, loopback unless the configuration adds TLS, a
//! token, or says `public = true` (checked in rbgp-config).

mod birdwatcher;
mod render;
mod stream;
mod web;

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use rbgp_config::LookingGlass;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;

use crate::control::{ControlError, NeighborStatus};
use crate::handle::Handle;

/// What every request handler reads.
pub struct Lg {
    handle: Handle,
    started: SystemTime,
    router_id: std::net::Ipv4Addr,
    asn: u32,
    config: LookingGlass,
    token: Option<String>,
}

impl Lg {
    /// The neighbor a protocol name (or a bare address) stands for.
    async fn neighbor(&self, id: &str) -> Result<NeighborStatus, LgError> {
        let all = self.handle.neighbors().await.map_err(error)?;
        all.into_iter()
            .find(|n| {
                let nb = &n.neighbor;
                render::protocol_id(nb.remote_asn, nb.address) == id
                    || id.parse::<IpAddr>().ok() == Some(nb.address)
            })
            .ok_or_else(|| not_found(format!("no protocol {id}")))
    }

    /// The ASN of each neighbor, to name route sources.
    async fn asns(&self) -> Result<std::collections::HashMap<IpAddr, u32>, LgError> {
        let all = self.handle.neighbors().await.map_err(error)?;
        Ok(asns_of(&all))
    }

    /// How filtered routes' reasons are encoded (`[looking_glass]`).
    fn reasons(&self) -> render::Reasons<'_> {
        render::Reasons {
            asn: self.config.reject_asn.unwrap_or(self.asn),
            codes: &self.config.reject_reasons,
        }
    }
}

/// Neighbor address -> AS.
fn asns_of(all: &[NeighborStatus]) -> std::collections::HashMap<IpAddr, u32> {
    all.iter()
        .map(|n| (n.neighbor.address, n.neighbor.remote_asn))
        .collect()
}

impl Lg {}

/// An error as birdwatcher sends it: `{"error": "..."}` (Alice-LG shows
/// the text).
#[derive(Debug)]
pub struct LgError(StatusCode, String);

impl IntoResponse for LgError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

/// What a handler answers.
type Answer = Result<Response, LgError>;

fn not_found(msg: String) -> LgError {
    LgError(StatusCode::NOT_FOUND, msg)
}

fn bad_request(msg: String) -> LgError {
    LgError(StatusCode::BAD_REQUEST, msg)
}

fn error(e: ControlError) -> LgError {
    let code = match e {
        ControlError::NoSuchNeighbor(_) => StatusCode::NOT_FOUND,
        ControlError::Invalid { .. } => StatusCode::BAD_REQUEST,
        ControlError::NeighborExists(_) | ControlError::ShuttingDown => {
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    LgError(code, e.to_string())
}

/// `%XX` and `+` of a query value decoded (a browser encodes a token's
/// `/`, `+` and `=`); `None` if it is not valid UTF-8 after that.
fn query_value(v: &str) -> Option<String> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(x) => {
                        out.push(x);
                        i += 2;
                    }
                    None => out.push(c),
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// With a token configured, every request carries it: as a bearer token,
/// or as `?token=` (browsers' EventSource cannot set headers). Compared
/// in constant time, as the API's.
async fn guard(State(lg): State<Arc<Lg>>, req: Request, next: Next) -> Response {
    if let Some(want) = &lg.token {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let query = req.uri().query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .and_then(query_value)
        });
        let same = |t: &str| crate::secret::same(t.as_bytes(), want.as_bytes());
        let ok = bearer.is_some_and(same) || query.as_deref().is_some_and(same);
        if !ok {
            return LgError(StatusCode::UNAUTHORIZED, "missing or wrong token".into())
                .into_response();
        }
    }
    next.run(req).await
}

fn router(lg: Arc<Lg>) -> axum::Router {
    birdwatcher::routes()
        .merge(web::routes())
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&lg), guard))
        .with_state(lg)
}

fn tls(cert: &std::path::Path, key: &std::path::Path) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("looking_glass.cert {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("looking_glass.key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("looking glass TLS")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("looking glass TLS certificate and key")?;
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(c)))
}

/// Connections served at once (each holds a descriptor and a task).
const MAX_CONNECTIONS: usize = 256;

/// Bind the listener and serve until `stopped` resolves.
pub async fn serve(
    handle: Handle,
    config: &rbgp_config::Config,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    let Some(c) = &config.looking_glass else {
        return Ok(None);
    };
    let token = match &c.token_file {
        Some(p) => {
            let t = std::fs::read_to_string(p)
                .with_context(|| format!("looking_glass.token_file {}", p.display()))?
                .trim()
                .to_string();
            // As the API's: an empty or short token would let anyone in.
            anyhow::ensure!(
                t.len() >= 16,
                "looking_glass.token_file {}: token shorter than 16 characters",
                p.display()
            );
            Some(t)
        }
        None => None,
    };
    let acceptor = match (&c.cert, &c.key) {
        (Some(cert), Some(key)) => Some(tls(cert, key)?),
        _ => None,
    };
    let l = tokio::net::TcpListener::bind(c.listen)
        .await
        .with_context(|| format!("looking_glass.listen {}", c.listen))?;
    tracing::info!(address = %c.listen, tls = acceptor.is_some(), token = token.is_some(), "looking glass listening");
    let lg = Arc::new(Lg {
        handle,
        started: SystemTime::now(),
        router_id: config.global.router_id,
        asn: config.global.asn,
        config: c.clone(),
        token,
    });
    let app = router(lg);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    Ok(Some(tokio::spawn(async move {
        tokio::pin!(stopped);
        loop {
            let (tcp, _) = tokio::select! {
                a = l.accept() => match a {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors...: do not spin.
                        tracing::debug!(error = %e, "looking glass accept");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut stopped => return,
            };
            // A bounded number of connections: the rest are closed at once,
            // so clients cannot take the descriptors BGP needs.
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                continue;
            };
            let svc = TowerToHyperService::new(app.clone());
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let mut http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                // A request's headers within 30 s (slow or idle clients go).
                http.http1()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(std::time::Duration::from_secs(30));
                let r = match acceptor {
                    Some(a) => {
                        let hs =
                            tokio::time::timeout(std::time::Duration::from_secs(10), a.accept(tcp));
                        match hs.await {
                            Ok(Ok(s)) => http.serve_connection(TokioIo::new(s), svc).await,
                            _ => return,
                        }
                    }
                    None => http.serve_connection(TokioIo::new(tcp), svc).await,
                };
                if let Err(e) = r {
                    tracing::debug!(error = %e, "looking glass connection");
                }
            });
        }
    })))
}
