//! The EndpointSlice controller (`staging/src/k8s.io/endpointslice`): for every Service with a
//! selector, publishes the matching pods as endpoints with their ready / serving / terminating
//! conditions, grouped into slices by resolved port set and packed as upstream packs them
//! (at most `max_endpoints_per_slice`, default 100; a placeholder slice when there is nothing).
//!
//! Work per change is proportional to the pods of the affected Service only: pods are found
//! through the store's label index, and Services through this controller's own index from
//! selector pairs to Services.

use super::pod_cache::{managed_selector, pod_event_matters, ServicePodCache};
use super::{Controller, Ctx, Queue};
use crate::api::core::EndpointPort;
use crate::api::discovery::{Endpoint, EndpointConditions};
use crate::api::meta::ObjectReference;
use crate::api::shared::Shared;
use crate::api::*;
use crate::apiserver::{ApiServer, ObjectKey, WatchEvent};
use crate::infra::Infra;
use crate::sort::CollectOrdered;
use crate::time::Millis;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// `endpointslice.kubernetes.io/managed-by` value of this controller.
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
/// Label naming a slice's Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// Label naming a slice's manager.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
/// Label marking the slices of a headless Service.
pub const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";

/// Index from `(namespace, key, value)` selector pairs to the Services selecting on them.
#[derive(Default, Clone, Debug)]
pub struct ServiceSelectorIndex {
    selectors: FxHashMap<ObjectKey, BTreeMap<String, String>>,
    /// namespace → label key → label value → keys of the Services selecting that pair
    /// (nested so that a lookup borrows the pod's strings instead of building a key; the
    /// Services' own keys, so that a match is a reference count, not a new key).
    by_pair: FxHashMap<SharedStr, FxHashMap<String, FxHashMap<String, Vec<ObjectKey>>>>,
    /// Services with an empty selector (`selector: {}`), which select every pod of their
    /// namespace: kept apart so a pod event never scans all Services for them.
    select_all: BTreeSet<ObjectKey>,
    /// The answer of the last [`ServiceSelectorIndex::services_for_event`], reused: it runs
    /// for every pod event.
    found: Vec<ObjectKey>,
}

impl ServiceSelectorIndex {
    /// Records (or forgets, with `None`) the selector of a Service.
    pub fn set(&mut self, key: &ObjectKey, selector: Option<&BTreeMap<String, String>>) {
        if let Some(old) = self.selectors.remove(key) {
            self.select_all.remove(key);
            for (k, v) in old {
                let Some(by_key) = self.by_pair.get_mut(&key.namespace) else {
                    continue;
                };
                if let Some(by_value) = by_key.get_mut(&k) {
                    if let Some(keys) = by_value.get_mut(&v) {
                        keys.retain(|s| s != key);
                        if keys.is_empty() {
                            by_value.remove(&v);
                        }
                    }
                    if by_value.is_empty() {
                        by_key.remove(&k);
                    }
                }
                if by_key.is_empty() {
                    self.by_pair.remove(&key.namespace);
                }
            }
        }
        if let Some(sel) = selector {
            if sel.is_empty() {
                self.select_all.insert(key.clone());
            }
            for (k, v) in sel {
                self.by_pair
                    .entry(key.namespace.clone())
                    .or_default()
                    .entry(k.clone())
                    .or_default()
                    .entry(v.clone())
                    .or_default()
                    .push(key.clone());
            }
            self.selectors.insert(key.clone(), sel.clone());
        }
    }

    /// Appends the Services in `namespace` whose selector matches `labels` to `out` (unsorted;
    /// a Service may be appended twice).
    pub fn services_for(
        &self,
        namespace: &str,
        labels: &BTreeMap<String, String>,
        out: &mut Vec<ObjectKey>,
    ) {
        // Runs for every pod event: no key is built to search an (almost always) empty set.
        if !self.select_all.is_empty() {
            out.extend(
                self.select_all
                    .range(ObjectKey::new(namespace, "")..)
                    .take_while(|k| k.namespace == namespace)
                    .cloned(),
            );
        }
        let Some(by_key) = self.by_pair.get(namespace) else {
            return;
        };
        for (k, v) in labels {
            let Some(keys) = by_key.get(k).and_then(|by_value| by_value.get(v)) else {
                continue;
            };
            for key in keys {
                if let Some(sel) = self.selectors.get(key) {
                    if sel.iter().all(|(sk, sv)| labels.get(sk) == Some(sv)) {
                        out.push(key.clone());
                    }
                }
            }
        }
    }

    /// The Services of a pod watch event: those selecting the pod before or after it, in key
    /// order, each once.
    pub fn services_for_event(&mut self, ev: &WatchEvent) -> &[ObjectKey] {
        let mut out = std::mem::take(&mut self.found);
        out.clear();
        self.pod_event_services(ev, &mut out);
        out.sort();
        out.dedup();
        self.found = out;
        &self.found
    }

