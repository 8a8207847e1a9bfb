//! Statistics Report counters (RFC 7854 §4.8, RFC 8671 §6, RFC 9972).
//!
//! Each stat is type (2) / length (2) / value. The value's form follows
//! from the type: a 32-bit counter, a 64-bit gauge, or a per-AFI/SAFI
//! gauge (AFI 2, SAFI 1, gauge 8). A known type whose length does not fit
//! its form, and any unknown type, is kept raw so it re-encodes unchanged.
//! Types from 18 on (RFC 9972 and later drafts) are all gauges, plain or
//! per-AFI/SAFI, and are read by length (8 or 11 octets).

use rbgp_wire::reader::Reader;
use rbgp_wire::{Afi, AfiSafi, Safi};

use crate::error::BmpError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Counter32,
    Gauge64,
    AfiSafiGauge64,
    /// RFC 9972 and later: gauge, plain or per-AFI/SAFI, told by length.
    ByLength,
}

fn form(ty: u16) -> Option<Form> {
    Some(match ty {
        // RFC 7854 §4.8: 0-6, 11-13 are 32-bit counters.
        0..=6 | 11..=13 => Form::Counter32,
        // 7, 8 (RFC 7854); 14, 15 (RFC 8671 §6): 64-bit gauges.
        7 | 8 | 14 | 15 => Form::Gauge64,
        // 9, 10 (RFC 7854); 16, 17 (RFC 8671 §6): AFI, SAFI, 64-bit gauge.
        9 | 10 | 16 | 17 => Form::AfiSafiGauge64,
        18..=0x7fff => Form::ByLength,
        _ => return None,
    })
}

