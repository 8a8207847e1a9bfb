//! IP prefixes and their NLRI encoding (RFC 4271 §4.3: length in bits, then
//! the minimum number of octets). Host bits past the length are cleared on
//! decode, as routers and bgpdump do.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::{ParseError, WireError};
use crate::reader::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(clippy::len_without_is_empty)]
pub struct Ipv4Prefix {
    addr: Ipv4Addr,
    len: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6Prefix {
    addr: Ipv6Addr,
    len: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prefix {
    V4(Ipv4Prefix),
    V6(Ipv6Prefix),
}

#[inline]
fn mask32(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

#[inline]
fn mask128(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

/// 0.0.0.0/0.
impl Default for Ipv4Prefix {
    fn default() -> Self {
        Ipv4Prefix {
            addr: Ipv4Addr::UNSPECIFIED,
            len: 0,
        }
    }
}

#[allow(clippy::len_without_is_empty)]
impl Ipv4Prefix {
    /// A prefix; host bits are cleared. `None` if `len > 32`.
    pub fn new(addr: Ipv4Addr, len: u8) -> Option<Self> {
        (len <= 32).then(|| Ipv4Prefix {
            addr: Ipv4Addr::from(u32::from(addr) & mask32(len)),
            len,
        })
    }
    #[inline]
    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }
    #[inline]
    pub fn len(&self) -> u8 {
        self.len
    }
    pub fn is_default(&self) -> bool {
        self.len == 0
    }
    /// Does this prefix contain (or equal) `other`?
    pub fn contains(&self, other: &Ipv4Prefix) -> bool {
        other.len >= self.len && (u32::from(other.addr) & mask32(self.len)) == u32::from(self.addr)
    }

    /// Decode one prefix from NLRI bytes (length octet first).
    #[inline]
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let len = r.u8()?;
        if len > 32 {
            return Err(WireError::invalid("IPv4 prefix length", len));
        }
        Self::decode_bits(r, len)
    }

    /// Decode the address octets of a prefix whose length is already known.
    #[inline]
    pub fn decode_bits(r: &mut Reader<'_>, len: u8) -> Result<Self, WireError> {
        if len > 32 {
            return Err(WireError::invalid("IPv4 prefix length", len));
        }
        let n = usize::from(len).div_ceil(8);
        // Fixed-size patterns: no run-time-length memcpy per prefix.
        let bits = match *r.take(n)? {
            [] => 0,
            [a] => u32::from_be_bytes([a, 0, 0, 0]),
            [a, b] => u32::from_be_bytes([a, b, 0, 0]),
            [a, b, c] => u32::from_be_bytes([a, b, c, 0]),
            [a, b, c, d] => u32::from_be_bytes([a, b, c, d]),
            _ => 0, // n <= 4
        };
        Ok(Ipv4Prefix {
            addr: Ipv4Addr::from(bits & mask32(len)),
            len,
        })
    }

    /// Number of octets in NLRI form (length octet included).
    #[inline]
    pub fn encoded_len(&self) -> usize {
        1 + usize::from(self.len).div_ceil(8)
    }

    #[inline]
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.len);
        self.encode_bits(out);
    }

    #[inline]
    pub fn encode_bits(&self, out: &mut Vec<u8>) {
        let n = usize::from(self.len).div_ceil(8);
        out.extend_from_slice(self.addr.octets().get(..n).unwrap_or(&[]));
    }
}

#[allow(clippy::len_without_is_empty)]
impl Ipv6Prefix {
    pub fn new(addr: Ipv6Addr, len: u8) -> Option<Self> {
        (len <= 128).then(|| Ipv6Prefix {
            addr: Ipv6Addr::from(u128::from(addr) & mask128(len)),
            len,
        })
    }
    #[inline]
    pub fn addr(&self) -> Ipv6Addr {
        self.addr
    }
    #[inline]
    pub fn len(&self) -> u8 {
        self.len
    }
    pub fn is_default(&self) -> bool {
        self.len == 0
    }
    pub fn contains(&self, other: &Ipv6Prefix) -> bool {
        other.len >= self.len
            && (u128::from(other.addr) & mask128(self.len)) == u128::from(self.addr)
    }

