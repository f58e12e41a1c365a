//! `pkg/controller/deployment/util/deployment_util.go`: the Deployment controller's arithmetic.
//!
//! Everything here is a pure function over plain snapshots. [`DeploymentParams`] is the part of a
//! Deployment's spec the arithmetic reads, [`RsSnapshot`] the part of a ReplicaSet, and
//! [`DeploymentStatusSnapshot`] the Deployment's status. Integer arithmetic mirrors Go's `int32`
//! (wrapping on overflow rather than panicking), so absurd inputs give Go's answers, not a crash.

pub use crate::api::intstr::IntOrString;

use crate::api::SharedStr;
use crate::controllers::controller_utils::sort_by_less;
use std::borrow::Cow;

/// `deployment.kubernetes.io/revision` on ReplicaSets (and Deployments).
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// `deployment.kubernetes.io/revision-history`: earlier revisions a rolled-back-to RS had.
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";
/// `deployment.kubernetes.io/desired-replicas`: the Deployment's `spec.replicas` when the RS was
/// last scaled by the controller.
pub const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
/// `deployment.kubernetes.io/max-replicas`: `spec.replicas + maxSurge` at that time.
pub const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
/// The label the controller adds to the RS selector and pod template (`apps.DefaultDeploymentUniqueLabelKey`).
pub const DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY: &str = "pod-template-hash";
/// Upstream caps the revision-history annotation at this many characters.
pub const MAX_REV_HISTORY_LENGTH_IN_CHARS: usize = 2000;

/// Condition type `Available`.
pub const CONDITION_AVAILABLE: &str = "Available";
/// Condition type `Progressing`.
pub const CONDITION_PROGRESSING: &str = "Progressing";
/// Condition type `ReplicaFailure`.
pub const CONDITION_REPLICA_FAILURE: &str = "ReplicaFailure";
/// Condition status `True`.
pub const CONDITION_TRUE: &str = "True";
/// Condition status `False`.
pub const CONDITION_FALSE: &str = "False";
/// Condition status `Unknown`.
pub const CONDITION_UNKNOWN: &str = "Unknown";

/// Progressing reason: the controller scaled a ReplicaSet (`ReplicaSetUpdatedReason`).
pub const REASON_REPLICA_SET_UPDATED: &str = "ReplicaSetUpdated";
/// Progressing reason: a new ReplicaSet was created (`NewReplicaSetReason`).
pub const REASON_NEW_REPLICA_SET_CREATED: &str = "NewReplicaSetCreated";
/// Progressing reason: the new ReplicaSet was found on a Deployment with no Progressing condition.
pub const REASON_FOUND_NEW_REPLICA_SET: &str = "FoundNewReplicaSet";
/// Progressing reason: the rollout completed (`NewRSAvailableReason`).
pub const REASON_NEW_REPLICA_SET_AVAILABLE: &str = "NewReplicaSetAvailable";
/// Progressing reason: no progress within `progressDeadlineSeconds` (`TimedOutReason`).
pub const REASON_PROGRESS_DEADLINE_EXCEEDED: &str = "ProgressDeadlineExceeded";
/// Progressing reason: creating the new ReplicaSet failed (`FailedRSCreateReason`).
pub const REASON_REPLICA_SET_CREATE_ERROR: &str = "ReplicaSetCreateError";
/// Progressing reason: the Deployment is paused (`PausedDeployReason`).
pub const REASON_DEPLOYMENT_PAUSED: &str = "DeploymentPaused";
/// Progressing reason: the Deployment was resumed (`ResumedDeployReason`).
pub const REASON_DEPLOYMENT_RESUMED: &str = "DeploymentResumed";
/// Available reason when enough replicas are available.
pub const REASON_MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
/// Available reason when too few replicas are available.
pub const REASON_MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// `intstr.GetScaledValueFromIntOrPercent`: an integer as is, `"N%"` as `N * total / 100`
/// rounded up (`round_up`) or down. Errors are worded as upstream.
///
/// Upstream computes the percentage in `float64`; exact integer arithmetic gives the same result
/// for every value a Deployment can hold and cannot lose precision.
pub fn scaled_value_from_int_or_percent(
    value: Option<&IntOrString>,
    total: i32,
    round_up: bool,
) -> Result<i64, String> {
    let value = value.ok_or_else(|| "nil value for IntOrString".to_string())?;
    match value {
        IntOrString::Int(i) => Ok(i64::from(*i)),
        IntOrString::String(s) => {
            let Some(digits) = s.strip_suffix('%') else {
                return Err(
                    "invalid value for IntOrString: invalid type: string is not a percentage"
                        .to_string(),
                );
            };
            // Go's strconv.Atoi (64-bit int): optional sign then decimal digits, exactly what
            // Rust's i64 parser accepts.
            let n: i64 = digits.parse().map_err(|e: std::num::ParseIntError| {
                let why = match e.kind() {
                    std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                        "value out of range"
                    }
                    _ => "invalid syntax",
                };
                format!(
                    "invalid value for IntOrString: invalid value {s:?}: strconv.Atoi: parsing {digits:?}: {why}"
                )
            })?;
            let product = i128::from(n) * i128::from(total);
            let scaled = if round_up {
                -((-product).div_euclid(100))
            } else {
                product.div_euclid(100)
            };
            // Go converts the float back with int(); clamp instead of wrapping for huge values.
            Ok(scaled.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
        }
    }
}

/// `ResolveFenceposts`: resolve maxSurge (rounded up) and maxUnavailable (rounded down) against
/// `desired`. Absent values count as 0. If both resolve to 0, maxUnavailable becomes 1, so a
/// rollout can always make progress.
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> Result<(i32, i32), String> {
    let zero = IntOrString::Int(0);
    let surge = scaled_value_from_int_or_percent(Some(max_surge.unwrap_or(&zero)), desired, true)?;
    let mut unavailable =
        scaled_value_from_int_or_percent(Some(max_unavailable.unwrap_or(&zero)), desired, false)?;
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    // Go's int32(x) conversion wraps.
    Ok((surge as i32, unavailable as i32))
}

