//! Execution tests: each builds an API server, runs console lines and checks what kubectl
//! would print and what the cluster now holds.

use super::*;
use crate::api::core::{Pod, PodTemplateSpec};
use crate::api::meta::OwnerReference;
use crate::kubectl::get::tests::running_pod;
use crate::kubectl::{parse, MemoryFiles, NoFiles};

fn run_with(api: &mut ApiServer, line: &str, files: &dyn FileSource) -> Execution {
    match parse(line) {
        Ok(cmd) => execute(api, &cmd, files),
        Err(e) => CommandOutput::error(e.message).into(),
    }
}

fn run(api: &mut ApiServer, line: &str) -> CommandOutput {
    run_with(api, line, &NoFiles).output
}

/// Runs lines that must succeed and checks each one's stdout.
fn script(api: &mut ApiServer, steps: &[(&str, &str)]) {
    for (line, want) in steps {
        let out = run(api, line);
        assert!(out.ok, "{line}: {}", out.stderr);
        assert_eq!(out.stdout, *want, "{line}");
    }
}

const DEPLOYMENT_DRY_RUN: &str =
    include_str!("../../../tests/fixtures/kubectl/deployment-dry-run.yaml");
const SERVICE_DRY_RUN: &str =
    include_str!("../../../tests/fixtures/kubectl/service-nodeport-dry-run.yaml");

#[test]
fn imperative_creates_print_kubectls_messages_and_objects() {
    let mut api = ApiServer::new(1);
    script(
        &mut api,
        &[
            (
                "kubectl create deployment web --image=nginx --replicas=3",
                "deployment.apps/web created\n",
            ),
            (
                "create service nodeport web --tcp=80:8080 --node-port=30080",
                "service/web created\n",
            ),
            ("create namespace prod", "namespace/prod created\n"),
            (
                "create deploy api -n prod --image=registry.k8s.io/e2e-test-images/agnhost:2.39",
                "deployment.apps/api created\n",
            ),
        ],
    );
    let d = api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(d.spec.replicas, Some(3));
    assert_eq!(d.spec.template.spec.containers[0].name, "nginx");
    assert_eq!(d.metadata.labels["app"], "web");
    let s = api.get::<Service>("default", "web").unwrap();
    assert_eq!(s.spec.ports[0].node_port, Some(30080));
    assert_eq!(s.spec.ports[0].target_port, Some(IntOrString::Int(8080)));
    assert_eq!(s.spec.selector.as_ref().unwrap()["app"], "web");
    let api_d = api.get::<Deployment>("prod", "api").unwrap();
    assert_eq!(api_d.spec.template.spec.containers[0].name, "agnhost");
    let again = run(&mut api, "create deployment web --image=nginx");
    assert!(!again.ok);
    assert_eq!(
        again.stderr,
        "Error from server (AlreadyExists): deployments.apps \"web\" already exists\n"
    );
}

#[test]
fn dry_run_output_matches_real_kubectl() {
    let mut api = ApiServer::new(1);
    let out = run(
        &mut api,
        "create deployment web --image=nginx --replicas=3 --port=80 --dry-run=client -o yaml",
    );
    assert_eq!(out.stdout, DEPLOYMENT_DRY_RUN);
    let out = run(
        &mut api,
        "create service nodeport web --tcp=80:8080 --node-port=30080 --dry-run=client -o yaml",
    );
    assert_eq!(out.stdout, SERVICE_DRY_RUN);
    assert_eq!(
        run(
            &mut api,
            "create deployment web --image=nginx --dry-run=client"
        )
        .stdout,
        "deployment.apps/web created (dry run)\n"
    );
    assert!(
        api.get::<Deployment>("default", "web").is_none(),
        "dry run stores nothing"
    );
}

const APP_V1: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: fe}
spec:
  replicas: 2
  minReadySeconds: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.26
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";

