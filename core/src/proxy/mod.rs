//! kube-proxy: from kube-proxy's view of Services and endpoints ([`model`]) to the rules
//! it programs on one node ([`iptables`], [`ipvs`], [`nftables`]), and the data plane's
//! decision for one new connection computed by walking those programmed rules
//! ([`NodeProxy::route`]).
//!
//! [`NodeProxy`] is one node's programmed state: rebuilt from a model snapshot at each
//! sync, while kernel-side dynamic state (`recent` lists, IPVS connection counters and
//! persistence templates, nftables affinity sets) survives syncs as it does on a real node.

mod fast;
pub mod hash;
pub mod iptables;
pub mod ipvs;
pub mod model;
pub mod nftables;
pub mod topology;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::rc::Rc;

use crate::sort::CollectOrdered;
use rand_core::RngCore;

pub use model::{
    EndpointInfo, Ipv4Cidr, IpvsScheduler, Protocol, ProxyConfig, ProxyMode, ServiceEndpoints,
    ServicePortInfo, SessionAffinity, TrafficPolicy,
};
pub use topology::{categorize_endpoints, CategorizedEndpoints};

/// Where a new connection comes from, as seen by the node routing it; decides the
/// netfilter hook (locally generated packets take `OUTPUT`, others `PREROUTING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    /// A pod (source in the pod CIDR), on this node or arriving from another node.
    Pod,
    /// A process in this node's host network namespace.
    NodeLocal,
    /// Anything else arriving over the network (a client outside the cluster, another
    /// node's host network, a load balancer that preserves the client address).
    External,
}

/// The 5-tuple-ish key of a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowKey {
    /// Source address.
    pub src_ip: Ipv4Addr,
    /// Source kind.
    pub source: SourceKind,
    /// Destination address.
    pub dst_ip: Ipv4Addr,
    /// Destination port.
    pub dst_port: u16,
    /// Protocol.
    pub protocol: Protocol,
}

/// One step of a route trace: a rule (or map element, or IPVS decision) that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStep {
    /// Table or subsystem (`nat`, `filter`, `ipvs`, `ip kube-proxy`).
    pub table: String,
    /// Chain (or virtual service) the step happened in.
    pub chain: String,
    /// The rule text as it would be listed.
    pub rule: String,
}

/// How a connection was handled, step by step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    /// Every matched rule in order.
    pub steps: Vec<TraceStep>,
    /// The chains taken, e.g. `["KUBE-SERVICES", "KUBE-SVC-…", "KUBE-SEP-…"]`.
    pub path: Vec<String>,
    /// The final action, e.g. `DNAT 10.244.1.5:8080`.
    pub verdict: String,
}

impl fmt::Display for Trace {
    /// `KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-… DNAT 10.244.1.5:8080`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.join(" → ");
        match (path.is_empty(), self.verdict.is_empty()) {
            (true, _) => f.write_str(&self.verdict),
            (false, true) => f.write_str(&path),
            (false, false) => write!(f, "{path} {}", self.verdict),
        }
    }
}

/// Identifies an IPVS connection so the data plane can report it closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpvsConnRef {
    /// Virtual service address.
    pub vip: Ipv4Addr,
    /// Virtual service port.
    pub port: u16,
    /// Protocol.
    pub protocol: Protocol,
    /// Real server chosen.
    pub dest: SocketAddrV4,
}

/// The data plane's decision for one new connection on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteDecision {
    /// Destination rewritten to a service endpoint.
    Dnat {
        /// The endpoint.
        endpoint: SocketAddrV4,
        /// Source NAT applied on the way out (the endpoint sees the node's address).
        masquerade: bool,
        /// `ns/name[:port]` of the service.
        service: String,
        /// How it got there.
        trace: Trace,
        /// IPVS connection, for the close/expire callbacks.
        ipvs: Option<IpvsConnRef>,
    },
    /// Refused with ICMP port unreachable (service has no endpoints).
    Reject {
        /// The rule comment, e.g. `ns6/svc6:p80 has no endpoints`.
        comment: String,
        /// How it got there.
        trace: Trace,
    },
    /// Silently dropped (e.g. Local policy without local endpoints).
    Drop {
        /// The rule comment, e.g. `ns1/svc1 has no local endpoints`.
        comment: String,
        /// How it got there.
        trace: Trace,
    },
    /// Not a service address on this node: routed normally.
    NoMatch {
        /// Rules that matched without deciding.
        trace: Trace,
    },
}

