//! Shared helpers for integration tests: where the real captures live.
#![allow(dead_code)]
// Test code: panicking on unexpected input is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;

/// `../shared/data` beside the project (override with RBGP_SHARED_DATA).
/// Missing data is a test failure, never a silent skip.
pub fn shared_data() -> PathBuf {
    let p = std::env::var_os("RBGP_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    assert!(
        p.is_dir(),
        "shared test data not found at {} (set RBGP_SHARED_DATA)",
        p.display()
    );
    p
}

pub fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}
