//! rbgpctl for the API tests: the binary of the rbgp-ctl package, built
//! beside rbgpd (`cargo test --workspace` builds it; built here otherwise).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// target/<profile>/rbgpctl, next to the rbgpd under test.
pub fn rbgpctl() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        rbgp_testkit::workspace_bin(env!("CARGO_BIN_EXE_rbgpd"), "rbgpctl", "rbgp-ctl")
    })
    .clone()
}

/// Runs rbgpctl with `args` (whitespace-separated, no quoting); (success,
/// stdout + stderr).
pub fn ctl(server: &str, args: &str) -> (bool, String) {
    ctl_args(server, &args.split_whitespace().collect::<Vec<_>>())
}

pub fn ctl_args(server: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(rbgpctl())
        .args(["-s", server])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
