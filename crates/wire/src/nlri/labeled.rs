//! Labeled unicast (RFC 8277) and VPN (RFC 4364/4659) prefixes.
//!
//! The NLRI length octet counts labels, RD and prefix bits together. The label
//! stack ends at the bottom-of-stack bit; withdrawals may carry the RFC 3107
//! compatibility value 0x800000 (or 0), which also ends the stack.

use std::fmt;
use std::str::FromStr;

use super::label::Label;
use super::rd::RouteDistinguisher;
use crate::afi::Afi;
use crate::error::{ParseError, WireError};
use crate::prefix::{Ipv4Prefix, Ipv6Prefix, Prefix};
use crate::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LabeledPrefix {
    pub labels: Vec<Label>,
    pub prefix: Prefix,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct VpnPrefix {
    pub labels: Vec<Label>,
    pub rd: RouteDistinguisher,
    pub prefix: Prefix,
}

fn decode_labels(r: &mut Reader<'_>, bits: &mut usize) -> Result<Vec<Label>, WireError> {
    let mut labels = Vec::with_capacity(1);
    loop {
        if *bits < 24 {
            return Err(WireError::malformed(
                r.what(),
                "prefix length too short for its label stack",
            ));
        }
        let l = Label::decode(r)?;
        *bits -= 24;
        labels.push(l);
        if l.bottom_of_stack() || l.raw() == 0x80_0000 || l.raw() == 0 {
            return Ok(labels);
        }
        if labels.len() > 16 {
            return Err(WireError::malformed(
                r.what(),
                "label stack with no bottom-of-stack bit",
            ));
        }
    }
}

fn decode_prefix(r: &mut Reader<'_>, afi: Afi, bits: usize) -> Result<Prefix, WireError> {
    let max = if afi == Afi::IPV6 { 128 } else { 32 };
    if bits > max {
        return Err(WireError::BadLength {
            what: r.what(),
            len: bits,
        });
    }
    // bits <= 128 here, so the cast cannot truncate.
    let len = bits as u8;
    if afi == Afi::IPV6 {
        Ok(Prefix::V6(Ipv6Prefix::decode_bits(r, len)?))
    } else {
        Ok(Prefix::V4(Ipv4Prefix::decode_bits(r, len)?))
    }
}

fn encode_len(out: &mut Vec<u8>, labels: usize, rd: bool, prefix: &Prefix) {
    let bits = labels * 24 + if rd { 64 } else { 0 } + usize::from(prefix.len());
    // Longest case: 16 labels + RD + /128 fits a u16 but not a u8; callers
    // building oversize stacks get a truncated length, like other speakers.
    out.push(bits as u8);
}

impl LabeledPrefix {
    pub fn decode(r: &mut Reader<'_>, afi: Afi) -> Result<Self, WireError> {
        let mut bits = usize::from(r.u8()?);
        let labels = decode_labels(r, &mut bits)?;
        let prefix = decode_prefix(r, afi, bits)?;
        Ok(LabeledPrefix { labels, prefix })
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_len(out, self.labels.len(), false, &self.prefix);
        for l in &self.labels {
            l.encode(out);
        }
        self.prefix.encode_bits(out);
    }
}

impl VpnPrefix {
    pub fn decode(r: &mut Reader<'_>, afi: Afi) -> Result<Self, WireError> {
        let mut bits = usize::from(r.u8()?);
        let labels = decode_labels(r, &mut bits)?;
        if bits < 64 {
            return Err(WireError::malformed(
                r.what(),
                "prefix length too short for a route distinguisher",
            ));
        }
        let rd = RouteDistinguisher::decode(r)?;
        let prefix = decode_prefix(r, afi, bits - 64)?;
        Ok(VpnPrefix { labels, rd, prefix })
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_len(out, self.labels.len(), true, &self.prefix);
        for l in &self.labels {
            l.encode(out);
        }
        self.rd.encode(out);
        self.prefix.encode_bits(out);
    }
}

fn fmt_labels(f: &mut fmt::Formatter<'_>, labels: &[Label]) -> fmt::Result {
    f.write_str(" label ")?;
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{l}")?;
    }
    Ok(())
}

