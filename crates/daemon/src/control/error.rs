//! Why a control request failed.

use std::net::IpAddr;

/// Why a control request failed. The API maps these to gRPC codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("no neighbor {0}")]
    NoSuchNeighbor(IpAddr),
    #[error("neighbor {0} already exists")]
    NeighborExists(IpAddr),
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("the daemon is shutting down")]
    ShuttingDown,
}

impl ControlError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ControlError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
