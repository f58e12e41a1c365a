//! The view stamp lets the page skip rebuilding the diagram's view while nothing changed:
//! equal stamps must mean an equal view (apart from the clock and grace countdowns), and
//! anything a learner does must change the stamp.

use kubeplay_core::view::ClusterView;
use kubeplay_core::{Sim, SimConfig};

fn without_time(v: &ClusterView) -> ClusterView {
    let mut v = v.clone();
    v.time_ms = 0;
    v
}

/// Whether some field follows the clock alone (a terminating pod's grace countdown), so the
/// view may change while its stamp stays the same.
fn counts_down(v: &ClusterView) -> bool {
    v.nodes
        .iter()
        .flat_map(|n| &n.pods)
        .chain(&v.unscheduled)
        .any(|p| p.grace_remaining_ms.is_some_and(|ms| ms > 0))
}

fn cluster() -> Sim {
    let mut sim = Sim::new(SimConfig {
        nodes: 3,
        seed: 7,
        ..Default::default()
    });
    for line in [
        "kubectl create deployment web --image=nginx:1.25 --replicas=4",
        "kubectl expose deployment web --port=80",
    ] {
        assert!(sim.exec(line).ok, "{line}");
    }
    sim
}

/// Runs the cluster in animation-frame steps through `actions`, checking at every frame
/// that an unchanged stamp means an unchanged view; returns how many frames had an
/// unchanged stamp (so the test also shows the stamp does save work).
fn check_frames(sim: &mut Sim, actions: &[(u64, &str)]) -> usize {
    let mut unchanged = 0;
    let mut stamp = sim.view_stamp();
    let mut view = sim.view(Some("default"));
    let mut actions = actions.iter().peekable();
    for frame in 0..3_000u64 {
        let at = frame * 16;
        while let Some((_, line)) = actions.next_if(|(t, _)| *t <= at) {
            sim.exec(line);
        }
        sim.advance(16);
        let next_stamp = sim.view_stamp();
        let next_view = sim.view(Some("default"));
        if next_stamp == stamp && !counts_down(&view) && !counts_down(&next_view) {
            unchanged += 1;
            assert_eq!(
                without_time(&view),
                without_time(&next_view),
                "frame {frame}: same stamp, different view"
            );
        }
        stamp = next_stamp;
        view = next_view;
    }
    unchanged
}

#[test]
fn an_unchanged_stamp_means_an_unchanged_view_through_scaling_rollouts_kills_and_node_failures() {
    let mut sim = cluster();
    let unchanged = check_frames(
        &mut sim,
        &[
            (2_000, "kubectl scale deployment web --replicas=7"),
            (6_000, "kubectl set image deployment/web nginx=nginx:1.26"),
            (14_000, "kubectl label pods --all tier=x --overwrite"),
            (20_000, "node fail node-2"),
            (30_000, "node recover node-2"),
            (36_000, "kubectl scale deployment web --replicas=2"),
        ],
    );
    // Most frames of a 48 s run see no write at all.
    assert!(unchanged > 1_500, "only {unchanged} frames were skippable");
}

#[test]
fn every_kind_of_change_a_learner_makes_changes_the_stamp() {
    let mut sim = cluster();
    sim.advance(20_000);
    for line in [
        "kubectl scale deployment web --replicas=5",
        "kubectl label pods -l app=web color=blue",
        "node fail node-1",
        "node recover node-1",
        "kubectl cordon node-3",
    ] {
        let before = sim.view_stamp();
        assert!(sim.exec(line).ok, "{line}");
        assert_ne!(sim.view_stamp(), before, "{line} left the stamp unchanged");
    }
}

#[test]
fn a_terminating_pod_shows_its_grace_countdown() {
    let mut sim = cluster();
    sim.advance(20_000);
    assert!(!counts_down(&sim.view(Some("default"))));
    assert!(sim.exec("kubectl scale deployment web --replicas=3").ok);
    sim.advance(10);
    assert!(counts_down(&sim.view(Some("default"))));
}
