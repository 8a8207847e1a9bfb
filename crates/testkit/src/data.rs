//! The shared real captures, and hex in test data.

use std::path::{Path, PathBuf};

/// The shared test data: `RBGP_SHARED_DATA`, else `../shared/data` beside
/// the workspace (scripts/test.sh sets the variable). Missing data is a
/// test failure, never a silent skip; its INDEX.md marks the right level.
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

/// One file or directory of the shared data, which must exist.
pub fn data(rel: &str) -> PathBuf {
    let p = data_dir().join(rel);
    assert!(p.exists(), "{} missing (set RBGP_SHARED_DATA)", p.display());
    p
}

/// The bytes of the hex digits in `s`; anything else (spaces, colons) is
/// skipped. An odd number of digits is a broken input, not a short byte.
pub fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    assert!(
        digits.len().is_multiple_of(2),
        "odd number of hex digits in {s:?}"
    );
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unhex_skips_separators() {
        assert_eq!(unhex("ff:00 1A"), [0xff, 0, 0x1a]);
        assert!(unhex("").is_empty());
    }

    #[test]
    #[should_panic(expected = "odd number")]
    fn unhex_refuses_an_odd_digit() {
        unhex("fff");
    }
}
