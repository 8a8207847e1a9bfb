//! Small fixed-form attributes: ORIGIN, AGGREGATOR / AS4_AGGREGATOR, AIGP,
//! PMSI_TUNNEL, and the TLV-based TUNNEL_ENCAPSULATION and PREFIX_SID.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use crate::error::{ParseError, WireError};
use crate::nlri::Label;
use crate::reader::Reader;

/// ORIGIN (RFC 4271 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Origin {
    Igp = 0,
    Egp = 1,
    Incomplete = 2,
}

impl Origin {
    /// RFC 7606 §7.1: length other than 1 or an undefined value is malformed.
    pub fn decode(value: &[u8]) -> Result<Origin, WireError> {
        match value {
            [0] => Ok(Origin::Igp),
            [1] => Ok(Origin::Egp),
            [2] => Ok(Origin::Incomplete),
            [v] => Err(WireError::invalid("ORIGIN", *v)),
            _ => Err(WireError::BadLength {
                what: "ORIGIN",
                len: value.len(),
            }),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Igp => "IGP",
            Origin::Egp => "EGP",
            Origin::Incomplete => "INCOMPLETE",
        })
    }
}

impl FromStr for Origin {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s.to_ascii_lowercase().as_str() {
            "igp" | "i" => Ok(Origin::Igp),
            "egp" | "e" => Ok(Origin::Egp),
            "incomplete" | "?" => Ok(Origin::Incomplete),
            _ => Err(ParseError::new(
                "origin",
                s,
                "expected igp, egp or incomplete",
            )),
        }
    }
}

/// AGGREGATOR (RFC 4271 §5.1.7) and AS4_AGGREGATOR (RFC 6793).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Aggregator {
    pub asn: u32,
    pub address: Ipv4Addr,
}

impl Aggregator {
    /// RFC 7606 §7.7: length must be 6 (2-octet AS) or 8 (4-octet AS),
    /// as negotiated.
    pub fn decode(value: &[u8], four_octet: bool) -> Result<Self, WireError> {
        let mut r = Reader::new(value, "AGGREGATOR");
        let want = if four_octet { 8 } else { 6 };
        if value.len() != want {
            return Err(WireError::BadLength {
                what: "AGGREGATOR",
                len: value.len(),
            });
        }
        let asn = if four_octet {
            r.u32()?
        } else {
            u32::from(r.u16()?)
        };
        Ok(Aggregator {
            asn,
            address: r.ipv4()?,
        })
    }

    pub fn encode(&self, four_octet: bool, out: &mut Vec<u8>) {
        if four_octet {
            out.extend_from_slice(&self.asn.to_be_bytes());
        } else {
            let a = u16::try_from(self.asn).unwrap_or(super::as_path::AS_TRANS as u16);
            out.extend_from_slice(&a.to_be_bytes());
        }
        out.extend_from_slice(&self.address.octets());
    }
}

/// A generic TLV with a 1-octet type and 2-octet length, as used by AIGP
/// (RFC 7311) and PREFIX_SID (RFC 8669).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tlv {
    pub ty: u8,
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::attr::ser_hex"))]
    pub value: Vec<u8>,
}

fn decode_tlvs(
    value: &[u8],
    what: &'static str,
    len_includes_header: bool,
) -> Result<Vec<Tlv>, WireError> {
    let mut r = Reader::new(value, what);
    let mut out = Vec::new();
    while !r.is_empty() {
        let ty = r.u8()?;
        let len = usize::from(r.u16()?);
        let body_len = if len_includes_header {
            len.checked_sub(3)
                .ok_or(WireError::BadLength { what, len })?
        } else {
            len
        };
        out.push(Tlv {
            ty,
            value: r.take(body_len)?.to_vec(),
        });
    }
    Ok(out)
}

fn encode_tlvs(tlvs: &[Tlv], len_includes_header: bool, out: &mut Vec<u8>) {
    for t in tlvs {
        out.push(t.ty);
        let len = t.value.len() + if len_includes_header { 3 } else { 0 };
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&t.value);
    }
}

/// AIGP (RFC 7311). The TLV length includes the 3-octet header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Aigp {
    pub tlvs: Vec<Tlv>,
}

impl Aigp {
    pub fn metric(value: u64) -> Self {
        Aigp {
            tlvs: vec![Tlv {
                ty: 1,
                value: value.to_be_bytes().to_vec(),
            }],
        }
    }
    pub fn decode(value: &[u8]) -> Result<Self, WireError> {
        let tlvs = decode_tlvs(value, "AIGP", true)?;
        // RFC 7311 §3.1: the AIGP TLV (type 1) has an 8-octet value.
        if tlvs.iter().any(|t| t.ty == 1 && t.value.len() != 8) {
            return Err(WireError::malformed(
                "AIGP",
                "AIGP TLV value is not 8 octets",
            ));
        }
        Ok(Aigp { tlvs })
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_tlvs(&self.tlvs, true, out)
    }
    /// The accumulated IGP metric (first AIGP TLV).
    pub fn value(&self) -> Option<u64> {
        self.tlvs
            .iter()
            .find(|t| t.ty == 1)
            .and_then(|t| <[u8; 8]>::try_from(t.value.as_slice()).ok())
            .map(u64::from_be_bytes)
    }
}

/// PREFIX_SID (RFC 8669): TLVs with a 2-octet length that excludes the header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PrefixSid {
    pub tlvs: Vec<Tlv>,
}

