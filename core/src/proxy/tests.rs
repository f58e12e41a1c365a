//! Spec §5.5–§5.7 and §6 behaviours, checked on the generated rules and by routing
//! connections through them.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::iptables::{sync_proxy_rules, RuleSet, TableName};
use super::*;

const NODE: &str = "testHostname";
const OTHER: &str = "host-1";

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("test address")
}

/// The fake proxier of `proxier_test.go`: cluster CIDR 10.0.0.0/8, mark 0x4000, no
/// `--random-fully`.
fn fake_config(mode: ProxyMode) -> ProxyConfig {
    let mut c = ProxyConfig::new(NODE, vec![ip("192.168.0.2")]);
    c.mode = mode;
    c.cluster_cidr = "10.0.0.0/8".parse().expect("cidr");
    c.random_fully = false;
    c
}

fn svc(ns: &str, name: &str, port_name: &str, cluster_ip: &str, port: u16) -> ServicePortInfo {
    ServicePortInfo::new(
        ns,
        name,
        port_name,
        Protocol::Tcp,
        Some(ip(cluster_ip)),
        port,
    )
}

fn ep(addr: &str, port: u16, node: &str) -> EndpointInfo {
    EndpointInfo::ready(ip(addr), port, node)
}

fn se(service: ServicePortInfo, endpoints: Vec<EndpointInfo>) -> ServiceEndpoints {
    ServiceEndpoints { service, endpoints }
}

/// Checks every chain a §5.7 fragment shows against the generated chain, rule for rule.
/// Fragments (a) and (c) are excerpts whose `KUBE-SERVICES` stops before the closing
/// NodePorts rule; `services_excerpt` asserts that rule is last and compares the rest.
fn assert_fragment(rules: &RuleSet, fragment: &str, services_excerpt: bool) {
    let mut table = TableName::Nat;
    let mut expected: BTreeMap<(TableName, String), Vec<String>> = BTreeMap::new();
    for line in fragment.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line {
            "*filter" => table = TableName::Filter,
            "*nat" => table = TableName::Nat,
            _ => {
                let chain = line
                    .split_whitespace()
                    .nth(1)
                    .expect("-A CHAIN")
                    .to_string();
                expected
                    .entry((table, chain))
                    .or_default()
                    .push(line.to_string());
            }
        }
    }
    const NODEPORTS_RULE: &str = "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS";
    for ((t, chain), want) in expected {
        let mut got = rules.table(t).restore_lines(&chain);
        if services_excerpt && t == TableName::Nat && chain == "KUBE-SERVICES" {
            assert_eq!(got.pop().as_deref(), Some(NODEPORTS_RULE));
        }
        assert_eq!(got, want, "{} {chain}", t.as_str());
    }
}

/// (a) TestOverallIPTablesRules: ClusterIP, one endpoint.
fn fragment_a_services() -> Vec<ServiceEndpoints> {
    vec![se(
        svc("ns1", "svc1", "p80", "172.30.0.41", 80),
        vec![ep("10.180.0.1", 80, OTHER)],
    )]
}

const FRAGMENT_A: &str = r#"
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
"#;

/// (b) TestOnlyLocalExternalIPs (and, with Cluster policy, TestNonLocalExternalIPs).
fn fragment_b_services(policy: TrafficPolicy) -> Vec<ServiceEndpoints> {
    let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
    s.external_ips = vec![ip("192.168.99.11")];
    s.external_traffic_policy = policy;
    vec![se(
        s,
        vec![ep("10.180.0.1", 80, OTHER), ep("10.180.2.1", 80, NODE)],
    )]
}

const FRAGMENT_B: &str = r#"
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "pod traffic for ns1/svc1:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "route LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVL-XPGD46QRK7WJZT7O
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-SXIVWICOYRO3J4NJ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.2.1:80" -j KUBE-SEP-ZX7GRIZKSNUQ3LAJ
-A KUBE-SVL-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.2.1:80" -j KUBE-SEP-ZX7GRIZKSNUQ3LAJ
"#;

/// (c) TestTerminatingEndpointsTrafficPolicyLocal, "ready endpoints exist".
fn fragment_c_services(endpoints: Vec<EndpointInfo>) -> Vec<ServiceEndpoints> {
    let mut s = svc("ns1", "svc1", "", "172.30.1.1", 80);
    s.load_balancer_ips = vec![ip("1.2.3.4")];
    s.session_affinity = SessionAffinity::ClientIp { timeout_s: 10800 };
    s.external_traffic_policy = TrafficPolicy::Local;
    s.health_check_node_port = Some(30000);
    vec![se(s, endpoints)]
}

fn fragment_c_endpoints() -> Vec<EndpointInfo> {
    vec![
        ep("10.0.1.1", 80, NODE),
        ep("10.0.1.2", 80, NODE),
        ep("10.0.1.5", 80, OTHER),
    ]
}

const FRAGMENT_C: &str = r#"
*filter
-A KUBE-NODEPORTS -m comment --comment "ns1/svc1 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
*nat
-A KUBE-SERVICES -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-SERVICES -m comment --comment "ns1/svc1 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-AQI2S6QIMU7PVVRP
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "pod traffic for ns1/svc1 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "masquerade LOCAL traffic for ns1/svc1 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "route LOCAL traffic for ns1/svc1 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-EXT-AQI2S6QIMU7PVVRP -j KUBE-SVL-AQI2S6QIMU7PVVRP
-A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -s 10.0.1.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80
-A KUBE-SEP-EQCHZ7S2PJ72OHAY -m comment --comment ns1/svc1 -s 10.0.1.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-EQCHZ7S2PJ72OHAY -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-EQCHZ7S2PJ72OHAY --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.5:80
-A KUBE-SEP-IO5XOSKPAXIFQXAJ -m comment --comment ns1/svc1 -s 10.0.1.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-IO5XOSKPAXIFQXAJ -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.2:80
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --rcheck --seconds 10800 --reap -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --rcheck --seconds 10800 --reap -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.5:80" -m recent --name KUBE-SEP-EQCHZ7S2PJ72OHAY --rcheck --seconds 10800 --reap -j KUBE-SEP-EQCHZ7S2PJ72OHAY
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.5:80" -j KUBE-SEP-EQCHZ7S2PJ72OHAY
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --rcheck --seconds 10800 --reap -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --rcheck --seconds 10800 --reap -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -j KUBE-SEP-IO5XOSKPAXIFQXAJ
"#;

/// (d) Fixed rules of every sync.
const FRAGMENT_D: &str = r#"
*nat
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
*filter
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
"#;

/// (e) ns6/svc6 without endpoints; given every kind of external address too.
fn fragment_e_services() -> Vec<ServiceEndpoints> {
    let mut s = svc("ns6", "svc6", "p80", "172.30.0.46", 80);
    s.external_ips = vec![ip("192.168.99.46")];
    s.load_balancer_ips = vec![ip("5.6.7.8")];
    s.node_port = Some(3006);
    vec![se(s, vec![])]
}

