//! The update log: attached to the RIB task like a BMP station that wants
//! only the UPDATEs as received (no pre-policy table is kept for it),
//! written as BGP4MP_ET records to a file per `updates_interval`, started
//! at multiples of it. If the log falls behind the RIB by more than
//! `LIMIT` events it is dropped like a slow station; it attaches again
//! and says so (records are lost meanwhile, counted as an overflow).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rbgp_config::{mrt_file_name, Mrt};
use tokio::sync::{mpsc, oneshot};

use super::blocking;
use super::records::UpdateLog;
use super::{until_next, Ends};
use crate::tasks::{BmpEvent, BmpSink, BmpViews, RibMsg, BMP_Q};
use rbgp_mrt::file::MrtFile;

/// What may wait for the writer, in routes and attributes of the UPDATEs
/// (`BmpEvent::weight`): a full table's with room to spare, and a bound
/// on memory however large the UPDATEs are.
const LIMIT: usize = 4_000_000;

/// Open the file for the interval that starts now.
async fn open(c: &Mrt) -> std::io::Result<MrtFile> {
    let i = u64::from(c.updates_interval.max(1));
    let name = mrt_file_name(&c.updates_name, crate::clock::unix_secs() / i * i);
    let (dir, compression) = (c.directory.clone(), c.compression);
    blocking(move || MrtFile::create(&dir, &name, compression.into())).await
}

async fn close(f: MrtFile, ends: &Ends) {
    match blocking(move || f.finish()).await {
        Ok(path) => {
            tracing::debug!(file = %path.display(), "MRT update file written");
            ends.status.send_modify(|s| s.update_files += 1);
        }
        Err(e) => ends.failed("update file", e),
    }
}

pub async fn run(c: Mrt, ends: Ends, mut stop: oneshot::Receiver<()>) {
    let mut file: Option<MrtFile> = None;
    'attach: loop {
        let (tx, mut rx) = mpsc::channel(BMP_Q);
        let queued = Arc::new(AtomicUsize::new(0));
        let sink = BmpSink {
            views: BmpViews {
                received: true,
                ..BmpViews::default()
            },
            tx,
            queued: Arc::clone(&queued),
            limit: LIMIT,
        };
        let (reply, snap) = oneshot::channel();
        if ends
            .rib
            .send(RibMsg::BmpAttach { sink, reply })
            .await
            .is_err()
        {
            break;
        }
        let Ok(snap) = snap.await else {
            break;
        };
        let mut log = UpdateLog::new(snap.local.as_ref().map_or(0, |l| l.asn));
        for (addr, s) in snap.peers {
            log.know(addr, s);
        }
        loop {
            if file.is_none() {
                match open(&c).await {
                    Ok(f) => file = Some(f),
                    Err(e) => ends.failed("update file", e),
                }
            }
            let rotate = tokio::time::sleep(until_next(c.updates_interval));
            tokio::select! {
                batch = rx.recv() => {
                    let Some(batch) = batch else {
                        tracing::warn!("MRT update log fell behind: UPDATEs lost until it attached again");
                        ends.status.send_modify(|s| s.overflows += 1);
                        continue 'attach;
                    };
                    let w: usize = batch.iter().map(BmpEvent::weight).sum();
                    queued.fetch_sub(w, Ordering::Relaxed);
                    let mut records = Vec::with_capacity(batch.len());
                    for ev in batch {
                        log.records(ev, &mut records);
                    }
                    let Some(mut f) = file.take() else {
                        continue;
                    };
                    let n = records.len() as u64;
                    let r = blocking(move || {
                        for rec in &records {
                            f.write(rec)?;
                        }
                        Ok(f)
                    })
                    .await;
                    match r {
                        Ok(f) => {
                            file = Some(f);
                            ends.status.send_modify(|s| s.updates += n);
                        }
                        Err(e) => ends.failed("update file", e),
                    }
                }
                () = rotate => {
                    if let Some(f) = file.take() {
                        close(f, &ends).await;
                    }
                }
                _ = &mut stop => break 'attach,
            }
        }
    }
    if let Some(f) = file.take() {
        close(f, &ends).await;
    }
}
