//! Which endpoints a node uses for a service port (`pkg/proxy/topology.go`
//! `CategorizeEndpoints`, spec §5.4).

use super::model::{EndpointInfo, ServicePortInfo};

/// The result of [`categorize_endpoints`]. Every list is sorted by `"ip:port"` string,
/// the order kube-proxy writes rules in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CategorizedEndpoints {
    /// Endpoints for "Cluster" traffic policy (`KUBE-SVC-`); empty when the service
    /// never uses Cluster policy.
    pub cluster: Vec<EndpointInfo>,
    /// Endpoints for "Local" traffic policy (`KUBE-SVL-`); empty when the service never
    /// uses Local policy or this node has no usable endpoint.
    pub local: Vec<EndpointInfo>,
    /// Union of the two: every endpoint this node may DNAT to (one `KUBE-SEP-` each).
    pub all_reachable: Vec<EndpointInfo>,
    /// The service has a usable endpoint somewhere: decides REJECT (no) vs DROP (no local).
    pub has_any_endpoints: bool,
}

/// Topology filtering chosen from the endpoints' hints (`topologyModeFromHints`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopologyMode {
    None,
    PreferSameZone,
    PreferSameNode,
}

fn topology_mode(endpoints: &[EndpointInfo], node: &str, zone: Option<&str>) -> TopologyMode {
    let mut has_for_node = false;
    let mut all_node_hints = true;
    let mut has_for_zone = false;
    let mut all_zone_hints = true;
    for ep in endpoints.iter().filter(|e| e.ready) {
        if ep.node_hints.is_empty() {
            all_node_hints = false;
        } else if ep.node_hints.iter().any(|n| n == node) {
            has_for_node = true;
        }
        if ep.zone_hints.is_empty() {
            all_zone_hints = false;
        } else if zone.is_some_and(|z| ep.zone_hints.iter().any(|h| h == z)) {
            has_for_zone = true;
        }
    }
    // PreferSameTrafficDistribution is on by default in current releases.
    if all_node_hints && has_for_node {
        return TopologyMode::PreferSameNode;
    }
    if all_zone_hints && has_for_zone {
        return TopologyMode::PreferSameZone;
    }
    TopologyMode::None
}

fn available_for_topology(
    ep: &EndpointInfo,
    mode: TopologyMode,
    node: &str,
    zone: Option<&str>,
) -> bool {
    match mode {
        TopologyMode::None => true,
        TopologyMode::PreferSameNode => ep.node_hints.iter().any(|n| n == node),
        TopologyMode::PreferSameZone => zone.is_some_and(|z| ep.zone_hints.iter().any(|h| h == z)),
    }
}

fn sorted(mut v: Vec<EndpointInfo>) -> Vec<EndpointInfo> {
    crate::sort::sort_by_key(&mut v, EndpointInfo::ip_port);
    v
}

