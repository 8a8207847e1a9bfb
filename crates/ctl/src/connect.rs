//! The channel to rbgpd: a Unix socket (default, the daemon's default
//! path) or https with optional client certificate, and a bearer token.

use std::path::PathBuf;

use anyhow::Context as _;
use hyper_util::rt::TokioIo;
use rbgp_api::v1::{
    bmp_service_client::BmpServiceClient, control_service_client::ControlServiceClient,
    event_service_client::EventServiceClient, global_service_client::GlobalServiceClient,
    injection_service_client::InjectionServiceClient,
    neighbor_service_client::NeighborServiceClient, policy_service_client::PolicyServiceClient,
    rib_service_client::RibServiceClient, rpki_service_client::RpkiServiceClient,
};
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity, Uri};
use tonic::{Request, Status};

/// `<state_dir>/rbgpd.sock` of the daemon's built-in configuration.
pub fn default_socket() -> String {
    // RBGPCTL_SOCKET: a socket path (RBGPCTL_SERVER, or -s, takes a URL).
    if let Some(p) = std::env::var_os("RBGPCTL_SOCKET").filter(|p| !p.is_empty()) {
        let p = p.to_string_lossy();
        return if p.contains("://") {
            p.into_owned()
        } else {
            format!("unix://{p}")
        };
    }
    let dir = rbgp_config::Config::default_config()
        .map(|c| c.api.socket_path(&c.global.state_dir))
        .unwrap_or_else(|_| PathBuf::from("/tmp/rbgpd/rbgpd.sock"));
    format!("unix://{}", dir.display())
}

/// How to reach and authenticate to the server.
pub struct Target {
    pub server: String,
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub token: Option<String>,
}

#[derive(Clone)]
pub struct Token(Option<MetadataValue<tonic::metadata::Ascii>>);

impl Interceptor for Token {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        if let Some(t) = &self.0 {
            req.metadata_mut().insert("authorization", t.clone());
        }
        Ok(req)
    }
}

type Ch = InterceptedService<Channel, Token>;

/// A client of every service over one channel.
pub struct Clients {
    pub global: GlobalServiceClient<Ch>,
    pub neighbor: NeighborServiceClient<Ch>,
    pub rib: RibServiceClient<Ch>,
    pub injection: InjectionServiceClient<Ch>,
    pub event: EventServiceClient<Ch>,
    pub control: ControlServiceClient<Ch>,
    pub policy: PolicyServiceClient<Ch>,
    pub rpki: RpkiServiceClient<Ch>,
    pub bmp: BmpServiceClient<Ch>,
}

async fn channel(t: &Target) -> anyhow::Result<Channel> {
    if let Some(path) = t.server.strip_prefix("unix://") {
        let path = PathBuf::from(path);
        // The URI is required by the API but unused: the connector decides.
        let ep = Endpoint::try_from("http://[::1]:50051")?;
        let p = path.clone();
        return ep
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let p = p.clone();
                async move {
                    Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(p).await?))
                }
            }))
            .await
            .with_context(|| {
                format!(
                    "connecting to {} (is rbgpd running? -s selects another socket)",
                    path.display()
                )
            });
    }
    if t.server.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &t.ca {
            let pem =
                std::fs::read(ca).with_context(|| format!("reading --ca {}", ca.display()))?;
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        match (&t.cert, &t.key) {
            (Some(c), Some(k)) => {
                let cert =
                    std::fs::read(c).with_context(|| format!("reading --cert {}", c.display()))?;
                let key =
                    std::fs::read(k).with_context(|| format!("reading --key {}", k.display()))?;
                tls = tls.identity(Identity::from_pem(cert, key));
            }
            (None, None) => {}
            _ => anyhow::bail!("--cert and --key go together"),
        }
        let ep = Endpoint::from_shared(t.server.clone())?.tls_config(tls)?;
        return ep
            .connect()
            .await
            .with_context(|| format!("connecting to {}", t.server));
    }
    if t.server.starts_with("http://") {
        return Endpoint::from_shared(t.server.clone())?
            .connect()
            .await
            .with_context(|| format!("connecting to {}", t.server));
    }
    anyhow::bail!(
        "-s {}: expected unix:///path or https://host:port",
        t.server
    )
}

pub async fn connect(t: &Target) -> anyhow::Result<Clients> {
    let ch = channel(t).await?;
    let token = Token(
        t.token
            .as_ref()
            .map(|s| format!("Bearer {s}").parse())
            .transpose()
            .context("the token must be printable ASCII")?,
    );
    let i = |c: Channel| InterceptedService::new(c, token.clone());
    Ok(Clients {
        global: GlobalServiceClient::new(i(ch.clone())),
        neighbor: NeighborServiceClient::new(i(ch.clone())),
        rib: RibServiceClient::new(i(ch.clone())),
        injection: InjectionServiceClient::new(i(ch.clone())),
        event: EventServiceClient::new(i(ch.clone())),
        control: ControlServiceClient::new(i(ch.clone())),
        policy: PolicyServiceClient::new(i(ch.clone())),
        rpki: RpkiServiceClient::new(i(ch.clone())),
        bmp: BmpServiceClient::new(i(ch)),
    })
}
