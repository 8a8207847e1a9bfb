//! ROUTE-REFRESH (RFC 2918) with the RFC 7313 subtypes (BoRR / EoRR).

use crate::afi::{Afi, AfiSafi, Safi};
use crate::error::WireError;
use crate::reader::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RefreshSubtype {
    Normal,
    /// Beginning of Route Refresh (RFC 7313 §3.2).
    BeginOfRefresh,
    /// End of Route Refresh.
    EndOfRefresh,
    Other(u8),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RouteRefresh {
    pub family: AfiSafi,
    pub subtype: RefreshSubtype,
    /// ORF entries (RFC 5291) or anything else after the fixed part.
    #[cfg_attr(
        feature = "serde",
        serde(
            serialize_with = "crate::attr::ser_hex",
            skip_serializing_if = "Vec::is_empty"
        )
    )]
    pub trailing: Vec<u8>,
}

impl RouteRefresh {
    pub fn new(family: AfiSafi, subtype: RefreshSubtype) -> Self {
        RouteRefresh {
            family,
            subtype,
            trailing: Vec::new(),
        }
    }

    /// RFC 7313 §5: a message shorter than 4 octets is "Invalid Message
    /// Length" (the caller turns that into NOTIFICATION 7/1).
    pub fn decode(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "ROUTE-REFRESH");
        let afi = r.u16()?;
        let sub = r.u8()?;
        let safi = r.u8()?;
        let subtype = match sub {
            0 => RefreshSubtype::Normal,
            1 => RefreshSubtype::BeginOfRefresh,
            2 => RefreshSubtype::EndOfRefresh,
            x => RefreshSubtype::Other(x),
        };
        Ok(RouteRefresh {
            family: AfiSafi::new(Afi(afi), Safi(safi)),
            subtype,
            trailing: r.rest().to_vec(),
        })
    }

    pub fn encode_body(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.family.afi.0.to_be_bytes());
        out.push(match self.subtype {
            RefreshSubtype::Normal => 0,
            RefreshSubtype::BeginOfRefresh => 1,
            RefreshSubtype::EndOfRefresh => 2,
            RefreshSubtype::Other(x) => x,
        });
        out.push(self.family.safi.0);
        out.extend_from_slice(&self.trailing);
    }
}
