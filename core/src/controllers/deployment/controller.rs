//! The Deployment controller proper (`deployment_controller.go` `syncDeployment`): maps the
//! store's Deployment and ReplicaSets to the snapshots the planners read, runs one planner
//! (paused / scaling event → [`sync::sync_scaling_or_paused`], Recreate →
//! [`recreate::rollout_recreate`], RollingUpdate → [`rolling::rollout_rolling`]), applies the
//! returned [`RsAction`]s through the API server and writes the Deployment's status.
//!
//! Upstream writes the Deployment's status several times per sync (after finding or creating
//! the new ReplicaSet, after pausing, at the end); here the status and the Deployment's
//! revision annotation are kept in memory during the sync and written once at its end, which
//! leaves the same object at the same virtual instant.

use super::sync::{
    calculate_status, check_paused_conditions, is_scaling_event,
    note_new_replica_set_create_failed, note_new_replica_set_created, note_new_replica_set_found,
    requeue_stuck_deployment, sync_rollout_status, sync_scaling_or_paused,
};
use super::util::{
    max_revision, DeploymentCondition as CondSnapshot, DeploymentParams, DeploymentStatusSnapshot,
    DeploymentStrategy as Strategy, RsAction, RsSnapshot, CONDITION_PROGRESSING,
    DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION,
    MAX_REV_HISTORY_LENGTH_IN_CHARS, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION,
};
use super::{recreate, rolling};
use crate::api::apps::{DeploymentCondition, DeploymentStatus};
use crate::api::core::{PodSpec, PodTemplateSpec};
use crate::api::shared::Shared;
use crate::api::*;
use crate::apiserver::defaults::set_defaults_deployment;
use crate::apiserver::{
    object_ref, ApiServer, DeleteOptions, EventMessage, ObjectKey, StatusReason, WatchEvent,
    WatchEventType,
};
use crate::controllers::replicaset::{
    claim_objects, controller_ref, in_key_order, resolve_controller, resolve_controller_entry,
    virtual_ms,
};
use crate::controllers::workqueue::RateLimiter;
use crate::controllers::{Controller, Ctx, Queue};
use crate::infra::Infra;
use crate::labels::{Selector, SelectorMemo};
use crate::sort::CollectOrdered;
use crate::time::{Millis, Time, EPOCH_UNIX_MS};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;

/// `source.component` of the Deployment controller's events.
pub const COMPONENT: &str = "deployment-controller";

/// Deployment annotations never copied to ReplicaSets (`annotationsToSkip`).
const ANNOTATIONS_NOT_COPIED: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    DESIRED_REPLICAS_ANNOTATION,
    MAX_REPLICAS_ANNOTATION,
    "deprecated.deployment.rollback.to",
];

/// The Deployment controller.
#[derive(Default)]
pub struct DeploymentController {
    /// Deployment key → what a sync derives from the Deployment's spec, remembered with what
    /// it was derived from (so an entry answers only for an unchanged input, whichever object
    /// the key names now). Keyed by the store key: its hash is computed once, and one lookup
    /// serves a whole sync. Boxed: the table stays small, so growing it moves 16-byte
    /// entries rather than whole memos.
    memos: FxHashMap<ObjectKey, Box<Memo>>,
    /// The work queue's rate limiter (`AddRateLimited`).
    rate_limiter: RateLimiter,
}

/// What a sync derives from one Deployment's spec.
#[derive(Default)]
struct Memo {
    /// The parsed selector.
    selector: SelectorMemo,
    /// [`params_of`]: defaulting builds and drops a whole Deployment, and only a spec change
    /// alters the result.
    params: Option<CachedParams>,
    /// The pod-template-hash last computed. Hashing serializes the whole template; a
    /// Deployment's template rarely changes while its ReplicaSets' status changes wake it
    /// once or more per pod.
    hash: Option<CachedHash>,
    /// Two pod specs found equal, kept (so neither can change: a write through a shared
    /// value copies it first): the Deployment's and its new ReplicaSet's, which the API
    /// server's defaulting of the ReplicaSet made separate copies of, compared twice a sync.
    same_spec: Option<(Shared<PodSpec>, Shared<PodSpec>)>,
}

/// [`params_of`] of a Deployment, with the fields it reads.
struct CachedParams {
    name: SharedStr,
    generation: i64,
    replicas: Option<i32>,
    strategy: crate::api::apps::DeploymentStrategy,
    min_ready_seconds: Option<i32>,
    revision_history_limit: Option<i32>,
    paused: bool,
    progress_deadline_seconds: Option<i32>,
    params: Option<Rc<DeploymentParams>>,
}

impl CachedParams {
    fn new(d: &Deployment) -> Self {
        let s = &d.spec;
        CachedParams {
            name: d.metadata.name.clone(),
            generation: d.metadata.generation,
            replicas: s.replicas,
            strategy: s.strategy.clone(),
            min_ready_seconds: s.min_ready_seconds,
            revision_history_limit: s.revision_history_limit,
            paused: s.paused,
            progress_deadline_seconds: s.progress_deadline_seconds,
            params: params_of(d).map(Rc::new),
        }
    }

    /// Whether `d` presents every field [`params_of`] reads as they were.
    fn computed_from(&self, d: &Deployment) -> bool {
        let s = &d.spec;
        self.name == d.metadata.name
            && self.generation == d.metadata.generation
            && self.replicas == s.replicas
            && self.strategy == s.strategy
            && self.min_ready_seconds == s.min_ready_seconds
            && self.revision_history_limit == s.revision_history_limit
            && self.paused == s.paused
            && self.progress_deadline_seconds == s.progress_deadline_seconds
    }
}

impl Memo {
    /// [`equal_ignore_hash`], remembering the last pair of equal specs it compared.
    fn templates_equal(&mut self, a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
        metadata_equal_ignore_hash(a, b) && self.specs_equal(&a.spec, &b.spec)
    }

    fn specs_equal(&mut self, a: &Shared<PodSpec>, b: &Shared<PodSpec>) -> bool {
        if Shared::ptr_eq(a, b) {
            return true;
        }
        if let Some((x, y)) = &self.same_spec {
            if (Shared::ptr_eq(x, a) && Shared::ptr_eq(y, b))
                || (Shared::ptr_eq(x, b) && Shared::ptr_eq(y, a))
            {
                return true;
            }
        }
        let equal = **a == **b;
        if equal {
            self.same_spec = Some((a.clone(), b.clone()));
        }
        equal
    }

