//! `pkg/controller/deployment/sync.go` and `progress.go`: proportional scaling, scaling-event
//! detection, revision-history cleanup, and the Deployment's status and conditions.

use super::rolling::RolloutPlan;
use super::util::{
    actual_replica_count, available_replica_count, by_creation_timestamp, by_revision,
    by_size_newer, by_size_older, deployment_complete, deployment_progressing,
    deployment_timed_out, ready_replica_count, replica_count, scale_replica_set,
    scale_replica_set_and_record_event, DeploymentCondition, DeploymentParams,
    DeploymentStatusSnapshot, RsAction, RsSnapshot, CONDITION_AVAILABLE, CONDITION_FALSE,
    CONDITION_PROGRESSING, CONDITION_REPLICA_FAILURE, CONDITION_TRUE, CONDITION_UNKNOWN,
    MESSAGE_MINIMUM_AVAILABILITY, MESSAGE_NO_MINIMUM_AVAILABILITY, MESSAGE_PAUSED, MESSAGE_RESUMED,
    REASON_DEPLOYMENT_PAUSED, REASON_DEPLOYMENT_RESUMED, REASON_FOUND_NEW_REPLICA_SET,
    REASON_MINIMUM_REPLICAS_AVAILABLE, REASON_MINIMUM_REPLICAS_UNAVAILABLE,
    REASON_NEW_REPLICA_SET_AVAILABLE, REASON_NEW_REPLICA_SET_CREATED,
    REASON_PROGRESS_DEADLINE_EXCEEDED, REASON_REPLICA_SET_CREATE_ERROR, REASON_REPLICA_SET_UPDATED,
};
use crate::controllers::controller_utils::sort_by_less;

/// `IsSaturated`: the new RS has `D` replicas, a desired annotation of `D` and `D` available.
pub fn is_saturated(d: &DeploymentParams, rs: Option<&RsSnapshot>) -> bool {
    let Some(rs) = rs else { return false };
    // Upstream uses strconv.Atoi (64-bit) then converts to int32.
    let Some(desired) = rs
        .desired_replicas_annotation
        .as_deref()
        .and_then(|v| v.parse::<i64>().ok())
    else {
        return false;
    };
    rs.spec_replicas == d.replicas
        && desired as i32 == d.replicas
        && rs.available_replicas == d.replicas
}

/// Old ReplicaSets newest first, as `FindActiveOrLatest` leaves them (it sorts in place).
fn newest_first<'a>(old: &[RsSnapshot<'a>]) -> Vec<RsSnapshot<'a>> {
    let mut sorted = old.to_vec();
    sort_by_less(&mut sorted, |a, b| by_creation_timestamp(b, a));
    sorted
}

/// `FindActiveOrLatest`: the only active RS; with none active, the new RS or else the newest old
/// one; with several active, `None`. `old` must be newest first.
fn find_active_or_latest<'a, 'rs>(
    new_rs: Option<&'a RsSnapshot<'rs>>,
    old_newest_first: &'a [RsSnapshot<'rs>],
) -> Option<&'a RsSnapshot<'rs>> {
    let active: Vec<&RsSnapshot> = old_newest_first
        .iter()
        .chain(new_rs)
        .filter(|rs| rs.is_active())
        .collect();
    match active.len() {
        0 => new_rs.or(old_newest_first.first()),
        1 => active.first().copied(),
        _ => None,
    }
}

/// Round half away from zero, as `integer.RoundToInt32` does for the float quotient.
fn round_div(numerator: i128, denominator: i128) -> i128 {
    let (n, q) = if denominator < 0 {
        (-numerator, -denominator)
    } else {
        (numerator, denominator)
    };
    if n >= 0 {
        (2 * n + q) / (2 * q)
    } else {
        -((-2 * n + q) / (2 * q))
    }
}

/// `getReplicaSetFraction`: how many replicas this RS gains (or loses) when the Deployment's
/// maximum goes from the RS's `max-replicas` annotation to `D + maxSurge`.
///
/// A missing annotation falls back to `deployment_status_replicas`. Upstream divides by zero when
/// that is 0 as well; here the RS then gets no proportional share (leftovers still apply).
pub fn replica_set_fraction(
    rs: &RsSnapshot,
    d: &DeploymentParams,
    deployment_status_replicas: i32,
) -> i32 {
    if d.replicas == 0 {
        return rs.spec_replicas.wrapping_neg();
    }
    let deployment_max = d.max_replicas();
    let before = rs.max_replicas().unwrap_or(deployment_status_replicas);
    if before == 0 {
        return 0;
    }
    // Upstream multiplies in int32 (wrapping) before converting to float.
    let numerator = i128::from(rs.spec_replicas.wrapping_mul(deployment_max));
    let new_size = round_div(numerator, i128::from(before))
        .clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32;
    new_size.wrapping_sub(rs.spec_replicas)
}

