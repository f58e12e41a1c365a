//! Quick scale probe (not a benchmark): builds a large cluster and times phases.
use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::{Sim, SimConfig};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (nodes, services, pods_per) = (args[0], args[1], args[2]);
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
        let mut svc = Service::default();
        svc.metadata.name = app.clone();
        svc.spec.selector = Some(BTreeMap::from([("app".to_string(), app.clone())]));
        svc.spec.ports = vec![ServicePort {
            port: 80,
            ..Default::default()
        }];
        sim.api.create(svc).unwrap();
        for i in 0..pods_per {
            let mut p = Pod::default();
            p.metadata.name = format!("{app}-{i}");
            p.metadata.labels.insert("app".into(), app.clone());
            p.spec.containers = vec![Container {
                name: "c".into(),
                image: "nginx".into(),
                ..Default::default()
            }];
            sim.api.create(p).unwrap();
        }
        sim.settle();
    }
    println!("created: {:?}", t1.elapsed());
    let t2 = Instant::now();
    sim.advance(10_000);
    println!(
        "steady: {:?}  pods={} slices={}",
        t2.elapsed(),
        sim.api.pods.len(),
        sim.api.endpoint_slices.len()
    );
}