    /// [`template_hash`] of `d`'s template and `collision_count`, and the name of the
    /// ReplicaSet with that hash (`<deployment>-<hash>`), from the memo when none of these changed
    /// since they were last computed (the template compares cheaply: copies of a stored
    /// template share their spec). Shared strings: a sync that finds them allocates nothing.
    fn template_hash(
        &mut self,
        d: &Deployment,
        collision_count: Option<i32>,
    ) -> (SharedStr, SharedStr) {
        let template = &d.spec.template;
        let cached = match self.hash.take() {
            Some(c)
                if c.collision_count == collision_count
                    && c.deployment_name == d.metadata.name
                    && c.template == *template =>
            {
                c
            }
            _ => {
                let hash = template_hash(template, collision_count);
                CachedHash {
                    template: template.clone(),
                    collision_count,
                    deployment_name: d.metadata.name.clone(),
                    rs_name: format!("{}-{}", d.metadata.name, hash).into(),
                    hash: hash.into(),
                }
            }
        };
        let names = (cached.hash.clone(), cached.rs_name.clone());
        self.hash = Some(cached);
        names
    }

    /// [`params_of`] `d`, from the memo while the fields it reads are unchanged.
    fn params_of(&mut self, d: &Deployment) -> Option<Rc<DeploymentParams>> {
        match &mut self.params {
            Some(c) if c.computed_from(d) => {}
            slot => *slot = Some(CachedParams::new(d)),
        }
        self.params.as_ref().and_then(|c| c.params.clone())
    }
}

/// A pod-template-hash, the new ReplicaSet's name, and what they were computed from.
struct CachedHash {
    template: PodTemplateSpec,
    collision_count: Option<i32>,
    deployment_name: SharedStr,
    /// The pod-template-hash.
    hash: SharedStr,
    /// The name of the ReplicaSet with this hash.
    rs_name: SharedStr,
}

/// Writes `v` as JSON with every object's keys sorted, so the bytes do not depend on how
/// serde_json orders maps in a given build.
///
/// Keys and scalars are written straight to `out` (as `to_string` would render them), and an
/// object is sorted only if it is not in order already (serde_json's map keeps its keys sorted
/// unless a crate turns on `preserve_order`): the hash of a template allocates nothing here.
fn canonical_json<W: std::io::Write>(v: &Value, out: &mut W) -> serde_json::Result<()> {
    match v {
        Value::Object(map) => {
            out.write_all(b"{").map_err(serde_json::Error::io)?;
            let mut write_entry = |i: usize, k: &String, v: &Value| {
                if i > 0 {
                    out.write_all(b",").map_err(serde_json::Error::io)?;
                }
                serde_json::to_writer(&mut *out, k)?;
                out.write_all(b":").map_err(serde_json::Error::io)?;
                canonical_json(v, out)
            };
            if map.keys().is_sorted() {
                for (i, (k, v)) in map.iter().enumerate() {
                    write_entry(i, k, v)?;
                }
            } else {
                let sorted: BTreeMap<&String, &Value> = map.iter().collect_map();
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    write_entry(i, k, v)?;
                }
            }
            out.write_all(b"}").map_err(serde_json::Error::io)
        }
        Value::Array(items) => {
            out.write_all(b"[").map_err(serde_json::Error::io)?;
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",").map_err(serde_json::Error::io)?;
                }
                canonical_json(v, out)?;
            }
            out.write_all(b"]").map_err(serde_json::Error::io)
        }
        other => serde_json::to_writer(out, other),
    }
}

/// The template without the `pod-template-hash` label.
fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    t.metadata
        .labels
        .remove(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY);
    t
}

/// `ComputeHash` over canonical JSON of the template (hash label removed) and the collision
/// count. Upstream hashes a Go `spew` dump, so values differ from a real cluster's; the
/// character set, length and sensitivity to template changes are the same (spec §1.10).
pub fn template_hash(t: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    // A Deployment's template seldom carries the label: copy it only to drop the label.
    let value = if t
        .metadata
        .labels
        .contains_key(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY)
    {
        serde_json::to_value(without_hash(t))
    } else {
        serde_json::to_value(t)
    };
    // Hashed as written: the canonical bytes are never kept. Writing cannot fail: the hasher
    // accepts every write, and a `Value`'s keys are strings.
    let mut h = super::util::Fnv32a::default();
    let _ = canonical_json(&value.unwrap_or(Value::Null), &mut h);
    super::util::finish_pod_template_hash(h, collision_count)
}

/// `EqualIgnoreHash`: templates equal once the `pod-template-hash` label is removed.
///
/// Compared field by field rather than on copies without the label: a sync compares the
/// Deployment's template with every ReplicaSet's, twice. The destructuring names every field
/// of `ObjectMeta`, so a field added there cannot be silently left out of the comparison.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    a.spec == b.spec && metadata_equal_ignore_hash(a, b)
}

/// The metadata half of [`equal_ignore_hash`].
fn metadata_equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let ObjectMeta {
        name,
        generate_name,
        namespace,
        uid,
        resource_version,
        generation,
        creation_timestamp,
        deletion_timestamp,
        deletion_grace_period_seconds,
        labels,
        annotations,
        owner_references,
        extra,
    } = &a.metadata;
    let m = &b.metadata;
    *name == m.name
        && *generate_name == m.generate_name
        && *namespace == m.namespace
        && *uid == m.uid
        && *resource_version == m.resource_version
        && *generation == m.generation
        && *creation_timestamp == m.creation_timestamp
        && *deletion_timestamp == m.deletion_timestamp
        && *deletion_grace_period_seconds == m.deletion_grace_period_seconds
        && *annotations == m.annotations
        && *owner_references == m.owner_references
        && *extra == m.extra
        && labels
            .iter()
            .filter(|(k, _)| k.as_str() != DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY)
            .eq(m
                .labels
                .iter()
                .filter(|(k, _)| k.as_str() != DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY))
}

/// The arithmetic's view of a Deployment (after API defaulting); `None` for a strategy type
/// the controller does not support (validation rejects it).
fn params_of(d: &Deployment) -> Option<DeploymentParams> {
    // Defaulted on a copy of what the arithmetic reads: the template, the selector and the
    // status are left out (defaulting a shared template spec would copy it, every sync).
    let mut d2 = Deployment {
        metadata: ObjectMeta {
            name: d.metadata.name.clone(),
            generation: d.metadata.generation,
            ..Default::default()
        },
        spec: crate::api::apps::DeploymentSpec {
            replicas: d.spec.replicas,
            selector: None,
            template: Default::default(),
            strategy: d.spec.strategy.clone(),
            min_ready_seconds: d.spec.min_ready_seconds,
            revision_history_limit: d.spec.revision_history_limit,
            paused: d.spec.paused,
            progress_deadline_seconds: d.spec.progress_deadline_seconds,
        },
        ..Default::default()
    };
    set_defaults_deployment(&mut d2);
    let strategy = match d2.spec.strategy.type_.as_deref() {
        Some("Recreate") => Strategy::Recreate,
        Some("RollingUpdate") => {
            // Taken, not copied: the defaulted copy is dropped right after.
            let ru = d2.spec.strategy.rolling_update.take().unwrap_or_default();
            Strategy::RollingUpdate {
                max_surge: ru.max_surge,
                max_unavailable: ru.max_unavailable,
            }
        }
        _ => return None,
    };
    Some(DeploymentParams {
        name: d2.metadata.name.clone(),
        generation: d2.metadata.generation,
        replicas: d2.spec.replicas.unwrap_or(1),
        strategy,
        revision_history_limit: d2.spec.revision_history_limit,
        progress_deadline_seconds: d2.spec.progress_deadline_seconds,
        min_ready_seconds: d2.spec.min_ready_seconds.unwrap_or(0),
        paused: d2.spec.paused,
    })
}

