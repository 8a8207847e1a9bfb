//! rbgpd against real BGP speakers (BIRD 2, GoBGP and FRR from Debian,
//! ExaBGP from PyPI), each in its own network namespace on a private
//! bridge: sessions establish, IPv4 and IPv6 routes flow both ways with
//! their attributes, withdrawals propagate, route-server and
//! route-reflector rules hold, max-prefix and graceful stop send Cease.
//!
//! Needs root, iproute2, bird2, gobgpd, frr and exabgp (scripts/test.sh
//! installs them). Missing tools fail the test: an interop test never
//! passes by skipping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn need(tool: &str) {
    let (ok, _) = sh(&format!("command -v {tool}"));
    assert!(
        ok,
        "{tool} is required by the interop test (scripts/test.sh installs it: apt-get install bird2 gobgpd frr iproute2; pip install exabgp)"
    );
}

/// The lines of BIRD's `show route all` that follow `prefix`, up to the
/// next route.
fn bird_route(all: &str, prefix: &str) -> String {
    let after = all.split(prefix).nth(1).unwrap_or_default();
    after.split("/24").next().unwrap_or_default().to_string()
}

/// Namespaces `d` (rbgpd, 10.88.0.1), `b` (.2) and `g` (.3) on one bridge,
/// with the processes and files of one test; removed on drop.
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

    fn path(&self, f: &str) -> String {
        self.dir.join(f).display().to_string()
    }

    fn write(&self, f: &str, text: &str) -> String {
        std::fs::write(self.path(f), text).unwrap();
        self.path(f)
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

    /// Run a command in a namespace; its output.
    fn run_in(&self, ns: &str, cmd: &str) -> String {
        sh(&format!("ip netns exec {} {cmd}", self.ns(ns))).1
    }

    /// Run a command in a namespace that must succeed.
    fn ok_in(&self, ns: &str, cmd: &str) {
        let (ok, out) = sh(&format!("ip netns exec {} {cmd}", self.ns(ns)));
        assert!(ok, "{cmd}: {out}");
    }

    fn log(&self, f: &str) -> String {
        std::fs::read_to_string(self.path(f)).unwrap_or_default()
    }

    /// Every log of the test, for failure messages.
    fn diag(&self) -> String {
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
    fn wait<T>(&self, what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
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

    fn rbgpd(&mut self, config: &str) {
        let conf = self.write("rbgpd.toml", config);
        self.spawn("d", &[env!("CARGO_BIN_EXE_rbgpd"), &conf], "rbgpd.log");
    }

    /// BIRD at 10.88.0.2 with `body` after the router ID, log and device.
    fn bird(&mut self, body: &str) {
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

    fn birdc(&self, cmd: &str) -> String {
        self.run_in("b", &format!("birdc -s {} {cmd}", self.path("bird.ctl")))
    }

    /// GoBGP at 10.88.0.3 peering with rbgpd, for these families.
    fn gobgp(&mut self, asn: u32, families: &[&str]) {
        let mut conf = format!(
            "[global.config]\n  as = {asn}\n  router-id = \"10.88.0.3\"\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"10.88.0.1\"\n    peer-as = 65001\n  [neighbors.timers.config]\n    connect-retry = 2\n"
        );
        for f in families {
            conf += &format!("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{f}\"\n");
        }
        let conf = self.write("gobgpd.toml", &conf);
        self.spawn(
            "g",
            &[
                "gobgpd",
                "-f",
                &conf,
                "--api-hosts",
                "127.0.0.1:50051",
                "--pprof-disable",
                "-p",
            ],
            "gobgpd.log",
        );
        self.wait("GoBGP established", 40, || {
            self.gobgp_cli("neighbor").contains("Establ").then_some(())
        });
    }

    fn gobgp_cli(&self, cmd: &str) -> String {
        self.run_in("g", &format!("gobgp -p 50051 {cmd}"))
    }

    fn gobgp_ok(&self, cmd: &str) {
        self.ok_in("g", &format!("gobgp -p 50051 {cmd}"));
    }

    /// Wait until GoBGP's table has `prefix`; its line.
    fn gobgp_route(&self, family: &str, prefix: &str) -> String {
        self.wait(&format!("GoBGP to have {prefix}"), 30, || {
            let r = self.gobgp_cli(&format!("global rib -a {family}"));
            r.lines().find(|l| l.contains(prefix)).map(String::from)
        })
    }

    /// Wait until BIRD's `show route all [table]` has `prefix`; the whole output.
    fn bird_routes(&self, table: &str, prefix: &str) -> String {
        self.wait(&format!("BIRD to have {prefix}"), 30, || {
            let r = self.birdc(&format!("show route all {table}"));
            r.contains(prefix).then_some(r)
        })
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
fn bird_session(name: &str, local_as: u32, extra: &str, channels: &str) -> String {
    format!(
        "protocol bgp {name} {{\n  local as {local_as}; neighbor 10.88.0.1 as 65001; hold time 30; {extra}\n  connect delay time 1; connect retry time 2; error wait time 1, 5;\n{channels}}}\n"
    )
}

#[test]
fn bird_and_gobgp_exchange_routes_through_rbgpd() {
    let mut lab = Lab::new("a");
    lab.rbgpd(
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
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole {{ bgp_community.add((65002,100)); bgp_large_community.add((65002,1,1)); }}; }}\n\
         protocol static s6 {{ ipv6; route 2001:db8:2::/48 blackhole {{ bgp_community.add((65002,600)); }}; }}\n{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; };\n  ipv6 { import all; export all; };\n")
    ));
    lab.wait("BIRD established", 40, || {
        lab.birdc("show protocols dut")
            .contains("Established")
            .then_some(())
    });
    lab.gobgp(65003, &["ipv4-unicast", "ipv6-unicast"]);
    // GoBGP originates a route once the session is up.
    lab.gobgp_ok("global rib add 100.64.3.0/24 community 65003:30 -a ipv4");

    // BIRD: our own route with every attribute, and GoBGP's via us.
    let b4 = lab.wait("BIRD to have 192.0.2.0/24 and 100.64.3.0/24", 30, || {
        let r = lab.birdc("show route all");
        (r.contains("192.0.2.0/24") && r.contains("100.64.3.0/24")).then_some(r)
    });
    let ours = bird_route(&b4, "192.0.2.0/24");
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
            lab.diag()
        );
    }
    let via = bird_route(&b4, "100.64.3.0/24");
    assert!(via.contains("BGP.as_path: 65001 65003"), "{via}");
    assert!(
        via.contains("(65003,30)"),
        "GoBGP's community not passed on:\n{via}"
    );
    // IPv6 both ways.
    let b6 = lab.bird_routes("table master6", "2001:db8:1::/48");
    assert!(b6.contains("(65001,6)"), "{b6}");

    // GoBGP: BIRD's routes through us, AS path and communities intact.
    let line = lab.gobgp_route("ipv4", "198.51.100.0/24");
    assert!(line.contains("65001 65002"), "{line}");
    assert!(line.contains("65002:100"), "{line}");
    let line6 = lab.gobgp_route("ipv6", "2001:db8:2::/48");
    assert!(line6.contains("65001 65002"), "{line6}");

    // Withdrawal propagates: GoBGP deletes, BIRD loses it.
    lab.gobgp_ok("global rib del 100.64.3.0/24 -a ipv4");
    lab.wait("BIRD to lose 100.64.3.0/24", 20, || {
        (!lab.birdc("show route").contains("100.64.3.0/24")).then_some(())
    });

    // Graceful stop: BIRD sees Cease / Administrative Shutdown.
    sh(&format!("kill -TERM {}", lab.children[0].id()));
    lab.wait("BIRD to see our Cease", 20, || {
        let l = lab.log("bird.log");
        (l.contains("Administrative shutdown") || l.contains("administrative shutdown"))
            .then_some(())
    });
}

