//! `pkg/controller/deployment/recreate.go`: one sync of a Recreate Deployment.
//!
//! Scale every old ReplicaSet to 0 first; wait until no old pod is running; only then create
//! the new ReplicaSet (if missing) at full size `D`. History cleanup runs once complete.

use super::rolling::{created_rs, RolloutPlan};
use super::sync::cleanup_deployment;
use super::util::{
    actual_replica_count, deployment_complete, new_rs_new_replicas, replica_count,
    scale_replica_set_and_record_event, DeploymentParams, DeploymentStatusSnapshot, RsSnapshot,
};

/// `rolloutRecreate`: one sync.
///
/// `old_pods_not_terminal` is whether any pod owned by a ReplicaSet other than `new_rs` is in a
/// phase other than Succeeded/Failed (terminating pods count: they may still be running). The
/// other half of upstream's `oldPodsRunning`, old RSs with `status.replicas > 0`, is checked
/// here.
pub fn rollout_recreate(
    d: &DeploymentParams,
    status: &DeploymentStatusSnapshot,
    old: &[RsSnapshot],
    new_rs: Option<&RsSnapshot>,
    new_rs_name: &str,
    old_pods_not_terminal: bool,
) -> RolloutPlan {
    let mut plan = RolloutPlan::default();

    let mut scaled_down = false;
    for rs in old.iter().filter(|rs| rs.is_active()) {
        scaled_down |= scale_replica_set_and_record_event(d, &mut rs.clone(), 0, &mut plan.actions);
    }
    if scaled_down {
        return plan;
    }

    if actual_replica_count(old) > 0 || old_pods_not_terminal {
        return plan;
    }

    let mut new_rs = match new_rs {
        Some(rs) => rs.clone(),
        None => match new_rs_new_replicas(d, replica_count(old), 0) {
            Ok(replicas) => created_rs(d, old, new_rs_name, replicas, &mut plan.actions),
            Err(e) => {
                plan.error = Some(e);
                return plan;
            }
        },
    };
    scale_replica_set_and_record_event(d, &mut new_rs, d.replicas, &mut plan.actions);

    if deployment_complete(d, status) {
        plan.actions.extend(cleanup_deployment(d, old));
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::super::util::{DeploymentStrategy, RsAction};
    use super::*;

    fn recreate(d: i32) -> DeploymentParams {
        DeploymentParams {
            name: "web".into(),
            replicas: d,
            strategy: DeploymentStrategy::Recreate,
            ..DeploymentParams::default()
        }
    }

    fn rs(name: &str, spec: i32, status: i32) -> RsSnapshot<'static> {
        RsSnapshot {
            name: name.into(),
            revision_annotation: Some("1".into()),
            spec_replicas: spec,
            status_replicas: status,
            available_replicas: status,
            ..RsSnapshot::default()
        }
    }

    /// §1.5: scale old to 0 → wait for old pods → create the new RS at D.
    #[test]
    fn recreate_sequence() {
        let d = recreate(3);
        let status = DeploymentStatusSnapshot::default();

        let plan = rollout_recreate(&d, &status, &[rs("old", 3, 3)], None, "web-new", true);
        assert_eq!(
            plan.actions,
            vec![RsAction::Scale {
                name: "old".into(),
                from: 3,
                to: 0,
                desired_replicas: 3,
                max_replicas: 3
            }]
        );

        // Scaled to 0 but the RS still reports pods: wait.
        let plan = rollout_recreate(&d, &status, &[rs("old", 0, 2)], None, "web-new", true);
        assert_eq!(plan.actions, vec![]);
        // status.replicas is 0 but a pod is still terminating: wait.
        let plan = rollout_recreate(&d, &status, &[rs("old", 0, 0)], None, "web-new", true);
        assert_eq!(plan.actions, vec![]);

        // All gone: the new RS is created at full size in one step.
        let plan = rollout_recreate(&d, &status, &[rs("old", 0, 0)], None, "web-new", false);
        assert_eq!(
            plan.actions,
            vec![RsAction::Create {
                name: "web-new".into(),
                replicas: 3,
                revision: 2,
                desired_replicas: 3,
                max_replicas: 3
            }]
        );
    }

    #[test]
    fn existing_new_rs_is_scaled_to_d_and_history_cleaned_when_complete() {
        let mut d = recreate(3);
        d.revision_history_limit = Some(0);
        let complete = DeploymentStatusSnapshot {
            observed_generation: d.generation,
            replicas: 3,
            updated_replicas: 3,
            available_replicas: 3,
            ..Default::default()
        };
        let plan = rollout_recreate(
            &d,
            &complete,
            &[rs("old", 0, 0)],
            Some(&rs("web-new", 1, 1)),
            "web-new",
            false,
        );
        assert_eq!(
            plan.actions,
            vec![
                RsAction::Scale {
                    name: "web-new".into(),
                    from: 1,
                    to: 3,
                    desired_replicas: 3,
                    max_replicas: 3
                },
                RsAction::Delete { name: "old".into() },
            ]
        );
    }
}
