//! Thread priority: rbgpd runs work that must never slow BGP (BMP export
//! to monitoring stations) on a thread the kernel prefers less when the
//! cores are busy, so the RIB thread and the peer tasks go first and the
//! exporter catches up when they idle.

/// Lower the calling thread's scheduling priority by `nice` (0-19; Linux
/// keeps a nice value per thread). Errors (a sandbox refusing it) leave
/// the priority as it was.
pub fn lower_thread_priority(nice: i32) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid takes nothing; setpriority takes plain integers
        // (PRIO_PROCESS with a thread id names that thread on Linux).
        let r = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice.clamp(0, 19))
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
    Ok(())
}
