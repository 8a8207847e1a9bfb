//! Thread priority: rbgpd runs work that must never slow BGP (BMP export
//! to monitoring stations) on a thread the kernel prefers less when the
//! cores are busy, so the RIB thread and the peer tasks go first and the
//! exporter catches up when they idle.

/// Lower the calling thread's scheduling priority by `nice` steps (0-19)
/// from where it is (Linux keeps a nice value per thread; a daemon started
/// at nice 10 gets 15 here, never a higher priority than its other
/// threads). Errors (a sandbox refusing it) leave the priority as it was.
pub fn lower_thread_priority(nice: i32) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid takes nothing; getpriority and setpriority take
        // plain integers (PRIO_PROCESS with a thread id names that thread
        // on Linux). getpriority returns the nice value itself (-20..19),
        // so -1 is a value, not an error, and errno is not checked.
        let r = unsafe {
            let tid = libc::gettid() as libc::id_t;
            let now = libc::getpriority(libc::PRIO_PROCESS, tid);
            let to = now.saturating_add(nice.clamp(0, 19)).min(19);
            libc::setpriority(libc::PRIO_PROCESS, tid, to)
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    /// The calling thread's nice value, from /proc (field 19 of its stat).
    fn nice() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // The command name (field 2) may hold spaces: count after its ')'.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        rest.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[test]
    fn lowers_only_the_calling_thread_from_where_it_is() {
        let main = nice();
        let (before, after) = std::thread::spawn(|| {
            let before = nice();
            super::lower_thread_priority(3).unwrap();
            let once = nice();
            super::lower_thread_priority(3).unwrap();
            (before, (once, nice()))
        })
        .join()
        .unwrap();
        assert_eq!(after, ((before + 3).min(19), (before + 6).min(19)));
        assert_eq!(nice(), main, "other threads keep theirs");
    }
}
