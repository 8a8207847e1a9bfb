//! STUB: replaced by the real implementation.
use std::fmt;
use std::str::FromStr;

#[allow(unused_imports)]
use crate::afi::Afi;
use crate::error::{ParseError, WireError};
use crate::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MvpnRoute {
    pub raw: Vec<u8>,
}

impl MvpnRoute {
    pub fn decode(r: &mut Reader<'_>, _afi: Afi) -> Result<Self, WireError> {
        let _ = r.rest();
        Err(WireError::malformed("MvpnRoute", "not implemented"))
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.raw);
    }
}

impl fmt::Display for MvpnRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MvpnRoute({} bytes)", self.raw.len())
    }
}

impl FromStr for MvpnRoute {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Err(ParseError::new("MvpnRoute", s, "not implemented"))
    }
}