impl RouteDecision {
    /// The trace of any decision.
    pub fn trace(&self) -> &Trace {
        match self {
            RouteDecision::Dnat { trace, .. }
            | RouteDecision::Reject { trace, .. }
            | RouteDecision::Drop { trace, .. }
            | RouteDecision::NoMatch { trace } => trace,
        }
    }

    /// The endpoint, for DNAT decisions.
    pub fn endpoint(&self) -> Option<SocketAddrV4> {
        match self {
            RouteDecision::Dnat { endpoint, .. } => Some(*endpoint),
            _ => None,
        }
    }
}

/// The rules one proxy mode programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Programmed {
    /// iptables nat + filter.
    Iptables(iptables::RuleSet),
    /// IPVS virtual servers (+ the iptables helpers, applied semantically).
    Ipvs(ipvs::IpvsTable),
    /// The `ip kube-proxy` nftables table.
    Nftables(nftables::NftTable),
}

/// One node's kube-proxy state as programmed in its kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeProxy {
    config: ProxyConfig,
    /// kube-proxy's caches: the ports of every Service, by `namespace/name` (shared with
    /// the other nodes that synced the same version).
    services: BTreeMap<String, Rc<Vec<ServiceEndpoints>>>,
    programmed: Programmed,
    recent: iptables::RecentTables,
    ipvs_runtime: ipvs::IpvsRuntime,
    nft_runtime: nftables::NftRuntime,
    /// Destinations compiled for the routing fast path since the last change of the
    /// programmed rules.
    fast: fast::FastCache,
}

/// What a routing decision did, without the trace (cheap to copy and compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Destination rewritten to a service endpoint.
    Dnat {
        /// The endpoint.
        endpoint: SocketAddrV4,
        /// Source NAT applied on the way out.
        masquerade: bool,
    },
    /// Refused with ICMP port unreachable.
    Reject,
    /// Silently dropped.
    Drop,
    /// Not a service address on this node.
    NoMatch,
}

/// A routing decision as [`NodeProxy::decide`] makes it: the outcome now, the trace
/// only when [`NodeProxy::explain`] is asked for it.
#[derive(Debug, Clone)]
pub struct Routed(How);

#[derive(Debug, Clone)]
enum How {
    /// Decided by a compiled iptables entry.
    Iptables(Rc<fast::IptEntry>, fast::FastDnat),
    /// Decided by a compiled nftables entry.
    Nftables(Rc<fast::NftEntry>, fast::FastDnat),
    /// IPVS scheduling (its trace is rendered from the virtual server).
    Ipvs(ipvs::IpvsVerdict),
    /// Interpreted, trace included.
    Full(Box<RouteDecision>),
}

impl Routed {
    /// The outcome.
    pub fn verdict(&self) -> Verdict {
        match &self.0 {
            How::Iptables(_, d) | How::Nftables(_, d) => Verdict::Dnat {
                endpoint: d.endpoint,
                masquerade: d.masquerade,
            },
            How::Ipvs(v) => match v {
                ipvs::IpvsVerdict::NoMatch => Verdict::NoMatch,
                ipvs::IpvsVerdict::SourceRangeDrop => Verdict::Drop,
                ipvs::IpvsVerdict::NoDest => Verdict::Reject,
                ipvs::IpvsVerdict::Dnat { dest, masquerade } => Verdict::Dnat {
                    endpoint: *dest,
                    masquerade: *masquerade,
                },
            },
            How::Full(d) => d.verdict(),
        }
    }

    /// Whether the compiled fast path decided (false: the rules were interpreted).
    pub fn is_compiled(&self) -> bool {
        matches!(&self.0, How::Iptables(..) | How::Nftables(..))
    }
}

impl RouteDecision {
    /// The outcome without the trace.
    pub fn verdict(&self) -> Verdict {
        match self {
            RouteDecision::Dnat {
                endpoint,
                masquerade,
                ..
            } => Verdict::Dnat {
                endpoint: *endpoint,
                masquerade: *masquerade,
            },
            RouteDecision::Reject { .. } => Verdict::Reject,
            RouteDecision::Drop { .. } => Verdict::Drop,
            RouteDecision::NoMatch { .. } => Verdict::NoMatch,
        }
    }
}

