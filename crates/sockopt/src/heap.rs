//! Giving freed heap memory back to the kernel. glibc keeps what a burst
//! of allocations freed (reading a large configuration, compiling its
//! policy) inside its arenas, so the daemon's resident size stays at the
//! burst's peak; `malloc_trim` releases the free pages. rbgpd's own
//! allocations go through jemalloc, which purges on its own; this still
//! trims what C libraries and a build on the system allocator hold.

/// Release free heap pages to the kernel (glibc only; elsewhere nothing).
/// Cheap enough after rare events (start, reload), not per route.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas under their locks
    // and takes no pointer; any padding argument is valid.
    unsafe {
        libc::malloc_trim(0);
    }
}
