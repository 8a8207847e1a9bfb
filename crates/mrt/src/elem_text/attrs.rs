//! The attributes of an UPDATE or a RIB entry read in place, with the
//! rules of the typed decoder ([`rbgp_wire::Update::decode`] and
//! [`crate::elem::ElemDecoder`]'s RIB entries), for the lines written from
//! the record bytes.
//!
//! Only lists whose typed reading is certain are read: each attribute
//! once, the printed ones well formed with their proper flags, MP_REACH
//! and MP_UNREACH of IPv4/IPv6 unicast or multicast, no AS4_PATH or
//! AS4_AGGREGATOR to merge. Anything else is `None`, and the caller takes
//! the typed path, which says what it makes of it (an attribute dropped,
//! a warning, the message refused). What the typed path ignores is
//! ignored here too: an UPDATE's attributes that no line shows are not
//! looked at (the decoder only notes their errors), while a RIB entry's
//! are decoded (the element decoder warns about them).

use std::sync::LazyLock;

use rbgp_wire::attr::{code, expected_flags, flags, AttrValue};
use rbgp_wire::Context;

/// Which reading: an UPDATE's (flags checked, an unrecognised
/// well-known attribute refuses the message) or a RIB entry's (every
/// attribute decoded, MP_REACH in the abbreviated form of RFC 6396
/// §4.3.4).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    Update,
    Rib,
}

/// An IPv4 or IPv6 unicast or multicast family.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Family {
    pub v6: bool,
    pub multicast: bool,
}

impl Family {
    /// AFI 1/2 with SAFI 1/2.
    pub(super) fn of(afi: u16, safi: u8) -> Option<Family> {
        let v6 = match afi {
            1 => false,
            2 => true,
            _ => return None,
        };
        let multicast = match safi {
            1 => false,
            2 => true,
            _ => return None,
        };
        Some(Family { v6, multicast })
    }

    /// The name `AfiSafi` prints.
    pub(super) fn name(self) -> &'static [u8] {
        match (self.v6, self.multicast) {
            (false, false) => b"ipv4_unicast",
            (false, true) => b"ipv4_multicast",
            (true, false) => b"ipv6_unicast",
            (true, true) => b"ipv6_multicast",
        }
    }
}

/// A next hop: IPv4, or IPv6 (the global address of a pair).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Hop {
    V4([u8; 4]),
    V6([u8; 16]),
}

/// MP_REACH_NLRI: its family (the record's for a RIB entry), next hop
/// and NLRI field (empty for a RIB entry).
#[derive(Clone, Copy)]
pub(super) struct Reach<'a> {
    pub family: Family,
    pub hop: Hop,
    pub nlri: &'a [u8],
}

/// MP_UNREACH_NLRI: its family and NLRI field.
#[derive(Clone, Copy)]
pub(super) struct Unreach<'a> {
    pub family: Family,
    pub nlri: &'a [u8],
}

/// The attributes the lines show, as the typed decoder would have them.
#[derive(Default)]
pub(super) struct Attrs<'a> {
    pub origin: Option<u8>,
    /// AS_PATH, well formed.
    pub path: Option<&'a [u8]>,
    pub next_hop: Option<[u8; 4]>,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub atomic: bool,
    pub aggregator: Option<(u32, [u8; 4])>,
    /// COMMUNITIES, a non-empty multiple of 4 octets.
    pub communities: Option<&'a [u8]>,
    /// LARGE_COMMUNITIES, a non-empty multiple of 12 octets.
    pub large: Option<&'a [u8]>,
    /// EXTENDED_COMMUNITIES as they are (read only for JSON).
    pub ext: Option<&'a [u8]>,
    pub otc: Option<u32>,
    pub reach: Option<Reach<'a>>,
    pub unreach: Option<Unreach<'a>>,
}

/// 256-bit set of the attribute codes seen.
#[derive(Default)]
struct Seen([u64; 4]);

impl Seen {
    /// Mark `c`; false if it was there already.
    #[inline]
    fn insert(&mut self, c: u8) -> bool {
        let bit = 1u64 << (c & 63);
        match self.0.get_mut(usize::from(c >> 6)) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }
}

fn u32_of(v: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(v).ok().map(u32::from_be_bytes)
}