impl NodeProxy {
    /// Programs a node from a snapshot of kube-proxy's caches.
    pub fn new(config: ProxyConfig, services: &[ServiceEndpoints]) -> Self {
        let programmed = Self::program(&config, services);
        NodeProxy {
            config,
            services: group_by_service(services),
            programmed,
            recent: iptables::RecentTables::default(),
            ipvs_runtime: ipvs::IpvsRuntime::default(),
            nft_runtime: nftables::NftRuntime::default(),
            fast: fast::FastCache::default(),
        }
    }

    fn program(config: &ProxyConfig, services: &[ServiceEndpoints]) -> Programmed {
        match config.mode {
            ProxyMode::Iptables => {
                Programmed::Iptables(iptables::sync_proxy_rules(config, services))
            }
            ProxyMode::Ipvs => Programmed::Ipvs(ipvs::sync_ipvs(config, services)),
            ProxyMode::Nftables => Programmed::Nftables(nftables::sync_nftables(config, services)),
        }
    }

    /// Re-syncs the rules from a new snapshot; kernel dynamic state is kept.
    pub fn sync(&mut self, services: &[ServiceEndpoints]) {
        self.services = group_by_service(services);
        self.programmed = Self::program(&self.config, services);
        self.fast.slots.clear();
        if let Programmed::Ipvs(t) = &self.programmed {
            self.ipvs_runtime.retain_for(t);
        }
    }

    /// Partial sync: replaces the ports of one Service (`namespace/name`; empty `ports`
    /// removes it) and rewrites only that Service's rules, as kube-proxy's partial syncs do
    /// (iptables since v1.27, nftables and IPVS always). The cost depends on this Service's
    /// size, not on how many Services the node has; the result equals a full
    /// [`NodeProxy::sync`] over the updated caches.
    pub fn update_service(&mut self, key: &str, ports: Vec<ServiceEndpoints>) {
        self.update_service_cached(key, Rc::new(ports), None);
    }

    /// [`NodeProxy::update_service`] with a cache of generated rules shared by the nodes
    /// of a cluster (iptables mode): a Service whose rules are the same on every node is
    /// generated once, not once per node. The result is the same.
    pub fn update_service_cached(
        &mut self,
        key: &str,
        ports: Rc<Vec<ServiceEndpoints>>,
        cache: Option<&mut iptables::RuleCache>,
    ) {
        let old = if ports.is_empty() {
            self.services.remove(key)
        } else if let Some(slot) = self.services.get_mut(key) {
            Some(std::mem::replace(slot, ports.clone()))
        } else {
            self.services.insert(key.to_string(), ports.clone())
        };
        if old.as_ref().is_some_and(|o| Rc::ptr_eq(o, &ports)) {
            return;
        }
        let old: &[ServiceEndpoints] = old.as_deref().map_or(&[], Vec::as_slice);
        let new: &[ServiceEndpoints] = &ports;
        if old == new {
            return;
        }
        // Compiled entries read rules of other Services too (KUBE-SERVICES order, filter).
        self.fast.slots.clear();
        let incremental = match &mut self.programmed {
            Programmed::Iptables(r) => match cache {
                Some(cache) => r.replace_service_cached(&self.config, key, &ports, cache),
                None => r.replace_service(&self.config, key, new),
            },
            Programmed::Ipvs(t) => {
                t.replace_service(&self.config, old, new);
                for k in ipvs::service_keys(&self.config, old.iter().chain(new)) {
                    self.ipvs_runtime.retain_for_vs(t, &k);
                }
                true
            }
            Programmed::Nftables(t) => {
                t.replace_service(&self.config, old, new);
                true
            }
        };
        if !incremental {
            let all: Vec<ServiceEndpoints> = self
                .services
                .values()
                .flat_map(|v| v.iter())
                .cloned()
                .collect();
            self.programmed = Self::program(&self.config, &all);
        }
    }

