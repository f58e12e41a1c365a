//! The node lifecycle controller (`pkg/controller/nodelifecycle`) with its NoExecute taint
//! eviction: a node whose lease is older than the node-monitor grace period turns
//! `Ready=Unknown` and is tainted `node.kubernetes.io/unreachable` (NoSchedule and NoExecute);
//! its pods are marked not ready (so their endpoints stop being ready); pods that tolerate the
//! taint only for `tolerationSeconds` (300 s by default) are deleted when that runs out. A node
//! whose lease is renewed again loses the taints.

use super::{Controller, Ctx, Queue};
use crate::api::core::{NodeCondition, PodCondition, Taint};
use crate::api::*;
use crate::apiserver::{object_ref, ApiServer, DeleteOptions, ObjectKey, WatchEvent};
use crate::infra::Infra;
use crate::sim::Timings;
use crate::time::{to_time, Millis};

/// Taint key for nodes whose kubelet stopped reporting.
pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
/// Taint key for nodes reporting NotReady.
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";

/// The controller.
pub struct NodeLifecycleController {
    timings: Timings,
}

impl NodeLifecycleController {
    /// A controller with the given grace periods.
    pub fn new(timings: Timings) -> Self {
        NodeLifecycleController { timings }
    }
}

fn lease_renewed(api: &ApiServer, node: &Node) -> Millis {
    api.get::<Lease>("kube-node-lease", &node.metadata.name)
        .and_then(|l| l.spec.renew_time)
        .or(node.metadata.creation_timestamp)
        .map(|t| t.virtual_ms())
        .unwrap_or(0)
}

/// Seconds a pod tolerates a NoExecute taint (`None`: forever).
fn toleration_seconds(pod: &Pod, taint: &Taint) -> Option<Option<i64>> {
    pod.spec
        .tolerations
        .iter()
        .filter(|t| {
            t.effect
                .as_deref()
                .is_none_or(|e| e.is_empty() || e == taint.effect)
                && (t.key.as_deref() == Some(taint.key.as_str())
                    || (t.key.as_deref().is_none_or(str::is_empty)
                        && t.operator.as_deref() == Some("Exists")))
        })
        .map(|t| t.toleration_seconds)
        .min_by_key(|s| s.unwrap_or(i64::MAX))
}

impl Controller for NodeLifecycleController {
    fn name(&self) -> &'static str {
        "node-controller"
    }

    fn on_event(&mut self, ev: &WatchEvent, _api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        match ev.object() {
            Some(Object::Node(_)) => queue.add(ev.key.clone()),
            Some(Object::Lease(l)) if ev.key.namespace == "kube-node-lease" => {
                queue.add(ObjectKey::cluster(l.metadata.name.clone()));
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let Some(node) = ctx.api.get::<Node>("", &key.name) else {
            return;
        };
        let now = ctx.api.now;
        let renewed = lease_renewed(ctx.api, &node);
        let deadline = renewed + self.timings.node_monitor_grace_ms;
        let ready = node.status.conditions.iter().find(|c| c.type_ == "Ready");
        let has_taint = node.spec.taints.iter().any(|t| t.key == UNREACHABLE_TAINT);
        if now <= deadline {
            if has_taint && ready.is_some_and(|c| c.status == "True") {
                let _ = ctx.api.modify::<Node>("", &key.name, |n| {
                    n.spec.taints.retain(|t| t.key != UNREACHABLE_TAINT)
                });
            }
            ctx.queue.add_after(key.clone(), deadline + 1 - now);
            return;
        }
        // The kubelet stopped posting status.
        let t = to_time(now);
        if ready.is_none_or(|c| c.status != "Unknown") {
            let _ = ctx.api.modify::<Node>("", &key.name, |n| {
                for c in n.status.conditions.iter_mut() {
                    if c.type_ == "Ready" {
                        *c = NodeCondition {
                            type_: "Ready".into(),
                            status: "Unknown".into(),
                            last_heartbeat_time: Some(to_time(renewed)),
                            last_transition_time: Some(t),
                            reason: Some("NodeStatusUnknown".into()),
                            message: Some("Kubelet stopped posting node status.".into()),
                        };
                    }
                }
            });
            ctx.api.record_event(
                object_ref(&*node),
                "Normal",
                "NodeNotReady",
                super::event_messages::node_status(&key.name, "NodeNotReady"),
                "node-controller",
                None,
            );
            // MarkPodsNotReady.
            for pod in ctx.api.pods.on_node(&key.name) {
                if endpointslice_ready(&pod) {
                    let _ =
                        ctx.api
                            .modify::<Pod>(&pod.metadata.namespace, &pod.metadata.name, |p| {
                                for c in p.status.conditions.iter_mut() {
                                    if c.type_ == "Ready" {
                                        *c = PodCondition {
                                            type_: "Ready".into(),
                                            status: "False".into(),
                                            last_transition_time: Some(t),
                                            ..Default::default()
                                        };
                                    }
                                }
                            });
                }
            }
        }
        if !has_taint {
            let _ = ctx.api.modify::<Node>("", &key.name, |n| {
                for effect in ["NoSchedule", "NoExecute"] {
                    n.spec.taints.push(Taint {
                        key: UNREACHABLE_TAINT.into(),
                        value: None,
                        effect: effect.into(),
                        time_added: (effect == "NoExecute").then_some(t),
                    });
                }
            });
        }
        // NoExecute taint eviction.
        let Some(node) = ctx.api.get::<Node>("", &key.name) else {
            return;
        };
        let Some(taint) = node
            .spec
            .taints
            .iter()
            .find(|t| t.key == UNREACHABLE_TAINT && t.effect == "NoExecute")
            .cloned()
        else {
            return;
        };
        let added = taint.time_added.map(|t| t.virtual_ms()).unwrap_or(now);
        let mut next: Option<Millis> = None;
        for pod in ctx.api.pods.on_node(&key.name) {
            if pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let evict_at = match toleration_seconds(&pod, &taint) {
                None => now,            // not tolerated at all
                Some(None) => continue, // tolerated forever
                Some(Some(s)) => added + s.max(0) as Millis * 1000,
            };
            if evict_at <= now {
                ctx.api.record_event(
                    object_ref(&*pod),
                    "Normal",
                    "TaintManagerEviction",
                    super::event_messages::marking_for_deletion(&pod.metadata),
                    "taint-eviction-controller",
                    None,
                );
                let _ = ctx.api.delete::<Pod>(
                    &pod.metadata.namespace,
                    &pod.metadata.name,
                    DeleteOptions::default(),
                );
            } else {
                next = Some(next.map_or(evict_at, |n| n.min(evict_at)));
            }
        }
        ctx.queue.add_after(
            key.clone(),
            next.map_or(self.timings.node_monitor_grace_ms, |n| n - now),
        );
    }
}

fn endpointslice_ready(p: &Pod) -> bool {
    super::endpointslice::pod_ready(p)
}
