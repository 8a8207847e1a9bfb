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
        let x = Arc::new(a);
        self.set.insert(Arc::clone(&x));
        x
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Forget attribute sets only the interner still holds.
    pub fn collect(&mut self) {
        self.set.retain(|a| Arc::strong_count(a) > 1);
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
}
