//! Route origin validation (RFC 6811) of the generated table against a VRP
//! file, computed here independently of the daemons: the number of routes
//! the DUT must drop when its import policy rejects RPKI-invalid ones
//! (bench/run.sh case u). `--add N` writes the file plus N new VRPs, each
//! turning one not-found route of the table invalid: the delta of the
//! revalidation step.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Args;
use rbgp_wire::{AttrValue, Nlri, Prefix};
use rustc_hash::FxHashMap;
use serde_json::{json, Value};

use crate::gen::{assign, prefixes, session_seed};

#[derive(Args)]
pub struct RovArgs {
    /// rpki-client JSON (`roas`: `prefix`, `maxLength`, `asn`).
    #[arg(long)]
    pub vrps: PathBuf,
    /// The feed's shape (as given to `feed`).
    #[arg(long, default_value_t = 1)]
    pub sessions: u32,
    #[arg(long, default_value_t = 1_000_000)]
    pub prefixes: usize,
    #[arg(long, default_value_t = 65001)]
    pub asn: u32,
    #[arg(long, default_value_t = 0.15)]
    pub attr_ratio: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the VRPs plus this many new ones to `--out`.
    #[arg(long, requires = "out")]
    pub add: Option<usize>,
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// IPv4 VRPs by (prefix length, network address): (max length, AS).
type Vrps = FxHashMap<(u8, u32), Vec<(u8, u32)>>;

fn asn_of(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim_start_matches(['A', 'S', 'a', 's']).parse().ok(),
        _ => None,
    }
}

fn mask(addr: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        addr & (u32::MAX << (32 - u32::from(len)))
    }
}

fn load(doc: &Value) -> anyhow::Result<Vrps> {
    let mut vrps = Vrps::default();
    let Some(roas) = doc.get("roas").and_then(Value::as_array) else {
        bail!("no \"roas\" array");
    };
    for r in roas {
        let text = r.get("prefix").and_then(Value::as_str).unwrap_or("");
        let Some((addr, len)) = text.split_once('/') else {
            bail!("bad prefix {text:?}");
        };
        let Ok(addr) = addr.parse::<Ipv4Addr>() else {
            continue; // IPv6: the table is IPv4
        };
        let len: u8 = len.parse().with_context(|| format!("prefix {text:?}"))?;
        if len > 32 {
            bail!("prefix {text:?}: length over 32");
        }
        let max = r
            .get("maxLength")
            .and_then(Value::as_u64)
            .map_or(len, |m| m.min(32) as u8);
        let asn = r.get("asn").and_then(asn_of).context("asn")?;
        vrps.entry((len, mask(u32::from(addr), len)))
            .or_default()
            .push((max, asn));
    }
    Ok(vrps)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Valid,
    Invalid,
    NotFound,
}

/// RFC 6811 §2: covered by no VRP: not-found; matched by one (same
/// origin, length within its maximum): valid; covered only: invalid.
fn validate(vrps: &Vrps, addr: u32, len: u8, origin: Option<u32>) -> State {
    let mut covered = false;
    for l in 0..=len {
        if let Some(list) = vrps.get(&(l, mask(addr, l))) {
            covered = true;
            if list
                .iter()
                .any(|&(max, asn)| len <= max && Some(asn) == origin && asn != 0)
            {
                return State::Valid;
            }
        }
    }
    if covered {
        State::Invalid
    } else {
        State::NotFound
    }
}

/// Every route of the generated table: (address, length, origin AS).
fn routes(a: &RovArgs) -> Vec<(u32, u8, Option<u32>)> {
    let all = prefixes(a.prefixes * a.sessions as usize, a.seed);
    let mut out = Vec::with_capacity(all.len());
    for i in 0..a.sessions {
        let slice = all
            .get(i as usize * a.prefixes..(i as usize + 1) * a.prefixes)
            .unwrap_or(&[]);
        // The next hop does not change what is drawn.
        let (sets, members) = assign(
            slice,
            a.asn + i,
            Ipv4Addr::UNSPECIFIED,
            a.attr_ratio,
            session_seed(a.seed, i),
        );
        for (attrs, nlri) in sets.iter().zip(&members) {
            let origin = attrs.iter().find_map(|p| match &p.value {
                AttrValue::AsPath(path) => path.origin_as(),
                _ => None,
            });
            for n in nlri {
                if let Nlri::Prefix(Prefix::V4(p)) = &n.nlri {
                    out.push((u32::from(p.addr()), p.len(), origin));
                }
            }
        }
    }
    out
}

