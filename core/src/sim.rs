//! `Sim`: the whole simulated cluster behind one handle — the API server (with the clock and the
//! RNG), the simulated machines, the controllers and the event queue that drives them in
//! virtual time. The CLI, lessons and the web UI all go through it.

use crate::api::core::{NodeAddress, NodeSpec, NodeStatus};
use crate::api::*;
use crate::apiserver::{ApiServer, ObjectKey};
use crate::controllers::{self, Controller, Ctx, Queue};
use crate::infra::Infra;
use crate::proxy::Ipv4Cidr;
use crate::sort::CollectOrdered;
use crate::time::Millis;
use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;

mod timeline;
use timeline::Timeline;

/// Every timing constant of the simulation, with realistic defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Timings {
    /// Pulling an image a node does not have yet.
    pub image_pull_ms: Millis,
    /// Creating and starting a container once the image is present.
    pub container_start_ms: Millis,
    /// Time an app needs after start before it accepts connections (default images).
    pub app_warmup_ms: Millis,
    /// Time a default app needs to exit after SIGTERM.
    pub sigterm_exit_ms: Millis,
    /// Kubelet node-lease renewal period (`nodeLeaseDurationSeconds` / 4).
    pub lease_renew_ms: Millis,
    /// `--node-monitor-grace-period`: a node whose lease is older turns NotReady (Unknown).
    pub node_monitor_grace_ms: Millis,
    /// Default `tolerationSeconds` for the not-ready / unreachable NoExecute taints.
    pub pod_eviction_toleration_ms: Millis,
    /// First CrashLoopBackOff delay (doubles up to 5 minutes).
    pub crash_backoff_ms: Millis,
    /// Time the simulated cloud takes to provision a load balancer.
    pub lb_provision_ms: Millis,
    /// kube-proxy `--min-sync-period` (iptables and nftables default 1 s): at most one
    /// sync per period per node.
    pub kube_proxy_min_sync_ms: Millis,
    /// Time for an API change to reach the kube-proxies' informers.
    pub kube_proxy_watch_latency_ms: Millis,
    /// The EndpointSlice controller's `endpointSliceChangeMinSyncDelay` (1 s, a constant
    /// upstream): how long after someone else changed or deleted one of its slices the
    /// controller syncs the Service to repair it.
    pub endpoint_slice_change_min_sync_delay_ms: Millis,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            image_pull_ms: 2_000,
            container_start_ms: 500,
            app_warmup_ms: 1_000,
            sigterm_exit_ms: 300,
            lease_renew_ms: 10_000,
            node_monitor_grace_ms: 40_000,
            pod_eviction_toleration_ms: 300_000,
            crash_backoff_ms: 10_000,
            lb_provision_ms: 3_000,
            kube_proxy_min_sync_ms: 1_000,
            kube_proxy_watch_latency_ms: 100,
            endpoint_slice_change_min_sync_delay_ms: 1_000,
        }
    }
}

/// How a simulation starts.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Number of worker nodes (`node-1` … `node-N`).
    pub nodes: usize,
    /// Seed of the one RNG.
    pub seed: u64,
    /// Timing constants.
    pub timings: Timings,
    /// Run CoreDNS pods in kube-system behind `kube-dns` (as kubeadm and kind clusters do).
    pub coredns: bool,
    /// Fold full object contents into the trace hash (see [`crate::apiserver::ApiConfig`]).
    pub trace_objects: bool,
    /// kube-proxy `--proxy-mode` on every node.
    pub proxy_mode: crate::proxy::ProxyMode,
    /// Whether nodes run kube-proxy (default true). Off, Services get no rules on any node:
    /// for measuring the rest of the cluster, and for clusters that replace kube-proxy.
    pub kube_proxy: bool,
    /// The cluster (pod) CIDR, kubeadm's `--pod-network-cidr`: node IPAM hands each node a
    /// /24 of it, and kube-proxy's `--cluster-cidr` (what counts as pod traffic in the
    /// masquerade rules) is the same value. Default `10.244.0.0/16` (256 nodes' worth).
    pub cluster_cidr: Ipv4Cidr,
}