/// The arithmetic's view of a ReplicaSet.
pub fn rs_snapshot(rs: &ReplicaSet) -> RsSnapshot<'_> {
    let a = &rs.metadata.annotations;
    let annotation = |key| a.get(key).map(|v: &String| Cow::Borrowed(v.as_str()));
    RsSnapshot {
        name: rs.metadata.name.clone(),
        creation_ms: rs.metadata.creation_timestamp.map_or(0, virtual_ms),
        revision_annotation: annotation(REVISION_ANNOTATION),
        desired_replicas_annotation: annotation(DESIRED_REPLICAS_ANNOTATION),
        max_replicas_annotation: annotation(MAX_REPLICAS_ANNOTATION),
        spec_replicas: rs.spec.replicas.unwrap_or(1),
        status_replicas: rs.status.replicas,
        ready_replicas: rs.status.ready_replicas,
        available_replicas: rs.status.available_replicas,
        generation: rs.metadata.generation,
        observed_generation: rs.status.observed_generation,
        being_deleted: rs.metadata.deletion_timestamp.is_some(),
    }
}

/// `f` of the old ReplicaSets' snapshots followed by the new one's: on the stack in the usual
/// case of a lone new ReplicaSet, as a list (one per status computed) otherwise.
fn with_all<R>(
    old: &[RsSnapshot],
    new: Option<&RsSnapshot>,
    f: impl FnOnce(&[&RsSnapshot]) -> R,
) -> R {
    match (old, new) {
        ([], None) => f(&[]),
        ([], Some(n)) => f(&[n]),
        _ => f(&old.iter().chain(new).collect::<Vec<_>>()),
    }
}

fn time_ms(t: Option<Time>) -> i64 {
    t.map_or(0, virtual_ms)
}

fn to_time(ms: i64) -> Time {
    Time(EPOCH_UNIX_MS.saturating_add(ms))
}

/// A Deployment's status as the arithmetic sees it.
/// Its texts borrow from `s`: a sync reads the stored status every time and most often leaves
/// it as it was.
pub fn status_snapshot(s: &DeploymentStatus) -> DeploymentStatusSnapshot<'_> {
    DeploymentStatusSnapshot {
        observed_generation: s.observed_generation,
        replicas: s.replicas,
        updated_replicas: s.updated_replicas,
        ready_replicas: s.ready_replicas,
        available_replicas: s.available_replicas,
        unavailable_replicas: s.unavailable_replicas,
        collision_count: s.collision_count,
        conditions: s
            .conditions
            .iter()
            .map(|c| CondSnapshot {
                type_: Cow::Borrowed(&c.type_),
                status: Cow::Borrowed(&c.status),
                reason: Cow::Borrowed(c.reason.as_deref().unwrap_or_default()),
                message: Cow::Borrowed(c.message.as_deref().unwrap_or_default()),
                last_update_ms: time_ms(c.last_update_time),
                last_transition_ms: time_ms(c.last_transition_time),
            })
            .collect(),
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The API form of a status snapshot.
pub fn status_of(s: &DeploymentStatusSnapshot) -> DeploymentStatus {
    DeploymentStatus {
        observed_generation: s.observed_generation,
        replicas: s.replicas,
        updated_replicas: s.updated_replicas,
        ready_replicas: s.ready_replicas,
        available_replicas: s.available_replicas,
        unavailable_replicas: s.unavailable_replicas,
        collision_count: s.collision_count,
        conditions: s
            .conditions
            .iter()
            .map(|c| DeploymentCondition {
                type_: c.type_.to_string(),
                status: c.status.to_string(),
                last_update_time: Some(to_time(c.last_update_ms)),
                last_transition_time: Some(to_time(c.last_transition_ms)),
                reason: non_empty(&c.reason),
                message: non_empty(&c.message),
            })
            .collect(),
    }
}

/// Whether `status_of(s) == *stored`, without building the API form (a sync usually leaves
/// the status as it was). The destructuring names every field, so a field added to either
/// type cannot be silently left out.
fn status_is(s: &DeploymentStatusSnapshot, stored: &DeploymentStatus) -> bool {
    let DeploymentStatus {
        observed_generation,
        replicas,
        updated_replicas,
        ready_replicas,
        available_replicas,
        unavailable_replicas,
        conditions,
        collision_count,
    } = stored;
    /// `non_empty(snapshot) == stored`.
    fn text_is(snapshot: &str, stored: &Option<String>) -> bool {
        match stored {
            None => snapshot.is_empty(),
            Some(t) => !snapshot.is_empty() && snapshot == t,
        }
    }
    s.observed_generation == *observed_generation
        && s.replicas == *replicas
        && s.updated_replicas == *updated_replicas
        && s.ready_replicas == *ready_replicas
        && s.available_replicas == *available_replicas
        && s.unavailable_replicas == *unavailable_replicas
        && s.collision_count == *collision_count
        && s.conditions.len() == conditions.len()
        && s.conditions.iter().zip(conditions).all(|(c, stored)| {
            let DeploymentCondition {
                type_,
                status,
                last_update_time,
                last_transition_time,
                reason,
                message,
            } = stored;
            c.type_ == *type_
                && c.status == *status
                && *last_update_time == Some(to_time(c.last_update_ms))
                && *last_transition_time == Some(to_time(c.last_transition_ms))
                && text_is(&c.reason, reason)
                && text_is(&c.message, message)
        })
}

/// `SetNewReplicaSetAnnotations`: copy the Deployment's annotations, raise the revision to
/// `new_revision` if it is higher (recording the previous one in `revision-history`: a
/// rollback to this ReplicaSet), and, for a ReplicaSet about to be created, set the
/// desired/max-replicas annotations. Returns whether anything changed.
fn set_new_rs_annotations(
    d: &Deployment,
    params: &DeploymentParams,
    rs_annotations: &mut Cow<'_, BTreeMap<String, String>>,
    new_revision: i64,
    exists: bool,
) -> bool {
    // Written through `to_mut`: the ReplicaSet's map is copied only if something changes,
    // which on most syncs nothing does.
    let mut changed = false;
    for (k, v) in &d.metadata.annotations {
        if ANNOTATIONS_NOT_COPIED.contains(&k.as_str()) {
            continue;
        }
        if rs_annotations.get(k) != Some(v) {
            rs_annotations.to_mut().insert(k.clone(), v.clone());
            changed = true;
        }
    }
    let old_revision_int = match rs_annotations.get(REVISION_ANNOTATION) {
        None => 0,
        Some(v) => match v.parse::<i64>() {
            Ok(n) => n,
            // An unparseable revision is left alone, as upstream.
            Err(_) if !v.is_empty() => return changed,
            Err(_) => 0,
        },
    };
    if old_revision_int < new_revision {
        let map = rs_annotations.to_mut();
        let old_revision = map.insert(REVISION_ANNOTATION.into(), new_revision.to_string());
        changed = true;
        if let Some(old) = old_revision {
            let history = map
                .get(REVISION_HISTORY_ANNOTATION)
                .cloned()
                .unwrap_or_default();
            if history.is_empty() {
                map.insert(REVISION_HISTORY_ANNOTATION.into(), old);
            } else {
                let mut revisions: Vec<&str> = history.split(',').collect();
                let mut total = history.len() + old.len() + 1;
                let mut start = 0;
                while total > MAX_REV_HISTORY_LENGTH_IN_CHARS && start < revisions.len() {
                    total -= revisions[start].len() + 1;
                    start += 1;
                }
                if total <= MAX_REV_HISTORY_LENGTH_IN_CHARS {
                    revisions.drain(..start);
                    revisions.push(&old);
                    let joined = revisions.join(",");
                    map.insert(REVISION_HISTORY_ANNOTATION.into(), joined);
                }
            }
        }
    }
    if !exists {
        let max = params.max_replicas();
        let (d_s, m_s) = (params.replicas.to_string(), max.to_string());
        if rs_annotations.get(DESIRED_REPLICAS_ANNOTATION) != Some(&d_s)
            || rs_annotations.get(MAX_REPLICAS_ANNOTATION) != Some(&m_s)
        {
            let map = rs_annotations.to_mut();
            map.insert(DESIRED_REPLICAS_ANNOTATION.into(), d_s);
            map.insert(MAX_REPLICAS_ANNOTATION.into(), m_s);
            changed = true;
        }
    }
    changed
}

/// The state one sync works on: the Deployment as stored, and what this sync will write back.
struct SyncState<'s> {
    /// The reconciled key (the stored Deployment's).
    key: ObjectKey,
    stored: Rc<Deployment>,
    params: Rc<DeploymentParams>,
    /// Borrows the texts of the stored status (see [`status_snapshot`]).
    status: DeploymentStatusSnapshot<'s>,
    /// The Deployment's revision annotation as this sync leaves it: borrowed from the stored
    /// Deployment or the new ReplicaSet while it equals the stored one (as on most syncs).
    revision: Option<Cow<'s, str>>,
    now_ms: i64,
}

