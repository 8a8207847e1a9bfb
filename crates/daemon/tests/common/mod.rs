//! The interop lab shared by rbgpd's integration tests: network
//! namespaces `d` (rbgpd, 10.88.0.1), `b` (BIRD, .2) and `g` (GoBGP, .3)
//! on one bridge, starters for the daemons, CLI helpers and a
//! log-collecting wait. Each test file uses what it needs.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// rbgpd's `[global]` in the lab (AS 65001 at 10.88.0.1), then `rest`.
/// [`Lab::rbgpd`] puts its state directory (and API socket) in the lab's
/// `state`.
pub fn with_global(rest: &str) -> String {
    format!(
        "[global]\nasn = 65001\nrouter_id = \"10.88.0.1\"\nlisten = [\"10.88.0.1:179\"]\nstate_dir = \"/tmp\"\n{rest}"
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

pub fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

pub fn need(tool: &str) {
    let (ok, _) = sh(&format!("command -v {tool}"));
    assert!(
        ok,
        "{tool} is required by the interop test (scripts/test.sh installs it: apt-get install bird2 gobgpd frr iproute2; pip install exabgp)"
    );
}

/// The lines of BIRD's `show route all` that follow `prefix`, up to the
/// next route.
pub fn bird_route(all: &str, prefix: &str) -> String {
    let after = all.split(prefix).nth(1).unwrap_or_default();
    after.split("/24").next().unwrap_or_default().to_string()
}

/// Namespaces `d` (rbgpd, 10.88.0.1), `b` (.2) and `g` (.3) on one bridge,
/// with the processes and files of one test; removed on drop.
pub struct Lab {
    pub tag: String,
    pub dir: PathBuf,
    pub children: Vec<Child>,
}

impl Lab {
    pub fn new(test: &str) -> Lab {
        for t in ["ip", "bird", "birdc", "gobgpd", "gobgp", "vtysh", "python3"] {
            need(t);
        }
        assert!(
            Path::new("/usr/lib/frr/bgpd").exists(),
            "FRR's bgpd is required (apt-get install frr)"
        );
        assert!(
            sh("python3 -c 'import exabgp'").0,
            "ExaBGP is required (python3 -m pip install exabgp)"
        );
        // Short (interface names max 15 chars) and unique per test and run.
        let tag = format!("r{}{test}", std::process::id() % 100_000);
        let dir = std::env::temp_dir().join(format!("rbgp-interop-{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let lab = Lab {
            tag,
            dir,
            children: Vec::new(),
        };
        let t = &lab.tag;
        let mut script = format!(
            "set -e\nip netns add {t}sw\nip -n {t}sw link set lo up\nip -n {t}sw link add br0 type bridge\nip -n {t}sw link set br0 up\n"
        );
        for (ns, n) in [("d", 1), ("b", 2), ("g", 3)] {
            script += &format!(
                "ip netns add {t}{ns}\nip -n {t}{ns} link set lo up\n\
                 ip link add {t}v{n} netns {t}sw type veth peer name eth0 netns {t}{ns}\n\
                 ip -n {t}sw link set {t}v{n} master br0 up\n\
                 ip -n {t}{ns} addr add 10.88.0.{n}/24 dev eth0\n\
                 ip -n {t}{ns} addr add fd88::{n}/64 dev eth0 nodad\n\
                 ip -n {t}{ns} link set eth0 up\n"
            );
        }
        let (ok, out) = sh(&script);
        assert!(
            ok,
            "creating network namespaces failed (root needed):\n{out}"
        );
        lab
    }

    pub fn ns(&self, n: &str) -> String {
        format!("{}{}", self.tag, n)
    }

    pub fn path(&self, f: &str) -> String {
        self.dir.join(f).display().to_string()
    }

    pub fn write(&self, f: &str, text: &str) -> String {
        let text = if f == "rbgpd.toml" {
            self.own_state_dir(text)
        } else {
            text.to_string()
        };
        std::fs::write(self.path(f), text).unwrap();
        self.path(f)
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

    pub fn spawn(&mut self, ns: &str, args: &[&str], log: &str) {
        let logf = std::fs::File::create(self.path(log)).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(ns)])
            .args(args)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap())
            .stderr(logf)
            .spawn()
            .unwrap();
        self.children.push(child);
    }

    /// Run a command in a namespace; its output.
    pub fn run_in(&self, ns: &str, cmd: &str) -> String {
        sh(&format!("ip netns exec {} {cmd}", self.ns(ns))).1
    }

    /// Run a command in a namespace that must succeed.
    pub fn ok_in(&self, ns: &str, cmd: &str) {
        let (ok, out) = sh(&format!("ip netns exec {} {cmd}", self.ns(ns)));
        assert!(ok, "{cmd}: {out}");
    }

    pub fn log(&self, f: &str) -> String {
        std::fs::read_to_string(self.path(f)).unwrap_or_default()
    }

    /// Every log of the test, for failure messages.
    pub fn diag(&self) -> String {
        let mut out = String::new();
        let mut files: Vec<_> = walk(&self.dir);
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.ends_with(".log") || f.ends_with(".out"))
        {
            out += &format!(
                "--- {f}\n{}\n",
                std::fs::read_to_string(f).unwrap_or_default()
            );
        }
        out
    }

    /// Poll `f` until it returns Some; fail with every log after `secs`.
    pub fn wait<T>(&self, what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(
                Instant::now() <= end,
                "timed out after {secs}s waiting for {what}\n{}",
                self.diag()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn rbgpd(&mut self, config: &str) {
        let conf = self.write("rbgpd.toml", config);
        self.spawn("d", &[env!("CARGO_BIN_EXE_rbgpd"), &conf], "rbgpd.log");
    }

    /// BIRD at 10.88.0.2 with `body` after the router ID, log and device.
    pub fn bird(&mut self, body: &str) {
        let conf = self.write(
            "bird.conf",
            &format!(
                "router id 10.88.0.2;\nlog \"{}\" all;\nprotocol device {{ }}\n{body}",
                self.path("bird.log")
            ),
        );
        let ctl = self.path("bird.ctl");
        self.spawn("b", &["bird", "-f", "-c", &conf, "-s", &ctl], "bird.out");
    }

    pub fn birdc(&self, cmd: &str) -> String {
        self.run_in("b", &format!("birdc -s {} {cmd}", self.path("bird.ctl")))
    }

    /// BIRD's `show protocols` line of one protocol (state and since-time).
    pub fn bird_protocol(&self, name: &str) -> String {
        self.birdc(&format!("show protocols {name}"))
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
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

    /// Start GoBGP with this configuration, without waiting.
    pub fn gobgp_start(&mut self, conf: &str) {
        self.gobgpd_in("g", "gobgpd", conf);
    }

    /// A gobgpd in namespace `ns` (API on its loopback, port 50051) with
    /// this configuration, written to NAME.toml and logging to NAME.log.
    pub fn gobgpd_in(&mut self, ns: &str, name: &str, conf: &str) {
        let conf = self.write(&format!("{name}.toml"), conf);
        let args = [
            "gobgpd",
            "-f",
            &conf,
            "--api-hosts",
            "127.0.0.1:50051",
            "--pprof-disable",
            "-p",
        ];
        self.spawn(ns, &args, &format!("{name}.log"));
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

    pub fn gobgp_cli(&self, cmd: &str) -> String {
        self.run_in("g", &format!("gobgp -p 50051 {cmd}"))
    }

    pub fn gobgp_ok(&self, cmd: &str) {
        self.ok_in("g", &format!("gobgp -p 50051 {cmd}"));
    }

    /// Wait until GoBGP's table has `prefix`; its line.
    pub fn gobgp_route(&self, family: &str, prefix: &str) -> String {
        self.wait(&format!("GoBGP to have {prefix}"), 30, || {
            let r = self.gobgp_cli(&format!("global rib -a {family}"));
            r.lines().find(|l| l.contains(prefix)).map(String::from)
        })
    }

    /// Wait until BIRD's `show route all [table]` has `prefix`; the whole output.
    pub fn bird_routes(&self, table: &str, prefix: &str) -> String {
        self.wait(&format!("BIRD to have {prefix}"), 30, || {
            let r = self.birdc(&format!("show route all {table}"));
            r.contains(prefix).then_some(r)
        })
    }
}

pub fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let t = &self.tag;
        sh(&format!(
            "for n in {t}d {t}b {t}g {t}sw; do ip netns pids $n 2>/dev/null | xargs -r kill -9; ip netns del $n 2>/dev/null; done"
        ));
    }
}

/// BIRD's session to rbgpd: eBGP or iBGP, quick timers.
pub fn bird_session(name: &str, local_as: u32, extra: &str, channels: &str) -> String {
    format!(
        "protocol bgp {name} {{\n  local as {local_as}; neighbor 10.88.0.1 as 65001; hold time 30; {extra}\n  connect delay time 1; connect retry time 2; error wait time 1, 5;\n{channels}}}\n"
    )
}
