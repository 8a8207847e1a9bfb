//! Linux socket options a BGP speaker needs that std and tokio do not
//! offer: TCP MD5 signatures (RFC 2385) and the Generalized TTL Security
//! Mechanism (GTSM, RFC 5082).
//!
//! This is the only crate of the workspace allowed `unsafe`: the two raw
//! calls live in `sys.rs`, each behind a SAFETY comment, and take byte
//! slices built here in safe code, so the unsafe surface is two FFI calls
//! with a pointer and a length, and those without one (`heap.rs`: glibc's
//! `malloc_trim`; `priority.rs`: a thread's nice value), the other system
//! calls the daemon needs and std lacks.
//!
//! Everything takes `&impl AsFd` (tokio and std sockets, listeners and
//! streams) and works on IPv4 and IPv6 sockets alike: an IPv4 peer on an
//! IPv6 (dual-stack) socket is keyed by its v4-mapped address, as Linux
//! expects.

mod heap;
mod md5;
mod priority;
mod sys;
mod ttl;

pub use heap::release_free_heap;
pub use md5::{set_md5_key, set_md5_key_prefix, MAX_KEY_LEN};
pub use priority::lower_thread_priority;
pub use ttl::{set_min_ttl, set_ttl};

#[cfg(test)]
mod tests;
