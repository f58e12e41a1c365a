//! The data plane end to end through the Sim:
//! * `request`: one request from a pod to a Service name (DNS, routing through the client
//!   node's programmed rules, delivery check, conntrack, counters, log), in a small cluster
//!   and in one with 100 nodes × 1,000 Services: the cost must not depend on cluster size.
//! * `endpoint_change`: one endpoint change (a pod's readiness flipping in its
//!   EndpointSlice) until every node's kube-proxy has programmed it, at 50 and 5,000
//!   nodes with 200 Services (partial syncs: the other Services cost nothing).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::apiserver::ObjectKey;
use kubeplay_core::dataplane::{send, Client, RequestSpec, SyncStatus};
use kubeplay_core::{Sim, SimConfig};

fn cluster(nodes: usize, services: usize, pods_per: usize) -> Sim {
    let mut sim = Sim::new(SimConfig {
        nodes,
        trace_objects: false,
        ..Default::default()
    });
    for s in 0..services {
        let app = format!("app-{s}");
        let mut svc = Service::default();
        svc.metadata.name = app.clone();
        svc.metadata.namespace = "default".into();
        svc.spec.selector = Some(BTreeMap::from([("app".to_string(), app.clone())]));
        svc.spec.ports = vec![ServicePort {
            port: 80,
            target_port: Some(IntOrString::Int(8080)),
            ..Default::default()
        }];
        sim.api.create(svc).expect("service");
        for p in 0..pods_per {
            let mut pod = Pod::default();
            pod.metadata.name = format!("{app}-{p}");
            pod.metadata.namespace = "default".into();
            pod.metadata.labels.insert("app".into(), app.clone());
            pod.spec.node_name = format!("node-{}", 1 + (s * pods_per + p) % nodes);
            pod.spec.containers = vec![Container {
                name: "app".into(),
                image: "agnhost".into(),
                ..Default::default()
            }];
            sim.api.create(pod).expect("pod");
        }
    }
    let mut client = Pod::default();
    client.metadata.name = "client".into();
    client.metadata.namespace = "default".into();
    client.spec.node_name = "node-1".into();
    client.spec.containers = vec![Container {
        name: "c".into(),
        image: "curl".into(),
        ..Default::default()
    }];
    sim.api.create(client).expect("client");
    sim.advance(30_000);
    sim
}

fn requests(c: &mut Criterion) {
    let mut group = c.benchmark_group("request");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    for (name, nodes, services) in [("3n-1svc", 3, 1), ("100n-1000svc", 100, 1000)] {
        let mut sim = cluster(nodes, services, if services == 1 { 10 } else { 3 });
        let spec = RequestSpec {
            client: Client::Pod(ObjectKey::new("default", "client")),
            host: "app-0".into(),
            port: 80,
            path: "/".into(),
            generator: None,
        };
        group.bench_function(name, |b| {
            b.iter(|| send(&mut sim.api, &mut sim.infra, &spec, None, false))
        });
    }
    group.finish();
}

fn endpoint_change(c: &mut Criterion) {
    let mut group = c.benchmark_group("endpoint_change");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for nodes in [50usize, 5000] {
        let mut sim = cluster(nodes, 200, 2);
        let slice_key = sim
            .api
            .endpoint_slices
            .in_namespace("default")
            .find(|s| {
                s.metadata
                    .labels
                    .get("kubernetes.io/service-name")
                    .map(String::as_str)
                    == Some("app-0")
            })
            .map(|s| s.metadata.name.clone())
            .expect("slice");
        let mut flip = false;
        group.bench_function(format!("{nodes}-nodes"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    flip = !flip;
                    let t = Instant::now();
                    sim.api
                        .modify::<EndpointSlice>("default", &slice_key, |s| {
                            if let Some(e) = s.endpoints.as_mut().and_then(|e| e.first_mut()) {
                                e.conditions.ready = Some(!flip);
                            }
                        })
                        .expect("slice");
                    sim.advance(1_100);
                    total += t.elapsed();
                    assert!(matches!(
                        sim.proxy_sync_status("node-1"),
                        SyncStatus::InSync { .. }
                    ));
                    // Let the EndpointSlice controller's correction (it owns the slice)
                    // settle outside the measurement.
                    sim.advance(2_000);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, requests, endpoint_change);
criterion_main!(benches);