    /// Whether a sync could change this node's kernel state besides its rules: IPVS drops
    /// the connection state of the virtual servers a sync removes (`xt_recent` lists and
    /// nftables sets outlive syncs). Without such state, applying several syncs at once
    /// leaves the node exactly as applying them one by one.
    pub fn has_prunable_state(&self) -> bool {
        !self.ipvs_runtime.is_empty()
    }

    /// The Services in kube-proxy's caches, by `namespace/name`.
    pub fn services(&self) -> &BTreeMap<String, Rc<Vec<ServiceEndpoints>>> {
        &self.services
    }

    /// The node's kube-proxy configuration.
    pub fn config(&self) -> &ProxyConfig {
        &self.config
    }

    /// The programmed rules.
    pub fn programmed(&self) -> &Programmed {
        &self.programmed
    }

    /// The `recent` lists (iptables ClientIP affinity).
    pub fn recent(&self) -> &iptables::RecentTables {
        &self.recent
    }

    /// The IPVS runtime counters (active/inactive connections per real server).
    pub fn ipvs_runtime(&self) -> &ipvs::IpvsRuntime {
        &self.ipvs_runtime
    }

    /// Whether `ip` is a local address of this node (`addrtype LOCAL`): node IPs,
    /// loopback, and in IPVS mode every address bound to `kube-ipvs0`.
    pub fn is_local_addr(&self, ip: Ipv4Addr) -> bool {
        ip.is_loopback()
            || self.config.node_ips.contains(&ip)
            || matches!(&self.programmed, Programmed::Ipvs(t) if t.is_bound(ip))
    }

    /// Routes the first packet of a new connection through this node's programmed rules,
    /// with the trace: [`NodeProxy::decide`] then [`NodeProxy::explain`].
    pub fn route<R: RngCore>(&mut self, flow: &FlowKey, now_ms: u64, rng: &mut R) -> RouteDecision {
        let routed = self.decide(flow, now_ms, rng);
        self.explain(flow, now_ms, routed)
    }

    /// Decides a new connection without producing any text: compiled destinations take
    /// the fast path (no allocation), others are interpreted rule by rule. Kernel state
    /// (`recent` lists, IPVS counters, affinity sets) and random draws are exactly those
    /// of the interpreter.
    pub fn decide<R: RngCore>(&mut self, flow: &FlowKey, now_ms: u64, rng: &mut R) -> Routed {
        if let Programmed::Ipvs(t) = &self.programmed {
            let config = &self.config;
            let src_local = || {
                flow.src_ip.is_loopback()
                    || config.node_ips.contains(&flow.src_ip)
                    || t.is_bound(flow.src_ip)
            };
            return Routed(How::Ipvs(t.decide(
                config,
                &mut self.ipvs_runtime,
                flow,
                src_local,
                now_ms,
            )));
        }
        let node_local = |ip: Ipv4Addr| ip.is_loopback() || self.config.node_ips.contains(&ip);
        // The fast path covers pod traffic from another address than the node's.
        if flow.source == SourceKind::Pod && !node_local(flow.src_ip) {
            let key = (flow.dst_ip, flow.protocol, flow.dst_port);
            let slot = match self.fast.slots.get(&key) {
                Some(s) => s.clone(),
                None => {
                    let s = match &self.programmed {
                        Programmed::Iptables(r) => {
                            fast::compile_iptables(r, &self.config, key, &mut self.recent)
                                .map_or(fast::Slot::Interpret, |e| fast::Slot::Iptables(Rc::new(e)))
                        }
                        Programmed::Nftables(t) => {
                            fast::compile_nftables(t, &self.config, key, &mut self.nft_runtime)
                                .map_or(fast::Slot::Interpret, |e| fast::Slot::Nftables(Rc::new(e)))
                        }
                        Programmed::Ipvs(_) => fast::Slot::Interpret,
                    };
                    self.fast.slots.insert(key, s.clone());
                    s
                }
            };
            match slot {
                fast::Slot::Iptables(e) => {
                    let d = e.route(&mut self.recent, flow.src_ip, now_ms, rng);
                    return Routed(How::Iptables(e, d));
                }
                fast::Slot::Nftables(e) => {
                    let d = e.route(&mut self.nft_runtime, flow.src_ip, now_ms, rng);
                    return Routed(How::Nftables(e, d));
                }
                fast::Slot::Interpret => {}
            }
        }
        Routed(How::Full(Box::new(self.interpret(flow, now_ms, rng))))
    }

