//! The ReplicaSet controller (`pkg/controller/replicaset/replica_set.go`) and the
//! ReplicationController manager (`pkg/controller/replication`), which upstream is the same
//! code behind an adapter: one generic [`ReplicaManager`] over [`ReplicaOwner`].
//!
//! One sync of a ReplicaSet (`syncReplicaSet`):
//! 1. claim pods (`ClaimPods`): of the *active* pods (§2: not terminal, no deletionTimestamp)
//!    that match the selector or name this ReplicaSet as controller, adopt matching orphans
//!    (controller ownerReference) and release owned pods whose labels stopped matching (remove
//!    the ownerReference: the pod keeps running, orphaned);
//! 2. `manageReplicas`: create the missing pods in slow-start batches (at most `burstReplicas`
//!    per sync) from the template with `generateName: <name>-`, or delete the surplus chosen by
//!    `ActivePodsWithRanks`, gracefully through the API server;
//! 3. write `status` computed from the pods claimed in step 1 (as upstream, before step 2's
//!    writes, which come back as watch events and trigger the next sync).
//!
//! Upstream needs "expectations" because its informer caches lag behind its own writes; here a
//! reconcile reads the API server's store directly, so every sync sees its predecessors' writes
//! and expectations are unnecessary.

use super::controller_utils::{
    deletion_cost_from_annotation, is_pod_available, pods_to_delete, replica_diff,
    slow_start_batches, PodRankInfo, RankFeatures, ReplicaDiff, POD_DELETION_COST_ANNOTATION,
};
use super::{Controller, Ctx, Queue};
use crate::api::core::{PodTemplateSpec, ReplicaStatus};
use crate::api::meta::{Extra, StringMap};
use crate::api::shared::Shared;
use crate::api::*;
use crate::apiserver::admission::Admit;
use crate::apiserver::{
    ApiServer, DeleteOptions, EventMessage, FieldPath, ObjectKey, Stored, WatchEvent,
    WatchEventType,
};
use crate::infra::Infra;
use crate::labels::{Selector, SelectorCache};
use crate::time::{Millis, Time, EPOCH_UNIX_MS};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::rc::Rc;

/// A workload kind that keeps N replicas of a pod template: ReplicaSet or ReplicationController.
pub trait ReplicaOwner: Stored + Admit {
    /// `source.component` of the events it records and the controller's name.
    const COMPONENT: &'static str;
    /// The pod selector, or `None` when it cannot select anything sensible (unparseable, or
    /// empty: the API server rejects both, so such an object is left alone).
    fn pod_selector(&self) -> Option<Selector>;
    /// [`ReplicaOwner::pod_selector`] through the controller's memo of parsed selectors
    /// (`key` is the owner's store key: it chooses the memo).
    fn cached_pod_selector(
        &self,
        _key: &ObjectKey,
        _cache: &mut SelectorCache<ObjectKey>,
    ) -> Option<Rc<Selector>> {
        self.pod_selector().map(Rc::new)
    }
    /// The `matchLabels` part of the selector, used to narrow the candidate pods through the
    /// label index (empty = look at the whole namespace).
    fn selector_match_labels(&self) -> Shared<StringMap>;
    /// `spec.replicas` (default 1).
    fn desired_replicas(&self) -> i32;
    /// `spec.minReadySeconds` (default 0).
    fn min_ready_seconds(&self) -> i32;
    /// `spec.template`.
    fn pod_template(&self) -> Option<&PodTemplateSpec>;
    /// `status`.
    fn replica_status(&self) -> &ReplicaStatus;
    /// `status`, mutably.
    fn replica_status_mut(&mut self) -> &mut ReplicaStatus;
}

