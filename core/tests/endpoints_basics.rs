//! Services publish the pods their selector picks, with the conditions of §3/§4 of the spec.

use kubeplay_core::api::core::{Container, ServicePort};
use kubeplay_core::api::*;
use kubeplay_core::apiserver::DeleteOptions;
use kubeplay_core::{Sim, SimConfig};
use std::collections::BTreeMap;

fn pod(name: &str, app: &str, image: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.labels.insert("app".into(), app.into());
    p.spec.containers = vec![Container {
        name: "web".into(),
        image: image.into(),
        ..Default::default()
    }]
    .into();
    p
}

fn service(name: &str, app: &str) -> Service {
    let mut s = Service::default();
    s.metadata.name = name.into();
    s.spec.selector = Some(BTreeMap::from([("app".to_string(), app.to_string())]));
    s.spec.ports = vec![ServicePort {
        port: 80,
        target_port: Some(IntOrString::Int(8080)),
        ..Default::default()
    }];
    s
}

/// (pod name, ready, serving, terminating) of every endpoint of the Service, sorted.
fn endpoints(sim: &Sim, svc: &str) -> Vec<(String, bool, bool, bool)> {
    let mut out: Vec<_> = sim
        .api
        .endpoint_slices
        .in_namespace("default")
        .filter(|s| {
            s.metadata
                .labels
                .get("kubernetes.io/service-name")
                .map(String::as_str)
                == Some(svc)
        })
        .flat_map(|s| s.endpoints.iter().flatten())
        .map(|e| {
            let c = &e.conditions;
            (
                e.target_ref.as_ref().unwrap().name.to_string(),
                c.ready.unwrap(),
                c.serving.unwrap(),
                c.terminating.unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn slices(sim: &Sim, svc: &str) -> Vec<std::rc::Rc<EndpointSlice>> {
    sim.api
        .endpoint_slices
        .in_namespace("default")
        .filter(|s| {
            s.metadata
                .labels
                .get("kubernetes.io/service-name")
                .map(String::as_str)
                == Some(svc)
        })
        .cloned()
        .collect()
}

#[test]
fn a_service_without_matching_pods_has_one_placeholder_slice() {
    let mut sim = Sim::new(SimConfig::default());
    sim.api.create(service("web", "web")).unwrap();
    sim.settle();
    let s = slices(&sim, "web");
    assert_eq!(s.len(), 1);
    assert!(s[0].endpoints.is_none() && s[0].ports.is_none());
    assert!(s[0].metadata.name.starts_with("web-"));
    assert_eq!(
        s[0].metadata.labels["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
}

#[test]
fn endpoints_follow_pod_readiness_deletion_and_labels() {
    let mut sim = Sim::new(SimConfig::default());
    sim.api.create(service("web", "web")).unwrap();
    for n in ["a", "b", "c"] {
        sim.api.create(pod(n, "web", "busybox")).unwrap();
    }
    sim.api.create(pod("other", "db", "nginx")).unwrap();
    sim.settle();
    // Scheduled, with an IP, not yet ready: published as not ready.
    assert_eq!(
        endpoints(&sim, "web"),
        vec![
            ("a".into(), false, false, false),
            ("b".into(), false, false, false),
            ("c".into(), false, false, false),
        ]
    );
    sim.advance(5_000);
    assert!(endpoints(&sim, "web").iter().all(|e| e.1 && e.2 && !e.3));
    let s = slices(&sim, "web");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].ports.as_ref().unwrap()[0].port, Some(8080));

    // A terminating pod that is still ready: ready=false, serving=true, terminating=true.
    sim.api
        .delete::<Pod>("default", "a", DeleteOptions::default())
        .unwrap();
    sim.settle();
    assert_eq!(endpoints(&sim, "web")[0], ("a".into(), false, true, true));
    let legacy = sim.api.get::<Endpoints>("default", "web").unwrap();
    assert_eq!(
        legacy.subsets[0].addresses.len(),
        2,
        "terminating pods leave legacy Endpoints"
    );

    // Relabelled out of the selector: gone from the Service.
    sim.api
        .modify::<Pod>("default", "b", |p| {
            p.metadata.labels.insert("app".into(), "debug".into());
        })
        .unwrap();
    sim.settle();
    let names: Vec<_> = endpoints(&sim, "web").into_iter().map(|e| e.0).collect();
    assert_eq!(names, ["a", "c"]);
}

#[test]
fn named_target_ports_resolve_per_pod() {
    let mut sim = Sim::new(SimConfig::default());
    let mut svc = service("web", "web");
    svc.spec.ports[0].target_port = Some(IntOrString::String("http".into()));
    sim.api.create(svc).unwrap();
    for (n, port) in [("a", 8080), ("b", 9090)] {
        let mut p = pod(n, "web", "nginx");
        p.spec.containers[0].ports = vec![kubeplay_core::api::core::ContainerPort {
            name: Some("http".into()),
            container_port: port,
            ..Default::default()
        }];
        sim.api.create(p).unwrap();
    }
    sim.advance(5_000);
    let mut ports: Vec<_> = slices(&sim, "web")
        .iter()
        .map(|s| s.ports.as_ref().unwrap()[0].port.unwrap())
        .collect();
    ports.sort();
    assert_eq!(
        ports,
        [8080, 9090],
        "pods with different resolved ports go to different slices"
    );
}

#[test]
fn two_hundred_fifty_pods_pack_into_slices_of_100_100_50() {
    let mut sim = Sim::new(SimConfig::default());
    for i in 0..250 {
        sim.api
            .create(pod(&format!("p{i:03}"), "web", "nginx"))
            .unwrap();
    }
    sim.advance(5_000);
    sim.api.create(service("web", "web")).unwrap();
    sim.settle();
    let mut sizes: Vec<_> = slices(&sim, "web")
        .iter()
        .map(|s| s.endpoints.as_ref().map_or(0, Vec::len))
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(sizes, [100, 100, 50]);
}

#[test]
fn a_failed_node_turns_not_ready_and_its_pods_are_evicted_after_300s() {
    let mut sim = Sim::new(SimConfig {
        nodes: 1,
        ..Default::default()
    });
    sim.api.create(service("web", "web")).unwrap();
    sim.api.create(pod("a", "web", "nginx")).unwrap();
    sim.advance(5_000);
    assert!(endpoints(&sim, "web")[0].1);
    sim.fail_node("node-1").unwrap();
    sim.advance(30_000);
    assert!(
        endpoints(&sim, "web")[0].1,
        "still ready: the grace period has not run out"
    );
    sim.advance(20_000);
    let node = sim.api.get::<Node>("", "node-1").unwrap();
    let ready = node
        .status
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .unwrap();
    assert_eq!(ready.status, "Unknown");
    assert!(node
        .spec
        .taints
        .iter()
        .any(|t| t.key == "node.kubernetes.io/unreachable" && t.effect == "NoExecute"));
    assert_eq!(
        endpoints(&sim, "web"),
        vec![("a".into(), false, false, false)]
    );
    sim.advance(300_000);
    let p = sim.api.get::<Pod>("default", "a").unwrap();
    assert!(
        p.metadata.deletion_timestamp.is_some(),
        "evicted, but Terminating while its kubelet is down"
    );
    sim.recover_node("node-1").unwrap();
    sim.advance(5_000);
    assert!(
        sim.api.get::<Pod>("default", "a").is_none(),
        "the kubelet finishes the deletion once back"
    );
    let node = sim.api.get::<Node>("", "node-1").unwrap();
    assert!(node.spec.taints.is_empty());
}

#[test]
fn load_balancers_get_an_address_after_provisioning() {
    let mut sim = Sim::new(SimConfig::default());
    let mut svc = service("web", "web");
    svc.spec.type_ = Some("LoadBalancer".into());
    sim.api.create(svc).unwrap();
    sim.settle();
    let s = sim.api.get::<Service>("default", "web").unwrap();
    assert!(
        s.status.load_balancer.ingress.is_empty(),
        "<pending> at first"
    );
    assert!(s.spec.ports[0].node_port.is_some());
    sim.advance(3_000);
    let s = sim.api.get::<Service>("default", "web").unwrap();
    assert_eq!(
        s.status.load_balancer.ingress[0].ip.as_deref(),
        Some("198.51.100.10")
    );
}

/// A slice someone else edits or deletes is put right by the controller one second later
/// (upstream's `endpointSliceChangeMinSyncDelay`), and every write moves its generation as
/// the EndpointSlice strategy does.
#[test]
fn a_slice_changed_by_someone_else_is_repaired_one_second_later() {
    let mut sim = Sim::new(SimConfig::default());
    sim.api.create(service("web", "web")).unwrap();
    for n in ["a", "b"] {
        sim.api.create(pod(n, "web", "nginx")).unwrap();
    }
    sim.advance(10_000);
    let slice = slices(&sim, "web").pop().unwrap();
    let generation = slice.metadata.generation;
    assert_eq!(endpoints(&sim, "web").len(), 2);

    let mut emptied = (*slice).clone();
    emptied.endpoints = None;
    sim.api.update(emptied).unwrap();
    sim.settle();
    assert_eq!(slices(&sim, "web")[0].metadata.generation, generation + 1);
    sim.advance(999);
    assert_eq!(endpoints(&sim, "web").len(), 0, "not yet");
    sim.advance(1);
    assert_eq!(endpoints(&sim, "web").len(), 2, "repaired");
    assert_eq!(slices(&sim, "web")[0].metadata.generation, generation + 2);

    let name = slices(&sim, "web")[0].metadata.name.to_string();
    sim.api
        .delete::<EndpointSlice>("default", &name, DeleteOptions::default())
        .unwrap();
    sim.settle();
    assert!(slices(&sim, "web").is_empty());
    sim.advance(1_000);
    let recreated = slices(&sim, "web");
    assert_eq!(recreated.len(), 1);
    assert_ne!(recreated[0].metadata.name, name);
    assert_eq!(recreated[0].metadata.generation, 1);
    assert_eq!(endpoints(&sim, "web").len(), 2);
}
