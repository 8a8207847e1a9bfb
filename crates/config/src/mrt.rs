//! `[mrt]`: MRT files written by rbgpd (RFC 6396): TABLE_DUMP_V2 dumps of
//! the RIB and a BGP4MP_ET log of the UPDATEs received, rotated by time.

use std::path::PathBuf;

use serde::Deserialize;

use crate::{invalid, ConfigError};

/// MRT output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mrt {
    /// Where the files go (created if missing).
    pub directory: PathBuf,
    /// Seconds between TABLE_DUMP_V2 dumps of the RIB (every path of every
    /// peer); 0: only when asked (`rbgpctl mrt dump`).
    #[serde(default)]
    pub table_interval: u32,
    /// Which paths table dumps hold.
    #[serde(default)]
    pub table_paths: TablePaths,
    /// Seconds each BGP4MP_ET file of received UPDATEs and session state
    /// changes covers (files start at multiples of it); 0: no update log.
    #[serde(default)]
    pub updates_interval: u32,
    #[serde(default)]
    pub compression: Compression,
    /// File names, UTC: `%Y %m %d %H %M %S` (`%%`: a percent sign); the
    /// compression's suffix is added.
    #[serde(default = "table_name")]
    pub table_name: String,
    #[serde(default = "updates_name")]
    pub updates_name: String,
}

/// The paths a TABLE_DUMP_V2 dump holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TablePaths {
    /// Every path of every neighbor after import policy (each Adj-RIB-In
    /// post-policy, as route collectors' RIB dumps hold), and ours.
    #[default]
    All,
    /// The best path of each route (the Loc-RIB).
    Best,
}

/// How MRT files are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    #[default]
    Gzip,
    Bzip2,
}

impl Compression {
    /// The file name suffix.
    pub fn suffix(self) -> &'static str {
        rbgp_mrt::file::Compression::from(self).suffix()
    }
}

impl From<Compression> for rbgp_mrt::file::Compression {
    fn from(c: Compression) -> Self {
        match c {
            Compression::None => rbgp_mrt::file::Compression::None,
            Compression::Gzip => rbgp_mrt::file::Compression::Gzip,
            Compression::Bzip2 => rbgp_mrt::file::Compression::Bzip2,
        }
    }
}

fn table_name() -> String {
    "rib.%Y%m%d.%H%M%S".into()
}

fn updates_name() -> String {
    "updates.%Y%m%d.%H%M%S".into()
}

/// A file name for `unix` seconds (UTC) from a pattern.
pub fn file_name(pattern: &str, unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (y, m, d) = civil(days);
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{y:04}")),
            Some('m') => out.push_str(&format!("{m:02}")),
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('H') => out.push_str(&format!("{:02}", secs / 3600)),
            Some('M') => out.push_str(&format!("{:02}", secs / 60 % 60)),
            Some('S') => out.push_str(&format!("{:02}", secs % 60)),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (H. Hinnant's civil_from_days).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

fn check_name(field: &str, p: &str) -> Result<(), ConfigError> {
    if p.is_empty() || p.contains('/') {
        return Err(invalid(field, "a file name, without '/'"));
    }
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '%' && !matches!(chars.next(), Some('Y' | 'm' | 'd' | 'H' | 'M' | 'S' | '%')) {
            return Err(invalid(field, "only %Y %m %d %H %M %S and %% are known"));
        }
    }
    Ok(())
}

impl Mrt {
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if self.directory.as_os_str().is_empty() {
            return Err(invalid("mrt.directory", "must not be empty"));
        }
        check_name("mrt.table_name", &self.table_name)?;
        check_name("mrt.updates_name", &self.updates_name)?;
        if self.table_name == self.updates_name {
            return Err(invalid("mrt.updates_name", "must differ from table_name"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    fn parse(mrt: &str) -> Result<Config, String> {
        Config::parse(&format!(
            "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\n[mrt]\n{mrt}"
        ))
        .map_err(|e| e.to_string())
    }

    #[test]
    fn names_in_utc() {
        // 2026-12-06 04:41:49 UTC.
        assert_eq!(
            file_name("rib.%Y%m%d.%H%M%S", 1_796_532_109),
            "rib.20261206.044149"
        );
        assert_eq!(file_name("%Y-%m-%d %%", 0), "1970-01-01 %");
        // 2000-02-29 (a leap day of a century year).
        assert_eq!(file_name("%Y%m%d", 951_782_400), "20000229");
    }

    #[test]
    fn defaults_and_errors() {
        let c = parse("directory = \"/tmp/mrt\"\n").unwrap();
        let m = c.mrt.unwrap();
        assert_eq!(m.compression, Compression::Gzip);
        assert_eq!((m.table_interval, m.updates_interval), (0, 0));
        assert_eq!(m.table_paths, TablePaths::All);
        let c = parse("directory = \"/tmp/mrt\"\ntable_paths = \"best\"\n").unwrap();
        assert_eq!(c.mrt.unwrap().table_paths, TablePaths::Best);
        let e = parse("directory = \"/tmp/mrt\"\ntable_paths = \"some\"\n").unwrap_err();
        assert!(e.contains("table_paths"), "{e}");
        let e = parse("directory = \"/tmp/mrt\"\ncompression = \"xz\"\n").unwrap_err();
        assert!(e.contains("compression"), "{e}");
        let e = parse("directory = \"/tmp/mrt\"\ntable_name = \"a/%Y\"\n").unwrap_err();
        assert!(e.contains("mrt.table_name"), "{e}");
        let e = parse("directory = \"/tmp/mrt\"\nupdates_name = \"u.%q\"\n").unwrap_err();
        assert!(e.contains("mrt.updates_name"), "{e}");
        let e = parse("table_interval = 60\n").unwrap_err();
        assert!(e.contains("directory"), "{e}");
    }
}
