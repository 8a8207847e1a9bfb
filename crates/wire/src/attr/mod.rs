//! Path attributes (RFC 4271 §4.3 and the RFCs that added types).
//!
//! [`PathAttribute`] keeps the flags as received (so the Partial bit and a
//! needlessly extended length survive a round trip) and a typed
//! [`AttrValue`]. Unknown attributes keep their raw bytes.

use std::net::Ipv4Addr;

use crate::context::Context;
use crate::error::WireError;
use crate::reader::Reader;

pub mod as_path;
pub mod community;
pub mod ext_community;
pub mod mp;
pub mod simple;

pub use as_path::{AsPath, AsSegment, SegmentType, AS_TRANS};
pub use community::{Community, LargeCommunity};
pub use ext_community::{Admin, ExtCommunity, ExtKind, Ipv6ExtCommunity};
pub use mp::{MpError, MpReach, MpUnreach, NextHop};
pub use simple::{
    Aggregator, Aigp, Origin, PmsiTunnel, PrefixSid, SubTlv, Tlv, Tunnel, TunnelEncap,
};

pub use crate::nlri::bgpls::BgpLsAttribute;

// Short lists are the common case: kept inline, no allocation, and no
// larger than a Vec (so `AttrValue` does not grow).
/// COMMUNITIES values.
pub type Communities = smallvec::SmallVec<[Community; 4]>;
/// EXTENDED_COMMUNITIES values.
pub type ExtCommunities = smallvec::SmallVec<[ExtCommunity; 2]>;
/// LARGE_COMMUNITIES values.
pub type LargeCommunities = smallvec::SmallVec<[LargeCommunity; 1]>;

/// Attribute flag bits (RFC 4271 §4.3).
pub mod flags {
    pub const OPTIONAL: u8 = 0x80;
    pub const TRANSITIVE: u8 = 0x40;
    pub const PARTIAL: u8 = 0x20;
    pub const EXTENDED_LENGTH: u8 = 0x10;
}

/// Attribute type codes (IANA "BGP Path Attributes").
pub mod code {
    pub const ORIGIN: u8 = 1;
    pub const AS_PATH: u8 = 2;
    pub const NEXT_HOP: u8 = 3;
    pub const MULTI_EXIT_DISC: u8 = 4;
    pub const LOCAL_PREF: u8 = 5;
    pub const ATOMIC_AGGREGATE: u8 = 6;
    pub const AGGREGATOR: u8 = 7;
    pub const COMMUNITIES: u8 = 8;
    pub const ORIGINATOR_ID: u8 = 9;
    pub const CLUSTER_LIST: u8 = 10;
    pub const MP_REACH_NLRI: u8 = 14;
    pub const MP_UNREACH_NLRI: u8 = 15;
    pub const EXTENDED_COMMUNITIES: u8 = 16;
    pub const AS4_PATH: u8 = 17;
    pub const AS4_AGGREGATOR: u8 = 18;
    pub const PMSI_TUNNEL: u8 = 22;
    pub const TUNNEL_ENCAPSULATION: u8 = 23;
    pub const IPV6_EXTENDED_COMMUNITIES: u8 = 25;
    pub const AIGP: u8 = 26;
    pub const BGP_LS: u8 = 29;
    pub const LARGE_COMMUNITIES: u8 = 32;
    pub const BGPSEC_PATH: u8 = 33;
    pub const OTC: u8 = 35;
    pub const PREFIX_SID: u8 = 40;
    pub const ATTR_SET: u8 = 128;
}

/// What RFC 7606 says to do when an attribute of this type is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ErrorAction {
    /// Drop the attribute, keep the routes (RFC 7606 §2).
    AttributeDiscard,
    /// Treat every NLRI of the UPDATE as withdrawn (RFC 7606 §2).
    TreatAsWithdraw,
    /// Stop using the family on this session (RFC 4760 §7, RFC 7606 §2).
    AfiSafiDisable,
    /// Send NOTIFICATION and close (RFC 4271 §6).
    SessionReset,
}

