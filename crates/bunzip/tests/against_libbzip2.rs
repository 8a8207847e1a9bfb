//! rbgp-bunzip against libbzip2 (the `bzip2` crate's port): the same bytes
//! out of every stream libbzip2 writes, the same verdict on damaged ones,
//! and real archives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{Read, Write};

use bzip2::write::BzEncoder;
use bzip2::Compression;
use proptest::prelude::*;
use rbgp_bunzip::{BunzipError, Decoder};
use rbgp_testkit::unhex;

fn compress(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = BzEncoder::new(Vec::new(), Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn ours(input: &[u8]) -> Result<Vec<u8>, BunzipError> {
    let mut d = Decoder::new(input);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 70_000];
    loop {
        let n = d.decode(&mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn theirs(input: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    bzip2::bufread::MultiBzDecoder::new(input).read_to_end(&mut out)?;
    Ok(out)
}

/// Data with the shapes bzip2 meets: text, long runs (RLE1 counts up to
/// 255 and over), a periodic stretch, binary counters, noise.
fn varied(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        match x % 6 {
            0 => out.extend_from_slice(b"65001 6939 3356 1299 | 192.0.2.0/24 | IGP |\n"),
            1 => out.extend(std::iter::repeat_n(
                (x >> 8) as u8,
                (x >> 16) as usize % 700,
            )),
            2 => out.extend((0..(x >> 20) % 300).flat_map(|i| [b'a', b'b', (i % 3) as u8])),
            3 => out.extend((0..64u32).flat_map(|i| (i + (x >> 32) as u32).to_be_bytes())),
            _ => out.extend((0..(x >> 24) % 200).map(|i| (x >> (i % 56)) as u8)),
        }
    }
    out.truncate(len);
    out
}

#[test]
fn every_size_and_level_round_trips() {
    for (len, level) in [
        (0usize, 9u32),
        (1, 9),
        (4, 1),
        (5, 1),
        (1000, 9),
        (20_000, 1),
        (99_999, 1),
        (250_000, 1),
        (1_000_000, 9),
    ] {
        let data = varied(len, len as u64 + 7);
        let z = compress(&data, level);
        assert_eq!(ours(&z).unwrap(), data, "len {len} level {level}");
    }
}

#[test]
fn blocks_of_one_byte_value_and_periodic_blocks_round_trip() {
    // One symbol in use; a run the RLE1 counts chain over; a period of two
    // (one BWT cycle per period); a period the block size does not divide.
    let cases: Vec<Vec<u8>> = vec![
        vec![b'x'; 1_000_000],
        vec![0; 3],
        b"ab".repeat(60_000),
        b"abc".repeat(40_001),
        b"hello world, ".repeat(10_000),
    ];
    for data in cases {
        for level in [1, 9] {
            let z = compress(&data, level);
            assert_eq!(
                ours(&z).unwrap(),
                data,
                "{} bytes level {level}",
                data.len()
            );
        }
    }
}

#[test]
fn concatenated_streams_are_read_one_after_the_other() {
    let (a, b) = (varied(300_000, 1), varied(5_000, 2));
    let mut z = compress(&a, 1);
    z.extend(compress(&b, 9));
    z.extend(compress(&[], 5));
    assert_eq!(ours(&z).unwrap(), [a, b].concat());
}

#[test]
fn what_follows_a_stream_must_be_a_stream() {
    let mut z = compress(b"some data", 9);
    z.extend_from_slice(b"garbage");
    assert!(matches!(
        ours(&z),
        Err(BunzipError::NotBzip2 { stream: 2, .. })
    ));
    assert!(theirs(&z).is_err());
    assert!(matches!(
        ours(b"BZh0"),
        Err(BunzipError::NotBzip2 { stream: 1, .. })
    ));
    assert!(matches!(ours(b""), Err(BunzipError::NotBzip2 { .. })));
}

#[test]
fn a_truncated_stream_is_an_error_at_every_cut() {
    let data = varied(120_000, 3);
    let z = compress(&data, 1);
    for cut in (0..z.len()).step_by(97).chain([z.len() - 1]) {
        let r = ours(&z[..cut]);
        assert!(r.is_err(), "cut at {cut} of {}", z.len());
    }
}

#[test]
fn a_flipped_crc_is_reported_with_its_block() {
    let data = varied(250_000, 4);
    let mut z = compress(&data, 1);
    // The first block's CRC follows "BZh1" and its 6-byte magic.
    z[12] ^= 0x40;
    match ours(&z) {
        Err(BunzipError::BlockCrc {
            stream: 1,
            block: 1,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_over_full_code_in_a_table_never_used_is_accepted_as_libbzip2_does() {
    // "hello" with a second table whose every length is 1: no prefix
    // code, but never selected. One bit away from a valid stream.
    let z = unhex(concat!(
        "425a68393141592653591931653d00000081000244a000218010147051772453",
        "850901931653d0"
    ));
    assert_eq!(theirs(&z).unwrap(), b"hello");
    assert_eq!(ours(&z).unwrap(), b"hello");
}

#[test]
fn a_block_ending_in_four_equal_bytes_without_a_count_is_damaged() {
    // "aaaa" as the whole block, with the CRC of "aaaa": no bzip2 writes
    // it (a count always follows four equal bytes); libbzip2 reads past
    // the block for the count and calls it damaged.
    let z = unhex(concat!(
        "425a6839314159265359881233a600000001002000200021010485dc914e1424",
        "22048ce980"
    ));
    assert!(theirs(&z).is_err());
    match ours(&z) {
        Err(BunzipError::Damaged { block: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_randomised_block_is_derandomised_as_libbzip2_does() {
    // No bzip2 since 0.9.5 writes one, so set the bit on a block: both
    // decoders then XOR the same bytes and end in a CRC error. libbzip2
    // (read a byte at a time) gives everything but the byte its error
    // comes with.
    let data = varied(50_000, 5);
    let mut z = compress(&data, 9);
    z[14] |= 0x80;
    let mut mine = Vec::new();
    let mut d = Decoder::new(&z[..]);
    let mut buf = [0u8; 4096];
    let err = loop {
        match d.decode(&mut buf) {
            Ok(0) => panic!("no CRC error"),
            Ok(n) => mine.extend_from_slice(&buf[..n]),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, BunzipError::BlockCrc { .. }), "{err}");
    let mut reference = Vec::new();
    let mut r = bzip2::bufread::BzDecoder::new(&z[..]);
    let mut one = [0u8; 1];
    while let Ok(1) = r.read(&mut one) {
        reference.push(one[0]);
    }
    assert!(reference.len() > 1000);
    assert_eq!(reference, mine[..reference.len()]);
    assert!(mine.len() - reference.len() <= 1);
    assert_ne!(mine, data[..mine.len()]);
}

#[test]
fn real_archives_decode_as_libbzip2_decodes_them() {
    let mut seen = 0;
    for name in ["updates.20161101.0000.bz2", "rib.20161101.0000_pick.bz2"] {
        let path = rbgp_testkit::data(&format!("ryu/ryu/tests/packet_data/mrt/{name}"));
        let z = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let want = theirs(&z).unwrap();
        assert!(!want.is_empty());
        assert_eq!(ours(&z).unwrap(), want, "{name}");
        seen += 1;
    }
    assert_eq!(seen, 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Damage anywhere: never a panic, and the same verdict and bytes as
    /// libbzip2.
    #[test]
    fn damaged_streams_get_libbzip2s_verdict(
        seed in any::<u64>(),
        len in 0usize..40_000,
        hits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut z = compress(&varied(len, seed), 9);
        for (at, x) in hits {
            let i = at.index(z.len());
            z[i] ^= x | 1;
        }
        match (ours(&z), theirs(&z)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "ours {:?}, libbzip2 {:?}", a.map(|v| v.len()), b.map(|v| v.len())),
        }
    }
}
