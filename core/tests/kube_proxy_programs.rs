//! Specification: a node's programmed rules are what its kube-proxy synced, whenever you
//! look. The data plane records each sync round once and brings a node's rules up to its
//! last sync when they are read or routed through (`dataplane::NodePrograms`); reading
//! them after every single step of the simulation (each sync applied as it happens) or
//! only now and then must show the same rules, the same kube-proxy caches, the same sync
//! status, and route the same requests the same way.

mod common;
use common::*;
use kubeplay_core::apiserver::ObjectKey;
use kubeplay_core::dataplane::{programs::MAX_ROUNDS, TrafficSource, TrafficSpec};
use kubeplay_core::proxy::ProxyMode;
use kubeplay_core::Sim;
use proptest::prelude::*;

/// Reads every node's rules (bringing each up to its last sync).
fn look_at_every_node(sim: &Sim) {
    let names: Vec<String> = sim
        .infra
        .dataplane
        .nodes()
        .map(|(n, _)| n.clone())
        .collect();
    for n in names {
        let _ = sim.infra.dataplane.proxy(&n).map(|p| p.services().len());
    }
}

/// Advances `ms`, one task at a time, looking at every node after each.
fn advance_watching(sim: &mut Sim, ms: u64) {
    let end = sim.api.now + ms;
    while sim.next_task_at().is_some_and(|t| t <= end) {
        sim.step();
        look_at_every_node(sim);
    }
    sim.advance(end.saturating_sub(sim.api.now));
    look_at_every_node(sim);
}

/// The two clusters' nodes show the same rules, caches and status.
fn assert_same_nodes(watched: &Sim, lazy: &Sim) -> Result<(), TestCaseError> {
    let names: Vec<String> = watched
        .infra
        .dataplane
        .nodes()
        .map(|(n, _)| n.clone())
        .collect();
    let lazy_names: Vec<String> = lazy
        .infra
        .dataplane
        .nodes()
        .map(|(n, _)| n.clone())
        .collect();
    prop_assert_eq!(&names, &lazy_names);
    for n in &names {
        prop_assert_eq!(
            watched.infra.dataplane.sync_status(n),
            lazy.infra.dataplane.sync_status(n),
            "status of {}",
            n
        );
        let a = watched.infra.dataplane.proxy(n).map(|p| p.clone());
        let b = lazy.infra.dataplane.proxy(n).map(|p| p.clone());
        prop_assert!(a == b, "rules of {n} differ");
    }
    prop_assert_eq!(watched.trace_hash(), lazy.trace_hash());
    Ok(())
}

#[derive(Debug, Clone)]
enum Op {
    AddWeb(u8),
    Delete(u8),
    FailNode(u8),
    RecoverNode(u8),
    Wait(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4).prop_map(Op::AddWeb),
        (0u8..10).prop_map(Op::Delete),
        (0u8..4).prop_map(Op::FailNode),
        (0u8..4).prop_map(Op::RecoverNode),
        (1u16..5000).prop_map(Op::Wait),
    ]
}

fn apply(sim: &mut Sim, op: &Op, names: &mut Vec<String>, n: &mut usize, watched: bool) {
    match op {
        Op::AddWeb(node) => {
            let name = format!("web-{n}");
            *n += 1;
            sim.api
                .create(pod_on(&name, "web", &format!("node-{}", node + 1)))
                .unwrap();
            names.push(name);
            sim.settle();
        }
        Op::Delete(i) => {
            if let Some(name) = names.get(usize::from(*i)).cloned() {
                if sim
                    .api
                    .get::<kubeplay_core::api::Pod>("default", &name)
                    .is_some()
                {
                    delete_pod(sim, &name, Some(0));
                }
            }
        }
        Op::FailNode(i) => sim.fail_node(&format!("node-{}", i + 1)).unwrap(),
        Op::RecoverNode(i) => sim.recover_node(&format!("node-{}", i + 1)).unwrap(),
        Op::Wait(ms) if watched => advance_watching(sim, u64::from(*ms)),
        Op::Wait(ms) => sim.advance(u64::from(*ms)),
    }
    if watched {
        look_at_every_node(sim);
    }
}

