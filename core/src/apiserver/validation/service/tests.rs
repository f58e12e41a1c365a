//! Spec §7.4 rows for Services, each run through the API server's order of work: defaults,
//! `normalizeClusterIPs`, allocation (simulated here), validation.

use super::*;
use crate::apiserver::defaults::{normalize_cluster_ips, set_defaults_service};
use serde_json::json;

/// Decodes a Service manifest and gives it the name `web` and namespace `default` unless the
/// manifest says otherwise.
fn service(v: serde_json::Value) -> Service {
    let mut svc: Service = match serde_json::from_value(v) {
        Ok(s) => s,
        Err(e) => panic!("bad test manifest: {e}"),
    };
    if svc.metadata.namespace.is_empty() {
        svc.metadata.namespace = "default".into();
    }
    svc
}

/// What the REST storage allocates before validating: a ClusterIP when none was asked for, a
/// NodePort per port for NodePort/LoadBalancer, a healthCheckNodePort for LoadBalancer+Local.
fn allocate(svc: &mut Service) {
    let ty = svc.spec.type_.clone().unwrap_or_default();
    if ty == "ExternalName" {
        return;
    }
    if svc.spec.cluster_ip.as_deref().unwrap_or("").is_empty() && svc.spec.cluster_ips.is_empty() {
        svc.spec.cluster_ip = Some("10.96.0.10".into());
        svc.spec.cluster_ips = vec!["10.96.0.10".into()];
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        for (i, p) in svc.spec.ports.iter_mut().enumerate() {
            if p.node_port.unwrap_or(0) == 0 {
                p.node_port = Some(31000 + i as i32);
            }
        }
    }
    if needs_health_check(svc) && svc.spec.health_check_node_port.is_none() {
        svc.spec.health_check_node_port = Some(32000);
    }
}

