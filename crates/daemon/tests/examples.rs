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

/// dist/rbgpd.service: systemd's own checker finds nothing to say about it
/// (unknown keys, bad values, missing binaries; it is silent only for a
/// clean unit, as the broken one beside it shows), and its ExecStartPre
/// and ExecStart command lines are ones rbgpd accepts.
#[test]
fn systemd_unit_verifies_and_its_commands_run() {
    rbgp_testkit::need("systemd-analyze");
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dist/rbgpd.service"
    ))
    .unwrap();
    let rbgpd = env!("CARGO_BIN_EXE_rbgpd");
    let dir = std::env::temp_dir().join(format!("rbgp-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let verify = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&p)
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let ours = verify(
        "rbgpd.service",
        &unit.replace("/usr/local/bin/rbgpd", rbgpd),
    );
    assert_eq!(ours.trim(), "", "systemd-analyze verify: {ours}");
    let broken = verify(
        "broken.service",
        &unit
            .replace("/usr/local/bin/rbgpd", rbgpd)
            .replace("ProtectSystem=strict", "ProtectSystem=stricter"),
    );
    assert!(
        broken.contains("ProtectSystem") || broken.contains("protect system"),
        "{broken}"
    );

    // The command lines, with the lab example in place of /etc's file.
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/config/lab.toml"
    );
    for key in ["ExecStartPre=", "ExecStart="] {
        let line = unit
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key}"));
        let mut args: Vec<String> = line
            .split_whitespace()
            .skip(1)
            .map(|a| a.replace("/etc/rbgpd/rbgpd.toml", example))
            .collect();
        if !args.iter().any(|a| a == "--check") {
            args.insert(0, "--check".into());
        }
        let out = Command::new(rbgpd).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{key}{line}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
