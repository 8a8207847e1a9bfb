//! TCP MD5 signature keys (RFC 2385) via `TCP_MD5SIG`/`TCP_MD5SIG_EXT`.
//!
//! A key is per peer address (or prefix) and per socket. On a listening
//! socket it must be in place before the peer's SYN arrives: Linux signs
//! the SYN-ACK and copies the key into the accepted socket. Once a key
//! exists for an address, unsigned or wrongly signed segments from it are
//! dropped, which is the point (RFC 2385 §2.0).

use std::io;
use std::net::IpAddr;
use std::os::fd::AsFd;

use crate::sys;

/// Longest key Linux accepts (`TCP_MD5SIG_MAXKEYLEN`).
pub const MAX_KEY_LEN: usize = 80;

/// `struct tcp_md5sig`: a 128-byte sockaddr_storage, flags, prefix length,
/// key length, ifindex, then the key.
const SOCKADDR_LEN: usize = 128;
const FLAGS_AT: usize = SOCKADDR_LEN;
const KEYLEN_AT: usize = SOCKADDR_LEN + 2;
const KEY_AT: usize = SOCKADDR_LEN + 8;
const STRUCT_LEN: usize = KEY_AT + MAX_KEY_LEN;
/// `TCP_MD5SIG_FLAG_PREFIX`: the key covers `tcpm_prefixlen` bits.
const FLAG_PREFIX: u8 = 1;

/// Set the MD5 key for connections with `peer` on this socket; an empty
/// `key` removes it (removing a key that is not there is not an error).
pub fn set_md5_key(sock: &impl AsFd, peer: IpAddr, key: &[u8]) -> io::Result<()> {
    apply(sock, peer, None, key)
}

/// Like [`set_md5_key`] for every address in `net/len` (Linux 4.13+), for
/// passive peers known only by range. Removal needs the same prefix.
pub fn set_md5_key_prefix(sock: &impl AsFd, net: IpAddr, len: u8, key: &[u8]) -> io::Result<()> {
    apply(sock, net, Some(len), key)
}

fn apply(sock: &impl AsFd, peer: IpAddr, prefix: Option<u8>, key: &[u8]) -> io::Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TCP MD5 key longer than {MAX_KEY_LEN} bytes"),
        ));
    }
    let fd = sock.as_fd();
    let buf = encode(peer, sys::is_ipv6(fd)?, prefix, key).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "IPv6 peer on an IPv4 socket")
    })?;
    let opt = if prefix.is_some() {
        libc::TCP_MD5SIG_EXT
    } else {
        libc::TCP_MD5SIG
    };
    match sys::set(fd, libc::IPPROTO_TCP, opt, &buf) {
        Err(e) if key.is_empty() && e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
        r => r,
    }
}

/// The `struct tcp_md5sig` bytes, or None when `peer` cannot be expressed
/// on the socket's family.
fn encode(
    peer: IpAddr,
    v6_socket: bool,
    prefix: Option<u8>,
    key: &[u8],
) -> Option<[u8; STRUCT_LEN]> {
    let mut b = [0u8; STRUCT_LEN];
    // sockaddr_in / sockaddr_in6 (port 0: the key is per address). An IPv4
    // peer on an IPv6 socket is written v4-mapped, as Linux expects.
    let (family, addr_at, addr) = match (peer, v6_socket) {
        (IpAddr::V4(a), false) => (libc::AF_INET, 4, a.octets().to_vec()),
        (IpAddr::V4(a), true) => (libc::AF_INET6, 8, a.to_ipv6_mapped().octets().to_vec()),
        (IpAddr::V6(a), true) => (libc::AF_INET6, 8, a.octets().to_vec()),
        (IpAddr::V6(_), false) => return None,
    };
    let family = u16::try_from(family).ok()?;
    b.get_mut(..2)?.copy_from_slice(&family.to_ne_bytes());
    b.get_mut(addr_at..addr_at + addr.len())?
        .copy_from_slice(&addr);
    if let Some(len) = prefix {
        *b.get_mut(FLAGS_AT)? = FLAG_PREFIX;
        *b.get_mut(FLAGS_AT + 1)? = len;
    }
    let keylen = u16::try_from(key.len()).ok()?;
    b.get_mut(KEYLEN_AT..KEYLEN_AT + 2)?
        .copy_from_slice(&keylen.to_ne_bytes());
    b.get_mut(KEY_AT..KEY_AT + key.len())?.copy_from_slice(key);
    Some(b)
}
