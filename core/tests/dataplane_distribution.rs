//! Load balancing as each proxy mode does it, measured over 100,000 new connections sent
//! through the Sim's data plane: iptables `statistic --mode random` and nftables `numgen
//! random` are uniform, IPVS `rr` is uniform (exactly), ClientIP affinity is sticky.

mod common;
use common::*;
use kubeplay_core::api::core::{ClientIpConfig, SessionAffinityConfig};
use kubeplay_core::apiserver::ObjectKey;
use kubeplay_core::dataplane::{send, Client, Outcome, RequestSpec};
use kubeplay_core::proxy::ProxyMode;
use kubeplay_core::Sim;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

const N: u64 = 100_000;
/// χ² critical value for 3 degrees of freedom at p = 0.001.
const CHI2_3DF_P001: f64 = 16.27;

fn chi_square(counts: &BTreeMap<String, u64>, k: usize, total: u64) -> f64 {
    let expected = total as f64 / k as f64;
    assert_eq!(
        counts.len(),
        k,
        "every endpoint receives traffic: {counts:?}"
    );
    counts
        .values()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum()
}

fn four_pods(sim: &mut Sim, svc: kubeplay_core::api::Service) {
    sim.api.create(svc).unwrap();
    for (i, node) in ["node-1", "node-2", "node-3", "node-1"].iter().enumerate() {
        sim.api
            .create(pod_on(&format!("web-{i}"), "web", node))
            .unwrap();
    }
    sim.api
        .create(pod_on("client", "client", "node-2"))
        .unwrap();
    sim.advance(20_000);
}

fn request(sim: &mut Sim, client: Client, host: &str, port: u16) -> Outcome {
    let spec = RequestSpec {
        client,
        host: host.into(),
        port,
        path: "/".into(),
        generator: None,
    };
    send(&mut sim.api, &mut sim.infra, &spec, None, false)
        .expect("client can send")
        .record
        .outcome
}

fn uniform_in(mode: ProxyMode) -> f64 {
    let mut sim = sim(3, mode, 7);
    four_pods(&mut sim, service("web", "web", "ClusterIP"));
    let mut counts = BTreeMap::new();
    for _ in 0..N {
        match request(
            &mut sim,
            Client::Pod(ObjectKey::new("default", "client")),
            "web",
            80,
        ) {
            Outcome::Served { pod, .. } => *counts.entry(pod.name.to_string()).or_insert(0u64) += 1,
            o => panic!("unexpected {o:?}"),
        }
    }
    chi_square(&counts, 4, N)
}

#[test]
fn iptables_statistic_random_is_uniform() {
    let chi2 = uniform_in(ProxyMode::Iptables);
    assert!(chi2 < CHI2_3DF_P001, "χ² = {chi2}");
}

#[test]
fn nftables_numgen_is_uniform() {
    let chi2 = uniform_in(ProxyMode::Nftables);
    assert!(chi2 < CHI2_3DF_P001, "χ² = {chi2}");
}

#[test]
fn ipvs_round_robin_is_exactly_uniform() {
    let chi2 = uniform_in(ProxyMode::Ipvs);
    assert!(
        chi2 < 1e-9,
        "rr gives each real server N/4 connections: χ² = {chi2}"
    );
}

#[test]
fn client_ip_affinity_is_sticky_per_client_and_spreads_clients() {
    for mode in [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables] {
        let mut sim = sim(3, mode, 11);
        let mut svc = service("web", "web", "NodePort");
        svc.spec.session_affinity = Some("ClientIP".into());
        svc.spec.session_affinity_config = Some(SessionAffinityConfig {
            client_ip: Some(ClientIpConfig {
                timeout_seconds: Some(600),
            }),
        });
        four_pods(&mut sim, svc);
        let node_port = sim
            .api
            .get::<kubeplay_core::api::Service>("default", "web")
            .unwrap()
            .spec
            .ports[0]
            .node_port
            .unwrap() as u16;
        let node_ip = "172.18.0.2";
        let clients = 400u32;
        let mut chosen: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
        for i in 0..N {
            let ip = Ipv4Addr::from(0xC633_6400u32 + (i % u64::from(clients)) as u32); // 198.51.100.0/..
            match request(&mut sim, Client::External(ip), node_ip, node_port) {
                Outcome::Served { pod, .. } => {
                    let first = chosen.entry(ip).or_insert_with(|| pod.name.to_string());
                    assert_eq!(*first, pod.name, "{mode:?}: client {ip} moved");
                }
                o => panic!("{mode:?}: unexpected {o:?}"),
            }
            if i % 1000 == 0 {
                sim.advance(100); // time passes well within the affinity timeout
            }
        }
        let mut per_pod: BTreeMap<String, u64> = BTreeMap::new();
        for p in chosen.values() {
            *per_pod.entry(p.clone()).or_default() += 1;
        }
        let chi2 = chi_square(&per_pod, 4, u64::from(clients));
        assert!(
            chi2 < CHI2_3DF_P001,
            "{mode:?}: clients spread unevenly: {per_pod:?}"
        );
    }
}
