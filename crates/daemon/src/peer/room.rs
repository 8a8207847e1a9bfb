//! Room in the RIB task's inbox for decoded UPDATEs, counted by what they
//! hold in memory. The inbox's length in messages alone let [`RIB_Q`]
//! batches of [`UPDATE_BATCH`] UPDATEs wait, and a hostile extended-message
//! UPDATE (65,535 octets of one-octet prefixes, or of empty attributes)
//! decodes to tens of times its size. Past [`RIB_ROOM`] a peer task waits
//! before it hands more to the RIB, reads nothing meanwhile, and TCP
//! slows its peer down; the others wait their turn (the semaphore is
//! fair), not for the flooder to finish.
//!
//! [`RIB_Q`]: crate::tasks::RIB_Q
//! [`UPDATE_BATCH`]: super::receive

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Decoded UPDATEs that may wait for the RIB task, in bytes
/// ([`decoded_size`](crate::tasks::decoded_size)), from all peers together.
pub const RIB_ROOM: usize = 64 << 20;

/// The RIB task's inbox room, shared by every peer task.
#[derive(Debug, Clone)]
pub struct Room {
    free: Arc<Semaphore>,
    size: usize,
}

impl Room {
    pub fn new(bytes: usize) -> Room {
        let size = bytes.min(Semaphore::MAX_PERMITS);
        Room {
            free: Arc::new(Semaphore::new(size)),
            size,
        }
    }

    /// Wait until `bytes` fit (at most the whole room, so that one large
    /// batch still passes alone); the share goes back when dropped.
    pub async fn take(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(bytes.clamp(1, self.size)).unwrap_or(u32::MAX);
        Arc::clone(&self.free).acquire_many_owned(n).await.ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::tasks::decoded_size;
    use rbgp_wire::{NlriEntry, Update};
    use std::time::Duration;

    #[tokio::test]
    async fn a_peer_waits_for_room_others_freed() {
        let room = Room::new(100);
        let a = room.take(60).await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(50), room.take(60)).await;
        assert!(waiting.is_err(), "60 more do not fit in 100");
        drop(a);
        let b = tokio::time::timeout(Duration::from_millis(50), room.take(60))
            .await
            .unwrap();
        assert!(b.is_some());
        drop(b);
        // Larger than the whole room: it waits for all of it, then passes.
        let big = tokio::time::timeout(Duration::from_millis(50), room.take(1_000))
            .await
            .unwrap();
        assert!(big.is_some());
    }

    /// 65,535 octets of /0 NLRI (one octet each) decode to 32 octets per
    /// prefix: the room counts that, not the wire size.
    #[test]
    fn a_dense_update_weighs_what_it_decodes_to() {
        let u = Update {
            withdrawn: Vec::new(),
            attributes: Vec::new(),
            nlri: vec![
                NlriEntry {
                    path_id: None,
                    nlri: rbgp_wire::Nlri::Prefix("0.0.0.0/0".parse().unwrap()),
                };
                65_000
            ],
        };
        let w = decoded_size(&u, 65_535);
        assert!(w > 20 * 65_535, "{w}");
        assert!(decoded_size(&Update::end_of_rib(rbgp_wire::AfiSafi::IPV4_UNICAST), 23) < 1_000);
    }
}
