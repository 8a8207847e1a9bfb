//! Interning: a full table has ~1M routes but only ~150k distinct
//! attribute sets, so routes share one `Arc<Attrs>`.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::Attrs;

/// Shares identical attribute sets. Entries no route uses any more are
/// dropped by [`Interner::collect`]. Hashed with Fx: one lookup per UPDATE
/// received; a peer makes at most one set per route it holds.
#[derive(Debug, Default)]
pub struct Interner {
    set: FxHashSet<Arc<Attrs>>,
    /// [`Attrs::approx_size`] of the sets added since the last collection,
    /// and of those the last one kept.
    added: usize,
    kept: usize,
}

impl Interner {
    pub fn new() -> Self {
        Interner::default()
    }

    /// The shared copy of `a`.
    pub fn intern(&mut self, a: Attrs) -> Arc<Attrs> {
        if let Some(x) = self.set.get(&a) {
            return Arc::clone(x);
        }
        self.added += a.approx_size();
        let x = Arc::new(a);
        self.set.insert(Arc::clone(&x));
        x
    }

    /// The shared copy of a set made elsewhere (another task): `a`
    /// itself becomes the shared copy when there is none yet, so the set
    /// is not copied.
    pub fn intern_arc(&mut self, a: &Arc<Attrs>) -> Arc<Attrs> {
        if let Some(x) = self.set.get(&**a) {
            return Arc::clone(x);
        }
        self.added += a.approx_size();
        self.set.insert(Arc::clone(a));
        Arc::clone(a)
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Forget attribute sets only the interner still holds.
    pub fn collect(&mut self) {
        let mut kept = 0;
        self.set.retain(|a| {
            let live = Arc::strong_count(a) > 1;
            if live {
                kept += a.approx_size();
            }
            live
        });
        self.kept = kept;
        self.added = 0;
    }

    /// Whether sets added since the last collection reach what that one
    /// kept, or `floor` (bytes, [`Attrs::approx_size`]): unused sets then
    /// take at most about as much memory as used ones, or the floor,
    /// however few UPDATEs made them (a peer re-announcing one prefix
    /// with a new large set each time). The collections a growing table
    /// causes are spaced geometrically.
    pub fn due(&self, floor: usize) -> bool {
        self.added >= self.kept.max(floor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_shares_and_collects() {
        let mut i = Interner::new();
        let a = Attrs {
            med: Some(5),
            ..Attrs::default()
        };
        let x = i.intern(a.clone());
        let y = i.intern(a);
        assert!(Arc::ptr_eq(&x, &y));
        assert_eq!(i.len(), 1);
        let z = i.intern(Attrs {
            med: Some(6),
            ..Attrs::default()
        });
        assert_eq!(i.len(), 2);
        drop(z);
        i.collect();
        assert_eq!(i.len(), 1);
        drop((x, y));
        i.collect();
        assert!(i.is_empty());
    }

    #[test]
    fn collection_is_due_after_as_much_as_it_kept() {
        let mut i = Interner::new();
        let set = |n: u32| Attrs {
            communities: (0..n).map(rbgp_wire::attr::Community).collect(),
            ..Attrs::default()
        };
        let big = set(1000);
        let size = big.approx_size();
        assert!(size > 4000, "{size}");
        let held = i.intern(big);
        assert!(!i.due(10 * size));
        assert!(i.due(size), "the floor reached");
        i.collect();
        assert!(!i.due(0), "nothing added since; the kept set sets the bar");
        // Sets nobody keeps (a peer replacing its one route's set).
        for n in 1..=3 {
            drop(i.intern(set(1000 + n)));
        }
        assert!(i.due(0));
        i.collect();
        assert_eq!(i.len(), 1);
        drop(held);
    }

    #[test]
    fn a_set_made_elsewhere_is_shared_without_a_copy() {
        let mut i = Interner::new();
        let a = Attrs {
            med: Some(5),
            ..Attrs::default()
        };
        let held = i.intern(a.clone());
        // An equal set made by another task: the interned copy.
        let got = i.intern_arc(&Arc::new(a));
        assert!(Arc::ptr_eq(&got, &held));
        // A new one: that very allocation becomes the shared copy.
        let new = Arc::new(Attrs {
            med: Some(6),
            ..Attrs::default()
        });
        let got = i.intern_arc(&new);
        assert!(Arc::ptr_eq(&got, &new));
        assert_eq!(i.len(), 2);
        assert!(Arc::ptr_eq(&i.intern(Attrs::clone(&new)), &new));
    }
}
