//! What changed between two snapshots, in words, for the page's polite live region
//! ("web-7d9c… terminated; Service web now has 4 ready endpoints").

use kubeplay_core::sort::CollectOrdered;
use kubeplay_core::view::{ClusterView, PodView};
use std::collections::BTreeMap;

/// Sentences describing how `new` differs from `old`, most important first (pods gone, then
/// Services, nodes, and pods changing state); empty when nothing a listener cares about
/// changed (time passing alone says nothing).
pub fn changes(old: &ClusterView, new: &ClusterView) -> Vec<String> {
    let mut gone = Vec::new();
    let mut services = Vec::new();
    let mut nodes = Vec::new();
    let mut out = Vec::new();
    let old_pods = pods_by_uid(old);
    let new_pods = pods_by_uid(new);
    for (uid, pod) in &old_pods {
        if !new_pods.contains_key(uid) {
            gone.push(format!("{} terminated", pod.name));
        }
    }
    for (uid, pod) in &new_pods {
        match old_pods.get(uid) {
            None => out.push(match pod.node.as_str() {
                "" => format!("{} created, waiting to be scheduled", pod.name),
                node => format!("{} created on {node}", pod.name),
            }),
            Some(before) => {
                if pod.terminating && !before.terminating {
                    out.push(format!("{} is terminating", pod.name));
                } else if pod.ready && !before.ready {
                    out.push(format!(
                        "{} is ready at {}",
                        pod.name,
                        pod.ip.as_deref().unwrap_or("no IP")
                    ));
                } else if !pod.ready && before.ready && !pod.terminating {
                    out.push(format!("{} is no longer ready", pod.name));
                } else if before.node.is_empty() && !pod.node.is_empty() {
                    out.push(format!("{} scheduled to {}", pod.name, pod.node));
                }
            }
        }
    }
    for node in &new.nodes {
        match old.nodes.iter().find(|n| n.name == node.name) {
            None => nodes.push(format!("node {} joined", node.name)),
            Some(before) => {
                if before.ready != node.ready {
                    nodes.push(format!(
                        "node {} is {}",
                        node.name,
                        if node.ready { "Ready" } else { "NotReady" }
                    ));
                }
                if before.unschedulable != node.unschedulable {
                    nodes.push(format!(
                        "node {} {}",
                        node.name,
                        if node.unschedulable {
                            "cordoned"
                        } else {
                            "uncordoned"
                        }
                    ));
                }
            }
        }
    }
    for svc in &new.services {
        let ready = svc.endpoints.iter().filter(|e| e.ready).count();
        let before = old
            .services
            .iter()
            .find(|s| s.name == svc.name && s.namespace == svc.namespace);
        match before {
            None => services.push(format!(
                "Service {} created with {}",
                svc.name,
                endpoints(ready)
            )),
            Some(b) => {
                if b.endpoints.iter().filter(|e| e.ready).count() != ready {
                    services.push(format!("Service {} now has {}", svc.name, endpoints(ready)));
                }
                if b.type_ != svc.type_ {
                    services.push(format!("Service {} is now {}", svc.name, svc.type_));
                }
            }
        }
    }
    gone.extend(services);
    gone.extend(nodes);
    gone.extend(out);
    gone
}

fn endpoints(n: usize) -> String {
    match n {
        1 => "1 ready endpoint".to_string(),
        n => format!("{n} ready endpoints"),
    }
}

fn pods_by_uid(v: &ClusterView) -> BTreeMap<&str, &PodView> {
    v.nodes
        .iter()
        .flat_map(|n| &n.pods)
        .chain(&v.unscheduled)
        .map(|p| (p.uid.as_str(), p))
        .collect_map()
}

/// Joins sentences for the live region; long bursts are summarised so a screen reader is not
/// flooded.
pub fn sentence(changes: &[String]) -> String {
    const MAX: usize = 4;
    if changes.len() <= MAX {
        changes.join("; ")
    } else {
        format!(
            "{}; and {} more changes",
            changes[..MAX].join("; "),
            changes.len() - MAX
        )
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use kubeplay_core::sim::{Sim, SimConfig};

    fn cluster() -> Sim {
        let mut sim = Sim::new(SimConfig::default());
        assert!(
            sim.exec("kubectl create deployment web --image=nginx --replicas=2")
                .ok
        );
        assert!(sim.exec("kubectl expose deployment web --port=80").ok);
        sim.advance(10_000);
        sim
    }

    fn pod_names(v: &ClusterView) -> Vec<String> {
        v.nodes
            .iter()
            .flat_map(|n| &n.pods)
            .map(|p| p.name.clone())
            .collect()
    }

    #[test]
    fn time_passing_alone_says_nothing() {
        let mut sim = cluster();
        let a = sim.view(Some("default"));
        sim.advance(1_000);
        assert_eq!(
            changes(&a, &sim.view(Some("default"))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_deleted_pod_terminates_and_the_service_loses_its_endpoint() {
        let mut sim = cluster();
        let a = sim.view(Some("default"));
        let victim = pod_names(&a)[0].clone();
        assert!(
            sim.exec(&format!("kubectl delete pod {victim} --wait=false"))
                .ok
        );
        let b = sim.view(Some("default"));
        let said = changes(&a, &b);
        assert!(
            said.contains(&format!("{victim} is terminating")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|s| s.ends_with(" created on node-1")
                || s.ends_with(" created on node-2")
                || s.ends_with(" created on node-3")),
            "{said:?}"
        );
        sim.advance(60_000);
        let c = sim.view(Some("default"));
        let said = changes(&b, &c);
        assert!(said.contains(&format!("{victim} terminated")), "{said:?}");
        // Two ready endpoints before, one while the replacement starts, two again after;
        // between b and c the count went back up to 2.
        assert!(
            said.contains(&"Service web now has 2 ready endpoints".to_string()),
            "{said:?}"
        );
    }

    #[test]
    fn node_state_changes_are_named() {
        let mut sim = cluster();
        let a = sim.view(Some("default"));
        assert!(sim.exec("kubectl cordon node-1").ok);
        let said = changes(&a, &sim.view(Some("default")));
        assert_eq!(said, vec!["node node-1 cordoned".to_string()]);
    }

    #[test]
    fn long_bursts_are_summarised() {
        let many: Vec<String> = (0..7).map(|i| format!("c{i}")).collect();
        assert_eq!(sentence(&many), "c0; c1; c2; c3; and 3 more changes");
        assert_eq!(sentence(&many[..2]), "c0; c1");
    }
}
