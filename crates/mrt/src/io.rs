//! Streaming MRT input and output.
//!
//! [`Reader`] frames records one at a time from any [`Read`], holding one
//! record in memory whatever the file size. [`open`] and [`decompress`]
//! recognise gzip and bzip2 by their magic bytes, not by file name, so
//! `curl ... | rbgp mrt -` works as well as a `.gz` file renamed `.mrt`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::mpsc;

use crate::error::MrtError;
use crate::record::{Header, MrtRecord, RawRecord};

/// How much is read from the source at a time. The buffer holds one
/// record plus at most this much: a damaged length field near the end of
/// a file cannot make the reader reserve more than the data that is there.
const CHUNK: usize = 1 << 17;

/// An iterator of records over a byte stream (already decompressed).
///
/// After the last whole record a truncated stream yields one
/// [`MrtError::Truncated`] (a warning: everything before it was whole),
/// then `None`. Any other error also ends the iteration.
///
/// [`Reader::next_ref`] lends each record from the reader's own buffer
/// (no copy); the [`Iterator`] and [`Reader::read_into`] copy it out.
pub struct Reader<R: Read> {
    r: R,
    buf: Vec<u8>,
    /// Unread data is `buf[pos..end]`.
    pos: usize,
    end: usize,
    eof: bool,
    offset: u64,
    last: u64,
    done: bool,
    records: u64,
}

impl<R: Read> Reader<R> {
    /// Read records from `r` as is (see [`decompress`] for compressed input).
    pub fn new(r: R) -> Self {
        Reader {
            r,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            eof: false,
            offset: 0,
            last: 0,
            done: false,
            records: 0,
        }
    }

    /// Bytes of whole records read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Where the last record read starts (for messages about it).
    pub fn record_offset(&self) -> u64 {
        self.last
    }