impl SyncState<'_> {
    fn key(&self) -> ObjectKey {
        self.key.clone()
    }
    fn ns(&self) -> &str {
        &self.stored.metadata.namespace
    }
    fn event(
        &self,
        api: &mut ApiServer,
        type_: &'static str,
        reason: &'static str,
        message: EventMessage,
    ) {
        api.record_event(
            object_ref(&*self.stored),
            type_,
            reason,
            message,
            COMPONENT,
            None,
        );
    }
    /// Writes the status and the revision annotation if this sync changed them.
    fn flush(&self, api: &mut ApiServer) {
        let current_rev = self.stored.metadata.annotations.get(REVISION_ANNOTATION);
        if status_is(&self.status, &self.stored.status)
            && current_rev.map(String::as_str) == self.revision.as_deref()
        {
            return;
        }
        let status = status_of(&self.status);
        let revision = self.revision.as_deref().map(str::to_string);
        // Built from the stored object rather than copied and changed: the stored status,
        // replaced whole, is never copied.
        let _ = api.modify_from::<Deployment>(self.ns(), &self.stored.metadata.name, |d| {
            let Deployment {
                api_version,
                kind,
                metadata,
                spec,
                status: _,
            } = d;
            let mut metadata = metadata.clone();
            if let Some(r) = revision {
                metadata.annotations.insert(REVISION_ANNOTATION.into(), r);
            }
            Deployment {
                api_version: api_version.clone(),
                kind: kind.clone(),
                metadata,
                spec: spec.clone(),
                status,
            }
        });
    }
}

/// The outcome of applying a plan's writes.
enum Applied {
    /// Every write succeeded.
    Done,
    /// A write failed or found the world different from the plan; the sync stops here and the
    /// Deployment is looked at again (now if `retry`).
    Stopped { retry: bool },
}

impl DeploymentController {
    /// `getDeploymentsForReplicaSet`: Deployments in the RS's namespace selecting its labels.
    fn deployments_selecting(api: &ApiServer, rs: &ReplicaSet) -> Vec<ObjectKey> {
        api.deployments
            .in_namespace(&rs.metadata.namespace)
            .filter(|d| {
                Selector::from_label_selector(d.spec.selector.as_ref())
                    .is_ok_and(|s| !s.is_empty() && s.matches(&rs.metadata.labels))
            })
            .map(|d| ObjectKey::of(&**d))
            .collect()
    }

    fn enqueue_owner(api: &ApiServer, rs: &ReplicaSet, queue: &mut Queue) -> bool {
        match rs.metadata.controller_ref() {
            Some(r) => {
                if let Some((key, _)) =
                    resolve_controller_entry::<Deployment>(api, &rs.metadata.namespace, r)
                {
                    queue.add(key.clone());
                }
                true
            }
            None => false,
        }
    }

    fn on_rs_event(ev: &WatchEvent, api: &ApiServer, queue: &mut Queue) {
        let as_rs = |o: &Option<Object>| match o {
            Some(Object::ReplicaSet(rs)) => Some(rs.clone()),
            _ => None,
        };
        match (ev.type_, as_rs(&ev.old), as_rs(&ev.new)) {
            (WatchEventType::Added, _, Some(rs)) => {
                if Self::enqueue_owner(api, &rs, queue) {
                    return;
                }
                // An orphan wakes every Deployment that could adopt it.
                for k in Self::deployments_selecting(api, &rs) {
                    queue.add(k);
                }
            }
            (WatchEventType::Modified, Some(old), Some(new)) => {
                let ref_changed = old.metadata.controller_ref() != new.metadata.controller_ref();
                if ref_changed {
                    Self::enqueue_owner(api, &old, queue);
                }
                if Self::enqueue_owner(api, &new, queue) {
                    return;
                }
                if ref_changed || old.metadata.labels != new.metadata.labels {
                    for k in Self::deployments_selecting(api, &new) {
                        queue.add(k);
                    }
                }
            }
            (WatchEventType::Deleted, Some(rs), _) => {
                Self::enqueue_owner(api, &rs, queue);
            }
            _ => {}
        }
    }

    /// `deletePod`: a Recreate Deployment waits for its old pods to be gone.
    fn on_pod_deleted(pod: &Pod, api: &ApiServer, queue: &mut Queue) {
        let ns = &pod.metadata.namespace;
        let Some(rs) = pod
            .metadata
            .controller_ref()
            .and_then(|r| resolve_controller::<ReplicaSet>(api, ns, r))
        else {
            return;
        };
        let Some(d) = rs
            .metadata
            .controller_ref()
            .and_then(|r| resolve_controller::<Deployment>(api, ns, r))
        else {
            return;
        };
        if d.spec.strategy.type_.as_deref() == Some("Recreate") {
            queue.add(ObjectKey::of(&*d));
        }
    }

