//! §4.4 of the spec: how the EndpointSlice controller packs endpoints into slices, with the
//! vectors of upstream's `reconciler_test.go` — slice sizes and the API actions one reconcile
//! takes. The controller is driven directly, as upstream's reconciler tests do: one reconcile of
//! one Service over pods and slices prepared in the API server.

use kubeplay_core::api::core::*;
use kubeplay_core::api::discovery::{Endpoint, EndpointConditions};
use kubeplay_core::api::*;
use kubeplay_core::apiserver::{object_ref, ApiServer, ObjectKey, WatchEventType};
use kubeplay_core::controllers::endpointslice::EndpointSliceController;
use kubeplay_core::controllers::{Controller, Ctx, Queue};
use kubeplay_core::infra::Infra;
use kubeplay_core::time::to_time;

struct World {
    api: ApiServer,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Actions {
    creates: usize,
    updates: usize,
    deletes: usize,
}

impl World {
    fn new() -> Self {
        let mut api = ApiServer::new(1);
        let mut node = Node::default();
        node.metadata.name = "node-1".into();
        api.create(node).unwrap();
        World { api }
    }

    /// `n` pods `app=web`, one in three not ready (as upstream's tests), with a container port
    /// named `http` on `port(i)`.
    fn pods(&mut self, n: usize, port: impl Fn(usize) -> i32) {
        for i in 0..n {
            let mut p = Pod::default();
            p.metadata.name = format!("pod{i}").into();
            p.metadata.labels.insert("app".into(), "web".into());
            p.spec.node_name = "node-1".into();
            p.spec.containers = vec![Container {
                name: "c".into(),
                image: "nginx".into(),
                ports: vec![ContainerPort {
                    name: Some("http".into()),
                    container_port: port(i),
                    ..Default::default()
                }],
                ..Default::default()
            }]
            .into();
            p.status.phase = Some("Running".into());
            p.status.pod_ip = Some(format!("10.0.{}.{}", i / 250, i % 250 + 1).into());
            p.status.conditions = vec![PodCondition {
                type_: "Ready".into(),
                status: if i % 3 == 0 { "False" } else { "True" }.into(),
                last_transition_time: Some(to_time(0)),
                ..Default::default()
            }];
            self.api.create(p).unwrap();
        }
    }

    fn service(&mut self, target_port: IntOrString, publish_not_ready: bool) {
        let mut s = Service::default();
        s.metadata.name = "web".into();
        s.spec.selector = Some([("app".to_string(), "web".to_string())].into());
        s.spec.ports = vec![ServicePort {
            port: 80,
            target_port: Some(target_port),
            ..Default::default()
        }];
        s.spec.publish_not_ready_addresses = publish_not_ready.then_some(true);
        self.api.create(s).unwrap();
    }

