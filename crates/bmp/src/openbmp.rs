//! The OpenBMP binary message header that wraps BMP messages on the
//! collector's Kafka `raw_bmp` topic (OpenBMP "RAW BMP message format",
//! header version 1.7), as published by RouteViews' and other OpenBMP
//! collectors. Each Kafka payload is this header followed by the BMP
//! message(s) it announces.
//!
//! ```text
//! "OBMP" | major 1 | minor 7 | header length 2 | BMP length 4 | flags 1 |
//! object type 1 | collector time sec 4, usec 4 | collector hash 16 |
//! admin id length 2, admin id | router hash 16 | router IP 16 |
//! router group length 2, router group | row count 4
//! ```
//! The router IP is IPv6 when flag 0x40 is set; an IPv4 address sits in
//! the first 4 octets (the rest zero).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rbgp_wire::reader::Reader;
use rbgp_wire::WireError;

use crate::error::BmpError;

pub const MAGIC: [u8; 4] = *b"OBMP";
/// Flag: the message came from a router (not the collector itself).
pub const FLAG_ROUTER_MESSAGE: u8 = 0x80;
/// Flag: the router address is IPv6.
pub const FLAG_ROUTER_IPV6: u8 = 0x40;
/// Object type of raw BMP messages.
pub const OBJECT_BMP_RAW: u8 = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct OpenBmpHeader {
    pub version_major: u8,
    pub version_minor: u8,
    pub flags: u8,
    pub object_type: u8,
    pub collector_ts_sec: u32,
    pub collector_ts_usec: u32,
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_hex"))]
    pub collector_hash: [u8; 16],
    /// The collector's admin id (text in practice, kept as bytes).
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_lossy"))]
    pub collector_admin_id: Vec<u8>,
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_hex"))]
    pub router_hash: [u8; 16],
    pub router_ip: IpAddr,
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_lossy"))]
    pub router_group: Vec<u8>,
    pub row_count: u32,
    /// Header octets past the fields above (a later minor version), kept
    /// so the header re-encodes unchanged.
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::ser_hex"))]
    pub extension: Vec<u8>,
}

impl OpenBmpHeader {
    /// A header for a raw BMP message from router `router_ip`.
    pub fn new(router_ip: IpAddr, collector_admin_id: &str, router_group: &str) -> Self {
        OpenBmpHeader {
            version_major: 1,
            version_minor: 7,
            flags: FLAG_ROUTER_MESSAGE
                | if router_ip.is_ipv6() {
                    FLAG_ROUTER_IPV6
                } else {
                    0
                },
            object_type: OBJECT_BMP_RAW,
            collector_ts_sec: 0,
            collector_ts_usec: 0,
            collector_hash: [0; 16],
            collector_admin_id: collector_admin_id.as_bytes().to_vec(),
            router_hash: [0; 16],
            router_ip,
            router_group: router_group.as_bytes().to_vec(),
            row_count: 1,
            extension: Vec::new(),
        }
    }

    /// Decode a `raw_bmp` payload: the header and the BMP octets it
    /// announces (which may hold several BMP messages; frame them with
    /// [`crate::framer::split`]).
    pub fn decode(buf: &[u8]) -> Result<(OpenBmpHeader, &[u8]), BmpError> {
        let mut r = Reader::new(buf, "OpenBMP header");
        if r.array::<4>()? != MAGIC {
            return Err(WireError::Malformed {
                what: "OpenBMP header",
                detail: "magic is not \"OBMP\"".into(),
            }
            .into());
        }
        let version_major = r.u8()?;
        let version_minor = r.u8()?;
        if version_major != 1 {
            return Err(WireError::Invalid {
                what: "OpenBMP header major version",
                value: u64::from(version_major),
            }
            .into());
        }
        let header_len = usize::from(r.u16()?);
        let bmp_len = r.u32()? as usize;
        let flags = r.u8()?;
        let object_type = r.u8()?;
        let collector_ts_sec = r.u32()?;
        let collector_ts_usec = r.u32()?;
        let collector_hash = r.array()?;
        let n = usize::from(r.u16()?);
        let collector_admin_id = r.take(n)?.to_vec();
        let router_hash = r.array()?;
        let raw: [u8; 16] = r.array()?;
        let router_ip = if flags & FLAG_ROUTER_IPV6 != 0 {
            IpAddr::V6(Ipv6Addr::from(raw))
        } else {
            let [a, b, c, d, ..] = raw;
            IpAddr::V4(Ipv4Addr::new(a, b, c, d))
        };
        let n = usize::from(r.u16()?);
        let router_group = r.take(n)?.to_vec();
        let row_count = r.u32()?;
        let used = r.position();
        if header_len < used {
            return Err(WireError::BadLength {
                what: "OpenBMP header length",
                len: header_len,
            }
            .into());
        }
        let extension = r.take(header_len - used)?.to_vec();
        let bmp = r.take(bmp_len)?;
        Ok((
            OpenBmpHeader {
                version_major,
                version_minor,
                flags,
                object_type,
                collector_ts_sec,
                collector_ts_usec,
                collector_hash,
                collector_admin_id,
                router_hash,
                router_ip,
                router_group,
                row_count,
                extension,
            },
            bmp,
        ))
    }

