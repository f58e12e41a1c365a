//! The data plane: what happens to a request on the simulated machines.
//!
//! A request is a flow (client, source IP, destination IP:port, protocol, connection id).
//! A new connection is routed by the rules programmed on the node it enters the cluster
//! at (the client pod's node, the node an external client targets, or the node the cloud
//! load balancer picks) *at that moment* — possibly stale — with the proxy mode's own
//! algorithm ([`crate::proxy::NodeProxy::route`]). Conntrack then pins the connection to
//! its endpoint: keep-alive clients keep their pod until it goes away. Delivery checks the
//! real machines ([`crate::infra::Infra`]): a rule pointing at a pod that is gone times
//! out, an app that is not listening refuses, a connection whose pod terminates is reset.
//!
//! Every request ends in exactly one [`Outcome`] with its cause, counted in [`Stats`]
//! and kept (with its trace) in a bounded log.
//!
//! Simplifications (documented, deliberate): requests take no time (a response is
//! immediate); DNS is answered from the API directly rather than by routing to
//! `kube-dns`; the cloud load balancer's health checks see each node's state at once.

pub mod conntrack;
pub mod dns;
pub mod programs;
pub mod stats;
pub mod traffic;
pub mod verbs;

use crate::api::*;
use crate::apiserver::{ApiServer, ObjectKey};
use crate::infra::Infra;
use crate::proxy::{
    categorize_endpoints, FlowKey, IpvsConnRef, NodeProxy, Protocol, ProxyMode, RouteDecision,
    SourceKind, Trace,
};
use crate::time::Millis;
use conntrack::{ConnEntry, Conntrack};
pub use programs::{NodePrograms, NodeRules, SyncStatus};
pub use stats::{Outcome, Stats};
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
pub use traffic::{Generator, TrafficController, TrafficSource, TrafficSpec};

/// How long a client waits for a connection (as `curl --connect-timeout 5`).
pub const CONNECT_TIMEOUT_MS: Millis = 5_000;
/// Requests kept in the log for the UI and `trace`.
pub const LOG_CAPACITY: usize = 256;
/// IPVS keeps a closed TCP connection's entry (TIME_WAIT) this long before it leaves
/// `InActConn` (`ip_vs_proto_tcp.c`: TIME_WAIT 2 minutes).
const IPVS_TIME_WAIT_MS: Millis = 120_000;

/// A keep-alive connection a client holds open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Node whose conntrack holds the connection (where it was routed).
    pub node: String,
    /// Conntrack key.
    pub key: conntrack::ConnKey,
    /// Endpoint it is pinned to.
    pub endpoint: SocketAddrV4,
    /// The pod (sandbox uid) that accepted it.
    pub sandbox_uid: SharedStr,
    /// Source address the pod sees.
    pub seen_src: Ipv4Addr,
    /// Service the connection went through, if any.
    pub service: String,
    /// IPVS connection entry.
    pub ipvs: Option<IpvsConnRef>,
    /// Trace of the routing decision made when it was opened.
    pub trace: Option<(String, Trace)>,
}

/// Who sends a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    /// A pod in the cluster.
    Pod(ObjectKey),
    /// A client outside the cluster with this address.
    External(Ipv4Addr),
}

/// One request's recorded fate.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// Sequence number.
    pub id: u64,
    /// Virtual time it was sent.
    pub at: Millis,
    /// Who sent it (`pod default/client` or `external 203.0.113.10`).
    pub client: String,
    /// Source address as sent.
    pub src: Ipv4Addr,
    /// Source port.
    pub sport: u16,
    /// Destination as the client addressed it (`host:port`).
    pub target: String,
    /// Destination address after DNS.
    pub dst: Option<SocketAddrV4>,
    /// Traffic generator, if any.
    pub generator: Option<u32>,
    /// Whether it opened a new connection (false: reused a keep-alive one).
    pub new_connection: bool,
    /// The outcome.
    pub outcome: Outcome,
    /// Why, in words.
    pub cause: String,
    /// Node whose rules routed it, and what they did.
    pub hops: Vec<(String, Trace)>,
}

