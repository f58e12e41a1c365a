//! Shared fixtures for the data-plane tests: pods of an echo app, Services, helpers.
#![allow(dead_code)]

use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::apiserver::DeleteOptions;
use kubeplay_core::proxy::ProxyMode;
use kubeplay_core::{Sim, SimConfig};
use std::collections::BTreeMap;

pub fn sim(nodes: usize, mode: ProxyMode, seed: u64) -> Sim {
    Sim::new(SimConfig {
        nodes,
        seed,
        proxy_mode: mode,
        ..Default::default()
    })
}

pub fn pod(name: &str, app: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.namespace = "default".into();
    p.metadata.labels.insert("app".into(), app.into());
    p.spec.containers = vec![Container {
        name: "app".into(),
        image: "registry.k8s.io/e2e-test-images/agnhost:2.52".into(),
        ..Default::default()
    }]
    .into();
    p
}

pub fn pod_on(name: &str, app: &str, node: &str) -> Pod {
    let mut p = pod(name, app);
    p.spec.node_name = node.into();
    p
}

pub fn service(name: &str, app: &str, type_: &str) -> Service {
    let mut s = Service::default();
    s.metadata.name = name.into();
    s.metadata.namespace = "default".into();
    s.spec.selector = Some(BTreeMap::from([("app".to_string(), app.to_string())]));
    s.spec.type_ = Some(type_.into());
    s.spec.ports = vec![ServicePort {
        port: 80,
        target_port: Some(IntOrString::Int(8080)),
        ..Default::default()
    }];
    s
}

pub fn delete_pod(sim: &mut Sim, name: &str, grace: Option<i64>) {
    sim.api
        .delete::<Pod>(
            "default",
            name,
            DeleteOptions {
                grace_period_seconds: grace,
            },
        )
        .expect("delete");
    sim.settle();
}

pub fn cluster_ip(sim: &Sim, svc: &str) -> String {
    sim.api
        .get::<Service>("default", svc)
        .and_then(|s| s.spec.cluster_ip.clone())
        .expect("cluster IP")
}

pub fn pod_ip(sim: &Sim, pod: &str) -> String {
    sim.api
        .get::<Pod>("default", pod)
        .and_then(|p| p.status.pod_ip.as_ref().map(|i| i.to_string()))
        .expect("pod IP")
}

pub fn node_of(sim: &Sim, pod: &str) -> String {
    sim.api
        .get::<Pod>("default", pod)
        .map(|p| p.spec.node_name.to_string())
        .expect("pod")
}
