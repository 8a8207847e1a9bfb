//! rbgp's test scaffolding, shared by the integration and unit tests of
//! every crate (a dev-dependency only, never published):
//!
//! - [`Lab`]: network namespaces on a private bridge, one per host of a
//!   [`Topology`], with the processes of one test and their logs; starters
//!   for BIRD, FRR, GoBGP and ExaBGP inside it (`bird.rs`, `frr.rs`,
//!   `gobgp.rs`, `exabgp.rs`), and StayRTR as an RPKI cache (`rtr.rs`).
//! - Peers on 127.0.0.1 instead: [`bird_local`], [`gobgpd_local`],
//!   [`pmbmpd`], each a [`Daemon`] stopped when dropped.
//! - [`sh`], [`need`] (a missing tool fails the test, naming how
//!   `scripts/test.sh` installs it), [`free_port`], [`wait_connect`].
//! - [`data_dir`]: the shared real captures; [`unhex`].
//! - [`Lab::tansu_in`], [`Lab::kafka_read`]: a Kafka-protocol broker and an
//!   independent client (kafka-python) reading its topics.
//! - [`tshark`]: running it and reading its JSON.
//! - [`mrt_gen`]: deterministic generators of BGP attribute and MRT bytes.
//!
//! Depends on nothing of ours (see Cargo.toml), so any crate's own unit
//! tests can use it.
// Test support: a failed set-up is a failed test, and the panic says why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod bird;
mod data;
mod exabgp;
mod frr;
mod gobgp;
mod kafka;
mod lab;
pub mod mrt_gen;
mod pmacct;
mod process;
mod rtr;
pub mod tshark;

pub use bird::{bird_local, bird_since};
pub use data::{data, data_dir, unhex};
pub use frr::FRR_BGPD;
pub use gobgp::{gobgpd_local, GOBGP_API_PORT};
pub use kafka::KafkaRecord;
pub use lab::{Lab, Topology};
pub use pmacct::pmbmpd;
pub use process::{free_port, need, sh, wait_connect, workspace_bin, Daemon};
pub use rtr::VRP_SNAPSHOT;