impl ReplicaOwner for ReplicaSet {
    const COMPONENT: &'static str = "replicaset-controller";
    fn pod_selector(&self) -> Option<Selector> {
        let s = Selector::from_label_selector(self.spec.selector.as_ref()).ok()?;
        (!s.is_empty() && !s.matches_nothing()).then_some(s)
    }
    fn cached_pod_selector(
        &self,
        key: &ObjectKey,
        cache: &mut SelectorCache<ObjectKey>,
    ) -> Option<Rc<Selector>> {
        let s = cache.get(key, self.spec.selector.as_ref()).ok()?;
        (!s.is_empty() && !s.matches_nothing()).then_some(s)
    }
    fn selector_match_labels(&self) -> Shared<StringMap> {
        self.spec
            .selector
            .as_ref()
            .map(|s| s.match_labels.clone())
            .unwrap_or_default()
    }
    fn desired_replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }
    fn min_ready_seconds(&self) -> i32 {
        self.spec.min_ready_seconds.unwrap_or(0)
    }
    fn pod_template(&self) -> Option<&PodTemplateSpec> {
        Some(&self.spec.template)
    }
    fn replica_status(&self) -> &ReplicaStatus {
        &self.status
    }
    fn replica_status_mut(&mut self) -> &mut ReplicaStatus {
        &mut self.status
    }
}

impl ReplicationController {
    /// The equality selector; `SetDefaults_ReplicationController` fills an absent one from the
    /// template's labels.
    fn selector_map(&self) -> StringMap {
        match &self.spec.selector {
            Some(s) if !s.is_empty() => s.clone(),
            _ => self
                .spec
                .template
                .as_ref()
                .map(|t| (*t.metadata.labels).clone())
                .unwrap_or_default(),
        }
    }
}

impl ReplicaOwner for ReplicationController {
    const COMPONENT: &'static str = "replication-controller";
    fn pod_selector(&self) -> Option<Selector> {
        let map = self.selector_map();
        (!map.is_empty()).then(|| Selector::from_validated_set(&map))
    }
    fn selector_match_labels(&self) -> Shared<StringMap> {
        self.selector_map().into()
    }
    fn desired_replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }
    fn min_ready_seconds(&self) -> i32 {
        self.spec.min_ready_seconds.unwrap_or(0)
    }
    fn pod_template(&self) -> Option<&PodTemplateSpec> {
        self.spec.template.as_ref()
    }
    fn replica_status(&self) -> &ReplicaStatus {
        &self.status
    }
    fn replica_status_mut(&mut self) -> &mut ReplicaStatus {
        &mut self.status
    }
}

/// The controller keeping `T`s' pod counts: [`ReplicaSetController`] or [`ReplicationManager`].
pub struct ReplicaManager<T> {
    /// Namespace → number of pods in it without a controller ownerReference, followed from
    /// the pod watch events. Only orphans can be adopted, so while a namespace has none a
    /// sync claims from the owner's own pods (the owner index) and skips the label-index
    /// search for adoptable pods, which every pod of a big cluster would otherwise pay for.
    orphans: FxHashMap<SharedStr, usize>,
    /// The owners' parsed selectors: a sync needs its owner's, and the owner is rewritten
    /// (status) far more often than its selector changes.
    selectors: SelectorCache<ObjectKey>,
    _kind: PhantomData<fn() -> T>,
}

impl<T> Default for ReplicaManager<T> {
    fn default() -> Self {
        ReplicaManager {
            orphans: FxHashMap::default(),
            selectors: SelectorCache::default(),
            _kind: PhantomData,
        }
    }
}

/// The ReplicaSet controller.
pub type ReplicaSetController = ReplicaManager<ReplicaSet>;
/// The ReplicationController manager.
pub type ReplicationManager = ReplicaManager<ReplicationController>;

/// Virtual milliseconds of a timestamp, signed (times before the simulation are negative).
pub(crate) fn virtual_ms(t: Time) -> i64 {
    t.unix_ms() - EPOCH_UNIX_MS
}

/// `IsPodReady`.
pub fn pod_ready(p: &Pod) -> bool {
    ready_condition(p).is_some_and(|(ready, _)| ready)
}

