//! kube-proxy, one per node (`pkg/proxy`): watches Services and EndpointSlices and programs
//! its node's rules ([`crate::proxy::NodeProxy`], kept in the simulated machine as
//! [`crate::dataplane::DataPlane`]) so that the data plane routes with whatever the node
//! last programmed.
//!
//! Timing, as a real kube-proxy behaves with its defaults:
//! * **Watch latency** ([`Timings::kube_proxy_watch_latency_ms`], default 100 ms): an API
//!   change reaches the proxies' informers that much later. All nodes share one delayed
//!   view of the API: the cache applies an event only once its latency has elapsed, so a
//!   sync never sees a change "from the future".
//! * **`--min-sync-period`** ([`Timings::kube_proxy_min_sync_ms`], default 1 s, the
//!   iptables and nftables default): the proxier's `BoundedFrequencyRunner` runs a sync at
//!   most once per period. A change after an idle period is synced as soon as it is seen
//!   (after the watch latency); changes arriving within a period of the last sync wait
//!   for `last sync + min-sync-period`, and are then synced together.
//!
//! Between the API change and the sync the node is *stale* ([`SyncStatus::Stale`]): its
//! rules still send new connections to endpoints the API no longer lists. A node whose
//! machine is down runs no kube-proxy: it keeps its old rules and syncs when it is back.
//!
//! Syncs are partial: only the Services that changed since the node's last sync are
//! rewritten ([`crate::proxy::NodeProxy::update_service`]). The Services' converted ports
//! are published once per sync round for all nodes ([`NodePrograms`]), and a node's sync
//! records the round it reached; so a change costs the same whatever the number of
//! Services and nodes, and the nodes a change schedules are only those not already due.
//!
//! [`NodePrograms`]: crate::dataplane::NodePrograms
//!
//! [`SyncStatus::Stale`]: crate::dataplane::SyncStatus::Stale
//! [`Timings::kube_proxy_watch_latency_ms`]: crate::sim::Timings::kube_proxy_watch_latency_ms
//! [`Timings::kube_proxy_min_sync_ms`]: crate::sim::Timings::kube_proxy_min_sync_ms

use super::{Controller, Ctx, Queue};
use crate::api::shared::Names;
use crate::api::*;
use crate::apiserver::{ApiServer, ObjectKey, WatchEvent, WatchEventType};
use crate::infra::Infra;
use crate::proxy::model::DEFAULT_CLIENT_IP_AFFINITY_SECONDS;
use crate::proxy::{
    EndpointInfo, Protocol, ProxyConfig, ServiceEndpoints, ServicePortInfo, SessionAffinity,
    TrafficPolicy,
};
use crate::time::Millis;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::Ipv4Addr;
use std::rc::Rc;

/// Queue key of the shared informer (drains the delayed watch events).
const WATCH_NS: &str = "kube-proxy";
const WATCH_NAME: &str = "informer";

/// Label linking a slice to its Service.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// A change seen on the watch, applied to the cache once it is visible.
#[derive(Debug, Clone)]
enum Change {
    Service(ObjectKey, Option<Rc<Service>>),
    Slice(ObjectKey, Option<Rc<EndpointSlice>>),
    Node(SharedStr, Option<Rc<Node>>),
}

/// Per-node proxier state.
#[derive(Debug, Clone, Default)]
struct NodeProxier {
    /// Time of the last sync (for min-sync-period).
    last_sync: Option<Millis>,
}

/// The kube-proxies of all nodes.
pub struct KubeProxy {
    min_sync_ms: Millis,
    watch_latency_ms: Millis,
    /// Watch events not yet visible: (visible at, happened at, change).
    inbox: VecDeque<(Millis, Millis, Change)>,
    services: BTreeMap<ObjectKey, Rc<Service>>,
    /// Slices by Service, then by slice name.
    slices: BTreeMap<ObjectKey, BTreeMap<SharedStr, Rc<EndpointSlice>>>,
    /// The Service each slice was filed under (a slice's label may change).
    slice_service: BTreeMap<ObjectKey, ObjectKey>,
    nodes: BTreeMap<SharedStr, Rc<Node>>,
    proxiers: BTreeMap<String, NodeProxier>,
    /// Nodes with no sync scheduled: the next change schedules them (the others are due
    /// already and will take it).
    idle: BTreeSet<String>,
    /// Converted service ports, shared by every node's sync (invalidated on change).
    converted: BTreeMap<ObjectKey, Rc<Vec<ServiceEndpoints>>>,
    /// One copy of each node and zone name the endpoints name: every converted version of a
    /// Service, kept until every node has synced past it, shares them.
    names: Names,
}

