//! Any bytes as a bzip2 stream, through rbgp-bunzip and libbzip2's port:
//! no panic, and the same verdict (error or not) and the same bytes. The
//! kept corpus starts from valid streams, so most inputs are damaged ones.
//! Both are read up to 64 MB: a few bytes can describe blocks that expand
//! to 45 MB each, and the fuzzer's memory limit is not the decoders'.
#![no_main]
use std::io::Read;

use libfuzzer_sys::fuzz_target;

const CAP: u64 = 64 << 20;

fuzz_target!(|data: &[u8]| {
    let mut ours = Vec::new();
    let a = rbgp_bunzip::Decoder::new(data).take(CAP).read_to_end(&mut ours);
    let mut theirs = Vec::new();
    let b = bzip2::bufread::MultiBzDecoder::new(data)
        .take(CAP)
        .read_to_end(&mut theirs);
    match (a, b) {
        (Ok(_), Ok(_)) => assert!(ours == theirs, "different bytes"),
        (Err(_), Err(_)) => {}
        // (An error past the cap is not seen by either.)
        (a, b) => panic!("rbgp-bunzip {a:?}, libbzip2 {b:?}"),
    }
});
