//! What is wrong with a policy definition: the field it is in, and why.

/// An error in a definition, naming where it is
/// (`definitions[2] (rs-in).terms[0] (bogons).if.prefix_in`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PolicyError {
    pub field: String,
    pub reason: String,
}

impl PolicyError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PolicyError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error inside `outer` (`outer.field`).
    pub fn within(self, outer: &str) -> Self {
        PolicyError {
            field: format!("{outer}.{}", self.field),
            reason: self.reason,
        }
    }
}
