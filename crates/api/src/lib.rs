//! # rbgp-api
//!
//! rbgpd's gRPC API, package `rbgp.v1`: the messages and services generated
//! from `proto/rbgp/v1/*.proto` (the public interface, see docs/API.md),
//! the descriptor set for server reflection, and conversions between the
//! messages and rbgp-wire / rbgp-rib / rbgp-config types. Conversions
//! from the API validate and fail with a [`FieldError`] naming the field,
//! which becomes INVALID_ARGUMENT.
#![forbid(unsafe_code)]

pub mod convert;
mod error;
pub mod json;
pub mod observe;

pub use error::FieldError;

/// Generated code for package `rbgp.v1`.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod v1 {
    tonic::include_proto!("rbgp.v1");
    include!(concat!(env!("OUT_DIR"), "/enum_names.rs"));
    include!(concat!(env!("OUT_DIR"), "/methods.rs"));
}

/// The encoded `FileDescriptorSet` of every rbgp.v1 file, for
/// tonic-reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/rbgp_v1_descriptor.bin"));