    /// Pre-existing managed slices holding the given numbers of the pods' endpoints, as the
    /// controller would have written them for `port`.
    fn slices(&mut self, sizes: &[usize], port: i32) {
        let svc = self.api.get::<Service>("default", "web").unwrap();
        let mut pods: Vec<_> = self.api.pods.in_namespace("default").cloned().collect();
        pods.sort_by_key(|p| p.metadata.name[3..].parse::<usize>().unwrap());
        let mut it = pods.into_iter();
        for (i, &n) in sizes.iter().enumerate() {
            let mut s = EndpointSlice {
                address_type: "IPv4".into(),
                ..Default::default()
            };
            s.metadata.name = format!("web-pre{i}").into();
            s.metadata.labels = [
                ("kubernetes.io/service-name", "web"),
                (
                    "endpointslice.kubernetes.io/managed-by",
                    "endpointslice-controller.k8s.io",
                ),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            s.metadata.owner_references = vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Service".into(),
                name: "web".into(),
                uid: svc.metadata.uid.clone(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]
            .into();
            s.ports = Some(vec![EndpointPort {
                name: Some(String::new()),
                port: Some(port),
                protocol: Some("TCP".into()),
                app_protocol: None,
            }]);
            s.endpoints = Some(
                it.by_ref()
                    .take(n)
                    .map(|p| {
                        let ready = p.status.conditions[0].status == "True";
                        let mut target = object_ref(&*p);
                        target.api_version = "".into();
                        target.resource_version = Default::default();
                        Endpoint {
                            addresses: vec![p.status.pod_ip.clone().unwrap()],
                            conditions: EndpointConditions {
                                ready: Some(ready),
                                serving: Some(ready),
                                terminating: Some(false),
                            },
                            target_ref: Some(target),
                            node_name: Some("node-1".into()),
                            ..Default::default()
                        }
                        .into()
                    })
                    .collect(),
            );
            self.api.create(s).unwrap();
        }
    }

    /// One reconcile of the Service; the API actions it took.
    fn reconcile(&mut self, max: usize) -> Actions {
        self.api.take_watch_events();
        let mut controller = EndpointSliceController::new(max);
        let mut infra = Infra::default();
        let mut queue = Queue::default();
        let mut ctx = Ctx {
            api: &mut self.api,
            infra: &mut infra,
            queue: &mut queue,
        };
        controller.reconcile(&ObjectKey::new("default", "web"), &mut ctx);
        let mut a = Actions::default();
        for ev in self.api.take_watch_events() {
            if ev.kind() != Kind::EndpointSlice {
                continue;
            }
            match ev.type_ {
                WatchEventType::Added => a.creates += 1,
                WatchEventType::Modified => a.updates += 1,
                WatchEventType::Deleted => a.deletes += 1,
            }
        }
        a
    }

    fn sizes(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .api
            .endpoint_slices
            .in_namespace("default")
            .map(|s| s.endpoints.as_ref().map_or(0, Vec::len))
            .collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    }
}

fn actions(creates: usize, updates: usize, deletes: usize) -> Actions {
    Actions {
        creates,
        updates,
        deletes,
    }
}

#[test]
fn pods_without_slices_fill_new_slices_of_max_size() {
    // (pods, max) → sizes, as upstream's TestReconcileEndpointSlicesMaxEndpointsPerSlice and
    // TestReconcile1EndpointSlice… tables.
    for (pods, max, sizes) in [
        (250, 100, vec![100, 100, 50]),
        (250, 50, vec![50; 5]),
        (250, 80, vec![80, 80, 80, 10]),
        (250, 150, vec![150, 100]),
        (250, 250, vec![250]),
        (250, 500, vec![250]),
    ] {
        let mut w = World::new();
        w.pods(pods, |_| 8080);
        w.service(IntOrString::Int(8080), false);
        let a = w.reconcile(max);
        assert_eq!(w.sizes(), sizes, "{pods} pods, max {max}");
        assert_eq!(a, actions(sizes.len(), 0, 0));
    }
}

#[test]
fn new_endpoints_fill_slices_being_updated_then_untouched_ones_closest_to_full() {
    // 250 pods with slices of 62 and 61 already holding 123 of them: 27 go to the 62-slice
    // (which is updated), the remaining 100 make one new full slice.
    let mut w = World::new();
    w.pods(250, |_| 8080);
    w.service(IntOrString::Int(8080), false);
    w.slices(&[62, 61], 8080);
    let a = w.reconcile(100);
    assert_eq!(w.sizes(), [100, 89, 61]);
    assert_eq!(a, actions(1, 1, 0));

    // 300 pods, slices of 74 and 74: 100 + 52 in new slices, existing ones untouched.
    let mut w = World::new();
    w.pods(300, |_| 8080);
    w.service(IntOrString::Int(8080), false);
    w.slices(&[74, 74], 8080);
    let a = w.reconcile(100);
    assert_eq!(w.sizes(), [100, 74, 74, 52]);
    assert_eq!(a, actions(2, 0, 0));
}

#[test]
fn unchanged_slices_take_no_action() {
    let mut w = World::new();
    w.pods(300, |_| 8080);
    w.service(IntOrString::Int(8080), false);
    w.slices(&[30; 10], 8080);
    assert_eq!(w.reconcile(100), actions(0, 0, 0));
    assert_eq!(w.sizes(), [30; 10]);
}

#[test]
fn a_target_port_change_turns_creates_into_updates_of_the_slices_it_replaces() {
    // 300 pods in 10 slices of 30; the target port changes: 3 full slices, written as 3 updates
    // of old slices, and 7 deletes.
    let mut w = World::new();
    w.pods(300, |_| 8080);
    w.service(IntOrString::Int(9090), false);
    w.slices(&[30; 10], 8080);
    let a = w.reconcile(100);
    assert_eq!(w.sizes(), [100, 100, 100]);
    assert_eq!(a, actions(0, 3, 7));

    // 250 pods in 100/100/50 slices; the target port changes: 3 updates, no creates.
    let mut w = World::new();
    w.pods(250, |_| 8080);
    w.service(IntOrString::Int(9090), false);
    w.slices(&[100, 100, 50], 8080);
    let a = w.reconcile(100);
    assert_eq!(w.sizes(), [100, 100, 50]);
    assert_eq!(a, actions(0, 3, 0));
}

#[test]
fn pods_with_different_resolved_ports_go_to_different_slices() {
    // 300 pods whose named port `http` resolves to 5 different numbers: 5 slices of 60.
    let mut w = World::new();
    w.pods(300, |i| 8000 + (i % 5) as i32);
    w.service(IntOrString::String("http".into()), false);
    let a = w.reconcile(100);
    assert_eq!(w.sizes(), [60; 5]);
    assert_eq!(a, actions(5, 0, 0));
}

#[test]
fn publish_not_ready_addresses_makes_every_endpoint_ready() {
    let mut w = World::new();
    w.pods(50, |_| 8080);
    w.service(IntOrString::Int(8080), true);
    assert_eq!(w.reconcile(100), actions(1, 0, 0));
    let slice = w
        .api
        .endpoint_slices
        .in_namespace("default")
        .next()
        .unwrap()
        .clone();
    let eps = slice.endpoints.as_ref().unwrap();
    assert_eq!(eps.len(), 50);
    assert!(eps.iter().all(|e| e.conditions.ready == Some(true)));
    assert_eq!(
        eps.iter()
            .filter(|e| e.conditions.serving == Some(false))
            .count(),
        17
    );
}

#[test]
fn a_service_whose_pods_are_gone_keeps_one_slice_as_placeholder() {
    let mut w = World::new();
    w.pods(10, |_| 8080);
    w.service(IntOrString::Int(8080), false);
    w.slices(&[10], 8080);
    for i in 0..10 {
        w.api.remove::<Pod>("default", &format!("pod{i}"));
    }
    let a = w.reconcile(100);
    assert_eq!(a, actions(0, 1, 0));
    let slice = w
        .api
        .endpoint_slices
        .in_namespace("default")
        .next()
        .unwrap()
        .clone();
    assert!(slice.endpoints.is_none() && slice.ports.is_none());
}

#[test]
fn new_endpoints_go_to_the_fuller_of_the_slices_being_updated() {
    // Slices of 80 and 20; one in ten of their pods turns unready (both slices need updating);
    // 15 new pods: they go to the fuller slice, 95 and 20, in 2 updates.
    let mut w = World::new();
    w.pods(115, |_| 8080);
    w.service(IntOrString::Int(8080), false);
    w.slices(&[80, 20], 8080);
    for i in (0..100).step_by(10) {
        let flip = |p: &mut Pod| {
            let c = &mut p.status.conditions[0];
            c.status = if c.status == "True" {
                "False".into()
            } else {
                "True".into()
            };
        };
        w.api
            .modify::<Pod>("default", &format!("pod{i}"), flip)
            .unwrap();
    }
    let a = w.reconcile(100);
    assert_eq!(w.sizes(), [95, 20]);
    assert_eq!(a, actions(0, 2, 0));
}
