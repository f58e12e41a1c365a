//! A fixed reference scenario whose trace hash is a golden value: the native test suite and the
//! browser (wasm) test suite both check it, which proves that the same seed and the same
//! commands give the same history on both targets.

use crate::{Sim, SimConfig};

/// The console lines of the reference scenario: Deployments and Services, scaling, a rollout,
/// a pod kill, a node failure with eviction and recovery, and traffic.
pub const REFERENCE_SCENARIO: &[&str] = &[
    "create deployment web --image=nginx:1.26 --replicas=3",
    "expose deployment web --port=80 --target-port=80 --type=NodePort",
    "wait 10s",
    "scale deployment web --replicas=5",
    "set image deployment/web nginx=nginx:1.27",
    "rollout status deployment/web",
    "label pod -l app=web tier=frontend",
    "delete pod -l app=web --wait=false",
    "wait 5s",
    "node fail node-2",
    "wait 6m",
    "node recover node-2",
    "create service loadbalancer edge --tcp=80:80",
    "wait 30s",
];

/// The trace hash after running [`REFERENCE_SCENARIO`] on a 3-node cluster with seed 42,
/// and the lines that failed (none, unless the console changed).
pub fn reference_trace_hash() -> (String, Vec<String>) {
    let mut sim = Sim::new(SimConfig {
        nodes: 3,
        seed: 42,
        ..Default::default()
    });
    let mut failed = Vec::new();
    for line in REFERENCE_SCENARIO {
        let out = sim.exec(line);
        if !out.ok {
            failed.push(format!("{line}: {}", out.stderr.trim_end()));
        }
    }
    (sim.trace_hash(), failed)
}

/// The value [`reference_trace_hash`] must return on every target. When a deliberate change of
/// behaviour changes it, update it here (the native test prints the new value).
pub const REFERENCE_TRACE_HASH: &str = "7a63ee86f00f4714c84e48f4edee685b";
