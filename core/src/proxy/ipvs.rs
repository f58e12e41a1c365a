//! IPVS mode (`pkg/proxy/ipvs/proxier.go`): one virtual server per ClusterIP, external
//! IP, load-balancer IP and NodePort-on-each-node-IP; real servers are the usable
//! endpoints (§5.4 selection); VIPs are bound to the dummy interface `kube-ipvs0`.
//!
//! Scheduling follows the kernel schedulers (`net/netfilter/ipvs/ip_vs_*.c`) over the
//! real-server list in insertion order. Masquerading in IPVS mode is done by iptables
//! rules that match ipsets (`KUBE-CLUSTER-IP`, `KUBE-NODE-PORT-TCP`, `KUBE-LOOP-BACK`…);
//! [`IpvsTable::route`] applies those rules' outcomes directly rather than rendering the
//! ipset-based chains.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};

use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use super::model::{Ipv4Cidr, IpvsScheduler, Protocol, ProxyConfig, ServiceEndpoints};
use super::topology::categorize_endpoints;
use super::{FlowKey, IpvsConnRef, RouteDecision, Trace, TraceStep};
use crate::sort::CollectOrdered;

/// Virtual service key: (address, protocol, port).
pub type VsKey = (Ipv4Addr, Protocol, u16);

/// Which service address a virtual server stands for (decides masquerading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VsKind {
    /// The ClusterIP.
    ClusterIp,
    /// An `externalIPs` entry.
    ExternalIp,
    /// A load-balancer ingress IP.
    LoadBalancer,
    /// A NodePort on one node address.
    NodePort,
}

/// One IPVS virtual service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualServer {
    /// Kind of address.
    pub kind: VsKind,
    /// `ns/name[:port]`.
    pub service: String,
    /// Scheduler.
    pub scheduler: IpvsScheduler,
    /// Persistence timeout (ClientIP affinity), seconds.
    pub persistent_s: Option<u32>,
    /// Real servers in the kernel's list order; kube-proxy gives each weight 1.
    pub dests: Vec<SocketAddrV4>,
    /// The traffic policy for this address is Local (no SNAT for external clients).
    pub policy_local: bool,
    /// `loadBalancerSourceRanges` (load-balancer IPs only).
    pub source_ranges: Vec<Ipv4Cidr>,
}

/// The IPVS table of one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpvsTable {
    /// Virtual services (hashed: every route looks one up; `ipvsadm` output sorts them).
    pub services: FxHashMap<VsKey, VirtualServer>,
    /// Addresses on `kube-ipvs0`, with the number of virtual servers using each (a
    /// ClusterIP is shared by a Service's ports; it is unbound when the last one goes).
    bound: BTreeMap<Ipv4Addr, u32>,
}

/// Real-server weight kube-proxy sets (`DefaultWeight`).
const WEIGHT: u32 = 1;

/// Builds the IPVS table kube-proxy programs for this node.
pub fn sync_ipvs(config: &ProxyConfig, services: &[ServiceEndpoints]) -> IpvsTable {
    let mut t = IpvsTable::default();
    for se in services {
        write_service(config, se, &mut t);
    }
    t
}

/// The virtual servers of one service port, keyed as the table holds them.
fn service_entries(config: &ProxyConfig, se: &ServiceEndpoints) -> Vec<(VsKey, VirtualServer)> {
    let svc = &se.service;
    let Some(cluster_ip) = svc.cluster_ip else {
        return Vec::new();
    };
    let cat = categorize_endpoints(
        &se.endpoints,
        svc,
        &config.node_name,
        config.node_zone.as_deref(),
    );
    let addrs = |eps: &[super::EndpointInfo]| -> Vec<SocketAddrV4> {
        eps.iter()
            .map(|e| SocketAddrV4::new(e.ip, e.port))
            .collect()
    };
    let internal = if svc.internal_policy_local() {
        addrs(&cat.local)
    } else {
        addrs(&cat.cluster)
    };
    let external = if svc.external_policy_local() {
        addrs(&cat.local)
    } else {
        addrs(&cat.cluster)
    };
    let name = svc.port_name_string();
    let vs = |kind, dests: &Vec<SocketAddrV4>, policy_local, ranges: Vec<Ipv4Cidr>| VirtualServer {
        kind,
        service: name.clone(),
        scheduler: config.ipvs_scheduler,
        persistent_s: svc.sticky_seconds(),
        dests: dests.clone(),
        policy_local,
        source_ranges: ranges,
    };
    let p = svc.protocol;
    let mut out = vec![(
        (cluster_ip, p, svc.port),
        vs(
            VsKind::ClusterIp,
            &internal,
            svc.internal_policy_local(),
            vec![],
        ),
    )];
    let ext_local = svc.external_policy_local();
    for &ip in &svc.external_ips {
        out.push((
            (ip, p, svc.port),
            vs(VsKind::ExternalIp, &external, ext_local, vec![]),
        ));
    }
    for &ip in &svc.load_balancer_ips {
        let ranges = svc.load_balancer_source_ranges.clone();
        out.push((
            (ip, p, svc.port),
            vs(VsKind::LoadBalancer, &external, ext_local, ranges),
        ));
    }
    if let Some(np) = svc.node_port {
        for &ip in &config.node_ips {
            out.push((
                (ip, p, np),
                vs(VsKind::NodePort, &external, ext_local, vec![]),
            ));
        }
    }
    out
}