impl RequestRecord {
    /// The pod that served it, if any.
    pub fn served_by(&self) -> Option<&ObjectKey> {
        match &self.outcome {
            Outcome::Served { pod, .. } => Some(pod),
            _ => None,
        }
    }
}

/// All data-plane state of the cluster: each node's programmed rules and conntrack, the
/// traffic generators, the outcome counters and the request log.
#[derive(Debug, Clone, Default)]
pub struct DataPlane {
    /// `--proxy-mode` of every node.
    pub mode: ProxyMode,
    /// Every node's programmed kube-proxy rules.
    pub programs: NodePrograms,
    conntrack: BTreeMap<String, Conntrack>,
    pub(crate) generators: BTreeMap<u32, Generator>,
    pub(crate) next_generator: u32,
    /// Outcome counters.
    pub stats: Stats,
    log: VecDeque<RequestRecord>,
    next_request: u64,
    next_sport: u16,
    ipvs_expiry: VecDeque<(Millis, String, IpvsConnRef)>,
}

impl DataPlane {
    /// A data plane whose nodes run kube-proxy in `mode`.
    pub fn new(mode: ProxyMode) -> Self {
        DataPlane {
            mode,
            ..Default::default()
        }
    }

    /// Forgets a deleted node.
    pub fn remove_node(&mut self, node: &str) {
        self.programs.remove(node);
        self.conntrack.remove(node);
    }

    // ---- read by the UI ------------------------------------------------------------------

    /// A node's kube-proxy sync record.
    pub fn node(&self, node: &str) -> Option<&NodeRules> {
        self.programs.node(node)
    }

    /// The nodes kube-proxy has programmed.
    pub fn nodes(&self) -> impl Iterator<Item = (&String, &NodeRules)> {
        self.programs.nodes()
    }

    /// A node's programmed rules, as of its last sync.
    pub fn proxy(&self, node: &str) -> Option<std::cell::Ref<'_, NodeProxy>> {
        self.programs.proxy(node)
    }

    /// In sync / stale since, for the UI.
    pub fn sync_status(&self, node: &str) -> SyncStatus {
        self.programs.status(node)
    }

    /// A node's conntrack table.
    pub fn conntrack(&self, node: &str) -> Option<&Conntrack> {
        self.conntrack.get(node)
    }

    /// The most recent requests, oldest first.
    pub fn log(&self) -> impl DoubleEndedIterator<Item = &RequestRecord> {
        self.log.iter()
    }

    /// The last request.
    pub fn last(&self) -> Option<&RequestRecord> {
        self.log.back()
    }

    /// The traffic generators.
    pub fn generators(&self) -> impl Iterator<Item = (&u32, &Generator)> {
        self.generators.iter()
    }

    fn record(&mut self, r: RequestRecord) {
        self.stats.record(r.at, &r.outcome, &r.cause);
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(r);
    }

    fn next_sport(&mut self) -> u16 {
        // Linux's default ephemeral range, 32768-60999.
        let p = 32768 + self.next_sport % (60999 - 32768 + 1);
        self.next_sport = self.next_sport.wrapping_add(1) % (60999 - 32768 + 1);
        p
    }

    fn expire_ipvs(&mut self, now: Millis) {
        while self.ipvs_expiry.front().is_some_and(|(t, _, _)| *t <= now) {
            if let Some((_, node, conn)) = self.ipvs_expiry.pop_front() {
                if let Some(p) = self.programs.proxy_mut(&node) {
                    p.ipvs_conn_expired(&conn);
                }
            }
        }
    }

    fn close(
        &mut self,
        node: &str,
        key: &conntrack::ConnKey,
        ipvs: Option<IpvsConnRef>,
        now: Millis,
    ) {
        if let Some(ct) = self.conntrack.get_mut(node) {
            ct.close(key, now);
        }
        if let Some(conn) = ipvs {
            if let Some(p) = self.programs.proxy_mut(node) {
                p.ipvs_conn_closed(&conn);
            }
            self.ipvs_expiry
                .push_back((now + IPVS_TIME_WAIT_MS, node.to_string(), conn));
        }
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// Who sends it.
    pub client: Client,
    /// Host as given (name or IP).
    pub host: String,
    /// Destination port.
    pub port: u16,
    /// HTTP path (for the echo).
    pub path: String,
    /// Traffic generator, if any.
    pub generator: Option<u32>,
}

