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
            .get(crate::message::HEADER_LEN..)
            .ok_or(WireError::Truncated {
                what: "UPDATE message",
                offset: 0,
                need: crate::message::HEADER_LEN,
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
