//! Code shared by the benchmarks (and the `scale_probe` example).
pub mod scale_cluster;
