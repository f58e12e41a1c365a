//! The cluster at scale (issue 3): Deployments behind Services, built to steady state.
//! * `build`: creating every Service and Deployment and running the cluster until every
//!   pod is ready, every EndpointSlice published and every node's kube-proxy in sync.
//! * `pod_deletion`: deleting one pod until its EndpointSlice shows it terminating (the
//!   per-change cost, which must not grow with the cluster), after the cluster ran 10
//!   virtual seconds since the previous deletion. Those seconds probe every pod, which
//!   evicts the previous deletion's data from the CPU caches: in a big cluster this
//!   figure is mostly cache misses.
//! * `pod_deletion_back_to_back`: the same deletion right after another one (the caches
//!   hold what a deletion touches): the work a change costs, without the cache misses.
//!
//! Sizes: 100 nodes × 100 Services × 15 pods (1.5 k pods) always; the upstream
//! scalability thresholds, 5,000 nodes × 10,000 Services × 15 pods (150 k pods), when
//! `KUBEPLAY_BENCH_BIG=1` is set (each sample builds the whole cluster). The cluster CIDR is
//! `10.128.0.0/9` so that 5,000 nodes get a podCIDR. `examples/scale_probe.rs` times the
//! phases of one build at any size.

mod common;

use std::time::{Duration, Instant};

use common::scale_cluster::{build, delete_pod, slice_shows_terminating, steady, victim};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

/// The allocator the `kubeplay` CLI uses, tuned as it is (see `src/bin/kubeplay.rs`):
/// each benchmark calls `allocator::tune` first.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// (label, nodes, services, replicas).
fn sizes() -> Vec<(&'static str, usize, usize, usize)> {
    let mut v = vec![("1.5k-pods", 100, 100, 15)];
    if std::env::var_os("KUBEPLAY_BENCH_BIG").is_some() {
        v.push(("150k-pods", 5_000, 10_000, 15));
    }
    v
}

fn build_bench(c: &mut Criterion) {
    kubeplay_core::allocator::tune();
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for (label, nodes, services, replicas) in sizes() {
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let sim = build(nodes, services, replicas, true);
                    total += t.elapsed();
                    assert!(steady(&sim, services, replicas), "not in steady state");
                    drop(sim);
                }
                total
            })
        });
    }
    group.finish();
}

/// Deletes a ready pod of app-0 and runs what that triggers at this instant: the time it took
/// (its slices are checked to show the pod terminating, outside the measurement).
fn timed_deletion(sim: &mut kubeplay_core::sim::Sim) -> Duration {
    let (name, ip) = victim(sim);
    let t = Instant::now();
    delete_pod(sim, &name);
    let took = t.elapsed();
    assert!(slice_shows_terminating(sim, &ip), "slice not updated");
    took
}

/// A measurement of one iteration on a cluster (returns its time), fresh for each cluster.
type Measure = Box<dyn FnMut(&mut kubeplay_core::sim::Sim) -> Duration>;

/// One deletion group, measured by a fresh `measure()` on each cluster size.
fn deletion_group(c: &mut Criterion, group_name: &str, measure: fn() -> Measure) {
    kubeplay_core::allocator::tune();
    let mut group = c.benchmark_group(group_name);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (label, nodes, services, replicas) in sizes() {
        let mut sim = build(nodes, services, replicas, true);
        let mut measure = measure();
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| measure(&mut sim)).sum())
        });
    }
    group.finish();
}

fn pod_deletion(c: &mut Criterion) {
    deletion_group(c, "pod_deletion", || {
        Box::new(|sim| {
            let took = timed_deletion(sim);
            // The replacement starts and the victim goes, outside the measurement.
            sim.advance(common::scale_cluster::SETTLE_MS);
            took
        })
    });
}

/// Deletions of app-0's pods one after another; every 8 the cluster runs until the
/// replacements are ready (unmeasured), and the first deletion after that is unmeasured too,
/// so every measured deletion follows another one.
fn pod_deletion_back_to_back(c: &mut Criterion) {
    deletion_group(c, "pod_deletion_back_to_back", || {
        let mut since_settle = 0;
        Box::new(move |sim| {
            if since_settle == 0 {
                timed_deletion(sim);
                since_settle = 1;
            }
            let took = timed_deletion(sim);
            since_settle += 1;
            if since_settle == 8 {
                sim.advance(common::scale_cluster::SETTLE_MS);
                since_settle = 0;
            }
            took
        })
    });
}

criterion_group!(
    benches,
    build_bench,
    pod_deletion,
    pod_deletion_back_to_back
);
criterion_main!(benches);
