//! The native allocator's tuning, shared by the `kubeplay` CLI, the scale benchmark and the
//! `scale_probe` example (each installs mimalloc as its global allocator).

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`, v3; the Rust bindings have no name for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep memory it no longer uses instead of handing it back to the OS.
///
/// A simulated cluster frees as fast as it allocates: every status write replaces an object,
/// every recorded Event past the cap evicts one. By default mimalloc returns freed pages to
/// the OS after a delay and faults fresh zeroed ones back in moments later: the kernel time
/// of the 15 k-pod benchmark build went from 0.15–0.43 s to 0.01–0.15 s without it (measured
/// with `examples/scale_probe.rs`). The process lives for one simulation, so keeping its
/// high-water mark costs nothing. Call it first thing in `main`.
pub fn keep_freed_memory() {
    // SAFETY: sets one of mimalloc's runtime options by its documented id; mimalloc reads
    // options atomically and accepts changes at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}