    /// Whole records read so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Make `n` unread bytes available if the stream has them; the count
    /// available.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        while self.end - self.pos < n && !self.eof {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            if self.buf.len() < self.end + CHUNK {
                self.buf.resize(self.end + CHUNK, 0);
            }
            let dst = self
                .buf
                .get_mut(self.end..self.end + CHUNK)
                .unwrap_or_default();
            match self.r.read(dst) {
                Ok(0) => self.eof = true,
                Ok(got) => self.end += got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.pos)
    }

    fn truncated(&self, what: &'static str, need: u64, have: u64) -> MrtError {
        MrtError::Truncated {
            offset: self.offset,
            what,
            need,
            have,
        }
    }

    /// Frame the next record when all of it is already buffered (most
    /// records): one bounds check instead of three rounds of `fill`.
    #[inline]
    fn frame_buffered(&mut self) -> Option<(Header, usize, usize)> {
        let avail = self.buf.get(self.pos..self.end)?;
        let (h, rest) = avail.split_first_chunk::<{ Header::LEN }>()?;
        let mut header = header_fields(*h);
        let (hdr_len, body_len) = if Header::is_extended_type(header.mrt_type) {
            // Too short for its microseconds: `frame` reports it.
            let [u0, u1, u2, u3, ..] = *rest else {
                return None;
            };
            header.microseconds = Some(u32::from_be_bytes([u0, u1, u2, u3]));
            (Header::LEN + 4, (header.length as usize).checked_sub(4)?)
        } else {
            (Header::LEN, header.length as usize)
        };
        if avail.len() < hdr_len.checked_add(body_len)? {
            return None;
        }
        Some((header, self.advance(hdr_len, body_len), body_len))
    }

    /// Step over a whole record; where its body starts.
    #[inline]
    fn advance(&mut self, hdr_len: usize, body_len: usize) -> usize {
        let total = hdr_len + body_len;
        let start = self.pos + hdr_len;
        self.pos += total;
        self.last = self.offset;
        self.offset += total as u64;
        self.records += 1;
        start
    }

    /// Frame the next record: header, and where its body is in `buf`.
    fn frame(&mut self) -> Result<Option<(Header, usize, usize)>, MrtError> {
        if let Some(f) = self.frame_buffered() {
            return Ok(Some(f));
        }
        let avail = self.fill(Header::LEN)?;
        if avail == 0 {
            return Ok(None);
        }
        if avail < Header::LEN {
            return Err(self.truncated("MRT header", Header::LEN as u64, avail as u64));
        }
        let h: [u8; Header::LEN] = self
            .buf
            .get(self.pos..self.pos + Header::LEN)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; Header::LEN]);
        let mut header = header_fields(h);
        let mut hdr_len = Header::LEN;
        let mut body_len = header.length as usize;
        if Header::is_extended_type(header.mrt_type) {
            // RFC 6396 §3: the microsecond field is counted in the length.
            if header.length < 4 {
                return Err(MrtError::BadHeader {
                    offset: self.offset,
                    detail: format!(
                        "type {} length {} is shorter than its microsecond field",
                        header.mrt_type, header.length
                    ),
                });
            }
            let avail = self.fill(Header::LEN + 4)?;
            if avail < Header::LEN + 4 {
                return Err(self.truncated(
                    "MRT microsecond timestamp",
                    4,
                    (avail - Header::LEN) as u64,
                ));
            }
            let us: [u8; 4] = self
                .buf
                .get(self.pos + Header::LEN..self.pos + Header::LEN + 4)
                .and_then(|s| s.try_into().ok())
                .unwrap_or([0; 4]);
            header.microseconds = Some(u32::from_be_bytes(us));
            hdr_len += 4;
            body_len -= 4;
        }
        let total = hdr_len + body_len;
        let avail = self.fill(total)?;
        if avail < total {
            return Err(self.truncated(
                "MRT record body",
                body_len as u64,
                (avail - hdr_len) as u64,
            ));
        }
        Ok(Some((header, self.advance(hdr_len, body_len), body_len)))
    }

    /// The next record, lent from the reader's buffer (valid until the next
    /// call). `Ok(None)` at the end of the stream.
    pub fn next_ref(&mut self) -> Result<Option<(Header, &[u8])>, MrtError> {
        if self.done {
            return Ok(None);
        }
        match self.frame() {
            Ok(Some((h, start, len))) => Ok(Some((
                h,
                self.buf.get(start..start + len).unwrap_or_default(),
            ))),
            other => {
                self.done = true;
                other.map(|_| None)
            }
        }
    }

    /// Read the next record into `rec`, reusing its buffer. `Ok(false)` at
    /// the end of the stream.
    pub fn read_into(&mut self, rec: &mut RawRecord) -> Result<bool, MrtError> {
        match self.next_ref()? {
            Some((h, body)) => {
                rec.header = h;
                rec.body.clear();
                rec.body.extend_from_slice(body);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Typed records (see [`MrtRecord::decode`]).
    pub fn typed(self) -> impl Iterator<Item = Result<MrtRecord, MrtError>> {
        self.map(|r| r.and_then(|raw| raw.decode()))
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<RawRecord, MrtError>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut rec = RawRecord::default();
        match self.read_into(&mut rec) {
            Ok(true) => Some(Ok(rec)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// The fixed MRT header (RFC 6396 §2); the microseconds of `_ET` types
/// follow it.
fn header_fields(h: [u8; Header::LEN]) -> Header {
    let [t0, t1, t2, t3, y0, y1, s0, s1, l0, l1, l2, l3] = h;
    Header {
        timestamp: u32::from_be_bytes([t0, t1, t2, t3]),
        mrt_type: u16::from_be_bytes([y0, y1]),
        subtype: u16::from_be_bytes([s0, s1]),
        length: u32::from_be_bytes([l0, l1, l2, l3]),
        microseconds: None,
    }
}

/// What the first bytes of a stream say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
}

/// Recognise gzip (RFC 1952 magic 1f 8b) and bzip2 ("BZh" + block size).
pub fn sniff(head: &[u8]) -> Compression {
    match head {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [b'B', b'Z', b'h', b'1'..=b'9', ..] => Compression::Bzip2,
        _ => Compression::None,
    }
}

/// Wrap `r` in the decompressor its magic bytes call for.
pub fn decompress<R: Read + Send + 'static>(r: R) -> io::Result<Box<dyn Read + Send>> {
    let mut br = BufReader::with_capacity(1 << 17, r);
    let kind = sniff(br.fill_buf()?);
    Ok(match kind {
        // Multi-member: some collectors append gzip members.
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 17,
            flate2::bufread::MultiGzDecoder::new(br),
        )),
        // Concatenated streams too (pbzip2 writes them).
        Compression::Bzip2 => Box::new(BufReader::with_capacity(
            1 << 17,
            rbgp_bunzip::Decoder::new(br),
        )),
        Compression::None => Box::new(br),
    })
}

/// Open a file ("-" for standard input), decompressing as needed.
pub fn open(path: impl AsRef<Path>) -> io::Result<Reader<Box<dyn Read + Send>>> {
    let path = path.as_ref();
    let input: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        decompress(io::stdin())?
    } else {
        decompress(File::open(path)?)?
    };
    Ok(Reader::new(input))
}

/// Decompressed chunks in flight between the threads of [`open_threaded`]
/// (with the one being filled and the one being read: at most this plus
/// two chunks of memory).
const CHUNKS_IN_FLIGHT: usize = 4;

/// [`open`] with a compressed input decompressed on a thread of its own,
/// so that decompressing and reading the records (formatting them, say)
/// run on two cores. The thread ends with the stream, or when the reader
/// is dropped. Plain input is read as [`open`] reads it.
pub fn open_threaded(path: impl AsRef<Path>) -> io::Result<Reader<Box<dyn Read + Send>>> {
    let path = path.as_ref();
    let input: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path)?)
    };
    let mut br = BufReader::with_capacity(1 << 17, input);
    let kind = sniff(br.fill_buf()?);
    if kind == Compression::None {
        return Ok(Reader::new(Box::new(br)));
    }
    let (tx, rx) = mpsc::sync_channel(CHUNKS_IN_FLIGHT);
    let (back, spare) = mpsc::channel();
    std::thread::Builder::new()
        .name("rbgp-mrt-decompress".into())
        .spawn(move || {
            let mut d: Box<dyn Read> = match kind {
                Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(br)),
                _ => Box::new(rbgp_bunzip::Decoder::new(br)),
            };
            decompress_chunks(&mut d, &tx, &spare)
        })?;
    Ok(Reader::new(Box::new(Chunks {
        rx,
        back,
        cur: Vec::new(),
        pos: 0,
    })))
}