/// The Ready condition's status and lastTransitionTime (virtual ms).
fn ready_condition(p: &Pod) -> Option<(bool, Option<i64>)> {
    p.status
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| (c.status == "True", c.last_transition_time.map(virtual_ms)))
}

/// `IsPodActive`: not Succeeded, not Failed, not being deleted.
pub fn pod_active(p: &Pod) -> bool {
    !matches!(
        p.status.phase.as_deref(),
        Some("Succeeded") | Some("Failed")
    ) && p.metadata.deletion_timestamp.is_none()
}

/// What the scale-down ordering reads from a pod.
pub fn rank_info(p: &Pod) -> PodRankInfo {
    let (ready, ready_transition_ms) = ready_condition(p).unwrap_or((false, None));
    PodRankInfo {
        uid: p.metadata.uid.clone(),
        node_name: p.spec.node_name.clone(),
        phase: p.status.phase.as_deref().unwrap_or_default().to_string(),
        ready,
        ready_transition_ms,
        deletion_cost: deletion_cost_from_annotation(
            p.metadata
                .annotations
                .get(POD_DELETION_COST_ANNOTATION)
                .map(String::as_str),
        ),
        max_restarts: p
            .status
            .container_statuses
            .iter()
            .map(|c| c.restart_count)
            .max()
            .unwrap_or(0),
        max_sidecar_restarts: 0,
        creation_ms: p.metadata.creation_timestamp.map(virtual_ms),
        terminating: p.metadata.deletion_timestamp.is_some(),
    }
}

