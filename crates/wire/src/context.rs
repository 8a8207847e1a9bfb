//! What a session negotiated that changes how bytes are read or written.
//! The same context is built by the daemon after OPEN, and by BMP/MRT
//! readers per monitored peer.

use crate::afi::AfiSafi;

/// Negotiated parameters for one direction of one session.
///
/// `add_path` lists the families whose NLRI carry a 4-octet Path Identifier
/// in *this* direction (RFC 7911 §3: the receiver of a message expects path
/// IDs for family F iff it advertised "receive" and the peer "send").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// RFC 6793: AS numbers in AS_PATH/AGGREGATOR are 4 octets.
    pub four_octet_as: bool,
    /// RFC 8654: messages may be up to 65535 octets.
    pub extended_message: bool,
    add_path: Vec<AfiSafi>,
}

impl Default for Context {
    /// The modern default: 4-octet AS, no ADD-PATH, 4096-octet messages.
    fn default() -> Self {
        Context {
            four_octet_as: true,
            extended_message: false,
            add_path: Vec::new(),
        }
    }
}

impl Context {
    /// A session that negotiated nothing (2-octet AS, no ADD-PATH).
    pub fn legacy() -> Self {
        Context {
            four_octet_as: false,
            ..Context::default()
        }
    }

    pub fn with_four_octet_as(mut self, yes: bool) -> Self {
        self.four_octet_as = yes;
        self
    }

    pub fn with_extended_message(mut self, yes: bool) -> Self {
        self.extended_message = yes;
        self
    }

    pub fn with_add_path(mut self, family: AfiSafi) -> Self {
        self.set_add_path(family, true);
        self
    }

    pub fn set_add_path(&mut self, family: AfiSafi, yes: bool) {
        let has = self.add_path.contains(&family);
        if yes && !has {
            self.add_path.push(family);
        } else if !yes && has {
            self.add_path.retain(|f| *f != family);
        }
    }

    /// Do NLRI of `family` carry a path identifier?
    #[inline]
    pub fn add_path(&self, family: AfiSafi) -> bool {
        // A handful of families at most: a linear scan beats hashing.
        !self.add_path.is_empty() && self.add_path.contains(&family)
    }

    pub fn add_path_families(&self) -> &[AfiSafi] {
        &self.add_path
    }

    /// Largest message this session may carry (RFC 4271 §4.1, RFC 8654).
    #[inline]
    pub fn max_message_len(&self) -> usize {
        if self.extended_message {
            crate::header::MAX_EXTENDED_MESSAGE_LEN
        } else {
            crate::header::MAX_MESSAGE_LEN
        }
    }
}
