//! `[api]` and `[metrics]`: where rbgpd serves its gRPC API and Prometheus
//! metrics, and who may use them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::{invalid, ConfigError};

/// The API listeners. The Unix socket is always served (mode 0600: only
/// rbgpd's user may connect); TCP listeners are optional and must say how
/// clients authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// Default: `<state_dir>/rbgpd.sock`.
    pub socket: Option<PathBuf>,
    /// The Unix socket refuses mutating RPCs.
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub listeners: Vec<Spanned<ApiListener>>,
}

/// A TCP listener: mTLS (all of cert, key, client_ca), or a bearer token
/// read from `token_file`, or both.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiListener {
    pub address: SocketAddr,
    /// PEM server certificate chain.
    pub cert: Option<PathBuf>,
    /// PEM private key of `cert`.
    pub key: Option<PathBuf>,
    /// PEM CA certificates that client certificates must chain to.
    pub client_ca: Option<PathBuf>,
    /// A file whose content (trimmed) clients send as
    /// `authorization: Bearer TOKEN`.
    pub token_file: Option<PathBuf>,
    #[serde(default)]
    pub read_only: bool,
}

/// The server side of mutual TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutualTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
}

impl ApiListener {
    /// The mTLS settings; `None` when the listener uses only a token.
    /// Checked at parse time: a listener has all three files or none.
    pub fn mtls(&self) -> Option<MutualTls> {
        Some(MutualTls {
            cert: self.cert.clone()?,
            key: self.key.clone()?,
            client_ca: self.client_ca.clone()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// `/metrics` in Prometheus text format, e.g. "127.0.0.1:9179".
    pub listen: SocketAddr,
}

impl Api {
    /// The Unix socket path.
    pub fn socket_path(&self, state_dir: &Path) -> PathBuf {
        self.socket
            .clone()
            .unwrap_or_else(|| state_dir.join("rbgpd.sock"))
    }

    /// A TCP listener without authentication would hand the router to
    /// anyone who can reach the port, and half an mTLS setup is a typo:
    /// both are errors naming the key and the listener's line in `text`.
    pub(crate) fn check(&self, text: &str) -> Result<(), ConfigError> {
        for (i, l) in self.listeners.iter().enumerate() {
            let line = line_of(text, l.span().start);
            let at = |key: &str| format!("api.listeners[{i}].{key} (line {line})");
            let l = l.get_ref();
            let tls = [
                ("cert", l.cert.is_some()),
                ("key", l.key.is_some()),
                ("client_ca", l.client_ca.is_some()),
            ];
            let given = tls.iter().filter(|(_, set)| *set).count();
            if given > 0 && given < tls.len() {
                if let Some((missing, _)) = tls.iter().find(|(_, set)| !set) {
                    return Err(invalid(
                        at(missing),
                        "mTLS needs cert, key and client_ca together",
                    ));
                }
            }
            if given == 0 && l.token_file.is_none() {
                return Err(invalid(
                    at("token_file"),
                    "a TCP listener needs mTLS (cert, key, client_ca) or token_file",
                ));
            }
        }
        Ok(())
    }
}

/// 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at)
        .map_or(0, |before| before.matches('\n').count())
        + 1
}