/// `spec.strategy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeploymentStrategy {
    /// `type: RollingUpdate` with its (normally defaulted to 25%) fenceposts.
    RollingUpdate {
        /// `rollingUpdate.maxSurge`.
        max_surge: Option<IntOrString>,
        /// `rollingUpdate.maxUnavailable`.
        max_unavailable: Option<IntOrString>,
    },
    /// `type: Recreate`.
    Recreate,
}

impl DeploymentStrategy {
    /// The apps/v1 default: RollingUpdate with 25% / 25%.
    pub fn default_rolling_update() -> Self {
        DeploymentStrategy::RollingUpdate {
            max_surge: Some(IntOrString::String("25%".into())),
            max_unavailable: Some(IntOrString::String("25%".into())),
        }
    }
}

/// The part of a Deployment the controller's arithmetic reads (after defaulting).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentParams {
    /// `metadata.name`, used in condition messages.
    pub name: SharedStr,
    /// `metadata.generation`.
    pub generation: i64,
    /// `spec.replicas` (`D`).
    pub replicas: i32,
    /// `spec.strategy`.
    pub strategy: DeploymentStrategy,
    /// `spec.revisionHistoryLimit`; `None` or `i32::MAX` keeps every old ReplicaSet.
    pub revision_history_limit: Option<i32>,
    /// `spec.progressDeadlineSeconds`; `None` or `i32::MAX` means no deadline.
    pub progress_deadline_seconds: Option<i32>,
    /// `spec.minReadySeconds`.
    pub min_ready_seconds: i32,
    /// `spec.paused`.
    pub paused: bool,
}

impl Default for DeploymentParams {
    /// The apps/v1 defaults (`SetDefaults_Deployment`), with an empty name.
    fn default() -> Self {
        DeploymentParams {
            name: Default::default(),
            generation: 1,
            replicas: 1,
            strategy: DeploymentStrategy::default_rolling_update(),
            revision_history_limit: Some(10),
            progress_deadline_seconds: Some(600),
            min_ready_seconds: 0,
            paused: false,
        }
    }
}

impl DeploymentParams {
    /// `IsRollingUpdate`.
    pub fn is_rolling_update(&self) -> bool {
        matches!(self.strategy, DeploymentStrategy::RollingUpdate { .. })
    }

    fn fenceposts(&self) -> Option<(i32, i32)> {
        match &self.strategy {
            DeploymentStrategy::RollingUpdate {
                max_surge,
                max_unavailable,
            } => Some(
                // Validation rejects unparseable values; upstream ignores the error (→ 0, 0).
                resolve_fenceposts(max_surge.as_ref(), max_unavailable.as_ref(), self.replicas)
                    .unwrap_or((0, 0)),
            ),
            DeploymentStrategy::Recreate => None,
        }
    }

    /// `MaxUnavailable`: 0 unless RollingUpdate with `D > 0`; otherwise the resolved value
    /// clamped to `D`.
    pub fn max_unavailable(&self) -> i32 {
        if self.replicas == 0 {
            return 0;
        }
        match self.fenceposts() {
            Some((_, unavailable)) => unavailable.min(self.replicas),
            None => 0,
        }
    }

    /// `MaxSurge`: 0 unless RollingUpdate; otherwise the resolved surge (not clamped).
    pub fn max_surge(&self) -> i32 {
        self.fenceposts().map_or(0, |(surge, _)| surge)
    }

    /// `MinAvailable`: `D − MaxUnavailable` for RollingUpdate, else 0.
    pub fn min_available(&self) -> i32 {
        if !self.is_rolling_update() {
            return 0;
        }
        self.replicas.wrapping_sub(self.max_unavailable())
    }

    /// `HasRevisionHistoryLimit`.
    pub fn has_revision_history_limit(&self) -> bool {
        matches!(self.revision_history_limit, Some(l) if l != i32::MAX)
    }

    /// `HasProgressDeadline`.
    pub fn has_progress_deadline(&self) -> bool {
        matches!(self.progress_deadline_seconds, Some(s) if s != i32::MAX)
    }

    /// The value of the `max-replicas` annotation the controller writes: `D + MaxSurge`.
    pub fn max_replicas(&self) -> i32 {
        self.replicas.wrapping_add(self.max_surge())
    }
}

/// `NewRSNewReplicas`: the size the new ReplicaSet should have now.
///
/// `current_pod_count` is Σ `spec.replicas` over all ReplicaSets *including* the new one, whose
/// own size is `new_rs_replicas`. RollingUpdate grows the new RS up to `D + maxSurge` total but
/// never past `D`; Recreate jumps to `D`.
pub fn new_rs_new_replicas(
    d: &DeploymentParams,
    current_pod_count: i32,
    new_rs_replicas: i32,
) -> Result<i32, String> {
    match &d.strategy {
        DeploymentStrategy::RollingUpdate { max_surge, .. } => {
            // Upstream uses the raw surge here, not ResolveFenceposts (its 0/0 fix-up only
            // touches maxUnavailable anyway).
            let surge = scaled_value_from_int_or_percent(max_surge.as_ref(), d.replicas, true)?;
            let max_total_pods = d.replicas.wrapping_add(surge as i32);
            if current_pod_count >= max_total_pods {
                return Ok(new_rs_replicas);
            }
            let scale_up_count = max_total_pods
                .wrapping_sub(current_pod_count)
                .min(d.replicas.wrapping_sub(new_rs_replicas));
            Ok(new_rs_replicas.wrapping_add(scale_up_count))
        }
        DeploymentStrategy::Recreate => Ok(d.replicas),
    }
}

