//! The legacy Endpoints controller (`pkg/controller/endpoint`): one `v1/Endpoints` object per
//! Service with a selector, ready addresses in `addresses`, the rest in `notReadyAddresses`;
//! terminating pods are left out unless the Service publishes not-ready addresses; at most 1000
//! addresses, beyond which the object is truncated and annotated.

use super::endpointslice::{
    pod_ready, should_pod_be_in_endpoints, target_ref, PortsMemo, ServiceSelectorIndex,
};
use super::pod_cache::{managed_selector, pod_event_matters, ServicePodCache};
use super::{Controller, Ctx, Queue};
use crate::api::core::{EndpointAddress, EndpointPort, EndpointSubset};
use crate::api::shared::Shared;
use crate::api::*;
use crate::apiserver::{ApiServer, ObjectKey, WatchEvent};
use crate::infra::Infra;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::rc::Rc;

/// A pod's sorted ports, address and readiness for one Service. The address is shared with
/// the Endpoints objects written from it.
type PodAddress = (Shared<Vec<EndpointPort>>, Shared<EndpointAddress>, bool);

/// Maximum addresses in one Endpoints object.
pub const MAX_CAPACITY: usize = 1000;
/// Annotation set when addresses were truncated.
pub const OVER_CAPACITY_ANNOTATION: &str = "endpoints.kubernetes.io/over-capacity";

/// The controller.
#[derive(Default)]
pub struct EndpointsController {
    index: ServiceSelectorIndex,
    /// Per Service, its pods' addresses as of its last sync.
    cache: FxHashMap<ObjectKey, ServicePodCache<PodAddress>>,
}

/// A subset before it is copied out: borrowed ports and addresses.
struct SubsetRef<'a> {
    ports: &'a [EndpointPort],
    addresses: Vec<&'a Shared<EndpointAddress>>,
    not_ready_addresses: Vec<&'a Shared<EndpointAddress>>,
}

impl SubsetRef<'_> {
    fn to_owned(&self) -> EndpointSubset {
        EndpointSubset {
            addresses: self.addresses.iter().map(|&a| a.clone()).collect(),
            not_ready_addresses: self
                .not_ready_addresses
                .iter()
                .map(|&a| a.clone())
                .collect(),
            ports: self.ports.to_vec(),
        }
    }

    fn equals(&self, s: &EndpointSubset) -> bool {
        fn same(a: &[&Shared<EndpointAddress>], b: &[Shared<EndpointAddress>]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(&x, y)| x == y)
        }
        self.ports == s.ports.as_slice()
            && same(&self.addresses, &s.addresses)
            && same(&self.not_ready_addresses, &s.not_ready_addresses)
    }
}

/// Sorts addresses (stably) by IP: IPv4 addresses numerically, then anything else by text.
/// Each address is parsed once, not at every comparison.
fn sort_by_ip(addresses: &mut Vec<&Shared<EndpointAddress>>) {
    if addresses.len() < 2 {
        return;
    }
    let mut keyed: Vec<(u32, &Shared<EndpointAddress>)> = addresses
        .drain(..)
        .map(|a| {
            let n = a.ip.parse::<Ipv4Addr>().map(u32::from).unwrap_or(u32::MAX);
            (n, a)
        })
        .collect();
    crate::sort::sort_by(&mut keyed, |(n, a), (m, b)| (n, &a.ip).cmp(&(m, &b.ip)));
    addresses.extend(keyed.into_iter().map(|(_, a)| a));
}

