//! pmacct's BMP collector pmbmpd on 127.0.0.1.

use std::path::Path;
use std::process::Command;

use crate::process::Daemon;

/// pmbmpd listening on 127.0.0.1:`port`, logging each message as a JSON
/// line to `log`; stopped with SIGINT (its clean stop) when dropped.
pub fn pmbmpd(port: u16, log: &Path) -> Daemon {
    Daemon::spawn(
        "pmbmpd",
        Command::new("pmbmpd")
            .args(["-L", "127.0.0.1", "-l", &port.to_string(), "-o"])
            .arg(log),
        "INT",
    )
}
