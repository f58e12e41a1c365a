//! ReplicaSets, ReplicationControllers and the garbage collector, specified through the `Sim`
//! as a learner would observe them (spec §2 and §3).

mod workloads_support;

use kubeplay_core::api::core::ReplicationControllerSpec;
use kubeplay_core::api::*;
use kubeplay_core::apiserver::DeleteOptions;
use workloads_support::*;

#[test]
fn a_replica_set_creates_its_pods_with_generated_names_and_a_controller_reference() {
    let mut sim = sim(3);
    let rs = sim.api.create(replica_set("web", 3, "nginx")).unwrap();
    sim.settle();
    let pods = pods_controlled_by(&sim, &rs.metadata.uid);
    assert_eq!(pods.len(), 3);
    for p in &pods {
        let name = &p.metadata.name;
        assert!(
            name.starts_with("web-") && name.len() == "web-".len() + 5,
            "{name}"
        );
        assert_eq!(p.metadata.generate_name, "web-");
        let r = &p.metadata.owner_references[0];
        assert_eq!(
            (&*r.api_version, &*r.kind, r.name.as_str()),
            ("apps/v1", "ReplicaSet", "web")
        );
        assert_eq!(
            (r.controller, r.block_owner_deletion),
            (Some(true), Some(true))
        );
    }
    let mut created = event_messages(&sim, "SuccessfulCreate");
    created.sort();
    let mut want: Vec<_> = pods
        .iter()
        .map(|p| format!("Created pod: {}", p.metadata.name))
        .collect();
    want.sort();
    assert_eq!(created, want);
    let ev = sim
        .api
        .events()
        .iter()
        .find(|e| e.reason == "SuccessfulCreate")
        .unwrap();
    assert_eq!(
        ev.source.component.as_deref(),
        Some("replicaset-controller")
    );
    assert_eq!(ev.involved_object.kind, "ReplicaSet");

    sim.advance(5_000);
    let rs = sim.api.get::<ReplicaSet>("default", "web").unwrap();
    assert_eq!(rs.status.replicas, 3);
    assert_eq!(rs.status.fully_labeled_replicas, 3);
    assert_eq!(rs.status.ready_replicas, 3);
    assert_eq!(rs.status.available_replicas, 3);
    assert_eq!(rs.status.observed_generation, 1);
}

#[test]
fn an_orphan_pod_matching_the_selector_is_adopted_instead_of_creating_one() {
    let mut sim = sim(2);
    sim.api.create(pod("stray", "web", "nginx")).unwrap();
    sim.settle();
    let rs = sim.api.create(replica_set("web", 2, "nginx")).unwrap();
    sim.settle();
    let stray = sim.api.get::<Pod>("default", "stray").unwrap();
    assert_eq!(
        stray.metadata.controller_ref().map(|r| r.uid.as_str()),
        Some(rs.metadata.uid.as_str())
    );
    assert_eq!(pods_controlled_by(&sim, &rs.metadata.uid).len(), 2);
    assert_eq!(event_messages(&sim, "SuccessfulCreate").len(), 1);
}

#[test]
fn relabelling_a_pod_out_releases_it_and_the_replica_set_makes_a_replacement() {
    let mut sim = sim(2);
    let rs = sim.api.create(replica_set("web", 2, "nginx")).unwrap();
    sim.advance(5_000);
    let victim = pods_controlled_by(&sim, &rs.metadata.uid)[0]
        .metadata
        .name
        .clone();
    sim.api
        .modify::<Pod>("default", &victim, |p| {
            p.metadata.labels.insert("app".into(), "debug".into());
        })
        .unwrap();
    sim.settle();
    let released = sim.api.get::<Pod>("default", &victim).unwrap();
    assert!(
        released.metadata.owner_references.is_empty(),
        "ownerReference removed"
    );
    assert!(
        released.metadata.deletion_timestamp.is_none(),
        "left running"
    );
    assert!(ready(&released));
    let owned = pods_controlled_by(&sim, &rs.metadata.uid);
    assert_eq!(owned.len(), 2);
    assert!(owned.iter().all(|p| p.metadata.name != victim));
    sim.advance(60_000);
    assert!(
        sim.api.get::<Pod>("default", &victim).is_some(),
        "the orphan is not collected"
    );
}

