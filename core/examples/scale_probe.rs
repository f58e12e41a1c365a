//! Scale probe (not a benchmark): builds a large cluster of Deployments behind Services and
//! times each phase. `cargo run --release --example scale_probe -- NODES SERVICES REPLICAS`.
use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::{Sim, SimConfig};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (nodes, services, replicas) = (args[0], args[1], args[2]);
    let t0 = Instant::now();
    let mut sim = Sim::new(SimConfig {
        nodes,
        trace_objects: false,
        ..Default::default()
    });
    println!("nodes: {:?}", t0.elapsed());
    let t1 = Instant::now();
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
        sim.api.create(svc).unwrap();
        let mut d = Deployment::default();
        d.metadata.name = app.clone();
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
        sim.api.create(d).unwrap();
    }
    sim.settle();
    println!("created: {:?} pods={}", t1.elapsed(), sim.api.pods.len());
    let t2 = Instant::now();
    sim.advance(10_000);
    println!(
        "steady: {:?} slices={}",
        t2.elapsed(),
        sim.api.endpoint_slices.len()
    );
}
