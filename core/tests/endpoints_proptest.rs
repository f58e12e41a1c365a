//! Property: whatever happens to a Deployment's pods (scaling, rollouts, kills, relabelling,
//! node failures), every endpoint published for a Service is a pod that the Service's selector
//! picks, with the conditions §4.2 derives from that pod, at every instant.

use kubeplay_core::api::*;
use kubeplay_core::controllers::endpointslice::pod_ready;
use kubeplay_core::{Sim, SimConfig};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Scale(u8),
    Roll(u8),
    KillPod(u8),
    Relabel(u8),
    FailNode(u8),
    RecoverNode(u8),
    Wait(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..8).prop_map(Op::Scale),
        (0u8..4).prop_map(Op::Roll),
        any::<u8>().prop_map(Op::KillPod),
        any::<u8>().prop_map(Op::Relabel),
        (1u8..4).prop_map(Op::FailNode),
        (1u8..4).prop_map(Op::RecoverNode),
        (1u16..20_000).prop_map(Op::Wait),
    ]
}

fn pod_names(sim: &Sim) -> Vec<String> {
    sim.api
        .pods
        .in_namespace("default")
        .map(|p| p.metadata.name.to_string())
        .collect()
}

fn check(sim: &Sim) -> Result<(), TestCaseError> {
    let svc = sim
        .api
        .get::<Service>("default", "web")
        .expect("service exists");
    let selector = svc.spec.selector.clone().unwrap_or_default();
    for slice in sim.api.endpoint_slices.in_namespace("default") {
        if slice
            .metadata
            .labels
            .get("kubernetes.io/service-name")
            .map(String::as_str)
            != Some("web")
        {
            continue;
        }
        for e in slice.endpoints.iter().flatten() {
            let name = &e.target_ref.as_ref().expect("targetRef").name;
            let pod = sim.api.get::<Pod>("default", name);
            prop_assert!(
                pod.is_some(),
                "endpoint for a pod that no longer exists: {name}"
            );
            let pod = pod.unwrap();
            prop_assert!(
                selector
                    .iter()
                    .all(|(k, v)| pod.metadata.labels.get(k) == Some(v)),
                "endpoint {name} does not match the selector"
            );
            let terminating = pod.metadata.deletion_timestamp.is_some();
            prop_assert_eq!(e.conditions.serving, Some(pod_ready(&pod)));
            prop_assert_eq!(e.conditions.terminating, Some(terminating));
            prop_assert_eq!(e.conditions.ready, Some(pod_ready(&pod) && !terminating));
            prop_assert_eq!(e.addresses.first(), pod.status.pod_ip.as_ref());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn endpoints_always_match_the_selector_and_the_pods(ops in proptest::collection::vec(op(), 1..25)) {
        let mut sim = Sim::new(SimConfig { nodes: 3, seed: 5, trace_objects: false, ..Default::default() });
        for line in [
            "create deployment web --image=nginx --replicas=3",
            "expose deployment web --port=80",
        ] {
            prop_assert!(sim.exec(line).ok);
        }
        check(&sim)?;
        for op in ops {
            let line = match op {
                Op::Scale(n) => format!("scale deployment web --replicas={n}"),
                Op::Roll(t) => format!("set image deployment/web nginx=nginx:1.2{t}"),
                Op::KillPod(i) => {
                    let names = pod_names(&sim);
                    if names.is_empty() { continue; }
                    format!("delete pod {} --wait=false", names[i as usize % names.len()])
                }
                Op::Relabel(i) => {
                    let names = pod_names(&sim);
                    if names.is_empty() { continue; }
                    format!("label pod {} app=debug --overwrite", names[i as usize % names.len()])
                }
                Op::FailNode(n) => format!("node fail node-{n}"),
                Op::RecoverNode(n) => format!("node recover node-{n}"),
                Op::Wait(ms) => format!("wait {ms}ms"),
            };
            sim.exec(&line);
            check(&sim)?;
            // And at intermediate instants, not only after commands.
            for _ in 0..5 {
                sim.advance(700);
                check(&sim)?;
            }
        }
    }
}