/// `GetReplicaSetProportion`: the RS's fraction, bounded by what is left to add (or remove).
pub fn replica_set_proportion(
    rs: &RsSnapshot,
    d: &DeploymentParams,
    deployment_status_replicas: i32,
    to_add: i32,
    added: i32,
) -> i32 {
    if rs.spec_replicas == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(rs, d, deployment_status_replicas);
    let allowed = to_add.wrapping_sub(added);
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `scale`: resize the Deployment's ReplicaSets after `spec.replicas` (or the surge) changed.
///
/// * One active RS (or none: the new, else the newest): straight to `D`.
/// * A saturated new RS: every active old RS to 0.
/// * RollingUpdate: spread `D + maxSurge − Σ spec` over the active RSs in proportion to their
///   size, largest first (ties newer first when growing, older first when shrinking); the
///   rounding leftover goes to the first RS, never below 0. Every active RS gets its
///   desired/max annotations refreshed, even when its size does not change.
/// * Recreate with several active RSs: nothing.
///
/// `deployment_status_replicas` is the Deployment's `status.replicas` (fallback for a missing
/// `max-replicas` annotation).
pub fn scale(
    d: &DeploymentParams,
    deployment_status_replicas: i32,
    new_rs: Option<&RsSnapshot>,
    old: &[RsSnapshot],
) -> Vec<RsAction> {
    let mut actions = Vec::new();
    let old = newest_first(old);
    if let Some(rs) = find_active_or_latest(new_rs, &old) {
        if rs.spec_replicas != d.replicas {
            let mut rs = rs.clone();
            scale_replica_set_and_record_event(d, &mut rs, d.replicas, &mut actions);
        }
        return actions;
    }

    if is_saturated(d, new_rs) {
        for rs in old.iter().filter(|rs| rs.is_active()) {
            scale_replica_set_and_record_event(d, &mut rs.clone(), 0, &mut actions);
        }
        return actions;
    }

    if !d.is_rolling_update() {
        return actions;
    }
    let mut all: Vec<RsSnapshot> = old
        .iter()
        .chain(new_rs)
        .filter(|rs| rs.is_active())
        .cloned()
        .collect();
    let all_replicas = replica_count(all.iter());
    let allowed = if d.replicas > 0 { d.max_replicas() } else { 0 };
    let to_add = allowed.wrapping_sub(all_replicas);
    if to_add > 0 {
        sort_by_less(&mut all, by_size_newer);
    } else if to_add < 0 {
        sort_by_less(&mut all, by_size_older);
    }

    let mut added: i32 = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(all.len());
    for rs in &all {
        if to_add != 0 {
            let proportion =
                replica_set_proportion(rs, d, deployment_status_replicas, to_add, added);
            sizes.push(rs.spec_replicas.wrapping_add(proportion));
            added = added.wrapping_add(proportion);
        } else {
            sizes.push(rs.spec_replicas);
        }
    }
    for (i, (rs, size)) in all.iter_mut().zip(sizes).enumerate() {
        let mut size = size;
        if i == 0 && to_add != 0 {
            size = size.wrapping_add(to_add.wrapping_sub(added)).max(0);
        }
        scale_replica_set(d, rs, size, &mut actions);
    }
    actions
}

/// `isScalingEvent`: some active RS carries a (valid) desired-replicas annotation other than `D`.
pub fn is_scaling_event(
    d: &DeploymentParams,
    new_rs: Option<&RsSnapshot>,
    old: &[RsSnapshot],
) -> bool {
    old.iter()
        .chain(new_rs)
        .filter(|rs| rs.is_active())
        .filter_map(RsSnapshot::desired_replicas)
        .any(|desired| desired != d.replicas)
}

/// `cleanupDeployment`: delete the oldest (by revision) old ReplicaSets beyond
/// `revisionHistoryLimit`. Of the `len − limit` oldest, only those fully scaled down
/// (`spec` and `status.replicas` 0), whose status is current and that are not being deleted go.
pub fn cleanup_deployment(d: &DeploymentParams, old: &[RsSnapshot]) -> Vec<RsAction> {
    let Some(limit) = d
        .revision_history_limit
        .filter(|_| d.has_revision_history_limit())
    else {
        return Vec::new();
    };
    let mut cleanable: Vec<RsSnapshot> =
        old.iter().filter(|rs| !rs.being_deleted).cloned().collect();
    let diff = i64::try_from(cleanable.len()).unwrap_or(i64::MAX) - i64::from(limit);
    if diff <= 0 {
        return Vec::new();
    }
    sort_by_less(&mut cleanable, by_revision);
    cleanable
        .iter()
        .take(usize::try_from(diff).unwrap_or(usize::MAX))
        .filter(|rs| {
            rs.status_replicas == 0
                && rs.spec_replicas == 0
                && rs.generation <= rs.observed_generation
                && !rs.being_deleted
        })
        .map(|rs| RsAction::Delete {
            name: rs.name.to_string(),
        })
        .collect()
}

/// `sync`: the path taken for a scaling event or a paused Deployment: proportional [`scale`],
/// then, if paused and no rollback is in flight, history cleanup. Never creates the new RS. The
/// caller then writes [`calculate_status`] (no progress conditions).
pub fn sync_scaling_or_paused(
    d: &DeploymentParams,
    status: &DeploymentStatusSnapshot,
    old: &[RsSnapshot],
    new_rs: Option<&RsSnapshot>,
) -> RolloutPlan {
    let mut actions = scale(d, status.replicas, new_rs, old);
    if d.paused {
        actions.extend(cleanup_deployment(d, old));
    }
    RolloutPlan {
        actions,
        error: None,
    }
}

/// `calculateStatus`: counts summed over `all` ReplicaSets (old and new), the previous
/// conditions, and the Available condition recomputed.
pub fn calculate_status<'a>(
    d: &DeploymentParams,
    previous: &DeploymentStatusSnapshot<'a>,
    all: &[&RsSnapshot],
    new_rs: Option<&RsSnapshot>,
    now_ms: i64,
) -> DeploymentStatusSnapshot<'a> {
    let available = available_replica_count(all.iter().copied());
    let total = replica_count(all.iter().copied());
    let mut status = DeploymentStatusSnapshot {
        observed_generation: d.generation,
        replicas: actual_replica_count(all.iter().copied()),
        updated_replicas: actual_replica_count(new_rs),
        ready_replicas: ready_replica_count(all.iter().copied()),
        available_replicas: available,
        unavailable_replicas: total.wrapping_sub(available).max(0),
        collision_count: previous.collision_count,
        conditions: previous.conditions.clone(),
    };
    let condition = if available >= d.replicas.wrapping_sub(d.max_unavailable()) {
        DeploymentCondition::new(
            CONDITION_AVAILABLE,
            CONDITION_TRUE,
            REASON_MINIMUM_REPLICAS_AVAILABLE,
            MESSAGE_MINIMUM_AVAILABILITY,
            now_ms,
        )
    } else {
        DeploymentCondition::new(
            CONDITION_AVAILABLE,
            CONDITION_FALSE,
            REASON_MINIMUM_REPLICAS_UNAVAILABLE,
            MESSAGE_NO_MINIMUM_AVAILABILITY,
            now_ms,
        )
    };
    status.set_condition(condition);
    status
}

