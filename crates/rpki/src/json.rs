//! VRP/ASPA snapshots in the JSON forms relying parties write:
//!
//! - rpki-client `-j`: `{"roas":[{"asn":N,"prefix":"P/L","maxLength":M,..}],
//!   "aspas":[{"customer_asid":N,"providers":[..]}]}`; rpki-client 8.x put
//!   ASPAs under `"provider_authorizations":{"ipv4":[..],"ipv6":[..]}`;
//! - routinator `jsonext`: the same `roas` with `"asn":"AS13335"`;
//! - StayRTR's input: rpki-client's form;
//! - a bare array of VRP objects.
//!
//! Fields other than these are ignored. ASNs are numbers or strings
//! (`"AS13335"`, `"as13335"`, `"13335"`); a missing `maxLength` is the
//! prefix length (RFC 6482 §3.3).

use rbgp_wire::Prefix;
use serde::de::{self, Deserializer};
use serde::Deserialize;
use thiserror::Error;

use crate::record::{Aspa, Vrp};
use crate::table::Table;

#[derive(Debug, Error)]
pub enum JsonError {
    #[error("JSON: {0}")]
    Syntax(#[from] serde_json::Error),
    #[error("roas[{index}]: bad prefix {text:?}")]
    Prefix { index: usize, text: String },
    #[error("roas[{index}]: maxLength {max_len} outside {len}..={width}")]
    MaxLength {
        index: usize,
        len: u8,
        max_len: u8,
        width: u8,
    },
    #[error("more than {limit} {what}")]
    TooMany { what: &'static str, limit: usize },
}

/// An ASN as a number or a string with or without "AS".
#[derive(Debug, Clone, Copy)]
struct Asn(u32);

impl<'de> Deserialize<'de> for Asn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<'a> {
            Num(u32),
            Str(&'a str),
            Owned(String),
        }
        let parse = |s: &str| {
            let t = s.trim();
            let t = t
                .strip_prefix("AS")
                .or_else(|| t.strip_prefix("as"))
                .or_else(|| t.strip_prefix("As"))
                .unwrap_or(t);
            t.parse::<u32>()
                .map(Asn)
                .map_err(|_| de::Error::custom(format!("bad AS number {s:?}")))
        };
        match Raw::deserialize(d)? {
            Raw::Num(n) => Ok(Asn(n)),
            Raw::Str(s) => parse(s),
            Raw::Owned(s) => parse(&s),
        }
    }
}

#[derive(Deserialize)]
struct RawVrp {
    prefix: String,
    #[serde(rename = "maxLength", alias = "max_length", alias = "maxlen", default)]
    max_len: Option<u8>,
    asn: Asn,
}

#[derive(Deserialize)]
struct RawAspa {
    #[serde(alias = "customer", alias = "customerAsid")]
    customer_asid: Asn,
    #[serde(default)]
    providers: Vec<Asn>,
}

#[derive(Deserialize, Default)]
struct OldAspas {
    #[serde(default)]
    ipv4: Vec<RawAspa>,
    #[serde(default)]
    ipv6: Vec<RawAspa>,
}

#[derive(Deserialize)]
struct Snapshot {
    #[serde(default, alias = "vrps")]
    roas: Vec<RawVrp>,
    #[serde(default)]
    aspas: Vec<RawAspa>,
    #[serde(default)]
    provider_authorizations: Option<OldAspas>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    Object(Snapshot),
    Array(Vec<RawVrp>),
}

/// Limits on what a snapshot may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_vrps: usize,
    pub max_aspas: usize,
}

impl Default for Limits {
    /// Several times today's global numbers (~750k VRPs, ~100 ASPAs).
    fn default() -> Self {
        Limits {
            max_vrps: 10_000_000,
            max_aspas: 1_000_000,
        }
    }
}

/// The VRPs and ASPAs of a snapshot, in file order. ASPAs of one customer
/// that appear more than once (the old format lists one per family) are
/// merged into their union; providers are sorted and unique.
pub fn parse(bytes: &[u8]) -> Result<(Vec<Vrp>, Vec<Aspa>), JsonError> {
    parse_limited(bytes, Limits::default())
}

/// [`parse`] with limits.
pub fn parse_limited(bytes: &[u8], limits: Limits) -> Result<(Vec<Vrp>, Vec<Aspa>), JsonError> {
    let (roas, raw_aspas) = match serde_json::from_slice::<Document>(bytes)? {
        Document::Array(v) => (v, Vec::new()),
        Document::Object(s) => {
            let mut a = s.aspas;
            if let Some(old) = s.provider_authorizations {
                a.extend(old.ipv4);
                a.extend(old.ipv6);
            }
            (s.roas, a)
        }
    };
    if roas.len() > limits.max_vrps {
        return Err(JsonError::TooMany {
            what: "VRPs",
            limit: limits.max_vrps,
        });
    }
    let mut vrps = Vec::with_capacity(roas.len());
    for (index, r) in roas.into_iter().enumerate() {
        let prefix: Prefix = r.prefix.parse().map_err(|_| JsonError::Prefix {
            index,
            text: r.prefix.clone(),
        })?;
        let width = if prefix.is_ipv4() { 32 } else { 128 };
        let len = prefix.len();
        let max_len = r.max_len.unwrap_or(len);
        if max_len < len || max_len > width {
            return Err(JsonError::MaxLength {
                index,
                len,
                max_len,
                width,
            });
        }
        vrps.push(Vrp {
            prefix,
            max_len,
            asn: r.asn.0,
        });
    }
    let mut by: std::collections::BTreeMap<u32, Vec<u32>> = std::collections::BTreeMap::new();
    for a in raw_aspas {
        by.entry(a.customer_asid.0)
            .or_default()
            .extend(a.providers.into_iter().map(|p| p.0));
    }
    if by.len() > limits.max_aspas {
        return Err(JsonError::TooMany {
            what: "ASPAs",
            limit: limits.max_aspas,
        });
    }
    let aspas = by.into_iter().map(|(c, p)| Aspa::new(c, p)).collect();
    Ok((vrps, aspas))
}

impl Table {
    /// A table from a JSON snapshot (see [`parse`]).
    pub fn from_json(bytes: &[u8]) -> Result<Table, JsonError> {
        let (vrps, aspas) = parse(bytes)?;
        Ok(Table::from_parts(vrps, aspas))
    }
}