/// The result of sending one request: its record, and the connection left open when the
/// client keeps it alive.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The recorded request.
    pub record: RequestRecord,
    /// Open connection (keep-alive only, served requests only).
    pub connection: Option<Connection>,
}

fn client_label(c: &Client) -> String {
    match c {
        Client::Pod(k) => format!("pod {k}"),
        Client::External(ip) => format!("external {ip}"),
    }
}

/// The source a client sends from: (address, node it sits on, namespace for DNS).
fn client_origin(
    api: &ApiServer,
    infra: &Infra,
    c: &Client,
) -> Result<(Ipv4Addr, Option<String>, Option<String>), String> {
    match c {
        Client::External(ip) => Ok((*ip, None, None)),
        Client::Pod(k) => {
            let pod = api.get::<Pod>(&k.namespace, &k.name).ok_or_else(|| {
                format!(
                    "Error from server (NotFound): pods \"{}\" not found",
                    k.name
                )
            })?;
            let ip = pod
                .status
                .pod_ip
                .as_deref()
                .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
                .filter(|ip| infra.sandbox(&ip.to_string()).is_some())
                .ok_or_else(|| {
                    let c = pod
                        .spec
                        .containers
                        .first()
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    format!("error: unable to upgrade connection: container not found (\"{c}\")")
                })?;
            let node = pod.spec.node_name.to_string();
            if !infra.node_up(&node) {
                return Err(format!(
                    "Error from server: error dialing backend: dial tcp {}:10250: connect: no route to host",
                    node_ip_of(api, &node).map(|i| i.to_string()).unwrap_or_default()
                ));
            }
            Ok((ip, Some(node), Some(k.namespace.to_string())))
        }
    }
}

/// A node's InternalIP from the API.
pub fn node_ip_of(api: &ApiServer, node: &str) -> Option<Ipv4Addr> {
    api.get::<Node>("", node)?
        .status
        .addresses
        .iter()
        .find(|a| a.type_ == "InternalIP")
        .and_then(|a| a.address.parse().ok())
}

/// The node whose InternalIP is `ip`.
fn node_with_ip(api: &ApiServer, ip: Ipv4Addr) -> Option<String> {
    api.nodes.iter().find_map(|n| {
        n.status
            .addresses
            .iter()
            .any(|a| a.type_ == "InternalIP" && a.address.parse() == Ok(ip))
            .then(|| n.metadata.name.to_string())
    })
}

/// The LoadBalancer Service whose ingress IP is `ip`.
fn lb_service(api: &ApiServer, ip: Ipv4Addr) -> Option<std::rc::Rc<Service>> {
    api.services
        .iter()
        .find(|s| {
            s.spec.type_.as_deref() == Some("LoadBalancer")
                && s.status
                    .load_balancer
                    .ingress
                    .iter()
                    .any(|i| i.ip.as_deref().and_then(|x| x.parse().ok()) == Some(ip))
        })
        .cloned()
}

/// Whether `ip` is in the cluster's pod CIDR (as configured) or its Service CIDR: addresses
/// that only mean something inside the cluster.
fn in_cluster_ranges(infra: &Infra, ip: Ipv4Addr) -> bool {
    let service = u32::from(ip).wrapping_sub(crate::apiserver::allocators::SERVICE_CIDR_BASE);
    infra.cluster_cidr.contains(ip) || service < crate::apiserver::allocators::SERVICE_CIDR_SIZE
}