/// When to look at a Deployment again to check its progress deadline (`requeueStuckDeployment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeue {
    /// Less than a second left: requeue now through the rate limiter.
    RateLimited,
    /// Requeue after this many milliseconds (deadline plus one second).
    AfterMs(i64),
}

/// The result of [`sync_rollout_status`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSync<'a> {
    /// The status to write.
    pub status: DeploymentStatusSnapshot<'a>,
    /// Whether it differs from the current one (upstream writes only then).
    pub changed: bool,
    /// When unchanged: when to check the progress deadline again, if ever.
    pub requeue: Option<Requeue>,
}

fn quoted_rs_or_deployment(
    d: &DeploymentParams,
    new_rs: Option<&RsSnapshot>,
    what: &str,
) -> String {
    use std::fmt::Write;
    let (kind, name) = match new_rs {
        Some(rs) => ("ReplicaSet", &*rs.name),
        None => ("Deployment", &*d.name),
    };
    // Sized up front (`format!` grows its buffer as it goes): a progressing Deployment
    // writes this message on every sync. Escapes in the name, if any, grow it as before.
    let mut msg = String::with_capacity(kind.len() + name.len() + what.len() + 4);
    let _ = write!(msg, "{kind} {name:?} {what}");
    msg
}

/// `syncRolloutStatus`: [`calculate_status`] plus the Progressing condition (complete /
/// progressing / timed out) and the ReplicaFailure condition.
///
/// `previous` is the Deployment's status as this sync left it before the status update (with any
/// `NewReplicaSetCreated` / `FoundNewReplicaSet` condition already set). `replica_failure` is the
/// first `ReplicaFailure` condition of the new RS, else of any RS (`getReplicaFailures`).
pub fn sync_rollout_status<'a>(
    d: &DeploymentParams,
    previous: &DeploymentStatusSnapshot<'a>,
    all: &[&RsSnapshot],
    new_rs: Option<&RsSnapshot>,
    replica_failure: Option<DeploymentCondition<'a>>,
    now_ms: i64,
) -> StatusSync<'a> {
    let mut status = calculate_status(d, previous, all, new_rs, now_ms);
    if !d.has_progress_deadline() {
        status.remove_condition(CONDITION_PROGRESSING);
    }
    let current = previous.condition(CONDITION_PROGRESSING);
    let is_complete_deployment = status.replicas == status.updated_replicas
        && current.is_some_and(|c| c.reason == REASON_NEW_REPLICA_SET_AVAILABLE);
    if d.has_progress_deadline() && !is_complete_deployment {
        if deployment_complete(d, &status) {
            let msg = quoted_rs_or_deployment(d, new_rs, "has successfully progressed.");
            status.set_condition(DeploymentCondition::new(
                CONDITION_PROGRESSING,
                CONDITION_TRUE,
                REASON_NEW_REPLICA_SET_AVAILABLE,
                msg,
                now_ms,
            ));
        } else if deployment_progressing(previous, &status) {
            let msg = quoted_rs_or_deployment(d, new_rs, "is progressing.");
            let mut condition = DeploymentCondition::new(
                CONDITION_PROGRESSING,
                CONDITION_TRUE,
                REASON_REPLICA_SET_UPDATED,
                msg,
                now_ms,
            );
            // Progress refreshes lastUpdateTime even with an unchanged reason, which
            // set_condition alone would not do.
            if let Some(c) = current {
                if c.status == CONDITION_TRUE {
                    condition.last_transition_ms = c.last_transition_ms;
                }
                status.remove_condition(CONDITION_PROGRESSING);
            }
            status.set_condition(condition);
        } else if deployment_timed_out(d, &status, now_ms) {
            let msg = quoted_rs_or_deployment(d, new_rs, "has timed out progressing.");
            status.set_condition(DeploymentCondition::new(
                CONDITION_PROGRESSING,
                CONDITION_FALSE,
                REASON_PROGRESS_DEADLINE_EXCEEDED,
                msg,
                now_ms,
            ));
        }
    }
    match replica_failure {
        Some(c) => status.set_condition(c),
        None => status.remove_condition(CONDITION_REPLICA_FAILURE),
    }
    let changed = status != *previous;
    let requeue = if changed {
        None
    } else {
        requeue_stuck_deployment(d, previous, &status, now_ms)
    };
    StatusSync {
        status,
        changed,
        requeue,
    }
}

