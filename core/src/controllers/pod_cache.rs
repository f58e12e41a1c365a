//! What the two endpoint controllers (EndpointSlice, Endpoints) share: which Services they
//! manage ([`managed_selector`]), which pod writes concern them ([`pod_event_matters`]), and
//! `ServicePodCache`, what an endpoint controller computed from each pod a Service selects, as
//! of the Service's last sync, so that a sync recomputes only the pods (or nodes) that changed
//! since. The kubelet changes one pod at a time and each change syncs the whole Service; the
//! cache keeps that from costing a recomputation of every pod.
//!
//! An entry records what its value was computed from besides the Service: the pod's
//! resourceVersion, whether its node exists and, when asked for, the node's zone. Every write
//! of any object takes the next resourceVersion (one counter, as etcd's revision) in an
//! allocation of its own that the object's later copies share, so the same resourceVersion
//! allocation means the same write of the same pod (compared by address: no string is read):
//! a pod deleted and created again under its name never matches its predecessor's entry.
//! The node is looked up again only when some node was written since (the node store's change
//! count moved) or the pod's spec is another one (a binding, or a namesake on another node):
//! at scale, looking up every selected pod's node at every sync cost as much as the rest of
//! the sync. Versions rather than the pods themselves: holding a pod the store has replaced
//! would keep every pod twice in memory. A different Service object (any write to it) empties
//! the cache.

use super::endpointslice::{pod_has_ip, pod_ready};
use crate::api::core::PodSpec;
use crate::api::shared::{Shared, SharedKey};
use crate::api::*;
use crate::apiserver::{ApiServer, WatchEvent};
use rustc_hash::FxHashMap;
use std::rc::Rc;

/// The selector whose pods the endpoint controllers publish for `svc`: none for a Service
/// without a selector (its endpoints are managed by hand) or of type ExternalName.
pub fn managed_selector(svc: &Service) -> Option<&crate::api::meta::StringMap> {
    if svc.spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    svc.spec.selector.as_ref()
}

/// Whether a pod's watch event can change what an endpoint controller publishes, so that the
/// Services selecting the pod need a sync. The write must touch something the controllers
/// read (labels, IP, phase, readiness, deletion, node), and the pod must have an IP before or
/// after it: a pod without one is never published (`ShouldPodBeInEndpoints`). Upstream queues
/// those Services anyway; their sync would change nothing, and skipping it spares a sync per
/// Service for each pod created and bound.
pub fn pod_event_matters(ev: &WatchEvent) -> bool {
    fn pod(o: &Option<Object>) -> Option<&Pod> {
        match o {
            Some(Object::Pod(p)) => Some(p),
            _ => None,
        }
    }
    let (old, new) = (pod(&ev.old), pod(&ev.new));
    if !old.is_some_and(pod_has_ip) && !new.is_some_and(pod_has_ip) {
        return false;
    }
    match (old, new) {
        (Some(o), Some(n)) => {
            o.metadata.labels != n.metadata.labels
                || o.status.pod_ip != n.status.pod_ip
                || o.metadata.deletion_timestamp != n.metadata.deletion_timestamp
                || pod_ready(o) != pod_ready(n)
                || o.status.phase != n.status.phase
                || o.spec.node_name != n.spec.node_name
        }
        _ => true,
    }
}

/// Whether `a` and `b` are the resourceVersion of one write. An empty resourceVersion (an
/// object that was never stored) is never trusted.
fn same_write(a: &SharedStr, b: &SharedStr) -> bool {
    !a.is_empty() && SharedStr::ptr_eq(a, b)
}

/// The `topology.kubernetes.io/zone` node label.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

struct Entry<V> {
    /// The resourceVersion the value was computed for. Every write gives a pod a new
    /// resourceVersion allocation that its later copies share, so the same allocation is the
    /// same write: comparing the pointer never reads the string (on a cold cache, a miss
    /// per pod). The entry holds it, so the address cannot be reused meanwhile.
    resource_version: SharedStr,
    node_present: bool,
    zone: Option<String>,
    /// The node store's change count when `node_present` and `zone` were last checked: while
    /// no node was written since, they cannot have changed, and the node is not looked up.
    nodes_seen: u64,
    /// The pod spec the node facts were read for: the same spec has the same nodeName (a weak
    /// reference, so the address cannot be reused by another spec while the entry lives).
    spec: SharedKey<PodSpec>,
    /// `None` when the pod is left out.
    value: Option<V>,
    /// The sync that last saw the pod select into the Service.
    seen: u64,
}

/// Values computed per selected pod for one Service (see the module docs).
pub struct ServicePodCache<V> {
    /// The endpoint ports resolved for the Service's pod templates (the controllers take it
    /// for a sync and put it back).
    pub ports: super::endpointslice::PortsMemo,
    service: Option<Rc<Service>>,
    /// Boxed: an entry is large, and a map holds about twice as many slots as entries.
    pods: FxHashMap<SharedStr, Box<Entry<V>>>,
    sync: u64,
}

impl<V> Default for ServicePodCache<V> {
    fn default() -> Self {
        ServicePodCache {
            ports: Default::default(),
            service: None,
            pods: FxHashMap::default(),
            sync: 0,
        }
    }
}