    /// The full decision, trace included, for `routed` as [`NodeProxy::decide`] returned
    /// it for `flow` at `now_ms`, rendered from the programmed rules (so before the next
    /// sync). Compiled decisions are replayed through the interpreter with their random
    /// draws and affinity hits scripted, on scratch kernel state.
    pub fn explain(&self, flow: &FlowKey, now_ms: u64, routed: Routed) -> RouteDecision {
        let decided = routed.verdict();
        let full = match (routed.0, &self.programmed) {
            (How::Full(d), _) => return *d,
            (How::Ipvs(v), Programmed::Ipvs(t)) => return t.render(flow, v),
            (How::Iptables(e, d), Programmed::Iptables(rules)) => {
                let (mut recent, mut rng) = e.replay_state(d.pick, flow.src_ip, now_ms);
                route_iptables(
                    rules,
                    &mut recent,
                    flow,
                    false,
                    |ip| ip.is_loopback() || self.config.node_ips.contains(&ip),
                    now_ms,
                    &mut rng,
                )
            }
            (How::Nftables(e, d), Programmed::Nftables(t)) => {
                let (mut rt, mut rng) = e.replay_state(d.pick, flow.src_ip, now_ms);
                t.route(&self.config, &mut rt, flow, false, false, now_ms, &mut rng)
            }
            // The rules changed mode since the decision: nothing left to replay.
            _ => RouteDecision::NoMatch {
                trace: Trace::default(),
            },
        };
        debug_assert_eq!(
            full.verdict(),
            decided,
            "fast path and interpreter disagree"
        );
        full
    }

    /// Routes by walking the programmed rules one by one (the reference the compiled fast
    /// path must agree with), trace included.
    pub fn interpret<R: RngCore>(
        &mut self,
        flow: &FlowKey,
        now_ms: u64,
        rng: &mut R,
    ) -> RouteDecision {
        let src_local = self.is_local_addr(flow.src_ip);
        let dst_local = self.is_local_addr(flow.dst_ip);
        match &self.programmed {
            Programmed::Iptables(rules) => route_iptables(
                rules,
                &mut self.recent,
                flow,
                src_local,
                |ip| ip.is_loopback() || self.config.node_ips.contains(&ip),
                now_ms,
                rng,
            ),
            Programmed::Ipvs(t) => t.route(
                &self.config,
                &mut self.ipvs_runtime,
                flow,
                src_local,
                now_ms,
            ),
            Programmed::Nftables(t) => t.route(
                &self.config,
                &mut self.nft_runtime,
                flow,
                src_local,
                dst_local,
                now_ms,
                rng,
            ),
        }
    }

    /// IPVS: a connection reported by [`RouteDecision::Dnat::ipvs`] closed (TCP leaves
    /// `ActiveConn` for `InActConn`).
    pub fn ipvs_conn_closed(&mut self, conn: &IpvsConnRef) {
        self.ipvs_runtime.closed(conn);
    }

    /// IPVS: a closed (or UDP) connection's entry expired (leaves `InActConn`).
    pub fn ipvs_conn_expired(&mut self, conn: &IpvsConnRef) {
        self.ipvs_runtime.expired(conn);
    }

    /// `ipvsadm -Ln` (empty table in other modes).
    pub fn ipvsadm_ln(&self) -> String {
        match &self.programmed {
            Programmed::Ipvs(t) => t.ipvsadm_ln(&self.ipvs_runtime),
            _ => ipvs::IpvsTable::default().ipvsadm_ln(&self.ipvs_runtime),
        }
    }

    /// `ip addr` on the node: `lo`, `eth0` with the node IPs, and in IPVS mode the
    /// `kube-ipvs0` dummy interface holding every service VIP. In iptables and nftables
    /// modes no VIP sits on any interface.
    pub fn ip_addr(&self) -> String {
        let bound = match &self.programmed {
            Programmed::Ipvs(t) => Some(t.bound_addrs()),
            _ => None,
        };
        ipvs::render_ip_addr(&self.config, bound.as_deref())
    }
}

/// `namespace/name` of a service port's Service.
pub fn service_key(s: &ServicePortInfo) -> String {
    format!("{}/{}", s.namespace, s.name)
}

