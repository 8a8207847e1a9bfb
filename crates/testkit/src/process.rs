//! Shell commands, required tools, ports and daemons stopped on drop.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` with `sh -c`: whether it succeeded, and stdout then stderr.
pub fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// How scripts/test.sh installs a tool (a command, a path, or `exabgp`).
fn install_hint(tool: &str) -> &'static str {
    match tool {
        "ip" => "apt-get install iproute2",
        "bird" | "birdc" => "apt-get install bird2",
        "gobgpd" | "gobgp" => "apt-get install gobgpd",
        // FRR's daemons live there, off PATH.
        "vtysh" => "apt-get install frr",
        t if t.starts_with("/usr/lib/frr/") => "apt-get install frr",
        "tshark" => "apt-get install tshark",
        "pmbmpd" => "apt-get install pmacct",
        "bgpdump" => "apt-get install bgpdump",
        "exabgp" => "python3 -m pip install exabgp",
        "stayrtr" => "apt-get install stayrtr",
        "rtrtr" => "cargo install rtrtr --locked",
        "tansu" => "cargo install tansu --locked --features dynostore",
        "kafka-python" => "python3 -m pip install kafka-python",
        "grpcio" => "python3 -m pip install grpcio grpcio-tools grpcio-reflection",
        _ => "see its list of test tools",
    }
}

/// Fails the test unless `tool` is there: a command on PATH, an absolute
/// path (FRR's daemons are not on PATH), or `exabgp` (a Python module).
/// Interop tests never pass by skipping.
pub fn need(tool: &str) {
    let ok = if tool == "exabgp" {
        sh("python3 -c 'import exabgp'").0
    } else if tool == "kafka-python" {
        sh("python3 -c 'import kafka'").0
    } else if tool == "grpcio" {
        sh("python3 -c 'import grpc, grpc_tools, grpc_reflection'").0
    } else if tool.starts_with('/') {
        std::path::Path::new(tool).exists()
    } else {
        sh(&format!("command -v {tool}")).0
    };
    assert!(
        ok,
        "{tool} is required by this test (scripts/test.sh installs it: {})",
        install_hint(tool)
    );
}

/// A TCP port free on 127.0.0.1 just now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Connects to 127.0.0.1:`port` as soon as `what` listens there; fails
/// the test after `secs`.
pub fn wait_connect(what: &str, port: u16, secs: u64) -> TcpStream {
    let t = Instant::now();
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(c) => return c,
            Err(_) if t.elapsed() < Duration::from_secs(secs) => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("{what} did not listen on {port}: {e}"),
        }
    }
}

/// A process a test started, stopped when dropped (or by [`Daemon::stop`]):
/// its signal first, then SIGKILL if it is still there after 5 s.
pub struct Daemon {
    name: String,
    child: Child,
    signal: &'static str,
    stopped: bool,
}

impl Daemon {
    /// Starts `cmd` with no input and its output discarded; `signal`
    /// ("TERM", "INT", "KILL") stops it. A command that cannot run fails
    /// the test with how scripts/test.sh installs it.
    pub fn spawn(name: &str, cmd: &mut Command, signal: &'static str) -> Daemon {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{name} is required by this test but could not be run ({e}); \
                     scripts/test.sh installs it: {}",
                    install_hint(name)
                )
            });
        Daemon::new(name, child, signal)
    }

    /// Takes charge of a child started otherwise.
    pub fn new(name: &str, child: Child, signal: &'static str) -> Daemon {
        Daemon {
            name: name.to_string(),
            child,
            signal,
            stopped: false,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Stops it now (once; dropping it later does nothing more).
    pub fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        if self.signal != "KILL" {
            let _ = Command::new("kill")
                .args([&format!("-{}", self.signal), &self.child.id().to_string()])
                .status();
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(5) {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            eprintln!(
                "{} did not stop on SIG{}; killing it",
                self.name, self.signal
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A binary of another workspace package, next to `beside` (a binary of
/// the package under test, e.g. `env!("CARGO_BIN_EXE_rbgpd")`), built
/// here once per test process: `cargo test` builds only the binaries of
/// the package under test, so one left in the target directory by an
/// earlier run would otherwise be used however old it is.
pub fn workspace_bin(beside: &str, name: &str, package: &str) -> std::path::PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let p = std::path::PathBuf::from(beside).with_file_name(name);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.iter().any(|b| b == package) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "-p", package])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok && p.exists(), "building {name} ({package}) failed");
        built.push(package.to_string());
    }
    p
}