/// The default cluster CIDR (kubeadm's documented flannel value, kind's default).
pub const DEFAULT_CLUSTER_CIDR: Ipv4Cidr = Ipv4Cidr {
    addr: std::net::Ipv4Addr::new(10, 244, 0, 0),
    prefix: 16,
};

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            nodes: 3,
            seed: 1,
            timings: Timings::default(),
            coredns: false,
            trace_objects: true,
            proxy_mode: crate::proxy::ProxyMode::Iptables,
            kube_proxy: true,
            cluster_cidr: DEFAULT_CLUSTER_CIDR,
        }
    }
}

/// A controller's reconcile of one key, queued in the [`Timeline`] at its due time.
struct Task {
    controller: usize,
    key: ObjectKey,
}

/// Safety valve against a controller that keeps requeueing itself at the same instant.
const MAX_TASKS_PER_INSTANT: u64 = 50_000_000;

/// The simulated cluster.
pub struct Sim {
    /// The API server: all cluster state.
    pub api: ApiServer,
    /// The simulated machines.
    pub infra: Infra,
    /// Configuration.
    pub config: SimConfig,
    controllers: Vec<Box<dyn Controller>>,
    tasks: Timeline<Task>,
    /// The one buffer every controller's requests go through (a fresh one per watch event
    /// and controller allocated on the first request, millions of times in a big build).
    requests: Queue,
    scheduled: HashMap<(usize, ObjectKey), Millis>,
    node_count: usize,
}

impl Sim {
    /// A cluster with `config.nodes` Ready nodes and the built-in Services.
    pub fn new(config: SimConfig) -> Self {
        let controllers = controllers::all(&config);
        let mut api = ApiServer::new(config.seed);
        api.config.trace_objects = config.trace_objects;
        let mut sim = Sim {
            api,
            infra: Infra::with_dataplane(crate::dataplane::DataPlane::new(config.proxy_mode))
                .on_pod_network(config.cluster_cidr),
            config,
            controllers,
            tasks: Timeline::default(),
            requests: Queue::default(),
            scheduled: HashMap::default(),
            node_count: 0,
        };
        for _ in 0..sim.config.nodes {
            sim.add_node();
        }
        sim.create_builtin_services();
        sim.settle();
        sim
    }

    /// Current virtual time.
    pub fn now(&self) -> Millis {
        self.api.now
    }

    /// Adds a worker node `node-N` with InternalIP `172.18.0.(N+1)` (the addressing of a kind
    /// cluster); node IPAM gives it the next /24 of the cluster CIDR (`10.244.N.0/24` while no
    /// node was deleted); returns its name.
    pub fn add_node(&mut self) -> String {
        let name = format!("node-{}", self.node_count + 1);
        self.add_node_named(&name)
    }

