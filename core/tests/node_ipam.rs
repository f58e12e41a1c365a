//! Node IPAM at the edges of the cluster CIDR, as `kubectl` would show it: every node's
//! podCIDR is a /24 of the configured cluster CIDR; past the end of the range a node gets no
//! podCIDR, a `CIDRNotAvailable` event, and its pods no IP; kube-proxy's masquerade rules use
//! the configured CIDR.

use kubeplay_core::api::*;
use kubeplay_core::proxy::Ipv4Cidr;
use kubeplay_core::{Sim, SimConfig};

fn sim(nodes: usize, cidr: &str) -> Sim {
    Sim::new(SimConfig {
        nodes,
        cluster_cidr: cidr.parse::<Ipv4Cidr>().expect("cidr"),
        ..Default::default()
    })
}

fn pod_cidr(sim: &Sim, node: &str) -> Option<String> {
    sim.api
        .get::<Node>("", node)
        .and_then(|n| n.spec.pod_cidr.clone())
}

#[test]
fn pod_cidrs_are_consecutive_slash24s_of_the_cluster_cidr() {
    // (cluster CIDR, node, expected podCIDR): the first /24 is the control plane's.
    let cases = [
        ("10.244.0.0/16", "node-1", "10.244.1.0/24"),
        ("10.244.0.0/16", "node-3", "10.244.3.0/24"),
        ("10.128.0.0/9", "node-1", "10.128.1.0/24"),
        ("10.128.0.0/9", "node-300", "10.129.44.0/24"),
    ];
    let mut by_cidr: std::collections::BTreeMap<&str, Sim> = Default::default();
    for (cidr, node, want) in cases {
        let s = by_cidr.entry(cidr).or_insert_with(|| sim(300, cidr));
        assert_eq!(pod_cidr(s, node).as_deref(), Some(want), "{cidr} {node}");
    }
}

#[test]
fn an_exhausted_range_leaves_the_node_without_pod_cidr_and_its_pods_without_ip() {
    // A /23 holds two /24s: the control plane's and node-1's.
    let mut s = sim(2, "10.244.0.0/23");
    assert_eq!(pod_cidr(&s, "node-1").as_deref(), Some("10.244.1.0/24"));
    assert_eq!(pod_cidr(&s, "node-2"), None);
    let out = s.exec("kubectl get events -o wide");
    assert!(
        out.stdout
            .contains("Node node-2 status is now: CIDRNotAvailable"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("cidrAllocator"), "{}", out.stdout);
    // Pods still land on node-2; there they never get an address.
    assert!(s.exec("kubectl cordon node-1").ok);
    assert!(
        s.exec("kubectl create deployment web --image=nginx --replicas=2")
            .ok
    );
    s.advance(30_000);
    let pods: Vec<_> = s.api.pods.on_node("node-2");
    assert_eq!(pods.len(), 2);
    assert!(pods.iter().all(|p| p.status.pod_ip.is_none()));
    let events = s.exec("kubectl get events").stdout;
    assert!(events.contains("FailedCreatePodSandBox"), "{events}");
    // Deleting node-1 frees its block; node-2 gets it.
    assert!(s.exec("kubectl uncordon node-1").ok);
    assert!(s.exec("kubectl delete node node-1").ok);
    s.settle();
    assert_eq!(pod_cidr(&s, "node-2").as_deref(), Some("10.244.1.0/24"));
    // The kubelet retries sandbox creation and the pods get IPs from the new block.
    s.advance(30_000);
    let ips: Vec<_> = s
        .api
        .pods
        .on_node("node-2")
        .iter()
        .filter_map(|p| p.status.pod_ip.clone())
        .collect();
    assert_eq!(ips.len(), 2);
    assert!(ips.iter().all(|ip| ip.starts_with("10.244.1.")), "{ips:?}");
}

#[test]
fn masquerade_rules_match_the_configured_cluster_cidr() {
    let mut s = sim(1, "10.128.0.0/9");
    assert!(s.exec("kubectl create deployment web --image=nginx").ok);
    assert!(s.exec("kubectl expose deployment web --port=80").ok);
    s.advance(10_000);
    let rules = s.exec("iptables-save --node node-1").stdout;
    assert!(rules.contains("10.128.0.0/9"), "{rules}");
    assert!(!rules.contains("10.244.0.0/16"), "{rules}");
}

#[test]
fn pod_ips_of_a_configured_cluster_cidr_are_not_routable_from_outside() {
    let mut s = sim(2, "10.128.0.0/9");
    assert!(s.exec("kubectl create deployment web --image=nginx").ok);
    s.advance(20_000);
    let pod_ip = s
        .api
        .pods
        .iter()
        .find_map(|p| p.status.pod_ip.clone())
        .expect("a pod IP");
    assert!(pod_ip.starts_with("10.128."), "{pod_ip}");
    let out = s.exec(&format!("curl http://{pod_ip}/"));
    assert!(!out.ok, "{out:?}");
    let cause = &s
        .infra
        .dataplane
        .last()
        .expect("the request is logged")
        .cause;
    assert!(cause.contains("cluster-internal address"), "{cause}");
}
