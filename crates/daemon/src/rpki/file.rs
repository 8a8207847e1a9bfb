//! A local JSON source (rpki-client `-j`, Routinator `jsonext`, StayRTR's
//! format): read at start, on SIGHUP (the task is started again) and when
//! the file changes. A file that cannot be read or parsed leaves the data
//! as it was.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::Rtr;
use crate::tasks::RpkiData;

/// How often the file's modification time and size are looked at.
const POLL: Duration = Duration::from_secs(5);

/// What identifies a version of the file without reading it.
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

pub async fn run(path: &Path, rtr: &Rtr) {
    rtr.status.send_modify(|s| {
        s.source = path.display().to_string();
        s.version = None;
        s.serial = None;
    });
    // `None` before the first look: a missing file is reported once per
    // change, not every poll.
    let mut last: Option<Option<(SystemTime, u64)>> = None;
    loop {
        let now = stamp(path);
        if last != Some(now) {
            last = Some(now);
            match read(path).await {
                Ok((vrps, aspas)) => {
                    let (v4, v6) = (
                        vrps.iter().filter(|v| v.prefix.is_ipv4()).count(),
                        vrps.iter().filter(|v| !v.prefix.is_ipv4()).count(),
                    );
                    let n = aspas.len();
                    tracing::info!(file = %path.display(), vrps_v4 = v4, vrps_v6 = v6, aspas = n, "RPKI file read");
                    let delta = rbgp_rpki::Delta {
                        reset: true,
                        announced: vrps,
                        aspas,
                        ..Default::default()
                    };
                    if !rtr.send(RpkiData::Delta(Box::new(delta))).await {
                        return;
                    }
                    rtr.status.send_modify(|s| {
                        s.connected = true;
                        s.expired = false;
                        s.vrps_v4 = v4;
                        s.vrps_v6 = v6;
                        s.aspas = n;
                        s.updated = Some(SystemTime::now());
                        s.updates += 1;
                        s.resets += 1;
                    });
                }
                Err(e) => rtr.error(format!("{}: {e}", path.display())),
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn read(path: &Path) -> Result<(Vec<rbgp_rpki::Vrp>, Vec<rbgp_rpki::Aspa>), String> {
    let path = path.to_path_buf();
    // Reading and parsing half a million VRPs takes a while: off the
    // runtime's threads.
    tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        rbgp_rpki::json::parse(&bytes).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}