/// Nodes the cloud load balancer of `svc` sends to: nodes that are up, and with
/// `externalTrafficPolicy: Local` only those whose kube-proxy health check
/// (`healthCheckNodePort`) reports local endpoints in its programmed state.
fn lb_backends(dp: &DataPlane, infra: &Infra, api: &ApiServer, svc: &Service) -> Vec<String> {
    let local = svc.spec.external_traffic_policy.as_deref() == Some("Local");
    let key = format!("{}/{}", svc.metadata.namespace, svc.metadata.name);
    api.nodes
        .iter()
        .map(|n| n.metadata.name.to_string())
        .filter(|n| infra.node_up(n))
        .filter(|n| {
            !local
                || dp.proxy(n).is_some_and(|p| {
                    p.services().get(&key).is_some_and(|ports| {
                        ports.iter().any(|se| {
                            !categorize_endpoints(&se.endpoints, &se.service, n, None)
                                .local
                                .is_empty()
                        })
                    })
                })
        })
        .collect()
}

/// Sends one request on a new connection (or on `reuse`, an open keep-alive connection).
pub fn send(
    api: &mut ApiServer,
    infra: &mut Infra,
    spec: &RequestSpec,
    reuse: Option<&Connection>,
    keep_alive: bool,
) -> Result<Sent, String> {
    let mut dp = std::mem::take(&mut infra.dataplane);
    let res = send_inner(&mut dp, api, infra, spec, reuse, keep_alive);
    infra.dataplane = dp;
    res
}