/// Two identical clusters with traffic from a client pod on node-3 (whose rules route
/// it: that node holds IPVS connection state in IPVS mode) and a NodePort Service.
/// `watched`: every node's rules are read after every step from the start.
fn cluster(mode: ProxyMode, watched: bool) -> Sim {
    let mut sim = sim(4, mode, 11);
    sim.api.create(service("web", "web", "NodePort")).unwrap();
    sim.api.create(pod_on("web-0", "web", "node-1")).unwrap();
    sim.api
        .create(pod_on("client", "client", "node-3"))
        .unwrap();
    if watched {
        advance_watching(&mut sim, 10_000);
    } else {
        sim.advance(10_000);
    }
    sim.traffic_start(TrafficSpec {
        source: TrafficSource::Pod(ObjectKey::new("default", "client")),
        host: "web".into(),
        port: 80,
        rate: 20,
        keep_alive: false,
        clients: 2,
    })
    .unwrap();
    sim
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn rules_are_the_same_whenever_they_are_read(
        ops in proptest::collection::vec(op(), 1..20),
        mode in 0u8..3,
    ) {
        let mode = [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables][usize::from(mode)];
        let mut watched = cluster(mode, true);
        let mut lazy = cluster(mode, false);
        let (mut wn, mut ln) = (vec!["web-0".to_string()], vec!["web-0".to_string()]);
        let (mut wi, mut li) = (1, 1);
        for op in &ops {
            apply(&mut watched, op, &mut wn, &mut wi, true);
            apply(&mut lazy, op, &mut ln, &mut li, false);
        }
        assert_same_nodes(&watched, &lazy)?;
        // What both routed, they routed alike.
        let routed = |s: &Sim| s.infra.dataplane.log().map(|r| (r.at, r.outcome.clone())).collect::<Vec<_>>();
        prop_assert_eq!(routed(&watched), routed(&lazy));
    }
}

/// More sync rounds than the record keeps, in both clusters alike: each round `before(sim,
/// round)`, then one new web pod on one of the first `nodes` nodes (the oldest one going once
/// there are six) and 1.5 s: one sync round each, on every node that is up.
fn sync_rounds(watched: &mut Sim, lazy: &mut Sim, nodes: usize, before: impl Fn(&mut Sim, usize)) {
    let (mut wn, mut ln) = (vec!["web-0".to_string()], vec!["web-0".to_string()]);
    let (mut wi, mut li) = (1, 1);
    for round in 0..MAX_ROUNDS + 40 {
        let node = (round % nodes) as u8;
        for (sim, names, i, w) in [
            (&mut *watched, &mut wn, &mut wi, true),
            (&mut *lazy, &mut ln, &mut li, false),
        ] {
            before(sim, round);
            apply(sim, &Op::AddWeb(node), names, i, w);
            if names.len() > 6 {
                let victim = names.remove(1);
                delete_pod(sim, &victim, Some(0));
            }
            apply(sim, &Op::Wait(1_500), names, i, w);
        }
    }
}

