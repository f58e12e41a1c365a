//! kube-proxy's view of the cluster, as its caches (`servicechangetracker.go`,
//! `endpointslicecache.go`) hold it after conversion from Services and EndpointSlices.
//!
//! The kube-proxy controller converts API objects into these types; everything else in
//! `proxy/` (rule generation, rendering, routing) works only from them. IPv4 only: the
//! simulated cluster is single-stack, like the `ip kube-proxy` nftables table.

use std::fmt;
use std::net::Ipv4Addr;
use std::rc::Rc;
use std::str::FromStr;

/// Layer-4 protocol of a Service port (`v1.Protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// `TCP` (the API default).
    Tcp,
    /// `UDP`.
    Udp,
    /// `SCTP`.
    Sctp,
}

impl Protocol {
    /// Lower-case name as kube-proxy writes it in rules and hashes (`tcp`).
    pub fn lower(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }

    /// API spelling (`TCP`), also what `ipvsadm` prints.
    pub fn upper(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// IANA protocol number; `ipvsadm` sorts virtual services by it.
    pub fn number(self) -> u8 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.upper())
    }
}

/// An IPv4 CIDR block (`10.244.0.0/16`). The address is kept as written; matching
/// masks it, as the kernel does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    /// Network address as written.
    pub addr: Ipv4Addr,
    /// Prefix length, 0..=32.
    pub prefix: u8,
}

impl Ipv4Cidr {
    /// Builds a CIDR; `None` when the prefix exceeds 32.
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Option<Self> {
        (prefix <= 32).then_some(Ipv4Cidr { addr, prefix })
    }

    /// A /32 for one address.
    pub fn host(addr: Ipv4Addr) -> Self {
        Ipv4Cidr { addr, prefix: 32 }
    }

    fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix.min(32)))
        }
    }

    /// Whether `ip` lies inside the block.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let m = self.mask();
        u32::from(ip) & m == u32::from(self.addr) & m
    }

    /// The network address with host bits cleared (what `iptables-save` prints).
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }

    /// The broadcast address of the block (`ip addr` prints it as `brd`).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Error parsing an [`Ipv4Cidr`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrParseError(pub String);

impl fmt::Display for CidrParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid CIDR address: {}", self.0)
    }
}

impl std::error::Error for CidrParseError {}

impl FromStr for Ipv4Cidr {
    type Err = CidrParseError;

    /// Parses `a.b.c.d/n`; a bare address is taken as /32.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CidrParseError(s.to_string());
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, p)) => {
                // Only plain decimal digits, as net.ParseCIDR accepts.
                if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                (ip, p.parse::<u8>().map_err(|_| err())?)
            }
            None => (s, 32),
        };
        let addr = ip.parse::<Ipv4Addr>().map_err(|_| err())?;
        Ipv4Cidr::new(addr, prefix).ok_or_else(err)
    }
}

/// `spec.sessionAffinity` (+ `sessionAffinityConfig.clientIP.timeoutSeconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionAffinity {
    /// No affinity (the default).
    #[default]
    None,
    /// Stick each client IP to one endpoint for `timeout_s` seconds after its last
    /// connection (default 10800, see [`DEFAULT_CLIENT_IP_AFFINITY_SECONDS`]).
    ClientIp {
        /// `timeoutSeconds`.
        timeout_s: u32,
    },
}

/// `DefaultClientIPServiceAffinitySeconds` (3 hours).
pub const DEFAULT_CLIENT_IP_AFFINITY_SECONDS: u32 = 10800;

/// `externalTrafficPolicy` / `internalTrafficPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrafficPolicy {
    /// Any ready endpoint in the cluster (the default for both).
    #[default]
    Cluster,
    /// Only endpoints on the node that received the traffic.
    Local,
}

