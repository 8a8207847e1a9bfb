//! The text of recurring addresses: `peer|peer_as|` of BGP4MP lines and
//! MP_REACH next hops. Update files interleave a few dozen peers record
//! by record, each with its next hop, and an IPv6 address costs a few
//! hundred instructions to write: each is written once.

use super::hash::slot_of;
use super::text::{push_peer, push_v6, push_v6_std};

/// Slots in the direct-mapped table (a power of two).
const SLOTS: usize = 64;

/// The address, then IPv6 text or not (bit 33), a peer text (bit 32) and
/// the peer AS: two integers to compare.
type Key = (u128, u64);

#[derive(Default)]
struct Slot {
    key: Option<Key>,
    text: Vec<u8>,
}

pub(crate) struct AddrTexts {
    slots: Vec<Slot>,
    /// IPv6 text as Rust prints it (RFC 5952), not as bgpdump does.
    std: bool,
}

impl Default for AddrTexts {
    fn default() -> Self {
        AddrTexts::new(false)
    }
}

impl AddrTexts {
    /// IPv6 addresses as Rust's `Ipv6Addr` prints them if `std`, else as
    /// bgpdump does.
    pub(crate) fn new(std: bool) -> Self {
        AddrTexts {
            slots: (0..SLOTS).map(|_| Slot::default()).collect(),
            std,
        }
    }

    /// `peer|peer_as|` for the peer at `ip` (IPv6 text if `v6`).
    #[inline]
    pub(super) fn peer(&mut self, v6: bool, ip: &[u8; 16], asn: u32) -> &[u8] {
        let tag = u64::from(v6) << 33 | 1 << 32 | u64::from(asn);
        self.text(ip, tag, |t| push_peer(t, v6, ip, asn))
    }

    /// The IPv6 text of `ip`.
    #[inline]
    pub(crate) fn v6(&mut self, ip: &[u8; 16]) -> &[u8] {
        let std = self.std;
        self.text(ip, 1 << 33, |t| {
            if std {
                push_v6_std(t, ip)
            } else {
                push_v6(t, ip)
            }
        })
    }

    /// The text `write` makes of `ip` and `tag` (a number below 2^40 that
    /// tells apart the texts of one address: bit 33 for [`AddrTexts::v6`],
    /// bits 32-33 and the AS for [`AddrTexts::peer`]), made once.
    #[inline]
    pub(crate) fn text(
        &mut self,
        ip: &[u8; 16],
        tag: u64,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> &[u8] {
        let x = u128::from_be_bytes(*ip);
        let i = slot_of((x >> 64) as u64 ^ x as u64 ^ tag, SLOTS.trailing_zeros());
        let Some(s) = self.slots.get_mut(i) else {
            return b"";
        };
        if s.key != Some((x, tag)) {
            s.text.clear();
            write(&mut s.text);
            s.key = Some((x, tag));
        }
        &s.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_its_own_text() {
        let mut p = AddrTexts::default();
        let mut ip = [0u8; 16];
        for i in 0..200u32 {
            ip[..4].copy_from_slice(&(i * 7919).to_be_bytes());
            let want = format!("{}|{}|", std::net::Ipv4Addr::from(i * 7919), i % 3);
            assert_eq!(p.peer(false, &ip, i % 3), want.as_bytes());
        }
        ip[..4].copy_from_slice(&[32, 1, 13, 184]);
        assert_eq!(p.peer(true, &ip, 1), b"2001:db8::|1|");
        assert_eq!(
            p.peer(false, &ip, 1),
            b"32.1.13.184|1|",
            "v4 text of the same octets"
        );
        assert_eq!(p.v6(&ip), b"2001:db8::", "no AS: the address alone");
    }
}
