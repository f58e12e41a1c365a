//! Times the phases of the scale benchmark's cluster (`benches/scale.rs`) once, for sizes the
//! benchmark does not run and for profiling:
//! `cargo run --profile bench --example scale_probe -- NODES SERVICES REPLICAS [--no-kube-proxy]`.
//! Prints the time of node registration, object creation (plus everything that happens at that
//! instant), the run to steady state, the heap allocations of the whole build, and one pod
//! deletion reaching its EndpointSlice.

#[path = "../benches/common/scale_cluster.rs"]
#[allow(dead_code)]
mod scale_cluster;

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// The allocator the `kubeplay` CLI uses (see `src/bin/kubeplay.rs`), counting allocations:
/// a figure that, unlike time on a shared machine, is the same on every run.
#[global_allocator]
static GLOBAL: Counting = Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        mimalloc::MiMalloc.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        mimalloc::MiMalloc.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        mimalloc::MiMalloc.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        mimalloc::MiMalloc.realloc(ptr, layout, new_size)
    }
}

fn main() {
    kubeplay_core::allocator::tune();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kube_proxy = !args.iter().any(|a| a == "--no-kube-proxy");
    let n: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let (nodes, services, replicas) = match n[..] {
        [a, b, c, ..] => (a, b, c),
        _ => (100, 100, 15),
    };
    let total = Instant::now();
    let t = Instant::now();
    let mut sim = scale_cluster::empty(nodes, kube_proxy);
    println!("nodes:   {:>10.3?}", t.elapsed());
    let t = Instant::now();
    scale_cluster::create_apps(&mut sim, services, replicas);
    sim.settle();
    println!(
        "created: {:>10.3?} pods={}",
        t.elapsed(),
        sim.api.pods.len()
    );
    let t = Instant::now();
    sim.advance(scale_cluster::SETTLE_MS);
    println!(
        "steady:  {:>10.3?} slices={} steady={}",
        t.elapsed(),
        sim.api.endpoint_slices.len(),
        scale_cluster::steady(&sim, services, replicas)
    );
    println!("build:   {:>10.3?}", total.elapsed());
    let pods = sim.api.pods.len().max(1) as u64;
    println!(
        "allocs:  {:>10} ({} per pod)",
        ALLOCATIONS.load(Relaxed),
        ALLOCATIONS.load(Relaxed) / pods
    );
    for _ in 0..3 {
        let (name, ip) = scale_cluster::victim(&sim);
        let t = Instant::now();
        scale_cluster::delete_pod(&mut sim, &name);
        let took = t.elapsed();
        assert!(scale_cluster::slice_shows_terminating(&sim, &ip));
        println!("delete:  {took:>10.3?}");
        sim.advance(scale_cluster::SETTLE_MS);
    }
}