/// A node that is down keeps its last sync through more rounds than the record keeps for
/// the others, and shows every Service it missed as pending; once back, it syncs to the
/// same rules as a node that was watched all along.
#[test]
fn a_node_down_through_many_sync_rounds_catches_up() {
    let mut watched = cluster(ProxyMode::Iptables, true);
    let mut lazy = cluster(ProxyMode::Iptables, false);
    for sim in [&mut watched, &mut lazy] {
        sim.fail_node("node-4").unwrap();
    }
    sync_rounds(&mut watched, &mut lazy, 3, |_, _| {});
    assert_same_nodes(&watched, &lazy).unwrap();
    assert!(
        matches!(
            lazy.infra.dataplane.sync_status("node-4"),
            kubeplay_core::dataplane::SyncStatus::Stale { pending: 1, .. }
        ),
        "node-4 missed the changes of Service web: {:?}",
        lazy.infra.dataplane.sync_status("node-4")
    );
    for sim in [&mut watched, &mut lazy] {
        sim.recover_node("node-4").unwrap();
        sim.advance(2_000);
    }
    assert_same_nodes(&watched, &lazy).unwrap();
    let web = |s: &Sim| {
        s.infra.dataplane.proxy("node-4").and_then(|p| {
            p.services()
                .get("default/web")
                .map(|v| v[0].endpoints.len())
        })
    };
    assert_eq!(web(&lazy), Some(6), "node-4 programs the six web pods now");
}

/// Nodes nobody looks at through more sync rounds than the record keeps: the rounds every
/// node synced are folded into one (each Service at its last version), and a node read at
/// the end shows what one watched all along shows — including Services that changed only in
/// the folded rounds, and one deleted there.
#[test]
fn nodes_nobody_looks_at_through_many_sync_rounds_show_the_rules_of_watched_ones() {
    let mut watched = cluster(ProxyMode::Iptables, true);
    let mut lazy = cluster(ProxyMode::Iptables, false);
    for (sim, w) in [(&mut watched, true), (&mut lazy, false)] {
        sim.api.create(service("api", "api", "ClusterIP")).unwrap();
        sim.api.create(service("old", "old", "ClusterIP")).unwrap();
        sim.api.create(pod_on("api-0", "api", "node-2")).unwrap();
        sim.api.create(pod_on("old-0", "old", "node-4")).unwrap();
        apply(sim, &Op::Wait(3_000), &mut Vec::new(), &mut 0, w);
    }
    sync_rounds(&mut watched, &mut lazy, 4, |sim, round| {
        if round == 100 {
            sim.api
                .delete::<kubeplay_core::api::Service>(
                    "default",
                    "old",
                    kubeplay_core::apiserver::DeleteOptions::default(),
                )
                .unwrap();
        }
    });
    assert_same_nodes(&watched, &lazy).unwrap();
    let services = |s: &Sim, node: &str| {
        s.infra
            .dataplane
            .proxy(node)
            .map(|p| p.services().keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let on_node_4 = services(&lazy, "node-4");
    assert!(
        on_node_4.iter().any(|k| k == "default/api"),
        "{on_node_4:?}"
    );
    assert!(
        !on_node_4.iter().any(|k| k == "default/old"),
        "{on_node_4:?}"
    );
}

/// IPVS forgets the connection state of a virtual server a sync removes: a node holding
/// such state applies each sync as it happens, so a Service deleted and re-created with
/// the same ClusterIP between two looks starts from a clean state, as on a real node.
#[test]
fn ipvs_state_of_a_removed_virtual_server_is_gone_even_if_nobody_looked() {
    let mut watched = cluster(ProxyMode::Ipvs, true);
    let mut lazy = cluster(ProxyMode::Ipvs, false);
    for (sim, w) in [(&mut watched, true), (&mut lazy, false)] {
        let wait = |sim: &mut Sim, ms| {
            if w {
                advance_watching(sim, ms)
            } else {
                sim.advance(ms)
            }
        };
        wait(sim, 3_000);
        sim.traffic_stop(None).unwrap();
        let ip = cluster_ip(sim, "web");
        sim.api
            .delete::<kubeplay_core::api::Service>("default", "web", Default::default())
            .unwrap();
        wait(sim, 1_500);
        let mut again = service("web", "web", "ClusterIP");
        again.spec.cluster_ip = Some(ip);
        sim.api.create(again).unwrap();
        wait(sim, 1_500);
    }
    assert_same_nodes(&watched, &lazy).unwrap();
}
