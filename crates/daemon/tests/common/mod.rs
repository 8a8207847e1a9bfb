//! rbgpd's layer over the testkit's interop lab: network namespaces `d`
//! (rbgpd, 10.88.0.1), `b` (BIRD, .2) and `g` (GoBGP, .3) on one bridge,
//! rbgpd's configuration and starter, and the peers at their addresses.
//! Each test file uses what it needs.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::ops::{Deref, DerefMut};
use std::time::Duration;

pub use rbgp_testkit as testkit;
pub use rbgp_testkit::sh;

/// `[global]` lines that pass every route (RFC 8212 would otherwise keep
/// an eBGP session from accepting or sending anything).
pub const ACCEPT_ALL: &str = "import_policy = [\"accept_all\"]\nexport_policy = [\"accept_all\"]\n";

/// rbgpd's `[global]` in the lab (AS 65001 at 10.88.0.1), then `rest`.
/// [`Lab::rbgpd`] puts its state directory (and API socket) in the lab's
/// `state`.
pub fn with_global(rest: &str) -> String {
    format!(
        "[global]\nasn = 65001\nrouter_id = \"10.88.0.1\"\nlisten = [\"10.88.0.1:179\"]\nstate_dir = \"/tmp\"\n{ACCEPT_ALL}{rest}"
    )
}

/// GoBGP at 10.88.0.3 peering with rbgpd: its configuration.
pub fn gobgp_conf(asn: u32, families: &[&str], per_family: &str) -> String {
    let mut conf = format!(
            "[global.config]\n  as = {asn}\n  router-id = \"10.88.0.3\"\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"10.88.0.1\"\n    peer-as = 65001\n  [neighbors.timers.config]\n    connect-retry = 2\n"
        );
    for f in families {
        conf += &format!("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{f}\"\n{per_family}");
    }
    conf
}

/// The lines of BIRD's `show route all` that follow `prefix`, up to the
/// next route.
pub fn bird_route(all: &str, prefix: &str) -> String {
    let after = all.split(prefix).nth(1).unwrap_or_default();
    after.split("/24").next().unwrap_or_default().to_string()
}

/// The testkit's lab as rbgpd's tests use it: namespaces `d` (rbgpd,
/// 10.88.0.1), `b` (.2) and `g` (.3) on one bridge, with the processes
/// and files of one test; removed on drop. Everything of the testkit's
/// [`testkit::Lab`] is reachable through it.
pub struct Lab(testkit::Lab);

impl Deref for Lab {
    type Target = testkit::Lab;

    fn deref(&self) -> &testkit::Lab {
        &self.0
    }
}

impl DerefMut for Lab {
    fn deref_mut(&mut self) -> &mut testkit::Lab {
        &mut self.0
    }
}

impl Lab {
    pub fn new(test: &str) -> Lab {
        Lab(testkit::Lab::new(&testkit::Topology {
            prefix: "r",
            test,
            dir: "interop",
            hosts: &[("d", 1), ("b", 2), ("g", 3)],
            v4: "10.88.0",
            v6: "fd88::",
            tools: &[
                "bird",
                "birdc",
                "gobgpd",
                "gobgp",
                "vtysh",
                "python3",
                testkit::FRR_BGPD,
                "exabgp",
            ],
            // Nothing is looked at after a test: no clean stops to wait for.
            grace: Duration::ZERO,
        }))
    }

    /// The testkit's `write`, except that rbgpd's configuration gets this
    /// lab's own state directory.
    pub fn write(&self, f: &str, text: &str) -> String {
        let text = if f == "rbgpd.toml" {
            self.own_state_dir(text)
        } else {
            text.to_string()
        };
        self.0.write(f, &text)
    }

    /// rbgpd's configuration with this lab's own state_dir: rbgpd locks
    /// its API store there, and tests run in parallel.
    pub fn own_state_dir(&self, config: &str) -> String {
        let line = format!("state_dir = \"{}\"", self.path("state"));
        let mut out: Vec<String> = config
            .lines()
            .filter(|l| !l.trim_start().starts_with("state_dir"))
            .map(String::from)
            .collect();
        if let Some(i) = out.iter().position(|l| l.trim() == "[global]") {
            out.insert(i + 1, line);
        }
        out.join("\n") + "\n"
    }

    /// rbgpd in `d` with this configuration (rbgpd.toml), logging to
    /// rbgpd.log. The binary exists only for this crate's tests
    /// (`CARGO_BIN_EXE_rbgpd`), hence this layer over the testkit.
    pub fn rbgpd(&mut self, config: &str) {
        let conf = self.write("rbgpd.toml", config);
        self.spawn("d", &[env!("CARGO_BIN_EXE_rbgpd"), &conf], "rbgpd.log");
    }

