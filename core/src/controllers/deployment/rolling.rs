//! `pkg/controller/deployment/rolling.go`: one sync of a RollingUpdate Deployment.
//!
//! Upstream order and early returns: create the new ReplicaSet if missing (already sized), scale
//! the new RS (if that scaled anything, stop), scale old RSs down (cleaning up unhealthy replicas
//! first; if anything scaled, stop), and only then, if the Deployment is complete, delete old RSs
//! beyond `revisionHistoryLimit`. The caller then syncs the status (`sync::sync_rollout_status`).

use super::sync::cleanup_deployment;
use super::util::{
    available_replica_count, deployment_complete, max_revision, new_rs_new_replicas, replica_count,
    scale_replica_set_and_record_event, sort_by_creation, DeploymentParams,
    DeploymentStatusSnapshot, RsAction, RsSnapshot,
};

/// The outcome of one rollout sync: the writes to make, in order, and the error upstream's sync
/// would return (after making those writes; the Deployment is then requeued).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RolloutPlan {
    /// ReplicaSet writes, in the order upstream makes them.
    pub actions: Vec<RsAction>,
    /// The sync's error, if any.
    pub error: Option<String>,
}

/// The new ReplicaSet as it exists after [`RsAction::Create`]: sized, annotated, no pods yet.
pub(crate) fn created_rs(
    d: &DeploymentParams,
    old: &[RsSnapshot],
    name: &str,
    replicas: i32,
    actions: &mut Vec<RsAction>,
) -> RsSnapshot<'static> {
    let revision = max_revision(old).wrapping_add(1);
    let max = d.max_replicas();
    actions.push(RsAction::Create {
        name: name.to_string(),
        replicas,
        revision,
        desired_replicas: d.replicas,
        max_replicas: max,
    });
    RsSnapshot {
        name: name.into(),
        revision_annotation: Some(revision.to_string().into()),
        desired_replicas_annotation: Some(d.replicas.to_string().into()),
        max_replicas_annotation: Some(max.to_string().into()),
        spec_replicas: replicas,
        ..RsSnapshot::default()
    }
}

/// `rolloutRolling`: one sync. `old` are all ReplicaSets of the Deployment except the new one;
/// `new_rs` is the one whose template matches (absent before the first sync of a rollout), and
/// `new_rs_name` the name it gets when created (`<deployment>-<pod-template-hash>`). `status` is
/// the Deployment's current status (it decides whether history cleanup runs).
pub fn rollout_rolling(
    d: &DeploymentParams,
    status: &DeploymentStatusSnapshot,
    old: &[RsSnapshot],
    new_rs: Option<&RsSnapshot>,
    new_rs_name: &str,
) -> RolloutPlan {
    let mut plan = RolloutPlan::default();
    let mut new_rs = match new_rs {
        Some(rs) => rs.clone(),
        None => {
            // Created already sized, counting its own size as 0.
            match new_rs_new_replicas(d, replica_count(old), 0) {
                Ok(replicas) => created_rs(d, old, new_rs_name, replicas, &mut plan.actions),
                Err(e) => {
                    plan.error = Some(e);
                    return plan;
                }
            }
        }
    };

    let all_replicas = replica_count(old).wrapping_add(new_rs.spec_replicas);
    match reconcile_new_replica_set(d, all_replicas, &mut new_rs, &mut plan.actions) {
        Err(e) => {
            plan.error = Some(e);
            return plan;
        }
        Ok(true) => return plan,
        Ok(false) => {}
    }

    let mut active_old: Vec<RsSnapshot> = old.iter().filter(|rs| rs.is_active()).cloned().collect();
    if reconcile_old_replica_sets(d, &mut active_old, &new_rs, &mut plan.actions) {
        return plan;
    }

    if deployment_complete(d, status) {
        plan.actions.extend(cleanup_deployment(d, old));
    }
    plan
}

