//! rbgpd as a library: the daemon's tasks and its control interface, so
//! that the API layer and tests can start a daemon in-process and drive it
//! through [`handle::Handle`]. The `rbgpd` binary is a thin `main` on top.
//!
//! - [`tasks`] is the map: every task, every channel, every message that
//!   crosses between them.
//! - [`daemon::start`] wires the tasks: one RIB task (sole owner of
//!   routing state), a supervisor owning one task per peer, listeners.
//! - [`control`] is the vocabulary of requests and answers, [`handle`] the
//!   way to send them, [`metrics`] the counters the tasks keep.

pub mod api;
pub mod bmp;
mod clock;
pub mod control;
pub mod daemon;
pub mod handle;
mod listener;
mod loglimit;
pub mod looking_glass;
pub mod metrics;
pub mod mrt;
mod peer;
pub mod rib_task;
pub mod rpki;
pub(crate) mod runs;
mod secret;
#[cfg(test)]
mod sim;
mod sockets;
mod stage;
mod supervisor;
pub mod tasks;
