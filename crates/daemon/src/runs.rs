//! Routes of one BMP view as the RIB task hands them to a station
//! (`tasks::BmpEvent`; from `Export`s in `tasks.rs`): in
//! order, consecutive routes of one family and attribute set in one run.
//! A run holds its set once: the routes of a received UPDATE share one, so
//! a route costs no reference count of its own, and the station's thread
//! does not touch the count of every route's set while the RIB thread
//! takes and drops references to the same sets (case m: five views of a
//! million routes).

use std::sync::Arc;

use rbgp_rib::Attrs;
use rbgp_wire::{AfiSafi, NlriEntry};

/// Routes in runs; `attrs: None` withdraws a run's routes. The routes of
/// every run share one vector (one allocation per event, not per run:
/// case m has about 150,000 runs per view).
#[derive(Debug, Default, Clone)]
pub struct Runs {
    runs: Vec<Head>,
    entries: Vec<NlriEntry>,
}

/// A run: its family, its set, and where its routes end in `entries`.
#[derive(Debug, Clone)]
struct Head {
    family: AfiSafi,
    attrs: Option<Arc<Attrs>>,
    end: usize,
}

impl Head {
    fn is(&self, family: AfiSafi, attrs: Option<&Arc<Attrs>>) -> bool {
        self.family == family
            && match (&self.attrs, attrs) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

/// One run as read: family, set, routes.
pub struct Run<'a> {
    pub family: AfiSafi,
    pub attrs: Option<&'a Arc<Attrs>>,
    pub nlri: &'a [NlriEntry],
}

impl Runs {
    /// One route after the others: added to the last run when it has the
    /// same family and set (the set's reference is taken only for a new
    /// run).
    pub fn push(&mut self, family: AfiSafi, attrs: Option<&Arc<Attrs>>, entry: NlriEntry) {
        self.entries.push(entry);
        let end = self.entries.len();
        match self.runs.last_mut() {
            Some(r) if r.is(family, attrs) => r.end = end,
            _ => self.runs.push(Head {
                family,
                attrs: attrs.cloned(),
                end,
            }),
        }
    }

    /// Routes, in order.
    pub fn routes(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The runs in order.
    pub fn runs(&self) -> impl Iterator<Item = Run<'_>> {
        let mut start = 0;
        self.runs.iter().map(move |h| {
            let nlri = self.entries.get(start..h.end).unwrap_or_default();
            start = h.end;
            Run {
                family: h.family,
                attrs: h.attrs.as_ref(),
                nlri,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use rbgp_wire::Nlri;

    fn entry(p: &str) -> NlriEntry {
        NlriEntry {
            path_id: None,
            nlri: Nlri::Prefix(p.parse().unwrap()),
        }
    }

    #[test]
    fn consecutive_routes_of_one_set_share_a_run() {
        let v4 = AfiSafi::IPV4_UNICAST;
        let v6 = AfiSafi::IPV6_UNICAST;
        let a = Arc::new(Attrs::default());
        // Equal but another set: a run of its own.
        let b = Arc::new(Attrs::default());
        let mut r = Runs::default();
        r.push(v4, Some(&a), entry("192.0.2.0/24"));
        r.push(v4, Some(&a), entry("198.51.100.0/24"));
        r.push(v4, Some(&b), entry("203.0.113.0/24"));
        r.push(v4, None, entry("10.0.0.0/8"));
        r.push(v4, None, entry("10.1.0.0/16"));
        r.push(v6, None, entry("2001:db8::/32"));
        r.push(v4, Some(&a), entry("192.0.2.0/24"));
        assert_eq!(r.routes(), 7);
        let shape: Vec<(AfiSafi, bool, usize)> = r
            .runs()
            .map(|x| (x.family, x.attrs.is_some(), x.nlri.len()))
            .collect();
        assert_eq!(
            shape,
            [
                (v4, true, 2),
                (v4, true, 1),
                (v4, false, 2),
                (v6, false, 1),
                (v4, true, 1)
            ]
        );
        // One reference per run, not per route.
        assert_eq!(Arc::strong_count(&a), 1 + 2);
    }
}
