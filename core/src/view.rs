//! A read-only snapshot of the cluster shaped for drawing: nodes with their pods, Services
//! with their endpoints. The web UI renders this; it is computed from the API server's state
//! (what `kubectl` would show) plus the machines' power state.

use crate::api::*;
use crate::controllers::endpointslice::pod_ready;
use crate::sim::Sim;
use crate::sort::CollectOrdered;
use crate::time::Millis;
use std::collections::BTreeSet;

/// The whole picture at one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterView {
    /// Virtual time.
    pub time_ms: Millis,
    /// Nodes in name order, each with its pods.
    pub nodes: Vec<NodeView>,
    /// Pods not (yet) bound to a node.
    pub unscheduled: Vec<PodView>,
    /// Services with their endpoints.
    pub services: Vec<ServiceView>,
}

/// One node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    /// Name.
    pub name: String,
    /// InternalIP.
    pub internal_ip: String,
    /// Pod CIDR.
    pub pod_cidr: String,
    /// Ready condition is True.
    pub ready: bool,
    /// Cordoned.
    pub unschedulable: bool,
    /// The machine is powered (false after `node fail`).
    pub up: bool,
    /// Pods bound to it, in namespace/name order.
    pub pods: Vec<PodView>,
}

/// One pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodView {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// UID (a re-created pod with the same name is a different pod).
    pub uid: String,
    /// Pod IP, once the sandbox exists.
    pub ip: Option<String>,
    /// Node name ("" while unscheduled).
    pub node: String,
    /// Phase.
    pub phase: String,
    /// The STATUS column kubectl would show.
    pub status: String,
    /// Ready condition is True.
    pub ready: bool,
    /// deletionTimestamp is set.
    pub terminating: bool,
    /// Milliseconds until the grace period ends (terminating pods).
    pub grace_remaining_ms: Option<Millis>,
    /// Name of the controlling ReplicaSet / ReplicationController.
    pub owner: Option<String>,
    /// The `pod-template-hash` label (tells ReplicaSet revisions apart).
    pub template_hash: Option<String>,
    /// Image of the first container.
    pub image: String,
    /// Labels.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Creation, in virtual milliseconds.
    pub created_ms: Millis,
    /// Container restarts.
    pub restarts: i32,
}

/// One Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceView {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// ClusterIP / NodePort / LoadBalancer / ExternalName.
    pub type_: String,
    /// The virtual IP (`None` for headless).
    pub cluster_ip: Option<String>,
    /// `port/TCP` or `port:nodePort/TCP` entries.
    pub ports: Vec<String>,
    /// Load balancer address.
    pub load_balancer_ip: Option<String>,
    /// Selector as `k=v,…`.
    pub selector: Option<String>,
    /// Names of the pods of its namespace whose labels its selector matches (whatever
    /// their state); empty without a selector.
    pub selects: BTreeSet<String>,
    /// Endpoints from its EndpointSlices.
    pub endpoints: Vec<EndpointView>,
}

/// One endpoint of a Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointView {
    /// Pod name.
    pub pod: String,
    /// Address.
    pub ip: String,
    /// Node.
    pub node: String,
    /// Conditions.
    pub ready: bool,
    /// Serving.
    pub serving: bool,
    /// Terminating.
    pub terminating: bool,
}

/// The STATUS column of `kubectl get pods` for the states the simulator produces.
pub fn pod_status(p: &Pod) -> String {
    if p.metadata.deletion_timestamp.is_some() {
        return "Terminating".into();
    }
    if let Some(reason) = &p.status.reason {
        return reason.clone();
    }
    for cs in &p.status.container_statuses {
        if let Some(w) = cs.state.waiting.as_ref().and_then(|w| w.reason.as_ref()) {
            return w.to_string();
        }
        if let Some(t) = cs.state.terminated.as_ref() {
            return t.reason.as_deref().unwrap_or("Error").to_string();
        }
    }
    p.status.phase.as_deref().unwrap_or("Pending").to_string()
}

fn pod_view(p: &Pod, now: Millis) -> PodView {
    PodView {
        namespace: p.metadata.namespace.to_string(),
        name: p.metadata.name.to_string(),
        uid: p.metadata.uid.to_string(),
        ip: p.status.pod_ip.as_ref().map(|i| i.to_string()),
        node: p.spec.node_name.to_string(),
        phase: p.status.phase.as_deref().unwrap_or("Pending").to_string(),
        status: pod_status(p),
        ready: pod_ready(p),
        terminating: p.metadata.deletion_timestamp.is_some(),
        grace_remaining_ms: p
            .metadata
            .deletion_timestamp
            .map(|t| t.virtual_ms().saturating_sub(now)),
        owner: p.metadata.controller_ref().map(|o| o.name.to_string()),
        template_hash: p.metadata.labels.get("pod-template-hash").cloned(),
        image: p
            .spec
            .containers
            .first()
            .map(|c| c.image.clone())
            .unwrap_or_default(),
        labels: (*p.metadata.labels).clone(),
        created_ms: p
            .metadata
            .creation_timestamp
            .map(|t| t.virtual_ms())
            .unwrap_or(0),
        restarts: p
            .status
            .container_statuses
            .iter()
            .map(|c| c.restart_count)
            .sum(),
    }
}

