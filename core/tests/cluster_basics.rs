//! A pod's life on a simulated node, as a learner would observe it through the API.

use kubeplay_core::api::core::Container;
use kubeplay_core::api::*;
use kubeplay_core::apiserver::DeleteOptions;
use kubeplay_core::{Sim, SimConfig};

fn pod(name: &str, image: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.labels.insert("app".into(), "web".into());
    p.spec.containers = vec![Container {
        name: "web".into(),
        image: image.into(),
        ..Default::default()
    }]
    .into();
    p
}

/// A cluster of one node, `node-1`.
fn one_node() -> Sim {
    Sim::new(SimConfig {
        nodes: 1,
        ..Default::default()
    })
}

/// Deletes pod `name` (default grace) and checks it is gone 5 virtual seconds later.
fn assert_gone_5s_after_delete(sim: &mut Sim, name: &str, why: &str) {
    sim.api
        .delete::<Pod>("default", name, DeleteOptions::default())
        .unwrap();
    sim.advance(5_000);
    assert!(sim.api.get::<Pod>("default", name).is_none(), "{why}");
}

fn ready(p: &Pod) -> bool {
    p.status
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

#[test]
fn nodes_register_ready_with_pod_cidrs_and_addresses() {
    let sim = Sim::new(SimConfig::default());
    let nodes: Vec<_> = sim.api.nodes.iter().cloned().collect();
    assert_eq!(nodes.len(), 3);
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(n.metadata.name, format!("node-{}", i + 1));
        assert_eq!(
            n.spec.pod_cidr.as_deref(),
            Some(format!("10.244.{}.0/24", i + 1).as_str())
        );
        assert_eq!(n.status.addresses[0].type_, "InternalIP");
        assert!(n
            .status
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True"));
    }
    let k = sim.api.get::<Service>("default", "kubernetes").unwrap();
    assert_eq!(k.spec.cluster_ip.as_deref(), Some("10.96.0.1"));
    let dns = sim.api.get::<Service>("kube-system", "kube-dns").unwrap();
    assert_eq!(dns.spec.cluster_ip.as_deref(), Some("10.96.0.10"));
}

#[test]
fn a_pod_is_scheduled_gets_an_ip_from_its_node_and_becomes_ready_within_seconds() {
    let mut sim = Sim::new(SimConfig::default());
    sim.api.create(pod("a", "nginx")).unwrap();
    sim.settle();
    let p = sim.api.get::<Pod>("default", "a").unwrap();
    assert!(!p.spec.node_name.is_empty(), "scheduled at once");
    assert_eq!(p.status.phase.as_deref(), Some("Pending"));
    let n: usize = p
        .spec
        .node_name
        .trim_start_matches("node-")
        .parse()
        .unwrap();
    assert!(p
        .status
        .pod_ip
        .as_deref()
        .unwrap()
        .starts_with(&format!("10.244.{n}.")));
    assert!(!ready(&p));
    sim.advance(5_000);
    let p = sim.api.get::<Pod>("default", "a").unwrap();
    assert_eq!(p.status.phase.as_deref(), Some("Running"));
    assert!(ready(&p));
}

#[test]
fn a_recreated_pod_gets_a_new_ip() {
    let mut sim = one_node();
    sim.api.create(pod("a", "nginx")).unwrap();
    sim.advance(5_000);
    let first = sim
        .api
        .get::<Pod>("default", "a")
        .unwrap()
        .status
        .pod_ip
        .clone();
    assert_gone_5s_after_delete(
        &mut sim,
        "a",
        "nginx exits on SIGTERM well within the grace period",
    );
    sim.api.create(pod("a", "nginx")).unwrap();
    sim.advance(5_000);
    let second = sim
        .api
        .get::<Pod>("default", "a")
        .unwrap()
        .status
        .pod_ip
        .clone();
    assert_ne!(first, second);
}

#[test]
fn a_container_that_ignores_sigterm_stays_terminating_for_its_grace_period() {
    let mut sim = one_node();
    sim.api.create(pod("a", "busybox")).unwrap();
    sim.advance(5_000);
    sim.api
        .delete::<Pod>("default", "a", DeleteOptions::default())
        .unwrap();
    sim.advance(29_000);
    assert!(sim
        .api
        .get::<Pod>("default", "a")
        .unwrap()
        .metadata
        .deletion_timestamp
        .is_some());
    sim.advance(1_001);
    assert!(
        sim.api.get::<Pod>("default", "a").is_none(),
        "SIGKILL at the end of the 30 s grace period"
    );
}

#[test]
fn a_crashing_image_goes_into_crash_loop_back_off() {
    let mut sim = one_node();
    sim.api.create(pod("a", "nginx:crash")).unwrap();
    sim.advance(10_000);
    let p = sim.api.get::<Pod>("default", "a").unwrap();
    let cs = &p.status.container_statuses[0];
    assert!(cs.restart_count >= 1);
    assert_eq!(
        cs.state.waiting.as_ref().and_then(|w| w.reason.as_deref()),
        Some("CrashLoopBackOff")
    );
    assert!(!ready(&p));
}

#[test]
fn the_same_seed_and_inputs_give_the_same_trace() {
    let run = |seed| {
        let mut sim = Sim::new(SimConfig {
            seed,
            ..Default::default()
        });
        for i in 0..5 {
            sim.api.create(pod(&format!("p{i}"), "nginx")).unwrap();
        }
        sim.advance(20_000);
        sim.trace_hash()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

/// Pods admitted one after another with different containers each show their own: the
/// waiting statuses and the unready message of the ContainerCreating write name the pod's
/// containers, whatever pod the kubelet admitted before.
#[test]
fn each_admitted_pod_shows_its_own_containers_while_creating() {
    let mut sim = Sim::new(SimConfig::default());
    let specs = [
        ("a", &["web"][..]),
        ("b", &["api", "log"]),
        ("c", &["web"]),
        ("d", &["api", "log"]),
    ];
    for (name, containers) in specs {
        let mut p = pod(name, "nginx");
        p.spec.containers = containers
            .iter()
            .map(|c| Container {
                name: c.to_string(),
                image: format!("{c}:1"),
                ..Default::default()
            })
            .collect::<Vec<_>>()
            .into();
        sim.api.create(p).unwrap();
    }
    sim.settle();
    for (name, containers) in specs {
        let p = sim.api.get::<Pod>("default", name).unwrap();
        let statuses: Vec<(String, String)> = p
            .status
            .container_statuses
            .iter()
            .map(|s| (s.name.to_string(), s.image.to_string()))
            .collect();
        let want: Vec<(String, String)> = containers
            .iter()
            .map(|c| (c.to_string(), format!("{c}:1")))
            .collect();
        assert_eq!(statuses, want, "{name}");
        let ready = p
            .status
            .conditions
            .iter()
            .find(|c| c.type_ == "Ready")
            .unwrap();
        assert_eq!(
            ready.message.as_deref(),
            Some(format!("containers with unready status: [{}]", containers.join(" ")).as_str()),
            "{name}"
        );
    }
}

#[test]
fn a_pod_already_admitted_goes_on_running_when_its_node_object_is_deleted() {
    let mut sim = one_node();
    sim.api.create(pod("a", "nginx")).unwrap();
    sim.settle();
    let p = sim.api.get::<Pod>("default", "a").unwrap();
    assert!(p.status.pod_ip.is_some(), "admitted: a sandbox and an IP");
    // The kubelet runs what it admitted whatever becomes of its Node object.
    sim.api
        .delete::<Node>("", "node-1", DeleteOptions::default())
        .unwrap();
    sim.advance(5_000);
    let p = sim.api.get::<Pod>("default", "a").unwrap();
    assert_eq!(p.status.phase.as_deref(), Some("Running"));
    assert!(ready(&p));
    assert_gone_5s_after_delete(&mut sim, "a", "stopped and removed");
}
