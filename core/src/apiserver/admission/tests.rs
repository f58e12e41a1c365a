//! The create-time memo of pod defaulting and validation: pods carrying one template's spec
//! share one defaulted spec, and the memo never answers for a spec other than its own. On
//! update, a workload that keeps its stored template keeps it shared.

use super::*;
use crate::api::core::{Container, Toleration};
use crate::controllers::replicaset::pod_from_template;
use std::rc::Rc;

fn container(image: &str) -> Container {
    Container {
        name: "c".into(),
        image: image.into(),
        ..Default::default()
    }
}

fn spec_with(f: impl FnOnce(&mut PodSpec)) -> Shared<PodSpec> {
    let mut spec = PodSpec {
        containers: vec![container("nginx:1.27")].into(),
        ..Default::default()
    };
    f(&mut spec);
    Shared::new(spec)
}

fn pod_with_spec(name: &str, spec: &Shared<PodSpec>) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.spec = spec.clone();
    p
}

/// What defaulting without any memo makes of `spec`, on a private copy of it.
fn defaulted_afresh(spec: &Shared<PodSpec>) -> PodSpec {
    let mut p = Pod {
        spec: Shared::new((**spec).clone()),
        ..Default::default()
    };
    p.apply_defaults();
    (*p.spec).clone()
}

#[test]
fn pods_of_one_spec_share_the_defaults_each_would_get_alone() {
    let not_ready = Toleration {
        key: Some("node.kubernetes.io/not-ready".into()),
        operator: Some("Exists".into()),
        effect: Some("NoExecute".into()),
        toleration_seconds: Some(5),
        ..Default::default()
    };
    // Each pair differs only in a field defaulting reads.
    let specs = [
        ("tagged", spec_with(|_| {})),
        (
            "latest",
            spec_with(|s| s.containers = vec![container("nginx")].into()),
        ),
        (
            "policy-set",
            spec_with(|s| {
                s.containers[0].image_pull_policy = Some("Never".into());
            }),
        ),
        (
            "links-off",
            spec_with(|s| s.enable_service_links = Some(false)),
        ),
        (
            "tolerates",
            spec_with(|s| s.tolerations = vec![not_ready.clone()].into()),
        ),
        (
            "restart",
            spec_with(|s| s.restart_policy = Some("Never".into())),
        ),
    ];
    let mut api = ApiServer::new(1);
    // Interleaved, so each spec's second pod comes after the other specs' first.
    let mut first: Vec<Rc<Pod>> = Vec::new();
    for round in 0..2 {
        for (i, (name, spec)) in specs.iter().enumerate() {
            let pod = api
                .create(pod_with_spec(&format!("{name}-{round}"), spec))
                .unwrap();
            assert_eq!(*pod.spec, defaulted_afresh(spec), "{name} round {round}");
            if round == 0 {
                first.push(pod);
            } else {
                assert!(Shared::ptr_eq(&pod.spec, &first[i].spec), "{name} shares");
            }
        }
    }
}

