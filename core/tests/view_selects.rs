//! Specification: the view names the pods each Service's selector matches — in the
//! Service's namespace only, whatever their state — so the page can set the others apart
//! without matching labels itself.

use kubeplay_core::{Sim, SimConfig};
use std::collections::BTreeSet;

fn run(sim: &mut Sim, line: &str) {
    let out = sim.exec(line);
    assert!(out.ok, "{line}: {out:?}");
}

#[test]
fn a_service_selects_the_matching_pods_of_its_own_namespace() {
    let mut sim = Sim::new(SimConfig::default());
    run(&mut sim, "kubectl create namespace other");
    run(&mut sim, "kubectl run web-a --image=nginx --labels=app=web");
    run(
        &mut sim,
        "kubectl run web-b --image=nginx --labels=app=web,tier=x",
    );
    run(&mut sim, "kubectl run db --image=nginx --labels=app=db");
    run(
        &mut sim,
        "kubectl run web-a --image=nginx --labels=app=web -n other",
    );
    run(&mut sim, "kubectl create service clusterip web --tcp=80:80");
    run(
        &mut sim,
        "kubectl create service externalname ext --external-name=example.com",
    );
    sim.advance(5_000);
    let view = sim.view(None);
    let selects = |ns: &str, name: &str| {
        view.services
            .iter()
            .find(|s| s.namespace == ns && s.name == name)
            .map(|s| s.selects.clone())
            .unwrap_or_else(|| panic!("no Service {ns}/{name}"))
    };
    // `create service clusterip web` selects `app=web`.
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(selects("default", "web"), names(&["web-a", "web-b"]));
    assert_eq!(selects("default", "ext"), names(&[]));

    // Relabelled out of the selector, a pod is no longer selected.
    run(&mut sim, "kubectl label pod web-b app=debug --overwrite");
    let view = sim.view(None);
    let web = view.services.iter().find(|s| s.name == "web").unwrap();
    assert_eq!(web.selects, names(&["web-a"]));
}