    fn pod_event_services(&self, ev: &WatchEvent, out: &mut Vec<ObjectKey>) {
        let (old, new) = match (&ev.old, &ev.new) {
            (Some(Object::Pod(o)), Some(Object::Pod(n))) => (Some(o), Some(n)),
            (Some(Object::Pod(o)), _) => (Some(o), None),
            (_, Some(Object::Pod(n))) => (None, Some(n)),
            _ => (None, None),
        };
        if let Some(o) = old {
            self.services_for(&ev.key.namespace, &o.metadata.labels, out);
        }
        if let Some(n) = new {
            // Most pod writes leave the labels alone: the same labels select the same Services.
            if old.is_none_or(|o| o.metadata.labels != n.metadata.labels) {
                self.services_for(&ev.key.namespace, &n.metadata.labels, out);
            }
        }
    }
}

/// The controller.
pub struct EndpointSliceController {
    max_endpoints_per_slice: usize,
    /// `endpointSliceChangeMinSyncDelay`: how long after a slice changed by someone else the
    /// Service is synced (upstream waits the larger of this and the updates batch period,
    /// which defaults to 0).
    change_min_sync_delay_ms: Millis,
    index: ServiceSelectorIndex,
    /// Per Service, its pods' endpoints as of its last sync.
    cache: FxHashMap<ObjectKey, ServicePodCache<PodEndpoint>>,
    tracker: SliceTracker,
}

impl Default for EndpointSliceController {
    fn default() -> Self {
        EndpointSliceController::new(100)
    }
}

/// Upstream `EndpointSliceTracker`: per Service, the generation of every slice this controller
/// last wrote, by UID ([`DELETION_EXPECTED`] for one it deleted). A slice event showing a
/// generation the controller wrote itself needs no sync; a newer one (someone else changed
/// the slice) or an unexpected deletion does, so the controller repairs what others changed
/// without syncing again after each of its own writes.
#[derive(Default)]
struct SliceTracker {
    generations: FxHashMap<ObjectKey, FxHashMap<SharedStr, i64>>,
}

/// The generation the tracker records for a slice it deleted.
const DELETION_EXPECTED: i64 = -1;

impl SliceTracker {
    fn record(&mut self, service: &ObjectKey, slice: &EndpointSlice, generation: i64) {
        self.generations
            .entry(service.clone())
            .or_default()
            .insert(slice.metadata.uid.clone(), generation);
    }

    /// `ShouldSync`: the slice is not one this controller wrote, or it changed since.
    fn should_sync(&self, service: &ObjectKey, slice: &EndpointSlice) -> bool {
        match self
            .generations
            .get(service)
            .and_then(|g| g.get(&slice.metadata.uid))
        {
            Some(&g) => slice.metadata.generation > g,
            None => true,
        }
    }

    /// `Has`: the slice is tracked.
    fn has(&self, service: &ObjectKey, slice: &EndpointSlice) -> bool {
        self.generations
            .get(service)
            .is_some_and(|g| g.contains_key(&slice.metadata.uid))
    }

    /// `HandleDeletion`: forgets the slice; false when its deletion was not expected.
    fn handle_deletion(&mut self, service: &ObjectKey, slice: &EndpointSlice) -> bool {
        let Some(g) = self.generations.get_mut(service) else {
            return true;
        };
        let expected = g
            .remove(&slice.metadata.uid)
            .is_none_or(|g| g == DELETION_EXPECTED);
        if g.is_empty() {
            self.generations.remove(service);
        }
        expected
    }

    /// `DeleteService`.
    fn delete_service(&mut self, service: &ObjectKey) {
        self.generations.remove(service);
    }
}

/// The Service a slice belongs to (`ServiceControllerKey`): its namespace and the
/// `kubernetes.io/service-name` label.
fn service_key(slice: &EndpointSlice) -> Option<ObjectKey> {
    let name = slice.metadata.labels.get(SERVICE_NAME_LABEL)?;
    Some(ObjectKey::new(
        slice.metadata.namespace.clone(),
        name.as_str(),
    ))
}

/// Whether this controller manages the slice (`managedByController`).
fn managed_by_controller(slice: &EndpointSlice) -> bool {
    slice
        .metadata
        .labels
        .get(MANAGED_BY_LABEL)
        .map(String::as_str)
        == Some(MANAGED_BY)
}

/// Whether a pod is published (`ShouldPodBeInEndpoints`).
pub fn should_pod_be_in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    if matches!(
        pod.status.phase.as_deref(),
        Some("Succeeded") | Some("Failed")
    ) {
        return false;
    }
    if !pod_has_ip(pod) {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}

/// Whether the pod has been given an IP (`podIP` or `podIPs`).
pub fn pod_has_ip(pod: &Pod) -> bool {
    pod.status
        .pod_ip
        .as_deref()
        .is_some_and(|ip| !ip.is_empty())
        || !pod.status.pod_ips.is_empty()
}

