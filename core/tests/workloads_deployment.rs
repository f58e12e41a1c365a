//! Deployments, specified through the `Sim` (spec §1 and §2): rollouts, scaling, pausing,
//! rollback, history cleanup, progress deadlines and cascading deletion.

mod workloads_support;

use kubeplay_core::api::core::Probe;
use kubeplay_core::api::*;
use kubeplay_core::apiserver::DeleteOptions;
use kubeplay_core::Sim;
use std::rc::Rc;
use workloads_support::*;

const HASH_CHARS: &str = "bcdfghjklmnpqrstvwxz2456789";

fn set_image(sim: &mut Sim, name: &str, image: &str) {
    sim.api
        .modify::<Deployment>("default", name, |d| {
            d.spec.template.spec.containers[0].image = image.into();
        })
        .unwrap();
    sim.settle();
}

fn scale(sim: &mut Sim, name: &str, replicas: i32) {
    sim.api
        .modify::<Deployment>("default", name, |d| d.spec.replicas = Some(replicas))
        .unwrap();
    sim.settle();
}

fn rs_named<'a>(rss: &'a [Rc<ReplicaSet>], image: &str) -> &'a ReplicaSet {
    rss.iter()
        .find(|rs| rs.spec.template.spec.containers[0].image == image)
        .unwrap()
}

fn condition(d: &Deployment, type_: &str) -> (String, String, String) {
    let c = d
        .status
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .unwrap_or_else(|| panic!("no {type_} condition"));
    (
        c.status.clone(),
        c.reason.clone().unwrap_or_default(),
        c.message.clone().unwrap_or_default(),
    )
}

/// Non-terminating pods of the Deployment and how many of them are Ready.
fn pod_counts(sim: &Sim, name: &str) -> (usize, usize) {
    let pods: Vec<Rc<Pod>> = replica_sets_of(sim, name)
        .iter()
        .flat_map(|rs| live(&pods_controlled_by(sim, &rs.metadata.uid)))
        .collect();
    (pods.len(), pods.iter().filter(|p| ready(p)).count())
}

fn annotation<'a>(rs: &'a ReplicaSet, key: &str) -> Option<&'a str> {
    rs.metadata.annotations.get(key).map(String::as_str)
}

#[test]
fn a_deployment_of_three_comes_up_through_one_hashed_replica_set() {
    let mut sim = sim(3);
    sim.api.create(deployment("web", 3, "nginx")).unwrap();
    sim.advance(5_000);
    let rss = replica_sets_of(&sim, "web");
    assert_eq!(rss.len(), 1);
    let rs = &rss[0];
    let hash = rs.metadata.labels["pod-template-hash"].clone();
    assert!(
        !hash.is_empty() && hash.len() <= 10 && hash.chars().all(|c| HASH_CHARS.contains(c)),
        "{hash}"
    );
    assert_eq!(rs.metadata.name, format!("web-{hash}"));
    assert_eq!(
        rs.spec.selector.as_ref().unwrap().match_labels,
        labels(&[("app", "web"), ("pod-template-hash", &hash)])
    );
    assert_eq!(
        rs.spec.template.metadata.labels,
        labels(&[("app", "web"), ("pod-template-hash", &hash)])
    );
    assert_eq!(rs.metadata.owner_references[0].kind, "Deployment");
    for (key, want) in [
        ("deployment.kubernetes.io/revision", "1"),
        ("deployment.kubernetes.io/desired-replicas", "3"),
        ("deployment.kubernetes.io/max-replicas", "4"), // 3 + ceil(25% of 3)
    ] {
        assert_eq!(annotation(rs, key), Some(want), "{key}");
    }
    let pods = pods_controlled_by(&sim, &rs.metadata.uid);
    assert_eq!(pods.len(), 3);
    assert!(pods
        .iter()
        .all(|p| ready(p) && p.metadata.name.starts_with(&format!("web-{hash}-"))));

    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(
        d.metadata.annotations["deployment.kubernetes.io/revision"],
        "1"
    );
    let s = &d.status;
    assert_eq!(
        (
            s.replicas,
            s.updated_replicas,
            s.ready_replicas,
            s.available_replicas,
            s.unavailable_replicas
        ),
        (3, 3, 3, 3, 0)
    );
    assert_eq!(s.observed_generation, d.metadata.generation);
    assert_eq!(
        condition(&d, "Available"),
        (
            "True".into(),
            "MinimumReplicasAvailable".into(),
            "Deployment has minimum availability.".into()
        )
    );
    assert_eq!(
        condition(&d, "Progressing"),
        (
            "True".into(),
            "NewReplicaSetAvailable".into(),
            format!("ReplicaSet \"web-{hash}\" has successfully progressed.")
        )
    );
    assert_eq!(
        event_messages(&sim, "ScalingReplicaSet"),
        [format!("Scaled up replica set web-{hash} from 0 to 3")]
    );
    let ev = sim
        .api
        .events()
        .iter()
        .find(|e| e.reason == "ScalingReplicaSet")
        .unwrap();
    assert_eq!(
        ev.source.component.as_deref(),
        Some("deployment-controller")
    );
}

