//! `rbgpctl top`'s state, without a terminal: the neighbors of the last
//! poll with their UPDATE and NOTIFICATION rates (from the difference of
//! two polls), sorting, the filter, the selection, recent events, and what
//! each key does. The view draws it; unit tests drive it.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use rbgp_api::v1;

use crate::format;

/// Events kept for the bottom pane.
pub const EVENTS: usize = 200;

/// One neighbor's line.
#[derive(Debug, Clone)]
pub struct Row {
    pub address: String,
    pub asn: u32,
    pub state: &'static str,
    pub established: bool,
    pub admin_down: bool,
    pub uptime: u64,
    pub received: u64,
    pub accepted: u64,
    pub sent: u64,
    /// UPDATEs per second in and out since the previous poll.
    pub updates_in: f64,
    pub updates_out: f64,
    /// NOTIFICATIONs sent and received per minute since the previous poll
    /// (the totals are in the detail).
    pub notifications_per_min: f64,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Address,
    Asn,
    State,
    Uptime,
    Received,
    Accepted,
    Sent,
    UpdatesIn,
    UpdatesOut,
}

impl Sort {
    pub const ALL: [Sort; 9] = [
        Sort::Address,
        Sort::Asn,
        Sort::State,
        Sort::Uptime,
        Sort::Received,
        Sort::Accepted,
        Sort::Sent,
        Sort::UpdatesIn,
        Sort::UpdatesOut,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sort::Address => "neighbor",
            Sort::Asn => "AS",
            Sort::State => "state",
            Sort::Uptime => "uptime",
            Sort::Received => "received",
            Sort::Accepted => "accepted",
            Sort::Sent => "sent",
            Sort::UpdatesIn => "upd in/s",
            Sort::UpdatesOut => "upd out/s",
        }
    }

    fn next(self) -> Sort {
        let i = Sort::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Sort::ALL.get(i + 1).copied().unwrap_or(Sort::Address)
    }
}

/// What a key asks of the loop.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
}

/// Keys the model understands (the loop maps terminal keys to these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Up,
    Down,
    Enter,
    Esc,
    Backspace,
}

#[derive(Default)]
pub struct Model {
    pub rows: Vec<Row>,
    /// The full status of each neighbor (the detail view).
    pub status: HashMap<String, v1::NeighborStatus>,
    /// Per neighbor at the previous poll: when, UPDATEs in, out,
    /// NOTIFICATIONs both ways.
    prev: HashMap<String, (Instant, u64, u64, u64)>,
    pub sort: Option<Sort>,
    pub reverse: bool,
    pub filter: String,
    /// Typing the filter (after `/`).
    pub editing: bool,
    /// Index into [`Model::visible`].
    pub selected: usize,
    /// The neighbor whose detail is open.
    pub detail: Option<String>,
    pub events: VecDeque<String>,
    pub health: Option<v1::HealthResponse>,
    pub error: Option<String>,
}

fn sum(n: &v1::NeighborStatus, f: fn(&v1::FamilyCounters) -> u64) -> u64 {
    n.counters.iter().map(f).sum()
}

