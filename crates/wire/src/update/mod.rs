//! UPDATE (RFC 4271 §4.3): owned form, RFC 7606 decoding, encoding and
//! packing into as few messages as the session allows.

use crate::afi::AfiSafi;
use crate::attr::{AsPath, AttrValue, MpReach, MpUnreach, PathAttribute};
use crate::context::Context;
use crate::nlri::NlriEntry;

mod decode;
mod pack;

pub use decode::{Issue, UpdateError, Verdict};
pub use pack::{
    announcement_base, pack_announcements, pack_announcements_with_base, pack_withdrawals,
};

/// An UPDATE message. Attributes stay in the order received; classic
/// IPv4 unicast NLRI and withdrawals are in `nlri` / `withdrawn`, other
/// families inside the MP_REACH/MP_UNREACH attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Update {
    pub withdrawn: Vec<NlriEntry>,
    pub attributes: Vec<PathAttribute>,
    pub nlri: Vec<NlriEntry>,
}

impl Update {
    /// Decode an UPDATE body (after the 19-octet header) with RFC 7606
    /// error handling: `Err` means the session must be reset with the
    /// NOTIFICATION inside; otherwise the verdict says what else to do.
    pub fn decode(body: &[u8], ctx: &Context) -> Result<(Update, Verdict), UpdateError> {
        decode::decode(body, ctx)
    }

    /// Like [`Update::decode`], into an existing `Update` whose lists keep
    /// their capacity: decoding a stream of UPDATEs this way allocates only
    /// for lists longer than any seen before. On error the contents are
    /// unspecified (partly filled).
    pub fn decode_into(&mut self, body: &[u8], ctx: &Context) -> Result<Verdict, UpdateError> {
        decode::decode_into(body, ctx, self)
    }

    /// Encode the body (without the header).
    pub fn encode_body(&self, ctx: &Context, out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        for w in &self.withdrawn {
            w.encode(out);
        }
        let wlen = out.len() - at - 2;
        if let Some(l) = out.get_mut(at..at + 2) {
            l.copy_from_slice(&(wlen as u16).to_be_bytes());
        }
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        for a in &self.attributes {
            a.encode(ctx, out);
        }
        let alen = out.len() - at - 2;
        if let Some(l) = out.get_mut(at..at + 2) {
            l.copy_from_slice(&(alen as u16).to_be_bytes());
        }
        for n in &self.nlri {
            n.encode(out);
        }
    }

    /// Encode the whole message, header included.
    pub fn encode(&self, ctx: &Context, out: &mut Vec<u8>) {
        crate::header::encode_with_header(out, crate::header::MessageType::Update, |o| {
            self.encode_body(ctx, o)
        });
    }

    /// End-of-RIB marker (RFC 4724 §2): an empty UPDATE for IPv4 unicast,
    /// an UPDATE with only an empty MP_UNREACH_NLRI for other families.
    pub fn end_of_rib(family: AfiSafi) -> Update {
        if family == AfiSafi::IPV4_UNICAST {
            Update::default()
        } else {
            Update {
                attributes: vec![PathAttribute::new(AttrValue::from(MpUnreach::new(
                    family,
                    Vec::new(),
                )))],
                ..Update::default()
            }
        }
    }