#[test]
fn changing_the_template_changes_the_hash_and_equal_templates_share_it() {
    let mut sim = sim(1);
    sim.api.create(deployment("a", 1, "nginx")).unwrap();
    sim.api.create(deployment("b", 1, "nginx")).unwrap();
    sim.api.create(deployment("c", 1, "nginx:1.27")).unwrap();
    sim.settle();
    fn hash(sim: &Sim, n: &str) -> String {
        replica_sets_of(sim, n)[0].metadata.labels["pod-template-hash"].clone()
    }
    // a and b differ only in their app label, so their templates (hence hashes) differ too.
    assert_ne!(hash(&sim, "a"), hash(&sim, "b"));
    let mut d = deployment("a2", 1, "nginx");
    d.spec.template = deployment("a", 1, "nginx").spec.template;
    d.spec.selector = deployment("a", 1, "nginx").spec.selector;
    // Same template as a: same hash (a2 is a different Deployment, so a different RS name).
    sim.api.create(d).unwrap();
    sim.settle();
    assert_eq!(hash(&sim, "a2"), hash(&sim, "a"));
    assert_ne!(hash(&sim, "c"), hash(&sim, "a"));
}

/// §2 rule 5: with everything else equal, the pod with more related pods on its node goes first.
#[test]
fn scaling_down_deletes_from_the_most_crowded_node_first() {
    let mut sim = sim(3);
    sim.api.create(deployment("web", 4, "nginx")).unwrap();
    sim.advance(10_000);
    let rs = &replica_sets_of(&sim, "web")[0];
    let pods = pods_controlled_by(&sim, &rs.metadata.uid);
    let on = |node: &str| pods.iter().filter(|p| p.spec.node_name == node).count();
    let crowded: Vec<String> = ["node-1", "node-2", "node-3"]
        .iter()
        .filter(|n| on(n) == 2)
        .map(|n| n.to_string())
        .collect();
    assert_eq!(crowded.len(), 1, "4 pods spread 2/1/1");
    scale(&mut sim, "web", 3);
    let deleted: Vec<_> = pods_controlled_by(&sim, &rs.metadata.uid)
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_some())
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].spec.node_name, crowded[0]);
}

/// §1.2 bounds, observed every 100 ms of a 10-replica rollout with the default 25 %/25 %
/// (surge 3, unavailable 2).
#[test]
fn a_ten_replica_rollout_stays_within_its_fenceposts_and_finishes_quickly() {
    let mut sim = sim(3);
    sim.api.create(deployment("web", 10, "nginx")).unwrap();
    sim.advance(10_000);
    assert_eq!(pod_counts(&sim, "web"), (10, 10));
    set_image(&mut sim, "web", "nginx:1.27");
    let start = sim.now();
    let mut finished_at = None;
    while sim.now() - start < 60_000 {
        let (total, ready) = pod_counts(&sim, "web");
        assert!(total <= 13, "{total} pods at +{} ms", sim.now() - start);
        assert!(ready >= 8, "{ready} ready at +{} ms", sim.now() - start);
        let d = sim.api.get::<Deployment>("default", "web").unwrap();
        if finished_at.is_none()
            && condition(&d, "Progressing").1 == "NewReplicaSetAvailable"
            && d.status.updated_replicas == 10
            && d.status.replicas == 10
        {
            finished_at = Some(sim.now() - start);
        }
        sim.advance(100);
    }
    let took = finished_at.expect("rollout completes");
    assert!(took < 30_000, "took {took} ms");
    let rss = replica_sets_of(&sim, "web");
    assert_eq!(rs_named(&rss, "nginx").spec.replicas, Some(0));
    assert_eq!(rs_named(&rss, "nginx:1.27").spec.replicas, Some(10));
    assert_eq!(
        annotation(
            rs_named(&rss, "nginx:1.27"),
            "deployment.kubernetes.io/revision"
        ),
        Some("2")
    );
    // §1.4 worked example: the first sync creates the new RS with 3 and scales the old to 8.
    let events = event_messages(&sim, "ScalingReplicaSet");
    let new = &rs_named(&rss, "nginx:1.27").metadata.name;
    let old = &rs_named(&rss, "nginx").metadata.name;
    assert_eq!(
        events[1],
        format!("Scaled up replica set {new} from 0 to 3")
    );
    assert_eq!(
        events[2],
        format!("Scaled down replica set {old} from 10 to 8")
    );
}

