//! Who may call: a bearer token checked on every request of a token
//! listener; mutual TLS is enforced by the TLS handshake itself.

use std::sync::Arc;

use anyhow::Context as _;
use rbgp_config::MutualTls;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic::{Request, Status};

use super::limit::TcpInfo;

/// Passes every request when `token` is `None`.
#[derive(Clone)]
pub(super) struct Auth {
    token: Option<Arc<str>>,
}

impl Auth {
    pub(super) fn open() -> Self {
        Auth { token: None }
    }

    /// The token is the file's content, trimmed.
    pub(super) fn token_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading token_file {}", path.display()))?;
        let t = text.trim();
        anyhow::ensure!(
            t.len() >= 16,
            "token_file {}: token shorter than 16 characters",
            path.display()
        );
        Ok(Auth {
            token: Some(t.into()),
        })
    }
}

impl Interceptor for Auth {
    fn call(&mut self, req: Request<()>) -> Result<Request<()>, Status> {
        let Some(token) = &self.token else {
            return Ok(req);
        };
        let given = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Plain TCP (token alone); behind TLS should a listener ever have
        // server TLS without client certificates.
        let ext = req.extensions();
        let conn = ext.get::<TcpInfo>().or_else(|| {
            ext.get::<tonic::transport::server::TlsConnectInfo<TcpInfo>>()
                .map(|t| t.get_ref())
        });
        if crate::secret::same(given.as_bytes(), token.as_bytes()) {
            // The connection may stay past its first-call deadline.
            if let Some(c) = conn {
                c.authorize();
            }
            Ok(req)
        } else {
            let from = conn.and_then(|c| c.inner.remote_addr());
            tracing::debug!(?from, "API call without the right token refused");
            Err(Status::unauthenticated("missing or wrong bearer token"))
        }
    }
}

/// Server certificate, and the CA client certificates must chain to
/// (client certificates are then required).
pub(super) fn tls(m: &MutualTls) -> anyhow::Result<ServerTlsConfig> {
    let read = |p: &std::path::Path, what: &str| {
        std::fs::read(p).with_context(|| format!("reading {what} {}", p.display()))
    };
    let cert = read(&m.cert, "cert")?;
    let key = read(&m.key, "key")?;
    let ca = read(&m.client_ca, "client_ca")?;
    // A client that starts the handshake and stops holds one of the
    // listener's connection slots (`limit.rs`) only this long.
    Ok(ServerTlsConfig::new()
        .identity(Identity::from_pem(cert, key))
        .client_ca_root(Certificate::from_pem(ca))
        .timeout(std::time::Duration::from_secs(10)))
}
