#![allow(dead_code)]
//! The shared real data (read-only): `RBGP_SHARED_DATA`, by default
//! `<workspace>/../shared/data`. A missing file fails the test.

use std::io::Read;
use std::path::PathBuf;

pub fn data(rel: &str) -> Vec<u8> {
    let base = std::env::var_os("RBGP_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = base.join(rel);
    let raw = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "shared test data {} is missing ({e}); set RBGP_SHARED_DATA to the shared/data directory",
            path.display()
        )
    });
    if rel.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{}: bad gzip: {e}", path.display()));
        out
    } else {
        raw
    }
}