#[test]
fn apply_creates_then_reports_unchanged_then_configured() {
    let mut api = ApiServer::new(1);
    let files = MemoryFiles::default().with("app.yaml", APP_V1);
    let out = run_with(&mut api, "apply -f app.yaml", &files).output;
    assert_eq!(
        out.stdout,
        "deployment.apps/web created\nservice/web created\n"
    );
    let out = run_with(&mut api, "kubectl apply -f app.yaml", &files).output;
    assert_eq!(
        out.stdout,
        "deployment.apps/web unchanged\nservice/web unchanged\n"
    );
    // Someone labels by hand: a later apply keeps what it never managed, but fields removed
    // from the manifest since the last apply (replicas, minReadySeconds, a label) go.
    run(&mut api, "label deployment web owner=ops");
    let v2 = APP_V1
        .replace("  replicas: 2\n", "")
        .replace("  minReadySeconds: 5\n", "")
        .replace(", tier: fe", "")
        .replace("nginx:1.26", "nginx:1.27");
    let files = MemoryFiles::stdin(v2);
    let out = run_with(&mut api, "apply -f -", &files).output;
    assert_eq!(
        out.stdout,
        "deployment.apps/web configured\nservice/web unchanged\n"
    );
    let d = api.get::<Deployment>("default", "web").unwrap();
    assert_ne!(d.spec.replicas, Some(2));
    assert_eq!(d.spec.min_ready_seconds, None);
    assert_eq!(d.metadata.labels["owner"], "ops");
    assert!(!d.metadata.labels.contains_key("tier"));
    assert_eq!(d.spec.template.spec.containers[0].image, "nginx:1.27");
    assert!(d.metadata.annotations.contains_key(LAST_APPLIED));
}

#[test]
fn bad_files_change_nothing() {
    let mut api = ApiServer::new(1);
    let with_ingress = format!(
        "{APP_V1}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
    );
    let files = MemoryFiles::default().with("all.yaml", with_ingress);
    let rv = api.resource_version();
    let out = run_with(&mut api, "apply -f all.yaml", &files).output;
    assert!(!out.ok);
    assert!(out.stderr.starts_with(
        "error: resource mapping not found for name: \"web\" namespace: \"\" from \"all.yaml\": no matches for kind \"Ingress\" in version \"networking.k8s.io/v1\""
    ));
    assert_eq!(api.resource_version(), rv, "nothing was written");
    let files = MemoryFiles::default().with("ns.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: nope}\nspec: {ports: [{port: 80}]}\n");
    let out = run_with(&mut api, "apply -f ns.yaml", &files).output;
    assert_eq!(out.stderr, "Error from server (NotFound): error when creating \"ns.yaml\": namespaces \"nope\" not found\n");
    let rv = api.resource_version();
    let out = run(&mut api, "apply -f missing.yaml");
    assert_eq!(
        out.stderr,
        "error: the path \"missing.yaml\" does not exist\n"
    );
    let bad_ns = APP_V1.replace(
        "  name: web\n  labels",
        "  name: web\n  namespace: prod\n  labels",
    );
    let files = MemoryFiles::default().with("a.yaml", bad_ns);
    let out = run_with(&mut api, "apply -f a.yaml -n dev", &files).output;
    assert_eq!(out.stderr, "error: the namespace from the provided object \"prod\" does not match the namespace \"dev\". You must pass '--namespace=prod' to perform this operation.\n");
    assert_eq!(api.resource_version(), rv);
}

#[test]
fn create_and_delete_from_files() {
    let mut api = ApiServer::new(1);
    let files = MemoryFiles::default().with("app.yaml", APP_V1);
    let out = run_with(&mut api, "create -f app.yaml", &files).output;
    assert_eq!(
        out.stdout,
        "deployment.apps/web created\nservice/web created\n"
    );
    let out = run_with(&mut api, "create -f app.yaml", &files).output;
    assert_eq!(out.stderr, "Error from server (AlreadyExists): error when creating \"app.yaml\": deployments.apps \"web\" already exists\nError from server (AlreadyExists): error when creating \"app.yaml\": services \"web\" already exists\n");
    let ex = run_with(&mut api, "delete -f app.yaml", &files);
    assert_eq!(
        ex.output.stdout,
        "deployment.apps \"web\" deleted\nservice \"web\" deleted\n"
    );
    assert_eq!(ex.follow_up, None, "nothing left terminating");
}

#[test]
fn unsimulated_fields_are_reported_on_apply() {
    let mut api = ApiServer::new(1);
    let m = APP_V1.replace(
        "        image: nginx:1.26\n",
        "        image: nginx:1.26\n        resources: {limits: {cpu: 500m}}\n",
    );
    let out = run_with(&mut api, "apply -f -", &MemoryFiles::stdin(m)).output;
    assert_eq!(
        out.stderr,
        "note: deployment.apps/web: kept but not simulated by Kubeplay: spec.template.spec.containers[0].resources\n"
    );
    assert!(out.ok);
}

fn pod_on(name: &str, node: &str, owner: Option<&str>) -> Pod {
    let mut p = running_pod(name, &[("app", "web")], node, "10.244.1.2", &[true]);
    if let Some(o) = owner {
        p.metadata.owner_references.push(OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: o.into(),
            uid: "rs-uid".into(),
            controller: Some(true),
            ..Default::default()
        });
    }
    p
}