fn create_errors(v: serde_json::Value) -> Vec<String> {
    let mut svc = service(v);
    set_defaults_service(&mut svc);
    normalize_cluster_ips(&mut svc, None);
    allocate(&mut svc);
    validate_service(&svc)
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn named(spec: serde_json::Value) -> serde_json::Value {
    json!({"metadata": {"name": "web"}, "spec": spec})
}

const DNS1123_LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QNAME: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

#[test]
fn valid_services_pass() {
    let cases = [
        named(json!({"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]})),
        named(json!({"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80}]})),
        named(
            json!({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "ports": [{"port": 80}]}),
        ),
        named(json!({"clusterIP": "None", "selector": {"app": "web"}})),
        named(json!({"type": "ExternalName", "externalName": "example.com."})),
        named(
            json!({"sessionAffinity": "ClientIP", "ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53}]}),
        ),
        named(
            json!({"externalIPs": ["192.0.2.7"], "externalTrafficPolicy": "Local", "ports": [{"port": 80, "targetPort": "http"}]}),
        ),
    ];
    for c in cases {
        assert_eq!(create_errors(c.clone()), Vec::<String>::new(), "{c}");
    }
}

/// §7.4 rows 3-32, one problem each, in the exact wording of the API server.
#[test]
fn spec_7_4_rows() {
    let long = "a".repeat(64);
    let port = |p: serde_json::Value| named(json!({"selector": {"app": "web"}, "ports": [p]}));
    let rows: Vec<(u32, serde_json::Value, Vec<String>)> = vec![
        (3, port(json!({"port": 0, "targetPort": 8080})),
            vec!["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive".into()]),
        (4, port(json!({"port": 65536, "targetPort": 8080})),
            vec!["spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive".into()]),
        (5, named(json!({"ports": [{"port": 80}, {"port": 443}]})),
            vec!["spec.ports[0].name: Required value".into(), "spec.ports[1].name: Required value".into()]),
        (6, named(json!({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 443}]})),
            vec!["spec.ports[1].name: Duplicate value: \"http\"".into()]),
        (7, port(json!({"name": "Http", "port": 80})),
            vec![format!("spec.ports[0].name: Invalid value: \"Http\": {DNS1123_LABEL}")]),
        (8, port(json!({"port": 80, "protocol": "HTTP"})),
            vec!["spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"".into()]),
        (9, port(json!({"port": 80, "targetPort": "8080"})),
            vec!["spec.ports[0].targetPort: Invalid value: \"8080\": must contain at least one letter (a-z)".into()]),
        (10, port(json!({"port": 80, "targetPort": "http_web"})),
            vec!["spec.ports[0].targetPort: Invalid value: \"http_web\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into()]),
        (11, port(json!({"port": 80, "targetPort": "very-long-port-name"})),
            vec!["spec.ports[0].targetPort: Invalid value: \"very-long-port-name\": must be no more than 15 characters".into()]),
        (12, port(json!({"port": 80, "targetPort": 70000})),
            vec!["spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive".into()]),
        (13, json!({"metadata": {"name": "My-Svc"}, "spec": {"ports": [{"port": 80}]}}),
            vec![format!("metadata.name: Invalid value: \"My-Svc\": {DNS1035}")]),
        (14, json!({"metadata": {"name": "1svc"}, "spec": {"ports": [{"port": 80}]}}),
            vec![format!("metadata.name: Invalid value: \"1svc\": {DNS1035}")]),
        (15, json!({"metadata": {"name": long}, "spec": {"ports": [{"port": 80}]}}),
            vec![format!("metadata.name: Invalid value: \"{long}\": must be no more than 63 characters")]),
        (16, json!({"spec": {"ports": [{"port": 80}]}}),
            vec!["metadata.name: Required value: name or generateName is required".into()]),
        (17, named(json!({"type": "ClusterIP", "ports": [{"port": 80, "nodePort": 30001}]})),
            vec!["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'".into()]),
        (18, named(json!({"type": "NodePort", "clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]})),
            vec!["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services".into()]),
        (19, named(json!({"type": "LoadBalancer", "clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]})),
            vec!["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services".into()]),
        (20, named(json!({"type": "ExternalName"})),
            vec!["spec.externalName: Required value".into()]),
        (21, named(json!({"type": "ExternalName", "externalName": "my_host"})),
            vec!["spec.externalName: Invalid value: \"my_host\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into()]),
        (22, named(json!({"type": "ExternalName", "externalName": "example.com", "ipFamilies": ["IPv4"]})),
            vec!["spec.ipFamilies: Forbidden: may not be set for ExternalName services".into()]),
        (23, named(json!({"clusterIP": "10.0.0.300", "ports": [{"port": 80}]})),
            vec!["spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)".into()]),
        (24, named(json!({"clusterIPs": ["10.96.0.5"], "ports": [{"port": 80}]})),
            vec!["spec.clusterIPs: Invalid value: [\"10.96.0.5\"]: must be empty when `clusterIP` is not specified".into()]),
        (25, named(json!({"selector": {"my app": "web"}, "ports": [{"port": 80}]})),
            vec![format!("spec.selector: Invalid value: \"my app\": {QNAME}")]),
        (26, named(json!({"selector": {"app": "-web"}, "ports": [{"port": 80}]})),
            vec![format!("spec.selector: Invalid value: \"-web\": {LABEL_VALUE}")]),
        (27, named(json!({"sessionAffinity": "Sticky", "ports": [{"port": 80}]})),
            vec!["spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"".into()]),
        (28, named(json!({"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 0}}, "ports": [{"port": 80}]})),
            vec!["spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400".into()]),
        (29, named(json!({"type": "Foo", "ports": [{"port": 80}]})),
            vec!["spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"".into()]),
        (30, named(json!({"externalTrafficPolicy": "Local", "ports": [{"port": 80}]})),
            vec!["spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services".into()]),
        (31, named(json!({"internalTrafficPolicy": "Foo", "ports": [{"port": 80}]})),
            vec!["spec.internalTrafficPolicy: Unsupported value: \"Foo\": supported values: \"Cluster\", \"Local\"".into()]),
        (32, named(json!({"loadBalancerSourceRanges": ["10.0.0.0/8"], "ports": [{"port": 80}]})),
            vec!["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'".into()]),
    ];
    for (row, manifest, want) in rows {
        assert_eq!(create_errors(manifest), want, "§7.4 row {row}");
    }
}

/// Rows 1 and 2 come from the port allocator; these are the messages it reports.
#[test]
fn allocator_message_builders() {
    let p = Path::new("spec").child("ports").index(0).child("nodePort");
    assert_eq!(
        node_port_not_in_range(&p, 80, "30000-32767").to_string(),
        "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"
    );
    assert_eq!(
        node_port_already_allocated(&p, 30080).to_string(),
        "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"
    );
    let ips = vec!["10.96.0.10".to_string()];
    assert_eq!(
        cluster_ip_already_allocated(&ips, "10.96.0.10").to_string(),
        "spec.clusterIPs: Invalid value: [\"10.96.0.10\"]: failed to allocate IP 10.96.0.10: provided IP is already allocated"
    );
    assert_eq!(
        cluster_ip_not_in_range(&ips, "10.96.0.10", "10.0.0.0/24").to_string(),
        "spec.clusterIPs: Invalid value: [\"10.96.0.10\"]: failed to allocate IP 10.96.0.10: the provided IP (10.96.0.10) is not in the valid range. The range of valid IPs is 10.0.0.0/24"
    );
}

/// A port of 0 with no targetPort: the default copies 0 into targetPort, so both fail
/// (derived from SetDefaults_Service + validateServicePort).
#[test]
fn port_zero_also_breaks_the_defaulted_target_port() {
    assert_eq!(
        create_errors(named(json!({"ports": [{"port": 0}]}))),
        vec![
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
        ]
    );
}

/// Several problems come out in upstream's check order, and the status message brackets them.
#[test]
fn several_errors_keep_upstream_order() {
    let mut svc = service(json!({
        "metadata": {"name": "My-Svc"},
        "spec": {"type": "Foo", "sessionAffinity": "Sticky", "selector": {"app": "-web"},
                 "ports": [{"port": 0, "protocol": "HTTP", "targetPort": "x_y"}]}
    }));
    set_defaults_service(&mut svc);
    normalize_cluster_ips(&mut svc, None);
    allocate(&mut svc);
    let errs = validate_service(&svc);
    let got: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        got,
        vec![
            format!("metadata.name: Invalid value: \"My-Svc\": {DNS1035}"),
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive".to_string(),
            "spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"".to_string(),
            "spec.ports[0].targetPort: Invalid value: \"x_y\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
            format!("spec.selector: Invalid value: \"-web\": {LABEL_VALUE}"),
            "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"".to_string(),
            "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"".to_string(),
        ]
    );
    let msg = errs.status_message("Service", "My-Svc");
    assert!(msg
        .starts_with("Service \"My-Svc\" is invalid: [metadata.name: Invalid value: \"My-Svc\": "));
    assert!(msg.ends_with(
        "supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"]"
    ));
}

#[test]
fn port_and_node_port_uniqueness() {
    assert_eq!(
        create_errors(named(json!({"type": "NodePort", "ports": [
            {"name": "a", "port": 80, "nodePort": 30080},
            {"name": "b", "port": 81, "nodePort": 30080}]}))),
        vec!["spec.ports[1].nodePort: Duplicate value: 30080"]
    );
    // The same nodePort for TCP and UDP is fine.
    assert!(create_errors(named(json!({"type": "NodePort", "ports": [
        {"name": "a", "port": 53, "nodePort": 30053},
        {"name": "b", "port": 53, "protocol": "UDP", "nodePort": 30053}]})))
    .is_empty());
    assert_eq!(
        create_errors(named(json!({"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]}))),
        vec!["spec.ports[1]: Duplicate value: {\"Name\":\"\",\"Protocol\":\"TCP\",\"AppProtocol\":null,\"Port\":80,\"TargetPort\":0,\"NodePort\":0}"]
    );
}

#[test]
fn load_balancer_rules() {
    assert_eq!(
        create_errors(named(json!({"type": "LoadBalancer", "ports": [{"port": 10250}]}))),
        vec!["spec.ports[0]: Invalid value: 10250: may not expose port 10250 externally since it is used by kubelet"]
    );
    assert_eq!(
        create_errors(named(json!({"allocateLoadBalancerNodePorts": false, "ports": [{"port": 80}]}))),
        vec!["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"]
    );
    assert_eq!(
        create_errors(named(json!({"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/33"], "ports": [{"port": 80}]}))),
        vec!["spec.LoadBalancerSourceRanges[0]: Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    );
    assert_eq!(
        create_errors(named(json!({"healthCheckNodePort": 30500, "type": "NodePort", "ports": [{"port": 80}]}))),
        vec!["spec.healthCheckNodePort: Invalid value: 30500: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"]
    );
    assert_eq!(
        create_errors(named(json!({"loadBalancerClass": "example.com/lb", "ports": [{"port": 80}]}))),
        vec!["spec.loadBalancerClass: Forbidden: may only be used when service type is 'LoadBalancer'"]
    );
}

#[test]
fn affinity_and_ip_checks() {
    assert_eq!(
        create_errors(named(json!({"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 86401}}, "ports": [{"port": 80}]}))),
        vec!["spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400"]
    );
    assert_eq!(
        create_errors(named(json!({"externalIPs": ["127.0.0.1"], "ports": [{"port": 80}]}))),
        vec!["spec.externalIPs[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)"]
    );
    assert_eq!(
        create_errors(named(
            json!({"clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.6"], "ports": [{"port": 80}]})
        )),
        vec!["spec.clusterIPs: Invalid value: [\"10.96.0.6\"]: first value must match `clusterIP`"]
    );
    assert_eq!(
        create_errors(named(json!({"clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5", "10.96.0.6"], "ipFamilyPolicy": "PreferDualStack", "ports": [{"port": 80}]}))),
        vec!["spec.clusterIPs: Invalid value: [\"10.96.0.5\",\"10.96.0.6\"]: may specify no more than one IP for each IP family"]
    );
    assert_eq!(
        create_errors(named(json!({"ipFamilyPolicy": "Dual", "ports": [{"port": 80}]}))),
        vec!["spec.ipFamilyPolicy: Unsupported value: \"Dual\": supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\""]
    );
}

#[test]
fn updates_may_not_move_the_cluster_ip() {
    let mut old = service(named(
        json!({"selector": {"app": "web"}, "ports": [{"port": 80}]}),
    ));
    set_defaults_service(&mut old);
    normalize_cluster_ips(&mut old, None);
    allocate(&mut old);

    let mut same = old.clone();
    same.spec.ports[0].target_port = Some(IntOrString::Int(9090));
    assert!(validate_service_update(&same, &old).is_empty());

    let mut moved = old.clone();
    moved.spec.cluster_ip = Some("10.96.0.11".into());
    normalize_cluster_ips(&mut moved, Some(&old));
    let got: Vec<String> = validate_service_update(&moved, &old)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        got,
        vec!["spec.clusterIPs[0]: Invalid value: [\"10.96.0.11\"]: may not change once set"]
    );

    let mut renamed = old.clone();
    renamed.metadata.name = "other".into();
    let got: Vec<String> = validate_service_update(&renamed, &old)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        got,
        vec!["metadata.name: Invalid value: \"other\": field is immutable"]
    );
}