#[test]
fn recreate_scales_the_old_replica_set_to_zero_before_creating_the_new_one() {
    let mut sim = sim(2);
    let mut d = deployment("web", 3, "nginx");
    d.spec.strategy.type_ = Some("Recreate".into());
    sim.api.create(d).unwrap();
    sim.advance(10_000);
    set_image(&mut sim, "web", "nginx:1.27");
    let mut saw_gap = false;
    for _ in 0..300 {
        let rss = replica_sets_of(&sim, "web");
        let old = rs_named(&rss, "nginx");
        let old_pods = pods_controlled_by(&sim, &old.metadata.uid).len();
        if let Some(new) = rss
            .iter()
            .find(|rs| rs.spec.template.spec.containers[0].image == "nginx:1.27")
        {
            assert_eq!(old_pods, 0, "new RS exists while old pods remain");
            assert_eq!(old.spec.replicas, Some(0));
            let _ = new;
        } else if old_pods > 0 {
            saw_gap = true;
        }
        sim.advance(100);
    }
    assert!(
        saw_gap,
        "old pods were terminating for a while before the new RS appeared"
    );
    let rss = replica_sets_of(&sim, "web");
    assert_eq!(rs_named(&rss, "nginx:1.27").status.ready_replicas, 3);
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(d.status.available_replicas, 3);
}

#[test]
fn rollback_by_template_rewrite_reuses_the_old_replica_set_and_bumps_its_revision() {
    let mut sim = sim(2);
    sim.api.create(deployment("web", 2, "nginx")).unwrap();
    sim.advance(10_000);
    set_image(&mut sim, "web", "nginx:1.27");
    sim.advance(30_000);
    let first = rs_named(&replica_sets_of(&sim, "web"), "nginx")
        .metadata
        .clone();
    assert_eq!(first.annotations["deployment.kubernetes.io/revision"], "1");
    // `kubectl rollout undo`: the old RS's template without its hash label.
    set_image(&mut sim, "web", "nginx");
    sim.advance(30_000);
    let rss = replica_sets_of(&sim, "web");
    assert_eq!(rss.len(), 2, "no third ReplicaSet");
    let back = rs_named(&rss, "nginx");
    assert_eq!(back.metadata.uid, first.uid);
    assert_eq!(
        annotation(back, "deployment.kubernetes.io/revision"),
        Some("3")
    );
    assert_eq!(
        annotation(back, "deployment.kubernetes.io/revision-history"),
        Some("1")
    );
    assert_eq!(back.spec.replicas, Some(2));
    assert_eq!(rs_named(&rss, "nginx:1.27").spec.replicas, Some(0));
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(
        d.metadata.annotations["deployment.kubernetes.io/revision"],
        "3"
    );
}

#[test]
fn a_paused_deployment_holds_its_rollout_until_resumed() {
    let mut sim = sim(2);
    sim.api.create(deployment("web", 2, "nginx")).unwrap();
    sim.advance(10_000);
    sim.api
        .modify::<Deployment>("default", "web", |d| d.spec.paused = true)
        .unwrap();
    sim.settle();
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(
        condition(&d, "Progressing"),
        (
            "Unknown".into(),
            "DeploymentPaused".into(),
            "Deployment is paused".into()
        )
    );
    set_image(&mut sim, "web", "nginx:1.27");
    scale(&mut sim, "web", 3);
    sim.advance(30_000);
    let rss = replica_sets_of(&sim, "web");
    assert_eq!(rss.len(), 1, "no rollout while paused");
    assert_eq!(rss[0].spec.replicas, Some(3), "but scaling still happens");
    sim.api
        .modify::<Deployment>("default", "web", |d| d.spec.paused = false)
        .unwrap();
    sim.settle();
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    assert_ne!(condition(&d, "Progressing").1, "DeploymentPaused");
    sim.advance(30_000);
    let rss = replica_sets_of(&sim, "web");
    assert_eq!(rs_named(&rss, "nginx:1.27").spec.replicas, Some(3));
    assert_eq!(rs_named(&rss, "nginx").spec.replicas, Some(0));
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(condition(&d, "Progressing").1, "NewReplicaSetAvailable");
}