/// Keys of the virtual servers of these service ports.
pub fn service_keys<'a>(
    config: &ProxyConfig,
    ports: impl Iterator<Item = &'a ServiceEndpoints>,
) -> std::collections::BTreeSet<VsKey> {
    ports
        .flat_map(|se| service_entries(config, se).into_iter().map(|(k, _)| k))
        .collect_set()
}

fn write_service(config: &ProxyConfig, se: &ServiceEndpoints, t: &mut IpvsTable) {
    for (key, vs) in service_entries(config, se) {
        // NodePort virtual servers sit on node addresses, which are not on kube-ipvs0.
        if vs.kind != VsKind::NodePort {
            *t.bound.entry(key.0).or_default() += 1;
        }
        if let Some(old) = t.services.insert(key, vs) {
            if old.kind != VsKind::NodePort {
                t.unbind(key.0);
            }
        }
    }
}

impl IpvsTable {
    fn unbind(&mut self, ip: Ipv4Addr) {
        if let Some(n) = self.bound.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.bound.remove(&ip);
            }
        }
    }

    /// Partial sync of one Service: removes the virtual servers of its `old` ports and
    /// writes those of its `new` ports; other Services' entries are untouched.
    pub fn replace_service(
        &mut self,
        config: &ProxyConfig,
        old: &[ServiceEndpoints],
        new: &[ServiceEndpoints],
    ) {
        for se in old {
            for (key, _) in service_entries(config, se) {
                if let Some(vs) = self.services.remove(&key) {
                    if vs.kind != VsKind::NodePort {
                        self.unbind(key.0);
                    }
                }
            }
        }
        for se in new {
            write_service(config, se, self);
        }
    }
}

impl IpvsTable {
    /// Whether `ip` is bound to `kube-ipvs0` (hence a local address of the node).
    pub fn is_bound(&self, ip: Ipv4Addr) -> bool {
        self.bound.contains_key(&ip)
    }

    /// Addresses on `kube-ipvs0`, numerically sorted.
    pub fn bound_addrs(&self) -> Vec<Ipv4Addr> {
        self.bound.keys().copied().collect()
    }

