//! Golden describe output, laid out as kubectl 1.3x prints it.

use super::*;
use crate::api::core::{ServicePort, ServiceSpec};
use crate::api::discovery::Endpoint;
use crate::kubectl::parse::{parse, Command};

fn run(api: &ApiServer, line: &str) -> CommandOutput {
    match parse(line).unwrap() {
        Command::Describe(d) => describe(api, &d),
        other => panic!("{other:?}"),
    }
}

#[test]
fn times_print_as_rfc1123z() {
    assert_eq!(
        rfc1123z(crate::time::to_time(0)),
        "Thu, 01 Jan 2026 00:00:00 +0000"
    );
    assert_eq!(
        rfc1123z(crate::time::to_time(86_400_000 * 45 + 3_723_000)),
        "Sun, 15 Feb 2026 01:02:03 +0000"
    );
}

#[test]
fn service() {
    let mut api = ApiServer::new(1);
    let mut s = Service::default();
    s.metadata.name = "web".into();
    s.metadata.labels.insert("app".into(), "web".into());
    s.spec = ServiceSpec {
        type_: Some("NodePort".into()),
        selector: Some([("app".to_string(), "web".to_string())].into()),
        cluster_ip: Some("10.96.120.7".into()),
        ports: vec![ServicePort {
            name: Some("80-8080".into()),
            protocol: Some("TCP".into()),
            port: 80,
            target_port: Some(IntOrString::Int(8080)),
            node_port: Some(30080),
            ..Default::default()
        }],
        ..Default::default()
    };
    api.create(s).unwrap();
    let mut slice = EndpointSlice::default();
    slice.metadata.name = "web-x1".into();
    slice
        .metadata
        .labels
        .insert("kubernetes.io/service-name".into(), "web".into());
    slice.address_type = "IPv4".into();
    slice.ports = Some(vec![crate::api::core::EndpointPort {
        name: Some("80-8080".into()),
        port: Some(8080),
        protocol: Some("TCP".into()),
        ..Default::default()
    }]);
    slice.endpoints = Some(
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
    );
    api.create(slice).unwrap();
    assert_eq!(
        run(&api, "describe svc web").stdout,
        "Name:                     web\n\
         Namespace:                default\n\
         Labels:                   app=web\n\
         Annotations:              <none>\n\
         Selector:                 app=web\n\
         Type:                     NodePort\n\
         IP Family Policy:         SingleStack\n\
         IP Families:              IPv4\n\
         IP:                       10.96.120.7\n\
         IPs:                      10.96.120.7\n\
         Port:                     80-8080  80/TCP\n\
         TargetPort:               8080/TCP\n\
         NodePort:                 80-8080  30080/TCP\n\
         Endpoints:                10.244.1.2:8080,10.244.2.3:8080\n\
         Session Affinity:         None\n\
         External Traffic Policy:  Cluster\n\
         Internal Traffic Policy:  Cluster\n\
         Events:                   <none>\n"
    );
}

// The spacing follows Go's tabwriter rules (see `table::tabwrite`): the pod-template lines and
// OldReplicaSets/NewReplicaSet form one column block when no Conditions table sits between them.
#[test]
fn deployment_with_events() {
    let mut api = ApiServer::new(1);
    crate::kubectl::execute(
        &mut api,
        &parse("create deployment web --image=nginx --replicas=3").unwrap(),
        &crate::kubectl::NoFiles,
    );
    let d = api.get::<Deployment>("default", "web").unwrap();
    api.record_event(
        crate::apiserver::object_ref(&*d),
        "Normal",
        "ScalingReplicaSet",
        "Scaled up replica set web-7d4b9c8d5f from 0 to 3".into(),
        "deployment-controller",
        None,
    );
    api.now = 10_000;
    assert_eq!(
        run(&api, "describe deployment web").stdout,
        "Name:                   web\n\
         Namespace:              default\n\
         CreationTimestamp:      Thu, 01 Jan 2026 00:00:00 +0000\n\
         Labels:                 app=web\n\
         Annotations:            <none>\n\
         Selector:               app=web\n\
         Replicas:               3 desired | 0 updated | 0 total | 0 available | 0 unavailable\n\
         StrategyType:           RollingUpdate\n\
         MinReadySeconds:        0\n\
         RollingUpdateStrategy:  25% max unavailable, 25% max surge\n\
         Pod Template:\n  \
           Labels:  app=web\n  \
           Containers:\n   \
            nginx:\n    \
             Image:         nginx\n    \
             Port:          <none>\n    \
             Host Port:     <none>\n    \
             Environment:   <none>\n    \
             Mounts:        <none>\n  \
           Volumes:         <none>\n  \
           Node-Selectors:  <none>\n  \
           Tolerations:     <none>\n\
         OldReplicaSets:    <none>\n\
         NewReplicaSet:     <none>\n\
         Events:\n  \
           Type    Reason             Age   From                   Message\n  \
           ----    ------             ----  ----                   -------\n  \
           Normal  ScalingReplicaSet  10s   deployment-controller  Scaled up replica set web-7d4b9c8d5f from 0 to 3\n"
    );
}

#[test]
fn missing_names_fall_back_to_prefixes_then_not_found() {
    let mut api = ApiServer::new(1);
    crate::kubectl::execute(
        &mut api,
        &parse("create deployment web --image=nginx").unwrap(),
        &crate::kubectl::NoFiles,
    );
    assert!(run(&api, "describe deploy we")
        .stdout
        .starts_with("Name:                   web\n"));
    let out = run(&api, "describe deploy nope");
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
    assert_eq!(
        run(&api, "describe pods").stderr,
        "No resources found in default namespace.\n"
    );
}