fn group_by_service(services: &[ServiceEndpoints]) -> BTreeMap<String, Rc<Vec<ServiceEndpoints>>> {
    let mut m: BTreeMap<String, Vec<ServiceEndpoints>> = BTreeMap::new();
    for se in services {
        m.entry(service_key(&se.service))
            .or_default()
            .push(se.clone());
    }
    m.into_iter().map(|(k, v)| (k, Rc::new(v))).collect_map()
}

fn route_iptables<R: RngCore>(
    rules: &iptables::RuleSet,
    recent: &mut iptables::RecentTables,
    flow: &FlowKey,
    src_local: bool,
    is_local: impl Fn(Ipv4Addr) -> bool,
    now_ms: u64,
    rng: &mut R,
) -> RouteDecision {
    use iptables::{EvalState, HookVerdict, Packet, TableName};
    let mut pkt = Packet {
        src: flow.src_ip,
        dst: flow.dst_ip,
        proto: flow.protocol,
        dport: flow.dst_port,
        src_local,
        dst_local: is_local(flow.dst_ip),
        dnatted: false,
    };
    let mut hits = Vec::new();
    let local_out = flow.source == SourceKind::NodeLocal;
    let mut st = EvalState {
        mark: 0,
        recent,
        rng,
        now_ms,
        trace: &mut hits,
    };
    let nat_hook = if local_out { "OUTPUT" } else { "PREROUTING" };
    let dnat = match rules.run(TableName::Nat, nat_hook, &pkt, &mut st) {
        HookVerdict::Dnat(a) => Some(a),
        _ => None,
    };
    if let Some(a) = dnat {
        pkt.dst = *a.ip();
        pkt.dport = a.port();
        pkt.dst_local = is_local(pkt.dst);
        pkt.dnatted = true;
    }
    let filter_hook = if local_out {
        "OUTPUT"
    } else if pkt.dst_local {
        "INPUT"
    } else {
        "FORWARD"
    };
    let filter_verdict = rules.run(TableName::Filter, filter_hook, &pkt, &mut st);
    // Locally delivered packets never reach POSTROUTING.
    let masquerade = filter_hook != "INPUT"
        && matches!(
            rules.run(TableName::Nat, "POSTROUTING", &pkt, &mut st),
            HookVerdict::Masquerade
        );

    let builtins = [
        "PREROUTING",
        "INPUT",
        "FORWARD",
        "OUTPUT",
        "POSTROUTING",
        "KUBE-MARK-MASQ",
        "KUBE-POSTROUTING",
    ];
    let mut path: Vec<String> = Vec::new();
    let mut service = None;
    for h in &hits {
        let decisive_filter = h.table == TableName::Filter && !builtins.contains(&h.chain.as_str());
        let nat_chain = h.table == TableName::Nat && !builtins.contains(&h.chain.as_str());
        if (nat_chain || decisive_filter) && path.last() != Some(&h.chain) {
            path.push(h.chain.clone());
        }
        if let Some(o) = rules.owners.get(h.chain.as_str()) {
            service = Some(o.service.to_string());
        }
    }
    let steps = hits
        .into_iter()
        .map(|h| TraceStep {
            table: h.table.as_str().to_string(),
            chain: h.chain,
            rule: h.rule,
        })
        .collect();
    let mut trace = Trace {
        steps,
        path,
        verdict: String::new(),
    };
    match filter_verdict {
        HookVerdict::Reject(comment) => {
            trace.verdict = format!("REJECT ({comment})");
            return RouteDecision::Reject { comment, trace };
        }
        HookVerdict::Drop(comment) => {
            trace.verdict = format!("DROP ({comment})");
            return RouteDecision::Drop { comment, trace };
        }
        _ => {}
    }
    match dnat {
        Some(endpoint) => {
            trace.verdict = format!(
                "DNAT {endpoint}{}",
                if masquerade { " MASQUERADE" } else { "" }
            );
            RouteDecision::Dnat {
                endpoint,
                masquerade,
                service: service.unwrap_or_default(),
                trace,
                ipvs: None,
            }
        }
        None => {
            trace.verdict = "no service rule matched".to_string();
            RouteDecision::NoMatch { trace }
        }
    }
}

#[cfg(test)]
mod tests;