#[test]
fn a_changed_template_gives_its_pods_the_new_spec() {
    let mut api = ApiServer::new(1);
    let mut rs = ReplicaSet::default();
    rs.metadata.name = "web".into();
    rs.spec.selector = Some(LabelSelector {
        match_labels: [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect(),
        ..Default::default()
    });
    rs.spec.template.metadata.labels = [("app".to_string(), "web".to_string())]
        .into_iter()
        .collect();
    rs.spec.template.spec.containers = vec![container("nginx:1.27")].into();
    let rs = api.create(rs).unwrap();
    let old = api
        .create(pod_from_template(&rs.spec.template, &*rs))
        .unwrap();
    let rs = api
        .modify::<ReplicaSet>("default", "web", |rs| {
            // An update keeps the policy defaulted for the old image unless it is cleared.
            let c = &mut rs.spec.template.spec.containers[0];
            c.image = "nginx".into();
            c.image_pull_policy = None;
        })
        .unwrap();
    let new = api
        .create(pod_from_template(&rs.spec.template, &*rs))
        .unwrap();
    assert_eq!(old.spec.containers[0].image, "nginx:1.27");
    assert_eq!(
        old.spec.containers[0].image_pull_policy.as_deref(),
        Some("IfNotPresent")
    );
    assert_eq!(new.spec.containers[0].image, "nginx");
    assert_eq!(
        new.spec.containers[0].image_pull_policy.as_deref(),
        Some("Always")
    );
    assert_eq!(*new.spec, defaulted_afresh(&rs.spec.template.spec));
}

#[test]
fn a_spec_at_the_address_of_a_dropped_one_is_not_taken_for_it() {
    // Each spec is dropped once its pod is created; the allocator would hand its address to
    // the next one of the same size if nothing kept it.
    let mut api = ApiServer::new(1);
    for i in 0..32 {
        let image = format!("img:{i}");
        let spec = spec_with(|s| s.containers = vec![container(&image)].into());
        let pod = api.create(pod_with_spec(&format!("p{i}"), &spec)).unwrap();
        drop(spec);
        assert_eq!(pod.spec.containers[0].image, image);
    }
}

#[test]
fn validation_memo_covers_only_the_spec_and_only_a_clean_one() {
    let mut api = ApiServer::new(1);
    let bad = spec_with(|s| s.containers = vec![container(" nginx")].into());
    let bad_spec_error = "The Pod \"p1\" is invalid: spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace";
    for name in ["p1", "p1"] {
        let err = api.create(pod_with_spec(name, &bad)).unwrap_err();
        assert_eq!(err.kubectl_message(), bad_spec_error);
    }
    let good = spec_with(|_| {});
    api.create(pod_with_spec("ok", &good)).unwrap();
    // Same spec again, now with metadata that is invalid: the metadata is still checked.
    let err = api.create(pod_with_spec("Not_A_Name", &good)).unwrap_err();
    assert!(
        err.kubectl_message()
            .starts_with("The Pod \"Not_A_Name\" is invalid: metadata.name: Invalid value"),
        "{}",
        err.kubectl_message()
    );
    api.create(pod_with_spec("ok-2", &good)).unwrap();
}

#[test]
fn pods_of_a_deployment_share_their_containers_after_binding() {
    let mut sim = crate::Sim::new(crate::SimConfig {
        nodes: 3,
        ..Default::default()
    });
    let labels: crate::api::meta::StringMap = [("app".to_string(), "web".to_string())].into();
    let mut d = Deployment::default();
    d.metadata.name = "web".into();
    d.spec.replicas = Some(4);
    d.spec.selector = Some(LabelSelector {
        match_labels: labels.clone().into(),
        ..Default::default()
    });
    d.spec.template.metadata.labels = labels.into();
    d.spec.template.spec.containers = vec![container("nginx")].into();
    sim.api.create(d).unwrap();
    sim.settle();
    let pods: Vec<_> = sim.api.pods.iter().collect();
    assert_eq!(pods.len(), 4);
    for p in &pods {
        assert!(!p.spec.node_name.is_empty(), "{} is bound", p.metadata.name);
        assert_eq!(p.spec.tolerations.len(), 2);
        assert!(Shared::ptr_eq(&p.spec.containers, &pods[0].spec.containers));
        assert!(Shared::ptr_eq(
            &p.spec.tolerations,
            &pods[0].spec.tolerations
        ));
    }
}

/// A Deployment or ReplicaSet write that keeps the stored template (scale, status, labels)
/// keeps it shared instead of defaulting a copy; one that brings a new template gets it
/// defaulted as on create.
#[test]
fn a_workload_write_that_keeps_its_template_keeps_it_shared() {
    let mut api = ApiServer::new(1);
    let labels: crate::api::meta::StringMap = [("app".to_string(), "web".to_string())].into();
    let mut d = Deployment::default();
    d.metadata.name = "web".into();
    d.metadata.namespace = "default".into();
    d.spec.selector = Some(LabelSelector {
        match_labels: labels.clone().into(),
        ..Default::default()
    });
    d.spec.template.metadata.labels = labels.into();
    d.spec.template.spec.containers = vec![container("nginx")].into();
    let created = api.create(d).unwrap();
    let scaled = api
        .modify::<Deployment>("default", "web", |d| d.spec.replicas = Some(5))
        .unwrap();
    assert!(Shared::ptr_eq(
        &scaled.spec.template.spec,
        &created.spec.template.spec
    ));
    assert_eq!(scaled.spec.replicas, Some(5));
    // A new template is defaulted (restartPolicy, dnsPolicy, ...).
    let rolled = api
        .modify::<Deployment>("default", "web", |d| {
            d.spec.template.spec = spec_with(|s| s.containers = vec![container("nginx:2")].into());
        })
        .unwrap();
    assert_eq!(
        rolled.spec.template.spec.restart_policy.as_deref(),
        Some("Always")
    );
    let mut afresh = (*rolled).clone();
    afresh.spec.template.spec = Shared::new((*rolled.spec.template.spec).clone());
    afresh.apply_defaults();
    assert_eq!(afresh, *rolled, "defaulted as a whole");
}