#[test]
fn a_terminating_pod_is_replaced_at_once() {
    let mut sim = sim(2);
    // busybox ignores SIGTERM: the pod stays Terminating for its 30 s grace period.
    let rs = sim.api.create(replica_set("web", 2, "busybox")).unwrap();
    sim.advance(5_000);
    let victim = pods_controlled_by(&sim, &rs.metadata.uid)[0]
        .metadata
        .name
        .clone();
    sim.api
        .delete::<Pod>("default", &victim, DeleteOptions::default())
        .unwrap();
    sim.settle();
    let owned = pods_controlled_by(&sim, &rs.metadata.uid);
    assert_eq!(owned.len(), 3, "the terminating pod and its replacement");
    assert_eq!(live(&owned).len(), 2);
    let rs = sim.api.get::<ReplicaSet>("default", "web").unwrap();
    assert_eq!(rs.status.replicas, 2, "terminating pods do not count");
}

/// §2: when scaling down, unready pods go before ready ones, and of two ready pods the more
/// recently created (log2 buckets of age differ) goes first.
#[test]
fn scaling_down_deletes_not_ready_pods_first_then_the_newest() {
    let mut sim = sim(1);
    sim.api.create(pod("old", "web", "nginx")).unwrap();
    sim.advance(20_000);
    sim.api.create(pod("young", "web", "nginx")).unwrap();
    sim.advance(5_000);
    sim.api
        .create(pod("unready", "web", "nginx:unready"))
        .unwrap();
    sim.advance(15_000);
    let rs = sim.api.create(replica_set("web", 3, "nginx")).unwrap();
    sim.settle();
    assert_eq!(
        pods_controlled_by(&sim, &rs.metadata.uid).len(),
        3,
        "all three adopted"
    );
    assert!(event_messages(&sim, "SuccessfulCreate").is_empty());

    for (replicas, deleted) in [(2, "unready"), (1, "young")] {
        sim.api
            .modify::<ReplicaSet>("default", "web", |r| r.spec.replicas = Some(replicas))
            .unwrap();
        sim.settle();
        let p = sim.api.get::<Pod>("default", deleted).unwrap();
        assert!(
            p.metadata.deletion_timestamp.is_some(),
            "{deleted} deleted at {replicas}"
        );
        assert!(
            event_messages(&sim, "SuccessfulDelete").contains(&format!("Deleted pod: {deleted}"))
        );
        assert_eq!(
            live(&pods_controlled_by(&sim, &rs.metadata.uid)).len(),
            replicas as usize
        );
    }
    assert!(sim
        .api
        .get::<Pod>("default", "old")
        .unwrap()
        .metadata
        .deletion_timestamp
        .is_none());
}

/// §1.6: a pod is available once Ready for strictly more than minReadySeconds, and the status
/// says so at that virtual instant, without waiting for another event.
#[test]
fn available_replicas_flip_exactly_min_ready_seconds_after_ready() {
    let mut sim = sim(1);
    let mut rs = replica_set("web", 1, "nginx");
    rs.spec.min_ready_seconds = Some(5);
    sim.api.create(rs).unwrap();
    while !sim.api.pods.iter().any(|p| ready(p)) {
        assert!(sim.step(), "the pod becomes ready");
    }
    let p = sim.api.pods.iter().find(|p| ready(p)).unwrap().clone();
    let since = p
        .status
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .and_then(|c| c.last_transition_time)
        .unwrap()
        .virtual_ms();
    for (at, available) in [(since, 0), (since + 5_000, 0), (since + 5_001, 1)] {
        let now = sim.now();
        sim.advance(at - now);
        let rs = sim.api.get::<ReplicaSet>("default", "web").unwrap();
        assert_eq!(rs.status.ready_replicas, 1);
        assert_eq!(
            rs.status.available_replicas,
            available,
            "at ready + {} ms",
            at - since
        );
    }
}