impl fmt::Display for LabeledPrefix {
    /// `10.0.0.0/8 label 100,200`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.prefix)?;
        fmt_labels(f, &self.labels)
    }
}

impl fmt::Display for VpnPrefix {
    /// `65000:1:10.0.0.0/8 label 100`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.rd, self.prefix)?;
        fmt_labels(f, &self.labels)
    }
}

fn parse_labels(s: &str, what: &'static str) -> Result<Vec<Label>, ParseError> {
    let parts: Vec<&str> = s.split(',').collect();
    let n = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = p
                .trim()
                .parse::<u32>()
                .map_err(|_| ParseError::new(what, s, "bad label"))?;
            if v > 0xf_ffff {
                return Err(ParseError::new(what, s, "label over 20 bits"));
            }
            Ok(Label::new(v, i + 1 == n))
        })
        .collect()
}

impl FromStr for LabeledPrefix {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (p, l) = s.split_once(" label ").ok_or_else(|| {
            ParseError::new("labeled prefix", s, "expected PREFIX label L[,L...]")
        })?;
        Ok(LabeledPrefix {
            prefix: p.trim().parse()?,
            labels: parse_labels(l, "labeled prefix")?,
        })
    }
}

impl FromStr for VpnPrefix {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = || ParseError::new("VPN prefix", s, "expected RD:PREFIX label L[,L...]");
        let (head, l) = s.split_once(" label ").ok_or_else(err)?;
        // The RD is the first two ':'-separated fields (the prefix may be IPv6).
        let mut it = head.splitn(3, ':');
        let (a, b, p) = (
            it.next().ok_or_else(err)?,
            it.next().ok_or_else(err)?,
            it.next().ok_or_else(err)?,
        );
        Ok(VpnPrefix {
            rd: format!("{a}:{b}").parse()?,
            prefix: p.parse()?,
            labels: parse_labels(l, "VPN prefix")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpn_round_trip() {
        // 1 label (100, BoS), RD 65000:1, 10.1.0.0/16 => 24+64+16 = 104 bits
        let bytes = [104, 0x00, 0x06, 0x41, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 10, 1];
        let v = VpnPrefix::decode(&mut Reader::new(&bytes, "t"), Afi::IPV4).unwrap();
        assert_eq!(v.to_string(), "65000:1:10.1.0.0/16 label 100");
        let mut out = Vec::new();
        v.encode(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(v.to_string().parse::<VpnPrefix>().unwrap(), v);
    }

    #[test]
    fn labeled_multi_and_withdraw() {
        // two labels 16, 17(BoS) + 192.0.2.0/24
        let bytes = [72, 0, 1, 0, 0, 1, 0x11, 192, 0, 2];
        let l = LabeledPrefix::decode(&mut Reader::new(&bytes, "t"), Afi::IPV4).unwrap();
        assert_eq!(l.to_string(), "192.0.2.0/24 label 16,17");
        let mut out = Vec::new();
        l.encode(&mut out);
        assert_eq!(out, bytes);
        // withdraw label 0x800000 has no BoS but ends the stack
        let w = [48, 0x80, 0, 0, 192, 0, 2];
        let l = LabeledPrefix::decode(&mut Reader::new(&w, "t"), Afi::IPV4).unwrap();
        assert_eq!(l.labels, vec![Label::WITHDRAW]);
        // too-short length for the label stack
        assert!(LabeledPrefix::decode(&mut Reader::new(&[16, 0, 1, 1], "t"), Afi::IPV4).is_err());
        // prefix bits over 32
        assert!(LabeledPrefix::decode(
            &mut Reader::new(&[24 + 33, 0, 1, 1, 1, 1, 1, 1, 1], "t"),
            Afi::IPV4
        )
        .is_err());
    }
}