/// A stat type's name (IANA "BMP Statistics Types").
pub fn stat_name(ty: u16) -> &'static str {
    match ty {
        0 => "rejected_prefixes",
        1 => "duplicate_prefix_advertisements",
        2 => "duplicate_withdraws",
        3 => "invalidated_cluster_list_loop",
        4 => "invalidated_as_path_loop",
        5 => "invalidated_originator_id",
        6 => "invalidated_as_confed_loop",
        7 => "adj_rib_in_routes",
        8 => "loc_rib_routes",
        9 => "per_afi_safi_adj_rib_in_routes",
        10 => "per_afi_safi_loc_rib_routes",
        11 => "updates_treat_as_withdraw",
        12 => "prefixes_treat_as_withdraw",
        13 => "duplicate_updates",
        14 => "pre_policy_adj_rib_out_routes",
        15 => "post_policy_adj_rib_out_routes",
        16 => "per_afi_safi_pre_policy_adj_rib_out_routes",
        17 => "per_afi_safi_post_policy_adj_rib_out_routes",
        18 => "pre_policy_adj_rib_in_routes",
        19 => "per_afi_safi_pre_policy_adj_rib_in_routes",
        20 => "post_policy_adj_rib_in_routes",
        21 => "per_afi_safi_post_policy_adj_rib_in_routes",
        22 => "per_afi_safi_rejected_by_inbound_policy",
        23 => "per_afi_safi_accepted_by_inbound_policy",
        _ => "unknown",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatValue {
    Counter32(u32),
    Gauge64(u64),
    AfiSafiGauge64 { afi_safi: AfiSafi, value: u64 },
    Raw(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stat {
    pub ty: u16,
    pub value: StatValue,
}

impl Stat {
    pub fn counter(ty: u16, v: u32) -> Self {
        Stat {
            ty,
            value: StatValue::Counter32(v),
        }
    }
    pub fn gauge(ty: u16, v: u64) -> Self {
        Stat {
            ty,
            value: StatValue::Gauge64(v),
        }
    }
    pub fn per_afi_safi(ty: u16, afi_safi: AfiSafi, value: u64) -> Self {
        Stat {
            ty,
            value: StatValue::AfiSafiGauge64 { afi_safi, value },
        }
    }

    /// The number, whatever its form (None for raw values).
    pub fn number(&self) -> Option<u64> {
        match self.value {
            StatValue::Counter32(v) => Some(u64::from(v)),
            StatValue::Gauge64(v) | StatValue::AfiSafiGauge64 { value: v, .. } => Some(v),
            StatValue::Raw(_) => None,
        }
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<Self, BmpError> {
        let ty = r.u16()?;
        let len = usize::from(r.u16()?);
        let data = r.take(len)?;
        let mut d = Reader::new(data, "BMP statistic");
        let value = match (form(ty), len) {
            (Some(Form::Counter32), 4) => StatValue::Counter32(d.u32()?),
            (Some(Form::Gauge64 | Form::ByLength), 8) => StatValue::Gauge64(d.u64()?),
            (Some(Form::AfiSafiGauge64 | Form::ByLength), 11) => {
                let afi = Afi(d.u16()?);
                let safi = Safi(d.u8()?);
                StatValue::AfiSafiGauge64 {
                    afi_safi: AfiSafi::new(afi, safi),
                    value: d.u64()?,
                }
            }
            _ => StatValue::Raw(data.to_vec()),
        };
        Ok(Stat { ty, value })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ty.to_be_bytes());
        match &self.value {
            StatValue::Counter32(v) => {
                out.extend_from_slice(&4u16.to_be_bytes());
                out.extend_from_slice(&v.to_be_bytes());
            }
            StatValue::Gauge64(v) => {
                out.extend_from_slice(&8u16.to_be_bytes());
                out.extend_from_slice(&v.to_be_bytes());
            }
            StatValue::AfiSafiGauge64 { afi_safi, value } => {
                out.extend_from_slice(&11u16.to_be_bytes());
                out.extend_from_slice(&afi_safi.afi.0.to_be_bytes());
                out.push(afi_safi.safi.0);
                out.extend_from_slice(&value.to_be_bytes());
            }
            StatValue::Raw(b) => {
                let b = b.get(..usize::from(u16::MAX)).unwrap_or(b);
                out.extend_from_slice(&(b.len() as u16).to_be_bytes());
                out.extend_from_slice(b);
            }
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Stat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", &self.ty)?;
        m.serialize_entry("name", stat_name(self.ty))?;
        match &self.value {
            StatValue::Counter32(v) => m.serialize_entry("value", v)?,
            StatValue::Gauge64(v) => m.serialize_entry("value", v)?,
            StatValue::AfiSafiGauge64 { afi_safi, value } => {
                m.serialize_entry("afi", &afi_safi.afi.0)?;
                m.serialize_entry("safi", &afi_safi.safi.0)?;
                m.serialize_entry("afi_safi", afi_safi)?;
                m.serialize_entry("value", value)?;
            }
            StatValue::Raw(b) => m.serialize_entry("hex", &crate::hex(b))?,
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rt(bytes: &[u8]) -> Stat {
        let s = Stat::decode(&mut Reader::new(bytes, "t")).unwrap();
        let mut b = Vec::new();
        s.encode(&mut b);
        assert_eq!(b, bytes);
        s
    }

    #[test]
    fn forms() {
        assert_eq!(rt(&[0, 0, 0, 4, 0, 0, 0, 9]).value, StatValue::Counter32(9));
        assert_eq!(
            rt(&[0, 7, 0, 8, 0, 0, 0, 0, 0, 0, 1, 0]).value,
            StatValue::Gauge64(256)
        );
        let s = rt(&[0, 16, 0, 11, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(
            s.value,
            StatValue::AfiSafiGauge64 {
                afi_safi: AfiSafi::IPV6_UNICAST,
                value: 5
            }
        );
        // A 32-bit value for a 64-bit gauge type: kept raw.
        assert_eq!(
            rt(&[0, 7, 0, 4, 0, 0, 0, 1]).value,
            StatValue::Raw(vec![0, 0, 0, 1])
        );
        // RFC 9972 types by length.
        assert_eq!(rt(&[0, 20, 0, 8, 0, 0, 0, 0, 0, 0, 0, 3]).number(), Some(3));
        assert_eq!(
            rt(&[0, 21, 0, 11, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 3]).number(),
            Some(3)
        );
        // Unknown (experimental range) types raw.
        assert_eq!(
            rt(&[0xff, 0xfe, 0, 2, 1, 2]).value,
            StatValue::Raw(vec![1, 2])
        );
    }
}