    /// `ipvsadm -Ln` with the runtime's connection counters.
    pub fn ipvsadm_ln(&self, rt: &IpvsRuntime) -> String {
        let mut s = String::from("IP Virtual Server version 1.2.1 (size=4096)\n");
        s.push_str("Prot LocalAddress:Port Scheduler Flags\n");
        s.push_str("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
        // ipvsadm sorts services by protocol number, address, port; dests by address, port.
        let mut keys: Vec<&VsKey> = self.services.keys().collect();
        crate::sort::sort_by_key(&mut keys, |(ip, p, port)| {
            (p.number(), u32::from(*ip), *port)
        });
        for key in keys {
            let Some(vs) = self.services.get(key) else {
                continue;
            };
            let (ip, p, port) = *key;
            let _ = write!(s, "{}  {}:{} {}", p.upper(), ip, port, vs.scheduler.name());
            if let Some(t) = vs.persistent_s {
                let _ = write!(s, " persistent {t}");
            }
            s.push('\n');
            let mut dests = vs.dests.clone();
            crate::sort::sort_by_key(&mut dests, |d| (u32::from(*d.ip()), d.port()));
            for d in dests {
                let (a, i) = rt.counts(key, &d);
                let _ = writeln!(
                    s,
                    "  -> {:<28} {:<7} {:<6} {:<10} {:<10}",
                    d.to_string(),
                    "Masq",
                    WEIGHT,
                    a,
                    i
                );
            }
        }
        s
    }

    /// Routes a new connection: virtual-service lookup, scheduling (with persistence),
    /// and the masquerade decision of IPVS mode's iptables rules.
    pub fn route(
        &self,
        config: &ProxyConfig,
        rt: &mut IpvsRuntime,
        flow: &FlowKey,
        src_local: bool,
        now_ms: u64,
    ) -> RouteDecision {
        let v = self.decide(config, rt, flow, || src_local, now_ms);
        self.render(flow, v)
    }

    /// The scheduling decision of [`IpvsTable::route`] without any text: kernel state
    /// (scheduler cursor, counters, persistence templates) is updated exactly as by
    /// `route`, and [`IpvsTable::render`] turns the result into the traced decision.
    pub(crate) fn decide(
        &self,
        config: &ProxyConfig,
        rt: &mut IpvsRuntime,
        flow: &FlowKey,
        src_local: impl Fn() -> bool,
        now_ms: u64,
    ) -> IpvsVerdict {
        let key = (flow.dst_ip, flow.protocol, flow.dst_port);
        let Some(vs) = self.services.get(&key) else {
            return IpvsVerdict::NoMatch;
        };
        if vs.kind == VsKind::LoadBalancer
            && !vs.source_ranges.is_empty()
            && !vs.source_ranges.iter().any(|c| c.contains(flow.src_ip))
        {
            return IpvsVerdict::SourceRangeDrop;
        }
        let Some(dest) = rt.connect(&key, vs, flow.src_ip, flow.protocol, now_ms) else {
            return IpvsVerdict::NoDest;
        };
        let masquerade = masquerade(config, vs, flow, &src_local, dest);
        IpvsVerdict::Dnat { dest, masquerade }
    }

    /// The traced decision for a verdict [`IpvsTable::decide`] returned for `flow`.
    pub(crate) fn render(&self, flow: &FlowKey, v: IpvsVerdict) -> RouteDecision {
        let key = (flow.dst_ip, flow.protocol, flow.dst_port);
        let Some(vs) = self
            .services
            .get(&key)
            .filter(|_| v != IpvsVerdict::NoMatch)
        else {
            return RouteDecision::NoMatch {
                trace: Trace {
                    verdict: "no IPVS virtual service".into(),
                    ..Trace::default()
                },
            };
        };
        let vs_text = format!(
            "{}  {}:{} {}",
            flow.protocol.upper(),
            flow.dst_ip,
            flow.dst_port,
            vs.scheduler.name()
        );
        let mut trace = Trace {
            steps: vec![TraceStep {
                table: "ipvs".into(),
                chain: vs.service.clone(),
                rule: vs_text.clone(),
            }],
            path: vec![vs_text],
            verdict: String::new(),
        };
        match v {
            IpvsVerdict::NoMatch | IpvsVerdict::SourceRangeDrop => {
                let comment = format!(
                    "{} source not in loadBalancerSourceRanges (KUBE-SOURCE-RANGES-FIREWALL)",
                    vs.service
                );
                trace.verdict = format!("DROP ({comment})");
                RouteDecision::Drop { comment, trace }
            }
            IpvsVerdict::NoDest => {
                // ip_vs_leave: no destination → ICMP port unreachable.
                let comment = format!("{} has no real servers (ICMP port unreachable)", vs.service);
                trace.verdict = format!("REJECT ({comment})");
                RouteDecision::Reject { comment, trace }
            }
            IpvsVerdict::Dnat { dest, masquerade } => {
                trace.steps.push(TraceStep {
                    table: "ipvs".into(),
                    chain: vs.service.clone(),
                    rule: format!("-> {dest} Masq {WEIGHT}"),
                });
                trace.verdict =
                    format!("DNAT {dest}{}", if masquerade { " MASQUERADE" } else { "" });
                RouteDecision::Dnat {
                    endpoint: dest,
                    masquerade,
                    service: vs.service.clone(),
                    trace,
                    ipvs: Some(IpvsConnRef {
                        vip: key.0,
                        port: key.2,
                        protocol: key.1,
                        dest,
                    }),
                }
            }
        }
    }
}

/// IPVS's decision for one new connection, before any text is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpvsVerdict {
    /// No virtual service at the destination.
    NoMatch,
    /// A load-balancer address whose source ranges exclude the client.
    SourceRangeDrop,
    /// The virtual service has no real server.
    NoDest,
    /// Forwarded to a real server.
    Dnat {
        /// The real server.
        dest: SocketAddrV4,
        /// SNAT on the way out.
        masquerade: bool,
    },
}

