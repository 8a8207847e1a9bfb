//! What a cache hands a router: VRPs (RFC 6811 §2), ASPAs
//! (draft-ietf-sidrops-aspa-profile), router keys (RFC 8210 §5.10), and
//! the set of changes one End of Data makes to them.

use rbgp_wire::Prefix;

/// A Validated ROA Payload: `asn` may originate `prefix` and its
/// more-specifics up to `max_len` (RFC 6811 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vrp {
    pub prefix: Prefix,
    pub max_len: u8,
    pub asn: u32,
}

/// The providers a customer AS attests (its U-SPAS,
/// draft-ietf-sidrops-aspa-verification §5.2): sorted, no duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aspa {
    pub customer: u32,
    pub providers: Vec<u32>,
}

impl Aspa {
    /// An ASPA with `providers` sorted and deduplicated.
    pub fn new(customer: u32, mut providers: Vec<u32>) -> Self {
        providers.sort_unstable();
        providers.dedup();
        Aspa {
            customer,
            providers,
        }
    }
}

/// A BGPsec router key (RFC 8210 §5.10). Kept so that a session can detect
/// duplicates and unknown withdrawals; the table does not use them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouterKey {
    pub ski: [u8; 20],
    pub asn: u32,
    pub spki: Vec<u8>,
}

/// The changes of one cache response, applied atomically at its End of
/// Data (RFC 8210 §8.1, §8.2).
///
/// With `reset` the response replaced everything the router had from this
/// cache: `announced`/`aspas`/`keys_announced` are then the whole new set
/// and the withdrawn lists are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    pub reset: bool,
    pub announced: Vec<Vrp>,
    pub withdrawn: Vec<Vrp>,
    /// ASPAs announced; an announcement replaces the customer's earlier
    /// one (8210bis §5.12).
    pub aspas: Vec<Aspa>,
    /// Customers whose ASPA was withdrawn.
    pub aspas_withdrawn: Vec<u32>,
    pub keys_announced: Vec<RouterKey>,
    pub keys_withdrawn: Vec<RouterKey>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        !self.reset
            && self.announced.is_empty()
            && self.withdrawn.is_empty()
            && self.aspas.is_empty()
            && self.aspas_withdrawn.is_empty()
            && self.keys_announced.is_empty()
            && self.keys_withdrawn.is_empty()
    }
}
