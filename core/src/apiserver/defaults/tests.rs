//! Defaults from spec §1.1, §3 and §7.2.

use super::*;
use serde_json::json;

fn decode<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    match serde_json::from_value(v) {
        Ok(x) => x,
        Err(e) => panic!("bad test manifest: {e}"),
    }
}

/// `kubectl create deployment web --image=nginx` as sent to the API server.
#[test]
fn deployment_defaults_spec_1_1() {
    let mut d: Deployment = decode(json!({
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "strategy": {},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}
    }));
    set_defaults_deployment(&mut d);
    assert_eq!(d.spec.replicas, Some(1));
    assert_eq!(d.spec.strategy.type_.as_deref(), Some("RollingUpdate"));
    let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
    assert_eq!(ru.max_unavailable, Some(IntOrString::from("25%")));
    assert_eq!(ru.max_surge, Some(IntOrString::from("25%")));
    assert_eq!(d.spec.revision_history_limit, Some(10));
    assert_eq!(d.spec.progress_deadline_seconds, Some(600));
    assert_eq!(d.spec.min_ready_seconds, None, "Go zero value, omitted");
    let pod = &d.spec.template.spec;
    assert_eq!(pod.termination_grace_period_seconds, Some(30));
    assert_eq!(pod.restart_policy.as_deref(), Some("Always"));
    assert_eq!(pod.dns_policy.as_deref(), Some("ClusterFirst"));
    assert_eq!(pod.scheduler_name.as_deref(), Some("default-scheduler"));
    assert_eq!(
        pod.enable_service_links, None,
        "only Pods get enableServiceLinks"
    );
    assert_eq!(
        pod.containers[0].image_pull_policy.as_deref(),
        Some("Always")
    );
}

#[test]
fn deployment_defaults_keep_given_values() {
    let mut d: Deployment = decode(json!({
        "spec": {"replicas": 0, "revisionHistoryLimit": 0, "progressDeadlineSeconds": 30,
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0}}}
    }));
    set_defaults_deployment(&mut d);
    assert_eq!(d.spec.replicas, Some(0));
    assert_eq!(d.spec.revision_history_limit, Some(0));
    assert_eq!(d.spec.progress_deadline_seconds, Some(30));
    let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
    assert_eq!(ru.max_surge, Some(IntOrString::Int(0)));
    assert_eq!(ru.max_unavailable, Some(IntOrString::from("25%")));

    let mut r: Deployment = decode(json!({"spec": {"strategy": {"type": "Recreate"}}}));
    set_defaults_deployment(&mut r);
    assert_eq!(
        r.spec.strategy.rolling_update, None,
        "no rollingUpdate for Recreate"
    );
}

#[test]
fn replica_set_and_replication_controller_defaults() {
    let mut rs: ReplicaSet =
        decode(json!({"spec": {"template": {"metadata": {"labels": {"app": "x"}}}}}));
    set_defaults_replica_set(&mut rs);
    assert_eq!(rs.spec.replicas, Some(1));
    assert_eq!(
        rs.spec.selector, None,
        "apps/v1 does not derive the selector"
    );
    assert!(rs.metadata.labels.is_empty());

    let mut rc: ReplicationController =
        decode(json!({"spec": {"template": {"metadata": {"labels": {"app": "x"}}}}}));
    set_defaults_replication_controller(&mut rc);
    let want = std::collections::BTreeMap::from([("app".to_string(), "x".to_string())]);
    assert_eq!(rc.spec.replicas, Some(1));
    assert_eq!(rc.spec.selector.as_ref(), Some(&want));
    assert_eq!(rc.metadata.labels, want);
}

