//! The simulated machines beneath the API: which nodes are powered and reachable, and the
//! container sandboxes running on them (what a pod IP actually answers). The kubelet drives it
//! as a container runtime would; the data plane reads it to know whether a packet sent to a pod
//! IP finds a listening process. Nothing here is visible through the API server.

use crate::apiserver::ObjectKey;
use std::collections::{BTreeMap, BTreeSet};

/// A pod sandbox: a network namespace with an IP and the app inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    /// The pod.
    pub pod: ObjectKey,
    /// The pod's UID (a re-created pod with the same name is another sandbox).
    pub uid: String,
    /// The node it runs on.
    pub node: String,
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
    sandboxes: BTreeMap<String, Sandbox>,
    /// Each node's kernel networking state: the rules kube-proxy programmed, conntrack,
    /// plus the traffic that runs over them (written by kube-proxy, read when routing).
    pub dataplane: crate::dataplane::DataPlane,
}

impl Default for Infra {
    fn default() -> Self {
        Infra {
            cluster_cidr: crate::sim::DEFAULT_CLUSTER_CIDR,
            down: BTreeSet::new(),
            sandboxes: BTreeMap::new(),
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

    /// The sandbox holding `ip`, if any.
    pub fn sandbox(&self, ip: &str) -> Option<&Sandbox> {
        self.sandboxes.get(ip)
    }

    /// All sandboxes by IP.
    pub fn sandboxes(&self) -> impl Iterator<Item = (&String, &Sandbox)> {
        self.sandboxes.iter()
    }

    /// Creates or replaces the sandbox at `ip` (kubelet → runtime).
    pub fn put_sandbox(&mut self, ip: String, sandbox: Sandbox) {
        self.sandboxes.insert(ip, sandbox);
    }

    /// Sets whether the app at `ip` accepts connections.
    pub fn set_listening(&mut self, ip: &str, listening: bool) {
        if let Some(s) = self.sandboxes.get_mut(ip) {
            s.listening = listening;
        }
    }

    /// Tears a sandbox down; its IP no longer answers.
    pub fn remove_sandbox(&mut self, ip: &str) -> Option<Sandbox> {
        self.sandboxes.remove(ip)
    }

    /// Whether a connection to `ip:port` would be accepted right now: the sandbox exists, its
    /// node is up and the app listens on that port.
    pub fn accepts(&self, ip: &str, port: i32) -> bool {
        self.sandboxes.get(ip).is_some_and(|s| {
            s.listening && self.node_up(&s.node) && (s.ports.is_empty() || s.ports.contains(&port))
        })
    }
}