/// Groups addresses by identical (sorted) port sets and sorts them (`RepackSubsets`).
fn repack<'a>(entries: impl Iterator<Item = &'a PodAddress>) -> Vec<SubsetRef<'a>> {
    type Group<'a> = (
        Vec<&'a Shared<EndpointAddress>>,
        Vec<&'a Shared<EndpointAddress>>,
    );
    let mut by_ports: BTreeMap<&'a [EndpointPort], Group<'a>> = BTreeMap::new();
    for (ports, addr, ready) in entries {
        let e = by_ports.entry(ports.as_slice()).or_default();
        if *ready {
            e.0.push(addr)
        } else {
            e.1.push(addr)
        }
    }
    by_ports
        .into_iter()
        .map(|(ports, (mut ready, mut not_ready))| {
            sort_by_ip(&mut ready);
            sort_by_ip(&mut not_ready);
            SubsetRef {
                ports,
                addresses: ready,
                not_ready_addresses: not_ready,
            }
        })
        .collect()
}

impl EndpointsController {
    /// A pod's sorted ports, address and readiness for `svc`; `None` when it is left out.
    fn pod_address(
        svc: &Rc<Service>,
        pod: &Pod,
        node_present: bool,
        publish: bool,
        ports: &mut PortsMemo,
    ) -> Option<PodAddress> {
        if !should_pod_be_in_endpoints(pod, publish) || (!node_present && !publish) {
            return None;
        }
        let ip = pod.status.pod_ip.clone()?;
        let addr = Shared::new(EndpointAddress {
            ip,
            hostname: match (&pod.spec.hostname, &pod.spec.subdomain) {
                (Some(h), Some(s)) if *s == svc.metadata.name => Some(h.clone()),
                _ => None,
            },
            node_name: (!pod.spec.node_name.is_empty()).then(|| pod.spec.node_name.clone()),
            target_ref: Some(target_ref(pod)),
        });
        let ready = publish || pod_ready(pod);
        // Headless without ports: the empty port list (computed as such).
        let ports = ports.ports(svc, pod);
        if ports.is_empty() && !svc.spec.ports.is_empty() {
            return None;
        }
        Some((ports, addr, ready))
    }

    fn reconcile_service(&mut self, key: &ObjectKey, svc: &Rc<Service>, ctx: &mut Ctx<'_>) {
        let Some(selector) = managed_selector(svc) else {
            self.cache.remove(key);
            return;
        };
        let ns = &svc.metadata.namespace;
        let pods = ctx.api.pods.matching_labels(ns, selector);
        let mut cache = self.cache.remove(key).unwrap_or_default();
        let publish = svc.spec.publish_not_ready_addresses == Some(true);
        let mut ports = std::mem::take(&mut cache.ports);
        cache.refresh(svc, &pods, ctx.api, false, |pod, node_present, _| {
            Self::pod_address(svc, pod, node_present, publish, &mut ports)
        });
        cache.ports = ports;
        let mut subsets = repack(pods.iter().filter_map(|p| cache.get(&p.metadata.name)));
        let total: usize = subsets
            .iter()
            .map(|s| s.addresses.len() + s.not_ready_addresses.len())
            .sum();
        let truncated = total > MAX_CAPACITY;
        if truncated {
            let mut budget = MAX_CAPACITY;
            for s in subsets.iter_mut() {
                s.addresses.truncate(budget);
                budget -= s.addresses.len();
                s.not_ready_addresses.truncate(budget);
                budget -= s.not_ready_addresses.len();
            }
            subsets.retain(|s| !s.addresses.is_empty() || !s.not_ready_addresses.is_empty());
        }
        let current = ctx.api.get::<Endpoints>(ns, &svc.metadata.name);
        if let Some(cur) = current.as_deref() {
            // The object this sync would write differs from the stored one only in subsets,
            // labels and the over-capacity annotation: compared before anything is copied.
            let annotation = cur
                .metadata
                .annotations
                .get(OVER_CAPACITY_ANNOTATION)
                .map(String::as_str);
            if cur.subsets.len() == subsets.len()
                && subsets.iter().zip(&cur.subsets).all(|(a, b)| a.equals(b))
                && cur.metadata.labels == svc.metadata.labels
                && annotation == truncated.then_some("truncated")
            {
                drop(subsets);
                self.cache.insert(key.clone(), cache);
                return;
            }
        }
        let subsets: Vec<EndpointSubset> = subsets.iter().map(SubsetRef::to_owned).collect();
        self.cache.insert(key.clone(), cache);
        let mut ep = match current.as_deref() {
            // The stored object but its subsets, which are replaced (so not copied): every
            // change of one of the Service's pods rewrites its Endpoints.
            Some(Endpoints {
                api_version,
                kind,
                metadata,
                subsets: _,
            }) => Endpoints {
                api_version: api_version.clone(),
                kind: kind.clone(),
                metadata: metadata.clone(),
                subsets,
            },
            None => {
                let mut e = Endpoints {
                    subsets,
                    ..Default::default()
                };
                e.metadata.name = svc.metadata.name.clone();
                e.metadata.namespace = ns.clone();
                e
            }
        };
        ep.metadata.labels = svc.metadata.labels.clone();
        if truncated {
            ep.metadata
                .annotations
                .insert(OVER_CAPACITY_ANNOTATION.into(), "truncated".into());
        } else {
            ep.metadata.annotations.remove(OVER_CAPACITY_ANNOTATION);
        }
        match current {
            // A stored object always has a UID: no stored Endpoints means create.
            None => {
                let _ = ctx.api.create(ep);
            }
            Some(before) if *before != ep => {
                ep.metadata.resource_version = SharedStr::default();
                let _ = ctx.api.update(ep);
            }
            Some(_) => {}
        }
    }
}

