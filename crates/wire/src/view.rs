//! Zero-copy views of an UPDATE: walk attributes and NLRI over the
//! received bytes without allocating (in the manner of `smoltcp::wire`).
//! Use them on hot paths (collectors, counters, filters); convert to the
//! owned [`Update`](crate::update::Update) when you need to keep or modify.

use std::net::Ipv4Addr;

use crate::afi::{Afi, AfiSafi, Safi};
use crate::attr::{code, read_header};
use crate::context::Context;
use crate::error::WireError;
use crate::nlri::{Nlri, NlriEntry};
use crate::prefix::{Ipv4Prefix, Ipv6Prefix, Prefix};
use crate::reader::Reader;

/// An UPDATE body split into its three fields.
#[derive(Debug, Clone, Copy)]
pub struct UpdateView<'a> {
    withdrawn: &'a [u8],
    attributes: &'a [u8],
    nlri: &'a [u8],
    add_path_v4: bool,
}

/// One attribute as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    pub flags: u8,
    pub code: u8,
    pub value: &'a [u8],
}

impl<'a> UpdateView<'a> {
    /// Split an UPDATE body (after the header). Only the two length fields
    /// are checked here; attributes and NLRI are checked as they are walked.
    #[inline]
    pub fn new(body: &'a [u8], ctx: &Context) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "UPDATE");
        let wl = usize::from(r.u16()?);
        let withdrawn = r.take(wl)?;
        let al = usize::from(r.u16()?);
        let attributes = r.take(al)?;
        Ok(UpdateView {
            withdrawn,
            attributes,
            nlri: r.rest(),
            add_path_v4: ctx.add_path(AfiSafi::IPV4_UNICAST),
        })
    }

    /// View a whole message (header included).
    pub fn from_message(msg: &'a [u8], ctx: &Context) -> Result<Self, WireError> {
        let body = msg
            .get(crate::header::HEADER_LEN..)
            .ok_or(WireError::Truncated {
                what: "UPDATE message",
                offset: 0,
                need: crate::header::HEADER_LEN,
                have: msg.len(),
            })?;
        if msg.get(18) != Some(&2) {
            return Err(WireError::invalid(
                "message type (expected UPDATE)",
                msg.get(18).copied().unwrap_or(0),
            ));
        }
        Self::new(body, ctx)
    }

    pub fn withdrawn_bytes(&self) -> &'a [u8] {
        self.withdrawn
    }
    pub fn attribute_bytes(&self) -> &'a [u8] {
        self.attributes
    }
    pub fn nlri_bytes(&self) -> &'a [u8] {
        self.nlri
    }

    /// Classic IPv4 withdrawals.
    #[inline]
    pub fn withdrawn(&self) -> Ipv4Iter<'a> {
        Ipv4Iter {
            r: Reader::new(self.withdrawn, "withdrawn routes"),
            add_path: self.add_path_v4,
            failed: false,
        }
    }

    /// Classic IPv4 announcements.
    #[inline]
    pub fn nlri(&self) -> Ipv4Iter<'a> {
        Ipv4Iter {
            r: Reader::new(self.nlri, "NLRI"),
            add_path: self.add_path_v4,
            failed: false,
        }
    }

    #[inline]
    pub fn attributes(&self) -> AttrIter<'a> {
        AttrIter {
            r: Reader::new(self.attributes, "path attributes"),
            failed: false,
        }
    }

    /// The first attribute with `code`, if the walk reaches it.
    #[inline]
    pub fn attribute(&self, code: u8) -> Option<RawAttribute<'a>> {
        self.attributes()
            .filter_map(Result::ok)
            .find(|a| a.code == code)
    }

    pub fn next_hop(&self) -> Option<Ipv4Addr> {
        self.attribute(code::NEXT_HOP)
            .and_then(|a| <[u8; 4]>::try_from(a.value).ok())
            .map(Ipv4Addr::from)
    }

    pub fn mp_reach(&self, ctx: &Context) -> Option<Result<MpReachView<'a>, WireError>> {
        self.attribute(code::MP_REACH_NLRI)
            .map(|a| MpReachView::new(a.value, ctx))
    }

    pub fn mp_unreach(&self, ctx: &Context) -> Option<Result<MpUnreachView<'a>, WireError>> {
        self.attribute(code::MP_UNREACH_NLRI)
            .map(|a| MpUnreachView::new(a.value, ctx))
    }
}

