//! TTL / hop limit and the GTSM minimum (RFC 5082).
//!
//! GTSM (§3): send with TTL 255 and drop what arrives with less than
//! 255 minus the trusted hop count, so a remote attacker cannot reach the
//! session: the TTL of its packets has been decremented on the way.
//! On an IPv6 socket both the IPv4 and IPv6 options are set, because IPv4
//! peers reach a dual-stack socket as v4-mapped connections that the
//! kernel checks with the IPv4 option.

use std::io;
use std::os::fd::AsFd;

use libc::c_int;

use crate::sys;

/// Set the TTL (IPv4) and unicast hop limit (IPv6) of outgoing packets.
pub fn set_ttl(sock: &impl AsFd, ttl: u8) -> io::Result<()> {
    both(
        sock,
        libc::IP_TTL,
        libc::IPV6_UNICAST_HOPS,
        c_int::from(ttl),
    )
}

/// Drop incoming packets whose TTL / hop limit is below `min`
/// (`IP_MINTTL`, `IPV6_MINHOPCOUNT`); 0 turns the check off.
pub fn set_min_ttl(sock: &impl AsFd, min: u8) -> io::Result<()> {
    both(
        sock,
        libc::IP_MINTTL,
        libc::IPV6_MINHOPCOUNT,
        c_int::from(min),
    )
}

fn both(sock: &impl AsFd, v4: c_int, v6: c_int, value: c_int) -> io::Result<()> {
    let fd = sock.as_fd();
    sys::set_int(fd, libc::IPPROTO_IP, v4, value)?;
    if sys::is_ipv6(fd)? {
        sys::set_int(fd, libc::IPPROTO_IPV6, v6, value)?;
    }
    Ok(())
}
