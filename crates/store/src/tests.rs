//! Durability: what was put is there after the database is dropped and
//! opened again; what was deleted is not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;

/// A fresh state_dir, removed at the end of the test.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("rbgp-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Dir(p.join("state"))
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        if let Some(parent) = self.0.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

fn path(prefix: &str, nh: &str) -> v1::Path {
    v1::Path {
        prefix: prefix.into(),
        next_hop: nh.into(),
        communities: vec!["65535:666".into()],
        local_pref: Some(200),
        ..Default::default()
    }
}

#[test]
fn survives_reopen_and_deletes_are_durable() {
    let dir = Dir::new("reopen");
    {
        let s = Store::open(&dir.0).unwrap();
        s.put(
            &PATHS,
            "203.0.113.7/32#0",
            &path("203.0.113.7/32", "192.0.2.1"),
        )
        .unwrap();
        s.put(
            &PATHS,
            "198.51.100.0/24#0",
            &path("198.51.100.0/24", "192.0.2.1"),
        )
        .unwrap();
        // Replacing keeps one record with the new content.
        s.put(
            &PATHS,
            "198.51.100.0/24#0",
            &path("198.51.100.0/24", "192.0.2.9"),
        )
        .unwrap();
        let n = v1::NeighborConfig {
            address: "192.0.2.2".into(),
            ..Default::default()
        };
        s.put(&NEIGHBORS, "192.0.2.2", &n).unwrap();
        s.put(&NEIGHBORS, "192.0.2.3", &n).unwrap();
        assert!(s.delete(&NEIGHBORS, "192.0.2.3").unwrap());
        assert!(!s.delete(&NEIGHBORS, "192.0.2.99").unwrap());
    }
    let s = Store::open(&dir.0).unwrap();
    let paths = s.load(&PATHS).unwrap();
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0].0, "198.51.100.0/24#0");
    assert_eq!(paths[0].1.next_hop, "192.0.2.9");
    assert_eq!(paths[1].1, path("203.0.113.7/32", "192.0.2.1"));
    let ns = s.load(&NEIGHBORS).unwrap();
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0].0, "192.0.2.2");
    assert!(s.load(&FLOWSPEC).unwrap().is_empty());
    assert_eq!(
        s.get(&PATHS, "203.0.113.7/32#0")
            .unwrap()
            .unwrap()
            .local_pref,
        Some(200)
    );
    assert!(s.get(&PATHS, "10.0.0.0/8#0").unwrap().is_none());
}

#[test]
fn bulk_put_and_delete() {
    let dir = Dir::new("bulk");
    let keys: Vec<String> = (0..1000)
        .map(|i| format!("10.{}.{}.0/24#0", i / 256, i % 256))
        .collect();
    let paths: Vec<v1::Path> = keys
        .iter()
        .map(|k| path(k.trim_end_matches("#0"), "192.0.2.1"))
        .collect();
    {
        let s = Store::open(&dir.0).unwrap();
        s.put_many(&PATHS, keys.iter().zip(paths.iter())).unwrap();
        assert_eq!(s.delete_many(&PATHS, keys.iter().take(400)).unwrap(), 400);
        assert_eq!(s.delete_many(&PATHS, keys.iter().take(400)).unwrap(), 0);
    }
    let s = Store::open(&dir.0).unwrap();
    let left = s.load(&PATHS).unwrap();
    assert_eq!(left.len(), 600);
    assert!(left.iter().all(|(k, _)| !keys[..400].contains(k)));
}

#[test]
fn second_open_is_refused_and_garbage_is_reported() {
    let dir = Dir::new("lock");
    let s = Store::open(&dir.0).unwrap();
    assert!(matches!(Store::open(&dir.0), Err(StoreError::Open { .. })));
    // A record that is not a FlowSpecRule (field 1 as a varint where the
    // message has an enum... then a truncated length-delimited field).
    s.with(|db| {
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx.open_table(FLOWSPEC.def()).unwrap();
            t.insert("bad", [0x1a_u8, 0x05, 0x01].as_slice()).unwrap();
        }
        tx.commit().unwrap();
        Ok(())
    })
    .unwrap();
    let e = s.load(&FLOWSPEC).unwrap_err();
    assert!(
        e.to_string().contains("flowspec") && e.to_string().contains("\"bad\""),
        "{e}"
    );
}

/// A file that is not a database: the error names it and says what to do.
#[test]
fn a_damaged_file_is_named_with_what_to_do() {
    let dir = Dir::new("damaged");
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join(FILE_NAME);
    std::fs::write(&file, vec![0x5a; 4096]).unwrap();
    let e = Store::open(&dir.0).err().unwrap().to_string();
    assert!(e.contains(&file.display().to_string()), "{e}");
    assert!(e.contains("move it away") && e.contains("backup"), "{e}");
    // The file is left as it was for the operator.
    assert_eq!(std::fs::read(&file).unwrap(), vec![0x5a; 4096]);
}

#[test]
fn unwritable_state_dir_is_an_error() {
    let e = Store::open(Path::new("/proc/rbgp-store-cannot-exist"))
        .err()
        .unwrap();
    assert!(matches!(e, StoreError::Dir { .. }), "{e}");
}

/// Run by `sigkill_keeps_every_acknowledged_write` in a child process:
/// writes paths one by one, printing each key once `put` returned.
#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os("RBGP_STORE_CHILD_DIR") else {
        return;
    };
    let s = Store::open(Path::new(&dir)).unwrap();
    for i in 0..100_000u32 {
        let key = format!("10.{}.{}.0/24#0", i / 256 % 256, i % 256);
        s.put(&PATHS, &key, &path(key.trim_end_matches("#0"), "192.0.2.1"))
            .unwrap();
        if i % 2 == 1 {
            // Deleting every second one: deletes must stick too.
            let prev = format!("10.{}.{}.0/24#0", (i - 1) / 256 % 256, (i - 1) % 256);
            s.delete(&PATHS, &prev).unwrap();
            println!("deleted {prev}");
        }
        println!("acked {key}");
    }
}

#[test]
fn sigkill_keeps_every_acknowledged_write() {
    use std::io::BufRead;
    let dir = Dir::new("sigkill");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "tests::child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RBGP_STORE_CHILD_DIR", &dir.0)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut acked = std::collections::BTreeSet::new();
    let mut deleted = std::collections::BTreeSet::new();
    for line in std::io::BufReader::new(out).lines() {
        let line = line.unwrap();
        if let Some(k) = line.strip_prefix("acked ") {
            acked.insert(k.to_string());
        } else if let Some(k) = line.strip_prefix("deleted ") {
            deleted.insert(k.to_string());
        }
        if acked.len() >= 60 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush.
    child.wait().unwrap();
    assert_eq!(acked.len(), 60);
    let s = Store::open(&dir.0).unwrap();
    let stored: std::collections::BTreeSet<String> = s
        .load(&PATHS)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for k in acked.difference(&deleted) {
        assert!(stored.contains(k), "acknowledged {k} lost");
    }
    for k in &deleted {
        assert!(!stored.contains(k), "deleted {k} came back");
    }
}