    /// `getReplicaSetsForDeployment`: adopt and release ReplicaSets by the selector.
    fn claim_replica_sets(
        d: &Deployment,
        selector: &Selector,
        api: &mut ApiServer,
    ) -> Vec<Rc<ReplicaSet>> {
        const NO_LABELS: &BTreeMap<String, String> = &BTreeMap::new();
        let ns = &d.metadata.namespace;
        let match_labels = d
            .spec
            .selector
            .as_ref()
            .map_or(NO_LABELS, |s| &s.match_labels);
        let pool = in_key_order(
            api.replica_sets.matching_labels(ns, match_labels),
            api.replica_sets.owned_by(&d.metadata.uid),
        );
        claim_objects(d, selector, pool, api)
    }

    /// `FindNewReplicaSet` (the oldest whose template equals the Deployment's, ignoring the
    /// hash label) and the others. Takes the list to sort it in place: every caller is done
    /// with it.
    fn split_new_old(
        d: &Deployment,
        mut sorted: Vec<Rc<ReplicaSet>>,
        memo: &mut Memo,
    ) -> (Option<Rc<ReplicaSet>>, Vec<Rc<ReplicaSet>>) {
        crate::sort::sort_by(&mut sorted, |a, b| {
            (a.metadata.creation_timestamp, &a.metadata.name)
                .cmp(&(b.metadata.creation_timestamp, &b.metadata.name))
        });
        let new_idx = sorted
            .iter()
            .position(|rs| memo.templates_equal(&rs.spec.template, &d.spec.template));
        let new = new_idx.map(|i| sorted.remove(i));
        (new, sorted)
    }

    /// `getAllReplicaSetsAndSyncRevision` without creating: bring the new RS's annotations
    /// (revision bump on rollback, copied annotations) and minReadySeconds up to date; record
    /// the Deployment's revision and a `FoundNewReplicaSet` condition. `old_snaps` are the
    /// old ReplicaSets' snapshots. Returns the new RS as it is now.
    fn sync_existing_new_rs(
        st: &mut SyncState,
        new: Option<Rc<ReplicaSet>>,
        old_snaps: &[RsSnapshot],
        api: &mut ApiServer,
    ) -> Option<Rc<ReplicaSet>> {
        let new = new?;
        let new_revision = max_revision(old_snaps).wrapping_add(1);
        let mut annotations = Cow::Borrowed(&new.metadata.annotations);
        let changed =
            set_new_rs_annotations(&st.stored, &st.params, &mut annotations, new_revision, true);
        let min_ready = st.stored.spec.min_ready_seconds;
        let min_ready_changed = new.spec.min_ready_seconds.unwrap_or(0) != min_ready.unwrap_or(0);
        if changed || min_ready_changed {
            // Upstream returns the updated RS here; the Deployment's revision follows on the
            // sync that the RS update triggers.
            return match api.modify::<ReplicaSet>(st.ns(), &new.metadata.name, |rs| {
                rs.metadata.annotations = annotations.into_owned();
                rs.spec.min_ready_seconds = min_ready;
            }) {
                Ok(updated) => Some(updated),
                Err(_) => Some(new),
            };
        }
        if let Some(r) = new.metadata.annotations.get(REVISION_ANNOTATION) {
            // Copied only if it differs from the revision the sync holds.
            if st.revision.as_deref() != Some(r.as_str()) {
                st.revision = Some(Cow::Owned(r.clone()));
            }
        }
        note_new_replica_set_found(&st.params, &mut st.status, &new.metadata.name, st.now_ms);
        Some(new)
    }

    /// The ReplicaSet `getNewReplicaSet` creates: the Deployment's template and selector plus
    /// `pod-template-hash=<hash>`, owned by the Deployment, annotated.
    fn new_replica_set(
        st: &SyncState,
        name: &str,
        hash: &str,
        replicas: i32,
        revision: i64,
    ) -> ReplicaSet {
        let d = &st.stored;
        let mut template = d.spec.template.clone();
        template
            .metadata
            .labels
            .insert(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY.into(), hash.into());
        let mut selector = d.spec.selector.clone().unwrap_or_default();
        selector
            .match_labels
            .insert(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY.into(), hash.into());
        let mut rs = ReplicaSet::default();
        rs.metadata.name = name.into();
        rs.metadata.namespace = d.metadata.namespace.clone();
        rs.metadata.owner_references = vec![controller_ref(&**d)].into();
        rs.metadata.labels = template.metadata.labels.clone();
        let mut annotations = Cow::Owned(std::mem::take(&mut rs.metadata.annotations));
        set_new_rs_annotations(d, &st.params, &mut annotations, revision, false);
        rs.metadata.annotations = annotations.into_owned();
        rs.spec.replicas = Some(replicas);
        rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
        rs.spec.selector = Some(selector);
        rs.spec.template = template;
        rs
    }

    /// Makes a plan's ReplicaSet writes in order, recording upstream's events and conditions.
    fn apply(st: &mut SyncState, actions: &[RsAction], hash: &str, api: &mut ApiServer) -> Applied {
        let ns = st.ns().to_string();
        for action in actions {
            match action {
                RsAction::Create {
                    name,
                    replicas,
                    revision,
                    ..
                } => {
                    let rs = Self::new_replica_set(st, name, hash, *replicas, *revision);
                    match api.create(rs) {
                        Ok(_) => {
                            if let Some(m) = action.event_message() {
                                st.event(api, "Normal", "ScalingReplicaSet", m.into());
                            }
                            st.revision = Some(Cow::Owned(revision.to_string()));
                            note_new_replica_set_created(
                                &st.params,
                                &mut st.status,
                                name,
                                st.now_ms,
                            );
                        }
                        Err(e) if e.reason == StatusReason::AlreadyExists => {
                            let ours = api.get::<ReplicaSet>(&ns, name).is_some_and(|rs| {
                                rs.metadata
                                    .controller_ref()
                                    .is_some_and(|r| r.uid == st.stored.metadata.uid)
                                    && equal_ignore_hash(
                                        &rs.spec.template,
                                        &st.stored.spec.template,
                                    )
                            });
                            if !ours {
                                // A hash collision: the next name comes from collisionCount + 1.
                                let count = st.status.collision_count.unwrap_or(0);
                                st.status.collision_count = Some(count.wrapping_add(1));
                            }
                            return Applied::Stopped { retry: !ours };
                        }
                        Err(e) => {
                            let msg = note_new_replica_set_create_failed(
                                &st.params,
                                &mut st.status,
                                name,
                                &e.message,
                                st.now_ms,
                            );
                            st.event(api, "Warning", "ReplicaSetCreateError", msg.into());
                            return Applied::Stopped { retry: false };
                        }
                    }
                }
                RsAction::Scale {
                    name,
                    to,
                    desired_replicas,
                    max_replicas,
                    ..
                } => {
                    let res = api.modify::<ReplicaSet>(&ns, name, |rs| {
                        rs.spec.replicas = Some(*to);
                        let a = &mut rs.metadata.annotations;
                        a.insert(
                            DESIRED_REPLICAS_ANNOTATION.into(),
                            desired_replicas.to_string(),
                        );
                        a.insert(MAX_REPLICAS_ANNOTATION.into(), max_replicas.to_string());
                    });
                    match res {
                        Ok(_) => {
                            if let Some(m) = action.event_message() {
                                st.event(api, "Normal", "ScalingReplicaSet", m.into());
                            }
                        }
                        Err(_) => return Applied::Stopped { retry: false },
                    }
                }
                RsAction::Delete { name } => {
                    let _ = api.delete::<ReplicaSet>(&ns, name, DeleteOptions::default());
                }
            }
        }
        Applied::Done
    }

