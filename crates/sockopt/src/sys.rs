//! The raw `setsockopt`/`getsockopt` calls: the crate's only unsafe code.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use libc::c_int;

/// `setsockopt(fd, level, name, value)`, the option value as bytes.
pub fn set(fd: BorrowedFd<'_>, level: c_int, name: c_int, value: &[u8]) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `fd` is an open descriptor for the whole call (a BorrowedFd
    // cannot outlive its owner); `value` is a live, initialised buffer of
    // exactly `len` bytes that the kernel only reads during the call.
    let r = unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, value.as_ptr().cast(), len) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `setsockopt` with an `int` value.
pub fn set_int(fd: BorrowedFd<'_>, level: c_int, name: c_int, value: c_int) -> io::Result<()> {
    set(fd, level, name, &value.to_ne_bytes())
}

/// `getsockopt` of an `int` option.
pub fn get_int(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<c_int> {
    let mut value: c_int = 0;
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<c_int>())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `fd` is open for the call (BorrowedFd); `value` and `len` are
    // live locals, and `len` tells the kernel it may write at most
    // size_of::<c_int>() bytes into `value`, which any bytes leave valid.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    if r == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Whether the socket is IPv6 (`SO_DOMAIN`), which decides how peer
/// addresses are written and which TTL options apply.
pub fn is_ipv6(fd: BorrowedFd<'_>) -> io::Result<bool> {
    Ok(get_int(fd, libc::SOL_SOCKET, libc::SO_DOMAIN)? == libc::AF_INET6)
}