/// §1.8 TestScale rows, reached through a rollout stuck on never-ready pods
/// (D=5, maxSurge 0, maxUnavailable 2 → new=2, old=3).
#[test]
fn scaling_mid_rollout_is_proportional() {
    for (to, want_new, want_old) in [(10, 4, 6), (3, 1, 2)] {
        let mut sim = sim(3);
        let mut d = probed_deployment(5, "nginx");
        d.spec.strategy = rolling(IntOrString::Int(0), IntOrString::Int(2));
        sim.api.create(d).unwrap();
        sim.advance(20_000);
        set_image(&mut sim, "web", "nginx:unready");
        sim.advance(20_000);
        let rss = replica_sets_of(&sim, "web");
        let (old, new) = (
            rs_named(&rss, "nginx").clone(),
            rs_named(&rss, "nginx:unready").clone(),
        );
        assert_eq!(
            (new.spec.replicas, old.spec.replicas),
            (Some(2), Some(3)),
            "stuck"
        );
        let seen = event_messages(&sim, "ScalingReplicaSet").len();
        scale(&mut sim, "web", to);
        let events = event_messages(&sim, "ScalingReplicaSet")[seen..].to_vec();
        let first_scale = |rs: &ReplicaSet| {
            events
                .iter()
                .find(|m| m.contains(&format!(" {} from", rs.metadata.name)))
                .cloned()
                .unwrap_or_default()
        };
        let dir = |from: i32, to: i32| if to > from { "up" } else { "down" };
        assert_eq!(
            first_scale(&new),
            format!(
                "Scaled {} replica set {} from 2 to {want_new}",
                dir(2, want_new),
                new.metadata.name
            ),
            "D 5→{to}"
        );
        assert_eq!(
            first_scale(&old),
            format!(
                "Scaled {} replica set {} from 3 to {want_old}",
                dir(3, want_old),
                old.metadata.name
            ),
            "D 5→{to}"
        );
    }
}

/// A Deployment whose pods have a readiness probe (so `:unready` and `:crash` pods never
/// turn Ready).
fn probed_deployment(replicas: i32, image: &str) -> Deployment {
    let mut d = deployment("web", replicas, image);
    d.spec.template.spec.containers[0].readiness_probe = Some(Probe {
        period_seconds: Some(10),
        extra: [(
            "httpGet".to_string(),
            serde_json::json!({"path": "/", "port": 80}),
        )]
        .into(),
        ..Default::default()
    });
    d
}

fn probed(image: &str) -> Deployment {
    probed_deployment(3, image)
}

#[test]
fn a_crashing_image_stalls_the_rollout_without_losing_availability() {
    let mut sim = sim(3);
    sim.api.create(probed("nginx")).unwrap();
    sim.advance(20_000);
    assert_eq!(pod_counts(&sim, "web"), (3, 3));
    set_image(&mut sim, "web", "nginx:crash");
    sim.advance(120_000);
    let rss = replica_sets_of(&sim, "web");
    // D=3 at 25%/25%: surge 1, unavailable 0 → maxScaledDown = 4 − 3 − 1 = 0.
    assert_eq!(rs_named(&rss, "nginx").spec.replicas, Some(3));
    assert_eq!(rs_named(&rss, "nginx:crash").spec.replicas, Some(1));
    assert_eq!(pod_counts(&sim, "web").1, 3);
}

#[test]
fn a_stuck_rollout_reports_progress_deadline_exceeded_when_the_deadline_passes() {
    let mut sim = sim(3);
    let mut d = probed("nginx");
    d.spec.progress_deadline_seconds = Some(30);
    sim.api.create(d).unwrap();
    sim.advance(20_000);
    set_image(&mut sim, "web", "nginx:unready");
    sim.advance(5_000);
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    let (status, reason, _) = condition(&d, "Progressing");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "ReplicaSetUpdated")
    );
    let last_update = d
        .status
        .conditions
        .iter()
        .find(|c| c.type_ == "Progressing")
        .unwrap()
        .last_update_time
        .unwrap()
        .virtual_ms();
    let deadline = last_update + 30_000;
    let now = sim.now();
    sim.advance(deadline - now);
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(
        condition(&d, "Progressing").1,
        "ReplicaSetUpdated",
        "not before the deadline"
    );
    sim.advance(1);
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    let new = rs_named(&replica_sets_of(&sim, "web"), "nginx:unready")
        .metadata
        .name
        .clone();
    assert_eq!(
        condition(&d, "Progressing"),
        (
            "False".into(),
            "ProgressDeadlineExceeded".into(),
            format!("ReplicaSet \"{new}\" has timed out progressing.")
        )
    );
}

