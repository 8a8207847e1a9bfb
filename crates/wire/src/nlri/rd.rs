//! Route Distinguisher (RFC 4364 §4.2). Kept as its 8 raw octets so that any
//! type (including unassigned ones) re-encodes unchanged.

// Fixed-size [u8; 8] with constant indices: indexing cannot panic.
#![allow(clippy::indexing_slicing)]

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use crate::error::{ParseError, WireError};
use crate::reader::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RouteDistinguisher(pub [u8; 8]);

impl RouteDistinguisher {
    /// Type 0: 2-octet AS administrator, 4-octet assigned number.
    pub fn as2(asn: u16, value: u32) -> Self {
        let mut b = [0u8; 8];
        b[2..4].copy_from_slice(&asn.to_be_bytes());
        b[4..8].copy_from_slice(&value.to_be_bytes());
        RouteDistinguisher(b)
    }
    /// Type 1: IPv4 address administrator, 2-octet assigned number.
    pub fn ipv4(addr: Ipv4Addr, value: u16) -> Self {
        let mut b = [0u8; 8];
        b[1] = 1;
        b[2..6].copy_from_slice(&addr.octets());
        b[6..8].copy_from_slice(&value.to_be_bytes());
        RouteDistinguisher(b)
    }
    /// Type 2: 4-octet AS administrator, 2-octet assigned number.
    pub fn as4(asn: u32, value: u16) -> Self {
        let mut b = [0u8; 8];
        b[1] = 2;
        b[2..6].copy_from_slice(&asn.to_be_bytes());
        b[6..8].copy_from_slice(&value.to_be_bytes());
        RouteDistinguisher(b)
    }
    pub fn rd_type(&self) -> u16 {
        u16::from_be_bytes([self.0[0], self.0[1]])
    }
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(RouteDistinguisher(r.array()?))
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl fmt::Display for RouteDistinguisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        match self.rd_type() {
            0 => write!(f, "{}:{}", u16_at(2), u32_at(4)),
            1 => write!(f, "{}:{}", Ipv4Addr::new(b[2], b[3], b[4], b[5]), u16_at(6)),
            // Juniper's "L" suffix marks a 4-octet AS that would fit in 2.
            2 if u32_at(2) <= 0xffff => write!(f, "{}L:{}", u32_at(2), u16_at(6)),
            2 => write!(f, "{}:{}", u32_at(2), u16_at(6)),
            t => {
                write!(f, "{t}:0x")?;
                for x in &b[2..] {
                    write!(f, "{x:02x}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for RouteDistinguisher {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |why: &str| ParseError::new("route distinguisher", s, why);
        // `TYPE:0xHEX` for unassigned types, as Display prints them.
        if let Some((t, hex)) = s.split_once(":0x") {
            if let (Ok(t), true) = (t.parse::<u16>(), hex.len() == 12) {
                let mut b = [0u8; 8];
                b[..2].copy_from_slice(&t.to_be_bytes());
                for (i, x) in b[2..].iter_mut().enumerate() {
                    *x = hex
                        .get(2 * i..2 * i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .ok_or_else(|| err("bad hex"))?;
                }
                return Ok(RouteDistinguisher(b));
            }
        }
        let (admin, num) = s
            .rsplit_once(':')
            .ok_or_else(|| err("expected ADMIN:NUMBER (65000:1, 192.0.2.1:5, 4200000000:7)"))?;
        if let Ok(ip) = admin.parse::<Ipv4Addr>() {
            let n = num
                .parse::<u16>()
                .map_err(|_| err("number must fit 16 bits for an IPv4 administrator"))?;
            return Ok(Self::ipv4(ip, n));
        }
        if let Some(asn) = admin.strip_suffix('L').or_else(|| admin.strip_suffix('l')) {
            let asn = asn.parse::<u32>().map_err(|_| err("bad AS number"))?;
            let n = num
                .parse::<u16>()
                .map_err(|_| err("number must fit 16 bits for a 4-octet AS"))?;
            return Ok(Self::as4(asn, n));
        }
        let asn = admin.parse::<u32>().map_err(|_| err("bad administrator"))?;
        if let Ok(small) = u16::try_from(asn) {
            let n = num.parse::<u32>().map_err(|_| err("bad assigned number"))?;
            Ok(Self::as2(small, n))
        } else {
            let n = num
                .parse::<u16>()
                .map_err(|_| err("number must fit 16 bits for a 4-octet AS"))?;
            Ok(Self::as4(asn, n))
        }
    }
}

serialize_display!(RouteDistinguisher);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms() {
        for (s, t) in [
            ("65000:1", 0),
            ("192.0.2.1:5", 1),
            ("4200000000:7", 2),
            ("65000L:7", 2),
        ] {
            let rd: RouteDistinguisher = s.parse().unwrap();
            assert_eq!(rd.rd_type(), t, "{s}");
            assert_eq!(rd.to_string(), s);
        }
        assert!("65000".parse::<RouteDistinguisher>().is_err());
        assert!("4200000000:70000".parse::<RouteDistinguisher>().is_err());
        assert_eq!(
            RouteDistinguisher([0, 9, 1, 2, 3, 4, 5, 6]).to_string(),
            "9:0x010203040506"
        );
    }
}
