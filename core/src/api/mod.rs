//! API object types with Kubernetes' field names and casing, and the [`Kind`] registry that
//! names them the way kubectl and the API server do.

pub mod apps;
pub mod coordination;
pub mod core;
pub mod discovery;
pub mod intstr;
pub mod meta;
pub mod shared;

pub use self::apps::{Deployment, ReplicaSet};
pub use self::coordination::Lease;
pub use self::core::{Endpoints, Event, Namespace, Node, Pod, ReplicationController, Service};
pub use self::discovery::EndpointSlice;
pub use self::intstr::IntOrString;
pub use self::meta::{LabelSelector, ObjectMeta, OwnerReference};
pub use self::shared::SharedStr;

use meta::TypeStr;
use serde::{de::DeserializeOwned, Serialize};
use std::fmt;
use std::rc::Rc;

/// Every kind the simulator stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `v1/Namespace`.
    Namespace,
    /// `v1/Node`.
    Node,
    /// `v1/Pod`.
    Pod,
    /// `v1/ReplicationController`.
    ReplicationController,
    /// `apps/v1/ReplicaSet`.
    ReplicaSet,
    /// `apps/v1/Deployment`.
    Deployment,
    /// `v1/Service`.
    Service,
    /// `v1/Endpoints`.
    Endpoints,
    /// `discovery.k8s.io/v1/EndpointSlice`.
    EndpointSlice,
    /// `v1/Event`.
    Event,
    /// `coordination.k8s.io/v1/Lease`.
    Lease,
}