/// Iterator over IPv4 prefixes (with optional path id).
#[derive(Debug, Clone)]
pub struct Ipv4Iter<'a> {
    r: Reader<'a>,
    add_path: bool,
    failed: bool,
}

impl Iterator for Ipv4Iter<'_> {
    type Item = Result<(Option<u32>, Ipv4Prefix), WireError>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let item = (|| {
            let id = if self.add_path {
                Some(self.r.u32()?)
            } else {
                None
            };
            Ok((id, Ipv4Prefix::decode(&mut self.r)?))
        })();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Iterator over attributes.
#[derive(Debug, Clone)]
pub struct AttrIter<'a> {
    r: Reader<'a>,
    failed: bool,
}

impl<'a> AttrIter<'a> {
    /// Walk a path attribute field that is not inside an UPDATE, such as
    /// the attributes of an MRT RIB entry (RFC 6396 §4.3.4) or a BMP TLV.
    pub fn new(bytes: &'a [u8]) -> Self {
        AttrIter {
            r: Reader::new(bytes, "path attributes"),
            failed: false,
        }
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = Result<RawAttribute<'a>, WireError>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let item = read_header(&mut self.r).map(|(flags, code, value)| RawAttribute {
            flags,
            code,
            value,
        });
        self.failed = item.is_err();
        Some(item)
    }
}

/// MP_REACH_NLRI over its bytes.
#[derive(Debug, Clone, Copy)]
pub struct MpReachView<'a> {
    pub family: AfiSafi,
    pub next_hop: &'a [u8],
    nlri: &'a [u8],
    add_path: bool,
}

impl<'a> MpReachView<'a> {
    pub fn new(value: &'a [u8], ctx: &Context) -> Result<Self, WireError> {
        let mut r = Reader::new(value, "MP_REACH_NLRI");
        let family = AfiSafi::new(Afi(r.u16()?), Safi(r.u8()?));
        let nl = usize::from(r.u8()?);
        let next_hop = r.take(nl)?;
        r.u8()?;
        Ok(MpReachView {
            family,
            next_hop,
            nlri: r.rest(),
            add_path: ctx.add_path(family),
        })
    }
    pub fn nlri(&self) -> NlriIter<'a> {
        NlriIter::new(self.nlri, self.family, self.add_path)
    }
}

/// MP_UNREACH_NLRI over its bytes.
#[derive(Debug, Clone, Copy)]
pub struct MpUnreachView<'a> {
    pub family: AfiSafi,
    nlri: &'a [u8],
    add_path: bool,
}

impl<'a> MpUnreachView<'a> {
    pub fn new(value: &'a [u8], ctx: &Context) -> Result<Self, WireError> {
        let mut r = Reader::new(value, "MP_UNREACH_NLRI");
        let family = AfiSafi::new(Afi(r.u16()?), Safi(r.u8()?));
        Ok(MpUnreachView {
            family,
            nlri: r.rest(),
            add_path: ctx.add_path(family),
        })
    }
    pub fn withdrawn(&self) -> NlriIter<'a> {
        NlriIter::new(self.nlri, self.family, self.add_path)
    }
}

/// Iterator over NLRI of any family. Unicast prefixes are returned without
/// allocating; other families allocate their owned form.
#[derive(Debug, Clone)]
pub struct NlriIter<'a> {
    r: Reader<'a>,
    family: AfiSafi,
    add_path: bool,
    failed: bool,
}

impl<'a> NlriIter<'a> {
    fn new(bytes: &'a [u8], family: AfiSafi, add_path: bool) -> Self {
        NlriIter {
            r: Reader::new(bytes, "NLRI"),
            family,
            add_path,
            failed: false,
        }
    }
}

