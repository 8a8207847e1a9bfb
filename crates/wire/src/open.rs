//! OPEN (RFC 4271 §4.2) with capabilities (RFC 5492) and extended optional
//! parameters length (RFC 9072).

use std::net::Ipv4Addr;

use crate::attr::AS_TRANS;
use crate::capability::Capability;
use crate::error::WireError;
use crate::reader::Reader;

/// Optional parameter type carrying capabilities (RFC 5492 §4).
pub const PARAM_CAPABILITIES: u8 = 2;
/// RFC 9072 §2: marks the extended optional parameters form.
const PARAM_EXTENDED: u8 = 255;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum OptParam {
    Capabilities(Vec<Capability>),
    Other {
        ty: u8,
        #[cfg_attr(feature = "serde", serde(serialize_with = "crate::attr::ser_hex"))]
        data: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Open {
    pub version: u8,
    /// The 2-octet "My Autonomous System" field (AS_TRANS for 4-octet ASes).
    pub my_as: u16,
    pub hold_time: u16,
    pub bgp_id: Ipv4Addr,
    pub params: Vec<OptParam>,
    /// Sent with the RFC 9072 extended parameter lengths.
    pub extended_params: bool,
}

impl Open {
    /// An OPEN for `asn` with all capabilities in one parameter. A 4-octet
    /// AS goes in the capability and AS_TRANS in the header (RFC 6793 §3).
    pub fn new(asn: u32, hold_time: u16, bgp_id: Ipv4Addr, mut caps: Vec<Capability>) -> Self {
        if !caps.iter().any(|c| matches!(c, Capability::FourOctetAs(_))) {
            caps.push(Capability::FourOctetAs(asn));
        }
        Open {
            version: 4,
            my_as: u16::try_from(asn).unwrap_or(AS_TRANS as u16),
            hold_time,
            bgp_id,
            params: vec![OptParam::Capabilities(caps)],
            extended_params: false,
        }
    }

    pub fn capabilities(&self) -> impl Iterator<Item = &Capability> {
        self.params.iter().flat_map(|p| match p {
            OptParam::Capabilities(c) => c.as_slice(),
            OptParam::Other { .. } => &[],
        })
    }

    /// The speaker's AS: from the 4-octet AS capability if present.
    pub fn asn(&self) -> u32 {
        self.capabilities()
            .find_map(|c| match c {
                Capability::FourOctetAs(a) => Some(*a),
                _ => None,
            })
            .unwrap_or(u32::from(self.my_as))
    }

    pub fn decode(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "OPEN");
        let version = r.u8()?;
        let my_as = r.u16()?;
        let hold_time = r.u16()?;
        let bgp_id = r.ipv4()?;
        let mut len = usize::from(r.u8()?);
        let mut extended = false;
        if len == 255 && r.peek() == Some(PARAM_EXTENDED) {
            r.u8()?;
            len = usize::from(r.u16()?);
            extended = true;
        }
        let mut p = Reader::new(r.take(len)?, "OPEN optional parameters");
        r.finish()?;
        let mut params = Vec::new();
        while !p.is_empty() {
            let ty = p.u8()?;
            let plen = if extended {
                usize::from(p.u16()?)
            } else {
                usize::from(p.u8()?)
            };
            let data = p.take(plen)?;
            if ty == PARAM_CAPABILITIES {
                let mut c = Reader::new(data, "capability");
                let mut caps = Vec::new();
                while !c.is_empty() {
                    let code = c.u8()?;
                    let clen = usize::from(c.u8()?);
                    caps.push(Capability::decode(code, c.take(clen)?));
                }
                params.push(OptParam::Capabilities(caps));
            } else {
                params.push(OptParam::Other {
                    ty,
                    data: data.to_vec(),
                });
            }
        }
        Ok(Open {
            version,
            my_as,
            hold_time,
            bgp_id,
            params,
            extended_params: extended,
        })
    }

    pub fn encode_body(&self, out: &mut Vec<u8>) {
        out.push(self.version);
        out.extend_from_slice(&self.my_as.to_be_bytes());
        out.extend_from_slice(&self.hold_time.to_be_bytes());
        out.extend_from_slice(&self.bgp_id.octets());
        let mut params = Vec::new();
        let mut need_ext = self.extended_params;
        for p in &self.params {
            let mut v = Vec::new();
            let ty = match p {
                OptParam::Capabilities(caps) => {
                    for c in caps {
                        c.encode(&mut v);
                    }
                    PARAM_CAPABILITIES
                }
                OptParam::Other { ty, data } => {
                    v.extend_from_slice(data);
                    *ty
                }
            };
            need_ext |= v.len() > 255;
            params.push((ty, v));
        }
        let mut enc = Vec::new();
        for (ty, v) in &params {
            enc.push(*ty);
            if need_ext {
                enc.extend_from_slice(&(v.len() as u16).to_be_bytes());
            } else {
                enc.push(v.len() as u8);
            }
            enc.extend_from_slice(v);
        }
        // RFC 9072 §2: use the extended form when the parameters exceed 255 octets.
        need_ext |= enc.len() > 255;
        if need_ext && !self.extended_params && params.iter().all(|(_, v)| v.len() <= 255) {
            // Re-encode parameter lengths as 2 octets.
            enc.clear();
            for (ty, v) in &params {
                enc.push(*ty);
                enc.extend_from_slice(&(v.len() as u16).to_be_bytes());
                enc.extend_from_slice(v);
            }
        }
        if need_ext {
            out.push(255);
            out.push(PARAM_EXTENDED);
            out.extend_from_slice(&(enc.len() as u16).to_be_bytes());
        } else {
            out.push(enc.len() as u8);
        }
        out.extend_from_slice(&enc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::afi::AfiSafi;

    #[test]
    fn round_trip_and_as4() {
        let o = Open::new(
            4200000000,
            90,
            "192.0.2.1".parse().unwrap(),
            vec![
                Capability::Multiprotocol(AfiSafi::IPV4_UNICAST),
                Capability::RouteRefresh,
            ],
        );
        assert_eq!(o.my_as, 23456);
        let mut b = Vec::new();
        o.encode_body(&mut b);
        let d = Open::decode(&b).unwrap();
        assert_eq!(d, o);
        assert_eq!(d.asn(), 4200000000);
    }

    #[test]
    fn extended_params_rfc9072() {
        // Many capabilities: > 255 octets of parameters.
        let caps: Vec<Capability> = (0..70)
            .map(|i| Capability::Unknown {
                code: 200,
                data: vec![i; 4],
            })
            .collect();
        let o = Open::new(65000, 90, "192.0.2.1".parse().unwrap(), caps);
        let mut b = Vec::new();
        o.encode_body(&mut b);
        assert_eq!(b[9], 255);
        assert_eq!(b[10], 255);
        let d = Open::decode(&b).unwrap();
        assert!(d.extended_params);
        assert_eq!(d.capabilities().count(), 71);
        let mut b2 = Vec::new();
        d.encode_body(&mut b2);
        assert_eq!(b, b2);
    }

    #[test]
    fn malformed() {
        assert!(Open::decode(&[4, 0, 1]).is_err());
        // param length overruns
        assert!(Open::decode(&[4, 0, 1, 0, 90, 1, 2, 3, 4, 5, 2, 9, 1]).is_err());
        // capability length overruns its parameter
        assert!(Open::decode(&[4, 0, 1, 0, 90, 1, 2, 3, 4, 4, 2, 2, 1, 4]).is_err());
        // trailing garbage after parameters
        assert!(Open::decode(&[4, 0, 1, 0, 90, 1, 2, 3, 4, 0, 9]).is_err());
    }
}
