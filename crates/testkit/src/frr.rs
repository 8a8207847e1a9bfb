//! FRR's bgpd in a lab namespace, without zebra, and vtysh.

use std::process::Child;

use crate::lab::Lab;
use crate::process::sh;

/// FRR's BGP daemon (not on PATH).
pub const FRR_BGPD: &str = "/usr/lib/frr/bgpd";

impl Lab {
    /// The directory of FRR's pid file and sockets (vtysh talks to bgpd
    /// there), made on first use; a configuration logs there too.
    pub fn frr_dir(&self) -> String {
        let dir = self.path("frr");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// bgpd in namespace `ns` with configuration `conf` (written to
    /// frr.conf), its output to frr.out: without zebra (-Z; so a
    /// configuration wants `disable-connected-check` and `no bgp network
    /// import-check`), as root (-S), no TCP vty (-P 0); `args` are more
    /// options (`-M bmp`, listen addresses).
    pub fn frr_bgpd(&mut self, ns: &str, conf: &str, args: &[&str]) -> &mut Child {
        let dir = self.frr_dir();
        let conf = self.write("frr.conf", conf);
        let (pid, zserv) = (format!("{dir}/bgpd.pid"), format!("{dir}/zserv.api"));
        let mut cmd = vec![
            FRR_BGPD,
            "-f",
            &conf,
            "-i",
            &pid,
            "--vty_socket",
            &dir,
            "-z",
            &zserv,
            "-Z",
            "-S",
            "-P",
            "0",
        ];
        cmd.extend(args);
        self.spawn(ns, &cmd, "frr.out")
    }

    /// A vtysh command to the lab's bgpd (over its socket: no namespace
    /// needed); its output, empty or an error while bgpd is not up yet.
    pub fn vtysh(&self, cmd: &str) -> String {
        sh(&format!(
            "vtysh --vty_socket {} -d bgpd -c '{cmd}'",
            self.path("frr")
        ))
        .1
    }
}
