//! AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 6793, RFC 5065 confederations).

use std::fmt;
use std::str::FromStr;

use smallvec::{smallvec, SmallVec};

use crate::error::{ParseError, WireError};
use crate::reader::Reader;

/// RFC 6793 §9: the 2-octet stand-in for a 4-octet AS.
pub const AS_TRANS: u32 = 23456;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SegmentType {
    Set = 1,
    Sequence = 2,
    ConfedSequence = 3,
    ConfedSet = 4,
}

impl SegmentType {
    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => SegmentType::Set,
            2 => SegmentType::Sequence,
            3 => SegmentType::ConfedSequence,
            4 => SegmentType::ConfedSet,
            _ => return None,
        })
    }
    pub fn is_confed(self) -> bool {
        matches!(self, SegmentType::ConfedSequence | SegmentType::ConfedSet)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AsSegment {
    pub kind: SegmentType,
    /// Up to 6 ASes inline (most paths), no larger than a Vec.
    pub asns: SmallVec<[u32; 6]>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct AsPath {
    /// Almost every path is one AS_SEQUENCE: keep it inline (one allocation
    /// per path instead of two).
    pub segments: SmallVec<[AsSegment; 1]>,
}

impl AsPath {
    /// Append the [`Display`](fmt::Display) text to `out` without the
    /// formatting machinery: policy AS-path expressions run on it once per
    /// attribute set of a full table.
    pub fn write_text(&self, out: &mut String) {
        for (i, seg) in self.segments.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let (open, sep, close) = match seg.kind {
                SegmentType::Sequence => (None, ' ', None),
                SegmentType::Set => (Some('{'), ',', Some('}')),
                SegmentType::ConfedSequence => (Some('('), ' ', Some(')')),
                SegmentType::ConfedSet => (Some('['), ',', Some(']')),
            };
            out.extend(open);
            for (j, a) in seg.asns.iter().enumerate() {
                if j > 0 {
                    out.push(sep);
                }
                push_decimal(out, *a);
            }
            out.extend(close);
        }
    }

    /// A single AS_SEQUENCE.
    pub fn from_sequence(asns: impl IntoIterator<Item = u32>) -> Self {
        let asns: SmallVec<[u32; 6]> = asns.into_iter().collect();
        if asns.is_empty() {
            return AsPath::default();
        }
        AsPath {
            segments: smallvec![AsSegment {
                kind: SegmentType::Sequence,
                asns,
            }],
        }
    }

    /// Decode with 2- or 4-octet AS numbers. RFC 7606 §7.2: a segment with
    /// an unknown type, zero length, or that overruns the attribute makes the
    /// attribute malformed.
    pub fn decode(value: &[u8], four_octet: bool) -> Result<Self, WireError> {
        let mut p = AsPath::default();
        p.decode_in_place(value, four_octet)?;
        Ok(p)
    }

    /// [`AsPath::decode`] into `self` (emptied first), each segment and AS
    /// written where it stays: building a segment and moving it in made
    /// the CPU reload narrow stores with wide loads (see
    /// `AttrValue::decode_push`). On error `self` holds the segments read
    /// so far.
    pub(crate) fn decode_in_place(
        &mut self,
        value: &[u8],
        four_octet: bool,
    ) -> Result<(), WireError> {
        self.segments.clear();
        let mut r = Reader::new(value, "AS_PATH");
        while !r.is_empty() {
            let t = r.u8()?;
            let kind =
                SegmentType::from_u8(t).ok_or(WireError::invalid("AS_PATH segment type", t))?;
            let n = usize::from(r.u8()?);
            if n == 0 {
                return Err(WireError::malformed("AS_PATH", "zero-length segment"));
            }
            let width = if four_octet { 4 } else { 2 };
            let raw = r.take(n * width)?;
            self.segments.push(AsSegment {
                kind,
                asns: SmallVec::new(),
            });
            let Some(seg) = self.segments.last_mut() else {
                continue;
            };
            if four_octet {
                seg.asns.extend(
                    raw.chunks_exact(4)
                        .map(|c| u32::from_be_bytes(c.try_into().unwrap_or([0; 4]))),
                );
            } else {
                seg.asns.extend(
                    raw.chunks_exact(2)
                        .map(|c| u32::from(u16::from_be_bytes(c.try_into().unwrap_or([0; 2])))),
                );
            }
        }
        Ok(())
    }

    /// Encode; with `four_octet == false`, AS numbers above 65535 become
    /// AS_TRANS (RFC 6793 §4.2.2: the caller then also sends AS4_PATH).
    /// Segments longer than 255 ASes are split.
    pub fn encode(&self, four_octet: bool, out: &mut Vec<u8>) {
        for seg in &self.segments {
            for chunk in seg.asns.chunks(255) {
                out.push(seg.kind as u8);
                out.push(chunk.len() as u8);
                for &a in chunk {
                    if four_octet {
                        out.extend_from_slice(&a.to_be_bytes());
                    } else {
                        let a = u16::try_from(a).unwrap_or(AS_TRANS as u16);
                        out.extend_from_slice(&a.to_be_bytes());
                    }
                }
            }
        }
    }

    /// Does any AS need 4 octets (so a 2-octet session needs AS4_PATH)?
    pub fn needs_as4(&self) -> bool {
        self.segments
            .iter()
            .any(|s| s.asns.iter().any(|&a| a > 0xffff))
    }

    /// Path length for best-path selection (RFC 4271 §9.1.2.2 a): an AS_SET
    /// counts 1, confederation segments count 0 (RFC 5065 §5.3).
    pub fn path_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentType::Sequence => s.asns.len(),
                SegmentType::Set => 1,
                _ => 0,
            })
            .sum()
    }

    /// The neighbouring AS: first AS of the first AS_SEQUENCE (RFC 4271 §9.1.2.2 c).
    pub fn first_as(&self) -> Option<u32> {
        self.segments
            .iter()
            .find(|s| !s.kind.is_confed())
            .filter(|s| s.kind == SegmentType::Sequence)
            .and_then(|s| s.asns.first().copied())
    }

    /// The originating AS: last AS of a trailing AS_SEQUENCE.
    pub fn origin_as(&self) -> Option<u32> {
        self.segments
            .last()
            .filter(|s| s.kind == SegmentType::Sequence)
            .and_then(|s| s.asns.last().copied())
    }

    pub fn contains(&self, asn: u32) -> bool {
        self.segments.iter().any(|s| s.asns.contains(&asn))
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Prepend `asn` to the leading AS_SEQUENCE (or a new one), as a
    /// speaker does when sending to an external peer (RFC 4271 §5.1.2).
    pub fn prepend(&mut self, asn: u32) {
        match self.segments.first_mut() {
            Some(s) if s.kind == SegmentType::Sequence && s.asns.len() < 255 => {
                s.asns.insert(0, asn)
            }
            _ => self.segments.insert(
                0,
                AsSegment {
                    kind: SegmentType::Sequence,
                    asns: smallvec![asn],
                },
            ),
        }
    }

    /// Rebuild the real path from AS_PATH and AS4_PATH (RFC 6793 §4.2.3).
    /// If AS4_PATH is longer than AS_PATH it is ignored; otherwise the
    /// leading ASes of AS_PATH are kept and AS4_PATH appended. Confederation
    /// segments in AS4_PATH are not allowed and are dropped.
    pub fn merge_as4(&self, as4: &AsPath) -> AsPath {
        let as4_clean: Vec<AsSegment> = as4
            .segments
            .iter()
            .filter(|s| !s.kind.is_confed())
            .cloned()
            .collect();
        let as4_len: usize = as4_clean
            .iter()
            .map(|s| {
                if s.kind == SegmentType::Set {
                    1
                } else {
                    s.asns.len()
                }
            })
            .sum();
        let as_len = self.path_len();
        if as_len < as4_len {
            return self.clone();
        }
        let mut keep = as_len - as4_len;
        let mut out: SmallVec<[AsSegment; 1]> = SmallVec::new();
        for seg in &self.segments {
            if keep == 0 {
                break;
            }
            match seg.kind {
                SegmentType::Sequence => {
                    let n = keep.min(seg.asns.len());
                    out.push(AsSegment {
                        kind: seg.kind,
                        asns: seg.asns.iter().take(n).copied().collect(),
                    });
                    keep -= n;
                }
                SegmentType::Set => {
                    out.push(seg.clone());
                    keep -= 1;
                }
                _ => out.push(seg.clone()),
            }
        }
        for seg in as4_clean {
            // Join adjacent sequences so "1 2" + "3" prints as one segment.
            match (out.last_mut(), seg.kind) {
                (Some(last), SegmentType::Sequence) if last.kind == SegmentType::Sequence => {
                    last.asns.extend(seg.asns)
                }
                _ => out.push(seg),
            }
        }
        AsPath { segments: out }
    }
}