/// An AS_PATH value the decoder takes: segments of a known type, none
/// empty, none overrunning the value.
pub(super) fn path_ok(mut v: &[u8], four: bool) -> bool {
    let w = if four { 4 } else { 2 };
    while let [t, n, ref rest @ ..] = *v {
        if !(1..=4).contains(&t) || n == 0 {
            return false;
        }
        match rest.get(usize::from(n) * w..) {
            Some(after) => v = after,
            None => return false,
        }
    }
    v.is_empty()
}

/// The origin AS of a well-formed path: the last ASN when the last
/// segment is an AS_SEQUENCE (`AsPath::origin_as`).
pub(super) fn origin_asn(mut v: &[u8], four: bool) -> Option<u32> {
    let w = if four { 4 } else { 2 };
    let mut last = None;
    while let [t, n, ref rest @ ..] = *v {
        let len = usize::from(n) * w;
        let seg = rest.get(..len)?;
        last = (t == 2)
            .then(|| seg.get(len.checked_sub(w)?..))
            .flatten()
            .map(|a| a.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)));
        v = rest.get(len..)?;
    }
    last
}

/// A next hop of 4, 16 or 32 octets (the global address of a pair).
fn hop(nh: &[u8]) -> Option<Hop> {
    match nh.len() {
        4 => <[u8; 4]>::try_from(nh).ok().map(Hop::V4),
        16 | 32 => nh
            .get(..16)
            .and_then(|a| <[u8; 16]>::try_from(a).ok())
            .map(Hop::V6),
        _ => None,
    }
}

/// MP_REACH_NLRI of an UPDATE: AFI, SAFI, next hop, the reserved octet
/// (any value: the decoder keeps it), NLRI.
fn reach(v: &[u8]) -> Option<Reach<'_>> {
    let [a0, a1, safi, nh_len, ref rest @ ..] = *v else {
        return None;
    };
    let family = Family::of(u16::from_be_bytes([a0, a1]), safi)?;
    let (nh, rest) = rest.split_at_checked(usize::from(nh_len))?;
    let (_reserved, nlri) = rest.split_first()?;
    Some(Reach {
        family,
        hop: hop(nh)?,
        nlri,
    })
}

/// MP_REACH_NLRI of a RIB entry in the abbreviated form (next-hop length
/// and next hop, nothing after them), for the record's `family`.
fn reach_abbreviated(v: &[u8], family: Family) -> Option<Reach<'static>> {
    let [nh_len, ref nh @ ..] = *v else {
        return None;
    };
    if nh_len == 0 || nh.len() != usize::from(nh_len) {
        return None;
    }
    Some(Reach {
        family,
        hop: hop(nh)?,
        nlri: &[],
    })
}

fn unreach(v: &[u8]) -> Option<Unreach<'_>> {
    let [a0, a1, safi, ref nlri @ ..] = *v else {
        return None;
    };
    Some(Unreach {
        family: Family::of(u16::from_be_bytes([a0, a1]), safi)?,
        nlri,
    })
}

/// [`expected_flags`] of every code, [`UNKNOWN`] for `None`.
static EXPECTED: LazyLock<[u8; 256]> =
    LazyLock::new(|| std::array::from_fn(|c| expected_flags(c as u8).unwrap_or(UNKNOWN)));
const UNKNOWN: u8 = 0xff;

/// Codes the typed decoder has a type for; their other values only
/// matter where a RIB entry's decode failure is warned about.
fn typed(c: u8) -> bool {
    matches!(c, 1..=10 | 14..=18 | 22 | 23 | 25 | 26 | 29 | 32 | 35 | 40 | 128)
}