/// The part of a ReplicaSet the Deployment controller reads.
///
/// Annotations are kept as the raw strings so the controller's "does the annotation need an
/// update" checks compare exactly what upstream compares; borrowed from the ReplicaSet they
/// were read from (a sync snapshots each ReplicaSet twice and the planners copy snapshots),
/// owned when a planner writes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RsSnapshot<'a> {
    /// `metadata.name`.
    pub name: SharedStr,
    /// `metadata.creationTimestamp` in virtual milliseconds.
    pub creation_ms: i64,
    /// The `deployment.kubernetes.io/revision` annotation.
    pub revision_annotation: Option<Cow<'a, str>>,
    /// The `deployment.kubernetes.io/desired-replicas` annotation.
    pub desired_replicas_annotation: Option<Cow<'a, str>>,
    /// The `deployment.kubernetes.io/max-replicas` annotation.
    pub max_replicas_annotation: Option<Cow<'a, str>>,
    /// `spec.replicas`.
    pub spec_replicas: i32,
    /// `status.replicas`.
    pub status_replicas: i32,
    /// `status.readyReplicas`.
    pub ready_replicas: i32,
    /// `status.availableReplicas`.
    pub available_replicas: i32,
    /// `metadata.generation`.
    pub generation: i64,
    /// `status.observedGeneration`.
    pub observed_generation: i64,
    /// `metadata.deletionTimestamp` is set.
    pub being_deleted: bool,
}

impl RsSnapshot<'_> {
    /// `deploymentutil.Revision`: a missing annotation is revision 0; an unparseable one is an
    /// error (`None`).
    pub fn revision(&self) -> Option<i64> {
        match &self.revision_annotation {
            None => Some(0),
            Some(v) => v.parse().ok(),
        }
    }

    /// `GetDesiredReplicasAnnotation`: the annotation parsed as int32, if present and valid.
    pub fn desired_replicas(&self) -> Option<i32> {
        self.desired_replicas_annotation.as_deref()?.parse().ok()
    }

    /// `getMaxReplicasAnnotation`: the annotation parsed as int32, if present and valid.
    pub fn max_replicas(&self) -> Option<i32> {
        self.max_replicas_annotation.as_deref()?.parse().ok()
    }

    /// `ReplicasAnnotationsNeedUpdate`: the desired/max annotations differ (as strings) from
    /// what the controller would write.
    pub fn replicas_annotations_need_update(&self, desired: i32, max: i32) -> bool {
        !is_decimal(self.desired_replicas_annotation.as_deref(), desired)
            || !is_decimal(self.max_replicas_annotation.as_deref(), max)
    }

    /// `SetReplicasAnnotations`: write the desired/max annotations; true if anything changed.
    pub fn set_replicas_annotations(&mut self, desired: i32, max: i32) -> bool {
        let changed = self.replicas_annotations_need_update(desired, max);
        self.desired_replicas_annotation = Some(desired.to_string().into());
        self.max_replicas_annotation = Some(max.to_string().into());
        changed
    }

    /// `FilterActiveReplicaSets`'s test: `spec.replicas > 0`.
    pub fn is_active(&self) -> bool {
        self.spec_replicas > 0
    }
}

/// `controller.ReplicaSetsByCreationTimestamp`: older first, then by name.
pub fn by_creation_timestamp(a: &RsSnapshot, b: &RsSnapshot) -> bool {
    if a.creation_ms == b.creation_ms {
        return a.name < b.name;
    }
    a.creation_ms < b.creation_ms
}

/// `ReplicaSetsByRevision`: lower revision first; equal or unparseable revisions fall back to
/// creation order.
pub fn by_revision(a: &RsSnapshot, b: &RsSnapshot) -> bool {
    match (a.revision(), b.revision()) {
        (Some(ra), Some(rb)) if ra != rb => ra < rb,
        _ => by_creation_timestamp(a, b),
    }
}

/// `controller.ReplicaSetsBySizeOlder`: larger first; equal sizes older first (scale-down order).
pub fn by_size_older(a: &RsSnapshot, b: &RsSnapshot) -> bool {
    if a.spec_replicas == b.spec_replicas {
        return by_creation_timestamp(a, b);
    }
    a.spec_replicas > b.spec_replicas
}

/// `controller.ReplicaSetsBySizeNewer`: larger first; equal sizes newer first (scale-up order).
pub fn by_size_newer(a: &RsSnapshot, b: &RsSnapshot) -> bool {
    if a.spec_replicas == b.spec_replicas {
        return by_creation_timestamp(b, a);
    }
    a.spec_replicas > b.spec_replicas
}

/// Whether `text` is `n.to_string()`, compared without building that string (a sync asks it
/// of every ReplicaSet it looks at).
fn is_decimal(text: Option<&str>, n: i32) -> bool {
    use std::io::Write;
    let mut buf = [0u8; 11];
    let capacity = buf.len();
    let mut rest = &mut buf[..];
    // 11 bytes hold every i32 ("-2147483648"), so the write cannot fail.
    if write!(rest, "{n}").is_err() {
        return text == Some(n.to_string().as_str());
    }
    let len = capacity - rest.len();
    text.map(str::as_bytes) == buf.get(..len)
}

/// Sort ReplicaSets oldest first (`sort.Sort(ReplicaSetsByCreationTimestamp(..))`).
pub fn sort_by_creation(rss: &mut Vec<RsSnapshot>) {
    sort_by_less(rss, by_creation_timestamp);
}

/// `MaxRevision`: the largest parseable revision, 0 if none.
pub fn max_revision<'a, 'rs: 'a>(rss: impl IntoIterator<Item = &'a RsSnapshot<'rs>>) -> i64 {
    rss.into_iter()
        .filter_map(RsSnapshot::revision)
        .fold(0, i64::max)
}

