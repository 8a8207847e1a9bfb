//! UPDATE decoding with RFC 7606 revised error handling.
//!
//! Errors are classified instead of always resetting the session:
//! session reset (returned as `Err` with the NOTIFICATION to send),
//! AFI/SAFI disable, treat-as-withdraw and attribute discard (collected in
//! the [`Verdict`]). Every attribute is examined, so an UPDATE whose
//! MP_REACH_NLRI follows a malformed attribute still has its NLRI found
//! and withdrawn (RFC 7606 §5.1).

use std::fmt;

use crate::afi::AfiSafi;
use crate::attr::{
    self, code, flags, read_header, AttrError, AttrValue, ErrorAction, PathAttribute,
};
use crate::context::Context;
use crate::error::WireError;
use crate::nlri::{self, NlriEntry};
use crate::notification::{codes, update_sub, Notification};
use crate::reader::Reader;

use super::Update;

/// An error that requires a session reset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("UPDATE error, session reset with {notification}: {error}")]
pub struct UpdateError {
    /// The NOTIFICATION to send (RFC 4271 §6.3).
    pub notification: Notification,
    pub error: WireError,
}

/// One non-fatal problem found in an UPDATE.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Issue {
    /// The attribute type code concerned, if any.
    pub attribute: Option<u8>,
    pub action: ErrorAction,
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_display"))]
    pub error: WireError,
}

#[cfg(feature = "serde")]
fn ser_display<S: serde::Serializer>(e: &WireError, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(e)
}

/// What the receiver must do beyond using the parsed UPDATE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Verdict {
    /// All NLRI of the UPDATE are to be treated as withdrawn; they are
    /// listed here with their families (RFC 7606 §2).
    pub treat_as_withdraw: Option<Vec<(AfiSafi, NlriEntry)>>,
    /// Families to disable on this session (RFC 7606 §2, RFC 4760 §7).
    pub disable_families: Vec<AfiSafi>,
    /// Type codes of attributes that were discarded.
    pub discarded: Vec<u8>,
    pub issues: Vec<Issue>,
}

impl Verdict {
    pub fn is_clean(&self) -> bool {
        self.issues.is_empty()
    }
    /// The most severe action required.
    pub fn worst(&self) -> Option<ErrorAction> {
        self.issues.iter().map(|i| i.action).max()
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.attribute {
            Some(c) => write!(f, "{:?} (attribute {c}): {}", self.action, self.error),
            None => write!(f, "{:?}: {}", self.action, self.error),
        }
    }
}

fn reset(subcode: u8, data: Vec<u8>, error: WireError) -> UpdateError {
    UpdateError {
        notification: Notification::new(codes::UPDATE_MESSAGE, subcode, data),
        error,
    }
}

/// The attribute as it appeared on the wire, for NOTIFICATION data.
fn raw_attr(flags: u8, code: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![flags, code];
    if flags & flags::EXTENDED_LENGTH != 0 {
        v.extend_from_slice(&(value.len() as u16).to_be_bytes());
    } else {
        v.push(value.len() as u8);
    }
    v.extend_from_slice(value);
    v
}

pub(super) fn decode(body: &[u8], ctx: &Context) -> Result<(Update, Verdict), UpdateError> {
    // Most UPDATEs carry a handful of attributes: one allocation of the
    // right size up front instead of `reserve`'s growth path.
    let mut update = Update {
        attributes: Vec::with_capacity(8),
        ..Update::default()
    };
    let verdict = decode_into(body, ctx, &mut update)?;
    Ok((update, verdict))
}

