//! What the playground's controls and a lesson's UI actions act on: the Service the diagram
//! shows, the Deployment behind it, and pods a controller would replace. The web UI turns
//! these into console lines; deciding which objects they are (selectors matching labels) is
//! Kubernetes logic, so it lives here.

use crate::labels::Selector;
use crate::sim::Sim;
use std::collections::BTreeMap;

/// The Service the diagram draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTarget {
    /// Name.
    pub name: String,
    /// `spec.type` (ClusterIP when unset).
    pub type_: String,
    /// `spec.sessionAffinity` (`None` when unset).
    pub session_affinity: String,
    /// `spec.externalTrafficPolicy` (only NodePort / LoadBalancer Services have one).
    pub external_traffic_policy: Option<String>,
    /// `spec.selector`.
    pub selector: BTreeMap<String, String>,
}

/// The Deployment the controls act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentTarget {
    /// Name.
    pub name: String,
    /// `spec.replicas` (1 when unset, as the API server defaults it).
    pub replicas: i32,
    /// Its first container's name (what `kubectl set image` names).
    pub container: String,
    /// That container's image.
    pub image: String,
    /// Its pods that are not terminating, by name.
    pub pods: Vec<String>,
}

/// See the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The Service drawn, if any.
    pub service: Option<ServiceTarget>,
    /// The Deployment behind it, or why there is not exactly one.
    pub deployment: Result<DeploymentTarget, String>,
    /// Pods (not terminating) that have a controller, which would replace them if killed.
    pub replaceable_pods: Vec<String>,
}

/// The Service to draw in `namespace`: `preferred` if it exists and selects pods, else the
/// first (by name) that selects pods. Services without a selector (such as `kubernetes`)
/// have no pods to draw.
pub fn shown_service(sim: &Sim, namespace: &str, preferred: &str) -> Option<String> {
    let with_selector: Vec<&str> = sim
        .api
        .services
        .in_namespace(namespace)
        .filter(|s| s.spec.selector.as_ref().is_some_and(|m| !m.is_empty()))
        .map(|s| s.metadata.name.as_str())
        .collect();
    with_selector
        .iter()
        .find(|n| **n == preferred)
        .or_else(|| with_selector.iter().min())
        .map(|n| n.to_string())
}