#[test]
fn a_replication_controller_keeps_n_pods() {
    let mut sim = sim(2);
    let rc = ReplicationController {
        metadata: ObjectMeta {
            name: "legacy".into(),
            ..Default::default()
        },
        spec: ReplicationControllerSpec {
            replicas: Some(3),
            selector: None, // defaults to the template's labels
            template: Some(template("legacy", "nginx")),
            ..Default::default()
        },
        ..Default::default()
    };
    let rc = sim.api.create(rc).unwrap();
    sim.advance(5_000);
    let pods = pods_controlled_by(&sim, &rc.metadata.uid);
    assert_eq!(pods.len(), 3);
    let r = &pods[0].metadata.owner_references[0];
    assert_eq!((&*r.api_version, &*r.kind), ("v1", "ReplicationController"));
    let ev = sim
        .api
        .events()
        .iter()
        .find(|e| e.reason == "SuccessfulCreate")
        .unwrap();
    assert_eq!(
        ev.source.component.as_deref(),
        Some("replication-controller")
    );

    // Kill one for good (grace 0): the RC replaces it.
    let victim = pods[0].metadata.name.clone();
    sim.api
        .delete::<Pod>(
            "default",
            &victim,
            DeleteOptions {
                grace_period_seconds: Some(0),
            },
        )
        .unwrap();
    sim.settle();
    sim.advance(5_000);
    let pods = pods_controlled_by(&sim, &rc.metadata.uid);
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| p.metadata.name != victim && ready(p)));
    let rc = sim
        .api
        .get::<ReplicationController>("default", "legacy")
        .unwrap();
    assert_eq!((rc.status.replicas, rc.status.ready_replicas), (3, 3));

    sim.api
        .modify::<ReplicationController>("default", "legacy", |r| r.spec.replicas = Some(1))
        .unwrap();
    sim.settle();
    assert_eq!(live(&pods_controlled_by(&sim, &rc.metadata.uid)).len(), 1);
}

#[test]
fn deleting_a_replica_set_terminates_its_pods_through_the_garbage_collector() {
    let mut sim = sim(2);
    let rs = sim.api.create(replica_set("web", 2, "nginx")).unwrap();
    sim.advance(5_000);
    sim.api
        .delete::<ReplicaSet>("default", "web", DeleteOptions::default())
        .unwrap();
    sim.settle();
    let pods = pods_controlled_by(&sim, &rs.metadata.uid);
    assert_eq!(pods.len(), 2);
    assert!(
        pods.iter().all(|p| p.metadata.deletion_timestamp.is_some()),
        "graceful"
    );
    sim.advance(5_000);
    assert!(pods_of_app(&sim, "web").is_empty());
}

#[test]
fn a_dependent_created_with_an_absent_owner_is_collected() {
    let mut sim = sim(1);
    let mut p = pod("ghost", "x", "nginx");
    p.metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: "gone".into(),
        uid: "00000000-0000-4000-8000-000000000000".into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }]
    .into();
    sim.api.create(p).unwrap();
    sim.advance(5_000);
    assert!(sim.api.get::<Pod>("default", "ghost").is_none());
}

#[test]
fn a_dependent_with_another_living_owner_only_loses_the_dangling_reference() {
    let mut sim = sim(1);
    let a = sim.api.create(replica_set("a", 0, "nginx")).unwrap();
    let b = sim.api.create(replica_set("b", 0, "nginx")).unwrap();
    let mut p = pod("shared", "none", "nginx");
    p.metadata.owner_references = [&a, &b]
        .iter()
        .map(|rs| OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: rs.metadata.name.clone(),
            uid: rs.metadata.uid.clone(),
            controller: None,
            block_owner_deletion: None,
        })
        .collect();
    sim.api.create(p).unwrap();
    sim.settle();
    sim.api
        .delete::<ReplicaSet>("default", "a", DeleteOptions::default())
        .unwrap();
    sim.settle();
    let p = sim.api.get::<Pod>("default", "shared").unwrap();
    assert!(p.metadata.deletion_timestamp.is_none());
    let owners: Vec<_> = p
        .metadata
        .owner_references
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(owners, ["b"]);
}
