//! Information TLVs: Initiation (RFC 7854 §4.3), Termination (§4.5), Peer
//! Up (§4.10, RFC 8671 §5, RFC 9069 §5.2), Peer Down reason 6 (RFC 9069
//! §5.3). All share the form type (2) / length (2) / value. Values are
//! kept as bytes so any TLV re-encodes unchanged; typed readings are
//! accessors.

use rbgp_wire::reader::Reader;

use crate::error::BmpError;

/// RFC 7854 §4.4: a free-form UTF-8 string, in every TLV list.
pub const TLV_STRING: u16 = 0;
/// Initiation: sysDescr (RFC 7854 §4.4).
pub const INIT_SYS_DESCR: u16 = 1;
/// Initiation: sysName (RFC 7854 §4.4).
pub const INIT_SYS_NAME: u16 = 2;
/// Termination: reason code, 2 octets (RFC 7854 §4.5).
pub const TERM_REASON: u16 = 1;
/// Peer Up / Peer Down reason 6: VRF/Table name (RFC 9069 §5.2).
pub const PEER_VRF_TABLE_NAME: u16 = 3;
/// Peer Up: admin label (RFC 8671 §5).
pub const PEER_ADMIN_LABEL: u16 = 4;

/// Which registry a TLV's type is read from (they overlap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvContext {
    Initiation,
    Termination,
    Peer,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlv {
    pub ty: u16,
    pub value: Vec<u8>,
}

impl Tlv {
    pub fn new(ty: u16, value: impl Into<Vec<u8>>) -> Self {
        Tlv {
            ty,
            value: value.into(),
        }
    }

    pub fn string(ty: u16, s: &str) -> Self {
        Tlv::new(ty, s.as_bytes())
    }

    /// The value as text (strings are UTF-8 per RFC 7854 §4.4; invalid
    /// sequences are replaced, the bytes themselves are kept).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }

    /// The value as a 2-octet number (Termination reason).
    pub fn u16(&self) -> Option<u16> {
        match self.value.as_slice() {
            [a, b] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }

    pub fn name(&self, ctx: TlvContext) -> &'static str {
        match (ctx, self.ty) {
            (_, TLV_STRING) => "string",
            (TlvContext::Initiation, INIT_SYS_DESCR) => "sys_descr",
            (TlvContext::Initiation, INIT_SYS_NAME) => "sys_name",
            (TlvContext::Termination, TERM_REASON) => "reason",
            (TlvContext::Peer, PEER_VRF_TABLE_NAME) => "vrf_table_name",
            (TlvContext::Peer, PEER_ADMIN_LABEL) => "admin_label",
            _ => "unknown",
        }
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<Self, BmpError> {
        let ty = r.u16()?;
        let len = usize::from(r.u16()?);
        Ok(Tlv::new(ty, r.take(len)?))
    }

    /// TLVs until the end of `buf`.
    pub fn decode_all(buf: &[u8], what: &'static str) -> Result<Vec<Tlv>, BmpError> {
        let mut r = Reader::new(buf, what);
        let mut v = Vec::new();
        while !r.is_empty() {
            v.push(Tlv::decode(&mut r)?);
        }
        Ok(v)
    }

    /// Values longer than 65535 octets cannot be expressed; they are cut
    /// (a builder's bug, not reachable from decoded input).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let v = self
            .value
            .get(..usize::from(u16::MAX))
            .unwrap_or(&self.value);
        out.extend_from_slice(&self.ty.to_be_bytes());
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(v);
    }

    pub fn encode_all(tlvs: &[Tlv], out: &mut Vec<u8>) {
        for t in tlvs {
            t.encode(out);
        }
    }
}

/// Termination reason codes (RFC 7854 §4.5).
pub fn termination_reason_name(code: u16) -> &'static str {
    match code {
        0 => "administratively_closed",
        1 => "unspecified",
        2 => "out_of_resources",
        3 => "redundant_connection",
        4 => "permanently_administratively_closed",
        _ => "unknown",
    }
}

#[cfg(feature = "serde")]
pub(crate) fn tlvs_json<S: serde::Serializer>(
    tlvs: &[Tlv],
    ctx: TlvContext,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::{SerializeMap, SerializeSeq};
    struct One<'a>(&'a Tlv, TlvContext);
    impl serde::Serialize for One<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let (t, ctx) = (self.0, self.1);
            let mut m = s.serialize_map(Some(3))?;
            m.serialize_entry("type", &t.ty)?;
            m.serialize_entry("name", t.name(ctx))?;
            match (ctx, t.ty, t.u16()) {
                (TlvContext::Termination, TERM_REASON, Some(code)) => {
                    m.serialize_entry("value", &code)?;
                    m.serialize_entry("reason", termination_reason_name(code))?;
                }
                _ => match std::str::from_utf8(&t.value) {
                    Ok(text) => m.serialize_entry("value", text)?,
                    Err(_) => m.serialize_entry("hex", &crate::hex(&t.value))?,
                },
            }
            m.end()
        }
    }
    let mut seq = s.serialize_seq(Some(tlvs.len()))?;
    for t in tlvs {
        seq.serialize_element(&One(t, ctx))?;
    }
    seq.end()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn roundtrip_and_truncation() {
        let tl = vec![
            Tlv::string(INIT_SYS_DESCR, "router"),
            Tlv::new(TERM_REASON, [0u8, 2]),
        ];
        let mut b = Vec::new();
        Tlv::encode_all(&tl, &mut b);
        assert_eq!(Tlv::decode_all(&b, "t").unwrap(), tl);
        assert_eq!(tl[1].u16(), Some(2));
        assert!(Tlv::decode_all(&b[..b.len() - 1], "t").is_err());
    }
}
