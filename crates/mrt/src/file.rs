//! One MRT file being written: compressed as configured, under a
//! temporary name (`.NAME.tmp`) until complete, then renamed, so readers
//! of the directory never see half a file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use bzip2::write::BzEncoder;
use flate2::write::GzEncoder;

use crate::{MrtRecord, Writer};

/// How an MRT file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    None,
    #[default]
    Gzip,
    Bzip2,
}

impl Compression {
    /// The file name suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Bzip2 => ".bz2",
        }
    }
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
    Bzip2(BzEncoder<BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(b),
            Sink::Gzip(w) => w.write(b),
            Sink::Bzip2(w) => w.write(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
            Sink::Bzip2(w) => w.flush(),
        }
    }
}

impl Sink {
    fn finish(self) -> io::Result<()> {
        let mut f = match self {
            Sink::Plain(w) => w,
            Sink::Gzip(w) => w.finish()?,
            Sink::Bzip2(w) => w.finish()?,
        };
        f.flush()?;
        f.get_ref().sync_all()
    }
}

/// A file being written.
pub struct MrtFile {
    path: PathBuf,
    tmp: PathBuf,
    w: Writer<Sink>,
    pub records: u64,
}

impl MrtFile {
    /// `name` (the compression's suffix added) in `dir`, created if needed.
    pub fn create(dir: &Path, name: &str, c: Compression) -> io::Result<MrtFile> {
        std::fs::create_dir_all(dir)?;
        let file_name = format!("{name}{}", c.suffix());
        let path = dir.join(&file_name);
        let tmp = dir.join(format!(".{file_name}.tmp"));
        let f = BufWriter::with_capacity(256 * 1024, File::create(&tmp)?);
        let sink = match c {
            Compression::None => Sink::Plain(f),
            Compression::Gzip => Sink::Gzip(GzEncoder::new(f, flate2::Compression::fast())),
            Compression::Bzip2 => Sink::Bzip2(BzEncoder::new(f, bzip2::Compression::fast())),
        };
        Ok(MrtFile {
            path,
            tmp,
            w: Writer::new(sink),
            records: 0,
        })
    }

    pub fn write(&mut self, r: &MrtRecord) -> io::Result<()> {
        self.records += 1;
        self.w.write(r)
    }

    /// Complete the file under its name.
    pub fn finish(self) -> io::Result<PathBuf> {
        self.w.into_inner()?.finish()?;
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.path)
    }

    /// Give up on the file (an error): the temporary file goes.
    pub fn discard(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::record::{Peer, PeerIndexTable};
    use crate::Record;

    /// Each compression reads back (rbgp-mrt sniffs the format), and only
    /// the finished file has the name.
    #[test]
    fn every_compression_reads_back() {
        let dir = std::env::temp_dir().join(format!("rbgp-mrt-file-{}", std::process::id()));
        let rec = MrtRecord {
            timestamp: 1_796_532_109,
            microseconds: None,
            body: Record::PeerIndexTable(PeerIndexTable {
                collector_id: "192.0.2.1".parse().unwrap(),
                view_name: Vec::new(),
                peers: vec![Peer::new(
                    "192.0.2.2".parse().unwrap(),
                    "192.0.2.2".parse().unwrap(),
                    65002,
                )],
            }),
        };
        for c in [Compression::None, Compression::Gzip, Compression::Bzip2] {
            let mut f = MrtFile::create(&dir, "t", c).unwrap();
            f.write(&rec).unwrap();
            f.write(&rec).unwrap();
            let tmp = f.tmp.clone();
            assert!(tmp.exists() && !f.path.exists());
            let path = f.finish().unwrap();
            assert!(!tmp.exists());
            assert_eq!(
                path.file_name().unwrap().to_str().unwrap(),
                format!("t{}", c.suffix())
            );
            let back: Vec<MrtRecord> = crate::open(&path)
                .unwrap()
                .map(|r| r.unwrap().decode().unwrap())
                .collect();
            assert_eq!(back, vec![rec.clone(), rec.clone()], "{c:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