#[test]
fn delete_waits_for_graceful_pods_unless_told_not_to() {
    let mut api = ApiServer::new(1);
    api.create(pod_on("a", "node-1", None)).unwrap();
    api.create(pod_on("b", "node-1", None)).unwrap();
    api.create(pod_on("c", "node-1", None)).unwrap();
    let ex = run_with(&mut api, "delete pod a", &NoFiles);
    assert_eq!(ex.output.stdout, "pod \"a\" deleted\n");
    assert_eq!(
        ex.follow_up,
        Some(FollowUp::WaitForDeletion(vec![(
            Kind::Pod,
            ObjectKey::new("default", "a")
        )]))
    );
    let ex = run_with(&mut api, "delete pod b --wait=false", &NoFiles);
    assert_eq!(ex.follow_up, None);
    let ex = run_with(&mut api, "delete pod c --grace-period=0 --force", &NoFiles);
    assert_eq!(ex.output.stdout, "pod \"c\" force deleted\n");
    assert!(ex
        .output
        .stderr
        .starts_with("Warning: Immediate deletion does not wait"));
    assert!(api.get::<Pod>("default", "c").is_none());
    let out = run(&mut api, "delete pod nope");
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): pods \"nope\" not found\n"
    );
    assert!(run(&mut api, "delete pod nope --ignore-not-found").ok);
    assert_eq!(
        run(&mut api, "delete pods -l app=nothing").stdout,
        "No resources found\n"
    );
}

#[test]
fn scale_set_image_label_annotate_patch() {
    let mut api = ApiServer::new(1);
    run(&mut api, "create deployment web --image=nginx:1.26");
    script(
        &mut api,
        &[
            (
                "scale deployment web --replicas=4",
                "deployment.apps/web scaled\n",
            ),
            (
                "set image deployment/web nginx=nginx:1.27",
                "deployment.apps/web image updated\n",
            ),
            (
                "label deployment web tier=fe",
                "deployment.apps/web labeled\n",
            ),
            (
                "label deploy web tier=be --overwrite",
                "deployment.apps/web labeled\n",
            ),
            ("label deploy web tier-", "deployment.apps/web unlabeled\n"),
            (
                "label deploy web app=web",
                "deployment.apps/web not labeled\n",
            ),
            (
                "annotate deploy web note=hello",
                "deployment.apps/web annotated\n",
            ),
            (
                r#"patch deployment web --type=merge -p '{"spec":{"replicas":2}}'"#,
                "deployment.apps/web patched\n",
            ),
            (
                r#"patch deployment web -p '{"spec":{"replicas":2}}'"#,
                "deployment.apps/web patched (no change)\n",
            ),
            (
                r#"patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}'"#,
                "deployment.apps/web patched\n",
            ),
        ],
    );
    let d = api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(d.spec.replicas, Some(2));
    assert_eq!(d.spec.template.spec.containers[0].image, "nginx:1.28");
    assert_eq!(d.metadata.annotations["note"], "hello");
    let out = run(&mut api, "label deploy web app=other");
    assert_eq!(
        out.stderr,
        "error: 'app' already has a value (web), and --overwrite is false\n"
    );
    let out = run(&mut api, "set image deployment/web nope=x");
    assert_eq!(
        out.stderr,
        "error: unable to find container named \"nope\"\n"
    );
    assert_eq!(
        api.get::<Deployment>("default", "web")
            .unwrap()
            .spec
            .template
            .spec
            .containers[0]
            .image,
        "nginx:1.28"
    );
    let out = run(&mut api, "scale deploy nope --replicas=1");
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
}

fn rs_for(d: &Deployment, rev: i64, image: &str) -> ReplicaSet {
    let mut rs = ReplicaSet::default();
    rs.metadata.name = format!("{}-{rev}abc", d.metadata.name).into();
    rs.metadata
        .annotations
        .insert(REVISION.into(), rev.to_string());
    rs.metadata.owner_references.push(OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: d.metadata.name.clone(),
        uid: d.metadata.uid.clone(),
        controller: Some(true),
        ..Default::default()
    });
    let mut t: PodTemplateSpec = d.spec.template.clone();
    t.spec.containers[0].image = image.into();
    t.metadata
        .labels
        .insert(POD_TEMPLATE_HASH.into(), format!("{rev}abc"));
    rs.spec.template = t;
    rs.spec.selector = d.spec.selector.clone();
    rs
}

