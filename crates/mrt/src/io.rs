//! Streaming MRT input and output.
//!
//! [`Reader`] frames records one at a time from any [`Read`], holding one
//! record in memory whatever the file size. [`open`] and [`decompress`]
//! recognise gzip and bzip2 by their magic bytes, not by file name, so
//! `curl ... | rbgp mrt -` works as well as a `.gz` file renamed `.mrt`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use crate::error::MrtError;
use crate::record::{Header, MrtRecord, RawRecord};

/// Records larger than this are read in growing steps rather than with
/// one allocation of the announced length, so that a damaged length field
/// near the end of a file cannot make the reader reserve gigabytes.
const EAGER_LIMIT: usize = 1 << 16;

/// An iterator of records over a byte stream (already decompressed).
///
/// After the last whole record a truncated stream yields one
/// [`MrtError::Truncated`] (a warning: everything before it was whole),
/// then `None`. Any other error also ends the iteration.
pub struct Reader<R: Read> {
    r: R,
    offset: u64,
    last: u64,
    done: bool,
    records: u64,
}

/// Read until `buf` is full or the stream ends; the count read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(buf.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl<R: Read> Reader<R> {
    /// Read records from `r` as is (see [`decompress`] for compressed input).
    pub fn new(r: R) -> Self {
        Reader {
            r,
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

    /// Read the next record into `rec`, reusing its buffer (the fast path:
    /// no allocation per record). `Ok(false)` at the end of the stream.
    pub fn read_into(&mut self, rec: &mut RawRecord) -> Result<bool, MrtError> {
        if self.done {
            return Ok(false);
        }
        let res = self.read_inner(rec);
        if !matches!(res, Ok(true)) {
            self.done = true;
        }
        res
    }

    fn truncated(&self, what: &'static str, need: u64, have: u64) -> MrtError {
        MrtError::Truncated {
            offset: self.offset,
            what,
            need,
            have,
        }
    }

    fn read_inner(&mut self, rec: &mut RawRecord) -> Result<bool, MrtError> {
        let mut h = [0u8; Header::LEN];
        let got = read_full(&mut self.r, &mut h)?;
        if got == 0 {
            return Ok(false);
        }
        if got < Header::LEN {
            return Err(self.truncated("MRT header", Header::LEN as u64, got as u64));
        }
        let [t0, t1, t2, t3, y0, y1, s0, s1, l0, l1, l2, l3] = h;
        let mut header = Header {
            timestamp: u32::from_be_bytes([t0, t1, t2, t3]),
            mrt_type: u16::from_be_bytes([y0, y1]),
            subtype: u16::from_be_bytes([s0, s1]),
            length: u32::from_be_bytes([l0, l1, l2, l3]),
            microseconds: None,
        };
        let mut body_len = header.length as usize;
        let mut consumed = Header::LEN as u64;
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
            let mut us = [0u8; 4];
            let n = read_full(&mut self.r, &mut us)?;
            if n < 4 {
                return Err(self.truncated("MRT microsecond timestamp", 4, n as u64));
            }
            header.microseconds = Some(u32::from_be_bytes(us));
            body_len -= 4;
            consumed += 4;
        }
        rec.body.clear();
        let got = if body_len <= EAGER_LIMIT {
            rec.body.resize(body_len, 0);
            read_full(&mut self.r, &mut rec.body)?
        } else {
            (&mut self.r)
                .take(body_len as u64)
                .read_to_end(&mut rec.body)?
        };
        if got < body_len {
            rec.body.truncate(got);
            return Err(self.truncated("MRT record body", body_len as u64, got as u64));
        }
        rec.header = header;
        self.last = self.offset;
        self.offset += consumed + body_len as u64;
        self.records += 1;
        Ok(true)
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
pub fn decompress<R: Read + 'static>(r: R) -> io::Result<Box<dyn Read>> {
    let mut br = BufReader::with_capacity(1 << 17, r);
    let kind = sniff(br.fill_buf()?);
    Ok(match kind {
        // Multi-member: some collectors append gzip members.
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 17,
            flate2::bufread::MultiGzDecoder::new(br),
        )),
        Compression::Bzip2 => Box::new(BufReader::with_capacity(
            1 << 17,
            bzip2::bufread::MultiBzDecoder::new(br),
        )),
        Compression::None => Box::new(br),
    })
}

/// Open a file ("-" for standard input), decompressing as needed.
pub fn open(path: impl AsRef<Path>) -> io::Result<Reader<Box<dyn Read>>> {
    let path = path.as_ref();
    let input: Box<dyn Read> = if path.as_os_str() == "-" {
        decompress(io::stdin())?
    } else {
        decompress(File::open(path)?)?
    };
    Ok(Reader::new(input))
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

    #[test]
    fn compression_is_sniffed_from_magic() {
        use std::io::Write as _;
        let data = record(7);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        let gz = gz.finish().unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&data).unwrap();
        let bz = bz.finish().unwrap();
        for input in [data.clone(), gz, bz] {
            let r = Reader::new(decompress(std::io::Cursor::new(input)).unwrap());
            let recs: Vec<_> = r.collect::<Result<_, _>>().unwrap();
            assert_eq!(recs.len(), 1);
            assert_eq!(recs[0].header.timestamp, 7);
        }
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