#[test]
fn a_deployment_past_its_deadline_that_loses_a_pod_is_resynced_at_the_rate_limiter_pace() {
    // Complete for longer than progressDeadlineSeconds, its Progressing condition says
    // NewReplicaSetAvailable, which never times out. Losing a pod makes it incomplete with the
    // deadline long past: upstream requeues it "now, rate limited" after every sync until the
    // replacement is available (client-go's default controller rate limiter: 5 ms apart, at
    // most a burst of 100 then 10 per second), not once per millisecond of virtual time.
    let mut sim = sim(3);
    let mut d = deployment("web", 3, "nginx");
    d.spec.progress_deadline_seconds = Some(30);
    sim.api.create(d).unwrap();
    sim.advance(60_000);
    let victim = live(&pods_of_app(&sim, "web"))[0].metadata.name.clone();
    sim.api
        .delete::<Pod>("default", &victim, DeleteOptions::default())
        .unwrap();
    let start = sim.now();
    let mut steps = 0;
    while sim.now() < start + 10_000 && sim.step() {
        steps += 1;
    }
    assert_eq!(pod_counts(&sim, "web"), (3, 3), "the replacement is up");
    let d = sim.api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(condition(&d, "Progressing").1, "NewReplicaSetAvailable");
    // The replacement takes a few seconds: about a hundred syncs of the Deployment (5 ms
    // apart) plus the other controllers' few dozen steps, where syncing once per
    // millisecond took over 500.
    assert!(steps < 300, "{steps} simulation steps in 10 s");
}

#[test]
fn revision_history_limit_deletes_the_oldest_old_replica_sets() {
    let mut sim = sim(2);
    let mut d = deployment("web", 1, "nginx:1");
    d.spec.revision_history_limit = Some(1);
    sim.api.create(d).unwrap();
    sim.advance(10_000);
    for image in ["nginx:2", "nginx:3", "nginx:4"] {
        set_image(&mut sim, "web", image);
        sim.advance(30_000);
    }
    let rss = replica_sets_of(&sim, "web");
    let images: Vec<_> = rss
        .iter()
        .map(|rs| rs.spec.template.spec.containers[0].image.clone())
        .collect();
    assert_eq!(images, ["nginx:3", "nginx:4"]);
    assert_eq!(
        annotation(&rss[0], "deployment.kubernetes.io/revision"),
        Some("3")
    );
    assert_eq!(
        annotation(&rss[1], "deployment.kubernetes.io/revision"),
        Some("4")
    );
}

#[test]
fn deleting_a_deployment_removes_its_replica_sets_and_pods() {
    let mut sim = sim(2);
    sim.api.create(deployment("web", 3, "nginx")).unwrap();
    sim.advance(10_000);
    assert_eq!(pods_of_app(&sim, "web").len(), 3);
    sim.api
        .delete::<Deployment>("default", "web", DeleteOptions::default())
        .unwrap();
    sim.settle();
    assert_eq!(sim.api.replica_sets.len(), 0);
    assert!(pods_of_app(&sim, "web")
        .iter()
        .all(|p| p.metadata.deletion_timestamp.is_some()));
    sim.advance(10_000);
    assert!(pods_of_app(&sim, "web").is_empty());
}

/// The scheduler spreads an owner's pods (fewest of its pods first) over nodes added in any
/// order: nodes named to sort before the first ones shift every node's place in the
/// scheduler's cache, and each owner still gets one pod per node.
#[test]
fn each_deployment_gets_one_pod_per_node_however_the_nodes_were_added() {
    let mut sim = sim(3);
    sim.add_node_named("a-extra");
    sim.add_node_named("b-extra");
    for name in ["x", "y"] {
        sim.api.create(deployment(name, 5, "nginx")).unwrap();
        sim.advance(10_000);
        let rs = &replica_sets_of(&sim, name)[0];
        let mut nodes: Vec<String> = pods_controlled_by(&sim, &rs.metadata.uid)
            .iter()
            .map(|p| p.spec.node_name.to_string())
            .collect();
        nodes.sort();
        assert_eq!(
            nodes,
            ["a-extra", "b-extra", "node-1", "node-2", "node-3"],
            "{name}"
        );
    }
}
