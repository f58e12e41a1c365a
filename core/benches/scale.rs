//! The cluster at scale (issue 3): Deployments behind Services, built to steady state.
//! * `build`: creating every Service and Deployment and running the cluster until every
//!   pod is ready, every EndpointSlice published and every node's kube-proxy in sync.
//! * `pod_deletion`: deleting one pod until its EndpointSlice shows it terminating (the
//!   per-change cost, which must not grow with the cluster).
//!
//! Sizes: 100 nodes × 100 Services × 15 pods (1.5 k pods) always; the upstream
//! scalability thresholds, 5,000 nodes × 10,000 Services × 15 pods (150 k pods), when
//! `KUBEPLAY_BENCH_BIG=1` is set (each sample builds the whole cluster).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::apiserver::DeleteOptions;
use kubeplay_core::{Sim, SimConfig};

/// (label, nodes, services, replicas).
fn sizes() -> Vec<(&'static str, usize, usize, usize)> {
    let mut v = vec![("1.5k-pods", 100, 100, 15)];
    if std::env::var_os("KUBEPLAY_BENCH_BIG").is_some() {
        v.push(("150k-pods", 5_000, 10_000, 15));
    }
    v
}

/// Builds the cluster and runs it to steady state.
fn build(nodes: usize, services: usize, replicas: usize) -> Sim {
    let mut sim = Sim::new(SimConfig {
        nodes,
        trace_objects: false,
        ..Default::default()
    });
    for s in 0..services {
        let app = format!("app-{s}");
        let labels = BTreeMap::from([("app".to_string(), app.clone())]);
        let mut svc = Service::default();
        svc.metadata.name = app.clone();
        svc.spec.selector = Some(labels.clone());
        svc.spec.ports = vec![ServicePort {
            port: 80,
            ..Default::default()
        }];
        sim.api.create(svc).expect("service");
        let mut d = Deployment::default();
        d.metadata.name = app;
        d.spec.replicas = Some(replicas as i32);
        d.spec.selector = Some(LabelSelector {
            match_labels: labels.clone(),
            ..Default::default()
        });
        d.spec.template.metadata.labels = labels;
        d.spec.template.spec.containers = vec![Container {
            name: "c".into(),
            image: "nginx".into(),
            ..Default::default()
        }];
        sim.api.create(d).expect("deployment");
    }
    sim.settle();
    sim.advance(10_000);
    sim
}

/// Whether the slices of `app-0` list `ip` as terminating (or no longer list it).
fn slice_shows_terminating(sim: &Sim, ip: &str) -> bool {
    sim.api
        .endpoint_slices
        .in_namespace("default")
        .filter(|s| {
            s.metadata
                .labels
                .get("kubernetes.io/service-name")
                .map(String::as_str)
                == Some("app-0")
        })
        .flat_map(|s| s.endpoints.iter().flatten())
        .filter(|e| e.addresses.iter().any(|a| a == ip))
        .all(|e| e.conditions.terminating == Some(true))
}

fn build_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for (label, nodes, services, replicas) in sizes() {
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let sim = build(nodes, services, replicas);
                    total += t.elapsed();
                    assert_eq!(sim.api.pods.len(), services * replicas);
                    drop(sim);
                }
                total
            })
        });
    }
    group.finish();
}

fn pod_deletion(c: &mut Criterion) {
    let mut group = c.benchmark_group("pod_deletion");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (label, nodes, services, replicas) in sizes() {
        let mut sim = build(nodes, services, replicas);
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // A ready pod of app-0 (the previous victims are gone or terminating).
                    let (name, ip) = sim
                        .api
                        .pods
                        .in_namespace("default")
                        .find(|p| {
                            p.metadata.labels.get("app").map(String::as_str) == Some("app-0")
                                && p.metadata.deletion_timestamp.is_none()
                                && p.status.pod_ip.is_some()
                        })
                        .map(|p| (p.metadata.name.clone(), p.status.pod_ip.clone()))
                        .expect("a ready pod");
                    let ip = ip.unwrap_or_default();
                    let t = Instant::now();
                    sim.api
                        .delete::<Pod>("default", &name, DeleteOptions::default())
                        .expect("delete");
                    sim.settle();
                    total += t.elapsed();
                    assert!(slice_shows_terminating(&sim, &ip), "slice not updated");
                    // The replacement starts and the victim goes, outside the measurement.
                    sim.advance(10_000);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, build_bench, pod_deletion);
criterion_main!(benches);