impl Model {
    /// A poll's answer, taken at `now`.
    pub fn update(&mut self, neighbors: Vec<v1::NeighborStatus>, now: Instant) {
        let mut rows = Vec::with_capacity(neighbors.len());
        let mut status = HashMap::with_capacity(neighbors.len());
        let mut prev = HashMap::with_capacity(neighbors.len());
        for n in neighbors {
            let cfg = n.config.clone().unwrap_or_default();
            let address = cfg.address.clone();
            let (min, mout) = (
                n.messages_in.unwrap_or_default(),
                n.messages_out.unwrap_or_default(),
            );
            let rate = |before: u64, after: u64, at: Instant| {
                let secs = now.duration_since(at).as_secs_f64();
                if secs > 0.0 {
                    after.saturating_sub(before) as f64 / secs
                } else {
                    0.0
                }
            };
            let notes = min.notification + mout.notification;
            let (updates_in, updates_out, notifications_per_min) = match self.prev.get(&address) {
                Some((at, i, o, n)) => (
                    rate(*i, min.update, *at),
                    rate(*o, mout.update, *at),
                    rate(*n, notes, *at) * 60.0,
                ),
                None => (0.0, 0.0, 0.0),
            };
            prev.insert(address.clone(), (now, min.update, mout.update, notes));
            rows.push(Row {
                address: address.clone(),
                asn: n.remote_asn,
                state: format::state(n.state),
                established: n.state == v1::SessionState::Established as i32,
                admin_down: n.admin_down,
                uptime: n.uptime_seconds,
                received: sum(&n, |c| c.received),
                accepted: sum(&n, |c| c.accepted),
                sent: sum(&n, |c| c.advertised),
                updates_in,
                updates_out,
                notifications_per_min,
                description: cfg
                    .settings
                    .as_ref()
                    .and_then(|s| s.description.clone())
                    .unwrap_or_default(),
            });
            status.insert(address, n);
        }
        self.rows = rows;
        self.status = status;
        self.prev = prev;
        self.clamp();
    }

    pub fn event(&mut self, line: String) {
        self.events.push_front(line);
        self.events.truncate(EVENTS);
    }

    /// The rows shown: filtered (address, AS, state or description holds
    /// the text), then sorted.
    pub fn visible(&self) -> Vec<&Row> {
        let f = self.filter.to_lowercase();
        let mut v: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| {
                f.is_empty()
                    || r.address.contains(&f)
                    || r.asn.to_string().contains(&f)
                    || r.state.to_lowercase().contains(&f)
                    || r.description.to_lowercase().contains(&f)
            })
            .collect();
        let addr_key = |r: &Row| {
            r.address.parse::<std::net::IpAddr>().ok().map(|a| match a {
                std::net::IpAddr::V4(v) => (4u8, v.to_ipv6_mapped().octets()),
                std::net::IpAddr::V6(v) => (6u8, v.octets()),
            })
        };
        let by = |a: &&Row, b: &&Row| -> std::cmp::Ordering {
            use std::cmp::Ordering;
            let f64cmp = |x: f64, y: f64| x.partial_cmp(&y).unwrap_or(Ordering::Equal);
            match self.sort.unwrap_or(Sort::Address) {
                Sort::Address => addr_key(a).cmp(&addr_key(b)),
                Sort::Asn => a.asn.cmp(&b.asn),
                Sort::State => a.state.cmp(b.state),
                Sort::Uptime => a.uptime.cmp(&b.uptime),
                // Counts and rates: the biggest first.
                Sort::Received => b.received.cmp(&a.received),
                Sort::Accepted => b.accepted.cmp(&a.accepted),
                Sort::Sent => b.sent.cmp(&a.sent),
                Sort::UpdatesIn => f64cmp(b.updates_in, a.updates_in),
                Sort::UpdatesOut => f64cmp(b.updates_out, a.updates_out),
            }
            .then_with(|| addr_key(a).cmp(&addr_key(b)))
        };
        v.sort_by(by);
        if self.reverse {
            v.reverse();
        }
        v
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    /// The selected neighbor's address.
    pub fn selected_address(&self) -> Option<String> {
        self.visible().get(self.selected).map(|r| r.address.clone())
    }