    /// Kill rbgpd (the first child) with SIGKILL and start it again with
    /// `config`, first among the children again.
    pub fn kill_and_restart_rbgpd(&mut self, config: &str) {
        let mut old = self.children.remove(0);
        old.kill().unwrap();
        old.wait().unwrap();
        self.rbgpd(config);
        let d = self.children.pop().unwrap();
        self.children.insert(0, d);
    }

    /// BIRD at 10.88.0.2 with `body` after the router ID, log and device.
    pub fn bird(&mut self, body: &str) {
        self.bird_in("b", "10.88.0.2", body, &[], "bird.out");
    }

    /// GoBGP at 10.88.0.3 peering with rbgpd, for these families.
    pub fn gobgp(&mut self, asn: u32, families: &[&str]) {
        self.gobgp_with(asn, families, "");
    }

    /// GoBGP with `per_family` appended to each family's block (ADD-PATH...).
    pub fn gobgp_with(&mut self, asn: u32, families: &[&str], per_family: &str) {
        self.gobgp_config(&gobgp_conf(asn, families, per_family));
    }

    /// GoBGP with this whole configuration; waits for a session up.
    pub fn gobgp_config(&mut self, conf: &str) {
        self.gobgp_start(conf);
        self.wait("GoBGP established", 40, || {
            self.gobgp_cli("neighbor").contains("Establ").then_some(())
        });
    }

    /// rbgpd with `config` (first among the children, as
    /// [`Lab::kill_and_restart_rbgpd`] expects) and GoBGP peering with it
    /// (as [`Lab::gobgp`]), GoBGP started and listening first: rbgpd's
    /// first connection attempt then finds it, where otherwise the
    /// session waits for rbgpd's 5 s retry or GoBGP's own 5-10 s pace.
    /// Waits for the session.
    pub fn rbgpd_with_gobgp(&mut self, config: &str, asn: u32, families: &[&str]) {
        self.gobgp_start(&gobgp_conf(asn, families, ""));
        self.wait("GoBGP listening", 20, || {
            self.run_in("g", "ss -ltn").contains(":179 ").then_some(())
        });
        self.rbgpd(config);
        let d = self.children.pop().unwrap();
        self.children.insert(0, d);
        self.wait("GoBGP established", 40, || {
            self.gobgp_cli("neighbor").contains("Establ").then_some(())
        });
    }

    /// Start GoBGP with this configuration, without waiting.
    pub fn gobgp_start(&mut self, conf: &str) {
        self.gobgpd_in("g", "gobgpd", conf);
    }

    /// The pid of the rbgpd process (`ip netns exec` execs into it).
    pub fn rbgpd_pid(&self) -> u32 {
        self.children
            .iter()
            .map(|c| c.id())
            .find(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains("rbgpd"))
            })
            .expect("rbgpd is running")
    }

    /// Send a signal (e.g. "HUP", "KILL") to rbgpd.
    pub fn signal_rbgpd(&self, sig: &str) {
        let (ok, out) = sh(&format!("kill -{sig} {}", self.rbgpd_pid()));
        assert!(ok, "kill -{sig} rbgpd: {out}");
    }

    /// A gobgp CLI command to the GoBGP at 10.88.0.3; its output.
    pub fn gobgp_cli(&self, cmd: &str) -> String {
        self.gobgp_in("g", cmd)
    }

    pub fn gobgp_ok(&self, cmd: &str) {
        self.gobgp_ok_in("g", cmd);
    }

    /// Wait until GoBGP's table has `prefix`; its line.
    pub fn gobgp_route(&self, family: &str, prefix: &str) -> String {
        self.wait(&format!("GoBGP to have {prefix}"), 30, || {
            let r = self.gobgp_cli(&format!("global rib -a {family}"));
            r.lines().find(|l| l.contains(prefix)).map(String::from)
        })
    }
}

/// The AS path of a path in rbgpctl's JSON (`as_path`: segments of
/// `asns`) as space-separated numbers.
pub fn json_as_path(path: &serde_json::Value) -> String {
    let asns: Vec<String> = path["as_path"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|seg| seg["asns"].as_array().cloned().unwrap_or_default())
        .map(|a| a.to_string())
        .collect();
    asns.join(" ")
}

/// BIRD's session to rbgpd: eBGP or iBGP, quick timers.
pub fn bird_session(name: &str, local_as: u32, extra: &str, channels: &str) -> String {
    format!(
        "protocol bgp {name} {{\n  local as {local_as}; neighbor 10.88.0.1 as 65001; hold time 30; {extra}\n  connect delay time 1; connect retry time 2; error wait time 1, 5;\n{channels}}}\n"
    )
}

/// A process's resident memory in MiB (VmRSS).
pub fn rss_mib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap()
        / 1024
}
