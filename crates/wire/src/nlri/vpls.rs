//! VPLS NLRI (AFI 25 / SAFI 65).
//!
//! RFC 4761 §3.2.2 (BGP auto-discovery and signaling): a 2-octet length of 17,
//! then RD (8), VE ID (2), VE Block Offset (2), VE Block Size (2) and Label
//! Base (3). RFC 6074 §7 shares the AFI/SAFI for BGP auto-discovery of
//! LDP-signaled VPLS and tells the two apart by that length: 12 octets, an RD
//! and the PE's IPv4 address. Any other length is an error.
//!
//! # Text form
//!
//! ```text
//! rd RD ve-id N offset N size N label-base L      (RFC 4761)
//! rd RD ve-id N offset N size N label-base-raw R  (RFC 4761, odd low bits)
//! rd RD pe IPV4                                   (RFC 6074)
//! ```
//!
//! `RD` is printed as [`RouteDistinguisher`] prints it (unassigned RD types as
//! `TYPE:0x` + 12 hex digits); the numbers are decimal. The Label Base is in
//! MPLS label format (RFC 3032): `label-base L` gives the 20-bit label when
//! the low four bits are the usual bottom-of-stack bit alone (TC 0, S 1);
//! otherwise `label-base-raw R` gives the whole 24-bit field, so that every
//! NLRI round-trips.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use super::label::Label;
use super::rd::RouteDistinguisher;
use super::text::{parse_rd, Words};
use crate::error::{ParseError, WireError};
use crate::reader::Reader;

/// One VPLS NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum VplsNlri {
    /// RFC 4761 §3.2.2: a VE's label block.
    Vpls {
        rd: RouteDistinguisher,
        ve_id: u16,
        ve_block_offset: u16,
        ve_block_size: u16,
        label_base: Label,
    },
    /// RFC 6074 §3.2.2 / §7: BGP-AD of an LDP-signaled VPLS member.
    AutoDiscovery {
        rd: RouteDistinguisher,
        pe: Ipv4Addr,
    },
}

/// RFC 4761 §3.2.2 NLRI length.
const VPLS_LEN: u16 = 17;
/// RFC 6074 §7 NLRI length.
const AD_LEN: u16 = 12;

impl VplsNlri {
    pub fn rd(&self) -> RouteDistinguisher {
        match self {
            VplsNlri::Vpls { rd, .. } | VplsNlri::AutoDiscovery { rd, .. } => *rd,
        }
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        const WHAT: &str = "VPLS NLRI";
        let len = r.u16()?;
        if len != VPLS_LEN && len != AD_LEN {
            return Err(WireError::BadLength {
                what: WHAT,
                len: usize::from(len),
            });
        }
        let mut b = Reader::new(r.take(usize::from(len))?, WHAT);
        let rd = RouteDistinguisher::decode(&mut b)?;
        let nlri = if len == AD_LEN {
            VplsNlri::AutoDiscovery { rd, pe: b.ipv4()? }
        } else {
            VplsNlri::Vpls {
                rd,
                ve_id: b.u16()?,
                ve_block_offset: b.u16()?,
                ve_block_size: b.u16()?,
                label_base: Label::decode(&mut b)?,
            }
        };
        b.finish()?;
        Ok(nlri)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            VplsNlri::Vpls {
                rd,
                ve_id,
                ve_block_offset,
                ve_block_size,
                label_base,
            } => {
                out.extend_from_slice(&VPLS_LEN.to_be_bytes());
                rd.encode(out);
                out.extend_from_slice(&ve_id.to_be_bytes());
                out.extend_from_slice(&ve_block_offset.to_be_bytes());
                out.extend_from_slice(&ve_block_size.to_be_bytes());
                label_base.encode(out);
            }
            VplsNlri::AutoDiscovery { rd, pe } => {
                out.extend_from_slice(&AD_LEN.to_be_bytes());
                rd.encode(out);
                out.extend_from_slice(&pe.octets());
            }
        }
    }
}

impl fmt::Display for VplsNlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VplsNlri::Vpls {
                rd,
                ve_id,
                ve_block_offset,
                ve_block_size,
                label_base,
            } => {
                write!(
                    f,
                    "rd {rd} ve-id {ve_id} offset {ve_block_offset} size {ve_block_size}"
                )?;
                if label_base.raw() & 0xf == 1 {
                    write!(f, " label-base {}", label_base.value())
                } else {
                    write!(f, " label-base-raw {}", label_base.raw())
                }
            }
            VplsNlri::AutoDiscovery { rd, pe } => write!(f, "rd {rd} pe {pe}"),
        }
    }
}

