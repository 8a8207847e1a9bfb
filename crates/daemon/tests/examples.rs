//! Every example configuration in examples/config/ is one `rbgpd --check`
//! accepts: they are what a new user copies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn example_configurations_pass_check() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/config");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_rbgpd"))
            .arg("--check")
            .arg(&p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}{}",
            p.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        n += 1;
    }
    // ddos-injector, hosting-injector, ixp-route-server, collector, lab.
    assert!(n >= 5, "{n} examples");
}

/// `rbgpd --diff NEW CURRENT`: nothing between a file and itself (exit
/// 0), named changes between two others (exit 1).
#[test]
fn diff_names_what_a_reload_would_change() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/config");
    let run = |new: &str, current: &str| {
        Command::new(env!("CARGO_BIN_EXE_rbgpd"))
            .arg("--diff")
            .arg(format!("{dir}/{new}"))
            .arg(format!("{dir}/{current}"))
            .output()
            .unwrap()
    };
    let same = run("lab.toml", "lab.toml");
    assert!(same.status.success());
    assert_eq!(String::from_utf8_lossy(&same.stdout).trim(), "no change");
    let d = run("collector.toml", "lab.toml");
    assert_eq!(d.status.code(), Some(1));
    let text = String::from_utf8_lossy(&d.stdout);
    for want in [
        "neighbor 127.0.0.2: removed",
        "neighbor 198.51.100.7: added (AS 64531)",
        "[mrt]: changed",
        "next restart",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
}
