//! rbgpd as a library: the daemon's tasks and its control interface, so
//! that the API layer and tests can start a daemon in-process and drive it
//! through [`control::Handle`]. The `rbgpd` binary is a thin `main` on top.
//!
//! - [`daemon::start`] wires the tasks: one RIB task (sole owner of
//!   routing state), a supervisor owning one task per peer, listeners.
//! - [`control`] is the request/answer vocabulary between them and users.

pub mod api;
mod collision;
pub mod control;
mod convert;
pub mod daemon;
mod listener;
mod peer;
pub mod rib_task;
mod sockets;
mod supervisor;
mod timers;