impl<V> ServicePodCache<V> {
    /// Brings the cache up to the pods `svc` selects now, recomputing with `compute(pod,
    /// node_present, zone)` (`None`: the pod is left out) the pods whose version, node presence
    /// or — with `track_zone` — node zone changed since the last sync.
    pub fn refresh(
        &mut self,
        svc: &Rc<Service>,
        pods: &[Rc<Pod>],
        api: &ApiServer,
        track_zone: bool,
        mut compute: impl FnMut(&Pod, bool, Option<&str>) -> Option<V>,
    ) {
        if !self.service.as_ref().is_some_and(|s| Rc::ptr_eq(s, svc)) {
            self.pods.clear();
            self.service = Some(svc.clone());
        }
        self.sync += 1;
        let sync = self.sync;
        let nodes_now = api.nodes.changes();
        for pod in pods {
            let m = &pod.metadata;
            let version = &m.resource_version;
            if let Some(e) = self.pods.get_mut(&m.name) {
                // The same spec (so the same nodeName) and no node written since: the node
                // facts are the entry's.
                if e.nodes_seen == nodes_now && e.spec.addr() == Shared::addr(&pod.spec) {
                    if !same_write(&e.resource_version, version) {
                        e.resource_version = version.clone();
                        e.value = compute(pod, e.node_present, e.zone.as_deref());
                    }
                    e.seen = sync;
                    continue;
                }
            }
            let node = api.get::<Node>("", &pod.spec.node_name);
            let present = node.is_some();
            let zone = node
                .as_deref()
                .filter(|_| track_zone)
                .and_then(|n| n.metadata.labels.get(ZONE_LABEL));
            match self.pods.get_mut(&m.name) {
                Some(e)
                    if same_write(&e.resource_version, version)
                        && e.node_present == present
                        && e.zone.as_ref() == zone =>
                {
                    e.nodes_seen = nodes_now;
                    e.spec = Shared::key(&pod.spec);
                    e.seen = sync;
                }
                Some(e) => {
                    e.resource_version = version.clone();
                    e.node_present = present;
                    e.zone = zone.cloned();
                    e.nodes_seen = nodes_now;
                    e.spec = Shared::key(&pod.spec);
                    e.value = compute(pod, present, zone.map(String::as_str));
                    e.seen = sync;
                }
                None => {
                    let entry = Entry {
                        resource_version: version.clone(),
                        node_present: present,
                        zone: zone.cloned(),
                        nodes_seen: nodes_now,
                        spec: Shared::key(&pod.spec),
                        value: compute(pod, present, zone.map(String::as_str)),
                        seen: sync,
                    };
                    self.pods.insert(m.name.clone(), Box::new(entry));
                }
            }
        }
        if self.pods.len() > pods.len() {
            self.pods.retain(|_, e| e.seen == sync);
        }
    }

    /// The value computed for the pod named `name`, if it is selected and not left out.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.pods.get(name)?.value.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::{ObjectKey, WatchEventType};

    fn event(old: Option<&Pod>, new: Option<&Pod>) -> WatchEvent {
        let type_ = match (old, new) {
            (None, _) => WatchEventType::Added,
            (_, None) => WatchEventType::Deleted,
            _ => WatchEventType::Modified,
        };
        WatchEvent {
            resource_version: 1,
            type_,
            key: ObjectKey::new("default", "web-0"),
            old: old.map(|p| Object::Pod(Rc::new(p.clone()))),
            new: new.map(|p| Object::Pod(Rc::new(p.clone()))),
        }
    }

    #[test]
    fn only_writes_that_can_change_a_published_endpoint_sync_the_services() {
        let created = {
            let mut p = Pod::default();
            p.metadata.name = "web-0".into();
            p.metadata.labels.insert("app".into(), "web".into());
            p
        };
        let bound = {
            let mut p = created.clone();
            p.spec.node_name = "node-1".into();
            p
        };
        let with_ip = {
            let mut p = bound.clone();
            p.status.phase = Some("Pending".into());
            p.status.pod_ip = Some("10.244.1.5".into());
            p
        };
        let ready = super::super::test_support::ready_pod("web-0", "10.244.1.5");
        let annotated = {
            let mut p = ready.clone();
            p.metadata.annotations.insert("note".into(), "x".into());
            p
        };
        let relabelled = {
            let mut p = ready.clone();
            p.metadata.labels.insert("tier".into(), "front".into());
            p
        };
        let terminating = {
            let mut p = ready.clone();
            p.metadata.deletion_timestamp = Some(crate::time::Time(1));
            p
        };
        let cases: [(&str, Option<&Pod>, Option<&Pod>, bool); 9] = [
            ("created without an IP", None, Some(&created), false),
            (
                "bound, still without an IP",
                Some(&created),
                Some(&bound),
                false,
            ),
            ("deleted before it had an IP", Some(&bound), None, false),
            ("given its IP", Some(&bound), Some(&with_ip), true),
            ("turned ready", Some(&with_ip), Some(&ready), true),
            ("annotated only", Some(&ready), Some(&annotated), false),
            ("relabelled", Some(&ready), Some(&relabelled), true),
            ("terminating", Some(&ready), Some(&terminating), true),
            ("deleted with its IP", Some(&ready), None, true),
        ];
        for (what, old, new, matters) in cases {
            assert_eq!(pod_event_matters(&event(old, new)), matters, "{what}");
        }
    }
}