/// The controller ownerReference an owner stamps on what it creates or adopts
/// (`metav1.NewControllerRef`).
pub fn controller_ref<T: Resource>(owner: &T) -> OwnerReference {
    OwnerReference {
        api_version: T::KIND.api_version().into(),
        kind: T::KIND.name().into(),
        name: owner.meta().name.clone(),
        uid: owner.meta().uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// `resolveControllerRef`: the `T` a controllerRef names, if it exists with that UID.
pub fn resolve_controller<T: Stored>(
    api: &ApiServer,
    namespace: &str,
    r: &OwnerReference,
) -> Option<Rc<T>> {
    resolve_controller_entry::<T>(api, namespace, r).map(|(_, o)| o.clone())
}

/// [`resolve_controller`] with the store's key of the controller (a shared copy, no new key).
pub(crate) fn resolve_controller_entry<'a, T: Stored>(
    api: &'a ApiServer,
    namespace: &str,
    r: &OwnerReference,
) -> Option<(&'a ObjectKey, &'a Rc<T>)> {
    if r.kind != T::KIND.name() {
        return None;
    }
    T::store(api)
        .get_entry(namespace, &r.name)
        .filter(|(_, o)| o.meta().uid == r.uid)
}

/// Objects of kind `T` in `namespace` whose labels contain every pair of `match_labels` (all
/// of the namespace when it is empty), found through the label index.
fn candidates<T: Stored>(api: &ApiServer, namespace: &str, match_labels: &StringMap) -> Vec<Rc<T>> {
    T::store(api).matching_labels(namespace, match_labels)
}

impl<T: ReplicaOwner> ReplicaManager<T> {
    /// `getPodReplicaSets`: the owners in the pod's namespace whose selector matches it.
    fn owners_selecting(api: &ApiServer, pod: &Pod) -> Vec<ObjectKey> {
        T::store(api)
            .in_namespace(&pod.metadata.namespace)
            .filter(|o| {
                o.pod_selector()
                    .is_some_and(|s| s.matches(&pod.metadata.labels))
            })
            .map(|o| ObjectKey::of(&**o))
            .collect()
    }

    fn enqueue_controller_of(api: &ApiServer, pod: &Pod, queue: &mut Queue) -> bool {
        match pod.metadata.controller_ref() {
            Some(r) => {
                if let Some((key, _)) =
                    resolve_controller_entry::<T>(api, &pod.metadata.namespace, r)
                {
                    queue.add(key.clone());
                }
                true
            }
            None => false,
        }
    }

    fn on_pod_event(ev: &WatchEvent, api: &ApiServer, queue: &mut Queue) {
        let old = match &ev.old {
            Some(Object::Pod(p)) => Some(p),
            _ => None,
        };
        let new = match &ev.new {
            Some(Object::Pod(p)) => Some(p),
            _ => None,
        };
        match (ev.type_, old, new) {
            (WatchEventType::Added, _, Some(p)) => {
                let controlled = Self::enqueue_controller_of(api, p, queue);
                if controlled || p.metadata.deletion_timestamp.is_some() {
                    return;
                }
                // An orphan wakes every owner that could adopt it.
                for k in Self::owners_selecting(api, p) {
                    queue.add(k);
                }
            }
            (WatchEventType::Modified, Some(o), Some(n)) => {
                let labels_changed = o.metadata.labels != n.metadata.labels;
                if n.metadata.deletion_timestamp.is_some() {
                    Self::enqueue_controller_of(api, n, queue);
                    if labels_changed {
                        Self::enqueue_controller_of(api, o, queue);
                    }
                    return;
                }
                let ref_changed = o.metadata.controller_ref() != n.metadata.controller_ref();
                if ref_changed {
                    Self::enqueue_controller_of(api, o, queue);
                }
                if !Self::enqueue_controller_of(api, n, queue) && (labels_changed || ref_changed) {
                    for k in Self::owners_selecting(api, n) {
                        queue.add(k);
                    }
                }
            }
            (WatchEventType::Deleted, Some(p), _) => {
                Self::enqueue_controller_of(api, p, queue);
            }
            _ => {}
        }
    }

    /// Follows a pod event in the per-namespace orphan counts.
    fn count_orphans(&mut self, ev: &WatchEvent) {
        fn orphan(o: &Option<Object>) -> Option<&str> {
            match o {
                Some(Object::Pod(p)) if p.metadata.controller_ref().is_none() => {
                    Some(p.metadata.namespace.as_str())
                }
                _ => None,
            }
        }
        if let Some(ns) = orphan(&ev.old) {
            if let Some(n) = self.orphans.get_mut(ns) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.orphans.remove(ns);
                }
            }
        }
        if let Some(ns) = orphan(&ev.new) {
            *self.orphans.entry(ns.into()).or_default() += 1;
        }
    }

    /// `ClaimPods` over the active candidates: returns the pods this owner now controls.
    ///
    /// The candidates are the pods naming the owner in their ownerReferences plus, when the
    /// namespace has orphans, the pods the label index finds for the selector: the others
    /// (controlled by someone else) are ignored by the claim anyway.
    fn claim_pods(&self, owner: &T, selector: &Selector, ctx: &mut Ctx<'_>) -> Vec<Rc<Pod>> {
        let m = owner.meta();
        let owned = ctx.api.pods.owned_by(&m.uid);
        let pool = if self.orphans.contains_key(&m.namespace) {
            let selected = candidates::<Pod>(ctx.api, &m.namespace, &owner.selector_match_labels());
            in_key_order(selected, owned)
        } else {
            debug_assert!(
                candidates::<Pod>(ctx.api, &m.namespace, &owner.selector_match_labels())
                    .iter()
                    .all(|p| p.metadata.controller_ref().is_some()),
                "orphan count out of step with the store"
            );
            owned
        };
        let pool = pool.into_iter().filter(|p| pod_active(p)).collect();
        claim_objects(owner, selector, pool, ctx.api)
    }

    /// `getIndirectlyRelatedPods`: pods selected by every owner sharing this one's controller
    /// (all ReplicaSets of one Deployment); none for an owner without a controller.
    fn related_pods(owner: &T, api: &ApiServer) -> Vec<PodRankInfo> {
        let m = owner.meta();
        let Some(cref) = m.controller_ref() else {
            return Vec::new();
        };
        let mut seen: BTreeMap<SharedStr, PodRankInfo> = BTreeMap::new();
        let mut siblings: Vec<Rc<T>> = T::store(api)
            .owned_by(&cref.uid)
            .into_iter()
            .filter(|s| s.meta().controller_ref().is_some_and(|r| r.uid == cref.uid))
            .filter(|s| s.meta().namespace == m.namespace)
            .collect();
        crate::sort::sort_by(&mut siblings, |a, b| a.meta().name.cmp(&b.meta().name));
        for s in siblings {
            let Some(sel) = s.pod_selector() else {
                continue;
            };
            for p in candidates::<Pod>(api, &m.namespace, &s.selector_match_labels()) {
                if sel.matches(&p.metadata.labels) {
                    seen.entry(p.metadata.uid.clone())
                        .or_insert_with(|| rank_info(&p));
                }
            }
        }
        seen.into_values().collect()
    }

    fn event(
        ctx: &mut Ctx<'_>,
        owner: &Rc<T>,
        type_: &'static str,
        reason: &'static str,
        message: EventMessage,
    ) {
        ctx.api.record_event_about(
            owner,
            FieldPath::Whole,
            type_,
            reason,
            message,
            T::COMPONENT,
            None,
        );
    }

    /// `manageReplicas`.
    fn manage_replicas(owner: &Rc<T>, claimed: &[Rc<Pod>], ctx: &mut Ctx<'_>) {
        let m = owner.meta();
        match replica_diff(claimed.len(), owner.desired_replicas()) {
            ReplicaDiff::None => {}
            ReplicaDiff::Create(count) => {
                let Some(template) = owner.pod_template() else {
                    return;
                };
                let stamp = PodStamp::new(template, &**owner);
                for batch in slow_start_batches(count) {
                    let mut failed = false;
                    for _ in 0..batch {
                        let pod = stamp.pod();
                        match ctx.api.create(pod) {
                            Ok(p) => Self::event(
                                ctx,
                                owner,
                                "Normal",
                                "SuccessfulCreate",
                                super::event_messages::created_pod(&p.metadata.name),
                            ),
                            Err(e) => {
                                failed = true;
                                Self::event(
                                    ctx,
                                    owner,
                                    "Warning",
                                    "FailedCreate",
                                    format!("Error creating: {}", e.message).into(),
                                );
                            }
                        }
                    }
                    // slowStartBatch: a failing batch stops the rest of this sync.
                    if failed {
                        break;
                    }
                }
            }
            ReplicaDiff::Delete(count) => {
                let infos: Vec<PodRankInfo> = claimed.iter().map(|p| rank_info(p)).collect();
                let related = Self::related_pods(owner, ctx.api);
                let now = i64::try_from(ctx.api.now).ok();
                let victims = pods_to_delete(&infos, &related, count, now, RankFeatures::default());
                for i in victims {
                    let Some(pod) = claimed.get(i) else { continue };
                    let name = pod.metadata.name.clone();
                    match ctx
                        .api
                        .delete::<Pod>(&m.namespace, &name, DeleteOptions::default())
                    {
                        Ok(_) => Self::event(
                            ctx,
                            owner,
                            "Normal",
                            "SuccessfulDelete",
                            super::event_messages::deleted_pod(&name),
                        ),
                        Err(e) if e.reason == crate::apiserver::StatusReason::NotFound => {}
                        Err(e) => Self::event(
                            ctx,
                            owner,
                            "Warning",
                            "FailedDelete",
                            format!("Error deleting: {}", e.message).into(),
                        ),
                    }
                }
            }
        }
    }

    /// `calculateStatus` over the claimed (active) pods, and the instant (virtual ms) at which
    /// the next Ready pod becomes available, if one is waiting out `minReadySeconds`.
    fn calculate_status(
        owner: &T,
        claimed: &[Rc<Pod>],
        now: Millis,
    ) -> (ReplicaStatus, Option<i64>) {
        let no_labels = Shared::default();
        let template_labels = owner
            .pod_template()
            .map_or(&no_labels, |t| &t.metadata.labels);
        let min_ready = owner.min_ready_seconds();
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let mut status = ReplicaStatus {
            replicas: i32::try_from(claimed.len()).unwrap_or(i32::MAX),
            observed_generation: owner.meta().generation,
            ..Default::default()
        };
        let mut next_available: Option<i64> = None;
        for p in claimed {
            // A pod stamped from the template still shares its label map.
            if Shared::ptr_eq(template_labels, &p.metadata.labels)
                || template_labels
                    .iter()
                    .all(|(k, v)| p.metadata.labels.get(k) == Some(v))
            {
                status.fully_labeled_replicas += 1;
            }
            let Some((true, since)) = ready_condition(p) else {
                continue;
            };
            status.ready_replicas += 1;
            if is_pod_available(true, since, min_ready, now) {
                status.available_replicas += 1;
            } else if let Some(t) = since {
                // Available once strictly more than minReadySeconds have passed.
                let at = t.saturating_add(i64::from(min_ready).saturating_mul(1000)) + 1;
                next_available = Some(next_available.map_or(at, |n| n.min(at)));
            }
        }
        (status, next_available)
    }

    fn sync(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let Some(owner) = ctx.api.get_by_key::<T>(key) else {
            // Gone: its pods are the garbage collector's.
            return;
        };
        let Some(selector) = owner.cached_pod_selector(key, &mut self.selectors) else {
            return;
        };
        let claimed = self.claim_pods(&owner, &selector, ctx);
        // Only a template whose pods the selector would select can be stamped out; the API
        // server rejects any other, and creating unselectable pods would never converge.
        let template_selectable = owner
            .pod_template()
            .is_some_and(|t| selector.matches(&t.metadata.labels));
        if owner.meta().deletion_timestamp.is_none() && template_selectable {
            Self::manage_replicas(&owner, &claimed, ctx);
        }
        let (status, next_available) = Self::calculate_status(&owner, &claimed, ctx.api.now);
        if *owner.replica_status() != status {
            let _ = ctx.api.modify::<T>(&key.namespace, &key.name, |o| {
                *o.replica_status_mut() = status;
            });
        }
        if let Some(at) = next_available {
            let now = i64::try_from(ctx.api.now).unwrap_or(i64::MAX);
            let delay = u64::try_from(at.saturating_sub(now)).unwrap_or(0).max(1);
            ctx.queue.add_after(key.clone(), delay);
        }
    }
}

