//! rbgpd against real BGP speakers (BIRD 2 and GoBGP from Debian), each in
//! its own network namespace on a private bridge: sessions establish,
//! IPv4 and IPv6 routes flow both ways with their attributes, withdrawals
//! propagate, and a graceful stop sends Cease to the peers.
//!
//! Needs root, iproute2, bird2 and gobgpd (scripts/test.sh installs them).
//! Missing tools fail the test: an interop test never passes by skipping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn need(tool: &str) {
    let (ok, _) = sh(&format!("command -v {tool}"));
    assert!(ok, "{tool} is required by the interop test (scripts/test.sh installs it: apt-get install bird2 gobgpd frr iproute2; pip install exabgp)");
}

/// Namespaces, processes and files of one test; removed on drop.
struct Lab {
    tag: String,
    dir: PathBuf,
    children: Vec<Child>,
}

impl Lab {
    fn new(test: &str) -> Lab {
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

    fn ns(&self, n: &str) -> String {
        format!("{}{}", self.tag, n)
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.join(f)
    }

    fn spawn(&mut self, ns: &str, args: &[&str], log: &str) {
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

    fn run_in(&self, ns: &str, cmd: &str) -> String {
        sh(&format!("ip netns exec {} {cmd}", self.ns(ns))).1
    }

    fn log(&self, f: &str) -> String {
        std::fs::read_to_string(self.path(f)).unwrap_or_default()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let t = &self.tag;
        sh(&format!("for n in {t}d {t}b {t}g {t}sw; do ip netns pids $n 2>/dev/null | xargs -r kill -9; ip netns del $n 2>/dev/null; done"));
    }
}

/// Poll `f` until it returns Some or the deadline passes.
fn wait_for<T>(
    what: &str,
    secs: u64,
    mut f: impl FnMut() -> Option<T>,
    diag: impl Fn() -> String,
) -> T {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > end {
            panic!("timed out after {secs}s waiting for {what}\n{}", diag());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap();
}

#[test]
fn bird_and_gobgp_exchange_routes_through_rbgpd() {
    let mut lab = Lab::new("a");
    let dir = lab.dir.display().to_string();
    write(
        &lab.path("rbgpd.toml"),
        r#"
[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "/tmp"

[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
families = ["ipv4_unicast", "ipv6_unicast"]
hold_time = 30

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
families = ["ipv4_unicast", "ipv6_unicast"]

[[routes]]
prefix = "192.0.2.0/24"
next_hop = "10.88.0.1"
communities = ["65001:7", "65001:8"]
large_communities = ["65001:2:3"]
ext_communities = ["rt:65001:100"]
med = 50

[[routes]]
prefix = "2001:db8:1::/48"
next_hop = "fd88::1"
communities = ["65001:6"]
"#,
    );
    write(
        &lab.path("bird.conf"),
        &format!(
            r#"router id 10.88.0.2;
log "{dir}/bird.log" all;
protocol device {{ }}
protocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole {{ bgp_community.add((65002,100)); bgp_large_community.add((65002,1,1)); }}; }}
protocol static s6 {{ ipv6; route 2001:db8:2::/48 blackhole {{ bgp_community.add((65002,600)); }}; }}
protocol bgp dut {{
  local as 65002; neighbor 10.88.0.1 as 65001; hold time 30;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv4 {{ import all; export all; }};
  ipv6 {{ import all; export all; }};
}}
"#
        ),
    );
    write(
        &lab.path("gobgpd.toml"),
        r#"[global.config]
  as = 65003
  router-id = "10.88.0.3"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.88.0.1"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 2
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
"#,
    );
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    let (conf, bconf, gconf, bctl) = (
        lab.path("rbgpd.toml").display().to_string(),
        lab.path("bird.conf").display().to_string(),
        lab.path("gobgpd.toml").display().to_string(),
        lab.path("bird.ctl").display().to_string(),
    );
    lab.spawn("d", &[rbgpd, &conf], "rbgpd.log");
    lab.spawn("b", &["bird", "-f", "-c", &bconf, "-s", &bctl], "bird.out");
    lab.spawn(
        "g",
        &[
            "gobgpd",
            "-f",
            &gconf,
            "--api-hosts",
            "127.0.0.1:50051",
            "--pprof-disable",
            "-p",
        ],
        "gobgpd.log",
    );
    let diag = || {
        format!(
            "--- rbgpd.log\n{}\n--- bird.log\n{}\n--- gobgpd.log\n{}",
            lab.log("rbgpd.log"),
            lab.log("bird.log"),
            lab.log("gobgpd.log")
        )
    };
    let birdc = |c: &str| lab.run_in("b", &format!("birdc -s {bctl} {c}"));
    let gobgp = |c: &str| lab.run_in("g", &format!("gobgp -p 50051 {c}"));

    wait_for(
        "BIRD established",
        40,
        || {
            birdc("show protocols dut")
                .contains("Established")
                .then_some(())
        },
        diag,
    );
    wait_for(
        "GoBGP established",
        40,
        || gobgp("neighbor").contains("Establ").then_some(()),
        diag,
    );
    // GoBGP originates a route once the session is up.
    let (ok, out) = sh(&format!(
        "ip netns exec {} gobgp -p 50051 global rib add 100.64.3.0/24 community 65003:30 -a ipv4",
        lab.ns("g")
    ));
    assert!(ok, "{out}");

    // BIRD: our own route with every attribute, and GoBGP's via us.
    let b4 = wait_for(
        "BIRD to have 192.0.2.0/24 and 100.64.3.0/24",
        30,
        || {
            let r = birdc("show route all");
            (r.contains("192.0.2.0/24") && r.contains("100.64.3.0/24")).then_some(r)
        },
        diag,
    );
    let ours = b4
        .split("192.0.2.0/24")
        .nth(1)
        .unwrap()
        .split("/24")
        .next()
        .unwrap()
        .to_string();
    for want in [
        "BGP.as_path: 65001",
        "BGP.med: 50",
        "(65001,7)",
        "(65001,8)",
        "(65001, 2, 3)",
        "(rt, 65001, 100)",
        "BGP.next_hop: 10.88.0.1",
    ] {
        assert!(
            ours.contains(want),
            "BIRD's view of our route lacks {want:?}:\n{ours}\n{}",
            diag()
        );
    }
    let via = b4
        .split("100.64.3.0/24")
        .nth(1)
        .unwrap()
        .split("/24")
        .next()
        .unwrap()
        .to_string();
    assert!(via.contains("BGP.as_path: 65001 65003"), "{via}");
    assert!(
        via.contains("(65003,30)"),
        "GoBGP's community not passed on:\n{via}"
    );
    // IPv6 both ways.
    let b6 = wait_for(
        "BIRD to have 2001:db8:1::/48",
        30,
        || {
            let r = birdc("show route all table master6");
            r.contains("2001:db8:1::/48").then_some(r)
        },
        diag,
    );
    assert!(b6.contains("(65001,6)"), "{b6}");

    // GoBGP: BIRD's routes through us, AS path and communities intact.
    let g4 = wait_for(
        "GoBGP to have 198.51.100.0/24",
        30,
        || {
            let r = gobgp("global rib -a ipv4");
            r.contains("198.51.100.0/24").then_some(r)
        },
        diag,
    );
    let line = g4
        .lines()
        .find(|l| l.contains("198.51.100.0/24"))
        .unwrap()
        .to_string();
    assert!(line.contains("65001 65002"), "{line}");
    assert!(line.contains("65002:100"), "{line}");
    let g6 = wait_for(
        "GoBGP to have 2001:db8:2::/48",
        30,
        || {
            let r = gobgp("global rib -a ipv6");
            r.contains("2001:db8:2::/48").then_some(r)
        },
        diag,
    );
    assert!(
        g6.lines()
            .any(|l| l.contains("2001:db8:2::/48") && l.contains("65001 65002")),
        "{g6}"
    );

    // Withdrawal propagates: GoBGP deletes, BIRD loses it.
    let (ok, out) = sh(&format!(
        "ip netns exec {} gobgp -p 50051 global rib del 100.64.3.0/24 -a ipv4",
        lab.ns("g")
    ));
    assert!(ok, "{out}");
    wait_for(
        "BIRD to lose 100.64.3.0/24",
        20,
        || (!birdc("show route").contains("100.64.3.0/24")).then_some(()),
        diag,
    );

    // Graceful stop: BIRD sees Cease / Administrative Shutdown.
    let pid = lab.children[0].id();
    sh(&format!("kill -TERM {pid}"));
    wait_for(
        "BIRD to see our Cease",
        20,
        || {
            let l = lab.log("bird.log");
            (l.contains("Administrative shutdown") || l.contains("administrative shutdown"))
                .then_some(())
        },
        diag,
    );
}

#[test]
fn route_server_is_transparent_between_members() {
    let mut lab = Lab::new("r");
    let dir = lab.dir.display().to_string();
    write(
        &lab.path("rbgpd.toml"),
        r#"
[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "/tmp"

[peer_groups.members]
route_server_client = true
families = ["ipv4_unicast"]

[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002
peer_group = "members"

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
peer_group = "members"
"#,
    );
    write(
        &lab.path("bird.conf"),
        &format!(
            r#"router id 10.88.0.2;
log "{dir}/bird.log" all;
protocol device {{ }}
protocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole {{ bgp_community.add((65002,100)); }}; }}
protocol bgp rsup {{
  local as 65002; neighbor 10.88.0.1 as 65001; hold time 30;
  connect delay time 1; connect retry time 2; error wait time 1, 5;

  ipv4 {{ import all; export all; }};
}}
"#
        ),
    );
    write(
        &lab.path("gobgpd.toml"),
        r#"[global.config]
  as = 65003
  router-id = "10.88.0.3"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.88.0.1"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 2
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
"#,
    );
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    let (conf, bconf, gconf, bctl) = (
        lab.path("rbgpd.toml").display().to_string(),
        lab.path("bird.conf").display().to_string(),
        lab.path("gobgpd.toml").display().to_string(),
        lab.path("bird.ctl").display().to_string(),
    );
    lab.spawn("d", &[rbgpd, &conf], "rbgpd.log");
    lab.spawn("b", &["bird", "-f", "-c", &bconf, "-s", &bctl], "bird.out");
    lab.spawn(
        "g",
        &[
            "gobgpd",
            "-f",
            &gconf,
            "--api-hosts",
            "127.0.0.1:50051",
            "--pprof-disable",
            "-p",
        ],
        "gobgpd.log",
    );
    let diag = || {
        format!(
            "--- rbgpd.log\n{}\n--- bird.log\n{}\n--- gobgpd.log\n{}",
            lab.log("rbgpd.log"),
            lab.log("bird.log"),
            lab.log("gobgpd.log")
        )
    };
    let birdc = |c: &str| lab.run_in("b", &format!("birdc -s {bctl} {c}"));
    let gobgp = |c: &str| lab.run_in("g", &format!("gobgp -p 50051 {c}"));
    wait_for(
        "GoBGP established",
        40,
        || gobgp("neighbor").contains("Establ").then_some(()),
        diag,
    );
    let (ok, out) = sh(&format!(
        "ip netns exec {} gobgp -p 50051 global rib add 100.64.3.0/24 nexthop 10.88.0.3 -a ipv4",
        lab.ns("g")
    ));
    assert!(ok, "{out}");
    // GoBGP sees BIRD's route with BIRD's AS only and BIRD's next hop.
    let g = wait_for(
        "GoBGP to have 198.51.100.0/24",
        30,
        || {
            let r = gobgp("global rib -a ipv4");
            r.contains("198.51.100.0/24").then_some(r)
        },
        diag,
    );
    let line = g
        .lines()
        .find(|l| l.contains("198.51.100.0/24"))
        .unwrap()
        .to_string();
    assert!(line.contains("10.88.0.2"), "next hop not kept: {line}");
    assert!(
        !line.contains("65001"),
        "route server AS in the path: {line}"
    );
    assert!(line.contains("65002"), "{line}");
    // BIRD sees GoBGP's route the same way.
    let b = wait_for(
        "BIRD to have 100.64.3.0/24",
        30,
        || {
            let r = birdc("show route all");
            r.contains("100.64.3.0/24").then_some(r)
        },
        diag,
    );
    let via = b.split("100.64.3.0/24").nth(1).unwrap().to_string();
    assert!(
        via.contains("BGP.as_path: 65003") && !via.contains("65001 65003"),
        "{via}"
    );
    assert!(via.contains("BGP.next_hop: 10.88.0.3"), "{via}");
}

#[test]
fn route_reflector_sets_originator_and_cluster_list() {
    let mut lab = Lab::new("f");
    let dir = lab.dir.display().to_string();
    write(
        &lab.path("rbgpd.toml"),
        r#"
[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "/tmp"

[peer_groups.clients]
remote_asn = 65001
route_reflector_client = true
families = ["ipv4_unicast"]

[[neighbors]]
address = "10.88.0.2"
peer_group = "clients"

[[neighbors]]
address = "10.88.0.3"
peer_group = "clients"
"#,
    );
    write(
        &lab.path("bird.conf"),
        &format!(
            r#"router id 10.88.0.2;
log "{dir}/bird.log" all;
protocol device {{ }}
protocol direct {{ ipv4; interface "eth0"; }}
protocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole; }}
protocol bgp up1 {{
  local as 65001; neighbor 10.88.0.1 as 65001; hold time 30; direct;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv4 {{ import all; export all; gateway direct; }};
}}
"#
        ),
    );
    write(
        &lab.path("gobgpd.toml"),
        r#"[global.config]
  as = 65001
  router-id = "10.88.0.3"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.88.0.1"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 2
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
"#,
    );
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    let (conf, bconf, gconf, bctl) = (
        lab.path("rbgpd.toml").display().to_string(),
        lab.path("bird.conf").display().to_string(),
        lab.path("gobgpd.toml").display().to_string(),
        lab.path("bird.ctl").display().to_string(),
    );
    lab.spawn("d", &[rbgpd, &conf], "rbgpd.log");
    lab.spawn("b", &["bird", "-f", "-c", &bconf, "-s", &bctl], "bird.out");
    lab.spawn(
        "g",
        &[
            "gobgpd",
            "-f",
            &gconf,
            "--api-hosts",
            "127.0.0.1:50051",
            "--pprof-disable",
            "-p",
        ],
        "gobgpd.log",
    );
    let diag = || {
        format!(
            "--- rbgpd.log\n{}\n--- bird.out\n{}\n--- bird.log\n{}\n--- gobgpd.log\n{}",
            lab.log("rbgpd.log"),
            lab.log("bird.out"),
            lab.log("bird.log"),
            lab.log("gobgpd.log")
        )
    };
    let birdc = |c: &str| lab.run_in("b", &format!("birdc -s {bctl} {c}"));
    let gobgp = |c: &str| lab.run_in("g", &format!("gobgp -p 50051 {c}"));
    wait_for(
        "GoBGP established",
        40,
        || gobgp("neighbor").contains("Establ").then_some(()),
        diag,
    );
    let (ok, out) = sh(&format!(
        "ip netns exec {} gobgp -p 50051 global rib add 100.64.3.0/24 nexthop 10.88.0.3 -a ipv4",
        lab.ns("g")
    ));
    assert!(ok, "{out}");
    // BIRD learns GoBGP's route reflected: ORIGINATOR_ID = GoBGP, CLUSTER_LIST = us.
    let b = wait_for(
        "BIRD to have 100.64.3.0/24",
        30,
        || {
            let r = birdc("show route all");
            r.contains("100.64.3.0/24").then_some(r)
        },
        diag,
    );
    let via = b.split("100.64.3.0/24").nth(1).unwrap().to_string();
    assert!(via.contains("BGP.originator_id: 10.88.0.3"), "{via}");
    assert!(via.contains("BGP.cluster_list: 10.88.0.1"), "{via}");
    assert!(via.contains("BGP.next_hop: 10.88.0.3"), "{via}");
    // And GoBGP learns BIRD's.
    let g = wait_for(
        "GoBGP to have 198.51.100.0/24",
        30,
        || {
            let r = gobgp("global rib -a ipv4 198.51.100.0/24 -j");
            r.contains("198.51.100.0/24").then_some(r)
        },
        diag,
    );
    assert!(
        g.contains("10.88.0.2"),
        "originator/next hop of BIRD missing: {g}"
    );
    assert!(
        g.contains("\"type\":9") && g.contains("\"type\":10"),
        "ORIGINATOR_ID / CLUSTER_LIST missing: {g}"
    );
}

#[test]
fn max_prefixes_sends_cease_1() {
    let mut lab = Lab::new("m");
    write(
        &lab.path("rbgpd.toml"),
        r#"
[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "/tmp"

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003
max_prefixes = 2
"#,
    );
    write(
        &lab.path("gobgpd.toml"),
        r#"[global.config]
  as = 65003
  router-id = "10.88.0.3"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.88.0.1"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 2
"#,
    );
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    let (conf, gconf) = (
        lab.path("rbgpd.toml").display().to_string(),
        lab.path("gobgpd.toml").display().to_string(),
    );
    lab.spawn("d", &[rbgpd, &conf], "rbgpd.log");
    lab.spawn(
        "g",
        &[
            "gobgpd",
            "-f",
            &gconf,
            "--api-hosts",
            "127.0.0.1:50051",
            "--pprof-disable",
            "-p",
        ],
        "gobgpd.log",
    );
    let diag = || {
        format!(
            "--- rbgpd.log\n{}\n--- gobgpd.log\n{}",
            lab.log("rbgpd.log"),
            lab.log("gobgpd.log")
        )
    };
    let gobgp = |c: &str| lab.run_in("g", &format!("gobgp -p 50051 {c}"));
    wait_for(
        "GoBGP established",
        40,
        || gobgp("neighbor").contains("Establ").then_some(()),
        diag,
    );
    for p in ["100.64.1.0/24", "100.64.2.0/24", "100.64.3.0/24"] {
        let (ok, out) = sh(&format!(
            "ip netns exec {} gobgp -p 50051 global rib add {p} -a ipv4",
            lab.ns("g")
        ));
        assert!(ok, "{out}");
    }
    // GoBGP logs the NOTIFICATION it received: Cease (6), subcode 1.
    wait_for(
        "GoBGP to receive Cease/1",
        30,
        || {
            let l = lab.log("gobgpd.log");
            l.lines()
                .any(|x| {
                    x.contains("otification") && x.contains("Code=6") && x.contains("Subcode=1")
                })
                .then_some(())
        },
        diag,
    );
    assert!(lab.log("rbgpd.log").contains("max_prefixes exceeded"));
}

#[test]
fn frr_and_exabgp_exchange_routes_through_rbgpd() {
    let mut lab = Lab::new("x");
    let dir = lab.dir.display().to_string();
    write(
        &lab.path("rbgpd.toml"),
        r#"
[global]
asn = 65001
router_id = "10.88.0.1"
listen = ["10.88.0.1:179"]
state_dir = "/tmp"

[[neighbors]]
address = "10.88.0.2"
remote_asn = 65002

[[neighbors]]
address = "10.88.0.3"
remote_asn = 65003

[[routes]]
prefix = "192.0.2.0/24"
next_hop = "10.88.0.1"
communities = ["65001:7"]
large_communities = ["65001:2:3"]
"#,
    );
    std::fs::create_dir_all(lab.path("frr")).unwrap();
    write(
        &lab.path("frr.conf"),
        &format!(
            "frr defaults traditional
hostname r-frr
log file {dir}/frr/bgpd.log informational
route-map TAG permit 10
 set community 65002:100
 set large-community 65002:1:1
exit
router bgp 65002
 bgp router-id 10.88.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.88.0.1 remote-as 65001
 neighbor 10.88.0.1 disable-connected-check
 neighbor 10.88.0.1 timers connect 2
 address-family ipv4 unicast
  network 100.64.2.0/24 route-map TAG
 exit-address-family
exit
"
        ),
    );
    write(
        &lab.path("exa-log.py"),
        "import sys\nwith open(sys.argv[1], 'a') as f:\n    for line in sys.stdin:\n        f.write(line)\n        f.flush()\n",
    );
    write(
        &lab.path("exabgp.conf"),
        &format!(
            "process log {{
  run python3 {dir}/exa-log.py {dir}/exa-received.json;
  encoder json;
}}
neighbor 10.88.0.1 {{
  router-id 10.88.0.3;
  local-address 10.88.0.3;
  local-as 65003;
  peer-as 65001;
  hold-time 30;
  family {{ ipv4 unicast; }}
  api {{ processes [ log ]; receive {{ parsed; update; }} }}
  static {{
    route 100.64.3.0/24 next-hop self as-path [65003] med 30 community [65003:30] large-community [65003:3:3];
  }}
}}
"
        ),
    );
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    let p = |f: &str| lab.path(f).display().to_string();
    let (conf, fconf, fdir, econf) = (p("rbgpd.toml"), p("frr.conf"), p("frr"), p("exabgp.conf"));
    lab.spawn("d", &[rbgpd, &conf], "rbgpd.log");
    lab.spawn(
        "b",
        &[
            "/usr/lib/frr/bgpd",
            "-f",
            &fconf,
            "-i",
            &format!("{fdir}/bgpd.pid"),
            "--vty_socket",
            &fdir,
            "-z",
            &format!("{fdir}/zserv.api"),
            "-Z",
            "-S",
            "-P",
            "0",
        ],
        "frr.out",
    );
    lab.spawn(
        "g",
        &[
            "env",
            "exabgp_daemon_drop=false",
            "exabgp_api_cli=false",
            "python3",
            "-m",
            "exabgp",
            &econf,
        ],
        "exabgp.out",
    );
    let diag = || {
        format!(
            "--- rbgpd.log\n{}\n--- frr.out\n{}\n--- frr log\n{}\n--- exabgp.out\n{}",
            lab.log("rbgpd.log"),
            lab.log("frr.out"),
            lab.log("frr/bgpd.log"),
            lab.log("exabgp.out")
        )
    };
    let vtysh = |c: &str| lab.run_in("b", &format!("vtysh --vty_socket {fdir} -d bgpd -c '{c}'"));
    // FRR gets ExaBGP's route through us, and ours, with attributes.
    let j = wait_for(
        "FRR to have 100.64.3.0/24 and 192.0.2.0/24",
        40,
        || {
            let r = vtysh("show bgp ipv4 unicast json");
            (r.contains("100.64.3.0/24") && r.contains("192.0.2.0/24")).then_some(r)
        },
        diag,
    );
    let detail = vtysh("show bgp ipv4 unicast 100.64.3.0/24 json");
    assert!(detail.contains("65001 65003"), "{detail}");
    assert!(detail.contains("65003:30"), "{detail}");
    assert!(detail.contains("65003:3:3"), "{detail}");
    let ours = vtysh("show bgp ipv4 unicast 192.0.2.0/24 json");
    assert!(
        ours.contains("65001:7") && ours.contains("65001:2:3"),
        "{ours}\n{j}"
    );
    // ExaBGP gets FRR's route through us.
    let got = wait_for(
        "ExaBGP to receive 100.64.2.0/24",
        40,
        || {
            let l = lab.log("exa-received.json");
            l.lines()
                .find(|x| x.contains("100.64.2.0/24"))
                .map(String::from)
        },
        diag,
    );
    let v: serde_json::Value = serde_json::from_str(&got).unwrap();
    let attrs = &v["neighbor"]["message"]["update"]["attribute"];
    assert!(attrs["as-path"].to_string().contains("65002"), "{attrs}");
    assert!(attrs["as-path"].to_string().contains("65001"), "{attrs}");
    assert!(
        attrs["community"].to_string().contains("[65002,100]"),
        "{attrs}"
    );
    assert!(
        attrs["large-community"].to_string().contains("[65002,1,1]"),
        "{attrs}"
    );
}
