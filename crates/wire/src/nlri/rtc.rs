//! Route Target membership NLRI (RFC 4684 §4; AFI 1 / SAFI 132).
//!
//! On the wire: a prefix length in bits, then that many bits (rounded up to
//! whole octets) of `origin AS (4) | route target (8)`. Length 0 is the
//! default route-target route (RFC 4684 §3.2); otherwise the origin AS is
//! always complete (length 32..=96) and the route target, an extended
//! community (RFC 4360 §4), may be cut to a prefix. Octets past the prefix
//! length are not sent; bits past it inside the last octet are kept as
//! received so that every NLRI re-encodes byte for byte.
//!
//! # Text form
//!
//! ```text
//! default                          length 0
//! AS:rt:ADMIN:NUMBER               a whole route target (length 96)
//! AS:rt:0xHEX[/BITS]               any other route target or prefix of one
//! ```
//!
//! `AS` is the origin AS in decimal. A whole route target of the three
//! RFC 4360 / RFC 5668 route-target types (type 0x00, 0x01 or 0x02, sub-type
//! 0x02) prints like a route distinguisher: `65000:100` (2-octet AS),
//! `192.0.2.1:100` (IPv4), `4200000000:100` or `65000L:100` (4-octet AS).
//! Anything else prints as `0x` and the octets present, with `/BITS` (route
//! target bits, 0..=63) unless all 64 bits are present: `65000:rt:0x/0` is
//! "any route target from AS 65000", `22:rt:0x0002/16` a prefix of the
//! 2-octet-AS route targets.

use std::fmt;
use std::str::FromStr;

use super::rd::RouteDistinguisher;
use super::text::{fmt_hex, parse_hex};
use crate::error::{ParseError, WireError};
use crate::reader::Reader;

/// One RT-Constraint NLRI. Fields are private to keep the invariant that
/// route-target octets past the prefix length are zero (so that equal NLRI
/// encode equally); build one with [`RtConstraint::DEFAULT`],
/// [`RtConstraint::new`] or [`RtConstraint::with_prefix`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RtConstraint {
    /// Prefix length in bits: 0 or 32..=96.
    prefix_len: u8,
    origin_as: u32,
    route_target: [u8; 8],
}

/// The extended-community sub-type of a route target (RFC 4360 §4).
const RT_SUBTYPE: u8 = 0x02;

impl RtConstraint {
    /// The default route-target route (RFC 4684 §3.2): prefix length 0.
    pub const DEFAULT: RtConstraint = RtConstraint {
        prefix_len: 0,
        origin_as: 0,
        route_target: [0; 8],
    };

    /// Membership of a whole route target (prefix length 96).
    pub fn new(origin_as: u32, route_target: [u8; 8]) -> Self {
        RtConstraint {
            prefix_len: 96,
            origin_as,
            route_target,
        }
    }

    /// Membership of the route targets starting with the first `rt_bits`
    /// bits of `route_target` (0..=64). Octets past the prefix are dropped;
    /// bits past it inside the last octet are kept, as on the wire.
    pub fn with_prefix(origin_as: u32, route_target: [u8; 8], rt_bits: u8) -> Option<Self> {
        if rt_bits > 64 {
            return None;
        }
        let n = usize::from(rt_bits).div_ceil(8);
        let mut rt = [0u8; 8];
        for (dst, src) in rt.iter_mut().zip(route_target).take(n) {
            *dst = src;
        }
        Some(RtConstraint {
            prefix_len: 32 + rt_bits,
            origin_as,
            route_target: rt,
        })
    }

    pub fn is_default(&self) -> bool {
        self.prefix_len == 0
    }

    /// The NLRI prefix length in bits (0 or 32..=96).
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The origin AS, unless this is the default route.
    pub fn origin_as(&self) -> Option<u32> {
        (!self.is_default()).then_some(self.origin_as)
    }

    /// How many leading bits of the route target are given (0..=64).
    pub fn route_target_bits(&self) -> u8 {
        self.prefix_len.saturating_sub(32)
    }

    /// The route target octets, zero past the prefix.
    pub fn route_target(&self) -> [u8; 8] {
        self.route_target
    }

    /// The route-target octets present on the wire.
    fn rt_octets(&self) -> &[u8] {
        let n = usize::from(self.route_target_bits()).div_ceil(8);
        self.route_target.get(..n).unwrap_or(&[])
    }

