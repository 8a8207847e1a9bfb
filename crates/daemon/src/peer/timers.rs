//! The FSM names timers; this keeps their deadlines.

use std::time::Duration;

use rbgp_fsm::Timer;
use tokio::time::Instant;

#[derive(Debug, Default)]
pub struct Timers {
    deadlines: Vec<(Timer, Instant)>,
}

impl Timers {
    pub fn start(&mut self, t: Timer, secs: u32) {
        self.stop(t);
        self.deadlines
            .push((t, Instant::now() + Duration::from_secs(u64::from(secs))));
    }

    pub fn stop(&mut self, t: Timer) {
        self.deadlines.retain(|(x, _)| *x != t);
    }

    pub fn clear(&mut self) {
        self.deadlines.clear();
    }

    /// When `t` fires, if it runs.
    pub fn deadline(&self, t: Timer) -> Option<Instant> {
        self.deadlines
            .iter()
            .find(|(x, _)| *x == t)
            .map(|(_, at)| *at)
    }

    /// The next timer to fire.
    pub fn next(&self) -> Option<(Timer, Instant)> {
        self.deadlines.iter().min_by_key(|(_, at)| *at).copied()
    }
}