fn rules(services: &[ServiceEndpoints]) -> RuleSet {
    sync_proxy_rules(&fake_config(ProxyMode::Iptables), services)
}

#[test]
fn fragment_a_cluster_ip_one_endpoint() {
    assert_fragment(&rules(&fragment_a_services()), FRAGMENT_A, true);
}

#[test]
fn fragment_b_external_ip_local_policy() {
    assert_fragment(
        &rules(&fragment_b_services(TrafficPolicy::Local)),
        FRAGMENT_B,
        false,
    );
}

#[test]
fn fragment_b_cluster_policy_ext_chain_masquerades() {
    let r = rules(&fragment_b_services(TrafficPolicy::Cluster));
    assert_eq!(
        r.nat.restore_lines("KUBE-EXT-XPGD46QRK7WJZT7O"),
        [
            "-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment \"masquerade traffic for ns1/svc1:p80 external destinations\" -j KUBE-MARK-MASQ",
            "-A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O",
        ]
    );
    assert!(r.nat.chain("KUBE-SVL-XPGD46QRK7WJZT7O").is_none());
}

#[test]
fn fragment_c_load_balancer_affinity_local() {
    assert_fragment(
        &rules(&fragment_c_services(fragment_c_endpoints())),
        FRAGMENT_C,
        true,
    );
}

#[test]
fn fragment_d_fixed_rules() {
    assert_fragment(&rules(&[]), FRAGMENT_D, false);
}

#[test]
fn fragment_e_no_endpoints_only_filter_rules() {
    let r = rules(&fragment_e_services());
    assert_eq!(
        r.filter.restore_lines("KUBE-SERVICES"),
        ["-A KUBE-SERVICES -m comment --comment \"ns6/svc6:p80 has no endpoints\" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT"]
    );
    assert_eq!(
        r.filter.restore_lines("KUBE-EXTERNAL-SERVICES").len(),
        3,
        "externalIP, LB IP, NodePort"
    );
    // nat: nothing but the closing NodePorts rule, and no per-service chain.
    assert_eq!(r.nat.restore_lines("KUBE-SERVICES").len(), 1);
    assert!(r.nat.restore_lines("KUBE-NODEPORTS").is_empty());
    assert!(r
        .nat
        .chain_names()
        .iter()
        .all(|c| !c.starts_with("KUBE-SVC-") && !c.starts_with("KUBE-SEP-")));
}

#[test]
fn iptables_save_prints_canonical_order_and_kernel_probabilities() {
    let r = rules(&fragment_c_services(fragment_c_endpoints()));
    let nat = r.nat.save(None);
    assert!(nat.starts_with("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:KUBE-EXT-AQI2S6QIMU7PVVRP - [0:0]\n"));
    assert!(nat.ends_with("COMMIT\n"));
    // (derived) iptables-save forms of spec lines: addresses first with /32, -p before
    // the matches, xtables quoting, 11-decimal probability, recent defaults, MARK xmark.
    for line in [
        "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        "-A KUBE-SERVICES -d 172.30.1.1/32 -p tcp -m comment --comment \"ns1/svc1 cluster IP\" -m tcp --dport 80 -j KUBE-SVC-AQI2S6QIMU7PVVRP",
        "-A KUBE-SEP-3JOIVZTXZZRGORX4 -s 10.0.1.1/32 -m comment --comment \"ns1/svc1\" -j KUBE-MARK-MASQ",
        "-A KUBE-SEP-3JOIVZTXZZRGORX4 -p tcp -m comment --comment \"ns1/svc1\" -m recent --set --name KUBE-SEP-3JOIVZTXZZRGORX4 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.0.1.1:80",
        "-A KUBE-SVC-AQI2S6QIMU7PVVRP ! -s 10.0.0.0/8 -d 172.30.1.1/32 -p tcp -m comment --comment \"ns1/svc1 cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ",
        "-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.1:80\" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-3JOIVZTXZZRGORX4 --mask 255.255.255.255 --rsource -j KUBE-SEP-3JOIVZTXZZRGORX4",
        "-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.1:80\" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-3JOIVZTXZZRGORX4",
        "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
        "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
    ] {
        assert!(nat.lines().any(|l| l == line), "missing: {line}\n{nat}");
    }
    let filter = r.filter.save(Some("Thu Jan  1 00:00:00 1970"));
    assert!(filter.starts_with("# Generated by iptables-save v1.8.9 on Thu Jan  1 00:00:00 1970\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"));
    assert!(filter.lines().any(|l| l == "-A KUBE-NODEPORTS -p tcp -m comment --comment \"ns1/svc1 health check node port\" -m tcp --dport 30000 -j ACCEPT"));
    assert!(filter.lines().any(|l| l == "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment \"block incoming localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP"));
    // The kube-proxy form keeps the 10-decimal text.
    assert!(r.nat.restore().contains("--probability 0.3333333333 "));
}

#[test]
fn real_nodes_masquerade_random_fully() {
    let r = sync_proxy_rules(&ProxyConfig::new(NODE, vec![ip("192.168.0.2")]), &[]);
    assert_eq!(
        r.nat.restore_lines("KUBE-POSTROUTING")[2],
        "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully"
    );
}

#[test]
fn large_cluster_mode_drops_per_endpoint_comments_above_1000_endpoints() {
    for (n, large) in [(1000usize, false), (1001, true)] {
        let eps: Vec<EndpointInfo> = (0..n)
            .map(|i| EndpointInfo::ready(Ipv4Addr::from(0x0A00_0000u32 + i as u32 + 1), 80, OTHER))
            .collect();
        let r = rules(&[se(svc("ns1", "svc1", "p80", "172.30.0.41", 80), eps)]);
        assert_eq!(r.large_cluster_mode, large);
        let sep = hash::sep_chain("ns1/svc1:p80", "tcp", "10.0.0.1:80");
        let lines = r.nat.restore_lines(&sep);
        assert_eq!(lines[0].contains("-m comment"), !large, "{n}: {}", lines[0]);
        let svc_lines = r.nat.restore_lines("KUBE-SVC-XPGD46QRK7WJZT7O");
        // The ClusterIP masquerade rule keeps its comment either way.
        assert!(svc_lines[0].contains("cluster IP"));
        assert_eq!(svc_lines[1].contains("-> "), !large);
    }
}

// ---------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------

fn flow(src: &str, source: SourceKind, dst: &str, port: u16) -> FlowKey {
    FlowKey {
        src_ip: ip(src),
        source,
        dst_ip: ip(dst),
        dst_port: port,
        protocol: Protocol::Tcp,
    }
}

/// Routes `count` connections and returns endpoint → (connections, masqueraded count).
fn reach(
    node: &mut NodeProxy,
    flows: &[FlowKey],
    count: usize,
    rng: &mut ChaCha8Rng,
) -> BTreeMap<String, (usize, usize)> {
    let mut seen: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for i in 0..count {
        let f = &flows[i % flows.len()];
        match node.route(f, i as u64, rng) {
            RouteDecision::Dnat {
                endpoint,
                masquerade,
                ..
            } => {
                let e = seen.entry(endpoint.to_string()).or_default();
                e.0 += 1;
                e.1 += usize::from(masquerade);
            }
            other => panic!("{f:?} expected DNAT, got {other:?}"),
        }
    }
    seen
}

