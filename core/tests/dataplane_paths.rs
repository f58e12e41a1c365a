//! Paths through the data plane (spec §5.5): source NAT under each external traffic
//! policy, DROP without local endpoints, the stale window of a node whose kube-proxy has
//! not synced yet, DNS names, traffic from outside to cluster-internal addresses.

mod common;
use common::*;
use kubeplay_core::apiserver::ObjectKey;
use kubeplay_core::dataplane::{send, Client, Outcome, RequestSpec, SyncStatus};
use kubeplay_core::proxy::ProxyMode;
use kubeplay_core::Sim;
use std::net::Ipv4Addr;

const CLIENT: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 77);
const MODES: [ProxyMode; 3] = [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables];

fn req(
    sim: &mut Sim,
    client: Client,
    host: &str,
    port: u16,
) -> kubeplay_core::dataplane::RequestRecord {
    let spec = RequestSpec {
        client,
        host: host.into(),
        port,
        path: "/".into(),
        generator: None,
    };
    send(&mut sim.api, &mut sim.infra, &spec, None, false)
        .expect("client can send")
        .record
}

/// One `web` pod on node-2 behind a NodePort Service with the given external policy.
fn one_pod_on_node2(mode: ProxyMode, policy: &str) -> (Sim, u16) {
    let mut sim = sim(3, mode, 3);
    let mut svc = service("web", "web", "LoadBalancer");
    svc.spec.external_traffic_policy = Some(policy.into());
    sim.api.create(svc).unwrap();
    sim.api.create(pod_on("web-1", "web", "node-2")).unwrap();
    sim.advance(20_000);
    let np = sim
        .api
        .get::<kubeplay_core::api::Service>("default", "web")
        .unwrap()
        .spec
        .ports[0]
        .node_port
        .unwrap() as u16;
    (sim, np)
}

const NODE1: &str = "172.18.0.2";
const NODE2: &str = "172.18.0.3";

#[test]
fn cluster_policy_masquerades_external_traffic_to_the_node_address() {
    for mode in MODES {
        let (mut sim, np) = one_pod_on_node2(mode, "Cluster");
        // Arriving at node-1, forwarded to the pod on node-2: the pod sees node-1.
        let r = req(&mut sim, Client::External(CLIENT), NODE1, np);
        match r.outcome {
            Outcome::Served {
                seen_src, ref pod, ..
            } => {
                assert_eq!(pod.name, "web-1");
                assert_eq!(seen_src.to_string(), NODE1, "{mode:?}");
            }
            ref o => panic!("{mode:?}: {o:?} ({})", r.cause),
        }
    }
}

#[test]
fn local_policy_keeps_the_client_address_and_drops_on_nodes_without_a_local_pod() {
    for mode in MODES {
        let (mut sim, np) = one_pod_on_node2(mode, "Local");
        let r = req(&mut sim, Client::External(CLIENT), NODE2, np);
        match r.outcome {
            Outcome::Served { seen_src, .. } => assert_eq!(seen_src, CLIENT, "{mode:?}"),
            ref o => panic!("{mode:?}: {o:?} ({})", r.cause),
        }
        // iptables and nftables DROP; an IPVS virtual server without real servers
        // answers ICMP port unreachable (`ip_vs_leave`), so the client is refused.
        let expected = if mode == ProxyMode::Ipvs {
            Outcome::Refused
        } else {
            Outcome::Dropped
        };
        let r = req(&mut sim, Client::External(CLIENT), NODE1, np);
        assert_eq!(r.outcome, expected, "{mode:?}: {}", r.cause);
        // The cloud load balancer only sends to nodes whose health check passes.
        let lb = sim
            .api
            .get::<kubeplay_core::api::Service>("default", "web")
            .unwrap()
            .status
            .load_balancer
            .ingress[0]
            .ip
            .clone()
            .unwrap();
        for _ in 0..50 {
            let r = req(&mut sim, Client::External(CLIENT), &lb, 80);
            match r.outcome {
                Outcome::Served { seen_src, .. } => assert_eq!(seen_src, CLIENT),
                ref o => panic!("{mode:?}: {o:?} ({})", r.cause),
            }
            assert_eq!(r.hops[0].0, "node-2");
        }
    }
}