/// The outcome of IPVS mode's nat rules: `KUBE-SERVICES` marks ClusterIP traffic from
/// outside the cluster CIDR (`KUBE-CLUSTER-IP` set); `KUBE-NODE-PORT`,
/// `KUBE-EXTERNAL-IP` and `KUBE-LOAD-BALANCER` mark external traffic unless the address
/// is in a `…-LOCAL` set (Local policy); `KUBE-LOOP-BACK` masquerades hairpin traffic.
fn masquerade(
    config: &ProxyConfig,
    vs: &VirtualServer,
    flow: &FlowKey,
    src_local: impl Fn() -> bool,
    dest: SocketAddrV4,
) -> bool {
    if *dest.ip() == flow.src_ip {
        return true;
    }
    match vs.kind {
        VsKind::ClusterIp => config.masquerade_all || !config.cluster_cidr.contains(flow.src_ip),
        VsKind::NodePort | VsKind::ExternalIp | VsKind::LoadBalancer => {
            // Asked only here: the address lookup costs more than the rest of a route.
            !vs.policy_local || src_local()
        }
    }
}

/// Kernel-side IPVS state that outlives syncs: connection counters, scheduler cursors,
/// persistence templates. Hash maps (nothing iterates them into output), nested by
/// virtual server so a route finds all of one server's state with one lookup and a
/// partial sync prunes one server's state without a scan; no server's state stays empty,
/// so equal states compare equal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpvsRuntime {
    vs: FxHashMap<VsKey, VsState>,
}

/// The kernel state of one virtual server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct VsState {
    /// (ActiveConn, InActConn) per real server; a server without state has no entry.
    counters: FxHashMap<SocketAddrV4, (u32, u32)>,
    /// rr: last chosen dest.
    rr_last: Option<SocketAddrV4>,
    /// wrr: (last index, current weight).
    wrr: Option<(Option<usize>, i64)>,
    /// Persistence templates: client → (real server, last use ms).
    templates: FxHashMap<Ipv4Addr, (SocketAddrV4, u64)>,
}

impl VsState {
    fn is_empty(&self) -> bool {
        self.counters.is_empty()
            && self.rr_last.is_none()
            && self.wrr.is_none()
            && self.templates.is_empty()
    }

