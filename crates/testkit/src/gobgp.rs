//! GoBGP: gobgpd in a lab namespace or on 127.0.0.1, and the gobgp CLI.

use std::path::Path;
use std::process::{Child, Command};

use crate::lab::Lab;
use crate::process::Daemon;

/// The port of gobgpd's API on the loopback of a lab namespace (each
/// namespace has its own loopback).
pub const GOBGP_API_PORT: u16 = 50051;

impl Lab {
    /// A gobgpd in namespace `ns` (API on its loopback, [`GOBGP_API_PORT`])
    /// with this configuration, written to NAME.toml and logging to
    /// NAME.log.
    pub fn gobgpd_in(&mut self, ns: &str, name: &str, conf: &str) -> &mut Child {
        let conf = self.write(&format!("{name}.toml"), conf);
        let api = format!("127.0.0.1:{GOBGP_API_PORT}");
        let args = [
            "gobgpd",
            "-f",
            &conf,
            "--api-hosts",
            &api,
            "--pprof-disable",
            "-p",
        ];
        self.spawn(ns, &args, &format!("{name}.log"))
    }

    /// A gobgp CLI command to the gobgpd of namespace `ns`; its output.
    pub fn gobgp_in(&self, ns: &str, cmd: &str) -> String {
        self.run_in(ns, &format!("gobgp -p {GOBGP_API_PORT} {cmd}"))
    }

    /// A gobgp CLI command that must succeed.
    pub fn gobgp_ok_in(&self, ns: &str, cmd: &str) {
        self.ok_in(ns, &format!("gobgp -p {GOBGP_API_PORT} {cmd}"));
    }

    /// Routes the gobgpd of namespace `ns` has received from `neighbor`
    /// (its largest family); 0 when it cannot tell.
    pub fn gobgp_received(&self, ns: &str, neighbor: &str) -> u64 {
        let out = self.gobgp_in(ns, &format!("neighbor {neighbor} -j"));
        serde_json::from_str::<serde_json::Value>(&out)
            .ok()
            .and_then(|v| {
                v["afi_safis"].as_array().and_then(|a| {
                    a.iter()
                        .map(|f| f["state"]["received"].as_u64().unwrap_or(0))
                        .max()
                })
            })
            .unwrap_or(0)
    }
}

/// gobgpd on the host with this configuration file, its API on
/// 127.0.0.1:`api_port`; stopped with SIGTERM when dropped.
pub fn gobgpd_local(conf: &Path, api_port: u16) -> Daemon {
    Daemon::spawn(
        "gobgpd",
        Command::new("gobgpd").arg("-f").arg(conf).args([
            "--api-hosts",
            &format!("127.0.0.1:{api_port}"),
            "--pprof-disable",
            "-p",
        ]),
        "TERM",
    )
}