/// The decompressing thread: fill chunks (reused once read) and send
/// them until the stream ends, fails, or nobody reads any more.
fn decompress_chunks(
    d: &mut dyn Read,
    tx: &mpsc::SyncSender<io::Result<Vec<u8>>>,
    spare: &mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = spare.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let mut n = 0;
        let res = loop {
            match buf.get_mut(n..).map(|b| d.read(b)) {
                Some(Ok(0)) | None => break Ok(()),
                Some(Ok(got)) => n += got,
                Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Some(Err(e)) => break Err(e),
            }
        };
        buf.truncate(n);
        let last = n < CHUNK;
        if n > 0 && tx.send(Ok(buf)).is_err() {
            return;
        }
        if let Err(e) = res {
            let _ = tx.send(Err(e));
            return;
        }
        if last {
            return;
        }
    }
}

/// The reading side of [`open_threaded`]: the chunks in order, each sent
/// back for reuse once read.
struct Chunks {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    back: mpsc::Sender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for Chunks {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.cur.len() {
            match self.rx.recv() {
                Ok(next) => {
                    let done = std::mem::replace(&mut self.cur, next?);
                    // The decompressing thread may have ended: then the
                    // buffer is simply dropped.
                    let _ = self.back.send(done);
                    self.pos = 0;
                }
                // The stream ended.
                Err(_) => return Ok(0),
            }
        }
        let src = self.cur.get(self.pos..).unwrap_or_default();
        let n = src.len().min(dst.len());
        if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
            d.copy_from_slice(s);
        }
        self.pos += n;
        Ok(n)
    }
}

/// Writes records to any [`Write`] (wrap files in a `BufWriter`).
pub struct Writer<W: Write> {
    w: W,
    buf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub fn new(w: W) -> Self {
        Writer { w, buf: Vec::new() }
    }

    /// Write a typed record (type, subtype and length computed).
    pub fn write(&mut self, rec: &MrtRecord) -> io::Result<()> {
        self.buf.clear();
        rec.encode(&mut self.buf);
        self.w.write_all(&self.buf)
    }

    /// Write a raw record as it was read.
    pub fn write_raw(&mut self, rec: &RawRecord) -> io::Result<()> {
        self.buf.clear();
        rec.encode(&mut self.buf);
        self.w.write_all(&self.buf)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// Flush and return the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ts: u32) -> Vec<u8> {
        let mut v = Vec::new();
        RawRecord {
            header: Header {
                timestamp: ts,
                mrt_type: 99,
                subtype: 1,
                length: 0,
                microseconds: None,
            },
            body: vec![1, 2, 3],
        }
        .encode(&mut v);
        v
    }