    /// Does this NLRI cover the route target `rt` (RFC 4684 §4: its first
    /// `route_target_bits` bits match)? The default route covers everything.
    pub fn covers(&self, rt: &[u8; 8]) -> bool {
        let bits = u32::from(self.route_target_bits());
        let mask = if bits == 0 {
            0
        } else {
            u64::MAX << (64 - bits)
        };
        (u64::from_be_bytes(self.route_target) ^ u64::from_be_bytes(*rt)) & mask == 0
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let prefix_len = r.u8()?;
        if prefix_len == 0 {
            return Ok(Self::DEFAULT);
        }
        // RFC 4684 §4: the origin AS is never partial, and the whole NLRI is
        // at most 12 octets.
        if !(32..=96).contains(&prefix_len) {
            return Err(WireError::invalid(
                "RT-Constraint prefix length",
                prefix_len,
            ));
        }
        let origin_as = r.u32()?;
        let n = usize::from(prefix_len - 32).div_ceil(8);
        let bytes = r.take(n)?;
        let mut route_target = [0u8; 8];
        for (dst, src) in route_target.iter_mut().zip(bytes) {
            *dst = *src;
        }
        Ok(RtConstraint {
            prefix_len,
            origin_as,
            route_target,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.prefix_len);
        if !self.is_default() {
            out.extend_from_slice(&self.origin_as.to_be_bytes());
            out.extend_from_slice(self.rt_octets());
        }
    }
}

impl fmt::Display for RtConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_default() {
            return f.write_str("default");
        }
        write!(f, "{}:rt:", self.origin_as)?;
        let [t, sub, rest @ ..] = self.route_target;
        if self.route_target_bits() == 64 && t <= 2 && sub == RT_SUBTYPE {
            // Same layout as RD types 0-2 after the type field (RFC 4364 §4.2).
            let [a, b, c, d, e, g] = rest;
            return write!(f, "{}", RouteDistinguisher([0, t, a, b, c, d, e, g]));
        }
        fmt_hex(f, self.rt_octets())?;
        if self.route_target_bits() < 64 {
            write!(f, "/{}", self.route_target_bits())?;
        }
        Ok(())
    }
}

impl FromStr for RtConstraint {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |why: &str| ParseError::new("RT-Constraint", s, why);
        if s == "default" {
            return Ok(Self::DEFAULT);
        }
        let (origin, rt) = s
            .split_once(":rt:")
            .ok_or_else(|| err("expected default or AS:rt:ROUTE-TARGET"))?;
        let origin_as: u32 = origin.parse().map_err(|_| err("bad origin AS"))?;
        if rt.starts_with("0x") {
            let (hex, bits) = match rt.split_once('/') {
                Some((h, b)) => (h, b.parse::<u8>().map_err(|_| err("bad bit count"))?),
                None => (rt, 64),
            };
            let octets = parse_hex(hex).ok_or_else(|| err("bad hex route target"))?;
            if bits > 64 || octets.len() != usize::from(bits).div_ceil(8) {
                return Err(err("hex octets do not match the bit count"));
            }
            let mut route_target = [0u8; 8];
            for (dst, src) in route_target.iter_mut().zip(octets) {
                *dst = src;
            }
            return Self::with_prefix(origin_as, route_target, bits)
                .ok_or_else(|| err("over 64 route-target bits"));
        }
        let rd: RouteDistinguisher = rt
            .parse()
            .map_err(|_| err("bad route target (ADMIN:NUMBER or 0xHEX[/BITS])"))?;
        let [_, t, rest @ ..] = rd.0;
        let [a, b, c, d, e, g] = rest;
        Ok(Self::new(origin_as, [t, RT_SUBTYPE, a, b, c, d, e, g]))
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::mp_nlri;
    use super::*;
    use proptest::prelude::*;

    fn enc(n: &RtConstraint) -> Vec<u8> {
        let mut out = Vec::new();
        n.encode(&mut out);
        out
    }

    fn one(b: &[u8]) -> RtConstraint {
        let mut r = Reader::new(b, "t");
        let n = RtConstraint::decode(&mut r).unwrap();
        assert!(r.is_empty());
        assert_eq!(enc(&n), b);
        assert_eq!(n.to_string().parse::<RtConstraint>().unwrap(), n, "{n}");
        n
    }