impl KubeProxy {
    /// kube-proxies with the given timings.
    pub fn new(timings: &crate::sim::Timings) -> Self {
        KubeProxy {
            min_sync_ms: timings.kube_proxy_min_sync_ms,
            watch_latency_ms: timings.kube_proxy_watch_latency_ms,
            inbox: VecDeque::new(),
            services: BTreeMap::new(),
            slices: BTreeMap::new(),
            slice_service: BTreeMap::new(),
            nodes: BTreeMap::new(),
            proxiers: BTreeMap::new(),
            idle: BTreeSet::new(),
            converted: BTreeMap::new(),
            names: Names::default(),
        }
    }

    fn watch_key() -> ObjectKey {
        ObjectKey::new(WATCH_NS, WATCH_NAME)
    }

    /// Applies every watch event whose latency has elapsed.
    fn drain(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.api.now;
        while self.inbox.front().is_some_and(|(at, _, _)| *at <= now) {
            let Some((_, happened, change)) = self.inbox.pop_front() else {
                break;
            };
            match change {
                Change::Service(key, svc) => {
                    match svc {
                        Some(s) => self.services.insert(key.clone(), s),
                        None => self.services.remove(&key),
                    };
                    self.changed(key, happened, ctx);
                }
                Change::Slice(key, slice) => {
                    if let Some(old_svc) = self.slice_service.remove(&key) {
                        if let Some(m) = self.slices.get_mut(&old_svc) {
                            m.remove(&key.name);
                            if m.is_empty() {
                                self.slices.remove(&old_svc);
                            }
                        }
                        self.changed(old_svc, happened, ctx);
                    }
                    let svc_name = slice
                        .as_ref()
                        .and_then(|s| s.metadata.labels.get(SERVICE_NAME_LABEL).cloned());
                    if let (Some(s), Some(name)) = (slice, svc_name) {
                        let svc = ObjectKey::new(key.namespace.clone(), name);
                        self.slices
                            .entry(svc.clone())
                            .or_default()
                            .insert(key.name.clone(), s);
                        self.slice_service.insert(key, svc.clone());
                        self.changed(svc, happened, ctx);
                    }
                }
                Change::Node(name, node) => match node {
                    Some(n) => {
                        let first = !self.nodes.contains_key(&name);
                        let ip_changed = self
                            .nodes
                            .get(&name)
                            .is_some_and(|old| node_ip(old) != node_ip(&n));
                        self.nodes.insert(name.clone(), n);
                        if first || ip_changed {
                            self.start(&name, ctx);
                        }
                    }
                    None => {
                        self.nodes.remove(&name);
                        self.proxiers.remove(name.as_str());
                        self.idle.remove(name.as_str());
                        ctx.infra.dataplane.remove_node(&name);
                    }
                },
            }
        }
        if let Some((at, _, _)) = self.inbox.front() {
            ctx.queue
                .add_after(Self::watch_key(), at.saturating_sub(now));
        }
        // Every node is stale from the moment the API changed, delivered or not.
        let unseen = self
            .inbox
            .iter()
            .find(|(_, _, c)| !matches!(c, Change::Node(..)))
            .map(|(_, happened, _)| *happened);
        ctx.infra.dataplane.programs.set_unseen_since(unseen);
    }

    /// A Service (or one of its slices) changed: every node has to resync it.
    fn changed(&mut self, svc: ObjectKey, happened: Millis, ctx: &mut Ctx<'_>) {
        self.converted.remove(&svc);
        ctx.infra
            .dataplane
            .programs
            .service_changed(&format!("{}/{}", svc.namespace, svc.name), happened);
        let now = ctx.api.now;
        for name in std::mem::take(&mut self.idle) {
            let due = self
                .proxiers
                .get(&name)
                .and_then(|p| p.last_sync)
                .map_or(now, |t| t.saturating_add(self.min_sync_ms));
            ctx.queue
                .add_after(ObjectKey::cluster(name), due.saturating_sub(now));
        }
    }

    /// Starts a sync round: converts every Service changed since the last one.
    fn publish(&mut self, ctx: &mut Ctx<'_>) {
        ctx.infra.dataplane.programs.publish(|key| {
            let (ns, name) = key.split_once('/').unwrap_or(("", key));
            self.convert(&ObjectKey::new(ns, name))
        });
    }