/// Whether a pod's Ready condition is True.
pub fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Resolves a Service port's targetPort for one pod (`findPort`): integers as is, names by
/// container port name and protocol; `None` when the pod has no such named port.
pub fn find_port(pod: &Pod, sp: &crate::api::core::ServicePort) -> Option<i32> {
    let proto = sp.protocol.as_deref().unwrap_or("TCP");
    match &sp.target_port {
        None => Some(sp.port),
        Some(IntOrString::Int(0)) => Some(sp.port),
        Some(IntOrString::Int(p)) => Some(*p),
        Some(IntOrString::String(name)) if name.is_empty() => Some(sp.port),
        Some(IntOrString::String(name)) => pod
            .spec
            .containers
            .iter()
            .flat_map(|c| c.ports.iter())
            .find(|cp| {
                cp.name.as_deref() == Some(name) && cp.protocol.as_deref().unwrap_or("TCP") == proto
            })
            .map(|cp| cp.container_port),
    }
}

/// The endpoint ports of a pod for a Service (`getEndpointPorts`).
pub fn endpoint_ports(svc: &Service, pod: &Pod) -> Vec<EndpointPort> {
    svc.spec
        .ports
        .iter()
        .filter_map(|sp| {
            find_port(pod, sp).map(|port| EndpointPort {
                name: Some(sp.name.clone().unwrap_or_default()),
                port: Some(port),
                protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: sp.app_protocol.clone(),
            })
        })
        .collect()
}

/// A pod's endpoint ports for one Service, sorted, computed once per pod template: they
/// depend only on the Service and the pod's containers, which the pods of one template share.
/// Kept with the Service's pod cache from sync to sync, so that the pods of a template share
/// one port list even when computed in different syncs: grouping endpoints by port list then
/// compares one list in the CPU cache, not a cold copy per pod.
#[derive(Default)]
pub struct PortsMemo {
    /// The Service version and containers the ports were last resolved from (held, so the
    /// addresses compared cannot be reused), and those ports.
    last: Option<(Rc<Service>, Containers, Shared<Vec<EndpointPort>>)>,
}

type Containers = Shared<Vec<crate::api::core::Container>>;

impl PortsMemo {
    /// `endpoint_ports(svc, pod)`, sorted.
    pub fn ports(&mut self, svc: &Rc<Service>, pod: &Pod) -> Shared<Vec<EndpointPort>> {
        match &self.last {
            Some((s, containers, ports))
                if Rc::ptr_eq(s, svc) && Shared::ptr_eq(containers, &pod.spec.containers) =>
            {
                ports.clone()
            }
            _ => {
                let mut ports = endpoint_ports(svc, pod);
                crate::sort::sort(&mut ports);
                let ports = Shared::new(ports);
                self.last = Some((svc.clone(), pod.spec.containers.clone(), ports.clone()));
                ports
            }
        }
    }
}

/// An endpoint's `targetRef` to its pod: `object_ref` without apiVersion and
/// resourceVersion, which targetRefs leave out (EndpointSlices and Endpoints alike).
pub fn target_ref(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Kind::Pod.name().into(),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        ..Default::default()
    }
}

/// The endpoint of a pod (`podToEndpoint`, §4.2).
pub fn pod_to_endpoint(svc: &Service, pod: &Pod, zone: Option<&str>) -> Endpoint {
    let serving = pod_ready(pod);
    let terminating = pod.metadata.deletion_timestamp.is_some();
    let publish = svc.spec.publish_not_ready_addresses == Some(true);
    let ready = publish || (serving && !terminating);
    let ip = pod
        .status
        .pod_ip
        .clone()
        .or_else(|| pod.status.pod_ips.first().map(|p| p.ip.clone()));
    let hostname = match (&pod.spec.hostname, &pod.spec.subdomain) {
        (Some(h), Some(s)) if *s == svc.metadata.name && !h.is_empty() => Some(h.clone()),
        _ => None,
    };
    let target = target_ref(pod);
    Endpoint {
        addresses: ip.into_iter().collect(),
        conditions: EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        },
        hostname,
        target_ref: Some(target),
        node_name: (!pod.spec.node_name.is_empty()).then(|| pod.spec.node_name.clone()),
        zone: zone.map(str::to_string),
    }
}

/// A copy of `slice` holding `endpoints` instead of its own, which are not copied: a slice
/// holds up to 100 endpoints and every change of one of them rewrites the slice.
fn with_endpoints(
    slice: &EndpointSlice,
    endpoints: Option<Vec<Shared<Endpoint>>>,
) -> EndpointSlice {
    // Destructured in full so that a new field cannot be forgotten here.
    let EndpointSlice {
        api_version,
        kind,
        metadata,
        address_type,
        endpoints: _,
        ports,
    } = slice;
    EndpointSlice {
        api_version: api_version.clone(),
        kind: kind.clone(),
        metadata: metadata.clone(),
        address_type: address_type.clone(),
        endpoints,
        ports: ports.clone(),
    }
}

/// The identity of an endpoint across syncs: its pod's UID, else its addresses (borrowed in
/// the common case: every sync looks up each endpoint of each of the Service's slices).
fn endpoint_key(e: &Endpoint) -> Cow<'_, str> {
    match &e.target_ref {
        Some(t) => Cow::Borrowed(t.uid.as_str()),
        None => Cow::Owned(e.addresses.join(",")),
    }
}

