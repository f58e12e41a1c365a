//! §1.2 bounds as a property: whatever rollouts, scalings and pod kills happen, at every 100 ms
//! the Deployment has at most `D + maxSurge` non-terminating pods, and once `D − maxUnavailable`
//! pods are Ready (after the last change and with no kill since) it never drops below that.

mod workloads_support;

use kubeplay_core::api::*;
use kubeplay_core::apiserver::DeleteOptions;
use kubeplay_core::controllers::deployment::util::{DeploymentParams, DeploymentStrategy};
use kubeplay_core::Sim;
use proptest::prelude::*;
use workloads_support::*;

#[derive(Clone, Debug)]
enum Op {
    /// Roll out one of a few images (a repeated image is a rollback).
    Rollout(usize),
    /// Set `spec.replicas`.
    Scale(i32),
    /// Delete the n-th (mod count) live pod gracefully.
    Kill(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3).prop_map(Op::Rollout),
        (1i32..=7).prop_map(Op::Scale),
        (0usize..16).prop_map(Op::Kill),
    ]
}

fn fencepost() -> impl Strategy<Value = IntOrString> {
    prop_oneof![
        (0i32..=2).prop_map(IntOrString::Int),
        Just(IntOrString::from("25%")),
        Just(IntOrString::from("50%")),
    ]
}

const IMAGES: [&str; 3] = ["nginx:1", "nginx:2", "nginx:3"];

fn bounds(d: i32, surge: &IntOrString, unavailable: &IntOrString) -> (usize, usize) {
    let p = DeploymentParams {
        replicas: d,
        strategy: DeploymentStrategy::RollingUpdate {
            max_surge: Some(surge.clone()),
            max_unavailable: Some(unavailable.clone()),
        },
        ..DeploymentParams::default()
    };
    (
        (d + p.max_surge()) as usize,
        p.min_available().max(0) as usize,
    )
}

/// (non-terminating pods, Ready ones) of the Deployment `web`.
fn counts(sim: &Sim) -> (usize, usize) {
    let pods: Vec<_> = replica_sets_of(sim, "web")
        .iter()
        .flat_map(|rs| live(&pods_controlled_by(sim, &rs.metadata.uid)))
        .collect();
    (pods.len(), pods.iter().filter(|p| ready(p)).count())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn rollouts_respect_max_surge_and_max_unavailable(
        replicas in 1i32..=6,
        surge in fencepost(),
        unavailable in fencepost(),
        ops in prop::collection::vec((op(), 5usize..150), 1..6),
        seed in 0u64..1000,
    ) {
        // The API rejects maxSurge and maxUnavailable both literally 0.
        prop_assume!(!(surge == IntOrString::Int(0) && unavailable == IntOrString::Int(0)));
        let mut sim = Sim::new(kubeplay_core::SimConfig { nodes: 3, seed, ..Default::default() });
        let mut d = deployment("web", replicas, IMAGES[0]);
        d.spec.strategy = rolling(surge.clone(), unavailable.clone());
        sim.api.create(d).unwrap();
        sim.settle();
        let mut desired = replicas;
        for (op, steps) in ops {
            match op {
                Op::Rollout(i) => {
                    sim.api.modify::<Deployment>("default", "web", |d| {
                        d.spec.template.spec.containers[0].image = IMAGES[i].into();
                    }).unwrap();
                }
                Op::Scale(n) => {
                    desired = n;
                    sim.api.modify::<Deployment>("default", "web", |d| d.spec.replicas = Some(n)).unwrap();
                }
                Op::Kill(n) => {
                    let pods: Vec<_> = replica_sets_of(&sim, "web")
                        .iter()
                        .flat_map(|rs| live(&pods_controlled_by(&sim, &rs.metadata.uid)))
                        .collect();
                    if !pods.is_empty() {
                        let name = pods[n % pods.len()].metadata.name.clone();
                        sim.api.delete::<Pod>("default", &name, DeleteOptions::default()).unwrap();
                    }
                }
            }
            // Every change (a kill too) restarts the "once reached" clock.
            let mut reached = false;
            sim.settle();
            let (max_total, min_available) = bounds(desired, &surge, &unavailable);
            for _ in 0..steps {
                let (total, ready) = counts(&sim);
                prop_assert!(total <= max_total, "{} pods > {} at {} ms", total, max_total, sim.now());
                if ready >= min_available {
                    reached = true;
                }
                if reached {
                    prop_assert!(ready >= min_available, "{} ready < {} at {} ms", ready, min_available, sim.now());
                }
                sim.advance(100);
            }
        }
    }
}
