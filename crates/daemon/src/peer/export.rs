//! What the RIB sends this peer, onto the wire: route batches (merged
//! when several wait, packed by `pack.rs`, written in one go), End-of-RIB,
//! enhanced route refresh markers, and the max-prefix limit.

use std::collections::VecDeque;
use std::time::Duration;

use rbgp_fsm::Event;
use rbgp_wire::route_refresh::{RefreshSubtype, RouteRefresh};
use rbgp_wire::{Message, Update};

use super::{pack, session, Peer};
use crate::tasks::ToPeer;

/// At most this many exports are packed together when several batches
/// wait in the export channel (the peer reads slower than the RIB exports).
const MERGE: usize = 8 * 1024;

impl Peer {
    /// A message from the RIB, with any route batches waiting behind it.
    pub(super) async fn export(&mut self, mut m: ToPeer, events: &mut VecDeque<Event>) {
        self.drained.notify_one();
        let (merged, next) = self.merge_waiting(&mut m);
        self.send_export(m, merged, events).await;
        if let Some(next) = next {
            self.send_export(next, false, events).await;
        }
    }

    /// Route batches already waiting behind `first` join it (up to
    /// [`MERGE`] exports), so that a peer slower than the RIB gets fuller
    /// UPDATEs (fewer of them: a receiver's cost is largely per UPDATE).
    /// Whether any joined; a waiting message that is not routes ends the
    /// merge and is returned, to be sent after.
    fn merge_waiting(&mut self, first: &mut ToPeer) -> (bool, Option<ToPeer>) {
        let (ToPeer::Routes(batch), Some(rx)) = (first, self.exports.as_mut()) else {
            return (false, None);
        };
        let mut merged = false;
        while batch.len() < MERGE {
            match rx.try_recv() {
                Ok(ToPeer::Routes(more)) => {
                    self.drained.notify_one();
                    batch.extend(more);
                    merged = true;
                }
                Ok(other) => {
                    self.drained.notify_one();
                    return (merged, Some(other));
                }
                Err(_) => break,
            }
        }
        (merged, None)
    }

    /// `merged`: the batch joins several, where a route may come again (the
    /// last export of it is the one that counts).
    async fn send_export(&mut self, msg: ToPeer, merged: bool, events: &mut VecDeque<Event>) {
        match msg {
            ToPeer::Routes(batch) => {
                // The whole batch in one write: hundreds of small UPDATEs
                // would otherwise cost a system call each.
                let packed = pack::pack(batch, merged, &self.tx_ctx);
                self.write(&packed.bytes, events).await;
                self.status
                    .send_modify(|st| st.messages_out.update += packed.updates);
            }
            ToPeer::MaxPrefix(max) => {
                let nb = &self.setup.neighbor;
                if nb.max_prefixes_warning_only {
                    tracing::warn!(peer = %self.addr(), max, "max_prefixes exceeded (warning only)");
                    return;
                }
                events.push_back(Event::AutomaticStop(session::max_prefix_cease(max)));
                // No automatic reconnect: the peer stays down until the
                // restart timer (if any) or an operator enables it again.
                events.push_back(Event::ManualStop { message: None });
                self.held = true;
                self.restart_at = nb
                    .max_prefixes_restart
                    .map(|s| tokio::time::Instant::now() + Duration::from_secs(u64::from(s)));
            }
            ToPeer::RequestRefresh => self.request_refresh(events).await,
            ToPeer::Stage(s) => self.stage = Some(*s),
            ToPeer::EndOfRib(families) => {
                for f in families {
                    self.send(Message::Update(Update::end_of_rib(f)), events)
                        .await;
                }
            }
            ToPeer::RefreshBegin(f) | ToPeer::RefreshEnd(f) => {
                let subtype = if matches!(msg, ToPeer::RefreshBegin(_)) {
                    RefreshSubtype::BeginOfRefresh
                } else {
                    RefreshSubtype::EndOfRefresh
                };
                let r = RouteRefresh {
                    family: f,
                    subtype,
                    trailing: Vec::new(),
                };
                self.send(Message::RouteRefresh(r), events).await;
            }
        }
    }
}
