//! `rbgp-bench bmp-sink`: a BMP station for the benchmark that reads as
//! fast as the socket delivers and counts messages by their common
//! header; one JSON line per connection when it closes, and a progress
//! line every second. Drains like a real collector that keeps up, so the
//! DUT's export cost is what is measured.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct SinkArgs {
    /// Where to listen (the DUT connects).
    #[arg(long, default_value = "10.99.0.2:11019")]
    listen: SocketAddr,
}

pub fn run(a: &SinkArgs) -> anyhow::Result<()> {
    let l = TcpListener::bind(a.listen)?;
    println!(r#"{{"event":"listening"}}"#);
    loop {
        let (mut s, _) = l.accept()?;
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = vec![0u8; 1 << 20];
        // Bytes of the current message still to skip, and a partial
        // header carried between reads.
        let (mut skip, mut head) = (0usize, Vec::with_capacity(6));
        let (mut messages, mut bytes) = (0u64, 0u64);
        let mut tick = Instant::now();
        loop {
            let n = match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    0
                }
                Err(_) => break,
            };
            bytes += n as u64;
            let mut rest = buf.get(..n).unwrap_or_default();
            while !rest.is_empty() {
                if skip > 0 {
                    let k = skip.min(rest.len());
                    skip -= k;
                    rest = rest.get(k..).unwrap_or_default();
                    continue;
                }
                let want = 6 - head.len();
                let k = want.min(rest.len());
                head.extend_from_slice(rest.get(..k).unwrap_or_default());
                rest = rest.get(k..).unwrap_or_default();
                if head.len() == 6 {
                    let len = head
                        .get(1..5)
                        .and_then(|b| b.try_into().ok())
                        .map_or(6, u32::from_be_bytes) as usize;
                    skip = len.saturating_sub(6);
                    head.clear();
                    messages += 1;
                }
            }
            if tick.elapsed() >= Duration::from_secs(1) {
                tick = Instant::now();
                println!(r#"{{"event":"progress","messages":{messages},"bytes":{bytes}}}"#);
            }
        }
        println!(r#"{{"event":"closed","messages":{messages},"bytes":{bytes}}}"#);
    }
}