impl Kind {
    /// All kinds, in a fixed order.
    pub const ALL: [Kind; 11] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::ReplicationController,
        Kind::ReplicaSet,
        Kind::Deployment,
        Kind::Service,
        Kind::Endpoints,
        Kind::EndpointSlice,
        Kind::Event,
        Kind::Lease,
    ];

    /// The `kind` field value.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::ReplicationController => "ReplicationController",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Deployment => "Deployment",
            Kind::Service => "Service",
            Kind::Endpoints => "Endpoints",
            Kind::EndpointSlice => "EndpointSlice",
            Kind::Event => "Event",
            Kind::Lease => "Lease",
        }
    }

    /// The `apiVersion` field value.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::ReplicaSet | Kind::Deployment => "apps/v1",
            Kind::EndpointSlice => "discovery.k8s.io/v1",
            Kind::Lease => "coordination.k8s.io/v1",
            _ => "v1",
        }
    }

    /// The API group ("" for core).
    pub fn group(self) -> &'static str {
        match self {
            Kind::ReplicaSet | Kind::Deployment => "apps",
            Kind::EndpointSlice => "discovery.k8s.io",
            Kind::Lease => "coordination.k8s.io",
            _ => "",
        }
    }

    /// The plural resource name (`deployments`).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::Node => "nodes",
            Kind::Pod => "pods",
            Kind::ReplicationController => "replicationcontrollers",
            Kind::ReplicaSet => "replicasets",
            Kind::Deployment => "deployments",
            Kind::Service => "services",
            Kind::Endpoints => "endpoints",
            Kind::EndpointSlice => "endpointslices",
            Kind::Event => "events",
            Kind::Lease => "leases",
        }
    }

    /// `resource.group` as the API server names it in errors (`deployments.apps`, `pods`).
    pub fn group_resource(self) -> String {
        match self.group() {
            "" => self.plural().to_string(),
            g => format!("{}.{}", self.plural(), g),
        }
    }

    /// `kind.group` as kubectl prints it in `-o name` and in `deployment.apps/web scaled`.
    pub fn kind_group(self) -> String {
        let lower = self.name().to_ascii_lowercase();
        match self.group() {
            "" => lower,
            g => format!("{lower}.{g}"),
        }
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Namespace | Kind::Node)
    }

    /// Resolves a kubectl resource argument (`po`, `pods`, `deploy`, `deployment.apps`, `svc`, …).
    pub fn from_resource_arg(arg: &str) -> Option<Kind> {
        let lower = arg.to_ascii_lowercase();
        let base = lower.split('.').next().unwrap_or("");
        let group = lower.split_once('.').map(|(_, g)| g);
        let kind = match base {
            "ns" | "namespace" | "namespaces" => Kind::Namespace,
            "no" | "node" | "nodes" => Kind::Node,
            "po" | "pod" | "pods" => Kind::Pod,
            "rc" | "replicationcontroller" | "replicationcontrollers" => {
                Kind::ReplicationController
            }
            "rs" | "replicaset" | "replicasets" => Kind::ReplicaSet,
            "deploy" | "deployment" | "deployments" => Kind::Deployment,
            "svc" | "service" | "services" => Kind::Service,
            "ep" | "endpoints" => Kind::Endpoints,
            "endpointslice" | "endpointslices" => Kind::EndpointSlice,
            "ev" | "event" | "events" => Kind::Event,
            "lease" | "leases" => Kind::Lease,
            _ => return None,
        };
        match group {
            None => Some(kind),
            Some(g) if g == kind.group() || (g == "v1" && kind.group().is_empty()) => Some(kind),
            Some(_) => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An API object type the store can hold.
pub trait Resource: Clone + fmt::Debug + Serialize + DeserializeOwned + 'static {
    /// Its kind.
    const KIND: Kind;
    /// Its metadata.
    fn meta(&self) -> &ObjectMeta;
    /// Its metadata, mutably.
    fn meta_mut(&mut self) -> &mut ObjectMeta;
    /// Sets `apiVersion` and `kind` to this type's values.
    fn set_type_meta(&mut self);
    /// Wraps a shared reference in an [`Object`].
    fn into_object(this: Rc<Self>) -> Object;
    /// Unwraps an [`Object`] of this kind.
    fn from_object(obj: &Object) -> Option<&Rc<Self>>;
}

macro_rules! resources {
    ($($ty:ident),* $(,)?) => {
        $(
            impl Resource for $ty {
                const KIND: Kind = Kind::$ty;
                fn meta(&self) -> &ObjectMeta { &self.metadata }
                fn meta_mut(&mut self) -> &mut ObjectMeta { &mut self.metadata }
                fn set_type_meta(&mut self) {
                    self.api_version = TypeStr::Borrowed(Kind::$ty.api_version());
                    self.kind = TypeStr::Borrowed(Kind::$ty.name());
                }
                fn into_object(this: Rc<Self>) -> Object { Object::$ty(this) }
                fn from_object(obj: &Object) -> Option<&Rc<Self>> {
                    match obj { Object::$ty(x) => Some(x), _ => None }
                }
            }
        )*

        /// Any stored object, shared (cheap to clone).
        #[derive(Clone, Debug)]
        pub enum Object {
            $(
                #[doc = concat!("A ", stringify!($ty), ".")]
                $ty(Rc<$ty>),
            )*
        }

        impl Object {
            /// Its kind.
            pub fn kind(&self) -> Kind {
                match self { $(Object::$ty(_) => Kind::$ty,)* }
            }
            /// Its metadata.
            pub fn meta(&self) -> &ObjectMeta {
                match self { $(Object::$ty(x) => &x.metadata,)* }
            }
            /// Serializes it as JSON (with apiVersion and kind).
            pub fn to_json(&self) -> serde_json::Value {
                match self {
                    $(Object::$ty(x) => {
                        let mut v = (**x).clone();
                        v.set_type_meta();
                        serde_json::to_value(&v).unwrap_or(serde_json::Value::Null)
                    })*
                }
            }
        }
    };
}

resources!(
    Namespace,
    Node,
    Pod,
    ReplicationController,
    ReplicaSet,
    Deployment,
    Service,
    Endpoints,
    EndpointSlice,
    Event,
    Lease,
);

#[cfg(test)]
mod tests {
    use super::*;

    // What `kubectl create deployment web --image=nginx --replicas=3 --dry-run=client -o yaml` prints.
    const KUBECTL_DEPLOYMENT: &str = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"creationTimestamp":null,"labels":{"app":"web"},"name":"web"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"strategy":{},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","name":"nginx","resources":{}}]}}},"status":{}}"#;

    #[test]
    fn kubectl_dry_run_manifest_parses_and_keeps_unsimulated_fields() {
        let d: Deployment = serde_json::from_str(KUBECTL_DEPLOYMENT).unwrap();
        assert_eq!(d.spec.replicas, Some(3));
        assert_eq!(d.spec.selector.as_ref().unwrap().match_labels["app"], "web");
        let c = &d.spec.template.spec.containers[0];
        assert_eq!(c.image, "nginx");
        assert!(c.extra.contains_key("resources"), "resources: {{}} is kept");
        let back = serde_json::to_value(&d).unwrap();
        assert_eq!(
            back["spec"]["template"]["spec"]["containers"][0]["resources"],
            serde_json::json!({})
        );
    }

    #[test]
    fn ip_fields_use_kubernetes_casing() {
        let svc: Service = serde_json::from_str(
            r#"{"spec":{"clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"externalIPs":["1.2.3.4"],"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}}}}"#,
        )
        .unwrap();
        assert_eq!(svc.spec.cluster_ip.as_deref(), Some("10.96.0.10"));
        assert_eq!(svc.spec.external_ips, vec!["1.2.3.4"]);
        let v = serde_json::to_value(&svc).unwrap();
        assert_eq!(
            v["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"],
            60
        );
        assert_eq!(v["spec"]["clusterIPs"][0], "10.96.0.10");
    }

    #[test]
    fn resource_arguments_resolve_like_kubectl() {
        assert_eq!(Kind::from_resource_arg("deploy"), Some(Kind::Deployment));
        assert_eq!(
            Kind::from_resource_arg("deployments.apps"),
            Some(Kind::Deployment)
        );
        assert_eq!(Kind::from_resource_arg("svc"), Some(Kind::Service));
        assert_eq!(Kind::from_resource_arg("po"), Some(Kind::Pod));
        assert_eq!(Kind::from_resource_arg("ingress"), None);
        assert_eq!(Kind::Deployment.group_resource(), "deployments.apps");
        assert_eq!(Kind::Pod.group_resource(), "pods");
        assert_eq!(Kind::Deployment.kind_group(), "deployment.apps");
    }
}