    fn counts(&self, dest: &SocketAddrV4) -> (u32, u32) {
        self.counters.get(dest).copied().unwrap_or((0, 0))
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Linux `hash_32(val, bits)` (`GOLDEN_RATIO_32`).
fn hash_32(val: u32, bits: u32) -> u32 {
    val.wrapping_mul(0x61C8_8647) >> (32 - bits)
}

/// Buckets in the sh / dh tables (`IP_VS_SH_TAB_BITS` = `IP_VS_DH_TAB_BITS` = 8).
const HASH_TAB_SIZE: u32 = 256;

impl IpvsRuntime {
    /// Whether no virtual server holds any state.
    pub fn is_empty(&self) -> bool {
        self.vs.is_empty()
    }

    /// (ActiveConn, InActConn) of one real server.
    pub fn counts(&self, vs: &VsKey, dest: &SocketAddrV4) -> (u32, u32) {
        self.vs.get(vs).map_or((0, 0), |s| s.counts(dest))
    }

    /// Drops state for virtual services / real servers that no longer exist.
    pub fn retain_for(&mut self, t: &IpvsTable) {
        let keys: Vec<VsKey> = self.vs.keys().copied().collect();
        for k in keys {
            self.retain_for_vs(t, &k);
        }
    }

    /// [`IpvsRuntime::retain_for`] limited to the virtual server `k` (after a partial sync
    /// that touched it): cost proportional to that server's state only.
    pub fn retain_for_vs(&mut self, t: &IpvsTable, k: &VsKey) {
        let Some(vs) = t.services.get(k) else {
            self.vs.remove(k);
            return;
        };
        if let Some(st) = self.vs.get_mut(k) {
            st.counters.retain(|d, _| vs.dests.contains(d));
            st.templates.retain(|_, (d, _)| vs.dests.contains(d));
            if st.is_empty() {
                self.vs.remove(k);
            }
        }
    }

    pub(crate) fn closed(&mut self, conn: &IpvsConnRef) {
        if conn.protocol == Protocol::Udp {
            return;
        }
        if let Some(c) = self
            .vs
            .get_mut(&(conn.vip, conn.protocol, conn.port))
            .and_then(|s| s.counters.get_mut(&conn.dest))
        {
            if c.0 > 0 {
                c.0 -= 1;
                c.1 += 1;
            }
        }
    }

    pub(crate) fn expired(&mut self, conn: &IpvsConnRef) {
        if let Some(c) = self
            .vs
            .get_mut(&(conn.vip, conn.protocol, conn.port))
            .and_then(|s| s.counters.get_mut(&conn.dest))
        {
            c.1 = c.1.saturating_sub(1);
        }
    }

    /// Schedules a new connection to `vs` from `client` and counts it as opened on the
    /// chosen real server (`None`: no real server, nothing changes).
    fn connect(
        &mut self,
        key: &VsKey,
        vs: &VirtualServer,
        client: Ipv4Addr,
        proto: Protocol,
        now_ms: u64,
    ) -> Option<SocketAddrV4> {
        if vs.dests.is_empty() {
            return None;
        }
        let st = self.vs.entry(*key).or_default();
        let dest = st.schedule(key, vs, client, now_ms);
        match dest {
            Some(dest) => {
                let c = st.counters.entry(dest).or_default();
                // UDP "connections" are only ever counted as inactive.
                if proto == Protocol::Udp {
                    c.1 += 1;
                } else {
                    c.0 += 1;
                }
            }
            None if st.is_empty() => {
                self.vs.remove(key);
            }
            None => {}
        }
        dest
    }
}

impl VsState {
    fn schedule(
        &mut self,
        key: &VsKey,
        vs: &VirtualServer,
        client: Ipv4Addr,
        now_ms: u64,
    ) -> Option<SocketAddrV4> {
        if let Some(timeout) = vs.persistent_s {
            if let Some(t) = self.templates.get_mut(&client) {
                if now_ms.saturating_sub(t.1) < u64::from(timeout) * 1000 && vs.dests.contains(&t.0)
                {
                    t.1 = now_ms;
                    return Some(t.0);
                }
            }
            let dest = self.pick(key, vs, client)?;
            self.templates.insert(client, (dest, now_ms));
            return Some(dest);
        }
        self.pick(key, vs, client)
    }

    fn pick(&mut self, key: &VsKey, vs: &VirtualServer, client: Ipv4Addr) -> Option<SocketAddrV4> {
        let n = vs.dests.len();
        if n == 0 {
            return None;
        }
        let weight = |_: &SocketAddrV4| i64::from(WEIGHT);
        match vs.scheduler {
            IpvsScheduler::Rr => {
                // ip_vs_rr: the dest after the last one chosen (list head first).
                let start = self
                    .rr_last
                    .and_then(|l| vs.dests.iter().position(|d| *d == l))
                    .map_or(0, |i| i + 1);
                let d = vs.dests[start % n];
                self.rr_last = Some(d);
                Some(d)
            }
            IpvsScheduler::Wrr => {
                let mw = vs.dests.iter().map(weight).max().unwrap_or(0);
                let di = i64::from(vs.dests.iter().map(|_| WEIGHT).fold(0, gcd)).max(1);
                if mw <= 0 {
                    return None;
                }
                let (mut cl, mut cw) = self.wrr.unwrap_or((None, 0));
                // ip_vs_wrr_schedule: walk the list, lowering cw by gcd at each wrap.
                for _ in 0..(n * (mw / di + 1) as usize + 1) {
                    let next = match cl {
                        None => {
                            cw -= di;
                            if cw <= 0 {
                                cw = mw;
                            }
                            0
                        }
                        Some(i) if i + 1 >= n => {
                            cl = None;
                            continue;
                        }
                        Some(i) => i + 1,
                    };
                    cl = Some(next);
                    if weight(&vs.dests[next]) >= cw {
                        self.wrr = Some((cl, cw));
                        return Some(vs.dests[next]);
                    }
                }
                None
            }
            IpvsScheduler::Lc => {
                // overhead = active << 8 + inactive; first minimum wins.
                let oh = |d: &SocketAddrV4| {
                    let (a, i) = self.counts(d);
                    (u64::from(a) << 8) + u64::from(i)
                };
                vs.dests.iter().copied().min_by_key(|d| oh(d))
            }
            IpvsScheduler::Wlc | IpvsScheduler::Sed | IpvsScheduler::Nq => {
                let oh = |d: &SocketAddrV4| {
                    let (a, i) = self.counts(d);
                    match vs.scheduler {
                        IpvsScheduler::Wlc => (u64::from(a) << 8) + u64::from(i),
                        _ => u64::from(a) + 1,
                    }
                };
                if vs.scheduler == IpvsScheduler::Nq {
                    // Never queue: an idle server is taken at once.
                    if let Some(d) = vs.dests.iter().find(|d| self.counts(d).0 == 0) {
                        return Some(*d);
                    }
                }
                // least = the dest minimising overhead / weight; ties keep the earlier one
                // (`loh * dw > doh * lw` replaces only on strictly better).
                let mut least = vs.dests[0];
                let mut loh = oh(&least);
                for d in &vs.dests[1..] {
                    let doh = oh(d);
                    if loh * u64::from(WEIGHT) > doh * u64::from(WEIGHT) {
                        least = *d;
                        loh = doh;
                    }
                }
                Some(least)
            }
            IpvsScheduler::Sh => {
                // ip_vs_sh: bucket = hash_32(client + port(0)); buckets filled round-robin.
                let bucket = hash_32(u32::from(client), 8) % HASH_TAB_SIZE;
                Some(vs.dests[bucket as usize % n])
            }
            IpvsScheduler::Dh => {
                // ip_vs_dh hashes the destination (the VIP) itself.
                let bucket = u32::from(key.0).wrapping_mul(2_654_435_761) & (HASH_TAB_SIZE - 1);
                Some(vs.dests[bucket as usize % n])
            }
        }
    }
}

fn mac_for(seed: &str) -> String {
    let d = Sha256::digest(seed.as_bytes());
    // Locally administered, unicast.
    let b0 = (d[0] & 0xfe) | 0x02;
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b0, d[1], d[2], d[3], d[4], d[5]
    )
}

/// `ip addr` for a node: `lo`, `eth0` (node IPs, Docker-style MAC from the first one)
/// and, when `ipvs_vips` is given, the `kube-ipvs0` dummy interface with every VIP as /32.
pub fn render_ip_addr(config: &ProxyConfig, ipvs_vips: Option<&[Ipv4Addr]>) -> String {
    let mut s = String::new();
    s.push_str("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n");
    s.push_str("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n");
    s.push_str(
        "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n",
    );
    s.push_str("2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default \n");
    let mac = match config.node_ips.first() {
        Some(ip) => {
            let o = ip.octets();
            format!("02:42:{:02x}:{:02x}:{:02x}:{:02x}", o[0], o[1], o[2], o[3])
        }
        None => mac_for(&config.node_name),
    };
    let _ = writeln!(s, "    link/ether {mac} brd ff:ff:ff:ff:ff:ff");
    for (i, ip) in config.node_ips.iter().enumerate() {
        let net = Ipv4Cidr::new(*ip, config.node_ip_prefix.min(32)).unwrap_or(Ipv4Cidr::host(*ip));
        let _ = writeln!(
            s,
            "    inet {}/{} brd {} scope global {}eth0\n       valid_lft forever preferred_lft forever",
            ip,
            net.prefix,
            net.broadcast(),
            if i > 0 { "secondary " } else { "" }
        );
    }
    if let Some(vips) = ipvs_vips {
        s.push_str(
            "3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default \n",
        );
        let _ = writeln!(
            s,
            "    link/ether {} brd ff:ff:ff:ff:ff:ff",
            mac_for(&format!("kube-ipvs0/{}", config.node_name))
        );
        for ip in vips {
            let _ = writeln!(s, "    inet {ip}/32 scope global kube-ipvs0\n       valid_lft forever preferred_lft forever");
        }
    }
    s
}