/// §3: pod-level defaults seen by Services.
#[test]
fn pod_defaults_spec_3() {
    let mut pod: Pod = decode(json!({
        "metadata": {"name": "p"},
        "spec": {"containers": [{
            "name": "web", "image": "nginx:1.27",
            "ports": [{"containerPort": 80}],
            "readinessProbe": {"httpGet": {"port": 80}},
            "livenessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5},
            "startupProbe": {"exec": {"command": ["true"]}}
        }]}
    }));
    set_defaults_pod(&mut pod);
    assert_eq!(pod.spec.enable_service_links, Some(true));
    assert_eq!(pod.spec.termination_grace_period_seconds, Some(30));
    assert_eq!(pod.spec.dns_policy.as_deref(), Some("ClusterFirst"));
    assert_eq!(pod.spec.restart_policy.as_deref(), Some("Always"));
    let c = &pod.spec.containers[0];
    assert_eq!(c.image_pull_policy.as_deref(), Some("IfNotPresent"));
    assert_eq!(c.ports[0].protocol.as_deref(), Some("TCP"));
    let r = c.readiness_probe.clone().unwrap_or_default();
    assert_eq!(
        (
            r.period_seconds,
            r.timeout_seconds,
            r.success_threshold,
            r.failure_threshold
        ),
        (Some(10), Some(1), Some(1), Some(3))
    );
    assert_eq!(r.initial_delay_seconds, None, "not defaulted");
    assert_eq!(
        r.extra["httpGet"],
        json!({"port": 80, "path": "/", "scheme": "HTTP"})
    );
    let l = c.liveness_probe.clone().unwrap_or_default();
    assert_eq!(l.period_seconds, Some(5), "given values stay");
    assert_eq!(
        c.extra["startupProbe"],
        json!({"exec": {"command": ["true"]}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
    );
    // What `kubectl get pod -o yaml` shows for the unsimulated parts.
    let v = serde_json::to_value(&pod).unwrap_or_default();
    assert_eq!(v["spec"]["securityContext"], json!({}));
    assert_eq!(
        v["spec"]["containers"][0]["terminationMessagePath"],
        "/dev/termination-log"
    );
    assert_eq!(
        v["spec"]["containers"][0]["terminationMessagePolicy"],
        "File"
    );
}

#[test]
fn image_pull_policy_follows_the_tag() {
    let cases = [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        (
            "registry.k8s.io/e2e-test-images/agnhost:2.52",
            "IfNotPresent",
        ),
        ("localhost:5000/app", "Always"),
        ("localhost:5000/app:v1", "IfNotPresent"),
        (
            "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "IfNotPresent",
        ),
        (
            "nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "Always",
        ),
        ("Nginx", "IfNotPresent"),
        ("", "IfNotPresent"),
    ];
    for (image, want) in cases {
        assert_eq!(default_pull_policy(image), want, "{image:?}");
    }
}

/// §7.2 Service defaults.
#[test]
fn service_defaults_spec_7_2() {
    let mut svc: Service =
        decode(json!({"spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}));
    set_defaults_service(&mut svc);
    let s = &svc.spec;
    assert_eq!(s.type_.as_deref(), Some("ClusterIP"));
    assert_eq!(s.session_affinity.as_deref(), Some("None"));
    assert_eq!(s.ports[0].protocol.as_deref(), Some("TCP"));
    assert_eq!(s.ports[0].target_port, Some(IntOrString::Int(80)));
    assert_eq!(s.internal_traffic_policy.as_deref(), Some("Cluster"));
    assert_eq!(
        s.external_traffic_policy, None,
        "ClusterIP without externalIPs"
    );
    assert_eq!(s.allocate_load_balancer_node_ports, None);
    assert_eq!(s.ip_families, vec!["IPv4"]);
    assert_eq!(s.ip_family_policy.as_deref(), Some("SingleStack"));

    let mut lb: Service = decode(
        json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": "http"}]}}),
    );
    set_defaults_service(&mut lb);
    assert_eq!(lb.spec.external_traffic_policy.as_deref(), Some("Cluster"));
    assert_eq!(lb.spec.allocate_load_balancer_node_ports, Some(true));
    assert_eq!(
        lb.spec.ports[0].target_port,
        Some(IntOrString::from("http"))
    );

    let mut np: Service =
        decode(json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "targetPort": ""}]}}));
    set_defaults_service(&mut np);
    assert_eq!(np.spec.external_traffic_policy.as_deref(), Some("Cluster"));
    assert_eq!(np.spec.ports[0].target_port, Some(IntOrString::Int(80)));

    let mut ext: Service =
        decode(json!({"spec": {"type": "ExternalName", "externalName": "example.com"}}));
    set_defaults_service(&mut ext);
    assert_eq!(ext.spec.internal_traffic_policy, None);
    assert!(ext.spec.ip_families.is_empty());
    assert_eq!(ext.spec.ip_family_policy, None);

    let mut headless: Service = decode(json!({"spec": {"clusterIP": "None"}}));
    set_defaults_service(&mut headless);
    assert_eq!(
        headless.spec.ip_family_policy.as_deref(),
        Some("RequireDualStack")
    );
}

#[test]
fn session_affinity_defaults() {
    let mut c: Service = decode(json!({"spec": {"sessionAffinity": "ClientIP"}}));
    set_defaults_service(&mut c);
    let t = c
        .spec
        .session_affinity_config
        .and_then(|c| c.client_ip)
        .and_then(|c| c.timeout_seconds);
    assert_eq!(t, Some(10800));

    let mut n: Service =
        decode(json!({"spec": {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 5}}}}));
    set_defaults_service(&mut n);
    assert_eq!(n.spec.session_affinity.as_deref(), Some("None"));
    assert_eq!(n.spec.session_affinity_config, None, "dropped for None");
}

#[test]
fn cluster_ip_normalization() {
    let mut created: Service = decode(json!({"spec": {"clusterIP": "10.96.0.5"}}));
    normalize_cluster_ips(&mut created, None);
    assert_eq!(created.spec.cluster_ips, vec!["10.96.0.5"]);

    let old: Service =
        decode(json!({"spec": {"clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"]}}));
    // An old client sends only clusterIP: the list is carried over.
    let mut kept: Service = decode(json!({"spec": {"clusterIP": "10.96.0.5"}}));
    normalize_cluster_ips(&mut kept, Some(&old));
    assert_eq!(kept.spec.cluster_ips, vec!["10.96.0.5"]);
    // Changing only the singular field replaces the list (validation then rejects the change).
    let mut moved: Service =
        decode(json!({"spec": {"clusterIP": "10.96.0.6", "clusterIPs": ["10.96.0.5"]}}));
    normalize_cluster_ips(&mut moved, Some(&old));
    assert_eq!(moved.spec.cluster_ips, vec!["10.96.0.6"]);
    // Clearing clusterIP with the list untouched clears both.
    let mut cleared: Service = decode(json!({"spec": {"clusterIPs": ["10.96.0.5"]}}));
    normalize_cluster_ips(&mut cleared, Some(&old));
    assert!(cleared.spec.cluster_ips.is_empty());
}
