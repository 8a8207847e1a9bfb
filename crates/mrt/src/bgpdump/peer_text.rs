//! `peer|peer_as|` of BGP4MP lines, by peer. Update files interleave a
//! few dozen peers record by record, and an IPv6 address costs a few
//! hundred instructions to write: each peer's text is made once.

use super::text::push_peer;

/// Slots in the direct-mapped table (a power of two).
const SLOTS: usize = 64;

type Key = (bool, [u8; 16], u32);

#[derive(Default)]
struct Slot {
    key: Option<Key>,
    text: Vec<u8>,
}

pub(super) struct PeerTexts {
    slots: Vec<Slot>,
}

impl Default for PeerTexts {
    fn default() -> Self {
        PeerTexts {
            slots: (0..SLOTS).map(|_| Slot::default()).collect(),
        }
    }
}

impl PeerTexts {
    /// The text of the peer at `ip` (IPv6 text if `v6`) in AS `asn`.
    #[inline]
    pub(super) fn text(&mut self, v6: bool, ip: &[u8; 16], asn: u32) -> &[u8] {
        let x = u128::from_be_bytes(*ip);
        let h = ((x >> 64) as u64 ^ x as u64 ^ u64::from(asn)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let i = (h >> 58) as usize & (SLOTS - 1);
        let Some(s) = self.slots.get_mut(i) else {
            return b"";
        };
        let key = (v6, *ip, asn);
        if s.key != Some(key) {
            s.text.clear();
            push_peer(&mut s.text, v6, ip, asn);
            s.key = Some(key);
        }
        &s.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_peer_its_own_text() {
        let mut p = PeerTexts::default();
        let mut ip = [0u8; 16];
        for i in 0..200u32 {
            ip[..4].copy_from_slice(&(i * 7919).to_be_bytes());
            let want = format!("{}|{}|", std::net::Ipv4Addr::from(i * 7919), i % 3);
            assert_eq!(p.text(false, &ip, i % 3), want.as_bytes());
        }
        ip[..4].copy_from_slice(&[32, 1, 13, 184]);
        assert_eq!(p.text(true, &ip, 1), b"2001:db8::|1|");
        assert_eq!(
            p.text(false, &ip, 1),
            b"32.1.13.184|1|",
            "v4 text of the same octets"
        );
    }
}
