//! Requests through the simulated data plane: paths, outcomes and the console verbs.

mod common;
use common::*;
use kubeplay_core::proxy::ProxyMode;

#[test]
fn pod_curls_a_service_by_name_and_an_echo_server_answers() {
    let mut sim = sim(3, ProxyMode::Iptables, 1);
    sim.api.create(service("web", "web", "ClusterIP")).unwrap();
    sim.api.create(pod("web-1", "web")).unwrap();
    sim.api.create(pod("client", "client")).unwrap();
    sim.advance(20_000);
    let out = sim
        .exec_curl("client", &["-s", "http://web"])
        .expect("served");
    let ip = pod_ip(&sim, "web-1");
    assert!(
        out.starts_with(&format!("Hostname: web-1\nIP: 127.0.0.1\nIP: {ip}\n")),
        "{out}"
    );
    println!("{}", sim.trace().unwrap());
}
