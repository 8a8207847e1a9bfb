//! Switches a cache off for a while when it rarely hits: in files where
//! values seldom repeat, the lookups and stores only add work.

pub(super) struct HitRate {
    window: u32,
    min_hits: u32,
    pause: u32,
    /// Lookups and hits in the current window.
    lookups: u32,
    hits: u32,
    /// Lookups still to skip.
    bypass: u32,
}

impl HitRate {
    /// Off for `pause` lookups after a window of `window` lookups with
    /// fewer than `min_hits` hits.
    pub(super) const fn new(window: u32, min_hits: u32, pause: u32) -> Self {
        HitRate {
            window,
            min_hits,
            pause,
            lookups: 0,
            hits: 0,
            bypass: 0,
        }
    }

    /// Whether to use the cache for the next lookup.
    #[inline]
    pub(super) fn active(&mut self) -> bool {
        if self.bypass > 0 {
            self.bypass -= 1;
            return false;
        }
        if self.lookups >= self.window {
            let poor = self.hits < self.min_hits;
            self.lookups = 0;
            self.hits = 0;
            if poor {
                self.bypass = self.pause.saturating_sub(1);
                return false;
            }
        }
        true
    }

    #[inline]
    pub(super) fn record(&mut self, hit: bool) {
        self.lookups += 1;
        self.hits += u32::from(hit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_of_misses_turns_it_off_for_a_while() {
        let mut r = HitRate::new(8, 2, 20);
        for _ in 0..8 {
            assert!(r.active());
            r.record(false);
        }
        for _ in 0..20 {
            assert!(!r.active());
        }
        assert!(r.active(), "on again after the pause");
    }

    #[test]
    fn enough_hits_keep_it_on() {
        let mut r = HitRate::new(8, 2, 20);
        for i in 0..100 {
            assert!(r.active());
            r.record(i % 4 == 0);
        }
    }
}