    /// kube-proxy starts on a node: a full sync of everything in the cache.
    fn start(&mut self, name: &str, ctx: &mut Ctx<'_>) {
        let Some(node) = self.nodes.get(name) else {
            return;
        };
        let ips: Vec<Ipv4Addr> = node_ip(node).into_iter().collect();
        let mut config = ProxyConfig::new(name, ips);
        config.mode = ctx.infra.dataplane.mode;
        config.cluster_cidr = ctx.infra.cluster_cidr;
        config.node_zone = node
            .metadata
            .labels
            .get("topology.kubernetes.io/zone")
            .cloned();
        // Its caches are everybody's: whatever changed is published to every node first.
        self.publish(ctx);
        let keys: Vec<ObjectKey> = self.services.keys().cloned().collect();
        let mut all = Vec::new();
        for k in &keys {
            all.extend(self.convert(k).iter().cloned());
        }
        let now = ctx.api.now;
        ctx.infra.dataplane.programs.start(name, config, &all, now);
        self.proxiers.insert(
            name.to_string(),
            NodeProxier {
                last_sync: Some(now),
            },
        );
        self.idle.insert(name.to_string());
    }

    /// kube-proxy's view of one Service: one entry per port with its endpoints.
    fn convert(&mut self, key: &ObjectKey) -> Rc<Vec<ServiceEndpoints>> {
        if let Some(c) = self.converted.get(key) {
            return c.clone();
        }
        let out = Rc::new(match self.services.get(key) {
            Some(svc) => service_endpoints(svc, self.slices.get(key), &mut self.names),
            None => Vec::new(),
        });
        self.converted.insert(key.clone(), out.clone());
        out
    }

    fn sync_node(&mut self, name: &str, ctx: &mut Ctx<'_>) {
        if !self.proxiers.contains_key(name) {
            if self.nodes.contains_key(name) && ctx.infra.node_up(name) {
                self.start(name, ctx);
            }
            return;
        }
        // A machine that is down runs no kube-proxy: the next change (or
        // `Sim::recover_node`) schedules it again.
        if !ctx.infra.node_up(name) || !ctx.infra.dataplane.programs.needs_sync(name) {
            self.idle.insert(name.to_string());
            return;
        }
        let now = ctx.api.now;
        let due = self
            .proxiers
            .get(name)
            .and_then(|p| p.last_sync)
            .map(|t| t.saturating_add(self.min_sync_ms));
        if let Some(due) = due.filter(|due| *due > now) {
            ctx.queue
                .add_after(ObjectKey::cluster(name.to_string()), due - now);
            return;
        }
        self.publish(ctx);
        ctx.infra.dataplane.programs.synced(name, now);
        if let Some(p) = self.proxiers.get_mut(name) {
            p.last_sync = Some(now);
        }
        self.idle.insert(name.to_string());
    }
}

/// A node's InternalIP.
fn node_ip(n: &Node) -> Option<Ipv4Addr> {
    n.status
        .addresses
        .iter()
        .find(|a| a.type_ == "InternalIP")
        .and_then(|a| a.address.parse().ok())
}

fn protocol(p: Option<&str>) -> Protocol {
    match p {
        Some("UDP") => Protocol::Udp,
        Some("SCTP") => Protocol::Sctp,
        _ => Protocol::Tcp,
    }
}

fn policy(p: Option<&str>) -> TrafficPolicy {
    match p {
        Some("Local") => TrafficPolicy::Local,
        _ => TrafficPolicy::Cluster,
    }
}

fn port_u16(p: i32) -> Option<u16> {
    u16::try_from(p).ok().filter(|p| *p != 0)
}

