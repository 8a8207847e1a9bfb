//! MPLS label stack entries as carried in NLRI (RFC 8277 §2): 3 octets,
//! 20-bit label, 3 bits TC/EXP, bottom-of-stack bit. Stored raw so that the
//! withdraw value 0x800000 (RFC 3107) and odd TC bits re-encode unchanged.

use std::fmt;

use crate::error::WireError;
use crate::reader::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(u32);

impl Label {
    /// RFC 8277 §2.4: the "compatibility" label value in withdrawals.
    pub const WITHDRAW: Label = Label(0x80_0000);

    /// A label with the given 20-bit value and bottom-of-stack bit.
    pub fn new(value: u32, bottom: bool) -> Self {
        Label(((value & 0xf_ffff) << 4) | u32::from(bottom))
    }
    /// From the raw 24-bit field.
    pub fn from_raw(raw: u32) -> Self {
        Label(raw & 0xff_ffff)
    }
    pub fn raw(&self) -> u32 {
        self.0
    }
    pub fn value(&self) -> u32 {
        self.0 >> 4
    }
    pub fn bottom_of_stack(&self) -> bool {
        self.0 & 1 == 1
    }
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Label(r.u24()?))
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes()[1..]);
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.value())
    }
}
