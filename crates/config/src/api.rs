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
    /// Connections each listener (the Unix socket too) holds at once;
    /// past it a new connection is closed at once. Default 256.
    pub max_connections: Option<u32>,
    /// HTTP/2 streams (calls, watches) one connection may have open at
    /// once (RFC 9113 §5.1.2); a client past it waits. Default 1024.
    pub max_streams: Option<u32>,
}

/// `[api] max_connections` when not given.
pub const MAX_CONNECTIONS: u32 = 256;
/// `[api] max_streams` when not given.
pub const MAX_STREAMS: u32 = 1024;

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
    /// Connections per listener (see `max_connections`).
    pub fn connections(&self) -> u32 {
        self.max_connections.unwrap_or(MAX_CONNECTIONS)
    }

    /// Streams per connection (see `max_streams`).
    pub fn streams(&self) -> u32 {
        self.max_streams.unwrap_or(MAX_STREAMS)
    }

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
        for (key, v) in [
            ("api.max_connections", self.max_connections),
            ("api.max_streams", self.max_streams),
        ] {
            if v == Some(0) {
                return Err(invalid(key, "must be at least 1"));
            }
        }
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
