//! Counters the tasks keep for `/metrics` and the API: the UPDATE latency
//! histogram (lock-free, filled by the RIB task, read by the API) and the
//! per-session message and NOTIFICATION counts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rbgp_wire::{Message, Notification};

use crate::control::{Direction, MessageCounts, NotificationCount};

/// Count one message in the direction's counters.
pub fn count_message(c: &mut MessageCounts, m: &Message) {
    match m {
        Message::Open(_) => c.open += 1,
        Message::Update(_) => c.update += 1,
        Message::Notification(_) => c.notification += 1,
        Message::Keepalive => c.keepalive += 1,
        Message::RouteRefresh(_) => c.route_refresh += 1,
    }
}

/// Count one NOTIFICATION.
pub fn count_notification(v: &mut Vec<NotificationCount>, direction: Direction, n: &Notification) {
    match v
        .iter_mut()
        .find(|c| c.direction == direction && c.code == n.code && c.subcode == n.subcode)
    {
        Some(c) => c.count += 1,
        None => v.push(NotificationCount {
            direction,
            code: n.code,
            subcode: n.subcode,
            count: 1,
        }),
    }
}

/// A latency histogram with fixed buckets, updated without locks (metrics).
#[derive(Debug)]
pub struct Histogram {
    /// Upper bounds in seconds, ascending.
    bounds: &'static [f64],
    /// Observations at or below each bound (not cumulative), then above all.
    buckets: Vec<AtomicU64>,
    sum_ns: AtomicU64,
}

/// Bucket bounds for the UPDATE latency: 10 µs to 5 s.
pub const LATENCY_BOUNDS: &[f64] = &[
    0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1.0, 2.5, 5.0,
];

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_ns: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = self
            .bounds
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(self.bounds.len());
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Cumulative counts per bound (`+Inf` last), and the sum in seconds.
    pub fn snapshot(&self) -> (Vec<(Option<f64>, u64)>, f64) {
        let mut total = 0;
        let mut out = Vec::with_capacity(self.buckets.len());
        for (i, b) in self.buckets.iter().enumerate() {
            total += b.load(Ordering::Relaxed);
            out.push((self.bounds.get(i).copied(), total));
        }
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        (out, sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::new(LATENCY_BOUNDS);
        h.observe(Duration::from_micros(5));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let (buckets, sum) = h.snapshot();
        assert_eq!(buckets.len(), LATENCY_BOUNDS.len() + 1);
        assert_eq!(buckets[0], (Some(0.00001), 1));
        let at_5ms = buckets.iter().find(|(b, _)| *b == Some(0.005)).unwrap();
        assert_eq!(at_5ms.1, 2);
        assert_eq!(buckets.last(), Some(&(None, 3)));
        assert!((sum - 10.003005).abs() < 1e-9);
    }

    #[test]
    fn notifications_counted_by_direction_code_and_subcode() {
        let mut v = Vec::new();
        let cease = Notification::new(
            rbgp_wire::notification::codes::CEASE,
            rbgp_wire::notification::cease_sub::ADMINISTRATIVE_SHUTDOWN,
            Vec::new(),
        );
        count_notification(&mut v, Direction::Sent, &cease);
        count_notification(&mut v, Direction::Sent, &cease);
        count_notification(&mut v, Direction::Received, &cease);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].count, 2);
        assert_eq!(v[1].direction, Direction::Received);
    }
}
