//! Routing (issue 4):
//! * `route`: connections routed per second through one node's programmed rules, per
//!   proxy mode, with 1,000 services × 10 endpoints (lookup must not scan every service),
//!   with and without ClientIP session affinity: the decision alone
//!   ([`NodeProxy::decide`], what the data plane needs per connection), and once with the
//!   human-readable trace rendered too (`iptables-traced`, [`NodeProxy::route`]);
//! * `request`: one request end to end through the Sim from a pod to a Service name (DNS,
//!   routing through the client node's programmed rules, delivery check, conntrack,
//!   counters, log), in a small cluster and in one with 100 nodes × 1,000 Services: the
//!   cost must not depend on cluster size.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::apiserver::ObjectKey;
use kubeplay_core::dataplane::{send, Client, RequestSpec};
use kubeplay_core::proxy::{
    EndpointInfo, FlowKey, NodeProxy, Protocol, ProxyConfig, ProxyMode, ServiceEndpoints,
    ServicePortInfo, SessionAffinity, SourceKind,
};
use kubeplay_core::{Sim, SimConfig};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

const SERVICES: u32 = 1000;
const ENDPOINTS: u32 = 10;

fn proxy_cluster(affinity: SessionAffinity) -> Vec<ServiceEndpoints> {
    (0..SERVICES)
        .map(|s| {
            let vip = Ipv4Addr::from(0x0A60_0000 + s + 1); // 10.96.x.y
            let mut service = ServicePortInfo::new(
                "bench",
                &format!("svc{s}"),
                "http",
                Protocol::Tcp,
                Some(vip),
                80,
            );
            service.session_affinity = affinity;
            let endpoints = (0..ENDPOINTS)
                .map(|e| {
                    EndpointInfo::ready(
                        Ipv4Addr::from(0x0AF4_0000 + s * ENDPOINTS + e + 1),
                        8080,
                        "n1",
                    )
                })
                .collect();
            ServiceEndpoints { service, endpoints }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("route");
    group.throughput(Throughput::Elements(1));
    for (name, mode, affinity) in [
        ("iptables", ProxyMode::Iptables, SessionAffinity::None),
        ("ipvs", ProxyMode::Ipvs, SessionAffinity::None),
        ("nftables", ProxyMode::Nftables, SessionAffinity::None),
        (
            "iptables-clientip",
            ProxyMode::Iptables,
            SessionAffinity::ClientIp { timeout_s: 10_800 },
        ),
        (
            "ipvs-clientip",
            ProxyMode::Ipvs,
            SessionAffinity::ClientIp { timeout_s: 10_800 },
        ),
        (
            "nftables-clientip",
            ProxyMode::Nftables,
            SessionAffinity::ClientIp { timeout_s: 10_800 },
        ),
    ] {
        let services = proxy_cluster(affinity);
        let mut config = ProxyConfig::new("n1", vec![Ipv4Addr::new(192, 168, 0, 2)]);
        config.mode = mode;
        let mut node = NodeProxy::new(config, &services);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut i: u32 = 0;
        let flow = |i: u32| FlowKey {
            src_ip: Ipv4Addr::from(0x0AF4_0000 + (i % 50_000)),
            source: SourceKind::Pod,
            dst_ip: Ipv4Addr::from(0x0A60_0000 + (i % SERVICES) + 1),
            dst_port: 80,
            protocol: Protocol::Tcp,
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                black_box(node.decide(&flow(i), u64::from(i), &mut rng).verdict())
            })
        });
        if name == "iptables" {
            group.bench_function("iptables-traced", |b| {
                b.iter(|| {
                    i = i.wrapping_add(1);
                    black_box(node.route(&flow(i), u64::from(i), &mut rng))
                })
            });
        }
    }
    group.finish();
}

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

criterion_group!(benches, bench, requests);
criterion_main!(benches);