/// `GetReplicaCountForReplicaSets`: Σ `spec.replicas`.
pub fn replica_count<'a, 'rs: 'a>(rss: impl IntoIterator<Item = &'a RsSnapshot<'rs>>) -> i32 {
    rss.into_iter()
        .fold(0i32, |acc, rs| acc.wrapping_add(rs.spec_replicas))
}

/// `GetActualReplicaCountForReplicaSets`: Σ `status.replicas`.
pub fn actual_replica_count<'a, 'rs: 'a>(
    rss: impl IntoIterator<Item = &'a RsSnapshot<'rs>>,
) -> i32 {
    rss.into_iter()
        .fold(0i32, |acc, rs| acc.wrapping_add(rs.status_replicas))
}

/// `GetReadyReplicaCountForReplicaSets`: Σ `status.readyReplicas`.
pub fn ready_replica_count<'a, 'rs: 'a>(rss: impl IntoIterator<Item = &'a RsSnapshot<'rs>>) -> i32 {
    rss.into_iter()
        .fold(0i32, |acc, rs| acc.wrapping_add(rs.ready_replicas))
}

/// `GetAvailableReplicaCountForReplicaSets`: Σ `status.availableReplicas`.
pub fn available_replica_count<'a, 'rs: 'a>(
    rss: impl IntoIterator<Item = &'a RsSnapshot<'rs>>,
) -> i32 {
    rss.into_iter()
        .fold(0i32, |acc, rs| acc.wrapping_add(rs.available_replicas))
}

/// One write the Deployment controller makes to a ReplicaSet, in the order it makes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RsAction {
    /// Create the new ReplicaSet `name` with `spec.replicas = replicas`, annotated with
    /// `revision`, `desired-replicas` and `max-replicas`.
    Create {
        /// `<deployment>-<pod-template-hash>`.
        name: String,
        /// Initial `spec.replicas` (`NewRSNewReplicas` counting its own size as 0).
        replicas: i32,
        /// Value for the revision annotation.
        revision: i64,
        /// Value for the desired-replicas annotation.
        desired_replicas: i32,
        /// Value for the max-replicas annotation.
        max_replicas: i32,
    },
    /// Update `spec.replicas` from `from` to `to` and set the desired/max annotations.
    /// `from == to` is an annotation-only update (proportional scaling does those).
    Scale {
        /// The ReplicaSet.
        name: String,
        /// `spec.replicas` before.
        from: i32,
        /// `spec.replicas` after.
        to: i32,
        /// Value for the desired-replicas annotation.
        desired_replicas: i32,
        /// Value for the max-replicas annotation.
        max_replicas: i32,
    },
    /// Delete an old ReplicaSet (revision-history cleanup).
    Delete {
        /// The ReplicaSet.
        name: String,
    },
}

impl RsAction {
    /// The `ScalingReplicaSet` event upstream records for this action, if any.
    pub fn event_message(&self) -> Option<String> {
        match self {
            RsAction::Create { name, replicas, .. } if *replicas > 0 => {
                Some(format!("Scaled up replica set {name} from 0 to {replicas}"))
            }
            RsAction::Scale { name, from, to, .. } if from != to => {
                let op = if from < to { "up" } else { "down" };
                Some(format!(
                    "Scaled {op} replica set {name} from {from} to {to}"
                ))
            }
            _ => None,
        }
    }
}

/// `scaleReplicaSet`: set `spec.replicas` and the desired/max annotations if either differs.
/// Returns whether the *size* changed (annotation-only updates do not count as scaling).
pub fn scale_replica_set(
    d: &DeploymentParams,
    rs: &mut RsSnapshot,
    new_scale: i32,
    actions: &mut Vec<RsAction>,
) -> bool {
    let size_needs_update = rs.spec_replicas != new_scale;
    let max = d.max_replicas();
    if !size_needs_update && !rs.replicas_annotations_need_update(d.replicas, max) {
        return false;
    }
    actions.push(RsAction::Scale {
        name: rs.name.to_string(),
        from: rs.spec_replicas,
        to: new_scale,
        desired_replicas: d.replicas,
        max_replicas: max,
    });
    rs.spec_replicas = new_scale;
    rs.set_replicas_annotations(d.replicas, max);
    size_needs_update
}

/// `scaleReplicaSetAndRecordEvent`: like [`scale_replica_set`] but a no-op when the size is
/// already right (annotations are then left alone).
pub fn scale_replica_set_and_record_event(
    d: &DeploymentParams,
    rs: &mut RsSnapshot,
    new_scale: i32,
    actions: &mut Vec<RsAction>,
) -> bool {
    if rs.spec_replicas == new_scale {
        return false;
    }
    scale_replica_set(d, rs, new_scale, actions)
}

/// A condition's text: the controller's own constants and the stored status's texts are
/// borrowed, so reading the stored status and building and copying conditions (several times
/// per sync) allocates only for a text made at run time.
pub type Text<'a> = Cow<'a, str>;

/// `Available=True` message.
pub const MESSAGE_MINIMUM_AVAILABILITY: &str = "Deployment has minimum availability.";
/// `Available=False` message.
pub const MESSAGE_NO_MINIMUM_AVAILABILITY: &str = "Deployment does not have minimum availability.";
/// `Progressing=Unknown` message when paused.
pub const MESSAGE_PAUSED: &str = "Deployment is paused";
/// `Progressing=Unknown` message when resumed.
pub const MESSAGE_RESUMED: &str = "Deployment is resumed";