    /// The Deployment's ReplicaSets as they are now: the new one (if any) and the others.
    fn current(
        st: &SyncState,
        api: &ApiServer,
        memo: &mut Memo,
    ) -> (Option<Rc<ReplicaSet>>, Vec<Rc<ReplicaSet>>) {
        let uid = &st.stored.metadata.uid;
        let owned: Vec<Rc<ReplicaSet>> = api
            .replica_sets
            .owned_by(uid)
            .into_iter()
            .filter(|rs| rs.metadata.controller_ref().is_some_and(|r| &r.uid == uid))
            .collect();
        Self::split_new_old(&st.stored, owned, memo)
    }

    /// `oldPodsRunning`'s pod half: a pod controlled by an old ReplicaSet is not terminal.
    fn old_pods_not_terminal(api: &ApiServer, old: &[Rc<ReplicaSet>]) -> bool {
        old.iter().any(|rs| {
            api.pods.owned_by(&rs.metadata.uid).iter().any(|p| {
                p.metadata
                    .controller_ref()
                    .is_some_and(|r| r.uid == rs.metadata.uid)
                    && !matches!(
                        p.status.phase.as_deref(),
                        Some("Succeeded") | Some("Failed")
                    )
            })
        })
    }

    /// `requeueStuckDeployment`: look again just after the progress deadline passes, so that
    /// `ProgressDeadlineExceeded` appears at that virtual instant. A deadline already past that
    /// did not time the Deployment out (its condition still says `NewReplicaSetAvailable`
    /// while a pod is missing) requeues it through the rate limiter, as upstream's
    /// `enqueueRateLimited`, until the rollout completes again.
    fn requeue_if_stuck(rate_limiter: &mut RateLimiter, st: &SyncState, queue: &mut Queue) {
        if requeue_stuck_deployment(&st.params, &st.status, &st.status, st.now_ms).is_none() {
            return;
        }
        let (Some(c), Some(deadline_s)) = (
            st.status.condition(CONDITION_PROGRESSING),
            st.params.progress_deadline_seconds,
        ) else {
            return;
        };
        let at = c
            .last_update_ms
            .saturating_add(i64::from(deadline_s).saturating_mul(1000))
            .saturating_add(1);
        let delay = match u64::try_from(at.saturating_sub(st.now_ms)) {
            Ok(d) if d > 0 => d,
            _ => rate_limiter.when(st.now_ms.max(0) as Millis),
        };
        queue.add_after(st.key(), delay);
    }

    /// `syncDeployment`.
    fn sync(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let Some(stored) = ctx.api.get_by_key::<Deployment>(key) else {
            return;
        };
        let memo = self.memos.entry(key.clone()).or_default();
        let Some(params) = memo.params_of(&stored) else {
            return;
        };
        let selector = match memo.selector.get(stored.spec.selector.as_ref()) {
            Ok(s) if !s.matches_nothing() => s,
            _ => return,
        };
        let mut st = SyncState {
            key: key.clone(),
            stored: stored.clone(),
            params,
            status: status_snapshot(&stored.status),
            revision: stored
                .metadata
                .annotations
                .get(REVISION_ANNOTATION)
                .map(|r| Cow::Borrowed(r.as_str())),
            now_ms: i64::try_from(ctx.api.now).unwrap_or(i64::MAX),
        };
        if selector.is_empty() {
            st.event(
                ctx.api,
                "Warning",
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.".into(),
            );
            if st.status.observed_generation < stored.metadata.generation {
                st.status.observed_generation = stored.metadata.generation;
                st.flush(ctx.api);
            }
            return;
        }
        let rss = Self::claim_replica_sets(&stored, &selector, ctx.api);
        if stored.metadata.deletion_timestamp.is_some() {
            return;
        }
        check_paused_conditions(&st.params, &mut st.status, st.now_ms);
        // The old ReplicaSets are snapshotted once: syncing the new one writes none of them.
        let (new_rs, old) = Self::split_new_old(&st.stored, rss, memo);
        let old_snaps: Vec<RsSnapshot> = old.iter().map(|rs| rs_snapshot(rs)).collect();
        let new_rs = Self::sync_existing_new_rs(&mut st, new_rs, &old_snaps, ctx.api);
        let new_snap = new_rs.as_ref().map(|rs| rs_snapshot(rs));

        if st.params.paused || is_scaling_event(&st.params, new_snap.as_ref(), &old_snaps) {
            let plan =
                sync_scaling_or_paused(&st.params, &st.status, &old_snaps, new_snap.as_ref());
            Self::apply(&mut st, &plan.actions, "", ctx.api);
            let (new_now, old_now) = Self::current(&st, ctx.api, memo);
            let new_now = new_now.as_deref().map(rs_snapshot);
            let old_now: Vec<RsSnapshot> = old_now.iter().map(|rs| rs_snapshot(rs)).collect();
            st.status = with_all(&old_now, new_now.as_ref(), |all| {
                calculate_status(&st.params, &st.status, all, new_now.as_ref(), st.now_ms)
            });
            st.flush(ctx.api);
            return;
        }

        let (hash, new_name) = memo.template_hash(&stored, st.status.collision_count);
        let plan = match st.params.strategy {
            Strategy::Recreate => recreate::rollout_recreate(
                &st.params,
                &st.status,
                &old_snaps,
                new_snap.as_ref(),
                &new_name,
                Self::old_pods_not_terminal(ctx.api, &old),
            ),
            Strategy::RollingUpdate { .. } => rolling::rollout_rolling(
                &st.params,
                &st.status,
                &old_snaps,
                new_snap.as_ref(),
                &new_name,
            ),
        };
        if let Applied::Stopped { retry } = Self::apply(&mut st, &plan.actions, &hash, ctx.api) {
            st.flush(ctx.api);
            if retry {
                ctx.queue.add(key.clone());
            }
            return;
        }
        if plan.error.is_some() {
            st.flush(ctx.api);
            return;
        }
        let (new_now, old_now) = Self::current(&st, ctx.api, memo);
        let new_now = new_now.as_deref().map(rs_snapshot);
        let old_now: Vec<RsSnapshot> = old_now.iter().map(|rs| rs_snapshot(rs)).collect();
        let synced = with_all(&old_now, new_now.as_ref(), |all| {
            sync_rollout_status(
                &st.params,
                &st.status,
                all,
                new_now.as_ref(),
                None,
                st.now_ms,
            )
        });
        st.status = synced.status;
        st.flush(ctx.api);
        Self::requeue_if_stuck(&mut self.rate_limiter, &st, ctx.queue);
    }
}