/// `n` in decimal.
fn push_decimal(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    while i > 0 {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            // n % 10 < 10: the cast keeps the digit.
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in digits.get(i..).unwrap_or_default() {
        out.push(char::from(*d));
    }
}

impl fmt::Display for AsPath {
    /// bgpdump/Cisco style: `1 2 {3,4} (65001 65002) [65003,65004]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            let (open, sep, close) = match seg.kind {
                SegmentType::Sequence => ("", " ", ""),
                SegmentType::Set => ("{", ",", "}"),
                SegmentType::ConfedSequence => ("(", " ", ")"),
                SegmentType::ConfedSet => ("[", ",", "]"),
            };
            f.write_str(open)?;
            for (j, a) in seg.asns.iter().enumerate() {
                if j > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{a}")?;
            }
            f.write_str(close)?;
        }
        Ok(())
    }
}

impl FromStr for AsPath {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |why: &str| ParseError::new("AS path", s, why);
        let mut segments: SmallVec<[AsSegment; 1]> = SmallVec::new();
        let mut rest = s.trim();
        while !rest.is_empty() {
            let (kind, close) = match rest.as_bytes().first() {
                Some(b'{') => (SegmentType::Set, Some('}')),
                Some(b'(') => (SegmentType::ConfedSequence, Some(')')),
                Some(b'[') => (SegmentType::ConfedSet, Some(']')),
                _ => (SegmentType::Sequence, None),
            };
            let body;
            if let Some(c) = close {
                let end = rest.find(c).ok_or_else(|| err("unclosed segment"))?;
                body = rest.get(1..end).unwrap_or("");
                rest = rest.get(end + 1..).unwrap_or("").trim_start();
            } else {
                let end = rest.find(['{', '(', '[']).unwrap_or(rest.len());
                body = rest.get(..end).unwrap_or("");
                rest = rest.get(end..).unwrap_or("");
            }
            let asns = body
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .map(|t| {
                    t.strip_prefix("AS")
                        .unwrap_or(t)
                        .parse::<u32>()
                        .map_err(|_| err("bad AS number"))
                })
                .collect::<Result<SmallVec<[u32; 6]>, _>>()?;
            if asns.is_empty() {
                if close.is_some() {
                    return Err(err("empty segment"));
                }
                continue;
            }
            segments.push(AsSegment { kind, asns });
        }
        Ok(AsPath { segments })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_2_and_4_octet() {
        let two = [2, 2, 0xfd, 0xe8, 0x5b, 0xa0];
        let p = AsPath::decode(&two, false).unwrap();
        assert_eq!(p.to_string(), "65000 23456");
        let mut out = Vec::new();
        p.encode(false, &mut out);
        assert_eq!(out, two);
        let four = [2, 1, 0xfa, 0x56, 0xea, 0x00, 1, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        let p = AsPath::decode(&four, true).unwrap();
        assert_eq!(p.to_string(), "4200000000 {1,2}");
        assert_eq!(p.path_len(), 2);
        assert_eq!(p.first_as(), Some(4200000000));
        assert_eq!(p.origin_as(), None);
    }

    #[test]
    fn malformed() {
        assert!(AsPath::decode(&[5, 1, 0, 1], false).is_err()); // bad type
        assert!(AsPath::decode(&[2, 0], false).is_err()); // zero length
        assert!(AsPath::decode(&[2, 2, 0, 1], false).is_err()); // overrun
        assert!(AsPath::decode(&[2, 1, 0, 1, 0], true).is_err());
        assert_eq!(AsPath::decode(&[], true).unwrap(), AsPath::default());
    }

    #[test]
    fn text_round_trip() {
        for s in [
            "1 2 3",
            "1 {2,3}",
            "(65001 65002) 1 [7,8] 9",
            "",
            "0 4294967295 10 {100,65535}",
        ] {
            let p: AsPath = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
            let mut t = String::from("x");
            p.write_text(&mut t);
            assert_eq!(t, format!("x{s}"), "write_text is Display");
        }
        assert!("1 {2".parse::<AsPath>().is_err());
        assert!("1 x".parse::<AsPath>().is_err());
    }

    #[test]
    fn as4_merge_rfc6793() {
        let as_path: AsPath = "65001 23456 23456 65002".parse().unwrap();
        let as4: AsPath = "4200000001 4200000002 65002".parse().unwrap();
        assert_eq!(
            as_path.merge_as4(&as4).to_string(),
            "65001 4200000001 4200000002 65002"
        );
        // AS4_PATH longer than AS_PATH: ignored
        let short: AsPath = "23456".parse().unwrap();
        assert_eq!(short.merge_as4(&as4), short);
        // long segments split at 255 on encode
        let long = AsPath::from_sequence(1..=300);
        let mut out = Vec::new();
        long.encode(true, &mut out);
        let back = AsPath::decode(&out, true).unwrap();
        assert_eq!(back.segments.len(), 2);
        assert_eq!(back.path_len(), 300);
    }
}
