//! Times the phases of the scale benchmark's cluster (`benches/scale.rs`) once, for sizes the
//! benchmark does not run and for profiling:
//! `cargo run --profile bench --example scale_probe -- NODES SERVICES REPLICAS [--no-kube-proxy]`.
//! Prints the time of node registration, object creation (plus everything that happens at that
//! instant), the run to steady state, and one pod deletion reaching its EndpointSlice.

#[path = "../benches/common/scale_cluster.rs"]
#[allow(dead_code)]
mod scale_cluster;

use std::time::Instant;

/// The allocator the `kubeplay` CLI uses (see `src/bin/kubeplay.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
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