/// The action for a malformed attribute of type `code` (RFC 7606 §7 and
/// the RFCs that define later attributes).
pub fn malformed_action(code: u8) -> ErrorAction {
    use code::*;
    match code {
        // §7.6, §7.7, RFC 6793 §6 (AS4_*), RFC 7311 §3.1, RFC 9552 §8.2.2
        ATOMIC_AGGREGATE | AGGREGATOR | AS4_PATH | AS4_AGGREGATOR | AIGP | BGP_LS => {
            ErrorAction::AttributeDiscard
        }
        MP_REACH_NLRI | MP_UNREACH_NLRI => ErrorAction::AfiSafiDisable,
        _ => ErrorAction::TreatAsWithdraw,
    }
}

/// The (optional, transitive) flag bits each known attribute must carry.
pub fn expected_flags(code: u8) -> Option<u8> {
    use code::*;
    const WK: u8 = flags::TRANSITIVE;
    const OT: u8 = flags::OPTIONAL | flags::TRANSITIVE;
    const ON: u8 = flags::OPTIONAL;
    Some(match code {
        ORIGIN | AS_PATH | NEXT_HOP | LOCAL_PREF | ATOMIC_AGGREGATE => WK,
        AGGREGATOR
        | COMMUNITIES
        | EXTENDED_COMMUNITIES
        | AS4_PATH
        | AS4_AGGREGATOR
        | PMSI_TUNNEL
        | TUNNEL_ENCAPSULATION
        | IPV6_EXTENDED_COMMUNITIES
        | LARGE_COMMUNITIES
        | OTC
        | PREFIX_SID
        | ATTR_SET => OT,
        // RFC 7311 §3: AIGP is optional non-transitive.
        MULTI_EXIT_DISC | ORIGINATOR_ID | CLUSTER_LIST | MP_REACH_NLRI | MP_UNREACH_NLRI
        | BGP_LS | AIGP => ON,
        _ => return None,
    })
}

/// ATTR_SET (RFC 6368): attributes of a customer network carried across
/// a provider's core.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AttrSet {
    pub origin_as: u32,
    pub attributes: Vec<PathAttribute>,
}

/// An attribute we do not interpret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UnknownAttr {
    pub code: u8,
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_hex"))]
    pub data: Vec<u8>,
}

/// A typed attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum AttrValue {
    Origin(Origin),
    AsPath(AsPath),
    NextHop(Ipv4Addr),
    Med(u32),
    LocalPref(u32),
    AtomicAggregate,
    Aggregator(Aggregator),
    Communities(Communities),
    OriginatorId(Ipv4Addr),
    ClusterList(Vec<Ipv4Addr>),
    // Boxed: they are large and at most one of each per UPDATE.
    MpReach(Box<MpReach>),
    MpUnreach(Box<MpUnreach>),
    ExtCommunities(ExtCommunities),
    As4Path(AsPath),
    As4Aggregator(Aggregator),
    PmsiTunnel(PmsiTunnel),
    TunnelEncap(TunnelEncap),
    Ipv6ExtCommunities(Vec<Ipv6ExtCommunity>),
    Aigp(Aigp),
    BgpLs(BgpLsAttribute),
    LargeCommunities(LargeCommunities),
    Otc(u32),
    PrefixSid(PrefixSid),
    AttrSet(Box<AttrSet>),
    Unknown(UnknownAttr),
}

/// One path attribute: flags as received plus the typed value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PathAttribute {
    #[cfg_attr(feature = "serde", serde(skip))]
    pub flags: u8,
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub value: AttrValue,
}

#[cfg(feature = "serde")]
pub(crate) fn ser_hex<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let mut t = String::with_capacity(v.len() * 2);
    for b in v {
        t.push_str(&format!("{b:02x}"));
    }
    s.serialize_str(&t)
}

/// 256-bit set of seen attribute codes.
#[derive(Default)]
pub(crate) struct Seen([u64; 4]);

impl Seen {
    /// Mark `code`; true if it was already set.
    pub(crate) fn insert(&mut self, code: u8) -> bool {
        let (w, b) = (usize::from(code >> 6), code & 63);
        match self.0.get_mut(w) {
            Some(word) => {
                let was = *word & (1 << b) != 0;
                *word |= 1 << b;
                was
            }
            None => false,
        }
    }
    pub(crate) fn has(&self, code: u8) -> bool {
        self.0
            .get(usize::from(code >> 6))
            .is_some_and(|w| w & (1 << (code & 63)) != 0)
    }
}

