//! # rbgp-fsm
//!
//! The BGP-4 finite state machine of RFC 4271 §8 and OPEN capability
//! negotiation, without I/O and without clocks: the caller feeds
//! [`Event`]s (messages received, TCP happenings, timer expiries) and
//! performs the returned [`Action`]s (send this message, start that timer,
//! drop the connection). Timers are named, not run: the shell owns time.
//!
//! ```
//! use rbgp_fsm::{Action, Event, Fsm, PeerConfig, State};
//! let mut fsm = Fsm::new(PeerConfig::new(65000, "192.0.2.1".parse().unwrap(), Some(65001)));
//! let actions = fsm.handle(Event::ManualStart);
//! assert_eq!(fsm.state(), State::Connect);
//! assert!(actions.contains(&Action::Connect));
//! ```
#![forbid(unsafe_code)]

mod config;
mod fsm;
mod negotiate;

pub use config::{AddPathMode, PeerConfig};
pub use fsm::{Action, DownReason, Event, Fsm, State, Timer};
pub use negotiate::{collision_winner, negotiate, CollisionWinner, Negotiated};