/// What a [`ClusterView`] is computed from, apart from the clock: the API server's
/// resourceVersion (every write to any object bumps it) and which machines are powered.
/// Equal stamps mean an equal view, except for what counts down with the clock (a terminating
/// pod's `grace_remaining_ms`), so a caller drawing every animation frame can skip rebuilding
/// the view (O(pods)) while nothing happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewStamp {
    resource_version: u64,
    nodes_down: Vec<String>,
}

impl Sim {
    /// The stamp of the view [`Sim::view`] would build now (cheap: no pod is visited).
    pub fn view_stamp(&self) -> ViewStamp {
        ViewStamp {
            resource_version: self.api.resource_version(),
            nodes_down: self.infra.nodes_down().cloned().collect(),
        }
    }

    /// The cluster as the diagram draws it; `namespace` limits pods and Services (None: all).
    pub fn view(&self, namespace: Option<&str>) -> ClusterView {
        let now = self.now();
        let in_ns = |ns: &str| namespace.is_none_or(|n| n == ns);
        let nodes = self
            .api
            .nodes
            .iter()
            .map(|n| {
                let mut pods: Vec<PodView> = self
                    .api
                    .pods
                    .on_node(&n.metadata.name)
                    .iter()
                    .filter(|p| in_ns(&p.metadata.namespace))
                    .map(|p| pod_view(p, now))
                    .collect();
                crate::sort::sort_by(&mut pods, |a, b| {
                    (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
                });
                NodeView {
                    name: n.metadata.name.to_string(),
                    internal_ip: n
                        .status
                        .addresses
                        .iter()
                        .find(|a| a.type_ == "InternalIP")
                        .map(|a| a.address.to_string())
                        .unwrap_or_default(),
                    pod_cidr: n.spec.pod_cidr.clone().unwrap_or_default(),
                    ready: crate::controllers::scheduler::node_ready(n),
                    unschedulable: n.spec.unschedulable,
                    up: self.infra.node_up(&n.metadata.name),
                    pods,
                }
            })
            .collect();
        let unscheduled = self
            .api
            .pods
            .iter()
            .filter(|p| p.spec.node_name.is_empty() && in_ns(&p.metadata.namespace))
            .map(|p| pod_view(p, now))
            .collect();
        let services = self
            .api
            .services
            .iter()
            .filter(|s| in_ns(&s.metadata.namespace))
            .map(|s| {
                let mut endpoints: Vec<EndpointView> = self
                    .api
                    .endpoint_slices
                    .in_namespace(&s.metadata.namespace)
                    .filter(|es| {
                        es.metadata
                            .labels
                            .get("kubernetes.io/service-name")
                            .map(String::as_str)
                            == Some(s.metadata.name.as_str())
                    })
                    .flat_map(|es| es.endpoints.iter().flatten())
                    .map(|e| EndpointView {
                        pod: e
                            .target_ref
                            .as_ref()
                            .map(|t| t.name.to_string())
                            .unwrap_or_default(),
                        ip: e
                            .addresses
                            .first()
                            .map(|a| a.to_string())
                            .unwrap_or_default(),
                        node: e.node_name.as_deref().unwrap_or_default().to_string(),
                        ready: e.conditions.ready.unwrap_or(true),
                        serving: e.conditions.serving.unwrap_or(true),
                        terminating: e.conditions.terminating.unwrap_or(false),
                    })
                    .collect();
                crate::sort::sort_by(&mut endpoints, |a, b| {
                    a.pod.cmp(&b.pod).then(a.ip.cmp(&b.ip))
                });
                endpoints.dedup();
                ServiceView {
                    namespace: s.metadata.namespace.to_string(),
                    name: s.metadata.name.to_string(),
                    type_: s.spec.type_.clone().unwrap_or_else(|| "ClusterIP".into()),
                    cluster_ip: s.spec.cluster_ip.clone(),
                    ports: s
                        .spec
                        .ports
                        .iter()
                        .map(|p| {
                            let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
                            match p.node_port {
                                Some(np) => format!("{}:{}/{}", p.port, np, proto),
                                None => format!("{}/{}", p.port, proto),
                            }
                        })
                        .collect(),
                    load_balancer_ip: s
                        .status
                        .load_balancer
                        .ingress
                        .first()
                        .and_then(|i| i.ip.clone()),
                    selector: s.spec.selector.as_ref().map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(",")
                    }),
                    selects: s
                        .spec
                        .selector
                        .as_ref()
                        .map(|m| {
                            self.api
                                .pods
                                .matching_labels(&s.metadata.namespace, m)
                                .iter()
                                .map(|p| p.metadata.name.to_string())
                                .collect_set()
                        })
                        .unwrap_or_default(),
                    endpoints,
                }
            })
            .collect();
        ClusterView {
            time_ms: now,
            nodes,
            unscheduled,
            services,
        }
    }
}