#[test]
fn rollout_history_undo_pause_resume_restart() {
    let mut api = ApiServer::new(1);
    run(&mut api, "create deployment web --image=nginx:1.27");
    let d = api.get::<Deployment>("default", "web").unwrap();
    api.create(rs_for(&d, 1, "nginx:1.26")).unwrap();
    api.create(rs_for(&d, 2, "nginx:1.27")).unwrap();
    script(
        &mut api,
        &[
            (
                "rollout history deployment/web",
                "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n",
            ),
            ("rollout undo deployment/web", "deployment.apps/web rolled back\n"),
            (
                "rollout undo deployment/web --to-revision=1",
                "deployment.apps/web skipped rollback (current template already matches revision 1)\n",
            ),
            ("rollout pause deployment/web", "deployment.apps/web paused\n"),
            ("rollout resume deployment web", "deployment.apps/web resumed\n"),
            ("rollout restart deployment/web", "deployment.apps/web restarted\n"),
        ],
    );
    let d = api.get::<Deployment>("default", "web").unwrap();
    assert_eq!(d.spec.template.spec.containers[0].image, "nginx:1.26");
    assert!(!d
        .spec
        .template
        .metadata
        .labels
        .contains_key(POD_TEMPLATE_HASH));
    assert_eq!(
        d.spec.template.metadata.annotations[RESTARTED_AT],
        "2026-01-01T00:00:00Z"
    );
    let errors: &[(&str, &str)] = &[
        (
            "rollout resume deployment/web",
            "error: deployments.apps \"web\" is not paused\n",
        ),
        (
            "rollout undo deployment/web --to-revision=7",
            "error: unable to find specified revision 7 in history\n",
        ),
        (
            "rollout status deployment/nope",
            "Error from server (NotFound): deployments.apps \"nope\" not found\n",
        ),
    ];
    for (line, want) in errors {
        assert_eq!(run(&mut api, line).stderr, *want, "{line}");
    }
    run(&mut api, "rollout pause deployment/web");
    for (line, want) in [
        ("rollout pause deployment/web", "error: deployments.apps \"web\" is already paused\n"),
        ("rollout restart deployment/web", "error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)\n"),
        ("rollout undo deployment/web", "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again\n"),
    ] {
        assert_eq!(run(&mut api, line).stderr, want, "{line}");
    }
}

#[test]
fn rollout_status_messages_follow_kubectls_status_viewer() {
    let d = |gen: i64, observed: i64, want: i32, replicas: i32, updated: i32, available: i32| {
        let mut d = Deployment::default();
        d.metadata.name = "web".into();
        d.metadata.generation = gen;
        d.status.observed_generation = observed;
        d.spec.replicas = Some(want);
        d.status.replicas = replicas;
        d.status.updated_replicas = updated;
        d.status.available_replicas = available;
        d
    };
    let cases = [
        (d(2, 1, 3, 3, 3, 3), "Waiting for deployment spec update to be observed..."),
        (d(2, 2, 3, 4, 1, 3), "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated..."),
        (d(2, 2, 3, 4, 3, 3), "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination..."),
        (d(2, 2, 3, 3, 3, 2), "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available..."),
        (d(2, 2, 3, 3, 3, 3), "deployment \"web\" successfully rolled out"),
    ];
    for (dep, want) in cases {
        assert_eq!(rollout_status(&dep).message(), want);
    }
    let mut api = ApiServer::new(1);
    run(&mut api, "create deployment web --image=nginx --replicas=2");
    // No controller has observed the new Deployment yet.
    let ex = run_with(&mut api, "rollout status deployment/web", &NoFiles);
    assert_eq!(
        ex.output.stdout,
        "Waiting for deployment spec update to be observed...\n"
    );
    assert_eq!(
        ex.follow_up,
        Some(FollowUp::RolloutStatus {
            namespace: "default".into(),
            name: "web".into()
        })
    );
}

fn ready_node(name: &str) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n
}

