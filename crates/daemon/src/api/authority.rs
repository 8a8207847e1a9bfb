//! Unix-socket connections pass through here before tonic sees them.
//!
//! grpc-core clients (Python's grpcio, C++, Ruby, PHP...) send the socket
//! path, percent-encoded (`%2Frun%2Frbgpd%2Frbgpd.sock`), as the HTTP/2
//! `:authority` of a `unix:` channel. That is no authority in RFC 3986's
//! sense (RFC 9113 §8.3.1), and h2 resets the stream with PROTOCOL_ERROR
//! (hyperium/h2#487), so every call of such a client fails. Clients that
//! use `localhost` (tonic, grpc-go, rbgpctl) are unaffected.
//!
//! The client's bytes are read as HTTP/2 frames: header blocks (HEADERS
//! and their CONTINUATIONs) are decoded (HPACK, RFC 7541) and, when the
//! `:authority` does not parse, the block is sent on re-encoded with
//! `localhost` as authority, as literals that leave the server's dynamic
//! table alone; once one block was re-encoded every later one is too (the
//! client's table and the server's then differ). Everything else, and
//! everything the server sends, passes unchanged.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, DuplexStream};

/// RFC 9113 §3.4.
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;
/// Every peer must accept frames this large (RFC 9113 §4.2).
const MIN_MAX_FRAME: usize = 16_384;
/// A header block larger than this ends the connection (h2's own limit on
/// header lists is 16 KiB by default).
const MAX_BLOCK: usize = 1 << 20;

/// The connection as tonic gets it; the pumps run until either side ends.
pub fn fix<S>(client: S) -> DuplexStream
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (ours, theirs) = tokio::io::duplex(256 * 1024);
    let (client_r, mut client_w) = tokio::io::split(client);
    let (mut server_r, server_w) = tokio::io::split(ours);
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_r, &mut client_w).await;
        let _ = client_w.shutdown().await;
    });
    tokio::spawn(async move {
        let mut r = Rewriter::new(client_r, server_w);
        if let Err(e) = r.run().await {
            tracing::debug!(error = %e, "API connection ended");
        }
        let _ = r.w.shutdown().await;
    });
    theirs
}

struct Rewriter<R, W> {
    r: R,
    w: W,
    decoder: fluke_hpack::Decoder<'static>,
    /// A block was re-encoded: every later one is.
    reencode: bool,
}

/// A frame header: length, type, flags, stream id.
struct Head {
    len: usize,
    ty: u8,
    flags: u8,
    stream: [u8; 4],
}

impl Head {
    fn parse(b: &[u8; 9]) -> Head {
        let [l0, l1, l2, ty, flags, s0, s1, s2, s3] = *b;
        Head {
            len: usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2),
            ty,
            flags,
            stream: [s0, s1, s2, s3],
        }
    }

    fn write(len: usize, ty: u8, flags: u8, stream: [u8; 4], out: &mut Vec<u8>) {
        out.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8, ty, flags]);
        out.extend_from_slice(&stream);
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// The header block fragment of a HEADERS frame's payload (RFC 9113 §6.2).
fn fragment(flags: u8, payload: &[u8]) -> io::Result<&[u8]> {
    let mut start = 0;
    let mut pad = 0;
    if flags & PADDED != 0 {
        pad = usize::from(*payload.first().ok_or_else(|| bad("HEADERS padding"))?);
        start = 1;
    }
    if flags & PRIORITY != 0 {
        start += 5;
    }
    let end = payload
        .len()
        .checked_sub(pad)
        .filter(|e| *e >= start)
        .ok_or_else(|| bad("HEADERS padding"))?;
    payload.get(start..end).ok_or_else(|| bad("HEADERS"))
}

/// HPACK integer with an n-bit prefix (RFC 7541 §5.1).
fn integer(mut v: usize, prefix: u8, first: u8, out: &mut Vec<u8>) {
    let max = (1usize << prefix) - 1;
    if v < max {
        out.push(first | v as u8);
        return;
    }
    out.push(first | max as u8);
    v -= max;
    while v >= 128 {
        out.push((v % 128 + 128) as u8);
        v /= 128;
    }
    out.push(v as u8);
}

/// Headers as literals without indexing (RFC 7541 §6.2.2), no Huffman.
fn encode(headers: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, v) in headers {
        out.push(0);
        integer(n.len(), 7, 0, &mut out);
        out.extend_from_slice(n);
        integer(v.len(), 7, 0, &mut out);
        out.extend_from_slice(v);
    }
    out
}

