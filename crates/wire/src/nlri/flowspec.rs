//! STUB: replaced by the real implementation.
use std::fmt;
use std::str::FromStr;

#[allow(unused_imports)]
use crate::afi::Afi;
use crate::error::{ParseError, WireError};
use crate::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FlowSpec {
    pub raw: Vec<u8>,
}

impl FlowSpec {
    pub fn decode(r: &mut Reader<'_>, _afi: Afi, _vpn: bool) -> Result<Self, WireError> {
        let _ = r.rest();
        Err(WireError::malformed("FlowSpec", "not implemented"))
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.raw);
    }
}

impl fmt::Display for FlowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FlowSpec({} bytes)", self.raw.len())
    }
}

impl FromStr for FlowSpec {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Err(ParseError::new("FlowSpec", s, "not implemented"))
    }
}
