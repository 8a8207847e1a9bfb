//! COMMUNITIES (RFC 1997) with the IANA well-known names, and
//! LARGE_COMMUNITIES (RFC 8092).

use std::fmt;
use std::str::FromStr;

use crate::error::{ParseError, WireError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Community(pub u32);

impl Community {
    pub const GRACEFUL_SHUTDOWN: Community = Community(0xFFFF_0000); // RFC 8326
    pub const ACCEPT_OWN: Community = Community(0xFFFF_0001); // RFC 7611
    pub const LLGR_STALE: Community = Community(0xFFFF_0006); // RFC 9494
    pub const NO_LLGR: Community = Community(0xFFFF_0007); // RFC 9494
    pub const BLACKHOLE: Community = Community(0xFFFF_029A); // RFC 7999
    pub const NO_EXPORT: Community = Community(0xFFFF_FF01);
    pub const NO_ADVERTISE: Community = Community(0xFFFF_FF02);
    pub const NO_EXPORT_SUBCONFED: Community = Community(0xFFFF_FF03);
    pub const NOPEER: Community = Community(0xFFFF_FF04); // RFC 3765

    const NAMES: &'static [(Community, &'static str)] = &[
        (Self::GRACEFUL_SHUTDOWN, "graceful-shutdown"),
        (Self::ACCEPT_OWN, "accept-own"),
        (Self::LLGR_STALE, "llgr-stale"),
        (Self::NO_LLGR, "no-llgr"),
        (Self::BLACKHOLE, "blackhole"),
        (Self::NO_EXPORT, "no-export"),
        (Self::NO_ADVERTISE, "no-advertise"),
        (Self::NO_EXPORT_SUBCONFED, "no-export-subconfed"),
        (Self::NOPEER, "no-peer"),
    ];

    pub fn new(asn: u16, value: u16) -> Self {
        Community((u32::from(asn) << 16) | u32::from(value))
    }
    pub fn asn(self) -> u16 {
        (self.0 >> 16) as u16
    }
    pub fn value(self) -> u16 {
        self.0 as u16
    }
    /// The well-known name, if any.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, n)| *n)
    }

    /// RFC 7606 §7.8: the length must be a non-zero multiple of 4.
    pub fn decode_list(value: &[u8]) -> Result<super::Communities, WireError> {
        Self::check_list(value)?;
        let mut list = super::Communities::new();
        Self::decode_list_into(value, &mut list);
        Ok(list)
    }

    /// RFC 7606 §7.8: a COMMUNITIES value is a non-empty multiple of four
    /// octets.
    pub(crate) fn check_list(value: &[u8]) -> Result<(), WireError> {
        if value.is_empty() || !value.len().is_multiple_of(4) {
            return Err(WireError::BadLength {
                what: "COMMUNITIES",
                len: value.len(),
            });
        }
        Ok(())
    }

    /// Append the communities of a value [`Community::check_list`] passed.
    pub(crate) fn decode_list_into(value: &[u8], list: &mut super::Communities) {
        list.extend(
            value
                .chunks_exact(4)
                .map(|c| Community(u32::from_be_bytes(c.try_into().unwrap_or([0; 4])))),
        );
    }

    pub fn encode_list(list: &[Community], out: &mut Vec<u8>) {
        for c in list {
            out.extend_from_slice(&c.0.to_be_bytes());
        }
    }
}

impl fmt::Display for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}:{}", self.asn(), self.value()),
        }
    }
}

impl FromStr for Community {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        if let Some((c, _)) = Self::NAMES.iter().find(|(_, n)| *n == t) {
            return Ok(*c);
        }
        let (a, v) = t.split_once(':').ok_or_else(|| {
            ParseError::new("community", s, "expected ASN:VALUE or a well-known name")
        })?;
        let a = a
            .parse::<u16>()
            .map_err(|_| ParseError::new("community", s, "ASN must be 0-65535"))?;
        let v = v
            .parse::<u16>()
            .map_err(|_| ParseError::new("community", s, "value must be 0-65535"))?;
        Ok(Community::new(a, v))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LargeCommunity {
    pub global: u32,
    pub local1: u32,
    pub local2: u32,
}

impl LargeCommunity {
    pub fn new(global: u32, local1: u32, local2: u32) -> Self {
        LargeCommunity {
            global,
            local1,
            local2,
        }
    }

    /// RFC 8092 §5: the length must be a non-zero multiple of 12.
    pub fn decode_list(value: &[u8]) -> Result<super::LargeCommunities, WireError> {
        if value.is_empty() || !value.len().is_multiple_of(12) {
            return Err(WireError::BadLength {
                what: "LARGE_COMMUNITIES",
                len: value.len(),
            });
        }
        Ok(value
            .chunks_exact(12)
            .map(|c| {
                let w = |i: usize| {
                    u32::from_be_bytes(
                        c.get(i..i + 4)
                            .and_then(|s| s.try_into().ok())
                            .unwrap_or([0; 4]),
                    )
                };
                LargeCommunity::new(w(0), w(4), w(8))
            })
            .collect())
    }

    pub fn encode_list(list: &[LargeCommunity], out: &mut Vec<u8>) {
        for c in list {
            out.extend_from_slice(&c.global.to_be_bytes());
            out.extend_from_slice(&c.local1.to_be_bytes());
            out.extend_from_slice(&c.local2.to_be_bytes());
        }
    }
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.global, self.local1, self.local2)
    }
}

impl FromStr for LargeCommunity {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let nums: Option<Vec<u32>> = parts.iter().map(|p| p.parse::<u32>().ok()).collect();
        match nums.as_deref() {
            Some(&[g, a, b]) => Ok(LargeCommunity::new(g, a, b)),
            _ => Err(ParseError::new(
                "large community",
                s,
                "expected GLOBAL:LOCAL1:LOCAL2 (three 32-bit numbers)",
            )),
        }
    }
}

serialize_display!(Community, LargeCommunity);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn communities() {
        let bytes = [
            0xfd, 0xe8, 0, 100, 0xff, 0xff, 0xff, 0x01, 0xff, 0xff, 0x02, 0x9a,
        ];
        let l = Community::decode_list(&bytes).unwrap();
        let text: Vec<String> = l.iter().map(|c| c.to_string()).collect();
        assert_eq!(text, ["65000:100", "no-export", "blackhole"]);
        for t in &text {
            assert_eq!(t.parse::<Community>().unwrap().to_string(), *t);
        }
        assert_eq!(
            "65535:666".parse::<Community>().unwrap(),
            Community::BLACKHOLE
        );
        assert_eq!(
            "NO_EXPORT".parse::<Community>().unwrap(),
            Community::NO_EXPORT
        );
        let mut out = Vec::new();
        Community::encode_list(&l, &mut out);
        assert_eq!(out, bytes);
        assert!(Community::decode_list(&[]).is_err());
        assert!(Community::decode_list(&[1, 2, 3]).is_err());
        assert!("70000:1".parse::<Community>().is_err());
    }

    #[test]
    fn large() {
        let c: LargeCommunity = "4200000000:1:2".parse().unwrap();
        let mut out = Vec::new();
        LargeCommunity::encode_list(&[c], &mut out);
        assert_eq!(LargeCommunity::decode_list(&out).unwrap().to_vec(), vec![c]);
        assert_eq!(c.to_string(), "4200000000:1:2");
        assert!(LargeCommunity::decode_list(&out[..11]).is_err());
        assert!("1:2".parse::<LargeCommunity>().is_err());
    }
}
