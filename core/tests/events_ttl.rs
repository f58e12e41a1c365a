//! Specification: an Event lives for the API server's `--event-ttl` (1 h) after its last
//! update, as etcd's lease expires it; an Event that keeps being aggregated (count, last
//! seen) keeps living.

use kubeplay_core::{Sim, SimConfig};

fn events(sim: &mut Sim) -> String {
    let out = sim.exec("kubectl get events");
    assert!(out.ok, "{out:?}");
    out.stdout
}

#[test]
fn an_event_is_gone_an_hour_after_its_last_update() {
    let mut sim = Sim::new(SimConfig::default());
    assert!(
        sim.exec("kubectl create deployment web --image=nginx --replicas=1")
            .ok
    );
    assert!(sim.exec("wait 30s").ok);
    assert!(events(&mut sim).contains("ScalingReplicaSet"));
    assert!(sim.exec("wait 59m").ok);
    assert!(
        events(&mut sim).contains("ScalingReplicaSet"),
        "59 min 30 s after it was recorded the Event is still listed"
    );
    assert!(sim.exec("wait 1m").ok);
    let left = events(&mut sim);
    assert!(
        !left.contains("ScalingReplicaSet") && !left.contains("Scheduled"),
        "an hour after, the Events are gone:\n{left}"
    );
}

#[test]
fn an_event_updated_again_lives_an_hour_from_its_last_update() {
    let mut sim = Sim::new(SimConfig::default());
    // Crashes every few seconds: its BackOff Event is aggregated again and again.
    assert!(sim.exec("kubectl run crash --image=busybox:crash").ok);
    assert!(sim.exec("wait 10m").ok);
    assert!(sim.exec("kubectl run ok --image=nginx").ok);
    assert!(sim.exec("wait 30s").ok);
    assert!(events(&mut sim).contains("pod/ok"));
    assert!(sim.exec("wait 65m").ok);
    let listed = events(&mut sim);
    assert!(
        listed.contains("BackOff"),
        "still crashing, still listed:\n{listed}"
    );
    assert!(
        !listed.contains("pod/ok"),
        "65 min on, only Events updated within the hour remain:\n{listed}"
    );
    assert!(!listed.contains("Scheduled"), "{listed}");
}
