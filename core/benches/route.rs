//! Connections routed per second through one node's programmed rules, per proxy mode,
//! with 1,000 services × 10 endpoints (lookup must not scan every service).

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kubeplay_core::proxy::{
    EndpointInfo, FlowKey, NodeProxy, Protocol, ProxyConfig, ProxyMode, ServiceEndpoints,
    ServicePortInfo, SourceKind,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

const SERVICES: u32 = 1000;
const ENDPOINTS: u32 = 10;

fn cluster() -> Vec<ServiceEndpoints> {
    (0..SERVICES)
        .map(|s| {
            let vip = Ipv4Addr::from(0x0A60_0000 + s + 1); // 10.96.x.y
            let service = ServicePortInfo::new(
                "bench",
                &format!("svc{s}"),
                "http",
                Protocol::Tcp,
                Some(vip),
                80,
            );
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
    let services = cluster();
    let mut group = c.benchmark_group("route");
    group.throughput(Throughput::Elements(1));
    for (name, mode) in [
        ("iptables", ProxyMode::Iptables),
        ("ipvs", ProxyMode::Ipvs),
        ("nftables", ProxyMode::Nftables),
    ] {
        let mut config = ProxyConfig::new("n1", vec![Ipv4Addr::new(192, 168, 0, 2)]);
        config.mode = mode;
        let mut node = NodeProxy::new(config, &services);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut i: u32 = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                let flow = FlowKey {
                    src_ip: Ipv4Addr::from(0x0AF4_0000 + (i % 50_000)),
                    source: SourceKind::Pod,
                    dst_ip: Ipv4Addr::from(0x0A60_0000 + (i % SERVICES) + 1),
                    dst_port: 80,
                    protocol: Protocol::Tcp,
                };
                black_box(node.route(&flow, u64::from(i), &mut rng))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