/// One port of one Service, as kube-proxy's service cache holds it (`BaseServicePortInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePortInfo {
    /// Service namespace.
    pub namespace: String,
    /// Service name.
    pub name: String,
    /// `spec.ports[].name`; may be empty for a single-port Service.
    pub port_name: String,
    /// `spec.ports[].protocol`.
    pub protocol: Protocol,
    /// `spec.clusterIP`; `None` for headless Services (and ExternalName), which get no rules.
    pub cluster_ip: Option<Ipv4Addr>,
    /// `spec.ports[].port`.
    pub port: u16,
    /// `spec.ports[].nodePort`, for NodePort and LoadBalancer Services.
    pub node_port: Option<u16>,
    /// `spec.externalIPs`.
    pub external_ips: Vec<Ipv4Addr>,
    /// `status.loadBalancer.ingress[].ip`.
    pub load_balancer_ips: Vec<Ipv4Addr>,
    /// Session affinity.
    pub session_affinity: SessionAffinity,
    /// `spec.externalTrafficPolicy`.
    pub external_traffic_policy: TrafficPolicy,
    /// `spec.internalTrafficPolicy`.
    pub internal_traffic_policy: TrafficPolicy,
    /// `spec.healthCheckNodePort` (LoadBalancer with externalTrafficPolicy Local).
    pub health_check_node_port: Option<u16>,
    /// `spec.loadBalancerSourceRanges`.
    pub load_balancer_source_ranges: Vec<Ipv4Cidr>,
}

impl ServicePortInfo {
    /// A ClusterIP service port with every other field at its default; tests and the
    /// controller start from this and set what differs.
    pub fn new(
        namespace: &str,
        name: &str,
        port_name: &str,
        protocol: Protocol,
        cluster_ip: Option<Ipv4Addr>,
        port: u16,
    ) -> Self {
        ServicePortInfo {
            namespace: namespace.to_string(),
            name: name.to_string(),
            port_name: port_name.to_string(),
            protocol,
            cluster_ip,
            port,
            node_port: None,
            external_ips: Vec::new(),
            load_balancer_ips: Vec::new(),
            session_affinity: SessionAffinity::None,
            external_traffic_policy: TrafficPolicy::Cluster,
            internal_traffic_policy: TrafficPolicy::Cluster,
            health_check_node_port: None,
            load_balancer_source_ranges: Vec::new(),
        }
    }

    /// `"<namespace>/<name>:<portName>"`, or `"<namespace>/<name>"` for an unnamed port
    /// (`ServicePortName.String()`); used in comments and chain hashes.
    pub fn port_name_string(&self) -> String {
        if self.port_name.is_empty() {
            format!("{}/{}", self.namespace, self.name)
        } else {
            format!("{}/{}:{}", self.namespace, self.name, self.port_name)
        }
    }

    /// `ExternallyAccessible`: has a NodePort, external IPs or load-balancer IPs.
    pub fn externally_accessible(&self) -> bool {
        self.node_port.is_some()
            || !self.external_ips.is_empty()
            || !self.load_balancer_ips.is_empty()
    }

    /// `ExternalPolicyLocal`: kube-proxy only honours `externalTrafficPolicy: Local` for
    /// services that have external destinations.
    pub fn external_policy_local(&self) -> bool {
        self.externally_accessible() && self.external_traffic_policy == TrafficPolicy::Local
    }

    /// `InternalPolicyLocal`.
    pub fn internal_policy_local(&self) -> bool {
        self.internal_traffic_policy == TrafficPolicy::Local
    }

    /// `UsesClusterEndpoints`: Cluster internal policy, or any external destination
    /// (pod traffic to external destinations is short-circuited to the cluster endpoints).
    pub fn uses_cluster_endpoints(&self) -> bool {
        !self.internal_policy_local() || self.externally_accessible()
    }

    /// `UsesLocalEndpoints`.
    pub fn uses_local_endpoints(&self) -> bool {
        self.internal_policy_local() || self.external_policy_local()
    }

    /// Affinity timeout in seconds, when ClientIP affinity is on.
    pub fn sticky_seconds(&self) -> Option<u32> {
        match self.session_affinity {
            SessionAffinity::None => None,
            SessionAffinity::ClientIp { timeout_s } => Some(timeout_s),
        }
    }
}