/// Decode into `update`, reusing its lists' allocations.
pub(super) fn decode_into(
    body: &[u8],
    ctx: &Context,
    update: &mut Update,
) -> Result<Verdict, UpdateError> {
    update.withdrawn.clear();
    update.attributes.clear();
    update.nlri.clear();
    let mut r = Reader::new(body, "UPDATE");
    let malformed_list = |e: WireError| reset(update_sub::MALFORMED_ATTRIBUTE_LIST, Vec::new(), e);

    // RFC 4271 §6.3 / RFC 7606 §5.3: lengths that do not add up reset the session.
    let wlen = usize::from(r.u16().map_err(malformed_list)?);
    let wbytes = r.take(wlen).map_err(malformed_list)?;
    let alen = usize::from(r.u16().map_err(malformed_list)?);
    let abytes = r.take(alen).map_err(malformed_list)?;
    let nbytes = r.rest();

    let v4 = AfiSafi::IPV4_UNICAST;
    let v4_addpath = ctx.add_path(v4);
    let invalid_network = |e: WireError| reset(update_sub::INVALID_NETWORK_FIELD, Vec::new(), e);
    nlri::decode_list_into(
        wbytes,
        v4,
        v4_addpath,
        "UPDATE withdrawn routes",
        &mut update.withdrawn,
    )
    .map_err(invalid_network)?;

    let mut verdict = Verdict::default();
    let attributes: &mut Vec<PathAttribute> = &mut update.attributes;
    attributes.reserve(8);
    let mut seen = attr::Seen::default();
    let mut ar = Reader::new(abytes, "UPDATE path attributes");
    while !ar.is_empty() {
        let (fl, c, value) = match read_header(&mut ar) {
            Ok(h) => h,
            Err(error) => {
                // RFC 7606 §4: an attribute overrunning the attribute field.
                // NLRI can still be located from the total length.
                verdict.issues.push(Issue {
                    attribute: None,
                    action: ErrorAction::TreatAsWithdraw,
                    error,
                });
                break;
            }
        };
        if seen.insert(c) {
            // RFC 7606 §3 g: repeated MP attributes reset the session,
            // other repeats are discarded.
            let error = WireError::invalid("duplicate path attribute", c);
            if matches!(c, code::MP_REACH_NLRI | code::MP_UNREACH_NLRI) {
                return Err(reset(
                    update_sub::MALFORMED_ATTRIBUTE_LIST,
                    Vec::new(),
                    error,
                ));
            }
            verdict.issues.push(Issue {
                attribute: Some(c),
                action: ErrorAction::AttributeDiscard,
                error,
            });
            verdict.discarded.push(c);
            continue;
        }
        let expected = attr::expected_flags(c);
        if expected.is_none() && fl & flags::OPTIONAL == 0 {
            // RFC 4271 §6.3: unrecognized well-known attribute.
            return Err(reset(
                update_sub::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                raw_attr(fl, c, value),
                WireError::invalid("unrecognized well-known attribute", c),
            ));
        }
        if let Some(exp) = expected {
            if fl & (flags::OPTIONAL | flags::TRANSITIVE) != exp {
                let error = WireError::invalid("attribute flags", fl);
                if matches!(c, code::MP_REACH_NLRI | code::MP_UNREACH_NLRI) {
                    return Err(reset(
                        update_sub::ATTRIBUTE_FLAGS_ERROR,
                        raw_attr(fl, c, value),
                        error,
                    ));
                }
                // RFC 7606 §3 c: wrong O/T bits make the attribute malformed.
                let action = attr::malformed_action(c);
                if action == ErrorAction::AttributeDiscard {
                    verdict.discarded.push(c);
                }
                verdict.issues.push(Issue {
                    attribute: Some(c),
                    action,
                    error,
                });
                continue;
            }
        }
        match AttrValue::decode_push(fl, c, value, ctx, attributes) {
            Ok(()) => {}
            Err(AttrError::Mp(e)) => match e.family {
                Some(f) => {
                    verdict.disable_families.push(f);
                    verdict.issues.push(Issue {
                        attribute: Some(c),
                        action: ErrorAction::AfiSafiDisable,
                        error: e.error,
                    });
                }
                None => {
                    // RFC 7606 §7.11: AFI/SAFI unreadable: session reset.
                    return Err(reset(
                        update_sub::OPTIONAL_ATTRIBUTE_ERROR,
                        raw_attr(fl, c, value),
                        e.error,
                    ));
                }
            },
            Err(AttrError::Value(error)) => {
                let action = attr::malformed_action(c);
                if action == ErrorAction::AttributeDiscard {
                    verdict.discarded.push(c);
                }
                verdict.issues.push(Issue {
                    attribute: Some(c),
                    action,
                    error,
                });
            }
        }
    }

    nlri::decode_list_into(nbytes, v4, v4_addpath, "UPDATE NLRI", &mut update.nlri)
        .map_err(invalid_network)?;
    let nlri = &update.nlri;
    let attributes = &update.attributes;

    // RFC 7606 §3 d: missing well-known mandatory attributes, checked only
    // when the UPDATE announces something.
    let mp_announces = attributes
        .iter()
        .any(|a| matches!(&a.value, AttrValue::MpReach(m) if !m.nlri.is_empty() || !m.unparsed.is_empty()));
    if !nlri.is_empty() || mp_announces {
        let mut missing = vec![];
        if !seen.has(code::ORIGIN) {
            missing.push(code::ORIGIN);
        }
        // RFC 8205 §3: with BGPsec, BGPsec_PATH takes the place of AS_PATH.
        if !seen.has(code::AS_PATH) && !seen.has(code::BGPSEC_PATH) {
            missing.push(code::AS_PATH);
        }
        if !nlri.is_empty() && !seen.has(code::NEXT_HOP) {
            missing.push(code::NEXT_HOP);
        }
        for c in missing {
            verdict.issues.push(Issue {
                attribute: Some(c),
                action: ErrorAction::TreatAsWithdraw,
                error: WireError::malformed("UPDATE", format!("missing well-known attribute {c}")),
            });
        }
    }

    if verdict
        .issues
        .iter()
        .any(|i| i.action == ErrorAction::TreatAsWithdraw)
    {
        let all = update
            .announced()
            .filter(|(f, _)| !verdict.disable_families.contains(f))
            .map(|(f, n)| (f, n.clone()))
            .collect();
        verdict.treat_as_withdraw = Some(all);
    }
    Ok(verdict)
}