/// One `status.conditions[]` entry of a Deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentCondition<'a> {
    /// `type`: [`CONDITION_AVAILABLE`], [`CONDITION_PROGRESSING`] or [`CONDITION_REPLICA_FAILURE`].
    pub type_: Text<'a>,
    /// `status`: `True`, `False` or `Unknown`.
    pub status: Text<'a>,
    /// `reason`.
    pub reason: Text<'a>,
    /// `message`.
    pub message: Text<'a>,
    /// `lastUpdateTime` (virtual ms).
    pub last_update_ms: i64,
    /// `lastTransitionTime` (virtual ms).
    pub last_transition_ms: i64,
}

impl<'a> DeploymentCondition<'a> {
    /// `NewDeploymentCondition`: both times set to `now_ms`.
    pub fn new(
        type_: &'static str,
        status: &'static str,
        reason: &'static str,
        message: impl Into<Text<'a>>,
        now_ms: i64,
    ) -> Self {
        DeploymentCondition {
            type_: Text::Borrowed(type_),
            status: Text::Borrowed(status),
            reason: Text::Borrowed(reason),
            message: message.into(),
            last_update_ms: now_ms,
            last_transition_ms: now_ms,
        }
    }
}

/// A Deployment's `status`; its texts may borrow from the stored status it was read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentStatusSnapshot<'a> {
    /// `observedGeneration`.
    pub observed_generation: i64,
    /// `replicas`: Σ RS `status.replicas`.
    pub replicas: i32,
    /// `updatedReplicas`: the new RS's `status.replicas`.
    pub updated_replicas: i32,
    /// `readyReplicas`.
    pub ready_replicas: i32,
    /// `availableReplicas`.
    pub available_replicas: i32,
    /// `unavailableReplicas`.
    pub unavailable_replicas: i32,
    /// `collisionCount`.
    pub collision_count: Option<i32>,
    /// `conditions`, in upstream's order (a changed condition moves to the end).
    pub conditions: Vec<DeploymentCondition<'a>>,
}

impl<'a> DeploymentStatusSnapshot<'a> {
    /// `GetDeploymentCondition`.
    pub fn condition(&self, type_: &str) -> Option<&DeploymentCondition<'a>> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }

    /// `SetDeploymentCondition`: no-op if status and reason are unchanged; keeps
    /// `lastTransitionTime` if only the reason changed; the new condition goes last.
    pub fn set_condition(&mut self, mut condition: DeploymentCondition<'a>) {
        if let Some(current) = self.condition(&condition.type_) {
            if current.status == condition.status && current.reason == condition.reason {
                return;
            }
            if current.status == condition.status {
                condition.last_transition_ms = current.last_transition_ms;
            }
        }
        self.conditions.retain(|c| c.type_ != condition.type_);
        self.conditions.push(condition);
    }

    /// `RemoveDeploymentCondition`.
    pub fn remove_condition(&mut self, type_: &str) {
        self.conditions.retain(|c| c.type_ != type_);
    }
}

/// `DeploymentComplete`: every replica updated, no old ones left, all available, and the status
/// describes the current generation.
pub fn deployment_complete(d: &DeploymentParams, status: &DeploymentStatusSnapshot) -> bool {
    status.updated_replicas == d.replicas
        && status.replicas == d.replicas
        && status.available_replicas == d.replicas
        && status.observed_generation >= d.generation
}

/// `DeploymentProgressing`: did anything move forward between `old` (the Deployment's current
/// status) and `new` (the freshly computed one)?
pub fn deployment_progressing(
    old: &DeploymentStatusSnapshot,
    new: &DeploymentStatusSnapshot,
) -> bool {
    let old_old_replicas = old.replicas.wrapping_sub(old.updated_replicas);
    let new_old_replicas = new.replicas.wrapping_sub(new.updated_replicas);
    new.updated_replicas > old.updated_replicas
        || new_old_replicas < old_old_replicas
        || new.ready_replicas > old.ready_replicas
        || new.available_replicas > old.available_replicas
}

/// `DeploymentTimedOut`: has the Progressing condition in `status` gone without an update for
/// longer than `progressDeadlineSeconds` (strictly)?
pub fn deployment_timed_out(
    d: &DeploymentParams,
    status: &DeploymentStatusSnapshot,
    now_ms: i64,
) -> bool {
    let Some(deadline_s) = d
        .progress_deadline_seconds
        .filter(|_| d.has_progress_deadline())
    else {
        return false;
    };
    let Some(condition) = status.condition(CONDITION_PROGRESSING) else {
        return false;
    };
    if condition.reason == REASON_NEW_REPLICA_SET_AVAILABLE {
        return false;
    }
    if condition.reason == REASON_PROGRESS_DEADLINE_EXCEEDED {
        return true;
    }
    condition
        .last_update_ms
        .saturating_add(i64::from(deadline_s).saturating_mul(1000))
        < now_ms
}

/// FNV-1a, 32 bit (`hash/fnv.New32a`).
pub fn fnv32a(bytes: &[u8]) -> u32 {
    let mut h = Fnv32a::default();
    h.update(bytes);
    h.sum()
}

/// FNV-1a, 32 bit, fed piece by piece: a writer, so that a serialization can be hashed as it
/// is written instead of being kept in a buffer first.
#[derive(Clone, Copy, Debug)]
pub struct Fnv32a(u32);

impl Default for Fnv32a {
    fn default() -> Self {
        Fnv32a(0x811c_9dc5)
    }
}

impl Fnv32a {
    /// Hashes `bytes` after everything written so far.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0 = bytes
            .iter()
            .fold(self.0, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193));
    }

    /// The hash of everything written so far.
    pub fn sum(&self) -> u32 {
        self.0
    }
}

