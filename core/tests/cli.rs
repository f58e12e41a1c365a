//! The `kubeplay` CLI as users and lessons script it.

use std::io::Write;
use std::process::{Command, Stdio};

fn kubeplay(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeplay"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubeplay runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn shell_runs_kubectl_commands_and_exits_zero_when_all_succeed() {
    let (code, out, err) = kubeplay(
        &["shell", "--nodes", "2", "--seed", "7"],
        "# a comment\n\nkubectl create deployment web --image=nginx --replicas=2\nwait 10s\nget deployments\n",
    );
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.starts_with("deployment.apps/web created\n"));
    assert!(
        out.contains("web    2/2     2            2           10s"),
        "{out}"
    );
}

#[test]
fn shell_goes_on_after_a_failed_command_and_exits_one() {
    let (code, out, err) = kubeplay(
        &["shell"],
        "foo\nget deployment nope\ncreate namespace team-a\n",
    );
    assert_eq!(code, 1);
    assert_eq!(err, "error: unknown command \"foo\" for \"kubectl\"\nError from server (NotFound): deployments.apps \"nope\" not found\n");
    assert_eq!(out, "namespace/team-a created\n");
}

#[test]
fn shell_applies_files_given_with_f_first() {
    let dir = std::env::temp_dir().join(format!("kubeplay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("web.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n",
    )
    .unwrap();
    let (code, out, _) = kubeplay(
        &["shell", "-f", path.to_str().unwrap()],
        "get svc web -o name\n",
    );
    assert_eq!(code, 0);
    assert_eq!(out, "service/web created\nservice/web\n");
}

#[test]
fn validate_is_silent_for_valid_manifests_and_prints_the_api_server_error_otherwise() {
    let dir = std::env::temp_dir().join(format!("kubeplay-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yaml");
    std::fs::write(&good, "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n  - port: 80\n    nodePort: 30080\n").unwrap();
    let (code, out, err) = kubeplay(&["validate", good.to_str().unwrap()], "");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 80\n").unwrap();
    let (code, _, err) = kubeplay(&["validate", bad.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "The Service \"web\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767\n"
    );
}

#[test]
fn run_creates_a_client_pod_that_can_curl_a_service() {
    let (code, out, err) = kubeplay(
        &["shell"],
        "run client --image=busybox -- sleep 3600\ncreate deployment web --image=nginx --replicas=2\nexpose deployment web --port=80\nwait 10s\nget pod client --show-labels --no-headers\nexec client -- curl -s web\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("pod/client created\n"));
    assert!(
        out.contains("client   1/1   Running   0     10s   run=client"),
        "{out}"
    );
    assert!(
        out.contains("Hostname: web-"),
        "the echo server names the pod that answered: {out}"
    );
}

#[test]
fn changing_a_service_type_back_to_cluster_ip_drops_the_type_dependent_fields() {
    let script = "create deployment web --image=nginx\nexpose deployment web --port=80 --type=LoadBalancer\nwait 5s\npatch svc web -p '{\"spec\":{\"type\":\"ClusterIP\"}}'\nget svc web --no-headers\n";
    let (code, out, err) = kubeplay(&["shell"], script);
    assert_eq!(code, 0, "{err}");
    let last: Vec<&str> = out.lines().last().unwrap().split_whitespace().collect();
    assert_eq!(last[..2], ["web", "ClusterIP"], "{out}");
    assert_eq!(
        last[3..5],
        ["<none>", "80/TCP"],
        "no node port, no LB address: {out}"
    );
}
