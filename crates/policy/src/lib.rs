//! # rbgp-policy
//!
//! Routing policy, sans-IO: what an operator writes (named [`DefinedSets`]
//! and [`PolicyDef`]s of terms with conditions and actions, attached as
//! [`ChainDef`]s), compiled once into [`Policies`] (prefix sets as tries,
//! regular expressions built once, names resolved to indices), and run by
//! an [`Evaluator`] per session and direction, which memoises what depends
//! only on the attribute set.
//!
//! Semantics: a chain tries its policies in order; a policy tries its
//! terms in order. A term matches when all its conditions hold; its
//! actions then apply and its result decides: `accept` or `reject` end the
//! chain, `next` goes on with the next term. A policy where no term
//! decided ends with its default (`next`: on to the next policy). A chain
//! where no policy decided ends with its default (reject unless set).
//!
//! Not to be confused with `rbgp_rib::rules`, the built-in propagation
//! rules (loop checks, eBGP/iBGP/RR/RS export) that hold whatever policy
//! says.
#![forbid(unsafe_code)]

mod compile;
mod error;
mod eval;
pub mod model;
mod route;
pub mod sets;

pub use compile::{Chain, NextHopAction, Policies, TermHits, ACCEPT_ALL, REJECT_ALL};
pub use error::PolicyError;
pub use eval::{Decided, Evaluator, Outcome, Step, MEMO_MAX};
pub use model::{
    Actions, ChainDef, Conditions, DefinedSets, Disposition, PolicyConfig, PolicyDef, Range,
    SetMatch, TermDef,
};
pub use route::{Aspa, RouteCtx, Rpki, Session, Source};
