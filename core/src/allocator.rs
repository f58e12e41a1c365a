//! The native allocator's tuning, shared by the `kubeplay` CLI, the scale benchmark and the
//! `scale_probe` example (each installs mimalloc as its global allocator).

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`, v3; the Rust bindings have no name for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc's `mi_option_allow_thp` (`mimalloc.h`, v3).
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Tunes mimalloc for one simulation per process. Call it first thing in `main`.
///
/// * Keep memory it no longer uses instead of handing it back to the OS. A simulated cluster
///   frees as fast as it allocates: every status write replaces an object, every recorded
///   Event past the cap evicts one. By default mimalloc returns freed pages to the OS after a
///   delay and faults fresh zeroed ones back in moments later: the kernel time of the 15 k-pod
///   benchmark build went from 0.15–0.43 s to 0.01–0.15 s without it (measured with
///   `examples/scale_probe.rs`). The process lives for one simulation, so keeping its
///   high-water mark costs nothing.
/// * No transparent huge pages for the process. Where the kernel compacts memory to find a huge
///   page for a region that asked for them (`defrag` = `madvise`, the common default), a big
///   build stalls in the kernel, and each huge page is zeroed whole on first touch. mimalloc
///   asks for them (`MADV_HUGEPAGE`) on every arena it reserves unless its `allow_thp` option
///   is off, and the Rust runtime's first allocation, before `main`, already reserved the first
///   1 GiB arena that way: so besides turning the option off for later arenas, `tune` turns
///   THP off for the whole process (`PR_SET_THP_DISABLE`, which also overrides an earlier
///   `madvise`). The 150 k-pod build (`scale_probe`, fresh process, 2-core build VM) spent
///   1.9–2.9 s of kernel time with the first arena on huge pages and 0.8–0.9 s without, and
///   peaked at 1.09 GB instead of 1.06 GB.
pub fn tune() {
    // SAFETY: sets two of mimalloc's runtime options by their documented ids; mimalloc reads
    // options atomically and accepts changes at any time (the THP one applies to memory
    // mapped afterwards, hence "first thing in `main`").
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
    }
    #[cfg(target_os = "linux")]
    // SAFETY: `PR_SET_THP_DISABLE` takes an integer flag and no pointers; it only sets a flag
    // of this process's memory map. Failure (a kernel without it) leaves THP as it was, which
    // is only slower, so the result is not checked.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option ids are positions in mimalloc's enum, which its versions renumber: before
    /// `tune`, each id must hold its option's default (a purge delay in ms; THP allowed, as
    /// on Linux), which its neighbours do not hold.
    #[test]
    fn tune_sets_the_options_it_means_and_turns_thp_off() {
        let get = |id| unsafe { libmimalloc_sys::mi_option_get(id) };
        assert!(get(MI_OPTION_PURGE_DELAY) > 0, "a delay, not 0 or -1");
        assert_eq!(get(MI_OPTION_ALLOW_THP), 1);
        tune();
        assert_eq!(get(MI_OPTION_PURGE_DELAY), -1);
        assert_eq!(get(MI_OPTION_ALLOW_THP), 0);
        // The arena mimalloc reserved before `main` asked for huge pages; only the
        // process-wide switch reaches it. (One test: `tune` is process-wide, and a second
        // test calling it could run before the defaults above are read.)
        #[cfg(target_os = "linux")]
        {
            // SAFETY: `PR_GET_THP_DISABLE` takes no arguments and returns the flag.
            let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
            assert_eq!(disabled, 1);
        }
    }
}
