//! The collector's settings: a TOML file (`--config`), flags on top.
//!
//! ```toml
//! listen = "0.0.0.0:11019"      # BMP from routers
//! admin_id = "collector1"       # OpenBMP collector admin id
//! metrics = "127.0.0.1:9324"    # Prometheus /metrics
//!
//! [kafka]
//! brokers = ["127.0.0.1:9092"]
//! raw_topic = "openbmp.bmp_raw" # OpenBMP raw_bmp v1.7
//! json_topic = "rbgp.bmp.json"  # one JSON object per route ("" to leave out)
//!
//! [mrt]                         # per-router archives, as rbgpd's [mrt]
//! directory = "/var/lib/rbgp/mrt"
//! updates_interval = 300
//! table_interval = 7200
//! compression = "gzip"
//!
//! [ndjson]
//! path = "-"                    # stdout
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where routers connect; none: input only from Kafka.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    #[serde(default = "admin_id")]
    pub admin_id: String,
    /// The OpenBMP router group of every router.
    #[serde(default)]
    pub router_group: String,
    #[serde(default)]
    pub metrics: Option<SocketAddr>,
    #[serde(default)]
    pub kafka: Option<Kafka>,
    /// raw_bmp input from Kafka (the distributed deployment).
    #[serde(default)]
    pub from_kafka: Option<FromKafka>,
    #[serde(default)]
    pub mrt: Option<Mrt>,
    #[serde(default)]
    pub ndjson: Option<Ndjson>,
}

fn admin_id() -> String {
    "rbgp".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kafka {
    pub brokers: Vec<String>,
    #[serde(default = "raw_topic")]
    pub raw_topic: String,
    /// Parsed routes as JSON; empty: not published.
    #[serde(default = "json_topic")]
    pub json_topic: String,
    /// Partitions of topics the collector creates (existing topics keep theirs).
    #[serde(default = "one")]
    pub partitions: i32,
}

pub fn raw_topic() -> String {
    "openbmp.bmp_raw".into()
}

fn json_topic() -> String {
    "rbgp.bmp.json".into()
}

fn one() -> i32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromKafka {
    pub brokers: Vec<String>,
    #[serde(default = "raw_topic")]
    pub topic: String,
    /// Start at the oldest record kept (true) or at new ones only.
    #[serde(default = "yes")]
    pub from_beginning: bool,
}

fn yes() -> bool {
    true
}

/// Per-router MRT archives: rbgpd's `[mrt]` settings and the view that
/// goes into them.
#[derive(Debug, Clone, Deserialize)]
pub struct Mrt {
    #[serde(flatten)]
    pub files: rbgp_config::Mrt,
    /// Which Route Monitoring view is archived: BGP4MP records of its
    /// UPDATEs and TABLE_DUMP_V2 of its routes.
    #[serde(default)]
    pub view: ArchiveView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArchiveView {
    /// Adj-RIB-In before policy: what the peers sent (RouteViews, RIS).
    #[default]
    PrePolicy,
    PostPolicy,
    LocRib,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ndjson {
    /// A file (appended to) or "-" for stdout.
    pub path: PathBuf,
    /// One line per route element instead of per message.
    #[serde(default)]
    pub elems: bool,
}

impl Config {
    pub fn load(path: &std::path::Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let c: Config = toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
        Ok(c)
    }

    /// What cannot work, named by field.
    pub fn check(&self) -> Result<()> {
        if self.listen.is_none() && self.from_kafka.is_none() {
            bail!("listen: no input; set listen (BMP from routers) or from_kafka");
        }
        if self.kafka.is_none() && self.mrt.is_none() && self.ndjson.is_none() {
            bail!("no output: set kafka, mrt or ndjson");
        }
        if let Some(k) = &self.kafka {
            if k.brokers.is_empty() {
                bail!("kafka.brokers: empty");
            }
            if k.raw_topic.is_empty() {
                bail!("kafka.raw_topic: empty");
            }
            if k.partitions < 1 {
                bail!("kafka.partitions: must be at least 1");
            }
        }
        if let Some(k) = &self.from_kafka {
            if k.brokers.is_empty() {
                bail!("from_kafka.brokers: empty");
            }
        }
        if let Some(m) = &self.mrt {
            if m.files.updates_interval == 0 && m.files.table_interval == 0 {
                bail!("mrt: set updates_interval or table_interval (seconds)");
            }
            if m.files.table_paths != rbgp_config::MrtTablePaths::All {
                bail!("mrt.table_paths: the collector's snapshots hold every path of the archived view (`view` chooses it)");
            }
        }
        if self.admin_id.len() > usize::from(u16::MAX) {
            bail!("admin_id: too long");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_reads_and_errors_name_the_field() {
        let c: Config = toml::from_str(
            r#"
listen = "127.0.0.1:11019"
[kafka]
brokers = ["127.0.0.1:9092"]
[mrt]
directory = "/tmp/x"
updates_interval = 60
view = "post-policy"
"#,
        )
        .unwrap();
        c.check().unwrap();
        assert_eq!(c.kafka.as_ref().unwrap().raw_topic, "openbmp.bmp_raw");
        assert_eq!(c.mrt.as_ref().unwrap().view, ArchiveView::PostPolicy);
        assert_eq!(c.admin_id, "rbgp");

        let e = toml::from_str::<Config>(
            "listen = \"127.0.0.1:1\"\n[mrt]\ndirectory=\"/x\"\nview=\"sideways\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("view") || e.contains("sideways"), "{e}");
        let c: Config = toml::from_str("listen = \"127.0.0.1:1\"\n").unwrap();
        assert!(c.check().unwrap_err().to_string().contains("no output"));
        let c: Config =
            toml::from_str("listen = \"127.0.0.1:1\"\n[kafka]\nbrokers = []\n").unwrap();
        assert!(c.check().unwrap_err().to_string().contains("kafka.brokers"));
    }
}
