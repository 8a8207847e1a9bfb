//! `rbgp bmp`: a BMP byte stream (a capture of what a router sent its
//! collector, or stdin) to JSON lines, one per message, or one per route
//! element with `--elems`.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use rbgp_bmp::framer::{BmpFramer, Frame};
use rbgp_bmp::openbmp::{OpenBmpHeader, MAGIC};
use rbgp_bmp::session::{BmpSession, Processed};
use rbgp_bmp::BmpMessage;
use serde_json::{json, Map, Value};

#[derive(clap::Args)]
pub struct Args {
    /// A file of BMP messages back to back, as a router sends them ("-" for stdin).
    input: PathBuf,
    /// The input is OpenBMP `raw_bmp` (Kafka) payloads: each an OpenBMP
    /// header followed by BMP messages.
    #[arg(long)]
    openbmp: bool,
    /// Print route elements (one per announced or withdrawn NLRI) instead of messages.
    #[arg(long)]
    elems: bool,
    /// Pretty-print the JSON.
    #[arg(long)]
    pretty: bool,
}

struct Out<'a> {
    w: Box<dyn Write + 'a>,
    args: &'a Args,
    ok: bool,
    n: usize,
}

impl Out<'_> {
    fn line(&mut self, v: &Value) -> Result<()> {
        if self.args.pretty {
            serde_json::to_writer_pretty(&mut self.w, v)?;
        } else {
            serde_json::to_writer(&mut self.w, v)?;
        }
        writeln!(self.w)?;
        Ok(())
    }

    fn error(&mut self, what: &str) {
        eprintln!("rbgp bmp: {what}");
        self.ok = false;
    }

    /// One processed message: JSON (or its elements), warnings on stderr.
    fn emit(&mut self, p: &Processed, extra: Option<&Value>) -> Result<()> {
        self.n += 1;
        let n = self.n;
        for w in &p.warnings {
            eprintln!("rbgp bmp: message #{n}: warning: {w}");
        }
        if let Some(Err(e)) = &p.update {
            self.error(&format!("message #{n}: Route Monitoring UPDATE: {e}"));
        }
        if self.args.elems {
            for e in p.elems() {
                let mut v = serde_json::to_value(&e)?;
                if let (Value::Object(m), Some(x)) = (&mut v, extra) {
                    m.insert("openbmp".into(), x.clone());
                }
                self.line(&v)?;
            }
            return Ok(());
        }
        let mut v = message_json(p)?;
        if let Value::Object(m) = &mut v {
            if let Some(x) = extra {
                m.insert("openbmp".into(), x.clone());
            }
        }
        self.line(&v)
    }
}

/// A message as JSON; a Route Monitoring's UPDATE in `rbgp decode`'s form
/// with the context it was read with.
pub fn message_json(p: &Processed) -> Result<Value> {
    let mut v = serde_json::to_value(&p.message)?;
    let Value::Object(m) = &mut v else {
        return Ok(v);
    };
    if let BmpMessage::RouteMonitoring(rm) = &p.message {
        m.insert("length".into(), json!(rm.pdu.len()));
        match &p.update {
            Some(Ok(u)) => {
                m.remove("pdu");
                m.insert("update".into(), crate::decode::update_json(&u.update));
                let mut c = Map::new();
                c.insert("source".into(), serde_json::to_value(u.source)?);
                c.insert("four_octet_as".into(), json!(u.context.four_octet_as));
                c.insert(
                    "add_path".into(),
                    serde_json::to_value(u.context.add_path_families())?,
                );
                m.insert("context".into(), Value::Object(c));
                if !u.verdict.is_clean() {
                    m.insert("rfc7606".into(), serde_json::to_value(&u.verdict)?);
                }
                if let Some(f) = u.update.is_end_of_rib() {
                    m.insert("end_of_rib".into(), serde_json::to_value(f)?);
                }
            }
            Some(Err(e)) => {
                m.insert("error".into(), json!(e.to_string()));
            }
            None => {}
        }
    }
    if !p.warnings.is_empty() {
        m.insert("warnings".into(), json!(p.warnings));
    }
    Ok(v)
}

/// Feed `frames` of one session to the output.
fn drain(
    framer: &mut BmpFramer,
    session: &mut BmpSession,
    out: &mut Out<'_>,
    extra: Option<&Value>,
) -> Result<()> {
    while let Some(f) = framer.next_frame() {
        match f {
            Frame::Message(m) => match session.process(&m) {
                Ok(p) => out.emit(&p, extra)?,
                Err(e) => {
                    out.n += 1;
                    let n = out.n;
                    out.error(&format!("message #{n}: {e}"));
                }
            },
            Frame::Skipped { octets, error } => out.error(&format!(
                "skipped {octets} octets to resynchronise: {error}"
            )),
        }
    }
    Ok(())
}

fn open_input(path: &PathBuf) -> Result<Box<dyn Read>> {
    Ok(if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?)
    })
}

pub fn run(args: Args) -> Result<bool> {
    let mut input = open_input(&args.input)?;
    let stdout = io::stdout();
    let mut out = Out {
        w: Box::new(io::BufWriter::new(stdout.lock())),
        args: &args,
        ok: true,
        n: 0,
    };
    if args.openbmp {
        let mut data = Vec::new();
        input.read_to_end(&mut data)?;
        run_openbmp(&data, &mut out)?;
    } else {
        // Streaming: messages are printed as they arrive (a live
        // `nc -l 1790 | rbgp bmp -` works).
        let mut framer = BmpFramer::new();
        let mut session = BmpSession::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading input"),
            };
            framer.push(buf.get(..n).unwrap_or_default());
            drain(&mut framer, &mut session, &mut out, None)?;
            out.w.flush()?;
        }
        if framer.buffered() > 0 {
            let left = framer.buffered();
            out.error(&format!("input ends inside a message ({left} octets left)"));
        }
    }
    out.w.flush()?;
    Ok(out.ok)
}

/// Concatenated raw_bmp payloads: each an OpenBMP header and the BMP
/// octets it announces; one session per router.
fn run_openbmp(data: &[u8], out: &mut Out<'_>) -> Result<()> {
    let mut sessions: HashMap<(IpAddr, [u8; 16]), BmpSession> = HashMap::new();
    let mut pos = 0;
    while pos < data.len() {
        let rest = data.get(pos..).unwrap_or_default();
        // Payloads written to a file may be separated (a newline after each
        // is common); find the next header.
        let Some(start) = rest.windows(4).position(|w| w == MAGIC) else {
            if rest.iter().any(|b| !b.is_ascii_whitespace()) {
                out.error(&format!(
                    "{} octets after the last OpenBMP header",
                    rest.len()
                ));
            }
            break;
        };
        if rest
            .get(..start)
            .is_some_and(|g| g.iter().any(|b| !b.is_ascii_whitespace()))
        {
            out.error(&format!("skipped {start} octets before an OpenBMP header"));
        }
        let at = rest.get(start..).unwrap_or_default();
        match OpenBmpHeader::decode(at) {
            Ok((h, bmp)) => {
                pos += start + h.header_len() + bmp.len();
                let extra = serde_json::to_value(&h)?;
                let session = sessions.entry((h.router_ip, h.router_hash)).or_default();
                let mut framer = BmpFramer::new();
                framer.push(bmp);
                drain(&mut framer, session, out, Some(&extra))?;
                if framer.buffered() > 0 {
                    out.error("OpenBMP payload ends inside a BMP message");
                }
            }
            Err(e) => {
                out.error(&format!("OpenBMP header: {e}"));
                pos += start + 4;
            }
        }
    }
    Ok(())
}