#[test]
fn pod_traffic_is_not_masqueraded_and_outside_clients_cannot_reach_cluster_addresses() {
    let (mut sim, _) = one_pod_on_node2(ProxyMode::Iptables, "Cluster");
    sim.api
        .create(pod_on("client", "client", "node-1"))
        .unwrap();
    sim.advance(20_000);
    let client_ip: Ipv4Addr = pod_ip(&sim, "client").parse().unwrap();
    let r = req(
        &mut sim,
        Client::Pod(ObjectKey::new("default", "client")),
        "web.default.svc.cluster.local",
        80,
    );
    assert!(
        matches!(r.outcome, Outcome::Served { seen_src, .. } if seen_src == client_ip),
        "{r:?}"
    );
    let vip = cluster_ip(&sim, "web");
    let pip = pod_ip(&sim, "web-1");
    for target in [vip.as_str(), pip.as_str()] {
        let r = req(&mut sim, Client::External(CLIENT), target, 80);
        assert_eq!(r.outcome, Outcome::NotRoutable, "{target}");
    }
    assert!(sim
        .curl(&["http://web"])
        .unwrap_err()
        .contains("Could not resolve host: web"));
}

#[test]
fn a_service_without_endpoints_is_rejected_and_curl_says_so() {
    let mut sim = sim(2, ProxyMode::Iptables, 5);
    sim.api
        .create(service("empty", "nothing", "ClusterIP"))
        .unwrap();
    sim.api
        .create(pod_on("client", "client", "node-1"))
        .unwrap();
    sim.advance(20_000);
    let vip = cluster_ip(&sim, "empty");
    let err = sim.exec_curl("client", &["http://empty"]).unwrap_err();
    assert_eq!(
        err,
        format!("curl: (7) Failed to connect to {vip} port 80 after 0 ms: Couldn't connect to server\ncommand terminated with exit code 7")
    );
    assert_eq!(
        sim.exec_curl("client", &["-s", "http://empty"])
            .unwrap_err(),
        "command terminated with exit code 7"
    );
    assert_eq!(
        sim.infra.dataplane.last().unwrap().outcome,
        Outcome::Refused
    );
}

#[test]
fn right_after_a_pod_is_deleted_a_stale_node_still_sends_to_it_until_it_syncs() {
    let mut sim = sim(3, ProxyMode::Iptables, 9);
    sim.api.create(service("web", "web", "ClusterIP")).unwrap();
    sim.api.create(pod_on("web-a", "web", "node-1")).unwrap();
    sim.api.create(pod_on("web-b", "web", "node-2")).unwrap();
    sim.api
        .create(pod_on("client", "client", "node-3"))
        .unwrap();
    sim.advance(20_000);
    let gone = pod_ip(&sim, "web-a");
    assert!(matches!(
        sim.proxy_sync_status("node-3"),
        SyncStatus::InSync { .. }
    ));
    // Force-delete: the pod leaves the API and its sandbox is torn down at once.
    delete_pod(&mut sim, "web-a", Some(0));
    sim.advance(10);
    assert!(sim.infra.sandbox(&gone).is_none(), "sandbox torn down");
    let deleted_at = sim.now() - 10;
    assert!(
        matches!(sim.proxy_sync_status("node-3"), SyncStatus::Stale { since, .. } if since == deleted_at)
    );
    let client = || Client::Pod(ObjectKey::new("default", "client"));
    let stale: Vec<_> = (0..40)
        .map(|_| req(&mut sim, client(), "web", 80))
        .collect();
    let to_gone: Vec<_> = stale
        .iter()
        .filter(|r| r.hops[0].1.verdict.contains(&gone))
        .collect();
    assert!(!to_gone.is_empty(), "the stale rules still DNAT to {gone}");
    for r in &to_gone {
        assert_eq!(r.outcome, Outcome::TimedOut);
        assert!(r.cause.contains("stale rule on node-3"), "{}", r.cause);
    }
    // After the watch latency (100 ms) the idle proxier syncs.
    sim.advance(100);
    assert!(matches!(
        sim.proxy_sync_status("node-3"),
        SyncStatus::InSync { .. }
    ));
    for _ in 0..40 {
        let r = req(&mut sim, client(), "web", 80);
        assert!(
            matches!(&r.outcome, Outcome::Served { pod, .. } if pod.name == "web-b"),
            "{r:?}"
        );
    }
}

