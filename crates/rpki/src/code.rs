//! Error Report codes (RFC 8210 §12; draft-ietf-sidrops-8210bis §13 adds 9).

/// What an Error Report PDU says went wrong. The numbers are on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ErrorCode {
    /// 0: the receiver believes the PDU is corrupt (fatal).
    CorruptData = 0,
    /// 1: something went wrong inside the sender (fatal).
    InternalError = 1,
    /// 2: the cache has no data yet (not fatal, RFC 8210 §8.4).
    NoDataAvailable = 2,
    /// 3: a request the cache cannot handle (fatal).
    InvalidRequest = 3,
    /// 4: the protocol version is not supported (fatal; drives the
    /// version negotiation of RFC 8210 §7).
    UnsupportedProtocolVersion = 4,
    /// 5: the PDU type is not known in this version (fatal).
    UnsupportedPduType = 5,
    /// 6: a withdrawal of a record the router does not hold (fatal).
    WithdrawalOfUnknownRecord = 6,
    /// 7: an announcement of a record the router already holds (fatal).
    DuplicateAnnouncement = 7,
    /// 8: a PDU of another version than the session's (fatal).
    UnexpectedProtocolVersion = 8,
    /// 9: an ASPA PDU with a bad provider list (8210bis §5.12).
    AspaProviderListError = 9,
}

impl ErrorCode {
    /// The code from the wire; `None` for a value no document defines.
    pub fn from_u16(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::CorruptData,
            1 => Self::InternalError,
            2 => Self::NoDataAvailable,
            3 => Self::InvalidRequest,
            4 => Self::UnsupportedProtocolVersion,
            5 => Self::UnsupportedPduType,
            6 => Self::WithdrawalOfUnknownRecord,
            7 => Self::DuplicateAnnouncement,
            8 => Self::UnexpectedProtocolVersion,
            9 => Self::AspaProviderListError,
            _ => return None,
        })
    }
}