/// The union of two lists of objects each ordered by namespace then name (as the store lists
/// them), in that order, each object once.
pub fn in_key_order<T: Resource>(a: Vec<Rc<T>>, b: Vec<Rc<T>>) -> Vec<Rc<T>> {
    if a.is_empty() {
        return b;
    }
    fn key<T: Resource>(o: &Rc<T>) -> (&str, &str) {
        let m = o.meta();
        (m.namespace.as_str(), m.name.as_str())
    }
    let mut all = a;
    all.extend(b);
    crate::sort::sort_by(&mut all, |x, y| key(x).cmp(&key(y)));
    all.dedup_by(|x, y| key(x) == key(y));
    all
}

/// `ControllerRefManager.ClaimObject` over `pool` (objects ordered by namespace then name):
/// keeps those `owner` controls whose labels match, adopts matching orphans that are not being
/// deleted (controller ownerReference), releases controlled ones whose labels stopped matching
/// (removes the ownerReference; the object itself is left alone), and ignores objects of other
/// namespaces and objects another controller owns. Returns the objects `owner` now controls,
/// in pool order.
pub fn claim_objects<O: Resource, T: Stored + Admit>(
    owner: &O,
    selector: &Selector,
    pool: Vec<Rc<T>>,
    api: &mut ApiServer,
) -> Vec<Rc<T>> {
    let m = owner.meta();
    let owner_deleting = m.deletion_timestamp.is_some();
    let mut claimed = Vec::with_capacity(pool.len());
    // The objects an owner stamped out share their template's label map: the last map seen
    // and whether it matched answer for the next object holding the same map (the clone
    // keeps it alive, so the pointer comparison cannot meet a reused address).
    let mut last: Option<(Shared<StringMap>, bool)> = None;
    for obj in pool {
        let om = obj.meta();
        if om.namespace != m.namespace {
            continue;
        }
        let matches = match &last {
            Some((labels, matched)) if Shared::ptr_eq(labels, &om.labels) => *matched,
            _ => {
                let matched = selector.matches(&om.labels);
                last = Some((om.labels.clone(), matched));
                matched
            }
        };
        match om.controller_ref() {
            Some(r) if r.uid != m.uid => {}
            Some(_) if matches => claimed.push(obj),
            Some(_) => {
                if owner_deleting {
                    continue;
                }
                let uid = m.uid.clone();
                let _ = api.modify::<T>(&om.namespace, &om.name, |o| {
                    o.meta_mut().owner_references.retain(|r| r.uid != uid);
                });
            }
            None if matches && !owner_deleting && om.deletion_timestamp.is_none() => {
                let r = controller_ref(owner);
                if let Ok(o) = api.modify::<T>(&om.namespace, &om.name, |o| {
                    let refs = &mut o.meta_mut().owner_references;
                    refs.retain(|x| x.uid != r.uid);
                    refs.push(r);
                }) {
                    claimed.push(o);
                }
            }
            None => {}
        }
    }
    claimed
}