    #[test]
    fn truncated_stream_keeps_whole_records() {
        let mut data = record(1);
        data.extend(record(2));
        let full = data.len();
        for cut in 0..full {
            let recs: Vec<_> = Reader::new(&data[..cut]).collect();
            let whole = recs.iter().filter(|r| r.is_ok()).count();
            assert_eq!(whole, cut / 15, "cut {cut}");
            match recs.last() {
                Some(Err(e)) => assert!(e.is_truncation()),
                Some(Ok(_)) => assert_eq!(cut % 15, 0),
                None => assert_eq!(cut, 0),
            }
        }
    }

    /// `data` gzip- and bzip2-compressed.
    fn compressed(data: &[u8]) -> (Vec<u8>, Vec<u8>) {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(data).unwrap();
        (gz.finish().unwrap(), bz.finish().unwrap())
    }

    #[test]
    fn compression_is_sniffed_from_magic() {
        let data = record(7);
        let (gz, bz) = compressed(&data);
        for input in [data.clone(), gz, bz] {
            let r = Reader::new(decompress(std::io::Cursor::new(input)).unwrap());
            let recs: Vec<_> = r.collect::<Result<_, _>>().unwrap();
            assert_eq!(recs.len(), 1);
            assert_eq!(recs[0].header.timestamp, 7);
        }
    }

    fn temp_file(name: &str, data: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("rbgp-mrt-io-{}-{name}", std::process::id()));
        std::fs::write(&p, data).unwrap();
        p
    }

    /// Decompressed on its own thread, a stream of many chunks gives the
    /// records the plain one does, and the reader stops at a damaged one
    /// with an error rather than a short clean end.
    #[test]
    fn threaded_decompression_gives_the_same_records() {
        let mut data = Vec::new();
        for ts in 0..200_000 {
            data.extend(record(ts));
        }
        assert!(data.len() > 20 * CHUNK);
        let (gz, bz) = compressed(&data);
        let stamps = |r: Reader<Box<dyn Read + Send>>| -> Vec<u32> {
            r.map(|r| r.unwrap().header.timestamp).collect()
        };
        let want: Vec<u32> = (0..200_000).collect();
        for (name, bytes) in [("plain", &data), ("gz", &gz), ("bz2", &bz)] {
            let p = temp_file(name, bytes);
            assert_eq!(stamps(open_threaded(&p).unwrap()), want, "{name}");
            assert_eq!(stamps(open(&p).unwrap()), want, "{name}");
            std::fs::remove_file(&p).unwrap();
        }
        // A gzip stream damaged half way: whole records, then an error.
        let mut bad = gz.clone();
        let mid = bad.len() / 2;
        for b in &mut bad[mid..mid + 64] {
            *b ^= 0x55;
        }
        let p = temp_file("bad.gz", &bad);
        let mut r = open_threaded(&p).unwrap();
        let mut n = 0;
        let err = loop {
            match r.next_ref() {
                Ok(Some(_)) => n += 1,
                Ok(None) => panic!("damaged stream ended cleanly after {n} records"),
                Err(e) => break e,
            }
        };
        assert!(n < 200_000);
        assert!(matches!(err, MrtError::Io(_)), "{err}");
        std::fs::remove_file(&p).unwrap();

        // A reader dropped early ends its decompressing thread (which
        // would otherwise wait on its full queue for ever): each notices
        // at its next chunk. (In this test: no other opens them.)
        let p = temp_file("drop.gz", &gz);
        drop(r);
        let settle = || {
            let t0 = std::time::Instant::now();
            while threads() > 0 && t0.elapsed() < std::time::Duration::from_secs(10) {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            threads()
        };
        assert_eq!(settle(), 0, "the threads of the readers above have ended");
        let readers: Vec<_> = (0..20)
            .map(|_| {
                let mut r = open_threaded(&p).unwrap();
                r.next_ref().unwrap();
                r
            })
            .collect();
        assert_eq!(threads(), 20, "each reader has its thread");
        drop(readers);
        assert_eq!(settle(), 0, "threads left");
        std::fs::remove_file(&p).unwrap();
    }

    /// Threads of this process whose name is the decompressing thread's.
    fn threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .map(|d| {
                d.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                    .filter(|c| c.trim() == "rbgp-mrt-decomp")
                    .count()
            })
            .unwrap_or(0)
    }

    #[test]
    fn huge_length_near_the_end_does_not_allocate_it() {
        let mut h = record(1);
        h.truncate(12);
        h[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        h.extend([0u8; 10]);
        let recs: Vec<_> = Reader::new(&h[..]).collect();
        assert_eq!(recs.len(), 1);
        assert!(recs[0].as_ref().unwrap_err().is_truncation());
    }
}