/// `CategorizeEndpoints(endpoints, svcInfo, nodeName, nodeLabels)`.
///
/// * Cluster endpoints: ready ones (topology-filtered); if none, serving-and-terminating
///   ones (topology ignored).
/// * Local endpoints: local ready ones; if none, local serving-and-terminating ones.
/// * Not-serving terminating endpoints are never used.
pub fn categorize_endpoints(
    endpoints: &[EndpointInfo],
    svc: &ServicePortInfo,
    node_name: &str,
    node_zone: Option<&str>,
) -> CategorizedEndpoints {
    let mut out = CategorizedEndpoints::default();
    if svc.uses_cluster_endpoints() {
        let mode = topology_mode(endpoints, node_name, node_zone);
        out.cluster = endpoints
            .iter()
            .filter(|e| e.ready && available_for_topology(e, mode, node_name, node_zone))
            .cloned()
            .collect();
        if out.cluster.is_empty() {
            out.cluster = endpoints
                .iter()
                .filter(|e| e.serving && e.terminating)
                .cloned()
                .collect();
        }
        out.cluster = sorted(std::mem::take(&mut out.cluster));
        out.has_any_endpoints = !out.cluster.is_empty();
    }
    if !svc.uses_local_endpoints() {
        out.all_reachable = out.cluster.clone();
        return out;
    }

    let mut local_ready = false;
    let mut local_serving_terminating = false;
    for ep in endpoints {
        if ep.ready {
            out.has_any_endpoints = true;
            local_ready |= ep.is_local(node_name);
        } else if ep.serving && ep.terminating {
            out.has_any_endpoints = true;
            local_serving_terminating |= ep.is_local(node_name);
        }
    }
    if local_ready {
        out.local = endpoints
            .iter()
            .filter(|e| e.is_local(node_name) && e.ready)
            .cloned()
            .collect();
    } else if local_serving_terminating {
        out.local = endpoints
            .iter()
            .filter(|e| e.is_local(node_name) && e.serving && e.terminating)
            .cloned()
            .collect();
    }
    out.local = sorted(std::mem::take(&mut out.local));

    if !svc.uses_cluster_endpoints() || out.local.is_empty() {
        out.all_reachable = if svc.uses_cluster_endpoints() {
            out.cluster.clone()
        } else {
            out.local.clone()
        };
        return out;
    }
    // Union keyed by "ip:port": cluster may hold remote endpoints, local may hold
    // terminating or topology-filtered local ones.
    let mut all: Vec<EndpointInfo> = out.cluster.clone();
    for ep in &out.local {
        if !all.iter().any(|e| e.ip_port() == ep.ip_port()) {
            all.push(ep.clone());
        }
    }
    out.all_reachable = sorted(all);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::model::{Protocol, SessionAffinity, TrafficPolicy};
    use std::net::Ipv4Addr;

    const NODE: &str = "testHostname";

    /// `(last octet, ready, serving, terminating, local)`.
    type Ep = (u8, bool, bool, bool, bool);

    /// `(endpoints, cluster octets, local octets, hasEndpoints)`.
    type Row = (&'static [Ep], &'static [u8], &'static [u8], bool);

    fn ep(&(octet, ready, serving, terminating, local): &Ep) -> EndpointInfo {
        EndpointInfo {
            ready,
            serving,
            terminating,
            ..EndpointInfo::ready(
                Ipv4Addr::new(10, 0, 1, octet),
                80,
                if local { NODE } else { "host-1" },
            )
        }
    }

    /// The LB service of TestTerminatingEndpointsTrafficPolicyLocal.
    fn lb_local_service() -> ServicePortInfo {
        let mut s = ServicePortInfo::new(
            "ns1",
            "svc1",
            "",
            Protocol::Tcp,
            Some(Ipv4Addr::new(172, 30, 1, 1)),
            80,
        );
        s.load_balancer_ips = vec![Ipv4Addr::new(1, 2, 3, 4)];
        s.external_traffic_policy = TrafficPolicy::Local;
        s.session_affinity = SessionAffinity::ClientIp { timeout_s: 10800 };
        s.health_check_node_port = Some(30000);
        s
    }

    fn octets(v: &[EndpointInfo]) -> Vec<u8> {
        v.iter().map(|e| e.ip.octets()[3]).collect()
    }

    #[test]
    fn spec_5_4_vectors() {
        // (endpoints, cluster, local, has endpoints)
        let table: &[Row] = &[
            (
                &[
                    (1, true, true, false, true),
                    (2, true, true, false, true),
                    (3, false, true, true, true),
                    (4, false, false, true, true),
                    (5, true, true, false, false),
                ],
                &[1, 2, 5],
                &[1, 2],
                true,
            ),
            (
                &[
                    (2, false, true, true, true),
                    (3, false, true, true, true),
                    (4, false, false, true, true),
                    (5, true, true, false, false),
                ],
                &[5],
                &[2, 3],
                true,
            ),
            (&[(5, false, true, true, false)], &[5], &[], true),
            // Not-serving terminating endpoints are never used: no endpoints at all.
            (&[(4, false, false, true, true)], &[], &[], false),
        ];
        let svc = lb_local_service();
        for (i, &(eps, cluster, local, has)) in table.iter().enumerate() {
            let eps: Vec<EndpointInfo> = eps.iter().map(ep).collect();
            let c = categorize_endpoints(&eps, &svc, NODE, None);
            assert_eq!(octets(&c.cluster), cluster, "row {i} cluster");
            assert_eq!(octets(&c.local), local, "row {i} local");
            assert_eq!(c.has_any_endpoints, has, "row {i} hasEndpoints");
            let mut union: Vec<u8> = cluster.iter().chain(local).copied().collect();
            union.sort_unstable();
            union.dedup();
            assert_eq!(octets(&c.all_reachable), union, "row {i} all reachable");
        }
    }

    #[test]
    fn cluster_only_service_has_no_local_list() {
        let svc = ServicePortInfo::new(
            "ns",
            "s",
            "",
            Protocol::Tcp,
            Some(Ipv4Addr::new(10, 96, 0, 5)),
            80,
        );
        let eps: Vec<EndpointInfo> = [(1, true, true, false, true), (2, true, true, false, false)]
            .iter()
            .map(ep)
            .collect();
        let c = categorize_endpoints(&eps, &svc, NODE, None);
        assert_eq!(octets(&c.cluster), [1, 2]);
        assert!(c.local.is_empty());
    }

    #[test]
    fn internal_local_without_external_uses_only_local() {
        let mut svc = ServicePortInfo::new(
            "ns",
            "s",
            "",
            Protocol::Tcp,
            Some(Ipv4Addr::new(10, 96, 0, 5)),
            80,
        );
        svc.internal_traffic_policy = TrafficPolicy::Local;
        let eps: Vec<EndpointInfo> = [(1, true, true, false, false)].iter().map(ep).collect();
        let c = categorize_endpoints(&eps, &svc, NODE, None);
        assert!(c.cluster.is_empty() && c.local.is_empty() && c.all_reachable.is_empty());
        assert!(
            c.has_any_endpoints,
            "a remote ready endpoint still counts: DROP, not REJECT"
        );
    }

    #[test]
    fn endpoints_sort_as_strings() {
        let svc = ServicePortInfo::new(
            "ns",
            "s",
            "",
            Protocol::Tcp,
            Some(Ipv4Addr::new(10, 96, 0, 5)),
            80,
        );
        let eps = vec![
            EndpointInfo::ready(Ipv4Addr::new(10, 0, 1, 2), 80, NODE),
            EndpointInfo::ready(Ipv4Addr::new(10, 0, 1, 10), 80, NODE),
        ];
        let c = categorize_endpoints(&eps, &svc, NODE, None);
        assert_eq!(c.cluster[0].ip_port(), "10.0.1.10:80");
    }

    #[test]
    fn zone_hints_filter_only_when_every_ready_endpoint_has_them() {
        let svc = ServicePortInfo::new(
            "ns",
            "s",
            "",
            Protocol::Tcp,
            Some(Ipv4Addr::new(10, 96, 0, 5)),
            80,
        );
        let mut a = EndpointInfo::ready(Ipv4Addr::new(10, 0, 1, 1), 80, "n1");
        a.zone_hints = vec!["zone-a".into()];
        let mut b = EndpointInfo::ready(Ipv4Addr::new(10, 0, 1, 2), 80, "n2");
        b.zone_hints = vec!["zone-b".into()];
        let c = categorize_endpoints(&[a.clone(), b.clone()], &svc, NODE, Some("zone-a"));
        assert_eq!(octets(&c.cluster), [1]);
        // No endpoint for this zone: no filtering.
        let c = categorize_endpoints(&[a.clone(), b.clone()], &svc, NODE, Some("zone-c"));
        assert_eq!(octets(&c.cluster), [1, 2]);
        // One endpoint without hints: no filtering.
        b.zone_hints.clear();
        let c = categorize_endpoints(&[a, b], &svc, NODE, Some("zone-a"));
        assert_eq!(octets(&c.cluster), [1, 2]);
    }
}
