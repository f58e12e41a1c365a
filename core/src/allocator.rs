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
/// * mimalloc asks for no transparent huge pages (something else may still get some). Where
///   the kernel compacts memory to find a huge page for a region that asked for them
///   (`defrag` = `madvise`, the common default), a big build stalls in the kernel: the
///   150 k-pod build spent 2.2–2.9 s of kernel time with them and 0.9–1.0 s without
///   (10.5–11.4 s → 9.6–9.8 s in all, `scale_probe`, on the 2-core build VM).
pub fn tune() {
    // SAFETY: sets two of mimalloc's runtime options by their documented ids; mimalloc reads
    // options atomically and accepts changes at any time (the THP one applies to memory
    // mapped afterwards, hence "first thing in `main`").
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option ids are positions in mimalloc's enum, which its versions renumber: before
    /// `tune`, each id must hold its option's default (a purge delay in ms; THP allowed, as
    /// on Linux), which its neighbours do not hold.
    #[test]
    fn the_option_ids_name_the_options_tune_means() {
        let get = |id| unsafe { libmimalloc_sys::mi_option_get(id) };
        assert!(get(MI_OPTION_PURGE_DELAY) > 0, "a delay, not 0 or -1");
        assert_eq!(get(MI_OPTION_ALLOW_THP), 1);
        tune();
        assert_eq!(get(MI_OPTION_PURGE_DELAY), -1);
        assert_eq!(get(MI_OPTION_ALLOW_THP), 0);
    }
}
