//! What the two endpoint controllers (EndpointSlice, Endpoints) share: which Services they
//! manage ([`managed_selector`]) and `ServicePodCache`, what an endpoint controller computed from each pod a Service selects, as
//! of the Service's last sync, so that a sync recomputes only the pods (or nodes) that changed
//! since. The kubelet changes one pod at a time and each change syncs the whole Service; the
//! cache keeps that from costing a recomputation of every pod.
//!
//! An entry records what its value was computed from besides the Service: the pod's version
//! (UID and resourceVersion, which every write of it changes), whether its node exists and,
//! when asked for, the node's zone. Versions rather than the pods themselves: holding a pod the
//! store has replaced would keep every pod twice in memory. A different Service object (any
//! write to it) empties the cache.

use crate::api::*;
use crate::apiserver::ApiServer;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// The selector whose pods the endpoint controllers publish for `svc`: none for a Service
/// without a selector (its endpoints are managed by hand) or of type ExternalName.
pub fn managed_selector(svc: &Service) -> Option<&crate::api::meta::StringMap> {
    if svc.spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    svc.spec.selector.as_ref()
}

/// The `topology.kubernetes.io/zone` node label.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

struct Entry<V> {
    uid: String,
    /// `None` (never trusted) for a pod without a numeric resourceVersion.
    resource_version: Option<u64>,
    node_present: bool,
    zone: Option<String>,
    /// `None` when the pod is left out.
    value: Option<V>,
    /// The sync that last saw the pod select into the Service.
    seen: u64,
}

/// Values computed per selected pod for one Service (see the module docs).
pub struct ServicePodCache<V> {
    service: Option<Arc<Service>>,
    /// Boxed: an entry is large, and a map holds about twice as many slots as entries.
    pods: FxHashMap<String, Box<Entry<V>>>,
    sync: u64,
}

impl<V> Default for ServicePodCache<V> {
    fn default() -> Self {
        ServicePodCache {
            service: None,
            pods: FxHashMap::default(),
            sync: 0,
        }
    }
}

impl<V> ServicePodCache<V> {
    /// Brings the cache up to the pods `svc` selects now, recomputing with `compute(pod,
    /// node)` (`None`: the pod is left out) the pods whose version, node presence or — with
    /// `track_zone` — node zone changed since the last sync.
    pub fn refresh(
        &mut self,
        svc: &Arc<Service>,
        pods: &[Arc<Pod>],
        api: &ApiServer,
        track_zone: bool,
        mut compute: impl FnMut(&Pod, Option<&Node>) -> Option<V>,
    ) {
        if !self.service.as_ref().is_some_and(|s| Arc::ptr_eq(s, svc)) {
            self.pods.clear();
            self.service = Some(svc.clone());
        }
        self.sync += 1;
        let sync = self.sync;
        for pod in pods {
            let node = api.get::<Node>("", &pod.spec.node_name);
            let zone = node
                .as_deref()
                .filter(|_| track_zone)
                .and_then(|n| n.metadata.labels.get(ZONE_LABEL));
            let m = &pod.metadata;
            let version = m.resource_version.parse::<u64>().ok();
            match self.pods.get_mut(&m.name) {
                Some(e)
                    if version.is_some()
                        && e.resource_version == version
                        && e.uid == m.uid
                        && e.node_present == node.is_some()
                        && e.zone.as_ref() == zone =>
                {
                    e.seen = sync;
                }
                // Recomputed in place: the UID's buffer is reused.
                Some(e) => {
                    e.uid.clone_from(&m.uid);
                    e.resource_version = version;
                    e.node_present = node.is_some();
                    e.zone = zone.cloned();
                    e.value = compute(pod, node.as_deref());
                    e.seen = sync;
                }
                None => {
                    let entry = Entry {
                        uid: m.uid.clone(),
                        resource_version: version,
                        node_present: node.is_some(),
                        zone: zone.cloned(),
                        value: compute(pod, node.as_deref()),
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