impl Controller for EndpointsController {
    fn name(&self) -> &'static str {
        "endpoint-controller"
    }

    fn on_event(&mut self, ev: &WatchEvent, _api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        match ev.object() {
            Some(Object::Service(_)) => {
                let sel = match &ev.new {
                    Some(Object::Service(s)) => s.spec.selector.as_ref(),
                    _ => None,
                };
                self.index.set(&ev.key, sel);
                queue.add(ev.key.clone());
            }
            Some(Object::Pod(_)) => {
                if !pod_event_matters(ev) {
                    return;
                }
                for s in self.index.services_for_event(ev) {
                    queue.add(s.clone());
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        match ctx.api.get_by_key::<Service>(key) {
            Some(svc) => self.reconcile_service(key, &svc, ctx),
            None => {
                self.cache.remove(key);
                // The Endpoints object shares the Service's name and has no owner reference.
                if ctx
                    .api
                    .get::<Endpoints>(&key.namespace, &key.name)
                    .is_some()
                    && key.name != "kubernetes"
                {
                    let _ = ctx.api.remove::<Endpoints>(&key.namespace, &key.name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The per-Service address cache must be invisible: after any change, a long-lived
    //! controller (which recomputes only what it thinks changed) leaves exactly the Endpoints a
    //! fresh controller (which computes everything) would write.

    use super::*;
    use crate::controllers::test_support::{assert_long_lived_matches_fresh, Change};

    fn endpoints(api: &ApiServer) -> Option<Endpoints> {
        api.get::<Endpoints>("default", "web").map(|e| (*e).clone())
    }

    #[test]
    fn a_long_lived_controller_writes_what_a_fresh_one_would() {
        let specific: &[Change] = &[(
            "a pod comes back on a live node, the Service's name as its subdomain",
            |api| {
                let mut p = (*api.get::<Pod>("default", "web-1").expect("pod")).clone();
                let _ = api.remove::<Pod>("default", "web-1");
                p.metadata = ObjectMeta {
                    name: p.metadata.name,
                    namespace: p.metadata.namespace,
                    labels: p.metadata.labels,
                    ..Default::default()
                };
                p.spec.node_name = "node-1".into();
                p.spec.hostname = Some("h".into());
                p.spec.subdomain = Some("web".into());
                api.create(p).expect("pod");
            },
        )];
        assert_long_lived_matches_fresh::<EndpointsController, _>(
            ["10.0.0.3", "10.0.0.2", "10.0.0.1"],
            specific,
            endpoints,
        );
    }
}
