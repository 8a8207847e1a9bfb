//! tshark: a hard requirement where used, and its JSON.

use std::process::Command;

use serde_json::Value;

/// tshark is a hard requirement: a missing or broken tshark fails the
/// test, never skips it (scripts/test.sh installs it).
pub fn require_tshark() {
    match Command::new("tshark").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`tshark --version` failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "tshark is required by this test but could not be run ({e}); \
             install it (Debian: `apt-get install tshark`, as scripts/test.sh does)"
        ),
    }
}

/// With `--no-duplicate-keys` a key seen once maps to its value and a key
/// seen several times to an array of the values: always give a list.
pub fn all(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(x) => vec![x],
    }
}
