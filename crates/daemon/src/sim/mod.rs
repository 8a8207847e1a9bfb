//! In-process tests of the routing logic: the real RIB task driven over
//! its real channels by simulated peers, no sockets, no namespaces, no
//! root. A simulated peer goes through the same code as a real one where
//! it matters: its session parameters come from a neighbor's TOML through
//! `peer::setup` and `peer::session`, what it announces is encoded and
//! decoded as on the wire, and what the RIB exports to it is packed into
//! UPDATEs by `peer::pack` and decoded into the table the peer would hold.
//!
//! Time is tokio's: tests that need timers run with a paused clock
//! (`#[tokio::test(start_paused = true)]`) and move it with
//! [`Sim::advance`].

pub(crate) mod harness;

mod add_path;
mod bmp;
mod collect;
mod export_rules;
mod flow;
mod injection;
mod journal;
mod model;
mod pages;
mod policy;
mod retention;
pub(crate) mod rpki;