    /// Adds a worker node with the given name (addressing as [`Sim::add_node`]).
    pub fn add_node_named(&mut self, name: &str) -> String {
        self.node_count += 1;
        let n = self.node_count;
        let name = name.to_string();
        let mut node = Node {
            // No podCIDR: the node IPAM controller assigns one once the node is registered.
            spec: NodeSpec::default(),
            status: NodeStatus {
                addresses: vec![
                    NodeAddress {
                        type_: "InternalIP".into(),
                        address: node_ip(n).into(),
                    },
                    NodeAddress {
                        type_: "Hostname".into(),
                        address: name.clone().into(),
                    },
                ],
                capacity: [("cpu", "4"), ("memory", "16Gi"), ("pods", "110")]
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect_map(),
                ..Default::default()
            },
            ..Default::default()
        };
        node.status.allocatable = node.status.capacity.clone();
        node.metadata.name = name.clone().into();
        node.metadata.labels = [
            ("kubernetes.io/arch", "amd64".to_string()),
            ("kubernetes.io/hostname", name.clone()),
            ("kubernetes.io/os", "linux".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect_map()
        .into();
        // Node registration: the kubelet creates its Node object; if the name is taken (a
        // node was added by hand), the next number is used.
        match self.api.create(node) {
            Ok(_) => {}
            Err(_) => return self.add_node(),
        }
        self.settle();
        name
    }

    fn create_builtin_services(&mut self) {
        use crate::api::core::ServicePort;
        let mut k = Service::default();
        k.metadata.name = "kubernetes".into();
        k.metadata.namespace = "default".into();
        k.metadata.labels = [("component", "apiserver"), ("provider", "kubernetes")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect_map()
            .into();
        k.spec.cluster_ip = Some("10.96.0.1".into());
        k.spec.ports = vec![ServicePort {
            name: Some("https".into()),
            protocol: Some("TCP".into()),
            port: 443,
            target_port: Some(IntOrString::Int(6443)),
            ..Default::default()
        }];
        let _ = self.api.create(k);
        self.publish_apiserver_endpoints();
        let mut dns = Service::default();
        dns.metadata.name = "kube-dns".into();
        dns.metadata.namespace = "kube-system".into();
        dns.metadata.labels = [("k8s-app", "kube-dns"), ("kubernetes.io/name", "CoreDNS")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect_map()
            .into();
        dns.spec.selector = Some([("k8s-app".to_string(), "kube-dns".to_string())].into());
        dns.spec.cluster_ip = Some("10.96.0.10".into());
        dns.spec.ports = [
            ("dns", "UDP", 53),
            ("dns-tcp", "TCP", 53),
            ("metrics", "TCP", 9153),
        ]
        .iter()
        .map(|(n, p, port)| ServicePort {
            name: Some(n.to_string()),
            protocol: Some(p.to_string()),
            port: *port,
            target_port: Some(IntOrString::Int(*port)),
            ..Default::default()
        })
        .collect();
        let _ = self.api.create(dns);
    }

    /// The `kubernetes` Service has no selector: the API server's endpoint reconciler publishes
    /// its own address (the managed control plane at 172.18.0.1:6443).
    fn publish_apiserver_endpoints(&mut self) {
        use crate::api::core::{EndpointAddress, EndpointPort, EndpointSubset};
        use crate::api::discovery::{Endpoint, EndpointConditions};
        let port = EndpointPort {
            name: Some("https".into()),
            port: Some(6443),
            protocol: Some("TCP".into()),
            app_protocol: None,
        };
        let mut ep = Endpoints::default();
        ep.metadata.name = "kubernetes".into();
        ep.metadata.namespace = "default".into();
        ep.metadata.labels.insert(
            "endpointslice.kubernetes.io/skip-mirror".into(),
            "true".into(),
        );
        ep.subsets = vec![EndpointSubset {
            addresses: vec![EndpointAddress {
                ip: APISERVER_IP.into(),
                ..Default::default()
            }
            .into()],
            ports: vec![port.clone()],
            ..Default::default()
        }];
        let _ = self.api.create(ep);
        let mut slice = EndpointSlice {
            address_type: "IPv4".into(),
            endpoints: Some(vec![Endpoint {
                addresses: vec![APISERVER_IP.into()],
                conditions: EndpointConditions {
                    ready: Some(true),
                    serving: Some(true),
                    terminating: Some(false),
                },
                ..Default::default()
            }
            .into()]),
            ports: Some(vec![port]),
            ..Default::default()
        };
        slice.metadata.name = "kubernetes".into();
        slice.metadata.namespace = "default".into();
        slice
            .metadata
            .labels
            .insert("kubernetes.io/service-name".into(), "kubernetes".into());
        let _ = self.api.create(slice);
    }

    /// Runs everything due at the current instant (after a command changed state).
    pub fn settle(&mut self) {
        let now = self.api.now;
        self.run_until(now);
    }

    /// Advances virtual time by `ms`, running every reconcile and timer due on the way.
    pub fn advance(&mut self, ms: Millis) {
        let end = self.api.now.saturating_add(ms);
        self.run_until(end);
    }

    /// Runs the next due task (or dispatches pending watch events); returns false when idle.
    /// Time jumps to the task's instant: a single step of the simulation.
    pub fn step(&mut self) -> bool {
        self.api.begin_event_batch();
        let stepped = if self.api.has_watch_events() {
            self.dispatch();
            true
        } else {
            match self.tasks.next_at() {
                Some(at) => {
                    self.run_one(at);
                    true
                }
                None => false,
            }
        };
        self.api.end_event_batch();
        stepped
    }

    /// Virtual time of the next scheduled task, if any.
    pub fn next_task_at(&self) -> Option<Millis> {
        self.tasks.next_at()
    }

    /// Runs every task due until `end`. The Events recorded on the way are stored when it
    /// returns (see `apiserver::events`): only those the cap and the TTL left alive.
    fn run_until(&mut self, end: Millis) {
        self.api.begin_event_batch();
        let mut count_at_instant = 0u64;
        let mut instant = self.api.now;
        loop {
            self.dispatch();
            let Some(at) = self.tasks.next_at().filter(|at| *at <= end) else {
                break;
            };
            if at == instant {
                count_at_instant += 1;
                if count_at_instant > MAX_TASKS_PER_INSTANT {
                    break;
                }
            } else {
                instant = at;
                count_at_instant = 0;
            }
            self.run_one(at);
        }
        self.api.now = self.api.now.max(end);
        self.api.expire_events();
        self.api.end_event_batch();
    }

    fn run_one(&mut self, at: Millis) {
        let Some((due, task)) = self.tasks.pop() else {
            return;
        };
        // One probe of the pending-keys table: it is large (every key scheduled in a big
        // cluster) and each probe a likely cache miss.
        let id = match self.scheduled.entry((task.controller, task.key)) {
            Entry::Occupied(e) if *e.get() == due => e.remove_entry().0,
            _ => return, // superseded by an earlier schedule of the same key
        };
        self.api.now = self.api.now.max(at);
        self.api.expire_events();
        let mut queue = std::mem::take(&mut self.requests);
        {
            let mut ctx = Ctx {
                api: &mut self.api,
                infra: &mut self.infra,
                queue: &mut queue,
            };
            self.controllers[id.0].reconcile(&id.1, &mut ctx);
        }
        self.enqueue(id.0, &mut queue);
        self.requests = queue;
    }

    fn dispatch(&mut self) {
        while self.api.has_watch_events() {
            let events = self.api.take_watch_events();
            let mut queue = std::mem::take(&mut self.requests);
            for ev in &events {
                for i in 0..self.controllers.len() {
                    self.controllers[i].on_event(ev, &self.api, &self.infra, &mut queue);
                    self.enqueue(i, &mut queue);
                }
            }
            self.requests = queue;
            self.api.recycle_watch_events(events);
        }
    }

    /// Schedules (and takes) the keys `controller` asked for.
    fn enqueue(&mut self, controller: usize, queue: &mut Queue) {
        for (delay, key) in queue.items.drain(..) {
            let at = self.api.now + delay;
            let key = match self.scheduled.entry((controller, key)) {
                Entry::Occupied(e) if *e.get() <= at => continue,
                Entry::Occupied(mut e) => {
                    e.insert(at);
                    e.key().1.clone()
                }
                Entry::Vacant(e) => {
                    let key = e.key().1.clone();
                    e.insert(at);
                    key
                }
            };
            self.tasks.push(at, Task { controller, key });
        }
    }

    /// Asks the controller named `name` to reconcile `key` now (used by playground verbs that
    /// change the machines rather than the API, e.g. `node fail`).
    pub fn kick(&mut self, name: &str, key: ObjectKey) {
        if let Some(i) = self.controllers.iter().position(|c| c.name() == name) {
            let mut q = Queue::default();
            q.add(key);
            self.enqueue(i, &mut q);
        }
    }

    /// Powers a node off: its kubelet and kube-proxy stop, its pods stop answering. The node
    /// lifecycle controller notices when the node's lease expires.
    pub fn fail_node(&mut self, name: &str) -> Result<(), String> {
        self.api
            .get::<Node>("", name)
            .ok_or_else(|| format!("Error from server (NotFound): nodes \"{name}\" not found"))?;
        self.infra.set_node_up(name, false);
        self.kick("kubelet", ObjectKey::cluster(name));
        self.settle();
        Ok(())
    }

    /// Powers a node back on: its kubelet renews its lease and reconciles its pods.
    pub fn recover_node(&mut self, name: &str) -> Result<(), String> {
        self.api
            .get::<Node>("", name)
            .ok_or_else(|| format!("Error from server (NotFound): nodes \"{name}\" not found"))?;
        self.infra.set_node_up(name, true);
        self.kick("kubelet", ObjectKey::cluster(name));
        // kube-proxy starts again and syncs what it missed.
        self.kick("kube-proxy", ObjectKey::cluster(name));
        self.settle();
        Ok(())
    }

    /// A hash of every change so far: equal for equal seeds and inputs, natively and on wasm.
    pub fn trace_hash(&self) -> String {
        self.api.trace_hash()
    }
}

/// Address of the (managed, off-diagram) control plane's API server.
pub const APISERVER_IP: &str = "172.18.0.1";

/// InternalIP of the n-th node.
pub fn node_ip(n: usize) -> String {
    format!("172.18.{}.{}", (n + 1) / 256, (n + 1) % 256)
}