    /// Octets of the encoded header (what its header length field says).
    pub fn header_len(&self) -> usize {
        let cap = |v: &[u8]| v.len().min(usize::from(u16::MAX));
        4 + 2
            + 2
            + 4
            + 2
            + 8
            + 16
            + 2
            + cap(&self.collector_admin_id)
            + 16
            + 16
            + 2
            + cap(&self.router_group)
            + 4
            + self.extension.len()
    }

    /// Append the header for `bmp` (its length is filled in) and `bmp`.
    pub fn encode(&self, bmp: &[u8], out: &mut Vec<u8>) {
        let cap = |v: &'_ [u8]| v.len().min(usize::from(u16::MAX));
        let admin = self
            .collector_admin_id
            .get(..cap(&self.collector_admin_id))
            .unwrap_or_default();
        let group = self
            .router_group
            .get(..cap(&self.router_group))
            .unwrap_or_default();
        let header_len = 4
            + 2
            + 2
            + 4
            + 2
            + 8
            + 16
            + 2
            + admin.len()
            + 16
            + 16
            + 2
            + group.len()
            + 4
            + self.extension.len();
        out.extend_from_slice(&MAGIC);
        out.push(self.version_major);
        out.push(self.version_minor);
        out.extend_from_slice(&(header_len.min(usize::from(u16::MAX)) as u16).to_be_bytes());
        out.extend_from_slice(&(bmp.len() as u32).to_be_bytes());
        out.push(self.flags);
        out.push(self.object_type);
        out.extend_from_slice(&self.collector_ts_sec.to_be_bytes());
        out.extend_from_slice(&self.collector_ts_usec.to_be_bytes());
        out.extend_from_slice(&self.collector_hash);
        out.extend_from_slice(&(admin.len() as u16).to_be_bytes());
        out.extend_from_slice(admin);
        out.extend_from_slice(&self.router_hash);
        let mut ip = [0u8; 16];
        match self.router_ip {
            IpAddr::V6(a) => ip = a.octets(),
            IpAddr::V4(a) => {
                let [x, y, z, w, ..] = &mut ip;
                [*x, *y, *z, *w] = a.octets();
            }
        }
        out.extend_from_slice(&ip);
        out.extend_from_slice(&(group.len() as u16).to_be_bytes());
        out.extend_from_slice(group);
        out.extend_from_slice(&self.row_count.to_be_bytes());
        out.extend_from_slice(&self.extension);
        out.extend_from_slice(bmp);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::message::BmpMessage;

    /// RouteViews' feed (via bgpkit-parser's tests): a Peer Down from
    /// collector "is-cc-bmp1", router group "route-views5".
    const PEER_DOWN: &str = "4f424d500107006400000033800c6184b9c2000c602cbf4f072f3ae149d23486024bc3dadfc4000a69732d63632d626d7031c677060bdd020a9e92be000200de2e3180df3369000000000000000000000000000c726f7574652d76696577733500000001030000003302000000000000000000000000000000000000000000003fda060e00000da30000000061523c36000c0e1c0200000a";

    const ROUTE_MONITORING: &str = "4f424d500107005c000000b0800c618881530002f643fef880938d19e9d632c815d1e95a87e1000a69732d61682d626d7031eb4de4e596b282c6a995b067df4abc8cc342f19200000000000000000000000000046c696e780000000103000000b00000c00000000000000000200107f800040000000000001aae000400001aae5474800e02dddf5d00000000ffffffffffffffffffffffffffffffff00800200000069400101005002001602050000192f00001aae0000232a000328eb00032caec008181aae42681aae44581aae464f1aae59d91aae866543000000900e002c00020120200107f800040000000000001aae0004fe8000000000000082711ffffe7f29f100302a0fca8000010a";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2).unwrap(), 16).unwrap())
            .collect()
    }

    #[test]
    fn routeviews_peer_down() {
        let raw = unhex(PEER_DOWN);
        let (h, bmp) = OpenBmpHeader::decode(&raw).unwrap();
        assert_eq!(h.collector_admin_id, b"is-cc-bmp1");
        assert_eq!(h.router_group, b"route-views5");
        assert_eq!(h.router_ip, "128.223.51.105".parse::<IpAddr>().unwrap());
        assert_eq!(h.object_type, OBJECT_BMP_RAW);
        let (m, n) = BmpMessage::decode(bmp).unwrap();
        assert_eq!(n, bmp.len());
        assert!(matches!(m, BmpMessage::PeerDown(_)));
        // The sample ends with one octet (0x0a, a newline) past the BMP
        // length the header announces; decode leaves it out.
        let mut again = Vec::new();
        h.encode(bmp, &mut again);
        assert_eq!(again, raw[..raw.len() - 1]);
    }

    #[test]
    fn routeviews_route_monitoring() {
        let raw = unhex(ROUTE_MONITORING);
        let (h, bmp) = OpenBmpHeader::decode(&raw).unwrap();
        assert_eq!(h.router_group, b"linx");
        let mut s = crate::session::BmpSession::new();
        let p = s.process(bmp).unwrap();
        let e = p.elems();
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].peer_ip,
            "2001:7f8:4::1aae:4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(e[0].peer_asn, 6830);
        assert_eq!(e[0].nlri.to_string(), "2a0f:ca80:1::/48");
        let mut again = Vec::new();
        h.encode(bmp, &mut again);
        assert_eq!(again, raw[..raw.len() - 1]);
    }
}