impl Iterator for NlriIter<'_> {
    type Item = Result<NlriEntry, WireError>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let item = (|| {
            let path_id = if self.add_path {
                Some(self.r.u32()?)
            } else {
                None
            };
            let nlri = match (self.family.afi, self.family.safi) {
                (Afi::IPV4, Safi::UNICAST | Safi::MULTICAST) => {
                    Nlri::Prefix(Prefix::V4(Ipv4Prefix::decode(&mut self.r)?))
                }
                (Afi::IPV6, Safi::UNICAST | Safi::MULTICAST) => {
                    Nlri::Prefix(Prefix::V6(Ipv6Prefix::decode(&mut self.r)?))
                }
                _ => Nlri::decode(&mut self.r, self.family)?,
            };
            Ok(NlriEntry { path_id, nlri })
        })();
        self.failed = item.is_err();
        Some(item)
    }
}

/// A typed reading of one attribute, borrowing the received bytes. Lengths
/// are checked as in the owned decoder (RFC 7606 §7); lists are iterated
/// in place without allocating.
#[derive(Debug, Clone, Copy)]
pub enum AttrRef<'a> {
    Origin(crate::attr::Origin),
    AsPath(AsPathRef<'a>),
    As4Path(AsPathRef<'a>),
    NextHop(Ipv4Addr),
    Med(u32),
    LocalPref(u32),
    AtomicAggregate,
    Aggregator(crate::attr::Aggregator),
    As4Aggregator(crate::attr::Aggregator),
    Communities(ListRef<'a, 4>),
    OriginatorId(Ipv4Addr),
    ClusterList(ListRef<'a, 4>),
    ExtCommunities(ListRef<'a, 8>),
    LargeCommunities(ListRef<'a, 12>),
    Otc(u32),
    MpReach(MpReachView<'a>),
    MpUnreach(MpUnreachView<'a>),
    /// Anything else: use the owned decoder for its typed form.
    Other(RawAttribute<'a>),
}

/// A list of fixed-size items (communities, cluster IDs...) over the bytes.
#[derive(Debug, Clone, Copy)]
pub struct ListRef<'a, const N: usize>(&'a [u8]);

impl<'a, const N: usize> ListRef<'a, N> {
    /// RFC 7606: non-zero multiple of the item size.
    fn new(v: &'a [u8], what: &'static str) -> Result<Self, WireError> {
        if v.is_empty() || !v.len().is_multiple_of(N) {
            return Err(WireError::BadLength { what, len: v.len() });
        }
        Ok(ListRef(v))
    }
    pub fn len(&self) -> usize {
        self.0.len() / N
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }
    /// The raw items.
    pub fn items(&self) -> impl Iterator<Item = [u8; N]> + 'a {
        self.0
            .chunks_exact(N)
            .map(|c| <[u8; N]>::try_from(c).unwrap_or([0; N]))
    }
}

impl<'a> ListRef<'a, 4> {
    pub fn communities(&self) -> impl Iterator<Item = crate::attr::Community> + 'a {
        self.items()
            .map(|b| crate::attr::Community(u32::from_be_bytes(b)))
    }
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + 'a {
        self.items().map(Ipv4Addr::from)
    }
}

impl<'a> ListRef<'a, 8> {
    pub fn ext_communities(&self) -> impl Iterator<Item = crate::attr::ExtCommunity> + 'a {
        self.items().map(crate::attr::ExtCommunity)
    }
}

impl<'a> ListRef<'a, 12> {
    pub fn large_communities(&self) -> impl Iterator<Item = crate::attr::LargeCommunity> + 'a {
        self.items()
            .map(|[a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3]| {
                crate::attr::LargeCommunity::new(
                    u32::from_be_bytes([a0, a1, a2, a3]),
                    u32::from_be_bytes([b0, b1, b2, b3]),
                    u32::from_be_bytes([c0, c1, c2, c3]),
                )
            })
    }
}

/// AS_PATH / AS4_PATH over the bytes, validated on creation.
#[derive(Debug, Clone, Copy)]
pub struct AsPathRef<'a> {
    bytes: &'a [u8],
    four_octet: bool,
}

impl<'a> AsPathRef<'a> {
    /// Check segment types, zero lengths and overruns (RFC 7606 §7.2).
    fn new(bytes: &'a [u8], four_octet: bool) -> Result<Self, WireError> {
        let w = if four_octet { 4 } else { 2 };
        let mut rest = bytes;
        while let [t, n, tail @ ..] = rest {
            if !(1..=4).contains(t) {
                return Err(WireError::invalid("AS_PATH segment type", *t));
            }
            if *n == 0 {
                return Err(WireError::malformed("AS_PATH", "zero-length segment"));
            }
            rest = tail.get(usize::from(*n) * w..).ok_or(WireError::malformed(
                "AS_PATH",
                "segment overruns the attribute",
            ))?;
        }
        if !rest.is_empty() {
            return Err(WireError::malformed("AS_PATH", "truncated segment header"));
        }
        Ok(AsPathRef { bytes, four_octet })
    }

    /// Segments as (type, AS numbers).
    pub fn segments(&self) -> impl Iterator<Item = (crate::attr::SegmentType, AsnIter<'a>)> + 'a {
        let w = if self.four_octet { 4 } else { 2 };
        let mut rest = self.bytes;
        std::iter::from_fn(move || {
            let [t, n, tail @ ..] = rest else { return None };
            let len = usize::from(*n) * w;
            let body = tail.get(..len)?;
            rest = tail.get(len..).unwrap_or(&[]);
            let kind = match t {
                1 => crate::attr::SegmentType::Set,
                2 => crate::attr::SegmentType::Sequence,
                3 => crate::attr::SegmentType::ConfedSequence,
                _ => crate::attr::SegmentType::ConfedSet,
            };
            Some((
                kind,
                AsnIter {
                    bytes: body,
                    four_octet: w == 4,
                },
            ))
        })
    }

    /// Every AS number in order, whatever the segment.
    pub fn asns(&self) -> impl Iterator<Item = u32> + 'a {
        self.segments().flat_map(|(_, a)| a)
    }

    pub fn to_owned_path(&self) -> crate::attr::AsPath {
        // Validated in `new`, so this cannot fail.
        crate::attr::AsPath::decode(self.bytes, self.four_octet).unwrap_or_default()
    }
}

/// AS numbers of one segment.
#[derive(Debug, Clone)]
pub struct AsnIter<'a> {
    bytes: &'a [u8],
    four_octet: bool,
}