/// Append an attribute made from a small value, in a function of its own
/// for each kind: inlined, the kinds' appends were merged into one that
/// copied the value through the stack (see `AttrValue::decode_push`).
#[inline(never)]
fn push_built<T>(out: &mut Vec<PathAttribute>, flags: u8, x: T, make: impl FnOnce(T) -> AttrValue) {
    out.push(PathAttribute {
        flags,
        value: make(x),
    });
}

fn u32_exact(value: &[u8], what: &'static str) -> Result<u32, WireError> {
    <[u8; 4]>::try_from(value)
        .map(u32::from_be_bytes)
        .map_err(|_| WireError::BadLength {
            what,
            len: value.len(),
        })
}

/// Error from decoding one attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrError {
    Value(WireError),
    Mp(MpError),
}

impl From<WireError> for AttrError {
    fn from(e: WireError) -> Self {
        AttrError::Value(e)
    }
}

impl From<MpReach> for AttrValue {
    fn from(m: MpReach) -> Self {
        AttrValue::MpReach(Box::new(m))
    }
}

impl From<MpUnreach> for AttrValue {
    fn from(m: MpUnreach) -> Self {
        AttrValue::MpUnreach(Box::new(m))
    }
}

impl AttrValue {
    /// The type code this value is sent with.
    pub fn code(&self) -> u8 {
        use code::*;
        match self {
            AttrValue::Origin(_) => ORIGIN,
            AttrValue::AsPath(_) => AS_PATH,
            AttrValue::NextHop(_) => NEXT_HOP,
            AttrValue::Med(_) => MULTI_EXIT_DISC,
            AttrValue::LocalPref(_) => LOCAL_PREF,
            AttrValue::AtomicAggregate => ATOMIC_AGGREGATE,
            AttrValue::Aggregator(_) => AGGREGATOR,
            AttrValue::Communities(_) => COMMUNITIES,
            AttrValue::OriginatorId(_) => ORIGINATOR_ID,
            AttrValue::ClusterList(_) => CLUSTER_LIST,
            AttrValue::MpReach(_) => MP_REACH_NLRI,
            AttrValue::MpUnreach(_) => MP_UNREACH_NLRI,
            AttrValue::ExtCommunities(_) => EXTENDED_COMMUNITIES,
            AttrValue::As4Path(_) => AS4_PATH,
            AttrValue::As4Aggregator(_) => AS4_AGGREGATOR,
            AttrValue::PmsiTunnel(_) => PMSI_TUNNEL,
            AttrValue::TunnelEncap(_) => TUNNEL_ENCAPSULATION,
            AttrValue::Ipv6ExtCommunities(_) => IPV6_EXTENDED_COMMUNITIES,
            AttrValue::Aigp(_) => AIGP,
            AttrValue::BgpLs(_) => BGP_LS,
            AttrValue::LargeCommunities(_) => LARGE_COMMUNITIES,
            AttrValue::Otc(_) => OTC,
            AttrValue::PrefixSid(_) => PREFIX_SID,
            AttrValue::AttrSet(_) => ATTR_SET,
            AttrValue::Unknown(u) => u.code,
        }
    }

