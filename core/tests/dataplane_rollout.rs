//! The key lesson: replacing the pods behind a Service under steady traffic loses requests
//! unless new pods are only used once ready (readiness probe), old pods are removed only
//! after new ones serve (maxUnavailable 0), and old pods keep serving for longer than the
//! kube-proxy sync lag (preStop sleep), so that no node routes to a pod that has stopped.
//! Pods are replaced by hand, as a rolling update with maxSurge 1 / maxUnavailable 0
//! would: start a new pod, wait until it is Ready, then delete an old one.

mod common;
use common::*;
use kubeplay_core::api::Pod;
use kubeplay_core::apiserver::ObjectKey;
use kubeplay_core::dataplane::{TrafficSource, TrafficSpec};
use kubeplay_core::proxy::ProxyMode;
use kubeplay_core::Sim;

fn app_pod(name: &str, careful: bool) -> Pod {
    let extra = if careful {
        r#"
    readinessProbe:
      httpGet: {path: /, port: 8080}
      periodSeconds: 1
    lifecycle:
      preStop:
        sleep: {seconds: 5}"#
    } else {
        ""
    };
    let yaml = format!(
        r#"
metadata:
  name: {name}
  namespace: default
  labels: {{app: web}}
spec:
  containers:
  - name: app
    image: registry.k8s.io/e2e-test-images/agnhost:2.52{extra}
"#
    );
    serde_yaml_ng::from_str(&yaml).expect("pod yaml")
}

fn ready(sim: &Sim, name: &str) -> bool {
    sim.api.get::<Pod>("default", name).is_some_and(|p| {
        p.status
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    })
}

/// Replaces 3 pods one by one under 200 req/s; returns (requests, failures).
fn rollout(careful: bool, mode: ProxyMode) -> (u64, u64) {
    let mut sim = sim(3, mode, 21);
    sim.api.create(service("web", "web", "ClusterIP")).unwrap();
    for i in 0..3 {
        sim.api
            .create(app_pod(&format!("old-{i}"), careful))
            .unwrap();
    }
    sim.api.create(pod("client", "client")).unwrap();
    sim.advance(30_000);
    sim.traffic_start(TrafficSpec {
        source: TrafficSource::Pod(ObjectKey::new("default", "client")),
        host: "web".into(),
        port: 80,
        rate: 200,
        keep_alive: false,
        clients: 1,
    })
    .unwrap();
    sim.advance(5_000);
    for i in 0..3 {
        let new = format!("new-{i}");
        sim.api.create(app_pod(&new, careful)).unwrap();
        sim.settle();
        if careful {
            // maxUnavailable 0: the old pod goes only once its replacement is Ready.
            while !ready(&sim, &new) {
                sim.advance(100);
            }
        } else {
            sim.advance(100);
        }
        delete_pod(&mut sim, &format!("old-{i}"), None);
        sim.advance(3_000);
    }
    sim.advance(30_000);
    sim.traffic_stop(None).unwrap();
    let total = sim.infra.dataplane.stats.total.clone();
    if std::env::var("SHOW").is_ok() {
        eprintln!("{mode:?} careful={careful}\n{}", sim.traffic_stats());
    }
    (total.total(), total.total() - total.by_kind[0])
}

#[test]
fn careful_rollout_loses_no_request_and_a_careless_one_does() {
    for mode in [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables] {
        let (sent, lost) = rollout(true, mode);
        assert!(sent > 5_000, "{sent}");
        assert_eq!(
            lost, 0,
            "{mode:?}: readiness + maxUnavailable 0 + preStop > sync lag"
        );
        let (sent, lost) = rollout(false, mode);
        assert!(sent > 5_000);
        assert!(lost > 0, "{mode:?}: without them some requests fail");
    }
}