impl Iterator for AsnIter<'_> {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.four_octet {
            let (h, t) = self.bytes.split_first_chunk::<4>()?;
            self.bytes = t;
            Some(u32::from_be_bytes(*h))
        } else {
            let (h, t) = self.bytes.split_first_chunk::<2>()?;
            self.bytes = t;
            Some(u32::from(u16::from_be_bytes(*h)))
        }
    }
}

fn exact4(v: &[u8], what: &'static str) -> Result<u32, WireError> {
    <[u8; 4]>::try_from(v)
        .map(u32::from_be_bytes)
        .map_err(|_| WireError::BadLength { what, len: v.len() })
}

impl<'a> RawAttribute<'a> {
    /// The typed reading of this attribute.
    #[inline]
    pub fn parse(&self, ctx: &Context) -> Result<AttrRef<'a>, WireError> {
        use crate::attr::{Aggregator, Origin};
        let v = self.value;
        Ok(match self.code {
            code::ORIGIN => AttrRef::Origin(Origin::decode(v)?),
            code::AS_PATH => AttrRef::AsPath(AsPathRef::new(v, ctx.four_octet_as)?),
            code::NEXT_HOP => AttrRef::NextHop(Ipv4Addr::from(exact4(v, "NEXT_HOP")?)),
            code::MULTI_EXIT_DISC => AttrRef::Med(exact4(v, "MULTI_EXIT_DISC")?),
            code::LOCAL_PREF => AttrRef::LocalPref(exact4(v, "LOCAL_PREF")?),
            code::ATOMIC_AGGREGATE if v.is_empty() => AttrRef::AtomicAggregate,
            code::ATOMIC_AGGREGATE => {
                return Err(WireError::BadLength {
                    what: "ATOMIC_AGGREGATE",
                    len: v.len(),
                })
            }
            code::AGGREGATOR => AttrRef::Aggregator(Aggregator::decode(v, ctx.four_octet_as)?),
            code::COMMUNITIES => AttrRef::Communities(ListRef::new(v, "COMMUNITIES")?),
            code::ORIGINATOR_ID => {
                AttrRef::OriginatorId(Ipv4Addr::from(exact4(v, "ORIGINATOR_ID")?))
            }
            code::CLUSTER_LIST => AttrRef::ClusterList(ListRef::new(v, "CLUSTER_LIST")?),
            code::MP_REACH_NLRI => AttrRef::MpReach(MpReachView::new(v, ctx)?),
            code::MP_UNREACH_NLRI => AttrRef::MpUnreach(MpUnreachView::new(v, ctx)?),
            code::EXTENDED_COMMUNITIES => {
                AttrRef::ExtCommunities(ListRef::new(v, "EXTENDED_COMMUNITIES")?)
            }
            code::AS4_PATH => AttrRef::As4Path(AsPathRef::new(v, true)?),
            code::AS4_AGGREGATOR => AttrRef::As4Aggregator(Aggregator::decode(v, true)?),
            code::LARGE_COMMUNITIES => {
                AttrRef::LargeCommunities(ListRef::new(v, "LARGE_COMMUNITIES")?)
            }
            code::OTC => AttrRef::Otc(exact4(v, "OTC")?),
            _ => AttrRef::Other(*self),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::{AsPath, AttrValue, Community, PathAttribute};
    use crate::update::Update;

    #[test]
    fn typed_view_agrees_with_owned() {
        let ctx = Context::default();
        let u = Update {
            attributes: vec![
                PathAttribute::new(AttrValue::Origin(crate::attr::Origin::Egp)),
                PathAttribute::new(AttrValue::AsPath(
                    "65001 {7,8} 4200000000".parse::<AsPath>().unwrap(),
                )),
                PathAttribute::new(AttrValue::NextHop("192.0.2.1".parse().unwrap())),
                PathAttribute::new(AttrValue::Communities(
                    [Community::NO_EXPORT, Community::new(65000, 1)]
                        .into_iter()
                        .collect(),
                )),
                PathAttribute::new(AttrValue::LargeCommunities(
                    ["1:2:3".parse().unwrap()].into_iter().collect(),
                )),
            ],
            nlri: vec![crate::NlriEntry::new(
                "10.0.0.0/8".parse::<crate::Prefix>().unwrap().into(),
            )],
            ..Update::default()
        };
        let mut b = Vec::new();
        u.encode(&ctx, &mut b);
        let v = UpdateView::from_message(&b, &ctx).unwrap();
        let mut seen = 0;
        for a in v.attributes() {
            match a.unwrap().parse(&ctx).unwrap() {
                AttrRef::AsPath(p) => {
                    assert_eq!(p.asns().collect::<Vec<_>>(), vec![65001, 7, 8, 4200000000]);
                    assert_eq!(p.to_owned_path().to_string(), "65001 {7,8} 4200000000");
                    seen += 1;
                }
                AttrRef::Communities(c) => {
                    assert_eq!(
                        c.communities().map(|c| c.to_string()).collect::<Vec<_>>(),
                        ["no-export", "65000:1"]
                    );
                    seen += 1;
                }
                AttrRef::LargeCommunities(c) => {
                    assert_eq!(c.large_communities().next().unwrap().to_string(), "1:2:3");
                    seen += 1;
                }
                AttrRef::NextHop(n) => {
                    assert_eq!(n.to_string(), "192.0.2.1");
                    seen += 1;
                }
                AttrRef::Origin(o) => {
                    assert_eq!(o, crate::attr::Origin::Egp);
                    seen += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(seen, 5);
    }

    #[test]
    fn typed_view_rejects_what_owned_rejects() {
        let ctx = Context::legacy();
        for (code, v) in [
            (code::AS_PATH, &[2u8, 0][..]),
            (code::AS_PATH, &[2, 2, 0, 1]),
            (code::AS_PATH, &[9, 1, 0, 1]),
            (code::AS_PATH, &[2]),
            (code::COMMUNITIES, &[1, 2, 3]),
            (code::COMMUNITIES, &[]),
            (code::MULTI_EXIT_DISC, &[1]),
            (code::ORIGIN, &[3]),
            (code::LARGE_COMMUNITIES, &[0; 11]),
        ] {
            let raw = RawAttribute {
                flags: 0x40,
                code,
                value: v,
            };
            assert!(raw.parse(&ctx).is_err(), "{code} {v:?}");
            assert!(AttrValue::decode(code, v, &ctx).is_err(), "{code} {v:?}");
        }
    }
}