/// `reconcileNewReplicaSet`: scale the new RS down to `D` if above it, else towards
/// `NewRSNewReplicas`. `all_replicas` is Σ `spec.replicas` of every RS including the new one.
/// Returns whether it scaled.
pub fn reconcile_new_replica_set(
    d: &DeploymentParams,
    all_replicas: i32,
    new_rs: &mut RsSnapshot,
    actions: &mut Vec<RsAction>,
) -> Result<bool, String> {
    if new_rs.spec_replicas == d.replicas {
        return Ok(false);
    }
    if new_rs.spec_replicas > d.replicas {
        return Ok(scale_replica_set_and_record_event(
            d, new_rs, d.replicas, actions,
        ));
    }
    let target = new_rs_new_replicas(d, all_replicas, new_rs.spec_replicas)?;
    Ok(scale_replica_set_and_record_event(
        d, new_rs, target, actions,
    ))
}

/// `reconcileOldReplicaSets`: scale the active old RSs (`spec.replicas > 0`) down as far as
/// `maxUnavailable` allows, never counting the new RS's unavailable pods as headroom. Returns
/// whether it scaled.
///
/// As upstream, an error while cleaning up unhealthy replicas (an old RS with more available
/// pods than its spec) ends this step as "not scaled", keeping writes already made.
pub fn reconcile_old_replica_sets(
    d: &DeploymentParams,
    active_old: &mut Vec<RsSnapshot>,
    new_rs: &RsSnapshot,
    actions: &mut Vec<RsAction>,
) -> bool {
    let old_pods = replica_count(active_old.iter());
    if old_pods == 0 {
        return false;
    }
    let all_pods = old_pods.wrapping_add(new_rs.spec_replicas);
    let min_available = d.replicas.wrapping_sub(d.max_unavailable());
    let new_rs_unavailable = new_rs.spec_replicas.wrapping_sub(new_rs.available_replicas);
    let max_scaled_down = all_pods
        .wrapping_sub(min_available)
        .wrapping_sub(new_rs_unavailable);
    if max_scaled_down <= 0 {
        return false;
    }

    let cleaned = match cleanup_unhealthy_replicas(d, active_old, max_scaled_down, actions) {
        Ok(n) => n,
        Err(_) => return false,
    };
    let scaled = scale_down_old_replica_sets_for_rolling_update(d, active_old, new_rs, actions);
    cleaned.wrapping_add(scaled) > 0
}

/// `cleanupUnhealthyReplicas`: oldest first, scale each old RS down by its unavailable replicas,
/// at most `max_cleanup` in total. Sorts `old` by creation and updates it in place.
pub fn cleanup_unhealthy_replicas(
    d: &DeploymentParams,
    old: &mut Vec<RsSnapshot>,
    max_cleanup: i32,
    actions: &mut Vec<RsAction>,
) -> Result<i32, String> {
    sort_by_creation(old);
    let mut total: i32 = 0;
    for rs in old.iter_mut() {
        if total >= max_cleanup {
            break;
        }
        if rs.spec_replicas == 0 || rs.spec_replicas == rs.available_replicas {
            continue;
        }
        let count = max_cleanup
            .wrapping_sub(total)
            .min(rs.spec_replicas.wrapping_sub(rs.available_replicas));
        let new_count = rs.spec_replicas.wrapping_sub(count);
        if new_count > rs.spec_replicas {
            return Err(format!(
                "when cleaning up unhealthy replicas, got invalid request to scale down {} {} -> {}",
                rs.name, rs.spec_replicas, new_count
            ));
        }
        scale_replica_set_and_record_event(d, rs, new_count, actions);
        total = total.wrapping_add(count);
    }
    Ok(total)
}

