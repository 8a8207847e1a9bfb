//! NDJSON for pipes: `rbgp bmp`'s objects (one per message, or one per
//! route element), each with `bmp_router` naming the router, to stdout or
//! appended to a file. The lines are rendered by the reader of each
//! router ([`render`], so routers are rendered in parallel); this output
//! only writes them, on a blocking thread (writes may block).

use std::io::{self, BufWriter, Write};

use serde_json::Value;
use tokio::sync::mpsc;

use super::config::Ndjson;
use super::{Event, Msg};

/// The lines of one message, each ending in a newline.
pub fn render(m: &Msg, elems: bool) -> Vec<u8> {
    let router = Value::String(m.router.ip.to_string());
    let mut out = Vec::new();
    let mut tag = |mut v: Value| {
        if let Value::Object(o) = &mut v {
            o.insert("bmp_router".into(), router.clone());
        }
        if serde_json::to_writer(&mut out, &v).is_ok() {
            out.push(b'\n');
        }
    };
    match m.p.as_ref() {
        Ok(_) if elems => {
            for e in m.elems.iter() {
                if let Ok(v) = serde_json::to_value(e) {
                    tag(v);
                }
            }
        }
        Ok(p) => match crate::bmp_json::message_json(p) {
            Ok(v) => tag(v),
            Err(e) => tag(serde_json::json!({ "error": e.to_string() })),
        },
        Err(e) if !elems => tag(serde_json::json!({ "error": e, "length": m.raw.len() })),
        Err(_) => {}
    }
    out
}

pub fn run(cfg: Ndjson, mut rx: mpsc::Receiver<Event>) -> io::Result<()> {
    let w: Box<dyn Write> = if cfg.path.as_os_str() == "-" {
        Box::new(io::stdout())
    } else {
        Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&cfg.path)?,
        )
    };
    let mut w = BufWriter::with_capacity(256 * 1024, w);
    while let Some(ev) = rx.blocking_recv() {
        match ev {
            Event::Msg(m) => {
                if let Some(lines) = &m.ndjson {
                    w.write_all(lines)?;
                }
            }
            Event::Tick(_) => w.flush()?,
            Event::RouterDown(_) => {}
        }
        // Caught up: what a pipe's reader waits for goes out now.
        if rx.is_empty() {
            w.flush()?;
        }
    }
    w.flush()
}