/// `GetPodFromTemplate`: a pod named `<owner>-<random>` with the template's labels,
/// annotations, finalizers and spec, controlled by `owner`.
pub fn pod_from_template<T: Resource>(template: &PodTemplateSpec, owner: &T) -> Pod {
    PodStamp::new(template, owner).pod()
}

/// What every pod one sync creates from a template has in common, built once per sync: the
/// pods share the template's spec and labels and one copy of the controller ownerReference
/// (a write to either in one pod copies it first, so the pods stay independent).
struct PodStamp<'a> {
    template: &'a PodTemplateSpec,
    namespace: SharedStr,
    generate_name: SharedStr,
    owner_references: Shared<Vec<OwnerReference>>,
}

impl<'a> PodStamp<'a> {
    fn new<T: Resource>(template: &'a PodTemplateSpec, owner: &'a T) -> Self {
        let m = owner.meta();
        PodStamp {
            template,
            namespace: m.namespace.clone(),
            generate_name: format!("{}-", m.name).into(),
            owner_references: vec![controller_ref(owner)].into(),
        }
    }

    /// The pod `GetPodFromTemplate` builds.
    fn pod(&self) -> Pod {
        let t = &self.template.metadata;
        let mut extra = Extra::default();
        if let Some(f) = t.extra.get("finalizers") {
            extra.insert("finalizers".into(), f.clone());
        }
        Pod {
            api_version: Default::default(),
            kind: Default::default(),
            metadata: ObjectMeta {
                namespace: self.namespace.clone(),
                generate_name: self.generate_name.clone(),
                labels: t.labels.clone(),
                annotations: t.annotations.clone(),
                owner_references: self.owner_references.clone(),
                extra,
                ..Default::default()
            },
            // Built in place: `Pod::default()` would allocate a spec only to drop it.
            spec: self.template.spec.clone(),
            status: Default::default(),
        }
    }
}

impl<T: ReplicaOwner> Controller for ReplicaManager<T> {
    fn name(&self) -> &'static str {
        T::COMPONENT
    }

    fn on_event(&mut self, ev: &WatchEvent, api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        let kind = ev.kind();
        if kind == T::KIND {
            if ev.type_ == WatchEventType::Deleted {
                self.selectors.forget(&ev.key);
            }
            queue.add(ev.key.clone());
        } else if kind == Kind::Pod {
            self.count_orphans(ev);
            Self::on_pod_event(ev, api, queue);
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        self.sync(key, ctx);
    }
}
