//! The cluster the scale benchmark builds (shared with the `scale_probe` example, which times
//! its phases): Deployments behind Services, run to steady state.

use std::collections::BTreeMap;

use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::apiserver::DeleteOptions;
use kubeplay_core::{Sim, SimConfig};

/// The cluster CIDR a kubeadm user would pass (`--pod-network-cidr=10.128.0.0/9`) for 5,000
/// nodes: the default /16 holds only 255 nodes' /24s.
pub fn big_cluster_cidr() -> kubeplay_core::proxy::Ipv4Cidr {
    kubeplay_core::proxy::Ipv4Cidr {
        addr: std::net::Ipv4Addr::new(10, 128, 0, 0),
        prefix: 9,
    }
}

/// A cluster of `nodes` nodes, nothing else yet.
pub fn empty(nodes: usize, kube_proxy: bool) -> Sim {
    Sim::new(SimConfig {
        nodes,
        trace_objects: false,
        kube_proxy,
        cluster_cidr: big_cluster_cidr(),
        ..Default::default()
    })
}

/// Creates `services` Services `app-N`, each with a Deployment of `replicas` pods behind it.
pub fn create_apps(sim: &mut Sim, services: usize, replicas: usize) {
    for s in 0..services {
        let app = format!("app-{s}");
        let labels = BTreeMap::from([("app".to_string(), app.clone())]);
        let mut svc = Service::default();
        svc.metadata.name = app.clone().into();
        svc.spec.selector = Some(labels.clone());
        svc.spec.ports = vec![ServicePort {
            port: 80,
            ..Default::default()
        }];
        sim.api.create(svc).expect("service");
        let mut d = Deployment::default();
        d.metadata.name = app.into();
        d.spec.replicas = Some(replicas as i32);
        d.spec.selector = Some(LabelSelector {
            match_labels: labels.clone().into(),
            ..Default::default()
        });
        d.spec.template.metadata.labels = labels.into();
        d.spec.template.spec.containers = vec![Container {
            name: "c".into(),
            image: "nginx".into(),
            ..Default::default()
        }]
        .into();
        sim.api.create(d).expect("deployment");
    }
}

/// Virtual time from creation to steady state: image pull, start, warm-up, then the last
/// EndpointSlice write reaching every kube-proxy (watch latency + min sync period).
pub const SETTLE_MS: u64 = 10_000;

/// Builds the whole cluster and runs it to steady state.
pub fn build(nodes: usize, services: usize, replicas: usize, kube_proxy: bool) -> Sim {
    let mut sim = empty(nodes, kube_proxy);
    create_apps(&mut sim, services, replicas);
    sim.settle();
    sim.advance(SETTLE_MS);
    sim
}

/// Whether the cluster is in steady state: every pod ready, every Service's slices listing
/// all its pods as ready.
pub fn steady(sim: &Sim, services: usize, replicas: usize) -> bool {
    let ready = sim
        .api
        .pods
        .iter()
        .filter(|p| {
            p.status
                .conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
        .count();
    let ready_endpoints = sim
        .api
        .endpoint_slices
        .in_namespace("default")
        .filter(|s| s.metadata.name.starts_with("app-"))
        .flat_map(|s| s.endpoints.iter().flatten())
        .filter(|e| e.conditions.ready == Some(true))
        .count();
    ready == services * replicas && ready_endpoints == services * replicas
}

/// A ready, not terminating pod of `app-0`: its name and IP.
pub fn victim(sim: &Sim) -> (String, String) {
    sim.api
        .pods
        .matching_labels(
            "default",
            &BTreeMap::from([("app".to_string(), "app-0".to_string())]),
        )
        .iter()
        .find(|p| p.metadata.deletion_timestamp.is_none() && p.status.pod_ip.is_some())
        .map(|p| {
            (
                p.metadata.name.to_string(),
                p.status.pod_ip.as_deref().unwrap_or_default().to_string(),
            )
        })
        .expect("a ready pod of app-0")
}

/// Deletes pod `name` (gracefully) and runs what that triggers at this instant.
pub fn delete_pod(sim: &mut Sim, name: &str) {
    sim.api
        .delete::<Pod>("default", name, DeleteOptions::default())
        .expect("delete");
    sim.settle();
}

/// Whether the slices of `app-0` list `ip` as terminating (or no longer list it).
pub fn slice_shows_terminating(sim: &Sim, ip: &str) -> bool {
    // Through the label index: walking all 10,000 slices between two measured deletions
    // would flush the CPU caches the back-to-back benchmark means to keep warm.
    sim.api
        .endpoint_slices
        .matching_labels(
            "default",
            &BTreeMap::from([(
                "kubernetes.io/service-name".to_string(),
                "app-0".to_string(),
            )]),
        )
        .iter()
        .flat_map(|s| s.endpoints.iter().flatten())
        .filter(|e| e.addresses.iter().any(|a| a == ip))
        .all(|e| e.conditions.terminating == Some(true))
}
