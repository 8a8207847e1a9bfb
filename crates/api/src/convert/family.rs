//! Family <-> AfiSafi.

use rbgp_wire::{Afi, AfiSafi, Safi};

use crate::v1::Family;
use crate::FieldError;

pub fn family_to_proto(f: AfiSafi) -> Family {
    Family {
        afi: u32::from(f.afi.0),
        safi: u32::from(f.safi.0),
    }
}

/// `None` (field unset) stays `None`; numbers must fit AFI (16 bits) and
/// SAFI (8 bits).
pub fn family_from_proto(f: Option<&Family>, field: &str) -> Result<Option<AfiSafi>, FieldError> {
    let Some(f) = f else { return Ok(None) };
    let afi = u16::try_from(f.afi)
        .map_err(|_| FieldError::new(format!("{field}.afi"), "must be below 65536"))?;
    let safi = u8::try_from(f.safi)
        .map_err(|_| FieldError::new(format!("{field}.safi"), "must be below 256"))?;
    Ok(Some(AfiSafi::new(Afi(afi), Safi(safi))))
}