/// Whether h2 takes this `:authority`.
fn valid_authority(v: &[u8]) -> bool {
    std::str::from_utf8(v).is_ok_and(|s| s.parse::<tonic::codegen::http::uri::Authority>().is_ok())
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Rewriter<R, W> {
    fn new(r: R, w: W) -> Self {
        Rewriter {
            r,
            w,
            decoder: fluke_hpack::Decoder::new(),
            reencode: false,
        }
    }

    async fn run(&mut self) -> io::Result<()> {
        let mut preface = [0u8; 24];
        self.r.read_exact(&mut preface).await?;
        self.w.write_all(&preface).await?;
        if &preface != PREFACE {
            // Not HTTP/2 with prior knowledge: tonic answers it.
            return tokio::io::copy(&mut self.r, &mut self.w).await.map(|_| ());
        }
        let mut head = [0u8; 9];
        loop {
            match self.r.read_exact(&mut head).await {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e),
            }
            let h = Head::parse(&head);
            if h.ty != HEADERS {
                // Passed on as it comes, without holding it.
                self.w.write_all(&head).await?;
                let mut body = (&mut self.r).take(h.len as u64);
                let n = tokio::io::copy(&mut body, &mut self.w).await?;
                if n != h.len as u64 {
                    return Ok(());
                }
                continue;
            }
            self.headers(head, h).await?;
        }
    }

    /// A HEADERS frame and its CONTINUATIONs.
    async fn headers(&mut self, first: [u8; 9], h: Head) -> io::Result<()> {
        if h.len > MAX_BLOCK {
            return Err(bad("header block too large"));
        }
        let mut original = first.to_vec();
        let mut payload = vec![0u8; h.len];
        self.r.read_exact(&mut payload).await?;
        original.extend_from_slice(&payload);
        let mut block = fragment(h.flags, &payload)?.to_vec();
        let mut ended = h.flags & END_HEADERS != 0;
        while !ended {
            let mut head = [0u8; 9];
            self.r.read_exact(&mut head).await?;
            let c = Head::parse(&head);
            if c.ty != CONTINUATION || c.stream != h.stream {
                return Err(bad("header block not continued"));
            }
            if block.len() + c.len > MAX_BLOCK {
                return Err(bad("header block too large"));
            }
            let mut p = vec![0u8; c.len];
            self.r.read_exact(&mut p).await?;
            original.extend_from_slice(&head);
            original.extend_from_slice(&p);
            block.extend_from_slice(&p);
            ended = c.flags & END_HEADERS != 0;
        }
        let Ok(mut headers) = self.decoder.decode(&block) else {
            // The server's decoder fails on it the same way and ends the
            // connection (COMPRESSION_ERROR).
            return self.w.write_all(&original).await;
        };
        let mut fixed = false;
        for (n, v) in headers.iter_mut() {
            if n.as_slice() == b":authority" && !valid_authority(v) {
                *v = b"localhost".to_vec();
                fixed = true;
            }
        }
        if fixed && !self.reencode {
            tracing::debug!(
                "API client's :authority is not one (a grpc-core Unix socket client): localhost"
            );
            self.reencode = true;
        }
        if !self.reencode {
            return self.w.write_all(&original).await;
        }
        let block = encode(&headers);
        let mut out = Vec::with_capacity(block.len() + 18);
        let mut chunks = block.chunks(MIN_MAX_FRAME).peekable();
        let mut first = true;
        while let Some(c) = chunks.next() {
            let last = chunks.peek().is_none();
            let ty = if first { HEADERS } else { CONTINUATION };
            let mut flags = if first { h.flags & END_STREAM } else { 0 };
            if last {
                flags |= END_HEADERS;
            }
            Head::write(c.len(), ty, flags, h.stream, &mut out);
            out.extend_from_slice(c);
            first = false;
        }
        if block.is_empty() {
            Head::write(
                0,
                HEADERS,
                (h.flags & END_STREAM) | END_HEADERS,
                h.stream,
                &mut out,
            );
        }
        self.w.write_all(&out).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn frame(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        Head::write(payload.len(), ty, flags, stream.to_be_bytes(), &mut v);
        v.extend_from_slice(payload);
        v
    }

    /// What the server side reads: (type, flags, decoded headers or raw payload).
    fn frames(mut b: &[u8]) -> Vec<(u8, u8, Vec<u8>)> {
        assert_eq!(&b[..24], PREFACE);
        b = &b[24..];
        let mut v = Vec::new();
        while !b.is_empty() {
            let h = Head::parse(b[..9].try_into().unwrap());
            v.push((h.ty, h.flags, b[9..9 + h.len].to_vec()));
            b = &b[9 + h.len..];
        }
        v
    }

    async fn through(input: Vec<u8>) -> Vec<u8> {
        let (mut client, proxy_side) = tokio::io::duplex(1 << 16);
        let server = fix(proxy_side);
        let (mut sr, _sw) = tokio::io::split(server);
        client.write_all(&input).await.unwrap();
        client.shutdown().await.unwrap();
        let mut out = Vec::new();
        sr.read_to_end(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn a_path_authority_becomes_localhost_and_the_rest_passes() {
        // What grpcio sends on a unix: channel, its table in use.
        let mut enc = fluke_hpack::Encoder::new();
        let req = |path: &[u8]| -> Vec<(Vec<u8>, Vec<u8>)> {
            vec![
                (b":method".to_vec(), b"POST".to_vec()),
                (b":scheme".to_vec(), b"http".to_vec()),
                (b":path".to_vec(), path.to_vec()),
                (b":authority".to_vec(), b"%2Frun%2Frbgpd.sock".to_vec()),
                (b"content-type".to_vec(), b"application/grpc".to_vec()),
            ]
        };
        let as_refs = |h: &[(Vec<u8>, Vec<u8>)]| {
            h.iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        let one = req(b"/rbgp.v1.GlobalService/GetGlobal");
        let two = req(b"/rbgp.v1.RibService/ListRoutes");
        let b1 = enc.encode(one.iter().map(|(n, v)| (&n[..], &v[..])));
        let b2 = enc.encode(two.iter().map(|(n, v)| (&n[..], &v[..])));
        let mut input = PREFACE.to_vec();
        input.extend(frame(0x4, 0, 0, &[])); // SETTINGS
                                             // The first block split over HEADERS (padded) and CONTINUATION.
        let (a, b) = b1.split_at(5);
        let mut padded = vec![2];
        padded.extend_from_slice(a);
        padded.extend_from_slice(&[0, 0]);
        input.extend(frame(HEADERS, PADDED, 1, &padded));
        input.extend(frame(CONTINUATION, END_HEADERS, 1, b));
        input.extend(frame(0x0, END_STREAM, 1, b"\0\0\0\0\0")); // DATA
        input.extend(frame(HEADERS, END_HEADERS | END_STREAM, 3, &b2));
        let out = through(input).await;
        let f = frames(&out);
        assert_eq!(f.len(), 4, "SETTINGS, HEADERS, DATA, HEADERS");
        assert_eq!(
            (f[0].0, f[2].0, f[2].2.as_slice()),
            (0x4, 0x0, &b"\0\0\0\0\0"[..])
        );
        let mut dec = fluke_hpack::Decoder::new();
        for (i, want) in [(1, &one), (3, &two)] {
            assert_eq!(f[i].0, HEADERS);
            assert_eq!(f[i].1 & END_HEADERS, END_HEADERS);
            let got = dec.decode(&f[i].2).unwrap();
            let mut expect = as_refs(want);
            expect[3].1 = b"localhost".to_vec();
            assert_eq!(got, expect);
        }
        assert_eq!(f[3].1 & END_STREAM, END_STREAM);
    }

    #[tokio::test]
    async fn valid_authorities_pass_byte_for_byte() {
        let mut enc = fluke_hpack::Encoder::new();
        let h = [(&b":authority"[..], &b"localhost"[..]), (b":path", b"/x")];
        let block = enc.encode(h.iter().copied());
        let mut input = PREFACE.to_vec();
        input.extend(frame(HEADERS, END_HEADERS, 1, &block));
        input.extend(frame(0x8, 0, 0, &[0, 0, 0, 1])); // WINDOW_UPDATE
        assert_eq!(through(input.clone()).await, input);
        // Garbage that is not HTTP/2 passes too (tonic refuses it).
        let junk = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nxxxxxxxxxxxxxxxx".to_vec();
        assert_eq!(through(junk.clone()).await, junk);
    }
}
