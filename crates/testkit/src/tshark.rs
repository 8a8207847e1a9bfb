//! tshark: a hard requirement where used, its JSON, and the TCP payload
//! streams of a capture.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::data::unhex;

use serde_json::Value;

/// tshark is a hard requirement: a missing or broken tshark fails the
/// test, never skips it (scripts/test.sh installs it).
pub fn require_tshark() {
    match Command::new("tshark").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`tshark --version` failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "tshark is required by this test but could not be run ({e}); \
             install it (Debian: `apt-get install tshark`, as scripts/test.sh does)"
        ),
    }
}

/// With `--no-duplicate-keys` a key seen once maps to its value and a key
/// seen several times to an array of the values: always give a list.
pub fn all(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(x) => vec![x],
    }
}

/// Write a classic pcap (Ethernet, IPv4, TCP) holding `payloads` as one
/// TCP connection 127.0.0.1:40000 -> 127.0.0.1:`port`: each payload in
/// its own segments of at most 1400 octets (a 3-way handshake first, so
/// tshark reassembles from the start).
pub fn write_pcap(path: &std::path::Path, port: u16, payloads: &[Vec<u8>]) {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    let mut t = 0u32;
    // (from client?, seq, ack, flags, payload)
    let mut segs: Vec<(bool, u32, u32, u8, &[u8])> = vec![
        (true, 999, 0, 0x02, &[]),      // SYN
        (false, 4999, 1000, 0x12, &[]), // SYN-ACK
        (true, 1000, 5000, 0x10, &[]),  // ACK
    ];
    let mut seq: u32 = 1000;
    for p in payloads {
        for chunk in p.chunks(1400) {
            segs.push((true, seq, 5000, 0x18, chunk));
            seq = seq.wrapping_add(chunk.len() as u32);
        }
    }
    for (client, seq, ack, flags, chunk) in segs {
        let (sport, dport) = if client {
            (40000u16, port)
        } else {
            (port, 40000u16)
        };
        let mut tcp = Vec::new();
        tcp.extend_from_slice(&sport.to_be_bytes());
        tcp.extend_from_slice(&dport.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.extend_from_slice(&[0x50, flags]); // 20-octet header
        tcp.extend_from_slice(&65535u16.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum (unchecked), urgent
        tcp.extend_from_slice(chunk);
        let total = 20 + tcp.len();
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(total as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
        ip.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = (sum & 0xffff) + (sum >> 16);
        let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut frame = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00];
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&tcp);
        t += 1;
        f.extend_from_slice(&t.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&frame);
    }
    std::fs::write(path, f).unwrap();
}

/// One direction of one TCP connection: its payload in sequence order.
pub struct TcpStream {
    /// "stream N src:port -> dst:port"
    pub name: String,
    pub bytes: Vec<u8>,
    /// Sequence gaps (lost or uncaptured segments) inside the stream.
    pub gaps: usize,
    /// (end offset in `bytes`, capture frame number) per segment used.
    pub frames: Vec<(usize, u64)>,
}

impl TcpStream {
    /// The capture frame in which the stream octet at `offset` arrived.
    pub fn frame_of(&self, offset: usize) -> u64 {
        self.frames
            .iter()
            .find(|(end, _)| offset < *end)
            .map_or(u64::MAX, |(_, f)| *f)
    }
}

/// The TCP payload streams towards `ports` in a capture, as tshark
/// dissects them: segments grouped per connection direction, ordered by
/// (relative) sequence number, retransmitted octets dropped.
pub fn tcp_streams(pcap: &Path, ports: &[u16]) -> Vec<TcpStream> {
    let filter = ports
        .iter()
        .map(|p| format!("tcp.dstport=={p}"))
        .collect::<Vec<_>>()
        .join(" || ");
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(pcap)
        .args(["-Y", &format!("tcp.len>0 && ({filter})"), "-T", "fields"])
        .args([
            "-E",
            "separator=|",
            "-e",
            "tcp.stream",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
        ])
        .args([
            "-e",
            "tcp.srcport",
            "-e",
            "ip.dst",
            "-e",
            "ipv6.dst",
            "-e",
            "tcp.dstport",
        ])
        .args(["-e", "tcp.seq", "-e", "tcp.payload", "-e", "frame.number"])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        pcap.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut segs: BTreeMap<String, Vec<(u64, Vec<u8>, u64)>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 10, "unexpected tshark line {line:?}");
        let src = if f[1].is_empty() { f[2] } else { f[1] };
        let dst = if f[4].is_empty() { f[5] } else { f[4] };
        let name = format!("stream {} {src}:{} -> {dst}:{}", f[0], f[3], f[6]);
        segs.entry(name).or_default().push((
            f[7].parse().unwrap(),
            unhex(f[8]),
            f[9].parse().unwrap(),
        ));
    }
    segs.into_iter()
        .map(|(name, mut v)| {
            v.sort_by_key(|(seq, _, _)| *seq);
            let mut bytes = Vec::new();
            let mut next: Option<u64> = None;
            let mut gaps = 0;
            let mut frames = Vec::new();
            for (seq, p, frame) in v {
                let end = seq + p.len() as u64;
                match next {
                    Some(n) if end <= n => continue, // retransmission
                    Some(n) if seq < n => bytes.extend_from_slice(&p[(n - seq) as usize..]),
                    Some(n) if seq > n => {
                        gaps += 1;
                        bytes.extend_from_slice(&p);
                    }
                    _ => bytes.extend_from_slice(&p),
                }
                next = Some(end);
                frames.push((bytes.len(), frame));
            }
            TcpStream {
                name,
                bytes,
                gaps,
                frames,
            }
        })
        .collect()
}
