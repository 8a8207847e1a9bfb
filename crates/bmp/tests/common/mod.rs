//! Shared by the BMP integration tests: the shared data directory, tshark,
//! TCP payload streams out of pcaps, and a minimal pcap writer.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rbgp_bmp::framer::{split, Frame};
use rbgp_bmp::session::{BmpSession, Processed};
use rbgp_bmp::BmpError;

pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("RBGP_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    assert!(
        dir.join("INDEX.md").exists(),
        "shared test data not found at {} (set RBGP_SHARED_DATA)",
        dir.display()
    );
    dir
}

/// tshark is a hard requirement: a missing tshark fails the test, never
/// skips it (scripts/test.sh installs it).
pub fn require_tshark() {
    match Command::new("tshark").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`tshark --version` failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "tshark is required by this test but could not be run ({e}); \
             install it (Debian: `apt-get install tshark`, as scripts/test.sh does)"
        ),
    }
}

pub fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
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

/// A stream decoded with one session.
#[derive(Default)]
pub struct Decoded {
    pub processed: Vec<Processed>,
    pub errors: Vec<String>,
    /// Octets the framer dropped (mid-message start, gaps).
    pub skipped: usize,
    pub skip_reasons: Vec<BmpError>,
    /// Offset of the last octet of each processed message.
    pub last_octet: Vec<usize>,
}

pub fn decode_stream(bytes: &[u8]) -> Decoded {
    let mut s = BmpSession::new();
    let mut d = Decoded::default();
    let mut offset = 0;
    for (i, f) in split(bytes).enumerate() {
        match f {
            Frame::Message(m) => {
                offset += m.len();
                match s.process(&m) {
                    Ok(p) => {
                        d.processed.push(p);
                        d.last_octet.push(offset - 1);
                    }
                    Err(e) => d.errors.push(format!("frame {i}: {e}")),
                }
            }
            Frame::Skipped { octets, error } => {
                offset += octets;
                d.skipped += octets;
                d.skip_reasons.push(error);
            }
        }
    }
    d
}

/// Write a classic pcap (Ethernet, IPv4, TCP) holding `payloads` as one
/// TCP connection 127.0.0.1:40000 -> 127.0.0.1:`port` (segments of at
/// most 1400 octets; no handshake: tshark dissects mid-stream data).
pub fn write_pcap(path: &Path, port: u16, payloads: &[Vec<u8>]) {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    let mut seq: u32 = 1000;
    let mut t = 0u32;
    let all: Vec<u8> = payloads.concat();
    for chunk in all.chunks(1400) {
        let mut tcp = Vec::new();
        tcp.extend_from_slice(&40000u16.to_be_bytes());
        tcp.extend_from_slice(&port.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&1u32.to_be_bytes()); // ack
        tcp.extend_from_slice(&[0x50, 0x18]); // 20-octet header; PSH, ACK
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
        seq = seq.wrapping_add(chunk.len() as u32);
    }
    std::fs::write(path, f).unwrap();
}