impl<'a> Attrs<'a> {
    /// Read the attribute list `list` with `four`-octet ASNs. `json`: the
    /// lines show EXTENDED_COMMUNITIES and ONLY_TO_CUSTOMER too. `rib`:
    /// the family of the RIB record (RIB reading), `None` for an UPDATE.
    pub(super) fn read(
        list: &'a [u8],
        four: bool,
        json: bool,
        rib: Option<Family>,
    ) -> Option<Self> {
        let mut a = Attrs::default();
        let mut seen = Seen::default();
        let expected: &[u8; 256] = &EXPECTED;
        let mut rest = list;
        let reading = if rib.is_some() {
            Reading::Rib
        } else {
            Reading::Update
        };
        while let [f, c, ref after @ ..] = *rest {
            let (len, after) = if f & flags::EXTENDED_LENGTH != 0 {
                let (l, after) = after.split_first_chunk::<2>()?;
                (usize::from(u16::from_be_bytes(*l)), after)
            } else {
                let (l, after) = after.split_first()?;
                (usize::from(*l), after)
            };
            let (v, next) = after.split_at_checked(len)?;
            rest = next;
            if !seen.insert(c) {
                return None;
            }
            if reading == Reading::Update {
                match expected.get(usize::from(c)).copied().unwrap_or(UNKNOWN) {
                    // An unrecognised well-known attribute refuses it.
                    UNKNOWN if f & flags::OPTIONAL == 0 => return None,
                    UNKNOWN => {}
                    // Wrong flags drop the attribute, or refuse the message.
                    exp if f & (flags::OPTIONAL | flags::TRANSITIVE) != exp => return None,
                    _ => {}
                }
            }
            match c {
                code::ORIGIN => match *v {
                    [o @ 0..=2] => a.origin = Some(o),
                    _ => return None,
                },
                code::AS_PATH => {
                    if !path_ok(v, four) {
                        return None;
                    }
                    a.path = Some(v);
                }
                code::NEXT_HOP => a.next_hop = Some(<[u8; 4]>::try_from(v).ok()?),
                code::MULTI_EXIT_DISC => a.med = Some(u32_of(v)?),
                code::LOCAL_PREF => a.local_pref = Some(u32_of(v)?),
                code::ATOMIC_AGGREGATE if v.is_empty() => a.atomic = true,
                code::AGGREGATOR => {
                    a.aggregator = Some(match *v {
                        [a0, a1, a2, a3, i0, i1, i2, i3] if four => {
                            (u32::from_be_bytes([a0, a1, a2, a3]), [i0, i1, i2, i3])
                        }
                        [a0, a1, i0, i1, i2, i3] if !four => {
                            (u32::from(u16::from_be_bytes([a0, a1])), [i0, i1, i2, i3])
                        }
                        _ => return None,
                    })
                }
                code::COMMUNITIES if !v.is_empty() && v.len().is_multiple_of(4) => {
                    a.communities = Some(v)
                }
                code::LARGE_COMMUNITIES if !v.is_empty() && v.len().is_multiple_of(12) => {
                    a.large = Some(v)
                }
                code::MP_REACH_NLRI => {
                    a.reach = Some(match rib {
                        None => reach(v)?,
                        Some(fam) => reach_abbreviated(v, fam)?,
                    })
                }
                code::MP_UNREACH_NLRI if reading == Reading::Update => {
                    a.unreach = Some(unreach(v)?)
                }
                // Merged into the path and aggregator by rules of their own.
                code::AS4_PATH | code::AS4_AGGREGATOR => return None,
                code::EXTENDED_COMMUNITIES if json => a.ext = Some(v),
                code::OTC if json => a.otc = Some(u32_of(v)?),
                // Malformed values of the attributes above, MP_UNREACH in
                // a RIB entry.
                1..=8 | 15 | 32 => return None,
                // Not shown: an UPDATE ignores what they hold, a RIB entry
                // warns when they do not decode.
                _ if reading == Reading::Rib && typed(c) => {
                    let ctx = if four {
                        Context::default()
                    } else {
                        Context::legacy()
                    };
                    AttrValue::decode(c, v, &ctx).ok()?;
                }
                _ => {}
            }
        }
        // A lone octet left: the attribute header is cut short.
        rest.is_empty().then_some(a)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn paths_and_origin_as() {
        assert!(path_ok(&[], true));
        assert!(path_ok(&[2, 1, 0, 0, 0, 7], true));
        assert!(!path_ok(&[2, 0], true), "empty segment");
        assert!(!path_ok(&[5, 1, 0, 7], false), "unknown type");
        assert!(!path_ok(&[2, 2, 0, 7], false), "overrun");
        assert!(!path_ok(&[2], false), "lone type");
        assert_eq!(origin_asn(&[2, 2, 0, 1, 0, 7], false), Some(7));
        assert_eq!(origin_asn(&[2, 1, 0, 1, 1, 2, 0, 3, 0, 4], false), None);
        assert_eq!(
            origin_asn(&[1, 1, 0, 0, 0, 3, 2, 1, 0xfa, 0x56, 0xea, 0], true),
            Some(4_200_000_000)
        );
        assert_eq!(origin_asn(&[], true), None);
    }

    #[test]
    fn update_rules() {
        let origin = [0x40, 1, 1, 0];
        let a = Attrs::read(&origin, true, false, None).unwrap();
        assert_eq!(a.origin, Some(0));
        // Repeated, wrong flags, a bad value, an unrecognised well-known
        // attribute: the typed path.
        let twice = [origin, origin].concat();
        assert!(Attrs::read(&twice, true, false, None).is_none());
        assert!(Attrs::read(&[0xc0, 1, 1, 0], true, false, None).is_none());
        assert!(Attrs::read(&[0x40, 1, 1, 3], true, false, None).is_none());
        assert!(Attrs::read(&[0x40, 99, 0], true, false, None).is_none());
        // An optional one nobody prints is skipped, whatever it holds.
        let a = Attrs::read(&[0x80, 99, 1, 7], true, false, None).unwrap();
        assert!(a.origin.is_none());
        assert!(Attrs::read(&[0x80, 9, 1, 7], true, false, None).is_some());
        // ... but not in a RIB entry: ORIGINATOR_ID must decode there.
        let v4 = Some(Family::of(1, 1).unwrap());
        assert!(Attrs::read(&[0x80, 9, 1, 7], true, false, v4).is_none());
        assert!(Attrs::read(&[0x80, 9, 4, 1, 2, 3, 4], true, false, v4).is_some());
        // 2-octet AGGREGATOR only where ASNs have 2 octets.
        let agg = [0xc0, 7, 6, 0, 1, 10, 0, 0, 1];
        assert_eq!(
            Attrs::read(&agg, false, false, None).unwrap().aggregator,
            Some((1, [10, 0, 0, 1]))
        );
        assert!(Attrs::read(&agg, true, false, None).is_none());
        // ONLY_TO_CUSTOMER is read for JSON only.
        let otc = [0xc0, 35, 2, 0, 1];
        assert!(Attrs::read(&otc, true, false, None).is_some());
        assert!(Attrs::read(&otc, true, true, None).is_none());
        // The header cut short.
        assert!(Attrs::read(&[0x40, 1], true, false, None).is_none());
    }

    #[test]
    fn mp_attributes() {
        // IPv6 unicast, a global and link-local next hop, reserved 1.
        let mut v = vec![0x80, 14, 38, 0, 2, 1, 32];
        v.extend([0x20; 32]);
        v.extend([1, 0]);
        let a = Attrs::read(&v, true, false, None).unwrap();
        let r = a.reach.unwrap();
        assert_eq!(r.hop, Hop::V6([0x20; 16]));
        assert_eq!(r.nlri, &[0]);
        assert_eq!(r.family, Family::of(2, 1).unwrap());
        // VPN families, odd next hops: the typed path.
        assert!(Attrs::read(
            &[0x80, 14, 9, 0, 1, 128, 4, 1, 2, 3, 4, 0],
            true,
            false,
            None
        )
        .is_none());
        assert!(Attrs::read(&[0x80, 14, 8, 0, 1, 1, 3, 1, 2, 3, 0], true, false, None).is_none());
        // The abbreviated form in RIB entries only.
        let abbr = [0x80, 14, 5, 4, 10, 0, 0, 1];
        let fam = Family::of(2, 1).unwrap();
        let v6 = Some(fam);
        let r = Attrs::read(&abbr, true, false, v6).unwrap().reach.unwrap();
        assert_eq!((r.hop, r.family), (Hop::V4([10, 0, 0, 1]), fam));
        assert!(Attrs::read(&abbr, true, false, None).is_none());
        // MP_UNREACH in a RIB entry: the typed path.
        let unreach = [0x80, 15, 3, 0, 2, 1];
        assert!(Attrs::read(&unreach, true, false, None).is_some());
        assert!(Attrs::read(&unreach, true, false, v6).is_none());
    }
}
