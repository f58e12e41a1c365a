//! One endpoint change reaching the rules of every node (issue 4):
//! * `endpoint_change`: through the Sim, a pod's readiness flipping in its EndpointSlice
//!   until every node's kube-proxy has synced it and node-1's rules (the client's node)
//!   show it, at 50 and 5,000 nodes with 200 Services (partial syncs: the other Services
//!   cost nothing; the sync round is recorded once and each node's rules catch up when
//!   read or routed through, see `dataplane::programs`);
//! * `node_proxy_update`: the rule engine alone, one Service's endpoints replaced on every
//!   node's [`NodeProxy`] (what each node's sync does), at 50 and 5,000 nodes.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::dataplane::SyncStatus;
use kubeplay_core::proxy::{
    EndpointInfo, NodeProxy, Protocol, ProxyConfig, ProxyMode, ServiceEndpoints, ServicePortInfo,
};
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
        svc.metadata.name = app.clone().into();
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
            pod.metadata.name = format!("{app}-{p}").into();
            pod.metadata.namespace = "default".into();
            pod.metadata.labels.insert("app".into(), app.clone());
            pod.spec.node_name = format!("node-{}", 1 + (s * pods_per + p) % nodes).into();
            pod.spec.containers = vec![Container {
                name: "app".into(),
                image: "agnhost".into(),
                ..Default::default()
            }]
            .into();
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
    }]
    .into();
    sim.api.create(client).expect("client");
    sim.advance(30_000);
    sim
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
                    let programmed = sim
                        .infra
                        .dataplane
                        .proxy("node-1")
                        .map(|p| p.services().len());
                    total += t.elapsed();
                    assert!(programmed.is_some());
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

/// `services` Services with `eps` endpoints each, spread over `nodes` nodes.
fn services(services: u32, eps: u32, nodes: u32) -> Vec<ServiceEndpoints> {
    (0..services)
        .map(|s| ServiceEndpoints {
            service: ServicePortInfo::new(
                "default",
                &format!("app-{s}"),
                "",
                Protocol::Tcp,
                Some(Ipv4Addr::from(0x0A60_0000 + s + 10)),
                80,
            ),
            endpoints: (0..eps)
                .map(|e| {
                    EndpointInfo::ready(
                        Ipv4Addr::from(0x0AF4_0000 + s * eps + e + 2),
                        8080,
                        &format!("node-{}", 1 + (s * eps + e) % nodes),
                    )
                })
                .collect(),
        })
        .collect()
}

fn node_proxy_update(c: &mut Criterion) {
    let mut group = c.benchmark_group("node_proxy_update");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for mode in [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables] {
        for nodes in [50u32, 5000] {
            let all = services(200, 2, nodes);
            let mut proxies: Vec<NodeProxy> = (1..=nodes)
                .map(|n| {
                    let mut config = ProxyConfig::new(
                        &format!("node-{n}"),
                        vec![Ipv4Addr::from(0xAC12_0000 + n + 1)],
                    );
                    config.mode = mode;
                    NodeProxy::new(config, &all)
                })
                .collect();
            let mut changed = all[0].clone();
            let mut flip = false;
            group.bench_function(BenchmarkId::new(format!("{mode:?}"), nodes), |b| {
                b.iter(|| {
                    flip = !flip;
                    changed.endpoints[0].ready = flip;
                    for p in &mut proxies {
                        p.update_service("default/app-0", vec![changed.clone()]);
                    }
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, endpoint_change, node_proxy_update);
criterion_main!(benches);