fn keys(m: &BTreeMap<String, (usize, usize)>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

fn masq_count(m: &BTreeMap<String, (usize, usize)>) -> usize {
    m.values().map(|v| v.1).sum()
}

#[test]
fn fragment_b_packet_flows() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut node = NodeProxy::new(
        fake_config(ProxyMode::Iptables),
        &fragment_b_services(TrafficPolicy::Local),
    );
    let pod = reach(
        &mut node,
        &[flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80)],
        200,
        &mut rng,
    );
    assert_eq!(keys(&pod), ["10.180.0.1:80", "10.180.2.1:80"]);
    assert_eq!(masq_count(&pod), 0);
    let ext = reach(
        &mut node,
        &[flow(
            "203.0.113.7",
            SourceKind::External,
            "192.168.99.11",
            80,
        )],
        200,
        &mut rng,
    );
    assert_eq!(keys(&ext), ["10.180.2.1:80"]);
    assert_eq!(
        masq_count(&ext),
        0,
        "Local policy preserves the client address"
    );

    let mut node = NodeProxy::new(
        fake_config(ProxyMode::Iptables),
        &fragment_b_services(TrafficPolicy::Cluster),
    );
    let ext = reach(
        &mut node,
        &[flow(
            "203.0.113.7",
            SourceKind::External,
            "192.168.99.11",
            80,
        )],
        200,
        &mut rng,
    );
    assert_eq!(keys(&ext), ["10.180.0.1:80", "10.180.2.1:80"]);
    assert_eq!(
        masq_count(&ext),
        200,
        "Cluster policy SNATs external traffic"
    );
}

#[test]
fn fragment_c_packet_flows() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut node = NodeProxy::new(
        fake_config(ProxyMode::Iptables),
        &fragment_c_services(fragment_c_endpoints()),
    );
    // Affinity pins each source, so use many pod and external sources.
    let pods: Vec<FlowKey> = (1..=60)
        .map(|i| flow(&format!("10.0.0.{i}"), SourceKind::Pod, "172.30.1.1", 80))
        .collect();
    let seen = reach(&mut node, &pods, 600, &mut rng);
    assert_eq!(keys(&seen), ["10.0.1.1:80", "10.0.1.2:80", "10.0.1.5:80"]);
    assert_eq!(masq_count(&seen), 0);
    let exts: Vec<FlowKey> = (1..=60)
        .map(|i| {
            flow(
                &format!("203.0.113.{i}"),
                SourceKind::External,
                "1.2.3.4",
                80,
            )
        })
        .collect();
    let seen = reach(&mut node, &exts, 600, &mut rng);
    assert_eq!(keys(&seen), ["10.0.1.1:80", "10.0.1.2:80"]);
    assert_eq!(masq_count(&seen), 0);
}

#[test]
fn no_local_endpoints_drops_external_but_serves_pods() {
    // §5.4 row 3: only a remote serving-terminating endpoint.
    let only = vec![EndpointInfo {
        ready: false,
        terminating: true,
        ..ep("10.0.1.5", 80, OTHER)
    }];
    let mut node = NodeProxy::new(fake_config(ProxyMode::Iptables), &fragment_c_services(only));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    match node.route(
        &flow("203.0.113.9", SourceKind::External, "1.2.3.4", 80),
        0,
        &mut rng,
    ) {
        RouteDecision::Drop { comment, .. } => {
            assert_eq!(comment, "ns1/svc1 has no local endpoints")
        }
        other => panic!("expected DROP, got {other:?}"),
    }
    // Pod traffic to the LB IP is short-circuited to the cluster endpoints.
    let d = node.route(
        &flow("10.0.0.9", SourceKind::Pod, "1.2.3.4", 80),
        0,
        &mut rng,
    );
    assert_eq!(d.endpoint(), Some(SocketAddrV4::new(ip("10.0.1.5"), 80)));
    // Host traffic too, masqueraded.
    match node.route(
        &flow("192.168.0.2", SourceKind::NodeLocal, "1.2.3.4", 80),
        0,
        &mut rng,
    ) {
        RouteDecision::Dnat { masquerade, .. } => assert!(masquerade),
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_endpoints_rejects_every_destination() {
    let mut node = NodeProxy::new(fake_config(ProxyMode::Iptables), &fragment_e_services());
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for f in [
        flow("10.0.0.2", SourceKind::Pod, "172.30.0.46", 80),
        flow("192.168.0.2", SourceKind::NodeLocal, "172.30.0.46", 80),
        flow("203.0.113.1", SourceKind::External, "192.168.99.46", 80),
        flow("10.0.0.2", SourceKind::Pod, "192.168.0.2", 3006),
        flow("203.0.113.1", SourceKind::External, "192.168.0.2", 3006),
        flow("10.0.0.2", SourceKind::Pod, "5.6.7.8", 80),
        flow("203.0.113.1", SourceKind::External, "5.6.7.8", 80),
    ] {
        match node.route(&f, 0, &mut rng) {
            RouteDecision::Reject { comment, .. } => {
                assert_eq!(comment, "ns6/svc6:p80 has no endpoints", "{f:?}")
            }
            other => panic!("{f:?}: expected REJECT, got {other:?}"),
        }
    }
    // A port the service does not have is not a service address.
    assert!(matches!(
        node.route(
            &flow("10.0.0.2", SourceKind::Pod, "172.30.0.46", 81),
            0,
            &mut rng
        ),
        RouteDecision::NoMatch { .. }
    ));
}

#[test]
fn internal_traffic_policy_local_drops_without_local_endpoints() {
    let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
    s.internal_traffic_policy = TrafficPolicy::Local;
    let r = rules(&[se(s.clone(), vec![ep("10.180.0.1", 80, OTHER)])]);
    assert_eq!(
        r.filter.restore_lines("KUBE-SERVICES"),
        ["-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 has no local endpoints\" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP"]
    );
    let mut node = NodeProxy::new(
        fake_config(ProxyMode::Iptables),
        &[se(s.clone(), vec![ep("10.180.0.1", 80, OTHER)])],
    );
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    assert!(matches!(
        node.route(
            &flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80),
            0,
            &mut rng
        ),
        RouteDecision::Drop { .. }
    ));
    // With a local endpoint, ClusterIP traffic goes through KUBE-SVL and only there.
    let mut node = NodeProxy::new(
        fake_config(ProxyMode::Iptables),
        &[se(
            s,
            vec![ep("10.180.0.1", 80, OTHER), ep("10.180.2.1", 80, NODE)],
        )],
    );
    let d = node.route(
        &flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80),
        0,
        &mut rng,
    );
    assert_eq!(
        d.trace().to_string(),
        "KUBE-SERVICES → KUBE-SVL-XPGD46QRK7WJZT7O → KUBE-SEP-ZX7GRIZKSNUQ3LAJ DNAT 10.180.2.1:80"
    );
}