#[test]
fn min_sync_period_batches_changes_that_follow_a_sync() {
    let mut sim = sim(2, ProxyMode::Iptables, 9);
    sim.api.create(service("web", "web", "ClusterIP")).unwrap();
    sim.advance(5_000);
    sim.api.create(pod_on("web-a", "web", "node-1")).unwrap();
    sim.settle();
    // The pod gets an IP (and joins the slice as not ready) shortly after; find when the
    // node synced it and then change something else 300 ms later.
    sim.advance(20_000);
    let SyncStatus::InSync { since: synced } = sim.proxy_sync_status("node-2") else {
        panic!("in sync")
    };
    assert!(sim.now() - synced >= 1_000, "idle for a while");
    sim.api
        .create(service("other", "other", "ClusterIP"))
        .unwrap();
    sim.settle();
    sim.advance(100);
    let SyncStatus::InSync { since: first } = sim.proxy_sync_status("node-2") else {
        panic!("first change after idle synced after the watch latency")
    };
    sim.advance(300);
    sim.api
        .create(service("third", "other", "ClusterIP"))
        .unwrap();
    sim.settle();
    sim.advance(500);
    assert!(matches!(
        sim.proxy_sync_status("node-2"),
        SyncStatus::Stale { .. }
    ));
    sim.advance(first + 1_000 - sim.now() - 1);
    assert!(matches!(
        sim.proxy_sync_status("node-2"),
        SyncStatus::Stale { .. }
    ));
    sim.advance(1);
    assert_eq!(
        sim.proxy_sync_status("node-2"),
        SyncStatus::InSync {
            since: first + 1_000
        }
    );
}

#[test]
fn a_failed_node_keeps_its_old_rules_and_syncs_when_it_comes_back() {
    let mut sim = sim(2, ProxyMode::Iptables, 4);
    sim.fail_node("node-2").unwrap();
    sim.api.create(service("web", "web", "ClusterIP")).unwrap();
    sim.advance(2_000);
    assert!(matches!(
        sim.proxy_sync_status("node-2"),
        SyncStatus::Stale { .. }
    ));
    assert!(matches!(
        sim.proxy_sync_status("node-1"),
        SyncStatus::InSync { .. }
    ));
    sim.recover_node("node-2").unwrap();
    sim.advance(10);
    assert!(matches!(
        sim.proxy_sync_status("node-2"),
        SyncStatus::InSync { .. }
    ));
}

#[test]
fn nslookup_prints_like_busybox() {
    let mut sim = sim(2, ProxyMode::Iptables, 4);
    sim.api.create(service("web", "web", "ClusterIP")).unwrap();
    let mut headless = service("db", "db", "ClusterIP");
    headless.spec.cluster_ip = Some("None".into());
    sim.api.create(headless).unwrap();
    sim.api.create(pod_on("db-0", "db", "node-1")).unwrap();
    let mut ext = service("ext", "x", "ExternalName");
    ext.spec.selector = None;
    ext.spec.ports.clear();
    ext.spec.external_name = Some("example.com".into());
    sim.api.create(ext).unwrap();
    sim.advance(20_000);
    let vip = cluster_ip(&sim, "web");
    for name in ["web", "web.default", "web.default.svc.cluster.local"] {
        assert_eq!(
            sim.nslookup(None, name).unwrap(),
            format!("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb.default.svc.cluster.local\nAddress: {vip}\n\n")
        );
    }
    let db = pod_ip(&sim, "db-0");
    assert!(sim
        .nslookup(None, "db")
        .unwrap()
        .contains(&format!("Address: {db}\n")));
    assert!(sim
        .nslookup(None, "ext")
        .unwrap()
        .contains("ext.default.svc.cluster.local\tcanonical name = example.com\n"));
    assert!(sim
        .nslookup(None, "nope")
        .unwrap_err()
        .ends_with("** server can't find nope: NXDOMAIN\n"));
}

#[test]
fn ipvs_mode_binds_service_addresses_to_kube_ipvs0_and_iptables_mode_binds_none() {
    let mut ipvs = sim(1, ProxyMode::Ipvs, 1);
    ipvs.api.create(service("web", "web", "ClusterIP")).unwrap();
    ipvs.advance(2_000);
    let vip = cluster_ip(&ipvs, "web");
    let out = ipvs.ip_addr("node-1").unwrap();
    assert!(
        out.contains("kube-ipvs0") && out.contains(&format!("inet {vip}/32")),
        "{out}"
    );
    let mut ipt = sim(1, ProxyMode::Iptables, 1);
    ipt.api.create(service("web", "web", "ClusterIP")).unwrap();
    ipt.advance(2_000);
    let vip = cluster_ip(&ipt, "web");
    assert!(!ipt.ip_addr("node-1").unwrap().contains(&vip));
    // No endpoints: only the filter table's REJECT rule mentions the ClusterIP.
    assert!(!ipt
        .iptables_save("node-1", Some("nat"))
        .unwrap()
        .contains(&vip));
    let filter = ipt.iptables_save("node-1", Some("filter")).unwrap();
    assert!(filter.contains(&format!("-A KUBE-SERVICES -d {vip}/32 -p tcp -m comment --comment \"default/web has no endpoints\"")), "{filter}");
    assert!(ipt
        .iptables_save("node-9", None)
        .unwrap_err()
        .contains("not found"));
}