    #[inline]
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let len = r.u8()?;
        Self::decode_bits(r, len)
    }

    #[inline]
    pub fn decode_bits(r: &mut Reader<'_>, len: u8) -> Result<Self, WireError> {
        if len > 128 {
            return Err(WireError::invalid("IPv6 prefix length", len));
        }
        let n = usize::from(len).div_ceil(8);
        let bytes = r.take(n)?;
        let mut a = [0u8; 16];
        // Fixed-size copy for the common /48-/64 case; a zip loop otherwise.
        if n == 8 {
            if let (Some(d), Ok(s)) = (a.get_mut(..8), <[u8; 8]>::try_from(bytes)) {
                d.copy_from_slice(&s);
            }
        } else {
            for (d, s) in a.iter_mut().zip(bytes) {
                *d = *s;
            }
        }
        Ok(Ipv6Prefix {
            addr: Ipv6Addr::from(u128::from_be_bytes(a) & mask128(len)),
            len,
        })
    }

    #[inline]
    pub fn encoded_len(&self) -> usize {
        1 + usize::from(self.len).div_ceil(8)
    }

    #[inline]
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.len);
        self.encode_bits(out);
    }

    #[inline]
    pub fn encode_bits(&self, out: &mut Vec<u8>) {
        let n = usize::from(self.len).div_ceil(8);
        out.extend_from_slice(self.addr.octets().get(..n).unwrap_or(&[]));
    }
}

#[allow(clippy::len_without_is_empty)]
impl Prefix {
    pub fn new(addr: IpAddr, len: u8) -> Option<Self> {
        match addr {
            IpAddr::V4(a) => Ipv4Prefix::new(a, len).map(Prefix::V4),
            IpAddr::V6(a) => Ipv6Prefix::new(a, len).map(Prefix::V6),
        }
    }
    pub fn addr(&self) -> IpAddr {
        match self {
            Prefix::V4(p) => IpAddr::V4(p.addr),
            Prefix::V6(p) => IpAddr::V6(p.addr),
        }
    }
    pub fn len(&self) -> u8 {
        match self {
            Prefix::V4(p) => p.len,
            Prefix::V6(p) => p.len,
        }
    }
    pub fn is_ipv4(&self) -> bool {
        matches!(self, Prefix::V4(_))
    }
    pub fn contains(&self, other: &Prefix) -> bool {
        match (self, other) {
            (Prefix::V4(a), Prefix::V4(b)) => a.contains(b),
            (Prefix::V6(a), Prefix::V6(b)) => a.contains(b),
            _ => false,
        }
    }
    pub fn encoded_len(&self) -> usize {
        match self {
            Prefix::V4(p) => p.encoded_len(),
            Prefix::V6(p) => p.encoded_len(),
        }
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Prefix::V4(p) => p.encode(out),
            Prefix::V6(p) => p.encode(out),
        }
    }
    /// Address octets only (for NLRI types that carry the length elsewhere).
    pub fn encode_bits(&self, out: &mut Vec<u8>) {
        match self {
            Prefix::V4(p) => p.encode_bits(out),
            Prefix::V6(p) => p.encode_bits(out),
        }
    }
}

impl From<Ipv4Prefix> for Prefix {
    fn from(p: Ipv4Prefix) -> Self {
        Prefix::V4(p)
    }
}
impl From<Ipv6Prefix> for Prefix {
    fn from(p: Ipv6Prefix) -> Self {
        Prefix::V6(p)
    }
}

impl fmt::Display for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}
impl fmt::Display for Ipv6Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}
impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prefix::V4(p) => p.fmt(f),
            Prefix::V6(p) => p.fmt(f),
        }
    }
}

