//! `[bmp]`: BMP stations rbgpd exports to (RFC 7854), and which views of
//! its routing state each one gets (RFC 7854 Adj-RIB-In pre/post-policy,
//! RFC 9069 Loc-RIB, RFC 8671 Adj-RIB-Out).

use std::net::IpAddr;

use serde::Deserialize;

use crate::{invalid, ConfigError};

/// BMP export.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bmp {
    /// sysName of the Initiation message (RFC 7854 §4.4); the host name
    /// when not set.
    pub sys_name: Option<String>,
    /// sysDescr of the Initiation message.
    #[serde(default = "default_descr")]
    pub sys_descr: String,
    #[serde(default)]
    pub collectors: Vec<Collector>,
}

impl Default for Bmp {
    fn default() -> Self {
        Bmp {
            sys_name: None,
            sys_descr: default_descr(),
            collectors: Vec::new(),
        }
    }
}

fn default_descr() -> String {
    format!("rbgpd {}", env!("CARGO_PKG_VERSION"))
}

/// One BMP station rbgpd connects to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collector {
    pub address: IpAddr,
    /// No port is assigned to BMP; 11019 is GoBGP's and OpenBMP's default.
    #[serde(default = "default_port")]
    pub port: u16,
    /// What the station is sent.
    #[serde(default = "default_views")]
    pub views: Vec<View>,
    /// Seconds between Statistics Reports (RFC 7854 §4.8); 0: none.
    #[serde(default = "default_stats")]
    pub statistics_interval: u32,
    /// Routes and messages that may wait for a slow station; when more
    /// would, its connection is reset and it is sent the whole state
    /// again. A full table arriving at once is several million route
    /// events over the views (about 50 bytes each while they wait).
    #[serde(default = "default_buffer")]
    pub buffer: u32,
}

/// A view of the routing state a station can be sent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum View {
    /// Adj-RIB-In pre-policy: the UPDATEs as received (RFC 7854).
    PrePolicy,
    /// Adj-RIB-In post-policy: what import policy accepted (RFC 7854).
    PostPolicy,
    /// The best paths (RFC 9069).
    LocRib,
    /// Adj-RIB-Out post-policy: what each neighbor is sent (RFC 8671).
    AdjRibOut,
    /// Adj-RIB-Out pre-policy: what each neighbor is offered before its
    /// export policy and the built-in export rules (RFC 8671).
    AdjRibOutPrePolicy,
}

impl View {
    pub const ALL: [View; 5] = [
        View::PrePolicy,
        View::PostPolicy,
        View::LocRib,
        View::AdjRibOut,
        View::AdjRibOutPrePolicy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            View::PrePolicy => "pre-policy",
            View::PostPolicy => "post-policy",
            View::LocRib => "loc-rib",
            View::AdjRibOut => "adj-rib-out",
            View::AdjRibOutPrePolicy => "adj-rib-out-pre-policy",
        }
    }
}

impl std::str::FromStr for View {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        View::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| {
                format!("unknown view {s:?}: pre-policy, post-policy, loc-rib, adj-rib-out or adj-rib-out-pre-policy")
            })
    }
}

fn default_port() -> u16 {
    11019
}

fn default_views() -> Vec<View> {
    vec![View::PrePolicy, View::PostPolicy, View::LocRib]
}

fn default_stats() -> u32 {
    60
}

fn default_buffer() -> u32 {
    4_000_000
}

impl Collector {
    /// A station with the defaults.
    pub fn new(address: IpAddr, port: u16) -> Self {
        Collector {
            address,
            port,
            views: default_views(),
            statistics_interval: default_stats(),
            buffer: default_buffer(),
        }
    }

    /// How the station is named in logs, metrics and the API.
    pub fn key(&self) -> String {
        std::net::SocketAddr::new(self.address, self.port).to_string()
    }

    /// The checks of one station; `field` prefixes the names in errors.
    pub fn check(&self, field: &str) -> Result<(), ConfigError> {
        if self.port == 0 {
            return Err(invalid(format!("{field}.port"), "must not be 0"));
        }
        if self.views.is_empty() {
            return Err(invalid(format!("{field}.views"), "name at least one view"));
        }
        if self.buffer < 100 {
            return Err(invalid(format!("{field}.buffer"), "at least 100 messages"));
        }
        Ok(())
    }
}

impl Bmp {
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.collectors.iter().enumerate() {
            c.check(&format!("bmp.collectors[{i}]"))?;
            if !seen.insert((c.address, c.port)) {
                return Err(invalid(
                    format!("bmp.collectors[{i}]"),
                    format!("{} is listed twice", c.key()),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn parse(bmp: &str) -> Result<Config, String> {
        Config::parse(&format!(
            "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\n{bmp}"
        ))
        .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_views() {
        let c = parse("[[bmp.collectors]]\naddress = \"127.0.0.1\"\n").unwrap();
        let s = &c.bmp.collectors[0];
        assert_eq!(s.port, 11019);
        assert_eq!(s.statistics_interval, 60);
        assert_eq!(s.views.len(), 3);
        let c = parse("[[bmp.collectors]]\naddress = \"::1\"\nport = 1790\nviews = [\"loc-rib\", \"adj-rib-out\"]\n").unwrap();
        assert_eq!(
            c.bmp.collectors[0].views,
            vec![super::View::LocRib, super::View::AdjRibOut]
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e =
            parse("[[bmp.collectors]]\naddress = \"127.0.0.1\"\nviews = [\"post\"]\n").unwrap_err();
        assert!(e.contains("views"), "{e}");
        let e = parse("[[bmp.collectors]]\naddress = \"127.0.0.1\"\nviews = []\n").unwrap_err();
        assert!(e.contains("bmp.collectors[0].views"), "{e}");
        let e = parse("[[bmp.collectors]]\naddress = \"127.0.0.1\"\n[[bmp.collectors]]\naddress = \"127.0.0.1\"\n").unwrap_err();
        assert!(e.contains("bmp.collectors[1]"), "{e}");
        let e = parse("[[bmp.collectors]]\naddress = \"127.0.0.1\"\nport = 0\n").unwrap_err();
        assert!(e.contains("bmp.collectors[0].port"), "{e}");
    }
}
