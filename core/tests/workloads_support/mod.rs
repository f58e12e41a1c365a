//! Builders and observers shared by the workload specifications (`workloads_*.rs`).
#![allow(dead_code)]

use kubeplay_core::api::apps::{DeploymentStrategy, RollingUpdateDeployment};
use kubeplay_core::api::core::{Container, PodTemplateSpec};
use kubeplay_core::api::*;
use kubeplay_core::{Sim, SimConfig};
use std::collections::BTreeMap;
use std::rc::Rc;

/// `{k: v, …}`.
pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A cluster of `nodes` nodes.
pub fn sim(nodes: usize) -> Sim {
    Sim::new(SimConfig {
        nodes,
        ..Default::default()
    })
}

/// A pod template `app=<app>` running `image`.
pub fn template(app: &str, image: &str) -> PodTemplateSpec {
    let mut t = PodTemplateSpec::default();
    t.metadata.labels = labels(&[("app", app)]).into();
    t.spec.containers = vec![Container {
        name: "app".into(),
        image: image.into(),
        ..Default::default()
    }]
    .into();
    t
}

/// A bare pod `app=<app>` (no owner).
pub fn pod(name: &str, app: &str, image: &str) -> Pod {
    let t = template(app, image);
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.labels = t.metadata.labels;
    p.spec = t.spec;
    p
}

/// A ReplicaSet selecting `app=<name>`.
pub fn replica_set(name: &str, replicas: i32, image: &str) -> ReplicaSet {
    let mut rs = ReplicaSet::default();
    rs.metadata.name = name.into();
    rs.spec.replicas = Some(replicas);
    rs.spec.selector = Some(LabelSelector {
        match_labels: labels(&[("app", name)]).into(),
        ..Default::default()
    });
    rs.spec.template = template(name, image);
    rs
}

/// A Deployment selecting `app=<name>`, with the API defaults left to the controller.
pub fn deployment(name: &str, replicas: i32, image: &str) -> Deployment {
    let mut d = Deployment::default();
    d.metadata.name = name.into();
    d.spec.replicas = Some(replicas);
    d.spec.selector = Some(LabelSelector {
        match_labels: labels(&[("app", name)]).into(),
        ..Default::default()
    });
    d.spec.template = template(name, image);
    d
}

/// A RollingUpdate strategy with these fenceposts.
pub fn rolling(max_surge: IntOrString, max_unavailable: IntOrString) -> DeploymentStrategy {
    DeploymentStrategy {
        type_: Some("RollingUpdate".into()),
        rolling_update: Some(RollingUpdateDeployment {
            max_surge: Some(max_surge),
            max_unavailable: Some(max_unavailable),
        }),
    }
}

/// Whether the pod's Ready condition is True.
pub fn ready(p: &Pod) -> bool {
    p.status
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Pods of the default namespace whose controller has this UID.
pub fn pods_controlled_by(sim: &Sim, uid: &str) -> Vec<Rc<Pod>> {
    sim.api
        .pods
        .iter()
        .filter(|p| p.metadata.controller_ref().is_some_and(|r| r.uid == uid))
        .cloned()
        .collect()
}

/// Pods of the default namespace labelled `app=<app>`.
pub fn pods_of_app(sim: &Sim, app: &str) -> Vec<Rc<Pod>> {
    sim.api
        .pods
        .matching_labels("default", &labels(&[("app", app)]))
}

/// Non-terminating pods among `pods`.
pub fn live(pods: &[Rc<Pod>]) -> Vec<Rc<Pod>> {
    pods.iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .cloned()
        .collect()
}

/// Messages of the events with this reason, oldest first.
pub fn event_messages(sim: &Sim, reason: &str) -> Vec<String> {
    let mut evs: Vec<_> = sim
        .api
        .events()
        .iter()
        .filter(|e| e.reason == reason)
        .cloned()
        .collect();
    evs.sort_by_key(|e| (e.first_timestamp, e.metadata.name.clone()));
    evs.iter().map(|e| e.message.clone()).collect()
}

/// The ReplicaSets owned by the Deployment `name`, oldest first.
pub fn replica_sets_of(sim: &Sim, name: &str) -> Vec<Rc<ReplicaSet>> {
    let Some(d) = sim.api.get::<Deployment>("default", name) else {
        return Vec::new();
    };
    let mut v: Vec<_> = sim.api.replica_sets.owned_by(&d.metadata.uid);
    v.sort_by_key(|rs| (rs.metadata.creation_timestamp, rs.metadata.name.clone()));
    v
}
