//! RPKI-to-Router PDUs: version 0 (RFC 6810), 1 (RFC 8210 §5) and 2
//! (draft-ietf-sidrops-8210bis §5, which adds the ASPA PDU, type 11).
//!
//! Every PDU starts with the same 8 octets: version, type, a 16-bit field
//! (Session ID, Error Code, or flags + zero), and the length of the whole
//! PDU. [`decode`] checks the length exactly for each type before it reads
//! a field, so the caller can frame a stream with it; an error names the
//! Error Report code to send (RFC 8210 §12) and carries the offending PDU.

use std::net::{Ipv4Addr, Ipv6Addr};

use thiserror::Error;

use crate::code::ErrorCode;

/// The highest version this crate speaks (8210bis §5.1).
pub const MAX_VERSION: u8 = 2;

/// 8210bis §5.1: "This length MUST NOT exceed 65,535 octets." Older
/// versions set no limit; we apply it to all so that a cache cannot make
/// us buffer more than this for one PDU.
pub const MAX_PDU_LEN: u32 = 65_535;

/// The common header: version, type, 16 bits, length.
pub const HEADER_LEN: usize = 8;

/// PDU type numbers (RFC 8210 §5, 8210bis §5).
pub mod kind {
    pub const SERIAL_NOTIFY: u8 = 0;
    pub const SERIAL_QUERY: u8 = 1;
    pub const RESET_QUERY: u8 = 2;
    pub const CACHE_RESPONSE: u8 = 3;
    pub const IPV4_PREFIX: u8 = 4;
    pub const IPV6_PREFIX: u8 = 6;
    pub const END_OF_DATA: u8 = 7;
    pub const CACHE_RESET: u8 = 8;
    pub const ROUTER_KEY: u8 = 9;
    pub const ERROR_REPORT: u8 = 10;
    pub const ASPA: u8 = 11;
}

/// The timing parameters of an End of Data PDU (RFC 8210 §6), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timers {
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
}

impl Default for Timers {
    /// The recommended defaults of RFC 8210 §6, used for version 0, whose
    /// End of Data carries no timers.
    fn default() -> Self {
        Timers {
            refresh: 3600,
            retry: 600,
            expire: 7200,
        }
    }
}

impl Timers {
    /// Each value brought into the range RFC 8210 §6 allows (refresh
    /// 1..=86400, retry 1..=7200, expire 600..=172800), so a cache cannot
    /// make the router poll in a busy loop or keep data for ever.
    pub fn clamped(self) -> Self {
        Timers {
            refresh: self.refresh.clamp(1, 86_400),
            retry: self.retry.clamp(1, 7_200),
            expire: self.expire.clamp(600, 172_800),
        }
    }
}

/// One PDU. `version` is the Protocol Version field as received or to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    SerialNotify {
        version: u8,
        session_id: u16,
        serial: u32,
    },
    SerialQuery {
        version: u8,
        session_id: u16,
        serial: u32,
    },
    ResetQuery {
        version: u8,
    },
    CacheResponse {
        version: u8,
        session_id: u16,
    },
    Ipv4Prefix {
        version: u8,
        announce: bool,
        prefix_len: u8,
        max_len: u8,
        addr: Ipv4Addr,
        asn: u32,
    },
    Ipv6Prefix {
        version: u8,
        announce: bool,
        prefix_len: u8,
        max_len: u8,
        addr: Ipv6Addr,
        asn: u32,
    },
    /// `timers` is `None` in version 0 (RFC 6810 §5.8), `Some` otherwise
    /// (RFC 8210 §5.8).
    EndOfData {
        version: u8,
        session_id: u16,
        serial: u32,
        timers: Option<Timers>,
    },
    CacheReset {
        version: u8,
    },
    /// Version 1 and later (RFC 8210 §5.10).
    RouterKey {
        version: u8,
        announce: bool,
        ski: [u8; 20],
        asn: u32,
        spki: Vec<u8>,
    },
    ErrorReport {
        version: u8,
        code: u16,
        pdu: Vec<u8>,
        text: String,
    },
    /// Version 2 only (8210bis §5.12): no AFI flags, no provider count;
    /// the providers fill the rest of the PDU.
    Aspa {
        version: u8,
        announce: bool,
        customer: u32,
        providers: Vec<u32>,
    },
}

