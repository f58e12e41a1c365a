//! Spec §7.4 rows 33-40 and the §7.2 Deployment rules, each run after defaulting.

use super::*;
use crate::apiserver::defaults::{set_defaults_deployment, set_defaults_replica_set};
use serde_json::{json, Value};

/// A valid Deployment manifest (as `kubectl create deployment web --image=nginx` sends it)
/// with `spec` fields overridden by `patch`.
fn deployment(patch: Value) -> Deployment {
    let mut v = json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}
    });
    if let (Some(spec), Value::Object(p)) = (v["spec"].as_object_mut(), patch) {
        for (k, val) in p {
            spec.insert(k, val);
        }
    }
    let mut d: Deployment = match serde_json::from_value(v) {
        Ok(d) => d,
        Err(e) => panic!("bad test manifest: {e}"),
    };
    set_defaults_deployment(&mut d);
    d
}

fn errors(d: &Deployment) -> Vec<String> {
    validate_deployment(d)
        .iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn kubectl_create_deployment_is_valid() {
    assert_eq!(errors(&deployment(json!({}))), Vec::<String>::new());
    assert!(errors(&deployment(json!({"strategy": {"type": "Recreate"}}))).is_empty());
    assert!(errors(&deployment(
        json!({"strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}})
    ))
    .is_empty());
    assert!(errors(&deployment(
        json!({"replicas": 0, "revisionHistoryLimit": 0})
    ))
    .is_empty());
}

#[test]
fn spec_7_4_rows_33_to_40() {
    let rows: Vec<(u32, Value, Vec<&str>)> = vec![
        (33, json!({"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}}),
            vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]),
        (34, json!({"strategy": {"rollingUpdate": {"maxUnavailable": "110%"}}}),
            vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"110%\": must not be greater than 100%"]),
        (35, json!({"strategy": {"rollingUpdate": {"maxSurge": "20Percent"}}}),
            vec!["spec.strategy.rollingUpdate.maxSurge: Invalid value: \"20Percent\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]),
        (36, json!({"strategy": {"rollingUpdate": {"maxSurge": -1}}}),
            vec!["spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"]),
        (37, json!({"selector": {}}),
            vec!["spec.selector: Invalid value: {}: empty selector is invalid for deployment"]),
        (38, json!({"selector": {"matchLabels": {"app": "checkout"}},
                    "template": {"metadata": {"labels": {"app": "check-out"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}),
            vec!["spec.template.metadata.labels: Invalid value: {\"app\":\"check-out\"}: `selector` does not match template `labels`"]),
        (39, json!({"progressDeadlineSeconds": 5, "minReadySeconds": 10}),
            vec!["spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds"]),
        (40, json!({"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}}),
            vec!["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]),
    ];
    for (row, patch, want) in rows {
        assert_eq!(errors(&deployment(patch)), want, "§7.4 row {row}");
    }
}

#[test]
fn other_deployment_rules() {
    // A missing selector selects nothing, so the template "does not match" either.
    let mut d = deployment(json!({}));
    d.spec.selector = None;
    assert_eq!(
        errors(&d),
        vec![
            "spec.selector: Required value",
            "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`",
        ]
    );
    assert_eq!(
        errors(&deployment(
            json!({"replicas": -1, "minReadySeconds": -1, "revisionHistoryLimit": -2})
        )),
        vec![
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
            "spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0",
        ]
    );
    assert_eq!(
        errors(&deployment(json!({"strategy": {"type": "BlueGreen"}}))),
        vec!["spec.strategy: Unsupported value: {\"Type\":\"BlueGreen\",\"RollingUpdate\":null}: supported values: \"Recreate\", \"RollingUpdate\""]
    );
    // Percent rounding can make both 0 at runtime, but literal 0% / 0 is rejected.
    assert_eq!(
        errors(&deployment(json!({"strategy": {"rollingUpdate": {"maxSurge": "0%", "maxUnavailable": 0}}}))),
        vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]
    );
    assert_eq!(
        errors(&deployment(json!({"selector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}))),
        vec![
            "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "spec.selector: Invalid value: {\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\"}]}: invalid label selector",
        ]
    );
    let mut bad_name = deployment(json!({}));
    bad_name.metadata.name = "Web".into();
    assert_eq!(errors(&bad_name).len(), 1);
    // Template problems are reported under spec.template.
    let mut no_image = deployment(json!({}));
    no_image.spec.template.spec.containers[0].image.clear();
    no_image.spec.template.spec.restart_policy = Some("Never".into());
    assert_eq!(
        errors(&no_image),
        vec![
            "spec.template.spec.containers[0].image: Required value",
            "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
        ]
    );
}

#[test]
fn the_selector_is_immutable() {
    let old = deployment(json!({}));
    let mut scaled = old.clone();
    scaled.spec.replicas = Some(5);
    assert!(validate_deployment_update(&scaled, &old).is_empty());
    let mut moved = deployment(json!({
        "selector": {"matchLabels": {"app": "web2"}},
        "template": {"metadata": {"labels": {"app": "web2"}},
                     "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}));
    moved.metadata = old.metadata.clone();
    let got: Vec<String> = validate_deployment_update(&moved, &old)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(got, vec!["spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web2\"}}: field is immutable"]);
}

#[test]
fn replica_sets() {
    let mut rs: ReplicaSet = match serde_json::from_value(json!({
        "metadata": {"name": "web-5d4f8", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}
    })) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    set_defaults_replica_set(&mut rs);
    assert!(validate_replica_set(&rs).is_empty());
    let mut empty = rs.clone();
    empty.spec.selector = Some(LabelSelector::default());
    let got: Vec<String> = validate_replica_set(&empty)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        got,
        vec!["spec.selector: Invalid value: {}: empty selector is invalid for deployment"]
    );
    let mut changed = rs.clone();
    changed.spec.selector = Some(LabelSelector::default());
    let got: Vec<String> = validate_replica_set_update(&changed, &rs)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        got.last().map(String::as_str),
        Some("spec.selector: Invalid value: {}: field is immutable")
    );
}