impl FromStr for VplsNlri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "VPLS NLRI";
        let mut w = Words::new(s, WHAT);
        let rd = parse_rd(w.field("rd")?, s, WHAT)?;
        let nlri = if w.peek_is("pe") {
            VplsNlri::AutoDiscovery {
                rd,
                pe: w.parse_field("pe")?,
            }
        } else {
            let ve_id = w.parse_field("ve-id")?;
            let ve_block_offset = w.parse_field("offset")?;
            let ve_block_size = w.parse_field("size")?;
            let label_base = if w.peek_is("label-base-raw") {
                let raw: u32 = w.parse_field("label-base-raw")?;
                if raw > 0xff_ffff {
                    return Err(w.err("label base over 24 bits"));
                }
                Label::from_raw(raw)
            } else {
                let v: u32 = w.parse_field("label-base")?;
                if v > 0xf_ffff {
                    return Err(w.err("label over 20 bits"));
                }
                Label::new(v, true)
            };
            VplsNlri::Vpls {
                rd,
                ve_id,
                ve_block_offset,
                ve_block_size,
                label_base,
            }
        };
        w.end()?;
        Ok(nlri)
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::mp_nlri;
    use super::*;
    use proptest::prelude::*;

    fn enc(n: &VplsNlri) -> Vec<u8> {
        let mut out = Vec::new();
        n.encode(&mut out);
        out
    }

    /// ExaBGP qa/encoding/conf-l2vpn.ci: raw UPDATEs (the `:` separators
    /// removed) and the `l2vpn vpls` entry of the expected JSON.
    const EXABGP: &[(&str, &str)] = &[
        (
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0095020000007E4001010040021E020700007814000078140000781400007814000078140000781400007814800404000007D040050400000001C00804D53F007B800904C0A81601800A0803030303C0A8C901C010100002D53F00000006800A130005DC006F800E1C00194104C0A8C9010000110001C0A8C901007B000500010008029CE1",
            r#"{"rd":"192.168.201.1:123","endpoint":5,"base":10702,"offset":1,"size":8}"#,
        ),
        (
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0095020000007E4001010040021E020700007814000078140000781400007814000078140000781400007814800404000007D040050400000001C00804D53F007B800904C0A81601800A0803030303C0A8C901C010100002D53F00000006800A130005DC006F800E1C00194104C0A8C9010000110001C0A8C901007C000500010008029EC1",
            r#"{"rd":"192.168.201.1:124","endpoint":5,"base":10732,"offset":1,"size":8}"#,
        ),
        (
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0095020000007E4001010040021E020700007814000078140000781400007814000078140000781400007814800404000007D040050400000064C00804D53F007B800904C0A81601800A0803030303C0A8C901C010100002D53F00000006800A130005DC006F800E1C00194104C0A8C9010000110001C0A8C901007B000500010008029CE1",
            r#"{"rd":"192.168.201.1:123","endpoint":5,"base":10702,"offset":1,"size":8}"#,
        ),
    ];

    #[test]
    fn exabgp_messages() {
        for (msg, json) in EXABGP {
            let msg = hex::decode(msg).unwrap();
            let (afi, safi, nlri) = mp_nlri(&msg).unwrap();
            assert_eq!((afi, safi), (25, 65));
            let mut r = Reader::new(nlri, "t");
            let v = VplsNlri::decode(&mut r).unwrap();
            assert!(r.is_empty());
            assert_eq!(enc(&v), nlri);
            let exp: serde_json::Value = serde_json::from_str(json).unwrap();
            match &v {
                VplsNlri::Vpls {
                    rd,
                    ve_id,
                    ve_block_offset,
                    ve_block_size,
                    label_base,
                } => {
                    assert_eq!(rd.to_string(), exp["rd"].as_str().unwrap());
                    assert_eq!(u64::from(*ve_id), exp["endpoint"].as_u64().unwrap());
                    assert_eq!(u64::from(label_base.value()), exp["base"].as_u64().unwrap());
                    assert_eq!(u64::from(*ve_block_offset), exp["offset"].as_u64().unwrap());
                    assert_eq!(u64::from(*ve_block_size), exp["size"].as_u64().unwrap());
                }
                other => panic!("unexpected {other}"),
            }
            assert_eq!(v.to_string().parse::<VplsNlri>().unwrap(), v);
        }
        let first = VplsNlri::decode(&mut Reader::new(
            &hex::decode("00110001C0A8C901007B000500010008029CE1").unwrap(),
            "t",
        ))
        .unwrap();
        assert_eq!(
            first.to_string(),
            "rd 192.168.201.1:123 ve-id 5 offset 1 size 8 label-base 10702"
        );
        // The End-of-RIB of the same file: MP_UNREACH_NLRI with no NLRI.
        let eor =
            hex::decode("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001E0200000007900F0003001941").unwrap();
        assert_eq!(mp_nlri(&eor), Some((25, 65, &[][..])));
    }

    #[test]
    fn hand_built() {
        // RFC 4761 with a label base whose low bits are not just S=1.
        let b = [
            0, 17, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 1, 0, 0, 0, 10, 0x10, 0x00, 0x00,
        ];
        let v = VplsNlri::decode(&mut Reader::new(&b, "t")).unwrap();
        assert_eq!(
            v.to_string(),
            "rd 65000:1 ve-id 1 offset 0 size 10 label-base-raw 1048576"
        );
        assert_eq!(enc(&v), b);
        assert_eq!(v.to_string().parse::<VplsNlri>().unwrap(), v);
        // RFC 6074 BGP-AD: length 12.
        let b = [0, 12, 0, 1, 192, 0, 2, 1, 0, 7, 192, 0, 2, 1];
        let v = VplsNlri::decode(&mut Reader::new(&b, "t")).unwrap();
        assert_eq!(v.to_string(), "rd 192.0.2.1:7 pe 192.0.2.1");
        assert_eq!(enc(&v), b);
        assert_eq!(v.to_string().parse::<VplsNlri>().unwrap(), v);
        assert_eq!(v.rd().to_string(), "192.0.2.1:7");
    }

    #[test]
    fn bad_bytes() {
        let good = hex::decode("00110001C0A8C901007B000500010008029CE1").unwrap();
        for n in 0..good.len() {
            assert!(VplsNlri::decode(&mut Reader::new(&good[..n], "t")).is_err());
        }
        // Lengths other than 17 and 12.
        for len in [0u8, 11, 13, 16, 18] {
            let mut b = good.clone();
            b[1] = len;
            b.resize(2 + usize::from(len), 0);
            assert!(matches!(
                VplsNlri::decode(&mut Reader::new(&b, "t")),
                Err(WireError::BadLength { .. })
            ));
        }
        // Only one NLRI is read.
        let mut two = good.clone();
        two.extend(&good);
        let mut r = Reader::new(&two, "t");
        VplsNlri::decode(&mut r).unwrap();
        assert_eq!(r.remaining(), good.len());
    }

    #[test]
    fn bad_text() {
        for s in [
            "",
            "rd 65000:1",
            "rd 65000:1 ve-id 1 offset 0 size 10",
            "rd 65000:1 ve-id 1 offset 0 size 10 label-base 1048576",
            "rd 65000:1 ve-id 1 offset 0 size 10 label-base-raw 16777216",
            "rd 65000:1 ve-id 65536 offset 0 size 10 label-base 1",
            "rd 65000:1 ve-id 1 size 10 offset 0 label-base 1",
            "rd 65000:1 ve-id 1 offset 0 size 10 label-base 1 x",
            "rd 65000:1 pe ::1",
            "rd 65000:1 pe 1.2.3.4 ve-id 1",
        ] {
            assert!(s.parse::<VplsNlri>().is_err(), "{s:?} parsed");
        }
        let v: VplsNlri = "rd 65000:1 ve-id 1 offset 0 size 10 label-base 16"
            .parse()
            .unwrap();
        assert_eq!(enc(&v)[16..], [0, 1, 1]);
    }

    fn arb_nlri() -> impl Strategy<Value = VplsNlri> {
        let rd = any::<[u8; 8]>().prop_map(RouteDistinguisher);
        prop_oneof![
            (
                rd.clone(),
                any::<u16>(),
                any::<u16>(),
                any::<u16>(),
                prop_oneof![
                    (0u32..=0xf_ffff).prop_map(|v| Label::new(v, true)),
                    (0u32..=0xff_ffff).prop_map(Label::from_raw),
                ],
            )
                .prop_map(|(rd, ve_id, ve_block_offset, ve_block_size, label_base)| {
                    VplsNlri::Vpls {
                        rd,
                        ve_id,
                        ve_block_offset,
                        ve_block_size,
                        label_base,
                    }
                }),
            (rd, any::<[u8; 4]>())
                .prop_map(|(rd, pe)| VplsNlri::AutoDiscovery { rd, pe: pe.into() }),
        ]
    }

    proptest! {
        #[test]
        fn wire_round_trip(n in arb_nlri()) {
            let b = enc(&n);
            let mut r = Reader::new(&b, "t");
            let back = VplsNlri::decode(&mut r).unwrap();
            prop_assert!(r.is_empty());
            prop_assert_eq!(&back, &n);
            prop_assert_eq!(enc(&back), b);
        }

        #[test]
        fn text_round_trip(n in arb_nlri()) {
            prop_assert_eq!(n.to_string().parse::<VplsNlri>().unwrap(), n);
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut r = Reader::new(&b, "t");
            if let Ok(n) = VplsNlri::decode(&mut r) {
                prop_assert_eq!(enc(&n), &b[..r.position()]);
            }
        }

        #[test]
        fn truncated_never_panics(n in arb_nlri(), cut in any::<prop::sample::Index>()) {
            let b = enc(&n);
            let k = cut.index(b.len());
            prop_assert!(VplsNlri::decode(&mut Reader::new(&b[..k], "t")).is_err());
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,60}") {
            let _ = s.parse::<VplsNlri>();
        }
    }
}