impl std::io::Write for Fnv32a {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The alphabet of `apimachinery/pkg/util/rand` (no vowels, no confusable digits).
pub const SAFE_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// `rand.SafeEncodeString`: each character `c` becomes `alphabet[c % 27]`.
pub fn safe_encode_string(s: &str) -> String {
    s.chars()
        .map(|c| char::from(SAFE_ALPHABET[(c as usize) % SAFE_ALPHABET.len()]))
        .collect()
}

/// `controller.ComputeHash`: FNV-32a over the template's canonical bytes, then the collision
/// count as 8 bytes (little-endian `uint32`, zero padded) if set, rendered as decimal and
/// safe-encoded.
///
/// Upstream hashes a Go `spew` dump of the template, which cannot be reproduced; callers pass a
/// canonical serialization (e.g. JSON with sorted keys) instead, so the value differs from a real
/// cluster's but has the same character set, length and sensitivity to template changes.
pub fn pod_template_hash(template_bytes: &[u8], collision_count: Option<i32>) -> String {
    let mut h = Fnv32a::default();
    h.update(template_bytes);
    finish_pod_template_hash(h, collision_count)
}

/// [`pod_template_hash`] of the bytes already written to `h`.
pub fn finish_pod_template_hash(mut h: Fnv32a, collision_count: Option<i32>) -> String {
    if let Some(count) = collision_count {
        h.update(&(count as u32).to_le_bytes());
        h.update(&[0u8; 4]);
    }
    // The decimal digits on the stack: only the encoded hash is allocated.
    crate::api::shared::decimal_digits(u64::from(h.sum()), &mut [0; 20])
        .bytes()
        .map(|c| char::from(SAFE_ALPHABET[usize::from(c) % SAFE_ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(s: &str) -> IntOrString {
        IntOrString::String(s.to_string())
    }

    fn rolling(d: i32, surge: IntOrString, unavailable: IntOrString) -> DeploymentParams {
        DeploymentParams {
            replicas: d,
            strategy: DeploymentStrategy::RollingUpdate {
                max_surge: Some(surge),
                max_unavailable: Some(unavailable),
            },
            ..DeploymentParams::default()
        }
    }

    /// §1.2 TestResolveFenceposts.
    #[test]
    fn resolve_fenceposts_vectors() {
        let cases = [
            ("0%", "0%", 0, Some((0, 1))),
            ("39%", "39%", 10, Some((4, 3))),
            ("oops", "39%", 10, None),
            ("55%", "urg", 10, None),
        ];
        for (surge, unavailable, d, want) in cases {
            let got = resolve_fenceposts(Some(&pct(surge)), Some(&pct(unavailable)), d);
            match want {
                Some(w) => assert_eq!(got, Ok(w), "{surge} {unavailable} D={d}"),
                None => {
                    let err = got.expect_err("want error");
                    assert!(
                        err.contains("invalid type: string is not a percentage"),
                        "{err}"
                    );
                }
            }
        }
    }

    #[test]
    fn absent_fenceposts_count_as_zero() {
        assert_eq!(resolve_fenceposts(None, None, 10), Ok((0, 1)));
        assert_eq!(
            resolve_fenceposts(Some(&IntOrString::Int(2)), None, 10),
            Ok((2, 0))
        );
    }

    #[test]
    fn percentage_errors_are_worded_as_upstream() {
        assert_eq!(
            scaled_value_from_int_or_percent(Some(&pct("oops")), 10, true),
            Err("invalid value for IntOrString: invalid type: string is not a percentage".into())
        );
        assert_eq!(
            scaled_value_from_int_or_percent(Some(&pct("a%")), 10, true),
            Err("invalid value for IntOrString: invalid value \"a%\": strconv.Atoi: parsing \"a\": invalid syntax".into())
        );
        assert_eq!(
            scaled_value_from_int_or_percent(None, 10, true),
            Err("nil value for IntOrString".into())
        );
    }

    /// §1.2 percentage rounding (derived): surge rounds up, unavailable down, 0/0 → 1.
    #[test]
    fn percentage_rounding_vectors() {
        let cases = [
            ("25%", 1, 1, 0),
            ("25%", 3, 1, 0),
            ("25%", 4, 1, 1),
            ("25%", 10, 3, 2),
            ("25%", 100, 25, 25),
            ("50%", 5, 3, 2),
        ];
        for (v, d, want_surge, want_unavailable) in cases {
            let got = resolve_fenceposts(Some(&pct(v)), Some(&pct(v)), d);
            assert_eq!(got, Ok((want_surge, want_unavailable)), "{v} of {d}");
        }
        assert_eq!(
            resolve_fenceposts(Some(&pct("0%")), Some(&pct("0%")), 10),
            Ok((0, 1))
        );
    }

    /// §1.2 TestMaxUnavailable (maxSurge = 1).
    #[test]
    fn max_unavailable_vectors() {
        let int = IntOrString::Int;
        let cases = [
            (10, int(5), 5),
            (10, int(10), 10),
            (5, int(10), 5),
            (0, int(10), 0),
            (10, pct("50%"), 5),
            (10, pct("100%"), 10),
            (5, pct("100%"), 5),
        ];
        for (d, unavailable, want) in cases {
            let dep = rolling(d, int(1), unavailable.clone());
            assert_eq!(
                dep.max_unavailable(),
                want,
                "D={d} maxUnavailable={unavailable}"
            );
        }
        let recreate = DeploymentParams {
            replicas: 10,
            strategy: DeploymentStrategy::Recreate,
            ..DeploymentParams::default()
        };
        assert_eq!(recreate.max_unavailable(), 0);
        assert_eq!(recreate.max_surge(), 0);
        assert_eq!(recreate.min_available(), 0);
    }

    /// §1.3 TestNewRSNewReplicas (all RSs total 5 replicas; maxUnavailable 1).
    #[test]
    fn new_rs_new_replicas_vectors() {
        let int = IntOrString::Int;
        let cases = [
            (
                DeploymentStrategy::RollingUpdate {
                    max_surge: Some(int(1)),
                    max_unavailable: Some(int(1)),
                },
                1,
                5,
                5,
            ),
            (
                DeploymentStrategy::RollingUpdate {
                    max_surge: Some(int(10)),
                    max_unavailable: Some(int(1)),
                },
                6,
                2,
                6,
            ),
            (DeploymentStrategy::Recreate, 3, 1, 3),
        ];
        for (strategy, d, new_rs, want) in cases {
            let dep = DeploymentParams {
                replicas: d,
                strategy: strategy.clone(),
                ..DeploymentParams::default()
            };
            assert_eq!(
                new_rs_new_replicas(&dep, 5, new_rs),
                Ok(want),
                "{strategy:?} D={d}"
            );
        }
    }

    /// §1.7 TestDeploymentComplete.
    #[test]
    fn deployment_complete_vectors() {
        // (D, replicas, updated, available, maxUnavailable, maxSurge) → complete
        let cases = [
            (5, 5, 5, 4, 1, 0, false),
            (5, 5, 5, 3, 1, 0, false),
            (5, 5, 5, 5, 0, 0, true),
            (5, 5, 4, 5, 0, 0, false),
            (1, 2, 1, 1, 0, 1, false),
            (1, 1, 1, 0, 0, 1, false),
        ];
        for (d, replicas, updated, available, mu, ms, want) in cases {
            let dep = rolling(d, IntOrString::Int(ms), IntOrString::Int(mu));
            let status = DeploymentStatusSnapshot {
                observed_generation: dep.generation,
                replicas,
                updated_replicas: updated,
                available_replicas: available,
                ..Default::default()
            };
            assert_eq!(
                deployment_complete(&dep, &status),
                want,
                "{d} {replicas} {updated} {available}"
            );
        }
        let dep = rolling(1, IntOrString::Int(1), IntOrString::Int(0));
        let stale = DeploymentStatusSnapshot {
            observed_generation: dep.generation - 1,
            replicas: 1,
            updated_replicas: 1,
            available_replicas: 1,
            ..Default::default()
        };
        assert!(
            !deployment_complete(&dep, &stale),
            "an old generation is never complete"
        );
    }

    /// §1.7 TestDeploymentProgressing.
    #[test]
    fn deployment_progressing_vectors() {
        let s = |replicas, updated, ready, available| DeploymentStatusSnapshot {
            replicas,
            updated_replicas: updated,
            ready_replicas: ready,
            available_replicas: available,
            ..Default::default()
        };
        let cases = [
            (s(10, 4, 4, 4), s(10, 6, 4, 4), true),
            (s(10, 4, 4, 4), s(10, 4, 4, 4), false),
            (s(10, 4, 6, 6), s(8, 4, 6, 6), true),
            (s(10, 7, 3, 3), s(10, 6, 3, 3), false),
            (s(10, 4, 7, 7), s(8, 8, 5, 5), true),
            (s(10, 10, 9, 8), s(10, 10, 10, 8), true),
            (s(10, 10, 10, 9), s(10, 10, 10, 10), true),
        ];
        for (old, new, want) in cases {
            assert_eq!(
                deployment_progressing(&old, &new),
                want,
                "{old:?} → {new:?}"
            );
        }
    }

    /// §1.7 TestDeploymentTimedOut (times as seconds past midnight).
    #[test]
    fn deployment_timed_out_vectors() {
        let at = |m: i64, s: i64| (m * 60 + s) * 1000;
        let progressing = |reason: &'static str, updated: i64| DeploymentStatusSnapshot {
            conditions: vec![DeploymentCondition {
                last_transition_ms: updated,
                ..DeploymentCondition::new(
                    CONDITION_PROGRESSING,
                    CONDITION_TRUE,
                    reason,
                    "",
                    updated,
                )
            }],
            ..Default::default()
        };
        let cases = [
            (None, REASON_REPLICA_SET_UPDATED, at(1, 9), at(1, 20), false),
            (
                Some(10),
                REASON_REPLICA_SET_UPDATED,
                at(1, 9),
                at(1, 20),
                true,
            ),
            (
                Some(10),
                REASON_REPLICA_SET_UPDATED,
                at(1, 11),
                at(1, 20),
                false,
            ),
            (
                None,
                REASON_NEW_REPLICA_SET_AVAILABLE,
                at(1, 9),
                at(1, 20),
                false,
            ),
            // Strictly before: exactly at the deadline is not yet timed out.
            (
                Some(10),
                REASON_REPLICA_SET_UPDATED,
                at(1, 10),
                at(1, 20),
                false,
            ),
            (
                Some(10),
                REASON_NEW_REPLICA_SET_AVAILABLE,
                at(1, 0),
                at(1, 20),
                false,
            ),
            (
                Some(10),
                REASON_PROGRESS_DEADLINE_EXCEEDED,
                at(1, 19),
                at(1, 20),
                true,
            ),
            (
                Some(i32::MAX),
                REASON_REPLICA_SET_UPDATED,
                at(0, 0),
                at(100, 0),
                false,
            ),
        ];
        for (deadline, reason, updated, now, want) in cases {
            let dep = DeploymentParams {
                progress_deadline_seconds: deadline,
                ..DeploymentParams::default()
            };
            let status = progressing(reason, updated);
            assert_eq!(
                deployment_timed_out(&dep, &status, now),
                want,
                "{deadline:?} {reason} {updated} {now}"
            );
        }
        let dep = DeploymentParams::default();
        assert!(!deployment_timed_out(
            &dep,
            &DeploymentStatusSnapshot::default(),
            i64::MAX
        ));
    }

    /// A stored condition's fixed texts come back borrowed (no copy), any other text as an
    /// owned copy; either way the text is the same.
    #[test]
    fn set_condition_keeps_transition_time_when_status_unchanged() {
        let mut status = DeploymentStatusSnapshot::default();
        status.set_condition(DeploymentCondition::new(
            CONDITION_AVAILABLE,
            CONDITION_TRUE,
            "A",
            "",
            1,
        ));
        status.set_condition(DeploymentCondition::new(
            CONDITION_PROGRESSING,
            CONDITION_TRUE,
            "B",
            "",
            2,
        ));
        // Same status and reason: nothing changes, not even lastUpdateTime.
        status.set_condition(DeploymentCondition::new(
            CONDITION_AVAILABLE,
            CONDITION_TRUE,
            "A",
            "m",
            3,
        ));
        assert_eq!(status.conditions[0].last_update_ms, 1);
        // New reason, same status: moved last, transition time kept.
        status.set_condition(DeploymentCondition::new(
            CONDITION_AVAILABLE,
            CONDITION_TRUE,
            "C",
            "",
            4,
        ));
        assert_eq!(status.conditions[1].type_, CONDITION_AVAILABLE);
        assert_eq!(
            (
                status.conditions[1].last_update_ms,
                status.conditions[1].last_transition_ms
            ),
            (4, 1)
        );
        // New status: transition time moves.
        status.set_condition(DeploymentCondition::new(
            CONDITION_AVAILABLE,
            CONDITION_FALSE,
            "C",
            "",
            5,
        ));
        assert_eq!(
            status
                .condition(CONDITION_AVAILABLE)
                .map(|c| c.last_transition_ms),
            Some(5)
        );
    }

    /// §1.10: SafeEncodeString maps each decimal digit through `alphabet[ascii % 27]`.
    #[test]
    fn safe_encoding_of_hash_digits() {
        assert_eq!(safe_encode_string("3761580921"), "7cb59d4f65");
        assert_eq!(safe_encode_string("0123456789"), "456789bcdf");
    }

    /// The decimal rendering on the stack encodes as `SafeEncodeString` of the decimal
    /// string, and hashing in pieces as hashing at once, for hashes of every digit count.
    #[test]
    fn pod_template_hash_is_safe_encoded_decimal_of_fnv32a() {
        let inputs: [&[u8]; 5] = [b"", b"a", b"foobar", b"{\"spec\":{}}", &[0xff; 40]];
        for bytes in inputs {
            for count in [None, Some(0), Some(1), Some(-1), Some(i32::MAX)] {
                let mut all = bytes.to_vec();
                if let Some(c) = count {
                    all.extend_from_slice(&(c as u32).to_le_bytes());
                    all.extend_from_slice(&[0u8; 4]);
                }
                let expected = safe_encode_string(&fnv32a(&all).to_string());
                assert_eq!(pod_template_hash(bytes, count), expected);
                let mut pieces = Fnv32a::default();
                for chunk in bytes.chunks(3) {
                    pieces.update(chunk);
                }
                assert_eq!(finish_pod_template_hash(pieces, count), expected);
            }
        }
        // A one-digit and a ten-digit hash, rendered without leading zeros.
        for n in [0u32, 7, 10, 4_294_967_295] {
            let h = Fnv32a(n);
            assert_eq!(
                finish_pod_template_hash(h, None),
                safe_encode_string(&n.to_string())
            );
        }
    }

    /// The stack comparison answers as comparing with `n.to_string()`, for texts that parse
    /// to `n` without being its canonical rendering among others.
    #[test]
    fn is_decimal_is_equality_with_the_decimal_rendering() {
        let texts = [
            None,
            Some(""),
            Some("5"),
            Some("05"),
            Some("+5"),
            Some(" 5"),
            Some("5 "),
            Some("-5"),
            Some("0"),
            Some("-0"),
            Some("15"),
            Some("2147483647"),
            Some("-2147483648"),
            Some("21474836470"),
        ];
        for n in [0, 5, -5, 15, 150, i32::MAX, i32::MIN] {
            for text in texts {
                assert_eq!(
                    is_decimal(text, n),
                    text == Some(n.to_string().as_str()),
                    "{text:?} vs {n}"
                );
            }
            assert!(is_decimal(Some(&n.to_string()), n), "{n}");
        }
    }

    #[test]
    fn fnv32a_reference_values() {
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(fnv32a(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn pod_template_hash_shape_and_collision_count() {
        let template = br#"{"metadata":{"labels":{"app":"web"}}}"#;
        let h = pod_template_hash(template, None);
        assert!(!h.is_empty() && h.len() <= 10, "{h}");
        assert!(h.bytes().all(|b| b"456789bcdf".contains(&b)), "{h}");
        // The collision count is appended as 8 bytes (LE u32 + 4 zero bytes).
        let mut with_count = template.to_vec();
        with_count.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            pod_template_hash(template, Some(1)),
            safe_encode_string(&fnv32a(&with_count).to_string())
        );
        assert_ne!(pod_template_hash(template, Some(1)), h);
        assert_ne!(
            pod_template_hash(br#"{"metadata":{"labels":{"app":"api"}}}"#, None),
            h
        );
    }

    #[test]
    fn revision_ordering_falls_back_to_creation() {
        let rs = |name: &str, created: i64, rev: Option<&str>| RsSnapshot {
            name: name.into(),
            creation_ms: created,
            revision_annotation: rev.map(|r| r.to_string().into()),
            ..Default::default()
        };
        assert!(by_revision(&rs("a", 5, Some("2")), &rs("b", 1, Some("10"))));
        assert!(by_revision(&rs("b", 1, Some("x")), &rs("a", 5, Some("1"))));
        assert!(by_revision(&rs("a", 1, Some("3")), &rs("b", 1, Some("3"))));
        assert_eq!(
            max_revision(&[
                rs("a", 0, Some("3")),
                rs("b", 0, Some("x")),
                rs("c", 0, None)
            ]),
            3
        );
    }
}