fn split_prefix<'a>(s: &'a str, what: &'static str) -> Result<(&'a str, u8), ParseError> {
    let (a, l) = s
        .split_once('/')
        .ok_or_else(|| ParseError::new(what, s, "expected ADDRESS/LENGTH"))?;
    let l = l
        .parse::<u8>()
        .map_err(|_| ParseError::new(what, s, "length is not a number"))?;
    Ok((a, l))
}

impl FromStr for Ipv4Prefix {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (a, l) = split_prefix(s, "IPv4 prefix")?;
        let a: Ipv4Addr = a
            .parse()
            .map_err(|_| ParseError::new("IPv4 prefix", s, "bad address"))?;
        Ipv4Prefix::new(a, l).ok_or_else(|| ParseError::new("IPv4 prefix", s, "length over 32"))
    }
}
impl FromStr for Ipv6Prefix {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (a, l) = split_prefix(s, "IPv6 prefix")?;
        let a: Ipv6Addr = a
            .parse()
            .map_err(|_| ParseError::new("IPv6 prefix", s, "bad address"))?;
        Ipv6Prefix::new(a, l).ok_or_else(|| ParseError::new("IPv6 prefix", s, "length over 128"))
    }
}
impl FromStr for Prefix {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s.contains(':') {
            s.parse().map(Prefix::V6)
        } else {
            s.parse().map(Prefix::V4)
        }
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::*;
    serialize_display!(Ipv4Prefix, Ipv6Prefix, Prefix);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_masks_trailing_bits() {
        // bgpdump's nlri_mask_trailing_bits case: 10.1.1.255/24 on the wire.
        let p = Ipv4Prefix::decode(&mut Reader::new(&[24, 10, 1, 1], "t")).unwrap();
        assert_eq!(p.to_string(), "10.1.1.0/24");
        let p2 = Ipv4Prefix::decode(&mut Reader::new(&[20, 10, 1, 0xff], "t")).unwrap();
        assert_eq!(p2.to_string(), "10.1.240.0/20");
        let p3 = Ipv6Prefix::decode(&mut Reader::new(&[15, 0x20, 0x01], "t")).unwrap();
        assert_eq!(p3.to_string(), "2000::/15");
    }

    #[test]
    fn rejects_bad_lengths() {
        assert!(Ipv4Prefix::decode(&mut Reader::new(&[33, 1, 2, 3, 4, 5], "t")).is_err());
        assert!(Ipv6Prefix::decode(&mut Reader::new(&[129], "t")).is_err());
        assert!(Ipv4Prefix::decode(&mut Reader::new(&[24, 10, 1], "t")).is_err());
        assert!("10.0.0.0/33".parse::<Prefix>().is_err());
        assert!("10.0.0.0".parse::<Prefix>().is_err());
        assert!("2001:db8::/129".parse::<Prefix>().is_err());
    }

    #[test]
    fn text_and_wire_round_trip() {
        for s in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "192.0.2.1/32",
            "::/0",
            "2001:db8::/32",
            "2001:db8::1/128",
        ] {
            let p: Prefix = s.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.to_string(), s);
            let mut out = Vec::new();
            p.encode(&mut out);
            assert_eq!(out.len(), p.encoded_len());
            let mut r = Reader::new(&out, "t");
            let back = if p.is_ipv4() {
                Ipv4Prefix::decode(&mut r).map(Prefix::V4)
            } else {
                Ipv6Prefix::decode(&mut r).map(Prefix::V6)
            };
            assert_eq!(back, Ok(p));
        }
    }

    #[test]
    fn contains() {
        let a: Prefix = "10.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"));
        let b: Prefix = "10.1.0.0/16".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(a.contains(&b));
        assert!(!b.contains(&a));
        assert!(a.contains(&a));
    }
}