fn send_inner(
    dp: &mut DataPlane,
    api: &mut ApiServer,
    infra: &Infra,
    spec: &RequestSpec,
    reuse: Option<&Connection>,
    keep_alive: bool,
) -> Result<Sent, String> {
    let now = api.now;
    dp.expire_ipvs(now);
    let (src, client_node, ns) = client_origin(api, infra, &spec.client)?;
    dp.next_request += 1;
    let mut rec = RequestRecord {
        id: dp.next_request,
        at: now,
        client: client_label(&spec.client),
        src,
        sport: 0,
        target: format!("{}:{}", spec.host, spec.port),
        dst: None,
        generator: spec.generator,
        new_connection: reuse.is_none(),
        outcome: Outcome::TimedOut,
        cause: String::new(),
        hops: Vec::new(),
    };

    // An open keep-alive connection stays on its pod (conntrack), whatever the rules say now.
    if let Some(conn) = reuse {
        rec.sport = conn.key.sport;
        rec.dst = Some(SocketAddrV4::new(conn.key.dst, conn.key.dport));
        if let Some(t) = &conn.trace {
            rec.hops.push(t.clone());
        }
        let sb = infra.sandbox(&conn.endpoint.ip().to_string());
        let (outcome, cause) = match sb {
            _ if !infra.node_up(&conn.node) => (
                Outcome::TimedOut,
                format!("node {} that routed the connection is down", conn.node),
            ),
            Some(s) if s.uid == conn.sandbox_uid && !infra.node_up(&s.node) => (
                Outcome::TimedOut,
                format!("node {} of the pod is down", s.node),
            ),
            Some(s) if s.uid == conn.sandbox_uid && s.listening => (
                Outcome::Served {
                    pod: s.pod.clone(),
                    node: s.node.to_string(),
                    pod_ip: *conn.endpoint.ip(),
                    seen_src: conn.seen_src,
                },
                "kept-alive connection (conntrack ESTABLISHED)".to_string(),
            ),
            Some(s) if s.uid == conn.sandbox_uid => (
                Outcome::Reset,
                format!(
                    "pod {} stopped listening (SIGTERM) under an open connection",
                    s.pod.name
                ),
            ),
            _ => (
                Outcome::Reset,
                format!(
                    "pod at {} terminated under an open connection",
                    conn.endpoint.ip()
                ),
            ),
        };
        let served = matches!(outcome, Outcome::Served { .. });
        rec.outcome = outcome;
        rec.cause = cause;
        let connection = if served && keep_alive {
            Some(conn.clone())
        } else {
            dp.close(&conn.node, &conn.key, conn.ipvs, now);
            None
        };
        dp.record(rec.clone());
        return Ok(Sent {
            record: rec,
            connection,
        });
    }

    // DNS.
    let dst_ip = match spec.host.parse::<Ipv4Addr>() {
        Ok(ip) => ip,
        Err(_) => match dns::resolve(api, &spec.host, ns.as_deref()) {
            Ok(ans) => match ans.addresses.as_slice() {
                [] => {
                    return finish(
                        dp,
                        rec,
                        Outcome::NotRoutable,
                        format!(
                            "could not resolve host: {}",
                            ans.cname.unwrap_or_else(|| spec.host.clone())
                        ),
                        None,
                    );
                }
                addrs => addrs[api.rng.below(addrs.len() as u64) as usize],
            },
            Err(_) => {
                return finish(
                    dp,
                    rec,
                    Outcome::NotRoutable,
                    format!("could not resolve host: {}", spec.host),
                    None,
                );
            }
        },
    };
    let dst = SocketAddrV4::new(dst_ip, spec.port);
    rec.dst = Some(dst);
    let sport = dp.next_sport();
    rec.sport = sport;

    // Where the connection enters the cluster.
    let (entry_node, source) = match &client_node {
        Some(n) => (n.clone(), SourceKind::Pod),
        None => {
            if let Some(svc) = lb_service(api, dst_ip) {
                let backends = lb_backends(dp, infra, api, &svc);
                if backends.is_empty() {
                    return finish(
                        dp,
                        rec,
                        Outcome::TimedOut,
                        format!("load balancer {dst_ip} has no healthy node"),
                        None,
                    );
                }
                let pick = backends[api.rng.below(backends.len() as u64) as usize].clone();
                (pick, SourceKind::External)
            } else if let Some(n) = node_with_ip(api, dst_ip) {
                if !infra.node_up(&n) {
                    return finish(
                        dp,
                        rec,
                        Outcome::TimedOut,
                        format!("node {n} is down"),
                        None,
                    );
                }
                (n, SourceKind::External)
            } else if in_cluster_ranges(infra, dst_ip) {
                return finish(dp, rec, Outcome::NotRoutable, format!("{dst_ip} is a cluster-internal address, not routable from outside the cluster"), None);
            } else {
                return finish(
                    dp,
                    rec,
                    Outcome::NotRoutable,
                    format!("no route to {dst_ip}"),
                    None,
                );
            }
        }
    };

    // Route through the entry node's rules; traffic to another node's address is routed
    // again by that node's rules when it arrives there.
    let mut node = entry_node;
    let mut decision;
    let mut hops_left = 2;
    loop {
        let flow = FlowKey {
            src_ip: src,
            source,
            dst_ip,
            dst_port: spec.port,
            protocol: Protocol::Tcp,
        };
        decision = match dp.programs.proxy_mut(&node) {
            Some(p) => p.route(&flow, now, &mut api.rng),
            None => RouteDecision::NoMatch {
                trace: Trace {
                    verdict: "kube-proxy has not programmed this node yet".into(),
                    ..Default::default()
                },
            },
        };
        rec.hops.push((node.clone(), decision.trace().clone()));
        if let RouteDecision::NoMatch { .. } = decision {
            if let Some(other) = node_with_ip(api, dst_ip) {
                if other != node && hops_left > 0 {
                    hops_left -= 1;
                    if !infra.node_up(&other) {
                        return finish(
                            dp,
                            rec,
                            Outcome::TimedOut,
                            format!("node {other} is down"),
                            None,
                        );
                    }
                    node = other;
                    continue;
                }
            }
        }
        break;
    }

    let node_addr = node_ip_of(api, &node).unwrap_or(Ipv4Addr::UNSPECIFIED);
    let (endpoint, masquerade, service, ipvs) = match decision {
        RouteDecision::Dnat {
            endpoint,
            masquerade,
            service,
            ipvs,
            ..
        } => (endpoint, masquerade, service, ipvs),
        RouteDecision::Reject { comment, .. } => {
            return finish(
                dp,
                rec,
                Outcome::Refused,
                format!("REJECT on {node}: {comment}"),
                None,
            );
        }
        RouteDecision::Drop { comment, .. } => {
            return finish(
                dp,
                rec,
                Outcome::Dropped,
                format!("DROP on {node}: {comment}"),
                None,
            );
        }
        RouteDecision::NoMatch { .. } => {
            if node_with_ip(api, dst_ip).is_some() {
                return finish(
                    dp,
                    rec,
                    Outcome::Refused,
                    format!("nothing listens on {dst_ip}:{} (not a NodePort)", spec.port),
                    None,
                );
            }
            let o = dst_ip.octets();
            if o[0] == 10 && o[1] == 244 {
                // Pod to pod IP: plain routing, no NAT.
                (dst, false, String::new(), None)
            } else {
                return finish(
                    dp,
                    rec,
                    Outcome::TimedOut,
                    format!("no rule for {dst} on {node}: nothing answers"),
                    None,
                );
            }
        }
    };
    let seen_src = if masquerade { node_addr } else { src };
    let key = conntrack::ConnKey {
        proto: Protocol::Tcp,
        src,
        sport,
        dst: dst_ip,
        dport: spec.port,
    };
    let ep_ip = endpoint.ip().to_string();
    let (outcome, cause) = match infra.sandbox(&ep_ip) {
        None => (
            Outcome::TimedOut,
            if service.is_empty() {
                format!("no pod has address {ep_ip}")
            } else {
                format!("stale rule on {node}: {service} → {endpoint}, but no pod has that address any more")
            },
        ),
        Some(s) if !infra.node_up(&s.node) => (
            Outcome::TimedOut,
            format!("node {} of pod {} is down", s.node, s.pod.name),
        ),
        Some(s) if !s.listening => (
            Outcome::Refused,
            format!(
                "pod {} is not listening (starting, or terminating after SIGTERM)",
                s.pod.name
            ),
        ),
        Some(s) if !infra.accepts(&ep_ip, i32::from(endpoint.port())) => (
            Outcome::Refused,
            format!("pod {} listens on no port {}", s.pod.name, endpoint.port()),
        ),
        Some(s) => (
            Outcome::Served {
                pod: s.pod.clone(),
                node: s.node.to_string(),
                pod_ip: *endpoint.ip(),
                seen_src,
            },
            if service.is_empty() {
                "direct to pod IP".to_string()
            } else {
                format!("{service} via {node}")
            },
        ),
    };
    let served = matches!(outcome, Outcome::Served { .. });
    let uid = infra
        .sandbox(&ep_ip)
        .map(|s| s.uid.clone())
        .unwrap_or_default();
    // Conntrack: the connection's entry on the routing node.
    let entry = ConnEntry {
        key,
        reply_src: endpoint,
        reply_dst: SocketAddrV4::new(seen_src, sport),
        established: served,
        expires_at: now
            + if served {
                conntrack::ESTABLISHED_TIMEOUT_MS
            } else {
                conntrack::SYN_SENT_TIMEOUT_MS
            },
    };
    dp.conntrack
        .entry(node.clone())
        .or_default()
        .insert(entry, now);
    let connection = if served && keep_alive {
        Some(Connection {
            node: node.clone(),
            key,
            endpoint,
            sandbox_uid: uid,
            seen_src,
            service,
            ipvs,
            trace: rec.hops.last().cloned(),
        })
    } else {
        if served {
            dp.close(&node, &key, ipvs, now);
        } else if let Some(conn) = ipvs {
            if let Some(p) = dp.programs.proxy_mut(&node) {
                p.ipvs_conn_closed(&conn);
            }
            dp.ipvs_expiry
                .push_back((now + IPVS_TIME_WAIT_MS, node.clone(), conn));
        }
        None
    };
    rec.outcome = outcome;
    rec.cause = cause;
    dp.record(rec.clone());
    Ok(Sent {
        record: rec,
        connection,
    })
}

fn finish(
    dp: &mut DataPlane,
    mut rec: RequestRecord,
    outcome: Outcome,
    cause: String,
    connection: Option<Connection>,
) -> Result<Sent, String> {
    rec.outcome = outcome;
    rec.cause = cause;
    dp.record(rec.clone());
    Ok(Sent {
        record: rec,
        connection,
    })
}