/// `scaleDownOldReplicaSetsForRollingUpdate`: if more pods are available (old + new) than
/// `D − maxUnavailable`, scale old RSs down by the excess, oldest first. Returns the count.
pub fn scale_down_old_replica_sets_for_rolling_update(
    d: &DeploymentParams,
    old: &mut Vec<RsSnapshot>,
    new_rs: &RsSnapshot,
    actions: &mut Vec<RsAction>,
) -> i32 {
    let min_available = d.replicas.wrapping_sub(d.max_unavailable());
    let available = available_replica_count(old.iter()).wrapping_add(new_rs.available_replicas);
    if available <= min_available {
        return 0;
    }
    sort_by_creation(old);
    let to_scale_down = available.wrapping_sub(min_available);
    let mut total: i32 = 0;
    for rs in old.iter_mut() {
        if total >= to_scale_down {
            break;
        }
        if rs.spec_replicas == 0 {
            continue;
        }
        let count = rs.spec_replicas.min(to_scale_down.wrapping_sub(total));
        let new_count = rs.spec_replicas.wrapping_sub(count);
        scale_replica_set_and_record_event(d, rs, new_count, actions);
        total = total.wrapping_add(count);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::super::util::{DeploymentStrategy, IntOrString};
    use super::*;

    fn dep(d: i32, surge: IntOrString, unavailable: IntOrString) -> DeploymentParams {
        DeploymentParams {
            name: "web".into(),
            replicas: d,
            strategy: DeploymentStrategy::RollingUpdate {
                max_surge: Some(surge),
                max_unavailable: Some(unavailable),
            },
            ..DeploymentParams::default()
        }
    }

    fn int(i: i32) -> IntOrString {
        IntOrString::Int(i)
    }

    fn rs(name: &str, created: i64, spec: i32, available: i32) -> RsSnapshot<'static> {
        RsSnapshot {
            name: name.into(),
            creation_ms: created,
            revision_annotation: Some((created + 1).to_string().into()),
            spec_replicas: spec,
            status_replicas: spec.max(available),
            ready_replicas: available,
            available_replicas: available,
            ..RsSnapshot::default()
        }
    }

    /// §1.4 reconcileNewReplicaSet vectors (maxUnavailable 0).
    #[test]
    fn reconcile_new_replica_set_vectors() {
        // (D, maxSurge, old, new, scaled?, → new)
        let cases = [
            (10, 0, 10, 0, false, 0),
            (10, 2, 10, 0, true, 2),
            (10, 2, 5, 0, true, 7),
            (10, 2, 10, 2, false, 2),
            (10, 2, 2, 11, true, 10),
        ];
        for (d, surge, old, new, want_scaled, want_new) in cases {
            let dep = dep(d, int(surge), int(0));
            let mut new_rs = rs("new", 1, new, 0);
            let mut actions = Vec::new();
            let scaled = reconcile_new_replica_set(&dep, old + new, &mut new_rs, &mut actions);
            assert_eq!(
                scaled,
                Ok(want_scaled),
                "D={d} surge={surge} old={old} new={new}"
            );
            assert_eq!(
                new_rs.spec_replicas, want_new,
                "D={d} surge={surge} old={old} new={new}"
            );
            assert_eq!(actions.len(), usize::from(want_scaled));
        }
    }

    /// §1.4 reconcileOldReplicaSets vectors (maxSurge 0).
    #[test]
    fn reconcile_old_replica_sets_vectors() {
        // (D, maxUnavailable, old, new, available old, available new, scaled?, → old)
        let cases = [
            (10, 0, 10, 0, 10, 0, true, 9),
            (10, 2, 10, 0, 10, 0, true, 8),
            (10, 2, 10, 0, 8, 0, true, 8),
            (10, 2, 10, 0, 9, 0, true, 8),
            (10, 2, 8, 2, 8, 0, false, 8),
        ];
        for (d, mu, old, new, avail_old, avail_new, want_scaled, want_old) in cases {
            let dep = dep(d, int(0), int(mu));
            let mut olds = vec![rs("old", 0, old, avail_old)];
            let new_rs = rs("new", 1, new, avail_new);
            let mut actions = Vec::new();
            let scaled = reconcile_old_replica_sets(&dep, &mut olds, &new_rs, &mut actions);
            let why = format!("D={d} mu={mu} old={old} new={new} avail={avail_old}/{avail_new}");
            assert_eq!(scaled, want_scaled, "{why}");
            assert_eq!(olds[0].spec_replicas, want_old, "{why}");
        }
    }

    #[test]
    fn reconcile_old_replica_sets_with_two_unhealthy_then_one_scaled() {
        // The 9-available row above happens in two writes: cleanup 1, then scale down 1.
        let dep = dep(10, int(0), int(2));
        let mut olds = vec![rs("old", 0, 10, 9)];
        let mut actions = Vec::new();
        assert!(reconcile_old_replica_sets(
            &dep,
            &mut olds,
            &rs("new", 1, 0, 0),
            &mut actions
        ));
        let sizes: Vec<(i32, i32)> = actions
            .iter()
            .filter_map(|a| match a {
                RsAction::Scale { from, to, .. } => Some((*from, *to)),
                _ => None,
            })
            .collect();
        assert_eq!(sizes, vec![(10, 9), (9, 8)]);
    }

    /// §1.4 cleanupUnhealthyReplicas vectors (old RS with 10 replicas).
    #[test]
    fn cleanup_unhealthy_replicas_vectors() {
        // (available, maxCleanupCount, → cleaned)
        let cases = [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)];
        for (available, max_cleanup, want) in cases {
            let dep = dep(10, int(2), int(2));
            let mut olds = vec![rs("old", 0, 10, available)];
            let mut actions = Vec::new();
            let cleaned = cleanup_unhealthy_replicas(&dep, &mut olds, max_cleanup, &mut actions);
            assert_eq!(cleaned, Ok(want), "available={available} max={max_cleanup}");
            assert_eq!(olds[0].spec_replicas, 10 - want);
        }
    }

    #[test]
    fn cleanup_unhealthy_replicas_refuses_to_scale_up() {
        // More available than spec (the RS controller has not caught up with a scale-down).
        let dep = dep(10, int(2), int(2));
        let mut olds = vec![rs("old", 0, 3, 5)];
        let mut actions = Vec::new();
        assert!(cleanup_unhealthy_replicas(&dep, &mut olds, 4, &mut actions).is_err());
        assert!(actions.is_empty());
        assert!(!reconcile_old_replica_sets(
            &dep,
            &mut olds,
            &rs("new", 1, 7, 7),
            &mut actions
        ));
    }

    /// §1.4 scaleDownOldReplicaSetsForRollingUpdate vectors (D=10, maxSurge 0, only an old RS).
    #[test]
    fn scale_down_old_replica_sets_vectors() {
        // (maxUnavailable, available, old replicas, → scaled?, → old)
        let cases = [
            (0, 10, 10, true, 9),
            (2, 10, 10, true, 8),
            (2, 8, 10, false, 10),
            (2, 1, 10, false, 10),
            (2, 10, 0, false, 0),
        ];
        for (mu, available, old, want_scaled, want_old) in cases {
            let dep = dep(10, int(0), int(mu));
            let mut olds = vec![rs("old", 0, old, available)];
            let no_new = RsSnapshot::default();
            let mut actions = Vec::new();
            let n = scale_down_old_replica_sets_for_rolling_update(
                &dep,
                &mut olds,
                &no_new,
                &mut actions,
            );
            assert_eq!(
                n > 0,
                want_scaled,
                "mu={mu} available={available} old={old}"
            );
            assert_eq!(
                olds[0].spec_replicas, want_old,
                "mu={mu} available={available} old={old}"
            );
        }
    }

    #[test]
    fn old_replica_sets_are_scaled_down_oldest_first() {
        let dep = dep(10, int(0), int(4));
        let mut olds = vec![rs("b", 5, 3, 3), rs("a", 1, 3, 3), rs("c", 5, 4, 4)];
        let new_rs = rs("new", 9, 0, 0);
        let mut actions = Vec::new();
        assert!(reconcile_old_replica_sets(
            &dep,
            &mut olds,
            &new_rs,
            &mut actions
        ));
        let order: Vec<(&str, i32)> = olds
            .iter()
            .map(|r| (r.name.as_str(), r.spec_replicas))
            .collect();
        assert_eq!(order, vec![("a", 0), ("b", 2), ("c", 4)]);
    }

    /// The plan applied to the snapshots, with every pod available right after the sync.
    fn apply<'a>(
        plan: &RolloutPlan,
        old: &mut Vec<RsSnapshot<'a>>,
        new_rs: &mut Option<RsSnapshot<'a>>,
        now: i64,
    ) {
        for action in &plan.actions {
            match action {
                RsAction::Create {
                    name,
                    replicas,
                    revision,
                    ..
                } => {
                    *new_rs = Some(RsSnapshot {
                        name: name.clone().into(),
                        creation_ms: now,
                        revision_annotation: Some(revision.to_string().into()),
                        spec_replicas: *replicas,
                        ..RsSnapshot::default()
                    });
                }
                RsAction::Scale { name, to, .. } => {
                    for rs in old.iter_mut().chain(new_rs.iter_mut()) {
                        if &rs.name == name {
                            rs.spec_replicas = *to;
                        }
                    }
                }
                RsAction::Delete { name } => old.retain(|rs| &rs.name != name),
            }
        }
    }

    fn settle(rss: &mut [RsSnapshot]) {
        for rs in rss {
            rs.status_replicas = rs.spec_replicas;
            rs.ready_replicas = rs.spec_replicas;
            rs.available_replicas = rs.spec_replicas;
        }
    }

    /// Run syncs until nothing changes; return (old, new) after each sync that changed something.
    fn full_rollout(dep: &DeploymentParams) -> Vec<(i32, i32)> {
        let mut old = vec![rs("web-old", 0, dep.replicas, dep.replicas)];
        let mut new_rs: Option<RsSnapshot> = None;
        let status = DeploymentStatusSnapshot::default();
        let mut steps = Vec::new();
        for sync in 1..100 {
            let plan = rollout_rolling(dep, &status, &old, new_rs.as_ref(), "web-new");
            assert_eq!(plan.error, None);
            if plan.actions.is_empty() {
                return steps;
            }
            apply(&plan, &mut old, &mut new_rs, sync);
            settle(&mut old);
            settle(
                new_rs
                    .as_mut()
                    .map(std::slice::from_mut)
                    .unwrap_or_default(),
            );
            let new_size = new_rs.as_ref().map_or(0, |r| r.spec_replicas);
            steps.push((old[0].spec_replicas, new_size));
        }
        panic!("rollout did not finish");
    }

    /// §1.4 full rollouts (derived), all pods available right after each sync.
    #[test]
    fn full_rollout_vectors() {
        let p = |s: &str| IntOrString::String(s.into());
        let cases: Vec<(DeploymentParams, Vec<(i32, i32)>)> = vec![
            (
                dep(4, p("25%"), p("25%")),
                vec![(3, 1), (3, 2), (1, 2), (1, 4), (0, 4)],
            ),
            (
                dep(10, int(3), int(2)),
                vec![(8, 3), (8, 5), (3, 5), (3, 10), (0, 10)],
            ),
            (
                dep(10, p("25%"), p("25%")),
                vec![(8, 3), (8, 5), (3, 5), (3, 10), (0, 10)],
            ),
            (
                dep(3, int(0), int(1)),
                vec![(2, 0), (2, 1), (1, 1), (1, 2), (0, 2), (0, 3)],
            ),
            (
                dep(3, int(1), int(0)),
                vec![(3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)],
            ),
            (dep(1, p("25%"), p("25%")), vec![(1, 1), (0, 1)]),
        ];
        for (dep, want) in cases {
            assert_eq!(full_rollout(&dep), want, "{:?}", dep.strategy);
        }
    }

    #[test]
    fn first_sync_creates_the_new_rs_sized_and_annotated() {
        let dep = dep(10, int(3), int(2));
        let old = vec![rs("web-old", 0, 10, 10)];
        let plan = rollout_rolling(
            &dep,
            &DeploymentStatusSnapshot::default(),
            &old,
            None,
            "web-abc",
        );
        assert_eq!(
            plan.actions,
            vec![
                RsAction::Create {
                    name: "web-abc".into(),
                    replicas: 3,
                    revision: 2,
                    desired_replicas: 10,
                    max_replicas: 13
                },
                RsAction::Scale {
                    name: "web-old".into(),
                    from: 10,
                    to: 8,
                    desired_replicas: 10,
                    max_replicas: 13
                },
            ]
        );
        assert_eq!(
            plan.actions[0].event_message().as_deref(),
            Some("Scaled up replica set web-abc from 0 to 3")
        );
        assert_eq!(
            plan.actions[1].event_message().as_deref(),
            Some("Scaled down replica set web-old from 10 to 8")
        );
    }

    /// The rolling.go comment: crash-looping new pods block further scale-down; `rollout undo`
    /// (the old RS becomes the new one) frees 4.
    #[test]
    fn crash_looping_new_rs_blocks_scale_down_until_undo() {
        let dep = dep(10, int(3), int(2));
        // A node failure left one of the 8 old pods unavailable.
        let old = rs("web-old", 0, 8, 7);
        let broken = rs("web-broken", 1, 5, 0);
        let mut actions = Vec::new();
        let mut olds = vec![old.clone()];
        // allPods 13 − minAvailable 8 − newRSUnavailable 5 = 0.
        assert!(!reconcile_old_replica_sets(
            &dep,
            &mut olds,
            &broken,
            &mut actions
        ));
        assert!(actions.is_empty());
        // After undo the old RS is the new one (8 replicas, 7 available: 1 unavailable).
        let mut olds = vec![broken];
        // maxScaledDown = 13 − 8 − 1 = 4: the 5 unhealthy pods are cleaned up to that limit.
        assert!(reconcile_old_replica_sets(
            &dep,
            &mut olds,
            &old,
            &mut actions
        ));
        assert_eq!(olds[0].spec_replicas, 1);
    }

    #[test]
    fn complete_deployment_cleans_up_history() {
        let mut dep = dep(2, int(1), int(0));
        dep.revision_history_limit = Some(1);
        let old = vec![rs("a", 0, 0, 0), rs("b", 1, 0, 0), rs("c", 2, 0, 0)];
        let new_rs = rs("web-new", 3, 2, 2);
        let complete = DeploymentStatusSnapshot {
            observed_generation: dep.generation,
            replicas: 2,
            updated_replicas: 2,
            available_replicas: 2,
            ..Default::default()
        };
        let plan = rollout_rolling(&dep, &complete, &old, Some(&new_rs), "web-new");
        assert_eq!(
            plan.actions,
            vec![
                RsAction::Delete { name: "a".into() },
                RsAction::Delete { name: "b".into() }
            ]
        );
        // Not complete yet: no cleanup.
        let plan = rollout_rolling(
            &dep,
            &DeploymentStatusSnapshot::default(),
            &old,
            Some(&new_rs),
            "web-new",
        );
        assert!(plan.actions.is_empty());
    }
}