/// Why a PDU was refused, and what to tell the cache.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{reason} (RTR error code {code:?})")]
pub struct PduError {
    /// The code of the Error Report to send.
    pub code: ErrorCode,
    /// The offending PDU (as much of it as was received, at most
    /// [`MAX_PDU_LEN`] octets), to copy into the Error Report.
    pub pdu: Vec<u8>,
    pub reason: &'static str,
    /// The received PDU was itself an Error Report: RFC 8210 §5.11 says
    /// never to answer one with another.
    pub was_error_report: bool,
}

fn err(code: ErrorCode, pdu: &[u8], reason: &'static str) -> PduError {
    let was_error_report = pdu.get(1) == Some(&kind::ERROR_REPORT);
    PduError {
        code,
        pdu: pdu.to_vec(),
        reason,
        was_error_report,
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(s.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

/// Decode one PDU from the start of `buf`.
///
/// `Ok(None)`: `buf` holds less than the whole PDU; call again with more.
/// `Ok(Some((pdu, n)))`: the PDU and the number of octets it took.
/// A length over [`MAX_PDU_LEN`] is refused as soon as the header is in.
pub fn decode(buf: &[u8]) -> Result<Option<(Pdu, usize)>, PduError> {
    decode_limited(buf, MAX_PDU_LEN)
}

/// [`decode`] with a smaller limit on the PDU length.
pub fn decode_limited(buf: &[u8], max_len: u32) -> Result<Option<(Pdu, usize)>, PduError> {
    let (Some(&version), Some(&ty), Some(len)) = (buf.first(), buf.get(1), u32_at(buf, 4)) else {
        return Ok(None);
    };
    let head = buf.get(..HEADER_LEN).unwrap_or(buf);
    // RFC 8210 §7: an unknown version is answered with code 4 whatever
    // the type, so check it before the length.
    if version > MAX_VERSION {
        return Err(err(
            ErrorCode::UnsupportedProtocolVersion,
            head,
            "protocol version not supported",
        ));
    }
    if len > max_len.min(MAX_PDU_LEN) {
        return Err(err(
            ErrorCode::CorruptData,
            head,
            "PDU length over the limit",
        ));
    }
    // len <= 65535 fits usize on every target Rust supports.
    let len = len as usize;
    if len < HEADER_LEN {
        return Err(err(ErrorCode::CorruptData, head, "PDU length under 8"));
    }
    let Some(pdu) = buf.get(..len) else {
        return Ok(None);
    };
    body(version, ty, pdu).map(|p| Some((p, len)))
}

/// Check the exact length of a fixed-size PDU.
fn exact(pdu: &[u8], want: usize) -> Result<(), PduError> {
    if pdu.len() == want {
        Ok(())
    } else {
        Err(err(
            ErrorCode::CorruptData,
            pdu,
            "wrong length for the PDU type",
        ))
    }
}

fn corrupt(pdu: &[u8]) -> PduError {
    err(ErrorCode::CorruptData, pdu, "truncated field")
}

fn body(version: u8, ty: u8, pdu: &[u8]) -> Result<Pdu, PduError> {
    let field16 = u16_at(pdu, 2).ok_or_else(|| corrupt(pdu))?;
    let flags = field16.to_be_bytes()[0];
    let announce = flags & 1 == 1;
    let u32f = |at| u32_at(pdu, at).ok_or_else(|| corrupt(pdu));
    match ty {
        kind::SERIAL_NOTIFY | kind::SERIAL_QUERY => {
            exact(pdu, 12)?;
            let serial = u32f(8)?;
            Ok(if ty == kind::SERIAL_NOTIFY {
                Pdu::SerialNotify {
                    version,
                    session_id: field16,
                    serial,
                }
            } else {
                Pdu::SerialQuery {
                    version,
                    session_id: field16,
                    serial,
                }
            })
        }
        kind::RESET_QUERY => exact(pdu, 8).map(|()| Pdu::ResetQuery { version }),
        kind::CACHE_RESPONSE => exact(pdu, 8).map(|()| Pdu::CacheResponse {
            version,
            session_id: field16,
        }),
        kind::CACHE_RESET => exact(pdu, 8).map(|()| Pdu::CacheReset { version }),
        kind::IPV4_PREFIX => {
            // RFC 8210 §5.6: flags, prefix length, max length, zero,
            // 4-octet prefix, ASN.
            exact(pdu, 20)?;
            let (prefix_len, max_len) = prefix_lens(pdu, 32)?;
            let addr = Ipv4Addr::from(u32f(12)?);
            Ok(Pdu::Ipv4Prefix {
                version,
                announce: pdu.get(8).is_some_and(|f| f & 1 == 1),
                prefix_len,
                max_len,
                addr,
                asn: u32f(16)?,
            })
        }
        kind::IPV6_PREFIX => {
            // RFC 8210 §5.7: as IPv4 with a 16-octet prefix.
            exact(pdu, 32)?;
            let (prefix_len, max_len) = prefix_lens(pdu, 128)?;
            let raw: [u8; 16] = pdu
                .get(12..28)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| corrupt(pdu))?;
            Ok(Pdu::Ipv6Prefix {
                version,
                announce: pdu.get(8).is_some_and(|f| f & 1 == 1),
                prefix_len,
                max_len,
                addr: Ipv6Addr::from(raw),
                asn: u32f(28)?,
            })
        }
        kind::END_OF_DATA => {
            // RFC 6810 §5.8: 12 octets in version 0; RFC 8210 §5.8 adds
            // the three intervals.
            if version == 0 {
                exact(pdu, 12)?;
                return Ok(Pdu::EndOfData {
                    version,
                    session_id: field16,
                    serial: u32f(8)?,
                    timers: None,
                });
            }
            exact(pdu, 24)?;
            Ok(Pdu::EndOfData {
                version,
                session_id: field16,
                serial: u32f(8)?,
                timers: Some(Timers {
                    refresh: u32f(12)?,
                    retry: u32f(16)?,
                    expire: u32f(20)?,
                }),
            })
        }
        kind::ROUTER_KEY if version >= 1 => {
            // RFC 8210 §5.10: header, SKI (20), ASN (4), then the SPKI to
            // the end of the PDU.
            if pdu.len() < 32 {
                return Err(err(ErrorCode::CorruptData, pdu, "router key PDU too short"));
            }
            let ski: [u8; 20] = pdu
                .get(8..28)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| corrupt(pdu))?;
            Ok(Pdu::RouterKey {
                version,
                announce,
                ski,
                asn: u32f(28)?,
                spki: pdu.get(32..).unwrap_or_default().to_vec(),
            })
        }
        kind::ERROR_REPORT => {
            // RFC 8210 §5.11: length of the encapsulated PDU, the PDU,
            // length of the text, the text; the lengths must add up.
            let pdu_len = u32f(8)? as usize;
            let text_at = 12usize.saturating_add(pdu_len);
            let inner = pdu.get(12..text_at).ok_or_else(|| corrupt(pdu))?;
            let text_len = u32_at(pdu, text_at).ok_or_else(|| corrupt(pdu))? as usize;
            let text_start = text_at.saturating_add(4);
            let text_end = text_start.saturating_add(text_len);
            if text_end != pdu.len() {
                return Err(err(
                    ErrorCode::CorruptData,
                    pdu,
                    "error report lengths do not add up",
                ));
            }
            let text = pdu.get(text_start..text_end).ok_or_else(|| corrupt(pdu))?;
            Ok(Pdu::ErrorReport {
                version,
                code: field16,
                pdu: inner.to_vec(),
                // RFC 8210 §5.11 says UTF-8; a bad octet is not worth a
                // session reset for a text meant for logs.
                text: String::from_utf8_lossy(text).into_owned(),
            })
        }
        kind::ASPA if version >= 2 => aspa(version, announce, pdu),
        _ => Err(err(
            ErrorCode::UnsupportedPduType,
            pdu,
            "PDU type not supported in this version",
        )),
    }
}

/// Prefix length and max length of a prefix PDU (octets 9 and 10), checked
/// against the family's width (RFC 8210 §5.6: "Max Length ... MUST NOT be
/// less than the Prefix Length").
fn prefix_lens(pdu: &[u8], width: u8) -> Result<(u8, u8), PduError> {
    let (Some(&len), Some(&max)) = (pdu.get(9), pdu.get(10)) else {
        return Err(corrupt(pdu));
    };
    if len > width || max > width || max < len {
        return Err(err(
            ErrorCode::CorruptData,
            pdu,
            "prefix length or max length out of range",
        ));
    }
    Ok((len, max))
}

/// 8210bis §5.12: customer ASN, then the providers to the end of the PDU,
/// in increasing order and unique; an announcement has at least one, and
/// AS 0 only alone; a withdrawal has none (length exactly 12). A
/// withdrawal that repeats the providers is taken as one with none: the
/// customer alone names the ASPA, and RTRTR 0.3.3 (rpki-rs) sends its
/// withdrawals that way (rpki-rs ignores the list when it receives one).
fn aspa(version: u8, announce: bool, pdu: &[u8]) -> Result<Pdu, PduError> {
    if pdu.len() < 12 || !(pdu.len() - 12).is_multiple_of(4) {
        return Err(err(
            ErrorCode::CorruptData,
            pdu,
            "ASPA PDU length not 12 + 4n",
        ));
    }
    let customer = u32_at(pdu, 8).ok_or_else(|| corrupt(pdu))?;
    let providers: Vec<u32> = pdu
        .get(12..)
        .unwrap_or_default()
        .chunks_exact(4)
        .map(|c| c.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
        .collect();
    let list_err = |reason| err(ErrorCode::AspaProviderListError, pdu, reason);
    if announce {
        if providers.is_empty() {
            return Err(list_err("ASPA announcement without providers"));
        }
        if providers.len() > 1 && providers.contains(&0) {
            return Err(list_err("ASPA announcement lists AS 0 among others"));
        }
        if providers.windows(2).any(|w| w.first() >= w.get(1)) {
            return Err(list_err("ASPA providers not in increasing order"));
        }
    }
    Ok(Pdu::Aspa {
        version,
        announce,
        customer,
        providers: if announce { providers } else { Vec::new() },
    })
}

fn header(out: &mut Vec<u8>, version: u8, ty: u8, field: u16, len: usize) {
    out.push(version);
    out.push(ty);
    out.extend_from_slice(&field.to_be_bytes());
    // Lengths we build are bounded by the callers below (a few fixed sizes,
    // and variable parts the caller chose); saturate rather than wrap.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

impl Pdu {
    /// The IPv4 or IPv6 Prefix PDU (RFC 8210 §5.6, §5.7) carrying `v`.
    pub fn prefix(version: u8, announce: bool, v: &crate::Vrp) -> Pdu {
        match v.prefix {
            rbgp_wire::Prefix::V4(p) => Pdu::Ipv4Prefix {
                version,
                announce,
                prefix_len: p.len(),
                max_len: v.max_len,
                addr: p.addr(),
                asn: v.asn,
            },
            rbgp_wire::Prefix::V6(p) => Pdu::Ipv6Prefix {
                version,
                announce,
                prefix_len: p.len(),
                max_len: v.max_len,
                addr: p.addr(),
                asn: v.asn,
            },
        }
    }

    /// The Protocol Version field.
    pub fn version(&self) -> u8 {
        match self {
            Pdu::SerialNotify { version, .. }
            | Pdu::SerialQuery { version, .. }
            | Pdu::ResetQuery { version }
            | Pdu::CacheResponse { version, .. }
            | Pdu::Ipv4Prefix { version, .. }
            | Pdu::Ipv6Prefix { version, .. }
            | Pdu::EndOfData { version, .. }
            | Pdu::CacheReset { version }
            | Pdu::RouterKey { version, .. }
            | Pdu::ErrorReport { version, .. }
            | Pdu::Aspa { version, .. } => *version,
        }
    }

    /// Append the wire form to `out`. Reserved fields are zero (RFC 8210
    /// §5). An `EndOfData` with `timers: None` is the 12-octet version 0
    /// form whatever its version says.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Pdu::SerialNotify {
                version,
                session_id,
                serial,
            } => {
                header(out, *version, kind::SERIAL_NOTIFY, *session_id, 12);
                out.extend_from_slice(&serial.to_be_bytes());
            }
            Pdu::SerialQuery {
                version,
                session_id,
                serial,
            } => {
                header(out, *version, kind::SERIAL_QUERY, *session_id, 12);
                out.extend_from_slice(&serial.to_be_bytes());
            }
            Pdu::ResetQuery { version } => header(out, *version, kind::RESET_QUERY, 0, 8),
            Pdu::CacheResponse {
                version,
                session_id,
            } => header(out, *version, kind::CACHE_RESPONSE, *session_id, 8),
            Pdu::CacheReset { version } => header(out, *version, kind::CACHE_RESET, 0, 8),
            Pdu::Ipv4Prefix {
                version,
                announce,
                prefix_len,
                max_len,
                addr,
                asn,
            } => {
                header(out, *version, kind::IPV4_PREFIX, 0, 20);
                out.extend_from_slice(&[u8::from(*announce), *prefix_len, *max_len, 0]);
                out.extend_from_slice(&addr.octets());
                out.extend_from_slice(&asn.to_be_bytes());
            }
            Pdu::Ipv6Prefix {
                version,
                announce,
                prefix_len,
                max_len,
                addr,
                asn,
            } => {
                header(out, *version, kind::IPV6_PREFIX, 0, 32);
                out.extend_from_slice(&[u8::from(*announce), *prefix_len, *max_len, 0]);
                out.extend_from_slice(&addr.octets());
                out.extend_from_slice(&asn.to_be_bytes());
            }
            Pdu::EndOfData {
                version,
                session_id,
                serial,
                timers,
            } => {
                let len = if timers.is_some() { 24 } else { 12 };
                header(out, *version, kind::END_OF_DATA, *session_id, len);
                out.extend_from_slice(&serial.to_be_bytes());
                if let Some(t) = timers {
                    out.extend_from_slice(&t.refresh.to_be_bytes());
                    out.extend_from_slice(&t.retry.to_be_bytes());
                    out.extend_from_slice(&t.expire.to_be_bytes());
                }
            }
            Pdu::RouterKey {
                version,
                announce,
                ski,
                asn,
                spki,
            } => {
                let field = u16::from_be_bytes([u8::from(*announce), 0]);
                header(out, *version, kind::ROUTER_KEY, field, 32 + spki.len());
                out.extend_from_slice(ski);
                out.extend_from_slice(&asn.to_be_bytes());
                out.extend_from_slice(spki);
            }
            Pdu::ErrorReport {
                version,
                code,
                pdu,
                text,
            } => {
                let len = 16 + pdu.len() + text.len();
                header(out, *version, kind::ERROR_REPORT, *code, len);
                out.extend_from_slice(&u32::try_from(pdu.len()).unwrap_or(0).to_be_bytes());
                out.extend_from_slice(pdu);
                out.extend_from_slice(&u32::try_from(text.len()).unwrap_or(0).to_be_bytes());
                out.extend_from_slice(text.as_bytes());
            }
            Pdu::Aspa {
                version,
                announce,
                customer,
                providers,
            } => {
                let field = u16::from_be_bytes([u8::from(*announce), 0]);
                header(out, *version, kind::ASPA, field, 12 + 4 * providers.len());
                out.extend_from_slice(&customer.to_be_bytes());
                for p in providers {
                    out.extend_from_slice(&p.to_be_bytes());
                }
            }
        }
    }

    /// The wire form as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// An Error Report to send for `e`, in `version`, with the offending PDU
/// cut so that the report stays within [`MAX_PDU_LEN`] (RFC 8210 §5.11
/// asks for a copy of the PDU; a cache that sent 64 KiB gets most of it).
pub fn error_report(version: u8, code: ErrorCode, offending: &[u8], text: &str) -> Vec<u8> {
    let text: String = text.chars().take(256).collect();
    let room = (MAX_PDU_LEN as usize).saturating_sub(16 + text.len());
    let pdu = offending
        .get(..room.min(offending.len()))
        .unwrap_or_default();
    Pdu::ErrorReport {
        version,
        code: code as u16,
        pdu: pdu.to_vec(),
        text,
    }
    .to_bytes()
}
