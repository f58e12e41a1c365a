//! Fixtures shared by the endpoint controllers' unit tests: a Service `default/web` selecting
//! three ready pods on two nodes, and the helpers that drive one controller over it.

use super::{Controller, Ctx, Queue};
use crate::api::core::{Container, PodCondition, ServicePort};
use crate::api::*;
use crate::apiserver::admission::Admit;
use crate::apiserver::{ApiServer, ObjectKey, Stored};
use crate::infra::Infra;

/// A running, ready pod labelled `app=web` on node-1.
pub fn ready_pod(name: &str, ip: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.namespace = "default".into();
    p.metadata.labels.insert("app".into(), "web".into());
    p.spec.node_name = "node-1".into();
    p.spec.containers = vec![Container {
        name: "c".into(),
        image: "nginx".into(),
        ..Default::default()
    }]
    .into();
    p.status.phase = Some("Running".into());
    p.status.pod_ip = Some(ip.into());
    p.status.conditions = vec![PodCondition {
        type_: "Ready".into(),
        status: "True".into(),
        ..Default::default()
    }];
    p
}

/// node-1 and node-2, Service `web` (port 80, selector `app=web`) and pods `web-0..2` with
/// the given IPs.
pub fn world(ips: [&str; 3]) -> ApiServer {
    let mut api = ApiServer::new(7);
    for n in ["node-1", "node-2"] {
        let mut node = Node::default();
        node.metadata.name = n.into();
        api.create(node).expect("node");
    }
    let mut s = Service::default();
    s.metadata.name = "web".into();
    s.metadata.namespace = "default".into();
    s.spec.selector = Some([("app".to_string(), "web".to_string())].into());
    s.spec.ports = vec![ServicePort {
        port: 80,
        ..Default::default()
    }];
    api.create(s).expect("service");
    for (i, ip) in ips.iter().enumerate() {
        api.create(ready_pod(&format!("web-{i}"), ip)).expect("pod");
    }
    api
}

/// Reconciles Service `default/web` once.
pub fn reconcile_web(controller: &mut dyn Controller, api: &mut ApiServer) {
    let mut infra = Infra::default();
    let mut queue = Queue::default();
    let mut ctx = Ctx {
        api,
        infra: &mut infra,
        queue: &mut queue,
    };
    controller.reconcile(&ObjectKey::new("default", "web"), &mut ctx);
}

/// Changes a stored object through an update.
pub fn modify<T: Stored + Admit>(
    api: &mut ApiServer,
    ns: &str,
    name: &str,
    f: impl FnOnce(&mut T),
) {
    let mut o = (*api.get::<T>(ns, name).expect("object")).clone();
    f(&mut o);
    api.update(o).expect("update");
}

/// A change to the world, named for the failure message.
pub type Change = (&'static str, fn(&mut ApiServer));

/// The changes every endpoint controller must follow, in order, with `specific` (what only
/// that controller publishes: zones, hostnames) between the pod changes and the Service ones.
pub fn changes(specific: &[Change]) -> Vec<Change> {
    let pods: [Change; 4] = [
        ("a pod turns not ready", |api| {
            modify::<Pod>(api, "default", "web-0", |p| {
                p.status.conditions[0].status = "False".into()
            })
        }),
        ("a pod moves to another node", |api| {
            modify::<Pod>(api, "default", "web-1", |p| {
                p.spec.node_name = "node-2".into()
            })
        }),
        ("a pod's node goes away", |api| {
            let _ = api.remove::<Node>("", "node-2");
        }),
        ("a pod is relabelled out", |api| {
            modify::<Pod>(api, "default", "web-2", |p| {
                p.metadata.labels.insert("app".into(), "other".into());
            })
        }),
    ];
    let service: [Change; 3] = [
        ("the Service publishes not-ready addresses", |api| {
            modify::<Service>(api, "default", "web", |s| {
                s.spec.publish_not_ready_addresses = Some(true)
            })
        }),
        ("a pod is recreated under its name with another IP", |api| {
            let _ = api.remove::<Pod>("default", "web-0");
            api.create(ready_pod("web-0", "10.0.0.9")).expect("pod");
        }),
        ("the Service's labels change", |api| {
            modify::<Service>(api, "default", "web", |s| {
                s.metadata.labels.insert("tier".into(), "front".into());
            })
        }),
    ];
    pods.into_iter()
        .chain(specific.iter().copied())
        .chain(service)
        .collect()
}

/// A controller's caches must be invisible: after each change, a long-lived controller
/// (which recomputes only what it thinks changed) leaves exactly what a fresh one (which
/// computes everything) writes, and the change shows in what `observe` reads.
pub fn assert_long_lived_matches_fresh<C: Controller + Default, O: PartialEq + std::fmt::Debug>(
    ips: [&str; 3],
    specific: &[Change],
    observe: fn(&ApiServer) -> O,
) {
    let mut api = world(ips);
    let mut long_lived = C::default();
    reconcile_web(&mut long_lived, &mut api);
    for (what, change) in changes(specific) {
        let before = observe(&api);
        change(&mut api);
        reconcile_web(&mut long_lived, &mut api);
        let after = observe(&api);
        assert_ne!(before, after, "{what}: the change is published");
        reconcile_web(&mut C::default(), &mut api);
        assert_eq!(observe(&api), after, "{what}: a fresh controller agrees");
    }
}
