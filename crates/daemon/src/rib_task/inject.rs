//! Routes originated here: the config file's `[[routes]]` and what the
//! API injects, held as paths of the RIB's own local peer.

use rbgp_wire::{AfiSafi, Nlri};

use super::RibTask;
use crate::control::LocalRoute;

impl RibTask {
    pub(super) fn inject(&mut self, routes: Vec<LocalRoute>) {
        for r in routes {
            let a = self.interner.intern(r.attrs);
            self.update(self.local_id, r.family, &r.nlri, r.path_id, a);
        }
    }

    pub(super) fn remove(&mut self, keys: Vec<(AfiSafi, Nlri, u32)>) -> usize {
        let mut n = 0;
        for (f, nlri, id) in keys {
            if self
                .rib
                .paths(f, &nlri)
                .iter()
                .any(|p| p.peer == self.local_id && p.path_id == id)
            {
                n += 1;
            }
            self.withdraw(self.local_id, f, &nlri, id);
        }
        n
    }
}