impl PrefixSid {
    pub fn decode(value: &[u8]) -> Result<Self, WireError> {
        let tlvs = decode_tlvs(value, "PREFIX_SID", false)?;
        // RFC 8669 §3.1: the Label-Index TLV is exactly 7 octets.
        if tlvs.iter().any(|t| t.ty == 1 && t.value.len() != 7) {
            return Err(WireError::malformed(
                "PREFIX_SID",
                "Label-Index TLV is not 7 octets",
            ));
        }
        Ok(PrefixSid { tlvs })
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_tlvs(&self.tlvs, false, out)
    }
    /// The label index of the Label-Index TLV (RFC 8669 §3.1).
    pub fn label_index(&self) -> Option<u32> {
        self.tlvs
            .iter()
            .find(|t| t.ty == 1)
            .and_then(|t| t.value.get(3..7))
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
    }
}

/// PMSI_TUNNEL (RFC 6514 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PmsiTunnel {
    pub flags: u8,
    pub tunnel_type: u8,
    pub label: Label,
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::attr::ser_hex"))]
    pub tunnel_id: Vec<u8>,
}

impl PmsiTunnel {
    pub fn decode(value: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(value, "PMSI_TUNNEL");
        Ok(PmsiTunnel {
            flags: r.u8()?,
            tunnel_type: r.u8()?,
            label: Label::decode(&mut r)?,
            tunnel_id: r.rest().to_vec(),
        })
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.flags);
        out.push(self.tunnel_type);
        self.label.encode(out);
        out.extend_from_slice(&self.tunnel_id);
    }
}

/// One tunnel of TUNNEL_ENCAPSULATION (RFC 9012 §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tunnel {
    pub tunnel_type: u16,
    pub sub_tlvs: Vec<SubTlv>,
}

/// A tunnel sub-TLV: types 0-127 have a 1-octet length, 128-255 a 2-octet
/// length (RFC 9012 §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SubTlv {
    pub ty: u8,
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::attr::ser_hex"))]
    pub value: Vec<u8>,
}

/// TUNNEL_ENCAPSULATION (RFC 9012).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TunnelEncap {
    pub tunnels: Vec<Tunnel>,
}

impl TunnelEncap {
    pub fn decode(value: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(value, "TUNNEL_ENCAPSULATION");
        let mut tunnels = Vec::new();
        while !r.is_empty() {
            let tunnel_type = r.u16()?;
            let len = usize::from(r.u16()?);
            let mut s = Reader::new(r.take(len)?, "TUNNEL_ENCAPSULATION sub-TLV");
            let mut sub_tlvs = Vec::new();
            while !s.is_empty() {
                let ty = s.u8()?;
                let l = if ty >= 128 {
                    usize::from(s.u16()?)
                } else {
                    usize::from(s.u8()?)
                };
                sub_tlvs.push(SubTlv {
                    ty,
                    value: s.take(l)?.to_vec(),
                });
            }
            tunnels.push(Tunnel {
                tunnel_type,
                sub_tlvs,
            });
        }
        Ok(TunnelEncap { tunnels })
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        for t in &self.tunnels {
            out.extend_from_slice(&t.tunnel_type.to_be_bytes());
            let len: usize = t
                .sub_tlvs
                .iter()
                .map(|s| s.value.len() + if s.ty >= 128 { 3 } else { 2 })
                .sum();
            out.extend_from_slice(&(len as u16).to_be_bytes());
            for s in &t.sub_tlvs {
                out.push(s.ty);
                if s.ty >= 128 {
                    out.extend_from_slice(&(s.value.len() as u16).to_be_bytes());
                } else {
                    out.push(s.value.len() as u8);
                }
                out.extend_from_slice(&s.value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin() {
        assert_eq!(Origin::decode(&[2]).unwrap(), Origin::Incomplete);
        assert!(Origin::decode(&[3]).is_err());
        assert!(Origin::decode(&[0, 0]).is_err());
        assert!(Origin::decode(&[]).is_err());
    }

    #[test]
    fn aggregator_widths() {
        let a = Aggregator::decode(&[0xfd, 0xe8, 192, 0, 2, 1], false).unwrap();
        assert_eq!(a.asn, 65000);
        assert!(Aggregator::decode(&[0xfd, 0xe8, 192, 0, 2, 1], true).is_err());
        let mut out = Vec::new();
        Aggregator {
            asn: 4200000000,
            address: a.address,
        }
        .encode(false, &mut out);
        assert_eq!(out, [0x5b, 0xa0, 192, 0, 2, 1]); // AS_TRANS
    }

    #[test]
    fn aigp_and_tunnel_encap() {
        let v = [1, 0, 11, 0, 0, 0, 0, 0, 0, 0, 100];
        let a = Aigp::decode(&v).unwrap();
        assert_eq!(a.value(), Some(100));
        let mut out = Vec::new();
        a.encode(&mut out);
        assert_eq!(out, v);
        assert!(Aigp::decode(&[1, 0, 2]).is_err());
        // VXLAN tunnel (8) with a color sub-TLV (4, 1-octet len) and a 2-octet-length one (130)
        let te = [0, 8, 0, 12, 4, 4, 0, 0, 0, 7, 130, 0, 3, 1, 2, 3];
        let t = TunnelEncap::decode(&te).unwrap();
        assert_eq!(t.tunnels[0].sub_tlvs.len(), 2);
        let mut out = Vec::new();
        t.encode(&mut out);
        assert_eq!(out, te);
        assert!(TunnelEncap::decode(&[0, 8, 0, 9, 4]).is_err());
    }
}