    /// Decode the value of attribute `code` and append it to `out` with
    /// `flags`. The common attributes are built straight in the list's
    /// slot: returning a ~60-octet value and copying it in made the CPU
    /// reload narrow stores with wide loads (store forwarding fails), a
    /// third of an UPDATE's decode.
    #[inline]
    pub(crate) fn decode_push(
        flags: u8,
        code: u8,
        value: &[u8],
        ctx: &Context,
        out: &mut Vec<PathAttribute>,
    ) -> Result<(), AttrError> {
        use code::*;
        match code {
            ORIGIN => {
                push_built(out, flags, Origin::decode(value)?, AttrValue::Origin);
            }
            NEXT_HOP => {
                let a = Ipv4Addr::from(u32_exact(value, "NEXT_HOP")?);
                push_built(out, flags, a, AttrValue::NextHop);
            }
            MULTI_EXIT_DISC => {
                push_built(
                    out,
                    flags,
                    u32_exact(value, "MULTI_EXIT_DISC")?,
                    AttrValue::Med,
                );
            }
            LOCAL_PREF => {
                push_built(
                    out,
                    flags,
                    u32_exact(value, "LOCAL_PREF")?,
                    AttrValue::LocalPref,
                );
            }
            AGGREGATOR => {
                let a = Aggregator::decode(value, ctx.four_octet_as)?;
                push_built(out, flags, a, AttrValue::Aggregator);
            }
            AS_PATH => {
                out.push(PathAttribute {
                    flags,
                    value: AttrValue::AsPath(AsPath::default()),
                });
                if let Some(PathAttribute {
                    value: AttrValue::AsPath(p),
                    ..
                }) = out.last_mut()
                {
                    if let Err(e) = p.decode_in_place(value, ctx.four_octet_as) {
                        out.pop();
                        return Err(e.into());
                    }
                }
            }
            COMMUNITIES => {
                Community::check_list(value)?;
                out.push(PathAttribute {
                    flags,
                    value: AttrValue::Communities(Communities::new()),
                });
                if let Some(PathAttribute {
                    value: AttrValue::Communities(c),
                    ..
                }) = out.last_mut()
                {
                    Community::decode_list_into(value, c);
                }
            }
            _ => out.push(PathAttribute {
                flags,
                value: AttrValue::decode(code, value, ctx)?,
            }),
        }
        Ok(())
    }

    /// Decode the value of attribute `code`.
    pub fn decode(code: u8, value: &[u8], ctx: &Context) -> Result<AttrValue, AttrError> {
        use code::*;
        Ok(match code {
            ORIGIN => AttrValue::Origin(Origin::decode(value)?),
            AS_PATH => AttrValue::AsPath(AsPath::decode(value, ctx.four_octet_as)?),
            NEXT_HOP => AttrValue::NextHop(Ipv4Addr::from(u32_exact(value, "NEXT_HOP")?)),
            MULTI_EXIT_DISC => AttrValue::Med(u32_exact(value, "MULTI_EXIT_DISC")?),
            LOCAL_PREF => AttrValue::LocalPref(u32_exact(value, "LOCAL_PREF")?),
            ATOMIC_AGGREGATE => {
                if !value.is_empty() {
                    return Err(WireError::BadLength {
                        what: "ATOMIC_AGGREGATE",
                        len: value.len(),
                    }
                    .into());
                }
                AttrValue::AtomicAggregate
            }
            AGGREGATOR => AttrValue::Aggregator(Aggregator::decode(value, ctx.four_octet_as)?),
            COMMUNITIES => AttrValue::Communities(Community::decode_list(value)?),
            ORIGINATOR_ID => {
                AttrValue::OriginatorId(Ipv4Addr::from(u32_exact(value, "ORIGINATOR_ID")?))
            }
            CLUSTER_LIST => {
                // RFC 7606 §7.10: non-zero multiple of 4.
                if value.is_empty() || !value.len().is_multiple_of(4) {
                    return Err(WireError::BadLength {
                        what: "CLUSTER_LIST",
                        len: value.len(),
                    }
                    .into());
                }
                AttrValue::ClusterList(
                    value
                        .chunks_exact(4)
                        .map(|c| Ipv4Addr::from(<[u8; 4]>::try_from(c).unwrap_or([0; 4])))
                        .collect(),
                )
            }
            MP_REACH_NLRI => AttrValue::MpReach(Box::new(
                MpReach::decode(value, ctx).map_err(AttrError::Mp)?,
            )),
            MP_UNREACH_NLRI => AttrValue::MpUnreach(Box::new(
                MpUnreach::decode(value, ctx).map_err(AttrError::Mp)?,
            )),
            EXTENDED_COMMUNITIES => AttrValue::ExtCommunities(ExtCommunity::decode_list(value)?),
            AS4_PATH => AttrValue::As4Path(AsPath::decode(value, true)?),
            AS4_AGGREGATOR => AttrValue::As4Aggregator(Aggregator::decode(value, true)?),
            PMSI_TUNNEL => AttrValue::PmsiTunnel(PmsiTunnel::decode(value)?),
            TUNNEL_ENCAPSULATION => AttrValue::TunnelEncap(TunnelEncap::decode(value)?),
            IPV6_EXTENDED_COMMUNITIES => {
                AttrValue::Ipv6ExtCommunities(Ipv6ExtCommunity::decode_list(value)?)
            }
            AIGP => AttrValue::Aigp(Aigp::decode(value)?),
            BGP_LS => AttrValue::BgpLs(BgpLsAttribute::decode(value)?),
            LARGE_COMMUNITIES => AttrValue::LargeCommunities(LargeCommunity::decode_list(value)?),
            OTC => AttrValue::Otc(u32_exact(value, "OTC")?),
            PREFIX_SID => AttrValue::PrefixSid(PrefixSid::decode(value)?),
            ATTR_SET => {
                let mut r = Reader::new(value, "ATTR_SET");
                let origin_as = r.u32()?;
                let inner = r.rest();
                let mut attributes = Vec::new();
                let mut ar = Reader::new(inner, "ATTR_SET attributes");
                let mut seen = Seen::default();
                while !ar.is_empty() {
                    let (flags, code, v) = read_header(&mut ar)?;
                    // Nested MP attributes are not allowed (RFC 6368 §5).
                    if matches!(code, MP_REACH_NLRI | MP_UNREACH_NLRI | ATTR_SET) {
                        return Err(WireError::invalid("ATTR_SET nested attribute", code).into());
                    }
                    // Each attribute at most once in a path attribute list
                    // (RFC 4271 §5). An UPDATE's own repeats are discarded
                    // (RFC 7606 §3 g); the inner list has no verdict to
                    // record that in, so a repeat makes the ATTR_SET
                    // malformed. It also bounds a set: at most 253 inner
                    // attributes (16 KiB of entries), where repeats of a
                    // tiny one made it ~21 times its wire size.
                    if seen.insert(code) {
                        return Err(WireError::invalid("ATTR_SET repeated attribute", code).into());
                    }
                    let value = AttrValue::decode(code, v, ctx)?;
                    attributes.push(PathAttribute { flags, value });
                }
                AttrValue::AttrSet(Box::new(AttrSet {
                    origin_as,
                    attributes,
                }))
            }
            _ => AttrValue::Unknown(UnknownAttr {
                code,
                data: value.to_vec(),
            }),
        })
    }