/// One endpoint of one service port, as `endpointslicecache.go` builds it (nil conditions
/// already resolved: ready nil→true, serving nil→true, terminating nil→false).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInfo {
    /// Endpoint address.
    pub ip: Ipv4Addr,
    /// Resolved target port.
    pub port: u16,
    /// `conditions.ready`.
    pub ready: bool,
    /// `conditions.serving`.
    pub serving: bool,
    /// `conditions.terminating`.
    pub terminating: bool,
    /// `nodeName`; `None` when the pod is not scheduled (never local).
    pub node_name: Option<Rc<str>>,
    /// `zone`.
    pub zone: Option<Rc<str>>,
    /// `hints.forZones[].name`; empty = no zone hints (no topology filtering).
    pub zone_hints: Vec<String>,
    /// `hints.forNodes[].name`; empty = no node hints.
    pub node_hints: Vec<String>,
}

impl EndpointInfo {
    /// A ready, serving, not terminating endpoint on `node`.
    pub fn ready(ip: Ipv4Addr, port: u16, node: &str) -> Self {
        EndpointInfo {
            ip,
            port,
            ready: true,
            serving: true,
            terminating: false,
            node_name: Some(node.into()),
            zone: None,
            zone_hints: Vec::new(),
            node_hints: Vec::new(),
        }
    }

    /// `"ip:port"`, kube-proxy's endpoint string; it is both the sort key
    /// (`byEndpoint`) and part of the `KUBE-SEP-` hash input.
    pub fn ip_port(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    /// `IsLocal`: the endpoint's node is this node.
    pub fn is_local(&self, node_name: &str) -> bool {
        self.node_name.as_deref() == Some(node_name)
    }
}

/// A service port together with all its endpoints: one entry of kube-proxy's
/// `svcPortMap` joined with its `endpointsMap` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEndpoints {
    /// The service port.
    pub service: ServicePortInfo,
    /// Its endpoints, in any order (kube-proxy sorts them).
    pub endpoints: Vec<EndpointInfo>,
}

/// `--proxy-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyMode {
    /// `iptables` (the Linux default).
    #[default]
    Iptables,
    /// `ipvs`.
    Ipvs,
    /// `nftables`.
    Nftables,
}

/// `--ipvs-scheduler`: the kernel IPVS schedulers kube-proxy accepts that the data plane
/// implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpvsScheduler {
    /// Round robin (kube-proxy's `defaultScheduler`).
    #[default]
    Rr,
    /// Weighted round robin.
    Wrr,
    /// Least connection.
    Lc,
    /// Weighted least connection.
    Wlc,
    /// Source hashing.
    Sh,
    /// Destination hashing.
    Dh,
    /// Shortest expected delay.
    Sed,
    /// Never queue.
    Nq,
}

impl IpvsScheduler {
    /// The name `ipvsadm` prints and `--ipvs-scheduler` takes.
    pub fn name(self) -> &'static str {
        match self {
            IpvsScheduler::Rr => "rr",
            IpvsScheduler::Wrr => "wrr",
            IpvsScheduler::Lc => "lc",
            IpvsScheduler::Wlc => "wlc",
            IpvsScheduler::Sh => "sh",
            IpvsScheduler::Dh => "dh",
            IpvsScheduler::Sed => "sed",
            IpvsScheduler::Nq => "nq",
        }
    }

    /// Parses a scheduler name; `None` for unknown (or unimplemented) ones.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "rr" => IpvsScheduler::Rr,
            "wrr" => IpvsScheduler::Wrr,
            "lc" => IpvsScheduler::Lc,
            "wlc" => IpvsScheduler::Wlc,
            "sh" => IpvsScheduler::Sh,
            "dh" => IpvsScheduler::Dh,
            "sed" => IpvsScheduler::Sed,
            "nq" => IpvsScheduler::Nq,
            _ => return None,
        })
    }
}

