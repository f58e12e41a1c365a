//! Golden tests: the expected tables are written as kubectl prints them.

use super::*;
use crate::api::core::*;
use crate::api::discovery::Endpoint;
use crate::kubectl::parse::{parse, Command};
use crate::time::to_time;

pub(crate) fn meta(name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta {
        name: name.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

/// A running pod with its containers' ready flags.
pub(crate) fn running_pod(
    name: &str,
    labels: &[(&str, &str)],
    node: &str,
    ip: &str,
    ready: &[bool],
) -> Pod {
    Pod {
        metadata: meta(name, labels),
        spec: PodSpec {
            node_name: node.into(),
            containers: ready
                .iter()
                .enumerate()
                .map(|(i, _)| Container {
                    name: format!("c{i}"),
                    image: "nginx".into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
        .into(),
        status: PodStatus {
            phase: Some("Running".into()),
            pod_ip: Some(ip.into()),
            pod_ips: vec![PodIp { ip: ip.into() }],
            container_statuses: ready
                .iter()
                .enumerate()
                .map(|(i, r)| ContainerStatus {
                    name: format!("c{i}").into(),
                    ready: *r,
                    image: "nginx".into(),
                    state: ContainerState {
                        running: Some(ContainerStateRunning::default()),
                        ..Default::default()
                    },
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn run(api: &ApiServer, line: &str) -> CommandOutput {
    match parse(line).unwrap() {
        Command::Get(g) => get(api, &g),
        other => panic!("not a get: {other:?}"),
    }
}

fn node(name: &str, ready: &str, cordoned: bool) -> Node {
    Node {
        metadata: meta(name, &[("kubernetes.io/hostname", name)]),
        spec: NodeSpec {
            unschedulable: cordoned,
            ..Default::default()
        },
        status: NodeStatus {
            conditions: vec![NodeCondition {
                type_: "Ready".into(),
                status: ready.into(),
                ..Default::default()
            }],
            addresses: vec![NodeAddress {
                type_: "InternalIP".into(),
                address: "172.18.0.2".into(),
            }],
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn pods_table_with_kubectls_status_column() {
    let mut api = ApiServer::new(1);
    api.create(running_pod(
        "web-1",
        &[("app", "web")],
        "node-1",
        "10.244.1.2",
        &[true],
    ))
    .unwrap();
    let mut waiting = running_pod("web-2", &[("app", "web")], "node-2", "10.244.2.2", &[false]);
    waiting.status.container_statuses[0].state = ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some("CrashLoopBackOff".into()),
            message: None,
        }),
        ..Default::default()
    };
    waiting.status.container_statuses[0].restart_count = 4;
    waiting.status.container_statuses[0].last_state = ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: 1,
            reason: Some("Error".into()),
            finished_at: Some(to_time(60_000)),
            ..Default::default()
        }),
        ..Default::default()
    };
    api.create(waiting).unwrap();
    let mut pending = Pod {
        metadata: meta("pending", &[]),
        ..Default::default()
    };
    pending.spec.containers.push(Container {
        name: "c0".into(),
        image: "nginx".into(),
        ..Default::default()
    });
    pending.status.phase = Some("Pending".into());
    api.create(pending).unwrap();
    api.now = 95_000;
    api.delete::<Pod>("default", "web-1", Default::default())
        .unwrap();
    api.now = 200_000;
    assert_eq!(
        run(&api, "get pods").stdout,
        "NAME      READY   STATUS             RESTARTS        AGE\n\
         pending   0/1     Pending            0               3m20s\n\
         web-1     1/1     Terminating        0               3m20s\n\
         web-2     0/1     CrashLoopBackOff   4 (2m20s ago)   3m20s\n"
    );
    assert_eq!(
        run(&api, "get pods -o wide -l app=web").stdout,
        "NAME    READY   STATUS             RESTARTS        AGE     IP           NODE     NOMINATED NODE   READINESS GATES\n\
         web-1   1/1     Terminating        0               3m20s   10.244.1.2   node-1   <none>           <none>\n\
         web-2   0/1     CrashLoopBackOff   4 (2m20s ago)   3m20s   10.244.2.2   node-2   <none>           <none>\n"
    );
    assert_eq!(
        run(&api, "get po web-2 --show-labels --no-headers").stdout,
        "web-2   0/1   CrashLoopBackOff   4 (2m20s ago)   3m20s   app=web\n"
    );
}

#[test]
fn empty_results_and_missing_names() {
    let api = ApiServer::new(1);
    let out = run(&api, "get pods");
    assert_eq!((out.ok, out.stdout.as_str()), (true, ""));
    assert_eq!(out.stderr, "No resources found in default namespace.\n");
    assert_eq!(
        run(&api, "get pods -n prod").stderr,
        "No resources found in prod namespace.\n"
    );
    assert_eq!(run(&api, "get deploy -A").stderr, "No resources found\n");
    let out = run(&api, "get deploy web");
    assert!(!out.ok);
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): deployments.apps \"web\" not found\n"
    );
}

fn deployment(name: &str, replicas: i32) -> Deployment {
    let mut d = Deployment {
        metadata: meta(name, &[("app", name)]),
        ..Default::default()
    };
    d.spec.replicas = Some(replicas);
    d.spec.selector = Some(LabelSelector {
        match_labels: [("app".to_string(), name.to_string())]
            .into_iter()
            .collect(),
        ..Default::default()
    });
    d.spec.template.metadata.labels =
        crate::api::meta::StringMap::from([("app".to_string(), name.to_string())]).into();
    d.spec.template.spec.containers = vec![Container {
        name: "nginx".into(),
        image: "nginx:1.27".into(),
        ..Default::default()
    }]
    .into();
    d
}

#[test]
fn workloads_tables() {
    let mut api = ApiServer::new(1);
    let mut d = deployment("web", 3);
    d.status.ready_replicas = 2;
    d.status.updated_replicas = 3;
    d.status.available_replicas = 2;
    api.create(d).unwrap();
    let mut rs = ReplicaSet {
        metadata: meta("web-5d9c7b8f4", &[("app", "web")]),
        ..Default::default()
    };
    rs.spec.replicas = Some(3);
    rs.spec.selector = Some(LabelSelector {
        match_labels: [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect(),
        ..Default::default()
    });
    rs.spec.template.metadata.labels =
        crate::api::meta::StringMap::from([("app".to_string(), "web".to_string())]).into();
    rs.spec.template.spec.containers = vec![Container {
        name: "nginx".into(),
        image: "nginx".into(),
        ..Default::default()
    }]
    .into();
    rs.status.replicas = 3;
    rs.status.ready_replicas = 2;
    api.create(rs).unwrap();
    api.now = 3_600_000;
    assert_eq!(
        run(&api, "get deployments").stdout,
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n\
         web    2/3     3            2           60m\n"
    );
    assert_eq!(
        run(&api, "get deploy -o wide").stdout,
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n\
         web    2/3     3            2           60m   nginx        nginx:1.27   app=web\n"
    );
    assert_eq!(
        run(&api, "get rs").stdout,
        "NAME            DESIRED   CURRENT   READY   AGE\n\
         web-5d9c7b8f4   3         3         2       60m\n"
    );
    assert_eq!(
        run(&api, "get deploy,rs -A").stdout,
        "NAMESPACE   NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n\
         default     deployment.apps/web   2/3     3            2           60m\n\
         \n\
         NAMESPACE   NAME                            DESIRED   CURRENT   READY   AGE\n\
         default     replicaset.apps/web-5d9c7b8f4   3         3         2       60m\n"
    );
    assert_eq!(
        run(&api, "get deploy/web rs/web-5d9c7b8f4 -o name").stdout,
        "deployment.apps/web\nreplicaset.apps/web-5d9c7b8f4\n"
    );
}

fn service(name: &str, type_: &str, ports: Vec<ServicePort>) -> Service {
    let mut s = Service {
        metadata: meta(name, &[]),
        ..Default::default()
    };
    s.spec.type_ = Some(type_.into());
    s.spec.selector = Some([("app".to_string(), name.to_string())].into());
    s.spec.ports = ports;
    s
}

fn port(port: i32, node_port: Option<i32>) -> ServicePort {
    ServicePort {
        port,
        node_port,
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

#[test]
fn services_table() {
    let mut api = ApiServer::new(1);
    let mut s = service("web", "ClusterIP", vec![port(80, None)]);
    s.spec.cluster_ip = Some("10.96.0.20".into());
    api.create(s).unwrap();
    let mut np = service(
        "np",
        "NodePort",
        vec![port(80, Some(30080)), port(443, Some(30443))],
    );
    np.spec.ports[0].name = Some("http".into());
    np.spec.ports[1].name = Some("https".into());
    np.spec.cluster_ip = Some("10.96.0.25".into());
    api.create(np).unwrap();
    let mut lb = service("lb", "LoadBalancer", vec![port(80, Some(31000))]);
    lb.spec.cluster_ip = Some("10.96.0.30".into());
    api.create(lb).unwrap();
    let mut ext = service("ext", "ExternalName", vec![]);
    ext.spec.external_name = Some("example.com".into());
    ext.spec.selector = None;
    api.create(ext).unwrap();
    assert_eq!(
        run(&api, "get svc").stdout,
        "NAME   TYPE           CLUSTER-IP   EXTERNAL-IP   PORT(S)                      AGE\n\
         ext    ExternalName   <none>       example.com   <none>                       0s\n\
         lb     LoadBalancer   10.96.0.30   <pending>     80:31000/TCP                 0s\n\
         np     NodePort       10.96.0.25   <none>        80:30080/TCP,443:30443/TCP   0s\n\
         web    ClusterIP      10.96.0.20   <none>        80/TCP                       0s\n"
    );
    assert_eq!(
        run(&api, "get svc web -o wide").stdout,
        "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE   SELECTOR\n\
         web    ClusterIP   10.96.0.20   <none>        80/TCP    0s    app=web\n"
    );
}

#[test]
fn endpoints_and_slices_abbreviate_after_three() {
    let mut api = ApiServer::new(1);
    let addrs = |ips: &[&str]| {
        ips.iter()
            .map(|ip| {
                EndpointAddress {
                    ip: (*ip).into(),
                    ..Default::default()
                }
                .into()
            })
            .collect()
    };
    let ep = Endpoints {
        metadata: meta("web", &[]),
        subsets: vec![EndpointSubset {
            addresses: addrs(&["10.244.1.2", "10.244.2.3", "10.244.1.4", "10.244.2.5"]),
            not_ready_addresses: addrs(&["10.244.1.9"]),
            ports: vec![EndpointPort {
                port: Some(80),
                ..Default::default()
            }],
        }],
        ..Default::default()
    };
    api.create(ep).unwrap();
    api.create(Endpoints {
        metadata: meta("none", &[]),
        ..Default::default()
    })
    .unwrap();
    api.create(Endpoints {
        metadata: meta("unready", &[]),
        subsets: vec![EndpointSubset {
            not_ready_addresses: addrs(&["10.244.1.9"]),
            ports: vec![EndpointPort {
                port: Some(80),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        run(&api, "get endpoints").stdout,
        "NAME      ENDPOINTS                                               AGE\n\
         none      <none>                                                  0s\n\
         unready                                                           0s\n\
         web       10.244.1.2:80,10.244.2.3:80,10.244.1.4:80 + 1 more...   0s\n"
    );
    let slice = EndpointSlice {
        metadata: meta("web-abc12", &[]),
        address_type: "IPv4".into(),
        endpoints: Some(
            ["10.244.1.2", "10.244.2.3"]
                .iter()
                .map(|ip| {
                    Endpoint {
                        addresses: vec![(*ip).into()],
                        ..Default::default()
                    }
                    .into()
                })
                .collect(),
        ),
        ports: Some(vec![EndpointPort {
            port: Some(8080),
            ..Default::default()
        }]),
        ..Default::default()
    };
    api.create(slice).unwrap();
    api.create(EndpointSlice {
        metadata: meta("empty-x", &[]),
        address_type: "IPv4".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        run(&api, "get endpointslices").stdout,
        "NAME        ADDRESSTYPE   PORTS     ENDPOINTS               AGE\n\
         empty-x     IPv4          <unset>   <unset>                 0s\n\
         web-abc12   IPv4          8080      10.244.1.2,10.244.2.3   0s\n"
    );
}

#[test]
fn nodes_namespaces_and_events() {
    let mut api = ApiServer::new(1);
    api.create(node("node-1", "True", false)).unwrap();
    api.create(node("node-2", "True", true)).unwrap();
    let mut cp = node("control-plane", "False", false);
    cp.metadata
        .labels
        .insert("node-role.kubernetes.io/control-plane".into(), "".into());
    api.create(cp).unwrap();
    api.now = 86_400_000 * 3;
    assert_eq!(
        run(&api, "get nodes").stdout,
        "NAME            STATUS                     ROLES           AGE   VERSION\n\
         control-plane   NotReady                   control-plane   3d    v1.34.0\n\
         node-1          Ready                      <none>          3d    v1.34.0\n\
         node-2          Ready,SchedulingDisabled   <none>          3d    v1.34.0\n"
    );
    assert_eq!(
        run(&api, "get ns").stdout,
        "NAME              STATUS   AGE\n\
         default           Active   3d\n\
         kube-node-lease   Active   3d\n\
         kube-public       Active   3d\n\
         kube-system       Active   3d\n"
    );
    let p = api
        .create(running_pod("web-1", &[], "node-1", "10.244.1.2", &[true]))
        .unwrap();
    api.record_event(
        crate::apiserver::object_ref(&*p),
        "Normal",
        "Scheduled",
        "Successfully assigned default/web-1 to node-1".into(),
        "default-scheduler",
        None,
    );
    api.now += 30_000;
    assert_eq!(
        run(&api, "get events").stdout,
        "LAST SEEN   TYPE     REASON      OBJECT      MESSAGE\n\
         30s         Normal   Scheduled   pod/web-1   Successfully assigned default/web-1 to node-1\n"
    );
}

#[test]
fn get_all_prints_one_section_per_kind() {
    let mut api = ApiServer::new(1);
    api.create(running_pod(
        "web-1",
        &[("app", "web")],
        "node-1",
        "10.244.1.2",
        &[true],
    ))
    .unwrap();
    let mut s = service("web", "ClusterIP", vec![port(80, None)]);
    s.spec.cluster_ip = Some("10.96.0.20".into());
    api.create(s).unwrap();
    api.create(deployment("web", 1)).unwrap();
    assert_eq!(
        run(&api, "get all").stdout,
        "NAME        READY   STATUS    RESTARTS   AGE\n\
         pod/web-1   1/1     Running   0          0s\n\
         \n\
         NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n\
         service/web   ClusterIP   10.96.0.20   <none>        80/TCP    0s\n\
         \n\
         NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n\
         deployment.apps/web   0/1     0            0           0s\n"
    );
}

#[test]
fn yaml_and_json_output() {
    let mut api = ApiServer::new(1);
    let mut s = service("web", "ClusterIP", vec![port(80, None)]);
    s.spec.cluster_ip = Some("10.96.0.20".into());
    api.create(s).unwrap();
    let json = run(&api, "get svc web -o json").stdout;
    assert!(json.starts_with("{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Service\",\n    \"metadata\": {\n        \"creationTimestamp\": \"2026-01-01T00:00:00Z\",\n"), "{json}");
    let yaml = run(&api, "get svc -o yaml").stdout;
    assert!(
        yaml.starts_with("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Service\n"),
        "{yaml}"
    );
    assert!(
        yaml.ends_with("kind: List\nmetadata:\n  resourceVersion: \"\"\n"),
        "{yaml}"
    );
    let back = crate::manifest::parse_manifest(&yaml, "-").unwrap();
    assert_eq!(back.len(), 1);
}