/// `requeueStuckDeployment`: a Deployment with a deadline, a Progressing condition and no
/// completion or timeout yet is looked at again once the deadline has passed.
pub fn requeue_stuck_deployment(
    d: &DeploymentParams,
    previous: &DeploymentStatusSnapshot,
    new_status: &DeploymentStatusSnapshot,
    now_ms: i64,
) -> Option<Requeue> {
    let deadline_s = d
        .progress_deadline_seconds
        .filter(|_| d.has_progress_deadline())?;
    let current = previous.condition(CONDITION_PROGRESSING)?;
    if deployment_complete(d, new_status) || current.reason == REASON_PROGRESS_DEADLINE_EXCEEDED {
        return None;
    }
    let after = current
        .last_update_ms
        .saturating_add(i64::from(deadline_s).saturating_mul(1000))
        .saturating_sub(now_ms);
    if after < 1000 {
        Some(Requeue::RateLimited)
    } else {
        Some(Requeue::AfterMs(after.saturating_add(1000)))
    }
}

/// `checkPausedConditions`: record pausing / resuming as a Progressing=Unknown condition
/// (unless the deadline already passed). Returns whether the status changed.
pub fn check_paused_conditions(
    d: &DeploymentParams,
    status: &mut DeploymentStatusSnapshot,
    now_ms: i64,
) -> bool {
    if !d.has_progress_deadline() {
        return false;
    }
    let reason = status
        .condition(CONDITION_PROGRESSING)
        .map(|c| c.reason.clone());
    if reason.as_deref() == Some(REASON_PROGRESS_DEADLINE_EXCEEDED) {
        return false;
    }
    let paused_condition_exists = reason.as_deref() == Some(REASON_DEPLOYMENT_PAUSED);
    let (reason, message) = match (d.paused, paused_condition_exists) {
        (true, false) => (REASON_DEPLOYMENT_PAUSED, MESSAGE_PAUSED),
        (false, true) => (REASON_DEPLOYMENT_RESUMED, MESSAGE_RESUMED),
        _ => return false,
    };
    status.set_condition(DeploymentCondition::new(
        CONDITION_PROGRESSING,
        CONDITION_UNKNOWN,
        reason,
        message,
        now_ms,
    ));
    true
}

/// `getNewReplicaSet` after creating the new RS: Progressing=True `NewReplicaSetCreated`
/// (only with a progress deadline). Returns whether the status changed.
pub fn note_new_replica_set_created(
    d: &DeploymentParams,
    status: &mut DeploymentStatusSnapshot,
    rs_name: &str,
    now_ms: i64,
) -> bool {
    if !d.has_progress_deadline() {
        return false;
    }
    status.set_condition(DeploymentCondition::new(
        CONDITION_PROGRESSING,
        CONDITION_TRUE,
        REASON_NEW_REPLICA_SET_CREATED,
        format!("Created new replica set {rs_name:?}"),
        now_ms,
    ));
    true
}

/// `getNewReplicaSet` finding an existing new RS on a Deployment with a deadline but no
/// Progressing condition: Progressing=True `FoundNewReplicaSet`. Returns whether it changed.
pub fn note_new_replica_set_found(
    d: &DeploymentParams,
    status: &mut DeploymentStatusSnapshot,
    rs_name: &str,
    now_ms: i64,
) -> bool {
    if !d.has_progress_deadline() || status.condition(CONDITION_PROGRESSING).is_some() {
        return false;
    }
    status.set_condition(DeploymentCondition::new(
        CONDITION_PROGRESSING,
        CONDITION_TRUE,
        REASON_FOUND_NEW_REPLICA_SET,
        format!("Found new replica set {rs_name:?}"),
        now_ms,
    ));
    true
}