impl Controller for DeploymentController {
    fn name(&self) -> &'static str {
        COMPONENT
    }

    fn on_event(&mut self, ev: &WatchEvent, api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        match ev.kind() {
            Kind::Deployment => {
                if ev.type_ == WatchEventType::Deleted {
                    self.memos.remove(&ev.key);
                }
                queue.add(ev.key.clone());
            }
            Kind::ReplicaSet => Self::on_rs_event(ev, api, queue),
            Kind::Pod if ev.type_ == WatchEventType::Deleted => {
                if let Some(Object::Pod(p)) = &ev.old {
                    Self::on_pod_deleted(p, api, queue);
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        self.sync(key, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::{
        canonical_json, equal_ignore_hash, in_key_order, status_is, status_of, status_snapshot,
        template_hash, without_hash, CondSnapshot, DeploymentStatusSnapshot,
        DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
    };
    use crate::api::core::PodTemplateSpec;
    use crate::api::ReplicaSet;
    use crate::controllers::deployment::util::pod_template_hash;
    use crate::sort::CollectOrdered;
    use proptest::prelude::*;
    use serde_json::Value;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    /// Labels and annotations drawn from a few keys (the hash label among them) so that
    /// equal and unequal pairs both come up often.
    fn small_map() -> impl Strategy<Value = BTreeMap<String, String>> {
        let key = prop_oneof![
            Just("app".to_string()),
            Just("tier".to_string()),
            Just(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY.to_string()),
        ];
        let value = prop_oneof![Just("a".to_string()), Just("b".to_string())];
        proptest::collection::btree_map(key, value, 0..3)
    }

    fn template() -> impl Strategy<Value = PodTemplateSpec> {
        (small_map(), small_map(), 0..2u8, 0..2u8).prop_map(|(labels, annotations, name, img)| {
            let mut t = PodTemplateSpec::default();
            t.metadata.labels = labels.into();
            t.metadata.annotations = annotations;
            if name == 1 {
                t.metadata.name = "x".into();
            }
            t.spec.containers = vec![crate::api::core::Container {
                name: "c".into(),
                image: ["nginx", "redis"][usize::from(img)].into(),
                ..Default::default()
            }]
            .into();
            t
        })
    }

    /// Snapshot statuses drawn from few values, so that equal pairs come up often.
    fn status_snapshot_strategy() -> impl Strategy<Value = DeploymentStatusSnapshot<'static>> {
        let text = prop_oneof![Just(String::new()), Just("a".to_string())];
        let condition = (
            prop_oneof![Just("Available"), Just("Progressing")],
            text.clone(),
            text,
            0..2i64,
            0..2i64,
        )
            .prop_map(
                |(type_, reason, message, update, transition)| CondSnapshot {
                    type_: type_.into(),
                    status: "True".into(),
                    reason: reason.into(),
                    message: message.into(),
                    last_update_ms: update,
                    last_transition_ms: transition,
                },
            );
        (
            0..2i64,
            0..2i32,
            proptest::option::of(0..2i32),
            proptest::collection::vec(condition, 0..3),
        )
            .prop_map(|(generation, replicas, collision_count, conditions)| {
                DeploymentStatusSnapshot {
                    observed_generation: generation,
                    replicas,
                    collision_count,
                    conditions,
                    ..Default::default()
                }
            })
    }

    /// The canonical JSON as first written (a sorted copy of every object, each key and
    /// scalar rendered to its own string): the bytes the pod-template-hash has always been
    /// computed over, which the hash label of every existing ReplicaSet depends on.
    fn reference_canonical_json(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let sorted: BTreeMap<&String, &Value> = map.iter().collect_map();
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    reference_canonical_json(v, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    reference_canonical_json(v, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    /// JSON values of every kind, with keys and strings that need escaping.
    fn json_value() -> impl Strategy<Value = Value> {
        let text = prop_oneof![
            Just(String::new()),
            Just("app".to_string()),
            Just("b\"q\\\u{1}\u{e9}".to_string()),
            "[a-z]{0,3}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            text.clone().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((text.clone(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The writer-based canonical JSON writes the same bytes as the reference.
        #[test]
        fn canonical_json_writes_the_reference_bytes(v in json_value()) {
            let mut expected = String::new();
            reference_canonical_json(&v, &mut expected);
            let mut out = Vec::new();
            prop_assert!(canonical_json(&v, &mut out).is_ok());
            prop_assert_eq!(String::from_utf8(out).ok(), Some(expected));
        }

        /// The pod-template-hash is the hash of the reference bytes of the template without
        /// its hash label, with or without the label present and whatever the collision count.
        #[test]
        fn template_hash_is_the_hash_of_the_reference_bytes(
            t in template(),
            collision_count in proptest::option::of(-2..3i32),
        ) {
            let mut expected = String::new();
            let value = serde_json::to_value(without_hash(&t)).unwrap_or(Value::Null);
            reference_canonical_json(&value, &mut expected);
            prop_assert_eq!(
                template_hash(&t, collision_count),
                pod_template_hash(expected.as_bytes(), collision_count)
            );
        }

        /// Reading back a written status gives the snapshot that was written (its texts
        /// borrowed from the written status).
        #[test]
        fn status_snapshot_reads_back_status_of(a in status_snapshot_strategy()) {
            let written = status_of(&a);
            prop_assert_eq!(status_snapshot(&written), a);
        }

        /// The allocation-free comparison `flush` uses answers as comparing the API form,
        /// including against stored conditions whose reason or message is an empty string
        /// (which the API form of a snapshot never has).
        #[test]
        fn status_is_equality_of_the_api_form(
            a in status_snapshot_strategy(),
            b in status_snapshot_strategy(),
            empty_text in 0..3usize,
        ) {
            let mut stored = status_of(&b);
            if let Some(c) = stored.conditions.first_mut() {
                match empty_text {
                    1 => c.reason = Some(String::new()),
                    2 => c.message = Some(String::new()),
                    _ => {}
                }
            }
            prop_assert_eq!(status_is(&a, &stored), status_of(&a) == stored);
            prop_assert!(status_is(&a, &status_of(&a)));
        }

        /// The memo's comparison answers as `equal_ignore_hash` however often and in
        /// whatever order pairs come, sharing specs or not.
        #[test]
        fn memo_comparison_is_equal_ignore_hash(
            pairs in proptest::collection::vec((template(), template(), 0..2u8), 1..6),
        ) {
            let mut memo = super::Memo::default();
            for (a, b, share) in &pairs {
                let mut b = b.clone();
                if *share == 1 {
                    b.spec = a.spec.clone();
                }
                for _ in 0..2 {
                    prop_assert_eq!(memo.templates_equal(a, &b), equal_ignore_hash(a, &b));
                    prop_assert_eq!(memo.templates_equal(&b, a), equal_ignore_hash(&b, a));
                }
            }
        }

        /// The field-by-field comparison answers as upstream's definition: equal once both
        /// copies lose the hash label.
        #[test]
        fn equal_ignore_hash_is_equality_without_the_hash_label(a in template(), b in template()) {
            prop_assert_eq!(equal_ignore_hash(&a, &b), without_hash(&a) == without_hash(&b));
            prop_assert!(equal_ignore_hash(&a, &a.clone()));
        }
    }

    /// The memo answers as `params_of` through a change of every field `params_of` reads
    /// (each edit applied on top of the previous ones).
    #[test]
    fn params_memo_follows_every_field_it_reads() {
        use crate::api::apps::RollingUpdateDeployment;
        use crate::api::intstr::IntOrString;
        use crate::api::Deployment;
        type Edit = (&'static str, fn(&mut Deployment));
        let edits: Vec<Edit> = vec![
            ("replicas", |d| d.spec.replicas = Some(3)),
            ("generation", |d| d.metadata.generation = 2),
            ("recreate", |d| {
                d.spec.strategy.type_ = Some("Recreate".into())
            }),
            ("unsupported", |d| {
                d.spec.strategy.type_ = Some("Bogus".into())
            }),
            ("rolling", |d| {
                d.spec.strategy.type_ = Some("RollingUpdate".into());
                d.spec.strategy.rolling_update = Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(2)),
                    max_unavailable: None,
                });
            }),
            ("maxUnavailable", |d| {
                if let Some(ru) = d.spec.strategy.rolling_update.as_mut() {
                    ru.max_unavailable = Some(IntOrString::String("50%".into()));
                }
            }),
            ("minReadySeconds", |d| d.spec.min_ready_seconds = Some(5)),
            ("revisionHistoryLimit", |d| {
                d.spec.revision_history_limit = Some(1)
            }),
            ("paused", |d| d.spec.paused = true),
            ("progressDeadlineSeconds", |d| {
                d.spec.progress_deadline_seconds = Some(30)
            }),
            ("name", |d| d.metadata.name = "db".into()),
        ];
        let mut memo = super::Memo::default();
        let mut d = Deployment::default();
        d.metadata.uid = "u1".into();
        d.metadata.name = "web".into();
        assert_eq!(memo.params_of(&d).as_deref().cloned(), super::params_of(&d));
        for (what, edit) in edits {
            edit(&mut d);
            assert_eq!(
                memo.params_of(&d).as_deref().cloned(),
                super::params_of(&d),
                "{what}"
            );
            assert_eq!(
                memo.params_of(&d).as_deref().cloned(),
                super::params_of(&d),
                "{what}, again"
            );
        }
    }

    /// The memo's hash and ReplicaSet name answer as computing them afresh through a change
    /// of everything they depend on (each edit applied on top of the previous ones, each
    /// asked twice so that the second answer comes from the memo).
    #[test]
    fn hash_memo_follows_template_collision_count_and_name() {
        use crate::api::Deployment;
        type Edit = (&'static str, fn(&mut Deployment, &mut Option<i32>));
        let edits: Vec<Edit> = vec![
            ("nothing", |_, _| {}),
            ("collision count", |_, c| *c = Some(1)),
            ("image", |d, _| {
                d.spec.template.spec.containers[0].image = "redis".into();
            }),
            ("label", |d, _| {
                d.spec
                    .template
                    .metadata
                    .labels
                    .insert("tier".into(), "a".into());
            }),
            ("hash label", |d, _| {
                d.spec
                    .template
                    .metadata
                    .labels
                    .insert(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY.into(), "x".into());
            }),
            ("name", |d, _| d.metadata.name = "db".into()),
            ("no collision count", |_, c| *c = None),
        ];
        let mut d = Deployment::default();
        d.metadata.name = "web".into();
        d.spec.template.spec.containers = vec![crate::api::core::Container {
            name: "c".into(),
            image: "nginx".into(),
            ..Default::default()
        }]
        .into();
        let mut count = None;
        let mut memo = super::Memo::default();
        let mut seen = Vec::new();
        for (what, edit) in edits {
            edit(&mut d, &mut count);
            let expected = template_hash(&d.spec.template, count);
            for _ in 0..2 {
                let (hash, name) = memo.template_hash(&d, count);
                assert_eq!(&*hash, expected, "{what}");
                assert_eq!(&*name, format!("{}-{expected}", d.metadata.name), "{what}");
            }
            seen.push(expected);
        }
        // Every edit but the label that is left out of the hash changed it.
        seen.dedup();
        assert_eq!(seen.len(), 5, "{seen:?}");
    }

    /// Every combination passes the old snapshots in order, then the new one.
    #[test]
    fn with_all_lists_old_then_new() {
        use crate::controllers::deployment::util::RsSnapshot;
        let snap = |name: &str| RsSnapshot {
            name: name.into(),
            ..Default::default()
        };
        let (a, b, n) = (snap("a"), snap("b"), snap("new"));
        let olds: [&[RsSnapshot]; 3] = [&[], std::slice::from_ref(&a), &[a.clone(), b.clone()]];
        for old in olds {
            for new in [None, Some(&n)] {
                let expected: Vec<&str> = old.iter().chain(new).map(|s| &*s.name).collect();
                let got = super::with_all(old, new, |all| {
                    all.iter().map(|s| s.name.to_string()).collect::<Vec<_>>()
                });
                assert_eq!(got, expected);
            }
        }
    }

    #[test]
    fn templates_differing_only_in_the_hash_label_are_equal() {
        let mut a = PodTemplateSpec::default();
        a.metadata.labels.insert("app".into(), "web".into());
        let mut b = a.clone();
        b.metadata
            .labels
            .insert(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY.into(), "abc".into());
        assert!(equal_ignore_hash(&a, &b));
        b.metadata.labels.insert("tier".into(), "x".into());
        assert!(!equal_ignore_hash(&a, &b));
    }

    #[test]
    fn key_order_union_lists_each_object_once_by_namespace_then_name() {
        let rs = |ns: &str, name: &str| {
            let mut r = ReplicaSet::default();
            r.metadata.namespace = ns.into();
            r.metadata.name = name.into();
            Rc::new(r)
        };
        let a = vec![rs("default", "b"), rs("default", "d")];
        let b = vec![rs("default", "a"), rs("default", "b"), rs("prod", "a")];
        let names: Vec<String> = in_key_order(a, b)
            .iter()
            .map(|r| format!("{}/{}", r.metadata.namespace, r.metadata.name))
            .collect();
        assert_eq!(names, ["default/a", "default/b", "default/d", "prod/a"]);
    }
}