fn counts(vrps: &Vrps, routes: &[(u32, u8, Option<u32>)]) -> Value {
    let (mut valid, mut invalid, mut not_found) = (0u64, 0u64, 0u64);
    for &(addr, len, origin) in routes {
        match validate(vrps, addr, len, origin) {
            State::Valid => valid += 1,
            State::Invalid => invalid += 1,
            State::NotFound => not_found += 1,
        }
    }
    json!({ "routes": routes.len(), "valid": valid, "invalid": invalid, "not_found": not_found })
}

pub fn run(a: &RovArgs) -> anyhow::Result<()> {
    let text = std::fs::read(&a.vrps).with_context(|| a.vrps.display().to_string())?;
    let mut doc: Value = serde_json::from_slice(&text).context("VRP JSON")?;
    let vrps = load(&doc)?;
    let table = routes(a);
    let before = counts(&vrps, &table);
    if let (Some(n), Some(path)) = (a.add, &a.out) {
        // Spread over the table: every k-th not-found route, a VRP for
        // exactly its prefix from AS 64496 (documentation, RFC 5398).
        let candidates: Vec<_> = table
            .iter()
            .filter(|&&(addr, len, o)| validate(&vrps, addr, len, o) == State::NotFound)
            .collect();
        let step = (candidates.len() / n.max(1)).max(1);
        let added: Vec<Value> = candidates
            .iter()
            .step_by(step)
            .take(n)
            .map(|&&(addr, len, _)| {
                json!({ "prefix": format!("{}/{len}", Ipv4Addr::from(addr)), "maxLength": len, "asn": 64496, "ta": "bench" })
            })
            .collect();
        if added.len() < n {
            bail!("only {} not-found routes to add VRPs for", added.len());
        }
        match doc.get_mut("roas").and_then(Value::as_array_mut) {
            Some(roas) => roas.extend(added),
            None => bail!("no \"roas\" array"),
        }
        std::fs::write(path, serde_json::to_vec(&doc)?)
            .with_context(|| path.display().to_string())?;
        let after = counts(&load(&doc)?, &table);
        println!(
            "{}",
            json!({ "event": "rov", "before": before, "added": n, "after": after })
        );
        return Ok(());
    }
    println!("{}", json!({ "event": "rov", "before": before }));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 6811 §2's outcomes on one VRP (10.0.0.0/8-16 from AS 1) and an
    /// AS 0 one (RFC 6483 §4: never valid).
    #[test]
    fn states_as_rfc_6811_gives_them() {
        let doc = json!({ "roas": [
            { "prefix": "10.0.0.0/8", "maxLength": 16, "asn": "AS1" },
            { "prefix": "192.0.2.0/24", "asn": 0 },
            { "prefix": "2001:db8::/32", "maxLength": 48, "asn": 1 } ] });
        let v = load(&doc).unwrap();
        let ip = |s: &str| u32::from(s.parse::<Ipv4Addr>().unwrap());
        let at = |a: &str, len, o| validate(&v, ip(a), len, o);
        assert!(at("10.1.0.0", 16, Some(1)) == State::Valid);
        assert!(at("10.1.1.0", 24, Some(1)) == State::Invalid, "too long");
        assert!(at("10.1.0.0", 16, Some(2)) == State::Invalid, "other AS");
        assert!(at("10.1.0.0", 16, None) == State::Invalid, "AS_SET origin");
        assert!(at("11.0.0.0", 8, Some(1)) == State::NotFound);
        assert!(
            at("0.0.0.0", 0, Some(1)) == State::NotFound,
            "less specific"
        );
        assert!(at("192.0.2.0", 24, Some(0)) == State::Invalid, "AS 0");
    }
}