    /// tcpdump tests/bgp-rt-prefix.pcap: each UPDATE (found by its marker)
    /// and what tcpdump's bgp-rt-prefix.out says of its one NLRI: origin AS,
    /// route-target bits and the octets it shows in parentheses.
    const TCPDUMP: &[(&str, u32, u8, &str, &str)] = &[
        ("ffffffffffffffffffffffffffffffff003a020000002340010101400204020100c840030400000000800e0e0001840401000002002000000016", 22, 0, "", "22:rt:0x/0"),
        ("ffffffffffffffffffffffffffffffff003c020000002540010101400204020100c840030400000000800e1000018404010000020030000000160002", 22, 16, "0002", "22:rt:0x0002/16"),
        ("ffffffffffffffffffffffffffffffff0040020000002940010101400204020100c840030400000000800e140001840401000002005000000016020200010000", 22, 48, "020200010000", "22:rt:0x020200010000/48"),
        ("ffffffffffffffffffffffffffffffff0042020000002b40010101400204020100c840030400000000800e1600018404010000020060000000160002000100010001", 22, 64, "0002000100010001", "22:rt:1:65537"),
        ("ffffffffffffffffffffffffffffffff0042020000002b40010101400204020100c840030400000000800e1600018404010000020060000000160202000186a0ffff", 22, 64, "0202000186a0ffff", "22:rt:100000:65535"),
        ("ffffffffffffffffffffffffffffffff0036020000001f40010101400204020100c840030400000000800f0a00018430000000170102", 23, 16, "0102", "23:rt:0x0102/16"),
        ("ffffffffffffffffffffffffffffffff003b020000002440010101400204020100c840030400000000800f0f0001845300000017010201020304e0", 23, 51, "010201020304e0", "23:rt:0x010201020304e0/51"),
        ("ffffffffffffffffffffffffffffffff003c020000002540010101400204020100c840030400000000800f100001846000000017010201020304ffff", 23, 64, "010201020304ffff", "23:rt:1.2.3.4:65535"),
    ];

    #[test]
    fn tcpdump_pcap() {
        for (msg, origin, bits, octets, text) in TCPDUMP {
            let msg = hex::decode(msg).unwrap();
            let (afi, safi, nlri) = mp_nlri(&msg).unwrap();
            assert_eq!((afi, safi), (1, 132));
            let n = one(nlri);
            assert_eq!(n.origin_as(), Some(*origin));
            assert_eq!(n.route_target_bits(), *bits);
            assert_eq!(hex::encode(n.rt_octets()), *octets);
            assert_eq!(n.to_string(), *text);
        }
    }

    #[test]
    fn hand_built() {
        assert_eq!(one(&[0]), RtConstraint::DEFAULT);
        assert_eq!(RtConstraint::DEFAULT.to_string(), "default");
        assert_eq!(RtConstraint::DEFAULT.origin_as(), None);
        let n = one(&[96, 0, 0, 0xfd, 0xe8, 0, 2, 0xfd, 0xe8, 0, 0, 0, 100]);
        assert_eq!(n.to_string(), "65000:rt:65000:100");
        assert!(n.covers(&[0, 2, 0xfd, 0xe8, 0, 0, 0, 100]));
        assert!(!n.covers(&[0, 2, 0xfd, 0xe8, 0, 0, 0, 101]));
        // A 4-octet-AS route target whose AS fits 16 bits, and a non-RT
        // extended community (sub-type 3, route origin) kept as hex.
        let n = one(&[96, 0, 0, 0, 1, 2, 2, 0, 0, 0xfd, 0xe8, 0, 7]);
        assert_eq!(n.to_string(), "1:rt:65000L:7");
        let n = one(&[96, 0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 1]);
        assert_eq!(n.to_string(), "1:rt:0x0003000100000001");
        // Partial: 9 bits, junk bit kept in the last octet.
        let n = one(&[41, 0, 0, 0, 1, 0, 0xff]);
        assert_eq!(n.to_string(), "1:rt:0x00ff/9");
        assert!(n.covers(&[0, 0x80, 0, 0, 0, 0, 0, 0]));
        assert!(!n.covers(&[0, 0x00, 0, 0, 0, 0, 0, 0]));
        assert!(RtConstraint::DEFAULT.covers(&[9; 8]));
        // Constructors.
        assert_eq!(
            RtConstraint::with_prefix(1, [0, 0xff, 9, 9, 9, 9, 9, 9], 9),
            Some(n)
        );
        assert_eq!(RtConstraint::with_prefix(1, [0; 8], 65), None);
        // Hex form of a whole RT parses to the same value as its RD-like form.
        assert_eq!(
            "65000:rt:0x0002fde800000064"
                .parse::<RtConstraint>()
                .unwrap(),
            "65000:rt:65000:100".parse::<RtConstraint>().unwrap()
        );
        assert_eq!(
            "4200000000:rt:192.0.2.1:5"
                .parse::<RtConstraint>()
                .unwrap()
                .route_target(),
            [1, 2, 192, 0, 2, 1, 0, 5]
        );
    }

