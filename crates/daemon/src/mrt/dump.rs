//! One TABLE_DUMP_V2 dump: the RIB's sources (PEER_INDEX_TABLE), then
//! every route with all its paths, asked of the RIB task a piece at a
//! time and written on a blocking thread.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use rbgp_config::{mrt_file_name, Mrt, MrtTablePaths};
use tokio::sync::oneshot;

use super::blocking;
use super::records::{peer_index, rib_records};
use super::Ends;
use crate::tasks::RibMsg;
use rbgp_mrt::file::MrtFile;

/// Routes per piece: the RIB task is held for about a millisecond.
pub const PIECE: usize = 2048;

/// Why a dump failed.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("writing {0}: {1}")]
    Io(String, std::io::Error),
    #[error("the RIB task is gone")]
    Gone,
}

/// A dump of the paths `paths` says (`None`: as `[mrt]` says).
pub async fn dump(
    c: &Mrt,
    paths: Option<MrtTablePaths>,
    ends: &Ends,
) -> Result<PathBuf, DumpError> {
    let best_only = paths.unwrap_or(c.table_paths) == MrtTablePaths::Best;
    let began = Instant::now();
    let start = SystemTime::now();
    let unix = crate::clock::since_epoch(start).as_secs();
    let name = mrt_file_name(&c.table_name, unix);
    let io = |e| DumpError::Io(name.clone(), e);
    let (reply, rx) = oneshot::channel();
    ends.rib
        .send(RibMsg::MrtPeers { reply })
        .await
        .map_err(|_| DumpError::Gone)?;
    let (router_id, peers) = rx.await.map_err(|_| DumpError::Gone)?;
    let (index_rec, index) = peer_index(router_id, &peers);
    let (dir, compression) = (c.directory.clone(), c.compression);
    let n = name.clone();
    let mut file = blocking(move || {
        let mut f = MrtFile::create(&dir, &n, compression.into())?;
        f.write(&index_rec)?;
        Ok(f)
    })
    .await
    .map_err(io)?;
    let at = u32::try_from(unix).unwrap_or(u32::MAX);
    let (mut from, mut sequence, mut routes) = (0, 0u32, 0u64);
    loop {
        let (reply, rx) = oneshot::channel();
        if ends
            .rib
            .send(RibMsg::MrtChunk {
                from,
                max: PIECE,
                best_only,
                reply,
            })
            .await
            .is_err()
        {
            file.discard();
            return Err(DumpError::Gone);
        }
        let Ok((piece, next)) = rx.await else {
            file.discard();
            return Err(DumpError::Gone);
        };
        routes += piece.len() as u64;
        let records = rib_records(piece, &index, &mut sequence, at);
        let r = blocking(move || {
            for rec in &records {
                if let Err(e) = file.write(rec) {
                    file.discard();
                    return Err(e);
                }
            }
            Ok(file)
        });
        file = match r.await {
            Ok(f) => f,
            Err(e) => return Err(io(e)),
        };
        match next {
            Some(n) => from = n,
            None => break,
        }
    }
    let path = blocking(move || file.finish()).await.map_err(io)?;
    let secs = began.elapsed().as_secs_f64();
    tracing::info!(file = %path.display(), routes, best_only, secs, "MRT table dump written");
    let p = path.clone();
    ends.status.send_modify(|s| {
        s.dumps += 1;
        s.last_dump = Some((p, start, routes, secs));
    });
    Ok(path)
}