/// `getNewReplicaSet` failing to create the new RS: Progressing=False `ReplicaSetCreateError`
/// (with a deadline). Returns the warning event message upstream records either way.
pub fn note_new_replica_set_create_failed(
    d: &DeploymentParams,
    status: &mut DeploymentStatusSnapshot,
    rs_name: &str,
    error: &str,
    now_ms: i64,
) -> String {
    let msg = format!("Failed to create new replica set {rs_name:?}: {error}");
    if d.has_progress_deadline() {
        status.set_condition(DeploymentCondition::new(
            CONDITION_PROGRESSING,
            CONDITION_FALSE,
            REASON_REPLICA_SET_CREATE_ERROR,
            msg.clone(),
            now_ms,
        ));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::super::util::{DeploymentStrategy, IntOrString};
    use super::*;

    fn dep(d: i32, surge: i32, unavailable: i32) -> DeploymentParams {
        DeploymentParams {
            name: "foo".into(),
            replicas: d,
            strategy: DeploymentStrategy::RollingUpdate {
                max_surge: Some(IntOrString::Int(surge)),
                max_unavailable: Some(IntOrString::Int(unavailable)),
            },
            ..DeploymentParams::default()
        }
    }

    /// An RS as TestScale builds it: annotated for the old Deployment, all replicas available.
    fn rs(
        name: &str,
        created: i64,
        spec: i32,
        annotated_for: &DeploymentParams,
    ) -> RsSnapshot<'static> {
        RsSnapshot {
            name: name.into(),
            creation_ms: created,
            desired_replicas_annotation: Some(annotated_for.replicas.to_string().into()),
            max_replicas_annotation: Some(annotated_for.max_replicas().to_string().into()),
            spec_replicas: spec,
            status_replicas: spec,
            available_replicas: spec,
            ..RsSnapshot::default()
        }
    }

    fn sizes_after(actions: &[RsAction], rss: &[(&str, i32)]) -> Vec<(String, i32)> {
        rss.iter()
            .map(|(name, size)| {
                let after = actions
                    .iter()
                    .rev()
                    .find_map(|a| match a {
                        RsAction::Scale { name: n, to, .. } if n == name => Some(*to),
                        _ => None,
                    })
                    .unwrap_or(*size);
                (name.to_string(), after)
            })
            .collect()
    }

    /// §1.8 TestScale, every row. RSs are listed newest first; the first is the new RS unless
    /// `has_new` is false.
    #[test]
    fn scale_vectors() {
        struct Case {
            name: &'static str,
            old_d: DeploymentParams,
            new_d: DeploymentParams,
            has_new: bool,
            before: Vec<(&'static str, i32)>,
            after: Vec<(&'static str, i32)>,
        }
        let c = |name, old_d, new_d, has_new, before, after| Case {
            name,
            old_d,
            new_d,
            has_new,
            before,
            after,
        };
        let cases = vec![
            c(
                "normal up",
                dep(10, 0, 1),
                dep(12, 0, 1),
                true,
                vec![("v1", 10)],
                vec![("v1", 12)],
            ),
            c(
                "normal down",
                dep(10, 0, 1),
                dep(5, 0, 1),
                true,
                vec![("v1", 10)],
                vec![("v1", 5)],
            ),
            c(
                "proportional up",
                dep(5, 0, 1),
                dep(10, 0, 1),
                true,
                vec![("v2", 2), ("v1", 3)],
                vec![("v2", 4), ("v1", 6)],
            ),
            c(
                "proportional down",
                dep(5, 0, 1),
                dep(3, 0, 1),
                true,
                vec![("v2", 2), ("v1", 3)],
                vec![("v2", 1), ("v1", 2)],
            ),
            c(
                "proportional 9→4",
                dep(9, 0, 1),
                dep(4, 0, 1),
                true,
                vec![("v2", 8), ("v1", 1)],
                vec![("v2", 4), ("v1", 0)],
            ),
            c(
                "proportional 7→10",
                dep(7, 0, 1),
                dep(10, 0, 1),
                true,
                vec![("v3", 2), ("v2", 3), ("v1", 2)],
                vec![("v3", 3), ("v2", 4), ("v1", 3)],
            ),
            c(
                "proportional 13→8",
                dep(13, 0, 1),
                dep(8, 0, 1),
                true,
                vec![("v3", 2), ("v2", 8), ("v1", 3)],
                vec![("v3", 1), ("v2", 5), ("v1", 2)],
            ),
            c(
                "leftover up",
                dep(3, 0, 1),
                dep(4, 0, 1),
                true,
                vec![("v3", 1), ("v2", 1), ("v1", 1)],
                vec![("v3", 2), ("v2", 1), ("v1", 1)],
            ),
            c(
                "leftover down",
                dep(3, 0, 1),
                dep(2, 0, 1),
                true,
                vec![("v3", 1), ("v2", 1), ("v1", 1)],
                vec![("v3", 1), ("v2", 1), ("v1", 0)],
            ),
            c(
                "no new RS",
                dep(4, 0, 1),
                dep(5, 0, 1),
                false,
                vec![("v2", 2), ("v1", 2)],
                vec![("v2", 3), ("v1", 2)],
            ),
            c(
                "to zero",
                dep(6, 0, 1),
                dep(0, 0, 1),
                true,
                vec![("v3", 3), ("v2", 2), ("v1", 1)],
                vec![("v3", 0), ("v2", 0), ("v1", 0)],
            ),
            c(
                "from zero",
                dep(6, 0, 1),
                dep(6, 0, 1),
                true,
                vec![("v3", 0), ("v2", 0), ("v1", 0)],
                vec![("v3", 6), ("v2", 0), ("v1", 0)],
            ),
            c(
                "surge pods",
                dep(10, 2, 2),
                dep(20, 2, 2),
                true,
                vec![("v2", 6), ("v1", 6)],
                vec![("v2", 11), ("v1", 11)],
            ),
            c(
                "surge and size",
                dep(10, 3, 2),
                dep(50, 6, 2),
                true,
                vec![("v2", 5), ("v1", 8)],
                vec![("v2", 22), ("v1", 34)],
            ),
            c(
                "size and template",
                dep(10, 0, 1),
                dep(14, 0, 1),
                false,
                vec![("v2", 7), ("v1", 3)],
                vec![("v2", 10), ("v1", 4)],
            ),
        ];
        for case in cases {
            let n = case.before.len() as i64;
            let rss: Vec<RsSnapshot> = case
                .before
                .iter()
                .enumerate()
                .map(|(i, (name, size))| rs(name, n - i as i64, *size, &case.old_d))
                .collect();
            let (new_rs, old) = if case.has_new {
                (rss.first(), &rss[1..])
            } else {
                (None, &rss[..])
            };
            let actions = scale(&case.new_d, 0, new_rs, old);
            let got = sizes_after(&actions, &case.before);
            let want: Vec<(String, i32)> = case
                .after
                .iter()
                .map(|(n, s)| (n.to_string(), *s))
                .collect();
            assert_eq!(got, want, "{}", case.name);
        }
    }

    #[test]
    fn saturated_but_broken_new_rs_leaves_old_pods_alone() {
        let d = dep(2, 1, 1);
        let mut new_rs = rs("v2", 2, 2, &d);
        new_rs.available_replicas = 0;
        let old = vec![rs("v1", 1, 1, &d)];
        assert!(!is_saturated(&d, Some(&new_rs)));
        assert_eq!(scale(&d, 3, Some(&new_rs), &old), vec![]);
        // Once all of the new RS is available it is saturated: old RSs go to 0.
        new_rs.available_replicas = 2;
        assert!(is_saturated(&d, Some(&new_rs)));
        let actions = scale(&d, 3, Some(&new_rs), &old);
        assert_eq!(
            sizes_after(&actions, &[("v2", 2), ("v1", 1)]),
            vec![("v2".into(), 2), ("v1".into(), 0)]
        );
    }

    #[test]
    fn proportional_scaling_refreshes_annotations_of_unchanged_rss() {
        let old_d = dep(3, 0, 1);
        let new_d = dep(4, 0, 1);
        let rss = [
            rs("v3", 3, 1, &old_d),
            rs("v2", 2, 1, &old_d),
            rs("v1", 1, 1, &old_d),
        ];
        let actions = scale(&new_d, 3, Some(&rss[0]), &rss[1..]);
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(actions.iter().all(|a| matches!(
            a,
            RsAction::Scale {
                desired_replicas: 4,
                max_replicas: 4,
                ..
            }
        )));
    }

    #[test]
    fn missing_max_annotation_falls_back_to_status_replicas() {
        let d = dep(10, 0, 1);
        let mut a = rs("a", 2, 4, &d);
        let mut b = rs("b", 1, 1, &d);
        a.max_replicas_annotation = None;
        b.max_replicas_annotation = None;
        // status.replicas 5 → 10: a doubles (4 → 8), b doubles (1 → 2).
        let actions = scale(&d, 5, Some(&a), std::slice::from_ref(&b));
        assert_eq!(
            sizes_after(&actions, &[("a", 4), ("b", 1)]),
            vec![("a".into(), 8), ("b".into(), 2)]
        );
        // With neither annotation nor status there is no proportion; the leftover goes first.
        let actions = scale(&d, 0, Some(&a), std::slice::from_ref(&b));
        assert_eq!(
            sizes_after(&actions, &[("a", 4), ("b", 1)]),
            vec![("a".into(), 9), ("b".into(), 1)]
        );
    }

    #[test]
    fn scaling_event_detection() {
        let d5 = dep(5, 0, 1);
        let d3 = dep(3, 0, 1);
        let current = rs("v1", 1, 5, &d5);
        assert!(!is_scaling_event(&d5, Some(&current), &[]));
        assert!(is_scaling_event(&d3, Some(&current), &[]));
        // Inactive RSs and unparseable annotations do not count.
        let idle = rs("v0", 0, 0, &d3);
        assert!(!is_scaling_event(&d5, Some(&current), &[idle]));
        let mut garbled = current.clone();
        garbled.desired_replicas_annotation = Some("five".into());
        assert!(!is_scaling_event(&d3, Some(&garbled), &[]));
    }

    /// §1.9 TestDeploymentController_cleanupDeployment.
    #[test]
    fn cleanup_deployment_vectors() {
        let mk = |i: usize, spec: i32, status: i32| RsSnapshot {
            name: format!("rs{i}").into(),
            creation_ms: i as i64,
            revision_annotation: Some((i + 1).to_string().into()),
            spec_replicas: spec,
            status_replicas: status,
            ..RsSnapshot::default()
        };
        let set = |pairs: &[(i32, i32)]| -> Vec<RsSnapshot> {
            pairs
                .iter()
                .enumerate()
                .map(|(i, (s, st))| mk(i, *s, *st))
                .collect()
        };
        let mut deleting = mk(0, 0, 0);
        deleting.being_deleted = true;
        let cases: Vec<(Vec<RsSnapshot>, Option<i32>, usize)> = vec![
            (set(&[(0, 0), (0, 0), (0, 0)]), Some(1), 2),
            (set(&[(0, 0), (0, 1), (1, 0), (1, 1)]), Some(0), 1),
            (set(&[(0, 0), (0, 0)]), Some(0), 2),
            (set(&[(1, 1), (1, 1)]), Some(0), 0),
            (vec![deleting], Some(0), 0),
            (set(&[(0, 0), (0, 0), (0, 0)]), Some(i32::MAX), 0),
            (set(&[(0, 0), (0, 0), (0, 0)]), None, 0),
        ];
        for (old, limit, want) in cases {
            let d = DeploymentParams {
                revision_history_limit: limit,
                ..DeploymentParams::default()
            };
            assert_eq!(
                cleanup_deployment(&d, &old).len(),
                want,
                "{old:?} limit {limit:?}"
            );
        }
    }

    #[test]
    fn cleanup_deletes_lowest_revisions_first() {
        let mk = |name: &str, rev: &str| RsSnapshot {
            name: name.into(),
            revision_annotation: Some(rev.to_string().into()),
            ..RsSnapshot::default()
        };
        let old = vec![mk("c", "10"), mk("a", "2"), mk("b", "9")];
        let d = DeploymentParams {
            revision_history_limit: Some(1),
            ..DeploymentParams::default()
        };
        assert_eq!(
            cleanup_deployment(&d, &old),
            vec![
                RsAction::Delete { name: "a".into() },
                RsAction::Delete { name: "b".into() }
            ]
        );
        // A stale status (generation not observed) protects an RS.
        let mut stale = old.clone();
        stale[1].generation = 2;
        assert_eq!(
            cleanup_deployment(&d, &stale),
            vec![RsAction::Delete { name: "b".into() }]
        );
    }

    fn settled(name: &str, n: i32) -> RsSnapshot<'static> {
        RsSnapshot {
            name: name.into(),
            spec_replicas: n,
            status_replicas: n,
            ready_replicas: n,
            available_replicas: n,
            ..RsSnapshot::default()
        }
    }

    #[test]
    fn calculate_status_counts_and_available_condition() {
        let d = dep(4, 1, 1);
        let old = RsSnapshot {
            spec_replicas: 1,
            status_replicas: 3,
            ready_replicas: 3,
            available_replicas: 2,
            ..settled("old", 0)
        };
        let new_rs = RsSnapshot {
            spec_replicas: 4,
            status_replicas: 2,
            ready_replicas: 1,
            available_replicas: 1,
            ..settled("new", 0)
        };
        let s = calculate_status(
            &d,
            &DeploymentStatusSnapshot::default(),
            &[&old, &new_rs],
            Some(&new_rs),
            7,
        );
        assert_eq!(
            (
                s.replicas,
                s.updated_replicas,
                s.ready_replicas,
                s.available_replicas,
                s.unavailable_replicas
            ),
            (5, 2, 4, 3, 2)
        );
        let available = s.condition(CONDITION_AVAILABLE).cloned();
        assert_eq!(
            available.map(|c| (c.status, c.reason)),
            Some((
                CONDITION_TRUE.into(),
                REASON_MINIMUM_REPLICAS_AVAILABLE.into()
            ))
        );
        let short = RsSnapshot {
            available_replicas: 0,
            ..new_rs.clone()
        };
        let s = calculate_status(&d, &s, &[&old, &short], Some(&short), 8);
        let c = s.condition(CONDITION_AVAILABLE).cloned();
        assert_eq!(
            c.as_ref().map(|c| &*c.reason),
            Some(REASON_MINIMUM_REPLICAS_UNAVAILABLE)
        );
        assert_eq!(
            c.map(|c| c.message),
            Some(MESSAGE_NO_MINIMUM_AVAILABILITY.into())
        );
        // More available than specified: unavailable is 0, not negative.
        let over = RsSnapshot {
            spec_replicas: 1,
            ..settled("x", 3)
        };
        assert_eq!(
            calculate_status(&d, &s, &[&over], None, 9).unavailable_replicas,
            0
        );
    }

    #[test]
    fn rollout_status_progress_completion_and_timeout() {
        let d = DeploymentParams {
            name: "web".into(),
            replicas: 2,
            progress_deadline_seconds: Some(10),
            ..DeploymentParams::default()
        };
        let mut status = DeploymentStatusSnapshot::default();
        assert!(note_new_replica_set_created(&d, &mut status, "web-abc", 0));
        assert_eq!(
            status.condition(CONDITION_PROGRESSING).map(|c| &*c.message),
            Some("Created new replica set \"web-abc\"")
        );

        // One new pod ready: progress, lastUpdateTime refreshed, lastTransitionTime kept.
        let old = settled("web-old", 2);
        let new_rs = settled("web-abc", 1);
        let s1 = sync_rollout_status(&d, &status, &[&old, &new_rs], Some(&new_rs), None, 3_000);
        assert!(s1.changed);
        let c = s1.status.condition(CONDITION_PROGRESSING).cloned();
        assert_eq!(
            c.map(|c| (c.reason, c.message, c.last_update_ms, c.last_transition_ms)),
            Some((
                REASON_REPLICA_SET_UPDATED.into(),
                "ReplicaSet \"web-abc\" is progressing.".into(),
                3_000,
                0
            ))
        );

        // Nothing moves: unchanged, requeued for the deadline (3 s + 10 s − 5 s + 1 s).
        let s2 = sync_rollout_status(&d, &s1.status, &[&old, &new_rs], Some(&new_rs), None, 5_000);
        assert!(!s2.changed);
        assert_eq!(s2.requeue, Some(Requeue::AfterMs(9_000)));
        // 13 s is not strictly past the deadline yet; 13.001 s is.
        let s3 = sync_rollout_status(
            &d,
            &s1.status,
            &[&old, &new_rs],
            Some(&new_rs),
            None,
            13_000,
        );
        assert!(!s3.changed);
        assert_eq!(s3.requeue, Some(Requeue::RateLimited));
        let s4 = sync_rollout_status(
            &d,
            &s1.status,
            &[&old, &new_rs],
            Some(&new_rs),
            None,
            13_001,
        );
        let c = s4.status.condition(CONDITION_PROGRESSING).cloned();
        assert_eq!(
            c.map(|c| (c.status, c.reason, c.message)),
            Some((
                CONDITION_FALSE.into(),
                REASON_PROGRESS_DEADLINE_EXCEEDED.into(),
                "ReplicaSet \"web-abc\" has timed out progressing.".into()
            ))
        );

        // Complete: NewReplicaSetAvailable, and no more deadline checks.
        let done = settled("web-abc", 2);
        let gone = settled("web-old", 0);
        let s5 = sync_rollout_status(&d, &s1.status, &[&gone, &done], Some(&done), None, 20_000);
        let c = s5.status.condition(CONDITION_PROGRESSING).cloned();
        assert_eq!(
            c.map(|c| (c.reason, c.message)),
            Some((
                REASON_NEW_REPLICA_SET_AVAILABLE.into(),
                "ReplicaSet \"web-abc\" has successfully progressed.".into()
            ))
        );
        let s6 = sync_rollout_status(&d, &s5.status, &[&gone, &done], Some(&done), None, 99_000);
        assert!(!s6.changed);
        assert_eq!(s6.requeue, None);
    }

    #[test]
    fn no_deadline_means_no_progressing_condition() {
        let d = DeploymentParams {
            progress_deadline_seconds: None,
            ..DeploymentParams::default()
        };
        let mut previous = DeploymentStatusSnapshot::default();
        previous.set_condition(DeploymentCondition::new(
            CONDITION_PROGRESSING,
            CONDITION_TRUE,
            REASON_REPLICA_SET_UPDATED,
            "",
            0,
        ));
        let rs = settled("a", 1);
        let s = sync_rollout_status(&d, &previous, &[&rs], Some(&rs), None, 1);
        assert!(s.status.condition(CONDITION_PROGRESSING).is_none());
        assert!(!note_new_replica_set_created(&d, &mut previous, "a", 0));
    }

    #[test]
    fn replica_failure_condition_is_copied_and_cleared() {
        let d = DeploymentParams::default();
        let rs = settled("a", 1);
        let failure = DeploymentCondition::new(
            CONDITION_REPLICA_FAILURE,
            CONDITION_TRUE,
            "FailedCreate",
            "quota",
            1,
        );
        let s = sync_rollout_status(
            &d,
            &DeploymentStatusSnapshot::default(),
            &[&rs],
            Some(&rs),
            Some(failure),
            1,
        );
        assert!(s.status.condition(CONDITION_REPLICA_FAILURE).is_some());
        let s = sync_rollout_status(&d, &s.status, &[&rs], Some(&rs), None, 2);
        assert!(s.status.condition(CONDITION_REPLICA_FAILURE).is_none());
    }

    #[test]
    fn paused_and_resumed_conditions() {
        let mut d = DeploymentParams {
            paused: true,
            ..DeploymentParams::default()
        };
        let mut status = DeploymentStatusSnapshot::default();
        assert!(check_paused_conditions(&d, &mut status, 1));
        assert_eq!(
            status
                .condition(CONDITION_PROGRESSING)
                .map(|c| (&*c.status, &*c.reason, &*c.message)),
            Some((
                CONDITION_UNKNOWN,
                REASON_DEPLOYMENT_PAUSED,
                "Deployment is paused"
            ))
        );
        assert!(!check_paused_conditions(&d, &mut status, 2));
        d.paused = false;
        assert!(check_paused_conditions(&d, &mut status, 3));
        assert_eq!(
            status.condition(CONDITION_PROGRESSING).map(|c| &*c.reason),
            Some(REASON_DEPLOYMENT_RESUMED)
        );
        // A timed-out deployment keeps its timeout condition.
        let mut timed_out = DeploymentStatusSnapshot::default();
        timed_out.set_condition(DeploymentCondition::new(
            CONDITION_PROGRESSING,
            CONDITION_FALSE,
            REASON_PROGRESS_DEADLINE_EXCEEDED,
            "",
            0,
        ));
        d.paused = true;
        assert!(!check_paused_conditions(&d, &mut timed_out, 4));
    }

    #[test]
    fn paused_sync_scales_and_cleans_up_but_never_creates() {
        let d = DeploymentParams {
            replicas: 3,
            paused: true,
            revision_history_limit: Some(0),
            ..DeploymentParams::default()
        };
        let old_d = DeploymentParams {
            replicas: 2,
            ..d.clone()
        };
        let current = rs("v2", 2, 2, &old_d);
        let retired = RsSnapshot {
            name: "v1".into(),
            ..RsSnapshot::default()
        };
        let plan = sync_scaling_or_paused(
            &d,
            &DeploymentStatusSnapshot::default(),
            &[retired],
            Some(&current),
        );
        assert_eq!(
            plan.actions,
            vec![
                RsAction::Scale {
                    name: "v2".into(),
                    from: 2,
                    to: 3,
                    desired_replicas: 3,
                    max_replicas: 4
                },
                RsAction::Delete { name: "v1".into() },
            ]
        );
    }
}
