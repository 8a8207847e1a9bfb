//! `rbgp decode`: BGP messages (hex or raw) to JSON lines.

use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use rbgp_wire::attr::{AttrValue, PathAttribute};
use rbgp_wire::message::split_messages;
use rbgp_wire::{AfiSafi, Context, Message, NlriEntry, Update};
use serde_json::{json, Map, Value};

#[derive(clap::Args)]
pub struct Args {
    /// A message in hex (marker included; spaces and ':' are ignored). Repeatable.
    #[arg(long)]
    hex: Vec<String>,
    /// A file of binary messages back to back ("-" for stdin).
    #[arg(long, value_name = "FILE")]
    raw: Option<PathBuf>,
    /// Files of hex messages, one per line ('#' starts a comment; "-" for stdin).
    files: Vec<PathBuf>,
    /// Families whose NLRI carry ADD-PATH path identifiers, e.g. ipv4_unicast,ipv6_unicast.
    #[arg(long, value_delimiter = ',')]
    add_path: Vec<String>,
    /// The session uses 2-octet AS numbers (no 4-octet AS capability).
    #[arg(long)]
    as2: bool,
    /// Allow messages up to 65535 octets (RFC 8654).
    #[arg(long)]
    extended_message: bool,
    /// Pretty-print the JSON.
    #[arg(long)]
    pretty: bool,
}

fn unhex(line: &str) -> Result<Vec<u8>> {
    let digits: Vec<u8> = line
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if !digits.len().is_multiple_of(2) {
        bail!("odd number of hex digits");
    }
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).context("not hex")?;
            u8::from_str_radix(s, 16).with_context(|| format!("bad hex digits {s:?}"))
        })
        .collect()
}

