//! Every built-in lesson passes `kubeplay lesson run NAME`: each step's commands run and
//! every check holds. One test per lesson, and a test that no built-in lesson lacks one, so
//! a lesson cannot be skipped silently.

use std::process::Command;

/// Runs `kubeplay lesson run NAME` and fails with its whole output unless it exits 0.
fn lesson_passes(name: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeplay"))
        .args(["lesson", "run", name])
        .output()
        .expect("run kubeplay");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "lesson {name} failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("PASSED"), "{stdout}");
    assert!(!stdout.contains('✗'), "{stdout}");
}

macro_rules! lesson_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                lesson_passes($name);
            }
        )*
        const TESTED: &[&str] = &[$($name),*];
    };
}

lesson_tests!(
    pods_come_and_go => "pods-come-and-go",
    pod_ip_changes => "pod-ip-changes",
    service_stable_ip => "service-stable-ip",
    vip_iptables => "vip-iptables",
    vip_ipvs => "vip-ipvs",
    kube_proxy_sync => "kube-proxy-sync",
    reachable_from_outside => "reachable-from-outside",
    labels_select_pods => "labels-select-pods",
    endpointslices => "endpointslices",
    service_types => "service-types",
    zero_downtime_rollout => "zero-downtime-rollout",
    session_affinity => "session-affinity",
    external_traffic_policy => "external-traffic-policy",
);

#[test]
fn every_builtin_lesson_has_a_test_and_the_list_prints_them() {
    let names = kubeplay_core::lesson::builtin::names();
    assert_eq!(names, TESTED, "add a test per built-in lesson, in order");
    let out = Command::new(env!("CARGO_BIN_EXE_kubeplay"))
        .args(["lesson", "list"])
        .output()
        .expect("run kubeplay");
    assert!(out.status.success());
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(listed, names);
}

#[test]
fn a_lesson_that_fails_a_check_exits_non_zero_and_marks_it() {
    let dir = std::env::temp_dir().join(format!("kubeplay-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wrong.yaml");
    std::fs::write(
        &path,
        r#"
name: wrong
title: Expects too many pods
steps:
- title: Create two
  commands: ["kubectl create deployment web --image=nginx --replicas=2", "wait 10s"]
  checks:
  - description: three pods
    pods: {selector: app=web, count: 3}
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kubeplay"))
        .args(["lesson", "run", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stdout.contains("✗ three pods (pods matching \"app=web\": 2 (want 3))"),
        "{stdout}"
    );
    assert!(stdout.contains("FAILED: 0 of 1 checks passed"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lesson_help_and_unknown_lessons() {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeplay"))
        .args(["lesson", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("list") && help.contains("run"), "{help}");
    let out = Command::new(env!("CARGO_BIN_EXE_kubeplay"))
        .args(["lesson", "run", "no-such-lesson"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a built-in lesson"));
}

#[test]
fn a_lesson_file_reads_its_file_manifests_next_to_it() {
    let dir = std::env::temp_dir().join(format!("kubeplay-lesson-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx}]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("lesson.yaml"),
        "name: from-disk\ntitle: From disk\ncluster:\n  manifests: [{file: web.yaml}]\nsteps:\n- title: Look\n  commands: [kubectl get pods]\n  checks:\n  - description: two pods\n    pods: {selector: app=web, phase: Running, count: 2}\n",
    )
    .unwrap();
    // Run from another directory: the path is relative to the lesson file, not the cwd.
    let out = Command::new(env!("CARGO_BIN_EXE_kubeplay"))
        .args(["lesson", "run", dir.join("lesson.yaml").to_str().unwrap()])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("(setup) $ kubectl apply -f manifest-1.yaml\ndeployment.apps/web created"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