    pub fn key(&mut self, k: Key) -> Action {
        if self.editing {
            match k {
                Key::Enter => self.editing = false,
                Key::Esc => {
                    self.editing = false;
                    self.filter.clear();
                }
                Key::Backspace => {
                    self.filter.pop();
                }
                Key::Char(c) => self.filter.push(c),
                _ => {}
            }
            self.clamp();
            return Action::None;
        }
        if self.detail.is_some() {
            match k {
                Key::Esc | Key::Enter | Key::Char('q') => self.detail = None,
                _ => {}
            }
            return Action::None;
        }
        match k {
            Key::Char('q') => return Action::Quit,
            Key::Up | Key::Char('k') => self.selected = self.selected.saturating_sub(1),
            Key::Down | Key::Char('j') => self.selected += 1,
            Key::Char('s') => self.sort = Some(self.sort.unwrap_or(Sort::Address).next()),
            Key::Char('r') => self.reverse = !self.reverse,
            Key::Char('/') => self.editing = true,
            Key::Esc => self.filter.clear(),
            Key::Enter => self.detail = self.selected_address(),
            _ => {}
        }
        self.clamp();
        Action::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn neighbor(addr: &str, asn: u32, updates_in: u64, received: u64) -> v1::NeighborStatus {
        v1::NeighborStatus {
            config: Some(v1::NeighborConfig {
                address: addr.into(),
                ..Default::default()
            }),
            remote_asn: asn,
            state: v1::SessionState::Established as i32,
            counters: vec![v1::FamilyCounters {
                received,
                accepted: received,
                ..Default::default()
            }],
            messages_in: Some(v1::MessageCounters {
                update: updates_in,
                notification: updates_in / 100,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn order(m: &Model) -> Vec<String> {
        m.visible().iter().map(|r| r.address.clone()).collect()
    }

    #[test]
    fn rates_come_from_two_polls() {
        let mut m = Model::default();
        let t = Instant::now();
        m.update(vec![neighbor("192.0.2.1", 65001, 100, 5)], t);
        assert_eq!(m.rows[0].updates_in, 0.0, "one poll: no rate yet");
        m.update(
            vec![neighbor("192.0.2.1", 65001, 160, 5)],
            t + Duration::from_secs(2),
        );
        assert_eq!(m.rows[0].updates_in, 30.0);
        // 1 -> 1 NOTIFICATION: none in the last two seconds; then one.
        assert_eq!(m.rows[0].notifications_per_min, 0.0);
        m.update(
            vec![neighbor("192.0.2.1", 65001, 200, 5)],
            t + Duration::from_secs(4),
        );
        assert_eq!(m.rows[0].notifications_per_min, 30.0, "1 in 2 s");
    }

    #[test]
    fn sort_reverse_filter_and_select() {
        let mut m = Model::default();
        m.update(
            vec![
                neighbor("192.0.2.10", 65010, 0, 1),
                neighbor("192.0.2.9", 65009, 0, 30),
                neighbor("2001:db8::1", 65001, 0, 20),
            ],
            Instant::now(),
        );
        // Addresses in numeric order, IPv4 first.
        assert_eq!(order(&m), ["192.0.2.9", "192.0.2.10", "2001:db8::1"]);
        m.key(Key::Char('s'));
        assert_eq!(m.sort, Some(Sort::Asn));
        assert_eq!(order(&m), ["2001:db8::1", "192.0.2.9", "192.0.2.10"]);
        for _ in 0..3 {
            m.key(Key::Char('s'));
        }
        assert_eq!(m.sort, Some(Sort::Received));
        assert_eq!(order(&m), ["192.0.2.9", "2001:db8::1", "192.0.2.10"]);
        m.key(Key::Char('r'));
        assert_eq!(order(&m), ["192.0.2.10", "2001:db8::1", "192.0.2.9"]);
        m.key(Key::Char('/'));
        for c in "2001".chars() {
            m.key(Key::Char(c));
        }
        m.key(Key::Enter);
        assert_eq!(order(&m), ["2001:db8::1"]);
        m.key(Key::Down);
        assert_eq!(m.selected, 0, "selection stays on the rows shown");
        m.key(Key::Enter);
        assert_eq!(m.detail.as_deref(), Some("2001:db8::1"));
        assert_eq!(
            m.key(Key::Char('q')),
            Action::None,
            "q closes the detail first"
        );
        assert!(m.detail.is_none());
        m.key(Key::Esc);
        assert_eq!(order(&m).len(), 3, "Esc clears the filter");
        assert_eq!(m.key(Key::Char('q')), Action::Quit);
    }
}