#[test]
fn masquerade_decisions_by_source_and_policy() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    // (policy, source kind, src, dst, port, expect masquerade, expect only local endpoint)
    let table: &[(TrafficPolicy, SourceKind, &str, &str, u16, bool, bool)] = &[
        (
            TrafficPolicy::Cluster,
            SourceKind::Pod,
            "10.0.0.2",
            "172.30.0.41",
            80,
            false,
            false,
        ),
        (
            TrafficPolicy::Cluster,
            SourceKind::NodeLocal,
            "192.168.0.2",
            "172.30.0.41",
            80,
            true,
            false,
        ),
        (
            TrafficPolicy::Cluster,
            SourceKind::External,
            "203.0.113.5",
            "172.30.0.41",
            80,
            true,
            false,
        ),
        (
            TrafficPolicy::Cluster,
            SourceKind::External,
            "203.0.113.5",
            "192.168.0.2",
            3001,
            true,
            false,
        ),
        (
            TrafficPolicy::Cluster,
            SourceKind::Pod,
            "10.0.0.2",
            "192.168.0.2",
            3001,
            true,
            false,
        ),
        (
            TrafficPolicy::Local,
            SourceKind::External,
            "203.0.113.5",
            "192.168.0.2",
            3001,
            false,
            true,
        ),
        (
            TrafficPolicy::Local,
            SourceKind::Pod,
            "10.0.0.2",
            "192.168.0.2",
            3001,
            false,
            false,
        ),
        (
            TrafficPolicy::Local,
            SourceKind::NodeLocal,
            "192.168.0.2",
            "192.168.0.2",
            3001,
            true,
            false,
        ),
        (
            TrafficPolicy::Local,
            SourceKind::Pod,
            "10.0.0.2",
            "172.30.0.41",
            80,
            false,
            false,
        ),
    ];
    for (i, &(policy, kind, src, dst, port, masq, only_local)) in table.iter().enumerate() {
        let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
        s.node_port = Some(3001);
        s.external_traffic_policy = policy;
        let mut node = NodeProxy::new(
            fake_config(ProxyMode::Iptables),
            &[se(
                s,
                vec![ep("10.180.0.1", 80, OTHER), ep("10.180.2.1", 80, NODE)],
            )],
        );
        let seen = reach(&mut node, &[flow(src, kind, dst, port)], 100, &mut rng);
        assert_eq!(masq_count(&seen), if masq { 100 } else { 0 }, "row {i}");
        let expect: &[&str] = if only_local {
            &["10.180.2.1:80"]
        } else {
            &["10.180.0.1:80", "10.180.2.1:80"]
        };
        assert_eq!(keys(&seen), expect, "row {i}");
    }
}

#[test]
fn hairpin_connection_is_masqueraded() {
    let mut node = NodeProxy::new(fake_config(ProxyMode::Iptables), &fragment_a_services());
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    match node.route(
        &flow("10.180.0.1", SourceKind::Pod, "172.30.0.41", 80),
        0,
        &mut rng,
    ) {
        RouteDecision::Dnat {
            masquerade,
            trace,
            service,
            ..
        } => {
            assert!(masquerade);
            assert_eq!(service, "ns1/svc1:p80");
            assert!(trace
                .steps
                .iter()
                .any(|s| s.rule.contains("-s 10.180.0.1 -j KUBE-MARK-MASQ")));
        }
        other => panic!("{other:?}"),
    }
}

/// The destinations the routing benchmark measures (ClusterIP, Cluster policy, with and
/// without ClientIP affinity) take the compiled path in iptables and nftables modes, and
/// their trace is the one the interpreter writes.
#[test]
fn cluster_ip_traffic_takes_the_compiled_path() {
    for mode in [ProxyMode::Iptables, ProxyMode::Nftables] {
        for affinity in [
            SessionAffinity::None,
            SessionAffinity::ClientIp { timeout_s: 60 },
        ] {
            let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
            s.session_affinity = affinity;
            let eps = vec![ep("10.180.0.1", 8080, NODE), ep("10.180.0.2", 8080, OTHER)];
            let mut node = NodeProxy::new(fake_config(mode), &[se(s, eps)]);
            let mut slow = node.clone();
            let f = FlowKey {
                src_ip: ip("10.0.7.7"),
                source: SourceKind::Pod,
                dst_ip: ip("172.30.0.41"),
                dst_port: 80,
                protocol: Protocol::Tcp,
            };
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let mut rng_slow = ChaCha8Rng::seed_from_u64(3);
            for t in 0..4 {
                let routed = node.decide(&f, t * 1000, &mut rng);
                assert!(routed.is_compiled(), "{mode:?} {affinity:?}");
                let full = node.explain(&f, t * 1000, routed);
                assert_eq!(full, slow.interpret(&f, t * 1000, &mut rng_slow));
                assert!(full.trace().to_string().contains("DNAT 10.180.0."));
            }
        }
    }
}

#[test]
fn trace_reads_like_the_chain_walk() {
    let mut node = NodeProxy::new(fake_config(ProxyMode::Iptables), &fragment_a_services());
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let d = node.route(
        &flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80),
        0,
        &mut rng,
    );
    assert_eq!(
        d.trace().to_string(),
        "KUBE-SERVICES → KUBE-SVC-XPGD46QRK7WJZT7O → KUBE-SEP-SXIVWICOYRO3J4NJ DNAT 10.180.0.1:80"
    );
    let d = node.route(
        &flow("10.0.0.2", SourceKind::Pod, "10.0.0.3", 80),
        0,
        &mut rng,
    );
    assert!(matches!(d, RouteDecision::NoMatch { .. }));
}