    /// Write the value (without the attribute header).
    pub fn encode_value(&self, ctx: &Context, out: &mut Vec<u8>) {
        match self {
            AttrValue::Origin(o) => out.push(*o as u8),
            AttrValue::AsPath(p) => p.encode(ctx.four_octet_as, out),
            AttrValue::NextHop(a) | AttrValue::OriginatorId(a) => {
                out.extend_from_slice(&a.octets())
            }
            AttrValue::Med(v) | AttrValue::LocalPref(v) | AttrValue::Otc(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            AttrValue::AtomicAggregate => {}
            AttrValue::Aggregator(a) => a.encode(ctx.four_octet_as, out),
            AttrValue::Communities(c) => Community::encode_list(c, out),
            AttrValue::ClusterList(l) => {
                for a in l {
                    out.extend_from_slice(&a.octets());
                }
            }
            AttrValue::MpReach(m) => m.encode(ctx, out),
            AttrValue::MpUnreach(m) => m.encode(out),
            AttrValue::ExtCommunities(c) => ExtCommunity::encode_list(c, out),
            AttrValue::As4Path(p) => p.encode(true, out),
            AttrValue::As4Aggregator(a) => a.encode(true, out),
            AttrValue::PmsiTunnel(p) => p.encode(out),
            AttrValue::TunnelEncap(t) => t.encode(out),
            AttrValue::Ipv6ExtCommunities(c) => Ipv6ExtCommunity::encode_list(c, out),
            AttrValue::Aigp(a) => a.encode(out),
            AttrValue::BgpLs(b) => b.encode(out),
            AttrValue::LargeCommunities(c) => LargeCommunity::encode_list(c, out),
            AttrValue::PrefixSid(p) => p.encode(out),
            AttrValue::AttrSet(s) => {
                out.extend_from_slice(&s.origin_as.to_be_bytes());
                for a in &s.attributes {
                    a.encode(ctx, out);
                }
            }
            AttrValue::Unknown(u) => out.extend_from_slice(&u.data),
        }
    }
}

/// Read one attribute header and its value.
#[inline]
pub(crate) fn read_header<'a>(r: &mut Reader<'a>) -> Result<(u8, u8, &'a [u8]), WireError> {
    // Fast path on the slice: one bounds check per field group instead of
    // one per byte (this runs for every attribute of every UPDATE).
    let rest = r.peek_rest();
    let (flags, code, hdr, len) = match *rest {
        [f, c, hi, lo, ..] if f & flags::EXTENDED_LENGTH != 0 => {
            (f, c, 4, usize::from(u16::from_be_bytes([hi, lo])))
        }
        [f, c, l, ..] if f & flags::EXTENDED_LENGTH == 0 => (f, c, 3, usize::from(l)),
        _ => {
            // Too short for a header: let the checked reader say where.
            let f = r.u8()?;
            r.u8()?;
            if f & flags::EXTENDED_LENGTH != 0 {
                r.u16()?;
            } else {
                r.u8()?;
            }
            return Err(WireError::malformed("path attribute", "header truncated"));
        }
    };
    match rest.get(hdr..hdr + len) {
        Some(value) => {
            r.advance(hdr + len);
            Ok((flags, code, value))
        }
        None => {
            r.advance(hdr);
            Err(r.take(len).err().unwrap_or(WireError::BadLength {
                what: "path attribute",
                len,
            }))
        }
    }
}