#[test]
fn cordon_and_drain() {
    let mut api = ApiServer::new(1);
    api.create(ready_node("node-1")).unwrap();
    api.create(pod_on("web-a", "node-1", Some("web-rs")))
        .unwrap();
    api.create(pod_on("bare", "node-1", None)).unwrap();
    script(
        &mut api,
        &[
            ("cordon node-1", "node/node-1 cordoned\n"),
            ("cordon node-1", "node/node-1 already cordoned\n"),
            ("uncordon node-1", "node/node-1 uncordoned\n"),
        ],
    );
    let out = run(&mut api, "drain node-1 --ignore-daemonsets");
    assert!(!out.ok);
    assert_eq!(out.stdout, "node/node-1 cordoned\n");
    assert_eq!(
        out.stderr,
        "error: unable to drain node \"node-1\" due to error: cannot delete Pods that declare no controller (use --force to override): default/bare, continuing command...\n\
         There are pending nodes to be drained:\n node-1\n\
         cannot delete Pods that declare no controller (use --force to override): default/bare\n"
    );
    assert!(api
        .get::<Pod>("default", "bare")
        .unwrap()
        .metadata
        .deletion_timestamp
        .is_none());
    let ex = run_with(
        &mut api,
        "drain node-1 --ignore-daemonsets --force",
        &NoFiles,
    );
    assert_eq!(
        ex.output.stdout,
        "node/node-1 already cordoned\nevicting pod default/bare\nevicting pod default/web-a\npod/bare evicted\npod/web-a evicted\nnode/node-1 drained\n"
    );
    assert_eq!(
        ex.output.stderr,
        "Warning: deleting Pods that declare no controller: default/bare\n"
    );
    assert!(matches!(ex.follow_up, Some(FollowUp::WaitForDeletion(ref w)) if w.len() == 2));
    assert_eq!(
        run(&mut api, "cordon nope").stderr,
        "Error from server (NotFound): nodes \"nope\" not found\n"
    );
}

#[test]
fn expose_builds_the_service_kubectl_builds() {
    let mut api = ApiServer::new(1);
    run(&mut api, "create deployment web --image=nginx --port=8080");
    script(
        &mut api,
        &[(
            "expose deployment web --port=80 --target-port=8080 --type=NodePort",
            "service/web exposed\n",
        )],
    );
    let s = api.get::<Service>("default", "web").unwrap();
    assert_eq!(s.spec.type_.as_deref(), Some("NodePort"));
    assert_eq!(s.spec.ports[0].port, 80);
    assert_eq!(s.spec.ports[0].target_port, Some(IntOrString::Int(8080)));
    assert!(s.spec.ports[0].node_port.is_some());
    assert_eq!(s.spec.selector.as_ref().unwrap()["app"], "web");
    script(
        &mut api,
        &[("expose deploy/web --name=web2", "service/web2 exposed\n")],
    );
    let s = api.get::<Service>("default", "web2").unwrap();
    assert_eq!(s.spec.ports[0].port, 8080, "port found by introspection");
    assert_eq!(
        run(&mut api, "expose deployment nope --port=80").stderr,
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
}

#[test]
fn playground_verbs_are_handed_back() {
    let mut api = ApiServer::new(1);
    for line in [
        "wait 30s",
        "node fail node-1",
        "node add",
        "curl web",
        "kubectl exec a -- ls",
    ] {
        let ex = run_with(&mut api, line, &NoFiles);
        assert_eq!(
            ex.follow_up,
            Some(FollowUp::Playground(parse(line).unwrap())),
            "{line}"
        );
    }
}

#[test]
fn three_way_merge_replaces_sets_and_removes() {
    let mut live =
        serde_json::json!({"a": 1, "b": {"c": 2, "d": 3, "x": 9}, "l": [1, 2], "keep": true});
    let last = serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]});
    let new = serde_json::json!({"a": 5, "b": {"c": 2}, "l": [3]});
    three_way_merge(&mut live, Some(&last), &new);
    assert_eq!(
        live,
        serde_json::json!({"a": 5, "b": {"c": 2, "x": 9}, "l": [3], "keep": true})
    );
}

proptest::proptest! {
    #[test]
    fn no_command_panics_or_half_applies_a_parse_error(words in proptest::collection::vec(
        proptest::sample::select(vec![
            "get", "create", "deployment", "web", "service", "nodeport", "pods", "all", "-A",
            "--image=nginx", "--replicas=2", "scale", "--replicas=0", "delete", "label", "a=b",
            "a-", "rollout", "undo", "status", "history", "pause", "resume", "restart",
            "deploy/web", "expose", "--port=80", "set", "image", "nginx=x", "cordon", "drain",
            "node-1", "patch", "-p", "{\"spec\":{}}", "--type=merge", "-o", "yaml", "describe",
            "svc/web", "--force", "--grace-period=0", "-l", "app=web",
        ]),
        0..7,
    )) {
        let mut api = ApiServer::new(3);
        api.create(ready_node("node-1")).unwrap();
        run(&mut api, "create deployment web --image=nginx");
        let line = words.join(" ");
        let rv = api.resource_version();
        if parse(&line).is_err() {
            run(&mut api, &line);
            proptest::prop_assert_eq!(api.resource_version(), rv);
        } else {
            run(&mut api, &line);
        }
    }
}
