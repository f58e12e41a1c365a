//! The simulated machines beneath the API: which nodes are powered and reachable, and the
//! container sandboxes running on them (what a pod IP actually answers). The kubelet drives it
//! as a container runtime would; the data plane reads it to know whether a packet sent to a pod
//! IP finds a listening process. Nothing here is visible through the API server.

use crate::api::SharedStr;
use crate::apiserver::ObjectKey;
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;
use std::fmt;
use std::net::Ipv4Addr;
use std::rc::Rc;

/// A pod sandbox: a network namespace with an IP and the app inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    /// The pod.
    pub pod: ObjectKey,
    /// The pod's UID (a re-created pod with the same name is another sandbox).
    pub uid: SharedStr,
    /// The node it runs on (one string shared by the node's sandboxes).
    pub node: Rc<str>,
    /// Whether the app accepts connections (started and warmed up, not yet exited).
    pub listening: bool,
    /// Container ports the app listens on (empty = every port, like a demo echo server).
    pub ports: BTreeSet<i32>,
}

/// The physical state of the cluster.
#[derive(Clone, Debug)]
pub struct Infra {
    /// The pod network every node's CNI routes (the cluster CIDR; see
    /// [`crate::SimConfig::cluster_cidr`]), which kube-proxy reads as `--cluster-cidr`.
    pub cluster_cidr: crate::proxy::Ipv4Cidr,
    down: BTreeSet<String>,
    sandboxes: Sandboxes,
    /// Each node's kernel networking state: the rules kube-proxy programmed, conntrack,
    /// plus the traffic that runs over them (written by kube-proxy, read when routing).
    pub dataplane: crate::dataplane::DataPlane,
}

impl Default for Infra {
    fn default() -> Self {
        Infra {
            cluster_cidr: crate::sim::DEFAULT_CLUSTER_CIDR,
            down: BTreeSet::new(),
            sandboxes: Sandboxes::default(),
            dataplane: Default::default(),
        }
    }
}

impl Infra {
    /// Machines whose nodes run kube-proxy with the data plane's mode.
    pub fn with_dataplane(dataplane: crate::dataplane::DataPlane) -> Self {
        Infra {
            dataplane,
            ..Default::default()
        }
    }

    /// The same machines with `cidr` as their pod network.
    pub fn on_pod_network(self, cidr: crate::proxy::Ipv4Cidr) -> Self {
        Infra {
            cluster_cidr: cidr,
            ..self
        }
    }

    /// Whether the machine behind `node` is up (a failed node neither runs pods nor forwards).
    pub fn node_up(&self, node: &str) -> bool {
        !self.down.contains(node)
    }

    /// Powers a node off (`node fail`) or on (`node recover`).
    pub fn set_node_up(&mut self, node: &str, up: bool) {
        if up {
            self.down.remove(node);
        } else {
            self.down.insert(node.to_string());
        }
    }

    /// The nodes that are down.
    pub fn nodes_down(&self) -> impl Iterator<Item = &String> {
        self.down.iter()
    }

    /// The sandbox holding `ip` (dotted quad), if any.
    pub fn sandbox(&self, ip: &str) -> Option<&Sandbox> {
        self.sandbox_at(ip.parse().ok()?)
    }

    /// The sandbox holding `ip`, if any.
    pub fn sandbox_at(&self, ip: Ipv4Addr) -> Option<&Sandbox> {
        self.sandboxes.0.get(&ip)
    }

    /// All sandboxes, ordered by IP.
    pub fn sandboxes(&self) -> Vec<(Ipv4Addr, &Sandbox)> {
        self.sandboxes.sorted()
    }

    /// Creates or replaces the sandbox at `ip` (kubelet → runtime).
    pub fn put_sandbox(&mut self, ip: Ipv4Addr, sandbox: Sandbox) {
        self.sandboxes.0.insert(ip, sandbox);
    }

    /// Sets whether the app at `ip` accepts connections.
    pub fn set_listening(&mut self, ip: Ipv4Addr, listening: bool) {
        if let Some(s) = self.sandboxes.0.get_mut(&ip) {
            s.listening = listening;
        }
    }

    /// Tears a sandbox down; its IP no longer answers.
    pub fn remove_sandbox(&mut self, ip: Ipv4Addr) -> Option<Sandbox> {
        self.sandboxes.0.remove(&ip)
    }

    /// Whether a connection to `ip:port` would be accepted right now: the sandbox exists, its
    /// node is up and the app listens on that port.
    pub fn accepts(&self, ip: &str, port: i32) -> bool {
        self.sandbox(ip).is_some_and(|s| {
            s.listening && self.node_up(&s.node) && (s.ports.is_empty() || s.ports.contains(&port))
        })
    }
}

/// The sandboxes by IP. Every pod has one and the kubelet and the data plane look them up by
/// address all the time, so they are hashed by the address itself (no string per sandbox, no
/// string comparisons down a tree). Nothing depends on the map's order: listings sort.
#[derive(Clone, Default)]
struct Sandboxes(HashMap<Ipv4Addr, Sandbox>);

impl Sandboxes {
    fn sorted(&self) -> Vec<(Ipv4Addr, &Sandbox)> {
        let mut all: Vec<_> = self.0.iter().map(|(ip, s)| (*ip, s)).collect();
        all.sort_unstable_by_key(|(ip, _)| *ip);
        all
    }
}

/// Prints in IP order, so a printed `Infra` is the same on every run.
impl fmt::Debug for Sandboxes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(name: &str) -> Sandbox {
        Sandbox {
            pod: ObjectKey::new("default", name),
            uid: format!("uid-{name}").into(),
            node: "node-1".into(),
            listening: false,
            ports: BTreeSet::from([8080]),
        }
    }

    #[test]
    fn sandboxes_answer_by_address_and_list_in_address_order() {
        let mut infra = Infra::default();
        for (ip, name) in [
            ("10.244.1.10", "b"),
            ("10.244.1.9", "a"),
            ("10.244.0.200", "c"),
        ] {
            infra.put_sandbox(ip.parse().unwrap(), sandbox(name));
        }
        assert_eq!(
            infra.sandbox("10.244.1.9").map(|s| s.pod.name.as_str()),
            Some("a")
        );
        // Only the dotted quad names an address: anything else finds nothing.
        for bad in ["", "10.244.1.09", "10.244.1.9 ", "pod-a"] {
            assert!(infra.sandbox(bad).is_none(), "{bad:?}");
        }
        let order: Vec<String> = infra
            .sandboxes()
            .iter()
            .map(|(ip, _)| ip.to_string())
            .collect();
        assert_eq!(order, ["10.244.0.200", "10.244.1.9", "10.244.1.10"]);
        let ip: Ipv4Addr = "10.244.1.9".parse().unwrap();
        assert!(!infra.accepts("10.244.1.9", 8080), "not listening yet");
        infra.set_listening(ip, true);
        assert!(infra.accepts("10.244.1.9", 8080));
        assert!(!infra.accepts("10.244.1.9", 80), "not a port it listens on");
        infra.set_node_up("node-1", false);
        assert!(!infra.accepts("10.244.1.9", 8080), "its node is down");
        assert_eq!(
            infra.remove_sandbox(ip).map(|s| s.uid),
            Some("uid-a".into())
        );
        assert!(infra.sandbox_at(ip).is_none());
    }
}
