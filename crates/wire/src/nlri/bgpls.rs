//! STUB: replaced by the real implementation.
use std::fmt;
use std::str::FromStr;

#[allow(unused_imports)]
use crate::afi::Afi;
use crate::error::{ParseError, WireError};
use crate::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BgpLsNlri {
    pub raw: Vec<u8>,
}

impl BgpLsNlri {
    pub fn decode(r: &mut Reader<'_>, _vpn: bool) -> Result<Self, WireError> {
        let _ = r.rest();
        Err(WireError::malformed("BgpLsNlri", "not implemented"))
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.raw);
    }
}

impl fmt::Display for BgpLsNlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BgpLsNlri({} bytes)", self.raw.len())
    }
}

impl FromStr for BgpLsNlri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Err(ParseError::new("BgpLsNlri", s, "not implemented"))
    }
}

/// STUB: the BGP-LS attribute (type 29).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BgpLsAttribute {
    pub raw: Vec<u8>,
}

impl BgpLsAttribute {
    pub fn decode(value: &[u8]) -> Result<Self, WireError> {
        Ok(BgpLsAttribute {
            raw: value.to_vec(),
        })
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.raw);
    }
}