    /// The family this UPDATE is an End-of-RIB marker for, if it is one.
    pub fn is_end_of_rib(&self) -> Option<AfiSafi> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() {
            return None;
        }
        match self.attributes.as_slice() {
            [] => Some(AfiSafi::IPV4_UNICAST),
            [PathAttribute {
                value: AttrValue::MpUnreach(m),
                ..
            }] if m.is_end_of_rib() => Some(m.family),
            _ => None,
        }
    }

    pub fn attribute(&self, code: u8) -> Option<&AttrValue> {
        self.attributes
            .iter()
            .find(|a| a.code() == code)
            .map(|a| &a.value)
    }

    pub fn mp_reach(&self) -> Option<&MpReach> {
        self.attributes.iter().find_map(|a| match &a.value {
            AttrValue::MpReach(m) => Some(m.as_ref()),
            _ => None,
        })
    }

    pub fn mp_unreach(&self) -> Option<&MpUnreach> {
        self.attributes.iter().find_map(|a| match &a.value {
            AttrValue::MpUnreach(m) => Some(m.as_ref()),
            _ => None,
        })
    }

    /// Every announced NLRI with its family: classic then MP_REACH.
    pub fn announced(&self) -> impl Iterator<Item = (AfiSafi, &NlriEntry)> {
        let classic = self.nlri.iter().map(|n| (AfiSafi::IPV4_UNICAST, n));
        let mp = self
            .mp_reach()
            .into_iter()
            .flat_map(|m| m.nlri.iter().map(move |n| (m.family, n)));
        classic.chain(mp)
    }

    /// Every withdrawn NLRI with its family: classic then MP_UNREACH.
    pub fn withdrawals(&self) -> impl Iterator<Item = (AfiSafi, &NlriEntry)> {
        let classic = self.withdrawn.iter().map(|n| (AfiSafi::IPV4_UNICAST, n));
        let mp = self
            .mp_unreach()
            .into_iter()
            .flat_map(|m| m.withdrawn.iter().map(move |n| (m.family, n)));
        classic.chain(mp)
    }

    /// AGGREGATOR, or AS4_AGGREGATOR when AGGREGATOR holds AS_TRANS
    /// (RFC 6793 §4.2.3).
    pub fn effective_aggregator(&self) -> Option<crate::attr::Aggregator> {
        let mut agg = None;
        let mut as4 = None;
        for a in &self.attributes {
            match &a.value {
                AttrValue::Aggregator(g) => agg = Some(*g),
                AttrValue::As4Aggregator(g) => as4 = Some(*g),
                _ => {}
            }
        }
        match (agg, as4) {
            (Some(g), Some(a4)) if g.asn == crate::attr::AS_TRANS => Some(a4),
            (g, _) => g,
        }
    }

    /// The AS path with AS4_PATH merged in (RFC 6793 §4.2.3), for UPDATEs
    /// received on a 2-octet session (or recorded from one).
    pub fn effective_as_path(&self) -> Option<AsPath> {
        let p = self.attributes.iter().find_map(|a| match &a.value {
            AttrValue::AsPath(p) => Some(p),
            _ => None,
        })?;
        let as4 = self.attributes.iter().find_map(|a| match &a.value {
            AttrValue::As4Path(p) => Some(p),
            _ => None,
        });
        // §4.2.3: AS4_* are ignored if AGGREGATOR is present and not AS_TRANS.
        let agg_not_trans = self.attributes.iter().any(|a| match &a.value {
            AttrValue::Aggregator(g) => g.asn != crate::attr::AS_TRANS,
            _ => false,
        });
        match as4 {
            Some(a4) if !agg_not_trans => Some(p.merge_as4(a4)),
            _ => Some(p.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::{Aggregator, AS_TRANS};

    #[test]
    fn as4_aggregator_replaces_as_trans_only() {
        let addr = "192.0.2.1"
            .parse()
            .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        let agg = |asn| Aggregator { asn, address: addr };
        let mut u = Update {
            attributes: vec![
                PathAttribute::new(AttrValue::Aggregator(agg(AS_TRANS))),
                PathAttribute::new(AttrValue::As4Aggregator(agg(4_200_000_000))),
            ],
            ..Update::default()
        };
        assert_eq!(u.effective_aggregator().map(|g| g.asn), Some(4_200_000_000));
        u.attributes[0] = PathAttribute::new(AttrValue::Aggregator(agg(65000)));
        assert_eq!(u.effective_aggregator().map(|g| g.asn), Some(65000));
        u.attributes.clear();
        assert_eq!(u.effective_aggregator(), None);
    }
}
