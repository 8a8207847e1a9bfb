//! Why a bzip2 stream could not be decoded.

use thiserror::Error;

/// A bzip2 stream that is damaged, truncated or not bzip2 at all. Every
/// variant says where (the stream's and the block's number, from 1) so a
/// user can tell a damaged archive from a truncated download.
#[derive(Debug, Error)]
pub enum BunzipError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The input does not start with "BZh1".."BZh9", or data that follows a
    /// finished stream is not another stream.
    #[error("not a bzip2 stream (stream {stream}): {detail}")]
    NotBzip2 { stream: u64, detail: &'static str },
    /// The input ended inside a stream.
    #[error("bzip2 stream {stream} truncated in block {block}")]
    Truncated { stream: u64, block: u64 },
    /// A block whose contents cannot be right.
    #[error("bzip2 stream {stream} block {block} is damaged: {detail}")]
    Damaged {
        stream: u64,
        block: u64,
        detail: &'static str,
    },
    /// A block decoded to something other than what was compressed.
    #[error("bzip2 stream {stream} block {block}: CRC {computed:#010x}, stored {stored:#010x}")]
    BlockCrc {
        stream: u64,
        block: u64,
        stored: u32,
        computed: u32,
    },
    /// The stream's combined CRC does not match its blocks'.
    #[error("bzip2 stream {stream}: combined CRC {computed:#010x}, stored {stored:#010x}")]
    StreamCrc {
        stream: u64,
        stored: u32,
        computed: u32,
    },
}

/// What went wrong inside a block, before the stream and block numbers are
/// known to the code that noticed it.
#[derive(Debug)]
pub(crate) enum Fault {
    Io(std::io::Error),
    Truncated,
    Damaged(&'static str),
}

impl From<std::io::Error> for Fault {
    fn from(e: std::io::Error) -> Self {
        Fault::Io(e)
    }
}

impl From<BunzipError> for std::io::Error {
    fn from(e: BunzipError) -> Self {
        match e {
            BunzipError::Io(e) => e,
            BunzipError::Truncated { .. } => {
                std::io::Error::new(std::io::ErrorKind::UnexpectedEof, e)
            }
            e => std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }
    }
}