fn context(args: &Args) -> Result<Context> {
    let mut ctx = if args.as2 {
        Context::legacy()
    } else {
        Context::default()
    };
    ctx.extended_message = args.extended_message;
    for f in &args.add_path {
        let fam: AfiSafi = f.parse().with_context(|| format!("--add-path: {f:?}"))?;
        ctx.set_add_path(fam, true);
    }
    Ok(ctx)
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    if path.as_os_str() == "-" {
        io::stdin().read_to_end(&mut v)?;
    } else {
        v = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(v)
}

pub fn run(args: Args) -> Result<bool> {
    let ctx = context(&args)?;
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, h) in args.hex.iter().enumerate() {
        inputs.push((
            format!("--hex #{}", i + 1),
            unhex(h).with_context(|| format!("--hex #{}", i + 1))?,
        ));
    }
    for f in &args.files {
        let data = read_input(f)?;
        for (n, line) in data.lines().enumerate() {
            let line = line?;
            let t = line.split('#').next().unwrap_or("").trim();
            if t.is_empty() {
                continue;
            }
            let where_ = format!("{}:{}", f.display(), n + 1);
            inputs.push((where_.clone(), unhex(t).with_context(|| where_)?));
        }
    }
    let raw = match &args.raw {
        Some(p) => Some((p.display().to_string(), read_input(p)?)),
        None => None,
    };
    if inputs.is_empty() && raw.is_none() {
        bail!("nothing to decode: give --hex HEX, --raw FILE or a file of hex lines");
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut ok = true;
    let emit = |where_: &str, msg: &[u8], out: &mut dyn Write| -> Result<bool> {
        let mut ok = true;
        match Message::decode(msg, &ctx) {
            Ok(d) => {
                let mut v = message_json(&d.message, &ctx);
                if let Value::Object(m) = &mut v {
                    m.insert("length".into(), json!(d.len));
                    if !d.verdict.is_clean() {
                        m.insert("rfc7606".into(), serde_json::to_value(&d.verdict)?);
                    }
                }
                if args.pretty {
                    serde_json::to_writer_pretty(&mut *out, &v)?;
                } else {
                    serde_json::to_writer(&mut *out, &v)?;
                }
                writeln!(out)?;
                if d.len != msg.len() {
                    eprintln!(
                        "{where_}: {} trailing bytes after the message",
                        msg.len() - d.len
                    );
                    ok = false;
                }
            }
            Err(e) => {
                eprintln!("{where_}: {e}");
                ok = false;
            }
        }
        Ok(ok)
    };
    for (w, bytes) in &inputs {
        ok &= emit(w, bytes, &mut out)?;
    }
    if let Some((name, bytes)) = &raw {
        for (i, m) in split_messages(bytes, &ctx).enumerate() {
            match m {
                Ok(m) => ok &= emit(&format!("{name} message #{}", i + 1), m, &mut out)?,
                Err(e) => {
                    eprintln!("{name} message #{}: {e}", i + 1);
                    ok = false;
                }
            }
        }
    }
    out.flush()?;
    Ok(ok)
}

fn entry_json(family: AfiSafi, e: &NlriEntry, next_hop: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert("afi_safi".into(), json!(family.to_string()));
    m.insert("nlri".into(), json!(e.nlri.to_string()));
    if let Some(id) = e.path_id {
        m.insert("path_id".into(), json!(id));
    }
    if let Some(nh) = next_hop {
        m.insert("next_hop".into(), json!(nh));
    }
    Value::Object(m)
}

fn attr_name(a: &PathAttribute) -> String {
    match serde_json::to_value(&a.value) {
        Ok(Value::Object(m)) => m.keys().next().cloned().unwrap_or_default(),
        Ok(Value::String(s)) => s,
        _ => format!("attr_{}", a.code()),
    }
}

pub fn update_json(u: &Update) -> Value {
    let classic_nh = u.attributes.iter().find_map(|a| match &a.value {
        AttrValue::NextHop(n) => Some(n.to_string()),
        _ => None,
    });
    let mut announce: Vec<Value> = u
        .nlri
        .iter()
        .map(|e| entry_json(AfiSafi::IPV4_UNICAST, e, classic_nh.clone()))
        .collect();
    let mut withdraw: Vec<Value> = u
        .withdrawn
        .iter()
        .map(|e| entry_json(AfiSafi::IPV4_UNICAST, e, None))
        .collect();
    let mut attributes = Map::new();
    for a in &u.attributes {
        match &a.value {
            AttrValue::MpReach(m) => {
                let nh = m.next_hop.to_string();
                announce.extend(
                    m.nlri
                        .iter()
                        .map(|e| entry_json(m.family, e, Some(nh.clone()))),
                );
                if !m.unparsed.is_empty() {
                    attributes.insert(
                        "mp_reach_unparsed".into(),
                        json!({"afi_safi": m.family.to_string(), "next_hop": nh, "bytes": m.unparsed.len()}),
                    );
                }
            }
            AttrValue::MpUnreach(m) => {
                withdraw.extend(m.withdrawn.iter().map(|e| entry_json(m.family, e, None)));
                if m.withdrawn.is_empty() && m.unparsed.is_empty() {
                    attributes.insert("end_of_rib".into(), json!(m.family.to_string()));
                }
            }
            AttrValue::AsPath(p) | AttrValue::As4Path(p) => {
                let key = if matches!(a.value, AttrValue::AsPath(_)) {
                    "as_path"
                } else {
                    "as4_path"
                };
                attributes.insert(key.into(), json!(p.to_string()));
            }
            AttrValue::Unknown(x) => {
                attributes.insert(
                    format!("attr_{}", x.code),
                    json!({"flags": a.flags, "data": x.data.iter().map(|b| format!("{b:02x}")).collect::<String>()}),
                );
            }
            _ => {
                let name = attr_name(a);
                let v = match serde_json::to_value(&a.value) {
                    Ok(Value::Object(mut m)) => m.remove(&name).unwrap_or(Value::Null),
                    Ok(Value::String(_)) => Value::Bool(true),
                    _ => Value::Null,
                };
                attributes.insert(name, v);
            }
        }
    }
    if let Some(f) = u.is_end_of_rib() {
        attributes.insert("end_of_rib".into(), json!(f.to_string()));
    }
    let mut m = Map::new();
    m.insert("type".into(), json!("UPDATE"));
    m.insert("announce".into(), Value::Array(announce));
    m.insert("withdraw".into(), Value::Array(withdraw));
    m.insert("attributes".into(), Value::Object(attributes));
    if let Some(p) = u.effective_as_path() {
        if u.attribute(rbgp_wire::attr::code::AS4_PATH).is_some() {
            m.insert("effective_as_path".into(), json!(p.to_string()));
        }
    }
    Value::Object(m)
}

pub fn message_json(msg: &Message, _ctx: &Context) -> Value {
    match msg {
        Message::Update(u) => update_json(u),
        Message::Open(o) => {
            let mut v = serde_json::to_value(msg).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("asn".into(), json!(o.asn()));
            }
            v
        }
        Message::Notification(n) => {
            let mut v = serde_json::to_value(msg).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("description".into(), json!(n.to_string()));
                if let Some(s) = n.shutdown_message() {
                    m.insert("shutdown_message".into(), json!(s));
                }
            }
            v
        }
        _ => serde_json::to_value(msg).unwrap_or(Value::Null),
    }
}
