//! Network namespaces on a private bridge with the processes of one test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{need, sh};

/// What a [`Lab`] is made of.
pub struct Topology<'a> {
    /// Namespace names start with `prefix`, this process's id (so runs do
    /// not collide), then `test` (so tests of one run do not): short,
    /// because the bridge's veth ends are named after them (15 characters
    /// at most).
    pub prefix: &'a str,
    pub test: &'a str,
    /// The test's files go to `$TMPDIR/rbgp-{dir}-{namespace prefix}`.
    pub dir: &'a str,
    /// The hosts: namespace suffix and host number, which is the last
    /// part of its addresses (`{v4}.{n}/24`, `{v6}{n}/64` on its `eth0`).
    pub hosts: &'a [(&'a str, u8)],
    /// The IPv4 /24 (e.g. "10.88.0") and the IPv6 /64 (e.g. "fd88::").
    pub v4: &'a str,
    pub v6: &'a str,
    /// Tools the test needs ([`need`]), checked before anything starts.
    pub tools: &'a [&'a str],
    /// How long the processes get to stop on SIGTERM when the lab is
    /// dropped; zero kills them at once.
    pub grace: Duration,
}

/// One namespace per host of a [`Topology`], each with a veth to a bridge
/// in a namespace of its own (`sw`); the processes started in them and
/// their files. Dropping it kills the processes and everything else in
/// its namespaces, deletes the namespaces, and removes the files unless
/// the test failed or `KEEP` is set.
pub struct Lab {
    /// The namespaces' common prefix.
    pub tag: String,
    pub dir: PathBuf,
    /// In start order: tests signal, kill or replace them by index.
    pub children: Vec<Child>,
    namespaces: Vec<String>,
    grace: Duration,
}

impl Lab {
    /// Creates the namespaces (root needed) after checking the tools.
    pub fn new(t: &Topology) -> Lab {
        need("ip");
        for tool in t.tools {
            need(tool);
        }
        let tag = format!("{}{}{}", t.prefix, std::process::id() % 100_000, t.test);
        let longest = t.hosts.iter().map(|(_, n)| n.to_string().len()).max();
        assert!(
            tag.len() + 1 + longest.unwrap_or(1) <= 15,
            "namespace prefix {tag:?} too long for veth names"
        );
        let dir = std::env::temp_dir().join(format!("rbgp-{}-{tag}", t.dir));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut namespaces: Vec<String> =
            t.hosts.iter().map(|(ns, _)| format!("{tag}{ns}")).collect();
        namespaces.push(format!("{tag}sw"));
        let lab = Lab {
            tag,
            dir,
            children: Vec::new(),
            namespaces,
            grace: t.grace,
        };
        let tag = &lab.tag;
        let mut script = format!(
            "set -e\nip netns add {tag}sw\nip -n {tag}sw link set lo up\n\
             ip -n {tag}sw link add br0 type bridge\nip -n {tag}sw link set br0 up\n"
        );
        let (v4, v6) = (t.v4, t.v6);
        for (ns, n) in t.hosts {
            script += &format!(
                "ip netns add {tag}{ns}\nip -n {tag}{ns} link set lo up\n\
                 ip link add {tag}v{n} netns {tag}sw type veth peer name eth0 netns {tag}{ns}\n\
                 ip -n {tag}sw link set {tag}v{n} master br0 up\n\
                 ip -n {tag}{ns} addr add {v4}.{n}/24 dev eth0\n\
                 ip -n {tag}{ns} addr add {v6}{n}/64 dev eth0 nodad\n\
                 ip -n {tag}{ns} link set eth0 up\n"
            );
        }
        let (ok, out) = sh(&script);
        assert!(
            ok,
            "creating network namespaces failed (root needed):\n{out}"
        );
        lab
    }

    /// The full name of namespace `n`.
    pub fn ns(&self, n: &str) -> String {
        format!("{}{}", self.tag, n)
    }

    /// A file of the lab.
    pub fn path(&self, f: &str) -> String {
        self.dir.join(f).display().to_string()
    }

    /// Writes a file of the lab; its path.
    pub fn write(&self, f: &str, text: &str) -> String {
        std::fs::write(self.path(f), text).unwrap();
        self.path(f)
    }

    /// Starts `args` in namespace `ns`, its stdout and stderr to `log`.
    /// `ip netns exec` execs the command: the child is the program itself.
    pub fn spawn(&mut self, ns: &str, args: &[&str], log: &str) -> &mut Child {
        self.spawn_with(ns, args, log, false)
    }

    /// [`Lab::spawn`] with stdout piped: the caller takes it from the child.
    pub fn spawn_piped(&mut self, ns: &str, args: &[&str], log: &str) -> &mut Child {
        self.spawn_with(ns, args, log, true)
    }

    fn spawn_with(&mut self, ns: &str, args: &[&str], log: &str, piped: bool) -> &mut Child {
        let logf = std::fs::File::create(self.path(log)).unwrap();
        let stdout = if piped {
            Stdio::piped()
        } else {
            logf.try_clone().unwrap().into()
        };
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(ns)])
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(logf)
            .spawn()
            .unwrap();
        self.children.push(child);
        self.children.last_mut().unwrap()
    }

    /// Runs a command in a namespace; its output.
    pub fn run_in(&self, ns: &str, cmd: &str) -> String {
        sh(&format!("ip netns exec {} {cmd}", self.ns(ns))).1
    }

    /// Runs a command in a namespace that must succeed.
    pub fn ok_in(&self, ns: &str, cmd: &str) {
        let (ok, out) = sh(&format!("ip netns exec {} {cmd}", self.ns(ns)));
        assert!(ok, "{cmd}: {out}");
    }

    /// A file of the lab, empty if there is none yet.
    pub fn log(&self, f: &str) -> String {
        std::fs::read_to_string(self.path(f)).unwrap_or_default()
    }

    /// Every log of the test (`*.log`, `*.out`, subdirectories too), for
    /// failure messages.
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

    /// Kills child `i` (start order) with SIGKILL and reaps it; it stays in
    /// `children` (killing it again on drop is harmless).
    pub fn kill(&mut self, i: usize) {
        let c = &mut self.children[i];
        let _ = c.kill();
        let _ = c.wait();
    }

    /// A Prometheus sample of the text exposition at `url`, fetched with
    /// curl from namespace `ns`: the value of the first line starting with
    /// `name` (include the labels to pick one series); `None` if there is
    /// none or the endpoint does not answer.
    pub fn metric(&self, ns: &str, url: &str, name: &str) -> Option<f64> {
        let m = self.run_in(ns, &format!("curl -s --max-time 5 {url}"));
        m.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    }

    /// Polls `f` until it returns Some; fails with every log after `secs`.
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
}

fn walk(dir: &Path) -> Vec<String> {
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
        if !self.grace.is_zero() {
            for c in &mut self.children {
                let _ = Command::new("kill")
                    .args(["-TERM", &c.id().to_string()])
                    .status();
            }
        }
        let t = Instant::now();
        for c in &mut self.children {
            while t.elapsed() < self.grace && matches!(c.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        // Whatever else runs there (daemons that forked, helpers started
        // with `ip netns exec` by the test itself) goes with them.
        let namespaces = self.namespaces.join(" ");
        sh(&format!(
            "for n in {namespaces}; do ip netns pids $n 2>/dev/null | xargs -r kill -9; \
             ip netns del $n 2>/dev/null; done"
        ));
        // A failed test keeps its files to look at (the path is in its logs).
        if std::thread::panicking() {
            eprintln!("lab files kept in {}", self.dir.display());
        } else if std::env::var_os("KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