impl PathAttribute {
    /// An attribute with the canonical flags for its type (unknown types:
    /// optional transitive).
    pub fn new(value: AttrValue) -> Self {
        let flags = expected_flags(value.code()).unwrap_or(flags::OPTIONAL | flags::TRANSITIVE);
        PathAttribute { flags, value }
    }

    pub fn code(&self) -> u8 {
        self.value.code()
    }

    /// This attribute as a speaker passes it on to another peer
    /// (RFC 4271 §5 and §9.1.4): an unrecognized optional transitive
    /// attribute gets the Partial bit; an unrecognized optional
    /// non-transitive one is dropped (`None`). Known attributes are
    /// returned unchanged; whether they propagate is the caller's policy.
    pub fn propagate(&self) -> Option<PathAttribute> {
        match &self.value {
            AttrValue::Unknown(_) if !self.is_transitive() => None,
            AttrValue::Unknown(_) => Some(PathAttribute {
                flags: self.flags | flags::PARTIAL,
                value: self.value.clone(),
            }),
            _ => Some(self.clone()),
        }
    }

    pub fn is_optional(&self) -> bool {
        self.flags & flags::OPTIONAL != 0
    }
    pub fn is_transitive(&self) -> bool {
        self.flags & flags::TRANSITIVE != 0
    }
    pub fn is_partial(&self) -> bool {
        self.flags & flags::PARTIAL != 0
    }