/// Converts a Service and its slices the way `servicechangetracker.go` and
/// `endpointslicecache.go` do: one [`ServiceEndpoints`] per Service port; endpoints are
/// matched to the port by port name and protocol; nil conditions read as ready, serving,
/// not terminating; an address seen in two slices counts once.
pub fn service_endpoints(
    svc: &Service,
    slices: Option<&BTreeMap<SharedStr, Rc<EndpointSlice>>>,
    names: &mut Names,
) -> Vec<ServiceEndpoints> {
    if svc.spec.type_.as_deref() == Some("ExternalName") {
        return Vec::new();
    }
    let cluster_ip = svc
        .spec
        .cluster_ip
        .as_deref()
        .and_then(|ip| ip.parse::<Ipv4Addr>().ok());
    let node_port_type = matches!(
        svc.spec.type_.as_deref(),
        Some("NodePort") | Some("LoadBalancer")
    );
    let lb_ips: Vec<Ipv4Addr> = if svc.spec.type_.as_deref() == Some("LoadBalancer") {
        svc.status
            .load_balancer
            .ingress
            .iter()
            .filter_map(|i| i.ip.as_deref()?.parse().ok())
            .collect()
    } else {
        Vec::new()
    };
    let affinity = match svc.spec.session_affinity.as_deref() {
        Some("ClientIP") => SessionAffinity::ClientIp {
            timeout_s: svc
                .spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref()?.timeout_seconds)
                .and_then(|t| u32::try_from(t).ok())
                .unwrap_or(DEFAULT_CLIENT_IP_AFFINITY_SECONDS),
        },
        _ => SessionAffinity::None,
    };
    let mut out = Vec::new();
    for sp in &svc.spec.ports {
        let Some(port) = port_u16(sp.port) else {
            continue;
        };
        let proto = protocol(sp.protocol.as_deref());
        let port_name = sp.name.clone().unwrap_or_default();
        let mut info = ServicePortInfo::new(
            &svc.metadata.namespace,
            &svc.metadata.name,
            &port_name,
            proto,
            cluster_ip,
            port,
        );
        if node_port_type {
            info.node_port = sp.node_port.and_then(port_u16);
        }
        info.external_ips = svc
            .spec
            .external_ips
            .iter()
            .filter_map(|ip| ip.parse().ok())
            .collect();
        info.load_balancer_ips = lb_ips.clone();
        info.session_affinity = affinity;
        info.external_traffic_policy = policy(svc.spec.external_traffic_policy.as_deref());
        info.internal_traffic_policy = policy(svc.spec.internal_traffic_policy.as_deref());
        info.health_check_node_port = svc.spec.health_check_node_port.and_then(port_u16);
        info.load_balancer_source_ranges = svc
            .spec
            .load_balancer_source_ranges
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect();
        let mut endpoints: Vec<EndpointInfo> = Vec::new();
        let mut seen = BTreeSet::new();
        for slice in slices.into_iter().flat_map(|m| m.values()) {
            if slice.address_type != "IPv4" {
                continue;
            }
            let Some(ep_port) = slice.ports.iter().flatten().find(|p| {
                p.name.as_deref().unwrap_or("") == port_name
                    && protocol(p.protocol.as_deref()) == proto
            }) else {
                continue;
            };
            let Some(target) = ep_port.port.and_then(port_u16) else {
                continue;
            };
            for e in slice.endpoints.iter().flatten() {
                let Some(ip) = e.addresses.first().and_then(|a| a.parse::<Ipv4Addr>().ok()) else {
                    continue;
                };
                if !seen.insert((ip, target)) {
                    continue;
                }
                endpoints.push(EndpointInfo {
                    ip,
                    port: target,
                    ready: e.conditions.ready.unwrap_or(true),
                    serving: e.conditions.serving.unwrap_or(true),
                    terminating: e.conditions.terminating.unwrap_or(false),
                    node_name: e.node_name.as_deref().map(|n| names.get(n)),
                    zone: e.zone.as_deref().map(|z| names.get(z)),
                    zone_hints: Vec::new(),
                    node_hints: Vec::new(),
                });
            }
        }
        out.push(ServiceEndpoints {
            service: info,
            endpoints,
        });
    }
    out
}

impl Controller for KubeProxy {
    fn name(&self) -> &'static str {
        "kube-proxy"
    }

    fn on_event(&mut self, ev: &WatchEvent, api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        let change = match (ev.kind(), ev.new.as_ref()) {
            (Kind::Service, Some(Object::Service(s))) => {
                Change::Service(ev.key.clone(), Some(s.clone()))
            }
            (Kind::Service, None) => Change::Service(ev.key.clone(), None),
            (Kind::EndpointSlice, Some(Object::EndpointSlice(s))) => {
                Change::Slice(ev.key.clone(), Some(s.clone()))
            }
            (Kind::EndpointSlice, None) => Change::Slice(ev.key.clone(), None),
            (Kind::Node, Some(Object::Node(n))) => {
                // Status heartbeats do not concern kube-proxy; creation and address changes do.
                let relevant = match &ev.old {
                    Some(Object::Node(o)) => node_ip(o) != node_ip(n),
                    _ => true,
                };
                if !relevant {
                    return;
                }
                Change::Node(ev.key.name.clone(), Some(n.clone()))
            }
            (Kind::Node, None) if ev.type_ == WatchEventType::Deleted => {
                Change::Node(ev.key.name.clone(), None)
            }
            _ => return,
        };
        let now = api.now;
        let at = now.saturating_add(self.watch_latency_ms);
        self.inbox.push_back((at, now, change));
        // Now, to mark the nodes stale; the drain then reschedules itself for `at`.
        queue.add(Self::watch_key());
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        self.drain(ctx);
        if key.namespace.is_empty() {
            self.sync_node(&key.name, ctx);
        }
    }
}