#[test]
fn load_balancer_source_ranges() {
    let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
    s.load_balancer_ips = vec![ip("1.2.3.4")];
    s.load_balancer_source_ranges = vec!["203.0.113.0/24".parse().expect("cidr")];
    let services = [se(s, vec![ep("10.180.0.1", 80, OTHER)])];
    let r = rules(&services);
    assert_eq!(
        r.nat.restore_lines("KUBE-FW-XPGD46QRK7WJZT7O"),
        [
            "-A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment \"ns1/svc1:p80 loadbalancer IP\" -s 203.0.113.0/24 -j KUBE-EXT-XPGD46QRK7WJZT7O",
            "-A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment \"other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL\"",
        ]
    );
    let mut node = NodeProxy::new(fake_config(ProxyMode::Iptables), &services);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    assert!(node
        .route(
            &flow("203.0.113.4", SourceKind::External, "1.2.3.4", 80),
            0,
            &mut rng
        )
        .endpoint()
        .is_some());
    match node.route(
        &flow("198.51.100.4", SourceKind::External, "1.2.3.4", 80),
        0,
        &mut rng,
    ) {
        RouteDecision::Drop { comment, .. } => {
            assert_eq!(
                comment,
                "ns1/svc1:p80 traffic not accepted by KUBE-FW-XPGD46QRK7WJZT7O"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn client_ip_affinity_sticks_until_timeout() {
    let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
    s.session_affinity = SessionAffinity::ClientIp { timeout_s: 60 };
    let eps: Vec<EndpointInfo> = (1..=5)
        .map(|i| ep(&format!("10.180.0.{i}"), 80, OTHER))
        .collect();
    let mut node = NodeProxy::new(fake_config(ProxyMode::Iptables), &[se(s, eps)]);
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let f = flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80);
    let first = node.route(&f, 0, &mut rng).endpoint();
    // Each connection refreshes the stamp: 59 s apart keeps it alive for minutes.
    for t in 1..=10u64 {
        assert_eq!(node.route(&f, t * 59_000, &mut rng).endpoint(), first);
    }
    // After a silence longer than the timeout the rcheck rules no longer match.
    let later = 10 * 59_000 + 61_000;
    let d = node.route(&f, later, &mut rng);
    assert!(
        d.trace().steps.iter().all(|s| !s.rule.contains("--rcheck")),
        "{:?}",
        d.trace()
    );
}

#[test]
fn recent_list_keeps_at_most_200_sources() {
    let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
    s.session_affinity = SessionAffinity::ClientIp { timeout_s: 10800 };
    let mut node = NodeProxy::new(
        fake_config(ProxyMode::Iptables),
        &[se(s, vec![ep("10.180.0.1", 80, OTHER)])],
    );
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for i in 0..300u32 {
        let f = FlowKey {
            src_ip: Ipv4Addr::from(0x0A01_0000 + i),
            ..flow("10.0.0.1", SourceKind::Pod, "172.30.0.41", 80)
        };
        node.route(&f, u64::from(i), &mut rng);
    }
    assert_eq!(
        node.recent().len("KUBE-SEP-SXIVWICOYRO3J4NJ"),
        iptables::RECENT_LIST_MAX
    );
}

// ---------------------------------------------------------------------------------------
// Distributions (chi-square over 100,000 connections)
// ---------------------------------------------------------------------------------------

/// Pearson's chi-square statistic against a uniform expectation.
fn chi_square(counts: &[usize]) -> f64 {
    let total: usize = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

/// 99.9% quantile of chi-square with 4 degrees of freedom (5 endpoints).
const CHI2_4DF_999: f64 = 18.467;

fn five_endpoint_service(affinity: SessionAffinity) -> Vec<ServiceEndpoints> {
    let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
    s.session_affinity = affinity;
    vec![se(
        s,
        (1..=5)
            .map(|i| ep(&format!("10.180.0.{i}"), 80, OTHER))
            .collect(),
    )]
}

fn distribution(
    mode: ProxyMode,
    scheduler: IpvsScheduler,
    affinity: SessionAffinity,
    sources: u32,
    seed: u64,
) -> (Vec<usize>, bool) {
    let mut config = fake_config(mode);
    config.ipvs_scheduler = scheduler;
    let mut node = NodeProxy::new(config, &five_endpoint_service(affinity));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts: BTreeMap<SocketAddrV4, usize> = BTreeMap::new();
    let mut per_source: BTreeMap<Ipv4Addr, SocketAddrV4> = BTreeMap::new();
    let mut sticky = true;
    for i in 0..100_000u32 {
        let src = Ipv4Addr::from(0x0A01_0000 + i % sources);
        let f = FlowKey {
            src_ip: src,
            ..flow("10.0.0.1", SourceKind::Pod, "172.30.0.41", 80)
        };
        let Some(e) = node.route(&f, u64::from(i), &mut rng).endpoint() else {
            panic!("no endpoint")
        };
        *counts.entry(e).or_default() += 1;
        sticky &= *per_source.entry(src).or_insert(e) == e;
    }
    (counts.values().copied().collect(), sticky)
}

#[test]
fn iptables_random_is_uniform() {
    let (counts, _) = distribution(
        ProxyMode::Iptables,
        IpvsScheduler::Rr,
        SessionAffinity::None,
        100_000,
        21,
    );
    assert_eq!(counts.len(), 5);
    assert!(chi_square(&counts) < CHI2_4DF_999, "{counts:?}");
}

#[test]
fn nftables_numgen_is_uniform() {
    let (counts, _) = distribution(
        ProxyMode::Nftables,
        IpvsScheduler::Rr,
        SessionAffinity::None,
        100_000,
        22,
    );
    assert_eq!(counts.len(), 5);
    assert!(chi_square(&counts) < CHI2_4DF_999, "{counts:?}");
}

#[test]
fn ipvs_rr_is_exactly_uniform() {
    let (counts, _) = distribution(
        ProxyMode::Ipvs,
        IpvsScheduler::Rr,
        SessionAffinity::None,
        100_000,
        23,
    );
    assert_eq!(counts, [20_000; 5]);
}

#[test]
fn client_ip_affinity_is_sticky_in_every_mode() {
    let affinity = SessionAffinity::ClientIp { timeout_s: 10800 };
    // 500 clients: about 100 per endpoint, under the 200-entry `recent` lists.
    for mode in [ProxyMode::Iptables, ProxyMode::Nftables, ProxyMode::Ipvs] {
        let (counts, sticky) = distribution(mode, IpvsScheduler::Rr, affinity, 500, 24);
        assert!(sticky, "{mode:?}");
        assert_eq!(counts.len(), 5, "{mode:?}");
        // Each client contributes 200 connections: test the client spread.
        let clients: Vec<usize> = counts.iter().map(|c| c / 200).collect();
        assert!(chi_square(&clients) < CHI2_4DF_999, "{mode:?} {clients:?}");
    }
}

#[test]
fn ipvs_source_hashing_is_sticky_without_affinity() {
    let (counts, sticky) = distribution(
        ProxyMode::Ipvs,
        IpvsScheduler::Sh,
        SessionAffinity::None,
        1000,
        25,
    );
    assert!(sticky);
    let clients: Vec<usize> = counts.iter().map(|c| c / 100).collect();
    assert_eq!(clients.len(), 5);
    assert!(chi_square(&clients) < CHI2_4DF_999, "{clients:?}");
}

#[test]
fn ipvs_destination_hashing_sends_a_vip_to_one_server() {
    let (counts, _) = distribution(
        ProxyMode::Ipvs,
        IpvsScheduler::Dh,
        SessionAffinity::None,
        1000,
        26,
    );
    assert_eq!(counts, [100_000]);
}

// ---------------------------------------------------------------------------------------
// IPVS
// ---------------------------------------------------------------------------------------

fn ipvs_node(scheduler: IpvsScheduler, services: &[ServiceEndpoints]) -> NodeProxy {
    let mut c = fake_config(ProxyMode::Ipvs);
    c.ipvs_scheduler = scheduler;
    NodeProxy::new(c, services)
}

#[test]
fn ipvsadm_listing() {
    let mut dns = ServicePortInfo::new(
        "kube-system",
        "kube-dns",
        "dns",
        Protocol::Udp,
        Some(ip("10.96.0.10")),
        53,
    );
    dns.session_affinity = SessionAffinity::None;
    let mut web = svc("default", "web", "", "10.96.0.20", 80);
    web.node_port = Some(30080);
    web.session_affinity = SessionAffinity::ClientIp { timeout_s: 10800 };
    let services = [
        se(dns, vec![ep("10.244.1.3", 53, OTHER)]),
        se(
            web,
            vec![ep("10.244.1.5", 8080, OTHER), ep("10.244.2.7", 8080, NODE)],
        ),
    ];
    let mut node = ipvs_node(IpvsScheduler::Rr, &services);
    let mut rng = ChaCha8Rng::seed_from_u64(30);
    let d = node.route(
        &flow("10.0.0.2", SourceKind::Pod, "10.96.0.20", 80),
        0,
        &mut rng,
    );
    assert_eq!(
        d.endpoint(),
        Some(SocketAddrV4::new(ip("10.244.1.5"), 8080))
    );
    let expected = "\
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.0.20:80 rr persistent 10800
  -> 10.244.1.5:8080              Masq    1      1          0         
  -> 10.244.2.7:8080              Masq    1      0          0         
TCP  192.168.0.2:30080 rr persistent 10800
  -> 10.244.1.5:8080              Masq    1      0          0         
  -> 10.244.2.7:8080              Masq    1      0          0         
UDP  10.96.0.10:53 rr
  -> 10.244.1.3:53                Masq    1      0          0         
";
    assert_eq!(node.ipvsadm_ln(), expected);
    if let RouteDecision::Dnat { ipvs: Some(c), .. } = d {
        node.ipvs_conn_closed(&c);
        assert!(node
            .ipvsadm_ln()
            .contains("  -> 10.244.1.5:8080              Masq    1      0          1         \n"));
        node.ipvs_conn_expired(&c);
        assert_eq!(
            node.ipvsadm_ln(),
            expected.replace("Masq    1      1 ", "Masq    1      0 ")
        );
    } else {
        panic!("expected an IPVS connection");
    }
    let addrs = node.ip_addr();
    assert!(addrs.contains(
        "3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default \n"
    ));
    assert!(addrs.contains("    inet 10.96.0.10/32 scope global kube-ipvs0\n"));
    assert!(addrs.contains("    inet 10.96.0.20/32 scope global kube-ipvs0\n"));
    assert!(node.is_local_addr(ip("10.96.0.20")));
}

#[test]
fn iptables_mode_binds_no_vip() {
    let node = NodeProxy::new(fake_config(ProxyMode::Iptables), &fragment_a_services());
    let addrs = node.ip_addr();
    assert!(!addrs.contains("kube-ipvs0"));
    assert!(!addrs.contains("172.30.0.41"));
    assert!(addrs.contains("    inet 192.168.0.2/24 brd 192.168.0.255 scope global eth0\n"));
    assert_eq!(node.ipvsadm_ln().lines().count(), 3, "header only");
}

#[test]
fn ipvs_least_connection_schedulers_follow_the_counters() {
    let services = five_endpoint_service(SessionAffinity::None);
    let f = flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80);
    for sched in [
        IpvsScheduler::Lc,
        IpvsScheduler::Wlc,
        IpvsScheduler::Sed,
        IpvsScheduler::Nq,
    ] {
        let mut node = ipvs_node(sched, &services);
        let mut rng = ChaCha8Rng::seed_from_u64(31);
        let mut conns = Vec::new();
        for _ in 0..5 {
            match node.route(&f, 0, &mut rng) {
                RouteDecision::Dnat {
                    ipvs: Some(c),
                    endpoint,
                    ..
                } => conns.push((c, endpoint)),
                other => panic!("{other:?}"),
            }
        }
        let distinct: std::collections::BTreeSet<_> = conns.iter().map(|c| c.1).collect();
        assert_eq!(distinct.len(), 5, "{sched:?} spreads over idle servers");
        // Free the third server: the next connection goes there.
        node.ipvs_conn_closed(&conns[2].0);
        node.ipvs_conn_expired(&conns[2].0);
        assert_eq!(
            node.route(&f, 0, &mut rng).endpoint(),
            Some(conns[2].1),
            "{sched:?}"
        );
    }
}

#[test]
fn ipvs_wrr_with_equal_weights_is_round_robin() {
    let services = five_endpoint_service(SessionAffinity::None);
    let f = flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80);
    let mut rr = ipvs_node(IpvsScheduler::Rr, &services);
    let mut wrr = ipvs_node(IpvsScheduler::Wrr, &services);
    let mut rng = ChaCha8Rng::seed_from_u64(32);
    for _ in 0..12 {
        assert_eq!(
            rr.route(&f, 0, &mut rng).endpoint(),
            wrr.route(&f, 0, &mut rng).endpoint()
        );
    }
}

#[test]
fn ipvs_masquerade_and_empty_services() {
    let mut s = svc("ns1", "svc1", "p80", "172.30.0.41", 80);
    s.node_port = Some(3001);
    s.external_traffic_policy = TrafficPolicy::Local;
    let services = [se(
        s,
        vec![ep("10.180.0.1", 80, OTHER), ep("10.180.2.1", 80, NODE)],
    )];
    let mut node = ipvs_node(IpvsScheduler::Rr, &services);
    let mut rng = ChaCha8Rng::seed_from_u64(33);
    let ext = reach(
        &mut node,
        &[flow(
            "203.0.113.5",
            SourceKind::External,
            "192.168.0.2",
            3001,
        )],
        10,
        &mut rng,
    );
    assert_eq!(keys(&ext), ["10.180.2.1:80"]);
    assert_eq!(masq_count(&ext), 0);
    let pod = reach(
        &mut node,
        &[flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80)],
        10,
        &mut rng,
    );
    assert_eq!(masq_count(&pod), 0);
    let host = reach(
        &mut node,
        &[flow(
            "192.168.0.2",
            SourceKind::NodeLocal,
            "172.30.0.41",
            80,
        )],
        10,
        &mut rng,
    );
    assert_eq!(masq_count(&host), 10);

    let mut empty = ipvs_node(IpvsScheduler::Rr, &fragment_e_services());
    assert!(matches!(
        empty.route(
            &flow("10.0.0.2", SourceKind::Pod, "172.30.0.46", 80),
            0,
            &mut rng
        ),
        RouteDecision::Reject { .. }
    ));
}

// ---------------------------------------------------------------------------------------
// nftables
// ---------------------------------------------------------------------------------------

fn nft_services() -> Vec<ServiceEndpoints> {
    vec![
        se(
            svc("ns3", "svc3", "p80", "172.30.0.43", 80),
            vec![ep("10.180.0.3", 80, OTHER)],
        ),
        se(
            svc("ns4", "svc4", "p80", "172.30.0.44", 80),
            vec![ep("10.180.0.4", 80, OTHER), ep("10.180.0.5", 80, OTHER)],
        ),
    ]
}

#[test]
fn nftables_spec_example_lines() {
    let t = nftables::sync_nftables(&fake_config(ProxyMode::Nftables), &nft_services());
    let dump = t.dump();
    for line in [
        "add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }",
        "add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }",
        "add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade",
        "add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80",
        "add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade",
    ] {
        assert!(dump.lines().any(|l| l == line), "missing {line}\n{dump}");
    }
    let list = t.list();
    assert!(list.starts_with("table ip kube-proxy {\n"));
    assert!(list.contains("\tchain service-LAUZTJTB-ns4/svc4/tcp/p80 {\n"));
    assert!(list.contains("numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80, 1 : goto"));
}

#[test]
fn nftables_flows_match_iptables_semantics() {
    let mut rng = ChaCha8Rng::seed_from_u64(40);
    let mut node = NodeProxy::new(
        fake_config(ProxyMode::Nftables),
        &fragment_b_services(TrafficPolicy::Local),
    );
    let pod = reach(
        &mut node,
        &[flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80)],
        200,
        &mut rng,
    );
    assert_eq!(keys(&pod), ["10.180.0.1:80", "10.180.2.1:80"]);
    assert_eq!(masq_count(&pod), 0);
    let ext = reach(
        &mut node,
        &[flow(
            "203.0.113.7",
            SourceKind::External,
            "192.168.99.11",
            80,
        )],
        200,
        &mut rng,
    );
    assert_eq!(keys(&ext), ["10.180.2.1:80"]);
    assert_eq!(masq_count(&ext), 0);
    let host = reach(
        &mut node,
        &[flow(
            "192.168.0.2",
            SourceKind::NodeLocal,
            "192.168.99.11",
            80,
        )],
        50,
        &mut rng,
    );
    assert_eq!(masq_count(&host), 50);

    let mut empty = NodeProxy::new(fake_config(ProxyMode::Nftables), &fragment_e_services());
    for f in [
        flow("10.0.0.2", SourceKind::Pod, "172.30.0.46", 80),
        flow("203.0.113.1", SourceKind::External, "192.168.0.2", 3006),
        flow("203.0.113.1", SourceKind::External, "5.6.7.8", 80),
    ] {
        match empty.route(&f, 0, &mut rng) {
            RouteDecision::Reject { comment, .. } => {
                assert_eq!(comment, "ns6/svc6:p80 has no endpoints")
            }
            other => panic!("{f:?}: {other:?}"),
        }
    }
}