#[cfg(test)]
mod proptests {
    use super::super::util::{DeploymentStrategy, IntOrString};
    use super::*;
    use proptest::prelude::*;

    fn fencepost() -> impl Strategy<Value = IntOrString> {
        prop_oneof![
            (0i32..6).prop_map(IntOrString::Int),
            (0i32..=100).prop_map(|p| IntOrString::String(format!("{p}%"))),
        ]
    }

    fn apply<'a>(
        plan: &RolloutPlan,
        old: &mut Vec<RsSnapshot<'a>>,
        new_rs: &mut Option<RsSnapshot<'a>>,
    ) {
        for action in &plan.actions {
            match action {
                RsAction::Create { name, replicas, .. } => {
                    *new_rs = Some(RsSnapshot {
                        name: name.clone().into(),
                        creation_ms: 1,
                        spec_replicas: *replicas,
                        ..RsSnapshot::default()
                    });
                }
                RsAction::Scale { name, to, .. } => {
                    for rs in old.iter_mut().chain(new_rs.iter_mut()) {
                        if &rs.name == name {
                            rs.spec_replicas = *to;
                        }
                    }
                }
                RsAction::Delete { name } => old.retain(|rs| &rs.name != name),
            }
        }
    }

    /// Pods scaled away vanish at once; of the remaining pods, `avail_frac`/4 of each RS's
    /// not-yet-available pods become available (pods never lose availability).
    fn progress(rs: &mut RsSnapshot, avail_frac: u8) {
        let available = rs.available_replicas.min(rs.spec_replicas);
        let pending = rs.spec_replicas - available;
        let gained = pending * i32::from(avail_frac) / 4;
        rs.available_replicas = available + gained;
        rs.ready_replicas = rs.available_replicas;
        rs.status_replicas = rs.spec_replicas;
    }

    proptest! {
        #[test]
        fn rolling_update_respects_fenceposts_and_terminates(
            d in 0i32..25,
            surge in fencepost(),
            unavailable in fencepost(),
            availability in proptest::collection::vec(0u8..=4, 0..60),
            all_available in any::<bool>(),
        ) {
            let dep = DeploymentParams {
                replicas: d,
                strategy: DeploymentStrategy::RollingUpdate {
                    max_surge: Some(surge),
                    max_unavailable: Some(unavailable),
                },
                ..DeploymentParams::default()
            };
            let max_total = d + dep.max_surge();
            let min_available = d - dep.max_unavailable();
            let mut old = vec![RsSnapshot {
                name: "old".into(),
                spec_replicas: d,
                status_replicas: d,
                ready_replicas: d,
                available_replicas: d,
                ..RsSnapshot::default()
            }];
            let mut new_rs: Option<RsSnapshot> = None;
            let status = DeploymentStatusSnapshot::default();
            let mut reached_min = false;
            // Random availability first, then every pod available each sync: the rollout must
            // finish within a bounded number of further syncs.
            let syncs = availability.len() + 4 * (d as usize + 2);
            for sync in 0..syncs {
                let plan = rollout_rolling(&dep, &status, &old, new_rs.as_ref(), "new");
                prop_assert_eq!(plan.error.as_ref(), None);
                apply(&plan, &mut old, &mut new_rs);
                let total: i32 = old.iter().chain(new_rs.iter()).map(|r| r.spec_replicas).sum();
                prop_assert!(total <= max_total, "sync {}: Σspec {} > D + maxSurge {}", sync, total, max_total);
                let frac = match availability.get(sync) {
                    Some(f) if !all_available => *f,
                    _ => 4,
                };
                for rs in old.iter_mut().chain(new_rs.iter_mut()) {
                    progress(rs, frac);
                }
                let available: i32 = old.iter().chain(new_rs.iter()).map(|r| r.available_replicas).sum();
                if all_available {
                    if reached_min {
                        prop_assert!(available >= min_available, "sync {}: available {} < {}", sync, available, min_available);
                    }
                    reached_min |= available >= min_available;
                }
            }
            let new_size = new_rs.as_ref().map_or(0, |r| r.spec_replicas);
            let old_size: i32 = old.iter().map(|r| r.spec_replicas).sum();
            prop_assert_eq!((old_size, new_size), (0, d), "rollout did not finish");
        }
    }
}
