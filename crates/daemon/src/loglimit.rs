//! Rate limits for what the outside can make us log: a hostile or broken
//! peer sending malformed UPDATEs as fast as it can, or a flood of
//! connections, must not fill the disk with log lines. Lines over the
//! budget are counted and reported in one line when the next window
//! opens.

use std::time::{Duration, Instant};

/// Lines per window, and the window.
const LINES: u32 = 20;
const WINDOW: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct LogLimit {
    start: Instant,
    used: u32,
    dropped: u64,
}

impl Default for LogLimit {
    fn default() -> Self {
        LogLimit {
            start: Instant::now(),
            used: 0,
            dropped: 0,
        }
    }
}

impl LogLimit {
    /// Whether one more line may be logged now. When a new window opens
    /// after lines were dropped, `Err(n)` first says how many (and the
    /// line may be logged).
    pub fn allow(&mut self, now: Instant) -> (bool, Option<u64>) {
        let mut dropped = None;
        if now.duration_since(self.start) >= WINDOW {
            if self.dropped > 0 {
                dropped = Some(self.dropped);
            }
            self.start = now;
            self.used = 0;
            self.dropped = 0;
        }
        if self.used < LINES {
            self.used += 1;
            (true, dropped)
        } else {
            self.dropped += 1;
            (false, dropped)
        }
    }
}

impl LogLimit {
    /// Whether a line about `what` may be logged now; first reports the
    /// lines a past window dropped.
    pub fn check(&mut self, what: &str) -> bool {
        let (ok, dropped) = self.allow(Instant::now());
        if let Some(n) = dropped {
            tracing::warn!(
                lines = n,
                what,
                "log lines not written in the last 10 s (rate limit)"
            );
        }
        ok
    }
}

/// One [`LogLimit`] per kind of line, so that a flood of one kind
/// (connections from unconfigured addresses, say) does not silence
/// another (a configured peer's connection dropped). The kinds are
/// the caller's fixed strings: the total stays bounded.
#[derive(Debug, Default)]
pub struct LogLimits {
    by_what: std::collections::HashMap<&'static str, LogLimit>,
}

impl LogLimits {
    /// Whether a line of kind `what` may be logged now (see
    /// [`LogLimit::check`]).
    pub fn check(&mut self, what: &'static str) -> bool {
        self.limit(what).check(what)
    }

    fn limit(&mut self, what: &'static str) -> &mut LogLimit {
        self.by_what.entry(what).or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_one_kind_leaves_the_others_their_lines() {
        let mut l = LogLimits::default();
        let t = Instant::now();
        let flood = (0..1000)
            .filter(|_| l.limit("unconfigured").allow(t).0)
            .count();
        assert_eq!(flood, LINES as usize);
        assert!(l.limit("peer busy").allow(t).0, "another kind still logs");
        assert!(!l.limit("unconfigured").allow(t).0);
    }

    #[test]
    fn a_flood_is_cut_and_counted() {
        let mut l = LogLimit::default();
        let t = Instant::now();
        let allowed = (0..1000).filter(|_| l.allow(t).0).count();
        assert_eq!(allowed, LINES as usize);
        let (ok, dropped) = l.allow(t + WINDOW);
        assert!(ok);
        assert_eq!(dropped, Some(1000 - u64::from(LINES)));
        assert_eq!(l.allow(t + WINDOW).1, None, "reported once");
    }
}