#[test]
fn resync_keeps_affinity_state() {
    let services = five_endpoint_service(SessionAffinity::ClientIp { timeout_s: 10800 });
    let f = flow("10.0.0.2", SourceKind::Pod, "172.30.0.41", 80);
    for mode in [ProxyMode::Iptables, ProxyMode::Nftables, ProxyMode::Ipvs] {
        let mut node = NodeProxy::new(fake_config(mode), &services);
        let mut rng = ChaCha8Rng::seed_from_u64(41);
        let first = node.route(&f, 0, &mut rng).endpoint();
        node.sync(&services);
        for t in 1..20 {
            assert_eq!(
                node.route(&f, t * 1000, &mut rng).endpoint(),
                first,
                "{mode:?}"
            );
        }
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use rand_core::RngCore;

    proptest! {
        #[test]
        fn cidr_parsing_never_panics(s in ".{0,24}") {
            let _ = s.parse::<Ipv4Cidr>();
        }

        #[test]
        fn probability_parsing_never_panics(s in ".{0,16}") {
            let _ = hash::parse_probability(&s);
        }

        /// A partial sync of one Service leaves exactly the rules a full sync of the same
        /// caches writes, in every mode (the incremental path is only an optimisation).
        #[test]
        fn partial_sync_equals_full_sync(
            ops in proptest::collection::vec((0u8..4, 0u8..6, 0u8..4, any::<bool>(), any::<bool>()), 1..12),
            mode in 0u8..3,
        ) {
            let mode = [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables][usize::from(mode)];
            let config = fake_config(mode);
            let mut node = NodeProxy::new(config.clone(), &[]);
            for (which, n_eps, kind, named_ports, local) in ops {
                let name = format!("svc{which}");
                let vip = format!("172.30.0.{}", 10 + which);
                let mut ports = Vec::new();
                let port_names: &[&str] = if named_ports { &["http", "metrics"] } else { &[""] };
                for (i, pn) in port_names.iter().enumerate() {
                    let mut s = svc("ns1", &name, pn, &vip, 80 + i as u16);
                    match kind {
                        1 => s.node_port = Some(30000 + u16::from(which) * 10 + i as u16),
                        2 => {
                            s.node_port = Some(30100 + u16::from(which) * 10 + i as u16);
                            s.load_balancer_ips = vec![ip(&format!("1.2.3.{which}"))];
                            s.session_affinity = SessionAffinity::ClientIp { timeout_s: 60 };
                        }
                        _ => {}
                    }
                    if local {
                        s.external_traffic_policy = TrafficPolicy::Local;
                    }
                    let eps = (0..n_eps)
                        .map(|e| ep(&format!("10.180.{which}.{e}"), 8080, if e % 2 == 0 { "testHostname" } else { "other" }))
                        .collect();
                    ports.push(se(s, eps));
                }
                if kind == 3 {
                    ports.clear(); // the Service is deleted
                }
                node.update_service(&format!("ns1/{name}"), ports);
                let all: Vec<ServiceEndpoints> = node.services().values().flat_map(|v| v.iter()).cloned().collect();
                let full = NodeProxy::new(config.clone(), &all);
                match (node.programmed(), full.programmed()) {
                    (Programmed::Iptables(a), Programmed::Iptables(b)) => {
                        prop_assert_eq!(a.nat.save(None), b.nat.save(None));
                        prop_assert_eq!(a.filter.save(None), b.filter.save(None));
                        prop_assert_eq!(&a.owners, &b.owners);
                    }
                    (Programmed::Nftables(a), Programmed::Nftables(b)) => {
                        prop_assert_eq!(a.dump(), b.dump());
                        prop_assert_eq!(&a.owners, &b.owners);
                    }
                    (Programmed::Ipvs(_), Programmed::Ipvs(_)) => {
                        prop_assert_eq!(node.ipvsadm_ln(), full.ipvsadm_ln());
                        prop_assert_eq!(node.ip_addr(), full.ip_addr());
                    }
                    _ => prop_assert!(false, "mode changed"),
                }
            }
        }

        /// Rules taken from the cache shared by the nodes of a cluster equal the rules each
        /// node generates itself, on the node that filled the cache and on another one
        /// (a different node name: Local policies must not be shared).
        #[test]
        fn shared_rule_cache_changes_nothing(
            ops in proptest::collection::vec((0u8..3, 0u8..5, 0u8..3, any::<bool>(), any::<bool>()), 1..10),
        ) {
            let mut cache = iptables::RuleCache::default();
            let configs = [fake_config(ProxyMode::Iptables), {
                let mut c = fake_config(ProxyMode::Iptables);
                c.node_name = OTHER.to_string();
                c
            }];
            let mut plain: Vec<NodeProxy> = configs.iter().map(|c| NodeProxy::new(c.clone(), &[])).collect();
            let mut cached = plain.clone();
            for (which, n_eps, kind, local, gone) in ops {
                let name = format!("svc{which}");
                let mut s = svc("ns1", &name, "p", &format!("172.30.0.{}", 10 + which), 80);
                if kind >= 1 {
                    s.node_port = Some(30000 + u16::from(which));
                }
                if kind == 2 {
                    s.load_balancer_ips = vec![ip(&format!("1.2.3.{which}"))];
                    s.session_affinity = SessionAffinity::ClientIp { timeout_s: 60 };
                }
                if local {
                    s.external_traffic_policy = TrafficPolicy::Local;
                    s.internal_traffic_policy = TrafficPolicy::Local;
                }
                let eps = (0..n_eps)
                    .map(|e| ep(&format!("10.180.{which}.{e}"), 8080, if e % 2 == 0 { NODE } else { OTHER }))
                    .collect();
                let ports = if gone { Vec::new() } else { vec![se(s, eps)] };
                let key = format!("ns1/{name}");
                if gone {
                    cache.forget(&key);
                }
                // One allocation for every node, as kube-proxy's converted cache hands out.
                let shared = std::rc::Rc::new(ports.clone());
                for (p, c) in plain.iter_mut().zip(cached.iter_mut()) {
                    p.update_service(&key, ports.clone());
                    c.update_service_cached(&key, shared.clone(), Some(&mut cache));
                    prop_assert_eq!(&*p, &*c);
                }
            }
        }

        #[test]
        fn routing_any_flow_never_panics(
            src in any::<u32>(), dst_pick in 0usize..6, port in any::<u16>(), kind in 0u8..3, mode in 0u8..3, t in any::<u32>(),
        ) {
            let mode = [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables][usize::from(mode)];
            let mut services = fragment_c_services(fragment_c_endpoints());
            services.extend(fragment_e_services());
            let mut node = NodeProxy::new(fake_config(mode), &services);
            let dst = ["172.30.1.1", "1.2.3.4", "192.168.0.2", "172.30.0.46", "5.6.7.8", "10.1.2.3"][dst_pick];
            let source = [SourceKind::Pod, SourceKind::NodeLocal, SourceKind::External][usize::from(kind)];
            let f = FlowKey { src_ip: Ipv4Addr::from(src), source, dst_ip: ip(dst), dst_port: port, protocol: Protocol::Tcp };
            let mut rng = ChaCha8Rng::seed_from_u64(u64::from(src));
            let _ = node.route(&f, u64::from(t), &mut rng);
        }

        /// The compiled fast path decides every connection exactly as the rule-by-rule
        /// interpreter does, on random clusters (ClusterIP, NodePort, LoadBalancer, Local
        /// policies, ClientIP affinity, terminating and not-ready endpoints, host-network
        /// endpoints on the node's address, `--masquerade-all`) and random flows (hairpin,
        /// pods, the node itself, outside clients): same decision and trace, same random
        /// draws, same kernel state (`recent` lists, affinity sets, IPVS counters) after.
        #[test]
        fn fast_path_agrees_with_interpreter(
            services in proptest::collection::vec(
                (0u8..4, 0u8..5, any::<bool>(), any::<bool>(), 0u8..8), 1..6),
            flows in proptest::collection::vec((0u8..8, 0u8..3, 0u8..8, 0u8..3, 0u64..30_000), 1..40),
            mode in 0u8..3,
            masquerade_all in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let mode = [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables][usize::from(mode)];
            let mut config = fake_config(mode);
            config.masquerade_all = masquerade_all;
            let mut all = Vec::new();
            for (i, (kind, n_eps, affinity, local, ep_bits)) in services.iter().enumerate() {
                let i = i as u8;
                let mut s = svc("ns1", &format!("svc{i}"), "p", &format!("172.30.0.{}", 10 + i), 80);
                if *kind >= 1 {
                    s.node_port = Some(30000 + u16::from(i));
                }
                if *kind == 2 {
                    s.load_balancer_ips = vec![ip(&format!("1.2.3.{i}"))];
                }
                if *kind == 3 {
                    s.internal_traffic_policy = TrafficPolicy::Local;
                }
                if *local {
                    s.external_traffic_policy = TrafficPolicy::Local;
                }
                if *affinity {
                    s.session_affinity = SessionAffinity::ClientIp { timeout_s: 10 };
                }
                let eps = (0..*n_eps)
                    .map(|e| {
                        // Bit 0: terminating; bit 1: not ready; bit 2 on the first
                        // endpoint: a host-network pod on the node's own address.
                        let addr = if e == 0 && ep_bits & 4 != 0 {
                            "192.168.0.2".to_string()
                        } else {
                            format!("10.180.{i}.{e}")
                        };
                        let mut x = ep(&addr, 8080, if e % 2 == 0 { NODE } else { OTHER });
                        if e == 1 && ep_bits & 1 != 0 {
                            x.ready = false;
                            x.terminating = true;
                        }
                        if e == 2 && ep_bits & 2 != 0 {
                            x.ready = false;
                            x.serving = false;
                        }
                        x
                    })
                    .collect();
                all.push(se(s, eps));
            }
            let mut fast = NodeProxy::new(config.clone(), &all);
            let mut slow = fast.clone();
            let mut rng_fast = ChaCha8Rng::seed_from_u64(seed);
            let mut rng_slow = ChaCha8Rng::seed_from_u64(seed);
            let mut now = 0;
            for (src, source, dst, port, dt) in flows {
                now += dt;
                let src_ip = match src {
                    0 => ip("192.168.0.2"),
                    1 => ip("203.0.113.9"),
                    2 => ip("10.180.0.0"),
                    3 => ip("10.180.1.1"),
                    s => ip(&format!("10.244.0.{s}")),
                };
                let n = services.len() as u8;
                let (dst_ip, dst_port) = match port {
                    0 => (ip(&format!("172.30.0.{}", 10 + dst % n)), 80),
                    1 => (ip("192.168.0.2"), 30000 + u16::from(dst % n)),
                    _ => (ip(&format!("1.2.3.{}", dst % n)), 80),
                };
                let source = [SourceKind::Pod, SourceKind::NodeLocal, SourceKind::External][usize::from(source)];
                let f = FlowKey { src_ip, source, dst_ip, dst_port, protocol: Protocol::Tcp };
                let a = fast.route(&f, now, &mut rng_fast);
                let b = slow.interpret(&f, now, &mut rng_slow);
                prop_assert_eq!(&a, &b);
                prop_assert_eq!(&fast, &slow);
            }
            prop_assert_eq!(rng_fast.next_u64(), rng_slow.next_u64());
        }
    }
}
