//! Manifests out: the user's objects as a multi-document YAML a real cluster accepts
//! (`kubectl apply -f`), so that what was built in the playground can be taken home.
//!
//! Which objects: Namespaces other than the built-in four; Services other than the
//! built-in `default/kubernetes` and `kube-system/kube-dns`; EndpointSlices and Endpoints
//! written by the user (not managed by a controller: no
//! `endpointslice.kubernetes.io/managed-by` label, Endpoints only of Services without a
//! selector); Deployments; ReplicaSets, ReplicationControllers and Pods not owned by a
//! controller. Objects being deleted are left out. Nodes, Events and Leases are the
//! cluster's, not the user's.
//!
//! What is stripped — everything the server sets:
//! * `metadata`: `uid`, `resourceVersion`, `generation`, `creationTimestamp`,
//!   `deletionTimestamp`, `deletionGracePeriodSeconds`, `managedFields`, `selfLink`,
//!   `generateName`, `ownerReferences`, and the annotations
//!   `kubectl.kubernetes.io/last-applied-configuration` and
//!   `deployment.kubernetes.io/revision`;
//! * `status`;
//! * allocated values: a Service's `clusterIP`/`clusterIPs`, `nodePort`s and
//!   `healthCheckNodePort`, and a Pod's `nodeName`. The simple rule: such a value is kept
//!   only when it was requested, i.e. when the object's last-applied configuration (written
//!   by `kubectl apply`) holds it — and `clusterIP: None` (headless) always is. Objects made
//!   imperatively (`kubectl create`, `expose`) have no last-applied configuration, so their
//!   allocated values are always dropped, even one given with `--node-port`.
//!
//! Defaults the API server filled in (`protocol: TCP`, `dnsPolicy`, `strategy`, …) are
//! kept: they are valid input and make the file explicit.

use crate::api::{Kind, Object};
use crate::controllers::endpointslice::MANAGED_BY_LABEL;
use crate::kubectl::objects;
use crate::sim::Sim;
use serde_json::Value;

const BUILTIN_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Kinds exported, in the order they are written (what others refer to comes first).
const ORDER: [Kind; 8] = [
    Kind::Namespace,
    Kind::Service,
    Kind::EndpointSlice,
    Kind::Endpoints,
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::ReplicationController,
    Kind::Pod,
];

/// Every user object of the cluster as multi-document YAML (`---` between documents),
/// ready for `kubectl apply -f`. Empty when there is none.
pub fn scenario_yaml(sim: &Sim) -> String {
    user_objects(sim)
        .iter()
        .map(crate::manifest::to_yaml)
        .collect::<Vec<_>>()
        .join("---\n")
}

/// The user objects, stripped, as JSON values (see the module documentation).
pub fn user_objects(sim: &Sim) -> Vec<Value> {
    let mut out = Vec::new();
    for kind in ORDER {
        for obj in objects::list(&sim.api, kind, None) {
            if is_user_object(sim, &obj) {
                out.push(strip(&obj));
            }
        }
    }
    out
}

fn is_user_object(sim: &Sim, obj: &Object) -> bool {
    let m = obj.meta();
    if m.deletion_timestamp.is_some()
        || m.owner_references
            .iter()
            .any(|o| o.controller == Some(true))
    {
        return false;
    }
    let builtin_service = |ns: &str, name: &str| {
        (ns == "default" && name == "kubernetes") || (ns == "kube-system" && name == "kube-dns")
    };
    match obj {
        Object::Namespace(_) => !BUILTIN_NAMESPACES.contains(&m.name.as_str()),
        Object::Service(_) => !builtin_service(&m.namespace, &m.name),
        Object::EndpointSlice(_) => {
            !m.labels.contains_key(MANAGED_BY_LABEL) && !builtin_service(&m.namespace, &m.name)
        }
        Object::Endpoints(_) => {
            let selector_less = sim
                .api
                .get::<crate::api::Service>(&m.namespace, &m.name)
                .is_none_or(|s| s.spec.selector.as_ref().is_none_or(|sel| sel.is_empty()));
            selector_less && !builtin_service(&m.namespace, &m.name)
        }
        Object::Deployment(_)
        | Object::ReplicaSet(_)
        | Object::ReplicationController(_)
        | Object::Pod(_) => true,
        Object::Node(_) | Object::Event(_) | Object::Lease(_) => false,
    }
}

/// The object without what the server set.
fn strip(obj: &Object) -> Value {
    let mut v = obj.to_json();
    let requested: Option<Value> = obj
        .meta()
        .annotations
        .get(LAST_APPLIED)
        .and_then(|s| serde_json::from_str(s).ok());
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
            "selfLink",
            "generateName",
            "ownerReferences",
        ] {
            meta.remove(f);
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove(LAST_APPLIED);
            a.remove("deployment.kubernetes.io/revision");
            if a.is_empty() {
                meta.remove("annotations");
            }
        }
        if meta
            .get("labels")
            .and_then(Value::as_object)
            .is_some_and(|l| l.is_empty())
        {
            meta.remove("labels");
        }
    }
    // Pod templates carry `creationTimestamp: null` (as `kubectl get -o yaml` prints them).
    if let Some(t) = v
        .pointer_mut("/spec/template/metadata")
        .and_then(Value::as_object_mut)
    {
        t.remove("creationTimestamp");
    }
    let asked = |path: &[&str]| -> bool {
        let mut cur = requested.as_ref();
        for p in path {
            cur = cur.and_then(|c| match p.parse::<usize>() {
                Ok(i) => c.get(i),
                Err(_) => c.get(*p),
            });
        }
        cur.is_some_and(|c| !c.is_null())
    };
    match obj.kind() {
        Kind::Service => {
            if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                let headless = spec.get("clusterIP").and_then(Value::as_str) == Some("None");
                if !headless && !asked(&["spec", "clusterIP"]) {
                    spec.remove("clusterIP");
                }
                if !headless && !asked(&["spec", "clusterIPs"]) {
                    spec.remove("clusterIPs");
                }
                if !asked(&["spec", "healthCheckNodePort"]) {
                    spec.remove("healthCheckNodePort");
                }
                if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                    for (i, p) in ports.iter_mut().enumerate() {
                        let i = i.to_string();
                        if !asked(&["spec", "ports", &i, "nodePort"]) {
                            if let Some(p) = p.as_object_mut() {
                                p.remove("nodePort");
                            }
                        }
                    }
                }
            }
        }
        Kind::Pod if !asked(&["spec", "nodeName"]) => {
            if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("nodeName");
            }
        }
        _ => {}
    }
    v
}
