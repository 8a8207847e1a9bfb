//! Changed routes in the order they changed, shared by every peer's
//! Adj-RIB-Out. Each peer reads it from its own cursor, so a change costs
//! one entry however many peers there are, where a dirty bitset per peer
//! cost a bit per route per peer (1,000 peers x 500k routes: 63 MB) and a
//! visit of every peer per change.
//!
//! A route changed again before every peer read its entry gets a new entry;
//! an entry that is no longer its route's latest is skipped, so a peer
//! computes each route once for its latest change, as with the bitset. A
//! peer that falls far behind takes what it has not read into its own
//! bitset ([`super::bits::Dirty`]), so the journal stays bounded whatever
//! a stuck peer does.

use std::collections::VecDeque;

use rbgp_rib::{PeerId, RouteId};
use rbgp_wire::AfiSafi;

/// A position in the journal.
pub type Seq = u32;

/// Sequence numbers are rebased before they come near overflow.
const REBASE_AT: Seq = 3 << 30;

#[derive(Debug, Default)]
pub struct Journal {
    /// The sequence number of `entries[0]`.
    base: Seq,
    entries: VecDeque<Change>,
    /// By route id: 1 + the sequence number of its latest entry (0: none
    /// since the last rebase).
    last: Vec<Seq>,
}

/// A route whose best path changed, with what a peer needs to know
/// whether it concerns it without looking the route up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub id: RouteId,
    pub family: AfiSafi,
    /// Where the new best path comes from (`None`: no path left). Still
    /// true when read: a later change would have superseded the entry.
    pub best: Option<PeerId>,
}

/// What a peer finds at its cursor.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    /// A route to recompute.
    Route(Change),
    /// An entry superseded by a later one for the same route.
    Superseded,
    /// Nothing more.
    End,
}

impl Journal {
    /// The sequence number the next entry will get.
    pub fn end(&self) -> Seq {
        self.base + self.entries.len() as Seq
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Record that a route's best path changed.
    pub fn push(&mut self, c: Change) {
        let seq = self.end();
        self.entries.push_back(c);
        let i = c.id as usize;
        if i >= self.last.len() {
            self.last.resize(i + 1, 0);
        }
        if let Some(l) = self.last.get_mut(i) {
            *l = seq + 1;
        }
    }

    /// The entry at `seq`.
    pub fn at(&self, seq: Seq) -> Entry {
        let Some(&c) = seq
            .checked_sub(self.base)
            .and_then(|i| self.entries.get(i as usize))
        else {
            return Entry::End;
        };
        if self.last.get(c.id as usize) == Some(&(seq + 1)) {
            Entry::Route(c)
        } else {
            Entry::Superseded
        }
    }

    /// Whether route `id` has an entry at or after `cursor`.
    pub fn pending(&self, id: RouteId, cursor: Seq) -> bool {
        self.last.get(id as usize).is_some_and(|&l| l > cursor)
    }

    /// Forget the entries before `cursor` (every peer has read them).
    pub fn trim(&mut self, cursor: Seq) {
        while self.base < cursor && self.entries.pop_front().is_some() {
            self.base += 1;
        }
        if self.entries.is_empty() && self.entries.capacity() > 4096 {
            self.entries = VecDeque::new();
        }
    }

    /// Once sequence numbers grow large, count from the first entry again:
    /// `cursors` (every peer's, none before the first entry) move with it.
    pub fn rebase<'a>(&mut self, cursors: impl Iterator<Item = &'a mut Seq>) {
        if self.end() < REBASE_AT {
            return;
        }
        let shift = self.base;
        for l in &mut self.last {
            *l = l.saturating_sub(shift);
        }
        for c in cursors {
            *c = c.saturating_sub(shift);
        }
        self.base = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: RouteId) -> Change {
        Change {
            id,
            family: AfiSafi::IPV4_UNICAST,
            best: Some(1),
        }
    }

    fn route(id: RouteId) -> Entry {
        Entry::Route(c(id))
    }

    #[test]
    fn a_route_is_read_at_its_latest_entry_only() {
        let mut j = Journal::default();
        j.push(c(5));
        j.push(c(9));
        j.push(c(5));
        assert_eq!(j.at(0), Entry::Superseded);
        assert_eq!(j.at(1), route(9));
        assert_eq!(j.at(2), route(5));
        assert_eq!(j.at(3), Entry::End);
        assert!(j.pending(5, 2) && !j.pending(5, 3));
        assert!(j.pending(9, 0) && !j.pending(9, 2));
        assert!(!j.pending(1_000, 0));
    }

    #[test]
    fn trimming_keeps_positions() {
        let mut j = Journal::default();
        for id in 0..10 {
            j.push(c(id));
        }
        j.trim(7);
        assert_eq!(j.len(), 3);
        assert_eq!(j.at(6), Entry::End, "trimmed");
        assert_eq!(j.at(7), route(7));
        j.trim(100);
        assert_eq!(j.len(), 0);
        assert_eq!(j.end(), 10);
        j.push(c(3));
        assert_eq!(j.at(10), route(3));
    }

    #[test]
    fn rebase_moves_cursors_and_latest_entries() {
        let mut j = Journal {
            base: REBASE_AT,
            ..Journal::default()
        };
        j.push(c(1));
        j.push(c(2));
        j.push(c(1));
        let (mut a, mut b) = (REBASE_AT + 1, REBASE_AT + 3);
        j.rebase([&mut a, &mut b].into_iter());
        assert_eq!((a, b, j.end()), (1, 3, 3));
        assert_eq!(j.at(1), route(2));
        assert_eq!(j.at(2), route(1));
        assert_eq!(j.at(0), Entry::Superseded);
        assert!(j.pending(1, 2) && !j.pending(2, 2));
    }
}