    #[test]
    fn bad_bytes() {
        for len in [1u8, 16, 31, 97, 255] {
            let mut b = vec![len];
            b.extend([0; 13]);
            assert!(matches!(
                RtConstraint::decode(&mut Reader::new(&b, "t")),
                Err(WireError::Invalid { .. })
            ));
        }
        let good = [96, 0, 0, 0xfd, 0xe8, 0, 2, 0xfd, 0xe8, 0, 0, 0, 100];
        for n in 0..good.len() {
            assert!(RtConstraint::decode(&mut Reader::new(&good[..n], "t")).is_err());
        }
        let mut r = Reader::new(&[33, 0, 0, 0, 1, 0x80, 0], "t");
        RtConstraint::decode(&mut r).unwrap();
        assert_eq!(r.remaining(), 1);
    }

    #[test]
    fn bad_text() {
        for s in [
            "",
            "Default",
            "65000",
            "65000:65000:100",
            "x:rt:65000:100",
            "65000:rt:",
            "65000:rt:65000",
            "65000:rt:0x00/9",
            "65000:rt:0x0000/8",
            "65000:rt:0x000000000000000000/65",
            "65000:rt:0x00",
            "65000:rt:0x/x",
            "4294967296:rt:1:1",
        ] {
            assert!(s.parse::<RtConstraint>().is_err(), "{s:?} parsed");
        }
    }

    fn arb_nlri() -> impl Strategy<Value = RtConstraint> {
        prop_oneof![
            Just(RtConstraint::DEFAULT),
            (any::<u32>(), any::<[u8; 8]>()).prop_map(|(a, rt)| RtConstraint::new(a, rt)),
            (
                any::<u32>(),
                (0u8..=2, any::<[u8; 6]>())
                    .prop_map(|(t, r)| [t, 2, r[0], r[1], r[2], r[3], r[4], r[5]])
            )
                .prop_map(|(a, rt)| RtConstraint::new(a, rt)),
            (any::<u32>(), any::<[u8; 8]>(), 0u8..=64)
                .prop_map(|(a, rt, bits)| { RtConstraint::with_prefix(a, rt, bits).unwrap() }),
        ]
    }

    proptest! {
        #[test]
        fn wire_round_trip(n in arb_nlri()) {
            let b = enc(&n);
            let mut r = Reader::new(&b, "t");
            let back = RtConstraint::decode(&mut r).unwrap();
            prop_assert!(r.is_empty());
            prop_assert_eq!(back, n);
            prop_assert_eq!(enc(&back), b);
        }

        #[test]
        fn text_round_trip(n in arb_nlri()) {
            prop_assert_eq!(n.to_string().parse::<RtConstraint>().unwrap(), n);
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..16)) {
            let mut r = Reader::new(&b, "t");
            if let Ok(n) = RtConstraint::decode(&mut r) {
                prop_assert_eq!(enc(&n), &b[..r.position()]);
                prop_assert_eq!(n.to_string().parse::<RtConstraint>().unwrap(), n);
            }
        }

        #[test]
        fn truncated_never_panics(n in arb_nlri(), cut in any::<prop::sample::Index>()) {
            let b = enc(&n);
            let k = cut.index(b.len());
            prop_assert!(RtConstraint::decode(&mut Reader::new(&b[..k], "t")).is_err());
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<RtConstraint>();
        }
    }
}
