//! Pod, template and ReplicationController checks, run after defaulting.

use super::*;
use crate::apiserver::defaults::{set_defaults_pod, set_defaults_replication_controller};
use serde_json::{json, Value};

fn pod(containers: Value) -> Pod {
    let mut p: Pod = match serde_json::from_value(json!({
        "metadata": {"name": "web-0", "namespace": "default"},
        "spec": {"containers": containers}
    })) {
        Ok(p) => p,
        Err(e) => panic!("bad test manifest: {e}"),
    };
    set_defaults_pod(&mut p);
    p
}

fn errors(p: &Pod) -> Vec<String> {
    validate_pod(p).iter().map(|e| e.to_string()).collect()
}

#[test]
fn a_typical_pod_is_valid() {
    let p = pod(json!([{
        "name": "web", "image": "nginx",
        "ports": [{"name": "http", "containerPort": 80}],
        "readinessProbe": {"httpGet": {"port": "http"}},
        "livenessProbe": {"tcpSocket": {"port": 80}},
        "lifecycle": {"preStop": {"sleep": {"seconds": 5}}}
    }]));
    assert_eq!(errors(&p), Vec::<String>::new());
}

#[test]
fn container_rules() {
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!([]), vec!["spec.containers: Required value"]),
        (json!([{"image": "nginx"}]), vec!["spec.containers[0].name: Required value"]),
        (json!([{"name": "Web", "image": "nginx"}]),
            vec!["spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]),
        (json!([{"name": "a", "image": "nginx"}, {"name": "a", "image": "busybox"}]),
            vec!["spec.containers[1].name: Duplicate value: \"a\""]),
        (json!([{"name": "a", "image": ""}]), vec!["spec.containers[0].image: Required value"]),
        (json!([{"name": "a", "image": " nginx"}]),
            vec!["spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace"]),
        (json!([{"name": "a", "image": "nginx", "imagePullPolicy": "Sometimes"}]),
            vec!["spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""]),
    ];
    for (containers, want) in cases {
        assert_eq!(errors(&pod(containers.clone())), want, "{containers}");
    }
}

#[test]
fn container_port_rules() {
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!([{"containerPort": 0}]), vec!["spec.containers[0].ports[0].containerPort: Required value"]),
        (json!([{"containerPort": 70000}]),
            vec!["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]),
        (json!([{"containerPort": 80, "protocol": "HTTP"}]),
            vec!["spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""]),
        (json!([{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}]),
            vec!["spec.containers[0].ports[1].name: Duplicate value: \"http\""]),
        (json!([{"name": "8080", "containerPort": 8080}]),
            vec!["spec.containers[0].ports[0].name: Invalid value: \"8080\": must contain at least one letter (a-z)"]),
    ];
    for (ports, want) in cases {
        let p = pod(json!([{"name": "c", "image": "nginx", "ports": ports}]));
        assert_eq!(errors(&p), want, "{ports}");
    }
}

#[test]
fn probe_rules() {
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"readinessProbe": {"periodSeconds": 5}}),
            vec!["spec.containers[0].readinessProbe: Required value: must specify a handler type"]),
        (json!({"readinessProbe": {"httpGet": {"port": 80}, "tcpSocket": {"port": 80}}}),
            vec!["spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"]),
        (json!({"readinessProbe": {"tcpSocket": {"port": 0}}}),
            vec!["spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive"]),
        (json!({"readinessProbe": {"exec": {}}}),
            vec!["spec.containers[0].readinessProbe.exec.command: Required value"]),
        (json!({"readinessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": -1}}),
            vec!["spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0"]),
        (json!({"livenessProbe": {"exec": {"command": ["true"]}, "successThreshold": 2}}),
            vec!["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"]),
        (json!({"lifecycle": {"preStop": {"sleep": {"seconds": 45}}}}),
            vec!["spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 45: must be non-negative and less than terminationGracePeriodSeconds (30)"]),
        (json!({"lifecycle": {"preStop": {}}}),
            vec!["spec.containers[0].lifecycle.preStop: Required value: must specify a handler type"]),
    ];
    for (extra, want) in cases {
        let mut c = json!({"name": "c", "image": "nginx"});
        if let (Some(o), Value::Object(e)) = (c.as_object_mut(), extra.clone()) {
            o.extend(e);
        }
        assert_eq!(errors(&pod(json!([c]))), want, "{extra}");
    }
}

#[test]
fn pod_spec_fields() {
    let mut p = pod(json!([{"name": "c", "image": "nginx"}]));
    p.spec.restart_policy = Some("Sometimes".into());
    p.spec.dns_policy = Some("Custom".into());
    p.spec.hostname = Some("Host".into());
    let got = errors(&p);
    assert_eq!(got[0], "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"");
    assert_eq!(got[1], "spec.dnsPolicy: Unsupported value: \"Custom\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"");
    assert!(
        got[2].starts_with("spec.hostname: Invalid value: \"Host\": a lowercase RFC 1123 label")
    );
    assert_eq!(got.len(), 3);
}

#[test]
fn pod_updates_only_change_images() {
    let old = pod(json!([{"name": "c", "image": "nginx:1"}]));
    let mut new = old.clone();
    new.spec.containers[0].image = "nginx:2".into();
    assert!(validate_pod_update(&new, &old).is_empty());
    new.spec.containers[0].ports.push(ContainerPort {
        container_port: 80,
        ..Default::default()
    });
    let got: Vec<String> = validate_pod_update(&new, &old)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        got,
        vec![format!("spec: Forbidden: {POD_UPDATE_FORBIDDEN}")]
    );
}

fn rc(v: Value) -> ReplicationController {
    let mut rc: ReplicationController = match serde_json::from_value(v) {
        Ok(r) => r,
        Err(e) => panic!("bad test manifest: {e}"),
    };
    set_defaults_replication_controller(&mut rc);
    rc
}

#[test]
fn replication_controllers() {
    let good = rc(json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    }));
    assert!(
        validate_replication_controller(&good).is_empty(),
        "selector defaults to the template labels"
    );

    let mismatch = rc(json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "api"},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    }));
    let got: Vec<String> = validate_replication_controller(&mismatch)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(got, vec!["spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"]);

    let bare = rc(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": {}}));
    let got: Vec<String> = validate_replication_controller(&bare)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        got,
        vec![
            "spec.selector: Required value",
            "spec.template: Required value"
        ]
    );
}
