//! BIRD 2: in a lab namespace or on 127.0.0.1, and birdc.

use std::path::Path;
use std::process::{Child, Command};

use crate::lab::Lab;
use crate::process::{sh, Daemon};

impl Lab {
    /// BIRD in namespace `ns` as router `router_id`: its configuration
    /// (bird.conf) is the router ID, its log (bird.log), the device
    /// protocol, then `body`; control socket bird.ctl; `args` are more of
    /// bird's options (`-R`: graceful-restart recovery); its output goes
    /// to `out`.
    pub fn bird_in(
        &mut self,
        ns: &str,
        router_id: &str,
        body: &str,
        args: &[&str],
        out: &str,
    ) -> &mut Child {
        let conf = self.write(
            "bird.conf",
            &format!(
                "router id {router_id};\nlog \"{}\" all;\nprotocol device {{ }}\n{body}",
                self.path("bird.log")
            ),
        );
        let ctl = self.path("bird.ctl");
        let mut cmd = vec!["bird", "-f", "-c", &conf, "-s", &ctl];
        cmd.extend(args);
        self.spawn(ns, &cmd, out)
    }

    /// A birdc command to the lab's BIRD (over its control socket, which
    /// is a file: no namespace needed); its output.
    pub fn birdc(&self, cmd: &str) -> String {
        sh(&format!("birdc -s {} {cmd}", self.path("bird.ctl"))).1
    }

    /// BIRD's `show protocols` line of one protocol (state and since-time).
    pub fn bird_protocol(&self, name: &str) -> String {
        self.birdc(&format!("show protocols {name}"))
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until BIRD's protocol `name` is Established and its line has
    /// settled; the line. BIRD stamps the line again as the channel
    /// finishes starting, a millisecond or so after the session (seen:
    /// .643, then .644), and once even after it had read the same for
    /// 500 ms: a test telling a reset from the line should allow for a
    /// millisecond's move.
    pub fn bird_established(&self, name: &str) -> String {
        self.wait(&format!("BIRD's {name} established"), 60, || {
            self.bird_protocol(name)
                .contains("Established")
                .then_some(())
        });
        self.wait(&format!("BIRD's {name} line to settle"), 30, || {
            let first = self.bird_protocol(name);
            std::thread::sleep(std::time::Duration::from_millis(500));
            (self.bird_protocol(name) == first).then_some(first)
        })
    }

    /// Waits until BIRD's `show route all [table]` has `prefix`; the whole
    /// output.
    pub fn bird_routes(&self, table: &str, prefix: &str) -> String {
        self.wait(&format!("BIRD to have {prefix}"), 30, || {
            let r = self.birdc(&format!("show route all {table}"));
            r.contains(prefix).then_some(r)
        })
    }
}

/// BIRD on the host (its configuration binds 127.0.0.1 ports), control
/// socket `ctl`, pid file `pid`; stopped with SIGTERM when dropped.
pub fn bird_local(conf: &Path, ctl: &Path, pid: &Path) -> Daemon {
    Daemon::spawn(
        "bird",
        Command::new("bird")
            .arg("-f")
            .arg("-c")
            .arg(conf)
            .arg("-s")
            .arg(ctl)
            .arg("-P")
            .arg(pid),
        "TERM",
    )
}

/// The time of day in seconds in a BIRD `show protocols` line: when the
/// protocol's state last changed. Tests tell a reset by it moving by more
/// than the millisecond BIRD may re-stamp it by (`bird_established`).
pub fn bird_since(line: &str) -> f64 {
    let t = line
        .split_whitespace()
        .find(|w| w.matches(':').count() == 2)
        .unwrap_or_else(|| panic!("no time in {line:?}"));
    t.split(':')
        .map(|x| x.parse::<f64>().unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .fold(0.0, |acc, x| acc * 60.0 + x)
}
