//! The state store's faults with a running rbgpd and a real peer (GoBGP,
//! namespaces, see common/):
//! - the state directory on a small tmpfs that fills up: mutating RPCs
//!   fail with RESOURCE_EXHAUSTED naming the full directory and change
//!   nothing (no route reaches GoBGP, none is listed); routing goes on;
//!   once there is space again the same request works without a restart;
//!   after SIGKILL and a restart everything acknowledged is back;
//! - a damaged database file at start: rbgpd exits with an error naming
//!   the file and what to do, and leaves the file alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;

/// Unmounts the tmpfs when the test ends, whatever happens.
struct Mount(String);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = sh(&format!("umount -l {}", self.0));
    }
}

fn config(state: &str) -> String {
    // Lab::write puts its own state_dir into "rbgpd.toml" only.
    with_global(
        "[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\nfamilies = [\"ipv4_unicast\"]\n",
    )
    .replace("state_dir = \"/tmp\"", &format!("state_dir = \"{state}\""))
}

fn start(lab: &mut Lab, conf: &str, sock: &str) {
    lab.spawn("d", &[env!("CARGO_BIN_EXE_rbgpd"), conf], "rbgpd.log");
    lab.wait("rbgpd API up", 30, || {
        ctl::ctl(sock, "health").0.then_some(())
    });
}

fn gobgp_has(lab: &Lab, prefix: &str) -> bool {
    lab.gobgp_cli("global rib -a ipv4").contains(prefix)
}

#[test]
fn a_full_state_directory_refuses_changes_and_loses_nothing() {
    let mut lab = Lab::new("full");
    let state = lab.path("tmpfs");
    std::fs::create_dir_all(&state).unwrap();
    let (ok, out) = sh(&format!("mount -t tmpfs -o size=2M tmpfs {state}"));
    assert!(ok, "mount: {out}");
    let _m = Mount(state.clone());
    let sock = format!("unix://{state}/rbgpd.sock");
    let conf = lab.write("rbgpd-tmpfs.toml", &config(&state));
    start(&mut lab, &conf, &sock);
    lab.gobgp(65003, &["ipv4-unicast"]);

    let (ok, out) = ctl::ctl(&sock, "rib add 203.0.113.1/32 --nexthop 10.88.0.1");
    assert!(ok, "{out}");
    lab.wait("GoBGP to get the first route", 30, || {
        gobgp_has(&lab, "203.0.113.1/32").then_some(())
    });

    // Fill the state directory.
    let _ = sh(&format!("dd if=/dev/zero of={state}/fill bs=64k"));
    for args in [
        "rib add 203.0.113.2/32 --nexthop 10.88.0.1",
        "neighbor 10.88.0.9 add --asn 65009",
    ] {
        let (ok, out) = ctl::ctl(&sock, args);
        assert!(!ok, "{args} should fail on a full disk: {out}");
        assert!(
            out.contains("ResourceExhausted") && out.contains("no space left"),
            "{args}: {out}"
        );
        assert!(out.contains("nothing was changed"), "{out}");
    }
    // Nothing of it applied; routing goes on.
    let (_, rib) = ctl::ctl(&sock, "rib");
    assert!(
        rib.contains("203.0.113.1/32") && !rib.contains("203.0.113.2/32"),
        "{rib}"
    );
    let (_, n) = ctl::ctl(&sock, "neighbor");
    assert!(!n.contains("10.88.0.9"), "{n}");
    lab.gobgp_ok("global rib add 198.51.100.0/24 nexthop 10.88.0.3 -a ipv4");
    lab.wait("GoBGP's route at rbgpd while the disk is full", 30, || {
        ctl::ctl(&sock, "rib")
            .1
            .contains("198.51.100.0/24")
            .then_some(())
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(!gobgp_has(&lab, "203.0.113.2/32"));

    // Space again: the same request works, no restart needed.
    std::fs::remove_file(format!("{state}/fill")).unwrap();
    let (ok, out) = ctl::ctl(&sock, "rib add 203.0.113.2/32 --nexthop 10.88.0.1");
    assert!(ok, "after space was freed: {out}");
    lab.wait("GoBGP to get the second route", 30, || {
        gobgp_has(&lab, "203.0.113.2/32").then_some(())
    });

    // SIGKILL and restart: both acknowledged routes are back.
    let pid = lab.rbgpd_pid();
    let rbgpd = lab.children.iter().position(|c| c.id() == pid).unwrap();
    lab.kill(rbgpd);
    start(&mut lab, &conf, &sock);
    assert_ne!(lab.rbgpd_pid(), pid, "a new rbgpd answers");
    let (_, rib) = ctl::ctl(&sock, "rib");
    assert!(
        rib.contains("203.0.113.1/32") && rib.contains("203.0.113.2/32"),
        "{rib}"
    );
}

#[test]
fn a_damaged_database_is_named_at_start() {
    let lab = Lab::new("dmg");
    let state = lab.path("state-damaged");
    std::fs::create_dir_all(&state).unwrap();
    let file = format!("{state}/rbgpd.redb");
    let junk: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &junk).unwrap();
    let conf = lab.write("rbgpd-damaged.toml", &config(&state));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rbgpd"))
        .arg(&conf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&file), "{err}");
    assert!(
        err.contains("move it away") && err.contains("backup"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        junk,
        "the file is left alone"
    );
}
