//! `rbgpctl top` under tmux against a running rbgpd with a real BIRD 2
//! peer (namespaces, see common/): the dashboard shows BIRD Established
//! with its prefix counts and the RIB size; `/` filters, `s`/`r` sort,
//! Enter opens a neighbor's detail, a session going down appears in the
//! events pane, `q` quits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;

fn config() -> String {
    with_global(
        "[[neighbors]]\naddress = \"10.88.0.2\"\nremote_asn = 65002\nfamilies = [\"ipv4_unicast\"]\ngraceful_restart = false\ndescription = \"bird-peer\"\n\n\
         [[neighbors]]\naddress = \"10.88.0.9\"\nremote_asn = 65009\npassive = true\ndescription = \"spare-port\"\n",
    )
}

/// A tmux session, killed when dropped.
struct Tmux(String);

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        let name = format!("rbgptop{}", std::process::id());
        let (ok, out) = sh(&format!(
            "tmux new-session -d -s {name} -x 160 -y 45 '{cmd}'"
        ));
        assert!(ok, "tmux: {out}");
        Tmux(name)
    }

    fn keys(&self, keys: &str) {
        let (ok, out) = sh(&format!("tmux send-keys -t {} {keys}", self.0));
        assert!(ok, "send-keys {keys}: {out}");
    }

    fn screen(&self) -> String {
        sh(&format!("tmux capture-pane -p -t {}", self.0)).1
    }

    fn alive(&self) -> bool {
        sh(&format!("tmux has-session -t {}", self.0)).0
    }

    /// Wait until the screen satisfies `f`; the screen. On time-out the
    /// last screen is in the failure.
    fn wait(&self, _lab: &Lab, what: &str, f: impl Fn(&str) -> bool) -> String {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            assert!(
                std::time::Instant::now() < end,
                "timed out waiting for {what}:\n{s}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = sh(&format!("tmux kill-session -t {}", self.0));
    }
}

/// The screen line of a neighbor's row.
fn row<'a>(screen: &'a str, addr: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(&format!("{addr} ")))
}

/// Where a neighbor's row is on the screen.
fn line_of(screen: &str, addr: &str) -> usize {
    screen
        .lines()
        .position(|l| l.contains(&format!("{addr} ")))
        .unwrap_or_else(|| panic!("no row {addr}:\n{screen}"))
}

#[test]
fn top_shows_filters_sorts_and_follows_events() {
    testkit::need("tmux");
    let mut lab = Lab::new("top");
    let sock = format!("unix://{}/rbgpd.sock", lab.path("state"));
    lab.rbgpd(&config());
    lab.bird(&format!(
        "protocol static s4 {{ ipv4; route 100.64.1.0/24 blackhole; route 100.64.2.0/24 blackhole; route 100.64.3.0/24 blackhole; }}\n{}",
        bird_session("dut", 65002, "", "  ipv4 { import all; export all; };\n")
    ));
    lab.wait("BIRD established", 60, || {
        lab.bird_protocol("dut")
            .contains("Established")
            .then_some(())
    });
    let top = Tmux::start(&format!(
        "{} -s {sock} top --interval 0.5",
        ctl::rbgpctl().display()
    ));

    // BIRD Established with 3 received, 3 accepted; the spare port not up.
    let s = top.wait(&lab, "BIRD's row with its prefixes", |s| {
        row(s, "10.88.0.2").is_some_and(|r| {
            r.contains("Established") && r.split_whitespace().filter(|w| *w == "3").count() >= 2
        })
    });
    assert!(row(&s, "10.88.0.2").unwrap().contains("bird-peer"), "{s}");
    let spare = row(&s, "10.88.0.9").unwrap_or_else(|| panic!("{s}"));
    assert!(
        !spare.contains("Established") && spare.contains("spare-port"),
        "{s}"
    );
    assert!(s.contains("ipv4_unicast 3 routes / 3 paths"), "{s}");
    assert!(s.contains("Neighbors (2)"), "{s}");

    // Filter on the AS of the spare port; Esc clears.
    top.keys("/ 6 5 0 0 9 Enter");
    let s = top.wait(&lab, "the filter", |s| s.contains("Neighbors (1)"));
    assert!(
        row(&s, "10.88.0.9").is_some() && row(&s, "10.88.0.2").is_none(),
        "{s}"
    );
    top.keys("Escape");
    top.wait(&lab, "the filter cleared", |s| s.contains("Neighbors (2)"));

    // Sort by received (biggest first): BIRD above; reversed: below.
    top.keys("s s s s");
    let s = top.wait(&lab, "sorted by received", |s| {
        s.contains("sort (received)")
    });
    assert!(line_of(&s, "10.88.0.2") < line_of(&s, "10.88.0.9"), "{s}");
    top.keys("r");
    let s = top.wait(&lab, "reversed", |s| s.contains("received, reversed"));
    assert!(line_of(&s, "10.88.0.2") > line_of(&s, "10.88.0.9"), "{s}");

    // Enter opens the selected (top) row: the spare port now.
    top.keys("Enter");
    let s = top.wait(&lab, "the detail", |s| s.contains("Neighbor 10.88.0.9"));
    assert!(
        s.contains("AS 65009") && s.contains("description: spare-port"),
        "{s}"
    );
    // Escape alone: followed at once by a key it would read as Alt+key.
    top.keys("Escape");
    top.wait(&lab, "the detail closed", |s| {
        !s.contains("Neighbor 10.88.0.9")
    });
    top.keys("Down Enter");
    let s = top.wait(&lab, "BIRD's detail", |s| s.contains("Neighbor 10.88.0.2"));
    assert!(
        s.contains("capabilities:") && s.contains("4-octet AS"),
        "{s}"
    );
    assert!(s.contains("ipv4_unicast"), "{s}");
    top.keys("Escape");

    // A session event in the events pane.
    lab.birdc("disable dut");
    top.wait(&lab, "the session event", |s| {
        s.contains("10.88.0.2 Established -> Idle")
    });

    top.keys("q");
    lab.wait("top to quit", 10, || (!top.alive()).then_some(()));
}