/// kube-proxy's configuration on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// `--proxy-mode`.
    pub mode: ProxyMode,
    /// `--cluster-cidr`, the local-traffic detector (`-s <cidr>` = pod traffic).
    pub cluster_cidr: Ipv4Cidr,
    /// `--iptables-masquerade-bit` (default 14 → mark `0x4000`).
    pub masquerade_bit: u8,
    /// `--masquerade-all`: SNAT all ClusterIP traffic.
    pub masquerade_all: bool,
    /// Whether the node's iptables supports `MASQUERADE --random-fully` (real nodes do;
    /// the fake iptables in `proxier_test.go` does not).
    pub random_fully: bool,
    /// `--ipvs-scheduler`.
    pub ipvs_scheduler: IpvsScheduler,
    /// This node's name (decides which endpoints are local).
    pub node_name: String,
    /// This node's addresses (NodePorts listen on them; `addrtype LOCAL`).
    pub node_ips: Vec<Ipv4Addr>,
    /// Prefix length of the node network (for the `ip addr` listing).
    pub node_ip_prefix: u8,
    /// Node label `topology.kubernetes.io/zone`.
    pub node_zone: Option<String>,
}

impl ProxyConfig {
    /// Defaults for `node_name`: iptables mode, cluster CIDR `10.244.0.0/16`, bit 14, `rr`.
    pub fn new(node_name: &str, node_ips: Vec<Ipv4Addr>) -> Self {
        ProxyConfig {
            mode: ProxyMode::Iptables,
            cluster_cidr: Ipv4Cidr {
                addr: Ipv4Addr::new(10, 244, 0, 0),
                prefix: 16,
            },
            masquerade_bit: 14,
            masquerade_all: false,
            random_fully: true,
            ipvs_scheduler: IpvsScheduler::Rr,
            node_name: node_name.to_string(),
            node_ips,
            node_ip_prefix: 24,
            node_zone: None,
        }
    }

    /// The masquerade mark value, `1 << masquerade_bit` (0x4000 by default); bits above 31
    /// are clamped to 31 (kube-proxy validates the range 0..=31).
    pub fn masquerade_mark(&self) -> u32 {
        1u32 << u32::from(self.masquerade_bit.min(31))
    }

    /// The mark as kube-proxy writes it (`0x4000`).
    pub fn masquerade_mark_str(&self) -> String {
        format!("{:#x}", self.masquerade_mark())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parse_and_contains() {
        let c: Ipv4Cidr = "10.244.0.0/16".parse().expect("valid");
        assert!(c.contains(Ipv4Addr::new(10, 244, 3, 7)));
        assert!(!c.contains(Ipv4Addr::new(10, 245, 0, 1)));
        assert_eq!(c.broadcast(), Ipv4Addr::new(10, 244, 255, 255));
        let all: Ipv4Cidr = "0.0.0.0/0".parse().expect("valid");
        assert!(all.contains(Ipv4Addr::new(203, 0, 113, 9)));
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "x/8",
            "",
        ] {
            assert!(bad.parse::<Ipv4Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn masquerade_mark_default_is_0x4000() {
        let c = ProxyConfig::new("n1", vec![]);
        assert_eq!(c.masquerade_mark(), 0x4000);
        assert_eq!(c.masquerade_mark_str(), "0x4000");
        assert_eq!(c.cluster_cidr.to_string(), "10.244.0.0/16");
        assert_eq!(c.ipvs_scheduler.name(), "rr");
    }

    #[test]
    fn port_name_string_omits_empty_port_name() {
        let named = ServicePortInfo::new("ns1", "svc1", "p80", Protocol::Tcp, None, 80);
        let unnamed = ServicePortInfo::new("ns1", "svc1", "", Protocol::Tcp, None, 80);
        assert_eq!(named.port_name_string(), "ns1/svc1:p80");
        assert_eq!(unnamed.port_name_string(), "ns1/svc1");
    }

    #[test]
    fn external_policy_local_needs_an_external_destination() {
        let mut s = ServicePortInfo::new("ns", "s", "", Protocol::Tcp, None, 80);
        s.external_traffic_policy = TrafficPolicy::Local;
        assert!(!s.external_policy_local());
        s.node_port = Some(30001);
        assert!(s.external_policy_local());
    }
}
