//! `rbgp bmp`: a BMP byte stream (a capture of what a router sent its
//! collector, or stdin), OpenBMP raw_bmp payloads from a file or read
//! from Kafka (`--kafka`), to JSON lines, one per message, or one per
//! route element with `--elems`.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use rbgp_bmp::framer::{BmpFramer, Frame};
use rbgp_bmp::openbmp::{OpenBmpHeader, MAGIC};
use rbgp_bmp::session::{BmpSession, Processed};
use serde_json::Value;

#[derive(clap::Args)]
pub struct Args {
    /// A file of BMP messages back to back, as a router sends them ("-" for stdin).
    #[arg(required_unless_present = "kafka")]
    input: Option<PathBuf>,
    /// Read OpenBMP raw_bmp records from Kafka (bootstrap brokers,
    /// comma-separated) instead of a file: every partition from the oldest
    /// record kept, up to the newest (with --follow, on and on).
    #[arg(long, value_delimiter = ',', conflicts_with = "input")]
    kafka: Vec<String>,
    /// The topic read with --kafka.
    #[arg(long, default_value = "openbmp.bmp_raw")]
    topic: String,
    /// With --kafka: keep reading new records.
    #[arg(long)]
    follow: bool,
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
        let mut v = crate::bmp_json::message_json(p)?;
        if let Value::Object(m) = &mut v {
            if let Some(x) = extra {
                m.insert("openbmp".into(), x.clone());
            }
        }
        self.line(&v)
    }
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
    let stdout = io::stdout();
    let mut out = Out {
        w: Box::new(io::BufWriter::new(stdout.lock())),
        args: &args,
        ok: true,
        n: 0,
    };
    let Some(path) = &args.input else {
        run_kafka(&args, &mut out)?;
        out.w.flush()?;
        return Ok(out.ok);
    };
    let mut input = open_input(path)?;
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

type Sessions = HashMap<(IpAddr, [u8; 16]), BmpSession>;

/// raw_bmp records from Kafka, each read as one payload.
fn run_kafka(args: &Args, out: &mut Out<'_>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut c =
            crate::collector::kafka::Consumer::connect(&args.kafka, &args.topic, true).await?;
        let mut sessions = Sessions::new();
        while let Some(records) = c.next(args.follow).await? {
            for r in records {
                match OpenBmpHeader::decode(&r.value) {
                    Ok((h, bmp)) => payload(&h, bmp, &mut sessions, out)?,
                    Err(e) => out.error(&format!(
                        "{}/{} offset {}: OpenBMP header: {e}",
                        args.topic, r.partition, r.offset
                    )),
                }
            }
            out.w.flush()?;
        }
        Ok(())
    })
}

/// One raw_bmp payload's BMP octets, read with its router's session.
fn payload(
    h: &OpenBmpHeader,
    bmp: &[u8],
    sessions: &mut Sessions,
    out: &mut Out<'_>,
) -> Result<()> {
    let extra = serde_json::to_value(h)?;
    let session = sessions.entry((h.router_ip, h.router_hash)).or_default();
    let mut framer = BmpFramer::new();
    framer.push(bmp);
    drain(&mut framer, session, out, Some(&extra))?;
    if framer.buffered() > 0 {
        out.error("OpenBMP payload ends inside a BMP message");
    }
    Ok(())
}

/// Concatenated raw_bmp payloads: each an OpenBMP header and the BMP
/// octets it announces; one session per router.
fn run_openbmp(data: &[u8], out: &mut Out<'_>) -> Result<()> {
    let mut sessions = Sessions::new();
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
                payload(&h, bmp, &mut sessions, out)?;
            }
            Err(e) => {
                out.error(&format!("OpenBMP header: {e}"));
                pos += start + 4;
            }
        }
    }
    Ok(())
}
