//! Property: under steady traffic, whatever happens to the pods and nodes (random scaling,
//! pod kills, node failures and recoveries), every request sent ends in exactly one
//! recorded outcome, and no request is ever served by a pod outside the Service's selector.

mod common;
use common::*;
use kubeplay_core::apiserver::ObjectKey;
use kubeplay_core::dataplane::{Outcome, TrafficSource, TrafficSpec};
use kubeplay_core::proxy::ProxyMode;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    AddWeb(u8),
    AddOther(u8),
    Delete(u8, bool),
    FailNode(u8),
    RecoverNode(u8),
    Wait(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..3).prop_map(Op::AddWeb),
        (0u8..3).prop_map(Op::AddOther),
        (0u8..12, any::<bool>()).prop_map(|(i, f)| Op::Delete(i, f)),
        (0u8..3).prop_map(Op::FailNode),
        (0u8..3).prop_map(Op::RecoverNode),
        (1u16..4000).prop_map(Op::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
    #[test]
    fn every_request_has_one_outcome_and_only_selected_pods_serve(
        ops in proptest::collection::vec(op(), 1..25),
        mode in 0u8..3,
        keep_alive in any::<bool>(),
        external in any::<bool>(),
    ) {
        let mode = [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables][usize::from(mode)];
        let mut sim = sim(3, mode, 5);
        sim.api.create(service("web", "web", "NodePort")).unwrap();
        sim.api.create(pod_on("web-0", "web", "node-1")).unwrap();
        sim.api.create(pod_on("client", "client", "node-3")).unwrap();
        sim.advance(10_000);
        let np = sim.api.get::<kubeplay_core::api::Service>("default", "web").unwrap().spec.ports[0].node_port.unwrap();
        let (source, host, port) = if external {
            (TrafficSource::External, "172.18.0.3".to_string(), np as u16)
        } else {
            (TrafficSource::Pod(ObjectKey::new("default", "client")), "web".to_string(), 80)
        };
        let id = sim.traffic_start(TrafficSpec { source, host, port, rate: 50, keep_alive, clients: 3 }).unwrap();
        let mut n = 1;
        let mut names: Vec<String> = vec!["web-0".into()];
        for op in ops {
            match op {
                Op::AddWeb(node) | Op::AddOther(node) => {
                    let app = if matches!(op, Op::AddWeb(_)) { "web" } else { "other" };
                    let name = format!("{app}-{n}");
                    n += 1;
                    sim.api.create(pod_on(&name, app, &format!("node-{}", node + 1))).unwrap();
                    names.push(name);
                    sim.settle();
                }
                Op::Delete(i, force) => {
                    if let Some(name) = names.get(usize::from(i)).cloned() {
                        if sim.api.get::<kubeplay_core::api::Pod>("default", &name).is_some() {
                            delete_pod(&mut sim, &name, force.then_some(0));
                        }
                    }
                }
                Op::FailNode(i) => sim.fail_node(&format!("node-{}", i + 1)).unwrap(),
                Op::RecoverNode(i) => sim.recover_node(&format!("node-{}", i + 1)).unwrap(),
                Op::Wait(ms) => sim.advance(u64::from(ms)),
            }
            for r in sim.infra.dataplane.log() {
                if let Outcome::Served { pod, .. } = &r.outcome {
                    prop_assert!(pod.name.starts_with("web-"), "served by {pod}: {r:?}");
                }
            }
        }
        sim.advance(2_000);
        sim.traffic_stop(None).unwrap();
        let g = sim.infra.dataplane.generators().find(|(i, _)| **i == id).map(|(_, g)| g.clone()).unwrap();
        let total = &sim.infra.dataplane.stats.total;
        prop_assert!(total.total() > 0, "traffic flowed");
        prop_assert_eq!(g.sent - g.skipped, total.total());
        prop_assert_eq!(total.by_kind.iter().sum::<u64>(), total.total());
        prop_assert!(total.by_pod.keys().all(|p| p.starts_with("default/web-")), "{:?}", total.by_pod);
    }
}
