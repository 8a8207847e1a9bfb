//! Wall-clock time as the wire formats carry it (BMP per-peer headers,
//! MRT records and file names): Unix seconds and microseconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Since the Unix epoch (zero for a clock set before it).
pub fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Unix seconds (at most u32::MAX, the fields' width) and microseconds.
pub fn stamp(t: SystemTime) -> (u32, u32) {
    let d = since_epoch(t);
    (
        u32::try_from(d.as_secs()).unwrap_or(u32::MAX),
        d.subsec_micros(),
    )
}

/// [`stamp`] of now.
pub fn now() -> (u32, u32) {
    stamp(SystemTime::now())
}

/// Unix seconds now.
pub fn unix_secs() -> u64 {
    since_epoch(SystemTime::now()).as_secs()
}