#[test]
fn route_server_is_transparent_between_members() {
    let mut lab = Lab::new("r");
    lab.rbgpd(
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
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole {{ bgp_community.add((65002,100)); }}; }}\n{}",
        bird_session("rsup", 65002, "", "  ipv4 { import all; export all; };\n")
    ));
    lab.gobgp(65003, &["ipv4-unicast"]);
    lab.gobgp_ok("global rib add 100.64.3.0/24 nexthop 10.88.0.3 -a ipv4");
    // GoBGP sees BIRD's route with BIRD's AS only and BIRD's next hop.
    let line = lab.gobgp_route("ipv4", "198.51.100.0/24");
    assert!(line.contains("10.88.0.2"), "next hop not kept: {line}");
    assert!(
        !line.contains("65001"),
        "route server AS in the path: {line}"
    );
    assert!(line.contains("65002"), "{line}");
    // BIRD sees GoBGP's route the same way.
    let via = bird_route(&lab.bird_routes("", "100.64.3.0/24"), "100.64.3.0/24");
    assert!(
        via.contains("BGP.as_path: 65003") && !via.contains("65001 65003"),
        "{via}"
    );
    assert!(via.contains("BGP.next_hop: 10.88.0.3"), "{via}");
}

#[test]
fn route_reflector_sets_originator_and_cluster_list() {
    let mut lab = Lab::new("f");
    lab.rbgpd(
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
    // iBGP in BIRD is multihop unless told `direct`; next hops on the LAN.
    lab.bird(&format!(
        "protocol direct {{ ipv4; interface \"eth0\"; }}\nprotocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole; }}\n{}",
        bird_session("up1", 65001, "direct;", "  ipv4 { import all; export all; gateway direct; };\n")
    ));
    lab.gobgp(65001, &["ipv4-unicast"]);
    lab.gobgp_ok("global rib add 100.64.3.0/24 nexthop 10.88.0.3 -a ipv4");
    // BIRD learns GoBGP's route reflected: ORIGINATOR_ID = GoBGP, CLUSTER_LIST = us.
    let via = bird_route(&lab.bird_routes("", "100.64.3.0/24"), "100.64.3.0/24");
    assert!(via.contains("BGP.originator_id: 10.88.0.3"), "{via}");
    assert!(via.contains("BGP.cluster_list: 10.88.0.1"), "{via}");
    assert!(via.contains("BGP.next_hop: 10.88.0.3"), "{via}");
    // And GoBGP learns BIRD's.
    let g = lab.wait("GoBGP to have 198.51.100.0/24", 30, || {
        let r = lab.gobgp_cli("global rib -a ipv4 198.51.100.0/24 -j");
        r.contains("198.51.100.0/24").then_some(r)
    });
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
    lab.rbgpd(
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
    lab.gobgp(65003, &[]);
    for p in ["100.64.1.0/24", "100.64.2.0/24", "100.64.3.0/24"] {
        lab.gobgp_ok(&format!("global rib add {p} -a ipv4"));
    }
    // GoBGP logs the NOTIFICATION it received: Cease (6), subcode 1.
    lab.wait("GoBGP to receive Cease/1", 30, || {
        let l = lab.log("gobgpd.log");
        l.lines()
            .any(|x| x.contains("otification") && x.contains("Code=6") && x.contains("Subcode=1"))
            .then_some(())
    });
    assert!(lab.log("rbgpd.log").contains("max_prefixes exceeded"));
}

#[test]
fn frr_and_exabgp_exchange_routes_through_rbgpd() {
    let mut lab = Lab::new("x");
    lab.rbgpd(
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
    let fdir = lab.path("frr");
    std::fs::create_dir_all(&fdir).unwrap();
    // FRR without zebra: no connected routes, so no connected check, and
    // `network` needs no import check.
    let fconf = lab.write(
        "frr.conf",
        &format!(
            "frr defaults traditional
hostname r-frr
log file {fdir}/bgpd.log informational
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
    let logger = lab.write(
        "exa-log.py",
        "import sys\nwith open(sys.argv[1], 'a') as f:\n    for line in sys.stdin:\n        f.write(line)\n        f.flush()\n",
    );
    let econf = lab.write(
        "exabgp.conf",
        &format!(
            "process log {{
  run python3 {logger} {};
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
",
            lab.path("exa-received.json")
        ),
    );
    let (pid, zserv) = (format!("{fdir}/bgpd.pid"), format!("{fdir}/zserv.api"));
    lab.spawn(
        "b",
        &[
            "/usr/lib/frr/bgpd",
            "-f",
            &fconf,
            "-i",
            &pid,
            "--vty_socket",
            &fdir,
            "-z",
            &zserv,
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
    let vtysh = |c: &str| lab.run_in("b", &format!("vtysh --vty_socket {fdir} -d bgpd -c '{c}'"));
    // FRR gets ExaBGP's route through us, and ours, with attributes.
    let j = lab.wait("FRR to have 100.64.3.0/24 and 192.0.2.0/24", 40, || {
        let r = vtysh("show bgp ipv4 unicast json");
        (r.contains("100.64.3.0/24") && r.contains("192.0.2.0/24")).then_some(r)
    });
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
    let got = lab.wait("ExaBGP to receive 100.64.2.0/24", 40, || {
        lab.log("exa-received.json")
            .lines()
            .find(|x| x.contains("100.64.2.0/24"))
            .map(String::from)
    });
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
