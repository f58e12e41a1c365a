//! The controllers: each one a reconcile loop over store state, in its own module, named after
//! its Kubernetes counterpart. A controller turns watch events into keys on its work queue
//! ([`Controller::on_event`]), and later reconciles one key at a time: it reads desired and
//! observed state from the API server and writes changes back ([`Controller::reconcile`]).
//! Controllers share nothing but the API server (and, for the kubelet and kube-proxy, the
//! simulated machines in [`Infra`]).

pub mod controller_utils;
pub mod deployment;
pub mod endpoints;
pub mod endpointslice;
pub mod event_messages;
pub mod garbage_collector;
pub mod kube_proxy;
pub mod kubelet;
pub mod node_ipam;
pub mod node_lifecycle;
pub mod pod_cache;
pub mod replicaset;
pub mod scheduler;
pub mod service_lb;
#[cfg(test)]
mod test_support;
pub mod workqueue;

use crate::apiserver::{ApiServer, ObjectKey, WatchEvent};
use crate::infra::Infra;
use crate::time::Millis;

/// Keys a controller asks to reconcile, now or after a delay.
#[derive(Debug, Default)]
pub struct Queue {
    pub(crate) items: Vec<(Millis, ObjectKey)>,
}

impl Queue {
    /// Reconcile `key` at the current instant.
    pub fn add(&mut self, key: ObjectKey) {
        self.items.push((0, key));
    }
    /// Reconcile `key` after `delay_ms` of virtual time (`AddAfter`).
    pub fn add_after(&mut self, key: ObjectKey, delay_ms: Millis) {
        self.items.push((delay_ms, key));
    }
}

/// What a reconcile may touch.
pub struct Ctx<'a> {
    /// The API server (with the clock and the RNG).
    pub api: &'a mut ApiServer,
    /// The simulated machines.
    pub infra: &'a mut Infra,
    /// The controller's own work queue.
    pub queue: &'a mut Queue,
}

/// A reconcile loop.
pub trait Controller {
    /// Name, as in events' `source.component`.
    fn name(&self) -> &'static str;
    /// Maps a watch event to keys to reconcile. Must not write.
    fn on_event(&mut self, ev: &WatchEvent, api: &ApiServer, infra: &Infra, queue: &mut Queue);
    /// Reconciles one key.
    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>);
}

/// Every controller of a cluster, in the order they see each watch event. Without
/// `config.kube_proxy` no node runs kube-proxy (a cluster whose Service routing is left to
/// another implementation, as `kubeadm init --skip-phases=addon/kube-proxy` sets up).
pub fn all(config: &crate::sim::SimConfig) -> Vec<Box<dyn Controller>> {
    let timings = &config.timings;
    let mut all: Vec<Box<dyn Controller>> = vec![
        Box::new(scheduler::Scheduler::default()),
        Box::new(node_ipam::NodeIpamController::new(config.cluster_cidr)),
        Box::new(kubelet::Kubelets::new(timings.clone())),
        Box::new(node_lifecycle::NodeLifecycleController::new(
            timings.clone(),
        )),
        Box::new(endpointslice::EndpointSliceController::with_timings(
            timings,
        )),
        Box::new(endpoints::EndpointsController::default()),
        Box::new(service_lb::ServiceLbController::new(
            timings.lb_provision_ms,
        )),
        Box::new(replicaset::ReplicaSetController::default()),
        Box::new(replicaset::ReplicationManager::default()),
        Box::new(deployment::DeploymentController::default()),
        Box::new(garbage_collector::GarbageCollector),
        Box::new(kube_proxy::KubeProxy::new(timings)),
        Box::new(crate::dataplane::TrafficController),
    ];
    if !config.kube_proxy {
        all.retain(|c| c.name() != "kube-proxy");
    }
    all
}