/// `a == b` for two endpoints: the same shared copy (an endpoint that did not change since
/// the slice was written), else the fields that differ between a pod's successive endpoints
/// (conditions, address, node) compared before the strings that never do.
fn same_endpoint(a: &Shared<Endpoint>, b: &Shared<Endpoint>) -> bool {
    if Shared::ptr_eq(a, b) {
        return true;
    }
    // Destructured in full so that a new field cannot be forgotten here.
    let Endpoint {
        addresses,
        conditions,
        hostname,
        target_ref,
        node_name,
        zone,
    } = &**a;
    *conditions == b.conditions
        && *addresses == b.addresses
        && *node_name == b.node_name
        && *hostname == b.hostname
        && *zone == b.zone
        && match (target_ref, &b.target_ref) {
            // The UID first: endpoints of different pods differ there.
            (Some(x), Some(y)) => x.uid == y.uid && x == y,
            (x, y) => x == y,
        }
}

/// Whether `labels` are the labels [`EndpointSliceController::labels_for`] gives `svc`'s
/// slices, found without building them (every sync checks every slice of the Service).
fn has_slice_labels(svc: &Service, labels: &BTreeMap<String, String>) -> bool {
    let reserved = [SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL];
    let headless = EndpointSliceController::is_headless(svc);
    let own = svc
        .metadata
        .labels
        .keys()
        .filter(|k| !reserved.contains(&k.as_str()))
        .count();
    // Keys are unique on both sides: equal sizes and every label expected means equal maps.
    labels.len() == own + 2 + usize::from(headless)
        && labels.iter().all(|(k, v)| match k.as_str() {
            SERVICE_NAME_LABEL => *v == svc.metadata.name,
            MANAGED_BY_LABEL => v == MANAGED_BY,
            HEADLESS_LABEL => headless && v.is_empty(),
            _ => svc.metadata.labels.get(k) == Some(v),
        })
}

/// A pod's sorted endpoint ports and endpoint for one Service.
type PodEndpoint = (Shared<Vec<EndpointPort>>, Shared<Endpoint>);

struct SliceState<'a> {
    endpoints: Vec<&'a Shared<Endpoint>>,
    touched: bool,
    original: Option<Rc<EndpointSlice>>,
}

/// A port group's key: the sorted resolved ports, borrowed when already sorted.
type PortKey<'a> = Cow<'a, [EndpointPort]>;

impl EndpointSliceController {
    /// A controller with `--max-endpoints-per-slice` = `max`.
    pub fn new(max: usize) -> Self {
        EndpointSliceController {
            max_endpoints_per_slice: max.clamp(1, 1000),
            change_min_sync_delay_ms: crate::sim::Timings::default()
                .endpoint_slice_change_min_sync_delay_ms,
            index: ServiceSelectorIndex::default(),
            cache: FxHashMap::default(),
            tracker: SliceTracker::default(),
        }
    }

    /// The controller with the cluster's timing constants.
    pub fn with_timings(timings: &crate::sim::Timings) -> Self {
        EndpointSliceController {
            change_min_sync_delay_ms: timings.endpoint_slice_change_min_sync_delay_ms,
            ..Self::default()
        }
    }

    fn is_headless(svc: &Service) -> bool {
        svc.spec
            .cluster_ip
            .as_deref()
            .is_none_or(|ip| ip.is_empty() || ip == "None")
    }