    /// Write header and value. The extended-length bit is kept if it was
    /// set and added when the value needs it.
    pub fn encode(&self, ctx: &Context, out: &mut Vec<u8>) {
        let start = out.len();
        let ext = self.flags & flags::EXTENDED_LENGTH != 0;
        out.push(self.flags);
        out.push(self.code());
        out.push(0);
        if ext {
            out.push(0);
        }
        let vstart = out.len();
        self.value.encode_value(ctx, out);
        let len = out.len() - vstart;
        if ext {
            if let Some(l) = out.get_mut(start + 2..start + 4) {
                l.copy_from_slice(&(len as u16).to_be_bytes());
            }
        } else if len > 255 {
            // Needs the 2-octet length after all: set the bit, widen the field.
            if let Some(f) = out.get_mut(start) {
                *f |= flags::EXTENDED_LENGTH;
            }
            out.insert(start + 3, 0);
            if let Some(l) = out.get_mut(start + 2..start + 4) {
                l.copy_from_slice(&(len as u16).to_be_bytes());
            }
        } else if let Some(l) = out.get_mut(start + 2) {
            *l = len as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use proptest::prelude::*;

    use super::*;

    /// Values of each length around the valid ones, for the codes
    /// `decode_push` builds in place and for one it hands to `decode`.
    fn code_and_value() -> impl Strategy<Value = (u8, Vec<u8>)> {
        let codes = prop::sample::select(vec![
            code::ORIGIN,
            code::AS_PATH,
            code::NEXT_HOP,
            code::MULTI_EXIT_DISC,
            code::LOCAL_PREF,
            code::AGGREGATOR,
            code::COMMUNITIES,
            code::LARGE_COMMUNITIES,
        ]);
        // AS_PATH values made of segments, so that valid paths (one or
        // more segments, more than six ASes) come up as often as bad ones.
        let segment = (1u8..=4, prop::collection::vec(any::<u16>(), 0..9)).prop_map(|(t, a)| {
            let mut v = vec![t, a.len() as u8];
            v.extend(a.iter().flat_map(|x| x.to_be_bytes()));
            v
        });
        let path = prop::collection::vec(segment, 0..3).prop_map(|s| s.concat());
        let raw = prop::collection::vec(any::<u8>(), 0..40);
        (codes, prop_oneof![raw, path])
    }

    /// AS_PATH and COMMUNITIES decoded the way they were before
    /// `decode_push` (each value built apart, then moved): an oracle
    /// independent of the in-place code that `AttrValue::decode` now uses
    /// too. Other codes: `AttrValue::decode`.
    fn reference(c: u8, value: &[u8], ctx: &Context) -> Result<AttrValue, AttrError> {
        match c {
            code::AS_PATH => {
                let mut r = Reader::new(value, "AS_PATH");
                let mut segments = smallvec::SmallVec::new();
                while !r.is_empty() {
                    let t = r.u8()?;
                    let kind = match t {
                        1 => SegmentType::Set,
                        2 => SegmentType::Sequence,
                        3 => SegmentType::ConfedSequence,
                        4 => SegmentType::ConfedSet,
                        _ => return Err(WireError::invalid("AS_PATH segment type", t).into()),
                    };
                    let n = usize::from(r.u8()?);
                    if n == 0 {
                        return Err(WireError::malformed("AS_PATH", "zero-length segment").into());
                    }
                    let width = if ctx.four_octet_as { 4 } else { 2 };
                    let raw = r.take(n * width)?;
                    let asns = raw
                        .chunks_exact(width)
                        .map(|b| b.iter().fold(0u32, |a, x| a << 8 | u32::from(*x)))
                        .collect();
                    segments.push(AsSegment { kind, asns });
                }
                Ok(AttrValue::AsPath(AsPath { segments }))
            }
            code::COMMUNITIES => {
                if value.is_empty() || !value.len().is_multiple_of(4) {
                    return Err(WireError::BadLength {
                        what: "COMMUNITIES",
                        len: value.len(),
                    }
                    .into());
                }
                Ok(AttrValue::Communities(
                    value
                        .chunks_exact(4)
                        .map(|b| Community(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
                        .collect(),
                ))
            }
            _ => AttrValue::decode(c, value, ctx),
        }
    }

    proptest! {
        #[test]
        fn decode_push_appends_what_decode_returns(
            (c, value) in code_and_value(),
            four in any::<bool>(),
            flags in any::<u8>(),
        ) {
            let mut ctx = Context::default();
            ctx.four_octet_as = four;
            let before = PathAttribute::new(AttrValue::Med(7));
            let mut out = vec![before.clone()];
            let got = AttrValue::decode_push(flags, c, &value, &ctx, &mut out);
            let want = reference(c, &value, &ctx);
            prop_assert_eq!(&AttrValue::decode(c, &value, &ctx), &want);
            match want {
                Ok(v) => {
                    prop_assert_eq!(got, Ok(()));
                    prop_assert_eq!(out, vec![before, PathAttribute { flags, value: v }]);
                }
                Err(e) => {
                    prop_assert_eq!(got, Err(e));
                    prop_assert_eq!(out, vec![before]);
                }
            }
        }
    }
}