/// Finds the targets (see the module docs). The Deployment is the one whose pod template
/// the shown Service selects; with no Service, the namespace's only Deployment. When there
/// are several or none, the error says so, for a disabled control's explanation.
pub fn target(sim: &Sim, namespace: &str, preferred: &str) -> Target {
    let service = shown_service(sim, namespace, preferred)
        .and_then(|name| sim.api.services.get_by_name(namespace, &name).cloned())
        .map(|s| ServiceTarget {
            name: s.metadata.name.to_string(),
            type_: s.spec.type_.clone().unwrap_or_else(|| "ClusterIP".into()),
            session_affinity: s
                .spec
                .session_affinity
                .clone()
                .unwrap_or_else(|| "None".into()),
            external_traffic_policy: s.spec.external_traffic_policy.clone(),
            selector: s.spec.selector.clone().unwrap_or_default(),
        });
    let selects = |labels: &BTreeMap<String, String>| match &service {
        Some(s) => Selector::from_validated_set(&s.selector).matches(labels),
        None => true,
    };
    let mut behind: Vec<_> = sim
        .api
        .deployments
        .in_namespace(namespace)
        .filter(|d| selects(&d.spec.template.metadata.labels))
        .collect();
    crate::sort::sort_by(&mut behind, |a, b| a.metadata.name.cmp(&b.metadata.name));
    let live_pods = || {
        sim.api
            .pods
            .in_namespace(namespace)
            .filter(|p| !p.metadata.is_terminating())
    };
    let deployment = match behind.as_slice() {
        [d] => {
            let selector = Selector::from_label_selector(d.spec.selector.as_ref())
                .unwrap_or_else(|_| Selector::nothing());
            let container = d.spec.template.spec.containers.first();
            let mut pods: Vec<String> = live_pods()
                .filter(|p| selector.matches(&p.metadata.labels))
                .map(|p| p.metadata.name.to_string())
                .collect();
            crate::sort::sort(&mut pods);
            Ok(DeploymentTarget {
                name: d.metadata.name.to_string(),
                replicas: d.spec.replicas.unwrap_or(1),
                container: container.map(|c| c.name.clone()).unwrap_or_default(),
                image: container.map(|c| c.image.clone()).unwrap_or_default(),
                pods,
            })
        }
        [] => Err(match &service {
            Some(s) => format!("No Deployment runs the pods of Service {}.", s.name),
            None => "There is no Deployment to act on.".to_string(),
        }),
        several => Err(format!(
            "{} select the pods of several Deployments ({}): use the console to name one.",
            service
                .as_ref()
                .map_or("You".to_string(), |s| format!("Service {}", s.name)),
            several
                .iter()
                .map(|d| d.metadata.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    };
    let mut replaceable_pods: Vec<String> = live_pods()
        .filter(|p| p.metadata.controller_ref().is_some())
        .map(|p| p.metadata.name.to_string())
        .collect();
    crate::sort::sort(&mut replaceable_pods);
    Target {
        service,
        deployment,
        replaceable_pods,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimConfig;

    fn cluster(lines: &[&str]) -> Sim {
        let mut sim = Sim::new(SimConfig::default());
        for line in lines {
            assert!(sim.exec(line).ok, "{line}");
        }
        sim.advance(10_000);
        sim
    }

    /// (setup commands, preferred Service, shown Service, Deployment or the start of why not)
    type Case<'a> = (
        &'a [&'a str],
        &'a str,
        Option<&'a str>,
        Result<&'a str, &'a str>,
    );

    #[test]
    fn the_deployment_behind_the_shown_service() {
        let cases: &[Case] = &[
            (
                &[
                    "kubectl create deployment shop --image=nginx:1.25 --replicas=2",
                    "kubectl expose deployment shop --port=80",
                ],
                "web",
                Some("shop"),
                Ok("shop"),
            ),
            (
                &[
                    "kubectl create deployment api --image=nginx --replicas=1",
                    "kubectl create deployment shop --image=nginx --replicas=1",
                    "kubectl expose deployment shop --port=80",
                ],
                "web",
                Some("shop"),
                Ok("shop"),
            ),
            (
                &["kubectl create deployment api --image=nginx --replicas=1"],
                "web",
                None,
                Ok("api"),
            ),
            (&[], "web", None, Err("There is no Deployment")),
            (
                &["kubectl create service clusterip web --tcp=80:80"],
                "web",
                Some("web"),
                Err("No Deployment runs the pods of Service web"),
            ),
            (
                &[
                    "kubectl create deployment a --image=nginx --replicas=1",
                    "kubectl create deployment b --image=nginx --replicas=1",
                ],
                "web",
                None,
                Err("You select the pods of several Deployments (a, b)"),
            ),
        ];
        for (setup, preferred, service, want) in cases {
            let sim = cluster(setup);
            let t = target(&sim, "default", preferred);
            assert_eq!(
                t.service.as_ref().map(|s| s.name.as_str()),
                *service,
                "{setup:?}"
            );
            match (&t.deployment, want) {
                (Ok(d), Ok(name)) => assert_eq!(d.name, *name, "{setup:?}"),
                (Err(e), Err(why)) => assert!(e.starts_with(why), "{setup:?}: {e}"),
                (got, _) => panic!("{setup:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn the_deployment_target_carries_what_its_controls_need() {
        let sim = cluster(&[
            "kubectl create deployment shop --image=nginx:1.25 --replicas=2",
            "kubectl expose deployment shop --port=80 --type=NodePort",
            "kubectl patch service shop -p '{\"spec\":{\"sessionAffinity\":\"ClientIP\"}}'",
        ]);
        let t = target(&sim, "default", "web");
        let d = t.deployment.expect("shop");
        assert_eq!(
            (d.replicas, d.container.as_str(), d.image.as_str()),
            (2, "nginx", "nginx:1.25")
        );
        assert_eq!(d.pods.len(), 2);
        assert!(d.pods.iter().all(|p| p.starts_with("shop-")));
        assert_eq!(t.replaceable_pods, d.pods);
        let s = t.service.expect("shop");
        assert_eq!(s.session_affinity, "ClientIP");
        assert_eq!(s.external_traffic_policy.as_deref(), Some("Cluster"));
        assert_eq!(s.type_, "NodePort");
    }

    #[test]
    fn the_preferred_service_wins_and_services_without_selector_are_not_shown() {
        let sim = cluster(&[
            "kubectl create deployment a --image=nginx --replicas=1",
            "kubectl expose deployment a --port=80",
            "kubectl create deployment web --image=nginx --replicas=1",
            "kubectl expose deployment web --port=80",
        ]);
        assert_eq!(
            shown_service(&sim, "default", "web").as_deref(),
            Some("web")
        );
        assert_eq!(shown_service(&sim, "default", "zzz").as_deref(), Some("a"));
        let sim = cluster(&[]);
        assert_eq!(shown_service(&sim, "default", "kubernetes"), None);
    }
}