    fn labels_for(svc: &Service) -> BTreeMap<String, String> {
        let mut l: BTreeMap<String, String> = svc
            .metadata
            .labels
            .iter()
            .filter(|(k, _)| {
                ![SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL].contains(&k.as_str())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect_map();
        l.insert(SERVICE_NAME_LABEL.into(), svc.metadata.name.to_string());
        l.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
        if Self::is_headless(svc) {
            l.insert(HEADLESS_LABEL.into(), String::new());
        }
        l
    }

    fn new_slice(
        svc: &Service,
        ports: Option<Vec<EndpointPort>>,
        endpoints: Vec<Shared<Endpoint>>,
    ) -> EndpointSlice {
        let mut s = EndpointSlice {
            address_type: "IPv4".into(),
            endpoints: if endpoints.is_empty() {
                None
            } else {
                Some(endpoints)
            },
            ports,
            ..Default::default()
        };
        s.metadata.namespace = svc.metadata.namespace.clone();
        s.metadata.generate_name = format!("{}-", svc.metadata.name).into();
        s.metadata.labels = Self::labels_for(svc).into();
        s.metadata.owner_references = vec![OwnerReference {
            api_version: "v1".into(),
            kind: "Service".into(),
            name: svc.metadata.name.clone(),
            uid: svc.metadata.uid.clone(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }]
        .into();
        s
    }

    fn reconcile_service(&mut self, key: &ObjectKey, svc: &Rc<Service>, ctx: &mut Ctx<'_>) {
        let Some(selector) = managed_selector(svc) else {
            self.cache.remove(key);
            return;
        };
        let ns = svc.metadata.namespace.clone();
        let existing: Vec<Rc<EndpointSlice>> = ctx
            .api
            .endpoint_slices
            .owned_by(&svc.metadata.uid)
            .into_iter()
            .filter(|s| managed_by_controller(s))
            .collect();
        let pods = ctx.api.pods.matching_labels(&ns, selector);
        let mut cache = self.cache.remove(key).unwrap_or_default();
        let publish = svc.spec.publish_not_ready_addresses == Some(true);
        let mut ports = std::mem::take(&mut cache.ports);
        cache.refresh(svc, &pods, ctx.api, true, |pod, node_present, zone| {
            if !should_pod_be_in_endpoints(pod, true) || (!node_present && !publish) {
                return None;
            }
            Some((
                ports.ports(svc, pod),
                Shared::new(pod_to_endpoint(svc, pod, zone)),
            ))
        });
        cache.ports = ports;
        // Desired endpoints, grouped by resolved port set, in the store's pod order.
        let mut desired: BTreeMap<PortKey<'_>, Vec<&Shared<Endpoint>>> = BTreeMap::new();
        for pod in &pods {
            if let Some((ports, e)) = cache.get(&pod.metadata.name) {
                desired
                    .entry(Cow::Borrowed(ports.as_slice()))
                    .or_default()
                    .push(e);
            }
        }
        let max = self.max_endpoints_per_slice;
        let mut creates: Vec<EndpointSlice> = Vec::new();
        let mut updates: Vec<EndpointSlice> = Vec::new();
        let mut deletes: Vec<Rc<EndpointSlice>> = Vec::new();
        let mut existing_by_ports: BTreeMap<PortKey<'_>, Vec<Rc<EndpointSlice>>> = BTreeMap::new();
        for s in &existing {
            let ports: &[EndpointPort] = s.ports.as_deref().unwrap_or_default();
            let ports = if ports.is_sorted() {
                Cow::Borrowed(ports)
            } else {
                let mut ports = ports.to_vec();
                crate::sort::sort(&mut ports);
                Cow::Owned(ports)
            };
            existing_by_ports.entry(ports).or_default().push(s.clone());
        }
        let groups: BTreeSet<PortKey<'_>> = desired
            .keys()
            .chain(existing_by_ports.keys())
            .cloned()
            .collect_set();
        for ports in groups {
            let want = desired.remove(&ports).unwrap_or_default();
            let have = existing_by_ports.remove(&ports).unwrap_or_default();
            self.pack(
                svc,
                &ports,
                want,
                have,
                &mut creates,
                &mut updates,
                &mut deletes,
                max,
            );
        }
        // A Service with a selector always has at least one slice: a placeholder when empty.
        let total_after = existing.len() + creates.len() - deletes.len();
        if total_after == 0 {
            if let Some(d) = deletes.pop() {
                let mut s = with_endpoints(&d, None);
                s.ports = None;
                s.metadata.labels = Self::labels_for(svc).into();
                updates.push(s);
            } else {
                creates.push(Self::new_slice(svc, None, Vec::new()));
            }
        }
        // Creates that coincide with deletes become updates of the slices being deleted.
        while !creates.is_empty() && !deletes.is_empty() {
            let (c, d) = (creates.remove(0), deletes.remove(0));
            let mut s = with_endpoints(&d, c.endpoints);
            s.ports = c.ports;
            s.metadata.labels = Self::labels_for(svc).into();
            updates.push(s);
        }
        drop(desired);
        self.cache.insert(key.clone(), cache);
        for d in deletes {
            self.tracker.record(key, &d, DELETION_EXPECTED);
            let _ = ctx.api.remove::<EndpointSlice>(&ns, &d.metadata.name);
        }
        for u in updates {
            if ctx
                .api
                .get::<EndpointSlice>(&ns, &u.metadata.name)
                .is_some_and(|cur| *cur == u)
            {
                continue;
            }
            let mut u = u;
            u.metadata.resource_version = SharedStr::default();
            if let Ok(written) = ctx.api.update(u) {
                self.tracker
                    .record(key, &written, written.metadata.generation);
            }
        }
        for c in creates {
            if let Ok(written) = ctx.api.create(c) {
                self.tracker
                    .record(key, &written, written.metadata.generation);
            }
        }
    }

    /// Packs one port group (`reconcileByPortMapping`).
    #[allow(clippy::too_many_arguments)]
    fn pack(
        &self,
        svc: &Service,
        ports: &[EndpointPort],
        want: Vec<&Shared<Endpoint>>,
        have: Vec<Rc<EndpointSlice>>,
        creates: &mut Vec<EndpointSlice>,
        updates: &mut Vec<EndpointSlice>,
        deletes: &mut Vec<Rc<EndpointSlice>>,
        max: usize,
    ) {
        // On a repeated key the later endpoint wins, and is placed at the first occurrence.
        let mut remaining: FxHashMap<Cow<'_, str>, &Shared<Endpoint>> = FxHashMap::default();
        remaining.reserve(want.len());
        let mut order: Vec<Cow<'_, str>> = Vec::with_capacity(want.len());
        for e in want {
            let k = endpoint_key(e);
            order.push(k.clone());
            remaining.insert(k, e);
        }
        // 1. Existing slices keep the endpoints still desired (updated in place).
        let mut states: Vec<SliceState<'_>> = Vec::new();
        for s in have {
            let mut kept = Vec::new();
            let mut changed = !has_slice_labels(svc, &s.metadata.labels);
            for e in s.endpoints.iter().flatten() {
                match remaining.remove(&*endpoint_key(e)) {
                    Some(new) => {
                        if !same_endpoint(new, e) {
                            changed = true;
                        }
                        kept.push(new);
                    }
                    None => changed = true,
                }
            }
            if kept.is_empty() {
                deletes.push(s);
                continue;
            }
            states.push(SliceState {
                endpoints: kept,
                touched: changed,
                original: Some(s),
            });
        }
        let left: Vec<&Shared<Endpoint>> =
            order.iter().filter_map(|k| remaining.remove(k)).collect();
        let mut left = left.into_iter().peekable();
        // 2. New endpoints first fill the slices already being updated, fullest first.
        let mut touched: Vec<usize> = (0..states.len()).filter(|&i| states[i].touched).collect();
        crate::sort::sort_by_key(&mut touched, |&i| {
            std::cmp::Reverse(states[i].endpoints.len())
        });
        for i in touched {
            while states[i].endpoints.len() < max {
                match left.next() {
                    Some(e) => states[i].endpoints.push(e),
                    None => break,
                }
            }
        }
        let mut left: Vec<&Shared<Endpoint>> = left.collect();
        // 3. Whole new slices; a last partial batch goes to the untouched slice that ends closest
        //    to full without exceeding max, else into a new slice.
        let rest = left.split_off(left.len() / max * max);
        for batch in left.chunks(max) {
            states.push(SliceState {
                endpoints: batch.to_vec(),
                touched: true,
                original: None,
            });
        }
        if !rest.is_empty() {
            let best = (0..states.len())
                .filter(|&i| !states[i].touched && states[i].endpoints.len() + rest.len() <= max)
                .max_by_key(|&i| states[i].endpoints.len());
            match best {
                Some(i) => {
                    states[i].endpoints.extend(rest);
                    states[i].touched = true;
                }
                None => states.push(SliceState {
                    endpoints: rest,
                    touched: true,
                    original: None,
                }),
            }
        }
        let port_list = if svc.spec.ports.is_empty() && ports.is_empty() {
            None
        } else {
            Some(ports.to_vec())
        };
        let mut labels: Option<crate::api::shared::Shared<crate::api::meta::StringMap>> = None;
        for s in states {
            if !s.touched {
                continue;
            }
            // Only a slice being written gets copies of its endpoints.
            let endpoints: Vec<Shared<Endpoint>> = s.endpoints.into_iter().cloned().collect();
            match s.original {
                Some(orig) => {
                    let mut u = with_endpoints(&orig, Some(endpoints));
                    u.metadata.labels = labels
                        .get_or_insert_with(|| Self::labels_for(svc).into())
                        .clone();
                    updates.push(u);
                }
                None => creates.push(Self::new_slice(svc, port_list.clone(), endpoints)),
            }
        }
    }
}

impl EndpointSliceController {
    /// `onEndpointSliceAdd` / `Update` / `Delete`: a slice changed by anyone but this
    /// controller (or handed to or from it) brings its Service's sync, after the minimum
    /// delay.
    fn on_slice_event(&mut self, ev: &WatchEvent, queue: &mut Queue) {
        fn slice(o: &Option<Object>) -> Option<&EndpointSlice> {
            match o {
                Some(Object::EndpointSlice(s)) => Some(s),
                _ => None,
            }
        }
        let delay = self.change_min_sync_delay_ms;
        let mut sync = |s: &EndpointSlice| {
            if let Some(service) = service_key(s) {
                queue.add_after(service, delay);
            }
        };
        match (slice(&ev.old), slice(&ev.new)) {
            (old, Some(new)) => {
                if let Some(old) = old {
                    // A user moved the slice to another Service: both sync.
                    if old.metadata.labels.get(SERVICE_NAME_LABEL)
                        != new.metadata.labels.get(SERVICE_NAME_LABEL)
                    {
                        sync(new);
                        sync(old);
                        return;
                    }
                    if managed_by_controller(old) != managed_by_controller(new) {
                        sync(new);
                        return;
                    }
                }
                if managed_by_controller(new)
                    && service_key(new).is_some_and(|svc| self.tracker.should_sync(&svc, new))
                {
                    sync(new);
                }
            }
            (Some(old), None) => {
                let Some(service) = service_key(old) else {
                    return;
                };
                if managed_by_controller(old)
                    && self.tracker.has(&service, old)
                    && !self.tracker.handle_deletion(&service, old)
                {
                    sync(old);
                }
            }
            (None, None) => {}
        }
    }
}

impl Controller for EndpointSliceController {
    fn name(&self) -> &'static str {
        "endpointslice-controller"
    }

    fn on_event(&mut self, ev: &WatchEvent, api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        match ev.object() {
            Some(Object::Service(_)) => {
                let sel = match &ev.new {
                    Some(Object::Service(s)) => s.spec.selector.as_ref(),
                    _ => None,
                };
                self.index.set(&ev.key, sel);
                queue.add(ev.key.clone());
            }
            Some(Object::Pod(_)) => {
                if !pod_event_matters(ev) {
                    return;
                }
                for s in self.index.services_for_event(ev) {
                    queue.add(s.clone());
                }
            }
            Some(Object::EndpointSlice(_)) => self.on_slice_event(ev, queue),
            Some(Object::Node(_)) if ev.type_ != crate::apiserver::WatchEventType::Modified => {
                let mut services = Vec::new();
                for p in api.pods.on_node(&ev.key.name) {
                    self.index.services_for(
                        &p.metadata.namespace,
                        &p.metadata.labels,
                        &mut services,
                    );
                }
                services.sort();
                services.dedup();
                for s in services {
                    queue.add(s);
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        match ctx.api.get_by_key::<Service>(key) {
            Some(svc) => self.reconcile_service(key, &svc, ctx),
            None => {
                self.cache.remove(key);
                self.tracker.delete_service(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The per-Service endpoint cache must be invisible: after any change, a long-lived
    //! controller (which recomputes only what it thinks changed) leaves exactly the slices a
    //! fresh controller (which computes everything) would write.

    use super::*;
    use crate::controllers::test_support::{
        assert_long_lived_matches_fresh, modify, reconcile_web, world, Change,
    };

    /// Hands every pending watch event to the controller; returns the keys it queued.
    fn dispatch(c: &mut EndpointSliceController, api: &mut ApiServer) -> Vec<(Millis, String)> {
        let mut queue = Queue::default();
        for ev in api.take_watch_events() {
            c.on_event(&ev, api, &Infra::default(), &mut queue);
        }
        let mut keys: Vec<_> = queue
            .items
            .iter()
            .map(|(d, k)| (*d, k.to_string()))
            .collect();
        keys.dedup();
        keys
    }

    fn web_slice(api: &ApiServer) -> Rc<EndpointSlice> {
        api.endpoint_slices
            .in_namespace("default")
            .find(|s| s.metadata.name.starts_with("web-"))
            .cloned()
            .expect("a slice of web")
    }

    /// As upstream's `EndpointSliceTracker`: the controller's own slice writes bring no sync
    /// of the Service; someone else's change or deletion of a slice does, one second later.
    #[test]
    fn only_slices_changed_by_someone_else_bring_a_sync_after_the_minimum_delay() {
        let mut api = world(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        let mut c = EndpointSliceController::default();
        dispatch(&mut c, &mut api);
        reconcile_web(&mut c, &mut api);
        assert_eq!(dispatch(&mut c, &mut api), [], "its own create");
        modify::<Pod>(&mut api, "default", "web-0", |p| {
            p.status.conditions.clear()
        });
        dispatch(&mut c, &mut api);
        reconcile_web(&mut c, &mut api);
        assert_eq!(web_slice(&api).metadata.generation, 2);
        assert_eq!(dispatch(&mut c, &mut api), [], "its own update");

        let name = web_slice(&api).metadata.name.to_string();
        modify::<EndpointSlice>(&mut api, "default", &name, |s| {
            s.metadata.annotations.insert("note".into(), "hi".into());
        });
        assert_eq!(
            dispatch(&mut c, &mut api),
            [],
            "metadata only: same generation"
        );
        modify::<EndpointSlice>(&mut api, "default", &name, |s| s.endpoints = None);
        assert_eq!(
            dispatch(&mut c, &mut api),
            [(1_000, "default/web".to_string())],
            "someone else's change"
        );
        reconcile_web(&mut c, &mut api);
        assert_eq!(web_slice(&api).endpoints.as_ref().map(Vec::len), Some(3));
        assert_eq!(dispatch(&mut c, &mut api), [], "its own repair");

        api.remove::<EndpointSlice>("default", &name)
            .expect("delete");
        assert_eq!(
            dispatch(&mut c, &mut api),
            [(1_000, "default/web".to_string())],
            "an unexpected deletion"
        );
    }

    #[test]
    fn its_own_deletions_bring_no_sync() {
        let mut api = world(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        let mut c = EndpointSliceController::new(1);
        dispatch(&mut c, &mut api);
        reconcile_web(&mut c, &mut api);
        dispatch(&mut c, &mut api);
        assert_eq!(api.endpoint_slices.len(), 3);
        for pod in ["web-1", "web-2"] {
            api.remove::<Pod>("default", pod).expect("delete");
        }
        dispatch(&mut c, &mut api);
        reconcile_web(&mut c, &mut api);
        assert_eq!(api.endpoint_slices.len(), 1, "two slices deleted");
        assert_eq!(dispatch(&mut c, &mut api), []);
    }

    fn slices(api: &ApiServer) -> Vec<EndpointSlice> {
        api.endpoint_slices
            .in_namespace("default")
            .map(|s| (**s).clone())
            .collect()
    }

    #[test]
    fn a_long_lived_controller_writes_what_a_fresh_one_would() {
        let specific: &[Change] = &[("a pod's node gains a zone", |api| {
            modify::<Node>(api, "", "node-1", |n| {
                n.metadata
                    .labels
                    .insert(super::super::pod_cache::ZONE_LABEL.into(), "zone-a".into());
            })
        })];
        assert_long_lived_matches_fresh::<EndpointSliceController, _>(
            ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
            specific,
            slices,
        );
    }

    /// The ports memo hands the pods of one template one shared port list, and resolves a
    /// named targetPort again for a pod of another template.
    #[test]
    fn pods_of_one_template_share_their_ports_and_others_resolve_their_own() {
        use crate::api::core::{Container, ContainerPort, ServicePort};
        let template = |port: i32| -> Shared<Vec<Container>> {
            Shared::new(vec![Container {
                name: "app".into(),
                ports: vec![ContainerPort {
                    name: Some("http".into()),
                    container_port: port,
                    ..Default::default()
                }],
                ..Default::default()
            }])
        };
        let pod = |containers: &Shared<Vec<Container>>| {
            let mut p = Pod::default();
            p.spec.containers = containers.clone();
            p
        };
        let mut svc = Service::default();
        svc.spec.ports = vec![ServicePort {
            port: 80,
            target_port: Some(IntOrString::String("http".into())),
            ..Default::default()
        }];
        let svc = Rc::new(svc);
        let (v1, v2) = (template(8080), template(9090));
        let mut memo = PortsMemo::default();
        let a = memo.ports(&svc, &pod(&v1));
        let b = memo.ports(&svc, &pod(&v1));
        let c = memo.ports(&svc, &pod(&v2));
        assert!(Shared::ptr_eq(&a, &b));
        assert_eq!(a[0].port, Some(8080));
        assert_eq!(c[0].port, Some(9090));
        assert_eq!(*c, endpoint_ports(&svc, &pod(&v2)));
        // Another version of the Service (here: another target port) resolves anew.
        let mut svc2 = (*svc).clone();
        svc2.spec.ports[0].target_port = Some(IntOrString::Int(7070));
        let d = memo.ports(&Rc::new(svc2), &pod(&v2));
        assert_eq!(d[0].port, Some(7070));
    }

    /// A pod event names every Service that selected the pod before or after it, once each,
    /// in key order: the queue order (and so the trace) depends on it.
    #[test]
    fn a_pod_event_names_the_services_selecting_it_before_or_after_once_each_in_order() {
        use crate::apiserver::WatchEventType;
        let sel = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let mut index = ServiceSelectorIndex::default();
        let key = |ns: &str, n: &str| ObjectKey::new(ns, n);
        index.set(&key("default", "web"), Some(&sel(&[("app", "web")])));
        index.set(
            &key("default", "web-v2"),
            Some(&sel(&[("app", "web"), ("v", "2")])),
        );
        index.set(&key("default", "api"), Some(&sel(&[("app", "api")])));
        index.set(&key("default", "all"), Some(&sel(&[])));
        index.set(&key("other", "web"), Some(&sel(&[("app", "web")])));
        index.set(&key("default", "gone"), Some(&sel(&[("app", "web")])));
        index.set(&key("default", "gone"), None);
        let pod = |labels: &[(&str, &str)]| {
            let mut p = Pod::default();
            p.metadata.namespace = "default".into();
            p.metadata.name = "p".into();
            p.metadata.labels = sel(labels).into();
            Object::Pod(Rc::new(p))
        };
        let event = |old: Option<Object>, new: Option<Object>| WatchEvent {
            resource_version: 1,
            type_: WatchEventType::Modified,
            key: key("default", "p"),
            old,
            new,
        };
        let names = |index: &mut ServiceSelectorIndex, ev: &WatchEvent| -> Vec<String> {
            index
                .services_for_event(ev)
                .iter()
                .map(|k| format!("{}/{}", k.namespace, k.name))
                .collect()
        };
        // Relabelled from v=2 web to api: web and web-v2 (before), api (after), all (both).
        let relabel = event(
            Some(pod(&[("app", "web"), ("v", "2")])),
            Some(pod(&[("app", "api")])),
        );
        assert_eq!(
            names(&mut index, &relabel),
            [
                "default/all",
                "default/api",
                "default/web",
                "default/web-v2"
            ]
        );
        // A status write: the same labels before and after, each Service once.
        let status = event(Some(pod(&[("app", "web")])), Some(pod(&[("app", "web")])));
        assert_eq!(names(&mut index, &status), ["default/all", "default/web"]);
        let created = event(None, Some(pod(&[("v", "2")])));
        assert_eq!(names(&mut index, &created), ["default/all"]);
    }
}
